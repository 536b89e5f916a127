/* sqlite_record.c - a SQLite extension for reading a ledger with the sqlite3 shell.
 *
 * Item and decision records are stored packed (src/store/pack.h), so SQL sees zstd frames in
 * their `record` column. Loaded into sqlite3, this adds record(BLOB): the canonical JSON of a
 * stored record (packed or not) as text, ready for SQLite's JSON functions:
 *
 *   sqlite3 -cmd '.load /usr/local/lib/exante/exante_sqlite' .exante/ledger.db \
 *     "SELECT json_extract(record(record), '$.url') FROM items LIMIT 3"
 *
 * and, for blocks (src/store/block.h, docs/FORMATS.md "Blocks"), block_count(BLOB), the number
 * of records a block holds, and block_record(BLOB, I), its record I (from 0) as text. The
 * last block opened is kept, so reading each record of one block in turn decompresses it
 * once.
 *
 * A ledger of schema 8 keeps items and decisions in blocks; the module's tables exante_items
 * and exante_decisions (sqlite_blocks.c) give them back as rows (id, key, record), and on such
 * a ledger it makes the temporary views items and decisions over them.
 *
 * A damaged frame is an SQL error naming what is wrong; NULL gives NULL. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdlib.h>
#include <string.h>

#include "store/block.h"
#include "store/pack.h"

/* sqlite_blocks.c: the exante_items and exante_decisions tables, and the views over them */
int exante_blocks_init(sqlite3 *db);

typedef struct ext {
    ex_packer *pk;
    ex_block_dec *dec;
    void *last; /* a copy of the block dec holds, NULL: none */
    size_t last_len;
    int refs;   /* the functions holding it, and the init while it runs */
} ext;

static void
record_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(cx);
        return;
    }
    const void *data = sqlite3_value_blob(argv[0]);
    size_t len = (size_t)sqlite3_value_bytes(argv[0]);
    ex_packer *pk = ((ext *)sqlite3_user_data(cx))->pk;
    const void *rec;
    size_t n;
    ex_err e = {0};
    if (ex_unpack(pk, data ? data : "", len, &rec, &n, &e) != EX_OK) {
        sqlite3_result_error(cx, e.msg, -1);
        return;
    }
    sqlite3_result_text(cx, rec, (int)n, SQLITE_TRANSIENT);
}

/* the block in argv[0] open in x->dec: 1, or 0 with the SQL result set (NULL or an error) */
static int
open_block(sqlite3_context *cx, ext *x, sqlite3_value *v)
{
    if (sqlite3_value_type(v) == SQLITE_NULL) {
        sqlite3_result_null(cx);
        return 0;
    }
    const void *data = sqlite3_value_blob(v);
    size_t len = (size_t)sqlite3_value_bytes(v);
    if (x->last && len == x->last_len && memcmp(data, x->last, len) == 0)
        return 1;
    free(x->last);
    x->last = NULL;
    ex_err e = {0};
    if (ex_block_open(x->dec, data ? data : "", len, &e) != EX_OK) {
        sqlite3_result_error(cx, e.msg, -1);
        return 0;
    }
    if ((x->last = malloc(len ? len : 1)) != NULL) {
        memcpy(x->last, data ? data : "", len);
        x->last_len = len;
    }
    return 1;
}

static void
block_count_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ext *x = sqlite3_user_data(cx);
    if (open_block(cx, x, argv[0]))
        sqlite3_result_int64(cx, (sqlite3_int64)ex_block_count(x->dec));
}

static void
block_record_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    ext *x = sqlite3_user_data(cx);
    if (!open_block(cx, x, argv[0]))
        return;
    sqlite3_int64 i = sqlite3_value_int64(argv[1]);
    const void *rec;
    size_t n;
    if (i < 0 || ex_block_get(x->dec, (size_t)i, &rec, &n) != EX_OK) {
        sqlite3_result_error(cx, "block_record: no such record in the block", -1);
        return;
    }
    sqlite3_result_text(cx, n ? rec : "", (int)n, SQLITE_TRANSIENT);
}

/* a function holding x is gone (SQLite's xDestroy; x->refs are counted on one connection's
 * thread of control) */
static void
release(void *p)
{
    ext *x = p;
    if (--x->refs > 0)
        return;
    ex_packer_free(x->pk);
    ex_block_dec_free(x->dec);
    free(x->last);
    free(x);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int
sqlite3_exantesqlite_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
    SQLITE_EXTENSION_INIT2(api);
    ext *x = calloc(1, sizeof *x);
    if (x)
        x->refs = 1;
    if (!x || ex_packer_new(&x->pk) != EX_OK || ex_block_dec_new(&x->dec) != EX_OK) {
        if (x)
            release(x);
        *errmsg = sqlite3_mprintf("exante_sqlite: out of memory");
        return SQLITE_NOMEM;
    }
    static const struct {
        const char *name;
        int args;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
    } fns[] = {{"record", 1, record_fn},
               {"block_count", 1, block_count_fn},
               {"block_record", 2, block_record_fn}};
    int rc = SQLITE_OK;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0] && rc == SQLITE_OK; i++) {
        x->refs++; /* SQLite releases it, also when it cannot make the function */
        rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].args,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, x,
                                        fns[i].fn, NULL, NULL, release);
    }
    release(x);
    if (rc == SQLITE_OK && (rc = exante_blocks_init(db)) != SQLITE_OK)
        *errmsg = sqlite3_mprintf("exante_sqlite: %s", sqlite3_errmsg(db));
    return rc;
}
