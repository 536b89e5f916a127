/* merkle.h - the part's shared piece: an RFC 9162 root built leaf by leaf. */
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

#endif
