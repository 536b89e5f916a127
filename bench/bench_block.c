/* bench_block.c - what blocks (src/store/block.h) store and cost by zstd level, against the
 * records packed one by one as the store kept them before schema 8 (src/store/pack.h), on a
 * ledger's own item and decision records (bench/block.sh).
 *
 *   bench_block LEDGER.db BATCH RUNS [LEVEL...]
 *
 * Reads up to every item and decision record of the ledger (plain, as rec_scan gives them),
 * then for each table, best of RUNS by CPU time of this thread:
 *   pack      ex_pack of every record (a zstd frame each, with the table's dictionary)
 *   unpack    ex_unpack of every packed record
 *   block L   the records in blocks of BATCH (an ingest batch's decisions, and its items),
 *             built at zstd level L; then every block opened and every record read back
 *             (checked against the original once)
 * One JSON line per table and method: bytes stored (the packed records' or blocks' bytes, not
 * SQLite's pages), bytes per record, CPU seconds to write and to read, and per million
 * records. */
#define BENCH_NAME "bench_block"
#include "bench_util.h"
#include "exante.h"
#include "store/block.h"
#include "store/pack.h"
#include "store/store.h"

#include <string.h>
#include <time.h>

typedef struct recs {
    ex_buf all;
    size_t *off, n, cap;
} recs;

static int
keep(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id, (void)key;
    recs *r = ctx;
    if (r->n + 2 > r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1 << 16;
        if (!(r->off = realloc(r->off, r->cap * sizeof *r->off)))
            die("out of memory");
    }
    r->off[r->n] = r->all.len;
    if (ex_buf_put(&r->all, data, len) != EX_OK)
        die("out of memory");
    r->off[++r->n] = r->all.len;
    return EX_OK;
}

static double
thread_cpu(void)
{
    return cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
}

static void
report(const char *table, const char *method, int level, const recs *r, size_t stored, double w,
       double rd)
{
    printf("{\"bench\":\"block\",\"table\":\"%s\",\"method\":\"%s\",\"level\":%d,\"records\":%zu,"
           "\"plain_bytes\":%zu,\"stored_bytes\":%zu,\"bytes_per_record\":%.2f,"
           "\"write_cpu_s\":%.4f,\"read_cpu_s\":%.4f,\"write_cpu_s_per_m\":%.3f,"
           "\"read_cpu_s_per_m\":%.3f}\n",
           table, method, level, r->n, r->all.len, stored, (double)stored / (double)r->n, w, rd,
           w / (double)r->n * 1e6, rd / (double)r->n * 1e6);
    fflush(stdout);
}

static void
per_record(const char *name, int table, const recs *r, int runs)
{
    ex_packer *p;
    if (ex_packer_new(&p) != EX_OK)
        die("out of memory");
    ex_buf packed = {0};
    size_t *po = malloc((r->n + 1) * sizeof *po);
    double bw = 1e30, br = 1e30;
    for (int k = 0; k < runs; k++) {
        packed.len = 0;
        double t = thread_cpu();
        for (size_t i = 0; i < r->n; i++) {
            po[i] = packed.len;
            if (ex_pack(p, table, r->all.data + r->off[i], r->off[i + 1] - r->off[i], &packed) !=
                EX_OK)
                die("ex_pack failed");
        }
        po[r->n] = packed.len;
        double w = thread_cpu() - t;
        t = thread_cpu();
        size_t sum = 0;
        for (size_t i = 0; i < r->n; i++) {
            const void *rec;
            size_t rl;
            ex_err e = {0};
            if (ex_unpack(p, packed.data + po[i], po[i + 1] - po[i], &rec, &rl, &e) != EX_OK)
                die("ex_unpack: %s", e.msg);
            sum += rl;
        }
        double rd = thread_cpu() - t;
        if (sum != r->all.len)
            die("unpacked %zu bytes of %zu", sum, r->all.len);
        bw = w < bw ? w : bw, br = rd < br ? rd : br;
    }
    report(name, "pack", 0, r, packed.len, bw, br);
    free(po);
    ex_buf_free(&packed);
    ex_packer_free(p);
}

static void
blocks(const char *name, const recs *r, size_t batch, int level, int runs)
{
    ex_block_enc *enc;
    ex_block_dec *dec;
    if (ex_block_enc_new(&enc) != EX_OK || ex_block_dec_new(&dec) != EX_OK)
        die("out of memory");
    const void **ptr = malloc(batch * sizeof *ptr);
    size_t *len = malloc(batch * sizeof *len), nb = (r->n + batch - 1) / batch;
    size_t *bo = malloc((nb + 1) * sizeof *bo);
    ex_buf out = {0};
    double bw = 1e30, br = 1e30;
    for (int k = 0; k < runs; k++) {
        out.len = 0;
        double t = thread_cpu();
        for (size_t b = 0; b < nb; b++) {
            size_t first = b * batch, m = r->n - first < batch ? r->n - first : batch;
            for (size_t i = 0; i < m; i++) {
                ptr[i] = r->all.data + r->off[first + i];
                len[i] = r->off[first + i + 1] - r->off[first + i];
            }
            bo[b] = out.len;
            if (ex_block_enc_build(enc, ptr, len, m, level, &out) != EX_OK)
                die("ex_block_enc_build failed");
        }
        bo[nb] = out.len;
        double w = thread_cpu() - t;
        t = thread_cpu();
        size_t sum = 0, at = 0;
        for (size_t b = 0; b < nb; b++) {
            ex_err e = {0};
            if (ex_block_open(dec, out.data + bo[b], bo[b + 1] - bo[b], &e) != EX_OK)
                die("ex_block_open: %s", e.msg);
            for (size_t i = 0, m = ex_block_count(dec); i < m; i++, at++) {
                const void *rec;
                size_t rl;
                if (ex_block_get(dec, i, &rec, &rl) != EX_OK)
                    die("ex_block_get failed");
                if (k == 0 && (rl != r->off[at + 1] - r->off[at] ||
                               memcmp(rec, r->all.data + r->off[at], rl) != 0))
                    die("record %zu differs after its block", at);
                sum += rl;
            }
        }
        double rd = thread_cpu() - t;
        if (sum != r->all.len)
            die("read %zu bytes of %zu", sum, r->all.len);
        bw = w < bw ? w : bw, br = rd < br ? rd : br;
    }
    report(name, "block", level, r, out.len, bw, br);
    ex_buf_free(&out);
    free(ptr);
    free(len);
    free(bo);
    ex_block_enc_free(enc);
    ex_block_dec_free(dec);
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_block LEDGER.db BATCH RUNS [LEVEL...]\n");
        return 2;
    }
    size_t batch = strtoull(argv[2], NULL, 10);
    int runs = atoi(argv[3]);
    if (!batch || runs < 1)
        die("BATCH and RUNS must be positive");
    ex_store *st;
    ex_err err = {0};
    ex_store_opts o = {.read_only = 1};
    if (ex_store_open_sqlite(argv[1], &o, &st, &err) != EX_OK)
        die("%s: %s", argv[1], err.msg);
    static const struct { const char *name; int table; } tabs[] = {
        {"items", EX_TAB_ITEMS}, {"decisions", EX_TAB_DECISIONS}};
    recs r[2];
    memset(r, 0, sizeof r);
    for (size_t t = 0; t < 2; t++) {
        if (st->ops->rec_scan(st, tabs[t].table, 1, UINT64_MAX, keep, &r[t]) != EX_OK)
            die("cannot read the %s table: %s", tabs[t].name, ex_store_errmsg(st));
        if (!r[t].n)
            die("the %s table is empty", tabs[t].name);
        per_record(tabs[t].name, tabs[t].table, &r[t], runs);
        for (int a = 4; a < argc; a++)
            blocks(tabs[t].name, &r[t], batch, atoi(argv[a]), runs);
        if (argc == 4)
            blocks(tabs[t].name, &r[t], batch, 1, runs);
    }
    /* "both": each item followed by its first decision in one block of 2 BATCH records, the
     * decision's copy of the content digest next to the item's (only when every item has
     * exactly one decision, as in a fresh ingest) */
    if (r[0].n == r[1].n) {
        recs m = {0};
        for (size_t i = 0; i < r[0].n; i++)
            for (int t = 0; t < 2; t++)
                keep(&m, 0, 0, r[t].all.data + r[t].off[i], r[t].off[i + 1] - r[t].off[i]);
        for (int a = 4; a < argc; a++)
            blocks("both", &m, 2 * batch, atoi(argv[a]), runs);
        if (argc == 4)
            blocks("both", &m, 2 * batch, 1, runs);
        ex_buf_free(&m.all);
        free(m.off);
    }
    for (size_t t = 0; t < 2; t++) {
        ex_buf_free(&r[t].all);
        free(r[t].off);
    }
    ex_store_close(st);
    return 0;
}
