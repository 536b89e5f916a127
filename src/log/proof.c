/* proof.c - reading and checking log proof documents (JSON). */
#include "core/cjson.h"
#include "core/core.h"
#include "snapproof.h"

#include <stdlib.h>
#include <string.h>

static int
get_u64(json_t *o, const char *key, uint64_t *out, ex_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return ex_fail(err, EX_EFORMAT, "proof: missing \"%s\"", key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return ex_fail(err, EX_EFORMAT, "proof: \"%s\" is not a non-negative integer", key);
    *out = (uint64_t)json_integer_value(v);
    return EX_OK;
}

static int
get_hash(json_t *o, const char *key, uint8_t out[EX_HASH_BYTES], ex_err *err)
{
    json_t *v = json_object_get(o, key);
    size_t n;
    if (!v)
        return ex_fail(err, EX_EFORMAT, "proof: missing \"%s\"", key);
    if (!json_is_string(v) || ex_b64_decode(json_string_value(v), json_string_length(v), out,
                                            EX_HASH_BYTES, &n) != EX_OK ||
        n != EX_HASH_BYTES)
        return ex_fail(err, EX_EFORMAT, "proof: \"%s\" is not base64 of 32 bytes", key);
    return EX_OK;
}

static int
get_note(json_t *o, const char *key, char **out, ex_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return EX_OK;
    if (!json_is_string(v))
        return ex_fail(err, EX_EFORMAT, "proof: \"%s\" is not a string", key);
    if (!(*out = strdup(json_string_value(v))))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

static int
known_keys(json_t *o, const char *const *keys, ex_err *err)
{
    return ex_proof_keys(o, NULL, keys, 0, err);
}

static int
get_hashes(json_t *o, const char *key, uint8_t (*out)[EX_HASH_BYTES], size_t *n, ex_err *err)
{
    json_t *pr = json_object_get(o, key);
    if (!json_is_array(pr))
        return ex_fail(err, EX_EFORMAT, "proof: \"%s\" is not an array", key);
    if (json_array_size(pr) > EX_MERKLE_MAX_PROOF)
        return ex_fail(err, EX_EFORMAT, "proof: \"%s\" has more than %d hashes", key,
                       EX_MERKLE_MAX_PROOF);
    size_t i;
    json_t *h;
    json_array_foreach(pr, i, h)
    {
        size_t m;
        if (!json_is_string(h) || ex_b64_decode(json_string_value(h), json_string_length(h),
                                                out[i], EX_HASH_BYTES, &m) != EX_OK ||
            m != EX_HASH_BYTES)
            return ex_fail(err, EX_EFORMAT, "proof: \"%s\"[%zu] is not base64 of 32 bytes",
                           key, i);
    }
    *n = json_array_size(pr);
    return EX_OK;
}

static int
get_text(json_t *o, const char *key, char **out, ex_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return ex_fail(err, EX_EFORMAT, "proof: \"%s\" is missing or not a string", key);
    if (!(*out = strdup(json_string_value(v))))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

/* `exante why --json`: summary keys, the item and decision records, and the proof object */
static int
parse_decision(json_t *o, ex_log_proof *out, ex_err *err)
{
    static const char *const top[] = {"digest", "verdict",  "rule", "reason",   "policy",
                                      "source", "evidence", "log_index", "item", "decision",
                                      "proof",  NULL};
    static const char *const inner[] = {"type",      "batch_index", "batch_size", "batch_proof",
                                        "batch_entry", "log_index", "log_size",   "log_proof",
                                        "root",      "checkpoint",  NULL};
    out->kind = EX_PROOF_DECISION;
    int rc = known_keys(o, top, err);
    json_t *p = json_object_get(o, "proof");
    if (rc == EX_OK)
        rc = known_keys(p, inner, err);
    if (rc == EX_OK)
        rc = get_text(o, "item", &out->item, err);
    if (rc == EX_OK)
        rc = get_text(o, "decision", &out->decision, err);
    if (rc == EX_OK)
        rc = get_text(p, "batch_entry", (char **)&out->entry, err);
    if (rc == EX_OK) {
        out->entry_len = strlen((char *)out->entry);
        rc = get_text(p, "checkpoint", &out->checkpoint, err);
    }
    if (rc == EX_OK)
        rc = get_u64(p, "batch_index", &out->batch_index, err);
    if (rc == EX_OK)
        rc = get_u64(p, "batch_size", &out->batch_size, err);
    if (rc == EX_OK)
        rc = get_u64(p, "log_index", &out->index, err);
    if (rc == EX_OK)
        rc = get_u64(p, "log_size", &out->size, err);
    if (rc == EX_OK)
        rc = get_hash(p, "root", out->root, err);
    if (rc == EX_OK)
        rc = get_hashes(p, "batch_proof", out->batch_proof, &out->batch_n, err);
    if (rc == EX_OK)
        rc = get_hashes(p, "log_proof", out->proof, &out->n, err);
    if (rc != EX_OK)
        return rc;
    /* the summary keys are claims the verifier checks against the decision record */
    json_t *c = json_object();
    for (int i = 0; top[i] && strcmp(top[i], "item") != 0; i++) {
        json_t *v = json_object_get(o, top[i]);
        if (!v) {
            json_decref(c);
            return ex_fail(err, EX_EFORMAT, "proof: missing \"%s\"", top[i]);
        }
        json_object_set(c, top[i], v);
    }
    out->claims = ex_json_canon_dup(c, NULL, err);
    json_decref(c);
    return out->claims ? EX_OK : EX_EFORMAT;
}

int
ex_log_proof_parse(const char *json, size_t len, ex_log_proof *out, ex_err *err)
{
    /* a snapshot proof is read without a tree when it is canonical; every other document,
     * and one that is not, goes to jansson, which also says what is wrong */
    memset(out, 0, sizeof *out);
    int rc = ex_snapshot_proof_scan(json, len, out, NULL);
    if (rc == EX_OK || rc == EX_ENOMEM)
        return rc == EX_OK ? rc : ex_fail(err, rc, "out of memory");
    ex_log_proof_clear(out);
    return ex_log_proof_parse_tree(json, len, out, err);
}

int
ex_log_proof_parse_tree(const char *json, size_t len, ex_log_proof *out, ex_err *err)
{
    static const char *const inc_keys[] = {"type", "index", "size", "leaf_hash", "proof", "root",
                                           "entry", "checkpoint", NULL};
    static const char *const con_keys[] = {"type",     "old",        "new",
                                           "proof",    "old_root",   "new_root",
                                           "checkpoint", "old_checkpoint", NULL};
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return ex_fail(err, EX_EFORMAT, "proof: line %d column %d: %s", je.line, je.column,
                       je.text);
    int rc = EX_OK;
    if (!json_is_object(o)) {
        rc = ex_fail(err, EX_EFORMAT, "proof: not a JSON object");
        goto out;
    }
    if (ex_snapshot_proof_is(o)) {
        rc = ex_snapshot_proof_parse(o, json, len, out, err);
        goto out;
    }
    json_t *dp = json_object_get(o, "proof");
    if (json_is_object(dp) && json_is_string(json_object_get(dp, "type")) &&
        strcmp(json_string_value(json_object_get(dp, "type")), "decision") == 0) {
        rc = parse_decision(o, out, err);
        goto out;
    }
    json_t *type = json_object_get(o, "type");
    int inc = json_object_get(o, "leaf_hash") != NULL || json_object_get(o, "index") != NULL;
    if (type) {
        const char *t = json_is_string(type) ? json_string_value(type) : "";
        if (strcmp(t, "log-inclusion") == 0)
            inc = 1;
        else if (strcmp(t, "log-consistency") == 0)
            inc = 0;
        else {
            rc = ex_fail(err, EX_EFORMAT, "proof: unknown \"type\"");
            goto out;
        }
    }
    out->kind = inc ? EX_PROOF_INCLUSION : EX_PROOF_CONSISTENCY;
    if ((rc = known_keys(o, inc ? inc_keys : con_keys, err)) != EX_OK)
        goto out;
    if (inc) {
        if ((rc = get_u64(o, "index", &out->index, err)) != EX_OK ||
            (rc = get_u64(o, "size", &out->size, err)) != EX_OK ||
            (rc = get_hash(o, "leaf_hash", out->leaf_hash, err)) != EX_OK ||
            (rc = get_hash(o, "root", out->root, err)) != EX_OK ||
            (rc = get_note(o, "checkpoint", &out->checkpoint, err)) != EX_OK)
            goto out;
        json_t *e = json_object_get(o, "entry");
        if (e) {
            size_t cap = json_is_string(e) ? json_string_length(e) : 0;
            if (!json_is_string(e) || !(out->entry = malloc(cap + 1)) ||
                ex_b64_decode(json_string_value(e), cap, out->entry, cap, &out->entry_len) !=
                    EX_OK) {
                rc = ex_fail(err, EX_EFORMAT, "proof: \"entry\" is not base64");
                goto out;
            }
        }
    } else {
        if ((rc = get_u64(o, "old", &out->old, err)) != EX_OK ||
            (rc = get_u64(o, "new", &out->new_size, err)) != EX_OK ||
            (rc = get_hash(o, "old_root", out->old_root, err)) != EX_OK ||
            (rc = get_hash(o, "new_root", out->root, err)) != EX_OK ||
            (rc = get_note(o, "checkpoint", &out->checkpoint, err)) != EX_OK ||
            (rc = get_note(o, "old_checkpoint", &out->old_checkpoint, err)) != EX_OK)
            goto out;
    }
    json_t *pr = json_object_get(o, "proof");
    if (!json_is_array(pr)) {
        rc = ex_fail(err, EX_EFORMAT, "proof: \"proof\" is not an array");
        goto out;
    }
    if (json_array_size(pr) > EX_MERKLE_MAX_PROOF) {
        rc = ex_fail(err, EX_EFORMAT, "proof: \"proof\" has more than %d hashes",
                     EX_MERKLE_MAX_PROOF);
        goto out;
    }
    size_t i;
    json_t *h;
    json_array_foreach(pr, i, h)
    {
        size_t n;
        if (!json_is_string(h) || ex_b64_decode(json_string_value(h), json_string_length(h),
                                                out->proof[i], EX_HASH_BYTES, &n) != EX_OK ||
            n != EX_HASH_BYTES) {
            rc = ex_fail(err, EX_EFORMAT, "proof: \"proof\"[%zu] is not base64 of 32 bytes", i);
            goto out;
        }
    }
    out->n = json_array_size(pr);
out:
    json_decref(o);
    return rc;
}

void
ex_log_proof_clear(ex_log_proof *p)
{
    free(p->entry);
    free(p->checkpoint);
    free(p->old_checkpoint);
    free(p->item);
    free(p->decision);
    free(p->claims);
    p->entry = NULL;
    p->checkpoint = p->old_checkpoint = p->item = p->decision = p->claims = NULL;
}

/* the signed checkpoint `note` must be by key and state (size, root); opened through cc (may
 * be NULL) */
static int
vouch(const char *what, const char *note, const ex_vkey *key, ex_cpcache *cc, uint64_t size,
      const uint8_t root[EX_HASH_BYTES], ex_err *err)
{
    if (!note)
        return ex_fail(err, EX_EVERIFY, "proof carries no signed %s", what);
    ex_checkpoint c;
    ex_err e = {0};
    if (ex_cpcache_open(cc, note, key, &c, &e) != EX_OK)
        return ex_fail(err, EX_EVERIFY, "%s: %s", what, e.msg);
    if (c.size != size || memcmp(c.root, root, EX_HASH_BYTES) != 0)
        return ex_fail(err, EX_EVERIFY, "%s is for size %llu with another root", what,
                       (unsigned long long)c.size);
    return EX_OK;
}

/* the claims match the decision record; the decision names the item record's digest */
static int
check_records(ex_sha256 *h, const ex_log_proof *p, ex_err *err)
{
    json_t *d = json_loads(p->decision, 0, NULL), *c = json_loads(p->claims, 0, NULL);
    json_t *b = json_loads((const char *)p->entry, 0, NULL), *it = json_loads(p->item, 0, NULL);
    int rc = EX_OK;
    if (!d || !c || !b || !it) {
        rc = ex_fail(err, EX_EVERIFY, "a record in the proof is not JSON");
        goto out;
    }
    static const char *const same[] = {"digest", "verdict", "rule",     "reason",
                                       "policy", "source",  "evidence", NULL};
    for (int i = 0; same[i]; i++) {
        json_t *x = json_object_get(d, same[i]), *y = json_object_get(c, same[i]);
        if (!json_equal(x ? x : json_null(), y)) {
            rc = ex_fail(err, EX_EVERIFY, "\"%s\" is not what the decision record says",
                         same[i]);
            goto out;
        }
    }
    if ((uint64_t)json_integer_value(json_object_get(c, "log_index")) != p->index ||
        !json_is_integer(json_object_get(c, "log_index"))) {
        rc = ex_fail(err, EX_EVERIFY, "\"log_index\" is not the proof's");
        goto out;
    }
    uint8_t dg[EX_HASH_BYTES];
    char s[EX_DIGEST_STR_BYTES];
    if (ex_sha256_digest(h, p->item, strlen(p->item), dg) != EX_OK) {
        rc = EX_ECRYPTO;
        goto out;
    }
    ex_digest_format(dg, s);
    const char *prov = json_string_value(json_object_get(d, "provenance"));
    if (!prov || strcmp(prov, s) != 0) {
        rc = ex_fail(err, EX_EVERIFY, "the item record does not match the decision's provenance");
        goto out;
    }
    if (!json_equal(json_object_get(it, "digest"), json_object_get(d, "digest"))) {
        rc = ex_fail(err, EX_EVERIFY, "the item record is for other content");
        goto out;
    }
    if ((uint64_t)json_integer_value(json_object_get(b, "count")) != p->batch_size) {
        rc = ex_fail(err, EX_EVERIFY, "batch_size is not the batch's count");
        goto out;
    }
out:
    json_decref(d);
    json_decref(c);
    json_decref(b);
    json_decref(it);
    return rc;
}

static int
verify_decision(ex_sha256 *h, const ex_log_proof *p, const ex_vkey *key, ex_cpcache *cc,
                ex_err *err)
{
    int rc = check_records(h, p, err);
    if (rc != EX_OK)
        return rc;
    json_t *b = json_loads((const char *)p->entry, 0, NULL);
    const char *r = json_string_value(json_object_get(b, "root"));
    uint8_t broot[EX_HASH_BYTES], leaf[EX_HASH_BYTES];
    size_t n = 0;
    int ok = r && ex_b64_decode(r, strlen(r), broot, EX_HASH_BYTES, &n) == EX_OK &&
             n == EX_HASH_BYTES;
    json_decref(b);
    if (!ok)
        return ex_fail(err, EX_EVERIFY, "the batch entry has no root");
    if (ex_merkle_leaf(h, p->decision, strlen(p->decision), leaf) != EX_OK ||
        ex_merkle_verify_inclusion(h, p->batch_index, p->batch_size, leaf,
                                   (const uint8_t(*)[EX_HASH_BYTES])p->batch_proof, p->batch_n,
                                   broot, EX_HASH_BYTES) != EX_OK)
        return ex_fail(err, EX_EVERIFY, "the decision is not in its batch (batch proof fails)");
    if (ex_merkle_leaf(h, p->entry, p->entry_len, leaf) != EX_OK ||
        ex_merkle_verify_inclusion(h, p->index, p->size, leaf,
                                   (const uint8_t(*)[EX_HASH_BYTES])p->proof, p->n, p->root,
                                   EX_HASH_BYTES) != EX_OK)
        return ex_fail(err, EX_EVERIFY, "the batch is not in the log (log proof fails)");
    return key ? vouch("checkpoint", p->checkpoint, key, cc, p->size, p->root, err) : EX_OK;
}

int
ex_log_proof_verify(const ex_log_proof *p, const ex_vkey *key, ex_err *err)
{
    ex_sha256 *h;
    if (ex_sha256_new(&h) != EX_OK)
        return ex_fail(err, EX_ECRYPTO, "cannot hash");
    int rc = ex_log_proof_check(h, p, key, NULL, err);
    ex_sha256_free(h);
    return rc;
}

int
ex_log_proof_check(ex_sha256 *h, const ex_log_proof *p, const ex_vkey *key, ex_cpcache *cc,
                   ex_err *err)
{
    if (p->kind == EX_PROOF_SNAPSHOT_MEMBER || p->kind == EX_PROOF_SNAPSHOT_NON_MEMBER)
        return ex_snapshot_proof_verify(h, p, key, cc, err);
    if (p->kind == EX_PROOF_DECISION)
        return verify_decision(h, p, key, cc, err);
    if (p->kind == EX_PROOF_INCLUSION) {
        uint8_t leaf[EX_HASH_BYTES];
        if (p->entry && (ex_merkle_leaf(h, p->entry, p->entry_len, leaf) != EX_OK ||
                         memcmp(leaf, p->leaf_hash, EX_HASH_BYTES) != 0))
            return ex_fail(err, EX_EVERIFY, "the entry does not hash to leaf_hash");
        if (ex_merkle_verify_inclusion(h, p->index, p->size, p->leaf_hash,
                                       (const uint8_t(*)[EX_HASH_BYTES])p->proof, p->n, p->root,
                                       EX_HASH_BYTES) != EX_OK)
            return ex_fail(err, EX_EVERIFY, "inclusion proof of %llu in %llu does not verify",
                           (unsigned long long)p->index, (unsigned long long)p->size);
        return key ? vouch("checkpoint", p->checkpoint, key, cc, p->size, p->root, err) : EX_OK;
    }
    if (ex_merkle_verify_consistency(h, p->old, p->new_size,
                                     (const uint8_t(*)[EX_HASH_BYTES])p->proof, p->n,
                                     p->old_root, EX_HASH_BYTES, p->root, EX_HASH_BYTES) != EX_OK)
        return ex_fail(err, EX_EVERIFY, "consistency proof %llu -> %llu does not verify",
                       (unsigned long long)p->old, (unsigned long long)p->new_size);
    int rc = EX_OK;
    if (key && (rc = vouch("old_checkpoint", p->old_checkpoint, key, cc, p->old, p->old_root,
                           err)) == EX_OK)
        rc = vouch("checkpoint", p->checkpoint, key, cc, p->new_size, p->root, err);
    return rc;
}

int
ex_log_proof_verify_chain(const ex_log_proof *p, const ex_key_chain *keys, ex_err *err)
{
    if (p->kind != EX_PROOF_CONSISTENCY)
        return ex_log_proof_verify(p, ex_key_chain_at(keys, p->size), err);
    /* a consistency proof may span a rotation: each checkpoint with its size's key */
    ex_sha256 *h;
    if (ex_sha256_new(&h) != EX_OK)
        return ex_fail(err, EX_ECRYPTO, "cannot hash");
    int rc = ex_log_proof_check(h, p, NULL, NULL, err);
    ex_sha256_free(h);
    if (rc == EX_OK)
        rc = vouch("old_checkpoint", p->old_checkpoint, ex_key_chain_at(keys, p->old), NULL,
                   p->old, p->old_root, err);
    if (rc == EX_OK)
        rc = vouch("checkpoint", p->checkpoint, ex_key_chain_at(keys, p->new_size), NULL,
                   p->new_size, p->root, err);
    return rc;
}
