/* outstream.c - compressed output (outstream.h). Bytes gather in a 1 MiB buffer; a full one
 * goes through the compressor (or straight out, plain) and write(2). */
#include "outstream.h"

#include "instream.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#define BUF ((size_t)1 << 20)

struct ex_outstream {
    int fd, own;        /* own: a file of ours (closed, renamed) */
    char *path, *tmp;   /* the name asked for, and the temporary written */
    int comp;
    uint8_t *in;        /* bytes not compressed yet: in[0..n) */
    size_t n;
    uint8_t *out;       /* compressor output */
    struct isal_zstream gz;
    uint8_t *gz_level;
    int gz_open;        /* a gzip member is started and not ended */
    ZSTD_CCtx *zs;
    uint64_t bytes;
};

static const char *
name_of(const ex_outstream *o)
{
    return o->path ? o->path : "standard output";
}

static int
put(ex_outstream *o, const uint8_t *p, size_t n, ex_err *err)
{
    while (n > 0) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ex_fail(err, EX_EIO, "cannot write %s: %s", name_of(o),
                           w < 0 ? strerror(errno) : "nothing written");
        p += w;
        n -= (size_t)w;
        o->bytes += (uint64_t)w;
    }
    return EX_OK;
}

/* compress in[0..n) (end: and end the member or frame) and write what comes out */
static int
drain(ex_outstream *o, int end, ex_err *err)
{
    int rc = EX_OK;
    if (o->comp == EX_COMP_NONE) {
        rc = put(o, o->in, o->n, err);
    } else if (o->comp == EX_COMP_GZIP) {
        /* nothing to compress: no member, except an empty one for an empty file (which no
         * gzip reader accepts) */
        if (o->n == 0 && !(end && (o->gz_open || o->bytes == 0)))
            return EX_OK;
        if (!o->gz_open) {
            isal_deflate_reset(&o->gz);
            o->gz.gzip_flag = IGZIP_GZIP;
            o->gz_open = 1;
        }
        o->gz.next_in = o->in;
        o->gz.avail_in = (uint32_t)o->n;
        o->gz.end_of_stream = end;
        o->gz.flush = NO_FLUSH;
        do {
            o->gz.next_out = o->out;
            o->gz.avail_out = (uint32_t)BUF;
            if (isal_deflate(&o->gz) != COMP_OK)
                return ex_fail(err, EX_EIO, "cannot compress %s: isa-l deflate failed",
                               name_of(o));
            if ((rc = put(o, o->out, BUF - o->gz.avail_out, err)) != EX_OK)
                return rc;
        } while (o->gz.avail_in > 0 || (end && o->gz.internal_state.state != ZSTATE_END));
        if (end)
            o->gz_open = 0;
    } else {
        ZSTD_inBuffer ib = {o->in, o->n, 0};
        ZSTD_EndDirective how = end ? ZSTD_e_end : ZSTD_e_continue;
        size_t left;
        do {
            ZSTD_outBuffer ob = {o->out, BUF, 0};
            left = ZSTD_compressStream2(o->zs, &ob, &ib, how);
            if (ZSTD_isError(left))
                return ex_fail(err, EX_EIO, "cannot compress %s: %s", name_of(o),
                               ZSTD_getErrorName(left));
            if ((rc = put(o, o->out, ob.pos, err)) != EX_OK)
                return rc;
        } while (ib.pos < ib.size || (end && left > 0));
    }
    o->n = 0;
    return rc;
}

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int
ex_outstream_open(const char *path, int fd, ex_outstream **out, ex_err *err)
{
    *out = NULL;
    ex_outstream *o = calloc(1, sizeof *o);
    if (!o || !(o->in = malloc(BUF)) || !(o->out = malloc(BUF))) {
        ex_outstream_close(o, 0, NULL, NULL);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    o->fd = fd;
    if (path) {
        o->comp = ends_with(path, ".gz") ? EX_COMP_GZIP
                  : ends_with(path, ".zst") ? EX_COMP_ZSTD
                                            : EX_COMP_NONE;
        if (!(o->path = strdup(path)) || !(o->tmp = malloc(strlen(path) + 16))) {
            ex_outstream_close(o, 0, NULL, NULL);
            return ex_fail(err, EX_ENOMEM, "out of memory");
        }
        sprintf(o->tmp, "%s.tmp-XXXXXX", path);
        if ((o->fd = mkstemp(o->tmp)) < 0) {
            int e = errno;
            free(o->tmp);
            o->tmp = NULL;
            ex_outstream_close(o, 0, NULL, NULL);
            return ex_fail(err, EX_EIO, "cannot create '%s': %s", path, strerror(e));
        }
        o->own = 1;
        fchmod(o->fd, 0644); /* mkstemp makes 0600; a feed is for others to read */
    }
    int rc = EX_OK;
    if (o->comp == EX_COMP_GZIP) {
        isal_deflate_init(&o->gz);
        o->gz.level = 1;
        o->gz.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
        if (!(o->gz_level = malloc(ISAL_DEF_LVL1_DEFAULT)))
            rc = EX_ENOMEM;
        o->gz.level_buf = o->gz_level;
    } else if (o->comp == EX_COMP_ZSTD) {
        if (!(o->zs = ZSTD_createCCtx()))
            rc = EX_ENOMEM;
        else {
            ZSTD_CCtx_setParameter(o->zs, ZSTD_c_compressionLevel, 3);
            /* a worker compresses while the reader goes on; where libzstd has no threads this
             * fails and compression stays on the caller's thread */
            ZSTD_CCtx_setParameter(o->zs, ZSTD_c_nbWorkers, 1);
        }
    }
    if (rc != EX_OK) {
        ex_outstream_close(o, 0, NULL, NULL);
        return ex_fail(err, rc, "out of memory");
    }
    *out = o;
    return EX_OK;
}

int
ex_outstream_compression(const ex_outstream *o)
{
    return o->comp;
}

uint64_t
ex_outstream_bytes(const ex_outstream *o)
{
    return o->bytes;
}

int
ex_outstream_write(ex_outstream *o, const void *p, size_t n, ex_err *err)
{
    const uint8_t *s = p;
    while (n > 0) {
        size_t k = BUF - o->n < n ? BUF - o->n : n;
        memcpy(o->in + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
        int rc;
        if (o->n == BUF && (rc = drain(o, 0, err)) != EX_OK)
            return rc;
    }
    return EX_OK;
}

int
ex_outstream_end_member(ex_outstream *o, ex_err *err)
{
    return o->comp == EX_COMP_GZIP ? drain(o, 1, err) : EX_OK;
}

int
ex_outstream_close(ex_outstream *o, int keep, uint64_t *bytes, ex_err *err)
{
    if (!o)
        return EX_OK;
    int rc = EX_OK;
    if (keep)
        rc = drain(o, 1, err);
    if (bytes)
        *bytes = o->bytes;
    if (o->own) {
        if (close(o->fd) != 0 && rc == EX_OK && keep)
            rc = ex_fail(err, EX_EIO, "cannot write '%s': %s", o->path, strerror(errno));
        if (rc == EX_OK && keep && rename(o->tmp, o->path) != 0)
            rc = ex_fail(err, EX_EIO, "cannot rename '%s' to '%s': %s", o->tmp, o->path,
                         strerror(errno));
        if (rc != EX_OK || !keep)
            unlink(o->tmp);
    }
    ZSTD_freeCCtx(o->zs);
    free(o->gz_level);
    free(o->in);
    free(o->out);
    free(o->path);
    free(o->tmp);
    free(o);
    return rc;
}
