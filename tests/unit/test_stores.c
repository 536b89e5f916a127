/* test_stores.c - every store operation but the blocks' (test_store.c), the same on SQLite and
 * on PostgreSQL (backends.h): metadata; log entries, tiles and checkpoints; the record tables,
 * read whole, by key, newest first and in parts; scans longer than a page; nested transactions;
 * schema checks (a ledger already there, none there, a newer schema); readers while another
 * store writes, and a second writer waiting for the first. PostgreSQL alone: a URL libpq
 * cannot parse, a server that refuses, and a connection dropped in the middle of a batch
 * (nothing of it written, a clear error, the next writer goes on); leases, staged batches and
 * the sequencer's lock (a lease held, taken over once expired, lost by the slow worker; a
 * second sequencer refused; stale batches handed back; a staged batch already gone). */
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "exante.h"
#include "store/store.h"
#include "backends.h"
#include "t.h"

static const char *dir;

/* ---- metadata, log rows ---- */

static int
count_entry(void *ctx, uint64_t index, const void *data, size_t len)
{
    uint64_t *n = ctx;
    char want[32];
    int w = snprintf(want, sizeof want, "entry %llu", (unsigned long long)index);
    if (index != *n || len != (size_t)w || memcmp(data, want, len) != 0)
        return EX_EFORMAT;
    ++*n;
    return EX_OK;
}

typedef struct tiles_seen {
    unsigned last_stratum;
    uint64_t last_index;
    int n, bad;
} tiles_seen;

static int
tile_cb(void *ctx, unsigned stratum, uint64_t index, const void *data, size_t len)
{
    tiles_seen *t = ctx;
    if (t->n && (stratum < t->last_stratum ||
                 (stratum == t->last_stratum && index <= t->last_index)))
        t->bad++;
    if (len != 64 || ((const uint8_t *)data)[0] != (uint8_t)(stratum * 16 + index))
        t->bad++;
    t->last_stratum = stratum, t->last_index = index;
    t->n++;
    return EX_OK;
}

static int
cp_cb(void *ctx, uint64_t size, const char *note, size_t len)
{
    uint64_t *sum = ctx;
    *sum += size;
    return len > 0 && note[0] == 'n' ? EX_OK : EX_EFORMAT;
}

static void
test_log_rows(ex_store *s)
{
    char *v = NULL;
    CHECK_RC(s->ops->meta_get_dup(s, "colour", &v), EX_ENOTFOUND);
    CHECK(strstr(ex_store_errmsg(s), "colour") != NULL);
    CHECK_RC(s->ops->meta_put(s, "colour", "blue"), EX_OK);
    CHECK_RC(s->ops->meta_put(s, "colour", "green"), EX_OK);
    CHECK_RC(s->ops->meta_get_dup(s, "colour", &v), EX_OK);
    CHECK(v && strcmp(v, "green") == 0);
    free(v);

    uint64_t n = 99;
    CHECK_RC(s->ops->entry_count(s, &n), EX_OK);
    CHECK(n == 0);
    /* more entries than a page of a scan */
    enum { NE = 1300 };
    static char text[NE][32];
    const void *data[NE];
    size_t lens[NE];
    for (int i = 0; i < NE; i++) {
        lens[i] = (size_t)snprintf(text[i], sizeof text[i], "entry %d", i);
        data[i] = text[i];
    }
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->entries_put(s, 0, data, lens, NE), EX_OK);
    CHECK_RC(s->ops->commit(s), EX_OK);
    CHECK_RC(s->ops->entry_count(s, &n), EX_OK);
    CHECK(n == NE);
    /* an index taken */
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->entries_put(s, 5, data, lens, 1), EX_EDB);
    CHECK_RC(s->ops->rollback(s), EX_OK);
    uint8_t *e = NULL;
    size_t elen = 0;
    CHECK_RC(s->ops->entry_get_dup(s, 1234, &e, &elen), EX_OK);
    CHECK(e && elen == 10 && memcmp(e, "entry 1234", 10) == 0 && e[elen] == 0);
    free(e);
    CHECK_RC(s->ops->entry_get_dup(s, NE, &e, &elen), EX_ENOTFOUND);
    uint64_t next = 7;
    CHECK_RC(s->ops->entry_scan(s, 7, count_entry, &next), EX_OK);
    CHECK(next == NE);

    /* tiles: two strata, one tile rewritten as it grows */
    uint8_t t[64] = {0}, got[64];
    size_t glen = 0;
    for (unsigned st = 0; st < 2; st++)
        for (uint64_t i = 0; i < 3; i++) {
            t[0] = (uint8_t)(st * 16 + i);
            CHECK_RC(s->ops->tile_put(s, st, i, t, i == 2 ? 32 : 64), EX_OK);
        }
    t[0] = 2;
    CHECK_RC(s->ops->tile_put(s, 0, 2, t, 64), EX_OK);
    t[0] = 18;
    CHECK_RC(s->ops->tile_put(s, 1, 2, t, 64), EX_OK);
    CHECK_RC(s->ops->tile_get(s, 1, 2, got, sizeof got, &glen), EX_OK);
    CHECK(glen == 64 && got[0] == 18);
    CHECK_RC(s->ops->tile_get(s, 1, 2, got, 10, &glen), EX_ETOOBIG);
    CHECK_RC(s->ops->tile_get(s, 3, 0, got, sizeof got, &glen), EX_ENOTFOUND);
    tiles_seen ts = {0};
    CHECK_RC(s->ops->tile_scan(s, tile_cb, &ts), EX_OK);
    CHECK(ts.n == 6 && ts.bad == 0);

    /* checkpoints */
    char *note = NULL;
    size_t nlen;
    CHECK_RC(s->ops->checkpoint_get_dup(s, UINT64_MAX, &note, &nlen), EX_ENOTFOUND);
    CHECK_RC(s->ops->checkpoint_put(s, 3, "note 3", 6), EX_OK);
    CHECK_RC(s->ops->checkpoint_put(s, 10, "note 10", 7), EX_OK);
    CHECK_RC(s->ops->checkpoint_put(s, 3, "note three", 10), EX_OK);
    CHECK_RC(s->ops->checkpoint_get_dup(s, UINT64_MAX, &note, &nlen), EX_OK);
    CHECK(note && nlen == 7 && strcmp(note, "note 10") == 0);
    free(note);
    CHECK_RC(s->ops->checkpoint_get_dup(s, 3, &note, &nlen), EX_OK);
    CHECK(note && strcmp(note, "note three") == 0);
    free(note);
    CHECK_RC(s->ops->checkpoint_get_dup(s, 4, &note, &nlen), EX_ENOTFOUND);
    uint64_t sum = 0;
    CHECK_RC(s->ops->checkpoint_scan(s, cp_cb, &sum), EX_OK);
    CHECK(sum == 13);
}

/* ---- record tables ---- */

typedef struct recs {
    uint64_t next, count, last;
    int64_t key; /* rec_scan_key: the key wanted (ids ascending, not consecutive); else -1 */
    int desc, bad;
} recs;

static int
rec_cb(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    recs *r = ctx;
    char want[48];
    int n = snprintf(want, sizeof want, "record %llu", (unsigned long long)id);
    if ((r->key < 0 && r->next && id != r->next) || (r->key >= 0 && id <= r->last) ||
        key != (int64_t)(id % 5) || len != (size_t)n ||
        memcmp(data, want, len) != 0)
        r->bad++;
    r->next = r->desc ? id - 1 : id + 1;
    r->last = id;
    if (r->key >= 0 && key != r->key)
        r->bad++;
    r->count++;
    return EX_OK;
}

static int
want_even(void *ctx, uint64_t id, int64_t key)
{
    (void)ctx, (void)key;
    return id % 2 == 0;
}

static int
count_keys(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    uint64_t *n = ctx;
    if (key == (int64_t)(id % 5) && !data && !len)
        ++*n;
    return EX_OK;
}

static void
test_records(ex_store *s)
{
    const int T = EX_TAB_SOURCES;
    uint64_t id = 0, max = 9;
    CHECK_RC(s->ops->rec_max(s, T, &max), EX_OK);
    CHECK(max == 0);
    /* appended: ids from 1 */
    char text[48];
    for (uint64_t i = 1; i <= 3; i++) {
        int n = snprintf(text, sizeof text, "record %llu", (unsigned long long)i);
        CHECK_RC(s->ops->rec_append(s, T, (int64_t)(i % 5), text, (size_t)n, &id), EX_OK);
        CHECK(id == i);
    }
    /* many at once, past a page of a scan */
    enum { NR = 2000 };
    static char body[NR][48];
    const void *data[NR];
    size_t lens[NR];
    int64_t keys[NR];
    for (int i = 0; i < NR; i++) {
        uint64_t rid = 4 + (uint64_t)i;
        lens[i] = (size_t)snprintf(body[i], sizeof body[i], "record %llu", (unsigned long long)rid);
        data[i] = body[i];
        keys[i] = (int64_t)(rid % 5);
    }
    CHECK_RC(s->ops->rec_insert_many(s, T, 4, NR, keys, data, lens), EX_OK);
    CHECK_RC(s->ops->rec_max(s, T, &max), EX_OK);
    CHECK(max == NR + 3);
    /* taken ids: refused, and nothing of the call written (it ran in a transaction of its own) */
    CHECK_RC(s->ops->rec_insert_many(s, T, NR + 2, 3, keys, data, lens), EX_EDB);
    CHECK_RC(s->ops->rec_max(s, T, &max), EX_OK);
    CHECK(max == NR + 3);
    /* the next append follows the inserted ids */
    int n = snprintf(text, sizeof text, "record %d", NR + 4);
    CHECK_RC(s->ops->rec_append(s, T, (NR + 4) % 5, text, (size_t)n, &id), EX_OK);
    CHECK(id == NR + 4);
    uint8_t *got = NULL;
    size_t glen = 0;
    int64_t key = -1;
    CHECK_RC(s->ops->rec_get_dup(s, T, 1500, &key, &got, &glen), EX_OK);
    CHECK(key == 0 && glen == 11 && got && memcmp(got, "record 1500", 11) == 0 && got[11] == 0);
    free(got);
    CHECK_RC(s->ops->rec_get_dup(s, T, NR + 5, &key, &got, &glen), EX_ENOTFOUND);
    /* scans: a range, by key, newest first (want asked first), the keys alone */
    recs r = {.next = 1, .key = -1};
    CHECK_RC(s->ops->rec_scan(s, T, 1, UINT64_MAX, rec_cb, &r), EX_OK);
    CHECK(r.bad == 0 && r.count == NR + 4);
    r = (recs){.next = 600, .key = -1};
    CHECK_RC(s->ops->rec_scan(s, T, 600, 1700, rec_cb, &r), EX_OK);
    CHECK(r.bad == 0 && r.count == 1100);
    r = (recs){.key = 3};
    CHECK_RC(s->ops->rec_scan_key(s, T, 3, rec_cb, &r), EX_OK);
    CHECK(r.bad == 0 && r.count == (NR + 4 + 2) / 5); /* 3, 8, ... 2003 */
    r = (recs){.desc = 1, .key = -1};
    CHECK_RC(s->ops->rec_scan_stored(s, T, 10, 1211, want_even, rec_cb, &r), EX_OK);
    CHECK(r.count == 601);
    uint64_t nk = 0;
    CHECK_RC(s->ops->rec_keys(s, T, count_keys, &nk), EX_OK);
    CHECK(nk == NR + 4);
    /* replaced */
    CHECK_RC(s->ops->rec_put(s, T, 2, 2, "record 2", 8), EX_OK);
    CHECK_RC(s->ops->rec_put(s, EX_TAB_INPUTS, 1, 0, "{\"done\":1}", 10), EX_OK);
    CHECK_RC(s->ops->rec_put(s, EX_TAB_INPUTS, 1, 0, "{\"done\":2}", 10), EX_OK);
    CHECK_RC(s->ops->rec_get_dup(s, EX_TAB_INPUTS, 1, &key, &got, &glen), EX_OK);
    CHECK(got && memcmp(got, "{\"done\":2}", 10) == 0);
    free(got);
    /* read in parts: snapshot leaves only */
    static uint8_t leaves[1 << 16];
    for (size_t i = 0; i < sizeof leaves; i++)
        leaves[i] = (uint8_t)(i * 31 + 7);
    CHECK_RC(s->ops->rec_append(s, EX_TAB_SNAPLEAVES, 42, leaves, sizeof leaves, &id), EX_OK);
    uint8_t part[100];
    CHECK_RC(s->ops->rec_read_at(s, EX_TAB_SNAPLEAVES, id, 40000, part, sizeof part), EX_OK);
    CHECK(memcmp(part, leaves + 40000, sizeof part) == 0);
    CHECK_RC(s->ops->rec_read_at(s, EX_TAB_SNAPLEAVES, id, sizeof leaves - 50, part, 100),
             EX_ERANGE);
    CHECK_RC(s->ops->rec_read_at(s, EX_TAB_SNAPLEAVES, id + 1, 0, part, 10), EX_ENOTFOUND);
    CHECK_RC(s->ops->rec_read_at(s, T, 1, 0, part, 1), EX_EINVAL);
    /* the decoder hands records back as they are */
    ex_store_dec *d = NULL;
    CHECK_RC(s->ops->dec_new(s, &d), EX_OK);
    const void *rec;
    size_t rlen;
    CHECK_RC(s->ops->decode(d, T, 1, "record 1", 8, &rec, &rlen, NULL), EX_OK);
    CHECK(rlen == 8 && memcmp(rec, "record 1", 8) == 0);
    s->ops->dec_free(d);
}

/* ---- transactions ---- */

static void
test_transactions(const backend *be, ex_store *s)
{
    uint64_t before, n;
    CHECK_RC(s->ops->rec_max(s, EX_TAB_OPTOUTS, &before), EX_OK);
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->rec_append(s, EX_TAB_OPTOUTS, 1, "outer", 5, NULL), EX_OK);
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->rec_append(s, EX_TAB_OPTOUTS, 2, "inner", 5, NULL), EX_OK);
    CHECK_RC(s->ops->rollback(s), EX_OK);
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->rec_append(s, EX_TAB_OPTOUTS, 3, "kept", 4, NULL), EX_OK);
    CHECK_RC(s->ops->commit(s), EX_OK);
    /* a reader sees none of it before the outermost commit */
    ex_store *r = NULL;
    ex_err e = {0};
    CHECK_RC(be_open(be, 0, 1, &r, &e), EX_OK);
    if (r) {
        CHECK_RC(r->ops->rec_max(r, EX_TAB_OPTOUTS, &n), EX_OK);
        CHECK(n == before);
    }
    CHECK_RC(s->ops->commit(s), EX_OK);
    if (r) {
        CHECK_RC(r->ops->rec_max(r, EX_TAB_OPTOUTS, &n), EX_OK);
        CHECK(n == before + 2);
        ex_store_close(r);
    }
    CHECK_RC(s->ops->commit(s), EX_EDB); /* none open */
    CHECK_RC(s->ops->rollback(s), EX_OK);
    /* a store closed inside a transaction keeps nothing of it */
    ex_store *w = NULL;
    CHECK_RC(be_open(be, 0, 0, &w, &e), EX_OK);
    if (w) {
        CHECK_RC(w->ops->begin(w), EX_OK);
        CHECK_RC(w->ops->rec_append(w, EX_TAB_OPTOUTS, 4, "lost", 4, NULL), EX_OK);
        ex_store_close(w);
    }
    CHECK_RC(s->ops->rec_max(s, EX_TAB_OPTOUTS, &n), EX_OK);
    CHECK(n == before + 2);
}

/* ---- readers while another store writes; a second writer waits ---- */

enum { WBATCHES = 30, WPER = 50 };

typedef struct writing {
    const backend *be;
    int rc, done;
    pthread_mutex_t mu;
} writing;

static void *
writer_main(void *arg)
{
    writing *w = arg;
    ex_store *s = NULL;
    ex_err e = {0};
    w->rc = be_open(w->be, 0, 0, &s, &e);
    static char text[WPER][16];
    const void *data[WPER];
    size_t lens[WPER];
    int64_t keys[WPER];
    uint64_t max = 0;
    if (w->rc == EX_OK)
        w->rc = s->ops->rec_max(s, EX_TAB_CAPTURES, &max);
    for (int b = 0; w->rc == EX_OK && b < WBATCHES; b++) {
        for (int i = 0; i < WPER; i++) {
            lens[i] = (size_t)snprintf(text[i], sizeof text[i], "c%d", b);
            data[i] = text[i], keys[i] = b;
        }
        if ((w->rc = s->ops->begin(s)) != EX_OK)
            break;
        w->rc = s->ops->rec_insert_many(s, EX_TAB_CAPTURES, max + 1, WPER, keys, data, lens);
        if (w->rc == EX_OK)
            w->rc = s->ops->commit(s);
        else
            s->ops->rollback(s);
        max += WPER;
    }
    ex_store_close(s);
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* the first writer commits after 300 ms, on a thread of its own */
typedef struct late {
    ex_store *s;
    int rc;
} late;

static void *
late_commit(void *arg)
{
    late *l = arg;
    usleep(300000);
    l->rc = l->s->ops->commit(l->s);
    return NULL;
}

static void
test_concurrency(const backend *be)
{
    writing w = {.be = be, .mu = PTHREAD_MUTEX_INITIALIZER};
    ex_store *r = NULL;
    ex_err e = {0};
    CHECK_RC(be_open(be, 0, 1, &r, &e), EX_OK);
    if (!r)
        return;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, writer_main, &w) == 0);
    /* the reader sees whole batches only, and never fewer than before */
    uint64_t last = 0, seen = 0;
    int partial = 0, backwards = 0, reads = 0, done = 0;
    while (!done) {
        pthread_mutex_lock(&w.mu);
        done = w.done;
        pthread_mutex_unlock(&w.mu);
        uint64_t n = 0;
        if (r->ops->rec_max(r, EX_TAB_CAPTURES, &n) != EX_OK)
            partial++;
        partial += n % WPER != 0;
        backwards += n < last;
        seen += n != last;
        last = n;
        reads++;
    }
    pthread_join(th, NULL);
    CHECK_RC(w.rc, EX_OK);
    CHECK(partial == 0 && backwards == 0 && reads > 1);
    uint64_t n = 0;
    CHECK_RC(r->ops->rec_max(r, EX_TAB_CAPTURES, &n), EX_OK);
    CHECK(n == WBATCHES * WPER);
    ex_store_close(r);
    fprintf(stderr, "%s: %d reads while writing, %llu changes seen\n", be->name, reads,
            (unsigned long long)seen);

    /* a second writer waits for the first one's commit, then goes on */
    ex_store *a = NULL, *b = NULL;
    CHECK_RC(be_open(be, 0, 0, &a, &e), EX_OK);
    CHECK_RC(be_open(be, 0, 0, &b, &e), EX_OK);
    if (!a || !b) {
        ex_store_close(a);
        ex_store_close(b);
        return;
    }
    CHECK_RC(a->ops->begin(a), EX_OK);
    CHECK_RC(a->ops->rec_append(a, EX_TAB_CAPTURES, 0, "a", 1, NULL), EX_OK);
    late l = {a, -1};
    pthread_t lt;
    CHECK(pthread_create(&lt, NULL, late_commit, &l) == 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = b->ops->begin(b);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_RC(rc, EX_OK);
    CHECK(waited > 0.2);
    if (rc == EX_OK) {
        uint64_t id = 0;
        CHECK_RC(b->ops->rec_append(b, EX_TAB_CAPTURES, 0, "b", 1, &id), EX_OK);
        CHECK(id == WBATCHES * WPER + 2);
        CHECK_RC(b->ops->commit(b), EX_OK);
    }
    pthread_join(lt, NULL);
    CHECK_RC(l.rc, EX_OK);
    ex_store_close(b);
    ex_store_close(a);
}

/* ---- schema ---- */

static void
test_schema(backend *be)
{
    ex_store *s = NULL;
    ex_err e = {0};
    CHECK_RC(be_open(be, 1, 0, &s, &e), EX_EEXIST);
    CHECK(s == NULL);
    /* a schema newer than this build's */
    char text[160];
    if (be->pg)
        snprintf(text, sizeof text, "UPDATE meta SET value = '%d' WHERE key = 'schema'",
                 EX_STORE_SCHEMA + 1);
    else
        snprintf(text, sizeof text, "PRAGMA user_version = %d", EX_STORE_SCHEMA + 1);
    CHECK_RC(be_sql(be, text), EX_OK);
    e = (ex_err){0};
    CHECK_RC(be_open(be, 0, 0, &s, &e), EX_EDB);
    CHECK(strstr(e.msg, "is newer than this exante") != NULL);
    backend none;
    if (be_new(&none, be->pg, dir, "none") == 0) {
        e = (ex_err){0};
        int rc = be_open(&none, 0, 0, &s, &e);
        CHECK(rc == EX_ENOLEDGER);
        if (be->pg)
            CHECK(strstr(e.msg, "holds no exante ledger") != NULL);
        be_drop(&none);
    }
}

/* ---- PostgreSQL: bad URLs, refused connections, a connection lost mid-batch ---- */

static void
test_pg_failures(const backend *be)
{
    ex_store *s = NULL;
    ex_err e = {0};
    ex_store_opts o = {0};
    CHECK_RC(ex_store_open_pg("postgresql://h/db?colour=blue", &o, &s, &e), EX_EINVAL);
    CHECK(strstr(e.msg, "not a PostgreSQL connection URL") != NULL);
    e = (ex_err){0};
    CHECK_RC(ex_store_open_pg("postgresql:///x?host=/nonexistent-exante-dir", &o, &s, &e), EX_EDB);
    CHECK(strstr(e.msg, "cannot connect to PostgreSQL") != NULL);
    CHECK(s == NULL);

    /* a batch's rows written, then the connection is killed from outside before the commit */
    CHECK_RC(be_open(be, 0, 0, &s, &e), EX_OK);
    if (!s)
        return;
    uint64_t before = 0, after = 0;
    CHECK_RC(s->ops->rec_max(s, EX_TAB_CAPTURES, &before), EX_OK);
    static char body[100][16];
    const void *data[100];
    size_t lens[100];
    int64_t keys[100];
    for (int i = 0; i < 100; i++) {
        lens[i] = (size_t)snprintf(body[i], sizeof body[i], "lost %d", i);
        data[i] = body[i], keys[i] = 0;
    }
    CHECK_RC(s->ops->begin(s), EX_OK);
    CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_CAPTURES, before + 1, 100, keys, data, lens),
             EX_OK);
    char kill[300];
    snprintf(kill, sizeof kill, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                "datname = '%s' AND pid <> pg_backend_pid()", be->db);
    CHECK_RC(be_sql(be, kill), EX_OK);
    CHECK_RC(s->ops->commit(s), EX_EDB);
    CHECK(strstr(ex_store_errmsg(s), "connection") != NULL);
    fprintf(stderr, "a commit on a dropped connection: %s\n", ex_store_errmsg(s));
    s->ops->rollback(s);
    ex_store_close(s);
    /* nothing of it is there; the next writer writes the same ids */
    CHECK_RC(be_open(be, 0, 0, &s, &e), EX_OK);
    if (!s)
        return;
    CHECK_RC(s->ops->rec_max(s, EX_TAB_CAPTURES, &after), EX_OK);
    CHECK(after == before);
    CHECK_RC(s->ops->rec_insert_many(s, EX_TAB_CAPTURES, before + 1, 100, keys, data, lens),
             EX_OK);
    CHECK_RC(s->ops->rec_max(s, EX_TAB_CAPTURES, &after), EX_OK);
    CHECK(after == before + 100);
    ex_store_close(s);
}

/* ---- PostgreSQL: leases, staged batches, the sequencer's lock ---- */

static int
count_staged(void *ctx, const ex_staged *b)
{
    uint64_t *n = ctx;
    *n += b->len == 3 && memcmp(b->entries, "abc", 3) == 0 && strcmp(b->worker, "a") == 0;
    return EX_OK;
}

static void
test_pg_stage(const backend *be)
{
    ex_store *a = NULL, *b = NULL;
    ex_err e = {0};
    CHECK_RC(be_open(be, 0, 0, &a, &e), EX_OK);
    CHECK_RC(be_open(be, 0, 0, &b, &e), EX_OK);
    if (!a || !b) {
        ex_store_close(a);
        ex_store_close(b);
        return;
    }
    int state = -1;
    uint64_t through = 9, id = 0, n = 0, open = 0;
    char holder[64];
    double left = 0;
    /* a claims the input; b finds it held, and cannot take it over while it lasts */
    CHECK_RC(a->ops->lease_claim(a, "s\n/in", "a", 1, 0, &state, &through, holder, sizeof holder,
                                 &left), EX_OK);
    CHECK(state == EX_LEASE_TAKEN && through == 0);
    CHECK_RC(b->ops->lease_claim(b, "s\n/in", "b", 60, 0, &state, &through, holder,
                                 sizeof holder, &left), EX_OK);
    CHECK(state == EX_LEASE_HELD && strcmp(holder, "a") == 0 && left > 0 && left <= 1);
    CHECK_RC(b->ops->lease_claim(b, "s\n/other", "b", 60, 1, &state, &through, holder,
                                 sizeof holder, &left), EX_OK);
    CHECK(state == EX_LEASE_HELD); /* takeover: never claimed is not taken */
    ex_staged st = {.input = "s\n/in", .source = "s", .path = "/in", .policy = "", .worker = "a",
                    .version = "v", .format = 1, .start = 0, .through = 10, .n = 1,
                    .entries = "abc", .len = 3};
    CHECK_RC(a->ops->stage_put(a, &st, 1, &id), EX_OK);
    CHECK(id > 0);
    /* a's lease expires; b takes the input over from where a's batch ended */
    usleep(1200000);
    CHECK_RC(b->ops->lease_claim(b, "s\n/in", "b", 60, 1, &state, &through, holder,
                                 sizeof holder, &left), EX_OK);
    CHECK(state == EX_LEASE_TAKEN && through == 10);
    /* a, slow, stages nothing more of it */
    st.start = 10, st.through = 20;
    CHECK_RC(a->ops->stage_put(a, &st, 1, NULL), EX_ENOTFOUND);
    CHECK(strstr(ex_store_errmsg(a), "no longer a's") != NULL);
    CHECK_RC(a->ops->stage_counts(a, &n, &open), EX_OK);
    CHECK(n == 1 && open == 1);
    n = 0;
    CHECK_RC(a->ops->stage_scan(a, 0, 8, count_staged, &n), EX_OK);
    CHECK(n == 1);
    /* one sequencer: b is refused while a holds the lock */
    CHECK_RC(a->ops->seq_lock(a), EX_OK);
    CHECK_RC(b->ops->seq_lock(b), EX_EEXIST);
    CHECK(strstr(ex_store_errmsg(b), "another sequencer is running") != NULL);
    /* a batch staged under another policy: dropped, its input handed back, rewound */
    CHECK_RC(b->ops->stage_discard(b, "sha256:other", &n), EX_OK);
    CHECK(n == 1);
    CHECK_RC(a->ops->stage_counts(a, &n, &open), EX_OK);
    CHECK(n == 0 && open == 1);
    CHECK_RC(a->ops->lease_claim(a, "s\n/in", "c", 60, 1, &state, &through, holder,
                                 sizeof holder, &left), EX_OK);
    CHECK(state == EX_LEASE_TAKEN && through == 0);
    CHECK_RC(a->ops->stage_delete(a, id), EX_ENOTFOUND);
    CHECK(strstr(ex_store_errmsg(a), "is gone") != NULL);
    /* done: passed over */
    st.worker = "c", st.done = 1, st.start = 0, st.through = 30;
    CHECK_RC(a->ops->stage_put(a, &st, 60, &id), EX_OK);
    CHECK_RC(b->ops->lease_claim(b, "s\n/in", "b", 60, 0, &state, &through, holder,
                                 sizeof holder, &left), EX_OK);
    CHECK(state == EX_LEASE_DONE);
    CHECK_RC(a->ops->stage_delete(a, id), EX_OK);
    ex_store_close(a);
    ex_store_close(b);
}

static void
run(int pg)
{
    backend be;
    if (be_new(&be, pg, dir, "ops") != 0) {
        CHECK(!"a store to test");
        return;
    }
    fprintf(stderr, "store operations on %s\n", be.name);
    ex_store *s = NULL;
    ex_err e = {0};
    CHECK_RC(be_open(&be, 1, 0, &s, &e), EX_OK);
    if (!s) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    CHECK(s->schema == EX_STORE_SCHEMA);
    CHECK((s->ops->drop_all != NULL) == pg); /* SQLite's file is unlinked instead */
    test_log_rows(s);
    test_records(s);
    test_transactions(&be, s);
    ex_store_close(s);
    test_concurrency(&be);
    if (pg) {
        test_pg_failures(&be);
        test_pg_stage(&be);
    }
    test_schema(&be);
    if (pg) { /* a failed init's undoing: every table gone, no ledger left */
        char back[80];
        snprintf(back, sizeof back, "UPDATE meta SET value = '%d' WHERE key = 'schema'",
                 EX_STORE_SCHEMA);
        CHECK_RC(be_sql(&be, back), EX_OK);
        e = (ex_err){0};
        s = NULL;
        CHECK_RC(be_open(&be, 0, 0, &s, &e), EX_OK);
        if (s) {
            CHECK_RC(s->ops->drop_all(s), EX_OK);
            ex_store_close(s);
        }
        e = (ex_err){0};
        CHECK_RC(be_open(&be, 0, 0, &s, &e), EX_ENOLEDGER);
    }
    be_drop(&be);
}

int
main(void)
{
    char tmp[] = "/tmp/exante-test-stores.XXXXXX";
    CHECK(mkdtemp(tmp) != NULL);
    dir = tmp;
    run(0);
    run(1);
    rmdir(tmp);
    return t_done("test_stores");
}
