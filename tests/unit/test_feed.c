/* test_feed.c - the parts of `exante filter`: the snapshot membership lookup (snaplookup.c)
 * over leaves crafted to hit its edges (chunk and block boundaries, digests sharing their first
 * 8 bytes across blocks, sizes around powers of two, digests below the first and above the
 * last leaf), its refusal of damaged leaves; the WARC reader's raw record bytes (with a stream
 * buffer small enough that records outgrow it); and outstream's three kinds of output. */
#include <stdint.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "exante.h"
#include "ingest/outstream.h"
#include "ingest/warc_internal.h"
#include "ledger/ledger.h"
#include "ledger/snapshot.h"
#include "store/store.h"
#include "t.h"

static char DIR_[64];

/* digest i of a crafted set: ascending; with `shared`, runs of 40 leaves share their first 8
 * bytes (so runs straddle the 32-leaf blocks) */
static void
crafted(uint64_t i, int shared, uint8_t d[EX_HASH_BYTES])
{
    memset(d, 0, EX_HASH_BYTES);
    uint64_t hi = shared ? (i / 40 + 1) * 6 : (i + 1) * 6, lo = shared ? (i % 40 + 1) * 6 : 7;
    for (int b = 0; b < 8; b++) {
        d[b] = (uint8_t)(hi >> (56 - 8 * b));
        d[24 + b] = (uint8_t)(lo >> (56 - 8 * b));
    }
    d[12] = shared ? 0 : (uint8_t)i; /* noise that keeps the order */
}

/* store n crafted leaves as snapshot rows under key, in chunks as snapshot.c writes them */
static void
store_leaves(ex_ledger *l, int64_t key, uint64_t n, int shared)
{
    uint8_t *chunk = malloc(1 + (size_t)SNAP_CHUNK_LEAVES * EX_HASH_BYTES);
    chunk[0] = 'L';
    for (uint64_t i = 0; i < n; i += SNAP_CHUNK_LEAVES) {
        uint64_t k = n - i < SNAP_CHUNK_LEAVES ? n - i : SNAP_CHUNK_LEAVES;
        for (uint64_t j = 0; j < k; j++)
            crafted(i + j, shared, chunk + 1 + j * EX_HASH_BYTES);
        CHECK_RC(l->st->ops->rec_append(l->st, EX_TAB_SNAPLEAVES, key, chunk,
                                        1 + k * EX_HASH_BYTES, NULL),
                 EX_OK);
    }
    free(chunk);
}

static int
has(snap_lookup *s, const uint8_t d[EX_HASH_BYTES])
{
    int m = -1;
    CHECK_RC(snap_lookup_has(s, d, &m), EX_OK);
    return m;
}

static void
lookup_case(ex_ledger *l, int64_t key, uint64_t n, int shared)
{
    store_leaves(l, key, n, shared);
    snap rec = {.log_index = (uint64_t)key, .size = n};
    strcpy(rec.name, "crafted");
    snap_lookup *s = NULL;
    CHECK_RC(snap_lookup_open(l, &rec, &s), EX_OK);
    if (!s)
        return;
    CHECK(snap_lookup_size(s) == n);
    uint8_t d[EX_HASH_BYTES], e[EX_HASH_BYTES];
    uint64_t wrong = 0;
    for (uint64_t i = 0; i < n; i++) {
        crafted(i, shared, d);
        wrong += has(s, d) != 1;
        /* just above and just below a member: not members */
        memcpy(e, d, EX_HASH_BYTES);
        e[31] ^= 1;
        wrong += has(s, e) != 0;
        memcpy(e, d, EX_HASH_BYTES);
        e[31] -= 3;
        wrong += has(s, e) != 0;
    }
    CHECK(wrong == 0);
    /* snap_has, the search without set-up, agrees (on a sample) */
    for (uint64_t i = 0; i < n; i += n / 40 + 1) {
        int m = -1;
        crafted(i, shared, d);
        CHECK_RC(snap_has(l, &rec, d, &m), EX_OK);
        wrong += m != 1;
        d[31] ^= 1;
        CHECK_RC(snap_has(l, &rec, d, &m), EX_OK);
        wrong += m != 0;
    }
    CHECK(wrong == 0);
    memset(e, 0, EX_HASH_BYTES);
    int m0 = -1;
    CHECK_RC(snap_has(l, &rec, e, &m0), EX_OK);
    CHECK(m0 == 0);
    CHECK(has(s, e) == 0); /* below the first leaf */
    memset(e, 0xff, EX_HASH_BYTES);
    CHECK(has(s, e) == 0); /* above the last */
    snap_lookup_close(s);
}

static void
test_lookup(void)
{
    ex_ledger *l = NULL;
    ex_err err = {0};
    snprintf(DIR_, sizeof DIR_, "/tmp/exante-feed-%d", (int)getpid());
    CHECK_RC(ex_ledger_init(DIR_, NULL, &l, &err), EX_OK);
    if (!l)
        return;
    static const uint64_t sizes[] = {0,  1,  2,  31, 32, 33, 63, 64, 65, 255, 256, 257,
                                     SNAP_CHUNK_LEAVES - 1, SNAP_CHUNK_LEAVES,
                                     SNAP_CHUNK_LEAVES + 1, 2 * SNAP_CHUNK_LEAVES + 33};
    int64_t key = 1000;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        lookup_case(l, key++, sizes[i], 0);
        lookup_case(l, key++, sizes[i], 1);
    }
    /* the record says more leaves than are stored */
    store_leaves(l, key, 10, 0);
    snap rec = {.log_index = (uint64_t)key++, .size = 11};
    strcpy(rec.name, "short");
    snap_lookup *s = NULL;
    CHECK_RC(snap_lookup_open(l, &rec, &s), EX_EVERIFY);
    CHECK(strstr(ex_ledger_errmsg(l), "10 leaves stored, its record says 11") != NULL);
    /* leaves out of order: refused, naming the leaf */
    uint8_t bad[1 + 3 * EX_HASH_BYTES];
    bad[0] = 'L';
    crafted(0, 0, bad + 1);
    crafted(2, 0, bad + 1 + EX_HASH_BYTES);
    crafted(1, 0, bad + 1 + 2 * EX_HASH_BYTES);
    CHECK_RC(l->st->ops->rec_append(l->st, EX_TAB_SNAPLEAVES, key, bad, sizeof bad, NULL), EX_OK);
    rec.log_index = (uint64_t)key++;
    rec.size = 3;
    CHECK_RC(snap_lookup_open(l, &rec, &s), EX_EVERIFY);
    CHECK(strstr(ex_ledger_errmsg(l), "stored leaf 2 is not above the one before it") != NULL);
    /* a short chunk that is not the last */
    store_leaves(l, key, 5, 0);
    CHECK_RC(l->st->ops->rec_append(l->st, EX_TAB_SNAPLEAVES, key, bad, 1 + EX_HASH_BYTES, NULL),
             EX_OK);
    rec.log_index = (uint64_t)key++;
    rec.size = 6;
    CHECK_RC(snap_lookup_open(l, &rec, &s), EX_EFORMAT);
    /* partial reads: out of range and missing rows, and a table stored packed */
    uint8_t buf[64];
    CHECK_RC(l->st->ops->rec_read_at(l->st, EX_TAB_SNAPLEAVES, 1, 0, buf, 1), EX_OK);
    CHECK(buf[0] == 'L');
    CHECK_RC(l->st->ops->rec_read_at(l->st, EX_TAB_SNAPLEAVES, 1, 1, buf, 1u << 30), EX_ERANGE);
    CHECK_RC(l->st->ops->rec_read_at(l->st, EX_TAB_SNAPLEAVES, 999999, 0, buf, 1), EX_ENOTFOUND);
    CHECK_RC(l->st->ops->rec_read_at(l->st, EX_TAB_SNAPLEAVES, 1, 0, buf, 1), EX_OK);
    CHECK_RC(l->st->ops->rec_read_at(l->st, EX_TAB_ITEMS, 1, 0, buf, 1), EX_EINVAL);
    ex_ledger_close(l);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", DIR_);
    CHECK(system(cmd) == 0);
}

/* ---- WARC raw bytes ---- */

typedef struct got {
    const uint8_t *file;
    int n, with_raw;
    uint64_t wrong;
} got;

static int
on_item(void *ctx, const ex_item *it)
{
    got *g = ctx;
    g->n++;
    /* the record's bytes: they start a record and end with its CRLF CRLF */
    g->wrong += it->raw_len < 14 || memcmp(g->file + it->offset, "WARC/1.1\r\n", 10) != 0 ||
                memcmp(g->file + it->offset + it->raw_len - 4, "\r\n\r\n", 4) != 0;
    if (it->raw) {
        g->with_raw++;
        g->wrong += memcmp(it->raw, g->file + it->offset, it->raw_len) != 0;
    }
    return EX_OK;
}

static void
test_warc_raw(void)
{
    ex_buf f = {0};
    for (int i = 0; i < 40; i++) {
        char body[3000];
        size_t n = (size_t)(i * 97 % 2900) + 1;
        memset(body, 'a' + i % 26, n);
        ex_buf_printf(&f,
                      "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: https://x/%d\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      i, n);
        ex_buf_put(&f, body, n);
        ex_buf_puts(&f, i % 3 ? "\r\n\r\n" : "\r\n\r\n\r\n"); /* blank lines between, too */
        if (i % 7 == 0) /* a record that is no item */
            ex_buf_puts(&f, "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 2\r\n\r\nGE\r\n\r\n");
    }
    static const size_t caps[] = {0, 64, 1024, 5000, 1u << 20};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        for (int raw = 0; raw < 2; raw++) {
            got g = {.file = (const uint8_t *)f.data};
            ex_reader_cb cb = {on_item, NULL, &g, raw};
            ex_warc_limits lim = {.buf_cap = caps[c], .read_max = 777};
            ex_err err = {0};
            CHECK_RC(ex_warc_parse_buffer((const uint8_t *)f.data, f.len, &lim, &cb, &err), EX_OK);
            CHECK(g.n == 40);
            CHECK(g.wrong == 0);
            if (!raw)
                CHECK(g.with_raw == 0);
            else if (caps[c] == 0 || caps[c] >= 5000)
                CHECK(g.with_raw == 40); /* every record fits the buffer */
            else if (caps[c] == 64)
                CHECK(g.with_raw == 0); /* none does */
        }
    }
    ex_buf_free(&f);
}

/* ---- outstream ---- */

static void
test_outstream(void)
{
    char path[96];
    ex_buf want = {0};
    for (int i = 0; i < 300000; i++)
        ex_buf_printf(&want, "{\"text\":\"line %ld\"}\n", (long)i * 7919 % 100003);
    static const char *const ext[] = {".jsonl", ".jsonl.gz", ".jsonl.zst"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "/tmp/exante-out-%d%s", (int)getpid(), ext[k]);
        ex_outstream *o = NULL;
        ex_err err = {0};
        CHECK_RC(ex_outstream_open(path, -1, &o, &err), EX_OK);
        if (!o)
            continue;
        CHECK(ex_outstream_compression(o) == k);
        CHECK(access(path, F_OK) != 0); /* only a temporary so far */
        for (size_t at = 0; at < want.len; at += 4099) {
            size_t n = want.len - at < 4099 ? want.len - at : 4099;
            CHECK_RC(ex_outstream_write(o, want.data + at, n, &err), EX_OK);
            if (at % 40990 == 0)
                CHECK_RC(ex_outstream_end_member(o, &err), EX_OK);
        }
        uint64_t bytes = 0;
        CHECK_RC(ex_outstream_close(o, 1, &bytes, &err), EX_OK);
        FILE *fp = fopen(path, "rb");
        ex_buf file = {0};
        char chunk[65536];
        size_t r;
        while (fp && (r = fread(chunk, 1, sizeof chunk, fp)) > 0)
            ex_buf_put(&file, chunk, r);
        if (fp)
            fclose(fp);
        CHECK(bytes == file.len);
        ex_buf plain = {0};
        if (k == 0) {
            ex_buf_put(&plain, file.data, file.len);
        } else if (k == 1) {
            /* every member in turn (ISA-L's inflate; the CLI test checks with Python's zlib) */
            struct inflate_state z;
            size_t at = 0;
            while (at < file.len) {
                isal_inflate_init(&z);
                z.crc_flag = ISAL_GZIP;
                z.next_in = (uint8_t *)file.data + at;
                z.avail_in = (uint32_t)(file.len - at);
                int zr;
                do {
                    z.next_out = (uint8_t *)chunk;
                    z.avail_out = sizeof chunk;
                    zr = isal_inflate(&z);
                    ex_buf_put(&plain, chunk, sizeof chunk - z.avail_out);
                } while (zr == ISAL_DECOMP_OK && z.block_state != ISAL_BLOCK_FINISH);
                CHECK(zr == ISAL_DECOMP_OK && z.block_state == ISAL_BLOCK_FINISH);
                if (zr != ISAL_DECOMP_OK || z.block_state != ISAL_BLOCK_FINISH)
                    break;
                at = file.len - z.avail_in;
            }
        } else {
            unsigned long long n = ZSTD_getFrameContentSize(file.data, file.len);
            if (n == ZSTD_CONTENTSIZE_UNKNOWN) {
                ZSTD_DStream *ds = ZSTD_createDStream();
                ZSTD_inBuffer in = {file.data, file.len, 0};
                while (in.pos < in.size) {
                    ZSTD_outBuffer out = {chunk, sizeof chunk, 0};
                    size_t zr = ZSTD_decompressStream(ds, &out, &in);
                    CHECK(!ZSTD_isError(zr));
                    if (ZSTD_isError(zr))
                        break;
                    ex_buf_put(&plain, chunk, out.pos);
                }
                ZSTD_freeDStream(ds);
            }
        }
        CHECK(plain.len == want.len && memcmp(plain.data, want.data, want.len) == 0);
        ex_buf_free(&plain);
        ex_buf_free(&file);
        unlink(path);
    }
    /* keep = 0 (a failed run): no file, no temporary */
    snprintf(path, sizeof path, "/tmp/exante-out-%d.gz", (int)getpid());
    ex_outstream *o = NULL;
    ex_err err = {0};
    CHECK_RC(ex_outstream_open(path, -1, &o, &err), EX_OK);
    CHECK_RC(ex_outstream_write(o, want.data, want.len, &err), EX_OK);
    CHECK_RC(ex_outstream_close(o, 0, NULL, &err), EX_OK);
    CHECK(access(path, F_OK) != 0);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls /tmp | grep -q 'exante-out-%d.gz.tmp'", (int)getpid());
    CHECK(system(cmd) != 0);
    /* an empty gzip output is still a gzip file (one empty member) */
    CHECK_RC(ex_outstream_open(path, -1, &o, &err), EX_OK);
    CHECK_RC(ex_outstream_close(o, 1, NULL, &err), EX_OK);
    snprintf(cmd, sizeof cmd, "gzip -t %s", path);
    CHECK(system(cmd) == 0);
    unlink(path);
    /* a directory that does not exist */
    CHECK_RC(ex_outstream_open("/nonexistent/dir/x.zst", -1, &o, &err), EX_EIO);
    CHECK(strstr(err.msg, "cannot create '/nonexistent/dir/x.zst'") != NULL);
    ex_buf_free(&want);
}

int
main(void)
{
    test_lookup();
    test_warc_raw();
    test_outstream();
    return t_done("test_feed");
}
