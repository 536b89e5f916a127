/* sqlite_int.h - what the files of the SQLite store share (private to src/store/).
 *
 *   sqlite.c       the connection: open, schema and migrations, transactions, metadata, the
 *                  statement cache and the ops table
 *   sqlite_log.c   the log's rows: entries, tiles, checkpoints
 *   sqlite_rec.c   the record tables, and the encoder and decoder of their records (pack.h)
 *   sqlite_block.c items and decisions in blocks (schema 8: block.h): reading them; writing
 *                  them in sqlite_blockw.c, checking their indexes in sqlite_check.c, the
 *                  migration to them in sqlite_migrate.c (sqlite_block.h: what those share)
 *   sqlite_bulk.c  bulk writes: WAL checkpoints on a thread of their own
 */
#ifndef EX_SQLITE_INT_H
#define EX_SQLITE_INT_H

#include "store/pack.h"
#include "store/store.h"

#include <sqlite3.h>

/* Statements on the fixed tables, prepared at first use and kept (sqlite.c has their text). */
enum {
    Q_META_GET,
    Q_META_PUT,
    Q_ENTRY_MAX,
    Q_ENTRY_PUT,
    Q_ENTRY_GET,
    Q_ENTRY_SCAN,
    Q_TILE_PUT,
    Q_TILE_GET,
    Q_TILE_SCAN,
    Q_CP_PUT,
    Q_CP_GET,
    Q_CP_LATEST,
    Q_CP_SCAN,
    Q_COUNT
};

/* Statements per record table (sqlite_rec.c has their text). */
enum {
    R_APPEND,
    R_GET,
    R_SCAN,
    R_SCAN_KEY,
    R_MAX,
    R_PUT,
    R_INSERT1,
    R_INSERTN,
    R_KEYS,
    R_SCAN_DESC,
    R_COUNT
};

/* Statements on the blocks (sqlite_block.c has their text). */
enum {
    B_ITEM_AT,
    B_DEC_AT,
    B_ITEM_SCAN,
    B_DEC_SCAN,
    B_DEC_DESC,
    B_ITEM_MAX,
    B_DEC_MAX,
    B_DEC_KEYS,
    B_PUT,
    B_KEY_PUT,
    B_KEY_GET,
    B_BLOCK,
    B_ROOTS,
    B_COUNT
};

struct sq_bulk;
struct ex_blockrow;

typedef struct sq_store {
    ex_store base;
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    sqlite3_stmt *r[EX_TAB_COUNT][R_COUNT];
    sqlite3_stmt *b[B_COUNT];
    struct ex_blockrow *blk; /* the block gets read last (sqlite_block.c) */
    int depth;  /* open transactions: the outermost is BEGIN, inner ones savepoints */
    char *path; /* file stores: for the checkpointer's connection */
    int durable;
    struct sq_bulk *bulk; /* while bulk writes run: the background checkpointer */
    ex_packer *pk; /* unpacks the records gets copy out (pack.h); made at the first one */
    /* rec_read_at's handles, by row id modulo BLOBS: a handle that stays on its row keeps
     * SQLite's list of the record's overflow pages, so a read deep in a 2 MiB record goes to
     * its page at once (reopened on another row, it walks the list again: measured 60 us a
     * read at 1M snapshot members) */
    struct sq_blob {
        sqlite3_blob *h;
        int table;
        uint64_t id;
    } *blobs;
} sq_store;

#define SQ(s) ((sq_store *)(s))

/* Items and decisions are in blocks (sqlite_block.c) from schema 8 on. */
#define SQ_BLOCKED(s, table)                                                                  \
    ((s)->schema >= 8 && ((table) == EX_TAB_ITEMS || (table) == EX_TAB_DECISIONS))

/* WAL checkpoints: every WAL_CKPT_PAGES (64 MiB of 16 KiB pages) rather than SQLite's 1000
 * (16 MiB here): each checkpoint syncs the WAL and the database, and one ingest batch of
 * 10,000 small items writes about 7 MiB (measured: 3M small items 4-5% faster). During bulk
 * writes a thread of its own runs them (sqlite_bulk.c); the writer catches up itself only when
 * the WAL passes WAL_HARD_PAGES, which bounds it (about 256 MiB). */
#define WAL_CKPT_PAGES 4096
#define WAL_HARD_PAGES (2 * WAL_CKPT_PAGES)

#define SQ_BLOBS 1024
/* Give up rec_read_at's blob handles (they hold a read open). */
void sq_blob_close(sq_store *st);

/* Table names by EX_TAB_*. */
extern const char *const sq_tables[EX_TAB_COUNT];

/* ---- helpers (sqlite.c) ---- */

/* EX_EDB with "what: " and the connection's message, left in s->err, after the cause in the
 * user's terms (sq_cause) when there is one. */
int sq_dberr(ex_store *s, const char *what);
/* The last error's cause in the user's terms, with the file ("disk full on PATH ...: ",
 * "permission denied on PATH ...: ", "database locked by PID N (PATH): "), into out; "" when
 * SQLite's message says it all (sqlite_cause.c). */
void sq_cause(sqlite3 *db, char *out, size_t cap);
/* One line of /proc/locks (NUL-terminated): 1 with the holder's pid (> 0), the file's inode
 * and whether the lock is a write lock; 0 for a waiter's line ("->") or one that does not read. */
int sq_locks_line(const char *line, long *pid, unsigned long long *ino, int *write);
/* The fixed-table statement q (Q_*), prepared at its first use; NULL if it cannot be. */
sqlite3_stmt *sq_stmt(ex_store *s, int q);
/* Step a statement that returns no rows, then reset it; EX_EDB naming what on failure. */
int sq_run(ex_store *s, sqlite3_stmt *q, const char *what);
/* Run SQL text; EX_EDB with the text and SQLite's reason on failure. */
int sq_exec(ex_store *s, const char *text);
/* Column col of the current row as bytes (valid until the statement steps or resets). */
const void *sq_column(sqlite3_stmt *q, int col, size_t *n);
/* A malloc'd copy of n bytes at p, NUL-terminated, into *data and *len; EX_ENOMEM. */
int sq_copy_bytes(ex_store *s, const void *p, size_t n, uint8_t **data, size_t *len);

/* ---- the ops, by file ---- */

/* sqlite.c */
int sq_begin(ex_store *s);
int sq_commit(ex_store *s);
int sq_rollback(ex_store *s);

/* sqlite_log.c */
int sq_entry_count(ex_store *s, uint64_t *n);
int sq_entries_put(ex_store *s, uint64_t first, const void *const *data, const size_t *lens,
                   size_t n);
int sq_entry_get_dup(ex_store *s, uint64_t index, uint8_t **data, size_t *len);
int sq_entry_scan(ex_store *s, uint64_t from, ex_entry_visit fn, void *ctx);
int sq_tile_put(ex_store *s, unsigned stratum, uint64_t index, const void *data, size_t len);
int sq_tile_get(ex_store *s, unsigned stratum, uint64_t index, void *buf, size_t cap,
                size_t *len);
int sq_tile_scan(ex_store *s, ex_tile_visit fn, void *ctx);
int sq_checkpoint_put(ex_store *s, uint64_t size, const char *note, size_t len);
int sq_checkpoint_get_dup(ex_store *s, uint64_t size, char **note, size_t *len);
int sq_checkpoint_scan(ex_store *s, ex_checkpoint_visit fn, void *ctx);

/* sqlite_rec.c */
int sq_rec_append(ex_store *s, int table, int64_t key, const void *data, size_t len,
                  uint64_t *id);
int sq_rec_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data,
                   size_t *len);
int sq_rec_scan(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn,
                void *ctx);
int sq_rec_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx);
int sq_rec_insert_many(ex_store *s, int table, uint64_t first, size_t n, const int64_t *keys,
                       const void *const *data, const size_t *lens);
int sq_rec_put(ex_store *s, int table, uint64_t id, int64_t key, const void *data, size_t len);
int sq_rec_max(ex_store *s, int table, uint64_t *id);
int sq_rec_keys(ex_store *s, int table, ex_record_visit fn, void *ctx);
int sq_read_memory(ex_store *s, size_t bytes);
int sq_rec_read_at(ex_store *s, int table, uint64_t id, uint64_t off, void *buf, size_t len);
int sq_rec_scan_stored(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_want want,
                       ex_record_visit fn, void *ctx);
int sq_dec_new(ex_store *s, ex_store_dec **out);
void sq_dec_free(ex_store_dec *d);
int sq_decode(ex_store_dec *d, int table, uint64_t id, const void *data, size_t len,
              const void **rec, size_t *rlen, ex_err *err);
int sq_enc_new(ex_store *s, ex_store_enc **out);

/* sqlite_block*.c: the ops above for items and decisions (SQ_BLOCKED), and the batch writes */
int sqb_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len);
int sqb_scan(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn, void *ctx);
int sqb_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx);
int sqb_scan_stored(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_want want,
                    ex_record_visit fn, void *ctx);
int sqb_max(ex_store *s, int table, uint64_t *id);
int sqb_keys(ex_store *s, int table, ex_record_visit fn, void *ctx);
int sqb_dec_roots(ex_store *s, uint64_t from, uint64_t to, ex_root_visit fn, void *ctx);
int sqb_batch_put(ex_store *s, uint64_t first_item, size_t ni, uint64_t first_dec, size_t nd,
                  const int64_t *dkeys, size_t paired, const void *block, size_t blen);
/* check_indexes (store.h) */
int sqb_check(ex_store *s);
/* Statements and the cached block, at close. */
void sqb_close(sq_store *st);
/* Schema 7 to 8: every item and decision row into blocks, the old tables dropped. */
int sqb_migrate(ex_store *s);

/* sqlite_bulk.c */
void sq_bulk_mode(ex_store *s, int on);
/* End bulk mode if it is on (close calls it): the checkpointer stops, SQLite's own
 * checkpoints take over again. */
void sq_bulk_end(sq_store *st);

#endif
