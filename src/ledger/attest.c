/* attest.c - `exante attest run` (ex_ledger_attest_run): a training run bound to the snapshots
 * it read, as an in-toto statement in a DSSE envelope, logged. The predicate carries what an
 * outsider needs to check it offline (attest/verify.c): each snapshot's record with its log
 * inclusion proof under one signed checkpoint. Format: docs/FORMATS.md "Training runs". */
#include "attest.h"
#include "witness/witness.h"
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/dsse.h"
#include "attest/statement.h"
#include "attest/weights.h"
#include "core/cjson.h"

static const char *const kinds[] = {"pretrain", "fine-tune", "distillation", "merge",
                                    "continued", NULL};

typedef struct run_ctx {
    ex_ledger *l;
    const ex_attest_opts *o;
    snap snaps[ATT_MAX_LINKS];
    att *atts;  /* the ledger's attestations, for the parents */
    size_t natts;
    size_t parent_at[ATT_MAX_LINKS];
    ex_weights *w;
    char model[EX_DIGEST_STR_BYTES];
    char name[EX_MODEL_NAME_MAX + 1]; /* o->name, or made from the model id */
    uint64_t log_size;
    char *checkpoint;
    ex_buf pred, stmt, entry;
    char *envelope;
    size_t envelope_len;
    uint64_t index;
} run_ctx;

static int
valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > EX_MODEL_NAME_MAX || !ex_utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int
is_hex(const char *s, size_t lo, size_t hi)
{
    size_t n = strlen(s);
    if (n < lo || n > hi)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* {"name":<base name>,"sha256":<hex>} of a file, into the predicate */
static int
file_member(run_ctx *c, ex_cj *w, const char *key, const char *path)
{
    uint8_t d[EX_HASH_BYTES];
    uint64_t size;
    ex_err e = {0};
    int rc = ex_sha256_file(c->l->h, path, d, &size, &e);
    if (rc != EX_OK)
        return ex_fail(&c->l->err, rc, "--%s: %s", key, e.msg[0] ? e.msg : ex_strerror(rc));
    char hex[2 * EX_HASH_BYTES + 1];
    ex_hex_encode(d, EX_HASH_BYTES, hex);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    ex_cj_key(w, key);
    ex_cj_obj(w);
    ex_cj_kopt(w, "name", base);
    ex_cj_kstr(w, "sha256", hex, 2 * EX_HASH_BYTES);
    ex_cj_end(w);
    return EX_OK;
}

static int
write_predicate(run_ctx *c)
{
    const ex_attest_opts *o = c->o;
    ex_cj w;
    char now[32];
    ex_time_now(now);
    ex_cj_init(&w, &c->pred);
    ex_cj_obj(&w);
    ex_cj_kopt(&w, "checkpoint", c->checkpoint);
    int rc = EX_OK;
    struct stat sb;
    if (o->code && stat(o->code, &sb) == 0) {
        rc = file_member(c, &w, "code", o->code);
    } else if (o->code) {
        ex_cj_key(&w, "code");
        ex_cj_obj(&w);
        ex_cj_kopt(&w, "commit", o->code);
        ex_cj_end(&w);
    }
    if (rc == EX_OK && o->config)
        rc = file_member(c, &w, "config", o->config);
    if (rc != EX_OK)
        return rc;
    char fin[32], sta[32];
    int64_t t;
    if (o->finished && ex_time_parse(o->finished, &t) == EX_OK)
        ex_time_format(t, fin);
    else
        memcpy(fin, now, sizeof fin);
    if (o->started && ex_time_parse(o->started, &t) == EX_OK)
        ex_time_format(t, sta);
    else
        memcpy(sta, now, sizeof sta);
    ex_cj_kopt(&w, "finished", fin);
    ex_cj_kopt(&w, "kind", o->kind ? o->kind : "pretrain");
    ex_cj_key(&w, "log");
    ex_cj_obj(&w);
    ex_cj_kopt(&w, "origin", c->l->origin);
    ex_cj_kint(&w, "size", (int64_t)c->log_size);
    ex_cj_end(&w);
    ex_cj_key(&w, "model");
    ex_cj_obj(&w);
    ex_cj_kopt(&w, "id", c->model);
    ex_cj_kopt(&w, "name", c->name);
    ex_cj_end(&w);
    ex_cj_key(&w, "parents");
    ex_cj_arr(&w);
    for (size_t i = 0; i < o->nparents; i++) {
        const att *p = &c->atts[c->parent_at[i]];
        ex_cj_obj(&w);
        ex_cj_kopt(&w, "attestation", p->envelope);
        ex_cj_kint(&w, "log_index", (int64_t)p->log_index);
        ex_cj_kopt(&w, "model", p->model);
        ex_cj_end(&w);
    }
    for (size_t i = 0; i < o->nexternal; i++) {
        ex_cj_obj(&w);
        ex_cj_kopt(&w, "external", o->external[i]);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    /* the policies the snapshots' members were admitted under, each once */
    ex_cj_key(&w, "policies");
    ex_cj_arr(&w);
    json_t *seen = json_object();
    for (size_t i = 0; seen && i < o->nsnapshots; i++) {
        json_t *r = json_loadb(c->snaps[i].entry, c->snaps[i].entry_len, 0, NULL);
        json_t *v;
        size_t k;
        json_array_foreach(json_object_get(r, "policies"), k, v)
            if (json_is_string(v))
                json_object_set(seen, json_string_value(v), json_true());
        json_decref(r);
    }
    const char *pk;
    json_t *pv;
    const char **keys = calloc(json_object_size(seen) + 1, sizeof *keys);
    size_t nk = 0;
    json_object_foreach(seen, pk, pv)
        if (keys)
            keys[nk++] = pk;
    for (size_t i = 1; keys && i < nk; i++) /* a few: insertion sort */
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *x = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = x;
        }
    for (size_t i = 0; keys && i < nk; i++)
        ex_cj_str(&w, keys[i], strlen(keys[i]));
    free(keys);
    json_decref(seen);
    ex_cj_end(&w);
    ex_cj_key(&w, "snapshots");
    ex_cj_arr(&w);
    for (size_t i = 0; i < o->nsnapshots && rc == EX_OK; i++) {
        const snap *s = &c->snaps[i];
        uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
        size_t np = 0;
        if ((rc = ex_log_prove_inclusion(c->l->log, s->log_index, c->log_size, proof, &np)) !=
            EX_OK)
            return ex_ledger_fail_log(c->l, rc);
        char b64[64];
        ex_cj_obj(&w);
        ex_cj_key(&w, "inclusion");
        ex_cj_arr(&w);
        for (size_t k = 0; k < np; k++)
            ex_cj_str(&w, b64, ex_b64_encode(proof[k], EX_HASH_BYTES, b64));
        ex_cj_end(&w);
        ex_cj_kint(&w, "log_index", (int64_t)s->log_index);
        ex_cj_kopt(&w, "name", s->name);
        ex_cj_kstr(&w, "record", s->entry, s->entry_len);
        ex_cj_kstr(&w, "root", b64, ex_b64_encode(s->root, EX_HASH_BYTES, b64));
        ex_cj_kint(&w, "size", (int64_t)s->size);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_kopt(&w, "started", sta);
    ex_cj_end(&w);
    if ((rc = ex_cj_done(&w)) != EX_OK)
        return ex_fail(&c->l->err, rc, "cannot write the predicate: %s",
                       w.why ? w.why : ex_strerror(rc));
    return EX_OK;
}

/* the log entry: what lineage reads without opening envelopes */
static int
write_entry(run_ctx *c)
{
    const ex_attest_opts *o = c->o;
    uint8_t d[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES];
    int rc = ex_sha256_digest(c->l->h, c->envelope, c->envelope_len, d);
    if (rc != EX_OK)
        return ex_fail(&c->l->err, rc, "cannot hash the envelope");
    ex_digest_format(d, dig);
    ex_cj w;
    ex_cj_init(&w, &c->entry);
    ex_cj_obj(&w);
    ex_cj_kopt(&w, "envelope", dig);
    ex_cj_key(&w, "external_parents");
    ex_cj_arr(&w);
    for (size_t i = 0; i < o->nexternal; i++)
        ex_cj_str(&w, o->external[i], strlen(o->external[i]));
    ex_cj_end(&w);
    ex_cj_kopt(&w, "kind", o->kind ? o->kind : "pretrain");
    ex_cj_kopt(&w, "model", c->model);
    ex_cj_kopt(&w, "name", c->name);
    ex_cj_key(&w, "parents");
    ex_cj_arr(&w);
    for (size_t i = 0; i < o->nparents; i++)
        ex_cj_str(&w, c->atts[c->parent_at[i]].model, EX_DIGEST_STR_LEN);
    ex_cj_end(&w);
    ex_cj_key(&w, "snapshots");
    ex_cj_arr(&w);
    for (size_t i = 0; i < o->nsnapshots; i++) {
        ex_cj_obj(&w);
        ex_cj_kint(&w, "log_index", (int64_t)c->snaps[i].log_index);
        ex_cj_kopt(&w, "name", c->snaps[i].name);
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_kstr(&w, "type", "attestation", 11);
    ex_cj_end(&w);
    rc = ex_cj_done(&w); /* out of memory is not invalid input */
    return rc == EX_OK ? EX_OK
                       : ex_fail(&c->l->err, rc == EX_ENOMEM ? rc : EX_EINVAL,
                                 "cannot write the entry: %s", ex_strerror(rc));
}

static int
log_in_tx(ex_ledger *l, void *ctx)
{
    run_ctx *c = ctx;
    const void *ep = c->entry.data;
    size_t el = c->entry.len;
    int rc = ex_log_append(l->log, &ep, &el, 1, &c->index);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    if ((rc = l->st->ops->rec_append(l->st, EX_TAB_ATTESTATIONS, (int64_t)c->index, c->envelope,
                                     c->envelope_len, NULL)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    return EX_OK;
}

static int
check_opts(ex_ledger *l, const ex_attest_opts *o)
{
    if (!l->key && !o->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    if (o->nsnapshots == 0 || o->nsnapshots > ATT_MAX_LINKS)
        return ex_fail(&l->err, EX_EINVAL, "attest: 1 to %d snapshots (--snapshot NAME)",
                       ATT_MAX_LINKS);
    if (o->nweights == 0)
        return ex_fail(&l->err, EX_EINVAL, "attest: no weights (--weights PATH)");
    if (o->nparents + o->nexternal > ATT_MAX_LINKS)
        return ex_fail(&l->err, EX_EINVAL, "attest: at most %d parents", ATT_MAX_LINKS);
    if (o->name && !valid_name(o->name))
        return ex_fail(&l->err, EX_EINVAL,
                       "attest: a model name (--name) is 1 to %d characters, no control "
                       "characters", EX_MODEL_NAME_MAX);
    int known = !o->kind;
    for (int i = 0; kinds[i] && !known; i++)
        known = strcmp(o->kind, kinds[i]) == 0;
    if (!known)
        return ex_fail(&l->err, EX_EINVAL, "attest: --kind is pretrain, fine-tune, distillation, "
                       "merge or continued, not '%s'", o->kind);
    const char *const *lists[3] = {o->snapshots, o->parents, o->external};
    size_t counts[3] = {o->nsnapshots, o->nparents, o->nexternal};
    static const char *const what[3] = {"--snapshot", "--parent", "--parent-external"};
    for (int k = 0; k < 3; k++) /* a run reads a snapshot once, derives from a model once */
        for (size_t i = 0; i < counts[k]; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(lists[k][i], lists[k][j]) == 0)
                    return ex_fail(&l->err, EX_EINVAL, "attest: %s '%s' is given twice", what[k],
                                   lists[k][i]);
    for (size_t i = 0; i < o->nexternal; i++) {
        uint8_t d[EX_HASH_BYTES];
        if (ex_digest_parse(o->external[i], d) != EX_OK)
            return ex_fail(&l->err, EX_EINVAL, "attest: --parent-external '%s' is not a "
                           "sha256:<64 hex> digest", o->external[i]);
    }
    struct stat sb;
    if (o->code && stat(o->code, &sb) != 0 && !is_hex(o->code, 7, 64))
        return ex_fail(&l->err, EX_EINVAL, "attest: --code '%s' is neither a file nor a git "
                       "commit (7 to 64 lowercase hex digits)", o->code);
    const char *times[2] = {o->started, o->finished};
    int64_t t;
    for (int i = 0; i < 2; i++)
        if (times[i] && ex_time_parse(times[i], &t) != EX_OK)
            return ex_fail(&l->err, EX_EINVAL, "attest: '%s' is not an RFC 3339 time "
                           "(2026-06-01T12:00:00Z)", times[i]);
    return EX_OK;
}

int
ex_ledger_attest_run(ex_ledger *l, const ex_attest_opts *o, char **envelope, size_t *len,
                     uint64_t *index, char model[EX_DIGEST_STR_BYTES])
{
    ex_err_clear(&l->err);
    int rc = check_opts(l, o);
    if (rc != EX_OK)
        return rc;
    int lockfd;
    if ((rc = ex_ledger_lock(l, &lockfd)) != EX_OK)
        return rc;
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.l = l;
    c.o = o;
    ex_err e = {0};
    for (size_t i = 0; rc == EX_OK && i < o->nsnapshots; i++)
        rc = snap_open(l, o->snapshots[i], &c.snaps[i], NULL);
    if (rc == EX_OK)
        rc = att_load(l, &c.atts, &c.natts);
    for (size_t i = 0; rc == EX_OK && i < o->nparents; i++) {
        if ((rc = att_find(l, c.atts, c.natts, o->parents[i], &c.parent_at[i])) == EX_ENOTFOUND)
            ex_fail(&l->err, rc, "attest: unknown parent model '%s' (attest it first, or name "
                    "a model from outside the ledger with --parent-external DIGEST)",
                    o->parents[i]);
    }
    /* the weights: hashed, and the model they make */
    if (rc == EX_OK && (rc = ex_weights_new(&c.w)) != EX_OK)
        ex_fail(&l->err, rc, "out of memory");
    /* (the weights' messages start with "weights: ") */
    for (size_t i = 0; rc == EX_OK && i < o->nweights; i++)
        if ((rc = ex_weights_add(c.w, o->weights[i], &e)) != EX_OK)
            ex_fail(&l->err, rc, "%s", e.msg);
    if (rc == EX_OK && (rc = ex_weights_hash(c.w, o->jobs, &e)) != EX_OK)
        ex_fail(&l->err, rc, "%s", e.msg);
    size_t ns = 0;
    const ex_subject *subj = rc == EX_OK ? ex_weights_subjects(c.w, &ns) : NULL;
    uint8_t mid[EX_HASH_BYTES];
    if (rc == EX_OK && (rc = ex_model_id(subj, ns, mid, &e)) != EX_OK)
        ex_fail(&l->err, rc, "weights: %s", e.msg);
    if (rc == EX_OK) {
        ex_digest_format(mid, c.model);
        /* no name given: "model-" and the id's first 12 hex digits */
        snprintf(c.name, sizeof c.name, "%s", o->name ? o->name : "");
        if (!o->name)
            snprintf(c.name, sizeof c.name, "model-%.12s", c.model + 7);
        for (size_t i = 0; i < c.natts && rc == EX_OK; i++)
            if (strcmp(c.atts[i].model, c.model) == 0)
                rc = ex_fail(&l->err, EX_EEXIST, "attest: these weights are model %s, attested "
                             "at log index %llu as '%s'", c.model,
                             (unsigned long long)c.atts[i].log_index, c.atts[i].name);
        for (size_t i = 0; i < o->nparents && rc == EX_OK; i++)
            if (strcmp(c.atts[c.parent_at[i]].model, c.model) == 0)
                rc = ex_fail(&l->err, EX_EINVAL, "attest: a model cannot be its own parent");
    }
    /* the checkpoint every snapshot record is proved under: the log as it is now */
    size_t nl;
    c.log_size = ex_log_size(l->log);
    if (rc == EX_OK &&
        (rc = ex_ledger_checkpoint_cosigned_dup(l, c.log_size, &c.checkpoint, &nl)) != EX_OK)
        ex_ledger_fail_log(l, rc);
    if (rc == EX_OK)
        rc = write_predicate(&c);
    char *stmt = NULL;
    size_t stmt_len = 0;
    if (rc == EX_OK && (rc = ex_statement_write(subj, ns, EX_ATTEST_PREDICATE, c.pred.data,
                                                c.pred.len, &stmt, &stmt_len, &e)) != EX_OK)
        ex_fail(&l->err, rc, "cannot write the statement: %s", e.msg);
    ex_key *key = o->key ? o->key : l->key;
    if (rc == EX_OK && (rc = ex_dsse_sign(&key, 1, EX_DSSE_INTOTO_TYPE, stmt, stmt_len,
                                          &c.envelope, &c.envelope_len, &e)) != EX_OK)
        ex_fail(&l->err, rc, "cannot sign the statement: %s", e.msg);
    free(stmt);
    if (rc == EX_OK)
        rc = write_entry(&c);
    if (rc == EX_OK)
        rc = ex_ledger_atomic(l, log_in_tx, &c);
    if (rc == EX_OK) {
        if (index)
            *index = c.index;
        if (model)
            memcpy(model, c.model, EX_DIGEST_STR_BYTES);
        if (envelope) {
            *envelope = c.envelope;
            *len = c.envelope_len;
            c.envelope = NULL;
        }
    }
    for (size_t i = 0; i < o->nsnapshots; i++)
        free(c.snaps[i].entry);
    att_free(c.atts, c.natts);
    ex_weights_free(c.w);
    free(c.checkpoint);
    free(c.envelope);
    ex_buf_free(&c.pred);
    ex_buf_free(&c.entry);
    ex_ledger_unlock(lockfd);
    return rc;
}
