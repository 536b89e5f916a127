/* test_pack.c - packed records (src/store/pack.c): what is packed unpacks to the same bytes;
 * records of other tables and unpacked records pass through; damaged, truncated or foreign
 * frames are refused with a reason, never read past; the dictionaries are the ones every
 * packed record in every ledger of schema 4 to 7 depends on; the store hands such a ledger's
 * packed and unpacked rows back the same, and migrating it puts them into blocks unchanged. */
#include "t.h"

#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "store/pack.h"
#include "store/store.h"

extern const unsigned char ex_dict_items[], ex_dict_decisions[];
extern const size_t ex_dict_items_len, ex_dict_decisions_len;

static const char *const records[] = {
    "{\"digest\":\"sha256:d2d66281257bf97917aaa0a004bd596c18f532b39f7c58d8564714cf2334c199\","
    "\"fetched\":\"2025-06-22T17:26:31Z\",\"file\":\"s.jsonl\",\"license\":\"Apache-2.0\","
    "\"line\":1,\"offset\":0,\"record_id\":\"doc-000000000001\",\"size\":165,\"source\":\"web\","
    "\"type\":\"item\",\"url\":\"https://www.site48110.example/book/1.html\"}",
    "{\"digest\":\"sha256:93a441747283fa25bec07e45cdc20765056bde0095aaa1ad6be2df388ab749b8\","
    "\"item\":2,\"policy\":null,\"provenance\":\"sha256:a7f2b4c5873c7dca5e66deaa0f420cda2224b3af"
    "a805138495703226151ebec2\",\"reason\":\"no policy adopted yet: pending until 'exante "
    "reevaluate' decides it under an adopted policy\",\"rule\":\"no-policy\",\"source\":\"web\","
    "\"type\":\"decision\",\"verdict\":\"pending\"}",
    "{}",
    "",
    "{\"text\":\"\xc3\xa9\xe2\x82\xac \\u0000 binary-ish \\\"quoted\\\"\"}",
};

static void
hex(const unsigned char *d, size_t n, char *out)
{
    unsigned char md[32];
    SHA256(d, n, md);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

typedef struct seen {
    int n;
    char got[4][512];
} seen;

/* a visitor that reads the store again (a get, and a scan of packed rows) while its own
 * unpacked record is in use, then checks that record is still what it was */
typedef struct nested {
    ex_store *st;
    int ok, visits;
} nested;

static int
count(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)ctx, (void)id, (void)key, (void)data, (void)len;
    return EX_OK;
}

static int
reenter(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    nested *n = ctx;
    char before[512];
    if (len >= sizeof before)
        return EX_ERANGE;
    memcpy(before, data, len);
    uint8_t *got;
    size_t glen;
    int rc = n->st->ops->rec_get_dup(n->st, EX_TAB_ITEMS, id == 1 ? 2 : 1, NULL, &got, &glen);
    if (rc == EX_OK)
        free(got);
    if (rc == EX_OK)
        rc = n->st->ops->rec_scan(n->st, EX_TAB_DECISIONS, 1, 10, count, NULL);
    n->visits++;
    n->ok += rc == EX_OK && memcmp(before, data, len) == 0;
    return rc;
}

static int
keep(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id, (void)key;
    seen *s = ctx;
    if (s->n < 4 && len < 512) {
        memcpy(s->got[s->n], data, len);
        s->got[s->n][len] = 0;
    }
    s->n++;
    return EX_OK;
}

/* Turn the new (empty) database at path into one of schema 7 (before blocks) holding item 1
 * (packed: item, ilen bytes), item 2 (records[4], plain) and decision 1 (packed, about item
 * 2): the tables an older build made, written with SQLite alone. */
static int
make_v7(const char *path, const void *item, size_t ilen, const void *dec, size_t dlen)
{
    sqlite3 *c;
    sqlite3_stmt *q = NULL;
    int ok = sqlite3_open(path, &c) == SQLITE_OK;
    if (ok)
        ok = sqlite3_exec(c,
                          "DROP TABLE blocks; DROP TABLE decision_keys;"
                          "CREATE TABLE items(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
                          " record BLOB NOT NULL);"
                          "CREATE TABLE decisions(id INTEGER PRIMARY KEY, key INTEGER NOT NULL,"
                          " record BLOB NOT NULL);"
                          "CREATE INDEX decisions_item ON decisions(key);"
                          "PRAGMA user_version = 7;",
                          NULL, NULL, NULL) == SQLITE_OK;
    const void *recs[3] = {item, records[4], dec};
    size_t lens[3] = {ilen, strlen(records[4]), dlen};
    for (int i = 0; ok && i < 3; i++) {
        ok = sqlite3_prepare_v2(c,
                                i < 2 ? "INSERT OR REPLACE INTO items(id, key, record) VALUES(?1, 7, ?2)"
                                      : "INSERT OR REPLACE INTO decisions(id, key, record) VALUES(1, 2, ?2)",
                                -1, &q, NULL) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_int64(q, 1, i + 1);
            sqlite3_bind_blob(q, 2, recs[i], (int)lens[i], SQLITE_STATIC);
            ok = sqlite3_step(q) == SQLITE_DONE;
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(c);
    return ok ? EX_OK : EX_EDB;
}

int
main(void)
{
    /* the shipped dictionaries: changing one would make every ledger packed with it
     * unreadable; a new one gets a new id (scripts/gen-dicts.sh) */
    char h[65];
    hex(ex_dict_items, ex_dict_items_len, h);
    CHECK_STR(h, "88d43a6ac5f31d77d7ddf67b920fd1a195ea35519b1d76c7f28e87286b61e027");
    hex(ex_dict_decisions, ex_dict_decisions_len, h);
    CHECK_STR(h, "30f411d5b034481d0d21a6c81326d18d6aaa87090e9f3b51610c804befaea99b");

    ex_packer *p;
    CHECK_RC(ex_packer_new(&p), EX_OK);
    ex_err e = {0};
    const void *out;
    size_t n;
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++) {
        const char *r = records[i];
        size_t len = strlen(r);
        int tables[] = {EX_TAB_ITEMS, EX_TAB_DECISIONS, EX_TAB_SOURCES};
        for (int t = 0; t < 3; t++) {
            ex_buf b = {0};
            CHECK_RC(ex_pack(p, tables[t], r, len, &b), EX_OK);
            CHECK(ex_packed(b.data, b.len) == (tables[t] != EX_TAB_SOURCES));
            CHECK_RC(ex_unpack(p, b.data, b.len, &out, &n, &e), EX_OK);
            CHECK(n == len && memcmp(out, r, len) == 0);
            CHECK(((const char *)out)[n] == 0 || !ex_packed(b.data, b.len));
            /* a frame cut anywhere is refused, never read past */
            if (tables[t] != EX_TAB_SOURCES)
                for (size_t cut = 4; cut < b.len; cut++) {
                    e.msg[0] = 0;
                    CHECK_RC(ex_unpack(p, b.data, cut, &out, &n, &e), EX_EFORMAT);
                    CHECK(strstr(e.msg, "damaged record") != NULL);
                }
            ex_buf_free(&b);
        }
    }
    /* small records pack well: the item and decision above to under half */
    ex_buf b = {0};
    CHECK_RC(ex_pack(p, EX_TAB_ITEMS, records[0], strlen(records[0]), &b), EX_OK);
    CHECK(b.len * 2 < strlen(records[0]));
    size_t item_len = b.len;
    CHECK_RC(ex_pack(p, EX_TAB_DECISIONS, records[1], strlen(records[1]), &b), EX_OK);
    CHECK((b.len - item_len) * 2 < strlen(records[1]));
    /* a frame naming a dictionary this build lacks (byte 5: the 1-byte dictionary id) */
    b.data[5] = 9;
    CHECK_RC(ex_unpack(p, b.data, item_len, &out, &n, &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "dictionary 9") != NULL);
    ex_buf_free(&b);
    /* a frame that claims more than EX_PACK_MAX: refused before anything is allocated
     * (magic, descriptor: 8-byte content size, checksum, no dictionary; window byte; size) */
    unsigned char big[16] = {0x28, 0xB5, 0x2F, 0xFD, 0xC4, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    CHECK_RC(ex_unpack(p, big, 14, &out, &n, &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "unpacks to") != NULL);
    /* a record over EX_PACK_MAX is not packed (its bytes are not read) */
    ex_buf none = {0};
    CHECK_RC(ex_pack(p, EX_TAB_ITEMS, "", (size_t)EX_PACK_MAX + 1, &none), EX_EINVAL);
    CHECK(none.len == 0);
    /* not a frame: passed through as it is */
    CHECK_RC(ex_unpack(p, "{\"a\":1}", 7, &out, &n, &e), EX_OK);
    CHECK(n == 7 && memcmp(out, "{\"a\":1}", 7) == 0);
    CHECK(!ex_packed("\x28\xB5\x2F", 3));
    /* a frame without a checksum is not one this store wrote */
    big[4] = 0x20, big[5] = 2, big[6] = 'h', big[7] = 'i';
    CHECK_RC(ex_unpack(p, big, 8, &out, &n, &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "size and checksum") != NULL);

    /* a store reads an older ledger's packed and unpacked rows of one table alike, in scans
     * and gets; migrating it moves them into blocks, byte for byte */
    char dir[] = "/tmp/exante-test-pack.XXXXXX", db[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/v7.db", dir);
    ex_store *st = NULL;
    CHECK_RC(ex_store_open_sqlite(db, &(ex_store_opts){.create = 1}, &st, &e), EX_OK);
    ex_store_close(st);
    ex_buf rows = {0}, drow = {0};
    CHECK_RC(ex_pack(p, EX_TAB_ITEMS, records[0], strlen(records[0]), &rows), EX_OK);
    CHECK_RC(ex_pack(p, EX_TAB_DECISIONS, records[1], strlen(records[1]), &drow), EX_OK);
    size_t plen = rows.len;
    CHECK_RC(make_v7(db, rows.data, plen, drow.data, drow.len), EX_OK);
    CHECK_RC(ex_store_open_sqlite(db, &(ex_store_opts){.read_only = 1}, &st, &e), EX_OK);
    if (st) {
        CHECK(st->schema == 7);
        seen s = {0};
        CHECK_RC(st->ops->rec_scan(st, EX_TAB_ITEMS, 1, 3, keep, &s), EX_OK);
        CHECK(s.n == 2);
        CHECK_STR(s.got[0], records[0]);
        CHECK_STR(s.got[1], records[4]);
        uint8_t *got;
        size_t glen;
        CHECK_RC(st->ops->rec_get_dup(st, EX_TAB_ITEMS, 1, NULL, &got, &glen), EX_OK);
        CHECK(glen == strlen(records[0]) && memcmp(got, records[0], glen) == 0);
        free(got);
        /* reads nested inside a scan leave the scanned record alone */
        nested nn = {st, 0, 0};
        CHECK_RC(st->ops->rec_scan(st, EX_TAB_ITEMS, 1, 3, reenter, &nn), EX_OK);
        CHECK(nn.visits == 2 && nn.ok == 2);
        ex_store_close(st);
    }
    /* opened for writing, it is migrated: the same records, now in a block */
    CHECK_RC(ex_store_open_sqlite(db, NULL, &st, &e), EX_OK);
    if (st) {
        CHECK(st->schema == EX_STORE_SCHEMA);
        seen s = {0}, d = {0};
        CHECK_RC(st->ops->rec_scan(st, EX_TAB_ITEMS, 1, 3, keep, &s), EX_OK);
        CHECK(s.n == 2);
        CHECK_STR(s.got[0], records[0]);
        CHECK_STR(s.got[1], records[4]);
        CHECK_RC(st->ops->rec_scan_key(st, EX_TAB_DECISIONS, 2, keep, &d), EX_OK);
        CHECK(d.n == 1);
        CHECK_STR(d.got[0], records[1]);
        uint64_t max = 0;
        CHECK_RC(st->ops->rec_max(st, EX_TAB_DECISIONS, &max), EX_OK);
        CHECK(max == 1);
        ex_store_close(st);
    }
    /* a damaged row: a read fails and names the table and row; so does the migration, which
     * then leaves the ledger as it was */
    rows.data[plen - 2] ^= 0x55;
    unlink(db);
    CHECK_RC(ex_store_open_sqlite(db, &(ex_store_opts){.create = 1}, &st, &e), EX_OK);
    ex_store_close(st);
    CHECK_RC(make_v7(db, rows.data, plen, drow.data, drow.len), EX_OK);
    CHECK_RC(ex_store_open_sqlite(db, &(ex_store_opts){.read_only = 1}, &st, &e), EX_OK);
    if (st) {
        uint8_t *got;
        size_t glen;
        int rc = st->ops->rec_get_dup(st, EX_TAB_ITEMS, 1, NULL, &got, &glen);
        CHECK(rc == EX_EFORMAT);
        if (rc == EX_OK)
            free(got);
        CHECK(strstr(ex_store_errmsg(st), "items record 1: damaged record") != NULL);
        ex_store_close(st);
    }
    st = NULL;
    CHECK_RC(ex_store_open_sqlite(db, NULL, &st, &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "cannot migrate ledger schema: items record 1: damaged record") != NULL);
    ex_store_close(st);
    CHECK_RC(ex_store_open_sqlite(db, &(ex_store_opts){.read_only = 1}, &st, &e), EX_OK);
    if (st)
        CHECK(st->schema == 7);
    ex_store_close(st);
    ex_buf_free(&rows);
    ex_buf_free(&drow);
    unlink(db);
    rmdir(dir);
    ex_packer_free(p);
    return t_done("test_pack");
}
