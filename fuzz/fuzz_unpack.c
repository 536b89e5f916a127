/* fuzz_unpack.c - reading a stored record (ex_unpack, src/store/pack.c): the bytes a
 * damaged or hostile ledger database may hold in a record column.
 *
 * Invariants: a failure is EX_EFORMAT with a reason; bytes that are not a packed record come
 * back as they are; a packed record unpacks to at most EX_PACK_MAX bytes, NUL-terminated, and
 * the same bytes again on a second try; those bytes packed again (items and decisions
 * dictionaries) unpack to themselves. */
#include "fuzz_common.h"
#include "store/pack.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_packer *p, *q;
    if (!p && (ex_packer_new(&p) != EX_OK || ex_packer_new(&q) != EX_OK))
        abort();
    const void *out, *out2;
    size_t n, n2;
    ex_err e = {0};
    int rc = ex_unpack(p, data, size, &out, &n, &e);
    if (rc != EX_OK) {
        if (rc != EX_EFORMAT || !e.msg[0])
            FUZZ_FAIL("a failure without EX_EFORMAT and a reason");
        return 0;
    }
    if (!ex_packed(data, size)) {
        if (out != (const void *)data || n != size)
            FUZZ_FAIL("an unpacked record did not pass through");
        return 0;
    }
    if (n > EX_PACK_MAX || ((const char *)out)[n] != 0)
        FUZZ_FAIL("unpacked record too large or not terminated");
    if (ex_unpack(q, data, size, &out2, &n2, &e) != EX_OK || n2 != n || memcmp(out, out2, n))
        FUZZ_FAIL("unpacking is not deterministic");
    for (int t = EX_TAB_ITEMS; t <= EX_TAB_DECISIONS; t++) {
        ex_buf b = {0};
        if (ex_pack(q, t, out, n, &b) != EX_OK)
            FUZZ_FAIL("cannot pack what was unpacked");
        if (ex_unpack(q, b.data, b.len, &out2, &n2, &e) != EX_OK || n2 != n ||
            memcmp(out, out2, n) != 0)
            FUZZ_FAIL("repacked record does not round-trip");
        ex_buf_free(&b);
    }
    return 0;
}
