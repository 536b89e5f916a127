/* runs.c - the duplicate index on disk (dedup.h): the memory table spilled to sorted run
 * files (runfile.c), and the merges by size tiers that keep their number small, a few entries
 * per put, reading their inputs through the runs' mappings. */
#include "dedup_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- merges ---- */

/* the next entry of input i into the merge's heads (UINT64_MAX once it is done) */
static void
head(merge *m, int i)
{
    const run *r = m->in[i];
    uint64_t p = m->pos[i];
    if (p >= r->n) {
        m->hkey[i] = m->hid[i] = UINT64_MAX;
        return;
    }
    while (r->start[m->bkt[i] + 1] <= p)
        m->bkt[i]++;
    m->hkey[i] = m->bkt[i] << 32 | le32(r->e[p].key);
    m->hid[i] = r->base + le32(r->e[p].id);
}

void
ex_dedup_merge_drop(ex_dedup *d, int l)
{
    merge *m = d->merges[l];
    if (!m)
        return;
    for (int i = 0; i < FANOUT; i++) {
        m->in[i]->merging = 0;
        (void)madvise(m->in[i]->map, m->in[i]->maplen, MADV_NORMAL);
    }
    ex_dedup_writer_drop(d, &m->out);
    free(m);
    d->merges[l] = NULL;
    d->nmerges--;
}

/* The oldest FANOUT runs of level l that no merge is using and that fit in one run (fewer
 * than RUN_LIMIT entries, ids spanning less than RUN_LIMIT) into in: 1, or 0 if there are none.
 * Ids grow with time, so runs of neighbouring ages fit unless ids jumped by 2^32 between. */
static int
pick(const ex_dedup *d, int l, run *in[FANOUT])
{
    for (size_t s = 0; s < d->nruns; s++) {
        run *r = d->runs[s];
        if (r->level != l || r->merging)
            continue;
        uint64_t lo = r->base, hi = r->base + r->span, n = r->n;
        int k = 0;
        in[k++] = r;
        for (size_t i = s + 1; k < FANOUT && i < d->nruns; i++) {
            r = d->runs[i];
            if (r->level != l || r->merging)
                continue;
            uint64_t nlo = r->base < lo ? r->base : lo;
            uint64_t nhi = r->base + r->span > hi ? r->base + r->span : hi;
            if (nhi - nlo >= RUN_LIMIT || n + r->n >= RUN_LIMIT)
                continue;
            lo = nlo, hi = nhi, n += r->n;
            in[k++] = r;
        }
        if (k == FANOUT)
            return 1;
    }
    return 0;
}

/* Start merging runs in (of level l). */
static int
merge_start(ex_dedup *d, int l, run *const in[FANOUT], ex_err *err)
{
    merge *m = calloc(1, sizeof *m);
    if (!m)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    uint64_t base = UINT64_MAX;
    for (int i = 0; i < FANOUT; i++) {
        m->in[i] = in[i];
        base = in[i]->base < base ? in[i]->base : base;
        head(m, i);
    }
    int rc = ex_dedup_writer_open(d, &m->out, base, err);
    if (rc != EX_OK) {
        free(m);
        return rc;
    }
    for (int i = 0; i < FANOUT; i++) {
        in[i]->merging = 1;
        (void)madvise(in[i]->map, in[i]->maplen, MADV_SEQUENTIAL);
    }
    d->merges[l] = m;
    d->nmerges++;
    return EX_OK;
}

/* The merge of level l has written its last entry: its run replaces its inputs. */
static int
merge_end(ex_dedup *d, int l, ex_err *err)
{
    merge *m = d->merges[l];
    if (d->ndead + FANOUT > d->cdead) {
        size_t cap = (d->ndead + FANOUT) * 2;
        char(*v)[NAME_LEN] = realloc(d->dead, cap * NAME_LEN);
        if (!v)
            return ex_fail(err, EX_ENOMEM, "out of memory");
        d->dead = v, d->cdead = cap;
    }
    run *res;
    int rc = ex_dedup_writer_end(d, &m->out, &res, err);
    if (rc != EX_OK) {
        ex_dedup_merge_drop(d, l);
        return rc;
    }
    res->level = l + 1;
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
            ex_dedup_unlink(d, r->name);
        ex_dedup_run_free(r);
    }
    d->runs[k++] = res;
    d->nruns = k;
    free(m);
    d->merges[l] = NULL;
    d->nmerges--;
    return ex_dedup_merge_more(d, err);
}

/* Advance the merge of level l by up to `steps` entries (all of it: (uint64_t)-1). */
static int
merge_step(ex_dedup *d, int l, uint64_t steps, ex_err *err)
{
    merge *m = d->merges[l];
    for (; steps; steps--) {
        int best = 0;
        for (int i = 1; i < FANOUT; i++)
            if (m->hkey[i] < m->hkey[best] ||
                (m->hkey[i] == m->hkey[best] && m->hid[i] < m->hid[best]))
                best = i;
        if (m->hkey[best] == UINT64_MAX)
            return merge_end(d, l, err);
        if (ex_dedup_writer_put(&m->out, m->hkey[best], m->hid[best]) != EX_OK)
            return ex_fail(err, EX_EIO, "cannot merge the duplicate index runs in '%s': %s",
                           d->dir, strerror(errno));
        m->pos[best]++;
        head(m, best);
    }
    return EX_OK;
}

int
ex_dedup_merge_more(ex_dedup *d, ex_err *err)
{
    run *in[FANOUT];
    for (int l = 0; l < LEVELS - 1; l++)
        if (!d->merges[l] && pick(d, l, in)) {
            int rc = merge_start(d, l, in, err);
            if (rc != EX_OK)
                return rc;
        }
    return EX_OK;
}

int
ex_dedup_merge_tick(ex_dedup *d, ex_err *err)
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

/* Before a save: merges with at most one spill's worth of entries left are finished (so that
 * short ingests, each saving a small run, do not pile runs up), the others given up (the
 * next ingest starts them again). */
int
ex_dedup_merges_settle(ex_dedup *d, ex_err *err)
{
    for (int l = 0; d->nmerges && l < LEVELS; l++) {
        merge *m = d->merges[l];
        if (!m)
            continue;
        uint64_t left = 0;
        for (int i = 0; i < FANOUT; i++)
            left += m->in[i]->n;
        left -= m->out.n;
        if (left > d->max) {
            ex_dedup_merge_drop(d, l);
            continue;
        }
        int rc = merge_step(d, l, (uint64_t)-1, err);
        if (rc != EX_OK)
            return rc;
        l = -1; /* its end may have started others */
    }
    return EX_OK;
}

/* ---- spills ---- */

/* by the key's top 48 bits (all the index compares), then id */
static int
cmp_slot(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (KEY48(x->key) != KEY48(y->key))
        return KEY48(x->key) < KEY48(y->key) ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int
cmp_id(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Sort by cmp_slot: the keys are spread evenly, so one counting pass on the top 16 bits
 * leaves buckets of a few entries for insertion sort (qsort took 3x longer). */
static int
sort_slots(slot *v, size_t n)
{
    if (n < 4096) {
        qsort(v, n, sizeof *v, cmp_slot);
        return EX_OK;
    }
    size_t *count = calloc(BUCKETS + 1, sizeof *count);
    slot *tmp = malloc(n * sizeof *tmp);
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return EX_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        count[(v[i].key >> 48) + 1]++;
    for (size_t b = 1; b <= BUCKETS; b++)
        count[b] += count[b - 1];
    for (size_t i = 0; i < n; i++)
        tmp[count[v[i].key >> 48]++] = v[i];
    /* count[b] is now the end of bucket b: insertion sort within each */
    size_t start = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
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

/* v[0..n) (ids spanning less than RUN_LIMIT, from base on) sorted, as a new run of level 0 */
static int
spill_run(ex_dedup *d, slot *v, size_t n, uint64_t base, ex_err *err)
{
    if (d->nruns >= MAX_RUNS)
        return ex_fail(err, EX_ERANGE, "the duplicate index in '%s' has too many runs", d->dir);
    if (sort_slots(v, n) != EX_OK)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    run_writer w;
    run *r;
    int rc = ex_dedup_writer_open(d, &w, base, err);
    for (size_t i = 0; rc == EX_OK && i < n; i++)
        if (ex_dedup_writer_put(&w, KEY48(v[i].key), v[i].id) != EX_OK)
            rc = ex_fail(err, EX_EIO, "cannot write the duplicate index to '%s': %s", d->dir,
                         strerror(errno));
    if (rc != EX_OK) {
        ex_dedup_writer_drop(d, &w);
        return rc;
    }
    if ((rc = ex_dedup_writer_end(d, &w, &r, err)) == EX_OK)
        d->runs[d->nruns++] = r;
    return rc;
}

int
ex_dedup_spill(ex_dedup *d, int filter, ex_err *err)
{
    slot *v = malloc((d->n ? d->n : 1) * sizeof *v);
    if (!v)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    size_t n = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < d->cap; i++)
        if (d->mem[i].key) {
            v[n] = d->mem[i];
            lo = v[n].id < lo ? v[n].id : lo;
            hi = v[n].id > hi ? v[n].id : hi;
            n++;
        }
    /* the filter covers the keys in runs (the memory table is searched exactly): added here,
     * in a batch whose cache misses overlap, rather than one dependent miss per put */
    d->bloomed |= filter;
    for (size_t i = 0; filter && i < n; i++) {
#if defined(__GNUC__) || defined(__clang__)
        if (i + 8 < n)
            __builtin_prefetch(d->bloom + (ex_mix64(KEY48(v[i + 8].key)) % d->lines) * 8, 1);
#endif
        bloom_add(d, KEY48(v[i].key));
    }
    /* near the cap (merges given up by many saves in a row), merges finish now */
    for (int l = 0; d->nruns >= MAX_RUNS - 1 && d->nmerges && l < LEVELS; l++)
        if (d->merges[l] && merge_step(d, l, (uint64_t)-1, err) != EX_OK) {
            free(v);
            return err ? err->code : EX_EIO;
        }
    int rc = EX_OK;
    if (n == 0 || hi - lo < RUN_LIMIT) {
        rc = spill_run(d, v, n, n ? lo : 0, err);
    } else { /* ids 2^32 apart or more: by id into runs that each span less */
        qsort(v, n, sizeof *v, cmp_id);
        for (size_t s = 0, e; rc == EX_OK && s < n; s = e) {
            for (e = s + 1; e < n && v[e].id - v[s].id < RUN_LIMIT; e++)
                ;
            rc = spill_run(d, v + s, e - s, v[s].id, err);
        }
    }
    free(v);
    if (rc != EX_OK)
        return rc;
    memset(d->mem, 0, d->cap * sizeof(slot));
    d->n = 0;
    return ex_dedup_merge_more(d, err);
}
