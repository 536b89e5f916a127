/* eval.c - deciding items with a policy: first match wins, every decision explained. This file
 * holds the evaluator: the policy compiled, the facts it decides with (sources, captures,
 * opt-outs) and the license cache; the decision itself is in decide.c.
 *
 * Per host the evaluator keeps its captures (sorted by fetch time, parsed on first use) and
 * its URL-prefix opt-outs; domain opt-outs are looked up for the host and each parent domain.
 * License expressions are parsed once per distinct string and each license rule's answer is
 * remembered with them, so a rule list is walked with a few table lookups per item. */
#include "policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIC_CACHE_MAX 65536 /* distinct license strings remembered; more are parsed each time */

/* ---- validation ---- */

int
ex_policy_validate(const ex_policy *p, ex_policy_err *err)
{
    for (size_t i = 0; i < p->nrules; i++) {
        const ex_policy_rule *r = &p->rules[i];
        if (r->cond != EX_COND_LICENSE)
            continue;
        ex_license_set *set;
        if (ex_license_set_new(&set) != EX_OK)
            return EX_ENOMEM;
        for (size_t a = 0; a < r->nargs; a++) {
            ex_license_err le;
            memset(&le, 0, sizeof le);
            int rc = ex_license_set_add(set, r->args[a], &le);
            if (rc != EX_OK) {
                ex_license_set_free(set);
                if (rc == EX_ENOMEM)
                    return rc;
                if (err) {
                    err->line = r->line;
                    err->column = 0;
                    snprintf(err->msg, sizeof err->msg, "rule %.63s: '%.60s': %.100s", r->id,
                             r->args[a], le.msg);
                }
                return EX_EFORMAT;
            }
        }
        ex_license_set_free(set);
    }
    return EX_OK;
}

/* ---- construction ---- */

int
ex_peval_new(const ex_policy *p, ex_peval **out, ex_policy_err *err)
{
    int rc = ex_policy_validate(p, err);
    if (rc != EX_OK)
        return rc;
    ex_peval *e = calloc(1, sizeof *e);
    if (!e || !(e->sets = calloc(p->nrules ? p->nrules : 1, sizeof *e->sets))) {
        free(e);
        return EX_ENOMEM;
    }
    e->p = p;
    for (size_t i = 0; i < p->nrules; i++) {
        const ex_policy_rule *r = &p->rules[i];
        if (r->cond != EX_COND_LICENSE)
            continue;
        if (ex_license_set_new(&e->sets[i]) != EX_OK) {
            ex_peval_free(e);
            return EX_ENOMEM;
        }
        for (size_t a = 0; a < r->nargs; a++) {
            ex_license_err le;
            if (ex_license_set_add(e->sets[i], r->args[a], &le) != EX_OK) {
                ex_peval_free(e);
                return EX_ENOMEM; /* validated above: only memory can fail */
            }
        }
    }
    *out = e;
    return EX_OK;
}

static void
caplist_free(caplist *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].body);
        free(c->v[i].tokens);
        ex_robots_free(c->v[i].robots);
        ex_tdmrep_free(c->v[i].tdmrep);
    }
    free(c->v);
}

void
ex_peval_free(ex_peval *e)
{
    if (!e)
        return;
    for (size_t i = 0; e->sets && i < e->p->nrules; i++)
        ex_license_set_free(e->sets[i]);
    free(e->sets);
    for (size_t i = 0; i < e->hcap; i++) {
        host *h = e->hosts[i];
        if (!h)
            continue;
        free(h->name);
        caplist_free(&h->robots);
        caplist_free(&h->tdmrep);
        free(h->prefixes);
        free(h);
    }
    free(e->hosts);
    free(e->hhash);
    for (size_t i = 0; i < e->noptouts; i++) {
        free(e->optouts[i].value);
        free(e->optouts[i].label);
        free(e->optouts[i].fp);
    }
    free(e->optouts);
    free(e->odig);
    free(e->odig_ix);
    free(e->oset);
    for (size_t i = 0; i < e->lcap; i++) {
        lic *c = e->lics[i];
        if (!c)
            continue;
        free(c->text);
        ex_license_free(c->l);
        free(c->normal);
        free(c->ans);
        free(c);
    }
    free(e->lics);
    for (size_t i = 0; i < e->nsrcs; i++) {
        src *s = &e->srcs[i];
        free(s->name), free(s->kind), free(s->ml_use), free(s->license), free(s->terms),
            free(s->agreement);
    }
    free(e->srcs);
    free(e);
}

static char *
dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

int
ex_peval_add_source(ex_peval *e, const ex_psource *s)
{
    src *v = realloc(e->srcs, (e->nsrcs + 1) * sizeof *v);
    if (!v)
        return EX_ENOMEM;
    e->srcs = v;
    e->last_src = NULL;
    src *n = &v[e->nsrcs];
    n->name = dup_opt(s->name);
    n->kind = dup_opt(s->kind ? s->kind : "other");
    n->ml_use = dup_opt(s->ml_use ? s->ml_use : "unknown");
    n->license = dup_opt(s->license);
    n->terms = dup_opt(s->terms);
    n->agreement = dup_opt(s->agreement);
    if (!n->name || !n->kind || !n->ml_use || (s->license && !n->license) ||
        (s->terms && !n->terms) || (s->agreement && !n->agreement)) {
        free(n->name), free(n->kind), free(n->ml_use), free(n->license), free(n->terms),
            free(n->agreement);
        return EX_ENOMEM;
    }
    e->nsrcs++;
    return EX_OK;
}

/* the host record for name[0..n), made if `make` */
host *
ex_peval_host_get(ex_peval *e, const char *name, size_t n, int make)
{
    uint64_t hv = ex_mix64(ex_fnv1a64(name, n));
    if (e->hcap) {
        for (size_t j = hv & (e->hcap - 1); e->hosts[j]; j = (j + 1) & (e->hcap - 1))
            if (e->hhash[j] == hv && strncmp(e->hosts[j]->name, name, n) == 0 &&
                e->hosts[j]->name[n] == 0)
                return e->hosts[j];
    }
    if (!make)
        return NULL;
    if ((e->hn + 1) * 2 > e->hcap) {
        size_t cap = e->hcap ? e->hcap * 2 : 64;
        host **v = calloc(cap, sizeof *v);
        uint64_t *hh = calloc(cap, sizeof *hh);
        if (!v || !hh) {
            free(v);
            free(hh);
            return NULL;
        }
        for (size_t i = 0; i < e->hcap; i++) {
            if (!e->hosts[i])
                continue;
            size_t j = e->hhash[i] & (cap - 1);
            while (v[j])
                j = (j + 1) & (cap - 1);
            v[j] = e->hosts[i];
            hh[j] = e->hhash[i];
        }
        free(e->hosts);
        free(e->hhash);
        e->hosts = v;
        e->hhash = hh;
        e->hcap = cap;
    }
    host *h = calloc(1, sizeof *h);
    if (!h || !(h->name = strndup(name, n))) {
        free(h);
        return NULL;
    }
    h->domain = -1;
    size_t j = hv & (e->hcap - 1);
    while (e->hosts[j])
        j = (j + 1) & (e->hcap - 1);
    e->hosts[j] = h;
    e->hhash[j] = hv;
    e->hn++;
    return h;
}

static void
lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

int
ex_peval_add_capture(ex_peval *e, int kind, const char *hostname, int64_t fetched, int status,
                     const char *body, size_t len, const char *digest)
{
    if ((kind != EX_CAPTURE_ROBOTS && kind != EX_CAPTURE_TDMREP) || !hostname || !digest)
        return EX_EINVAL;
    char name[256];
    snprintf(name, sizeof name, "%s", hostname);
    lower(name);
    host *h = ex_peval_host_get(e, name, strlen(name), 1);
    if (!h)
        return EX_ENOMEM;
    caplist *c = kind == EX_CAPTURE_ROBOTS ? &h->robots : &h->tdmrep;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 2;
        capture *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return EX_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    capture *k = &c->v[c->n];
    memset(k, 0, sizeof *k);
    k->fetched = fetched;
    k->status = status;
    k->len = body ? len : 0;
    if (!(k->body = malloc(k->len + 1)))
        return EX_ENOMEM;
    if (k->len)
        memcpy(k->body, body, k->len);
    k->body[k->len] = 0;
    snprintf(k->digest, sizeof k->digest, "%s", digest);
    c->n++;
    c->sorted = 0;
    return EX_OK;
}

int
ex_peval_add_optout_near(ex_peval *e, const uint8_t *fp, unsigned k, unsigned bands,
                         double near, const char *digest, const char *label)
{
    if (!fp || !k || !bands || !(near >= 0 && near <= 1) || !digest)
        return EX_EINVAL;
    if (near == 0)
        near = e->p->near; /* the policy's */
    int rc = ex_peval_add_optout(e, EX_OPTOUT_NEAR, digest, digest, label);
    if (rc != EX_OK)
        return rc;
    optout *o = &e->optouts[e->noptouts - 1];
    if (!(o->fp = malloc(k)))
        return EX_ENOMEM;
    memcpy(o->fp, fp, k);
    o->k = k, o->bands = bands, o->near = near;
    e->nnear++;
    return EX_OK;
}

int
ex_peval_add_optout_iscc(ex_peval *e, uint64_t code, unsigned distance, const char *digest,
                         const char *label)
{
    if (!digest || distance > 64)
        return EX_EINVAL;
    int rc = ex_peval_add_optout(e, EX_OPTOUT_ISCC, digest, digest, label);
    if (rc != EX_OK)
        return rc;
    optout *o = &e->optouts[e->noptouts - 1];
    o->iscc = code, o->distance = distance;
    e->nnear++;
    return EX_OK;
}

int
ex_peval_add_optout(ex_peval *e, int scope, const char *value, const char *digest,
                    const char *label)
{
    if (!value || !digest)
        return EX_EINVAL;
    optout *v = realloc(e->optouts, (e->noptouts + 1) * sizeof *v);
    if (!v)
        return EX_ENOMEM;
    e->optouts = v;
    optout *o = &v[e->noptouts];
    memset(o, 0, sizeof *o);
    o->scope = scope;
    o->value = strdup(value);
    o->label = strdup(label ? label : value);
    snprintf(o->digest, sizeof o->digest, "%s", digest);
    if (!o->value || !o->label) {
        free(o->value), free(o->label);
        return EX_ENOMEM;
    }
    size_t ix = e->noptouts;
    int rc = EX_OK;
    if (scope == EX_OPTOUT_DIGEST) {
        uint8_t d[EX_HASH_BYTES];
        if (ex_digest_parse(value, d) != EX_OK)
            rc = EX_EINVAL;
        uint8_t(*dv)[EX_HASH_BYTES] = rc ? NULL : realloc(e->odig, (e->nodig + 1) * sizeof *dv);
        size_t *iv = rc || !dv ? NULL : realloc(e->odig_ix, (e->nodig + 1) * sizeof *iv);
        if (dv)
            e->odig = dv;
        if (iv)
            e->odig_ix = iv;
        if (rc == EX_OK && (!dv || !iv))
            rc = EX_ENOMEM;
        if (rc == EX_OK) {
            memcpy(e->odig[e->nodig], d, EX_HASH_BYTES);
            e->odig_ix[e->nodig++] = ix;
            e->odig_sorted = 0;
        }
    } else if (scope == EX_OPTOUT_DOMAIN) {
        char name[256];
        snprintf(name, sizeof name, "%s", value);
        lower(name);
        host *h = ex_peval_host_get(e, name, strlen(name), 1);
        if (!h)
            rc = EX_ENOMEM;
        else if (h->domain < 0) {
            h->domain = (long)ix;
            e->ndomains++;
        }
    } else if (scope == EX_OPTOUT_URL_PREFIX) {
        char name[256];
        host *h = ex_url_host(value, name) ? ex_peval_host_get(e, name, strlen(name), 1) : NULL;
        size_t *pv = h ? realloc(h->prefixes, (h->nprefixes + 1) * sizeof *pv) : NULL;
        if (!h && ex_url_host(value, name) == 0)
            rc = EX_EINVAL;
        else if (!pv)
            rc = EX_ENOMEM;
        else {
            h->prefixes = pv;
            pv[h->nprefixes++] = ix;
        }
    } else if (scope != EX_OPTOUT_NEAR && scope != EX_OPTOUT_ISCC) { /* those: the caller's */
        rc = EX_EINVAL;
    }
    if (rc != EX_OK) {
        free(o->value), free(o->label);
        return rc;
    }
    e->noptouts++;
    return EX_OK;
}

/* ---- the license cache ---- */

/* the cache entry for a license text (NULL text: absent); NULL only when out of memory */
lic *
ex_peval_lic_get(ex_peval *e, const char *text, lic *scratch)
{
    const char *t = text ? text : "";
    size_t n = strlen(t);
    size_t j = 0;
    if (e->lcap) {
        for (j = ex_mix64(ex_fnv1a64(t, n)) & (e->lcap - 1); e->lics[j];
             j = (j + 1) & (e->lcap - 1))
            if (strcmp(e->lics[j]->text, t) == 0)
                return e->lics[j];
    }
    lic *c;
    int cached = e->ln < LIC_CACHE_MAX;
    if (cached && (e->ln + 1) * 2 > e->lcap) {
        size_t cap = e->lcap ? e->lcap * 2 : 256;
        lic **v = calloc(cap, sizeof *v);
        if (!v)
            return NULL;
        for (size_t i = 0; i < e->lcap; i++) {
            if (!e->lics[i])
                continue;
            const char *key = e->lics[i]->text;
            size_t k = ex_mix64(ex_fnv1a64(key, strlen(key))) & (cap - 1);
            while (v[k])
                k = (k + 1) & (cap - 1);
            v[k] = e->lics[i];
        }
        free(e->lics);
        e->lics = v;
        e->lcap = cap;
    }
    if (cached) {
        if (!(c = calloc(1, sizeof *c)))
            return NULL;
    } else {
        c = scratch; /* fresh for each decide: lic_get runs once per item */
        memset(c, 0, sizeof *c);
    }
    c->text = strdup(t);
    c->ans = malloc(e->p->nrules ? e->p->nrules : 1);
    if (!c->text || !c->ans) {
        free(c->text), free(c->ans);
        if (cached)
            free(c);
        else
            memset(c, 0, sizeof *c);
        return NULL;
    }
    memset(c->ans, -1, e->p->nrules);
    if (n) {
        ex_license_err le;
        ex_license *l = NULL;
        /* out of memory is no answer about the license: taken as "unparsed" it rejected an
         * item a license rule admits, and the run went on (tests/cli/test_faults.sh) */
        int rc = ex_license_parse(t, n, &l, &le);
        if (rc == EX_OK && !ex_license_is_unknown(l)) {
            ex_buf b = {0};
            if ((rc = ex_license_normalize(l, &b)) == EX_OK)
                c->normal = ex_buf_take(&b, NULL);
            ex_buf_free(&b);
            c->l = l;
        } else if (rc == EX_OK) {
            ex_license_free(l);
        } else if (rc != EX_ENOMEM) {
            c->unparsed = 1;
        }
        if (rc == EX_ENOMEM) {
            ex_license_free(c->l);
            free(c->normal), free(c->text), free(c->ans);
            if (cached)
                free(c);
            else
                memset(c, 0, sizeof *c);
            return NULL;
        }
    }
    if (cached) {
        for (j = ex_mix64(ex_fnv1a64(t, n)) & (e->lcap - 1); e->lics[j];
             j = (j + 1) & (e->lcap - 1))
            ;
        e->lics[j] = c;
        e->ln++;
    }
    return c;
}
