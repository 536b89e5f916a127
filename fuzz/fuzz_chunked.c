/* fuzz_chunked.c - the chunked transfer decoder (ex_chunked_step, ex_chunked_finish).
 *
 * The input is decoded in one piece, then in pieces of 1 to 8 bytes (the first input byte
 * chooses the pattern). Invariants: every step consumes bytes and reports data inside what it
 * consumed; both decodings give the same bytes and the same result, and fail at the same body
 * offset; the data is never longer than the input. */
#include "fuzz_common.h"
#include "ingest/http.h"

static int
decode(const uint8_t *p, size_t n, unsigned pattern, uint8_t *out, size_t *out_len, ex_err *e)
{
    ex_chunked c;
    ex_chunked_init(&c);
    *out_len = 0;
    size_t off = 0, i = 0;
    while (off < n) {
        size_t piece = pattern ? 1 + ((pattern >> (i++ % 8)) & 7) : n;
        if (piece > n - off)
            piece = n - off;
        while (piece > 0) {
            size_t used, doff, dlen;
            int rc = ex_chunked_step(&c, p + off, piece, &used, &doff, &dlen, e);
            if (rc != EX_OK)
                return rc;
            if (used == 0 || used > piece || doff > used || dlen > used - doff)
                FUZZ_FAIL("step reports bytes outside what it consumed");
            memcpy(out + *out_len, p + off + doff, dlen);
            *out_len += dlen;
            off += used, piece -= used;
        }
    }
    return ex_chunked_finish(&c, e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_copy(data, size);
    uint8_t *a = malloc(size + 1), *b = malloc(size + 1);
    if (!copy || !a || !b)
        goto out;
    const uint8_t *p = (const uint8_t *)copy;
    size_t na, nb;
    ex_err ea = {0}, eb = {0};
    unsigned pattern = size ? data[0] | 1u : 1u;
    int ra = decode(p, size, 0, a, &na, &ea);
    int rb = decode(p, size, pattern, b, &nb, &eb);
    if (ra != rb || na > size)
        FUZZ_FAIL("piecewise decoding disagrees");
    if (ra == EX_OK && (na != nb || memcmp(a, b, na) != 0))
        FUZZ_FAIL("piecewise decoding gives other bytes");
    if (ra != EX_OK && strcmp(ea.msg, eb.msg) != 0)
        FUZZ_FAIL("piecewise decoding fails elsewhere");
out:
    free(copy), free(a), free(b);
    return 0;
}
