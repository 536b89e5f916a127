/* snapproof.h - snapshot proof documents (PROOFS.md), read and checked for proof.c. */
#ifndef EX_SNAPPROOF_H
#define EX_SNAPPROOF_H

#include "core/core.h"

#include <jansson.h>

/* 1 if the document o is a snapshot proof (its "type" says so). */
int ex_snapshot_proof_is(json_t *o);
/* Read the snapshot proof o, parsed from json[0..len), into out (zeroed by the caller) and
 * check that json is exactly its canonical form. EX_EFORMAT or EX_ENOMEM with err set. */
int ex_snapshot_proof_parse(json_t *o, const char *json, size_t len, ex_log_proof *out,
                            ex_err *err);
/* Every step of PROOFS.md "Verification" with key (required: EX_EINVAL without). EX_OK, or
 * EX_EVERIFY with "step N: ..." in err; EX_ECRYPTO / EX_ENOMEM. */
int ex_snapshot_proof_verify(ex_sha256 *h, const ex_log_proof *p, const ex_vkey *key,
                             ex_err *err);

/* o is an object with only the keys listed (NULL-terminated) and, if required, all of them;
 * EX_EFORMAT naming the key (and `where`, when not NULL) otherwise. */
int ex_proof_keys(json_t *o, const char *where, const char *const *keys, int required,
                  ex_err *err);

/* ex_snapshot_leaves with the tree's complete subtrees read through rd (NULL: hashed from
 * members each time), for a caller that keeps them. */
int ex_snapshot_leaves_rd(ex_sha256 *h, const uint8_t (*members)[EX_HASH_BYTES], uint64_t n,
                          const uint8_t digest[EX_HASH_BYTES], ex_merkle_read_fn rd, void *ctx,
                          ex_snapshot_leaf out[2], size_t *nout, int *member);

#endif
