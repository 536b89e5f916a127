/* ledger.h - the ledger handle, shared by the use cases in this folder. */
#ifndef EX_LEDGER_H
#define EX_LEDGER_H

#include "core/cjson.h"
#include "ingest/jsonscan.h"
#include "log/log.h"

struct ex_ledger {
    char *dir;
    char *db; /* the PostgreSQL store's URL; NULL: the SQLite file in dir */
    char origin[EX_NAME_MAX + 1];
    char vkey[EX_VKEY_MAX];
    ex_store *st;
    ex_key *key;
    int key_external; /* key came from opts->key_file, not dir/key.pem */
    ex_log *log;
    ex_sha256 *h;
    ex_err err;
};

/* Record the store's or the log's message in l and return rc. */
int ex_ledger_fail_store(ex_ledger *l, int rc);
int ex_ledger_fail_log(ex_ledger *l, int rc);

/* The canonical-JSON log entry for an evidence document (malloc'd into *entry). */
int ex_ledger_evidence_entry(ex_ledger *l, const char *path, const char *kind,
                             const char *source, const char *note,
                             uint8_t digest[EX_HASH_BYTES], char **entry, size_t *len);

/* Finish a key rotation that committed but did not swap its files (rotate.c): when
 * dir/key.pem.new holds db_vkey's key, retire key.pem, make key.pem.new key.pem and rewrite
 * the vkey file (read_only: only say EX_OK, changing nothing). EX_ENOTFOUND when there is
 * nothing to finish. */
int ex_ledger_rotation_finish(const char *dir, const char *db_vkey, const char *passphrase,
                              const char *origin, int read_only, ex_err *err);

/* JSON objects in the ledger's metadata (meta.c): the object under key (an empty one if there
 * is none; EX_EFORMAT if it is not an object), written back canonically, and listed as JSONL,
 * one {"name": member, a: its a, b: its b} a line (canonical; EX_EFORMAT naming a member
 * without them). Errors with l's message. */
int ex_ledger_meta_object(ex_ledger *l, const char *key, json_t **out);
int ex_ledger_meta_put_json(ex_ledger *l, const char *key, json_t *o);
int ex_ledger_meta_jsonl(ex_ledger *l, const char *key, const char *a, const char *b, char **jsonl,
                         size_t *len);

/* Run fn inside one store transaction; on failure roll back and resync the log. */
int ex_ledger_atomic(ex_ledger *l, int (*fn)(ex_ledger *l, void *ctx), void *ctx);

/* The source named name: its id and (if record is non-NULL) its record, malloc'd.
 * EX_ENOTFOUND with a message if there is none. */
int ex_ledger_source_find(ex_ledger *l, const char *name, uint64_t *id, char **record);
/* Log `entry` (canonical JSON) and store it as a row of `table` keyed by its log index, with
 * the members of `extra` (may be NULL) added to the row only; one transaction. The entry's
 * index and the SHA-256 of its bytes come back (either may be NULL). */
int ex_ledger_log_record(ex_ledger *l, int table, json_t *entry, json_t *extra, uint64_t *index,
                         uint8_t digest[EX_HASH_BYTES]);
/* The log entry of opt-out o (optouts.c), not logged yet: *out is a new JSON object. */
int ex_ledger_optout_entry(ex_ledger *l, const ex_optout_opts *o, json_t **out);
/* The opt-out submission s asks for (submissions.c), into *oo, borrowing from s; an uploaded
 * evidence file becomes its digest, in ev. */
struct ex_submission;
int ex_submission_optout(ex_ledger *l, const struct ex_submission *s, ex_optout_opts *oo,
                         char ev[EX_DIGEST_STR_BYTES]);
/* Attach the domain lists a stored policy row (adopt.c: its "lists", by path as written)
 * keeps to p's `domains` rules; EX_EFORMAT with d filled if one is missing or malformed. */
struct ex_policy;
int ex_ledger_policy_lists(struct ex_policy *p, json_t *row, ex_policy_diag *d);
/* The item a query names: a digest's first occurrence, or a URL's latest item (why.c). *record
 * is its record, malloc'd. EX_ENOTFOUND with a message if there is none, EX_EINVAL for a
 * malformed digest. */
int ex_ledger_find_item(ex_ledger *l, const char *q, uint64_t *id, char **record);
/* *key: item id's duplicate-index key (the first 8 bytes of its content digest, dedup.h), from
 * its record: what a saved index records of the last item it covers, so that a reader can
 * check the index was made from this ledger. EX_ENOTFOUND if there is no such item, EX_EFORMAT
 * if its record has no digest; the message in l->err. */
int ex_ledger_item_key(ex_ledger *l, uint64_t id, uint64_t *key);
/* log verify's check of the saved lookup indexes (verify_index.c): open them read-only
 * (*out NULL for an in-memory ledger; an index never saved is not checked), then give it the
 * first decision of each item with the item's record, in item order. EX_EVERIFY naming what
 * an index lacks, or a run file refused; the message in l->err. */
typedef struct ex_vindex ex_vindex;
int ex_vindex_open(ex_ledger *l, ex_vindex **out);
int ex_vindex_item(ex_vindex *v, uint64_t item, const char *irec, size_t ilen, const char *drec,
                   size_t dlen);
/* Items looked up so far. */
uint64_t ex_vindex_checked(const ex_vindex *v);
/* Accepts NULL. */
void ex_vindex_close(ex_vindex *v);

/* The URL index key of a URL (lookups.c): the first 8 bytes of its SHA-256 (never 0; 0 only if
 * hashing fails). Ingest, `why URL` and log verify's check of the index use this one. */
uint64_t url_key(ex_sha256 *h, const char *url);
/* The URL index's directory in the ledger's: every item by the first 8 bytes of its URL's
 * SHA-256 (lookups.c; "urls", of WARC records alone, was its name before schema 8). */
#define URL_INDEX "by-url"
/* The near-duplicate parameters of the adopted policy (k, bands, the Jaccard threshold), or
 * the defaults (112, 14, 0.8) without one. */
int ex_ledger_near_params(ex_ledger *l, unsigned *k, unsigned *bands, double *near);
/* The adopted policy, parsed, its digest, and an evaluator loaded with every source,
 * capture and opt-out; *policy and *e stay NULL (and EX_OK is returned) when no policy has
 * been adopted. Free with ex_peval_free, then ex_policy_free. */
struct ex_policy;
struct ex_peval;
int ex_ledger_peval_load(ex_ledger *l, struct ex_policy **policy, char digest[EX_DIGEST_STR_BYTES],
                         struct ex_peval **e);
/* An evaluator that knows only the opt-outs logged below log index `below` (UINT64_MAX: all),
 * for asking whether one reaches an item (ex_peval_optout); *n counts them. Free with
 * ex_peval_free, then ex_policy_free. */
int ex_ledger_optouts_load(ex_ledger *l, uint64_t below, struct ex_policy **policy,
                           struct ex_peval **out, uint64_t *n);
/* A second, read-only connection to the ledger's database (WAL: it reads the last committed
 * state while the main connection writes); EX_EINVAL for an in-memory ledger. Close it with
 * its ops->close. */
int ex_ledger_reader(ex_ledger *l, ex_store **out);
/* Take the ledger's writer lock (<dir>/ingest.lock, flock): one ingest or reevaluate at a
 * time. EX_EDB with a message naming the holder's pid if another process has it; *fd is -1
 * for an in-memory ledger. Release with ex_ledger_unlock (which accepts -1). */
int ex_ledger_lock(ex_ledger *l, int *fd);
void ex_ledger_unlock(int fd);
/* All records of a table as JSONL (malloc'd). */
int ex_ledger_records_dup(ex_ledger *l, int table, char **jsonl, size_t *len);
/* The item id and provenance digest ("sha256:...", into prov) of a decision record, read by
 * a validating scan of the record that builds no tree (verify.c); NULL if the record is not
 * one JSON object, or either is missing or not of its form (an integer of at most 18 digits;
 * a string of at most EX_DIGEST_STR_LEN bytes, nothing escaped). fuzz/fuzz_decision.c checks
 * that it agrees with jansson. */
const char *ex_decision_fields(const char *rec, size_t len, int64_t *item,
                               char prov[EX_DIGEST_STR_BYTES]);

/* Reading stored records by parsing them (fields.c): a validating scan of the whole record
 * that locates a few top-level fields and builds no tree. */
typedef struct ex_fields {
    ex_jscan_spec spec;
    unsigned n;
    const char *str[EX_JSCAN_FIELDS]; /* strings, decoded, NUL-terminated; NULL: absent or
                                         not a string */
    int64_t num[EX_JSCAN_FIELDS];     /* non-negative integers of at most 18 digits; -1: absent
                                         or not one */
    ex_buf buf;
    int flat; /* every path is a top-level key: ex_fields_read_flat may read */
} ex_fields;

/* Ready f to read the fields at paths (n <= EX_JSCAN_FIELDS); EX_EINVAL for a bad path. */
int ex_fields_init(ex_fields *f, const char *const *paths, unsigned n);
/* The fields of rec[0..len) into f, valid until its next read: EX_EFORMAT if rec is not one
 * JSON object (or a field on a path occurs twice), EX_ENOMEM. ex_fields_read_flat when it can
 * read rec, else ex_fields_read_scan. */
int ex_fields_read(ex_fields *f, const char *rec, size_t len);
/* The validating scan of the whole record (ingest/jsonscan.h), as ex_fields_read says. */
int ex_fields_read_scan(ex_fields *f, const char *rec, size_t len);
/* A faster scan, for paths that are all top-level keys, of records shaped as the ledger writes
 * them (one object, no whitespace, ASCII, integers, scalars and arrays of scalars, no \u
 * escape): 1 if it read rec, with f as ex_fields_read_scan leaves it; 0 if rec is not of that
 * shape (or f's paths are not), and only the full scan can say. fuzz/fuzz_fields.c checks
 * that the two agree. */
int ex_fields_read_flat(ex_fields *f, const char *rec, size_t len);
void ex_fields_free(ex_fields *f);

#endif
