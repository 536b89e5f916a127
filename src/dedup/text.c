/* text.c - the text of an item (text.h). The HTML reader is deliberately small: it has to
 * give the same words for the same page, not render it. */
#include "text.h"

#include <string.h>
#include <strings.h>

#include <utf8proc.h>

static int
starts_ci(const uint8_t *p, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && strncasecmp((const char *)p, lit, n) == 0;
}

int
ex_text_kind(const uint8_t *content, size_t len, const char *content_type)
{
    if (content_type && *content_type) {
        while (*content_type == ' ' || *content_type == '\t')
            content_type++;
        const uint8_t *ct = (const uint8_t *)content_type;
        size_t cl = strlen(content_type);
        if (starts_ci(ct, cl, "text/html") || starts_ci(ct, cl, "application/xhtml+xml"))
            return EX_TEXT_HTML;
        return starts_ci(ct, cl, "text/") ? EX_TEXT_PLAIN : EX_TEXT_NONE;
    }
    size_t i = 0;
    while (i < len && (content[i] == ' ' || content[i] == '\t' || content[i] == '\r' ||
                       content[i] == '\n'))
        i++;
    if (starts_ci(content + i, len - i, "<!doctype html") || starts_ci(content + i, len - i, "<html"))
        return EX_TEXT_HTML;
    size_t n = len < 4096 ? len : 4096;
    if (memchr(content, 0, n))
        return EX_TEXT_NONE;
    for (size_t at = 0; at < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(content + at, (utf8proc_ssize_t)(n - at), &cp);
        if (k <= 0)
            return n < len && n - at < 4 ? EX_TEXT_PLAIN : EX_TEXT_NONE; /* cut at 4 KiB */
        at += (size_t)k;
    }
    return EX_TEXT_PLAIN;
}

/* elements whose content is not text */
static const char *const skipped[] = {"script", "style", "noscript", "template"};

/* the character reference at p[0] == '&' (len bytes): its code point and length, or 0 */
static size_t
char_ref(const uint8_t *p, size_t len, utf8proc_int32_t *cp)
{
    static const struct { const char *name; utf8proc_int32_t cp; } named[] = {
        {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''},
        {"nbsp;", 0xA0}, {"mdash;", 0x2014}, {"ndash;", 0x2013}, {"hellip;", 0x2026},
        {"rsquo;", 0x2019}, {"lsquo;", 0x2018}, {"rdquo;", 0x201D}, {"ldquo;", 0x201C},
        {"copy;", 0xA9}};
    if (len > 2 && p[1] == '#') {
        size_t i = 2;
        int hex = i < len && (p[i] == 'x' || p[i] == 'X');
        i += (size_t)hex;
        uint32_t v = 0;
        size_t digits = 0;
        for (; i < len && digits < 8; i++, digits++) {
            int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0'
                  : hex && (p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f' ? (p[i] | 0x20) - 'a' + 10
                  : -1;
            if (d < 0)
                break;
            v = v * (hex ? 16u : 10u) + (uint32_t)d;
        }
        if (!digits || i >= len || p[i] != ';' || !utf8proc_codepoint_valid((utf8proc_int32_t)v) ||
            v == 0)
            return 0;
        *cp = (utf8proc_int32_t)v;
        return i + 1;
    }
    for (size_t j = 0; j < sizeof named / sizeof *named; j++) {
        size_t n = strlen(named[j].name);
        if (len > n && memcmp(p + 1, named[j].name, n) == 0) {
            *cp = named[j].cp;
            return n + 1;
        }
    }
    return 0;
}

static int
html_text(const uint8_t *p, size_t len, ex_buf *out)
{
    size_t i = 0;
    int rc = EX_OK;
    while (i < len && rc == EX_OK) {
        if (p[i] == '&') {
            utf8proc_int32_t cp;
            size_t n = char_ref(p + i, len - i, &cp);
            if (n) {
                utf8proc_uint8_t e[4];
                rc = ex_buf_put(out, e, (size_t)utf8proc_encode_char(cp, e));
                i += n;
                continue;
            }
        }
        if (p[i] != '<') { /* text up to the next tag or reference, found by memchr */
            const uint8_t *lt = memchr(p + i + 1, '<', len - i - 1);
            size_t j = lt ? (size_t)(lt - p) : len;
            const uint8_t *amp = memchr(p + i + 1, '&', j - i - 1);
            j = amp ? (size_t)(amp - p) : j;
            rc = ex_buf_put(out, p + i, j - i);
            i = j;
            continue;
        }
        /* markup: a comment, a tag (perhaps opening an element whose content is skipped) */
        const char *end = ">";
        if (starts_ci(p + i, len - i, "<!--"))
            end = "-->";
        size_t name = i + 1, nl = 0;
        while (name + nl < len && ((p[name + nl] | 0x20) >= 'a' && (p[name + nl] | 0x20) <= 'z'))
            nl++;
        const uint8_t *close = memmem(p + i + 1, len - i - 1, end, strlen(end));
        i = close ? (size_t)(close - p) + strlen(end) : len;
        for (size_t s = 0; s < sizeof skipped / sizeof *skipped; s++) {
            if (nl != strlen(skipped[s]) || strncasecmp((const char *)p + name, skipped[s], nl))
                continue;
            /* up to its end tag */
            size_t at = i;
            while (at < len) {
                const uint8_t *lt = memchr(p + at, '<', len - at);
                if (!lt) {
                    at = len;
                    break;
                }
                at = (size_t)(lt - p);
                if (at + 2 + nl <= len && p[at + 1] == '/' &&
                    strncasecmp((const char *)p + at + 2, skipped[s], nl) == 0)
                    break;
                at++;
            }
            const uint8_t *gt = at < len ? memchr(p + at, '>', len - at) : NULL;
            i = gt ? (size_t)(gt - p) + 1 : len;
        }
        rc = ex_buf_putc(out, ' ');
    }
    return rc;
}

int
ex_text_of(const uint8_t *content, size_t len, int kind, ex_buf *out)
{
    out->len = 0;
    if (kind == EX_TEXT_HTML)
        return html_text(content, len, out);
    return kind == EX_TEXT_PLAIN ? ex_buf_put(out, content, len) : EX_OK;
}
