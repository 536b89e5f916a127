/* html.c - the <meta> scanner of html.h: a cut-down HTML tokenizer that only tells tags, comments
 * and raw text apart, linear in the input and without allocation. */
#include "signals/html.h"

#include <string.h>

#define NONE ((size_t)-1) /* "the input ends inside this construct" */

/* Byte classes, so the per-byte loops test one table entry. */
enum {
    C_WS = 1,       /* HTML whitespace: tab, LF, FF, CR, space */
    C_TAG_END = 2,  /* ends a tag name: whitespace, '/', '>' */
    C_NAME_END = 4, /* ends an attribute name: whitespace, '/', '>', '=' */
    C_UNQ_END = 8,  /* ends an unquoted value: whitespace, '>' */
};

static const unsigned char cls[256] = {
    ['\t'] = 15,
    ['\n'] = 15,
    ['\f'] = 15,
    ['\r'] = 15,
    [' '] = 15,
    ['/'] = C_TAG_END | C_NAME_END,
    ['>'] = C_TAG_END | C_NAME_END | C_UNQ_END,
    ['='] = C_NAME_END,
};

static int
is_ws(unsigned char c)
{
    return cls[c] & C_WS;
}

static int
is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* s[0..n) equals the lowercase literal lit, ASCII case-insensitively. */
static int
ieq(const char *s, size_t n, const char *lit)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (lit[i] == '\0' || lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return lit[i] == '\0';
}

/* Just past the '>' that ends a bogus comment (<!x, <?x, </ followed by junk) from i. */
static size_t
skip_to_gt(const char *h, size_t len, size_t i)
{
    const char *p = i < len ? memchr(h + i, '>', len - i) : NULL;
    return p ? (size_t)(p - h) + 1 : NONE;
}

/* Just past a comment whose "<!--" ends before i. */
static size_t
skip_comment(const char *h, size_t len, size_t i)
{
    if (i < len && h[i] == '>')
        return i + 1; /* <!--> */
    if (i + 1 < len && h[i] == '-' && h[i + 1] == '>')
        return i + 2; /* <!---> */
    while (i < len) {
        const char *p = memmem(h + i, len - i, "--", 2);
        if (!p)
            return NONE;
        size_t k = (size_t)(p - h) + 2;
        if (k < len && h[k] == '>')
            return k + 1;
        if (k + 1 < len && h[k] == '!' && h[k + 1] == '>')
            return k + 2;
        i = k - 1; /* "--->" : the second '-' may start the closer */
    }
    return NONE;
}

/* The '<' of the end tag `</tag` (followed by whitespace, '/' or '>') at or after i. */
static size_t
find_end_tag(const char *h, size_t len, size_t i, const char *tag, size_t tlen)
{
    while (i < len) {
        const char *p = memchr(h + i, '<', len - i);
        if (!p)
            return NONE;
        size_t k = (size_t)(p - h);
        if (k + 2 + tlen < len && h[k + 1] == '/' && ieq(h + k + 2, tlen, tag)) {
            unsigned char c = (unsigned char)h[k + 2 + tlen];
            if (is_ws(c) || c == '/' || c == '>')
                return k;
        }
        i = k + 1;
    }
    return NONE;
}

/* The tags the scanner treats specially; K_RAWTEXT + k is rawtext[k]. */
enum { K_OTHER = 0, K_META, K_BODY, K_RAWTEXT };

static const char *const rawtext[] = {"script", "style",  "title",   "textarea",
                                      "xmp",    "iframe", "noembed", "noframes"};

static int
tag_kind(const char *t, size_t n)
{
    if (n < 3 || n > 8)
        return K_OTHER;
    switch (lower((unsigned char)t[0])) {
    case 'm': return ieq(t, n, "meta") ? K_META : K_OTHER;
    case 'b': return ieq(t, n, "body") ? K_BODY : K_OTHER;
    case 's': return ieq(t, n, "script") ? K_RAWTEXT : ieq(t, n, "style") ? K_RAWTEXT + 1 : K_OTHER;
    case 't':
        return ieq(t, n, "title") ? K_RAWTEXT + 2 : ieq(t, n, "textarea") ? K_RAWTEXT + 3 : K_OTHER;
    case 'x': return ieq(t, n, "xmp") ? K_RAWTEXT + 4 : K_OTHER;
    case 'i': return ieq(t, n, "iframe") ? K_RAWTEXT + 5 : K_OTHER;
    case 'n':
        return ieq(t, n, "noembed")    ? K_RAWTEXT + 6
               : ieq(t, n, "noframes") ? K_RAWTEXT + 7
                                       : K_OTHER;
    default: return K_OTHER;
    }
}

typedef struct span {
    size_t off, len;
    int set;
} span;

/* Parse the attributes of a tag from i (just after its name) to its '>'. Returns the offset
 * after the '>' or NONE if the input ends first. With want, the first `name` and `content`
 * attributes are recorded. */
static size_t
parse_attrs(const char *h, size_t len, size_t i, int want, span *name, span *content)
{
    for (;;) {
        while (i < len && (cls[(unsigned char)h[i]] & C_TAG_END) && h[i] != '>')
            i++; /* whitespace and '/' */
        if (i >= len)
            return NONE;
        if (h[i] == '>')
            return i + 1;
        size_t ns = i++; /* the first character may be '=' */
        while (i < len && !(cls[(unsigned char)h[i]] & C_NAME_END))
            i++;
        size_t nlen = i - ns;
        while (i < len && is_ws((unsigned char)h[i]))
            i++;
        size_t vs = i, ve = i;
        if (i < len && h[i] == '=') {
            i++;
            while (i < len && is_ws((unsigned char)h[i]))
                i++;
            if (i >= len)
                return NONE;
            if (h[i] == '"' || h[i] == '\'') {
                const char *q = memchr(h + i + 1, h[i], len - i - 1);
                if (!q)
                    return NONE;
                vs = i + 1;
                ve = (size_t)(q - h);
                i = ve + 1;
            } else {
                vs = i;
                while (i < len && !(cls[(unsigned char)h[i]] & C_UNQ_END))
                    i++;
                ve = i;
            }
        }
        if (!want)
            continue;
        span *s = ieq(h + ns, nlen, "name") ? name : ieq(h + ns, nlen, "content") ? content : NULL;
        if (s && !s->set) {
            s->off = vs;
            s->len = ve - vs;
            s->set = 1;
        }
    }
}

/* UTF-8 for code point cp into out (at least 4 bytes); returns the length. */
static size_t
put_utf8(unsigned long cp, unsigned char *out)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static const struct {
    const char *name; /* without '&', with ';' */
    size_t len;
    const char *text;
} named_refs[] = {
    {"amp;", 4, "&"},
    {"AMP;", 4, "&"},
    {"quot;", 5, "\""},
    {"QUOT;", 5, "\""},
    {"apos;", 5, "'"},
    {"lt;", 3, "<"},
    {"LT;", 3, "<"},
    {"gt;", 3, ">"},
    {"GT;", 3, ">"},
    {"nbsp;", 5, "\xC2\xA0"}, /* U+00A0 */
};

/* The character reference at s[0..n) (s[0] == '&'): its length in the input and its text in
 * out (at most 4 bytes, *olen); 0 if it is not one we decode. */
static size_t
char_ref(const char *s, size_t n, unsigned char out[4], size_t *olen)
{
    if (n >= 3 && s[1] == '#') {
        size_t i = 2;
        int hex = 0;
        if (s[i] == 'x' || s[i] == 'X') {
            hex = 1;
            i++;
        }
        size_t d0 = i;
        unsigned long cp = 0;
        for (; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            unsigned v;
            if (c >= '0' && c <= '9')
                v = c - '0';
            else if (hex && lower(c) >= 'a' && lower(c) <= 'f')
                v = lower(c) - 'a' + 10;
            else
                break;
            cp = cp * (hex ? 16 : 10) + v;
            if (cp > 0x10FFFF)
                cp = 0x110000; /* stays out of range however many digits follow */
        }
        if (i == d0)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        *olen = put_utf8(cp, out);
        return i;
    }
    for (size_t k = 0; k < sizeof named_refs / sizeof named_refs[0]; k++) {
        if (n > named_refs[k].len && memcmp(s + 1, named_refs[k].name, named_refs[k].len) == 0) {
            *olen = strlen(named_refs[k].text);
            memcpy(out, named_refs[k].text, *olen);
            return named_refs[k].len + 1;
        }
    }
    return 0;
}

/* Decode the references in s[0..n) into out[0..cap); returns the decoded length (cut at the
 * last whole piece that fits). */
static size_t
decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char tmp[4];
        size_t tl = 1, used = 0;
        if (s[i] == '&')
            used = char_ref(s + i, n - i, tmp, &tl);
        if (used == 0) {
            tmp[0] = (unsigned char)s[i];
            tl = 1;
            used = 1;
        }
        if (tl > cap - o)
            break;
        memcpy(out + o, tmp, tl);
        o += tl;
        i += used;
    }
    return o;
}

/* A value as the callback sees it: in place when there is nothing to decode. */
static const char *
value(const char *h, const span *s, char *buf, size_t cap, size_t *len)
{
    const char *v = h + s->off;
    if (!s->set) {
        *len = 0;
        return "";
    }
    if (!memchr(v, '&', s->len)) {
        *len = s->len;
        return v;
    }
    *len = decode(v, s->len, buf, cap);
    return cap ? buf : "";
}

int
ex_html_metas_buf(const char *html, size_t len, char *scratch, size_t cap, ex_html_meta_fn cb,
                  void *ctx)
{
    size_t ncap = cap / 4 < 256 ? cap / 4 : 256;
    size_t i = 0;
    if (!html)
        return 0;
    while (i < len) {
        const char *lt = memchr(html + i, '<', len - i);
        if (!lt)
            return 0;
        i = (size_t)(lt - html) + 1;
        if (i >= len)
            return 0;
        unsigned char c = (unsigned char)html[i];
        if (c == '!') {
            if (i + 2 < len && html[i + 1] == '-' && html[i + 2] == '-')
                i = skip_comment(html, len, i + 3);
            else
                i = skip_to_gt(html, len, i + 1);
        } else if (c == '?') {
            i = skip_to_gt(html, len, i + 1);
        } else if (c == '/') {
            i++;
            if (i < len && is_alpha((unsigned char)html[i])) {
                size_t ns = i;
                while (i < len && !(cls[(unsigned char)html[i]] & C_TAG_END))
                    i++;
                if (ieq(html + ns, i - ns, "head"))
                    return 0;
                i = parse_attrs(html, len, i, 0, NULL, NULL);
            } else if (i < len && html[i] == '>') {
                i++; /* "</>" is dropped */
            } else {
                i = skip_to_gt(html, len, i);
            }
        } else if (is_alpha(c)) {
            size_t ns = i;
            while (i < len && !(cls[(unsigned char)html[i]] & C_TAG_END))
                i++;
            const char *tag = html + ns;
            size_t tlen = i - ns;
            int kind = tag_kind(tag, tlen);
            if (kind == K_BODY)
                return 0;
            int meta = kind == K_META;
            span name = {0, 0, 0}, content = {0, 0, 0};
            i = parse_attrs(html, len, i, meta, &name, &content);
            if (i == NONE)
                return 0;
            if (meta && name.set) {
                size_t nl, cl;
                const char *n = value(html, &name, scratch, ncap, &nl);
                const char *v =
                    value(html, &content, scratch ? scratch + ncap : NULL, cap - ncap, &cl);
                int rc = cb(ctx, n, nl, v, cl);
                if (rc != 0)
                    return rc;
            }
            if (kind >= K_RAWTEXT)
                i = find_end_tag(html, len, i, rawtext[kind - K_RAWTEXT], tlen);
        }
        /* anything else: the '<' was text */
        if (i == NONE)
            return 0;
    }
    return 0;
}

int
ex_html_metas(const char *html, size_t len, ex_html_meta_fn cb, void *ctx)
{
    char scratch[EX_HTML_SCRATCH];
    return ex_html_metas_buf(html, len, scratch, sizeof scratch, cb, ctx);
}

int
ex_html_has_meta(const char *html, size_t len)
{
    size_t i = 0;
    while (html && i < len) {
        const char *p = memchr(html + i, '<', len - i);
        if (!p)
            return 0;
        i = (size_t)(p - html) + 1;
        if (len - i >= 4 && ieq(html + i, 4, "meta"))
            return 1;
    }
    return 0;
}
