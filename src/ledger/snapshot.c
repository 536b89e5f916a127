/* snapshot.c - stored snapshots (exante.h, snapshot.h): creation, listing, members, diffs,
 * proofs and audits. A snapshot's record is a log entry (../shared/PROOFS.md) kept in the
 * snapshots table under its log index; its leaves, the sorted member digests, are kept in
 * chunks of the snapleaves table under the same index. */
#include "snapshot.h"

#include "log/log.h"
#include "merkle/merkle.h"

#include <stdlib.h>
#include <string.h>


/* ---- stored snapshots ---- */

enum { S_NAME, S_SIZE, S_LOG_SIZE, S_ROOT, S_FROM, S_COUNT };

typedef struct finding {
    ex_ledger *l;
    const char *name; /* NULL: every snapshot, to fn */
    ex_fields f;
    snap *out;
    int found;
    int (*fn)(void *ctx, const snap *s);
    void *ctx;
} finding;

static int
read_snap(finding *c, uint64_t id, int64_t key, const void *data, size_t len, snap *s)
{
    ex_fields *f = &c->f;
    size_t rl;
    if (ex_fields_read(f, data, len) != EX_OK || !f->str[S_NAME] || f->num[S_SIZE] < 0 ||
        f->num[S_LOG_SIZE] < 0 || !f->str[S_ROOT] ||
        ex_b64_decode(f->str[S_ROOT], strlen(f->str[S_ROOT]), s->root, EX_HASH_BYTES, &rl) !=
            EX_OK ||
        rl != EX_HASH_BYTES || strlen(f->str[S_NAME]) > SNAP_NAME_MAX ||
        (f->str[S_FROM] && strlen(f->str[S_FROM]) > SNAP_NAME_MAX))
        return ex_fail(&c->l->err, EX_EFORMAT, "snapshots row %llu is not a snapshot record",
                       (unsigned long long)id);
    s->log_index = (uint64_t)key;
    s->size = (uint64_t)f->num[S_SIZE];
    s->log_size = (uint64_t)f->num[S_LOG_SIZE];
    snprintf(s->name, sizeof s->name, "%s", f->str[S_NAME]);
    snprintf(s->from, sizeof s->from, "%s", f->str[S_FROM] ? f->str[S_FROM] : "");
    s->entry = NULL;
    s->entry_len = len;
    return EX_OK;
}

static int
visit_snap(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    finding *c = ctx;
    snap s;
    int rc = read_snap(c, id, key, data, len, &s);
    if (rc != EX_OK)
        return rc;
    if (!c->name) {
        s.entry = (char *)data;
        return c->fn(c->ctx, &s);
    }
    if (strcmp(s.name, c->name) != 0)
        return EX_OK;
    if (!(s.entry = malloc(len + 1)))
        return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
    memcpy(s.entry, data, len);
    s.entry[len] = '\0';
    *c->out = s;
    c->found = 1;
    return EX_EEXIST; /* found: stop */
}

static int
scan_snaps(ex_ledger *l, finding *c)
{
    static const char *const paths[S_COUNT] = {"name", "size", "log_size", "root", "from"};
    ex_store *st = l->st;
    if (st->schema < 5)
        return EX_OK; /* a ledger read as it is, from before snapshots: it has none */
    int rc = ex_fields_init(&c->f, paths, S_COUNT);
    if (rc == EX_OK)
        rc = st->ops->rec_scan(st, EX_TAB_SNAPSHOTS, 1, UINT64_MAX, visit_snap, c);
    if (rc == EX_EEXIST)
        rc = EX_OK;
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    ex_fields_free(&c->f);
    return rc;
}

/* The snapshot named name into *s (free s->entry); EX_ENOTFOUND with a message if none. */
static int
snap_find(ex_ledger *l, const char *name, snap *s)
{
    finding c = {.l = l, .name = name, .out = s};
    int rc = scan_snaps(l, &c);
    if (rc == EX_OK && !c.found)
        rc = ex_fail(&l->err, EX_ENOTFOUND, "no snapshot named '%s' (see 'exante snapshot list')",
                     name);
    return rc;
}

typedef struct leaves_ctx {
    ex_ledger *l;
    snap_set *set;
} leaves_ctx;

static int
add_chunk(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    leaves_ctx *c = ctx;
    const uint8_t *p = data;
    if (len < 1 || p[0] != 'L' || (len - 1) % EX_HASH_BYTES != 0)
        return ex_fail(&c->l->err, EX_EFORMAT, "snapleaves row %llu is not a chunk of leaves",
                       (unsigned long long)id);
    uint64_t k = (len - 1) / EX_HASH_BYTES;
    snap_set *s = c->set;
    if (s->n + k > s->cap) {
        uint64_t cap = s->cap ? s->cap : 4096;
        while (cap < s->n + k)
            cap *= 2;
        uint8_t(*v)[EX_HASH_BYTES] = realloc(s->d, cap * sizeof *v);
        if (!v)
            return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
        s->d = v;
        s->cap = cap;
    }
    memcpy(s->d[s->n], p + 1, len - 1);
    s->n += k;
    return EX_OK;
}

/* The stored leaves of s, in their stored order (an audit checks it). */
static int
snap_leaves(ex_ledger *l, const snap *s, snap_set *out)
{
    memset(out, 0, sizeof *out);
    leaves_ctx c = {l, out};
    ex_err_clear(&l->err);
    int rc = l->st->ops->rec_scan_key(l->st, EX_TAB_SNAPLEAVES, (int64_t)s->log_index, add_chunk,
                                      &c);
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    if (rc == EX_OK && out->n != s->size)
        rc = ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': %llu leaves stored, its record says %llu",
                     s->name, (unsigned long long)out->n, (unsigned long long)s->size);
    if (rc != EX_OK)
        snap_set_free(out);
    return rc;
}

/* ---- creation ---- */

static int
valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SNAP_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':' || c == '+'))
            return 0;
    }
    return 1;
}

typedef struct creating {
    /* what the record says */
    const char *name;
    const snap *parent;
    uint64_t log_size, dropped;
    const snap_set *set;
    const uint8_t *root;
    const snap_counts *counts;
    const snap_policies *pol;
    near_build *nb;
    /* the record written, and its index */
    ex_buf *b;
    uint64_t index;
} creating;

static int write_record(const char *name, const snap *parent, uint64_t log_size,
                        const snap_set *set, const uint8_t root[EX_HASH_BYTES],
                        const snap_counts *counts, const snap_policies *pol,
                        uint64_t parent_dropped, const ex_near_tree_rec *near, ex_sha256 *h,
                        ex_buf *b);

static int
create_in_tx(ex_ledger *l, void *ctx)
{
    creating *c = ctx;
    ex_store *st = l->st;
    /* the near tree first: its rows are keyed by the index the record is about to get, and
     * its root goes into the record */
    uint64_t at = ex_log_size(l->log);
    ex_near_tree_rec t;
    int rc = near_build_finish(l, c->nb, 1, near_key(at), &t);
    if (rc != EX_OK)
        return rc;
    if ((rc = write_record(c->name, c->parent, c->log_size, c->set, c->root, c->counts, c->pol,
                           c->dropped, &t, l->h, c->b)) != EX_OK)
        return ex_fail(&l->err, rc, "cannot write the snapshot record: %s", ex_strerror(rc));
    const void *ep = c->b->data;
    size_t elen = c->b->len;
    if ((rc = ex_log_append(l->log, &ep, &elen, 1, &c->index)) != EX_OK)
        return ex_ledger_fail_log(l, rc);
    if (c->index != at)
        return ex_fail(&l->err, EX_EDB, "the snapshot record went to log index %llu, not %llu",
                       (unsigned long long)c->index, (unsigned long long)at);
    if ((rc = st->ops->rec_append(st, EX_TAB_SNAPSHOTS, (int64_t)c->index, c->b->data, c->b->len,
                                  NULL)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    /* the leaves, in chunks that never start as a packed record would */
    uint8_t *chunk = malloc(1 + (size_t)SNAP_CHUNK_LEAVES * EX_HASH_BYTES);
    if (!chunk)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    chunk[0] = 'L';
    for (uint64_t i = 0; rc == EX_OK && i < c->set->n; i += SNAP_CHUNK_LEAVES) {
        uint64_t k = c->set->n - i < SNAP_CHUNK_LEAVES ? c->set->n - i : SNAP_CHUNK_LEAVES;
        memcpy(chunk + 1, c->set->d[i], k * EX_HASH_BYTES);
        if ((rc = st->ops->rec_append(st, EX_TAB_SNAPLEAVES, (int64_t)c->index, chunk,
                                      1 + k * EX_HASH_BYTES, NULL)) != EX_OK)
            ex_ledger_fail_store(l, rc);
    }
    free(chunk);
    return rc;
}

/* The snapshot record (PROOFS.md: type, name, size, root, log_size; and what it was made of),
 * with the near tree's (docs/FORMATS.md "Near-dup-free proofs"). */
static int
write_record(const char *name, const snap *parent, uint64_t log_size, const snap_set *set,
             const uint8_t root[EX_HASH_BYTES], const snap_counts *counts,
             const snap_policies *pol, uint64_t parent_dropped, const ex_near_tree_rec *near,
             ex_sha256 *h, ex_buf *b)
{
    char now[32], b64[64], pdig[EX_DIGEST_STR_BYTES];
    ex_time_now(now);
    size_t rl = ex_b64_encode(root, EX_HASH_BYTES, b64);
    if (parent) {
        uint8_t d[EX_HASH_BYTES];
        int rc = ex_sha256_digest(h, parent->entry, parent->entry_len, d);
        if (rc != EX_OK)
            return rc;
        ex_digest_format(d, pdig);
    }
    ex_cj w;
    ex_cj_init(&w, b);
    ex_cj_obj(&w);
    ex_cj_kint(&w, "admitted", (int64_t)counts->admitted);
    ex_cj_kopt(&w, "created", now);
    if (parent)
        ex_cj_kopt(&w, "from", parent->name);
    ex_cj_kint(&w, "log_size", (int64_t)log_size);
    ex_cj_kopt(&w, "name", name);
    if (near) {
        char nroot[64], seed[17];
        size_t nrl = ex_b64_encode(near->root, EX_HASH_BYTES, nroot);
        ex_near_hex16(near->mh.seed, seed);
        ex_cj_key(&w, "near");
        ex_cj_obj(&w);
        ex_cj_kint(&w, "bands", near->mh.bands);
        ex_cj_kint(&w, "bits", near->mh.bits);
        ex_cj_kint(&w, "fingerprinted", (int64_t)near->fingerprinted);
        ex_cj_kint(&w, "k", near->mh.k);
        ex_cj_kstr(&w, "root", nroot, nrl);
        ex_cj_kstr(&w, "seed", seed, 16);
        ex_cj_kint(&w, "shingle", near->mh.shingle);
        ex_cj_kint(&w, "size", (int64_t)near->size);
        ex_cj_kint(&w, "unfingerprinted", (int64_t)near->unfingerprinted);
        ex_cj_end(&w);
    }
    ex_cj_kint(&w, "optout_excluded", (int64_t)counts->optout_excluded);
    if (parent) {
        ex_cj_kopt(&w, "parent", pdig);
        ex_cj_kint(&w, "parent_dropped", (int64_t)parent_dropped);
    }
    ex_cj_key(&w, "policies");
    ex_cj_arr(&w);
    for (size_t i = 0; i < pol->n; i++)
        ex_cj_str(&w, pol->v[i], strlen(pol->v[i]));
    ex_cj_end(&w);
    ex_cj_kstr(&w, "root", b64, rl);
    ex_cj_kint(&w, "size", (int64_t)set->n);
    ex_cj_kstr(&w, "type", "snapshot", 8);
    ex_cj_end(&w);
    return ex_cj_done(&w);
}

int
ex_ledger_snapshot_create(ex_ledger *l, const char *name, const char *from, char **record,
                          size_t *len, uint64_t *index)
{
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    if (!name || !valid_name(name))
        return ex_fail(&l->err, EX_EINVAL,
                       "a snapshot name is 1 to %d letters, digits and . _ - : +", SNAP_NAME_MAX);
    int lockfd;
    int rc = ex_ledger_lock(l, &lockfd); /* no ingest changes the decisions meanwhile */
    if (rc != EX_OK)
        return rc;
    snap old = {0}, parent = {0};
    snap_set set = {0}, pset = {0};
    snap_items mi = {0};
    near_build *nb = NULL;
    snap_counts counts;
    snap_policies pol;
    uint64_t dropped = 0;
    ex_buf b = {0};
    uint8_t root[EX_HASH_BYTES];
    ex_sha256 *h2 = NULL; /* the tree's left half is hashed on a second thread */
    if ((rc = snap_find(l, name, &old)) == EX_OK) {
        rc = ex_fail(&l->err, EX_EEXIST, "a snapshot named '%s' exists (log index %llu)", name,
                     (unsigned long long)old.log_index);
        goto out;
    }
    if (rc != EX_ENOTFOUND)
        goto out;
    ex_err_clear(&l->err);
    if (from && ((rc = snap_find(l, from, &parent)) != EX_OK ||
                 (rc = snap_leaves(l, &parent, &pset)) != EX_OK))
        goto out;
    uint64_t log_size = ex_log_size(l->log), nearrows = 0;
    /* members with their items when there are fingerprints to read */
    if (l->st->schema >= 7 && (rc = l->st->ops->rec_max(l->st, EX_TAB_NEAR, &nearrows)) != EX_OK) {
        ex_ledger_fail_store(l, rc);
        goto out;
    }
    if ((rc = snap_members(l, log_size, &set, &counts, &pol, nearrows ? &mi : NULL)) != EX_OK)
        goto out;
    if (from) {
        nearrows ? snap_intersect_items(&set, &mi, &pset) : snap_intersect(&set, &pset);
        dropped = pset.n - set.n; /* the parent's members that no longer qualify */
    }
    if ((rc = near_build_collect(l, &set, nearrows ? &mi : NULL, &nb)) != EX_OK)
        goto out;
    snap_items_free(&mi);
    if ((rc = ex_sha256_new(&h2)) != EX_OK) {
        ex_fail(&l->err, rc, "cannot make a hasher: %s", ex_strerror(rc));
        goto out;
    }
    if ((rc = ex_merkle_sorted_root2(l->h, h2, (const uint8_t(*)[EX_HASH_BYTES])set.d, set.n,
                                     root)) != EX_OK) {
        ex_fail(&l->err, rc, "cannot hash the snapshot: %s", ex_strerror(rc));
        goto out;
    }
    creating c = {.name = name,
                  .parent = from ? &parent : NULL,
                  .log_size = log_size,
                  .dropped = dropped,
                  .set = &set,
                  .root = root,
                  .counts = &counts,
                  .pol = &pol,
                  .nb = nb,
                  .b = &b};
    if ((rc = ex_ledger_atomic(l, create_in_tx, &c)) != EX_OK)
        goto out;
    if (index)
        *index = c.index;
    if (record) {
        *record = ex_buf_take(&b, len);
    }
out:
    ex_buf_free(&b);
    free(old.entry);
    free(parent.entry);
    snap_set_free(&set);
    snap_set_free(&pset);
    snap_items_free(&mi);
    near_build_free(nb);
    ex_sha256_free(h2);
    ex_ledger_unlock(lockfd);
    return rc;
}

/* ---- reading ---- */

typedef struct listing {
    ex_buf *out;
} listing;

/* the record with its log index, as one canonical JSON line */
static int
with_index(ex_ledger *l, const snap *s, json_t *extra, ex_buf *out)
{
    json_t *o = json_loadb(s->entry, s->entry_len, 0, NULL);
    if (!o) {
        json_decref(extra);
        return ex_fail(&l->err, EX_EDB,
                       "snapshot '%s': its record cannot be read as JSON (out of memory, or a "
                       "damaged ledger)",
                       s->name);
    }
    json_object_set_new(o, "log_index", json_integer((json_int_t)s->log_index));
    if (extra)
        json_object_update(o, extra);
    json_decref(extra);
    int rc = ex_json_canon(o, out, &l->err);
    json_decref(o);
    return rc;
}

typedef struct list_ctx {
    ex_ledger *l;
    ex_buf b;
} list_ctx;

static int
list_one(void *ctx, const snap *s)
{
    list_ctx *c = ctx;
    int rc = with_index(c->l, s, NULL, &c->b);
    return rc == EX_OK ? ex_buf_putc(&c->b, '\n') : rc;
}

int
ex_ledger_snapshots_dup(ex_ledger *l, char **jsonl, size_t *len)
{
    ex_err_clear(&l->err);
    list_ctx c = {l, {0}};
    finding f = {.l = l, .fn = list_one, .ctx = &c};
    int rc = scan_snaps(l, &f);
    if (rc == EX_OK && ex_buf_reserve(&c.b, 1) != EX_OK)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc != EX_OK) {
        ex_buf_free(&c.b);
        return rc;
    }
    *jsonl = ex_buf_take(&c.b, len);
    return EX_OK;
}

int
snap_open(ex_ledger *l, const char *name, snap *s, snap_set *leaves)
{
    int rc = snap_find(l, name, s);
    if (rc == EX_OK && leaves && (rc = snap_leaves(l, s, leaves)) != EX_OK) {
        free(s->entry);
        s->entry = NULL;
    }
    return rc;
}

int
ex_ledger_snapshot_show_dup(ex_ledger *l, const char *name, char **json, size_t *len)
{
    ex_err_clear(&l->err);
    snap s = {0}, p = {0};
    snap_set a = {0}, b = {0};
    ex_buf out = {0};
    json_t *extra = NULL;
    int rc = snap_open(l, name, &s, &b);
    if (rc == EX_OK && s.from[0]) {
        /* what changed against the parent */
        uint64_t added, removed;
        if ((rc = snap_open(l, s.from, &p, &a)) == EX_OK &&
            (rc = snap_walk(&a, &b, NULL, NULL, &added, &removed)) == EX_OK) {
            extra = json_object();
            json_object_set_new(extra, "added", json_integer((json_int_t)added));
            json_object_set_new(extra, "removed", json_integer((json_int_t)removed));
        }
    }
    if (rc == EX_OK)
        rc = with_index(l, &s, extra, &out);
    if (rc == EX_OK)
        *json = ex_buf_take(&out, len);
    ex_buf_free(&out);
    free(s.entry);
    free(p.entry);
    snap_set_free(&a);
    snap_set_free(&b);
    return rc;
}

int
ex_ledger_snapshot_members(ex_ledger *l, const char *name,
                           int (*fn)(void *ctx, const uint8_t d[EX_HASH_BYTES]), void *ctx)
{
    ex_err_clear(&l->err);
    snap s = {0};
    snap_set set = {0};
    int rc = snap_open(l, name, &s, &set);
    for (uint64_t i = 0; rc == EX_OK && i < set.n; i++)
        rc = fn(ctx, set.d[i]);
    free(s.entry);
    snap_set_free(&set);
    return rc;
}

int
ex_ledger_snapshot_diff(ex_ledger *l, const char *a, const char *b,
                        int (*fn)(void *ctx, int added, const uint8_t d[EX_HASH_BYTES]),
                        void *ctx, uint64_t *added, uint64_t *removed)
{
    ex_err_clear(&l->err);
    snap sa = {0}, sb = {0};
    snap_set la = {0}, lb = {0};
    int rc = snap_open(l, a, &sa, &la);
    if (rc == EX_OK)
        rc = snap_open(l, b, &sb, &lb);
    uint64_t ad = 0, rm = 0;
    if (rc == EX_OK)
        rc = snap_walk(&la, &lb, fn, ctx, &ad, &rm);
    if (added)
        *added = ad;
    if (removed)
        *removed = rm;
    free(sa.entry);
    free(sb.entry);
    snap_set_free(&la);
    snap_set_free(&lb);
    return rc;
}

/* ---- audit ---- */

/* the near tree recomputed from the ledger (want, with its items mi) against the record's */
static int
audit_near(ex_ledger *l, const char *name, const snap_set *want, const snap_items *mi,
           const ex_near_tree_rec *rec)
{
    near_build *nb = NULL;
    ex_near_tree_rec t;
    int rc = near_build_collect(l, want, mi, &nb);
    if (rc == EX_OK)
        rc = near_build_finish(l, nb, 0, 0, &t);
    near_build_free(nb);
    if (rc != EX_OK)
        return rc;
    char a[64], b[64];
    ex_b64_encode(t.root, EX_HASH_BYTES, a);
    ex_b64_encode(rec->root, EX_HASH_BYTES, b);
    if (t.mh.k != rec->mh.k || t.mh.bands != rec->mh.bands || t.mh.bits != rec->mh.bits ||
        t.mh.shingle != rec->mh.shingle || t.mh.seed != rec->mh.seed ||
        t.size != rec->size || t.fingerprinted != rec->fingerprinted ||
        t.unfingerprinted != rec->unfingerprinted ||
        memcmp(t.root, rec->root, EX_HASH_BYTES) != 0)
        return ex_fail(&l->err, EX_EVERIFY,
                       "snapshot '%s': the ledger gives a near tree of %llu leaves (k %u, %u "
                       "bands, %llu members with a fingerprint, %llu without, root %s), its "
                       "record says %llu (k %u, %u bands, %llu, %llu, root %s)",
                       name, (unsigned long long)t.size, t.mh.k, t.mh.bands,
                       (unsigned long long)t.fingerprinted, (unsigned long long)t.unfingerprinted,
                       a, (unsigned long long)rec->size, rec->mh.k, rec->mh.bands,
                       (unsigned long long)rec->fingerprinted,
                       (unsigned long long)rec->unfingerprinted, b);
    return near_stored_check(l, name);
}

int
ex_ledger_snapshot_audit(ex_ledger *l, const char *name, uint64_t *members)
{
    ex_err_clear(&l->err);
    snap s = {0}, p = {0};
    snap_set stored = {0}, want = {0}, pset = {0};
    snap_items mi = {0};
    snap_counts counts;
    snap_policies pol;
    ex_near_tree_rec nt;
    ex_err ne = {0};
    uint64_t bad, nearrows = 0;
    uint8_t root[EX_HASH_BYTES];
    int rc = snap_open(l, name, &s, &stored);
    if (rc != EX_OK)
        goto out;
    /* the leaves strictly ascending, and their root the record's */
    if (ex_merkle_sorted_check((const uint8_t(*)[EX_HASH_BYTES])stored.d, stored.n, &bad) !=
        EX_OK) {
        rc = ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': leaf %llu is not above leaf %llu",
                     name, (unsigned long long)bad, (unsigned long long)bad - 1);
        goto out;
    }
    if ((rc = ex_merkle_sorted_root(l->h, (const uint8_t(*)[EX_HASH_BYTES])stored.d, stored.n,
                                    root)) != EX_OK)
        goto out;
    if (memcmp(root, s.root, EX_HASH_BYTES) != 0) {
        rc = ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': its leaves do not hash to its root",
                     name);
        goto out;
    }
    /* a near tree, if the record has one (snapshots made before near trees have none) */
    int near = ex_near_tree_rec_read(s.entry, s.entry_len, &nt, &ne);
    if (near != EX_OK && near != EX_ENOTFOUND) {
        rc = ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': %s", name, ne.msg);
        goto out;
    }
    if (near == EX_OK && l->st->schema >= 7 &&
        (rc = l->st->ops->rec_max(l->st, EX_TAB_NEAR, &nearrows)) != EX_OK) {
        ex_ledger_fail_store(l, rc);
        goto out;
    }
    /* the members recomputed from the ledger as of its log size */
    if ((rc = snap_members(l, s.log_size, &want, &counts, &pol, nearrows ? &mi : NULL)) !=
        EX_OK)
        goto out;
    if (s.from[0]) {
        if ((rc = snap_open(l, s.from, &p, &pset)) != EX_OK)
            goto out;
        nearrows ? snap_intersect_items(&want, &mi, &pset) : snap_intersect(&want, &pset);
    }
    for (uint64_t i = 0; i < want.n || i < stored.n; i++) {
        char x[EX_DIGEST_STR_BYTES], y[EX_DIGEST_STR_BYTES];
        if (i < want.n && i < stored.n && memcmp(want.d[i], stored.d[i], EX_HASH_BYTES) == 0)
            continue;
        if (i < stored.n)
            ex_digest_format(stored.d[i], x);
        if (i < want.n)
            ex_digest_format(want.d[i], y);
        rc = ex_fail(&l->err, EX_EVERIFY,
                     "snapshot '%s': leaf %llu is %s, but the ledger as of log size %llu gives "
                     "%s",
                     name, (unsigned long long)i, i < stored.n ? x : "(none)",
                     (unsigned long long)s.log_size, i < want.n ? y : "(none)");
        goto out;
    }
    if (near == EX_OK &&
        (rc = audit_near(l, name, &want, nearrows ? &mi : NULL, &nt)) != EX_OK)
        goto out;
    if (members)
        *members = stored.n;
out:
    free(s.entry);
    free(p.entry);
    snap_set_free(&stored);
    snap_set_free(&want);
    snap_set_free(&pset);
    snap_items_free(&mi);
    return rc;
}

/* ---- proofs ---- */

int
ex_ledger_snapshot_prove_dup(ex_ledger *l, const char *name, const uint8_t digest[EX_HASH_BYTES],
                             char **json, size_t *len, int *member)
{
    ex_snapshot *s = NULL;
    int rc = ex_ledger_snapshot_open(l, name, &s);
    if (rc == EX_OK && (rc = ex_snapshot_prove_dup(s, digest, json, len, member)) != EX_OK)
        ex_fail(&l->err, rc, "cannot prove in snapshot '%s': %s", name, ex_strerror(rc));
    ex_snapshot_close(s);
    return rc;
}
