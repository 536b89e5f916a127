/* sequence.c - the sequencer of a shared (PostgreSQL) ledger: ex_ledger_sequence. It takes
 * the batches workers staged (stage.c) in staging order and gives their entries to the
 * ingest's sequencer (ingest.c) as if its own readers had made them: duplicates are found in
 * one index over the whole ledger (the first occurrence logged wins), the policy decides, and
 * each staged batch becomes one logged batch, committed in the transaction that removes it
 * from the staged ones. A sequencer killed at any point leaves every staged batch either
 * logged and gone or still staged; the next one goes on from there. One sequencer at a time:
 * a second is refused (the store's lock). */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

/* the most a staged batch's entries may take, decompressed */
#define STAGED_MAX ((unsigned long long)1 << 30)

/* a staged batch, copied out of the store's result */
typedef struct row {
    ex_staged b;
    char *input, *source, *path, *policy, *worker, *version;
    void *entries;
} row;

typedef struct rows {
    row v[8];
    size_t n;
} rows;

static void
row_free(row *w)
{
    free(w->input);
    free(w->source);
    free(w->path);
    free(w->policy);
    free(w->worker);
    free(w->version);
    free(w->entries);
    memset(w, 0, sizeof *w);
}

static int
keep_row(void *ctx, const ex_staged *b)
{
    rows *rs = ctx;
    row *w = &rs->v[rs->n];
    w->b = *b;
    w->input = strdup(b->input), w->source = strdup(b->source), w->path = strdup(b->path);
    w->policy = strdup(b->policy), w->worker = strdup(b->worker), w->version = strdup(b->version);
    w->entries = malloc(b->len ? b->len : 1);
    rs->n++;
    if (!w->input || !w->source || !w->path || !w->policy || !w->worker || !w->version ||
        !w->entries)
        return EX_ENOMEM;
    memcpy(w->entries, b->entries, b->len);
    return EX_OK;
}

static int
take_one(void *ctx, const ent *e, const char *body)
{
    return seq_take(ctx, e, body);
}

/* Take staged batch w's entries into the run; the batch they fill logs it. */
static int
take_row(run *r, ex_ingest_opts *o, row *w, ex_buf *plain)
{
    ex_ledger *l = r->l;
    batcher *bt = &r->w;
    const char *want = r->pe ? r->pdig : "";
    if (strcmp(w->policy, want) != 0)
        return ex_fail(&l->err, EX_EINVAL,
                       "staged batch %llu (%s) was read under policy %.19s..., the ledger's is "
                       "%.19s...: 'exante log sequence --discard-stale' hands it back to the "
                       "workers", (unsigned long long)w->b.id, w->path,
                       w->policy[0] ? w->policy : "(none)", want[0] ? want : "(none)");
    char mine[64];
    staged_version(mine);
    if (strcmp(w->version, mine) != 0)
        return ex_fail(&l->err, EX_EINVAL, "staged batch %llu was written by exante %s, this "
                                           "is %s: workers and sequencer must run the same "
                                           "build", (unsigned long long)w->b.id, w->version, mine);
    int rc;
    if (strcmp(r->fix.source, w->source) != 0) { /* another source: its records' tails */
        if ((rc = bat_land(bt)) != EX_OK)
            return rc;
        recfix_free(&r->fix);
        if (recfix_init(&r->fix, w->source) != EX_OK)
            return ex_fail(&l->err, EX_ENOMEM, "out of memory");
        snprintf(bt->source, sizeof bt->source, "%s", w->source);
        o->source = r->fix.source;
    }
    unsigned long long size = ZSTD_getFrameContentSize(w->entries, w->b.len);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > STAGED_MAX)
        return ex_fail(&l->err, EX_EFORMAT, "staged batch %llu is not a zstd frame of entries",
                       (unsigned long long)w->b.id);
    plain->len = 0;
    if (ex_buf_reserve(plain, (size_t)size + 8) != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    size_t got = ZSTD_decompress(plain->data, (size_t)size, w->entries, w->b.len);
    if (ZSTD_isError(got) || got != size)
        return ex_fail(&l->err, EX_EFORMAT, "staged batch %llu does not decompress: %s",
                       (unsigned long long)w->b.id,
                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
    job jb = {.path = w->path, .format = w->b.format};
    ex_err err = {0};
    if (jb.format != EX_FORMAT_FILES &&
        (rc = inputs_known(&r->inputs, w->input, w->b.size, w->b.mtime, &jb.in, &err)) != EX_OK)
        return ex_fail(&l->err, rc, "%s", err.msg);
    r->jobs = &jb;
    r->njobs = 1;
    bt->b->staged = w->b.id;
    ex_err e = {0};
    rc = staged_walk(r->h, plain->data, got, w->b.n, jb.format == EX_FORMAT_FILES, take_one, r,
                     &e);
    if (rc == EX_EFORMAT && e.msg[0])
        rc = ex_fail(&l->err, rc, "staged batch %llu (%s, from worker %s): %s",
                     (unsigned long long)w->b.id, w->path, w->worker, e.msg);
    if (rc == EX_OK)
        rc = bat_flush(bt); /* a batch without an input's end: logged now, with its removal */
    r->jobs = NULL;
    r->njobs = 0;
    return rc;
}

static void
landed(void *ctx, const batch *bt)
{
    run *r = ctx;
    if (bt->np)
        r->st.batches++;
}

static int
start(run *r)
{
    ex_ledger *l = r->l;
    uint64_t maxd = 0;
    int rc;
    if (ex_sha256_new(&r->h) != EX_OK || recfix_init(&r->fix, "") != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (ex_ledger_reader(l, &r->rd) != EX_OK)
        r->rd = NULL;
    if ((rc = ex_ledger_peval_load(l, &r->pol, r->pdig, &r->pe)) != EX_OK ||
        (rc = lookups_start(r)) != EX_OK || (rc = near_start(r)) != EX_OK)
        return rc;
    if ((rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    r->w.next_decision = maxd + 1;
    return inputs_load(l->st, &r->inputs, &l->err);
}

static void
nap(double secs)
{
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
}

int
ex_ledger_sequence(ex_ledger *l, const ex_sequence_opts *so, ex_ingest_stats *out,
                   uint64_t *staged)
{
    static const ex_sequence_opts defaults = {0};
    if (!so)
        so = &defaults;
    ex_err_clear(&l->err);
    if (out)
        memset(out, 0, sizeof *out);
    if (staged)
        *staged = 0;
    if (!l->db || !l->st->ops->seq_lock)
        return ex_fail(&l->err, EX_EINVAL, "a sequencer logs what workers staged in a shared "
                                           "ledger: open it with --db postgresql://... (this "
                                           "one is SQLite)");
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the sequencer signs the log: it needs the signing "
                                           "key (key.pem in the ledger directory, or EXANTE_KEY)");
    int rc = l->st->ops->seq_lock(l->st), lockfd = -1;
    if (rc != EX_OK)
        return ex_ledger_fail_store(l, rc);
    /* and no ingest in this directory meanwhile (its batches would take the same ids) */
    if ((rc = ex_ledger_lock(l, &lockfd)) != EX_OK)
        return rc;
    ex_store *scan = NULL;
    if (ex_ledger_reader(l, &scan) != EX_OK) {
        ex_ledger_unlock(lockfd);
        return ex_fail(&l->err, EX_EDB, "cannot open a second connection to the database");
    }
    run r;
    memset(&r, 0, sizeof r);
    ex_ingest_opts o = {.source = ""};
    r.l = l;
    r.o = &o;
    rows rs = {0};
    ex_buf plain = {0};
    uint64_t after = 0, done = 0;
    /* batches are as large as the staged ones: each staged batch is logged on its own */
    if ((rc = bat_init(&r.w, l, (size_t)1 << 40, 1, 0)) == EX_OK) {
        r.w.landed = landed;
        r.w.landed_ctx = &r;
        rc = start(&r);
    }
    if (rc == EX_OK && so->discard_stale) {
        uint64_t inputs = 0;
        if ((rc = l->st->ops->stage_discard(l->st, r.pe ? r.pdig : "", &inputs)) != EX_OK)
            ex_ledger_fail_store(l, rc);
        if (out)
            out->skipped = inputs;
    }
    while (rc == EX_OK) {
        rs.n = 0;
        if ((rc = scan->ops->stage_scan(scan, after, 8, keep_row, &rs)) != EX_OK) {
            rc = rc == EX_ENOMEM ? ex_fail(&l->err, rc, "out of memory")
                                 : ex_fail(&l->err, rc, "%s", ex_store_errmsg(scan));
            break;
        }
        for (size_t i = 0; rc == EX_OK && i < rs.n; i++) {
            rc = take_row(&r, &o, &rs.v[i], &plain);
            after = rs.v[i].b.id;
            done += rc == EX_OK;
        }
        for (size_t i = 0; i < rs.n; i++)
            row_free(&rs.v[i]);
        if (rc != EX_OK || rs.n > 0)
            continue;
        if ((rc = bat_land(&r.w)) != EX_OK || !so->follow || (so->stop && *so->stop))
            break;
        nap(so->poll > 0 ? so->poll : 0.5);
        if (so->stop && *so->stop)
            break;
    }
    rc = bat_finish(&r.w, rc);
    if (rc == EX_OK) {
        lookups_save(&r);
        near_save(&r);
    }
    ex_buf_free(&plain);
    scan->ops->close(scan);
    run_free(&r);
    ex_ledger_unlock(lockfd);
    if (staged)
        *staged = done;
    if (out) {
        uint64_t discarded = out->skipped;
        *out = r.st;
        out->skipped += discarded;
    }
    return rc;
}
