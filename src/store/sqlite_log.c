/* sqlite_log.c - the log's rows in the SQLite store: entries (by index), tiles (by stratum and
 * index, one row each) and signed checkpoints (by tree size). */
#include "store/sqlite_int.h"

#include <string.h>

static int
copy_blob(ex_store *s, sqlite3_stmt *q, int col, uint8_t **data, size_t *len)
{
    size_t n;
    const void *p = sq_column(q, col, &n);
    return sq_copy_bytes(s, p, n, data, len);
}

int
sq_entry_count(ex_store *s, uint64_t *n)
{
    sqlite3_stmt *q = sq_stmt(s, Q_ENTRY_MAX);
    if (!q)
        return sq_dberr(s, "prepare");
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW) {
        if (sqlite3_column_type(q, 0) == SQLITE_NULL)
            *n = 0;
        else if (sqlite3_column_int64(q, 0) < 0)
            rc = ex_fail(&s->err, EX_EDB, "entries table holds a negative index");
        else
            *n = (uint64_t)sqlite3_column_int64(q, 0) + 1;
    } else {
        rc = sq_dberr(s, "count entries");
    }
    sqlite3_reset(q);
    return rc;
}

int
sq_entries_put(ex_store *s, uint64_t first, const void *const *data, const size_t *lens, size_t n)
{
    sqlite3_stmt *q = sq_stmt(s, Q_ENTRY_PUT);
    if (!q)
        return sq_dberr(s, "prepare");
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)(first + i));
        sqlite3_bind_blob(q, 2, data[i], (int)lens[i], SQLITE_STATIC);
        int rc = sq_run(s, q, "append entry");
        if (rc != EX_OK)
            return rc;
    }
    return EX_OK;
}

int
sq_entry_get_dup(ex_store *s, uint64_t index, uint8_t **data, size_t *len)
{
    sqlite3_stmt *q = sq_stmt(s, Q_ENTRY_GET);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)index);
    int r = sqlite3_step(q), rc;
    if (r == SQLITE_ROW)
        rc = copy_blob(s, q, 0, data, len);
    else if (r == SQLITE_DONE)
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no entry %llu", (unsigned long long)index);
    else
        rc = sq_dberr(s, "read entry");
    sqlite3_reset(q);
    return rc;
}

int
sq_entry_scan(ex_store *s, uint64_t from, ex_entry_visit fn, void *ctx)
{
    sqlite3_stmt *q = sq_stmt(s, Q_ENTRY_SCAN);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        size_t n;
        const void *p = sq_column(q, 1, &n);
        rc = fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "scan entries");
    sqlite3_reset(q);
    return rc;
}

static sqlite3_int64
tile_id(unsigned stratum, uint64_t index)
{
    return (sqlite3_int64)((uint64_t)stratum << 56 | index);
}

int
sq_tile_put(ex_store *s, unsigned stratum, uint64_t index, const void *data, size_t len)
{
    sqlite3_stmt *q = sq_stmt(s, Q_TILE_PUT);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, tile_id(stratum, index));
    sqlite3_bind_blob(q, 2, data, (int)len, SQLITE_STATIC);
    return sq_run(s, q, "write tile");
}

int
sq_tile_get(ex_store *s, unsigned stratum, uint64_t index, void *buf, size_t cap, size_t *len)
{
    sqlite3_stmt *q = sq_stmt(s, Q_TILE_GET);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, tile_id(stratum, index));
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW) {
        size_t n;
        const void *p = sq_column(q, 0, &n);
        if (n > cap) {
            rc = ex_fail(&s->err, EX_ETOOBIG, "tile %u/%llu is %zu bytes", stratum,
                         (unsigned long long)index, n);
        } else {
            if (n)
                memcpy(buf, p, n);
            *len = n;
        }
    } else if (r == SQLITE_DONE) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "tile %u/%llu is missing", stratum,
                     (unsigned long long)index);
    } else {
        rc = sq_dberr(s, "read tile");
    }
    sqlite3_reset(q);
    return rc;
}

int
sq_tile_scan(ex_store *s, ex_tile_visit fn, void *ctx)
{
    sqlite3_stmt *q = sq_stmt(s, Q_TILE_SCAN);
    if (!q)
        return sq_dberr(s, "prepare");
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
        size_t n;
        const void *p = sq_column(q, 1, &n);
        rc = fn(ctx, (unsigned)(id >> 56), id & ((UINT64_C(1) << 56) - 1), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "scan tiles");
    sqlite3_reset(q);
    return rc;
}

int
sq_checkpoint_put(ex_store *s, uint64_t size, const char *note, size_t len)
{
    sqlite3_stmt *q = sq_stmt(s, Q_CP_PUT);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)size);
    sqlite3_bind_blob(q, 2, note, (int)len, SQLITE_STATIC);
    return sq_run(s, q, "write checkpoint");
}

int
sq_checkpoint_get_dup(ex_store *s, uint64_t size, char **note, size_t *len)
{
    sqlite3_stmt *q = sq_stmt(s, size == UINT64_MAX ? Q_CP_LATEST : Q_CP_GET);
    if (!q)
        return sq_dberr(s, "prepare");
    if (size != UINT64_MAX)
        sqlite3_bind_int64(q, 1, (sqlite3_int64)size);
    int r = sqlite3_step(q), rc;
    if (r == SQLITE_ROW)
        rc = copy_blob(s, q, 0, (uint8_t **)note, len);
    else if (r == SQLITE_DONE)
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no checkpoint at size %llu",
                     (unsigned long long)size);
    else
        rc = sq_dberr(s, "read checkpoint");
    sqlite3_reset(q);
    return rc;
}

int
sq_checkpoint_scan(ex_store *s, ex_checkpoint_visit fn, void *ctx)
{
    sqlite3_stmt *q = sq_stmt(s, Q_CP_SCAN);
    if (!q)
        return sq_dberr(s, "prepare");
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        size_t n;
        const void *p = sq_column(q, 1, &n);
        rc = fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = sq_dberr(s, "scan checkpoints");
    sqlite3_reset(q);
    return rc;
}
