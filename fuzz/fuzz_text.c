/* fuzz_text.c - the text of an item (src/dedup/text.h) on arbitrary bytes: the HTML reader
 * every WARC page goes through before its fingerprint is made. The first byte picks the media
 * type (none: sniffed, text/html, text/plain, application/pdf); the rest is the content.
 *
 * Invariants: the kind follows the media type; plain text comes back byte for byte; HTML
 * comes back no longer than it went in (every tag is one space, every character reference
 * at most as long as its UTF-8), and the same twice. */
#include "fuzz_common.h"
#include "dedup/text.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    static const char *const types[] = {NULL, "text/html; charset=utf-8", "text/plain",
                                        "application/pdf"};
    const char *type = types[data[0] % 4];
    data++, size--;
    int kind = ex_text_kind(data, size, type);
    if ((type == types[1] && kind != EX_TEXT_HTML) || (type == types[2] && kind != EX_TEXT_PLAIN) ||
        (type == types[3] && kind != EX_TEXT_NONE))
        FUZZ_FAIL("the kind does not follow the media type");
    ex_buf a = {0}, b = {0};
    if (ex_text_of(data, size, kind, &a) != EX_OK || ex_text_of(data, size, kind, &b) != EX_OK)
        FUZZ_FAIL("text extraction failed");
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
        FUZZ_FAIL("text extraction is not deterministic");
    if (kind == EX_TEXT_PLAIN && (a.len != size || (size && memcmp(a.data, data, size) != 0)))
        FUZZ_FAIL("plain text changed");
    if (kind == EX_TEXT_NONE && a.len != 0)
        FUZZ_FAIL("content without text gave text");
    if (kind == EX_TEXT_HTML && a.len > size)
        FUZZ_FAIL("the text of HTML is longer than the HTML");
    ex_buf_free(&a);
    ex_buf_free(&b);
    return 0;
}
