/* test_store.c - the SQLite store's bulk mode: with WAL checkpoints on their own thread, a long
 * run of batches keeps the WAL bounded (it starts over again and again), every record lands,
 * and after bulk mode ends SQLite's own checkpoints take over. */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exante.h"
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

int
main(void)
{
    char dir[] = "/tmp/exante-test-store.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
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
