/* warc_block.c - the block of an item record: streamed through the block digest, the HTTP
 * head, chunked transfer decoding, the payload digest and gzip or deflate content decoding
 * into the item's content; then the digests checked and the record decided (its one
 * quarantine report, or its item). The rules are in warc.c's opening comment. */
#include "warc_reader.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <isa-l/igzip_lib.h>

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
 * stream buffer (in_buf) are not copied while they stay contiguous there: ex_warc_fill()
 * copies them out before it moves the buffer. */
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

/* Decide the record: its one quarantine report, or its item. */
int
ex_warc_record_end(rd *r)
{
    rec *c = &r->r;
    uint8_t got[EX_HASH_BYTES], got2[EX_HASH_BYTES], content[EX_HASH_BYTES];
    char text[80];
    int rc;
    if (c->hdr_reason[0])
        return ex_warc_quarantine_rec(r, "%s", c->hdr_reason);
    if (c->bd.alg) {
        if ((rc = digest_end(r, r->bctx, got)) != EX_OK)
            return rc;
        if (memcmp(got, c->bd.want, c->bd.n) != 0) {
            ex_warc_digest_text(c->bd.alg, got, c->bd.n, text);
            return ex_warc_quarantine_rec(
                r, "warc-block-digest mismatch: record says %s, block is %s", c->bdigest, text);
        }
    }
    if (c->reason[0])
        return ex_warc_quarantine_rec(r, "%s", c->reason);
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
            ex_warc_digest_text(c->pd.alg, got, c->pd.n, text);
            return ex_warc_quarantine_rec(r,
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
    it.raw_len = ex_warc_at(r) - c->offset;
    if (r->keep && c->offset >= r->base)
        it.raw = r->buf + (c->offset - r->base);
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
        ex_warc_excerpt((const uint8_t *)v, strlen(v), ex);
        snprintf(c->hdr_reason, sizeof c->hdr_reason, "%s cannot be decoded: '%s'", name, ex);
        d->alg = 0;
        return EX_EFORMAT;
    }
    return EX_OK;
}

/* Stream the block of an item record through the decoders, then check its end. */
int
ex_warc_item_record(rd *r)
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
            if ((rc = ex_warc_fill(r, 5)) != EX_OK)
                return rc;
            c->http =
                c->clen >= 5 && ex_warc_avail(r) >= 5 && memcmp(r->buf + r->pos, "HTTP/", 5) == 0;
        }
    }
    c->in_head = c->http;
    c->cd = CD_RAW;
    uint64_t left = c->clen;
    while (left > 0) {
        if (ex_warc_avail(r) == 0) {
            if ((rc = ex_warc_fill(r, 1)) != EX_OK)
                return rc;
            if (ex_warc_avail(r) == 0)
                return ex_warc_cut_short(r, "record block truncated by the end of the file");
        }
        size_t k = ex_warc_avail(r);
        if ((uint64_t)k > left)
            k = (size_t)left;
        if ((rc = block_put(r, r->buf + r->pos, k)) != EX_OK)
            return rc;
        r->pos += k;
        left -= k;
    }
    return block_end(r);
}
