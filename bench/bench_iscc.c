/* bench_iscc.c - throughput of the ISCC Text-Code (src/dedup/iscc.c; not a test: never run by
 * ctest).
 *
 *   bench_iscc run MB PCT [REPS [REF_REPS]]
 *                                     about MB MiB of English-like items of 1-5 KB, PCT percent
 *                                     of their words non-ASCII (0: pure ASCII); every measure
 *                                     best of REPS (3), those of the references of REF_REPS
 *                                     (REPS)
 *   bench_iscc profile MB PCT [REPS]  only ex_iscc_text_code over every item, REPS times (for
 *                                     perf record)
 *
 * run times, on the same items: the reference (ex_iscc_collapse_ref, ex_iscc_soft_hash with
 * EX_ISCC_IMPL_REF, ex_iscc_encode: the code as it was before the fast paths) and
 * ex_iscc_text_code, and checks that the two give the same 256-bit digest and character count
 * for every item (it fails otherwise); then each step alone: collapsing (reference, fast), the
 * soft hash of the collapsed texts (reference, portable, AVX2), and two peers that do part of
 * the work and nothing else: the features alone as the fast path computes them (XXH32 of every
 * window of the collapsed texts, 13-byte windows eight at a time: the fast path does that and
 * more, so it cannot beat it), and XXH32 of every window one at a time with libxxhash.
 *
 * Rates are MB (1e6 bytes) of input text per second of this thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID, so that other processes on the machine count less), single
 * thread; wall times are in the output too. Prints one line of JSON to stdout; progress goes
 * to stderr. */
#include "dedup/iscc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define BENCH_NAME "bench_iscc"
#include "bench_util.h"

/* ---- the items ----------------------------------------------------------------------------- */

static const char *const words_en[] = {
    "the",         "of",         "and",         "to",          "in",
    "a",           "is",         "that",        "for",         "it",
    "as",          "was",        "with",        "be",          "by",
    "on",          "not",        "he",          "this",        "are",
    "or",          "his",        "from",        "at",          "which",
    "but",         "have",       "an",          "had",         "they",
    "you",         "were",       "their",       "one",         "all",
    "we",          "can",        "her",         "has",         "there",
    "been",        "if",         "more",        "when",        "will",
    "would",       "who",        "so",          "no",          "data",
    "training",    "model",      "license",     "research",    "university",
    "government",  "people",     "information", "development", "community",
    "important",   "different",  "following",   "available",   "however",
    "including",   "students",   "published",   "according",   "national",
    "management",  "experience", "technology",  "production",  "understanding",
    "performance", "don't",      "it's",        "2024",        "100",
    "3.5",         "$20",        "e-mail",      "(see",        "below)",
    "U.S.",        "A+B"};
/* typographic punctuation, accented Latin, Greek (lower case: no capital sigma), Cyrillic,
 * CJK, symbols, an emoji */
static const char *const words_nonascii[] = {"don\xe2\x80\x99t",
                                             "it\xe2\x80\x99s",
                                             "\xe2\x80\x9cquoted\xe2\x80\x9d",
                                             "\xe2\x80\x94",
                                             "caf\xc3\xa9",
                                             "na\xc3\xafve",
                                             "r\xc3\xa9sum\xc3\xa9",
                                             "\xc3\xbc"
                                             "ber",
                                             "d\xc3\xa9j\xc3\xa0",
                                             "S\xc3\xa3o",
                                             "Z\xc3\xbcrich",
                                             "Stra\xc3\x9f"
                                             "e",
                                             "\xe2\x82\xac"
                                             "100",
                                             "\xc2\xb1"
                                             "5%",
                                             "\xc2\xb0"
                                             "C",
                                             "\xc2\xa9"
                                             "2024",
                                             "\xe2\x80\xa6",
                                             "\xce\xb1\xce\xbb\xcf\x86\xce\xb1",
                                             "\xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82",
                                             "\xd0\xb4\xd0\xb0\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5",
                                             "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
                                             "\xe6\x95\xb0\xe6\x8d\xae",
                                             "\xe6\xa8\xa1\xe5\x9e\x8b",
                                             "\xef\xac\x81"
                                             "nal",
                                             "\xe2\x91\xa0",
                                             "\xf0\x9f\x98\x80"};

typedef struct items {
    char *text;
    size_t len, n, *off; /* item i is text[off[i] .. off[i + 1]) */
    size_t nonascii;     /* bytes >= 0x80 */
} items;

static void
put(char **p, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n > *cap) {
        *cap = (*len + n) * 2;
        if (!(*p = realloc(*p, *cap)))
            die("out of memory");
    }
    memcpy(*p + *len, s, n);
    *len += n;
}

/* Items of 1-5 KB up to mb MiB: sentences of English words, pct percent of the words
 * non-ASCII, capitals at sentence starts, commas, full stops, paragraph breaks. */
static void
gen(items *it, size_t mb, unsigned pct)
{
    size_t cap = mb << 20, want = mb << 20, ocap = 1024;
    memset(it, 0, sizeof *it);
    if (!(it->text = malloc(cap)) || !(it->off = malloc(ocap * sizeof *it->off)))
        die("out of memory");
    bench_seed(pct);
    it->off[0] = 0;
    while (it->len < want) {
        size_t end = it->len + 1000 + bench_pick(4001);
        unsigned in_sentence = 0;
        while (it->len < end) {
            int na = bench_pick(100) < pct;
            const char *w =
                na ? words_nonascii[bench_pick(sizeof words_nonascii / sizeof *words_nonascii)]
                   : words_en[bench_pick(sizeof words_en / sizeof *words_en)];
            if (in_sentence == 0 && w[0] >= 'a' && w[0] <= 'z') {
                char c = (char)(w[0] - 32);
                put(&it->text, &it->len, &cap, &c, 1);
                w++;
            }
            put(&it->text, &it->len, &cap, w, strlen(w));
            unsigned r = bench_pick(1000);
            if (++in_sentence > 6 && r < 120) {
                in_sentence = 0;
                put(&it->text, &it->len, &cap, bench_pick(5) ? ". " : ".\n\n", 2);
            } else if (r < 160) {
                put(&it->text, &it->len, &cap, ", ", 2);
            } else {
                put(&it->text, &it->len, &cap, " ", 1);
            }
        }
        if (it->n + 2 > ocap && !(it->off = realloc(it->off, (ocap *= 2) * sizeof *it->off)))
            die("out of memory");
        it->off[++it->n] = it->len;
    }
    for (size_t i = 0; i < it->len; i++)
        it->nonascii += (unsigned char)it->text[i] >= 0x80;
}

static double
cpu_now(void)
{
    return cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
}

static void
profile(const items *it, unsigned reps)
{
    uint64_t check = 0;
    for (unsigned r = 0; r < reps; r++)
        for (size_t i = 0; i < it->n; i++) {
            char code[EX_ISCC_CODE_MAX];
            if (ex_iscc_text_code(it->text + it->off[i], it->off[i + 1] - it->off[i], 64, code,
                                  sizeof code, NULL, NULL) != EX_OK)
                die("text code failed");
            check += (unsigned char)code[10];
        }
    printf("{\"bench\":\"profile\",\"items\":%zu,\"check\":%" PRIu64 "}\n", it->n, check);
}

/* what run keeps of each item */
typedef struct result {
    uint8_t digest[EX_ISCC_DIGEST_BYTES];
    size_t chars;
} result;

typedef struct timing {
    double cpu, wall;
} timing;

static const items *g_it;
static items g_col; /* the collapsed texts */
static result *g_res;
static int g_kind;
static uint64_t g_sink;

/* the reference, as ex_iscc_text_code was: into g_res */
static void
do_ref(void)
{
    ex_buf c = {0};
    for (size_t i = 0; i < g_it->n; i++) {
        char code[EX_ISCC_CODE_MAX];
        result *r = &g_res[i];
        if (ex_iscc_collapse_ref(g_it->text + g_it->off[i], g_it->off[i + 1] - g_it->off[i], &c,
                                 &r->chars) != EX_OK)
            die("reference collapse failed");
        ex_iscc_soft_hash(c.data, c.len, EX_ISCC_IMPL_REF, r->digest);
        if (ex_iscc_encode(EX_ISCC_MT_CONTENT, EX_ISCC_ST_TEXT, 0, 64, r->digest, code,
                           sizeof code) != EX_OK)
            die("encode failed");
        g_sink += (unsigned char)code[10];
    }
    ex_buf_free(&c);
}

static size_t g_mismatch;

/* the public function; every item checked against g_res */
static void
do_fast(void)
{
    size_t bad = 0;
    for (size_t i = 0; i < g_it->n; i++) {
        char code[EX_ISCC_CODE_MAX];
        result r;
        if (ex_iscc_text_code(g_it->text + g_it->off[i], g_it->off[i + 1] - g_it->off[i], 256, code,
                              sizeof code, r.digest, &r.chars) != EX_OK)
            die("text code failed");
        bad += memcmp(r.digest, g_res[i].digest, sizeof r.digest) != 0 || r.chars != g_res[i].chars;
    }
    g_mismatch = bad;
}

static void
collapse_all(int ref)
{
    ex_buf c = {0};
    for (size_t i = 0; i < g_it->n; i++) {
        size_t chars;
        const char *t = g_it->text + g_it->off[i];
        size_t n = g_it->off[i + 1] - g_it->off[i];
        if ((ref ? ex_iscc_collapse_ref(t, n, &c, &chars) : ex_iscc_collapse(t, n, &c, &chars)) !=
            EX_OK)
            die("collapse failed");
        g_sink += chars;
    }
    ex_buf_free(&c);
}

static void
do_collapse_ref(void)
{
    collapse_all(1);
}

static void
do_collapse_fast(void)
{
    collapse_all(0);
}

static void
do_soft_ref(void)
{
    for (size_t i = 0; i < g_col.n; i++) {
        uint8_t d[EX_ISCC_DIGEST_BYTES];
        ex_iscc_soft_hash(g_col.text + g_col.off[i], g_col.off[i + 1] - g_col.off[i],
                          EX_ISCC_IMPL_REF, d);
        g_sink += d[0];
    }
}

static void
do_soft_fast(void)
{
    for (size_t i = 0; i < g_col.n; i++) {
        uint8_t d[EX_ISCC_DIGEST_BYTES];
        ex_iscc_soft_hash(g_col.text + g_col.off[i], g_col.off[i + 1] - g_col.off[i], g_kind, d);
        g_sink += d[0];
    }
}

/* the features alone, as the fast path computes them (impl g_kind): the fast path does that
 * and MinHash, so this bounds it */
static void
do_features(void)
{
    uint32_t acc = 0, f[512];
    for (size_t i = 0; i < g_col.n; i++) {
        ex_iscc_windows w;
        size_t n;
        ex_iscc_windows_init(&w, g_col.text + g_col.off[i], g_col.off[i + 1] - g_col.off[i],
                             g_kind);
        while ((n = ex_iscc_features(&w, f, 512)) > 0)
            acc += f[0] ^ f[n - 1];
    }
    g_sink += acc;
}

/* XXH32 (libxxhash, inlined) of every window of 13 code points of the collapsed texts, one
 * window at a time, and nothing else */
static void
do_xxh32(void)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < g_col.n; i++) {
        const char *s = g_col.text + g_col.off[i];
        size_t len = g_col.off[i + 1] - g_col.off[i], ascii = 1;
        for (size_t k = 0; k < len; k++)
            ascii &= (unsigned char)s[k] < 0x80;
        if (len < 13) {
            acc += XXH32(s, len, 0);
        } else if (ascii) {
            for (size_t a = 0; a + 13 <= len; a++)
                acc += XXH32(s + a, 13, 0);
        } else {
            size_t a = 0, b = 0;
            for (unsigned k = 0; b < len && k < 13; k++)
                while (++b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
                    ;
            for (;;) {
                acc += XXH32(s + a, b - a, 0);
                if (b >= len)
                    break;
                while (((unsigned char)s[++a] & 0xC0) == 0x80)
                    ;
                while (++b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
                    ;
            }
        }
    }
    g_sink += acc;
}

static timing
best(void (*fn)(void), unsigned reps, const char *what)
{
    timing b = {1e300, 1e300};
    for (unsigned r = 0; r < reps; r++) {
        double w0 = now(), c0 = cpu_now();
        fn();
        double c = cpu_now() - c0, w = now() - w0;
        if (c < b.cpu)
            b.cpu = c;
        if (w < b.wall)
            b.wall = w;
        fprintf(stderr, "bench_iscc: %s %.3f s cpu, %.3f s wall\n", what, c, w);
    }
    return b;
}

static void
run(const items *it, unsigned pct, unsigned reps, unsigned ref_reps)
{
    g_it = it;
    if (!(g_res = calloc(it->n, sizeof *g_res)))
        die("out of memory");
    /* the collapsed texts, for the soft hash alone */
    size_t cap = it->len + 1;
    memset(&g_col, 0, sizeof g_col);
    if (!(g_col.text = malloc(cap)) || !(g_col.off = malloc((it->n + 1) * sizeof *g_col.off)))
        die("out of memory");
    ex_buf c = {0};
    size_t windows = 0;
    for (size_t i = 0; i < it->n; i++) {
        size_t chars;
        if (ex_iscc_collapse(it->text + it->off[i], it->off[i + 1] - it->off[i], &c, &chars) !=
            EX_OK)
            die("collapse failed");
        put(&g_col.text, &g_col.len, &cap, c.data, c.len);
        g_col.off[++g_col.n] = g_col.len;
        windows += chars < 13 ? 1 : chars - 12;
    }
    g_col.off[0] = 0;
    ex_buf_free(&c);

    double mb = (double)it->len / 1e6;
    timing ref = best(do_ref, ref_reps, "reference");
    g_mismatch = SIZE_MAX;
    timing fast = best(do_fast, reps, "fast");
    if (g_mismatch != 0)
        die("%zu of %zu items differ between the reference and the fast path", g_mismatch, it->n);
    timing cref = best(do_collapse_ref, ref_reps, "collapse reference");
    timing cfast = best(do_collapse_fast, reps, "collapse fast");
    timing sref = best(do_soft_ref, ref_reps, "soft hash reference");
    static const char *const kname[] = {"ref", "portable", "avx2"};
    timing sk[3] = {{0, 0}, {0, 0}, {0, 0}}, fk[3] = {{0, 0}, {0, 0}, {0, 0}};
    for (int k = EX_ISCC_IMPL_PORTABLE; k <= EX_ISCC_IMPL_AVX2; k++)
        if (ex_iscc_impl_has(k)) {
            char what[64];
            g_kind = k;
            snprintf(what, sizeof what, "soft hash %s", kname[k]);
            sk[k] = best(do_soft_fast, reps, what);
            snprintf(what, sizeof what, "features %s", kname[k]);
            fk[k] = best(do_features, reps, what);
        }
    timing xxh = best(do_xxh32, reps, "xxh32 per window");
    int bestk = ex_iscc_impl_has(EX_ISCC_IMPL_AVX2) ? EX_ISCC_IMPL_AVX2 : EX_ISCC_IMPL_PORTABLE;
    timing peer = fk[bestk];

    printf("{\"bench\":\"run\",\"pct\":%u,\"items\":%zu,\"bytes\":%zu,\"nonascii_bytes\":%zu,"
           "\"collapsed_bytes\":%zu,\"windows\":%zu,\"reps\":%u,\"ref_reps\":%u,\"mismatches\":%zu,"
           "\"impl\":\"%s\",",
           pct, it->n, it->len, it->nonascii, g_col.len, windows, reps, ref_reps, g_mismatch,
           kname[bestk]);
#define RATE(name, t)                                                                              \
    printf("\"" name "_s\":%.4f,\"" name "_wall_s\":%.4f,\"" name "_mbps\":%.2f,", (t).cpu,        \
           (t).wall, mb / (t).cpu)
    RATE("ref", ref);
    RATE("fast", fast);
    RATE("collapse_ref", cref);
    RATE("collapse_fast", cfast);
    RATE("soft_ref", sref);
    if (sk[EX_ISCC_IMPL_PORTABLE].cpu > 0) {
        RATE("soft_portable", sk[EX_ISCC_IMPL_PORTABLE]);
        RATE("features_portable", fk[EX_ISCC_IMPL_PORTABLE]);
    }
    if (sk[EX_ISCC_IMPL_AVX2].cpu > 0) {
        RATE("soft_avx2", sk[EX_ISCC_IMPL_AVX2]);
        RATE("features_avx2", fk[EX_ISCC_IMPL_AVX2]);
    }
    RATE("xxh32", xxh);
#undef RATE
    printf("\"speedup\":%.2f,\"fast_of_peer\":%.3f,\"peak_rss_mib\":%.1f,\"sink\":%" PRIu64 "}\n",
           ref.cpu / fast.cpu, peer.cpu / fast.cpu, peak_rss_mib(), g_sink & 0xFFFF);
    free(g_res);
    free(g_col.text);
    free(g_col.off);
}

int
main(int argc, char **argv)
{
    if (argc < 4)
        die("usage: bench_iscc run|profile MB PCT [REPS [REF_REPS]]");
    size_t mb = strtoul(argv[2], NULL, 10);
    unsigned pct = (unsigned)strtoul(argv[3], NULL, 10);
    unsigned reps = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 3;
    unsigned ref_reps = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : reps;
    if (mb == 0 || pct > 100 || reps == 0 || ref_reps == 0)
        die("bad MB, PCT or REPS");
    items it;
    gen(&it, mb, pct);
    fprintf(stderr, "bench_iscc: %zu items, %zu bytes, %.1f%% non-ASCII bytes\n", it.n, it.len,
            100.0 * (double)it.nonascii / (double)it.len);
    if (strcmp(argv[1], "profile") == 0)
        profile(&it, reps);
    else if (strcmp(argv[1], "run") == 0)
        run(&it, pct, reps, ref_reps);
    else
        die("unknown mode '%s'", argv[1]);
    free(it.text);
    free(it.off);
    return 0;
}
