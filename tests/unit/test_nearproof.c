/* test_nearproof.c - near-dup-free proofs (docs/FORMATS.md "Near-dup-free proofs"):
 *
 *   - documents over trees built here from their leaves (ex_merkle_root, an independent
 *     construction), signed by the fixed corpus key: absent and present bands, the edges of
 *     the tree, the empty tree; every verification step broken by a mutation and named; every
 *     byte of a document altered and refused; the reader's refusals and the writer's;
 *   - the ledger end to end: a snapshot's near tree (bucketed, sorted, spilled, hashed on two
 *     threads, stored) against the tree of the same leaves built here, with the buckets made
 *     tiny so that they spill and split; proofs of unrelated texts, of near copies and of
 *     the members themselves, verified; audit, and audit of damaged rows.
 *
 * Run with --corpus DIR to write the fuzz corpus's documents (fuzz/corpus/nearproof), which
 * are about FUZZ_NEAR_WORK (fuzz/fuzz_common.h). */
#include <jansson.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../fuzz/fuzz_common.h"
#include "core/cjson.h"
#include "dedup/near.h"
#include "ledger/snapshot.h"
#include "log/nearproof.h"
#include "t.h"

typedef const uint8_t (*hashes)[EX_HASH_BYTES];

static ex_sha256 *H;
static ex_key *ALICE;
static ex_vkey ALICE_VK;

/* ---- band keys of texts --------------------------------------------------------------------- */

typedef struct leaf {
    unsigned band;
    uint64_t key;
} leaf;

/* the band keys of text with the default parameters; 0 if it has no words */
static int
keys_of(const char *text, uint64_t keys[EX_NEAR_BANDS_DEFAULT])
{
    static ex_near *nr;
    static uint64_t sig[EX_NEAR_K_DEFAULT];
    uint8_t fp[EX_NEAR_K_DEFAULT];
    uint64_t sh = 0;
    if (!nr && ex_near_new(EX_NEAR_K_DEFAULT, EX_NEAR_BANDS_DEFAULT, &nr) != EX_OK)
        return 0;
    if (ex_near_signature(nr, text, strlen(text), sig, &sh) != EX_OK || sh == 0)
        return 0;
    ex_near_fingerprint(nr, sig, fp);
    ex_near_bands_of(nr, fp, keys);
    return 1;
}

static int
cmp_leaf(const void *a, const void *b)
{
    const leaf *x = a, *y = b;
    return ex_near_leaf_cmp(x->band, x->key, y->band, y->key);
}

/* sort and drop repeats; the new count */
static size_t
normalise(leaf *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_leaf);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || cmp_leaf(&v[k - 1], &v[i]) != 0)
            v[k++] = v[i];
    return k;
}

/* the leaves of texts[0..n) into out (room for 14 n), sorted and distinct; their count */
static size_t
leaves_of(const char *const *texts, size_t n, leaf *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k[EX_NEAR_BANDS_DEFAULT];
        if (!keys_of(texts[i], k))
            continue;
        for (unsigned j = 0; j < EX_NEAR_BANDS_DEFAULT; j++)
            out[m++] = (leaf){j, k[j]};
    }
    return normalise(out, m);
}

/* a deterministic text of `words` words from a small vocabulary, varied by seed */
static void
make_text(uint64_t seed, unsigned words, char *out, size_t cap)
{
    static const char *const vocab[] = {
        "amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
        "juniper", "kelp", "lumen", "maple", "nectar", "onyx", "pebble", "quartz", "russet",
        "saffron", "tundra", "umber", "violet", "willow", "xenon", "yarrow", "zephyr", "acorn",
        "basalt", "cinder", "dune", "estuary", "flint"};
    size_t at = 0;
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (unsigned i = 0; i < words && at + 16 < cap; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? " " : "", vocab[s % 32]);
    }
    out[at] = '\0';
}

/* ---- trees built here --------------------------------------------------------------------- */

static uint8_t (*LH)[EX_HASH_BYTES]; /* leaf hashes of the tree being proved in */

static int
read_lh(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    (void)ctx;
    return ex_merkle_root(H, (hashes)LH + (index << level), (uint64_t)1 << level, out);
}

static void
tree_of(const leaf *v, size_t n, uint8_t root[EX_HASH_BYTES])
{
    free(LH);
    LH = malloc((n ? n : 1) * EX_HASH_BYTES);
    for (size_t i = 0; i < n; i++) {
        uint8_t b[EX_NEAR_LEAF_BYTES];
        ex_near_leaf_encode(v[i].band, v[i].key, b);
        ex_merkle_leaf(H, b, sizeof b, LH[i]);
    }
    CHECK_RC(ex_merkle_root(H, (hashes)LH, n, root), EX_OK);
}

/* what a document is made of, besides its tree */
typedef struct docspec {
    const char *origin;
    ex_key *signer;
    int no_near;      /* the record has no "near" */
    uint64_t seed;    /* the record's seed (0: the documented one) */
    uint64_t unfp;    /* the record's unfingerprinted */
} docspec;

static uint8_t FL[4][EX_HASH_BYTES]; /* the small log's leaf hashes */

static int
read_fl(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    (void)ctx;
    return ex_merkle_root(H, (hashes)FL + (index << level), (uint64_t)1 << level, out);
}

/* the near-dup proof of work against the tree of leaves v[0..n), whose record is entry 3 of a
 * log of 4 signed as spec says; *dup whether a band is present */
static char *
make_doc(const leaf *v, size_t n, const char *work, const docspec *spec, size_t *len, int *dup)
{
    uint8_t root[EX_HASH_BYTES];
    tree_of(v, n, root);
    ex_near_params mh;
    ex_near_params_default(&mh);
    if (spec->seed)
        mh.seed = spec->seed;
    char r64[64], rec[1024], seed[17];
    ex_b64_encode(root, EX_HASH_BYTES, r64);
    ex_near_hex16(mh.seed, seed);
    int rl;
    if (spec->no_near)
        rl = snprintf(rec, sizeof rec,
                      "{\"log_size\":3,\"name\":\"n\",\"root\":\"%s\",\"size\":0,\"type\":"
                      "\"snapshot\"}",
                      "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    else
        rl = snprintf(rec, sizeof rec,
                      "{\"log_size\":3,\"name\":\"n\",\"near\":{\"bands\":%u,\"bits\":%u,"
                      "\"fingerprinted\":%zu,\"k\":%u,\"root\":\"%s\",\"seed\":\"%s\","
                      "\"shingle\":%u,\"size\":%zu,\"unfingerprinted\":%llu},\"root\":\"%s\","
                      "\"size\":0,\"type\":\"snapshot\"}",
                      mh.bands, mh.bits, n / 14, mh.k, r64, seed, mh.shingle, n,
                      (unsigned long long)spec->unfp, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    for (int i = 0; i < 3; i++) {
        char f[32];
        int fl = snprintf(f, sizeof f, "{\"n\":%d,\"type\":\"test\"}", i);
        ex_merkle_leaf(H, f, (size_t)fl, FL[i]);
    }
    ex_merkle_leaf(H, rec, (size_t)rl, FL[3]);
    ex_checkpoint c = {.size = 4};
    snprintf(c.origin, sizeof c.origin, "%s", spec->origin);
    CHECK_RC(ex_merkle_root(H, (hashes)FL, 4, c.root), EX_OK);
    char body[512], *note = NULL;
    size_t blen = 0, nlen = 0;
    CHECK_RC(ex_checkpoint_format(&c, body, sizeof body, &blen), EX_OK);
    CHECK_RC(ex_note_sign(body, blen, &spec->signer, 1, &note, &nlen, NULL), EX_OK);
    ex_near_proof p = {.mh = mh,
                       .entry = (uint8_t *)rec,
                       .entry_len = (size_t)rl,
                       .log_index = 3,
                       .log_size = 4,
                       .checkpoint = note,
                       .nband = mh.bands};
    CHECK_RC(ex_merkle_prove_inclusion(H, read_fl, NULL, 3, 4, p.log_proof, &p.log_n), EX_OK);
    p.band = calloc(mh.bands, sizeof *p.band);
    uint64_t k[EX_NEAR_BANDS_DEFAULT];
    CHECK(keys_of(work, k));
    *dup = 0;
    for (unsigned j = 0; j < mh.bands; j++) {
        ex_near_band *b = &p.band[j];
        b->band = j;
        b->key = k[j];
        leaf t = {j, k[j]};
        size_t lo = 0;
        while (lo < n && cmp_leaf(&v[lo], &t) < 0)
            lo++;
        b->present = lo < n && cmp_leaf(&v[lo], &t) == 0;
        *dup |= b->present;
        size_t idx[2], m = 0;
        if (b->present || (n && lo == 0))
            idx[m++] = lo;
        else if (n && lo == n)
            idx[m++] = n - 1;
        else if (n) {
            idx[m++] = lo - 1;
            idx[m++] = lo;
        }
        for (size_t x = 0; x < m; x++) {
            ex_near_leaf *L = &b->leaves[x];
            uint8_t pr[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
            L->index = idx[x];
            L->band = v[idx[x]].band;
            L->key = v[idx[x]].key;
            CHECK_RC(ex_merkle_prove_inclusion(H, read_lh, NULL, idx[x], n, pr, &L->n), EX_OK);
            memcpy(L->proof, pr, L->n * EX_HASH_BYTES);
        }
        b->nleaves = m;
    }
    p.dup = *dup;
    char *doc = NULL;
    CHECK_RC(ex_near_proof_write_dup(&p, &doc, len), EX_OK);
    free(p.band);
    free(note);
    return doc;
}

/* parse + verify against work: the code, with the message in *e */
static int
check(const char *doc, size_t len, const ex_vkey *key, const char *work, ex_near_verdict *v,
      ex_err *e)
{
    ex_near_proof p;
    memset(e, 0, sizeof *e);
    int rc = ex_near_proof_parse(doc, len, &p, e);
    if (rc == EX_OK)
        rc = ex_near_proof_verify(&p, key, work, work ? strlen(work) : 0, v, e);
    ex_near_proof_clear(&p);
    return rc;
}

#define EXPECT(doc, len, work, W_, M_)                                                           \
    do {                                                                                         \
        ex_err e_;                                                                               \
        ex_near_verdict v_;                                                                      \
        const char *m_ = (M_);                                                                   \
        int r_ = check(doc, len, &ALICE_VK, work, &v_, &e_);                                     \
        CHECK_RC(r_, W_);                                                                        \
        if (m_ && !strstr(e_.msg, m_)) {                                                         \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, e_.msg, \
                    m_);                                                                         \
            t_failures++;                                                                        \
        }                                                                                        \
    } while (0)

/* the document o, changed, written canonically and checked */
static void
expect_json(json_t *o, const char *work, int want, const char *msg, int line)
{
    ex_err e = {0};
    char *s = ex_json_canon_dup(o, NULL, &e);
    ex_near_verdict v;
    int rc = s ? check(s, strlen(s), &ALICE_VK, work, &v, &e) : EX_ENOMEM;
    t_checks++;
    if (rc != want || (msg && !strstr(e.msg, msg))) {
        t_failures++;
        fprintf(stderr, "%s:%d: got %d \"%s\", want %d \"%s\"\n", __FILE__, line, rc, e.msg, want,
                msg ? msg : "");
    }
    free(s);
    json_decref(o);
}

/* the members of the fixed trees: texts 1000.. of 40 words */
#define MEMBERS 9
static char MT[MEMBERS][512];
static const char *MTP[MEMBERS];

static void
fixed_trees(const char *corpus)
{
    CHECK_RC(ex_key_from_signer(FUZZ_ALICE_SIGNER, &ALICE, NULL), EX_OK);
    ex_key_vkey(ALICE, &ALICE_VK);
    for (int i = 0; i < MEMBERS; i++) {
        make_text(1000 + (uint64_t)i, 40, MT[i], sizeof MT[i]);
        MTP[i] = MT[i];
    }
    const char *work = FUZZ_NEAR_WORK;
    uint64_t wk[EX_NEAR_BANDS_DEFAULT];
    CHECK(keys_of(work, wk));
    leaf v[MEMBERS * 14 + 16];
    docspec sp = {.origin = "exante.fuzz/alice", .signer = ALICE};
    struct out {
        const char *name;
        size_t n;
        int dup;
    } out[8];
    size_t nout = 0;
    char *docs[8];
    size_t lens[8];
    int dup;

    /* the members' tree: the work is in none of its gaps at an edge, most bands between */
    size_t n = leaves_of(MTP, MEMBERS, v);
    CHECK(n == MEMBERS * 14);
    docs[nout] = make_doc(v, n, work, &sp, &lens[nout], &dup);
    out[nout++] = (struct out){"near-free-9", n, dup};
    CHECK(!dup);
    /* the empty tree */
    docs[nout] = make_doc(v, 0, work, &sp, &lens[nout], &dup);
    out[nout++] = (struct out){"near-free-empty", 0, dup};
    /* one leaf only, in band 7: bands 0..6 below it, 8..13 above, 7 on one side */
    leaf one = {7, wk[7] ^ 1};
    docs[nout] = make_doc(&one, 1, work, &sp, &lens[nout], &dup);
    out[nout++] = (struct out){"near-free-1", 1, dup};
    /* the members and the work itself: every band present */
    const char *with[MEMBERS + 1];
    memcpy(with, MTP, sizeof MTP);
    with[MEMBERS] = work;
    size_t n2 = leaves_of(with, MEMBERS + 1, v);
    docs[nout] = make_doc(v, n2, work, &sp, &lens[nout], &dup);
    out[nout++] = (struct out){"near-dup-all", n2, dup};
    CHECK(dup);
    /* the members and two of the work's keys: present in bands 0 and 13 only */
    n = leaves_of(MTP, MEMBERS, v);
    v[n++] = (leaf){0, wk[0]};
    v[n++] = (leaf){13, wk[13]};
    n = normalise(v, n);
    docs[nout] = make_doc(v, n, work, &sp, &lens[nout], &dup);
    out[nout++] = (struct out){"near-dup-2", n, dup};
    CHECK(dup);

    for (size_t i = 0; i < nout; i++) {
        ex_near_verdict vd;
        ex_err e;
        CHECK_RC(check(docs[i], lens[i], &ALICE_VK, work, &vd, &e), EX_OK);
        if (e.msg[0])
            fprintf(stderr, "%s: %s\n", out[i].name, e.msg);
        CHECK(vd.dup == out[i].dup && vd.size == out[i].n && vd.bands == 14 && vd.k == 112);
        if (strcmp(out[i].name, "near-dup-all") == 0)
            CHECK(vd.present == 14 && vd.first_present == 0);
        if (strcmp(out[i].name, "near-dup-2") == 0)
            CHECK(vd.present == 2 && vd.first_present == 0);
        /* the canonical form: parse and write back */
        ex_near_proof p;
        char *again = NULL;
        size_t al = 0;
        CHECK_RC(ex_near_proof_parse(docs[i], lens[i], &p, &e), EX_OK);
        CHECK_RC(ex_near_proof_write_dup(&p, &again, &al), EX_OK);
        CHECK(again && al == lens[i] && memcmp(again, docs[i], al) == 0);
        CHECK(ex_near_proof_is(docs[i], lens[i]) == 1);
        free(again);
        ex_near_proof_clear(&p);
        /* another text: its keys are not the document's */
        EXPECT(docs[i], lens[i], "an entirely different text of seven words here", EX_EVERIFY,
               "step 4: band 0: the document's key");
        EXPECT(docs[i], lens[i], "  ...  ", EX_EVERIFY, "step 4: the text has no words");
        if (corpus) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", corpus, out[i].name);
            FILE *f = fopen(path, "wb");
            CHECK(f && fwrite(docs[i], 1, lens[i], f) == lens[i]);
            if (f)
                fclose(f);
        }
    }
    CHECK(ex_near_proof_is("{\"type\":\"snapshot-membership\"}", 30) == 0);
    CHECK(ex_near_proof_is("nope", 4) == 0);

    /* ---- every step broken ---- */
    const char *d0 = docs[0]; /* near-free-9 */
    json_t *o;
#define LOAD() (o = json_loadb(d0, strlen(d0), 0, NULL))
#define BAND(j) json_array_get(json_object_get(o, "bands"), j)
#define LEAF(j, x) json_array_get(json_object_get(BAND(j), "leaves"), x)
    EXPECT(d0, lens[0], work, EX_OK, NULL);
    {
        ex_near_proof p;
        ex_err e;
        CHECK_RC(ex_near_proof_parse(d0, lens[0], &p, &e), EX_OK);
        CHECK_RC(ex_near_proof_verify(&p, NULL, work, strlen(work), NULL, &e), EX_EINVAL);
        ex_key *bob = NULL;
        ex_vkey bvk;
        CHECK_RC(ex_key_generate("exante.fuzz/alice", &bob, NULL), EX_OK);
        ex_key_vkey(bob, &bvk);
        CHECK_RC(ex_near_proof_verify(&p, &bvk, work, strlen(work), NULL, &e), EX_EVERIFY);
        CHECK(strncmp(e.msg, "step 1: the checkpoint: ", 24) == 0);
        ex_key_free(bob);
        ex_near_proof_clear(&p);
    }
    LOAD();
    json_object_set_new(json_object_get(o, "snapshot"), "log_size", json_integer(5));
    expect_json(o, work, EX_EVERIFY, "step 1: the checkpoint is for size 4, not log_size 5",
                __LINE__);
    LOAD();
    json_object_set_new(json_object_get(o, "snapshot"), "log_index", json_integer(2));
    expect_json(o, work, EX_EVERIFY, "step 2: the snapshot record is not at log_index 2",
                __LINE__);
    LOAD();
    json_object_set_new(json_object_get(o, "minhash"), "k", json_integer(56));
    expect_json(o, work, EX_EVERIFY, "step 3: the document's minhash parameters are not the "
                                     "record's",
                __LINE__);
    LOAD();
    json_array_remove(json_object_get(o, "bands"), 13);
    expect_json(o, work, EX_EVERIFY, "step 4: 13 bands given, the parameters have 14", __LINE__);
    LOAD();
    json_object_set_new(BAND(3), "band", json_integer(4));
    expect_json(o, work, EX_EVERIFY, "step 4: bands[3] is band 4, not 3", __LINE__);
    LOAD();
    json_object_set_new(BAND(5), "key", json_string("0000000000000001"));
    expect_json(o, work, EX_EVERIFY, "step 4: band 5: the document's key 0000000000000001",
                __LINE__);
    /* a band's leaves: not adjacent, a wrong proof, a wrong key, absent claimed present */
    size_t two = 0;
    for (; two < 14; two++) {
        json_t *lv;
        LOAD();
        lv = json_object_get(BAND(two), "leaves");
        size_t sz = json_array_size(lv);
        json_decref(o);
        if (sz == 2)
            break;
    }
    CHECK(two < 14);
    char want[128];
    LOAD();
    json_object_set_new(LEAF(two, 1), "index",
                        json_integer(json_integer_value(json_object_get(LEAF(two, 1), "index")) +
                                     1));
    snprintf(want, sizeof want, "step 5: band %zu: the neighbours are not adjacent", two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_array_remove(json_object_get(LEAF(two, 0), "proof"), 0);
    snprintf(want, sizeof want, "step 5: band %zu: the proof of leaves[0]", two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_object_set_new(LEAF(two, 0), "key", json_string("ffffffffffffffff"));
    snprintf(want, sizeof want, "step 5: band %zu: the key is below the lower neighbour", two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_object_set(LEAF(two, 1), "key", json_object_get(BAND(two), "key"));
    snprintf(want, sizeof want, "step 5: band %zu: a neighbour is the band's key itself", two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_object_set_new(BAND(two), "present", json_true());
    snprintf(want, sizeof want, "step 6: band %zu: a present band has exactly one leaf, not 2",
             two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_array_remove(json_object_get(BAND(two), "leaves"), 1);
    json_object_set_new(BAND(two), "present", json_true());
    snprintf(want, sizeof want, "step 6: band %zu: the leaf is not the band's key", two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_array_clear(json_object_get(BAND(two), "leaves"));
    snprintf(want, sizeof want, "step 5: band %zu: no leaves for a tree of 126", two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_object_set_new(LEAF(two, 1), "index", json_integer(126));
    snprintf(want, sizeof want, "step 5: band %zu: leaves[1].index 126 is outside 0..125", two);
    expect_json(o, work, EX_EVERIFY, want, __LINE__);
    LOAD();
    json_object_set_new(o, "type", json_string("snapshot-near-dup"));
    expect_json(o, work, EX_EVERIFY, "step 7: the type is \"snapshot-near-dup\" but no band is "
                                     "present",
                __LINE__);
    /* a present band called absent; the type of a near-dup called near-dup-free */
    d0 = docs[4]; /* near-dup-2 */
    LOAD();
    json_object_set_new(o, "type", json_string("snapshot-near-dup-free"));
    expect_json(o, work, EX_EVERIFY, "step 7: the type is \"snapshot-near-dup-free\" but band 0 "
                                     "is present",
                __LINE__);
    LOAD();
    json_object_set_new(BAND(0), "present", json_false());
    expect_json(o, work, EX_EVERIFY, "step 5: band 0: the leaf is the band's key itself",
                __LINE__);
    /* the edges: one leaf, not first or last; the key on the wrong side */
    d0 = docs[2]; /* near-free-1 */
    LOAD();
    json_object_set_new(LEAF(0, 0), "index", json_integer(1));
    expect_json(o, work, EX_EVERIFY, "step 5: band 0: leaves[0].index 1 is outside 0..0",
                __LINE__);
    LOAD();
    json_object_set_new(BAND(0), "key", json_string("0000000000000000"));
    expect_json(o, work, EX_EVERIFY, "step 4: band 0: the document's key", __LINE__);
    d0 = docs[1]; /* near-free-empty */
    {
        /* leaves given for an empty tree */
        json_t *x = json_loadb(docs[0], lens[0], 0, NULL);
        json_t *l0 = json_incref(json_array_get(
            json_object_get(json_array_get(json_object_get(x, "bands"), 0), "leaves"), 0));
        json_decref(x);
        LOAD();
        json_array_append_new(json_object_get(BAND(2), "leaves"), l0);
        expect_json(o, work, EX_EVERIFY, "step 5: band 2: the tree is empty but leaves are given",
                    __LINE__);
    }
    /* records: without a near tree, with a seed this verifier cannot use, another origin */
    docspec s2 = sp;
    s2.no_near = 1;
    size_t l2;
    char *d2 = make_doc(v, 0, work, &s2, &l2, &dup);
    EXPECT(d2, l2, work, EX_EVERIFY, "step 3: the snapshot record has no \"near\" tree");
    free(d2);
    s2 = sp;
    s2.seed = 42;
    d2 = make_doc(v, 0, work, &s2, &l2, &dup);
    EXPECT(d2, l2, work, EX_EVERIFY, "step 4: cannot compute band keys with k 112, 14 bands");
    free(d2);
    s2 = sp;
    s2.origin = "exante.fuzz/bob";
    d2 = make_doc(v, 0, work, &s2, &l2, &dup);
    EXPECT(d2, l2, work, EX_EVERIFY, "step 1: the checkpoint's origin is not the key's name");
    free(d2);
    s2 = sp;
    s2.unfp = 77;
    d2 = make_doc(v, 0, work, &s2, &l2, &dup);
    {
        ex_near_verdict vd;
        ex_err e;
        CHECK_RC(check(d2, l2, &ALICE_VK, work, &vd, &e), EX_OK);
        CHECK(vd.unfingerprinted == 77 && vd.fingerprinted == 0 && !vd.dup);
    }
    free(d2);

    /* ---- malformed documents ---- */
    d0 = docs[0];
    LOAD();
    json_object_set_new(o, "comment", json_string("x"));
    expect_json(o, work, EX_EFORMAT, "unknown key \"comment\"", __LINE__);
    LOAD();
    json_object_set_new(BAND(1), "key", json_string("ABCDEF0123456789"));
    expect_json(o, work, EX_EFORMAT, "bands[1].\"key\" is not 16 lowercase hex digits", __LINE__);
    LOAD();
    json_object_del(LEAF(two, 0), "band");
    snprintf(want, sizeof want, "bands[%zu].leaves[0] has no \"band\"", two);
    expect_json(o, work, EX_EFORMAT, want, __LINE__);
    LOAD();
    json_object_set_new(LEAF(two, 0), "band", json_integer(65536));
    expect_json(o, work, EX_EFORMAT, "\"band\" is not an integer in 0..65535", __LINE__);
    LOAD();
    json_array_append(json_object_get(BAND(two), "leaves"), LEAF(two, 0));
    expect_json(o, work, EX_EFORMAT, "\"leaves\" is not an array of at most 2 leaves", __LINE__);
    LOAD();
    json_object_set_new(BAND(0), "present", json_integer(0));
    expect_json(o, work, EX_EFORMAT, "bands[0].\"present\" is not true or false", __LINE__);
    LOAD();
    json_object_set_new(o, "type", json_string("snapshot-membership"));
    expect_json(o, work, EX_EFORMAT, "\"type\" is not", __LINE__);
    LOAD();
    json_object_set_new(json_object_get(o, "minhash"), "seed", json_integer(1));
    expect_json(o, work, EX_EFORMAT, "minhash.\"seed\" is not 16 lowercase hex digits", __LINE__);
    LOAD();
    json_array_set_new(json_object_get(LEAF(two, 0), "proof"), 0, json_string("AAAA"));
    expect_json(o, work, EX_EFORMAT, "\"proof\"[0] is not canonical base64 of 32 bytes",
                __LINE__);
    {
        /* more bands than any parameters allow */
        LOAD();
        json_t *bs = json_object_get(o, "bands");
        while (json_array_size(bs) <= EX_NEAR_BANDS_MAX)
            json_array_append(bs, json_array_get(bs, 0));
        expect_json(o, work, EX_EFORMAT, "\"bands\" is not an array of at most 1024 bands",
                    __LINE__);
    }
    char *sp2 = malloc(lens[0] + 2);
    sp2[0] = '{';
    sp2[1] = ' ';
    memcpy(sp2 + 2, d0 + 1, lens[0] - 1);
    EXPECT(sp2, lens[0] + 1, work, EX_EFORMAT, "not in canonical form (from byte 1)");
    EXPECT(sp2, 7, work, EX_EFORMAT, "proof: line 1 column");
    EXPECT("[1]", 3, work, EX_EFORMAT, "proof: not a JSON object");
    free(sp2);

    /* ---- bytes altered: refused, by the reader or the verifier (every byte of the one-leaf
     * document, every 5th of one with present bands) ---- */
    int accepted = 0;
    for (int d = 2; d <= 4; d += 2) {
        char *m = malloc(lens[d]);
        for (size_t i = 0; i < lens[d]; i += d == 2 ? 1 : 5) {
            memcpy(m, docs[d], lens[d]);
            m[i] ^= (i % 7 == 3) ? 0x20 : 0x01;
            ex_err e;
            ex_near_verdict vd;
            if (check(m, lens[d], &ALICE_VK, work, &vd, &e) == EX_OK)
                accepted++, fprintf(stderr, "%s: byte %zu altered: accepted\n", out[d].name, i);
        }
        free(m);
    }
    CHECK(accepted == 0);

    /* ---- the writer's refusals ---- */
    {
        ex_near_proof p;
        ex_err e;
        CHECK_RC(ex_near_proof_parse(docs[0], lens[0], &p, &e), EX_OK);
        char *doc = (char *)"untouched";
        size_t l = 0;
        p.band[0].nleaves = 3;
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        p.band[0].nleaves = 1;
        p.band[0].leaves[0].n = EX_NEAR_PROOF_MAX + 1;
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        p.band[0].leaves[0].n = 0;
        p.band[0].leaves[0].index = (uint64_t)1 << 53;
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        p.band[0].leaves[0].index = 0;
        p.band[0].band = 65536;
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        p.band[0].band = 0;
        p.log_n = EX_MERKLE_MAX_PROOF + 1;
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        p.log_n = 0;
        p.entry_len = 0;
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        p.entry_len = 2;
        char *cp = p.checkpoint;
        p.checkpoint = (char *)"\xff\n";
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        p.checkpoint = cp;
        p.nband = EX_NEAR_BANDS_MAX + 1;
        CHECK_RC(ex_near_proof_write_dup(&p, &doc, &l), EX_EINVAL);
        CHECK_STR(doc, "untouched");
        p.nband = 14;
        CHECK_RC(ex_near_proof_write_dup(NULL, &doc, &l), EX_EINVAL);
        CHECK_RC(ex_near_proof_write_dup(&p, NULL, &l), EX_EINVAL);
        ex_near_proof_clear(&p);
        ex_near_proof_clear(NULL);
    }
    for (size_t i = 0; i < nout; i++)
        free(docs[i]);
}

/* ---- pieces ------------------------------------------------------------------------------- */

static void
pieces(void)
{
    uint8_t b[EX_NEAR_LEAF_BYTES];
    ex_near_leaf_encode(0x0102, 0x030405060708090aull, b);
    static const uint8_t want[EX_NEAR_LEAF_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(memcmp(b, want, sizeof b) == 0);
    CHECK(ex_near_leaf_cmp(1, 0, 0, UINT64_MAX) > 0);
    CHECK(ex_near_leaf_cmp(0, 5, 0, 6) < 0);
    CHECK(ex_near_leaf_cmp(3, 9, 3, 9) == 0);
    char hx[17];
    ex_near_hex16(0x00ab00cd00ef0012ull, hx);
    CHECK_STR(hx, "00ab00cd00ef0012");
    uint64_t x = 0;
    CHECK_RC(ex_near_hex16_parse(hx, 16, &x), EX_OK);
    CHECK(x == 0x00ab00cd00ef0012ull);
    CHECK_RC(ex_near_hex16_parse("00AB00cd00ef0012", 16, &x), EX_EFORMAT);
    CHECK_RC(ex_near_hex16_parse("00ab00cd00ef001", 15, &x), EX_EFORMAT);
    CHECK_RC(ex_near_hex16_parse("00ab00cd00ef001g", 16, &x), EX_EFORMAT);
    ex_near_params p;
    ex_near_params_default(&p);
    CHECK(ex_near_params_usable(&p));
    p.bands = 15;
    CHECK(!ex_near_params_usable(&p));
    p.bands = 14;
    p.bits = 16;
    CHECK(!ex_near_params_usable(&p));
    p.bits = 8;
    p.shingle = 4;
    CHECK(!ex_near_params_usable(&p));
    p.shingle = 5;
    p.k = EX_NEAR_K_MAX * 2;
    CHECK(!ex_near_params_usable(&p));
    /* the record's near object */
    ex_near_tree_rec t;
    ex_err e;
    static const char nonear[] = "{\"size\":0,\"type\":\"snapshot\"}";
    CHECK_RC(ex_near_tree_rec_read(nonear, sizeof nonear - 1, &t, &e), EX_ENOTFOUND);
    static const char bad[] = "{\"near\":{\"k\":1},\"type\":\"snapshot\"}";
    CHECK_RC(ex_near_tree_rec_read(bad, sizeof bad - 1, &t, &e), EX_EFORMAT);
    static const char twice[] = "{\"near\":{},\"near\":{},\"type\":\"snapshot\"}";
    CHECK_RC(ex_near_tree_rec_read(twice, sizeof twice - 1, &t, &e), EX_EFORMAT);
    static const char other[] = "{\"type\":\"source\"}";
    CHECK_RC(ex_near_tree_rec_read(other, sizeof other - 1, &t, &e), EX_EFORMAT);
}

/* ---- the ledger end to end ---------------------------------------------------------------- */

static char DIR_[64];

static const char *
path_of(const char *name)
{
    static char p[4][256];
    static int at;
    at = (at + 1) % 4;
    snprintf(p[at], sizeof p[at], "%s/%s", DIR_, name);
    return p[at];
}

#define NT 6000 /* members: 84,000 leaves, two chunks, stored levels 8 to 16 */

static char **TEXTS;

static json_t *
record_of(ex_ledger *l, const char *name)
{
    char *rec = NULL;
    size_t rl = 0;
    CHECK_RC(ex_ledger_snapshot_show_dup(l, name, &rec, &rl), EX_OK);
    json_t *o = rec ? json_loadb(rec, rl, 0, NULL) : NULL;
    free(rec);
    return o;
}

/* the record's near tree against the tree of texts[0..n) built here */
static void
same_tree(ex_ledger *l, const char *name, const char *const *texts, size_t n, uint64_t unfp)
{
    leaf *v = malloc(n * 14 * sizeof *v);
    size_t m = leaves_of(texts, n, v);
    uint8_t root[EX_HASH_BYTES];
    tree_of(v, m, root);
    char r64[64];
    ex_b64_encode(root, EX_HASH_BYTES, r64);
    json_t *o = record_of(l, name), *nr = json_object_get(o, "near");
    CHECK_STR(json_string_value(json_object_get(nr, "root")), r64);
    CHECK(json_integer_value(json_object_get(nr, "size")) == (json_int_t)m);
    CHECK(json_integer_value(json_object_get(nr, "unfingerprinted")) == (json_int_t)unfp);
    CHECK_STR(json_string_value(json_object_get(nr, "seed")), "6578616e74652d6d");
    json_decref(o);
    free(v);
}

static int
count_match(void *ctx, unsigned band, const uint8_t d[EX_HASH_BYTES])
{
    (void)band, (void)d;
    (*(int *)ctx)++;
    return EX_OK;
}

/* proofs of texts against snapshot name: each verifies, and says dup as want_dup says */
static void
prove_some(ex_ledger *l, const char *name, const ex_vkey *vk)
{
    ex_snapshot_near *s = NULL;
    CHECK_RC(ex_ledger_snapshot_near_open(l, name, &s), EX_OK);
    if (!s)
        return;
    char t[1024];
    int bad = 0, dups = 0;
    for (int i = 0; i < 200; i++) {
        int want; /* 1: a member or its near copy; 0: unrelated */
        if (i % 4 == 0) {
            snprintf(t, sizeof t, "%s", TEXTS[(i * 37) % NT]);
            want = TEXTS[(i * 37) % NT][0] != '\0';
        } else if (i % 4 == 1) {
            /* a near copy: one word of 40 changed at the end */
            snprintf(t, sizeof t, "%s", TEXTS[(i * 53) % NT]);
            char *sp = strrchr(t, ' ');
            if (sp)
                strcpy(sp, " different");
            want = -1; /* likely, not certain */
        } else {
            make_text(900000 + (uint64_t)i, 40, t, sizeof t);
            want = 0;
        }
        if (!t[0])
            continue;
        char *doc = NULL;
        size_t dl = 0;
        ex_near_verdict v = {0}, w = {0};
        int rc = ex_snapshot_near_prove_dup(s, t, strlen(t), &doc, &dl, &v);
        if (rc != EX_OK) {
            bad++;
            fprintf(stderr, "prove %d: %s\n", i, ex_ledger_errmsg(l));
            continue;
        }
        ex_near_proof p;
        ex_err e = {0};
        if (ex_near_proof_parse(doc, dl, &p, &e) != EX_OK ||
            ex_near_proof_verify(&p, vk, t, strlen(t), &w, &e) != EX_OK || w.dup != v.dup ||
            (want == 1 && (!v.dup || v.present != 14)) || (want == 0 && v.dup)) {
            bad++;
            fprintf(stderr, "proof %d (want %d, dup %d, present %u): %s\n", i, want, v.dup,
                    v.present, e.msg);
        }
        if (v.dup) {
            int found = 0;
            uint64_t nf = 0;
            CHECK_RC(ex_snapshot_near_matches(s, t, strlen(t), count_match, &found, &nf), EX_OK);
            CHECK(found >= (int)v.present && (uint64_t)found == nf);
            dups++;
        }
        ex_near_proof_clear(&p);
        free(doc);
    }
    CHECK(bad == 0);
    CHECK(dups >= 50);
    /* a text without words */
    char *doc = NULL;
    CHECK_RC(ex_snapshot_near_prove_dup(s, "!!! ...", 7, &doc, NULL, NULL), EX_EINVAL);
    CHECK(strstr(ex_ledger_errmsg(l), "no words") != NULL);
    ex_snapshot_near_close(s);
}

/* count proofs of unrelated texts against snapshot name, each verified: in a tree of a few
 * leaves most keys fall below the first or above the last, or between two bands */
static void
prove_unrelated(ex_ledger *l, const char *name, const ex_vkey *vk, int count)
{
    int bad = 0;
    for (int i = 0; i < count; i++) {
        char t[512], *doc = NULL;
        size_t dl = 0;
        ex_near_verdict v = {0}, w = {0};
        make_text(700000 + (uint64_t)i, 30, t, sizeof t);
        ex_near_proof p;
        ex_err e = {0};
        if (ex_ledger_snapshot_prove_near_dup(l, name, t, strlen(t), &doc, &dl, &v) != EX_OK ||
            ex_near_proof_parse(doc, dl, &p, &e) != EX_OK ||
            ex_near_proof_verify(&p, vk, t, strlen(t), &w, &e) != EX_OK || v.dup || w.dup) {
            bad++;
            fprintf(stderr, "%s: proof %d: %s %s\n", name, i, ex_ledger_errmsg(l), e.msg);
        }
        ex_near_proof_clear(&p);
        free(doc);
    }
    CHECK(bad == 0);
}

/* a small JSONL file of texts[from..to) */
static const char *
small_corpus(const char *name, size_t from, size_t to)
{
    FILE *f = fopen(path_of(name), "w");
    for (size_t i = from; i < to; i++)
        fprintf(f, "{\"text\":\"%s\",\"url\":\"https://h%zu.example/p\"}\n", TEXTS[i], i % 50);
    fclose(f);
    return path_of(name);
}

static void
ledger(void)
{
    snprintf(DIR_, sizeof DIR_, "/tmp/exante-nearproof-%d", (int)getpid());
    CHECK(mkdir(DIR_, 0700) == 0);
    ex_ledger *l = NULL;
    ex_err e = {0};
    CHECK_RC(ex_ledger_init(path_of("ledger"), NULL, &l, &e), EX_OK);
    if (!l) {
        fprintf(stderr, "init: %s\n", e.msg);
        return;
    }
    ex_vkey vk;
    CHECK_RC(ex_vkey_parse(ex_ledger_vkey(l), &vk, NULL), EX_OK);
    uint64_t idx;
    ex_source_opts so = {.kind = "other"};
    CHECK_RC(ex_ledger_source_add(l, "s", &so, &idx), EX_OK);
    static const char policy[] = "reject optout\nadmit * \"all\"\n";
    char pd[EX_DIGEST_STR_BYTES];
    ex_policy_diag d;
    CHECK_RC(ex_ledger_policy_adopt(l, policy, strlen(policy), pd, &idx, &d), EX_OK);
    /* a snapshot of nothing: an empty near tree */
    CHECK_RC(ex_ledger_snapshot_create(l, "empty", NULL, NULL, NULL, NULL), EX_OK);
    same_tree(l, "empty", NULL, 0, 0);
    /* NT texts of 40 words (the first without words: no fingerprint) */
    TEXTS = calloc(NT, sizeof *TEXTS);
    FILE *f = fopen(path_of("corpus.jsonl"), "w");
    for (size_t i = 0; i < NT; i++) {
        TEXTS[i] = malloc(512);
        if (i == 0)
            strcpy(TEXTS[i], "");
        else
            make_text(i, 40, TEXTS[i], 512);
        fprintf(f, "{\"text\":\"%s\",\"url\":\"https://h%zu.example/p\"}\n", TEXTS[i], i % 50);
    }
    fclose(f);
    ex_ingest_opts io = {.source = "s"};
    ex_ingest_stats st;
    /* tiny trees first: 14 leaves (one run), then 266 (two runs, the second short) */
    const char *in[1] = {small_corpus("one.jsonl", 1, 2)};
    CHECK_RC(ex_ledger_ingest(l, in, 1, &io, &st), EX_OK);
    CHECK_RC(ex_ledger_snapshot_create(l, "t1", NULL, NULL, NULL, NULL), EX_OK);
    same_tree(l, "t1", (const char *const *)TEXTS + 1, 1, 0);
    prove_unrelated(l, "t1", &vk, 40);
    in[0] = small_corpus("nineteen.jsonl", 2, 20);
    CHECK_RC(ex_ledger_ingest(l, in, 1, &io, &st), EX_OK);
    CHECK_RC(ex_ledger_snapshot_create(l, "t19", NULL, NULL, NULL, NULL), EX_OK);
    same_tree(l, "t19", (const char *const *)TEXTS + 1, 19, 0);
    prove_unrelated(l, "t19", &vk, 40);
    CHECK_RC(ex_ledger_snapshot_audit(l, "t19", NULL), EX_OK);
    /* then all: the 19 already recorded are copies now */
    in[0] = path_of("corpus.jsonl");
    CHECK_RC(ex_ledger_ingest(l, in, 1, &io, &st), EX_OK);
    CHECK(st.admitted == NT - 19);
    CHECK_RC(ex_ledger_snapshot_create(l, "s1", NULL, NULL, NULL, NULL), EX_OK);
    same_tree(l, "s1", (const char *const *)TEXTS, NT, 1);
    uint64_t members = 0;
    CHECK_RC(ex_ledger_snapshot_audit(l, "s1", &members), EX_OK);
    CHECK(members == NT);
    /* the same members with buckets that split and spill: the same tree */
    near_build_limits(64, 1024, 96);
    CHECK_RC(ex_ledger_snapshot_create(l, "s1-small", NULL, NULL, NULL, NULL), EX_OK);
    near_build_limits(0, 0, 0);
    json_t *a = record_of(l, "s1"), *b = record_of(l, "s1-small");
    CHECK(json_equal(json_object_get(a, "near"), json_object_get(b, "near")));
    json_decref(a);
    json_decref(b);
    CHECK_RC(ex_ledger_snapshot_audit(l, "s1-small", NULL), EX_OK);
    prove_some(l, "s1", &vk);

    /* an opt-out of one host, then the clean room --from s1: its near tree loses them */
    ex_optout_opts oo = {.domain = "h7.example"};
    CHECK_RC(ex_ledger_optout_add(l, &oo, &idx, pd), EX_OK);
    CHECK_RC(ex_ledger_snapshot_create(l, "s2", "s1", NULL, NULL, NULL), EX_OK);
    const char **kept = calloc(NT, sizeof *kept);
    size_t nk = 0;
    for (size_t i = 0; i < NT; i++)
        if (i % 50 != 7)
            kept[nk++] = TEXTS[i];
    same_tree(l, "s2", kept, nk, 1);
    CHECK_RC(ex_ledger_snapshot_audit(l, "s2", NULL), EX_OK);
    {
        ex_snapshot_near *s = NULL;
        CHECK_RC(ex_ledger_snapshot_near_open(l, "s2", &s), EX_OK);
        char *doc = NULL;
        size_t dl = 0;
        ex_near_verdict v = {0};
        /* an opted-out member's text is near-dup-free of s2, and not of s1 */
        CHECK_RC(ex_snapshot_near_prove_dup(s, TEXTS[7], strlen(TEXTS[7]), &doc, &dl, &v),
                 EX_OK);
        CHECK(!v.dup && v.unfingerprinted == 1 && v.fingerprinted == nk - 1);
        free(doc);
        ex_snapshot_near_close(s);
        CHECK_RC(ex_ledger_snapshot_prove_near_dup(l, "s1", TEXTS[7], strlen(TEXTS[7]), &doc, &dl,
                                                   &v),
                 EX_OK);
        CHECK(v.dup && v.present == 14);
        free(doc);
    }
    free(kept);

    /* errors: no such snapshot; damaged rows refused on open and by audit */
    ex_snapshot_near *s = NULL;
    CHECK_RC(ex_ledger_snapshot_near_open(l, "nope", &s), EX_ENOTFOUND);
    CHECK(s == NULL);
    json_t *r1 = record_of(l, "s1");
    uint64_t li = (uint64_t)json_integer_value(json_object_get(r1, "log_index"));
    uint64_t nsize =
        (uint64_t)json_integer_value(json_object_get(json_object_get(r1, "near"), "size"));
    json_decref(r1);
    /* a leaf row rewritten out of order: audit names it (the row's first two leaves swapped) */
    {
        struct ids {
            int64_t key;
            uint64_t first;
        } c = {near_key(li), UINT64_MAX};
        ex_store *stp = l->st;
        uint8_t *row = NULL;
        size_t rl = 0;
        int64_t k = 0;
        /* the first near row of s1: scan ids by key */
        for (uint64_t id = 1; c.first == UINT64_MAX && id < 100000; id++) {
            if (stp->ops->rec_get_dup(stp, EX_TAB_SNAPLEAVES, id, &k, &row, &rl) != EX_OK)
                break;
            if (k == c.key)
                c.first = id;
            else
                free(row), row = NULL;
        }
        CHECK(row && row[0] == 'N' && rl == 1 + 65536 * EX_NEAR_LEAF_BYTES);
        if (row) {
            uint8_t t10[EX_NEAR_LEAF_BYTES];
            memcpy(t10, row + 1, EX_NEAR_LEAF_BYTES);
            memcpy(row + 1, row + 1 + EX_NEAR_LEAF_BYTES, EX_NEAR_LEAF_BYTES);
            memcpy(row + 1 + EX_NEAR_LEAF_BYTES, t10, EX_NEAR_LEAF_BYTES);
            CHECK_RC(stp->ops->rec_put(stp, EX_TAB_SNAPLEAVES, c.first, k, row, rl), EX_OK);
            CHECK_RC(ex_ledger_snapshot_audit(l, "s1", NULL), EX_EVERIFY);
            if (!strstr(ex_ledger_errmsg(l), "near leaf 1 is not above near leaf 0"))
                fprintf(stderr, "audit: %s\n", ex_ledger_errmsg(l));
            CHECK(strstr(ex_ledger_errmsg(l), "near leaf 1 is not above near leaf 0") != NULL);
            /* put back: audit passes; the index row (after the two leaf rows) altered */
            memcpy(row + 1 + EX_NEAR_LEAF_BYTES, row + 1, EX_NEAR_LEAF_BYTES);
            memcpy(row + 1, t10, EX_NEAR_LEAF_BYTES);
            CHECK_RC(stp->ops->rec_put(stp, EX_TAB_SNAPLEAVES, c.first, k, row, rl), EX_OK);
            CHECK_RC(ex_ledger_snapshot_audit(l, "s1", NULL), EX_OK);
            uint8_t *ix = NULL;
            size_t il = 0;
            int64_t ik = 0;
            CHECK_RC(stp->ops->rec_get_dup(stp, EX_TAB_SNAPLEAVES, c.first + 2, &ik, &ix, &il),
                     EX_OK);
            CHECK(ix && ix[0] == 'K' && ik == k && il == 1 + (nsize + 255) / 256 * 10);
            if (ix) {
                ix[5] ^= 1;
                CHECK_RC(stp->ops->rec_put(stp, EX_TAB_SNAPLEAVES, c.first + 2, ik, ix, il),
                         EX_OK);
                CHECK_RC(ex_ledger_snapshot_audit(l, "s1", NULL), EX_EVERIFY);
                CHECK(strstr(ex_ledger_errmsg(l), "its stored index of near leaves") != NULL);
                ix[5] ^= 1;
                CHECK_RC(stp->ops->rec_put(stp, EX_TAB_SNAPLEAVES, c.first + 2, ik, ix, il),
                         EX_OK);
                free(ix);
            }
            /* a row cut short: open refuses the tree */
            CHECK_RC(stp->ops->rec_put(stp, EX_TAB_SNAPLEAVES, c.first, k, row, 1), EX_OK);
            CHECK_RC(ex_ledger_snapshot_audit(l, "s1", NULL), EX_EVERIFY);
            free(row);
        }
    }
    ex_ledger_close(l);
    for (size_t i = 0; i < NT; i++)
        free(TEXTS[i]);
    free(TEXTS);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", DIR_);
    CHECK(system(cmd) == 0);
}

int
main(int argc, char **argv)
{
    const char *corpus = argc == 3 && strcmp(argv[1], "--corpus") == 0 ? argv[2] : NULL;
    if (ex_sha256_new(&H) != EX_OK)
        return 1;
    pieces();
    fixed_trees(corpus);
    if (!corpus)
        ledger();
    ex_key_free(ALICE);
    free(LH);
    ex_sha256_free(H);
    return t_done("test_nearproof");
}
