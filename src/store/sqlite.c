/* sqlite.c - the embedded SQLite store (WAL). Rows are appended in key order wherever
 * possible (integer primary keys that only grow), which keeps SQLite's B-trees append-only. */
#include "store.h"
#include "store/pack.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Schema migrations: migrations[v] brings a database from version v to v+1. */
static const char *const migrations[EX_STORE_SCHEMA] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE entries(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    /* id = stratum << 56 | tile index; hashes = levels 8*stratum .. 8*stratum+7 */
    "CREATE TABLE tiles(id INTEGER PRIMARY KEY, hashes BLOB NOT NULL);"
    "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, note BLOB NOT NULL);",
    /* v2: the ingest ledger. Rows are canonical JSON records, appended in id order; the
     * records of sources and batches are also log entries, items and decisions are leaves
     * of batch trees. Only decisions have a secondary index (by item id, which grows as
     * decisions are appended, so the index is append-mostly too). */
    "CREATE TABLE sources(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);"
    "CREATE TABLE items(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);"
    "CREATE TABLE decisions(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);"
    "CREATE INDEX decisions_item ON decisions(key);"
    "CREATE TABLE batches(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);"
    "CREATE TABLE quarantine(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);"
    /* how far each input file has been recorded: bookkeeping for resuming, re-derivable */
    "CREATE TABLE inputs(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);",
    /* v3: the policy engine. Adopted policies, signal captures and opt-outs; each row is
     * also a log entry (its key is the entry's index). */
    "CREATE TABLE policies(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);"
    "CREATE TABLE captures(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);"
    "CREATE TABLE optouts(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, record BLOB NOT NULL);",
    /* v4: item and decision records may be packed (pack.h): a build that predates packing
     * must refuse the ledger rather than hand out zstd frames as records */
    "INSERT OR REPLACE INTO meta(key, value) VALUES('packed-records', 'zstd 1 2');",
};

static const char *const tables[EX_TAB_COUNT] = {
    "sources", "items", "decisions", "batches", "quarantine", "inputs", "policies", "captures",
    "optouts"};

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

/* per record table: append, get, scan, scan by key, max id */
enum { R_APPEND, R_GET, R_SCAN, R_SCAN_KEY, R_MAX, R_PUT, R_INSERT1, R_INSERTN, R_KEYS, R_COUNT };
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
};

static const char *const sql[Q_COUNT] = {
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    [Q_ENTRY_MAX] = "SELECT max(idx) FROM entries",
    [Q_ENTRY_PUT] = "INSERT INTO entries(idx, data) VALUES(?1, ?2)",
    [Q_ENTRY_GET] = "SELECT data FROM entries WHERE idx = ?1",
    [Q_ENTRY_SCAN] = "SELECT idx, data FROM entries WHERE idx >= ?1 ORDER BY idx",
    [Q_TILE_PUT] = "INSERT OR REPLACE INTO tiles(id, hashes) VALUES(?1, ?2)",
    [Q_TILE_GET] = "SELECT hashes FROM tiles WHERE id = ?1",
    [Q_TILE_SCAN] = "SELECT id, hashes FROM tiles ORDER BY id",
    [Q_CP_PUT] = "INSERT OR REPLACE INTO checkpoints(size, note) VALUES(?1, ?2)",
    [Q_CP_GET] = "SELECT note FROM checkpoints WHERE size = ?1",
    [Q_CP_LATEST] = "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1",
    [Q_CP_SCAN] = "SELECT size, note FROM checkpoints ORDER BY size",
};

typedef struct sq_store {
    ex_store base;
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    sqlite3_stmt *r[EX_TAB_COUNT][R_COUNT];
    int depth; /* open transactions: the outermost is BEGIN, inner ones savepoints */
    char *path;  /* file stores: for the checkpointer's connection */
    int durable;
    struct sq_bulk *bulk; /* while bulk writes run: the background checkpointer */
    ex_packer *pk; /* unpacks the records gets copy out (pack.h); made at the first one */
} sq_store;

/* WAL checkpoints: every WAL_CKPT_PAGES (64 MiB of 16 KiB pages) rather than SQLite's 1000
 * (16 MiB here): each checkpoint syncs the WAL and the database, and one ingest batch of
 * 10,000 small items writes about 7 MiB (measured: 3M small items 4-5% faster). During bulk
 * writes a thread of its own runs them (below); the writer catches up itself only when the
 * WAL passes WAL_HARD_PAGES, which bounds it (about 256 MiB). */
#define WAL_CKPT_PAGES 4096
#define WAL_HARD_PAGES (2 * WAL_CKPT_PAGES)

#define SQ(s) ((sq_store *)(s))

static int
dberr(ex_store *s, const char *what)
{
    return ex_fail(&s->err, EX_EDB, "%s: %s", what, sqlite3_errmsg(SQ(s)->db));
}

static sqlite3_stmt *
stmt(ex_store *s, int q)
{
    sq_store *st = SQ(s);
    if (!st->q[q] && sqlite3_prepare_v3(st->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &st->q[q],
                                        NULL) != SQLITE_OK)
        return NULL;
    return st->q[q];
}

/* step a statement that returns no rows, then reset it */
static int
run(ex_store *s, sqlite3_stmt *q, const char *what)
{
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    return r == SQLITE_DONE ? EX_OK : dberr(s, what);
}

static int
exec(ex_store *s, const char *text)
{
    if (sqlite3_exec(SQ(s)->db, text, NULL, NULL, NULL) != SQLITE_OK)
        return dberr(s, text);
    return EX_OK;
}

/* ---- bulk writes: WAL checkpoints on a thread of their own ----
 *
 * A checkpoint copies the WAL's pages into the database: during an ingest of small items it
 * took two thirds of the writing thread's time (measured: the 225 commits that ran one took
 * 50.9 s of an 83.6 s run of 20M items), and the pipeline waited for it. While bulk writes run,
 * the writer's commits only signal a checkpointer thread, which runs PASSIVE checkpoints (they
 * never block the writer or readers) on its own connection. A checkpoint that ends with frames
 * the writer added meanwhile leaves the WAL to grow; past WAL_HARD_PAGES the writer waits for
 * the checkpointer and runs one itself, after which its next transaction starts the WAL over. */
typedef struct sq_bulk {
    sqlite3 *db; /* the checkpointer's connection */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int want, busy, quit;
} sq_bulk;

static void *
bulk_main(void *arg)
{
    sq_bulk *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->want && !b->quit)
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->quit)
            break;
        b->want = 0;
        b->busy = 1;
        pthread_mutex_unlock(&b->mu);
        sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&b->mu);
        b->busy = 0;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* after each commit of the writer (SQLite's WAL hook), with the WAL's size in pages */
static int
bulk_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
    sq_bulk *b = ctx;
    if (pages < WAL_CKPT_PAGES)
        return SQLITE_OK;
    pthread_mutex_lock(&b->mu);
    if (pages < WAL_HARD_PAGES) {
        b->want = 1;
        pthread_cond_signal(&b->cv);
        pthread_mutex_unlock(&b->mu);
        return SQLITE_OK;
    }
    while (b->busy)
        pthread_cond_wait(&b->cv, &b->mu);
    b->want = 0;
    pthread_mutex_unlock(&b->mu);
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static void
bulk_end(sq_store *st)
{
    sq_bulk *b = st->bulk;
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->quit = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->th, NULL);
    sqlite3_close(b->db);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
    st->bulk = NULL;
    sqlite3_wal_autocheckpoint(st->db, WAL_CKPT_PAGES); /* SQLite's own hook again */
}

static void
sq_bulk_mode(ex_store *s, int on)
{
    sq_store *st = SQ(s);
    if (!on) {
        bulk_end(st);
        return;
    }
    if (st->bulk || !st->path)
        return;
    sq_bulk *b = calloc(1, sizeof *b);
    if (!b)
        return;
    if (sqlite3_open_v2(st->path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(b->db, st->durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                     NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(b->db);
        free(b);
        return; /* checkpoints stay on the writer */
    }
    sqlite3_busy_timeout(b->db, 10000);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if (pthread_create(&b->th, NULL, bulk_main, b) != 0) {
        sqlite3_close(b->db);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
        free(b);
        return;
    }
    st->bulk = b;
    sqlite3_wal_hook(st->db, bulk_hook, b);
}

static void
sq_close(ex_store *s)
{
    sq_store *st = SQ(s);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(st->q[i]);
    for (int t = 0; t < EX_TAB_COUNT; t++)
        for (int i = 0; i < R_COUNT; i++)
            sqlite3_finalize(st->r[t][i]);
    bulk_end(st);
    sqlite3_close(st->db);
    free(st->path);
    ex_packer_free(st->pk);
    free(st);
}

/* Transactions nest: a use case can wrap several calls that each make their own
 * transaction (a log append inside an ingest batch) and commit or roll back all of them. */
static int
sq_begin(ex_store *s)
{
    sq_store *st = SQ(s);
    char text[32];
    if (st->depth > 0)
        snprintf(text, sizeof text, "SAVEPOINT sp%d", st->depth);
    int rc = exec(s, st->depth > 0 ? text : "BEGIN IMMEDIATE");
    if (rc == EX_OK)
        st->depth++;
    return rc;
}

static int
sq_commit(ex_store *s)
{
    sq_store *st = SQ(s);
    char text[32];
    if (st->depth == 0)
        return ex_fail(&s->err, EX_EDB, "commit without a transaction");
    if (st->depth > 1)
        snprintf(text, sizeof text, "RELEASE sp%d", st->depth - 1);
    int rc = exec(s, st->depth > 1 ? text : "COMMIT");
    if (rc == EX_OK)
        st->depth--;
    return rc;
}

static int
sq_rollback(ex_store *s)
{
    sq_store *st = SQ(s);
    if (st->depth == 0)
        return EX_OK;
    int rc;
    if (st->depth > 1) {
        char text[64];
        snprintf(text, sizeof text, "ROLLBACK TO sp%d; RELEASE sp%d", st->depth - 1,
                 st->depth - 1);
        rc = exec(s, text);
    } else {
        rc = sqlite3_get_autocommit(st->db) ? EX_OK : exec(s, "ROLLBACK");
    }
    st->depth--;
    return rc;
}

static int
sq_meta_get_dup(ex_store *s, const char *key, char **value)
{
    sqlite3_stmt *q = stmt(s, Q_META_GET);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        if (!(*value = strdup(v ? v : "")))
            rc = EX_ENOMEM;
    } else if (r == SQLITE_DONE) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no '%s' in ledger metadata", key);
    } else {
        rc = dberr(s, "read metadata");
    }
    sqlite3_reset(q);
    return rc;
}

static int
sq_meta_put(ex_store *s, const char *key, const char *value)
{
    sqlite3_stmt *q = stmt(s, Q_META_PUT);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    return run(s, q, "write metadata");
}

static int
sq_entry_count(ex_store *s, uint64_t *n)
{
    sqlite3_stmt *q = stmt(s, Q_ENTRY_MAX);
    if (!q)
        return dberr(s, "prepare");
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW) {
        if (sqlite3_column_type(q, 0) == SQLITE_NULL)
            *n = 0;
        else if (sqlite3_column_int64(q, 0) < 0)
            rc = ex_fail(&s->err, EX_EDB, "entries table holds a negative index");
        else
            *n = (uint64_t)sqlite3_column_int64(q, 0) + 1;
    } else {
        rc = dberr(s, "count entries");
    }
    sqlite3_reset(q);
    return rc;
}

static int
sq_entries_put(ex_store *s, uint64_t first, const void *const *data, const size_t *lens, size_t n)
{
    sqlite3_stmt *q = stmt(s, Q_ENTRY_PUT);
    if (!q)
        return dberr(s, "prepare");
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)(first + i));
        sqlite3_bind_blob(q, 2, data[i], (int)lens[i], SQLITE_STATIC);
        int rc = run(s, q, "append entry");
        if (rc != EX_OK)
            return rc;
    }
    return EX_OK;
}

/* Column col of the current row as bytes. SQLite's rule: the pointer first, then the size
 * (and never the two as arguments of one call, whose order C leaves open). */
static const void *
column(sqlite3_stmt *q, int col, size_t *n)
{
    const void *p = sqlite3_column_blob(q, col);
    *n = (size_t)sqlite3_column_bytes(q, col);
    return p;
}

/* Record `id` of table as stored (data, n): its canonical bytes, unpacked if packed, into
 * *pk's buffer (made here at the first packed record). */
static int
unpack(ex_store *s, ex_packer **pk, int table, uint64_t id, const void **data, size_t *n)
{
    if (!ex_packed(*data, *n))
        return EX_OK;
    if (!*pk && ex_packer_new(pk) != EX_OK)
        return ex_fail(&s->err, EX_ENOMEM, "out of memory");
    ex_err e = {0};
    int rc = ex_unpack(*pk, *data, *n, data, n, &e);
    if (rc != EX_OK)
        return ex_fail(&s->err, rc, "%s record %llu: %s", tables[table], (unsigned long long)id,
                       e.msg);
    return EX_OK;
}

static int
copy_bytes(ex_store *s, const void *p, size_t n, uint8_t **data, size_t *len)
{
    uint8_t *d = malloc(n + 1);
    if (!d)
        return ex_fail(&s->err, EX_ENOMEM, "out of memory");
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    *data = d;
    *len = n;
    return EX_OK;
}

static int
copy_blob(ex_store *s, sqlite3_stmt *q, int col, uint8_t **data, size_t *len)
{
    size_t n;
    const void *p = column(q, col, &n);
    return copy_bytes(s, p, n, data, len);
}

static int
sq_entry_get_dup(ex_store *s, uint64_t index, uint8_t **data, size_t *len)
{
    sqlite3_stmt *q = stmt(s, Q_ENTRY_GET);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)index);
    int r = sqlite3_step(q), rc;
    if (r == SQLITE_ROW)
        rc = copy_blob(s, q, 0, data, len);
    else if (r == SQLITE_DONE)
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no entry %llu", (unsigned long long)index);
    else
        rc = dberr(s, "read entry");
    sqlite3_reset(q);
    return rc;
}

static int
sq_entry_scan(ex_store *s, uint64_t from, ex_entry_visit fn, void *ctx)
{
    sqlite3_stmt *q = stmt(s, Q_ENTRY_SCAN);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        size_t n;
        const void *p = column(q, 1, &n);
        rc = fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = dberr(s, "scan entries");
    sqlite3_reset(q);
    return rc;
}

static sqlite3_int64
tile_id(unsigned stratum, uint64_t index)
{
    return (sqlite3_int64)((uint64_t)stratum << 56 | index);
}

static int
sq_tile_put(ex_store *s, unsigned stratum, uint64_t index, const void *data, size_t len)
{
    sqlite3_stmt *q = stmt(s, Q_TILE_PUT);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, tile_id(stratum, index));
    sqlite3_bind_blob(q, 2, data, (int)len, SQLITE_STATIC);
    return run(s, q, "write tile");
}

static int
sq_tile_get(ex_store *s, unsigned stratum, uint64_t index, void *buf, size_t cap, size_t *len)
{
    sqlite3_stmt *q = stmt(s, Q_TILE_GET);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, tile_id(stratum, index));
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW) {
        size_t n;
        const void *p = column(q, 0, &n);
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
        rc = dberr(s, "read tile");
    }
    sqlite3_reset(q);
    return rc;
}

static int
sq_tile_scan(ex_store *s, ex_tile_visit fn, void *ctx)
{
    sqlite3_stmt *q = stmt(s, Q_TILE_SCAN);
    if (!q)
        return dberr(s, "prepare");
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
        size_t n;
        const void *p = column(q, 1, &n);
        rc = fn(ctx, (unsigned)(id >> 56), id & ((UINT64_C(1) << 56) - 1), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = dberr(s, "scan tiles");
    sqlite3_reset(q);
    return rc;
}

static int
sq_checkpoint_put(ex_store *s, uint64_t size, const char *note, size_t len)
{
    sqlite3_stmt *q = stmt(s, Q_CP_PUT);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)size);
    sqlite3_bind_blob(q, 2, note, (int)len, SQLITE_STATIC);
    return run(s, q, "write checkpoint");
}

static int
sq_checkpoint_get_dup(ex_store *s, uint64_t size, char **note, size_t *len)
{
    sqlite3_stmt *q = stmt(s, size == UINT64_MAX ? Q_CP_LATEST : Q_CP_GET);
    if (!q)
        return dberr(s, "prepare");
    if (size != UINT64_MAX)
        sqlite3_bind_int64(q, 1, (sqlite3_int64)size);
    int r = sqlite3_step(q), rc;
    if (r == SQLITE_ROW)
        rc = copy_blob(s, q, 0, (uint8_t **)note, len);
    else if (r == SQLITE_DONE)
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no checkpoint at size %llu",
                     (unsigned long long)size);
    else
        rc = dberr(s, "read checkpoint");
    sqlite3_reset(q);
    return rc;
}

static int
sq_checkpoint_scan(ex_store *s, ex_checkpoint_visit fn, void *ctx)
{
    sqlite3_stmt *q = stmt(s, Q_CP_SCAN);
    if (!q)
        return dberr(s, "prepare");
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        size_t n;
        const void *p = column(q, 1, &n);
        rc = fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = dberr(s, "scan checkpoints");
    sqlite3_reset(q);
    return rc;
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
                         tables[table]);
        for (int i = 0; i < INSERT_ROWS; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s(?,?,?)", i ? "," : "");
        if (sqlite3_prepare_v3(st->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st->r[table][q],
                               NULL) != SQLITE_OK)
            return NULL;
    }
    if (!st->r[table][q]) {
        char text[256];
        snprintf(text, sizeof text, rsql[q], tables[table]);
        if (sqlite3_prepare_v3(st->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st->r[table][q],
                               NULL) != SQLITE_OK)
            return NULL;
    }
    return st->r[table][q];
}

static int
sq_rec_append(ex_store *s, int table, int64_t key, const void *data, size_t len, uint64_t *id)
{
    sqlite3_stmt *q = rstmt(s, table, R_APPEND);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, key);
    sqlite3_bind_blob(q, 2, data, (int)len, SQLITE_STATIC);
    int rc = run(s, q, "append record");
    if (rc == EX_OK && id)
        *id = (uint64_t)sqlite3_last_insert_rowid(SQ(s)->db);
    return rc;
}

static int
sq_rec_get_dup(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data, size_t *len)
{
    sqlite3_stmt *q = rstmt(s, table, R_GET);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    int r = sqlite3_step(q), rc;
    if (r == SQLITE_ROW) {
        if (key)
            *key = sqlite3_column_int64(q, 0);
        size_t n;
        const void *p = column(q, 1, &n);
        if ((rc = unpack(s, &SQ(s)->pk, table, id, &p, &n)) == EX_OK)
            rc = copy_bytes(s, p, n, data, len);
    } else if (r == SQLITE_DONE) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no %s record %llu", tables[table],
                     (unsigned long long)id);
    } else {
        rc = dberr(s, "read record");
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
        const void *p = column(q, 2, &n);
        uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
        if ((rc = unpack(s, &pk, table, id, &p, &n)) == EX_OK)
            rc = fn(ctx, id, sqlite3_column_int64(q, 1), p, n);
    }
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = dberr(s, "scan records");
    sqlite3_reset(q);
    ex_packer_free(pk);
    return rc;
}

static int
sq_rec_scan(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn, void *ctx)
{
    sqlite3_stmt *q = rstmt(s, table, R_SCAN);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(q, 2, to > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
    return visit_rows(s, table, q, fn, ctx);
}

static int
sq_rec_scan_key(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx)
{
    sqlite3_stmt *q = rstmt(s, table, R_SCAN_KEY);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, key);
    return visit_rows(s, table, q, fn, ctx);
}

static int
sq_rec_keys(ex_store *s, int table, ex_record_visit fn, void *ctx)
{
    sqlite3_stmt *q = rstmt(s, table, R_KEYS);
    if (!q)
        return dberr(s, "prepare");
    int r, rc = EX_OK;
    while (rc == EX_OK && (r = sqlite3_step(q)) == SQLITE_ROW)
        rc = fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), NULL, 0);
    if (rc == EX_OK && r != SQLITE_DONE)
        rc = dberr(s, "scan keys");
    sqlite3_reset(q);
    return rc;
}

static int
sq_rec_max(ex_store *s, int table, uint64_t *id)
{
    sqlite3_stmt *q = rstmt(s, table, R_MAX);
    if (!q)
        return dberr(s, "prepare");
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW)
        *id = (uint64_t)sqlite3_column_int64(q, 0);
    else
        rc = dberr(s, "read max id");
    sqlite3_reset(q);
    return rc;
}

/* Rows go in INSERT_ROWS at a time. OR FAIL rather than the default OR ABORT: a multi-row
 * statement that may abort halfway keeps a statement journal, the original of every page it
 * changes (measured: 5% of a small-item ingest, most of it system time); a failed insert is
 * undone by the transaction instead, which is opened here when the caller has none. */
static int
sq_rec_insert_many(ex_store *s, int table, uint64_t first, size_t n, const int64_t *keys,
                   const void *const *data, const size_t *lens)
{
    int own = SQ(s)->depth == 0, rc = own ? sq_begin(s) : EX_OK;
    size_t i = 0;
    while (rc == EX_OK && i < n) {
        int rows = n - i >= INSERT_ROWS ? INSERT_ROWS : 1;
        sqlite3_stmt *q = rstmt(s, table, rows == INSERT_ROWS ? R_INSERTN : R_INSERT1);
        if (!q) {
            rc = dberr(s, "prepare");
            break;
        }
        for (int k = 0; k < rows; k++, i++) {
            sqlite3_bind_int64(q, 3 * k + 1, (sqlite3_int64)(first + i));
            sqlite3_bind_int64(q, 3 * k + 2, keys[i]);
            sqlite3_bind_blob(q, 3 * k + 3, data[i], (int)lens[i], SQLITE_STATIC);
        }
        rc = run(s, q, "append records");
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

static int
sq_rec_put(ex_store *s, int table, uint64_t id, int64_t key, const void *data, size_t len)
{
    sqlite3_stmt *q = rstmt(s, table, R_PUT);
    if (!q)
        return dberr(s, "prepare");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(q, 2, key);
    sqlite3_bind_blob(q, 3, data, (int)len, SQLITE_STATIC);
    return run(s, q, "write record");
}

static const ex_store_ops sqlite_ops = {
    sq_close,         sq_begin,          sq_commit,      sq_rollback,         sq_meta_get_dup,
    sq_meta_put,      sq_entry_count,    sq_entries_put, sq_entry_get_dup,    sq_entry_scan,
    sq_tile_put,      sq_tile_get,       sq_tile_scan,   sq_checkpoint_put,   sq_checkpoint_get_dup,
    sq_checkpoint_scan, sq_rec_append, sq_rec_get_dup, sq_rec_scan, sq_rec_scan_key,
    sq_rec_insert_many, sq_rec_put, sq_rec_max, sq_rec_keys, sq_bulk_mode,
};

/* Bring the schema to EX_STORE_SCHEMA; a read-only store can only check it. */
static int
migrate(ex_store *s, int read_only, ex_err *err)
{
    sqlite3_stmt *q;
    int version = -1;
    if (sqlite3_prepare_v2(SQ(s)->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return ex_fail(err, EX_EDB, "cannot read ledger database: %s", sqlite3_errmsg(SQ(s)->db));
    if (sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version < 0)
        return ex_fail(err, EX_EDB, "cannot read ledger database: %s", sqlite3_errmsg(SQ(s)->db));
    if (version > EX_STORE_SCHEMA)
        return ex_fail(err, EX_EDB, "ledger schema version %d is newer than this exante (%d)",
                       version, EX_STORE_SCHEMA);
    if (version == EX_STORE_SCHEMA || (read_only && version >= EX_STORE_READ_MIN))
        return EX_OK;
    if (read_only)
        return ex_fail(err, EX_EDB,
                       "ledger schema version %d needs migrating to %d: open it once for writing",
                       version, EX_STORE_SCHEMA);
    int rc = sq_begin(s);
    for (int v = version; rc == EX_OK && v < EX_STORE_SCHEMA; v++) {
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if ((rc = exec(s, migrations[v])) == EX_OK)
            rc = exec(s, pragma);
    }
    if (rc == EX_OK)
        rc = sq_commit(s);
    if (rc != EX_OK) {
        sq_rollback(s);
        return ex_fail(err, rc, "cannot migrate ledger schema: %s", s->err.msg);
    }
    return EX_OK;
}

int
ex_store_open_sqlite(const char *path, const ex_store_opts *opts, ex_store **out, ex_err *err)
{
    static const ex_store_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    int mem = strcmp(path, ":memory:") == 0;
    struct stat sb;
    if (opts->create && !mem && stat(path, &sb) == 0)
        return ex_fail(err, EX_EEXIST, "'%s' already exists", path);
    if (!opts->create && !mem && stat(path, &sb) != 0)
        return ex_fail(err, EX_ENOLEDGER, "no ledger database at '%s'", path);
    sq_store *st = calloc(1, sizeof *st);
    if (!st)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    st->base.ops = &sqlite_ops;
    int flags = opts->read_only ? SQLITE_OPEN_READONLY
                                : SQLITE_OPEN_READWRITE | (opts->create ? SQLITE_OPEN_CREATE : 0);
    int rc = EX_OK;
    if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = ex_fail(err, EX_EDB, "cannot open ledger database '%s': %s", path,
                     st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, 10000);
    if (opts->create) {
        /* one tile (up to 16320 bytes) per page keeps proof reads to one page */
        if ((rc = exec(&st->base, "PRAGMA page_size = 16384")) != EX_OK)
            goto dberror;
    }
    if (!opts->read_only && !mem) {
        if ((rc = exec(&st->base, "PRAGMA journal_mode = WAL")) != EX_OK)
            goto dberror;
    }
    rc = exec(&st->base, opts->durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (rc == EX_OK)
        rc = exec(&st->base, "PRAGMA cache_size = -65536");
    if (rc == EX_OK && !opts->read_only && !mem) {
        sqlite3_wal_autocheckpoint(st->db, WAL_CKPT_PAGES);
        st->durable = opts->durable;
        if (!(st->path = strdup(path)))
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
    }
    /* proofs read one tile each from anywhere in the file: map it rather than copy pages
     * through read() (measured: 125k -> 154k proofs/s at 10M entries). Only readers map it:
     * a writer's scattered reads (an ingest confirming duplicates against stored items) would
     * keep every page they touch, and its fault-around neighbours, in the process's resident
     * set, which then grew with the ledger (measured: 661 MiB of mapped ledger after 20M small
     * items with 40k duplicates; reading through SQLite's page cache instead, none) */
    if (rc == EX_OK && !mem && opts->read_only)
        rc = exec(&st->base, "PRAGMA mmap_size = 4294967296");
    if (rc != EX_OK)
        goto dberror;
    if ((rc = migrate(&st->base, opts->read_only, err)) != EX_OK)
        goto out;
    *out = &st->base;
    return EX_OK;
dberror:
    rc = ex_fail(err, EX_EDB, "cannot open ledger database '%s': %s", path, st->base.err.msg);
out:
    sq_close(&st->base);
    return rc;
}
