/* reevaluate.c - decide earlier items again under the current policy and opt-outs (exante.h):
 * every item whose latest decision was made under another policy (or none: pending), or
 * would now come out differently, gets a new decision naming the one it supersedes, logged
 * in batches of decisions only (pipeline.h). */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#define REEVAL_BATCH 10000
#define REEVAL_CHUNK 4096 /* items read per scan; their new decisions are written after it */

typedef struct reeval {
    ex_ledger *l;
    batcher w;              /* synchronous: its scans read the store between batches */
    ex_ingest_stats st;
    ex_sha256 *h;
    struct ex_policy *pol;
    ex_peval *pe;
    char pdig[EX_DIGEST_STR_BYTES];
    uint64_t *latest;       /* per item id: its latest decision id, 0 none */
    uint64_t nlatest;
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

/* d (with nv, its verdict) as item id's new decision in the batch being filled */
static int
add_decision(reeval *v, uint64_t id, int64_t key, const dec *d)
{
    batcher *w = &v->w;
    pending *p;
    int rc = bat_slot(w, &p);
    if (rc != EX_OK)
        return rc;
    memset(p, 0, sizeof *p);
    p->item_id = id;
    p->key = key;
    p->decision = w->b->arena.len;
    if ((rc = rec_decision(NULL, w->source, d, &w->b->arena)) != EX_OK)
        return bat_fail(w, rc, "cannot record decision: %s", ex_strerror(rc));
    p->decision_len = w->b->arena.len - p->decision;
    if ((rc = ex_merkle_leaf(v->h, w->b->arena.data + p->decision, p->decision_len,
                             w->b->leaves[w->b->np])) != EX_OK)
        return bat_fail(w, rc, "hashing failed");
    w->b->np++;
    if (d->verdict[0] == 'a')
        v->st.admitted++;
    else
        v->st.rejected++;
    return EX_OK;
}

/* decide item `id` again; a changed decision is added to the batch */
static int
reeval_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    reeval *v = ctx;
    ex_ledger *l = v->l;
    if (id >= v->nlatest || !v->latest[id])
        return EX_OK;
    uint8_t *old;
    size_t olen;
    int rc = l->st->ops->rec_get_dup(l->st, EX_TAB_DECISIONS, v->latest[id], NULL, &old, &olen);
    if (rc != EX_OK)
        return bat_fail(&v->w, rc, "cannot read decision %llu: %s",
                        (unsigned long long)v->latest[id], ex_store_errmsg(l->st));
    json_t *od = json_loadb((const char *)old, olen, 0, NULL);
    free(old);
    json_t *it = json_loadb(data, len, 0, NULL);
    if (!od || !it) {
        json_decref(od);
        json_decref(it);
        return bat_fail(&v->w, EX_EFORMAT, "item %llu or its decision is not JSON",
                        (unsigned long long)id);
    }
    v->st.items++;
    const char *verdict = jstr(od, "verdict", NULL);
    if (verdict && strcmp(verdict, "duplicate") == 0) {
        json_decref(od);
        json_decref(it);
        return EX_OK; /* copies stay copies: the first occurrence's decision covers them */
    }
    const char *src = jstr(it, "source", NULL), *dig = jstr(it, "digest", NULL);
    size_t hl = 0, ml = 0;
    const char *hd = jstr(it, "http_headers", &hl), *hh = jstr(it, "html_head", &ml);
    /* decision records and the batch entry name the item's source */
    snprintf(v->w.source, sizeof v->w.source, "%s", src ? src : "");
    ex_pitem pi = {v->w.source, dig, NULL, jstr(it, "url", NULL), jstr(it, "license", NULL),
                   jstr(it, "fetched", NULL), hd, hl, hh, ml};
    ex_pdecision pdd;
    if (!src || !dig) {
        rc = bat_fail(&v->w, EX_EFORMAT, "item %llu has no source or digest",
                      (unsigned long long)id);
    } else if ((rc = ex_peval_decide(v->pe, &pi, &pdd)) != EX_OK) {
        rc = bat_fail(&v->w, rc, "item %llu: the policy cannot decide: %s",
                      (unsigned long long)id,
                      rc == EX_ENOTFOUND ? "its source is unknown" : ex_strerror(rc));
    }
    const char *nv = rc == EX_OK && pdd.verdict == EX_VERDICT_ADMIT ? "admit" : "reject";
    const char *opol = jstr(od, "policy", NULL), *orule = jstr(od, "rule", NULL);
    int same = rc == EX_OK && opol && strcmp(opol, v->pdig) == 0 && verdict &&
               strcmp(verdict, nv) == 0 && orule && strcmp(orule, pdd.rule) == 0;
    if (rc == EX_OK && !same) { /* same policy, same outcome: nothing new to record */
        char prov[EX_DIGEST_STR_BYTES];
        uint8_t pd[EX_HASH_BYTES];
        if ((rc = ex_sha256_digest(v->h, data, len, pd)) != EX_OK) {
            bat_fail(&v->w, rc, "hashing failed");
        } else {
            ex_digest_format(pd, prov);
            dec d = {id, 0, v->latest[id], dig, prov, v->pdig, nv, pdd.rule, pdd.reason,
                     (const char(*)[EX_DIGEST_STR_BYTES])pdd.evidence, pdd.nevidence, TAIL_NONE};
            if ((rc = add_decision(v, id, key, &d)) == EX_OK) {
                ex_ingest_stats *st = &v->st;
                size_t i = 0;
                while (i < st->nrules && strcmp(st->by_rule[i].id, pdd.rule) != 0)
                    i++;
                if (i < st->nrules)
                    st->by_rule[i].count++;
                else if (st->nrules < EX_STATS_RULES_MAX) {
                    snprintf(st->by_rule[i].id, sizeof st->by_rule[0].id, "%s", pdd.rule);
                    st->by_rule[st->nrules++].count = 1;
                }
            }
        }
    }
    json_decref(od);
    json_decref(it);
    return rc;
}

/* every item, in chunks: each chunk's scan ends before its decisions are written */
static int
reeval_all(reeval *v)
{
    ex_ledger *l = v->l;
    uint64_t maxi = 0, maxd = 0;
    int rc;
    if ((rc = ex_ledger_peval_load(l, &v->pol, v->pdig, &v->pe)) != EX_OK)
        return rc;
    if (!v->pe)
        return ex_fail(&l->err, EX_ENOTFOUND,
                       "no policy adopted yet: nothing to decide with (see 'exante policy adopt')");
    if ((rc = l->st->ops->rec_max(l->st, EX_TAB_ITEMS, &maxi)) != EX_OK ||
        (rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    v->w.next_decision = maxd + 1;
    v->nlatest = maxi + 1;
    if (!(v->latest = calloc(v->nlatest, sizeof *v->latest)))
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    /* the latest decision of each item: from the decisions' key index, not their records */
    if ((rc = l->st->ops->rec_keys(l->st, EX_TAB_DECISIONS, note_latest, v)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    for (uint64_t from = 1; rc == EX_OK && from <= maxi; from += REEVAL_CHUNK) {
        rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, from, from + REEVAL_CHUNK, reeval_item, v);
        if (rc != EX_OK)
            return bat_fail(&v->w, rc, "cannot read the items: %s", ex_store_errmsg(l->st));
        if (v->w.b->np >= v->w.batch_max)
            rc = bat_flush(&v->w);
    }
    return rc == EX_OK ? bat_flush(&v->w) : rc;
}

int
ex_ledger_reevaluate(ex_ledger *l, ex_ingest_stats *out)
{
    ex_err_clear(&l->err);
    if (out)
        memset(out, 0, sizeof *out);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    reeval v;
    memset(&v, 0, sizeof v);
    v.l = l;
    int lockfd;
    int rc = ex_ledger_lock(l, &lockfd);
    if (rc != EX_OK)
        return rc;
    if (l->st->ops->bulk)
        l->st->ops->bulk(l->st, 1);
    if ((rc = bat_init(&v.w, l, REEVAL_BATCH, 0, 1)) == EX_OK &&
        (rc = ex_sha256_new(&v.h)) != EX_OK)
        ex_fail(&l->err, rc, "cannot make a hasher");
    if (rc == EX_OK)
        rc = reeval_all(&v);
    rc = bat_finish(&v.w, rc);
    if (l->st->ops->bulk)
        l->st->ops->bulk(l->st, 0);
    free(v.latest);
    ex_peval_free(v.pe);
    ex_policy_free(v.pol);
    ex_sha256_free(v.h);
    ex_ledger_unlock(lockfd);
    if (out)
        *out = v.st;
    return rc;
}
