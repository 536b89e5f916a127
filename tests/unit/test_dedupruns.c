/* test_dedupruns.c - the duplicate index's run files (src/dedup/runfile.c, runs.c): keys are
 * compared on their top 48 bits wherever they are (memory, runs, merged runs, a loaded index,
 * saved_find), checked against a plain reference over many spills and merges; ids 2^32 apart
 * split a spill and keep runs from merging, and are all found; damaged run files and an index
 * of the previous version are refused. */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup/dedup_internal.h"


/* a fresh temporary directory at dir (a mkdtemp template), a failed check if none */
static int
made(char *dir)
{
    int ok = mkdtemp(dir) != NULL;
    CHECK(ok);
    return ok;
}

/* ---- the reference: every (key, id) put, and the candidates a probe is shown ---- */

typedef struct pair {
    uint64_t key, id;
} pair;

static int
cmp_pair48(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->key >> 16 != y->key >> 16)
        return x->key >> 16 < y->key >> 16 ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define SEEN_MAX 64
typedef struct seen {
    uint64_t id[SEEN_MAX];
    size_t n;
    uint64_t accept; /* the id to accept, 0: none (so every candidate is shown) */
} seen;

static int
collect(void *ctx, uint64_t id)
{
    seen *c = ctx;
    if (c->n < SEEN_MAX)
        c->id[c->n] = id;
    c->n++;
    return id == c->accept;
}

/* The candidates d shows for key (every one: the callback accepts none) are exactly the ids
 * of ref[0..n) (sorted by cmp_pair48) whose key has key's top 48 bits: none missing, none
 * other. 1 if so. */
static int
same_candidates(ex_dedup *d, const pair *ref, size_t n, uint64_t key)
{
    pair want = {key & ~(uint64_t)0xffff, 0};
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first pair of that key */
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_pair48(&ref[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    seen c = {.n = 0};
    int rc;
    if (ex_dedup_find(d, key, collect, &c, &rc) != 0 || rc != EX_OK || c.n > SEEN_MAX)
        return 0;
    qsort(c.id, c.n, sizeof *c.id, cmp_u64);
    size_t k = 0;
    for (; lo < n && ref[lo].key >> 16 == key >> 16; lo++, k++)
        if (k >= c.n || c.id[k] != ref[lo].id)
            return 0;
    return k == c.n;
}

/* Keys with their neighbours: a key differing only in its low 16 bits, one differing in one
 * of bits 16..63 */
static uint64_t
neighbour(uint64_t key, unsigned which)
{
    uint64_t k = which == 0 ? key ^ (1 + t_rnd() % 0xffff) : key ^ (1ULL << (16 + which % 48));
    return k ? k : 1;
}

/* Many spills and merges (mem_items small) against the reference, for every key put and for
 * its neighbours, while putting, after, and loaded again; saved_find too. */
static void
against_reference(size_t mem)
{
    enum { N = 12000 };
    static pair ref[N], sorted[N];
    char dir[] = "/tmp/exante-dedupruns-XXXXXX";
    if (!made(dir))
        return;
    ex_dedup *d;
    ex_err e = {0};
    CHECK_RC(ex_dedup_open(dir, mem, &d, &e), EX_OK);
    int bad = 0;
    for (size_t i = 0; i < N; i++) {
        uint64_t r = t_rnd() % 16, key;
        if (i == 0 || r >= 6)
            key = t_rnd() | 1; /* new */
        else if (r < 2) /* an earlier key: a second id for it */
            key = ref[t_rnd() % i].key;
        else /* an earlier key's neighbour: the same top 48 bits, or one bit of them flipped */
            key = neighbour(ref[t_rnd() % i].key, r < 4 ? 0 : (unsigned)t_rnd());
        ref[i] = (pair){key, i + 1};
        CHECK_RC(ex_dedup_put(d, key, i + 1, &e), EX_OK);
        if (i % 101 == 0) { /* an earlier key, and a neighbour of it, wherever they are now */
            memcpy(sorted, ref, (i + 1) * sizeof *ref);
            qsort(sorted, i + 1, sizeof *sorted, cmp_pair48);
            uint64_t k = ref[t_rnd() % (i + 1)].key;
            bad += !same_candidates(d, sorted, i + 1, k);
            bad += !same_candidates(d, sorted, i + 1, neighbour(k, (unsigned)t_rnd()));
        }
    }
    memcpy(sorted, ref, sizeof ref);
    qsort(sorted, N, sizeof *sorted, cmp_pair48);
    size_t runs;
    ex_dedup_stats(d, NULL, &runs, NULL);
    CHECK(runs >= 2); /* on disk, merged or not */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < N; i++) {
            bad += !same_candidates(d, sorted, N, ref[i].key);
            bad += !same_candidates(d, sorted, N, neighbour(ref[i].key, 0));
            bad += !same_candidates(d, sorted, N, neighbour(ref[i].key, (unsigned)i));
            bad += !same_candidates(d, sorted, N, t_rnd() | 1);
        }
        if (pass == 0) { /* saved, and loaded into a new index */
            CHECK_RC(ex_dedup_save(d, N, 77, &e), EX_OK);
            ex_dedup_close(d);
            uint64_t cov, ck;
            CHECK_RC(ex_dedup_open(dir, mem, &d, &e), EX_OK);
            CHECK_RC(ex_dedup_load(d, &cov, &ck), EX_OK);
            CHECK(cov == N && ck == 77);
        }
    }
    CHECK(bad == 0);
    if (bad)
        fprintf(stderr, "  mem_items %zu: %d probes saw other candidates\n", mem, bad);
    /* outside an ingest: the smallest id of the key's top 48 bits that the caller accepts */
    bad = 0;
    for (size_t i = 0; i < N; i += 61) {
        uint64_t id = 0, cov, ck;
        seen c = {.n = 0, .accept = ref[i].id};
        if (ex_dedup_saved_find(dir, neighbour(ref[i].key, 0), collect, &c, &id, &cov, &ck) !=
                EX_OK ||
            id != ref[i].id || cov != N)
            bad++;
    }
    CHECK(bad == 0);
    ex_dedup_reset(d);
    ex_dedup_close(d);
    CHECK(rmdir(dir) == 0);
}

static int
any(void *ctx, uint64_t id)
{
    (void)ctx;
    return id != 0;
}

static size_t
run_files(const char *dir)
{
    DIR *dh = opendir(dir);
    size_t n = 0;
    for (struct dirent *de; dh && (de = readdir(dh));)
        n += strncmp(de->d_name, "run-", 4) == 0;
    if (dh)
        closedir(dh);
    return n;
}

/* Keys differing only in their low 16 bits are one key to the index: each is a candidate for
 * the other, in memory and in a run (the caller tells them apart). */
static void
low_bits(void)
{
    char dir[] = "/tmp/exante-dedupruns-XXXXXX";
    if (!made(dir))
        return;
    ex_dedup *d;
    ex_err e = {0};
    int rc;
    uint64_t a = 0x0123456789ab0001ULL, b = 0x0123456789abfffeULL;
    CHECK_RC(ex_dedup_open(dir, 16, &d, &e), EX_OK);
    CHECK_RC(ex_dedup_put(d, a, 5, &e), EX_OK);
    for (int where = 0; where < 2; where++) { /* in memory, then in a run */
        seen c = {.n = 0};
        CHECK(ex_dedup_find(d, b, collect, &c, &rc) == 0 && c.n == 1 && c.id[0] == 5);
        c = (seen){.n = 0, .accept = 5};
        CHECK(ex_dedup_find(d, b, collect, &c, &rc) == 5);
        c = (seen){.n = 0}; /* bit 16 is compared */
        CHECK(ex_dedup_find(d, a ^ 0x10000, collect, &c, &rc) == 0 && c.n == 0);
        for (uint64_t i = 0; where == 0 && i < 16; i++)
            CHECK_RC(ex_dedup_put(d, t_rnd() | 1, 100 + i, &e), EX_OK);
    }
    CHECK_RC(ex_dedup_save(d, 0, 0, &e), EX_OK);
    uint64_t id, cov, ck;
    CHECK_RC(ex_dedup_saved_find(dir, b, any, NULL, &id, &cov, &ck), EX_OK);
    CHECK(id == 5);
    ex_dedup_reset(d);
    ex_dedup_close(d);
    CHECK(rmdir(dir) == 0);
}

/* Ids 2^32 apart: a spill whose ids span more is split into runs that each span less; runs
 * that would merge into one spanning more are not merged (runs that fit are); every key is
 * found, loaded again too. */
static void
wide_ids(void)
{
    char dir[] = "/tmp/exante-dedupruns-XXXXXX";
    if (!made(dir))
        return;
    enum { M = 16 * 64 };
    static uint64_t key[M], idv[M];
    ex_dedup *d;
    ex_err e = {0};
    size_t runs;
    int rc, lost = 0;
    CHECK_RC(ex_dedup_open(dir, 16, &d, &e), EX_OK);
    /* one spill of ids 1..8 and 2^33 + 1..8: two runs */
    for (int i = 0; i < 17; i++) {
        key[i] = t_rnd() | 1;
        idv[i] = i % 2 ? (1ULL << 33) + (uint64_t)i : (uint64_t)i + 1;
        CHECK_RC(ex_dedup_put(d, key[i], idv[i], &e), EX_OK);
    }
    ex_dedup_stats(d, NULL, &runs, NULL);
    CHECK(runs == 2);
    /* 63 more spills, ids alternating between near 1 and near 2^33: the runs of each range
     * merge among themselves */
    size_t most = 0;
    for (int i = 17; i < M; i++) {
        key[i] = t_rnd() | 1;
        idv[i] = i % 2 ? (1ULL << 33) + (uint64_t)i : (uint64_t)i + 1;
        CHECK_RC(ex_dedup_put(d, key[i], idv[i], &e), EX_OK);
        ex_dedup_stats(d, NULL, &runs, NULL);
        most = runs > most ? runs : most;
    }
    CHECK(most <= 2 * 16); /* two ranges, each merged by tiers (<= 16 runs at 64 spills) */
    for (int i = 0; i < M; i++)
        lost += ex_dedup_find(d, key[i] ^ 0x7, any, NULL, &rc) != idv[i];
    CHECK_RC(ex_dedup_save(d, 9, 9, &e), EX_OK);
    ex_dedup_close(d);
    CHECK_RC(ex_dedup_open(dir, 16, &d, &e), EX_OK);
    uint64_t cov, ck;
    CHECK_RC(ex_dedup_load(d, &cov, &ck), EX_OK);
    for (int i = 0; i < M; i++)
        lost += ex_dedup_find(d, key[i], any, NULL, &rc) != idv[i];
    CHECK(lost == 0);
    ex_dedup_reset(d);
    ex_dedup_close(d);
    /* four spills of ids near 0, 2^31, 2^32 and 3 * 2^31 (the last at the save): no four fit
     * in one run, so none are merged, and all are found */
    CHECK_RC(ex_dedup_open(dir, 16, &d, &e), EX_OK);
    for (int i = 0; i < 64; i++) {
        key[i] = t_rnd() | 1;
        idv[i] = (uint64_t)(i / 16) * (1ULL << 31) + (uint64_t)i + 1;
        CHECK_RC(ex_dedup_put(d, key[i], idv[i], &e), EX_OK);
    }
    CHECK_RC(ex_dedup_save(d, 9, 9, &e), EX_OK);
    ex_dedup_stats(d, NULL, &runs, NULL);
    CHECK(runs == 4 && run_files(dir) == 4);
    /* (a save does not put the keys it spills into the filter: loaded again, they are) */
    ex_dedup_close(d);
    CHECK_RC(ex_dedup_open(dir, 16, &d, &e), EX_OK);
    CHECK_RC(ex_dedup_load(d, &cov, &ck), EX_OK);
    lost = 0;
    for (int i = 0; i < 64; i++) {
        uint64_t id;
        lost += ex_dedup_find(d, key[i], any, NULL, &rc) != idv[i];
        lost += ex_dedup_saved_find(dir, key[i], any, NULL, &id, &cov, &ck) != EX_OK ||
                id != idv[i];
    }
    /* five more spills of ids near 3 * 2^31: the oldest four runs that fit in one are the
     * third (near 2^32), the fourth and the first two new ones, and they merge; the first two
     * runs stay as they are, and the last three spills (at the 48th and 64th put, and at the
     * save) wait for a fourth: six runs */
    for (int i = 0; i < 80; i++)
        CHECK_RC(ex_dedup_put(d, t_rnd() | 1, 3 * (1ULL << 31) + 100 + (uint64_t)i, &e), EX_OK);
    CHECK_RC(ex_dedup_save(d, 9, 9, &e), EX_OK);
    ex_dedup_stats(d, NULL, &runs, NULL);
    CHECK(runs == 6 && run_files(dir) == 6);
    ex_dedup_close(d);
    CHECK_RC(ex_dedup_open(dir, 16, &d, &e), EX_OK);
    CHECK_RC(ex_dedup_load(d, &cov, &ck), EX_OK);
    for (int i = 0; i < 64; i++)
        lost += ex_dedup_find(d, key[i], any, NULL, &rc) != idv[i];
    CHECK(lost == 0);
    ex_dedup_reset(d);
    ex_dedup_close(d);
    CHECK(rmdir(dir) == 0);
}

/* dir holding a saved index of 100 keys (ids 1..100) in one run: its name into name */
static int
saved_index(const char *dir, const uint64_t *k, char name[NAME_LEN])
{
    ex_dedup *d;
    ex_err e = {0};
    size_t runs = 0;
    int ok = ex_dedup_open(dir, 1000, &d, &e) == EX_OK;
    for (int i = 0; ok && i < 100; i++)
        ok = ex_dedup_put(d, k[i], (uint64_t)i + 1, &e) == EX_OK;
    ok = ok && ex_dedup_save(d, 100, 7, &e) == EX_OK;
    if (ok)
        ex_dedup_stats(d, NULL, &runs, NULL);
    ex_dedup_close(d);
    DIR *dh = opendir(dir);
    for (struct dirent *de; dh && (de = readdir(dh));)
        if (strncmp(de->d_name, "run-", 4) == 0 && strlen(de->d_name) < NAME_LEN)
            memcpy(name, de->d_name, strlen(de->d_name) + 1);
    if (dh)
        closedir(dh);
    return ok && runs == 1;
}

/* A run file that is not whole (shorter or longer than its header says, a bad magic or
 * version, directory counts that do not sum to its entry count) is refused: opening it says
 * EX_EIO naming it, saved_find says EX_EIO, and a load does not use the index (EX_ENOTFOUND)
 * and deletes it. */
static void
damaged(void)
{
    enum { SHORTER, LONGER, MAGIC, VERSION, COUNT_UP, COUNT_DOWN, ENTRIES_UP, CASES };
    static const char *const what[CASES] = {"shorter", "longer", "magic", "version",
                                            "a count + 1", "a count - 1", "n + 1"};
    char dir[] = "/tmp/exante-dedupruns-XXXXXX", name[NAME_LEN], path[128];
    if (!made(dir))
        return;
    uint64_t k[100];
    for (int i = 0; i < 100; i++)
        k[i] = t_rnd() | 1;
    for (int c = 0; c < CASES; c++) {
        name[0] = 0;
        CHECK(saved_index(dir, k, name));
        snprintf(path, sizeof path, "%s/%s", dir, name);
        struct stat sb;
        int fd = open(path, O_RDWR);
        CHECK(fd >= 0 && fstat(fd, &sb) == 0);
        if (fd < 0)
            break;
        /* as saved: 40 + 800 bytes, then a sparse directory of 100 (bucket, 1-byte count) */
        CHECK(sb.st_size > 840 && sb.st_size <= 840 + 300 && (sb.st_size - 840) % 3 == 0);
        uint8_t b = 0;
        off_t at = c == MAGIC ? 0 : c == VERSION ? 4 : c == ENTRIES_UP ? 8 : sb.st_size - 1;
        CHECK(pread(fd, &b, 1, at) == 1);
        b = c == MAGIC ? 'e' : c == VERSION ? 1 : c == COUNT_DOWN ? b - 1 : b + 1;
        int ok = c == SHORTER ? ftruncate(fd, sb.st_size - 1) == 0
                 : c == LONGER ? ftruncate(fd, sb.st_size + 1) == 0
                               : pwrite(fd, &b, 1, at) == 1;
        close(fd);
        CHECK(ok);
        run r;
        ex_err e = {0};
        int rc = ex_dedup_run_open(dir, name, &r, &e);
        CHECK(rc == EX_EIO && strstr(e.msg, path) != NULL);
        if (rc != EX_EIO || !strstr(e.msg, path))
            fprintf(stderr, "  %s: %s (%s)\n", what[c], ex_strerror(rc), e.msg);
        ex_dedup_run_close(&r);
        uint64_t id = 9, cov = 9, ck = 9;
        CHECK_RC(ex_dedup_saved_find(dir, k[3], any, NULL, &id, &cov, &ck), EX_EIO);
        CHECK(id == 0 && cov == 0);
        ex_dedup *d;
        size_t runs = 9;
        CHECK_RC(ex_dedup_open(dir, 1000, &d, &e), EX_OK);
        CHECK_RC(ex_dedup_load(d, &cov, &ck), EX_ENOTFOUND);
        ex_dedup_stats(d, NULL, &runs, NULL);
        CHECK(runs == 0 && ex_dedup_find(d, k[3], any, NULL, &rc) == 0);
        ex_dedup_close(d);
        CHECK(access(path, F_OK) != 0 && run_files(dir) == 0);
    }
    CHECK(rmdir(dir) == 0);
}

/* An index written by the previous build (manifest "exante-dedup 1", runs of 16-byte slots)
 * is not used: the load says EX_ENOTFOUND and deletes its files (the ledger rebuilds it),
 * saved_find says EX_ENOTFOUND (its callers read the items instead). */
static void
old_version(void)
{
    char dir[] = "/tmp/exante-dedupruns-XXXXXX", path[128];
    if (!made(dir))
        return;
    snprintf(path, sizeof path, "%s/run-old001", dir);
    FILE *f = fopen(path, "wb");
    uint64_t slots[4] = {0x1000000000000001ULL, 1, 0x2000000000000001ULL, 2};
    CHECK(f && fwrite(slots, sizeof slots, 1, f) == 1);
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/manifest", dir);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("exante-dedup 1\ncovered 2 5\nrun run-old001 2\n", f);
        fclose(f);
    }
    uint64_t id = 9, cov = 9, ck = 9, keys = 9;
    CHECK_RC(ex_dedup_saved_find(dir, slots[0], any, NULL, &id, &cov, &ck), EX_ENOTFOUND);
    CHECK(id == 0 && cov == 0 && ck == 0);
    ex_dedup *d;
    ex_err e = {0};
    int rc;
    CHECK_RC(ex_dedup_open(dir, 1000, &d, &e), EX_OK);
    CHECK_RC(ex_dedup_load(d, &cov, &ck), EX_ENOTFOUND);
    ex_dedup_stats(d, &keys, NULL, NULL);
    CHECK(keys == 0 && ex_dedup_find(d, slots[0], any, NULL, &rc) == 0);
    ex_dedup_close(d);
    CHECK(access(path, F_OK) != 0 && run_files(dir) == 0);
    CHECK(rmdir(dir) == 0);
}

int
main(void)
{
    damaged();
    old_version();
    low_bits();
    for (size_t mem = 16; mem <= 64; mem += 24)
        against_reference(mem);
    wide_ids();
    return t_done("test_dedupruns");
}
