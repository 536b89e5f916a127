/* runfile.c - the duplicate index's run files (dedup_internal.h, docs/FORMATS.md): written
 * with plain write()s of 4 KiB blocks by a spill or a merge, read through a read-only shared
 * mapping, probed by the bucket of the key's top 16 bits.
 *
 * Layout (every number little-endian): a header of RUN_HEAD (40) bytes
 *
 *     0  "EXRN"          4  version (4 bytes): 2      8  n: entries (8 bytes)
 *    16  base: the smallest id (8 bytes)             24  span: the largest id - base (4 bytes)
 *    28  m: directory records (4 bytes)              32  the directory's form (1 byte):
 *        0 dense (a count for each of the 65,536 buckets), 1 sparse (m records, a 2-byte
 *        bucket then its count, buckets ascending, empty ones left out)
 *    33  w: the width of a count (1 byte): 1, 2 or 4, the least that holds the largest
 *    34  six zero bytes
 *
 * then the n entries of 8 bytes (bits [16, 48) of the key, then id - base, 4 bytes each),
 * sorted by (the key's top 48 bits, id), then the directory in the form that is smaller. The
 * header is written last (a file cut short has no magic). */
#include "dedup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

void
ex_dedup_unlink(const ex_dedup *d, const char *name)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", d->dir, name) < sizeof path)
        unlink(path);
}

/* ---- writing ---- */

int
ex_dedup_writer_open(ex_dedup *d, run_writer *w, uint64_t base, ex_err *err)
{
    static const uint8_t zero[RUN_HEAD];
    w->fd = -1;
    w->n = w->nbuf = 0;
    w->base = w->hi = base;
    if (!(w->count = calloc(BUCKETS, sizeof *w->count)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    size_t len = strlen(d->dir) + NAME_LEN + 2;
    char *path = malloc(len);
    if (path) {
        snprintf(path, len, "%s/run-XXXXXX", d->dir);
        if ((w->fd = mkstemp(path)) >= 0)
            snprintf(w->name, NAME_LEN, "%s", strrchr(path, '/') + 1);
    }
    int rc = !path ? ex_fail(err, EX_ENOMEM, "out of memory")
             : w->fd < 0
                 ? ex_fail(err, EX_EIO, "cannot create a file in '%s': %s", d->dir, strerror(errno))
             : write_all(w->fd, zero, sizeof zero) != 0
                 ? ex_fail(err, EX_EIO, "cannot write the duplicate index to '%s': %s", d->dir,
                           strerror(errno))
                 : EX_OK;
    free(path);
    if (rc != EX_OK)
        ex_dedup_writer_drop(d, w);
    return rc;
}

int
ex_dedup_writer_put(run_writer *w, uint64_t key48, uint64_t id)
{
    w->buf[w->nbuf].key = le32((uint32_t)key48);
    w->buf[w->nbuf].id = le32((uint32_t)(id - w->base));
    w->count[key48 >> 32]++;
    w->hi = id > w->hi ? id : w->hi;
    w->n++;
    if (++w->nbuf < WRITE_ENTRIES)
        return EX_OK;
    w->nbuf = 0;
    return write_all(w->fd, w->buf, sizeof w->buf) == 0 ? EX_OK : EX_EIO;
}

void
ex_dedup_writer_drop(const ex_dedup *d, run_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        ex_dedup_unlink(d, w->name);
    }
    w->fd = -1;
    free(w->count);
    w->count = NULL;
}

/* the directory of w's counts in its smaller form into *out (malloc'd), its header's fields */
static size_t
directory(const run_writer *w, uint8_t **out, uint32_t *m, int *sparse, int *width)
{
    uint32_t most = 0;
    *m = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
        most = w->count[b] > most ? w->count[b] : most;
        *m += w->count[b] != 0;
    }
    int cw = *width = most < 256 ? 1 : most < 65536 ? 2 : 4;
    size_t dense = (size_t)BUCKETS * (size_t)cw, thin = (size_t)*m * (size_t)(2 + cw);
    *sparse = thin < dense;
    size_t len = *sparse ? thin : dense, at = 0;
    if (!(*out = malloc(len ? len : 1)))
        return (size_t)-1;
    for (size_t b = 0; b < BUCKETS; b++) {
        if (*sparse && !w->count[b])
            continue;
        if (*sparse)
            ex_put_le(*out + at, b, 2), at += 2;
        ex_put_le(*out + at, w->count[b], cw), at += (size_t)cw;
    }
    if (!*sparse)
        *m = BUCKETS;
    return len;
}

int
ex_dedup_writer_end(ex_dedup *d, run_writer *w, run **out, ex_err *err)
{
    uint8_t head[RUN_HEAD] = {'E', 'X', 'R', 'N'}, *dir = NULL;
    uint32_t m;
    int sparse, width, rc = EX_OK;
    *out = NULL;
    size_t len = directory(w, &dir, &m, &sparse, &width);
    ex_put_le(head + 4, RUN_VERSION, 4);
    ex_put_le(head + 8, w->n, 8);
    ex_put_le(head + 16, w->base, 8);
    ex_put_le(head + 24, w->hi - w->base, 4);
    ex_put_le(head + 28, m, 4);
    head[32] = (uint8_t)sparse;
    head[33] = (uint8_t)width;
    if (len == (size_t)-1)
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    else if (w->n >= RUN_LIMIT || w->hi - w->base >= RUN_LIMIT) /* the callers see to it */
        rc = ex_fail(err, EX_ERANGE, "a run of the duplicate index in '%s' would be too wide",
                     d->dir);
    else if ((w->nbuf && write_all(w->fd, w->buf, w->nbuf * sizeof(entry)) != 0) ||
             write_all(w->fd, dir, len) != 0 ||
             pwrite(w->fd, head, sizeof head, 0) != (ssize_t)sizeof head)
        rc = ex_fail(err, EX_EIO, "cannot write the duplicate index to '%s': %s", d->dir,
                     strerror(errno));
    free(dir);
    run *r = rc == EX_OK ? malloc(sizeof *r) : NULL;
    if (rc == EX_OK && !r)
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    if (rc != EX_OK) {
        ex_dedup_writer_drop(d, w);
        return rc;
    }
    /* start writing it back now, so that a save finds little left to sync */
    (void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    int fd = w->fd;
    w->fd = -1; /* the run's now, closed by the map if it fails */
    if ((rc = ex_dedup_run_map(r, fd, d->dir, w->name, err)) != EX_OK) {
        ex_dedup_unlink(d, w->name);
        free(r);
    } else {
        memcpy(r->name, w->name, NAME_LEN);
        *out = r;
    }
    ex_dedup_writer_drop(d, w);
    return rc;
}

/* ---- reading ---- */

/* r's directory (at dir, m records of its form) into r->start; NULL, or why not */
static const char *
expand(run *r, const uint8_t *dir, uint32_t m, int sparse, int cw, char *why, size_t wlen)
{
    uint64_t sum = 0;
    size_t b = 0, rec = (size_t)(sparse ? 2 + cw : cw);
    for (uint32_t i = 0; i < m; i++, dir += rec) {
        size_t bucket = sparse ? (size_t)ex_get_le(dir, 2) : i;
        if (bucket < b)
            return "its directory's buckets are not ascending";
        while (b <= bucket)
            r->start[b++] = (uint32_t)sum;
        if ((sum += ex_get_le(dir + (sparse ? 2 : 0), cw)) > r->n)
            break;
    }
    while (b <= BUCKETS)
        r->start[b++] = (uint32_t)sum;
    if (sum == r->n)
        return NULL;
    snprintf(why, wlen, "its directory counts %s%llu entries, its header %llu",
             sum > r->n ? "more than " : "", (unsigned long long)sum, (unsigned long long)r->n);
    return why;
}

int
ex_dedup_run_map(run *r, int fd, const char *dir, const char *name, ex_err *err)
{
    struct stat sb;
    char why[128];
    const char *bad = NULL;
    memset(r, 0, sizeof *r);
    r->fd = fd;
    if (fstat(fd, &sb) != 0)
        bad = strerror(errno);
    else if (sb.st_size < RUN_HEAD)
        bad = "shorter than a header";
    else if ((r->map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0)) ==
             MAP_FAILED)
        r->map = NULL, bad = strerror(errno);
    else
        r->maplen = (size_t)sb.st_size;
    const uint8_t *h = r->map;
    uint32_t m = h ? (uint32_t)ex_get_le(h + 28, 4) : 0;
    int sparse = h ? h[32] : 0, cw = h ? h[33] : 0;
    if (!bad && memcmp(h, "EXRN", 4) != 0)
        bad = "no run file's magic";
    else if (!bad && ex_get_le(h + 4, 4) != RUN_VERSION)
        bad = why, snprintf(why, sizeof why, "version %llu, not %d",
                            (unsigned long long)ex_get_le(h + 4, 4), RUN_VERSION);
    if (!bad) {
        r->n = ex_get_le(h + 8, 8);
        r->base = ex_get_le(h + 16, 8);
        r->span = ex_get_le(h + 24, 4);
        uint64_t want = RUN_HEAD + r->n * sizeof(entry) +
                        (uint64_t)m * (uint64_t)(sparse ? 2 + cw : cw);
        if (r->n >= RUN_LIMIT || sparse > 1 || (cw != 1 && cw != 2 && cw != 4) ||
            (sparse ? m > BUCKETS : m != BUCKETS) || UINT64_MAX - r->span < r->base)
            bad = "a malformed header";
        else if (want != (uint64_t)sb.st_size)
            bad = why, snprintf(why, sizeof why, "%llu bytes long, its header says %llu",
                                (unsigned long long)sb.st_size, (unsigned long long)want);
    }
    if (!bad && !(r->start = malloc((BUCKETS + 1) * sizeof *r->start))) {
        ex_dedup_run_close(r);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    if (!bad)
        bad = expand(r, h + RUN_HEAD + r->n * sizeof(entry), m, sparse, cw, why, sizeof why);
    if (bad) {
        ex_dedup_run_close(r);
        return ex_fail(err, EX_EIO, "the duplicate index run '%s/%s' is refused: %s", dir, name,
                       bad);
    }
    r->e = (const entry *)(h + RUN_HEAD);
    return EX_OK;
}

int
ex_dedup_run_open(const char *dir, const char *name, run *r, ex_err *err)
{
    char path[4096];
    memset(r, 0, sizeof *r);
    r->fd = -1;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return ex_fail(err, EX_ENOTFOUND, "'%s/%s': name too long", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ex_fail(err, EX_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
    return ex_dedup_run_map(r, fd, dir, name, err);
}

void
ex_dedup_run_close(run *r)
{
    if (r->map)
        munmap(r->map, r->maplen);
    if (r->fd >= 0)
        close(r->fd);
    free(r->start);
    r->map = NULL, r->start = NULL, r->e = NULL, r->fd = -1;
}

void
ex_dedup_run_free(run *r)
{
    if (!r)
        return;
    ex_dedup_run_close(r);
    free(r);
}

/* ---- probing ---- */

uint64_t
ex_dedup_run_find(const run *r, uint64_t key, int (*same)(void *ctx, uint64_t id), void *ctx)
{
    const entry *e = r->e;
    uint32_t k = (uint32_t)KEY48(key), lo, hi, s = 1;
    /* the first entry not below k: a guess by interpolation lands a few entries from it (one
     * cache line, where a binary search over the bucket touched one per halving); then
     * gallop from the guess, and halve */
    uint32_t g = run_guess(r, key, &lo, &hi), end = hi;
    if (lo == hi)
        return 0;
    if (le32(e[g].key) < k) {
        for (lo = g + 1; lo + s - 1 < hi; s *= 2) {
            if (le32(e[lo + s - 1].key) >= k) {
                hi = lo + s - 1;
                break;
            }
            lo += s;
        }
    } else {
        for (hi = g; hi - lo >= s; s *= 2) {
            if (le32(e[hi - s].key) < k) {
                lo = hi - s + 1;
                break;
            }
            hi -= s;
        }
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (le32(e[mid].key) < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < end && le32(e[lo].key) == k; lo++)
        if (same(ctx, r->base + le32(e[lo].id)))
            return r->base + le32(e[lo].id);
    return 0;
}
