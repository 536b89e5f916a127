/* cmd_ingest.c - exante ingest, why, decisions, quarantine list */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: exante ingest --source NAME [--format auto|files|jsonl|warc] [--text-field F]\n"
    "                     [--url-field F] [--id-field F] [--license-field F]\n"
    "                     [--fetched-field F] [--batch N] [--jobs N] [--strict] PATH...\n"
    "       exante ingest --source NAME [options] --inputs LIST_FILE [--shard I/N | --shards N]\n"
    "                     [--worker NAME] [--lease SECONDS]\n"
    "\n"
    "Record every item of the inputs (files, directories, .jsonl[.gz|.zst], .warc[.gz]) with\n"
    "its provenance and a decision, in batches committed to the log. JSONL fields default to\n"
    "text, url, id, license, fetched (dotted paths reach nested objects). Unreadable records\n"
    "are quarantined with file, offset and reason; the run goes on unless --strict is given\n"
    "(then the first one stops it, exit 2). Running the same inputs again adds nothing, and\n"
    "completes a run that was interrupted.\n"
    "\n"
    "--inputs LIST_FILE takes the inputs from a list ('-': standard input) instead of PATHs:\n"
    "one path a line (relative to the current directory), blank lines and lines starting\n"
    "with '#' left out. --shard I/N ingests only shard I of N (0-based): the k-th entry of\n"
    "the list (from 0, entries only) belongs to shard k mod N, so entries appended to a list\n"
    "keep the others where they were. Without --shard, a Slurm job array task takes its\n"
    "shard from SLURM_ARRAY_TASK_ID, _MIN, _STEP and _COUNT, and a Kubernetes Indexed Job\n"
    "from JOB_COMPLETION_INDEX and --shards N (its completions); otherwise the whole list.\n"
    "\n"
    "JSON summary keys: items, admitted, rejected, pending, duplicates, quarantined, skipped,\n"
    "bytes, seconds, by_rule, checkpoint (size, root), complete; with --inputs also shard\n"
    "(\"I/N\"), inputs_selected and inputs_listed. A run that fails part-way counts only what\n"
    "was committed and adds committed, not_committed and resume (the command that resumes).\n"
    "\n"
    "In a shared ledger (--db postgresql://...), ingest --inputs is a worker: it stages its\n"
    "shard for 'exante log sequence' rather than deciding and logging, one input at a time\n"
    "under a lease (--lease SECONDS, default 60, renewed by every staged batch) that names\n"
    "it (--worker NAME, default host:pid); it needs no signing key. It waits for inputs of\n"
    "its shard that another worker holds, then takes over any input of the list whose lease\n"
    "expired (its worker died) from where that worker's last staged batch ended. A worker\n"
    "reads one input at a time on one thread (--jobs does not apply): run more workers.\n"
    "Each item is decided by the adopted policy (first matching rule); with no policy adopted\n"
    "new items are recorded as pending until 'exante reevaluate'.\n";

/* the inputs of an --inputs run: this shard's entries of the list */
typedef struct listed {
    char **paths;
    size_t n;
    uint64_t total; /* entries in the whole list */
    ex_shard shard;
} listed;

static void summary(cli *c, ex_ledger *l, const ex_ingest_stats *st, double secs, int rc,
                    const listed *ls);

typedef struct bar {
    int on;
    struct timespec t0;
} bar;

static double
since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
progress(void *ctx, const ex_ingest_stats *st, uint64_t total)
{
    bar *b = ctx;
    if (!b->on)
        return;
    double s = since(&b->t0), rate = s > 0 ? (double)st->items / s : 0;
    fprintf(stderr, "\r%llu items  %.1f MB  %.0f items/s  %llu quarantined",
            (unsigned long long)st->items, (double)st->bytes / 1e6, rate,
            (unsigned long long)st->quarantined);
    if (total && st->input_bytes) {
        double done = (double)st->input_bytes / (double)total;
        fprintf(stderr, "  %.0f%%", 100.0 * done);
        if (done > 0.01 && done < 1) {
            double eta = s * (1 - done) / done;
            fprintf(stderr, "  ETA %d:%02d", (int)(eta / 60), (int)eta % 60);
        }
    }
    fprintf(stderr, "\033[K");
}

int
cmd_ingest(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"source", required_argument, NULL, 's'},
        CLI_INPUT_OPTIONS,
        {"batch", required_argument, NULL, 'b'},
        {"jobs", required_argument, NULL, 'j'},
        {"strict", no_argument, NULL, 'S'},
        {"inputs", required_argument, NULL, 'l'},
        {"shard", required_argument, NULL, 'x'},
        {"shards", required_argument, NULL, 'N'},
        {"worker", required_argument, NULL, 'W'},
        {"lease", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ex_ingest_opts o = {0};
    cli_inputs in = {0};
    const char *list = NULL, *spec = NULL;
    uint64_t n, shards = 0;
    ex_worker_opts wo = {0};
    int ch, got;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((got = cli_input_option(ch, optarg, &in)) < 0)
            return cli_usage(usage, "ingest: --format is auto, files, jsonl or warc");
        if (got)
            continue;
        switch (ch) {
        case 's': o.source = optarg; break;
        case 'b':
            if (cli_parse_u64(optarg, &n) || n == 0 || n > 1000000)
                return cli_usage(usage, "ingest: --batch takes 1..1000000");
            o.batch = (size_t)n;
            break;
        case 'j':
            if (cli_parse_u64(optarg, &n) || n == 0 || n > EX_INGEST_JOBS_MAX)
                return cli_usage(usage, "ingest: --jobs takes 1..%d", EX_INGEST_JOBS_MAX);
            o.jobs = (int)n;
            break;
        case 'S': o.strict = 1; break;
        case 'l': list = optarg; break;
        case 'x': spec = optarg; break;
        case 'N':
            if (cli_parse_u64(optarg, &shards) || shards == 0)
                return cli_usage(usage, "ingest: --shards takes a count of at least 1");
            break;
        case 'W': wo.name = optarg; break;
        case 'E':
            if (cli_parse_u64(optarg, &n) || n == 0 || n > 86400)
                return cli_usage(usage, "ingest: --lease takes 1..86400 seconds");
            wo.lease = (unsigned)n;
            break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: return cli_usage(usage, "ingest: bad option '%s'", argv[optind - 1]);
        }
    }
    if (list && optind < argc)
        return cli_usage(usage, "ingest: give PATHs or --inputs LIST_FILE, not both");
    if (!list && (spec || shards))
        return cli_usage(usage, "ingest: --%s needs --inputs LIST_FILE", spec ? "shard" : "shards");
    if (!list && optind >= argc)
        return cli_usage(usage, "ingest: no PATH given");
    o.format = in.format;
    o.text_field = in.text, o.url_field = in.url, o.id_field = in.id;
    o.license_field = in.license, o.fetched_field = in.fetched;
    if (!o.source)
        return cli_usage(usage, "ingest: --source NAME is required (see 'exante source add')");
    listed ls = {NULL, 0, 0, {0, 1}};
    const char *const *paths = (const char *const *)argv + optind;
    size_t np = (size_t)(argc - optind);
    if (list) {
        ex_err e = {0};
        if (ex_shard_choose(spec, shards, &ls.shard, &e) != EX_OK) {
            cli_err("ingest: %s", e.msg); /* it names the option or variable at fault */
            return EXIT_USAGE;
        }
        int rc = ex_shard_list_read(list, &ls.shard, &ls.paths, &ls.n, &ls.total, &e);
        if (rc != EX_OK) {
            cli_err("%s", e.msg);
            return cli_exit(rc);
        }
        paths = (const char *const *)ls.paths, np = ls.n;
    }
    ex_ledger *l;
    /* with a list, a shared ledger is a worker's: it stages, without the signing key */
    int x = cli_open_as(c, 0, list != NULL, &l);
    if (x != EXIT_OKAY) {
        ex_shard_list_free(ls.paths, ls.n);
        return x;
    }
    if (list && ex_ledger_shared(l)) {
        ex_shard_list_free(ls.paths, ls.n);
        return cli_stage(c, l, &o, list, &ls.shard, &wo);
    }
    bar b = {!c->quiet && isatty(2), {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &b.t0);
    o.progress = progress;
    o.progress_ctx = &b;
    ex_ingest_stats st = {0};
    int rc = ex_ledger_ingest(l, paths, np, &o, &st);
    double secs = since(&b.t0);
    if (b.on)
        fputs("\r\033[K", stderr);
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    summary(c, l, &st, secs, rc, list ? &ls : NULL);
    ex_ledger_close(l);
    ex_shard_list_free(ls.paths, ls.n);
    return cli_exit(rc);
}

void
cli_summary(cli *c, ex_ledger *l, const ex_ingest_stats *st, double secs, int rc)
{
    summary(c, l, st, secs, rc, NULL);
}

static void
summary(cli *c, ex_ledger *l, const ex_ingest_stats *st, double secs, int rc, const listed *ls)
{
    ex_log *g = ex_ledger_log(l);
    uint8_t root[EX_HASH_BYTES];
    char rb[64] = "";
    if (ex_log_root(g, ex_log_size(g), root) == EX_OK)
        ex_b64_encode(root, EX_HASH_BYTES, rb);
    if (c->json) {
        json_t *j = json_object(), *by = json_object(), *cp = json_object();
        json_object_set_new(j, "items", json_integer((json_int_t)st->items));
        json_object_set_new(j, "admitted", json_integer((json_int_t)st->admitted));
        json_object_set_new(j, "rejected", json_integer((json_int_t)st->rejected));
        json_object_set_new(j, "pending", json_integer((json_int_t)st->pending));
        json_object_set_new(j, "duplicates", json_integer((json_int_t)st->duplicates));
        json_object_set_new(j, "quarantined", json_integer((json_int_t)st->quarantined));
        json_object_set_new(j, "skipped", json_integer((json_int_t)st->skipped));
        json_object_set_new(j, "bytes", json_integer((json_int_t)st->bytes));
        json_object_set_new(j, "batches", json_integer((json_int_t)st->batches));
        json_object_set_new(j, "near", json_integer((json_int_t)st->near));
        json_object_set_new(j, "followed", json_integer((json_int_t)st->followed));
        json_object_set_new(j, "seconds", json_real((double)(long long)(secs * 1000) / 1000));
        for (size_t i = 0; i < st->nrules && i < EX_STATS_RULES_MAX; i++)
            json_object_set_new(by, st->by_rule[i].id,
                                json_integer((json_int_t)st->by_rule[i].count));
        json_object_set_new(j, "by_rule", by);
        json_object_set_new(cp, "size", json_integer((json_int_t)ex_log_size(g)));
        json_object_set_new(cp, "root", json_string(rb));
        json_object_set_new(j, "checkpoint", cp);
        json_object_set_new(j, "ok", json_boolean(rc == EX_OK));
        cli_failure_json(c, st, rc, j);
        if (ls) {
            char sh[48];
            snprintf(sh, sizeof sh, "%llu/%llu", (unsigned long long)ls->shard.index,
                     (unsigned long long)ls->shard.count);
            json_object_set_new(j, "shard", json_string(sh));
            json_object_set_new(j, "inputs_selected", json_integer((json_int_t)ls->n));
            json_object_set_new(j, "inputs_listed", json_integer((json_int_t)ls->total));
        }
        cli_print_json(j);
        return;
    }
    if (ls)
        printf("shard %llu/%llu: %llu of %llu inputs\n", (unsigned long long)ls->shard.index,
               (unsigned long long)ls->shard.count, (unsigned long long)ls->n,
               (unsigned long long)ls->total);
    if (rc != EX_OK)
        printf("committed before the failure: ");
    printf("%llu items: %llu admitted, %llu rejected, %llu pending, %llu duplicates, "
           "%llu quarantined%s, %llu already recorded\n",
           (unsigned long long)st->items, (unsigned long long)st->admitted,
           (unsigned long long)st->rejected, (unsigned long long)st->pending,
           (unsigned long long)st->duplicates, (unsigned long long)st->quarantined,
           st->quarantined ? " (see 'exante quarantine list')" : "",
           (unsigned long long)st->skipped);
    for (size_t i = 0; i < st->nrules && i < EX_STATS_RULES_MAX; i++)
        printf("  %-24s %llu\n", st->by_rule[i].id, (unsigned long long)st->by_rule[i].count);
    if (st->near || st->followed)
        printf("%llu near-duplicates of earlier items; %llu earlier items rejected since: a "
               "reservation followed their content\n",
               (unsigned long long)st->near, (unsigned long long)st->followed);
    printf("%.1f MB in %.2f s, %llu batches; log size %llu, root %s\n", (double)st->bytes / 1e6,
           secs, (unsigned long long)st->batches, (unsigned long long)ex_log_size(g), rb);
    cli_failure_text(c, st, rc);
    if (st->pending && !c->quiet)
        printf("no policy is adopted: %llu new items are pending; 'exante policy adopt FILE' "
               "and then 'exante reevaluate' decide them\n",
               (unsigned long long)st->pending);
}

/* The start of why and dups: --help, one DIGEST|URL, the ledger read-only and fn's answer.
 * CLI_GO with *l open and *doc (malloc'd) set; else the exit code (a malformed digest: 2). */
static int
query(cli *c, int argc, char **argv, const char *help, const char *name,
      int (*fn)(ex_ledger *, const char *, char **, size_t *), ex_ledger **l, char **doc)
{
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return EXIT_OKAY;
    }
    if (argc != 2)
        return cli_usage(help, "%s: expected one DIGEST or URL", name);
    int x = cli_open(c, 1, l);
    if (x != EXIT_OKAY)
        return x;
    size_t len;
    int rc = fn(*l, argv[1], doc, &len);
    if (rc != EX_OK) {
        cli_err("%s", ex_ledger_errmsg(*l));
        ex_ledger_close(*l);
        return rc == EX_EINVAL ? EXIT_USAGE : cli_exit_answer(rc);
    }
    return CLI_GO;
}

static const char why_usage[] =
    "usage: exante why DIGEST|URL\n"
    "\n"
    "The chain for one item: source, provenance, decision (verdict, rule, reason), batch and\n"
    "log index. A DIGEST names the first item with that content (later copies are duplicates\n"
    "of it), a URL the latest item fetched from it. With --json, a self-contained proof that\n"
    "'exante verify-proof' checks offline.\n"
    "JSON keys: digest, verdict, rule, reason, policy, source, log_index, item, decision, proof.\n";

int
cmd_why(cli *c, int argc, char **argv)
{
    ex_ledger *l;
    char *doc;
    int x = query(c, argc, argv, why_usage, "why", ex_ledger_why_dup, &l, &doc);
    if (x != CLI_GO)
        return x;
    if (c->json) {
        puts(doc);
    } else {
        json_t *o = json_loads(doc, 0, NULL);
        json_t *item = json_loads(json_string_value(json_object_get(o, "item")), 0, NULL);
        json_t *p = json_object_get(o, "proof");
        const char *fields[] = {"url", "file", "record_id", "license", "fetched", NULL};
        printf("item     %s (%lld bytes)\n", json_string_value(json_object_get(o, "digest")),
               (long long)json_integer_value(json_object_get(item, "size")));
        printf("source   %s\n", json_string_value(json_object_get(o, "source")));
        for (int i = 0; fields[i]; i++) {
            const char *v = json_string_value(json_object_get(item, fields[i]));
            if (v)
                printf("%-8s %s\n", fields[i], v);
        }
        json_t *off = json_object_get(item, "offset"), *line = json_object_get(item, "line");
        if (line)
            printf("line     %lld\n", (long long)json_integer_value(line));
        else if (off)
            printf("offset   %lld\n", (long long)json_integer_value(off));
        printf("verdict  %s by rule %s: %s\n", json_string_value(json_object_get(o, "verdict")),
               json_string_value(json_object_get(o, "rule")),
               json_string_value(json_object_get(o, "reason")));
        /* a rejection that followed content: where the reservation came from */
        json_t *dec = json_loads(json_string_value(json_object_get(o, "decision")), 0, NULL);
        json_t *cb = json_object_get(dec, "carried_by"), *nf = json_object_get(dec, "near_of"),
               *sim = json_object_get(dec, "similarity"), *res = json_object_get(dec, "reservation");
        if (json_is_string(res) && json_is_integer(cb)) {
            printf("carried  %s, carried by item %lld", json_string_value(res),
                   (long long)json_integer_value(cb));
            if (json_is_integer(nf))
                printf(" (through near-duplicate item %lld, estimated Jaccard %s)",
                       (long long)json_integer_value(nf),
                       json_is_string(sim) ? json_string_value(sim) : "?");
            printf("\n");
        }
        else if (json_is_string(res))
            printf("reserved %s\n", json_string_value(res));
        json_decref(dec);
        json_t *pol = json_object_get(o, "policy"), *ev = json_object_get(o, "evidence");
        printf("policy   %s\n", json_is_string(pol) ? json_string_value(pol) : "none adopted");
        for (size_t k = 0; k < json_array_size(ev); k++)
            printf("evidence %s\n", json_string_value(json_array_get(ev, k)));
        printf("batch    decision %lld of %lld, log entry %lld\n",
               (long long)json_integer_value(json_object_get(p, "batch_index")),
               (long long)json_integer_value(json_object_get(p, "batch_size")),
               (long long)json_integer_value(json_object_get(o, "log_index")));
        printf("proof    in the log of size %lld (exante why --json | exante verify-proof -)\n",
               (long long)json_integer_value(json_object_get(p, "log_size")));
        json_decref(item);
        json_decref(o);
    }
    free(doc);
    ex_ledger_close(l);
    return EXIT_OKAY;
}

static const char dec_usage[] =
    "usage: exante decisions [--verdict admit|reject|pending|duplicate] [--rule R] [--source S]\n"
    "                        [--limit N]\n"
    "       exante quarantine list\n"
    "\n"
    "Decision records and quarantine reports as JSONL, oldest first.\n";

static int
print_line(void *ctx, const char *rec, size_t len)
{
    (void)ctx;
    return fwrite(rec, 1, len, stdout) == len && putchar('\n') != EOF ? EX_OK : EX_EIO;
}

int
cmd_decisions(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"verdict", required_argument, NULL, 'v'}, {"rule", required_argument, NULL, 'r'},
        {"source", required_argument, NULL, 's'},  {"limit", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *verdict = NULL, *rule = NULL, *source = NULL;
    uint64_t limit = 0;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'v': verdict = optarg; break;
        case 'r': rule = optarg; break;
        case 's': source = optarg; break;
        case 'n':
            if (cli_parse_u64(optarg, &limit) || limit == 0)
                return cli_usage(dec_usage, "decisions: --limit takes a positive number");
            break;
        case 'h': fputs(dec_usage, stdout); return EXIT_OKAY;
        default: return cli_usage(dec_usage, "decisions: bad option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage(dec_usage, "decisions: unexpected argument '%s'", argv[optind]);
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    /* streamed: memory stays flat whatever the ledger holds */
    int rc = ex_ledger_decisions_each(l, verdict, rule, source, limit, print_line, NULL);
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l)[0] ? ex_ledger_errmsg(l) : "cannot write the output");
    ex_ledger_close(l);
    return cli_exit(rc);
}

int
cmd_quarantine(cli *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(dec_usage, stdout);
        return EXIT_OKAY;
    }
    if (argc != 2 || strcmp(argv[1], "list") != 0)
        return cli_usage(dec_usage, "quarantine: expected 'list'");
    ex_ledger *l;
    int x = cli_open(c, 1, &l);
    if (x != EXIT_OKAY)
        return x;
    char *jsonl = NULL;
    size_t len = 0;
    int rc = ex_ledger_quarantine_dup(l, &jsonl, &len);
    return cli_emit(l, rc, jsonl, len);
}

static const char dups_usage[] =
    "usage: exante dups DIGEST|URL\n"
    "\n"
    "An item's near-duplicate cluster: the items whose estimated Jaccard similarity with it,\n"
    "or with another member, reaches the policy's 'near' (default 0.8), from their text\n"
    "fingerprints and the band index. Each member with its similarity (to the member it was\n"
    "found through: 'via') and its latest decision. A DIGEST names the first item with that\n"
    "content, a URL the latest item fetched from it. Exit 1 if the item is unknown or has no\n"
    "fingerprint (no text, or recorded before fingerprints were).\n"
    "JSON keys: item, of, cluster (item, digest, url, similarity, via, verdict, rule,\n"
    "reservation), k, bands, threshold, truncated.\n";

int
cmd_dups(cli *c, int argc, char **argv)
{
    ex_ledger *l;
    char *doc;
    int x = query(c, argc, argv, dups_usage, "dups", ex_ledger_dups_dup, &l, &doc);
    if (x != CLI_GO)
        return x;
    if (c->json) {
        puts(doc);
    } else {
        json_t *o = json_loads(doc, 0, NULL), *of = json_object_get(o, "of");
        json_t *cl = json_object_get(o, "cluster");
        printf("item %lld %s %s: %s by %s\n", (long long)json_integer_value(json_object_get(o, "item")),
               json_string_value(json_object_get(of, "digest")),
               json_string_value(json_object_get(of, "url")) ? json_string_value(json_object_get(of, "url")) : "",
               json_string_value(json_object_get(of, "verdict")),
               json_string_value(json_object_get(of, "rule")));
        if (!json_array_size(cl))
            printf("no near-duplicates (Jaccard >= %s)\n",
                   json_string_value(json_object_get(o, "threshold")));
        for (size_t i = 0; i < json_array_size(cl); i++) {
            json_t *m = json_array_get(cl, i);
            const char *u = json_string_value(json_object_get(m, "url"));
            printf("  item %-8lld J %s via %-6lld %-7s %-12s %s\n",
                   (long long)json_integer_value(json_object_get(m, "item")),
                   json_string_value(json_object_get(m, "similarity")),
                   (long long)json_integer_value(json_object_get(m, "via")),
                   json_string_value(json_object_get(m, "verdict")),
                   json_string_value(json_object_get(m, "rule")),
                   u ? u : json_string_value(json_object_get(m, "digest")));
        }
        if (json_is_true(json_object_get(o, "truncated")))
            printf("(the cluster was cut at 1000 members)\n");
        json_decref(o);
    }
    free(doc);
    ex_ledger_close(l);
    return EXIT_OKAY;
}
