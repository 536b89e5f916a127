/* lookups.c - exact duplicates and WARC revisit targets (pipeline.h). Two indexes (dedup.h)
 * map keys to item ids: the first 8 bytes of each content digest (dedup/), and of the SHA-256
 * of each item's URL (by-url/). A candidate is confirmed against its item record, read from
 * the batch being filled or in flight, else from the store; a record that cannot be read fails
 * the run with the item named (never "not a copy": that would turn a duplicate into a fresh
 * decision). Both indexes are kept between ingests in the ledger's directory, and are the
 * lookup paths of `why DIGEST` and `why URL` (why.c). */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/jsonscan.h"

uint64_t
url_key(ex_sha256 *h, const char *url)
{
    uint8_t d[EX_HASH_BYTES];
    if (ex_sha256_digest(h, url, strlen(url), d) != EX_OK)
        return 0;
    return ex_dedup_key(d);
}

/* the fields of item records that lookups read (run->itemf) */
enum { R_DIGEST, R_URL, R_WARC_TYPE, R_RECORD_ID, R_COUNT };

/* Item `id`, recorded in this run or before, parsed into *f. A failure is the run's, with the
 * item named. */
static int
read_item(run *r, uint64_t id, const char *why)
{
    const char *rec;
    size_t len;
    uint8_t *owned = NULL;
    int rc = EX_OK;
    if (!bat_item(&r->w, id, &rec, &len)) {
        /* committed: through the reader connection, while the writer goes on; without one the
         * main connection is the writer's while a batch is in flight, so wait for it */
        ex_store *st = r->rd;
        if (!st) {
            if ((rc = bat_land(&r->w)) != EX_OK)
                return rc; /* the batch's failure is the run's */
            st = r->l->st;
        }
        if ((rc = st->ops->rec_get_dup(st, EX_TAB_ITEMS, id, NULL, &owned, &len)) != EX_OK)
            return bat_fail(&r->w, rc, "%s: cannot read item %llu: %s", why,
                            (unsigned long long)id,
                            rc == EX_ENOTFOUND ? "no such item" : ex_store_errmsg(st));
        rec = (const char *)owned;
    }
    if ((rc = ex_fields_read(&r->itemf, rec, len)) != EX_OK)
        bat_fail(&r->w, rc, "%s: item %llu is not an item record%s", why, (unsigned long long)id,
                 rc == EX_ENOMEM ? " (out of memory)" : "");
    free(owned);
    return rc;
}

/* ---- searches: each candidate an index gives is read, parsed and judged ---- */

typedef struct search {
    run *r;
    const char *why;        /* for messages: what the search is for */
    const char *dig;        /* a copy of this content digest; NULL: a revisit's target */
    const char *url, *rid;  /* a revisit's target URL and WARC-Refers-To (or NULL) */
    uint64_t best;          /* the target so far */
    int exact;              /* best has the record id rid */
    int rc;                 /* a candidate that cannot be read: the search stops */
} search;

/* 1 to stop the search: a match (a copy; the target named by rid), or a failure (c->rc) */
static int
candidate(void *ctx, uint64_t id)
{
    search *c = ctx;
    if ((c->rc = read_item(c->r, id, c->why)) != EX_OK)
        return 1;
    const char *const *v = c->r->itemf.str;
    if (c->dig)
        return v[R_DIGEST] && strcmp(v[R_DIGEST], c->dig) == 0;
    /* a revisit repeats an earlier WARC record (not a revisit) with its URL: the one with the
     * record id it names, else the latest */
    const char *u = v[R_URL], *t = v[R_WARC_TYPE], *rid = v[R_RECORD_ID];
    if (u && strcmp(u, c->url) == 0 && t && strcmp(t, "revisit") != 0) {
        if (c->rid && rid && strcmp(rid, c->rid) == 0)
            c->best = id, c->exact = 1;
        else if (id > c->best)
            c->best = id;
    }
    return c->exact;
}

static int
search_index(run *r, ex_dedup *ix, const char *ixname, uint64_t key, search *c, uint64_t *id)
{
    int rc = EX_OK;
    uint64_t found = ex_dedup_find(ix, key, candidate, c, &rc);
    if (rc != EX_OK)
        bat_fail(&r->w, rc, "cannot read the %s: %s", ixname, ex_strerror(rc));
    else if ((rc = c->rc) == EX_OK)
        *id = c->dig ? found : c->best;
    return rc;
}

int
lookup_copy(run *r, uint64_t key, const char *dig, uint64_t *id)
{
    search c = {.r = r, .why = "duplicate check", .dig = dig};
    return search_index(r, r->map, "duplicate index", key, &c, id);
}

int
lookup_revisit(run *r, uint64_t ukey, const char *url, const char *rid, uint64_t *id)
{
    *id = 0;
    if (!r->urls || !ukey)
        return EX_OK;
    search c = {.r = r, .why = "revisit lookup", .url = url, .rid = rid};
    return search_index(r, r->urls, "URL index", ukey, &c, id);
}

/* ---- keeping the indexes ---- */

int
ex_ledger_item_key(ex_ledger *l, uint64_t id, uint64_t *key)
{
    static const char *const path[1] = {"digest"};
    uint8_t *rec = NULL, d[EX_HASH_BYTES];
    size_t len;
    ex_fields f;
    int rc = l->st->ops->rec_get_dup(l->st, EX_TAB_ITEMS, id, NULL, &rec, &len);
    if (rc != EX_OK)
        return rc == EX_ENOTFOUND ? ex_fail(&l->err, rc, "no item %llu", (unsigned long long)id)
                                  : ex_ledger_fail_store(l, rc);
    if ((rc = ex_fields_init(&f, path, 1)) != EX_OK) {
        free(rec);
        return ex_fail(&l->err, rc, "out of memory");
    }
    rc = ex_fields_read(&f, (const char *)rec, len);
    if (rc == EX_OK && (!f.str[0] || ex_digest_parse(f.str[0], d) != EX_OK))
        rc = EX_EFORMAT;
    if (rc == EX_OK)
        *key = ex_dedup_key(d);
    else
        ex_fail(&l->err, rc, "item %llu: %s", (unsigned long long)id,
                rc == EX_ENOMEM ? "out of memory" : "its record has no digest");
    ex_fields_free(&f);
    free(rec);
    return rc;
}

int
index_start(run *r, const char *name, size_t mem_items, ex_dedup **out, uint64_t *from)
{
    ex_ledger *l = r->l;
    char *dir = NULL;
    *from = 1;
    if (l->dir) {
        if (!(dir = ex_join(l->dir, '/', name)))
            return ex_fail(&l->err, EX_ENOMEM, "out of memory");
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            int e = errno;
            free(dir);
            return ex_fail(&l->err, EX_EIO, "cannot make '%s/%s': %s", l->dir, name,
                           strerror(e));
        }
    }
    int rc = ex_dedup_open(dir, mem_items, out, &l->err);
    free(dir);
    uint64_t covered, key, k = 0;
    if (rc != EX_OK || ex_dedup_load(*out, &covered, &key) != EX_OK)
        return rc; /* none saved, or not usable: every item is read */
    /* the item it ends with must be here, with the same key: the ledger it indexed */
    if (covered == 0 || (ex_ledger_item_key(l, covered, &k) == EX_OK && k == key))
        *from = covered + 1;
    else
        ex_dedup_reset(*out);
    ex_err_clear(&l->err);
    return EX_OK;
}

/* "urls", the index of WARC records alone that builds before schema 8 kept: by-url replaces
 * it (its runs and manifest deleted, then the directory) */
static void
drop_old_url_index(ex_ledger *l)
{
    char *dir = l->dir ? ex_join(l->dir, '/', "urls") : NULL;
    struct stat sb;
    ex_dedup *old = NULL;
    ex_err e = {0};
    if (dir && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
        ex_dedup_open(dir, 1024, &old, &e) == EX_OK) {
        uint64_t covered, key;
        (void)ex_dedup_load(old, &covered, &key);
        ex_dedup_reset(old);
        ex_dedup_close(old);
        rmdir(dir);
    }
    free(dir);
}

typedef struct load_ctx {
    run *r;
    uint64_t from, from_u; /* the first items the two indexes lack */
    uint64_t max;          /* the last item read */
} load_ctx;

/* an item recorded before this run, into the indexes that lack it */
static int
load_key(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    load_ctx *c = ctx;
    ex_ledger *l = c->r->l;
    c->max = id;
    int rc = EX_OK;
    (void)key; /* items have none in the store: the digest is read from the record */
    ex_fields *f = &c->r->itemf;
    uint8_t d[EX_HASH_BYTES];
    if ((rc = ex_fields_read(f, data, len)) != EX_OK)
        return ex_fail(&l->err, rc, "item %llu is not an item record%s", (unsigned long long)id,
                       rc == EX_ENOMEM ? " (out of memory)" : "");
    if (!f->str[R_DIGEST] || ex_digest_parse(f->str[R_DIGEST], d) != EX_OK)
        return ex_fail(&l->err, EX_EFORMAT, "item %llu has no digest", (unsigned long long)id);
    if (id >= c->from && (rc = ex_dedup_put(c->r->map, ex_dedup_key(d), id, &l->err)) != EX_OK)
        return rc;
    /* every item by its URL */
    const char *u = f->str[R_URL];
    if (id < c->from_u || !c->r->urls || !u)
        return EX_OK;
    uint64_t uk = url_key(c->r->h, u);
    if (!uk)
        return ex_fail(&l->err, EX_ECRYPTO, "cannot hash a URL");
    return ex_dedup_put(c->r->urls, uk, id, &l->err);
}

int
lookups_start(run *r)
{
    ex_ledger *l = r->l;
    uint64_t from, from_u;
    int rc;
    size_t mem = ex_dedup_mem_items();
    static const char *const fields[R_COUNT] = {"digest", "url", "warc_type", "record_id"};
    if ((rc = ex_fields_init(&r->itemf, fields, R_COUNT)) != EX_OK)
        return ex_fail(&l->err, rc, "cannot compile the item fields");
    drop_old_url_index(l);
    if ((rc = index_start(r, "dedup", mem, &r->map, &from)) != EX_OK ||
        (rc = index_start(r, URL_INDEX, mem, &r->urls, &from_u)) != EX_OK)
        return rc;
    load_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    c->r = r;
    c->from = from;
    c->from_u = from_u;
    c->max = (from < from_u ? from : from_u) - 1;
    ex_err_clear(&l->err);
    rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, c->max + 1, UINT64_MAX, load_key, c);
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    r->w.next_item = c->max + 1;
    free(c);
    return rc;
}

void
index_save(run *r, ex_dedup *ix)
{
    uint64_t covered = r->w.next_item - 1, k = 0;
    if (!ix || (covered && ex_ledger_item_key(r->l, covered, &k) != EX_OK)) {
        ex_err_clear(&r->l->err);
        return;
    }
    ex_err e = {0};
    (void)ex_dedup_save(ix, covered, k, &e);
}

void
lookups_save(run *r)
{
    index_save(r, r->map);
    index_save(r, r->urls);
}
