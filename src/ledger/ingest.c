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
#include "store/pack.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "core/cjson.h"
#include "ingest/instream.h"
#include "ingest/reader.h"
#include "dedup/dedup.h"
#include "policy/policy.h"

#define DEFAULT_BATCH 10000
#define HEADERS_KEPT 8192 /* raw HTTP header bytes kept per item for later signal checks */

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
    size_t zitem, zitem_len;       /* the two as stored (pack.h): in the batch's packed */
    size_t zdec, zdec_len;
    int64_t key;                   /* digest prefix */
    uint64_t item_id;              /* the item the decision is about */
} pending;


/* what an input record says, taken when its batch is handed over */
typedef struct insnap {
    input *in;
    uint64_t through, size, mtime;
} insnap;

/* A batch: its items and decisions, their leaves, quarantine reports and input progress. */
typedef struct batch {
    pending *p;
    size_t np, pcap;
    /* per pending record, same capacity: its decision's leaf hash, and the rows to insert */
    uint8_t (*leaves)[EX_HASH_BYTES];
    int64_t *keys;
    const void **data;
    size_t *lens;
    ex_buf arena;           /* the batch's records, back to back */
    ex_buf packed;          /* their stored forms, for the pending records before npacked */
    size_t npacked;
    ex_buf quarantine;      /* JSONL of this batch's quarantine reports */
    size_t nq;
    uint64_t first_item, first_dec; /* ids of its first item and decision (at hand-over) */
    insnap *ins;            /* the inputs it advances (at hand-over) */
    size_t nins, cins;
} batch;

/* The writer thread: commits one batch at a time while the sequencer fills the next. */
typedef struct writer {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started, busy, quit;
    ex_packer *pk;          /* packs what the sequencer left of the batch */
    int rc;                 /* the last batch's result, read after it is done */
    int failed;             /* a batch failed (its code): the run is over */
    uint64_t committed;     /* batches committed */
} writer;

typedef struct run {
    ex_ledger *l;
    const ex_ingest_opts *o;
    ex_ingest_stats st;
    uint64_t input_total;
    char source[160];
    size_t batch_max;
    ex_dedup *map;          /* exact duplicates: digest prefix -> first item */
    ex_dedup *urls;         /* WARC records (not revisits): URL key -> items, for revisits */
    uint64_t next_item;     /* id the next item will get */
    uint64_t next_decision;
    /* batches: one being filled (b), and one being committed by the writer thread (fly) */
    batch bufs[2];
    batch *b, *fly;
    writer w;
    ex_sha256 *h;           /* the sequencer's own hasher (the writer uses the ledger's) */
    ex_packer *pk;          /* the sequencer's packer (the writer has its own) */
    ex_store *rd;           /* a read-only connection for duplicate checks, or NULL */
    imap inputs;
    struct job *jobs;       /* the inputs of this run */
    size_t njobs;
    int dirty;              /* an input's progress changed in the current batch */
    input **dirtyv;         /* those inputs */
    size_t ndirty, cdirty;
    int async;              /* batches are committed by the writer thread */
    uint64_t done_bytes;    /* sizes of the inputs finished */
    int strict_hit;
    int take_rc;            /* the first failure of the sequencer */
    /* record parts fixed for the run (run_fixed) */
    ex_buf fixed;
    size_t item_tail_len;
    size_t tail[3], tail_len[3]; /* decision tails of copies, revisits, pending items */
    int fixed_rc;
    /* the adopted policy; NULL: none, items are recorded as pending */
    struct ex_policy *pol;
    ex_peval *pe;
    char pdig[EX_DIGEST_STR_BYTES];
    int no_items;           /* reevaluate: batches of decisions only */
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
    struct run *r;
    uint64_t from, from_u; /* the first items the two indexes lack */
    uint64_t max;          /* the last item read */
} load_ctx;

static uint64_t url_key(ex_sha256 *h, const char *url);

/* an item recorded before this run, into the indexes that lack it */
static int
load_key(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    load_ctx *c = ctx;
    c->max = id;
    int rc = EX_OK;
    if (id >= c->from && (rc = ex_dedup_put(c->r->map, (uint64_t)key, id, &c->r->l->err)) != EX_OK)
        return rc;
    if (id < c->from_u || !c->r->urls || !memmem(data, len, "\"warc_type\":", 12) ||
        memmem(data, len, "\"warc_type\":\"revisit\"", 22))
        return EX_OK;
    json_t *o = json_loadb(data, len, 0, NULL);
    const char *u = json_string_value(json_object_get(o, "url"));
    uint64_t uk = u ? url_key(c->r->h, u) : 0;
    json_decref(o);
    return uk ? ex_dedup_put(c->r->urls, uk, id, &c->r->l->err) : EX_OK;
}

static int land(run *r);

/* The record of item `id`, recorded in this run or before; *owned: what to free after. */
static int
item_rec(run *r, uint64_t id, const char **rec, size_t *len, uint8_t **owned)
{
    *owned = NULL;
    /* items of the current batch, and of the one the writer is committing, are not stored
     * (or not yet visible): their records are in memory */
    const batch *bts[2] = {r->b, r->fly};
    for (int k = 0; k < 2; k++) {
        const batch *bt = bts[k];
        if (!bt || !bt->np)
            continue;
        uint64_t first = bt == r->b ? r->next_item - bt->np : bt->first_item;
        if (id >= first && id < first + bt->np) {
            const pending *p = &bt->p[id - first];
            *rec = bt->arena.data + p->item;
            *len = p->item_len;
            return EX_OK;
        }
    }
    /* committed items: through the reader connection, while the writer goes on; without one
     * the main connection is the writer's while a batch is in flight, so wait for it */
    ex_store *st = r->rd;
    if (!st) {
        if (r->fly && land(r) != EX_OK)
            return EX_EIO;
        st = r->l->st;
    }
    int rc = st->ops->rec_get_dup(st, EX_TAB_ITEMS, id, NULL, owned, len);
    *rec = (const char *)*owned;
    return rc;
}

/* the stored item `id` has content digest d */
static int
same_digest(run *r, uint64_t id, const char *dig)
{
    const char *rec;
    size_t len;
    uint8_t *owned;
    if (item_rec(r, id, &rec, &len, &owned) != EX_OK)
        return 0;
    int same = memmem(rec, len, dig, 71) != NULL;
    free(owned);
    return same;
}

typedef struct same_ctx {
    run *r;
    const char *dig;
} same_ctx;

static int
same_cb(void *ctx, uint64_t id)
{
    same_ctx *c = ctx;
    return same_digest(c->r, id, c->dig);
}

/* A revisit's target: the earlier WARC record (not a revisit) with this URL whose
 * WARC-Record-ID is the revisit's WARC-Refers-To, else the latest such record. */
typedef struct target_ctx {
    run *r;
    const char *url;
    const char *rid; /* WARC-Refers-To, or NULL */
    uint64_t best;
    int exact; /* best has the record id rid */
} target_ctx;

static int
target_cb(void *ctx, uint64_t id)
{
    target_ctx *c = ctx;
    const char *rec;
    size_t len;
    uint8_t *owned = NULL;
    if (item_rec(c->r, id, &rec, &len, &owned) != EX_OK)
        return 0;
    json_t *o = json_loadb(rec, len, 0, NULL);
    const char *u = json_string_value(json_object_get(o, "url"));
    const char *t = json_string_value(json_object_get(o, "warc_type"));
    const char *rid = json_string_value(json_object_get(o, "record_id"));
    if (u && strcmp(u, c->url) == 0 && t && strcmp(t, "revisit") != 0) {
        if (c->rid && rid && strcmp(rid, c->rid) == 0)
            c->best = id, c->exact = 1;
        else if (id > c->best)
            c->best = id;
    }
    json_decref(o);
    free(owned);
    return c->exact; /* on until the named record is found: else the latest wins */
}

static uint64_t
revisit_target(run *r, uint64_t ukey, const char *url, const char *rid, int *rc)
{
    target_ctx c = {r, url, rid, 0, 0};
    *rc = EX_OK;
    if (r->urls && ukey)
        (void)ex_dedup_find(r->urls, ukey, target_cb, &c, rc);
    return c.best;
}

/* id of an earlier item with digest dig (whose prefix is key), 0 if none */
static uint64_t
lookup(run *r, uint64_t key, const char *dig, int *rc)
{
    same_ctx c = {r, dig};
    return ex_dedup_find(r->map, key, same_cb, &c, rc);
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

/* ---- records: canonical JSON written directly, member by member in key order ----
 *
 * The output is byte for byte what ex_cjw (and ex_json_canon) write, without its per-call
 * overheads: keys are ASCII literals given in canonical order, a string that is printable
 * ASCII without '"' or '\\' is its own canonical form and is copied in quotes, any other string
 * goes through ex_cjson_string (which validates and escapes it), and integers get ex_cjw_int's
 * range check. */

/* 1 if s[0..len) has only bytes 0x20-0x7f other than '"' and '\\'. Eight bytes at a time: the
 * has-less/has-zero word tests have no false negatives, and a false positive only takes the
 * slower path, which writes the same bytes. */
static int
plain(const char *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w, q, bs;
        memcpy(&w, s + i, 8);
        q = w ^ (ones * '"');
        bs = w ^ (ones * '\\');
        if ((w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high)
            return 0;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

static int
put(ex_buf *b, const char *p, size_t n)
{
    if (ex_buf_reserve(b, n) != EX_OK)
        return EX_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return EX_OK;
}

/* a JSON string, canonical */
static int
put_str(ex_buf *b, const char *s, size_t len)
{
    if (!plain(s, len))
        return ex_cjson_string(b, s, len);
    if (ex_buf_reserve(b, len + 2) != EX_OK)
        return EX_ENOMEM;
    char *o = b->data + b->len;
    o[0] = '"';
    memcpy(o + 1, s, len);
    o[len + 1] = '"';
    b->len += len + 2;
    return EX_OK;
}

/* member keys as literals with their length: `,"name":`, and `"name":` for the first one */
#define KEY(k) ",\"" k "\":", sizeof(",\"" k "\":") - 1
#define KEY1(k) "\"" k "\":", sizeof("\"" k "\":") - 1

static int
member_str(ex_buf *b, const char *key, size_t klen, const char *v, size_t len)
{
    int rc = put(b, key, klen);
    return rc == EX_OK ? put_str(b, v, len) : rc;
}

/* an optional string member, NULL: absent */
static int
member_opt(ex_buf *b, const char *key, size_t klen, const char *v)
{
    return v ? member_str(b, key, klen, v, strlen(v)) : EX_OK;
}

static int
member_int(ex_buf *b, const char *key, size_t klen, int64_t v)
{
    if (v > EX_JSON_INT_MAX || v < -EX_JSON_INT_MAX)
        return EX_EINVAL;
    char t[24];
    size_t i = sizeof t;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        t[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        t[--i] = '-';
    int rc = put(b, key, klen);
    return rc == EX_OK ? put(b, t + i, sizeof t - i) : rc;
}

/* "sha256:<hex>" (71 characters, never escaped) */
static int
member_digest(ex_buf *b, const char *key, size_t klen, const char *dig)
{
    if (ex_buf_reserve(b, klen + 73) != EX_OK)
        return EX_ENOMEM;
    char *o = b->data + b->len;
    memcpy(o, key, klen);
    o[klen] = '"';
    memcpy(o + klen + 1, dig, 71);
    o[klen + 72] = '"';
    b->len += klen + 73;
    return EX_OK;
}

static const char copy_reason[] = "exact copy of an earlier item";
static const char revisit_reason[] = "WARC revisit: a copy of the record it refers to";
static const char pending_reason[] = "no policy adopted yet: pending until 'exante reevaluate' "
                                     "decides it under an adopted policy";

/* The part of item records that is the same for the whole run: the source name as a JSON
 * string inside `,"source":<name>,"type":"item"`. */
static int
run_fixed(run *r)
{
    ex_buf *b = &r->fixed;
    b->len = 0;
    int rc = put(b, KEY("source"));
    if (rc == EX_OK)
        rc = put_str(b, r->source, strlen(r->source));
    if (rc == EX_OK)
        rc = put(b, KEY("type"));
    if (rc == EX_OK)
        rc = put(b, "\"item\"", 6);
    r->item_tail_len = b->len;
    /* the decisions whose reason, rule and verdict are fixed: everything after provenance */
    static const char *const reason[3] = {copy_reason, revisit_reason, pending_reason};
    static const char *const rule[3] = {"duplicate", "duplicate", "no-policy"};
    static const char *const verdict[3] = {"duplicate", "duplicate", "pending"};
    for (int k = 0; rc == EX_OK && k < 3; k++) {
        r->tail[k] = b->len;
        rc = member_str(b, KEY("reason"), reason[k], strlen(reason[k]));
        if (rc == EX_OK)
            rc = member_str(b, KEY("rule"), rule[k], strlen(rule[k]));
        if (rc == EX_OK)
            rc = member_str(b, KEY("source"), r->source, strlen(r->source));
        if (rc == EX_OK)
            rc = put(b, ",\"type\":\"decision\"", 18);
        if (rc == EX_OK)
            rc = member_str(b, KEY("verdict"), verdict[k], strlen(verdict[k]));
        if (rc == EX_OK)
            rc = put(b, "}", 1);
        r->tail_len[k] = b->len - r->tail[k];
    }
    return rc;
}

#define HTML_HEAD_MAX 8192 /* bytes of an HTML page's head kept for meta signals */

static int
has_ci(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(h + i, needle, k) == 0)
            return (int)i + 1;
    return 0;
}

/* The head of an HTML page (up to and including </head>, at most HTML_HEAD_MAX bytes), with
 * bytes that are not UTF-8 replaced by '?': the policy checks read its <meta> tags (robots
 * noai, tdm-reservation) as they were at fetch time, long after the content is gone. */
static size_t
html_head(const ex_item *it, char out[HTML_HEAD_MAX])
{
    const char *c = (const char *)it->content;
    size_t n = it->content_len < HTML_HEAD_MAX ? it->content_len : HTML_HEAD_MAX;
    if (!c || n == 0)
        return 0;
    size_t ws = 0;
    while (ws < n && (c[ws] == ' ' || c[ws] == '\n' || c[ws] == '\r' || c[ws] == '\t'))
        ws++;
    int html = it->content_type ? has_ci(it->content_type, strlen(it->content_type), "html") > 0
                                : (n - ws >= 5 && (strncasecmp(c + ws, "<!doc", 5) == 0 ||
                                                   strncasecmp(c + ws, "<html", 5) == 0));
    if (!html)
        return 0;
    int end = has_ci(c, n, "</head>");
    if (end)
        n = (size_t)end - 1 + 7;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)c[i];
        size_t k = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (b >= 0x80 && (i + k > n || !ex_utf8_valid(c + i, k)))
            k = 0;
        if (k == 0 || (b < 0x20 && b != '\n' && b != '\r' && b != '\t')) {
            out[o++] = '?';
            i++;
        } else {
            memcpy(out + o, c + i, k);
            o += k;
            i += k;
        }
    }
    return o;
}

/* the bytes of the HTTP head kept (cut at a character boundary) */
static size_t
headers_kept(const ex_item *it)
{
    size_t hl = it->http_headers ? it->http_headers_len : 0;
    if (hl > HEADERS_KEPT) {
        hl = HEADERS_KEPT;
        while (hl > 0 && ((unsigned char)it->http_headers[hl] & 0xc0) == 0x80)
            hl--;
    }
    return hl;
}

/* The item record; head[0..headl) is its HTML head (html_head). */
static int
item_record(run *r, const ex_item *it, const char *dig, const char *head, size_t headl,
            ex_buf *b)
{
    if (r->fixed_rc != EX_OK)
        return r->fixed_rc; /* the source name is not UTF-8: no record can hold it */
    size_t hl = headers_kept(it);
    int rc = put(b, "{", 1);
    if (rc == EX_OK && it->content_type) {
        rc = member_str(b, KEY1("content_type"), it->content_type, strlen(it->content_type));
        if (rc == EX_OK)
            rc = member_digest(b, KEY("digest"), dig);
    } else if (rc == EX_OK) {
        rc = member_digest(b, KEY1("digest"), dig);
    }
    if (rc == EX_OK) rc = member_opt(b, KEY("fetched"), it->fetched);
    if (rc == EX_OK) rc = member_opt(b, KEY("file"), it->file);
    if (rc == EX_OK && headl) rc = member_str(b, KEY("html_head"), head, headl);
    if (rc == EX_OK && hl) rc = member_str(b, KEY("http_headers"), it->http_headers, hl);
    if (rc == EX_OK && it->http_status)
        rc = member_int(b, KEY("http_status"), it->http_status);
    if (rc == EX_OK) rc = member_opt(b, KEY("license"), it->license);
    if (rc == EX_OK && it->line) rc = member_int(b, KEY("line"), (int64_t)it->line);
    if (rc == EX_OK && it->member != it->offset)
        rc = member_int(b, KEY("member"), (int64_t)it->member);
    if (rc == EX_OK) rc = member_int(b, KEY("offset"), (int64_t)it->offset);
    if (rc == EX_OK) rc = member_opt(b, KEY("record_id"), it->record_id);
    if (rc == EX_OK) rc = member_opt(b, KEY("refers_to_digest"), it->refers_to_digest);
    if (rc == EX_OK) rc = member_opt(b, KEY("refers_to_record"), it->refers_to_record);
    if (rc == EX_OK) rc = member_opt(b, KEY("refers_to_uri"), it->refers_to_uri);
    if (rc == EX_OK) rc = member_int(b, KEY("size"), (int64_t)it->size);
    if (rc == EX_OK) rc = put(b, r->fixed.data, r->item_tail_len); /* source, type */
    if (rc == EX_OK) rc = member_opt(b, KEY("url"), it->url);
    if (rc == EX_OK) rc = member_opt(b, KEY("warc_type"), it->warc_type);
    if (rc == EX_OK) rc = put(b, "}", 1);
    return rc;
}

/* A decision record, in canonical key order. */
typedef struct dec {
    uint64_t item, copy_of, supersedes; /* 0: absent */
    const char *dig, *prov;             /* content digest, item record digest */
    const char *policy;                 /* policy digest, NULL: none */
    const char *verdict, *rule, *reason;
    const char (*evidence)[EX_DIGEST_STR_BYTES];
    int nevidence;
    int tail; /* 1..3: reason, rule and verdict are the run's fixed tail tail-1 */
} dec;

static int
decision_record(run *r, const dec *d, ex_buf *b)
{
    if (r->fixed_rc != EX_OK)
        return r->fixed_rc;
    int rc = put(b, "{", 1);
    if (rc == EX_OK && d->copy_of) {
        rc = member_int(b, KEY1("copy_of"), (int64_t)d->copy_of);
        if (rc == EX_OK)
            rc = member_digest(b, KEY("digest"), d->dig);
    } else if (rc == EX_OK) {
        rc = member_digest(b, KEY1("digest"), d->dig);
    }
    if (rc == EX_OK && d->nevidence) {
        rc = put(b, KEY("evidence"));
        if (rc == EX_OK)
            rc = put(b, "[", 1);
        for (int i = 0; rc == EX_OK && i < d->nevidence; i++) {
            if (i)
                rc = put(b, ",", 1);
            if (rc == EX_OK)
                rc = put_str(b, d->evidence[i], strlen(d->evidence[i]));
        }
        if (rc == EX_OK)
            rc = put(b, "]", 1);
    }
    if (rc == EX_OK) rc = member_int(b, KEY("item"), (int64_t)d->item);
    if (rc == EX_OK && d->policy) rc = member_digest(b, KEY("policy"), d->policy);
    else if (rc == EX_OK) rc = put(b, ",\"policy\":null", 14);
    if (rc == EX_OK) rc = member_digest(b, KEY("provenance"), d->prov);
    if (d->tail && !d->supersedes)
        return rc == EX_OK ? put(b, r->fixed.data + r->tail[d->tail - 1], r->tail_len[d->tail - 1])
                           : rc;
    if (rc == EX_OK) rc = member_str(b, KEY("reason"), d->reason, strlen(d->reason));
    if (rc == EX_OK) rc = member_str(b, KEY("rule"), d->rule, strlen(d->rule));
    if (rc == EX_OK) rc = member_str(b, KEY("source"), r->source, strlen(r->source));
    if (rc == EX_OK && d->supersedes)
        rc = member_int(b, KEY("supersedes"), (int64_t)d->supersedes);
    if (rc == EX_OK) rc = put(b, ",\"type\":\"decision\"", 18);
    if (rc == EX_OK) rc = member_str(b, KEY("verdict"), d->verdict, strlen(d->verdict));
    if (rc == EX_OK) rc = put(b, "}", 1);
    return rc;
}

/* decisions per rule id, for the summary */
static void
count_rule(run *r, const char *rule)
{
    ex_ingest_stats *st = &r->st;
    for (size_t i = 0; i < st->nrules; i++)
        if (strcmp(st->by_rule[i].id, rule) == 0) {
            st->by_rule[i].count++;
            return;
        }
    if (st->nrules < EX_STATS_RULES_MAX) {
        snprintf(st->by_rule[st->nrules].id, sizeof st->by_rule[0].id, "%s", rule);
        st->by_rule[st->nrules++].count = 1;
    }
}

static int
flush(run *r);
static int
file_input(run *r, const char *path, input **out);

/* room for twice as many pending records */
static int
grow_pending(run *r)
{
    size_t cap = r->b->pcap ? r->b->pcap * 2 : 1024;
    pending *p = realloc(r->b->p, cap * sizeof *p);
    if (p)
        r->b->p = p;
    uint8_t(*leaves)[EX_HASH_BYTES] = realloc(r->b->leaves, cap * sizeof *leaves);
    if (leaves)
        r->b->leaves = leaves;
    int64_t *keys = realloc(r->b->keys, cap * sizeof *keys);
    if (keys)
        r->b->keys = keys;
    const void **data = realloc(r->b->data, cap * sizeof *data);
    if (data)
        r->b->data = data;
    size_t *lens = realloc(r->b->lens, cap * sizeof *lens);
    if (lens)
        r->b->lens = lens;
    if (!p || !leaves || !keys || !data || !lens)
        return EX_ENOMEM;
    r->b->pcap = cap;
    return EX_OK;
}

/* ---- the two halves of the pipeline ----
 *
 * A producer runs a reader over one input at a time and turns what it yields into entries:
 * the item record written and hashed (the costly, independent part: decompression, content
 * and record digests), or a quarantine report. The sequencer takes entries one by one, in
 * the order of each input: it finds exact duplicates, numbers items and decisions, writes
 * the decision records and commits batches. With --jobs 1 the producer hands each entry over
 * at once on the same thread; with --jobs N, N producer threads fill chunks of entries that
 * the sequencer (the calling thread) takes from a bounded queue. */

enum { E_ITEM = 1, E_QUARANTINE, E_DONE };
#define STOPPED 1           /* a callback's "stop reading": the run is ending */
#define CHUNK_BYTES (256u << 10)

typedef struct ent {
    int kind;
    int revisit;
    int rc;                 /* E_DONE: the reader's result */
    uint32_t job;           /* the input it came from */
    uint64_t offset, member, size, key, skipped;
    uint8_t digest[EX_HASH_BYTES];
    uint8_t prov[EX_HASH_BYTES]; /* digest of the item record */
    char dig[EX_DIGEST_STR_BYTES];                /* digest, formatted */
    size_t rec_len;  /* bytes after the header: item record, quarantine JSON or E_DONE message */
    size_t path_len; /* a file of a tree: its path (NUL-terminated) is at path_off, else 0 */
    size_t path_off;
    size_t body_len; /* all bytes after the header */
    /* what the policy reads of an item, NUL-terminated in the body: offset and length, or
     * offset 0 when absent */
    size_t f_off[7], f_len[7];
    uint64_t ukey; /* WARC: the URL index key of its URL (a revisit: of the one it refers to) */
} ent;

enum { F_URL, F_LICENSE, F_FETCHED, F_HEADERS, F_HTML, F_REFERS, F_REFERS_ID, F_COUNT };

typedef struct job {
    const char *path;
    int format;
    input *in;             /* a stream input; NULL for a file tree (one input per file) */
    uint64_t skip_through; /* its records at offsets below this were recorded earlier */
    uint64_t pos;          /* file offset reached (the last record's gzip member / zstd frame) */
    int done;
} job;

typedef struct producer {
    run *r;
    struct pool *pool; /* NULL: entries are taken at once, on this thread */
    ex_sha256 *h;
    ex_buf out;        /* entries not handed over yet */
    uint32_t job;
    uint64_t skipped;  /* records of the current input recorded earlier */
} producer;

static int take(run *r, const ent *e, const char *body);
static int hand_over(producer *p);

/* a new entry header at the end of p->out (8-byte aligned); its offset in *at */
static int
entry_start(producer *p, int kind, size_t *at)
{
    size_t pad = (8 - p->out.len % 8) % 8;
    if (ex_buf_reserve(&p->out, pad + sizeof(ent)) != EX_OK)
        return EX_ENOMEM;
    p->out.len += pad;
    *at = p->out.len;
    ent *e = (ent *)(p->out.data + *at);
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->job = p->job;
    p->out.len += sizeof *e;
    return EX_OK;
}

/* the entry at `at` is complete: inline, take it; else hand the chunk over when full */
static int
entry_end(producer *p, size_t at)
{
    ((ent *)(p->out.data + at))->body_len = p->out.len - at - sizeof(ent);
    if (!p->pool) {
        const ent *e = (const ent *)(p->out.data + at);
        int rc = take(p->r, e, p->out.data + at + sizeof *e);
        p->out.len = 0;
        return rc;
    }
    return p->out.len >= CHUNK_BYTES ? hand_over(p) : EX_OK;
}

/* the URL index key of a URL: the first 8 bytes of its SHA-256 (never 0; candidates are
 * confirmed against the stored URL) */
static uint64_t
url_key(ex_sha256 *h, const char *url)
{
    uint8_t d[EX_HASH_BYTES];
    if (ex_sha256_digest(h, url, strlen(url), d) != EX_OK)
        return 0;
    return ex_dedup_key(d);
}

static int
stopping(const producer *p);

static int
on_item(void *ctx, const ex_item *it)
{
    producer *p = ctx;
    run *r = p->r;
    const job *jb = &r->jobs[p->job];
    if (stopping(p))
        return STOPPED;
    if (jb->in && it->offset < jb->skip_through) {
        p->skipped++;
        return EX_OK;
    }
    char dig[EX_DIGEST_STR_BYTES];
    ex_digest_format(it->digest, dig);
    size_t at;
    int rc = entry_start(p, E_ITEM, &at);
    if (rc != EX_OK)
        return rc;
    /* the duplicate index is far larger than the caches: start loading its slot now, while
     * the item record is written (inline, the lookup follows right after) */
    ex_dedup_prefetch(r->map, ex_dedup_key(it->digest));
    static __thread char head[HTML_HEAD_MAX];
    size_t headl = html_head(it, head);
    size_t rec = p->out.len;
    const ex_item *used = it;
    rc = item_record(r, it, dig, head, headl, &p->out);
    ex_item fixed;
    if (rc == EX_EINVAL) {
        /* a reader passed text that is not UTF-8 in a metadata field: record the item with
         * those fields marked, rather than lose it */
        p->out.len = rec;
        fixed = *it;
        const char **f[] = {&fixed.content_type, &fixed.fetched, &fixed.file, &fixed.license,
                            &fixed.record_id, &fixed.refers_to_digest, &fixed.refers_to_record,
                            &fixed.refers_to_uri,
                            &fixed.url, &fixed.warc_type};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (*f[i] && !ex_utf8_valid(*f[i], strlen(*f[i])))
                *f[i] = "(invalid UTF-8)";
        if (fixed.http_headers && !ex_utf8_valid(fixed.http_headers, fixed.http_headers_len))
            fixed.http_headers = NULL;
        used = &fixed;
        rc = item_record(r, used, dig, head, headl, &p->out);
    }
    if (rc != EX_OK)
        return rc;
    size_t rec_len = p->out.len - rec;
    uint8_t prov[EX_HASH_BYTES];
    if ((rc = ex_sha256_digest(p->h, p->out.data + rec, rec_len, prov)) != EX_OK)
        return rc;
    /* the facts the policy reads, each NUL-terminated */
    /* a WARC revisit names the record it repeats by URL (WARC-Refers-To-Target-URI, else its
     * own) and, if it says, by record id (WARC-Refers-To) */
    int revisit = used->warc_type && strcmp(used->warc_type, "revisit") == 0;
    const char *refers = revisit ? (used->refers_to_uri ? used->refers_to_uri : used->url) : NULL;
    const char *fv[F_COUNT] = {used->url, used->license, used->fetched, used->http_headers,
                               headl ? head : NULL, refers,
                               revisit ? used->refers_to_record : NULL};
    size_t fl[F_COUNT] = {0, 0, 0, headers_kept(used), headl, 0, 0}, fo[F_COUNT] = {0};
    for (int i = 0; i < F_COUNT && rc == EX_OK; i++) {
        if (!fv[i])
            continue;
        if (i < 3 || i >= F_REFERS)
            fl[i] = strlen(fv[i]);
        fo[i] = p->out.len - at - sizeof(ent);
        if ((rc = put(&p->out, fv[i], fl[i])) == EX_OK)
            rc = put(&p->out, "", 1);
    }
    size_t path_off = p->out.len - at - sizeof(ent), path_len = 0;
    if (rc == EX_OK && !jb->in) {
        path_len = strlen(it->file);
        rc = put(&p->out, it->file, path_len + 1);
    }
    if (rc != EX_OK)
        return rc;
    ent *e = (ent *)(p->out.data + at);
    e->rec_len = rec_len;
    memcpy(e->prov, prov, EX_HASH_BYTES);
    memcpy(e->f_off, fo, sizeof fo);
    memcpy(e->f_len, fl, sizeof fl);
    e->path_off = path_off;
    e->path_len = path_len;
    e->revisit = revisit;
    e->ukey = 0;
    if (refers)
        e->ukey = url_key(p->h, refers);
    else if (used->url && used->warc_type)
        e->ukey = url_key(p->h, used->url);
    e->offset = it->offset;
    e->member = it->member;
    e->size = it->size;
    e->key = ex_dedup_key(it->digest);
    memcpy(e->digest, it->digest, EX_HASH_BYTES);
    memcpy(e->dig, dig, sizeof dig);
    return entry_end(p, at);
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    producer *p = ctx;
    run *r = p->r;
    const job *jb = &r->jobs[p->job];
    if (stopping(p))
        return STOPPED;
    if (jb->in && q->offset < jb->skip_through)
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
    size_t len, at;
    char *s = ex_json_canon_dup(o, &len, &e);
    json_decref(o);
    int rc = s ? entry_start(p, E_QUARANTINE, &at) : EX_ENOMEM;
    if (rc == EX_OK)
        rc = put(&p->out, s, len + 1);
    free(s);
    if (rc != EX_OK)
        return rc;
    ent *en = (ent *)(p->out.data + at);
    en->rec_len = len;
    en->offset = q->offset;
    en->member = q->member;
    return entry_end(p, at);
}

/* the end of an input: the reader's result and message */
static int
input_done(producer *p, int rc, const char *msg)
{
    size_t at, n = strlen(msg);
    int prc = entry_start(p, E_DONE, &at);
    if (prc == EX_OK)
        prc = put(&p->out, msg, n + 1);
    if (prc != EX_OK)
        return prc;
    ent *e = (ent *)(p->out.data + at);
    e->rc = rc;
    e->rec_len = n;
    e->skipped = p->skipped;
    p->skipped = 0;
    if (!p->pool)
        return entry_end(p, at);
    e->body_len = p->out.len - at - sizeof(ent);
    return hand_over(p); /* now, so the sequencer sees the input end */
}

/* Read input `j` into entries. Returns the first failure of handing over (inline: of take),
 * or EX_OK; the reader's own result travels in the E_DONE entry. */
static int
produce(producer *p, uint32_t j)
{
    const job *jb = &p->r->jobs[j];
    p->job = j;
    p->skipped = 0;
    producer *ctx = p;
    ex_reader_cb cb = {on_item, on_quarantine, ctx};
    const ex_ingest_opts *o = p->r->o;
    ex_jsonl_fields fields = {o->text_field, o->url_field, o->id_field, o->license_field,
                              o->fetched_field};
    ex_err e = {0};
    int rc;
    if (jb->format == EX_FORMAT_JSONL)
        rc = ex_read_jsonl(jb->path, &fields, &cb, &e);
    else if (jb->format == EX_FORMAT_WARC)
        rc = ex_read_warc(jb->path, &cb, &e);
    else
        rc = ex_read_files(jb->path, &cb, &e);
    if (!p->pool && p->r->take_rc != EX_OK)
        return p->r->take_rc; /* the sequencer stopped the reader */
    if (rc == STOPPED)
        return EX_OK; /* the run is ending; the sequencer knows why */
    if (rc != EX_OK && !e.msg[0])
        snprintf(e.msg, sizeof e.msg, "%s: %s", jb->path, ex_strerror(rc));
    return input_done(p, rc, rc == EX_OK ? "" : e.msg);
}

/* ---- the sequencer ---- */

static int
mark_dirty(run *r, input *in)
{
    r->dirty = 1;
    if (in->dirty)
        return EX_OK;
    if (r->ndirty == r->cdirty) {
        size_t cap = r->cdirty ? r->cdirty * 2 : 16;
        input **v = realloc(r->dirtyv, cap * sizeof *v);
        if (!v)
            return fail(r, EX_ENOMEM, "out of memory");
        r->dirtyv = v;
        r->cdirty = cap;
    }
    r->dirtyv[r->ndirty++] = in;
    in->dirty = 1;
    return EX_OK;
}

static int
take_item(run *r, const ent *e, const char *rec)
{
    const job *jb = &r->jobs[e->job];
    input *in = jb->in;
    int rc;
    if (!in) {
        if ((rc = file_input(r, rec + e->path_off, &in)) != EX_OK)
            return rc;
        if (in->through > 0) {
            r->st.skipped++;
            return EX_OK;
        }
    }
    const char *dig = e->dig;
    char prov[EX_DIGEST_STR_BYTES];
    ex_digest_format(e->prov, prov);
    uint64_t copy_of = 0, id = r->next_item;
    if (r->b->np == r->b->pcap && grow_pending(r) != EX_OK)
        return fail(r, EX_ENOMEM, "out of memory");
    pending *pd = &r->b->p[r->b->np];
    pd->item = r->b->arena.len;
    if ((rc = put(&r->b->arena, rec, e->rec_len)) != EX_OK)
        return fail(r, rc, "out of memory");
    pd->item_len = e->rec_len;
    pd->item_id = id;
    if (!e->revisit) {
        copy_of = lookup(r, e->key, dig, &rc);
        if (rc != EX_OK)
            return fail(r, rc, "cannot read the duplicate index: %s", ex_strerror(rc));
    } else if (e->f_off[F_REFERS]) {
        copy_of = revisit_target(r, e->ukey, rec + e->f_off[F_REFERS],
                                 e->f_off[F_REFERS_ID] ? rec + e->f_off[F_REFERS_ID] : NULL, &rc);
        if (rc != EX_OK)
            return fail(r, rc, "cannot read the URL index: %s", ex_strerror(rc));
    }
    /* the decision: a copy is a duplicate of the first occurrence, whose decision covers the
     * content; a first occurrence is decided by the policy, or pending without one */
    dec d = {id, copy_of, 0, dig, prov, r->pol ? r->pdig : NULL, "duplicate", "duplicate",
             copy_reason, NULL, 0, 1};
    ex_pdecision pdd;
    if (e->revisit) {
        d.reason = revisit_reason, d.tail = 2;
    } else if (!copy_of && !r->pe) {
        d.verdict = "pending", d.rule = "no-policy", d.reason = pending_reason, d.tail = 3;
    } else if (!copy_of) {
        d.tail = 0;
        const char *f[5];
        for (int i = 0; i < 5; i++)
            f[i] = e->f_off[i] ? rec + e->f_off[i] : NULL;
        ex_pitem pi = {r->source, dig, e->digest, f[F_URL], f[F_LICENSE], f[F_FETCHED],
                       f[F_HEADERS], e->f_len[F_HEADERS], f[F_HTML], e->f_len[F_HTML]};
        if ((rc = ex_peval_decide(r->pe, &pi, &pdd)) != EX_OK)
            return fail(r, rc, "the policy cannot decide: %s", ex_strerror(rc));
        d.verdict = pdd.verdict == EX_VERDICT_ADMIT ? "admit" : "reject";
        d.rule = pdd.rule;
        d.reason = pdd.reason;
        d.evidence = (const char(*)[EX_DIGEST_STR_BYTES])pdd.evidence;
        d.nevidence = pdd.nevidence;
    }
    pd->decision = r->b->arena.len;
    if ((rc = decision_record(r, &d, &r->b->arena)) != EX_OK)
        return fail(r, rc, "cannot record decision: %s", ex_strerror(rc));
    pd->decision_len = r->b->arena.len - pd->decision;
    /* its leaf in the batch tree, while the record is in cache */
    if ((rc = ex_merkle_leaf(r->h, r->b->arena.data + pd->decision, pd->decision_len,
                             r->b->leaves[r->b->np])) != EX_OK)
        return fail(r, rc, "hashing failed");
    pd->key = (int64_t)e->key;
    r->b->np++;
    r->next_item++;
    if (e->ukey && !e->revisit && r->urls &&
        (rc = ex_dedup_put(r->urls, e->ukey, id, &r->l->err)) != EX_OK)
        return rc;
    if (copy_of || e->revisit) {
        r->st.duplicates++;
    } else {
        if (d.verdict[0] == 'a')
            r->st.admitted++;
        else if (d.verdict[0] == 'r')
            r->st.rejected++;
        else
            r->st.pending++;
        if ((rc = ex_dedup_put(r->map, e->key, id, &r->l->err)) != EX_OK)
            return rc;
    }
    count_rule(r, d.rule);
    r->st.items++;
    r->st.bytes += e->size;
    in->through = e->offset + 1;
    if ((rc = mark_dirty(r, in)) != EX_OK)
        return rc;
    if (jb->in)
        r->jobs[e->job].pos = e->member;
    return r->b->np >= r->batch_max ? flush(r) : EX_OK;
}

static int
take_quarantine(run *r, const ent *e, const char *json)
{
    const job *jb = &r->jobs[e->job];
    if (ex_buf_put(&r->b->quarantine, json, e->rec_len + 1) != EX_OK) /* NUL separates */
        return fail(r, EX_ENOMEM, "out of memory");
    r->b->nq++;
    r->st.quarantined++;
    if (jb->in) {
        jb->in->through = e->offset + 1;
        if (mark_dirty(r, jb->in) != EX_OK)
            return EX_ENOMEM;
    }
    if (r->o->strict) {
        r->strict_hit = 1;
        json_t *o = json_loadb(json, e->rec_len, 0, NULL);
        const char *file = json_string_value(json_object_get(o, "file"));
        const char *reason = json_string_value(json_object_get(o, "reason"));
        fail(r, EX_EFORMAT, "%s: offset %llu: %s (--strict)", file ? file : jb->path,
             (unsigned long long)e->offset, reason ? reason : "quarantined");
        json_decref(o);
        return EX_EFORMAT;
    }
    return EX_OK;
}

/* Take one entry; a non-EX_OK result ends the run (l->err says why). */
static int
take(run *r, const ent *e, const char *body)
{
    int rc;
    switch (e->kind) {
    case E_ITEM:
        rc = take_item(r, e, body);
        break;
    case E_QUARANTINE:
        rc = take_quarantine(r, e, body);
        break;
    default: {
        const job *jb = &r->jobs[e->job];
        struct stat sb;
        r->st.skipped += e->skipped;
        if (stat(jb->path, &sb) == 0 && S_ISREG(sb.st_mode))
            r->done_bytes += (uint64_t)sb.st_size;
        r->jobs[e->job].done = 1;
        rc = e->rc;
        if (rc != EX_OK)
            ex_fail(&r->l->err, rc, "%s", body[0] ? body : ex_strerror(rc));
        else
            rc = flush(r); /* an input's records are committed when it ends */
    }
    }
    if (rc != EX_OK && r->take_rc == EX_OK)
        r->take_rc = rc;
    return rc;
}

/* ---- batches ---- */

static int
input_record(const input *in, const insnap *v, char **out, size_t *len)
{
    const char *nl = strchr(in->key, '\n');
    json_t *o = json_object();
    json_object_set_new(o, "source", json_stringn(in->key, (size_t)(nl - in->key)));
    set_str(o, "path", nl + 1);
    json_object_set_new(o, "size", json_integer((json_int_t)v->size));
    json_object_set_new(o, "mtime", json_integer((json_int_t)v->mtime));
    json_object_set_new(o, "through", json_integer((json_int_t)v->through));
    ex_err e = {0};
    *out = ex_json_canon_dup(o, len, &e);
    json_decref(o);
    return *out ? EX_OK : EX_ENOMEM;
}

/* write the inputs the batch advances (in->id is the writer's: only it reads and sets it) */
static int
save_inputs(run *r, batch *bt)
{
    ex_store *st = r->l->st;
    for (size_t i = 0; i < bt->nins; i++) {
        input *in = bt->ins[i].in;
        char *rec;
        size_t len;
        if (input_record(in, &bt->ins[i], &rec, &len) != EX_OK)
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

/* The stored forms (pack.h) of bt's records, from the first not yet packed on. Packing costs
 * about a microsecond per record, as much as the rest of a small item's commit. The
 * sequencer packs while it would otherwise wait for the writer (while_busy: it stops as soon
 * as the writer is free) and the writer packs the rest: a run bound by the writer (small
 * items) shares the packing out, one bound by its readers leaves it to the writer. */
static int
pack_batch(run *r, batch *bt, ex_packer *pk, int while_busy)
{
    size_t from = bt->npacked;
    for (size_t i = from; i < bt->np; i++) {
        if (while_busy && (i - from) % 32 == 0) {
            pthread_mutex_lock(&r->w.mu);
            int busy = r->w.busy;
            pthread_mutex_unlock(&r->w.mu);
            if (!busy)
                break;
        }
        pending *p = &bt->p[i];
        int rc = EX_OK;
        p->zitem = bt->packed.len;
        if (!r->no_items)
            rc = ex_pack(pk, EX_TAB_ITEMS, bt->arena.data + p->item, p->item_len, &bt->packed);
        p->zitem_len = bt->packed.len - p->zitem;
        p->zdec = bt->packed.len;
        if (rc == EX_OK)
            rc = ex_pack(pk, EX_TAB_DECISIONS, bt->arena.data + p->decision, p->decision_len,
                         &bt->packed);
        p->zdec_len = bt->packed.len - p->zdec;
        if (rc != EX_OK)
            return fail(r, rc, "cannot pack a record: %s", ex_strerror(rc));
        bt->npacked = i + 1;
    }
    return EX_OK;
}

typedef struct flushing {
    run *r;
    batch *bt;
} flushing;

static int
flush_in_tx(ex_ledger *l, void *ctx)
{
    run *r = ((flushing *)ctx)->r;
    batch *bt = ((flushing *)ctx)->bt;
    ex_store *st = l->st;
    int rc = EX_OK;
    uint64_t first_item = bt->first_item, first_dec = bt->first_dec;
    /* items and decisions get the ids predicted when their records were written; an id
     * taken meanwhile by another writer makes the insert fail, and the batch roll back */
    int64_t *keys = bt->keys;
    const void **data = bt->data;
    size_t *lens = bt->lens;
    for (size_t i = 0; i < bt->np; i++) {
        keys[i] = bt->p[i].key;
        data[i] = bt->packed.data + bt->p[i].zitem;
        lens[i] = bt->p[i].zitem_len;
    }
    if (!r->no_items)
        rc = st->ops->rec_insert_many(st, EX_TAB_ITEMS, first_item, bt->np, keys, data, lens);
    for (size_t i = 0; rc == EX_OK && i < bt->np; i++) {
        keys[i] = (int64_t)bt->p[i].item_id;
        data[i] = bt->packed.data + bt->p[i].zdec;
        lens[i] = bt->p[i].zdec_len;
    }
    if (rc == EX_OK)
        rc = st->ops->rec_insert_many(st, EX_TAB_DECISIONS, first_dec, bt->np, keys, data, lens);
    if (rc == EX_EDB)
        return fail(r, rc, "cannot store the batch (is another process ingesting into this "
                           "ledger?): %s", ex_store_errmsg(st));
    for (size_t off = 0; rc == EX_OK && off < bt->quarantine.len;) {
        size_t len = strlen(bt->quarantine.data + off);
        rc = st->ops->rec_append(st, EX_TAB_QUARANTINE, 0, bt->quarantine.data + off, len, NULL);
        off += len + 1;
    }
    if (rc != EX_OK) {
        if (!l->err.msg[0] || rc == EX_EDB)
            ex_ledger_fail_store(l, rc);
        goto out;
    }
    if (bt->np) {
        /* the batch: one log entry committing to the root of its decision records */
        uint8_t root[EX_HASH_BYTES];
        char b64[64], now[32];
        if ((rc = ex_merkle_root(l->h, (const uint8_t(*)[EX_HASH_BYTES])bt->leaves, bt->np,
                                 root)) != EX_OK)
            goto out;
        ex_b64_encode(root, EX_HASH_BYTES, b64);
        ex_time_now(now);
        json_t *b = json_object();
        json_object_set_new(b, "type", json_string("batch"));
        json_object_set_new(b, "source", json_string(r->source));
        json_object_set_new(b, "first", json_integer((json_int_t)first_dec));
        json_object_set_new(b, "count", json_integer((json_int_t)bt->np));
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
    rc = save_inputs(r, bt);
out:
    return rc;
}

/* Commit batch bt, then (the resume tests' fault injection) die as `kill -9` would between
 * batches if asked to. Runs on the writer thread, or inline when there is none. */
static int
commit(run *r, batch *bt, ex_packer *pk)
{
    flushing f = {r, bt};
    int rc = pack_batch(r, bt, pk, 0);
    if (rc == EX_OK)
        rc = ex_ledger_atomic(r->l, flush_in_tx, &f);
    if (rc == EX_OK && bt->np) {
        const char *kill_after = getenv("EXANTE_FAULT_KILL_AFTER_BATCHES");
        if (kill_after && ++r->w.committed >= strtoull(kill_after, NULL, 10))
            raise(SIGKILL);
    }
    return rc;
}

static void *
writer_main(void *arg)
{
    run *r = arg;
    writer *w = &r->w;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->busy)
            break;
        batch *bt = r->fly;
        pthread_mutex_unlock(&w->mu);
        int rc = w->pk || ex_packer_new(&w->pk) == EX_OK ? commit(r, bt, w->pk)
                                                         : fail(r, EX_ENOMEM, "out of memory");
        pthread_mutex_lock(&w->mu);
        w->rc = rc;
        w->busy = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void
clear_batch(batch *bt)
{
    bt->np = 0;
    bt->arena.len = 0;
    bt->packed.len = 0;
    bt->npacked = 0;
    bt->quarantine.len = 0;
    bt->nq = 0;
    bt->nins = 0;
}

static void
batch_free(batch *bt)
{
    free(bt->p);
    ex_buf_free(&bt->arena);
    ex_buf_free(&bt->packed);
    ex_buf_free(&bt->quarantine);
    free(bt->keys);
    free(bt->data);
    free(bt->lens);
    free(bt->leaves);
    free(bt->ins);
}

/* Wait for the batch in flight; its result, and its place in the totals. */
static int
land(run *r)
{
    if (!r->fly)
        return r->w.failed; /* a failed batch ends the run: nothing after it may land */
    int rc;
    if (r->w.started) {
        pthread_mutex_lock(&r->w.mu);
        while (r->w.busy)
            pthread_cond_wait(&r->w.cv, &r->w.mu);
        rc = r->w.rc;
        pthread_mutex_unlock(&r->w.mu);
    } else {
        rc = r->w.rc;
    }
    batch *bt = r->fly;
    r->fly = NULL;
    if (rc != EX_OK)
        r->w.failed = rc;
    if (rc == EX_OK && bt->np)
        r->st.batches++;
    clear_batch(bt);
    if (rc == EX_OK) {
        /* input bytes consumed: finished inputs, and how far the others are */
        r->st.input_bytes = r->done_bytes;
        for (size_t j = 0; j < r->njobs; j++)
            if (!r->jobs[j].done)
                r->st.input_bytes += r->jobs[j].pos;
        if (r->o->progress)
            r->o->progress(r->o->progress_ctx, &r->st, r->input_total);
    }
    return rc;
}

/* Hand the current batch over: to the writer thread (r->async) while the next one fills, or
 * committed here. The batch before it must have landed first: at most one is in flight, so
 * what a crash loses is at most two batches, and a re-run completes them. */
static int
flush(run *r)
{
    batch *bt = r->b;
    if (bt->np == 0 && bt->nq == 0 && !r->dirty)
        return EX_OK;
    int rc = r->fly && r->w.started ? pack_batch(r, bt, r->pk, 1) : EX_OK;
    if (rc == EX_OK)
        rc = land(r);
    if (rc != EX_OK)
        return rc;
    /* ids, and the progress of the inputs it advances, as of now */
    bt->first_item = r->next_item - bt->np;
    bt->first_dec = r->next_decision;
    r->next_decision += bt->np;
    bt->nins = 0;
    for (size_t i = 0; i < r->ndirty; i++) {
        input *in = r->dirtyv[i];
        if (bt->nins == bt->cins) {
            size_t cap = bt->cins ? bt->cins * 2 : 16;
            insnap *v = realloc(bt->ins, cap * sizeof *v);
            if (!v)
                return fail(r, EX_ENOMEM, "out of memory");
            bt->ins = v;
            bt->cins = cap;
        }
        bt->ins[bt->nins++] = (insnap){in, in->through, in->size, in->mtime};
        in->dirty = 0;
    }
    r->ndirty = 0;
    r->dirty = 0;
    r->fly = bt;
    r->b = bt == &r->bufs[0] ? &r->bufs[1] : &r->bufs[0];
    if (!r->async) {
        r->w.rc = commit(r, bt, r->pk);
        return land(r);
    }
    if (!r->w.started) {
        pthread_mutex_init(&r->w.mu, NULL);
        pthread_cond_init(&r->w.cv, NULL);
        if (pthread_create(&r->w.th, NULL, writer_main, r) != 0) {
            pthread_mutex_destroy(&r->w.mu);
            pthread_cond_destroy(&r->w.cv);
            r->async = 0; /* no thread: commit inline */
            r->w.rc = commit(r, bt, r->pk);
            return land(r);
        }
        r->w.started = 1;
    }
    pthread_mutex_lock(&r->w.mu);
    r->w.busy = 1;
    pthread_cond_broadcast(&r->w.cv);
    pthread_mutex_unlock(&r->w.mu);
    return EX_OK;
}

/* Tell the store that a run of batches begins or has ended (its writes all landed). */
static void
bulk(ex_ledger *l, int on)
{
    if (l->st->ops->bulk)
        l->st->ops->bulk(l->st, on);
}

/* What an ingest or reevaluate run holds, released once its writes have finished. */
static void
run_release(run *r)
{
    free(r->jobs);
    ex_peval_free(r->pe);
    ex_policy_free(r->pol);
    batch_free(&r->bufs[0]);
    batch_free(&r->bufs[1]);
    free(r->dirtyv);
    ex_sha256_free(r->h);
    ex_packer_free(r->pk);
    ex_packer_free(r->w.pk);
    if (r->rd)
        r->rd->ops->close(r->rd);
    ex_buf_free(&r->fixed);
    ex_dedup_close(r->map);
    ex_dedup_close(r->urls);
    imap_free(&r->inputs);
}

/* Land what is in flight and stop the writer; returns the last batch's result. */
static int
finish_writes(run *r)
{
    int rc = land(r);
    if (r->w.started) {
        pthread_mutex_lock(&r->w.mu);
        r->w.quit = 1;
        pthread_cond_broadcast(&r->w.cv);
        pthread_mutex_unlock(&r->w.mu);
        pthread_join(r->w.th, NULL);
        pthread_mutex_destroy(&r->w.mu);
        pthread_cond_destroy(&r->w.cv);
        r->w.started = 0;
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

/* ---- producer threads (--jobs N) ---- */

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t ready, room;
    ex_buf *q;          /* ring of full chunks */
    size_t qcap, qhead, qn;
    int running;        /* producers still running */
    atomic_int stop;    /* the run is ending: producers stop reading */
    atomic_size_t next; /* the next job to start */
    run *r;
} pool;

static int
stopping(const producer *p)
{
    return p->pool && atomic_load_explicit(&p->pool->stop, memory_order_relaxed);
}

/* Give the chunk in p->out to the sequencer, waiting while the queue is full. */
static int
hand_over(producer *p)
{
    pool *pl = p->pool;
    if (p->out.len == 0)
        return EX_OK;
    pthread_mutex_lock(&pl->mu);
    while (pl->qn == pl->qcap && !atomic_load(&pl->stop))
        pthread_cond_wait(&pl->room, &pl->mu);
    int rc = STOPPED;
    if (!atomic_load(&pl->stop)) {
        pl->q[(pl->qhead + pl->qn) % pl->qcap] = p->out;
        pl->qn++;
        memset(&p->out, 0, sizeof p->out);
        pthread_cond_signal(&pl->ready);
        rc = EX_OK;
    }
    pthread_mutex_unlock(&pl->mu);
    if (rc != EX_OK)
        p->out.len = 0;
    return rc;
}

static void *
producer_main(void *arg)
{
    producer *p = arg;
    pool *pl = p->pool;
    for (;;) {
        if (atomic_load(&pl->stop))
            break;
        size_t j = atomic_fetch_add(&pl->next, 1);
        if (j >= pl->r->njobs)
            break;
        if (produce(p, (uint32_t)j) != EX_OK)
            break;
    }
    pthread_mutex_lock(&pl->mu);
    pl->running--;
    pthread_cond_signal(&pl->ready);
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* The sequencer's side: take chunks until every producer is done. After a failure the run
 * stops: producers are told to stop and what they queued is dropped. */
static int
run_pool(run *r, producer *ps, size_t n)
{
    pool pl;
    memset(&pl, 0, sizeof pl);
    pl.r = r;
    pl.qcap = 2 * n + 2;
    if (!(pl.q = calloc(pl.qcap, sizeof *pl.q)))
        return fail(r, EX_ENOMEM, "out of memory");
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.ready, NULL);
    pthread_cond_init(&pl.room, NULL);
    pthread_t *th = calloc(n, sizeof *th);
    int rc = th ? EX_OK : fail(r, EX_ENOMEM, "out of memory");
    size_t started = 0;
    /* counted before any starts: a producer that finishes at once (inputs recorded before)
     * decrements it under the lock while later ones are still being started (found by TSan) */
    pl.running = rc == EX_OK ? (int)n : 0;
    for (; rc == EX_OK && started < n; started++) {
        ps[started].pool = &pl;
        if (pthread_create(&th[started], NULL, producer_main, &ps[started]) != 0) {
            pthread_mutex_lock(&pl.mu);
            pl.running -= (int)(n - started); /* those that never started */
            pthread_mutex_unlock(&pl.mu);
            rc = fail(r, EX_ENOMEM, "cannot start a reader thread");
            break;
        }
    }
    if (rc != EX_OK)
        atomic_store(&pl.stop, 1);
    for (;;) {
        pthread_mutex_lock(&pl.mu);
        while (pl.qn == 0 && pl.running > 0)
            pthread_cond_wait(&pl.ready, &pl.mu);
        if (pl.qn == 0) {
            pthread_mutex_unlock(&pl.mu);
            break;
        }
        ex_buf chunk = pl.q[pl.qhead];
        pl.qhead = (pl.qhead + 1) % pl.qcap;
        pl.qn--;
        pthread_cond_signal(&pl.room);
        pthread_mutex_unlock(&pl.mu);
        for (size_t off = 0; rc == EX_OK && off < chunk.len;) {
            off += (8 - off % 8) % 8;
            const ent *e = (const ent *)(chunk.data + off);
            const char *body = chunk.data + off + sizeof *e;
            rc = take(r, e, body);
            off += sizeof *e + e->body_len;
        }
        ex_buf_free(&chunk);
        if (rc != EX_OK && !atomic_load(&pl.stop)) {
            pthread_mutex_lock(&pl.mu);
            atomic_store(&pl.stop, 1);
            pthread_cond_broadcast(&pl.room);
            pthread_mutex_unlock(&pl.mu);
        }
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i < pl.qn; i++)
        ex_buf_free(&pl.q[(pl.qhead + i) % pl.qcap]);
    free(th);
    free(pl.q);
    pthread_cond_destroy(&pl.ready);
    pthread_cond_destroy(&pl.room);
    pthread_mutex_destroy(&pl.mu);
    return rc;
}

/* The jobs: one per distinct input, with its format and (for streams) its input record. */
static int
make_jobs(run *r, const char *const *paths, size_t n)
{
    if (!(r->jobs = calloc(n ? n : 1, sizeof *r->jobs)))
        return fail(r, EX_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        job *jb = &r->jobs[r->njobs];
        int format = r->o->format, rc;
        if (format == EX_FORMAT_AUTO && (rc = detect(paths[i], &format, &r->l->err)) != EX_OK)
            return rc;
        jb->path = paths[i];
        jb->format = format;
        if (format != EX_FORMAT_FILES) {
            if ((rc = get_input(r, paths[i], &jb->in)) != EX_OK)
                return rc;
            int seen = 0; /* the same file named twice is read once */
            for (size_t k = 0; k < r->njobs; k++)
                seen |= r->jobs[k].in == jb->in;
            if (seen)
                continue;
            jb->skip_through = jb->in->through;
        }
        r->njobs++;
    }
    return EX_OK;
}

/* keys the duplicate index keeps in memory; EXANTE_DEDUP_MEM_ITEMS overrides it (tests make
 * it small so that runs on disk are exercised) */
static size_t
dedup_mem_items(void)
{
    const char *v = getenv("EXANTE_DEDUP_MEM_ITEMS");
    unsigned long long n = v ? strtoull(v, NULL, 10) : 0;
    return n >= 16 && n <= (1ULL << 30) ? (size_t)n : (size_t)(512u << 10);
}

/* An index kept between ingests in the ledger's directory `name` (dedup/: content digests,
 * urls/: WARC records by URL), with what the last completed ingest saved there if it still
 * fits this ledger: *from is the first item id it does not cover. */
static int
index_start(run *r, const char *name, size_t mem_items, ex_dedup **out, uint64_t *from)
{
    ex_ledger *l = r->l;
    char *dir = NULL;
    *from = 1;
    if (l->dir) {
        size_t n = strlen(l->dir) + strlen(name) + 2;
        if (!(dir = malloc(n)))
            return fail(r, EX_ENOMEM, "out of memory");
        snprintf(dir, n, "%s/%s", l->dir, name);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            int e = errno;
            free(dir);
            return ex_fail(&l->err, EX_EIO, "cannot make '%s/%s': %s", l->dir, name,
                           strerror(e));
        }
    }
    int rc = ex_dedup_open(dir, mem_items, out, &l->err);
    free(dir);
    uint64_t covered, key;
    if (rc != EX_OK || ex_dedup_load(*out, &covered, &key) != EX_OK)
        return rc; /* none saved, or not usable: every item is read */
    /* the item it ends with must be here, with the same key: the ledger it indexed */
    int64_t k = 0;
    uint8_t *data = NULL;
    size_t len;
    if (covered == 0 ||
        (l->st->ops->rec_get_dup(l->st, EX_TAB_ITEMS, covered, &k, &data, &len) == EX_OK &&
         (uint64_t)k == key))
        *from = covered + 1;
    else
        ex_dedup_reset(*out);
    free(data);
    return EX_OK;
}

/* After a completed ingest: keep the indexes for the next one (best effort: without them the
 * next ingest reads every item again). */
static void
index_save(run *r)
{
    uint64_t covered = r->next_item - 1;
    int64_t k = 0;
    uint8_t *data = NULL;
    size_t len;
    if (covered && r->l->st->ops->rec_get_dup(r->l->st, EX_TAB_ITEMS, covered, &k, &data,
                                              &len) != EX_OK)
        return;
    free(data);
    ex_err e = {0};
    if (r->map)
        (void)ex_dedup_save(r->map, covered, (uint64_t)k, &e);
    if (r->urls)
        (void)ex_dedup_save(r->urls, covered, (uint64_t)k, &e);
}

int
ex_ledger_ingest(ex_ledger *l, const char *const *paths, size_t n, const ex_ingest_opts *o,
                 ex_ingest_stats *out)
{
    ex_err_clear(&l->err);
    if (out)
        memset(out, 0, sizeof *out); /* also when it fails before reading anything */
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    if (!o || !o->source)
        return ex_fail(&l->err, EX_EINVAL, "no source given (--source NAME; see 'exante "
                                           "source add')");
    if (o->jobs > EX_INGEST_JOBS_MAX)
        return ex_fail(&l->err, EX_EINVAL, "at most %d jobs", EX_INGEST_JOBS_MAX);
    run r;
    memset(&r, 0, sizeof r);
    r.l = l;
    r.o = o;
    r.batch_max = o->batch ? o->batch : DEFAULT_BATCH;
    r.b = &r.bufs[0];
    r.async = 1;
    size_t nprod = o->jobs > 1 ? (size_t)o->jobs : 1;
    producer *ps = NULL;
    int rc = ex_ledger_source_find(l, o->source, NULL, NULL);
    if (rc != EX_OK)
        return rc;
    snprintf(r.source, sizeof r.source, "%s", o->source);
    int lockfd;
    if ((rc = ex_ledger_lock(l, &lockfd)) != EX_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            rc = ex_fail(&l->err, EX_EIO, "cannot open '%s': %s", paths[i], strerror(errno));
            ex_ledger_unlock(lockfd);
            return rc;
        }
        r.input_total += (uint64_t)sb.st_size;
    }
    bulk(l, 1);
    if (ex_sha256_new(&r.h) != EX_OK || ex_packer_new(&r.pk) != EX_OK) {
        rc = ex_fail(&l->err, EX_ENOMEM, "cannot make a hasher");
        goto out;
    }
    if (ex_ledger_reader(l, &r.rd) != EX_OK)
        r.rd = NULL; /* duplicate checks then wait for the batch in flight */
    if ((r.fixed_rc = run_fixed(&r)) == EX_ENOMEM) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ex_ledger_peval_load(l, &r.pol, r.pdig, &r.pe)) != EX_OK)
        goto out;
    /* the duplicate index of every item recorded so far: what the last ingest saved, then the
     * items after it */
    uint64_t from, from_u;
    if ((rc = index_start(&r, "dedup", dedup_mem_items(), &r.map, &from)) != EX_OK ||
        (rc = index_start(&r, "urls", dedup_mem_items() / 4, &r.urls, &from_u)) != EX_OK)
        goto out;
    load_ctx lc = {&r, from, from_u, (from < from_u ? from : from_u) - 1};
    uint64_t maxd = 0;
    if ((rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, lc.max + 1, UINT64_MAX, load_key,
                                   &lc)) != EX_OK ||
        (rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK) {
        if (rc == EX_EIO)
            ; /* the duplicate index said why */
        else if (rc != EX_ENOMEM)
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
    if ((rc = make_jobs(&r, paths, n)) != EX_OK)
        goto out;
    if (nprod > r.njobs)
        nprod = r.njobs ? r.njobs : 1;
    if (!(ps = calloc(nprod, sizeof *ps))) {
        rc = fail(&r, EX_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nprod; i++) {
        ps[i].r = &r;
        if ((rc = ex_sha256_new(&ps[i].h)) != EX_OK) {
            fail(&r, rc, "cannot make a hasher");
            goto out;
        }
    }
    if (nprod == 1) {
        for (uint32_t j = 0; rc == EX_OK && j < r.njobs; j++)
            rc = produce(&ps[0], j);
    } else {
        rc = run_pool(&r, ps, nprod);
    }
    if (rc != EX_OK && r.strict_hit) {
        int frc = flush(&r); /* what was read before a --strict stop is kept */
        (void)frc;
    }
out:
    {
        int wrc = finish_writes(&r); /* the batch in flight lands, or says why not */
        if (rc == EX_OK)
            rc = wrc;
    }
    if (rc == EX_OK)
        index_save(&r);
    for (size_t i = 0; ps && i < nprod; i++) {
        ex_sha256_free(ps[i].h);
        ex_buf_free(&ps[i].out);
    }
    bulk(l, 0);
    free(ps);
    run_release(&r);
    ex_ledger_unlock(lockfd);
    if (out)
        *out = r.st;
    return rc;
}

/* ---- reevaluate ---- */

#define REEVAL_CHUNK 4096 /* items read per scan; their new decisions are written after it */

typedef struct reeval {
    run *r;
    uint64_t *latest; /* per item id: its latest decision id, 0 none */
    uint64_t nlatest;
    int rc;
} reeval;

static int
note_latest(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)data;
    (void)len;
    reeval *v = ctx;
    if (key > 0 && (uint64_t)key < v->nlatest && id > v->latest[key])
        v->latest[key] = id;
    return EX_OK;
}

static const char *
jstr(json_t *o, const char *k, size_t *len)
{
    json_t *v = json_object_get(o, k);
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

/* decide item `id` again; a changed decision is added to the batch */
static int
reeval_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    reeval *v = ctx;
    run *r = v->r;
    if (id >= v->nlatest || !v->latest[id])
        return EX_OK;
    uint8_t *old;
    size_t olen;
    int rc = r->l->st->ops->rec_get_dup(r->l->st, EX_TAB_DECISIONS, v->latest[id], NULL, &old,
                                        &olen);
    if (rc != EX_OK)
        return rc;
    json_t *od = json_loadb((const char *)old, olen, 0, NULL);
    free(old);
    json_t *it = json_loadb(data, len, 0, NULL);
    if (!od || !it) {
        json_decref(od);
        json_decref(it);
        return fail(r, EX_EFORMAT, "item %llu or its decision is not JSON",
                    (unsigned long long)id);
    }
    r->st.items++;
    const char *verdict = jstr(od, "verdict", NULL);
    if (verdict && strcmp(verdict, "duplicate") == 0) {
        json_decref(od);
        json_decref(it);
        return EX_OK; /* copies stay copies: the first occurrence's decision covers them */
    }
    const char *src = jstr(it, "source", NULL), *dig = jstr(it, "digest", NULL);
    size_t hl = 0, ml = 0;
    const char *hd = jstr(it, "http_headers", &hl), *hh = jstr(it, "html_head", &ml);
    snprintf(r->source, sizeof r->source, "%s", src ? src : "");
    ex_pitem pi = {r->source, dig, NULL, jstr(it, "url", NULL), jstr(it, "license", NULL),
                   jstr(it, "fetched", NULL), hd, hl, hh, ml};
    ex_pdecision pdd;
    if (!src || !dig) {
        rc = fail(r, EX_EFORMAT, "item %llu has no source or digest", (unsigned long long)id);
    } else if ((rc = ex_peval_decide(r->pe, &pi, &pdd)) != EX_OK) {
        rc = fail(r, rc, "item %llu: the policy cannot decide: %s", (unsigned long long)id,
                  rc == EX_ENOTFOUND ? "its source is unknown" : ex_strerror(rc));
    }
    const char *nv = rc == EX_OK && pdd.verdict == EX_VERDICT_ADMIT ? "admit" : "reject";
    const char *opol = jstr(od, "policy", NULL), *orule = jstr(od, "rule", NULL);
    if (rc == EX_OK && opol && strcmp(opol, r->pdig) == 0 && verdict &&
        strcmp(verdict, nv) == 0 && orule && strcmp(orule, pdd.rule) == 0) {
        json_decref(od);
        json_decref(it);
        return EX_OK; /* same policy, same outcome: nothing new to record */
    }
    char prov[EX_DIGEST_STR_BYTES];
    uint8_t pd[EX_HASH_BYTES];
    if (rc == EX_OK && (rc = ex_sha256_digest(r->h, data, len, pd)) != EX_OK)
        fail(r, rc, "hashing failed");
    if (rc == EX_OK && r->b->np == r->b->pcap && grow_pending(r) != EX_OK)
        rc = fail(r, EX_ENOMEM, "out of memory");
    if (rc == EX_OK) {
        ex_digest_format(pd, prov);
        dec d = {id, 0, v->latest[id], dig, prov, r->pdig, nv, pdd.rule, pdd.reason,
                 (const char(*)[EX_DIGEST_STR_BYTES])pdd.evidence, pdd.nevidence, 0};
        pending *p = &r->b->p[r->b->np];
        memset(p, 0, sizeof *p);
        p->item_id = id;
        p->key = key;
        p->decision = r->b->arena.len;
        if ((rc = decision_record(r, &d, &r->b->arena)) != EX_OK)
            fail(r, rc, "cannot record decision: %s", ex_strerror(rc));
        p->decision_len = r->b->arena.len - p->decision;
        if (rc == EX_OK && (rc = ex_merkle_leaf(r->h, r->b->arena.data + p->decision,
                                                p->decision_len, r->b->leaves[r->b->np])) != EX_OK)
            fail(r, rc, "hashing failed");
        if (rc == EX_OK) {
            r->b->np++;
            if (nv[0] == 'a')
                r->st.admitted++;
            else
                r->st.rejected++;
            count_rule(r, pdd.rule);
        }
    }
    json_decref(od);
    json_decref(it);
    return rc;
}

int
ex_ledger_reevaluate(ex_ledger *l, ex_ingest_stats *out)
{
    ex_err_clear(&l->err);
    if (out)
        memset(out, 0, sizeof *out);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    static const ex_ingest_opts none;
    run r;
    memset(&r, 0, sizeof r);
    r.l = l;
    r.o = &none;
    r.batch_max = DEFAULT_BATCH;
    r.no_items = 1;
    r.b = &r.bufs[0];
    r.async = 0; /* its scans read the store between batches */
    reeval v = {&r, NULL, 0, EX_OK};
    uint64_t maxi = 0, maxd = 0;
    int lockfd;
    int rc = ex_ledger_lock(l, &lockfd);
    if (rc != EX_OK)
        return rc;
    bulk(l, 1);
    rc = ex_sha256_new(&r.h);
    if (rc == EX_OK)
        rc = ex_packer_new(&r.pk);
    if (rc != EX_OK) {
        ex_fail(&l->err, rc, "cannot make a hasher");
        goto out;
    }
    if ((rc = ex_ledger_peval_load(l, &r.pol, r.pdig, &r.pe)) != EX_OK)
        goto out;
    if (!r.pe) {
        rc = ex_fail(&l->err, EX_ENOTFOUND,
                     "no policy adopted yet: nothing to decide with (see 'exante policy adopt')");
        goto out;
    }
    if ((rc = l->st->ops->rec_max(l->st, EX_TAB_ITEMS, &maxi)) != EX_OK ||
        (rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK) {
        ex_ledger_fail_store(l, rc);
        goto out;
    }
    r.next_decision = maxd + 1;
    v.nlatest = maxi + 1;
    if (!(v.latest = calloc(v.nlatest, sizeof *v.latest))) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto out;
    }
    /* the latest decision of each item: from the decisions' key index, not their records */
    if ((rc = l->st->ops->rec_keys(l->st, EX_TAB_DECISIONS, note_latest, &v)) !=
        EX_OK) {
        ex_ledger_fail_store(l, rc);
        goto out;
    }
    /* items in chunks: each chunk's scan ends before its decisions are written */
    for (uint64_t from = 1; rc == EX_OK && from <= maxi; from += REEVAL_CHUNK) {
        rc = l->st->ops->rec_scan(l->st, EX_TAB_ITEMS, from, from + REEVAL_CHUNK, reeval_item,
                                  &v);
        if (rc != EX_OK && !l->err.msg[0])
            ex_ledger_fail_store(l, rc);
        if (rc == EX_OK && r.b->np >= r.batch_max)
            rc = flush(&r);
    }
    if (rc == EX_OK)
        rc = flush(&r);
out:
    {
        int wrc = finish_writes(&r);
        if (rc == EX_OK)
            rc = wrc;
    }
    bulk(l, 0);
    free(v.latest);
    run_release(&r);
    ex_ledger_unlock(lockfd);
    if (out)
        *out = r.st;
    return rc;
}
