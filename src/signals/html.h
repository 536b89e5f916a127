/* html.h - a bounded scanner for the <meta> tags in the head of an HTML page.
 *
 * It reads the bytes that ingest keeps of an HTML page (the document up to and including
 * </head>, possibly cut anywhere) and reports each `<meta name=... content=...>` in document
 * order. It follows the HTML tokenizer where that decides what is a tag and what is not:
 *
 *   - tag and attribute names are ASCII case-insensitive; attribute values are double-quoted,
 *     single-quoted or unquoted (ending at whitespace or '>'); the first of two attributes
 *     with the same name counts;
 *   - comments `<!-- ... -->` (also `<!-->`, `<!--->` and the `--!>` closer), `<!DOCTYPE>`
 *     and `<?...>` are skipped; the raw text of script, style, title, textarea, xmp, iframe,
 *     noembed and noframes is skipped up to its end tag;
 *   - scanning stops at `</head>`, at a `<body` start tag, and at the end of the input; a tag,
 *     comment or raw text cut off by the end of the input is dropped;
 *   - character references in attribute values are decoded: &amp; &quot; &apos; &lt; &gt;
 *     &nbsp; (named ones need their ';'), and &#NN; / &#xNN; (';' optional; 0, surrogates and
 *     values over U+10FFFF become U+FFFD; C1 values are not remapped to windows-1252). Other
 *     named references are left as written. NUL bytes are ordinary bytes.
 *
 * Work is linear in len: every byte is looked at a bounded number of times. Nothing past
 * html[len) is read, nothing is allocated, and malformed input (unterminated tags, quotes or
 * comments, stray NULs) only ends the scan early. */
#ifndef EX_HTML_H
#define EX_HTML_H

#include "core/core.h"

/* Scratch that ex_html_metas() keeps on its stack: decoded values longer than this are cut. */
#define EX_HTML_SCRATCH 4096

/* Called for each meta tag that has a name attribute. name/content are the attribute values
 * with character references decoded, not NUL-terminated and not trimmed; content is "" (length
 * 0) when the tag has no content attribute. The pointers are valid only during the call: they
 * point into the input when the value has no '&', else into the scratch buffer. Return 0 to go
 * on, anything else to stop the scan. */
typedef int (*ex_html_meta_fn)(void *ctx, const char *name, size_t nlen, const char *content,
                               size_t clen);

/* Report the meta tags of html[0..len) to cb, in document order, using a scratch buffer of
 * EX_HTML_SCRATCH bytes on the stack. Returns 0 after the whole head was scanned, or the first
 * non-zero value cb returned. Never fails otherwise; html may be NULL when len is 0. */
int ex_html_metas(const char *html, size_t len, ex_html_meta_fn cb, void *ctx);

/* The same with a caller-provided scratch buffer: a quarter of it (at most 256 bytes) holds a
 * decoded name, the rest a decoded content value; decoded values that do not fit are cut at
 * the last whole character reference or byte that fits. scratch may be NULL when cap is 0:
 * values with references are then reported cut to length 0. */
int ex_html_metas_buf(const char *html, size_t len, char *scratch, size_t cap, ex_html_meta_fn cb,
                      void *ctx);

/* 1 if html[0..len) contains "<meta" in any case: a cheap test before a scan. */
int ex_html_has_meta(const char *html, size_t len);

/* ---- what ingest keeps of a fetch for later signal checks (kept.c) ----
 * The policy reads an item's <meta> tags (robots noai, tdm-reservation) and HTTP headers as
 * they were at fetch time, long after the content is gone: the item record keeps them. */

#define EX_HTML_HEAD_MAX 8192 /* bytes of an HTML page's head kept */
#define EX_HEADERS_KEPT 8192  /* bytes of the raw HTTP head kept */

/* The head of an HTML page: content[0..len) up to and including </head>, at most
 * EX_HTML_HEAD_MAX bytes, with bytes that are not UTF-8 and control characters other than
 * tab, CR and LF replaced by '?', into out; returns its length, 0 if the content is not HTML
 * (by content_type when given, else by a leading <!doctype or <html). */
size_t ex_html_head(const char *content, size_t len, const char *content_type,
                    char out[EX_HTML_HEAD_MAX]);
/* How many bytes of the HTTP head h[0..len) are kept: all, or EX_HEADERS_KEPT cut back to a
 * character boundary. */
size_t ex_headers_kept(const char *h, size_t len);

#endif
