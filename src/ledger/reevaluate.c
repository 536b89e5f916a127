/* reevaluate.c - decide earlier items again under the current policy and opt-outs (exante.h),
 * in two passes over the items, logged in batches of decisions only (pipeline.h):
 *
 *   1. every first occurrence whose latest decision was made under another policy (or none:
 *      pending), or would now come out differently, gets a new decision naming the one it
 *      supersedes; a rejection carried over from another occurrence stays while that
 *      occurrence still carries its reservation;
 *   2. every occurrence, copies included, whose own decision is a rejection that follows
 *      content (an opt-out, tdm-reserved, noai; robots-disallowed under `near-rejected`)
 *      rejects its content's first occurrence and near-duplicate cluster where they are
 *      admitted (follow.c), as ingest does; a copy carrying one is decided for itself too.
 *
 * So a ledger recorded before reservations followed content comes to the state an ingest
 * would leave now, and a second reevaluate adds nothing. The run (pipeline.h) is the
 * ingest's, without readers: its batcher, policy and near-duplicate index. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "dedup/near.h"

#define REEVAL_BATCH 10000
#define REEVAL_CHUNK 4096 /* items read per scan; their new decisions are written after it */

/* a carrier found in pass 2's chunk: spread after the chunk's scan */
typedef struct carrier {
    uint64_t id, copy_of, latest; /* latest: its decision, when a copy is decided anew */
    uint8_t prov[EX_HASH_BYTES];
    int copy_duplicate;           /* a copy still recorded as a duplicate */
    char source[EX_SOURCE_NAME_MAX];
    ex_pdecision pd;
} carrier;

typedef struct reeval {
    run r;
    uint64_t *latest;       /* per item id: its latest decision id, 0 none */
    uint64_t nlatest;
    int pass;
    carrier *cs;            /* pass 2: the chunk's carriers */
    size_t ncs;
} reeval;

static int
note_latest(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)data;
    (void)len;
    reeval *v = ctx;
    if (key > 0 && (uint64_t)key < v->nlatest && id > v->latest[key])
        v->latest[key] = id;
    return EX_OK;
}

static const char *
jstr(json_t *o, const char *k, size_t *len)
{
    json_t *x = json_object_get(o, k);
    if (len)
        *len = json_string_length(x);
    return json_string_value(x);
}

static void
count_rule(ex_ingest_stats *st, const char *rule)
{
    size_t i = 0;
    while (i < st->nrules && strcmp(st->by_rule[i].id, rule) != 0)
        i++;
    if (i < st->nrules)
        st->by_rule[i].count++;
    else if (st->nrules < EX_STATS_RULES_MAX) {
        snprintf(st->by_rule[i].id, sizeof st->by_rule[0].id, "%s", rule);
        st->by_rule[st->nrules++].count = 1;
    }
}

/* d as item id's new decision in the batch being filled */
static int
add_decision(reeval *v, uint64_t id, const dec *d)
{
    batcher *w = &v->r.w;
    pending *p;
    int rc = bat_slot(w, &p);
    if (rc != EX_OK)
        return rc;
    memset(p, 0, sizeof *p);
    p->item_id = id;
    p->decision = w->b->arena.len;
    if ((rc = rec_decision(NULL, w->source, d, &w->b->arena)) != EX_OK)
        return bat_fail(w, rc, "cannot record decision: %s", ex_strerror(rc));
    p->decision_len = w->b->arena.len - p->decision;
    if ((rc = ex_merkle_leaf(v->r.h, w->b->arena.data + p->decision, p->decision_len,
                             w->b->leaves[w->b->np])) != EX_OK)
        return bat_fail(w, rc, "hashing failed");
    w->b->np++;
    if (d->verdict[0] == 'a')
        v->r.st.admitted++;
    else
        v->r.st.rejected++;
    count_rule(&v->r.st, d->rule);
    return EX_OK;
}

/* item id's fingerprint (into fp) and ISCC code, as recorded; *has 0 without one */
static int
item_fp(reeval *v, uint64_t id, uint8_t *fp, int *has, uint64_t *iscc)
{
    ex_store *st = v->r.l->st;
    uint8_t *rec = NULL;
    size_t len;
    int64_t key = 0;
    *has = 0, *iscc = 0;
    int rc = st->ops->rec_get_dup(st, EX_TAB_NEAR, id, &key, &rec, &len);
    if (rc == EX_ENOTFOUND)
        return EX_OK; /* recorded before fingerprints were */
    if (rc != EX_OK)
        return bat_fail(&v->r.w, rc, "cannot read the fingerprint of item %llu: %s",
                        (unsigned long long)id, ex_store_errmsg(st));
    const uint8_t *f = ex_near_record_fp(rec, len, v->r.near_k, v->r.near_bands);
    if (f) {
        memcpy(fp, f, v->r.near_k);
        *has = 1;
    }
    *iscc = (uint64_t)key;
    free(rec);
    return EX_OK;
}

/* 1 if item `from`'s content still carries a reservation (its latest decision says so) */
static int
still_carried(reeval *v, uint64_t from)
{
    said s;
    int rc = follow_latest(&v->r, from, &s);
    if (rc < 0)
        return rc;
    return rc == 1 && strcmp(s.verdict, "reject") == 0 && s.reservation[0] && !s.carried_by;
}

/* pass 1 for item id (record data), whose latest decision is od */
static int
redecide(reeval *v, uint64_t id, const void *data, size_t len, json_t *od,
         json_t *it, const ex_pdecision *pd)
{
    const char *verdict = jstr(od, "verdict", NULL), *opol = jstr(od, "policy", NULL),
               *orule = jstr(od, "rule", NULL), *ores = jstr(od, "reservation", NULL);
    json_t *carried = json_object_get(od, "carried_by");
    int follows = pd->verdict == EX_VERDICT_REJECT && ex_policy_follows(v->r.pol, pd->cond);
    if (json_is_integer(carried) && !follows) {
        /* a rejection carried over from another occurrence: kept while it carries */
        int rc = still_carried(v, (uint64_t)json_integer_value(carried));
        if (rc != 0)
            return rc < 0 ? rc : EX_OK;
    }
    const char *nv = pd->verdict == EX_VERDICT_ADMIT ? "admit" : "reject";
    int same = opol && strcmp(opol, v->r.pdig) == 0 && verdict && strcmp(verdict, nv) == 0 &&
               orule && strcmp(orule, pd->rule) == 0 && !json_is_integer(carried) &&
               !!ores == follows;
    if (same) /* same policy, same outcome: nothing new to record */
        return EX_OK;
    char prov[EX_DIGEST_STR_BYTES];
    uint8_t pdg[EX_HASH_BYTES];
    int rc = ex_sha256_digest(v->r.h, data, len, pdg);
    if (rc != EX_OK)
        return bat_fail(&v->r.w, rc, "hashing failed");
    ex_digest_format(pdg, prov);
    dec d = {id, 0, v->latest[id], jstr(it, "digest", NULL), prov, v->r.pdig, nv, pd->rule,
             pd->reason, (const char(*)[EX_DIGEST_STR_BYTES])pd->evidence, pd->nevidence,
             TAIL_NONE, follows ? ex_policy_cond_name(pd->cond) : NULL, 0, 0, NULL};
    return add_decision(v, id, &d);
}

/* decide item `id` again (pass 1), or note it as a carrier (pass 2) */
static int
reeval_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key; /* items have none in the store */
    reeval *v = ctx;
    run *r = &v->r;
    if (id >= v->nlatest || !v->latest[id])
        return EX_OK;
    uint8_t *old;
    size_t olen;
    ex_store *st = r->l->st;
    int rc = st->ops->rec_get_dup(st, EX_TAB_DECISIONS, v->latest[id], NULL, &old, &olen);
    if (rc != EX_OK)
        return bat_fail(&r->w, rc, "cannot read decision %llu: %s",
                        (unsigned long long)v->latest[id], ex_store_errmsg(st));
    json_t *od = json_loadb((const char *)old, olen, 0, NULL);
    free(old);
    json_t *it = json_loadb(data, len, 0, NULL);
    if (!od || !it) {
        json_decref(od);
        json_decref(it);
        /* records this ledger wrote: a damaged ledger, or jansson out of memory (which it
         * reports as a syntax error), so a database error, exit 3, either way */
        return bat_fail(&r->w, EX_EDB,
                        "item %llu or its decision cannot be read as JSON (out of memory, or "
                        "a damaged ledger)",
                        (unsigned long long)id);
    }
    const char *verdict = jstr(od, "verdict", NULL);
    json_t *cj = json_object_get(od, "copy_of");
    uint64_t copy_of = json_is_integer(cj) ? (uint64_t)json_integer_value(cj) : 0;
    int copy = copy_of || (verdict && strcmp(verdict, "duplicate") == 0);
    const char *src = jstr(it, "source", NULL), *dig = jstr(it, "digest", NULL),
               *wt = jstr(it, "warc_type", NULL);
    if ((copy && v->pass == 1) || (wt && strcmp(wt, "revisit") == 0)) {
        json_decref(od);
        json_decref(it);
        return EX_OK; /* copies: the first occurrence's decision covers them (pass 2 checks
                         them for reservations); revisits carry no content of their own */
    }
    if (v->pass == 1)
        r->st.items++;
    size_t hl = 0, ml = 0;
    const char *hd = jstr(it, "http_headers", &hl), *hh = jstr(it, "html_head", &ml);
    /* decision records and the batch entry name the item's source */
    snprintf(r->w.source, sizeof r->w.source, "%s", src ? src : "");
    uint8_t fp[EX_NEAR_K_MAX];
    int has = 0;
    uint64_t iscc = 0;
    if ((rc = item_fp(v, id, fp, &has, &iscc)) != EX_OK) {
        json_decref(od);
        json_decref(it);
        return rc;
    }
    ex_pitem pi = {r->w.source, dig, NULL, jstr(it, "url", NULL), jstr(it, "license", NULL),
                   jstr(it, "fetched", NULL), hd, hl, hh, ml, has ? fp : NULL, r->near_k,
                   r->near_bands, iscc};
    ex_pdecision pdd;
    if (!src || !dig) {
        rc = bat_fail(&r->w, EX_EFORMAT, "item %llu has no source or digest",
                      (unsigned long long)id);
    } else if ((rc = ex_peval_decide(r->pe, &pi, &pdd)) != EX_OK) {
        rc = bat_fail(&r->w, rc, "item %llu: the policy cannot decide: %s",
                      (unsigned long long)id,
                      rc == EX_ENOTFOUND ? "its source is unknown" : ex_strerror(rc));
    } else if (v->pass == 1) {
        rc = redecide(v, id, data, len, od, it, &pdd);
    } else if (pdd.verdict == EX_VERDICT_REJECT && ex_policy_follows(r->pol, pdd.cond)) {
        carrier *c = &v->cs[v->ncs++];
        c->id = id;
        c->copy_of = copy_of;
        c->latest = v->latest[id];
        c->copy_duplicate = copy && verdict && strcmp(verdict, "duplicate") == 0;
        snprintf(c->source, sizeof c->source, "%s", r->w.source);
        c->pd = pdd;
        if ((rc = ex_sha256_digest(r->h, data, len, c->prov)) != EX_OK)
            rc = bat_fail(&r->w, rc, "hashing failed");
    }
    json_decref(od);
    json_decref(it);
    return rc;
}

/* pass 2, after a chunk's scan: each carrier's reservation follows its content */
static int
spread(reeval *v)
{
    run *r = &v->r;
    int rc = EX_OK;
    for (size_t i = 0; rc == EX_OK && i < v->ncs; i++) {
        carrier *c = &v->cs[i];
        const char *res = ex_policy_cond_name(c->pd.cond);
        snprintf(r->w.source, sizeof r->w.source, "%s", c->source);
        char prov[EX_DIGEST_STR_BYTES];
        ex_digest_format(c->prov, prov);
        said s;
        if (c->copy_duplicate) { /* the copy carries it: decided for itself */
            if ((rc = follow_latest(r, c->id, &s)) < 0)
                break;
            dec own = {c->id, c->copy_of, s.id, s.digest, prov, r->pdig, "reject", c->pd.rule,
                       c->pd.reason, (const char(*)[EX_DIGEST_STR_BYTES])c->pd.evidence,
                       c->pd.nevidence, TAIL_NONE, res, 0, 0, NULL};
            if (rc == 1 && s.id && (rc = add_decision(v, c->id, &own)) != EX_OK)
                break;
        }
        uint8_t fp[EX_NEAR_K_MAX];
        int has = 0;
        uint64_t iscc;
        if ((rc = item_fp(v, c->copy_of ? c->copy_of : c->id, fp, &has, &iscc)) != EX_OK)
            break;
        dec d = {c->id, c->copy_of, 0, NULL, prov, r->pdig, "reject", c->pd.rule, c->pd.reason,
                 (const char(*)[EX_DIGEST_STR_BYTES])c->pd.evidence, c->pd.nevidence, TAIL_NONE,
                 res, 0, 0, NULL};
        rc = follow_spread(r, c->prov, has ? fp : NULL, c->id, c->copy_of, &d);
    }
    v->ncs = 0;
    return rc;
}

/* every item, in chunks: each chunk's scan ends before its decisions are written */
static int
pass(reeval *v, int which, uint64_t maxi)
{
    run *r = &v->r;
    ex_ledger *l = r->l;
    v->pass = which;
    int rc = EX_OK;
    for (uint64_t from = 1; rc == EX_OK && from <= maxi; from += REEVAL_CHUNK) {
        rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, from, from + REEVAL_CHUNK, reeval_item, v);
        if (rc != EX_OK)
            return bat_fail(&r->w, rc, "cannot read the items: %s", ex_store_errmsg(l->st));
        if (which == 2 && (rc = spread(v)) != EX_OK)
            return rc;
        if (r->w.b->np >= r->w.batch_max)
            rc = bat_flush(&r->w);
    }
    return rc == EX_OK ? bat_flush(&r->w) : rc;
}

static int
reeval_all(reeval *v)
{
    run *r = &v->r;
    ex_ledger *l = r->l;
    uint64_t maxi = 0, maxd = 0;
    int rc;
    if ((rc = ex_ledger_peval_load(l, &r->pol, r->pdig, &r->pe)) != EX_OK)
        return rc;
    if (!r->pe)
        return ex_fail(&l->err, EX_ENOTFOUND,
                       "no policy adopted yet: nothing to decide with (see 'exante policy adopt')");
    if ((rc = l->st->ops->rec_max(l->st, EX_TAB_ITEMS, &maxi)) != EX_OK ||
        (rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    r->w.next_decision = maxd + 1;
    r->w.next_item = maxi + 1;
    v->nlatest = maxi + 1;
    if (!(v->latest = calloc(v->nlatest, sizeof *v->latest)) ||
        !(v->cs = malloc(REEVAL_CHUNK * sizeof *v->cs)))
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    /* the latest decision of each item: from the decisions' key index, not their records */
    if ((rc = l->st->ops->rec_keys(l->st, EX_TAB_DECISIONS, note_latest, v)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    if ((rc = near_start(r)) != EX_OK || (rc = pass(v, 1, maxi)) != EX_OK)
        return rc;
    return pass(v, 2, maxi);
}

int
ex_ledger_reevaluate(ex_ledger *l, ex_ingest_stats *out)
{
    ex_err_clear(&l->err);
    if (out)
        memset(out, 0, sizeof *out);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    reeval *v = calloc(1, sizeof *v);
    if (!v)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    run *r = &v->r;
    r->l = l;
    int lockfd;
    int rc = ex_ledger_lock(l, &lockfd);
    if (rc != EX_OK) {
        free(v);
        return rc;
    }
    if (l->st->ops->bulk)
        l->st->ops->bulk(l->st, 1);
    if ((rc = bat_init(&r->w, l, REEVAL_BATCH, 0, 1)) == EX_OK)
        r->w.stats = &r->st;
    if (rc == EX_OK && (rc = ex_sha256_new(&r->h)) != EX_OK)
        ex_fail(&l->err, rc, "cannot make a hasher: %s", ex_strerror(rc));
    if (rc == EX_OK)
        rc = reeval_all(v);
    rc = bat_finish(&r->w, rc);
    if (rc == EX_OK)
        near_save(r);
    if (l->st->ops->bulk)
        l->st->ops->bulk(l->st, 0);
    near_stop(r);
    free(v->latest);
    free(v->cs);
    ex_peval_free(r->pe);
    ex_policy_free(r->pol);
    ex_sha256_free(r->h);
    ex_ledger_unlock(lockfd);
    if (out)
        bat_report(&r->w, &r->st, rc, out);
    free(v);
    return rc;
}
