/* snapproof.h - snapshot proof documents (PROOFS.md), read and checked for proof.c and the
 * proof verifier (verifier.c). */
#ifndef EX_SNAPPROOF_H
#define EX_SNAPPROOF_H

#include "core/core.h"

#include <jansson.h>

/* Checkpoints a verifier has opened (verifier.c): signed notes by its key whose signature
 * verified, remembered by their exact bytes. */
typedef struct ex_cpcache ex_cpcache;

/* ex_checkpoint_open of the NUL-terminated note with key, through cc (may be NULL: the
 * signature is checked every time; a cache made for another key is not used): a note
 * byte-identical to one opened before gives that checkpoint again without a signature check.
 * Errors as ex_checkpoint_open's. */
int ex_cpcache_open(ex_cpcache *cc, const char *note, const ex_vkey *key, ex_checkpoint *out,
                    ex_err *err);

/* 1 if the document o is a snapshot proof (its "type" says so). */
int ex_snapshot_proof_is(json_t *o);
/* Read the snapshot proof o, parsed from json[0..len), into out (zeroed by the caller) and
 * check that json is exactly its canonical form. EX_EFORMAT or EX_ENOMEM with err set. */
int ex_snapshot_proof_parse(json_t *o, const char *json, size_t len, ex_log_proof *out,
                            ex_err *err);
/* The fast reader (snapscan.c): if json[0..len) is byte for byte a canonical snapshot proof
 * document, its values into out (zeroed by the caller; entry and checkpoint malloc'd, released
 * by ex_log_proof_clear, also on failure) and EX_OK. Otherwise EX_EFORMAT without a message
 * (ex_log_proof_parse_tree says what is wrong), or EX_ENOMEM. scratch (may be NULL) holds the
 * document written again from the values; a caller that reads many keeps one. */
int ex_snapshot_proof_scan(const char *json, size_t len, ex_log_proof *out, ex_buf *scratch);
/* The canonical document appended to b: ex_snapshot_proof_doc_dup's writer, with its
 * EX_EINVAL cases, and EX_ENOMEM. */
int ex_snapshot_proof_write(ex_buf *b, const uint8_t digest[EX_HASH_BYTES], int member,
                            const void *entry, size_t entry_len, uint64_t log_index,
                            uint64_t log_size, const uint8_t (*log_proof)[EX_HASH_BYTES],
                            size_t log_n, const char *checkpoint, const ex_snapshot_leaf *leaves,
                            size_t nleaves);
/* Every step of PROOFS.md "Verification" with key (required: EX_EINVAL without), the
 * checkpoint opened through cc (may be NULL). EX_OK, or EX_EVERIFY with "step N: ..." in
 * err; EX_ECRYPTO / EX_ENOMEM. */
int ex_snapshot_proof_verify(ex_sha256 *h, const ex_log_proof *p, const ex_vkey *key,
                             ex_cpcache *cc, ex_err *err);

/* Steps 1 and 2 of PROOFS.md "Verification", shared by every document that carries a
 * snapshot record (snapshot and near-dup proofs): the checkpoint is signed by key (opened
 * through cc, may be NULL), names the key's origin and is of log_size, and log_proof proves
 * the entry at log_index under its root. EX_OK, or EX_EVERIFY with "step 1: ..." or
 * "step 2: ..." in err; EX_ECRYPTO. */
int ex_snapshot_binding_verify(ex_sha256 *h, const char *checkpoint, const uint8_t *entry,
                               size_t entry_len, uint64_t log_index, uint64_t log_size,
                               const uint8_t (*log_proof)[EX_HASH_BYTES], size_t log_n,
                               const ex_vkey *key, ex_cpcache *cc, ex_err *err);

/* ex_log_proof_parse without the fast reader: every kind through jansson, errors naming the
 * line and column or the key (proof.c). */
int ex_log_proof_parse_tree(const char *json, size_t len, ex_log_proof *out, ex_err *err);
/* ex_log_proof_verify with the caller's hasher and checkpoints opened through cc (may be
 * NULL). */
int ex_log_proof_check(ex_sha256 *h, const ex_log_proof *p, const ex_vkey *key, ex_cpcache *cc,
                       ex_err *err);

/* o is an object with only the keys listed (NULL-terminated) and, if required, all of them;
 * EX_EFORMAT naming the key (and `where`, when not NULL) otherwise. */
int ex_proof_keys(json_t *o, const char *where, const char *const *keys, int required, ex_err *err);

/* ex_snapshot_leaves with the tree's complete subtrees read through rd (NULL: hashed from
 * members each time), for a caller that keeps them. */
int ex_snapshot_leaves_rd(ex_sha256 *h, const uint8_t (*members)[EX_HASH_BYTES], uint64_t n,
                          const uint8_t digest[EX_HASH_BYTES], ex_merkle_read_fn rd, void *ctx,
                          ex_snapshot_leaf out[2], size_t *nout, int *member);

#endif
