/* merkle.c - RFC 9162 Merkle tree hashing, proof generation over stored subtrees, and proof
 * verification exactly as RFC 9162 sections 2.1.3.2 and 2.1.4.2 describe it. */
#include "merkle.h"

#include <string.h>

#include <openssl/crypto.h>

int
ex_merkle_leaf(ex_sha256 *h, const void *data, size_t len, uint8_t out[EX_HASH_BYTES])
{
    static const uint8_t zero = 0x00;
    int rc = ex_sha256_begin(h);
    if (rc == EX_OK)
        rc = ex_sha256_update(h, &zero, 1);
    if (rc == EX_OK)
        rc = ex_sha256_update(h, data, len);
    if (rc == EX_OK)
        rc = ex_sha256_end(h, out);
    return rc;
}

int
ex_merkle_node(ex_sha256 *h, const uint8_t l[EX_HASH_BYTES], const uint8_t r[EX_HASH_BYTES],
               uint8_t out[EX_HASH_BYTES])
{
    uint8_t buf[1 + 2 * EX_HASH_BYTES];
    buf[0] = 0x01;
    memcpy(buf + 1, l, EX_HASH_BYTES);
    memcpy(buf + 1 + EX_HASH_BYTES, r, EX_HASH_BYTES);
    return ex_sha256_digest(h, buf, sizeof buf, out);
}

int
ex_merkle_root(ex_sha256 *h, const uint8_t (*leaves)[EX_HASH_BYTES], uint64_t n,
               uint8_t out[EX_HASH_BYTES])
{
    if (n == 0)
        return ex_sha256_digest(h, "", 0, out);
    ex_merkle_acc a;
    a.top = 0;
    int rc = EX_OK;
    for (uint64_t i = 0; rc == EX_OK && i < n; i++)
        rc = ex_merkle_acc_push(h, &a, leaves[i]);
    return rc == EX_OK ? ex_merkle_acc_root(h, &a, out) : rc;
}

int
ex_merkle_acc_push(ex_sha256 *h, ex_merkle_acc *a, const uint8_t leaf[EX_HASH_BYTES])
{
    memcpy(a->st[a->top], leaf, EX_HASH_BYTES);
    a->lvl[a->top++] = 0;
    while (a->top >= 2 && a->lvl[a->top - 1] == a->lvl[a->top - 2]) {
        int rc = ex_merkle_node(h, a->st[a->top - 2], a->st[a->top - 1], a->st[a->top - 2]);
        if (rc != EX_OK)
            return rc;
        a->lvl[a->top - 2]++;
        a->top--;
    }
    return EX_OK;
}

int
ex_merkle_acc_root(ex_sha256 *h, const ex_merkle_acc *a, uint8_t out[EX_HASH_BYTES])
{
    uint8_t acc[EX_HASH_BYTES];
    memcpy(acc, a->st[a->top - 1], EX_HASH_BYTES);
    for (int i = a->top - 2; i >= 0; i--) {
        int rc = ex_merkle_node(h, a->st[i], acc, acc);
        if (rc != EX_OK)
            return rc;
    }
    memcpy(out, acc, EX_HASH_BYTES);
    return EX_OK;
}

/* largest power of two strictly below n (n >= 2) */
static uint64_t
split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

int
ex_merkle_range_hash(ex_sha256 *h, ex_merkle_read_fn rd, void *ctx, uint64_t lo, uint64_t hi,
                     uint8_t out[EX_HASH_BYTES])
{
    if (hi <= lo)
        return hi == lo ? ex_sha256_digest(h, "", 0, out) : EX_ERANGE;
    uint64_t w = hi - lo;
    if ((w & (w - 1)) == 0) {
        unsigned level = (unsigned)__builtin_ctzll(w);
        if (lo & (w - 1))
            return EX_EINVAL;
        return rd(ctx, level, lo >> level, out);
    }
    uint64_t k = split_point(w);
    uint8_t l[EX_HASH_BYTES], r[EX_HASH_BYTES];
    int rc = ex_merkle_range_hash(h, rd, ctx, lo, lo + k, l);
    if (rc == EX_OK)
        rc = ex_merkle_range_hash(h, rd, ctx, lo + k, hi, r);
    if (rc == EX_OK)
        rc = ex_merkle_node(h, l, r, out);
    return rc;
}

typedef struct prover {
    ex_sha256 *h;
    ex_merkle_read_fn rd;
    void *ctx;
    uint8_t (*proof)[EX_HASH_BYTES];
    size_t n;
} prover;

static int
emit(prover *p, uint64_t lo, uint64_t hi)
{
    if (p->n >= EX_MERKLE_MAX_PROOF)
        return EX_ERANGE;
    return ex_merkle_range_hash(p->h, p->rd, p->ctx, lo, hi, p->proof[p->n++]);
}

static int
path(prover *p, uint64_t m, uint64_t lo, uint64_t hi)
{
    if (hi - lo <= 1)
        return EX_OK;
    uint64_t k = split_point(hi - lo);
    int rc;
    if (m < lo + k) {
        if ((rc = path(p, m, lo, lo + k)) == EX_OK)
            rc = emit(p, lo + k, hi);
    } else {
        if ((rc = path(p, m, lo + k, hi)) == EX_OK)
            rc = emit(p, lo, lo + k);
    }
    return rc;
}

int
ex_merkle_prove_inclusion(ex_sha256 *h, ex_merkle_read_fn rd, void *ctx, uint64_t index,
                          uint64_t size, uint8_t proof[][EX_HASH_BYTES], size_t *n)
{
    if (index >= size)
        return EX_ERANGE;
    prover p = {h, rd, ctx, proof, 0};
    int rc = path(&p, index, 0, size);
    if (rc == EX_OK)
        *n = p.n;
    return rc;
}

/* RFC 9162 SUBPROOF(m, D[lo:hi], b), m counted from lo */
static int
subproof(prover *p, uint64_t m, uint64_t lo, uint64_t hi, int b)
{
    uint64_t w = hi - lo;
    if (m == w)
        return b ? EX_OK : emit(p, lo, hi);
    uint64_t k = split_point(w);
    int rc;
    if (m <= k) {
        if ((rc = subproof(p, m, lo, lo + k, b)) == EX_OK)
            rc = emit(p, lo + k, hi);
    } else {
        if ((rc = subproof(p, m - k, lo + k, hi, 0)) == EX_OK)
            rc = emit(p, lo, lo + k);
    }
    return rc;
}

int
ex_merkle_prove_consistency(ex_sha256 *h, ex_merkle_read_fn rd, void *ctx, uint64_t old,
                            uint64_t size, uint8_t proof[][EX_HASH_BYTES], size_t *n)
{
    if (old > size)
        return EX_ERANGE;
    prover p = {h, rd, ctx, proof, 0};
    int rc = EX_OK;
    if (old > 0 && old < size)
        rc = subproof(&p, old, 0, size, 1);
    if (rc == EX_OK)
        *n = p.n;
    return rc;
}

static int
same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}

int
ex_merkle_verify_inclusion(ex_sha256 *h, uint64_t index, uint64_t size,
                           const uint8_t leaf[EX_HASH_BYTES], const uint8_t (*proof)[EX_HASH_BYTES],
                           size_t n, const uint8_t *root, size_t root_len)
{
    if (index >= size)
        return EX_EVERIFY;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[EX_HASH_BYTES];
    memcpy(r, leaf, EX_HASH_BYTES);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return EX_EVERIFY;
        int rc;
        if ((fn & 1) || fn == sn) {
            rc = ex_merkle_node(h, proof[i], r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            rc = ex_merkle_node(h, r, proof[i], r);
        }
        if (rc != EX_OK)
            return rc;
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || !same(r, EX_HASH_BYTES, root, root_len))
        return EX_EVERIFY;
    return EX_OK;
}

int
ex_merkle_verify_consistency(ex_sha256 *h, uint64_t size1, uint64_t size2,
                             const uint8_t (*proof)[EX_HASH_BYTES], size_t n, const uint8_t *root1,
                             size_t root1_len, const uint8_t *root2, size_t root2_len)
{
    if (size1 == 0 || size2 < size1)
        return EX_EVERIFY;
    if (size1 == size2)
        return n == 0 && same(root1, root1_len, root2, root2_len) ? EX_OK : EX_EVERIFY;
    if (n == 0 || root1_len != EX_HASH_BYTES || root2_len != EX_HASH_BYTES)
        return EX_EVERIFY;
    /* when size1 is a power of two, the old root itself starts the path */
    const uint8_t *first = proof[0];
    size_t start = 1;
    if ((size1 & (size1 - 1)) == 0) {
        first = root1;
        start = 0;
    }
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[EX_HASH_BYTES], sr[EX_HASH_BYTES];
    memcpy(fr, first, EX_HASH_BYTES);
    memcpy(sr, first, EX_HASH_BYTES);
    for (size_t i = start; i < n; i++) {
        if (sn == 0)
            return EX_EVERIFY;
        int rc = EX_OK;
        if ((fn & 1) || fn == sn) {
            rc = ex_merkle_node(h, proof[i], fr, fr);
            if (rc == EX_OK)
                rc = ex_merkle_node(h, proof[i], sr, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            rc = ex_merkle_node(h, sr, proof[i], sr);
        }
        if (rc != EX_OK)
            return rc;
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || !same(fr, EX_HASH_BYTES, root1, root1_len) ||
        !same(sr, EX_HASH_BYTES, root2, root2_len))
        return EX_EVERIFY;
    return EX_OK;
}
