/* store.h - the one storage interface. Everything that speaks SQL lives behind it; the
 * embedded SQLite store is the default, a shared PostgreSQL store plugs in the same way.
 *
 * Every function returns EX_OK or a negative code and leaves a message in ex_store_errmsg().
 * Data returned through `_dup` out-parameters is malloc'd (caller frees). */
#ifndef EX_STORE_H
#define EX_STORE_H

#include "core/core.h"

typedef struct ex_store ex_store;

/* Visitors for scans; a non-EX_OK return stops the scan and is passed back. */
typedef int (*ex_entry_visit)(void *ctx, uint64_t index, const void *data, size_t len);
typedef int (*ex_tile_visit)(void *ctx, unsigned stratum, uint64_t index, const void *data,
                             size_t len);
typedef int (*ex_checkpoint_visit)(void *ctx, uint64_t size, const char *note, size_t len);

/* Record tables: append-only rows (id, key, record). ids grow by one from 1; key is an
 * integer whose meaning belongs to the table (see sqlite.c's schema). */
enum {
    EX_TAB_SOURCES,    /* key: log index of the source's entry */
    EX_TAB_ITEMS,      /* key: first 8 bytes of the content digest (big-endian, signed) */
    EX_TAB_DECISIONS,  /* key: item id (indexed) */
    EX_TAB_BATCHES,    /* key: log index of the batch's entry */
    EX_TAB_QUARANTINE, /* key: 0 */
    EX_TAB_INPUTS,     /* key: 0; rows are rewritten as inputs progress (rec_put) */
    EX_TAB_POLICIES,   /* key: log index of the adoption's entry */
    EX_TAB_CAPTURES,   /* key: log index of the capture's entry (robots.txt, tdmrep.json) */
    EX_TAB_OPTOUTS,    /* key: log index of the opt-out's entry */
    EX_TAB_COUNT
};

typedef int (*ex_record_visit)(void *ctx, uint64_t id, int64_t key, const void *data, size_t len);

typedef struct ex_store_ops {
    void (*close)(ex_store *s);
    int (*begin)(ex_store *s);
    int (*commit)(ex_store *s);
    int (*rollback)(ex_store *s);
    int (*meta_get_dup)(ex_store *s, const char *key, char **value);
    int (*meta_put)(ex_store *s, const char *key, const char *value);
    int (*entry_count)(ex_store *s, uint64_t *n);
    int (*entries_put)(ex_store *s, uint64_t first, const void *const *data, const size_t *lens,
                       size_t n);
    int (*entry_get_dup)(ex_store *s, uint64_t index, uint8_t **data, size_t *len);
    int (*entry_scan)(ex_store *s, uint64_t from, ex_entry_visit fn, void *ctx);
    int (*tile_put)(ex_store *s, unsigned stratum, uint64_t index, const void *data, size_t len);
    /* copies at most cap bytes into buf; EX_ENOTFOUND if absent, EX_ETOOBIG if larger */
    int (*tile_get)(ex_store *s, unsigned stratum, uint64_t index, void *buf, size_t cap,
                    size_t *len);
    int (*tile_scan)(ex_store *s, ex_tile_visit fn, void *ctx);
    int (*checkpoint_put)(ex_store *s, uint64_t size, const char *note, size_t len);
    /* size = UINT64_MAX: the latest */
    int (*checkpoint_get_dup)(ex_store *s, uint64_t size, char **note, size_t *len);
    int (*checkpoint_scan)(ex_store *s, ex_checkpoint_visit fn, void *ctx);
    /* append a record; *id gets its id */
    int (*rec_append)(ex_store *s, int table, int64_t key, const void *data, size_t len,
                      uint64_t *id);
    int (*rec_get_dup)(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data,
                       size_t *len);
    /* records with from <= id < to, in id order */
    int (*rec_scan)(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn,
                    void *ctx);
    /* records with this key, in id order (indexed for EX_TAB_DECISIONS) */
    int (*rec_scan_key)(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx);
    /* append n records with ids first, first+1, ...; fails (nothing written) if one exists */
    int (*rec_insert_many)(ex_store *s, int table, uint64_t first, size_t n, const int64_t *keys,
                           const void *const *data, const size_t *lens);
    /* insert or replace the record with this id */
    int (*rec_put)(ex_store *s, int table, uint64_t id, int64_t key, const void *data,
                   size_t len);
    /* the largest id, 0 if none */
    int (*rec_max)(ex_store *s, int table, uint64_t *id);
    /* the id and key of every record, in no particular order, without reading the records
     * (SQLite: from the key's index where the table has one) */
    int (*rec_keys)(ex_store *s, int table, ex_record_visit fn, void *ctx);
    /* a long run of batched writes begins (on = 1) or ends (on = 0): the store may move its
     * housekeeping off the writing thread meanwhile (SQLite: WAL checkpoints). Best effort:
     * without it the writes are the same, only slower. May be NULL. */
    void (*bulk)(ex_store *s, int on);
} ex_store_ops;

struct ex_store {
    const ex_store_ops *ops;
    ex_err err;
};

typedef struct ex_store_opts {
    int create;    /* make a new database; fails if one exists */
    int read_only; /* open without write access */
    int durable;   /* fsync every commit */
} ex_store_opts;

/* Open (or with opts->create, create) the SQLite store at path (":memory:" allowed) and bring
 * its schema to the current version. EX_EDB with SQLite's reason on a corrupt file. */
int ex_store_open_sqlite(const char *path, const ex_store_opts *opts, ex_store **out, ex_err *err);

/* Latest schema version this build reads and writes. */
#define EX_STORE_SCHEMA 4
/* Oldest version it reads as it is, without migrating (read-only opens): 4 only added packed
 * records, which readers tell apart from plain ones. Older ones are migrated by the next
 * command that writes. */
#define EX_STORE_READ_MIN 3

static inline void
ex_store_close(ex_store *s)
{
    if (s)
        s->ops->close(s);
}

static inline const char *
ex_store_errmsg(const ex_store *s)
{
    return s->err.msg;
}

#endif
