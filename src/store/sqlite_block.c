/* sqlite_block.c - items and decisions stored as blocks (schema 8, block.h): one row of
 * `blocks` per batch holds its item and decision records as one zstd frame. A record's bytes
 * come back exactly as they went in.
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
 * A batch is stored as several blocks (rows) when it is large: SQ_BLOCK_PAIRS items with their
 * decisions a block, then its other items, then its other decisions, 2 * SQ_BLOCK_PAIRS
 * records a block. A read of one record decompresses its block: a bounded block keeps that to
 * a few hundred KB whatever the batch size.
 *
 * Reads decode a block once and keep it: the store keeps the last one for gets, each scan one
 * of its own (its visitor may read the store meanwhile). */
#include "store/block.h"
#include "store/elide.h"
#include "store/sqlite_int.h"

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

static sqlite3_stmt *
bstmt(ex_store *s, int q)
{
    sq_store *st = SQ(s);
    if (!st->b[q] && sqlite3_prepare_v3(st->db, bsql[q], -1, SQLITE_PREPARE_PERSISTENT, &st->b[q],
                                        NULL) != SQLITE_OK)
        return NULL;
    return st->b[q];
}

static int
is_items(int table)
{
    return table == EX_TAB_ITEMS;
}

/* ---- a decoded block ---- */

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

static void
blk_free(sq_block *b)
{
    if (!b)
        return;
    ex_block_dec_free(b->dec);
    ex_buf_free(&b->scratch);
    ex_sha256_free(b->h);
    free(b->keys);
    free(b);
}

static int
blk_new(ex_store *s, sq_block **out)
{
    sq_block *b = calloc(1, sizeof *b);
    if (!b || ex_block_dec_new(&b->dec) != EX_OK || ex_sha256_new(&b->h) != EX_OK) {
        if (b)
            ex_block_dec_free(b->dec);
        free(b);
        return ex_fail(&s->err, EX_ENOMEM, "out of memory");
    }
    *out = b;
    return EX_OK;
}

static int
damaged(ex_store *s, const sq_block *b, const char *why)
{
    return ex_fail(&s->err, EX_EFORMAT, "block %lld (items %llu-%llu, decisions %llu-%llu): %s",
                   (long long)b->row, (unsigned long long)b->item_first,
                   (unsigned long long)(b->item_first + b->item_n - 1),
                   (unsigned long long)b->dec_first,
                   (unsigned long long)(b->dec_first + b->dec_n - 1), why);
}

/* The row q is on, into b: its counts and keys now, its records when first asked for
 * (blk_record). A row whose counts do not fit its keys is damaged. */
static int
blk_load(ex_store *s, sqlite3_stmt *q, sq_block *b)
{
    int64_t row = sqlite3_column_int64(q, 0);
    if (row == b->row && row)
        return EX_OK;
    b->row = row;
    b->opened = 0;
    int64_t v[5];
    for (int i = 0; i < 5; i++)
        v[i] = sqlite3_column_int64(q, 1 + i);
    b->item_first = (uint64_t)v[0], b->item_n = (uint64_t)v[1];
    b->dec_first = (uint64_t)v[2], b->dec_n = (uint64_t)v[3], b->paired = (uint64_t)v[4];
    size_t klen;
    const unsigned char *k = sq_column(q, 6, &klen);
    int bad = v[0] < 1 || v[1] < 0 || v[2] < 1 || v[3] < 0 || v[4] < 0 || v[4] > v[1] ||
              v[4] > v[3] || (uint64_t)(v[1] + v[3]) > EX_BLOCK_MAX_RECORDS ||
              klen != 8 * (size_t)(v[3] - v[4]);
    if (bad) {
        b->row = 0;
        b->item_n = b->dec_n = 0;
        return damaged(s, b, "its counts do not fit its keys");
    }
    size_t nk = (size_t)(b->dec_n - b->paired);
    if (nk > b->kcap) {
        int64_t *p = realloc(b->keys, nk * sizeof *p);
        if (!p) {
            b->row = 0;
            return ex_fail(&s->err, EX_ENOMEM, "out of memory");
        }
        b->keys = p, b->kcap = nk;
    }
    for (size_t i = 0; i < nk; i++) {
        uint64_t x = 0;
        for (int j = 7; j >= 0; j--)
            x = x << 8 | k[8 * i + (size_t)j];
        b->keys[i] = (int64_t)x;
    }
    return EX_OK;
}

/* the key of decision k of b */
static int64_t
blk_dec_key(const sq_block *b, uint64_t k)
{
    return k < b->paired ? (int64_t)(b->item_first + k) : b->keys[k - b->paired];
}

/* Record id of table (in b's range) from b: its block read and decompressed at first use. */
static int
blk_record(ex_store *s, sqlite3_stmt *unused, sq_block *b, int table, uint64_t id,
           const void **rec, size_t *len)
{
    (void)unused;
    if (!b->opened) {
        sqlite3_stmt *q = bstmt(s, B_BLOCK);
        if (!q)
            return sq_dberr(s, "prepare");
        sqlite3_bind_int64(q, 1, b->row);
        int r = sqlite3_step(q), rc = EX_OK;
        ex_err e = {0};
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? damaged(s, b, "its row is gone") : sq_dberr(s, "read a block");
        } else {
            size_t n;
            const void *p = sq_column(q, 0, &n);
            if (ex_block_open(b->dec, p, n, &e) != EX_OK)
                rc = damaged(s, b, e.msg);
        }
        sqlite3_reset(q);
        if (rc != EX_OK) {
            b->row = 0;
            return rc;
        }
        if (ex_block_count(b->dec) != b->item_n + b->dec_n) {
            rc = damaged(s, b, "its record count does not match its row");
            b->row = 0;
            return rc;
        }
        b->opened = 1;
    }
    uint64_t k, pos;
    if (is_items(table)) {
        k = id - b->item_first;
        pos = k < b->paired ? 2 * k : b->paired + k;
    } else {
        k = id - b->dec_first;
        pos = k < b->paired ? 2 * k + 1 : b->item_n + k;
    }
    if (ex_block_get(b->dec, (size_t)pos, rec, len) != EX_OK)
        return damaged(s, b, "no record");
    if (is_items(table) || k >= b->paired)
        return EX_OK;
    /* a paired decision: its provenance from the item before it */
    const void *item;
    size_t ilen;
    if (ex_block_get(b->dec, (size_t)(2 * k), &item, &ilen) != EX_OK)
        return damaged(s, b, "no record");
    int rc = ex_elide_get(b->h, item, ilen, *rec, *len, &b->scratch, rec, len);
    return rc == EX_OK ? EX_OK
                       : ex_fail(&s->err, rc, "%s", rc == EX_ENOMEM ? "out of memory"
                                                                      : "cannot hash an item");
}

static int
step_err(ex_store *s, int r, const char *what)
{
    return r == SQLITE_DONE ? EX_OK : sq_dberr(s, what);
}

/* ---- reads ---- */

/* Position q (B_ITEM_AT or B_DEC_AT) on the block holding record id of table, loaded into b;
 * EX_ENOTFOUND if none has it. The caller resets q. */
static int
seek(ex_store *s, int table, uint64_t id, sq_block *b, sqlite3_stmt **qp)
{
    sqlite3_stmt *q = bstmt(s, is_items(table) ? B_ITEM_AT : B_DEC_AT);
    *qp = q;
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, id > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)id);
    int r = sqlite3_step(q);
    if (r != SQLITE_ROW)
        return r == SQLITE_DONE ? ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu",
                                          sq_tables[table], (unsigned long long)id)
                                : sq_dberr(s, "read block");
    int rc = blk_load(s, q, b);
    if (rc != EX_OK)
        return rc;
    uint64_t first = is_items(table) ? b->item_first : b->dec_first;
    uint64_t n = is_items(table) ? b->item_n : b->dec_n;
    if (id < first || id - first >= n)
        return ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", sq_tables[table],
                       (unsigned long long)id);
    return EX_OK;
}

int
sqb_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len)
{
    sq_store *st = SQ(s);
    if (!st->blk && blk_new(s, &st->blk) != EX_OK)
        return EX_ENOMEM;
    sqlite3_stmt *q;
    int rc = seek(s, table, id, st->blk, &q);
    const void *p;
    size_t n;
    if (rc == EX_OK && (rc = blk_record(s, q, st->blk, table, id, &p, &n)) == EX_OK) {
        if (key)
            *key = is_items(table) ? 0 : blk_dec_key(st->blk, id - st->blk->dec_first);
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
    if (blk_new(s, &b) != EX_OK)
        return EX_ENOMEM;
    /* the first block: the one holding `from`, if any */
    uint64_t start = from;
    sqlite3_stmt *q;
    int rc = seek(s, table, from, b, &q);
    if (rc == EX_OK)
        start = is_items(table) ? b->item_first : b->dec_first;
    if (q)
        sqlite3_reset(q);
    if (rc != EX_OK && rc != EX_ENOTFOUND) {
        blk_free(b);
        return rc;
    }
    rc = EX_OK;
    b->row = 0;
    q = bstmt(s, is_items(table) ? B_ITEM_SCAN : desc ? B_DEC_DESC : B_DEC_SCAN);
    if (!q) {
        blk_free(b);
        return sq_dberr(s, "prepare");
    }
    sqlite3_bind_int64(q, 1, (sqlite3_int64)start);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)to);
    int r;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        if ((rc = blk_load(s, q, b)) != EX_OK)
            break;
        uint64_t first = is_items(table) ? b->item_first : b->dec_first;
        uint64_t n = is_items(table) ? b->item_n : b->dec_n;
        for (uint64_t i = 0; rc == EX_OK && i < n; i++) {
            uint64_t k = desc ? n - 1 - i : i, id = first + k;
            if (id < from || id >= to)
                continue;
            int64_t key = is_items(table) ? 0 : blk_dec_key(b, k);
            int w = want ? want(ctx, id, key) : 1;
            if (w < 0) {
                rc = w;
                break;
            }
            const void *p;
            size_t len;
            if (w && (rc = blk_record(s, q, b, table, id, &p, &len)) == EX_OK)
                rc = fn(ctx, id, key, p, len);
        }
    }
    if (rc == EX_OK)
        rc = step_err(s, r, "scan blocks");
    sqlite3_reset(q);
    blk_free(b);
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
    if (is_items(table))
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
    if (is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items have no key");
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc = EX_OK;
    sq_block *b = NULL;
    if (blk_new(s, &b) != EX_OK)
        return EX_ENOMEM;
    sqlite3_stmt *q = NULL;
    if (key > 0 && (rc = seek(s, EX_TAB_ITEMS, (uint64_t)key, b, &q)) == EX_OK &&
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
    if (rc == EX_OK && !(q = bstmt(s, B_KEY_GET)))
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
            rc = step_err(s, r, "read decision keys");
        sqlite3_reset(q);
    }
    qsort(ids, n, sizeof *ids, cmp_u64);
    b->row = 0;
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        const void *p = NULL;
        size_t len = 0;
        if ((rc = seek(s, table, ids[i], b, &q)) == EX_OK &&
            (rc = blk_record(s, q, b, table, ids[i], &p, &len)) == EX_OK) {
            /* a record read for the index under another key: the row is damaged */
            if (blk_dec_key(b, ids[i] - b->dec_first) != key)
                rc = damaged(s, b, "a decision indexed under another item");
        }
        if (q)
            sqlite3_reset(q);
        /* the visitor runs with no statement of ours in use: it may read the store */
        if (rc == EX_OK)
            rc = fn(ctx, ids[i], key, p, len);
    }
    free(ids);
    blk_free(b);
    return rc;
}

int
sqb_max(ex_store *s, int table, uint64_t *id)
{
    sqlite3_stmt *q = bstmt(s, is_items(table) ? B_ITEM_MAX : B_DEC_MAX);
    if (!q)
        return sq_dberr(s, "prepare");
    int r = sqlite3_step(q), rc = EX_OK;
    *id = 0;
    if (r == SQLITE_ROW)
        *id = (uint64_t)sqlite3_column_int64(q, 0);
    else
        rc = step_err(s, r, "read max id");
    sqlite3_reset(q);
    return rc;
}

int
sqb_keys(ex_store *s, int table, ex_record_visit fn, void *ctx)
{
    if (is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items have no key");
    sqlite3_stmt *q = bstmt(s, B_DEC_KEYS);
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
            int64_t key = (int64_t)(item_first + i);
            if (i >= paired) {
                uint64_t x = 0;
                for (int j = 7; j >= 0; j--)
                    x = x << 8 | k[8 * (i - paired) + (size_t)j];
                key = (int64_t)x;
            }
            rc = fn(ctx, dec_first + i, key, NULL, 0);
        }
    }
    if (rc == EX_OK)
        rc = step_err(s, r, "scan keys");
    sqlite3_reset(q);
    return rc;
}

/* ---- writes ---- */

/* The store's encoding of a batch: its blocks back to back, each behind a header of four
 * 32-bit little-endian numbers (items, decisions, paired, the block's bytes) and the root of
 * its decisions (zeros without any). */
#define CHUNK_HEAD (16 + EX_HASH_BYTES)

static void
put32le(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One block of ni items and nd decisions, the first `paired` of each a pair, in the layout
 * above, appended to out behind its header. */
static int
put_chunk(ex_store_enc *e, size_t ni, const void *const *items, const size_t *ilens, size_t nd,
          const void *const *decs, const size_t *dlens, size_t paired,
          const uint8_t (*leaves)[EX_HASH_BYTES], ex_buf *out)
{
    uint8_t root[EX_HASH_BYTES] = {0};
    if (nd && ex_merkle_root(e->h, leaves, nd, root) != EX_OK)
        return EX_ECRYPTO;
    for (size_t k = 0; k < ni; k++) {
        size_t pos = k < paired ? 2 * k : paired + k;
        e->recs[pos] = items[k], e->lens[pos] = ilens[k];
    }
    for (size_t k = 0; k < nd; k++) {
        size_t pos = k < paired ? 2 * k + 1 : ni + k;
        e->recs[pos] = decs[k], e->lens[pos] = dlens[k];
    }
    size_t at = out->len;
    if (ex_buf_reserve(out, CHUNK_HEAD) != EX_OK)
        return EX_ENOMEM;
    out->len += CHUNK_HEAD;
    int rc = ex_block_enc_build(e->blk, e->recs, e->lens, ni + nd, SQ_BLOCK_LEVEL, out);
    if (rc != EX_OK)
        return rc;
    unsigned char *h = (unsigned char *)out->data + at;
    put32le(h, (uint32_t)ni);
    put32le(h + 4, (uint32_t)nd);
    put32le(h + 8, (uint32_t)paired);
    put32le(h + 12, (uint32_t)(out->len - at - CHUNK_HEAD));
    memcpy(h + 16, root, EX_HASH_BYTES);
    return EX_OK;
}

/* The stored form of a batch: blocks of SQ_BLOCK_PAIRS pairs (their decisions' provenance left
 * out), then of the other items, then of the other decisions. */
int
sqb_encode_batch(ex_store_enc *e, size_t ni, const void *const *items, const size_t *ilens,
                 size_t nd, const void *const *decs, const size_t *dlens, size_t paired,
                 const uint8_t (*leaves)[EX_HASH_BYTES], ex_buf *out)
{
    size_t chunk = 2 * SQ_BLOCK_PAIRS;
    if (paired > ni || paired > nd || ni + nd == 0 || ni > UINT32_MAX || nd > UINT32_MAX)
        return EX_EINVAL;
    if (e->cap < chunk + paired + 1) {
        size_t c = chunk + paired + 1;
        const void **r = realloc(e->recs, c * sizeof *r);
        if (r)
            e->recs = r;
        size_t *l = realloc(e->lens, c * sizeof *l);
        if (l)
            e->lens = l;
        size_t *o = realloc(e->eoff, c * sizeof *o);
        if (o)
            e->eoff = o;
        if (!r || !l || !o)
            return EX_ENOMEM;
        e->cap = c;
    }
    if ((!e->blk && ex_block_enc_new(&e->blk) != EX_OK) || (!e->h && ex_sha256_new(&e->h) != EX_OK))
        return EX_ENOMEM;
    /* the paired decisions as stored, back to back in e->elided */
    e->elided.len = 0;
    for (size_t k = 0; k < paired; k++) {
        e->eoff[k] = e->elided.len;
        int rc = ex_elide_put(e->h, items[k], ilens[k], decs[k], dlens[k], &e->elided);
        if (rc != EX_OK)
            return rc;
    }
    e->eoff[paired] = e->elided.len;
    size_t start = out->len;
    int rc = EX_OK;
    /* pointers into e->elided, made now that it has stopped growing: after the recs used by
     * put_chunk (chunk of them) */
    const void **ep = e->recs + chunk;
    size_t *el = e->eoff; /* lengths, in place of the offsets (each read before it is written) */
    for (size_t k = 0; k < paired; k++)
        ep[k] = e->elided.data + e->eoff[k];
    for (size_t k = 0; k < paired; k++)
        el[k] = e->eoff[k + 1] - e->eoff[k];
    for (size_t at = 0; rc == EX_OK && at < paired; at += SQ_BLOCK_PAIRS) {
        size_t m = paired - at < SQ_BLOCK_PAIRS ? paired - at : SQ_BLOCK_PAIRS;
        rc = put_chunk(e, m, items + at, ilens + at, m, ep + at, el + at, m, leaves + at, out);
    }
    for (size_t at = paired; rc == EX_OK && at < ni; at += chunk) {
        size_t m = ni - at < chunk ? ni - at : chunk;
        rc = put_chunk(e, m, items + at, ilens + at, 0, NULL, NULL, 0, NULL, out);
    }
    for (size_t at = paired; rc == EX_OK && at < nd; at += chunk) {
        size_t m = nd - at < chunk ? nd - at : chunk;
        rc = put_chunk(e, 0, NULL, NULL, m, decs + at, dlens + at, 0, leaves + at, out);
    }
    if (rc != EX_OK)
        out->len = start;
    return rc;
}

/* One block row and the decision_keys rows of its unpaired decisions. */
static int
put_row(ex_store *s, uint64_t item_first, size_t ni, uint64_t dec_first, size_t nd,
        const int64_t *dkeys, size_t paired, const void *block, size_t blen, const uint8_t *root)
{
    unsigned char *keys = malloc(8 * (nd - paired) + 1);
    if (!keys)
        return ex_fail(&s->err, EX_ENOMEM, "out of memory");
    for (size_t k = paired; k < nd; k++)
        for (int j = 0; j < 8; j++)
            keys[8 * (k - paired) + (size_t)j] = (unsigned char)((uint64_t)dkeys[k] >> (8 * j));
    sqlite3_stmt *q = bstmt(s, B_PUT);
    int rc;
    if (!q)
        rc = sq_dberr(s, "prepare");
    else {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)item_first);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)ni);
        sqlite3_bind_int64(q, 3, (sqlite3_int64)dec_first);
        sqlite3_bind_int64(q, 4, (sqlite3_int64)nd);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)paired);
        sqlite3_bind_blob(q, 6, keys, (int)(8 * (nd - paired)), SQLITE_STATIC);
        sqlite3_bind_blob(q, 7, block, (int)blen, SQLITE_STATIC);
        if (nd)
            sqlite3_bind_blob(q, 8, root, EX_HASH_BYTES, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 8);
        rc = sq_run(s, q, "store a block");
    }
    free(keys);
    for (size_t k = paired; rc == EX_OK && k < nd; k++) {
        if (!(q = bstmt(s, B_KEY_PUT)))
            return sq_dberr(s, "prepare");
        sqlite3_bind_int64(q, 1, dkeys[k]);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)(dec_first + k));
        rc = sq_run(s, q, "index a decision");
    }
    return rc;
}

int
sqb_batch_put(ex_store *s, uint64_t first_item, size_t ni, uint64_t first_dec, size_t nd,
              const int64_t *dkeys, size_t paired, const void *data, size_t len)
{
    if (paired > ni || paired > nd || ni + nd == 0)
        return ex_fail(&s->err, EX_EINVAL, "batch_put: %zu paired of %zu items, %zu decisions",
                       paired, ni, nd);
    for (size_t k = 0; k < paired; k++)
        if (dkeys[k] != (int64_t)(first_item + k))
            return ex_fail(&s->err, EX_EINVAL, "batch_put: decision %zu is not item %zu's", k, k);
    /* ids follow the ones stored: another writer that took them makes this batch fail */
    uint64_t mi, md;
    int rc = sqb_max(s, EX_TAB_ITEMS, &mi);
    if (rc == EX_OK)
        rc = sqb_max(s, EX_TAB_DECISIONS, &md);
    if (rc != EX_OK)
        return rc;
    if ((ni && first_item != mi + 1) || (nd && first_dec != md + 1))
        return ex_fail(&s->err, EX_EDB, "batch_put: ids taken (items from %llu, decisions from "
                                        "%llu are next)",
                       (unsigned long long)(mi + 1), (unsigned long long)(md + 1));
    /* the blocks encode_batch made, each with its share of the ids */
    const unsigned char *p = data, *end = p + len;
    uint64_t it = mi + 1, dc = md + 1;
    size_t di = 0, ii = 0, pp = 0;
    while (rc == EX_OK && p < end) {
        if ((size_t)(end - p) < CHUNK_HEAD)
            return ex_fail(&s->err, EX_EINVAL, "batch_put: not encode_batch's form");
        size_t cni = get32le(p), cnd = get32le(p + 4), cp = get32le(p + 8), blen = get32le(p + 12);
        p += CHUNK_HEAD;
        if (blen > (size_t)(end - p) || cni > ni - ii || cnd > nd - di || cp > cni || cp > cnd ||
            (cp && (ii != pp || di != pp)))
            return ex_fail(&s->err, EX_EINVAL, "batch_put: not encode_batch's form");
        rc = put_row(s, it, cni, dc, cnd, dkeys + di, cp, p, blen, p - EX_HASH_BYTES);
        p += blen;
        it += cni, dc += cnd, ii += cni, di += cnd, pp += cp;
    }
    if (rc == EX_OK && (ii != ni || di != nd || pp != paired))
        return ex_fail(&s->err, EX_EINVAL, "batch_put: its blocks hold %zu items, %zu decisions, "
                                           "not %zu and %zu",
                       ii, di, ni, nd);
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
    int src = blk_new(s, &b);
    if (src == EX_OK && (src = seek(s, EX_TAB_DECISIONS, from, b, &q)) == EX_OK)
        from = b->dec_first;
    if (q)
        sqlite3_reset(q);
    blk_free(b);
    if (src != EX_OK && src != EX_ENOTFOUND)
        return src;
    q = bstmt(s, B_ROOTS);
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
        rc = step_err(s, r, "read the blocks' roots");
    sqlite3_reset(q);
    return rc;
}

/* ---- checking the indexes against the rows ---- */

/* The blocks holding table's records, in id order through its index and through the table
 * itself: the same rows, their ranges following each other from 1. */
static int
check_order(ex_store *s, int items)
{
    sq_store *st = SQ(s);
    const char *f = items ? "item_first" : "dec_first", *n = items ? "item_n" : "dec_n";
    char a[200], b[200];
    snprintf(a, sizeof a, "SELECT id, %s, %s FROM blocks INDEXED BY %s WHERE %s > 0 ORDER BY %s",
             f, n, items ? "blocks_items" : "blocks_decisions", n, f);
    snprintf(b, sizeof b, "SELECT id, %s, %s FROM blocks NOT INDEXED WHERE %s > 0 ORDER BY id", f,
             n, n);
    sqlite3_stmt *qa = NULL, *qb = NULL;
    int rc = EX_OK, ra = SQLITE_ROW, rb = SQLITE_ROW;
    if (sqlite3_prepare_v2(st->db, a, -1, &qa, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, b, -1, &qb, NULL) != SQLITE_OK)
        rc = sq_dberr(s, "check the blocks' index");
    uint64_t next = 1;
    while (rc == EX_OK) {
        ra = sqlite3_step(qa), rb = sqlite3_step(qb);
        if (ra != rb || (ra != SQLITE_ROW && ra != SQLITE_DONE)) {
            rc = ra != SQLITE_ROW && ra != SQLITE_DONE
                     ? sq_dberr(s, "read the blocks' index")
                     : ex_fail(&s->err, EX_EVERIFY, "the index of the blocks by %s id has %s "
                                                     "rows than the blocks",
                               items ? "item" : "decision", ra == SQLITE_ROW ? "more" : "fewer");
            break;
        }
        if (ra == SQLITE_DONE)
            break;
        int64_t id = sqlite3_column_int64(qb, 0);
        uint64_t first = (uint64_t)sqlite3_column_int64(qb, 1);
        if (sqlite3_column_int64(qa, 0) != id || (uint64_t)sqlite3_column_int64(qa, 1) != first ||
            sqlite3_column_int64(qa, 2) != sqlite3_column_int64(qb, 2))
            rc = ex_fail(&s->err, EX_EVERIFY, "the index of the blocks by %s id differs from "
                                              "block %lld",
                         items ? "item" : "decision", (long long)id);
        else if (first != next)
            rc = ex_fail(&s->err, EX_EVERIFY, "block %lld: its %s start at %llu, not %llu",
                         (long long)id, items ? "items" : "decisions", (unsigned long long)first,
                         (unsigned long long)next);
        next = first + (uint64_t)sqlite3_column_int64(qb, 2);
    }
    sqlite3_finalize(qa);
    sqlite3_finalize(qb);
    return rc;
}

/* Both orders of the blocks agree, and decision_keys holds exactly the unpaired decisions
 * under the keys their blocks give. */
int
sqb_check(ex_store *s)
{
    if (s->schema < 8)
        return EX_OK;
    int rc = check_order(s, 1);
    if (rc == EX_OK)
        rc = check_order(s, 0);
    if (rc != EX_OK)
        return rc;
    sq_store *st = SQ(s);
    sqlite3_stmt *q = NULL;
    int64_t want = 0, rows = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT ifnull(sum(dec_n - paired), 0) FROM blocks", -1, &q,
                           NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return sq_dberr(s, "count the unpaired decisions");
    }
    want = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(st->db, "SELECT key, id FROM decision_keys", -1, &q, NULL) !=
        SQLITE_OK)
        return sq_dberr(s, "check decision_keys");
    sq_block *b = NULL;
    if ((rc = blk_new(s, &b)) != EX_OK) {
        sqlite3_finalize(q);
        return rc;
    }
    int r;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(q, 0);
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 1);
        sqlite3_stmt *qs;
        rows++;
        rc = seek(s, EX_TAB_DECISIONS, id, b, &qs);
        if (rc == EX_OK && (id - b->dec_first < b->paired || blk_dec_key(b, id - b->dec_first) != key))
            rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: decision %llu under item %lld, "
                                              "its block %lld says otherwise",
                         (unsigned long long)id, (long long)key, (long long)b->row);
        else if (rc == EX_ENOTFOUND)
            rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: no decision %llu",
                         (unsigned long long)id);
        if (qs)
            sqlite3_reset(qs);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "read decision_keys");
    if (rc == EX_OK && rows != want)
        rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: %lld rows for %lld decisions that are "
                                          "not their item's first",
                     (long long)rows, (long long)want);
    sqlite3_finalize(q);
    blk_free(b);
    return rc;
}

void
sqb_close(sq_store *st)
{
    for (int i = 0; i < B_COUNT; i++)
        sqlite3_finalize(st->b[i]);
    blk_free(st->blk);
    st->blk = NULL;
}

/* ---- migration from schema 7: the rows of items and decisions into blocks ---- */

/* The blocks a migration writes: cut where a batch would be (a decision of the next unpaired
 * item after unpaired decisions) and at MIG_RECORDS records. */
#define MIG_RECORDS 20000

typedef struct mig {
    ex_store *s;
    ex_store_enc *enc;
    ex_sha256 *h;
    ex_packer *pk;
    ex_buf arena, out;
    size_t *ioff, *ilen, *doff, *dlen;
    int64_t *dkeys;
    size_t ni, nd, paired, cap;
    uint64_t first_item, first_dec;
    int open; /* unpaired decisions are in the block: no more pairs */
} mig;

static int
mig_flush(mig *m)
{
    if (m->ni + m->nd == 0)
        return EX_OK;
    size_t n = m->ni > m->nd ? m->ni : m->nd;
    const void **ip = malloc((n + 1) * sizeof *ip), **dp = malloc((n + 1) * sizeof *dp);
    int rc = ip && dp ? EX_OK : ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < m->ni; i++)
        ip[i] = m->arena.data + m->ioff[i];
    for (size_t i = 0; rc == EX_OK && i < m->nd; i++)
        dp[i] = m->arena.data + m->doff[i];
    m->out.len = 0;
    uint8_t(*leaves)[EX_HASH_BYTES] = rc == EX_OK ? malloc((m->nd + 1) * EX_HASH_BYTES) : NULL;
    if (rc == EX_OK && !leaves)
        rc = ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < m->nd; i++)
        if (ex_merkle_leaf(m->h, dp[i], m->dlen[i], leaves[i]) != EX_OK)
            rc = ex_fail(&m->s->err, EX_ECRYPTO, "cannot hash a decision");
    if (rc == EX_OK && (rc = sqb_encode_batch(m->enc, m->ni, ip, m->ilen, m->nd, dp, m->dlen,
                                              m->paired, (const uint8_t(*)[EX_HASH_BYTES])leaves,
                                              &m->out)) != EX_OK)
        rc = ex_fail(&m->s->err, rc, "cannot make a block of items %llu.. and decisions %llu..",
                     (unsigned long long)m->first_item, (unsigned long long)m->first_dec);
    if (rc == EX_OK)
        rc = sqb_batch_put(m->s, m->first_item, m->ni, m->first_dec, m->nd, m->dkeys, m->paired,
                           m->out.data, m->out.len);
    free(ip);
    free(dp);
    free(leaves);
    m->first_item += m->ni;
    m->first_dec += m->nd;
    m->ni = m->nd = m->paired = 0;
    m->open = 0;
    m->arena.len = 0;
    return rc;
}

/* Room for one more item and decision; a stored record, unpacked, into the arena at *off. */
static int
mig_take(mig *m, int table, uint64_t id, const void *p, size_t n, size_t *off, size_t *len)
{
    if (m->ni == m->cap || m->nd == m->cap) {
        size_t c = m->cap ? 2 * m->cap : 1024;
        size_t *a = realloc(m->ioff, c * sizeof *a);
        if (a)
            m->ioff = a;
        size_t *b = realloc(m->ilen, c * sizeof *b);
        if (b)
            m->ilen = b;
        size_t *d = realloc(m->doff, c * sizeof *d);
        if (d)
            m->doff = d;
        size_t *e = realloc(m->dlen, c * sizeof *e);
        if (e)
            m->dlen = e;
        int64_t *k = realloc(m->dkeys, c * sizeof *k);
        if (k)
            m->dkeys = k;
        if (!a || !b || !d || !e || !k)
            return ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
        m->cap = c;
    }
    ex_err e = {0};
    if (ex_packed(p, n) && ex_unpack(m->pk, p, n, &p, &n, &e) != EX_OK)
        return ex_fail(&m->s->err, EX_EFORMAT, "%s record %llu: %s", sq_tables[table],
                       (unsigned long long)id, e.msg);
    *off = m->arena.len;
    *len = n;
    return ex_buf_put(&m->arena, p, n) == EX_OK
               ? EX_OK
               : ex_fail(&m->s->err, EX_ENOMEM, "out of memory");
}

/* Every item and decision row (schema 7's tables) into blocks, then the old tables dropped. */
int
sqb_migrate(ex_store *s)
{
    sq_store *st = SQ(s);
    mig m = {.s = s, .first_item = 1, .first_dec = 1};
    sqlite3_stmt *qi = NULL, *qd = NULL;
    int rc = EX_OK;
    if (sq_enc_new(s, &m.enc) != EX_OK || ex_packer_new(&m.pk) != EX_OK ||
        ex_sha256_new(&m.h) != EX_OK)
        rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK &&
        (sqlite3_prepare_v2(st->db, "SELECT id, record FROM items ORDER BY id", -1, &qi, NULL) !=
             SQLITE_OK ||
         sqlite3_prepare_v2(st->db, "SELECT id, key, record FROM decisions ORDER BY id", -1, &qd,
                            NULL) != SQLITE_OK))
        rc = sq_dberr(s, "migrate to blocks");
    /* the items in id order, one ahead: the next one a decision may pair with */
    int ri = rc == EX_OK ? sqlite3_step(qi) : SQLITE_DONE, rd = SQLITE_DONE;
    while (rc == EX_OK && (rd = sqlite3_step(qd)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(qd, 0);
        int64_t key = sqlite3_column_int64(qd, 1);
        if (id != m.first_dec + m.nd) {
            rc = ex_fail(&s->err, EX_EFORMAT, "decisions: %llu is missing",
                         (unsigned long long)(m.first_dec + m.nd));
            break;
        }
        uint64_t iid = ri == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(qi, 0) : 0;
        int pairs = ri == SQLITE_ROW && key == (int64_t)iid;
        if ((pairs && m.open) || m.ni + m.nd + 2 > MIG_RECORDS) {
            if ((rc = mig_flush(&m)) != EX_OK)
                break;
        }
        size_t n;
        const void *p;
        if (pairs) {
            if (iid != m.first_item + m.ni) {
                rc = ex_fail(&s->err, EX_EFORMAT, "items: %llu is missing",
                             (unsigned long long)(m.first_item + m.ni));
                break;
            }
            size_t off, len;
            p = sq_column(qi, 1, &n);
            if ((rc = mig_take(&m, EX_TAB_ITEMS, iid, p, n, &off, &len)) != EX_OK)
                break;
            m.ioff[m.ni] = off, m.ilen[m.ni] = len;
            m.ni++, m.paired++;
            ri = sqlite3_step(qi);
        } else {
            m.open = 1;
        }
        p = sq_column(qd, 2, &n);
        /* mig_take may grow the arrays: index them after it */
        size_t off, len;
        if ((rc = mig_take(&m, EX_TAB_DECISIONS, id, p, n, &off, &len)) != EX_OK)
            break;
        m.doff[m.nd] = off, m.dlen[m.nd] = len, m.dkeys[m.nd] = key;
        m.nd++;
    }
    if (rc == EX_OK && rd != SQLITE_DONE)
        rc = sq_dberr(s, "migrate to blocks");
    if (rc == EX_OK)
        rc = mig_flush(&m);
    /* items without a decision (a ledger never has them): blocks of items alone */
    while (rc == EX_OK && ri == SQLITE_ROW) {
        uint64_t iid = (uint64_t)sqlite3_column_int64(qi, 0);
        size_t n, off, len;
        const void *p = sq_column(qi, 1, &n);
        if (iid != m.first_item + m.ni)
            rc = ex_fail(&s->err, EX_EFORMAT, "items: %llu is missing",
                         (unsigned long long)(m.first_item + m.ni));
        else if ((rc = mig_take(&m, EX_TAB_ITEMS, iid, p, n, &off, &len)) == EX_OK) {
            m.ioff[m.ni] = off, m.ilen[m.ni] = len;
            if (++m.ni == MIG_RECORDS)
                rc = mig_flush(&m);
            ri = sqlite3_step(qi);
        }
    }
    if (rc == EX_OK && ri != SQLITE_DONE)
        rc = sq_dberr(s, "migrate to blocks");
    if (rc == EX_OK)
        rc = mig_flush(&m);
    sqlite3_finalize(qi);
    sqlite3_finalize(qd);
    if (rc == EX_OK)
        rc = sq_exec(s, "DROP TABLE items; DROP TABLE decisions");
    sq_enc_free(m.enc);
    ex_sha256_free(m.h);
    ex_packer_free(m.pk);
    ex_buf_free(&m.arena);
    ex_buf_free(&m.out);
    free(m.ioff);
    free(m.ilen);
    free(m.doff);
    free(m.dlen);
    free(m.dkeys);
    return rc;
}
