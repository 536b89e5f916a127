/* cmd_evidence.c - exante evidence add */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char usage[] =
    "usage: exante evidence add FILE --kind terms|agreement|license|robots|consent|other\n"
    "                           [--source NAME] [--note TEXT]\n"
    "\n"
    "Log the SHA-256 digest of an external evidence document (a contract, a terms-of-\n"
    "service capture) as one log entry, and sign a new checkpoint.\n";

int
cmd_evidence(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},
        {"source", required_argument, NULL, 's'},
        {"note", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        if (cli_wants_help(argc, argv)) {
            fputs(usage, stdout);
            return EXIT_OKAY;
        }
        return cli_usage(usage, "evidence: expected 'add'");
    }
    argc--, argv++;
    const char *kind = NULL, *source = NULL, *note = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': kind = optarg; break;
        case 's': source = optarg; break;
        case 'n': note = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "evidence add: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(usage, "evidence add: expected one FILE");
    if (!kind)
        return cli_usage(usage, "evidence add: --kind is required");
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    uint8_t d[EX_HASH_BYTES];
    uint64_t index;
    int rc = ex_ledger_evidence_add(l, argv[optind], kind, source, note, d, &index);
    if (rc != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    char dig[EX_DIGEST_STR_BYTES];
    ex_digest_format(d, dig);
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "digest", json_string(dig));
        json_object_set_new(j, "index", json_integer((json_int_t)index));
        cli_print_json(j);
    } else {
        printf("%s logged at index %llu\n", dig, (unsigned long long)index);
    }
    ex_ledger_close(l);
    return EXIT_OKAY;
}
