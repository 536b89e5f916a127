/* cmd_source.c - exante source add|list */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante source add NAME --kind crawl|licensed|public-dataset|first-party|synthetic|other\n"
    "                         [--license EXPR] [--ml-use allowed|prohibited|unknown]\n"
    "                         [--terms FILE] [--agreement FILE] [--note TEXT]\n"
    "       exante source list\n"
    "\n"
    "Every ingested item belongs to a source: the channel it was acquired through and the\n"
    "terms it came under. The digests of the terms and agreement documents are logged as\n"
    "evidence together with the source's record. 'list' prints the records as JSONL.\n";

int
cmd_source(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},
        {"license", required_argument, NULL, 'l'},
        {"ml-use", required_argument, NULL, 'm'},
        {"terms", required_argument, NULL, 't'},
        {"agreement", required_argument, NULL, 'a'},
        {"note", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sub;
    int go = cli_subcommand(&argc, &argv, usage, "source", "'add' or 'list'", &sub);
    if (go != CLI_GO)
        return go;
    ex_source_opts o = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': o.kind = optarg; break;
        case 'l': o.license = optarg; break;
        case 'm': o.ml_use = optarg; break;
        case 't': o.terms = optarg; break;
        case 'a': o.agreement = optarg; break;
        case 'n': o.note = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "source %s: bad option '%s'", sub, argv[optind - 1]);
        }
    }
    if (strcmp(sub, "list") == 0) {
        if (optind != argc || o.kind || o.license || o.ml_use || o.terms || o.agreement || o.note)
            return cli_usage(usage, "source list: takes no arguments");
        ex_ledger *l;
        int x = cli_open(c, 1, &l);
        if (x != EXIT_OKAY)
            return x;
        char *jsonl = NULL;
        size_t len = 0;
        int rc = ex_ledger_sources_dup(l, &jsonl, &len);
        return cli_emit(l, rc, jsonl, len);
    }
    if (strcmp(sub, "add") != 0)
        return cli_usage(usage, "source: unknown subcommand '%s'", sub);
    if (optind + 1 != argc)
        return cli_usage(usage, "source add: expected one NAME");
    if (!o.kind)
        return cli_usage(usage, "source add: --kind is required");
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    uint64_t index;
    int rc = ex_ledger_source_add(l, argv[optind], &o, &index);
    if (rc != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(argv[optind]));
        json_object_set_new(j, "index", json_integer((json_int_t)index));
        cli_print_json(j);
    } else {
        printf("source '%s' logged at index %llu\n", argv[optind], (unsigned long long)index);
    }
    ex_ledger_close(l);
    return EXIT_OKAY;
}
