/* tokens.c - partner tokens (exante token add|list|revoke): registries trusted to file
 * opt-outs that take effect without review. Only each token's SHA-256 is kept, in the
 * database's metadata (key "tokens": a canonical JSON object name -> {created, hash}), so a
 * server on any machine of a shared ledger knows them. Not logged: a token is a credential,
 * not a fact about the data (the submissions it brings name their partner in the log). */
#include "ledger.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define META_KEY "tokens"

struct ex_tokens {
    size_t n;
    struct {
        char name[EX_TOKEN_NAME_MAX + 1];
        uint8_t hash[EX_HASH_BYTES];
    } * t;
};

static int
name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > EX_TOKEN_NAME_MAX || s[0] == '-' || s[0] == '.')
        return 0; /* not an option, not a hidden name */
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

typedef struct change {
    const char *name;
    char *token; /* add: the new token (out); NULL: revoke */
} change;

static int
change_in_tx(ex_ledger *l, void *ctx)
{
    change *c = ctx;
    json_t *o;
    int rc = ex_ledger_meta_object(l, META_KEY, &o);
    if (rc != EX_OK)
        return rc;
    if (c->token && json_object_get(o, c->name)) {
        rc = ex_fail(&l->err, EX_EEXIST, "partner '%s' has a token already (revoke it first)",
                     c->name);
    } else if (!c->token && !json_object_get(o, c->name)) {
        rc = ex_fail(&l->err, EX_ENOTFOUND, "partner '%s' has no token", c->name);
    } else if (!c->token) {
        json_object_del(o, c->name);
    } else {
        uint8_t r[32], h[EX_HASH_BYTES];
        char now[32], dig[EX_DIGEST_STR_BYTES];
        if (RAND_bytes(r, sizeof r) != 1) {
            rc = ex_fail(&l->err, EX_EIO, "no random bytes for a token");
        } else {
            memcpy(c->token, "exante_", 7);
            ex_hex_encode(r, sizeof r, c->token + 7);
            OPENSSL_cleanse(r, sizeof r);
            rc = ex_sha256_digest(l->h, c->token, EX_TOKEN_LEN, h);
        }
        if (rc == EX_OK) {
            ex_time_now(now);
            ex_digest_format(h, dig);
            json_object_set_new(o, c->name, json_pack("{s:s,s:s}", "created", now, "hash", dig));
        }
    }
    if (rc == EX_OK)
        rc = ex_ledger_meta_put_json(l, META_KEY, o);
    json_decref(o);
    return rc;
}

int
ex_ledger_token_add(ex_ledger *l, const char *name, char token[EX_TOKEN_LEN + 1])
{
    ex_err_clear(&l->err);
    token[0] = 0;
    if (!name_ok(name))
        return ex_fail(&l->err, EX_EINVAL, "a partner name is 1 to %d letters, digits, '.', "
                                           "'-' or '_'", EX_TOKEN_NAME_MAX);
    change c = {name, token};
    int rc = ex_ledger_atomic(l, change_in_tx, &c);
    if (rc != EX_OK)
        OPENSSL_cleanse(token, EX_TOKEN_LEN + 1);
    return rc;
}

int
ex_ledger_token_revoke(ex_ledger *l, const char *name)
{
    ex_err_clear(&l->err);
    change c = {name, NULL};
    return ex_ledger_atomic(l, change_in_tx, &c);
}

int
ex_ledger_tokens_dup(ex_ledger *l, char **jsonl, size_t *len)
{
    return ex_ledger_meta_jsonl(l, META_KEY, "created", "hash", jsonl, len);
}

int
ex_ledger_tokens_load(ex_ledger *l, ex_tokens **out)
{
    ex_err_clear(&l->err);
    *out = NULL;
    json_t *o, *v;
    const char *k;
    int rc = ex_ledger_meta_object(l, META_KEY, &o);
    if (rc != EX_OK)
        return rc;
    ex_tokens *t = calloc(1, sizeof *t);
    if (t && json_object_size(o) && !(t->t = calloc(json_object_size(o), sizeof *t->t))) {
        free(t);
        t = NULL;
    }
    if (!t) {
        json_decref(o);
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    json_object_foreach(o, k, v) {
        const char *h = json_string_value(json_object_get(v, "hash"));
        if (!h || strlen(k) > EX_TOKEN_NAME_MAX || ex_digest_parse(h, t->t[t->n].hash) != EX_OK)
            continue; /* a damaged line grants nothing */
        strcpy(t->t[t->n].name, k);
        t->n++;
    }
    json_decref(o);
    *out = t;
    return EX_OK;
}

const char *
ex_tokens_check(const ex_tokens *t, const char *token, size_t len)
{
    uint8_t h[EX_HASH_BYTES];
    unsigned hl = 0;
    /* EVP_Digest: a context of its own, so checks on several threads share nothing */
    if (!t || len != EX_TOKEN_LEN || EVP_Digest(token, len, h, &hl, EVP_sha256(), NULL) != 1 ||
        hl != EX_HASH_BYTES)
        return NULL;
    const char *who = NULL;
    for (size_t i = 0; i < t->n; i++) /* every entry compared: no early exit on a match */
        if (CRYPTO_memcmp(h, t->t[i].hash, EX_HASH_BYTES) == 0)
            who = t->t[i].name;
    return who;
}

void
ex_tokens_free(ex_tokens *t)
{
    if (t) {
        free(t->t);
        free(t);
    }
}
