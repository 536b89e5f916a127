/* fuzz_block.c - reading a block (ex_block_open, ex_block_get; src/store/block.c): the bytes a
 * damaged or hostile ledger database may hold in a block row.
 *
 * Invariants: a failure is EX_EFORMAT with a reason and leaves the decoder with no block; an
 * opened block has 1 to EX_BLOCK_MAX_RECORDS records, lying end to end in at most
 * EX_BLOCK_MAX_BYTES, and no record past the last; a second decoder opens the same input to the
 * same records; those records built into a block again open to themselves. One decoder is kept
 * across inputs, as the store will keep one.
 *
 * zstd is not instrumented and a changed frame almost always fails its checksum, so mutations
 * of a whole block rarely reach the content's checks: each input is also taken as a block's
 * content, put in a good frame, and must open exactly when a reading of the layout written here
 * from docs/FORMATS.md accepts it, to the records that reading finds. */
#include "fuzz_common.h"
#include "store/block.h"

#include <zstd.h>

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* the content c (len bytes) is a valid block's, by the letter of docs/FORMATS.md */
static int
valid_content(const uint8_t *c, size_t len)
{
    if (len < 16 || memcmp(c, "EXBK", 4) != 0 || le32(c + 4) != 1)
        return 0;
    uint64_t n = le32(c + 8), prev = 0;
    if (n < 1 || n > (1u << 20) || 16 + 4 * n > len || le32(c + 12) != 0)
        return 0;
    for (uint64_t i = 1; i <= n; i++) {
        if (le32(c + 12 + 4 * i) < prev)
            return 0;
        prev = le32(c + 12 + 4 * i);
    }
    return prev == len - (16 + 4 * n);
}

/* the input as a block's content, in a good frame */
static void
as_content(ex_block_dec *d, const uint8_t *data, size_t size)
{
    static ZSTD_CCtx *z;
    if (!z) {
        if (!(z = ZSTD_createCCtx()))
            abort();
        ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
        ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
        ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 1);
    }
    size_t bound = ZSTD_compressBound(size);
    char *f = malloc(bound);
    if (!f)
        abort();
    size_t flen = ZSTD_compress2(z, f, bound, data, size);
    if (ZSTD_isError(flen))
        abort();
    ex_err e = {0};
    int rc = ex_block_open(d, f, flen, &e);
    int valid = valid_content(data, size);
    if (rc != (valid ? EX_OK : EX_EFORMAT) || (rc != EX_OK && !e.msg[0]))
        FUZZ_FAIL("a content opens other than the layout says");
    if (valid) {
        size_t n = le32(data + 8), head = 16 + 4 * n;
        if (ex_block_count(d) != n)
            FUZZ_FAIL("a content opens to another number of records");
        for (size_t i = 0; i < n; i++) {
            const void *rec;
            size_t len, a = le32(data + 12 + 4 * i), b = le32(data + 16 + 4 * i);
            if (ex_block_get(d, i, &rec, &len) != EX_OK || len != b - a ||
                (len && memcmp(rec, data + head + a, len) != 0))
                FUZZ_FAIL("a content opens to other records than the layout says");
        }
    }
    free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_block_dec *d, *d2;
    static ex_block_enc *enc;
    if (!d && (ex_block_dec_new(&d) != EX_OK || ex_block_dec_new(&d2) != EX_OK ||
               ex_block_enc_new(&enc) != EX_OK))
        abort();
    as_content(d, data, size);
    char *in = fuzz_copy(data, size);
    if (!in)
        abort();
    ex_err e = {0};
    int rc = ex_block_open(d, in, size, &e);
    const void *rec, *rec2;
    size_t len, len2;
    if (rc != EX_OK) {
        if (rc != EX_EFORMAT || !e.msg[0])
            FUZZ_FAIL("a failure without EX_EFORMAT and a reason");
        if (ex_block_count(d) != 0 || ex_block_get(d, 0, &rec, &len) != EX_ERANGE)
            FUZZ_FAIL("a refused block left records behind");
        if (ex_block_open(d2, in, size, &e) != EX_EFORMAT)
            FUZZ_FAIL("opening is not deterministic");
        free(in);
        return 0;
    }
    size_t n = ex_block_count(d), total = 0;
    if (n == 0 || n > EX_BLOCK_MAX_RECORDS)
        FUZZ_FAIL("an opened block with a record count out of range");
    if (ex_block_open(d2, in, size, &e) != EX_OK || ex_block_count(d2) != n)
        FUZZ_FAIL("opening is not deterministic");
    const void **recs = malloc(n * sizeof *recs);
    size_t *lens = malloc(n * sizeof *lens);
    if (!recs || !lens)
        abort();
    const char *end = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ex_block_get(d, i, &rec, &len) != EX_OK || ex_block_get(d2, i, &rec2, &len2) != EX_OK)
            FUZZ_FAIL("a record in range cannot be read");
        if (len != len2 || (len && memcmp(rec, rec2, len) != 0))
            FUZZ_FAIL("two decoders read different records");
        if (end && (const char *)rec != end)
            FUZZ_FAIL("records do not lie end to end");
        end = (const char *)rec + len;
        total += len;
        recs[i] = rec;
        lens[i] = len;
    }
    if (total > EX_BLOCK_MAX_BYTES || ex_block_get(d, n, &rec, &len) != EX_ERANGE)
        FUZZ_FAIL("records past the limit or past the last");
    ex_buf b = {0};
    if (ex_block_enc_build(enc, recs, lens, n, 1, &b) != EX_OK)
        FUZZ_FAIL("cannot build a block of what was read");
    if (ex_block_open(d2, b.data, b.len, &e) != EX_OK || ex_block_count(d2) != n)
        FUZZ_FAIL("a rebuilt block does not open");
    for (size_t i = 0; i < n; i++)
        if (ex_block_get(d2, i, &rec2, &len2) != EX_OK || len2 != lens[i] ||
            (len2 && memcmp(rec2, recs[i], len2) != 0))
            FUZZ_FAIL("a rebuilt block does not round-trip");
    ex_buf_free(&b);
    free(recs);
    free(lens);
    free(in);
    return 0;
}
