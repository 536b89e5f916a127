/* text.h - the text of an item, for near-duplicate fingerprints and ISCC codes: what a reader
 * of the page would read, not its markup. Plain text and JSONL text fields are taken as they
 * are; HTML loses its tags, comments and the contents of script, style, noscript and template
 * elements, and its character references are decoded. Anything else has no text. */
#ifndef EX_TEXT_H
#define EX_TEXT_H

#include "core/core.h"

enum { EX_TEXT_NONE = 0, EX_TEXT_PLAIN, EX_TEXT_HTML };

/* What kind of text content is: by its media type (WARC: the HTTP Content-Type) when given,
 * text/html and application/xhtml+xml being HTML and any other text/ type plain; without one (a file),
 * HTML when it starts (after white space) with "<!doctype html" or "<html", plain when its
 * first 4 KiB hold no NUL and are UTF-8 (a sequence cut at the end aside), else none. */
int ex_text_kind(const uint8_t *content, size_t len, const char *content_type);

/* The text of content of that kind into out (reset first): the bytes themselves for plain
 * text, the text of the markup for HTML, each tag standing for a space. EX_ENOMEM. */
int ex_text_of(const uint8_t *content, size_t len, int kind, ex_buf *out);

#endif
