/* fuzz_tilepath.c - the path of a C2SP tlog-tiles tile as `exante serve` reads it from a URL,
 * the part after "/tile/" (ex_tile_path_parse, src/log/tileserve.c), on any bytes.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - an accepted path gives level -1 (entries) to 7, and a width 0 (a full tile) to 255;
 *   - it is exactly what ex_tile_path writes for them: "/tile/" + the input, byte for byte
 *     (one spelling per tile);
 *   - it holds no NUL, "..", "//", no leading or trailing '/', and only [0-9a-z./];
 *   - a refusal is EX_EFORMAT;
 *   - the other way round: the first bytes read as a tile (a level or entries, an index below
 *     2^63, a width) are written with ex_tile_path, and that path parses back to the tile. */
#include "fuzz_common.h"
#include "log/log.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
render(char *buf, size_t cap, int level, uint64_t n, unsigned w)
{
    char what[16];
    if (level < 0)
        snprintf(what, sizeof what, "entries");
    else
        snprintf(what, sizeof what, "%d", level);
    ex_tile_path(buf, cap, "", what, n, w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_copy(data, size);
    if (!path)
        return 0;
    int level = 99;
    uint64_t n = 99;
    unsigned w = 99;
    int rc = ex_tile_path_parse(path, size, &level, &n, &w);
    if (rc != EX_OK) {
        if (rc != EX_EFORMAT)
            FUZZ_FAIL("a refusal that is not EX_EFORMAT");
    } else {
        if (level < -1 || level > 7 || w >= EX_TILE_WIDTH)
            FUZZ_FAIL("level or width out of range");
        char buf[256];
        render(buf, sizeof buf, level, n, w);
        if (strlen(buf) != size + 6 || memcmp(buf, "/tile/", 6) != 0 ||
            memcmp(buf + 6, path, size) != 0)
            FUZZ_FAIL("an accepted path is not what ex_tile_path writes for its tile");
        if (!size || memchr(path, 0, size) || path[0] == '/' || path[size - 1] == '/')
            FUZZ_FAIL("an accepted path is empty, holds a NUL or starts or ends with '/'");
        for (size_t i = 0; i < size; i++) {
            char c = path[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == '/'))
                FUZZ_FAIL("an accepted path holds a byte outside [0-9a-z./]");
            if (i + 1 < size && ((c == '.' && path[i + 1] == '.') ||
                                 (c == '/' && path[i + 1] == '/')))
                FUZZ_FAIL("an accepted path holds '..' or '//'");
        }
    }

    /* the other way round: a tile written by ex_tile_path parses back to itself */
    if (size >= 10) {
        int l = data[0] % 9 - 1;
        unsigned ww = data[1];
        uint64_t nn = 0;
        for (int i = 0; i < 8; i++)
            nn = nn << 8 | data[2 + i];
        nn >>= (data[0] / 9) % 64; /* small indices too */
        nn &= UINT64_MAX >> 1;     /* below 2^63 */
        char buf[256];
        render(buf, sizeof buf, l, nn, ww);
        int l2;
        uint64_t n2;
        unsigned w2;
        if (ex_tile_path_parse(buf + 6, strlen(buf) - 6, &l2, &n2, &w2) != EX_OK || l2 != l ||
            n2 != nn || w2 != ww)
            FUZZ_FAIL("a path ex_tile_path writes does not parse back to its tile");
    }
    free(path);
    return 0;
}
