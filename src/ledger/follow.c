/* follow.c - rejections that follow content (pipeline.h; docs/POLICY.md): a rights
 * reservation carried by any occurrence of content, an exact copy or a near-duplicate, rejects
 * the content and its near-duplicate cluster, whatever the order in which they arrive.
 *
 * A new occurrence whose own decision is such a rejection (an opt-out, tdm-reserved, noai;
 * robots-disallowed under `reject near-rejected`) is marked with the reservation, and the
 * earlier admitted items it reaches (the first occurrence of its content, the near-duplicates
 * of that content, theirs in turn) get new decisions superseding theirs, in the same batch.
 * A new first occurrence that is a near-duplicate of content already rejected that way is
 * rejected with that content's evidence. The decisions read back are few (only items the
 * band index confirms), so they are parsed with jansson. */
#include "pipeline.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/near.h"

#define SPREAD_MAX 1000 /* items one reservation reaches through a cluster, at most */

static void
copy_str(json_t *o, const char *k, char *out, size_t cap)
{
    const char *v = json_string_value(json_object_get(o, k));
    snprintf(out, cap, "%s", v ? v : "");
}

static int
parse_said(run *r, uint64_t item, const char *rec, size_t len, said *s)
{
    json_t *o = json_loadb(rec, len, 0, NULL);
    if (!o)
        return bat_fail(&r->w, EX_EDB,
                        "the latest decision of item %llu cannot be read as JSON (out of "
                        "memory, or a damaged ledger)",
                        (unsigned long long)item);
    copy_str(o, "verdict", s->verdict, sizeof s->verdict);
    copy_str(o, "rule", s->rule, sizeof s->rule);
    copy_str(o, "reservation", s->reservation, sizeof s->reservation);
    copy_str(o, "digest", s->digest, sizeof s->digest);
    copy_str(o, "provenance", s->prov, sizeof s->prov);
    copy_str(o, "source", s->source, sizeof s->source);
    copy_str(o, "reason", s->reason, sizeof s->reason);
    json_t *c = json_object_get(o, "carried_by");
    s->carried_by = json_is_integer(c) ? (uint64_t)json_integer_value(c) : 0;
    json_t *ev = json_object_get(o, "evidence");
    s->nev = 0;
    for (size_t i = 0; i < json_array_size(ev) && s->nev < EX_PEVAL_EVIDENCE_MAX; i++) {
        const char *v = json_string_value(json_array_get(ev, i));
        if (v)
            snprintf(s->ev[s->nev++], sizeof s->ev[0], "%s", v);
    }
    json_decref(o);
    return 1;
}

typedef struct last {
    uint64_t id;
    ex_buf *buf;
    int rc;
} last;

static int
keep_last(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    last *c = ctx;
    c->id = id;
    c->buf->len = 0;
    return c->rc = ex_buf_put(c->buf, data, len);
}

/* (parse_said: 1 with *s, or the run's failure) */
/* The latest decision of earlier item `item`: in the batch being filled, in flight, or stored.
 * 1 with *s, 0 if it has none, or the run's failure. */
int
follow_latest(run *r, uint64_t item, said *s)
{
    batcher *w = &r->w;
    const batch *b = w->b, *f = w->fly;
    for (size_t i = b->nx; i-- > 0;)
        if (b->x[i].p.item_id == item) {
            s->id = 0;
            return parse_said(r, item, b->arena.data + b->x[i].p.decision,
                              b->x[i].p.decision_len, s);
        }
    if (w->no_items) { /* reevaluate: decisions of any items, in id order */
        for (size_t i = b->np; i-- > 0;)
            if (b->p[i].item_id == item) {
                s->id = w->next_decision + i;
                return parse_said(r, item, b->arena.data + b->p[i].decision,
                                  b->p[i].decision_len, s);
            }
    } else if (b->np && item >= w->next_item - b->np && item < w->next_item) {
        size_t i = (size_t)(item - (w->next_item - b->np));
        s->id = w->next_decision + i;
        return parse_said(r, item, b->arena.data + b->p[i].decision, b->p[i].decision_len, s);
    }
    if (f) {
        for (size_t i = f->np; i-- > f->ni;)
            if (f->p[i].item_id == item) {
                s->id = f->first_dec + i;
                return parse_said(r, item, f->arena.data + f->p[i].decision,
                                  f->p[i].decision_len, s);
            }
        if (item >= f->first_item && item < f->first_item + f->ni) {
            size_t i = (size_t)(item - f->first_item);
            s->id = f->first_dec + i;
            return parse_said(r, item, f->arena.data + f->p[i].decision, f->p[i].decision_len,
                              s);
        }
    }
    ex_store *st = r->rd;
    int rc;
    if (!st) {
        if ((rc = bat_land(w)) != EX_OK)
            return rc;
        st = r->l->st;
    }
    last c = {0, &r->nbuf, EX_OK};
    rc = st->ops->rec_scan_key(st, EX_TAB_DECISIONS, (int64_t)item, keep_last, &c);
    if (rc != EX_OK)
        return bat_fail(w, rc, "cannot read the decisions of item %llu: %s",
                        (unsigned long long)item, ex_store_errmsg(st));
    if (!c.id)
        return 0;
    s->id = c.id;
    return parse_said(r, item, r->nbuf.data, r->nbuf.len, s);
}

int
follow_decide(run *r, const ent *e, const char *rec, const uint8_t *fp, uint64_t copy_of,
              const ex_pdecision *pd, dec *d)
{
    (void)rec;
    if (!r->pe)
        return EX_OK;
    if (pd->verdict == EX_VERDICT_REJECT && ex_policy_follows(r->pol, pd->cond)) {
        /* this occurrence carries a reservation: a copy is decided for itself too */
        d->verdict = "reject", d->rule = pd->rule, d->reason = pd->reason;
        d->evidence = (const char(*)[EX_DIGEST_STR_BYTES])pd->evidence;
        d->nevidence = pd->nevidence;
        d->tail = TAIL_NONE;
        d->reservation = ex_policy_cond_name(pd->cond);
        return EX_OK;
    }
    if (copy_of || !fp)
        return EX_OK;
    near_hit hits[NEAR_HITS_MAX];
    size_t n = 0;
    int rc = near_find(r, fp, 0, hits, &n);
    if (rc != EX_OK)
        return rc;
    if (n)
        r->st.near++;
    said s;
    for (size_t i = 0; i < n; i++) {
        if ((rc = follow_latest(r, hits[i].id, &s)) < 0)
            return rc;
        if (rc == 0 || strcmp(s.verdict, "reject") != 0 || !s.reservation[0])
            continue;
        /* the most similar near-duplicate whose content carries a reservation */
        snprintf(r->nsim, sizeof r->nsim, "%.2f", hits[i].j);
        snprintf(r->nrule, sizeof r->nrule, "%s", s.rule);
        snprintf(r->nres, sizeof r->nres, "%s", s.reservation);
        snprintf(r->nreason, sizeof r->nreason,
                 "a near-duplicate (estimated Jaccard %s) of item %llu, whose content carries a "
                 "reservation: %s", r->nsim, (unsigned long long)hits[i].id, s.reason);
        int k = 0;
        for (; k < s.nev; k++)
            memcpy(r->nev[k], s.ev[k], sizeof r->nev[k]);
        if (s.prov[0])
            snprintf(r->nev[k++], sizeof r->nev[0], "%s", s.prov);
        d->verdict = "reject", d->rule = r->nrule, d->reason = r->nreason;
        d->evidence = (const char(*)[EX_DIGEST_STR_BYTES])r->nev;
        d->nevidence = k;
        d->tail = TAIL_NONE;
        d->reservation = r->nres;
        d->carried_by = s.carried_by ? s.carried_by : hits[i].id;
        d->near_of = hits[i].id;
        d->similarity = r->nsim;
        (void)e;
        return EX_OK;
    }
    return EX_OK;
}

/* the queue of items a reservation reaches */
typedef struct reach {
    uint64_t id, via; /* via: the item it was reached from */
    double j;         /* their estimated Jaccard; 2: an exact copy */
} reach;

/* target's new decision: rejected by d (item `from`'s), reached through q */
static int
reject_earlier(run *r, const uint8_t *prov, uint64_t from, const dec *d, const reach *q,
               const said *s)
{
    batcher *w = &r->w;
    char how[96], sim[16] = "";
    if (q->j > 1.5)
        snprintf(how, sizeof how, "an exact copy of this content");
    else {
        snprintf(sim, sizeof sim, "%.2f", q->j);
        snprintf(how, sizeof how, "a near-duplicate (estimated Jaccard %s) of this content", sim);
    }
    char via[48] = "";
    if (q->via != from)
        snprintf(via, sizeof via, " (through item %llu)", (unsigned long long)q->via);
    snprintf(r->nreason, sizeof r->nreason,
             "the reservation follows content: %s, item %llu%s, carries it: %s", how,
             (unsigned long long)from, via, d->reason);
    char ev[EX_PEVAL_EVIDENCE_MAX + 1][EX_DIGEST_STR_BYTES];
    int k = 0;
    for (; k < d->nevidence && k < EX_PEVAL_EVIDENCE_MAX; k++)
        memcpy(ev[k], d->evidence[k], sizeof ev[k]);
    ex_digest_format(prov, ev[k++]);
    dec x = {q->id, 0, s->id, s->digest, s->prov, r->pdig, "reject", d->rule, r->nreason,
             (const char(*)[EX_DIGEST_STR_BYTES])ev, k, TAIL_NONE, d->reservation, from,
             q->j <= 1.5 || q->via != from ? q->via : 0, sim[0] ? sim : NULL};
    size_t off = w->b->arena.len;
    int rc = rec_decision(NULL, s->source, &x, &w->b->arena); /* the decision is the item's */
    if (rc != EX_OK)
        return bat_fail(w, rc, "cannot record decision: %s", ex_strerror(rc));
    uint8_t leaf[EX_HASH_BYTES];
    if ((rc = ex_merkle_leaf(r->h, w->b->arena.data + off, w->b->arena.len - off, leaf)) != EX_OK)
        return bat_fail(w, rc, "hashing failed");
    if ((rc = bat_extra(w, q->id, off, w->b->arena.len - off, leaf)) != EX_OK)
        return rc;
    r->st.followed++;
    return EX_OK;
}

int
follow_spread(run *r, const uint8_t *prov, const uint8_t *fp, uint64_t id, uint64_t copy_of,
              const dec *d)
{
    if (!d->reservation || d->carried_by)
        return EX_OK;
    reach *q = malloc(SPREAD_MAX * sizeof *q);
    if (!q)
        return bat_fail(&r->w, EX_ENOMEM, "out of memory");
    size_t n = 0;
    int rc = EX_OK;
    if (copy_of)
        q[n++] = (reach){copy_of, id, 2.0};
    near_hit hits[NEAR_HITS_MAX];
    size_t nh = 0;
    uint8_t f2[EX_NEAR_K_MAX];
    /* breadth first: item id's near-duplicates, then theirs */
    for (size_t at = 0; rc == EX_OK; at++) {
        const uint8_t *from = NULL;
        uint64_t self = 0;
        if (at == 0 && fp)
            from = fp, self = id;
        else if (at > 0 && at - 1 < n) {
            int has = near_fp(r, q[at - 1].id, f2);
            if (has < 0) {
                rc = has;
                break;
            }
            from = has ? f2 : NULL;
            self = q[at - 1].id;
        } else if (at > 0)
            break;
        if (!from)
            continue;
        if ((rc = near_find(r, from, self, hits, &nh)) != EX_OK)
            break;
        for (size_t i = 0; i < nh && n < SPREAD_MAX; i++) {
            int seen = hits[i].id == id;
            for (size_t j = 0; j < n && !seen; j++)
                seen = q[j].id == hits[i].id;
            if (!seen)
                q[n++] = (reach){hits[i].id, self, hits[i].j};
        }
    }
    said s;
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        if ((rc = follow_latest(r, q[i].id, &s)) < 0)
            break;
        int admitted = rc == 1 && s.id && strcmp(s.verdict, "admit") == 0;
        rc = admitted ? reject_earlier(r, prov, id, d, &q[i], &s) : EX_OK;
    }
    free(q);
    return rc;
}
