/* tileserve.c - one C2SP tlog-tiles file by its path, from the store (exante serve): the
 * bytes `exante log tiles` writes at that path. A path is accepted only in the canonical form
 * ex_tile_path writes, so nothing but digits reaches a lookup: there is no file system path,
 * hence no traversal, and every tile has exactly one URL (one cache entry). */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRATA 8

int
ex_tile_path_parse(const char *p, size_t len, int *level, uint64_t *n, unsigned *w)
{
    char canon[128], what[16];
    size_t i = 0;
    *level = -1, *n = 0, *w = 0;
    if (len == 0 || len > 100 || memchr(p, 0, len))
        return EX_EFORMAT;
    if (len >= 8 && memcmp(p, "entries/", 8) == 0) {
        i = 8;
        snprintf(what, sizeof what, "entries");
    } else if (len >= 2 && p[0] >= '0' && p[0] < '0' + STRATA && p[1] == '/') {
        *level = p[0] - '0';
        i = 2;
        snprintf(what, sizeof what, "%d", *level);
    } else {
        return EX_EFORMAT;
    }
    /* the digits of the index, groups of three (at most 7: 2^64 has 20 digits) */
    uint64_t v = 0;
    int groups = 0;
    while (i < len) {
        if (p[i] == 'x')
            i++;
        if (i + 3 > len || groups == 7)
            return EX_EFORMAT;
        for (int k = 0; k < 3; k++, i++) {
            if (p[i] < '0' || p[i] > '9')
                return EX_EFORMAT;
            if (v > (UINT64_MAX - 9) / 10)
                return EX_EFORMAT;
            v = v * 10 + (uint64_t)(p[i] - '0');
        }
        groups++;
        if (i == len || p[i] == '.')
            break;
        if (p[i] != '/')
            return EX_EFORMAT;
        i++;
    }
    if (i < len) { /* ".p/W" */
        if (len - i < 4 || memcmp(p + i, ".p/", 3) != 0 || len - i > 6)
            return EX_EFORMAT;
        unsigned x = 0;
        for (size_t k = i + 3; k < len; k++) {
            if (p[k] < '0' || p[k] > '9')
                return EX_EFORMAT;
            x = x * 10 + (unsigned)(p[k] - '0');
        }
        if (x == 0 || x >= EX_TILE_WIDTH)
            return EX_EFORMAT;
        *w = x;
    }
    *n = v;
    /* one spelling per tile: what ex_tile_path writes, byte for byte */
    ex_tile_path(canon, sizeof canon, "", what, v, *w);
    if (strlen(canon) != len + 6 || memcmp(canon + 6, p, len) != 0) /* "/tile/" */
        return EX_EFORMAT;
    return EX_OK;
}

typedef struct bundling {
    uint64_t end;
    ex_buf b;
    int rc;
} bundling;

static int
bundle(void *ctx, uint64_t index, const void *data, size_t len)
{
    bundling *g = ctx;
    if (index >= g->end)
        return 1; /* stop */
    uint8_t pre[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    if (ex_buf_put(&g->b, pre, 2) != EX_OK || ex_buf_put(&g->b, data, len) != EX_OK)
        return g->rc = EX_ENOMEM;
    return EX_OK;
}

int
ex_log_tile_serve_dup(ex_log *g, const char *path, size_t plen, uint8_t **data, size_t *len,
                      int *full)
{
    int level;
    uint64_t n;
    unsigned w;
    *data = NULL, *len = 0, *full = 0;
    if (ex_tile_path_parse(path, plen, &level, &n, &w) != EX_OK)
        return ex_log_fail(g, EX_EFORMAT, "not a tile path");
    uint64_t size = ex_log_size(g);
    uint64_t count = level < 0 ? size : size >> (8 * level); /* hashes (entries) there now */
    if (n >= count / EX_TILE_WIDTH + 1 || count <= n * EX_TILE_WIDTH)
        return ex_log_fail(g, EX_ENOTFOUND, "no such tile at size %llu",
                           (unsigned long long)size);
    uint64_t avail = count - n * EX_TILE_WIDTH;
    unsigned want = w ? w : EX_TILE_WIDTH;
    if (avail < want)
        return ex_log_fail(g, EX_ENOTFOUND, "no such tile at size %llu",
                           (unsigned long long)size);
    *full = want == EX_TILE_WIDTH;
    if (level >= 0) {
        uint8_t *out = malloc((size_t)want * EX_HASH_BYTES);
        if (!out)
            return ex_log_fail(g, EX_ENOMEM, "out of memory");
        int rc = ex_log_tile_prefix(g, (unsigned)level, n, want, out);
        if (rc != EX_OK) {
            free(out);
            return rc;
        }
        *data = out, *len = (size_t)want * EX_HASH_BYTES;
        return EX_OK;
    }
    bundling b = {n * EX_TILE_WIDTH + want, {0}, EX_OK};
    int rc = ex_log_entry_scan(g, n * EX_TILE_WIDTH, bundle, &b);
    if (b.rc != EX_OK || (rc != EX_OK && rc != 1)) {
        ex_buf_free(&b.b);
        return b.rc != EX_OK ? ex_log_fail(g, b.rc, "out of memory") : rc;
    }
    *data = (uint8_t *)ex_buf_take(&b.b, len);
    return *data ? EX_OK : ex_log_fail(g, EX_ENOMEM, "out of memory");
}
