/* sqlite_blocks.c - the exante_items and exante_decisions tables of exante_sqlite: a ledger's
 * item and decision records (schema 8: in blocks, docs/FORMATS.md "Blocks") as rows
 * (id, key, record), each block decompressed once as the scan reaches it.
 *
 *   SELECT json_extract(record, '$.url') FROM exante_items WHERE id = 42
 *
 * A condition `id = N` goes straight to the block that holds N; anything else scans in id
 * order; a paired decision comes with its provenance put back (elide.h), as exante reads it.
 * Loaded into a ledger of schema 8, the module also makes the temporary views items and
 * decisions over them, so that queries written for the tables of older ledgers still run; an
 * UPDATE of a view's record rewrites the block that holds it (block_replace(BLOCK, I, RECORD):
 * the block with its record I replaced). */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/block.h"
#include "store/elide.h"

typedef struct btab {
    sqlite3_vtab base;
    sqlite3 *db;
    int items; /* exante_items, else exante_decisions */
} btab;

typedef struct bcur {
    sqlite3_vtab_cursor base;
    sqlite3_stmt *q; /* the blocks, in id order */
    ex_block_dec *dec;
    int eof;
    sqlite3_int64 first, n, paired, item_first, item_n, k;
    unsigned char *keys; /* the row's keys (unpaired decisions'), copied */
    size_t klen;
    sqlite3_int64 only; /* id = only (0: every row) */
    ex_buf scratch;     /* a paired decision put back together (elide.h) */
    ex_sha256 *h;       /* for that */
} bcur;

static int
b_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
          char **err)
{
    (void)argc, (void)argv, (void)err;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(id INTEGER, key INTEGER, record TEXT)");
    if (rc != SQLITE_OK)
        return rc;
    btab *t = sqlite3_malloc(sizeof *t);
    if (!t)
        return SQLITE_NOMEM;
    memset(t, 0, sizeof *t);
    t->db = db;
    t->items = aux != NULL;
    *out = &t->base;
    return SQLITE_OK;
}

static int
b_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

/* `id = N` is used (argv[0] of filter, idxNum 1); rows come in id order */
static int
b_best(sqlite3_vtab *v, sqlite3_index_info *info)
{
    (void)v;
    info->idxNum = 0;
    info->estimatedCost = 1e9;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->usable && c->iColumn == 0 && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
            info->idxNum = 1;
            info->aConstraintUsage[i].argvIndex = 1;
            info->aConstraintUsage[i].omit = 1;
            info->estimatedCost = 10;
            info->estimatedRows = 1;
            break;
        }
    }
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == 0 && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    return SQLITE_OK;
}

static int
b_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    (void)v;
    bcur *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    if (ex_block_dec_new(&c->dec) != EX_OK || ex_sha256_new(&c->h) != EX_OK) {
        ex_block_dec_free(c->dec);
        sqlite3_free(c);
        return SQLITE_NOMEM;
    }
    *out = &c->base;
    return SQLITE_OK;
}

static int
b_close(sqlite3_vtab_cursor *cur)
{
    bcur *c = (bcur *)cur;
    sqlite3_finalize(c->q);
    ex_block_dec_free(c->dec);
    ex_buf_free(&c->scratch);
    ex_sha256_free(c->h);
    free(c->keys);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int
fail(bcur *c, const char *msg)
{
    sqlite3_free(c->base.pVtab->zErrMsg);
    c->base.pVtab->zErrMsg = sqlite3_mprintf("%s", msg);
    return SQLITE_ERROR;
}

/* the block the statement is on, opened; or eof */
static int
load(bcur *c)
{
    int r = sqlite3_step(c->q);
    if (r == SQLITE_DONE) {
        c->eof = 1;
        return SQLITE_OK;
    }
    if (r != SQLITE_ROW)
        return fail(c, sqlite3_errmsg(((btab *)c->base.pVtab)->db));
    btab *t = (btab *)c->base.pVtab;
    sqlite3_int64 row = sqlite3_column_int64(c->q, 0);
    c->item_first = sqlite3_column_int64(c->q, 1);
    c->item_n = sqlite3_column_int64(c->q, 2);
    c->first = t->items ? c->item_first : sqlite3_column_int64(c->q, 3);
    c->n = t->items ? c->item_n : sqlite3_column_int64(c->q, 4);
    c->paired = sqlite3_column_int64(c->q, 5);
    const void *k = sqlite3_column_blob(c->q, 6);
    size_t klen = (size_t)sqlite3_column_bytes(c->q, 6);
    const void *b = sqlite3_column_blob(c->q, 7);
    size_t blen = (size_t)sqlite3_column_bytes(c->q, 7);
    free(c->keys);
    c->keys = NULL;
    c->klen = klen;
    if (klen && !(c->keys = malloc(klen)))
        return SQLITE_NOMEM;
    if (klen)
        memcpy(c->keys, k, klen);
    ex_err e = {0};
    char msg[400];
    if (ex_block_open(c->dec, b ? b : "", blen, &e) != EX_OK) {
        snprintf(msg, sizeof msg, "block %lld: %s", (long long)row, e.msg);
        return fail(c, msg);
    }
    sqlite3_int64 ndec = sqlite3_column_int64(c->q, 4);
    if (c->paired < 0 || c->paired > c->item_n || c->paired > ndec ||
        (sqlite3_int64)ex_block_count(c->dec) != c->item_n + ndec ||
        klen != 8 * (size_t)(ndec - c->paired)) {
        snprintf(msg, sizeof msg, "block %lld: its counts do not fit its records or keys",
                 (long long)row);
        return fail(c, msg);
    }
    c->k = 0;
    return SQLITE_OK;
}

/* on to the next wanted record */
static int
settle(bcur *c)
{
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && !c->eof) {
        if (c->k >= c->n) {
            rc = load(c);
            continue;
        }
        if (c->only && c->first + c->k != c->only) {
            if (c->only < c->first + c->k || c->only >= c->first + c->n)
                c->eof = 1;
            else
                c->k = c->only - c->first;
            continue;
        }
        break;
    }
    return rc;
}

static int
b_filter(sqlite3_vtab_cursor *cur, int idx, const char *s, int argc, sqlite3_value **argv)
{
    (void)s, (void)argc;
    bcur *c = (bcur *)cur;
    btab *t = (btab *)cur->pVtab;
    sqlite3_finalize(c->q);
    c->q = NULL;
    c->eof = 0;
    c->n = c->k = 0;
    c->only = idx == 1 ? sqlite3_value_int64(argv[0]) : 0;
    if (idx == 1 && c->only < 1) {
        c->eof = 1;
        return SQLITE_OK;
    }
    const char *f = t->items ? "item_first" : "dec_first", *n = t->items ? "item_n" : "dec_n";
    char *text = sqlite3_mprintf(
        "SELECT id, item_first, item_n, dec_first, dec_n, paired, keys, block FROM main.blocks "
        "WHERE %s > 0 AND %s <= ?1 ORDER BY %s %s",
        n, f, f, idx == 1 ? "DESC LIMIT 1" : "");
    if (!text)
        return SQLITE_NOMEM;
    int rc = sqlite3_prepare_v2(t->db, text, -1, &c->q, NULL);
    sqlite3_free(text);
    if (rc != SQLITE_OK)
        return fail(c, sqlite3_errmsg(t->db));
    sqlite3_bind_int64(c->q, 1, idx == 1 ? c->only : INT64_MAX);
    return settle(c);
}

static int
b_next(sqlite3_vtab_cursor *cur)
{
    bcur *c = (bcur *)cur;
    c->k++;
    if (c->only)
        c->eof = 1;
    return settle(c);
}

static int
b_eof(sqlite3_vtab_cursor *cur)
{
    return ((bcur *)cur)->eof;
}

static int
b_column(sqlite3_vtab_cursor *cur, sqlite3_context *cx, int col)
{
    bcur *c = (bcur *)cur;
    int items = ((btab *)cur->pVtab)->items;
    sqlite3_int64 k = c->k;
    if (col == 0) {
        sqlite3_result_int64(cx, c->first + k);
    } else if (col == 1) {
        sqlite3_int64 key = 0;
        if (!items && k < c->paired) {
            key = c->item_first + k;
        } else if (!items) {
            key = (sqlite3_int64)ex_get_le(c->keys + 8 * (k - c->paired), 8);
        }
        sqlite3_result_int64(cx, key);
    } else {
        sqlite3_int64 pos = items ? (k < c->paired ? 2 * k : c->paired + k)
                                  : (k < c->paired ? 2 * k + 1 : c->item_n + k);
        const void *rec;
        size_t n;
        const void *item;
        size_t ilen;
        if (ex_block_get(c->dec, (size_t)pos, &rec, &n) != EX_OK ||
            (!items && k < c->paired &&
             ex_block_get(c->dec, (size_t)(2 * k), &item, &ilen) != EX_OK)) {
            sqlite3_result_error(cx, "no such record in the block", -1);
            return SQLITE_ERROR;
        }
        /* a paired decision's provenance, left out of the block, from its item */
        if (!items && k < c->paired &&
            ex_elide_get(c->h, item, ilen, rec, n, &c->scratch, &rec, &n) != EX_OK) {
            sqlite3_result_error_nomem(cx);
            return SQLITE_ERROR;
        }
        sqlite3_result_text(cx, n ? rec : "", (int)n, SQLITE_TRANSIENT);
    }
    return SQLITE_OK;
}

static int
b_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
    bcur *c = (bcur *)cur;
    *out = c->first + c->k;
    return SQLITE_OK;
}

static sqlite3_module blocks_module = {
    .iVersion = 0,
    .xConnect = b_connect,
    .xBestIndex = b_best,
    .xDisconnect = b_disconnect,
    .xOpen = b_open,
    .xClose = b_close,
    .xFilter = b_filter,
    .xNext = b_next,
    .xEof = b_eof,
    .xColumn = b_column,
    .xRowid = b_rowid,
};

/* block_replace(BLOCK, I, RECORD): the block with its record I replaced (level 1, like the
 * store's), for making altered ledgers in tests and by hand */
static void
replace_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ex_block_dec *d = NULL;
    const void *b = sqlite3_value_blob(argv[0]);
    size_t blen = (size_t)sqlite3_value_bytes(argv[0]);
    sqlite3_int64 i = sqlite3_value_int64(argv[1]);
    const void *r = sqlite3_value_blob(argv[2]);
    size_t rlen = (size_t)sqlite3_value_bytes(argv[2]);
    ex_err e = {0};
    ex_buf out = {0};
    const void **recs = NULL;
    size_t *lens = NULL, n = 0;
    if (ex_block_dec_new(&d) != EX_OK) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    if (ex_block_open(d, b ? b : "", blen, &e) != EX_OK) {
        sqlite3_result_error(cx, e.msg, -1);
    } else if (i < 0 || (size_t)i >= (n = ex_block_count(d))) {
        sqlite3_result_error(cx, "block_replace: no such record in the block", -1);
    } else if (!(recs = malloc(n * sizeof *recs)) || !(lens = malloc(n * sizeof *lens))) {
        sqlite3_result_error_nomem(cx);
    } else {
        for (size_t k = 0; k < n; k++)
            ex_block_get(d, k, &recs[k], &lens[k]);
        recs[i] = r ? r : "", lens[i] = rlen;
        if (ex_block_build(recs, lens, n, 1, &out) != EX_OK)
            sqlite3_result_error(cx, "block_replace: cannot build the block", -1);
        else
            sqlite3_result_blob(cx, out.data, (int)out.len, SQLITE_TRANSIENT);
    }
    free(recs);
    free(lens);
    ex_buf_free(&out);
    ex_block_dec_free(d);
}

/* the position of record NEW.id of a view in its block (sqlite_block.c's layout), as SQL */
#define POS_ITEM                                                                              \
    "CASE WHEN NEW.id - item_first < paired THEN 2 * (NEW.id - item_first)"                   \
    " ELSE paired + NEW.id - item_first END"
#define POS_DEC                                                                               \
    "CASE WHEN NEW.id - dec_first < paired THEN 2 * (NEW.id - dec_first) + 1"                 \
    " ELSE item_n + NEW.id - dec_first END"

/* sqlite_record.c's init calls this: the two tables, and the views on a schema 8 ledger */
int
exante_blocks_init(sqlite3 *db)
{
    static int items_tag;
    int rc = sqlite3_create_module(db, "exante_items", &blocks_module, &items_tag);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_module(db, "exante_decisions", &blocks_module, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "block_replace", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                        NULL, replace_fn, NULL, NULL, NULL);
    sqlite3_stmt *q = NULL;
    int has = 0;
    if (rc == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND "
                               "name = 'blocks'",
                           -1, &q, NULL) == SQLITE_OK)
        has = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    if (rc == SQLITE_OK && has)
        rc = sqlite3_exec(db,
                          "CREATE TEMP VIEW IF NOT EXISTS items(id, key, record) AS "
                          "SELECT id, key, record FROM exante_items;"
                          "CREATE TEMP VIEW IF NOT EXISTS decisions(id, key, record) AS "
                          "SELECT id, key, record FROM exante_decisions;"
                          /* an update of a record rewrites its block */
                          "CREATE TEMP TRIGGER IF NOT EXISTS items_record INSTEAD OF UPDATE OF "
                          "record ON items BEGIN UPDATE blocks SET block = "
                          "block_replace(block, " POS_ITEM ", NEW.record) WHERE id = (SELECT id "
                          "FROM blocks WHERE item_n > 0 AND item_first <= NEW.id ORDER BY "
                          "item_first DESC LIMIT 1); END;"
                          "CREATE TEMP TRIGGER IF NOT EXISTS decisions_record INSTEAD OF UPDATE "
                          "OF record ON decisions BEGIN UPDATE blocks SET block = "
                          "block_replace(block, " POS_DEC ", NEW.record) WHERE id = (SELECT id "
                          "FROM blocks WHERE dec_n > 0 AND dec_first <= NEW.id ORDER BY "
                          "dec_first DESC LIMIT 1); END;",
                          NULL, NULL, NULL);
    return rc;
}
