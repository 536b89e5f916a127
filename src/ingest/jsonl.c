/* jsonl.c - the JSON Lines reader: one item per line of a .jsonl file, plain, gzip (any number
 * of members) or zstd (any number of frames); the instream recognises compression by its
 * magic bytes, not by the file name.
 *
 * Behaviour, in detail:
 *
 *   - Lines end at '\n'. A '\r' before it is JSON whitespace, so CRLF files read the same. The
 *     last line needs no newline. A line of only spaces, tabs and CRs is skipped without a
 *     report (it still counts in line numbers). A UTF-8 byte order mark at the very start of
 *     the stream is skipped.
 *   - Every other line must be one JSON object (RFC 8259), validated in full by jsonscan.c:
 *     grammar, escapes, UTF-8 in every string, surrogate escapes in pairs, nesting up to
 *     EX_JSCAN_DEPTH. Only the five requested fields are extracted (dotted paths reach into
 *     nested objects, never into arrays); the rest of the line is checked and skipped.
 *   - text must be a string: content = its bytes with escapes decoded to UTF-8; digest =
 *     SHA-256 over all of them; the item hands over at most EX_ITEM_INLINE_MAX of them
 *     (size says how many there are). A \u0000 escape in text stays a NUL byte in content.
 *   - url, license, fetched: a string (decoded) or NULL when absent or null. id: the same, or
 *     a number as its literal text ("1e3" stays "1e3"). Any other type quarantines the line,
 *     and so does a \u0000 in these four, because they are handed over as C strings and would
 *     be cut short silently.
 *   - A key on the path of a requested field that occurs twice in its object quarantines the
 *     line: parsers disagree on which value counts (jansson takes the last).
 *   - Quarantine reasons, all starting "line N: ": "malformed JSON at column C: <what>",
 *     "invalid UTF-8 [in field 'F'] at column C", "unpaired surrogate escape '\uD83D' at
 *     column C", "duplicate key 'K' on the path of field 'F' at column C", "not a JSON object
 *     (found array)", "missing field 'text'", "field 'F' is not a string (found T)", "field
 *     'F' contains \u0000", "longer than 67108864 bytes", and "corrupt compressed data, rest
 *     of the file skipped: <instream message>". Columns are 1-based byte columns.
 *   - Offsets: the item or quarantine offset is that of the line's first byte in the
 *     decompressed stream; member is the file offset of the gzip member or zstd frame that
 *     holds that byte (read from the instream right after the read that delivered it, so it
 *     is exact); line numbers are 1-based and count every '\n'.
 *   - A line longer than EX_JSONL_LINE_MAX bytes is quarantined once it passes the limit and
 *     the reader drops bytes up to the next newline without keeping them. Memory is bounded by
 *     the longest line taken (at most about 3 x EX_JSONL_LINE_MAX: line, decoded text, decoded
 *     fields), whatever the size of the file.
 *   - A corrupt or truncated compressed stream (EX_EFORMAT from the instream) quarantines the
 *     partial line it interrupted (or, between lines, the position where it stopped) with the
 *     instream's message and ends the file; lines before it were already delivered. That is
 *     not an error of the reader: it returns EX_OK.
 *   - A callback's non-EX_OK return stops reading and is returned as is.
 *
 * Against jansson (json_loadb), checked by tests/unit/test_jsonl.c and fuzz/fuzz_jsonl.c, the
 * verdict on a line is the same except: \u0000 is accepted (jansson needs JSON_ALLOW_NUL);
 * numbers beyond jansson's ranges are accepted (it refuses integers past long long and reals
 * past double: "too big integer", "real number overflow"), and so are NUL characters in keys
 * (jansson cannot hold them); duplicate keys on a requested path are refused (jansson keeps
 * the last), and so is a raw NUL byte after an integer, which jansson 2.14 lets through. */
#include "instream.h"
#include "jsonscan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decompressed bytes asked for per read: small enough that the scanner and the hasher find
 * them still in L2 after the decoder wrote them. */
#define CHUNK ((size_t)256 << 10)

enum { F_TEXT, F_URL, F_ID, F_LICENSE, F_FETCHED, NFIELDS };

typedef struct jreader {
    const ex_reader_cb *cb;
    ex_err *err;
    const char *file;
    ex_sha256 *h;
    uint8_t *text; /* the decoded text field, when it had escapes */
    size_t text_cap;
    uint8_t *strs; /* the other fields, decoded and NUL-terminated */
    size_t strs_cap;
    ex_jscan_spec spec;
    ex_jscan_result res;
} jreader;

static const char *
type_name(int t)
{
    switch (t) {
    case EX_JSON_NULL: return "null";
    case EX_JSON_BOOL: return "boolean";
    case EX_JSON_NUMBER: return "number";
    case EX_JSON_STRING: return "string";
    case EX_JSON_OBJECT: return "object";
    case EX_JSON_ARRAY: return "array";
    default: return "nothing";
    }
}

static int quarantine(jreader *jr, uint64_t off, uint64_t member, uint64_t line, const char *fmt,
                      ...) EX_PRINTF(5, 6);

static int
quarantine(jreader *jr, uint64_t off, uint64_t member, uint64_t line, const char *fmt, ...)
{
    if (!jr->cb->quarantine)
        return EX_OK;
    char reason[1024];
    int n = snprintf(reason, sizeof reason, "line %llu: ", (unsigned long long)line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason + n, sizeof reason - (size_t)n, fmt, ap);
    va_end(ap);
    ex_quarantine q = {
        .file = jr->file, .offset = off, .member = member, .line = line, .reason = reason};
    return jr->cb->quarantine(jr->cb->ctx, &q);
}

/* Make *p hold at least need bytes (contents not kept); EX_ENOMEM on failure. */
static int
reserve(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return EX_OK;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    free(*p);
    *p = malloc(n);
    *cap = *p ? n : 0;
    return *p ? EX_OK : EX_ENOMEM;
}

static int
setup(jreader *jr, const ex_jsonl_fields *fields, const ex_reader_cb *cb, ex_err *err,
      const char *file)
{
    memset(jr, 0, sizeof *jr);
    jr->cb = cb;
    jr->err = err;
    jr->file = file;
    if (!cb || !cb->item)
        return ex_fail(err, EX_EINVAL, "no item callback");
    const ex_jsonl_fields none = {0}, *f = fields ? fields : &none;
    const char *paths[NFIELDS] = {
        f->text ? f->text : "text",
        f->url ? f->url : "url",
        f->id ? f->id : "id",
        f->license ? f->license : "license",
        f->fetched ? f->fetched : "fetched",
    };
    int rc = ex_jscan_compile(&jr->spec, paths, NFIELDS, err);
    if (rc != EX_OK)
        return rc;
    rc = ex_sha256_new(&jr->h);
    if (rc != EX_OK)
        return ex_fail(err, rc, "cannot make a SHA-256 context: %s", ex_strerror(rc));
    return EX_OK;
}

static void
teardown(jreader *jr)
{
    ex_sha256_free(jr->h);
    free(jr->text);
    free(jr->strs);
}

/* One line p[0..len) without its newline: an item, a quarantine report, or nothing (blank). */
static int
one_line(jreader *jr, const uint8_t *p, size_t len, uint64_t off, uint64_t member, uint64_t ln)
{
    if (len > EX_JSONL_LINE_MAX)
        return quarantine(jr, off, member, ln, "longer than %zu bytes", EX_JSONL_LINE_MAX);
    size_t bom = off == 0 && len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
    const uint8_t *s = p + bom;
    ex_jscan_result *r = &jr->res;
    int st = ex_jscan_line(&jr->spec, s, len - bom, r);
    size_t col = r->col + bom + 1;
    switch (st) {
    case EX_JSCAN_OK: break;
    case EX_JSCAN_EMPTY: return EX_OK;
    case EX_JSCAN_UTF8:
        if (r->field >= 0)
            return quarantine(jr, off, member, ln, "invalid UTF-8 in field '%s' at column %zu",
                              jr->spec.f[r->field].name, col);
        return quarantine(jr, off, member, ln, "invalid UTF-8 at column %zu", col);
    case EX_JSCAN_SURROGATE:
    case EX_JSCAN_DUPLICATE:
        return quarantine(jr, off, member, ln, "%s at column %zu", r->what, col);
    default:
        return quarantine(jr, off, member, ln, "malformed JSON at column %zu: %s", col, r->what);
    }
    if (r->top != EX_JSON_OBJECT)
        return quarantine(jr, off, member, ln, "not a JSON object (found %s)", type_name(r->top));

    const ex_jscan_val *t = &r->v[F_TEXT];
    const char *tname = jr->spec.f[F_TEXT].name;
    if (t->type == EX_JSON_ABSENT)
        return quarantine(jr, off, member, ln, "missing field '%s'", tname);
    if (t->type != EX_JSON_STRING)
        return quarantine(jr, off, member, ln, "field '%s' is not a string (found %s)", tname,
                          type_name(t->type));

    /* the short fields: decoded into one buffer, each NUL-terminated */
    size_t need = 0;
    for (int f = F_URL; f < NFIELDS; f++)
        if (r->v[f].type == EX_JSON_STRING || r->v[f].type == EX_JSON_NUMBER)
            need += r->v[f].len + 1;
    if (reserve(&jr->strs, &jr->strs_cap, need) != EX_OK)
        return ex_fail(jr->err, EX_ENOMEM, "out of memory");
    const char *val[NFIELDS] = {0};
    char *o = (char *)jr->strs;
    for (int f = F_URL; f < NFIELDS; f++) {
        const ex_jscan_val *v = &r->v[f];
        const char *name = jr->spec.f[f].name;
        size_t n;
        if (v->type == EX_JSON_ABSENT || v->type == EX_JSON_NULL)
            continue;
        if (v->type == EX_JSON_STRING) {
            if (v->escaped) {
                n = ex_jscan_unescape(s + v->off, v->len, (uint8_t *)o);
                if (memchr(o, '\0', n))
                    return quarantine(jr, off, member, ln, "field '%s' contains \\u0000", name);
            } else {
                n = v->len;
                memcpy(o, s + v->off, n);
            }
        } else if (v->type == EX_JSON_NUMBER && f == F_ID) {
            n = v->len;
            memcpy(o, s + v->off, n);
        } else {
            return quarantine(jr, off, member, ln, "field '%s' is not a string (found %s)", name,
                              type_name(v->type));
        }
        o[n] = '\0';
        val[f] = o;
        o += n + 1;
    }

    const uint8_t *content = s + t->off;
    size_t size = t->len;
    if (t->escaped) {
        if (reserve(&jr->text, &jr->text_cap, t->len) != EX_OK)
            return ex_fail(jr->err, EX_ENOMEM, "out of memory");
        size = ex_jscan_unescape(content, t->len, jr->text);
        content = jr->text;
    }
    ex_item it = {
        .file = jr->file,
        .offset = off,
        .member = member,
        .line = ln,
        .size = size,
        .content = content,
        .content_len = size < EX_ITEM_INLINE_MAX ? size : EX_ITEM_INLINE_MAX,
        .url = val[F_URL],
        .record_id = val[F_ID],
        .license = val[F_LICENSE],
        .fetched = val[F_FETCHED],
        .raw = s,
        .raw_len = len - bom,
    };
    int rc = ex_sha256_digest(jr->h, content, size, it.digest);
    if (rc != EX_OK)
        return ex_fail(jr->err, rc, "cannot hash line %llu", (unsigned long long)ln);
    return jr->cb->item(jr->cb->ctx, &it);
}

int
ex_jsonl_parse_buffer(const uint8_t *data, size_t len, const ex_jsonl_fields *fields,
                      const ex_reader_cb *cb, ex_err *err)
{
    jreader jr;
    int rc = setup(&jr, fields, cb, err, "<memory>");
    size_t ls = 0;
    uint64_t ln = 1;
    while (rc == EX_OK && ls < len) {
        const uint8_t *nl = memchr(data + ls, '\n', len - ls);
        size_t le = nl ? (size_t)(nl - data) : len;
        rc = one_line(&jr, data + ls, le - ls, ls, ls, ln);
        ln++;
        ls = le + 1;
    }
    teardown(&jr);
    return rc;
}

int
ex_read_jsonl(const char *path, const ex_jsonl_fields *fields, const ex_reader_cb *cb, ex_err *err)
{
    jreader jr;
    ex_instream *s = NULL;
    ex_err e = {0};
    uint8_t *buf = NULL;
    size_t cap = 4 * CHUNK;
    size_t have = 0;     /* buf[0..have): the start of a line whose end is not read yet */
    uint64_t base = 0;   /* stream offset of buf[0] */
    uint64_t ln = 1;     /* number of the line at buf[0] */
    uint64_t member = 0; /* member of the line at buf[0], when have > 0 */
    int skipping = 0;    /* inside an overlong line: drop bytes up to the next newline */

    int rc = setup(&jr, fields, cb, err, path);
    if (rc != EX_OK)
        goto out;
    if ((rc = ex_instream_open(path, &s, err)) != EX_OK)
        goto out;
    if (!(buf = malloc(cap))) {
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        if (cap - have < CHUNK) {
            size_t ncap = cap * 2 < EX_JSONL_LINE_MAX + CHUNK ? cap * 2 : EX_JSONL_LINE_MAX + CHUNK;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                rc = ex_fail(err, EX_ENOMEM, "out of memory");
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n;
        rc = ex_instream_read(s, buf + have, CHUNK, &n, &e);
        if (rc == EX_EFORMAT) {
            uint64_t at = have ? base : ex_instream_pos(s);
            rc = quarantine(&jr, at, have ? member : ex_instream_member_offset(s, at), ln,
                            "corrupt compressed data, rest of the file skipped: %s", e.msg);
            goto out;
        }
        if (rc != EX_OK) {
            ex_fail(err, rc, "%s", e.msg);
            goto out;
        }
        if (n == 0) {
            if (have && !skipping)
                rc = one_line(&jr, buf, have, base, member, ln);
            goto out;
        }
        size_t old = have, lim = have + n, ls = 0, from = have;
        if (skipping) {
            const uint8_t *nl = memchr(buf, '\n', n);
            if (!nl) {
                base += n;
                continue;
            }
            skipping = 0;
            ln++;
            ls = from = (size_t)(nl - buf) + 1;
        }
        const uint8_t *nl;
        while ((nl = memchr(buf + from, '\n', lim - from)) != NULL) {
            size_t le = (size_t)(nl - buf);
            uint64_t m = ls >= old ? ex_instream_member_offset(s, base + ls) : member;
            if ((rc = one_line(&jr, buf + ls, le - ls, base + ls, m, ln)) != EX_OK)
                goto out;
            ln++;
            ls = from = le + 1;
        }
        if (ls >= old && ls < lim)
            member = ex_instream_member_offset(s, base + ls);
        if (lim - ls > EX_JSONL_LINE_MAX) {
            rc = quarantine(&jr, base + ls, member, ln, "longer than %zu bytes", EX_JSONL_LINE_MAX);
            if (rc != EX_OK)
                goto out;
            skipping = 1;
            base += lim;
            have = 0;
            continue;
        }
        if (ls > 0)
            memmove(buf, buf + ls, lim - ls);
        base += ls;
        have = lim - ls;
    }
out:
    free(buf);
    ex_instream_close(s);
    teardown(&jr);
    return rc;
}
