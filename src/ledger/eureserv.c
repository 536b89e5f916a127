/* eureserv.c - the EU summary's reservation counts (eufacts.h): the items of the sources the
 * model's content came from whose current decision, as of its last snapshot (the decisions
 * committed by batches logged below its log size), is a rejection by a reservation rule
 * (optout, tdm-reserved, robots-disallowed, noai, noimageai). The rule's condition is looked up
 * by the decision's policy digest and rule id in the adopted policies' canonical forms, or
 * read from the decision's `reservation` (a rejection carried from another occurrence). The
 * policies the snapshots name also give the crawler's robots.txt agents and the rules
 * honoured. */
#include "eufacts.h"

#include <stdlib.h>
#include <string.h>

static int
take_policy(void *ctx, uint64_t id, int64_t key, const void *data, size_t len) {
    (void)id;
    euf *e = ctx;
    json_t *o = json_loadb(data, len, 0, NULL), *c = NULL, *r;
    const char *dg = json_string_value(json_object_get(o, "digest"));
    const char *canon = json_string_value(json_object_get(o, "canonical"));
    int rc = dg && canon && (c = json_loads(canon, 0, NULL)) ? EX_OK : EX_EFORMAT;
    size_t i, j;
    json_t *sn, *pd, *ag;
    int named = 0; /* a policy a snapshot names: its agents are the crawler's */
    json_array_foreach(e->snaps, i, sn) json_array_foreach(json_object_get(sn, "policies"), j, pd)
        named |= dg && json_is_string(pd) && strcmp(json_string_value(pd), dg) == 0;
    json_array_foreach(named ? json_object_get(c, "agents") : NULL, i, ag) {
        int have = 0;
        json_t *x;
        json_array_foreach(e->agents, j, x) have |= json_equal(x, ag);
        if (rc == EX_OK && json_is_string(ag) && !have && json_array_append(e->agents, ag) != 0)
            rc = EX_ENOMEM;
    }
    json_array_foreach(json_object_get(c, "rules"), i, r) {
        const char *cond = json_string_value(json_object_get(r, "cond"));
        const char *rid = json_string_value(json_object_get(r, "id"));
        const char *verdict = json_string_value(json_object_get(r, "verdict"));
        if (!verdict || strcmp(verdict, "reject") != 0)
            continue;
        for (int k = 0; rc == EX_OK && cond && rid && k < 5; k++) {
            if (strcmp(cond, euf_reserv[k]) != 0)
                continue;
            if (named)
                e->honoured |= 1u << k;
            ex_buf b = {0};
            uint64_t *v;
            if (ex_buf_put(&b, dg, strlen(dg) + 1) != EX_OK || ex_buf_puts(&b, rid) != EX_OK ||
                tally_at(&e->rules, b.data, b.len, &v) != EX_OK || !v)
                rc = EX_ENOMEM;
            else
                v[0] = (uint64_t)k + 1;
            ex_buf_free(&b);
        }
    }
    json_decref(c);
    json_decref(o);
    if (rc == EX_EFORMAT)
        return ex_fail(&e->l->err, rc, "the policy at log index %lld is malformed", (long long)key);
    return rc == EX_OK ? rc : euf_oom(e);
}

static int
take_batch(void *ctx, uint64_t id, int64_t key, const void *data, size_t len) {
    (void)id;
    euf *e = ctx;
    if (key < 0 || (uint64_t)key >= e->below)
        return EX_OK;
    if (ex_fields_read(&e->f, data, len) != EX_OK || e->f.num[0] < 0 || e->f.num[1] < 1)
        return ex_fail(&e->l->err, EX_EFORMAT, "the batch at log index %lld is malformed",
                       (long long)key);
    uint64_t last = (uint64_t)e->f.num[1] + (uint64_t)e->f.num[0] - 1;
    if (e->f.num[0] > 0 && last > e->cutoff)
        e->cutoff = last;
    return EX_OK;
}

static int
take_decision(void *ctx, uint64_t id, int64_t key, const void *data, size_t len) {
    euf *e = ctx;
    if (key <= 0 || (uint64_t)key >= e->seen_n)
        return EX_OK;
    uint64_t k = (uint64_t)key, bit = 1ull << (k & 63);
    if (e->seen[k >> 6] & bit)
        return EX_OK; /* newest first: an item's first row is its current decision */
    e->seen[k >> 6] |= bit;
    const void *rec;
    size_t rl;
    int rc = e->l->st->ops->decode(e->dec, EX_TAB_DECISIONS, id, data, len, &rec, &rl, &e->l->err);
    if (rc != EX_OK)
        return rc;
    if (ex_fields_read(&e->f, rec, rl) != EX_OK || !e->f.str[3] || !e->f.str[0])
        return ex_fail(&e->l->err, EX_EFORMAT, "decision %llu is not a decision record",
                       (unsigned long long)id);
    const char *pol = e->f.str[0], *res = e->f.str[1], *rule = e->f.str[2];
    const char *source = e->f.str[3], *verdict = e->f.str[4];
    src *s = euf_source(e, source);
    if (!verdict || strcmp(verdict, "reject") != 0 || !s || !s->used)
        return EX_OK;
    int which = -1;
    for (int i = 0; res && i < 5; i++)
        if (strcmp(res, euf_reserv[i]) == 0)
            which = i;
    if (which < 0 && pol && rule) {
        ex_buf b = {0};
        uint64_t *v = NULL;
        if (ex_buf_put(&b, pol, strlen(pol) + 1) == EX_OK && ex_buf_puts(&b, rule) == EX_OK)
            v = tally_find(&e->rules, b.data, b.len);
        ex_buf_free(&b);
        which = v ? (int)v[0] - 1 : -1;
    }
    if (which >= 0)
        e->res[which]++;
    return EX_OK;
}

int
euf_reservations(euf *e) {
    static const char *const bpaths[] = {"count", "first"};
    static const char *const dpaths[] = {"policy", "reservation", "rule", "source", "verdict"};
    ex_ledger *l = e->l;
    int rc;
    ex_store *st = l->st;
    if ((rc = st->ops->rec_max(st, EX_TAB_ITEMS, &e->seen_n)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    e->seen_n++;
    if (!(e->seen = calloc(e->seen_n / 64 + 1, sizeof *e->seen)) ||
        st->ops->dec_new(st, &e->dec) != EX_OK)
        return euf_oom(e);
    if ((rc = euf_scan(e, EX_TAB_POLICIES, UINT64_MAX, NULL, 0, take_policy)) != EX_OK ||
        (rc = euf_scan(e, EX_TAB_BATCHES, UINT64_MAX, bpaths, 2, take_batch)) != EX_OK)
        return rc;
    if (e->cutoff &&
        (rc = euf_scan(e, EX_TAB_DECISIONS, e->cutoff + 1, dpaths, 5, take_decision)) != EX_OK)
        return rc;
    return EX_OK;
}
