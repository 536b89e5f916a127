/* test_iscc.c - ISCC Text-Code v0 (src/dedup/iscc.h): every gen_text_code_v0 vector of the
 * shared iscc-core conformance data (code and characters), the MinHash constants against the
 * shared .tsv, decoding (every unit code of the data round-trips, composites and malformed
 * codes are refused with a reason), the 64-bit Text-Code value, Hamming distance, and the
 * collapse steps where Python's string functions had to be matched by hand (final sigma,
 * white space, invalid UTF-8), with expected values from a Python run of iscc-core's steps.
 * Then the fast paths against the step-by-step references: the ASCII table against utf8proc's
 * categories, the Unicode facts the fast collapse rests on (over every code point), the
 * collapse of every code point between letters, the reduction mod 2^61 - 1 at its edges, the
 * MinHash kernels on features made to land at the filter's bounds, and 20,000 random texts
 * (ASCII, mixed, dense Unicode, invalid UTF-8, short and empty) through collapse, features,
 * soft hash and the Text-Code.
 *
 *   test_iscc DIR     DIR is shared/vectors/iscc (data.json, minhash-constants.tsv) */
#include <inttypes.h>
#include <jansson.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

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

/* ---- the fast paths against the references ------------------------------------------------ */


static unsigned
pick(unsigned n)
{
    return (unsigned)(t_rnd() % n);
}

/* the filter of step 5, as the general category says */
static int
filtered(int32_t c)
{
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: return 1;
    default: return 0;
    }
}

/* fast and reference collapse of text[0..len) agree; the collapsed text into *c (may be NULL) */
static int
same_collapse(const char *text, size_t len, ex_buf *c)
{
    ex_buf a = {0}, b = {0};
    size_t na = 0, nb = 1;
    int ra = ex_iscc_collapse(text, len, &a, &na), rb = ex_iscc_collapse_ref(text, len, &b, &nb);
    int same = ra == rb && na == nb && a.len == b.len &&
               (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
    if (!same) {
        fprintf(stderr, "  collapse differs on %zu bytes:", len);
        for (size_t i = 0; i < len && i < 64; i++)
            fprintf(stderr, " %02x", (unsigned char)text[i]);
        fprintf(stderr, "\n  fast (%d, %zu): %.*s\n  ref  (%d, %zu): %.*s\n", ra, na, (int)a.len,
                a.data ? a.data : "", rb, nb, (int)b.len, b.data ? b.data : "");
    }
    if (c) {
        ex_buf_free(c);
        *c = b;
    } else {
        ex_buf_free(&b);
    }
    ex_buf_free(&a);
    return same;
}

/* Every ASCII code point: the table's verdict against utf8proc's category and Python's white
 * space (what the reference drops), and the fast collapse against the reference alone and
 * between letters (so that NFKC could compose across it). */
static void
test_ascii_table(void)
{
    for (int b = 0; b < 128; b++) {
        char one = (char)b, three[3] = {'A', (char)b, 'z'};
        int space = (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x20);
        int kept = !space && !filtered(b);
        ex_buf c = {0};
        size_t n = 9;
        CHECK_RC(ex_iscc_collapse(&one, 1, &c, &n), EX_OK);
        CHECK(n == (size_t)kept && c.len == (size_t)kept);
        if (kept)
            CHECK((unsigned char)c.data[0] == utf8proc_tolower(b));
        /* the categories the table is built on: S, L and N stay, C and P go */
        if (kept)
            CHECK(strchr("$+<=>^`|~", b) || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') ||
                  (b >= 'A' && b <= 'Z'));
        /* NFD and NFKC leave it alone: no decomposition, combining class 0 */
        CHECK(utf8proc_get_property(b)->combining_class == 0);
        CHECK(utf8proc_get_property(b)->decomp_seqindex == UINT16_MAX);
        CHECK(ex_iscc_nfkc_inert(b));
        CHECK(same_collapse(&one, 1, NULL));
        CHECK(same_collapse(three, 3, NULL));
        ex_buf_free(&c);
    }
}

/* What the fast collapse relies on, over every code point of utf8proc's data. */
static void
test_unicode_facts(void)
{
    unsigned reordered = 0, inert = 0, seconds = 0, bad_ccc = 0, bad_inert = 0, bad_second = 0,
             bad_nfkc = 0, longest = 0;
    for (int32_t c = 0; c < 0x110000; c++) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        const utf8proc_property_t *p = utf8proc_get_property(c);
        /* NFD's reordering moves only code points the filter drops */
        if (p->combining_class) {
            reordered++;
            bad_ccc += !filtered(utf8proc_tolower(c));
        }
        int32_t d[32];
        int bound = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, &bound);
        if (k > (utf8proc_ssize_t)longest)
            longest = (unsigned)k;
        /* no kept inert code point ends a canonical decomposition: none is a second */
        if (k >= 2) {
            seconds++;
            bad_second += ex_iscc_nfkc_inert(d[k - 1]) && !filtered(d[k - 1]);
        }
        if (!ex_iscc_nfkc_inert(c) || filtered(c))
            continue;
        inert++;
        bad_inert += p->combining_class != 0 || p->decomp_seqindex != UINT16_MAX;
        /* and NFKC leaves it as it is, on its own and after an ASCII letter */
        uint8_t in[5] = {'e'}, *out = NULL;
        utf8proc_ssize_t n = utf8proc_encode_char(c, in + 1);
        utf8proc_ssize_t m =
            utf8proc_map(in, n + 1, &out, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
        bad_nfkc += m != n + 1 || memcmp(in, out, (size_t)m) != 0;
        free(out);
    }
    CHECK(reordered > 800 && bad_ccc == 0);
    CHECK(seconds > 1000 && bad_second == 0);
    CHECK(inert > 100000 && bad_inert == 0 && bad_nfkc == 0);
    CHECK(longest <= 8); /* collapse_run's buffer */
    if (bad_ccc || bad_second || bad_nfkc)
        fprintf(stderr, "  %u marks kept, %u inert seconds, %u inert changed by NFKC\n", bad_ccc,
                bad_second, bad_nfkc);
}

/* Every code point (and each invalid lead byte), alone and between ASCII letters: the fast
 * collapse against the reference. */
static void
test_every_code_point(void)
{
    unsigned bad = 0;
    for (int32_t c = 0x80; c < 0x110000; c += T_SAMPLE) {
        char t[8] = {'O'};
        size_t n;
        if (c >= 0xD800 && c <= 0xDFFF) { /* as bytes: ill-formed, one U+FFFD each */
            t[1] = (char)0xED, t[2] = (char)(0x80 | ((c >> 6) & 0x3F)),
            t[3] = (char)(0x80 | (c & 0x3F));
            n = 4;
        } else {
            n = 1 + (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)t + 1);
        }
        t[n] = 'x';
        bad += !same_collapse(t + 1, n - 1, NULL) || !same_collapse(t, n + 1, NULL);
        if (bad > 10)
            break;
    }
    for (int b = 0x80; b < 0x100; b++) {
        char t[3] = {'a', (char)b, 'b'};
        bad += !same_collapse(t, 3, NULL);
    }
    CHECK(bad == 0);
}

/* a random code point from a pool that exercises the steps */
static int32_t
random_code_point(void)
{
    static const int32_t some[] = {
        0x3A3,   0x3C3,   0x3C2,   0x391,  0x3B1,  0x27,     0x2E,    0x3A,    0xB7,   0x2019,
        0xAD,    0x200B,  0x345,   0x130,  0x131,  0x1E9E,   0xDF,    0x212A,  0x212B, 0x2126,
        0xA8,    0xAA,    0xBA,    0xB2,   0xB5,   0x2474,   0xFDFA,  0xFB01,  0xFB03, 0x2460,
        0x24B6,  0x2160,  0x1F130, 0xFF21, 0xFF41, 0xFF76,   0xFF9E,  0xFF9F,  0x3099, 0x309A,
        0x309B,  0x304B,  0x30AB,  0x1100, 0x1161, 0x11A8,   0xAC00,  0xAC01,  0x3131, 0x0B47,
        0x0B3E,  0x0B56,  0x0DD9,  0x0DCF, 0x0F71, 0x0F72,   0x0F80,  0x0344,  0x1FED, 0x37A,
        0x385,   0x2DC,   0x0301,  0x0316, 0x0327, 0x0338,   0x20D2,  0x1DC0,  0xFE20, 0x85,
        0xA0,    0x1680,  0x2000,  0x2007, 0x200A, 0x2028,   0x2029,  0x202F,  0x205F, 0x3000,
        0x1C,    0x1F,    0xFFFD,  0xFEFF, 0xE000, 0x10FFFF, 0x1F600, 0x1F1E6, 0x4E00, 0x9FFF,
        0xF900,  0x2F800, 0x0410,  0x0419, 0x0439, 0x0418,   0x0306,  0x00C5,  0x00E9, 0x0065,
        0x00C7,  0x1E08,  0x01C4,  0x01C5, 0x01C6, 0x1F88,   0x1FBC,  0x0390,  0x03D3, 0x1D400,
        0x1D7CE, 0x3300,  0x33FF,  0x2155, 0x00BD, 0x2044,   0x20AC,  0x00B1,  0x00B0, 0x00A9,
        0x2026,  0x2014,  0x201C};
    switch (pick(8)) {
    case 0: return some[pick(sizeof some / sizeof some[0])];
    case 1: return 0x300 + (int32_t)pick(0x70);   /* combining marks */
    case 2: return 0x370 + (int32_t)pick(0x90);   /* Greek */
    case 3: return 0x1F00 + (int32_t)pick(0x100); /* Greek extended */
    case 4: return 0xC0 + (int32_t)pick(0x190);   /* Latin */
    case 5: return 0xFB00 + (int32_t)pick(0x500); /* presentation forms, fullwidth */
    case 6: return 0x1100 + (int32_t)pick(0x100); /* Hangul jamo */
    default: {
        int32_t c = (int32_t)pick(0x110000);
        return c >= 0xD800 && c <= 0xDFFF ? 0xFFFD : c;
    }
    }
}

/* a random text: kind 0 ASCII, 1 mostly ASCII, 2 dense Unicode, 3 bytes of anything */
static size_t
random_text(char *t, size_t cap, unsigned kind)
{
    static const char *const junk[] = {
        "\x80",     "\xbf",         "\xc0\x80",        "\xc1",         "\xc3",
        "\xe2\x82", "\xed\xa0\x80", "\xe0\x80\x80",    "\xf0\x90\x80", "\xf4\x90\x80\x80",
        "\xf5",     "\xff",         "\xf0\x8f\xbf\xbf"};
    size_t n = 0, want = pick(8) == 0 ? pick((unsigned)cap - 8) : pick(120);
    while (n + 8 < cap && n < want) {
        unsigned r = pick(100);
        if (kind == 3) {
            t[n++] = (char)pick(256);
        } else if (kind == 0 || (kind == 1 && r < 85) || (kind == 2 && r < 25)) {
            t[n++] = pick(4) ? "aZ e.:'\t,Ss9$-("[pick(15)] : (char)pick(128);
        } else if (r < 97 || kind == 2) {
            n += (size_t)utf8proc_encode_char(random_code_point(), (utf8proc_uint8_t *)t + n);
        } else {
            const char *j = junk[pick(sizeof junk / sizeof junk[0])];
            memcpy(t + n, j, strlen(j));
            n += strlen(j);
        }
    }
    return n;
}

/* XXH32 of every window of s[0..len) as FORMATS.md says, into f; how many */
static size_t
windows_naive(const char *s, size_t len, uint32_t *f)
{
    size_t *starts = malloc((len + 1) * sizeof *starts), m = 0, n = 0;
    if (!starts)
        abort();
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            starts[m++] = i;
    if (m < EX_ISCC_NGRAM)
        f[n++] = XXH32(s, len, 0);
    for (size_t i = 0; m >= EX_ISCC_NGRAM && i + EX_ISCC_NGRAM <= m; i++) {
        size_t end = i + EX_ISCC_NGRAM < m ? starts[i + EX_ISCC_NGRAM] : len;
        f[n++] = XXH32(s + starts[i], end - starts[i], 0);
    }
    free(starts);
    return n;
}

static const int impls[] = {EX_ISCC_IMPL_PORTABLE, EX_ISCC_IMPL_AVX2, EX_ISCC_IMPL_BEST};

/* Random texts: the fast collapse, features and soft hash against the references, and the
 * Text-Code against the reference steps. */
static void
test_differential(unsigned count)
{
    static char t[4200];
    ex_buf c = {0};
    unsigned bad = 0, sigmas = 0, wide = 0;
    for (unsigned it = 0; it < count && bad < 10; it++) {
        size_t len = random_text(t, sizeof t, it % 4);
        if (!same_collapse(t, len, &c)) {
            bad++;
            continue;
        }
        sigmas += memmem(t, len, "\xce\xa3", 2) != NULL;
        for (size_t i = 0; i < c.len; i++)
            if ((unsigned char)c.data[i] >= 0x80) {
                wide++;
                break;
            }
        /* features, with caps that cut the ASCII stretches anywhere; the text in a buffer of
         * its size, so that ASan sees a read past it */
        uint32_t *want = malloc((c.len + 1) * sizeof *want),
                 *got = malloc((c.len + 1) * sizeof *got);
        char *x = malloc(c.len ? c.len : 1);
        if (!want || !got || !x)
            abort();
        if (c.len)
            memcpy(x, c.data, c.len);
        size_t nw = windows_naive(x, c.len, want);
        for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
            static const size_t caps[] = {1, 3, 8, 13, 512};
            ex_iscc_windows w;
            size_t cap = caps[pick(5)], n = 0, k;
            ex_iscc_windows_init(&w, x, c.len, impls[i]);
            while (n <= nw && (k = ex_iscc_features(&w, got + n, cap)) > 0)
                n += k;
            if (n != nw || memcmp(got, want, n * sizeof *got) != 0) {
                fprintf(stderr, "  features differ (impl %d, cap %zu): %zu, want %zu\n", impls[i],
                        cap, n, nw);
                bad++;
            }
        }
        /* the soft hash */
        uint8_t ref[EX_ISCC_DIGEST_BYTES], d[EX_ISCC_DIGEST_BYTES];
        ex_iscc_soft_hash(x, c.len, EX_ISCC_IMPL_REF, ref);
        for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
            ex_iscc_soft_hash(x, c.len, impls[i], d);
            if (memcmp(d, ref, sizeof d) != 0) {
                fprintf(stderr, "  soft hash differs (impl %d) on %zu bytes\n", impls[i], c.len);
                bad++;
            }
        }
        /* the public function */
        char code[EX_ISCC_CODE_MAX];
        size_t chars = 0;
        CHECK_RC(ex_iscc_text_code(t, len, 256, code, sizeof code, d, &chars), EX_OK);
        size_t cps = 0;
        for (size_t i = 0; i < c.len; i++)
            cps += ((unsigned char)c.data[i] & 0xC0) != 0x80;
        if (memcmp(d, ref, sizeof d) != 0 || chars != cps) {
            fprintf(stderr, "  ex_iscc_text_code differs from the reference steps\n");
            bad++;
        }
        free(want);
        free(got);
        free(x);
    }
    CHECK(bad == 0);
    CHECK(sigmas > count / 50 && wide > count / 3);
    ex_buf_free(&c);
}

/* The reduction mod 2^61 - 1 of each implementation against %, at the edges and at random. */
static void
test_mod61(void)
{
    const uint64_t m = (UINT64_C(1) << 61) - 1;
    uint64_t x[256];
    size_t n = 0;
    static const uint64_t edges[] = {0, 1, 7, 8, UINT64_C(0xFFFFFFFF), UINT64_C(0x100000000)};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        x[n++] = edges[i];
    for (uint64_t k = 1; k <= 8; k++)
        for (int d = -2; d <= 2; d++)
            x[n++] = k * m + (uint64_t)(int64_t)d; /* 8 m + 2 = 2^64 - 6 */
    x[n++] = m, x[n++] = m - 1, x[n++] = m + 7, x[n++] = UINT64_C(1) << 61;
    x[n++] = UINT64_MAX, x[n++] = UINT64_MAX - 1, x[n++] = UINT64_MAX - 7, x[n++] = UINT64_MAX - 8;
    x[n++] = UINT64_C(1) << 63, x[n++] = (UINT64_C(1) << 63) - 1;
    while (n < 256)
        x[n++] = pick(2) ? t_rnd() : t_rnd() | (m & ~UINT64_C(7)); /* near the top of a residue */
    uint32_t want[256], got[256];
    ex_iscc_mod61_lo32(EX_ISCC_IMPL_REF, x, n, want);
    for (size_t i = 0; i < n; i++)
        CHECK(want[i] == (uint32_t)(x[i] % m));
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
        memset(got, 0, sizeof got);
        ex_iscc_mod61_lo32(impls[i], x, n, got);
        CHECK(memcmp(got, want, n * sizeof *got) == 0);
    }
}

/* The MinHash kernels against the reference: random features from random, fresh and nearly
 * untouched minima, and features made to land where the filter decides (the low 32 bits of
 * a f + b just under, at and over a minimum, and at the top where the result can wrap). */
static void
test_minhash(void)
{
    static uint32_t f[4000];
    static const size_t sizes[] = {0, 1, 2, 7, 8, 9, 63, 64, 65, 511, 512, 513, 4000};
    unsigned bad = 0;
    for (unsigned it = 0; it < 300; it++) {
        size_t n = sizes[it % (sizeof sizes / sizeof sizes[0])];
        uint32_t start[EX_ISCC_PERMS], want[EX_ISCC_PERMS], got[EX_ISCC_PERMS];
        unsigned mode = it % 5;
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++)
            start[i] = mode == 0   ? UINT32_MAX
                       : mode == 1 ? (uint32_t)t_rnd()
                       : mode == 2 ? UINT32_MAX - pick(20)   /* around the filter's top */
                       : mode == 3 ? (uint32_t)pick(1 << 20) /* small: few candidates */
                                   : (pick(2) ? UINT32_MAX : (uint32_t)t_rnd());
        for (size_t k = 0; k < n; k++) {
            f[k] = (uint32_t)t_rnd();
            uint32_t alo = (uint32_t)ex_iscc_mpa[k % EX_ISCC_PERMS];
            if (pick(4) == 0 && (alo & 1)) {
                /* a f + b = target (mod 2^32) for permutation k % 64 */
                unsigned i = k % EX_ISCC_PERMS;
                uint32_t inv = alo; /* Newton: inverse of an odd number mod 2^32 */
                for (int s = 0; s < 5; s++)
                    inv *= 2 - alo * inv;
                uint32_t target =
                    pick(2) ? start[i] + (uint32_t)pick(20) - 10 : UINT32_MAX - (uint32_t)pick(12);
                f[k] = (target - (uint32_t)ex_iscc_mpb[i]) * inv;
            }
        }
        memcpy(want, start, sizeof want);
        ex_iscc_minhash(EX_ISCC_IMPL_REF, f, n, want);
        for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
            memcpy(got, start, sizeof got);
            ex_iscc_minhash(impls[i], f, n, got);
            bad += memcmp(got, want, sizeof got) != 0;
        }
    }
    CHECK(bad == 0);
    CHECK(ex_iscc_impl_has(EX_ISCC_IMPL_REF) && ex_iscc_impl_has(EX_ISCC_IMPL_PORTABLE) &&
          ex_iscc_impl_has(EX_ISCC_IMPL_BEST) && !ex_iscc_impl_has(99));
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
    test_ascii_table();
    test_unicode_facts();
    test_every_code_point();
    test_mod61();
    test_minhash();
    test_differential(T_RUNS(20000));
    json_decref(data);
    return t_done("test_iscc");
}
