/* dups.c - exante dups DIGEST|URL: an item's near-duplicate cluster, read-only. From the
 * item's fingerprint, band keys are looked up in the band index the last ingest saved
 * (near-<k>x<bands>/) and in the fingerprints recorded after it; a candidate is a member when
 * its estimated Jaccard similarity reaches the policy's threshold, and the members' own
 * near-duplicates are followed in turn (breadth first, at most DUPS_MAX members), as the
 * reservations that follow content are. */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cjson.h"
#include "dedup/dedup.h"
#include "dedup/near.h"

#define DUPS_MAX 1000

typedef struct member {
    uint64_t id, via;
    double j; /* with via */
} member;

typedef struct cluster {
    ex_ledger *l;
    ex_near *near;
    unsigned k, bands;
    double t;
    char dir[4096];
    int indexed;      /* the saved index fits this ledger: use it up to `covered` */
    uint64_t covered;
    member *m;
    size_t n;
    const uint8_t *fp; /* the fingerprint being expanded, of member `from` */
    uint64_t from;
    uint64_t keys[EX_NEAR_K_MAX];
    int rc;
} cluster;

/* item id's fingerprint into fp: 1, 0 if it has none with these parameters, or a failure */
static int
fingerprint(cluster *c, uint64_t id, uint8_t *fp)
{
    ex_store *st = c->l->st;
    uint8_t *rec;
    size_t len;
    if (st->schema < 7)
        return 0;
    int rc = st->ops->rec_get_dup(st, EX_TAB_NEAR, id, NULL, &rec, &len);
    if (rc == EX_ENOTFOUND)
        return 0;
    if (rc != EX_OK)
        return ex_ledger_fail_store(c->l, rc);
    const uint8_t *f = ex_near_record_fp(rec, len, c->k, c->bands);
    if (f)
        memcpy(fp, f, c->k);
    free(rec);
    return f != NULL;
}

/* a candidate: a member if new and similar enough */
static void
consider(cluster *c, uint64_t id, const uint8_t *fp)
{
    if (c->n >= DUPS_MAX)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (c->m[i].id == id)
            return;
    double j = ex_near_fp_jaccard(c->k, c->fp, fp);
    if (j + 1e-12 >= c->t)
        c->m[c->n++] = (member){id, c->from, j};
}

static int
candidate(void *ctx, uint64_t id)
{
    cluster *c = ctx;
    uint8_t fp[EX_NEAR_K_MAX];
    int has = fingerprint(c, id, fp);
    if (has < 0)
        c->rc = has;
    else if (has)
        consider(c, id, fp);
    return 0; /* every candidate */
}

/* fingerprints after the saved index (all of them without one): compared band by band */
static int
scan_fp(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    cluster *c = ctx;
    const uint8_t *f = ex_near_record_fp(data, len, c->k, c->bands);
    if (!f)
        return EX_OK;
    uint64_t keys[EX_NEAR_K_MAX];
    ex_near_bands_of(c->near, f, keys);
    for (unsigned j = 0; j < c->bands; j++)
        if (keys[j] == c->keys[j]) {
            consider(c, id, f);
            break;
        }
    return EX_OK;
}

/* the near-duplicates of member `from` (fingerprint fp) into the cluster */
static int
expand(cluster *c, uint64_t from, const uint8_t *fp)
{
    c->fp = fp;
    c->from = from;
    ex_near_bands_of(c->near, fp, c->keys);
    if (c->indexed)
        for (unsigned j = 0; j < c->bands && c->rc == EX_OK; j++) {
            uint64_t id, cov, ckey;
            if (ex_dedup_saved_find(c->dir, c->keys[j], candidate, c, &id, &cov, &ckey) != EX_OK)
                c->indexed = 0, c->covered = 0; /* gone meanwhile: read them all */
        }
    if (c->rc != EX_OK)
        return c->rc;
    ex_store *st = c->l->st;
    int rc = st->ops->rec_scan(st, EX_TAB_NEAR, c->indexed ? c->covered + 1 : 1, UINT64_MAX,
                               scan_fp, c);
    return rc == EX_OK ? EX_OK : ex_ledger_fail_store(c->l, rc);
}

static int
none(void *ctx, uint64_t id)
{
    (void)ctx, (void)id;
    return 0;
}

typedef struct latest {
    uint64_t id;
    json_t *dec;
} latest;

static int
keep_latest(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    latest *x = ctx;
    json_decref(x->dec);
    x->id = id;
    x->dec = json_loadb(data, len, 0, NULL);
    return x->dec ? EX_OK : EX_EFORMAT;
}

/* one member as JSON: its item's digest and URL, its similarity, its latest decision */
static int
member_json(cluster *c, const member *m, ex_cj *w)
{
    ex_store *st = c->l->st;
    uint8_t *rec;
    size_t len;
    int rc = st->ops->rec_get_dup(st, EX_TAB_ITEMS, m->id, NULL, &rec, &len);
    if (rc != EX_OK)
        return ex_ledger_fail_store(c->l, rc);
    json_t *it = json_loadb((const char *)rec, len, 0, NULL);
    free(rec);
    latest x = {0, NULL};
    rc = st->ops->rec_scan_key(st, EX_TAB_DECISIONS, (int64_t)m->id, keep_latest, &x);
    const char *dig = json_string_value(json_object_get(it, "digest")),
               *url = json_string_value(json_object_get(it, "url")),
               *verdict = json_string_value(json_object_get(x.dec, "verdict")),
               *rule = json_string_value(json_object_get(x.dec, "rule")),
               *res = json_string_value(json_object_get(x.dec, "reservation"));
    char sim[16];
    snprintf(sim, sizeof sim, "%.2f", m->j);
    ex_cj_obj(w);
    ex_cj_kopt(w, "digest", dig);
    ex_cj_kint(w, "item", (int64_t)m->id);
    ex_cj_kopt(w, "reservation", res);
    ex_cj_kopt(w, "rule", rule);
    ex_cj_kstr(w, "similarity", sim, strlen(sim));
    ex_cj_kopt(w, "url", url);
    ex_cj_kopt(w, "verdict", verdict);
    ex_cj_kint(w, "via", (int64_t)m->via);
    ex_cj_end(w);
    json_decref(it);
    json_decref(x.dec);
    return rc == EX_OK ? EX_OK : ex_ledger_fail_store(c->l, rc);
}

int
ex_ledger_dups_dup(ex_ledger *l, const char *q, char **json, size_t *len)
{
    *json = NULL;
    uint64_t id;
    char *record = NULL;
    int rc = ex_ledger_find_item(l, q, &id, &record);
    if (rc != EX_OK)
        return rc;
    cluster c;
    memset(&c, 0, sizeof c);
    c.l = l;
    uint8_t *fps = NULL;
    ex_buf out = {0};
    if ((rc = ex_ledger_near_params(l, &c.k, &c.bands, &c.t)) != EX_OK)
        goto done;
    if ((rc = ex_near_new(c.k, c.bands, &c.near)) != EX_OK ||
        !(c.m = malloc(DUPS_MAX * sizeof *c.m)) || !(fps = malloc(EX_NEAR_K_MAX))) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fingerprint(&c, id, fps)) <= 0) {
        if (rc == 0)
            rc = ex_fail(&l->err, EX_ENOTFOUND,
                         "item %llu has no near-duplicate fingerprint with k=%u, bands=%u (no "
                         "text, or recorded before fingerprints were)",
                         (unsigned long long)id, c.k, c.bands);
        goto done;
    }
    if (l->dir) {
        snprintf(c.dir, sizeof c.dir, "%s/near-%ux%u", l->dir, c.k, c.bands);
        uint64_t x, ckey;
        int64_t k = 0;
        uint8_t *data = NULL;
        size_t dl;
        /* the saved index, if it indexed this ledger (its covered item has the key it names) */
        if (ex_dedup_saved_find(c.dir, 1, none, &c, &x, &c.covered, &ckey) == EX_OK &&
            (c.covered == 0 ||
             (l->st->ops->rec_get_dup(l->st, EX_TAB_ITEMS, c.covered, &k, &data, &dl) == EX_OK &&
              (uint64_t)k == ckey)))
            c.indexed = 1;
        free(data);
    }
    c.m[c.n++] = (member){id, 0, 1.0};
    uint8_t fp[EX_NEAR_K_MAX];
    for (size_t at = 0; rc >= 0 && at < c.n; at++) {
        if (at == 0)
            rc = expand(&c, id, fps);
        else if ((rc = fingerprint(&c, c.m[at].id, fp)) > 0)
            rc = expand(&c, c.m[at].id, fp);
    }
    if (rc < 0)
        goto done;
    ex_cj w;
    ex_cj_init(&w, &out);
    ex_cj_obj(&w);
    ex_cj_kint(&w, "bands", c.bands);
    ex_cj_key(&w, "cluster");
    ex_cj_arr(&w);
    for (size_t i = 1; rc >= 0 && i < c.n; i++)
        rc = member_json(&c, &c.m[i], &w);
    ex_cj_end(&w);
    ex_cj_kint(&w, "item", (int64_t)id);
    ex_cj_kint(&w, "k", c.k);
    ex_cj_key(&w, "of");
    if (rc >= 0) {
        member self = {id, 0, 1.0};
        rc = member_json(&c, &self, &w);
    }
    char t[32];
    snprintf(t, sizeof t, "%g", c.t);
    ex_cj_kstr(&w, "threshold", t, strlen(t));
    ex_cj_key(&w, "truncated");
    ex_cj_bool(&w, c.n >= DUPS_MAX);
    ex_cj_end(&w);
    if (rc >= 0 && (rc = ex_cj_done(&w)) == EX_OK) {
        *json = out.data, *len = out.len;
        out.data = NULL;
    }
    if (rc > 0)
        rc = EX_OK;
done:
    ex_buf_free(&out);
    free(record);
    free(c.m);
    free(fps);
    ex_near_free(c.near);
    return rc;
}
