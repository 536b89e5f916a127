/* proof.c - reading and checking log proof documents (JSON). */
#include "core/cjson.h"
#include "core/core.h"

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
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (int i = 0; keys[i]; i++)
            ok |= strcmp(k, keys[i]) == 0;
        if (!ok)
            return ex_fail(err, EX_EFORMAT, "proof: unknown key \"%s\"", k);
    }
    return EX_OK;
}

int
ex_log_proof_parse(const char *json, size_t len, ex_log_proof *out, ex_err *err)
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
    p->entry = NULL;
    p->checkpoint = p->old_checkpoint = NULL;
}

/* the signed checkpoint `note` must be by key and state (size, root) */
static int
vouch(const char *what, const char *note, const ex_vkey *key, uint64_t size,
      const uint8_t root[EX_HASH_BYTES], ex_err *err)
{
    if (!note)
        return ex_fail(err, EX_EVERIFY, "proof carries no signed %s", what);
    ex_checkpoint c;
    ex_err e = {0};
    if (ex_checkpoint_open(note, strlen(note), key, &c, &e) != EX_OK)
        return ex_fail(err, EX_EVERIFY, "%s: %s", what, e.msg);
    if (c.size != size || memcmp(c.root, root, EX_HASH_BYTES) != 0)
        return ex_fail(err, EX_EVERIFY, "%s is for size %llu with another root", what,
                       (unsigned long long)c.size);
    return EX_OK;
}

int
ex_log_proof_verify(const ex_log_proof *p, const ex_vkey *key, ex_err *err)
{
    ex_sha256 *h;
    if (ex_sha256_new(&h) != EX_OK)
        return ex_fail(err, EX_ECRYPTO, "cannot hash");
    int rc;
    if (p->kind == EX_PROOF_INCLUSION) {
        uint8_t leaf[EX_HASH_BYTES];
        if (p->entry && (ex_merkle_leaf(h, p->entry, p->entry_len, leaf) != EX_OK ||
                         memcmp(leaf, p->leaf_hash, EX_HASH_BYTES) != 0)) {
            rc = ex_fail(err, EX_EVERIFY, "the entry does not hash to leaf_hash");
            goto out;
        }
        if (ex_merkle_verify_inclusion(h, p->index, p->size, p->leaf_hash,
                                       (const uint8_t(*)[EX_HASH_BYTES])p->proof, p->n, p->root,
                                       EX_HASH_BYTES) != EX_OK) {
            rc = ex_fail(err, EX_EVERIFY, "inclusion proof of %llu in %llu does not verify",
                         (unsigned long long)p->index, (unsigned long long)p->size);
            goto out;
        }
        rc = key ? vouch("checkpoint", p->checkpoint, key, p->size, p->root, err) : EX_OK;
    } else {
        if (ex_merkle_verify_consistency(h, p->old, p->new_size,
                                         (const uint8_t(*)[EX_HASH_BYTES])p->proof, p->n,
                                         p->old_root, EX_HASH_BYTES, p->root,
                                         EX_HASH_BYTES) != EX_OK) {
            rc = ex_fail(err, EX_EVERIFY, "consistency proof %llu -> %llu does not verify",
                         (unsigned long long)p->old, (unsigned long long)p->new_size);
            goto out;
        }
        rc = EX_OK;
        if (key && (rc = vouch("old_checkpoint", p->old_checkpoint, key, p->old, p->old_root,
                               err)) == EX_OK)
            rc = vouch("checkpoint", p->checkpoint, key, p->new_size, p->root, err);
    }
out:
    ex_sha256_free(h);
    return rc;
}
