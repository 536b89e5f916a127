/* snaplookup.c - is a digest a member of a stored snapshot? For `exante filter`, which asks
 * once per record of a training feed, so memory must not grow with the snapshot (PROOFS.md
 * leaves: sorted, 32 bytes each, stored in chunks of CHUNK_LEAVES; snapshot.c).
 *
 * What is kept: for every block of BLOCK consecutive leaves, the first 8 bytes of its first
 * leaf (8 / BLOCK = 0.25 bytes a member), and the row of each chunk. A lookup finds its block
 * by binary search over those keys and reads that one block (1 KiB) from the store without
 * reading the rest of the chunk (rec_read_at), through a direct-mapped cache of CACHE_BLOCKS
 * blocks (8 MiB: a snapshot of up to 256Ki members is read once); the store is asked to keep
 * no more than 16 MiB of the pages it read (no memory-mapped reads). Opening reads the leaves once,
 * one chunk at a time, to make the keys and to check they are strictly ascending: a damaged
 * order would make the binary search answer wrongly, so it is refused. */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 32                      /* leaves per block; divides CHUNK_LEAVES */
#define CACHE_BLOCKS ((size_t)8192)   /* a power of two */
#define STORE_CACHE ((size_t)16 << 20) /* what the store may keep of the pages it read */

struct snap_lookup {
    ex_store *st;
    uint64_t n;         /* leaves */
    uint64_t *key;      /* per block: the first 8 bytes of its first leaf, big-endian */
    uint64_t nblocks;
    uint64_t *chunk;    /* per chunk: its row in snapleaves */
    uint64_t nchunks, cap;
    uint8_t (*cache)[BLOCK][EX_HASH_BYTES];
    uint64_t *tag;      /* per cache slot: block + 1, 0 if empty */
    uint8_t last[EX_HASH_BYTES]; /* while opening: the last leaf seen */
    ex_err *err;
    const char *name;
};

static uint64_t
be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int
take_chunk(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    snap_lookup *s = ctx;
    const uint8_t *p = data;
    if (len < 1 || p[0] != 'L' || (len - 1) % EX_HASH_BYTES != 0)
        return ex_fail(s->err, EX_EFORMAT, "snapleaves row %llu is not a chunk of leaves",
                       (unsigned long long)id);
    uint64_t k = (len - 1) / EX_HASH_BYTES;
    /* only the last chunk may be short: blocks are found by position */
    if (s->nchunks > 0 && s->n % SNAP_CHUNK_LEAVES != 0)
        return ex_fail(s->err, EX_EFORMAT,
                       "snapshot '%s': a chunk of %llu leaves is not the last one (row %llu)",
                       s->name, (unsigned long long)(s->n % SNAP_CHUNK_LEAVES),
                       (unsigned long long)id);
    if (s->nchunks == s->cap) {
        uint64_t cap = s->cap ? s->cap * 2 : 4;
        uint64_t *c = realloc(s->chunk, cap * sizeof *c);
        uint64_t *kk = realloc(s->key, cap * (SNAP_CHUNK_LEAVES / BLOCK) * sizeof *kk);
        if (c)
            s->chunk = c;
        if (kk)
            s->key = kk;
        if (!c || !kk)
            return ex_fail(s->err, EX_ENOMEM, "out of memory");
        s->cap = cap;
    }
    s->chunk[s->nchunks++] = id;
    for (uint64_t i = 0; i < k; i++) {
        const uint8_t *d = p + 1 + i * EX_HASH_BYTES;
        if (s->n + i > 0 && memcmp(d, s->last, EX_HASH_BYTES) <= 0)
            return ex_fail(s->err, EX_EVERIFY,
                           "snapshot '%s': stored leaf %llu is not above the one before it "
                           "(run 'exante snapshot audit %s')",
                           s->name, (unsigned long long)(s->n + i), s->name);
        memcpy(s->last, d, EX_HASH_BYTES);
        if ((s->n + i) % BLOCK == 0)
            s->key[s->nblocks++] = be64(d);
    }
    s->n += k;
    return EX_OK;
}

void
snap_lookup_close(snap_lookup *s)
{
    if (!s)
        return;
    free(s->key);
    free(s->chunk);
    free(s->cache);
    free(s->tag);
    free(s);
}

int
snap_lookup_open(ex_ledger *l, const snap *rec, snap_lookup **out)
{
    *out = NULL;
    snap_lookup *s = calloc(1, sizeof *s);
    if (!s)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    s->st = l->st;
    s->err = &l->err;
    s->name = rec->name;
    ex_err_clear(&l->err);
    /* the lookups touch pages all over the leaves: keep what the store holds of them bounded */
    int rc = l->st->ops->read_memory(l->st, STORE_CACHE);
    if (rc == EX_OK)
        rc = l->st->ops->rec_scan_key(l->st, EX_TAB_SNAPLEAVES, (int64_t)rec->log_index,
                                      take_chunk, s);
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    if (rc == EX_OK && s->n != rec->size)
        rc = ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': %llu leaves stored, its record says %llu",
                     rec->name, (unsigned long long)s->n, (unsigned long long)rec->size);
    if (rc == EX_OK && (!(s->cache = malloc(CACHE_BLOCKS * sizeof *s->cache)) ||
                        !(s->tag = calloc(CACHE_BLOCKS, sizeof *s->tag))))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    s->name = NULL; /* rec's, which may go */
    if (rc != EX_OK) {
        snap_lookup_close(s);
        return rc;
    }
    *out = s;
    return EX_OK;
}

uint64_t
snap_lookup_size(const snap_lookup *s)
{
    return s->n;
}

size_t
snap_lookup_bytes(const snap_lookup *s)
{
    return sizeof *s + s->cap * (sizeof *s->chunk + SNAP_CHUNK_LEAVES / BLOCK * sizeof *s->key) +
           CACHE_BLOCKS * (sizeof *s->cache + sizeof *s->tag);
}

/* block b's leaves (cached), how many in *k */
static int
block(snap_lookup *s, uint64_t b, const uint8_t (**leaves)[EX_HASH_BYTES], size_t *k)
{
    uint64_t first = b * BLOCK;
    *k = s->n - first < BLOCK ? (size_t)(s->n - first) : BLOCK;
    size_t slot = (size_t)(b & (CACHE_BLOCKS - 1));
    *leaves = (const uint8_t(*)[EX_HASH_BYTES])s->cache[slot];
    if (s->tag[slot] == b + 1)
        return EX_OK;
    s->tag[slot] = 0;
    uint64_t c = first / SNAP_CHUNK_LEAVES, at = 1 + (first % SNAP_CHUNK_LEAVES) * EX_HASH_BYTES;
    int rc = s->st->ops->rec_read_at(s->st, EX_TAB_SNAPLEAVES, s->chunk[c], at, s->cache[slot],
                                     *k * EX_HASH_BYTES);
    if (rc != EX_OK)
        return ex_fail(s->err, rc, "cannot read snapshot leaves: %s", ex_store_errmsg(s->st));
    s->tag[slot] = b + 1;
    return EX_OK;
}

int
snap_lookup_has(snap_lookup *s, const uint8_t d[EX_HASH_BYTES], int *member)
{
    *member = 0;
    uint64_t p = be64(d), lo = 0, hi = s->nblocks; /* blocks [0, lo) start at or below p */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s->key[mid] <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* the digest is in block lo - 1 if anywhere, or, when that block starts with the same 8
     * bytes, possibly in one before it */
    for (uint64_t b = lo; b-- > 0;) {
        const uint8_t(*v)[EX_HASH_BYTES];
        size_t k;
        int rc = block(s, b, &v, &k);
        if (rc != EX_OK)
            return rc;
        size_t a = 0, z = k;
        while (a < z) {
            size_t m = a + (z - a) / 2;
            int c = memcmp(v[m], d, EX_HASH_BYTES);
            if (c == 0) {
                *member = 1;
                return EX_OK;
            }
            if (c < 0)
                a = m + 1;
            else
                z = m;
        }
        if (s->key[b] != p || a > 0)
            break;
    }
    return EX_OK;
}

/* ---- one question, no set-up: for impact, which asks of many snapshots once each ---- */

typedef struct chunk_ids {
    int64_t key;
    uint64_t *id;
    size_t n, cap;
} chunk_ids;

static int
take_id(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)data, (void)len;
    chunk_ids *c = ctx;
    if (key != c->key)
        return EX_OK;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        uint64_t *v = realloc(c->id, cap * sizeof *v);
        if (!v)
            return EX_ENOMEM;
        c->id = v, c->cap = cap;
    }
    c->id[c->n++] = id;
    return EX_OK;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int
snap_has(ex_ledger *l, const snap *rec, const uint8_t d[EX_HASH_BYTES], int *member)
{
    *member = 0;
    ex_err_clear(&l->err);
    ex_store *st = l->st;
    chunk_ids c = {.key = (int64_t)rec->log_index};
    int rc = st->ops->rec_keys(st, EX_TAB_SNAPLEAVES, take_id, &c);
    if (rc != EX_OK) {
        free(c.id);
        return rc == EX_ENOMEM ? ex_fail(&l->err, rc, "out of memory")
                               : ex_ledger_fail_store(l, rc);
    }
    if (c.n > 1) /* rec_keys gives no order; chunks are by id */
        qsort(c.id, c.n, sizeof *c.id, cmp_u64);
    uint64_t n = rec->size;
    if (c.n != (n + SNAP_CHUNK_LEAVES - 1) / SNAP_CHUNK_LEAVES) {
        free(c.id);
        return ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': %zu chunks of leaves stored for %llu "
                       "members", rec->name, c.n, (unsigned long long)n);
    }
    /* binary search over the leaves, each probe one 32-byte read */
    uint64_t lo = 0, hi = n;
    while (rc == EX_OK && lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint8_t v[EX_HASH_BYTES];
        rc = st->ops->rec_read_at(st, EX_TAB_SNAPLEAVES, c.id[mid / SNAP_CHUNK_LEAVES],
                                  1 + (mid % SNAP_CHUNK_LEAVES) * EX_HASH_BYTES, v, sizeof v);
        int k = rc == EX_OK ? memcmp(v, d, EX_HASH_BYTES) : 0;
        if (rc == EX_OK && k == 0) {
            *member = 1;
            break;
        }
        if (k < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    free(c.id);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc, "cannot read snapshot '%s': %s", rec->name,
                       ex_store_errmsg(st));
    return EX_OK;
}
