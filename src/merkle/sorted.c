/* sorted.c - the snapshot tree (PROOFS.md): an RFC 9162 tree whose leaves are 32-byte digests
 * held in memory in ascending order. Roots and proofs are computed straight from the digests
 * with a stack of partial subtree hashes, so 10M leaves need no n-sized array of hashes: the
 * root is O(n) time and O(log n) memory, a proof hashes each digest at most once. */
#include "merkle.h"

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
