/* sqlite_block.c - items and decisions stored as blocks (schema 8, block.h): reading them.
 * A batch's item and decision records are one or more rows of `blocks`, each one zstd frame
 * (writing: sqlite_blockw.c; checking the indexes: sqlite_check.c; migrating: sqlite_migrate.c;
 * what they share: sqlite_block.h). A record's bytes come back exactly as they went in.
 *
 * A row: item_first, item_n (its items' ids), dec_first, dec_n (its decisions'), paired,
 * keys, block. The first `paired` decisions are the first `paired` items' own (decision k's
 * key is item_first + k: an ingest batch decides each new item once); the block holds each of
 * those items followed by its decision, then the other items, then the other decisions:
 *
 *     item k     at 2k when k < paired, else paired + k
 *     decision k at 2k + 1 when k < paired, else item_n + k
 *
 * An item next to its decision is what makes the block small: the decision repeats the
 * item's digest, which zstd then finds 300 bytes back (bench/RESULTS.md "Blocks": 120 bytes
 * per item against 147 with one block per kind), and a paired decision's provenance, the
 * SHA-256 of the item beside it, is left out and put back on reading (elide.h: 85 bytes).
 * `keys` holds the keys of the other decisions (dec_n - paired of them, 8 bytes little-endian
 * each), and decision_keys(key, id) indexes them: an item's decisions are its paired one,
 * found from its block, and its indexed ones.
 *
 * A batch is stored as several blocks (rows) when it is large: EX_BATCH_PAIRS items with their
 * decisions a block, then its other items, then its other decisions, 2 * EX_BATCH_PAIRS
 * records a block. A read of one record decompresses its block: a bounded block keeps that to
 * a few hundred KB whatever the batch size.
 *
 * Reads decode a block once and keep it: the store keeps the last one for gets, each scan one
 * of its own (its visitor may read the store meanwhile). */
#include "store/sqlite_block.h"

#include "merkle/merkle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the columns every block query selects, in this order; not the block itself, which SQLite
 * would copy out at every step (1 MB and more for a batch of 10,000 items): B_BLOCK reads it
 * when a record of the row is first wanted */
#define COLS "id, item_first, item_n, dec_first, dec_n, paired, keys"
static const char *const bsql[B_COUNT] = {
    [B_ITEM_AT] = "SELECT " COLS " FROM blocks WHERE item_n > 0 AND item_first <= ?1"
                  " ORDER BY item_first DESC LIMIT 1",
    [B_DEC_AT] = "SELECT " COLS " FROM blocks WHERE dec_n > 0 AND dec_first <= ?1"
                 " ORDER BY dec_first DESC LIMIT 1",
    [B_ITEM_SCAN] = "SELECT " COLS " FROM blocks WHERE item_n > 0 AND item_first >= ?1"
                    " AND item_first < ?2 ORDER BY item_first",
    [B_DEC_SCAN] = "SELECT " COLS " FROM blocks WHERE dec_n > 0 AND dec_first >= ?1"
                   " AND dec_first < ?2 ORDER BY dec_first",
    [B_DEC_DESC] = "SELECT " COLS " FROM blocks WHERE dec_n > 0 AND dec_first >= ?1"
                   " AND dec_first < ?2 ORDER BY dec_first DESC",
    [B_ITEM_MAX] = "SELECT item_first + item_n - 1 FROM blocks WHERE item_n > 0"
                   " ORDER BY item_first DESC LIMIT 1",
    [B_DEC_MAX] = "SELECT dec_first + dec_n - 1 FROM blocks WHERE dec_n > 0"
                  " ORDER BY dec_first DESC LIMIT 1",
    [B_DEC_KEYS] = "SELECT item_first, dec_first, dec_n, paired, keys FROM blocks WHERE dec_n > 0",
    [B_PUT] = "INSERT INTO blocks(item_first, item_n, dec_first, dec_n, paired, keys, block, root)"
              " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [B_ROOTS] = "SELECT dec_first, dec_n, root FROM blocks WHERE dec_n > 0 AND dec_first >= ?1"
                " AND dec_first < ?2 ORDER BY dec_first",
    [B_KEY_PUT] = "INSERT INTO decision_keys(key, id) VALUES(?1, ?2)",
    [B_KEY_GET] = "SELECT id FROM decision_keys WHERE key = ?1 ORDER BY id",
    [B_BLOCK] = "SELECT block FROM blocks WHERE id = ?1",
};

sqlite3_stmt *
sqb_stmt(ex_store *s, int q)
{
    sq_store *st = SQ(s);
    if (!st->b[q] && sqlite3_prepare_v3(st->db, bsql[q], -1, SQLITE_PREPARE_PERSISTENT, &st->b[q],
                                        NULL) != SQLITE_OK)
        return NULL;
    return st->b[q];
}

int
sqb_is_items(int table)
{
    return table == EX_TAB_ITEMS;
}

/* ---- a decoded block ---- */

int
sqb_blk_new(ex_store *s, sq_block **out)
{
    return ex_blockrow_new(out) == EX_OK ? EX_OK : ex_fail(&s->err, EX_ENOMEM, "out of memory");
}

/* The row q is on, into b: its counts and keys now, its records when first asked for
 * (blk_record). A row whose counts do not fit its keys is damaged. */
int
sqb_blk_load(ex_store *s, sqlite3_stmt *q, sq_block *b)
{
    int64_t row = sqlite3_column_int64(q, 0), v[5];
    if (row == b->row && row)
        return EX_OK;
    for (int i = 0; i < 5; i++)
        v[i] = sqlite3_column_int64(q, 1 + i);
    size_t klen;
    const void *k = sq_column(q, 6, &klen);
    return ex_blockrow_set(b, row, v, k, klen, &s->err);
}

/* Record id of table (in b's range) from b: its block read and decompressed at first use. */
/* b's block read and decompressed (ex_blockrow_visit's open) */
static int
open_block(void *ctx, sq_block *b)
{
    ex_store *s = ctx;
    sqlite3_stmt *q = sqb_stmt(s, B_BLOCK);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, b->row);
    int r = sqlite3_step(q), rc;
    if (r != SQLITE_ROW) {
        rc = r == SQLITE_DONE ? ex_blockrow_damaged(&s->err, b, "its row is gone")
                              : sq_dberr(s, "read a block");
        b->row = 0;
    } else {
        size_t n;
        const void *p = sq_column(q, 0, &n);
        rc = ex_blockrow_open(b, p, n, &s->err);
    }
    sqlite3_reset(q);
    return rc;
}

int
sqb_blk_record(ex_store *s, sq_block *b, int table, uint64_t id, const void **rec,
               size_t *len)
{
    int rc = b->opened ? EX_OK : open_block(s, b);
    return rc == EX_OK ? ex_blockrow_record(b, sqb_is_items(table), id, rec, len, &s->err) : rc;
}

int
sqb_step_err(ex_store *s, int r, const char *what)
{
    return r == SQLITE_DONE ? EX_OK : sq_dberr(s, what);
}

/* ---- reads ---- */

/* Position q (B_ITEM_AT or B_DEC_AT) on the block holding record id of table, loaded into b;
 * EX_ENOTFOUND if none has it. The caller resets q. */
int
sqb_seek(ex_store *s, int table, uint64_t id, sq_block *b, sqlite3_stmt **qp)
{
    sqlite3_stmt *q = sqb_stmt(s, sqb_is_items(table) ? B_ITEM_AT : B_DEC_AT);
    *qp = q;
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, id > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)id);
    int r = sqlite3_step(q);
    if (r != SQLITE_ROW)
        return r == SQLITE_DONE ? ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu",
                                          sq_tables[table], (unsigned long long)id)
                                : sq_dberr(s, "read block");
    int rc = sqb_blk_load(s, q, b);
    if (rc != EX_OK)
        return rc;
    uint64_t first = sqb_is_items(table) ? b->item_first : b->dec_first;
    uint64_t n = sqb_is_items(table) ? b->item_n : b->dec_n;
    if (id < first || id - first >= n)
        return ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", sq_tables[table],
                       (unsigned long long)id);
    return EX_OK;
}

int
sqb_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len)
{
    sq_store *st = SQ(s);
    if (!st->blk && sqb_blk_new(s, &st->blk) != EX_OK)
        return EX_ENOMEM;
    sqlite3_stmt *q;
    int rc = sqb_seek(s, table, id, st->blk, &q);
    const void *p;
    size_t n;
    if (rc == EX_OK && (rc = sqb_blk_record(s, st->blk, table, id, &p, &n)) == EX_OK) {
        if (key)
            *key = sqb_is_items(table) ? 0 : ex_blockrow_key(st->blk, id - st->blk->dec_first);
        rc = sq_copy_bytes(s, p, n, data, len);
    }
    if (q)
        sqlite3_reset(q);
    return rc;
}

/* Visit the records from <= id < to of table, block by block in id order (desc: newest
 * first, want asked before a record is read). */
static int
visit(ex_store *s, int table, uint64_t from, uint64_t to, int desc, ex_record_want want,
      ex_record_visit fn, void *ctx)
{
    if (to > (uint64_t)INT64_MAX)
        to = (uint64_t)INT64_MAX;
    if (from >= to)
        return EX_OK;
    sq_block *b = NULL;
    if (sqb_blk_new(s, &b) != EX_OK)
        return EX_ENOMEM;
    /* the first block: the one holding `from`, if any */
    uint64_t start = from;
    sqlite3_stmt *q;
    int rc = sqb_seek(s, table, from, b, &q);
    if (rc == EX_OK)
        start = sqb_is_items(table) ? b->item_first : b->dec_first;
    if (q)
        sqlite3_reset(q);
    if (rc != EX_OK && rc != EX_ENOTFOUND) {
        ex_blockrow_free(b);
        return rc;
    }
    rc = EX_OK;
    b->row = 0;
    q = sqb_stmt(s, sqb_is_items(table) ? B_ITEM_SCAN : desc ? B_DEC_DESC : B_DEC_SCAN);
    if (!q) {
        ex_blockrow_free(b);
        return sq_dberr(s, "prepare");
    }
    sqlite3_bind_int64(q, 1, (sqlite3_int64)start);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)to);
    int r;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        if ((rc = sqb_blk_load(s, q, b)) != EX_OK)
            break;
        rc = ex_blockrow_visit(b, sqb_is_items(table), from, to, desc, want, fn, ctx, open_block,
                               s, &s->err);
    }
    if (rc == EX_OK)
        rc = sqb_step_err(s, r, "scan blocks");
    sqlite3_reset(q);
    ex_blockrow_free(b);
    return rc;
}

int
sqb_scan(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn, void *ctx)
{
    return visit(s, table, from, to, 0, NULL, fn, ctx);
}

int
sqb_scan_stored(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_want want,
                ex_record_visit fn, void *ctx)
{
    if (sqb_is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items are not scanned newest first");
    return visit(s, table, from, to, 1, want, fn, ctx);
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* An item's decisions: its paired one (in its block) and its indexed ones, in id order. */
int
sqb_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx)
{
    if (sqb_is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items have no key");
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc = EX_OK;
    sq_block *b = NULL;
    if (sqb_blk_new(s, &b) != EX_OK)
        return EX_ENOMEM;
    sqlite3_stmt *q = NULL;
    if (key > 0 && (rc = sqb_seek(s, EX_TAB_ITEMS, (uint64_t)key, b, &q)) == EX_OK &&
        (uint64_t)key - b->item_first < b->paired) {
        if (!(ids = malloc(16 * sizeof *ids)))
            rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
        else
            ids[n++] = b->dec_first + ((uint64_t)key - b->item_first), cap = 16;
    }
    if (q)
        sqlite3_reset(q);
    if (rc == EX_ENOTFOUND)
        rc = EX_OK;
    if (rc == EX_OK && !(q = sqb_stmt(s, B_KEY_GET)))
        rc = sq_dberr(s, "prepare");
    if (rc == EX_OK) {
        sqlite3_bind_int64(q, 1, key);
        int r;
        while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
            if (n == cap) {
                size_t c = cap ? 2 * cap : 16;
                uint64_t *p = realloc(ids, c * sizeof *p);
                if (!p) {
                    rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
                    break;
                }
                ids = p, cap = c;
            }
            ids[n++] = (uint64_t)sqlite3_column_int64(q, 0);
        }
        if (rc == EX_OK)
            rc = sqb_step_err(s, r, "read decision keys");
        sqlite3_reset(q);
    }
    if (n > 1)
        qsort(ids, n, sizeof *ids, cmp_u64);
    b->row = 0;
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        const void *p = NULL;
        size_t len = 0;
        if ((rc = sqb_seek(s, table, ids[i], b, &q)) == EX_OK &&
            (rc = sqb_blk_record(s, b, table, ids[i], &p, &len)) == EX_OK) {
            /* a record read for the index under another key: the row is damaged */
            if (ex_blockrow_key(b, ids[i] - b->dec_first) != key)
                rc = ex_blockrow_damaged(&s->err, b, "a decision indexed under another item");
        }
        if (q)
            sqlite3_reset(q);
        /* the visitor runs with no statement of ours in use: it may read the store */
        if (rc == EX_OK)
            rc = fn(ctx, ids[i], key, p, len);
    }
    free(ids);
    ex_blockrow_free(b);
    return rc;
}

int
sqb_max(ex_store *s, int table, uint64_t *id)
{
    sqlite3_stmt *q = sqb_stmt(s, sqb_is_items(table) ? B_ITEM_MAX : B_DEC_MAX);
    if (!q)
        return sq_dberr(s, "prepare");
    int r = sqlite3_step(q), rc = EX_OK;
    *id = 0;
    if (r == SQLITE_ROW)
        *id = (uint64_t)sqlite3_column_int64(q, 0);
    else
        rc = sqb_step_err(s, r, "read max id");
    sqlite3_reset(q);
    return rc;
}

int
sqb_keys(ex_store *s, int table, ex_record_visit fn, void *ctx)
{
    if (sqb_is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items have no key");
    sqlite3_stmt *q = sqb_stmt(s, B_DEC_KEYS);
    if (!q)
        return sq_dberr(s, "prepare");
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t item_first = (uint64_t)sqlite3_column_int64(q, 0);
        uint64_t dec_first = (uint64_t)sqlite3_column_int64(q, 1);
        uint64_t n = (uint64_t)sqlite3_column_int64(q, 2);
        uint64_t paired = (uint64_t)sqlite3_column_int64(q, 3);
        size_t klen;
        const unsigned char *k = sq_column(q, 4, &klen);
        if (paired > n || klen != 8 * (n - paired)) {
            rc = ex_fail(&s->err, EX_EFORMAT, "the block of decisions %llu-%llu: its counts do "
                                              "not fit its keys",
                         (unsigned long long)dec_first, (unsigned long long)(dec_first + n - 1));
            break;
        }
        for (uint64_t i = 0; rc == EX_OK && i < n; i++) {
            int64_t key = i < paired ? (int64_t)(item_first + i)
                                     : (int64_t)ex_get_le(k + 8 * (i - paired), 8);
            rc = fn(ctx, dec_first + i, key, NULL, 0);
        }
    }
    if (rc == EX_OK)
        rc = sqb_step_err(s, r, "scan keys");
    sqlite3_reset(q);
    return rc;
}

/* A ledger before blocks (schema 3-7, read as it is): one group, its root from its records. */
typedef struct old_roots {
    ex_sha256 *h;
    uint8_t (*v)[EX_HASH_BYTES];
    uint64_t from, n, cap;
} old_roots;

static int
old_leaf(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    old_roots *o = ctx;
    if (id != o->from + o->n || o->n == o->cap)
        return EX_ERANGE;
    return ex_merkle_leaf(o->h, data, len, o->v[o->n++]);
}

int
sqb_dec_roots(ex_store *s, uint64_t from, uint64_t to, ex_root_visit fn, void *ctx)
{
    if (s->schema < 8) {
        old_roots o = {.from = from};
        uint64_t max = 0;
        int rc = sq_rec_max(s, EX_TAB_DECISIONS, &max);
        if (rc != EX_OK || from > max || from >= to)
            return rc;
        o.cap = (to - 1 < max ? to - 1 : max) - from + 1;
        uint8_t root[EX_HASH_BYTES];
        if (ex_sha256_new(&o.h) != EX_OK || !(o.v = malloc(o.cap * EX_HASH_BYTES)))
            rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
        if (rc == EX_OK)
            rc = sq_rec_scan(s, EX_TAB_DECISIONS, from, from + o.cap, old_leaf, &o);
        if (rc == EX_OK && o.n &&
            (rc = ex_merkle_root(o.h, (const uint8_t(*)[EX_HASH_BYTES])o.v, o.n, root)) == EX_OK)
            rc = fn(ctx, from, o.n, root);
        free(o.v);
        ex_sha256_free(o.h);
        return rc;
    }
    /* from the block holding `from` */
    sq_block *b = NULL;
    sqlite3_stmt *q = NULL;
    int src = sqb_blk_new(s, &b);
    if (src == EX_OK && (src = sqb_seek(s, EX_TAB_DECISIONS, from, b, &q)) == EX_OK)
        from = b->dec_first;
    if (q)
        sqlite3_reset(q);
    ex_blockrow_free(b);
    if (src != EX_OK && src != EX_ENOTFOUND)
        return src;
    q = sqb_stmt(s, B_ROOTS);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(q, 2, to > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        size_t n;
        const void *root = sq_column(q, 2, &n);
        uint64_t first = (uint64_t)sqlite3_column_int64(q, 0);
        uint64_t cnt = (uint64_t)sqlite3_column_int64(q, 1);
        if (n != EX_HASH_BYTES)
            rc = ex_fail(&s->err, EX_EFORMAT, "the block of decisions %llu-%llu has no root",
                         (unsigned long long)first, (unsigned long long)(first + cnt - 1));
        else
            rc = fn(ctx, first, cnt, root);
    }
    if (rc == EX_OK)
        rc = sqb_step_err(s, r, "read the blocks' roots");
    sqlite3_reset(q);
    return rc;
}

void
sqb_close(sq_store *st)
{
    for (int i = 0; i < B_COUNT; i++)
        sqlite3_finalize(st->b[i]);
    ex_blockrow_free(st->blk);
    st->blk = NULL;
}

