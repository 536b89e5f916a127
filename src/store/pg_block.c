/* pg_block.c - items and decisions as blocks in the PostgreSQL store: the rows and blocks of
 * the SQLite store (sqlite_block.c describes them; batch.h reads and writes them), read a page
 * of rows at a time and written by COPY. */
#include "store/pg_int.h"

#include <stdlib.h>
#include <string.h>

static int
is_items(int table)
{
    return table == EX_TAB_ITEMS;
}

/* Row i of res (the block columns) into b. */
static int
load(ex_store *s, const PGresult *res, int i, ex_blockrow *b)
{
    int64_t v[5];
    for (int k = 0; k < 5; k++)
        v[k] = pg_get_i64(res, i, 1 + k);
    size_t klen;
    const void *keys = pg_get_bytes(res, i, 6, &klen);
    return ex_blockrow_set(b, pg_get_i64(res, i, 0), v, keys, klen, &s->err);
}

static int
no_record(ex_store *s, int table, uint64_t id)
{
    return ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", sq_tables[table],
                   (unsigned long long)id);
}

/* The block holding record id of table, into b; EX_ENOTFOUND if none has it. */
static int
seek(ex_store *s, int table, uint64_t id, ex_blockrow *b)
{
    pg_args a = {0};
    pg_i64(&a, id > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)id);
    int rc;
    PGresult *r = pg_run(s, is_items(table) ? P_B_ITEM_AT : P_B_DEC_AT, &a, "read block", &rc);
    if (!r)
        return rc;
    rc = PQntuples(r) == 0 ? no_record(s, table, id) : load(s, r, 0, b);
    PQclear(r);
    if (rc != EX_OK)
        return rc;
    uint64_t first = is_items(table) ? b->item_first : b->dec_first;
    uint64_t n = is_items(table) ? b->item_n : b->dec_n;
    return id < first || id - first >= n ? no_record(s, table, id) : EX_OK;
}

/* b's block read and decompressed (ex_blockrow_visit's open) */
static int
open_block(void *ctx, ex_blockrow *b)
{
    ex_store *s = ctx;
    pg_args a = {0};
    pg_i64(&a, b->row);
    int rc;
    PGresult *r = pg_run(s, P_B_BLOCK, &a, "read a block", &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0) {
        rc = ex_blockrow_damaged(&s->err, b, "its row is gone");
        b->row = 0;
    } else {
        size_t n;
        const void *p = pg_get_bytes(r, 0, 0, &n);
        rc = ex_blockrow_open(b, p, n, &s->err);
    }
    PQclear(r);
    return rc;
}

/* Record id of table from b, its block read at first use. */
static int
record(ex_store *s, ex_blockrow *b, int table, uint64_t id, const void **rec, size_t *len)
{
    int rc = b->opened ? EX_OK : open_block(s, b);
    return rc == EX_OK ? ex_blockrow_record(b, is_items(table), id, rec, len, &s->err) : rc;
}

static int
new_row(ex_store *s, ex_blockrow **b)
{
    return ex_blockrow_new(b) == EX_OK ? EX_OK : ex_fail(&s->err, EX_ENOMEM, "out of memory");
}

int
pgb_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len)
{
    pg_store *st = PG(s);
    if (!st->blk && new_row(s, &st->blk) != EX_OK)
        return EX_ENOMEM;
    const void *p;
    size_t n;
    int rc = seek(s, table, id, st->blk);
    if (rc == EX_OK && (rc = record(s, st->blk, table, id, &p, &n)) == EX_OK) {
        if (key)
            *key = is_items(table) ? 0 : ex_blockrow_key(st->blk, id - st->blk->dec_first);
        rc = pg_copy_bytes(s, p, n, data, len);
    }
    return rc;
}

/* Visit the records from <= id < to of table, block by block in id order (desc: newest
 * first), a page of rows at a time. */
int
pgb_scan(ex_store *s, int table, uint64_t from, uint64_t to, int desc, ex_record_want want,
         ex_record_visit fn, void *ctx)
{
    if (desc && is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items are not scanned newest first");
    if (to > (uint64_t)INT64_MAX)
        to = (uint64_t)INT64_MAX;
    if (from >= to)
        return EX_OK;
    ex_blockrow *b = NULL;
    if (new_row(s, &b) != EX_OK)
        return EX_ENOMEM;
    /* from the block holding `from`, if any */
    int64_t lo = (int64_t)from, hi = (int64_t)to;
    int rc = seek(s, table, from, b);
    if (rc == EX_OK)
        lo = (int64_t)(is_items(table) ? b->item_first : b->dec_first);
    else if (rc == EX_ENOTFOUND)
        rc = EX_OK;
    b->row = 0;
    int q = is_items(table) ? P_B_ITEM_SCAN : desc ? P_B_DEC_DESC : P_B_DEC_SCAN;
    while (rc == EX_OK && lo < hi) {
        pg_args a = {0};
        pg_i64(&a, lo);
        pg_i64(&a, hi);
        pg_i64(&a, 64);
        PGresult *res = pg_run(s, q, &a, "scan blocks", &rc);
        if (!res)
            break;
        int rows = PQntuples(res);
        for (int i = 0; rc == EX_OK && i < rows; i++) {
            if ((rc = load(s, res, i, b)) != EX_OK)
                break;
            uint64_t first = is_items(table) ? b->item_first : b->dec_first;
            if (desc)
                hi = (int64_t)first;
            else
                lo = (int64_t)first + 1;
            rc = ex_blockrow_visit(b, is_items(table), from, to, desc, want, fn, ctx, open_block,
                                   s, &s->err);
        }
        PQclear(res);
        if (rows < 64)
            break;
    }
    ex_blockrow_free(b);
    return rc;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* An item's decisions: its paired one (in its block) and its indexed ones, in id order. */
int
pgb_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx)
{
    if (is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items have no key");
    ex_blockrow *b = NULL;
    if (new_row(s, &b) != EX_OK)
        return EX_ENOMEM;
    uint64_t *ids = NULL;
    size_t n = 0;
    int rc = EX_OK, paired = 0;
    uint64_t pid = 0;
    if (key > 0 && (rc = seek(s, EX_TAB_ITEMS, (uint64_t)key, b)) == EX_OK &&
        (uint64_t)key - b->item_first < b->paired)
        paired = 1, pid = b->dec_first + ((uint64_t)key - b->item_first);
    if (rc == EX_ENOTFOUND)
        rc = EX_OK;
    PGresult *r = NULL;
    if (rc == EX_OK) {
        pg_args a = {0};
        pg_i64(&a, key);
        r = pg_run(s, P_B_KEY_GET, &a, "read decision keys", &rc);
    }
    if (rc == EX_OK) {
        int rows = PQntuples(r);
        if (!(ids = malloc(((size_t)rows + 1) * sizeof *ids)))
            rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
        for (int i = 0; rc == EX_OK && i < rows; i++)
            ids[n++] = (uint64_t)pg_get_i64(r, i, 0);
        if (rc == EX_OK && paired)
            ids[n++] = pid;
    }
    PQclear(r);
    if (n > 1)
        qsort(ids, n, sizeof *ids, cmp_u64);
    b->row = 0;
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        const void *p = NULL;
        size_t len = 0;
        if ((rc = seek(s, table, ids[i], b)) == EX_OK &&
            (rc = record(s, b, table, ids[i], &p, &len)) == EX_OK &&
            ex_blockrow_key(b, ids[i] - b->dec_first) != key)
            rc = ex_blockrow_damaged(&s->err, b, "a decision indexed under another item");
        if (rc == EX_OK)
            rc = fn(ctx, ids[i], key, p, len);
    }
    free(ids);
    ex_blockrow_free(b);
    return rc;
}

int
pgb_max(ex_store *s, int table, uint64_t *id)
{
    int rc;
    PGresult *r = pg_run(s, is_items(table) ? P_B_ITEM_MAX : P_B_DEC_MAX, NULL, "read max id", &rc);
    if (!r)
        return rc;
    *id = PQntuples(r) ? (uint64_t)pg_get_i64(r, 0, 0) : 0;
    PQclear(r);
    return EX_OK;
}

/* Every block row with decisions, in id order, a page at a time: columns id, item_first,
 * dec_first, dec_n, paired, keys. */
static int
dec_rows(ex_store *s, int (*fn)(ex_store *s, const PGresult *r, int i, void *ctx), void *ctx)
{
    int64_t after = 0;
    int rc = EX_OK;
    while (rc == EX_OK) {
        pg_args a = {0};
        pg_i64(&a, after);
        pg_i64(&a, PG_PAGE);
        PGresult *r = pg_run(s, P_B_DEC_KEYS, &a, "scan keys", &rc);
        if (!r)
            return rc;
        int rows = PQntuples(r);
        for (int i = 0; rc == EX_OK && i < rows; i++) {
            after = pg_get_i64(r, i, 0);
            uint64_t dec_first = (uint64_t)pg_get_i64(r, i, 2), n = (uint64_t)pg_get_i64(r, i, 3);
            uint64_t paired = (uint64_t)pg_get_i64(r, i, 4);
            size_t klen;
            pg_get_bytes(r, i, 5, &klen);
            if (paired > n || klen != 8 * (n - paired))
                rc = ex_fail(&s->err, EX_EFORMAT, "the block of decisions %llu-%llu: its counts "
                                                  "do not fit its keys",
                             (unsigned long long)dec_first,
                             (unsigned long long)(dec_first + n - 1));
            else
                rc = fn(s, r, i, ctx);
        }
        PQclear(r);
        if (rows < PG_PAGE)
            break;
    }
    return rc;
}

typedef struct keys_ctx {
    ex_record_visit fn;
    void *ctx;
} keys_ctx;

static int
keys_row(ex_store *s, const PGresult *r, int i, void *ctx)
{
    (void)s;
    keys_ctx *kc = ctx;
    uint64_t item_first = (uint64_t)pg_get_i64(r, i, 1), dec_first = (uint64_t)pg_get_i64(r, i, 2);
    uint64_t n = (uint64_t)pg_get_i64(r, i, 3), paired = (uint64_t)pg_get_i64(r, i, 4);
    size_t klen;
    const unsigned char *k = pg_get_bytes(r, i, 5, &klen);
    int rc = EX_OK;
    for (uint64_t j = 0; rc == EX_OK && j < n; j++) {
        int64_t key = j < paired ? (int64_t)(item_first + j)
                                 : (int64_t)ex_get_le(k + 8 * (j - paired), 8);
        rc = kc->fn(kc->ctx, dec_first + j, key, NULL, 0);
    }
    return rc;
}

int
pgb_keys(ex_store *s, int table, ex_record_visit fn, void *ctx)
{
    if (is_items(table))
        return ex_fail(&s->err, EX_EINVAL, "items have no key");
    keys_ctx kc = {fn, ctx};
    return dec_rows(s, keys_row, &kc);
}

int
pgb_dec_roots(ex_store *s, uint64_t from, uint64_t to, ex_root_visit fn, void *ctx)
{
    ex_blockrow *b = NULL;
    int rc = new_row(s, &b);
    if (rc == EX_OK && (rc = seek(s, EX_TAB_DECISIONS, from, b)) == EX_OK)
        from = b->dec_first;
    ex_blockrow_free(b);
    if (rc != EX_OK && rc != EX_ENOTFOUND)
        return rc;
    rc = EX_OK;
    int64_t lo = (int64_t)from, hi = to > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)to;
    while (rc == EX_OK && lo < hi) {
        pg_args a = {0};
        pg_i64(&a, lo);
        pg_i64(&a, hi);
        pg_i64(&a, PG_PAGE);
        PGresult *r = pg_run(s, P_B_ROOTS, &a, "read the blocks' roots", &rc);
        if (!r)
            return rc;
        int rows = PQntuples(r);
        for (int i = 0; rc == EX_OK && i < rows; i++) {
            size_t n;
            const void *root = pg_get_bytes(r, i, 2, &n);
            uint64_t first = (uint64_t)pg_get_i64(r, i, 0), cnt = (uint64_t)pg_get_i64(r, i, 1);
            lo = (int64_t)first + 1;
            if (n != EX_HASH_BYTES || PQgetisnull(r, i, 2))
                rc = ex_fail(&s->err, EX_EFORMAT, "the block of decisions %llu-%llu has no root",
                             (unsigned long long)first, (unsigned long long)(first + cnt - 1));
            else
                rc = fn(ctx, first, cnt, root);
        }
        PQclear(r);
        if (rows < PG_PAGE)
            break;
    }
    return rc;
}

/* ---- writing ---- */

typedef struct put_ctx {
    pg_copy cp;
    int64_t row;
    uint64_t item_first, dec_first;
    const int64_t *dkeys;
    unsigned char *keys;
} put_ctx;

static int
put_one(void *ctx, const ex_batch_chunk *c)
{
    put_ctx *pc = ctx;
    size_t nk = c->nd - c->paired;
    for (size_t k = 0; k < nk; k++)
        ex_put_le(pc->keys + 8 * k, (uint64_t)pc->dkeys[c->dec_at + c->paired + k], 8);
    pg_copy_row(&pc->cp, 9);
    pg_copy_i64(&pc->cp, ++pc->row);
    pg_copy_i64(&pc->cp, (int64_t)(pc->item_first + c->item_at));
    pg_copy_i64(&pc->cp, (int64_t)c->ni);
    pg_copy_i64(&pc->cp, (int64_t)(pc->dec_first + c->dec_at));
    pg_copy_i64(&pc->cp, (int64_t)c->nd);
    pg_copy_i64(&pc->cp, (int64_t)c->paired);
    pg_copy_bytes_field(&pc->cp, pc->keys, 8 * nk);
    pg_copy_bytes_field(&pc->cp, c->block, c->blen);
    if (c->nd)
        pg_copy_bytes_field(&pc->cp, c->root, EX_HASH_BYTES);
    else
        pg_copy_bytes_field(&pc->cp, NULL, 0);
    return pc->cp.rc;
}

int
pgb_batch_put(ex_store *s, uint64_t first_item, size_t ni, uint64_t first_dec, size_t nd,
              const int64_t *dkeys, size_t paired, const void *data, size_t len)
{
    if (ex_batch_check(first_item, ni, nd, dkeys, paired, &s->err) != EX_OK)
        return EX_EINVAL;
    uint64_t mi = 0, md = 0;
    int rc = pgb_max(s, EX_TAB_ITEMS, &mi);
    if (rc == EX_OK)
        rc = pgb_max(s, EX_TAB_DECISIONS, &md);
    if (rc != EX_OK)
        return rc;
    if ((ni && first_item != mi + 1) || (nd && first_dec != md + 1))
        return ex_fail(&s->err, EX_EDB, "batch_put: ids taken (items from %llu, decisions from "
                                        "%llu are next)",
                       (unsigned long long)(mi + 1), (unsigned long long)(md + 1));
    put_ctx pc = {.item_first = mi + 1, .dec_first = md + 1, .dkeys = dkeys};
    PGresult *r = pg_run(s, P_B_ROW_MAX, NULL, "read the blocks", &rc);
    if (!r)
        return rc;
    pc.row = pg_get_i64(r, 0, 0);
    PQclear(r);
    if (!(pc.keys = malloc(8 * nd + 1)))
        return ex_fail(&s->err, EX_ENOMEM, "out of memory");
    rc = pg_copy_begin(&pc.cp, s, "blocks",
                       "id, item_first, item_n, dec_first, dec_n, paired, keys, block, root");
    if (rc == EX_OK)
        rc = ex_batch_walk(data, len, ni, nd, paired, put_one, &pc, &s->err);
    if (rc != EX_OK)
        pc.cp.rc = pc.cp.rc == EX_OK ? rc : pc.cp.rc; /* abandons the COPY */
    int end = pg_copy_end(&pc.cp);
    free(pc.keys);
    if (rc != EX_OK || end != EX_OK)
        return rc != EX_OK ? rc : end;
    if (nd == paired)
        return EX_OK;
    /* the decisions that are not their item's first, by item */
    pg_copy cp;
    if ((rc = pg_copy_begin(&cp, s, "decision_keys", "key, id")) == EX_OK)
        for (size_t k = paired; k < nd; k++) {
            pg_copy_row(&cp, 2);
            pg_copy_i64(&cp, dkeys[k]);
            pg_copy_i64(&cp, (int64_t)(first_dec + k));
        }
    end = pg_copy_end(&cp);
    return rc != EX_OK ? rc : end;
}

/* ---- checking ---- */

/* The blocks of items, then of decisions, in id order: their ranges follow each other from 1;
 * decision_keys holds exactly the unpaired decisions under the keys their blocks give. */
static int
check_order(ex_store *s, int items)
{
    const char *sql = items ? "SELECT id, item_first, item_n FROM blocks WHERE item_n > 0 "
                              "ORDER BY id"
                            : "SELECT id, dec_first, dec_n FROM blocks WHERE dec_n > 0 ORDER BY id";
    /* a cursor: a ledger's blocks do not all fit in memory */
    int rc = pg_begin(s);
    char decl[160];
    snprintf(decl, sizeof decl, "DECLARE ck NO SCROLL CURSOR FOR %s", sql);
    if (rc == EX_OK)
        rc = pg_exec(s, decl);
    uint64_t next = 1;
    while (rc == EX_OK) {
        PGresult *r = PQexecParams(PG(s)->c, "FETCH 4096 FROM ck", 0, NULL, NULL, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = pg_dberr(s, r, "check the blocks' order");
            PQclear(r);
            break;
        }
        int rows = PQntuples(r);
        for (int i = 0; rc == EX_OK && i < rows; i++) {
            int64_t id = pg_get_i64(r, i, 0);
            uint64_t first = (uint64_t)pg_get_i64(r, i, 1);
            if (first != next)
                rc = ex_fail(&s->err, EX_EVERIFY, "block %lld: its %s start at %llu, not %llu",
                             (long long)id, items ? "items" : "decisions",
                             (unsigned long long)first, (unsigned long long)next);
            next = first + (uint64_t)pg_get_i64(r, i, 2);
        }
        PQclear(r);
        if (rows == 0)
            break;
    }
    pg_rollback(s);
    return rc;
}

int
pgb_check(ex_store *s)
{
    int rc = check_order(s, 1);
    if (rc == EX_OK)
        rc = check_order(s, 0);
    if (rc != EX_OK)
        return rc;
    /* every row under the key its block gives, then as many rows as unpaired decisions */
    ex_blockrow *b = NULL;
    PGresult *r;
    if ((rc = new_row(s, &b)) != EX_OK)
        return rc;
    rc = pg_begin(s);
    if (rc == EX_OK)
        rc = pg_exec(s, "DECLARE dk NO SCROLL CURSOR FOR SELECT key, id FROM decision_keys ORDER BY id");
    while (rc == EX_OK) {
        r = PQexecParams(PG(s)->c, "FETCH 4096 FROM dk", 0, NULL, NULL, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = pg_dberr(s, r, "read decision_keys");
            PQclear(r);
            break;
        }
        int n = PQntuples(r);
        for (int i = 0; rc == EX_OK && i < n; i++) {
            int64_t key = pg_get_i64(r, i, 0);
            uint64_t id = (uint64_t)pg_get_i64(r, i, 1);
            rc = seek(s, EX_TAB_DECISIONS, id, b);
            if (rc == EX_OK && (id - b->dec_first < b->paired ||
                                ex_blockrow_key(b, id - b->dec_first) != key))
                rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: decision %llu under item %lld, "
                                                  "its block %lld says otherwise",
                             (unsigned long long)id, (long long)key, (long long)b->row);
            else if (rc == EX_ENOTFOUND)
                rc = ex_fail(&s->err, EX_EVERIFY, "decision_keys: no decision %llu",
                             (unsigned long long)id);
        }
        PQclear(r);
        if (n == 0)
            break;
    }
    pg_rollback(s);
    ex_blockrow_free(b);
    if (rc != EX_OK)
        return rc;
    r = PQexecParams(PG(s)->c,
                     "SELECT (SELECT coalesce(sum(dec_n - paired), 0) FROM blocks)::int8,"
                     " (SELECT count(*) FROM decision_keys)::int8",
                     0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = pg_dberr(s, r, "count the unpaired decisions");
        PQclear(r);
        return rc;
    }
    int64_t want = pg_get_i64(r, 0, 0), rows = pg_get_i64(r, 0, 1);
    PQclear(r);
    if (rows != want)
        return ex_fail(&s->err, EX_EVERIFY, "decision_keys: %lld rows for %lld decisions that "
                                            "are not their item's first",
                       (long long)rows, (long long)want);
    return EX_OK;
}
