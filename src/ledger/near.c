/* near.c - near-duplicates in the ingest pipeline (pipeline.h). Readers make each item's
 * fingerprint (dedup/near.h); the sequencer keeps a band index like the exact-duplicate one
 * (dedup.h: band key -> item, bounded memory, runs on disk, kept between ingests in
 * near-<k>x<bands>/), and confirms each candidate by its estimated Jaccard similarity. A
 * candidate's fingerprint is read from the batch being filled or in flight, else from the
 * near table. */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/near.h"

#define DEFAULT_K 112
#define DEFAULT_BANDS 14
#define DEFAULT_NEAR 0.8

typedef struct near_load {
    run *r;
    int rc;
} near_load;

/* a fingerprint recorded before this run, into the band index */
static int
load_fp(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    near_load *c = ctx;
    const uint8_t *fp = ex_near_record_fp(data, len, c->r->near_k, c->r->near_bands);
    if (!fp)
        return EX_OK; /* no text, or other parameters: not comparable */
    return near_put(c->r, fp, id);
}

void
near_params(run *r)
{
    r->near_k = r->pol && r->pol->minhash_k ? r->pol->minhash_k : DEFAULT_K;
    r->near_bands = r->pol && r->pol->minhash_bands ? r->pol->minhash_bands : DEFAULT_BANDS;
    r->near_t = r->pol ? r->pol->near : DEFAULT_NEAR;
}

int
near_start(run *r)
{
    ex_ledger *l = r->l;
    near_params(r);
    int rc = ex_near_new(r->near_k, r->near_bands, &r->near);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc, "cannot make a fingerprinter");
    char name[48];
    snprintf(name, sizeof name, "near-%ux%u", r->near_k, r->near_bands);
    uint64_t from;
    if ((rc = index_start(r, name, ex_dedup_mem_items(), &r->bands, &from)) != EX_OK)
        return rc;
    near_load c = {r, EX_OK};
    ex_err_clear(&l->err);
    rc = l->st->ops->rec_scan(l->st, EX_TAB_NEAR, from, UINT64_MAX, load_fp, &c);
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    return rc;
}

void
near_save(run *r)
{
    index_save(r, r->bands);
}

void
near_stop(run *r)
{
    ex_dedup_close(r->bands);
    ex_near_free(r->near);
    ex_buf_free(&r->nbuf);
    r->bands = NULL;
    r->near = NULL;
}

int
near_put(run *r, const uint8_t *fp, uint64_t id)
{
    uint64_t keys[EX_NEAR_K_MAX];
    ex_near_bands_of(r->near, fp, keys);
    ex_err err = {0};
    for (unsigned j = 0; j < r->near_bands; j++) {
        int rc = ex_dedup_put(r->bands, keys[j], id, &err);
        if (rc != EX_OK)
            return bat_fail(&r->w, rc, "%s", err.msg);
    }
    return EX_OK;
}

/* the fingerprint record of earlier item id in a batch not committed yet: 1 with *rec */
static int
batch_fp(const batcher *w, uint64_t id, const uint8_t **rec, size_t *len)
{
    const batch *bts[2] = {w->b, w->fly};
    for (int k = 0; k < 2; k++) {
        const batch *bt = bts[k];
        size_t ni = bt == w->b ? bt->np : bt ? bt->ni : 0;
        if (!ni)
            continue;
        uint64_t first = bt == w->b ? w->next_item - ni : bt->first_item;
        if (id >= first && id < first + ni && bt->nearrec.len) {
            const pending *p = &bt->p[id - first];
            *rec = (const uint8_t *)bt->nearrec.data + p->nrec;
            *len = p->nrec_len;
            return 1;
        }
    }
    return 0;
}

int
near_fp(run *r, uint64_t id, uint8_t *fp)
{
    const uint8_t *rec;
    size_t len;
    uint8_t *owned = NULL;
    if (!batch_fp(&r->w, id, &rec, &len)) {
        ex_store *st = r->rd;
        int rc;
        if (!st) {
            if ((rc = bat_land(&r->w)) != EX_OK)
                return rc;
            st = r->l->st;
        }
        rc = st->ops->rec_get_dup(st, EX_TAB_NEAR, id, NULL, &owned, &len);
        if (rc == EX_ENOTFOUND)
            return 0; /* recorded before fingerprints were */
        if (rc != EX_OK)
            return bat_fail(&r->w, rc, "cannot read the fingerprint of item %llu: %s",
                            (unsigned long long)id, ex_store_errmsg(st));
        rec = owned;
    }
    const uint8_t *f = ex_near_record_fp(rec, len, r->near_k, r->near_bands);
    if (f)
        memcpy(fp, f, r->near_k);
    free(owned);
    return f != NULL;
}

typedef struct finding {
    run *r;
    const uint8_t *fp;
    uint64_t self;
    near_hit *hits;
    size_t n;
    int rc;
} finding;

/* each candidate of a band: judged once (0: the search goes on through every candidate) */
static int
judge(void *ctx, uint64_t id)
{
    finding *c = ctx;
    if (id == c->self || c->rc != EX_OK)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->hits[i].id == id)
            return 0;
    uint8_t fp[EX_NEAR_K_MAX];
    int has = near_fp(c->r, id, fp);
    if (has <= 0) {
        c->rc = has; /* 0 (no fingerprint to compare) or the run's failure */
        return 0;
    }
    double j = ex_near_fp_jaccard(c->r->near_k, c->fp, fp);
    if (j + 1e-12 < c->r->near_t)
        return 0;
    /* kept sorted by similarity, the most similar NEAR_HITS_MAX */
    size_t at = c->n < NEAR_HITS_MAX ? c->n++ : NEAR_HITS_MAX - 1;
    if (at == NEAR_HITS_MAX - 1 && c->n == NEAR_HITS_MAX && c->hits[at].j >= j)
        return 0;
    while (at > 0 && c->hits[at - 1].j < j) {
        c->hits[at] = c->hits[at - 1];
        at--;
    }
    c->hits[at] = (near_hit){id, j};
    return 0;
}

int
near_find(run *r, const uint8_t *fp, uint64_t self, near_hit *hits, size_t *n)
{
    uint64_t keys[EX_NEAR_K_MAX];
    ex_near_bands_of(r->near, fp, keys);
    for (unsigned j = 0; j < r->near_bands; j++) /* the bands' cache misses overlap */
        ex_dedup_prefetch(r->bands, keys[j]);
    finding c = {r, fp, self, hits, 0, EX_OK};
    for (unsigned j = 0; j < r->near_bands && c.rc == EX_OK; j++) {
        int rc = EX_OK;
        (void)ex_dedup_find(r->bands, keys[j], judge, &c, &rc);
        if (rc != EX_OK)
            return bat_fail(&r->w, rc, "cannot read the band index: %s", ex_strerror(rc));
    }
    *n = c.n;
    return c.rc;
}
