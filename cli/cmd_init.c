/* cmd_init.c - exante init */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante init [--origin NAME] [--passphrase-file FILE] [--db URL]\n"
    "\n"
    "Create a ledger in $EXANTE_DIR (else ./.exante): database, Ed25519 signing key\n"
    "(key.pem, mode 0600) and C2SP verifier key (vkey). The origin names the log in its\n"
    "checkpoints and the key; default exante.local/<random>. The key is encrypted with\n"
    "the passphrase from --passphrase-file or $EXANTE_PASSPHRASE when one is given.\n"
    "With --db postgresql://... (or $EXANTE_DB) the database is that PostgreSQL database\n"
    "(its tables in the schema 'exante'), and the directory records its URL (file\n"
    "'store', mode 0600) beside the keys; later commands in the directory use it.\n";

int
cmd_init(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"origin", required_argument, NULL, 'o'},
        {"passphrase-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *origin = NULL, *passfile = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': origin = optarg; break;
        case 'p': passfile = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "init: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(usage, "init: unexpected argument '%s'", argv[optind]);
    char pass[1024] = "";
    const char *passphrase = getenv("EXANTE_PASSPHRASE");
    if (passfile) {
        FILE *f = fopen(passfile, "r");
        if (!f) {
            cli_err("cannot open '%s': %s", passfile, strerror(errno));
            return EXIT_IO;
        }
        if (!fgets(pass, sizeof pass, f))
            pass[0] = '\0';
        fclose(f);
        pass[strcspn(pass, "\r\n")] = '\0';
        passphrase = pass;
    }
    ex_ledger_opts o = {.origin = origin, .passphrase = passphrase, .db = c->db};
    ex_err e = {0};
    ex_ledger *l;
    int rc = ex_ledger_init(c->dir, &o, &l, &e);
    memset(pass, 0, sizeof pass);
    if (rc != EX_OK) {
        cli_err("%s", e.msg);
        return cli_exit(rc);
    }
    if (c->json) {
        json_t *j = json_object();
        json_object_set_new(j, "origin", json_string(ex_ledger_origin(l)));
        json_object_set_new(j, "vkey", json_string(ex_ledger_vkey(l)));
        json_object_set_new(j, "dir", json_string(ex_ledger_dir(l)));
        cli_print_json(j);
    } else {
        printf("initialised ledger in %s\norigin %s\nvkey   %s\n", ex_ledger_dir(l),
               ex_ledger_origin(l), ex_ledger_vkey(l));
    }
    ex_ledger_close(l);
    return EXIT_OKAY;
}
