/* proofdoc.c - writing log proof documents (JSON): what `exante log prove-inclusion` and
 * `prove-consistency` print and what proof.c reads back. */
#include "log.h"

#include "core/cjson.h"

#include <stdlib.h>

/* base64 of a hash as a JSON string; NULL when out of memory */
static json_t *
b64(const uint8_t h[EX_HASH_BYTES])
{
    char s[4 * ((EX_HASH_BYTES + 2) / 3) + 1];
    ex_b64_encode(h, EX_HASH_BYTES, s);
    return json_string(s);
}

static json_t *
hash_list(uint8_t (*p)[EX_HASH_BYTES], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, b64(p[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* the signed checkpoint at exactly `size` as member `key`, if one was kept: a proof is complete
 * without it, so a miss leaves the document as it is */
static int
add_checkpoint(json_t *j, const char *key, ex_log *g, uint64_t size)
{
    char *note;
    size_t len;
    if (ex_log_checkpoint_at_dup(g, size, &note, &len) != EX_OK)
        return 0;
    int bad = json_object_set_new(j, key, json_string(note));
    free(note);
    return bad;
}

/* j in canonical form into *json; j is released */
static int
finish(ex_log *g, json_t *j, int bad, char **json, size_t *len)
{
    int rc = EX_ENOMEM;
    ex_err e = {0};
    if (bad)
        ex_fail(&e, EX_ENOMEM, "out of memory");
    else
        rc = ex_json_canonical_dup(j, json, len, &e);
    json_decref(j);
    return rc == EX_OK ? EX_OK : ex_log_fail(g, rc, "proof document: %s", e.msg);
}

int
ex_log_inclusion_doc_dup(ex_log *g, uint64_t index, uint64_t size, char **json, size_t *len)
{
    if (size == 0)
        size = ex_log_size(g);
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES], leaf[EX_HASH_BYTES], root[EX_HASH_BYTES];
    size_t n;
    uint8_t *entry;
    size_t elen;
    int rc = ex_log_prove_inclusion(g, index, size, proof, &n);
    if (rc == EX_OK)
        rc = ex_log_leaf_hash(g, index, leaf);
    if (rc == EX_OK)
        rc = ex_log_root(g, size, root);
    if (rc == EX_OK)
        rc = ex_log_entry_dup(g, index, &entry, &elen);
    if (rc != EX_OK)
        return rc;
    char *e64 = malloc(4 * (elen / 3 + 1) + 1);
    if (e64)
        ex_b64_encode(entry, elen, e64);
    free(entry);
    json_t *j = json_object();
    if (!e64 || !j) {
        free(e64);
        json_decref(j);
        return ex_log_fail(g, EX_ENOMEM, "out of memory");
    }
    /* set_new takes its value even when it fails */
    int bad = json_object_set_new(j, "type", json_string("log-inclusion"));
    bad |= json_object_set_new(j, "index", json_integer((json_int_t)index));
    bad |= json_object_set_new(j, "size", json_integer((json_int_t)size));
    bad |= json_object_set_new(j, "leaf_hash", b64(leaf));
    bad |= json_object_set_new(j, "proof", hash_list(proof, n));
    bad |= json_object_set_new(j, "root", b64(root));
    bad |= json_object_set_new(j, "entry", json_string(e64));
    free(e64);
    bad |= add_checkpoint(j, "checkpoint", g, size);
    return finish(g, j, bad, json, len);
}

int
ex_log_consistency_doc_dup(ex_log *g, uint64_t old, uint64_t size, char **json, size_t *len)
{
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES], r1[EX_HASH_BYTES], r2[EX_HASH_BYTES];
    size_t n;
    int rc = ex_log_prove_consistency(g, old, size, proof, &n);
    if (rc == EX_OK)
        rc = ex_log_root(g, old, r1);
    if (rc == EX_OK)
        rc = ex_log_root(g, size, r2);
    if (rc != EX_OK)
        return rc;
    json_t *j = json_object();
    if (!j)
        return ex_log_fail(g, EX_ENOMEM, "out of memory");
    int bad = json_object_set_new(j, "type", json_string("log-consistency"));
    bad |= json_object_set_new(j, "old", json_integer((json_int_t)old));
    bad |= json_object_set_new(j, "new", json_integer((json_int_t)size));
    bad |= json_object_set_new(j, "proof", hash_list(proof, n));
    bad |= json_object_set_new(j, "old_root", b64(r1));
    bad |= json_object_set_new(j, "new_root", b64(r2));
    bad |= add_checkpoint(j, "old_checkpoint", g, old);
    bad |= add_checkpoint(j, "checkpoint", g, size);
    return finish(g, j, bad, json, len);
}
