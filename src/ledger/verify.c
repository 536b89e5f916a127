/* verify.c - the whole ledger against its log: the log itself (ex_log_verify), then every
 * table whose rows the log commits to. Sources and batches are log entries byte for byte;
 * the decisions of a batch hash to the batch's root; every decision names the digest of its
 * item's record. So no stored row escapes a hash; only the inputs table (how far each input
 * was read, used to resume) is bookkeeping outside it. */
#include "ledger.h"

#include <pthread.h>

#include "ingest/jsonscan.h"

#include <stdlib.h>
#include <string.h>

#include "core/cjson.h"
#include "policy/policy.h"

typedef struct vctx {
    ex_ledger *l;
    uint64_t rows, next_decision, next_item;
    const char *table;
} vctx;

/* rows of sources and batches: key = log index, record = that log entry */
static int
check_entry_row(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    vctx *v = ctx;
    uint8_t *e;
    size_t elen;
    if (key < 0 || (uint64_t)key >= ex_log_size(v->l->log))
        return ex_fail(&v->l->err, EX_EVERIFY, "%s %llu: log index %lld is not in the log",
                       v->table, (unsigned long long)id, (long long)key);
    int rc = ex_log_entry_dup(v->l->log, (uint64_t)key, &e, &elen);
    if (rc != EX_OK)
        return ex_ledger_fail_log(v->l, rc);
    int same = elen == len && memcmp(e, data, len) == 0;
    free(e);
    if (!same)
        return ex_fail(&v->l->err, EX_EVERIFY, "%s %llu: differs from log entry %lld",
                       v->table, (unsigned long long)id, (long long)key);
    v->rows++;
    return EX_OK;
}

/* rows of attestations: key = log index of an attestation entry naming the envelope's digest */
static int
check_envelope_row(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    vctx *v = ctx;
    ex_ledger *l = v->l;
    uint8_t *e;
    size_t elen;
    if (key < 0 || (uint64_t)key >= ex_log_size(l->log))
        return ex_fail(&l->err, EX_EVERIFY, "attestation %llu: log index %lld is not in the log",
                       (unsigned long long)id, (long long)key);
    int rc = ex_log_entry_dup(l->log, (uint64_t)key, &e, &elen);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    json_t *o = json_loadb((const char *)e, elen, 0, NULL);
    free(e);
    const char *t = json_string_value(json_object_get(o, "type"));
    const char *want = json_string_value(json_object_get(o, "envelope"));
    uint8_t d[EX_HASH_BYTES];
    char got[EX_DIGEST_STR_BYTES];
    if ((rc = ex_sha256_digest(l->h, data, len, d)) == EX_OK)
        ex_digest_format(d, got);
    int same = rc == EX_OK && t && strcmp(t, "attestation") == 0 && want && strcmp(want, got) == 0;
    json_decref(o);
    if (rc != EX_OK)
        return rc;
    if (!same)
        return ex_fail(&l->err, EX_EVERIFY, "attestation %llu: its envelope is not the one log "
                       "entry %lld names", (unsigned long long)id, (long long)key);
    v->rows++;
    return EX_OK;
}

/* the row o (consumed) less its row-only members, against its log entry: rc so far */
static int
check_row_rest(vctx *v, uint64_t id, int64_t key, json_t *o, int rc)
{
    size_t elen = 0;
    char *entry = rc == EX_OK ? ex_json_canon_dup(o, &elen, &v->l->err) : NULL;
    json_decref(o);
    if (rc != EX_OK)
        return rc;
    if (!entry)
        return v->l->err.code ? v->l->err.code : EX_ENOMEM;
    rc = check_entry_row(v, id, key, entry, elen);
    free(entry);
    return rc;
}

/* rows of policies, captures and opt-outs: the log entry plus row-only members (a policy's
 * text and canonical form, a capture's body), which must hash to the entry's digest */
static int
check_extra_row(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    vctx *v = ctx;
    ex_ledger *l = v->l;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o)
        return ex_fail(&l->err, EX_EVERIFY, "%s %llu: not JSON", v->table,
                       (unsigned long long)id);
    const char *extra = NULL;
    size_t xlen = 0;
    int rc = EX_OK;
    uint8_t got[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES];
    json_t *x = NULL;
    int text_bad = 0;
    if (strcmp(v->table, "policy") == 0) {
        x = json_object_get(o, "canonical");
        extra = json_string_value(x), xlen = json_string_length(x);
        if (extra)
            rc = ex_sha256_digest(l->h, extra, xlen, got);
        /* and the text as written must give that canonical form */
        json_t *t = json_object_get(o, "text");
        ex_policy *p = NULL;
        ex_buf cb = {0};
        ex_err e = {0};
        if (rc == EX_OK && extra &&
            (!json_is_string(t) ||
             ex_policy_parse(json_string_value(t), json_string_length(t), &p, NULL) != EX_OK ||
             ex_ledger_policy_lists(p, o, NULL) != EX_OK ||
             ex_policy_canonical(p, &cb, &e) != EX_OK || cb.len != xlen ||
             memcmp(cb.data, extra, xlen) != 0))
            text_bad = 1;
        ex_policy_free(p);
        ex_buf_free(&cb);
        json_object_del(o, "canonical");
        json_object_del(o, "text");
        json_object_del(o, "lists");
    } else if (strcmp(v->table, "capture") == 0) {
        x = json_object_get(o, "body");
        const char *b64 = json_string_value(x);
        size_t n = json_string_length(x), blen = 0;
        uint8_t *body = malloc(n / 4 * 3 + 3);
        if (!body)
            rc = EX_ENOMEM;
        else if (b64 && ex_b64_decode(b64, n, body, n / 4 * 3 + 3, &blen) == EX_OK)
            rc = ex_sha256_digest(l->h, body, blen, got), extra = b64;
        free(body);
        json_object_del(o, "body");
    }
    if (rc == EX_OK && (strcmp(v->table, "opt-out") != 0)) {
        ex_digest_format(got, dig);
        const char *want = json_string_value(json_object_get(o, "digest"));
        if (!extra || !want || strcmp(want, dig) != 0)
            rc = ex_fail(&l->err, EX_EVERIFY, "%s %llu: its %s does not hash to its digest",
                         v->table, (unsigned long long)id,
                         strcmp(v->table, "policy") == 0 ? "canonical form" : "body");
    }
    if (rc == EX_OK && text_bad)
        rc = ex_fail(&l->err, EX_EVERIFY, "policy %llu: its text does not give its canonical form",
                     (unsigned long long)id);
    return check_row_rest(v, id, key, o, rc);
}

/* rows of submissions: the log entry plus the submission's body, which must hash to the
 * digest the entry names; reviews are their entries */
static int
check_submission_row(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    vctx *v = ctx;
    ex_ledger *l = v->l;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o)
        return ex_fail(&l->err, EX_EVERIFY, "submission %llu: not JSON", (unsigned long long)id);
    json_t *b = json_object_get(o, "body");
    int rc = EX_OK;
    if (b) {
        uint8_t d[EX_HASH_BYTES];
        char dig[EX_DIGEST_STR_BYTES];
        const char *want = json_string_value(json_object_get(o, "submission"));
        if (!json_is_string(b) ||
            (rc = ex_sha256_digest(l->h, json_string_value(b), json_string_length(b), d)) !=
                EX_OK)
            rc = rc != EX_OK ? rc : EX_EVERIFY;
        else
            ex_digest_format(d, dig);
        if (rc == EX_EVERIFY || (rc == EX_OK && (!want || strcmp(want, dig) != 0)))
            rc = ex_fail(&l->err, EX_EVERIFY, "submission %llu: its body does not hash to the "
                         "digest its entry names", (unsigned long long)id);
        json_object_del(o, "body");
    }
    return check_row_rest(v, id, key, o, rc);
}

typedef struct bctx {
    ex_ledger *l;
    uint8_t (*leaves)[EX_HASH_BYTES];
    uint64_t n, first;
    int64_t batch_index;
    uint64_t items_seen;
    int64_t max_item; /* the largest item id a decision names */
    ex_vindex *vx;    /* the saved lookup indexes, checked item by item */
    uint64_t batch_id;
    int64_t batch_key;
} bctx;

typedef struct ictx {
    ex_ledger *l;
    const char *provenance;
    uint64_t item;
} ictx;

/* A read that failed during verification: a visitor's failure says why itself; a stored
 * record that cannot be read back (a damaged packed record, pack.h) is a ledger that does not
 * verify. */
static int
store_fail(ex_ledger *l, int rc)
{
    if (l->err.msg[0])
        return rc;
    return ex_fail(&l->err, rc == EX_EFORMAT ? EX_EVERIFY : rc, "%s", ex_store_errmsg(l->st));
}

/* A decision record's item id and provenance digest, read by a validating scan of the whole
 * record (ingest/jsonscan.h) that builds no tree: jansson took half of a verification's time. */
static ex_jscan_spec dec_spec;
static int dec_spec_rc;
static pthread_once_t dec_spec_once = PTHREAD_ONCE_INIT;

static void
dec_spec_compile(void)
{
    static const char *const paths[2] = {"item", "provenance"};
    dec_spec_rc = ex_jscan_compile(&dec_spec, paths, 2, NULL);
}

const char *
ex_decision_fields(const char *rec, size_t len, int64_t *item, char prov[EX_DIGEST_STR_BYTES])
{
    pthread_once(&dec_spec_once, dec_spec_compile);
    ex_jscan_result r;
    if (dec_spec_rc != EX_OK ||
        ex_jscan_line(&dec_spec, (const uint8_t *)rec, len, &r) != EX_JSCAN_OK ||
        r.top != EX_JSON_OBJECT)
        return NULL;
    const ex_jscan_val *vi = &r.v[0], *vp = &r.v[1];
    /* the item: a non-negative integer of at most 18 digits; the provenance: a string of at
     * most EX_DIGEST_STR_LEN bytes with nothing escaped (a digest never has) */
    if (vi->type != EX_JSON_NUMBER || vi->len == 0 || vi->len > 18 || vp->type != EX_JSON_STRING ||
        vp->escaped || vp->len > EX_DIGEST_STR_LEN)
        return NULL;
    int64_t v = 0;
    for (size_t i = 0; i < vi->len; i++) {
        char c = rec[vi->off + i];
        if (c < '0' || c > '9')
            return NULL;
        v = v * 10 + (c - '0');
    }
    memcpy(prov, rec + vp->off, vp->len);
    prov[vp->len] = '\0';
    *item = v;
    return prov;
}

static int
check_decision(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    bctx *b = ctx;
    ex_ledger *l = b->l;
    if (id != b->first + b->n)
        return ex_fail(&l->err, EX_EVERIFY, "decisions: %llu is missing",
                       (unsigned long long)(b->first + b->n));
    int rc = ex_merkle_leaf(l->h, data, len, b->leaves[b->n++]);
    if (rc != EX_OK)
        return rc;
    char want[EX_DIGEST_STR_BYTES];
    int64_t item = 0;
    const char *prov = ex_decision_fields(data, len, &item, want);
    int first = item > b->max_item; /* the item's first decision (items are decided in order) */
    if (item > b->max_item)
        b->max_item = item;
    if (!prov || item != key)
        return ex_fail(&l->err, EX_EVERIFY, "decision %llu: malformed or indexed under item %lld",
                       (unsigned long long)id, (long long)key);
    uint8_t *rec;
    size_t rlen;
    if ((rc = l->st->ops->rec_get_dup(l->st, EX_TAB_ITEMS, (uint64_t)item, NULL, &rec, &rlen)) !=
        EX_OK)
        return rc == EX_ENOTFOUND
                   ? ex_fail(&l->err, EX_EVERIFY, "decision %llu: item %lld is missing",
                             (unsigned long long)id, (long long)item)
                   : store_fail(l, rc);
    uint8_t dg[EX_HASH_BYTES];
    char got[EX_DIGEST_STR_BYTES];
    rc = ex_sha256_digest(l->h, rec, rlen, dg);
    if (rc == EX_OK) {
        ex_digest_format(dg, got);
        if (strcmp(got, want) != 0)
            rc = ex_fail(&l->err, EX_EVERIFY,
                         "item %lld: its record does not match the provenance digest in "
                         "decision %llu",
                         (long long)item, (unsigned long long)id);
    }
    if (rc == EX_OK && first)
        rc = ex_vindex_item(b->vx, (uint64_t)item, (const char *)rec, rlen, data, len);
    free(rec);
    return rc;
}

/* a group of a batch's decisions (dec_roots) that lies inside it: its stored root is its
 * decisions' (one reaching outside a batch, which only a migration from before blocks makes, is
 * never used as a subtree of one) */
static int
check_group(void *ctx, uint64_t first, uint64_t n, const uint8_t *root)
{
    bctx *b = ctx;
    ex_ledger *l = b->l;
    uint8_t got[EX_HASH_BYTES];
    if (first < b->first || first + n > b->first + b->n)
        return EX_OK;
    int rc = ex_merkle_root(l->h, (const uint8_t(*)[EX_HASH_BYTES])b->leaves + (first - b->first),
                            n, got);
    if (rc != EX_OK)
        return rc;
    if (memcmp(got, root, EX_HASH_BYTES) != 0)
        return ex_fail(&l->err, EX_EVERIFY,
                       "batch %llu (log entry %lld): the stored root of decisions %llu-%llu is "
                       "not theirs",
                       (unsigned long long)b->batch_id, (long long)b->batch_key,
                       (unsigned long long)first, (unsigned long long)(first + n - 1));
    return EX_OK;
}

static int
check_batch(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    bctx *b = ctx;
    ex_ledger *l = b->l;
    json_t *o = json_loadb(data, len, 0, NULL);
    uint64_t first = (uint64_t)json_integer_value(json_object_get(o, "first"));
    uint64_t count = (uint64_t)json_integer_value(json_object_get(o, "count"));
    const char *r = json_string_value(json_object_get(o, "root"));
    uint8_t root[EX_HASH_BYTES], got[EX_HASH_BYTES];
    size_t n = 0;
    int ok = r && ex_b64_decode(r, strlen(r), root, EX_HASH_BYTES, &n) == EX_OK &&
             n == EX_HASH_BYTES && count > 0 && count <= (1u << 24);
    json_decref(o);
    if (!ok)
        return ex_fail(&l->err, EX_EVERIFY, "batch %llu: malformed record", (unsigned long long)id);
    free(b->leaves);
    if (!(b->leaves = malloc(count * EX_HASH_BYTES)))
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    b->n = 0;
    b->first = first;
    int rc = l->st->ops->rec_scan(l->st, EX_TAB_DECISIONS, first, first + count, check_decision, b);
    if (rc != EX_OK) {
        /* whatever failed, it is named with the batch it is in */
        store_fail(l, rc);
        char msg[sizeof l->err.msg];
        snprintf(msg, sizeof msg, "%s", l->err.msg);
        return ex_fail(&l->err, l->err.code, "batch %llu (log entry %lld): %s",
                       (unsigned long long)id, (long long)key, msg);
    }
    if (b->n != count)
        return ex_fail(&l->err, EX_EVERIFY, "batch %llu (log entry %lld): %llu of %llu decisions",
                       (unsigned long long)id, (long long)key, (unsigned long long)b->n,
                       (unsigned long long)count);
    if ((rc = ex_merkle_root(l->h, (const uint8_t(*)[EX_HASH_BYTES])b->leaves, count, got)) !=
        EX_OK)
        return rc;
    if (memcmp(got, root, EX_HASH_BYTES) != 0)
        return ex_fail(&l->err, EX_EVERIFY,
                       "batch %llu (log entry %lld): its decisions do not hash to its root",
                       (unsigned long long)id, (long long)key);
    /* the roots the store keeps of groups of them, which `why` proofs use */
    b->batch_id = id;
    b->batch_key = key;
    if ((rc = l->st->ops->dec_roots(l->st, first, first + count, check_group, b)) != EX_OK)
        return store_fail(l, rc);
    b->items_seen += count;
    return EX_OK;
}

int
ex_ledger_verify(ex_ledger *l, const ex_vkey *key, ex_ledger_counts *out)
{
    ex_err_clear(&l->err);
    ex_ledger_counts c = {0};
    /* the log's keys over its life, from its rotation records (key: any one of them) */
    ex_key_chain *keys = malloc(sizeof *keys);
    if (!keys)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    int rc = ex_ledger_key_chain(l, key, keys);
    if (rc != EX_OK) {
        free(keys);
        return rc == EX_EFORMAT ? ex_fail(&l->err, EX_EVERIFY, "%s", l->err.msg) : rc;
    }
    rc = ex_log_verify_chain(l->log, keys, &c.entries, &c.checkpoints);
    free(keys);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    vctx v = {l, 0, 0, 0, "source"};
    if ((rc = l->st->ops->rec_scan(l->st, EX_TAB_SOURCES, 1, UINT64_MAX, check_entry_row, &v)) !=
        EX_OK)
        return store_fail(l, rc);
    c.sources = v.rows;
    v.rows = 0;
    v.table = "batch";
    if ((rc = l->st->ops->rec_scan(l->st, EX_TAB_BATCHES, 1, UINT64_MAX, check_entry_row, &v)) !=
        EX_OK)
        return store_fail(l, rc);
    c.batches = v.rows;
    v.rows = 0;
    /* snapshot records (a ledger read as it is, from before snapshots, has none) */
    v.table = "snapshot";
    if (l->st->schema >= 5 &&
        (rc = l->st->ops->rec_scan(l->st, EX_TAB_SNAPSHOTS, 1, UINT64_MAX, check_entry_row, &v)) !=
            EX_OK)
        return store_fail(l, rc);
    c.snapshots = v.rows;
    v.rows = 0;
    /* attestations (envelopes) and retirements (their entries) */
    v.table = "retirement";
    if (l->st->schema >= 6 &&
        ((rc = l->st->ops->rec_scan(l->st, EX_TAB_ATTESTATIONS, 1, UINT64_MAX, check_envelope_row,
                                    &v)) != EX_OK ||
         (rc = l->st->ops->rec_scan(l->st, EX_TAB_RETIREMENTS, 1, UINT64_MAX, check_entry_row,
                                    &v)) != EX_OK))
        return store_fail(l, rc);
    c.attestations = v.rows;
    v.rows = 0;
    v.table = "submission";
    if (l->st->schema >= 9 &&
        (rc = l->st->ops->rec_scan(l->st, EX_TAB_SUBMISSIONS, 1, UINT64_MAX, check_submission_row,
                                   &v)) != EX_OK)
        return store_fail(l, rc);
    c.submissions = v.rows;
    v.rows = 0;
    static const struct {
        int table;
        const char *name;
    } extra[] = {{EX_TAB_POLICIES, "policy"}, {EX_TAB_CAPTURES, "capture"},
                 {EX_TAB_OPTOUTS, "opt-out"}};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        v.table = extra[i].name;
        if ((rc = l->st->ops->rec_scan(l->st, extra[i].table, 1, UINT64_MAX, check_extra_row,
                                       &v)) != EX_OK)
            return store_fail(l, rc);
    }
    c.signals = v.rows;
    bctx b = {l, NULL, 0, 0, 0, 0, 0, NULL, 0, 0};
    if ((rc = ex_vindex_open(l, &b.vx)) != EX_OK)
        return rc;
    rc = l->st->ops->rec_scan(l->st, EX_TAB_BATCHES, 1, UINT64_MAX, check_batch, &b);
    free(b.leaves);
    c.indexed = ex_vindex_checked(b.vx);
    ex_vindex_close(b.vx);
    if (rc != EX_OK)
        return store_fail(l, rc);
    /* the store's own indexes (SQLite: of the blocks, and of decisions by item) */
    if ((rc = l->st->ops->check_indexes(l->st)) != EX_OK)
        return store_fail(l, rc);
    c.decisions = b.items_seen;
    /* nothing outside the batches: every decision and item row is covered */
    uint64_t maxd, maxi;
    if ((rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK ||
        (rc = l->st->ops->rec_max(l->st, EX_TAB_ITEMS, &maxi)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    if (maxd != c.decisions)
        return ex_fail(&l->err, EX_EVERIFY,
                       "decisions: %llu stored, %llu covered by batches in the log",
                       (unsigned long long)maxd, (unsigned long long)c.decisions);
    if (maxi != (uint64_t)b.max_item)
        return ex_fail(&l->err, EX_EVERIFY, "items: %llu stored, decisions name %lld",
                       (unsigned long long)maxi, (long long)b.max_item);
    c.items = maxi;
    if (out)
        *out = c;
    return EX_OK;
}
