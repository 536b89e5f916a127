/* treetiles.c - a tree of sorted digests (a snapshot's) as C2SP tlog-tiles files, written and
 * read back (exante.h): hash tiles tile/<L>/<N> and entry bundles tile/entries/<N> whose
 * entries are the 32-byte digests. Streaming: one tile per stratum in memory. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRATA 8 /* 8 strata of 8 levels: 2^64 leaves */

typedef struct tiler {
    ex_sha256 *h;
    const char *dir; /* NULL: check against files instead of writing them */
    uint8_t t[STRATA][EX_TILE_WIDTH][EX_HASH_BYTES];
    unsigned cnt[STRATA];
    uint64_t idx[STRATA];
    int incremental;   /* writing: keep a file in place with the right size */
    ex_tiles_count n;  /* writing: files written and kept */
    const char *check; /* reading: the directory whose tiles must equal these */
    ex_err *err;
} tiler;

/* the root of a full tile's 256 hashes: 8 levels of node hashes */
static int
tile_root(ex_sha256 *h, uint8_t (*v)[EX_HASH_BYTES], uint8_t out[EX_HASH_BYTES])
{
    static __thread uint8_t w[EX_TILE_WIDTH / 2][EX_HASH_BYTES];
    const uint8_t(*in)[EX_HASH_BYTES] = (const uint8_t(*)[EX_HASH_BYTES])v;
    int rc = EX_OK;
    for (unsigned n = EX_TILE_WIDTH / 2; rc == EX_OK && n >= 1; n /= 2) {
        for (unsigned i = 0; rc == EX_OK && i < n; i++)
            rc = ex_merkle_node(h, in[2 * i], in[2 * i + 1], w[i]);
        in = (const uint8_t(*)[EX_HASH_BYTES])w;
    }
    if (rc == EX_OK)
        memcpy(out, w[0], EX_HASH_BYTES);
    return rc;
}

/* path written with data, or (incremental) kept if it is in place with len bytes */
static int
put(tiler *x, const char *path, const void *data, size_t len)
{
    if (x->incremental && ex_file_has(path, len)) {
        x->n.kept++;
        return EX_OK;
    }
    x->n.written++;
    return ex_file_write(path, data, len, x->err);
}

/* the tile of stratum s at its current index, w hashes: written, or compared with the file */
static int
emit(tiler *x, unsigned s, unsigned w)
{
    char what[8], path[4096];
    snprintf(what, sizeof what, "%u", s);
    const char *dir = x->dir ? x->dir : x->check;
    ex_tile_path(path, sizeof path, dir, what, x->idx[s], w);
    size_t len = (size_t)w * EX_HASH_BYTES;
    if (x->dir)
        return put(x, path, x->t[s], len);
    uint8_t *got = NULL;
    size_t glen = 0;
    int rc = ex_file_read(path, len + 1, &got, &glen, x->err);
    if (rc == EX_OK && (glen != len || memcmp(got, x->t[s], len) != 0))
        rc = ex_fail(x->err, EX_EVERIFY, "'%s' differs from the tile the entries give", path);
    free(got);
    return rc;
}

static int
push(tiler *x, unsigned s, const uint8_t hash[EX_HASH_BYTES])
{
    memcpy(x->t[s][x->cnt[s]++], hash, EX_HASH_BYTES);
    if (x->cnt[s] < EX_TILE_WIDTH)
        return EX_OK;
    uint8_t root[EX_HASH_BYTES];
    int rc = emit(x, s, EX_TILE_WIDTH);
    if (rc == EX_OK)
        rc = tile_root(x->h, x->t[s], root);
    x->idx[s]++;
    x->cnt[s] = 0;
    if (rc == EX_OK && s + 1 < STRATA)
        rc = push(x, s + 1, root);
    return rc;
}

/* the entry bundle holding digests [from, from + w) */
static int
bundle(tiler *x, const uint8_t (*d)[EX_HASH_BYTES], uint64_t from, unsigned w)
{
    static __thread uint8_t b[EX_TILE_WIDTH * (2 + EX_HASH_BYTES)];
    for (unsigned i = 0; i < w; i++) {
        b[i * 34] = 0;
        b[i * 34 + 1] = EX_HASH_BYTES;
        memcpy(b + i * 34 + 2, d[from + i], EX_HASH_BYTES);
    }
    char path[4096];
    ex_tile_path(path, sizeof path, x->dir, "entries", from / EX_TILE_WIDTH, w);
    return put(x, path, b, (size_t)w * 34);
}

/* every tile of d[0..n): written under x->dir, or compared with those under x->check */
static int
tiles(tiler *x, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n)
{
    int rc = EX_OK;
    for (uint64_t i = 0; rc == EX_OK && i < n; i++) {
        uint8_t leaf[EX_HASH_BYTES];
        if ((rc = ex_merkle_leaf(x->h, d[i], EX_HASH_BYTES, leaf)) == EX_OK)
            rc = push(x, 0, leaf);
        if (rc == EX_OK && x->dir && ((i + 1) % EX_TILE_WIDTH == 0 || i + 1 == n))
            rc = bundle(x, d, i / EX_TILE_WIDTH * EX_TILE_WIDTH,
                        (unsigned)(i % EX_TILE_WIDTH) + 1);
    }
    for (unsigned s = 0; rc == EX_OK && s < STRATA; s++)
        if (x->cnt[s])
            rc = emit(x, s, x->cnt[s]);
    return rc;
}

int
ex_tiles_write_digests(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n,
                       const char *dir, unsigned flags, ex_tiles_count *count, ex_err *err)
{
    tiler *x = calloc(1, sizeof *x);
    if (!x)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    x->h = h;
    x->dir = dir;
    x->incremental = (flags & EX_TILES_INCREMENTAL) != 0;
    x->err = err;
    int rc = tiles(x, d, n);
    if (rc == EX_OK && count)
        *count = x->n;
    free(x);
    return rc;
}

int
ex_tiles_bundle_read(const uint8_t *b, size_t len, unsigned w, uint8_t (*out)[EX_HASH_BYTES],
                     const char *path, ex_err *err)
{
    if (w == 0 || w > EX_TILE_WIDTH || len != (size_t)w * (2 + EX_HASH_BYTES))
        return ex_fail(err, EX_EFORMAT, "'%s': %zu bytes, want %u entries of 32 bytes", path, len,
                       w);
    for (unsigned i = 0; i < w; i++) {
        const uint8_t *e = b + (size_t)i * (2 + EX_HASH_BYTES);
        if (e[0] != 0 || e[1] != EX_HASH_BYTES)
            return ex_fail(err, EX_EFORMAT, "'%s': entry %u is not 32 bytes", path, i);
        memcpy(out[i], e + 2, EX_HASH_BYTES);
    }
    return EX_OK;
}

int
ex_tiles_read_digests(ex_sha256 *h, const char *dir, uint64_t n, uint8_t (**out)[EX_HASH_BYTES],
                      ex_err *err)
{
    uint8_t(*d)[EX_HASH_BYTES] = malloc((n ? n : 1) * EX_HASH_BYTES);
    tiler *x = calloc(1, sizeof *x);
    int rc = d && x ? EX_OK : ex_fail(err, EX_ENOMEM, "out of memory");
    /* the entry bundles: full ones, then the partial last one */
    for (uint64_t t = 0; rc == EX_OK && t * EX_TILE_WIDTH < n; t++) {
        unsigned w = n - t * EX_TILE_WIDTH >= EX_TILE_WIDTH ? EX_TILE_WIDTH
                                                            : (unsigned)(n - t * EX_TILE_WIDTH);
        char path[4096];
        uint8_t *b = NULL;
        size_t len = 0;
        ex_tile_path(path, sizeof path, dir, "entries", t, w);
        if ((rc = ex_file_read(path, (size_t)w * 34 + 1, &b, &len, err)) != EX_OK)
            break;
        rc = ex_tiles_bundle_read(b, len, w, d + t * EX_TILE_WIDTH, path, err);
        free(b);
    }
    /* and the hash tiles they give */
    if (rc == EX_OK) {
        x->h = h;
        x->check = dir;
        x->err = err;
        rc = tiles(x, (const uint8_t(*)[EX_HASH_BYTES])d, n);
    }
    free(x);
    if (rc != EX_OK) {
        free(d);
        return rc;
    }
    *out = d;
    return EX_OK;
}
