/* snaphandle.c - an open snapshot (exante.h): its leaves in memory, the hashes of its complete
 * subtrees of at least 2^KEPT leaves kept (KEPT 3: 8 bytes a leaf; 4 gave 28k proofs/s, 3 gives
 * 71k on 20k members, bench/snapshot.sh), and the record's log proof and checkpoint taken
 * once, so that each membership or non-membership proof costs a binary search and a few dozen
 * hashes instead of a pass over the snapshot. */
#include "snapshot.h"
#include "witness/witness.h"

#include <stdlib.h>
#include <string.h>

#include "log/snapproof.h"
#include "merkle/merkle.h"

#define KEPT 3 /* levels below this are hashed from the leaves: at most 2^3 per subtree */
#define LEVELS 64

struct ex_snapshot {
    ex_ledger *l;
    snap rec;
    snap_set leaves;
    ex_sha256 *h;
    uint8_t (*lvl[LEVELS])[EX_HASH_BYTES]; /* lvl[k][i]: subtree of leaves [i<<k, (i+1)<<k) */
    uint64_t log_size;
    uint8_t log_proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t log_n;
    char *checkpoint;
};

/* the root of the complete subtree of leaves [lo, lo + 2^level), from the leaves */
static int
leaves_root(ex_snapshot *s, unsigned level, uint64_t lo, uint8_t out[EX_HASH_BYTES])
{
    ex_merkle_acc a;
    a.top = 0;
    int rc = EX_OK;
    for (uint64_t i = lo; rc == EX_OK && i < lo + ((uint64_t)1 << level); i++) {
        uint8_t leaf[EX_HASH_BYTES];
        if ((rc = ex_merkle_leaf(s->h, s->leaves.d[i], EX_HASH_BYTES, leaf)) == EX_OK)
            rc = ex_merkle_acc_push(s->h, &a, leaf);
    }
    return rc == EX_OK ? ex_merkle_acc_root(s->h, &a, out) : rc;
}

/* the hash of the complete subtree at (level, index): kept, or from its leaves */
static int
read_subtree(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    ex_snapshot *s = ctx;
    if (level < KEPT)
        return leaves_root(s, level, index << level, out);
    memcpy(out, s->lvl[level][index], EX_HASH_BYTES);
    return EX_OK;
}

/* the kept levels: KEPT from the leaves, each one above from the one below */
static int
keep_levels(ex_snapshot *s)
{
    uint64_t n = s->leaves.n >> KEPT;
    for (unsigned k = KEPT; k < LEVELS && n; k++, n >>= 1) {
        if (!(s->lvl[k] = malloc(n * EX_HASH_BYTES)))
            return EX_ENOMEM;
        for (uint64_t i = 0; i < n; i++) {
            int rc = k == KEPT ? leaves_root(s, KEPT, i << KEPT, s->lvl[k][i])
                               : ex_merkle_node(s->h, s->lvl[k - 1][2 * i],
                                                s->lvl[k - 1][2 * i + 1], s->lvl[k][i]);
            if (rc != EX_OK)
                return rc;
        }
    }
    return EX_OK;
}

void
ex_snapshot_close(ex_snapshot *s)
{
    if (!s)
        return;
    for (unsigned k = 0; k < LEVELS; k++)
        free(s->lvl[k]);
    free(s->rec.entry);
    free(s->checkpoint);
    snap_set_free(&s->leaves);
    ex_sha256_free(s->h);
    free(s);
}

int
ex_ledger_snapshot_open(ex_ledger *l, const char *name, ex_snapshot **out)
{
    *out = NULL;
    ex_err_clear(&l->err);
    ex_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    s->l = l;
    size_t nlen;
    int rc = snap_open(l, name, &s->rec, &s->leaves);
    if (rc == EX_OK && ex_sha256_new(&s->h) != EX_OK)
        rc = ex_fail(&l->err, EX_ENOMEM, "cannot make a hasher: out of memory");
    /* the record's inclusion in the log at its current size, under that size's checkpoint */
    s->log_size = ex_log_size(l->log);
    if (rc == EX_OK &&
        ((rc = ex_log_prove_inclusion(l->log, s->rec.log_index, s->log_size, s->log_proof,
                                      &s->log_n)) != EX_OK ||
         (rc = ex_ledger_checkpoint_cosigned_dup(l, s->log_size, &s->checkpoint, &nlen)) != EX_OK))
        ex_ledger_fail_log(l, rc);
    if (rc == EX_OK && (rc = keep_levels(s)) != EX_OK)
        ex_fail(&l->err, rc, "cannot hash snapshot '%s': %s", name, ex_strerror(rc));
    if (rc != EX_OK) {
        ex_snapshot_close(s);
        return rc;
    }
    *out = s;
    return EX_OK;
}

uint64_t
ex_snapshot_size(const ex_snapshot *s)
{
    return s->leaves.n;
}

int
ex_snapshot_prove_dup(ex_snapshot *s, const uint8_t digest[EX_HASH_BYTES], char **json,
                      size_t *len, int *member)
{
    ex_snapshot_leaf lv[2];
    size_t nl = 0;
    int is = 0;
    int rc = ex_snapshot_leaves_rd(s->h, (const uint8_t(*)[EX_HASH_BYTES])s->leaves.d,
                                   s->leaves.n, digest, read_subtree, s, lv, &nl, &is);
    if (rc == EX_OK)
        rc = ex_snapshot_proof_doc_dup(digest, is, s->rec.entry, s->rec.entry_len,
                                       s->rec.log_index, s->log_size,
                                       (const uint8_t(*)[EX_HASH_BYTES])s->log_proof, s->log_n,
                                       s->checkpoint, lv, nl, json, len);
    if (rc == EX_OK && member)
        *member = is;
    return rc;
}
