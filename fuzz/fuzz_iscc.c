/* fuzz_iscc.c - the ISCC Text-Code (src/dedup/iscc.h) on arbitrary bytes, invalid UTF-8
 * included, as ingested text and `exante iscc` files are; and the decoder on the same bytes as
 * a string, as opt-outs and command lines give codes.
 *
 * Invariants: the text code never fails, is deterministic, decodes to CONTENT / TEXT v0 of the
 * asked length with the same digest, which is a prefix of the 256-bit one, and whose first 64
 * bits are ex_iscc_text64's value; the collapsed text is valid UTF-8 of `characters` code
 * points; and the fast paths (collapse, soft hash in each implementation) give what the
 * reference steps give. The decoder answers EX_OK or EX_EFORMAT with a reason and untouched
 * outputs; what it accepts is a unit of 32..256 bits, zeros after the digest, that encodes
 * back to the input (prefix dropped, upper case), and ex_iscc_text64 accepts exactly its
 * 64-bit-or-longer CONTENT / TEXT v0 codes. */
#include "fuzz_common.h"
#include "dedup/iscc.h"

#include <ctype.h>
#include <strings.h>

static void
text_code(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    unsigned bits = 64 + 32 * (unsigned)(size % 7);
    char code[EX_ISCC_CODE_MAX], again[EX_ISCC_CODE_MAX], full[EX_ISCC_CODE_MAX];
    uint8_t d[EX_ISCC_DIGEST_BYTES], d2[EX_ISCC_DIGEST_BYTES], d256[EX_ISCC_DIGEST_BYTES];
    size_t chars = 0, chars2 = 0;
    if (ex_iscc_text_code(text, size, bits, code, sizeof code, d, &chars) != EX_OK ||
        ex_iscc_text_code(text, size, bits, again, sizeof again, d2, &chars2) != EX_OK ||
        ex_iscc_text_code(text, size, 256, full, sizeof full, d256, NULL) != EX_OK)
        FUZZ_FAIL("the text code failed");
    if (strcmp(code, again) != 0 || memcmp(d, d2, sizeof d) != 0 || chars != chars2)
        FUZZ_FAIL("the text code is not deterministic");
    if (memcmp(d, d256, bits / 8) != 0)
        FUZZ_FAIL("a shorter code is not a prefix of the 256-bit soft hash");
    for (unsigned i = bits / 8; i < EX_ISCC_DIGEST_BYTES; i++)
        if (d[i] != 0)
            FUZZ_FAIL("digest bytes past the code's length are not zero");
    unsigned mt, st, ver, b;
    uint8_t back[EX_ISCC_DIGEST_BYTES];
    uint64_t v = 0, want = 0;
    if (ex_iscc_decode(code, &mt, &st, &ver, &b, back, NULL) != EX_OK || mt != 2 || st != 0 ||
        ver != 0 || b != bits || memcmp(back, d, sizeof d) != 0)
        FUZZ_FAIL("the code does not decode to its own text code");
    for (int i = 0; i < 8; i++)
        want = want << 8 | d[i];
    if (ex_iscc_text64(code, &v, NULL) != EX_OK || v != want)
        FUZZ_FAIL("the 64-bit value is not the digest's first 8 bytes");
    ex_buf c = {0};
    size_t n = 0;
    if (ex_iscc_collapse(text, size, &c, &n) != EX_OK || n != chars)
        FUZZ_FAIL("collapsing again gives another number of characters");
    if (!ex_utf8_valid(c.data, c.len))
        FUZZ_FAIL("the collapsed text is not valid UTF-8");
    size_t cps = 0;
    for (size_t i = 0; i < c.len; i++)
        cps += ((unsigned char)c.data[i] & 0xC0) != 0x80;
    if (cps != chars)
        FUZZ_FAIL("characters is not the collapsed text's code points");
    /* the fast paths give what the reference steps give */
    ex_buf r = {0};
    size_t rn = 0;
    if (ex_iscc_collapse_ref(text, size, &r, &rn) != EX_OK || rn != n || r.len != c.len ||
        (c.len && memcmp(r.data, c.data, c.len) != 0))
        FUZZ_FAIL("the collapse differs from the reference");
    uint8_t ref[EX_ISCC_DIGEST_BYTES];
    ex_iscc_soft_hash(c.data, c.len, EX_ISCC_IMPL_REF, ref);
    if (memcmp(ref, d256, sizeof ref) != 0)
        FUZZ_FAIL("the soft hash differs from the reference");
    for (int impl = EX_ISCC_IMPL_PORTABLE; impl <= EX_ISCC_IMPL_AVX2; impl++) {
        ex_iscc_soft_hash(c.data, c.len, impl, d2);
        if (memcmp(ref, d2, sizeof ref) != 0)
            FUZZ_FAIL("a soft hash implementation differs from the reference");
    }
    ex_buf_free(&r);
    ex_buf_free(&c);
}

static void
decode(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1); /* exact size: ASan sees a read past the NUL */
    if (!s)
        return;
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    unsigned mt = 99, st = 99, ver = 99, bits = 99;
    uint8_t d[EX_ISCC_DIGEST_BYTES];
    memset(d, 0xAA, sizeof d);
    ex_err e = {0};
    int rc = ex_iscc_decode(s, &mt, &st, &ver, &bits, d, &e);
    uint64_t v = 1;
    ex_err e64 = {0};
    int rc64 = ex_iscc_text64(s, &v, &e64);
    if (rc != EX_OK) {
        if (rc != EX_EFORMAT || e.code != EX_EFORMAT || !e.msg[0])
            FUZZ_FAIL("a refused code without EX_EFORMAT and a reason");
        if (mt != 99 || st != 99 || ver != 99 || bits != 99 || d[0] != 0xAA)
            FUZZ_FAIL("outputs written on failure");
        if (rc64 != EX_EFORMAT || strcmp(e.msg, e64.msg) != 0 || v != 1)
            FUZZ_FAIL("text64 disagrees with the decoder");
        free(s);
        return;
    }
    if (bits < 32 || bits > EX_ISCC_BITS_MAX || bits % 32)
        FUZZ_FAIL("a digest length out of range");
    for (unsigned i = bits / 8; i < EX_ISCC_DIGEST_BYTES; i++)
        if (d[i] != 0)
            FUZZ_FAIL("digest bytes past its length are not zero");
    char code[EX_ISCC_CODE_MAX + 32];
    if (ex_iscc_encode(mt, st, ver, bits, d, code, sizeof code) != EX_OK)
        FUZZ_FAIL("a decoded unit does not encode");
    const char *in = strncasecmp(s, "ISCC:", 5) == 0 ? s + 5 : s;
    if (strcasecmp(code + 5, in) != 0)
        FUZZ_FAIL("a decoded unit encodes to another code");
    int text = mt == 2 && st == 0 && ver == 0 && bits >= 64;
    if (text != (rc64 == EX_OK) || (rc64 != EX_OK && (rc64 != EX_EFORMAT || !e64.msg[0])))
        FUZZ_FAIL("text64 accepts other than 64-bit-or-longer Text-Codes");
    uint64_t want = 0;
    for (int i = 0; i < 8; i++)
        want = want << 8 | d[i];
    if (text && v != want)
        FUZZ_FAIL("the 64-bit value is not the digest's first 8 bytes");
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    text_code(data, size);
    decode(data, size);
    return 0;
}
