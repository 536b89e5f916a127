/* test_core.c - hex, base64 (strict), digests, canonical JSON, status codes. */
#include "core/cjson.h"
#include "t.h"

#include <openssl/evp.h>

static void
test_b64(void)
{
    uint8_t out[64];
    size_t n;
    char enc[128];
    const uint8_t in[] = {0xfb, 0xff, 0x00, 0x10};
    for (size_t len = 0; len <= sizeof in; len++) {
        size_t m = ex_b64_encode(in, len, enc);
        CHECK(m == 4 * ((len + 2) / 3));
        CHECK_RC(ex_b64_decode(enc, m, out, sizeof out, &n), EX_OK);
        CHECK(n == len && memcmp(out, in, len) == 0);
    }
    CHECK_STR((ex_b64_encode((const uint8_t *)"hi", 2, enc), enc), "aGk=");
    /* non-canonical trailing bits, missing padding, whitespace, bad alphabet are refused */
    CHECK_RC(ex_b64_decode("aGl=", 4, out, sizeof out, &n), EX_EFORMAT);
    CHECK_RC(ex_b64_decode("aGk", 3, out, sizeof out, &n), EX_EFORMAT);
    CHECK_RC(ex_b64_decode("aG k", 4, out, sizeof out, &n), EX_EFORMAT);
    CHECK_RC(ex_b64_decode("a=Gk", 4, out, sizeof out, &n), EX_EFORMAT);
    CHECK_RC(ex_b64_decode("aGk-", 4, out, sizeof out, &n), EX_EFORMAT);
    /* decoding into an exact-size buffer works; a short one is refused */
    CHECK_RC(ex_b64_decode("aGk=", 4, out, 2, &n), EX_OK);
    CHECK(n == 2 && out[0] == 'h' && out[1] == 'i');
    CHECK_RC(ex_b64_decode("aGk=", 4, out, 1, &n), EX_ETOOBIG);
}

/* the strict rules through OpenSSL: the alphabet, padding only at the end, and the decoded
 * bytes encode back to the input (how ex_b64_decode worked before its own decoder) */
static int
ref_b64(const char *s, size_t len, uint8_t *out, size_t *n)
{
    if (len % 4)
        return EX_EFORMAT;
    size_t pad = len && s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < len - pad; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
            return EX_EFORMAT;
    uint8_t tmp[64];
    char back[128];
    int m = len ? EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len) : 0;
    if (m < 0)
        return EX_EFORMAT;
    *n = (size_t)m - pad;
    EVP_EncodeBlock((unsigned char *)back, tmp, (int)*n);
    if (memcmp(back, s, len) != 0)
        return EX_EFORMAT;
    memcpy(out, tmp, *n);
    return EX_OK;
}

/* s[0..len) decodes as the reference says, into exactly the bytes it gives */
static int
same_as_ref(const char *s, size_t len)
{
    uint8_t a[64], b[64];
    size_t an = 0, bn = 0;
    int ra = ex_b64_decode(s, len, a, sizeof a, &an), rb = ref_b64(s, len, b, &bn);
    return ra == rb && (ra != EX_OK || (an == bn && memcmp(a, b, an) == 0));
}

/* every 4-character string over a few telling characters, and random longer ones */
static void
test_b64_reference(void)
{
    /* digits of value 0 1 2 4 8 16 32 48 63 62 61, then padding and non-digits */
    static const char al[] = "ABCEIQgw/+=9 -\xff";
    const size_t na = sizeof al - 1;
    char s[16];
    size_t bad = 0, v;
    for (size_t k = 0; k < na * na * na * na; k++) {
        v = k;
        for (size_t i = 0; i < 4; i++, v /= na)
            s[i] = al[v % na];
        bad += !same_as_ref(s, 4);
    }
    uint64_t x = 88172645463325252u;
    for (size_t k = 0; k < 200000; k++) {
        size_t len = 4 * (2 + k % 3);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[i] = al[x % na];
        }
        bad += !same_as_ref(s, len);
    }
    CHECK(bad == 0);
}

static void
test_hex_digest(void)
{
    uint8_t d[EX_HASH_BYTES], e[EX_HASH_BYTES];
    char s[EX_DIGEST_STR_BYTES];
    ex_sha256 *h;
    CHECK_RC(ex_sha256_new(&h), EX_OK);
    CHECK_RC(ex_sha256_digest(h, "abc", 3, d), EX_OK);
    ex_digest_format(d, s);
    CHECK_STR(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_RC(ex_digest_parse(s, e), EX_OK);
    CHECK(memcmp(d, e, EX_HASH_BYTES) == 0);
    CHECK_RC(ex_digest_parse("sha1:00", e), EX_EFORMAT);
    CHECK_RC(ex_digest_parse("sha256:zz", e), EX_EFORMAT);
    /* incremental equals one-shot; the context is reused across calls */
    CHECK_RC(ex_sha256_begin(h), EX_OK);
    CHECK_RC(ex_sha256_update(h, "a", 1), EX_OK);
    CHECK_RC(ex_sha256_update(h, "bc", 2), EX_OK);
    CHECK_RC(ex_sha256_end(h, e), EX_OK);
    CHECK(memcmp(d, e, EX_HASH_BYTES) == 0);
    ex_sha256_free(h);
}

static char *
canon(const char *json)
{
    json_error_t je;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &je);
    if (!v)
        return NULL;
    ex_err e = {0};
    char *s = ex_json_canon_dup(v, NULL, &e);
    json_decref(v);
    return s;
}

static void
test_canonical_json(void)
{
    char *s;
    /* sorted keys, nested, no whitespace */
    s = canon("{ \"b\": [1, {\"z\": null, \"a\": true}], \"a\": \"x\" }");
    CHECK_STR(s, "{\"a\":\"x\",\"b\":[1,{\"a\":true,\"z\":null}]}");
    free(s);
    /* RFC 8785 3.2.3: keys sort by UTF-16 code units: U+1F600 (surrogates D83D..) sorts
     * before U+FB33 although its UTF-8 bytes are larger */
    s = canon("{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\u00e9\":3,\"a\":4}");
    CHECK_STR(s, "{\"a\":4,\"\xc3\xa9\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
    free(s);
    /* minimal escapes: short forms, \u00XX lowercase for other controls, '/' and non-ASCII
     * literal */
    s = canon("\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\\u00e9\\u2028\"");
    CHECK_STR(s, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\xc3\xa9\xe2\x80\xa8\"");
    free(s);
    /* integers: exact range only; reals refused */
    s = canon("[9007199254740991,-9007199254740991,0]");
    CHECK_STR(s, "[9007199254740991,-9007199254740991,0]");
    free(s);
    CHECK(canon("9007199254740992") == NULL);
    CHECK(canon("1.5") == NULL);
    ex_err e = {0};
    json_t *bad = json_stringn_nocheck("\xff", 1);
    CHECK(ex_json_canon_dup(bad, NULL, &e) == NULL);
    CHECK(e.code == EX_EINVAL);
    json_decref(bad);
}

/* RFC 8785's examples that apply to our subset (no non-integer numbers): known answers,
 * through jansson values and member by member */
static void
test_rfc8785(void)
{
    /* 3.2.2.2 / 3.2.4 without the numbers: minimal escapes, literals, sorted keys */
    char *s = canon("{\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
                    "\"literals\":[null,true,false]}");
    CHECK_STR(s, "{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    free(s);
    /* 3.2.3 and the reference test data's weird.json: UTF-16 code unit order, U+007F literal */
    s = canon("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\u000a\":\"Newline\","
              "\"1\":\"One\",\"\\u0080\":\"Control\\u007f\",\"\\ud83d\\ude02\":\"Smiley\","
              "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\","
              "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"</script>\":\"Browser Challenge\"}");
    CHECK_STR(s, "{\"\\n\":\"Newline\",\"\\r\":\"Carriage Return\",\"1\":\"One\","
                 "\"</script>\":\"Browser Challenge\",\"\xc2\x80\":\"Control\x7f\","
                 "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
                 "\"\xf0\x9f\x98\x82\":\"Smiley\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
    free(s);
    /* french.json: no locale */
    s = canon("{\"peach\":\"This sorting order\",\"p\\u00e9ch\\u00e9\":\"is wrong according to French\","
              "\"p\\u00eache\":\"but canonicalization MUST\",\"sin\":\"ignore locale\"}");
    CHECK_STR(s, "{\"peach\":\"This sorting order\",\"p\xc3\xa9" "ch\xc3\xa9\":\"is wrong according to French\","
                 "\"p\xc3\xaa" "che\":\"but canonicalization MUST\",\"sin\":\"ignore locale\"}");
    free(s);
    /* the same object written member by member, keys in canonical order */
    ex_buf b = {0};
    ex_cj w;
    ex_cj_init(&w, &b);
    ex_cj_obj(&w);
    ex_cj_key(&w, "literals");
    ex_cj_arr(&w);
    ex_cj_null(&w);
    ex_cj_bool(&w, 1);
    ex_cj_bool(&w, 0);
    ex_cj_end(&w);
    static const char str[] = "\xe2\x82\xac$\x0f\nA'B\"\\\\\"/";
    ex_cj_kstr(&w, "string", str, sizeof str - 1);
    ex_cj_end(&w);
    CHECK_RC(ex_cj_done(&w), EX_OK);
    CHECK_STR(b.data, "{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    ex_buf_free(&b);
}

/* the member-by-member writer gives exactly the canonical form of the same object, and its
 * errors stick */
static void
test_direct_writer(void)
{
    static const char *const values[] = {"plain", "quote \" and \\ back", "ctl \x01\x1f\n\t\r\b\f",
                                         "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8c\x8d", "", "/slash",
                                         "eight by", "long plain text that takes the word loop"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        ex_buf b = {0};
        ex_cj w;
        ex_cj_init(&w, &b);
        ex_cj_obj(&w);
        ex_cj_kstr(&w, "a", values[i], strlen(values[i]));
        ex_cj_kint(&w, "b", -42);
        ex_cj_key(&w, "c");
        ex_cj_null(&w);
        ex_cj_kint(&w, "d", 9007199254740991LL);
        ex_cj_key(&w, "e");
        ex_cj_arr(&w);
        ex_cj_obj(&w);
        ex_cj_kint(&w, "x", 0);
        ex_cj_end(&w);
        ex_cj_str(&w, values[i], strlen(values[i]));
        ex_cj_arr(&w);
        ex_cj_end(&w);
        ex_cj_end(&w);
        ex_cj_end(&w);
        CHECK_RC(ex_cj_done(&w), EX_OK);
        json_t *o = json_loads(b.data, 0, NULL);
        CHECK(o != NULL);
        ex_err e = {0};
        char *c = o ? ex_json_canon_dup(o, NULL, &e) : NULL;
        CHECK_STR(c, b.data);
        free(c);
        json_decref(o);
        ex_buf_free(&b);
    }
    /* members written into another buffer and copied in: the same bytes */
    ex_buf frag = {0}, b = {0}, b2 = {0};
    ex_cj w;
    ex_cj_init(&w, &frag);
    ex_cj_obj(&w);
    ex_cj_kstr(&w, "m", "1", 1);
    ex_cj_kint(&w, "n", 2);
    size_t fl;
    const char *f = ex_cj_members_of(&frag, 0, &fl);
    ex_cj_init(&w, &b);
    ex_cj_obj(&w);
    ex_cj_kint(&w, "a", 0);
    ex_cj_members(&w, f, fl, "n");
    ex_cj_kint(&w, "z", 3);
    ex_cj_end(&w);
    CHECK_RC(ex_cj_done(&w), EX_OK);
    CHECK_STR(b.data, "{\"a\":0,\"m\":\"1\",\"n\":2,\"z\":3}");
    ex_cj_init(&w, &b2);
    ex_cj_obj(&w);
    ex_cj_members(&w, f, fl, "n"); /* first in its object: no comma */
    ex_cj_end(&w);
    CHECK_RC(ex_cj_done(&w), EX_OK);
    CHECK_STR(b2.data, "{\"m\":\"1\",\"n\":2}");
    ex_buf_free(&frag);
    ex_buf_free(&b);
    ex_buf_free(&b2);
    /* errors: the first one sticks, later calls write nothing */
    struct {
        int step;
        int want;
    } bad[] = {{0, EX_EINVAL}, {1, EX_EINVAL}, {2, EX_EINVAL}, {3, EX_EINVAL}, {4, EX_EINVAL},
               {5, EX_EINVAL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ex_buf x = {0};
        ex_cj_init(&w, &x);
        ex_cj_obj(&w);
        switch (bad[i].step) {
        case 0: ex_cj_kstr(&w, "a", "\xff", 1); break;              /* not UTF-8 */
        case 1: ex_cj_kint(&w, "a", 9007199254740992LL); break;    /* out of range */
        case 2: ex_cj_str(&w, "v", 1); break;                      /* a value without a key */
        case 3: ex_cj_key(&w, "a"); ex_cj_end(&w); break;          /* a key without a value */
        case 4: ex_cj_end(&w); ex_cj_key(&w, "a"); break;          /* a key outside an object */
        case 5: break;                                             /* left open */
        }
        size_t len = x.len;
        ex_cj_kint(&w, "zz", 1);
        CHECK(w.rc != EX_OK || bad[i].step == 5);
        CHECK(x.len == len || bad[i].step == 5);
        CHECK_RC(ex_cj_done(&w), bad[i].want);
        CHECK(w.why != NULL);
        ex_buf_free(&x);
    }
#ifndef NDEBUG
    /* debug builds check the caller's key order */
    ex_buf x = {0};
    ex_cj_init(&w, &x);
    ex_cj_obj(&w);
    ex_cj_kint(&w, "b", 1);
    ex_cj_kint(&w, "a", 2);
    CHECK_RC(ex_cj_done(&w), EX_EINVAL);
    ex_buf_free(&x);
#endif
}

/* RFC 3339 times (fetch times, capture times): known answers from `date -u -d ... +%s` */
static void
test_time(void)
{
    static const struct {
        const char *s;
        int64_t t;
    } ok[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2025-06-01T00:00:00Z", 1748736000},
        {"2025-06-01", 1748736000},
        {"2024-02-29T23:59:59Z", 1709251199},
        {"2025-06-01T02:00:00+02:00", 1748736000},
        {"2025-05-31T19:30:00-04:30", 1748736000},
        {"2025-06-01T00:00:00.123456Z", 1748736000},
        {"2025-06-01t00:00:00z", 1748736000},
        {"1969-12-31T23:59:59Z", -1},
        {"2100-03-01T00:00:00Z", 4107542400},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t t = 42;
        CHECK_RC(ex_time_parse(ok[i].s, &t), EX_OK);
        CHECK(t == ok[i].t);
    }
    static const char *const bad[] = {
        "", "2025", "2025-06-01T00:00:00", /* no zone: ambiguous */
        "2025-13-01T00:00:00Z", "2025-06-32", "2025-06-01T24:00:00Z", "2025-06-01T00:00Z0",
        "2025-06-01 junk", "2025-06-01T00:00:00+0200", "2025-06-01T00:00:00.Z",
        "Sun, 01 Jun 2025 00:00:00 GMT",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        CHECK_RC(ex_time_parse(bad[i], &t), EX_EFORMAT);
        CHECK(t == 42);
    }
    CHECK_RC(ex_time_parse(NULL, &(int64_t){0}), EX_EFORMAT);
    char out[32];
    ex_time_format(1748736000, out);
    CHECK_STR(out, "2025-06-01T00:00:00Z");
}

int
main(void)
{
    test_time();
    test_rfc8785();
    test_direct_writer();
    test_b64();
    test_b64_reference();
    test_hex_digest();
    test_canonical_json();
    CHECK_STR(ex_strerror(EX_EVERIFY), "verification failed");
    CHECK_STR(ex_strerror(12345), "unknown error");
    CHECK(ex_utf8_valid("\xed\xa0\x80", 3) == 0); /* surrogate */
    CHECK(ex_utf8_valid("\xc0\xaf", 2) == 0);     /* overlong */
    CHECK(ex_utf8_valid("\xf4\x90\x80\x80", 4) == 0);
    CHECK(ex_utf8_valid("\xe2\x80\x94", 3) == 1);
    CHECK(ex_utf8_valid("\xe2\x80", 2) == 0);
    return t_done("test_core");
}
