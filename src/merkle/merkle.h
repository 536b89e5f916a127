/* merkle.h - the part's shared pieces: an RFC 9162 root built leaf by leaf; the sorted tree's
 * digests sorted, and its root, on two threads (snapshot create, bench_snapshot's floor). */
#ifndef EX_MERKLE_H
#define EX_MERKLE_H

#include "core/core.h"

/* A stack of complete subtrees: entry i covers 2^lvl[i] leaves; 64 levels and one more. */
typedef struct ex_merkle_acc {
    uint8_t st[65][EX_HASH_BYTES];
    unsigned lvl[65];
    int top;
} ex_merkle_acc;

/* Add the next leaf hash: two subtrees of one height on top merge. EX_ECRYPTO. */
int ex_merkle_acc_push(ex_sha256 *h, ex_merkle_acc *a, const uint8_t leaf[EX_HASH_BYTES]);
/* The root of the leaves pushed (at least one), folded from the right. EX_ECRYPTO. */
int ex_merkle_acc_root(ex_sha256 *h, const ex_merkle_acc *a, uint8_t out[EX_HASH_BYTES]);

/* Sort d[0..n) ascending (unsigned bytes), as qsort with memcmp would: split at the median of
 * a sample, then each side with qsort, the lower one on a thread of its own when threads > 1
 * (run on the calling thread if that thread cannot be made). EX_ENOMEM. */
int ex_merkle_sorted_sort(uint8_t (*d)[EX_HASH_BYTES], uint64_t n, int threads);
/* The same for n elements of size bytes (32..64) at base, ordered by their first 32 bytes
 * (a digest and what goes with it); EX_EINVAL for another size. */
int ex_merkle_sorted_sort_by(void *base, uint64_t n, size_t size, int threads);
/* ex_merkle_sorted_root of d[0..n), the left subtree's root hashed with h2 on a thread of its
 * own (on the calling thread if it cannot be made), the rest with h: the same root. */
int ex_merkle_sorted_root2(ex_sha256 *h, ex_sha256 *h2, const uint8_t (*d)[EX_HASH_BYTES],
                           uint64_t n, uint8_t out[EX_HASH_BYTES]);

#endif
