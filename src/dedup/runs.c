/* runs.c - the duplicate index on disk (dedup.h): the memory table spilled to sorted run
 * files, and the merges by size tiers that keep their number small, a few slots per put. */
#include "dedup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
ex_dedup_unlink(const ex_dedup *d, const char *name)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", d->dir, name) < sizeof path)
        unlink(path);
}

void
ex_dedup_run_free(run *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->first);
    free(r);
}

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
int
ex_dedup_run_index(run *r, int fd, uint64_t n, const slot *v, ex_err *err)
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

int
ex_dedup_run_read(const ex_dedup *d, const run *r, uint64_t b, slot *out, size_t *n)
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

/* ---- merges ---- */

/* Give up the merge of level l, if any: its file goes, its inputs stay as they are. */
void
ex_dedup_merge_drop(ex_dedup *d, int l)
{
    merge *m = d->merges[l];
    if (!m)
        return;
    for (int i = 0; i < FANOUT; i++)
        m->in[i]->merging = 0;
    if (m->res.fd >= 0) {
        close(m->res.fd);
        ex_dedup_unlink(d, m->res.name);
    }
    free(m->res.first);
    free(m->buf);
    free(m);
    d->merges[l] = NULL;
    d->nmerges--;
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
            (rc = ex_dedup_run_read(d, m->in[i], 0, m->buf + i * BLOCK_SLOTS, &m->len[i])) != EX_OK)
            ex_fail(err, rc, "cannot read the duplicate index in '%s'", d->dir);
    d->merges[l] = m;
    d->nmerges++;
    for (int i = 0; i < FANOUT; i++)
        m->in[i]->merging = 1;
    if (rc != EX_OK)
        ex_dedup_merge_drop(d, l);
    return rc;
}

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
            ex_dedup_unlink(d, r->name);
        r->merging = 0;
        ex_dedup_run_free(r);
    }
    for (int j = 0; j < FANOUT; j++)
        m->in[j] = NULL;
    d->runs[k++] = res;
    d->nruns = k;
    free(m->buf);
    free(m);
    d->merges[l] = NULL;
    d->nmerges--;
    return ex_dedup_merge_more(d, err);
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
                int rc = ex_dedup_run_read(d, in, m->blk[best], m->buf + best * BLOCK_SLOTS,
                                    &m->len[best]);
                if (rc != EX_OK)
                    return ex_fail(err, rc, "cannot read the duplicate index in '%s'", d->dir);
            }
        }
    }
    return EX_OK;
}

/* Start the merges the runs call for: a level with FANOUT runs no merge is using. */
int
ex_dedup_merge_more(ex_dedup *d, ex_err *err)
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

/* Before a save: merges with at most one spill's worth of slots left are finished (so that
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
        left -= m->res.n;
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
int
ex_dedup_spill(ex_dedup *d, int filter, ex_err *err)
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
        rc = ex_dedup_run_index(r, fd, n, v, err);
    free(v);
    if (rc != EX_OK) {
        if (fd >= 0) {
            close(fd);
            ex_dedup_unlink(d, name);
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
    return ex_dedup_merge_more(d, err);
}
