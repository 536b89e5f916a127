/* bench_near.c - near-duplicate signatures and band probes (bench/near.sh). One JSON line per
 * measurement, on one thread ("per core").
 *
 *   bench_near sig MB RUNS PCT   MB megabytes of generated English-like text (words drawn from
 *                                a Zipf vocabulary of 50,000, sentences, commas, paragraphs) cut
 *                                into documents of 1-8 KB; PCT percent of the words non-ASCII
 *                                (accented Latin, some with combining marks, Cyrillic, Greek,
 *                                CJK), with curly quotes, dashes and no-break spaces. Measured
 *                                over all documents: ex_near_signature_ref once (the plain
 *                                reference), then, best of RUNS each, ex_near_signature (the fast
 *                                path), ex_near_normalise alone, the MinHash loop alone on the
 *                                documents' shingle hashes, the raw shingle-hashing limit (word
 *                                starts and XXH3-64 of every 5-word shingle of the already
 *                                normalised documents) and a plain read of the text (summing it
 *                                8 bytes at a time). Every rate is in MB of the generated text
 *                                per second. Exits 1 if any document's fast signature differs
 *                                from its reference one. Each measure is reported in wall
 *                                time and in the process's CPU time (on a shared machine, the
 *                                time it had a core).
 *   bench_near probes DIR N P    the band index: ex_dedup (in DIR, memory as
 *                                EXANTE_DEDUP_MEM_ITEMS or the default) holding 14 random non-zero
 *                                keys for each of N items (id = the item), then P lookups
 *                                (ex_dedup_find) of absent keys and P of present ones (the
 *                                callback accepts the first candidate), and P of present ones
 *                                with a callback that sees every candidate and accepts none (as
 *                                the band index's does: "every"), each timed in wall and CPU
 *                                time ("live");
 *                                then the index is saved (its bytes on disk reported: run
 *                                entries, directories, headers, manifest, per key and per item),
 *                                loaded into a new index as the next ingest would, and probed
 *                                the same way again ("loaded"). The index files are deleted at
 *                                the end. */
#define BENCH_NAME "bench_near"
#include "bench_util.h"
#include "exante.h"
#include "dedup/dedup.h"
#include "dedup/minhash.h"
#include "dedup/near.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#define VOCAB 50000

/* the best wall and CPU seconds of a measure over the runs (the process's CPU time: on a
 * shared machine, the time it had a core) */
typedef struct best {
    const char *name;
    double wall, cpu, t0, c0;
} best;

static double
cpu_now(void)
{
    return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

static void
start(best *b)
{
    b->t0 = now(), b->c0 = cpu_now();
}

static void
stop(best *b)
{
    double t = now() - b->t0, c = cpu_now() - b->c0;
    b->wall = t < b->wall ? t : b->wall;
    b->cpu = c < b->cpu ? c : b->cpu;
}
#define BANDS EX_NEAR_BANDS_DEFAULT

static const char *const common[] = {
    "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be",
    "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have",
    "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her", "has",
    "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "she", "other",
    "its", "may", "these", "what", "them", "than", "some", "him", "time", "into", "only", "do",
    "could", "new", "about", "two", "first", "then", "also", "after", "any", "like", "should",
    "people", "made", "most", "over", "such", "where", "those", "many", "years", "must", "between"};
#define NCOMMON (sizeof common / sizeof common[0])

static char *vocab[VOCAB];
static double cdf[VOCAB];

static void
make_vocab(void)
{
    static const char *const syl[] = {"ing", "er", "an", "re", "on", "at", "en", "nd", "ti",
                                      "es", "or", "te", "of", "ed", "is", "it", "al", "ar",
                                      "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io",
                                      "le", "ve", "co", "me", "de", "hi", "ri", "ro", "ic",
                                      "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma",
                                      "si", "om", "ur", "b", "p", "w"};
    double sum = 0;
    for (unsigned r = 0; r < VOCAB; r++) {
        char w[64] = "";
        if (r < NCOMMON)
            strcpy(w, common[r]);
        else /* rarer words are longer, as in English */
            for (unsigned s = 0, ns = 2 + bench_pick(2) + (r > 2000) + (r > 20000 && bench_pick(2));
                 s < ns; s++)
                strcat(w, syl[bench_pick(sizeof syl / sizeof syl[0])]);
        vocab[r] = strdup(w);
        sum += 1.0 / (r + 1); /* Zipf, exponent 1 */
        cdf[r] = sum;
    }
    for (unsigned r = 0; r < VOCAB; r++)
        cdf[r] /= sum;
}

static const char *
zipf_word(void)
{
    double u = (double)(bench_rnd() >> 11) / 9007199254740992.0;
    unsigned lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return vocab[lo];
}

/* a non-ASCII word into b: accented Latin (precomposed or with combining marks), Cyrillic,
 * Greek or CJK */
static void
foreign_word(ex_buf *b)
{
    static const char *const acc[] = {"\xc3\xa9", "\xc3\xa8", "\xc3\xbc", "\xc3\xb6", "\xc3\x9f",
                                      "\xc3\xb1", "\xc3\xa7", "\xc3\xa5", "\xc3\xa0", "\xc3\x89"};
    static const char *const comb[] = {"\xcc\x81", "\xcc\x88", "\xcc\x80", "\xcc\xa7"};
    unsigned t = bench_pick(20), len = 3 + bench_pick(6);
    for (unsigned i = 0; i < len; i++) {
        if (t < 10) { /* Latin, one letter in three accented */
            if (bench_pick(3) == 0)
                ex_buf_puts(b, acc[bench_pick(10)]);
            else
                ex_buf_putc(b, (char)('a' + bench_pick(26)));
        } else if (t < 13) { /* a base letter and a combining mark */
            ex_buf_putc(b, (char)("aeiouc"[bench_pick(6)]));
            if (bench_pick(2))
                ex_buf_puts(b, comb[bench_pick(4)]);
        } else if (t < 17) { /* Cyrillic U+0410..U+044F, Greek U+0391..U+03C9 */
            unsigned cp = t < 16 ? 0x410 + bench_pick(64) : 0x391 + bench_pick(0x38);
            if (cp == 0x3a2)
                cp = 0x3a3;
            char e[2] = {(char)(0xc0 | cp >> 6), (char)(0x80 | (cp & 0x3f))};
            ex_buf_put(b, e, 2);
        } else { /* CJK U+4E00.. */
            unsigned cp = 0x4e00 + bench_pick(2000);
            char e[3] = {(char)(0xe0 | cp >> 12), (char)(0x80 | ((cp >> 6) & 0x3f)),
                         (char)(0x80 | (cp & 0x3f))};
            ex_buf_put(b, e, 3);
            if (i >= 2)
                break;
        }
    }
}

/* documents of 1-8 KB of sentences into text; doc[i] their offsets (doc[ndoc] = the end) */
static size_t
make_text(size_t bytes, unsigned pct, ex_buf *text, size_t **doc)
{
    size_t ndoc = 0, cap = bytes / 1000 + 2;
    *doc = malloc(cap * sizeof **doc);
    if (!*doc || ex_buf_reserve(text, bytes + 16384) != EX_OK)
        die("out of memory");
    while (text->len < bytes) {
        (*doc)[ndoc++] = text->len;
        size_t want = text->len + 1000 + bench_pick(7000);
        while (text->len < want) {
            for (unsigned s = 0, ns = 3 + bench_pick(5); s < ns; s++) {
                for (unsigned w = 0, nw = 8 + bench_pick(23); w < nw; w++) {
                    unsigned r = bench_pick(1000);
                    if (w > 0)
                        ex_buf_puts(text, pct && r < pct / 2 ? "\xc2\xa0" : " ");
                    if (pct && r >= 10 && r < 10 + pct / 2)
                        ex_buf_puts(text, "\xe2\x80\x9c"); /* opening curly quote */
                    if (bench_pick(100) < pct)
                        foreign_word(text);
                    else if (r >= 990)
                        ex_buf_printf(text, "%u", bench_pick(2000));
                    else {
                        const char *z = zipf_word();
                        ex_buf_putc(text, (char)(w == 0 ? *z - 32 : *z));
                        ex_buf_puts(text, z + 1);
                    }
                    if (pct && r >= 10 && r < 10 + pct / 2)
                        ex_buf_puts(text, "\xe2\x80\x9d");
                    if (r >= 900 && r < 960 && w + 1 < nw)
                        ex_buf_putc(text, ',');
                    if (pct && r >= 960 && r < 960 + pct / 4 && w + 1 < nw)
                        ex_buf_puts(text, " \xe2\x80\x94");
                }
                ex_buf_putc(text, "..........?!"[bench_pick(12)]);
                ex_buf_putc(text, ' ');
            }
            ex_buf_puts(text, "\n\n");
        }
        if (ndoc + 1 >= cap && !(*doc = realloc(*doc, (cap *= 2) * sizeof **doc)))
            die("out of memory");
    }
    (*doc)[ndoc] = text->len;
    return ndoc;
}

static int
sig(size_t mb, int runs, unsigned pct)
{
    ex_near *n;
    if (ex_near_new(EX_NEAR_K_DEFAULT, BANDS, &n) != EX_OK)
        die("out of memory");
    bench_seed(13);
    make_vocab();
    ex_buf text = {0};
    size_t *doc, ndoc = make_text(mb * 1000000, pct, &text, &doc);
    size_t bytes = text.len, k = EX_NEAR_K_DEFAULT;
    uint64_t *sigs = malloc(ndoc * k * sizeof *sigs), s[EX_NEAR_K_DEFAULT], sh, shingles = 0;
    /* the already normalised documents and their shingle hashes, for the limits */
    ex_buf norm = {0}, one = {0};
    size_t *ndocs = malloc((ndoc + 1) * sizeof *ndocs), *hdoc = malloc((ndoc + 1) * sizeof *hdoc);
    uint32_t *hash = NULL; /* their low 32 bits, what the MinHash loop takes */
    size_t hcap = 0, nh = 0, words = 0, nonascii = 0;
    if (!sigs || !ndocs || !hdoc)
        die("out of memory");
    for (size_t i = 0; i < bytes; i++)
        nonascii += (unsigned char)text.data[i] >= 0x80;
    best m[] = {{"ref", 1e30, 1e30, 0, 0},   {"fast", 1e30, 1e30, 0, 0},
                {"norm", 1e30, 1e30, 0, 0},  {"minhash", 1e30, 1e30, 0, 0},
                {"limit", 1e30, 1e30, 0, 0}, {"read", 1e30, 1e30, 0, 0}};
    start(&m[0]);
    for (size_t d = 0; d < ndoc; d++)
        if (ex_near_signature_ref(n, text.data + doc[d], doc[d + 1] - doc[d], sigs + d * k,
                                  &sh) != EX_OK)
            die("reference signature failed");
    stop(&m[0]);
    for (size_t d = 0; d < ndoc; d++) {
        if (ex_near_normalise(n, text.data + doc[d], doc[d + 1] - doc[d], &one) != EX_OK)
            die("normalise failed");
        ndocs[d] = norm.len, hdoc[d] = nh;
        ex_buf_put(&norm, one.data, one.len);
        if (ex_near_signature(n, text.data + doc[d], doc[d + 1] - doc[d], s, &sh) != EX_OK)
            die("signature failed");
        if (memcmp(s, sigs + d * k, sizeof s) != 0)
            die("document %zu: the fast signature differs from the reference", d);
        if (nh + sh > hcap && !(hash = realloc(hash, (hcap = 2 * (nh + sh)) * sizeof *hash)))
            die("out of memory");
        size_t w0 = 0, ring[6], nw = 0; /* shingle hashes, as near_ref.c makes them */
        for (size_t i = 0; one.len > 0 && i <= one.len; i++)
            if (i == one.len || one.data[i] == ' ') {
                ring[nw++ % 6] = w0, w0 = i + 1;
                if (nw >= 5)
                    hash[nh++] = (uint32_t)XXH3_64bits(one.data + ring[(nw - 5) % 6],
                                                       i - ring[(nw - 5) % 6]);
            }
        if (nw > 0 && nw < 5)
            hash[nh++] = (uint32_t)XXH3_64bits(one.data, one.len);
        words += nw;
        shingles += sh;
    }
    ndocs[ndoc] = norm.len, hdoc[ndoc] = nh;
    if (nh != shingles)
        die("counted %zu shingles, the signatures %llu", nh, (unsigned long long)shingles);
    uint32_t a[EX_NEAR_K_DEFAULT], b[EX_NEAR_K_DEFAULT], s32[EX_NEAR_K_DEFAULT];
    uint64_t check = 0;
    for (unsigned i = 0; i < k; i++)
        ex_near_constants(n, i, &a[i], &b[i]);
    size_t *ws = malloc((norm.len / 2 + 2) * sizeof *ws);
    for (int r = 0; r < runs; r++) {
        start(&m[1]);
        for (size_t d = 0; d < ndoc; d++)
            ex_near_signature(n, text.data + doc[d], doc[d + 1] - doc[d], s, &sh), check += s[0];
        stop(&m[1]);
        start(&m[2]);
        for (size_t d = 0; d < ndoc; d++)
            ex_near_normalise(n, text.data + doc[d], doc[d + 1] - doc[d], &one), check += one.len;
        stop(&m[2]);
        start(&m[3]);
        for (size_t d = 0; d < ndoc; d++) {
            memset(s32, 0xff, sizeof s32);
            for (size_t j = hdoc[d]; j < hdoc[d + 1]; j += 256) /* as near.c: 256 at a time */
                ex_minhash_update((unsigned)k, a, b, hash + j,
                                  hdoc[d + 1] - j < 256 ? hdoc[d + 1] - j : 256, s32);
            check += s32[1];
        }
        stop(&m[3]);
        start(&m[4]);
        for (size_t d = 0; d < ndoc; d++) { /* word starts without a branch, then XXH3 */
            const char *p = norm.data + ndocs[d];
            size_t l = ndocs[d + 1] - ndocs[d], nw = l > 0;
            ws[0] = 0;
            for (size_t i = 0; i < l; i++)
                ws[nw] = i + 1, nw += p[i] == ' ';
            for (size_t j = 0; j + 5 <= nw; j++)
                check += XXH3_64bits(p + ws[j], (j + 5 < nw ? ws[j + 5] - 1 : l) - ws[j]);
            if (nw > 0 && nw < 5)
                check += XXH3_64bits(p, l);
        }
        stop(&m[4]);
        start(&m[5]);
        uint64_t sum = 0, v;
        for (size_t i = 0; i + 8 <= bytes; i += 8)
            memcpy(&v, text.data + i, 8), sum += v;
        check += sum;
        stop(&m[5]);
    }
    printf("{\"bench\":\"near-sig\",\"pct_words_nonascii\":%u,\"bytes\":%zu,\"nonascii_bytes\":%zu,"
           "\"docs\":%zu,\"words\":%zu,\"shingles\":%llu,\"norm_bytes\":%zu,\"k\":%zu,\"avx2\":%d,"
           "\"runs\":%d",
           pct, bytes, nonascii, ndoc, words, (unsigned long long)shingles, norm.len, k,
           ex_minhash_avx2(), runs);
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        printf(",\"%s_s\":%.4f,\"%s_cpu_s\":%.4f,\"%s_mbps\":%.1f,\"%s_cpu_mbps\":%.1f", m[i].name,
               m[i].wall, m[i].name, m[i].cpu, m[i].name, (double)bytes / 1e6 / m[i].wall,
               m[i].name, (double)bytes / 1e6 / m[i].cpu);
    printf(",\"peak_rss_mib\":%.1f,\"check\":%llu}\n", peak_rss_mib(),
           (unsigned long long)(check % 10));
    free(ws), free(hash), free(hdoc), free(ndocs), free(sigs), free(doc);
    ex_buf_free(&norm), ex_buf_free(&one), ex_buf_free(&text);
    ex_near_free(n);
    return 0;
}

static int
accept(void *ctx, uint64_t id)
{
    (void)ctx, (void)id;
    return 1;
}

/* the band key of item i, band j: distinct for distinct (i, j) (ex_mix64 is a bijection) */
static uint64_t
key_of(uint64_t i, unsigned j)
{
    uint64_t k = ex_mix64(i * BANDS + j + UINT64_C(0x5eed));
    return k ? k : 1;
}

/* the index's files in dir after a save: bytes of run entries, directories and headers (a
 * version 2 run: a 40-byte header, 8 bytes per entry, the directory; a version 1 run is all
 * 16-byte entries), of the manifest, and the run files' version */
typedef struct disk {
    uint64_t entries, dirs, heads, manifest, files;
    int version;
} disk;

static disk
disk_use(const char *dir)
{
    disk u = {0, 0, 0, 0, 0, 0};
    DIR *dh = opendir(dir);
    char path[4096];
    for (struct dirent *de; dh && (de = readdir(dh));) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (de->d_name[0] == '.' || stat(path, &sb) != 0)
            continue;
        uint64_t size = (uint64_t)sb.st_size;
        if (strcmp(de->d_name, "manifest") == 0) {
            u.manifest += size;
            continue;
        }
        unsigned char h[16] = {0};
        FILE *f = fopen(path, "rb");
        size_t got = f ? fread(h, 1, sizeof h, f) : 0;
        if (f)
            fclose(f);
        u.files++;
        if (got == sizeof h && memcmp(h, "EXRN", 4) == 0) {
            uint64_t n = 0;
            for (int i = 7; i >= 0; i--)
                n = n << 8 | h[8 + i];
            u.version = h[4];
            u.heads += 40;
            u.entries += 8 * n;
            u.dirs += size - 40 - 8 * n;
        } else {
            u.version = 1;
            u.entries += size;
        }
    }
    if (dh)
        closedir(dh);
    return u;
}

/* resident memory now, MiB: the process's own (anonymous) and file pages mapped (RssFile) */
static void
rss_now(double *anon, double *file)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    unsigned long kb;
    *anon = *file = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "RssAnon: %lu", &kb) == 1)
            *anon = (double)kb / 1024;
        else if (sscanf(line, "RssFile: %lu", &kb) == 1)
            *file = (double)kb / 1024;
    }
    if (f)
        fclose(f);
}

typedef struct rates {
    double absent_s, absent_cpu_s, present_s, present_cpu_s, every_s, every_cpu_s;
} rates;

/* as the band index's callback: sees every candidate, accepts none */
static int
count_all(void *ctx, uint64_t id)
{
    (void)id;
    ++*(uint64_t *)ctx;
    return 0;
}

/* P probes of absent keys, then P of present ones, each timed in wall and CPU time */
static rates
probe(ex_dedup *d, uint64_t n, uint64_t p, uint64_t seed)
{
    rates r;
    uint64_t hits = 0, found = 0;
    int rc;
    bench_seed(seed);
    double t = now(), c = cpu_now();
    for (uint64_t q = 0; q < p; q++) { /* keys of items beyond the last */
        uint64_t key = key_of(n + 1 + bench_rnd() % (n * 1000), bench_pick(BANDS));
        hits += ex_dedup_find(d, key, accept, NULL, &rc) != 0;
        if (rc != EX_OK)
            die("a run cannot be read");
    }
    r.absent_s = now() - t, r.absent_cpu_s = cpu_now() - c;
    t = now(), c = cpu_now();
    for (uint64_t q = 0; q < p; q++) {
        uint64_t i = 1 + bench_rnd() % n;
        found += ex_dedup_find(d, key_of(i, bench_pick(BANDS)), accept, NULL, &rc) == i;
        if (rc != EX_OK)
            die("a run cannot be read");
    }
    r.present_s = now() - t, r.present_cpu_s = cpu_now() - c;
    uint64_t seen = 0;
    t = now(), c = cpu_now();
    for (uint64_t q = 0; q < p; q++) {
        uint64_t i = 1 + bench_rnd() % n;
        (void)ex_dedup_find(d, key_of(i, bench_pick(BANDS)), count_all, &seen, &rc);
    }
    r.every_s = now() - t, r.every_cpu_s = cpu_now() - c;
    if (hits != 0 || found != p || seen < p)
        die("absent keys found %llu times, present ones %llu of %llu", (unsigned long long)hits,
            (unsigned long long)found, (unsigned long long)p);
    return r;
}

static void
print_rates(const char *what, const rates *r, uint64_t p)
{
    printf(",\"%s_absent_s\":%.4f,\"%s_absent_cpu_s\":%.4f,\"%s_absent_per_s\":%.0f,"
           "\"%s_absent_per_cpu_s\":%.0f,\"%s_present_s\":%.4f,\"%s_present_cpu_s\":%.4f,"
           "\"%s_present_per_s\":%.0f,\"%s_present_per_cpu_s\":%.0f,\"%s_every_s\":%.4f,"
           "\"%s_every_cpu_s\":%.4f,\"%s_every_per_s\":%.0f,\"%s_every_per_cpu_s\":%.0f",
           what, r->absent_s, what, r->absent_cpu_s, what, (double)p / r->absent_s, what,
           (double)p / r->absent_cpu_s, what, r->present_s, what, r->present_cpu_s, what,
           (double)p / r->present_s, what, (double)p / r->present_cpu_s, what, r->every_s, what,
           r->every_cpu_s, what, (double)p / r->every_s, what, (double)p / r->every_cpu_s);
}

static int
probes(const char *dir, uint64_t n, uint64_t p)
{
    ex_dedup *d;
    ex_err err = {0};
    if (ex_dedup_open(dir, 0, &d, &err) != EX_OK)
        die("%s", err.msg);
    double t = now(), c = cpu_now();
    for (uint64_t i = 1; i <= n; i++)
        for (unsigned j = 0; j < BANDS; j++)
            if (ex_dedup_put(d, key_of(i, j), i, &err) != EX_OK)
                die("%s", err.msg);
    double build_s = now() - t, build_cpu_s = cpu_now() - c;
    uint64_t keys;
    size_t runs, mem, runs2;
    ex_dedup_stats(d, &keys, &runs, &mem);
    rates live = probe(d, n, p, 17);
    double anon, file;
    rss_now(&anon, &file);
    /* kept: saved, then loaded into a new index (as the next ingest does) and probed again */
    t = now();
    if (ex_dedup_save(d, n, 1, &err) != EX_OK)
        die("%s", err.msg);
    double save_s = now() - t;
    ex_dedup_stats(d, NULL, &runs2, NULL);
    ex_dedup_close(d);
    disk u = disk_use(dir);
    uint64_t total = u.entries + u.dirs + u.heads + u.manifest, cov, ck;
    if (ex_dedup_open(dir, 0, &d, &err) != EX_OK)
        die("%s", err.msg);
    t = now();
    if (ex_dedup_load(d, &cov, &ck) != EX_OK || cov != n)
        die("the saved index does not load");
    double load_s = now() - t;
    rates loaded = probe(d, n, p, 19);
    double anon2, file2;
    rss_now(&anon2, &file2);
    printf("{\"bench\":\"near-probes\",\"items\":%llu,\"keys\":%llu,\"mem_items\":%zu,\"runs\":%zu,"
           "\"index_mem_mib\":%.1f,\"build_s\":%.3f,\"build_cpu_s\":%.3f,\"puts_per_s\":%.0f,"
           "\"probes\":%llu",
           (unsigned long long)n, (unsigned long long)keys, ex_dedup_mem_items(), runs,
           (double)mem / 1048576, build_s, build_cpu_s, (double)keys / build_s,
           (unsigned long long)p);
    print_rates("live", &live, p);
    printf(",\"rss_anon_mib\":%.1f,\"rss_file_mib\":%.1f,\"save_s\":%.3f,\"saved_runs\":%zu,"
           "\"run_version\":%d,\"run_files\":%llu,\"disk_bytes\":%llu,\"entry_bytes\":%llu,"
           "\"dir_bytes\":%llu,\"head_bytes\":%llu,\"manifest_bytes\":%llu,"
           "\"bytes_per_key\":%.3f,\"bytes_per_item\":%.2f,\"load_s\":%.3f",
           anon, file, save_s, runs2, u.version, (unsigned long long)u.files,
           (unsigned long long)total, (unsigned long long)u.entries, (unsigned long long)u.dirs,
           (unsigned long long)u.heads, (unsigned long long)u.manifest,
           (double)total / (double)keys, (double)total / (double)n, load_s);
    print_rates("loaded", &loaded, p);
    printf(",\"loaded_rss_anon_mib\":%.1f,\"loaded_rss_file_mib\":%.1f,\"peak_rss_mib\":%.1f}\n",
           anon2, file2, peak_rss_mib());
    ex_dedup_reset(d);
    ex_dedup_close(d);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "sig") == 0)
        return sig(strtoull(argv[2], NULL, 10), atoi(argv[3]), (unsigned)atoi(argv[4]));
    if (argc == 5 && strcmp(argv[1], "probes") == 0)
        return probes(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    fprintf(stderr, "usage: bench_near sig MB RUNS PCT | probes DIR N P\n");
    return 2;
}
