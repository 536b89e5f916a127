/* nearproof.c - near-dup proof documents (docs/FORMATS.md "Near-dup-free proofs"): the one
 * canonical writer, a strict reader (jansson, then the bytes compared with what the writer
 * gives back) and the verifier, which needs only the document, the log's verifier key and the
 * work's text: it recomputes the work's band keys itself and checks each band's absence (or
 * presence) in the near tree whose root the signed snapshot record holds. */
#include "nearproof.h"

#include "core/cjson.h"
#include "dedup/near.h"
#include "snapproof.h"

#include <stdlib.h>
#include <string.h>

#define B64_HASH (4 * ((EX_HASH_BYTES + 2) / 3)) /* 44 characters */
#define SMALL_MAX 65535                          /* band numbers and MinHash parameters */

static const char TYPE_FREE[] = "snapshot-near-dup-free";
static const char TYPE_DUP[] = "snapshot-near-dup";

/* ---- shared pieces (nearproof.h) ------------------------------------------------------- */

void
ex_near_leaf_encode(unsigned band, uint64_t key, uint8_t out[EX_NEAR_LEAF_BYTES])
{
    out[0] = (uint8_t)(band >> 8);
    out[1] = (uint8_t)band;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(key >> (56 - 8 * i));
}

void
ex_near_hex16(uint64_t v, char out[17])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        out[i] = hx[(v >> (60 - 4 * i)) & 15];
    out[16] = '\0';
}

int
ex_near_hex16_parse(const char *s, size_t len, uint64_t *v)
{
    if (!s || len != 16)
        return EX_EFORMAT;
    uint64_t x = 0;
    for (size_t i = 0; i < 16; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return EX_EFORMAT;
        x = x << 4 | d;
    }
    *v = x;
    return EX_OK;
}

void
ex_near_params_default(ex_near_params *p)
{
    *p = (ex_near_params){.k = EX_NEAR_K_DEFAULT,
                          .bands = EX_NEAR_BANDS_DEFAULT,
                          .bits = EX_NEAR_BITS,
                          .shingle = EX_NEAR_SHINGLE_WORDS,
                          .seed = EX_NEAR_SEED};
}

int
ex_near_params_usable(const ex_near_params *p)
{
    return p->bits == EX_NEAR_BITS && p->shingle == EX_NEAR_SHINGLE_WORDS &&
           p->seed == EX_NEAR_SEED && p->k >= 1 && p->k <= EX_NEAR_K_MAX && p->bands >= 1 &&
           p->bands <= p->k && p->k % p->bands == 0;
}

/* an integer member of o in 0..max */
static int
small_int(json_t *o, const char *key, uint64_t max, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return 0;
    *out = (uint64_t)json_integer_value(v);
    return 1;
}

int
ex_near_tree_rec_read(const void *entry, size_t len, ex_near_tree_rec *out, ex_err *err)
{
    /* a key twice (two "near" objects) could be read one way here and another elsewhere */
    json_t *o = json_loadb(entry, len, JSON_REJECT_DUPLICATES, NULL);
    int rc = EX_OK;
    const char *t = json_string_value(json_object_get(o, "type"));
    json_t *n = json_object_get(o, "near");
    uint64_t k = 0, bands = 0, bits = 0, sh = 0;
    const char *root = json_string_value(json_object_get(n, "root"));
    json_t *seed = json_object_get(n, "seed");
    size_t rl = 0;
    memset(out, 0, sizeof *out);
    if (!json_is_object(o) || !t || strcmp(t, "snapshot") != 0)
        rc = ex_fail(err, EX_EFORMAT, "the entry is not a snapshot record");
    else if (!n)
        rc = ex_fail(err, EX_ENOTFOUND, "the snapshot record has no \"near\" tree");
    else if (!json_is_object(n) || !small_int(n, "k", SMALL_MAX, &k) ||
             !small_int(n, "bands", SMALL_MAX, &bands) ||
             !small_int(n, "bits", SMALL_MAX, &bits) ||
             !small_int(n, "shingle", SMALL_MAX, &sh) ||
             !json_is_string(seed) ||
             ex_near_hex16_parse(json_string_value(seed), json_string_length(seed),
                                 &out->mh.seed) != EX_OK ||
             !small_int(n, "size", EX_JSON_INT_MAX, &out->size) ||
             !small_int(n, "fingerprinted", EX_JSON_INT_MAX, &out->fingerprinted) ||
             !small_int(n, "unfingerprinted", EX_JSON_INT_MAX, &out->unfingerprinted) || !root ||
             ex_b64_decode(root, strlen(root), out->root, EX_HASH_BYTES, &rl) != EX_OK ||
             rl != EX_HASH_BYTES)
        rc = ex_fail(err, EX_EFORMAT,
                     "the snapshot record's \"near\" is not an object with integers k, bands, "
                     "bits, shingle, size, fingerprinted and unfingerprinted, a 16-digit hex "
                     "seed and a base64 root of 32 bytes");
    if (rc == EX_OK) {
        out->mh.k = (unsigned)k;
        out->mh.bands = (unsigned)bands;
        out->mh.bits = (unsigned)bits;
        out->mh.shingle = (unsigned)sh;
    }
    json_decref(o);
    return rc;
}

/* ---- writing ------------------------------------------------------------------------------ */

static void
hash_list(ex_cj *w, const uint8_t (*p)[EX_HASH_BYTES], size_t n)
{
    char s[B64_HASH + 1];
    ex_cj_arr(w);
    for (size_t i = 0; i < n; i++)
        ex_cj_str(w, s, ex_b64_encode(p[i], EX_HASH_BYTES, s));
    ex_cj_end(w);
}

static int
writable(const ex_near_proof *p)
{
    if (!p || (!p->band && p->nband) || p->nband > EX_NEAR_BANDS_MAX || !p->entry ||
        p->entry_len == 0 || p->entry_len > EX_ENTRY_MAX || !p->checkpoint ||
        p->log_n > EX_MERKLE_MAX_PROOF || p->log_index > EX_JSON_INT_MAX ||
        p->log_size > EX_JSON_INT_MAX || p->mh.k > SMALL_MAX || p->mh.bands > SMALL_MAX ||
        p->mh.bits > SMALL_MAX || p->mh.shingle > SMALL_MAX)
        return 0;
    for (size_t i = 0; i < p->nband; i++) {
        const ex_near_band *b = &p->band[i];
        if (b->band > SMALL_MAX || b->nleaves > 2)
            return 0;
        for (size_t j = 0; j < b->nleaves; j++)
            if (b->leaves[j].band > SMALL_MAX || b->leaves[j].index > EX_JSON_INT_MAX ||
                b->leaves[j].n > EX_NEAR_PROOF_MAX)
                return 0;
    }
    return 1;
}

static int
write_doc(ex_buf *b, const ex_near_proof *p)
{
    if (!writable(p))
        return EX_EINVAL;
    char *e64 = malloc(4 * ((p->entry_len + 2) / 3) + 1), hx[17];
    if (!e64)
        return EX_ENOMEM;
    size_t e64len = ex_b64_encode(p->entry, p->entry_len, e64);
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_key(&w, "bands");
    ex_cj_arr(&w);
    for (size_t i = 0; i < p->nband; i++) {
        const ex_near_band *bd = &p->band[i];
        ex_cj_obj(&w);
        ex_cj_kint(&w, "band", bd->band);
        ex_near_hex16(bd->key, hx);
        ex_cj_kstr(&w, "key", hx, 16);
        ex_cj_key(&w, "leaves");
        ex_cj_arr(&w);
        for (size_t j = 0; j < bd->nleaves; j++) {
            const ex_near_leaf *l = &bd->leaves[j];
            ex_cj_obj(&w);
            ex_cj_kint(&w, "band", l->band);
            ex_cj_kint(&w, "index", (int64_t)l->index);
            ex_near_hex16(l->key, hx);
            ex_cj_kstr(&w, "key", hx, 16);
            ex_cj_key(&w, "proof");
            hash_list(&w, (const uint8_t(*)[EX_HASH_BYTES])l->proof, l->n);
            ex_cj_end(&w);
        }
        ex_cj_end(&w);
        ex_cj_key(&w, "present");
        ex_cj_bool(&w, bd->present);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_key(&w, "minhash");
    ex_cj_obj(&w);
    ex_cj_kint(&w, "bands", p->mh.bands);
    ex_cj_kint(&w, "bits", p->mh.bits);
    ex_cj_kint(&w, "k", p->mh.k);
    ex_near_hex16(p->mh.seed, hx);
    ex_cj_kstr(&w, "seed", hx, 16);
    ex_cj_kint(&w, "shingle", p->mh.shingle);
    ex_cj_end(&w);
    ex_cj_key(&w, "snapshot");
    ex_cj_obj(&w);
    ex_cj_kstr(&w, "checkpoint", p->checkpoint, strlen(p->checkpoint));
    ex_cj_kstr(&w, "entry", e64, e64len);
    ex_cj_kint(&w, "log_index", (int64_t)p->log_index);
    ex_cj_key(&w, "log_proof");
    hash_list(&w, (const uint8_t(*)[EX_HASH_BYTES])p->log_proof, p->log_n);
    ex_cj_kint(&w, "log_size", (int64_t)p->log_size);
    ex_cj_end(&w);
    if (p->dup)
        ex_cj_kstr(&w, "type", TYPE_DUP, sizeof TYPE_DUP - 1);
    else
        ex_cj_kstr(&w, "type", TYPE_FREE, sizeof TYPE_FREE - 1);
    ex_cj_end(&w);
    free(e64);
    return ex_cj_done(&w);
}

int
ex_near_proof_write_dup(const ex_near_proof *p, char **json, size_t *len)
{
    if (!json)
        return EX_EINVAL;
    ex_buf b = {0};
    int rc = write_doc(&b, p);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return rc;
    }
    *json = ex_buf_take(&b, len);
    return *json ? EX_OK : EX_ENOMEM;
}

/* ---- reading ------------------------------------------------------------------------------ */

void
ex_near_proof_clear(ex_near_proof *p)
{
    if (!p)
        return;
    free(p->band);
    free(p->entry);
    free(p->checkpoint);
    memset(p, 0, sizeof *p);
}

int
ex_near_proof_is(const char *json, size_t len)
{
    json_t *o = json_loadb(json, len, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "type"));
    int is = t && (strcmp(t, TYPE_FREE) == 0 || strcmp(t, TYPE_DUP) == 0);
    json_decref(o);
    return is;
}

/* o has exactly the keys listed; where names o in messages */
static int
exact_keys(json_t *o, const char *where, const char *const *keys, ex_err *err)
{
    return ex_proof_keys(o, where, keys, 1, err);
}

static int
get_uint(json_t *o, const char *where, const char *key, uint64_t max, uint64_t *out, ex_err *err)
{
    if (!small_int(o, key, max, out))
        return ex_fail(err, EX_EFORMAT, "proof: %s\"%s\" is not an integer in 0..%llu", where,
                       key, (unsigned long long)max);
    return EX_OK;
}

static int
get_hex16(json_t *o, const char *where, const char *key, uint64_t *out, ex_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) ||
        ex_near_hex16_parse(json_string_value(v), json_string_length(v), out) != EX_OK)
        return ex_fail(err, EX_EFORMAT, "proof: %s\"%s\" is not 16 lowercase hex digits", where,
                       key);
    return EX_OK;
}

static int
get_hashes(json_t *o, const char *where, const char *key, size_t max,
           uint8_t (*out)[EX_HASH_BYTES], size_t *n, ex_err *err)
{
    json_t *a = json_object_get(o, key), *v;
    if (!json_is_array(a))
        return ex_fail(err, EX_EFORMAT, "proof: %s\"%s\" is not an array", where, key);
    if (json_array_size(a) > max)
        return ex_fail(err, EX_EFORMAT, "proof: %s\"%s\" has more than %zu hashes", where, key,
                       max);
    size_t i;
    json_array_foreach(a, i, v)
    {
        size_t m;
        if (!json_is_string(v) || ex_b64_decode(json_string_value(v), json_string_length(v),
                                                out[i], EX_HASH_BYTES, &m) != EX_OK ||
            m != EX_HASH_BYTES)
            return ex_fail(err, EX_EFORMAT,
                           "proof: %s\"%s\"[%zu] is not canonical base64 of 32 bytes", where,
                           key, i);
    }
    *n = json_array_size(a);
    return EX_OK;
}

static int
parse_leaf(json_t *o, const char *band_where, size_t k, ex_near_leaf *l, ex_err *err)
{
    static const char *const keys[] = {"band", "index", "key", "proof", NULL};
    char where[64];
    snprintf(where, sizeof where, "%s.leaves[%zu]", band_where, k);
    int rc = exact_keys(o, where, keys, err);
    uint64_t band = 0;
    strcat(where, ".");
    if (rc == EX_OK && (rc = get_uint(o, where, "band", SMALL_MAX, &band, err)) == EX_OK)
        l->band = (unsigned)band;
    if (rc == EX_OK)
        rc = get_uint(o, where, "index", EX_JSON_INT_MAX, &l->index, err);
    if (rc == EX_OK)
        rc = get_hex16(o, where, "key", &l->key, err);
    if (rc == EX_OK)
        rc = get_hashes(o, where, "proof", EX_NEAR_PROOF_MAX, l->proof, &l->n, err);
    return rc;
}

static int
parse_band(json_t *o, size_t i, ex_near_band *b, ex_err *err)
{
    static const char *const keys[] = {"band", "key", "leaves", "present", NULL};
    char where[32], dot[34];
    snprintf(where, sizeof where, "bands[%zu]", i);
    snprintf(dot, sizeof dot, "%s.", where);
    uint64_t band = 0;
    int rc = exact_keys(o, where, keys, err);
    if (rc == EX_OK && (rc = get_uint(o, dot, "band", SMALL_MAX, &band, err)) == EX_OK)
        b->band = (unsigned)band;
    if (rc == EX_OK)
        rc = get_hex16(o, dot, "key", &b->key, err);
    if (rc != EX_OK)
        return rc;
    json_t *pr = json_object_get(o, "present");
    if (!json_is_boolean(pr))
        return ex_fail(err, EX_EFORMAT, "proof: %s\"present\" is not true or false", dot);
    b->present = json_is_true(pr);
    json_t *lv = json_object_get(o, "leaves"), *l;
    if (!json_is_array(lv) || json_array_size(lv) > 2)
        return ex_fail(err, EX_EFORMAT, "proof: %s\"leaves\" is not an array of at most 2 leaves",
                       dot);
    size_t k;
    json_array_foreach(lv, k, l)
    {
        if ((rc = parse_leaf(l, where, k, &b->leaves[k], err)) != EX_OK)
            return rc;
    }
    b->nleaves = json_array_size(lv);
    return EX_OK;
}

static int
parse_body(json_t *o, ex_near_proof *out, ex_err *err)
{
    static const char *const top[] = {"type", "bands", "minhash", "snapshot", NULL};
    static const char *const mh[] = {"k", "bands", "bits", "shingle", "seed", NULL};
    static const char *const snap[] = {"entry", "log_index", "log_size", "log_proof",
                                       "checkpoint", NULL};
    int rc = exact_keys(o, "the document", top, err);
    if (rc != EX_OK)
        return rc;
    const char *t = json_string_value(json_object_get(o, "type"));
    if (!t || (strcmp(t, TYPE_FREE) != 0 && strcmp(t, TYPE_DUP) != 0))
        return ex_fail(err, EX_EFORMAT, "proof: \"type\" is not \"%s\" or \"%s\"", TYPE_FREE,
                       TYPE_DUP);
    out->dup = strcmp(t, TYPE_DUP) == 0;
    json_t *m = json_object_get(o, "minhash");
    uint64_t v[4] = {0, 0, 0, 0};
    if ((rc = exact_keys(m, "\"minhash\"", mh, err)) != EX_OK ||
        (rc = get_uint(m, "minhash.", "k", SMALL_MAX, &v[0], err)) != EX_OK ||
        (rc = get_uint(m, "minhash.", "bands", SMALL_MAX, &v[1], err)) != EX_OK ||
        (rc = get_uint(m, "minhash.", "bits", SMALL_MAX, &v[2], err)) != EX_OK ||
        (rc = get_uint(m, "minhash.", "shingle", SMALL_MAX, &v[3], err)) != EX_OK ||
        (rc = get_hex16(m, "minhash.", "seed", &out->mh.seed, err)) != EX_OK)
        return rc;
    out->mh.k = (unsigned)v[0];
    out->mh.bands = (unsigned)v[1];
    out->mh.bits = (unsigned)v[2];
    out->mh.shingle = (unsigned)v[3];
    json_t *s = json_object_get(o, "snapshot");
    if ((rc = exact_keys(s, "\"snapshot\"", snap, err)) != EX_OK ||
        (rc = get_uint(s, "snapshot.", "log_index", EX_JSON_INT_MAX, &out->log_index, err)) !=
            EX_OK ||
        (rc = get_uint(s, "snapshot.", "log_size", EX_JSON_INT_MAX, &out->log_size, err)) !=
            EX_OK ||
        (rc = get_hashes(s, "snapshot.", "log_proof", EX_MERKLE_MAX_PROOF, out->log_proof,
                         &out->log_n, err)) != EX_OK)
        return rc;
    json_t *cp = json_object_get(s, "checkpoint"), *e = json_object_get(s, "entry");
    if (!json_is_string(cp))
        return ex_fail(err, EX_EFORMAT, "proof: snapshot.\"checkpoint\" is not a string");
    if (!(out->checkpoint = strdup(json_string_value(cp))))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    if (!json_is_string(e))
        return ex_fail(err, EX_EFORMAT, "proof: snapshot.\"entry\" is not a string");
    if (!(out->entry = malloc(EX_ENTRY_MAX)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    if (ex_b64_decode(json_string_value(e), json_string_length(e), out->entry, EX_ENTRY_MAX,
                      &out->entry_len) != EX_OK ||
        out->entry_len == 0)
        return ex_fail(err, EX_EFORMAT,
                       "proof: snapshot.\"entry\" is not canonical base64 of 1..%d bytes",
                       EX_ENTRY_MAX);
    json_t *bs = json_object_get(o, "bands"), *b;
    if (!json_is_array(bs) || json_array_size(bs) > EX_NEAR_BANDS_MAX)
        return ex_fail(err, EX_EFORMAT, "proof: \"bands\" is not an array of at most %d bands",
                       EX_NEAR_BANDS_MAX);
    if (json_array_size(bs) &&
        !(out->band = calloc(json_array_size(bs), sizeof *out->band)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    size_t i;
    json_array_foreach(bs, i, b)
    {
        if ((rc = parse_band(b, i, &out->band[i], err)) != EX_OK)
            return rc;
    }
    out->nband = json_array_size(bs);
    return EX_OK;
}

int
ex_near_proof_parse(const char *json, size_t len, ex_near_proof *out, ex_err *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return ex_fail(err, EX_EFORMAT, "proof: line %d column %d: %s", je.line, je.column,
                       je.text);
    int rc = json_is_object(o) ? parse_body(o, out, err)
                               : ex_fail(err, EX_EFORMAT, "proof: not a JSON object");
    json_decref(o);
    if (rc != EX_OK)
        return rc;
    /* the document is its canonical form, so no two documents say the same thing */
    ex_buf b = {0};
    rc = write_doc(&b, out);
    if (rc == EX_ENOMEM)
        rc = ex_fail(err, rc, "out of memory");
    else if (rc != EX_OK)
        rc = ex_fail(err, EX_EFORMAT, "proof: cannot be written as canonical JSON");
    else if (b.len != len || memcmp(b.data, json, len) != 0) {
        size_t at = 0;
        while (at < len && at < b.len && b.data[at] == json[at])
            at++;
        rc = ex_fail(err, EX_EFORMAT, "proof: not in canonical form (from byte %zu)", at);
    }
    ex_buf_free(&b);
    return rc;
}

/* ---- verifying ---------------------------------------------------------------------------- */

/* the leaf's proof in the tree of n leaves with root */
static int
leaf_in_tree(ex_sha256 *h, const ex_near_leaf *l, uint64_t n, const uint8_t root[EX_HASH_BYTES],
             int *ok)
{
    uint8_t lb[EX_NEAR_LEAF_BYTES], lh[EX_HASH_BYTES];
    ex_near_leaf_encode(l->band, l->key, lb);
    int rc = ex_merkle_leaf(h, lb, sizeof lb, lh);
    if (rc != EX_OK)
        return rc;
    rc = ex_merkle_verify_inclusion(h, l->index, n, lh, (const uint8_t(*)[EX_HASH_BYTES])l->proof,
                                    l->n, root, EX_HASH_BYTES);
    *ok = rc == EX_OK;
    return rc == EX_EVERIFY ? EX_OK : rc;
}

static int
cmp_band(const ex_near_leaf *l, const ex_near_band *b)
{
    return ex_near_leaf_cmp(l->band, l->key, b->band, b->key);
}

/* steps 5 and 6 for band b in the tree of n leaves with root */
static int
check_band(ex_sha256 *h, const ex_near_band *b, uint64_t n, const uint8_t root[EX_HASH_BYTES],
           ex_err *err)
{
    const ex_near_leaf *L = b->leaves;
    unsigned j = b->band;
    int step = b->present ? 6 : 5;
    if (b->present && b->nleaves != 1)
        return ex_fail(err, EX_EVERIFY, "step 6: band %u: a present band has exactly one leaf, "
                                        "not %zu",
                       j, b->nleaves);
    if (!b->present && n == 0) {
        uint8_t empty[EX_HASH_BYTES];
        if (b->nleaves != 0)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: the tree is empty but leaves are "
                                            "given",
                           j);
        if (ex_sha256_digest(h, "", 0, empty) != EX_OK)
            return ex_fail(err, EX_ECRYPTO, "cannot hash");
        if (memcmp(root, empty, EX_HASH_BYTES) != 0)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: the empty tree's root is not "
                                            "H(\"\")",
                           j);
        return EX_OK;
    }
    if (!b->present && b->nleaves == 0)
        return ex_fail(err, EX_EVERIFY, "step 5: band %u: no leaves for a tree of %llu", j,
                       (unsigned long long)n);
    for (size_t k = 0; k < b->nleaves; k++)
        if (L[k].index >= n)
            return ex_fail(err, EX_EVERIFY, "step %d: band %u: leaves[%zu].index %llu is outside "
                                            "0..%lld",
                           step, j, k, (unsigned long long)L[k].index, (long long)n - 1);
    if (b->present) {
        if (cmp_band(&L[0], b) != 0)
            return ex_fail(err, EX_EVERIFY, "step 6: band %u: the leaf is not the band's key", j);
    } else if (b->nleaves == 1) {
        int c = -cmp_band(&L[0], b); /* the key against the leaf */
        if (c == 0)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: the leaf is the band's key itself",
                           j);
        if (L[0].index != 0 && L[0].index != n - 1)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: one leaf proves absence only as "
                                            "the first or last",
                           j);
        if (!((L[0].index == 0 && c < 0) || (L[0].index == n - 1 && c > 0)))
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: the key is not %s", j,
                           c < 0 ? "above the last leaf" : "below the first leaf");
    } else {
        if (L[1].index != L[0].index + 1)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: the neighbours are not adjacent",
                           j);
        int lo = cmp_band(&L[0], b), hi = -cmp_band(&L[1], b);
        if (lo == 0 || hi == 0)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: a neighbour is the band's key "
                                            "itself",
                           j);
        if (lo > 0)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: the key is below the lower "
                                            "neighbour",
                           j);
        if (hi > 0)
            return ex_fail(err, EX_EVERIFY, "step 5: band %u: the key is above the upper "
                                            "neighbour",
                           j);
    }
    for (size_t k = 0; k < b->nleaves; k++) {
        int ok = 0, rc = leaf_in_tree(h, &L[k], n, root, &ok);
        if (rc != EX_OK)
            return ex_fail(err, rc, "cannot hash");
        if (!ok)
            return ex_fail(err, EX_EVERIFY, "step %d: band %u: the proof of leaves[%zu] (index "
                                            "%llu) does not verify",
                           step, j, k, (unsigned long long)L[k].index);
    }
    return EX_OK;
}

/* step 4: the text's band keys with the parameters mh, into keys[0..mh->bands) */
static int
text_keys(const ex_near_params *mh, const char *text, size_t len, uint64_t *keys, ex_err *err)
{
    ex_near *nr = NULL;
    uint64_t *sig = malloc(mh->k * sizeof *sig), shingles = 0;
    uint8_t *fp = malloc(mh->k);
    int rc = sig && fp ? ex_near_new(mh->k, mh->bands, &nr) : EX_ENOMEM;
    if (rc == EX_OK)
        rc = ex_near_signature(nr, text ? text : "", len, sig, &shingles);
    if (rc == EX_ENOMEM)
        ex_fail(err, rc, "out of memory");
    else if (rc != EX_OK)
        ex_fail(err, EX_EVERIFY, "step 4: cannot fingerprint the text: %s", ex_strerror(rc));
    else if (shingles == 0)
        rc = ex_fail(err, EX_EVERIFY, "step 4: the text has no words: it has no fingerprint");
    if (rc == EX_OK) {
        ex_near_fingerprint(nr, sig, fp);
        ex_near_bands_of(nr, fp, keys);
    }
    ex_near_free(nr);
    free(sig);
    free(fp);
    return rc;
}

int
ex_near_proof_verify(const ex_near_proof *p, const ex_vkey *key, const char *text, size_t len,
                     ex_near_verdict *v, ex_err *err)
{
    if (!key)
        return ex_fail(err, EX_EINVAL, "a near-dup proof needs the log's verifier key");
    if (!p || !p->checkpoint || !p->entry || (!p->band && p->nband))
        return ex_fail(err, EX_EVERIFY, "the near-dup proof is incomplete");
    ex_sha256 *h = NULL;
    uint64_t *keys = NULL;
    if (ex_sha256_new(&h) != EX_OK)
        return ex_fail(err, EX_ECRYPTO, "cannot hash");
    /* steps 1 and 2: the record, in the log the key signs */
    int rc = ex_snapshot_binding_verify(h, p->checkpoint, p->entry, p->entry_len, p->log_index,
                                        p->log_size,
                                        (const uint8_t(*)[EX_HASH_BYTES])p->log_proof, p->log_n,
                                        key, NULL, err);
    /* step 3: its near tree, made with the document's parameters */
    ex_near_tree_rec t;
    ex_err e = {0};
    if (rc == EX_OK && (rc = ex_near_tree_rec_read(p->entry, p->entry_len, &t, &e)) != EX_OK)
        rc = ex_fail(err, EX_EVERIFY, "step 3: %s", e.msg);
    if (rc == EX_OK &&
        (t.mh.k != p->mh.k || t.mh.bands != p->mh.bands || t.mh.bits != p->mh.bits ||
         t.mh.shingle != p->mh.shingle || t.mh.seed != p->mh.seed))
        rc = ex_fail(err, EX_EVERIFY,
                     "step 3: the document's minhash parameters are not the record's");
    /* step 4: the work's band keys, recomputed, are the document's */
    if (rc == EX_OK && !ex_near_params_usable(&p->mh))
        rc = ex_fail(err, EX_EVERIFY,
                     "step 4: cannot compute band keys with k %u, %u bands, %u bits, %u-word "
                     "shingles and seed %016llx (this verifier: %u bits, %u-word shingles, seed "
                     "%016llx, k up to %d, bands dividing k)",
                     p->mh.k, p->mh.bands, p->mh.bits, p->mh.shingle,
                     (unsigned long long)p->mh.seed, EX_NEAR_BITS, EX_NEAR_SHINGLE_WORDS,
                     (unsigned long long)EX_NEAR_SEED, EX_NEAR_K_MAX);
    if (rc == EX_OK && p->nband != p->mh.bands)
        rc = ex_fail(err, EX_EVERIFY, "step 4: %zu bands given, the parameters have %u",
                     p->nband, p->mh.bands);
    if (rc == EX_OK && !(keys = malloc(p->mh.bands * sizeof *keys)))
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK)
        rc = text_keys(&p->mh, text, len, keys, err);
    unsigned present = 0, first = 0;
    for (size_t j = 0; rc == EX_OK && j < p->nband; j++) {
        const ex_near_band *b = &p->band[j];
        if (b->band != j)
            rc = ex_fail(err, EX_EVERIFY, "step 4: bands[%zu] is band %u, not %zu", j, b->band,
                         j);
        else if (b->key != keys[j])
            rc = ex_fail(err, EX_EVERIFY,
                         "step 4: band %zu: the document's key %016llx is not the text's "
                         "%016llx (another text, or another version of it)",
                         j, (unsigned long long)b->key, (unsigned long long)keys[j]);
        else if ((rc = check_band(h, b, t.size, t.root, err)) == EX_OK && b->present &&
                 present++ == 0)
            first = (unsigned)j;
    }
    /* step 7: the type says what the bands show */
    if (rc == EX_OK && p->dup && present == 0)
        rc = ex_fail(err, EX_EVERIFY, "step 7: the type is \"%s\" but no band is present",
                     TYPE_DUP);
    else if (rc == EX_OK && !p->dup && present > 0)
        rc = ex_fail(err, EX_EVERIFY, "step 7: the type is \"%s\" but band %u is present",
                     TYPE_FREE, first);
    if (rc == EX_OK && v)
        *v = (ex_near_verdict){.dup = present > 0,
                               .k = p->mh.k,
                               .bands = p->mh.bands,
                               .present = present,
                               .first_present = first,
                               .size = t.size,
                               .fingerprinted = t.fingerprinted,
                               .unfingerprinted = t.unfingerprinted};
    free(keys);
    ex_sha256_free(h);
    return rc;
}
