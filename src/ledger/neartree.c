/* neartree.c - a snapshot's near tree (docs/FORMATS.md "Near-dup-free proofs"): the sorted
 * RFC 9162 tree over the distinct leaves (band j, band key j) of its members' near-duplicate
 * fingerprints, made when the snapshot is created, stored beside its digest leaves, and read
 * for proofs.
 *
 * Making it: the members' items are marked in a bitmap, the near table is read once in id
 * order, and each fingerprint's band keys go to buckets by band and the top bits of the key,
 * so that the buckets, taken in order and each sorted alone, give the leaves in order. A
 * bucket keeps 8192 keys in memory and spills the rest to an unlinked file in the ledger's
 * directory; buckets are sized (by the member count) to hold about 32 MiB each, so the memory
 * does not grow with the tree: 10M members give 140M keys (1.1 GB), 56 buckets of 20 MB. The
 * sorted leaves stream into stored chunks and into the tree's hash, whose blocks of 64
 * leaves are hashed on two threads; the roots of every complete subtree of 64 leaves and more
 * are kept (1 MiB a level in memory, the rest spilled too) and stored, with the first leaf of
 * every run of 256, so that a proof finds a key with one read of a run and reads at most 64
 * leaves per level below 6 and one hash per level above.
 *
 * Storage (table snapleaves, key -1 - the record's log index, rows in id order): the leaves in
 * chunks of NEAR_CHUNK leaves, each chunk 'N' then 10 bytes a leaf; the first leaf of every run
 * of NEAR_RUN leaves, in chunks of NEAR_CHUNK, each 'K' then 10 bytes a leaf; then for each
 * level L from NEAR_KEPT up while the tree has a complete subtree of 2^L leaves, the roots of
 * those subtrees in order, in chunks of NEAR_CHUNK hashes, each 'H' then 32 bytes a hash. */
#include "snapshot.h"
#include "witness/witness.h"

#include "dedup/near.h"
#include "log/log.h"
#include "log/nearproof.h"
#include "merkle/merkle.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NEAR_CHUNK 65536  /* leaves, or hashes, per stored row */
#define NEAR_KEPT 6       /* subtree roots of 2^6 leaves and up are stored */
#define BLOCK (1u << NEAR_KEPT)
#define NEAR_RUN 256      /* the first leaf of every run of this many is stored (the index) */
#define CACHE 4096        /* subtree roots a reader keeps (a power of two) */
#define BUCKET_MEM 8192   /* keys a bucket holds in memory before it spills */
#define BUCKET_TARGET ((uint64_t)32 << 20) /* bytes of keys a bucket is sized to hold */
#define KEPT_MEM ((size_t)1 << 20) /* bytes of a kept level's hashes in memory before they spill */
#define LEVELS 64

/* the limits in force (near_build_limits changes them for tests) */
static size_t bucket_mem = BUCKET_MEM, kept_mem = KEPT_MEM;
static uint64_t bucket_target = BUCKET_TARGET;

void
near_build_limits(size_t mem, uint64_t target, size_t kept)
{
    bucket_mem = mem ? mem : BUCKET_MEM;
    bucket_target = target ? target : BUCKET_TARGET;
    kept_mem = kept ? kept : KEPT_MEM;
}

static uint64_t
rows_of(uint64_t n)
{
    return (n + NEAR_CHUNK - 1) / NEAR_CHUNK;
}

/* runs of NEAR_RUN leaves (the last may be short) */
static uint64_t
runs_of(uint64_t n)
{
    return (n + NEAR_RUN - 1) / NEAR_RUN;
}

/* rows a tree of n leaves is stored in */
static uint64_t
stored_rows(uint64_t n)
{
    uint64_t r = rows_of(n) + rows_of(runs_of(n));
    for (unsigned lvl = NEAR_KEPT; lvl < LEVELS && (n >> lvl); lvl++)
        r += rows_of(n >> lvl);
    return r;
}

/* ---- buckets of band keys ------------------------------------------------------------- */

typedef struct bucket {
    uint64_t *mem; /* BUCKET_MEM keys, allocated on first use */
    size_t n;      /* keys in mem */
    FILE *f;       /* the spilled keys, NULL if none */
    uint64_t spilled;
} bucket;

struct near_build {
    ex_ledger *l;
    ex_near_params mh;
    ex_near *nr;
    unsigned per_band, shift; /* buckets per band (a power of two); key >> shift picks one */
    bucket *bk;
    size_t nbk;
    uint64_t keys; /* band keys put in buckets, before duplicates go */
    uint64_t fingerprinted, unfingerprinted;
    /* while reading the near table */
    uint64_t *kept, *hasfp, maxi;
    uint64_t *bandkeys;
};

static int
spill_file(ex_ledger *l, FILE **out)
{
    const char *dir = l->dir ? l->dir : getenv("TMPDIR");
    char *path = ex_join(dir && *dir ? dir : "/tmp", '/', "near-XXXXXX");
    if (!path)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    int fd = mkstemp(path);
    if (fd < 0) {
        int e = errno;
        ex_fail(&l->err, EX_EIO, "cannot make a temporary file in %s: %s",
                dir && *dir ? dir : "/tmp", strerror(e));
        free(path);
        return EX_EIO;
    }
    unlink(path);
    free(path);
    if (!(*out = fdopen(fd, "w+b"))) {
        close(fd);
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    return EX_OK;
}

static int
bucket_add(near_build *b, bucket *k, uint64_t key)
{
    if (!k->mem && !(k->mem = malloc(bucket_mem * sizeof *k->mem)))
        return ex_fail(&b->l->err, EX_ENOMEM, "out of memory");
    if (k->n == bucket_mem) {
        int rc = k->f ? EX_OK : spill_file(b->l, &k->f);
        if (rc != EX_OK)
            return rc;
        if (fwrite(k->mem, sizeof *k->mem, k->n, k->f) != k->n)
            return ex_fail(&b->l->err, EX_EIO, "cannot write a temporary file: %s",
                           strerror(errno));
        k->spilled += k->n;
        k->n = 0;
    }
    k->mem[k->n++] = key;
    b->keys++;
    return EX_OK;
}

/* the keys of bucket k into a malloc'd array, in no order */
static int
bucket_load(near_build *b, bucket *k, uint64_t **out, uint64_t *n)
{
    uint64_t total = k->spilled + k->n;
    uint64_t *v = malloc((total ? total : 1) * sizeof *v);
    if (!v)
        return ex_fail(&b->l->err, EX_ENOMEM, "out of memory");
    if (k->spilled && (fflush(k->f) != 0 || fseek(k->f, 0, SEEK_SET) != 0 ||
                       fread(v, sizeof *v, k->spilled, k->f) != k->spilled)) {
        free(v);
        return ex_fail(&b->l->err, EX_EIO, "cannot read a temporary file back: %s",
                       strerror(errno));
    }
    if (k->n)
        memcpy(v + k->spilled, k->mem, k->n * sizeof *v);
    *out = v;
    *n = total;
    return EX_OK;
}

static void
bucket_free(bucket *k)
{
    free(k->mem);
    if (k->f)
        fclose(k->f);
    memset(k, 0, sizeof *k);
}

/* LSD radix sort of v[0..n), 16 bits a pass, with scratch t of n keys; passes whose digit is
 * the same in every key are skipped (a bucket's top bits are) */
static void
radix_sort(uint64_t *v, uint64_t *t, uint64_t n)
{
    static __thread uint64_t count[65536];
    uint64_t *src = v, *dst = t;
    for (unsigned shift = 0; n > 1 && shift < 64; shift += 16) {
        memset(count, 0, sizeof count);
        for (uint64_t i = 0; i < n; i++)
            count[(src[i] >> shift) & 0xffff]++;
        if (count[(src[0] >> shift) & 0xffff] == n)
            continue;
        uint64_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            uint64_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (uint64_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
        uint64_t *x = src;
        src = dst;
        dst = x;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

/* ---- collecting the members' band keys -------------------------------------------------- */

static int
set_bit(uint64_t *b, uint64_t i)
{
    return (int)(b[i >> 6] >> (i & 63) & 1);
}

static int
take_near(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    near_build *b = ctx;
    if (id > b->maxi || !set_bit(b->kept, id))
        return EX_OK;
    unsigned k = 0, bands = 0;
    const uint8_t *fp = NULL;
    int rc = ex_near_record_read(data, len, &k, &bands, &fp);
    if (rc == EX_ENOTFOUND)
        return EX_OK; /* an item without text */
    if (rc != EX_OK)
        return ex_fail(&b->l->err, EX_EFORMAT, "near record %llu is not a fingerprint record",
                       (unsigned long long)id);
    if (!b->nr) { /* the first fingerprint sets the tree's parameters */
        b->mh.k = k;
        b->mh.bands = bands;
        if (ex_near_new(k, bands, &b->nr) != EX_OK ||
            !(b->bandkeys = malloc(bands * sizeof *b->bandkeys)))
            return ex_fail(&b->l->err, EX_ENOMEM, "out of memory");
        if (!(b->bk = calloc((size_t)bands * b->per_band, sizeof *b->bk)))
            return ex_fail(&b->l->err, EX_ENOMEM, "out of memory");
        b->nbk = (size_t)bands * b->per_band;
    }
    if (k != b->mh.k || bands != b->mh.bands)
        return EX_OK; /* made with other parameters: not in this tree (counted without) */
    ex_near_bands_of(b->nr, fp, b->bandkeys);
    for (unsigned j = 0; j < bands; j++) {
        uint64_t x = b->bandkeys[j];
        size_t at = (size_t)j * b->per_band + (b->per_band > 1 ? (size_t)(x >> b->shift) : 0);
        if ((rc = bucket_add(b, &b->bk[at], x)) != EX_OK)
            return rc;
    }
    b->hasfp[id >> 6] |= (uint64_t)1 << (id & 63);
    return EX_OK;
}

void
near_build_free(near_build *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nbk; i++)
        bucket_free(&b->bk[i]);
    free(b->bk);
    free(b->kept);
    free(b->hasfp);
    free(b->bandkeys);
    ex_near_free(b->nr);
    free(b);
}

int
near_build_collect(ex_ledger *l, const snap_set *members, const snap_items *mi,
                   near_build **out)
{
    *out = NULL;
    near_build *b = calloc(1, sizeof *b);
    if (!b)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    b->l = l;
    ex_near_params_default(&b->mh);
    /* buckets of about BUCKET_TARGET bytes: per band one key per member */
    b->per_band = 1;
    while ((uint64_t)b->per_band * bucket_target < members->n * 8 && b->per_band < 4096)
        b->per_band *= 2;
    unsigned lg = 0;
    while ((1u << lg) < b->per_band)
        lg++;
    b->shift = 64 - lg;
    int rc = EX_OK;
    for (uint64_t i = 0; mi && i < mi->n; i++)
        if (mi->item[i] > b->maxi)
            b->maxi = mi->item[i];
    if (mi && mi->n && l->st->schema >= 7) {
        ex_err_clear(&l->err); /* before the allocations: their failure is the message */
        if (!(b->kept = calloc(b->maxi / 64 + 1, 8)) || !(b->hasfp = calloc(b->maxi / 64 + 1, 8)))
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        for (uint64_t i = 0; rc == EX_OK && i < mi->n; i++)
            b->kept[mi->item[i] >> 6] |= (uint64_t)1 << (mi->item[i] & 63);
        if (rc == EX_OK &&
            (rc = l->st->ops->rec_scan(l->st, EX_TAB_NEAR, 1, b->maxi + 1, take_near, b)) !=
                EX_OK &&
            !l->err.msg[0])
            ex_ledger_fail_store(l, rc);
    }
    /* a member has a fingerprint if any of its items has one in the tree */
    for (uint64_t i = 0; rc == EX_OK && mi && b->hasfp && i < mi->n;) {
        uint64_t end = snap_items_end(mi, i);
        int has = 0;
        for (uint64_t x = i; x < end && !has; x++)
            has = set_bit(b->hasfp, mi->item[x]);
        b->fingerprinted += (uint64_t)has;
        i = end;
    }
    if (rc == EX_OK)
        b->unfingerprinted = members->n - b->fingerprinted;
    free(b->kept);
    free(b->hasfp);
    b->kept = b->hasfp = NULL;
    if (rc != EX_OK) {
        near_build_free(b);
        return rc;
    }
    *out = b;
    return EX_OK;
}

/* ---- the tree: leaves streamed in order ------------------------------------------------- */

/* The roots of one level's complete subtrees, in order: KEPT_MEM bytes of them in memory,
 * the rest spilled to an unlinked file (so that the kept levels, 1 byte a leaf, do not grow
 * the memory with the tree either). */

typedef struct kept {
    ex_buf mem;        /* hashes not yet spilled */
    FILE *f;           /* spilled hashes, NULL if none */
    uint64_t n;        /* hashes in all */
    uint64_t spilled;  /* of them, in f */
    uint64_t read;     /* reading back: hashes given so far */
} kept;

static int
kept_put(ex_ledger *l, kept *k, const uint8_t x[EX_HASH_BYTES])
{
    if (k->mem.len >= kept_mem) {
        int rc = k->f ? EX_OK : spill_file(l, &k->f);
        if (rc != EX_OK)
            return rc;
        if (fwrite(k->mem.data, 1, k->mem.len, k->f) != k->mem.len)
            return ex_fail(&l->err, EX_EIO, "cannot write a temporary file: %s", strerror(errno));
        k->spilled += k->mem.len / EX_HASH_BYTES;
        k->mem.len = 0;
    }
    if (ex_buf_put(&k->mem, x, EX_HASH_BYTES) != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    k->n++;
    return EX_OK;
}

/* read back from the first hash */
static int
kept_rewind(ex_ledger *l, kept *k)
{
    k->read = 0;
    if (k->f && (fflush(k->f) != 0 || fseek(k->f, 0, SEEK_SET) != 0))
        return ex_fail(&l->err, EX_EIO, "cannot read a temporary file back: %s", strerror(errno));
    return EX_OK;
}

/* the next m hashes into out */
static int
kept_next(ex_ledger *l, kept *k, uint8_t *out, uint64_t m)
{
    if (k->read + m > k->n)
        return ex_fail(&l->err, EX_EINVAL, "near tree: %llu kept hashes asked past %llu",
                       (unsigned long long)(k->read + m), (unsigned long long)k->n);
    uint64_t from_file = k->read < k->spilled ? k->spilled - k->read : 0;
    if (from_file > m)
        from_file = m;
    if (from_file && fread(out, EX_HASH_BYTES, from_file, k->f) != from_file)
        return ex_fail(&l->err, EX_EIO, "cannot read a temporary file back: %s", strerror(errno));
    uint64_t at = k->read + from_file - k->spilled; /* in mem */
    memcpy(out + from_file * EX_HASH_BYTES, k->mem.data + at * EX_HASH_BYTES,
           (m - from_file) * EX_HASH_BYTES);
    k->read += m;
    return EX_OK;
}

static void
kept_free(kept *k)
{
    ex_buf_free(&k->mem);
    if (k->f)
        fclose(k->f);
    memset(k, 0, sizeof *k);
}

/* an accumulator of complete subtrees (as ex_merkle_acc) that keeps, level by level from
 * NEAR_KEPT, the root of every complete subtree it makes */
typedef struct lvl_acc {
    uint8_t st[LEVELS + 1][EX_HASH_BYTES];
    unsigned lvl[LEVELS + 1];
    int top;
    ex_ledger *l;
    kept kept[LEVELS];
} lvl_acc;

static int
acc_push(ex_sha256 *h, lvl_acc *a, const uint8_t x[EX_HASH_BYTES], unsigned level)
{
    memcpy(a->st[a->top], x, EX_HASH_BYTES);
    a->lvl[a->top++] = level;
    int rc = level >= NEAR_KEPT ? kept_put(a->l, &a->kept[level], x) : EX_OK;
    while (rc == EX_OK && a->top >= 2 && a->lvl[a->top - 1] == a->lvl[a->top - 2]) {
        if ((rc = ex_merkle_node(h, a->st[a->top - 2], a->st[a->top - 1], a->st[a->top - 2])) !=
            EX_OK)
            return rc;
        unsigned up = ++a->lvl[a->top - 2];
        a->top--;
        if (up >= NEAR_KEPT)
            rc = kept_put(a->l, &a->kept[up], a->st[a->top - 1]);
    }
    return rc;
}

/* the root of what was pushed (at least one leaf), folded from the right */
static int
acc_root(ex_sha256 *h, const lvl_acc *a, uint8_t out[EX_HASH_BYTES])
{
    uint8_t x[EX_HASH_BYTES];
    memcpy(x, a->st[a->top - 1], EX_HASH_BYTES);
    for (int i = a->top - 2; i >= 0; i--) {
        int rc = ex_merkle_node(h, a->st[i], x, x);
        if (rc != EX_OK)
            return rc;
    }
    memcpy(out, x, EX_HASH_BYTES);
    return EX_OK;
}

/* the root of the n (a power of two) encoded leaves at p */
static int
block_root(ex_sha256 *h, const uint8_t *p, uint64_t n, uint8_t out[EX_HASH_BYTES])
{
    ex_merkle_acc a;
    a.top = 0;
    int rc = EX_OK;
    for (uint64_t i = 0; rc == EX_OK && i < n; i++) {
        uint8_t lh[EX_HASH_BYTES];
        if ((rc = ex_merkle_leaf(h, p + i * EX_NEAR_LEAF_BYTES, EX_NEAR_LEAF_BYTES, lh)) == EX_OK)
            rc = ex_merkle_acc_push(h, &a, lh);
    }
    return rc == EX_OK ? ex_merkle_acc_root(h, &a, out) : rc;
}

/* a second thread hashing blocks of a chunk: the calling thread gives it the first half */
typedef struct worker {
    pthread_t th;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int job, quit; /* job: 1 given, 0 done */
    const uint8_t *leaves;
    uint64_t nblocks;
    uint8_t (*out)[EX_HASH_BYTES];
    ex_sha256 *h;
    int rc;
} worker;

static int
hash_blocks(ex_sha256 *h, const uint8_t *leaves, uint64_t nblocks, uint8_t (*out)[EX_HASH_BYTES])
{
    int rc = EX_OK;
    for (uint64_t i = 0; rc == EX_OK && i < nblocks; i++)
        rc = block_root(h, leaves + i * BLOCK * EX_NEAR_LEAF_BYTES, BLOCK, out[i]);
    return rc;
}

static void *
worker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->job && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->quit)
            break;
        pthread_mutex_unlock(&w->mu);
        int rc = hash_blocks(w->h, w->leaves, w->nblocks, w->out);
        pthread_mutex_lock(&w->mu);
        w->rc = rc;
        w->job = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

typedef struct sink {
    ex_ledger *l;
    int store;
    int64_t key;
    ex_sha256 *h, *h2;
    uint8_t *chunk; /* 1 + NEAR_CHUNK leaves: 'N' and the leaves of the chunk being filled */
    uint64_t nchunk;
    uint64_t n;     /* leaves so far */
    uint8_t (*roots)[EX_HASH_BYTES]; /* the block roots of a chunk */
    lvl_acc *acc;
    ex_buf index; /* the first leaf of every run of NEAR_RUN */
    worker w;
    int sync; /* w's mutex and condition made */
} sink;

/* the chunk's leaves into the tree (full blocks on two threads, the rest leaf by leaf) and,
 * when stored, into the store */
static int
sink_flush(sink *s)
{
    uint64_t nb = s->nchunk / BLOCK, rest = s->nchunk % BLOCK, half = nb / 2;
    const uint8_t *lv = s->chunk + 1;
    int rc = EX_OK;
    if (s->w.running && half > 0) {
        pthread_mutex_lock(&s->w.mu);
        s->w.leaves = lv;
        s->w.nblocks = half;
        s->w.out = s->roots;
        s->w.job = 1;
        pthread_cond_broadcast(&s->w.cv);
        pthread_mutex_unlock(&s->w.mu);
    } else {
        half = 0;
    }
    /* the store write and the other half meanwhile */
    if (s->store && s->nchunk &&
        (rc = s->l->st->ops->rec_append(s->l->st, EX_TAB_SNAPLEAVES, s->key, s->chunk,
                                        1 + s->nchunk * EX_NEAR_LEAF_BYTES, NULL)) != EX_OK)
        ex_ledger_fail_store(s->l, rc);
    int rc2 = hash_blocks(s->h, lv + half * BLOCK * EX_NEAR_LEAF_BYTES, nb - half,
                          s->roots + half);
    if (half > 0) {
        pthread_mutex_lock(&s->w.mu);
        while (s->w.job)
            pthread_cond_wait(&s->w.cv, &s->w.mu);
        if (rc2 == EX_OK)
            rc2 = s->w.rc;
        pthread_mutex_unlock(&s->w.mu);
    }
    for (uint64_t i = 0; rc2 == EX_OK && i < nb; i++)
        rc2 = acc_push(s->h, s->acc, s->roots[i], NEAR_KEPT);
    for (uint64_t i = 0; rc2 == EX_OK && i < rest; i++) {
        uint8_t lh[EX_HASH_BYTES];
        if ((rc2 = ex_merkle_leaf(s->h, lv + (nb * BLOCK + i) * EX_NEAR_LEAF_BYTES,
                                  EX_NEAR_LEAF_BYTES, lh)) == EX_OK)
            rc2 = acc_push(s->h, s->acc, lh, 0);
    }
    if (rc == EX_OK && rc2 != EX_OK)
        rc = ex_fail(&s->l->err, rc2, "cannot hash the near tree: %s", ex_strerror(rc2));
    s->nchunk = 0;
    return rc;
}

static int
sink_leaf(sink *s, unsigned band, uint64_t key)
{
    uint8_t *at = s->chunk + 1 + s->nchunk * EX_NEAR_LEAF_BYTES;
    ex_near_leaf_encode(band, key, at);
    if (s->n++ % NEAR_RUN == 0 && ex_buf_put(&s->index, at, EX_NEAR_LEAF_BYTES) != EX_OK)
        return ex_fail(&s->l->err, EX_ENOMEM, "out of memory");
    return ++s->nchunk == NEAR_CHUNK ? sink_flush(s) : EX_OK;
}

/* the index and the kept levels into the store */
static int
store_levels(sink *s)
{
    uint8_t *row = malloc(1 + (size_t)NEAR_CHUNK * EX_HASH_BYTES);
    if (!row)
        return ex_fail(&s->l->err, EX_ENOMEM, "out of memory");
    int rc = EX_OK;
    uint64_t runs = s->index.len / EX_NEAR_LEAF_BYTES;
    row[0] = 'K';
    for (uint64_t i = 0; rc == EX_OK && i < runs; i += NEAR_CHUNK) {
        uint64_t k = runs - i < NEAR_CHUNK ? runs - i : NEAR_CHUNK;
        memcpy(row + 1, s->index.data + i * EX_NEAR_LEAF_BYTES, k * EX_NEAR_LEAF_BYTES);
        if ((rc = s->l->st->ops->rec_append(s->l->st, EX_TAB_SNAPLEAVES, s->key, row,
                                            1 + k * EX_NEAR_LEAF_BYTES, NULL)) != EX_OK)
            ex_ledger_fail_store(s->l, rc);
    }
    row[0] = 'H';
    for (unsigned lvl = NEAR_KEPT; rc == EX_OK && lvl < LEVELS && (s->n >> lvl); lvl++) {
        uint64_t cnt = s->n >> lvl;
        kept *kp = &s->acc->kept[lvl];
        if (kp->n != cnt) {
            rc = ex_fail(&s->l->err, EX_EINVAL, "near tree: level %u has %llu hashes, not %llu",
                         lvl, (unsigned long long)kp->n, (unsigned long long)cnt);
            break;
        }
        rc = kept_rewind(s->l, kp);
        for (uint64_t i = 0; rc == EX_OK && i < cnt; i += NEAR_CHUNK) {
            uint64_t k = cnt - i < NEAR_CHUNK ? cnt - i : NEAR_CHUNK;
            if ((rc = kept_next(s->l, kp, row + 1, k)) == EX_OK &&
                (rc = s->l->st->ops->rec_append(s->l->st, EX_TAB_SNAPLEAVES, s->key, row,
                                                1 + k * EX_HASH_BYTES, NULL)) != EX_OK)
                ex_ledger_fail_store(s->l, rc);
        }
    }
    free(row);
    return rc;
}

static void
sink_free(sink *s)
{
    if (s->w.running) {
        pthread_mutex_lock(&s->w.mu);
        s->w.quit = 1;
        pthread_cond_broadcast(&s->w.cv);
        pthread_mutex_unlock(&s->w.mu);
        pthread_join(s->w.th, NULL);
        s->w.running = 0;
    }
    if (s->sync) {
        pthread_mutex_destroy(&s->w.mu);
        pthread_cond_destroy(&s->w.cv);
        s->sync = 0;
    }
    if (s->acc)
        for (unsigned i = 0; i < LEVELS; i++)
            kept_free(&s->acc->kept[i]);
    free(s->acc);
    free(s->chunk);
    free(s->roots);
    ex_buf_free(&s->index);
    ex_sha256_free(s->h);
    ex_sha256_free(s->h2);
    memset(s, 0, sizeof *s);
}

/* a sink of leaves for l: stored under key when store is set */
static int
sink_init(sink *s, ex_ledger *l, int store, int64_t key)
{
    *s = (sink){.l = l, .store = store, .key = key};
    if (ex_sha256_new(&s->h) != EX_OK || ex_sha256_new(&s->h2) != EX_OK)
        return ex_fail(&l->err, EX_ECRYPTO, "cannot make a hasher: %s", ex_strerror(EX_ECRYPTO));
    s->chunk = malloc(1 + (size_t)NEAR_CHUNK * EX_NEAR_LEAF_BYTES);
    s->roots = malloc((NEAR_CHUNK / BLOCK) * sizeof *s->roots);
    s->acc = calloc(1, sizeof *s->acc);
    if (!s->chunk || !s->roots || !s->acc)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    s->acc->l = l;
    s->chunk[0] = 'N';
    s->w.h = s->h2;
    pthread_mutex_init(&s->w.mu, NULL);
    pthread_cond_init(&s->w.cv, NULL);
    s->sync = 1;
    s->w.running = pthread_create(&s->w.th, NULL, worker_main, &s->w) == 0;
    return EX_OK;
}

/* the last leaves in, the worker stopped, the root into out */
static int
sink_end(sink *s, uint8_t out[EX_HASH_BYTES])
{
    int rc = s->nchunk ? sink_flush(s) : EX_OK;
    if (rc != EX_OK)
        return rc;
    rc = s->n == 0 ? ex_sha256_digest(s->h, "", 0, out) : acc_root(s->h, s->acc, out);
    if (rc != EX_OK)
        return ex_fail(&s->l->err, rc, "cannot hash the near tree: %s", ex_strerror(rc));
    return EX_OK;
}

int
near_build_finish(ex_ledger *l, near_build *b, int store, int64_t key, ex_near_tree_rec *t)
{
    sink s;
    uint64_t *v = NULL, *tmp = NULL, cap = 0;
    int rc = sink_init(&s, l, store, key);
    /* the buckets in order, each sorted and without repeats, are the leaves in order */
    for (size_t i = 0; rc == EX_OK && i < b->nbk; i++) {
        uint64_t n = 0;
        free(v);
        v = NULL;
        if ((rc = bucket_load(b, &b->bk[i], &v, &n)) != EX_OK)
            break;
        bucket_free(&b->bk[i]);
        if (n > cap) {
            free(tmp);
            cap = n;
            if (!(tmp = malloc(cap * sizeof *tmp))) {
                rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
                break;
            }
        }
        radix_sort(v, tmp, n);
        unsigned band = (unsigned)(i / b->per_band);
        for (uint64_t j = 0; rc == EX_OK && j < n; j++)
            if (j == 0 || v[j] != v[j - 1])
                rc = sink_leaf(&s, band, v[j]);
    }
    free(v);
    free(tmp);
    uint8_t root[EX_HASH_BYTES];
    if (rc == EX_OK)
        rc = sink_end(&s, root);
    if (rc == EX_OK && store)
        rc = store_levels(&s);
    if (rc == EX_OK) {
        memset(t, 0, sizeof *t);
        t->mh = b->mh;
        t->size = s.n;
        t->fingerprinted = b->fingerprinted;
        t->unfingerprinted = b->unfingerprinted;
        memcpy(t->root, root, EX_HASH_BYTES);
    }
    sink_free(&s);
    return rc;
}

/* ---- reading it: proofs ----------------------------------------------------------------- */

struct ex_snapshot_near {
    ex_ledger *l;
    snap rec;
    ex_near_tree_rec t;
    int64_t key;
    uint64_t leaf_row;           /* the row of leaf chunk 0 */
    uint64_t index_row;          /* the row of index chunk 0 */
    uint64_t level_row[LEVELS];  /* the row of level L's first chunk (L >= NEAR_KEPT) */
    uint8_t *index;              /* the first leaf of every run of NEAR_RUN, in memory */
    ex_sha256 *h;
    ex_near *nr;
    uint64_t *sig, *keys;
    uint8_t *fp;
    /* the leaves of one block (or run) last read */
    uint8_t run[NEAR_RUN * EX_NEAR_LEAF_BYTES];
    uint64_t run_at, run_n;      /* its first leaf and count; run_n 0: none */
    /* subtree roots computed or read, direct-mapped by (level, index) */
    struct cached {
        uint64_t tag; /* index << 6 | level, plus 1; 0: empty */
        uint8_t h[EX_HASH_BYTES];
    } cache[CACHE];
    uint64_t log_size;
    uint8_t log_proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t log_n;
    char *checkpoint;
    int rc; /* the first read failure inside a proof (read_subtree cannot say it otherwise) */
};

typedef struct row_ids {
    int64_t key;
    uint64_t *id;
    size_t n, cap;
} row_ids;

static int
take_row_id(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)data, (void)len;
    row_ids *r = ctx;
    if (key != r->key)
        return EX_OK;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        uint64_t *v = realloc(r->id, cap * sizeof *v);
        if (!v)
            return EX_ENOMEM;
        r->id = v;
        r->cap = cap;
    }
    r->id[r->n++] = id;
    return EX_OK;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* bytes [off, off + len) of the stored row `row` */
static int
read_row(ex_snapshot_near *s, uint64_t row, uint64_t off, void *buf, size_t len)
{
    ex_store *st = s->l->st;
    int rc = st->ops->rec_read_at(st, EX_TAB_SNAPLEAVES, row, off, buf, len);
    /* a row missing or shorter than the tree's size says: the stored tree is damaged */
    if ((rc == EX_ERANGE || rc == EX_ENOTFOUND) && s->rc == EX_OK)
        s->rc = ex_fail(&s->l->err, EX_EVERIFY,
                        "snapshot '%s': its near tree's stored rows are damaged (%s)",
                        s->rec.name, ex_store_errmsg(st));
    else if (rc != EX_OK && s->rc == EX_OK)
        s->rc = ex_fail(&s->l->err, rc, "cannot read the near tree of snapshot '%s': %s",
                        s->rec.name, ex_store_errmsg(st));
    return rc == EX_OK ? rc : s->rc;
}

/* leaves [i, i + n) (within one chunk) into out, encoded */
static int
read_leaves(ex_snapshot_near *s, uint64_t i, uint64_t n, uint8_t *out)
{
    return read_row(s, s->leaf_row + i / NEAR_CHUNK, 1 + (i % NEAR_CHUNK) * EX_NEAR_LEAF_BYTES,
                    out, n * EX_NEAR_LEAF_BYTES);
}

static void
leaf_decode(const uint8_t *b, unsigned *band, uint64_t *key)
{
    *band = (unsigned)b[0] << 8 | b[1];
    uint64_t k = 0;
    for (int j = 2; j < EX_NEAR_LEAF_BYTES; j++)
        k = k << 8 | b[j];
    *key = k;
}

/* the run of NEAR_RUN leaves holding leaf i into s->run (read once for a run of proofs); the
 * leaf's bytes */
static int
run_leaf(ex_snapshot_near *s, uint64_t i, const uint8_t **leaf)
{
    if (!(s->run_n && i >= s->run_at && i < s->run_at + s->run_n)) {
        uint64_t at = i / NEAR_RUN * NEAR_RUN, n = s->t.size - at;
        if (n > NEAR_RUN)
            n = NEAR_RUN;
        s->run_n = 0;
        int rc = read_leaves(s, at, n, s->run);
        if (rc != EX_OK)
            return rc;
        s->run_at = at;
        s->run_n = n;
    }
    *leaf = s->run + (i - s->run_at) * EX_NEAR_LEAF_BYTES;
    return EX_OK;
}

static int
read_leaf(ex_snapshot_near *s, uint64_t i, unsigned *band, uint64_t *key)
{
    const uint8_t *b;
    int rc = run_leaf(s, i, &b);
    if (rc == EX_OK)
        leaf_decode(b, band, key);
    return rc;
}

/* the complete subtree at (level, index): remembered, a kept root, or made from the two below
 * (a leaf: hashed); every subtree made on the way is remembered, so the two neighbours of an
 * absent key, and later proofs, share them */
static int
read_subtree(void *ctx, unsigned level, uint64_t index, uint8_t out[EX_HASH_BYTES])
{
    ex_snapshot_near *s = ctx;
    uint64_t tag = (index << 6 | level) + 1;
    struct cached *c = &s->cache[(index * 0x9e3779b97f4a7c15ull + level) >> 52 & (CACHE - 1)];
    if (c->tag == tag) {
        memcpy(out, c->h, EX_HASH_BYTES);
        return EX_OK;
    }
    int rc;
    if (level >= NEAR_KEPT) {
        rc = read_row(s, s->level_row[level] + index / NEAR_CHUNK,
                      1 + (index % NEAR_CHUNK) * EX_HASH_BYTES, out, EX_HASH_BYTES);
    } else if (level == 0) {
        const uint8_t *b;
        if ((rc = run_leaf(s, index, &b)) == EX_OK)
            rc = ex_merkle_leaf(s->h, b, EX_NEAR_LEAF_BYTES, out);
    } else {
        uint8_t l[EX_HASH_BYTES], r[EX_HASH_BYTES];
        if ((rc = read_subtree(s, level - 1, 2 * index, l)) == EX_OK &&
            (rc = read_subtree(s, level - 1, 2 * index + 1, r)) == EX_OK)
            rc = ex_merkle_node(s->h, l, r, out);
    }
    if (rc == EX_OK) {
        c->tag = tag;
        memcpy(c->h, out, EX_HASH_BYTES);
    }
    return rc;
}

void
ex_snapshot_near_close(ex_snapshot_near *s)
{
    if (!s)
        return;
    free(s->rec.entry);
    free(s->checkpoint);
    free(s->index);
    free(s->sig);
    free(s->keys);
    free(s->fp);
    ex_near_free(s->nr);
    ex_sha256_free(s->h);
    free(s);
}

/* the rows of s's tree: leaf chunks, then each kept level's */
static int
find_rows(ex_snapshot_near *s)
{
    ex_ledger *l = s->l;
    row_ids r = {.key = s->key};
    int rc = l->st->ops->rec_keys(l->st, EX_TAB_SNAPLEAVES, take_row_id, &r);
    if (rc != EX_OK) {
        free(r.id);
        return rc == EX_ENOMEM ? ex_fail(&l->err, rc, "out of memory")
                               : ex_ledger_fail_store(l, rc);
    }
    if (r.n > 1)
        qsort(r.id, r.n, sizeof *r.id, cmp_u64);
    uint64_t n = s->t.size, want = stored_rows(n);
    if (r.n != want || (r.n && r.id[r.n - 1] - r.id[0] != r.n - 1)) {
        free(r.id);
        return ex_fail(&l->err, EX_EVERIFY,
                       "snapshot '%s': its near tree of %llu leaves is stored in %zu rows, not "
                       "%llu in a run",
                       s->rec.name, (unsigned long long)n, r.n, (unsigned long long)want);
    }
    uint64_t at = r.n ? r.id[0] : 0;
    free(r.id);
    s->leaf_row = at;
    at += rows_of(n);
    s->index_row = at;
    at += rows_of(runs_of(n));
    for (unsigned lvl = NEAR_KEPT; lvl < LEVELS && (n >> lvl); lvl++) {
        s->level_row[lvl] = at;
        at += rows_of(n >> lvl);
    }
    /* the first byte of each kind of row says what it holds */
    uint8_t c;
    if (n && (read_row(s, s->leaf_row, 0, &c, 1) != EX_OK || c != 'N'))
        return s->rc ? s->rc
                     : ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': its near tree's rows are not "
                                                    "as stored",
                               s->rec.name);
    if ((n >> NEAR_KEPT) && (read_row(s, s->level_row[NEAR_KEPT], 0, &c, 1) != EX_OK || c != 'H'))
        return s->rc ? s->rc
                     : ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': its near tree's rows are not "
                                                    "as stored",
                               s->rec.name);
    /* the index, in memory: 10 bytes per NEAR_RUN leaves */
    uint64_t runs = runs_of(n);
    if (!(s->index = malloc(runs ? runs * EX_NEAR_LEAF_BYTES : 1)))
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < runs; i += NEAR_CHUNK) {
        uint64_t k = runs - i < NEAR_CHUNK ? runs - i : NEAR_CHUNK;
        if (read_row(s, s->index_row + i / NEAR_CHUNK, 0, &c, 1) != EX_OK || c != 'K' ||
            read_row(s, s->index_row + i / NEAR_CHUNK, 1, s->index + i * EX_NEAR_LEAF_BYTES,
                     k * EX_NEAR_LEAF_BYTES) != EX_OK)
            return s->rc ? s->rc
                         : ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': its near tree's rows are "
                                                        "not as stored",
                                   s->rec.name);
    }
    return EX_OK;
}

int
ex_ledger_snapshot_near_open(ex_ledger *l, const char *name, ex_snapshot_near **out)
{
    *out = NULL;
    ex_err_clear(&l->err);
    ex_snapshot_near *s = calloc(1, sizeof *s);
    if (!s)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    s->l = l;
    size_t nlen;
    ex_err e = {0};
    int rc = snap_open(l, name, &s->rec, NULL);
    if (rc == EX_OK && (rc = ex_near_tree_rec_read(s->rec.entry, s->rec.entry_len, &s->t, &e)) !=
                           EX_OK)
        ex_fail(&l->err, rc, rc == EX_ENOTFOUND
                                 ? "snapshot '%s' has no near-duplicate tree: it was made "
                                   "before near-dup-free proofs (make a new snapshot)"
                                 : "snapshot '%s': %s",
                name, e.msg);
    if (rc == EX_OK && !ex_near_params_usable(&s->t.mh))
        rc = ex_fail(&l->err, EX_EINVAL,
                     "snapshot '%s': its near tree was made with MinHash parameters this "
                     "build cannot compute",
                     name);
    if (rc == EX_OK && (ex_sha256_new(&s->h) != EX_OK ||
                        ex_near_new(s->t.mh.k, s->t.mh.bands, &s->nr) != EX_OK ||
                        !(s->sig = malloc(s->t.mh.k * sizeof *s->sig)) ||
                        !(s->fp = malloc(s->t.mh.k)) ||
                        !(s->keys = malloc(s->t.mh.bands * sizeof *s->keys))))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    s->key = -1 - (int64_t)s->rec.log_index;
    if (rc == EX_OK)
        rc = find_rows(s);
    /* the record's inclusion in the log at its current size, under that size's checkpoint */
    s->log_size = ex_log_size(l->log);
    if (rc == EX_OK &&
        ((rc = ex_log_prove_inclusion(l->log, s->rec.log_index, s->log_size, s->log_proof,
                                      &s->log_n)) != EX_OK ||
         (rc = ex_ledger_checkpoint_cosigned_dup(l, s->log_size, &s->checkpoint, &nlen)) != EX_OK))
        ex_ledger_fail_log(l, rc);
    if (rc != EX_OK) {
        ex_snapshot_near_close(s);
        return rc;
    }
    *out = s;
    return EX_OK;
}

/* the text's band keys into s->keys; EX_EINVAL for a text without words */
static int
text_keys(ex_snapshot_near *s, const char *text, size_t len)
{
    uint64_t shingles = 0;
    int rc = ex_near_signature(s->nr, text ? text : "", len, s->sig, &shingles);
    if (rc != EX_OK)
        return ex_fail(&s->l->err, rc, "cannot fingerprint the text: %s", ex_strerror(rc));
    if (shingles == 0)
        return ex_fail(&s->l->err, EX_EINVAL,
                       "the text has no words: it has no near-duplicate fingerprint to prove");
    ex_near_fingerprint(s->nr, s->sig, s->fp);
    ex_near_bands_of(s->nr, s->fp, s->keys);
    return EX_OK;
}

/* *lo: the first leaf at or above (band, key); *present whether it is that leaf. The index
 * names the run, one read of it the leaf. */
static int
find_leaf(ex_snapshot_near *s, unsigned band, uint64_t key, uint64_t *lo, int *present)
{
    uint64_t n = s->t.size, a = 0, b = runs_of(n);
    *present = 0;
    /* a: the first run whose first leaf is above the key */
    while (a < b) {
        uint64_t mid = a + (b - a) / 2;
        unsigned mb;
        uint64_t mk;
        leaf_decode(s->index + mid * EX_NEAR_LEAF_BYTES, &mb, &mk);
        if (ex_near_leaf_cmp(mb, mk, band, key) <= 0)
            a = mid + 1;
        else
            b = mid;
    }
    if (a == 0) { /* below the first leaf (or no leaves) */
        *lo = 0;
        return EX_OK;
    }
    /* within run a - 1: the first leaf at or above the key, or the next run's first */
    uint64_t x = (a - 1) * NEAR_RUN, end = x + NEAR_RUN < n ? x + NEAR_RUN : n;
    for (uint64_t lo2 = x, hi2 = end;;) {
        if (lo2 >= hi2) {
            *lo = lo2;
            return EX_OK;
        }
        uint64_t mid = lo2 + (hi2 - lo2) / 2;
        unsigned mb;
        uint64_t mk;
        int rc = read_leaf(s, mid, &mb, &mk);
        if (rc != EX_OK)
            return rc;
        int c = ex_near_leaf_cmp(mb, mk, band, key);
        if (c == 0) {
            *lo = mid;
            *present = 1;
            return EX_OK;
        }
        if (c < 0)
            lo2 = mid + 1;
        else
            hi2 = mid;
    }
}

static int
prove_leaf(ex_snapshot_near *s, uint64_t i, ex_near_leaf *out)
{
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t np = 0;
    out->index = i;
    int rc = read_leaf(s, i, &out->band, &out->key);
    if (rc == EX_OK)
        rc = ex_merkle_prove_inclusion(s->h, read_subtree, s, i, s->t.size, proof, &np);
    if (rc == EX_OK && np > EX_NEAR_PROOF_MAX)
        rc = EX_ERANGE;
    if (rc != EX_OK)
        return s->rc ? s->rc
                     : ex_fail(&s->l->err, rc, "cannot prove leaf %llu of the near tree: %s",
                               (unsigned long long)i, ex_strerror(rc));
    memcpy(out->proof, proof, np * EX_HASH_BYTES);
    out->n = np;
    return EX_OK;
}

int
ex_snapshot_near_prove_dup(ex_snapshot_near *s, const char *text, size_t len, char **json,
                           size_t *jlen, ex_near_verdict *v)
{
    ex_ledger *l = s->l;
    ex_err_clear(&l->err);
    s->rc = EX_OK;
    unsigned nb = s->t.mh.bands, present = 0, first = 0;
    ex_near_proof p = {.mh = s->t.mh,
                       .entry = (uint8_t *)s->rec.entry,
                       .entry_len = s->rec.entry_len,
                       .log_index = s->rec.log_index,
                       .log_size = s->log_size,
                       .log_n = s->log_n,
                       .checkpoint = s->checkpoint,
                       .nband = nb};
    int rc = text_keys(s, text, len);
    if (rc == EX_OK && !(p.band = calloc(nb, sizeof *p.band)))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    for (unsigned j = 0; rc == EX_OK && j < nb; j++) {
        ex_near_band *b = &p.band[j];
        b->band = j;
        b->key = s->keys[j];
        uint64_t lo = 0, n = s->t.size;
        if ((rc = find_leaf(s, j, b->key, &lo, &b->present)) != EX_OK)
            break;
        if (b->present && present++ == 0)
            first = j;
        /* present: its own leaf; absent: the neighbours, or the first or last leaf */
        uint64_t idx[2];
        size_t k = 0;
        if (b->present || (n && lo == 0))
            idx[k++] = lo;
        else if (n && lo == n)
            idx[k++] = n - 1;
        else if (n) {
            idx[k++] = lo - 1;
            idx[k++] = lo;
        }
        for (size_t x = 0; rc == EX_OK && x < k; x++)
            rc = prove_leaf(s, idx[x], &b->leaves[x]);
        b->nleaves = k;
    }
    p.dup = present > 0;
    memcpy(p.log_proof, s->log_proof, s->log_n * EX_HASH_BYTES);
    if (rc == EX_OK && (rc = ex_near_proof_write_dup(&p, json, jlen)) != EX_OK)
        ex_fail(&l->err, rc, "cannot write the proof: %s", ex_strerror(rc));
    if (rc == EX_OK && v)
        *v = (ex_near_verdict){.dup = present > 0,
                               .k = s->t.mh.k,
                               .bands = nb,
                               .present = present,
                               .first_present = first,
                               .size = s->t.size,
                               .fingerprinted = s->t.fingerprinted,
                               .unfingerprinted = s->t.unfingerprinted};
    free(p.band);
    return rc;
}

int
ex_ledger_snapshot_prove_near_dup(ex_ledger *l, const char *name, const char *text, size_t len,
                                  char **json, size_t *jlen, ex_near_verdict *v)
{
    ex_snapshot_near *s = NULL;
    int rc = ex_ledger_snapshot_near_open(l, name, &s);
    if (rc == EX_OK)
        rc = ex_snapshot_near_prove_dup(s, text, len, json, jlen, v);
    ex_snapshot_near_close(s);
    return rc;
}

/* ---- which members hold a band key ------------------------------------------------------ */

typedef struct matching {
    ex_snapshot_near *s;
    int *present;       /* per band */
    uint64_t *bandkeys; /* scratch: a fingerprint's band keys */
    ex_fields f;
    uint8_t (*seen)[EX_HASH_BYTES]; /* (band, digest) pairs reported, band in seen_band */
    unsigned *seen_band;
    size_t nseen, cap;
    int (*fn)(void *ctx, unsigned band, const uint8_t d[EX_HASH_BYTES]);
    void *ctx;
    uint64_t found;
} matching;

static int
report(matching *m, uint64_t item, unsigned band)
{
    ex_snapshot_near *s = m->s;
    ex_ledger *l = s->l;
    uint8_t *rec = NULL, d[EX_HASH_BYTES];
    size_t len = 0;
    int rc = l->st->ops->rec_get_dup(l->st, EX_TAB_ITEMS, item, NULL, &rec, &len);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc, "cannot read item %llu: %s", (unsigned long long)item,
                       ex_store_errmsg(l->st));
    rc = ex_fields_read(&m->f, (const char *)rec, len);
    if (rc == EX_OK && (!m->f.str[0] || ex_digest_parse(m->f.str[0], d) != EX_OK))
        rc = EX_EFORMAT;
    free(rec);
    if (rc != EX_OK)
        return ex_fail(&l->err, EX_EFORMAT, "item %llu is not an item record",
                       (unsigned long long)item);
    for (size_t i = 0; i < m->nseen; i++)
        if (m->seen_band[i] == band && memcmp(m->seen[i], d, EX_HASH_BYTES) == 0)
            return EX_OK;
    int member = 0;
    if ((rc = snap_has(l, &s->rec, d, &member)) != EX_OK || !member)
        return rc;
    if (m->nseen == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        uint8_t(*v)[EX_HASH_BYTES] = realloc(m->seen, cap * sizeof *v);
        unsigned *b = v ? realloc(m->seen_band, cap * sizeof *b) : NULL;
        if (v)
            m->seen = v;
        if (!v || !b)
            return ex_fail(&l->err, EX_ENOMEM, "out of memory");
        m->seen_band = b;
        m->cap = cap;
    }
    memcpy(m->seen[m->nseen], d, EX_HASH_BYTES);
    m->seen_band[m->nseen++] = band;
    m->found++;
    return m->fn ? m->fn(m->ctx, band, d) : EX_OK;
}

static int
match_near(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    matching *m = ctx;
    ex_snapshot_near *s = m->s;
    unsigned k = 0, bands = 0;
    const uint8_t *fp = NULL;
    if (ex_near_record_read(data, len, &k, &bands, &fp) != EX_OK || k != s->t.mh.k ||
        bands != s->t.mh.bands)
        return EX_OK;
    ex_near_bands_of(s->nr, fp, m->bandkeys);
    for (unsigned j = 0; j < bands; j++)
        if (m->present[j] && m->bandkeys[j] == s->keys[j]) {
            int rc = report(m, id, j);
            if (rc != EX_OK)
                return rc;
        }
    return EX_OK;
}

int
ex_snapshot_near_matches(ex_snapshot_near *s, const char *text, size_t len,
                         int (*fn)(void *ctx, unsigned band, const uint8_t d[EX_HASH_BYTES]),
                         void *ctx, uint64_t *found)
{
    static const char *const paths[1] = {"digest"};
    ex_ledger *l = s->l;
    ex_err_clear(&l->err);
    s->rc = EX_OK;
    unsigned nb = s->t.mh.bands, any = 0;
    matching m = {.s = s, .fn = fn, .ctx = ctx};
    int rc = text_keys(s, text, len);
    if (rc == EX_OK && (!(m.present = calloc(nb, sizeof *m.present)) ||
                        !(m.bandkeys = malloc(nb * sizeof *m.bandkeys))))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    for (unsigned j = 0; rc == EX_OK && j < nb; j++) {
        uint64_t lo;
        rc = find_leaf(s, j, s->keys[j], &lo, &m.present[j]);
        any |= (unsigned)m.present[j];
    }
    if (rc == EX_OK && any && (rc = ex_fields_init(&m.f, paths, 1)) != EX_OK)
        ex_fail(&l->err, rc, "cannot compile the item fields");
    if (rc == EX_OK && any && l->st->schema >= 7) {
        rc = l->st->ops->rec_scan(l->st, EX_TAB_NEAR, 1, UINT64_MAX, match_near, &m);
        if (rc != EX_OK && !l->err.msg[0])
            ex_ledger_fail_store(l, rc);
    }
    if (any)
        ex_fields_free(&m.f);
    if (found)
        *found = m.found;
    free(m.present);
    free(m.bandkeys);
    free(m.seen);
    free(m.seen_band);
    return rc;
}

/* ---- audit: the stored tree against its record ------------------------------------------ */

int
near_stored_check(ex_ledger *l, const char *name)
{
    ex_snapshot_near *s = NULL;
    sink k = {0};
    uint8_t *buf = NULL, *buf2 = NULL, root[EX_HASH_BYTES];
    int rc = ex_ledger_snapshot_near_open(l, name, &s);
    if (rc == EX_OK)
        rc = sink_init(&k, l, 0, 0);
    if (rc == EX_OK && (!(buf = malloc((size_t)NEAR_CHUNK * EX_HASH_BYTES)) ||
                        !(buf2 = malloc((size_t)NEAR_CHUNK * EX_HASH_BYTES))))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    uint64_t n = rc == EX_OK ? s->t.size : 0;
    unsigned pb = 0;
    uint64_t pk = 0;
    /* the leaves, chunk by chunk: strictly ascending, into the tree */
    for (uint64_t i = 0; rc == EX_OK && i < n; i += NEAR_CHUNK) {
        uint64_t cnt = n - i < NEAR_CHUNK ? n - i : NEAR_CHUNK;
        if ((rc = read_leaves(s, i, cnt, buf)) != EX_OK)
            break;
        for (uint64_t j = 0; rc == EX_OK && j < cnt; j++) {
            const uint8_t *p = buf + j * EX_NEAR_LEAF_BYTES;
            unsigned band = (unsigned)p[0] << 8 | p[1];
            uint64_t key = 0;
            for (int x = 2; x < EX_NEAR_LEAF_BYTES; x++)
                key = key << 8 | p[x];
            if (i + j > 0 && ex_near_leaf_cmp(pb, pk, band, key) >= 0)
                rc = ex_fail(&l->err, EX_EVERIFY,
                             "snapshot '%s': near leaf %llu is not above near leaf %llu", name,
                             (unsigned long long)(i + j), (unsigned long long)(i + j - 1));
            else
                rc = sink_leaf(&k, band, key);
            pb = band;
            pk = key;
        }
    }
    if (rc == EX_OK && (rc = sink_end(&k, root)) == EX_OK &&
        memcmp(root, s->t.root, EX_HASH_BYTES) != 0)
        rc = ex_fail(&l->err, EX_EVERIFY,
                     "snapshot '%s': its stored near leaves do not hash to its near root", name);
    /* the index: the first of every run */
    if (rc == EX_OK && (k.index.len != runs_of(n) * EX_NEAR_LEAF_BYTES ||
                        (n && memcmp(k.index.data, s->index, k.index.len) != 0)))
        rc = ex_fail(&l->err, EX_EVERIFY,
                     "snapshot '%s': its stored index of near leaves is not the first leaf of "
                     "every run of %d",
                     name, NEAR_RUN);
    /* the kept subtree roots, as stored */
    for (unsigned lvl = NEAR_KEPT; rc == EX_OK && lvl < LEVELS && (n >> lvl); lvl++) {
        uint64_t cnt = n >> lvl;
        kept *kp = &k.acc->kept[lvl];
        rc = kp->n == cnt ? kept_rewind(l, kp)
                          : ex_fail(&l->err, EX_EVERIFY, "snapshot '%s': its near leaves make "
                                                         "%llu subtrees of level %u, not %llu",
                                    name, (unsigned long long)kp->n, lvl,
                                    (unsigned long long)cnt);
        for (uint64_t i = 0; rc == EX_OK && i < cnt; i += NEAR_CHUNK) {
            uint64_t m = cnt - i < NEAR_CHUNK ? cnt - i : NEAR_CHUNK;
            if ((rc = read_row(s, s->level_row[lvl] + i / NEAR_CHUNK, 1, buf,
                               m * EX_HASH_BYTES)) != EX_OK ||
                (rc = kept_next(l, kp, buf2, m)) != EX_OK)
                break;
            if (memcmp(buf, buf2, m * EX_HASH_BYTES) != 0)
                rc = ex_fail(&l->err, EX_EVERIFY,
                             "snapshot '%s': the stored near subtree roots of level %u are not "
                             "those of its leaves",
                             name, lvl);
        }
    }
    if (rc != EX_OK && s && s->rc != EX_OK)
        rc = s->rc;
    free(buf);
    free(buf2);
    sink_free(&k);
    ex_snapshot_near_close(s);
    return rc;
}
