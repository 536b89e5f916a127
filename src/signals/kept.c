/* kept.c - what ingest keeps of a fetch for later signal checks: an HTML page's head and the
 * HTTP head, cut to bounded sizes (html.h). */
#include "signals/html.h"

#include <string.h>
#include <strings.h>

/* 1 + the offset of needle in h[0..n), ASCII case-insensitive; 0 if absent */
static size_t
find_ci(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(h + i, needle, k) == 0)
            return i + 1;
    return 0;
}

size_t
ex_html_head(const char *c, size_t len, const char *content_type, char out[EX_HTML_HEAD_MAX])
{
    size_t n = len < EX_HTML_HEAD_MAX ? len : EX_HTML_HEAD_MAX;
    if (!c || n == 0)
        return 0;
    size_t ws = 0;
    while (ws < n && (c[ws] == ' ' || c[ws] == '\n' || c[ws] == '\r' || c[ws] == '\t'))
        ws++;
    int html = content_type ? find_ci(content_type, strlen(content_type), "html") > 0
                            : (n - ws >= 5 && (strncasecmp(c + ws, "<!doc", 5) == 0 ||
                                               strncasecmp(c + ws, "<html", 5) == 0));
    if (!html)
        return 0;
    size_t end = find_ci(c, n, "</head>");
    if (end)
        n = end - 1 + 7;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)c[i];
        size_t k = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (b >= 0x80 && (i + k > n || !ex_utf8_valid(c + i, k)))
            k = 0;
        if (k == 0 || (b < 0x20 && b != '\n' && b != '\r' && b != '\t')) {
            out[o++] = '?';
            i++;
        } else {
            memcpy(out + o, c + i, k);
            o += k;
            i += k;
        }
    }
    return o;
}

size_t
ex_headers_kept(const char *h, size_t len)
{
    size_t hl = h ? len : 0;
    if (hl > EX_HEADERS_KEPT) {
        hl = EX_HEADERS_KEPT;
        while (hl > 0 && ((unsigned char)h[hl] & 0xc0) == 0x80)
            hl--;
    }
    return hl;
}
