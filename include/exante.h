/*
 * exante.h - public API of libexante, the training-data lineage ledger.
 *
 * Conventions (stated once, they hold for every function below):
 *
 *   - Every call that can fail returns int: EX_OK (0) or a negative EX_E... code.
 *     Results come back through out-parameters, which are left untouched on failure
 *     unless the comment says otherwise. ex_strerror() names a code.
 *   - Detail: functions without a handle take an optional `ex_err *` (may be NULL) that
 *     receives a one-line lowercase message; handles keep their last message, read with
 *     ex_ledger_errmsg() / ex_log_errmsg().
 *   - Ownership: ex_x_open()/ex_x_new() pair with ex_x_close()/ex_x_free(), which accept
 *     NULL. Returned pointers are borrowed and stay valid until the owning handle is closed,
 *     unless the name ends in _dup or the comment says "caller frees": those are malloc'd
 *     and released with free().
 *   - Hashes and signatures go into caller-provided fixed-size arrays (sizes below).
 *   - The library never prints and never exits.
 *   - Threads: each handle type says at its typedef whether several threads may share one.
 *     Distinct handles may be used on distinct threads at once, and functions without a
 *     handle (ex_note_verify, ex_log_proof_verify, ex_policy_check, ...) from any number of
 *     threads: the library's only shared state (its compression dictionaries, the compiled
 *     field paths log verify reads decisions with and snapshot proof verification reads
 *     records with) is made once under pthread_once and only read after. Values passed as
 *     const (ex_vkey, ex_checkpoint, ex_log_proof) are only read.
 */
#ifndef EXANTE_H
#define EXANTE_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EX_VERSION "0.1.0"

#define EX_HASH_BYTES 32
#define EX_DIGEST_STR_LEN 71    /* "sha256:" and 64 lowercase hex digits */
#define EX_DIGEST_STR_BYTES 72  /* the same with its NUL */
#define EX_ED25519_PUB_BYTES 32
#define EX_ED25519_SEED_BYTES 32
#define EX_ED25519_SIG_BYTES 64
#define EX_KEYID_BYTES 4
#define EX_NAME_MAX 255          /* key names and log origins, bytes */
#define EX_VKEY_MAX 400          /* a C2SP verifier key string, with NUL */
#define EX_ENTRY_MAX 65535       /* a log entry: entry bundles use 2-byte lengths */
#define EX_MERKLE_MAX_PROOF 130  /* hashes in any inclusion or consistency proof */
#define EX_TILE_HEIGHT 8
#define EX_TILE_WIDTH 256

#if defined(__GNUC__) || defined(__clang__)
#define EX_MUST_CHECK __attribute__((warn_unused_result))
#else
#define EX_MUST_CHECK
#endif

/* Status codes. */
enum {
    EX_OK = 0,
    EX_ENOMEM = -1,     /* out of memory */
    EX_EINVAL = -2,     /* invalid argument or input */
    EX_EFORMAT = -3,    /* malformed data (note, checkpoint, proof, key) */
    EX_EVERIFY = -4,    /* a signature, proof or recomputed hash did not match */
    EX_ERANGE = -5,     /* index or size out of range */
    EX_ENOTFOUND = -6,  /* no such item */
    EX_EEXIST = -7,     /* already exists */
    EX_EIO = -8,        /* file system error */
    EX_EDB = -9,        /* database error */
    EX_ECRYPTO = -10,   /* the crypto library failed */
    EX_ENOLEDGER = -11, /* no ledger in the given directory */
    EX_ETOOBIG = -12,   /* input over a size limit */
};

/* The name of a status code ("invalid argument"); never NULL. */
const char *ex_strerror(int rc);

/* Detail for calls without a handle. */
typedef struct ex_err {
    int code;
    char msg[256];
} ex_err;

/* ---- hashing (core) --------------------------------------------------- */

/* A reusable SHA-256 context (OpenSSL's digest fetched once, its context reused). One thread
 * at a time: make one per thread. */
typedef struct ex_sha256 ex_sha256;

/* Make a hasher; EX_ENOMEM or EX_ECRYPTO on failure. */
int ex_sha256_new(ex_sha256 **out);
void ex_sha256_free(ex_sha256 *h);
/* SHA-256(data). */
int ex_sha256_digest(ex_sha256 *h, const void *data, size_t len, uint8_t out[EX_HASH_BYTES]);
/* Incremental: start, feed, finish. */
int ex_sha256_begin(ex_sha256 *h);
int ex_sha256_update(ex_sha256 *h, const void *data, size_t len);
int ex_sha256_end(ex_sha256 *h, uint8_t out[EX_HASH_BYTES]);
/* SHA-256 of a whole file, streamed; EX_EIO with errno text in err on failure. */
int ex_sha256_file(ex_sha256 *h, const char *path, uint8_t out[EX_HASH_BYTES], uint64_t *size,
                   ex_err *err);

/* ---- encodings (core) ------------------------------------------------- */

/* Lowercase hex; out needs 2*len+1 bytes. */
void ex_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decode exactly `len` bytes from 2*len hex digits (either case); EX_EFORMAT otherwise. */
int ex_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t len);
/* Standard base64 with padding; out needs 4*((len+2)/3)+1 bytes. Returns the length. */
size_t ex_b64_encode(const uint8_t *in, size_t len, char *out);
/* Strict canonical base64 decode: padding required, no whitespace, unused bits zero.
 * Writes at most `cap` bytes (on EX_EFORMAT, out may hold some of them); EX_EFORMAT if
 * malformed, EX_ETOOBIG if over cap. */
int ex_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);
/* The value of field `name` in an application/x-www-form-urlencoded body[0..len) (the first
 * such field; '+' is a space, %XX a byte, a malformed escape kept as written), malloc'd into
 * *out, NUL-terminated, *olen bytes (it may hold NULs). EX_ENOTFOUND without the field,
 * EX_ENOMEM. */
int ex_form_value_dup(const char *body, size_t len, const char *name, char **out, size_t *olen);
/* 1 if s[0..len) is valid UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
int ex_utf8_valid(const char *s, size_t len);
/* "sha256:<hex>" (out needs EX_DIGEST_STR_BYTES) and its inverse. */
void ex_digest_format(const uint8_t d[EX_HASH_BYTES], char out[EX_DIGEST_STR_BYTES]);
int ex_digest_parse(const char *s, uint8_t d[EX_HASH_BYTES]);

/* ---- canonical JSON (core) -------------------------------------------- */

struct json_t; /* a jansson value */

/* The canonical form of v (UTF-8, sorted keys, no insignificant whitespace, minimal escapes:
 * the form records are hashed in) as a NUL-terminated string, malloc'd (caller frees); *len
 * (may be NULL) gets its length. EX_EINVAL for reals, integers beyond +-(2^53 - 1) and
 * strings that are not UTF-8; EX_ENOMEM. */
int ex_json_canonical_dup(const struct json_t *v, char **out, size_t *len, ex_err *err);

/* ---- merkle: RFC 9162 trees ------------------------------------------ */

/* leaf = SHA-256(0x00 || data); node = SHA-256(0x01 || left || right). */
int ex_merkle_leaf(ex_sha256 *h, const void *data, size_t len, uint8_t out[EX_HASH_BYTES]);
int ex_merkle_node(ex_sha256 *h, const uint8_t l[EX_HASH_BYTES], const uint8_t r[EX_HASH_BYTES],
                   uint8_t out[EX_HASH_BYTES]);
/* Root of n leaf hashes held in memory (n = 0: SHA-256 of the empty string). */
int ex_merkle_root(ex_sha256 *h, const uint8_t (*leaves)[EX_HASH_BYTES], uint64_t n,
                   uint8_t out[EX_HASH_BYTES]);

/* Supplies the hash of the complete subtree at (level, index): leaves
 * [index<<level, (index+1)<<level). Returns EX_OK or an error that aborts the caller. */
typedef int (*ex_merkle_read_fn)(void *ctx, unsigned level, uint64_t index,
                                 uint8_t out[EX_HASH_BYTES]);

/* Hash of leaves [lo, hi) of any tree of size >= hi, from stored complete subtrees;
 * lo must be a multiple of the largest power of two below hi-lo (as in every RFC 9162
 * subtree). O(log n) reads. */
int ex_merkle_range_hash(ex_sha256 *h, ex_merkle_read_fn rd, void *ctx, uint64_t lo, uint64_t hi,
                         uint8_t out[EX_HASH_BYTES]);
/* Inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1).
 * Writes *n hashes (at most EX_MERKLE_MAX_PROOF); EX_ERANGE if index >= size. */
int ex_merkle_prove_inclusion(ex_sha256 *h, ex_merkle_read_fn rd, void *ctx, uint64_t index,
                              uint64_t size, uint8_t proof[][EX_HASH_BYTES], size_t *n);
/* Consistency proof between sizes old <= new (RFC 9162 2.1.4.1); EX_ERANGE otherwise. */
int ex_merkle_prove_consistency(ex_sha256 *h, ex_merkle_read_fn rd, void *ctx, uint64_t old,
                                uint64_t size, uint8_t proof[][EX_HASH_BYTES], size_t *n);
/* RFC 9162 2.1.3.2: EX_OK if `leaf` at `index` is in the tree of `size` with `root`,
 * EX_EVERIFY otherwise. Roots are compared byte for byte with their lengths. */
EX_MUST_CHECK int ex_merkle_verify_inclusion(ex_sha256 *h, uint64_t index, uint64_t size,
                                             const uint8_t leaf[EX_HASH_BYTES],
                                             const uint8_t (*proof)[EX_HASH_BYTES], size_t n,
                                             const uint8_t *root, size_t root_len);
/* RFC 9162 2.1.4.2: EX_OK if the tree of size1 with root1 is a prefix of the tree of size2
 * with root2; EX_EVERIFY otherwise (size1 = 0 is refused: it proves nothing). */
EX_MUST_CHECK int ex_merkle_verify_consistency(ex_sha256 *h, uint64_t size1, uint64_t size2,
                                               const uint8_t (*proof)[EX_HASH_BYTES], size_t n,
                                               const uint8_t *root1, size_t root1_len,
                                               const uint8_t *root2, size_t root2_len);

/* Sorted trees (the snapshot tree of PROOFS.md): the leaves are 32-byte digests d[0..n) in
 * memory, leaf i hashed as H(0x00 || d[i]), in the RFC 9162 shape. Computed from the digests
 * with one reused hasher and no allocation: the root in O(n) time and O(log n) memory, a proof
 * from the O(log n) subtree roots beside the path (each hashed from its digests). */

/* Root of the RFC 9162 tree whose leaves are the n digests d[0..n) (leaf hash H(0x00||d[i]));
 * n = 0: H(""). EX_ECRYPTO if hashing fails. */
int ex_merkle_sorted_root(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n,
                          uint8_t out[EX_HASH_BYTES]);
/* Inclusion proof of leaf i in that tree (*np hashes, at most EX_MERKLE_MAX_PROOF, leaf level
 * first); EX_ERANGE if i >= n, EX_ECRYPTO if hashing fails. */
int ex_merkle_sorted_prove(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n,
                           uint64_t i, uint8_t proof[][EX_HASH_BYTES], size_t *np);
/* EX_OK if d[0..n) is strictly ascending (unsigned bytes); else EX_EVERIFY with *bad (may be
 * NULL) the first i >= 1 with d[i] <= d[i-1]. */
EX_MUST_CHECK int ex_merkle_sorted_check(const uint8_t (*d)[EX_HASH_BYTES], uint64_t n,
                                         uint64_t *bad);

/* ---- signing: Ed25519 keys, C2SP signed notes ------------------------- */

/* A signing key: Ed25519 private key plus its C2SP key name. Read-only once made: the
 * functions that take a const ex_key * (ex_key_sign, ex_key_vkey, ex_key_save, ...) may run
 * on several threads at once with one key (each signature makes its own OpenSSL context);
 * ex_key_free only after they are done. */
typedef struct ex_key ex_key;

/* A C2SP verifier key: name, 4-byte key ID, Ed25519 public key. */
typedef struct ex_vkey {
    char name[EX_NAME_MAX + 1];
    uint8_t id[EX_KEYID_BYTES];
    uint8_t pub[EX_ED25519_PUB_BYTES];
} ex_vkey;

/* New random key named `name` (C2SP rules: non-empty, no '+', no whitespace). */
int ex_key_generate(const char *name, ex_key **out, ex_err *err);
/* Key from a C2SP signer string "PRIVATE+KEY+name+keyid+base64(0x01||seed)". */
int ex_key_from_signer(const char *s, ex_key **out, ex_err *err);
/* Load a PKCS#8 PEM private key (passphrase may be NULL); the file must not be readable by
 * group or others. */
int ex_key_load(const char *path, const char *name, const char *passphrase, ex_key **out,
                ex_err *err);
/* Write the key as PKCS#8 PEM, encrypted with AES-256-CBC when passphrase is non-NULL and
 * non-empty; the file is created with mode 0600 and must not exist. */
int ex_key_save(const ex_key *k, const char *path, const char *passphrase, ex_err *err);
/* Wipes and frees. */
void ex_key_free(ex_key *k);
/* The key's verifier key, parsed and as a string (out needs EX_VKEY_MAX bytes). */
void ex_key_vkey(const ex_key *k, ex_vkey *out);
void ex_key_vkey_string(const ex_key *k, char out[EX_VKEY_MAX]);
const char *ex_key_name(const ex_key *k);
int ex_key_sign(const ex_key *k, const void *msg, size_t len, uint8_t sig[EX_ED25519_SIG_BYTES]);

/* Parse "name+hexkeyid+base64(0x01||pub)"; the key ID must match the key. */
int ex_vkey_parse(const char *s, ex_vkey *out, ex_err *err);
void ex_vkey_format(const ex_vkey *v, char out[EX_VKEY_MAX]);

/* Sign `text` (must end in '\n', valid UTF-8, no control characters but '\n') as a C2SP note
 * with each key. *note is malloc'd (caller frees). */
int ex_note_sign(const char *text, size_t len, ex_key *const *keys, size_t nkeys, char **note,
                 size_t *note_len, ex_err *err);
/* Verify a signed note against known keys. Signatures by unknown keys are ignored; a
 * signature by a known key that does not verify fails the note. Succeeds only if at least
 * one known key verified; *text_len is then the length of the signed text (a prefix of note)
 * and *nverified (may be NULL) the number of verified signatures. EX_EFORMAT for a malformed
 * note, EX_EVERIFY for a bad or missing signature. */
EX_MUST_CHECK int ex_note_verify(const char *note, size_t len, const ex_vkey *keys, size_t nkeys,
                                 size_t *text_len, unsigned *nverified, ex_err *err);

/* ---- checkpoints (C2SP tlog-checkpoint) ------------------------------ */

typedef struct ex_checkpoint {
    char origin[EX_NAME_MAX + 1];
    uint64_t size;
    uint8_t root[EX_HASH_BYTES];
} ex_checkpoint;

/* Body text "origin\nsize\nbase64(root)\n" into buf; EX_ETOOBIG if cap is short. */
int ex_checkpoint_format(const ex_checkpoint *c, char *buf, size_t cap, size_t *len);
/* Parse a checkpoint body (extension lines after the root are allowed and ignored). */
int ex_checkpoint_parse(const char *text, size_t len, ex_checkpoint *out, ex_err *err);
/* Verify a signed checkpoint note with `key` and parse its body. */
EX_MUST_CHECK int ex_checkpoint_open(const char *note, size_t len, const ex_vkey *key,
                                     ex_checkpoint *out, ex_err *err);

/* ---- key rotation (docs/FORMATS.md "Key rotation") ------------------- */

/* A rotation record: a signed note by both keys saying that checkpoints of size `from` and
 * above are signed by new_key, those below by old_key (both named for the origin). */
typedef struct ex_rotation {
    char origin[EX_NAME_MAX + 1];
    uint64_t from;
    ex_vkey old_key, new_key;
} ex_rotation;

/* The text of a rotation record (to be signed by both keys) into buf; EX_ETOOBIG. */
int ex_rotation_text(const char *origin, uint64_t from, const char *old_vkey, const char *new_vkey,
                     char *buf, size_t cap, size_t *len);
/* Read a rotation record and check both its signatures: EX_OK with *out; EX_EFORMAT naming the
 * line for a malformed one, EX_EVERIFY for a missing or bad signature. */
EX_MUST_CHECK int ex_rotation_open(const char *note, size_t len, ex_rotation *out, ex_err *err);

#define EX_KEY_CHAIN_MAX 64
/* The keys of a log over its life: key w[i] signs the checkpoints of sizes [from, to). */
typedef struct ex_key_window {
    ex_vkey key;
    uint64_t from, to;
} ex_key_window;
typedef struct ex_key_chain {
    ex_key_window w[EX_KEY_CHAIN_MAX];
    size_t n;
} ex_key_chain;

/* The chain that trusted (any key of the log, not only its first) and the log's rotation
 * records r[0..n), oldest first, make: EX_EVERIFY if the records do not follow each other or
 * trusted is none of their keys; n = 0: trusted alone, for every size. */
int ex_key_chain_build(const ex_vkey *trusted, const ex_rotation *r, size_t n, ex_key_chain *out,
                       ex_err *err);
/* The key that signs checkpoints of this size. */
const ex_vkey *ex_key_chain_at(const ex_key_chain *c, uint64_t size);
/* ex_checkpoint_open with the key of the chain that signs the note's size. */
EX_MUST_CHECK int ex_checkpoint_open_chain(const char *note, size_t len, const ex_key_chain *c,
                                           ex_checkpoint *out, ex_err *err);

/* ---- ledger and log --------------------------------------------------- */

/* A ledger handle: one connection to the ledger's database (SQLite, opened without a mutex),
 * a hasher, the log's tile cache and the last message. One thread at a time: calls on one
 * handle must not overlap, and moving it to another thread takes the caller's own
 * synchronisation. Several handles (in one process or several) may be open on one ledger
 * directory at once: each reads what was committed (SQLite's WAL), and writes take turns (a
 * write waits up to 10 s for another handle's, then fails with EX_EDB). An in-memory ledger
 * has only its one handle.
 *
 * ex_ledger_ingest runs threads of its own, all joined before it returns: a writer thread
 * that commits each batch on the handle's connection while the calling thread fills the
 * next one; with o->jobs > 1, that many reader threads; and for a ledger on disk, a second,
 * read-only connection (used by the calling thread for duplicate checks) and a thread with a
 * connection of its own that runs SQLite's WAL checkpoints. The progress callback runs on the
 * calling thread. ex_ledger_reevaluate commits on the calling thread and runs the checkpoint
 * thread likewise. Both take the ledger's writer lock (<dir>/ingest.lock): a second ingest
 * or reevaluate of the same ledger, from any handle or process, fails at once with EX_EDB.
 * Nothing else may be called on the handle, or its log, while either runs. */
typedef struct ex_ledger ex_ledger;
/* A ledger's log: it belongs to its ledger (ex_ledger_log) and uses the ledger's connection,
 * so it follows the ledger's rule: one thread at a time, together with the ledger's own
 * calls. Even its reads change it (tile cache, hasher, last message). */
typedef struct ex_log ex_log;

typedef struct ex_ledger_opts {
    const char *origin;     /* log origin for init; NULL: "exante.local/<random>" */
    const char *passphrase; /* signing key passphrase; NULL: unencrypted */
    int read_only;          /* open the database read-only and do not load the signing key */
    int in_memory;          /* init only: keep the database in memory (benchmarks, tests) */
    int durable;            /* fsync on every commit (synchronous=FULL); default NORMAL */
    const char *db;         /* a PostgreSQL URL (postgresql://...): the ledger's database is
                               there, not in dir (which keeps the keys and the file indexes);
                               NULL: init uses dir's SQLite file, open what init recorded */
    const char *key_file;   /* the signing key's file; NULL: dir/key.pem */
    int worker;             /* a PostgreSQL ledger opened to stage batches (ex_ledger_stage):
                               no signing key; dir then needs no vkey file (the database's is
                               used). Ignored for SQLite ledgers */
} ex_ledger_opts;

/* Create a ledger in `dir` (made if missing; must not already hold one): database, signing
 * key (mode 0600), verifier key, and the signed checkpoint of the empty log. */
int ex_ledger_init(const char *dir, const ex_ledger_opts *opts, ex_ledger **out, ex_err *err);
/* Open the ledger in `dir`; EX_ENOLEDGER if there is none, EX_EDB if the database is corrupt.
 * Its database: opts->db if given, else the PostgreSQL URL init recorded in dir (file
 * `store`), else dir's SQLite file. */
int ex_ledger_open(const char *dir, const ex_ledger_opts *opts, ex_ledger **out, ex_err *err);
void ex_ledger_close(ex_ledger *l);
const char *ex_ledger_errmsg(const ex_ledger *l);
const char *ex_ledger_dir(const ex_ledger *l);
/* 1 if the ledger's database is PostgreSQL (shared by workers and a sequencer), else 0. */
int ex_ledger_shared(const ex_ledger *l);
const char *ex_ledger_origin(const ex_ledger *l);
/* The ledger's verifier key string (from its vkey file). */
const char *ex_ledger_vkey(const ex_ledger *l);
/* Catch up with what other handles and processes committed since this one last looked (a
 * long-lived reader: the server); *size (may be NULL) gets the log's size now. Not inside a
 * transaction. */
int ex_ledger_refresh(ex_ledger *l, uint64_t *size);
/* The ledger's log (borrowed, valid until ex_ledger_close). */
ex_log *ex_ledger_log(ex_ledger *l);

/* Log the digest of an evidence document: appends one canonical-JSON entry and a new signed
 * checkpoint. kind: terms|agreement|license|robots|consent|other. source, note may be NULL. */
int ex_ledger_evidence_add(ex_ledger *l, const char *path, const char *kind, const char *source,
                           const char *note, uint8_t digest[EX_HASH_BYTES], uint64_t *index);

const char *ex_log_errmsg(const ex_log *g);
/* Current tree size (number of entries). */
uint64_t ex_log_size(const ex_log *g);
/* Append n entries (each 1..EX_ENTRY_MAX bytes) in one transaction, together with the tree
 * hashes they complete and a signed checkpoint of the new size. *first gets the index of the
 * first entry (may be NULL). Nothing is written on failure. */
int ex_log_append(ex_log *g, const void *const *entries, const size_t *lens, size_t n,
                  uint64_t *first);
/* Entry bytes exactly as hashed; *data is malloc'd (caller frees). EX_ERANGE past the end. */
int ex_log_entry_dup(ex_log *g, uint64_t index, uint8_t **data, size_t *len);
/* Root of the tree of `size` entries (size <= current size). */
int ex_log_root(ex_log *g, uint64_t size, uint8_t root[EX_HASH_BYTES]);
/* Leaf hash of entry `index` as stored in the tree. */
int ex_log_leaf_hash(ex_log *g, uint64_t index, uint8_t out[EX_HASH_BYTES]);
/* Proofs over the stored tree; size = 0 means the current size. */
int ex_log_prove_inclusion(ex_log *g, uint64_t index, uint64_t size,
                           uint8_t proof[][EX_HASH_BYTES], size_t *n);
int ex_log_prove_consistency(ex_log *g, uint64_t old, uint64_t size,
                             uint8_t proof[][EX_HASH_BYTES], size_t *n);
/* The inclusion proof document of entry `index` in the tree of `size` entries (0: the current
 * size), as `exante log prove-inclusion` prints it (docs/FORMATS.md): canonical JSON with
 * type "log-inclusion", index, size, leaf_hash, proof, root, entry (base64 of the entry's
 * bytes) and, if one was signed at `size`, checkpoint. *json is malloc'd (caller frees);
 * ex_log_proof_parse reads it back. Errors as ex_log_prove_inclusion, or EX_ENOMEM. */
int ex_log_inclusion_doc_dup(ex_log *g, uint64_t index, uint64_t size, char **json,
                             size_t *len);
/* The consistency proof document from the tree of `old` entries to the tree of `size`, as
 * `exante log prove-consistency` prints it: canonical JSON with type "log-consistency", old,
 * new, proof, old_root, new_root and the checkpoints signed at those sizes, where kept
 * (old_checkpoint, checkpoint). *json is malloc'd (caller frees); ex_log_proof_parse reads
 * it back. Errors as ex_log_prove_consistency, or EX_ENOMEM. */
int ex_log_consistency_doc_dup(ex_log *g, uint64_t old, uint64_t size, char **json,
                               size_t *len);
/* The latest stored signed checkpoint (malloc'd note text, caller frees). */
int ex_log_checkpoint_dup(ex_log *g, char **note, size_t *len);
/* The stored checkpoint for exactly `size`, EX_ENOTFOUND if none was signed at that size. */
int ex_log_checkpoint_at_dup(ex_log *g, uint64_t size, char **note, size_t *len);
/* Recompute every leaf hash from the stored entries and every tree hash from the leaves,
 * compare with storage, and check every stored checkpoint (signature with `key`, origin,
 * root at its size). EX_EVERIFY with the first mismatch named in ex_log_errmsg(). */
EX_MUST_CHECK int ex_log_verify(ex_log *g, const ex_vkey *key, uint64_t *entries,
                                uint64_t *checkpoints);
/* ex_log_verify with the log's keys over its life: each checkpoint checked with the key of
 * `keys` for its size (ex_key_chain_at). */
EX_MUST_CHECK int ex_log_verify_chain(ex_log *g, const ex_key_chain *keys, uint64_t *entries,
                                      uint64_t *checkpoints);
/* Tiles exports (ex_log_write_tiles, ex_tiles_write_digests, ex_ledger_snapshot_tiles) write
 * every file atomically: into a hidden temporary file beside it, renamed over it. With
 * EX_TILES_INCREMENTAL an existing directory is brought up to date rather than rewritten: a
 * tile or entry bundle already in place with the right size is kept (a C2SP tile path names
 * its content), so an unchanged export writes nothing and one after growth writes only new
 * and grown tiles. */
#define EX_TILES_INCREMENTAL 1u
typedef struct ex_tiles_count {
    uint64_t written; /* files written */
    uint64_t kept;    /* incremental: files of this export in place already, left alone */
    uint64_t removed; /* incremental (log): partial tiles deleted, their full tile in place */
} ex_tiles_count;
/* Write the log as C2SP tlog-tiles under dir: tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]
 * and, last, checkpoint (of the handle's size). flags: 0 (every file written) or
 * EX_TILES_INCREMENTAL: dir/checkpoint, when it is this log's past (same origin, size at most
 * this one, same root at that size), says which files are there, and only entries and tiles
 * from its rightmost tiles on are read; without one (or unreadable as a checkpoint) every file
 * is checked by size. Then the partial tiles of tiles that became full are deleted (C2SP
 * allows it; a still-partial tile's earlier widths stay for clients of earlier checkpoints).
 * EX_EVERIFY, nothing written, if dir/checkpoint is another log's (origin), past this size, or
 * a fork (another root), or if dir holds a snapshot's tiles. *n (may be NULL) counts files. */
int ex_log_write_tiles(ex_log *g, const char *dir, unsigned flags, ex_tiles_count *n);
/* One tile as a server hands it out (exante serve): path is what follows "tile/" in a C2SP
 * tlog-tiles URL ("<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]", N in 3-digit groups), accepted
 * only in the form `log tiles` writes. *data (malloc'd) gets the bytes that command writes
 * there; *full is 1 for a full tile (immutable from then on). A partial tile of width W is
 * served while the tile holds at least W (its first W are fixed once there). EX_EFORMAT for
 * another path, EX_ENOTFOUND for a tile past the log's size. */
int ex_log_tile_serve_dup(ex_log *g, const char *path, size_t plen, uint8_t **data, size_t *len,
                          int *full);
/* The parse alone: level (-1: entries), tile index, width (0: full). EX_EFORMAT otherwise. */
int ex_tile_path_parse(const char *path, size_t len, int *level, uint64_t *n, unsigned *w);
/* The RFC 9162 tree of the sorted digests d[0..n) (a snapshot's) as C2SP tlog-tiles under
 * dir: hash tiles tile/<L>/<N>[.p/<W>] and entry bundles tile/entries/<N>[.p/<W>] whose
 * entries are the 32-byte digests. flags: 0 or EX_TILES_INCREMENTAL (a file in place with the
 * right size is kept). *count (may be NULL) counts them. EX_EIO with the cause in err. */
int ex_tiles_write_digests(ex_sha256 *h, const uint8_t (*d)[EX_HASH_BYTES], uint64_t n,
                           const char *dir, unsigned flags, ex_tiles_count *count,
                           ex_err *err);
/* The n digests of such tiles under dir (malloc'd into *d; caller frees), every hash tile
 * checked against them: EX_EIO for a missing file, EX_EFORMAT for a malformed entry bundle,
 * EX_EVERIFY for a hash tile that differs, the file named in err. Their order and root are
 * the caller's to check (ex_merkle_sorted_check, ex_merkle_sorted_root). */
int ex_tiles_read_digests(ex_sha256 *h, const char *dir, uint64_t n,
                          uint8_t (**d)[EX_HASH_BYTES], ex_err *err);

/* ---- sources ----------------------------------------------------------- */

/* How a source was acquired and under which terms. Strings may be NULL. */
typedef struct ex_source_opts {
    const char *kind;      /* crawl|licensed|public-dataset|first-party|synthetic|other */
    const char *license;   /* default license expression of its items */
    const char *ml_use;    /* allowed|prohibited|unknown (default unknown) */
    const char *terms;     /* path of a terms document: its digest is logged as evidence */
    const char *agreement; /* path of a license agreement: likewise */
    const char *note;
} ex_source_opts;

/* Register a source: logs the terms and agreement documents as evidence and the source's
 * record, in one transaction. EX_EEXIST if the name is taken. *index: the record's log index. */
int ex_ledger_source_add(ex_ledger *l, const char *name, const ex_source_opts *o,
                         uint64_t *index);
/* The sources' records as JSONL, one canonical JSON object per line (caller frees). */
int ex_ledger_sources_dup(ex_ledger *l, char **jsonl, size_t *len);

/* ---- ingest ------------------------------------------------------------ */

enum { EX_FORMAT_AUTO = 0, EX_FORMAT_FILES, EX_FORMAT_JSONL, EX_FORMAT_WARC };

#define EX_STATS_RULES_MAX 64 /* rule ids listed in a summary; more are not listed */

typedef struct ex_ingest_stats {
    uint64_t items;       /* records read as items (copies included) */
    uint64_t admitted;
    uint64_t rejected;
    uint64_t duplicates;  /* copies of content seen before (and revisit records) */
    uint64_t quarantined; /* records that could not be read */
    uint64_t skipped;     /* records this source had already recorded (re-runs) */
    uint64_t bytes;       /* content bytes of the items */
    uint64_t batches;     /* log entries written */
    uint64_t input_bytes; /* input file bytes consumed (within an input: up to its last gzip
                             member or zstd frame read), for progress */
    uint64_t pending;     /* items recorded without a policy (admitted and rejected: 0) */
    size_t nrules;        /* decisions per rule id ("duplicate", "no-policy", rule ids) */
    struct {
        char id[64];
        uint64_t count;
    } by_rule[EX_STATS_RULES_MAX];
    uint64_t near;        /* first occurrences that are near-duplicates of earlier items */
    uint64_t followed;    /* earlier admitted items rejected since: a reservation carried by
                             a copy or near-duplicate followed their content (new decisions,
                             not counted in admitted or rejected) */
    uint64_t uncommitted; /* a failed run: items read after the last committed batch, whose
                             records were not committed (the counts above then say only what
                             was committed, and the same command resumes); else 0 */
} ex_ingest_stats;

#define EX_INGEST_JOBS_MAX 64

typedef struct ex_ingest_opts {
    const char *source;  /* a registered source: required */
    int format;          /* EX_FORMAT_*; AUTO looks at each input's first bytes */
    const char *text_field, *url_field, *id_field, *license_field, *fetched_field; /* JSONL */
    int strict;          /* the first quarantined record stops the run (EX_EFORMAT) */
    size_t batch;        /* decisions per batch (log entry); 0: 10000 */
    int jobs;            /* inputs read in parallel, 1..EX_INGEST_JOBS_MAX; 0 or 1: one, in
                            order on the calling thread (the only order that is reproducible:
                            with several, which copy of a duplicate comes first may vary) */
    /* called after every batch and input with the totals so far (may be NULL) */
    void (*progress)(void *ctx, const ex_ingest_stats *st, uint64_t input_total);
    void *progress_ctx;
} ex_ingest_opts;

/* ---- policy, signals, opt-outs (ledger) -------------------------------- */

/* Where a policy is wrong (1-based line and column; column 0: the whole rule). */
typedef struct ex_policy_diag {
    unsigned line, column;
    char msg[256];
} ex_policy_diag;

/* Check a policy (syntax, and every license id against the SPDX list) without a ledger:
 * EX_EFORMAT / EX_ETOOBIG with *d filled. On success the canonical digest ("sha256:<hex>")
 * and the parser's warnings ("line N: message\n" each; malloc'd, caller frees) come back
 * (either may be NULL). */
int ex_policy_check(const char *text, size_t len, char digest[EX_DIGEST_STR_BYTES], char **warnings,
                    ex_policy_diag *d);
/* Check, log the canonical digest and make the policy the current one. */
int ex_ledger_policy_adopt(ex_ledger *l, const char *text, size_t len, char digest[EX_DIGEST_STR_BYTES],
                           uint64_t *index, ex_policy_diag *d);
/* The same two with the files of `domains FILE` rules read relative to dir (the policy file's
 * directory; NULL: as written). A list that cannot be read: EX_EIO; a malformed line:
 * EX_EFORMAT naming it; *d names the rule's line. Adopting keeps each list in the policy's
 * row, and its digest in the canonical form (so in the logged digest). */
int ex_policy_check_at(const char *text, size_t len, const char *dir,
                       char digest[EX_DIGEST_STR_BYTES], char **warnings, ex_policy_diag *d);
int ex_ledger_policy_adopt_at(ex_ledger *l, const char *text, size_t len, const char *dir,
                              char digest[EX_DIGEST_STR_BYTES], uint64_t *index,
                              ex_policy_diag *d);
/* The current policy's record (JSON, with its text and canonical form; caller frees);
 * EX_ENOTFOUND if none was adopted. */
int ex_ledger_policy_show_dup(ex_ledger *l, char **json, size_t *len);

typedef struct ex_signals_opts {
    const char *host;    /* plain files: the host they were fetched from */
    const char *fetched; /* plain files: when (RFC 3339) */
    const char *kind;    /* plain files: "robots" or "tdmrep"; NULL: by file name */
    int status;          /* plain files: HTTP status of the fetch (0: unreachable), used when */
    int status_set;      /* status_set is 1; else 200 */
} ex_signals_opts;

typedef struct ex_signals_stats {
    uint64_t robots, tdmrep; /* captures logged */
    uint64_t invalid;        /* tdmrep.json captures that do not parse (logged, state nothing) */
    uint64_t ignored;        /* WARC responses that are not captures or lack a date */
} ex_signals_stats;

/* Log robots.txt and tdmrep.json captures: from WARC files (response records whose URL path
 * ends in robots.txt or tdmrep.json, with their status and WARC-Date), or plain files with
 * o->host and o->fetched. */
int ex_ledger_signals_add(ex_ledger *l, const char *const *paths, size_t n,
                          const ex_signals_opts *o, ex_signals_stats *st);

typedef struct ex_optout_opts {
    const char *url_prefix, *domain, *digest, *work; /* exactly one of these four, */
    const char *text_file, *iscc;                    /* or of these two */
    const char *holder;   /* the rights holder, or NULL */
    const char *evidence; /* a file whose digest is recorded (the request), or NULL */
    double near;          /* Jaccard threshold for near-duplicates of a work; 0: the policy's */
    int distance;         /* --iscc: the largest Hamming distance that matches; -1: default */
    const char *work_text;   /* a work's text in memory (as text_file), or NULL */
    size_t work_text_len;
    const char *evidence_digest; /* the evidence's digest ("sha256:..."), if not a file */
    int has_request;         /* the opt-out answers submission `request` (its log index) */
    uint64_t request;
} ex_optout_opts;

/* The Hamming distance (of the first 64 bits) within which an ISCC Text-Code opt-out matches
 * an item's code by default (docs/POLICY.md says why). */
#define EX_ISCC_DISTANCE_DEFAULT 8

/* Log an opt-out; later decisions (and reevaluate) apply it. */
int ex_ledger_optout_add(ex_ledger *l, const ex_optout_opts *o, uint64_t *index,
                         char digest[EX_DIGEST_STR_BYTES]);
int ex_ledger_optouts_dup(ex_ledger *l, char **jsonl, size_t *len);

/* ---- submissions: opt-out requests and complaints from outside (exante serve) ---- */

/* Largest submission body (JSON) ex_ledger_submit takes, evidence included. */
#define EX_SUBMISSION_MAX (4u << 20)
/* Submission kinds. */
#define EX_SUBMIT_OPTOUT "optout"
#define EX_SUBMIT_COMPLAINT "complaint"

typedef struct ex_submit_opts {
    const char *kind;     /* EX_SUBMIT_OPTOUT or EX_SUBMIT_COMPLAINT */
    const char *partner;  /* the partner whose token came with it (trusted), or NULL: public */
    unsigned include_by;  /* seconds the receipt promises the entry is in a checkpoint within */
} ex_submit_opts;

/* Log a submission (docs/SERVER.md gives the body's form): body[0..len) is a JSON object,
 * checked (unknown keys, wrong types, a bad scope: EX_EINVAL naming the key, with the line
 * and column of a syntax error) and logged as an entry of type "submission" that names the
 * SHA-256 of its canonical form and what it asks, but not who asks (holder and contact stay
 * in the row, out of the public log). A partner's opt-out request is accepted at once: its
 * opt-out is logged in the same transaction. *json (malloc'd) answers with id (the entry's
 * log index), kind, status (unverified, accepted or received), submission, received,
 * include_by, optout (the opt-out's index, when logged) and receipt: a C2SP signed note by
 * the log's key over the origin, kind, id, digest and times. */
int ex_ledger_submit(ex_ledger *l, const char *body, size_t len, const ex_submit_opts *o,
                     char **json, size_t *jlen);
/* Decide submission id: accept (an opt-out request's opt-out is logged then, naming it) or
 * reject, with an optional reason; both are logged as a review entry. EX_ENOTFOUND if id is
 * not a submission, EX_EEXIST if it was decided already. *json: the review. */
int ex_ledger_review(ex_ledger *l, uint64_t id, int accept, const char *reason, char **json,
                     size_t *jlen);
/* Submission id as one JSON object: id, kind, status, trust, partner, received, submission,
 * entry (the logged entry), review and optout (index) when there are, proof (the entry's
 * inclusion proof document at the current size, as `log prove-inclusion` prints it). With
 * private set also body (holder, contact, message as submitted). EX_ENOTFOUND if id is not
 * a submission of `kind` (NULL: any). */
int ex_ledger_submission_dup(ex_ledger *l, uint64_t id, const char *kind, int private_,
                             char **json, size_t *jlen);
/* Every submission (kind NULL: both kinds; status NULL: any), one JSON object per line as
 * ex_ledger_submission_dup without the proof, with the body. */
int ex_ledger_submissions_dup(ex_ledger *l, const char *kind, const char *status, char **jsonl,
                              size_t *len);
/* Verify a receipt note with the verifier key vkey (NULL: the ledger's): EX_OK and its
 * fields as canonical JSON in *json (malloc'd), or EX_EVERIFY / EX_EFORMAT with a message. */
EX_MUST_CHECK int ex_receipt_verify(const char *note, size_t len, const ex_vkey *vkey,
                                    char **json, size_t *jlen, ex_err *err);
/* ex_receipt_verify with a log's keys over its life: the key that signed the checkpoint of
 * size id + 1 (its submission's entry's) is the receipt's. */
EX_MUST_CHECK int ex_receipt_verify_chain(const char *note, size_t len, const ex_key_chain *keys,
                                          char **json, size_t *jlen, ex_err *err);

/* ---- partner tokens (exante token add|list|revoke) ---- */

/* Longest partner name; a token's length. */
#define EX_TOKEN_NAME_MAX 64
#define EX_TOKEN_LEN 71 /* "exante_" and 64 hex digits */
/* A new token for partner name (letters, digits, '.', '-', '_'; not first '.' or '-'): its SHA-256 is kept in the
 * ledger's database, the token itself only in token[] (shown once). EX_EEXIST if the name
 * has one. */
int ex_ledger_token_add(ex_ledger *l, const char *name, char token[EX_TOKEN_LEN + 1]);
/* Drop name's token; EX_ENOTFOUND if it has none. */
int ex_ledger_token_revoke(ex_ledger *l, const char *name);
/* The tokens as JSONL: name, created, hash (of the token, never the token). */
int ex_ledger_tokens_dup(ex_ledger *l, char **jsonl, size_t *len);
/* The tokens loaded for checking (read-only once made: ex_tokens_check may run on several
 * threads at once). */
typedef struct ex_tokens ex_tokens;
int ex_ledger_tokens_load(ex_ledger *l, ex_tokens **out);
/* The partner name token[0..len) belongs to (borrowed from t), or NULL; constant time in
 * the token's bytes. */
const char *ex_tokens_check(const ex_tokens *t, const char *token, size_t len);
void ex_tokens_free(ex_tokens *t);

/* Decide again, under the current policy and opt-outs, every item whose latest decision was
 * made under another policy (or none: pending) or would now come out differently; each new
 * decision is logged in batches like ingest's and names the one it supersedes. Copies stay
 * copies. st counts the new decisions (items = items looked at). EX_ENOTFOUND with a
 * message if no policy was adopted. */
int ex_ledger_reevaluate(ex_ledger *l, ex_ingest_stats *st);

/* Read every input and record, for each item, its provenance and a decision (admit, or
 * duplicate of earlier content), in batches: each batch is one transaction holding its items,
 * decisions and quarantine reports, plus one log entry committing to the Merkle root of its
 * decision records. Records already recorded for this source (same locator, same content)
 * are skipped, so an interrupted run is completed by running it again. *st gets the totals
 * (also on failure: what was committed). */
int ex_ledger_ingest(ex_ledger *l, const char *const *paths, size_t n, const ex_ingest_opts *o,
                     ex_ingest_stats *st);

/* ---- workers: shards of an input list ----------------------------------- */

/* The sequencer of a shared ledger (ex_ledger_sequence). */
typedef struct ex_sequence_opts {
    int follow;                  /* with nothing staged, wait for more (until *stop) */
    volatile sig_atomic_t *stop; /* set (by a signal handler) to end after the batch in hand */
    double poll;                 /* seconds between looks while following; 0: 0.5 */
    int discard_stale;           /* first drop staged batches read under another policy than
                                    the ledger's, handing their inputs back to the workers */
} ex_sequence_opts;

/* Log what workers staged in a shared ledger: each staged batch, in staging order, decided
 * (duplicates, the adopted policy) and committed as one logged batch together with its
 * removal from the staged ones, a checkpoint signed after each. One sequencer at a time:
 * EX_EEXIST if another holds the ledger. A batch staged under another policy than the
 * ledger's stops it (EX_EINVAL, nothing of that batch written). *st: what was decided
 * (skipped: inputs handed back by discard_stale); *staged: staged batches taken. */
int ex_ledger_sequence(ex_ledger *l, const ex_sequence_opts *o, ex_ingest_stats *st,
                       uint64_t *staged);

/* A worker of a shared ledger (ex_ledger_stage). */
typedef struct ex_worker_opts {
    const char *name; /* in leases and staged batches; NULL: "<host>:<pid>" */
    unsigned lease;   /* seconds a lease lasts without a staged batch renewing it; 0: 60 */
} ex_worker_opts;

/* Stage the inputs `mine` (a worker's share of a list) in a shared ledger for the sequencer
 * (ex_ledger_sequence), read as ingest reads them (o: source, format, fields, batch: entries
 * per staged batch), one input at a time under a lease: an input another worker holds is
 * waited for, one done is passed over. Then `others` (the rest of the list): an input whose
 * lease expired (its worker died) is taken over from where its last staged batch ended. *st
 * counts what was staged (items, quarantined, bytes; batches: staged batches). EX_EINVAL for
 * a SQLite ledger. */
int ex_ledger_stage(ex_ledger *l, const char *const *mine, size_t nmine,
                    const char *const *others, size_t nothers, const ex_ingest_opts *o,
                    const ex_worker_opts *wo, ex_ingest_stats *st);

/* Shard `index` of `count` (0 <= index < count). The rule, a contract users rely on when they
 * append to a list: entry k of an input list (0-based, counting entries only, not blank or
 * comment lines) belongs to shard k mod count. Appending entries moves no earlier entry to
 * another shard, and shard sizes differ by at most one. */
typedef struct ex_shard {
    uint64_t index, count;
} ex_shard;

/* 1 if entry k of a list belongs to shard s (k % s->count == s->index), else 0. */
int ex_shard_has(const ex_shard *s, uint64_t k);
/* Parse "I/N": two decimal numbers, nothing else, 0 <= I < N. EX_EINVAL with a message
 * ("'3/3': the index must be below the count (0-based)"); *out untouched then. */
int ex_shard_parse(const char *s, ex_shard *out, ex_err *err);
/* The shard a worker takes. spec ("I/N", from --shard; NULL: none) wins; else a Slurm job
 * array task's SLURM_ARRAY_TASK_ID, numbered from SLURM_ARRAY_TASK_MIN (default 0) in steps
 * of SLURM_ARRAY_TASK_STEP (default 1), of SLURM_ARRAY_TASK_COUNT; else a Kubernetes Indexed
 * Job's JOB_COMPLETION_INDEX, which is 0-based and comes without a count: `shards` (from
 * --shards N, 0: not given) is the count. A given `shards` must agree with the count from
 * spec or Slurm, and needs an index from one of them. With none of these the shard is 0/1,
 * the whole list. EX_EINVAL with a message naming the option or variable at fault. */
int ex_shard_choose(const char *spec, uint64_t shards, ex_shard *out, ex_err *err);
/* Read the input list `file` ("-": standard input): one path a line, taken as it is (a path
 * relative to the current directory stays so) but for a trailing "\r"; blank lines (empty, or
 * spaces and tabs only) and lines starting with '#' are not entries. Every line is checked,
 * whatever the shard: EX_EFORMAT naming the file and line for a NUL byte or invalid UTF-8;
 * EX_EIO if the file cannot be opened or read; EX_ENOMEM. On success *paths holds the entries
 * of shard s (NULL: all) in list order, *n of them, and *total counts the list's entries;
 * free with ex_shard_list_free. */
int ex_shard_list_read(const char *file, const ex_shard *s, char ***paths, size_t *n,
                       uint64_t *total, ex_err *err);
/* Accepts NULL. */
void ex_shard_list_free(char **paths, size_t n);
/* The chain for one item, by content digest ("sha256:<hex>") or URL: its item record, its
 * latest decision, and the proof that the decision is in a batch committed to the log, as
 * one JSON document (malloc'd; docs/FORMATS.md) that ex_log_proof_verify checks offline.
 * EX_ENOTFOUND if no item matches. */
int ex_ledger_why_dup(ex_ledger *l, const char *digest_or_url, char **json, size_t *len);
/* An item's near-duplicate cluster, by content digest or URL (docs/FORMATS.md "dups"): the
 * items whose estimated Jaccard similarity with it, or with another member, reaches the
 * policy's `near`, each with its similarity and latest decision, as one JSON document
 * (malloc'd). EX_ENOTFOUND if no item matches or it has no fingerprint. */
int ex_ledger_dups_dup(ex_ledger *l, const char *digest_or_url, char **json, size_t *len);
/* Decision records as JSONL, filtered (NULL: any) and limited (0: no limit); caller frees. */
int ex_ledger_decisions_dup(ex_ledger *l, const char *verdict, const char *rule,
                            const char *source, uint64_t limit, char **jsonl, size_t *len);
/* The same records handed to fn one at a time, in id order (rec: len bytes, no newline, valid
 * during the call), in memory that does not grow with the ledger; fn's non-EX_OK return stops
 * and is returned (with l's message left as fn left it: empty). */
typedef int (*ex_decision_fn)(void *ctx, const char *rec, size_t len);
int ex_ledger_decisions_each(ex_ledger *l, const char *verdict, const char *rule,
                             const char *source, uint64_t limit, ex_decision_fn fn, void *ctx);
typedef struct ex_ledger_counts {
    uint64_t entries, checkpoints, sources, batches, decisions, items;
    uint64_t signals; /* policies, captures and opt-outs checked against their entries */
    uint64_t snapshots; /* snapshot records checked against their entries */
    uint64_t attestations; /* envelopes and retirements checked against their entries */
    uint64_t indexed; /* items found in the saved lookup indexes (by digest, by URL) */
    uint64_t submissions; /* submissions (bodies hashed) and reviews against their entries */
} ex_ledger_counts;

/* Verify the log (ex_log_verify) and every ledger table it commits to: source and batch rows
 * equal their log entries, each batch's decisions hash to its root, each decision's item
 * record has the digest the decision names, and no decision lies outside a batch.
 * EX_EVERIFY with the first mismatch named in ex_ledger_errmsg(). */
EX_MUST_CHECK int ex_ledger_verify(ex_ledger *l, const ex_vkey *key, ex_ledger_counts *out);

/* Rotate the ledger's signing key (docs/FORMATS.md "Key rotation"): a new Ed25519 key named
 * for the origin, a rotation record signed by the old and the new key logged (its checkpoint
 * and every later one signed by the new key), the new verifier key in the database, the key
 * files swapped (the new key saved with passphrase, may be NULL; the old one kept as
 * key.pem.retired-<key ID>) and the vkey file rewritten. The ledger must hold its key in its
 * directory (not EXANTE_KEY's file). *index: the record's log index; new_vkey (may be NULL)
 * gets the new verifier key string. Errors with l's message. */
int ex_ledger_key_rotate(ex_ledger *l, const char *passphrase, uint64_t *index,
                         char new_vkey[EX_VKEY_MAX]);
/* The ledger's rotation records, oldest first (*r malloc'd, *n of them; none: NULL, 0), each
 * read and its signatures checked; *entries (may be NULL) their log entries as JSONL (malloc'd).
 * Errors with l's message. */
int ex_ledger_rotations(ex_ledger *l, ex_rotation **r, size_t *n, char **entries,
                        size_t *entries_len);
/* The chain of the ledger's keys that `trusted` (NULL: the ledger's current verifier key)
 * and its rotation records make (ex_key_chain_build). */
int ex_ledger_key_chain(ex_ledger *l, const ex_vkey *trusted, ex_key_chain *out);
/* The chain that trusted and a file of rotation entries (JSONL, as `exante key rotations`
 * writes them: the log entries of the records, in log order) make; EX_EFORMAT naming the
 * line of a malformed one. */
int ex_key_chain_from_jsonl(const ex_vkey *trusted, const char *jsonl, size_t len,
                            ex_key_chain *out, ex_err *err);

/* Write a deterministic sample corpus into dir (made if missing): corpus.jsonl.zst with
 * `items` web-text-like records (varied licenses and URLs, exact copies, three planted broken
 * lines) and crawl.warc.gz (per-record gzip: robots.txt and tdmrep.json captures, pages with
 * tdm-reservation headers and noai signals, revisits, a digest mismatch and a broken record).
 * The same items and seed give the same bytes. */
int ex_sample_write(const char *dir, uint64_t items, uint64_t seed, ex_err *err);

/* Quarantine reports as JSONL (file, offset, member, line, reason, source); caller frees. */
int ex_ledger_quarantine_dup(ex_ledger *l, char **jsonl, size_t *len);

/* ---- snapshots (../shared/PROOFS.md) ------------------------------------ */

/* Freeze the snapshot `name` (1 to 128 letters, digits and . _ - : +; EX_EEXIST if taken): the
 * content digests whose latest decision is admit and that no opt-out reaches, as of the
 * current log size; with `from` (may be NULL), only those that are also members of snapshot
 * `from` (the clean-room set after opt-outs). Its record (canonical JSON: PROOFS.md's keys,
 * the counts, the policies in force, the parent record's entry digest, the creation time) is
 * appended to the log with a signed checkpoint and its leaves stored, in one transaction.
 * *record (may be NULL; caller frees) and *index (may be NULL) get the record and its log
 * index. Takes the ledger's writer lock. Uses two cores: a second thread of its own at a time
 * decodes decisions, sorts and hashes beside the calling thread (the handle's connection
 * stays on the calling thread), joined before it returns; so does ex_ledger_snapshot_audit. */
int ex_ledger_snapshot_create(ex_ledger *l, const char *name, const char *from, char **record,
                              size_t *len, uint64_t *index);
/* Every snapshot's record with its log_index, as JSONL in creation order (caller frees). */
int ex_ledger_snapshots_dup(ex_ledger *l, char **jsonl, size_t *len);
/* One snapshot's record with its log_index and, for one made --from a parent, how many digests
 * it added and removed against it (caller frees). EX_ENOTFOUND with a message if none. */
int ex_ledger_snapshot_show_dup(ex_ledger *l, const char *name, char **json, size_t *len);
/* The members of snapshot `name`, ascending, to fn (a non-EX_OK return stops and is passed
 * back). */
int ex_ledger_snapshot_members(ex_ledger *l, const char *name,
                               int (*fn)(void *ctx, const uint8_t d[EX_HASH_BYTES]), void *ctx);
/* The digests in b and not in a (added 1) and in a and not in b (added 0), ascending, to fn
 * (may be NULL: count only); *added and *removed (may be NULL) count them. */
int ex_ledger_snapshot_diff(ex_ledger *l, const char *a, const char *b,
                            int (*fn)(void *ctx, int added, const uint8_t d[EX_HASH_BYTES]),
                            void *ctx, uint64_t *added, uint64_t *removed);
/* What a monitor checks: the stored leaves are strictly ascending and hash to the record's
 * root, and they are exactly the members recomputed from the ledger's decisions and opt-outs
 * as of the record's log size (within its parent's members for a --from snapshot).
 * EX_EVERIFY with the first difference named in ex_ledger_errmsg(); *members (may be NULL)
 * counts the leaves. */
EX_MUST_CHECK int ex_ledger_snapshot_audit(ex_ledger *l, const char *name, uint64_t *members);
/* An open snapshot, for many proofs: its leaves in memory (32 bytes each) and the hashes of its
 * complete subtrees of 8 leaves and more (about 8 bytes per leaf), made by one pass over the
 * leaves; the record's log proof and checkpoint are those of the log's size at open (*out is
 * NULL on failure). One thread at a time; valid until ex_snapshot_close, which accepts NULL. */
typedef struct ex_snapshot ex_snapshot;
int ex_ledger_snapshot_open(ex_ledger *l, const char *name, ex_snapshot **out);
void ex_snapshot_close(ex_snapshot *s);
uint64_t ex_snapshot_size(const ex_snapshot *s);
/* A proof of digest in s as ex_ledger_snapshot_prove_dup writes it (EX_ENOMEM only). */
int ex_snapshot_prove_dup(ex_snapshot *s, const uint8_t digest[EX_HASH_BYTES], char **json,
                          size_t *len, int *member);
/* A membership or non-membership proof of digest in snapshot `name` (PROOFS.md), with the
 * record's inclusion in the log at its current size and that size's signed checkpoint:
 * canonical JSON, malloc'd into *json (caller frees); *member (may be NULL) says which kind.
 * ex_log_proof_verify checks it offline. */
int ex_ledger_snapshot_prove_dup(ex_ledger *l, const char *name,
                                 const uint8_t digest[EX_HASH_BYTES], char **json, size_t *len,
                                 int *member);
/* Write snapshot `name` as C2SP tlog-tiles under dir (ex_tiles_write_digests) and, last, its
 * record beside them, as dir/snapshot; *n (may be NULL) counts the files. flags: 0 or
 * EX_TILES_INCREMENTAL: files in place with the right size are kept (a snapshot never changes,
 * so a second export writes nothing); EX_EVERIFY, nothing written, if dir/snapshot is another
 * snapshot's record or dir holds a log's tiles (a checkpoint). */
int ex_ledger_snapshot_tiles(ex_ledger *l, const char *name, const char *dir, unsigned flags,
                             ex_tiles_count *n);
/* What a monitor checks of published tiles alone, no ledger needed: dir/snapshot is a
 * snapshot record (named `name`, when not NULL), the entry bundles hold its size of digests,
 * every hash tile is the one they give, the digests are strictly ascending, and their tree's
 * root is the record's. EX_EVERIFY with the first difference in err (EX_EIO, EX_EFORMAT for
 * missing or malformed files); *members (may be NULL) gets the size. Whether the record is
 * in the log is a separate check (exante prove and verify-proof carry its inclusion). */
EX_MUST_CHECK int ex_snapshot_audit_tiles(const char *dir, const char *name, uint64_t *members,
                                          ex_err *err);

/* ---- near-dup-free proofs (docs/FORMATS.md "Near-dup-free proofs") ----- */

/* A snapshot made by this version also holds a second sorted tree: the distinct leaves
 * (band j, band key j) of its members' near-duplicate fingerprints, named in its record's
 * "near" object with the MinHash parameters. Members without a fingerprint (no text, or
 * recorded before the ledger kept them) add no leaves; the record counts them. */

/* The tree of snapshot `name`, opened for proofs: its record and where its stored leaves and
 * subtree hashes are (nothing is read into memory but about 2 KiB per million leaves); the
 * record's log proof and checkpoint are those of the log's size at open. EX_ENOTFOUND with a
 * message for an unknown snapshot or one made without a near tree (before near-dup-free
 * proofs). One thread at a time, using l's store; valid until ex_snapshot_near_close (accepts
 * NULL), which must come before l is closed. */
typedef struct ex_snapshot_near ex_snapshot_near;
int ex_ledger_snapshot_near_open(ex_ledger *l, const char *name, ex_snapshot_near **out);
void ex_snapshot_near_close(ex_snapshot_near *s);

/* What a near-dup proof says, and what its snapshot's record counts. */
typedef struct ex_near_verdict {
    int dup;                  /* some band of the work is in the tree */
    unsigned k, bands;        /* the MinHash parameters */
    unsigned present;         /* bands present (0 for near-dup-free) */
    unsigned first_present;   /* the lowest of them */
    uint64_t size;            /* leaves of the near tree */
    uint64_t fingerprinted;   /* members with a fingerprint, whose bands the tree holds */
    uint64_t unfingerprinted; /* members without one: the proof says nothing about them */
} ex_near_verdict;

/* The near-dup proof of the text text[0..len) (the bytes a JSONL text field holds) against s:
 * canonical JSON, malloc'd into *json (caller frees), and what it says into *v (may be NULL).
 * For each band key of the text: its neighbour leaves in the tree (absent) or its own leaf
 * (present), each with an RFC 9162 inclusion proof. EX_EINVAL with a message for a text
 * without words (it has no fingerprint); errors with the ledger's message. */
int ex_snapshot_near_prove_dup(ex_snapshot_near *s, const char *text, size_t len, char **json,
                               size_t *jlen, ex_near_verdict *v);
/* The members of s that hold one of text's band keys: fn(ctx, band, digest) for each band
 * present and each member content found holding that key (a pass over the ledger's
 * fingerprints: seconds for millions of items); *found (may be NULL) counts the calls. A
 * non-EX_OK return of fn stops and is passed back. */
int ex_snapshot_near_matches(ex_snapshot_near *s, const char *text, size_t len,
                             int (*fn)(void *ctx, unsigned band, const uint8_t d[EX_HASH_BYTES]),
                             void *ctx, uint64_t *found);
/* ex_ledger_snapshot_near_open, ex_snapshot_near_prove_dup and ex_snapshot_near_close in one
 * call. */
int ex_ledger_snapshot_prove_near_dup(ex_ledger *l, const char *name, const char *text,
                                      size_t len, char **json, size_t *jlen, ex_near_verdict *v);

#define EX_NEAR_LEAF_BYTES 10 /* a near tree leaf: band (2 bytes), key (8 bytes), big-endian */
#define EX_NEAR_PROOF_MAX 64  /* hashes in an inclusion proof of the near tree */
#define EX_NEAR_BANDS_MAX 1024

/* One leaf of a near tree with its inclusion proof (n hashes, leaf level first). */
typedef struct ex_near_leaf {
    uint64_t index;
    unsigned band;
    uint64_t key;
    uint8_t proof[EX_NEAR_PROOF_MAX][EX_HASH_BYTES];
    size_t n;
} ex_near_leaf;

/* One band of the work: its key, and the leaves that show it absent (0 to 2 neighbours) or
 * present (its own). */
typedef struct ex_near_band {
    unsigned band;
    uint64_t key;
    int present;
    ex_near_leaf leaves[2];
    size_t nleaves;
} ex_near_band;

/* The MinHash parameters a near tree was made with (docs/FORMATS.md "Near-duplicate
 * fingerprints"). */
typedef struct ex_near_params {
    unsigned k, bands, bits, shingle;
    uint64_t seed;
} ex_near_params;

/* A near-dup proof document. */
typedef struct ex_near_proof {
    int dup;               /* type: 0 "snapshot-near-dup-free", 1 "snapshot-near-dup" */
    ex_near_params mh;     /* "minhash" */
    ex_near_band *band;    /* "bands", malloc'd */
    size_t nband;
    uint8_t *entry;        /* snapshot.entry: the snapshot record (malloc'd) */
    size_t entry_len;
    uint64_t log_index, log_size;
    uint8_t log_proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t log_n;
    char *checkpoint;      /* snapshot.checkpoint (malloc'd) */
} ex_near_proof;

/* 1 if json[0..len) is a JSON object whose "type" is a near-dup proof's. */
int ex_near_proof_is(const char *json, size_t len);
/* Read a near-dup proof document strictly into *out (zeroed first): known and present keys
 * only, each of its type and range, and byte for byte the canonical form ex_near_proof_write_dup
 * writes. EX_EFORMAT with the line and column, or the field, in err; EX_ENOMEM. Release with
 * ex_near_proof_clear (also on failure). */
int ex_near_proof_parse(const char *json, size_t len, ex_near_proof *out, ex_err *err);
void ex_near_proof_clear(ex_near_proof *p);
/* The canonical document of p, malloc'd into *json (caller frees; *len may be NULL). Nothing
 * is checked but the form: EX_EINVAL for more than EX_NEAR_BANDS_MAX bands or 2 leaves in one,
 * lists over their limits, integers beyond 2^53 - 1 (band numbers beyond 65535), an empty or
 * over EX_ENTRY_MAX entry or a checkpoint that is not UTF-8; EX_ENOMEM. */
int ex_near_proof_write_dup(const ex_near_proof *p, char **json, size_t *len);
/* Check p with the log's verifier key against the work text[0..len): every step of
 * docs/FORMATS.md "Near-dup-free proofs" (the checkpoint, the record's inclusion, the record's
 * near tree and parameters, the work's band keys recomputed from the text, each band's
 * absence or presence). EX_OK when the document proves what its type says, with *v (may be
 * NULL) saying what that is (v->dup: the work is a near-duplicate by some band); EX_EVERIFY
 * with "step N: ..." in err otherwise, EX_EINVAL without a key; EX_ECRYPTO, EX_ENOMEM. */
EX_MUST_CHECK int ex_near_proof_verify(const ex_near_proof *p, const ex_vkey *key,
                                       const char *text, size_t len, ex_near_verdict *v,
                                       ex_err *err);

/* ---- training runs and models (docs/FORMATS.md "Training runs") -------- */

#define EX_ATTEST_PREDICATE "https://exante.dev/attestation/training-run/v1"
#define EX_MODEL_NAME_MAX 128

typedef struct ex_attest_opts {
    const char *const *snapshots; /* names, at least one */
    size_t nsnapshots;
    const char *const *weights;   /* files, directories, safetensors indexes: at least one */
    size_t nweights;
    const char *const *parents;   /* models of this ledger, by name or id ("sha256:<hex>") */
    size_t nparents;
    const char *const *external;  /* parent models outside the ledger, by digest */
    size_t nexternal;
    const char *kind;    /* pretrain (NULL), fine-tune, distillation, merge, continued */
    const char *code;    /* a git commit (7 to 64 hex digits) or a file; may be NULL */
    const char *config;  /* a file; may be NULL */
    const char *name;    /* the model's name (1 to 128 characters, no control characters);
                            NULL: "model-" and the first 12 hex digits of its id */
    const char *started, *finished; /* RFC 3339 UTC; NULL: now */
    ex_key *key;         /* signs the envelope; NULL: the ledger's key */
    unsigned jobs;       /* threads hashing weight files */
} ex_attest_opts;

/* Attest a training run: hash the weights, make the in-toto statement (subjects: the weight
 * files; predicate EX_ATTEST_PREDICATE: the snapshots with their records' log inclusion under
 * the current signed checkpoint, the policies, code, config, parents, kind, times), sign it as
 * a DSSE envelope, and log it: one entry naming the envelope's digest, the model, its parents
 * and snapshots; the envelope stored under its index. *envelope (malloc'd), *index and model
 * (the model id "sha256:<hex>", the digest of the weights' subject set) may each be NULL.
 * EX_ENOTFOUND for an unknown snapshot or parent, EX_EEXIST for weights already attested,
 * EX_EINVAL for a bad option, EX_EIO for weights that cannot be read: nothing is logged then. */
int ex_ledger_attest_run(ex_ledger *l, const ex_attest_opts *o, char **envelope, size_t *len,
                         uint64_t *index, char model[EX_DIGEST_STR_BYTES]);

typedef struct ex_attest_verify_opts {
    const ex_vkey *log_key;        /* the ledger's verifier key: the checkpoint's signer */
    const ex_vkey *signer;         /* the envelope's signer; NULL: log_key */
    const ex_key_chain *log_keys;  /* the log's keys over its life (key rotation), or NULL:
                                      when set, log_key is the one that signs the statement's
                                      log size, and proofs use theirs */
    const char *const *weights;    /* check the subjects against these (may be none) */
    size_t nweights;
    unsigned jobs;
    const char *proof;             /* the envelope's own log inclusion proof (`log
                                      prove-inclusion` of its entry), or NULL */
    size_t proof_len;
    const char *const *parents;    /* parents' envelopes (their texts), each checked too */
    const size_t *parent_lens;
    size_t nparents;
} ex_attest_verify_opts;

typedef struct ex_attest_info {
    char model[EX_DIGEST_STR_BYTES];
    char name[EX_MODEL_NAME_MAX + 1];
    char kind[16];
    size_t subjects, snapshots, parents;
    uint64_t weights_bytes; /* hashed, with weights given */
} ex_attest_info;

/* Check an envelope offline, in this order, each failure EX_EVERIFY with err starting with the
 * check's name: "envelope" (its form and payload type), "signature" (Ed25519 over PAE by
 * signer), "statement" (its shape and predicate, a known kind), "model" (the id is the
 * subjects'), "checkpoint" (signed by log_key, of the log the key names, the origin and size the
 * predicate names), "snapshot NAME" (its record's inclusion in the log under that checkpoint,
 * and the record's name, size and root), "weights" (each given file's digest against the
 * subjects: missing, extra or differing files, a missing shard, named), "log" (with a proof:
 * the envelope's entry is in the log and names this envelope: the SHA-256 of its canonical
 * form, so a trailing newline or other spacing does not matter), "parent" (each given parent
 * envelope verifies and is a parent, by model and envelope digest, that the predicate names).
 * EX_EFORMAT for what is not an envelope at all, EX_ENOTFOUND for a weights path that is not
 * there, EX_EIO for unreadable weights. */
EX_MUST_CHECK int ex_attest_verify(const char *envelope, size_t len,
                                   const ex_attest_verify_opts *o, ex_attest_info *info,
                                   ex_err *err);

/* Every attested model, as JSONL in log order: model (id), name, kind, log_index (of its
 * attestation), parents (ids), external_parents, snapshots (names), retired (and reason). */
int ex_ledger_models_dup(ex_ledger *l, char **jsonl, size_t *len);
/* Model `ref` (a name: the latest attested with it; or its id) and its lineage, one JSON
 * object: model, ancestors and descendants (each a model as listed, with depth and via: the
 * model it was reached through). EX_ENOTFOUND for an unknown model. */
int ex_ledger_lineage_dup(ex_ledger *l, const char *ref, char **json, size_t *len);
/* The DSSE envelope of an attestation as it was logged (malloc'd into *envelope), by model
 * `ref` (a name: the latest attested with it; or its id) or by the log index of its entry
 * (decimal); *index (may be NULL) gets that index. EX_ENOTFOUND for neither. */
int ex_ledger_attestation_dup(ex_ledger *l, const char *ref, char **envelope, size_t *len,
                              uint64_t *index);
/* Log that model `ref` is retired (a remedy: after a deletion order, say), with a reason.
 * EX_EEXIST if it is retired already. */
int ex_ledger_model_retire(ex_ledger *l, const char *ref, const char *reason, uint64_t *index);

/* What impact is asked about: one of a content digest ("sha256:<hex>"), a URL (the latest
 * item recorded at it), or an opt-out (optout set, by the log index of its entry). */
typedef struct ex_impact_query {
    const char *digest;
    const char *url;
    int optout;
    uint64_t optout_index;
    int items; /* list every item holding the content (a pass over the items; an opt-out's
                  query always does) */
} ex_impact_query;

/* What the query reaches, one JSON object: query (in words), digests (up to 4096) and
 * digests_count, items and item_list (with q->items, and always for an opt-out: every item
 * holding one of the digests, exact copies at other URLs included; the first 1000 listed with
 * digest, id and url), snapshots
 * holding any of the digests (name, log_index, size, members_reached), models (trained on one
 * of them, depth 0, or derived from such a model, depth >= 1: model, name, kind, log_index,
 * retired, how), clean_room (per snapshot reached: the members a `snapshot create --from` it
 * would drop once an opt-out is logged, and how many stay). A digest or URL is answered without
 * reading the items unless q->items; an opt-out reads every item twice (its reach, then the
 * copies). EX_ENOTFOUND for an
 * index that is not an opt-out, EX_EINVAL for a bad query. */
int ex_ledger_impact_dup(ex_ledger *l, const ex_impact_query *q, char **json, size_t *len);

/* ---- the training feed ------------------------------------------------- */

/* What `exante filter` read and passed on. Every record read is passed, not a member, or
 * unreadable: records = passed + not_member + unreadable. */
typedef struct ex_filter_stats {
    uint64_t members;           /* the snapshot's size */
    uint64_t inputs;            /* inputs read to their end */
    uint64_t inputs_unreadable; /* inputs that could not be opened or read to their end */
    uint64_t records;           /* records (JSONL lines, WARC content records, files) read */
    uint64_t passed;            /* members: passed on, byte for byte */
    uint64_t not_member;        /* dropped: the digest of their bytes now is not a member (a
                                   record changed since ingest, too; WARC revisits, which hold
                                   no content, are counted here) */
    uint64_t unreadable;        /* dropped: records the reader could not read (quarantine) */
    uint64_t bytes;             /* bytes of the records passed on (paths, for files) */
    uint64_t bytes_out;         /* bytes written (compressed) */
    size_t lookup_bytes;        /* memory of the membership lookup */
} ex_filter_stats;

typedef struct ex_filter_opts {
    const char *snapshot; /* required */
    int format;           /* EX_FORMAT_*, as ingest: AUTO looks at each input's first bytes */
    const char *text_field, *url_field, *id_field, *license_field, *fetched_field; /* JSONL,
                             as given to ingest: the text field makes the digest */
    const char *out;      /* a file (".gz", ".zst": compressed; a WARC ".gz" one member per
                             record), written under a temporary name and renamed at the end;
                             NULL: the descriptor fd, plain */
    int fd;
    int strict;           /* the first unreadable record or input stops the run (EX_EFORMAT /
                             EX_EIO); the output file is then not made */
    /* each unreadable record or input (offset and line 0 for an input), may be NULL */
    void (*report)(void *ctx, const char *file, uint64_t offset, uint64_t line,
                   const char *reason);
    void *report_ctx;
} ex_filter_opts;

/* The training feed of snapshot o->snapshot: read the inputs with ingest's readers (all of
 * one kind: JSONL, WARC or files; EX_EINVAL naming the first of another kind, before anything
 * is written), recompute each record's content digest, and pass on only members, in input
 * order: JSONL lines byte for byte (each ended by a newline), whole WARC records byte for byte,
 * and for files their paths, one a line (a path holding a newline is unreadable). Memory does
 * not grow with the snapshot (stats->lookup_bytes). An input that cannot be read is reported,
 * counted and passed over unless o->strict. EX_ENOTFOUND for an unknown snapshot. */
int ex_ledger_filter(ex_ledger *l, const char *const *paths, size_t n, const ex_filter_opts *o,
                     ex_filter_stats *stats);

/* ---- ISCC Text-Code (ISO 24138; dedup) --------------------------------- */

/* The algorithm, exactly iscc-core's gen_text_code_v0, is docs/FORMATS.md "ISCC Text-Code".
 * An ISCC unit is a header (main type, subtype, version, length) and a digest, written as
 * "ISCC:" and RFC 4648 base32 (upper case, no padding). */
#define EX_ISCC_BITS_MIN 64
#define EX_ISCC_BITS_MAX 256     /* the whole soft hash */
#define EX_ISCC_DIGEST_BYTES 32  /* EX_ISCC_BITS_MAX / 8 */
#define EX_ISCC_CODE_MAX 61      /* "ISCC:", base32 of a 2-byte header and 32 bytes, NUL */
#define EX_ISCC_MT_CONTENT 2
#define EX_ISCC_ST_TEXT 0

/* The Text-Code of text[0..len) with a digest of `bits` (64..256, a multiple of 32): the
 * NUL-terminated "ISCC:..." into code[0..code_cap); digest (may be NULL) gets the first
 * bits/8 bytes of the 256-bit soft hash and zeros after them; *characters (may be NULL) the
 * code points of the collapsed text. The text is UTF-8; each maximal invalid sequence counts
 * as one U+FFFD, as Python's bytes.decode("utf-8", "replace") reads it. EX_EINVAL for other
 * bits or a code_cap too small for the code (EX_ISCC_CODE_MAX always fits), EX_ENOMEM; the
 * outputs are untouched then. */
int ex_iscc_text_code(const char *text, size_t len, unsigned bits, char *code, size_t code_cap,
                      uint8_t digest[EX_ISCC_DIGEST_BYTES], size_t *characters);

/* Decode an ISCC unit: "ISCC:" (any case) optional, base32 in either case. Gives its main
 * type, subtype, version, digest length in bits (32..256) and the digest (zeros after bits/8
 * bytes). EX_EFORMAT with the reason in err (lowercase, no full stop) for anything else:
 * bad base32, a header that does not decode, an ISCC-CODE or ISCC-ID (not a unit), a digest
 * longer than 256 bits, fewer or more bytes than the header says. EX_EINVAL for a NULL code.
 * Outputs are untouched on failure; err may be NULL. */
int ex_iscc_decode(const char *code, unsigned *mtype, unsigned *stype, unsigned *version,
                   unsigned *bits, uint8_t digest[EX_ISCC_DIGEST_BYTES], ex_err *err);

/* The first 64 bits of a Text-Code's digest, big-endian: ex_iscc_decode, then EX_EFORMAT
 * unless the unit is CONTENT / TEXT, version 0, with at least 64 bits (err says which). */
int ex_iscc_text64(const char *code, uint64_t *v, ex_err *err);

/* The number of bits in which a and b differ (how ISCC codes are compared). */
unsigned ex_iscc_hamming(uint64_t a, uint64_t b);

/* ---- license expressions (SPDX) ---------------------------------------- */

/* Where and why an expression does not parse: 1-based byte column (1 .. len+1; len+1 = at
 * the end) and a lowercase message without the column. Print it as "column %u: %s". */
typedef struct ex_license_err {
    unsigned column;
    char msg[256];
} ex_license_err;

/* Parse the SPDX license expression s[0..len) (SPDX 2.3 Annex D; docs/LICENSES.md) and
 * describe it as `exante license parse --json` prints it: canonical JSON with "expression"
 * (the normalised text: list spelling of ids, operators upper case, parentheses only where
 * precedence needs them), "tree" (the structure, shaped like npm spdx-expression-parse's)
 * and "deprecated" (the deprecated ids, in order of appearance). *json is malloc'd (caller
 * frees). EX_EFORMAT with err filled for a syntax error or unknown id; EX_ETOOBIG when longer
 * than 4096 bytes; EX_ENOMEM. err may be NULL. */
int ex_license_parse_json_dup(const char *s, size_t len, char **json, size_t *json_len,
                              ex_license_err *err);

/* ---- robots.txt (RFC 9309; signals) ----------------------------------- */

#define EX_ROBOTS_MAX_BYTES (500u * 1024u) /* parsed from the start of a file; the rest ignored */

/* What a capture says, independent of any URL. */
enum {
    EX_ROBOTS_RULES = 0,        /* a robots.txt body (2xx) */
    EX_ROBOTS_ALLOW_ALL = 1,    /* "unavailable" (3xx after redirects, 4xx): no restriction */
    EX_ROBOTS_DISALLOW_ALL = 2, /* "unreachable" (5xx, network error): complete disallow */
};

/* A parsed robots.txt capture. Immutable once made: any number of threads may check
 * against it at once. The matching rules are in docs/ROBOTS.md. */
typedef struct ex_robots ex_robots;

/* The answer of ex_robots_check. Pointers are borrowed: `rule` lives as long as the
 * ex_robots, `agent` as long as the caller's agents array. */
typedef struct ex_robots_match {
    int allowed;      /* 1 allowed, 0 disallowed */
    unsigned line;    /* 1-based line of the deciding rule; 0: no rule matched */
    const char *rule; /* that line as written, comment and outer whitespace removed,
                         NUL-terminated; NULL when line is 0 */
    size_t rule_len;
    const char *agent; /* the caller's token that decided (the first that disallows, else the
                          first with a matching rule, else the first); "*" with no agents */
    int global;        /* 1 if agent's rules came from the `*` group(s), 0 from its own group */
} ex_robots_match;

/* Parse a robots.txt body (any bytes). Never fails because of the content: EX_ENOMEM is the
 * only error (err says so). Input beyond EX_ROBOTS_MAX_BYTES is ignored, and so is the
 * incomplete last line of the part that is kept. Free with ex_robots_free. */
int ex_robots_parse(const char *txt, size_t len, ex_robots **out, ex_err *err);

/* A capture made from the HTTP status of a robots.txt fetch when there is no body to parse
 * (RFC 9309 2.3.1): 3xx (redirects not followed or more than five) and 4xx give ALLOW_ALL;
 * 5xx, and 0 for "unreachable" (DNS, connection or timeout error), give DISALLOW_ALL.
 * EX_EINVAL for 2xx (parse the body instead), 1xx and anything outside 0..599; EX_ENOMEM. */
int ex_robots_from_status(int http_status, ex_robots **out);

/* EX_ROBOTS_RULES, EX_ROBOTS_ALLOW_ALL or EX_ROBOTS_DISALLOW_ALL. */
int ex_robots_kind(const ex_robots *r);

/* 1 if the body was longer than EX_ROBOTS_MAX_BYTES and its tail was ignored. */
int ex_robots_truncated(const ex_robots *r);

/* Check url[0..url_len) (absolute URL, "//host/path" or a path, percent-encoded as sent over
 * HTTP) for the product tokens agents[0..nagents): disallowed if the rules for ANY of them
 * disallow it, each token evaluated on its own (its groups, else the `*` groups). nagents 0
 * checks `*` alone; a token "*" means the `*` groups. Writes *m and returns EX_OK; EX_EINVAL
 * for NULL r, m or url (with url_len > 0) or a NULL token; EX_ENOMEM only for a path over
 * 4 KiB. */
int ex_robots_check(const ex_robots *r, const char *const *agents, size_t nagents, const char *url,
                    size_t url_len, ex_robots_match *m);

/* The answer m as `exante robots --json` prints it: canonical JSON with "allowed", "agent",
 * and "group" ("*" or the agent), "line" and "rule" (null when no rule matched); bytes of
 * the agent or rule that are not UTF-8 become U+FFFD. *json is malloc'd (caller frees).
 * EX_EINVAL for a NULL m; EX_ENOMEM. */
int ex_robots_match_json_dup(const ex_robots_match *m, char **json, size_t *len);

/* Accepts NULL. */
void ex_robots_free(ex_robots *r);

/* ---- snapshot proofs (PROOFS.md) --------------------------------------- */

/* One leaf of a snapshot tree with its RFC 9162 inclusion proof (n hashes, leaf level
 * first). */
typedef struct ex_snapshot_leaf {
    uint64_t index;
    uint8_t digest[EX_HASH_BYTES];
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t n;
} ex_snapshot_leaf;

/* The leaves that prove digest's membership or non-membership in the sorted tree of
 * members[0..n) (strictly ascending: ex_merkle_sorted_check): member -> its leaf; else the
 * bracketing neighbours, or the first / last leaf at an edge; none for n = 0. *member says
 * which (1 member, 0 not); *nout is 0, 1 or 2. Each proof hashes the tree once (O(n)).
 * EX_EINVAL for NULL arguments, EX_ECRYPTO if hashing fails. */
int ex_snapshot_leaves(ex_sha256 *h, const uint8_t (*members)[EX_HASH_BYTES], uint64_t n,
                       const uint8_t digest[EX_HASH_BYTES], ex_snapshot_leaf out[2],
                       size_t *nout, int *member);
/* The proof document (PROOFS.md), canonical JSON, malloc'd into *json (caller frees; *len may
 * be NULL): type "snapshot-membership" when member is non-zero, else
 * "snapshot-non-membership"; the snapshot record's log entry entry[0..entry_len) with its
 * inclusion proof log_proof[0..log_n) at log_index in the tree of log_size; the signed
 * checkpoint of log_size (a NUL-terminated note); and leaves[0..nleaves). Nothing is checked
 * but the form: ex_log_proof_verify says whether the document proves anything. EX_EINVAL for
 * NULL arguments, nleaves > 2, a list over EX_MERKLE_MAX_PROOF hashes, an empty or over
 * EX_ENTRY_MAX entry, integers beyond 2^53 - 1 or a checkpoint that is not UTF-8; EX_ENOMEM. */
int ex_snapshot_proof_doc_dup(const uint8_t digest[EX_HASH_BYTES], int member, const void *entry,
                              size_t entry_len, uint64_t log_index, uint64_t log_size,
                              const uint8_t (*log_proof)[EX_HASH_BYTES], size_t log_n,
                              const char *checkpoint, const ex_snapshot_leaf *leaves,
                              size_t nleaves, char **json, size_t *len);

/* ---- proof documents -------------------------------------------------- */

enum {
    EX_PROOF_INCLUSION = 1,
    EX_PROOF_CONSISTENCY = 2,
    EX_PROOF_DECISION = 3,
    EX_PROOF_SNAPSHOT_MEMBER = 4,     /* "snapshot-membership" (PROOFS.md) */
    EX_PROOF_SNAPSHOT_NON_MEMBER = 5, /* "snapshot-non-membership" */
};

/* A log proof as printed by `exante log prove-inclusion|prove-consistency` (docs/FORMATS.md).
 * A plain value: ex_log_proof_verify only reads it (with a hasher of its own per call). */
typedef struct ex_log_proof {
    int kind;
    uint64_t index, size;                   /* inclusion: leaf index and tree size */
    uint64_t old, new_size;                 /* consistency: the two tree sizes */
    uint8_t leaf_hash[EX_HASH_BYTES];       /* inclusion */
    uint8_t root[EX_HASH_BYTES];            /* inclusion: root; consistency: new root */
    uint8_t old_root[EX_HASH_BYTES];        /* consistency */
    uint8_t proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t n;
    uint8_t *entry;       /* inclusion, optional: the entry bytes (malloc'd) */
    size_t entry_len;
    char *checkpoint;     /* optional signed note at `size` / `new_size` (malloc'd) */
    char *old_checkpoint; /* consistency, optional: signed note at `old` (malloc'd) */
    /* decision proofs (`exante why --json`): the item and decision records, the decision's
     * path in its batch tree, and the batch's log entry; index/size/proof/root above are the
     * batch entry's log inclusion proof, entry the batch entry */
    char *item;           /* item record (malloc'd) */
    char *decision;       /* decision record (malloc'd) */
    uint64_t batch_index, batch_size;
    uint8_t batch_proof[EX_MERKLE_MAX_PROOF][EX_HASH_BYTES];
    size_t batch_n;
    char *claims; /* the document's summary keys (digest, verdict, ...) as canonical JSON */
    /* snapshot proofs (PROOFS.md): index, size, proof/n are snapshot.log_index, log_size and
     * log_proof; entry the snapshot record; checkpoint the signed checkpoint */
    uint8_t digest[EX_HASH_BYTES]; /* the digest asked about */
    ex_snapshot_leaf leaves[2];
    size_t nleaves;
} ex_log_proof;

/* Parse a proof document strictly: known keys only, each of the right type; errors name the
 * line and column or the key. Snapshot proofs (by their "type") must also be byte for byte
 * the canonical form ex_snapshot_proof_doc_dup writes: canonical base64, 32-byte hashes,
 * lowercase digests, integers up to 2^53 - 1, at most 2 leaves. EX_EFORMAT (EX_ENOMEM).
 * Release with ex_log_proof_clear (also on failure). */
int ex_log_proof_parse(const char *json, size_t len, ex_log_proof *out, ex_err *err);
void ex_log_proof_clear(ex_log_proof *p);
/* Check the proof: its hashes against its roots, the entry (if present) against the leaf
 * hash, and, when key is non-NULL, that signed checkpoints by key vouch for the roots
 * (required then). Snapshot proofs need the key (EX_EINVAL without one) and are checked by
 * every step of PROOFS.md "Verification"; err then starts with the failing step
 * ("step 5: the neighbours are not adjacent"). EX_OK, or EX_EVERIFY with the reason in err. */
EX_MUST_CHECK int ex_log_proof_verify(const ex_log_proof *p, const ex_vkey *key, ex_err *err);
/* ex_log_proof_verify with a log's keys over its life (key rotation): each checkpoint the
 * document holds checked with the key that signs its size (ex_key_chain_at). */
EX_MUST_CHECK int ex_log_proof_verify_chain(const ex_log_proof *p, const ex_key_chain *keys,
                                            ex_err *err);

/* A verifier of many proof documents under one key: ex_log_proof_parse and ex_log_proof_verify
 * in one call, with a hasher and buffers kept from call to call and the checkpoints it has
 * opened remembered. A signed checkpoint note is signature-checked the first time it comes;
 * a later document carrying byte-identical note text reuses what that check gave (origin,
 * size, root), and one whose note differs in any byte, same size or not, is checked again.
 * Only notes that verified are remembered, the 16 most recently used. Every other step runs
 * on every document (for snapshot proofs, all of PROOFS.md "Verification": the record's
 * inclusion in the log, the record's fields, the leaves, their order and their proofs).
 * One thread at a time (it holds a hasher and the cache); make one per thread. */
typedef struct ex_proof_verifier ex_proof_verifier;

/* What a verifier has done since it was made. */
typedef struct ex_verifier_stat {
    uint64_t checked;    /* documents given to ex_proof_verifier_check */
    uint64_t verified;   /* of them, proofs that verified (EX_OK) */
    uint64_t signatures; /* checkpoint notes whose signature was checked */
    uint64_t reused;     /* checkpoints taken from those already checked, no signature check */
} ex_verifier_stat;

/* A verifier for proofs signed by key (copied). EX_EINVAL for NULL arguments, EX_ENOMEM,
 * EX_ECRYPTO; *out is set only on success. Free with ex_proof_verifier_free (accepts NULL). */
int ex_proof_verifier_new(const ex_vkey *key, ex_proof_verifier **out);
void ex_proof_verifier_free(ex_proof_verifier *v);
/* Parse json[0..len) as ex_log_proof_parse does and verify it with the verifier's key as
 * ex_log_proof_verify does; the verdicts and messages are theirs. EX_OK with *kind (may be
 * NULL) the EX_PROOF_... kind (a snapshot proof: EX_PROOF_SNAPSHOT_MEMBER or
 * EX_PROOF_SNAPSHOT_NON_MEMBER); EX_EFORMAT for a malformed document (the line and column or
 * the key in err), EX_EVERIFY when it does not prove its claim ("step N: ..." for snapshot
 * proofs), EX_EINVAL for a NULL v, EX_ENOMEM, EX_ECRYPTO. */
EX_MUST_CHECK int ex_proof_verifier_check(ex_proof_verifier *v, const char *json, size_t len,
                                          int *kind, ex_err *err);
/* The verifier's counts into *out. */
void ex_proof_verifier_stat(const ex_proof_verifier *v, ex_verifier_stat *out);

/* ---- the report (exante report, the server's dashboard) ---- */

/* The facts the report shows, as of the log's size when the call starts (later batches are
 * left out): one canonical JSON object, malloc'd into *json (caller frees; *len may be NULL),
 * its keys in docs/REPORT.md, every count an exact integer. checkpoint (origin, size, root);
 * the items, their bytes, and how many the current (latest) decision admits, rejects, leaves
 * pending or names a duplicate; current decisions by rule and verdict (by_rule); every
 * decision, history included, by the day its batch was logged and its rule (by_time);
 * licenses; the top 20 hosts by bytes and domains_total; per source its items, bytes and
 * current admits and rejects; per opt-out the items it reaches, by their digest and URL as a
 * snapshot's members are checked (an item reached by several is counted once, for the one a
 * rejection cites: a digest or work before a URL prefix before a domain); snapshots; models
 * with their parents. One pass over the decisions (newest first) and
 * one over the items; memory: a bit per item and count tables capped in distinct keys (a
 * table that reached its cap is named in "capped": its totals stay exact, its rows do not).
 * Errors with l's message: EX_EFORMAT for a stored record that does not read, EX_EDB,
 * EX_ENOMEM. */
int ex_ledger_report_dup(ex_ledger *l, char **json, size_t *len);

/* How the report page is made (every member may be NULL). */
typedef struct ex_report_opts {
    const char *title;         /* NULL: "exante ledger" */
    const char *search_action; /* non-NULL: a search form (GET, input name "q") and a form for a
                                  pasted text (POST, textarea name "text"), both sent to this
                                  path, for the server's dashboard */
    const char *extra_html;    /* trusted HTML put after the search box (search results) */
} ex_report_opts;

/* The report page of stats_json[0..len) (ex_ledger_report_dup's JSON): one self-contained
 * HTML5 document, malloc'd into *html (caller frees; *hlen may be NULL), with no script and
 * nothing fetched (inline CSS and SVG charts; its Content-Security-Policy forbids both),
 * every number in an element with a data-k attribute (docs/REPORT.md) and every string of the
 * ledger's HTML-escaped. o may be NULL. EX_EFORMAT with the key at fault in err for stats that
 * are not such an object (malformed JSON: its line and column), EX_EINVAL for NULL stats or
 * html, EX_ENOMEM; err may be NULL. */
int ex_report_html_dup(const char *stats_json, size_t len, const ex_report_opts *o, char **html,
                       size_t *hlen, ex_err *err);

/* ---- the EU summary (exante export eu-summary) ---- */

/* What the ledger knows for the EU public summary of a model's training content (AI Act
 * Art. 53(1)(d); docs/EU-SUMMARY.md): one canonical JSON object of type "eu-facts", malloc'd into
 * *json (caller frees; *len may be NULL). The content is the members of the snapshots the
 * model's attestation names (its parents' are not: they are listed), each content counted
 * once and attributed to the lowest-id item that made it a member. Per source used: kind,
 * agreement, items and bytes by modality (audio, image, text, video: from the item's
 * content_type), first and last fetch time; content types; the hosts of crawled items with
 * items and bytes; per reservation rule (optout, tdm-reserved, robots-disallowed, noai,
 * noimageai) the items of those sources whose current decision, as of the last snapshot, is
 * a rejection by it; the robots.txt agents of the policies the snapshots name; the words of
 * the text of the members (text_words: from the near rows; members of the text modality whose
 * row counts no words, and their bytes; members over 8 MiB, counted in their first 8 MiB, and their
 * bytes past it); the
 * model, its parents, the snapshot records, the log checkpoint. model: a name (the latest of that name)
 * or "sha256:<hex>". Errors with l's message: EX_ENOTFOUND for an unknown model or a snapshot
 * that is gone, EX_EFORMAT for a stored record that does not read, EX_EDB, EX_ENOMEM,
 * EX_EINVAL for NULL arguments. */
int ex_ledger_eu_facts_dup(ex_ledger *l, const char *model, char **json, size_t *len);

/* A provider file: what the ledger cannot know (provider, contact, model versions, date of
 * placement, declared measures, crawler purposes, ...), `key = value` lines; the keys are in
 * docs/EU-SUMMARY.md. Not shared between threads while parsed; read-only after. */
typedef struct ex_eu_provider ex_eu_provider;

#define EX_EU_PROVIDER_MAX_BYTES 65536

/* Parse text[0..len) into *out (free with ex_eu_provider_free, which accepts NULL).
 * EX_EFORMAT with "line N: ..." in err for an unknown key, a duplicate, a malformed line or
 * value, and "missing required key 'K'" when provider_name or provider_contact is absent;
 * EX_ETOOBIG over EX_EU_PROVIDER_MAX_BYTES; EX_ENOMEM; EX_EINVAL for NULL text or out. *out
 * is set only on success. */
int ex_eu_provider_parse(const char *text, size_t len, ex_eu_provider **out, ex_err *err);
void ex_eu_provider_free(ex_eu_provider *p);

/* The forms of the documents for the outside world (the EU summary, the copyright policy). */
enum { EX_DOC_MARKDOWN = 0, EX_DOC_HTML = 1, EX_DOC_JSON = 2 };

/* How a summary is made (every pointer may be NULL). */
typedef struct ex_eu_opts {
    int format;                       /* EX_DOC_JSON, EX_DOC_MARKDOWN or EX_DOC_HTML */
    int sme;                          /* the SME cut of the domain list: top 5% or 1,000 */
    const ex_eu_provider *provider;   /* NULL: every provider field "not provided" (null) */
    const char *old_json;             /* a previous JSON summary: a "changes" section, and the
                                         version is the old one + 1 */
    size_t old_len;
    int64_t now;                      /* the last update, seconds since the epoch (0: now) */
    const char *psl_path;             /* a Public Suffix List file; NULL: the system's
                                         (/usr/share/publicsuffix/public_suffix_list.dat), and
                                         the built-in approximation when it cannot be read */
} ex_eu_opts;

/* The summary of facts[0..len) (ex_ledger_eu_facts_dup's JSON) in the Commission template's
 * structure, as canonical JSON, Markdown or a self-contained HTML page (no script, nothing
 * fetched, every string escaped), malloc'd into *out (caller frees; *olen may be NULL).
 * EX_EFORMAT with the key at fault in err for facts or an old summary that are not such JSON,
 * EX_EINVAL for NULL arguments or an unknown format, EX_ENOMEM. The file at psl_path is the
 * only thing read. */
int ex_eu_summary_dup(const char *facts, size_t len, const ex_eu_opts *o, char **out,
                      size_t *olen, ex_err *err);

/* How many of n domains ranked by content size the summary lists: ceil(10% of n), and with
 * sme min(ceil(5% of n), 1000); 0 only for n = 0. */
size_t ex_eu_domains_listed(size_t n, int sme);

/* ---- supply-chain and dataset documents (exante export spdx|cyclonedx|croissant) ---- */

/* The facts the documents are made of (docs/EXPORTS.md, "The facts"), for snapshot `snapshot`
 * or for model `model` (a name: the latest attested with it; or its id), exactly one of them
 * non-NULL: one canonical JSON object, malloc'd into *json (caller frees; *len may be NULL)
 * with checkpoint (origin, size, root: the log as the call found it), model (null for a
 * snapshot: id, name, kind, log_index, envelope, times, code, config, retired, weights
 * subjects, parents, external_parents, policies, snapshots) and snapshots (the snapshot, or
 * the model's: name, log_index, log_size, size, root, created, policies, the SHA-256 of its
 * record and of its member listing, and over the items behind its members their count, bytes,
 * license mix and combined expression, sources and fetch times). The members are recomputed
 * as `snapshot audit` does and must be the stored ones. A pass over the decisions and one over
 * the items per snapshot. Errors with l's message: EX_EINVAL for neither or both,
 * EX_ENOTFOUND for an unknown snapshot or model, EX_EVERIFY for stored members the ledger
 * does not give, EX_EFORMAT for a stored record that does not read, EX_EDB, EX_ENOMEM. */
int ex_ledger_bom_facts_dup(ex_ledger *l, const char *snapshot, const char *model, char **json,
                            size_t *len);

/* The documents: SPDX 3.0.1 JSON-LD (Core, Software, SimpleLicensing, AI and Dataset
 * profiles), CycloneDX 1.6 JSON (an ML-BOM) and Croissant 1.1 JSON-LD (with the RAI
 * extension). */
enum { EX_BOM_SPDX = 1, EX_BOM_CYCLONEDX = 2, EX_BOM_CROISSANT = 3 };

/* The EX_BOM_... format named "spdx", "cyclonedx" or "croissant"; 0 for another name. */
int ex_bom_format(const char *name);

/* The document of the given format made from facts[0..len) (ex_ledger_bom_facts_dup's JSON),
 * malloc'd into *doc (caller frees; *dlen may be NULL): canonical JSON, its ids and times
 * derived from the facts alone (docs/EXPORTS.md), so one ledger state gives the same bytes.
 * EX_EINVAL for an unknown format or NULL arguments, EX_EFORMAT with the key at fault in err
 * for facts that are not such an object, EX_ENOMEM; err may be NULL. */
int ex_bom_dup(int format, const char *facts, size_t len, char **doc, size_t *dlen, ex_err *err);

/* ---- the copyright policy (exante export copyright-policy) ---- */

/* The facts the copyright policy document is made of (docs/COPYRIGHT-POLICY.md, "The facts"),
 * as of the log's size when the call starts: one canonical JSON object, malloc'd into *json
 * (caller frees; *len may be NULL) with checkpoint (origin, size, root), policy (the current
 * adopted policy: its directives and rules, each rule with the current decisions it made;
 * null when none was adopted), policies (every adoption, in log order), decisions (items by
 * their current decision's verdict; rejections carried from another occurrence), conditions
 * (current rejections by the condition that rejected them), items (how many were fetched with
 * HTTP 401, 402, 403), captures (robots.txt and tdmrep.json: captures, hosts), optouts (by
 * trust, holder and partner), submissions (opt-out requests and complaints by status) and
 * capped. One pass over each table; memory a bit per item and capped tallies. Errors with l's
 * message: EX_EFORMAT for a stored record that does not read, EX_EDB, EX_ENOMEM, EX_EINVAL
 * for a NULL json. */
int ex_ledger_copyright_facts_dup(ex_ledger *l, char **json, size_t *len);

/* Output formats of ex_copyright_policy_dup: EX_DOC_* (the EU summary's). */

/* How the document is made (every pointer may be NULL). */
typedef struct ex_cp_opts {
    int format;                     /* EX_DOC_MARKDOWN, EX_DOC_HTML or EX_DOC_JSON */
    const ex_eu_provider *provider; /* the provider file (ex_eu_provider_parse): the provider's
                                       name and the point of contact; NULL: "not provided" */
} ex_cp_opts;

/* The copyright policy document of facts[0..len) (ex_ledger_copyright_facts_dup's JSON): the
 * policy in plain language, the protocols honoured with the counts behind each, piracy-domain
 * lists, access-restricted content, and the point of contact and complaint mechanism, as
 * Markdown, one self-contained HTML page (no script, nothing fetched, every string escaped)
 * or canonical JSON (docs/COPYRIGHT-POLICY.md), malloc'd into *out (caller frees; *olen may
 * be NULL). EX_EFORMAT naming the key at fault for facts that are not such JSON, EX_EINVAL
 * for NULL arguments or an unknown format, EX_ENOMEM; err may be NULL. */
int ex_copyright_policy_dup(const char *facts, size_t len, const ex_cp_opts *o, char **out,
                           size_t *olen, ex_err *err);

/* ---- witness cosignatures (C2SP tlog-cosignature, tlog-witness) ------- */

/* Witnesses vouch that a log's checkpoint is consistent with every earlier one they saw.
 * Their keys are Ed25519 keys with C2SP signature type 0x04: an ex_vkey whose id is
 * SHA-256(name || "\n" || 0x04 || pub)[:4] (the log's own keys use type 0x01). */
#define EX_COSIG_MAX_PROOF 63   /* consistency proof lines in an add-checkpoint request */
#define EX_COSIG_LINE_MAX 384   /* "— name base64(76 bytes)\n" with its NUL */
#define EX_COSIG_TIME_MAX INT64_MAX

/* The type 0x04 key ID of (name, pub); EX_ECRYPTO if hashing fails. */
int ex_cosig_key_id(const char *name, const uint8_t pub[EX_ED25519_PUB_BYTES],
                    uint8_t id[EX_KEYID_BYTES]);
/* A witness verifier key "name+keyid+base64(0x04 || pub)": parse (EX_EFORMAT naming what is
 * wrong, also for a log key of type 0x01) and format (out needs EX_VKEY_MAX bytes). */
int ex_wvkey_parse(const char *s, ex_vkey *out, ex_err *err);
void ex_wvkey_format(const ex_vkey *v, char out[EX_VKEY_MAX]);
/* The witness verifier key of k (its name and public key, the type 0x04 key ID). */
int ex_key_wvkey(const ex_key *k, ex_vkey *out);
/* The cosignature line "— <name> base64(keyid || u64be(t) || Ed25519 signature)\n" by k over
 * the checkpoint note body body[0..len) (the note's text: it ends in '\n', no signature lines)
 * at POSIX time t; the signed message is "cosignature/v1\ntime <t>\n" then the body. *line_len
 * (may be NULL) gets its length. EX_EINVAL for t > EX_COSIG_TIME_MAX or a body not ending in
 * '\n', EX_ECRYPTO. */
int ex_cosig_sign(const ex_key *k, const char *body, size_t len, uint64_t t,
                  char line[EX_COSIG_LINE_MAX], size_t *line_len, ex_err *err);

/* What the cosigned checkpoint reader found. */
typedef struct ex_cosigned {
    ex_checkpoint cp; /* the checkpoint the note's body says */
    size_t body_len;  /* the note's text: note[0..body_len), its final '\n' included */
    unsigned lines;   /* signature lines in the note */
    unsigned good;    /* distinct witnesses of w[] with a valid cosignature */
} ex_cosigned;
/* Read a cosigned checkpoint note (the checkpoint, a blank line, signature lines: the log's
 * and the witnesses'). With log_key non-NULL the log's signature must verify (as
 * ex_checkpoint_open). Each line whose name and key ID match a witness of w[0..nw) must be a
 * valid cosignature over the body with a timestamp of at most not_after (0: no limit); other
 * lines are ignored. times (may be NULL; nw entries) gets each witness's timestamp (0: no
 * cosignature), on success only. EX_EFORMAT for a malformed note or line, EX_EVERIFY for a known witness's
 * line that does not verify (or the log's signature); EX_OK with out->good possibly 0: the
 * caller decides its quorum. */
EX_MUST_CHECK int ex_cosigned_open(const char *note, size_t len, const ex_vkey *log_key,
                                   const ex_vkey *w, size_t nw, uint64_t not_after,
                                   ex_cosigned *out, uint64_t *times, ex_err *err);

/* A tlog-witness add-checkpoint request body: "old N\n", up to 63 base64 proof lines, an
 * empty line, then the checkpoint note. note points into the parsed body (borrowed). */
typedef struct ex_addcp {
    uint64_t old;
    uint8_t proof[EX_COSIG_MAX_PROOF][EX_HASH_BYTES];
    size_t n;
    const char *note;
    size_t note_len;
} ex_addcp;
/* Parse body[0..len) strictly (decimal without leading zeros, canonical base64 of 32 bytes,
 * every line '\n'-terminated); the note itself is not checked here. EX_EFORMAT naming the
 * line. */
int ex_addcp_parse(const char *body, size_t len, ex_addcp *out, ex_err *err);
/* The request body for old, proof[0..n) and the note, malloc'd into *out (caller frees).
 * EX_EINVAL for n > EX_COSIG_MAX_PROOF, EX_ENOMEM. */
int ex_addcp_format(uint64_t old, const uint8_t (*proof)[EX_HASH_BYTES], size_t n,
                    const char *note, size_t note_len, char **out, size_t *len);

/* A witness: its key and, per log origin, the latest checkpoint it cosigned, in a directory
 * (docs/WITNESS.md). Calls on one handle take turns; several processes may use one directory
 * (updates hold an exclusive lock on DIR/lock). */
typedef struct ex_witness ex_witness;
/* Make dir (if missing) with a new key for name: DIR/key.pem (0600), DIR/vkey, DIR/logs/.
 * EX_EEXIST if dir has a witness key already. */
int ex_witness_init(const char *dir, const char *name, const char *passphrase,
                    ex_witness **out, ex_err *err);
int ex_witness_open(const char *dir, const char *passphrase, ex_witness **out, ex_err *err);
void ex_witness_close(ex_witness *w);
/* The witness's verifier key string (type 0x04; borrowed). */
const char *ex_witness_vkey(const ex_witness *w);
/* The latest checkpoint note cosigned for origin (malloc'd, caller frees); EX_ENOTFOUND if
 * none, EX_EIO. */
int ex_witness_latest_dup(ex_witness *w, const char *origin, char **note, size_t *len,
                          ex_err *err);

/* The answer to an add-checkpoint request, as tlog-witness defines it. */
typedef struct ex_witness_answer {
    int status;       /* 200, 400 (old > size), 403 (no trusted log signature), 404 (unknown
                         origin), 409 (old is not the latest size, or a fork), 422 (proof) */
    int fork;         /* 409 for the same size with another root */
    char *body;       /* 200: the cosignature line(s); 409: "<latest size>\n" (malloc'd) */
    size_t body_len;
    char *latest;     /* 409: the stored checkpoint note it conflicts with (malloc'd) */
    size_t latest_len;
    char reason[160]; /* why, one line, for every status but 200 */
} ex_witness_answer;
/* Answer request r against the trusted log keys logs[0..nlogs) (a log's origin is its key's
 * name) at POSIX time now: every check of tlog-witness in its order; on 200 the new latest is
 * written (temporary file, fsync, rename) under the lock before the answer is made, so check
 * and update are atomic. EX_OK with a->status set (clear it with ex_witness_answer_clear),
 * or EX_EIO/EX_ENOMEM/EX_ECRYPTO (nothing changed). */
int ex_witness_add_checkpoint(ex_witness *w, const ex_vkey *logs, size_t nlogs,
                              const ex_addcp *r, uint64_t now, ex_witness_answer *a,
                              ex_err *err);
void ex_witness_answer_clear(ex_witness_answer *a);

/* The ledger's side: the witnesses it trusts and the cosignatures they returned, kept in the
 * database's metadata (keys "witnesses" and "cosignatures"). Errors with l's message. */
/* Register witness vkey (ex_wvkey_parse) under label name; EX_EEXIST for a name or key
 * already there, EX_EFORMAT for a bad key. */
int ex_ledger_witness_add(ex_ledger *l, const char *name, const char *vkey);
int ex_ledger_witness_remove(ex_ledger *l, const char *name);
/* JSONL of name, vkey, added (malloc'd into *jsonl, caller frees). */
int ex_ledger_witnesses_dup(ex_ledger *l, char **jsonl, size_t *len);
/* The registered witnesses' keys (malloc'd array, caller frees; *n may be 0). The one whose
 * label is name, if name is non-NULL (EX_ENOTFOUND otherwise). */
int ex_ledger_witness_keys(ex_ledger *l, const char *name, ex_vkey **keys, size_t *n);
/* Keep the cosignatures in text[0..len): a cosigned checkpoint note, or bare cosignature
 * lines (a witness's answer) for the checkpoint of `size` (0: the latest). Each line by a
 * registered witness must verify over the body of the ledger's own checkpoint at that size
 * (EX_EVERIFY, nothing kept); other lines are ignored and counted in *ignored. *added (may be
 * NULL) counts the kept lines (a witness's newer line replaces its older one); *at gets the
 * size. */
int ex_ledger_cosig_collect(ex_ledger *l, const char *text, size_t len, uint64_t size,
                            unsigned *added, unsigned *ignored, uint64_t *at);
/* The checkpoint signed at size (0: the largest size with cosignatures) with every kept
 * cosignature appended (malloc'd). EX_ENOTFOUND if it has none. */
int ex_ledger_cosigned_dup(ex_ledger *l, uint64_t size, char **note, size_t *len);
/* The largest size a witness (by label) has cosigned here, 0 if none. */
int ex_ledger_witness_size(ex_ledger *l, const char *name, uint64_t *size);

#ifdef __cplusplus
}
#endif
#endif
