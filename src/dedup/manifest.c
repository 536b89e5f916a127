/* manifest.c - keeping the duplicate index between ingests (dedup.h): a save writes the
 * manifest that names its runs; a load, and a lookup outside an ingest, read it. */
#include "dedup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MANIFEST "manifest"
/* 2: run files of 8-byte entries (runfile.c); an index of version 1 (16-byte slots) is not
 * read, so the ledger rebuilds it */
#define MANIFEST_MAGIC "exante-dedup 2"

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
    int rc = d->n ? ex_dedup_spill(d, 0, err) : EX_OK;
    if (rc == EX_OK)
        rc = ex_dedup_merges_settle(d, err);
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
        ex_dedup_unlink(d, d->dead[i]);
    d->ndead = 0;
    return EX_OK;
}

/* Drop every run and file: the index starts empty. */
static void
forget(ex_dedup *d)
{
    for (int l = 0; l < LEVELS; l++)
        ex_dedup_merge_drop(d, l);
    for (size_t i = 0; i < d->nruns; i++)
        ex_dedup_run_free(d->runs[i]);
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
            ex_dedup_unlink(d, de->d_name);
    if (dh)
        closedir(dh);
}

void
ex_dedup_reset(ex_dedup *d)
{
    forget(d);
}

/* ---- reading it ---- */

/* A manifest as read: what the save covered, and the runs it named. */
typedef struct manifest {
    uint64_t covered, cover_key;
    size_t nruns;
    struct {
        char name[NAME_LEN];
        uint64_t n; /* entries */
    } runs[MAX_RUNS];
} manifest;

/* Read the manifest in dir into *m: the one parser of the load and of saved_find. EX_OK, or
 * EX_ENOTFOUND if there is none or it is not one a save wrote: another magic, a line that
 * does not parse, more than MAX_RUNS runs, a name that is not a run file's ("run-", no '/',
 * shorter than NAME_LEN), or RUN_LIMIT entries or more. */
static int
manifest_read(const char *dir, manifest *m)
{
    char path[4096], line[128], name[NAME_LEN + 8];
    unsigned long long c = 0, k = 0, n;
    m->nruns = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/" MANIFEST, dir) >= sizeof path)
        return EX_ENOTFOUND;
    FILE *f = fopen(path, "r");
    int rc = f && fgets(line, sizeof line, f) && strcmp(line, MANIFEST_MAGIC "\n") == 0 &&
                     fgets(line, sizeof line, f) &&
                     sscanf(line, "covered %llu %llu", &c, &k) == 2
                 ? EX_OK
                 : EX_ENOTFOUND;
    while (rc == EX_OK && fgets(line, sizeof line, f)) {
        if (m->nruns == MAX_RUNS || sscanf(line, "run %31s %llu", name, &n) != 2 ||
            strlen(name) >= NAME_LEN || strncmp(name, "run-", 4) != 0 || strchr(name, '/') ||
            n >= RUN_LIMIT) {
            rc = EX_ENOTFOUND;
            break;
        }
        memcpy(m->runs[m->nruns].name, name, strlen(name) + 1);
        m->runs[m->nruns++].n = n;
    }
    if (f)
        fclose(f);
    m->covered = c;
    m->cover_key = k;
    return rc;
}

/* Open run `name` of n entries (as a manifest names it) as runs[nruns], its keys in the
 * filter. EX_ENOTFOUND (no such file), EX_EIO (not a run file of n entries, or its entries are
 * not sorted: not ours), EX_ENOMEM. */
static int
load_run(ex_dedup *d, const char *name, uint64_t n)
{
    run *r = calloc(1, sizeof *r);
    if (!r)
        return EX_ENOMEM;
    int rc = ex_dedup_run_open(d->dir, name, r, NULL);
    if (rc == EX_OK && r->n != n)
        rc = EX_EIO;
    /* its keys into the filter, checking their order on the way */
    d->bloomed = 1;
    for (uint64_t b = 0, i = 0; rc == EX_OK && b < BUCKETS; b++)
        for (uint64_t prev = 0, pid = 0; rc == EX_OK && i < r->start[b + 1]; i++) {
            uint64_t k = le32(r->e[i].key), id = le32(r->e[i].id);
            if (id > r->span || (i > r->start[b] && (k < prev || (k == prev && id < pid))))
                rc = EX_EIO;
            prev = k, pid = id;
            bloom_add(d, b << 32 | k);
        }
    if (rc != EX_OK) {
        ex_dedup_run_free(r);
        return rc;
    }
    /* its level from its size: a spill holds at most max keys, a merge of level L runs at
     * most FANOUT^(L+1) * max */
    for (uint64_t cap = d->max; n > cap && r->level < LEVELS - 1; cap *= FANOUT)
        r->level++;
    snprintf(r->name, NAME_LEN, "%s", name);
    r->listed = 1;
    d->runs[d->nruns++] = r;
    d->keys += n;
    return EX_OK;
}

int
ex_dedup_load(ex_dedup *d, uint64_t *covered, uint64_t *cover_key)
{
    *covered = *cover_key = 0;
    manifest m;
    int ok = manifest_read(d->dir, &m) == EX_OK;
    for (size_t i = 0; ok && i < m.nruns; i++)
        if (d->nruns == MAX_RUNS || load_run(d, m.runs[i].name, m.runs[i].n) != EX_OK)
            ok = 0;
    /* files of runs that no manifest names (an ingest that did not finish) go */
    DIR *dh = ok ? opendir(d->dir) : NULL;
    struct dirent *de;
    while (dh && (de = readdir(dh))) {
        int named = strcmp(de->d_name, MANIFEST) == 0;
        for (size_t i = 0; !named && i < d->nruns; i++)
            named = strcmp(de->d_name, d->runs[i]->name) == 0;
        if (!named && (strncmp(de->d_name, "run-", 4) == 0 ||
                       strcmp(de->d_name, MANIFEST ".new") == 0))
            ex_dedup_unlink(d, de->d_name);
    }
    if (dh)
        closedir(dh);
    if (!ok) {
        forget(d);
        return EX_ENOTFOUND;
    }
    *covered = m.covered;
    *cover_key = m.cover_key;
    (void)ex_dedup_merge_more(d, NULL); /* merges are optional: one that cannot start waits */
    return EX_OK;
}

struct ex_dedup_saved {
    run runs[MAX_RUNS];
    size_t n;
};

int
ex_dedup_saved_open(const char *dir, ex_dedup_saved **out, uint64_t *covered,
                    uint64_t *cover_key, ex_err *err)
{
    *out = NULL;
    *covered = *cover_key = 0;
    manifest m;
    int rc = manifest_read(dir, &m);
    if (rc != EX_OK)
        return rc == EX_ENOMEM ? ex_fail(err, rc, "out of memory") : EX_ENOTFOUND;
    ex_dedup_saved *s = calloc(1, sizeof *s);
    if (s)
        for (size_t i = 0; i < MAX_RUNS; i++)
            s->runs[i].fd = -1;
    if (!s)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < m.nruns; i++) {
        ex_err e = {0};
        /* gone: merged away meanwhile, or refused: not a whole run file of this version */
        if ((rc = ex_dedup_run_open(dir, m.runs[i].name, &s->runs[i], &e)) != EX_OK) {
            rc = ex_fail(err, rc == EX_ENOTFOUND ? rc : EX_EIO, "%s/%s: %s", dir,
                         m.runs[i].name, e.msg[0] ? e.msg : "cannot open it");
            break;
        }
        s->n = i + 1;
        if (s->runs[i].n != m.runs[i].n)
            rc = ex_fail(err, EX_ENOTFOUND, "%s/%s: %llu keys, the manifest says %llu", dir,
                         m.runs[i].name, (unsigned long long)s->runs[i].n,
                         (unsigned long long)m.runs[i].n);
    }
    if (rc != EX_OK) {
        ex_dedup_saved_close(s);
        return rc;
    }
    *covered = m.covered;
    *cover_key = m.cover_key;
    *out = s;
    return EX_OK;
}

uint64_t
ex_dedup_saved_lookup(const ex_dedup_saved *s, uint64_t key, int (*same)(void *ctx, uint64_t id),
                      void *ctx)
{
    uint64_t id = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t got = ex_dedup_run_find(&s->runs[i], key, same, ctx);
        if (got && (!id || got < id))
            id = got;
    }
    return id;
}

void
ex_dedup_saved_close(ex_dedup_saved *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        ex_dedup_run_close(&s->runs[i]);
    free(s);
}

int
ex_dedup_saved_find(const char *dir, uint64_t key, int (*same)(void *ctx, uint64_t id),
                    void *ctx, uint64_t *id, uint64_t *covered, uint64_t *cover_key)
{
    ex_dedup_saved *s;
    ex_err e = {0};
    *id = 0;
    int rc = ex_dedup_saved_open(dir, &s, covered, cover_key, &e);
    if (rc != EX_OK)
        return rc;
    *id = ex_dedup_saved_lookup(s, key, same, ctx);
    ex_dedup_saved_close(s);
    return EX_OK;
}
