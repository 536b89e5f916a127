/* http.c - HTTP/1.x response heads and the chunked transfer coding, as recorded in WARC
 * response records (see http.h). */
#include "http.h"

#include <string.h>
#include <strings.h>

size_t
ex_http_head_end(const uint8_t *p, size_t len, size_t from)
{
    size_t i = from;
    while (i < len) {
        const uint8_t *nl = memchr(p + i, '\n', len - i);
        if (!nl)
            return 0;
        i = (size_t)(nl - p) + 1;
        if (i < len && p[i] == '\n')
            return i + 1;
        if (i + 1 < len && p[i] == '\r' && p[i + 1] == '\n')
            return i + 2;
    }
    return 0;
}

/* An ASCII digit. */
static int
is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* Space or horizontal tab. */
static int
is_ws(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* A short printable excerpt of a bad line for messages. */
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

/* Status code of `HTTP/<digits>[.<digits>] <3 digits>[ <reason>]`, or -1. */
static int
status_line(const uint8_t *p, size_t n)
{
    size_t i = 5;
    if (n < 5 || memcmp(p, "HTTP/", 5) != 0)
        return -1;
    if (i >= n || !is_digit(p[i]))
        return -1;
    while (i < n && is_digit(p[i]))
        i++;
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n || !is_digit(p[i]))
            return -1;
        while (i < n && is_digit(p[i]))
            i++;
    }
    if (i >= n || p[i] != ' ')
        return -1;
    while (i < n && p[i] == ' ')
        i++;
    if (i + 3 > n || !is_digit(p[i]) || !is_digit(p[i + 1]) || !is_digit(p[i + 2]))
        return -1;
    int code = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
    i += 3;
    if (i < n && !is_ws(p[i]))
        return -1;
    return code;
}

enum { F_NONE, F_CTYPE, F_TE, F_CE };

struct codings {
    int te_last_chunked; /* the last transfer coding seen is chunked */
    int ce_count;        /* content codings other than identity */
    int ce_kind;         /* the kind of the last one */
};

/* Token t[0..n) equals s, ignoring case. */
static int
token_is(const uint8_t *t, size_t n, const char *s)
{
    return strlen(s) == n && strncasecmp((const char *)t, s, n) == 0;
}

/* Walk a comma-separated coding list (parameters after ';' ignored). */
static void
codings_add(struct codings *c, int field, const uint8_t *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ws(v[i]) || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ';' && !is_ws(v[i]))
            i++;
        size_t tn = i - s;
        while (i < n && v[i] != ',')
            i++; /* parameters */
        if (tn == 0)
            continue;
        const uint8_t *t = v + s;
        if (field == F_TE) {
            c->te_last_chunked = token_is(t, tn, "chunked");
        } else if (!token_is(t, tn, "identity")) {
            c->ce_count++;
            if (token_is(t, tn, "gzip") || token_is(t, tn, "x-gzip"))
                c->ce_kind = EX_HTTP_CODING_GZIP;
            else if (token_is(t, tn, "deflate"))
                c->ce_kind = EX_HTTP_CODING_DEFLATE;
            else
                c->ce_kind = EX_HTTP_CODING_OTHER;
        }
    }
}

/* Append a (folded) Content-Type value, cut at EX_HTTP_CTYPE_MAX. */
static void
ctype_add(char *ct, const uint8_t *v, size_t n)
{
    size_t have = strlen(ct);
    if (have > 0 && n > 0 && have + 1 < EX_HTTP_CTYPE_MAX)
        ct[have++] = ' ';
    for (size_t i = 0; i < n && have + 1 < EX_HTTP_CTYPE_MAX; i++)
        ct[have++] = v[i] ? (char)v[i] : ' ';
    ct[have] = '\0';
}

int
ex_http_parse_head(const uint8_t *p, size_t len, ex_http_head *out, ex_err *err)
{
    const uint8_t *nl = len ? memchr(p, '\n', len) : NULL;
    size_t eol = nl ? (size_t)(nl - p) : len;
    size_t n = eol > 0 && p[eol - 1] == '\r' ? eol - 1 : eol;
    int code = status_line(p, n);
    if (code < 0) {
        char ex[48];
        excerpt(p, n, ex);
        return ex_fail(err, EX_EFORMAT, "malformed http status line '%s'", ex);
    }
    ex_http_head h;
    memset(&h, 0, sizeof h);
    h.status = code;
    struct codings c = {0, 0, EX_HTTP_CODING_NONE};
    int field = F_NONE, have_ctype = 0;
    size_t i = eol < len ? eol + 1 : len;
    while (i < len) {
        nl = memchr(p + i, '\n', len - i);
        eol = nl ? (size_t)(nl - p) : len;
        size_t e = eol > i && p[eol - 1] == '\r' ? eol - 1 : eol;
        const uint8_t *line = p + i;
        size_t ln = e - i;
        i = eol < len ? eol + 1 : len;
        if (ln == 0)
            break; /* the empty line that ends the head */
        const uint8_t *v;
        size_t vn;
        if (is_ws(line[0])) { /* obsolete line folding: more of the previous value */
            v = line, vn = ln;
        } else {
            const uint8_t *colon = memchr(line, ':', ln);
            field = F_NONE;
            if (!colon)
                continue;
            size_t nn = (size_t)(colon - line);
            while (nn > 0 && is_ws(line[nn - 1]))
                nn--;
            if (token_is(line, nn, "content-type") && !have_ctype)
                field = F_CTYPE, have_ctype = 1;
            else if (token_is(line, nn, "transfer-encoding"))
                field = F_TE;
            else if (token_is(line, nn, "content-encoding"))
                field = F_CE;
            v = colon + 1, vn = ln - (size_t)(colon + 1 - line);
        }
        while (vn > 0 && is_ws(v[0]))
            v++, vn--;
        while (vn > 0 && is_ws(v[vn - 1]))
            vn--;
        if (field == F_CTYPE)
            ctype_add(h.content_type, v, vn);
        else if (field == F_TE || field == F_CE)
            codings_add(&c, field, v, vn);
    }
    h.chunked = c.te_last_chunked;
    h.coding = c.ce_count == 0   ? EX_HTTP_CODING_NONE
               : c.ce_count == 1 ? c.ce_kind
                                 : EX_HTTP_CODING_OTHER;
    *out = h;
    return EX_OK;
}

/* ---- chunked transfer coding --------------------------------------------------------- */

enum {
    C_SIZE0,   /* first hex digit of a chunk size */
    C_SIZE,    /* more hex digits */
    C_EXT,     /* whitespace or ';' after the size */
    C_EXT_ANY, /* a chunk extension, up to the line end */
    C_SIZE_LF, /* CR seen, LF expected */
    C_DATA,
    C_DATA_END, /* CRLF (or LF) after the data */
    C_DATA_LF,
    C_TRAIL0, /* start of a trailer line: an empty line ends the body */
    C_TRAIL,  /* inside a trailer field */
    C_TRAIL_LF,
    C_DONE,
    C_FAIL,
};

void
ex_chunked_init(ex_chunked *c)
{
    memset(c, 0, sizeof *c);
    c->state = C_SIZE0;
}

/* Value of a hex digit, or -1. */
static int
hexval(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Fail the decoder with a message naming the body offset. */
static int
chunk_fail(ex_chunked *c, ex_err *err, size_t i, const char *what)
{
    unsigned long long at = (unsigned long long)(c->pos + i);
    c->state = C_FAIL;
    return ex_fail(err, EX_EFORMAT, "bad chunked encoding: %s at body offset %llu", what, at);
}

/* The chunk-size line ended: data follows, or the trailer after the last chunk. */
static void
size_line_done(ex_chunked *c)
{
    c->state = c->left ? C_DATA : C_TRAIL0;
}

int
ex_chunked_step(ex_chunked *c, const uint8_t *in, size_t len, size_t *used, size_t *data_off,
                size_t *data_len, ex_err *err)
{
    size_t i = 0;
    *used = 0, *data_off = 0, *data_len = 0;
    if (c->state == C_FAIL)
        return ex_fail(err, EX_EFORMAT, "bad chunked encoding");
    while (i < len) {
        uint8_t ch = in[i];
        int hv;
        switch (c->state) {
        case C_SIZE0:
            if ((hv = hexval(ch)) < 0)
                return chunk_fail(c, err, i, "chunk size is not hex");
            c->left = (uint64_t)hv;
            c->state = C_SIZE;
            i++;
            break;
        case C_SIZE:
            if ((hv = hexval(ch)) >= 0) {
                if (c->left > (UINT64_MAX >> 4))
                    return chunk_fail(c, err, i, "chunk size too large");
                c->left = c->left << 4 | (uint64_t)hv;
                i++;
                break;
            }
            c->state = C_EXT;
            /* fall through */
        case C_EXT:
            if (ch == '\r')
                c->state = C_SIZE_LF;
            else if (ch == '\n')
                size_line_done(c);
            else if (ch == ';')
                c->state = C_EXT_ANY;
            else if (!is_ws(ch))
                return chunk_fail(c, err, i, "chunk size is not hex");
            i++;
            break;
        case C_EXT_ANY:
            if (ch == '\r')
                c->state = C_SIZE_LF;
            else if (ch == '\n')
                size_line_done(c);
            i++;
            break;
        case C_SIZE_LF:
            if (ch != '\n')
                return chunk_fail(c, err, i, "chunk size line not ended by crlf");
            size_line_done(c);
            i++;
            break;
        case C_DATA: {
            size_t take = len - i;
            if ((uint64_t)take > c->left)
                take = (size_t)c->left;
            c->left -= take;
            if (c->left == 0)
                c->state = C_DATA_END;
            *data_off = i;
            *data_len = take;
            *used = i + take;
            c->pos += *used;
            return EX_OK;
        }
        case C_DATA_END:
            if (ch == '\r')
                c->state = C_DATA_LF;
            else if (ch == '\n')
                c->state = C_SIZE0;
            else
                return chunk_fail(c, err, i, "chunk data not followed by crlf");
            i++;
            break;
        case C_DATA_LF:
            if (ch != '\n')
                return chunk_fail(c, err, i, "chunk data not followed by crlf");
            c->state = C_SIZE0;
            i++;
            break;
        case C_TRAIL0:
            c->state = ch == '\r' ? C_TRAIL_LF : ch == '\n' ? C_DONE : C_TRAIL;
            i++;
            break;
        case C_TRAIL:
            if (ch == '\n')
                c->state = C_TRAIL0;
            i++;
            break;
        case C_TRAIL_LF:
            c->state = ch == '\n' ? C_DONE : C_TRAIL;
            i++;
            break;
        default: /* C_DONE: whatever follows the body is ignored */ i = len; break;
        }
    }
    *used = len;
    c->pos += len;
    return EX_OK;
}

int
ex_chunked_finish(const ex_chunked *c, ex_err *err)
{
    if (c->state == C_DONE || c->state == C_TRAIL0)
        return EX_OK;
    if (c->state == C_FAIL)
        return ex_fail(err, EX_EFORMAT, "bad chunked encoding");
    return ex_fail(err, EX_EFORMAT, "truncated chunked body");
}
