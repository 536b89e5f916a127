/* why.c - answers about recorded items: the chain and proof for one item, decision
 * listings. A digest is looked up in the duplicate index the last ingest saved, a URL in its
 * URL index (a few reads each: lookups.c), then among the items after the last one the index
 * covers; without a saved index, by a pass over the items (a URL from the newest back, a
 * digest from the oldest). */
#include "ledger.h"
#include "witness/witness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cjson.h"
#include "dedup/dedup.h"

/* items per chunk of the backward search for a URL */
#define URL_CHUNK 65536

typedef struct item_find {
    const char *digest; /* "sha256:..." or NULL */
    const char *url;    /* or NULL */
    int url_raw;        /* the URL appears in records as it is (nothing to escape) */
    size_t len;         /* of the digest or the URL */
    uint64_t id;
    char *record;
} item_find;

/* 1 if s has a control character (a URL that records escape) */
static int
has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20)
            return 1;
    return 0;
}

static int
match_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    item_find *f = ctx;
    if (f->digest && !memmem(data, len, f->digest, f->len))
        return EX_OK;
    if (f->url && f->url_raw && !memmem(data, len, f->url, f->len))
        return EX_OK;
    json_t *o = json_loadb(data, len, 0, NULL);
    const char *v = json_string_value(json_object_get(o, f->digest ? "digest" : "url"));
    int hit = v && strcmp(v, f->digest ? f->digest : f->url) == 0;
    json_decref(o);
    if (hit) {
        /* a URL: the latest item wins (a re-fetch is the current answer); a digest: the first
         * occurrence, whose decision decides the content (later copies are its duplicates) */
        free(f->record);
        f->record = strndup(data, len);
        f->id = id;
        if (!f->record)
            return EX_ENOMEM;
        if (f->digest)
            return EX_EEXIST; /* found: stop */
    }
    return EX_OK;
}

typedef struct saved_ctx {
    ex_store *st;
    const char *digest, *url; /* what is looked for: one of the two */
    int rc;                   /* a candidate that cannot be read: the search stops */
    uint64_t bad;             /* that candidate */
    uint64_t best;            /* a URL: the latest item with it so far */
} saved_ctx;

/* is item id the one with this digest (1), or one with this URL (recorded in c->best, 0: the
 * search goes on to the latest)? 1 also on a failure, to stop the search: c->rc */
static int
saved_same(void *ctx, uint64_t id)
{
    saved_ctx *c = ctx;
    uint8_t *data;
    size_t len;
    if ((c->rc = c->st->ops->rec_get_dup(c->st, EX_TAB_ITEMS, id, NULL, &data, &len)) != EX_OK) {
        c->bad = id;
        return 1;
    }
    const char *q = c->digest ? c->digest : c->url;
    item_find f = {.digest = c->digest, .url = c->url, .len = strlen(q)};
    f.url_raw = c->url && strcspn(q, "\"\\") == f.len && !has_control(q);
    int rc = match_item(&f, id, 0, data, len);
    free(data);
    free(f.record);
    if (rc != EX_OK && rc != EX_EEXIST) {
        c->rc = rc, c->bad = id;
        return 1;
    }
    if (c->url && f.id && id > c->best)
        c->best = id;
    return c->digest && rc == EX_EEXIST;
}

/* The first item with digest dig (f->digest): from the saved duplicate index if it fits this
 * ledger, else by a pass over the items. */
static int
find_digest(ex_ledger *l, const uint8_t d[EX_HASH_BYTES], item_find *f)
{
    ex_store *st = l->st;
    uint64_t from = 1;
    if (l->dir) {
        char dir[4096];
        uint64_t id, covered, ckey, k = 0;
        uint8_t *data = NULL;
        size_t len;
        saved_ctx c = {st, f->digest, NULL, EX_OK, 0, 0};
        snprintf(dir, sizeof dir, "%s/dedup", l->dir);
        int frc = ex_dedup_saved_find(dir, ex_dedup_key(d), saved_same, &c, &id, &covered, &ckey);
        if (frc == EX_OK && c.rc != EX_OK)
            return ex_fail(&l->err, c.rc, "cannot read item %llu: %s", (unsigned long long)c.bad,
                           c.rc == EX_ENOMEM ? "out of memory" : ex_store_errmsg(st));
        if (frc == EX_OK &&
            (covered == 0 || (ex_ledger_item_key(l, covered, &k) == EX_OK && k == ckey))) {
            if (id) {
                int rc = st->ops->rec_get_dup(st, EX_TAB_ITEMS, id, NULL, &data, &len);
                if (rc != EX_OK)
                    return rc;
                f->record = strndup((const char *)data, len);
                f->id = id;
                free(data);
                return f->record ? EX_OK : EX_ENOMEM;
            }
            from = covered + 1;
        }
        ex_err_clear(&l->err);
    }
    int rc = st->ops->rec_scan(st, EX_TAB_ITEMS, from, UINT64_MAX, match_item, f);
    return rc == EX_EEXIST ? EX_OK : rc;
}

/* The latest item with URL f->url: from the saved URL index if it fits this ledger, then
 * among the items after the last it covers; *done 0 if there is no usable index (the caller
 * searches every item). */
static int
find_url(ex_ledger *l, item_find *f, int *done)
{
    ex_store *st = l->st;
    char dir[4096];
    uint64_t id, covered, ckey, k = 0, uk = l->dir ? url_key(l->h, f->url) : 0;
    *done = 0;
    if (!uk)
        return EX_OK;
    saved_ctx c = {st, NULL, f->url, EX_OK, 0, 0};
    snprintf(dir, sizeof dir, "%s/" URL_INDEX, l->dir);
    int frc = ex_dedup_saved_find(dir, uk, saved_same, &c, &id, &covered, &ckey);
    if (frc == EX_OK && c.rc != EX_OK)
        return ex_fail(&l->err, c.rc, "cannot read item %llu: %s", (unsigned long long)c.bad,
                       c.rc == EX_ENOMEM ? "out of memory" : ex_store_errmsg(st));
    if (frc != EX_OK ||
        (covered != 0 && (ex_ledger_item_key(l, covered, &k) != EX_OK || k != ckey))) {
        ex_err_clear(&l->err);
        return EX_OK;
    }
    *done = 1;
    /* the items after the index, in order: the last match is the latest */
    int rc = st->ops->rec_scan(st, EX_TAB_ITEMS, covered + 1, UINT64_MAX, match_item, f);
    if (rc != EX_OK || f->record || !c.best)
        return rc;
    uint8_t *data;
    size_t len;
    if ((rc = st->ops->rec_get_dup(st, EX_TAB_ITEMS, c.best, NULL, &data, &len)) != EX_OK)
        return rc;
    f->record = strndup((const char *)data, len);
    f->id = c.best;
    free(data);
    return f->record ? EX_OK : EX_ENOMEM;
}

typedef struct last {
    uint64_t id;
    char *record;
} last;

static int
keep_last(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    last *d = ctx;
    free(d->record);
    d->record = strndup(data, len);
    d->id = id;
    return d->record ? EX_OK : EX_ENOMEM;
}

typedef struct batch_find {
    uint64_t decision;
    uint64_t log_index, first, count;
    char *record;
} batch_find;

static int
match_batch(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    batch_find *b = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    uint64_t first = (uint64_t)json_integer_value(json_object_get(o, "first"));
    uint64_t count = (uint64_t)json_integer_value(json_object_get(o, "count"));
    json_decref(o);
    if (b->decision >= first && b->decision < first + count) {
        b->first = first;
        b->count = count;
        b->log_index = (uint64_t)key;
        b->record = strndup(data, len);
        return b->record ? EX_EEXIST : EX_ENOMEM; /* EEXIST: found, stop */
    }
    return EX_OK;
}

/* The leaves of one batch tree, read as a proof needs them: the store's groups of decisions
 * (dec_roots) give the roots of whole subtrees, so only the groups the proof's path goes
 * through are read and hashed (one or two of a batch's, rather than all of its decisions). */
typedef struct group {
    uint64_t first, n; /* decisions [first, first + n): may reach outside the batch (a ledger
                          migrated from before blocks cut them elsewhere) */
    uint8_t root[EX_HASH_BYTES];
    int read; /* its leaves in the batch are in v */
} group;

typedef struct leaves {
    ex_ledger *l;
    ex_sha256 *h;
    uint64_t first, count; /* the batch's decisions */
    uint8_t (*v)[EX_HASH_BYTES];
    group *g;
    size_t ng, cap;
    int rc;      /* a read that failed */
} leaves;

static int
add_group(void *ctx, uint64_t first, uint64_t n, const uint8_t *root)
{
    leaves *lv = ctx;
    if (lv->ng == lv->cap) {
        size_t c = lv->cap ? 2 * lv->cap : 16;
        group *g = realloc(lv->g, c * sizeof *g);
        if (!g)
            return EX_ENOMEM;
        lv->g = g, lv->cap = c;
    }
    group *g = &lv->g[lv->ng++];
    g->first = first;
    g->n = n;
    g->read = 0;
    memcpy(g->root, root, EX_HASH_BYTES);
    return EX_OK;
}

static int
hash_decision(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    leaves *lv = ctx;
    if (id < lv->first || id - lv->first >= lv->count)
        return EX_ERANGE;
    return ex_merkle_leaf(lv->h, data, len, lv->v[id - lv->first]);
}

/* the group holding leaf i, its leaves in the batch read */
static int
read_group(leaves *lv, uint64_t i)
{
    uint64_t id = lv->first + i;
    for (size_t k = 0; k < lv->ng; k++) {
        group *g = &lv->g[k];
        if (id < g->first || id - g->first >= g->n)
            continue;
        if (g->read)
            return EX_OK;
        ex_store *st = lv->l->st;
        uint64_t from = g->first > lv->first ? g->first : lv->first;
        uint64_t to = g->first + g->n < lv->first + lv->count ? g->first + g->n
                                                               : lv->first + lv->count;
        int rc = st->ops->rec_scan(st, EX_TAB_DECISIONS, from, to, hash_decision, lv);
        if (rc == EX_OK)
            g->read = 1;
        return rc;
    }
    return EX_ERANGE;
}

static int
leaf_reader(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    leaves *lv = ctx;
    uint64_t lo = index << level, w = (uint64_t)1 << level;
    if (lo + w > lv->count)
        return EX_ERANGE;
    /* a stored group that is exactly this subtree */
    for (size_t k = 0; k < lv->ng; k++)
        if (lv->g[k].first == lv->first + lo && lv->g[k].n == w) {
            memcpy(out, lv->g[k].root, EX_HASH_BYTES);
            return EX_OK;
        }
    if (level == 0) {
        int rc = read_group(lv, lo);
        if (rc != EX_OK)
            lv->rc = rc;
        return rc == EX_OK ? (memcpy(out, lv->v[lo], EX_HASH_BYTES), EX_OK) : rc;
    }
    uint8_t l[EX_HASH_BYTES], r[EX_HASH_BYTES];
    int rc = leaf_reader(ctx, level - 1, 2 * index, l);
    if (rc == EX_OK)
        rc = leaf_reader(ctx, level - 1, 2 * index + 1, r);
    return rc == EX_OK ? ex_merkle_node(lv->h, l, r, out) : rc;
}

/* The batch (by binary search on the batches in log order, whose decisions follow each other)
 * holding decision b->decision. EX_EEXIST when found, as match_batch says it. */
static int
find_batch(ex_store *st, batch_find *b)
{
    uint64_t lo = 1, hi = 0;
    int rc = st->ops->rec_max(st, EX_TAB_BATCHES, &hi);
    while (rc == EX_OK && lo <= hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint8_t *data;
        size_t len;
        int64_t key;
        if ((rc = st->ops->rec_get_dup(st, EX_TAB_BATCHES, mid, &key, &data, &len)) != EX_OK)
            break;
        json_t *o = json_loadb((const char *)data, len, 0, NULL);
        uint64_t first = (uint64_t)json_integer_value(json_object_get(o, "first"));
        json_decref(o);
        if (b->decision < first) {
            free(data);
            hi = mid - 1;
        } else {
            rc = match_batch(b, mid, key, data, len);
            free(data);
            if (rc == EX_OK)
                lo = mid + 1;
        }
    }
    return rc;
}

static json_t *
b64(const uint8_t h[EX_HASH_BYTES])
{
    char s[64];
    ex_b64_encode(h, EX_HASH_BYTES, s);
    return json_string(s);
}

static json_t *
hash_list(uint8_t (*p)[EX_HASH_BYTES], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, b64(p[i]));
    return a;
}

int
ex_ledger_find_item(ex_ledger *l, const char *q, uint64_t *id, char **record)
{
    ex_err_clear(&l->err);
    ex_store *st = l->st;
    uint8_t d[EX_HASH_BYTES];
    item_find f = {0};
    *record = NULL;
    if (strncmp(q, "sha256:", 7) == 0) {
        if (ex_digest_parse(q, d) != EX_OK)
            return ex_fail(&l->err, EX_EINVAL, "'%s' is not a sha256:<64 hex> digest", q);
        char dig[EX_DIGEST_STR_BYTES];
        ex_digest_format(d, dig); /* lowercase, as recorded */
        f.digest = dig;
        f.len = strlen(dig);
        int rc = find_digest(l, d, &f);
        f.digest = NULL;
        if (rc != EX_OK) {
            free(f.record);
            return l->err.msg[0] ? rc : ex_ledger_fail_store(l, rc);
        }
    } else {
        f.url = q;
        f.len = strlen(q);
        f.url_raw = strcspn(q, "\"\\") == f.len && !has_control(q);
        int done = 0;
        int rc = find_url(l, &f, &done);
        /* without an index: chunks from the newest back, the first with a match has the latest
         * item with the URL (within a chunk, the last match wins) */
        uint64_t max = 0;
        if (rc == EX_OK && !done)
            rc = st->ops->rec_max(st, EX_TAB_ITEMS, &max);
        for (uint64_t to = max + 1; rc == EX_OK && !done && !f.record && to > 1;) {
            uint64_t from = to > URL_CHUNK ? to - URL_CHUNK : 1;
            rc = st->ops->rec_scan(st, EX_TAB_ITEMS, from, to, match_item, &f);
            to = from;
        }
        if (rc != EX_OK) {
            free(f.record);
            return ex_ledger_fail_store(l, rc);
        }
    }
    if (!f.record)
        return ex_fail(&l->err, EX_ENOTFOUND, "no item with %s '%s'",
                       strncmp(q, "sha256:", 7) == 0 ? "digest" : "url", q);
    *id = f.id;
    *record = f.record;
    return EX_OK;
}

int
ex_ledger_why_dup(ex_ledger *l, const char *q, char **json, size_t *len)
{
    ex_store *st = l->st;
    item_find f = {0};
    int frc = ex_ledger_find_item(l, q, &f.id, &f.record);
    if (frc != EX_OK)
        return frc;
    last dec = {0};
    batch_find b = {0};
    leaves lv = {.l = l, .h = l->h};
    uint8_t bproof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES], lproof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    uint8_t root[EX_HASH_BYTES];
    size_t bn = 0, ln = 0;
    char *note = NULL;
    size_t nlen;
    json_t *out = NULL;
    int rc = st->ops->rec_scan_key(st, EX_TAB_DECISIONS, (int64_t)f.id, keep_last, &dec);
    if (rc != EX_OK || !dec.record) {
        rc = rc != EX_OK ? ex_ledger_fail_store(l, rc)
                         : ex_fail(&l->err, EX_EVERIFY, "item %llu has no decision",
                                   (unsigned long long)f.id);
        goto out;
    }
    b.decision = dec.id;
    rc = find_batch(st, &b);
    if (rc != EX_EEXIST) {
        rc = rc != EX_OK ? ex_ledger_fail_store(l, rc)
                         : ex_fail(&l->err, EX_EVERIFY, "decision %llu is in no batch",
                                   (unsigned long long)dec.id);
        goto out;
    }
    /* the decision's path in its batch tree, from the store's groups of the batch's decisions
     * and the records of those the path goes through */
    lv.first = b.first;
    lv.count = b.count;
    if (!(lv.v = malloc((b.count ? b.count : 1) * EX_HASH_BYTES))) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto out;
    }
    rc = st->ops->dec_roots(st, b.first, b.first + b.count, add_group, &lv);
    /* the groups must hold every decision of the batch */
    uint64_t next = b.first;
    for (size_t k = 0; rc == EX_OK && k < lv.ng; k++)
        if (lv.g[k].first <= next && lv.g[k].first + lv.g[k].n > next)
            next = lv.g[k].first + lv.g[k].n;
    if (rc != EX_OK || next < b.first + b.count) {
        rc = rc != EX_OK ? ex_ledger_fail_store(l, rc)
                         : ex_fail(&l->err, EX_EVERIFY, "batch at log index %llu lacks decisions",
                                   (unsigned long long)b.log_index);
        goto out;
    }
    if ((rc = ex_merkle_prove_inclusion(l->h, leaf_reader, &lv, dec.id - b.first, b.count,
                                        bproof, &bn)) != EX_OK) {
        if (lv.rc != EX_OK)
            ex_ledger_fail_store(l, lv.rc);
        goto out;
    }
    ex_log *g = l->log;
    uint64_t size = ex_log_size(g);
    if ((rc = ex_log_prove_inclusion(g, b.log_index, size, lproof, &ln)) != EX_OK ||
        (rc = ex_log_root(g, size, root)) != EX_OK ||
        (rc = ex_ledger_checkpoint_cosigned_dup(l, size, &note, &nlen)) != EX_OK) {
        ex_ledger_fail_log(l, rc);
        goto out;
    }
    json_t *drec = json_loads(dec.record, 0, NULL);
    out = json_object();
    const char *copy[] = {"digest", "verdict", "rule",     "reason",
                          "policy", "source",  "evidence", NULL};
    for (int i = 0; copy[i]; i++) {
        json_t *v = json_object_get(drec, copy[i]);
        json_object_set(out, copy[i], v ? v : json_null());
    }
    json_decref(drec);
    json_object_set_new(out, "log_index", json_integer((json_int_t)b.log_index));
    json_object_set_new(out, "item", json_string(f.record));
    json_object_set_new(out, "decision", json_string(dec.record));
    json_t *p = json_object();
    json_object_set_new(p, "type", json_string("decision"));
    json_object_set_new(p, "batch_index", json_integer((json_int_t)(dec.id - b.first)));
    json_object_set_new(p, "batch_size", json_integer((json_int_t)b.count));
    json_object_set_new(p, "batch_proof", hash_list(bproof, bn));
    json_object_set_new(p, "batch_entry", json_string(b.record));
    json_object_set_new(p, "log_index", json_integer((json_int_t)b.log_index));
    json_object_set_new(p, "log_size", json_integer((json_int_t)size));
    json_object_set_new(p, "log_proof", hash_list(lproof, ln));
    json_object_set_new(p, "root", b64(root));
    json_object_set_new(p, "checkpoint", json_string(note));
    json_object_set_new(out, "proof", p);
    *json = ex_json_canon_dup(out, len, &l->err);
    rc = *json ? EX_OK : EX_ENOMEM;
out:
    json_decref(out);
    free(note);
    free(lv.v);
    free(lv.g);
    free(b.record);
    free(dec.record);
    free(f.record);
    return rc;
}

typedef struct dfilter {
    const char *verdict, *rule, *source;
    uint64_t limit, n;
    ex_decision_fn fn;
    void *ctx;
} dfilter;

static int
eq(json_t *o, const char *k, const char *want)
{
    const char *v = json_string_value(json_object_get(o, k));
    return !want || (v && strcmp(v, want) == 0);
}

static int
filter_decision(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    (void)key;
    dfilter *f = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    int keep = eq(o, "verdict", f->verdict) && eq(o, "rule", f->rule) &&
               eq(o, "source", f->source);
    json_decref(o);
    if (!keep)
        return EX_OK;
    int rc = f->fn(f->ctx, data, len);
    if (rc != EX_OK)
        return rc;
    return ++f->n == f->limit ? EX_EEXIST : EX_OK; /* EEXIST: enough */
}

int
ex_ledger_decisions_each(ex_ledger *l, const char *verdict, const char *rule, const char *source,
                         uint64_t limit, ex_decision_fn fn, void *ctx)
{
    ex_err_clear(&l->err);
    dfilter f = {verdict, rule, source, limit, 0, fn, ctx};
    int rc = l->st->ops->rec_scan(l->st, EX_TAB_DECISIONS, 1, UINT64_MAX, filter_decision, &f);
    if (rc == EX_OK || rc == EX_EEXIST)
        return EX_OK;
    if (l->err.msg[0])
        return rc;
    return rc == EX_ENOMEM ? ex_fail(&l->err, rc, "out of memory") : ex_ledger_fail_store(l, rc);
}

static int
collect(void *ctx, const char *rec, size_t len)
{
    ex_buf *b = ctx;
    return ex_buf_put(b, rec, len) == EX_OK && ex_buf_putc(b, '\n') == EX_OK ? EX_OK : EX_ENOMEM;
}

int
ex_ledger_decisions_dup(ex_ledger *l, const char *verdict, const char *rule, const char *source,
                        uint64_t limit, char **jsonl, size_t *len)
{
    ex_buf out = {0};
    int rc = ex_ledger_decisions_each(l, verdict, rule, source, limit, collect, &out);
    if (rc != EX_OK) {
        ex_buf_free(&out);
        return rc;
    }
    *jsonl = ex_buf_take(&out, len);
    return *jsonl ? EX_OK : ex_fail(&l->err, EX_ENOMEM, "out of memory");
}
