/* bench_log.c - throughput benchmarks of the Merkle log (not a test: never run by ctest).
 *
 *   bench_log hash N                        N leaf hashes (64-byte inputs), N node hashes
 *   bench_log append N MODE BATCH [--keep DIR] [--trace FILE]
 *                                           MODE = memory | durable; N ~100-byte entries
 *                                           appended BATCH at a time, one transaction each;
 *                                           --trace writes "size seconds" for every batch
 *   bench_log prove DIR N                   N inclusion proofs at random indexes of the
 *                                           ledger in DIR, then N verifications
 *
 * Each subcommand prints one line of JSON to stdout; progress goes to stderr. Timings cover
 * only the library calls being measured: inputs are prepared outside the timed regions. */
#include <exante.h>

#include <errno.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define BENCH_NAME "bench_log"
#include "bench_util.h"

#define ENTRY_LEN 100
#define PROOF_CHUNK 4096 /* proofs prepared per untimed round before a timed verification */

/* system CPU seconds and minor page faults so far */
static void
sys_usage(double *sys_s, uint64_t *minflt)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    *minflt = (uint64_t)ru.ru_minflt;
}

static void
check(int rc, const char *what, const char *detail)
{
    if (rc != EX_OK)
        die("%s: %s%s%s", what, ex_strerror(rc), detail && *detail ? ": " : "",
            detail ? detail : "");
}

static uint64_t
parse_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end); /* accepts 1e6 */
    if (errno || end == s || *end || v < 1 || v > 1e12)
        die("bad %s '%s'", what, s);
    return (uint64_t)v;
}

/* splitmix64: a fixed-seed generator, identical on every run */
static uint64_t
rnd(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* uniform in [0, n) */
static uint64_t
rnd_below(uint64_t *s, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;
    do
        x = rnd(s);
    while (x >= lim);
    return x % n;
}

/* ---- hash ------------------------------------------------------------------------------ */

static int
cmd_hash(int argc, char **argv)
{
    if (argc != 1)
        die("usage: bench_log hash N");
    uint64_t n = parse_count(argv[0], "N");
    ex_sha256 *h;
    check(ex_sha256_new(&h), "ex_sha256_new", NULL);

    uint8_t in[64], out[EX_HASH_BYTES], l[EX_HASH_BYTES], r[EX_HASH_BYTES];
    for (unsigned i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 7 + 1);
    memset(l, 0x11, sizeof l);
    memset(r, 0x22, sizeof r);

    /* warm up (code, OpenSSL provider caches) */
    for (int i = 0; i < 10000; i++)
        check(ex_merkle_leaf(h, in, sizeof in, out), "ex_merkle_leaf", NULL);

    fprintf(stderr, "hash: %" PRIu64 " leaf hashes of 64 bytes\n", n);
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        /* each input depends on the previous output: nothing can be skipped or batched */
        memcpy(in, out, sizeof out);
        check(ex_merkle_leaf(h, in, sizeof in, out), "ex_merkle_leaf", NULL);
    }
    double t_leaf = now() - t0;

    fprintf(stderr, "hash: %" PRIu64 " node hashes\n", n);
    t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        check(ex_merkle_node(h, l, r, l), "ex_merkle_node", NULL);
    }
    double t_node = now() - t0;

    /* reference: the plain one-shot digest of 64 bytes, as `openssl speed` measures it */
    fprintf(stderr, "hash: %" PRIu64 " plain SHA-256 digests of 64 bytes\n", n);
    t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        memcpy(in, out, sizeof out);
        check(ex_sha256_digest(h, in, sizeof in, out), "ex_sha256_digest", NULL);
    }
    double t_plain = now() - t0;

    ex_sha256_free(h);
    printf("{\"bench\":\"hash\",\"n\":%" PRIu64 ",\"input_bytes\":64,"
           "\"leaf_s\":%.6f,\"leaf_per_s\":%.0f,"
           "\"node_s\":%.6f,\"node_per_s\":%.0f,"
           "\"leaf_node_per_s\":%.0f,"
           "\"sha256_64_per_s\":%.0f,"
           "\"peak_rss_mib\":%.1f,\"check\":\"%02x%02x%02x%02x\"}\n",
           n, t_leaf, (double)n / t_leaf, t_node, (double)n / t_node,
           2.0 * (double)n / (t_leaf + t_node), (double)n / t_plain, peak_rss_mib(), out[0],
           out[1], l[0], l[1]);
    return 0;
}

/* ---- append ---------------------------------------------------------------------------- */

/* entry `seq`: a JSON-like record of exactly ENTRY_LEN bytes, distinct for every seq */
static void
make_entry(uint64_t seq, uint8_t *out)
{
    uint64_t s = seq;
    char tmp[ENTRY_LEN + 64];
    int n = snprintf(tmp, sizeof tmp, "{\"type\":\"bench\",\"seq\":%" PRIu64 ",\"tag\":\"%016" PRIx64
                     "\",\"pad\":\"", seq, rnd(&s));
    while (n < ENTRY_LEN - 2)
        tmp[n++] = 'x';
    tmp[n++] = '"';
    tmp[n++] = '}';
    memcpy(out, tmp, ENTRY_LEN);
}

static uint64_t
dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t total = 0;
    struct dirent *e;
    char p[4096];
    struct stat sb;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
                total += (uint64_t)sb.st_size;
        }
    closedir(d);
    return total;
}

static void
remove_ledger(const char *dir)
{
    static const char *const files[] = {"ledger.db", "ledger.db-wal", "ledger.db-shm", "key.pem",
                                        "vkey"};
    char p[4096];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int
cmd_append(int argc, char **argv)
{
    const char *keep = NULL, *trace_path = NULL;
    char *pos[3];
    int np = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
            keep = argv[++i];
        else if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc)
            trace_path = argv[++i];
        else if (np < 3)
            pos[np++] = argv[i];
        else
            np = 4;
    }
    if (np != 3)
        die("usage: bench_log append N memory|durable BATCH [--keep DIR] [--trace FILE]");
    uint64_t n = parse_count(pos[0], "N");
    int durable = 0;
    if (strcmp(pos[1], "memory") == 0)
        durable = 0;
    else if (strcmp(pos[1], "durable") == 0)
        durable = 1;
    else
        die("MODE must be memory or durable, not '%s'", pos[1]);
    uint64_t batch = parse_count(pos[2], "BATCH");
    if (batch > n)
        batch = n;
    if (keep && !durable)
        die("--keep needs durable mode (a memory ledger has no directory)");

    FILE *trace = NULL;
    if (trace_path && !(trace = fopen(trace_path, "w")))
        die("cannot create %s: %s", trace_path, strerror(errno));

    char dir[4096] = "";
    if (durable) {
        if (keep) {
            snprintf(dir, sizeof dir, "%s", keep);
        } else {
            const char *tmp = getenv("TMPDIR");
            snprintf(dir, sizeof dir, "%s/exante-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
            if (!mkdtemp(dir))
                die("mkdtemp %s: %s", dir, strerror(errno));
        }
    }

    ex_ledger_opts o = {.origin = "bench.exante.local/log", .in_memory = !durable,
                        .durable = durable};
    ex_err err = {0};
    ex_ledger *l;
    check(ex_ledger_init(durable ? dir : NULL, &o, &l, &err), "ex_ledger_init", err.msg);
    ex_log *g = ex_ledger_log(l);

    uint8_t *buf = malloc(batch * ENTRY_LEN);
    const void **ptrs = malloc(batch * sizeof *ptrs);
    size_t *lens = malloc(batch * sizeof *lens);
    if (!buf || !ptrs || !lens)
        die("out of memory");
    for (uint64_t i = 0; i < batch; i++) {
        ptrs[i] = buf + i * ENTRY_LEN;
        lens[i] = ENTRY_LEN;
    }

    fprintf(stderr, "append: %" PRIu64 " entries of %d bytes, %s, batches of %" PRIu64 "%s%s\n",
            n, ENTRY_LEN, durable ? "durable (synchronous=FULL, WAL)" : "in memory", batch,
            durable ? ", in " : "", dir);
    uint64_t tail_from = n - n / 10; /* the last 10% start at the first batch at or past this */
    uint64_t done = 0, tail_n = 0, batches = 0;
    double total = 0, tail = 0, worst = 0;
    unsigned decile = 0;
    double sys0, sys1;
    uint64_t flt0, flt1;
    sys_usage(&sys0, &flt0);
    double wall0 = now();
    while (done < n) {
        size_t k = (size_t)(n - done < batch ? n - done : batch);
        for (size_t i = 0; i < k; i++)
            make_entry(done + i, buf + i * ENTRY_LEN);
        uint64_t first;
        double t0 = now();
        int rc = ex_log_append(g, ptrs, lens, k, &first);
        double dt = now() - t0;
        check(rc, "ex_log_append", ex_log_errmsg(g));
        if (first != done)
            die("append returned index %" PRIu64 ", expected %" PRIu64, first, done);
        total += dt;
        if (dt > worst)
            worst = dt;
        if (done >= tail_from) {
            tail += dt;
            tail_n += k;
        }
        done += k;
        batches++;
        if (trace)
            fprintf(trace, "%" PRIu64 " %.6f\n", done, dt);
        if (done * 10 / n > decile) {
            decile = (unsigned)(done * 10 / n);
            fprintf(stderr, "append: %3.0f%%  %" PRIu64 " entries  %.0f entries/s so far  rss %.0f MiB\n",
                    100.0 * (double)done / (double)n, done, (double)done / total, peak_rss_mib());
        }
    }
    double wall = now() - wall0;
    sys_usage(&sys1, &flt1);
    if (ex_log_size(g) != n)
        die("log size %" PRIu64 " after appending %" PRIu64, ex_log_size(g), n);

    /* storage footprint: the database files, or SQLite's heap for a memory database */
    uint64_t db_bytes = durable ? dir_bytes(dir) : (uint64_t)sqlite3_memory_used();
    double rss = peak_rss_mib();
    double c0 = now();
    ex_ledger_close(l);
    double close_s = now() - c0;
    uint64_t db_bytes_closed = durable ? dir_bytes(dir) : 0;
    if (durable && !keep)
        remove_ledger(dir);
    if (trace && fclose(trace) != 0)
        die("cannot write %s", trace_path);

    printf("{\"bench\":\"append\",\"mode\":\"%s\",\"n\":%" PRIu64 ",\"batch\":%" PRIu64
           ",\"entry_bytes\":%d,\"batches\":%" PRIu64 ",\"append_s\":%.6f,\"wall_s\":%.6f,"
           "\"entries_per_s\":%.0f,\"last10_entries_per_s\":%.0f,\"worst_batch_s\":%.6f,"
           "\"sys_s\":%.3f,\"minor_faults\":%" PRIu64 ","
           "\"close_s\":%.6f,\"peak_rss_mib\":%.1f,\"db_bytes\":%" PRIu64
           ",\"db_bytes_after_close\":%" PRIu64 ",\"kept\":\"%s\"}\n",
           durable ? "durable" : "memory", n, batch, ENTRY_LEN, batches, total, wall,
           (double)n / total, tail_n ? (double)tail_n / tail : 0.0, worst, sys1 - sys0,
           flt1 - flt0, close_s, rss,
           db_bytes, db_bytes_closed, durable && keep ? dir : "");
    free(buf);
    free(ptrs);
    free(lens);
    return 0;
}

/* ---- prove ----------------------------------------------------------------------------- */

typedef uint8_t hash_t[EX_HASH_BYTES];

static int
cmd_prove(int argc, char **argv)
{
    if (argc != 2)
        die("usage: bench_log prove DIR N");
    const char *dir = argv[0];
    uint64_t n = parse_count(argv[1], "N");
    ex_ledger_opts o = {.read_only = 1};
    ex_err err = {0};
    ex_ledger *l;
    check(ex_ledger_open(dir, &o, &l, &err), "ex_ledger_open", err.msg);
    ex_log *g = ex_ledger_log(l);
    uint64_t size = ex_log_size(g);
    if (size == 0)
        die("the ledger in %s is empty", dir);
    hash_t root;
    check(ex_log_root(g, size, root), "ex_log_root", ex_log_errmsg(g));

    hash_t proof[EX_MERKLE_MAX_PROOF];
    size_t plen;
    uint64_t seed = 42, hashes = 0;

    /* 1. proof generation at uniformly random indexes, all timed */
    fprintf(stderr, "prove: %" PRIu64 " inclusion proofs in a tree of %" PRIu64 " entries\n", n,
            size);
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t idx = rnd_below(&seed, size);
        int rc = ex_log_prove_inclusion(g, idx, 0, proof, &plen);
        check(rc, "ex_log_prove_inclusion", ex_log_errmsg(g));
        hashes += plen;
    }
    double t_prove = now() - t0;
    double rss_prove = peak_rss_mib();

    /* 2. verification: proofs, leaf hashes and indexes are prepared in untimed chunks (same
     * seed, so the same indexes); only ex_merkle_verify_inclusion runs inside the clock */
    ex_sha256 *h;
    check(ex_sha256_new(&h), "ex_sha256_new", NULL);
    hash_t(*proofs)[EX_MERKLE_MAX_PROOF] = malloc(PROOF_CHUNK * sizeof *proofs);
    hash_t *leaves = malloc(PROOF_CHUNK * sizeof *leaves);
    uint64_t *idxs = malloc(PROOF_CHUNK * sizeof *idxs);
    size_t *lens = malloc(PROOF_CHUNK * sizeof *lens);
    if (!proofs || !leaves || !idxs || !lens)
        die("out of memory");
    fprintf(stderr, "prove: %" PRIu64 " verifications\n", n);
    seed = 42;
    double t_verify = 0;
    uint64_t done = 0, bad = 0;
    while (done < n) {
        size_t k = (size_t)(n - done < PROOF_CHUNK ? n - done : PROOF_CHUNK);
        for (size_t i = 0; i < k; i++) {
            idxs[i] = rnd_below(&seed, size);
            check(ex_log_prove_inclusion(g, idxs[i], 0, proofs[i], &lens[i]),
                  "ex_log_prove_inclusion", ex_log_errmsg(g));
            check(ex_log_leaf_hash(g, idxs[i], leaves[i]), "ex_log_leaf_hash", ex_log_errmsg(g));
        }
        t0 = now();
        for (size_t i = 0; i < k; i++)
            bad += ex_merkle_verify_inclusion(h, idxs[i], size, leaves[i],
                                              (const hash_t *)proofs[i], lens[i], root,
                                              EX_HASH_BYTES) != EX_OK;
        t_verify += now() - t0;
        done += k;
    }
    if (bad)
        die("%" PRIu64 " of %" PRIu64 " proofs did not verify", bad, n);
    double rss = peak_rss_mib();

    free(proofs);
    free(leaves);
    free(idxs);
    free(lens);
    ex_sha256_free(h);
    ex_ledger_close(l);
    printf("{\"bench\":\"prove\",\"size\":%" PRIu64 ",\"n\":%" PRIu64
           ",\"avg_proof_hashes\":%.2f,\"prove_s\":%.6f,\"proofs_per_s\":%.0f,"
           "\"verify_s\":%.6f,\"verifications_per_s\":%.0f,\"peak_rss_prove_mib\":%.1f,"
           "\"peak_rss_mib\":%.1f}\n",
           size, n, (double)hashes / (double)n, t_prove, (double)n / t_prove, t_verify,
           (double)n / t_verify, rss_prove, rss);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "hash") == 0)
        return cmd_hash(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "append") == 0)
        return cmd_append(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "prove") == 0)
        return cmd_prove(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_log hash N\n"
                    "       bench_log append N memory|durable BATCH [--keep DIR] [--trace FILE]\n"
                    "       bench_log prove DIR N\n");
    return 2;
}
