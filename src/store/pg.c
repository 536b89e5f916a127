/* pg.c - the shared PostgreSQL store (libpq): the connection, its schema and migrations,
 * transactions, metadata, statements and the ops table (pg_int.h lists the other files).
 *
 * Writers take turns as SQLite's do: the outermost begin takes a transaction-scoped advisory
 * lock (PG_WRITER_LOCK), so one transaction writes the log at a time, and waits for it up to
 * lock_timeout (10 s), as SQLite's BEGIN IMMEDIATE waits for its busy timeout. */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pg_advisory_xact_lock's key for the ledger's writer: "exante" in ASCII */
#define PG_WRITER_LOCK "111551455295589" /* 0x657861 6e7465 */

/* Migrations: steps[i] brings a database from version steps[i].from to steps[i].to. The store
 * begins at the SQLite store's schema 8, whose tables it has from the start; 9 adds the
 * submissions. */
static const struct {
    int from, to;
    const char *sql;
} steps[] = {
    {0, 8,
     "CREATE TABLE entries(idx bigint PRIMARY KEY, data bytea NOT NULL);"
     "CREATE TABLE tiles(id bigint PRIMARY KEY, hashes bytea NOT NULL);"
     "CREATE TABLE checkpoints(size bigint PRIMARY KEY, note bytea NOT NULL);"
     "CREATE TABLE sources(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE batches(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE quarantine(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE inputs(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE policies(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE captures(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE optouts(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE snapshots(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE TABLE snapleaves(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     "CREATE INDEX snapleaves_snapshot ON snapleaves(key);"
     /* read in parts (rec_read_at): stored uncompressed, substring reads only its pages */
     "ALTER TABLE snapleaves ALTER COLUMN record SET STORAGE EXTERNAL;"
     "CREATE TABLE attestations(id bigint PRIMARY KEY, key bigint NOT NULL,"
     " record bytea NOT NULL);"
     "CREATE TABLE retirements(id bigint PRIMARY KEY, key bigint NOT NULL,"
     " record bytea NOT NULL);"
     "CREATE TABLE near(id bigint PRIMARY KEY, key bigint NOT NULL, record bytea NOT NULL);"
     /* items and decisions: sqlite_block.c; a block is a zstd frame already, which
      * PostgreSQL's own compression would only try and fail to shrink */
     "CREATE TABLE blocks(id bigint PRIMARY KEY, item_first bigint NOT NULL,"
     " item_n bigint NOT NULL, dec_first bigint NOT NULL, dec_n bigint NOT NULL,"
     " paired bigint NOT NULL, keys bytea NOT NULL, block bytea NOT NULL, root bytea);"
     "ALTER TABLE blocks ALTER COLUMN block SET STORAGE EXTERNAL;"
     "CREATE UNIQUE INDEX blocks_items ON blocks(item_first) WHERE item_n > 0;"
     "CREATE UNIQUE INDEX blocks_decisions ON blocks(dec_first) WHERE dec_n > 0;"
     "CREATE TABLE decision_keys(key bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY(key, id));"
     /* workers and the sequencer (pg_stage.c): who reads which input, what they staged */
     "CREATE TABLE leases(input text PRIMARY KEY, worker text NOT NULL,"
     " expires timestamptz NOT NULL, through bigint NOT NULL DEFAULT 0,"
     " done boolean NOT NULL DEFAULT false);"
     "CREATE TABLE staged(id bigserial PRIMARY KEY, input text NOT NULL, source text NOT NULL,"
     " path text NOT NULL, format int NOT NULL, size bigint NOT NULL, mtime bigint NOT NULL,"
     " policy text NOT NULL, worker text NOT NULL, version text NOT NULL,"
     " start bigint NOT NULL, through bigint NOT NULL, done boolean NOT NULL, n bigint NOT NULL, entries bytea NOT NULL);"
     "ALTER TABLE staged ALTER COLUMN entries SET STORAGE EXTERNAL;"},
    /* the server's submissions (opt-out requests, complaints) and their reviews */
    {8, 9,
     "CREATE TABLE submissions(id bigint PRIMARY KEY, key bigint NOT NULL,"
     " record bytea NOT NULL);"},
};

const char *const pg_sql[P_FIXED] = {
    [P_META_GET] = "SELECT value FROM meta WHERE key = $1::text",
    [P_META_PUT] = "INSERT INTO meta(key, value) VALUES($1::text, $2::text)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [P_ENTRY_MAX] = "SELECT max(idx) FROM entries",
    [P_ENTRY_PUT] = "INSERT INTO entries(idx, data) VALUES($1::int8, $2::bytea)",
    [P_ENTRY_GET] = "SELECT data FROM entries WHERE idx = $1::int8",
    [P_ENTRY_SCAN] = "SELECT idx, data FROM entries WHERE idx >= $1::int8 ORDER BY idx"
                     " LIMIT $2::int8",
    [P_TILE_PUT] = "INSERT INTO tiles(id, hashes) VALUES($1::int8, $2::bytea)"
                   " ON CONFLICT (id) DO UPDATE SET hashes = excluded.hashes",
    [P_TILE_GET] = "SELECT hashes FROM tiles WHERE id = $1::int8",
    [P_TILE_SCAN] = "SELECT id, hashes FROM tiles WHERE id > $1::int8 ORDER BY id LIMIT $2::int8",
    [P_CP_PUT] = "INSERT INTO checkpoints(size, note) VALUES($1::int8, $2::bytea)"
                 " ON CONFLICT (size) DO UPDATE SET note = excluded.note",
    [P_CP_GET] = "SELECT note FROM checkpoints WHERE size = $1::int8",
    [P_CP_LATEST] = "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1",
    [P_CP_SCAN] = "SELECT size, note FROM checkpoints WHERE size > $1::int8 ORDER BY size"
                  " LIMIT $2::int8",
#define COLS "id, item_first, item_n, dec_first, dec_n, paired, keys"
    [P_B_ITEM_AT] = "SELECT " COLS " FROM blocks WHERE item_n > 0 AND item_first <= $1::int8"
                    " ORDER BY item_first DESC LIMIT 1",
    [P_B_DEC_AT] = "SELECT " COLS " FROM blocks WHERE dec_n > 0 AND dec_first <= $1::int8"
                   " ORDER BY dec_first DESC LIMIT 1",
    [P_B_ITEM_SCAN] = "SELECT " COLS " FROM blocks WHERE item_n > 0 AND item_first >= $1::int8"
                      " AND item_first < $2::int8 ORDER BY item_first LIMIT $3::int8",
    [P_B_DEC_SCAN] = "SELECT " COLS " FROM blocks WHERE dec_n > 0 AND dec_first >= $1::int8"
                     " AND dec_first < $2::int8 ORDER BY dec_first LIMIT $3::int8",
    [P_B_DEC_DESC] = "SELECT " COLS " FROM blocks WHERE dec_n > 0 AND dec_first >= $1::int8"
                     " AND dec_first < $2::int8 ORDER BY dec_first DESC LIMIT $3::int8",
    [P_B_ITEM_MAX] = "SELECT item_first + item_n - 1 FROM blocks WHERE item_n > 0"
                     " ORDER BY item_first DESC LIMIT 1",
    [P_B_DEC_MAX] = "SELECT dec_first + dec_n - 1 FROM blocks WHERE dec_n > 0"
                    " ORDER BY dec_first DESC LIMIT 1",
    [P_B_DEC_KEYS] = "SELECT id, item_first, dec_first, dec_n, paired, keys FROM blocks"
                     " WHERE dec_n > 0 AND id > $1::int8 ORDER BY id LIMIT $2::int8",
    [P_B_KEY_GET] = "SELECT id FROM decision_keys WHERE key = $1::int8 ORDER BY id",
    [P_B_BLOCK] = "SELECT block FROM blocks WHERE id = $1::int8",
    [P_B_ROOTS] = "SELECT dec_first, dec_n, root FROM blocks WHERE dec_n > 0"
                  " AND dec_first >= $1::int8 AND dec_first < $2::int8 ORDER BY dec_first"
                  " LIMIT $3::int8",
    [P_B_ROW_MAX] = "SELECT coalesce(max(id), 0) FROM blocks",
    /* a lease is taken if it is new, expired, or the worker's own, and not done */
    [P_LEASE_CLAIM] = "INSERT INTO leases(input, worker, expires) VALUES($1::text, $2::text,"
                      " now() + make_interval(secs => $3::int8)) ON CONFLICT (input) DO UPDATE"
                      " SET worker = excluded.worker, expires = excluded.expires"
                      " WHERE NOT leases.done AND (leases.expires < now()"
                      " OR leases.worker = excluded.worker) RETURNING through",
    [P_LEASE_TAKEOVER] = "UPDATE leases SET worker = $2::text,"
                         " expires = now() + make_interval(secs => $3::int8) WHERE input = $1::text"
                         " AND NOT done AND expires < now() RETURNING through",
    [P_LEASE_SHOW] = "SELECT worker, done::int::int8, extract(epoch FROM expires - now())::float8::text"
                     " FROM leases WHERE input = $1::text",
    [P_STAGE_PUT] = "WITH l AS (UPDATE leases SET through = $3::int8, done = ($4::int8 <> 0),"
                    " expires = now() + make_interval(secs => $5::int8)"
                    " WHERE input = $1::text AND worker = $2::text RETURNING 1)"
                    " INSERT INTO staged(input, worker, through, done, source, path, format,"
                    " size, mtime, policy, version, n, entries, start) SELECT $1::text, $2::text,"
                    " $3::int8, ($4::int8 <> 0), $6::text, $7::text, $8::int8::int, $9::int8,"
                    " $10::int8, $11::text, $12::text, $13::int8, $14::bytea, $15::int8 FROM l"
                    " RETURNING id",
    [P_STAGE_SCAN] = "SELECT id, input, source, path, format::int8, size, mtime, policy, worker,"
                     " version, through, done::int::int8, n, entries, start FROM staged"
                     " WHERE id > $1::int8 ORDER BY id LIMIT $2::int8",
    [P_STAGE_DISCARD] = "WITH s AS (SELECT input, min(id) AS first FROM staged"
                        " WHERE policy <> $1::text GROUP BY input),"
                        " d AS (DELETE FROM staged t USING s WHERE t.input = s.input"
                        " AND t.id >= s.first RETURNING t.input, t.start),"
                        " m AS (SELECT input, min(start) AS start FROM d GROUP BY input)"
                        " UPDATE leases l SET through = m.start, done = false,"
                        " expires = now() - interval '1 second' FROM m WHERE l.input = m.input"
                        " RETURNING 1",
    [P_STAGE_DELETE] = "DELETE FROM staged WHERE id = $1::int8",
    [P_STAGE_COUNTS] = "SELECT (SELECT count(*) FROM staged)::int8,"
                       " (SELECT count(*) FROM leases WHERE NOT done)::int8",
#undef COLS
};

/* ---- parameters, results, errors ---- */

void
pg_i64(pg_args *a, int64_t v)
{
    int i = a->n++;
    for (int k = 0; k < 8; k++)
        a->i8[i][k] = (unsigned char)((uint64_t)v >> (56 - 8 * k));
    a->v[i] = (const char *)a->i8[i], a->len[i] = 8, a->fmt[i] = 1;
}

void
pg_bytes(pg_args *a, const void *p, size_t n)
{
    int i = a->n++;
    a->v[i] = p ? p : "", a->len[i] = (int)n, a->fmt[i] = 1;
}

void
pg_text(pg_args *a, const char *t)
{
    int i = a->n++;
    a->v[i] = t, a->len[i] = 0, a->fmt[i] = 0;
}

int64_t
pg_get_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
        return 0;
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = v << 8 | p[k];
    return (int64_t)v;
}

const void *
pg_get_bytes(const PGresult *r, int row, int col, size_t *n)
{
    *n = (size_t)PQgetlength(r, row, col);
    return PQgetvalue(r, row, col);
}

int
pg_copy_bytes(ex_store *s, const void *p, size_t n, uint8_t **data, size_t *len)
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

int
pg_dberr(ex_store *s, const PGresult *res, const char *what)
{
    pg_store *st = PG(s);
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!m || !*m)
        m = PQerrorMessage(st->c);
    char msg[600];
    snprintf(msg, sizeof msg, "%s", m && *m ? m : "unknown error");
    msg[strcspn(msg, "\n")] = '\0'; /* libpq's messages run on with DETAIL lines */
    if (strncmp(msg, "ERROR:  ", 8) == 0)
        memmove(msg, msg + 8, strlen(msg + 8) + 1);
    if (PQstatus(st->c) == CONNECTION_BAD)
        return ex_fail(&s->err, EX_EDB, "%s: the connection to PostgreSQL was lost: %s", what, msg);
    return ex_fail(&s->err, EX_EDB, "%s: %s", what, msg);
}

int
pg_exec(ex_store *s, const char *sql)
{
    PGresult *r = PQexec(PG(s)->c, sql);
    ExecStatusType t = PQresultStatus(r);
    int rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? EX_OK : pg_dberr(s, r, sql);
    PQclear(r);
    return rc;
}

static const char *
stmt_sql(int q, char *buf, size_t cap)
{
    return q < P_FIXED ? pg_sql[q] : pg_rec_sql((q - P_FIXED) / PR_N, (q - P_FIXED) % PR_N, buf, cap);
}

PGresult *
pg_run(ex_store *s, int q, const pg_args *a, const char *what, int *rc)
{
    pg_store *st = PG(s);
    char name[16];
    snprintf(name, sizeof name, "x%d", q);
    static const pg_args none = {0};
    if (!a)
        a = &none;
    if (!st->prepared[q]) {
        char buf[512];
        PGresult *p = PQprepare(st->c, name, stmt_sql(q, buf, sizeof buf), a->n, NULL);
        int ok = PQresultStatus(p) == PGRES_COMMAND_OK;
        if (!ok) {
            int e = pg_dberr(s, p, what);
            PQclear(p);
            if (rc)
                *rc = e;
            return NULL;
        }
        PQclear(p);
        st->prepared[q] = 1;
    }
    PGresult *r = PQexecPrepared(st->c, name, a->n, a->v, a->len, a->fmt, 1);
    ExecStatusType t = PQresultStatus(r);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        int e = pg_dberr(s, r, what);
        PQclear(r);
        if (rc)
            *rc = e;
        return NULL;
    }
    if (rc)
        *rc = EX_OK;
    return r;
}

int
pg_run_cmd(ex_store *s, int q, const pg_args *a, const char *what)
{
    int rc;
    PGresult *r = pg_run(s, q, a, what, &rc);
    PQclear(r);
    return rc;
}

/* ---- transactions ---- */

int
pg_begin(ex_store *s)
{
    pg_store *st = PG(s);
    char text[96];
    if (st->depth > 0)
        snprintf(text, sizeof text, "SAVEPOINT sp%d", st->depth);
    else if (st->read_only)
        snprintf(text, sizeof text, "BEGIN READ ONLY");
    else
        snprintf(text, sizeof text, "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITER_LOCK ")");
    int rc = pg_exec(s, text);
    if (rc != EX_OK && st->depth == 0)
        pg_exec(s, "ROLLBACK");
    if (rc == EX_OK)
        st->depth++;
    return rc;
}

int
pg_commit(ex_store *s)
{
    pg_store *st = PG(s);
    char text[32];
    if (st->depth == 0)
        return ex_fail(&s->err, EX_EDB, "commit without a transaction");
    if (st->depth == 1 && ex_json_guard_tripped()) /* core.h: jansson may have lost bytes */
        return ex_fail(&s->err, EX_ENOMEM, "out of memory in the JSON parser: a record it read "
                                           "may be incomplete, so this transaction is not "
                                           "committed");
    if (st->depth > 1)
        snprintf(text, sizeof text, "RELEASE sp%d", st->depth - 1);
    int rc = pg_exec(s, st->depth > 1 ? text : "COMMIT");
    if (rc == EX_OK && st->depth == 1 && PQtransactionStatus(st->c) != PQTRANS_IDLE)
        rc = ex_fail(&s->err, EX_EDB, "COMMIT: the transaction did not end");
    if (rc == EX_OK)
        st->depth--;
    return rc;
}

int
pg_rollback(ex_store *s)
{
    pg_store *st = PG(s);
    if (st->depth == 0)
        return EX_OK;
    int rc;
    if (st->depth > 1) {
        char text[64];
        snprintf(text, sizeof text, "ROLLBACK TO sp%d; RELEASE sp%d", st->depth - 1,
                 st->depth - 1);
        rc = pg_exec(s, text);
    } else {
        rc = PQtransactionStatus(st->c) == PQTRANS_IDLE ? EX_OK : pg_exec(s, "ROLLBACK");
    }
    st->depth--;
    return rc;
}

/* ---- metadata ---- */

static int
pg_meta_get_dup(ex_store *s, const char *key, char **value)
{
    pg_args a = {0};
    pg_text(&a, key);
    int rc;
    PGresult *r = pg_run(s, P_META_GET, &a, "read metadata", &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0)
        rc = ex_fail(&s->err, EX_ENOTFOUND, "no '%s' in ledger metadata", key);
    else if (!(*value = strdup(PQgetvalue(r, 0, 0))))
        rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

static int
pg_meta_put(ex_store *s, const char *key, const char *value)
{
    pg_args a = {0};
    pg_text(&a, key);
    pg_text(&a, value);
    return pg_run_cmd(s, P_META_PUT, &a, "write metadata");
}

static int
pg_read_memory(ex_store *s, size_t bytes)
{
    (void)s, (void)bytes; /* the server keeps what it reads; the client holds one page */
    return EX_OK;
}

static int
pg_enc_new(ex_store *s, ex_store_enc **out)
{
    (void)s;
    return ex_batch_enc_new(0, out);
}

static void
pg_close(ex_store *s)
{
    pg_store *st = PG(s);
    if (st->c && st->depth > 0 && PQstatus(st->c) == CONNECTION_OK)
        PQclear(PQexec(st->c, "ROLLBACK"));
    PQfinish(st->c);
    ex_blockrow_free(st->blk);
    free(st->url);
    free(st);
}

static int
rec_scan_all(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn, void *ctx)
{
    return PG_BLOCKED(table) ? pgb_scan(s, table, from, to, 0, NULL, fn, ctx)
                             : pg_rec_scan(s, table, from, to, fn, ctx);
}

static int
pg_drop_all(ex_store *s)
{
    if (PG(s)->depth > 0)
        return ex_fail(&s->err, EX_EDB, "drop_all inside a transaction");
    return pg_exec(s, "DROP SCHEMA exante CASCADE");
}

static const ex_store_ops pg_ops = {
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .meta_get_dup = pg_meta_get_dup,
    .meta_put = pg_meta_put,
    .entry_count = pg_entry_count,
    .entries_put = pg_entries_put,
    .entry_get_dup = pg_entry_get_dup,
    .entry_scan = pg_entry_scan,
    .tile_put = pg_tile_put,
    .tile_get = pg_tile_get,
    .tile_scan = pg_tile_scan,
    .checkpoint_put = pg_checkpoint_put,
    .checkpoint_get_dup = pg_checkpoint_get_dup,
    .checkpoint_scan = pg_checkpoint_scan,
    .rec_append = pg_rec_append,
    .rec_get_dup = pg_rec_get_dup,
    .rec_scan = rec_scan_all,
    .rec_scan_key = pg_rec_scan_key,
    .rec_insert_many = pg_rec_insert_many,
    .rec_put = pg_rec_put,
    .rec_max = pg_rec_max,
    .rec_keys = pg_rec_keys,
    .rec_read_at = pg_rec_read_at,
    .read_memory = pg_read_memory,
    .rec_scan_stored = pg_rec_scan_stored,
    .dec_new = pg_dec_new,
    .dec_free = pg_dec_free,
    .decode = pg_decode,
    .enc_new = pg_enc_new,
    .enc_free = ex_batch_enc_free,
    .encode_batch = ex_batch_encode,
    .batch_put = pgb_batch_put,
    .check_indexes = pgb_check,
    .dec_roots = pgb_dec_roots,
    .bulk = NULL,
    .lease_claim = pg_lease_claim,
    .stage_put = pg_stage_put,
    .stage_scan = pg_stage_scan,
    .stage_delete = pg_stage_delete,
    .stage_discard = pg_stage_discard,
    .seq_lock = pg_seq_lock,
    .stage_counts = pg_stage_counts,
    .drop_all = pg_drop_all,
};

/* ---- opening ---- */

int
ex_store_is_url(const char *where)
{
    return where && (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0);
}

/* The schema version the database has: 0 without exante's tables (*none: no meta table). */
static int
schema_version(ex_store *s, int *version, int *none)
{
    PGresult *r = PQexec(PG(s)->c, "SELECT to_regclass('meta') IS NULL");
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? EX_OK : pg_dberr(s, r, "read the schema");
    *none = rc == EX_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    *version = 0;
    if (rc != EX_OK || *none)
        return rc;
    char *v = NULL;
    rc = pg_meta_get_dup(s, "schema", &v);
    if (rc == EX_ENOTFOUND)
        return ex_fail(&s->err, EX_EDB, "the database has an exante schema without its version");
    if (rc == EX_OK)
        *version = atoi(v);
    free(v);
    return rc;
}

/* Bring the schema to EX_STORE_SCHEMA (create: from nothing), in one transaction. */
static int
migrate(ex_store *s, int create, int read_only, ex_err *err)
{
    int version, none;
    int rc = schema_version(s, &version, &none);
    if (rc != EX_OK)
        return ex_fail(err, rc, "%s", s->err.msg);
    if (create && !none)
        return ex_fail(err, EX_EEXIST, "the database already holds an exante ledger (schema %d)",
                       version);
    if (!create && none)
        return ex_fail(err, EX_ENOLEDGER, "the database holds no exante ledger (run 'exante "
                                          "init --db URL')");
    if (version > EX_STORE_SCHEMA)
        return ex_fail(err, EX_EDB, "ledger schema version %d is newer than this exante (%d)",
                       version, EX_STORE_SCHEMA);
    s->schema = version;
    if (version == EX_STORE_SCHEMA)
        return EX_OK;
    if (read_only)
        return ex_fail(err, EX_EDB, "ledger schema version %d needs migrating to %d: open it "
                                    "once for writing", version, EX_STORE_SCHEMA);
    rc = pg_begin(s);
    if (rc == EX_OK && create)
        rc = pg_exec(s, "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL)");
    for (size_t i = 0; rc == EX_OK && i < sizeof steps / sizeof *steps; i++) {
        if (steps[i].from != version)
            continue;
        char v[16];
        snprintf(v, sizeof v, "%d", steps[i].to);
        if ((rc = pg_exec(s, steps[i].sql)) == EX_OK && (rc = pg_meta_put(s, "schema", v)) == EX_OK)
            version = steps[i].to;
    }
    if (rc == EX_OK && version != EX_STORE_SCHEMA)
        rc = ex_fail(&s->err, EX_EDB, "no migration from schema %d", version);
    if (rc == EX_OK && (rc = pg_commit(s)) == EX_OK)
        s->schema = EX_STORE_SCHEMA;
    if (rc != EX_OK) {
        ex_err keep = s->err;
        pg_rollback(s);
        return ex_fail(err, rc, "cannot %s the ledger schema: %s", create ? "create" : "migrate",
                       keep.msg);
    }
    return EX_OK;
}

int
ex_store_url_check(const char *url, ex_err *err)
{
    char *perr = NULL;
    PQconninfoOption *info = PQconninfoParse(url, &perr);
    if (!info) {
        const char *m = perr ? perr : "out of memory";
        int rc = ex_fail(err, EX_EINVAL, "not a PostgreSQL connection URL: %.*s",
                         (int)strcspn(m, "\n"), m);
        PQfreemem(perr);
        return rc;
    }
    PQconninfoFree(info);
    return EX_OK;
}

int
ex_store_open_pg(const char *url, const ex_store_opts *opts, ex_store **out, ex_err *err)
{
    static const ex_store_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    ex_json_guard_install();
    int rc = ex_store_url_check(url, err);
    if (rc != EX_OK)
        return rc;
    pg_store *st = calloc(1, sizeof *st);
    if (!st || !(st->url = strdup(url))) {
        free(st);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    st->base.ops = &pg_ops;
    st->read_only = opts->read_only;
    st->c = PQconnectdb(url);
    if (PQstatus(st->c) != CONNECTION_OK) {
        const char *m = st->c ? PQerrorMessage(st->c) : "out of memory";
        rc = ex_fail(err, EX_EDB, "cannot connect to PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
        goto out;
    }
    if (PQserverVersion(st->c) < 150000) {
        rc = ex_fail(err, EX_EDB, "PostgreSQL %d.%d is older than 15", PQserverVersion(st->c) / 10000,
                     PQserverVersion(st->c) % 10000);
        goto out;
    }
    /* the tables live in a schema of their own; a writer waits 10 s for another, as SQLite's */
    char setup[256];
    snprintf(setup, sizeof setup,
             "SET client_min_messages = warning; %s SET search_path = exante;"
             " SET lock_timeout = '10s';%s",
             opts->create ? "CREATE SCHEMA IF NOT EXISTS exante;" : "",
             opts->read_only ? " SET default_transaction_read_only = on;" : "");
    if ((rc = pg_exec(&st->base, setup)) != EX_OK) {
        rc = ex_fail(err, rc, "cannot open the ledger database: %s", st->base.err.msg);
        goto out;
    }
    if ((rc = migrate(&st->base, opts->create, opts->read_only, err)) != EX_OK)
        goto out;
    *out = &st->base;
    return EX_OK;
out:
    pg_close(&st->base);
    return rc;
}
