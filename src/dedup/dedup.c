/* dedup.c - the exact-duplicate index in bounded memory (dedup.h): the table in memory, put
 * and find. Its runs on disk are in runs.c, the manifest that keeps them in manifest.c. */
#include "dedup_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

size_t
ex_dedup_mem_items(void)
{
    const char *v = getenv("EXANTE_DEDUP_MEM_ITEMS");
    unsigned long long n = v ? strtoull(v, NULL, 10) : 0;
    return n >= 16 && n <= (1ULL << 30) ? (size_t)n : (size_t)EX_DEDUP_MEM_ITEMS;
}

int
ex_dedup_open(const char *dir, size_t mem_items, ex_dedup **out, ex_err *err)
{
    if (!dir)
        return ex_fail(err, EX_EINVAL, "dedup: no directory");
    ex_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    d->max = mem_items ? mem_items : ex_dedup_mem_items();
    d->cap = 16;
    while (d->cap < d->max * 2)
        d->cap *= 2;
    d->lines = BLOOM_BYTES / 64;
    if (!(d->dir = strdup(dir)) || !(d->mem = big_alloc(d->cap * sizeof(slot))) ||
        !(d->bloom = big_alloc(BLOOM_BYTES))) {
        ex_dedup_close(d);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    *out = d;
    return EX_OK;
}

void
ex_dedup_close(ex_dedup *d)
{
    if (!d)
        return;
    for (int l = 0; l < LEVELS; l++)
        ex_dedup_merge_drop(d, l);
    for (size_t i = 0; i < d->nruns; i++) {
        if (!d->runs[i]->listed)
            ex_dedup_unlink(d, d->runs[i]->name); /* not saved: no use to anyone */
        ex_dedup_run_free(d->runs[i]);
    }
    free(d->dead);
    if (d->mem)
        munmap(d->mem, d->cap * sizeof(slot));
    if (d->bloom)
        munmap(d->bloom, BLOOM_BYTES);
    free(d->dir);
    free(d);
}

void
ex_dedup_prefetch(const ex_dedup *d, uint64_t key)
{
#if defined(__GNUC__) || defined(__clang__)
    /* mem, cap, bloom and lines never change after open */
    __builtin_prefetch(&d->mem[KEY48(key) & (d->cap - 1)]);
    __builtin_prefetch(d->bloom + (ex_mix64(KEY48(key)) % d->lines) * 8);
#else
    (void)d, (void)key;
#endif
}

int
ex_dedup_put(ex_dedup *d, uint64_t key, uint64_t id, ex_err *err)
{
    if (d->n >= d->max) {
        int rc = ex_dedup_spill(d, 1, err);
        if (rc != EX_OK)
            return rc;
    }
    /* by bits the index compares (keys are digests: every bit is uniform) */
    size_t j = KEY48(key) & (d->cap - 1);
    while (d->mem[j].key)
        j = (j + 1) & (d->cap - 1);
    d->mem[j].key = key;
    d->mem[j].id = id;
    d->n++;
    d->keys++;
    return d->nmerges ? ex_dedup_merge_tick(d, err) : EX_OK;
}

uint64_t
ex_dedup_find(ex_dedup *d, uint64_t key, int (*same)(void *ctx, uint64_t id), void *ctx,
              int *rc)
{
    *rc = EX_OK;
    uint64_t k48 = KEY48(key), id;
    ex_dedup_prefetch(d, key); /* the filter's line while the table is read */
    for (size_t j = k48 & (d->cap - 1); d->mem[j].key; j = (j + 1) & (d->cap - 1))
        if (KEY48(d->mem[j].key) == k48 && same(ctx, d->mem[j].id))
            return d->mem[j].id;
    if (!d->nruns || !bloom_maybe(d, k48))
        return 0;
#if defined(__GNUC__) || defined(__clang__)
    /* the runs are searched one after another, but what each reads does not depend on the
     * others: start the reads of all of them first, so that their cache misses overlap (the
     * directories' entries, then where the key's entries are likely to be) */
    for (size_t i = 0; i < d->nruns; i++)
        __builtin_prefetch(&d->runs[i]->start[key >> 48]);
    for (size_t i = 0; i < d->nruns; i++) {
        uint32_t lo, hi, g = run_guess(d->runs[i], key, &lo, &hi);
        if (lo < hi)
            __builtin_prefetch(&d->runs[i]->e[g]);
    }
#endif
    for (size_t i = d->nruns; i-- > 0;)
        if ((id = ex_dedup_run_find(d->runs[i], key, same, ctx)) != 0)
            return id;
    return 0;
}

void
ex_dedup_stats(const ex_dedup *d, uint64_t *keys, size_t *runs, size_t *mem_bytes)
{
    if (keys)
        *keys = d->keys;
    if (runs)
        *runs = d->nruns;
    if (mem_bytes) {
        /* the runs' directories, and the counts of the merges' runs; not the runs' mappings
         * (page cache, which the kernel reclaims as it needs) */
        size_t m = d->cap * sizeof(slot) + BLOOM_BYTES;
        m += d->nruns * (BUCKETS + 1) * sizeof(uint32_t);
        m += (size_t)d->nmerges * (BUCKETS * sizeof(uint32_t) + sizeof(merge));
        *mem_bytes = m;
    }
}
