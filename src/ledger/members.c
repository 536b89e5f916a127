/* members.c - what a snapshot holds, recomputed from the ledger (snapshot.h): the content
 * digests whose latest decision, as of a log size, is admit and that no opt-out logged below
 * that size reaches. Snapshot creation and audit both call it, so a monitor's recomputation
 * is the creator's computation. */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "merkle/merkle.h"
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

/* Drop the admitted items an opt-out reaches (e: the opt-outs logged below the log size), from
 * s and from items alike. */
static int
drop_optouts(ex_ledger *l, struct ex_peval *e, snap_set *s, uint64_t *items, uint64_t *dropped)
{
    static const char *const paths[1] = {"url"};
    ex_fields f;
    int rc = ex_fields_init(&f, paths, 1);
    if (rc != EX_OK)
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
        if (ex_peval_optout(e, &it, NULL)) {
            (*dropped)++;
        } else {
            items[kept] = items[i];
            memmove(s->d[kept++], s->d[i], EX_HASH_BYTES);
        }
    }
    if (rc == EX_OK)
        s->n = kept;
    ex_fields_free(&f);
    return rc;
}

#define PAIR (EX_HASH_BYTES + 8) /* a digest and its item, while sorting them together */

static int
bit(const uint64_t *b, uint64_t i)
{
    return (int)(b[i >> 6] >> (i & 63) & 1);
}

/* The digests s->d[0..n) and their items sorted together (each digest with its item), the
 * digests made distinct in s and the items put in mi member by member; items is taken
 * (freed or kept by mi) in every case. */
static int
pair_members(snap_set *s, uint64_t *items, snap_items *mi)
{
    uint64_t n = s->n;
    memset(mi, 0, sizeof *mi);
    if (n == 0) {
        free(items);
        return EX_OK;
    }
    uint8_t *p = realloc(s->d, n * PAIR);
    uint64_t *first = calloc(n / 64 + 1, sizeof *first);
    if (p)
        s->d = (uint8_t(*)[EX_HASH_BYTES])p;
    if (!p || !first) {
        free(first);
        free(items);
        return EX_ENOMEM;
    }
    /* spread the digests to PAIR bytes each, from the last (each moves up) */
    for (uint64_t i = n; i-- > 0;) {
        memmove(p + i * PAIR, p + i * EX_HASH_BYTES, EX_HASH_BYTES);
        memcpy(p + i * PAIR + EX_HASH_BYTES, &items[i], 8);
    }
    int rc = ex_merkle_sorted_sort_by(p, n, PAIR, 2);
    if (rc != EX_OK) {
        free(first);
        free(items);
        return rc;
    }
    /* one leaf per content, its items after it; the digests close up from the front (the
     * k-th lands below the i-th pair's item, which is read first) */
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        memcpy(&items[i], p + i * PAIR + EX_HASH_BYTES, 8);
        if (k == 0 || memcmp(p + (k - 1) * EX_HASH_BYTES, p + i * PAIR, EX_HASH_BYTES) != 0) {
            memmove(p + k * EX_HASH_BYTES, p + i * PAIR, EX_HASH_BYTES);
            first[i >> 6] |= (uint64_t)1 << (i & 63);
            k++;
        }
    }
    uint8_t(*d)[EX_HASH_BYTES] = realloc(p, k * EX_HASH_BYTES);
    if (d)
        s->d = d;
    s->n = s->cap = k;
    *mi = (snap_items){.item = items, .first = first, .n = n};
    return EX_OK;
}

void
snap_items_free(snap_items *mi)
{
    free(mi->item);
    free(mi->first);
    memset(mi, 0, sizeof *mi);
}

uint64_t
snap_items_end(const snap_items *mi, uint64_t i)
{
    while (++i < mi->n && !bit(mi->first, i))
        ;
    return i;
}

uint64_t
snap_intersect_items(snap_set *a, snap_items *ai, const snap_set *b)
{
    uint64_t i = 0, j = 0, k = 0, it = 0, kt = 0;
    while (i < a->n && j < b->n) {
        int c = memcmp(a->d[i], b->d[j], EX_HASH_BYTES);
        if (c <= 0) {
            uint64_t end = snap_items_end(ai, it);
            if (c == 0) {
                memmove(a->d[k++], a->d[i], EX_HASH_BYTES);
                for (uint64_t x = it; x < end; x++, kt++) {
                    ai->item[kt] = ai->item[x];
                    ai->first[kt >> 6] &= ~((uint64_t)1 << (kt & 63));
                    if (x == it)
                        ai->first[kt >> 6] |= (uint64_t)1 << (kt & 63);
                }
            }
            it = end;
            i++;
        }
        j += c >= 0;
    }
    uint64_t dropped = a->n - k;
    a->n = k;
    ai->n = kt;
    return dropped;
}

int
snap_members(ex_ledger *l, uint64_t log_size, snap_set *out, snap_counts *counts,
             snap_policies *pol, snap_items *mi)
{
    if (mi)
        memset(mi, 0, sizeof *mi);
    ex_store *st = l->st;
    memset(out, 0, sizeof *out);
    memset(counts, 0, sizeof *counts);
    memset(pol, 0, sizeof *pol);
    static const char *const bpaths[2] = {"first", "count"};
    cutoff_ctx cc = {.below = log_size};
    struct ex_policy *opol = NULL;
    ex_peval *oe = NULL;
    uint64_t maxi = 0, nopt = 0, *items = NULL;
    int rc = ex_fields_init(&cc.f, bpaths, 2);
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
    /* the opt-outs first: only when there are any does each admitted digest keep its item */
    if ((rc = ex_ledger_optouts_load(l, log_size, &opol, &oe, &nopt)) != EX_OK)
        goto out;
    if ((rc = snap_admitted(l, cc.last, maxi + 1, out, nopt || mi ? &items : NULL, pol)) !=
        EX_OK)
        goto out;
    counts->admitted = out->n;
    if (nopt && (rc = drop_optouts(l, oe, out, items, &counts->optout_excluded)) != EX_OK)
        goto out;
    if (mi) { /* each member with its items (near-duplicate trees read their fingerprints) */
        rc = pair_members(out, items, mi);
        items = NULL;
        if (rc != EX_OK)
            ex_fail(&l->err, rc, "out of memory");
        goto out;
    }
    free(items);
    items = NULL;
    if ((rc = ex_merkle_sorted_sort(out->d, out->n, 2)) != EX_OK) {
        ex_fail(&l->err, rc, "out of memory");
        goto out;
    }
    uint64_t k = 0; /* one leaf per content (an item and its re-decisions name it once) */
    for (uint64_t i = 0; i < out->n; i++)
        if (k == 0 || memcmp(out->d[k - 1], out->d[i], EX_HASH_BYTES) != 0)
            memmove(out->d[k++], out->d[i], EX_HASH_BYTES);
    out->n = k;
out:
    ex_fields_free(&cc.f);
    ex_peval_free(oe);
    ex_policy_free(opol);
    free(items);
    if (rc != EX_OK) {
        snap_set_free(out);
        if (mi)
            snap_items_free(mi);
    }
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
