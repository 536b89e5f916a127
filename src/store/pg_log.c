/* pg_log.c - the log's rows in the PostgreSQL store: entries (by index), tiles (by stratum and
 * index, one row each) and signed checkpoints (by tree size), as sqlite_log.c keeps them. */
#include "store/pg_int.h"

#include <string.h>

int
pg_entry_count(ex_store *s, uint64_t *n)
{
    int rc;
    PGresult *r = pg_run(s, P_ENTRY_MAX, NULL, "count entries", &rc);
    if (!r)
        return rc;
    if (PQgetisnull(r, 0, 0))
        *n = 0;
    else if (pg_get_i64(r, 0, 0) < 0)
        rc = ex_fail(&s->err, EX_EDB, "entries table holds a negative index");
    else
        *n = (uint64_t)pg_get_i64(r, 0, 0) + 1;
    PQclear(r);
    return rc;
}

int
pg_entries_put(ex_store *s, uint64_t first, const void *const *data, const size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pg_args a = {0};
        pg_i64(&a, (int64_t)(first + i));
        pg_bytes(&a, data[i], lens[i]);
        int rc = pg_run_cmd(s, P_ENTRY_PUT, &a, "append entry");
        if (rc != EX_OK)
            return rc;
    }
    return EX_OK;
}

/* The one row of statement q with key k: column 0 copied into *data; EX_ENOTFOUND (what names
 * it) if there is none. */
static int
get_one(ex_store *s, int q, int64_t k, uint8_t **data, size_t *len, const char *what,
        const char *missing)
{
    pg_args a = {0};
    if (q != P_CP_LATEST)
        pg_i64(&a, k);
    int rc;
    PGresult *r = pg_run(s, q, &a, what, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "%s", missing);
    } else {
        size_t n;
        const void *p = pg_get_bytes(r, 0, 0, &n);
        rc = pg_copy_bytes(s, p, n, data, len);
    }
    PQclear(r);
    return rc;
}

int
pg_entry_get_dup(ex_store *s, uint64_t index, uint8_t **data, size_t *len)
{
    char missing[64];
    snprintf(missing, sizeof missing, "no entry %llu", (unsigned long long)index);
    return get_one(s, P_ENTRY_GET, (int64_t)index, data, len, "read entry", missing);
}

/* Rows of q (key column 0, value column 1) with keys after `after` (entries: from `after`), a
 * page at a time; visit each. */
typedef int (*row_visit)(void *ctx, int64_t key, const void *data, size_t len);

static int
scan_pages(ex_store *s, int q, int64_t after, row_visit fn, void *ctx, const char *what)
{
    int rc = EX_OK;
    for (;;) {
        pg_args a = {0};
        pg_i64(&a, after);
        pg_i64(&a, PG_PAGE);
        PGresult *r = pg_run(s, q, &a, what, &rc);
        if (!r)
            return rc;
        int n = PQntuples(r);
        for (int i = 0; rc == EX_OK && i < n; i++) {
            size_t len;
            const void *p = pg_get_bytes(r, i, 1, &len);
            after = pg_get_i64(r, i, 0);
            rc = fn(ctx, after, p, len);
        }
        PQclear(r);
        if (rc != EX_OK || n < PG_PAGE)
            return rc;
        if (q == P_ENTRY_SCAN)
            after++; /* entries: from, not after */
    }
}

typedef struct fwd {
    union {
        ex_entry_visit entry;
        ex_tile_visit tile;
        ex_checkpoint_visit cp;
    } fn;
    void *ctx;
} fwd;

static int
entry_row(void *ctx, int64_t key, const void *data, size_t len)
{
    fwd *f = ctx;
    return f->fn.entry(f->ctx, (uint64_t)key, data, len);
}

int
pg_entry_scan(ex_store *s, uint64_t from, ex_entry_visit fn, void *ctx)
{
    fwd f = {.fn.entry = fn, .ctx = ctx};
    return scan_pages(s, P_ENTRY_SCAN, (int64_t)from, entry_row, &f, "scan entries");
}

static int64_t
tile_id(unsigned stratum, uint64_t index)
{
    return (int64_t)((uint64_t)stratum << 56 | index);
}

int
pg_tile_put(ex_store *s, unsigned stratum, uint64_t index, const void *data, size_t len)
{
    pg_args a = {0};
    pg_i64(&a, tile_id(stratum, index));
    pg_bytes(&a, data, len);
    return pg_run_cmd(s, P_TILE_PUT, &a, "write tile");
}

int
pg_tile_get(ex_store *s, unsigned stratum, uint64_t index, void *buf, size_t cap, size_t *len)
{
    pg_args a = {0};
    pg_i64(&a, tile_id(stratum, index));
    int rc;
    PGresult *r = pg_run(s, P_TILE_GET, &a, "read tile", &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "tile %u/%llu is missing", stratum,
                     (unsigned long long)index);
    } else {
        size_t n;
        const void *p = pg_get_bytes(r, 0, 0, &n);
        if (n > cap)
            rc = ex_fail(&s->err, EX_ETOOBIG, "tile %u/%llu is %zu bytes", stratum,
                         (unsigned long long)index, n);
        else {
            memcpy(buf, p, n);
            *len = n;
        }
    }
    PQclear(r);
    return rc;
}

static int
tile_row(void *ctx, int64_t key, const void *data, size_t len)
{
    fwd *f = ctx;
    uint64_t id = (uint64_t)key;
    return f->fn.tile(f->ctx, (unsigned)(id >> 56), id & ((1ull << 56) - 1), data,
                                  len);
}

int
pg_tile_scan(ex_store *s, ex_tile_visit fn, void *ctx)
{
    fwd f = {.fn.tile = fn, .ctx = ctx};
    return scan_pages(s, P_TILE_SCAN, -1, tile_row, &f, "scan tiles");
}

int
pg_checkpoint_put(ex_store *s, uint64_t size, const char *note, size_t len)
{
    pg_args a = {0};
    pg_i64(&a, (int64_t)size);
    pg_bytes(&a, note, len);
    return pg_run_cmd(s, P_CP_PUT, &a, "write checkpoint");
}

int
pg_checkpoint_get_dup(ex_store *s, uint64_t size, char **note, size_t *len)
{
    char missing[64];
    if (size == UINT64_MAX)
        snprintf(missing, sizeof missing, "no checkpoint");
    else
        snprintf(missing, sizeof missing, "no checkpoint at size %llu", (unsigned long long)size);
    return get_one(s, size == UINT64_MAX ? P_CP_LATEST : P_CP_GET, (int64_t)size,
                   (uint8_t **)note, len, "read checkpoint", missing);
}

static int
cp_row(void *ctx, int64_t key, const void *data, size_t len)
{
    fwd *f = ctx;
    return f->fn.cp(f->ctx, (uint64_t)key, data, len);
}

int
pg_checkpoint_scan(ex_store *s, ex_checkpoint_visit fn, void *ctx)
{
    fwd f = {.fn.cp = fn, .ctx = ctx};
    return scan_pages(s, P_CP_SCAN, -1, cp_row, &f, "scan checkpoints");
}
