/* cpfacts_json.c - the copyright facts as JSON (cpfacts.h): what the passes counted, written as
 * one canonical JSON object whose keys docs/COPYRIGHT-POLICY.md ("The facts") lists. */
#include "cpfacts.h"

#include <stdlib.h>
#include <string.h>

/* by count descending, then by key */
static int
by_count(const tally *t, size_t a, size_t b)
{
    const tally_ent *x = &t->e[a], *y = &t->e[b];
    if (x->v[0] != y->v[0])
        return x->v[0] < y->v[0] ? 1 : -1;
    return tally_key_cmp(t, a, b);
}

/* the first max entries of t by count: {name: key, "optouts": count} */
static json_t *
top(tally *t, const char *name, size_t max, int *ok)
{
    int sorted;
    size_t *ix = tally_sorted(t, by_count, &sorted);
    json_t *a = json_array();
    if (!a || !sorted)
        *ok = 0;
    for (size_t i = 0; a && ix && i < t->n && i < max; i++) {
        json_t *o = json_object();
        if (o) {
            ex_jset(o, name, ex_jtext(tally_key(t, ix[i]), t->e[ix[i]].len), ok);
            ex_jset(o, "optouts", ex_jnum(t->e[ix[i]].v[0]), ok);
        }
        ex_jpush(a, o, ok);
    }
    free(ix);
    return a;
}

/* the current policy: its row's facts, its canonical form's directives, its rules with the
 * current decisions each made */
static json_t *
policy(cpf *f, int *ok)
{
    size_t n = json_array_size(f->pols), i;
    if (!n)
        return json_null();
    json_t *row = json_array_get(f->pols, n - 1), *c = json_object_get(row, "canon"), *r;
    const char *dg = json_string_value(json_object_get(row, "digest"));
    json_t *o = json_object(), *rules = json_array();
    const char *keep[] = {"adopted", "digest", "index"};
    for (i = 0; o && i < 3; i++)
        ex_jset(o, keep[i], json_incref(json_object_get(row, keep[i])), ok);
    const char *canon[] = {"agents", "minhash", "name", "near"};
    for (i = 0; o && i < 4; i++)
        if (json_object_get(c, canon[i]))
            ex_jset(o, canon[i], json_incref(json_object_get(c, canon[i])), ok);
    json_array_foreach(json_object_get(c, "rules"), i, r) {
        json_t *x = json_deep_copy(r);
        const char *rid = json_string_value(json_object_get(r, "id"));
        uint64_t *v = NULL;
        ex_buf k = {0};
        if (dg && rid && ex_buf_put(&k, dg, strlen(dg) + 1) == EX_OK &&
            ex_buf_puts(&k, rid) == EX_OK)
            v = tally_find(&f->rules, k.data, k.len);
        ex_buf_free(&k);
        if (x)
            ex_jset(x, "decided", ex_jnum(v ? v[1] : 0), ok);
        ex_jpush(rules, x, ok);
    }
    ex_jset(o, "rules", rules, ok);
    return o;
}

static json_t *
policies(cpf *f, int *ok)
{
    json_t *a = json_array(), *row;
    size_t i;
    json_array_foreach(f->pols, i, row) {
        json_t *o = json_deep_copy(row);
        if (o)
            json_object_del(o, "canon"), json_object_del(o, "type");
        if (o && !json_object_get(o, "name"))
            ex_jset(o, "name", json_null(), ok);
        ex_jpush(a, o, ok);
    }
    return a;
}

static json_t *
conditions(cpf *f, int *ok)
{
    json_t *a = json_array();
    size_t ix[CPF_CONDS_MAX];
    for (size_t i = 0; i < f->nconds; i++) { /* by name: few, insertion sort */
        size_t j = i;
        for (; j > 0 && strcmp(f->conds[ix[j - 1]], f->conds[i]) > 0; j--)
            ix[j] = ix[j - 1];
        ix[j] = i;
    }
    for (size_t i = 0; i <= f->nconds; i++) {
        size_t c = i < f->nconds ? ix[i] : CPF_CONDS_MAX;
        if (c == CPF_CONDS_MAX && !f->cond_rejected[c])
            break;
        ex_jpush(a, json_pack("{s:s,s:I}", "condition", c < CPF_CONDS_MAX ? f->conds[c] : "(other)",
                          "rejected", (json_int_t)f->cond_rejected[c]),
             ok);
    }
    return a;
}

/* hosts of one capture kind */
static uint64_t
hosts(cpf *f, const char *kind)
{
    uint64_t n = 0;
    size_t kl = strlen(kind) + 1;
    for (size_t i = 0; i < f->hosts.n; i++)
        n += f->hosts.e[i].len > kl && memcmp(tally_key(&f->hosts, i), kind, kl) == 0;
    return n;
}

int
cpf_write(cpf *f, char **json, size_t *len)
{
    ex_ledger *l = f->l;
    uint8_t root[EX_HASH_BYTES];
    char b64[64];
    int rc, ok = 1;
    if ((rc = ex_log_root(l->log, f->size, root)) != EX_OK)
        return ex_ledger_fail_log(l, rc);
    ex_b64_encode(root, EX_HASH_BYTES, b64);
    json_t *o = json_object(), *capped = json_array();
    ex_jset(o, "checkpoint",
        json_pack("{s:s,s:s,s:I}", "origin", l->origin, "root", b64, "size", (json_int_t)f->size),
        &ok);
    ex_jset(o, "type", json_string("exante-copyright-facts"), &ok);
    ex_jset(o, "version", ex_jnum(1), &ok);
    ex_jset(o, "policy", policy(f, &ok), &ok);
    ex_jset(o, "policies", policies(f, &ok), &ok);
    ex_jset(o, "decisions",
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "decided", (json_int_t)f->decided,
                  "admitted", (json_int_t)f->admitted, "rejected", (json_int_t)f->rejected,
                  "pending", (json_int_t)f->pending, "duplicates", (json_int_t)f->duplicates,
                  "carried", (json_int_t)f->carried, "carried_near", (json_int_t)f->carried_near,
                  "unattributed", (json_int_t)f->unattributed),
        &ok);
    ex_jset(o, "conditions", conditions(f, &ok), &ok);
    ex_jset(o, "items",
        json_pack("{s:I,s:I,s:I,s:I}", "count", (json_int_t)f->items, "http_401",
                  (json_int_t)f->status[0], "http_402", (json_int_t)f->status[1], "http_403",
                  (json_int_t)f->status[2]),
        &ok);
    ex_jset(o, "captures",
        json_pack("{s:{s:I,s:I,s:I},s:{s:I,s:I}}", "robots.txt", "captures",
                  (json_int_t)f->captures[0], "disallow_all", (json_int_t)f->disallow_all,
                  "hosts", (json_int_t)hosts(f, "robots.txt"), "tdmrep.json", "captures",
                  (json_int_t)f->captures[1], "hosts", (json_int_t)hosts(f, "tdmrep.json")),
        &ok);
    json_t *op = json_pack("{s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}", "total", (json_int_t)f->optouts,
                           "without_holder", (json_int_t)f->without_holder, "holders_total",
                           (json_int_t)f->holders.n, "by_trust", "operator",
                           (json_int_t)f->trust[0], "partner", (json_int_t)f->trust[1], "public",
                           (json_int_t)f->trust[2], "unmatched", (json_int_t)f->trust[3]);
    if (op) {
        ex_jset(op, "holders", top(&f->holders, "holder", CPF_HOLDERS_TOP, &ok), &ok);
        ex_jset(op, "partners", top(&f->partners, "partner", SIZE_MAX, &ok), &ok);
    }
    ex_jset(o, "optouts", op, &ok);
    ex_jset(o, "submissions",
        json_pack("{s:{s:I,s:I,s:I},s:{s:I,s:I,s:I}}", "optout", "unverified",
                  (json_int_t)f->subs[0][0], "accepted", (json_int_t)f->subs[0][1], "rejected",
                  (json_int_t)f->subs[0][2], "complaint", "received", (json_int_t)f->subs[1][0],
                  "accepted", (json_int_t)f->subs[1][1], "rejected", (json_int_t)f->subs[1][2]),
        &ok);
    const struct {
        const char *name;
        const tally *t;
    } tables[] = {{"capture_hosts", &f->hosts},
                  {"optout_holders", &f->holders},
                  {"optout_partners", &f->partners}};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (tables[i].t->capped)
            ex_jpush(capped, json_string(tables[i].name), &ok);
    if (f->cond_rejected[CPF_CONDS_MAX])
        ex_jpush(capped, json_string("conditions"), &ok);
    ex_jset(o, "capped", capped, &ok);
    rc = ok ? ex_json_canonical_dup(o, json, len, &l->err) : EX_ENOMEM;
    json_decref(o);
    return rc == EX_ENOMEM ? ex_fail(&l->err, rc, "out of memory") : rc;
}
