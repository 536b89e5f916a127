/* filter.c - the training feed (ex_ledger_filter, exante.h): the inputs read again with the
 * readers ingest used, each record's content digest computed from its bytes as they are now,
 * and only the snapshot's members passed on, byte for byte, in input order.
 *
 * JSONL lines are in memory when their item is handed over (ex_item.raw). A WARC record is
 * kept in the reader's stream buffer while it is read (ex_reader_cb.raw), unless it outgrows
 * that buffer (4 MiB); such a record is copied from a second stream over the same input that
 * follows the first, so memory stays bounded whatever the record size. Files are passed on as
 * their paths. One thread: the reader's work (decompression, JSON scan, SHA-256) is the cost,
 * and a zstd output is compressed on a worker of libzstd's. */
#include "pipeline.h"
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "ingest/instream.h"
#include "ingest/outstream.h"

#define FOLLOW_BUF ((size_t)256 << 10)

typedef struct feed {
    ex_ledger *l;
    const ex_filter_opts *o;
    ex_filter_stats *st;
    snap_lookup *look;
    ex_outstream *out;
    int format;
    const char *path;    /* the input being read */
    ex_instream *follow; /* WARC: the second stream, for records not in memory */
    uint8_t *fbuf;
    int rc;              /* the first failure of a callback, with l->err */
} feed;

static void
report(feed *f, const char *file, uint64_t offset, uint64_t line, const char *reason)
{
    if (f->o->report)
        f->o->report(f->o->report_ctx, file, offset, line, reason);
}

/* copy bytes [off, off + len) of the input's decompressed stream to the output, through the
 * follower (which only goes forward: records come in stream order) */
static int
follow(feed *f, uint64_t off, uint64_t len)
{
    ex_err e = {0};
    int rc = EX_OK;
    if (!f->follow && (rc = ex_instream_open(f->path, &f->follow, &e)) != EX_OK)
        return ex_fail(&f->l->err, rc, "%s", e.msg);
    if (!f->fbuf && !(f->fbuf = malloc(FOLLOW_BUF)))
        return ex_fail(&f->l->err, EX_ENOMEM, "out of memory");
    while (rc == EX_OK && (ex_instream_pos(f->follow) < off || len > 0)) {
        uint64_t pos = ex_instream_pos(f->follow), want = pos < off ? off - pos : len;
        size_t got;
        if ((rc = ex_instream_read(f->follow, f->fbuf, want < FOLLOW_BUF ? want : FOLLOW_BUF,
                                   &got, &e)) != EX_OK)
            return ex_fail(&f->l->err, rc, "%s", e.msg);
        if (got == 0)
            return ex_fail(&f->l->err, EX_EIO, "'%s' ended before its record at %llu: it changed "
                           "while it was read", f->path, (unsigned long long)off);
        if (pos >= off) {
            len -= got;
            rc = ex_outstream_write(f->out, f->fbuf, got, &f->l->err);
        }
    }
    return rc;
}

static int
pass(feed *f, const ex_item *it)
{
    int rc = EX_OK;
    ex_err *err = &f->l->err;
    if (f->format == EX_FORMAT_JSONL) {
        if ((rc = ex_outstream_write(f->out, it->raw, it->raw_len, err)) == EX_OK)
            rc = ex_outstream_write(f->out, "\n", 1, err);
    } else if (f->format == EX_FORMAT_WARC) {
        rc = it->raw ? ex_outstream_write(f->out, it->raw, it->raw_len, err)
                     : follow(f, it->offset, it->raw_len);
        if (rc == EX_OK)
            rc = ex_outstream_end_member(f->out, err);
    } else {
        size_t n = strlen(it->file);
        if ((rc = ex_outstream_write(f->out, it->file, n, err)) == EX_OK)
            rc = ex_outstream_write(f->out, "\n", 1, err);
        f->st->bytes += n + 1;
        f->st->passed++;
        return rc;
    }
    f->st->bytes += it->raw_len + (f->format == EX_FORMAT_JSONL);
    f->st->passed++;
    return rc;
}

static int
on_item(void *ctx, const ex_item *it)
{
    feed *f = ctx;
    f->st->records++;
    int member = 0;
    int rc = snap_lookup_has(f->look, it->digest, &member);
    if (rc == EX_OK && it->warc_type && strcmp(it->warc_type, "revisit") == 0)
        member = 0; /* no content of its own to train on */
    if (rc == EX_OK && member && f->format == EX_FORMAT_FILES && strchr(it->file, '\n')) {
        f->st->unreadable++;
        report(f, it->file, 0, 0, "its path holds a newline: it cannot be listed");
        if (f->o->strict)
            rc = ex_fail(&f->l->err, EX_EFORMAT, "'%s...': a path holding a newline", f->path);
        return f->rc = rc;
    }
    if (rc == EX_OK && member)
        rc = pass(f, it);
    else if (rc == EX_OK)
        f->st->not_member++;
    return f->rc = rc;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    feed *f = ctx;
    f->st->records++;
    f->st->unreadable++;
    report(f, q->file, q->offset, q->line, q->reason);
    if (f->o->strict)
        return f->rc = ex_fail(&f->l->err, EX_EFORMAT, "%s: offset %llu: %s", q->file,
                               (unsigned long long)q->offset, q->reason);
    return EX_OK;
}

/* read input path of format fmt to its end; EX_OK, or the run's failure with l->err */
static int
one_input(feed *f, const char *path, int fmt)
{
    const ex_filter_opts *o = f->o;
    ex_reader_cb cb = {on_item, on_quarantine, f, 1};
    ex_jsonl_fields fields = {o->text_field, o->url_field, o->id_field, o->license_field,
                              o->fetched_field};
    ex_err e = {0};
    f->path = path;
    f->rc = EX_OK;
    int rc = fmt == EX_FORMAT_JSONL  ? ex_read_jsonl(path, &fields, &cb, &e)
             : fmt == EX_FORMAT_WARC ? ex_read_warc(path, &cb, &e)
                                     : ex_read_files(path, &cb, &e);
    ex_instream_close(f->follow);
    f->follow = NULL;
    if (f->rc != EX_OK)
        return f->rc; /* a callback's: the output, the store, --strict */
    if (rc == EX_EINVAL)
        return ex_fail(&f->l->err, rc, "%s", e.msg); /* a bad field path */
    if (rc != EX_OK) {
        f->st->inputs_unreadable++;
        report(f, path, 0, 0, e.msg[0] ? e.msg : ex_strerror(rc));
        if (o->strict)
            return ex_fail(&f->l->err, rc, "%s", e.msg[0] ? e.msg : ex_strerror(rc));
        return EX_OK;
    }
    f->st->inputs++;
    return EX_OK;
}

static const char *
kind_name(int fmt)
{
    return fmt == EX_FORMAT_JSONL ? "JSONL" : fmt == EX_FORMAT_WARC ? "WARC" : "files";
}

int
ex_ledger_filter(ex_ledger *l, const char *const *paths, size_t n, const ex_filter_opts *o,
                 ex_filter_stats *stats)
{
    ex_err_clear(&l->err);
    memset(stats, 0, sizeof *stats);
    if (!o || !o->snapshot || (n > 0 && !paths))
        return ex_fail(&l->err, EX_EINVAL, "filter: a snapshot and inputs are needed");
    feed f = {.l = l, .o = o, .st = stats, .format = o->format};
    int *fmts = calloc(n ? n : 1, sizeof *fmts);
    if (!fmts)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    /* every input's kind first: one feed holds one kind, and nothing is written before that
     * is known */
    int rc = EX_OK;
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        ex_err e = {0};
        fmts[i] = o->format;
        if (o->format == EX_FORMAT_AUTO && inputs_detect(paths[i], &fmts[i], &e) != EX_OK) {
            fmts[i] = -1; /* unreadable: reported when its turn comes */
            continue;
        }
        if (f.format == EX_FORMAT_AUTO)
            f.format = fmts[i];
        else if (fmts[i] != f.format)
            rc = ex_fail(&l->err, EX_EINVAL,
                         "filter: '%s' is %s but the feed is %s: filter one kind at a time",
                         paths[i], kind_name(fmts[i]), kind_name(f.format));
    }
    snap rec = {0};
    if (rc == EX_OK)
        rc = snap_open(l, o->snapshot, &rec, NULL);
    if (rc == EX_OK && (rc = snap_lookup_open(l, &rec, &f.look)) == EX_OK) {
        stats->members = snap_lookup_size(f.look);
        stats->lookup_bytes = snap_lookup_bytes(f.look);
    }
    if (rc == EX_OK)
        rc = ex_outstream_open(o->out, o->fd, &f.out, &l->err);
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        if (fmts[i] >= 0) {
            rc = one_input(&f, paths[i], fmts[i]);
            continue;
        }
        ex_err e = {0};
        inputs_detect(paths[i], &fmts[i], &e); /* again, for its message */
        stats->inputs_unreadable++;
        report(&f, paths[i], 0, 0, e.msg);
        if (o->strict)
            rc = ex_fail(&l->err, EX_EIO, "%s", e.msg);
    }
    if (f.out) {
        ex_err ce = {0};
        int crc = ex_outstream_close(f.out, rc == EX_OK, &stats->bytes_out, &ce);
        if (rc == EX_OK && crc != EX_OK)
            rc = ex_fail(&l->err, crc, "%s", ce.msg);
    }
    free(rec.entry);
    free(fmts);
    free(f.fbuf);
    snap_lookup_close(f.look);
    return rc;
}
