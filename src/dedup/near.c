/* near.c - near-duplicate fingerprints (near.h), the fast path: norm.c normalises, the words
 * are found eight bytes at a time, and the shingles are hashed a chunk at a time for the
 * MinHash loop (minhash.c), eight 32-bit permutations per vector instruction.
 * near_ref.c is the definition: test_nearfast.c holds this to it byte for byte. */
#include "near.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "minhash.h"
#include "norm.h"

#define CHUNK 256 /* shingle hashes per call of the MinHash loop: 2 KiB, stays in L1 */

struct ex_near {
    unsigned k, bands;
    uint32_t *a, *b;           /* the permutations' constants */
    ex_norm *z;
    ex_buf norm;               /* scratch: the normalised text, */
    size_t *word, wcap;        /* its word starts */
    uint64_t nwords;           /* the words of the last signature's text */
    uint32_t x[CHUNK];         /* a chunk of shingle hashes (their low 32 bits), */
    uint32_t sig[EX_NEAR_K_MAX]; /* and the minima so far */
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
    if (!n || !(n->a = malloc(k * sizeof *n->a)) || !(n->b = malloc(k * sizeof *n->b)) ||
        ex_norm_new(&n->z) != EX_OK) {
        ex_near_free(n);
        return EX_ENOMEM;
    }
    n->k = k;
    n->bands = bands;
    uint64_t s = EX_NEAR_SEED;
    for (unsigned i = 0; i < k; i++) {
        n->a[i] = (uint32_t)(splitmix64(&s) >> 32) | 1;
        n->b[i] = (uint32_t)(splitmix64(&s) >> 32);
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
    ex_norm_free(n->z);
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
ex_near_constants(const ex_near *n, unsigned i, uint32_t *a, uint32_t *b)
{
    *a = n->a[i];
    *b = n->b[i];
}

int
ex_near_normalise(ex_near *n, const char *text, size_t len, ex_buf *out)
{
    return ex_norm_run(n->z, text, len, out);
}

/* n->word[0..*nw): the start of each word of s (words are what single spaces separate), found
 * eight bytes at a time; the first two spaces of each eight without a branch (a branch on how
 * many there are would often miss) */
static int
words(ex_near *n, const char *s, size_t sl, size_t *nw)
{
    const uint64_t lo7 = UINT64_C(0x7f7f7f7f7f7f7f7f), top = UINT64_C(1) << 63;
    size_t w = 0;
    for (size_t i = 0; i < sl; i += 8) {
        if (w + 10 > n->wcap) {
            size_t cap = (w + 10) * 2 + sl / 8, *p = realloc(n->word, cap * sizeof *p);
            if (!p)
                return EX_ENOMEM;
            n->word = p, n->wcap = cap;
        }
        if (i == 0)
            n->word[w++] = 0;
        uint64_t v = 0;
        if (sl - i >= 8)
            memcpy(&v, s + i, 8);
        else
            memcpy(&v, s + i, sl - i); /* the rest 0, not a space */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v); /* the first byte lowest */
#endif
        v ^= UINT64_C(0x2020202020202020);             /* spaces are 0 now */
        uint64_t z = ~(((v & lo7) + lo7) | v | lo7); /* the top bit of each 0 byte, exactly */
        n->word[w] = i + (size_t)(__builtin_ctzll(z | top) >> 3) + 1;
        w += z != 0, z &= z - 1;
        n->word[w] = i + (size_t)(__builtin_ctzll(z | top) >> 3) + 1;
        w += z != 0, z &= z - 1;
        for (; z; z &= z - 1)
            n->word[w++] = i + (size_t)(__builtin_ctzll(z) >> 3) + 1;
    }
    *nw = w;
    return EX_OK;
}

int
ex_near_signature(ex_near *n, const char *text, size_t len, uint64_t *sig, uint64_t *shingles)
{
    for (unsigned i = 0; i < n->k; i++)
        sig[i] = UINT64_MAX;
    if (shingles)
        *shingles = 0;
    n->nwords = 0;
    size_t nw;
    int rc = ex_near_normalise(n, text, len, &n->norm);
    if (rc != EX_OK || (rc = words(n, n->norm.data, n->norm.len, &nw)) != EX_OK)
        return rc;
    n->nwords = nw;
    const char *s = n->norm.data;
    size_t sl = n->norm.len, ns = nw == 0                       ? 0
                                  : nw < EX_NEAR_SHINGLE_WORDS ? 1
                                                               : nw - EX_NEAR_SHINGLE_WORDS + 1;
    memset(n->sig, 0xFF, n->k * sizeof *n->sig);
    for (size_t j0 = 0; j0 < ns; j0 += CHUNK) {
        size_t m = ns - j0 < CHUNK ? ns - j0 : CHUNK;
        for (size_t j = 0; j < m; j++) {
            size_t from = n->word[j0 + j], last = j0 + j + EX_NEAR_SHINGLE_WORDS;
            size_t to = last < nw ? n->word[last] - 1 : sl; /* up to the space before the next */
            n->x[j] = (uint32_t)XXH3_64bits(s + from, to - from);
        }
        ex_minhash_update(n->k, n->a, n->b, n->x, m, n->sig);
    }
    if (ns)
        for (unsigned i = 0; i < n->k; i++)
            sig[i] = n->sig[i];
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

uint64_t
ex_near_words(const ex_near *n)
{
    return n->nwords;
}

size_t
ex_near_record(const ex_near *n, const uint8_t *fp, uint64_t words, uint8_t *out)
{
    if (!fp) {
        out[0] = 0;
        return 1;
    }
    out[0] = 2;
    out[1] = (uint8_t)n->k, out[2] = (uint8_t)(n->k >> 8);
    out[3] = (uint8_t)n->bands, out[4] = (uint8_t)(n->bands >> 8);
    memcpy(out + 5, fp, n->k);
    size_t at = 5 + (size_t)n->k;
    do { /* unsigned LEB128 */
        out[at++] = (uint8_t)((words & 0x7f) | (words > 0x7f ? 0x80 : 0));
        words >>= 7;
    } while (words);
    return at;
}

/* The record's parts: EX_OK with *k, *bands, *fp and, if *counted (version 2), *words;
 * EX_ENOTFOUND for an item without text; EX_EFORMAT. */
static int
record_parts(const uint8_t *b, size_t len, unsigned *k, unsigned *bands, const uint8_t **fp,
             uint64_t *words, int *counted)
{
    if (len == 1 && b[0] == 0)
        return EX_ENOTFOUND;
    if (len < 5 || (b[0] != 1 && b[0] != 2))
        return EX_EFORMAT;
    *k = b[1] | (unsigned)b[2] << 8;
    *bands = b[3] | (unsigned)b[4] << 8;
    if (*k == 0 || *k > EX_NEAR_K_MAX || *bands == 0 || *k % *bands || len < 5 + (size_t)*k)
        return EX_EFORMAT;
    *fp = b + 5;
    *words = 0;
    *counted = b[0] == 2;
    size_t at = 5 + (size_t)*k;
    if (b[0] == 1)
        return len == at ? EX_OK : EX_EFORMAT;
    /* version 2: the words, unsigned LEB128 in its shortest form, ending the record */
    uint64_t w = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (at == len || shift > 63 || (shift == 63 && b[at] > 1))
            return EX_EFORMAT;
        w |= (uint64_t)(b[at] & 0x7f) << shift;
        if (!(b[at++] & 0x80))
            break;
    }
    if (at != len || (at - 5 - *k > 1 && b[at - 1] == 0))
        return EX_EFORMAT;
    *words = w;
    return EX_OK;
}

int
ex_near_record_read(const void *rec, size_t len, unsigned *k, unsigned *bands,
                    const uint8_t **fp)
{
    uint64_t words;
    int counted;
    return record_parts(rec, len, k, bands, fp, &words, &counted);
}

int
ex_near_record_words(const void *rec, size_t len, uint64_t *words)
{
    unsigned k, bands;
    const uint8_t *fp;
    int counted, rc = record_parts(rec, len, &k, &bands, &fp, words, &counted);
    if (rc == EX_ENOTFOUND) {
        *words = 0;
        return EX_OK;
    }
    return rc == EX_OK && !counted ? EX_ENOTFOUND : rc;
}

const uint8_t *
ex_near_record_fp(const void *rec, size_t len, unsigned k, unsigned bands)
{
    unsigned rk, rb;
    const uint8_t *fp;
    return ex_near_record_read(rec, len, &rk, &rb, &fp) == EX_OK && rk == k && rb == bands ? fp
                                                                                         : NULL;
}
