/* near.c - near-duplicate fingerprints (near.h). */
#include "near.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

struct ex_near {
    unsigned k, bands;
    uint64_t *a, *b;
    ex_buf clean, norm;   /* scratch: the text made valid, then normalised */
    size_t *word, nword, wcap; /* word starts in norm */
};

/* splitmix64: the permutation constants' generator (documented, so others can derive them) */
static uint64_t
splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int
ex_near_new(unsigned k, unsigned bands, ex_near **out)
{
    *out = NULL;
    if (k == 0 || k > EX_NEAR_K_MAX || bands == 0 || bands > k || k % bands != 0)
        return EX_EINVAL;
    ex_near *n = calloc(1, sizeof *n);
    if (!n || !(n->a = malloc(k * sizeof *n->a)) || !(n->b = malloc(k * sizeof *n->b))) {
        ex_near_free(n);
        return EX_ENOMEM;
    }
    n->k = k;
    n->bands = bands;
    uint64_t s = EX_NEAR_SEED;
    for (unsigned i = 0; i < k; i++) {
        n->a[i] = splitmix64(&s) | 1;
        n->b[i] = splitmix64(&s);
    }
    *out = n;
    return EX_OK;
}

void
ex_near_free(ex_near *n)
{
    if (!n)
        return;
    free(n->a);
    free(n->b);
    ex_buf_free(&n->clean);
    ex_buf_free(&n->norm);
    free(n->word);
    free(n);
}

unsigned
ex_near_k(const ex_near *n)
{
    return n->k;
}

unsigned
ex_near_bands(const ex_near *n)
{
    return n->bands;
}

void
ex_near_constants(const ex_near *n, unsigned i, uint64_t *a, uint64_t *b)
{
    *a = n->a[i];
    *b = n->b[i];
}

static int
put_cp(ex_buf *b, utf8proc_int32_t cp)
{
    utf8proc_uint8_t e[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, e);
    return ex_buf_put(b, e, (size_t)k);
}

int
ex_near_normalise(ex_near *n, const char *text, size_t len, ex_buf *out)
{
    /* 1. valid UTF-8 only: an invalid byte, or a NUL, becomes a space */
    n->clean.len = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    size_t at = 0;
    while (at < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + at, (utf8proc_ssize_t)(len - at), &cp);
        int rc;
        if (k <= 0 || cp == 0) {
            rc = ex_buf_putc(&n->clean, ' ');
            at++;
        } else {
            rc = ex_buf_put(&n->clean, p + at, (size_t)k);
            at += (size_t)k;
        }
        if (rc != EX_OK)
            return EX_ENOMEM;
    }
    /* 2. NFKC with case folding (utf8proc_NFKC_Casefold's options) */
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)(n->clean.data ? n->clean.data : ""),
                                      (utf8proc_ssize_t)n->clean.len, &mapped,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                          UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    if (m < 0)
        return m == UTF8PROC_ERROR_NOMEM ? EX_ENOMEM : EX_EINVAL;
    /* 3. punctuation out, white space and controls collapsed to single spaces */
    out->len = 0;
    int space = 0, rc = EX_OK;
    for (utf8proc_ssize_t i = 0; i < m && rc == EX_OK;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(mapped + i, m - i, &cp);
        if (k <= 0)
            break; /* utf8proc's own output is valid; never taken */
        i += k;
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO:
            continue;
        case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
        case UTF8PROC_CATEGORY_CC:
            space = 1;
            continue;
        default:
            if (space && out->len > 0)
                rc = ex_buf_putc(out, ' ');
            space = 0;
            if (rc == EX_OK)
                rc = put_cp(out, cp);
        }
    }
    free(mapped);
    return rc;
}

int
ex_near_signature(ex_near *n, const char *text, size_t len, uint64_t *sig, uint64_t *shingles)
{
    for (unsigned i = 0; i < n->k; i++)
        sig[i] = UINT64_MAX;
    if (shingles)
        *shingles = 0;
    int rc = ex_near_normalise(n, text, len, &n->norm);
    if (rc != EX_OK)
        return rc;
    const char *s = n->norm.data;
    size_t sl = n->norm.len;
    /* word starts (the normalised text has single spaces between words, none at the ends) */
    n->nword = 0;
    for (size_t i = 0; i < sl; i++)
        if (i == 0 || s[i - 1] == ' ') {
            if (n->nword == n->wcap) {
                size_t cap = n->wcap ? 2 * n->wcap : 1024;
                size_t *w = realloc(n->word, cap * sizeof *w);
                if (!w)
                    return EX_ENOMEM;
                n->word = w, n->wcap = cap;
            }
            n->word[n->nword++] = i;
        }
    size_t nw = n->nword, ns = nw == 0 ? 0 : nw < EX_NEAR_SHINGLE_WORDS ? 1
                                                : nw - EX_NEAR_SHINGLE_WORDS + 1;
    for (size_t j = 0; j < ns; j++) {
        size_t from = n->word[j], last = j + EX_NEAR_SHINGLE_WORDS;
        size_t to = last < nw ? n->word[last] - 1 : sl; /* up to the space before the next */
        uint64_t x = XXH3_64bits(s + from, to - from);
        for (unsigned i = 0; i < n->k; i++) {
            uint64_t v = n->a[i] * x + n->b[i];
            if (v < sig[i])
                sig[i] = v;
        }
    }
    if (shingles)
        *shingles = ns;
    return EX_OK;
}

/* splitmix64's output function: every bit of the result depends on every bit of z */
static uint64_t
mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void
ex_near_fingerprint(const ex_near *n, const uint64_t *sig, uint8_t *fp)
{
    /* not sig's own low byte: that of a * x + b depends only on x's low byte, so two texts of
     * one shingle each would agree everywhere one time in 256 */
    for (unsigned i = 0; i < n->k; i++)
        fp[i] = (uint8_t)mix64(sig[i]);
}

void
ex_near_bands_of(const ex_near *n, const uint8_t *fp, uint64_t *keys)
{
    unsigned rows = n->k / n->bands;
    for (unsigned j = 0; j < n->bands; j++) {
        uint64_t key = XXH3_64bits_withSeed(fp + (size_t)j * rows, rows, j);
        keys[j] = key ? key : 1;
    }
}

double
ex_near_fp_jaccard(unsigned k, const uint8_t *a, const uint8_t *b)
{
    unsigned same = 0;
    for (unsigned i = 0; i < k; i++)
        same += a[i] == b[i];
    double j = ((double)same / k - 1.0 / 256) / (1.0 - 1.0 / 256);
    return j > 0 ? j : 0;
}

double
ex_near_jaccard(const ex_near *n, const uint64_t *a, const uint64_t *b)
{
    unsigned same = 0, empty = 1;
    for (unsigned i = 0; i < n->k; i++) {
        same += a[i] == b[i];
        empty &= a[i] == UINT64_MAX || b[i] == UINT64_MAX;
    }
    return empty ? 0.0 : (double)same / n->k;
}

size_t
ex_near_record(const ex_near *n, const uint8_t *fp, uint8_t *out)
{
    if (!fp) {
        out[0] = 0;
        return 1;
    }
    out[0] = 1;
    out[1] = (uint8_t)n->k, out[2] = (uint8_t)(n->k >> 8);
    out[3] = (uint8_t)n->bands, out[4] = (uint8_t)(n->bands >> 8);
    memcpy(out + 5, fp, n->k);
    return 5 + (size_t)n->k;
}

int
ex_near_record_read(const void *rec, size_t len, unsigned *k, unsigned *bands,
                    const uint8_t **fp)
{
    const uint8_t *b = rec;
    if (len == 1 && b[0] == 0)
        return EX_ENOTFOUND;
    if (len < 5 || b[0] != 1)
        return EX_EFORMAT;
    *k = b[1] | (unsigned)b[2] << 8;
    *bands = b[3] | (unsigned)b[4] << 8;
    if (*k == 0 || *k > EX_NEAR_K_MAX || *bands == 0 || *k % *bands || len != 5 + (size_t)*k)
        return EX_EFORMAT;
    *fp = b + 5;
    return EX_OK;
}
