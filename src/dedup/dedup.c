/* dedup.c - the exact-duplicate index in bounded memory (dedup.h). */
#include "dedup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct slot {
    uint64_t key; /* 0: empty */
    uint64_t id;
} slot;

#define BLOCK_SLOTS 256 /* a run is read 4 KiB at a time */
/* Runs are merged by size tiers: a spill is a run of level 0, and FANOUT runs of one level are
 * merged into one of the next, so each key is rewritten once per level (log_FANOUT of the
 * spills). A merge is not done at once: it stalled the pipeline for up to a second (8 runs of
 * 512Ki keys, and the merged run was merged again each time, so the stalls grew with the
 * ledger: 0.17 s at 9M items, 1.04 s at 19M). Each put advances every merge in progress by
 * MERGE_STEP slots instead (the same work in all, each key once per level); a merge of level
 * L (FANOUT^(L+1) spills of keys) so ends in a quarter of the puts that fill the next group of
 * that level, and lookups use its inputs until it has ended. */
#define FANOUT 4
#define LEVELS 24       /* 4^24 spills: more keys than a ledger will hold */
#define MAX_RUNS 128    /* at most 2 * FANOUT - 1 per level in use, and what a manifest names */
#define MERGE_STEP 4
#define BLOOM_BYTES (32u << 20)
#define BLOOM_K 8       /* bits set per key, all in one 64-byte line */

#define NAME_LEN 24     /* "run-XXXXXX" and the manifest's names */
#define MANIFEST "manifest"
#define MANIFEST_MAGIC "exante-dedup 1"

typedef struct run {
    int fd;
    uint64_t n;       /* slots, sorted by key then id */
    uint64_t *first;  /* the first key of each block */
    uint64_t nblocks;
    char name[NAME_LEN]; /* its file in dir */
    int listed;       /* named by the manifest on disk */
    int level;        /* 0: a spill; L + 1: FANOUT runs of level L merged */
    int merging;      /* an input of a merge in progress */
} run;

/* A merge in progress: FANOUT runs of one level into a new file, a few slots per put. */
typedef struct merge {
    run *in[FANOUT];
    slot *buf;                 /* the current block of each input */
    size_t pos[FANOUT], len[FANOUT];
    uint64_t blk[FANOUT];
    slot out[BLOCK_SLOTS];     /* the block being written */
    size_t on;
    run res;                   /* the merged run: its file, and its index as it grows */
} merge;

struct ex_dedup {
    char *dir;
    slot *mem;        /* open addressing, fixed capacity */
    size_t cap, n, max;
    uint64_t *bloom;  /* BLOOM_BYTES, 512-bit lines */
    int bloomed;      /* a key was added (until then its pages were never touched) */
    size_t lines;
    run *runs[MAX_RUNS];      /* oldest first */
    size_t nruns;
    merge *merges[LEVELS];    /* in progress, by the level of their inputs */
    int nmerges;
    uint64_t keys;
    slot *scratch;    /* a block read from a run */
    /* listed runs merged away: their files stay until a new manifest no longer names them,
     * so the one on disk stays whole whatever happens to this run */
    char (*dead)[NAME_LEN];
    size_t ndead, cdead;
};

static void *
big_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* probed at random: fewer TLB misses */
#endif
    return p;
}

int
ex_dedup_open(const char *dir, size_t mem_items, ex_dedup **out, ex_err *err)
{
    if (!dir)
        return ex_fail(err, EX_EINVAL, "dedup: no directory");
    ex_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    d->max = mem_items ? mem_items : EX_DEDUP_MEM_ITEMS;
    d->cap = 16;
    while (d->cap < d->max * 2)
        d->cap *= 2;
    d->lines = BLOOM_BYTES / 64;
    if (!(d->dir = strdup(dir)) || !(d->mem = big_alloc(d->cap * sizeof(slot))) ||
        !(d->bloom = big_alloc(BLOOM_BYTES)) ||
        !(d->scratch = malloc(2 * BLOCK_SLOTS * sizeof(slot)))) {
        ex_dedup_close(d);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    *out = d;
    return EX_OK;
}

static void
unlink_in(const ex_dedup *d, const char *name)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", d->dir, name) < sizeof path)
        unlink(path);
}

static void
run_free(run *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->first);
    free(r);
}

/* Give up the merge of level l, if any: its file goes, its inputs stay as they are. */
static void
merge_drop(ex_dedup *d, int l)
{
    merge *m = d->merges[l];
    if (!m)
        return;
    for (int i = 0; i < FANOUT; i++)
        m->in[i]->merging = 0;
    if (m->res.fd >= 0) {
        close(m->res.fd);
        unlink_in(d, m->res.name);
    }
    free(m->res.first);
    free(m->buf);
    free(m);
    d->merges[l] = NULL;
    d->nmerges--;
}

void
ex_dedup_close(ex_dedup *d)
{
    if (!d)
        return;
    for (int l = 0; l < LEVELS; l++)
        merge_drop(d, l);
    for (size_t i = 0; i < d->nruns; i++) {
        if (!d->runs[i]->listed)
            unlink_in(d, d->runs[i]->name); /* not saved: no use to anyone */
        run_free(d->runs[i]);
    }
    free(d->dead);
    if (d->mem)
        munmap(d->mem, d->cap * sizeof(slot));
    if (d->bloom)
        munmap(d->bloom, BLOOM_BYTES);
    free(d->scratch);
    free(d->dir);
    free(d);
}

/* ---- the filter: 8 bits in one 512-bit line ---- */

static void
bloom_add(ex_dedup *d, uint64_t key)
{
    uint64_t h = ex_mix64(key);
    uint64_t *line = d->bloom + (h % d->lines) * 8;
    uint64_t g = h >> 20 | h << 44;
    for (int i = 0; i < BLOOM_K; i++, g >>= 9)
        line[(g >> 6) & 7] |= 1ULL << (g & 63);
}

static int
bloom_maybe(const ex_dedup *d, uint64_t key)
{
    uint64_t h = ex_mix64(key);
    const uint64_t *line = d->bloom + (h % d->lines) * 8;
    uint64_t g = h >> 20 | h << 44;
    for (int i = 0; i < BLOOM_K; i++, g >>= 9)
        if (!(line[(g >> 6) & 7] & (1ULL << (g & 63))))
            return 0;
    return 1;
}

void
ex_dedup_prefetch(const ex_dedup *d, uint64_t key)
{
#if defined(__GNUC__) || defined(__clang__)
    /* mem, cap, bloom and lines never change after open */
    __builtin_prefetch(&d->mem[key & (d->cap - 1)]);
    __builtin_prefetch(d->bloom + (ex_mix64(key) % d->lines) * 8);
#else
    (void)d, (void)key;
#endif
}

/* ---- runs ---- */

static int
cmp_slot(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int
write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* a new run file in d->dir; its name into name */
static int
run_file(ex_dedup *d, char name[NAME_LEN], ex_err *err)
{
    size_t n = strlen(d->dir) + NAME_LEN + 2;
    char *path = malloc(n);
    if (!path)
        return ex_fail(err, EX_ENOMEM, "out of memory"), -1;
    snprintf(path, n, "%s/run-XXXXXX", d->dir);
    int fd = mkstemp(path);
    if (fd < 0)
        ex_fail(err, EX_EIO, "cannot create a file in '%s': %s", d->dir, strerror(errno));
    else
        snprintf(name, NAME_LEN, "%s", strrchr(path, '/') + 1);
    free(path);
    return fd;
}

/* Make run r from sorted slots v[0..n) written to fd: its sparse index. */
static int
run_index(run *r, int fd, uint64_t n, const slot *v, ex_err *err)
{
    r->fd = fd;
    r->n = n;
    r->nblocks = (n + BLOCK_SLOTS - 1) / BLOCK_SLOTS;
    if (!(r->first = malloc((r->nblocks ? r->nblocks : 1) * sizeof *r->first)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    if (v)
        for (uint64_t b = 0; b < r->nblocks; b++)
            r->first[b] = v[b * BLOCK_SLOTS].key;
    return EX_OK;
}

static int
read_block(const ex_dedup *d, const run *r, uint64_t b, slot *out, size_t *n)
{
    uint64_t first = b * BLOCK_SLOTS, cnt = r->n - first < BLOCK_SLOTS ? r->n - first : BLOCK_SLOTS;
    size_t want = (size_t)cnt * sizeof(slot), got = 0;
    (void)d;
    while (got < want) {
        ssize_t k = pread(r->fd, (char *)out + got, want - got,
                          (off_t)(first * sizeof(slot) + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return EX_EIO;
        got += (size_t)k;
    }
    *n = (size_t)cnt;
    return EX_OK;
}

/* Start merging the FANOUT oldest runs of level l that no merge is using. */
static int
merge_start(ex_dedup *d, int l, ex_err *err)
{
    merge *m = calloc(1, sizeof *m);
    if (!m || !(m->buf = malloc(FANOUT * BLOCK_SLOTS * sizeof(slot)))) {
        free(m);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    uint64_t total = 0;
    for (size_t i = 0, k = 0; k < FANOUT && i < d->nruns; i++)
        if (d->runs[i]->level == l && !d->runs[i]->merging) {
            m->in[k++] = d->runs[i];
            total += d->runs[i]->n;
        }
    m->res.fd = -1;
    m->res.level = l + 1;
    m->res.nblocks = (total + BLOCK_SLOTS - 1) / BLOCK_SLOTS; /* capacity of first[] */
    int rc = (m->res.first = malloc((m->res.nblocks ? m->res.nblocks : 1) * sizeof(uint64_t)))
                 ? EX_OK
                 : ex_fail(err, EX_ENOMEM, "out of memory");
    m->res.nblocks = 0;
    if (rc == EX_OK && (m->res.fd = run_file(d, m->res.name, err)) < 0)
        rc = err ? err->code : EX_EIO;
    for (int i = 0; rc == EX_OK && i < FANOUT; i++)
        if (m->in[i]->n &&
            (rc = read_block(d, m->in[i], 0, m->buf + i * BLOCK_SLOTS, &m->len[i])) != EX_OK)
            ex_fail(err, rc, "cannot read the duplicate index in '%s'", d->dir);
    d->merges[l] = m;
    d->nmerges++;
    for (int i = 0; i < FANOUT; i++)
        m->in[i]->merging = 1;
    if (rc != EX_OK)
        merge_drop(d, l);
    return rc;
}

static int merge_more(ex_dedup *d, ex_err *err);

/* The merge of level l has written its last slot: its run replaces its inputs. */
static int
merge_end(ex_dedup *d, int l, ex_err *err)
{
    merge *m = d->merges[l];
    if (m->on && write_all(m->res.fd, m->out, m->on * sizeof(slot)) != 0)
        return ex_fail(err, EX_EIO, "cannot merge the duplicate index runs in '%s': %s", d->dir,
                       strerror(errno));
    m->on = 0;
    run *res = malloc(sizeof *res);
    if (!res || d->ndead + FANOUT > d->cdead) {
        size_t cap = (d->ndead + FANOUT) * 2;
        char(*v)[NAME_LEN] = res ? realloc(d->dead, cap * NAME_LEN) : NULL;
        if (!v) {
            free(res);
            return ex_fail(err, EX_ENOMEM, "out of memory");
        }
        d->dead = v, d->cdead = cap;
    }
    /* start writing it back now, so that a save finds little left to sync */
    (void)sync_file_range(m->res.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    *res = m->res;
    m->res.fd = -1, m->res.first = NULL;
    size_t k = 0;
    for (size_t i = 0; i < d->nruns; i++) {
        run *r = d->runs[i];
        int gone = 0;
        for (int j = 0; j < FANOUT; j++)
            gone |= r == m->in[j];
        if (!gone) {
            d->runs[k++] = r;
            continue;
        }
        if (r->listed)
            memcpy(d->dead[d->ndead++], r->name, NAME_LEN); /* until the next save */
        else
            unlink_in(d, r->name);
        r->merging = 0;
        run_free(r);
    }
    for (int j = 0; j < FANOUT; j++)
        m->in[j] = NULL;
    d->runs[k++] = res;
    d->nruns = k;
    free(m->buf);
    free(m);
    d->merges[l] = NULL;
    d->nmerges--;
    return merge_more(d, err);
}

/* Advance the merge of level l by up to `slots` slots (all of it: (uint64_t)-1). */
static int
merge_step(ex_dedup *d, int l, uint64_t slots, ex_err *err)
{
    merge *m = d->merges[l];
    for (; slots; slots--) {
        int best = -1;
        for (int i = 0; i < FANOUT; i++)
            if (m->pos[i] < m->len[i] &&
                (best < 0 || cmp_slot(&m->buf[i * BLOCK_SLOTS + m->pos[i]],
                                      &m->buf[best * BLOCK_SLOTS + m->pos[best]]) < 0))
                best = i;
        if (best < 0)
            return merge_end(d, l, err);
        const slot *sl = &m->buf[best * BLOCK_SLOTS + m->pos[best]];
        if (m->on == 0)
            m->res.first[m->res.nblocks++] = sl->key;
        m->out[m->on++] = *sl;
        m->res.n++;
        if (m->on == BLOCK_SLOTS) {
            if (write_all(m->res.fd, m->out, sizeof m->out) != 0)
                return ex_fail(err, EX_EIO, "cannot merge the duplicate index runs in '%s': %s",
                               d->dir, strerror(errno));
            m->on = 0;
        }
        if (++m->pos[best] == m->len[best]) {
            run *in = m->in[best];
            m->pos[best] = m->len[best] = 0;
            if (++m->blk[best] < in->nblocks) {
                int rc = read_block(d, in, m->blk[best], m->buf + best * BLOCK_SLOTS,
                                    &m->len[best]);
                if (rc != EX_OK)
                    return ex_fail(err, rc, "cannot read the duplicate index in '%s'", d->dir);
            }
        }
    }
    return EX_OK;
}

/* Start the merges the runs call for: a level with FANOUT runs no merge is using. */
static int
merge_more(ex_dedup *d, ex_err *err)
{
    for (int l = 0; l < LEVELS - 1; l++) {
        if (d->merges[l])
            continue;
        int free_runs = 0;
        for (size_t i = 0; i < d->nruns; i++)
            free_runs += d->runs[i]->level == l && !d->runs[i]->merging;
        if (free_runs >= FANOUT) {
            int rc = merge_start(d, l, err);
            if (rc != EX_OK)
                return rc;
        }
    }
    return EX_OK;
}

/* Each put: every merge in progress a few slots further. */
static int
merge_tick(ex_dedup *d, ex_err *err)
{
    /* the merges in progress now (one that ends may start another: that one waits) */
    for (int l = 0, left = d->nmerges; left && l < LEVELS; l++)
        if (d->merges[l]) {
            left--;
            int rc = merge_step(d, l, MERGE_STEP, err);
            if (rc != EX_OK)
                return rc;
        }
    return EX_OK;
}

/* Sort by key then id: the keys are digest prefixes, spread evenly, so one counting pass on
 * the top 16 bits leaves buckets of a few entries for insertion sort (qsort took 3x longer). */
static int
sort_slots(slot *v, size_t n)
{
    if (n < 4096) {
        qsort(v, n, sizeof *v, cmp_slot);
        return EX_OK;
    }
    size_t *count = calloc(65537, sizeof *count);
    slot *tmp = malloc(n * sizeof *tmp);
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return EX_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        count[(v[i].key >> 48) + 1]++;
    for (size_t b = 1; b <= 65536; b++)
        count[b] += count[b - 1];
    for (size_t i = 0; i < n; i++)
        tmp[count[v[i].key >> 48]++] = v[i];
    /* count[b] is now the end of bucket b: insertion sort within each */
    size_t start = 0;
    for (size_t b = 0; b < 65536; b++) {
        size_t end = count[b];
        for (size_t i = start + 1; i < end; i++) {
            slot x = tmp[i];
            size_t j = i;
            while (j > start && cmp_slot(&tmp[j - 1], &x) > 0) {
                tmp[j] = tmp[j - 1];
                j--;
            }
            tmp[j] = x;
        }
        start = end;
    }
    memcpy(v, tmp, n * sizeof *v);
    free(tmp);
    free(count);
    return EX_OK;
}

/* Write the memory table out as a sorted run and empty it; its keys go into the filter unless
 * the index is being saved (nothing looks it up after that). */
static int
spill(ex_dedup *d, int filter, ex_err *err)
{
    slot *v = malloc((d->n ? d->n : 1) * sizeof *v);
    if (!v)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < d->cap; i++)
        if (d->mem[i].key)
            v[n++] = d->mem[i];
    if (sort_slots(v, n) != EX_OK) {
        free(v);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    /* the filter covers the keys in runs (the memory table is searched exactly): added here,
     * in a batch whose cache misses overlap, rather than one dependent miss per put */
    d->bloomed |= filter;
    for (size_t i = 0; filter && i < n; i++) {
#if defined(__GNUC__) || defined(__clang__)
        if (i + 8 < n)
            __builtin_prefetch(d->bloom + (ex_mix64(v[i + 8].key) % d->lines) * 8, 1);
#endif
        bloom_add(d, v[i].key);
    }
    /* near the cap (merges given up by many saves in a row), merges finish now */
    for (int l = 0; d->nruns >= MAX_RUNS - 1 && d->nmerges && l < LEVELS; l++)
        if (d->merges[l] && merge_step(d, l, (uint64_t)-1, err) != EX_OK) {
            free(v);
            return err ? err->code : EX_EIO;
        }
    char name[NAME_LEN];
    run *r = d->nruns < MAX_RUNS ? calloc(1, sizeof *r) : NULL;
    int fd = r ? run_file(d, name, err) : -1;
    int rc = !r ? ex_fail(err, d->nruns < MAX_RUNS ? EX_ENOMEM : EX_ERANGE,
                          "the duplicate index in '%s' has too many runs", d->dir)
         : fd < 0 ? (err ? err->code : EX_EIO)
                  : EX_OK;
    if (rc == EX_OK && write_all(fd, v, n * sizeof *v) != 0)
        rc = ex_fail(err, EX_EIO, "cannot write the duplicate index to '%s': %s", d->dir,
                     strerror(errno));
    if (rc == EX_OK)
        rc = run_index(r, fd, n, v, err);
    free(v);
    if (rc != EX_OK) {
        if (fd >= 0) {
            close(fd);
            unlink_in(d, name);
        }
        if (r)
            free(r->first);
        free(r);
        return rc;
    }
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* see merge_end */
    memcpy(r->name, name, NAME_LEN);
    d->runs[d->nruns++] = r;
    memset(d->mem, 0, d->cap * sizeof(slot));
    d->n = 0;
    return merge_more(d, err);
}

int
ex_dedup_put(ex_dedup *d, uint64_t key, uint64_t id, ex_err *err)
{
    if (d->n >= d->max) {
        int rc = spill(d, 1, err);
        if (rc != EX_OK)
            return rc;
    }
    size_t j = key & (d->cap - 1); /* keys are digest prefixes: their low bits are uniform */
    while (d->mem[j].key)
        j = (j + 1) & (d->cap - 1);
    d->mem[j].key = key;
    d->mem[j].id = id;
    d->n++;
    d->keys++;
    return d->nmerges ? merge_tick(d, err) : EX_OK;
}

uint64_t
ex_dedup_find(ex_dedup *d, uint64_t key, int (*same)(void *ctx, uint64_t id), void *ctx,
              int *rc)
{
    *rc = EX_OK;
    for (size_t j = key & (d->cap - 1); d->mem[j].key; j = (j + 1) & (d->cap - 1))
        if (d->mem[j].key == key && same(ctx, d->mem[j].id))
            return d->mem[j].id;
    if (!d->nruns || !bloom_maybe(d, key))
        return 0;
    for (size_t i = d->nruns; i-- > 0;) {
        const run *r = d->runs[i];
        /* the last block whose first key is below key, then on while keys can match */
        uint64_t lo = 0, hi = r->nblocks;
        while (lo < hi) {
            uint64_t mid = (lo + hi) / 2;
            if (r->first[mid] < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint64_t b = lo ? lo - 1 : 0; b < r->nblocks && r->first[b] <= key; b++) {
            size_t n;
            if ((*rc = read_block(d, r, b, d->scratch, &n)) != EX_OK)
                return 0;
            for (size_t k = 0; k < n; k++)
                if (d->scratch[k].key == key && same(ctx, d->scratch[k].id))
                    return d->scratch[k].id;
            if (n && d->scratch[n - 1].key > key)
                break;
        }
    }
    return 0;
}

/* ---- keeping the index between runs ---- */

static int
sync_file(const ex_dedup *d, const char *name)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", d->dir, name) >= sizeof path)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* Before a save: merges with at most one spill's worth of slots left are finished (so that
 * short ingests, each saving a small run, do not pile runs up), the others given up (the
 * next ingest starts them again). */
static int
merges_settle(ex_dedup *d, ex_err *err)
{
    for (int l = 0; d->nmerges && l < LEVELS; l++) {
        merge *m = d->merges[l];
        if (!m)
            continue;
        uint64_t left = 0;
        for (int i = 0; i < FANOUT; i++)
            left += m->in[i]->n;
        left -= m->res.n;
        if (left > d->max) {
            merge_drop(d, l);
            continue;
        }
        int rc = merge_step(d, l, (uint64_t)-1, err);
        if (rc != EX_OK)
            return rc;
        l = -1; /* its end may have started others */
    }
    return EX_OK;
}

int
ex_dedup_save(ex_dedup *d, uint64_t covered, uint64_t cover_key, ex_err *err)
{
    int rc = d->n ? spill(d, 0, err) : EX_OK;
    if (rc == EX_OK)
        rc = merges_settle(d, err);
    if (rc != EX_OK)
        return rc;
    /* the runs first, durable; then the manifest naming them replaces the old one at once */
    for (size_t i = 0; i < d->nruns; i++)
        if (!d->runs[i]->listed && fsync(d->runs[i]->fd) != 0)
            return ex_fail(err, EX_EIO, "cannot sync the duplicate index in '%s': %s", d->dir,
                           strerror(errno));
    char tmp[4096], path[4096];
    snprintf(path, sizeof path, "%s/" MANIFEST, d->dir);
    snprintf(tmp, sizeof tmp, "%s/" MANIFEST ".new", d->dir);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    fprintf(f, MANIFEST_MAGIC "\ncovered %llu %llu\n", (unsigned long long)covered,
            (unsigned long long)cover_key);
    for (size_t i = 0; i < d->nruns; i++)
        fprintf(f, "run %s %llu\n", d->runs[i]->name, (unsigned long long)d->runs[i]->n);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    (void)sync_file(d, "."); /* the rename */
    for (size_t i = 0; i < d->nruns; i++)
        d->runs[i]->listed = 1;
    for (size_t i = 0; i < d->ndead; i++)
        unlink_in(d, d->dead[i]);
    d->ndead = 0;
    return EX_OK;
}

/* Drop every run and file: the index starts empty. */
static void
forget(ex_dedup *d)
{
    for (int l = 0; l < LEVELS; l++)
        merge_drop(d, l);
    for (size_t i = 0; i < d->nruns; i++)
        run_free(d->runs[i]);
    d->nruns = 0;
    d->ndead = 0;
    d->keys = d->n;
    if (d->bloomed)
        memset(d->bloom, 0, BLOOM_BYTES);
    d->bloomed = 0;
    DIR *dh = opendir(d->dir);
    struct dirent *de;
    while (dh && (de = readdir(dh)))
        if (strncmp(de->d_name, "run-", 4) == 0 || strcmp(de->d_name, MANIFEST) == 0 ||
            strcmp(de->d_name, MANIFEST ".new") == 0)
            unlink_in(d, de->d_name);
    if (dh)
        closedir(dh);
}

/* open run `name` of n slots as runs[nruns]: its sparse index and its keys in the filter */
static int
load_run(ex_dedup *d, const char *name, uint64_t n)
{
    char path[4096];
    if (strlen(name) >= NAME_LEN || strncmp(name, "run-", 4) != 0 || strchr(name, '/') ||
        (size_t)snprintf(path, sizeof path, "%s/%s", d->dir, name) >= sizeof path)
        return EX_EFORMAT;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0)
        return EX_EIO;
    run *r = calloc(1, sizeof *r);
    if (!r || fstat(fd, &sb) != 0 || (uint64_t)sb.st_size != n * sizeof(slot) ||
        run_index(r, fd, n, NULL, NULL) != EX_OK) {
        close(fd);
        if (r)
            free(r->first);
        free(r);
        return EX_EFORMAT;
    }
    /* its level from its size: a spill holds at most max keys, a merge of level L runs at
     * most FANOUT^(L+1) * max */
    for (uint64_t cap = d->max; n > cap && r->level < LEVELS - 1; cap *= FANOUT)
        r->level++;
    snprintf(r->name, NAME_LEN, "%s", name);
    r->listed = 1;
    d->bloomed = 1;
    uint64_t prev = 0;
    int rc = EX_OK;
    for (uint64_t b = 0; rc == EX_OK && b < r->nblocks; b++) {
        size_t k;
        if ((rc = read_block(d, r, b, d->scratch, &k)) != EX_OK)
            break;
        r->first[b] = d->scratch[0].key;
        for (size_t i = 0; i < k; i++) {
            if (d->scratch[i].key == 0 || d->scratch[i].key < prev) {
                rc = EX_EFORMAT; /* not sorted: not ours */
                break;
            }
            prev = d->scratch[i].key;
            bloom_add(d, prev);
        }
    }
    if (rc != EX_OK) {
        run_free(r);
        return rc;
    }
    d->runs[d->nruns++] = r;
    d->keys += n;
    return EX_OK;
}

int
ex_dedup_load(ex_dedup *d, uint64_t *covered, uint64_t *cover_key)
{
    *covered = *cover_key = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/" MANIFEST, d->dir);
    FILE *f = fopen(path, "r");
    char line[128];
    unsigned long long c = 0, k = 0, n;
    char name[NAME_LEN + 8];
    int ok = f && fgets(line, sizeof line, f) && strcmp(line, MANIFEST_MAGIC "\n") == 0 &&
             fgets(line, sizeof line, f) && sscanf(line, "covered %llu %llu", &c, &k) == 2;
    while (ok && fgets(line, sizeof line, f)) {
        if (d->nruns == MAX_RUNS || sscanf(line, "run %31s %llu", name, &n) != 2 ||
            load_run(d, name, n) != EX_OK)
            ok = 0;
    }
    if (f)
        fclose(f);
    /* files of runs that no manifest names (an ingest that did not finish) go */
    DIR *dh = ok ? opendir(d->dir) : NULL;
    struct dirent *de;
    while (dh && (de = readdir(dh))) {
        int named = strcmp(de->d_name, MANIFEST) == 0;
        for (size_t i = 0; !named && i < d->nruns; i++)
            named = strcmp(de->d_name, d->runs[i]->name) == 0;
        if (!named && (strncmp(de->d_name, "run-", 4) == 0 ||
                       strcmp(de->d_name, MANIFEST ".new") == 0))
            unlink_in(d, de->d_name);
    }
    if (dh)
        closedir(dh);
    if (!ok) {
        forget(d);
        return EX_ENOTFOUND;
    }
    *covered = c;
    *cover_key = k;
    (void)merge_more(d, NULL); /* merges are optional: one that cannot start waits */
    return EX_OK;
}

/* the first slot of the run file fd (n slots) with this key and an id same() accepts */
static int
saved_run_find(int fd, uint64_t n, uint64_t key, int (*same)(void *ctx, uint64_t id), void *ctx,
               uint64_t *id)
{
    uint64_t lo = 0, hi = n;
    slot sl;
    while (lo < hi) { /* the first slot whose key is not below key */
        uint64_t mid = lo + (hi - lo) / 2;
        if (pread(fd, &sl, sizeof sl, (off_t)(mid * sizeof sl)) != (ssize_t)sizeof sl)
            return EX_EIO;
        if (sl.key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n; lo++) {
        if (pread(fd, &sl, sizeof sl, (off_t)(lo * sizeof sl)) != (ssize_t)sizeof sl)
            return EX_EIO;
        if (sl.key != key)
            break;
        if (same(ctx, sl.id)) {
            if (!*id || sl.id < *id)
                *id = sl.id;
            break;
        }
    }
    return EX_OK;
}

int
ex_dedup_saved_find(const char *dir, uint64_t key, int (*same)(void *ctx, uint64_t id),
                    void *ctx, uint64_t *id, uint64_t *covered, uint64_t *cover_key)
{
    *id = *covered = *cover_key = 0;
    char path[4096], line[128], name[NAME_LEN + 8];
    unsigned long long c, k, n;
    if ((size_t)snprintf(path, sizeof path, "%s/" MANIFEST, dir) >= sizeof path)
        return EX_ENOTFOUND;
    FILE *f = fopen(path, "r");
    int rc = f && fgets(line, sizeof line, f) && strcmp(line, MANIFEST_MAGIC "\n") == 0 &&
                     fgets(line, sizeof line, f) &&
                     sscanf(line, "covered %llu %llu", &c, &k) == 2
                 ? EX_OK
                 : EX_ENOTFOUND;
    while (rc == EX_OK && fgets(line, sizeof line, f)) {
        struct stat sb;
        int fd = -1;
        if (sscanf(line, "run %31s %llu", name, &n) != 2 || strncmp(name, "run-", 4) != 0 ||
            strchr(name, '/') ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
            (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0 ||
            (uint64_t)sb.st_size != n * sizeof(slot))
            rc = EX_ENOTFOUND; /* merged away meanwhile, or not ours */
        else
            rc = saved_run_find(fd, n, key, same, ctx, id);
        if (fd >= 0)
            close(fd);
    }
    if (f)
        fclose(f);
    if (rc != EX_OK) {
        *id = 0;
        return rc;
    }
    *covered = c;
    *cover_key = k;
    return EX_OK;
}

void
ex_dedup_reset(ex_dedup *d)
{
    forget(d);
}

void
ex_dedup_stats(const ex_dedup *d, uint64_t *keys, size_t *runs, size_t *mem_bytes)
{
    if (keys)
        *keys = d->keys;
    if (runs)
        *runs = d->nruns;
    if (mem_bytes) {
        size_t m = d->cap * sizeof(slot) + BLOOM_BYTES;
        for (size_t i = 0; i < d->nruns; i++)
            m += d->runs[i]->nblocks * sizeof(uint64_t);
        *mem_bytes = m;
    }
}
