/* sorted.c - the snapshot tree (PROOFS.md): an RFC 9162 tree whose leaves are 32-byte digests
 * held in memory in ascending order. Roots and proofs are computed straight from the digests
 * with a stack of partial subtree hashes, so 10M leaves need no n-sized array of hashes: the
 * root is O(n) time and O(log n) memory, a proof hashes each digest at most once. */
#include "merkle.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* hash of the leaf for digest d: H(0x00 || d), one call on the reused hasher */
static int
leaf_hash(ex_sha256 *h, const uint8_t d[EX_HASH_BYTES], uint8_t out[EX_HASH_BYTES])
{
    uint8_t buf[1 + EX_HASH_BYTES];
    buf[0] = 0x00;
    memcpy(buf + 1, d, EX_HASH_BYTES);
    return ex_sha256_digest(h, buf, sizeof buf, out);
}

/* MTH(D[lo:hi]) of the leaves for d[lo..hi), hi > lo: complete subtrees are pushed and merged
 * while two of one height sit on top, then the rest is folded from the right */
static int
range_root(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t lo, uint64_t hi,
           uint8_t out[EX_HASH_BYTES])
{
    ex_merkle_acc a;
    a.top = 0;
    int rc = EX_OK;
    for (uint64_t i = lo; rc == EX_OK && i < hi; i++) {
        uint8_t leaf[EX_HASH_BYTES];
        if ((rc = leaf_hash(h, d[i], leaf)) == EX_OK)
            rc = ex_merkle_acc_push(h, &a, leaf);
    }
    return rc == EX_OK ? ex_merkle_acc_root(h, &a, out) : rc;
}

int
ex_merkle_sorted_root(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n,
                      uint8_t out[EX_HASH_BYTES])
{
    if (n == 0)
        return ex_sha256_digest(h, "", 0, out);
    return range_root(h, d, 0, n, out);
}

int
ex_merkle_sorted_prove(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n, uint64_t i,
                       uint8_t proof[][EX_HASH_BYTES], size_t *np)
{
    if (i >= n)
        return EX_ERANGE;
    /* walk down from the root, noting the sibling range at each split (RFC 9162 2.1.3.1);
     * the proof lists them leaf level first, so the last noted comes first */
    uint64_t slo[64], shi[64], lo = 0, hi = n;
    size_t k = 0;
    while (hi - lo > 1) {
        uint64_t w = hi - lo, s = 1;
        while (s << 1 < w)
            s <<= 1;
        if (i < lo + s) {
            slo[k] = lo + s;
            shi[k] = hi;
            hi = lo + s;
        } else {
            slo[k] = lo;
            shi[k] = lo + s;
            lo += s;
        }
        k++;
    }
    for (size_t j = 0; j < k; j++) {
        int rc = range_root(h, d, slo[k - 1 - j], shi[k - 1 - j], proof[j]);
        if (rc != EX_OK)
            return rc;
    }
    *np = k;
    return EX_OK;
}

int
ex_merkle_sorted_check(const uint8_t (*d)[EX_HASH_BYTES], uint64_t n, uint64_t *bad)
{
    for (uint64_t i = 1; i < n; i++)
        if (memcmp(d[i], d[i - 1], EX_HASH_BYTES) <= 0) {
            if (bad)
                *bad = i;
            return EX_EVERIFY;
        }
    return EX_OK;
}

/* ---- on two threads ---- */

static int
cmp_digest(const void *a, const void *b)
{
    return memcmp(a, b, EX_HASH_BYTES);
}

typedef struct half {
    uint8_t (*d)[EX_HASH_BYTES];
    uint64_t n;
    size_t size; /* bytes per element (sort_half) */
    ex_sha256 *h;
    uint8_t root[EX_HASH_BYTES];
    int rc;
} half;

static void *
sort_half(void *arg)
{
    half *p = arg;
    qsort(p->d, p->n, p->size, cmp_digest);
    return NULL;
}

/* Run fn on both halves, a on a thread of its own when threads > 1. */
static void
both(void *(*fn)(void *), half *a, half *b, int threads)
{
    pthread_t th;
    int own = threads > 1 && pthread_create(&th, NULL, fn, a) == 0;
    if (!own)
        fn(a);
    fn(b);
    if (own)
        pthread_join(th, NULL);
}

#define SAMPLE 1023 /* the pivot's sample: the halves differ by a few percent at most */

int
ex_merkle_sorted_sort_by(void *base, uint64_t n, size_t size, int threads)
{
    uint8_t *d = base;
    if (size < EX_HASH_BYTES || size > 64)
        return EX_EINVAL;
    if (n < 2 * SAMPLE) {
        if (n > 1)
            qsort(d, n, size, cmp_digest);
        return EX_OK;
    }
    uint8_t(*s)[EX_HASH_BYTES] = malloc(SAMPLE * sizeof *s), pivot[EX_HASH_BYTES];
    if (!s)
        return EX_ENOMEM;
    for (uint64_t i = 0; i < SAMPLE; i++)
        memcpy(s[i], d + i * (n / SAMPLE) * size, EX_HASH_BYTES);
    qsort(s, SAMPLE, sizeof *s, cmp_digest);
    memcpy(pivot, s[SAMPLE / 2], EX_HASH_BYTES);
    free(s);
    /* below the pivot to the front, the rest after: each side sorts alone */
    uint64_t lo = 0, hi = n;
    for (;;) {
        while (lo < hi && memcmp(d + lo * size, pivot, EX_HASH_BYTES) < 0)
            lo++;
        while (lo < hi && memcmp(d + (hi - 1) * size, pivot, EX_HASH_BYTES) >= 0)
            hi--;
        if (lo >= hi)
            break;
        uint8_t t[64];
        memcpy(t, d + lo * size, size);
        memcpy(d + lo * size, d + (hi - 1) * size, size);
        memcpy(d + (hi - 1) * size, t, size);
    }
    half a = {.d = (uint8_t(*)[EX_HASH_BYTES])d, .n = lo, .size = size};
    half b = {.d = (uint8_t(*)[EX_HASH_BYTES])(d + lo * size), .n = n - lo, .size = size};
    both(sort_half, &a, &b, threads);
    return EX_OK;
}

int
ex_merkle_sorted_sort(uint8_t (*d)[EX_HASH_BYTES], uint64_t n, int threads)
{
    return ex_merkle_sorted_sort_by(d, n, EX_HASH_BYTES, threads);
}

static void *
root_half(void *arg)
{
    half *p = arg;
    p->rc = ex_merkle_sorted_root(p->h, (const uint8_t(*)[EX_HASH_BYTES])p->d, p->n, p->root);
    return NULL;
}

int
ex_merkle_sorted_root2(ex_sha256 *h, ex_sha256 *h2, const uint8_t (*d)[EX_HASH_BYTES],
                       uint64_t n, uint8_t out[EX_HASH_BYTES])
{
    if (n < 2)
        return ex_merkle_sorted_root(h, d, n, out);
    /* RFC 9162: MTH(D[n]) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two
     * below n; the two subtrees are hashed at once */
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    half a = {.d = (uint8_t(*)[EX_HASH_BYTES])d, .n = k, .h = h2};
    half b = {.d = (uint8_t(*)[EX_HASH_BYTES])(d + k), .n = n - k, .h = h};
    both(root_half, &a, &b, 2);
    if (a.rc != EX_OK || b.rc != EX_OK)
        return a.rc != EX_OK ? a.rc : b.rc;
    return ex_merkle_node(h, a.root, b.root, out);
}
