/* ingest.c - the ingest pipeline: readers -> items -> decisions -> batches -> log.
 *
 * Every record a reader yields becomes an item (provenance: source, locator, digest, size,
 * declared license, fetch time, HTTP signals) and gets a decision record. Decisions are
 * grouped in batches; a batch is one transaction holding its items, decisions, quarantine
 * reports and input progress, plus one log entry committing to the RFC 9162 root of its
 * decision records. Exact duplicates are found through an in-memory map from the first 8
 * bytes of each content digest to item ids (confirmed against the stored digest), so item
 * storage stays append-only. Inputs remember how far they were committed, so a re-run skips
 * what is recorded and completes what an interrupted run left. */
#include "ledger.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/cjson.h"
#include "ingest/instream.h"
#include "ingest/reader.h"

#define DEFAULT_BATCH 10000
#define HEADERS_KEPT 8192 /* raw HTTP header bytes kept per item for later signal checks */

/* ---- digest map: 8-byte digest prefix -> item id, open addressing, duplicates allowed ---- */

typedef struct dmap {
    uint64_t *keys; /* prefix, 0 = empty (a zero prefix is stored as 1: still exact, see hit) */
    uint64_t *ids;
    size_t cap, n;
} dmap;

static uint64_t
prefix_of(const uint8_t d[EX_HASH_BYTES])
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | d[i];
    return k ? k : 1;
}

static int
dmap_grow(dmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1 << 16;
    uint64_t *keys = calloc(cap, sizeof *keys), *ids = malloc(cap * sizeof *ids);
    if (!keys || !ids) {
        free(keys);
        free(ids);
        return EX_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = m->keys[i] & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        ids[j] = m->ids[i];
    }
    free(m->keys);
    free(m->ids);
    m->keys = keys;
    m->ids = ids;
    m->cap = cap;
    return EX_OK;
}

static int
dmap_put(dmap *m, uint64_t key, uint64_t id)
{
    if ((m->n + 1) * 2 > m->cap && dmap_grow(m) != EX_OK)
        return EX_ENOMEM;
    size_t j = key & (m->cap - 1);
    while (m->keys[j])
        j = (j + 1) & (m->cap - 1);
    m->keys[j] = key;
    m->ids[j] = id;
    m->n++;
    return EX_OK;
}

static void
dmap_free(dmap *m)
{
    free(m->keys);
    free(m->ids);
}

/* ---- inputs: how far each input (a stream file, or one file of a tree) is recorded ---- */

typedef struct input {
    char *key;        /* "<source>\n<real path>" */
    uint64_t id;      /* row in the inputs table, 0 if not stored yet */
    uint64_t through; /* records at offsets below this are recorded */
    uint64_t size, mtime;
    int dirty;        /* changed in the current batch */
} input;

typedef struct imap {
    input **v; /* open addressing by key hash */
    size_t cap, n;
} imap;

static uint64_t
fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static input *
imap_get(imap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    for (size_t j = fnv(key) & (m->cap - 1); m->v[j]; j = (j + 1) & (m->cap - 1))
        if (strcmp(m->v[j]->key, key) == 0)
            return m->v[j];
    return NULL;
}

static input *
imap_add(imap *m, const char *key)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        input **v = calloc(cap, sizeof *v);
        if (!v)
            return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->v[i])
                continue;
            size_t j = fnv(m->v[i]->key) & (cap - 1);
            while (v[j])
                j = (j + 1) & (cap - 1);
            v[j] = m->v[i];
        }
        free(m->v);
        m->v = v;
        m->cap = cap;
    }
    input *in = calloc(1, sizeof *in);
    if (!in || !(in->key = strdup(key))) {
        free(in);
        return NULL;
    }
    size_t j = fnv(key) & (m->cap - 1);
    while (m->v[j])
        j = (j + 1) & (m->cap - 1);
    m->v[j] = in;
    m->n++;
    return in;
}

static void
imap_free(imap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->v[i]) {
            free(m->v[i]->key);
            free(m->v[i]);
        }
    free(m->v);
}

/* ---- the run ---- */

typedef struct pending {
    size_t item, item_len;         /* item record: offset and length in the batch arena */
    size_t decision, decision_len; /* decision record, likewise */
    int64_t key;                   /* digest prefix */
} pending;

typedef struct run {
    ex_ledger *l;
    const ex_ingest_opts *o;
    ex_ingest_stats st;
    uint64_t input_total;
    char source[160];
    size_t batch_max;
    dmap map;
    uint64_t next_item;     /* id the next item will get */
    uint64_t next_decision;
    /* the current batch */
    pending *p;
    size_t np, pcap;
    ex_buf arena;           /* the batch's records, back to back */
    ex_buf quarantine;      /* JSONL of this batch's quarantine reports */
    size_t nq;
    imap inputs;
    int files;              /* the current input is a file tree: one input per file */
    input *cur;             /* the current stream input */
    uint64_t skip_through;  /* its records at offsets below this were recorded earlier */
    int strict_hit;
    int err_rc;
} run;

static int
fail(run *r, int rc, const char *fmt, ...) EX_PRINTF(3, 4);

static int
fail(run *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ex_vfail(&r->l->err, rc, fmt, ap);
    va_end(ap);
    return rc;
}

typedef struct load_ctx {
    dmap *m;
    uint64_t max;
} load_ctx;

static int
load_key(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)data;
    (void)len;
    load_ctx *c = ctx;
    c->max = id;
    return dmap_put(c->m, (uint64_t)key, id);
}

/* the stored item `id` has content digest d */
static int
same_digest(run *r, uint64_t id, const char *dig)
{
    /* items of the current batch are not stored yet */
    if (id >= r->next_item - r->np) {
        const pending *p = &r->p[id - (r->next_item - r->np)];
        return memmem(r->arena.data + p->item, p->item_len, dig, 71) != NULL;
    }
    uint8_t *rec;
    size_t len;
    if (r->l->st->ops->rec_get_dup(r->l->st, EX_TAB_ITEMS, id, NULL, &rec, &len) != EX_OK)
        return 0;
    int same = memmem(rec, len, dig, 71) != NULL;
    free(rec);
    return same;
}

/* id of the first item with digest d, 0 if none */
static uint64_t
lookup(run *r, const uint8_t d[EX_HASH_BYTES], const char *dig)
{
    uint64_t key = prefix_of(d);
    if (!r->map.cap)
        return 0;
    for (size_t j = key & (r->map.cap - 1); r->map.keys[j]; j = (j + 1) & (r->map.cap - 1))
        if (r->map.keys[j] == key && same_digest(r, r->map.ids[j], dig))
            return r->map.ids[j];
    return 0;
}

static void
set_str(json_t *o, const char *k, const char *v)
{
    if (v) {
        json_t *s = json_string(v);
        if (!s) /* not UTF-8: say so rather than drop the key */
            s = json_string("(invalid UTF-8)");
        json_object_set_new(o, k, s);
    }
}

/* an optional string member */
#define STR(k, v) ((v) ? ex_cjw_str(&w, k, v, strlen(v)) : EX_OK)

/* The item record, canonical JSON written member by member in key order. */
static int
item_record(run *r, const ex_item *it, const char *dig, ex_buf *b)
{
    ex_cjw w;
    size_t hl = it->http_headers ? it->http_headers_len : 0;
    if (hl > HEADERS_KEPT) {
        hl = HEADERS_KEPT; /* cut at a character boundary */
        while (hl > 0 && ((unsigned char)it->http_headers[hl] & 0xc0) == 0x80)
            hl--;
    }
    int rc = ex_cjw_begin(&w, b);
    if (rc == EX_OK) rc = STR("content_type", it->content_type);
    if (rc == EX_OK) rc = ex_cjw_str(&w, "digest", dig, 71);
    if (rc == EX_OK) rc = STR("fetched", it->fetched);
    if (rc == EX_OK) rc = STR("file", it->file);
    if (rc == EX_OK && hl) rc = ex_cjw_str(&w, "http_headers", it->http_headers, hl);
    if (rc == EX_OK && it->http_status) rc = ex_cjw_int(&w, "http_status", it->http_status);
    if (rc == EX_OK) rc = STR("license", it->license);
    if (rc == EX_OK && it->line) rc = ex_cjw_int(&w, "line", (int64_t)it->line);
    if (rc == EX_OK && it->member != it->offset)
        rc = ex_cjw_int(&w, "member", (int64_t)it->member);
    if (rc == EX_OK) rc = ex_cjw_int(&w, "offset", (int64_t)it->offset);
    if (rc == EX_OK) rc = STR("record_id", it->record_id);
    if (rc == EX_OK) rc = STR("refers_to_digest", it->refers_to_digest);
    if (rc == EX_OK) rc = STR("refers_to_uri", it->refers_to_uri);
    if (rc == EX_OK) rc = ex_cjw_int(&w, "size", (int64_t)it->size);
    if (rc == EX_OK) rc = ex_cjw_str(&w, "source", r->source, strlen(r->source));
    if (rc == EX_OK) rc = ex_cjw_str(&w, "type", "item", 4);
    if (rc == EX_OK) rc = STR("url", it->url);
    if (rc == EX_OK) rc = STR("warc_type", it->warc_type);
    if (rc == EX_OK) rc = ex_cjw_end(&w);
    return rc;
}

static int
decision_record(run *r, uint64_t id, const char *dig, const char *prov, uint64_t copy_of,
                int revisit, ex_buf *b)
{
    static const char admit_reason[] = "no policy engine yet: admitted";
    static const char copy_reason[] = "exact copy of an earlier item";
    static const char revisit_reason[] = "WARC revisit: a copy of the record it refers to";
    int dup = copy_of || revisit;
    const char *reason = copy_of ? copy_reason : revisit ? revisit_reason : admit_reason;
    ex_cjw w;
    int rc = ex_cjw_begin(&w, b);
    if (rc == EX_OK && copy_of) rc = ex_cjw_int(&w, "copy_of", (int64_t)copy_of);
    if (rc == EX_OK) rc = ex_cjw_str(&w, "digest", dig, 71);
    if (rc == EX_OK) rc = ex_cjw_int(&w, "item", (int64_t)id);
    if (rc == EX_OK) rc = ex_cjw_null(&w, "policy");
    if (rc == EX_OK) rc = ex_cjw_str(&w, "provenance", prov, 71);
    if (rc == EX_OK) rc = ex_cjw_str(&w, "reason", reason, strlen(reason));
    /* the policy engine decides here once it exists; until then nothing is refused */
    if (rc == EX_OK) rc = dup ? ex_cjw_str(&w, "rule", "duplicate", 9)
                              : ex_cjw_str(&w, "rule", "admit-all", 9);
    if (rc == EX_OK) rc = ex_cjw_str(&w, "source", r->source, strlen(r->source));
    if (rc == EX_OK) rc = ex_cjw_str(&w, "type", "decision", 8);
    if (rc == EX_OK) rc = dup ? ex_cjw_str(&w, "verdict", "duplicate", 9)
                              : ex_cjw_str(&w, "verdict", "admit", 5);
    if (rc == EX_OK) rc = ex_cjw_end(&w);
    return rc;
}

static int
flush(run *r);
static int
file_input(run *r, const char *path, input **out);

static int
on_item(void *ctx, const ex_item *it)
{
    run *r = ctx;
    input *in;
    int rc = r->files ? file_input(r, it->file, &in) : (in = r->cur, EX_OK);
    if (rc != EX_OK)
        return rc;
    if (r->files ? in->through > 0 : it->offset < r->skip_through) {
        r->st.skipped++;
        return EX_OK;
    }
    char dig[72], prov[72];
    ex_digest_format(it->digest, dig);
    int revisit = it->warc_type && strcmp(it->warc_type, "revisit") == 0;
    uint64_t copy_of = revisit ? 0 : lookup(r, it->digest, dig);
    uint64_t id = r->next_item;
    if (r->np == r->pcap) {
        size_t cap = r->pcap ? r->pcap * 2 : 1024;
        pending *np = realloc(r->p, cap * sizeof *np);
        if (!np)
            return fail(r, EX_ENOMEM, "out of memory");
        r->p = np;
        r->pcap = cap;
    }
    pending *pd = &r->p[r->np];
    pd->item = r->arena.len;
    rc = item_record(r, it, dig, &r->arena);
    if (rc == EX_EINVAL) {
        /* a reader passed text that is not UTF-8 in a metadata field: record the item with
         * those fields marked, rather than lose it */
        r->arena.len = pd->item;
        ex_item fixed = *it;
        const char **f[] = {&fixed.content_type, &fixed.fetched, &fixed.file, &fixed.license,
                            &fixed.record_id, &fixed.refers_to_digest, &fixed.refers_to_uri,
                            &fixed.url, &fixed.warc_type};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (*f[i] && !ex_utf8_valid(*f[i], strlen(*f[i])))
                *f[i] = "(invalid UTF-8)";
        if (fixed.http_headers && !ex_utf8_valid(fixed.http_headers, fixed.http_headers_len))
            fixed.http_headers = NULL;
        rc = item_record(r, &fixed, dig, &r->arena);
    }
    if (rc != EX_OK)
        return fail(r, rc, "cannot record item: %s", ex_strerror(rc));
    pd->item_len = r->arena.len - pd->item;
    uint8_t pdig[EX_HASH_BYTES];
    if ((rc = ex_sha256_digest(r->l->h, r->arena.data + pd->item, pd->item_len, pdig)) != EX_OK)
        return fail(r, rc, "hashing failed");
    ex_digest_format(pdig, prov);
    pd->decision = r->arena.len;
    if ((rc = decision_record(r, id, dig, prov, copy_of, revisit, &r->arena)) != EX_OK)
        return fail(r, rc, "cannot record decision: %s", ex_strerror(rc));
    pd->decision_len = r->arena.len - pd->decision;
    pd->key = (int64_t)prefix_of(it->digest);
    r->np++;
    r->next_item++;
    if (copy_of || revisit) {
        r->st.duplicates++;
    } else {
        r->st.admitted++;
        if (dmap_put(&r->map, (uint64_t)pd->key, id) != EX_OK)
            return fail(r, EX_ENOMEM, "out of memory");
    }
    r->st.items++;
    r->st.bytes += it->size;
    in->through = it->offset + 1;
    in->dirty = 1;
    return r->np >= r->batch_max ? flush(r) : EX_OK;
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    run *r = ctx;
    if (!r->files && q->offset < r->skip_through)
        return EX_OK;
    json_t *o = json_object();
    set_str(o, "file", q->file);
    json_object_set_new(o, "offset", json_integer((json_int_t)q->offset));
    if (q->member != q->offset)
        json_object_set_new(o, "member", json_integer((json_int_t)q->member));
    if (q->line)
        json_object_set_new(o, "line", json_integer((json_int_t)q->line));
    set_str(o, "reason", q->reason);
    json_object_set_new(o, "source", json_string(r->source));
    ex_err e = {0};
    size_t len;
    char *s = ex_json_canon_dup(o, &len, &e);
    json_decref(o);
    if (!s || ex_buf_put(&r->quarantine, s, len + 1) != EX_OK) { /* NUL separates */
        free(s);
        return fail(r, EX_ENOMEM, "out of memory");
    }
    free(s);
    r->nq++;
    r->st.quarantined++;
    if (!r->files) {
        r->cur->through = q->offset + 1;
        r->cur->dirty = 1;
    }
    if (r->o->strict) {
        r->strict_hit = 1;
        return fail(r, EX_EFORMAT, "%s: offset %llu: %s (--strict)", q->file,
                    (unsigned long long)q->offset, q->reason);
    }
    return EX_OK;
}

/* ---- batches ---- */

typedef struct flushing {
    run *r;
} flushing;
static int
input_record(const input *in, char **out, size_t *len)
{
    const char *nl = strchr(in->key, '\n');
    json_t *o = json_object();
    json_object_set_new(o, "source", json_stringn(in->key, (size_t)(nl - in->key)));
    set_str(o, "path", nl + 1);
    json_object_set_new(o, "size", json_integer((json_int_t)in->size));
    json_object_set_new(o, "mtime", json_integer((json_int_t)in->mtime));
    json_object_set_new(o, "through", json_integer((json_int_t)in->through));
    ex_err e = {0};
    *out = ex_json_canon_dup(o, len, &e);
    json_decref(o);
    return *out ? EX_OK : EX_ENOMEM;
}

/* write the inputs changed in this batch */
static int
save_inputs(run *r)
{
    ex_store *st = r->l->st;
    for (size_t i = 0; i < r->inputs.cap; i++) {
        input *in = r->inputs.v[i];
        if (!in || !in->dirty)
            continue;
        char *rec;
        size_t len;
        if (input_record(in, &rec, &len) != EX_OK)
            return fail(r, EX_ENOMEM, "out of memory");
        int rc;
        if (in->id) {
            rc = st->ops->rec_put(st, EX_TAB_INPUTS, in->id, 0, rec, len);
        } else {
            rc = st->ops->rec_append(st, EX_TAB_INPUTS, 0, rec, len, &in->id);
        }
        free(rec);
        if (rc != EX_OK)
            return ex_ledger_fail_store(r->l, rc);
    }
    return EX_OK;
}

static int
flush_in_tx(ex_ledger *l, void *ctx)
{
    run *r = ((flushing *)ctx)->r;
    ex_store *st = l->st;
    int rc = EX_OK;
    uint64_t first_item = r->next_item - r->np, first_dec = r->next_decision;
    uint8_t(*leaves)[EX_HASH_BYTES] = malloc((r->np ? r->np : 1) * EX_HASH_BYTES);
    if (!leaves)
        return fail(r, EX_ENOMEM, "out of memory");
    /* items and decisions get the ids predicted when their records were written; an id
     * taken meanwhile by another writer makes the insert fail, and the batch roll back */
    int64_t *keys = malloc((r->np ? r->np : 1) * sizeof *keys);
    const void **data = malloc((r->np ? r->np : 1) * sizeof *data);
    size_t *lens = malloc((r->np ? r->np : 1) * sizeof *lens);
    if (!keys || !data || !lens) {
        free(keys);
        free(data);
        free(lens);
        free(leaves);
        return fail(r, EX_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->np; i++) {
        keys[i] = r->p[i].key;
        data[i] = r->arena.data + r->p[i].item;
        lens[i] = r->p[i].item_len;
    }
    rc = st->ops->rec_insert_many(st, EX_TAB_ITEMS, first_item, r->np, keys, data, lens);
    for (size_t i = 0; rc == EX_OK && i < r->np; i++) {
        keys[i] = (int64_t)(first_item + i);
        data[i] = r->arena.data + r->p[i].decision;
        lens[i] = r->p[i].decision_len;
        rc = ex_merkle_leaf(l->h, data[i], lens[i], leaves[i]);
    }
    if (rc == EX_OK)
        rc = st->ops->rec_insert_many(st, EX_TAB_DECISIONS, first_dec, r->np, keys, data, lens);
    if (rc == EX_EDB) {
        free(keys);
        free(data);
        free(lens);
        free(leaves);
        return fail(r, rc, "cannot store the batch (is another process ingesting into this "
                           "ledger?): %s", ex_store_errmsg(st));
    }
    free(keys);
    free(data);
    free(lens);
    for (size_t off = 0; rc == EX_OK && off < r->quarantine.len;) {
        size_t len = strlen(r->quarantine.data + off);
        rc = st->ops->rec_append(st, EX_TAB_QUARANTINE, 0, r->quarantine.data + off, len, NULL);
        off += len + 1;
    }
    if (rc != EX_OK) {
        if (!l->err.msg[0] || rc == EX_EDB)
            ex_ledger_fail_store(l, rc);
        goto out;
    }
    if (r->np) {
        /* the batch: one log entry committing to the root of its decision records */
        uint8_t root[EX_HASH_BYTES];
        char b64[64], now[32];
        if ((rc = ex_merkle_root(l->h, (const uint8_t(*)[EX_HASH_BYTES])leaves, r->np, root)) !=
            EX_OK)
            goto out;
        ex_b64_encode(root, EX_HASH_BYTES, b64);
        ex_time_now(now);
        json_t *b = json_object();
        json_object_set_new(b, "type", json_string("batch"));
        json_object_set_new(b, "source", json_string(r->source));
        json_object_set_new(b, "first", json_integer((json_int_t)first_dec));
        json_object_set_new(b, "count", json_integer((json_int_t)r->np));
        json_object_set_new(b, "root", json_string(b64));
        json_object_set_new(b, "logged", json_string(now));
        ex_err e = {0};
        size_t blen;
        char *entry = ex_json_canon_dup(b, &blen, &e);
        json_decref(b);
        if (!entry) {
            rc = fail(r, EX_ENOMEM, "out of memory");
            goto out;
        }
        uint64_t index;
        const void *ep = entry;
        rc = ex_log_append(l->log, &ep, &blen, 1, &index);
        if (rc == EX_OK)
            rc = st->ops->rec_append(st, EX_TAB_BATCHES, (int64_t)index, entry, blen, NULL);
        else
            ex_ledger_fail_log(l, rc);
        free(entry);
        if (rc != EX_OK)
            goto out;
    }
    /* how far each input is recorded, so that a re-run resumes after it */
    rc = save_inputs(r);
out:
    free(leaves);
    return rc;
}

static void
clear_batch(run *r)
{
    r->np = 0;
    r->arena.len = 0;
    r->quarantine.len = 0;
    r->nq = 0;
    for (size_t i = 0; i < r->inputs.cap; i++)
        if (r->inputs.v[i])
            r->inputs.v[i]->dirty = 0;
}

static int
flush(run *r)
{
    if (r->np == 0 && r->nq == 0 && !(r->cur && r->cur->dirty))
        return EX_OK;
    flushing f = {r};
    uint64_t n = r->np;
    int rc = ex_ledger_atomic(r->l, flush_in_tx, &f);
    if (rc == EX_OK) {
        r->next_decision += n;
        if (n)
            r->st.batches++;
        /* fault injection for the resume tests: die as `kill -9` would, between batches */
        const char *kill_after = getenv("EXANTE_FAULT_KILL_AFTER_BATCHES");
        if (kill_after && r->st.batches >= strtoull(kill_after, NULL, 10))
            raise(SIGKILL);
        clear_batch(r);
        if (r->o->progress)
            r->o->progress(r->o->progress_ctx, &r->st, r->input_total);
    }
    return rc;
}

/* ---- inputs ---- */

static int
load_input(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    run *r = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    const char *src = json_string_value(json_object_get(o, "source"));
    const char *path = json_string_value(json_object_get(o, "path"));
    int rc = EX_OK;
    if (src && path) {
        size_t n = strlen(src) + strlen(path) + 2;
        char *k = malloc(n);
        input *in = NULL;
        if (k) {
            snprintf(k, n, "%s\n%s", src, path);
            in = imap_add(&r->inputs, k);
            free(k);
        }
        if (!in) {
            rc = EX_ENOMEM;
        } else {
            in->id = id;
            in->through = (uint64_t)json_integer_value(json_object_get(o, "through"));
            in->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
            in->mtime = (uint64_t)json_integer_value(json_object_get(o, "mtime"));
        }
    }
    json_decref(o);
    return rc;
}

/* The input record for path (made if new). A file whose size or modification time changed
 * is read again from its start: its records are new. */
static int
get_input(run *r, const char *path, input **out)
{
    char *real = realpath(path, NULL);
    struct stat sb;
    if (!real || stat(real, &sb) != 0) {
        int e = errno;
        free(real);
        return fail(r, EX_EIO, "cannot open '%s': %s", path, strerror(e));
    }
    size_t n = strlen(r->source) + strlen(real) + 2;
    char *k = malloc(n);
    if (!k) {
        free(real);
        return fail(r, EX_ENOMEM, "out of memory");
    }
    snprintf(k, n, "%s\n%s", r->source, real);
    free(real);
    input *in = imap_get(&r->inputs, k);
    if (!in && !(in = imap_add(&r->inputs, k))) {
        free(k);
        return fail(r, EX_ENOMEM, "out of memory");
    }
    free(k);
    if (in->size != (uint64_t)sb.st_size || in->mtime != (uint64_t)sb.st_mtime) {
        in->size = (uint64_t)sb.st_size;
        in->mtime = (uint64_t)sb.st_mtime;
        in->through = 0;
    }
    *out = in;
    return EX_OK;
}

static int
file_input(run *r, const char *path, input **out)
{
    return get_input(r, path, out);
}

static int
detect(const char *path, int *format, ex_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        *format = EX_FORMAT_FILES;
        return EX_OK;
    }
    ex_instream *s;
    int rc = ex_instream_open(path, &s, err);
    if (rc != EX_OK)
        return rc;
    char head[64];
    size_t n = 0, got;
    while (n < sizeof head &&
           ex_instream_read(s, head + n, sizeof head - n, &got, NULL) == EX_OK && got)
        n += got;
    ex_instream_close(s);
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (n - i >= 7 && memcmp(head + i, "WARC/1.", 7) == 0)
        *format = EX_FORMAT_WARC;
    else if (i < n && head[i] == '{')
        *format = EX_FORMAT_JSONL;
    else
        *format = EX_FORMAT_FILES;
    return EX_OK;
}

static int
one_input(run *r, const char *path)
{
    ex_ledger *l = r->l;
    int format = r->o->format, rc;
    if (format == EX_FORMAT_AUTO && (rc = detect(path, &format, &l->err)) != EX_OK)
        return rc;
    r->files = format == EX_FORMAT_FILES;
    r->cur = NULL;
    r->skip_through = 0;
    if (!r->files) {
        if ((rc = get_input(r, path, &r->cur)) != EX_OK)
            return rc;
        r->skip_through = r->cur->through;
    }
    ex_reader_cb cb = {on_item, on_quarantine, r};
    ex_jsonl_fields fields = {r->o->text_field, r->o->url_field, r->o->id_field,
                              r->o->license_field, r->o->fetched_field};
    ex_err e = {0};
    if (format == EX_FORMAT_JSONL)
        rc = ex_read_jsonl(path, &fields, &cb, &e);
    else if (format == EX_FORMAT_WARC)
        rc = ex_read_warc(path, &cb, &e);
    else
        rc = ex_read_files(path, &cb, &e);
    if (rc != EX_OK && !l->err.msg[0])
        ex_fail(&l->err, rc, "%s", e.msg[0] ? e.msg : ex_strerror(rc));
    if (rc == EX_OK || r->strict_hit) {
        int frc = flush(r); /* what was read before a --strict stop is kept */
        if (rc == EX_OK)
            rc = frc;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
        r->st.input_bytes += (uint64_t)sb.st_size;
    return rc;
}

int
ex_ledger_ingest(ex_ledger *l, const char *const *paths, size_t n, const ex_ingest_opts *o,
                 ex_ingest_stats *out)
{
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    if (!o || !o->source)
        return ex_fail(&l->err, EX_EINVAL, "no source given (--source NAME; see 'exante "
                                           "source add')");
    run r;
    memset(&r, 0, sizeof r);
    r.l = l;
    r.o = o;
    r.batch_max = o->batch ? o->batch : DEFAULT_BATCH;
    int rc = ex_ledger_source_find(l, o->source, NULL, NULL);
    if (rc != EX_OK)
        return rc;
    snprintf(r.source, sizeof r.source, "%s", o->source);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0)
            return ex_fail(&l->err, EX_EIO, "cannot open '%s': %s", paths[i], strerror(errno));
        r.input_total += (uint64_t)sb.st_size;
    }
    /* the digest map of every item recorded so far */
    load_ctx lc = {&r.map, 0};
    uint64_t maxd = 0;
    if ((rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, 1, UINT64_MAX, load_key, &lc)) != EX_OK ||
        (rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK) {
        if (rc != EX_ENOMEM)
            ex_ledger_fail_store(l, rc);
        else
            ex_fail(&l->err, rc, "out of memory");
        goto out;
    }
    r.next_item = lc.max + 1;
    r.next_decision = maxd + 1;
    if ((rc = l->st->ops->rec_scan(l->st, EX_TAB_INPUTS, 1, UINT64_MAX, load_input, &r)) !=
        EX_OK) {
        if (rc == EX_ENOMEM)
            ex_fail(&l->err, rc, "out of memory");
        else
            ex_ledger_fail_store(l, rc);
        goto out;
    }
    for (size_t i = 0; rc == EX_OK && i < n; i++)
        rc = one_input(&r, paths[i]);
out:
    clear_batch(&r);
    free(r.p);
    ex_buf_free(&r.arena);
    ex_buf_free(&r.quarantine);
    dmap_free(&r.map);
    imap_free(&r.inputs);
    if (out)
        *out = r.st;
    return rc;
}
