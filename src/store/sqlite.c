/* sqlite.c - the embedded SQLite store (WAL): the connection, its schema and migrations,
 * transactions, metadata and the ops table. Rows are appended in key order wherever possible
 * (integer primary keys that only grow), which keeps SQLite's B-trees append-only. The other
 * rows live in sqlite_log.c and sqlite_rec.c, bulk mode in sqlite_bulk.c (sqlite_int.h). */
#include "store/batch.h"
#include "store/sqlite_int.h"

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
    /* v5: snapshots. A snapshot's record is also a log entry (key: its index); its leaves, the
     * sorted member digests, are stored in chunks keyed by that index */
    "CREATE TABLE IF NOT EXISTS snapshots(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
    " record BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS snapleaves(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
    " record BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS snapleaves_snapshot ON snapleaves(key);",
    /* v6: training runs. An attestation's envelope, and a model's retirement record, each
     * keyed by the log index of its entry */
    "CREATE TABLE IF NOT EXISTS attestations(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
    " record BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS retirements(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
    " record BLOB NOT NULL);",
    /* v7: near-duplicate fingerprints, one row per item (id: the item's), key: its ISCC
     * Text-Code's first 64 bits (0 without text); items recorded before have none */
    ("CREATE TABLE IF NOT EXISTS near(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
     " record BLOB NOT NULL);"),
    /* v8: items and decisions in blocks, one row per batch (sqlite_block.c); the decisions
     * that are not their item's first, by item. The rows of items and decisions move into
     * blocks (sqb_migrate) and their tables go. */
    "CREATE TABLE blocks(id INTEGER PRIMARY KEY, item_first INTEGER NOT NULL,"
    " item_n INTEGER NOT NULL, dec_first INTEGER NOT NULL, dec_n INTEGER NOT NULL,"
    " paired INTEGER NOT NULL, keys BLOB NOT NULL, block BLOB NOT NULL, root BLOB);"
    "CREATE INDEX blocks_items ON blocks(item_first) WHERE item_n > 0;"
    "CREATE INDEX blocks_decisions ON blocks(dec_first) WHERE dec_n > 0;"
    "CREATE TABLE decision_keys(key INTEGER NOT NULL, id INTEGER NOT NULL,"
    " PRIMARY KEY(key, id)) WITHOUT ROWID;",
    /* v9: submissions to the server (opt-out requests, complaints) and their reviews, each
     * keyed by the log index of its entry; the row adds the submission's private body */
    "CREATE TABLE IF NOT EXISTS submissions(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
    " record BLOB NOT NULL);",
};

const char *const sq_tables[EX_TAB_COUNT] = {
    "sources", "items", "decisions", "batches", "quarantine", "inputs", "policies", "captures",
    "optouts", "snapshots", "snapleaves", "attestations", "retirements", "near",
    "submissions"};

/* the statements on the fixed tables (sqlite_int.h's Q_*) */
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

int
sq_dberr(ex_store *s, const char *what)
{
    char cause[4200];
    sq_cause(SQ(s)->db, cause, sizeof cause);
    return ex_fail(&s->err, EX_EDB, "%s%s: %s", cause, what, sqlite3_errmsg(SQ(s)->db));
}

sqlite3_stmt *
sq_stmt(ex_store *s, int q)
{
    sq_store *st = SQ(s);
    if (!st->q[q] && sqlite3_prepare_v3(st->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &st->q[q],
                                        NULL) != SQLITE_OK)
        return NULL;
    return st->q[q];
}

int
sq_run(ex_store *s, sqlite3_stmt *q, const char *what)
{
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    return r == SQLITE_DONE ? EX_OK : sq_dberr(s, what);
}

int
sq_exec(ex_store *s, const char *text)
{
    if (sqlite3_exec(SQ(s)->db, text, NULL, NULL, NULL) != SQLITE_OK)
        return sq_dberr(s, text);
    return EX_OK;
}

/* Column col of the current row as bytes. SQLite's rule: the pointer first, then the size
 * (and never the two as arguments of one call, whose order C leaves open). */
const void *
sq_column(sqlite3_stmt *q, int col, size_t *n)
{
    const void *p = sqlite3_column_blob(q, col);
    *n = (size_t)sqlite3_column_bytes(q, col);
    return p;
}

int
sq_copy_bytes(ex_store *s, const void *p, size_t n, uint8_t **data, size_t *len)
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

static void
sq_close(ex_store *s)
{
    sq_store *st = SQ(s);
    sq_blob_close(st);
    sqb_close(st);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(st->q[i]);
    for (int t = 0; t < EX_TAB_COUNT; t++)
        for (int i = 0; i < R_COUNT; i++)
            sqlite3_finalize(st->r[t][i]);
    sq_bulk_end(st);
    sqlite3_close(st->db);
    free(st->path);
    ex_packer_free(st->pk);
    free(st);
}

/* Transactions nest: a use case can wrap several calls that each make their own
 * transaction (a log append inside an ingest batch) and commit or roll back all of them. */
int
sq_begin(ex_store *s)
{
    sq_store *st = SQ(s);
    char text[32];
    sq_blob_close(st);
    if (st->depth > 0)
        snprintf(text, sizeof text, "SAVEPOINT sp%d", st->depth);
    int rc = sq_exec(s, st->depth > 0 ? text : "BEGIN IMMEDIATE");
    if (rc == EX_OK)
        st->depth++;
    return rc;
}

int
sq_commit(ex_store *s)
{
    sq_store *st = SQ(s);
    char text[32];
    if (st->depth == 0)
        return ex_fail(&s->err, EX_EDB, "commit without a transaction");
    if (st->depth == 1 && ex_json_guard_tripped())
        return ex_fail(&s->err, EX_ENOMEM, "out of memory in the JSON parser: a record it read "
                                           "may be incomplete, so this transaction is not "
                                           "committed");
    if (st->depth > 1)
        snprintf(text, sizeof text, "RELEASE sp%d", st->depth - 1);
    int rc = sq_exec(s, st->depth > 1 ? text : "COMMIT");
    if (rc == EX_OK)
        st->depth--;
    return rc;
}

int
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
        rc = sq_exec(s, text);
    } else {
        rc = sqlite3_get_autocommit(st->db) ? EX_OK : sq_exec(s, "ROLLBACK");
    }
    st->depth--;
    return rc;
}

static int
sq_meta_get_dup(ex_store *s, const char *key, char **value)
{
    sqlite3_stmt *q = sq_stmt(s, Q_META_GET);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(q), rc = EX_OK;
    if (r == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        /* NULL is also how SQLite says it ran out of memory converting the value */
        if (!v && sqlite3_errcode(SQ(s)->db) == SQLITE_NOMEM)
            rc = ex_fail(&s->err, EX_ENOMEM, "out of memory reading ledger metadata");
        else if (!(*value = strdup(v ? v : "")))
            rc = ex_fail(&s->err, EX_ENOMEM, "out of memory reading ledger metadata");
    } else if (r == SQLITE_DONE) {
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no '%s' in ledger metadata", key);
    } else {
        rc = sq_dberr(s, "read metadata");
    }
    sqlite3_reset(q);
    return rc;
}

static int
sq_meta_put(ex_store *s, const char *key, const char *value)
{
    sqlite3_stmt *q = sq_stmt(s, Q_META_PUT);
    if (!q)
        return sq_dberr(s, "prepare");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    return sq_run(s, q, "write metadata");
}

static void sq_release(ex_store *s);

static const ex_store_ops sqlite_ops = {
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .meta_get_dup = sq_meta_get_dup,
    .meta_put = sq_meta_put,
    .entry_count = sq_entry_count,
    .entries_put = sq_entries_put,
    .entry_get_dup = sq_entry_get_dup,
    .entry_scan = sq_entry_scan,
    .tile_put = sq_tile_put,
    .tile_get = sq_tile_get,
    .tile_scan = sq_tile_scan,
    .checkpoint_put = sq_checkpoint_put,
    .checkpoint_get_dup = sq_checkpoint_get_dup,
    .checkpoint_scan = sq_checkpoint_scan,
    .rec_append = sq_rec_append,
    .rec_get_dup = sq_rec_get_dup,
    .rec_scan = sq_rec_scan,
    .rec_scan_key = sq_rec_scan_key,
    .rec_insert_many = sq_rec_insert_many,
    .rec_put = sq_rec_put,
    .rec_max = sq_rec_max,
    .rec_keys = sq_rec_keys,
    .rec_read_at = sq_rec_read_at,
    .read_memory = sq_read_memory,
    .rec_scan_stored = sq_rec_scan_stored,
    .dec_new = sq_dec_new,
    .dec_free = sq_dec_free,
    .decode = sq_decode,
    .enc_new = sq_enc_new,
    .enc_free = ex_batch_enc_free,
    .encode_batch = ex_batch_encode,
    .batch_put = sqb_batch_put,
    .check_indexes = sqb_check,
    .dec_roots = sqb_dec_roots,
    .bulk = sq_bulk_mode,
    .release = sq_release,
};

static void
sq_release(ex_store *s)
{
    sq_store *st = SQ(s);
    if (st->depth > 0)
        return;
    sq_blob_close(st);
    for (sqlite3_stmt *q = sqlite3_next_stmt(st->db, NULL); q; q = sqlite3_next_stmt(st->db, q))
        sqlite3_reset(q);
}

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
    s->schema = version;
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
        if ((rc = sq_exec(s, migrations[v])) == EX_OK && v == 7)
            rc = sqb_migrate(s);
        if (rc == EX_OK)
            rc = sq_exec(s, pragma);
    }
    if (rc == EX_OK)
        s->schema = EX_STORE_SCHEMA;
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
    ex_json_guard_install();
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
        if ((rc = sq_exec(&st->base, "PRAGMA page_size = 16384")) != EX_OK)
            goto dberror;
    }
    if (!opts->read_only && !mem) {
        if ((rc = sq_exec(&st->base, "PRAGMA journal_mode = WAL")) != EX_OK)
            goto dberror;
    }
    rc = sq_exec(&st->base,
                 opts->durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (rc == EX_OK)
        rc = sq_exec(&st->base, "PRAGMA cache_size = -65536");
    if (rc == EX_OK && !opts->read_only && !mem) {
        sqlite3_wal_autocheckpoint(st->db, WAL_CKPT_PAGES);
        st->durable = opts->durable;
        if (!(st->path = strdup(path))) /* said below, as the database's own errors are */
            rc = ex_fail(&st->base.err, EX_ENOMEM, "out of memory");
    }
    /* proofs read one tile each from anywhere in the file: map it rather than copy pages
     * through read() (measured: 125k -> 154k proofs/s at 10M entries). Only readers map it:
     * a writer's scattered reads (an ingest confirming duplicates against stored items) would
     * keep every page they touch, and its fault-around neighbours, in the process's resident
     * set, which then grew with the ledger (measured: 661 MiB of mapped ledger after 20M small
     * items with 40k duplicates; reading through SQLite's page cache instead, none) */
    if (rc == EX_OK && !mem && opts->read_only)
        rc = sq_exec(&st->base, "PRAGMA mmap_size = 4294967296");
    if (rc != EX_OK)
        goto dberror;
    if ((rc = migrate(&st->base, opts->read_only, err)) != EX_OK)
        goto out;
    *out = &st->base;
    return EX_OK;
dberror:;
    /* the cause in the user's terms (sq_dberr put it first) stays first */
    char cause[4200];
    sq_cause(st->db, cause, sizeof cause);
    size_t cl = strlen(cause);
    if (cl && strncmp(st->base.err.msg, cause, cl) == 0)
        rc = ex_fail(err, EX_EDB, "%scannot open the ledger database: %s", cause,
                     st->base.err.msg + cl);
    else
        rc = ex_fail(err, rc == EX_ENOMEM ? rc : EX_EDB, "cannot open ledger database '%s': %s",
                     path, st->base.err.msg);
out:
    sq_close(&st->base);
    return rc;
}
