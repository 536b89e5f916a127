/* test_near.c - near-duplicate fingerprints (src/dedup/near.h): normalisation cases, shingle
 * counts, a signature checked against values computed independently (Python: splitmix64
 * constants and the multiply-add permutations over XXH3 values of the two shingles), band keys,
 * and the estimated Jaccard against the exact Jaccard of shingle sets on edited texts. */
#include <stdint.h>

#include "dedup/near.h"
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "t.h"

static ex_near *N;

static void
norm_is(const char *in, size_t len, const char *want)
{
    ex_buf b = {0};
    CHECK_RC(ex_near_normalise(N, in, len, &b), EX_OK);
    ex_buf_putc(&b, '\0');
    CHECK_STR(b.data, want);
    ex_buf_free(&b);
}

static void
test_normalise(void)
{
    norm_is("Hello,  World!", 14, "hello world");
    norm_is("  \t\nThe\r\n\n end. ", 17, "the end");
    norm_is("\xef\xac\x81ne", 5, "fine");                       /* U+FB01 ligature: NFKC */
    norm_is("Stra\xc3\x9f" "e", 7, "strasse");                  /* case folding */
    norm_is("\xef\xbc\xa6\xef\xbd\x95ll", 8, "full");           /* fullwidth letters */
    norm_is("a\xe2\x80\x94" "b", 5, "ab");                      /* em dash: punctuation */
    norm_is("a\xc2\xa0" "b", 4, "a b");                         /* no-break space */
    norm_is("a\xff" "b\xc3", 4, "a b");                         /* invalid UTF-8 separates */
    norm_is("a\0b", 3, "a b");                                  /* NUL too */
    norm_is("price: 5 \xe2\x82\xac", 13, "price 5 \xe2\x82\xac"); /* symbols stay */
    /* the FORMATS.md vector */
    const char *v = "Stra\xc3\x9f" "e \xef\xac\x81ne \xef\xbc\xa6ull a\xe2\x80\x94" "b\xc2\xa0" "c";
    norm_is(v, strlen(v), "strasse fine full ab c");
    norm_is("", 0, "");
    norm_is("!!! ...", 7, "");
}

static void
test_signature(void)
{
    uint32_t a, b;
    uint64_t s[EX_NEAR_K_DEFAULT], t[EX_NEAR_K_DEFAULT], sh;
    ex_near_constants(N, 0, &a, &b);
    CHECK(a == 0x03c90d3du && b == 0x7ee2f464u); /* splitmix64's top 32 bits, a odd */
    ex_near_constants(N, 1, &a, &b);
    CHECK(a == 0x0fe9a635u && b == 0x568a9313u);
    /* two shingles; independently (in Python): the minima over the low 32 bits of
     * XXH3("the quick brown fox jumps") = 0x90602c70ee7f6208 and XXH3("quick brown fox jumps
     * over") = 0x547824c5119494f9 */
    const char *txt = "The QUICK brown fox, jumps -- over!";
    CHECK_RC(ex_near_signature(N, txt, strlen(txt), s, &sh), EX_OK);
    CHECK(sh == 2);
    CHECK(ex_near_words(N) == 6);
    CHECK(s[0] == 0x1d5c18b9u);
    CHECK(s[1] == 0x01c30ebbu);
    CHECK(s[111] == 0x3e6149cfu);
    /* spelling differences vanish; word changes do not */
    const char *same = "the quick brown fox jumps over";
    CHECK_RC(ex_near_signature(N, same, strlen(same), t, NULL), EX_OK);
    CHECK(memcmp(s, t, sizeof s) == 0);
    CHECK(ex_near_jaccard(N, s, t) == 1.0);
    /* fewer than five words: one shingle; none: an empty signature matching nothing */
    CHECK_RC(ex_near_signature(N, "two words", 9, t, &sh), EX_OK);
    CHECK(sh == 1 && ex_near_words(N) == 2);
    CHECK_RC(ex_near_signature(N, "one two three four five", 23, t, &sh), EX_OK);
    CHECK(sh == 1 && ex_near_words(N) == 5);
    CHECK_RC(ex_near_signature(N, " ,. ", 4, t, &sh), EX_OK);
    CHECK(sh == 0 && t[0] == UINT64_MAX && t[111] == UINT64_MAX && ex_near_words(N) == 0);
    CHECK(ex_near_jaccard(N, t, t) == 0.0);
    /* fingerprints: the low bytes; bands: equal fingerprints, equal keys; one changed row
     * changes its band's key alone */
    uint8_t f1[EX_NEAR_K_DEFAULT], f2[EX_NEAR_K_DEFAULT];
    ex_near_fingerprint(N, s, f1);
    CHECK(f1[0] == 0xde && f1[1] == 0x3f && f1[111] == 0x5a); /* mix64 of the values above */
    uint64_t k1[EX_NEAR_BANDS_DEFAULT], k2[EX_NEAR_BANDS_DEFAULT];
    ex_near_bands_of(N, f1, k1);
    memcpy(f2, f1, sizeof f1);
    ex_near_bands_of(N, f2, k2);
    CHECK(memcmp(k1, k2, sizeof k1) == 0);
    CHECK(k1[0] == XXH3_64bits_withSeed(f1, 8, 0) && k1[13] == XXH3_64bits_withSeed(f1 + 104, 8, 13));
    /* docs/FORMATS.md's vectors: fingerprint bytes 0..7 and 104..111 (computed in Python from
     * the signature), band keys 0 and 13 */
    static const uint8_t lo[8] = {0xde, 0x3f, 0xc6, 0x95, 0x8d, 0x18, 0x4c, 0xf9},
                         hi[8] = {0xe9, 0xed, 0xf9, 0x65, 0xe3, 0x49, 0x60, 0x5a};
    CHECK(memcmp(f1, lo, 8) == 0 && memcmp(f1 + 104, hi, 8) == 0);
    CHECK(k1[0] == UINT64_C(0x63bff626a28595b9) && k1[13] == UINT64_C(0xa865df52637cfd33));
    f2[8 * 5 + 3] ^= 1;
    ex_near_bands_of(N, f2, k2);
    int differ = 0;
    for (int j = 0; j < EX_NEAR_BANDS_DEFAULT; j++)
        differ += k1[j] != k2[j];
    CHECK(differ == 1 && k1[5] != k2[5]);
    /* one-shingle texts: fingerprints differ even when their shingle hashes share the low byte
     * ("robots 404" and "four": 0x...12 both) */
    uint64_t u[EX_NEAR_K_DEFAULT], v[EX_NEAR_K_DEFAULT];
    CHECK_RC(ex_near_signature(N, "robots 404", 10, u, NULL), EX_OK);
    CHECK_RC(ex_near_signature(N, "four", 4, v, NULL), EX_OK);
    uint8_t fu[EX_NEAR_K_DEFAULT], fv[EX_NEAR_K_DEFAULT];
    ex_near_fingerprint(N, u, fu);
    ex_near_fingerprint(N, v, fv);
    CHECK(ex_near_fp_jaccard(112, fu, fv) < 0.2);
    /* the estimate from fingerprints: equal 1, one of 112 differing (111/112 - 1/256) / (255/256) */
    CHECK(ex_near_fp_jaccard(112, f1, f1) == 1.0);
    double e = ex_near_fp_jaccard(112, f1, f2);
    CHECK(e > 0.99 && e < (111.0 / 112));
    memset(f2, 0, sizeof f2);
    for (int i = 0; i < 112; i++)
        f2[i] = (uint8_t)(f1[i] + 1);
    CHECK(ex_near_fp_jaccard(112, f1, f2) == 0.0);
    /* parameters */
    ex_near *x = NULL;
    CHECK_RC(ex_near_new(112, 15, &x), EX_EINVAL);
    CHECK_RC(ex_near_new(0, 1, &x), EX_EINVAL);
    CHECK_RC(ex_near_new(EX_NEAR_K_MAX + 1, 1, &x), EX_EINVAL);
    CHECK_RC(ex_near_new(64, 8, &x), EX_OK);
    CHECK(ex_near_k(x) == 64 && ex_near_bands(x) == 8);
    ex_near_free(x);
}

/* ---- estimated against exact Jaccard ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t
next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* the shingles of a text of words w[0..n) (already normal: lowercase, single spaces) */
static size_t
shingle_set(const unsigned *w, size_t n, uint64_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i + 5 <= n; i++)
        out[k++] = ((uint64_t)w[i] << 44) | ((uint64_t)w[i + 1] << 33) |
                   ((uint64_t)w[i + 2] << 22) | ((uint64_t)w[i + 3] << 11) | w[i + 4];
    return k;
}

static int
cmp64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double
exact(uint64_t *a, size_t na, uint64_t *b, size_t nb)
{
    qsort(a, na, 8, cmp64), qsort(b, nb, 8, cmp64);
    size_t i = 0, j = 0, both = 0, ua = 0, ub = 0;
    for (size_t x = 0; x < na; x++) /* distinct */
        if (x == 0 || a[x] != a[x - 1])
            a[ua++] = a[x];
    for (size_t x = 0; x < nb; x++)
        if (x == 0 || b[x] != b[x - 1])
            b[ub++] = b[x];
    while (i < ua && j < ub) {
        if (a[i] == b[j])
            both++, i++, j++;
        else if (a[i] < b[j])
            i++;
        else
            j++;
    }
    return (double)both / (double)(ua + ub - both);
}

static void
text_of(const unsigned *w, size_t n, ex_buf *b)
{
    b->len = 0;
    for (size_t i = 0; i < n; i++)
        ex_buf_printf(b, "%sW%u", i ? " " : "", w[i]);
}

static void
test_estimate(void)
{
    enum { WORDS = 400 };
    unsigned a[WORDS], b[WORDS];
    uint64_t sa[WORDS], sb[WORDS], ga[EX_NEAR_K_DEFAULT], gb[EX_NEAR_K_DEFAULT];
    ex_buf ta = {0}, tb = {0};
    double worst = 0;
    for (int trial = 0; trial < 40; trial++) {
        for (int i = 0; i < WORDS; i++)
            a[i] = b[i] = (unsigned)(next() % 1000);
        int edits = 2 + trial; /* from near copies to loose ones */
        for (int e = 0; e < edits; e++)
            b[next() % WORDS] = 1000 + (unsigned)(next() % 1000);
        double want = exact(sa, shingle_set(a, WORDS, sa), sb, shingle_set(b, WORDS, sb));
        text_of(a, WORDS, &ta);
        text_of(b, WORDS, &tb);
        CHECK_RC(ex_near_signature(N, ta.data, ta.len, ga, NULL), EX_OK);
        CHECK_RC(ex_near_signature(N, tb.data, tb.len, gb, NULL), EX_OK);
        double got = ex_near_jaccard(N, ga, gb), d = got > want ? got - want : want - got;
        if (d > worst)
            worst = d;
    }
    /* k = 112: the estimate's standard deviation is at most 0.047; 0.2 is over 4 of them */
    CHECK(worst < 0.2);
    ex_buf_free(&ta);
    ex_buf_free(&tb);
}

/* the stored record (docs/FORMATS.md): version 2 carries the words; version 1 is still read */
static void
test_record(void)
{
    uint8_t fp[EX_NEAR_K_DEFAULT], rec[EX_NEAR_REC_MAX];
    for (int i = 0; i < EX_NEAR_K_DEFAULT; i++)
        fp[i] = (uint8_t)(i * 7 + 1);
    size_t len = ex_near_record(N, fp, 300, rec);
    CHECK(len == 119 && rec[0] == 2 && rec[1] == 112 && rec[2] == 0 && rec[3] == 14 && rec[4] == 0);
    CHECK(memcmp(rec + 5, fp, sizeof fp) == 0);
    CHECK(rec[117] == 0xac && rec[118] == 0x02); /* 300 in LEB128 */
    unsigned k, bands;
    const uint8_t *f;
    uint64_t w;
    CHECK_RC(ex_near_record_read(rec, len, &k, &bands, &f), EX_OK);
    CHECK(k == 112 && bands == 14 && f == rec + 5);
    CHECK_RC(ex_near_record_words(rec, len, &w), EX_OK);
    CHECK(w == 300);
    CHECK(ex_near_record_fp(rec, len, 112, 14) == rec + 5 && !ex_near_record_fp(rec, len, 64, 8));
    /* the word count's lengths: 1 byte to 127, 10 for the largest */
    static const uint64_t ws[] = {1, 127, 128, 16383, 16384, UINT64_C(1) << 63, UINT64_MAX};
    static const size_t wl[] = {1, 1, 2, 2, 3, 10, 10};
    for (size_t i = 0; i < sizeof ws / sizeof *ws; i++) {
        CHECK(ex_near_record(N, fp, ws[i], rec) == 117 + wl[i]);
        CHECK(ex_near_record_words(rec, 117 + wl[i], &w) == EX_OK && w == ws[i]);
        CHECK_RC(ex_near_record_words(rec, 116 + wl[i], &w), EX_EFORMAT); /* cut */
    }
    /* longer than its shortest form, past 64 bits, or followed by more: refused */
    len = ex_near_record(N, fp, 5, rec);
    rec[117] = 0x85, rec[118] = 0x00;
    CHECK_RC(ex_near_record_words(rec, 119, &w), EX_EFORMAT);
    rec[117] = 0x05, rec[118] = 0x00;
    CHECK_RC(ex_near_record_words(rec, 119, &w), EX_EFORMAT);
    memset(rec + 117, 0xff, 9);
    rec[126] = 0x02;
    CHECK_RC(ex_near_record_words(rec, 127, &w), EX_EFORMAT);
    memset(rec + 117, 0x80, 11);
    rec[128] = 0x01;
    CHECK_RC(ex_near_record_words(rec, 129, &w), EX_EFORMAT);
    /* a record of version 1: the same fingerprint, no word count */
    len = ex_near_record(N, fp, 5, rec);
    rec[0] = 1;
    CHECK_RC(ex_near_record_read(rec, 117, &k, &bands, &f), EX_OK);
    CHECK_RC(ex_near_record_words(rec, 117, &w), EX_ENOTFOUND);
    CHECK_RC(ex_near_record_read(rec, 118, &k, &bands, &f), EX_EFORMAT);
    rec[0] = 2;
    CHECK_RC(ex_near_record_read(rec, 117, &k, &bands, &f), EX_EFORMAT);
    rec[0] = 3;
    CHECK_RC(ex_near_record_read(rec, 118, &k, &bands, &f), EX_EFORMAT);
    /* an item without text: one byte, no words */
    CHECK(ex_near_record(N, NULL, 99, rec) == 1 && rec[0] == 0);
    CHECK_RC(ex_near_record_read(rec, 1, &k, &bands, &f), EX_ENOTFOUND);
    CHECK_RC(ex_near_record_words(rec, 1, &w), EX_OK);
    CHECK(w == 0);
}

int
main(void)
{
    CHECK_RC(ex_near_new(EX_NEAR_K_DEFAULT, EX_NEAR_BANDS_DEFAULT, &N), EX_OK);
    test_normalise();
    test_signature();
    test_estimate();
    test_record();
    ex_near_free(N);
    return t_done("test_near");
}
