/* log.h - the transparency log over a store (internal constructor; the public calls are in
 * exante.h). */
#ifndef EX_LOG_H
#define EX_LOG_H

#include "store/store.h"

/* Open the log kept in st. origin names it in checkpoints; key (may be NULL for read-only
 * use) signs them. Both are borrowed and must outlive the log. */
int ex_log_open(ex_store *st, const char *origin, const ex_key *key, ex_log **out, ex_err *err);
void ex_log_close(ex_log *g);
/* Sign and store a checkpoint of the current size (done by every append; init uses it for
 * the empty log). Call inside a store transaction. */
int ex_log_sign_checkpoint(ex_log *g);
/* Sign later checkpoints with key (borrowed; NULL: none): a key rotation. */
void ex_log_set_key(ex_log *g, const ex_key *key);

/* Reload size and open tiles from storage: after the caller rolled back an outer
 * transaction that held appends. */
int ex_log_resync(ex_log *g);

/* "<dir>/tile/<what>/<N as x001/x234/067>[.p/<W>]" (C2SP tlog-tiles paths; what: a level
 * or "entries"; w < EX_TILE_WIDTH: a partial tile) into out. */
void ex_tile_path(char *out, size_t cap, const char *dir, const char *what, uint64_t n,
                  unsigned w);
/* Write data to path, making its directories: into a temporary file beside it (".NAME.tmp.*",
 * mode 0666 less the umask), then renamed over path, so a reader sees the old file or the
 * whole new one, never a part. EX_EIO with the cause in err (the temporary file removed). */
int ex_file_write(const char *path, const void *data, size_t len, ex_err *err);
/* 1 if path is a regular file of exactly len bytes, else 0. */
int ex_file_has(const char *path, size_t len);
/* Delete the partial tiles <dir>/tile/<what>/<N>.p/<W> (W 1..255) of tile n and the .p
 * directory if that leaves it empty; *removed counts the files. None there is EX_OK; EX_EIO
 * with the cause in err. */
int ex_tiles_remove_partials(const char *dir, const char *what, uint64_t n, uint64_t *removed,
                             ex_err *err);
/* At most max bytes of path (malloc'd into *data); EX_EIO with the cause in err. */
int ex_file_read(const char *path, size_t max, uint8_t **data, size_t *len, ex_err *err);

/* The w digests of an entry bundle b[0..len) of a snapshot's tiles (each entry: a 2-byte
 * big-endian length, 32, and the digest) into out; EX_EFORMAT naming path otherwise. */
int ex_tiles_bundle_read(const uint8_t *b, size_t len, unsigned w, uint8_t (*out)[EX_HASH_BYTES],
                         const char *path, ex_err *err);

/* For the tiles export (logtiles.c): the origin; the level-8s row of stored tile t of
 * stratum s, which must be w hashes wide (EX_EVERIFY otherwise), into out; entries with
 * index >= from to fn, in order (a non-EX_OK return stops and is passed back). Failures are
 * recorded on g. */
const char *ex_log_origin(const ex_log *g);
int ex_log_tile_row(ex_log *g, unsigned s, uint64_t t, unsigned w,
                    uint8_t out[EX_TILE_WIDTH * EX_HASH_BYTES]);
int ex_log_entry_scan(ex_log *g, uint64_t from, ex_entry_visit fn, void *ctx);
/* The first w level-8s hashes of stored tile t of stratum s, which may be wider by now (an
 * append since this handle's size): serving a tile of a size the log has passed. EX_ENOTFOUND
 * if it holds fewer. */
int ex_log_tile_prefix(ex_log *g, unsigned s, uint64_t t, unsigned w,
                       uint8_t out[EX_TILE_WIDTH * EX_HASH_BYTES]);

/* Record a message on g for ex_log_errmsg (the part's other files fail through it);
 * returns code. */
int ex_log_fail(ex_log *g, int code, const char *fmt, ...) EX_PRINTF(3, 4);

#endif
