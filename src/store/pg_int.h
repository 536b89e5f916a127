/* pg_int.h - what the files of the PostgreSQL store share (private to src/store/).
 *
 *   pg.c        the connection: open, schema and migrations, transactions, metadata, the
 *               statements and their parameters, the ops table
 *   pg_log.c    the log's rows: entries, tiles, checkpoints
 *   pg_rec.c    the record tables, COPY of many rows
 *   pg_block.c  items and decisions in blocks (batch.h): reading, writing, checking
 *   pg_stage.c  workers' leases and staged batches, the sequencer's lock
 *
 * The tables are SQLite's (sqlite.c, schema 8) in a PostgreSQL schema of their own, `exante`,
 * with the same columns; records are stored plain (no packed records: they predate this
 * store). Statements are prepared at first use and take their parameters and give their
 * results in binary. A scan reads its rows a page at a time, so its visitor may use the
 * connection between pages, and its memory stays bounded whatever the table's size. */
#ifndef EX_PG_INT_H
#define EX_PG_INT_H

#include "store/batch.h"
#include "store/store.h"

#include <libpq-fe.h>

/* Statements on the fixed tables and the blocks (pg.c, pg_log.c, pg_block.c have their text). */
enum {
    P_META_GET,
    P_META_PUT,
    P_ENTRY_MAX,
    P_ENTRY_PUT,
    P_ENTRY_GET,
    P_ENTRY_SCAN,
    P_TILE_PUT,
    P_TILE_GET,
    P_TILE_SCAN,
    P_CP_PUT,
    P_CP_GET,
    P_CP_LATEST,
    P_CP_SCAN,
    P_B_ITEM_AT,
    P_B_DEC_AT,
    P_B_ITEM_SCAN,
    P_B_DEC_SCAN,
    P_B_DEC_DESC,
    P_B_ITEM_MAX,
    P_B_DEC_MAX,
    P_B_DEC_KEYS,
    P_B_KEY_GET,
    P_B_BLOCK,
    P_B_ROOTS,
    P_B_ROW_MAX,
    P_LEASE_CLAIM,
    P_LEASE_TAKEOVER,
    P_LEASE_SHOW,
    P_STAGE_PUT,
    P_STAGE_SCAN,
    P_STAGE_DELETE,
    P_STAGE_DISCARD,
    P_STAGE_COUNTS,
    P_FIXED
};

/* Statements per record table (pg_rec.c has their text): P_FIXED + table * R_N + R_*. */
enum { PR_APPEND, PR_GET, PR_SCAN, PR_SCAN_KEY, PR_MAX, PR_PUT, PR_KEYS, PR_SCAN_DESC, PR_READ_AT, PR_N };
#define P_REC(table, r) (P_FIXED + (table) * PR_N + (r))
#define P_COUNT (P_FIXED + EX_TAB_COUNT * PR_N)

/* Rows a page of a scan (records of snapshot leaves, up to 2 MiB each, PG_PAGE_BIG). */
#define PG_PAGE 512
#define PG_PAGE_BIG 8

typedef struct pg_store {
    ex_store base;
    PGconn *c;
    int depth;     /* open transactions: the outermost is BEGIN, inner ones savepoints */
    int read_only;
    unsigned char prepared[P_COUNT];
    ex_blockrow *blk; /* the block gets read last */
    char *url;        /* for a second connection (ex_store_open_pg again) */
} pg_store;

#define PG(s) ((pg_store *)(s))

/* The parameters of one statement: int8, bytea and text values, each in binary but text. */
typedef struct pg_args {
    int n;
    const char *v[16];
    int len[16], fmt[16];
    unsigned char i8[16][8];
} pg_args;

void pg_i64(pg_args *a, int64_t v);
void pg_bytes(pg_args *a, const void *p, size_t n);
void pg_text(pg_args *a, const char *t);

/* Table names by EX_TAB_* (sqlite.c's). */
extern const char *const sq_tables[EX_TAB_COUNT];

/* Run statement q (prepared at its first use) with a's parameters; results in binary. NULL
 * with EX_EDB naming what in s->err (and *rc, may be NULL) on failure; else the result, for
 * PQclear. */
PGresult *pg_run(ex_store *s, int q, const pg_args *a, const char *what, int *rc);
/* Run a statement that returns no rows; EX_EDB naming what. */
int pg_run_cmd(ex_store *s, int q, const pg_args *a, const char *what);
/* Run SQL text (no parameters); EX_EDB with the reason. */
int pg_exec(ex_store *s, const char *sql);
/* EX_EDB with "what: " and the connection's message (or res's) in s->err. */
int pg_dberr(ex_store *s, const PGresult *res, const char *what);
/* Column col of row as a binary int8 (0 if NULL). */
int64_t pg_get_i64(const PGresult *r, int row, int col);
/* Column col of row as bytes. */
const void *pg_get_bytes(const PGresult *r, int row, int col, size_t *n);
/* A malloc'd copy of n bytes, NUL-terminated; EX_ENOMEM. */
int pg_copy_bytes(ex_store *s, const void *p, size_t n, uint8_t **data, size_t *len);

/* COPY rows into table(cols) in binary (pg_rec.c): begin, then rows of fields, then end. */
typedef struct pg_copy {
    ex_store *s;
    ex_buf buf;
    int rc;
    int active; /* the connection is in COPY */
} pg_copy;
int pg_copy_begin(pg_copy *cp, ex_store *s, const char *table, const char *cols);
void pg_copy_row(pg_copy *cp, int nfields);
void pg_copy_i64(pg_copy *cp, int64_t v);
void pg_copy_bytes_field(pg_copy *cp, const void *p, size_t n); /* NULL p with n 0: SQL NULL */
int pg_copy_end(pg_copy *cp);

/* ---- the ops, by file ---- */

int pg_begin(ex_store *s);
int pg_commit(ex_store *s);
int pg_rollback(ex_store *s);

int pg_entry_count(ex_store *s, uint64_t *n);
int pg_entries_put(ex_store *s, uint64_t first, const void *const *data, const size_t *lens,
                   size_t n);
int pg_entry_get_dup(ex_store *s, uint64_t index, uint8_t **data, size_t *len);
int pg_entry_scan(ex_store *s, uint64_t from, ex_entry_visit fn, void *ctx);
int pg_tile_put(ex_store *s, unsigned stratum, uint64_t index, const void *data, size_t len);
int pg_tile_get(ex_store *s, unsigned stratum, uint64_t index, void *buf, size_t cap,
                size_t *len);
int pg_tile_scan(ex_store *s, ex_tile_visit fn, void *ctx);
int pg_checkpoint_put(ex_store *s, uint64_t size, const char *note, size_t len);
int pg_checkpoint_get_dup(ex_store *s, uint64_t size, char **note, size_t *len);
int pg_checkpoint_scan(ex_store *s, ex_checkpoint_visit fn, void *ctx);

int pg_rec_append(ex_store *s, int table, int64_t key, const void *data, size_t len,
                  uint64_t *id);
int pg_rec_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data,
                   size_t *len);
int pg_rec_scan(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn,
                void *ctx);
int pg_rec_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx);
int pg_rec_insert_many(ex_store *s, int table, uint64_t first, size_t n, const int64_t *keys,
                       const void *const *data, const size_t *lens);
int pg_rec_put(ex_store *s, int table, uint64_t id, int64_t key, const void *data, size_t len);
int pg_rec_max(ex_store *s, int table, uint64_t *id);
int pg_rec_keys(ex_store *s, int table, ex_record_visit fn, void *ctx);
int pg_rec_read_at(ex_store *s, int table, uint64_t id, uint64_t off, void *buf, size_t len);
int pg_rec_scan_stored(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_want want,
                       ex_record_visit fn, void *ctx);
int pg_dec_new(ex_store *s, ex_store_dec **out);
void pg_dec_free(ex_store_dec *d);
int pg_decode(ex_store_dec *d, int table, uint64_t id, const void *data, size_t len,
              const void **rec, size_t *rlen, ex_err *err);
/* The SQL text of record statement r on table (pg_rec.c). */
const char *pg_rec_sql(int table, int r, char *buf, size_t cap);

/* pg_block.c: the record ops for items and decisions, the batch writes, the checks */
int pgb_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len);
int pgb_scan(ex_store *s, int table, uint64_t from, uint64_t to, int desc, ex_record_want want,
             ex_record_visit fn, void *ctx);
int pgb_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx);
int pgb_max(ex_store *s, int table, uint64_t *id);
int pgb_keys(ex_store *s, int table, ex_record_visit fn, void *ctx);
int pgb_batch_put(ex_store *s, uint64_t first_item, size_t ni, uint64_t first_dec, size_t nd,
                  const int64_t *dkeys, size_t paired, const void *data, size_t len);
int pgb_check(ex_store *s);
int pgb_dec_roots(ex_store *s, uint64_t from, uint64_t to, ex_root_visit fn, void *ctx);
/* pg_stage.c */
int pg_lease_claim(ex_store *s, const char *input, const char *worker, unsigned secs,
                   int takeover, int *state, uint64_t *through, char *holder, size_t cap,
                   double *left);
int pg_stage_put(ex_store *s, const ex_staged *b, unsigned secs, uint64_t *id);
int pg_stage_scan(ex_store *s, uint64_t after, size_t max, ex_staged_visit fn, void *ctx);
int pg_stage_delete(ex_store *s, uint64_t id);
int pg_stage_discard(ex_store *s, const char *policy, uint64_t *inputs);
int pg_seq_lock(ex_store *s);
int pg_stage_counts(ex_store *s, uint64_t *staged, uint64_t *open);

/* The SQL text of fixed statement q (pg_block.c has the blocks', pg_log.c the log's). */
extern const char *const pg_sql[P_FIXED];

#define PG_BLOCKED(table) ((table) == EX_TAB_ITEMS || (table) == EX_TAB_DECISIONS)

#endif
