/* noai.c - the header field walk shared by the signal checks, and the noai / noimageai check. */
#include "signals/noai.h"
#include "signals/html.h"

#include <string.h>

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ASCII case-insensitive equality of a[0..an) and b[0..bn). */
static int
ci_eq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int
is_ows(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Trim whitespace on both ends of s[0..*n). */
static const char *
trim(const char *s, size_t *n)
{
    while (*n && is_ows((unsigned char)s[0])) {
        s++;
        (*n)--;
    }
    while (*n && is_ows((unsigned char)s[*n - 1]))
        (*n)--;
    return s;
}

int
ex_signals_fields(const char *hdrs, size_t len, const char *firsts, ex_field_fn cb, void *ctx)
{
    size_t i = 0;
    if (!hdrs)
        return 0;
    if (len >= 5 && memcmp(hdrs, "HTTP/", 5) == 0) {
        const char *nl = memchr(hdrs, '\n', len);
        if (!nl)
            return 0;
        i = (size_t)(nl - hdrs) + 1;
    }
    while (i < len) {
        const char *nl = memchr(hdrs + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - hdrs) : len; /* end of line, before LF */
        size_t le = e > i && hdrs[e - 1] == '\r' ? e - 1 : e;
        if (le == i)
            return 0; /* the empty line that ends the head */
        size_t start = i;
        i = e < len ? e + 1 : len;
        unsigned char c0 = (unsigned char)hdrs[start];
        if (c0 == ' ' || c0 == '\t')
            continue; /* continues a field we did not want, or no field at all */
        int want = !firsts;
        for (const char *f = firsts; f && *f && !want; f++)
            want = (unsigned char)*f == c0;
        const char *colon = want ? memchr(hdrs + start, ':', le - start) : NULL;
        /* the value runs on over continuation lines */
        size_t vend = le;
        while (i < len && (hdrs[i] == ' ' || hdrs[i] == '\t')) {
            nl = memchr(hdrs + i, '\n', len - i);
            e = nl ? (size_t)(nl - hdrs) : len;
            vend = e > i && hdrs[e - 1] == '\r' ? e - 1 : e;
            i = e < len ? e + 1 : len;
        }
        if (!colon)
            continue;
        size_t nlen = (size_t)(colon - (hdrs + start));
        const char *name = trim(hdrs + start, &nlen);
        if (nlen == 0)
            continue;
        size_t vs = (size_t)(colon - hdrs) + 1;
        int rc = cb(ctx, name, nlen, hdrs + vs, vend - vs);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- noai ---------------------------------------------------------------------------------- */

typedef struct scan {
    const char *const *agents;
    size_t nagents;
    ex_noai *out;
    int found_noai, found_img; /* evidence recorded for each */
} scan;

static int
agent_listed(const scan *s, const char *a, size_t n)
{
    for (size_t k = 0; k < s->nagents; k++)
        if (ci_eq(a, n, s->agents[k], strlen(s->agents[k])))
            return 1;
    return 0;
}

/* Append s[0..n) to w (at *o, capacity EX_NOAI_WHERE_MAX with the NUL) as printable ASCII:
 * whitespace runs become one space, other bytes outside 0x21..0x7e become '?'. Returns 0 once
 * w is full. */
static int
where_put(char *w, size_t *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_ows(c)) {
            if (*o == 0 || w[*o - 1] == ' ')
                continue;
            c = ' ';
        } else if (c < 0x21 || c > 0x7e) {
            c = '?';
        }
        if (*o + 1 >= EX_NOAI_WHERE_MAX) {
            /* mark the cut with "..." */
            memcpy(w + EX_NOAI_WHERE_MAX - 4, "...", 3);
            *o = EX_NOAI_WHERE_MAX - 1;
            w[*o] = '\0';
            return 0;
        }
        w[(*o)++] = (char)c;
    }
    w[*o] = '\0';
    return 1;
}

/* Record a directive that applies; the evidence is written once per flag, noai's wins. */
static void
hit(scan *s, int img, int from, const char *a, size_t an, const char *b, size_t bn, const char *c,
    size_t cn)
{
    ex_noai *out = s->out;
    int first_noai = !img && !s->found_noai;
    int first_any = !s->found_noai && !s->found_img;
    if (img) {
        out->noimageai = 1;
        s->found_img = 1;
    } else {
        out->noai = out->noimageai = 1;
        s->found_noai = s->found_img = 1;
    }
    if (!first_noai && !first_any)
        return;
    size_t o = 0;
    out->from = from;
    if (where_put(out->where, &o, a, an) && where_put(out->where, &o, b, bn))
        where_put(out->where, &o, c, cn);
}

/* Match the whitespace- and comma-separated directives of v[0..n) for noai / noimageai;
 * returns a bit set: 1 noai, 2 noimageai. */
static int
directives(const char *v, size_t n)
{
    int bits = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows((unsigned char)v[i]) || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && !is_ows((unsigned char)v[i]) && v[i] != ',')
            i++;
        if (ci_eq(v + s, i - s, "noai", 4))
            bits |= 1;
        else if (ci_eq(v + s, i - s, "noimageai", 9))
            bits |= 2;
    }
    return bits;
}

/* Robots directives that take an argument after a colon; "token:" elsewhere names an agent. */
static int
directive_with_arg(const char *t, size_t n)
{
    static const char *const known[] = {"unavailable_after", "max-snippet", "max-image-preview",
                                        "max-video-preview", "indexifembedded"};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (ci_eq(t, n, known[k], strlen(known[k])))
            return 1;
    return 0;
}

static int
on_field(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen)
{
    scan *s = ctx;
    if (!ci_eq(name, nlen, "x-robots-tag", 12))
        return 0;
    /* comma-separated elements; "agent:" at the start of one scopes the rest of the field */
    int applies = 1, bits = 0;
    size_t i = 0;
    while (i < vlen) {
        const char *c = memchr(v + i, ',', vlen - i);
        size_t e = c ? (size_t)(c - v) : vlen;
        size_t en = e - i;
        const char *el = trim(v + i, &en);
        i = e + 1;
        const char *colon = memchr(el, ':', en);
        if (colon) {
            size_t tn = (size_t)(colon - el);
            const char *tok = trim(el, &tn);
            int token = tn > 0;
            for (size_t k = 0; k < tn && token; k++)
                if (is_ows((unsigned char)tok[k]))
                    token = 0;
            if (token && !directive_with_arg(tok, tn)) {
                applies = agent_listed(s, tok, tn);
                en -= (size_t)(colon + 1 - el);
                el = colon + 1;
            }
        }
        if (applies)
            bits |= directives(el, en);
    }
    v = trim(v, &vlen);
    if (bits & 1)
        hit(s, 0, EX_NOAI_FROM_HEADER, "X-Robots-Tag: ", 14, v, vlen, NULL, 0);
    if (bits & 2)
        hit(s, 1, EX_NOAI_FROM_HEADER, "X-Robots-Tag: ", 14, v, vlen, NULL, 0);
    return 0;
}

static int
on_meta(void *ctx, const char *name, size_t nlen, const char *content, size_t clen)
{
    scan *s = ctx;
    name = trim(name, &nlen);
    if (!ci_eq(name, nlen, "robots", 6) && !agent_listed(s, name, nlen))
        return 0;
    int bits = directives(content, clen);
    if (!bits)
        return 0;
    char pre[EX_NOAI_WHERE_MAX];
    size_t o = 0;
    where_put(pre, &o, "<meta name=", 11);
    where_put(pre, &o, name, nlen);
    where_put(pre, &o, " content=", 9);
    size_t cn = clen;
    const char *c = trim(content, &cn);
    if (bits & 1)
        hit(s, 0, EX_NOAI_FROM_META, pre, o, c, cn, ">", 1);
    if (bits & 2)
        hit(s, 1, EX_NOAI_FROM_META, pre, o, c, cn, ">", 1);
    return 0;
}

int
ex_noai_check(const char *hdrs, size_t hlen, const char *html, size_t htmllen,
              const char *const *agents, size_t nagents, ex_noai *out)
{
    if (!out || (nagents && !agents))
        return EX_EINVAL;
    for (size_t k = 0; k < nagents; k++)
        if (!agents[k])
            return EX_EINVAL;
    memset(out, 0, sizeof *out);
    scan s = {agents, nagents, out, 0, 0};
    ex_signals_fields(hdrs, hlen, "xX", on_field, &s);
    if (!s.found_noai && ex_html_has_meta(html, htmllen))
        ex_html_metas(html, htmllen, on_meta, &s);
    return EX_OK;
}
