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
    "and export it as C2SP tiles; then register two sources, ingest a generated sample\n"
    "corpus (JSONL.zst and a WARC crawl, with planted broken records), show the quarantine,\n"
    "explain one item with an offline-checked proof, freeze the admitted set as a snapshot\n"
    "(audited, with an offline-checked proof that the rejected item is not in it), filter\n"
    "the corpus into its training feed (the members only, byte for byte), attest a toy\n"
    "model trained on the snapshot and verify it with its weights, prove an admitted item's\n"
    "membership, show what the opt-out and that item reach (impact), write the model's EU\n"
    "training-content summary and the ledger's report, and verify the ledger against the log.\n"
    "--keep leaves the temporary directory in place; the summary and the report are kept in\n"
    "a directory of their own either way (printed; JSON key documents).\n"
    "\n"
    "usage: exante sample --out DIR [--items N] [--seed S]\n"
    "\n"
    "Write the deterministic sample corpus (corpus.jsonl.zst, crawl.warc.gz; default 2000\n"
    "items, seed 1) into DIR.\n";

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

/* ../shared/POLICY.md's example policy */
static const char demo_policy[] =
    "# exante policy\n"
    "name   commercial-lm-2026\n"
    "agents GPTBot CCBot ClaudeBot Google-Extended\n"
    "near   0.8\n"
    "\n"
    "reject optout\n"
    "reject tdm-reserved\n"
    "reject robots-disallowed\n"
    "reject noai\n"
    "reject source ml-use=prohibited\n"
    "admit  source agreement\n"
    "reject license CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-NC-ND-4.0\n"
    "admit  license MIT Apache-2.0 BSD-2-Clause BSD-3-Clause CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0\n"
    "reject *  \"no lawful basis recorded\"\n";

/* a proof document checked as an outsider would: parsed, then verified with the vkey alone;
 * doc is freed, *p is the caller's to clear */
static int
check_doc(char *doc, size_t len, const ex_vkey *vk, ex_log_proof *p, ex_err *e)
{
    int rc = ex_log_proof_parse(doc, len, p, e);
    free(doc);
    return rc == EX_OK ? ex_log_proof_verify(p, vk, e) : rc;
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
    /* the documents it writes for the outside world outlive the temporary ledger */
    char outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/exante-documents-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(outdir)) {
        cli_err("cannot create a directory for the demo's documents: %s", strerror(errno));
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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
    if ((rc = ex_log_checkpoint_dup(g, &first, &len)) != EX_OK)
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
        char dig[EX_DIGEST_STR_BYTES];
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

    if ((rc = ex_log_checkpoint_dup(g, &note, &len)) != EX_OK)
        goto logfail;
    fprintf(out, "\n== signed checkpoint (C2SP tlog-checkpoint)\n%s", note);

    /* prove entry 1 and check it as an outsider would: the document alone plus the vkey */
    uint64_t size = ex_log_size(g), index = 1;
    ex_vkey vk;
    if ((rc = ex_vkey_parse(ex_ledger_vkey(l), &vk, &e)) != EX_OK) {
        cli_err("%s", e.msg);
        x = cli_exit(rc);
        goto out;
    }
    char *pdoc;
    size_t plen;
    if ((rc = ex_log_inclusion_doc_dup(g, index, size, &pdoc, &plen)) != EX_OK)
        goto logfail;
    ex_log_proof p;
    rc = check_doc(pdoc, plen, &vk, &p, &e);
    fprintf(out, "\n== inclusion proof of entry %llu in the tree of %llu: %zu hashes, %s\n",
            (unsigned long long)index, (unsigned long long)size, p.n,
            rc == EX_OK ? "verified against the vkey" : e.msg);
    ex_log_proof_clear(&p);
    if (rc != EX_OK) {
        x = cli_exit(rc);
        goto out;
    }

    /* the first (empty-log) checkpoint cannot prove anything; prove 1 -> now instead */
    if ((rc = ex_log_consistency_doc_dup(g, 1, size, &pdoc, &plen)) != EX_OK)
        goto logfail;
    ex_log_proof q;
    rc = check_doc(pdoc, plen, &vk, &q, &e);
    ex_log_proof_clear(&q);
    fprintf(out, "== consistency proof 1 -> %llu (the log only grew): %s\n",
            (unsigned long long)size, rc == EX_OK ? "verified" : e.msg);
    if (rc != EX_OK) {
        x = cli_exit(rc);
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
    ex_tiles_count files;
    if ((rc = ex_log_write_tiles(g, tiles, 0, &files)) != EX_OK)
        goto logfail;
    fprintf(out, "== exported %llu static C2SP tlog-tiles files to %s\n",
            (unsigned long long)files.written, tiles);

    /* ingest: a generated sample corpus (JSONL.zst and a WARC crawl) under two sources */
    char sample[4200], jsonl[4300], crawl[4300];
    snprintf(sample, sizeof sample, "%s/sample", root);
    snprintf(jsonl, sizeof jsonl, "%s/corpus.jsonl.zst", sample);
    snprintf(crawl, sizeof crawl, "%s/crawl.warc.gz", sample);
    if ((rc = ex_sample_write(sample, 2000, 1, &e)) != EX_OK) {
        cli_err("%s", e.msg);
        x = cli_exit(rc);
        goto out;
    }
    snprintf(path, sizeof path, "%s/example-news-terms.txt", root);
    ex_source_opts web = {.kind = "crawl", .terms = path, .note = "demo crawl"};
    snprintf(dir, sizeof dir, "%s/bookco-license-agreement.txt", root);
    ex_source_opts books = {.kind = "licensed", .agreement = dir, .license = "CC-BY-4.0",
                            .ml_use = "allowed"};
    if ((rc = ex_ledger_source_add(l, "web", &web, NULL)) != EX_OK ||
        (rc = ex_ledger_source_add(l, "bookco", &books, NULL)) != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "\n== sources 'web' (crawl, terms logged) and 'bookco' (licensed, agreement logged)\n");
    /* the policy of POLICY.md, adopted before anything is ingested: ex ante */
    char pdig[EX_DIGEST_STR_BYTES];
    uint64_t pidx;
    ex_policy_diag pd;
    if ((rc = ex_ledger_policy_adopt(l, demo_policy, strlen(demo_policy), pdig, &pidx, &pd)) !=
        EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "== policy adopted before ingest: %s (log index %llu)\n%s", pdig,
            (unsigned long long)pidx, demo_policy);
    /* the crawl's robots.txt and tdmrep.json responses become captures per host and time */
    const char *in_sig[] = {crawl};
    ex_signals_stats ss;
    if ((rc = ex_ledger_signals_add(l, in_sig, 1, NULL, &ss)) != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "== signals: %llu robots.txt and %llu tdmrep.json captures logged from the crawl\n",
            (unsigned long long)ss.robots, (unsigned long long)ss.tdmrep);
    const char *in_books[] = {jsonl}, *in_web[] = {crawl};
    ex_ingest_opts io = {.source = "bookco"};
    ex_ingest_stats s1, s2;
    if ((rc = ex_ledger_ingest(l, in_books, 1, &io, &s1)) != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    io.source = "web";
    if ((rc = ex_ledger_ingest(l, in_web, 1, &io, &s2)) != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    const ex_ingest_stats *ss2[2] = {&s1, &s2};
    const char *names[2] = {"corpus.jsonl.zst", "crawl.warc.gz"};
    for (int k = 0; k < 2; k++) {
        const ex_ingest_stats *st = ss2[k];
        fprintf(out, "== ingested %-17s %llu items: %llu admitted, %llu rejected, %llu duplicates, "
                     "%llu quarantined\n",
                names[k], (unsigned long long)st->items, (unsigned long long)st->admitted,
                (unsigned long long)st->rejected, (unsigned long long)st->duplicates,
                (unsigned long long)st->quarantined);
        for (size_t i = 0; i < st->nrules; i++)
            fprintf(out, "     %-10s %llu\n", st->by_rule[i].id,
                    (unsigned long long)st->by_rule[i].count);
    }
    /* a rights holder opts out afterwards: earlier decisions stay, reevaluate records new ones */
    ex_optout_opts oo = {.domain = "shop.example.net", .holder = "Example Shop Ltd"};
    uint64_t oidx;
    char odig[EX_DIGEST_STR_BYTES];
    ex_ingest_stats rs;
    if ((rc = ex_ledger_optout_add(l, &oo, &oidx, odig)) != EX_OK ||
        (rc = ex_ledger_reevaluate(l, &rs)) != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "== opt-out of shop.example.net logged (index %llu); reevaluate: %llu new decisions "
                 "(%llu admitted, %llu rejected), the old ones kept as history\n",
            (unsigned long long)oidx, (unsigned long long)(rs.admitted + rs.rejected),
            (unsigned long long)rs.admitted, (unsigned long long)rs.rejected);
    for (size_t i = 0; i < rs.nrules; i++)
        fprintf(out, "     %-10s %llu\n", rs.by_rule[i].id, (unsigned long long)rs.by_rule[i].count);
    char *ql;
    size_t qlen;
    if (ex_ledger_quarantine_dup(l, &ql, &qlen) == EX_OK) {
        fprintf(out, "   quarantined, with file, offset and reason:\n");
        for (char *line = strtok(ql, "\n"); line; line = strtok(NULL, "\n")) {
            json_t *qr = json_loads(line, 0, NULL);
            const char *f = json_string_value(json_object_get(qr, "file"));
            fprintf(out, "   - %s @%lld: %s\n", f ? strrchr(f, '/') + 1 : "?",
                    (long long)json_integer_value(json_object_get(qr, "offset")),
                    json_string_value(json_object_get(qr, "reason")));
            json_decref(qr);
        }
        free(ql);
    }
    /* why, and its proof checked as an outsider would */
    char *doc;
    size_t dlen;
    /* a page robots.txt keeps GPTBot away from (rule line:8) */
    char *dl = NULL, why_key[80] = "https://blog.example.org/robots.txt";
    size_t dll;
    if (ex_ledger_decisions_dup(l, "reject", "line:8", "web", 1, &dl, &dll) == EX_OK && dl) {
        json_t *d1 = json_loads(dl, 0, NULL);
        const char *dg = json_string_value(json_object_get(d1, "digest"));
        if (dg)
            snprintf(why_key, sizeof why_key, "%s", dg);
        json_decref(d1);
    }
    free(dl);
    if ((rc = ex_ledger_why_dup(l, why_key, &doc, &dlen)) != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    ex_log_proof wp;
    rc = ex_log_proof_parse(doc, dlen, &wp, &e);
    if (rc == EX_OK)
        rc = ex_log_proof_verify(&wp, &vk, &e);
    ex_log_proof_clear(&wp);
    json_t *wj = json_loads(doc, 0, NULL);
    json_t *wi = json_loads(json_string_value(json_object_get(wj, "item")), 0, NULL);
    const char *wurl = json_string_value(json_object_get(wi, "url"));
    fprintf(out, "\n== why %s:\n   %s by rule %s: %s\n   batch in log entry %lld; its %zu-byte "
                 "proof %s\n",
            wurl ? wurl : why_key,
            json_string_value(json_object_get(wj, "verdict")),
            json_string_value(json_object_get(wj, "rule")),
            json_string_value(json_object_get(wj, "reason")),
            (long long)json_integer_value(json_object_get(wj, "log_index")), dlen,
            rc == EX_OK ? "verifies offline against the vkey" : e.msg);
    json_decref(wi);
    json_decref(wj);
    free(doc);
    if (rc != EX_OK) {
        x = cli_exit(rc);
        goto out;
    }
    /* the training set, frozen and audited; the rejected item's non-membership, proved */
    uint64_t sidx = 0, members = 0;
    if ((rc = ex_ledger_snapshot_create(l, "demo-train", NULL, NULL, NULL, &sidx)) != EX_OK ||
        (rc = ex_ledger_snapshot_audit(l, "demo-train", &members)) != EX_OK) {
        cli_err("snapshot: %s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "\n== snapshot demo-train: %llu members, its record at log index %llu; the audit "
                 "recomputed them from the decisions and opt-outs\n",
            (unsigned long long)members, (unsigned long long)sidx);
    uint8_t nd[EX_HASH_BYTES];
    int member = 1;
    if (ex_digest_parse(why_key, nd) == EX_OK) {
        if ((rc = ex_ledger_snapshot_prove_dup(l, "demo-train", nd, &doc, &dlen, &member)) !=
            EX_OK) {
            cli_err("prove: %s", ex_ledger_errmsg(l));
            x = cli_exit(rc);
            goto out;
        }
        ex_log_proof sp;
        rc = check_doc(doc, dlen, &vk, &sp, &e);
        ex_log_proof_clear(&sp);
        fprintf(out, "   the rejected item is %s it: a %zu-byte %s proof %s\n",
                member ? "in" : "not in", dlen, member ? "membership" : "non-membership",
                rc == EX_OK ? "verifies offline against the vkey" : e.msg);
        if (rc != EX_OK) {
            x = cli_exit(rc);
            goto out;
        }
    }
    /* the training feed: the corpus read again, only the snapshot's members passed on */
    char feed[4300];
    snprintf(feed, sizeof feed, "%s/feed.jsonl.zst", root);
    const char *in_feed[] = {jsonl};
    ex_filter_opts fo = {.snapshot = "demo-train", .out = feed};
    ex_filter_stats fs;
    if ((rc = ex_ledger_filter(l, in_feed, 1, &fo, &fs)) != EX_OK) {
        cli_err("filter: %s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "== training feed: corpus.jsonl.zst read again; %llu of its %llu lines passed on "
                 "byte for byte to feed.jsonl.zst, %llu dropped (not members), %llu unreadable\n",
            (unsigned long long)fs.passed, (unsigned long long)fs.records,
            (unsigned long long)fs.not_member, (unsigned long long)fs.unreadable);
    if ((x = cli_demo_train(l, &vk, root, outdir, oidx, out)) != EXIT_OKAY)
        goto out;
    x = EXIT_IO;
    ex_ledger_counts cnt;
    if ((rc = ex_ledger_verify(l, &vk, &cnt)) != EX_OK) {
        cli_err("log verify: %s", ex_ledger_errmsg(l));
        x = cli_exit(rc);
        goto out;
    }
    fprintf(out, "== log verify: %llu entries, %llu batches, %llu decisions, %llu items match "
                 "the signed log\n",
            (unsigned long long)cnt.entries, (unsigned long long)cnt.batches,
            (unsigned long long)cnt.decisions, (unsigned long long)cnt.items);
    size = ex_log_size(g);
    free(note);
    note = NULL;
    if ((rc = ex_log_checkpoint_dup(g, &note, &len)) != EX_OK)
        goto logfail;
    fprintf(out, "\n== final checkpoint\n%s", note);
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
        json_object_set_new(j, "documents", json_string(outdir));
        cli_print_json(j);
    }
    x = EXIT_OKAY;
    goto out;
logfail:
    cli_err("%s", ex_log_errmsg(ex_ledger_log(l)));
    x = cli_exit(rc);
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

int
cmd_sample(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"items", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    uint64_t items = 2000, seed = 1;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'n':
            if (cli_parse_u64(optarg, &items) || items < 10 || items > 100000000)
                return cli_usage(usage, "sample: --items takes 10..100000000");
            break;
        case 's':
            if (cli_parse_u64(optarg, &seed))
                return cli_usage(usage, "sample: --seed takes a number");
            break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "sample: bad option '%s'", argv[optind - 1]);
        }
    }
    if (!out || optind != argc)
        return cli_usage(usage, "sample: --out DIR is required");
    ex_err e = {0};
    int rc = ex_sample_write(out, items, seed, &e);
    if (rc != EX_OK) {
        cli_err("%s", e.msg);
        return cli_exit(rc);
    }
    if (!c->quiet)
        printf("wrote %s/corpus.jsonl.zst and %s/crawl.warc.gz\n", out, out);
    return EXIT_OKAY;
}
