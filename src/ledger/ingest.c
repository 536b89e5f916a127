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
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "core/cjson.h"
#include "ingest/instream.h"
#include "ingest/reader.h"

#define DEFAULT_BATCH 10000
#define HEADERS_KEPT 8192 /* raw HTTP header bytes kept per item for later signal checks */

/* ---- digest map: 8-byte digest prefix -> item id, open addressing, duplicates allowed ----
 * Key and id share a slot, so a probe touches one cache line. */

typedef struct dslot {
    uint64_t key; /* prefix, 0 = empty (a zero prefix is stored as 1: still exact, see lookup) */
    uint64_t id;
} dslot;

typedef struct dmap {
    dslot *v;
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

/* Zeroed slots. Large tables come straight from mmap with a transparent-huge-page hint: the
 * table is probed at random, and 2 MiB pages take far fewer page faults and TLB misses. */
static dslot *
slots_alloc(size_t cap)
{
#ifdef MADV_HUGEPAGE
    void *p = mmap(NULL, cap * sizeof(dslot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, cap * sizeof(dslot), MADV_HUGEPAGE); /* only a hint */
    return p;
#else
    return calloc(cap, sizeof(dslot));
#endif
}

static void
slots_free(dslot *v, size_t cap)
{
#ifdef MADV_HUGEPAGE
    if (v)
        munmap(v, cap * sizeof(dslot));
#else
    (void)cap;
    free(v);
#endif
}

static int
dmap_grow(dmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1 << 16;
    dslot *v = slots_alloc(cap);
    if (!v)
        return EX_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].key)
            continue;
        size_t j = m->v[i].key & (cap - 1);
        while (v[j].key)
            j = (j + 1) & (cap - 1);
        v[j] = m->v[i];
    }
    slots_free(m->v, m->cap);
    m->v = v;
    m->cap = cap;
    return EX_OK;
}

static int
dmap_put(dmap *m, uint64_t key, uint64_t id)
{
    if ((m->n + 1) * 2 > m->cap && dmap_grow(m) != EX_OK)
        return EX_ENOMEM;
    size_t j = key & (m->cap - 1);
    while (m->v[j].key)
        j = (j + 1) & (m->cap - 1);
    m->v[j].key = key;
    m->v[j].id = id;
    m->n++;
    return EX_OK;
}

static void
dmap_free(dmap *m)
{
    slots_free(m->v, m->cap);
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

/* the kinds of decision record, each with its fixed tail (run_fixed) */
enum { D_ADMIT, D_COPY, D_REVISIT, D_COUNT };

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
    /* per pending record, same capacity: its decision's leaf hash, and the rows to insert */
    uint8_t (*leaves)[EX_HASH_BYTES];
    int64_t *keys;
    const void **data;
    size_t *lens;
    ex_buf arena;           /* the batch's records, back to back */
    ex_buf quarantine;      /* JSONL of this batch's quarantine reports */
    size_t nq;
    imap inputs;
    int files;              /* the current input is a file tree: one input per file */
    input *cur;             /* the current stream input */
    uint64_t skip_through;  /* its records at offsets below this were recorded earlier */
    int strict_hit;
    int err_rc;
    /* record parts fixed for the run (run_fixed) */
    ex_buf fixed;
    size_t item_tail_len, dec_tail[D_COUNT], dec_tail_len[D_COUNT];
    int fixed_rc;
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

/* id of the first item with digest dig (whose prefix is key), 0 if none */
static uint64_t
lookup(run *r, uint64_t key, const char *dig)
{
    if (!r->map.cap)
        return 0;
    for (size_t j = key & (r->map.cap - 1); r->map.v[j].key; j = (j + 1) & (r->map.cap - 1))
        if (r->map.v[j].key == key && same_digest(r, r->map.v[j].id, dig))
            return r->map.v[j].id;
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

/* The parts of records that are the same for the whole run: the source name as a JSON string
 * inside `,"source":<name>,"type":"item"`, and the three decision tails. */
static const char admit_reason[] = "no policy engine yet: admitted";
static const char copy_reason[] = "exact copy of an earlier item";
static const char revisit_reason[] = "WARC revisit: a copy of the record it refers to";

static int
run_fixed(run *r)
{
    static const char *const reason[D_COUNT] = {admit_reason, copy_reason, revisit_reason};
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
    /* decisions: everything after the provenance member */
    for (int d = 0; rc == EX_OK && d < D_COUNT; d++) {
        r->dec_tail[d] = b->len;
        rc = member_str(b, KEY("reason"), reason[d], strlen(reason[d]));
        if (rc == EX_OK)
            rc = d == D_ADMIT ? member_str(b, KEY("rule"), "admit-all", 9)
                              : member_str(b, KEY("rule"), "duplicate", 9);
        if (rc == EX_OK)
            rc = member_str(b, KEY("source"), r->source, strlen(r->source));
        if (rc == EX_OK)
            rc = member_str(b, KEY("type"), "decision", 8);
        if (rc == EX_OK)
            rc = d == D_ADMIT ? member_str(b, KEY("verdict"), "admit", 5)
                              : member_str(b, KEY("verdict"), "duplicate", 9);
        if (rc == EX_OK)
            rc = put(b, "}", 1);
        r->dec_tail_len[d] = b->len - r->dec_tail[d];
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

/* The item record. */
static int
item_record(run *r, const ex_item *it, const char *dig, ex_buf *b)
{
    if (r->fixed_rc != EX_OK)
        return r->fixed_rc; /* the source name is not UTF-8: no record can hold it */
    size_t hl = it->http_headers ? it->http_headers_len : 0;
    if (hl > HEADERS_KEPT) {
        hl = HEADERS_KEPT; /* cut at a character boundary */
        while (hl > 0 && ((unsigned char)it->http_headers[hl] & 0xc0) == 0x80)
            hl--;
    }
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
    static __thread char head[HTML_HEAD_MAX];
    size_t headl = rc == EX_OK ? html_head(it, head) : 0;
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
    if (rc == EX_OK) rc = member_opt(b, KEY("refers_to_uri"), it->refers_to_uri);
    if (rc == EX_OK) rc = member_int(b, KEY("size"), (int64_t)it->size);
    if (rc == EX_OK) rc = put(b, r->fixed.data, r->item_tail_len); /* source, type */
    if (rc == EX_OK) rc = member_opt(b, KEY("url"), it->url);
    if (rc == EX_OK) rc = member_opt(b, KEY("warc_type"), it->warc_type);
    if (rc == EX_OK) rc = put(b, "}", 1);
    return rc;
}

static int
decision_record(run *r, uint64_t id, const char *dig, const char *prov, uint64_t copy_of,
                int revisit, ex_buf *b)
{
    /* the policy engine decides here once it exists; until then nothing is refused */
    if (r->fixed_rc != EX_OK)
        return r->fixed_rc;
    int d = copy_of ? D_COPY : revisit ? D_REVISIT : D_ADMIT;
    int rc = put(b, "{", 1);
    if (rc == EX_OK && copy_of) {
        rc = member_int(b, KEY1("copy_of"), (int64_t)copy_of);
        if (rc == EX_OK)
            rc = member_digest(b, KEY("digest"), dig);
    } else if (rc == EX_OK) {
        rc = member_digest(b, KEY1("digest"), dig);
    }
    if (rc == EX_OK) rc = member_int(b, KEY("item"), (int64_t)id);
    if (rc == EX_OK) rc = put(b, KEY("policy"));
    if (rc == EX_OK) rc = put(b, "null", 4);
    if (rc == EX_OK) rc = member_digest(b, KEY("provenance"), prov);
    if (rc == EX_OK) rc = put(b, r->fixed.data + r->dec_tail[d], r->dec_tail_len[d]);
    return rc;
}

static int
flush(run *r);
static int
file_input(run *r, const char *path, input **out);

/* room for twice as many pending records */
static int
grow_pending(run *r)
{
    size_t cap = r->pcap ? r->pcap * 2 : 1024;
    pending *p = realloc(r->p, cap * sizeof *p);
    if (p)
        r->p = p;
    uint8_t(*leaves)[EX_HASH_BYTES] = realloc(r->leaves, cap * sizeof *leaves);
    if (leaves)
        r->leaves = leaves;
    int64_t *keys = realloc(r->keys, cap * sizeof *keys);
    if (keys)
        r->keys = keys;
    const void **data = realloc(r->data, cap * sizeof *data);
    if (data)
        r->data = data;
    size_t *lens = realloc(r->lens, cap * sizeof *lens);
    if (lens)
        r->lens = lens;
    if (!p || !leaves || !keys || !data || !lens)
        return EX_ENOMEM;
    r->pcap = cap;
    return EX_OK;
}

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
    uint64_t key = prefix_of(it->digest), copy_of = 0, id = r->next_item;
#if defined(__GNUC__) || defined(__clang__)
    /* the map is far larger than the caches: start loading the slot now, and look it up
     * once the item record is written (which does not depend on the answer) */
    if (r->map.cap)
        __builtin_prefetch(&r->map.v[key & (r->map.cap - 1)]);
#endif
    if (r->np == r->pcap && grow_pending(r) != EX_OK)
        return fail(r, EX_ENOMEM, "out of memory");
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
    if (!revisit)
        copy_of = lookup(r, key, dig);
    pd->decision = r->arena.len;
    if ((rc = decision_record(r, id, dig, prov, copy_of, revisit, &r->arena)) != EX_OK)
        return fail(r, rc, "cannot record decision: %s", ex_strerror(rc));
    pd->decision_len = r->arena.len - pd->decision;
    /* its leaf in the batch tree, while the record is in cache */
    if ((rc = ex_merkle_leaf(r->l->h, r->arena.data + pd->decision, pd->decision_len,
                             r->leaves[r->np])) != EX_OK)
        return fail(r, rc, "hashing failed");
    pd->key = (int64_t)key;
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
    /* items and decisions get the ids predicted when their records were written; an id
     * taken meanwhile by another writer makes the insert fail, and the batch roll back */
    int64_t *keys = r->keys;
    const void **data = r->data;
    size_t *lens = r->lens;
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
    }
    if (rc == EX_OK)
        rc = st->ops->rec_insert_many(st, EX_TAB_DECISIONS, first_dec, r->np, keys, data, lens);
    if (rc == EX_EDB)
        return fail(r, rc, "cannot store the batch (is another process ingesting into this "
                           "ledger?): %s", ex_store_errmsg(st));
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
        if ((rc = ex_merkle_root(l->h, (const uint8_t(*)[EX_HASH_BYTES])r->leaves, r->np,
                                 root)) != EX_OK)
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
    if ((r.fixed_rc = run_fixed(&r)) == EX_ENOMEM) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto out;
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
    ex_buf_free(&r.fixed);
    free(r.keys);
    free(r.data);
    free(r.lens);
    free(r.leaves);
    dmap_free(&r.map);
    imap_free(&r.inputs);
    if (out)
        *out = r.st;
    return rc;
}
