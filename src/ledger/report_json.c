/* report_json.c - the report's JSON (report.h): what the passes counted, sorted and written as
 * one canonical JSON object; docs/REPORT.md names its keys. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* ---- orders ---- */

/* counter i descending, then counter j descending, then the key */
static int
desc(const tally *t, size_t a, size_t b, int i, int j)
{
    const uint64_t *x = t->e[a].v, *y = t->e[b].v;
    if (x[i] != y[i])
        return x[i] < y[i] ? 1 : -1;
    if (x[j] != y[j])
        return x[j] < y[j] ? 1 : -1;
    return tally_key_cmp(t, a, b);
}

static int
by_count(const tally *t, size_t a, size_t b)
{
    return desc(t, a, b, 0, 0);
}

static int
by_items(const tally *t, size_t a, size_t b)
{
    return desc(t, a, b, 0, 1);
}

static int
by_bytes(const tally *t, size_t a, size_t b)
{
    return desc(t, a, b, 1, 0);
}

/* ---- tables ---- */

/* the entries of t in cmp's order (at most max): {k1: first part, k2: second part (composite
 * keys), c1: counter 0, c2: counter 1}, a NULL name leaving that member out */
static json_t *
rows(tally *t, int (*cmp)(const tally *, size_t, size_t), size_t max, const char *k1,
     const char *k2, const char *c1, const char *c2, int *ok)
{
    int sorted;
    size_t *ix = tally_sorted(t, cmp, &sorted);
    json_t *a = json_array();
    if (!a || !sorted)
        *ok = 0;
    for (size_t i = 0; a && ix && i < t->n && i < max; i++) {
        const tally_ent *e = &t->e[ix[i]];
        const char *k = tally_key(t, ix[i]);
        size_t l1 = k2 ? strlen(k) : e->len;
        json_t *o = json_object();
        if (!o)
            *ok = 0;
        else {
            ex_jset(o, k1, ex_jtext(k, l1), ok);
            if (k2)
                ex_jset(o, k2, ex_jtext(k + l1 + 1, e->len > l1 ? e->len - l1 - 1 : 0), ok);
            ex_jset(o, c1, ex_jnum(e->v[0]), ok);
            if (c2)
                ex_jset(o, c2, ex_jnum(e->v[1]), ok);
        }
        ex_jpush(a, o, ok);
    }
    free(ix);
    return a;
}

static json_t *
sources(rep *r, int *ok)
{
    json_t *a = json_array(), *s;
    size_t i;
    json_array_foreach(r->srcs, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *kind = json_string_value(json_object_get(s, "kind"));
        uint64_t zero[TALLY_V] = {0}, *v = tally_find(&r->sources, name, strlen(name));
        if (!v)
            v = zero; /* nothing of it was counted */
        json_t *o = json_object();
        ex_jset(o, "name", json_string(name), ok);
        ex_jset(o, "kind", kind ? json_string(kind) : json_null(), ok);
        ex_jset(o, "items", ex_jnum(v[0]), ok);
        ex_jset(o, "bytes", ex_jnum(v[1]), ok);
        ex_jset(o, "admitted", ex_jnum(v[2]), ok);
        ex_jset(o, "rejected", ex_jnum(v[3]), ok);
        ex_jpush(a, o, ok);
    }
    return a;
}

static int
index_cmp(const void *a, const void *b)
{
    const optout *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static json_t *
optouts(rep *r, int *ok)
{
    json_t *a = json_array();
    qsort(r->opt, r->nopt, sizeof *r->opt, index_cmp);
    static const char *const keep[] = {"holder", "scope", "value"};
    for (size_t i = 0; a && i < r->nopt; i++) {
        json_t *o = json_object();
        for (size_t k = 0; k < 3; k++) {
            json_t *v = json_object_get(r->opt[i].rec, keep[k]);
            ex_jset(o, keep[k], json_is_string(v) ? json_copy(v) : json_null(), ok);
        }
        ex_jset(o, "index", ex_jnum(r->opt[i].index), ok);
        ex_jset(o, "items_reached", ex_jnum(r->opt[i].reached), ok);
        ex_jpush(a, o, ok);
    }
    return a;
}

/* the records of a JSONL listing logged below r->size, each with only the keys named */
static json_t *
listing(rep *r, int (*dup)(ex_ledger *, char **, size_t *), const char *const *keys, size_t n,
        int *rc)
{
    char *jl = NULL;
    size_t len;
    if ((*rc = dup(r->l, &jl, &len)) != EX_OK)
        return NULL;
    json_t *a = json_array();
    int ok = a != NULL;
    for (char *line = jl, *end; ok && line && *line; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        json_t *rec = json_loadb(line, end ? (size_t)(end - line) : strlen(line), 0, NULL);
        json_t *ix = json_object_get(rec, "log_index");
        if (!json_is_integer(ix) || (uint64_t)json_integer_value(ix) >= r->size) {
            json_decref(rec);
            continue;
        }
        json_t *o = json_object();
        for (size_t k = 0; k < n; k++) {
            json_t *v = json_object_get(rec, keys[k]);
            ex_jset(o, keys[k], v ? json_copy(v) : json_null(), &ok);
        }
        ex_jpush(a, o, &ok);
        json_decref(rec);
    }
    free(jl);
    if (!ok) {
        json_decref(a);
        *rc = ex_fail(&r->l->err, EX_ENOMEM, "out of memory");
        return NULL;
    }
    return a;
}

int
report_write(rep *r, char **json, size_t *len)
{
    static const char *const skeys[] = {"created", "log_index", "name", "size"};
    static const char *const mkeys[] = {"kind", "model", "name", "parents", "retired", "snapshots"};
    ex_ledger *l = r->l;
    int ok = 1, rc = EX_OK;
    uint8_t root[EX_HASH_BYTES];
    char b64[64];
    if ((rc = ex_log_root(l->log, r->size, root)) != EX_OK)
        return ex_ledger_fail_log(l, rc);
    ex_b64_encode(root, EX_HASH_BYTES, b64);
    json_t *o = json_object(), *cp = json_object(), *capped = json_array();
    ex_jset(cp, "origin", json_string(l->origin), &ok);
    ex_jset(cp, "root", json_string(b64), &ok);
    ex_jset(cp, "size", ex_jnum(r->size), &ok);
    ex_jset(o, "checkpoint", cp, &ok);
    ex_jset(o, "items", ex_jnum(r->items), &ok);
    ex_jset(o, "bytes", ex_jnum(r->bytes), &ok);
    ex_jset(o, "decisions", ex_jnum(r->decisions), &ok);
    ex_jset(o, "admitted", ex_jnum(r->admitted), &ok);
    ex_jset(o, "rejected", ex_jnum(r->rejected), &ok);
    ex_jset(o, "pending", ex_jnum(r->pending), &ok);
    ex_jset(o, "duplicates", ex_jnum(r->duplicates), &ok);
    ex_jset(o, "by_rule", rows(&r->rules, by_count, SIZE_MAX, "rule", "verdict", "count", NULL, &ok),
        &ok);
    ex_jset(o, "by_time", rows(&r->times, tally_key_cmp, SIZE_MAX, "day", "rule", "count", NULL, &ok), &ok);
    ex_jset(o, "licenses",
        rows(&r->licenses, by_items, SIZE_MAX, "license", NULL, "items", "bytes", &ok), &ok);
    ex_jset(o, "domains",
        rows(&r->domains, by_bytes, REPORT_DOMAINS_TOP, "domain", NULL, "items", "bytes", &ok),
        &ok);
    ex_jset(o, "domains_total", ex_jnum(r->domains.n), &ok);
    ex_jset(o, "sources", sources(r, &ok), &ok);
    ex_jset(o, "optouts", optouts(r, &ok), &ok);
    ex_jset(o, "optout_items", ex_jnum(r->optout_items), &ok);
    const struct {
        const char *name;
        const tally *t;
    } tables[] = {{"by_rule", &r->rules},
                  {"by_time", &r->times},
                  {"domains", &r->domains},
                  {"licenses", &r->licenses},
                  {"sources", &r->sources}};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (tables[i].t->capped)
            ex_jpush(capped, json_string(tables[i].name), &ok);
    ex_jset(o, "capped", capped, &ok);
    json_t *snaps = listing(r, ex_ledger_snapshots_dup, skeys, 4, &rc);
    json_t *models = rc == EX_OK ? listing(r, ex_ledger_models_dup, mkeys, 6, &rc) : NULL;
    if (rc == EX_OK) {
        ex_jset(o, "snapshots", snaps, &ok);
        ex_jset(o, "models", models, &ok);
    } else {
        json_decref(snaps);
    }
    ex_err e = {0};
    if (rc == EX_OK && !ok)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    else if (rc == EX_OK && (rc = ex_json_canonical_dup(o, json, len, &e)) != EX_OK)
        ex_fail(&l->err, rc, "cannot write the report: %s", e.msg);
    json_decref(o);
    return rc;
}
