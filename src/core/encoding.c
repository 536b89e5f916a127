/* encoding.c - hex, base64 (OpenSSL's codec behind a strict canonical check), digests. */
#include "core.h"

#include <string.h>

#include <openssl/evp.h>

void
ex_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int
hexval(char c)
{
    /* a digit's value plus one, 0 for anything else: no branch per digit (digests are parsed
     * by the million, and random digits mispredict) */
    static const uint8_t v[256] = {
        ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,
        ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
        ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
        ['F'] = 16};
    return (int)v[(unsigned char)c] - 1;
}

int
ex_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t len)
{
    if (in_len != 2 * len)
        return EX_EFORMAT;
    int bad = 0;
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        bad |= hi | lo; /* negative once either is not a digit */
        out[i] = (uint8_t)((unsigned)hi << 4 | (unsigned)lo); /* garbage when bad: refused */
    }
    return bad < 0 ? EX_EFORMAT : EX_OK;
}

size_t
ex_b64_encode(const uint8_t *in, size_t len, char *out)
{
    if (len == 0) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static int
b64char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

int
ex_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    /* EVP_DecodeBlock accepts whitespace and non-canonical trailing bits, so a proof could
     * be altered without changing its meaning; we check the alphabet and padding here and
     * require the decoded bytes to re-encode to the same text. */
    if (in_len % 4 != 0 || in_len > (size_t)1 << 30)
        return EX_EFORMAT;
    if (in_len == 0) {
        *out_len = 0;
        return EX_OK;
    }
    size_t pad = 0;
    if (in[in_len - 1] == '=')
        pad = in[in_len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < in_len - pad; i++)
        if (!b64char((unsigned char)in[i]))
            return EX_EFORMAT;
    size_t n = in_len / 4 * 3 - pad;
    if (n > cap)
        return EX_ETOOBIG;
    unsigned char tmp[4];
    if (cap < in_len / 4 * 3) {
        /* EVP_DecodeBlock writes whole groups, padding included; decode the tail apart. */
        size_t head = in_len - 4;
        if (head && EVP_DecodeBlock(out, (const unsigned char *)in, (int)head) < 0)
            return EX_EFORMAT;
        if (EVP_DecodeBlock(tmp, (const unsigned char *)in + head, 4) < 0)
            return EX_EFORMAT;
        memcpy(out + head / 4 * 3, tmp, 3 - pad);
    } else if (EVP_DecodeBlock(out, (const unsigned char *)in, (int)in_len) < 0) {
        return EX_EFORMAT;
    }
    /* canonical: unused bits of the last group must be zero */
    char last[4];
    unsigned char grp[3] = {0, 0, 0};
    memcpy(grp, out + (n - (3 - pad)), 3 - pad);
    EVP_EncodeBlock((unsigned char *)last, grp, (int)(3 - pad));
    if (memcmp(last, in + in_len - 4, 4) != 0)
        return EX_EFORMAT;
    *out_len = n;
    return EX_OK;
}

void
ex_digest_format(const uint8_t d[EX_HASH_BYTES], char out[EX_DIGEST_STR_BYTES])
{
    memcpy(out, "sha256:", 7);
    ex_hex_encode(d, EX_HASH_BYTES, out + 7);
}

int
ex_digest_parse(const char *s, uint8_t d[EX_HASH_BYTES])
{
    if (strncmp(s, "sha256:", 7) != 0)
        return EX_EFORMAT;
    return ex_hex_decode(s + 7, strlen(s + 7), d, EX_HASH_BYTES);
}
