/* fuzz_time.c - RFC 3339 times (ex_time_parse): fetch times come from JSONL fields and
 * WARC-Date headers, and pick the robots.txt / tdmrep.json capture in force.
 *
 * Invariants: parsing is deterministic and leaves the output alone on failure; a time that
 * parses and lies in years 1970..9999 formats (ex_time_format) to a string that parses back to
 * the same second; formatted times always parse. */
#include "fuzz_common.h"
#include "core/core.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char s[257];
    memcpy(s, data, size);
    s[size] = 0;
    int64_t a = 7, b = 7;
    int ra = ex_time_parse(s, &a), rb = ex_time_parse(s, &b);
    if (ra != rb || a != b)
        FUZZ_FAIL("parsing is not deterministic");
    if (ra != EX_OK && ra != EX_EFORMAT)
        FUZZ_FAIL("unexpected result");
    if (ra != EX_OK && a != 7)
        FUZZ_FAIL("a failed parse wrote its output");
    if (ra == EX_OK && a >= 0 && a <= 253402300799LL) {
        char out[32];
        ex_time_format(a, out);
        int64_t c = 0;
        if (ex_time_parse(out, &c) != EX_OK || c != a)
            FUZZ_FAIL("a formatted time does not parse back to itself");
    }
    return 0;
}
