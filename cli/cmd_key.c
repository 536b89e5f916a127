/* cmd_key.c - exante key rotate|rotations: rotating the ledger's signing key, and the records
 * verifiers follow from an old verifier key to the current one (docs/FORMATS.md "Key
 * rotation"). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante key rotate\n"
    "       exante key rotations [--out FILE]\n"
    "\n"
    "rotate: make a new signing key and log a rotation record signed by the old and the new\n"
    "key; the record's checkpoint and every later one are signed by the new key. The new key\n"
    "replaces key.pem (encrypted with $EXANTE_PASSPHRASE when set), the old one is kept as\n"
    "key.pem.retired-<key ID> (delete it once you no longer need it), and the vkey file holds\n"
    "the new verifier key. A running `exante serve` picks it up on SIGHUP.\n"
    "rotations: the rotation records' log entries, oldest first, as JSONL: what `verify-proof\n"
    "--rotations FILE` (and `verify`, `verify-receipt`) need to go from a verifier key they\n"
    "trust to the one that signed a checkpoint. `log verify` follows them by itself.\n";

static int
rotate(cli *c)
{
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    char old[EX_VKEY_MAX], new[EX_VKEY_MAX];
    snprintf(old, sizeof old, "%s", ex_ledger_vkey(l));
    uint64_t index;
    int rc = ex_ledger_key_rotate(l, getenv("EXANTE_PASSPHRASE"), &index, new);
    if (rc != EX_OK) {
        cli_err("key rotate: %s", ex_ledger_errmsg(l));
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "index", json_integer((json_int_t)index));
        json_object_set_new(j, "from", json_integer((json_int_t)index + 1));
        json_object_set_new(j, "old_vkey", json_string(old));
        json_object_set_new(j, "vkey", json_string(new));
        cli_print_json(j);
    } else {
        printf("rotation logged at index %llu: checkpoints of size %llu and above are signed "
               "by\nvkey %s\n(the old key was %s)\n",
               (unsigned long long)index, (unsigned long long)index + 1, new, old);
    }
    ex_ledger_close(l);
    return EXIT_OKAY;
}

static int
rotations(cli *c, const char *out)
{
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    ex_rotation *r;
    size_t n, len = 0;
    char *jsonl = NULL;
    int rc = ex_ledger_rotations(l, &r, &n, &jsonl, &len);
    free(r);
    if (rc != EX_OK) {
        cli_err("key rotations: %s", ex_ledger_errmsg(l));
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    ex_ledger_close(l);
    x = cli_write_out(out, jsonl ? jsonl : "", len, "key rotations");
    free(jsonl);
    return x;
}

int
cmd_key(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sub;
    int x = cli_subcommand(&argc, &argv, usage, "key", "'rotate' or 'rotations'", &sub);
    if (x != CLI_GO)
        return x;
    const char *out = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "key %s: bad option '%s'", sub, argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "key %s: unexpected argument '%s'", sub, argv[optind]);
    if (strcmp(sub, "rotate") == 0) {
        if (out)
            return cli_usage(usage, "key rotate: --out is for 'key rotations'");
        return rotate(c);
    }
    if (strcmp(sub, "rotations") == 0)
        return rotations(c, out);
    return cli_usage(usage, "key: unknown subcommand '%s' (rotate, rotations)", sub);
}
