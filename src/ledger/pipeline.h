/* pipeline.h - the ingest pipeline's parts, shared by the files that hold them:
 *
 *   records.c    the canonical records it writes: items, decisions, quarantine reports,
 *                input progress, batch entries
 *   inputs.c     the inputs: how far each is recorded, format detection, the jobs of a run
 *   readers.c    the reader side: readers turn an input into entries (item records written
 *                and hashed, quarantine reports), inline or on a pool of threads
 *   batches.c    batches and the writer thread that commits them (ingest and reevaluate)
 *   lookups.c    exact duplicates and WARC revisit targets, through the indexes
 *   ingest.c     the sequencer (entries in order -> decisions -> batches) and ex_ledger_ingest
 *   reevaluate.c ex_ledger_reevaluate, on batches of decisions only
 *
 * Every item becomes an item record (its provenance) and a decision record. Decisions are
 * grouped in batches; a batch is one transaction holding its items, decisions, quarantine
 * reports and input progress, plus one log entry committing to the RFC 9162 root of its
 * decision records. Two structures hold a run: `run`, what the sequencer and the readers share
 * (the ledger's inputs, indexes and policy, and the totals), and `batcher`, what is written
 * (the batch being filled, the one in flight, the writer thread). Only the sequencer's thread
 * touches `run` apart from what readers read (jobs, options, the run's fixed record parts);
 * the writer thread touches only the batch in flight and the ledger's write connection. */
#ifndef EX_PIPELINE_H
#define EX_PIPELINE_H

#include "ledger.h"

#include <pthread.h>
#include <stdatomic.h>

#include "dedup/dedup.h"
#include "ingest/reader.h"
#include "policy/policy.h"

#define EX_SOURCE_NAME_MAX 160 /* bytes of a source name held by a run, with its NUL */

/* ---- records.c ---- */

/* The parts of records that stay the same for a run: the source name inside items' tail
 * (`"source":<name>,"type":"item"`) and the whole tail of the decisions whose reason, rule and
 * verdict are fixed (copies, revisits, pending items), written once. */
enum { TAIL_NONE = 0, TAIL_COPY, TAIL_REVISIT, TAIL_PENDING, TAIL_COUNT };

typedef struct recfix {
    char source[EX_SOURCE_NAME_MAX];
    ex_buf buf;
    size_t item, item_len;              /* the items' tail members */
    size_t tail[TAIL_COUNT], tail_len[TAIL_COUNT];
    int rc;                             /* EX_EINVAL: the source name is not UTF-8 */
} recfix;

/* Make f's parts for source; EX_ENOMEM only (a name that cannot be written leaves f->rc set,
 * and every record of the run then fails with it). Free with recfix_free. */
int recfix_init(recfix *f, const char *source);
void recfix_free(recfix *f);

/* A decision record's parts, in canonical key order. */
typedef struct dec {
    uint64_t item, copy_of, supersedes; /* 0: absent */
    const char *dig, *prov;             /* content digest, item record digest */
    const char *policy;                 /* policy digest, NULL: none (null) */
    const char *verdict, *rule, *reason;
    const char (*evidence)[EX_DIGEST_STR_BYTES];
    int nevidence;
    int tail; /* TAIL_*: reason, rule and verdict are f's fixed tail (when nothing follows) */
    /* a rejection that follows content (docs/FORMATS.md): the condition of the rule that
     * matched (NULL: none), the occurrence that carried it when not this item, the
     * near-duplicate it came through and their estimated Jaccard ("0.87"), 0/NULL: absent */
    const char *reservation;
    uint64_t carried_by, near_of;
    const char *similarity;
} dec;

extern const char ex_copy_reason[], ex_revisit_reason[], ex_pending_reason[];

/* The item record of it (dig: its content digest formatted; head[0..headl): its HTML head)
 * appended to b. EX_EINVAL if a field is not UTF-8 (b then holds a partial record: the
 * caller cuts it), EX_ENOMEM. */
int rec_item(const recfix *f, const ex_item *it, const char *dig, const char *head, size_t headl,
             ex_buf *b);
/* The decision record d of source appended to b (f: the fixed tails, or NULL). */
int rec_decision(const recfix *f, const char *source, const dec *d, ex_buf *b);
/* A quarantine report (what a reader could not read, and where). */
int rec_quarantine(const ex_quarantine *q, const char *source, ex_buf *b);
/* How far an input is recorded (the inputs table). */
int rec_input(const char *source, size_t source_len, const char *path, uint64_t size,
              uint64_t mtime, uint64_t through, ex_buf *b);
/* A batch's log entry: count decision records from id first, whose tree has root. */
int rec_batch(const char *source, uint64_t first, uint64_t count,
              const uint8_t root[EX_HASH_BYTES], const char *logged, ex_buf *b);

/* ---- inputs.c ---- */

typedef struct input {
    char *key;        /* "<source>\n<real path>" */
    uint64_t id;      /* row in the inputs table, 0 if not stored yet (the writer's) */
    uint64_t through; /* records at offsets below this are recorded */
    uint64_t size, mtime;
    int dirty;        /* changed in the batch being filled */
} input;

typedef struct imap {
    input **v; /* open addressing by key hash */
    size_t cap, n;
} imap;

typedef struct job {
    const char *path;
    int format;
    input *in;             /* a stream input; NULL for a file tree (one input per file) */
    uint64_t skip_through; /* its records at offsets below this were recorded earlier */
    uint64_t pos;          /* file offset reached (the last record's gzip member / zstd frame) */
    int done;
} job;

/* Load every stored input record into m. EX_EFORMAT with the row named in err for a record
 * that is not an input record (the ledger is damaged: how far its input was read is lost). */
int inputs_load(ex_store *st, imap *m, ex_err *err);
/* The input record of source and path (made if new). A file whose size or modification time
 * changed is read again from its start: its records are new. EX_EIO if path cannot be
 * resolved, EX_ENOMEM. */
int inputs_get(imap *m, const char *source, const char *path, input **out, ex_err *err);
void inputs_free(imap *m);
/* The format of path by its first bytes: a directory is a file tree, "WARC/1." a WARC, '{' a
 * JSONL stream, anything else one file. EX_EIO if it cannot be read. */
int inputs_detect(const char *path, int *format, ex_err *err);
/* The jobs of paths (one per distinct input), with format `format` or each one's detected
 * format (EX_FORMAT_AUTO). *jobs is malloc'd. */
int inputs_jobs(imap *m, const char *source, int format, const char *const *paths, size_t n,
                job **jobs, size_t *njobs, ex_err *err);

/* ---- batches.c ---- */

/* One item's records in a batch: offsets into the batch's arena and encoded buffer. */
typedef struct pending {
    size_t item, item_len;         /* item record */
    size_t decision, decision_len; /* decision record */
    uint64_t item_id;              /* the item the decision is about */
    size_t nrec, nrec_len;         /* its near-duplicate fingerprint record, in `nearrec` */
    uint64_t iscc;                 /* its ISCC Text-Code's first 64 bits, 0: none */
} pending;

/* A decision about an earlier item (a reservation that followed its content there), made
 * while a batch fills: its record is in the arena; it joins the batch's pending records,
 * after the items', when the batch is handed over. */
typedef struct extra {
    pending p;
    uint8_t leaf[EX_HASH_BYTES];
} extra;

/* what an input record says, taken when its batch is handed over */
typedef struct insnap {
    input *in;
    uint64_t through, size, mtime;
} insnap;

typedef struct batch {
    pending *p;
    size_t np, pcap;
    size_t ni;              /* at hand-over: of the np, the first ni are the items' decisions */
    extra *x;               /* extra decisions, while the batch fills */
    size_t nx, xcap;
    ex_buf nearrec;         /* the items' near-duplicate fingerprint records */
    /* per pending record, same capacity: its decision's leaf hash, and the rows to insert */
    uint8_t (*leaves)[EX_HASH_BYTES];
    int64_t *keys;
    const void **data;
    size_t *lens;
    ex_buf arena;           /* the batch's records, back to back */
    ex_buf packed;          /* its items and decisions in the store's encoding (one block) */
    ex_buf quarantine;      /* its quarantine reports, NUL-separated */
    size_t nq;
    uint64_t first_item, first_dec; /* ids of its first item and decision (at hand-over) */
    uint64_t staged;        /* the staged batch it logs (sequence.c), removed with it; 0: none */
    insnap *ins;            /* the inputs it advances (at hand-over) */
    size_t nins, cins;
} batch;

typedef struct batcher {
    ex_ledger *l;
    int no_items;           /* reevaluate: batches of decisions only */
    int async;              /* batches are committed by the writer thread */
    size_t batch_max;
    char source[EX_SOURCE_NAME_MAX]; /* named by batch entries (reevaluate: the last item's) */
    uint64_t next_item;     /* id the next item will get */
    uint64_t next_decision;
    batch bufs[2];
    batch *b, *fly;         /* the batch being filled; the one being committed, or NULL */
    ex_store_enc *enc;      /* the sequencer's encoder (the store's) */
    input **dirtyv;         /* inputs advanced in the batch being filled */
    size_t ndirty, cdirty;
    int dirty;
    /* the writer thread */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started, busy, quit;
    ex_store_enc *wenc;     /* the writer's encoder */
    int wrc;                /* the last batch's result, read after it is done */
    int failed;             /* a batch failed (its code): nothing after it may land */
    /* the run's error: the first failure of either thread, under err_mu */
    pthread_mutex_t err_mu;
    ex_err err;
    /* after each batch lands, on the sequencer's thread (may be NULL) */
    void (*landed)(void *ctx, const batch *bt);
    void *landed_ctx;
    /* the run's running totals (may be NULL): taken at each hand-over, they become the
     * committed totals when that batch lands, for an honest summary of a failed run */
    const ex_ingest_stats *stats;
    ex_ingest_stats handed[2]; /* per buffer in bufs */
    ex_ingest_stats committed;
} batcher;

/* Start a batcher for ledger l (nothing is written until a flush). EX_ENOMEM. */
int bat_init(batcher *w, ex_ledger *l, size_t batch_max, int async, int no_items);
/* Record the run's failure (the first one wins; any thread); returns rc. */
int bat_fail(batcher *w, int rc, const char *fmt, ...) EX_PRINTF(3, 4);
/* Room for one more pending record in the batch being filled; the new record's slot. */
int bat_slot(batcher *w, pending **p);
/* in advanced in the batch being filled. */
int bat_touch(batcher *w, input *in);
/* Hand the batch being filled over: to the writer thread while the next one fills, or
 * committed here. The batch before it lands first: at most one is in flight, so a crash loses
 * at most two batches, and a re-run completes them. */
int bat_flush(batcher *w);
/* An extra decision (its record at arena offset decision, len bytes, with its leaf hash)
 * about earlier item `item` in the batch being filled. EX_ENOMEM. */
int bat_extra(batcher *w, uint64_t item, size_t decision, size_t len,
              const uint8_t leaf[EX_HASH_BYTES]);
/* Wait for the batch in flight; its result. */
int bat_land(batcher *w);
/* Item record `id` if it is in the batch being filled or in flight (not readable from the
 * store yet): 1 with *rec, *len; else 0. */
int bat_item(const batcher *w, uint64_t id, const char **rec, size_t *len);
/* Land what is in flight and stop the writer; the last batch's result. Then copy the run's
 * error (if any) into the ledger's, and free everything. */
int bat_finish(batcher *w, int rc);
/* What a run reports: on success its totals; on failure the totals of what was committed
 * (w->committed, as of the last batch that landed), with uncommitted the items counted after
 * them. rc: the run's result. */
void bat_report(const batcher *w, const ex_ingest_stats *totals, int rc, ex_ingest_stats *out);

/* ---- the run: what the sequencer and the readers share ---- */

struct ent;

typedef struct run {
    ex_ledger *l;
    const ex_ingest_opts *o;
    ex_ingest_stats st;
    uint64_t input_total;
    batcher w;
    recfix fix;
    ex_dedup *map;          /* exact duplicates: digest prefix -> first item */
    ex_dedup *urls;         /* WARC records (not revisits): URL key -> items, for revisits */
    ex_sha256 *h;           /* the sequencer's own hasher */
    ex_store *rd;           /* a read-only connection for duplicate checks, or NULL */
    ex_fields itemf;        /* item records' fields that lookups read */
    imap inputs;
    job *jobs;              /* the inputs of this run */
    size_t njobs;
    uint64_t done_bytes;    /* sizes of the inputs finished */
    int strict_hit;
    int take_rc;            /* the first failure of the sequencer */
    struct ex_policy *pol;  /* the adopted policy; NULL: none, items are recorded as pending */
    ex_peval *pe;
    char pdig[EX_DIGEST_STR_BYTES];
    /* near-duplicates (near.c) */
    unsigned near_k, near_bands; /* the fingerprints' parameters (readers make them) */
    double near_t;               /* the Jaccard threshold of a near-duplicate */
    struct ex_near *near;        /* the sequencer's: band keys */
    ex_dedup *bands;             /* band key -> items */
    ex_buf nbuf;                 /* scratch: a decision record read back */
    char nreason[EX_PEVAL_REASON_MAX + 256]; /* follow.c: a following rejection's words */
    char nev[EX_PEVAL_EVIDENCE_MAX + 1][EX_DIGEST_STR_BYTES];
    char nsim[16];
    char nrule[EX_POLICY_ID_MAX], nres[32];
    /* a worker's (stage.c): entries go to it instead of the sequencer */
    int (*take)(struct run *r, const struct ent *e, const char *body);
    void *take_ctx;
} run;

/* Free what a run holds (its policy, hasher, second connection, record parts, indexes,
 * inputs), not its jobs (ingest.c). */
void run_free(run *r);

/* ---- readers.c ---- */

enum { E_ITEM = 1, E_QUARANTINE, E_DONE };
enum { F_URL, F_LICENSE, F_FETCHED, F_HEADERS, F_HTML, F_REFERS, F_REFERS_ID, F_COUNT };

/* An entry: what a reader made of one record (or the end of an input), followed by its body
 * (8-byte aligned, back to back in the readers' chunks and in staged batches). */
typedef struct ent {
    int kind;
    int revisit;
    int rc;                 /* E_DONE: the reader's result */
    uint32_t job;           /* the input it came from */
    uint64_t offset, member, size, key, skipped;
    uint8_t digest[EX_HASH_BYTES];
    uint8_t prov[EX_HASH_BYTES]; /* digest of the item record */
    char dig[EX_DIGEST_STR_BYTES]; /* digest, formatted */
    size_t rec_len;  /* bytes after the header: item record, quarantine JSON or E_DONE message */
    size_t path_len; /* a file of a tree: its path (NUL-terminated) is at path_off, else 0 */
    size_t path_off;
    size_t body_len; /* all bytes after the header */
    /* what the policy reads of an item, NUL-terminated in the body: offset and length, or
     * offset 0 when absent */
    size_t f_off[F_COUNT], f_len[F_COUNT];
    uint64_t ukey; /* WARC: the URL index key of its URL (a revisit: of the one it refers to) */
    uint64_t pkey; /* the URL index key of its own URL, 0 without one: every item is indexed */
    size_t fp_off, fp_len; /* its near-duplicate fingerprint record in the body (fp_off 0: the
                              run keeps none) */
    uint64_t iscc;         /* its ISCC Text-Code's first 64 bits, 0: none */
} ent;

/* Read every job of r into entries and give them to the sequencer (take), in each input's
 * order: on this thread with nreaders 1, else on nreaders threads. Returns the first failure
 * (the run's error says why). */
int readers_run(run *r, size_t nreaders);

/* ---- lookups.c ---- */

/* Open the indexes (content digests, WARC URLs) with what the last ingest saved, and add the
 * items recorded after it; r->w.next_item is then the next item's id. */
int lookups_start(run *r);
/* id of an earlier item with content digest dig (index key key), 0 if none. */
int lookup_copy(run *r, uint64_t key, const char *dig, uint64_t *id);
/* The item a WARC revisit repeats: the earlier WARC record (not a revisit) with this URL whose
 * WARC-Record-ID is rid (the revisit's WARC-Refers-To; may be NULL), else the latest such
 * record; 0 if none. */
int lookup_revisit(run *r, uint64_t ukey, const char *url, const char *rid, uint64_t *id);
/* After a completed ingest: keep the indexes for the next one (best effort). */
void lookups_save(run *r);
/* An index kept between ingests in the ledger's directory `name` (dedup/: content digests,
 * urls/: WARC records by URL, near-KxB/: band keys), with what the last completed ingest saved
 * there if it still fits this ledger: *from is the first item id it does not cover. */
int index_start(run *r, const char *name, size_t mem_items, ex_dedup **out, uint64_t *from);
/* Keep index ix (NULL: none) for the next ingest: it covers the items before r->w.next_item
 * (best effort). */
void index_save(run *r, ex_dedup *ix);

/* ---- near.c ---- */

/* A near-duplicate of an item: an earlier item whose fingerprint shares a band key with it
 * and whose estimated Jaccard similarity reaches the run's threshold. */
typedef struct near_hit {
    uint64_t id;
    double j;
} near_hit;
#define NEAR_HITS_MAX 64 /* near-duplicates considered per item, the most similar first */

/* The fingerprint parameters (the policy's, or 112 and 14), and the band index with what the
 * last ingest saved plus the fingerprints recorded after it. */
int near_start(run *r);
void near_save(run *r);
void near_stop(run *r);
/* The fingerprint of earlier item `id` (batch being filled, in flight, or stored) into fp:
 * 1 if it has one made with the run's parameters, 0 if not, or a failure (< 0: the run's). */
int near_fp(run *r, uint64_t id, uint8_t *fp);
/* The near-duplicates of fp among earlier items (not `self`), most similar first. */
int near_find(run *r, const uint8_t *fp, uint64_t self, near_hit *hits, size_t *n);
/* fp's band keys -> id. */
int near_put(run *r, const uint8_t *fp, uint64_t id);

/* ---- follow.c ---- */

/* The decision d of a new item (entry e, record rec, the policy's answer pd, fp its
 * fingerprint or NULL) after the rejections that follow content: an occurrence whose own
 * decision is a following rejection is marked with its reservation; a first occurrence that
 * is a near-duplicate of content carrying one is rejected with that content's evidence
 * (d's strings then point into the run's scratch, valid until the next call). */
int follow_decide(run *r, const ent *e, const char *rec, const uint8_t *fp, uint64_t copy_of,
                  const ex_pdecision *pd, dec *d);
/* After item `id`'s decision d (carrying its own reservation; prov: the item record's
 * digest) is in the batch: every earlier admitted occurrence of the same content (copy_of),
 * and its near-duplicate cluster, gets a rejection naming this one. */
int follow_spread(run *r, const uint8_t *prov, const uint8_t *fp, uint64_t id,
                  uint64_t copy_of, const dec *d);

/* What a decision says, of what follow.c reads. */
typedef struct said {
    uint64_t id; /* 0: an extra decision of the batch being filled (no id yet) */
    char verdict[16], rule[EX_POLICY_ID_MAX], reservation[32];
    char digest[EX_DIGEST_STR_BYTES], prov[EX_DIGEST_STR_BYTES];
    char source[EX_SOURCE_NAME_MAX];
    uint64_t carried_by;
    char reason[EX_PEVAL_REASON_MAX];
    char ev[EX_PEVAL_EVIDENCE_MAX][EX_DIGEST_STR_BYTES];
    int nev;
} said;
/* The latest decision of earlier item `item`: in the batch being filled, in flight, or
 * stored. 1 with *s, 0 if it has none, or the run's failure. */
int follow_latest(run *r, uint64_t item, said *s);

/* ---- ingest.c ---- */

/* What a staged batch's entries were written by (stage.c, checked by sequence.c): the
 * version and the entry header's size, whose layout they share. */
void staged_version(char out[64]);

/* Check the n entries of a staged batch (data, len bytes; tree: its input is a file tree,
 * whose items name their files), then, if all are sound, give each to fn (with job 0):
 * EX_EFORMAT with "entry K: why" in err at the first that is not, before fn sees any; else
 * fn's first failure (staged.c). */
int staged_walk(ex_sha256 *h, const void *data, size_t len, uint64_t n, int tree,
                int (*fn)(void *ctx, const ent *e, const char *body), void *ctx, ex_err *err);

/* Take one entry (the sequencer; a worker's r->take); a non-EX_OK result ends the run. */
int seq_take(run *r, const ent *e, const char *body);
/* The fingerprint parameters of the run's policy (near.c). */
void near_params(run *r);

/* ---- inputs.c ---- */

/* The input record of key ("<source>\n<path>") as a worker saw it (size, mtime), without
 * looking at the file (the sequencer may not see it): made if new; read again from its start
 * if it changed. */
int inputs_known(imap *m, const char *key, uint64_t size, uint64_t mtime, input **out,
                 ex_err *err);

#endif
