/* sqlite_record.c - a SQLite extension for reading a ledger with the sqlite3 shell.
 *
 * Item and decision records are stored packed (src/store/pack.h), so SQL sees zstd frames in
 * their `record` column. Loaded into sqlite3, this adds record(BLOB): the canonical JSON of a
 * stored record (packed or not) as text, ready for SQLite's JSON functions:
 *
 *   sqlite3 -cmd '.load /usr/local/lib/exante/exante_sqlite' .exante/ledger.db \
 *     "SELECT json_extract(record(record), '$.url') FROM items LIMIT 3"
 *
 * A damaged frame is an SQL error naming what is wrong; NULL gives NULL. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "store/pack.h"

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
    ex_packer *pk = sqlite3_user_data(cx);
    const void *rec;
    size_t n;
    ex_err e = {0};
    if (ex_unpack(pk, data ? data : "", len, &rec, &n, &e) != EX_OK) {
        sqlite3_result_error(cx, e.msg, -1);
        return;
    }
    sqlite3_result_text(cx, rec, (int)n, SQLITE_TRANSIENT);
}

static void
free_packer(void *p)
{
    ex_packer_free(p);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int
sqlite3_exantesqlite_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
    SQLITE_EXTENSION_INIT2(api);
    ex_packer *pk;
    if (ex_packer_new(&pk) != EX_OK) {
        *errmsg = sqlite3_mprintf("exante_sqlite: out of memory");
        return SQLITE_NOMEM;
    }
    return sqlite3_create_function_v2(db, "record", 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, pk,
                                      record_fn, NULL, NULL, free_packer);
}
