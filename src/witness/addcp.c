/* addcp.c - the body of a C2SP tlog-witness add-checkpoint request: "old N\n", zero to 63
 * base64 consistency proof lines, an empty line, then the checkpoint note. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

#define BODY_MAX (1u << 20) /* a checkpoint note is at most 1 MiB; the rest is small */

/* the decimal of s[0..n): no sign, no leading zero (but "0"), at most 2^64-1 */
static int
decimal(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int
ex_addcp_parse(const char *body, size_t len, ex_addcp *out, ex_err *err)
{
    if (len > BODY_MAX)
        return ex_fail(err, EX_EFORMAT, "request is larger than %u bytes", BODY_MAX);
    const char *p = body, *end = body + len;
    const char *nl = memchr(p, '\n', len);
    ex_addcp r;
    memset(&r, 0, sizeof r);
    if (!nl || nl - p < 4 || memcmp(p, "old ", 4) != 0 ||
        !decimal(p + 4, (size_t)(nl - p - 4), &r.old))
        return ex_fail(err, EX_EFORMAT,
                       "request line 1 is not 'old SIZE' (decimal, no leading "
                       "zeros)");
    p = nl + 1;
    for (unsigned line = 2;; line++) {
        if (p == end || !(nl = memchr(p, '\n', (size_t)(end - p))))
            return ex_fail(err, EX_EFORMAT,
                           "request line %u: no empty line before the "
                           "checkpoint",
                           line);
        if (nl == p)
            break;
        size_t hl;
        if (r.n == EX_COSIG_MAX_PROOF)
            return ex_fail(err, EX_EFORMAT, "request has more than %d proof lines",
                           EX_COSIG_MAX_PROOF);
        if (ex_b64_decode(p, (size_t)(nl - p), r.proof[r.n], EX_HASH_BYTES, &hl) != EX_OK ||
            hl != EX_HASH_BYTES)
            return ex_fail(err, EX_EFORMAT, "request line %u is not base64 of a 32-byte hash",
                           line);
        r.n++;
        p = nl + 1;
    }
    r.note = nl + 1;
    r.note_len = (size_t)(end - r.note);
    if (r.note_len == 0)
        return ex_fail(err, EX_EFORMAT, "request has no checkpoint after its empty line");
    *out = r;
    return EX_OK;
}

int
ex_addcp_format(uint64_t old, const uint8_t (*proof)[EX_HASH_BYTES], size_t n, const char *note,
                size_t note_len, char **out, size_t *len)
{
    if (n > EX_COSIG_MAX_PROOF)
        return EX_EINVAL;
    ex_buf b = {0};
    int rc = ex_buf_printf(&b, "old %llu\n", (unsigned long long)old);
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        char h[48];
        size_t hl = ex_b64_encode(proof[i], EX_HASH_BYTES, h);
        h[hl] = '\n';
        rc = ex_buf_put(&b, h, hl + 1);
    }
    if (rc == EX_OK)
        rc = ex_buf_putc(&b, '\n');
    if (rc == EX_OK)
        rc = ex_buf_put(&b, note, note_len);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return rc;
    }
    *out = ex_buf_take(&b, len);
    return EX_OK;
}
