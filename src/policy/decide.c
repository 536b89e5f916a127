/* decide.c - deciding one item (ex_peval_decide): the rules in order, each working out the
 * facts it needs at most once per item (the host, the robots.txt and tdmrep.json captures in
 * force at fetch time, noai, opt-outs, the license), the first that matches deciding, with
 * its reason and evidence. What the evaluator holds is set up in eval.c. */
#include "policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dedup/near.h"
#include "signals/noai.h"

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
    double opt_j;       /* a near copy of a work: the estimated Jaccard; an ISCC: -distance */
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
    f->h = f->hlen ? ex_peval_host_get(e, f->hostname, f->hlen, 0) : NULL;
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

/* a work's near copy, or an ISCC code close enough (the most similar) */
static int
near_optout(ex_peval *e, facts *f)
{
    const ex_pitem *it = f->it;
    double best = -1;
    for (size_t i = 0; i < e->noptouts; i++) {
        const optout *o = &e->optouts[i];
        double j = -1;
        if (o->scope == EX_OPTOUT_NEAR && it->fp && it->fp_k == o->k && it->fp_bands == o->bands) {
            j = ex_near_fp_jaccard(o->k, it->fp, o->fp);
            if (j + 1e-12 < o->near)
                continue;
        } else if (o->scope == EX_OPTOUT_ISCC && it->iscc) {
            unsigned d = (unsigned)__builtin_popcountll(it->iscc ^ o->iscc);
            if (d > o->distance)
                continue;
            j = 1.0 - d / 64.0;
        } else {
            continue;
        }
        if (j > best)
            best = j, f->opt = o, f->opt_j = o->scope == EX_OPTOUT_ISCC ? -(1.0 - j) * 64 : j;
    }
    return f->opt != NULL;
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
    if (e->nnear && near_optout(e, f))
        return;
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
        host *h = ex_peval_host_get(e, p + 1, strlen(p + 1), 0);
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

/* The status code of a raw response head ("HTTP/1.1 403 Forbidden\r\n..."); 0 without one. */
static int
http_status(const char *h, size_t len)
{
    size_t i = 5;
    if (!h || len < 12 || memcmp(h, "HTTP/", 5) != 0)
        return 0;
    while (i < len && h[i] != ' ' && h[i] != '\r' && h[i] != '\n')
        i++;
    if (i + 4 > len || h[i] != ' ')
        return 0;
    int st = 0;
    for (size_t k = i + 1; k < i + 4; k++) {
        if (h[k] < '0' || h[k] > '9')
            return 0;
        st = st * 10 + (h[k] - '0');
    }
    return i + 4 == len || h[i + 4] == ' ' || h[i + 4] == '\r' || h[i + 4] == '\n' ? st : 0;
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
            if ((hit = f.opt != NULL) && f.opt->scope == EX_OPTOUT_NEAR) {
                SAY("opt-out: %s (a near copy of the work: estimated Jaccard %.2f)",
                    f.opt->label, f.opt_j);
                evidence(out, f.opt->digest);
            } else if (hit && f.opt->scope == EX_OPTOUT_ISCC) {
                SAY("opt-out: %s (ISCC Text-Code within %.0f bits)", f.opt->label, -f.opt_j);
                evidence(out, f.opt->digest);
            } else if (hit) {
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
        case EX_COND_DOMAINS: {
            with_host(e, &f);
            char lower[256];
            size_t k = 0;
            for (; f.hostname[k] && k + 1 < sizeof lower; k++)
                lower[k] = (char)ex_policy_lower((unsigned char)f.hostname[k]);
            lower[k] = 0;
            const char *d = k ? ex_policy_list_match(r, lower) : NULL;
            if ((hit = d != NULL)) {
                if (strcmp(d, lower) == 0)
                    SAY("%s is on the domain list %s (%s)", d, r->args[0], r->list_digest);
                else
                    SAY("%s is under %s, on the domain list %s (%s)", lower, d, r->args[0],
                        r->list_digest);
                evidence(out, r->list_digest);
            }
            break;
        }
        case EX_COND_ACCESS_RESTRICTED: {
            int st = http_status(it->http_headers, it->http_headers_len);
            if ((hit = st == 401 || st == 402 || st == 403))
                SAY("HTTP %d when fetched: access-restricted content (a login, payment or "
                    "permission wall), not circumvented", st);
            break;
        }
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
            if (!f.lic && !(f.lic = ex_peval_lic_get(e, text, &f.scratch))) {
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
            out->cond = r->cond;
            out->rule = r->id;
            if (r->reason)
                cat(out->reason, sizeof out->reason, r->reason, " (", why, ")");
            else
                cat(out->reason, sizeof out->reason, why, NULL, NULL, NULL);
            goto out;
        }
    }
    out->verdict = EX_VERDICT_REJECT;
    out->cond = 0;
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

int
ex_peval_optout(ex_peval *e, const ex_pitem *it, const char **digest)
{
    facts f;
    f.it = it;
    f.h = NULL;
    f.hlen = 0;
    f.have_host = 0;
    f.optout_done = 0;
    f.opt = NULL;
    f.hostname[0] = 0;
    optout_facts(e, &f);
    if (f.opt && digest)
        *digest = f.opt->digest;
    return f.opt != NULL;
}
