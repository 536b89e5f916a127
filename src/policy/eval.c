/* eval.c - deciding items with a policy: first match wins, every decision explained.
 *
 * Per host the evaluator keeps its captures (sorted by fetch time, parsed on first use) and
 * its URL-prefix opt-outs; domain opt-outs are looked up for the host and each parent domain.
 * License expressions are parsed once per distinct string and each license rule's answer is
 * remembered with them, so a rule list is walked with a few table lookups per item. */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "license/license.h"
#include "signals/noai.h"
#include "signals/robots.h"
#include "signals/tdm.h"

typedef struct capture {
    int64_t fetched;
    int status;
    char *body;
    size_t len;
    char digest[EX_DIGEST_STR_BYTES];
    int parsed;       /* body parsed (or found not to parse) */
    ex_robots *robots;
    long *tokens;     /* the policy's agents resolved in robots (ex_robots_resolve) */
    ex_tdmrep *tdmrep;
} capture;

typedef struct caplist {
    capture *v;
    size_t n, cap;
    int sorted;
} caplist;

typedef struct optout {
    int scope;
    char *value;
    char digest[EX_DIGEST_STR_BYTES];
    char *label;
} optout;

typedef struct host {
    char *name;
    caplist robots, tdmrep;
    size_t *prefixes; /* indices into e->optouts */
    size_t nprefixes;
    long domain;      /* a domain opt-out for exactly this name, or -1 */
} host;

typedef struct lic {
    char *text;
    ex_license *l;    /* NULL: unknown (absent, NONE, NOASSERTION) or unparseable */
    int unparsed;     /* the text does not parse */
    char *normal;     /* normalised form, for reasons */
    signed char *ans; /* per rule: -1 not yet known, 0, 1 */
} lic;

typedef struct src {
    char *name, *kind, *ml_use, *license, *terms, *agreement;
} src;

struct ex_peval {
    const ex_policy *p;
    ex_license_set **sets; /* per rule: the license set of a license rule, else NULL */
    host **hosts;          /* open addressing */
    uint64_t *hhash;       /* the hash of each slot's name: compared before following the pointer */
    size_t hcap, hn;
    optout *optouts;
    size_t noptouts;
    uint8_t (*odig)[EX_HASH_BYTES]; /* digest opt-outs */
    size_t *odig_ix;
    size_t nodig;
    int odig_sorted;                /* the set below is built */
    uint32_t *oset;                 /* open addressing: 1 + index into odig, 0 empty */
    size_t ocap;
    lic **lics;            /* license cache, open addressing */
    size_t lcap, ln;
    src *srcs;
    size_t nsrcs;
    const src *last_src;
    size_t ndomains;       /* domain opt-outs */
    char last_fetched[40]; /* the last fetch time parsed, and its value */
    int64_t last_t;
};

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
static host *
host_get(ex_peval *e, const char *name, size_t n, int make)
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
    host *h = host_get(e, name, strlen(name), 1);
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
        host *h = host_get(e, name, strlen(name), 1);
        if (!h)
            rc = EX_ENOMEM;
        else if (h->domain < 0) {
            h->domain = (long)ix;
            e->ndomains++;
        }
    } else if (scope == EX_OPTOUT_URL_PREFIX) {
        char name[256];
        host *h = ex_url_host(value, name) ? host_get(e, name, strlen(name), 1) : NULL;
        size_t *pv = h ? realloc(h->prefixes, (h->nprefixes + 1) * sizeof *pv) : NULL;
        if (!h && ex_url_host(value, name) == 0)
            rc = EX_EINVAL;
        else if (!pv)
            rc = EX_ENOMEM;
        else {
            h->prefixes = pv;
            pv[h->nprefixes++] = ix;
        }
    } else {
        rc = EX_EINVAL;
    }
    if (rc != EX_OK) {
        free(o->value), free(o->label);
        return rc;
    }
    e->noptouts++;
    return EX_OK;
}

/* ---- helpers ---- */

size_t
ex_url_host(const char *url, char out[256])
{
    if (!url)
        return 0;
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    size_t sl = (size_t)(p - url);
    if (!((sl == 4 && strncasecmp(url, "http", 4) == 0) ||
          (sl == 5 && strncasecmp(url, "https", 5) == 0)))
        return 0;
    p += 3;
    size_t end = strcspn(p, "/?#");
    const char *at = memchr(p, '@', end);
    if (at) {
        end -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t n = end;
    if (n && p[0] == '[') { /* IPv6 literal: keep the brackets, drop the port */
        const char *rb = memchr(p, ']', end);
        n = rb ? (size_t)(rb - p) + 1 : end;
    } else {
        const char *colon = memchr(p, ':', end);
        if (colon)
            n = (size_t)(colon - p);
    }
    while (n && p[n - 1] == '.') /* "example.com." is example.com */
        n--;
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = 0;
    return n;
}

static int
cmp_capture(const void *a, const void *b)
{
    const capture *x = a, *y = b;
    return x->fetched < y->fetched ? -1 : x->fetched > y->fetched;
}

/* the capture in force at time t (the latest not after t); t < 0: the latest of all */
static capture *
in_force(caplist *c, int64_t t)
{
    if (c->n == 0)
        return NULL;
    if (!c->sorted) {
        qsort(c->v, c->n, sizeof *c->v, cmp_capture);
        c->sorted = 1;
    }
    if (t < 0)
        return &c->v[c->n - 1];
    size_t lo = 0, hi = c->n; /* first with fetched > t */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->v[mid].fetched <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &c->v[lo - 1] : NULL;
}

/* a hash of all 32 bytes (real digests are uniform, but hand-made ones need not be) */
static uint64_t
prefix64(const uint8_t d[EX_HASH_BYTES])
{
    uint64_t w[4];
    memcpy(w, d, sizeof w);
    return ex_mix64(w[0] ^ w[1] ^ w[2] ^ w[3]);
}

static const src *
find_src(ex_peval *e, const char *name)
{
    if (e->last_src && strcmp(e->last_src->name, name) == 0)
        return e->last_src;
    for (size_t i = 0; i < e->nsrcs; i++)
        if (strcmp(e->srcs[i].name, name) == 0)
            return e->last_src = &e->srcs[i];
    return NULL;
}

/* the cache entry for a license text (NULL text: absent); NULL only when out of memory */
static lic *
lic_get(ex_peval *e, const char *text, lic *scratch)
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
        if (ex_license_parse(t, n, &l, &le) != EX_OK) {
            c->unparsed = 1;
        } else if (ex_license_is_unknown(l)) {
            ex_license_free(l);
        } else {
            ex_buf b = {0};
            if (ex_license_normalize(l, &b) == EX_OK)
                c->normal = ex_buf_take(&b, NULL);
            ex_buf_free(&b);
            c->l = l;
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

/* ---- deciding ---- */

/* what has been worked out about the item so far (each part at most once) */
typedef struct facts {
    const ex_pitem *it;
    const src *s;
    int64_t t;          /* fetch time, -1 unknown */
    char hostname[256];
    size_t hlen;
    host *h;
    int have_host;
    /* robots */
    int robots_done;
    capture *rcap;
    ex_robots_match rm;
    int robots_disallowed;
    /* tdm */
    int tdm_done;
    ex_tdm tdm;
    capture *tcap;
    unsigned tindex;
    /* noai */
    int noai_done;
    ex_noai noai;
    /* optout */
    int optout_done;
    const optout *opt;
    /* license */
    lic *lic;
    lic scratch;
} facts;

static void
with_host(ex_peval *e, facts *f)
{
    if (f->have_host)
        return;
    f->have_host = 1;
    f->hlen = ex_url_host(f->it->url, f->hostname);
    f->h = f->hlen ? host_get(e, f->hostname, f->hlen, 0) : NULL;
}

static int
robots_facts(ex_peval *e, facts *f)
{
    if (f->robots_done)
        return EX_OK;
    f->robots_done = 1;
    with_host(e, f);
    f->rcap = f->h ? in_force(&f->h->robots, f->t) : NULL;
    capture *c = f->rcap;
    if (!c)
        return EX_OK;
    if (!c->parsed) {
        int rc;
        if (c->status >= 200 && c->status < 300) {
            ex_err err;
            rc = ex_robots_parse(c->body, c->len, &c->robots, &err);
        } else {
            rc = ex_robots_from_status(c->status, &c->robots);
            if (rc == EX_EINVAL) /* 1xx or nonsense: treat as unreachable */
                rc = ex_robots_from_status(0, &c->robots);
        }
        if (rc != EX_OK)
            return rc;
        if (e->p->nagents &&
            (!(c->tokens = malloc(e->p->nagents * sizeof *c->tokens)) ||
             ex_robots_resolve(c->robots, (const char *const *)e->p->agents, e->p->nagents,
                               c->tokens) != EX_OK)) {
            free(c->tokens);
            c->tokens = NULL; /* checks resolve the tokens themselves */
        }
        c->parsed = 1;
    }
    const char *url = f->it->url;
    int rc = ex_robots_check_resolved(c->robots, (const char *const *)e->p->agents, c->tokens,
                                      e->p->nagents, url, strlen(url), &f->rm);
    if (rc != EX_OK)
        return rc;
    f->robots_disallowed = !f->rm.allowed;
    return EX_OK;
}

static int
tdm_facts(ex_peval *e, facts *f)
{
    if (f->tdm_done)
        return EX_OK;
    f->tdm_done = 1;
    ex_tdm file, header, meta;
    ex_tdm_clear(&file);
    with_host(e, f);
    f->tcap = f->h ? in_force(&f->h->tdmrep, f->t) : NULL;
    capture *c = f->tcap;
    if (c && c->status >= 200 && c->status < 300) {
        if (!c->parsed) {
            ex_err err;
            int rc = ex_tdmrep_parse(c->body, c->len, &c->tdmrep, &err);
            if (rc == EX_ENOMEM)
                return rc;
            c->parsed = 1; /* a file that does not parse states nothing */
        }
        if (c->tdmrep && ex_tdmrep_match(c->tdmrep, f->it->url, strlen(f->it->url), &file,
                                         &f->tindex) != EX_OK)
            ex_tdm_clear(&file);
    }
    ex_tdm_from_headers(f->it->http_headers, f->it->http_headers ? f->it->http_headers_len : 0,
                        &header);
    ex_tdm_from_html(f->it->html_head, f->it->html_head ? f->it->html_head_len : 0, &meta);
    ex_tdm_resolve(&file, &header, &meta, &f->tdm);
    return EX_OK;
}

static int
noai_facts(ex_peval *e, facts *f)
{
    if (f->noai_done)
        return EX_OK;
    f->noai_done = 1;
    return ex_noai_check(f->it->http_headers, f->it->http_headers ? f->it->http_headers_len : 0,
                         f->it->html_head, f->it->html_head ? f->it->html_head_len : 0,
                         (const char *const *)e->p->agents, e->p->nagents, &f->noai);
}

static void
optout_facts(ex_peval *e, facts *f)
{
    if (f->optout_done)
        return;
    f->optout_done = 1;
    uint8_t d[EX_HASH_BYTES];
    const uint8_t *dg = f->it->digest_raw;
    if (e->nodig && !dg && f->it->digest && ex_digest_parse(f->it->digest, d) == EX_OK)
        dg = d;
    if (e->nodig && dg) {
        if (!e->odig_sorted) {
            size_t cap = 16;
            while (cap < e->nodig * 2)
                cap *= 2;
            uint32_t *set = calloc(cap, sizeof *set);
            if (set) {
                for (size_t i = 0; i < e->nodig; i++) {
                    size_t j = prefix64(e->odig[i]) & (cap - 1);
                    while (set[j])
                        j = (j + 1) & (cap - 1);
                    set[j] = (uint32_t)i + 1;
                }
                free(e->oset);
                e->oset = set;
                e->ocap = cap;
                e->odig_sorted = 1;
            }
        }
        if (e->oset) {
            for (size_t j = prefix64(dg) & (e->ocap - 1); e->oset[j]; j = (j + 1) & (e->ocap - 1))
                if (memcmp(e->odig[e->oset[j] - 1], dg, EX_HASH_BYTES) == 0) {
                    f->opt = &e->optouts[e->odig_ix[e->oset[j] - 1]];
                    return;
                }
        }
    }
    with_host(e, f);
    if (!f->hlen)
        return;
    if (f->h)
        for (size_t i = 0; i < f->h->nprefixes; i++) {
            const optout *o = &e->optouts[f->h->prefixes[i]];
            if (strncmp(f->it->url, o->value, strlen(o->value)) == 0) {
                f->opt = o;
                return;
            }
        }
    /* the host and each parent domain (opt-out domains have a dot: "com" alone is none) */
    if (!e->ndomains)
        return;
    if (f->h && f->h->domain >= 0) {
        f->opt = &e->optouts[f->h->domain];
        return;
    }
    for (const char *p = strchr(f->hostname, '.'); p && strchr(p + 1, '.'); p = strchr(p + 1, '.')) {
        host *h = host_get(e, p + 1, strlen(p + 1), 0);
        if (h && h->domain >= 0) {
            f->opt = &e->optouts[h->domain];
            return;
        }
    }
}

static void
evidence(ex_pdecision *d, const char *digest)
{
    if (digest && *digest && d->nevidence < EX_PEVAL_EVIDENCE_MAX)
        snprintf(d->evidence[d->nevidence++], sizeof d->evidence[0], "%s", digest);
}

/* does the source test t hold for s? */
static int
source_test(const src *s, const char *t)
{
    if (strcmp(t, "agreement") == 0)
        return s->agreement != NULL;
    if (strcmp(t, "terms") == 0)
        return s->terms != NULL;
    if (strncmp(t, "ml-use=", 7) == 0)
        return strcmp(s->ml_use, t + 7) == 0;
    if (strncmp(t, "kind=", 5) == 0)
        return strcmp(s->kind, t + 5) == 0;
    if (strncmp(t, "name=", 5) == 0)
        return strcmp(s->name, t + 5) == 0;
    return 0;
}

#define SAY(...) snprintf(why, sizeof why, __VA_ARGS__)

/* out = a b c d (any may be NULL), cut to cap - 1 bytes: the common reasons without printf */
static void
cat(char *out, size_t cap, const char *a, const char *b, const char *c, const char *d)
{
    const char *parts[4] = {a, b, c, d};
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (!parts[i])
            continue;
        size_t k = strlen(parts[i]);
        if (k > cap - 1 - n)
            k = cap - 1 - n;
        memcpy(out + n, parts[i], k);
        n += k;
    }
    out[n] = 0;
}

int
ex_peval_decide(ex_peval *e, const ex_pitem *it, ex_pdecision *out)
{
    facts f; /* the large buffers are written before they are read: zero only the flags */
    f.it = it;
    f.h = NULL;
    f.hlen = 0;
    f.have_host = f.robots_done = f.robots_disallowed = f.tdm_done = f.noai_done = 0;
    f.optout_done = 0;
    f.rcap = f.tcap = NULL;
    f.opt = NULL;
    f.lic = NULL;
    f.scratch.text = NULL;
    f.hostname[0] = 0;
    if (!(f.s = find_src(e, it->source)))
        return EX_ENOTFOUND;
    if (!it->fetched) {
        f.t = -1;
    } else if (strcmp(it->fetched, e->last_fetched) == 0) {
        f.t = e->last_t; /* items of one crawl share fetch times more often than not */
    } else {
        if (ex_time_parse(it->fetched, &f.t) != EX_OK)
            f.t = -1;
        if (strlen(it->fetched) < sizeof e->last_fetched) {
            strcpy(e->last_fetched, it->fetched);
            e->last_t = f.t;
        }
    }
    int rc = EX_OK;
    char why[EX_PEVAL_REASON_MAX - 200];
    out->nevidence = 0;
    const ex_policy *p = e->p;
    for (size_t i = 0; i < p->nrules; i++) {
        const ex_policy_rule *r = &p->rules[i];
        int hit = 0;
        out->nevidence = 0;
        why[0] = 0;
        switch (r->cond) {
        case EX_COND_ANY:
            hit = 1;
            cat(why, sizeof why, "catch-all rule", NULL, NULL, NULL);
            break;
        case EX_COND_OPTOUT:
            optout_facts(e, &f);
            if ((hit = f.opt != NULL)) {
                SAY("opt-out: %s", f.opt->label);
                evidence(out, f.opt->digest);
            }
            break;
        case EX_COND_ROBOTS_DISALLOWED:
        case EX_COND_ROBOTS_UNKNOWN:
            if (!it->url)
                break;
            with_host(e, &f);
            if (!f.hlen)
                break;
            if ((rc = robots_facts(e, &f)) != EX_OK)
                goto out;
            if (r->cond == EX_COND_ROBOTS_UNKNOWN) {
                if ((hit = f.rcap == NULL)) {
                    if (f.t >= 0) {
                        char t[32];
                        ex_time_format(f.t, t);
                        SAY("no robots.txt capture of %s fetched before %s", f.hostname, t);
                    } else {
                        SAY("no robots.txt capture of %s", f.hostname);
                    }
                }
                break;
            }
            if ((hit = f.rcap && f.robots_disallowed)) {
                char t[32];
                ex_time_format(f.rcap->fetched, t);
                if (f.rm.line)
                    SAY("robots.txt of %s fetched %s, line %u: %s (for %s)", f.hostname, t,
                        f.rm.line, f.rm.rule, f.rm.agent);
                else if (f.rcap->status == 0)
                    SAY("robots.txt of %s was unreachable at %s: everything disallowed",
                        f.hostname, t);
                else
                    SAY("robots.txt of %s answered %d at %s: everything disallowed", f.hostname,
                        f.rcap->status, t);
                evidence(out, f.rcap->digest);
            }
            break;
        case EX_COND_TDM_RESERVED:
            if ((rc = tdm_facts(e, &f)) != EX_OK)
                goto out;
            if ((hit = f.tdm.reservation == 1)) {
                if (f.tdm.source == EX_TDM_FROM_FILE && f.tcap) {
                    char t[32];
                    ex_time_format(f.tcap->fetched, t);
                    const char *loc = "?";
                    int res;
                    const char *pol;
                    ex_tdmrep_rule(f.tcap->tdmrep, f.tindex, &loc, &res, &pol);
                    SAY("tdmrep.json of %s fetched %s, rule %u (location %s): tdm-reservation 1",
                        f.hostname, t, f.tindex + 1, loc);
                    evidence(out, f.tcap->digest);
                } else if (f.tdm.source == EX_TDM_FROM_HEADER) {
                    SAY("HTTP header tdm-reservation: 1 at fetch time");
                } else {
                    SAY("<meta name=\"tdm-reservation\" content=\"1\"> in the page");
                }
                if (f.tdm.policy[0]) {
                    size_t n = strlen(why);
                    snprintf(why + n, sizeof why - n, "; tdm-policy %s", f.tdm.policy);
                }
            }
            break;
        case EX_COND_NOAI:
        case EX_COND_NOIMAGEAI:
            if ((rc = noai_facts(e, &f)) != EX_OK)
                goto out;
            hit = r->cond == EX_COND_NOAI ? f.noai.noai : f.noai.noimageai;
            if (hit)
                SAY("%s: %s", r->cond == EX_COND_NOAI ? "noai" : "noimageai", f.noai.where);
            break;
        case EX_COND_SOURCE:
            hit = 1;
            for (size_t a = 0; hit && a < r->nargs; a++)
                hit = source_test(f.s, r->args[a]);
            if (hit) {
                size_t n = (size_t)SAY("source %s:", f.s->name);
                for (size_t a = 0; a < r->nargs && n < sizeof why; a++)
                    n += (size_t)snprintf(why + n, sizeof why - n, " %s", r->args[a]);
                for (size_t a = 0; a < r->nargs; a++) {
                    if (strcmp(r->args[a], "agreement") == 0)
                        evidence(out, f.s->agreement);
                    if (strcmp(r->args[a], "terms") == 0)
                        evidence(out, f.s->terms);
                }
            }
            break;
        case EX_COND_LICENSE:
        case EX_COND_LICENSE_UNKNOWN: {
            const char *text = it->license ? it->license : f.s->license;
            if (!f.lic && !(f.lic = lic_get(e, text, &f.scratch))) {
                rc = EX_ENOMEM;
                goto out;
            }
            lic *c = f.lic;
            if (r->cond == EX_COND_LICENSE_UNKNOWN) {
                if ((hit = c->l == NULL)) {
                    if (!text || !*text)
                        SAY("no license declared");
                    else if (c->unparsed)
                        SAY("license '%s' is not a valid SPDX expression", text);
                    else
                        SAY("license %s", text);
                }
                break;
            }
            if (!c->l)
                break;
            if (c->ans[i] < 0)
                c->ans[i] = (signed char)(r->verdict == EX_VERDICT_ADMIT
                                              ? ex_license_admits(c->l, e->sets[i])
                                              : ex_license_all_in(c->l, e->sets[i]));
            if ((hit = c->ans[i] == 1)) {
                const char *shown = c->normal ? c->normal : text;
                cat(why, sizeof why, "license ", shown,
                    it->license ? NULL : " (the source's default)",
                    r->verdict == EX_VERDICT_ADMIT
                        ? " can be satisfied with the listed licenses"
                        : ": every way to satisfy it uses a listed license");
            }
            break;
        }
        default:
            break;
        }
        if (hit) {
            out->verdict = r->verdict;
            out->rule = r->id;
            if (r->reason)
                cat(out->reason, sizeof out->reason, r->reason, " (", why, ")");
            else
                cat(out->reason, sizeof out->reason, why, NULL, NULL, NULL);
            goto out;
        }
    }
    out->verdict = EX_VERDICT_REJECT;
    out->rule = "no-rule";
    out->nevidence = 0;
    snprintf(out->reason, sizeof out->reason, "no rule of the policy matched");
out:
    if (f.scratch.text) {
        free(f.scratch.text), ex_license_free(f.scratch.l), free(f.scratch.normal),
            free(f.scratch.ans);
    }
    return rc;
}
