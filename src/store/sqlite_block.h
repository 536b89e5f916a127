/* sqlite_block.h - what the files of the SQLite store's blocks share (private to src/store/):
 * sqlite_block.c (reading), sqlite_blockw.c (writing), sqlite_check.c (checking the indexes),
 * sqlite_migrate.c (schema 7 to 8). The layout of a row and its block: sqlite_block.c. */
#ifndef EX_SQLITE_BLOCK_H
#define EX_SQLITE_BLOCK_H

#include "store/block.h"
#include "store/elide.h"
#include "store/sqlite_int.h"

/* A decoded block: a row's counts and keys, its records once first wanted. */
typedef struct sq_block {
    int64_t row; /* 0: none held */
    uint64_t item_first, item_n, dec_first, dec_n, paired;
    int64_t *keys; /* the unpaired decisions' keys: dec_n - paired */
    size_t kcap;
    int opened; /* the block's records are decompressed into dec */
    ex_block_dec *dec;
    ex_buf scratch; /* a paired decision put back together (elide.h) */
    ex_sha256 *h;   /* for that */
} sq_block;

/* Statement q (B_*), prepared at its first use; NULL if it cannot be. */
sqlite3_stmt *sqb_stmt(ex_store *s, int q);
int sqb_is_items(int table);
/* A new decoded block (none held); EX_ENOMEM with the message in s. */
int sqb_blk_new(ex_store *s, sq_block **out);
void sqb_blk_free(sq_block *b);
/* EX_EFORMAT naming block b and its ranges, and why. */
int sqb_damaged(ex_store *s, const sq_block *b, const char *why);
/* The row q (a query of the block columns) is on, into b: its counts and keys. */
int sqb_blk_load(ex_store *s, sqlite3_stmt *q, sq_block *b);
/* The key of decision k of b. */
int64_t sqb_dec_key(const sq_block *b, uint64_t k);
/* Record id of table from b: its block read and decompressed at first use; a paired decision
 * with its provenance put back. *rec is valid until b's next call. */
int sqb_blk_record(ex_store *s, sq_block *b, int table, uint64_t id, const void **rec,
                   size_t *len);
/* EX_OK for SQLITE_DONE, else EX_EDB naming what. */
int sqb_step_err(ex_store *s, int r, const char *what);
/* Position *qp on the block holding record id of table, loaded into b; EX_ENOTFOUND if none
 * has it. The caller resets *qp (when not NULL). */
int sqb_seek(ex_store *s, int table, uint64_t id, sq_block *b, sqlite3_stmt **qp);

/* Resize array p to hold cap elements; ok becomes 0 if it cannot be (p stays as it was). For
 * the parallel arrays of a batch, grown one after the other and checked once. */
#define SQB_GROW(p, cap, ok)                                                                    \
    do {                                                                                        \
        void *grown_ = realloc((p), (cap) * sizeof *(p));                                       \
        if (grown_)                                                                             \
            (p) = grown_;                                                                       \
        else                                                                                    \
            (ok) = 0;                                                                           \
    } while (0)

#endif
