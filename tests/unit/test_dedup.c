/* test_dedup.c - the bounded-memory duplicate index (src/dedup/): every key put is
 * found again, exactly, whether it is in memory, in a run on disk or in a merged run; keys
 * that share a prefix are told apart by the caller's check; memory does not grow with keys;
 * manifests a save cannot have written are refused. The run files themselves (their format,
 * the 48-bit comparison, wide id ranges, damaged files) are tested in test_dedupruns.c. */
#include "t.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup/dedup.h"


typedef struct want {
    uint64_t id; /* the id the caller accepts */
} want;

static int
same(void *ctx, uint64_t id)
{
    return id == ((want *)ctx)->id;
}

static int
touch(const char *path)
{
    FILE *f = fopen(path, "w");
    return f ? fclose(f) : -1;
}

/* Both readers of a manifest, the load at the start of an ingest and the lookup outside one
 * (saved_find), refuse every manifest a save cannot have written: the lookup says
 * EX_ENOTFOUND with nothing found, the load starts empty and deletes the runs. Each case
 * starts from a good manifest naming one run of 100 slots, which the lookup reads first. */
static void
bad_manifests(void)
{
    static const char *const bad[] = {
        "exante-dedup 1\ncovered 100 7\nrun %s 100\n",      /* the previous version */
        "exante-dedup 3\ncovered 100 7\nrun %s 100\n",      /* a later one */
        "exante-dedup 2\ncover 100 7\nrun %s 100\n",        /* no covered line */
        "exante-dedup 2\ncovered 100 7\nrun %s 99\n",       /* a run of another size */
        "exante-dedup 2\ncovered 100 7\nrun %s 100\nrun run-gone 100\n", /* a run gone */
        "exante-dedup 2\ncovered 100 7\nrun %s 100\nrn run-x 1\n",       /* not a run line */
        /* names that are not a run file's, though the file exists: a path, a name too long */
        "exante-dedup 2\ncovered 100 7\nrun %s 100\nrun run-sub/run-a 0\n",
        "exante-dedup 2\ncovered 100 7\nrun %s 100\nrun run-0123456789abcdefghijk 0\n",
        /* 2^32 + 100 entries: more than a run holds (its low 32 bits are the file's count) */
        "exante-dedup 2\ncovered 100 7\nrun %s 4294967396\n",
    };
    char dir[] = "/tmp/exante-dedup-XXXXXX", path[128], text[512], name[64];
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    static uint64_t k[100];
    for (int i = 0; i < 100; i++)
        k[i] = t_rnd() | 1;
    for (size_t c = 0; c < sizeof bad / sizeof *bad; c++) {
        ex_dedup *t;
        ex_err e = {0};
        CHECK_RC(ex_dedup_open(dir, 1000, &t, &e), EX_OK);
        for (int i = 0; i < 100; i++)
            CHECK_RC(ex_dedup_put(t, k[i], (uint64_t)i + 1, &e), EX_OK);
        CHECK_RC(ex_dedup_save(t, 100, 7, &e), EX_OK);
        ex_dedup_close(t);
        uint64_t id = 0, cov = 0, ck = 0;
        want w = {4};
        CHECK_RC(ex_dedup_saved_find(dir, k[3], same, &w, &id, &cov, &ck), EX_OK);
        CHECK(id == 4 && cov == 100 && ck == 7);
        snprintf(path, sizeof path, "%s/manifest", dir);
        FILE *f = fopen(path, "r");
        int got = f && fgets(text, sizeof text, f) && fgets(text, sizeof text, f) &&
                  fscanf(f, "run %63s 100\n", name) == 1;
        if (f)
            fclose(f);
        CHECK(got);
        if (!got)
            break;
        /* the files the odd names point at exist (empty: not run files either) */
        snprintf(path, sizeof path, "%s/run-sub", dir);
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/run-sub/run-a", dir);
        CHECK(touch(path) == 0);
        snprintf(path, sizeof path, "%s/run-0123456789abcdefghijk", dir);
        CHECK(touch(path) == 0);
        snprintf(path, sizeof path, "%s/manifest", dir);
        f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
            break;
        fprintf(f, bad[c], name);
        fclose(f);
        id = cov = ck = 99;
        w.id = 4;
        int rc = ex_dedup_saved_find(dir, k[3], same, &w, &id, &cov, &ck);
        CHECK(rc == EX_ENOTFOUND && id == 0 && cov == 0 && ck == 0);
        if (rc != EX_ENOTFOUND)
            fprintf(stderr, "  saved_find, case %zu: %s\n", c, ex_strerror(rc));
        CHECK_RC(ex_dedup_open(dir, 1000, &t, &e), EX_OK);
        CHECK_RC(ex_dedup_load(t, &cov, &ck), EX_ENOTFOUND);
        uint64_t nk;
        size_t nr;
        ex_dedup_stats(t, &nk, &nr, NULL);
        CHECK(nk == 0 && nr == 0 && ex_dedup_find(t, k[3], same, &w, &rc) == 0);
        ex_dedup_close(t);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        CHECK(access(path, F_OK) != 0); /* the load deleted the run */
        snprintf(path, sizeof path, "%s/run-sub/run-a", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/run-sub", dir);
        rmdir(path);
    }
    CHECK(rmdir(dir) == 0); /* nothing left behind */
}

/* The default size of the memory table is EX_DEDUP_MEM_ITEMS, or EXANTE_DEDUP_MEM_ITEMS when
 * it is in [16, 2^30]; an index opened with 0 holds that many keys before its first spill. */
static void
mem_items(void)
{
    static const struct {
        const char *env;
        size_t want;
    } cases[] = {
        {NULL, 512u << 10},         {"1000", 1000},     {"16", 16},
        {"15", 512u << 10},         {"-5", 512u << 10}, {"many", 512u << 10},
        {"1073741824", 1u << 30},   {"", 512u << 10},   {"1073741825", 512u << 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (cases[i].env)
            setenv("EXANTE_DEDUP_MEM_ITEMS", cases[i].env, 1);
        else
            unsetenv("EXANTE_DEDUP_MEM_ITEMS");
        size_t got = ex_dedup_mem_items();
        CHECK(got == cases[i].want);
        if (got != cases[i].want)
            fprintf(stderr, "  EXANTE_DEDUP_MEM_ITEMS=%s: %zu\n",
                    cases[i].env ? cases[i].env : "(unset)", got);
    }
    char dir[] = "/tmp/exante-dedup-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    setenv("EXANTE_DEDUP_MEM_ITEMS", "16", 1);
    ex_dedup *t;
    ex_err e = {0};
    size_t runs = 99;
    CHECK_RC(ex_dedup_open(dir, 0, &t, &e), EX_OK);
    for (int i = 0; i < 16; i++)
        CHECK_RC(ex_dedup_put(t, t_rnd() | 1, (uint64_t)i + 1, &e), EX_OK);
    ex_dedup_stats(t, NULL, &runs, NULL);
    CHECK(runs == 0);
    CHECK_RC(ex_dedup_put(t, t_rnd() | 1, 17, &e), EX_OK); /* the 17th: the 16 go to a run */
    ex_dedup_stats(t, NULL, &runs, NULL);
    CHECK(runs == 1);
    ex_dedup_close(t);
    unsetenv("EXANTE_DEDUP_MEM_ITEMS");
    CHECK(rmdir(dir) == 0);
}

int
main(void)
{
    char dir[] = "/tmp/exante-dedup-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    ex_dedup *d;
    ex_err e = {0};
    CHECK_RC(ex_dedup_open(NULL, 0, &d, &e), EX_EINVAL);
    CHECK_RC(ex_dedup_open(dir, 1000, &d, &e), EX_OK);
    enum { N = 60000 };
    static uint64_t keys[N];
    for (int i = 0; i < N; i++) {
        keys[i] = (t_rnd() | 1) & (i % 97 == 0 ? 0xffffff0000000001ULL : ~0ULL);
        CHECK_RC(ex_dedup_put(d, keys[i], (uint64_t)i + 1, &e), EX_OK);
    }
    /* prefix collisions: a second id under an existing key */
    CHECK_RC(ex_dedup_put(d, keys[5], N + 100, &e), EX_OK);
    uint64_t nkeys;
    size_t runs, mem;
    ex_dedup_stats(d, &nkeys, &runs, &mem);
    CHECK(nkeys == N + 1);
    CHECK(runs >= 1 && runs <= 12); /* 60 spills of 1000: levels of 4 runs merged */
    int rc, misses = 0, wrong = 0;
    for (int i = 0; i < N; i++) {
        want w = {(uint64_t)i + 1};
        uint64_t got = ex_dedup_find(d, keys[i], same, &w, &rc);
        if (rc != EX_OK || got != (uint64_t)i + 1)
            wrong++;
    }
    CHECK(wrong == 0);
    want w2 = {N + 100};
    CHECK(ex_dedup_find(d, keys[5], same, &w2, &rc) == N + 100 && rc == EX_OK);
    /* keys never put, and ids the caller rejects, are not found */
    for (int i = 0; i < 20000; i++) {
        want none = {0};
        if (ex_dedup_find(d, t_rnd() | 1, same, &none, &rc) != 0 || rc != EX_OK)
            misses++;
    }
    want bad = {12345678};
    CHECK(ex_dedup_find(d, keys[7], same, &bad, &rc) == 0);
    CHECK(misses == 0);
    /* merges go on a few slots per put, by size tiers: with 300 spills the run count stays
     * small at every put, keys are found while their runs are being merged, and merged-away
     * files go */
    {
        char dir3[] = "/tmp/exante-dedup-XXXXXX";
        if (!mkdtemp(dir3))
            return 2;
        ex_dedup *t;
        CHECK_RC(ex_dedup_open(dir3, 1000, &t, &e), EX_OK);
        enum { M = 300000 };
        static uint64_t k3[M];
        size_t most = 0, r3;
        int lost = 0;
        for (int i = 0; i < M; i++) {
            k3[i] = t_rnd() | 1;
            if (ex_dedup_put(t, k3[i], (uint64_t)i + 1, &e) != EX_OK)
                lost++;
            ex_dedup_stats(t, NULL, &r3, NULL);
            most = r3 > most ? r3 : most;
            if (i % 997 == 0) { /* an earlier key, wherever it is now */
                int j = (int)(t_rnd() % (uint64_t)(i + 1));
                want w = {(uint64_t)j + 1};
                if (ex_dedup_find(t, k3[j], same, &w, &rc) != (uint64_t)j + 1 || rc != EX_OK)
                    lost++;
            }
        }
        CHECK(lost == 0);
        /* 300 spills end as 1 run of level 4, 2 of level 2 and 3 of level 1; on the way, up
         * to FANOUT - 1 waiting runs per level besides the inputs of merges (15 at most
         * here; the old policy of merging the newest 8 beyond 16 kept 17) */
        CHECK(most <= 16);
        for (int i = 0; i < M; i += 7) {
            want w = {(uint64_t)i + 1};
            if (ex_dedup_find(t, k3[i], same, &w, &rc) != (uint64_t)i + 1 || rc != EX_OK)
                lost++;
        }
        CHECK(lost == 0);
        /* on disk: the runs, and at most one file per merge in progress */
        ex_dedup_stats(t, NULL, &r3, NULL);
        DIR *dh = opendir(dir3);
        size_t files = 0;
        for (struct dirent *de; dh && (de = readdir(dh));)
            files += strncmp(de->d_name, "run-", 4) == 0;
        if (dh)
            closedir(dh);
        CHECK(files >= r3 && files <= r3 + 6);
        /* a save settles merges (small ones end, large ones are given up) and names exactly
         * the runs; loaded again, every key is found */
        CHECK_RC(ex_dedup_save(t, M, 1, &e), EX_OK);
        ex_dedup_stats(t, NULL, &r3, NULL);
        ex_dedup_close(t);
        CHECK_RC(ex_dedup_open(dir3, 1000, &t, &e), EX_OK);
        uint64_t cov, ck;
        CHECK_RC(ex_dedup_load(t, &cov, &ck), EX_OK);
        size_t r4;
        ex_dedup_stats(t, NULL, &r4, NULL);
        CHECK(r4 == r3 && cov == M);
        for (int i = 0; i < M; i += 3) {
            want w = {(uint64_t)i + 1};
            if (ex_dedup_find(t, k3[i], same, &w, &rc) != (uint64_t)i + 1 || rc != EX_OK)
                lost++;
        }
        CHECK(lost == 0);
        ex_dedup_reset(t);
        ex_dedup_close(t);
        rmdir(dir3);
    }
    /* memory: the same after 60 spills as it was at the start, but for the runs' directories
     * (256 KiB each, whatever their size) and the counts of the merges in progress (one per
     * level at most) */
    ex_dedup *d2;
    CHECK_RC(ex_dedup_open(dir, 1000, &d2, &e), EX_OK);
    size_t mem0;
    ex_dedup_stats(d2, NULL, NULL, &mem0);
    CHECK(mem - mem0 >= runs * (65537 * 4) && mem - mem0 <= (runs + 3) * (65537 * 4 + 8192));
    ex_dedup_close(d2);
    /* kept between runs: saved, then loaded into a new index that finds every key again
     * (some of them were still in memory at the save: it spills them) */
    for (int i = 0; i < 500; i++) /* a part in memory */
        CHECK_RC(ex_dedup_put(d, keys[i] ^ 2, N + 200 + (uint64_t)i, &e), EX_OK);
    CHECK_RC(ex_dedup_save(d, N + 700, 4242, &e), EX_OK);
    ex_dedup *d3;
    uint64_t covered = 0, ckey = 0, sid = 0;
    /* outside an ingest, the saved runs answer too (the smallest id the caller accepts) */
    want w9 = {9};
    CHECK_RC(ex_dedup_saved_find(dir, keys[8], same, &w9, &sid, &covered, &ckey), EX_OK);
    CHECK(sid == 9 && covered == N + 700 && ckey == 4242);
    want w0 = {0};
    CHECK_RC(ex_dedup_saved_find(dir, keys[8], same, &w0, &sid, &covered, &ckey), EX_OK);
    CHECK(sid == 0 && covered == N + 700);
    CHECK_RC(ex_dedup_open(dir, 1000, &d3, &e), EX_OK);
    CHECK_RC(ex_dedup_load(d3, &covered, &ckey), EX_OK);
    CHECK(covered == N + 700 && ckey == 4242);
    uint64_t nkeys3;
    ex_dedup_stats(d3, &nkeys3, NULL, NULL);
    CHECK(nkeys3 == N + 1 + 500);
    wrong = 0;
    for (int i = 0; i < N; i++) {
        want w = {(uint64_t)i + 1};
        if (ex_dedup_find(d3, keys[i], same, &w, &rc) != (uint64_t)i + 1 || rc != EX_OK)
            wrong++;
    }
    for (int i = 0; i < 500; i++) {
        want w = {N + 200 + (uint64_t)i};
        if (ex_dedup_find(d3, keys[i] ^ 2, same, &w, &rc) != w.id || rc != EX_OK)
            wrong++;
    }
    CHECK(wrong == 0);
    ex_dedup_close(d3);
    ex_dedup_close(d); /* its runs are named by the manifest now: they stay */
    CHECK(access(dir, F_OK) == 0);
    /* a run file the manifest names but of another size: the manifest is not used, and every
     * file goes */
    char path[64];
    snprintf(path, sizeof path, "%s/manifest", dir);
    FILE *f = fopen(path, "a");
    CHECK(f != NULL);
    if (f) {
        fputs("run run-missing 10\n", f);
        fclose(f);
    }
    CHECK_RC(ex_dedup_open(dir, 1000, &d3, &e), EX_OK);
    CHECK_RC(ex_dedup_load(d3, &covered, &ckey), EX_ENOTFOUND);
    ex_dedup_stats(d3, &nkeys3, &runs, NULL);
    CHECK(nkeys3 == 0 && runs == 0);
    want w3 = {1};
    CHECK(ex_dedup_find(d3, keys[0], same, &w3, &rc) == 0);
    ex_dedup_close(d3);
    rmdir(dir); /* unsaved runs were deleted at close, saved ones with the bad manifest */
    CHECK(access(dir, F_OK) != 0);
    bad_manifests();
    mem_items();
    return t_done("test_dedup");
}
