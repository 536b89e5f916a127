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
 * the content up to the inline limit, and a content decoder. */
#include "warc_internal.h"

#include "http.h"
#include "instream.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <isa-l/igzip_lib.h>
#include <openssl/evp.h>

#define BUF_DEFAULT (4u << 20)
#define OBUF_SIZE (256u << 10) /* content decoder output */
#define MIN_BUF 16

enum { T_SKIP, T_RESPONSE, T_RESOURCE, T_CONVERSION, T_REVISIT };

/* content decoder state: raw, the first two bytes, a gzip header, deflate data, finished */
enum { CD_RAW, CD_SNIFF, CD_GZHDR, CD_INFLATE, CD_DONE };

/* parts of a gzip header (RFC 1952 2.3) */
enum { GZ_FIXED, GZ_XLEN, GZ_EXTRA, GZ_NAME, GZ_COMMENT, GZ_HCRC, GZ_DONE };

struct digest {
    int alg; /* EX_WARC_SHA1, EX_WARC_SHA256, or 0: absent or not checked */
    size_t n;
    uint8_t want[EX_HASH_BYTES];
};

typedef struct rec {
    uint64_t offset, member;
    int type;
    const char *type_name;
    char *type_raw, *uri, *id, *date, *ctype, *refers_uri, *refers_id, *pdigest, *bdigest, *segment;
    uint64_t clen;
    struct digest bd, pd;
    char hdr_reason[320]; /* a problem found in the header, reported if the block is sound */
    /* the block as it streams */
    int http, in_head;
    ex_http_head hh;
    int chunked;
    ex_chunked ch;
    int cd; /* content decoder state */
    uint8_t sniff[2];
    size_t nsniff;
    int gz;          /* GZ_*: where in the gzip header */
    uint8_t gzh[10]; /* its fixed part */
    uint32_t gz_have, gz_left;
    char reason[320]; /* the first HTTP, chunking or content-coding problem */
    uint64_t size;    /* content bytes */
} rec;

typedef struct rd {
    const char *file;
    ex_instream *in; /* file source, or: */
    const uint8_t *mem;
    size_t mem_len, mem_off, read_max;
    size_t header_max, inline_max;
    int trust_block;
    uint8_t *buf; /* buf[pos..len) is unread; buf[0] is at stream offset base */
    size_t cap, pos, len;
    uint64_t base;
    int eof, failed, stop;
    ex_err ierr; /* why the compressed input failed */
    struct mm {
        uint64_t dpos, off;
    } * mm; /* where each member starts, for the data in reach */
    size_t mm_lo, mm_n, mm_cap;
    ex_buf hdr, head, content;
    const uint8_t *borrow; /* content still in buf (not yet copied): borrow[0..borrow_len) */
    size_t borrow_len;
    uint8_t *obuf;
    struct inflate_state *inf;
    EVP_MD *sha1, *sha256;
    EVP_MD_CTX *bctx, *pctx, *prctx, *cctx; /* block, payload, payload as recorded, content */
    const ex_reader_cb *cb;
    ex_err *err;
    rec r;
} rd;

/* ---- digests -------------------------------------------------------------------------- */

/* Value of an RFC 4648 base32 character (either case), or -1. */
static int
b32val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

/* Value of a base64 or base64url character, or -1. */
static int
b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decode n bytes from s[0..len) at `bits` bits per character; -1 if a character is foreign. */
static int
radix_decode(const char *s, size_t len, unsigned bits, int (*val)(unsigned char), uint8_t *out,
             size_t n)
{
    uint32_t acc = 0;
    unsigned have = 0;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        int v = val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << bits) | (uint32_t)v;
        have += bits;
        if (have >= 8) {
            have -= 8;
            if (k < n)
                out[k++] = (uint8_t)(acc >> have);
            acc &= (1u << have) - 1;
        }
    }
    return k == n ? 0 : -1;
}

int
ex_warc_digest_parse(const char *s, int *alg, uint8_t out[EX_HASH_BYTES], size_t *n)
{
    const char *colon = strchr(s, ':');
    *alg = 0, *n = 0;
    if (!colon)
        return EX_EFORMAT;
    size_t an = (size_t)(colon - s);
    int a;
    size_t bytes;
    if ((an == 4 && strncasecmp(s, "sha1", 4) == 0) || (an == 5 && strncasecmp(s, "sha-1", 5) == 0))
        a = EX_WARC_SHA1, bytes = 20;
    else if ((an == 6 && strncasecmp(s, "sha256", 6) == 0) ||
             (an == 7 && strncasecmp(s, "sha-256", 7) == 0))
        a = EX_WARC_SHA256, bytes = 32;
    else
        return EX_OK; /* not an algorithm we check */
    const char *v = colon + 1;
    size_t vn = strlen(v);
    while (vn > 0 && v[vn - 1] == '=')
        vn--;
    int rc = -1;
    if (vn == bytes * 2)
        rc = ex_hex_decode(v, vn, out, bytes) == EX_OK ? 0 : -1;
    else if (vn == (bytes * 8 + 4) / 5)
        rc = radix_decode(v, vn, 5, b32val, out, bytes);
    else if (vn == (bytes * 8 + 5) / 6)
        rc = radix_decode(v, vn, 6, b64val, out, bytes);
    if (rc != 0)
        return EX_EFORMAT;
    *alg = a, *n = bytes;
    return EX_OK;
}

static const char b32chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* "sha1:<base32>" or "sha256:<base32>" of a computed digest, for messages. */
static void
digest_text(int alg, const uint8_t *d, size_t n, char out[80])
{
    size_t k = (size_t)snprintf(out, 80, "%s:", alg == EX_WARC_SHA1 ? "sha1" : "sha256");
    uint32_t acc = 0;
    unsigned have = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | d[i];
        have += 8;
        while (have >= 5) {
            have -= 5;
            out[k++] = b32chars[(acc >> have) & 31];
        }
    }
    if (have > 0)
        out[k++] = b32chars[(acc << (5 - have)) & 31];
    out[k] = '\0';
}

/* ---- the stream buffer ---------------------------------------------------------------- */

/* Stream offset of the next unread byte. */
static uint64_t
at(const rd *r)
{
    return r->base + r->pos;
}

/* Unread bytes in the buffer. */
static size_t
avail(const rd *r)
{
    return r->len - r->pos;
}

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
static int
fill(rd *r, size_t want)
{
    if (avail(r) < want && !r->eof && r->borrow) {
        /* the buffer is about to move: copy the borrowed content out */
        if (ex_buf_put(&r->content, r->borrow, r->borrow_len) != EX_OK)
            return ex_fail(r->err, EX_ENOMEM, "out of memory");
        r->borrow = NULL;
        r->borrow_len = 0;
    }
    while (avail(r) < want && !r->eof) {
        if (r->pos == r->len) {
            r->base += r->pos;
            r->pos = r->len = 0;
        } else if (r->cap - r->len < want - avail(r) || r->cap - r->len < r->cap / 4) {
            memmove(r->buf, r->buf + r->pos, avail(r));
            r->base += r->pos;
            r->len -= r->pos;
            r->pos = 0;
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
static int quarantine_rec(rd *r, const char *fmt, ...) EX_PRINTF(2, 3);

static int
quarantine_rec(rd *r, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return quarantine(r, r->r.offset, r->r.member, "%s", reason);
}

/* The input ended inside the current record: quarantine it and stop. */
static int
cut_short(rd *r, const char *what)
{
    r->stop = 1;
    if (r->failed)
        return quarantine_rec(r, "%s", r->ierr.msg);
    return quarantine_rec(r, "%s", what);
}

/* A short printable excerpt of a bad line for messages (non-printables as '?'). */
static void
excerpt(const uint8_t *p, size_t n, char out[48])
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
        if ((rc = fill(r, 7)) != EX_OK)
            return rc;
        if (avail(r) >= 7 && memcmp(r->buf + r->pos, needle + 1, 7) == 0)
            return EX_OK;
    }
    for (;;) {
        const uint8_t *f = memmem(r->buf + r->pos, avail(r), needle, 8);
        if (f) {
            r->pos = (size_t)(f - r->buf) + 1;
            return EX_OK;
        }
        if (r->eof) {
            r->pos = r->len;
            return EX_OK;
        }
        size_t keep = avail(r) < 7 ? avail(r) : 7;
        r->pos = r->len - keep;
        if ((rc = fill(r, keep + 1)) != EX_OK)
            return rc;
    }
}

/* Consume n bytes of block; 1 in *short_ if the input ended first. */
static int
skip(rd *r, uint64_t n, int *short_)
{
    *short_ = 0;
    while (n > 0) {
        if (avail(r) == 0) {
            int rc = fill(r, 1);
            if (rc != EX_OK)
                return rc;
            if (avail(r) == 0) {
                *short_ = 1;
                return EX_OK;
            }
        }
        size_t k = avail(r);
        if ((uint64_t)k > n)
            k = (size_t)n;
        r->pos += k;
        n -= k;
    }
    return EX_OK;
}

/* ---- the WARC header ------------------------------------------------------------------ */

enum { H_OK, H_TOO_LONG, H_SHORT };

/* Copy the header block into r->hdr, from the version line's CRLF through the empty line,
 * leaving pos after it. */
static int
read_header(rd *r, int *how)
{
    int rc;
    size_t s = r->pos - 2;
    r->hdr.len = 0;
    *how = H_OK;
    for (;;) {
        const uint8_t *f = memmem(r->buf + s, r->len - s, "\r\n\r\n", 4);
        size_t upto = f ? (size_t)(f - r->buf) + 4 : r->len < s + 3 ? s : r->len - 3;
        if (r->hdr.len + (upto - s) > r->header_max + 4) {
            *how = H_TOO_LONG;
            r->pos = upto;
            return EX_OK;
        }
        if ((rc = ex_buf_put(&r->hdr, r->buf + s, upto - s)) != EX_OK)
            return ex_fail(r->err, rc, "out of memory");
        r->pos = upto;
        if (f)
            return EX_OK;
        if (r->eof) {
            *how = H_SHORT;
            r->pos = r->len;
            return EX_OK;
        }
        if ((rc = fill(r, avail(r) + 1)) != EX_OK)
            return rc;
        s = r->pos;
    }
}

/* An RFC 9110 token character (field names). */
static int
is_tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* Field names compare without regard to case. */
static int
name_is(const char *name, const char *want)
{
    return strcasecmp(name, want) == 0;
}

/* Strip the angle brackets of WARC 1.0's <uri> form. */
static char *
unbracket(char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
        v[n - 1] = '\0';
        return v + 1;
    }
    return v;
}

/* Parse the header fields in r->hdr into r->r; EX_EFORMAT with a reason in msg. */
static int
parse_fields(rd *r, char *msg, size_t msgcap)
{
    rec *c = &r->r;
    char *p = r->hdr.data + 2, *end = r->hdr.data + r->hdr.len - 2;
    char **field = NULL, *vend = NULL, *clen = NULL, *ignored = NULL;
    const struct {
        const char *name;
        char **slot;
        int once;
    } known[] = {
        {"WARC-Type", &c->type_raw, 1},
        {"Content-Length", &clen, 1},
        {"WARC-Target-URI", &c->uri, 0},
        {"WARC-Record-ID", &c->id, 0},
        {"WARC-Date", &c->date, 0},
        {"Content-Type", &c->ctype, 0},
        {"WARC-Block-Digest", &c->bdigest, 0},
        {"WARC-Payload-Digest", &c->pdigest, 0},
        {"WARC-Refers-To-Target-URI", &c->refers_uri, 0},
        {"WARC-Refers-To", &c->refers_id, 0},
        {"WARC-Segment-Number", &c->segment, 0},
    };
    unsigned line = 1;
    while (p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        line++;
        if (!eol || eol == p || eol[-1] != '\r') {
            snprintf(msg, msgcap, "warc header line %u: bare lf or cr", line);
            return EX_EFORMAT;
        }
        char *e = eol - 1, *next = eol + 1;
        for (char *q = p; q < e; q++) {
            unsigned char ch = (unsigned char)*q;
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                snprintf(msg, msgcap, "warc header line %u: control character 0x%02x", line, ch);
                return EX_EFORMAT;
            }
        }
        if (*p == ' ' || *p == '\t') { /* continuation of the previous value */
            if (!vend) {
                snprintf(msg, msgcap, "warc header line %u: continuation without a field", line);
                return EX_EFORMAT;
            }
            while (p < e && (*p == ' ' || *p == '\t'))
                p++;
            while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (e > p) {
                size_t n = (size_t)(e - p);
                if (vend > *field) /* a non-empty value gets one space */
                    *vend++ = ' ';
                memmove(vend, p, n);
                vend += n;
                *vend = '\0';
            }
            p = next;
            continue;
        }
        char *colon = p;
        while (colon < e && is_tchar((unsigned char)*colon))
            colon++;
        if (colon == p || colon == e || *colon != ':') {
            char ex[48];
            excerpt((const uint8_t *)p, (size_t)(e - p), ex);
            snprintf(msg, msgcap, "warc header line %u: not a 'name: value' field: '%s'", line, ex);
            return EX_EFORMAT;
        }
        *colon = '\0';
        char *v = colon + 1;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *e = '\0';
        char **slot = &ignored;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (!name_is(p, known[k].name))
                continue;
            slot = known[k].slot;
            if (*slot && known[k].once) {
                snprintf(msg, msgcap, "warc header line %u: %s given twice", line, p);
                return EX_EFORMAT;
            }
            if (*slot)
                slot = &ignored; /* the first one wins */
            break;
        }
        *slot = v;
        field = slot;
        vend = e;
        p = next;
    }
    if (!clen) {
        snprintf(msg, msgcap, "missing content-length");
        return EX_EFORMAT;
    }
    uint64_t n = 0;
    const char *q = clen;
    if (!*q) {
        snprintf(msg, msgcap, "content-length is empty");
        return EX_EFORMAT;
    }
    for (; *q; q++) {
        if (*q < '0' || *q > '9' || n > (UINT64_MAX - 9) / 10) {
            char ex[48];
            excerpt((const uint8_t *)clen, strlen(clen), ex);
            snprintf(msg, msgcap, "content-length is not a number: '%s'", ex);
            return EX_EFORMAT;
        }
        n = n * 10 + (uint64_t)(*q - '0');
    }
    c->clen = n;
    return EX_OK;
}

/* ---- the block of an item record ------------------------------------------------------ */

/* The crypto library failed: stop reading. */
static int
md_fail(rd *r)
{
    return ex_fail(r->err, EX_ECRYPTO, "the crypto library failed");
}

/* Remember the first problem of the record's block (later ones are ignored). */
static void set_reason(rec *c, const char *fmt, ...) EX_PRINTF(2, 3);

static void
set_reason(rec *c, const char *fmt, ...)
{
    if (c->reason[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
}

/* Decoded content: digest it and keep the first inline_max bytes. Bytes that sit in the
 * stream buffer (in_buf) are not copied while they stay contiguous there: fill() copies them
 * out before it moves the buffer. */
static int
content_put(rd *r, const uint8_t *p, size_t n, int in_buf)
{
    if (n == 0)
        return EX_OK;
    if (EVP_DigestUpdate(r->cctx, p, n) != 1)
        return md_fail(r);
    r->r.size += n;
    size_t kept = r->content.len + r->borrow_len;
    if (kept >= r->inline_max)
        return EX_OK;
    size_t k = r->inline_max - kept;
    if (k > n)
        k = n;
    if (in_buf && r->content.len == 0 && (!r->borrow || r->borrow + r->borrow_len == p)) {
        if (!r->borrow)
            r->borrow = p;
        r->borrow_len += k;
        return EX_OK;
    }
    if (r->borrow) {
        if (ex_buf_put(&r->content, r->borrow, r->borrow_len) != EX_OK)
            return ex_fail(r->err, EX_ENOMEM, "out of memory");
        r->borrow = NULL;
        r->borrow_len = 0;
    }
    if (ex_buf_put(&r->content, p, k) != EX_OK)
        return ex_fail(r->err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

/* Name of a decodable content coding, for messages. */
static const char *
coding_name(int coding)
{
    return coding == EX_HTTP_CODING_GZIP ? "gzip" : "deflate";
}

/* Undo gzip or deflate content coding on p[0..n) and pass the content on; corrupt data sets the
 * reason and stops decoding. */
static int
inflate_put(rd *r, const uint8_t *p, size_t n)
{
    rec *c = &r->r;
    struct inflate_state *s = r->inf;
    s->next_in = (uint8_t *)(uintptr_t)p;
    s->avail_in = (uint32_t)n;
    for (;;) {
        s->next_out = r->obuf;
        s->avail_out = OBUF_SIZE;
        uint32_t in_before = s->avail_in;
        int ret = isal_inflate(s);
        size_t out = OBUF_SIZE - s->avail_out;
        int rc = content_put(r, r->obuf, out, 0);
        if (rc != EX_OK)
            return rc;
        if (ret < 0 || ret == ISAL_NEED_DICT) { /* a zlib preset dictionary: unknowable */
            set_reason(c, "corrupt %s content-encoding (payload cannot be decoded)",
                       coding_name(c->hh.coding));
            c->cd = CD_DONE;
            return EX_OK;
        }
        if (s->block_state == ISAL_BLOCK_FINISH) {
            c->cd = CD_DONE; /* anything after the compressed stream is ignored */
            return EX_OK;
        }
        if (s->avail_out > 0 && (s->avail_in == 0 || s->avail_in == in_before))
            return EX_OK;
    }
}

/* Next part of a gzip header after part `st`, given its flags. */
static int
gz_next(uint8_t flags, int st)
{
    if (st < GZ_XLEN && (flags & 0x04))
        return GZ_XLEN;
    if (st < GZ_NAME && (flags & 0x08))
        return GZ_NAME;
    if (st < GZ_COMMENT && (flags & 0x10))
        return GZ_COMMENT;
    if (st < GZ_HCRC && (flags & 0x02))
        return GZ_HCRC;
    return GZ_DONE;
}

/* Consume gzip header bytes from *p: 1 once the header is complete (deflate data follows), 0
 * while more is needed, -1 if it is not a gzip header. The header is parsed here rather than by
 * ISA-L, whose isal_inflate (2.30) reads uninitialized memory when a header with optional fields
 * arrives split across calls. */
static int
gzip_header(rec *c, const uint8_t **p, size_t *n)
{
    while (*n > 0 && c->gz != GZ_DONE) {
        const uint8_t *q = *p;
        size_t k = 1;
        switch (c->gz) {
        case GZ_FIXED:
            c->gzh[c->gz_have++] = q[0];
            if (c->gz_have == 10) {
                if (c->gzh[2] != 8 || (c->gzh[3] & 0xe0))
                    return -1; /* not deflate, or reserved flags */
                c->gz = gz_next(c->gzh[3], GZ_FIXED);
                c->gz_have = 0;
            }
            break;
        case GZ_XLEN:
            c->gz_left |= (uint32_t)q[0] << (8 * c->gz_have++);
            if (c->gz_have == 2) {
                c->gz_have = 0;
                c->gz = c->gz_left ? GZ_EXTRA : gz_next(c->gzh[3], GZ_EXTRA);
            }
            break;
        case GZ_EXTRA:
            k = *n < c->gz_left ? *n : c->gz_left;
            c->gz_left -= (uint32_t)k;
            if (c->gz_left == 0)
                c->gz = gz_next(c->gzh[3], GZ_EXTRA);
            break;
        case GZ_NAME:
        case GZ_COMMENT: {
            const uint8_t *z = memchr(q, 0, *n);
            k = z ? (size_t)(z - q) + 1 : *n;
            if (z)
                c->gz = gz_next(c->gzh[3], c->gz);
            break;
        }
        default: /* GZ_HCRC: two bytes, not checked (the trailer's CRC-32 is) */
            if (++c->gz_have == 2)
                c->gz = GZ_DONE;
            break;
        }
        *p += k;
        *n -= k;
    }
    return c->gz == GZ_DONE;
}

static void
inflate_start(rd *r, uint32_t flag)
{
    isal_inflate_init(r->inf);
    r->inf->crc_flag = flag;
    r->r.cd = CD_INFLATE;
}

/* Content-coded payload bytes: find out what the coding really is from the first two bytes,
 * skip its wrapper's header, and inflate. */
static int
decode_put(rd *r, const uint8_t *p, size_t n)
{
    rec *c = &r->r;
    int rc;
    if (c->cd == CD_SNIFF) {
        while (c->nsniff < 2 && n > 0)
            c->sniff[c->nsniff++] = *p++, n--;
        if (c->nsniff < 2)
            return EX_OK;
        const uint8_t *m = c->sniff;
        if (m[0] == 0x1f && m[1] == 0x8b) {
            const uint8_t *s = m;
            size_t sn = 2;
            c->cd = CD_GZHDR;
            gzip_header(c, &s, &sn);
        } else if (c->hh.coding == EX_HTTP_CODING_DEFLATE && (m[0] & 0x0f) == 8 &&
                   (m[0] >> 4) <= 7 && ((unsigned)m[0] << 8 | m[1]) % 31 == 0) {
            if (m[1] & 0x20) { /* a preset dictionary: cannot be decoded */
                set_reason(c, "deflate content-encoding needs a preset dictionary");
                c->cd = CD_DONE;
                return EX_OK;
            }
            inflate_start(r, ISAL_ZLIB_NO_HDR_VER);
        } else if (c->hh.coding == EX_HTTP_CODING_DEFLATE) {
            inflate_start(r, ISAL_DEFLATE);
            if ((rc = inflate_put(r, m, 2)) != EX_OK)
                return rc;
        } else { /* says gzip but is not: kept as it is */
            c->cd = CD_RAW;
            if ((rc = content_put(r, m, 2, 0)) != EX_OK)
                return rc;
        }
    }
    if (c->cd == CD_GZHDR) {
        int h = gzip_header(c, &p, &n);
        if (h < 0) {
            set_reason(c, "corrupt gzip content-encoding (bad gzip header)");
            c->cd = CD_DONE;
        }
        if (h <= 0)
            return EX_OK;
        inflate_start(r, ISAL_GZIP_NO_HDR_VER);
    }
    if (n == 0)
        return EX_OK;
    if (c->cd == CD_RAW)
        return content_put(r, p, n, 1);
    if (c->cd == CD_INFLATE)
        return inflate_put(r, p, n);
    return EX_OK;
}

/* Payload after transfer decoding. */
static int
payload_put(rd *r, const uint8_t *p, size_t n)
{
    rec *c = &r->r;
    if (c->pd.alg && EVP_DigestUpdate(r->pctx, p, n) != 1)
        return md_fail(r);
    if (c->type == T_REVISIT || n == 0)
        return EX_OK;
    if (c->cd == CD_RAW)
        return content_put(r, p, n, 1);
    return decode_put(r, p, n);
}

/* The HTTP head is complete in r->head: parse it and set up the body's decoders. */
static void
head_done(rd *r)
{
    rec *c = &r->r;
    ex_err e = {0};
    c->in_head = 0;
    if (ex_http_parse_head((const uint8_t *)r->head.data, r->head.len, &c->hh, &e) != EX_OK) {
        set_reason(c, "%s", e.msg);
        return;
    }
    c->chunked = c->hh.chunked;
    ex_chunked_init(&c->ch);
    c->cd = c->hh.coding == EX_HTTP_CODING_GZIP || c->hh.coding == EX_HTTP_CODING_DEFLATE ? CD_SNIFF
                                                                                          : CD_RAW;
}

/* Bytes of the HTTP head; returns how many of p[0..n) belong to it. */
static int
head_put(rd *r, const uint8_t *p, size_t n, size_t *used)
{
    rec *c = &r->r;
    size_t old = r->head.len, e;
    if (old == 0 && (e = ex_http_head_end(p, n, 0)) != 0 && e <= r->header_max) {
        *used = e;
    } else {
        size_t k = n;
        if (k > r->header_max + 1 - old)
            k = r->header_max + 1 - old;
        if (ex_buf_put(&r->head, p, k) != EX_OK)
            return ex_fail(r->err, EX_ENOMEM, "out of memory");
        e = ex_http_head_end((const uint8_t *)r->head.data, r->head.len, old >= 2 ? old - 2 : 0);
        if (e == 0 || e > r->header_max) {
            *used = n;
            if (r->head.len > r->header_max) {
                set_reason(c, "http head longer than %zu bytes", r->header_max);
                c->in_head = 0;
            }
            return EX_OK;
        }
        *used = e - old;
        r->head.len = old;
    }
    if (ex_buf_put(&r->head, p, *used) != EX_OK)
        return ex_fail(r->err, EX_ENOMEM, "out of memory");
    head_done(r);
    return EX_OK;
}

/* The HTTP body (payload as recorded). */
static int
body_put(rd *r, const uint8_t *p, size_t n)
{
    rec *c = &r->r;
    if (!c->chunked)
        return payload_put(r, p, n);
    if (c->pd.alg && EVP_DigestUpdate(r->prctx, p, n) != 1)
        return md_fail(r);
    while (n > 0) {
        size_t used, off, dn;
        ex_err e = {0};
        if (ex_chunked_step(&c->ch, p, n, &used, &off, &dn, &e) != EX_OK) {
            set_reason(c, "%s", e.msg);
            return EX_OK;
        }
        if (dn) {
            int rc = payload_put(r, p + off, dn);
            if (rc != EX_OK)
                return rc;
        }
        p += used;
        n -= used;
    }
    return EX_OK;
}

/* Bytes of an item record's block, in order: block digest, then the HTTP head or the payload. */
static int
block_put(rd *r, const uint8_t *p, size_t n)
{
    rec *c = &r->r;
    int rc;
    if (c->bd.alg && EVP_DigestUpdate(r->bctx, p, n) != 1)
        return md_fail(r);
    if (c->reason[0] || c->hdr_reason[0])
        return EX_OK;
    if (!c->http)
        return payload_put(r, p, n);
    if (c->in_head) {
        size_t used = n;
        if ((rc = head_put(r, p, n, &used)) != EX_OK)
            return rc;
        p += used;
        n -= used;
    }
    if (n == 0 || c->in_head || c->reason[0] || c->type == T_REVISIT)
        return EX_OK;
    return body_put(r, p, n);
}

/* All of the block was seen: close the decoders. */
static int
block_end(rd *r)
{
    rec *c = &r->r;
    ex_err e = {0};
    if (c->reason[0] || c->hdr_reason[0])
        return EX_OK;
    if (c->http && c->in_head && (r->head.len > 0 || c->type != T_REVISIT))
        head_done(r); /* a head without its empty line: the block ends it */
    if (c->reason[0] || c->in_head)
        return EX_OK;
    if (c->chunked && ex_chunked_finish(&c->ch, &e) != EX_OK) {
        set_reason(c, "%s", e.msg);
        return EX_OK;
    }
    if (c->cd == CD_SNIFF) /* too short to be compressed */
        return content_put(r, c->sniff, c->nsniff, 0);
    return EX_OK;
}

/* Finish a digest into out. */
static int
digest_end(rd *r, EVP_MD_CTX *ctx, uint8_t out[EX_HASH_BYTES])
{
    if (EVP_DigestFinal_ex(ctx, out, NULL) != 1)
        return md_fail(r);
    return EX_OK;
}

/* Start a digest of the given algorithm. */
static int
digest_begin(rd *r, EVP_MD_CTX *ctx, int alg)
{
    if (EVP_DigestInit_ex2(ctx, alg == EX_WARC_SHA1 ? r->sha1 : r->sha256, NULL) != 1)
        return md_fail(r);
    return EX_OK;
}

/* Decide the record: its one quarantine report, or its item. */
static int
record_end(rd *r)
{
    rec *c = &r->r;
    uint8_t got[EX_HASH_BYTES], got2[EX_HASH_BYTES], content[EX_HASH_BYTES];
    char text[80];
    int rc;
    if (c->hdr_reason[0])
        return quarantine_rec(r, "%s", c->hdr_reason);
    if (c->bd.alg) {
        if ((rc = digest_end(r, r->bctx, got)) != EX_OK)
            return rc;
        if (memcmp(got, c->bd.want, c->bd.n) != 0) {
            digest_text(c->bd.alg, got, c->bd.n, text);
            return quarantine_rec(r, "warc-block-digest mismatch: record says %s, block is %s",
                                  c->bdigest, text);
        }
    }
    if (c->reason[0])
        return quarantine_rec(r, "%s", c->reason);
    if (c->pd.alg) {
        if ((rc = digest_end(r, r->pctx, got)) != EX_OK)
            return rc;
        int ok = memcmp(got, c->pd.want, c->pd.n) == 0;
        if (c->chunked) {
            if ((rc = digest_end(r, r->prctx, got2)) != EX_OK)
                return rc;
            ok = ok || memcmp(got2, c->pd.want, c->pd.n) == 0;
        }
        if (!ok) {
            digest_text(c->pd.alg, got, c->pd.n, text);
            return quarantine_rec(r,
                                  "warc-payload-digest mismatch: record says %s, payload is %s%s",
                                  c->pdigest, text, c->chunked ? " (de-chunked)" : "");
        }
    }
    if (EVP_DigestFinal_ex(r->cctx, content, NULL) != 1)
        return md_fail(r);
    if (!r->cb || !r->cb->item)
        return EX_OK;
    ex_item it;
    memset(&it, 0, sizeof it);
    it.file = r->file;
    it.offset = c->offset;
    it.member = c->member;
    memcpy(it.digest, content, EX_HASH_BYTES);
    it.size = c->size;
    if (r->borrow) {
        it.content = r->borrow;
        it.content_len = r->borrow_len;
    } else {
        it.content = r->content.len ? (const uint8_t *)r->content.data : (const uint8_t *)"";
        it.content_len = r->content.len;
    }
    it.url = unbracket(c->uri);
    it.record_id = c->id;
    it.fetched = c->date;
    it.warc_type = c->type_name;
    int have_head = c->http && r->head.len > 0;
    if (have_head) {
        it.http_status = c->hh.status;
        it.content_type = c->hh.content_type[0] ? c->hh.content_type : NULL;
        it.http_headers = r->head.data;
        it.http_headers_len = r->head.len;
    } else if (c->type != T_REVISIT) {
        it.content_type = c->ctype;
    }
    if (c->type == T_REVISIT) {
        it.refers_to_uri = unbracket(c->refers_uri);
        it.refers_to_record = c->refers_id;
        it.refers_to_digest = c->pdigest;
    }
    return r->cb->item(r->cb->ctx, &it);
}

/* Is the record's block an HTTP response? 1 yes, 0 no, -1 decide from its first bytes. */
static int
http_kind(const char *ctype)
{
    if (!ctype)
        return -1;
    const char *semi = strchr(ctype, ';');
    size_t n = semi ? (size_t)(semi - ctype) : strlen(ctype);
    while (n > 0 && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
        n--;
    if (n != 16 || strncasecmp(ctype, "application/http", 16) != 0)
        return 0;
    for (const char *q = semi; q && *q; q = strchr(q + 1, ';')) {
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, "msgtype", 7) != 0)
            continue;
        q += 7;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '"')
            q++;
        return strncasecmp(q, "response", 8) == 0 && !isalnum((unsigned char)q[8]);
    }
    return 1;
}

/* Decode a digest field into d; an undecodable one becomes the record's header problem. */
static int
parse_digest_field(rec *c, const char *name, const char *v, struct digest *d)
{
    if (!v)
        return EX_OK;
    if (ex_warc_digest_parse(v, &d->alg, d->want, &d->n) != EX_OK) {
        char ex[48];
        excerpt((const uint8_t *)v, strlen(v), ex);
        snprintf(c->hdr_reason, sizeof c->hdr_reason, "%s cannot be decoded: '%s'", name, ex);
        d->alg = 0;
        return EX_EFORMAT;
    }
    return EX_OK;
}

/* Stream the block of an item record through the decoders, then check its end. */
static int
item_record(rd *r)
{
    rec *c = &r->r;
    int rc;
    if (c->bdigest)
        parse_digest_field(c, "warc-block-digest", c->bdigest, &c->bd);
    if (c->pdigest && c->type != T_REVISIT && !c->segment && !(r->trust_block && c->bd.alg))
        parse_digest_field(c, "warc-payload-digest", c->pdigest, &c->pd);
    if (c->bd.alg && (rc = digest_begin(r, r->bctx, c->bd.alg)) != EX_OK)
        return rc;
    if (c->pd.alg && ((rc = digest_begin(r, r->pctx, c->pd.alg)) != EX_OK ||
                      (rc = digest_begin(r, r->prctx, c->pd.alg)) != EX_OK))
        return rc;
    if (EVP_DigestInit_ex2(r->cctx, r->sha256, NULL) != 1)
        return md_fail(r);
    r->head.len = 0;
    r->content.len = 0;
    r->borrow = NULL;
    r->borrow_len = 0;
    c->http = 0;
    if (c->type == T_RESPONSE || c->type == T_REVISIT) {
        c->http = http_kind(c->ctype);
        if (c->http < 0) {
            if ((rc = fill(r, 5)) != EX_OK)
                return rc;
            c->http = c->clen >= 5 && avail(r) >= 5 && memcmp(r->buf + r->pos, "HTTP/", 5) == 0;
        }
    }
    c->in_head = c->http;
    c->cd = CD_RAW;
    uint64_t left = c->clen;
    while (left > 0) {
        if (avail(r) == 0) {
            if ((rc = fill(r, 1)) != EX_OK)
                return rc;
            if (avail(r) == 0)
                return cut_short(r, "record block truncated by the end of the file");
        }
        size_t k = avail(r);
        if ((uint64_t)k > left)
            k = (size_t)left;
        if ((rc = block_put(r, r->buf + r->pos, k)) != EX_OK)
            return rc;
        r->pos += k;
        left -= k;
    }
    return block_end(r);
}

/* After the block: CRLF CRLF. *ok = 0 if missing (reported); the record's fate otherwise. */
static int
terminator(rd *r, int *ok)
{
    int rc = fill(r, 4);
    *ok = 0;
    if (rc != EX_OK)
        return rc;
    if (avail(r) < 4 && r->eof)
        return cut_short(r, "record truncated: no crlf crlf after the block");
    if (memcmp(r->buf + r->pos, "\r\n\r\n", 4) != 0) {
        if ((rc = quarantine_rec(r,
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
    if (!r->in || ex_instream_compression(r->in) == EX_COMP_NONE || avail(r) > 0 || r->eof)
        return EX_OK;
    uint64_t end = at(r), last = member_of(r, end - 1);
    if ((rc = fill(r, 1)) != EX_OK || !r->failed)
        return rc;
    if (ex_instream_member_offset(r->in, end) != last)
        return EX_OK; /* what follows the record is bad: reported where it starts */
    r->stop = 1;
    return quarantine_rec(r, "%s", r->ierr.msg);
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
    c->offset = at(r);
    c->member = member_of(r, c->offset);
    if ((rc = fill(r, 10)) != EX_OK)
        return rc;
    const uint8_t *p = r->buf + r->pos;
    size_t n = avail(r);
    if (n < 10 || (memcmp(p, "WARC/1.0\r\n", 10) != 0 && memcmp(p, "WARC/1.1\r\n", 10) != 0)) {
        /* the message shows at most MIN_BUF bytes, so that it does not depend on the buffer */
        if ((rc = fill(r, MIN_BUF)) != EX_OK)
            return rc;
        p = r->buf + r->pos;
        n = avail(r) < MIN_BUF ? avail(r) : MIN_BUF;
        const uint8_t *eol = memchr(p, '\n', n);
        size_t ln = eol ? (size_t)(eol - p) : n;
        if (ln > 0 && p[ln - 1] == '\r')
            ln--;
        if (n < 10 && r->eof &&
            (memcmp(p, "WARC/1.0\r\n", n) == 0 || memcmp(p, "WARC/1.1\r\n", n) == 0))
            return cut_short(r, "warc header truncated by the end of the file");
        char ex[48];
        excerpt(p, ln, ex);
        if (n >= 5 && memcmp(p, "WARC/", 5) == 0)
            rc = quarantine_rec(r, "unsupported warc version line '%s'", ex);
        else
            rc = quarantine_rec(r,
                                "not a warc record: expected 'WARC/1.0' or 'WARC/1.1', "
                                "found '%s'",
                                ex);
        if (rc != EX_OK)
            return rc;
        r->pos++;
        return resync(r, 0);
    }
    r->pos += 10;
    if ((rc = read_header(r, &how)) != EX_OK)
        return rc;
    if (how == H_SHORT)
        return cut_short(r, "warc header truncated by the end of the file");
    if (how == H_TOO_LONG) {
        if ((rc = quarantine_rec(r, "warc header longer than %zu bytes", r->header_max)) != EX_OK)
            return rc;
        return resync(r, 0);
    }
    if (parse_fields(r, msg, sizeof msg) != EX_OK) {
        if ((rc = quarantine_rec(r, "%s", msg)) != EX_OK)
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
            return cut_short(r, "record block truncated by the end of the file");
        if ((rc = terminator(r, &ok)) != EX_OK || !ok)
            return rc;
        r->pos += 4;
        return c->hdr_reason[0] ? quarantine_rec(r, "%s", c->hdr_reason) : EX_OK;
    }
    if ((rc = item_record(r)) != EX_OK || r->stop)
        return rc;
    if ((rc = terminator(r, &ok)) != EX_OK || !ok)
        return rc;
    r->pos += 4;
    if ((rc = member_sound(r)) != EX_OK || r->stop)
        return rc;
    return record_end(r);
}

/* Read records to the end of the input. */
static int
run(rd *r)
{
    int rc;
    for (;;) {
        /* blank lines between records are let pass */
        for (;;) {
            if (avail(r) == 0 && (rc = fill(r, 1)) != EX_OK)
                return rc;
            if (avail(r) == 0)
                break;
            uint8_t ch = r->buf[r->pos];
            if (ch != '\r' && ch != '\n')
                break;
            r->pos++;
        }
        if (avail(r) == 0) {
            if (r->failed)
                return quarantine(r, at(r), ex_instream_member_offset(r->in, at(r)), "%s",
                                  r->ierr.msg);
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
