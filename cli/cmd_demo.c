/* cmd_demo.c - exante demo: the chain so far, on bundled sample documents, in a temporary
 * ledger. Every step is a library call the other commands also make. */
#include "cli.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: exante demo [--keep]\n"
    "\n"
    "Run the chain on bundled sample data in a temporary ledger: log three evidence\n"
    "documents (terms of service, a license agreement, a robots.txt capture), print the\n"
    "signed checkpoint, prove one entry's inclusion and verify the proof against the\n"
    "verifier key, check consistency with the first checkpoint, verify the whole log,\n"
    "and export it as C2SP tiles. --keep leaves the temporary directory in place.\n";

static const struct {
    const char *name, *kind, *note, *text;
} samples[] = {
    {"example-news-terms.txt", "terms", "terms of service captured 2026-06-01",
     "Example News - Terms of Use (captured 2026-06-01)\n"
     "4. Automated access. You may not use text and data mining, scraping or any automated\n"
     "means to collect content from this site for training machine-learning models without\n"
     "a written license from Example News.\n"},
    {"bookco-license-agreement.txt", "agreement", "signed corpus license, 2026-03-15",
     "Corpus License Agreement between BookCo Ltd (Licensor) and Exante Demo Lab (Licensee)\n"
     "1. Grant. Licensor grants Licensee a non-exclusive license to use the Licensed Corpus\n"
     "to train, evaluate and fine-tune machine-learning models.\n"
     "2. Term. Three years from 2026-03-15.\n"},
    {"blog.example.org-robots.txt", "robots", "robots.txt fetched 2026-05-20T08:00:00Z",
     "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"},
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
write_sample(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int
cmd_demo(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"keep", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int keep = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': keep = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "demo: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(usage, "demo: unexpected argument '%s'", argv[optind]);
    const char *tmp = getenv("TMPDIR");
    char root[4096], dir[4200], path[4300], tiles[4200];
    snprintf(root, sizeof root, "%s/exante-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        cli_err("cannot create a temporary directory: %s", strerror(errno));
        return EXIT_IO;
    }
    snprintf(dir, sizeof dir, "%s/ledger", root);
    snprintf(tiles, sizeof tiles, "%s/tiles", root);
    int x = EXIT_IO, rc;
    ex_err e = {0};
    ex_ledger *l = NULL;
    char *note = NULL, *first = NULL;
    size_t len;
    FILE *out = c->json ? stderr : stdout;

    ex_ledger_opts o = {.origin = "demo.exante.example/log"};
    if ((rc = ex_ledger_init(dir, &o, &l, &e)) != EX_OK) {
        cli_err("%s", e.msg);
        x = cli_exit(rc);
        goto out;
    }
    ex_log *g = ex_ledger_log(l);
    fprintf(out, "== a new ledger in %s\n   origin %s\n   vkey   %s\n", dir, ex_ledger_origin(l),
            ex_ledger_vkey(l));
    if (ex_log_checkpoint_dup(g, &first, &len) != EX_OK)
        goto logfail;

    fprintf(out, "\n== evidence logged before any data is ingested\n");
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, samples[i].name);
        if (write_sample(path, samples[i].text) != 0) {
            cli_err("cannot write '%s': %s", path, strerror(errno));
            goto out;
        }
        uint8_t d[EX_HASH_BYTES];
        uint64_t idx;
        char dig[72];
        if ((rc = ex_ledger_evidence_add(l, path, samples[i].kind, "demo", samples[i].note, d,
                                         &idx)) != EX_OK) {
            cli_err("%s", ex_ledger_errmsg(l));
            x = cli_exit(rc);
            goto out;
        }
        ex_digest_format(d, dig);
        fprintf(out, "   [%llu] %-9s %s  %s\n", (unsigned long long)idx, samples[i].kind, dig,
                samples[i].name);
    }

    if (ex_log_checkpoint_dup(g, &note, &len) != EX_OK)
        goto logfail;
    fprintf(out, "\n== signed checkpoint (C2SP tlog-checkpoint)\n%s", note);

    /* prove entry 1 and check it as an outsider would: the proof alone plus the vkey */
    uint64_t size = ex_log_size(g), index = 1;
    ex_log_proof p;
    memset(&p, 0, sizeof p);
    p.kind = EX_PROOF_INCLUSION;
    p.index = index;
    p.size = size;
    p.checkpoint = note;
    if (ex_log_prove_inclusion(g, index, size, p.proof, &p.n) != EX_OK ||
        ex_log_leaf_hash(g, index, p.leaf_hash) != EX_OK || ex_log_root(g, size, p.root) != EX_OK)
        goto logfail;
    ex_vkey vk;
    if (ex_vkey_parse(ex_ledger_vkey(l), &vk, &e) != EX_OK) {
        cli_err("%s", e.msg);
        goto out;
    }
    rc = ex_log_proof_verify(&p, &vk, &e);
    fprintf(out, "\n== inclusion proof of entry %llu in the tree of %llu: %zu hashes, %s\n",
            (unsigned long long)index, (unsigned long long)size, p.n,
            rc == EX_OK ? "verified against the vkey" : e.msg);
    if (rc != EX_OK) {
        x = EXIT_NO;
        goto out;
    }

    /* the first (empty-log) checkpoint cannot prove anything; prove 1 -> now instead */
    ex_log_proof q;
    memset(&q, 0, sizeof q);
    q.kind = EX_PROOF_CONSISTENCY;
    q.old = 1;
    q.new_size = size;
    if (ex_log_checkpoint_at_dup(g, 1, &q.old_checkpoint, &len) != EX_OK ||
        ex_log_prove_consistency(g, 1, size, q.proof, &q.n) != EX_OK ||
        ex_log_root(g, 1, q.old_root) != EX_OK || ex_log_root(g, size, q.root) != EX_OK) {
        free(q.old_checkpoint);
        goto logfail;
    }
    q.checkpoint = note;
    rc = ex_log_proof_verify(&q, &vk, &e);
    free(q.old_checkpoint);
    fprintf(out, "== consistency proof 1 -> %llu (the log only grew): %s\n",
            (unsigned long long)size, rc == EX_OK ? "verified" : e.msg);
    if (rc != EX_OK) {
        x = EXIT_NO;
        goto out;
    }

    uint64_t ne, nc;
    if ((rc = ex_log_verify(g, &vk, &ne, &nc)) != EX_OK) {
        cli_err("log verify: %s", ex_log_errmsg(g));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "== log verify: %llu entries and %llu checkpoints recomputed from storage: ok\n",
            (unsigned long long)ne, (unsigned long long)nc);
    uint64_t files;
    if (ex_log_write_tiles(g, tiles, &files) != EX_OK)
        goto logfail;
    fprintf(out, "== exported %llu static C2SP tlog-tiles files to %s\n",
            (unsigned long long)files, tiles);
    if (c->json) {
        uint8_t r[EX_HASH_BYTES];
        char b64[64];
        ex_log_root(g, size, r);
        ex_b64_encode(r, EX_HASH_BYTES, b64);
        json_t *j = json_object();
        json_object_set_new(j, "dir", json_string(dir));
        json_object_set_new(j, "origin", json_string(ex_ledger_origin(l)));
        json_object_set_new(j, "vkey", json_string(ex_ledger_vkey(l)));
        json_object_set_new(j, "size", json_integer((json_int_t)size));
        json_object_set_new(j, "root", json_string(b64));
        json_object_set_new(j, "checkpoint", json_string(note));
        json_object_set_new(j, "verified", json_true());
        cli_print_json(j);
    }
    x = EXIT_OKAY;
    goto out;
logfail:
    cli_err("%s", ex_log_errmsg(ex_ledger_log(l)));
    x = EXIT_IO;
out:
    free(note);
    free(first);
    ex_ledger_close(l);
    if (keep)
        fprintf(c->json ? stderr : stdout, "\nkept %s\n", root);
    else
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return x;
}
