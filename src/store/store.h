/* store.h - the one storage interface. Everything that speaks SQL lives behind it; the
 * embedded SQLite store is the default, a shared PostgreSQL store plugs in the same way.
 *
 * Errors: every op that returns int returns EX_OK or a negative code and leaves a message in
 * ex_store_errmsg() (the encoder's and decoder's ops excepted: they touch no store). EX_EDB is
 * the database's own failure (SQLite's reason in the message), EX_ENOMEM, and what each op
 * names.
 * Ownership: `_dup` out-parameters are malloc'd (caller frees). Data a visitor is given is
 * borrowed until the visitor returns.
 *
 * Threads: a store is one connection to the database. Its ops run on one thread at a time
 * (SQLite: the connection is opened without a mutex); the caller may hand it from thread to
 * thread with its own synchronisation (the ingest's writer thread commits batches on the
 * ledger's store while the sequencer leaves it alone). Everything below is per store: the
 * transaction (begin/commit/rollback), the message, statements and buffers. Several stores may
 * be open on one database, on different threads at once: a read-only store (ex_ledger_reader)
 * reads concurrently with a writing one and sees what was committed (SQLite's WAL; not for
 * ":memory:", which is one connection); writers take turns (begin waits up to 10 s for
 * another store's write transaction, then EX_EDB). Encoders (enc_new) and decoders (dec_new)
 * belong to no connection: encode and decode may run on any thread, concurrently with the
 * store's ops, one encoder or decoder per thread.
 *
 * Record encoding: a record table's rows hold records in the store's encoding, which only the
 * store knows. Items and decisions are written a batch at a time: encode_batch makes the
 * stored form of a batch's records (SQLite: one block, block.h), which callers run ahead of
 * time and on other threads (the ingest's writer thread encodes a batch before its
 * transaction, while the sequencer fills the next), and batch_put stores it; the other tables
 * take plain records (rec_append, rec_put, rec_insert_many) and keep them as they are. Every
 * read (rec_get_dup, rec_scan, rec_scan_key) gives back plain records: the bytes that were
 * encoded; rec_scan_stored gives the stored forms, which a decoder (dec_new) turns back into
 * them, on any thread, like an encoder (SQLite: its blocks are decompressed by the scan, so a
 * decoder has nothing left to do but for the packed rows of ledgers of schema 4 to 7). */
#ifndef EX_STORE_H
#define EX_STORE_H

#include "core/core.h"

typedef struct ex_store ex_store;

/* A record encoder: the store's per-thread state for making the stored form of records. */
typedef struct ex_store_enc ex_store_enc;

/* Visitors for scans; a non-EX_OK return stops the scan and is passed back. A visitor may
 * call other ops on the same store (reads, and writes to other tables), but not the scan it is
 * called from (the same op on the same table): that statement is in use. */
typedef int (*ex_entry_visit)(void *ctx, uint64_t index, const void *data, size_t len);
typedef int (*ex_tile_visit)(void *ctx, unsigned stratum, uint64_t index, const void *data,
                             size_t len);
typedef int (*ex_checkpoint_visit)(void *ctx, uint64_t size, const char *note, size_t len);

/* Record tables: append-only rows (id, key, record). ids grow by one from 1; key is an
 * integer whose meaning belongs to the table (see sqlite.c's schema). An op given a table
 * that is not one of these fails with EX_EDB. */
enum {
    EX_TAB_SOURCES,    /* key: log index of the source's entry */
    EX_TAB_ITEMS,      /* key: 0 (schema 8, blocks: ex_ledger_item_key reads the digest's from
                          the record); schemas 3-7: first 8 bytes of the content digest */
    EX_TAB_DECISIONS,  /* key: item id (an item's decisions: rec_scan_key) */
    EX_TAB_BATCHES,    /* key: log index of the batch's entry */
    EX_TAB_QUARANTINE, /* key: 0 */
    EX_TAB_INPUTS,     /* key: 0; rows are rewritten as inputs progress (rec_put) */
    EX_TAB_POLICIES,   /* key: log index of the adoption's entry */
    EX_TAB_CAPTURES,   /* key: log index of the capture's entry (robots.txt, tdmrep.json) */
    EX_TAB_OPTOUTS,    /* key: log index of the opt-out's entry */
    EX_TAB_SNAPSHOTS,  /* key: log index of the snapshot record's entry */
    EX_TAB_SNAPLEAVES, /* key: that index again (indexed); records: chunks of its sorted
                          member digests, each 'L' then 32-byte digests (never a zstd frame) */
    EX_TAB_ATTESTATIONS, /* key: log index of the attestation's entry; records: DSSE envelopes */
    EX_TAB_RETIREMENTS,  /* key: log index of the retirement's entry; records: the entries */
    EX_TAB_NEAR,         /* id: the item's; key: its ISCC Text-Code (first 64 bits, 0: none);
                            records: its near-duplicate fingerprint, stored as it is
                            (dedup/near.h) */
    EX_TAB_SUBMISSIONS,  /* key: log index of the entry; opt-out requests, complaints, reviews
                            (schema 9; absent below it) */
    EX_TAB_COUNT
};

/* A visitor of groups of decisions (dec_roots): ids first .. first + n - 1, their root. */
typedef int (*ex_root_visit)(void *ctx, uint64_t first, uint64_t n, const uint8_t *root);

/* A record visitor: data is the plain record (len bytes; for rec_keys NULL and 0; for
 * rec_scan_stored the stored form). */
typedef int (*ex_record_visit)(void *ctx, uint64_t id, int64_t key, const void *data, size_t len);
/* A row filter (rec_scan_stored), asked with a row's id and key before its record is read: 1
 * to have the row visited, 0 to pass over it, or a negative code that stops the scan and is
 * passed back. */
typedef int (*ex_record_want)(void *ctx, uint64_t id, int64_t key);

/* A record decoder: the store's per-thread state for reading stored forms back. */
typedef struct ex_store_dec ex_store_dec;

/* A staged batch (the shared store's workers and sequencer: pg_stage.c): the entries a worker
 * read from one input, up to `through`, for the sequencer to decide and log. */
typedef struct ex_staged {
    uint64_t id;                 /* its row, in staging order */
    const char *input;           /* the input's key: "<source>\n<path>" */
    const char *source, *path;   /* the source and path the worker read */
    const char *policy;          /* the digest of the policy it read under, "" for none */
    const char *worker, *version; /* the worker's name and exante version */
    int format;                  /* EX_FORMAT_* */
    int done;                    /* the input is read to its end */
    uint64_t size, mtime;        /* the input file's, when read */
    uint64_t start, through;     /* it holds the records from offset start to below through */
    uint64_t n;                  /* its entries */
    const void *entries;         /* the entries, as the worker wrote them (stage.c) */
    size_t len;
} ex_staged;

/* A lease's state after lease_claim. */
enum { EX_LEASE_TAKEN, EX_LEASE_HELD, EX_LEASE_DONE };

typedef int (*ex_staged_visit)(void *ctx, const ex_staged *b);

typedef struct ex_store_ops {
    /* Close the connection: ends bulk mode, rolls back an open transaction. */
    void (*close)(ex_store *s);

    /* ---- transactions ----
     * They nest: the outermost begin starts a write transaction (SQLite: BEGIN IMMEDIATE, so
     * it waits here, up to 10 s, for another store's writer, then EX_EDB); inner ones are
     * savepoints. Each begin that succeeded is ended by one commit or one rollback. */
    int (*begin)(ex_store *s);
    /* End the innermost level, keeping its writes; EX_EDB without a transaction. On
     * failure the level is still open: roll it back. */
    int (*commit)(ex_store *s);
    /* Undo the innermost level's writes and end it; EX_OK without a transaction. */
    int (*rollback)(ex_store *s);

    /* ---- metadata: short text values by key ---- */
    /* *value: the value, malloc'd; EX_ENOTFOUND (message names the key) if there is none. */
    int (*meta_get_dup)(ex_store *s, const char *key, char **value);
    /* Set key to value (insert or replace). */
    int (*meta_put)(ex_store *s, const char *key, const char *value);

    /* ---- log entries, by index from 0 ---- */
    /* *n: the largest index plus one, 0 if none (EX_EDB if a negative index is stored). */
    int (*entry_count)(ex_store *s, uint64_t *n);
    /* Store n entries at first, first+1, ...; EX_EDB if an index is taken. Entries before the
     * failing one stay written: call it inside a transaction and roll back on failure. */
    int (*entries_put)(ex_store *s, uint64_t first, const void *const *data, const size_t *lens,
                       size_t n);
    /* *data: entry `index`, malloc'd (a NUL follows its *len bytes); EX_ENOTFOUND if none. */
    int (*entry_get_dup)(ex_store *s, uint64_t index, uint8_t **data, size_t *len);
    /* Entries with index >= from, in index order. */
    int (*entry_scan)(ex_store *s, uint64_t from, ex_entry_visit fn, void *ctx);

    /* ---- tiles of tree hashes, by stratum and index ---- */
    /* Store a tile (insert or replace: partial tiles are rewritten as they grow). */
    int (*tile_put)(ex_store *s, unsigned stratum, uint64_t index, const void *data, size_t len);
    /* Copies the tile into buf (cap bytes), its size into *len; EX_ENOTFOUND if absent,
     * EX_ETOOBIG if larger than cap (nothing copied). */
    int (*tile_get)(ex_store *s, unsigned stratum, uint64_t index, void *buf, size_t cap,
                    size_t *len);
    /* Every tile, by stratum, then index. */
    int (*tile_scan)(ex_store *s, ex_tile_visit fn, void *ctx);

    /* ---- signed checkpoints, by tree size ---- */
    /* Store the note for size (insert or replace). */
    int (*checkpoint_put)(ex_store *s, uint64_t size, const char *note, size_t len);
    /* *note: the note at size (UINT64_MAX: the latest), malloc'd (a NUL follows its *len
     * bytes); EX_ENOTFOUND if none. */
    int (*checkpoint_get_dup)(ex_store *s, uint64_t size, char **note, size_t *len);
    /* Every checkpoint, by size. */
    int (*checkpoint_scan)(ex_store *s, ex_checkpoint_visit fn, void *ctx);

    /* ---- records (EX_TAB_*) ---- */
    /* Append a plain record with the next id (the largest plus one; 1 in an empty table),
     * stored as it is; *id (may be NULL) gets it. */
    int (*rec_append)(ex_store *s, int table, int64_t key, const void *data, size_t len,
                      uint64_t *id);
    /* *data: record `id`, plain, malloc'd (a NUL follows its *len bytes); *key (may be NULL)
     * its key. EX_ENOTFOUND if none; EX_EFORMAT if its stored form does not decode (the
     * message names table, id and reason). */
    int (*rec_get_dup)(ex_store *s, int table, uint64_t id, int64_t *key, uint8_t **data,
                       size_t *len);
    /* Records with from <= id < to, in id order, plain; a record that does not decode stops
     * the scan with EX_EFORMAT, as in rec_get_dup. */
    int (*rec_scan)(ex_store *s, int table, uint64_t from, uint64_t to, ex_record_visit fn,
                    void *ctx);
    /* Records with this key, in id order, as rec_scan (indexed for EX_TAB_DECISIONS; a scan
     * of the whole table for the others). */
    int (*rec_scan_key)(ex_store *s, int table, int64_t key, ex_record_visit fn, void *ctx);
    /* Insert n records, in the store's encoding (made by encode; SQLite also takes plain
     * ones), with ids first, first+1, ...; EX_EDB if an id is taken. Without a transaction of
     * the caller's it runs in one of its own and nothing is written on failure; inside the
     * caller's, the rows before the failing one stay written until the caller rolls back. */
    int (*rec_insert_many)(ex_store *s, int table, uint64_t first, size_t n, const int64_t *keys,
                           const void *const *data, const size_t *lens);
    /* Insert or replace record `id` with a plain record, stored as it is. */
    int (*rec_put)(ex_store *s, int table, uint64_t id, int64_t key, const void *data,
                   size_t len);
    /* *id: the largest id, 0 if the table is empty. */
    int (*rec_max)(ex_store *s, int table, uint64_t *id);
    /* The id and key of every record, in no particular order, without reading the records
     * (SQLite: from the key's index where the table has one). */
    int (*rec_keys)(ex_store *s, int table, ex_record_visit fn, void *ctx);
    /* Copy bytes [off, off + len) of record `id` into buf without reading the rest of it, for
     * the tables whose records are stored as they are (EX_TAB_SNAPLEAVES; EX_EINVAL for the
     * others). EX_ENOTFOUND if there is no such record, EX_ERANGE if the part passes its end.
     * Fast when the reads stay in one table: SQLite keeps an incremental blob handle open
     * between them (begin, and a write to the row, give it up). */
    int (*rec_read_at)(ex_store *s, int table, uint64_t id, uint64_t off, void *buf, size_t len);
    /* Bound the memory the store keeps for what it reads to about `bytes`, whatever the
     * size of the database: for a long run of scattered reads (filter's lookups), whose
     * touched pages would otherwise stay in the process (SQLite: no memory-mapped reads, a
     * page cache of `bytes`). */
    int (*read_memory)(ex_store *s, size_t bytes);

    /* Records with from <= id < to, newest first (descending id), as stored: in the store's
     * encoding, for a decoder (dec_new) to read back, on this thread or another (a reader of
     * every key's latest record shares the unpacking between threads). want (NULL: every
     * row) is asked first with each row's id and key, and a row it passes over is not read:
     * a reader that has seen a key's latest record skips its older ones unread. */
    int (*rec_scan_stored)(ex_store *s, int table, uint64_t from, uint64_t to,
                           ex_record_want want, ex_record_visit fn, void *ctx);

    /* ---- the record decoder ---- */
    /* *out: a new decoder for s's encoding, for one thread; free it before s is closed. Like
     * an encoder it reads nothing of s but its kind and may be made on any thread. EX_ENOMEM
     * (no message). */
    int (*dec_new)(ex_store *s, ex_store_dec **out);
    /* Free a decoder; accepts NULL. */
    void (*dec_free)(ex_store_dec *d);
    /* The plain record whose stored form (as rec_scan_stored gives it) is data (len bytes),
     * row id of table: *rec (rlen bytes) is data itself or the decoder's buffer, valid while
     * data is and until the decoder's next call. EX_EFORMAT for a stored form that does not
     * decode, with "<table> record <id>: <reason>" in err (may be NULL), as rec_get_dup
     * says it; EX_ENOMEM. Never touches a store: runs on the decoder's thread, beside any
     * store op. */
    int (*decode)(ex_store_dec *d, int table, uint64_t id, const void *data, size_t len,
                  const void **rec, size_t *rlen, ex_err *err);

    /* ---- the record encoder ---- */
    /* *out: a new encoder for s's encoding, for one thread; free it before s is closed. It
     * reads nothing of s but its kind, so it may be made on any thread. EX_ENOMEM (no
     * message). */
    int (*enc_new)(ex_store *s, ex_store_enc **out);
    /* Free an encoder; accepts NULL. */
    void (*enc_free)(ex_store_enc *e);
    /* Append to out the stored form of one batch's records, for batch_put: ni item records
     * (items[i], ilens[i] bytes) and nd decision records with their Merkle leaf hashes
     * (leaves[i], RFC 9162: the store keeps subtree roots of them for dec_roots), the first
     * `paired` decisions being the first `paired` items' (SQLite: blocks, block.h, in the
     * order sqlite_block.c describes). EX_ENOMEM, or EX_EINVAL for paired over ni or nd, no records, or a batch
     * over the store's limit (SQLite: EX_BLOCK_MAX_RECORDS records, EX_BLOCK_MAX_BYTES); no
     * message, and out keeps its length. Never touches a store: runs on the encoder's
     * thread, beside any store op. */
    int (*encode_batch)(ex_store_enc *e, size_t ni, const void *const *items,
                        const size_t *ilens, size_t nd, const void *const *decs,
                        const size_t *dlens, size_t paired, const uint8_t (*leaves)[EX_HASH_BYTES],
                        ex_buf *out);

    /* Store a batch that encode_batch made (data, len bytes): its items get ids first_item ..
     * first_item + ni - 1, its decisions first_dec .. with keys dkeys[0..nd) (dkeys[k] =
     * first_item + k for k < paired). The items and decisions of a ledger are only ever
     * written this way. EX_EDB if those ids do not follow the ones stored (another writer
     * took them: roll back); EX_EINVAL for keys that do not pair. */
    int (*batch_put)(ex_store *s, uint64_t first_item, size_t ni, uint64_t first_dec, size_t nd,
                     const int64_t *dkeys, size_t paired, const void *data, size_t len);

    /* Check what the store keeps beside the records to find them against the records' rows
     * (SQLite: the blocks' indexes by item and by decision id give the blocks in the table's
     * order, their ranges following each other from 1; decision_keys holds exactly the
     * decisions that are not their item's first, under the item their block names). EX_EVERIFY
     * with the first misfit in the message; EX_EDB. */
    int (*check_indexes)(ex_store *s);

    /* The groups of decisions the store keeps (SQLite: its blocks, in id order) that hold a
     * decision with from <= id < to (the first and last may reach outside): for each, its first
     * id, its count and the RFC 9162 root of their leaf hashes, as encode_batch was given them (a proof of one decision in its batch then reads
     * one group's records, not the batch's: why.c). Derived data: log verify checks them.
     * EX_EFORMAT for a group without its root. */
    int (*dec_roots)(ex_store *s, uint64_t from, uint64_t to, ex_root_visit fn, void *ctx);

    /* A long run of batched writes begins (on = 1) or ends (on = 0): the store may move its
     * housekeeping off the writing thread meanwhile (SQLite: WAL checkpoints, on a thread and
     * connection of their own, started here and joined when it ends; nothing for ":memory:"
     * or a read-only store). Best effort: without it the writes are the same, only slower.
     * Repeating on or off changes nothing. May be NULL. */
    void (*bulk)(ex_store *s, int on);

    /* ---- workers and the sequencer (PostgreSQL; NULL in SQLite) ----
     * Leases: an input is read by one worker at a time. Claim input for worker for secs
     * seconds: *state EX_LEASE_TAKEN (now the worker's: a new lease, an expired one, or its
     * own), with *through the offset staged so far; EX_LEASE_HELD by *holder (cap bytes) for
     * *left more seconds; EX_LEASE_DONE: read to its end. With takeover, only a lease that
     * exists and expired is taken (one never claimed is left to the worker whose share it
     * is). */
    int (*lease_claim)(ex_store *s, const char *input, const char *worker, unsigned secs,
                       int takeover, int *state, uint64_t *through, char *holder, size_t cap,
                       double *left);
    /* Stage b (its id is ignored) and renew its input's lease for secs seconds, advancing it
     * to b->through (b->done: finished), in one statement: EX_ENOTFOUND if the lease is not
     * b->worker's any more (taken over after it expired; nothing staged). */
    int (*stage_put)(ex_store *s, const ex_staged *b, unsigned secs, uint64_t *id);
    /* Up to max staged batches with ids above after, in id order (the visitor may use the
     * store). */
    int (*stage_scan)(ex_store *s, uint64_t after, size_t max, ex_staged_visit fn, void *ctx);
    /* Remove staged batch id (inside the transaction that logs it): EX_ENOTFOUND if it is
     * not there (another sequencer took it). */
    int (*stage_delete)(ex_store *s, uint64_t id);
    /* Drop the staged batches of every input that has one read under another policy than
     * `policy` ("" for none), from that one on, and hand those inputs back (their leases
     * expired, rewound to where the first dropped batch started, not done): workers read
     * them again. *inputs: how many. */
    int (*stage_discard)(ex_store *s, const char *policy, uint64_t *inputs);
    /* Become the ledger's one sequencer for the life of this connection: EX_EEXIST naming
     * the other one's connection if it is taken. */
    int (*seq_lock)(ex_store *s);
    /* How many batches are staged, and inputs leased and not done. */
    int (*stage_counts)(ex_store *s, uint64_t *staged, uint64_t *open);
    /* Remove every table of the ledger (a failed init undone: PostgreSQL drops the schema;
     * NULL in SQLite, whose file is unlinked instead). */
    int (*drop_all)(ex_store *s);
    /* End whatever read is still open on this connection (SQLite: its cached blob handles and
     * any statement left mid-scan hold a read transaction, which pins the snapshot it
     * began with), so the next read sees the latest commit: a long-lived reader catching up
     * (ex_ledger_refresh). Outside transactions only. NULL where nothing stays open
     * (PostgreSQL: every read is its own statement). */
    void (*release)(ex_store *s);
} ex_store_ops;

struct ex_store {
    const ex_store_ops *ops;
    ex_err err;
    int schema; /* the schema version the database has (a read-only open may leave it below
                   EX_STORE_SCHEMA: tables added since are then absent) */
};

typedef struct ex_store_opts {
    int create;    /* make a new database; fails if one exists */
    int read_only; /* open without write access */
    int durable;   /* fsync every commit */
} ex_store_opts;

/* Open (or with opts->create, create) the SQLite store at path (":memory:" allowed) and bring
 * its schema to the current version. EX_EDB with SQLite's reason on a corrupt file. */
int ex_store_open_sqlite(const char *path, const ex_store_opts *opts, ex_store **out, ex_err *err);

/* Open (or with opts->create, create) the PostgreSQL store at a libpq connection URL
 * (postgresql://...; pg.c): its tables in the schema `exante` of that database, brought to the
 * current version. EX_EINVAL for a URL libpq cannot parse; EX_EDB for a server that cannot be
 * reached or refuses (libpq's reason) or a schema newer than this build's; EX_EEXIST (create)
 * if the database holds a ledger; EX_ENOLEDGER if it holds none. */
int ex_store_open_pg(const char *url, const ex_store_opts *opts, ex_store **out, ex_err *err);

/* EX_OK if libpq can parse url, else EX_EINVAL with its reason ("not a PostgreSQL connection
 * URL: ..."): before anything is made or opened for it. */
int ex_store_url_check(const char *url, ex_err *err);

/* 1 if where names a PostgreSQL database (postgresql:// or postgres://), else 0 (a path). */
int ex_store_is_url(const char *where);

/* Latest schema version this build reads and writes. */
#define EX_STORE_SCHEMA 9
/* Oldest version it reads as it is, without migrating (read-only opens): 4 only added packed
 * records, which readers tell apart from plain ones, 5 the snapshot tables, 6 the
 * attestation tables and 7 the near-duplicate fingerprints, which a ledger that never had
 * them has no use for (reading them fails: no such table); 8 moved items and decisions into
 * blocks, and a store below 8 reads them from their old tables. Older ones are migrated by
 * the next command that writes. */
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
