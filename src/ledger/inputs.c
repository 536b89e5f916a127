/* inputs.c - the inputs of ingest runs: how far each input (a stream file, or one file of a
 * tree) is recorded, so that a re-run skips what is recorded and completes what an
 * interrupted run left; format detection; the jobs of a run (pipeline.h). */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/instream.h"

static size_t
slot_of(const char *key, size_t cap)
{
    return (size_t)ex_mix64(ex_fnv1a64(key, strlen(key))) & (cap - 1);
}

static input *
imap_get(imap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    for (size_t j = slot_of(key, m->cap); m->v[j]; j = (j + 1) & (m->cap - 1))
        if (strcmp(m->v[j]->key, key) == 0)
            return m->v[j];
    return NULL;
}

static input *
imap_add(imap *m, const char *key)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        input **v = calloc(cap, sizeof *v);
        if (!v)
            return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->v[i])
                continue;
            size_t j = slot_of(m->v[i]->key, cap);
            while (v[j])
                j = (j + 1) & (cap - 1);
            v[j] = m->v[i];
        }
        free(m->v);
        m->v = v;
        m->cap = cap;
    }
    input *in = calloc(1, sizeof *in);
    if (!in || !(in->key = strdup(key))) {
        free(in);
        return NULL;
    }
    size_t j = slot_of(key, m->cap);
    while (m->v[j])
        j = (j + 1) & (m->cap - 1);
    m->v[j] = in;
    m->n++;
    return in;
}

void
inputs_free(imap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->v[i]) {
            free(m->v[i]->key);
            free(m->v[i]);
        }
    free(m->v);
    memset(m, 0, sizeof *m);
}


typedef struct loading {
    imap *m;
    ex_fields f;
    ex_err *err;
} loading;

enum { I_SOURCE, I_PATH, I_THROUGH, I_SIZE, I_MTIME, I_COUNT };

static int
load_input(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    loading *c = ctx;
    const char *const *s = c->f.str;
    const int64_t *v = c->f.num;
    int rc = ex_fields_read(&c->f, data, len);
    if (rc == EX_ENOMEM)
        return ex_fail(c->err, rc, "out of memory");
    if (rc != EX_OK || !s[I_SOURCE] || !s[I_PATH] || v[I_THROUGH] < 0 || v[I_SIZE] < 0 ||
        v[I_MTIME] < 0)
        return ex_fail(c->err, EX_EFORMAT,
                       "the ledger's inputs row %llu is not an input record: how far its input "
                       "was read is lost (the ledger is damaged)",
                       (unsigned long long)id);
    char *k = ex_join(s[I_SOURCE], '\n', s[I_PATH]);
    input *in = k ? imap_add(c->m, k) : NULL;
    free(k);
    if (!in)
        return ex_fail(c->err, EX_ENOMEM, "out of memory");
    in->id = id;
    in->through = (uint64_t)v[I_THROUGH];
    in->size = (uint64_t)v[I_SIZE];
    in->mtime = (uint64_t)v[I_MTIME];
    return EX_OK;
}

int
inputs_load(ex_store *st, imap *m, ex_err *err)
{
    static const char *const paths[I_COUNT] = {"source", "path", "through", "size", "mtime"};
    loading c = {.m = m, .err = err};
    ex_err_clear(err);
    int rc = ex_fields_init(&c.f, paths, I_COUNT);
    if (rc == EX_OK)
        rc = st->ops->rec_scan(st, EX_TAB_INPUTS, 1, UINT64_MAX, load_input, &c);
    if (rc != EX_OK && !err->msg[0])
        ex_fail(err, rc, "cannot read the inputs: %s", ex_store_errmsg(st));
    ex_fields_free(&c.f);
    return rc;
}

int
inputs_known(imap *m, const char *key, uint64_t size, uint64_t mtime, input **out, ex_err *err)
{
    input *in = imap_get(m, key);
    if (!in && !(in = imap_add(m, key)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    if (in->size != size || in->mtime != mtime) {
        in->size = size;
        in->mtime = mtime;
        in->through = 0;
    }
    *out = in;
    return EX_OK;
}

int
inputs_get(imap *m, const char *source, const char *path, input **out, ex_err *err)
{
    char *real = realpath(path, NULL);
    struct stat sb;
    if (!real || stat(real, &sb) != 0) {
        int e = errno;
        free(real);
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(e));
    }
    char *k = ex_join(source, '\n', real);
    free(real);
    if (!k)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    int rc = inputs_known(m, k, (uint64_t)sb.st_size, (uint64_t)sb.st_mtime, out, err);
    free(k);
    return rc;
}

int
inputs_detect(const char *path, int *format, ex_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        *format = EX_FORMAT_FILES;
        return EX_OK;
    }
    char head[64];
    size_t n;
    int rc = ex_instream_head(path, head, sizeof head, &n, err);
    if (rc != EX_OK)
        return rc;
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (n - i >= 7 && memcmp(head + i, "WARC/1.", 7) == 0)
        *format = EX_FORMAT_WARC;
    else if (i < n && head[i] == '{')
        *format = EX_FORMAT_JSONL;
    else
        *format = EX_FORMAT_FILES;
    return EX_OK;
}

int
inputs_jobs(imap *m, const char *source, int format, const char *const *paths, size_t n,
            job **out, size_t *nout, ex_err *err)
{
    job *jobs = calloc(n ? n : 1, sizeof *jobs);
    size_t nj = 0;
    int rc = jobs ? EX_OK : ex_fail(err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        job *jb = &jobs[nj];
        int f = format;
        if (f == EX_FORMAT_AUTO && (rc = inputs_detect(paths[i], &f, err)) != EX_OK)
            break;
        jb->path = paths[i];
        jb->format = f;
        if (f != EX_FORMAT_FILES) {
            if ((rc = inputs_get(m, source, paths[i], &jb->in, err)) != EX_OK)
                break;
            int seen = 0; /* the same file named twice is read once */
            for (size_t k = 0; k < nj; k++)
                seen |= jobs[k].in == jb->in;
            if (seen)
                continue;
            jb->skip_through = jb->in->through;
        }
        nj++;
    }
    if (rc != EX_OK) {
        free(jobs);
        return rc;
    }
    *out = jobs;
    *nout = nj;
    return EX_OK;
}
