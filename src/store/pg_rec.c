/* pg_rec.c - the record tables in the PostgreSQL store: rows (id, key, record), plain, ids
 * from 1 growing by one as in SQLite (the largest plus one: no sequence to fall out of step
 * with the ids that inserts give); many rows at once by COPY in binary. Items and decisions
 * are blocks (pg_block.c). */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rsql[PR_N] = {
    [PR_APPEND] = "INSERT INTO %s(id, key, record) SELECT coalesce(max(id), 0) + 1, $1::int8,"
                  " $2::bytea FROM %s RETURNING id",
    [PR_GET] = "SELECT key, record FROM %s WHERE id = $1::int8",
    [PR_SCAN] = "SELECT id, key, record FROM %s WHERE id >= $1::int8 AND id < $2::int8"
                " ORDER BY id LIMIT $3::int8",
    [PR_SCAN_KEY] = "SELECT id, key, record FROM %s WHERE key = $1::int8 AND id >= $2::int8"
                    " ORDER BY id LIMIT $3::int8",
    [PR_MAX] = "SELECT coalesce(max(id), 0) FROM %s",
    [PR_PUT] = "INSERT INTO %s(id, key, record) VALUES($1::int8, $2::int8, $3::bytea)"
               " ON CONFLICT (id) DO UPDATE SET key = excluded.key, record = excluded.record",
    [PR_KEYS] = "SELECT id, key FROM %s WHERE id > $1::int8 ORDER BY id LIMIT $2::int8",
    [PR_SCAN_DESC] = "SELECT id, key, record FROM %s WHERE id >= $1::int8 AND id < $2::int8"
                     " ORDER BY id DESC LIMIT $3::int8",
    [PR_READ_AT] = "SELECT octet_length(record)::int8, substring(record FROM ($2::int8 + 1)::int4"
                   " FOR $3::int8::int4) FROM %s WHERE id = $1::int8",
};

const char *
pg_rec_sql(int table, int r, char *buf, size_t cap)
{
    snprintf(buf, cap, rsql[r], sq_tables[table], sq_tables[table]);
    return buf;
}

static int
bad_table(ex_store *s, int table, const char *op)
{
    if (table < 0 || table >= EX_TAB_COUNT)
        return ex_fail(&s->err, EX_EINVAL, "%s: no record table %d", op, table);
    if (PG_BLOCKED(table))
        return ex_fail(&s->err, EX_EINVAL, "%s records are written in blocks", sq_tables[table]);
    return EX_OK;
}

int
pg_rec_append(ex_store *s, int table, int64_t key, const void *data, size_t len, uint64_t *id)
{
    int rc = bad_table(s, table, "rec_append");
    if (rc != EX_OK)
        return rc;
    pg_args a = {0};
    pg_i64(&a, key);
    pg_bytes(&a, data, len);
    PGresult *r = pg_run(s, P_REC(table, PR_APPEND), &a, "append record", &rc);
    if (!r)
        return rc;
    if (id)
        *id = (uint64_t)pg_get_i64(r, 0, 0);
    PQclear(r);
    return EX_OK;
}

int
pg_rec_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len)
{
    if (PG_BLOCKED(table))
        return pgb_get_dup(s, table, id, key, data, len);
    int rc = bad_table(s, table, "rec_get");
    if (rc != EX_OK)
        return rc;
    pg_args a = {0};
    pg_i64(&a, (int64_t)id);
    PGresult *r = pg_run(s, P_REC(table, PR_GET), &a, "read record", &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", sq_tables[table],
                     (unsigned long long)id);
    } else {
        if (key)
            *key = pg_get_i64(r, 0, 0);
        size_t n;
        const void *p = pg_get_bytes(r, 0, 1, &n);
        rc = pg_copy_bytes(s, p, n, data, len);
    }
    PQclear(r);
    return rc;
}

/* Rows of statement r on table, a page at a time: ascending from `from` (key: with this key),
 * or descending below `to` (PR_SCAN_DESC, want asked first). */
static int
pages(ex_store *s, int table, int r, int64_t key, uint64_t from, uint64_t to,
      ex_record_want want, ex_record_visit fn, void *ctx)
{
    int64_t page = table == EX_TAB_SNAPLEAVES ? PG_PAGE_BIG : PG_PAGE, hi = (int64_t)to;
    if (to > (uint64_t)INT64_MAX)
        hi = INT64_MAX;
    int64_t lo = from > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)from;
    int rc = EX_OK;
    while (rc == EX_OK && lo < hi) {
        pg_args a = {0};
        if (r == PR_SCAN_KEY)
            pg_i64(&a, key);
        pg_i64(&a, lo);
        if (r != PR_SCAN_KEY)
            pg_i64(&a, hi);
        pg_i64(&a, page);
        PGresult *res = pg_run(s, P_REC(table, r), &a, "scan records", &rc);
        if (!res)
            return rc;
        int n = PQntuples(res);
        for (int i = 0; rc == EX_OK && i < n; i++) {
            int64_t id = pg_get_i64(res, i, 0), k = pg_get_i64(res, i, 1);
            if (r == PR_SCAN_DESC)
                hi = id;
            else
                lo = id + 1;
            int w = want ? want(ctx, (uint64_t)id, k) : 1;
            if (w < 0) {
                rc = w;
                break;
            }
            size_t len;
            const void *p = pg_get_bytes(res, i, 2, &len);
            if (w)
                rc = fn(ctx, (uint64_t)id, k, p, len);
        }
        PQclear(res);
        if (n < page)
            break;
    }
    return rc;
}

int
pg_rec_scan(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn, void *ctx)
{
    int rc = bad_table(s, table, "rec_scan");
    return rc == EX_OK ? pages(s, table, PR_SCAN, 0, from, to, NULL, fn, ctx) : rc;
}

int
pg_rec_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx)
{
    if (PG_BLOCKED(table))
        return pgb_scan_key(s, table, key, fn, ctx);
    int rc = bad_table(s, table, "rec_scan_key");
    return rc == EX_OK ? pages(s, table, PR_SCAN_KEY, key, 0, UINT64_MAX, NULL, fn, ctx) : rc;
}

int
pg_rec_scan_stored(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_want want,
                   ex_record_visit fn, void *ctx)
{
    if (PG_BLOCKED(table))
        return pgb_scan(s, table, from, to, 1, want, fn, ctx);
    int rc = bad_table(s, table, "rec_scan_stored");
    return rc == EX_OK ? pages(s, table, PR_SCAN_DESC, 0, from, to, want, fn, ctx) : rc;
}

int
pg_rec_max(ex_store *s, int table, uint64_t *id)
{
    if (PG_BLOCKED(table))
        return pgb_max(s, table, id);
    int rc = bad_table(s, table, "rec_max");
    if (rc != EX_OK)
        return rc;
    PGresult *r = pg_run(s, P_REC(table, PR_MAX), NULL, "read max id", &rc);
    if (!r)
        return rc;
    *id = (uint64_t)pg_get_i64(r, 0, 0);
    PQclear(r);
    return EX_OK;
}

int
pg_rec_keys(ex_store *s, int table, ex_record_visit fn, void *ctx)
{
    if (PG_BLOCKED(table))
        return pgb_keys(s, table, fn, ctx);
    int rc = bad_table(s, table, "rec_keys");
    int64_t after = 0;
    while (rc == EX_OK) {
        pg_args a = {0};
        pg_i64(&a, after);
        pg_i64(&a, 8 * PG_PAGE);
        PGresult *r = pg_run(s, P_REC(table, PR_KEYS), &a, "scan keys", &rc);
        if (!r)
            return rc;
        int n = PQntuples(r);
        for (int i = 0; rc == EX_OK && i < n; i++) {
            after = pg_get_i64(r, i, 0);
            rc = fn(ctx, (uint64_t)after, pg_get_i64(r, i, 1), NULL, 0);
        }
        PQclear(r);
        if (n < 8 * PG_PAGE)
            break;
    }
    return rc;
}

int
pg_rec_put(ex_store *s, int table, uint64_t id, int64_t key, const void *data, size_t len)
{
    int rc = bad_table(s, table, "rec_put");
    if (rc != EX_OK)
        return rc;
    pg_args a = {0};
    pg_i64(&a, (int64_t)id);
    pg_i64(&a, key);
    pg_bytes(&a, data, len);
    return pg_run_cmd(s, P_REC(table, PR_PUT), &a, "write record");
}

int
pg_rec_read_at(ex_store *s, int table, uint64_t id, uint64_t off, void *buf, size_t len)
{
    if (table != EX_TAB_SNAPLEAVES)
        return ex_fail(&s->err, EX_EINVAL, "rec_read_at: %s records are not stored plain",
                       table >= 0 && table < EX_TAB_COUNT ? sq_tables[table] : "unknown");
    if (off > INT32_MAX || len > INT32_MAX)
        return ex_fail(&s->err, EX_ERANGE, "%s record %llu: no part at %llu", sq_tables[table],
                       (unsigned long long)id, (unsigned long long)off);
    pg_args a = {0};
    pg_i64(&a, (int64_t)id);
    pg_i64(&a, (int64_t)off);
    pg_i64(&a, (int64_t)len);
    int rc;
    PGresult *r = pg_run(s, P_REC(table, PR_READ_AT), &a, "read part of a record", &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", sq_tables[table],
                     (unsigned long long)id);
    } else {
        uint64_t size = (uint64_t)pg_get_i64(r, 0, 0);
        size_t n;
        const void *p = pg_get_bytes(r, 0, 1, &n);
        if (off > size || len > size - off || n != len)
            rc = ex_fail(&s->err, EX_ERANGE, "%s record %llu has %llu bytes, not %llu",
                         sq_tables[table], (unsigned long long)id, (unsigned long long)size,
                         (unsigned long long)(off + len));
        else
            memcpy(buf, p, len);
    }
    PQclear(r);
    return rc;
}

/* ---- COPY in binary ---- */

static void
put_be(pg_copy *cp, uint64_t v, int bytes)
{
    unsigned char b[8];
    for (int k = 0; k < bytes; k++)
        b[k] = (unsigned char)(v >> (8 * (bytes - 1 - k)));
    if (cp->rc == EX_OK && ex_buf_put(&cp->buf, b, (size_t)bytes) != EX_OK)
        cp->rc = EX_ENOMEM;
}

/* Send what is buffered when it passes this many bytes. */
#define COPY_CHUNK (1u << 20)

static void
flush(pg_copy *cp, int force)
{
    if (cp->rc != EX_OK || (!force && cp->buf.len < COPY_CHUNK) || !cp->buf.len)
        return;
    if (PQputCopyData(PG(cp->s)->c, (const char *)cp->buf.data, (int)cp->buf.len) != 1)
        cp->rc = pg_dberr(cp->s, NULL, "COPY");
    cp->buf.len = 0;
}

int
pg_copy_begin(pg_copy *cp, ex_store *s, const char *table, const char *cols)
{
    memset(cp, 0, sizeof *cp);
    cp->s = s;
    char sql[256];
    snprintf(sql, sizeof sql, "COPY %s(%s) FROM STDIN WITH (FORMAT binary)", table, cols);
    PGresult *r = PQexec(PG(s)->c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        cp->rc = pg_dberr(s, r, sql);
    else
        cp->active = 1;
    PQclear(r);
    /* the signature, flags and header extension (none) */
    static const unsigned char sig[] = "PGCOPY\n\377\r\n";
    if (cp->rc == EX_OK && ex_buf_put(&cp->buf, sig, 11) != EX_OK)
        cp->rc = EX_ENOMEM;
    put_be(cp, 0, 4);
    put_be(cp, 0, 4);
    return cp->rc;
}

void
pg_copy_row(pg_copy *cp, int nfields)
{
    flush(cp, 0);
    put_be(cp, (uint64_t)nfields, 2);
}

void
pg_copy_i64(pg_copy *cp, int64_t v)
{
    put_be(cp, 8, 4);
    put_be(cp, (uint64_t)v, 8);
}

void
pg_copy_bytes_field(pg_copy *cp, const void *p, size_t n)
{
    if (!p && !n) {
        put_be(cp, 0xffffffffu, 4);
        return;
    }
    put_be(cp, (uint64_t)n, 4);
    if (cp->rc == EX_OK && n && ex_buf_put(&cp->buf, p, n) != EX_OK)
        cp->rc = EX_ENOMEM;
}

int
pg_copy_end(pg_copy *cp)
{
    pg_store *st = PG(cp->s);
    if (!cp->active) {
        ex_buf_free(&cp->buf);
        return cp->rc;
    }
    put_be(cp, 0xffff, 2); /* the trailer */
    flush(cp, 1);
    int rc = cp->rc;
    if (rc == EX_ENOMEM)
        ex_fail(&cp->s->err, rc, "out of memory");
    if (PQputCopyEnd(st->c, rc == EX_OK ? NULL : "exante: a row could not be made") != 1 &&
        rc == EX_OK)
        rc = pg_dberr(cp->s, NULL, "COPY");
    PGresult *r;
    while ((r = PQgetResult(st->c))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == EX_OK)
            rc = pg_dberr(cp->s, r, "COPY");
        PQclear(r);
    }
    ex_buf_free(&cp->buf);
    return rc;
}

int
pg_rec_insert_many(ex_store *s, int table, uint64_t first, size_t n, const int64_t *keys,
                   const void *const *data, const size_t *lens)
{
    int rc = bad_table(s, table, "rec_insert_many");
    if (rc != EX_OK || n == 0)
        return rc;
    int own = PG(s)->depth == 0;
    if (own && (rc = pg_begin(s)) != EX_OK)
        return rc;
    pg_copy cp;
    if ((rc = pg_copy_begin(&cp, s, sq_tables[table], "id, key, record")) == EX_OK) {
        for (size_t i = 0; i < n; i++) {
            pg_copy_row(&cp, 3);
            pg_copy_i64(&cp, (int64_t)(first + i));
            pg_copy_i64(&cp, keys[i]);
            pg_copy_bytes_field(&cp, data[i] ? data[i] : "", lens[i]);
        }
    }
    int end = pg_copy_end(&cp);
    if (rc == EX_OK)
        rc = end;
    if (own) {
        if (rc == EX_OK)
            rc = pg_commit(s);
        if (rc != EX_OK) {
            ex_err keep = s->err;
            pg_rollback(s);
            s->err = keep;
        }
    }
    return rc;
}

/* ---- the decoder: records are stored plain ---- */

static char dec_token;

int
pg_dec_new(ex_store *s, ex_store_dec **out)
{
    (void)s;
    *out = (ex_store_dec *)&dec_token;
    return EX_OK;
}

void
pg_dec_free(ex_store_dec *d)
{
    (void)d;
}

int
pg_decode(ex_store_dec *d, int table, uint64_t id, const void *data, size_t len,
          const void **rec, size_t *rlen, ex_err *err)
{
    (void)d, (void)id;
    if (table < 0 || table >= EX_TAB_COUNT)
        return ex_fail(err, EX_EDB, "no record table %d", table);
    *rec = data;
    *rlen = len;
    return EX_OK;
}
