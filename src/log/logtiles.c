/* logtiles.c - the log as static C2SP tlog-tiles files (exante.h, ex_log_write_tiles).
 *
 * Every file is written atomically (log.h, ex_file_write) and the checkpoint last, so the
 * directory never holds a checkpoint whose tiles are missing. Incremental: a tile path names
 * its content (level, index and width fix the hashes, and the log only grows), so a file in
 * place with the right size is kept. The directory's checkpoint, when it is this log's past,
 * says which files are there already: the tiles that were full at its size are not even
 * looked at, and only the entries and tiles from its rightmost tiles on are read. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STRATA 8 /* 8 levels of tiles of 8 tree levels: 2^64 leaves (shifts below 64) */
#define STOP 1   /* an entry scan past the exported size */

typedef struct tiles_out {
    ex_log *g;
    const char *dir;
    uint64_t size;
    int incremental;
    ex_buf bundle;
    ex_tiles_count n;
} tiles_out;

/* write path; the failure on o->g */
static int
write_file(tiles_out *o, const char *path, const void *data, size_t len)
{
    ex_err e = {0};
    int rc = ex_file_write(path, data, len, &e);
    if (rc != EX_OK)
        return ex_log_fail(o->g, rc, "%s", e.msg);
    o->n.written++;
    return EX_OK;
}

/* write path unless (incremental) it is in place with len bytes */
static int
put(tiles_out *o, const char *path, const void *data, size_t len)
{
    if (o->incremental && ex_file_has(path, len)) {
        o->n.kept++;
        return EX_OK;
    }
    return write_file(o, path, data, len);
}

static int
bundle_entry(void *ctx, uint64_t index, const void *data, size_t len)
{
    tiles_out *o = ctx;
    if (index >= o->size) /* appended after this handle's size: not in its checkpoint */
        return STOP;
    uint8_t pre[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    if (ex_buf_put(&o->bundle, pre, 2) != EX_OK || ex_buf_put(&o->bundle, data, len) != EX_OK)
        return ex_log_fail(o->g, EX_ENOMEM, "out of memory");
    unsigned w = (unsigned)(index % EX_TILE_WIDTH) + 1;
    if (w < EX_TILE_WIDTH && index + 1 < o->size)
        return EX_OK;
    char path[4096];
    ex_tile_path(path, sizeof path, o->dir, "entries", index / EX_TILE_WIDTH, w);
    int rc = put(o, path, o->bundle.data, o->bundle.len);
    o->bundle.len = 0;
    return rc;
}

/* The body of the checkpoint note text[0..len): the lines before the blank line. */
static size_t
note_body(const char *text, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (text[i] == '\n' && text[i + 1] == '\n')
            return i + 1;
    return 0;
}

/* What dir holds already (incremental): *from gets the size of its checkpoint when that is
 * this log's past (0 otherwise: every file is checked), *same whether it is the checkpoint
 * `note` itself. Another log's or a fork's checkpoint, or a snapshot's tiles, are refused
 * with EX_EVERIFY. */
static int
previous(ex_log *g, const char *dir, const char *note, size_t nlen, uint64_t *from, int *same)
{
    char path[4096];
    struct stat st;
    *from = 0;
    *same = 0;
    snprintf(path, sizeof path, "%s/snapshot", dir);
    if (stat(path, &st) == 0)
        return ex_log_fail(g, EX_EVERIFY, "'%s' holds a snapshot's tiles (it has a 'snapshot' "
                           "record), not a log's: nothing written", dir);
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    if (stat(path, &st) != 0)
        return EX_OK; /* a first export: no checkpoint yet */
    uint8_t *text = NULL;
    size_t len = 0;
    ex_err e = {0};
    int rc = ex_file_read(path, 65536, &text, &len, &e);
    if (rc != EX_OK)
        return ex_log_fail(g, rc, "%s", e.msg);
    ex_checkpoint cp;
    size_t body = note_body((const char *)text, len);
    uint8_t root[EX_HASH_BYTES];
    /* unreadable as a checkpoint: not a log's state at all; every file is checked */
    if (!body || ex_checkpoint_parse((const char *)text, body, &cp, &e) != EX_OK)
        goto out;
    if (strcmp(cp.origin, ex_log_origin(g)) != 0) {
        rc = ex_log_fail(g, EX_EVERIFY, "'%s' is a checkpoint of log '%s', not of this log "
                         "('%s'): nothing written", path, cp.origin, ex_log_origin(g));
    } else if (cp.size > ex_log_size(g)) {
        rc = ex_log_fail(g, EX_EVERIFY, "'%s' is at size %llu, past this log's %llu: another "
                         "log or a fork of it; nothing written", path,
                         (unsigned long long)cp.size, (unsigned long long)ex_log_size(g));
    } else if ((rc = ex_log_root(g, cp.size, root)) == EX_OK &&
               memcmp(root, cp.root, EX_HASH_BYTES) != 0) {
        rc = ex_log_fail(g, EX_EVERIFY, "'%s' at size %llu has another root than this log at "
                         "that size: another log or a fork of it; nothing written", path,
                         (unsigned long long)cp.size);
    } else if (rc == EX_OK) {
        *from = cp.size;
        *same = len == nlen && memcmp(text, note, len) == 0;
    }
out:
    free(text);
    return rc;
}

/* the hash tiles of level s from tile `first` on (those before it are in place) */
static int
hash_tiles(tiles_out *o, unsigned s, uint64_t first)
{
    static __thread uint8_t row[EX_TILE_WIDTH * EX_HASH_BYTES];
    uint64_t count = o->size >> (s * EX_TILE_HEIGHT); /* s < 8: a shift below 64 */
    char what[8], path[4096];
    snprintf(what, sizeof what, "%u", s);
    int rc = EX_OK;
    for (uint64_t t = first; rc == EX_OK && t * EX_TILE_WIDTH < count; t++) {
        unsigned w = count - t * EX_TILE_WIDTH >= EX_TILE_WIDTH
                         ? EX_TILE_WIDTH
                         : (unsigned)(count - t * EX_TILE_WIDTH);
        ex_tile_path(path, sizeof path, o->dir, what, t, w);
        size_t len = (size_t)w * EX_HASH_BYTES;
        if (o->incremental && ex_file_has(path, len))
            o->n.kept++;
        else if ((rc = ex_log_tile_row(o->g, s, t, w, row)) == EX_OK)
            rc = write_file(o, path, row, len);
    }
    return rc;
}

/* incremental, after the checkpoint: the partial tiles of every tile of level `what` (count
 * hashes) from `first` on that is full now */
static int
prune(tiles_out *o, const char *what, uint64_t count, uint64_t first)
{
    ex_err e = {0};
    for (uint64_t t = first; t < count / EX_TILE_WIDTH; t++)
        if (ex_tiles_remove_partials(o->dir, what, t, &o->n.removed, &e) != EX_OK)
            return ex_log_fail(o->g, e.code, "%s", e.msg);
    return EX_OK;
}

int
ex_log_write_tiles(ex_log *g, const char *dir, unsigned flags, ex_tiles_count *n)
{
    char path[4096], *note = NULL;
    size_t nlen;
    uint64_t from = 0;
    int same = 0;
    tiles_out o = {g, dir, ex_log_size(g), (flags & EX_TILES_INCREMENTAL) != 0, {0}, {0}};
    /* the checkpoint of the size this handle holds: the tiles below match it */
    int rc = ex_log_checkpoint_at_dup(g, o.size, &note, &nlen);
    if (rc == EX_OK && o.incremental)
        rc = previous(g, dir, note, nlen, &from, &same);
    /* a tile full at `from` is in place; the tiles from the one `from` left partial on are
     * checked (all of them without a usable checkpoint: from is 0) */
    for (unsigned s = 0; rc == EX_OK && s < STRATA; s++) {
        uint64_t first = (from >> (s * EX_TILE_HEIGHT)) / EX_TILE_WIDTH;
        o.n.kept += first;
        rc = hash_tiles(&o, s, first);
    }
    uint64_t efirst = from / EX_TILE_WIDTH;
    o.n.kept += efirst;
    if (rc == EX_OK && efirst * EX_TILE_WIDTH < o.size &&
        (rc = ex_log_entry_scan(g, efirst * EX_TILE_WIDTH, bundle_entry, &o)) == STOP)
        rc = EX_OK;
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    if (rc == EX_OK && same)
        o.n.kept++;
    else if (rc == EX_OK)
        rc = write_file(&o, path, note, nlen);
    /* the partial tiles a full one replaced go once no checkpoint here needs them (C2SP
     * allows it; those of tiles still partial stay, for clients of an earlier checkpoint) */
    for (unsigned s = 0; rc == EX_OK && o.incremental && s < STRATA; s++) {
        char what[8];
        snprintf(what, sizeof what, "%u", s);
        rc = prune(&o, what, o.size >> (s * EX_TILE_HEIGHT),
                   (from >> (s * EX_TILE_HEIGHT)) / EX_TILE_WIDTH);
    }
    if (rc == EX_OK && o.incremental)
        rc = prune(&o, "entries", o.size, efirst);
    if (rc == EX_OK && n)
        *n = o.n;
    free(note);
    ex_buf_free(&o.bundle);
    return rc;
}
