/* bommodel.c - a model's facts for the supply-chain and dataset documents (bomfacts.h), and the
 * facts of either subject as one canonical JSON object (exante.h, ex_ledger_bom_facts_dup).
 * What the log entry of an attestation says (models.c) is completed by its envelope: the
 * statement's subjects (the weights) and the run's times, code and config. */
#include "attest.h"
#include "bomfacts.h"

#include <stdlib.h>
#include <string.h>

/* the statement inside the envelope stored for the model logged at log_index */
static int
statement(ex_ledger *l, uint64_t log_index, json_t **out)
{
    char ref[24], *env = NULL;
    size_t len;
    snprintf(ref, sizeof ref, "%llu", (unsigned long long)log_index);
    int rc = ex_ledger_attestation_dup(l, ref, &env, &len, NULL);
    if (rc != EX_OK)
        return rc;
    json_t *e = json_loadb(env, len, 0, NULL);
    const char *p = json_string_value(json_object_get(e, "payload"));
    size_t plen = p ? strlen(p) : 0, n = 0;
    uint8_t *raw = p ? malloc(plen / 4 * 3 + 3) : NULL;
    rc = raw ? ex_b64_decode(p, plen, raw, plen / 4 * 3 + 3, &n) : p ? EX_ENOMEM : EX_EFORMAT;
    *out = rc == EX_OK ? json_loadb((const char *)raw, n, 0, NULL) : NULL;
    if (rc == EX_OK && !json_is_object(json_object_get(*out, "predicate")))
        rc = EX_EFORMAT;
    free(raw);
    free(env);
    json_decref(e);
    if (rc != EX_OK) {
        json_decref(*out);
        *out = NULL;
        return ex_fail(&l->err, rc, "the envelope of the attestation at log index %llu %s",
                       (unsigned long long)log_index,
                       rc == EX_ENOMEM ? "is too big for memory" : "does not hold a statement");
    }
    return EX_OK;
}

static json_t *
digests(char (*v)[EX_DIGEST_STR_BYTES], size_t n, int *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0)
            *ok = 0;
    if (!a)
        *ok = 0;
    return a;
}

/* one model: what its entry and statement say */
static int
model(ex_ledger *l, const att *a, int full, json_t **out)
{
    json_t *st = NULL, *o = json_object();
    int ok = o != NULL, rc = statement(l, a->log_index, &st);
    if (rc != EX_OK) {
        json_decref(o);
        return rc;
    }
    json_t *pred = json_object_get(st, "predicate");
    bom_set(o, "id", json_string(a->model), &ok);
    bom_set(o, "name", json_string(a->name), &ok);
    bom_set(o, "kind", json_string(a->kind), &ok);
    bom_set(o, "log_index", json_integer((json_int_t)a->log_index), &ok);
    bom_set(o, "envelope", json_string(a->envelope), &ok);
    bom_set(o, "retired", json_boolean(a->retired != 0), &ok);
    static const char *const keep[] = {"started", "finished", "code", "config"};
    for (size_t k = 0; k < 4; k++) {
        json_t *v = json_object_get(pred, keep[k]);
        bom_set(o, keep[k], v ? json_copy(v) : json_null(), &ok);
    }
    const char *fin = json_string_value(json_object_get(pred, "finished"));
    if (!fin || strlen(fin) != 20)
        rc = ex_fail(&l->err, EX_EFORMAT, "the statement of model '%s' has no finishing time",
                     a->name);
    if (full) {
        json_t *subs = json_array(), *s;
        size_t i;
        json_array_foreach(json_object_get(st, "subject"), i, s) {
            json_t *r = json_object();
            bom_set(r, "name", json_copy(json_object_get(s, "name")), &ok);
            bom_set(r, "sha256", json_copy(json_object_get(json_object_get(s, "digest"),
                                                           "sha256")), &ok);
            if (!r || json_array_append_new(subs, r) != 0)
                ok = 0;
        }
        bom_set(o, "subjects", subs, &ok);
        bom_set(o, "external_parents", digests(a->external, a->nexternal, &ok), &ok);
        json_t *pol = json_object_get(pred, "policies");
        bom_set(o, "policies", pol ? json_copy(pol) : json_array(), &ok);
        bom_set(o, "reason", a->reason ? json_string(a->reason) : json_null(), &ok);
    }
    json_decref(st);
    if (rc == EX_OK && !ok)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc != EX_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return EX_OK;
}

int
bom_model_facts(ex_ledger *l, const char *ref, json_t **out, json_t **snaps)
{
    att *a;
    size_t n, at;
    int rc = att_load(l, &a, &n), ok = 1;
    if (rc != EX_OK)
        return rc;
    json_t *m = NULL, *parents = json_array(), *names = json_array();
    if ((rc = att_find(l, a, n, ref, &at)) == EX_OK)
        rc = model(l, &a[at], 1, &m);
    /* the parents of this ledger, in the order the run named them */
    for (size_t i = 0; rc == EX_OK && i < a[at].nparents; i++) {
        size_t p = n;
        for (size_t k = 0; k < n; k++)
            if (strcmp(a[k].model, a[at].parents[i]) == 0 && a[k].log_index < a[at].log_index)
                p = k;
        json_t *pm = NULL;
        if (p == n)
            rc = ex_fail(&l->err, EX_EFORMAT, "model '%s': its parent %s is not in the ledger",
                         a[at].name, a[at].parents[i]);
        else if ((rc = model(l, &a[p], 0, &pm)) == EX_OK &&
                 json_array_append_new(parents, pm) != 0)
            ok = 0;
    }
    for (size_t i = 0; rc == EX_OK && i < a[at].nsnapshots; i++)
        if (json_array_append_new(names, json_string(a[at].snapshots[i].name)) != 0)
            ok = 0;
    if (rc == EX_OK)
        bom_set(m, "parents", parents, &ok);
    else
        json_decref(parents);
    if (rc == EX_OK)
        bom_set(m, "snapshots", json_copy(names), &ok);
    if (rc == EX_OK && !ok)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    att_free(a, n);
    if (rc != EX_OK) {
        json_decref(m);
        json_decref(names);
        return rc;
    }
    *out = m;
    *snaps = names;
    return EX_OK;
}

int
ex_ledger_bom_facts_dup(ex_ledger *l, const char *snapshot, const char *model_ref, char **json,
                        size_t *len)
{
    ex_err_clear(&l->err);
    if (!json || (!snapshot) == (!model_ref))
        return ex_fail(&l->err, EX_EINVAL, "export: a snapshot or a model, one of them");
    json_t *o = json_object(), *snaps = json_array(), *names = NULL, *m = NULL, *cp = json_object();
    int ok = o && snaps && cp, rc = EX_OK;
    uint64_t size = ex_log_size(l->log);
    uint8_t root[EX_HASH_BYTES];
    char b64[64];
    if (!ok)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    else if ((rc = ex_log_root(l->log, size, root)) != EX_OK)
        ex_ledger_fail_log(l, rc);
    if (rc == EX_OK && model_ref)
        rc = bom_model_facts(l, model_ref, &m, &names);
    else if (rc == EX_OK && !(names = json_array()))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK && snapshot && json_array_append_new(names, json_string(snapshot)) != 0)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    json_t *nm;
    size_t i;
    json_array_foreach(names, i, nm) {
        json_t *s = NULL;
        if (rc != EX_OK || (rc = bom_snapshot_facts(l, json_string_value(nm), &s)) != EX_OK)
            break;
        if (json_array_append_new(snaps, s) != 0)
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    if (rc == EX_OK) {
        ex_b64_encode(root, EX_HASH_BYTES, b64);
        bom_set(cp, "origin", json_string(l->origin), &ok);
        bom_set(cp, "root", json_string(b64), &ok);
        bom_set(cp, "size", json_integer((json_int_t)size), &ok);
        bom_set(o, "checkpoint", cp, &ok);
        cp = NULL;
        bom_set(o, "exante", json_string(EX_VERSION), &ok);
        bom_set(o, "model", m ? m : json_null(), &ok);
        m = NULL;
        bom_set(o, "snapshots", snaps, &ok);
        snaps = NULL;
        ex_err e = {0};
        if (!ok)
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        else if ((rc = ex_json_canonical_dup(o, json, len, &e)) != EX_OK)
            ex_fail(&l->err, rc, "cannot write the facts: %s", e.msg);
    }
    json_decref(o);
    json_decref(snaps);
    json_decref(names);
    json_decref(m);
    json_decref(cp);
    return rc;
}
