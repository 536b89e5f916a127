/* eufacts.c - what the ledger knows for the EU public summary of a model's training content
 * (exante.h, ex_ledger_eu_facts_dup; docs/EU-SUMMARY.md says how each field is derived).
 *
 * The model's training content is the members of the snapshots its attestation names (not its
 * parents': those are listed as dependencies, with summaries of their own). Each member is a
 * content digest; it is counted once, over all the snapshots, and attributed to one item: the
 * lowest-id item among those that made it a member (its latest decision as of the snapshot's
 * log size is admit and no opt-out logged below that size reaches it, members.c's own rule).
 * Read in these steps:
 *
 *   snapshots  per snapshot, snap_members at its log size, kept where its stored leaves hold
 *              the digest (a --from snapshot holds fewer): one item per member;
 *   words      in id order, the chosen ones' near rows: the words of their text (a version 1
 *              row, none, or one without text has no count: text members without one are
 *              counted apart, with their bytes);
 *   items      in id order, the chosen ones: source, size, fetched, content type and host;
 *   decisions  newest first, below the last snapshot's cutoff: each item's current decision;
 *              a rejection by a reservation rule (optout, tdm-reserved, robots-disallowed,
 *              noai, noimageai; the rule's condition found in the policy it names, or the
 *              decision's `reservation`) of an item of one of the model's sources is counted;
 *   and the small tables (sources, policies) read whole.
 *
 * Memory: 40 bytes a member while the members are gathered, a bit per item, and tallies capped
 * in distinct keys (hosts at EUF_HOSTS_MAX; a capped table is named in "capped"). */
#include "eufacts.h"

#include <stdlib.h>
#include <string.h>

#include "dedup/near.h"
#include "ingest/reader.h"
#include "policy/policy.h"

const char *const euf_modality[4] = {"audio", "image", "text", "video"};
const char *const euf_reserv[5] = {"noai", "noimageai", "optout", "robots-disallowed",
                                   "tdm-reserved"};

int
euf_oom(euf *e) {
    return ex_fail(&e->l->err, EX_ENOMEM, "out of memory");
}

/* ---- members ---- */

static int
pick_cmp(const void *a, const void *b) {
    const pick *x = a, *y = b;
    int c = memcmp(x->d, y->d, EX_HASH_BYTES);
    return c ? c : (x->item > y->item) - (x->item < y->item);
}

/* the members of snapshot s (leaves: its stored ones, ascending) with their lowest item */
static int
snapshot_members(euf *e, const snap *s, const snap_set *leaves) {
    snap_set set = {0};
    snap_counts counts;
    snap_policies pol;
    snap_items mi;
    int rc = snap_members(e->l, s->log_size, &set, &counts, &pol, &mi);
    if (rc != EX_OK)
        return rc;
    uint64_t m = 0, j = 0;
    for (uint64_t i = 0; i < mi.n && rc == EX_OK; m++) {
        uint64_t end = snap_items_end(&mi, i), low = mi.item[i];
        for (uint64_t k = i + 1; k < end; k++)
            if (mi.item[k] < low)
                low = mi.item[k];
        i = end;
        while (j < leaves->n && memcmp(leaves->d[j], set.d[m], EX_HASH_BYTES) < 0)
            j++;
        if (j == leaves->n || memcmp(leaves->d[j], set.d[m], EX_HASH_BYTES) != 0)
            continue; /* not kept by a --from snapshot */
        if (e->np == e->capp) {
            size_t cap = e->capp ? 2 * e->capp : 1024;
            pick *v = realloc(e->p, cap * sizeof *v);
            if (!v) {
                rc = euf_oom(e);
                break;
            }
            e->p = v, e->capp = cap;
        }
        memcpy(e->p[e->np].d, set.d[m], EX_HASH_BYTES);
        e->p[e->np++].item = low;
    }
    snap_set_free(&set);
    snap_items_free(&mi);
    return rc;
}

/* ---- items ---- */

static int
take_source(void *ctx, uint64_t id, int64_t key, const void *data, size_t len) {
    (void)id;
    euf *e = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!json_is_string(json_object_get(o, "name"))) {
        json_decref(o);
        return ex_fail(&e->l->err, EX_EFORMAT, "the source at log index %lld is malformed",
                       (long long)key);
    }
    if (e->ns == EUF_SOURCES_MAX) {
        json_decref(o);
        return ex_fail(&e->l->err, EX_ETOOBIG, "more than %d sources", EUF_SOURCES_MAX);
    }
    src *v = realloc(e->s, (e->ns + 1) * sizeof *v);
    if (!v) {
        json_decref(o);
        return euf_oom(e);
    }
    e->s = v;
    memset(&v[e->ns], 0, sizeof *v);
    v[e->ns].rec = o;
    v[e->ns].first = INT64_MAX;
    v[e->ns].last = INT64_MIN;
    e->ns++;
    return EX_OK;
}

src *
euf_source(euf *e, const char *name) {
    for (size_t i = 0; name && i < e->ns; i++) /* sources are few; the last of a name wins */
        if (strcmp(json_string_value(json_object_get(e->s[e->ns - 1 - i].rec, "name")), name) == 0)
            return &e->s[e->ns - 1 - i];
    return NULL;
}

static int
modality_of(const char *ct) {
    if (!ct)
        return M_TEXT;
    if (strncmp(ct, "image/", 6) == 0)
        return M_IMAGE;
    if (strncmp(ct, "audio/", 6) == 0)
        return M_AUDIO;
    if (strncmp(ct, "video/", 6) == 0)
        return M_VIDEO;
    return M_TEXT;
}

static int
add(euf *e, tally *t, const char *k, size_t len, uint64_t size) {
    uint64_t *v;
    if (tally_at(t, k, len, &v) != EX_OK)
        return euf_oom(e);
    v[0]++;
    v[1] += size;
    return EX_OK;
}

static int
take_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len) {
    (void)key;
    euf *e = ctx;
    if (id >= e->nitems || !(e->want[id >> 6] & (1ull << (id & 63))))
        return EX_OK;
    if (ex_fields_read(&e->f, data, len) != EX_OK || e->f.num[0] < 0 || !e->f.str[2])
        return ex_fail(&e->l->err, EX_EFORMAT, "item %llu is not an item record",
                       (unsigned long long)id);
    uint64_t size = (uint64_t)e->f.num[0];
    const char *ct = e->f.str[1], *fetched = e->f.str[3], *url = e->f.str[4];
    src *s = euf_source(e, e->f.str[2]);
    if (!s)
        return ex_fail(&e->l->err, EX_EFORMAT, "item %llu names no known source",
                       (unsigned long long)id);
    int m = modality_of(ct), rc;
    s->used = 1;
    s->items[m]++;
    s->bytes[m] += size;
    e->counted++;
    int64_t t;
    if (fetched && ex_time_parse(fetched, &t) == EX_OK) {
        if (t < s->first)
            s->first = t;
        if (t > s->last)
            s->last = t;
    } else {
        s->unfetched++;
    }
    /* "text/html; charset=utf-8" is text/html */
    char type[128];
    size_t tl = ct ? strcspn(ct, ";") : 0;
    while (tl && (ct[tl - 1] == ' ' || ct[tl - 1] == '\t'))
        tl--;
    if (tl >= sizeof type - 16)
        tl = sizeof type - 16;
    int n = snprintf(type, sizeof type, "%s", euf_modality[m]);
    type[n++] = 0;
    memcpy(type + n, tl ? ct : "unspecified", tl ? tl : 11);
    n += tl ? (int)tl : 11;
    for (int i = (int)strlen(euf_modality[m]) + 1; i < n; i++)
        if (type[i] >= 'A' && type[i] <= 'Z')
            type[i] += 'a' - 'A';
    if ((rc = add(e, &e->types, type, (size_t)n, size)) != EX_OK)
        return rc;
    if (m == M_TEXT) { /* words were counted in the first EX_ITEM_INLINE_MAX bytes */
        if (!(e->worded[id >> 6] & (1ull << (id & 63))))
            e->w_none++, e->w_none_bytes += size;
        else if (size > EX_ITEM_INLINE_MAX)
            e->w_cut++, e->w_cut_bytes += size - EX_ITEM_INLINE_MAX;
    }
    const char *kind = json_string_value(json_object_get(s->rec, "kind"));
    if (kind && strcmp(kind, "crawl") == 0) {
        char host[256];
        size_t hl = ex_url_host(url, host);
        if (!hl)
            e->nohost++;
        else if ((rc = add(e, &e->hosts, host, hl, size)) != EX_OK)
            return rc;
    }
    return EX_OK;
}

static int
take_words(void *ctx, uint64_t id, int64_t key, const void *data, size_t len) {
    (void)key;
    euf *e = ctx;
    uint64_t w;
    if (id >= e->nitems || !(e->want[id >> 6] & (1ull << (id & 63))))
        return EX_OK;
    int rc = ex_near_record_words(data, len, &w);
    if (rc == EX_EFORMAT)
        return ex_fail(&e->l->err, EX_EFORMAT, "item %llu: its near row is malformed",
                       (unsigned long long)id);
    if (rc != EX_OK || w == 0)
        return EX_OK; /* recorded before words were counted, or no words found */
    e->words += w;
    e->worded[id >> 6] |= 1ull << (id & 63);
    return EX_OK;
}

/* ---- the steps ---- */

int
euf_scan(euf *e, int table, uint64_t to, const char *const *paths, unsigned n, ex_record_visit fn) {
    ex_store *st = e->l->st;
    ex_fields_free(&e->f);
    int rc = paths ? ex_fields_init(&e->f, paths, n) : EX_OK;
    if (rc != EX_OK)
        return ex_fail(&e->l->err, rc, "cannot compile the record fields");
    if (table == EX_TAB_DECISIONS)
        rc = st->ops->rec_scan_stored(st, table, 1, to, NULL, fn, e);
    else
        rc = st->ops->rec_scan(st, table, 1, to, fn, e);
    if (rc != EX_OK && !e->l->err.msg[0])
        ex_ledger_fail_store(e->l, rc);
    return rc;
}

static int
gather(euf *e, const att *a) {
    static const char *const ipaths[] = {"size", "content_type", "source", "fetched", "url"};
    ex_ledger *l = e->l;
    int rc = EX_OK;
    for (size_t i = 0; i < a->nsnapshots && rc == EX_OK; i++) {
        snap s = {0};
        snap_set leaves = {0};
        if ((rc = snap_open(l, a->snapshots[i].name, &s, &leaves)) == EX_OK &&
            s.log_index != a->snapshots[i].log_index)
            rc = ex_fail(&l->err, EX_EFORMAT, "snapshot '%s' is at log index %llu, not %llu",
                         s.name, (unsigned long long)s.log_index,
                         (unsigned long long)a->snapshots[i].log_index);
        json_t *rec = rc == EX_OK ? json_loadb(s.entry, s.entry_len, 0, NULL) : NULL;
        if (rc == EX_OK && !rec)
            rc = ex_fail(&l->err, EX_EFORMAT, "snapshot '%s': its record is malformed", s.name);
        if (rc == EX_OK) {
            if (s.log_size > e->below)
                e->below = s.log_size;
            json_object_set_new(rec, "log_index", json_integer((json_int_t)s.log_index));
            rc = json_array_append_new(e->snaps, rec) == 0 ? EX_OK : euf_oom(e);
        }
        if (rc == EX_OK)
            rc = snapshot_members(e, &s, &leaves);
        free(s.entry);
        snap_set_free(&leaves);
    }
    if (rc != EX_OK)
        return rc;
    /* one item per content over all the snapshots: the lowest */
    if (e->np > 1)
        qsort(e->p, e->np, sizeof *e->p, pick_cmp);
    size_t k = 0;
    for (size_t i = 0; i < e->np; i++)
        if (k == 0 || memcmp(e->p[k - 1].d, e->p[i].d, EX_HASH_BYTES) != 0)
            e->p[k++] = e->p[i];
    e->np = k;
    for (size_t i = 0; i < e->np; i++)
        if (e->p[i].item > e->maxitem)
            e->maxitem = e->p[i].item;
    e->nitems = e->maxitem + 1;
    if (!(e->want = calloc(e->nitems / 64 + 1, sizeof *e->want)) ||
        !(e->worded = calloc(e->nitems / 64 + 1, sizeof *e->worded)))
        return euf_oom(e);
    for (size_t i = 0; i < e->np; i++)
        e->want[e->p[i].item >> 6] |= 1ull << (e->p[i].item & 63);
    free(e->p);
    e->p = NULL;
    if ((rc = euf_scan(e, EX_TAB_SOURCES, UINT64_MAX, NULL, 0, take_source)) != EX_OK ||
        (e->maxitem && e->l->st->schema >= 7 &&
         (rc = euf_scan(e, EX_TAB_NEAR, e->maxitem + 1, NULL, 0, take_words)) != EX_OK) ||
        (e->maxitem &&
         (rc = euf_scan(e, EX_TAB_ITEMS, e->maxitem + 1, ipaths, 5, take_item)) != EX_OK))
        return rc;
    return euf_reservations(e);
}

int
ex_ledger_eu_facts_dup(ex_ledger *l, const char *model, char **json, size_t *len) {
    if (!l || !model || !json)
        return EX_EINVAL;
    ex_err_clear(&l->err);
    att *v = NULL;
    size_t n = 0, at = 0;
    ex_buf b = {0};
    euf *e = calloc(1, sizeof *e);
    if (!e)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    e->l = l;
    tally_init(&e->types, EUF_TYPES_MAX);
    tally_init(&e->hosts, EUF_HOSTS_MAX);
    tally_init(&e->rules, 1000000);
    int rc = (e->snaps = json_array()) && (e->agents = json_array()) ? EX_OK : euf_oom(e);
    if (rc == EX_OK && (rc = att_load(l, &v, &n)) == EX_OK &&
        (rc = att_find(l, v, n, model, &at)) == EX_OK && (rc = gather(e, &v[at])) == EX_OK &&
        (rc = euf_write(e, v, n, at, &b)) == EX_OK)
        *json = ex_buf_take(&b, len);
    ex_buf_free(&b);
    att_free(v, n);
    ex_fields_free(&e->f);
    if (e->dec)
        l->st->ops->dec_free(e->dec);
    for (size_t i = 0; i < e->ns; i++)
        json_decref(e->s[i].rec);
    free(e->s);
    free(e->p);
    free(e->want);
    free(e->worded);
    free(e->seen);
    json_decref(e->snaps);
    json_decref(e->agents);
    tally_free(&e->types);
    tally_free(&e->hosts);
    tally_free(&e->rules);
    free(e);
    return rc;
}
