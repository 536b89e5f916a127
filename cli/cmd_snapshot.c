/* cmd_snapshot.c - exante snapshot create|list|show|diff|export|audit */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: exante snapshot create NAME [--from OLD]\n"
    "       exante snapshot list\n"
    "       exante snapshot show NAME\n"
    "       exante snapshot diff A B\n"
    "       exante snapshot export NAME\n"
    "       exante snapshot tiles NAME --out DIR [--incremental]\n"
    "       exante snapshot audit NAME [--tiles DIR]\n"
    "\n"
    "A snapshot is the frozen set of content a training run may read: the digests whose\n"
    "latest decision is admit and that no opt-out reaches, as of the current log size,\n"
    "sorted into an RFC 9162 tree whose root is logged (format: PROOFS.md). --from OLD keeps\n"
    "only the members of OLD that still qualify (the clean-room set after opt-outs).\n"
    "'list' prints the records as JSONL, 'show' one record (with what changed against its\n"
    "parent), 'diff' the digests added and removed from A to B as JSONL, 'export' the sorted\n"
    "digests one per line, and 'audit' recomputes the members from the ledger as of the\n"
    "record's log size and checks the stored leaves and root (exit 1 names the first\n"
    "difference). 'tiles' writes the tree as C2SP tlog-tiles (entries: the 32-byte digests)\n"
    "with the record beside them (DIR/snapshot), every file atomically and the record last;\n"
    "with --incremental, files already in DIR with the right size are kept (a second export\n"
    "writes nothing; another snapshot's record there: exit 1, nothing written).\n"
    "'audit --tiles DIR' checks such published tiles alone, no ledger needed: hash tiles,\n"
    "strictly ascending entries, the record's root.\n"
    "'exante prove' and 'exante verify-proof' give and check proofs.\n";

static int
print_digest(void *ctx, const uint8_t d[EX_HASH_BYTES])
{
    (void)ctx;
    char s[EX_DIGEST_STR_BYTES];
    ex_digest_format(d, s);
    return puts(s) < 0 ? EX_EIO : EX_OK;
}

static int
print_change(void *ctx, int added, const uint8_t d[EX_HASH_BYTES])
{
    (void)ctx;
    char s[EX_DIGEST_STR_BYTES];
    ex_digest_format(d, s);
    return printf("{\"change\":\"%s\",\"digest\":\"%s\"}\n", added ? "added" : "removed", s) < 0
               ? EX_EIO
               : EX_OK;
}

/* an audit that passed: --json {members, name, ok}, else `text` */
static void
audit_ok(cli *c, const char *name, uint64_t n, const char *text)
{
    if (!c->json) {
        fputs(text, stdout);
        return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "members", json_integer((json_int_t)n));
    json_object_set_new(j, "name", json_string(name));
    json_object_set_new(j, "ok", json_true());
    cli_print_json(j);
}

/* run one subcommand on the open ledger; the exit code */
static int
run(cli *c, ex_ledger *l, const char *sub, char **args, const char *from, const char *dir,
    int incremental)
{
    char *out = NULL;
    size_t len = 0;
    int rc;
    if (strcmp(sub, "list") == 0) {
        rc = ex_ledger_snapshots_dup(l, &out, &len);
        return cli_emit(l, rc, out, len);
    }
    if (strcmp(sub, "show") == 0) {
        rc = ex_ledger_snapshot_show_dup(l, args[0], &out, &len);
        if (rc == EX_OK)
            puts(out);
        free(out);
    } else if (strcmp(sub, "export") == 0)
        rc = ex_ledger_snapshot_members(l, args[0], print_digest, NULL);
    else if (strcmp(sub, "diff") == 0)
        rc = ex_ledger_snapshot_diff(l, args[0], args[1], print_change, NULL, NULL, NULL);
    else if (strcmp(sub, "tiles") == 0) {
        ex_tiles_count n = {0};
        rc = ex_ledger_snapshot_tiles(l, args[0], dir, incremental ? EX_TILES_INCREMENTAL : 0,
                                      &n);
        if (rc == EX_OK && c->json) {
            json_t *j = json_object();
            json_object_set_new(j, "dir", json_string(dir));
            json_object_set_new(j, "files", json_integer((json_int_t)n.written));
            json_object_set_new(j, "kept", json_integer((json_int_t)n.kept));
            cli_print_json(j);
        } else if (rc == EX_OK && incremental)
            printf("wrote %llu files (%llu kept) under %s\n", (unsigned long long)n.written,
                   (unsigned long long)n.kept, dir);
        else if (rc == EX_OK)
            printf("wrote %llu files under %s\n", (unsigned long long)n.written, dir);
    } else if (strcmp(sub, "audit") == 0) {
        uint64_t n = 0;
        char text[512];
        rc = ex_ledger_snapshot_audit(l, args[0], &n);
        snprintf(text, sizeof text,
                 "snapshot '%s': %llu members, leaves ascending, root and members recomputed "
                 "from the ledger: ok\n",
                 args[0], (unsigned long long)n);
        if (rc == EX_OK)
            audit_ok(c, args[0], n, text);
    } else {
        uint64_t index = 0;
        rc = ex_ledger_snapshot_create(l, args[0], from, &out, &len, &index);
        if (rc == EX_OK && c->json) {
            fwrite(out, 1, len, stdout);
            putchar('\n');
        } else if (rc == EX_OK) {
            printf("snapshot '%s' logged at index %llu: %s\n", args[0],
                   (unsigned long long)index, out);
        }
        free(out);
    }
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    ex_ledger_close(l);
    return cli_exit(rc);
}

int
cmd_snapshot(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"tiles", required_argument, NULL, 't'},
        {"incremental", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        const char *name;
        int nargs, writes;
    } subs[] = {{"create", 1, 1}, {"list", 0, 0},   {"show", 1, 0}, {"diff", 2, 0},
                {"export", 1, 0}, {"tiles", 1, 0}, {"audit", 1, 0}};
    const char *sub;
    int go = cli_subcommand(&argc, &argv, usage, "snapshot",
                            "'create', 'list', 'show', 'diff', 'export', 'tiles' or 'audit'", &sub);
    if (go != CLI_GO)
        return go;
    const char *from = NULL, *dir = NULL, *tiles = NULL;
    int ch, incremental = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f': from = optarg; break;
        case 'o': dir = optarg; break;
        case 't': tiles = optarg; break;
        case 'i': incremental = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "snapshot %s: bad option '%s'", sub, argv[optind - 1]);
        }
    }
    size_t k = 0;
    while (k < sizeof subs / sizeof subs[0] && strcmp(subs[k].name, sub) != 0)
        k++;
    if (k == sizeof subs / sizeof subs[0])
        return cli_usage(usage, "snapshot: unknown subcommand '%s'", sub);
    if (argc - optind != subs[k].nargs)
        return cli_usage(usage, "snapshot %s: expected %s", sub,
                         subs[k].nargs == 0   ? "no arguments"
                         : subs[k].nargs == 1 ? "one NAME"
                                              : "two names, A and B");
    if (from && strcmp(sub, "create") != 0)
        return cli_usage(usage, "snapshot %s: --from goes with create", sub);
    if (!dir != (strcmp(sub, "tiles") != 0))
        return cli_usage(usage, "snapshot %s: --out DIR goes with tiles (and it needs one)", sub);
    if (tiles && strcmp(sub, "audit") != 0)
        return cli_usage(usage, "snapshot %s: --tiles goes with audit", sub);
    if (incremental && strcmp(sub, "tiles") != 0)
        return cli_usage(usage, "snapshot %s: --incremental goes with tiles", sub);
    if (tiles) { /* published tiles alone: no ledger */
        ex_err e = {0};
        uint64_t n = 0;
        int rc = ex_snapshot_audit_tiles(tiles, argv[optind], &n, &e);
        if (rc != EX_OK) {
            cli_err("%s", e.msg);
            return cli_exit(rc);
        }
        char text[4400];
        snprintf(text, sizeof text,
                 "tiles of snapshot '%s' under %s: %llu entries, strictly ascending, hash tiles "
                 "and root agree: ok\n",
                 argv[optind], tiles, (unsigned long long)n);
        audit_ok(c, argv[optind], n, text);
        return EXIT_OKAY;
    }
    ex_ledger *l;
    int x = cli_open(c, !subs[k].writes, &l);
    if (x != EXIT_OKAY)
        return x;
    return run(c, l, sub, argv + optind, from, dir, incremental);
}

static const char prove_usage[] =
    "usage: exante prove NAME (--digest DIGEST | --file FILE | --text-file FILE)\n"
    "       exante prove NAME --text-file WORK --near\n"
    "\n"
    "A proof that content is, or is not, a member of snapshot NAME (PROOFS.md): the\n"
    "snapshot's record with its inclusion in the log and the signed checkpoint, and the\n"
    "leaves that show membership (the content's own) or non-membership (its two neighbours,\n"
    "or the first or last leaf). Printed as one JSON document; 'exante verify-proof' checks\n"
    "it offline with the log's verifier key. --file hashes the file's bytes as ingest does a\n"
    "file or a WARC payload; --text-file hashes a text as ingest does a JSONL text field (it\n"
    "must be UTF-8; every byte counts, a final newline too).\n"
    "\n"
    "--near proves instead that no member is a near-duplicate of the text WORK: for each of\n"
    "its MinHash band keys, its absence from the snapshot's tree of its members' band keys\n"
    "(docs/FORMATS.md \"Near-dup-free proofs\"); 'exante verify-proof PROOF --text-file WORK'\n"
    "checks it. Members without a fingerprint (no text, or ingested before fingerprints) are\n"
    "not covered: the snapshot's record counts them. When a band key is present the proof\n"
    "shows it, the band and the members holding it are named on stderr, and the exit is 1.\n";

static int
print_match(void *ctx, unsigned band, const uint8_t d[EX_HASH_BYTES])
{
    const char *name = ctx;
    char s[EX_DIGEST_STR_BYTES];
    ex_digest_format(d, s);
    fprintf(stderr, "exante: band %u of the work is held by member %s of snapshot '%s'\n", band,
            s, name);
    return EX_OK;
}

/* prove NAME --text-file WORK --near: the exit code */
static int
prove_near(cli *c, const char *name, const char *text, size_t len)
{
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    ex_snapshot_near *s = NULL;
    ex_near_verdict v = {0};
    char *doc = NULL;
    size_t dlen = 0;
    uint64_t found = 0;
    int rc = ex_ledger_snapshot_near_open(l, name, &s);
    if (rc == EX_OK)
        rc = ex_snapshot_near_prove_dup(s, text, len, &doc, &dlen, &v);
    if (rc == EX_OK) {
        fwrite(doc, 1, dlen, stdout);
        putchar('\n');
        fflush(stdout);
    }
    if (rc == EX_OK && v.dup) {
        fprintf(stderr,
                "exante: a near-duplicate in snapshot '%s': %u of the work's %u band keys are "
                "in its near tree (the first: band %u)\n",
                name, v.present, v.bands, v.first_present);
        rc = ex_snapshot_near_matches(s, text, len, print_match, (void *)name, &found);
        if (rc == EX_OK && found == 0)
            fprintf(stderr, "exante: no member holding them was found among the ledger's "
                            "fingerprints\n");
    } else if (rc == EX_OK && !c->quiet) {
        fprintf(stderr,
                "exante: near-dup-free of snapshot '%s': none of the work's %u band keys is "
                "among the %llu of its %llu members with a fingerprint\n",
                name, v.bands, (unsigned long long)v.size, (unsigned long long)v.fingerprinted);
    }
    if (rc == EX_OK && v.unfingerprinted && !c->quiet)
        fprintf(stderr,
                "exante: members of the snapshot without a fingerprint (no text, or ingested "
                "before fingerprints): %llu; the proof says nothing about them\n",
                (unsigned long long)v.unfingerprinted);
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    free(doc);
    ex_snapshot_near_close(s);
    ex_ledger_close(l);
    if (rc == EX_OK && v.dup)
        return EXIT_NO;
    return cli_exit(rc);
}

int
cmd_prove(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"digest", required_argument, NULL, 'd'},
        {"file", required_argument, NULL, 'f'},
        {"text-file", required_argument, NULL, 't'},
        {"near", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dig = NULL, *file = NULL, *text = NULL;
    int ch, near = 0;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': dig = optarg; break;
        case 'f': file = optarg; break;
        case 't': text = optarg; break;
        case 'n': near = 1; break;
        case 'h': fputs(prove_usage, stdout); return EXIT_OKAY;
        default: return cli_usage(prove_usage, "prove: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(prove_usage, "prove: expected one snapshot NAME");
    if (!!dig + !!file + !!text != 1)
        return cli_usage(prove_usage, "prove: give one of --digest, --file, --text-file");
    if (near && !text)
        return cli_usage(prove_usage, "prove: --near goes with --text-file WORK");
    uint8_t d[EX_HASH_BYTES];
    if (dig && ex_digest_parse(dig, d) != EX_OK)
        return cli_usage(prove_usage, "prove: '%s' is not a sha256:<64 hex> digest", dig);
    if (file || text) {
        char *data = NULL;
        size_t len = 0;
        int x = cli_read_file(file ? file : text, 0, &data, &len);
        if (x != EXIT_OKAY)
            return x;
        ex_sha256 *h = NULL;
        int rc = ex_sha256_new(&h);
        if (rc == EX_OK && text && !ex_utf8_valid(data, len)) {
            free(data);
            ex_sha256_free(h);
            cli_err("prove: '%s' is not UTF-8 text: a JSONL text field cannot hold it", text);
            return EXIT_USAGE;
        }
        if (rc == EX_OK && near) {
            ex_sha256_free(h);
            int px = prove_near(c, argv[optind], data, len);
            free(data);
            return px;
        }
        if (rc == EX_OK)
            rc = ex_sha256_digest(h, data, len, d);
        free(data);
        ex_sha256_free(h);
        if (rc != EX_OK) {
            cli_err("prove: cannot hash: %s", ex_strerror(rc));
            return cli_exit(rc);
        }
    }
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *doc = NULL;
    size_t dlen = 0;
    int member = 0;
    int rc = ex_ledger_snapshot_prove_dup(l, argv[optind], d, &doc, &dlen, &member);
    if (rc == EX_OK) {
        fwrite(doc, 1, dlen, stdout);
        putchar('\n');
        if (!c->quiet)
            fprintf(stderr, "exante: %s of snapshot '%s'\n", member ? "a member" : "not a member",
                    argv[optind]);
    } else {
        cli_err("%s", ex_ledger_errmsg(l));
    }
    free(doc);
    ex_ledger_close(l);
    return cli_exit(rc);
}
