/* cmd_intake.c - what the server takes in, seen from the shell: partner tokens (exante token
 * add|list|revoke), the submissions waiting for review (exante optout requests, optout
 * review ID accept|reject) and a receipt's check (exante verify-receipt). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char token_usage[] =
    "usage: exante token add NAME\n"
    "       exante token list\n"
    "       exante token revoke NAME\n"
    "\n"
    "Partner tokens for 'exante serve': a registry or agent holding one sends it as\n"
    "'Authorization: Bearer TOKEN' with its opt-out requests, which then take effect at once\n"
    "(no review) and are not rate-limited. add prints the new token once (only its SHA-256 is\n"
    "kept, in the ledger's database); list shows name, created and hash; revoke drops it. A\n"
    "running server picks changes up on SIGHUP. NAME: letters, digits, '.', '-', '_'.\n";

int
cmd_token(cli *c, int argc, char **argv)
{
    const char *sub;
    int go = cli_subcommand(&argc, &argv, token_usage, "token", "'add', 'list' or 'revoke'", &sub);
    if (go != CLI_GO)
        return go;
    if (cli_wants_help(argc, argv)) {
        fputs(token_usage, stdout);
        return EXIT_OKAY;
    }
    int list = strcmp(sub, "list") == 0;
    if (!list && strcmp(sub, "add") != 0 && strcmp(sub, "revoke") != 0)
        return cli_usage(token_usage, "token: unknown subcommand '%s'", sub);
    if (argc != (list ? 1 : 2))
        return cli_usage(token_usage, list ? "token list: takes no arguments"
                                           : "token %s: expected one NAME", sub);
    ex_ledger *l;
    int x = cli_open(c, list, &l);
    if (x != EXIT_OKAY)
        return x;
    char *out = NULL;
    size_t len = 0;
    int rc;
    if (list) {
        rc = ex_ledger_tokens_dup(l, &out, &len);
        return cli_emit(l, rc, out, len);
    }
    char token[EX_TOKEN_LEN + 1];
    if (sub[0] == 'a') {
        rc = ex_ledger_token_add(l, argv[1], token);
        if (rc == EX_OK && c->json)
            cli_print_json(json_pack("{s:s,s:s}", "name", argv[1], "token", token));
        else if (rc == EX_OK)
            printf("%s\n", token);
        if (rc == EX_OK && !c->quiet)
            fprintf(stderr, "exante: token of partner '%s': shown once, keep it secret\n",
                    argv[1]);
        memset(token, 0, sizeof token);
    } else {
        rc = ex_ledger_token_revoke(l, argv[1]);
        if (rc == EX_OK && !c->quiet)
            fprintf(stderr, "exante: revoked the token of partner '%s'\n", argv[1]);
    }
    if (rc != EX_OK)
        cli_err("token %s: %s", sub, ex_ledger_errmsg(l));
    ex_ledger_close(l);
    return cli_exit(rc);
}

/* exante optout requests [--kind K] [--status S] */
int
cli_optout_requests(cli *c, int argc, char **argv, const char *usage)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},
        {"status", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *kind = NULL, *status = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': kind = optarg; break;
        case 's': status = optarg; break;
        default: return cli_usage(usage, "optout requests: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "optout requests: unexpected argument '%s'", argv[optind]);
    if (kind && strcmp(kind, "optout") != 0 && strcmp(kind, "complaint") != 0)
        return cli_usage(usage, "optout requests: --kind is optout or complaint");
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *out = NULL;
    size_t len = 0;
    int rc = ex_ledger_submissions_dup(l, kind, status, &out, &len);
    return cli_emit(l, rc, out, len);
}

/* exante optout review ID accept|reject [--reason TEXT] */
int
cli_optout_review(cli *c, int argc, char **argv, const char *usage)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *reason = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch != 'r')
            return cli_usage(usage, "optout review: bad option '%s'", argv[optind - 1]);
        reason = optarg;
    }
    uint64_t id;
    if (argc - optind != 2 || cli_parse_u64(argv[optind], &id))
        return cli_usage(usage, "optout review: expected ID (a log index) and accept|reject");
    const char *what = argv[optind + 1];
    if (strcmp(what, "accept") != 0 && strcmp(what, "reject") != 0)
        return cli_usage(usage, "optout review: '%s': expected accept or reject", what);
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    char *out = NULL;
    size_t len = 0;
    int rc = ex_ledger_review(l, id, what[0] == 'a', reason, &out, &len);
    if (rc == EX_OK && c->json) {
        printf("%s\n", out);
    } else if (rc == EX_OK) {
        json_t *o = json_loads(out, 0, NULL);
        printf("submission %llu %sed (review at log index %lld)", (unsigned long long)id, what,
               (long long)json_integer_value(json_object_get(o, "index")));
        if (json_object_get(o, "optout"))
            printf("; its opt-out logged at index %lld: 'exante reevaluate' applies it",
                   (long long)json_integer_value(json_object_get(o, "optout")));
        printf("\n");
        json_decref(o);
    } else {
        cli_err("optout review: %s", ex_ledger_errmsg(l));
    }
    free(out);
    ex_ledger_close(l);
    return cli_exit(rc);
}

static const char receipt_usage[] =
    "usage: exante verify-receipt RECEIPT [--vkey KEY] [--rotations FILE]\n"
    "\n"
    "Check a receipt from 'exante serve' (the 'receipt' of a POST /v1/optouts or\n"
    "/v1/complaints answer, saved to a file; '-' reads standard input): a C2SP signed note by\n"
    "the log's key over the origin, kind, id (the log index of the submission's entry), the\n"
    "SHA-256 of the submission, when it was received and the time its entry is promised to be\n"
    "in the log by. Prints the fields (JSON with --json); exit 1 if the signature does not\n"
    "verify, 2 if it is not a receipt. The entry's inclusion: GET /v1/optouts/ID/proof, then\n"
    "'exante verify-proof'.\n"
    "After a key rotation, --rotations FILE (`exante key rotations`) leads from KEY to the\n"
    "key that signed the receipt.\n";

int
cmd_verify_receipt(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"vkey", required_argument, NULL, 'k'},
        {"rotations", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *vk = NULL, *rotations = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': vk = optarg; break;
        case 'r': rotations = optarg; break;
        case 'h': fputs(receipt_usage, stdout); return EXIT_OKAY;
        default: return cli_usage(receipt_usage, "verify-receipt: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(receipt_usage, "verify-receipt: expected one RECEIPT file");
    ex_vkey key;
    ex_key_chain *keys = NULL;
    int x = cli_load_keys(c, vk, rotations, &key, &keys);
    if (x != EXIT_OKAY)
        return x;
    char *note = NULL, *json = NULL;
    size_t len = 0, jlen = 0;
    if ((x = cli_read_file(argv[optind], 65536, &note, &len)) != EXIT_OKAY) {
        free(keys);
        return x;
    }
    ex_err e = {0};
    int rc = ex_receipt_verify_chain(note, len, keys, &json, &jlen, &e);
    free(note);
    free(keys);
    if (rc != EX_OK) {
        cli_err("verify-receipt: %s", e.msg);
        return rc == EX_EVERIFY ? EXIT_NO : cli_exit(rc);
    }
    if (c->json) {
        printf("%s\n", json);
    } else {
        json_t *o = json_loads(json, 0, NULL);
        printf("receipt verified: %s %lld of %s, submission %s, received %s, in the log by %s\n",
               json_string_value(json_object_get(o, "kind")),
               (long long)json_integer_value(json_object_get(o, "id")),
               json_string_value(json_object_get(o, "origin")),
               json_string_value(json_object_get(o, "submission")),
               json_string_value(json_object_get(o, "received")),
               json_string_value(json_object_get(o, "include_by")));
        json_decref(o);
    }
    free(json);
    return EXIT_OKAY;
}
