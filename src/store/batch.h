/* batch.h - a batch's items and decisions as block rows, for every store that keeps them so
 * (SQLite from schema 8, PostgreSQL): the encoder of a batch (encode_batch), the walk over
 * what it made (batch_put), and a block row as readers see it. The layout of a row and its
 * block: sqlite_block.c; what a row's columns mean is the same in both stores. */
#ifndef EX_STORE_BATCH_H
#define EX_STORE_BATCH_H

#include "store/block.h"
#include "store/elide.h"
#include "store/pack.h"
#include "store/store.h"

/* The zstd level of blocks: bench/RESULTS.md "Blocks" (levels 3 to 9 made larger blocks, and
 * slower; 16 9% smaller at 150 times the CPU) */
#define EX_BATCH_LEVEL 1
/* Items (with their decisions) a block: reading one record decompresses its block, about 700
 * KB of records at this size; blocks of 10,000 were 2% smaller (bench/RESULTS.md "Ledger
 * storage") but made every lookup of an old item, a copy's original or a `why`, decompress
 * 7 MB */
#define EX_BATCH_PAIRS 1024

/* The encoder: a block writer for batches (and, in the SQLite store, a packer for records of
 * old ledgers' kind: tests). */
struct ex_store_enc {
    ex_packer *pk;
    struct ex_block_enc *blk;
    const void **recs;
    size_t *lens, *eoff, cap;
    ex_buf elided; /* a batch's paired decisions as stored (elide.h) */
    ex_sha256 *h;
};

/* A new encoder (with a packer when `packer`); EX_ENOMEM. */
int ex_batch_enc_new(int packer, ex_store_enc **out);
void ex_batch_enc_free(ex_store_enc *e);
/* encode_batch (store.h): blocks of EX_BATCH_PAIRS pairs, then of the other items, then of
 * the other decisions, each behind its header. */
int ex_batch_encode(ex_store_enc *e, size_t ni, const void *const *items, const size_t *ilens,
                    size_t nd, const void *const *decs, const size_t *dlens, size_t paired,
                    const uint8_t (*leaves)[EX_HASH_BYTES], ex_buf *out);

/* batch_put's arguments (store.h) checked: EX_EINVAL into err for paired over ni or nd, no
 * records, or paired decisions whose keys are not their items' ids. */
int ex_batch_check(uint64_t first_item, size_t ni, size_t nd, const int64_t *dkeys,
                   size_t paired, ex_err *err);

/* One block of an encoded batch, with where its records fall in the batch. */
typedef struct ex_batch_chunk {
    size_t item_at, ni, dec_at, nd, paired; /* its items are the batch's item_at .. +ni */
    const void *block;
    size_t blen;
    const uint8_t *root; /* of its decisions' leaves (zeros without any) */
} ex_batch_chunk;

/* Call put for each block of data (len bytes, as ex_batch_encode made it for ni items, nd
 * decisions, `paired` of them pairs), in order. EX_EINVAL with the reason in err for data of
 * another form or other counts; else what put returned, at its first failure. */
int ex_batch_walk(const void *data, size_t len, size_t ni, size_t nd, size_t paired,
                  int (*put)(void *ctx, const ex_batch_chunk *c), void *ctx, ex_err *err);

/* A block row as read: its counts and keys, its records once first wanted. */
typedef struct ex_blockrow {
    int64_t row; /* 0: none held */
    uint64_t item_first, item_n, dec_first, dec_n, paired;
    int64_t *keys; /* the unpaired decisions' keys: dec_n - paired */
    size_t kcap;
    int opened; /* the block's records are decompressed into dec */
    ex_block_dec *dec;
    ex_buf scratch; /* a paired decision put back together (elide.h) */
    ex_sha256 *h;   /* for that */
} ex_blockrow;

/* EX_ENOMEM (no message). */
int ex_blockrow_new(ex_blockrow **out);
void ex_blockrow_free(ex_blockrow *b);
/* EX_EFORMAT into err naming block b and its ranges, and why. */
int ex_blockrow_damaged(ex_err *err, const ex_blockrow *b, const char *why);
/* Hold row `row` with columns v = item_first, item_n, dec_first, dec_n, paired and its keys
 * (klen bytes); its block is not read yet. EX_EFORMAT for counts that do not fit the keys
 * (b then holds none), EX_ENOMEM. */
int ex_blockrow_set(ex_blockrow *b, int64_t row, const int64_t v[5], const void *keys,
                    size_t klen, ex_err *err);
/* The key of decision k of b. */
int64_t ex_blockrow_key(const ex_blockrow *b, uint64_t k);
/* b's block (data, len bytes) decompressed: EX_EFORMAT (b then holds none) for a block that
 * does not decode or holds another number of records than its row says. */
int ex_blockrow_open(ex_blockrow *b, const void *data, size_t len, ex_err *err);
/* Record id of the items (items) or the decisions of opened b: *rec valid until b's next
 * call; a paired decision with its provenance put back. */
int ex_blockrow_record(ex_blockrow *b, int items, uint64_t id, const void **rec, size_t *len,
                       ex_err *err);

/* Visit the records from <= id < to of the items (items) or the decisions of b, in id order
 * (desc: newest first), want (may be NULL) asked first with each id and key; a record wanted
 * is read with ex_blockrow_record after open(octx, b) read b's block if it is not yet
 * (the store's: b->opened set on success). The first failure, or want's negative code, ends
 * it. */
int ex_blockrow_visit(ex_blockrow *b, int items, uint64_t from, uint64_t to, int desc,
                      ex_record_want want, ex_record_visit fn, void *ctx,
                      int (*open)(void *octx, ex_blockrow *b), void *octx, ex_err *err);

/* Resize array p to hold cap elements; ok becomes 0 if it cannot be (p stays as it was). For
 * the parallel arrays of a batch, grown one after the other and checked once. */
#define EX_GROW(p, cap, ok)                                                                     \
    do {                                                                                        \
        void *grown_ = realloc((p), (cap) * sizeof *(p));                                       \
        if (grown_)                                                                             \
            (p) = grown_;                                                                       \
        else                                                                                    \
            (ok) = 0;                                                                           \
    } while (0)

#endif
