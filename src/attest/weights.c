/* weights.c - weight files as statement subjects: the set (files, directory walks, safetensors
 * indexes), parallel SHA-256, the model id and the comparison with a statement (weights.h). */
#include "attest/weights.h"

#include "core/core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#define INDEX_SUFFIX ".safetensors.index.json"

struct entry {
    char *name;
    char *path;
    uint64_t size;
    dev_t dev;
    ino_t ino;
    uint8_t digest[EX_HASH_BYTES];
};

/* a growable list of entries: the set itself, and what one add collects before it joins */
struct list {
    struct entry *e;
    size_t n, cap;
    size_t skipped;
};

struct ex_weights {
    struct list l;    /* sorted by name, names unique */
    ex_subject *subs; /* l's names and digests as subjects (names borrowed) */
};

static void
list_free(struct list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].name);
        free(l->e[i].path);
    }
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* take name and path (malloc'd) into l; frees them on failure */
static int
list_push(struct list *l, char *name, char *path, const struct stat *st)
{
    if (name && path && l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct entry *e = realloc(l->e, cap * sizeof *e);
        if (e) {
            l->e = e;
            l->cap = cap;
        }
    }
    if (!name || !path || l->n == l->cap) {
        free(name);
        free(path);
        return EX_ENOMEM;
    }
    l->e[l->n++] = (struct entry){.name = name,
                                  .path = path,
                                  .size = (uint64_t)st->st_size,
                                  .dev = st->st_dev,
                                  .ino = st->st_ino};
    return EX_OK;
}

static int
entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* bsearch and qsort want a base even for no elements (UBSan: a null pointer) */
static struct entry *
find(const struct entry *key, const struct entry *e, size_t n)
{
    return n ? bsearch(key, e, n, sizeof *e, entry_cmp) : NULL;
}

static void
sort_entries(struct entry *e, size_t n)
{
    if (n)
        qsort(e, n, sizeof *e, entry_cmp);
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* path without trailing slashes (but "/" stays), malloc'd */
static char *
trim_slashes(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    return strndup(path, n);
}

/* ---- safetensors indexes -------------------------------------------------------------------- */

/* The distinct shard file names the index at path names, sorted, as a malloc'd array of
 * malloc'd strings. */
static int
index_shards(const char *path, char ***out, size_t *nout, ex_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ex_fail(err, EX_EIO, "weights: cannot open '%s': %s", path, strerror(errno));
    ex_buf b = {0};
    char chunk[65536];
    size_t got;
    int rc = EX_OK;
    while (rc == EX_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + got > EX_WEIGHTS_INDEX_MAX)
            rc = ex_fail(err, EX_EFORMAT, "weights: index '%s' is over %u bytes", path,
                         EX_WEIGHTS_INDEX_MAX);
        else if (ex_buf_put(&b, chunk, got) != EX_OK)
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
    }
    if (rc == EX_OK && ferror(f))
        rc = ex_fail(err, EX_EIO, "weights: cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    json_t *o = NULL;
    json_error_t je;
    if (rc == EX_OK && !(o = json_loadb(b.data ? b.data : "", b.len, 0, &je)))
        rc = ex_fail(err, EX_EFORMAT, "weights: index '%s': line %d column %d: %s", path, je.line,
                     je.column, je.text);
    ex_buf_free(&b);
    json_t *map = json_object_get(o, "weight_map");
    if (rc == EX_OK && (!json_is_object(map) || json_object_size(map) == 0))
        rc = ex_fail(err, EX_EFORMAT,
                     "weights: index '%s' has no \"weight_map\" naming shards (not a "
                     "safetensors index)",
                     path);
    size_t n = 0;
    char **names = rc == EX_OK ? calloc(json_object_size(map), sizeof *names) : NULL;
    if (rc == EX_OK && !names)
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) {
        if (rc != EX_OK)
            break;
        const char *s = json_string_value(v);
        /* plain names only: an index must not reach outside its directory */
        if (!s || !*s || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
            rc = ex_fail(err, EX_EFORMAT,
                         "weights: index '%s': tensor \"%.100s\" maps to %s, not a file name "
                         "in the index's directory",
                         path, k, s ? "a path" : "a value that is not a string");
        else if (!(names[n++] = strdup(s)))
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
    }
    json_decref(o);
    if (rc == EX_OK) {
        qsort(names, n, sizeof *names, str_cmp);
        size_t u = 0;
        for (size_t i = 0; i < n; i++) {
            if (u && strcmp(names[u - 1], names[i]) == 0)
                free(names[i]);
            else
                names[u++] = names[i];
        }
        *out = names;
        *nout = u;
        return EX_OK;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static void
free_strs(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* an index given as a path: the index and the shards beside it */
static int
add_index(struct list *l, const char *path, const char *base, const struct stat *st, ex_err *err)
{
    char **shards = NULL;
    size_t ns = 0;
    int rc = index_shards(path, &shards, &ns, err);
    if (rc != EX_OK)
        return rc;
    if ((rc = list_push(l, strdup(base), strdup(path), st)) != EX_OK) {
        free_strs(shards, ns);
        return ex_fail(err, rc, "out of memory");
    }
    size_t dirlen = (size_t)(base - path); /* "dir/" or "" */
    for (size_t i = 0; i < ns && rc == EX_OK; i++) {
        char *sp = malloc(dirlen + strlen(shards[i]) + 1);
        if (!sp) {
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
            break;
        }
        memcpy(sp, path, dirlen);
        strcpy(sp + dirlen, shards[i]);
        struct stat s;
        if (stat(sp, &s) != 0)
            rc = ex_fail(err, errno == ENOENT ? EX_ENOTFOUND : EX_EIO,
                         "weights: shard '%s' named by '%s': %s", sp, path, strerror(errno));
        else if (!S_ISREG(s.st_mode))
            rc = ex_fail(err, EX_ENOTFOUND,
                         "weights: shard '%s' named by '%s' is not a regular file", sp, path);
        if (rc == EX_OK)
            rc = list_push(l, strdup(shards[i]), sp, &s) == EX_OK
                     ? EX_OK
                     : ex_fail(err, EX_ENOMEM, "out of memory");
        else
            free(sp);
    }
    free_strs(shards, ns);
    return rc;
}

/* ---- directory walks -------------------------------------------------------------------- */

static int
walk(struct list *l, const char *root, const char *rel, int depth, ex_err *err)
{
    if (depth > EX_WEIGHTS_DEPTH_MAX)
        return ex_fail(err, EX_EINVAL, "weights: '%s/%s' is nested deeper than %d directories",
                       root, rel, EX_WEIGHTS_DEPTH_MAX);
    char *dpath = rel ? ex_join(root, '/', rel) : strdup(root);
    if (!dpath)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    DIR *d = opendir(dpath);
    if (!d) {
        int rc =
            ex_fail(err, EX_EIO, "weights: cannot open directory '%s': %s", dpath, strerror(errno));
        free(dpath);
        return rc;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = EX_OK;
    struct dirent *de;
    errno = 0;
    while (rc == EX_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) {
                rc = ex_fail(err, EX_ENOMEM, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(de->d_name)))
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
        else
            n++;
        errno = 0;
    }
    if (rc == EX_OK && errno)
        rc =
            ex_fail(err, EX_EIO, "weights: cannot read directory '%s': %s", dpath, strerror(errno));
    closedir(d);
    if (rc == EX_OK && n)
        qsort(names, n, sizeof *names, str_cmp);
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        char *name = rel ? ex_join(rel, '/', names[i]) : strdup(names[i]);
        char *path = name ? ex_join(dpath, '/', names[i]) : NULL;
        struct stat st;
        if (!path) {
            free(name);
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
        } else if (lstat(path, &st) != 0) {
            rc = ex_fail(err, EX_EIO, "weights: cannot stat '%s': %s", path, strerror(errno));
            free(name);
            free(path);
        } else if (S_ISREG(st.st_mode)) {
            if (list_push(l, name, path, &st) != EX_OK)
                rc = ex_fail(err, EX_ENOMEM, "out of memory");
        } else {
            if (S_ISDIR(st.st_mode))
                rc = walk(l, root, name, depth + 1, err);
            else
                l->skipped++; /* symbolic links are not followed: the walk stays in its tree */
            free(name);
            free(path);
        }
    }
    free_strs(names, n);
    free(dpath);
    return rc;
}

/* every index among the walked files (sorted) names shards that were walked beside it */
static int
check_walked_indexes(const struct list *l, ex_err *err)
{
    int rc = EX_OK;
    for (size_t i = 0; i < l->n && rc == EX_OK; i++) {
        if (!ends_with(l->e[i].name, INDEX_SUFFIX))
            continue;
        char **shards = NULL;
        size_t ns = 0;
        if ((rc = index_shards(l->e[i].path, &shards, &ns, err)) != EX_OK)
            return rc;
        const char *slash = strrchr(l->e[i].name, '/');
        size_t dirlen = slash ? (size_t)(slash - l->e[i].name) + 1 : 0;
        for (size_t j = 0; j < ns && rc == EX_OK; j++) {
            char *want = malloc(dirlen + strlen(shards[j]) + 1);
            if (!want) {
                rc = ex_fail(err, EX_ENOMEM, "out of memory");
                break;
            }
            memcpy(want, l->e[i].name, dirlen);
            strcpy(want + dirlen, shards[j]);
            struct entry key = {.name = want};
            if (!find(&key, l->e, l->n))
                rc = ex_fail(err, EX_ENOTFOUND,
                             "weights: shard '%s' named by '%s' is not a regular file in the "
                             "directory (missing, or a symbolic link, which walks do not follow)",
                             want, l->e[i].path);
            free(want);
        }
        free_strs(shards, ns);
    }
    return rc;
}

/* ---- the set ------------------------------------------------------------------------------ */

int
ex_weights_new(ex_weights **out)
{
    return (*out = calloc(1, sizeof **out)) ? EX_OK : EX_ENOMEM;
}

void
ex_weights_free(ex_weights *w)
{
    if (!w)
        return;
    list_free(&w->l);
    free(w->subs);
    free(w);
}

/* w's subjects again from its entries */
static int
rebuild_subjects(ex_weights *w)
{
    ex_subject *s = realloc(w->subs, (w->l.n ? w->l.n : 1) * sizeof *s);
    if (!s)
        return EX_ENOMEM;
    for (size_t i = 0; i < w->l.n; i++) {
        s[i].name = w->l.e[i].name;
        memcpy(s[i].sha256, w->l.e[i].digest, EX_HASH_BYTES);
    }
    w->subs = s;
    return EX_OK;
}

/* join the new entries (sorted) into w, or leave w unchanged and say which name collides */
static int
merge(ex_weights *w, struct list *add, ex_err *err)
{
    /* first every check, so a collision changes nothing */
    for (size_t i = 0; i < add->n; i++) {
        struct entry *a = &add->e[i];
        struct entry *old = find(a, w->l.e, w->l.n);
        if (!old && i && strcmp(add->e[i - 1].name, a->name) == 0)
            old = &add->e[i - 1];
        if (old && (old->dev != a->dev || old->ino != a->ino))
            return ex_fail(err, EX_EEXIST, "weights: two files named '%s': '%s' and '%s'", a->name,
                           old->path, a->path);
    }
    if (w->l.cap < w->l.n + add->n) {
        struct entry *e = realloc(w->l.e, (w->l.n + add->n) * sizeof *e);
        if (!e)
            return ex_fail(err, EX_ENOMEM, "out of memory");
        w->l.e = e;
        w->l.cap = w->l.n + add->n;
    }
    size_t n0 = w->l.n;
    for (size_t i = 0; i < add->n; i++) {
        struct entry *a = &add->e[i];
        if (find(a, w->l.e, n0) ||
            (w->l.n > n0 && strcmp(w->l.e[w->l.n - 1].name, a->name) == 0)) {
            /* the same file reached twice (a shard alone and through its index) */
            free(a->name);
            free(a->path);
            a->name = a->path = NULL;
            continue;
        }
        w->l.e[w->l.n++] = *a;
    }
    w->l.skipped += add->skipped;
    add->n = 0;
    sort_entries(w->l.e, w->l.n);
    return rebuild_subjects(w) == EX_OK ? EX_OK : ex_fail(err, EX_ENOMEM, "out of memory");
}

int
ex_weights_add(ex_weights *w, const char *path, ex_err *err)
{
    struct stat st;
    if (!path || !*path)
        return ex_fail(err, EX_EINVAL, "weights: empty path");
    if (stat(path, &st) != 0)
        return ex_fail(err, errno == ENOENT ? EX_ENOTFOUND : EX_EIO, "weights: '%s': %s", path,
                       strerror(errno));
    char *p = trim_slashes(path);
    if (!p)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    struct list add = {0};
    int rc = EX_OK;
    const char *slash = strrchr(p, '/'), *base = slash && slash[1] ? slash + 1 : p;
    if (S_ISDIR(st.st_mode)) {
        rc = walk(&add, p, NULL, 0, err);
        if (rc == EX_OK && add.n == 0)
            rc = ex_fail(err, EX_EINVAL, "weights: no regular files under '%s'", p);
        if (rc == EX_OK) {
            sort_entries(add.e, add.n);
            rc = check_walked_indexes(&add, err);
        }
    } else if (!S_ISREG(st.st_mode)) {
        rc = ex_fail(err, EX_EINVAL, "weights: '%s' is neither a regular file nor a directory", p);
    } else if (ends_with(base, INDEX_SUFFIX)) {
        rc = add_index(&add, p, base, &st, err);
    } else if (list_push(&add, strdup(base), strdup(p), &st) != EX_OK) {
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    }
    if (rc == EX_OK) {
        sort_entries(add.e, add.n);
        rc = merge(w, &add, err);
    }
    list_free(&add);
    free(p);
    return rc;
}

const ex_subject *
ex_weights_subjects(const ex_weights *w, size_t *n)
{
    *n = w->l.n;
    return w->subs;
}

const char *
ex_weights_path(const ex_weights *w, size_t i)
{
    return i < w->l.n ? w->l.e[i].path : NULL;
}

uint64_t
ex_weights_size(const ex_weights *w, size_t i)
{
    return i < w->l.n ? w->l.e[i].size : 0;
}

uint64_t
ex_weights_total(const ex_weights *w)
{
    uint64_t t = 0;
    for (size_t i = 0; i < w->l.n; i++)
        t += w->l.e[i].size;
    return t;
}

size_t
ex_weights_skipped(const ex_weights *w)
{
    return w->l.skipped;
}

/* ---- hashing ------------------------------------------------------------------------------ */

struct hjob {
    struct entry *e;
    const size_t *order; /* entry indexes, largest file first */
    size_t n;
    atomic_size_t next;
    atomic_int stop;
    pthread_mutex_t mu;
    int rc;
    size_t bad; /* the entry whose failure err holds */
    ex_err err;
};

static int
hash_file(ex_sha256 *h, uint8_t *buf, struct entry *e, ex_err *err)
{
    int fd = open(e->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ex_fail(err, EX_EIO, "weights: cannot open '%s': %s", e->path, strerror(errno));
    /* the kernel reads ahead twice as far for a file read sequentially; asking for a window
     * further ahead (POSIX_FADV_WILLNEED) measured no better on this machine's disk */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int rc = ex_sha256_begin(h);
    uint64_t total = 0;
    while (rc == EX_OK) {
        ssize_t got = read(fd, buf, EX_WEIGHTS_READ_BYTES);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = ex_fail(err, EX_EIO, "weights: cannot read '%s': %s", e->path, strerror(errno));
        if (got <= 0)
            break;
        rc = ex_sha256_update(h, buf, (size_t)got);
        total += (uint64_t)got;
    }
    close(fd);
    if (rc == EX_OK && (rc = ex_sha256_end(h, e->digest)) == EX_OK)
        e->size = total;
    if (rc == EX_ECRYPTO)
        ex_fail(err, rc, "weights: sha-256 failed on '%s'", e->path);
    return rc;
}

static void
job_failed(struct hjob *j, size_t idx, int rc, const ex_err *e)
{
    pthread_mutex_lock(&j->mu);
    if (j->rc == EX_OK || idx < j->bad) { /* report the first in name order among failures */
        j->rc = rc;
        j->bad = idx;
        j->err = *e;
    }
    pthread_mutex_unlock(&j->mu);
    atomic_store(&j->stop, 1);
}

static void *
worker(void *arg)
{
    struct hjob *j = arg;
    ex_sha256 *h = NULL;
    /* page-aligned, like the page cache it is copied from: the kernel's copy into a buffer 16
     * bytes off (where malloc puts a large block) ran 6 times slower here (AMD EPYC, rep
     * movsb), which made hashing 0.7 times openssl's */
    uint8_t *buf = aligned_alloc(4096, EX_WEIGHTS_READ_BYTES);
    ex_err e = {0};
    int rc = buf ? ex_sha256_new(&h) : EX_ENOMEM;
    if (rc != EX_OK) {
        ex_fail(&e, rc, rc == EX_ENOMEM ? "out of memory" : "cannot make a sha-256 hasher");
        job_failed(j, 0, rc, &e);
    }
    while (rc == EX_OK && !atomic_load(&j->stop)) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            break;
        size_t idx = j->order[i];
        if ((rc = hash_file(h, buf, &j->e[idx], &e)) != EX_OK)
            job_failed(j, idx, rc, &e);
    }
    ex_sha256_free(h);
    free(buf);
    return NULL;
}

static int
size_desc(const void *a, const void *b, void *base)
{
    const struct entry *e = base;
    uint64_t x = e[*(const size_t *)a].size, y = e[*(const size_t *)b].size;
    if (x != y)
        return x < y ? 1 : -1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int
ex_weights_hash(ex_weights *w, unsigned jobs, ex_err *err)
{
    size_t n = w->l.n;
    if (jobs == 0)
        jobs = 1;
    if (jobs > EX_WEIGHTS_JOBS_MAX)
        jobs = EX_WEIGHTS_JOBS_MAX;
    if (jobs > n)
        jobs = n ? (unsigned)n : 1;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    pthread_t *tids = calloc(jobs, sizeof *tids);
    struct hjob j = {.e = w->l.e, .order = order, .n = n};
    if (!order || !tids) {
        free(order);
        free(tids);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    /* largest first: a big shard started last would leave the other threads idle */
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, size_desc, w->l.e);
    atomic_init(&j.next, 0);
    atomic_init(&j.stop, 0);
    pthread_mutex_init(&j.mu, NULL);
    unsigned started = 0;
    for (unsigned t = 1; t < jobs; t++, started++)
        if (pthread_create(&tids[t], NULL, worker, &j) != 0)
            break; /* fewer threads: the rest of the queue is still taken */
    worker(&j);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&j.mu);
    free(order);
    free(tids);
    if (j.rc != EX_OK) {
        if (err)
            *err = j.err;
        return j.rc;
    }
    return rebuild_subjects(w) == EX_OK ? EX_OK : ex_fail(err, EX_ENOMEM, "out of memory");
}

/* ---- model id and comparison -------------------------------------------------------------- */

static int
sub_ptr_cmp(const void *a, const void *b)
{
    return ex_subject_cmp(*(const ex_subject *const *)a, *(const ex_subject *const *)b);
}

/* pointers to s[0..n) sorted by name, malloc'd */
static const ex_subject **
sorted_ptrs(const ex_subject *s, size_t n)
{
    const ex_subject **p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = &s[i];
    qsort(p, n, sizeof *p, sub_ptr_cmp);
    return p;
}

int
ex_model_id(const ex_subject *subjects, size_t n, uint8_t out[EX_HASH_BYTES], ex_err *err)
{
    if (n == 0)
        return ex_fail(err, EX_EINVAL, "model id: no subjects");
    const ex_subject **p = sorted_ptrs(subjects, n);
    ex_sha256 *h = NULL;
    int rc = p ? ex_sha256_new(&h) : EX_ENOMEM;
    if (rc == EX_OK)
        rc = ex_sha256_begin(h);
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        if (i && strcmp(p[i - 1]->name, p[i]->name) == 0) {
            rc = ex_fail(err, EX_EINVAL, "model id: subject '%.200s' given twice", p[i]->name);
            break;
        }
        char line[2 * EX_HASH_BYTES + 2];
        ex_hex_encode(p[i]->sha256, EX_HASH_BYTES, line);
        line[2 * EX_HASH_BYTES] = '\n';
        /* the name with its NUL, then the digest line */
        if ((rc = ex_sha256_update(h, p[i]->name, strlen(p[i]->name) + 1)) == EX_OK)
            rc = ex_sha256_update(h, line, sizeof line - 1);
    }
    if (rc == EX_OK)
        rc = ex_sha256_end(h, out);
    ex_sha256_free(h);
    free(p);
    if (rc == EX_ENOMEM || rc == EX_ECRYPTO)
        return ex_fail(err, rc, rc == EX_ENOMEM ? "out of memory" : "model id: sha-256 failed");
    return rc;
}

static const char *
kind_word(int kind)
{
    return kind == EX_WEIGHTS_MISSING ? "missing"
           : kind == EX_WEIGHTS_EXTRA ? "not in the statement"
                                      : "digest differs";
}

int
ex_weights_compare(const ex_subject *have, size_t nh, const ex_subject *want, size_t nw,
                   ex_weights_diff **diffs, size_t *ndiffs, ex_err *err)
{
    const ex_subject **h = sorted_ptrs(have, nh), **w = sorted_ptrs(want, nw);
    ex_weights_diff *d = malloc((nh + nw ? nh + nw : 1) * sizeof *d);
    if (!h || !w || !d) {
        free(h);
        free(w);
        free(d);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    size_t i = 0, k = 0, n = 0;
    while (i < nh || k < nw) {
        int c = i == nh ? 1 : k == nw ? -1 : strcmp(h[i]->name, w[k]->name);
        if (c < 0) {
            d[n++] = (ex_weights_diff){EX_WEIGHTS_EXTRA, h[i++]->name};
        } else if (c > 0) {
            d[n++] = (ex_weights_diff){EX_WEIGHTS_MISSING, w[k++]->name};
        } else {
            if (memcmp(h[i]->sha256, w[k]->sha256, EX_HASH_BYTES) != 0)
                d[n++] = (ex_weights_diff){EX_WEIGHTS_DIFFERS, w[k]->name};
            i++, k++;
        }
    }
    free(h);
    free(w);
    if (ndiffs)
        *ndiffs = n;
    if (n) {
        ex_buf m = {0};
        ex_buf_printf(&m, "weights: %zu difference%s from the statement:", n, n == 1 ? "" : "s");
        for (size_t j = 0; j < n && j < 3; j++)
            ex_buf_printf(&m, "%s %s '%.60s'", j ? ";" : "", kind_word(d[j].kind), d[j].name);
        if (n > 3)
            ex_buf_puts(&m, "; ...");
        ex_fail(err, EX_EVERIFY, "%s", m.data ? m.data : "weights differ from the statement");
        ex_buf_free(&m);
    }
    if (diffs)
        *diffs = d;
    else
        free(d);
    return n ? EX_EVERIFY : EX_OK;
}
