/* snapproof.c - snapshot proof documents (PROOFS.md, normative): choosing the leaves that
 * prove membership or non-membership, writing the document with the one canonical JSON
 * writer, reading it back strictly (the bytes must be that canonical form) and checking
 * every step of PROOFS.md "Verification" for an outsider holding only the verifier key. */
#include "snapproof.h"

#include "core/cjson.h"
#include "ingest/jsonscan.h"

#include <pthread.h>

#include <stdlib.h>
#include <string.h>

#define B64_HASH (4 * ((EX_HASH_BYTES + 2) / 3)) /* 44 characters */

static const char TYPE_MEMBER[] = "snapshot-membership";
static const char TYPE_NON_MEMBER[] = "snapshot-non-membership";

/* ---- choosing the leaves ---------------------------------------------------------------- */

int
ex_snapshot_leaves(ex_sha256 *h, const uint8_t (*members)[EX_HASH_BYTES], uint64_t n,
                   const uint8_t digest[EX_HASH_BYTES], ex_snapshot_leaf out[2], size_t *nout,
                   int *member)
{
    return ex_snapshot_leaves_rd(h, members, n, digest, NULL, NULL, out, nout, member);
}

int
ex_snapshot_leaves_rd(ex_sha256 *h, const uint8_t (*members)[EX_HASH_BYTES], uint64_t n,
                      const uint8_t digest[EX_HASH_BYTES], ex_merkle_read_fn rd, void *ctx,
                      ex_snapshot_leaf out[2], size_t *nout, int *member)
{
    if (!h || (!members && n) || !digest || !out || !nout || !member)
        return EX_EINVAL;
    /* lo: the first member >= digest */
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (memcmp(members[mid], digest, EX_HASH_BYTES) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int is = lo < n && memcmp(members[lo], digest, EX_HASH_BYTES) == 0;
    uint64_t idx[2];
    size_t k = 0;
    if (is || (n && lo == 0))
        idx[k++] = lo;
    else if (n && lo == n)
        idx[k++] = n - 1;
    else if (n) {
        idx[k++] = lo - 1;
        idx[k++] = lo;
    }
    ex_snapshot_leaf tmp[2];
    for (size_t j = 0; j < k; j++) {
        tmp[j].index = idx[j];
        memcpy(tmp[j].digest, members[idx[j]], EX_HASH_BYTES);
        int rc = rd ? ex_merkle_prove_inclusion(h, rd, ctx, idx[j], n, tmp[j].proof, &tmp[j].n)
                    : ex_merkle_sorted_prove(h, members, n, idx[j], tmp[j].proof, &tmp[j].n);
        if (rc != EX_OK)
            return rc;
    }
    memcpy(out, tmp, k * sizeof tmp[0]);
    *nout = k;
    *member = is;
    return EX_OK;
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

int
ex_snapshot_proof_write(ex_buf *b, const uint8_t digest[EX_HASH_BYTES], int member,
                        const void *entry, size_t entry_len, uint64_t log_index, uint64_t log_size,
                        const uint8_t (*log_proof)[EX_HASH_BYTES], size_t log_n,
                        const char *checkpoint, const ex_snapshot_leaf *leaves, size_t nleaves)
{
    if (!digest || !entry || entry_len == 0 || entry_len > EX_ENTRY_MAX || !checkpoint ||
        (!log_proof && log_n) || log_n > EX_MERKLE_MAX_PROOF || (!leaves && nleaves) ||
        nleaves > 2 || log_index > EX_JSON_INT_MAX || log_size > EX_JSON_INT_MAX)
        return EX_EINVAL;
    for (size_t i = 0; i < nleaves; i++)
        if (leaves[i].n > EX_MERKLE_MAX_PROOF || leaves[i].index > EX_JSON_INT_MAX)
            return EX_EINVAL;
    char *e64 = malloc(4 * ((entry_len + 2) / 3) + 1);
    if (!e64)
        return EX_ENOMEM;
    size_t e64len = ex_b64_encode(entry, entry_len, e64);
    char dg[EX_DIGEST_STR_BYTES];
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_digest_format(digest, dg);
    ex_cj_kstr(&w, "digest", dg, EX_DIGEST_STR_LEN);
    ex_cj_key(&w, "leaves");
    ex_cj_arr(&w);
    for (size_t i = 0; i < nleaves; i++) {
        ex_cj_obj(&w);
        ex_digest_format(leaves[i].digest, dg);
        ex_cj_kstr(&w, "digest", dg, EX_DIGEST_STR_LEN);
        ex_cj_kint(&w, "index", (int64_t)leaves[i].index);
        ex_cj_key(&w, "proof");
        hash_list(&w, (const uint8_t(*)[EX_HASH_BYTES])leaves[i].proof, leaves[i].n);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_key(&w, "snapshot");
    ex_cj_obj(&w);
    ex_cj_kstr(&w, "checkpoint", checkpoint, strlen(checkpoint));
    ex_cj_kstr(&w, "entry", e64, e64len);
    ex_cj_kint(&w, "log_index", (int64_t)log_index);
    ex_cj_key(&w, "log_proof");
    hash_list(&w, log_proof, log_n);
    ex_cj_kint(&w, "log_size", (int64_t)log_size);
    ex_cj_end(&w);
    if (member)
        ex_cj_kstr(&w, "type", TYPE_MEMBER, sizeof TYPE_MEMBER - 1);
    else
        ex_cj_kstr(&w, "type", TYPE_NON_MEMBER, sizeof TYPE_NON_MEMBER - 1);
    ex_cj_end(&w);
    free(e64);
    return ex_cj_done(&w);
}

int
ex_snapshot_proof_doc_dup(const uint8_t digest[EX_HASH_BYTES], int member, const void *entry,
                          size_t entry_len, uint64_t log_index, uint64_t log_size,
                          const uint8_t (*log_proof)[EX_HASH_BYTES], size_t log_n,
                          const char *checkpoint, const ex_snapshot_leaf *leaves, size_t nleaves,
                          char **json, size_t *len)
{
    if (!json)
        return EX_EINVAL;
    ex_buf b = {0};
    int rc = ex_snapshot_proof_write(&b, digest, member, entry, entry_len, log_index, log_size,
                                     log_proof, log_n, checkpoint, leaves, nleaves);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return rc;
    }
    *json = ex_buf_take(&b, len);
    return *json ? EX_OK : EX_ENOMEM;
}

/* ---- reading ------------------------------------------------------------------------------ */

int
ex_snapshot_proof_is(json_t *o)
{
    const char *t = json_string_value(json_object_get(o, "type"));
    return t && (strcmp(t, TYPE_MEMBER) == 0 || strcmp(t, TYPE_NON_MEMBER) == 0);
}

int
ex_proof_keys(json_t *o, const char *where, const char *const *keys, int required, ex_err *err)
{
    int n = 0;
    while (required && keys[n])
        n++;
    const char *k;
    switch (ex_json_keys_check(o, keys, n, &k)) {
    case EX_JKEYS_NOT_OBJECT:
        return ex_fail(err, EX_EFORMAT, "proof: %s is not an object", where ? where : "it");
    case EX_JKEYS_UNKNOWN:
        return ex_fail(err, EX_EFORMAT, "proof: unknown key \"%s\"%s%s", k, where ? " in " : "",
                       where ? where : "");
    case EX_JKEYS_MISSING:
        return ex_fail(err, EX_EFORMAT, "proof: %s has no \"%s\"", where ? where : "it", k);
    }
    return EX_OK;
}

/* o has only the keys listed, all of them; `where` names o in messages */
static int
exact_keys(json_t *o, const char *where, const char *const *keys, ex_err *err)
{
    return ex_proof_keys(o, where, keys, 1, err);
}

static int
get_int(json_t *o, const char *where, const char *key, uint64_t *out, ex_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > EX_JSON_INT_MAX)
        return ex_fail(err, EX_EFORMAT, "proof: %s\"%s\" is not an integer in 0..2^53-1", where,
                       key);
    *out = (uint64_t)json_integer_value(v);
    return EX_OK;
}

/* "sha256:" and 64 lowercase hex digits */
static int
get_digest(json_t *o, const char *where, uint8_t out[EX_HASH_BYTES], ex_err *err)
{
    json_t *v = json_object_get(o, "digest");
    const char *s = json_string_value(v);
    int ok = s && json_string_length(v) == EX_DIGEST_STR_LEN && strncmp(s, "sha256:", 7) == 0;
    for (size_t i = 7; ok && i < EX_DIGEST_STR_LEN; i++)
        ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    if (!ok || ex_digest_parse(s, out) != EX_OK)
        return ex_fail(err, EX_EFORMAT, "proof: %s\"digest\" is not sha256:<64 lowercase hex>",
                       where);
    return EX_OK;
}

static int
get_hashes(json_t *o, const char *where, const char *key, uint8_t (*out)[EX_HASH_BYTES],
           size_t *n, ex_err *err)
{
    json_t *a = json_object_get(o, key), *v;
    if (!json_is_array(a))
        return ex_fail(err, EX_EFORMAT, "proof: %s\"%s\" is not an array", where, key);
    if (json_array_size(a) > EX_MERKLE_MAX_PROOF)
        return ex_fail(err, EX_EFORMAT, "proof: %s\"%s\" has more than %d hashes", where, key,
                       EX_MERKLE_MAX_PROOF);
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
parse_leaf(json_t *o, size_t k, ex_snapshot_leaf *l, ex_err *err)
{
    static const char *const keys[] = {"index", "digest", "proof", NULL};
    char where[32];
    snprintf(where, sizeof where, "leaves[%zu]", k);
    int rc = exact_keys(o, where, keys, err);
    strcat(where, ".");
    if (rc == EX_OK)
        rc = get_int(o, where, "index", &l->index, err);
    if (rc == EX_OK)
        rc = get_digest(o, where, l->digest, err);
    if (rc == EX_OK)
        rc = get_hashes(o, where, "proof", l->proof, &l->n, err);
    return rc;
}

static int
parse_body(json_t *o, ex_log_proof *out, ex_err *err)
{
    static const char *const top[] = {"type", "digest", "snapshot", "leaves", NULL};
    static const char *const snap[] = {"entry", "log_index", "log_size", "log_proof",
                                       "checkpoint", NULL};
    int rc = exact_keys(o, "the document", top, err);
    if (rc != EX_OK)
        return rc;
    out->kind = strcmp(json_string_value(json_object_get(o, "type")), TYPE_MEMBER) == 0
                    ? EX_PROOF_SNAPSHOT_MEMBER
                    : EX_PROOF_SNAPSHOT_NON_MEMBER;
    if ((rc = get_digest(o, "", out->digest, err)) != EX_OK)
        return rc;
    json_t *s = json_object_get(o, "snapshot");
    if ((rc = exact_keys(s, "\"snapshot\"", snap, err)) != EX_OK ||
        (rc = get_int(s, "snapshot.", "log_index", &out->index, err)) != EX_OK ||
        (rc = get_int(s, "snapshot.", "log_size", &out->size, err)) != EX_OK ||
        (rc = get_hashes(s, "snapshot.", "log_proof", out->proof, &out->n, err)) != EX_OK)
        return rc;
    json_t *cp = json_object_get(s, "checkpoint"), *e = json_object_get(s, "entry");
    if (!json_is_string(cp))
        return ex_fail(err, EX_EFORMAT, "proof: snapshot.\"checkpoint\" is not a string");
    if (!(out->checkpoint = strdup(json_string_value(cp))))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    if (!json_is_string(e) || !(out->entry = malloc(EX_ENTRY_MAX)) ||
        ex_b64_decode(json_string_value(e), json_string_length(e), out->entry, EX_ENTRY_MAX,
                      &out->entry_len) != EX_OK ||
        out->entry_len == 0) {
        if (json_is_string(e) && !out->entry)
            return ex_fail(err, EX_ENOMEM, "out of memory");
        return ex_fail(err, EX_EFORMAT,
                       "proof: snapshot.\"entry\" is not canonical base64 of 1..%d bytes",
                       EX_ENTRY_MAX);
    }
    json_t *lv = json_object_get(o, "leaves"), *l;
    if (!json_is_array(lv) || json_array_size(lv) > 2)
        return ex_fail(err, EX_EFORMAT, "proof: \"leaves\" is not an array of at most 2 leaves");
    size_t i;
    json_array_foreach(lv, i, l)
    {
        if ((rc = parse_leaf(l, i, &out->leaves[i], err)) != EX_OK)
            return rc;
    }
    out->nleaves = json_array_size(lv);
    return EX_OK;
}

int
ex_snapshot_proof_parse(json_t *o, const char *json, size_t len, ex_log_proof *out, ex_err *err)
{
    int rc = parse_body(o, out, err);
    if (rc != EX_OK)
        return rc;
    /* the document is its canonical form, so no two documents say the same thing */
    ex_buf b = {0};
    rc = ex_snapshot_proof_write(&b, out->digest, out->kind == EX_PROOF_SNAPSHOT_MEMBER,
                                 out->entry, out->entry_len, out->index, out->size,
                                 (const uint8_t(*)[EX_HASH_BYTES])out->proof, out->n,
                                 out->checkpoint, out->leaves, out->nleaves);
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

/* The record's fields, read by a validating scan of the whole entry (ingest/jsonscan.h) that
 * builds no tree: jansson's tree of the record cost a sixth of a verification. The scan checks
 * RFC 8259 (grammar, UTF-8, escapes) and refuses a second "type", "size" or "root". Unlike
 * jansson it lets through, in what PROOFS.md does not ask about, a repeated key, an escaped
 * NUL or a number beyond a double's range: the verdict on the three fields is the same, and
 * the record is the log's (step 2) before it is read. */
static ex_jscan_spec rec_spec;
static int rec_spec_rc;
static pthread_once_t rec_spec_once = PTHREAD_ONCE_INIT;

static void
rec_spec_compile(void)
{
    static const char *const paths[3] = {"type", "size", "root"};
    rec_spec_rc = ex_jscan_compile(&rec_spec, paths, 3, NULL);
}

/* a JSON integer token (the scan checked the grammar) as jansson reads one: -0 is 0, and
 * anything beyond int64 or with a fraction or exponent is not an integer >= 0 */
static int
record_size(const char *t, size_t len, uint64_t *out)
{
    int neg = len && t[0] == '-';
    uint64_t v = 0;
    for (size_t i = (size_t)neg; i < len; i++) {
        unsigned d = (unsigned)(t[i] - '0');
        if (d > 9 || v > ((uint64_t)INT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (len == (size_t)neg || (neg && v != 0))
        return 0;
    *out = v;
    return 1;
}

/* step 3: the record's size and root */
static int
read_record(const ex_log_proof *p, uint64_t *n, uint8_t root[EX_HASH_BYTES], ex_err *err)
{
    pthread_once(&rec_spec_once, rec_spec_compile);
    const char *e = (const char *)p->entry;
    ex_jscan_result r;
    if (rec_spec_rc != EX_OK)
        return ex_fail(err, rec_spec_rc, "cannot compile the record's field paths");
    if (ex_jscan_line(&rec_spec, p->entry, p->entry_len, &r) != EX_JSCAN_OK ||
        r.top != EX_JSON_OBJECT)
        return ex_fail(err, EX_EVERIFY, "step 3: the snapshot record is not a JSON object");
    /* type and root, unescaped when they have escapes; longer than any spelling of what they
     * must be (44 characters, 6 bytes each when escaped) is wrong anyway */
    char s[2][6 * 44];
    size_t sl[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        const ex_jscan_val *v = &r.v[i ? 2 : 0];
        if (v->type != EX_JSON_STRING || v->len > sizeof s[i])
            sl[i] = SIZE_MAX;
        else if (v->escaped)
            sl[i] = ex_jscan_unescape(p->entry + v->off, v->len, (uint8_t *)s[i]);
        else {
            memcpy(s[i], e + v->off, v->len);
            sl[i] = v->len;
        }
    }
    size_t m = 0;
    if (sl[0] != 8 || memcmp(s[0], "snapshot", 8) != 0)
        return ex_fail(err, EX_EVERIFY, "step 3: the record's type is not \"snapshot\"");
    if (r.v[1].type != EX_JSON_NUMBER || !record_size(e + r.v[1].off, r.v[1].len, n))
        return ex_fail(err, EX_EVERIFY, "step 3: the record's size is not an integer >= 0");
    if (sl[1] == SIZE_MAX || ex_b64_decode(s[1], sl[1], root, EX_HASH_BYTES, &m) != EX_OK ||
        m != EX_HASH_BYTES)
        return ex_fail(err, EX_EVERIFY, "step 3: the record's root is not base64 of 32 bytes");
    return EX_OK;
}

/* the leaf's proof in the tree of n leaves with root */
static int
leaf_in_tree(ex_sha256 *h, const ex_snapshot_leaf *l, uint64_t n,
             const uint8_t root[EX_HASH_BYTES], int *ok)
{
    uint8_t lh[EX_HASH_BYTES];
    int rc = ex_merkle_leaf(h, l->digest, EX_HASH_BYTES, lh);
    if (rc != EX_OK)
        return rc;
    rc = ex_merkle_verify_inclusion(h, l->index, n, lh, (const uint8_t(*)[EX_HASH_BYTES])l->proof,
                                    l->n, root, EX_HASH_BYTES);
    *ok = rc == EX_OK;
    return rc == EX_EVERIFY ? EX_OK : rc;
}

/* steps 4 to 6 for the tree of n leaves with root */
static int
check_leaves(ex_sha256 *h, const ex_log_proof *p, uint64_t n, const uint8_t root[EX_HASH_BYTES],
             ex_err *err)
{
    const ex_snapshot_leaf *L = p->leaves;
    int member = p->kind == EX_PROOF_SNAPSHOT_MEMBER, step = member ? 4 : 5;
    if (p->nleaves > 2)
        return ex_fail(err, EX_EVERIFY, "step %d: more than two leaves", step);
    if (member && p->nleaves != 1)
        return ex_fail(err, EX_EVERIFY, "step 4: a membership proof has exactly one leaf, not %zu",
                       p->nleaves);
    if (!member && n == 0) {
        uint8_t empty[EX_HASH_BYTES];
        if (p->nleaves != 0)
            return ex_fail(err, EX_EVERIFY, "step 5: the snapshot is empty but leaves are given");
        if (ex_sha256_digest(h, "", 0, empty) != EX_OK)
            return ex_fail(err, EX_ECRYPTO, "cannot hash");
        if (memcmp(root, empty, EX_HASH_BYTES) != 0)
            return ex_fail(err, EX_EVERIFY, "step 5: the empty snapshot's root is not H(\"\")");
        return EX_OK;
    }
    if (!member && p->nleaves == 0)
        return ex_fail(err, EX_EVERIFY, "step 5: no leaves for a snapshot of %llu",
                       (unsigned long long)n);
    for (size_t k = 0; k < p->nleaves; k++)
        if (L[k].index >= n)
            return ex_fail(err, EX_EVERIFY, "step 6: leaves[%zu].index %llu is outside 0..%lld", k,
                           (unsigned long long)L[k].index, (long long)n - 1);
    if (member) {
        if (memcmp(L[0].digest, p->digest, EX_HASH_BYTES) != 0)
            return ex_fail(err, EX_EVERIFY, "step 4: the leaf's digest is not the digest");
    } else if (p->nleaves == 1) {
        int c = memcmp(p->digest, L[0].digest, EX_HASH_BYTES);
        if (c == 0)
            return ex_fail(err, EX_EVERIFY, "step 5: the leaf is the digest itself");
        if (L[0].index != 0 && L[0].index != n - 1)
            return ex_fail(err, EX_EVERIFY,
                           "step 5: one leaf proves non-membership only as the first or last");
        if (!((L[0].index == 0 && c < 0) || (L[0].index == n - 1 && c > 0)))
            return ex_fail(err, EX_EVERIFY, "step 5: the digest is not %s",
                           c < 0 ? "above the last leaf" : "below the first leaf");
    } else {
        if (L[1].index != L[0].index + 1)
            return ex_fail(err, EX_EVERIFY, "step 5: the neighbours are not adjacent");
        int lo = memcmp(L[0].digest, p->digest, EX_HASH_BYTES);
        int hi = memcmp(p->digest, L[1].digest, EX_HASH_BYTES);
        if (lo == 0 || hi == 0)
            return ex_fail(err, EX_EVERIFY, "step 5: a neighbour is the digest itself");
        if (lo > 0)
            return ex_fail(err, EX_EVERIFY, "step 5: the digest is below the lower neighbour");
        if (hi > 0)
            return ex_fail(err, EX_EVERIFY, "step 5: the digest is above the upper neighbour");
    }
    for (size_t k = 0; k < p->nleaves; k++) {
        int ok = 0, rc = leaf_in_tree(h, &L[k], n, root, &ok);
        if (rc != EX_OK)
            return ex_fail(err, rc, "cannot hash");
        if (!ok)
            return ex_fail(err, EX_EVERIFY,
                           "step %d: the proof of leaves[%zu] (index %llu) does not verify", step,
                           k, (unsigned long long)L[k].index);
    }
    return EX_OK;
}

int
ex_snapshot_binding_verify(ex_sha256 *h, const char *checkpoint, const uint8_t *entry,
                           size_t entry_len, uint64_t log_index, uint64_t log_size,
                           const uint8_t (*log_proof)[EX_HASH_BYTES], size_t log_n,
                           const ex_vkey *key, ex_cpcache *cc, ex_err *err)
{
    /* step 1: the checkpoint, by the key, of the log's origin and log_size */
    ex_checkpoint c;
    ex_err e = {0};
    if (ex_cpcache_open(cc, checkpoint, key, &c, &e) != EX_OK)
        return ex_fail(err, EX_EVERIFY, "step 1: the checkpoint: %s", e.msg);
    if (strcmp(c.origin, key->name) != 0)
        return ex_fail(err, EX_EVERIFY, "step 1: the checkpoint's origin is not the key's name");
    if (c.size != log_size)
        return ex_fail(err, EX_EVERIFY,
                       "step 1: the checkpoint is for size %llu, not log_size %llu",
                       (unsigned long long)c.size, (unsigned long long)log_size);
    /* step 2: the record is in the log the checkpoint signs */
    uint8_t lh[EX_HASH_BYTES];
    if (ex_merkle_leaf(h, entry, entry_len, lh) != EX_OK)
        return ex_fail(err, EX_ECRYPTO, "cannot hash");
    int rc = ex_merkle_verify_inclusion(h, log_index, log_size, lh, log_proof, log_n, c.root,
                                        EX_HASH_BYTES);
    if (rc == EX_EVERIFY)
        return ex_fail(err, rc, "step 2: the snapshot record is not at log_index %llu in the log "
                                "of %llu (log_proof does not verify)",
                       (unsigned long long)log_index, (unsigned long long)log_size);
    if (rc != EX_OK)
        return ex_fail(err, rc, "cannot hash");
    return EX_OK;
}

int
ex_snapshot_proof_verify(ex_sha256 *h, const ex_log_proof *p, const ex_vkey *key, ex_cpcache *cc,
                         ex_err *err)
{
    if (!key)
        return ex_fail(err, EX_EINVAL, "a snapshot proof needs the log's verifier key");
    if (!p->checkpoint || !p->entry)
        return ex_fail(err, EX_EVERIFY, "the snapshot proof is incomplete");
    int rc = ex_snapshot_binding_verify(h, p->checkpoint, p->entry, p->entry_len, p->index,
                                        p->size, (const uint8_t(*)[EX_HASH_BYTES])p->proof, p->n,
                                        key, cc, err);
    if (rc != EX_OK)
        return rc;
    /* step 3, then 4 to 6 */
    uint64_t n = 0;
    uint8_t root[EX_HASH_BYTES];
    if ((rc = read_record(p, &n, root, err)) != EX_OK)
        return rc;
    return check_leaves(h, p, n, root, err);
}
