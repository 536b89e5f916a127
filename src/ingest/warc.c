/* warc.c - the WARC reader: WARC 1.0 and 1.1 (ISO 28500) files, plain or compressed as
 * instream reads them (gzip per record or whole file, zstd).
 *
 * What becomes of each record:
 *   - response, resource, conversion: an item. For a response whose Content-Type is
 *     application/http (msgtype=response or none; with no Content-Type, a block that starts
 *     with "HTTP/"), the block is parsed as an HTTP response: http_status, the raw head as
 *     http_headers, Content-Type; the payload has its chunked transfer coding removed and its
 *     gzip or deflate content coding undone (deflate as zlib or raw, as servers send either;
 *     other codings, such as br, are kept as they are, which is not an error; a payload that
 *     claims gzip but does not start like gzip is kept raw; one cut short inside the compressed
 *     stream keeps what decodes; trailing bytes after it are ignored). The content is that
 *     decoded payload; for other records it is the block. Content beyond the inline limit is
 *     digested but not kept (content_len < size).
 *   - revisit: an item of size 0 whose refers_to_uri / refers_to_record / refers_to_digest name
 *     the original (WARC-Refers-To-Target-URI, WARC-Refers-To, WARC-Payload-Digest as written); its HTTP head, if any,
 *     still gives http_status and http_headers.
 *   - warcinfo, request, metadata, continuation and unknown types are skipped.
 *
 * Strictness: the version line is exactly "WARC/1.0" or "WARC/1.1", header lines end in
 * CRLF, names are tokens, values hold no control characters but tab, continuation lines are
 * joined with one space, field names are case-insensitive, Content-Length is required, decimal
 * and given once, and the block is followed by CRLF CRLF. Blank lines between records are
 * tolerated. WARC-Block-Digest and WARC-Payload-Digest (sha1 or sha256, any of the encodings of
 * ex_warc_digest_parse) are checked when present; other algorithms are not checked. The
 * payload digest covers the payload after transfer decoding and before content decoding: the
 * HTTP entity-body (WARC 1.0 section 5.9), "with any transfer-encoding removed" (WARC 1.1
 * section 6.3.2). warcio, wget and older Heritrix digest a chunked body as recorded, chunk
 * framing included (warcio issue #74; the iana.org sample here is such a record), so for a
 * chunked payload either digest is accepted. A revisit's payload digest names another record
 * and is not checked, nor is that of a segmented record (it covers the reassembled payload).
 *
 * Quarantine, one report per bad record, at the record's offset in the decompressed stream:
 * a bad version line or header (then the reader scans forward to the next "WARC/1." at a line
 * start), a missing or bad Content-Length (likewise), a block cut short by the end of the file
 * (the file ends there), a block not followed by CRLF CRLF (scan forward from the block's end),
 * then, in this order of precedence, an undecodable digest field, a block digest mismatch, a
 * malformed HTTP status line or an oversized HTTP head, bad chunked framing, corrupt gzip or
 * deflate content, a payload digest mismatch (the record is skipped by its Content-Length).
 * Corrupt or truncated compressed input quarantines the record being read with instream's
 * message and ends the file.
 *
 * Memory: a stream buffer (4 MiB), a WARC header and an HTTP head of at most 1 MiB each,
 * the content up to the inline limit, and a content decoder.
 *
 * This file holds the stream buffer, the reports, recovery, the record loop and the set-up;
 * warc_header.c reads the header, warc_block.c the block of an item record (warc_reader.h). */
#include "warc_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <isa-l/igzip_lib.h>

#define BUF_DEFAULT (4u << 20)
#define MIN_BUF 16

/* ---- the stream buffer ---------------------------------------------------------------- */

/* Record that member `off` starts at decompressed offset dpos; EX_ENOMEM on failure. */
static int
mm_push(rd *r, uint64_t dpos, uint64_t off)
{
    if (r->mm_n > r->mm_lo && r->mm[r->mm_n - 1].off == off)
        return EX_OK;
    if (r->mm_lo > 0 && r->mm_n == r->mm_cap) {
        memmove(r->mm, r->mm + r->mm_lo, (r->mm_n - r->mm_lo) * sizeof *r->mm);
        r->mm_n -= r->mm_lo;
        r->mm_lo = 0;
    }
    if (r->mm_n == r->mm_cap) {
        size_t nc = r->mm_cap ? r->mm_cap * 2 : 256;
        struct mm *m = realloc(r->mm, nc * sizeof *m);
        if (!m)
            return ex_fail(r->err, EX_ENOMEM, "out of memory");
        r->mm = m, r->mm_cap = nc;
    }
    r->mm[r->mm_n].dpos = dpos;
    r->mm[r->mm_n].off = off;
    r->mm_n++;
    return EX_OK;
}

/* Remember which member the decompressed bytes from d0 on belong to: instream only remembers
 * its last 64 members, and the buffer may run further ahead than that. One read returns bytes
 * of one member (instream.h), so asking right after the read is exact. */
static int
note_member(rd *r, uint64_t d0)
{
    return mm_push(r, d0, ex_instream_member_offset(r->in, d0));
}

/* Member of decompressed offset pos; queries come in increasing order. */
static uint64_t
member_of(rd *r, uint64_t pos)
{
    if (!r->in || ex_instream_compression(r->in) == EX_COMP_NONE)
        return pos;
    while (r->mm_lo + 1 < r->mm_n && r->mm[r->mm_lo + 1].dpos <= pos)
        r->mm_lo++;
    if (r->mm_lo < r->mm_n && r->mm[r->mm_lo].dpos <= pos)
        return r->mm[r->mm_lo].off;
    return ex_instream_member_offset(r->in, pos);
}

/* Make at least `want` (<= cap) bytes available at pos, fewer only at the end of the input.
 * A compressed-data error ends the input (failed, with the message in ierr); an I/O error is
 * returned. */
int
ex_warc_fill(rd *r, size_t want)
{
    if (ex_warc_avail(r) < want && !r->eof && r->borrow) {
        /* the buffer is about to move: copy the borrowed content out */
        if (ex_buf_put(&r->content, r->borrow, r->borrow_len) != EX_OK)
            return ex_fail(r->err, EX_ENOMEM, "out of memory");
        r->borrow = NULL;
        r->borrow_len = 0;
    }
    while (ex_warc_avail(r) < want && !r->eof) {
        /* bytes before lo may go: pos, or the start of the record whose bytes are kept */
        size_t lo = r->pos;
        if (r->keep && r->r.offset >= r->base && r->r.offset - r->base < lo) {
            lo = (size_t)(r->r.offset - r->base);
            if (r->cap - (r->len - lo) < want - ex_warc_avail(r)) {
                r->keep = 0; /* the record outgrows the buffer: its item has no raw bytes */
                lo = r->pos;
            }
        }
        if (lo == r->len) {
            r->base += lo;
            r->pos = r->len = 0;
        } else if (r->cap - r->len < want - ex_warc_avail(r) || r->cap - r->len < r->cap / 4) {
            memmove(r->buf, r->buf + lo, r->len - lo);
            r->base += lo;
            r->len -= lo;
            r->pos -= lo;
        }
        size_t room = r->cap - r->len, got = 0;
        if (r->in) {
            int rc = ex_instream_read(r->in, r->buf + r->len, room, &got, &r->ierr);
            if (rc == EX_EFORMAT) {
                r->failed = r->eof = 1;
                break;
            }
            if (rc != EX_OK)
                return ex_fail(r->err, rc, "%s", r->ierr.msg);
            if (got && ex_instream_compression(r->in) != EX_COMP_NONE &&
                (rc = note_member(r, r->base + r->len)) != EX_OK)
                return rc;
        } else {
            got = r->mem_len - r->mem_off;
            if (got > room)
                got = room;
            if (r->read_max && got > r->read_max)
                got = r->read_max;
            memcpy(r->buf + r->len, r->mem + r->mem_off, got);
            r->mem_off += got;
        }
        if (got == 0)
            r->eof = 1;
        r->len += got;
    }
    return EX_OK;
}

/* ---- reports -------------------------------------------------------------------------- */

/* Report a bad record to the callback (if any); returns its code. */
static int quarantine(rd *r, uint64_t offset, uint64_t member, const char *fmt, ...)
    EX_PRINTF(4, 5);

static int
quarantine(rd *r, uint64_t offset, uint64_t member, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (!r->cb || !r->cb->quarantine)
        return EX_OK;
    ex_quarantine q = {r->file, offset, member, 0, reason};
    return r->cb->quarantine(r->cb->ctx, &q);
}

/* Report the current record. */
int
ex_warc_quarantine_rec(rd *r, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return quarantine(r, r->r.offset, r->r.member, "%s", reason);
}

/* The input ended inside the current record: quarantine it and stop. */
int
ex_warc_cut_short(rd *r, const char *what)
{
    r->stop = 1;
    if (r->failed)
        return ex_warc_quarantine_rec(r, "%s", r->ierr.msg);
    return ex_warc_quarantine_rec(r, "%s", what);
}

/* A short printable excerpt of a bad line for messages (non-printables as '?'). */
void
ex_warc_excerpt(const uint8_t *p, size_t n, char out[48])
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 40; i++)
        out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    if (n > 40)
        out[k++] = '.', out[k++] = '.', out[k++] = '.';
    out[k] = '\0';
}

/* ---- recovery ------------------------------------------------------------------------- */

/* Move to the next "WARC/1." that starts a line, or to the end of the input. With here set,
 * one right at the current position also counts. */
static int
resync(rd *r, int here)
{
    static const char needle[] = "\nWARC/1.";
    int rc;
    if (here) {
        if ((rc = ex_warc_fill(r, 7)) != EX_OK)
            return rc;
        if (ex_warc_avail(r) >= 7 && memcmp(r->buf + r->pos, needle + 1, 7) == 0)
            return EX_OK;
    }
    for (;;) {
        const uint8_t *f = memmem(r->buf + r->pos, ex_warc_avail(r), needle, 8);
        if (f) {
            r->pos = (size_t)(f - r->buf) + 1;
            return EX_OK;
        }
        if (r->eof) {
            r->pos = r->len;
            return EX_OK;
        }
        size_t keep = ex_warc_avail(r) < 7 ? ex_warc_avail(r) : 7;
        r->pos = r->len - keep;
        if ((rc = ex_warc_fill(r, keep + 1)) != EX_OK)
            return rc;
    }
}

/* Consume n bytes of block; 1 in *short_ if the input ended first. */
static int
skip(rd *r, uint64_t n, int *short_)
{
    *short_ = 0;
    while (n > 0) {
        if (ex_warc_avail(r) == 0) {
            int rc = ex_warc_fill(r, 1);
            if (rc != EX_OK)
                return rc;
            if (ex_warc_avail(r) == 0) {
                *short_ = 1;
                return EX_OK;
            }
        }
        size_t k = ex_warc_avail(r);
        if ((uint64_t)k > n)
            k = (size_t)n;
        r->pos += k;
        n -= k;
    }
    return EX_OK;
}

/* ---- records ------------------------------------------------------------------------- */

/* After the block: CRLF CRLF. *ok = 0 if missing (reported); the record's fate otherwise. */
static int
terminator(rd *r, int *ok)
{
    int rc = ex_warc_fill(r, 4);
    *ok = 0;
    if (rc != EX_OK)
        return rc;
    if (ex_warc_avail(r) < 4 && r->eof)
        return ex_warc_cut_short(r, "record truncated: no crlf crlf after the block");
    if (memcmp(r->buf + r->pos, "\r\n\r\n", 4) != 0) {
        if ((rc = ex_warc_quarantine_rec(r,
                                 "record block not followed by crlf crlf "
                                 "(content-length %llu is wrong?)",
                                 (unsigned long long)r->r.clen)) != EX_OK)
            return rc;
        return resync(r, 1);
    }
    *ok = 1;
    return EX_OK;
}

/* A compressed member's checksum is checked at its end, after its bytes were delivered
 * (instream.h). When the record just read ends where the buffered data ends, read on, so that
 * a damaged member (one record per member, as crawlers write them) quarantines its record
 * instead of giving an item; the record is damaged if no new member began at its end. In a
 * file compressed as one member, a bad checksum shows only at the end of the file. */
static int
member_sound(rd *r)
{
    int rc;
    if (!r->in || ex_instream_compression(r->in) == EX_COMP_NONE || ex_warc_avail(r) > 0 || r->eof)
        return EX_OK;
    uint64_t end = ex_warc_at(r), last = member_of(r, end - 1);
    if ((rc = ex_warc_fill(r, 1)) != EX_OK || !r->failed)
        return rc;
    if (ex_instream_member_offset(r->in, end) != last)
        return EX_OK; /* what follows the record is bad: reported where it starts */
    r->stop = 1;
    return ex_warc_quarantine_rec(r, "%s", r->ierr.msg);
}

/* Read one record at the current position: skip it, report it, or hand over its item. The return is
 * a callback's code or a fatal error; r->stop ends the file. */
static int
record(rd *r)
{
    rec *c = &r->r;
    int rc, how, ok, short_;
    char msg[320];
    memset(c, 0, sizeof *c);
    c->offset = ex_warc_at(r);
    c->member = member_of(r, c->offset);
    r->keep = r->cb && r->cb->raw;
    if ((rc = ex_warc_fill(r, 10)) != EX_OK)
        return rc;
    const uint8_t *p = r->buf + r->pos;
    size_t n = ex_warc_avail(r);
    if (n < 10 || (memcmp(p, "WARC/1.0\r\n", 10) != 0 && memcmp(p, "WARC/1.1\r\n", 10) != 0)) {
        /* the message shows at most MIN_BUF bytes, so that it does not depend on the buffer */
        if ((rc = ex_warc_fill(r, MIN_BUF)) != EX_OK)
            return rc;
        p = r->buf + r->pos;
        n = ex_warc_avail(r) < MIN_BUF ? ex_warc_avail(r) : MIN_BUF;
        const uint8_t *eol = memchr(p, '\n', n);
        size_t ln = eol ? (size_t)(eol - p) : n;
        if (ln > 0 && p[ln - 1] == '\r')
            ln--;
        if (n < 10 && r->eof &&
            (memcmp(p, "WARC/1.0\r\n", n) == 0 || memcmp(p, "WARC/1.1\r\n", n) == 0))
            return ex_warc_cut_short(r, "warc header truncated by the end of the file");
        char ex[48];
        ex_warc_excerpt(p, ln, ex);
        if (n >= 5 && memcmp(p, "WARC/", 5) == 0)
            rc = ex_warc_quarantine_rec(r, "unsupported warc version line '%s'", ex);
        else
            rc = ex_warc_quarantine_rec(r,
                                "not a warc record: expected 'WARC/1.0' or 'WARC/1.1', "
                                "found '%s'",
                                ex);
        if (rc != EX_OK)
            return rc;
        r->pos++;
        return resync(r, 0);
    }
    r->pos += 10;
    if ((rc = ex_warc_read_header(r, &how)) != EX_OK)
        return rc;
    if (how == H_SHORT)
        return ex_warc_cut_short(r, "warc header truncated by the end of the file");
    if (how == H_TOO_LONG) {
        rc = ex_warc_quarantine_rec(r, "warc header longer than %zu bytes", r->header_max);
        if (rc != EX_OK)
            return rc;
        return resync(r, 0);
    }
    if (ex_warc_parse_fields(r, msg, sizeof msg) != EX_OK) {
        if ((rc = ex_warc_quarantine_rec(r, "%s", msg)) != EX_OK)
            return rc;
        return resync(r, 0);
    }
    const char *t = c->type_raw;
    c->type = !t                                 ? T_SKIP
              : strcasecmp(t, "response") == 0   ? T_RESPONSE
              : strcasecmp(t, "resource") == 0   ? T_RESOURCE
              : strcasecmp(t, "conversion") == 0 ? T_CONVERSION
              : strcasecmp(t, "revisit") == 0    ? T_REVISIT
                                                 : T_SKIP;
    static const char *const names[] = {NULL, "response", "resource", "conversion", "revisit"};
    c->type_name = names[c->type];
    if (!t)
        snprintf(c->hdr_reason, sizeof c->hdr_reason, "missing warc-type");
    if (c->type == T_SKIP) {
        if ((rc = skip(r, c->clen, &short_)) != EX_OK)
            return rc;
        if (short_)
            return ex_warc_cut_short(r, "record block truncated by the end of the file");
        if ((rc = terminator(r, &ok)) != EX_OK || !ok)
            return rc;
        r->pos += 4;
        return c->hdr_reason[0] ? ex_warc_quarantine_rec(r, "%s", c->hdr_reason) : EX_OK;
    }
    if ((rc = ex_warc_item_record(r)) != EX_OK || r->stop)
        return rc;
    if ((rc = terminator(r, &ok)) != EX_OK || !ok)
        return rc;
    r->pos += 4;
    if ((rc = member_sound(r)) != EX_OK || r->stop)
        return rc;
    return ex_warc_record_end(r);
}

/* Read records to the end of the input. */
static int
run(rd *r)
{
    int rc;
    for (;;) {
        /* blank lines between records are let pass */
        for (;;) {
            if (ex_warc_avail(r) == 0 && (rc = ex_warc_fill(r, 1)) != EX_OK)
                return rc;
            if (ex_warc_avail(r) == 0)
                break;
            uint8_t ch = r->buf[r->pos];
            if (ch != '\r' && ch != '\n')
                break;
            r->pos++;
        }
        if (ex_warc_avail(r) == 0) {
            if (r->failed)
                return quarantine(r, ex_warc_at(r), ex_instream_member_offset(r->in, ex_warc_at(r)),
                                  "%s", r->ierr.msg);
            return EX_OK;
        }
        if ((rc = record(r)) != EX_OK)
            return rc;
        if (r->stop)
            return EX_OK;
    }
}

/* ---- set-up --------------------------------------------------------------------------- */

/* Release everything rd_init and the reading made. */
static void
rd_free(rd *r)
{
    ex_instream_close(r->in);
    free(r->buf);
    free(r->mm);
    ex_buf_free(&r->hdr);
    ex_buf_free(&r->head);
    ex_buf_free(&r->content);
    free(r->obuf);
    free(r->inf);
    EVP_MD_CTX_free(r->bctx);
    EVP_MD_CTX_free(r->pctx);
    EVP_MD_CTX_free(r->prctx);
    EVP_MD_CTX_free(r->cctx);
    EVP_MD_free(r->sha1);
    EVP_MD_free(r->sha256);
}

/* Buffers, decoder and digests; EX_ENOMEM or EX_ECRYPTO on failure (rd_free cleans up). */
static int
rd_init(rd *r, const ex_warc_limits *lim, const ex_reader_cb *cb, ex_err *err)
{
    r->cb = cb;
    r->err = err;
    r->cap = lim && lim->buf_cap ? lim->buf_cap : BUF_DEFAULT;
    if (r->cap < MIN_BUF)
        r->cap = MIN_BUF;
    r->read_max = lim ? lim->read_max : 0;
    r->header_max = lim && lim->header_max ? lim->header_max : EX_WARC_HEADER_MAX;
    r->inline_max = lim && lim->inline_max ? lim->inline_max : EX_ITEM_INLINE_MAX;
    r->trust_block = lim ? lim->trust_block : 0;
    r->buf = malloc(r->cap);
    r->obuf = malloc(OBUF_SIZE);
    r->inf = malloc(sizeof *r->inf);
    if (!r->buf || !r->obuf || !r->inf)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    r->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    r->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    r->bctx = EVP_MD_CTX_new();
    r->pctx = EVP_MD_CTX_new();
    r->prctx = EVP_MD_CTX_new();
    r->cctx = EVP_MD_CTX_new();
    if (!r->sha1 || !r->sha256 || !r->bctx || !r->pctx || !r->prctx || !r->cctx)
        return ex_fail(err, EX_ECRYPTO, "cannot set up sha-1 and sha-256");
    return EX_OK;
}

int
ex_warc_read_file(const char *path, const ex_warc_limits *lim, const ex_reader_cb *cb,
                  ex_err *err)
{
    rd r;
    memset(&r, 0, sizeof r);
    r.file = path;
    int rc = rd_init(&r, lim, cb, err);
    if (rc == EX_OK)
        rc = ex_instream_open(path, &r.in, err);
    if (rc == EX_OK)
        rc = run(&r);
    rd_free(&r);
    return rc;
}

int
ex_warc_parse_buffer(const uint8_t *data, size_t len, const ex_warc_limits *lim,
                     const ex_reader_cb *cb, ex_err *err)
{
    rd r;
    memset(&r, 0, sizeof r);
    r.file = "<buffer>";
    r.mem = data;
    r.mem_len = len;
    int rc = rd_init(&r, lim, cb, err);
    if (rc == EX_OK)
        rc = run(&r);
    rd_free(&r);
    return rc;
}

int
ex_read_warc(const char *path, const ex_reader_cb *cb, ex_err *err)
{
    return ex_warc_read_file(path, NULL, cb, err);
}
