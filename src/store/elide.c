/* elide.c - a paired decision's provenance left out of its block (elide.h). */
#include "store/elide.h"

#include <string.h>

#define KEY "\"provenance\":\"sha256:"
#define KEY_LEN (sizeof KEY - 1)

static int
hex_sha256(ex_sha256 *h, const void *p, size_t n, char out[64])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t d[EX_HASH_BYTES];
    int rc = ex_sha256_digest(h, p, n, d);
    for (int i = 0; rc == EX_OK && i < EX_HASH_BYTES; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    return rc;
}

/* the only occurrence of KEY in dec, or NULL (none, or more than one) */
static const char *
only_key(const char *dec, size_t dlen)
{
    const char *k = dlen >= KEY_LEN ? memmem(dec, dlen, KEY, KEY_LEN) : NULL;
    if (!k)
        return NULL;
    size_t after = (size_t)(k - dec) + KEY_LEN;
    return memmem(k + KEY_LEN, dlen - after, KEY, KEY_LEN) ? NULL : k;
}

int
ex_elide_put(ex_sha256 *hs, const void *item, size_t ilen, const void *dec, size_t dlen,
             ex_buf *out)
{
    const char *d = dec, *k = only_key(d, dlen);
    size_t at = k ? (size_t)(k - d) + KEY_LEN : 0;
    char h[64];
    if (k && dlen - at >= 65 && d[at + 64] == '"') {
        if (hex_sha256(hs, item, ilen, h) != EX_OK)
            return EX_ECRYPTO;
        if (memcmp(d + at, h, 64) == 0)
            return ex_buf_put(out, d, at) == EX_OK && ex_buf_put(out, d + at + 64, dlen - at - 64) == EX_OK
                       ? EX_OK
                       : EX_ENOMEM;
    }
    return ex_buf_put(out, d, dlen);
}

int
ex_elide_get(ex_sha256 *hs, const void *item, size_t ilen, const void *dec, size_t dlen,
             ex_buf *out, const void **rec, size_t *rlen)
{
    const char *d = dec, *k = only_key(d, dlen);
    size_t at = k ? (size_t)(k - d) + KEY_LEN : 0;
    *rec = dec;
    *rlen = dlen;
    if (!k || at >= dlen || d[at] != '"')
        return EX_OK;
    char h[64];
    if (hex_sha256(hs, item, ilen, h) != EX_OK)
        return EX_ECRYPTO;
    out->len = 0;
    if (ex_buf_put(out, d, at) != EX_OK || ex_buf_put(out, h, 64) != EX_OK ||
        ex_buf_put(out, d + at, dlen - at) != EX_OK)
        return EX_ENOMEM;
    *rec = out->data;
    *rlen = out->len;
    return EX_OK;
}
