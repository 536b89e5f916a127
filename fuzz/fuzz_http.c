/* fuzz_http.c - the HTTP response head parser (ex_http_head_end, ex_http_parse_head).
 *
 * Invariants: the end of the head is within the input and just after a LF; searching for it
 * while the bytes arrive one at a time (from = previous length - 2, as the WARC reader does)
 * finds the same end; a parse either fails with a message naming the status line or gives a
 * 3-digit status, a known coding and a NUL-terminated Content-Type; parsing is deterministic. */
#include "fuzz_common.h"
#include "ingest/http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_copy(data, size);
    if (!copy)
        return 0;
    const uint8_t *p = (const uint8_t *)copy;
    size_t end = ex_http_head_end(p, size, 0);
    if (end > size || (end > 0 && p[end - 1] != '\n'))
        FUZZ_FAIL("head end out of place");
    size_t inc = 0;
    for (size_t n = 1; n <= size && inc == 0; n++)
        inc = ex_http_head_end(p, n, n >= 3 ? n - 3 : 0);
    if (inc != end)
        FUZZ_FAIL("incremental search finds another end");
    size_t len = end ? end : size;
    ex_http_head h1, h2;
    ex_err e1 = {0}, e2 = {0};
    memset(&h2, 0x55, sizeof h2);
    int rc1 = ex_http_parse_head(p, len, &h1, &e1);
    int rc2 = ex_http_parse_head(p, len, &h2, &e2);
    if (rc1 != rc2)
        FUZZ_FAIL("parsing is not deterministic");
    if (rc1 == EX_OK) {
        if (h1.status < 0 || h1.status > 999 || h1.coding < EX_HTTP_CODING_NONE ||
            h1.coding > EX_HTTP_CODING_OTHER || (h1.chunked != 0 && h1.chunked != 1))
            FUZZ_FAIL("head fields out of range");
        if (memchr(h1.content_type, 0, sizeof h1.content_type) == NULL)
            FUZZ_FAIL("content type not terminated");
        if (h1.status != h2.status || h1.chunked != h2.chunked || h1.coding != h2.coding ||
            strcmp(h1.content_type, h2.content_type) != 0)
            FUZZ_FAIL("parsing is not deterministic");
        if (len < 10 || memcmp(p, "HTTP/", 5) != 0)
            FUZZ_FAIL("a head without a status line parsed");
    } else if (rc1 != EX_EFORMAT || !strstr(e1.msg, "malformed http status line")) {
        FUZZ_FAIL("unexpected failure");
    }
    free(copy);
    return 0;
}
