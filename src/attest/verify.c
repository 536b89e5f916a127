/* verify.c - ex_attest_verify: a training run's envelope checked offline, by what it carries
 * (exante.h lists the checks in order). Each failure says which check failed first, so that
 * `exante verify` can name it. */
#include "exante.h"
#include "core/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/dsse.h"
#include "attest/statement.h"
#include "attest/weights.h"

typedef struct vctx {
    ex_err *err;
    ex_sha256 *h;
    json_t *p; /* the predicate */
} vctx;

static int fail(vctx *c, int rc, const char *fmt, ...) EX_PRINTF(3, 4);

static int
fail(vctx *c, int rc, const char *fmt, ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ex_fail(c->err, rc, "%s", msg);
}

static const char *
str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* one snapshot of the predicate: its record is in the log under the checkpoint (size, root),
 * and says what the predicate says of it */
static int
check_snapshot(vctx *c, json_t *s, uint64_t size, const uint8_t root[EX_HASH_BYTES])
{
    const char *name = str(s, "name"), *rec = str(s, "record"), *b64 = str(s, "root");
    json_t *inc = json_object_get(s, "inclusion"), *x;
    json_int_t li = json_integer_value(json_object_get(s, "log_index"));
    json_int_t sz = json_integer_value(json_object_get(s, "size"));
    if (!name || !rec || !b64 || !json_is_array(inc) || li < 0 ||
        json_array_size(inc) > EX_MERKLE_MAX_PROOF)
        return fail(c, EX_EVERIFY, "statement: a snapshot lacks name, record, root, log_index or "
                    "inclusion");
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES], leaf[EX_HASH_BYTES], want[EX_HASH_BYTES];
    size_t i, n;
    json_array_foreach(inc, i, x) {
        const char *h = json_string_value(x);
        if (!h || ex_b64_decode(h, strlen(h), proof[i], EX_HASH_BYTES, &n) != EX_OK ||
            n != EX_HASH_BYTES)
            return fail(c, EX_EVERIFY, "snapshot '%s': inclusion hash %zu is not a base64 "
                        "SHA-256", name, i);
    }
    int rc = ex_merkle_leaf(c->h, rec, strlen(rec), leaf);
    if (rc != EX_OK)
        return fail(c, rc, "cannot hash");
    if (ex_merkle_verify_inclusion(c->h, (uint64_t)li, size, leaf,
                                   (const uint8_t(*)[EX_HASH_BYTES])proof, json_array_size(inc),
                                   root, EX_HASH_BYTES) != EX_OK)
        return fail(c, EX_EVERIFY, "snapshot '%s': its record is not in the log under the "
                    "checkpoint (log index %lld of %llu): another log, or a forked one", name,
                    (long long)li, (unsigned long long)size);
    json_t *r = json_loads(rec, 0, NULL);
    const char *rt = str(r, "type"), *rn = str(r, "name"), *rr = str(r, "root");
    json_int_t rs = json_integer_value(json_object_get(r, "size"));
    rc = EX_OK;
    if (!rt || strcmp(rt, "snapshot") != 0 || !rn || strcmp(rn, name) != 0)
        rc = fail(c, EX_EVERIFY, "snapshot '%s': the logged record is not snapshot '%s'", name,
                  name);
    else if (!rr || strcmp(rr, b64) != 0 || ex_b64_decode(b64, strlen(b64), want, sizeof want,
                                                          &n) != EX_OK)
        rc = fail(c, EX_EVERIFY, "snapshot '%s': the statement says root %s, the logged record "
                  "%s", name, b64, rr ? rr : "none");
    else if (rs != sz)
        rc = fail(c, EX_EVERIFY, "snapshot '%s': the statement says %lld members, the logged "
                  "record %lld", name, (long long)sz, (long long)rs);
    json_decref(r);
    return rc;
}

static int
check_weights(vctx *c, const ex_statement *st, const ex_attest_verify_opts *o,
              ex_attest_info *info)
{
    ex_weights *w = NULL;
    ex_err e = {0};
    int absent = 0; /* a path given is not there (ex_weights_add says EX_ENOTFOUND then too) */
    int rc = ex_weights_new(&w);
    for (size_t i = 0; rc == EX_OK && i < o->nweights; i++) {
        struct stat sb;
        absent = stat(o->weights[i], &sb) != 0;
        rc = ex_weights_add(w, o->weights[i], &e);
    }
    if (rc == EX_OK)
        rc = ex_weights_hash(w, o->jobs, &e);
    size_t n = 0;
    const ex_subject *have = rc == EX_OK ? ex_weights_subjects(w, &n) : NULL;
    if (rc == EX_OK)
        rc = ex_weights_compare(have, n, st->subjects, st->nsubjects, NULL, NULL, &e);
    if (rc == EX_OK)
        info->weights_bytes = ex_weights_total(w);
    ex_weights_free(w);
    if (rc == EX_OK)
        return EX_OK;
    /* a shard an index names is missing: the weights do not match (exit 1); a path given that
     * cannot be read is the caller's mistake */
    return fail(c, rc == EX_ENOTFOUND && !absent ? EX_EVERIFY : rc, "%s%s",
                strncmp(e.msg, "weights", 7) == 0 ? "" : "weights: ", e.msg);
}

/* The digest that log entries and a child's predicate name an envelope by: SHA-256 of the
 * envelope as attest run wrote it (canonical JSON). Taken of env written again in that form, so
 * that the copy at hand may end in a newline (as the CLI prints and saves it) or be spelt
 * otherwise, as long as it says the same. */
static int
env_digest(vctx *c, const ex_dsse_env *env, char dig[EX_DIGEST_STR_BYTES], ex_err *e)
{
    char *canon = NULL;
    size_t clen = 0;
    uint8_t d[EX_HASH_BYTES];
    int rc = ex_dsse_write(env, &canon, &clen, e);
    if (rc == EX_OK && (rc = ex_sha256_digest(c->h, canon, clen, d)) != EX_OK)
        ex_fail(e, rc, "cannot hash the envelope");
    if (rc == EX_OK)
        ex_digest_format(d, dig);
    free(canon);
    return rc;
}

/* the envelope's own entry: in the log (a proof under log_key), naming this envelope */
static int
check_log(vctx *c, const ex_dsse_env *env, const ex_attest_verify_opts *o)
{
    ex_log_proof p;
    ex_err e = {0};
    int rc = ex_log_proof_parse(o->proof, o->proof_len, &p, &e);
    if (rc == EX_OK && p.kind != EX_PROOF_INCLUSION)
        rc = ex_fail(&e, EX_EFORMAT, "not an inclusion proof");
    if (rc == EX_OK && !p.entry)
        rc = ex_fail(&e, EX_EFORMAT, "the proof carries no entry");
    if (rc == EX_OK)
        rc = o->log_keys ? ex_log_proof_verify_chain(&p, o->log_keys, &e)
                         : ex_log_proof_verify(&p, o->log_key, &e);
    char dig[EX_DIGEST_STR_BYTES];
    if (rc == EX_OK && (rc = env_digest(c, env, dig, &e)) == EX_OK) {
        json_t *en = json_loadb((const char *)p.entry, p.entry_len, 0, NULL);
        const char *t = str(en, "type"), *ed = str(en, "envelope");
        if (!t || strcmp(t, "attestation") != 0 || !ed || strcmp(ed, dig) != 0)
            rc = ex_fail(&e, EX_EVERIFY, "the logged entry at index %llu names another envelope",
                         (unsigned long long)p.index);
        json_decref(en);
    }
    ex_log_proof_clear(&p);
    return rc == EX_OK ? EX_OK : fail(c, EX_EVERIFY, "log: %s", e.msg);
}

static int
check_parent(vctx *c, const ex_attest_verify_opts *o, size_t i)
{
    ex_attest_verify_opts po = {.log_key = o->log_key, .signer = o->signer,
                                .log_keys = o->log_keys};
    ex_attest_info pi;
    ex_err e = {0};
    if (ex_attest_verify(o->parents[i], o->parent_lens[i], &po, &pi, &e) != EX_OK)
        return fail(c, EX_EVERIFY, "parent %zu: %s", i + 1, e.msg);
    /* the predicate names the parent's model and its envelope: this one, not another that says
     * something else of the same weights */
    ex_dsse_env pe;
    char dig[EX_DIGEST_STR_BYTES];
    memset(&pe, 0, sizeof pe);
    int rc = ex_dsse_parse(o->parents[i], o->parent_lens[i], &pe, &e);
    if (rc == EX_OK)
        rc = env_digest(c, &pe, dig, &e);
    ex_dsse_env_clear(&pe);
    if (rc != EX_OK)
        return fail(c, rc, "parent %zu: %s", i + 1, e.msg);
    json_t *x;
    size_t k;
    json_array_foreach(json_object_get(c->p, "parents"), k, x) {
        const char *m = str(x, "model"), *a = str(x, "attestation");
        if (m && strcmp(m, pi.model) == 0)
            return a && strcmp(a, dig) == 0
                       ? EX_OK
                       : fail(c, EX_EVERIFY, "parent: model '%.40s' is a parent, but this run "
                              "names its attestation %s, not this envelope (%s)", pi.name,
                              a ? a : "none", dig);
    }
    return fail(c, EX_EVERIFY, "parent: model %s ('%s') is not a parent of this run", pi.model,
                pi.name);
}

/* the log size the envelope's statement names, read before anything is trusted: it picks the
 * key of a rotated log's chain that must have signed both the envelope and the checkpoint */
static uint64_t
statement_size(const char *envelope, size_t len)
{
    ex_dsse_env env;
    ex_statement st;
    ex_err e = {0};
    memset(&env, 0, sizeof env);
    memset(&st, 0, sizeof st);
    uint64_t size = UINT64_MAX;
    if (ex_dsse_parse(envelope, len, &env, &e) == EX_OK &&
        ex_statement_parse(env.payload, env.payload_len, &st, &e) == EX_OK) {
        json_int_t n =
            json_integer_value(json_object_get(json_object_get(st.predicate, "log"), "size"));
        if (n >= 0)
            size = (uint64_t)n;
    }
    ex_statement_clear(&st);
    ex_dsse_env_clear(&env);
    return size;
}

static int verify_with(const char *envelope, size_t len, const ex_attest_verify_opts *o,
                       ex_attest_info *info, ex_err *err);

int
ex_attest_verify(const char *envelope, size_t len, const ex_attest_verify_opts *o,
                 ex_attest_info *info, ex_err *err)
{
    if (o && o->log_keys) {
        ex_attest_verify_opts k = *o;
        k.log_key = ex_key_chain_at(o->log_keys, statement_size(envelope, len));
        return verify_with(envelope, len, &k, info, err);
    }
    return verify_with(envelope, len, o, info, err);
}

static int
verify_with(const char *envelope, size_t len, const ex_attest_verify_opts *o,
            ex_attest_info *info, ex_err *err)
{
    memset(info, 0, sizeof *info);
    vctx c = {err, NULL, NULL};
    if (!o || !o->log_key)
        return ex_fail(err, EX_EINVAL, "verify: the ledger's verifier key is needed");
    ex_dsse_env env;
    ex_statement st;
    memset(&env, 0, sizeof env);
    memset(&st, 0, sizeof st);
    ex_err e = {0};
    int rc = ex_sha256_new(&c.h);
    if (rc != EX_OK)
        return ex_fail(err, rc, "cannot make a hasher: %s", ex_strerror(rc));
    /* envelope, signature, statement */
    if ((rc = ex_dsse_parse(envelope, len, &env, &e)) != EX_OK) {
        rc = fail(&c, rc, "%s", e.msg);
        goto out;
    }
    if (strcmp(env.payload_type, EX_DSSE_INTOTO_TYPE) != 0) {
        rc = fail(&c, EX_EVERIFY, "envelope: payloadType '%s', not '%s'", env.payload_type,
                  EX_DSSE_INTOTO_TYPE);
        goto out;
    }
    if ((rc = ex_dsse_verify(&env, o->signer ? o->signer : o->log_key, NULL, &e)) != EX_OK) {
        rc = fail(&c, rc, "signature: %s", e.msg);
        goto out;
    }
    if ((rc = ex_statement_parse(env.payload, env.payload_len, &st, &e)) != EX_OK) {
        rc = fail(&c, EX_EVERIFY, "statement: %s", e.msg);
        goto out;
    }
    c.p = st.predicate;
    json_t *model = json_object_get(c.p, "model"), *log = json_object_get(c.p, "log");
    const char *mid = str(model, "id"), *mname = str(model, "name"), *kind = str(c.p, "kind");
    const char *note = str(c.p, "checkpoint"), *origin = str(log, "origin");
    json_int_t lsize = json_integer_value(json_object_get(log, "size"));
    if (strcmp(st.predicate_type, EX_ATTEST_PREDICATE) != 0 || !mid || !mname || !kind ||
        !note || !origin || !json_is_array(json_object_get(c.p, "snapshots")) ||
        !json_is_array(json_object_get(c.p, "parents"))) {
        rc = fail(&c, EX_EVERIFY, "statement: not a training run of %s (predicate type, model, "
                  "kind, checkpoint, log, snapshots, parents)", EX_ATTEST_PREDICATE);
        goto out;
    }
    static const char *const kinds[] = {"pretrain", "fine-tune", "distillation", "merge",
                                        "continued", NULL};
    int known = 0;
    for (int k = 0; kinds[k] && !known; k++)
        known = strcmp(kind, kinds[k]) == 0;
    if (!known) {
        rc = fail(&c, EX_EVERIFY, "statement: kind '%.32s' is not one of %s", kind,
                  EX_ATTEST_PREDICATE);
        goto out;
    }
    snprintf(info->model, sizeof info->model, "%s", mid);
    snprintf(info->name, sizeof info->name, "%s", mname);
    snprintf(info->kind, sizeof info->kind, "%s", kind);
    info->subjects = st.nsubjects;
    info->snapshots = json_array_size(json_object_get(c.p, "snapshots"));
    info->parents = json_array_size(json_object_get(c.p, "parents"));
    /* model: the subjects' */
    uint8_t d[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES];
    if ((rc = ex_model_id(st.subjects, st.nsubjects, d, &e)) != EX_OK) {
        rc = fail(&c, rc, "model: %s", e.msg);
        goto out;
    }
    ex_digest_format(d, dig);
    if (strcmp(dig, mid) != 0) {
        rc = fail(&c, EX_EVERIFY, "model: the subjects make model %s, the statement says %s",
                  dig, mid);
        goto out;
    }
    /* checkpoint */
    ex_checkpoint cp;
    if ((rc = ex_checkpoint_open(note, strlen(note), o->log_key, &cp, &e)) != EX_OK) {
        rc = fail(&c, EX_EVERIFY, "checkpoint: %s", e.msg);
        goto out;
    }
    /* the ledger's key is named by its log's origin: a checkpoint of another origin is of
     * another log, whoever signed it */
    if (strcmp(cp.origin, o->log_key->name) != 0) {
        rc = fail(&c, EX_EVERIFY, "checkpoint: it is of log '%s', the verifier key of log '%s'",
                  cp.origin, o->log_key->name);
        goto out;
    }
    if (strcmp(cp.origin, origin) != 0 || lsize < 0 || cp.size != (uint64_t)lsize) {
        rc = fail(&c, EX_EVERIFY, "checkpoint: it is of log '%s' at size %llu, the statement "
                  "names '%s' at %lld", cp.origin, (unsigned long long)cp.size, origin,
                  (long long)lsize);
        goto out;
    }
    json_t *s;
    size_t i;
    json_array_foreach(json_object_get(c.p, "snapshots"), i, s)
        if ((rc = check_snapshot(&c, s, cp.size, cp.root)) != EX_OK)
            goto out;
    if (o->nweights && (rc = check_weights(&c, &st, o, info)) != EX_OK)
        goto out;
    if (o->proof && (rc = check_log(&c, &env, o)) != EX_OK)
        goto out;
    for (i = 0; i < o->nparents && rc == EX_OK; i++)
        rc = check_parent(&c, o, i);
out:
    ex_statement_clear(&st);
    ex_dsse_env_clear(&env);
    ex_sha256_free(c.h);
    return rc;
}
