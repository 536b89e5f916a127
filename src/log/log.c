/* log.c - the append-only Merkle log.
 *
 * Storage: entries exactly as hashed, and the tree in "strata" of 8 levels. Stratum s, tile t
 * holds, for the 256 level-8s hashes t*256 .. t*256+255, those hashes and every hash above
 * them inside the tile (levels 8s+1 .. 8s+7): 510 hashes for a full tile. Its level-8s row is
 * exactly the C2SP tlog-tiles tile at level s, so export is a copy, and any stored subtree
 * hash is one tile read away: a proof costs O(log n / 8) reads, and the upper strata and the
 * rightmost (partial) tile of each stratum are held in memory.
 *
 * Blob layout of a tile of width W (W level-8s hashes): level j (0..7) holds W >> j hashes,
 * sections concatenated in level order. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sign/sign.h"

#define STRATA 8                 /* 8 strata x 8 levels cover 2^64 leaves */
#define TILE_HASHES 510          /* hashes in a full tile, all 8 levels */
#define TILE_BYTES (TILE_HASHES * EX_HASH_BYTES)
#define CACHE_SLOTS 512

typedef struct tile {
    uint64_t index;  /* tile index within its stratum */
    unsigned width;  /* level-0 hashes present (0..256) */
    uint8_t h[TILE_HASHES][EX_HASH_BYTES];
} tile;

/* offset of level j within a full-layout tile */
static inline unsigned
level_off(unsigned j)
{
    return 512 - (512u >> j);
}

/* bytes of a packed tile of width w */
static size_t
packed_size(unsigned w)
{
    size_t n = 0;
    for (unsigned j = 0; j < EX_TILE_HEIGHT; j++)
        n += w >> j;
    return n * EX_HASH_BYTES;
}

typedef struct slot {
    int used;
    unsigned stratum;
    uint64_t index;
    uint8_t *h; /* full layout, TILE_BYTES */
} slot;

struct ex_log {
    ex_store *st;
    ex_sha256 *h;
    const ex_key *key;
    char origin[EX_NAME_MAX + 1];
    uint64_t size;
    tile *open[STRATA]; /* rightmost tile of each stratum (width may be 0) */
    slot *cache;        /* full tiles read from storage */
    /* called with each tile that push() completes: stores it, or (when verifying) compares */
    int (*flush)(ex_log *g, unsigned s, const tile *t);
    void *flush_ctx;
    int stale; /* memory could not be reloaded after a failed append: reads refuse */
    ex_err err;
};

static int
fail(ex_log *g, int code, const char *fmt, ...) EX_PRINTF(3, 4);

static int
fail(ex_log *g, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ex_vfail(&g->err, code, fmt, ap);
    va_end(ap);
    return code;
}

static int
store_fail(ex_log *g, int rc)
{
    return fail(g, rc, "%s", ex_store_errmsg(g->st));
}

static void
pack(const tile *t, uint8_t *out)
{
    for (unsigned j = 0; j < EX_TILE_HEIGHT; j++) {
        size_t n = (size_t)(t->width >> j) * EX_HASH_BYTES;
        memcpy(out, t->h[level_off(j)], n);
        out += n;
    }
}

/* unpack a blob of `len` bytes into t; EX_EFORMAT if the length fits no width */
static int
unpack(const uint8_t *in, size_t len, tile *t)
{
    unsigned w = 0;
    for (unsigned c = 1; c <= EX_TILE_WIDTH; c++)
        if (packed_size(c) == len) {
            w = c;
            break;
        }
    if (!w)
        return EX_EFORMAT;
    t->width = w;
    for (unsigned j = 0; j < EX_TILE_HEIGHT; j++) {
        size_t n = (size_t)(w >> j) * EX_HASH_BYTES;
        memcpy(t->h[level_off(j)], in, n);
        in += n;
    }
    return EX_OK;
}

static int
tile_write(ex_log *g, unsigned s, const tile *t)
{
    static __thread uint8_t buf[TILE_BYTES];
    pack(t, buf);
    int rc = g->st->ops->tile_put(g->st, s, t->index, buf, packed_size(t->width));
    return rc == EX_OK ? EX_OK : store_fail(g, rc);
}

/* Add one level-8s hash to stratum s; completes hashes upwards, writes finished tiles and
 * carries their roots to stratum s+1. */
static int
push(ex_log *g, unsigned s, const uint8_t hash[EX_HASH_BYTES])
{
    if (s >= STRATA)
        return fail(g, EX_ERANGE, "log is full");
    tile *t = g->open[s];
    unsigned p = t->width++;
    memcpy(t->h[p], hash, EX_HASH_BYTES);
    int rc = EX_OK;
    for (unsigned j = 0; j + 1 < EX_TILE_HEIGHT && (p & 1); j++) {
        unsigned o = level_off(j);
        rc = ex_merkle_node(g->h, t->h[o + p - 1], t->h[o + p], t->h[level_off(j + 1) + (p >> 1)]);
        if (rc != EX_OK)
            return fail(g, rc, "hashing failed");
        p >>= 1;
    }
    if (t->width < EX_TILE_WIDTH)
        return EX_OK;
    uint8_t root[EX_HASH_BYTES];
    unsigned o7 = level_off(EX_TILE_HEIGHT - 1);
    if ((rc = ex_merkle_node(g->h, t->h[o7], t->h[o7 + 1], root)) != EX_OK)
        return fail(g, rc, "hashing failed");
    if ((rc = g->flush(g, s, t)) != EX_OK)
        return rc;
    t->index++;
    t->width = 0;
    return push(g, s + 1, root);
}

/* hash at (level, index) from storage: the open tiles, the cache, or one store read */
static int
read_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    ex_log *g = ctx;
    unsigned s = level / EX_TILE_HEIGHT, j = level % EX_TILE_HEIGHT;
    if (g->stale)
        return fail(g, EX_EDB, "the log could not be reloaded after a failed append; reopen it");
    if (s >= STRATA)
        return fail(g, EX_ERANGE, "no hash at level %u", level);
    uint64_t ti = index >> (EX_TILE_HEIGHT - j);
    unsigned pos = (unsigned)(index & ((EX_TILE_WIDTH >> j) - 1));
    const tile *t = g->open[s];
    if (ti == t->index) {
        if (pos >= (t->width >> j))
            return fail(g, EX_ERANGE, "hash %u/%llu is not in the tree", level,
                        (unsigned long long)index);
        memcpy(out, t->h[level_off(j) + pos], EX_HASH_BYTES);
        return EX_OK;
    }
    if (ti > t->index)
        return fail(g, EX_ERANGE, "hash %u/%llu is not in the tree", level,
                    (unsigned long long)index);
    if (!g->cache && !(g->cache = calloc(CACHE_SLOTS, sizeof *g->cache)))
        return fail(g, EX_ENOMEM, "out of memory");
    slot *sl = &g->cache[(ti * 31 + s) % CACHE_SLOTS];
    if (!sl->used || sl->stratum != s || sl->index != ti) {
        if (!sl->h && !(sl->h = malloc(TILE_BYTES)))
            return fail(g, EX_ENOMEM, "out of memory");
        size_t len;
        sl->used = 0;
        int rc = g->st->ops->tile_get(g->st, s, ti, sl->h, TILE_BYTES, &len);
        if (rc != EX_OK)
            return store_fail(g, rc);
        if (len != TILE_BYTES)
            return fail(g, EX_EVERIFY, "stored tile %u/%llu has %zu bytes, want %d", s,
                        (unsigned long long)ti, len, TILE_BYTES);
        sl->used = 1;
        sl->stratum = s;
        sl->index = ti;
    }
    memcpy(out, sl->h + (size_t)(level_off(j) + pos) * EX_HASH_BYTES, EX_HASH_BYTES);
    return EX_OK;
}

/* Set the open tiles for a tree of `size` leaves from storage. *grew (may be NULL): set when
 * a stored tile is wider than that size says, which a writer appending since the size was
 * read explains (the reads are not one snapshot: a reader beside a sequencer or an ingest). */
static int
load_open(ex_log *g, int *grew)
{
    static __thread uint8_t buf[TILE_BYTES];
    for (unsigned s = 0; s < STRATA; s++) {
        uint64_t count = s * EX_TILE_HEIGHT < 64 ? g->size >> (s * EX_TILE_HEIGHT) : 0;
        tile *t = g->open[s];
        t->index = count / EX_TILE_WIDTH;
        t->width = 0;
        unsigned w = (unsigned)(count % EX_TILE_WIDTH);
        if (!w)
            continue;
        size_t len;
        int rc = g->st->ops->tile_get(g->st, s, t->index, buf, sizeof buf, &len);
        if (rc != EX_OK)
            return store_fail(g, rc);
        if (unpack(buf, len, t) == EX_OK && t->width > w && grew) {
            *grew = 1;
            return EX_OK;
        }
        if (unpack(buf, len, t) != EX_OK || t->width != w)
            return fail(g, EX_EVERIFY, "stored tile %u/%llu has %zu bytes, want width %u", s,
                        (unsigned long long)t->index, len, w);
    }
    return EX_OK;
}

/* The size and open tiles from storage; a log that grew between reading its size and its
 * tiles is read again (a few times: a writer appends a batch at a time). */
static int
load_state(ex_log *g)
{
    int grew = 1, rc = EX_OK;
    for (int tries = 0; rc == EX_OK && grew && tries < 16; tries++) {
        grew = 0;
        if ((rc = g->st->ops->entry_count(g->st, &g->size)) != EX_OK)
            return store_fail(g, rc);
        rc = load_open(g, tries < 15 ? &grew : NULL);
    }
    return rc;
}

/* a log over st with empty open tiles and size 0 */
static int
log_new(ex_store *st, const char *origin, const ex_key *key, ex_log **out, ex_err *err)
{
    if (strlen(origin) == 0 || strlen(origin) > EX_NAME_MAX || strchr(origin, '\n'))
        return ex_fail(err, EX_EINVAL, "invalid log origin");
    ex_log *g = calloc(1, sizeof *g);
    if (!g)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    g->st = st;
    g->key = key;
    g->flush = tile_write;
    strcpy(g->origin, origin);
    int rc = ex_sha256_new(&g->h);
    for (unsigned s = 0; rc == EX_OK && s < STRATA; s++)
        if (!(g->open[s] = calloc(1, sizeof(tile))))
            rc = EX_ENOMEM;
    if (rc != EX_OK) {
        ex_log_close(g);
        return ex_fail(err, rc, "cannot open log: %s", ex_strerror(rc));
    }
    *out = g;
    return EX_OK;
}

int
ex_log_open(ex_store *st, const char *origin, const ex_key *key, ex_log **out, ex_err *err)
{
    ex_log *g;
    int rc = log_new(st, origin, key, &g, err);
    if (rc != EX_OK)
        return rc;
    if ((rc = load_state(g)) != EX_OK) {
        ex_fail(err, rc, "%s", rc == EX_EDB ? ex_store_errmsg(st) : g->err.msg);
        ex_log_close(g);
        return rc;
    }
    *out = g;
    return EX_OK;
}

void
ex_log_close(ex_log *g)
{
    if (!g)
        return;
    for (unsigned s = 0; s < STRATA; s++)
        free(g->open[s]);
    if (g->cache)
        for (unsigned i = 0; i < CACHE_SLOTS; i++)
            free(g->cache[i].h);
    free(g->cache);
    ex_sha256_free(g->h);
    free(g);
}

const char *
ex_log_errmsg(const ex_log *g)
{
    return g->err.msg;
}

int
ex_log_fail(ex_log *g, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ex_vfail(&g->err, code, fmt, ap);
    va_end(ap);
    return code;
}

uint64_t
ex_log_size(const ex_log *g)
{
    return g->size;
}

int
ex_log_root(ex_log *g, uint64_t size, uint8_t root[EX_HASH_BYTES])
{
    if (size > g->size)
        return fail(g, EX_ERANGE, "size %llu is past the end of the log (size %llu)",
                    (unsigned long long)size, (unsigned long long)g->size);
    ex_err_clear(&g->err);
    int rc = ex_merkle_range_hash(g->h, read_hash, g, 0, size, root);
    if (rc != EX_OK && !g->err.msg[0])
        fail(g, rc, "cannot compute root: %s", ex_strerror(rc));
    return rc;
}

void
ex_log_set_key(ex_log *g, const ex_key *key)
{
    g->key = key;
}

int
ex_log_sign_checkpoint(ex_log *g)
{
    if (!g->key)
        return fail(g, EX_EINVAL, "the log was opened without its signing key");
    ex_checkpoint c;
    memset(&c, 0, sizeof c);
    strcpy(c.origin, g->origin);
    c.size = g->size;
    int rc = ex_log_root(g, g->size, c.root);
    if (rc != EX_OK)
        return rc;
    char body[EX_NAME_MAX + 128], *note;
    size_t blen, nlen;
    if ((rc = ex_checkpoint_format(&c, body, sizeof body, &blen)) != EX_OK)
        return fail(g, rc, "cannot format checkpoint");
    ex_key *k = (ex_key *)g->key;
    if ((rc = ex_note_sign(body, blen, &k, 1, &note, &nlen, &g->err)) != EX_OK)
        return rc;
    rc = g->st->ops->checkpoint_put(g->st, c.size, note, nlen);
    free(note);
    return rc == EX_OK ? EX_OK : store_fail(g, rc);
}

static void
cache_clear(ex_log *g)
{
    if (g->cache)
        for (unsigned i = 0; i < CACHE_SLOTS; i++)
            g->cache[i].used = 0;
}

/* Bring size and open tiles in line with storage: another process may have appended since
 * this handle looked (force: reload even if the size is the same, after a rollback). */
static int
refresh(ex_log *g, int force)
{
    uint64_t n;
    int rc = g->st->ops->entry_count(g->st, &n);
    if (rc != EX_OK)
        return store_fail(g, rc);
    if (n == g->size && !force)
        return EX_OK;
    return load_state(g);
}

int
ex_log_resync(ex_log *g)
{
    cache_clear(g);
    int rc = refresh(g, 1);
    g->stale = rc != EX_OK;
    return rc;
}

/* Inside the append's transaction: the key signing is still the log's (the database's vkey).
 * Another process may have rotated it (exante key rotate) while this one held the old key,
 * which must not sign past the rotation. */
static int
key_current(ex_log *g)
{
    char *vk = NULL, mine[EX_VKEY_MAX];
    int rc = g->st->ops->meta_get_dup(g->st, "vkey", &vk);
    if (rc == EX_ENOTFOUND)
        return EX_OK; /* a log without a ledger around it (tests, benchmarks) */
    if (rc != EX_OK)
        return store_fail(g, rc);
    ex_key_vkey_string(g->key, mine);
    rc = strcmp(vk, mine) == 0 ? EX_OK
                               : fail(g, EX_EDB, "the ledger's signing key was rotated by "
                                      "another process (its verifier key is now %s): open the "
                                      "ledger again", vk);
    free(vk);
    return rc;
}

int
ex_log_append(ex_log *g, const void *const *entries, const size_t *lens, size_t n,
              uint64_t *first)
{
    if (!g->key)
        return fail(g, EX_EINVAL, "the log was opened without its signing key");
    for (size_t i = 0; i < n; i++)
        if (lens[i] == 0 || lens[i] > EX_ENTRY_MAX)
            return fail(g, EX_ETOOBIG, "log entries must be 1..%d bytes (entry %zu has %zu)",
                        EX_ENTRY_MAX, i, lens[i]);
    if (n == 0)
        return EX_OK;
    int rc = g->st->ops->begin(g->st);
    if (rc != EX_OK)
        return store_fail(g, rc);
    uint64_t old = 0;
    if ((rc = refresh(g, g->stale)) != EX_OK || (rc = key_current(g)) != EX_OK)
        goto out;
    g->stale = 0;
    old = g->size;
    if ((rc = g->st->ops->entries_put(g->st, old, entries, lens, n)) != EX_OK) {
        rc = store_fail(g, rc);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t leaf[EX_HASH_BYTES];
        if ((rc = ex_merkle_leaf(g->h, entries[i], lens[i], leaf)) != EX_OK) {
            fail(g, rc, "cannot hash log entry %llu: %s", (unsigned long long)(old + i),
                 ex_strerror(rc));
            goto out;
        }
        if ((rc = push(g, 0, leaf)) != EX_OK)
            goto out;
    }
    g->size = old + n;
    for (unsigned s = 0; s < STRATA; s++)
        if (g->open[s]->width && (rc = tile_write(g, s, g->open[s])) != EX_OK)
            goto out;
    if ((rc = ex_log_sign_checkpoint(g)) != EX_OK)
        goto out;
    if ((rc = g->st->ops->commit(g->st)) != EX_OK)
        rc = store_fail(g, rc);
out:
    if (rc != EX_OK) {
        /* storage is back where it was; make memory match it again (tiles completed and
         * cached inside the failed transaction are gone too) */
        ex_err keep = g->err;
        g->st->ops->rollback(g->st);
        cache_clear(g);
        g->stale = refresh(g, 1) != EX_OK;
        g->err = keep;
    } else if (first) {
        *first = old;
    }
    return rc;
}

int
ex_log_entry_dup(ex_log *g, uint64_t index, uint8_t **data, size_t *len)
{
    if (index >= g->size && g->size == 0)
        return fail(g, EX_ERANGE, "no entry %llu: the log is empty", (unsigned long long)index);
    if (index >= g->size)
        return fail(g, EX_ERANGE, "no entry %llu: the log has %llu entries (0..%llu)",
                    (unsigned long long)index, (unsigned long long)g->size,
                    (unsigned long long)g->size - 1);
    int rc = g->st->ops->entry_get_dup(g->st, index, data, len);
    return rc == EX_OK ? EX_OK : store_fail(g, rc);
}

int
ex_log_leaf_hash(ex_log *g, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    if (index >= g->size)
        return fail(g, EX_ERANGE, "no entry %llu: the log has %llu entries",
                    (unsigned long long)index, (unsigned long long)g->size);
    return read_hash(g, 0, index, out);
}

int
ex_log_prove_inclusion(ex_log *g, uint64_t index, uint64_t size, uint8_t proof[][EX_HASH_BYTES],
                       size_t *n)
{
    if (size == 0)
        size = g->size;
    if (size > g->size || index >= size)
        return fail(g, EX_ERANGE, "no entry %llu in a tree of size %llu (log size %llu)",
                    (unsigned long long)index, (unsigned long long)size,
                    (unsigned long long)g->size);
    ex_err_clear(&g->err);
    int rc = ex_merkle_prove_inclusion(g->h, read_hash, g, index, size, proof, n);
    if (rc != EX_OK && !g->err.msg[0])
        fail(g, rc, "cannot build proof: %s", ex_strerror(rc));
    return rc;
}

int
ex_log_prove_consistency(ex_log *g, uint64_t old, uint64_t size, uint8_t proof[][EX_HASH_BYTES],
                         size_t *n)
{
    if (size == 0)
        size = g->size;
    if (size > g->size || old > size)
        return fail(g, EX_ERANGE, "cannot prove %llu -> %llu: need old <= new <= %llu",
                    (unsigned long long)old, (unsigned long long)size,
                    (unsigned long long)g->size);
    ex_err_clear(&g->err);
    int rc = ex_merkle_prove_consistency(g->h, read_hash, g, old, size, proof, n);
    if (rc != EX_OK && !g->err.msg[0])
        fail(g, rc, "cannot build proof: %s", ex_strerror(rc));
    return rc;
}

int
ex_log_checkpoint_dup(ex_log *g, char **note, size_t *len)
{
    int rc = g->st->ops->checkpoint_get_dup(g->st, UINT64_MAX, note, len);
    return rc == EX_OK ? EX_OK : store_fail(g, rc);
}

int
ex_log_checkpoint_at_dup(ex_log *g, uint64_t size, char **note, size_t *len)
{
    int rc = g->st->ops->checkpoint_get_dup(g->st, size, note, len);
    return rc == EX_OK ? EX_OK : store_fail(g, rc);
}

/* ---- verification ---------------------------------------------------------------------- */

typedef struct verifier {
    ex_log *g;     /* the log under test, for storage access and messages */
    ex_log *shadow; /* a memory-only log rebuilt from the entries */
    uint64_t next; /* next expected entry index */
    uint8_t *buf;  /* stored tile bytes */
    uint8_t *mine; /* rebuilt tile bytes */
    uint64_t tiles; /* tiles compared */
} verifier;

static int
compare_tile(verifier *v, unsigned s, const tile *t)
{
    ex_log *g = v->g;
    size_t len, want = packed_size(t->width);
    int rc = g->st->ops->tile_get(g->st, s, t->index, v->buf, TILE_BYTES, &len);
    if (rc == EX_ENOTFOUND)
        return fail(g, EX_EVERIFY, "tree: tile %u/%llu (level %u) is missing", s,
                    (unsigned long long)t->index, s * EX_TILE_HEIGHT);
    if (rc != EX_OK)
        return store_fail(g, rc);
    if (len != want)
        return fail(g, EX_EVERIFY, "tree: tile %u/%llu has %zu bytes, want %zu", s,
                    (unsigned long long)t->index, len, want);
    pack(t, v->mine);
    if (memcmp(v->buf, v->mine, len) != 0) {
        /* name the first differing hash by tree level and index */
        size_t off = 0;
        while (v->buf[off] == v->mine[off])
            off++;
        size_t hi = off / EX_HASH_BYTES;
        unsigned j = 0;
        while (hi >= (t->width >> j)) {
            hi -= t->width >> j;
            j++;
        }
        uint64_t idx = (t->index << (EX_TILE_HEIGHT - j)) + hi;
        return fail(g, EX_EVERIFY,
                    "tree: stored hash at level %u index %llu (tile %u/%llu) does not match "
                    "the hash recomputed from the entries",
                    s * EX_TILE_HEIGHT + j, (unsigned long long)idx, s,
                    (unsigned long long)t->index);
    }
    v->tiles++;
    return EX_OK;
}

static int
compare_flush(ex_log *shadow, unsigned s, const tile *t)
{
    return compare_tile(shadow->flush_ctx, s, t);
}

static int
verify_entry(void *ctx, uint64_t index, const void *data, size_t len)
{
    verifier *v = ctx;
    if (index != v->next)
        return fail(v->g, EX_EVERIFY, "entries: index %llu is missing",
                    (unsigned long long)v->next);
    if (len == 0 || len > EX_ENTRY_MAX)
        return fail(v->g, EX_EVERIFY, "entries: entry %llu has %zu bytes",
                    (unsigned long long)index, len);
    uint8_t leaf[EX_HASH_BYTES];
    int rc = ex_merkle_leaf(v->shadow->h, data, len, leaf);
    if (rc == EX_OK)
        rc = push(v->shadow, 0, leaf);
    if (rc != EX_OK && !v->g->err.msg[0])
        fail(v->g, rc, "%s", v->shadow->err.msg);
    if (rc == EX_OK)
        v->next++;
    return rc;
}

typedef struct tile_counter {
    ex_log *g;
    uint64_t n;
    int bad;
} tile_counter;

static int
count_tile(void *ctx, unsigned s, uint64_t index, const void *data, size_t len)
{
    (void)data;
    (void)len;
    tile_counter *c = ctx;
    uint64_t count = s * EX_TILE_HEIGHT < 64 ? c->g->size >> (s * EX_TILE_HEIGHT) : 0;
    uint64_t ntiles = (count + EX_TILE_WIDTH - 1) / EX_TILE_WIDTH;
    if (s >= STRATA || index >= ntiles)
        return fail(c->g, EX_EVERIFY, "tree: tile %u/%llu is beyond a tree of %llu entries", s,
                    (unsigned long long)index, (unsigned long long)c->g->size);
    c->n++;
    return EX_OK;
}

typedef struct cp_check {
    ex_log *g;
    const ex_key_chain *keys;
    uint64_t count, last;
} cp_check;

static int
check_checkpoint(void *ctx, uint64_t size, const char *note, size_t len)
{
    cp_check *c = ctx;
    ex_log *g = c->g;
    ex_checkpoint cp;
    ex_err e = {0};
    if (ex_checkpoint_open_chain(note, len, c->keys, &cp, &e) != EX_OK)
        return fail(g, EX_EVERIFY, "checkpoint %llu: %s", (unsigned long long)size, e.msg);
    if (cp.size != size)
        return fail(g, EX_EVERIFY, "checkpoint %llu: its note says size %llu",
                    (unsigned long long)size, (unsigned long long)cp.size);
    if (strcmp(cp.origin, g->origin) != 0)
        return fail(g, EX_EVERIFY, "checkpoint %llu: origin '%s' is not the log's '%s'",
                    (unsigned long long)size, cp.origin, g->origin);
    if (size > g->size)
        return fail(g, EX_EVERIFY, "checkpoint %llu: beyond the %llu stored entries",
                    (unsigned long long)size, (unsigned long long)g->size);
    uint8_t root[EX_HASH_BYTES];
    int rc = ex_log_root(g, size, root);
    if (rc != EX_OK)
        return rc;
    if (memcmp(root, cp.root, EX_HASH_BYTES) != 0)
        return fail(g, EX_EVERIFY,
                    "checkpoint %llu: signed root does not match the root recomputed from the "
                    "entries",
                    (unsigned long long)size);
    c->count++;
    c->last = size;
    return EX_OK;
}

int
ex_log_verify(ex_log *g, const ex_vkey *key, uint64_t *entries, uint64_t *checkpoints)
{
    ex_key_chain *c = calloc(1, sizeof *c);
    if (!c)
        return fail(g, EX_ENOMEM, "out of memory");
    c->w[0] = (ex_key_window){*key, 0, UINT64_MAX};
    c->n = 1;
    int rc = ex_log_verify_chain(g, c, entries, checkpoints);
    free(c);
    return rc;
}

int
ex_log_verify_chain(ex_log *g, const ex_key_chain *keys, uint64_t *entries,
                    uint64_t *checkpoints)
{
    ex_err e = {0};
    verifier v = {.g = g};
    ex_err_clear(&g->err);
    int rc = log_new(g->st, g->origin, NULL, &v.shadow, &e);
    if (rc != EX_OK)
        return fail(g, rc, "%s", e.msg);
    v.shadow->flush = compare_flush;
    v.shadow->flush_ctx = &v;
    v.buf = malloc(TILE_BYTES);
    v.mine = malloc(TILE_BYTES);
    if (!v.buf || !v.mine) {
        rc = fail(g, EX_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = g->st->ops->entry_scan(g->st, 0, verify_entry, &v)) != EX_OK) {
        if (rc == EX_EDB)
            store_fail(g, rc);
        goto out;
    }
    if (v.next != g->size) {
        rc = fail(g, EX_EVERIFY, "entries: %llu stored, but indexes run to %llu",
                  (unsigned long long)v.next, (unsigned long long)g->size);
        goto out;
    }
    for (unsigned s = 0; s < STRATA; s++)
        if (v.shadow->open[s]->width && (rc = compare_tile(&v, s, v.shadow->open[s])) != EX_OK)
            goto out;
    tile_counter tc = {g, 0, 0};
    if ((rc = g->st->ops->tile_scan(g->st, count_tile, &tc)) != EX_OK) {
        if (rc == EX_EDB)
            store_fail(g, rc);
        goto out;
    }
    if (tc.n != v.tiles) {
        rc = fail(g, EX_EVERIFY, "tree: %llu tiles stored, %llu expected",
                  (unsigned long long)tc.n, (unsigned long long)v.tiles);
        goto out;
    }
    /* the stored tree now equals the entries' tree; the cache may predate that check */
    cache_clear(g);
    if ((rc = refresh(g, 1)) != EX_OK)
        goto out;
    cp_check cc = {g, keys, 0, 0};
    if ((rc = g->st->ops->checkpoint_scan(g->st, check_checkpoint, &cc)) != EX_OK) {
        if (rc == EX_EDB)
            store_fail(g, rc);
        goto out;
    }
    if (cc.count == 0 || cc.last != g->size) {
        rc = fail(g, EX_EVERIFY, "checkpoints: entries %llu..%llu are not covered by a signed "
                  "checkpoint", (unsigned long long)(cc.count ? cc.last : 0),
                  (unsigned long long)g->size);
        goto out;
    }
    if (entries)
        *entries = v.next;
    if (checkpoints)
        *checkpoints = cc.count;
out:
    free(v.buf);
    free(v.mine);
    ex_log_close(v.shadow);
    return rc;
}

/* ---- for the tiles export (logtiles.c) ------------------------------------------------ */

const char *
ex_log_origin(const ex_log *g)
{
    return g->origin;
}

int
ex_log_tile_row(ex_log *g, unsigned s, uint64_t t, unsigned w,
                uint8_t out[EX_TILE_WIDTH * EX_HASH_BYTES])
{
    static __thread uint8_t buf[TILE_BYTES];
    size_t len;
    int rc = g->st->ops->tile_get(g->st, s, t, buf, sizeof buf, &len);
    if (rc != EX_OK)
        return store_fail(g, rc);
    /* a concurrent append that widened the tile since this handle's size is caught here */
    if (w == 0 || w > EX_TILE_WIDTH || len != packed_size(w))
        return fail(g, EX_EVERIFY, "stored tile %u/%llu has the wrong size", s,
                    (unsigned long long)t);
    memcpy(out, buf, (size_t)w * EX_HASH_BYTES); /* level 8s comes first in the packed form */
    return EX_OK;
}

int
ex_log_tile_prefix(ex_log *g, unsigned s, uint64_t t, unsigned w,
                   uint8_t out[EX_TILE_WIDTH * EX_HASH_BYTES])
{
    static __thread uint8_t buf[TILE_BYTES];
    size_t len;
    int rc = g->st->ops->tile_get(g->st, s, t, buf, sizeof buf, &len);
    if (rc == EX_ENOTFOUND)
        return fail(g, rc, "no tile %u/%llu", s, (unsigned long long)t);
    if (rc != EX_OK)
        return store_fail(g, rc);
    if (w == 0 || w > EX_TILE_WIDTH || len < packed_size(w))
        return fail(g, EX_ENOTFOUND, "tile %u/%llu holds fewer than %u hashes", s,
                    (unsigned long long)t, w);
    memcpy(out, buf, (size_t)w * EX_HASH_BYTES); /* level 8s first, whatever the width */
    return EX_OK;
}

int
ex_log_entry_scan(ex_log *g, uint64_t from, ex_entry_visit fn, void *ctx)
{
    int rc = g->st->ops->entry_scan(g->st, from, fn, ctx);
    return rc == EX_EDB ? store_fail(g, rc) : rc;
}
