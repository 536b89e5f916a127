/* sqlite_block.h - what the files of the SQLite store's blocks share (private to src/store/):
 * sqlite_block.c (reading), sqlite_blockw.c (writing), sqlite_check.c (checking the indexes),
 * sqlite_migrate.c (schema 7 to 8). The layout of a row and its block: sqlite_block.c. */
#ifndef EX_SQLITE_BLOCK_H
#define EX_SQLITE_BLOCK_H

#include "store/batch.h"
#include "store/sqlite_int.h"

/* A decoded block (batch.h). */
typedef ex_blockrow sq_block;

/* Statement q (B_*), prepared at its first use; NULL if it cannot be. */
sqlite3_stmt *sqb_stmt(ex_store *s, int q);
int sqb_is_items(int table);
/* A new decoded block (none held); EX_ENOMEM with the message in s. */
int sqb_blk_new(ex_store *s, sq_block **out);
/* The row q (a query of the block columns) is on, into b: its counts and keys. */
int sqb_blk_load(ex_store *s, sqlite3_stmt *q, sq_block *b);
/* Record id of table from b: its block read and decompressed at first use; a paired decision
 * with its provenance put back. *rec is valid until b's next call. */
int sqb_blk_record(ex_store *s, sq_block *b, int table, uint64_t id, const void **rec,
                   size_t *len);
/* EX_OK for SQLITE_DONE, else EX_EDB naming what. */
int sqb_step_err(ex_store *s, int r, const char *what);
/* Position *qp on the block holding record id of table, loaded into b; EX_ENOTFOUND if none
 * has it. The caller resets *qp (when not NULL). */
int sqb_seek(ex_store *s, int table, uint64_t id, sq_block *b, sqlite3_stmt **qp);

#endif
