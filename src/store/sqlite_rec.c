/* sqlite_rec.c - the record tables in the SQLite store: rows (id, key, record) appended in id
 * order. Item and decision records are stored packed (pack.h) and unpacked on every read, or
 * by a decoder for rec_scan_stored's rows. */
#include "store/batch.h"
#include "store/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rows per multi-row insert (3 parameters each, well under SQLite's 32766) */
#define INSERT_ROWS 256
static const char *const rsql[R_COUNT] = {
    [R_APPEND] = "INSERT INTO %s(key, record) VALUES(?1, ?2)",
    [R_GET] = "SELECT key, record FROM %s WHERE id = ?1",
    [R_SCAN] = "SELECT id, key, record FROM %s WHERE id >= ?1 AND id < ?2 ORDER BY id",
    [R_SCAN_KEY] = "SELECT id, key, record FROM %s WHERE key = ?1 ORDER BY id",
    [R_MAX] = "SELECT max(id) FROM %s",
    [R_PUT] = "INSERT OR REPLACE INTO %s(id, key, record) VALUES(?1, ?2, ?3)",
    [R_INSERT1] = "INSERT OR FAIL INTO %s(id, key, record) VALUES(?, ?, ?)",
    [R_INSERTN] = NULL, /* built in rstmt: INSERT_ROWS rows per statement */
    [R_KEYS] = "SELECT id, key FROM %s",
    [R_SCAN_DESC] = "SELECT id, key, record FROM %s WHERE id >= ?1 AND id < ?2 ORDER BY id DESC",
};

/* Record `id` of table as stored (data, n): its canonical bytes, unpacked if packed, into
 * *pk's buffer (made here at the first packed record); a failure's message, naming the row,
 * into err. */
static int
unpack_row(ex_packer **pk, int table, uint64_t id, const void **data, size_t *n, ex_err *err)
{
    if (!ex_packed(*data, *n))
        return EX_OK;
    if (!*pk && ex_packer_new(pk) != EX_OK)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    ex_err e = {0};
    int rc = ex_unpack(*pk, *data, *n, data, n, &e);
    if (rc != EX_OK)
        return ex_fail(err, rc, "%s record %llu: %s", sq_tables[table], (unsigned long long)id,
                       e.msg);
    return EX_OK;
}

static int
unpack(ex_store *s, ex_packer **pk, int table, uint64_t id, const void **data, size_t *n)
{
    return unpack_row(pk, table, id, data, n, &s->err);
}

static sqlite3_stmt *
rstmt(ex_store *s, int table, int q)
{
    sq_store *st = SQ(s);
    if (table < 0 || table >= EX_TAB_COUNT)
        return NULL;
    if (!st->r[table][q] && q == R_INSERTN) {
        /* one statement for many rows: SQLite's per-statement cost dominates small rows */
        char text[64 + 8 * INSERT_ROWS];
        int n = snprintf(text, sizeof text, "INSERT OR FAIL INTO %s(id, key, record) VALUES",
                         sq_tables[table]);
        for (int i = 0; i < INSERT_ROWS; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s(?,?,?)", i ? "," : "");
        if (sqlite3_prepare_v3(st->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st->r[table][q],
                               NULL) != SQLITE_OK)
            return NULL;
    }
    if (!st->r[table][q]) {
        char text[256];
        snprintf(text, sizeof text, rsql[q], sq_tables[table]);
        if (sqlite3_prepare_v3(st->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st->r[table][q],
                               NULL) != SQLITE_OK)
            return NULL;
    }
    return st->r[table][q];
}

int
sq_rec_append(ex_store *s, int table, int64_t key, const void *data, size_t len, uint64_t *id)
{
    if (SQ_BLOCKED(s, table))
        return ex_fail(&s->err, EX_EINVAL, "%s records are written in blocks", sq_tables[table]);
    sqlite3_stmt *q = rstmt(s, table, R_APPEND);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, key);
    sqlite3_bind_blob(q, 2, data, (int)len, SQLITE_STATIC);
    int rc = sq_run(s, q, "append record");
    if (rc == EX_OK && id)
        *id = (uint64_t)sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

int
sq_rec_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len)
{
    if (SQ_BLOCKED(s, table))
        return sqb_get_dup(s, table, id, key, data, len);
    sqlite3_stmt *q = rstmt(s, table, R_GET);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    int r = sqlite3_step(q), rc;
    if (r == SQLITE_ROW) {
        if (key)
            *key = sqlite3_column_int64(q, 0);
        size_t n;
        const void *p = sq_column(q, 1, &n);
        if ((rc = unpack(s, &SQ(s)->pk, table, id, &p, &n)) == EX_OK)
            rc = sq_copy_bytes(s, p, n, data, len);
    } else if (r == SQLITE_DONE) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", sq_tables[table],
                     (unsigned long long)id);
    } else {
        rc = sq_dberr(s, "read record");
    }
    sqlite3_reset(q);
    return rc;
}

static int
visit_rows(ex_store *s, int table, sqlite3_stmt *q, ex_record_visit fn, void *ctx)
{
    /* a packer of its own: a visitor may read or scan the store again while its record is in
     * use */
    ex_packer *pk = NULL;
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        size_t n;
        const void *p = sq_column(q, 2, &n);
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
        if ((rc = unpack(s, &pk, table, id, &p, &n)) == EX_OK)
            rc = fn(ctx, id, sqlite3_column_int64(q, 1), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "scan records");
    sqlite3_reset(q);
    ex_packer_free(pk);
    return rc;
}

int
sq_rec_scan(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn, void *ctx)
{
    if (SQ_BLOCKED(s, table))
        return sqb_scan(s, table, from, to, fn, ctx);
    sqlite3_stmt *q = rstmt(s, table, R_SCAN);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(q, 2, to > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
    return visit_rows(s, table, q, fn, ctx);
}

int
sq_rec_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx)
{
    if (SQ_BLOCKED(s, table))
        return sqb_scan_key(s, table, key, fn, ctx);
    sqlite3_stmt *q = rstmt(s, table, R_SCAN_KEY);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, key);
    return visit_rows(s, table, q, fn, ctx);
}

int
sq_rec_keys(ex_store *s, int table, ex_record_visit fn, void *ctx)
{
    if (SQ_BLOCKED(s, table))
        return sqb_keys(s, table, fn, ctx);
    sqlite3_stmt *q = rstmt(s, table, R_KEYS);
    if (!q)
        return sq_dberr(s, "prepare");
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW)
        rc = fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), NULL, 0);
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "scan keys");
    sqlite3_reset(q);
    return rc;
}

void
sq_blob_close(sq_store *st)
{
    for (size_t i = 0; st->blobs && i < SQ_BLOBS; i++)
        if (st->blobs[i].h)
            sqlite3_blob_close(st->blobs[i].h);
    free(st->blobs);
    st->blobs = NULL;
}

int
sq_rec_read_at(ex_store *s, int table, uint64_t id, uint64_t off, void *buf, size_t len)
{
    sq_store *st = SQ(s);
    if (table != EX_TAB_SNAPLEAVES)
        return ex_fail(&s->err, EX_EINVAL, "rec_read_at: %s records are not stored plain",
                       table >= 0 && table < EX_TAB_COUNT ? sq_tables[table] : "unknown");
    if (!st->blobs && !(st->blobs = calloc(SQ_BLOBS, sizeof *st->blobs)))
        return ex_fail(&s->err, EX_ENOMEM, "out of memory");
    struct sq_blob *b = &st->blobs[id % SQ_BLOBS];
    int r = SQLITE_OK;
    /* a handle that expired (its row was written) answers SQLITE_ABORT to reads and to
     * sqlite3_blob_reopen alike: it is closed and a new one opened, once */
    for (int tries = 0; tries < 2; tries++) {
        if (b->h && b->table == table && tries == 0) {
            if (b->id != id)
                r = sqlite3_blob_reopen(b->h, (sqlite3_int64)id);
        } else {
            if (b->h)
                sqlite3_blob_close(b->h);
            b->h = NULL;
            r = sqlite3_blob_open(st->db, "main", sq_tables[table], "record", (sqlite3_int64)id,
                                  0, &b->h);
        }
        if (r == SQLITE_ABORT && tries == 0)
            continue;
        if (r != SQLITE_OK)
            break;
        b->table = table;
        b->id = id;
        uint64_t size = (uint64_t)sqlite3_blob_bytes(b->h);
        if (off > size || len > size - off)
            return ex_fail(&s->err, EX_ERANGE, "%s record %llu has %llu bytes, not %llu",
                           sq_tables[table], (unsigned long long)id, (unsigned long long)size,
                           (unsigned long long)(off + len));
        if ((r = sqlite3_blob_read(b->h, buf, (int)len, (int)off)) != SQLITE_ABORT)
            break;
    }
    if (r == SQLITE_OK)
        return EX_OK;
    int missing = r == SQLITE_ERROR && strstr(sqlite3_errmsg(st->db), "no such rowid");
    int rc = missing ? ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", sq_tables[table],
                               (unsigned long long)id)
                     : sq_dberr(s, "read part of a record");
    if (b->h) /* a failed open or reopen leaves the handle unusable */
        sqlite3_blob_close(b->h);
    b->h = NULL;
    return rc;
}

int
sq_read_memory(ex_store *s, size_t bytes)
{
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%zu", bytes / 1024 ? bytes / 1024 : 1);
    int rc = sq_exec(s, "PRAGMA mmap_size = 0");
    return rc == EX_OK ? sq_exec(s, pragma) : rc;
}

/* The rows are handed over as stored: unpacking, most of a scan's time for packed records, is
 * the decoders' work, which the caller may share between threads. */
int
sq_rec_scan_stored(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_want want,
                   ex_record_visit fn, void *ctx)
{
    if (SQ_BLOCKED(s, table))
        return sqb_scan_stored(s, table, from, to, want, fn, ctx);
    sqlite3_stmt *q = rstmt(s, table, R_SCAN_DESC);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(q, 2, to > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
        int64_t key = sqlite3_column_int64(q, 1);
        int w = want ? want(ctx, id, key) : 1;
        if (w < 0)
            rc = w;
        else if (w > 0) {
            size_t n;
            const void *p = sq_column(q, 2, &n);
            rc = fn(ctx, id, key, p, n);
        }
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "scan records");
    sqlite3_reset(q);
    return rc;
}

int
sq_rec_max(ex_store *s, int table, uint64_t *id)
{
    if (SQ_BLOCKED(s, table))
        return sqb_max(s, table, id);
    sqlite3_stmt *q = rstmt(s, table, R_MAX);
    if (!q)
        return sq_dberr(s, "prepare");
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW)
        *id = (uint64_t)sqlite3_column_int64(q, 0);
    else
        rc = sq_dberr(s, "read max id");
    sqlite3_reset(q);
    return rc;
}

/* Rows go in INSERT_ROWS at a time. OR FAIL rather than the default OR ABORT: a multi-row
 * statement that may abort halfway keeps a statement journal, the original of every page it
 * changes (measured: 5% of a small-item ingest, most of it system time); a failed insert is
 * undone by the transaction instead, which is opened here when the caller has none. */
int
sq_rec_insert_many(ex_store *s, int table, uint64_t first, size_t n, const int64_t *keys,
                   const void *const *data, const size_t *lens)
{
    if (SQ_BLOCKED(s, table))
        return ex_fail(&s->err, EX_EINVAL, "%s records are written in blocks", sq_tables[table]);
    int own = SQ(s)->depth == 0, rc = own ? sq_begin(s) : EX_OK;
    size_t i = 0;
    while (rc == EX_OK && i < n) {
        int rows = n - i >= INSERT_ROWS ? INSERT_ROWS : 1;
        sqlite3_stmt *q = rstmt(s, table, rows == INSERT_ROWS ? R_INSERTN : R_INSERT1);
        if (!q) {
            rc = sq_dberr(s, "prepare");
            break;
        }
        for (int k = 0; k < rows; k++, i++) {
            sqlite3_bind_int64(q, 3 * k + 1, (sqlite3_int64)(first + i));
            sqlite3_bind_int64(q, 3 * k + 2, keys[i]);
            sqlite3_bind_blob(q, 3 * k + 3, data[i], (int)lens[i], SQLITE_STATIC);
        }
        rc = sq_run(s, q, "append records");
    }
    if (own) {
        if (rc == EX_OK)
            rc = sq_commit(s);
        if (rc != EX_OK) {
            ex_err keep = s->err;
            sq_rollback(s);
            s->err = keep;
        }
    }
    return rc;
}

int
sq_rec_put(ex_store *s, int table, uint64_t id, int64_t key, const void *data, size_t len)
{
    if (SQ_BLOCKED(s, table))
        return ex_fail(&s->err, EX_EINVAL, "%s records are written in blocks", sq_tables[table]);
    sqlite3_stmt *q = rstmt(s, table, R_PUT);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(q, 2, key);
    sqlite3_bind_blob(q, 3, data, (int)len, SQLITE_STATIC);
    return sq_run(s, q, "write record");
}

/* ---- the decoder: ex_unpack with a packer of its own ---- */

struct ex_store_dec {
    ex_packer *pk; /* made at the first packed record */
};

int
sq_dec_new(ex_store *s, ex_store_dec **out)
{
    (void)s;
    ex_store_dec *d = calloc(1, sizeof *d);
    if (!d)
        return EX_ENOMEM;
    *out = d;
    return EX_OK;
}

void
sq_dec_free(ex_store_dec *d)
{
    if (d)
        ex_packer_free(d->pk);
    free(d);
}

int
sq_decode(ex_store_dec *d, int table, uint64_t id, const void *data, size_t len,
          const void **rec, size_t *rlen, ex_err *err)
{
    if (table < 0 || table >= EX_TAB_COUNT)
        return ex_fail(err, EX_EDB, "no record table %d", table);
    *rec = data;
    *rlen = len;
    return unpack_row(&d->pk, table, id, rec, rlen, err);
}

/* ---- the encoder: blocks of batches (sqlite_block.c), and ex_pack for old ledgers' kind ---- */

int
sq_enc_new(ex_store *s, ex_store_enc **out)
{
    (void)s;
    return ex_batch_enc_new(1, out);
}
