/* fuzz_elide.c - a paired decision's provenance put back (ex_elide_get; src/store/elide.c):
 * the bytes a damaged or hostile block may hold for an item and the decision after it.
 *
 * The input is split at its first NUL byte into an item record and a stored decision (no NUL:
 * an empty item). Invariants: a stored form that is not cut comes back as itself, with no
 * copy; a cut one comes back one SHA-256 in hex longer, with that hex where it was cut, and
 * storing what came back (ex_elide_put) gives the stored form again. And the other way round:
 * the input's decision stored with ex_elide_put comes back as itself. */
#include "fuzz_common.h"
#include "store/elide.h"

#include <openssl/sha.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = size ? memchr(data, 0, size) : NULL;
    const uint8_t *item = data, *dec = nul ? nul + 1 : data;
    size_t ilen = nul ? (size_t)(nul - data) : 0, dlen = nul ? size - ilen - 1 : size;
    static ex_sha256 *h;
    if (!h && ex_sha256_new(&h) != EX_OK)
        FUZZ_FAIL("no hasher");
    ex_buf out = {0}, again = {0}, stored = {0};
    const void *rec;
    size_t rlen;
    if (ex_elide_get(h, item, ilen, dec, dlen, &out, &rec, &rlen) != EX_OK)
        FUZZ_FAIL("get failed");
    if (rec == (const void *)dec) {
        if (rlen != dlen)
            FUZZ_FAIL("an uncut form came back changed");
    } else {
        if (rlen != dlen + 64)
            FUZZ_FAIL("a cut form came back not 64 bytes longer");
        unsigned char d[SHA256_DIGEST_LENGTH];
        char hex[65];
        SHA256(item, ilen, d);
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
        if (!memmem(rec, rlen, hex, 64))
            FUZZ_FAIL("the restored record lacks the item's digest");
        if (ex_elide_put(h, item, ilen, rec, rlen, &again) != EX_OK)
            FUZZ_FAIL("put failed");
        if (again.len != dlen || memcmp(again.data, dec, dlen) != 0)
            FUZZ_FAIL("storing the restored record does not give the stored form");
    }
    /* put, then get: the record itself */
    if (ex_elide_put(h, item, ilen, dec, dlen, &stored) != EX_OK)
        FUZZ_FAIL("put failed");
    if (ex_elide_get(h, item, ilen, stored.data ? stored.data : "", stored.len, &out, &rec, &rlen) !=
        EX_OK)
        FUZZ_FAIL("get failed");
    if (stored.len < dlen && (rlen != dlen || memcmp(rec, dec, dlen) != 0))
        FUZZ_FAIL("a cut record does not come back as itself");
    ex_buf_free(&out);
    ex_buf_free(&again);
    ex_buf_free(&stored);
    return 0;
}
