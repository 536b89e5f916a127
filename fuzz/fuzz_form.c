/* fuzz_form.c - a form field's value in an application/x-www-form-urlencoded body
 * (ex_form_value_dup, src/core/encoding.c): what the server's dashboard reads from a POSTed
 * search, on any bytes. The first input byte picks the field's name.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - EX_OK, EX_ENOTFOUND or EX_ENOMEM; with EX_OK a NUL-terminated value no longer than the
 *     body, found only when "NAME=" starts the body or follows a '&'; otherwise no value;
 *   - with no '%' and no '+' in the body the value is a substring of it;
 *   - reading is deterministic (the same answer twice). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"text", "q", "a"};
    if (size == 0)
        return 0;
    const char *name = names[data[0] % 3];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char *v = NULL, *w = NULL;
    size_t vl = 0, wl = 0;
    int rc = ex_form_value_dup(body, len, name, &v, &vl);
    int rc2 = ex_form_value_dup(body, len, name, &w, &wl);
    if (rc != EX_OK && rc != EX_ENOTFOUND && rc != EX_ENOMEM)
        FUZZ_FAIL("an unexpected code");
    if (rc != rc2 || vl != wl || (v && (!w || memcmp(v, w, vl) != 0)))
        FUZZ_FAIL("not deterministic");
    if (rc != EX_OK && (v || vl))
        FUZZ_FAIL("a value without EX_OK");
    if (rc == EX_OK) {
        size_t nl = strlen(name);
        int found = 0;
        for (size_t i = 0; i + nl < len && !found; i++)
            found = (i == 0 || body[i - 1] == '&') && memcmp(body + i, name, nl) == 0 &&
                    body[i + nl] == '=';
        if (!v || v[vl] != 0 || vl > len || !found)
            FUZZ_FAIL("a value that is not the field's");
        if (!memchr(body, '%', len) && !memchr(body, '+', len) && vl &&
            !memmem(body, len, v, vl))
            FUZZ_FAIL("an unescaped value that is not in the body");
    }
    free(v);
    free(w);
    return 0;
}
