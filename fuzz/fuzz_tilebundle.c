/* fuzz_tilebundle.c - the entry bundles of published snapshot tiles (ex_tiles_bundle_read,
 * src/log/treetiles.c), as `snapshot audit --tiles` reads them from files anyone can write.
 *
 * Input: one byte, the width w the bundle's path names (0..255; 0 stands for 256), then the
 * bundle. Invariants: it accepts exactly the bundles of w entries each 0x00 0x20 and 32 bytes,
 * copies those 32 bytes in order, writes nothing past w digests, and says why when it refuses. */
#include "fuzz_common.h"
#include "log/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned w = data[0] ? data[0] : EX_TILE_WIDTH;
    const uint8_t *b = data + 1;
    size_t len = size - 1;
    static uint8_t out[EX_TILE_WIDTH + 1][EX_HASH_BYTES];
    memset(out[w], 0xa5, EX_HASH_BYTES); /* the slot past the last: must stay as it is */
    ex_err err = {0};
    int rc = ex_tiles_bundle_read(b, len, w, out, "fuzz", &err);
    int want = len == (size_t)w * 34;
    for (unsigned i = 0; want && i < w; i++)
        want = b[i * 34] == 0 && b[i * 34 + 1] == 32;
    if ((rc == EX_OK) != want)
        FUZZ_FAIL("accepted a bundle it should refuse, or the reverse");
    if (rc != EX_OK && (rc != EX_EFORMAT || err.code != rc || !err.msg[0]))
        FUZZ_FAIL("a refusal without EX_EFORMAT and a message");
    for (unsigned i = 0; rc == EX_OK && i < w; i++)
        if (memcmp(out[i], b + i * 34 + 2, EX_HASH_BYTES) != 0)
            FUZZ_FAIL("a digest differs from its entry");
    for (unsigned i = 0; i < EX_HASH_BYTES; i++)
        if (out[w][i] != 0xa5)
            FUZZ_FAIL("wrote past the last digest");
    return 0;
}
