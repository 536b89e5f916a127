/* bench_ingest.c - end-to-end throughput of the ingest pipeline (not a test: never run by ctest).
 *
 *   bench_ingest gen-small FILE N [DUP_EVERY] [SEED]
 *                      write N deterministic JSONL lines of about 300 bytes (id, url, license,
 *                      fetched and a ~150-byte English-like text) to FILE ("-": stdout); every
 *                      DUP_EVERY-th line (default 500; 0: none) repeats the text of an earlier,
 *                      not duplicated line, chosen at random: those are the only exact
 *                      duplicates, and their count is printed
 *   bench_ingest ingest FILE... [--batch N] [--segment N] [--raw-bytes N] [--expect-dups N]
 *                      [--format jsonl|warc|auto] [--keep DIR]
 *                      make a file ledger (ex_ledger_init with default options: WAL,
 *                      synchronous=NORMAL) in a temporary directory under $TMPDIR, register a
 *                      source, and time one ex_ledger_ingest of the files; the progress
 *                      callback (called after every batch) times each segment of N items
 *                      (default 1,000,000) and samples the resident set size. --raw-bytes is
 *                      the decompressed input size, for MB/s; --expect-dups fails the run
 *                      (exit 1) unless exactly that many duplicates were found
 *
 * Each subcommand prints one line of JSON to stdout; progress goes to stderr. Rates are items
 * (or decompressed bytes, MB = 1e6) per second of wall time on one thread; peak RSS is
 * getrusage ru_maxrss. */
#include <exante.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NAME "bench_ingest"
#include "bench_util.h"

/* current resident set size and its anonymous and file-backed (mmap) parts, MiB, from
 * /proc/self/status */
static double
rss_parts(double *anon, double *file)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long kb, total = 0, a = 0, fl = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %lu", &kb) == 1)
            total = kb;
        else if (sscanf(line, "RssAnon: %lu", &kb) == 1)
            a = kb;
        else if (sscanf(line, "RssFile: %lu", &kb) == 1)
            fl = kb;
    }
    if (f)
        fclose(f);
    if (anon)
        *anon = (double)a / 1024.0;
    if (file)
        *file = (double)fl / 1024.0;
    return (double)total / 1024.0;
}

static double
rss_mib(void)
{
    return rss_parts(NULL, NULL);
}

static void
cpu_times(double *user, double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static uint64_t
parse_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end); /* accepts 2e7 */
    if (errno || end == s || *end || v < 0 || v > 1e13)
        die("bad %s '%s'", what, s);
    return (uint64_t)v;
}

/* ---- gen-small ------------------------------------------------------------------------ */

/* splitmix64 */
static uint64_t
mix(uint64_t z)
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static const char *const words[] = {
    "the",     "of",       "and",     "to",      "in",       "data",     "model",   "training",
    "license", "source",   "crawl",   "page",    "web",      "archive",  "text",    "public",
    "domain",  "research", "corpus",  "rights",  "holder",   "opt-out",  "policy",  "record",
    "digest",  "ledger",   "audit",   "proof",   "batch",    "snapshot", "weights", "fine-tune",
    "dataset", "language", "english", "article", "news",     "forum",    "comment", "review",
    "library", "book",     "chapter", "section", "paragraph", "sentence", "word",   "token",
    "a",       "is",       "for",     "on",      "with",     "as",       "by",      "that",
    "this",    "from",     "at",      "are",     "was",      "be",       "or",      "which",
};
static const char *const licenses[] = {"CC-BY-4.0", "CC0-1.0", "MIT", "CC-BY-SA-4.0",
                                       "Apache-2.0", "LicenseRef-proprietary"};

/* the text of content number c: unique per c (it names c), deterministic */
static size_t
small_text(uint64_t seed, uint64_t c, char *out, size_t cap)
{
    uint64_t s = mix(seed ^ (c * UINT64_C(0x2545f4914f6cdd1d)));
    size_t n = (size_t)snprintf(out, cap, "Document %" PRIu64 ":", c);
    size_t target = 130 + (size_t)(mix(s) % 40);
    while (n < target) {
        s = mix(s);
        const char *w = words[s % (sizeof words / sizeof *words)];
        size_t wl = strlen(w);
        if (n + wl + 2 >= cap)
            break;
        out[n++] = ' ';
        memcpy(out + n, w, wl);
        n += wl;
    }
    out[n++] = '.';
    out[n] = '\0';
    return n;
}

static int
cmd_gen_small(const char *path, uint64_t n, uint64_t dup_every, uint64_t seed)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f)
        die("cannot create %s: %s", path, strerror(errno));
    static char iobuf[1 << 20];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    uint64_t bytes = 0, dups = 0, rng = seed ^ UINT64_C(0x51ed2701);
    char text[256], line[768];
    for (uint64_t i = 1; i <= n; i++) {
        uint64_t c = i;
        if (dup_every && i % dup_every == 0 && i > dup_every) {
            /* an earlier line that is not itself a copy: its content number is its line */
            do {
                rng = mix(rng);
                c = 1 + rng % (i - 1);
            } while (c % dup_every == 0);
            dups++;
        }
        small_text(seed, c, text, sizeof text);
        uint64_t h = mix(seed + i);
        int len = snprintf(line, sizeof line,
                           "{\"id\":\"doc-%012" PRIu64 "\",\"url\":\"https://www.site%u.example/"
                           "%s/%" PRIu64 ".html\",\"license\":\"%s\",\"fetched\":\"2025-%02u-%02u"
                           "T%02u:%02u:%02uZ\",\"lang\":\"en\",\"text\":\"%s\"}\n",
                           i, (unsigned)(h % 50000), words[(h >> 20) % 48], i,
                           licenses[(h >> 32) % (sizeof licenses / sizeof *licenses)],
                           (unsigned)(1 + (h >> 36) % 12), (unsigned)(1 + (h >> 40) % 28),
                           (unsigned)((h >> 45) % 24), (unsigned)((h >> 50) % 60),
                           (unsigned)((h >> 56) % 60), text);
        if (fwrite(line, 1, (size_t)len, f) != (size_t)len)
            die("write failed: %s", strerror(errno));
        bytes += (uint64_t)len;
    }
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
        die("write failed: %s", strerror(errno));
    fprintf(stderr, "gen-small: %" PRIu64 " lines, %" PRIu64 " bytes, %" PRIu64 " duplicates\n",
            n, bytes, dups);
    printf("{\"bench\":\"gen-small\",\"file\":\"%s\",\"lines\":%" PRIu64 ",\"bytes\":%" PRIu64
           ",\"avg_line_bytes\":%.1f,\"duplicates\":%" PRIu64 ",\"dup_every\":%" PRIu64
           ",\"seed\":%" PRIu64 "}\n",
           path, n, bytes, n ? (double)bytes / (double)n : 0.0, dups, dup_every, seed);
    return 0;
}

/* ---- ingest --------------------------------------------------------------------------- */

typedef struct seg {
    uint64_t items;
    double t, rss, anon, file;
} seg;

typedef struct prog {
    double t0, last, worst_batch;
    uint64_t seg_items, next, last_items, calls;
    seg *v;
    size_t n, cap;
} prog;

static void
on_progress(void *ctx, const ex_ingest_stats *st, uint64_t input_total)
{
    (void)input_total;
    prog *p = ctx;
    double t = now();
    if (st->items > p->last_items && t - p->last > p->worst_batch)
        p->worst_batch = t - p->last;
    p->last = t;
    p->last_items = st->items;
    p->calls++;
    if (st->items < p->next)
        return;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        if (!(p->v = realloc(p->v, p->cap * sizeof *p->v)))
            die("out of memory");
    }
    seg *sg = &p->v[p->n++];
    sg->items = st->items;
    sg->t = t - p->t0;
    sg->rss = rss_parts(&sg->anon, &sg->file);
    while (p->next <= st->items)
        p->next += p->seg_items;
    fprintf(stderr, "\r%" PRIu64 " items, %.1f s, %.0f MiB", st->items, t - p->t0, sg->rss);
}

static uint64_t
dir_bytes(const char *dir)
{
    char cmd[8448];
    snprintf(cmd, sizeof cmd, "du -sb '%s' 2>/dev/null", dir);
    FILE *f = popen(cmd, "r");
    unsigned long long b = 0;
    if (f) {
        if (fscanf(f, "%llu", &b) != 1)
            b = 0;
        pclose(f);
    }
    return b;
}

static int
cmd_ingest(int argc, char **argv)
{
    const char *files[64];
    size_t nf = 0;
    uint64_t batch = 0, segment = 1000000, raw = 0;
    int64_t expect = -1;
    const char *keep = NULL;
    int format = EX_FORMAT_AUTO;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--batch") == 0 && i + 1 < argc)
            batch = parse_count(argv[++i], "batch");
        else if (strcmp(a, "--segment") == 0 && i + 1 < argc)
            segment = parse_count(argv[++i], "segment");
        else if (strcmp(a, "--raw-bytes") == 0 && i + 1 < argc)
            raw = parse_count(argv[++i], "raw bytes");
        else if (strcmp(a, "--expect-dups") == 0 && i + 1 < argc)
            expect = (int64_t)parse_count(argv[++i], "duplicate count");
        else if (strcmp(a, "--keep") == 0 && i + 1 < argc)
            keep = argv[++i];
        else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
            a = argv[++i];
            format = strcmp(a, "jsonl") == 0  ? EX_FORMAT_JSONL
                     : strcmp(a, "warc") == 0 ? EX_FORMAT_WARC
                                              : EX_FORMAT_AUTO;
        } else if (a[0] == '-' && a[1] == '-')
            die("unknown option '%s'", a);
        else if (nf < sizeof files / sizeof *files)
            files[nf++] = a;
    }
    if (!nf || !segment)
        die("usage: bench_ingest ingest FILE... [--batch N] [--segment N] [--raw-bytes N] "
            "[--expect-dups N] [--format F] [--keep DIR]");
    uint64_t input_bytes = 0;
    for (size_t i = 0; i < nf; i++) {
        struct stat sb;
        if (stat(files[i], &sb) != 0)
            die("%s: %s", files[i], strerror(errno));
        input_bytes += (uint64_t)sb.st_size;
    }

    char tmpl[4096], dir[4200];
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpl, sizeof tmpl, "%s/bench-ingest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl))
        die("mkdtemp %s: %s", tmpl, strerror(errno));
    if (keep)
        snprintf(dir, sizeof dir, "%s", keep);
    else
        snprintf(dir, sizeof dir, "%s/ledger", tmpl);

    ex_err err = {0};
    ex_ledger *l;
    ex_ledger_opts lo = {0};
    lo.origin = "bench.example/ingest";
    if (ex_ledger_init(dir, &lo, &l, &err) != EX_OK)
        die("ex_ledger_init %s: %s", dir, err.msg);
    ex_source_opts so = {0};
    so.kind = "crawl";
    so.license = "CC-BY-4.0";
    uint64_t sidx;
    if (ex_ledger_source_add(l, "bench", &so, &sidx) != EX_OK)
        die("ex_ledger_source_add: %s", ex_ledger_errmsg(l));

    prog p = {0};
    p.seg_items = segment;
    p.next = segment;
    ex_ingest_opts io = {0};
    io.source = "bench";
    io.format = format;
    io.batch = (size_t)batch;
    io.progress = on_progress;
    io.progress_ctx = &p;
    ex_ingest_stats st = {0};
    double rss0 = rss_mib(), u0, s0, u1, s1;
    cpu_times(&u0, &s0);
    p.t0 = p.last = now();
    int rc = ex_ledger_ingest(l, files, nf, &io, &st);
    double t = now() - p.t0;
    cpu_times(&u1, &s1);
    fprintf(stderr, "\n");
    if (rc != EX_OK)
        die("ex_ledger_ingest: %s: %s", ex_strerror(rc), ex_ledger_errmsg(l));
    double anon_end, file_end, rss_end = rss_parts(&anon_end, &file_end), peak = peak_rss_mib();
    double tc = now();
    ex_ledger_close(l);
    tc = now() - tc;
    uint64_t ledger_bytes = dir_bytes(dir);
    if (!keep) {
        char cmd[8448];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_ingest: could not remove %s\n", tmpl);
    } else {
        rmdir(tmpl);
    }

    /* segments: rate of each, the first and last full ones compared */
    double first = 0, last = 0, minr = 0, maxrss_seg = 0;
    uint64_t prev_items = 0;
    double prev_t = 0;
    size_t full = 0;
    for (size_t i = 0; i < p.n; i++) {
        double r = (double)(p.v[i].items - prev_items) / (p.v[i].t - prev_t);
        if (i == 0)
            first = r;
        last = r;
        if (!minr || r < minr)
            minr = r;
        if (p.v[i].rss > maxrss_seg)
            maxrss_seg = p.v[i].rss;
        prev_items = p.v[i].items;
        prev_t = p.v[i].t;
        full++;
    }
    int dup_ok = expect < 0 || (uint64_t)expect == st.duplicates;
    printf("{\"bench\":\"ingest\",\"files\":%zu,\"input_bytes\":%" PRIu64 ",\"raw_bytes\":%" PRIu64
           ",\"items\":%" PRIu64 ",\"admitted\":%" PRIu64 ",\"duplicates\":%" PRIu64
           ",\"expected_duplicates\":%" PRId64 ",\"duplicates_exact\":%s,\"quarantined\":%" PRIu64
           ",\"content_bytes\":%" PRIu64 ",\"batches\":%" PRIu64 ",\"seconds\":%.3f"
           ",\"items_per_s\":%.0f,\"raw_mb_s\":%.1f,\"user_s\":%.2f,\"sys_s\":%.2f"
           ",\"cpu_items_per_s\":%.0f,\"segment\":%" PRIu64 ",\"segments\":%zu"
           ",\"first_seg_per_s\":%.0f,\"last_seg_per_s\":%.0f,\"last_first_ratio\":%.3f"
           ",\"min_seg_per_s\":%.0f,\"worst_batch_s\":%.3f,\"close_s\":%.3f"
           ",\"rss_start_mib\":%.1f,\"rss_end_mib\":%.1f,\"rss_end_anon_mib\":%.1f"
           ",\"rss_end_file_mib\":%.1f,\"peak_rss_mib\":%.1f"
           ",\"ledger_bytes\":%" PRIu64,
           nf, input_bytes, raw, st.items, st.admitted, st.duplicates, expect,
           dup_ok ? "true" : "false", st.quarantined, st.bytes, st.batches, t,
           (double)st.items / t, raw ? (double)raw / t / 1e6 : 0.0, u1 - u0, s1 - s0,
           (double)st.items / (u1 - u0 + s1 - s0), segment, full, first, last,
           first ? last / first : 0.0, minr, p.worst_batch, tc, rss0, rss_end, anon_end, file_end, peak,
           ledger_bytes);
    /* per segment: cumulative items, rate, current RSS (MiB) */
    printf(",\"seg_items\":[");
    for (size_t i = 0; i < p.n; i++)
        printf("%s%" PRIu64, i ? "," : "", p.v[i].items);
    printf("],\"seg_rate\":[");
    prev_items = 0;
    prev_t = 0;
    for (size_t i = 0; i < p.n; i++) {
        printf("%s%.0f", i ? "," : "",
               (double)(p.v[i].items - prev_items) / (p.v[i].t - prev_t));
        prev_items = p.v[i].items;
        prev_t = p.v[i].t;
    }
    printf("],\"seg_rss_mib\":[");
    for (size_t i = 0; i < p.n; i++)
        printf("%s%.0f", i ? "," : "", p.v[i].rss);
    printf("],\"seg_anon_mib\":[");
    for (size_t i = 0; i < p.n; i++)
        printf("%s%.0f", i ? "," : "", p.v[i].anon);
    printf("],\"seg_file_mib\":[");
    for (size_t i = 0; i < p.n; i++)
        printf("%s%.0f", i ? "," : "", p.v[i].file);
    printf("]}\n");
    free(p.v);
    if (!dup_ok) {
        fprintf(stderr, "bench_ingest: %" PRIu64 " duplicates found, %" PRId64 " expected\n",
                st.duplicates, expect);
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "gen-small") == 0)
        return cmd_gen_small(argv[2], parse_count(argv[3], "N"),
                             argc > 4 ? parse_count(argv[4], "DUP_EVERY") : 500,
                             argc > 5 ? parse_count(argv[5], "SEED") : 1);
    if (argc >= 3 && strcmp(argv[1], "ingest") == 0)
        return cmd_ingest(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_ingest gen-small FILE N [DUP_EVERY] [SEED] | "
                    "bench_ingest ingest FILE... [--batch N] [--segment N] [--raw-bytes N] "
                    "[--expect-dups N] [--format jsonl|warc|auto] [--keep DIR]\n");
    return 2;
}
