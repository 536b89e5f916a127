/* impact.c - `exante impact`: what a piece of content, or an opt-out, reaches. The content
 * digests in question; the snapshots holding any of them (snap_has: a binary search over each
 * snapshot's stored leaves, no set-up); the training runs that read those snapshots; their
 * models and every model derived from them, each with how it is reached; and the clean-room
 * snapshot that would leave the content out (`snapshot create NEW --from S` once an opt-out
 * is logged: S's members minus those reached).
 *
 * A digest is answered without reading the items; a URL through why's lookup (the latest item
 * at that URL); an opt-out by a pass over every item (its digest, URL prefix or domain: there
 * is no URL index yet), which is the slow one. The items holding the content, every exact copy
 * at whatever URL, take one more pass (always for an opt-out, on request for the others):
 * there is no digest -> items index yet either (issue 14). */
#include "attest.h"
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "core/cjson.h"
#include "policy/policy.h"

#define REACH_MAX 4096 /* digests listed (all are counted) */

typedef struct reach {
    snap_set d;       /* the digests reached, ascending, distinct */
    uint64_t items;   /* items holding one of them: every exact copy */
    int items_known;  /* 0: the items were not read */
    json_t *list;     /* the first ITEMS_LISTED of them: {digest, id, url} */
    uint64_t listed;
} reach;

#define ITEMS_LISTED 1000

/* ---- the digests ---- */

typedef struct optout_pass {
    ex_ledger *l;
    ex_peval *ev;
    const char *want; /* the opt-out record's digest */
    ex_fields f;
    reach *r;
} optout_pass;

static int
item_reached(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    optout_pass *p = ctx;
    if (ex_fields_read(&p->f, data, len) != EX_OK || !p->f.str[0])
        return ex_fail(&p->l->err, EX_EFORMAT, "item %llu is not an item record",
                       (unsigned long long)id);
    ex_pitem it = {.digest = p->f.str[0], .url = p->f.str[1]};
    const char *by = NULL;
    if (!ex_peval_optout(p->ev, &it, &by) || !by || strcmp(by, p->want) != 0)
        return EX_OK;
    uint8_t d[EX_HASH_BYTES];
    if (ex_digest_parse(p->f.str[0], d) != EX_OK)
        return ex_fail(&p->l->err, EX_EFORMAT, "item %llu: bad digest", (unsigned long long)id);
    snap_set *s = &p->r->d;
    if (s->n == s->cap) {
        uint64_t cap = s->cap ? 2 * s->cap : 64;
        uint8_t(*v)[EX_HASH_BYTES] = realloc(s->d, cap * sizeof *v);
        if (!v)
            return ex_fail(&p->l->err, EX_ENOMEM, "out of memory");
        s->d = v, s->cap = cap;
    }
    memcpy(s->d[s->n++], d, EX_HASH_BYTES);
    return EX_OK;
}

static int
cmp32(const void *a, const void *b)
{
    return memcmp(a, b, EX_HASH_BYTES);
}

static int
by_optout(ex_ledger *l, uint64_t index, reach *r, char *what, size_t cap)
{
    uint8_t *e = NULL;
    size_t el;
    ex_store *st = l->st;
    int rc = st->ops->entry_get_dup(st, index, &e, &el);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc == EX_ENOTFOUND ? EX_ENOTFOUND : rc,
                       "no log entry %llu", (unsigned long long)index);
    json_t *o = json_loadb((const char *)e, el, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "type"));
    int is = t && strcmp(t, "optout") == 0;
    snprintf(what, cap, "opt-out %llu (%s %s)", (unsigned long long)index,
             json_string_value(json_object_get(o, "scope")) ? json_string_value(json_object_get(o, "scope")) : "?",
             json_string_value(json_object_get(o, "value")) ? json_string_value(json_object_get(o, "value")) : "?");
    json_decref(o);
    uint8_t d[EX_HASH_BYTES];
    char want[EX_DIGEST_STR_BYTES];
    if (is)
        rc = ex_sha256_digest(l->h, e, el, d);
    free(e);
    if (!is)
        return ex_fail(&l->err, EX_ENOTFOUND, "log entry %llu is not an opt-out (see 'exante "
                       "optout list')", (unsigned long long)index);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc, "cannot hash");
    ex_digest_format(d, want);
    ex_policy *pol = NULL;
    ex_peval *ev = NULL;
    uint64_t n;
    if ((rc = ex_ledger_optouts_load(l, index + 1, &pol, &ev, &n)) != EX_OK)
        return rc;
    static const char *const paths[] = {"digest", "url"};
    optout_pass p = {.l = l, .ev = ev, .want = want, .r = r};
    if ((rc = ex_fields_init(&p.f, paths, 2)) == EX_OK)
        rc = st->ops->rec_scan(st, EX_TAB_ITEMS, 1, UINT64_MAX, item_reached, &p);
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    ex_fields_free(&p.f);
    ex_peval_free(ev);
    ex_policy_free(pol);
    if (rc == EX_OK && r->d.n > 1) {
        qsort(r->d.d, r->d.n, EX_HASH_BYTES, cmp32);
        uint64_t k = 1;
        for (uint64_t i = 1; i < r->d.n; i++)
            if (memcmp(r->d.d[i], r->d.d[k - 1], EX_HASH_BYTES) != 0)
                memcpy(r->d.d[k++], r->d.d[i], EX_HASH_BYTES);
        r->d.n = k;
    }
    return rc;
}

static int
one_digest(reach *r, const uint8_t d[EX_HASH_BYTES])
{
    if (!(r->d.d = malloc(EX_HASH_BYTES)))
        return EX_ENOMEM;
    memcpy(r->d.d[0], d, EX_HASH_BYTES);
    r->d.n = r->d.cap = 1;
    return EX_OK;
}

/* every item holding one of r's digests (a pass over the items): the exact copies */
typedef struct copies_pass {
    ex_ledger *l;
    ex_fields f;
    reach *r;
} copies_pass;

static int
item_copy(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    copies_pass *p = ctx;
    if (ex_fields_read(&p->f, data, len) != EX_OK || !p->f.str[0])
        return ex_fail(&p->l->err, EX_EFORMAT, "item %llu is not an item record",
                       (unsigned long long)id);
    uint8_t d[EX_HASH_BYTES];
    if (ex_digest_parse(p->f.str[0], d) != EX_OK ||
        !bsearch(d, p->r->d.d, p->r->d.n, EX_HASH_BYTES, cmp32))
        return EX_OK;
    reach *r = p->r;
    r->items++;
    if (r->listed == ITEMS_LISTED)
        return EX_OK;
    json_t *o = json_pack("{s:s, s:I}", "digest", p->f.str[0], "id", (json_int_t)id);
    if (o && p->f.str[1])
        json_object_set_new(o, "url", json_string(p->f.str[1]));
    if (!o || json_array_append_new(r->list, o) != 0)
        return ex_fail(&p->l->err, EX_ENOMEM, "out of memory");
    r->listed++;
    return EX_OK;
}

static int
copies(ex_ledger *l, reach *r)
{
    static const char *const paths[] = {"digest", "url"};
    copies_pass p = {.l = l, .r = r};
    r->items_known = 1;
    if (!(r->list = json_array()))
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (r->d.n == 0)
        return EX_OK;
    int rc = ex_fields_init(&p.f, paths, 2);
    if (rc == EX_OK)
        rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, 1, UINT64_MAX, item_copy, &p);
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    ex_fields_free(&p.f);
    return rc;
}

/* ---- snapshots, runs, models ---- */

typedef struct snaps {
    snap *v;
    size_t n, cap;
} snaps;

static int
take_snap(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    snaps *s = ctx;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        snap *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return EX_ENOMEM;
        s->v = v, s->cap = cap;
    }
    snap *p = &s->v[s->n];
    memset(p, 0, sizeof *p);
    json_t *o = json_loadb(data, len, 0, NULL);
    const char *nm = json_string_value(json_object_get(o, "name"));
    snprintf(p->name, sizeof p->name, "%s", nm ? nm : "");
    p->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
    p->log_index = (uint64_t)key;
    json_decref(o);
    s->n++;
    return nm ? EX_OK : EX_EFORMAT;
}

int
ex_ledger_impact_dup(ex_ledger *l, const ex_impact_query *q, char **json, size_t *len)
{
    ex_err_clear(&l->err);
    reach r;
    memset(&r, 0, sizeof r);
    char what[600];
    uint8_t d[EX_HASH_BYTES];
    int rc = EX_OK;
    if (!!q->digest + !!q->url + !!q->optout != 1)
        return ex_fail(&l->err, EX_EINVAL, "impact: give one of a digest, a URL or an opt-out");
    if (q->digest) {
        if (ex_digest_parse(q->digest, d) != EX_OK)
            return ex_fail(&l->err, EX_EINVAL, "impact: '%s' is not a sha256:<64 hex> digest",
                           q->digest);
        snprintf(what, sizeof what, "content %s", q->digest);
        rc = one_digest(&r, d);
    } else if (q->url) {
        char *doc = NULL;
        size_t dl;
        snprintf(what, sizeof what, "the content at %s", q->url);
        rc = ex_ledger_why_dup(l, q->url, &doc, &dl);
        if (rc == EX_OK) {
            json_t *o = json_loadb(doc, dl, 0, NULL);
            json_t *it = json_loads(json_string_value(json_object_get(o, "item")), 0, NULL);
            const char *dg = json_string_value(json_object_get(it, "digest"));
            rc = dg && ex_digest_parse(dg, d) == EX_OK ? one_digest(&r, d) : EX_EFORMAT;
            json_decref(it);
            json_decref(o);
        } else if (rc == EX_ENOTFOUND) {
            rc = EX_OK; /* never recorded: it reaches nothing */
            ex_err_clear(&l->err);
        }
        free(doc);
    } else {
        rc = by_optout(l, q->optout_index, &r, what, sizeof what);
    }
    if (rc == EX_OK && (q->optout || q->items))
        rc = copies(l, &r);
    if (rc != EX_OK) {
        snap_set_free(&r.d);
        json_decref(r.list);
        if (!l->err.msg[0])
            ex_fail(&l->err, rc, "impact: %s", ex_strerror(rc));
        return rc;
    }
    snaps ss = {0};
    att *a = NULL;
    size_t na = 0;
    ex_buf b = {0};
    int *depth = NULL;
    size_t *via = NULL;
    uint64_t *hits = NULL;
    if (l->st->schema >= 5 &&
        (rc = l->st->ops->rec_scan(l->st, EX_TAB_SNAPSHOTS, 1, UINT64_MAX, take_snap, &ss)) != EX_OK) {
        ex_ledger_fail_store(l, rc);
        goto out;
    }
    if ((rc = att_load(l, &a, &na)) != EX_OK)
        goto out;
    hits = calloc(ss.n + 1, sizeof *hits);
    depth = malloc((na + 1) * sizeof *depth);
    via = calloc(na + 1, sizeof *via);
    if (!hits || !depth || !via) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t s = 0; s < ss.n && rc == EX_OK; s++)
        for (uint64_t i = 0; i < r.d.n && rc == EX_OK; i++) {
            int m = 0;
            if ((rc = snap_has(l, &ss.v[s], r.d.d[i], &m)) == EX_OK)
                hits[s] += (uint64_t)m;
        }
    if (rc != EX_OK)
        goto out;
    /* models: trained on a snapshot reached (depth 0), or derived from one (depth >= 1) */
    for (size_t i = 0; i < na; i++) {
        depth[i] = -1;
        for (size_t k = 0; k < a[i].nsnapshots && depth[i] < 0; k++)
            for (size_t s = 0; s < ss.n; s++)
                if (hits[s] && ss.v[s].log_index == a[i].snapshots[k].log_index) {
                    depth[i] = 0;
                    via[i] = s;
                }
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t c = 0; c < na; c++)
            for (size_t k = 0; k < a[c].nparents; k++)
                for (size_t p = 0; p < na; p++)
                    if (depth[p] >= 0 && strcmp(a[c].parents[k], a[p].model) == 0 &&
                        (depth[c] < 0 || depth[c] > depth[p] + 1)) {
                        depth[c] = depth[p] + 1;
                        via[c] = p;
                        changed = 1;
                    }
    }
    ex_cj w;
    ex_cj_init(&w, &b);
    ex_cj_obj(&w);
    ex_cj_key(&w, "clean_room");
    ex_cj_arr(&w);
    for (size_t s = 0; s < ss.n; s++)
        if (hits[s]) {
            ex_cj_obj(&w);
            ex_cj_kint(&w, "drops", (int64_t)hits[s]);
            ex_cj_kopt(&w, "from", ss.v[s].name);
            ex_cj_kint(&w, "members_after", (int64_t)(ss.v[s].size - hits[s]));
            ex_cj_end(&w);
        }
    ex_cj_end(&w);
    ex_cj_key(&w, "digests");
    ex_cj_arr(&w);
    for (uint64_t i = 0; i < r.d.n && i < REACH_MAX; i++) {
        char ds[EX_DIGEST_STR_BYTES];
        ex_digest_format(r.d.d[i], ds);
        ex_cj_str(&w, ds, EX_DIGEST_STR_LEN);
    }
    ex_cj_end(&w);
    ex_cj_kint(&w, "digests_count", (int64_t)r.d.n);
    if (r.items_known) {
        ex_cj_key(&w, "item_list");
        ex_cj_json(&w, r.list);
        ex_cj_kint(&w, "items", (int64_t)r.items);
    }
    ex_cj_key(&w, "models");
    ex_cj_arr(&w);
    for (int dd = 0; dd <= (int)na; dd++)
        for (size_t i = 0; i < na; i++) {
            if (depth[i] != dd)
                continue;
            char how[400];
            if (dd == 0)
                snprintf(how, sizeof how, "trained on snapshot '%s'", ss.v[via[i]].name);
            else
                snprintf(how, sizeof how, "%s of '%s' (%s)", a[i].kind, a[via[i]].name,
                         a[via[i]].model);
            ex_cj_obj(&w);
            ex_cj_kint(&w, "depth", dd);
            ex_cj_kopt(&w, "how", how);
            ex_cj_kopt(&w, "kind", a[i].kind);
            ex_cj_kint(&w, "log_index", (int64_t)a[i].log_index);
            ex_cj_kopt(&w, "model", a[i].model);
            ex_cj_kopt(&w, "name", a[i].name);
            ex_cj_key(&w, "retired");
            ex_cj_bool(&w, a[i].retired != 0);
            ex_cj_end(&w);
        }
    ex_cj_end(&w);
    ex_cj_kopt(&w, "query", what);
    ex_cj_key(&w, "snapshots");
    ex_cj_arr(&w);
    for (size_t s = 0; s < ss.n; s++)
        if (hits[s]) {
            ex_cj_obj(&w);
            ex_cj_kint(&w, "log_index", (int64_t)ss.v[s].log_index);
            ex_cj_kint(&w, "members_reached", (int64_t)hits[s]);
            ex_cj_kopt(&w, "name", ss.v[s].name);
            ex_cj_kint(&w, "size", (int64_t)ss.v[s].size);
            ex_cj_end(&w);
        }
    ex_cj_end(&w);
    ex_cj_end(&w);
    if ((rc = ex_cj_done(&w)) != EX_OK)
        ex_fail(&l->err, rc, "cannot write the answer");
    else
        *json = ex_buf_take(&b, len);
out:
    ex_buf_free(&b);
    free(hits);
    free(depth);
    free(via);
    free(ss.v);
    att_free(a, na);
    snap_set_free(&r.d);
    json_decref(r.list);
    return rc;
}
