/* test_store.c - the SQLite store.
 *
 * Its record encoding: records encoded with the store's encoder (on a thread of its own, as
 * the ingest does) and inserted with rec_insert_many read back byte for byte through
 * rec_get_dup, rec_scan and rec_scan_key; item and decision rows hold packed records (the
 * bytes ex_pack makes, so ledgers do not change), other tables' rows the records as they are.
 * rec_scan_stored gives the rows a filter wants, newest first, as stored, and a decoder on
 * another thread reads them back byte for byte; a damaged one it refuses, naming the row.
 *
 * Its bulk mode: with WAL checkpoints on their own thread, a long run of batches keeps the WAL
 * bounded (it starts over again and again), every record lands, and after bulk mode ends
 * SQLite's own checkpoints take over. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exante.h"
#include "store/pack.h"
#include "store/store.h"
#include "t.h"

#define BATCHES 240
#define PER_BATCH 1000
#define REC_BYTES 800

static off_t
file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* record i: REC_BYTES of text that differ from record to record (no page is all zeros) */
static void
record(uint64_t i, char *out)
{
    uint64_t x = i * 0x9e3779b97f4a7c15ull + 1;
    for (int k = 0; k < REC_BYTES; k++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        out[k] = (char)('a' + (x * 0x2545f4914f6cdd1dull >> 59));
    }
}

static int
count_cb(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    uint64_t *n = ctx;
    char want[REC_BYTES];
    record(id, want);
    if (key != (int64_t)id || len != REC_BYTES || memcmp(data, want, REC_BYTES) != 0)
        return EX_EFORMAT;
    (*n)++;
    return EX_OK;
}

/* ---- the record encoding ---- */

#define NREC 300 /* more than one multi-row insert (256 rows) */

typedef struct plain {
    int table;
    char rec[NREC][400];
    size_t len[NREC];
} plain;

/* record i of a table: canonical JSON like the ledger's, different from record to record */
static void
make_records(plain *p, int table)
{
    p->table = table;
    for (int i = 0; i < NREC; i++) {
        int n;
        if (table == EX_TAB_ITEMS)
            n = snprintf(p->rec[i], sizeof p->rec[i],
                         "{\"digest\":\"sha256:%064x\",\"fetched\":\"2025-06-22T17:26:31Z\","
                         "\"file\":\"s.jsonl\",\"license\":\"MIT\",\"line\":%d,\"offset\":%d,"
                         "\"size\":%d,\"source\":\"web\",\"type\":\"item\","
                         "\"url\":\"https://www.site%d.example/%d.html\"}",
                         i * 7919, i + 1, i * 165, 100 + i, i % 13, i);
        else if (table == EX_TAB_DECISIONS)
            n = snprintf(p->rec[i], sizeof p->rec[i],
                         "{\"item\":%d,\"policy\":null,\"provenance\":\"sha256:%064x\","
                         "\"reason\":\"no policy adopted yet\",\"rule\":\"no-policy\","
                         "\"source\":\"web\",\"type\":\"decision\",\"verdict\":\"pending\"}",
                         i + 1, i * 104729);
        else
            n = snprintf(p->rec[i], sizeof p->rec[i],
                         "{\"name\":\"source-%d\",\"type\":\"source\"}", i);
        p->len[i] = (size_t)n;
    }
}

typedef struct encoding {
    ex_store *s;
    const plain *p;
    ex_buf out;     /* the stored forms, back to back */
    size_t off[NREC], len[NREC];
    int rc;
} encoding;

/* on a thread of its own, with an encoder of its own (made and freed there) */
static void *
encode_main(void *arg)
{
    encoding *c = arg;
    ex_store_enc *e = NULL;
    c->rc = c->s->ops->enc_new(c->s, &e);
    for (int i = 0; c->rc == EX_OK && i < NREC; i++) {
        c->off[i] = c->out.len;
        c->rc = c->s->ops->encode(e, c->p->table, c->p->rec[i], c->p->len[i], &c->out);
        c->len[i] = c->out.len - c->off[i];
    }
    c->s->ops->enc_free(e);
    return NULL;
}

typedef struct reading {
    const plain *p;
    uint64_t next; /* the id expected next */
    int bad;
} reading;

static int
read_cb(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    reading *r = ctx;
    size_t i = (size_t)id - 1;
    if (id != r->next++ || i >= NREC || key != (int64_t)id * 3 || len != r->p->len[i] ||
        memcmp(data, r->p->rec[i], len) != 0)
        r->bad++;
    return EX_OK;
}

/* rec_scan_stored: the rows wanted, as stored, newest first; decoded on another thread */
typedef struct stored {
    ex_store *s;
    const plain *p;
    int table;
    uint64_t asked, stop_at; /* the last id asked about; stop_at: want stops the scan there */
    int bad;
    ex_buf rows; /* the stored forms visited, back to back */
    size_t off[NREC], len[NREC], n;
    uint64_t id[NREC];
    int decoded_ok, rc;
} stored;

static int
want_odd(void *ctx, uint64_t id, int64_t key)
{
    stored *c = ctx;
    if ((c->asked && id != c->asked - 1) || key != (int64_t)id * 3)
        c->bad++;
    c->asked = id;
    if (id == c->stop_at)
        return EX_ERANGE;
    return id % 2 == 1;
}

static int
keep_stored(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    stored *c = ctx;
    if (id % 2 != 1 || key != (int64_t)id * 3 || c->n == NREC)
        c->bad++;
    else {
        c->off[c->n] = c->rows.len;
        c->len[c->n] = len;
        c->id[c->n++] = id;
        if (ex_buf_put(&c->rows, data, len) != EX_OK)
            c->bad++;
    }
    return EX_OK;
}

static void *
decode_main(void *arg)
{
    stored *c = arg;
    ex_store_dec *d = NULL;
    const ex_store_ops *o = c->s->ops;
    c->rc = o->dec_new(c->s, &d);
    for (size_t i = 0; c->rc == EX_OK && i < c->n; i++) {
        const void *rec;
        size_t rlen;
        size_t k = (size_t)c->id[i] - 1;
        c->rc = o->decode(d, c->table, c->id[i], c->rows.data + c->off[i], c->len[i], &rec, &rlen,
                          NULL);
        if (c->rc == EX_OK && rlen == c->p->len[k] && memcmp(rec, c->p->rec[k], rlen) == 0)
            c->decoded_ok++;
    }
    o->dec_free(d);
    return NULL;
}

static void
test_stored(ex_store *s, const plain *p, int table)
{
    stored c = {.s = s, .p = p, .table = table};
    CHECK_RC(s->ops->rec_scan_stored(s, table, 2, NREC, want_odd, keep_stored, &c), EX_OK);
    /* asked about NREC-1 down to 2, newest first; visited the odd ones, as stored */
    CHECK(c.bad == 0 && c.asked == 2 && c.n == (NREC - 2) / 2);
    CHECK(c.n > 0 && c.id[0] == NREC - 1 && c.id[c.n - 1] == 3);
    CHECK(c.n > 0 && ex_packed(c.rows.data, c.len[0]) == (table != EX_TAB_SOURCES));
    pthread_t th;
    CHECK(pthread_create(&th, NULL, decode_main, &c) == 0);
    pthread_join(th, NULL);
    CHECK_RC(c.rc, EX_OK);
    CHECK(c.decoded_ok == (int)c.n);
    /* want stops the scan with its code */
    stored d = {.s = s, .p = p, .table = table, .stop_at = 100};
    CHECK_RC(s->ops->rec_scan_stored(s, table, 1, UINT64_MAX, want_odd, keep_stored, &d),
             EX_ERANGE);
    CHECK(d.bad == 0 && d.asked == 100 && d.n == (NREC - 100) / 2);
    ex_buf_free(&c.rows);
    ex_buf_free(&d.rows);
}

/* the row as SQLite holds it, through a connection of the test's own */
static int
raw_row(const char *db, const char *table, int id, ex_buf *out)
{
    sqlite3 *c;
    sqlite3_stmt *q = NULL;
    char text[80];
    snprintf(text, sizeof text, "SELECT record FROM %s WHERE id = %d", table, id);
    int rc = EX_EDB;
    if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(c, text, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(q, 0);
        rc = ex_buf_put(out, p, (size_t)sqlite3_column_bytes(q, 0));
    }
    sqlite3_finalize(q);
    sqlite3_close(c);
    return rc;
}

static void
test_encoding(const char *dir)
{
    char db[128];
    snprintf(db, sizeof db, "%s/encoding.db", dir);
    ex_err e = {0};
    ex_store *s = NULL;
    CHECK_RC(ex_store_open_sqlite(db, &(ex_store_opts){.create = 1}, &s, &e), EX_OK);
    if (!s)
        return;
    CHECK(s->ops->enc_new && s->ops->enc_free && s->ops->encode);
    static plain recs[3];
    static const int tables[3] = {EX_TAB_ITEMS, EX_TAB_DECISIONS, EX_TAB_SOURCES};
    static const char *const names[3] = {"items", "decisions", "sources"};
    ex_packer *pk;
    CHECK_RC(ex_packer_new(&pk), EX_OK);
    for (int t = 0; t < 3; t++) {
        plain *p = &recs[t];
        make_records(p, tables[t]);
        encoding c = {.s = s, .p = p};
        pthread_t th;
        CHECK(pthread_create(&th, NULL, encode_main, &c) == 0);
        pthread_join(th, NULL);
        CHECK_RC(c.rc, EX_OK);
        if (c.rc != EX_OK)
            continue;
        int stored_packed = tables[t] != EX_TAB_SOURCES;
        const void *data[NREC];
        int64_t keys[NREC];
        int same_as_pack = 0, as_packed = 0;
        for (int i = 0; i < NREC; i++) {
            data[i] = c.out.data + c.off[i];
            keys[i] = (i + 1) * 3;
            as_packed += ex_packed(data[i], c.len[i]) == stored_packed;
            /* ex_pack's bytes exactly: the stored form of ledgers written before */
            ex_buf b = {0};
            if (ex_pack(pk, tables[t], p->rec[i], p->len[i], &b) == EX_OK && b.len == c.len[i] &&
                memcmp(b.data, data[i], b.len) == 0)
                same_as_pack++;
            ex_buf_free(&b);
        }
        CHECK(as_packed == NREC);
        CHECK(same_as_pack == NREC);
        if (!stored_packed)
            CHECK(c.len[7] == p->len[7] && memcmp(data[7], p->rec[7], p->len[7]) == 0);
        CHECK_RC(s->ops->rec_insert_many(s, tables[t], 1, NREC, keys, data, c.len), EX_OK);

        /* the rows hold the encoded forms */
        for (int id = 1; id <= NREC; id += NREC - 1) {
            ex_buf row = {0};
            CHECK_RC(raw_row(db, names[t], id, &row), EX_OK);
            CHECK(row.len == c.len[id - 1] && memcmp(row.data, data[id - 1], row.len) == 0);
            CHECK(ex_packed(row.data, row.len) == stored_packed);
            ex_buf_free(&row);
        }
        /* and every read gives back the plain records */
        int got_ok = 0;
        for (int i = 0; i < NREC; i++) {
            uint8_t *got = NULL;
            size_t glen = 0;
            int64_t key = 0;
            if (s->ops->rec_get_dup(s, tables[t], (uint64_t)i + 1, &key, &got, &glen) == EX_OK &&
                key == keys[i] && glen == p->len[i] && memcmp(got, p->rec[i], glen) == 0 &&
                got[glen] == 0)
                got_ok++;
            free(got);
        }
        CHECK(got_ok == NREC);
        reading r = {p, 1, 0};
        CHECK_RC(s->ops->rec_scan(s, tables[t], 1, UINT64_MAX, read_cb, &r), EX_OK);
        CHECK(r.next == NREC + 1 && r.bad == 0);
        r = (reading){p, 42, 0};
        CHECK_RC(s->ops->rec_scan_key(s, tables[t], 42 * 3, read_cb, &r), EX_OK);
        CHECK(r.next == 43 && r.bad == 0);
        test_stored(s, p, tables[t]);
        ex_buf_free(&c.out);
    }
    ex_packer_free(pk);

    /* a record over the limit is refused and leaves out as it was; enc_free takes NULL */
    ex_store_enc *enc = NULL;
    CHECK_RC(s->ops->enc_new(s, &enc), EX_OK);
    if (enc) {
        ex_buf out = {0};
        CHECK_RC(ex_buf_put(&out, "x", 1), EX_OK);
        CHECK_RC(s->ops->encode(enc, EX_TAB_ITEMS, "", (size_t)EX_PACK_MAX + 1, &out), EX_EINVAL);
        CHECK(out.len == 1);
        ex_buf_free(&out);
    }
    s->ops->enc_free(enc);
    s->ops->enc_free(NULL);
    /* a damaged stored form is refused by a decoder, naming the row */
    ex_store_dec *dec = NULL;
    CHECK_RC(s->ops->dec_new(s, &dec), EX_OK);
    if (dec) {
        ex_buf packed = {0};
        ex_packer *pk2;
        CHECK_RC(ex_packer_new(&pk2), EX_OK);
        CHECK_RC(ex_pack(pk2, EX_TAB_DECISIONS, recs[1].rec[0], recs[1].len[0], &packed), EX_OK);
        packed.data[packed.len - 1] ^= 1; /* the checksum */
        const void *rec = NULL;
        size_t rlen = 0;
        ex_err de = {0};
        CHECK_RC(s->ops->decode(dec, EX_TAB_DECISIONS, 7, packed.data, packed.len, &rec, &rlen,
                                &de),
                 EX_EFORMAT);
        CHECK(strstr(de.msg, "decisions record 7: damaged record") == de.msg);
        /* a plain record is given back as it is */
        CHECK_RC(s->ops->decode(dec, EX_TAB_SOURCES, 1, "{}", 2, &rec, &rlen, NULL), EX_OK);
        CHECK(rlen == 2 && memcmp(rec, "{}", 2) == 0);
        ex_packer_free(pk2);
        ex_buf_free(&packed);
    }
    s->ops->dec_free(dec);
    s->ops->dec_free(NULL);
    ex_store_close(s);
    unlink(db);
}

/* ---- bulk mode ---- */

int
main(void)
{
    char dir[] = "/tmp/exante-test-store.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_encoding(dir);
    char db[128], wal[140];
    snprintf(db, sizeof db, "%s/ledger.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    ex_err e = {0};
    ex_store *s = NULL;
    ex_store_opts o = {.create = 1};
    CHECK_RC(ex_store_open_sqlite(db, &o, &s, &e), EX_OK);
    if (!s)
        return t_done("test_store");
    CHECK(s->ops->bulk != NULL);
    s->ops->bulk(s, 1);
    s->ops->bulk(s, 1); /* a second "on" changes nothing */
    static char recs[PER_BATCH][REC_BYTES];
    const void *data[PER_BATCH];
    size_t lens[PER_BATCH];
    int64_t keys[PER_BATCH];
    off_t max_wal = 0;
    uint64_t id = 1;
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < PER_BATCH; i++) {
            record(id + (uint64_t)i, recs[i]);
            data[i] = recs[i];
            lens[i] = REC_BYTES;
            keys[i] = (int64_t)(id + (uint64_t)i);
        }
        CHECK_RC(s->ops->begin(s), EX_OK);
        CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_ITEMS, id, PER_BATCH, keys, data, lens), EX_OK);
        CHECK_RC(s->ops->commit(s), EX_OK);
        id += PER_BATCH;
        off_t w = file_size(wal);
        if (w > max_wal)
            max_wal = w;
    }
    /* written: about 190 MiB of records (plus B-tree pages), more than the WAL may hold: it
     * stays under the hard limit (128 MiB) plus a batch (about 1 MiB) and some slack, so it
     * was started over (after the checkpointer caught up, or the writer did); with no
     * checkpoints it grows with the data (checked by disabling the hook: 200+ MiB) */
    fprintf(stderr, "largest WAL: %.1f MiB\n", (double)max_wal / 1048576.0);
    CHECK(max_wal > 0);
    CHECK(max_wal <= (off_t)136 << 20);
    s->ops->bulk(s, 0);
    s->ops->bulk(s, 0); /* and a second "off" too */
    /* SQLite's own checkpoints again: more batches still land */
    for (int i = 0; i < PER_BATCH; i++) {
        record(id + (uint64_t)i, recs[i]);
        keys[i] = (int64_t)(id + (uint64_t)i);
    }
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_ITEMS, id, PER_BATCH, keys, data, lens), EX_OK);
    CHECK_RC(s->ops->commit(s), EX_OK);
    id += PER_BATCH;
    s->ops->close(s);

    /* every record, read back through a read-only store */
    ex_store_opts ro = {.read_only = 1};
    CHECK_RC(ex_store_open_sqlite(db, &ro, &s, &e), EX_OK);
    uint64_t n = 0;
    if (s) {
        CHECK_RC(s->ops->rec_scan(s, EX_TAB_ITEMS, 1, UINT64_MAX, count_cb, &n), EX_OK);
        s->ops->close(s);
    }
    CHECK(n == id - 1);

    /* bulk mode on an in-memory store does nothing (no file to open twice) */
    ex_store_opts mem = {.create = 1};
    CHECK_RC(ex_store_open_sqlite(":memory:", &mem, &s, &e), EX_OK);
    if (s) {
        s->ops->bulk(s, 1);
        CHECK_RC(s->ops->begin(s), EX_OK);
        CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_ITEMS, 1, PER_BATCH, keys, data, lens), EX_OK);
        CHECK_RC(s->ops->commit(s), EX_OK);
        s->ops->bulk(s, 0);
        s->ops->close(s);
    }
    unlink(db);
    unlink(wal);
    char shm[140];
    snprintf(shm, sizeof shm, "%s-shm", db);
    unlink(shm);
    rmdir(dir);
    return t_done("test_store");
}
