/* dsse.c - DSSE v1 envelopes: PAE, signing, the strict reader, verification (dsse.h). */
#include "attest/dsse.h"

#include "attest/keys.h"
#include "core/cjson.h"
#include "sign/sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int
ex_dsse_pae(const char *type, size_t type_len, const void *body, size_t body_len, uint8_t **out,
            size_t *out_len)
{
    char l1[24], l2[24];
    int n1 = snprintf(l1, sizeof l1, "%zu", type_len),
        n2 = snprintf(l2, sizeof l2, "%zu", body_len);
    /* "DSSEv1" SP len SP type SP len SP body */
    size_t total = 6 + 1 + (size_t)n1 + 1 + type_len + 1 + (size_t)n2 + 1 + body_len;
    uint8_t *p = malloc(total ? total : 1);
    if (!p)
        return EX_ENOMEM;
    uint8_t *o = p;
    memcpy(o, "DSSEv1 ", 7), o += 7;
    memcpy(o, l1, (size_t)n1), o += n1;
    *o++ = ' ';
    if (type_len)
        memcpy(o, type, type_len), o += type_len;
    *o++ = ' ';
    memcpy(o, l2, (size_t)n2), o += n2;
    *o++ = ' ';
    if (body_len)
        memcpy(o, body, body_len);
    *out = p;
    *out_len = total;
    return EX_OK;
}

int
ex_dsse_keyid(const uint8_t pub[EX_ED25519_PUB_BYTES], char out[EX_DSSE_KEYID_BYTES])
{
    ex_sha256 *h;
    uint8_t d[EX_HASH_BYTES];
    int rc = ex_sha256_new(&h);
    if (rc != EX_OK)
        return rc;
    rc = ex_sha256_digest(h, pub, EX_ED25519_PUB_BYTES, d);
    ex_sha256_free(h);
    if (rc == EX_OK)
        ex_hex_encode(d, EX_HASH_BYTES, out);
    return rc;
}

/* The payload as base64 grows by 4/3; keep the envelope under its limit with room for the
 * rest of it. */
#define PAYLOAD_MAX ((size_t)EX_DSSE_ENVELOPE_MAX / 4 * 3 - (1u << 20))

static int
check_type(const char *type, size_t len, ex_err *err)
{
    if (len == 0)
        return ex_fail(err, EX_EINVAL, "envelope: empty payloadType");
    if (len > EX_DSSE_TYPE_MAX)
        return ex_fail(err, EX_EINVAL, "envelope: payloadType of %zu bytes, over %d", len,
                       EX_DSSE_TYPE_MAX);
    if (!ex_utf8_valid(type, len) || memchr(type, 0, len))
        return ex_fail(err, EX_EINVAL, "envelope: payloadType is not UTF-8 text");
    return EX_OK;
}

/* bytes as a base64 string value */
static int
put_b64(ex_cj *w, const uint8_t *p, size_t len)
{
    char *s = malloc(4 * ((len + 2) / 3) + 1);
    if (!s)
        return EX_ENOMEM;
    size_t n = ex_b64_encode(p, len, s);
    ex_cj_str(w, s, n);
    free(s);
    return EX_OK;
}

/* The envelope's JSON from its parts; keys in canonical order ("payload" < "payloadType"). */
static int
write_env(ex_buf *b, const char *type, const uint8_t *payload, size_t plen, const ex_dsse_sig *sigs,
          size_t nsigs)
{
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_key(&w, "payload");
    if (put_b64(&w, payload, plen) != EX_OK)
        return EX_ENOMEM;
    ex_cj_kstr(&w, "payloadType", type, strlen(type));
    ex_cj_key(&w, "signatures");
    ex_cj_arr(&w);
    for (size_t i = 0; i < nsigs; i++) {
        ex_cj_obj(&w);
        if (sigs[i].has_keyid)
            ex_cj_kstr(&w, "keyid", sigs[i].keyid, strlen(sigs[i].keyid));
        ex_cj_key(&w, "sig");
        if (put_b64(&w, sigs[i].sig, sigs[i].sig_len) != EX_OK)
            return EX_ENOMEM;
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_end(&w);
    return ex_cj_done(&w);
}

static int
finish(ex_buf *b, int rc, char **json, size_t *len, ex_err *err)
{
    if (rc == EX_OK && !(*json = ex_buf_take(b, len)))
        rc = EX_ENOMEM;
    ex_buf_free(b);
    if (rc == EX_ENOMEM)
        return ex_fail(err, rc, "out of memory");
    if (rc != EX_OK)
        return ex_fail(err, rc, "envelope: cannot write it as canonical JSON");
    return EX_OK;
}

int
ex_dsse_sign(ex_key *const *keys, size_t nkeys, const char *type, const void *payload, size_t len,
             char **envelope, size_t *env_len, ex_err *err)
{
    int rc;
    if (!type || (!payload && len))
        return ex_fail(err, EX_EINVAL, "envelope: no payloadType or payload");
    if ((rc = check_type(type, strlen(type), err)) != EX_OK)
        return rc;
    if (nkeys == 0 || nkeys > EX_DSSE_SIGS_MAX)
        return ex_fail(err, EX_EINVAL, "envelope: %zu signing keys (1 to %d)", nkeys,
                       EX_DSSE_SIGS_MAX);
    if (len > PAYLOAD_MAX)
        return ex_fail(err, EX_EINVAL, "envelope: payload of %zu bytes, over %zu", len,
                       PAYLOAD_MAX);
    uint8_t *pae = NULL;
    size_t pae_len;
    if (ex_dsse_pae(type, strlen(type), payload, len, &pae, &pae_len) != EX_OK)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    ex_dsse_sig sigs[EX_DSSE_SIGS_MAX];
    uint8_t raw[EX_DSSE_SIGS_MAX][EX_ED25519_SIG_BYTES];
    char ids[EX_DSSE_SIGS_MAX][EX_DSSE_KEYID_BYTES];
    for (size_t i = 0; i < nkeys; i++) {
        ex_vkey v;
        ex_key_vkey(keys[i], &v);
        if ((rc = ex_dsse_keyid(v.pub, ids[i])) != EX_OK ||
            (rc = ex_key_sign(keys[i], pae, pae_len, raw[i])) != EX_OK) {
            free(pae);
            return ex_fail(err, rc, "envelope: cannot sign with key '%s': %s", ex_key_name(keys[i]),
                           ex_strerror(rc));
        }
        sigs[i] = (ex_dsse_sig){
            .keyid = ids[i], .has_keyid = 1, .sig = raw[i], .sig_len = EX_ED25519_SIG_BYTES};
    }
    free(pae);
    ex_buf b = {0};
    rc = write_env(&b, type, payload, len, sigs, nkeys);
    return finish(&b, rc, envelope, env_len, err);
}

int
ex_dsse_write(const ex_dsse_env *e, char **json, size_t *len, ex_err *err)
{
    int rc;
    if (!e->payload_type || (!e->payload && e->payload_len) || (!e->sigs && e->nsigs))
        return ex_fail(err, EX_EINVAL, "envelope: incomplete");
    if ((rc = check_type(e->payload_type, strlen(e->payload_type), err)) != EX_OK)
        return rc;
    if (e->nsigs == 0 || e->nsigs > EX_DSSE_SIGS_MAX)
        return ex_fail(err, EX_EINVAL, "envelope: %zu signatures (1 to %d)", e->nsigs,
                       EX_DSSE_SIGS_MAX);
    if (e->payload_len > PAYLOAD_MAX)
        return ex_fail(err, EX_EINVAL, "envelope: payload over the limit");
    for (size_t i = 0; i < e->nsigs; i++) {
        const ex_dsse_sig *s = &e->sigs[i];
        if (s->sig_len == 0 || s->sig_len > EX_DSSE_SIG_MAX || !s->sig ||
            (s->has_keyid && (!s->keyid || strlen(s->keyid) > EX_DSSE_KEYID_MAX)))
            return ex_fail(err, EX_EINVAL, "envelope: signature %zu breaks a limit", i);
    }
    ex_buf b = {0};
    rc = write_env(&b, e->payload_type, e->payload, e->payload_len, e->sigs, e->nsigs);
    return finish(&b, rc, json, len, err);
}

/* ---- reading ------------------------------------------------------------------------------ */

void
ex_dsse_env_clear(ex_dsse_env *e)
{
    if (!e)
        return;
    free(e->payload_type);
    free(e->payload);
    for (size_t i = 0; e->sigs && i < e->nsigs; i++) {
        free(e->sigs[i].keyid);
        free(e->sigs[i].sig);
    }
    free(e->sigs);
    memset(e, 0, sizeof *e);
}

static int
exact_keys(json_t *o, const char *where, const char *const *keys, int nreq, ex_err *err)
{
    return ex_attest_keys(o, "envelope", where, keys, nreq, err);
}

/* the string member key of o (present) as a malloc'd copy, at most max bytes */
static int
get_string(json_t *o, const char *key, const char *where, size_t max, char **out, size_t *len,
           ex_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return ex_fail(err, EX_EFORMAT, "envelope: \"%s\" in %s is not a string", key, where);
    size_t n = json_string_length(v);
    if (n > max)
        return ex_fail(err, EX_ETOOBIG, "envelope: \"%s\" in %s has %zu bytes, over %zu", key,
                       where, n, max);
    if (!(*out = malloc(n + 1)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    memcpy(*out, json_string_value(v), n + 1);
    if (len)
        *len = n;
    return EX_OK;
}

/* the base64 string member key of o, decoded into a malloc'd buffer (NUL after the bytes) */
static int
get_b64(json_t *o, const char *key, const char *where, size_t max, uint8_t **out, size_t *len,
        ex_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return ex_fail(err, EX_EFORMAT, "envelope: \"%s\" in %s is not a string", key, where);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), cap = n / 4 * 3;
    if (cap > max + 2)
        return ex_fail(err, EX_ETOOBIG, "envelope: \"%s\" in %s decodes to over %zu bytes", key,
                       where, max);
    uint8_t *p = malloc(cap + 1);
    if (!p)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    size_t got = 0;
    int rc = ex_b64_decode(s, n, p, cap, &got);
    if (rc == EX_OK && got > max)
        rc = EX_ETOOBIG;
    if (rc != EX_OK) {
        free(p);
        if (rc == EX_ETOOBIG)
            return ex_fail(err, rc, "envelope: \"%s\" in %s decodes to over %zu bytes", key, where,
                           max);
        return ex_fail(err, EX_EFORMAT,
                       "envelope: \"%s\" in %s is not canonical standard base64 (padded, no "
                       "whitespace, no url-safe alphabet)",
                       key, where);
    }
    p[got] = 0;
    *out = p;
    *len = got;
    return EX_OK;
}

static int
parse_sig(json_t *o, size_t i, ex_dsse_sig *s, ex_err *err)
{
    static const char *const keys[] = {"sig", "keyid", NULL};
    char where[48];
    snprintf(where, sizeof where, "signature %zu", i);
    int rc = exact_keys(o, where, keys, 1, err);
    if (rc != EX_OK)
        return rc;
    if ((rc = get_b64(o, "sig", where, EX_DSSE_SIG_MAX, &s->sig, &s->sig_len, err)) != EX_OK)
        return rc;
    if (s->sig_len == 0)
        return ex_fail(err, EX_EFORMAT, "envelope: \"sig\" in %s is empty", where);
    if (json_object_get(o, "keyid")) {
        s->has_keyid = 1;
        return get_string(o, "keyid", where, EX_DSSE_KEYID_MAX, &s->keyid, NULL, err);
    }
    if (!(s->keyid = strdup("")))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

int
ex_dsse_parse(const char *json, size_t len, ex_dsse_env *out, ex_err *err)
{
    static const char *const keys[] = {"payload", "payloadType", "signatures", NULL};
    memset(out, 0, sizeof *out);
    if (len > EX_DSSE_ENVELOPE_MAX)
        return ex_fail(err, EX_ETOOBIG, "envelope: %zu bytes, over the limit of %u", len,
                       EX_DSSE_ENVELOPE_MAX);
    json_error_t je;
    /* no JSON_ALLOW_NUL: a NUL inside a string could not be told from its end */
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return ex_fail(err, EX_EFORMAT, "envelope: line %d column %d: %s", je.line, je.column,
                       je.text);
    int rc = exact_keys(o, "the envelope", keys, 3, err);
    size_t tlen = 0;
    if (rc == EX_OK)
        rc = get_string(o, "payloadType", "the envelope", EX_DSSE_TYPE_MAX, &out->payload_type,
                        &tlen, err);
    if (rc == EX_OK && tlen == 0)
        rc = ex_fail(err, EX_EFORMAT, "envelope: empty \"payloadType\"");
    if (rc == EX_OK)
        rc = get_b64(o, "payload", "the envelope", PAYLOAD_MAX, &out->payload, &out->payload_len,
                     err);
    json_t *a = json_object_get(o, "signatures");
    if (rc == EX_OK && !json_is_array(a))
        rc = ex_fail(err, EX_EFORMAT, "envelope: \"signatures\" is not an array");
    size_t n = rc == EX_OK ? json_array_size(a) : 0;
    if (rc == EX_OK && n == 0)
        rc = ex_fail(err, EX_EFORMAT, "envelope: no signatures");
    if (rc == EX_OK && n > EX_DSSE_SIGS_MAX)
        rc = ex_fail(err, EX_ETOOBIG, "envelope: %zu signatures, over %d", n, EX_DSSE_SIGS_MAX);
    if (rc == EX_OK && !(out->sigs = calloc(n, sizeof *out->sigs)))
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        out->nsigs = i + 1; /* so a failure part way frees what was read */
        rc = parse_sig(json_array_get(a, i), i, &out->sigs[i], err);
    }
    json_decref(o);
    return rc;
}

/* ---- verification ------------------------------------------------------------------------- */

int
ex_dsse_verify(const ex_dsse_env *e, const ex_vkey *key, size_t *which, ex_err *err)
{
    if (!e || !key || !e->payload_type || e->nsigs == 0)
        return ex_fail(err, EX_EINVAL, "envelope: nothing to verify");
    char id[EX_DSSE_KEYID_BYTES];
    int rc = ex_dsse_keyid(key->pub, id);
    if (rc != EX_OK)
        return ex_fail(err, rc, "cannot compute the keyid");
    uint8_t *pae = NULL;
    size_t pae_len, good = SIZE_MAX, tried = 0;
    if (ex_dsse_pae(e->payload_type, strlen(e->payload_type), e->payload, e->payload_len, &pae,
                    &pae_len) != EX_OK)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; i < e->nsigs; i++) {
        const ex_dsse_sig *s = &e->sigs[i];
        int ours = s->keyid && strcmp(s->keyid, id) == 0;
        if (!ours && s->keyid && s->keyid[0])
            continue; /* another signer's */
        tried++;
        int v = ex_ed25519_verify(key->pub, pae, pae_len, s->sig, s->sig_len);
        if (v == EX_OK) {
            if (good == SIZE_MAX)
                good = i;
        } else if (ours) {
            free(pae);
            return ex_fail(err, EX_EVERIFY,
                           "envelope: signature %zu (keyid %.16s...) does not verify with "
                           "key '%s'",
                           i, id, key->name);
        }
    }
    free(pae);
    if (good == SIZE_MAX)
        return ex_fail(err, EX_EVERIFY,
                       tried ? "envelope: no signature verifies with key '%s' (keyid %s)"
                             : "envelope: no signature is by key '%s' (keyid %s)",
                       key->name, id);
    if (which)
        *which = good;
    return EX_OK;
}

int
ex_dsse_open(const char *json, size_t len, const char *type, const ex_vkey *key, ex_dsse_env *out,
             ex_err *err)
{
    int rc = ex_dsse_parse(json, len, out, err);
    if (rc == EX_OK && type && strcmp(out->payload_type, type) != 0)
        rc = ex_fail(err, EX_EFORMAT, "envelope: payloadType is \"%.64s\", not \"%s\"",
                     out->payload_type, type);
    if (rc == EX_OK)
        rc = ex_dsse_verify(out, key, NULL, err);
    if (rc != EX_OK)
        ex_dsse_env_clear(out);
    return rc;
}
