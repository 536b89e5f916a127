/* test_store.c - the stores.
 *
 * Items and decisions in blocks, in SQLite and in PostgreSQL (backends.h): batches encoded with the store's encoder (on a thread of its
 * own, as the ingest does) and stored with batch_put read back byte for byte through
 * rec_get_dup, rec_scan, rec_scan_key (an item's own decision and the others about it) and
 * rec_keys; rec_scan_stored gives the decisions a filter wants, newest first, for a decoder on
 * another thread. Ids already taken, keys that do not pair and other writes are refused; a
 * damaged block, or a row whose counts do not fit, is refused naming the block.
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
#include "backends.h"
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

/* ---- items and decisions in blocks ---- */

#define NREC 300

typedef struct plain {
    char rec[NREC][400];
    size_t len[NREC];
} plain;

/* record i (from 0) of items or decisions: canonical JSON like the ledger's */
static void
make_records(plain *p, int items)
{
    for (int i = 0; i < NREC; i++) {
        int n;
        if (items)
            n = snprintf(p->rec[i], sizeof p->rec[i],
                         "{\"digest\":\"sha256:%064x\",\"fetched\":\"2025-06-22T17:26:31Z\","
                         "\"file\":\"s.jsonl\",\"license\":\"MIT\",\"line\":%d,\"offset\":%d,"
                         "\"size\":%d,\"source\":\"web\",\"type\":\"item\","
                         "\"url\":\"https://www.site%d.example/%d.html\"}",
                         i * 7919, i + 1, i * 165, 100 + i, i % 13, i);
        else
            n = snprintf(p->rec[i], sizeof p->rec[i],
                         "{\"item\":%d,\"policy\":null,\"provenance\":\"sha256:%064x\","
                         "\"reason\":\"no policy adopted yet\",\"rule\":\"no-policy\","
                         "\"source\":\"web\",\"type\":\"decision\",\"verdict\":\"pending\"}",
                         i + 1, i * 104729);
        p->len[i] = (size_t)n;
    }
}

/* The batches: items [if, if+ni), decisions [df, df+nd); the first `paired` decisions are
 * their items', the others about item key_of(decision id). */
static const struct {
    uint64_t ifirst, ni, dfirst, nd, paired;
} batches[] = {
    {1, 120, 1, 130, 120},  /* an ingest batch with ten copies' decisions */
    {121, 0, 131, 40, 0},   /* a reevaluation: decisions alone */
    {121, 180, 171, 130, 130}, /* more items than decisions: 50 without one */
};
#define NBATCH (sizeof batches / sizeof batches[0])
static plain items, decs;
static uint8_t leaves[NREC][EX_HASH_BYTES]; /* the decisions' Merkle leaf hashes */

/* the key of decision id: its item's id for a paired one, else (id * 7) % 120 + 1 */
static int64_t
key_of(uint64_t id)
{
    for (size_t b = 0; b < NBATCH; b++)
        if (id >= batches[b].dfirst && id < batches[b].dfirst + batches[b].nd) {
            uint64_t k = id - batches[b].dfirst;
            return k < batches[b].paired ? (int64_t)(batches[b].ifirst + k)
                                         : (int64_t)((id * 7) % 120 + 1);
        }
    return -1;
}

typedef struct encoding {
    ex_store *s;
    ex_buf out[NBATCH];
    int rc;
} encoding;

/* on a thread of its own, with an encoder of its own (made and freed there) */
static void *
encode_main(void *arg)
{
    encoding *c = arg;
    ex_store_enc *e = NULL;
    c->rc = c->s->ops->enc_new(c->s, &e);
    for (size_t b = 0; c->rc == EX_OK && b < NBATCH; b++) {
        const void *ip[NREC], *dp[NREC];
        for (uint64_t k = 0; k < batches[b].ni; k++)
            ip[k] = items.rec[batches[b].ifirst + k - 1];
        for (uint64_t k = 0; k < batches[b].nd; k++)
            dp[k] = decs.rec[batches[b].dfirst + k - 1];
        c->rc = c->s->ops->encode_batch(e, batches[b].ni, ip, &items.len[batches[b].ifirst - 1],
                                        batches[b].nd, dp, &decs.len[batches[b].dfirst - 1],
                                        batches[b].paired,
                                        (const uint8_t(*)[EX_HASH_BYTES])leaves[batches[b].dfirst - 1],
                                        &c->out[b]);
    }
    c->s->ops->enc_free(e);
    return NULL;
}

typedef struct reading {
    int table;
    uint64_t next; /* the id expected next */
    int bad;
} reading;

static int
read_cb(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    reading *r = ctx;
    const plain *p = r->table == EX_TAB_ITEMS ? &items : &decs;
    size_t i = (size_t)id - 1;
    int64_t want = r->table == EX_TAB_ITEMS ? 0 : key_of(id);
    if (id != r->next++ || i >= NREC || key != want || len != p->len[i] ||
        memcmp(data, p->rec[i], len) != 0)
        r->bad++;
    return EX_OK;
}

typedef struct keyed {
    int64_t key;
    uint64_t last;
    int n, bad;
} keyed;

static int
keyed_cb(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    keyed *k = ctx;
    if (key != k->key || key_of(id) != key || id <= k->last || len != decs.len[id - 1] ||
        memcmp(data, decs.rec[id - 1], len) != 0)
        k->bad++;
    k->last = id;
    k->n++;
    return EX_OK;
}

static int
keys_cb(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    int *n = ctx;
    if (key == key_of(id) && !data && !len)
        ++*n;
    return EX_OK;
}

typedef struct roots {
    ex_sha256 *h;
    uint64_t next;
    int groups, bad;
} roots;

static int
roots_cb(void *ctx, uint64_t first, uint64_t n, const uint8_t *root)
{
    roots *r = ctx;
    uint8_t want[EX_HASH_BYTES];
    if (first != r->next || n == 0 || first + n - 1 > NREC ||
        ex_merkle_root(r->h, (const uint8_t(*)[EX_HASH_BYTES])leaves[first - 1], n, want) != EX_OK ||
        memcmp(want, root, EX_HASH_BYTES) != 0)
        r->bad++;
    r->next = first + n;
    r->groups++;
    return EX_OK;
}

/* rec_scan_stored: the rows wanted, newest first, for a decoder on another thread */
typedef struct stored {
    ex_store *s;
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
    if ((c->asked && id != c->asked - 1) || key != key_of(id))
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
    if (id % 2 != 1 || key != key_of(id) || c->n == NREC)
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
        c->rc = o->decode(d, EX_TAB_DECISIONS, c->id[i], c->rows.data + c->off[i], c->len[i],
                          &rec, &rlen, NULL);
        if (c->rc == EX_OK && rlen == decs.len[k] && memcmp(rec, decs.rec[k], rlen) == 0)
            c->decoded_ok++;
    }
    o->dec_free(d);
    return NULL;
}

static void
test_stored(ex_store *s, uint64_t nd)
{
    stored c = {.s = s};
    CHECK_RC(s->ops->rec_scan_stored(s, EX_TAB_DECISIONS, 2, nd, want_odd, keep_stored, &c),
             EX_OK);
    /* asked about nd-1 down to 2, newest first; visited the odd ones */
    CHECK(c.bad == 0 && c.asked == 2 && c.n == (nd - 2) / 2);
    CHECK(c.n > 0 && c.id[0] == nd - 1 && c.id[c.n - 1] == 3);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, decode_main, &c) == 0);
    pthread_join(th, NULL);
    CHECK_RC(c.rc, EX_OK);
    CHECK(c.decoded_ok == (int)c.n);
    /* want stops the scan with its code */
    stored d = {.s = s, .stop_at = 100};
    CHECK_RC(s->ops->rec_scan_stored(s, EX_TAB_DECISIONS, 1, UINT64_MAX, want_odd, keep_stored,
                                     &d),
             EX_ERANGE);
    CHECK(d.bad == 0 && d.asked == 100 && d.n == (nd - 100) / 2);
    ex_buf_free(&c.rows);
    ex_buf_free(&d.rows);
}

static void
test_blocks(const char *dir, int pg)
{
    backend be;
    if (be_new(&be, pg, dir, "blocks") != 0) {
        CHECK(!"a store to test");
        return;
    }
    fprintf(stderr, "blocks in %s\n", be.name);
    ex_err e = {0};
    ex_store *s = NULL;
    CHECK_RC(be_open(&be, 1, 0, &s, &e), EX_OK);
    if (!s)
        return;
    make_records(&items, 1);
    make_records(&decs, 0);
    ex_sha256 *h = NULL;
    CHECK_RC(ex_sha256_new(&h), EX_OK);
    for (int i = 0; i < NREC; i++)
        CHECK_RC(ex_merkle_leaf(h, decs.rec[i], decs.len[i], leaves[i]), EX_OK);
    encoding c = {.s = s};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, encode_main, &c) == 0);
    pthread_join(th, NULL);
    CHECK_RC(c.rc, EX_OK);
    uint64_t ni = 0, nd = 0;
    for (size_t b = 0; c.rc == EX_OK && b < NBATCH; b++) {
        int64_t keys[NREC];
        for (uint64_t k = 0; k < batches[b].nd; k++)
            keys[k] = key_of(batches[b].dfirst + k);
        CHECK_RC(s->ops->batch_put(s, batches[b].ifirst, batches[b].ni, batches[b].dfirst,
                                   batches[b].nd, keys, batches[b].paired, c.out[b].data,
                                   c.out[b].len),
                 EX_OK);
        /* the same ids again: taken */
        CHECK_RC(s->ops->batch_put(s, batches[b].ifirst, batches[b].ni, batches[b].dfirst,
                                   batches[b].nd, keys, batches[b].paired, c.out[b].data,
                                   c.out[b].len),
                 EX_EDB);
        ni += batches[b].ni, nd += batches[b].nd;
    }
    /* one block per batch, a third or less of the records' bytes */
    size_t plain_bytes = 0, stored_bytes = 0;
    for (uint64_t i = 0; i < ni; i++)
        plain_bytes += items.len[i];
    for (uint64_t i = 0; i < nd; i++)
        plain_bytes += decs.len[i];
    for (size_t b = 0; b < NBATCH; b++)
        stored_bytes += c.out[b].len;
    CHECK(stored_bytes * 3 < plain_bytes);
    uint64_t max = 0;
    CHECK_RC(s->ops->rec_max(s, EX_TAB_ITEMS, &max), EX_OK);
    CHECK(max == ni);
    CHECK_RC(s->ops->rec_max(s, EX_TAB_DECISIONS, &max), EX_OK);
    CHECK(max == nd);
    /* every record, byte for byte, by id */
    int got_ok = 0, tries = 0;
    for (int t = 0; t < 2; t++) {
        const plain *p = t ? &decs : &items;
        uint64_t n = t ? nd : ni;
        for (uint64_t id = n; id >= 1; id -= id % 3 ? 1 : 2) { /* backwards, skipping */
            uint8_t *got = NULL;
            size_t glen = 0;
            int64_t key = 99;
            tries++;
            if (s->ops->rec_get_dup(s, t ? EX_TAB_DECISIONS : EX_TAB_ITEMS, id, &key, &got,
                                    &glen) == EX_OK &&
                key == (t ? key_of(id) : 0) && glen == p->len[id - 1] &&
                memcmp(got, p->rec[id - 1], glen) == 0 && got[glen] == 0)
                got_ok++;
            else
                fprintf(stderr, "record %d/%llu\n", t, (unsigned long long)id);
            free(got);
        }
    }
    CHECK(tries > 300 && got_ok == tries);
    uint8_t *none = NULL;
    size_t nlen;
    CHECK_RC(s->ops->rec_get_dup(s, EX_TAB_ITEMS, ni + 1, NULL, &none, &nlen), EX_ENOTFOUND);
    CHECK_RC(s->ops->rec_get_dup(s, EX_TAB_DECISIONS, nd + 1, NULL, &none, &nlen), EX_ENOTFOUND);
    /* scans in id order, across blocks, from anywhere */
    reading r = {EX_TAB_ITEMS, 1, 0};
    CHECK_RC(s->ops->rec_scan(s, EX_TAB_ITEMS, 1, UINT64_MAX, read_cb, &r), EX_OK);
    CHECK(r.next == ni + 1 && r.bad == 0);
    r = (reading){EX_TAB_ITEMS, 100, 0};
    CHECK_RC(s->ops->rec_scan(s, EX_TAB_ITEMS, 100, 130, read_cb, &r), EX_OK);
    CHECK(r.next == 130 && r.bad == 0);
    r = (reading){EX_TAB_DECISIONS, 125, 0};
    CHECK_RC(s->ops->rec_scan(s, EX_TAB_DECISIONS, 125, UINT64_MAX, read_cb, &r), EX_OK);
    CHECK(r.next == nd + 1 && r.bad == 0);
    /* an item's decisions: its own, and the others about it, in id order */
    for (int64_t key = 1; key <= (int64_t)ni; key += 17) {
        keyed k = {.key = key};
        CHECK_RC(s->ops->rec_scan_key(s, EX_TAB_DECISIONS, key, keyed_cb, &k), EX_OK);
        int want = 0;
        for (uint64_t id = 1; id <= nd; id++)
            want += key_of(id) == key;
        CHECK(k.bad == 0 && k.n == want);
    }
    /* the roots of the decisions' groups: every decision in one, each root its leaves' */
    roots rt = {.h = h, .next = 1};
    CHECK_RC(s->ops->dec_roots(s, 1, UINT64_MAX, roots_cb, &rt), EX_OK);
    CHECK(rt.next == nd + 1 && rt.bad == 0 && rt.groups >= (int)NBATCH);
    rt = (roots){.h = h, .next = 131};
    CHECK_RC(s->ops->dec_roots(s, 131, 171, roots_cb, &rt), EX_OK);
    CHECK(rt.next == 171 && rt.bad == 0 && rt.groups == 1);
    int nkeys = 0;
    CHECK_RC(s->ops->rec_keys(s, EX_TAB_DECISIONS, keys_cb, &nkeys), EX_OK);
    CHECK(nkeys == (int)nd);
    test_stored(s, nd);
    /* the other writes to items and decisions are refused */
    const void *one[1] = {"{}"};
    size_t onelen[1] = {2};
    int64_t onekey[1] = {0};
    CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_ITEMS, ni + 1, 1, onekey, one, onelen), EX_EINVAL);
    CHECK_RC(s->ops->rec_append(s, EX_TAB_DECISIONS, 0, "{}", 2, NULL), EX_EINVAL);
    /* keys that do not pair, and encodings that cannot be made, are refused */
    CHECK_RC(s->ops->batch_put(s, ni + 1, 1, nd + 1, 1, onekey, 1, c.out[0].data, c.out[0].len),
             EX_EINVAL);
    /* and so are stored forms that are not what encode_batch made of these counts: blocks
     * holding more than the batch, or fewer (inside the caller's transaction, rolled back) */
    CHECK_RC(s->ops->batch_put(s, ni + 1, 1, nd + 1, 1, onekey, 0, c.out[0].data, c.out[0].len),
             EX_EINVAL);
    CHECK(strstr(ex_store_errmsg(s), "not encode_batch's form") != NULL);
    int64_t more[NREC];
    for (int k = 0; k < NREC; k++)
        more[k] = (int64_t)ni + 1 + k;
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->batch_put(s, ni + 1, 181, nd + 1, 130, more, 130, c.out[2].data,
                               c.out[2].len),
             EX_EINVAL);
    CHECK(strstr(ex_store_errmsg(s), "its blocks hold 180 items, 130 decisions, not 181") != NULL);
    CHECK_RC(s->ops->rollback(s), EX_OK);
    CHECK_RC(s->ops->rec_max(s, EX_TAB_ITEMS, &max), EX_OK);
    CHECK(max == ni);
    CHECK_RC(s->ops->check_indexes(s), EX_OK);
    ex_store_enc *enc = NULL;
    CHECK_RC(s->ops->enc_new(s, &enc), EX_OK);
    if (enc) {
        ex_buf out = {0};
        CHECK_RC(ex_buf_put(&out, "x", 1), EX_OK);
        CHECK_RC(s->ops->encode_batch(enc, 1, one, onelen, 1, one, onelen, 2,
                                      (const uint8_t(*)[EX_HASH_BYTES])leaves, &out),
                 EX_EINVAL);
        CHECK_RC(s->ops->encode_batch(enc, 0, one, onelen, 0, one, onelen, 0,
                                      (const uint8_t(*)[EX_HASH_BYTES])leaves, &out),
                 EX_EINVAL);
        CHECK(out.len == 1);
        ex_buf_free(&out);
    }
    s->ops->enc_free(enc);
    s->ops->enc_free(NULL);
    ex_store_close(s);
    for (size_t b = 0; b < NBATCH; b++)
        ex_buf_free(&c.out[b]);

    /* check_indexes finds what does not fit the rows (each change undone after) */
    /* (blocks: 1 batch 1's pairs, 2 its other decisions, 3 batch 2, 4 batch 3's pairs, 5 its
     * other items) */
    char undo[160];
    snprintf(undo, sizeof undo, "INSERT INTO decision_keys(key, id) VALUES(%lld, 121)",
             (long long)key_of(121));
    static const struct {
        const char *change, *undo, *says;
    } misfits[] = {
        {"UPDATE blocks SET item_first = item_first + 1 WHERE id = 5",
         "UPDATE blocks SET item_first = item_first - 1 WHERE id = 5",
         "block 5: its items start at 252, not 251"},
        {"UPDATE decision_keys SET key = key + 1000 WHERE id = 121",
         "UPDATE decision_keys SET key = key - 1000 WHERE id = 121",
         "decision_keys: decision 121 under item"},
        {"DELETE FROM decision_keys WHERE id = 121", NULL, "decision_keys: 49 rows for 50"},
        {"INSERT INTO decision_keys(key, id) VALUES(5, 1)",
         "DELETE FROM decision_keys WHERE id = 1", "decision 1 under item 5, its block 1"},
    };
    for (size_t i = 0; i < sizeof misfits / sizeof misfits[0]; i++) {
        CHECK_RC(be_sql(&be, misfits[i].change), EX_OK);
        CHECK_RC(be_open(&be, 0, 1, &s, &e), EX_OK);
        if (s) {
            CHECK_RC(s->ops->check_indexes(s), EX_EVERIFY);
            CHECK(strstr(ex_store_errmsg(s), misfits[i].says) != NULL);
            ex_store_close(s);
        }
        CHECK_RC(be_sql(&be, misfits[i].undo ? misfits[i].undo : undo), EX_OK);
    }
    CHECK_RC(be_open(&be, 0, 1, &s, &e), EX_OK);
    if (s) {
        CHECK_RC(s->ops->check_indexes(s), EX_OK);
        ex_store_close(s);
    }
    /* a row without its root, or with more records than its block */
    CHECK_RC(be_sql(&be, "UPDATE blocks SET root = NULL WHERE id = 4;"
                     "UPDATE blocks SET item_n = 51 WHERE id = 5"),
             EX_OK);
    CHECK_RC(be_open(&be, 0, 1, &s, &e), EX_OK);
    if (s) {
        rt = (roots){.h = h, .next = 1};
        CHECK_RC(s->ops->dec_roots(s, 1, UINT64_MAX, roots_cb, &rt), EX_EFORMAT);
        CHECK(strstr(ex_store_errmsg(s), "decisions 171-300 has no root") != NULL);
        uint8_t *got = NULL;
        size_t glen;
        CHECK_RC(s->ops->rec_get_dup(s, EX_TAB_ITEMS, 251, NULL, &got, &glen), EX_EFORMAT);
        CHECK(strstr(ex_store_errmsg(s), "block 5 (items 251-301, decisions 301-300): its "
                                         "record count does not match its row") != NULL);
        ex_store_close(s);
    }

    /* a damaged block is refused, naming the block and its records */
    char damage[160];
    snprintf(damage, sizeof damage, "UPDATE blocks SET block = substr(block, 1, 40) || %s || "
                                    "substr(block, 42) WHERE id = 3", be.zero);
    CHECK_RC(be_sql(&be, damage), EX_OK);
    CHECK_RC(be_open(&be, 0, 1, &s, &e), EX_OK);
    if (s) {
        uint8_t *got = NULL;
        size_t glen;
        CHECK_RC(s->ops->rec_get_dup(s, EX_TAB_DECISIONS, 140, NULL, &got, &glen), EX_EFORMAT);
        CHECK(strstr(ex_store_errmsg(s), "block 3 (items 121-120, decisions 131-170)") != NULL);
        CHECK_RC(s->ops->rec_get_dup(s, EX_TAB_DECISIONS, 1, NULL, &got, &glen), EX_OK);
        free(got);
        reading rr = {EX_TAB_DECISIONS, 1, 0};
        CHECK_RC(s->ops->rec_scan(s, EX_TAB_DECISIONS, 1, UINT64_MAX, read_cb, &rr), EX_EFORMAT);
        CHECK(rr.next == 131 && rr.bad == 0);
        ex_store_close(s);
    }
    /* and so is a row whose counts do not fit its keys */
    CHECK_RC(be_sql(&be, "UPDATE blocks SET paired = 119 WHERE id = 1"), EX_OK);
    CHECK_RC(be_open(&be, 0, 1, &s, &e), EX_OK);
    if (s) {
        uint8_t *got = NULL;
        size_t glen;
        CHECK_RC(s->ops->rec_get_dup(s, EX_TAB_ITEMS, 3, NULL, &got, &glen), EX_EFORMAT);
        CHECK(strstr(ex_store_errmsg(s), "its counts do not fit its keys") != NULL);
        ex_store_close(s);
    }
    ex_sha256_free(h);
    be_drop(&be);
}

/* ---- bulk mode ---- */

int
main(void)
{
    char dir[] = "/tmp/exante-test-store.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_blocks(dir, 0);
    test_blocks(dir, 1);
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
        CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_SOURCES, id, PER_BATCH, keys, data, lens), EX_OK);
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
    CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_SOURCES, id, PER_BATCH, keys, data, lens), EX_OK);
    CHECK_RC(s->ops->commit(s), EX_OK);
    id += PER_BATCH;
    s->ops->close(s);

    /* every record, read back through a read-only store */
    ex_store_opts ro = {.read_only = 1};
    CHECK_RC(ex_store_open_sqlite(db, &ro, &s, &e), EX_OK);
    uint64_t n = 0;
    if (s) {
        CHECK_RC(s->ops->rec_scan(s, EX_TAB_SOURCES, 1, UINT64_MAX, count_cb, &n), EX_OK);
        s->ops->close(s);
    }
    CHECK(n == id - 1);

    /* bulk mode on an in-memory store does nothing (no file to open twice) */
    ex_store_opts mem = {.create = 1};
    CHECK_RC(ex_store_open_sqlite(":memory:", &mem, &s, &e), EX_OK);
    if (s) {
        s->ops->bulk(s, 1);
        CHECK_RC(s->ops->begin(s), EX_OK);
        CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_SOURCES, 1, PER_BATCH, keys, data, lens), EX_OK);
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
