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
#define MAX_RUNS 16     /* more are merged: */
#define MERGE_RUNS 8    /* the newest this many into one */
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
} run;

struct ex_dedup {
    char *dir;
    slot *mem;        /* open addressing, fixed capacity */
    size_t cap, n, max;
    uint64_t *bloom;  /* BLOOM_BYTES, 512-bit lines */
    int bloomed;      /* a key was added (until then its pages were never touched) */
    size_t lines;
    run runs[MAX_RUNS + 1];
    size_t nruns;
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

static uint64_t
mix(uint64_t k)
{
    k = (k ^ (k >> 30)) * 0xBF58476D1CE4E5B9ULL;
    k = (k ^ (k >> 27)) * 0x94D049BB133111EBULL;
    return k ^ (k >> 31);
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

void
ex_dedup_close(ex_dedup *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nruns; i++) {
        close(d->runs[i].fd);
        free(d->runs[i].first);
        if (!d->runs[i].listed)
            unlink_in(d, d->runs[i].name); /* not saved: no use to anyone */
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
    uint64_t h = mix(key);
    uint64_t *line = d->bloom + (h % d->lines) * 8;
    uint64_t g = h >> 20 | h << 44;
    for (int i = 0; i < BLOOM_K; i++, g >>= 9)
        line[(g >> 6) & 7] |= 1ULL << (g & 63);
}

static int
bloom_maybe(const ex_dedup *d, uint64_t key)
{
    uint64_t h = mix(key);
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
    __builtin_prefetch(d->bloom + (mix(key) % d->lines) * 8);
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

/* Merge runs from..nruns-1 into one (streaming, block by block). */
static int
merge_runs(ex_dedup *d, size_t from, ex_err *err)
{
    char name[NAME_LEN];
    int fd = run_file(d, name, err);
    if (fd < 0)
        return err ? err->code : EX_EIO;
    size_t nr = d->nruns - from;
    run *runs = d->runs + from;
    slot *bufs = malloc(nr * BLOCK_SLOTS * sizeof(slot));
    size_t *pos = calloc(nr, sizeof *pos), *len = calloc(nr, sizeof *len);
    uint64_t *blk = calloc(nr, sizeof *blk), total = 0;
    slot *outb = malloc(BLOCK_SLOTS * sizeof(slot));
    uint64_t *first = NULL;
    uint64_t nout = 0, nblocks = 0, capblocks = 0;
    size_t on = 0;
    int rc = bufs && pos && len && blk && outb ? EX_OK : EX_ENOMEM;
    for (size_t i = 0; rc == EX_OK && i < nr; i++) {
        total += runs[i].n;
        rc = runs[i].n ? read_block(d, &runs[i], 0, bufs + i * BLOCK_SLOTS, &len[i])
                          : EX_OK;
    }
    capblocks = (total + BLOCK_SLOTS - 1) / BLOCK_SLOTS;
    if (rc == EX_OK && !(first = malloc((capblocks ? capblocks : 1) * sizeof *first)))
        rc = EX_ENOMEM;
    while (rc == EX_OK) {
        size_t best = nr;
        for (size_t i = 0; i < nr; i++)
            if (pos[i] < len[i] &&
                (best == nr ||
                 cmp_slot(&bufs[i * BLOCK_SLOTS + pos[i]], &bufs[best * BLOCK_SLOTS + pos[best]]) < 0))
                best = i;
        if (best == nr)
            break;
        if (on == 0)
            first[nblocks++] = bufs[best * BLOCK_SLOTS + pos[best]].key;
        outb[on++] = bufs[best * BLOCK_SLOTS + pos[best]];
        nout++;
        if (on == BLOCK_SLOTS) {
            if (write_all(fd, outb, on * sizeof(slot)) != 0)
                rc = EX_EIO;
            on = 0;
        }
        if (++pos[best] == len[best]) {
            pos[best] = len[best] = 0;
            if (++blk[best] < runs[best].nblocks)
                rc = read_block(d, &runs[best], blk[best], bufs + best * BLOCK_SLOTS,
                                &len[best]);
        }
    }
    if (rc == EX_OK && on && write_all(fd, outb, on * sizeof(slot)) != 0)
        rc = EX_EIO;
    free(bufs), free(pos), free(len), free(blk), free(outb);
    if (rc == EX_OK && d->ndead + nr > d->cdead) {
        size_t cap = (d->ndead + nr) * 2;
        char(*v)[NAME_LEN] = realloc(d->dead, cap * NAME_LEN);
        if (!v)
            rc = EX_ENOMEM;
        else
            d->dead = v, d->cdead = cap;
    }
    if (rc != EX_OK) {
        free(first);
        close(fd);
        unlink_in(d, name);
        return ex_fail(err, rc, "cannot merge the duplicate index runs in '%s'", d->dir);
    }
    for (size_t i = 0; i < nr; i++) {
        close(runs[i].fd);
        free(runs[i].first);
        if (runs[i].listed)
            memcpy(d->dead[d->ndead++], runs[i].name, NAME_LEN);
        else
            unlink_in(d, runs[i].name);
    }
    runs[0] = (run){fd, nout, first, nblocks, {0}, 0};
    memcpy(runs[0].name, name, NAME_LEN);
    d->nruns = from + 1;
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
            __builtin_prefetch(d->bloom + (mix(v[i + 8].key) % d->lines) * 8, 1);
#endif
        bloom_add(d, v[i].key);
    }
    char name[NAME_LEN];
    int fd = run_file(d, name, err);
    int rc = fd < 0 ? (err ? err->code : EX_EIO) : EX_OK;
    if (rc == EX_OK && write_all(fd, v, n * sizeof *v) != 0)
        rc = ex_fail(err, EX_EIO, "cannot write the duplicate index to '%s': %s", d->dir,
                     strerror(errno));
    if (rc == EX_OK)
        rc = run_index(&d->runs[d->nruns], fd, n, v, err);
    free(v);
    if (rc != EX_OK) {
        if (fd >= 0) {
            close(fd);
            unlink_in(d, name);
        }
        return rc;
    }
    memcpy(d->runs[d->nruns].name, name, NAME_LEN);
    d->runs[d->nruns].listed = 0;
    d->nruns++;
    memset(d->mem, 0, d->cap * sizeof(slot));
    d->n = 0;
    /* the newest runs are the smallest: merging the last MERGE_RUNS keeps the run count and
     * the bytes rewritten per key logarithmic */
    return d->nruns > MAX_RUNS ? merge_runs(d, d->nruns - MERGE_RUNS, err) : EX_OK;
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
    return EX_OK;
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
        const run *r = &d->runs[i];
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

int
ex_dedup_save(ex_dedup *d, uint64_t covered, uint64_t cover_key, ex_err *err)
{
    int rc = d->n ? spill(d, 0, err) : EX_OK;
    if (rc != EX_OK)
        return rc;
    /* the runs first, durable; then the manifest naming them replaces the old one at once */
    for (size_t i = 0; i < d->nruns; i++)
        if (!d->runs[i].listed && fsync(d->runs[i].fd) != 0)
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
        fprintf(f, "run %s %llu\n", d->runs[i].name, (unsigned long long)d->runs[i].n);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    (void)sync_file(d, "."); /* the rename */
    for (size_t i = 0; i < d->nruns; i++)
        d->runs[i].listed = 1;
    for (size_t i = 0; i < d->ndead; i++)
        unlink_in(d, d->dead[i]);
    d->ndead = 0;
    return EX_OK;
}

/* Drop every run and file: the index starts empty. */
static void
forget(ex_dedup *d)
{
    for (size_t i = 0; i < d->nruns; i++) {
        close(d->runs[i].fd);
        free(d->runs[i].first);
    }
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
    run *r = &d->runs[d->nruns];
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size != n * sizeof(slot) ||
        run_index(r, fd, n, NULL, NULL) != EX_OK) {
        close(fd);
        return EX_EFORMAT;
    }
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
        close(fd);
        free(r->first);
        return rc;
    }
    d->nruns++;
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
            named = strcmp(de->d_name, d->runs[i].name) == 0;
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
            m += d->runs[i].nblocks * sizeof(uint64_t);
        *mem_bytes = m;
    }
}
