/* fuzz_fields.c - reading stored records by their fields (ex_fields, src/ledger/fields.c), as
 * ingest's duplicate and revisit lookups and its inputs loader do.
 *
 * Invariants: on any bytes it returns EX_OK or EX_EFORMAT and says the same twice; a string
 * field is NUL-terminated and valid UTF-8; a number field is -1 or a whole number below 10^18.
 * When jansson reads the bytes as an object (no duplicate keys, no NUL escapes), the reader
 * agrees with it on every field: strings byte for byte, whole numbers by value, absent when
 * jansson has no such string or number. Its fast path (ex_fields_read_flat, for top-level
 * fields) reads only what the full scan (ex_fields_read_scan) reads too, and finds the same:
 * whenever it says it read the bytes, the full scan accepts them with the same fields. */
#include "fuzz_common.h"
#include "ledger/ledger.h"

#include <jansson.h>

static const char *const paths[] = {"digest", "url", "warc_type", "through", "a.b"};
#define NPATHS (sizeof paths / sizeof paths[0])
/* top-level fields only, as a snapshot reads decisions: the fast path may read them */
static const char *const top[] = {"verdict", "digest", "policy", "item", "a", "digest"};
#define NTOP (sizeof top / sizeof top[0])

static void
flat_agrees(const uint8_t *data, size_t size)
{
    static ex_fields f, g;
    static int ready;
    if (!ready) {
        if (ex_fields_init(&f, top, NTOP) != EX_OK || ex_fields_init(&g, top, NTOP) != EX_OK)
            FUZZ_FAIL("cannot compile the top-level paths");
        ready = 1;
    }
    if (!ex_fields_read_flat(&f, (const char *)data, size))
        return;
    if (ex_fields_read_scan(&g, (const char *)data, size) != EX_OK)
        FUZZ_FAIL("the fast path read what the full scan refuses");
    for (size_t i = 0; i < NTOP; i++)
        if (!f.str[i] != !g.str[i] || (f.str[i] && strcmp(f.str[i], g.str[i]) != 0) ||
            f.num[i] != g.num[i])
            FUZZ_FAIL("the fast path and the full scan differ");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_fields f, g;
    static int ready;
    if (!ready) {
        if (ex_fields_init(&f, paths, NPATHS) != EX_OK || ex_fields_init(&g, paths, NPATHS) != EX_OK)
            FUZZ_FAIL("cannot compile the paths");
        ready = 1;
    }
    if (ex_fields_read_flat(&f, (const char *)data, size))
        FUZZ_FAIL("the fast path read a nested path");
    flat_agrees(data, size);
    int rc = ex_fields_read(&f, (const char *)data, size);
    int rc2 = ex_fields_read(&g, (const char *)data, size);
    if (rc != rc2 || (rc != EX_OK && rc != EX_EFORMAT))
        FUZZ_FAIL("unexpected or unsteady result");
    if (rc != EX_OK)
        return 0;
    for (size_t i = 0; i < NPATHS; i++) {
        if (!f.str[i] != !g.str[i] || (f.str[i] && strcmp(f.str[i], g.str[i]) != 0) ||
            f.num[i] != g.num[i])
            FUZZ_FAIL("not deterministic");
        if (f.str[i] && !ex_utf8_valid(f.str[i], strlen(f.str[i])))
            FUZZ_FAIL("a string that is not UTF-8");
        if (f.num[i] < -1 || f.num[i] >= 1000000000000000000LL)
            FUZZ_FAIL("a number out of range");
    }
    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    for (size_t i = 0; i < NPATHS; i++) {
        json_t *v = strcmp(paths[i], "a.b") == 0 ? json_object_get(json_object_get(o, "a"), "b")
                                                 : json_object_get(o, paths[i]);
        const char *s = json_string_value(v);
        if (s && strlen(s) == json_string_length(v) && (!f.str[i] || strcmp(s, f.str[i]) != 0))
            FUZZ_FAIL("a string differs from jansson's");
        if (!json_is_string(v) && f.str[i])
            FUZZ_FAIL("a string where jansson has none");
        if (f.num[i] >= 0 && (!json_is_integer(v) || json_integer_value(v) != f.num[i]))
            FUZZ_FAIL("a number differs from jansson's");
    }
    json_decref(o);
    return 0;
}
