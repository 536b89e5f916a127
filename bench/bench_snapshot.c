/* bench_snapshot.c - snapshots at scale (bench/snapshot.sh). One JSON line per measurement.
 *
 *   bench_snapshot limit N           the physical floor of a snapshot of N members: sorting N
 *                                    random digests as snapshot create sorts its members
 *                                    (ex_merkle_sorted_sort: split at a sampled median, qsort
 *                                    each side) plus hashing their RFC 9162 tree
 *                                    (ex_merkle_sorted_root), both in memory, on one thread
 *                                    (sort_s, root_s, limit_s: the floor); then the
 *                                    same on two threads, as create runs them (sort2_s,
 *                                    root2_s, limit2_s: ex_merkle_sorted_sort with 2,
 *                                    ex_merkle_sorted_root2)
 *   bench_snapshot create DIR NAME   ex_ledger_snapshot_create on the ledger in DIR
 *   bench_snapshot prove DIR NAME K  an open snapshot (ex_ledger_snapshot_open), K proofs of random
 *                                    digests (ex_snapshot_prove_dup), then the library's offline
 *                                    check of up to 20,000 of them with the ledger's key: through
 *                                    one ex_proof_verifier (parse and every step, the checkpoint's
 *                                    signature once), three passes, the best one reported; and
 *                                    2,000 through ex_log_proof_parse and ex_log_proof_verify
 *                                    (what `exante verify-proof` does: the signature each time) */
#define BENCH_NAME "bench_snapshot"
#include "bench_util.h"
#include "exante.h"
#include "merkle/merkle.h"

#include <string.h>

static void
random_digest(uint8_t d[EX_HASH_BYTES])
{
    for (int i = 0; i < EX_HASH_BYTES; i += 8) {
        uint64_t x = bench_rnd();
        memcpy(d + i, &x, 8);
    }
}

/* sorting n random digests and hashing their tree on `threads` threads: *sort, *root seconds */
static void
floor_run(uint8_t (*d)[EX_HASH_BYTES], uint64_t n, int threads, ex_sha256 *h, ex_sha256 *h2,
          double *sort, double *root, uint8_t out[EX_HASH_BYTES])
{
    bench_seed(7);
    for (uint64_t i = 0; i < n; i++)
        random_digest(d[i]);
    double t0 = now();
    if (ex_merkle_sorted_sort(d, n, threads) != EX_OK)
        die("out of memory");
    double t1 = now();
    const uint8_t(*c)[EX_HASH_BYTES] = (const uint8_t(*)[EX_HASH_BYTES])d;
    if ((threads > 1 ? ex_merkle_sorted_root2(h, h2, c, n, out)
                     : ex_merkle_sorted_root(h, c, n, out)) != EX_OK)
        die("hashing failed");
    double t2 = now();
    *sort = t1 - t0;
    *root = t2 - t1;
}

static int
limit(uint64_t n)
{
    uint8_t(*d)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    ex_sha256 *h, *h2;
    if (!d || ex_sha256_new(&h) != EX_OK || ex_sha256_new(&h2) != EX_OK)
        die("out of memory");
    double s1, r1, s2, r2;
    uint8_t root1[EX_HASH_BYTES], root2[EX_HASH_BYTES];
    floor_run(d, n, 1, h, h2, &s1, &r1, root1);
    floor_run(d, n, 2, h, h2, &s2, &r2, root2);
    if (memcmp(root1, root2, EX_HASH_BYTES) != 0)
        die("one and two threads give different roots");
    printf("{\"bench\":\"snapshot-limit\",\"n\":%llu,\"sort_s\":%.3f,\"root_s\":%.3f,"
           "\"limit_s\":%.3f,\"sort2_s\":%.3f,\"root2_s\":%.3f,\"limit2_s\":%.3f,"
           "\"peak_rss_mib\":%.1f}\n",
           (unsigned long long)n, s1, r1, s1 + r1, s2, r2, s2 + r2, peak_rss_mib());
    ex_sha256_free(h);
    ex_sha256_free(h2);
    free(d);
    return 0;
}

static ex_ledger *
open_ledger(const char *dir, int read_only)
{
    ex_ledger_opts o = {.read_only = read_only};
    ex_ledger *l;
    ex_err e = {0};
    if (ex_ledger_open(dir, &o, &l, &e) != EX_OK)
        die("%s", e.msg);
    return l;
}

static int
create(const char *dir, const char *name)
{
    ex_ledger *l = open_ledger(dir, 0);
    char *rec = NULL;
    size_t len;
    double t0 = now();
    if (ex_ledger_snapshot_create(l, name, NULL, &rec, &len, NULL) != EX_OK)
        die("%s", ex_ledger_errmsg(l));
    double t1 = now();
    /* the record's own size, after its root (the near tree's has a size too) */
    const char *sz = strstr(rec, "\",\"size\":");
    printf("{\"bench\":\"snapshot-create\",\"members\":%s,\"seconds\":%.3f,\"peak_rss_mib\":%.1f}\n",
           sz ? strtok((char *)sz + 9, ",}") : "0", t1 - t0, peak_rss_mib());
    free(rec);
    ex_ledger_close(l);
    return 0;
}

static int
prove(const char *dir, const char *name, unsigned k)
{
    ex_ledger *l = open_ledger(dir, 1);
    ex_vkey vk;
    ex_err e = {0};
    if (ex_vkey_parse(ex_ledger_vkey(l), &vk, &e) != EX_OK)
        die("%s", e.msg);
    /* generation: an open snapshot, k proofs of random digests (almost all non-members) */
    ex_snapshot *s;
    double t0 = now();
    if (ex_ledger_snapshot_open(l, name, &s) != EX_OK)
        die("%s", ex_ledger_errmsg(l));
    double t1 = now();
    unsigned kept = k < 20000 ? k : 20000; /* the last ones are kept for verification */
    char **docs = calloc(kept ? kept : 1, sizeof *docs);
    size_t *lens = calloc(kept ? kept : 1, sizeof *lens), bytes = 0;
    if (!docs || !lens)
        die("out of memory");
    bench_seed(11);
    for (unsigned i = 0; i < k; i++) {
        uint8_t d[EX_HASH_BYTES];
        char *doc;
        size_t len;
        random_digest(d);
        if (ex_snapshot_prove_dup(s, d, &doc, &len, NULL) != EX_OK)
            die("proof %u failed", i);
        bytes += len;
        unsigned slot = i % kept;
        free(docs[slot]);
        docs[slot] = doc;
        lens[slot] = len;
    }
    double t2 = now();
    /* verification by the library: a verifier (parse and every step, the checkpoint's
     * signature once); the best of three passes, as the machine is shared */
    ex_proof_verifier *v;
    if (ex_proof_verifier_new(&vk, &v) != EX_OK)
        die("cannot make a verifier");
    double best = 0, worst = 0;
    for (int pass = 0; pass < 3; pass++) {
        double t3 = now();
        for (unsigned i = 0; i < kept; i++) {
            int kind = 0;
            if (ex_proof_verifier_check(v, docs[i], lens[i], &kind, &e) != EX_OK)
                die("proof %u does not verify: %s", i, e.msg);
        }
        double dt = now() - t3;
        if (pass == 0 || dt < best)
            best = dt;
        if (dt > worst)
            worst = dt;
    }
    ex_verifier_stat st;
    ex_proof_verifier_stat(v, &st);
    ex_proof_verifier_free(v);
    /* and one by one, as `exante verify-proof` does: the signature each time */
    unsigned each = kept < 2000 ? kept : 2000;
    double t4 = now();
    for (unsigned i = 0; i < each; i++) {
        ex_log_proof p;
        if (ex_log_proof_parse(docs[i], lens[i], &p, &e) != EX_OK ||
            ex_log_proof_verify(&p, &vk, &e) != EX_OK)
            die("proof %u does not verify: %s", i, e.msg);
        ex_log_proof_clear(&p);
    }
    double t5 = now();
    printf("{\"bench\":\"snapshot-prove\",\"members\":%llu,\"open_s\":%.3f,\"proofs\":%u,"
           "\"prove_per_s\":%.0f,\"verified\":%u,\"verify_per_s\":%.0f,"
           "\"verify_worst_per_s\":%.0f,\"signatures\":%llu,\"verified_each\":%u,\"verify_each_per_s\":%.0f,\"bytes_per_proof\":%zu,"
           "\"peak_rss_mib\":%.1f}\n",
           (unsigned long long)ex_snapshot_size(s), t1 - t0, k, k / (t2 - t1), kept,
           kept / (best > 0 ? best : 1e-9), kept / (worst > 0 ? worst : 1e-9),
           (unsigned long long)st.signatures, each,
           each / (t5 - t4 > 0 ? t5 - t4 : 1e-9), bytes / (k ? k : 1), peak_rss_mib());
    for (unsigned i = 0; i < kept; i++)
        free(docs[i]);
    free(docs);
    free(lens);
    ex_snapshot_close(s);
    ex_ledger_close(l);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "limit") == 0)
        return limit(strtoull(argv[2], NULL, 10));
    if (argc == 4 && strcmp(argv[1], "create") == 0)
        return create(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "prove") == 0)
        return prove(argv[2], argv[3], (unsigned)strtoul(argv[4], NULL, 10));
    fprintf(stderr, "usage: bench_snapshot limit N | create DIR NAME | prove DIR NAME K\n");
    return 2;
}
