/* proofdoc.c - writing log proof documents (JSON): what `exante log prove-inclusion` and
 * `prove-consistency` print and what proof.c reads back. Members are written in canonical key
 * order by the one canonical JSON writer (core/cjson.h). */
#include "log.h"

#include "core/cjson.h"

#include <stdlib.h>

/* member key: the base64 of a hash */
static void
hash_member(ex_cj *w, const char *key, const uint8_t h[EX_HASH_BYTES])
{
    char s[4 * ((EX_HASH_BYTES + 2) / 3) + 1];
    size_t n = ex_b64_encode(h, EX_HASH_BYTES, s);
    ex_cj_kstr(w, key, s, n);
}

static void
proof_member(ex_cj *w, uint8_t (*p)[EX_HASH_BYTES], size_t n)
{
    char s[4 * ((EX_HASH_BYTES + 2) / 3) + 1];
    ex_cj_key(w, "proof");
    ex_cj_arr(w);
    for (size_t i = 0; i < n; i++)
        ex_cj_str(w, s, ex_b64_encode(p[i], EX_HASH_BYTES, s));
    ex_cj_end(w);
}

/* member key: the signed checkpoint at exactly `size`, if one was kept (a proof is complete
 * without it, so a miss leaves the member out) */
static void
checkpoint_member(ex_cj *w, const char *key, ex_log *g, uint64_t size)
{
    char *note;
    size_t len;
    if (ex_log_checkpoint_at_dup(g, size, &note, &len) != EX_OK)
        return;
    ex_cj_kstr(w, key, note, len);
    free(note);
}

/* the document in b into *json */
static int
finish(ex_log *g, ex_cj *w, ex_buf *b, char **json, size_t *len)
{
    ex_cj_end(w);
    int rc = ex_cj_done(w);
    if (rc != EX_OK) {
        ex_buf_free(b);
        return ex_log_fail(g, rc, "proof document: %s", w->why);
    }
    *json = ex_buf_take(b, len);
    return EX_OK;
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
    size_t e64len = e64 ? ex_b64_encode(entry, elen, e64) : 0;
    free(entry);
    if (!e64)
        return ex_log_fail(g, EX_ENOMEM, "out of memory");
    ex_buf b = {0};
    ex_cj w;
    ex_cj_init(&w, &b);
    ex_cj_obj(&w);
    checkpoint_member(&w, "checkpoint", g, size);
    ex_cj_kstr(&w, "entry", e64, e64len);
    ex_cj_kint(&w, "index", (int64_t)index);
    hash_member(&w, "leaf_hash", leaf);
    proof_member(&w, proof, n);
    hash_member(&w, "root", root);
    ex_cj_kint(&w, "size", (int64_t)size);
    ex_cj_kstr(&w, "type", "log-inclusion", 13);
    free(e64);
    return finish(g, &w, &b, json, len);
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
    ex_buf b = {0};
    ex_cj w;
    ex_cj_init(&w, &b);
    ex_cj_obj(&w);
    checkpoint_member(&w, "checkpoint", g, size);
    ex_cj_kint(&w, "new", (int64_t)size);
    hash_member(&w, "new_root", r2);
    ex_cj_kint(&w, "old", (int64_t)old);
    checkpoint_member(&w, "old_checkpoint", g, old);
    hash_member(&w, "old_root", r1);
    proof_member(&w, proof, n);
    ex_cj_kstr(&w, "type", "log-consistency", 15);
    return finish(g, &w, &b, json, len);
}
