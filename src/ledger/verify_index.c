/* verify_index.c - log verify's check of the lookup indexes an ingest saves in the ledger's
 * directory (lookups.c). Every item the duplicate index covers must be found under its
 * digest's key (itself, or for an exact copy the item it copies; a WARC revisit is not in
 * it), and every item the URL index covers under its URL's. An index that lost an item would
 * make a later copy of it look new, or `why` answer "no item": an altered entry or a damaged
 * run file is reported with the item it lost. Lookups confirm every candidate against its
 * record, so an extra entry can do no harm and is not looked for. */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"

enum { F_DIGEST, F_URL, F_WARC_TYPE, F_COUNT };

struct ex_vindex {
    ex_ledger *l;
    ex_dedup_saved *ix[2]; /* the duplicate index, the URL index (NULL: none saved) */
    uint64_t covered[2];
    ex_fields itemf, decf;
    uint64_t want;    /* the id a lookup must give */
    uint64_t checked; /* items looked up */
};

static const char *const ix_dir[2] = {"dedup", URL_INDEX};
static const char *const ix_name[2] = {"duplicate index", "URL index"};

int
ex_vindex_open(ex_ledger *l, ex_vindex **out)
{
    static const char *const ipaths[F_COUNT] = {"digest", "url", "warc_type"};
    static const char *const dpaths[1] = {"copy_of"};
    *out = NULL;
    if (!l->dir)
        return EX_OK;
    ex_vindex *v = calloc(1, sizeof *v);
    if (!v)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    v->l = l;
    int rc = ex_fields_init(&v->itemf, ipaths, F_COUNT);
    if (rc == EX_OK)
        rc = ex_fields_init(&v->decf, dpaths, 1);
    if (rc != EX_OK) {
        ex_vindex_close(v);
        return ex_fail(&l->err, rc, "cannot compile the index check's fields");
    }
    for (int i = 0; rc == EX_OK && i < 2; i++) {
        char dir[4096];
        uint64_t key, k = 0;
        ex_err e = {0};
        snprintf(dir, sizeof dir, "%s/%s", l->dir, ix_dir[i]);
        rc = ex_dedup_saved_open(dir, &v->ix[i], &v->covered[i], &key, &e);
        if (rc == EX_ENOTFOUND && !e.msg[0]) {
            rc = EX_OK; /* none saved: the next ingest builds it */
            continue;
        }
        if (rc != EX_OK)
            rc = ex_fail(&l->err, rc == EX_ENOMEM ? rc : EX_EVERIFY, "the %s: %s", ix_name[i],
                         e.msg);
        /* the last item it covers must be this ledger's */
        else if (v->covered[i]) {
            int krc = ex_ledger_item_key(l, v->covered[i], &k);
            if (krc != EX_OK || k != key)
                rc = ex_fail(&l->err, krc == EX_ENOMEM ? krc : EX_EVERIFY,
                             "the %s ends with item %llu, which this ledger %s", ix_name[i],
                             (unsigned long long)v->covered[i],
                             krc == EX_ENOTFOUND ? "does not have"
                             : krc != EX_OK      ? "cannot read"
                                                 : "has with another digest");
        }
    }
    if (rc != EX_OK) {
        ex_vindex_close(v);
        return rc;
    }
    *out = v;
    return EX_OK;
}

static int
is_want(void *ctx, uint64_t id)
{
    return id == ((ex_vindex *)ctx)->want;
}

int
ex_vindex_item(ex_vindex *v, uint64_t item, const char *irec, size_t ilen, const char *drec,
               size_t dlen)
{
    if (!v || (item > v->covered[0] && item > v->covered[1]))
        return EX_OK;
    ex_ledger *l = v->l;
    int rc = ex_fields_read(&v->itemf, irec, ilen);
    if (rc == EX_OK)
        rc = ex_fields_read(&v->decf, drec, dlen);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc == EX_ENOMEM ? rc : EX_EVERIFY,
                       "item %llu or its decision is not a record", (unsigned long long)item);
    const char *dig = v->itemf.str[F_DIGEST], *url = v->itemf.str[F_URL];
    const char *type = v->itemf.str[F_WARC_TYPE];
    uint8_t d[EX_HASH_BYTES];
    v->checked++;
    if (v->ix[0] && item <= v->covered[0] && !(type && strcmp(type, "revisit") == 0)) {
        if (!dig || ex_digest_parse(dig, d) != EX_OK)
            return ex_fail(&l->err, EX_EVERIFY, "item %llu has no digest", (unsigned long long)item);
        int64_t copy = v->decf.num[0];
        v->want = copy > 0 ? (uint64_t)copy : item;
        if (ex_dedup_saved_lookup(v->ix[0], ex_dedup_key(d), is_want, v) != v->want)
            return ex_fail(&l->err, EX_EVERIFY, "the duplicate index lacks item %llu under its "
                                                "digest",
                           (unsigned long long)v->want);
    }
    if (v->ix[1] && item <= v->covered[1] && url) {
        uint64_t uk = url_key(l->h, url);
        if (!uk)
            return ex_fail(&l->err, EX_ECRYPTO, "cannot hash a URL");
        v->want = item;
        if (ex_dedup_saved_lookup(v->ix[1], uk, is_want, v) != item)
            return ex_fail(&l->err, EX_EVERIFY, "the URL index lacks item %llu under its URL",
                           (unsigned long long)item);
    }
    return EX_OK;
}

uint64_t
ex_vindex_checked(const ex_vindex *v)
{
    return v ? v->checked : 0;
}

void
ex_vindex_close(ex_vindex *v)
{
    if (!v)
        return;
    ex_dedup_saved_close(v->ix[0]);
    ex_dedup_saved_close(v->ix[1]);
    ex_fields_free(&v->itemf);
    ex_fields_free(&v->decf);
    free(v);
}
