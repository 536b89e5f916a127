/* main.c - exante command: global options and dispatch. */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cjson.h"

static const char usage_text[] =
    "usage: exante [-C DIR] [--json] [-q] COMMAND [ARGS]\n"
    "\n"
    "Training-data lineage ledger: decide before training, prove afterwards.\n"
    "\n"
    "commands:\n"
    "  init [--origin NAME]            new ledger with a new Ed25519 signing key\n"
    "  evidence add FILE --kind K      log the digest of an evidence document\n"
    "  source add NAME --kind K        register a source (its terms and agreement logged)\n"
    "  source list                     the sources, as JSONL\n"
    "  policy check|adopt FILE         validate / adopt the policy (policy show: current)\n"
    "  signals add PATH...             log robots.txt and tdmrep.json captures\n"
    "  optout add --domain D ...       log a rights-holder opt-out (optout list)\n"
    "  ingest --source S PATH...       record items (files, JSONL[.gz|.zst], WARC[.gz])\n"
    "  reevaluate                      decide earlier items under the current policy\n"
    "  why DIGEST|URL                  the chain for one item (--json: offline proof)\n"
    "  decisions [--verdict V] ...     decision records, as JSONL\n"
    "  quarantine list                 records that could not be read, as JSONL\n"
    "  log checkpoint                  print the latest signed checkpoint\n"
    "  log prove-inclusion INDEX       inclusion proof (JSON) [--size N]\n"
    "  log prove-consistency OLD NEW   consistency proof (JSON)\n"
    "  log entry INDEX                 print an entry exactly as hashed\n"
    "  log verify                      recompute and check everything stored\n"
    "  log tiles --out DIR             export the log as C2SP tlog-tiles\n"
    "  verify-proof FILE [--vkey KEY]  check a proof offline\n"
    "  license parse EXPR              normalise an SPDX expression (exit 2: invalid)\n"
    "  robots FILE AGENT URL           check a URL (exit 0 allowed, 1 disallowed)\n"
    "  demo [--keep]                   run the chain on bundled sample data\n"
    "  sample --out DIR [--items N]    write the deterministic sample corpus\n"
    "\n"
    "options:\n"
    "  -C DIR        run as if started in DIR\n"
    "  --json        print results as JSON\n"
    "  -q, --quiet   no progress or chatter\n"
    "  -h, --help    help (also after any command)\n"
    "  --version     print the version\n"
    "\n"
    "The ledger lives in $EXANTE_DIR, else ./.exante. EXANTE_PASSPHRASE unlocks an\n"
    "encrypted signing key.\n"
    "\n"
    "exit status: 0 ok; 1 a verification failed or the answer is no; 2 usage error or\n"
    "invalid input; 3 i/o or database error.\n";

void
cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("exante: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
cli_emit(ex_ledger *l, int rc, char *out, size_t len)
{
    if (rc == EX_OK) {
        fwrite(out, 1, len, stdout);
        free(out);
    } else {
        cli_err("%s", ex_ledger_errmsg(l));
    }
    ex_ledger_close(l);
    return cli_exit(rc);
}

int
cli_exit(int rc)
{
    switch (rc) {
    case EX_OK: return EXIT_OKAY;
    case EX_EVERIFY: return EXIT_NO;
    case EX_EINVAL:
    case EX_EFORMAT:
    case EX_ERANGE:
    case EX_ENOTFOUND:
    case EX_EEXIST:
    case EX_ENOLEDGER:
    case EX_ETOOBIG: return EXIT_USAGE;
    default: return EXIT_IO;
    }
}

int
cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_err("cannot open '%s': %s", path, strerror(errno));
        return EXIT_IO;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = buf ? EXIT_OKAY : EXIT_IO;
    while (rc == EXIT_OKAY) {
        if (n == cap) {
            char *b = cap <= SIZE_MAX / 4 ? realloc(buf, cap * 2 + 1) : NULL;
            if (!b) {
                rc = EXIT_IO;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (max && n > max) {
            cli_err("'%s' is larger than %zu MiB", path, max >> 20);
            rc = EXIT_USAGE;
        } else if (got == 0) {
            break;
        }
    }
    if (rc == EXIT_IO && !ferror(f))
        cli_err("cannot read '%s': out of memory", path);
    else if (rc == EXIT_OKAY && ferror(f)) {
        cli_err("cannot read '%s': %s", path, strerror(errno));
        rc = EXIT_IO;
    }
    if (!is_stdin)
        fclose(f);
    if (rc != EXIT_OKAY) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return EXIT_OKAY;
}

int
cli_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("exante: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage);
    return EXIT_USAGE;
}

void
cli_print_json(json_t *v)
{
    ex_err e = {0};
    char *s = ex_json_canon_dup(v, NULL, &e);
    /* canonical form where it exists; values like timings (reals) print in jansson's
     * compact sorted form instead */
    if (!s)
        s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
    json_decref(v);
    if (!s) {
        cli_err("cannot print JSON: %s", e.msg);
        return;
    }
    puts(s);
    free(s);
}

int
cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int
cli_open(cli *c, int read_only, ex_ledger **out)
{
    ex_err e = {0};
    ex_ledger_opts o = {.read_only = read_only, .passphrase = getenv("EXANTE_PASSPHRASE")};
    int rc = ex_ledger_open(c->dir, &o, out, &e);
    if (rc != EX_OK) {
        cli_err("%s", e.msg);
        return cli_exit(rc);
    }
    return EXIT_OKAY;
}

int
cli_load_vkey(cli *c, const char *arg, ex_vkey *out)
{
    ex_err e = {0};
    char buf[EX_VKEY_MAX + 2];
    if (!arg) {
        ex_ledger *l;
        ex_ledger_opts o = {.read_only = 1};
        if (ex_ledger_open(c->dir, &o, &l, &e) != EX_OK) {
            cli_err("no verifier key: give --vkey KEY (or run inside a ledger): %s", e.msg);
            return EXIT_USAGE;
        }
        snprintf(buf, sizeof buf, "%s", ex_ledger_vkey(l));
        ex_ledger_close(l);
        arg = buf;
    } else if (!strchr(arg, '+')) {
        FILE *f = fopen(arg, "r");
        if (!f) {
            cli_err("cannot open '%s': %s", arg, strerror(errno));
            return EXIT_IO;
        }
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
        arg = buf;
    }
    if (ex_vkey_parse(arg, out, &e) != EX_OK) {
        cli_err("%s", e.msg);
        return EXIT_USAGE;
    }
    return EXIT_OKAY;
}

json_t *
cli_b64(const uint8_t h[EX_HASH_BYTES])
{
    char s[64];
    ex_b64_encode(h, EX_HASH_BYTES, s);
    return json_string(s);
}

int
cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int
cli_subcommand(int *argc, char ***argv, const char *usage, const char *family,
               const char *want, const char **sub)
{
    if (*argc < 2 || (*argv)[1][0] == '-') {
        if (cli_wants_help(*argc, *argv)) {
            fputs(usage, stdout);
            return EXIT_OKAY;
        }
        return cli_usage(usage, "%s: expected %s", family, want);
    }
    *sub = (*argv)[1];
    (*argc)--, (*argv)++;
    optind = 1;
    opterr = 0;
    return CLI_GO;
}

static const cli_command commands[] = {
    {"init", cmd_init, "new ledger"},
    {"evidence", cmd_evidence, "log evidence documents"},
    {"source", cmd_source, "acquisition channels"},
    {"policy", cmd_policy, "check, adopt and show the policy"},
    {"signals", cmd_signals, "robots.txt and tdmrep.json captures"},
    {"optout", cmd_optout, "rights-holder opt-outs"},
    {"ingest", cmd_ingest, "record items and decisions"},
    {"reevaluate", cmd_reevaluate, "decide earlier items under the current policy"},
    {"why", cmd_why, "the chain for one item"},
    {"decisions", cmd_decisions, "decision records"},
    {"quarantine", cmd_quarantine, "records that could not be read"},
    {"log", cmd_log, "the transparency log"},
    {"verify-proof", cmd_verify_proof, "check a proof offline"},
    {"demo", cmd_demo, "run the chain on sample data"},
    {"sample", cmd_sample, "write the sample corpus"},
    {"license", cmd_license, "SPDX license expressions"},
    {"robots", cmd_robots, "check a URL against a robots.txt"},
    {NULL, NULL, NULL},
};

int
main(int argc, char **argv)
{
    cli c = {0};
    const char *chdir_to = NULL;
    /* --json and -q may stand anywhere before "--"; they are taken out here */
    int n = 1;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--json") == 0)
            c.json = 1;
        else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
            c.quiet = 1;
        else
            argv[n++] = argv[i];
    }
    for (; i < argc; i++)
        argv[n++] = argv[i];
    argc = n;
    argv[argc] = NULL;

    int a = 1;
    while (a < argc && argv[a][0] == '-') {
        if (strcmp(argv[a], "-C") == 0 && a + 1 < argc) {
            chdir_to = argv[a + 1];
            a += 2;
        } else if (strncmp(argv[a], "--db", 4) == 0) {
            cli_err("the PostgreSQL store is not available in this build yet; the ledger uses "
                    "SQLite");
            return EXIT_USAGE;
        } else if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            fputs(usage_text, stdout);
            return EXIT_OKAY;
        } else if (strcmp(argv[a], "--version") == 0) {
            printf("exante %s\n", EX_VERSION);
            return EXIT_OKAY;
        } else {
            cli_err("unknown option '%s'", argv[a]);
            fputs(usage_text, stderr);
            return EXIT_USAGE;
        }
    }
    if (a >= argc) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    if (chdir_to && chdir(chdir_to) != 0) {
        cli_err("cannot change to '%s': %s", chdir_to, strerror(errno));
        return EXIT_IO;
    }
    const char *env = getenv("EXANTE_DIR");
    c.dir = env && *env ? env : ".exante";
    if (strcmp(argv[a], "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OKAY;
    }
    for (const cli_command *cmd = commands; cmd->name; cmd++)
        if (strcmp(cmd->name, argv[a]) == 0)
            return cmd->run(&c, argc - a, argv + a);
    cli_err("unknown command '%s' (see 'exante --help')", argv[a]);
    return EXIT_USAGE;
}
