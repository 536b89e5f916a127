/* main.c - exante command: global options and dispatch. */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* usage: the head, the command table's summaries, the tail */
static const char usage_head[] =
    "usage: exante [-C DIR] [--json] [-q] COMMAND [ARGS]\n"
    "\n"
    "Training-data lineage ledger: decide before training, prove afterwards.\n"
    "\n"
    "commands:\n";

static const char usage_tail[] =
    "\n"
    "options:\n"
    "  -C DIR        run as if started in DIR\n"
    "  --json        print results as JSON\n"
    "  -q, --quiet   no progress or chatter\n"
    "  -h, --help    help (also after any command)\n"
    "  --version     print the version\n"
    "\n"
    "The ledger lives in $EXANTE_DIR, else ./.exante. EXANTE_PASSPHRASE unlocks an\n"
    "encrypted signing key. --db postgresql://... (anywhere on the line) or $EXANTE_DB\n"
    "puts its database in PostgreSQL ('exante init --db URL' records it in the directory);\n"
    "EXANTE_KEY names the signing key's file (default: key.pem in the directory).\n"
    "\n"
    "exit status: 0 ok; 1 a verification failed or the answer is no; 2 usage error or\n"
    "invalid input; 3 i/o or database error.\n";

/* The commands in the order --help lists them. summary: one line per form, "ARGS\tWHAT"
 * (ARGS may be empty); --help prints "  NAME ARGS" padded to a column, then WHAT. */
static const cli_command commands[] = {
    {"init", cmd_init, "[--origin NAME]\tnew ledger with a new Ed25519 signing key"},
    {"evidence", cmd_evidence, "add FILE --kind K\tlog the digest of an evidence document"},
    {"source", cmd_source,
     "add NAME --kind K\tregister a source (its terms and agreement logged)\n"
     "list\tthe sources, as JSONL"},
    {"policy", cmd_policy, "check|adopt FILE\tvalidate / adopt the policy (policy show: current)"},
    {"signals", cmd_signals, "add PATH...\tlog robots.txt and tdmrep.json captures"},
    {"optout", cmd_optout,
     "add --domain D ...\tlog a rights-holder opt-out (optout list)\n"
     "review ID accept|reject\tdecide a request the server took in (optout requests)"},
    {"ingest", cmd_ingest,
     "--source S PATH...\trecord items (files, JSONL[.gz|.zst], WARC[.gz])"},
    {"reevaluate", cmd_reevaluate, "\tdecide earlier items under the current policy"},
    {"why", cmd_why, "DIGEST|URL\tthe chain for one item (--json: offline proof)"},
    {"dups", cmd_dups, "DIGEST|URL\tan item's near-duplicate cluster and their decisions"},
    {"decisions", cmd_decisions, "[--verdict V] ...\tdecision records, as JSONL"},
    {"quarantine", cmd_quarantine, "list\trecords that could not be read, as JSONL"},
    {"log", cmd_log,
     "checkpoint\tprint the latest signed checkpoint\n"
     "prove-inclusion INDEX\tinclusion proof (JSON) [--size N]\n"
     "prove-consistency OLD NEW\tconsistency proof (JSON)\n"
     "entry INDEX\tprint an entry exactly as hashed\n"
     "verify\trecompute and check everything stored\n"
     "tiles --out DIR\texport the log as C2SP tlog-tiles"},
    {"key", cmd_key,
     "rotate\tnew signing key; a rotation record signed by both keys is logged\n"
     "rotations [--out FILE]\tthe rotation records (JSONL) for verifiers of an old key"},
    {"snapshot", cmd_snapshot,
     "create NAME [--from OLD]\tfreeze the admitted set (tree root logged)\n"
     "list | show NAME\tthe snapshots' records\n"
     "diff A B | export NAME\tdigests added and removed / all members\n"
     "audit NAME\trecompute the members from the ledger and check"},
    {"prove", cmd_prove,
     "NAME --digest D|--file F\t(non-)membership proof of content in a snapshot (JSON)\n"
     "NAME --text-file WORK --near\tproof that no member is a near-duplicate of WORK"},
    {"filter", cmd_filter,
     "--snapshot NAME [--out FILE] PATH...\tthe training feed: the members, byte for byte"},
    {"attest", cmd_attest,
     "run --snapshot S --weights W [--name M]\tbind a training run to snapshots (DSSE)"},
    {"verify", cmd_verify, "ENVELOPE [--weights W]\tcheck a training run's envelope offline"},
    {"models", cmd_models, "\tthe attested models, as JSONL"},
    {"lineage", cmd_lineage, "MODEL\tancestors and descendants of a model"},
    {"impact", cmd_impact,
     "--digest D|--url U|--file F|--optout I\tsnapshots and models the content reaches"},
    {"model", cmd_model,
     "retire MODEL --reason TEXT\tlog a remedy against a model\n"
     "show MODEL|INDEX\tthe DSSE envelope of its training run, as logged"},
    {"export", cmd_export,
     "spdx|cyclonedx|croissant --snapshot S|--model M\tSPDX 3, CycloneDX ML-BOM, Croissant\n"
     "eu-summary --model M [--provider F]\tthe EU public summary of training content\n"
     "copyright-policy\tthe copyright policy and the reservations honoured"},
    {"report", cmd_report, "[--out FILE]\tthe ledger on one HTML page (--json: its facts)"},
    {"serve", cmd_serve, "[--listen HOST:PORT] [--read-only]\tHTTP: tiles, proofs, API, opt-outs"},
    {"token", cmd_token, "add|list|revoke NAME\tpartner tokens for the server's opt-out intake"},
    {"witness", cmd_witness,
     "init --name NAME\ta witness's own key (C2SP tlog-cosignature)\n"
     "cosign --log-vkey K CP\tcosign a checkpoint consistent with the last one\n"
     "add NAME VKEY\ttrust a witness (list, remove; collect FILE: its cosignatures)"},
    {"verify-receipt", cmd_verify_receipt, "RECEIPT [--vkey KEY]\tcheck a server's receipt"},
    {"verify-proof", cmd_verify_proof,
     "FILE [--vkey KEY] [--text-file WORK]\tcheck a proof offline\n"
     "FILE --witness W [--rotations R]\tand its cosignatures; after key rotations"},
    {"license", cmd_license, "parse EXPR\tnormalise an SPDX expression (exit 2: invalid)"},
    {"robots", cmd_robots, "FILE AGENT URL\tcheck a URL (exit 0 allowed, 1 disallowed)"},
    {"iscc", cmd_iscc, "FILE [--bits N]\tthe ISCC Text-Code of a text (ISO 24138)"},
    {"demo", cmd_demo, "[--keep]\trun the chain on bundled sample data"},
    {"sample", cmd_sample, "--out DIR [--items N]\twrite the deterministic sample corpus"},
    {NULL, NULL, NULL},
};

static void
usage(FILE *f)
{
    fputs(usage_head, f);
    for (const cli_command *cmd = commands; cmd->name; cmd++) {
        for (const char *line = cmd->summary; *line;) {
            size_t n = strcspn(line, "\n"), args = strcspn(line, "\t");
            if (args > n)
                args = n; /* no tab: all of it is the description */
            char form[64];
            snprintf(form, sizeof form, "%s%s%.*s", cmd->name, args ? " " : "", (int)args, line);
            const char *what = line + args + (args < n);
            fprintf(f, "  %-31s %.*s\n", form, (int)(line + n - what), what);
            line += n + (line[n] == '\n');
        }
    }
    fputs(usage_tail, f);
}

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

/* The one map from library status to exit status (docs/EXIT-CODES.md). answer: for a
 * command that answers a question, where "not found" is the answer "no". */
static const struct {
    int rc;
    unsigned char exit, answer;
} exits[] = {
    {EX_OK, EXIT_OKAY, EXIT_OKAY},
    {EX_EVERIFY, EXIT_NO, EXIT_NO},
    {EX_EINVAL, EXIT_USAGE, EXIT_USAGE},
    {EX_EFORMAT, EXIT_USAGE, EXIT_USAGE},
    {EX_ERANGE, EXIT_USAGE, EXIT_USAGE},
    {EX_ENOTFOUND, EXIT_USAGE, EXIT_NO},
    {EX_EEXIST, EXIT_USAGE, EXIT_USAGE},
    {EX_ENOLEDGER, EXIT_USAGE, EXIT_USAGE},
    {EX_ETOOBIG, EXIT_USAGE, EXIT_USAGE},
    {EX_ENOMEM, EXIT_IO, EXIT_IO},
    {EX_EIO, EXIT_IO, EXIT_IO},
    {EX_EDB, EXIT_IO, EXIT_IO},
    {EX_ECRYPTO, EXIT_IO, EXIT_IO},
};

static int
exit_for(int rc, int answer)
{
    for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++)
        if (exits[i].rc == rc)
            return answer ? exits[i].answer : exits[i].exit;
    return EXIT_IO; /* a code this table does not know yet */
}

int
cli_exit(int rc)
{
    return exit_for(rc, 0);
}

int
cli_exit_answer(int rc)
{
    return exit_for(rc, 1);
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
    char *s = NULL;
    /* canonical form where it exists; values like timings (reals) print in jansson's
     * compact sorted form instead */
    if (ex_json_canonical_dup(v, &s, NULL, &e) != EX_OK)
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
    return cli_open_as(c, read_only, 0, out);
}

int
cli_open_as(cli *c, int read_only, int worker, ex_ledger **out)
{
    ex_err e = {0};
    const char *kf = getenv("EXANTE_KEY");
    ex_ledger_opts o = {.read_only = read_only, .passphrase = getenv("EXANTE_PASSPHRASE"),
                        .db = c->db, .key_file = kf && *kf ? kf : NULL, .worker = worker};
    int rc = ex_ledger_open(c->dir, &o, out, &e);
    if (rc != EX_OK) {
        cli_err("%s", e.msg);
        return cli_exit(rc);
    }
    return EXIT_OKAY;
}

/* data[0..len) into path: a temporary file beside it, renamed over it once complete; NULL:
 * standard output */
int
cli_write_out(const char *path, const char *data, size_t len, const char *what)
{
    if (!path) {
        if (fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0)
            return EXIT_OKAY;
        cli_err("%s: cannot write to standard output: %s", what, strerror(errno));
        return EXIT_IO;
    }
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 8);
    if (!tmp) {
        cli_err("%s: out of memory", what);
        return EXIT_IO;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".XXXXXX", 8);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        cli_err("%s: cannot create a file beside '%s': %s", what, path, strerror(errno));
        free(tmp);
        return EXIT_IO;
    }
    mode_t mask = umask(0);
    umask(mask);
    int ok = fchmod(fd, 0666 & ~mask) == 0; /* as an ordinary new file, not mkstemp's 0600 */
    for (size_t off = 0; ok && off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        off += ok ? (size_t)n : 0;
    }
    int e = errno;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = 0, e = errno;
    if (!ok) {
        cli_err("%s: cannot write '%s': %s", what, path, strerror(e ? e : errno));
        unlink(tmp);
    }
    free(tmp);
    return ok ? EXIT_OKAY : EXIT_IO;
}

/* the verifier key arg names (a key, or a file holding one), or l's when arg is NULL */
static int
vkey_of(ex_ledger *l, const char *arg, ex_vkey *out)
{
    ex_err e = {0};
    char buf[EX_VKEY_MAX + 2];
    if (!arg) {
        snprintf(buf, sizeof buf, "%s", ex_ledger_vkey(l));
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
    int rc = ex_vkey_parse(arg, out, &e);
    if (rc != EX_OK) {
        cli_err("%s", e.msg);
        return cli_exit(rc);
    }
    return EXIT_OKAY;
}

/* the ledger at c->dir, read-only, or NULL (with why in e) */
static ex_ledger *
open_reader(cli *c, ex_err *e)
{
    ex_ledger *l = NULL;
    ex_ledger_opts o = {.read_only = 1, .db = c->db};
    return ex_ledger_open(c->dir, &o, &l, e) == EX_OK ? l : NULL;
}

int
cli_load_vkey(cli *c, const char *arg, ex_vkey *out)
{
    return cli_load_keys(c, arg, NULL, out, NULL);
}

int
cli_load_keys(cli *c, const char *arg, const char *rotations, ex_vkey *vk, ex_key_chain **out)
{
    /* the ledger, opened once: for its key when none is given, for its rotation records when
     * no file of them is */
    ex_err e = {0};
    ex_ledger *l = !arg || (out && !rotations) ? open_reader(c, &e) : NULL;
    if (!arg && !l) {
        cli_err("no verifier key: give --vkey KEY (or run inside a ledger): %s", e.msg);
        return EXIT_USAGE;
    }
    int x = vkey_of(l, arg, vk);
    ex_key_chain *k = x == EXIT_OKAY && out ? calloc(1, sizeof *k) : NULL;
    if (x != EXIT_OKAY || !out) {
        ex_ledger_close(l);
        return x;
    }
    int rc = k ? ex_key_chain_build(vk, NULL, 0, k, &e) : EX_ENOMEM;
    if (rc == EX_OK && rotations) {
        char *text = NULL;
        size_t len = 0;
        if ((x = cli_read_file(rotations, 16u << 20, &text, &len)) == EXIT_OKAY &&
            (rc = ex_key_chain_from_jsonl(vk, text ? text : "", len, k, &e)) != EX_OK) {
            cli_err("%s: %s", rotations, e.msg);
            x = rc == EX_EVERIFY ? EXIT_NO : cli_exit(rc);
        }
        free(text);
    } else if (rc == EX_OK && l) {
        /* inside a ledger: its own rotation records, when they reach the trusted key */
        ex_key_chain *mine = calloc(1, sizeof *mine);
        if (mine && ex_ledger_key_chain(l, vk, mine) == EX_OK)
            *k = *mine;
        free(mine);
    } else if (rc != EX_OK) {
        cli_err("out of memory");
        x = EXIT_IO;
    }
    ex_ledger_close(l);
    if (x != EXIT_OKAY) {
        free(k);
        return x;
    }
    *out = k;
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

int
main(int argc, char **argv)
{
    cli c = {0};
    const char *chdir_to = NULL;
    /* OpenSSL 3.0 does not survive an allocation failing while it sets itself up: a lock
     * left unmade crashes a later call (found by tests/cli/test_faults.sh). Set it up, and
     * fetch SHA-256 once, first thing, so that this fragile part is all at the start (the
     * fault tests leave those allocations alone) and one that reports failure stops here */
    EVP_MD *md = OPENSSL_init_crypto(0, NULL) ? EVP_MD_fetch(NULL, "SHA256", NULL) : NULL;
    if (!md) {
        cli_err("cannot set up OpenSSL: out of memory");
        return EXIT_IO;
    }
    EVP_MD_free(md);
    /* --json, -q and --db URL may stand anywhere before "--"; they are taken out here */
    int n = 1;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--json") == 0)
            c.json = 1;
        else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
            c.quiet = 1;
        else if (strncmp(argv[i], "--db=", 5) == 0)
            c.db = argv[i] + 5, c.db_given = 1;
        else if (strcmp(argv[i], "--db") == 0) {
            if (i + 1 >= argc) {
                cli_err("--db needs a postgresql:// URL");
                return EXIT_USAGE;
            }
            c.db = argv[++i];
            c.db_given = 1;
        } else
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
        } else if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            usage(stdout);
            return EXIT_OKAY;
        } else if (strcmp(argv[a], "--version") == 0) {
            printf("exante %s\n", EX_VERSION);
            return EXIT_OKAY;
        } else {
            cli_err("unknown option '%s'", argv[a]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (a >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (chdir_to && chdir(chdir_to) != 0) {
        cli_err("cannot change to '%s': %s", chdir_to, strerror(errno));
        return EXIT_IO;
    }
    const char *env = getenv("EXANTE_DIR");
    c.dir = env && *env ? env : ".exante";
    if (!c.db && (env = getenv("EXANTE_DB")) && *env)
        c.db = env;
    if (strcmp(argv[a], "help") == 0) {
        usage(stdout);
        return EXIT_OKAY;
    }
    c.chdir = chdir_to, c.argc = argc - a, c.argv = argv + a;
    for (const cli_command *cmd = commands; cmd->name; cmd++)
        if (strcmp(cmd->name, argv[a]) == 0)
            return cmd->run(&c, argc - a, argv + a);
    cli_err("unknown command '%s' (see 'exante --help')", argv[a]);
    return EXIT_USAGE;
}

int
cli_input_option(int ch, const char *arg, cli_inputs *in)
{
    static const char *const formats[] = {"auto", "files", "jsonl", "warc"}; /* EX_FORMAT_* */
    switch (ch) {
    case 'f':
        for (int i = 0; i < 4; i++)
            if (strcmp(arg, formats[i]) == 0) {
                in->format = i;
                return 1;
            }
        return -1;
    case 'T': in->text = arg; return 1;
    case 'U': in->url = arg; return 1;
    case 'I': in->id = arg; return 1;
    case 'L': in->license = arg; return 1;
    case 'F': in->fetched = arg; return 1;
    default: return 0;
    }
}

