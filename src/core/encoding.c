/* encoding.c - hex, base64 (OpenSSL's encoder; a strict canonical decoder of our own), digests. */
#include "core.h"

#include <stdlib.h>
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

/* each base64 digit's value plus one, 0 for anything else ('=' included): a table, as for hex
 * digits, because proofs are read by the hundred thousand and every hash in them is base64 */
static const uint8_t B64V[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
    ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
    ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
    ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
    ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
    ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
    ['/'] = 64};

/* digit i of s: its value, or 0xff when it is not a digit (bit 7 set: see `bad` below) */
static unsigned
b64v(const unsigned char *s, size_t i)
{
    return (uint8_t)(B64V[s[i]] - 1);
}

int
ex_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    /* One spelling per byte string, so that a proof cannot be altered without changing its
     * meaning: the alphabet only, no whitespace, padding to a multiple of 4, and the bits of
     * the last group that no byte uses zero (decoders such as OpenSSL's accept all of those). */
    if (in_len % 4 != 0 || in_len > (size_t)1 << 30)
        return EX_EFORMAT;
    const unsigned char *s = (const unsigned char *)in;
    size_t pad = 0;
    if (in_len && s[in_len - 1] == '=')
        pad = s[in_len - 2] == '=' ? 2 : 1;
    size_t n = in_len / 4 * 3 - pad, full = in_len / 4 - (pad != 0);
    unsigned bad = 0; /* the digits ORed: bit 7 once any was not a digit */
    if (n > cap) {
        for (size_t i = 0; i < in_len - pad; i++)
            bad |= b64v(s, i);
        return bad & 0x80 ? EX_EFORMAT : EX_ETOOBIG;
    }
    /* one pass, no branch per digit: out holds garbage when bad, and the call fails */
    for (size_t g = 0; g < full; g++, s += 4, out += 3) {
        unsigned a = b64v(s, 0), b = b64v(s, 1), c = b64v(s, 2), d = b64v(s, 3);
        bad |= a | b | c | d;
        uint32_t v = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 |
                     (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
        out[0] = (uint8_t)(v >> 16);
        out[1] = (uint8_t)(v >> 8);
        out[2] = (uint8_t)v;
    }
    if (pad) { /* the last group: 2 digits and "==" for 1 byte, 3 and "=" for 2 */
        unsigned a = b64v(s, 0), b = b64v(s, 1), c = pad == 1 ? b64v(s, 2) : 0;
        bad |= a | b | c;
        if (bad & 0x80 || (pad == 2 ? b & 15 : c & 3))
            return EX_EFORMAT;
        out[0] = (uint8_t)(a << 2 | b >> 4);
        if (pad == 1)
            out[1] = (uint8_t)(b << 4 | c >> 2);
    }
    if (bad & 0x80)
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

int
ex_form_value_dup(const char *body, size_t len, const char *name, char **out, size_t *olen)
{
    size_t nl = strlen(name);
    *out = NULL;
    *olen = 0;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > nl && memcmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
            char *v = malloc(end - i - nl);
            size_t o = 0;
            if (!v)
                return EX_ENOMEM;
            for (size_t k = i + nl + 1; k < end; k++) {
                uint8_t byte;
                if (body[k] == '+') {
                    v[o++] = ' ';
                } else if (body[k] == '%' && k + 2 < end &&
                           ex_hex_decode(body + k + 1, 2, &byte, 1) == EX_OK) {
                    v[o++] = (char)byte;
                    k += 2;
                } else {
                    v[o++] = body[k];
                }
            }
            v[o] = 0;
            *out = v;
            *olen = o;
            return EX_OK;
        }
        i = end + 1;
    }
    return EX_ENOTFOUND;
}
