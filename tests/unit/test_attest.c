/* test_attest.c - DSSE envelopes and in-toto statements (src/attest/dsse.h, statement.h): the
 * shared DSSE vectors (PAE bytes, the envelope re-signed from its seed byte for byte, its
 * statement re-written byte for byte), round trips, a tamper of every part of an envelope and
 * every shape rule of a statement, each refused with a message that names it.
 *
 *   test_attest VECTORS.json        the tests (VECTORS is shared/vectors/dsse/vectors.json)
 *   test_attest --corpus DIR        write the fuzz corpus of fuzz_envelope (fixed keys)
 *   test_attest --envelope FILE     write a freshly signed envelope to FILE and the raw public
 *                                   key, hex, to FILE.pub (for tests/node/dsse_interop.mjs)
 *   test_attest --verify FILE HEX   exit 0 if the envelope in FILE verifies with the raw
 *                                   Ed25519 public key HEX and holds an in-toto statement */
#include <jansson.h>
#include <stdint.h>

#include "attest/dsse.h"
#include "attest/statement.h"
#include "core/cjson.h"
#include "sign/sign.h"
#include "t.h"

#define ALICE_SIGNER                                                                               \
    "PRIVATE+KEY+exante.fuzz/alice+ac67dd06+AVoldJhN/+d8FXmzbddzDKkU4VOcKASq71IxgCj6WvzU"
#define NEUMANN_SIGNER                                                                             \
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define RUN_TYPE "https://example.org/exante/training-run/v1"

static char *
read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    ex_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ex_buf_put(&b, chunk, n);
    fclose(f);
    return ex_buf_take(&b, len);
}

static int
write_all(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok;
}

/* an envelope's JSON object as text (compact, keys sorted); caller frees */
static char *
dump(const json_t *o)
{
    return json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
}

/* a key whose seed is given: through a C2SP signer string, the form ex_key reads */
static ex_key *
key_from_seed(const char *name, const uint8_t seed[32], const uint8_t pub[32])
{
    uint8_t raw[33], id[EX_KEYID_BYTES];
    raw[0] = 0x01;
    memcpy(raw + 1, seed, 32);
    char b64[64], idhex[9], signer[512];
    ex_b64_encode(raw, sizeof raw, b64);
    if (ex_key_id(name, pub, id) != EX_OK)
        return NULL;
    ex_hex_encode(id, EX_KEYID_BYTES, idhex);
    snprintf(signer, sizeof signer, "PRIVATE+KEY+%s+%s+%s", name, idhex, b64);
    ex_key *k = NULL;
    return ex_key_from_signer(signer, &k, NULL) == EX_OK ? k : NULL;
}

/* ---- the shared vectors ------------------------------------------------------------------- */

static int
vectors(const char *path)
{
    json_error_t je;
    json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        fprintf(stderr, "test_attest: cannot read the DSSE vectors '%s': %s\n", path, je.text);
        return 0;
    }
    ex_err e = {0};
    /* PAE of the spec's example */
    json_t *h = json_object_get(v, "pae_hello");
    const char *ht = json_string_value(json_object_get(h, "payloadType"));
    const char *hp = json_string_value(json_object_get(h, "payload_utf8"));
    const char *hw = json_string_value(json_object_get(h, "pae_utf8"));
    CHECK(ht && hp && hw);
    uint8_t *pae = NULL;
    size_t pl = 0;
    CHECK_RC(ex_dsse_pae(ht, strlen(ht), hp, strlen(hp), &pae, &pl), EX_OK);
    CHECK(pae && pl == strlen(hw) && memcmp(pae, hw, pl) == 0);
    free(pae);

    /* the envelope: its PAE, keyid, signature re-made from the seed, the whole text */
    json_t *env = json_object_get(v, "envelope");
    const char *seedhex = json_string_value(json_object_get(v, "ed25519_seed_hex"));
    const char *pubhex = json_string_value(json_object_get(v, "ed25519_public_hex"));
    const char *paehex = json_string_value(json_object_get(v, "pae_hex"));
    CHECK(env && seedhex && pubhex && paehex);
    uint8_t seed[32], pub[32];
    CHECK_RC(ex_hex_decode(seedhex, strlen(seedhex), seed, 32), EX_OK);
    CHECK_RC(ex_hex_decode(pubhex, strlen(pubhex), pub, 32), EX_OK);
    char *text = dump(env);
    ex_dsse_env d = {0};
    CHECK_RC(ex_dsse_parse(text, strlen(text), &d, &e), EX_OK);
    CHECK(d.nsigs == 1);
    CHECK_STR(d.payload_type, EX_DSSE_INTOTO_TYPE);
    CHECK_RC(
        ex_dsse_pae(d.payload_type, strlen(d.payload_type), d.payload, d.payload_len, &pae, &pl),
        EX_OK);
    uint8_t *want = malloc(strlen(paehex) / 2 + 1);
    CHECK_RC(ex_hex_decode(paehex, strlen(paehex), want, strlen(paehex) / 2), EX_OK);
    CHECK(pl == strlen(paehex) / 2 && memcmp(pae, want, pl) == 0);
    free(want);
    free(pae);

    ex_key *k = key_from_seed("dsse-vector", seed, pub);
    CHECK(k != NULL);
    ex_vkey vk;
    char id[EX_DSSE_KEYID_BYTES];
    if (k) {
        ex_key_vkey(k, &vk);
        CHECK(memcmp(vk.pub, pub, 32) == 0); /* the seed gives the vector's public key */
        CHECK_RC(ex_dsse_keyid(vk.pub, id), EX_OK);
        CHECK_STR(id, d.sigs[0].keyid);
        char *mine = NULL;
        size_t ml = 0;
        CHECK_RC(ex_dsse_sign(&k, 1, d.payload_type, d.payload, d.payload_len, &mine, &ml, &e),
                 EX_OK);
        ex_dsse_env m = {0};
        CHECK_RC(ex_dsse_parse(mine, ml, &m, &e), EX_OK);
        CHECK(m.nsigs == 1 && m.sigs[0].sig_len == d.sigs[0].sig_len &&
              memcmp(m.sigs[0].sig, d.sigs[0].sig, d.sigs[0].sig_len) == 0);
        /* the envelope is the vector's, in canonical form, byte for byte */
        char *canon = ex_json_canon_dup(env, NULL, NULL);
        CHECK_STR(mine, canon);
        free(canon);
        ex_dsse_env_clear(&m);
        free(mine);
        size_t which = 9;
        CHECK_RC(ex_dsse_verify(&d, &vk, &which, &e), EX_OK);
        CHECK(which == 0);
        /* and as the vector file spells it (indented, another key order) */
        char *pretty = json_dumps(env, JSON_INDENT(3));
        CHECK_RC(ex_dsse_open(pretty, strlen(pretty), EX_DSSE_INTOTO_TYPE, &vk, &m, &e), EX_OK);
        ex_dsse_env_clear(&m);
        free(pretty);
        ex_key_free(k);
    }

    /* its statement reads, and the writer gives back the payload byte for byte */
    ex_statement st = {0};
    CHECK_RC(ex_statement_parse(d.payload, d.payload_len, &st, &e), EX_OK);
    CHECK(st.nsubjects == 1);
    if (st.nsubjects == 1) {
        CHECK_STR(st.subjects[0].name, "model.safetensors");
        char hex[65];
        ex_hex_encode(st.subjects[0].sha256, 32, hex);
        CHECK_STR(hex, "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c");
        CHECK_STR(st.predicate_type, RUN_TYPE);
        char *again = NULL;
        size_t al = 0;
        CHECK_RC(ex_statement_write(st.subjects, st.nsubjects, st.predicate_type,
                                    st.predicate_canon, st.predicate_len, &again, &al, &e),
                 EX_OK);
        CHECK(again && al == d.payload_len && memcmp(again, d.payload, al) == 0);
        free(again);
    }
    ex_statement_clear(&st);
    ex_dsse_env_clear(&d);
    free(text);
    json_decref(v);
    return 1;
}

/* ---- round trips and tampers -------------------------------------------------------------- */

static ex_key *K, *K2;
static ex_vkey VK, VK2;

/* a statement of three subjects and a small predicate; caller frees */
static char *
statement3(size_t *len)
{
    ex_subject s[3] = {
        {.name = "shards/b.safetensors"}, {.name = "a.json"}, {.name = "\xc3\xa9t\xc3\xa9"}};
    for (int i = 0; i < 3; i++)
        memset(s[i].sha256, 0x11 * (i + 1), 32);
    static const char pred[] = "{ \"snapshots\": [{\"name\":\"s1\"}], \"kind\": \"pretrain\" }";
    char *out = NULL;
    ex_err e = {0};
    CHECK_RC(ex_statement_write(s, 3, RUN_TYPE, pred, sizeof pred - 1, &out, len, &e), EX_OK);
    return out;
}

static void
round_trip(void)
{
    ex_err e = {0};
    size_t sl = 0, el = 0;
    char *stmt = statement3(&sl);
    CHECK_STR(stmt,
              "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicate\":{\"kind\":"
              "\"pretrain\",\"snapshots\":[{\"name\":\"s1\"}]},\"predicateType\":\"" RUN_TYPE
              "\",\"subject\":[{\"digest\":{\"sha256\":\"2222222222222222222222222222222222"
              "222222222222222222222222222222\"},\"name\":\"a.json\"},{\"digest\":{\"sha256\""
              ":\"1111111111111111111111111111111111111111111111111111111111111111\"},\"name\""
              ":\"shards/b.safetensors\"},{\"digest\":{\"sha256\":\"333333333333333333333333"
              "3333333333333333333333333333333333333333\"},\"name\":\"\xc3\xa9t\xc3\xa9\"}]}");
    char *env = NULL;
    ex_key *both[2] = {K2, K};
    CHECK_RC(ex_dsse_sign(both, 2, EX_DSSE_INTOTO_TYPE, stmt, sl, &env, &el, &e), EX_OK);
    ex_dsse_env d = {0};
    size_t which = 9;
    CHECK_RC(ex_dsse_open(env, el, EX_DSSE_INTOTO_TYPE, &VK, &d, &e), EX_OK);
    CHECK_RC(ex_dsse_verify(&d, &VK, &which, &e), EX_OK);
    CHECK(which == 1);
    CHECK_RC(ex_dsse_verify(&d, &VK2, &which, &e), EX_OK);
    CHECK(which == 0);
    CHECK(d.payload_len == sl && memcmp(d.payload, stmt, sl) == 0);
    /* the writer gives back what the parser read */
    char *again = NULL;
    size_t al = 0;
    CHECK_RC(ex_dsse_write(&d, &again, &al, &e), EX_OK);
    CHECK(al == el && memcmp(again, env, el) == 0);
    free(again);
    ex_statement st = {0};
    CHECK_RC(ex_statement_parse(d.payload, d.payload_len, &st, &e), EX_OK);
    CHECK(st.nsubjects == 3 && strcmp(st.subjects[0].name, "a.json") == 0 &&
          st.subjects[0].sha256[0] == 0x22 && st.subjects[2].sha256[0] == 0x33);
    CHECK_STR(st.predicate_canon, "{\"kind\":\"pretrain\",\"snapshots\":[{\"name\":\"s1\"}]}");
    CHECK(json_is_object(st.predicate));
    ex_statement_clear(&st);
    ex_dsse_env_clear(&d);
    /* another payloadType is refused by open, though it verifies */
    char *other = NULL;
    CHECK_RC(ex_dsse_sign(&K, 1, "text/plain", "hi", 2, &other, &el, &e), EX_OK);
    CHECK_RC(ex_dsse_open(other, el, EX_DSSE_INTOTO_TYPE, &VK, &d, &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "payloadType") != NULL && d.payload == NULL);
    CHECK_RC(ex_dsse_open(other, el, NULL, &VK, &d, &e), EX_OK);
    ex_dsse_env_clear(&d);
    free(other);
    /* an empty payload is a valid envelope */
    CHECK_RC(ex_dsse_sign(&K, 1, "text/plain", NULL, 0, &other, &el, &e), EX_OK);
    CHECK_RC(ex_dsse_open(other, el, NULL, &VK, &d, &e), EX_OK);
    CHECK(d.payload_len == 0);
    ex_dsse_env_clear(&d);
    free(other);
    /* signing refuses what the reader would */
    CHECK_RC(ex_dsse_sign(&K, 1, "", "x", 1, &other, &el, &e), EX_EINVAL);
    CHECK_RC(ex_dsse_sign(&K, 0, "t", "x", 1, &other, &el, &e), EX_EINVAL);
    free(env);
    free(stmt);
}

/* parse text and, if it parses, verify with VK: the first failure's code; err in *e */
static int
parse_verify(const char *text, ex_err *e)
{
    ex_dsse_env d = {0};
    int rc = ex_dsse_parse(text, strlen(text), &d, e);
    if (rc == EX_OK)
        rc = ex_dsse_verify(&d, &VK, NULL, e);
    ex_dsse_env_clear(&d);
    return rc;
}

/* the tampered envelope fails with want and a message holding `says` */
#define TAMPER(text, want, says)                                                                   \
    do {                                                                                           \
        ex_err e_ = {0};                                                                           \
        CHECK_RC(parse_verify(text, &e_), want);                                                   \
        if (!strstr(e_.msg, says)) {                                                               \
            t_failures++;                                                                          \
            fprintf(stderr, "%s:%d: message \"%s\" does not say \"%s\"\n", __FILE__, __LINE__,     \
                    e_.msg, says);                                                                 \
        }                                                                                          \
    } while (0)

/* text of the envelope o with member key of (the object at path in) o set to v (NULL: removed) */
static char *
with(const json_t *o, const char *obj, const char *key, json_t *v)
{
    json_t *c = json_deep_copy(o);
    json_t *t = c;
    if (obj && strcmp(obj, "sig0") == 0)
        t = json_array_get(json_object_get(c, "signatures"), 0);
    if (v)
        json_object_set_new(t, key, v);
    else
        json_object_del(t, key);
    char *s = dump(c);
    json_decref(c);
    return s;
}

static void
tampers(void)
{
    ex_err e = {0};
    size_t sl = 0, el = 0;
    char *stmt = statement3(&sl);
    char *env = NULL;
    CHECK_RC(ex_dsse_sign(&K, 1, EX_DSSE_INTOTO_TYPE, stmt, sl, &env, &el, &e), EX_OK);
    TAMPER(env, EX_OK, "");
    json_t *o = json_loads(env, 0, NULL);
    const char *p64 = json_string_value(json_object_get(o, "payload"));
    const char *s64 = json_string_value(
        json_object_get(json_array_get(json_object_get(o, "signatures"), 0), "sig"));

    /* each byte of the payload flipped in turn (a sample of positions) */
    int refused = 0, tried = 0;
    for (size_t i = 0; i < sl; i += 7) {
        char *alt = malloc(sl), *b64 = malloc(4 * ((sl + 2) / 3) + 1);
        memcpy(alt, stmt, sl);
        alt[i] ^= 0x01;
        ex_b64_encode((uint8_t *)alt, sl, b64);
        char *t = with(o, NULL, "payload", json_string(b64));
        refused += parse_verify(t, &e) == EX_EVERIFY;
        tried++;
        free(t);
        free(alt);
        free(b64);
    }
    CHECK(refused == tried);
    char *t = with(o, NULL, "payloadType", json_string("application/vnd.in-toto+jsonl"));
    TAMPER(t, EX_EVERIFY, "does not verify");
    free(t);
    /* a bit of the signature */
    uint8_t sig[64];
    size_t sgl = 0;
    CHECK_RC(ex_b64_decode(s64, strlen(s64), sig, 64, &sgl), EX_OK);
    sig[10] ^= 0x20;
    char sb[96];
    ex_b64_encode(sig, 64, sb);
    t = with(o, "sig0", "sig", json_string(sb));
    TAMPER(t, EX_EVERIFY, "signature 0");
    free(t);
    /* a short signature */
    ex_b64_encode(sig, 63, sb);
    t = with(o, "sig0", "sig", json_string(sb));
    TAMPER(t, EX_EVERIFY, "does not verify");
    free(t);
    /* keyid: another one means the signature is not this key's; none means "try it" */
    t = with(o, "sig0", "keyid",
             json_string("0000000000000000000000000000000000000000000000000000000000000000"));
    TAMPER(t, EX_EVERIFY, "no signature is by key");
    free(t);
    t = with(o, "sig0", "keyid", NULL);
    TAMPER(t, EX_OK, "");
    free(t);
    t = with(o, "sig0", "keyid", json_string(""));
    TAMPER(t, EX_OK, "");
    free(t);
    t = with(o, "sig0", "keyid", json_integer(1));
    TAMPER(t, EX_EFORMAT, "\"keyid\" in signature 0 is not a string");
    free(t);
    /* the wrong key altogether */
    {
        ex_dsse_env d = {0};
        CHECK_RC(ex_dsse_parse(env, el, &d, &e), EX_OK);
        CHECK_RC(ex_dsse_verify(&d, &VK2, NULL, &e), EX_EVERIFY);
        CHECK(strstr(e.msg, "no signature is by key") != NULL);
        ex_dsse_env_clear(&d);
    }
    /* extra and missing keys */
    t = with(o, NULL, "signed", json_true());
    TAMPER(t, EX_EFORMAT, "unknown key \"signed\" in the envelope");
    free(t);
    t = with(o, "sig0", "cert", json_string(""));
    TAMPER(t, EX_EFORMAT, "unknown key \"cert\" in signature 0");
    free(t);
    static const char *const top[] = {"payload", "payloadType", "signatures"};
    for (int i = 0; i < 3; i++) {
        char want[64];
        snprintf(want, sizeof want, "has no \"%s\"", top[i]);
        t = with(o, NULL, top[i], NULL);
        TAMPER(t, EX_EFORMAT, want);
        free(t);
    }
    t = with(o, "sig0", "sig", NULL);
    TAMPER(t, EX_EFORMAT, "signature 0 has no \"sig\"");
    free(t);
    /* wrong types and shapes */
    t = with(o, NULL, "payload", json_integer(5));
    TAMPER(t, EX_EFORMAT, "\"payload\" in the envelope is not a string");
    free(t);
    t = with(o, NULL, "payloadType", json_null());
    TAMPER(t, EX_EFORMAT, "\"payloadType\" in the envelope is not a string");
    free(t);
    t = with(o, NULL, "payloadType", json_string(""));
    TAMPER(t, EX_EFORMAT, "empty \"payloadType\"");
    free(t);
    t = with(o, NULL, "signatures", json_object());
    TAMPER(t, EX_EFORMAT, "\"signatures\" is not an array");
    free(t);
    t = with(o, NULL, "signatures", json_array());
    TAMPER(t, EX_EFORMAT, "no signatures");
    free(t);
    t = with(o, NULL, "signatures", json_pack("[s]", "x"));
    TAMPER(t, EX_EFORMAT, "signature 0 is not a JSON object");
    free(t);
    TAMPER("[]", EX_EFORMAT, "the envelope is not a JSON object");
    TAMPER("{\"payload\":\"\",\"payload\":\"\"}", EX_EFORMAT, "envelope: line 1");
    TAMPER("{\"payload\":", EX_EFORMAT, "envelope: line 1");
    /* base64: every way to spell the bytes otherwise */
    size_t pl = strlen(p64);
    char *b = malloc(pl + 8);
    snprintf(b, pl + 8, " %s", p64); /* leading space */
    t = with(o, NULL, "payload", json_string(b));
    TAMPER(t, EX_EFORMAT, "\"payload\" in the envelope is not canonical standard base64");
    free(t);
    memcpy(b, p64, pl + 1);
    for (size_t i = 0; i < pl; i++) /* url-safe alphabet */
        b[i] = b[i] == '+' ? '-' : b[i] == '/' ? '_' : b[i];
    if (strcmp(b, p64) != 0) {
        t = with(o, NULL, "payload", json_string(b));
        TAMPER(t, EX_EFORMAT, "not canonical standard base64");
        free(t);
    }
    memcpy(b, p64, pl + 1);
    while (pl && b[pl - 1] == '=') /* padding dropped */
        b[--pl] = 0;
    t = with(o, NULL, "payload", json_string(b));
    TAMPER(t, strcmp(b, p64) ? EX_EFORMAT : EX_OK, strcmp(b, p64) ? "base64" : "");
    free(t);
    snprintf(sb, sizeof sb, "%s", s64); /* the signature's "==" dropped */
    sb[strcspn(sb, "=")] = 0;
    t = with(o, "sig0", "sig", json_string(sb));
    TAMPER(t, EX_EFORMAT, "\"sig\" in signature 0 is not canonical standard base64");
    free(t);
    /* unused bits set: "QQ==" is "A", "QR==" spells it too in lenient decoders */
    t = with(o, "sig0", "sig", json_string("QR=="));
    TAMPER(t, EX_EFORMAT, "\"sig\" in signature 0 is not canonical standard base64");
    free(t);
    t = with(o, "sig0", "sig", json_string(""));
    TAMPER(t, EX_EFORMAT, "\"sig\" in signature 0 is empty");
    free(t);
    /* limits */
    char *huge = malloc(EX_DSSE_SIG_MAX / 3 * 4 + 16);
    memset(huge, 'A', EX_DSSE_SIG_MAX / 3 * 4 + 8);
    huge[EX_DSSE_SIG_MAX / 3 * 4 + 8] = 0;
    t = with(o, "sig0", "sig", json_string(huge));
    TAMPER(t, EX_ETOOBIG, "decodes to over 8192 bytes");
    free(t);
    free(huge);
    json_t *many = json_array();
    for (int i = 0; i < EX_DSSE_SIGS_MAX + 1; i++)
        json_array_append(many, json_array_get(json_object_get(o, "signatures"), 0));
    t = with(o, NULL, "signatures", many);
    TAMPER(t, EX_ETOOBIG, "17 signatures, over 16");
    free(t);
    char ty[EX_DSSE_TYPE_MAX + 2];
    memset(ty, 'a', sizeof ty - 1);
    ty[sizeof ty - 1] = 0;
    t = with(o, NULL, "payloadType", json_string(ty));
    TAMPER(t, EX_ETOOBIG, "\"payloadType\" in the envelope has 256 bytes, over 255");
    free(t);
    free(b);
    json_decref(o);
    free(env);
    free(stmt);
}

/* several signatures: which ones count */
static void
signatures(void)
{
    ex_err e = {0};
    size_t el = 0;
    char *env = NULL;
    ex_key *both[2] = {K, K2};
    CHECK_RC(ex_dsse_sign(both, 2, "t/x", "body", 4, &env, &el, &e), EX_OK);
    json_t *o = json_loads(env, 0, NULL);
    json_t *sigs = json_object_get(o, "signatures");
    json_t *s0 = json_array_get(sigs, 0), *s1 = json_array_get(sigs, 1);
    /* K's signature labelled with K2's keyid and the reverse: each is then a failing
     * signature of the named key */
    json_t *k0 = json_copy(json_object_get(s0, "keyid"));
    json_object_set(s0, "keyid", json_object_get(s1, "keyid"));
    json_object_set_new(s1, "keyid", k0);
    char *t = dump(o);
    TAMPER(t, EX_EVERIFY, "signature 1");
    free(t);
    /* both unlabelled: K's verifies, K2's is skipped */
    json_object_del(s0, "keyid");
    json_object_del(s1, "keyid");
    t = dump(o);
    TAMPER(t, EX_OK, "");
    free(t);
    /* K's signature broken but unlabelled, K2's labelled: no signature of K */
    json_object_set_new(s0, "sig", json_string("AAAA"));
    json_object_set_new(s1, "keyid", json_string("someone-else"));
    t = dump(o);
    TAMPER(t, EX_EVERIFY, "no signature verifies with key");
    free(t);
    json_decref(o);
    free(env);
}

/* ---- statements --------------------------------------------------------------------------- */

#define HEXA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SUBJ(name) "{\"name\":\"" name "\",\"digest\":{\"sha256\":\"" HEXA "\"}}"
#define STMT(subjects, rest)                                                                       \
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[" subjects "]" rest "}"
#define REST ",\"predicateType\":\"x:y\",\"predicate\":{}"

static void
statements(void)
{
    static const struct {
        const char *json, *says;
        int rc;
    } cases[] = {
        {STMT(SUBJ("b") "," SUBJ("a"), REST), "", EX_OK},
        {STMT(SUBJ("a"), ",\"predicateType\":\"x:y\",\"predicate\":{\"n\":1.5}"),
         "predicate: ", EX_EFORMAT},
        {"{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[" SUBJ("a") "]" REST "}",
         "\"_type\" is \"https://in-toto.io/Statement/v0.1\", not", EX_EFORMAT},
        {"{\"_type\":1,\"subject\":[" SUBJ("a") "]" REST "}", "\"_type\" is not a string",
         EX_EFORMAT},
        {STMT(SUBJ("a"), ",\"predicateType\":\"x:y\""), "has no \"predicate\"", EX_EFORMAT},
        {STMT(SUBJ("a"), ",\"predicate\":{}"), "has no \"predicateType\"", EX_EFORMAT},
        {STMT(SUBJ("a"), REST ",\"x\":1"), "unknown key \"x\" in the statement", EX_EFORMAT},
        {STMT(SUBJ("a"), ",\"predicateType\":\"\",\"predicate\":{}"),
         "\"predicateType\" is not a non-empty string", EX_EFORMAT},
        {STMT(SUBJ("a"), ",\"predicateType\":\"x:y\",\"predicate\":[]"),
         "\"predicate\" is not a JSON object", EX_EFORMAT},
        {STMT("", REST), "no subjects", EX_EFORMAT},
        {"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":{}" REST "}",
         "\"subject\" is not an array", EX_EFORMAT},
        {STMT(SUBJ("a") "," SUBJ("a"), REST), "subject \"a\" appears twice", EX_EFORMAT},
        {STMT(SUBJ(""), REST), "subject 0: empty \"name\"", EX_EFORMAT},
        {STMT(SUBJ("a") ",{\"name\":5,\"digest\":{}}", REST), "subject 1: \"name\" is not a string",
         EX_EFORMAT},
        {STMT("{\"name\":\"a\"}", REST), "subject 0 has no \"digest\"", EX_EFORMAT},
        {STMT("{\"name\":\"a\",\"digest\":{\"sha256\":\"" HEXA "\"},\"uri\":\"u\"}", REST),
         "unknown key \"uri\" in subject 0", EX_EFORMAT},
        {STMT("{\"name\":\"a\",\"digest\":{\"sha256\":\"" HEXA "\",\"sha512\":\"00\"}}", REST),
         "unknown key \"sha512\" in the digest of subject 0", EX_EFORMAT},
        {STMT("{\"name\":\"a\",\"digest\":{}}", REST), "the digest of subject 0 has no \"sha256\"",
         EX_EFORMAT},
        {STMT("{\"name\":\"a\",\"digest\":{\"sha256\":"
              "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
              REST),
         "subject 0: \"sha256\" is not 64 lowercase hex digits", EX_EFORMAT},
        {STMT("{\"name\":\"a\",\"digest\":{\"sha256\":\"aa\"}}", REST),
         "\"sha256\" is not 64 lowercase hex digits", EX_EFORMAT},
        {STMT("{\"name\":\"a\",\"digest\":[]}", REST),
         "the digest of subject 0 is not a JSON object", EX_EFORMAT},
        {STMT("7", REST), "subject 0 is not a JSON object", EX_EFORMAT},
        {"[1]", "the statement is not a JSON object", EX_EFORMAT},
        {"{\"_type\":", "statement: line 1", EX_EFORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ex_statement st = {0};
        ex_err e = {0};
        int rc = ex_statement_parse(cases[i].json, strlen(cases[i].json), &st, &e);
        if (rc != cases[i].rc || !strstr(e.msg, cases[i].says)) {
            t_failures++;
            fprintf(stderr, "statement case %zu: rc %d \"%s\", want %d \"%s\"\n", i, rc, e.msg,
                    cases[i].rc, cases[i].says);
        }
        t_checks++;
        if (rc == EX_OK) /* sorted on reading */
            CHECK(st.nsubjects == 2 && strcmp(st.subjects[0].name, "a") == 0);
        ex_statement_clear(&st);
    }
    /* the writer's refusals */
    ex_subject s[2] = {{.name = "a"}, {.name = "a"}};
    char *out = NULL;
    size_t len;
    ex_err e = {0};
    CHECK_RC(ex_statement_write(s, 2, "x:y", "{}", 2, &out, &len, &e), EX_EINVAL);
    CHECK(strstr(e.msg, "subject \"a\" given twice") != NULL);
    CHECK_RC(ex_statement_write(s, 0, "x:y", "{}", 2, &out, &len, &e), EX_EINVAL);
    CHECK_RC(ex_statement_write(s, 1, "", "{}", 2, &out, &len, &e), EX_EINVAL);
    CHECK_RC(ex_statement_write(s, 1, "x:y", "[]", 2, &out, &len, &e), EX_EINVAL);
    CHECK(strstr(e.msg, "predicate is not a JSON object") != NULL);
    CHECK_RC(ex_statement_write(s, 1, "x:y", "{\"a\":1,\"a\":2}", 13, &out, &len, &e), EX_EINVAL);
    CHECK_RC(ex_statement_write(s, 1, "x:y", "{\"r\":0.5}", 9, &out, &len, &e), EX_EINVAL);
    s[1].name = "";
    CHECK_RC(ex_statement_write(s, 2, "x:y", "{}", 2, &out, &len, &e), EX_EINVAL);
    CHECK(strstr(e.msg, "subject 1: name is empty") != NULL);
    s[1].name = "\xff";
    CHECK_RC(ex_statement_write(s, 2, "x:y", "{}", 2, &out, &len, &e), EX_EINVAL);
}

/* ---- helper modes ------------------------------------------------------------------------- */

/* the fuzz corpus of fuzz_envelope: envelopes signed by alice (fuzz/fuzz_common.h) and by
 * alice with a second key (PeterNeumann, as in fuzz_common.h), one without keyids, and a
 * statement alone; the same bytes on every run (Ed25519 signatures are deterministic) */
static int
corpus(const char *dir)
{
    ex_key *alice = NULL, *neumann = NULL;
    ex_err e = {0};
    if (ex_key_from_signer(ALICE_SIGNER, &alice, &e) != EX_OK ||
        ex_key_from_signer(NEUMANN_SIGNER, &neumann, &e) != EX_OK) {
        fprintf(stderr, "test_attest: %s\n", e.msg);
        return 1;
    }
    size_t sl = 0, el = 0;
    char *stmt = statement3(&sl), *env = NULL, path[4096];
    int ok = 1;
    snprintf(path, sizeof path, "%s/statement-3-subjects", dir);
    ok &= write_all(path, stmt, sl);
    ok &= ex_dsse_sign(&alice, 1, EX_DSSE_INTOTO_TYPE, stmt, sl, &env, &el, &e) == EX_OK;
    snprintf(path, sizeof path, "%s/envelope-alice", dir);
    ok &= env && write_all(path, env, el);
    /* the same without its keyid, and pretty-printed */
    json_t *o = json_loads(env, 0, NULL);
    json_object_del(json_array_get(json_object_get(o, "signatures"), 0), "keyid");
    char *t = json_dumps(o, JSON_INDENT(2));
    snprintf(path, sizeof path, "%s/envelope-alice-no-keyid-indented", dir);
    ok &= t && write_all(path, t, strlen(t));
    free(t);
    json_decref(o);
    free(env);
    ex_key *two[2] = {neumann, alice};
    ok &= ex_dsse_sign(two, 2, EX_DSSE_INTOTO_TYPE, stmt, sl, &env, &el, &e) == EX_OK;
    snprintf(path, sizeof path, "%s/envelope-two-signers", dir);
    ok &= env && write_all(path, env, el);
    free(env);
    ok &= ex_dsse_sign(&alice, 1, "text/plain", "hello", 5, &env, &el, &e) == EX_OK;
    snprintf(path, sizeof path, "%s/envelope-text", dir);
    ok &= env && write_all(path, env, el);
    free(env);
    ex_key_free(alice);
    ex_key_free(neumann);
    free(stmt);
    if (!ok)
        fprintf(stderr, "test_attest: cannot write the corpus in '%s'\n", dir);
    return ok ? 0 : 1;
}

/* a statement of two subjects signed by a fresh key: FILE, and the public key in FILE.pub */
static int
make_envelope(const char *path)
{
    ex_subject s[2] = {{.name = "model-00001-of-00002.safetensors"},
                       {.name = "model.safetensors.index.json"}};
    memset(s[0].sha256, 0xab, 32);
    memset(s[1].sha256, 0x01, 32);
    static const char pred[] = "{\"kind\":\"pretrain\",\"note\":\"caf\u00e9 \u2603\"}";
    char *stmt = NULL, *env = NULL, pub[65], pubpath[4096];
    size_t sl = 0, el = 0;
    ex_err e = {0};
    ex_vkey v;
    if (ex_statement_write(s, 2, RUN_TYPE, pred, sizeof pred - 1, &stmt, &sl, &e) != EX_OK ||
        ex_dsse_sign(&K, 1, EX_DSSE_INTOTO_TYPE, stmt, sl, &env, &el, &e) != EX_OK) {
        fprintf(stderr, "test_attest: %s\n", e.msg);
        return 1;
    }
    ex_key_vkey(K, &v);
    ex_hex_encode(v.pub, 32, pub);
    snprintf(pubpath, sizeof pubpath, "%s.pub", path);
    int ok = write_all(path, env, el) && write_all(pubpath, pub, 64);
    free(stmt);
    free(env);
    return ok ? 0 : 1;
}

/* an envelope made elsewhere: verifies with the raw key, carries a statement */
static int
verify_file(const char *path, const char *pubhex)
{
    ex_vkey v = {.name = "given"};
    if (ex_hex_decode(pubhex, strlen(pubhex), v.pub, 32) != EX_OK) {
        fprintf(stderr, "test_attest: the public key is not 64 hex digits\n");
        return 2;
    }
    size_t len = 0;
    char *json = read_all(path, &len);
    if (!json) {
        fprintf(stderr, "test_attest: cannot read '%s'\n", path);
        return 2;
    }
    ex_err e = {0};
    ex_dsse_env d = {0};
    ex_statement st = {0};
    int rc = ex_dsse_open(json, len, EX_DSSE_INTOTO_TYPE, &v, &d, &e);
    if (rc == EX_OK)
        rc = ex_statement_parse(d.payload, d.payload_len, &st, &e);
    if (rc == EX_OK)
        printf("verified: %zu subjects, predicateType %s\n", st.nsubjects, st.predicate_type);
    else
        fprintf(stderr, "test_attest: %s\n", e.msg);
    ex_statement_clear(&st);
    ex_dsse_env_clear(&d);
    free(json);
    return rc == EX_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--verify") == 0)
        return verify_file(argv[2], argv[3]);
    if (ex_key_generate("test.example/k", &K, NULL) != EX_OK ||
        ex_key_generate("test.example/k2", &K2, NULL) != EX_OK)
        return 1;
    ex_key_vkey(K, &VK);
    ex_key_vkey(K2, &VK2);
    int rc;
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
        rc = corpus(argv[2]);
    else if (argc == 3 && strcmp(argv[1], "--envelope") == 0)
        rc = make_envelope(argv[2]);
    else if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: test_attest VECTORS.json | --corpus DIR | --envelope FILE | "
                        "--verify FILE PUBHEX\n");
        rc = 2;
    } else if (!vectors(argv[1])) {
        rc = 1; /* a missing vector file fails the test: it never skips */
    } else {
        round_trip();
        tampers();
        signatures();
        statements();
        rc = t_done("test_attest");
    }
    ex_key_free(K);
    ex_key_free(K2);
    return rc;
}
