/* members.c - what a snapshot holds, recomputed from the ledger (snapshot.h): the content
 * digests whose latest decision, as of a log size, is admit and that no opt-out logged below
 * that size reaches. Snapshot creation and audit both call it, so a monitor's recomputation
 * is the creator's computation. */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* the last decision id committed by a batch logged below log_size */
typedef struct cutoff_ctx {
    uint64_t below, last;
    ex_fields f;
} cutoff_ctx;

static int
batch_cutoff(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    cutoff_ctx *c = ctx;
    if (key < 0 || (uint64_t)key >= c->below)
        return EX_OK;
    int rc = ex_fields_read(&c->f, data, len);
    if (rc != EX_OK || c->f.num[0] < 1 || c->f.num[1] < 0)
        return EX_EFORMAT;
    uint64_t last = (uint64_t)c->f.num[0] + (uint64_t)c->f.num[1] - 1;
    if (last > c->last)
        c->last = last;
    return EX_OK;
}

typedef struct latest_ctx {
    uint64_t *latest; /* per item id: its latest decision id within the cutoff, 0 none */
    uint64_t n, cutoff;
} latest_ctx;

static int
note_latest(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    latest_ctx *c = ctx;
    (void)data, (void)len;
    if (id <= c->cutoff && key > 0 && (uint64_t)key < c->n && id > c->latest[key])
        c->latest[key] = id;
    return EX_OK;
}

enum { D_VERDICT, D_DIGEST, D_POLICY, D_COUNT };

typedef struct admit_ctx {
    ex_ledger *l;
    latest_ctx *lc;
    ex_fields f;
    snap_set *out;
    uint64_t *items; /* the item of each admitted digest, parallel to out->d */
    snap_policies *pol;
} admit_ctx;

static int
push(snap_set *s, uint64_t **items, const uint8_t d[EX_HASH_BYTES], uint64_t item)
{
    if (s->n == s->cap) {
        uint64_t cap = s->cap ? s->cap * 2 : 4096;
        uint8_t(*v)[EX_HASH_BYTES] = realloc(s->d, cap * sizeof *v);
        if (!v)
            return EX_ENOMEM;
        s->d = v;
        if (items) {
            uint64_t *w = realloc(*items, cap * sizeof *w);
            if (!w)
                return EX_ENOMEM;
            *items = w;
        }
        s->cap = cap;
    }
    memcpy(s->d[s->n], d, EX_HASH_BYTES);
    if (items)
        (*items)[s->n] = item;
    s->n++;
    return EX_OK;
}

static int
note_policy(snap_policies *p, const char *dig)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i], dig) == 0)
            return EX_OK;
    if (p->n == SNAP_POLICIES_MAX)
        return EX_OK; /* more are not listed */
    snprintf(p->v[p->n++], sizeof p->v[0], "%s", dig);
    return EX_OK;
}

static int
take_decision(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    admit_ctx *c = ctx;
    if (key <= 0 || (uint64_t)key >= c->lc->n || c->lc->latest[key] != id)
        return EX_OK;
    int rc = ex_fields_read(&c->f, data, len);
    if (rc != EX_OK)
        return ex_fail(&c->l->err, rc, "decision %llu is not a decision record",
                       (unsigned long long)id);
    const char *v = c->f.str[D_VERDICT], *dig = c->f.str[D_DIGEST], *pol = c->f.str[D_POLICY];
    if (!v || strcmp(v, "admit") != 0)
        return EX_OK;
    uint8_t d[EX_HASH_BYTES];
    if (!dig || ex_digest_parse(dig, d) != EX_OK)
        return ex_fail(&c->l->err, EX_EFORMAT, "decision %llu has no content digest",
                       (unsigned long long)id);
    if (pol)
        note_policy(c->pol, pol);
    if (push(c->out, &c->items, d, (uint64_t)key) != EX_OK)
        return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

static int
cmp_digest(const void *a, const void *b)
{
    return memcmp(a, b, EX_HASH_BYTES);
}

/* Drop the admitted items an opt-out logged below log_size reaches. */
static int
drop_optouts(ex_ledger *l, uint64_t log_size, snap_set *s, const uint64_t *items,
             uint64_t *dropped)
{
    struct ex_policy *pol;
    ex_peval *e;
    uint64_t nopt;
    *dropped = 0;
    int rc = ex_ledger_optouts_load(l, log_size, &pol, &e, &nopt);
    if (rc != EX_OK || nopt == 0) {
        ex_peval_free(e);
        ex_policy_free(pol);
        return rc;
    }
    static const char *const paths[1] = {"url"};
    ex_fields f;
    if ((rc = ex_fields_init(&f, paths, 1)) != EX_OK)
        ex_fail(&l->err, rc, "cannot compile the item fields");
    uint64_t kept = 0;
    for (uint64_t i = 0; rc == EX_OK && i < s->n; i++) {
        uint8_t *rec = NULL;
        size_t len;
        if ((rc = l->st->ops->rec_get_dup(l->st, EX_TAB_ITEMS, items[i], NULL, &rec, &len)) !=
            EX_OK) {
            ex_fail(&l->err, rc, "cannot read item %llu: %s", (unsigned long long)items[i],
                    ex_store_errmsg(l->st));
            break;
        }
        if ((rc = ex_fields_read(&f, (const char *)rec, len)) != EX_OK)
            ex_fail(&l->err, rc, "item %llu is not an item record",
                    (unsigned long long)items[i]);
        free(rec);
        if (rc != EX_OK)
            break;
        char dig[EX_DIGEST_STR_BYTES];
        ex_digest_format(s->d[i], dig);
        ex_pitem it = {.digest = dig, .digest_raw = s->d[i], .url = f.str[0]};
        if (ex_peval_optout(e, &it, NULL))
            (*dropped)++;
        else
            memmove(s->d[kept++], s->d[i], EX_HASH_BYTES);
    }
    if (rc == EX_OK)
        s->n = kept;
    ex_fields_free(&f);
    ex_peval_free(e);
    ex_policy_free(pol);
    return rc;
}

int
snap_members(ex_ledger *l, uint64_t log_size, snap_set *out, snap_counts *counts,
             snap_policies *pol)
{
    ex_store *st = l->st;
    memset(out, 0, sizeof *out);
    memset(counts, 0, sizeof *counts);
    memset(pol, 0, sizeof *pol);
    static const char *const bpaths[2] = {"first", "count"};
    static const char *const dpaths[D_COUNT] = {"verdict", "digest", "policy"};
    cutoff_ctx cc = {.below = log_size};
    latest_ctx lc = {0};
    admit_ctx ac = {.l = l, .lc = &lc, .out = out, .pol = pol};
    uint64_t maxi = 0;
    int rc = ex_fields_init(&cc.f, bpaths, 2);
    if (rc == EX_OK)
        rc = ex_fields_init(&ac.f, dpaths, D_COUNT);
    if (rc != EX_OK) {
        ex_fail(&l->err, rc, "cannot compile the record fields");
        goto out;
    }
    /* the decisions in force at log_size: those of the batches logged below it */
    if ((rc = st->ops->rec_scan(st, EX_TAB_BATCHES, 1, UINT64_MAX, batch_cutoff, &cc)) != EX_OK) {
        rc == EX_EFORMAT ? ex_fail(&l->err, rc, "a batch record is malformed")
                         : ex_ledger_fail_store(l, rc);
        goto out;
    }
    if ((rc = st->ops->rec_max(st, EX_TAB_ITEMS, &maxi)) != EX_OK) {
        ex_ledger_fail_store(l, rc);
        goto out;
    }
    lc.n = maxi + 1;
    lc.cutoff = cc.last;
    if (!(lc.latest = calloc(lc.n, sizeof *lc.latest))) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto out;
    }
    /* each item's latest decision among them (from the key index), then those decisions */
    if ((rc = st->ops->rec_keys(st, EX_TAB_DECISIONS, note_latest, &lc)) != EX_OK) {
        ex_ledger_fail_store(l, rc);
        goto out;
    }
    ex_err_clear(&l->err);
    if ((rc = st->ops->rec_scan(st, EX_TAB_DECISIONS, 1, lc.cutoff + 1, take_decision, &ac)) !=
        EX_OK) {
        if (!l->err.msg[0])
            ex_ledger_fail_store(l, rc);
        goto out;
    }
    counts->admitted = out->n;
    if ((rc = drop_optouts(l, log_size, out, ac.items, &counts->optout_excluded)) != EX_OK)
        goto out;
    if (out->n)
        qsort(out->d, out->n, sizeof *out->d, cmp_digest);
    uint64_t k = 0; /* one leaf per content (an item and its re-decisions name it once) */
    for (uint64_t i = 0; i < out->n; i++)
        if (k == 0 || memcmp(out->d[k - 1], out->d[i], EX_HASH_BYTES) != 0)
            memmove(out->d[k++], out->d[i], EX_HASH_BYTES);
    out->n = k;
out:
    ex_fields_free(&cc.f);
    ex_fields_free(&ac.f);
    free(lc.latest);
    free(ac.items);
    if (rc != EX_OK)
        snap_set_free(out);
    return rc;
}

void
snap_set_free(snap_set *s)
{
    free(s->d);
    memset(s, 0, sizeof *s);
}

uint64_t
snap_intersect(snap_set *a, const snap_set *b)
{
    uint64_t i = 0, j = 0, k = 0;
    while (i < a->n && j < b->n) {
        int c = memcmp(a->d[i], b->d[j], EX_HASH_BYTES);
        if (c == 0)
            memmove(a->d[k++], a->d[i], EX_HASH_BYTES);
        i += c <= 0;
        j += c >= 0;
    }
    uint64_t dropped = a->n - k;
    a->n = k;
    return dropped;
}

int
snap_walk(const snap_set *a, const snap_set *b, int (*fn)(void *ctx, int added,
                                                          const uint8_t d[EX_HASH_BYTES]),
          void *ctx, uint64_t *added, uint64_t *removed)
{
    uint64_t i = 0, j = 0;
    int rc = EX_OK;
    *added = *removed = 0;
    while (rc == EX_OK && (i < a->n || j < b->n)) {
        int c = i == a->n ? 1 : j == b->n ? -1 : memcmp(a->d[i], b->d[j], EX_HASH_BYTES);
        if (c == 0) {
            i++, j++;
        } else if (c < 0) {
            (*removed)++;
            rc = fn ? fn(ctx, 0, a->d[i]) : EX_OK;
            i++;
        } else {
            (*added)++;
            rc = fn ? fn(ctx, 1, b->d[j]) : EX_OK;
            j++;
        }
    }
    return rc;
}
