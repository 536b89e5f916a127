/* bench_nearproof.c - near-dup-free proofs at scale (bench/nearproof.sh). One JSON line per
 * measurement.
 *
 *   bench_nearproof build DIR       the near tree of the ledger's current members, made as
 *                                   snapshot create makes it but not stored: the members with
 *                                   their items (snap_members, digests sorted with their items:
 *                                   members_s), the near table read and the band keys bucketed
 *                                   (near_build_collect: collect_s), the buckets sorted and the
 *                                   tree hashed (near_build_finish: finish_s); the peak RSS of
 *                                   the whole, and of the near phases alone (the high-water mark
 *                                   reset after the members are made: near_peak_rss_mib, with
 *                                   what was resident then: rss_before_mib; and the peak of
 *                                   anonymous memory, sampled: near_peak_anon_mib, with
 *                                   anon_before_mib)
 *   bench_nearproof create DIR NAME ex_ledger_snapshot_create whole (digest and near trees,
 *                                   stored): seconds, peak RSS and the peak of anonymous memory
 *                                   (RssAnon sampled every 2 ms: the heap, without the pages of
 *                                   the database SQLite maps, which RSS counts)
 *   bench_nearproof members DIR     snap_members without and with the members' items
 *   bench_nearproof prove DIR NAME K
 *                                   an open near tree (ex_ledger_snapshot_near_open: open_s), K
 *                                   proofs of random unrelated texts of 25 words
 *                                   (ex_snapshot_near_prove_dup: prove_per_s, bytes_per_proof),
 *                                   then up to 2,000 of them parsed and verified with the
 *                                   ledger's key and the text (ex_near_proof_parse and
 *                                   ex_near_proof_verify, the checkpoint's signature each time:
 *                                   verify_per_s), best of three passes */
#define BENCH_NAME "bench_nearproof"
#include "bench_util.h"
#include "exante.h"
#include "ledger/snapshot.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

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

/* resident set size now, MiB */
static double
rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (double)res * 4096.0 / (1024.0 * 1024.0);
}

/* the peak resident set since the last reset (VmHWM), MiB */
static double
hwm_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double v = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            v = strtod(line + 6, NULL) / 1024.0;
    if (f)
        fclose(f);
    return v;
}

/* a /proc/self/status value in kB, as MiB */
static double
status_mib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kl = strlen(key);
    double v = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0)
            v = strtod(line + kl, NULL) / 1024.0;
    if (f)
        fclose(f);
    return v;
}

/* the peak of anonymous memory (RssAnon: the heap, not the database's mapped pages), sampled
 * every 2 ms by a thread of its own */
static volatile int sampling;
static double anon_peak;

static void *
sampler(void *arg)
{
    (void)arg;
    while (sampling) {
        double a = status_mib("RssAnon:");
        if (a > anon_peak)
            anon_peak = a;
        usleep(2000);
    }
    return NULL;
}

static pthread_t sampler_th;

static void
sample_start(void)
{
    anon_peak = status_mib("RssAnon:");
    sampling = 1;
    if (pthread_create(&sampler_th, NULL, sampler, NULL) != 0)
        sampling = 0;
}

static double
sample_stop(void)
{
    if (sampling) {
        sampling = 0;
        pthread_join(sampler_th, NULL);
    }
    double a = status_mib("RssAnon:");
    return a > anon_peak ? a : anon_peak;
}

static void
hwm_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static int
build(const char *dir)
{
    ex_ledger *l = open_ledger(dir, 1);
    snap_set set = {0};
    snap_items mi = {0};
    snap_counts counts;
    snap_policies pol;
    near_build *nb = NULL;
    ex_near_tree_rec t;
    double t0 = now();
    if (snap_members(l, ex_log_size(ex_ledger_log(l)), &set, &counts, &pol, &mi) != EX_OK)
        die("%s", ex_ledger_errmsg(l));
    double t1 = now(), whole = peak_rss_mib(), before = rss_mib();
    double anon_before = status_mib("RssAnon:");
    hwm_reset();
    sample_start();
    if (near_build_collect(l, &set, &mi, &nb) != EX_OK)
        die("%s", ex_ledger_errmsg(l));
    double t2 = now();
    if (near_build_finish(l, nb, 0, 0, &t) != EX_OK)
        die("%s", ex_ledger_errmsg(l));
    double t3 = now(), near_peak = hwm_mib(), near_anon = sample_stop();
    printf("{\"bench\":\"near-build\",\"members\":%llu,\"items\":%llu,\"fingerprinted\":%llu,"
           "\"leaves\":%llu,\"members_s\":%.3f,\"collect_s\":%.3f,\"finish_s\":%.3f,"
           "\"near_s\":%.3f,\"peak_rss_mib\":%.1f,\"rss_before_mib\":%.1f,"
           "\"near_peak_rss_mib\":%.1f,\"anon_before_mib\":%.1f,\"near_peak_anon_mib\":%.1f}\n",
           (unsigned long long)set.n, (unsigned long long)mi.n,
           (unsigned long long)t.fingerprinted, (unsigned long long)t.size, t1 - t0, t2 - t1,
           t3 - t2, t3 - t1, whole > peak_rss_mib() ? whole : peak_rss_mib(), before, near_peak,
           anon_before, near_anon);
    near_build_free(nb);
    snap_items_free(&mi);
    snap_set_free(&set);
    ex_ledger_close(l);
    return 0;
}

/* a random text of 25 words from words no ingest benchmark uses */
static void
random_text(char *out, size_t cap)
{
    static const char *const w[] = {
        "otter",  "lichen", "quarry", "sable",  "thistle", "vellum", "wicket", "yeoman",
        "zinnia", "alder",  "bramble", "cairn", "dapple",  "egret",  "furrow", "gorse",
        "hazel",  "inlet",  "jetty",   "kestrel", "larch", "marram", "nettle", "osprey",
        "plover", "quince", "rushes",  "sorrel", "tansy",  "umbra",  "vetch",  "wrack"};
    size_t at = 0;
    for (int i = 0; i < 25 && at + 16 < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? " " : "", w[bench_pick(32)]);
}

static int
prove(const char *dir, const char *name, unsigned k)
{
    ex_ledger *l = open_ledger(dir, 1);
    ex_vkey vk;
    ex_err e = {0};
    if (ex_vkey_parse(ex_ledger_vkey(l), &vk, &e) != EX_OK)
        die("%s", e.msg);
    ex_snapshot_near *s;
    double t0 = now();
    if (ex_ledger_snapshot_near_open(l, name, &s) != EX_OK)
        die("%s", ex_ledger_errmsg(l));
    double t1 = now();
    unsigned kept = k < 2000 ? k : 2000;
    char **docs = calloc(kept ? kept : 1, sizeof *docs), (*texts)[256] = calloc(kept ? kept : 1, 256);
    size_t *lens = calloc(kept ? kept : 1, sizeof *lens), bytes = 0, maxb = 0;
    unsigned dups = 0;
    ex_near_verdict v = {0};
    if (!docs || !lens || !texts)
        die("out of memory");
    bench_seed(13);
    for (unsigned i = 0; i < k; i++) {
        char t[256], *doc;
        size_t len;
        random_text(t, sizeof t);
        if (ex_snapshot_near_prove_dup(s, t, strlen(t), &doc, &len, &v) != EX_OK)
            die("proof %u failed: %s", i, ex_ledger_errmsg(l));
        dups += (unsigned)v.dup;
        bytes += len;
        if (len > maxb)
            maxb = len;
        unsigned slot = i % kept;
        free(docs[slot]);
        docs[slot] = doc;
        lens[slot] = len;
        memcpy(texts[slot], t, sizeof t);
    }
    double t2 = now();
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
        double t3 = now();
        for (unsigned i = 0; i < kept; i++) {
            ex_near_proof p;
            ex_near_verdict w;
            if (ex_near_proof_parse(docs[i], lens[i], &p, &e) != EX_OK ||
                ex_near_proof_verify(&p, &vk, texts[i], strlen(texts[i]), &w, &e) != EX_OK)
                die("proof %u does not verify: %s", i, e.msg);
            ex_near_proof_clear(&p);
        }
        double dt = now() - t3;
        if (pass == 0 || dt < best)
            best = dt;
    }
    printf("{\"bench\":\"near-prove\",\"leaves\":%llu,\"fingerprinted\":%llu,\"open_s\":%.3f,"
           "\"proofs\":%u,\"near_dup\":%u,\"prove_per_s\":%.0f,\"verified\":%u,"
           "\"verify_per_s\":%.0f,\"bytes_per_proof\":%zu,\"bytes_max\":%zu,"
           "\"peak_rss_mib\":%.1f}\n",
           (unsigned long long)v.size, (unsigned long long)v.fingerprinted, t1 - t0, k, dups,
           k / (t2 - t1 > 0 ? t2 - t1 : 1e-9), kept, kept / (best > 0 ? best : 1e-9),
           bytes / (k ? k : 1), maxb, peak_rss_mib());
    for (unsigned i = 0; i < kept; i++)
        free(docs[i]);
    free(docs);
    free(lens);
    free(texts);
    ex_snapshot_near_close(s);
    ex_ledger_close(l);
    return 0;
}

/* ex_ledger_snapshot_create whole, with the peak of its anonymous memory */
static int
create(const char *dir, const char *name)
{
    ex_ledger *l = open_ledger(dir, 0);
    char *rec = NULL;
    size_t len;
    sample_start();
    double t0 = now();
    if (ex_ledger_snapshot_create(l, name, NULL, &rec, &len, NULL) != EX_OK)
        die("%s", ex_ledger_errmsg(l));
    double t1 = now(), anon = sample_stop();
    const char *sz = strstr(rec, "\",\"size\":");
    printf("{\"bench\":\"near-create\",\"members\":%s,\"seconds\":%.3f,\"peak_rss_mib\":%.1f,"
           "\"peak_anon_mib\":%.1f}\n",
           sz ? strtok((char *)sz + 9, ",}") : "0", t1 - t0, peak_rss_mib(), anon);
    free(rec);
    ex_ledger_close(l);
    return 0;
}

/* snap_members without and with the members' items: what sorting digests with their items
 * costs */
static int
members(const char *dir)
{
    ex_ledger *l = open_ledger(dir, 1);
    double t[2];
    uint64_t n = 0;
    for (int with = 0; with < 2; with++) {
        snap_set set = {0};
        snap_items mi = {0};
        snap_counts counts;
        snap_policies pol;
        double t0 = now();
        if (snap_members(l, ex_log_size(ex_ledger_log(l)), &set, &counts, &pol,
                         with ? &mi : NULL) != EX_OK)
            die("%s", ex_ledger_errmsg(l));
        t[with] = now() - t0;
        n = set.n;
        snap_items_free(&mi);
        snap_set_free(&set);
    }
    printf("{\"bench\":\"near-members\",\"members\":%llu,\"digests_s\":%.3f,"
           "\"with_items_s\":%.3f}\n",
           (unsigned long long)n, t[0], t[1]);
    ex_ledger_close(l);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "members") == 0)
        return members(argv[2]);
    if (argc == 4 && strcmp(argv[1], "create") == 0)
        return create(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "build") == 0)
        return build(argv[2]);
    if (argc == 5 && strcmp(argv[1], "prove") == 0)
        return prove(argv[2], argv[3], (unsigned)strtoul(argv[4], NULL, 10));
    fprintf(stderr, "usage: bench_nearproof build DIR | create DIR NAME | members DIR | prove DIR "
                    "NAME K\n");
    return 2;
}
