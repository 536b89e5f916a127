/* test_iscc.c - ISCC Text-Code v0 (src/dedup/iscc.h): every gen_text_code_v0 vector of the
 * shared iscc-core conformance data (code and characters), the MinHash constants against the
 * shared .tsv, decoding (every unit code of the data round-trips, composites and malformed
 * codes are refused with a reason), the 64-bit Text-Code value, Hamming distance, and the
 * collapse steps where Python's string functions had to be matched by hand (final sigma,
 * white space, invalid UTF-8), with expected values from a Python run of iscc-core's steps.
 *
 *   test_iscc DIR     DIR is shared/vectors/iscc (data.json, minhash-constants.tsv) */
#include <inttypes.h>
#include <jansson.h>

#include "dedup/iscc.h"
#include "t.h"

static const char *dir;

static json_t *
load_data(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data.json", dir);
    json_error_t je;
    json_t *d = json_load_file(path, 0, &je);
    if (!d)
        fprintf(stderr, "test_iscc: cannot read '%s': %s\n", path, je.text);
    return d;
}

/* the constants, line by line against the .tsv (comment lines start with '#') */
static void
test_constants(void)
{
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/minhash-constants.tsv", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    unsigned rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        unsigned i;
        uint64_t a, b;
        CHECK(sscanf(line, "%u\t%" SCNu64 "\t%" SCNu64, &i, &a, &b) == 3);
        CHECK(i == rows && i < EX_ISCC_PERMS);
        if (i < EX_ISCC_PERMS)
            CHECK(ex_iscc_mpa[i] == a && ex_iscc_mpb[i] == b);
        rows++;
    }
    fclose(f);
    CHECK(rows == EX_ISCC_PERMS);
}

/* every gen_text_code_v0 vector; its code decodes back to the digest */
static void
test_vectors(json_t *data)
{
    json_t *tests = json_object_get(data, "gen_text_code_v0");
    CHECK(json_object_size(tests) >= 5);
    const char *name;
    json_t *t;
    json_object_foreach(tests, name, t) {
        json_t *in = json_object_get(t, "inputs"), *out = json_object_get(t, "outputs");
        const char *text = json_string_value(json_array_get(in, 0));
        json_int_t bits = json_integer_value(json_array_get(in, 1));
        const char *want = json_string_value(json_object_get(out, "iscc"));
        json_int_t chars = json_integer_value(json_object_get(out, "characters"));
        CHECK(text && want && bits >= 64);
        if (!text || !want)
            continue;
        char code[EX_ISCC_CODE_MAX];
        uint8_t d[EX_ISCC_DIGEST_BYTES], back[EX_ISCC_DIGEST_BYTES];
        size_t n = 0;
        CHECK_RC(ex_iscc_text_code(text, json_string_length(json_array_get(in, 0)),
                                   (unsigned)bits, code, sizeof code, d, &n),
                 EX_OK);
        CHECK_STR(code, want);
        CHECK((json_int_t)n == chars);
        if ((json_int_t)n != chars)
            fprintf(stderr, "  %s: %zu characters, want %" JSON_INTEGER_FORMAT "\n", name, n,
                    chars);
        unsigned mt = 9, st = 9, ver = 9, b = 0;
        CHECK_RC(ex_iscc_decode(code, &mt, &st, &ver, &b, back, NULL), EX_OK);
        CHECK(mt == EX_ISCC_MT_CONTENT && st == EX_ISCC_ST_TEXT && ver == 0 && b == bits);
        CHECK(memcmp(d, back, sizeof d) == 0);
        /* shorter codes are prefixes of the same soft hash */
        char code64[EX_ISCC_CODE_MAX];
        uint8_t d64[EX_ISCC_DIGEST_BYTES];
        CHECK_RC(ex_iscc_text_code(text, strlen(text), 64, code64, sizeof code64, d64, NULL),
                 EX_OK);
        CHECK(memcmp(d64, d, 8) == 0);
    }
}

/* every unit code in the data decodes and encodes back to itself; ISCC-CODEs are refused */
static void
test_decode_data(json_t *data)
{
    const char *fn;
    json_t *tests;
    unsigned units = 0, composites = 0;
    json_object_foreach(data, fn, tests) {
        const char *name;
        json_t *t;
        json_object_foreach(tests, name, t) {
            const char *code = json_string_value(json_object_get(json_object_get(t, "outputs"),
                                                                 "iscc"));
            if (!code)
                continue;
            unsigned mt, st, ver, bits;
            uint8_t d[EX_ISCC_DIGEST_BYTES];
            ex_err e = {0};
            if (strcmp(fn, "gen_iscc_code_v0") == 0) {
                CHECK_RC(ex_iscc_decode(code, &mt, &st, &ver, &bits, d, &e), EX_EFORMAT);
                CHECK(strstr(e.msg, "ISCC-CODE") != NULL);
                composites++;
                continue;
            }
            CHECK_RC(ex_iscc_decode(code, &mt, &st, &ver, &bits, d, &e), EX_OK);
            char again[EX_ISCC_CODE_MAX];
            CHECK_RC(ex_iscc_encode(mt, st, ver, bits, d, again, sizeof again), EX_OK);
            CHECK_STR(again, code);
            units++;
        }
    }
    CHECK(units >= 40 && composites >= 4);
}

static void
refused(const char *code, const char *why)
{
    unsigned mt = 77;
    ex_err e = {0};
    CHECK_RC(ex_iscc_decode(code, &mt, NULL, NULL, NULL, NULL, &e), EX_EFORMAT);
    CHECK(mt == 77); /* untouched */
    CHECK(e.code == EX_EFORMAT && strstr(e.msg, why) != NULL);
    if (!strstr(e.msg, why))
        fprintf(stderr, "  '%s': message \"%s\", want \"%s\" in it\n", code, e.msg, why);
}

static void
text64_refused(const char *code, const char *why)
{
    uint64_t v = 7;
    ex_err e = {0};
    CHECK_RC(ex_iscc_text64(code, &v, &e), EX_EFORMAT);
    CHECK(v == 7 && strstr(e.msg, why) != NULL);
    if (!strstr(e.msg, why))
        fprintf(stderr, "  '%s': message \"%s\", want \"%s\" in it\n", code, e.msg, why);
}

static void
test_decode(void)
{
    /* "Hello World": header 20 01, digest 250db96e0d4a17a0 (Python's base32 decode) */
    uint64_t v = 0, w = 0;
    CHECK_RC(ex_iscc_text64("ISCC:EAASKDNZNYGUUF5A", &v, NULL), EX_OK);
    CHECK(v == UINT64_C(0x250db96e0d4a17a0));
    CHECK_RC(ex_iscc_text64("EAASKDNZNYGUUF5A", &w, NULL), EX_OK);
    CHECK(w == v);
    CHECK_RC(ex_iscc_text64("iscc:eaaskdnznyguuf5a", &w, NULL), EX_OK);
    CHECK(w == v);
    /* a 256-bit code gives the same first 64 bits */
    CHECK_RC(ex_iscc_text64("ISCC:EADSKDNZNYGUUF5AMFEJLZ5P66CP5YKCOA3X7F36RWE4CIRCBTUWXYY", &w,
                            NULL),
             EX_OK);
    CHECK(w == v);
    CHECK_RC(ex_iscc_decode(NULL, NULL, NULL, NULL, NULL, NULL, NULL), EX_EINVAL);

    refused("", "empty");
    refused("ISCC:", "empty");
    refused("ISCC:EAASKDNZNYGUUF5!", "character 16 is not base32");
    refused("ISCC:EAASKDNZ NYGUUF5A", "character 9 is not base32");
    refused("ISCC:EAASKDNZNYGUUF5A=", "character 17 is not base32"); /* no padding */
    refused("ISCC:EAASKDNZNYGUUF5A==", "character 17 is not base32");
    refused("EAASKDNZNYGUUF5AB", "not a whole number of bytes"); /* 17 characters */
    refused("EAASKDNZNYGUUF5", "nonzero padding bits");        /* 15: 9 bytes and 3 bits */
    refused("EAASKDNZNYGUU", "the header says 64 bits, but 6 bytes follow"); /* truncated */
    refused("EAASKDNZNYGUUF5AAA", "the header says 64 bits, but 9 bytes follow");
    refused("EA", "the header does not decode");
    refused("7777777777777777", "the header does not decode"); /* a 1111 nibble */
    refused("ISCC:KACYPXW445FTYNJ3CYSXHAFJMA2HUWULUNRFE3BLHRSCXYH2M5AEGQY", "an ISCC-CODE");
    refused("MAAAAAAAAAAAAAAA", "an ISCC-ID");
    refused("EAEHAAAAAAAAAAAAAA", "more than 256"); /* length 15: 512 bits */
    refused("ISCC:EAASKDNZNYGUUF5AEAASKDNZNYGUUF5AEAASKDNZNYGUUF5AEAASKDNZNYGUUF5AA",
            "longer than any ISCC unit");

    /* decoded fine, but not a 64-bit Text-Code */
    text64_refused("ISCC:GAASL4F2WZY7KBXB", "main type DATA, not CONTENT");
    text64_refused("ISCC:AAAZXZ6OU74YAZIM", "main type META, not CONTENT");
    text64_refused("ISCC:EEAQAAAAAAAAAAAA", "subtype 1, not TEXT");
    text64_refused("ISCC:EAASKDNZNYGUUF5", "nonzero padding bits");
    uint8_t d[EX_ISCC_DIGEST_BYTES] = {0x25, 0x0d, 0xb9, 0x6e};
    char c[EX_ISCC_CODE_MAX];
    CHECK_RC(ex_iscc_encode(2, 0, 0, 32, d, c, sizeof c), EX_OK);
    text64_refused(c, "32 bits, fewer than 64");
    CHECK_RC(ex_iscc_encode(2, 0, 1, 64, d, c, sizeof c), EX_OK);
    text64_refused(c, "version 1, not 0");
    /* varnibbles over a nibble round-trip */
    unsigned mt, st, ver, bits;
    uint8_t back[EX_ISCC_DIGEST_BYTES];
    CHECK_RC(ex_iscc_encode(3, 9, 600, 96, d, c, sizeof c), EX_OK);
    CHECK_RC(ex_iscc_decode(c, &mt, &st, &ver, &bits, back, NULL), EX_OK);
    CHECK(mt == 3 && st == 9 && ver == 600 && bits == 96 && memcmp(back, d, 12) == 0);
    CHECK_RC(ex_iscc_encode(5, 0, 0, 64, d, c, sizeof c), EX_EINVAL);
    CHECK_RC(ex_iscc_encode(2, 0, 0, 64, d, c, 21), EX_EINVAL);
}

static void
test_hamming(void)
{
    CHECK(ex_iscc_hamming(0, 0) == 0);
    CHECK(ex_iscc_hamming(UINT64_MAX, 0) == 64);
    CHECK(ex_iscc_hamming(UINT64_C(0x250db96e0d4a17a0), UINT64_C(0x250db96e0d4a17a1)) == 1);
    CHECK(ex_iscc_hamming(UINT64_C(0xF0), UINT64_C(0x0F)) == 8);
    CHECK(ex_iscc_hamming(UINT64_C(1) << 63, 1) == 2);
}

static void
collapses_to(const char *in, size_t len, const char *want, size_t chars)
{
    ex_buf b = {0};
    size_t n = 0;
    CHECK_RC(ex_iscc_collapse(in, len, &b, &n), EX_OK);
    CHECK_STR(b.data, want);
    CHECK(n == chars);
    ex_buf_free(&b);
}

/* expected values from Python 3.11 running iscc-core's collapse_text and gen_text_code_v0 */
static void
test_collapse(void)
{
    /* final sigma: before '.', at the end, before a NUL; not when letters follow once the
     * white space is gone */
    const char *greek = "\xce\x9f\xce\x94\xce\x9f\xce\xa3. \xce\x9a\xce\x91\xce\x99 "
                        "\xce\x9f\xce\x94\xce\x9f\xce\xa3"; /* "ΟΔΟΣ. ΚΑΙ ΟΔΟΣ" */
    collapses_to(greek, strlen(greek),
                 "\xce\xbf\xce\xb4\xce\xbf\xcf\x83\xce\xba\xce\xb1\xce\xb9\xce\xbf\xce\xb4\xce\xbf"
                 "\xcf\x82",
                 11);
    collapses_to("\xce\x91\xce\xa3\0\xce\x92", 7, "\xce\xb1\xcf\x82\xce\xb2", 3); /* "ΑΣ\0Β" */
    char code[EX_ISCC_CODE_MAX];
    CHECK_RC(ex_iscc_text_code(greek, strlen(greek), 64, code, sizeof code, NULL, NULL), EX_OK);
    CHECK_STR(code, "ISCC:EAA6YMS4ZV3U5NHN");
    /* Python white space (no-break space, line separator) goes; U+00A8 survives the filter (Sk)
     * and NFKC, applied last, makes it a space and a mark */
    const char *ws = "Hello,\xc2\xa0World!\xe2\x80\xa8 \xc2\xa8";
    collapses_to(ws, strlen(ws), "helloworld \xcc\x88", 12);
    /* NFKC brings punctuation back; accents and U+0130's dot go with the marks */
    const char *nfkc = "\xe2\x91\xb4 \xef\xac\x81ne \xef\xbc\xa6ull"; /* "⑴ ﬁne Ｆull" */
    collapses_to(nfkc, strlen(nfkc), "(1)finefull", 11);
    collapses_to("e\xcc\x81t\xc3\xa9\xc4\xb0", 8, "etei", 4);
    /* invalid UTF-8: one U+FFFD per maximal invalid sequence, as bytes.decode("utf-8",
     * "replace"); \xff and \xf0\x90\x80 are two of them */
    const char *bad = "caf\xc3 \xe2\x82 au lait\xff\xf0\x90\x80!";
    size_t n = 0;
    CHECK_RC(ex_iscc_text_code(bad, strlen(bad), 64, code, sizeof code, NULL, &n), EX_OK);
    CHECK_STR(code, "ISCC:EAAZS55UEMX4XCCW");
    CHECK(n == 13);
    collapses_to(bad, strlen(bad),
                 "caf\xef\xbf\xbd\xef\xbf\xbd" "aulait\xef\xbf\xbd\xef\xbf\xbd", 13);
    /* the empty text, also as NULL */
    CHECK_RC(ex_iscc_text_code(NULL, 0, 64, code, sizeof code, NULL, &n), EX_OK);
    CHECK_STR(code, "ISCC:EAASL4F2WZY7KBXB");
    CHECK(n == 0);
}

static void
test_arguments(void)
{
    char code[EX_ISCC_CODE_MAX] = "untouched";
    size_t n = 99;
    static const unsigned bad_bits[] = {0, 32, 63, 65, 100, 288, 512};
    for (size_t i = 0; i < sizeof bad_bits / sizeof bad_bits[0]; i++)
        CHECK_RC(ex_iscc_text_code("x", 1, bad_bits[i], code, sizeof code, NULL, &n), EX_EINVAL);
    CHECK_RC(ex_iscc_text_code(NULL, 1, 64, code, sizeof code, NULL, &n), EX_EINVAL);
    /* "ISCC:" and 16 characters and a NUL for 64 bits; 55 characters for 256 */
    CHECK_RC(ex_iscc_text_code("x", 1, 64, code, 21, NULL, &n), EX_EINVAL);
    CHECK_RC(ex_iscc_text_code("x", 1, 256, code, 60, NULL, &n), EX_EINVAL);
    CHECK_STR(code, "untouched");
    CHECK(n == 99);
    CHECK_RC(ex_iscc_text_code("x", 1, 64, code, 22, NULL, &n), EX_OK);
    CHECK(strlen(code) == 21 && n == 1);
    CHECK_RC(ex_iscc_text_code("x", 1, 256, code, 61, NULL, &n), EX_OK);
    CHECK(strlen(code) == 60);
    /* every allowed length: the header's length nibble, and the code decodes to it */
    for (unsigned bits = 64; bits <= 256; bits += 32) {
        unsigned b = 0;
        CHECK_RC(ex_iscc_text_code("x", 1, bits, code, sizeof code, NULL, NULL), EX_OK);
        CHECK_RC(ex_iscc_decode(code, NULL, NULL, NULL, &b, NULL, NULL), EX_OK);
        CHECK(b == bits);
    }
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_iscc DIR (shared/vectors/iscc)\n");
        return 2;
    }
    dir = argv[1];
    json_t *data = load_data();
    if (!data)
        return 1; /* a missing vector file fails the test: it never skips */
    test_constants();
    test_vectors(data);
    test_decode_data(data);
    test_decode();
    test_hamming();
    test_collapse();
    test_arguments();
    json_decref(data);
    return t_done("test_iscc");
}
