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
        !(d->bloom = big_alloc(BLOOM_BYTES)) ||
        !(d->scratch = malloc(2 * BLOCK_SLOTS * sizeof(slot)))) {
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
    free(d->scratch);
    free(d->dir);
    free(d);
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

int
ex_dedup_put(ex_dedup *d, uint64_t key, uint64_t id, ex_err *err)
{
    if (d->n >= d->max) {
        int rc = ex_dedup_spill(d, 1, err);
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
    return d->nmerges ? ex_dedup_merge_tick(d, err) : EX_OK;
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
            if ((*rc = ex_dedup_run_read(d, r, b, d->scratch, &n)) != EX_OK)
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
