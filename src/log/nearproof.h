/* nearproof.h - the pieces of near-dup proofs (docs/FORMATS.md "Near-dup-free proofs") that
 * the document (nearproof.c) and the ledger's near tree (ledger/neartree.c) share: the leaf
 * encoding and order, the MinHash parameters a verifier can use, and the snapshot record's
 * "near" object. */
#ifndef EX_NEARPROOF_H
#define EX_NEARPROOF_H

#include "core/core.h"

#define EX_NEAR_BITS 8 /* bits kept of each MinHash value (the fingerprint's bytes) */

/* The leaf of band key `key` of band `band`: the band as 2 bytes, then the key as 8, both
 * big-endian; leaves sort as these bytes do (by band, then key). */
void ex_near_leaf_encode(unsigned band, uint64_t key, uint8_t out[EX_NEAR_LEAF_BYTES]);
/* <0, 0, >0 as leaf (ba, ka) sorts below, at or above (bb, kb). */
static inline int
ex_near_leaf_cmp(unsigned ba, uint64_t ka, unsigned bb, uint64_t kb)
{
    if (ba != bb)
        return ba < bb ? -1 : 1;
    return ka < kb ? -1 : ka > kb;
}

/* 16 lowercase hex digits of v (out: 17 bytes with the NUL); and back: EX_EFORMAT unless s is
 * exactly that (lowercase, 16 digits). */
void ex_near_hex16(uint64_t v, char out[17]);
int ex_near_hex16_parse(const char *s, size_t len, uint64_t *v);

/* The parameters this build computes fingerprints with (near.h's defaults). */
void ex_near_params_default(ex_near_params *p);
/* 1 if this build can compute band keys with p: 8 bits, 5-word shingles, the documented
 * seed, 1 <= k <= EX_NEAR_K_MAX and bands dividing k. */
int ex_near_params_usable(const ex_near_params *p);

/* The snapshot record's "near" object. */
typedef struct ex_near_tree_rec {
    ex_near_params mh;
    uint64_t size, fingerprinted, unfingerprinted;
    uint8_t root[EX_HASH_BYTES];
} ex_near_tree_rec;

/* Read the "near" object of the snapshot record entry[0..len): EX_OK; EX_ENOTFOUND if the
 * record is a snapshot record without one (made before near trees); EX_EFORMAT with the
 * reason in err for anything else (not JSON, not a snapshot record, a field missing or of
 * the wrong type or range). */
int ex_near_tree_rec_read(const void *entry, size_t len, ex_near_tree_rec *out, ex_err *err);

#endif
