/* fuzz_decision.c - reading a decision record's item and provenance by a validating scan that
 * builds no tree (ex_decision_fields, src/ledger/verify.c), as log verify does for every
 * decision.
 *
 * Invariants: on any bytes it returns NULL or a NUL-terminated provenance of at most 71 bytes
 * and a non-negative item, and says the same twice. If the input is a JSON object whose values
 * are scalars or arrays of scalars (decision records are), its canonical form (core/cjson.h)
 * gives what jansson gives: the top-level integer "item" (0 to 10^18 - 1) and string
 * "provenance" (up to 71 bytes, nothing to escape); and NULL when neither is there. */
#include "fuzz_common.h"
#include "core/cjson.h"
#include "ledger/ledger.h"

#include <jansson.h>

static int
flat(json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (json_is_object(v))
            return 0;
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) if (json_is_object(e) || json_is_array(e)) return 0;
        }
    }
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char prov[EX_DIGEST_STR_BYTES], prov2[EX_DIGEST_STR_BYTES];
    int64_t item = -1, item2 = -1;
    const char *r = ex_decision_fields((const char *)data, size, &item, prov);
    const char *r2 = ex_decision_fields((const char *)data, size, &item2, prov2);
    if (!r != !r2 || (r && (item != item2 || strcmp(prov, prov2) != 0)))
        FUZZ_FAIL("not deterministic");
    if (r && (r != prov || strlen(prov) > EX_DIGEST_STR_LEN || item < 0))
        FUZZ_FAIL("result out of range");

    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!o || !json_is_object(o) || !flat(o)) {
        json_decref(o);
        return 0;
    }
    ex_err e = {0};
    size_t clen;
    char *canon = ex_json_canon_dup(o, &clen, &e);
    if (!canon) {
        json_decref(o);
        return 0;
    }
    json_t *ji = json_object_get(o, "item"), *jp = json_object_get(o, "provenance");
    const char *ps = json_string_value(jp);
    int want = json_is_integer(ji) && json_integer_value(ji) >= 0 &&
               json_integer_value(ji) < 1000000000000000000LL && ps &&
               json_string_length(jp) <= EX_DIGEST_STR_LEN && strlen(ps) == json_string_length(jp) &&
               !strpbrk(ps, "\"\\") && !strpbrk(ps, "\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r"
                                                   "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
                                                   "\x19\x1a\x1b\x1c\x1d\x1e\x1f");
    item = -1;
    r = ex_decision_fields(canon, clen, &item, prov);
    if (want && (!r || item != json_integer_value(ji) || strcmp(prov, ps) != 0))
        FUZZ_FAIL("disagrees with jansson on a canonical record");
    if (!json_is_integer(ji) && !json_is_string(jp) && r)
        FUZZ_FAIL("values found where jansson has none");
    free(canon);
    json_decref(o);
    return 0;
}
