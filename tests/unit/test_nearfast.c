/* test_nearfast.c - the fast path of near-duplicate signatures (near.c, norm.c, fold.c,
 * minhash.c) against the plain one (near_ref.c), which test_near.c pins to the FORMATS.md
 * vectors: the same normalised bytes, shingle counts and signatures on random texts (ASCII,
 * Unicode with combining marks and expansions, invalid UTF-8, punctuation and separators at
 * every place), on every code point after a few it could compose with, on every composition
 * decomposed, and on long texts; the property of Unicode the shortcuts rest on, for every code
 * point; and both MinHash loops against the plain loop. */
#include <stdint.h>

#include <utf8proc.h>

#include "dedup/minhash.h"
#include "dedup/near.h"
#include "t.h"

static ex_near *N, *N37; /* k = 112 (16-lane blocks only) and k = 37 (a tail of 5) */
static ex_buf fast, ref;
static int shown;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t
next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static void
show(const char *what, const char *t, size_t len)
{
    if (shown++ >= 5)
        return;
    fprintf(stderr, "%s differs on", what);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, " %02x", (unsigned char)t[i]);
    fputc('\n', stderr);
}

/* 0 if fast and plain agree on t: normalised bytes */
static int
same_norm(const char *t, size_t len)
{
    if (ex_near_normalise(N, t, len, &fast) != EX_OK ||
        ex_near_normalise_ref(t, len, &ref) != EX_OK)
        return show("normalising fails", t, len), 1;
    if (fast.len != ref.len || (ref.len && memcmp(fast.data, ref.data, ref.len) != 0))
        return show("the normalised text", t, len), 1;
    return 0;
}

/* and shingle counts, signatures at both k */
static int
same(const char *t, size_t len)
{
    uint64_t s1[EX_NEAR_K_DEFAULT], s2[EX_NEAR_K_DEFAULT], c1, c2;
    if (same_norm(t, len))
        return 1;
    for (int w = 0; w < 2; w++) {
        ex_near *n = w ? N37 : N;
        if (ex_near_signature(n, t, len, s1, &c1) != EX_OK ||
            ex_near_signature_ref(n, t, len, s2, &c2) != EX_OK || c1 != c2 ||
            memcmp(s1, s2, ex_near_k(n) * sizeof s1[0]) != 0)
            return show("the signature", t, len), 1;
        /* and the words: what single spaces separate in the plain normalised form */
        ex_buf nb = {0};
        uint64_t nw = 0;
        if (ex_near_normalise_ref(t, len, &nb) != EX_OK)
            return ex_buf_free(&nb), show("the words", t, len), 1;
        for (size_t i = 0; i < nb.len; i++)
            nw += i == 0 || nb.data[i - 1] == ' ';
        ex_buf_free(&nb);
        if (ex_near_words(n) != nw)
            return show("the words", t, len), 1;
    }
    return 0;
}

static void
put_cp(ex_buf *b, utf8proc_int32_t cp)
{
    utf8proc_uint8_t e[4];
    ex_buf_put(b, e, (size_t)utf8proc_encode_char(cp, e));
}

/* pieces of text where the shortcut could go wrong */
static const utf8proc_int32_t tricky[] = {
    0x0301, 0x0308, 0x0327, 0x0345, 0x0338, 0x20dd, /* combining: compose with what precedes */
    0x00e9, 0x00c5, 0x212b, 0x212a, 0x1e9e, 0x00df, 0x0130, 0x03a3, 0x03c2, 0x1f80, /* folds */
    0xfb01, 0xff26, 0xfdfa, 0x2474, 0x00bd, 0x01c4, 0x3392, 0x2460, /* compatibility expansions */
    0x037e, 0x1fef, 0x2000, 0x0340, 0x0374,    /* canonical singletons, some to ASCII */
    0x1100, 0x1161, 0x11a8, 0xac00, 0xd7a3,    /* Hangul jamo and syllables: compose */
    0x00a0, 0x2028, 0x2029, 0x3000, 0x0085, 0x1680, /* separators, NEL (a control) */
    0x2014, 0x201c, 0x201d, 0x00bf, 0x3001, 0xff01, /* punctuation */
    0x00ad, 0x200b, 0x200d, 0xfeff, 0x034f, 0xe0001, /* ignorables */
    0x0627, 0x0644, 0x4e2d, 0x1f600, 0x10ffff, 0xfffd, 0x0e33, 0x0f77, /* others */
};

static void
random_text(ex_buf *b, int mode, size_t pieces)
{
    static const char ascii[] = "aAeEzZ09  .,;!?-'\"()\t\n\r\x0b\x0c\x1f\x7f_~$+<=>^`|@#%&*/\\[]{}";
    b->len = 0;
    for (size_t i = 0; i < pieces; i++) {
        unsigned r = (unsigned)(next() % 100);
        if (mode == 0 || r < 50) /* ASCII, NUL now and then, runs of one byte */
            for (unsigned n = r % 10 ? 1 : 1 + (unsigned)(next() % 20), c = (unsigned)next(); n--;)
                ex_buf_putc(b, r == 49 ? '\0' : ascii[c % (sizeof ascii - 1)]);
        else if (mode == 1 && r < 85)
            put_cp(b, tricky[next() % (sizeof tricky / sizeof tricky[0])]);
        else if (mode == 1) { /* any scalar value */
            utf8proc_int32_t c = (utf8proc_int32_t)(next() % 0x110000);
            put_cp(b, c >= 0xd800 && c <= 0xdfff ? 0x301 : c);
        } else if (r < 80) /* invalid UTF-8: stray, truncated, overlong, surrogate, too big */
            ex_buf_putc(b, (char)(0x80 | next() % 0x80));
        else {
            static const char *const bad[] = {"\xc3", "\xe2\x80", "\xf0\x9f\x98", "\xc0\x80",
                                              "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3\xa9",
                                              "\xcc\x81", "\xe2\x80\x94", "\xff\xfe"};
            ex_buf_puts(b, bad[next() % 10]);
        }
    }
}

static void
test_random(void)
{
    ex_buf b = {0};
    int bad = 0;
    for (int i = 0; i < T_RUNS(30000); i++) {
        random_text(&b, i % 3, (size_t)(next() % (i % 10 ? 40 : 400)));
        bad += same(b.data ? b.data : "", b.len);
    }
    /* long texts: many shingle chunks, word buffers grown in steps */
    for (int i = 0; i < 4; i++) {
        b.len = 0;
        for (int w = 0; w < T_RUNS(20000); w++) {
            const char *sep = w == 0 ? "" : w % 97 ? " " : ", \xc2\xa0";
            ex_buf_printf(&b, "%s%u", sep, (unsigned)(next() % 3000));
            if (i % 2 && w % 50 == 0)
                ex_buf_puts(&b, "e\xcc\x81\xe2\x80\x94");
        }
        bad += same(b.data, b.len);
    }
    CHECK(bad == 0);
    ex_buf_free(&b);
}

/* every code point after each of a few code points it could compose with or be reordered
 * against (an ASCII letter, a separator, Hangul L and LV, U+00E9, a combining mark), 64 to a
 * text; the normalised text (signatures follow from it: test_random checks them) */
static void
test_every_code_point(void)
{
    static const char *const before[] = {"e", " ", "\xe1\x84\x80", "\xea\xb0\x80", "\xc3\xa9",
                                         "o\xcc\x88", "\xcc\xa3"};
    ex_buf b = {0};
    int bad = 0;
    for (size_t w = 0; w < sizeof before / sizeof before[0]; w++)
        for (utf8proc_int32_t c0 = 0x80; c0 < 0x110000; c0 += 64 * T_SAMPLE) {
            b.len = 0;
            for (utf8proc_int32_t c = c0; c < c0 + 64; c++) {
                ex_buf_puts(&b, before[w]);
                put_cp(&b, c >= 0xd800 && c <= 0xdfff ? 'x' : c);
            }
            ex_buf_putc(&b, 'x');
            bad += same_norm(b.data, b.len);
        }
    CHECK(bad == 0);
    ex_buf_free(&b);
}

/* every composition: each code point's canonical decomposition, alone and after "a" */
static void
test_decomposed(void)
{
    ex_buf b = {0};
    int bad = 0;
    for (utf8proc_int32_t c = 0x80; c < 0x110000; c += T_SAMPLE) {
        utf8proc_int32_t d[32];
        utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, NULL);
        if (k < 2 || k > 32)
            continue;
        b.len = 0;
        for (utf8proc_ssize_t i = 0; i < k; i++)
            put_cp(&b, d[i]);
        bad += same_norm(b.data, b.len);
        ex_buf_puts(&b, " a");
        for (utf8proc_ssize_t i = 0; i < k; i++)
            put_cp(&b, d[i]);
        bad += same_norm(b.data, b.len);
    }
    CHECK(bad == 0);
    ex_buf_free(&b);
}

/* the shortcuts' premise (norm.c): the seconds of compositions, the code points a canonical
 * decomposition holds anywhere but first, are never ASCII and, if starters, are of category
 * M* or in the Hangul Jamo block */
static void
test_premise(void)
{
    int bad = 0;
    for (utf8proc_int32_t c = 0; c < 0x110000; c++) {
        utf8proc_int32_t d[32];
        utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, NULL);
        for (utf8proc_ssize_t i = 1; i < k && i < 32; i++) {
            utf8proc_category_t cat = utf8proc_category(d[i]);
            bad += d[i] < 0x80 ||
                   (utf8proc_get_property(d[i])->combining_class == 0 &&
                    cat != UTF8PROC_CATEGORY_MN && cat != UTF8PROC_CATEGORY_MC &&
                    cat != UTF8PROC_CATEGORY_ME && (d[i] < 0x1100 || d[i] > 0x11ff));
        }
    }
    CHECK(bad == 0);
}

static void
test_minhash(void)
{
    uint32_t a[64], b[64], x[600], s1[64], s2[64], s3[64];
    int bad = 0;
    for (int trial = 0; trial < 300; trial++) {
        unsigned k = 1 + (unsigned)(next() % 64);
        size_t n = (size_t)(next() % 600);
        for (unsigned i = 0; i < k; i++) {
            a[i] = (uint32_t)next() | 1;
            b[i] = trial % 7 ? (uint32_t)next() : UINT32_MAX - i; /* wrap around 2^32 */
            s1[i] = s2[i] = s3[i] = trial % 5 ? UINT32_MAX : (uint32_t)next();
        }
        for (size_t j = 0; j < n; j++)
            x[j] = trial % 11 ? (uint32_t)next() : (uint32_t)j; /* small: products below 2^16 */
        ex_minhash_update(k, a, b, x, n, s1);
        ex_minhash_update_portable(k, a, b, x, n, s2);
        for (size_t j = 0; j < n; j++)
            for (unsigned i = 0; i < k; i++)
                if ((uint32_t)(a[i] * x[j] + b[i]) < s3[i])
                    s3[i] = a[i] * x[j] + b[i];
        bad += memcmp(s1, s3, k * 4) != 0 || memcmp(s2, s3, k * 4) != 0;
    }
    CHECK(bad == 0);
    printf("test_nearfast: MinHash loop with AVX2: %s\n", ex_minhash_avx2() ? "yes" : "no");
}

int
main(void)
{
    CHECK_RC(ex_near_new(EX_NEAR_K_DEFAULT, EX_NEAR_BANDS_DEFAULT, &N), EX_OK);
    CHECK_RC(ex_near_new(37, 1, &N37), EX_OK);
    /* cases found while writing the shortcut */
    CHECK(same("\xc2\xa0" "a", 3) == 0);   /* a separator before any word, then ASCII */
    CHECK(same("e\xcc\x81", 3) == 0);      /* composes with the ASCII letter before */
    CHECK(same("a\xc2\xa0" "b", 4) == 0);
    test_premise();
    test_minhash();
    test_random();
    test_every_code_point();
    test_decomposed();
    ex_near_free(N);
    ex_near_free(N37);
    ex_buf_free(&fast);
    ex_buf_free(&ref);
    return t_done("test_nearfast");
}
