/* warc_header.c - the WARC record header: the header block read from the stream, its fields
 * parsed into the record, and the digests named by WARC-Block-Digest and WARC-Payload-Digest
 * decoded (and written back for messages). The rules are in warc.c's opening comment. */
#include "warc_reader.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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
void
ex_warc_digest_text(int alg, const uint8_t *d, size_t n, char out[80])
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

/* ---- the WARC header ------------------------------------------------------------------ */

/* Copy the header block into r->hdr, from the version line's CRLF through the empty line,
 * leaving pos after it. */
int
ex_warc_read_header(rd *r, int *how)
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
        if ((rc = ex_warc_fill(r, ex_warc_avail(r) + 1)) != EX_OK)
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

/* Parse the header fields in r->hdr into r->r; EX_EFORMAT with a reason in msg. */
int
ex_warc_parse_fields(rd *r, char *msg, size_t msgcap)
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
            ex_warc_excerpt((const uint8_t *)p, (size_t)(e - p), ex);
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
            ex_warc_excerpt((const uint8_t *)clen, strlen(clen), ex);
            snprintf(msg, msgcap, "content-length is not a number: '%s'", ex);
            return EX_EFORMAT;
        }
        n = n * 10 + (uint64_t)(*q - '0');
    }
    c->clen = n;
    return EX_OK;
}
