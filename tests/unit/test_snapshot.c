/* test_snapshot.c - the snapshot tree (sorted-tree roots and proofs against ex_merkle_root and
 * ex_merkle_verify_inclusion) and snapshot proof documents (PROOFS.md): real proofs built end
 * to end over a ledger's log, every field mutated and each mutation rejected with the step it
 * breaks, the edge cases of the tree, and fixed-key documents (the fuzz corpus: run with
 * --corpus DIR to write them). */
#include <jansson.h>
#include <stdint.h>
#include <unistd.h>

#include "exante.h"
#include "t.h"

static ex_sha256 *H, *H2;

/* n digests: deterministic pseudo-random bytes, then sorted by construction (the first 8
 * bytes carry i scaled, so d[i] < d[i+1]) */
static void
make_digests(uint8_t (*d)[EX_HASH_BYTES], uint64_t n, unsigned seed)
{
    for (uint64_t i = 0; i < n; i++) {
        uint8_t tmp[16] = {0};
        memcpy(tmp, &i, 8);
        memcpy(tmp + 8, &seed, sizeof seed);
        ex_sha256_digest(H, tmp, sizeof tmp, d[i]);
        uint64_t v = (i + 1) * 4; /* gaps of 4 leave room for digests between members */
        for (int b = 0; b < 8; b++)
            d[i][b] = (uint8_t)(v >> (56 - 8 * b));
    }
}

static void
leaf_hashes(const uint8_t (*d)[EX_HASH_BYTES], uint64_t n, uint8_t (*out)[EX_HASH_BYTES])
{
    for (uint64_t i = 0; i < n; i++)
        ex_merkle_leaf(H, d[i], EX_HASH_BYTES, out[i]);
}

/* root and every proof (small n) or a sample of proofs (large n) against the reference */
static void
sorted_tree_kat(uint64_t n)
{
    uint8_t (*d)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    uint8_t (*lv)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    make_digests(d, n, 7);
    leaf_hashes((const uint8_t(*)[EX_HASH_BYTES])d, n, lv);
    uint8_t want[EX_HASH_BYTES], got[EX_HASH_BYTES];
    CHECK_RC(ex_merkle_root(H, (const uint8_t(*)[EX_HASH_BYTES])lv, n, want), EX_OK);
    CHECK_RC(ex_merkle_sorted_root(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, got), EX_OK);
    CHECK(memcmp(want, got, EX_HASH_BYTES) == 0);
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t np = 999;
    int bad = 0;
    for (uint64_t i = 0; i < n; i += (n <= 70 ? 1 : n / 37 + 1)) {
        if (ex_merkle_sorted_prove(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, i, proof, &np) !=
                EX_OK ||
            ex_merkle_verify_inclusion(H, i, n, lv[i], (const uint8_t(*)[EX_HASH_BYTES])proof, np,
                                       want, EX_HASH_BYTES) != EX_OK)
            bad++;
        /* the last leaf too */
        if (i + (n <= 70 ? 1 : n / 37 + 1) >= n && i != n - 1 &&
            (ex_merkle_sorted_prove(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, n - 1, proof,
                                    &np) != EX_OK ||
             ex_merkle_verify_inclusion(H, n - 1, n, lv[n - 1],
                                        (const uint8_t(*)[EX_HASH_BYTES])proof, np, want,
                                        EX_HASH_BYTES) != EX_OK))
            bad++;
    }
    if (bad)
        fprintf(stderr, "sorted tree of %llu: %d bad proofs\n", (unsigned long long)n, bad);
    CHECK(bad == 0);
    np = 999;
    CHECK_RC(ex_merkle_sorted_prove(H, (const uint8_t(*)[EX_HASH_BYTES])d, n, n, proof, &np),
             EX_ERANGE);
    CHECK(np == 999);
    uint64_t at = 12345;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, n, &at), EX_OK);
    CHECK(at == 12345);
    free(d);
    free(lv);
}

static void
sorted_tree(void)
{
    for (uint64_t n = 0; n <= 70; n++)
        sorted_tree_kat(n);
    sorted_tree_kat(1000);
    sorted_tree_kat(1024);
    sorted_tree_kat(1025);
    sorted_tree_kat(70000);

    /* H("") for the empty tree, a known answer */
    static const uint8_t empty[EX_HASH_BYTES] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
        0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
        0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    uint8_t r[EX_HASH_BYTES];
    CHECK_RC(ex_merkle_sorted_root(H, NULL, 0, r), EX_OK);
    CHECK(memcmp(r, empty, EX_HASH_BYTES) == 0);

    /* strict order: equal and descending neighbours are named; the byte order is unsigned */
    uint8_t d[5][EX_HASH_BYTES] = {{0}};
    d[1][31] = 1;
    d[2][0] = 0x7f;
    d[3][0] = 0x80; /* above 0x7f as unsigned bytes */
    d[4][0] = 0xff;
    uint64_t at = 0;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 5, &at), EX_OK);
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 0, &at), EX_OK);
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 1, &at), EX_OK);
    memcpy(d[3], d[2], EX_HASH_BYTES);
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 5, &at), EX_EVERIFY);
    CHECK(at == 3);
    d[3][0] = 0x80;
    d[4][0] = 0x00;
    d[4][31] = 0xff;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 5, &at), EX_EVERIFY);
    CHECK(at == 4);
    d[1][31] = 0;
    CHECK_RC(ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])d, 2, &at), EX_EVERIFY);
    CHECK(at == 1);
}

/* ---- proof documents ------------------------------------------------------------------- */

typedef const uint8_t (*digests)[EX_HASH_BYTES];

static ex_log *G;      /* the ledger's log */
static ex_vkey VK;     /* the ledger's verifier key */
static ex_vkey OTHER;  /* another key */
static ex_key *ALICE;  /* the fixed corpus key (fuzz/fuzz_common.h) */
static ex_vkey ALICE_VK;

#define ALICE_SIGNER                                                                               \
    "PRIVATE+KEY+exante.fuzz/alice+ac67dd06+AVoldJhN/+d8FXmzbddzDKkU4VOcKASq71IxgCj6WvzU"

/* a digest strictly between members[i-1] and members[i] of make_digests (i = 0: below the
 * first, i = n: above the last) */
static void
gap_digest(uint64_t i, uint8_t q[EX_HASH_BYTES])
{
    memset(q, 0x5a, EX_HASH_BYTES);
    uint64_t v = i * 4 + 2;
    for (int b = 0; b < 8; b++)
        q[b] = (uint8_t)(v >> (56 - 8 * b));
}

/* the snapshot record for a tree of `size` leaves with root */
static size_t
record_text(uint64_t size, const uint8_t root[EX_HASH_BYTES], char *buf, size_t cap)
{
    char r64[64];
    ex_b64_encode(root, EX_HASH_BYTES, r64);
    return (size_t)snprintf(buf, cap,
                            "{\"log_size\":7,\"name\":\"s%llu\",\"root\":\"%s\",\"size\":%llu,"
                            "\"type\":\"snapshot\"}",
                            (unsigned long long)size, r64, (unsigned long long)size);
}

/* append an entry to the ledger's log; its index */
static uint64_t
append(const char *e, size_t len)
{
    const void *p = e;
    uint64_t first = 0;
    CHECK_RC(ex_log_append(G, &p, &len, 1, &first), EX_OK);
    return first;
}

/* the proof document for q over the record at rec (entry e) in the log at its current size,
 * with the leaves ex_snapshot_leaves picks in members[0..n) */
static char *
ledger_doc(uint64_t rec, const char *e, size_t elen, digests m, uint64_t n,
           const uint8_t q[EX_HASH_BYTES], int *member, size_t *len)
{
    uint64_t size = ex_log_size(G);
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t np = 0, nl = 9;
    char *cp = NULL, *doc = NULL;
    size_t cplen;
    static ex_snapshot_leaf lv[2];
    CHECK_RC(ex_log_prove_inclusion(G, rec, size, proof, &np), EX_OK);
    CHECK_RC(ex_log_checkpoint_at_dup(G, size, &cp, &cplen), EX_OK);
    CHECK_RC(ex_snapshot_leaves(H, m, n, q, lv, &nl, member), EX_OK);
    CHECK_RC(ex_snapshot_proof_doc_dup(q, *member, e, elen, rec, size,
                                       (const uint8_t(*)[EX_HASH_BYTES])proof, np, cp, lv, nl,
                                       &doc, len),
             EX_OK);
    free(cp);
    return doc;
}

/* parse, then verify with key: the first failure's code (message in e), or EX_OK with *kind */
static int
check_doc(const char *doc, size_t len, const ex_vkey *key, int *kind, ex_err *e)
{
    ex_log_proof p;
    memset(e, 0, sizeof *e);
    int rc = ex_log_proof_parse(doc, len, &p, e);
    if (rc == EX_OK)
        rc = ex_log_proof_verify(&p, key, e);
    if (kind)
        *kind = p.kind;
    ex_log_proof_clear(&p);
    return rc;
}

/* doc checks out with the verdict wanted, and is the canonical form of itself */
static void
expect_ok(const char *doc, size_t len, const ex_vkey *key, int member, int line)
{
    int kind = 0;
    ex_err e;
    int rc = check_doc(doc, len, key, &kind, &e);
    if (rc != EX_OK || kind != (member ? EX_PROOF_SNAPSHOT_MEMBER : EX_PROOF_SNAPSHOT_NON_MEMBER))
        fprintf(stderr, "line %d: rc %d kind %d: %s\n", line, rc, kind, e.msg);
    CHECK(rc == EX_OK);
    CHECK(kind == (member ? EX_PROOF_SNAPSHOT_MEMBER : EX_PROOF_SNAPSHOT_NON_MEMBER));
    json_t *j = json_loadb(doc, len, 0, NULL);
    char *c = NULL;
    size_t clen = 0;
    CHECK_RC(ex_json_canonical_dup(j, &c, &clen, NULL), EX_OK);
    CHECK(c && clen == len && memcmp(c, doc, len) == 0);
    free(c);
    json_decref(j);
    /* the key is required */
    ex_log_proof p;
    CHECK_RC(ex_log_proof_parse(doc, len, &p, &e), EX_OK);
    CHECK_RC(ex_log_proof_verify(&p, NULL, &e), EX_EINVAL);
    ex_log_proof_clear(&p);
}

/* j (consumed) written canonically is rejected with want, its message starting with prefix */
static void
expect_json(json_t *j, const ex_vkey *key, int want, const char *prefix, int line)
{
    char *doc = NULL;
    size_t len = 0;
    int crc = ex_json_canonical_dup(j, &doc, &len, NULL);
    json_decref(j);
    CHECK_RC(crc, EX_OK);
    if (crc != EX_OK)
        return;
    ex_err e;
    int rc = check_doc(doc, len, key, NULL, &e);
    int ok = rc == want && (!prefix || strncmp(e.msg, prefix, strlen(prefix)) == 0);
    if (!ok)
        fprintf(stderr, "line %d: got %d \"%s\", want %d \"%s\"\n", line, rc, e.msg, want,
                prefix ? prefix : "");
    CHECK(ok);
    free(doc);
}
#define EXPECT_JSON(j, want, prefix) expect_json(j, &VK, want, prefix, __LINE__)

static json_t *
load(const char *doc, size_t len)
{
    json_t *j = json_loadb(doc, len, 0, NULL);
    CHECK(j != NULL);
    return j;
}

static json_t *
snap(json_t *j)
{
    return json_object_get(j, "snapshot");
}

static json_t *
leaf(json_t *j, size_t k)
{
    return json_array_get(json_object_get(j, "leaves"), k);
}

/* flip one bit of the base64 hash at a[k] */
static void
flip_hash(json_t *a, size_t k, unsigned bit)
{
    uint8_t h[EX_HASH_BYTES];
    size_t n = 0;
    const char *s = json_string_value(json_array_get(a, k));
    CHECK(s && ex_b64_decode(s, strlen(s), h, sizeof h, &n) == EX_OK && n == EX_HASH_BYTES);
    h[(bit / 8) % EX_HASH_BYTES] ^= (uint8_t)(1u << (bit % 8));
    char b[64];
    ex_b64_encode(h, EX_HASH_BYTES, b);
    json_array_set_new(a, k, json_string(b));
}

static void
add_int(json_t *o, const char *key, int64_t d)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + d));
}

/* the record in the document, re-encoded with `key` set to v (consumed) */
static void
set_record(json_t *j, const char *key, json_t *v)
{
    const char *s = json_string_value(json_object_get(snap(j), "entry"));
    uint8_t e[EX_ENTRY_MAX];
    size_t n = 0;
    CHECK_RC(ex_b64_decode(s, strlen(s), e, sizeof e, &n), EX_OK);
    json_t *r = json_loadb((const char *)e, n, 0, NULL);
    json_object_set_new(r, key, v);
    char *c = NULL;
    size_t clen = 0;
    CHECK_RC(ex_json_canonical_dup(r, &c, &clen, NULL), EX_OK);
    char *b = malloc(4 * (clen / 3 + 1) + 1);
    ex_b64_encode((const uint8_t *)c, clen, b);
    json_object_set_new(snap(j), "entry", json_string(b));
    free(b);
    free(c);
    json_decref(r);
}

/* every field of a valid document changed, each change rejected */
static void
mutate_all(const char *doc, size_t len)
{
    json_t *j = load(doc, len);
    int member = strcmp(json_string_value(json_object_get(j, "type")), "snapshot-membership") == 0;
    const char *lstep = member ? "step 4" : "step 5";
    size_t nleaves = json_array_size(json_object_get(j, "leaves"));
    size_t nlog = json_array_size(json_object_get(snap(j), "log_proof"));
    json_decref(j);
    ex_err e;

    /* each hash of each proof, a low and a high bit */
    for (size_t k = 0; k < nlog; k++)
        for (unsigned bit = 0; bit < 256; bit += 255) {
            j = load(doc, len);
            flip_hash(json_object_get(snap(j), "log_proof"), k, bit);
            EXPECT_JSON(j, EX_EVERIFY, "step 2");
        }
    for (size_t l = 0; l < nleaves; l++) {
        j = load(doc, len);
        size_t np = json_array_size(json_object_get(leaf(j, l), "proof"));
        json_decref(j);
        for (size_t k = 0; k < np; k++)
            for (unsigned bit = 3; bit < 256; bit += 250) {
                j = load(doc, len);
                flip_hash(json_object_get(leaf(j, l), "proof"), k, bit);
                EXPECT_JSON(j, EX_EVERIFY, lstep);
            }
        /* a proof hash too many, and one too few */
        j = load(doc, len);
        json_array_append_new(json_object_get(leaf(j, l), "proof"),
                              json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
        EXPECT_JSON(j, EX_EVERIFY, lstep);
        if (np) {
            j = load(doc, len);
            json_array_remove(json_object_get(leaf(j, l), "proof"), np - 1);
            EXPECT_JSON(j, EX_EVERIFY, lstep);
        }
        /* its index, up and down; its digest */
        for (int d = -1; d <= 1; d += 2) {
            j = load(doc, len);
            if (json_integer_value(json_object_get(leaf(j, l), "index")) + d < 0) {
                add_int(leaf(j, l), "index", d);
                EXPECT_JSON(j, EX_EFORMAT, "proof: leaves[");
            } else {
                add_int(leaf(j, l), "index", d);
                EXPECT_JSON(j, EX_EVERIFY, "step ");
            }
        }
        j = load(doc, len);
        char dg[EX_DIGEST_STR_BYTES];
        snprintf(dg, sizeof dg, "%s", json_string_value(json_object_get(leaf(j, l), "digest")));
        dg[EX_DIGEST_STR_LEN - 1] = dg[EX_DIGEST_STR_LEN - 1] == '0' ? '1' : '0';
        json_object_set_new(leaf(j, l), "digest", json_string(dg));
        EXPECT_JSON(j, EX_EVERIFY, member ? "step 4" : "step 5");
    }
    /* the digest asked about: another (a member: not the leaf's; else a leaf's own) */
    j = load(doc, len);
    if (member) {
        char dg[EX_DIGEST_STR_BYTES];
        snprintf(dg, sizeof dg, "%s", json_string_value(json_object_get(j, "digest")));
        dg[EX_DIGEST_STR_LEN - 1] = dg[EX_DIGEST_STR_LEN - 1] == '0' ? '1' : '0';
        json_object_set_new(j, "digest", json_string(dg));
        EXPECT_JSON(j, EX_EVERIFY, "step 4: the leaf's digest is not the digest");
    } else if (nleaves) {
        json_object_set(j, "digest", json_object_get(leaf(j, nleaves - 1), "digest"));
        EXPECT_JSON(j, EX_EVERIFY, "step 5: ");
    } else {
        json_decref(j);
    }
    /* the other type */
    j = load(doc, len);
    json_object_set_new(j, "type", json_string(member ? "snapshot-non-membership"
                                                      : "snapshot-membership"));
    EXPECT_JSON(j, EX_EVERIFY, "step ");
    /* log_index, log_size */
    for (int d = -1; d <= 1; d += 2) {
        j = load(doc, len);
        add_int(snap(j), "log_index", d);
        EXPECT_JSON(j, EX_EVERIFY, "step 2");
        j = load(doc, len);
        add_int(snap(j), "log_size", d);
        EXPECT_JSON(j, EX_EVERIFY, "step 1");
    }
    /* the record's size and root, re-encoded: no longer the logged entry */
    j = load(doc, len);
    set_record(j, "size", json_integer(1000));
    EXPECT_JSON(j, EX_EVERIFY, "step 2");
    j = load(doc, len);
    set_record(j, "root", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    EXPECT_JSON(j, EX_EVERIFY, "step 2");
    /* the checkpoint: a signature bit, another note */
    j = load(doc, len);
    {
        char *cp = strdup(json_string_value(json_object_get(snap(j), "checkpoint")));
        char *sig = strstr(cp, "\n\n\xe2\x80\x94 ");
        CHECK(sig != NULL);
        char *b64 = sig ? strrchr(sig, ' ') + 1 : cp;
        b64[10] = b64[10] == 'A' ? 'B' : 'A';
        json_object_set_new(snap(j), "checkpoint", json_string(cp));
        free(cp);
        EXPECT_JSON(j, EX_EVERIFY, "step 1");
    }
    j = load(doc, len);
    json_object_set_new(snap(j), "checkpoint", json_string("not a note\n"));
    EXPECT_JSON(j, EX_EVERIFY, "step 1");

    /* keys: one more at each level, each one missing */
    static const char *const top[] = {"type", "digest", "snapshot", "leaves", NULL};
    static const char *const sk[] = {"entry", "log_index", "log_size", "log_proof", "checkpoint",
                                     NULL};
    static const char *const lk[] = {"index", "digest", "proof", NULL};
    j = load(doc, len);
    json_object_set_new(j, "note", json_string("x"));
    EXPECT_JSON(j, EX_EFORMAT, "proof: unknown key \"note\"");
    j = load(doc, len);
    json_object_set_new(snap(j), "root", json_string("x"));
    EXPECT_JSON(j, EX_EFORMAT, "proof: unknown key \"root\"");
    for (int i = 1; top[i]; i++) { /* without "type" it is another kind of document */
        j = load(doc, len);
        json_object_del(j, top[i]);
        EXPECT_JSON(j, EX_EFORMAT, "proof: the document has no");
    }
    j = load(doc, len);
    json_object_del(j, "type");
    EXPECT_JSON(j, EX_EFORMAT, NULL);
    for (int i = 0; sk[i]; i++) {
        j = load(doc, len);
        json_object_del(snap(j), sk[i]);
        EXPECT_JSON(j, EX_EFORMAT, "proof: \"snapshot\" has no");
    }
    for (size_t l = 0; l < nleaves; l++) {
        j = load(doc, len);
        json_object_set_new(leaf(j, l), "size", json_integer(3));
        EXPECT_JSON(j, EX_EFORMAT, "proof: unknown key \"size\" in leaves[");
        for (int i = 0; lk[i]; i++) {
            j = load(doc, len);
            json_object_del(leaf(j, l), lk[i]);
            EXPECT_JSON(j, EX_EFORMAT, "proof: leaves[");
        }
        /* uppercase digest */
        j = load(doc, len);
        char up[EX_DIGEST_STR_BYTES];
        snprintf(up, sizeof up, "%s", json_string_value(json_object_get(leaf(j, l), "digest")));
        for (char *c = up + 7; *c; c++)
            if (*c >= 'a' && *c <= 'f')
                *c = (char)(*c - 'a' + 'A');
        json_object_set_new(leaf(j, l), "digest", json_string(up));
        EXPECT_JSON(j, EX_EFORMAT, "proof: leaves[");
    }
    /* encodings: uppercase digest, a 31-byte and a 33-byte hash, non-canonical base64 */
    j = load(doc, len);
    {
        char up[EX_DIGEST_STR_BYTES];
        snprintf(up, sizeof up, "%s", json_string_value(json_object_get(j, "digest")));
        for (char *c = up + 7; *c; c++)
            if (*c >= 'a' && *c <= 'f')
                *c = (char)(*c - 'a' + 'A');
        json_object_set_new(j, "digest", json_string(up));
        EXPECT_JSON(j, EX_EFORMAT, "proof: \"digest\" is not");
        j = load(doc, len);
        json_object_set_new(j, "digest", json_string("sha256:abcd"));
        EXPECT_JSON(j, EX_EFORMAT, "proof: \"digest\" is not");
    }
    if (nlog) {
        static const uint8_t z[33] = {0};
        char b[64];
        ex_b64_encode(z, 31, b);
        j = load(doc, len);
        json_array_set_new(json_object_get(snap(j), "log_proof"), 0, json_string(b));
        EXPECT_JSON(j, EX_EFORMAT, "proof: snapshot.\"log_proof\"[0]");
        ex_b64_encode(z, 33, b);
        j = load(doc, len);
        json_array_set_new(json_object_get(snap(j), "log_proof"), 0, json_string(b));
        EXPECT_JSON(j, EX_EFORMAT, "proof: snapshot.\"log_proof\"[0]");
        /* unused bits set in the last group: decodes to the same bytes, but not canonical */
        j = load(doc, len);
        snprintf(b, sizeof b, "%s",
                 json_string_value(json_array_get(json_object_get(snap(j), "log_proof"), 0)));
        static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t v = (size_t)(strchr(al, b[42]) - al);
        b[42] = al[v ^ 1];
        json_array_set_new(json_object_get(snap(j), "log_proof"), 0, json_string(b));
        EXPECT_JSON(j, EX_EFORMAT, "proof: snapshot.\"log_proof\"[0]");
        j = load(doc, len); /* without padding */
        b[42] = al[v];
        b[43] = '\0';
        json_array_set_new(json_object_get(snap(j), "log_proof"), 0, json_string(b));
        EXPECT_JSON(j, EX_EFORMAT, "proof: snapshot.\"log_proof\"[0]");
    }
    j = load(doc, len);
    {
        char *en = strdup(json_string_value(json_object_get(snap(j), "entry")));
        size_t el = strlen(en);
        strcpy(en + el - 4, "AA=\n"); /* whitespace in base64 */
        json_object_set_new(snap(j), "entry", json_string(en));
        free(en);
        EXPECT_JSON(j, EX_EFORMAT, "proof: snapshot.\"entry\"");
    }
    /* integers out of range, of the wrong type */
    for (int neg = 0; neg < 2; neg++) { /* 2^53 and -1 (which the canonical writer refuses) */
        j = load(doc, len);
        json_object_set_new(snap(j), "log_index", json_integer(INT64_C(900719925474099)));
        char *c = NULL, *at;
        size_t clen = 0;
        CHECK_RC(ex_json_canonical_dup(j, &c, &clen, NULL), EX_OK);
        json_decref(j);
        char *big = malloc(clen + 2);
        at = strstr(c, "900719925474099");
        CHECK(at != NULL);
        if (!at)
            break;
        memcpy(big, c, (size_t)(at - c));
        strcpy(big + (at - c), neg ? "-1" : "9007199254740992");
        strcat(big, at + 15);
        CHECK_RC(check_doc(big, strlen(big), &VK, NULL, &e), EX_EFORMAT);
        CHECK(strncmp(e.msg, "proof: snapshot.\"log_index\"", 27) == 0);
        free(big);
        free(c);
    }
    j = load(doc, len);
    json_object_set_new(snap(j), "log_size", json_string("9"));
    EXPECT_JSON(j, EX_EFORMAT, "proof: snapshot.\"log_size\"");
    /* three leaves */
    j = load(doc, len);
    {
        json_t *lv = json_object_get(j, "leaves");
        json_t *one = json_object();
        json_object_set(one, "digest", json_object_get(j, "digest"));
        json_object_set_new(one, "index", json_integer(0));
        json_object_set_new(one, "proof", json_array());
        while (json_array_size(lv) < 3)
            json_array_append(lv, one);
        json_decref(one);
        EXPECT_JSON(j, EX_EFORMAT, "proof: \"leaves\"");
    }

    /* the bytes themselves: the canonical form only */
    char *alt = malloc(len + 2);
    memcpy(alt, doc, len);
    alt[len] = '\n';
    CHECK_RC(check_doc(alt, len + 1, &VK, NULL, &e), EX_EFORMAT);
    alt[0] = ' ';
    memcpy(alt + 1, doc, len);
    CHECK_RC(check_doc(alt, len + 1, &VK, NULL, &e), EX_EFORMAT);
    free(alt);
    j = load(doc, len);
    char *pretty = json_dumps(j, JSON_INDENT(1));
    json_decref(j);
    CHECK_RC(check_doc(pretty, strlen(pretty), &VK, NULL, &e), EX_EFORMAT);
    free(pretty);
    /* another key */
    CHECK_RC(check_doc(doc, len, &OTHER, NULL, &e), EX_EVERIFY);
    CHECK(strncmp(e.msg, "step 1", 6) == 0);
}

/* one snapshot of n members in the ledger's log: every member and every gap proved and
 * checked; returns the record's index */
static void
snapshot_case(uint64_t n, int mutate)
{
    uint8_t(*m)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    make_digests(m, n, (unsigned)n);
    uint8_t root[EX_HASH_BYTES], q[EX_HASH_BYTES];
    CHECK_RC(ex_merkle_sorted_root(H, (digests)m, n, root), EX_OK);
    char e[256];
    size_t elen = record_text(n, root, e, sizeof e);
    uint64_t rec = append(e, elen);
    append("{\"type\":\"filler\"}", 17); /* the record is not the last entry */
    for (uint64_t i = 0; i <= n; i++) {
        for (int is = 0; is < 2; is++) {
            if (is && i == n)
                break;
            if (is)
                memcpy(q, m[i], EX_HASH_BYTES);
            else
                gap_digest(i, q);
            int member = -1;
            size_t len = 0;
            char *doc = ledger_doc(rec, e, elen, (digests)m, n, q, &member, &len);
            CHECK(member == is);
            json_t *j = load(doc, len);
            size_t nl = json_array_size(json_object_get(j, "leaves"));
            /* the leaves chosen: the member; the first; the last; the two neighbours */
            uint64_t want0 = is ? i : i == 0 ? 0 : i == n ? n - 1 : i - 1;
            size_t wantn = is || i == 0 || i == n ? (n ? 1 : 0) : 2;
            CHECK(nl == wantn);
            if (nl)
                CHECK((uint64_t)json_integer_value(json_object_get(leaf(j, 0), "index")) == want0);
            json_decref(j);
            expect_ok(doc, len, &VK, is, __LINE__);
            if (mutate && (is ? i == n / 2 : (i == 0 || i == n / 2 || i == n)))
                mutate_all(doc, len);
            free(doc);
        }
    }
    free(m);
}

/* documents that are well formed but prove the wrong thing, built leaf by leaf */
static void
wrong_leaves(void)
{
    uint64_t n = 8;
    uint8_t m[8][EX_HASH_BYTES], root[EX_HASH_BYTES], q[EX_HASH_BYTES];
    make_digests(m, n, 99);
    CHECK_RC(ex_merkle_sorted_root(H, (digests)m, n, root), EX_OK);
    char e[256];
    size_t elen = record_text(n, root, e, sizeof e);
    uint64_t rec = append(e, elen), size = ex_log_size(G);
    uint8_t lp[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t lpn = 0;
    char *cp = NULL;
    size_t cplen = 0;
    CHECK_RC(ex_log_prove_inclusion(G, rec, size, lp, &lpn), EX_OK);
    CHECK_RC(ex_log_checkpoint_at_dup(G, size, &cp, &cplen), EX_OK);
    ex_snapshot_leaf L[2];
    /* a document of the leaves at idx[0..k) for q, expected to fail with want / prefix */
#define LEAVES_DOC(member_, k_, i0_, i1_, prefix_)                                                \
    do {                                                                                           \
        uint64_t idx_[2] = {i0_, i1_};                                                             \
        size_t k2_ = (k_);                                                                         \
        for (size_t x_ = 0; x_ < k2_; x_++) {                                                     \
            L[x_].index = idx_[x_];                                                                \
            memcpy(L[x_].digest, m[idx_[x_]], EX_HASH_BYTES);                                      \
            CHECK_RC(ex_merkle_sorted_prove(H, (digests)m, n, idx_[x_], L[x_].proof, &L[x_].n),    \
                     EX_OK);                                                                       \
        }                                                                                          \
        char *d_ = NULL;                                                                           \
        size_t dl_ = 0;                                                                            \
        ex_err e_;                                                                                 \
        CHECK_RC(ex_snapshot_proof_doc_dup(q, member_, e, elen, rec, size,                         \
                                           (const uint8_t(*)[EX_HASH_BYTES])lp, lpn, cp, L, k2_,   \
                                           &d_, &dl_),                                             \
                 EX_OK);                                                                           \
        int rc_ = check_doc(d_, dl_, &VK, NULL, &e_), want_ = (prefix_)[0] ? EX_EVERIFY : EX_OK; \
        int ok_ = rc_ == want_ && (!want_ || strncmp(e_.msg, prefix_, strlen(prefix_)) == 0);     \
        if (!ok_)                                                                                  \
            fprintf(stderr, "line %d: %d \"%s\"\n", __LINE__, rc_, e_.msg);                        \
        CHECK(ok_);                                                                                \
        free(d_);                                                                                  \
    } while (0)

    gap_digest(4, q); /* between m[3] and m[4]: across the two halves of the tree */
    LEAVES_DOC(0, 2, 3, 4, ""); /* the true neighbours: this one verifies */
    LEAVES_DOC(0, 2, 4, 3, "step 5: the neighbours are not adjacent");
    LEAVES_DOC(0, 2, 2, 4, "step 5: the neighbours are not adjacent");
    LEAVES_DOC(0, 2, 2, 3, "step 5: the digest is above the upper neighbour");
    LEAVES_DOC(0, 2, 4, 5, "step 5: the digest is below the lower neighbour");
    LEAVES_DOC(0, 1, 3, 0, "step 5: one leaf proves non-membership only as the first or last");
    LEAVES_DOC(0, 1, 0, 0, "step 5: the digest is not below the first leaf");
    LEAVES_DOC(0, 1, 7, 0, "step 5: the digest is not above the last leaf");
    LEAVES_DOC(0, 0, 0, 0, "step 5: no leaves");
    LEAVES_DOC(1, 1, 3, 0, "step 4: the leaf's digest is not the digest");
    LEAVES_DOC(1, 2, 3, 4, "step 4: a membership proof has exactly one leaf");
    LEAVES_DOC(1, 0, 0, 0, "step 4: a membership proof has exactly one leaf");
    memcpy(q, m[4], EX_HASH_BYTES); /* a member, claimed absent */
    LEAVES_DOC(0, 2, 3, 4, "step 5: a neighbour is the digest itself");
    LEAVES_DOC(0, 2, 4, 5, "step 5: a neighbour is the digest itself");
    memcpy(q, m[0], EX_HASH_BYTES);
    LEAVES_DOC(0, 1, 0, 0, "step 5: the leaf is the digest itself");
    memcpy(q, m[7], EX_HASH_BYTES);
    LEAVES_DOC(0, 1, 7, 0, "step 5: the leaf is the digest itself");
    gap_digest(0, q);
    LEAVES_DOC(1, 1, 0, 0, "step 4: the leaf's digest is not the digest");
    free(cp);

    /* records that lie: a size or a root that is not the tree's; an empty snapshot whose root
     * is not H(""); a record that is not a snapshot */
#define H0 "\"root\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"" /* H("") */
#define Z0 "\"root\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
    struct {
        const char *rec;
        uint64_t n;
        const char *prefix;
    } lies[] = {
        /* (a size of 5 to 7 is not caught: leaves 3 and 4 have the same path shape in those
         * trees as in 8, so RFC 9162 verification cannot tell; the record is the log's word) */
        {NULL, 9, "step 5: the proof of leaves[0]"},
        {NULL, 16, "step 5: the proof of leaves[0]"},
        {NULL, 4, "step 6: leaves[1].index 4 is outside 0..3"},
        {"{" Z0 ",\"size\":8,\"type\":\"snapshot\"}",
         8, "step 5: the proof of leaves[0]"},
        {"{" Z0 ",\"size\":0,\"type\":\"snapshot\"}",
         0, "step 5: the empty snapshot's root is not H(\"\")"},
        {"{" H0 ",\"size\":0,\"type\":\"snapshots\"}",
         0, "step 3: the record's type"},
        {"{" H0 ",\"size\":-1,\"type\":\"snapshot\"}",
         0, "step 3: the record's size"},
        {"{" H0 ",\"size\":0.5,\"type\":\"snapshot\"}",
         0, "step 3: the record's size"},
        {"{\"root\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\",\"size\":0,"
         "\"type\":\"snapshot\"}",
         0, "step 3: the record's root"},
        {"{\"root\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS\",\"size\":0,\"type\":\"snapshot\"}",
         0, "step 3: the record's root"},
        {"{\"size\":0,\"type\":\"snapshot\"}", 0, "step 3: the record's root"},
        {"{\"size\":0,\"size\":0,\"type\":\"snapshot\"}", 0, "step 3: the snapshot record is not"},
        {"[1,2]", 0, "step 3: the snapshot record is not"},
    };
    for (size_t k = 0; k < sizeof lies / sizeof lies[0]; k++) {
        char buf[256];
        size_t blen;
        if (lies[k].rec)
            blen = (size_t)snprintf(buf, sizeof buf, "%s", lies[k].rec);
        else
            blen = record_text(lies[k].n, root, buf, sizeof buf);
        uint64_t r = append(buf, blen);
        gap_digest(4, q);
        int member = 0;
        size_t len = 0;
        /* the true leaves of the 8 members, against the record's claim */
        char *doc = ledger_doc(r, buf, blen, (digests)m, lies[k].n ? 8 : 0, q, &member, &len);
        ex_err er;
        int rc = check_doc(doc, len, &VK, NULL, &er);
        if (rc != EX_EVERIFY || strncmp(er.msg, lies[k].prefix, strlen(lies[k].prefix)) != 0)
            fprintf(stderr, "lie %zu: %d \"%s\"\n", k, rc, er.msg);
        CHECK(rc == EX_EVERIFY && strncmp(er.msg, lies[k].prefix, strlen(lies[k].prefix)) == 0);
        free(doc);
    }
    /* leaves for an empty snapshot */
    {
        uint8_t er[EX_HASH_BYTES];
        CHECK_RC(ex_merkle_sorted_root(H, NULL, 0, er), EX_OK);
        char buf[256];
        size_t blen = record_text(0, er, buf, sizeof buf);
        uint64_t r = append(buf, blen);
        int member = 0;
        size_t len = 0;
        gap_digest(0, q);
        char *doc = ledger_doc(r, buf, blen, NULL, 0, q, &member, &len);
        expect_ok(doc, len, &VK, 0, __LINE__);
        json_t *j = load(doc, len);
        json_t *one = json_object();
        json_object_set(one, "digest", json_object_get(j, "digest"));
        json_object_set_new(one, "index", json_integer(0));
        json_object_set_new(one, "proof", json_array());
        json_array_append_new(json_object_get(j, "leaves"), one);
        EXPECT_JSON(j, EX_EVERIFY, "step 5: the snapshot is empty but leaves are given");
        j = load(doc, len);
        json_object_set_new(j, "type", json_string("snapshot-membership"));
        EXPECT_JSON(j, EX_EVERIFY, "step 4: a membership proof has exactly one leaf");
        free(doc);
    }
    /* the checkpoint of an earlier size, with log_size unchanged */
    {
        gap_digest(4, q);
        int member = 0;
        size_t len = 0;
        char *doc = ledger_doc(rec, e, elen, (digests)m, n, q, &member, &len);
        json_t *j = load(doc, len);
        char *old = NULL;
        size_t ol = 0;
        uint64_t ls = (uint64_t)json_integer_value(json_object_get(snap(j), "log_size"));
        CHECK_RC(ex_log_checkpoint_at_dup(G, ls - 1, &old, &ol), EX_OK);
        json_object_set_new(snap(j), "checkpoint", json_string(old));
        EXPECT_JSON(j, EX_EVERIFY, "step 1: the checkpoint is for size");
        free(old);
        free(doc);
    }
}

/* ---- the fixed-key log: corpus documents and checkpoint origins ------------------------ */

static uint8_t FL[64][EX_HASH_BYTES]; /* leaf hashes of a small log kept in memory */

static int
read_fl(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    (void)ctx;
    return ex_merkle_root(H2, (digests)FL + (index << level), (uint64_t)1 << level, out);
}

/* a document over a log of three filler entries and the record, whose checkpoint names
 * origin and is signed by signer */
static char *
fixed_doc(const char *origin, ex_key *signer, uint64_t n, const uint8_t q[EX_HASH_BYTES],
          size_t *len)
{
    uint8_t(*m)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    make_digests(m, n, 1);
    uint8_t root[EX_HASH_BYTES];
    CHECK_RC(ex_merkle_sorted_root(H, (digests)m, n, root), EX_OK);
    char e[256];
    size_t elen = record_text(n, root, e, sizeof e);
    for (int i = 0; i < 3; i++) {
        char f[32];
        int fl = snprintf(f, sizeof f, "{\"n\":%d,\"type\":\"test\"}", i);
        ex_merkle_leaf(H, f, (size_t)fl, FL[i]);
    }
    ex_merkle_leaf(H, e, elen, FL[3]);
    ex_checkpoint c = {.size = 4};
    snprintf(c.origin, sizeof c.origin, "%s", origin);
    CHECK_RC(ex_merkle_root(H, (digests)FL, 4, c.root), EX_OK);
    char body[512], *note = NULL;
    size_t blen = 0, nlen = 0;
    CHECK_RC(ex_checkpoint_format(&c, body, sizeof body, &blen), EX_OK);
    CHECK_RC(ex_note_sign(body, blen, &signer, 1, &note, &nlen, NULL), EX_OK);
    uint8_t lp[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t lpn = 0, nl = 0;
    CHECK_RC(ex_merkle_prove_inclusion(H, read_fl, NULL, 3, 4, lp, &lpn), EX_OK);
    ex_snapshot_leaf L[2];
    int member = 0;
    char *doc = NULL;
    CHECK_RC(ex_snapshot_leaves(H, (digests)m, n, q, L, &nl, &member), EX_OK);
    CHECK_RC(ex_snapshot_proof_doc_dup(q, member, e, elen, 3, 4,
                                       (const uint8_t(*)[EX_HASH_BYTES])lp, lpn, note, L, nl,
                                       &doc, len),
             EX_OK);
    free(note);
    free(m);
    return doc;
}

/* the corpus documents: name, snapshot size, gap or member, which */
static const struct {
    const char *name;
    uint64_t n;
    int member;
    uint64_t i;
} CORPUS[] = {
    {"member-5-2", 5, 1, 2},        {"member-1", 1, 1, 0},
    {"non-member-8-between-3-4", 8, 0, 4}, {"non-member-9-below", 9, 0, 0},
    {"non-member-9-above", 9, 0, 9},        {"non-member-empty", 0, 0, 0},
    {"non-member-3-between-0-1", 3, 0, 1},
};

static void
fixed_key(const char *corpus_dir)
{
    CHECK_RC(ex_key_from_signer(ALICE_SIGNER, &ALICE, NULL), EX_OK);
    ex_key_vkey(ALICE, &ALICE_VK);
    for (size_t k = 0; k < sizeof CORPUS / sizeof CORPUS[0]; k++) {
        uint8_t m[16][EX_HASH_BYTES], q[EX_HASH_BYTES];
        make_digests(m, CORPUS[k].n, 1);
        if (CORPUS[k].member)
            memcpy(q, m[CORPUS[k].i], EX_HASH_BYTES);
        else
            gap_digest(CORPUS[k].i, q);
        size_t len = 0;
        char *doc = fixed_doc("exante.fuzz/alice", ALICE, CORPUS[k].n, q, &len);
        expect_ok(doc, len, &ALICE_VK, CORPUS[k].member, __LINE__);
        if (corpus_dir) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", corpus_dir, CORPUS[k].name);
            FILE *f = fopen(path, "wb");
            CHECK(f && fwrite(doc, 1, len, f) == len);
            if (f)
                fclose(f);
        }
        free(doc);
    }
    /* a checkpoint of another origin, signed by the key; one by another key of that name */
    uint8_t q[EX_HASH_BYTES];
    gap_digest(1, q);
    size_t len = 0;
    int kind = 0;
    ex_err e;
    char *doc = fixed_doc("exante.fuzz/bob", ALICE, 3, q, &len);
    CHECK_RC(check_doc(doc, len, &ALICE_VK, &kind, &e), EX_EVERIFY);
    CHECK_STR(e.msg, "step 1: the checkpoint's origin is not the key's name");
    free(doc);
    ex_key *fake = NULL;
    CHECK_RC(ex_key_generate("exante.fuzz/alice", &fake, NULL), EX_OK);
    doc = fixed_doc("exante.fuzz/alice", fake, 3, q, &len);
    CHECK_RC(check_doc(doc, len, &ALICE_VK, &kind, &e), EX_EVERIFY);
    CHECK(strncmp(e.msg, "step 1: the checkpoint: ", 24) == 0);
    free(doc);
    ex_key_free(fake);
    ex_key_free(ALICE);
}

/* the writer's refusals */
static void
writer_args(void)
{
    uint8_t d[EX_HASH_BYTES] = {1};
    ex_snapshot_leaf L[3];
    memset(L, 0, sizeof L);
    char *doc = (char *)"untouched";
    size_t len = 0;
    const char *cp = "x\n";
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 2, 0, 1, NULL, 0, cp, L, 3, &doc, &len),
             EX_EINVAL);
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 0, 0, 1, NULL, 0, cp, L, 0, &doc, &len),
             EX_EINVAL);
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 2, 0, 1, NULL, 0, NULL, L, 0, &doc, &len),
             EX_EINVAL);
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 2, 0, 1, NULL, 1, cp, L, 0, &doc, &len),
             EX_EINVAL);
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 2, UINT64_MAX, 1, NULL, 0, cp, L, 0, &doc,
                                       &len),
             EX_EINVAL);
    L[0].index = UINT64_C(1) << 53;
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 2, 0, 1, NULL, 0, cp, L, 1, &doc, &len),
             EX_EINVAL);
    L[0].index = 0;
    L[0].n = EX_MERKLE_MAX_PROOF + 1;
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 2, 0, 1, NULL, 0, cp, L, 1, &doc, &len),
             EX_EINVAL);
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 0, "{}", 2, 0, 1, NULL, 0, "\xff\n", L, 0, &doc, &len),
             EX_EINVAL);
    CHECK_STR(doc, "untouched");
    /* the smallest document, byte for byte */
    L[0].n = 0;
    CHECK_RC(ex_snapshot_proof_doc_dup(d, 1, "{}", 2, 0, 1, NULL, 0, cp, L, 1, &doc, &len),
             EX_OK);
    char want[512];
    snprintf(want, sizeof want,
             "{\"digest\":\"sha256:01%062d\",\"leaves\":[{\"digest\":\"sha256:%064d\",\"index\":0,"
             "\"proof\":[]}],\"snapshot\":{\"checkpoint\":\"x\\n\",\"entry\":\"e30=\","
             "\"log_index\":0,\"log_proof\":[],\"log_size\":1},\"type\":\"snapshot-membership\"}",
             0, 0);
    CHECK_STR(doc, want);
    CHECK(len == strlen(doc));
    free(doc);
    /* ex_snapshot_leaves' arguments */
    size_t nl = 7;
    int member = 7;
    CHECK_RC(ex_snapshot_leaves(H, NULL, 1, d, L, &nl, &member), EX_EINVAL);
    CHECK_RC(ex_snapshot_leaves(H, NULL, 0, d, L, &nl, &member), EX_OK);
    CHECK(nl == 0 && member == 0);
}

int
main(int argc, char **argv)
{
    const char *corpus = argc == 3 && strcmp(argv[1], "--corpus") == 0 ? argv[2] : NULL;
    if (ex_sha256_new(&H) != EX_OK || ex_sha256_new(&H2) != EX_OK)
        return 1;
    sorted_tree();
    writer_args();
    fixed_key(corpus);

    char dir[] = "/tmp/exante-snapXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    ex_ledger *l = NULL;
    ex_ledger_opts o = {.in_memory = 1};
    ex_err e = {0};
    CHECK_RC(ex_ledger_init(dir, &o, &l, &e), EX_OK);
    if (!l) {
        fprintf(stderr, "%s\n", e.msg);
        return t_done("test_snapshot");
    }
    G = ex_ledger_log(l);
    CHECK_RC(ex_vkey_parse(ex_ledger_vkey(l), &VK, NULL), EX_OK);
    ex_key *k2 = NULL;
    CHECK_RC(ex_key_generate(VK.name, &k2, NULL), EX_OK);
    ex_key_vkey(k2, &OTHER);
    ex_key_free(k2);
    append("{\"type\":\"filler\"}", 17);

    static const uint64_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        snapshot_case(sizes[k], sizes[k] == 0 || sizes[k] == 1 || sizes[k] == 8 ||
                                    sizes[k] == 17);
    wrong_leaves();

    ex_ledger_close(l);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    ex_sha256_free(H);
    ex_sha256_free(H2);
    return t_done("test_snapshot");
}
