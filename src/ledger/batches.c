/* batches.c - batches and the writer thread that commits them (pipeline.h): the sequencer
 * fills one batch while the writer commits the one before; each batch is one transaction with
 * its items, decisions, quarantine reports, input progress and the log entry of its root. */
#include "pipeline.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
bat_init(batcher *w, ex_ledger *l, size_t batch_max, int async, int no_items)
{
    memset(w, 0, sizeof *w);
    w->l = l;
    w->batch_max = batch_max;
    w->async = async;
    w->no_items = no_items;
    w->b = &w->bufs[0];
    pthread_mutex_init(&w->err_mu, NULL);
    if (l->st->ops->enc_new(l->st, &w->enc) != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

int
bat_fail(batcher *w, int rc, const char *fmt, ...)
{
    pthread_mutex_lock(&w->err_mu);
    if (w->err.code == EX_OK) {
        va_list ap;
        va_start(ap, fmt);
        ex_vfail(&w->err, rc, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&w->err_mu);
    return rc;
}

int
bat_slot(batcher *w, pending **out)
{
    batch *b = w->b;
    if (b->np == b->pcap) {
        size_t cap = b->pcap ? b->pcap * 2 : 1024;
        pending *p = realloc(b->p, cap * sizeof *p);
        if (p)
            b->p = p;
        uint8_t(*leaves)[EX_HASH_BYTES] = realloc(b->leaves, cap * sizeof *leaves);
        if (leaves)
            b->leaves = leaves;
        int64_t *keys = realloc(b->keys, cap * sizeof *keys);
        if (keys)
            b->keys = keys;
        const void **data = realloc(b->data, cap * sizeof *data);
        if (data)
            b->data = data;
        size_t *lens = realloc(b->lens, cap * sizeof *lens);
        if (lens)
            b->lens = lens;
        if (!p || !leaves || !keys || !data || !lens)
            return bat_fail(w, EX_ENOMEM, "out of memory");
        b->pcap = cap;
    }
    *out = &b->p[b->np];
    return EX_OK;
}

int
bat_touch(batcher *w, input *in)
{
    w->dirty = 1;
    if (in->dirty)
        return EX_OK;
    if (w->ndirty == w->cdirty) {
        size_t cap = w->cdirty ? w->cdirty * 2 : 16;
        input **v = realloc(w->dirtyv, cap * sizeof *v);
        if (!v)
            return bat_fail(w, EX_ENOMEM, "out of memory");
        w->dirtyv = v;
        w->cdirty = cap;
    }
    w->dirtyv[w->ndirty++] = in;
    in->dirty = 1;
    return EX_OK;
}

int
bat_item(const batcher *w, uint64_t id, const char **rec, size_t *len)
{
    const batch *bts[2] = {w->b, w->fly};
    for (int k = 0; k < 2; k++) {
        const batch *bt = bts[k];
        if (!bt || !bt->np)
            continue;
        size_t ni = bt == w->b ? bt->np : bt->ni;
        uint64_t first = bt == w->b ? w->next_item - ni : bt->first_item;
        if (id >= first && id < first + ni) {
            const pending *p = &bt->p[id - first];
            *rec = bt->arena.data + p->item;
            *len = p->item_len;
            return 1;
        }
    }
    return 0;
}

/* ---- committing (the writer thread, or inline) ---- */

/* The stored form of bt's items and decisions (the store's encoding: SQLite makes one block
 * of them, the first ni decisions being the items' own), into bt->packed. Compressing them
 * together costs about 0.35 us a record (bench/RESULTS.md "Blocks"), a third of packing each
 * on its own; the writer does it before its transaction, while the sequencer fills the next
 * batch. */
static int
encode_batch(batcher *w, batch *bt, ex_store_enc *enc)
{
    bt->packed.len = 0;
    if (bt->np == 0)
        return EX_OK;
    size_t ni = w->no_items ? 0 : bt->ni;
    const void **items = malloc((ni + 1) * sizeof *items);
    size_t *ilens = malloc((ni + 1) * sizeof *ilens);
    int rc = items && ilens ? EX_OK : EX_ENOMEM;
    for (size_t i = 0; rc == EX_OK && i < ni; i++) {
        items[i] = bt->arena.data + bt->p[i].item;
        ilens[i] = bt->p[i].item_len;
    }
    for (size_t i = 0; rc == EX_OK && i < bt->np; i++) {
        bt->data[i] = bt->arena.data + bt->p[i].decision;
        bt->lens[i] = bt->p[i].decision_len;
    }
    if (rc == EX_OK)
        rc = w->l->st->ops->encode_batch(enc, ni, items, ilens, bt->np, bt->data, bt->lens, ni,
                                         (const uint8_t(*)[EX_HASH_BYTES])bt->leaves,
                                         &bt->packed);
    free(items);
    free(ilens);
    return rc;
}

/* write the inputs the batch advances (in->id is the writer's: only it reads and sets it) */
static int
save_inputs(ex_ledger *l, batch *bt)
{
    ex_store *st = l->st;
    ex_buf rec = {0};
    int rc = EX_OK;
    for (size_t i = 0; rc == EX_OK && i < bt->nins; i++) {
        input *in = bt->ins[i].in;
        const char *nl = strchr(in->key, '\n');
        rec.len = 0;
        if ((rc = rec_input(in->key, (size_t)(nl - in->key), nl + 1, bt->ins[i].size,
                            bt->ins[i].mtime, bt->ins[i].through, &rec)) != EX_OK) {
            ex_fail(&l->err, rc, "cannot write an input record: %s", ex_strerror(rc));
            break;
        }
        if (in->id)
            rc = st->ops->rec_put(st, EX_TAB_INPUTS, in->id, 0, rec.data, rec.len);
        else
            rc = st->ops->rec_append(st, EX_TAB_INPUTS, 0, rec.data, rec.len, &in->id);
        if (rc != EX_OK)
            ex_ledger_fail_store(l, rc);
    }
    ex_buf_free(&rec);
    return rc;
}

typedef struct committing {
    batcher *w;
    batch *bt;
} committing;

static int
commit_in_tx(ex_ledger *l, void *ctx)
{
    batcher *w = ((committing *)ctx)->w;
    batch *bt = ((committing *)ctx)->bt;
    ex_store *st = l->st;
    int rc = EX_OK;
    /* items and decisions get the ids predicted when their records were written; an id
     * taken meanwhile by another writer makes the write fail, and the batch roll back */
    int64_t *keys = bt->keys;
    const void **data = bt->data;
    size_t *lens = bt->lens;
    size_t ni = w->no_items ? 0 : bt->ni;
    for (size_t i = 0; i < bt->np; i++)
        keys[i] = (int64_t)bt->p[i].item_id;
    if (bt->np)
        rc = st->ops->batch_put(st, bt->first_item, ni, bt->first_dec, bt->np, keys, ni,
                                bt->packed.data, bt->packed.len);
    /* the items' near-duplicate fingerprints, one row each (a byte for one without text) */
    for (size_t i = 0; i < bt->ni && bt->nearrec.len; i++) {
        keys[i] = (int64_t)bt->p[i].iscc;
        data[i] = bt->nearrec.data + bt->p[i].nrec;
        lens[i] = bt->p[i].nrec_len;
    }
    if (rc == EX_OK && !w->no_items && bt->ni && bt->nearrec.len)
        rc = st->ops->rec_insert_many(st, EX_TAB_NEAR, bt->first_item, bt->ni, keys, data, lens);
    if (rc == EX_EDB)
        return ex_fail(&l->err, rc, "cannot store the batch (is another process ingesting "
                                    "into this ledger?): %s", ex_store_errmsg(st));
    for (size_t off = 0; rc == EX_OK && off < bt->quarantine.len;) {
        size_t len = strlen(bt->quarantine.data + off);
        rc = st->ops->rec_append(st, EX_TAB_QUARANTINE, 0, bt->quarantine.data + off, len, NULL);
        off += len + 1;
    }
    if (rc != EX_OK)
        return ex_ledger_fail_store(l, rc);
    if (bt->np) {
        /* the batch: one log entry committing to the root of its decision records */
        uint8_t root[EX_HASH_BYTES];
        char now[32];
        ex_buf entry = {0};
        uint64_t index;
        if ((rc = ex_merkle_root(l->h, (const uint8_t(*)[EX_HASH_BYTES])bt->leaves, bt->np,
                                 root)) != EX_OK)
            return ex_fail(&l->err, rc, "cannot hash the batch: %s", ex_strerror(rc));
        ex_time_now(now);
        if ((rc = rec_batch(w->source, bt->first_dec, bt->np, root, now, &entry)) != EX_OK) {
            ex_buf_free(&entry);
            return ex_fail(&l->err, rc, "cannot write the batch entry: %s", ex_strerror(rc));
        }
        const void *ep = entry.data;
        rc = ex_log_append(l->log, &ep, &entry.len, 1, &index);
        if (rc != EX_OK)
            ex_ledger_fail_log(l, rc);
        else if ((rc = st->ops->rec_append(st, EX_TAB_BATCHES, (int64_t)index, entry.data,
                                           entry.len, NULL)) != EX_OK)
            ex_ledger_fail_store(l, rc);
        ex_buf_free(&entry);
        if (rc != EX_OK)
            return rc;
    }
    /* how far each input is recorded, so that a re-run resumes after it */
    if ((rc = save_inputs(l, bt)) == EX_OK && bt->staged &&
        (rc = st->ops->stage_delete(st, bt->staged)) != EX_OK)
        ex_ledger_fail_store(l, rc);
    return rc;
}

/* Commit batch bt (on the writer thread, or inline when there is none); a failure is the
 * run's, with the ledger's message. */
static int
commit(batcher *w, batch *bt, ex_store_enc *enc)
{
    committing c = {w, bt};
    ex_err_clear(&w->l->err);
    int rc = encode_batch(w, bt, enc);
    if (rc != EX_OK)
        return bat_fail(w, rc, "cannot encode the batch's records: %s", ex_strerror(rc));
    if ((rc = ex_ledger_atomic(w->l, commit_in_tx, &c)) != EX_OK)
        bat_fail(w, rc, "%s", w->l->err.msg[0] ? w->l->err.msg : ex_strerror(rc));
    return rc;
}

static void *
writer_main(void *arg)
{
    batcher *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->busy)
            break;
        batch *bt = w->fly;
        pthread_mutex_unlock(&w->mu);
        ex_store *st = w->l->st;
        int rc = w->wenc || st->ops->enc_new(st, &w->wenc) == EX_OK
                     ? commit(w, bt, w->wenc)
                     : bat_fail(w, EX_ENOMEM, "out of memory");
        pthread_mutex_lock(&w->mu);
        w->wrc = rc;
        w->busy = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the sequencer's side ---- */

static void
clear_batch(batch *bt)
{
    bt->np = 0;
    bt->ni = 0;
    bt->nx = 0;
    bt->nearrec.len = 0;
    bt->arena.len = 0;
    bt->packed.len = 0;
    bt->quarantine.len = 0;
    bt->nq = 0;
    bt->nins = 0;
    bt->staged = 0;
}

static void
batch_free(batch *bt)
{
    free(bt->p);
    free(bt->x);
    ex_buf_free(&bt->nearrec);
    ex_buf_free(&bt->arena);
    ex_buf_free(&bt->packed);
    ex_buf_free(&bt->quarantine);
    free(bt->keys);
    free(bt->data);
    free(bt->lens);
    free(bt->leaves);
    free(bt->ins);
}

int
bat_extra(batcher *w, uint64_t item, size_t decision, size_t len,
          const uint8_t leaf[EX_HASH_BYTES])
{
    batch *b = w->b;
    if (b->nx == b->xcap) {
        size_t cap = b->xcap ? 2 * b->xcap : 64;
        extra *x = realloc(b->x, cap * sizeof *x);
        if (!x)
            return bat_fail(w, EX_ENOMEM, "out of memory");
        b->x = x, b->xcap = cap;
    }
    extra *x = &b->x[b->nx++];
    memset(x, 0, sizeof *x);
    x->p.item_id = item;
    x->p.decision = decision;
    x->p.decision_len = len;
    memcpy(x->leaf, leaf, EX_HASH_BYTES);
    return EX_OK;
}

int
bat_land(batcher *w)
{
    if (!w->fly)
        return w->failed; /* a failed batch ends the run: nothing after it may land */
    int rc;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        while (w->busy)
            pthread_cond_wait(&w->cv, &w->mu);
        rc = w->wrc;
        pthread_mutex_unlock(&w->mu);
    } else {
        rc = w->wrc;
    }
    batch *bt = w->fly;
    w->fly = NULL;
    if (rc != EX_OK)
        w->failed = rc;
    else if (w->stats)
        w->committed = w->handed[bt - w->bufs];
    if (rc == EX_OK && w->landed)
        w->landed(w->landed_ctx, bt);
    clear_batch(bt);
    return rc;
}

void
bat_report(const batcher *w, const ex_ingest_stats *totals, int rc, ex_ingest_stats *out)
{
    *out = *totals;
    if (rc == EX_OK || !w->stats)
        return;
    *out = w->committed;
    out->batches = totals->batches;         /* counted as they land: all committed */
    out->input_bytes = totals->input_bytes; /* progress, not a count of records */
    out->uncommitted = totals->items - w->committed.items;
}

/* the inputs the batch being handed over advances, as of now */
static int
snapshot_inputs(batcher *w, batch *bt)
{
    bt->nins = 0;
    for (size_t i = 0; i < w->ndirty; i++) {
        input *in = w->dirtyv[i];
        if (bt->nins == bt->cins) {
            size_t cap = bt->cins ? bt->cins * 2 : 16;
            insnap *v = realloc(bt->ins, cap * sizeof *v);
            if (!v)
                return bat_fail(w, EX_ENOMEM, "out of memory");
            bt->ins = v;
            bt->cins = cap;
        }
        bt->ins[bt->nins++] = (insnap){in, in->through, in->size, in->mtime};
        in->dirty = 0;
    }
    w->ndirty = 0;
    w->dirty = 0;
    return EX_OK;
}

int
bat_flush(batcher *w)
{
    batch *bt = w->b;
    if (bt->np == 0 && bt->nq == 0 && !w->dirty && !bt->staged)
        return EX_OK;
    int rc;
    if ((rc = bat_land(w)) != EX_OK)
        return rc;
    /* the extra decisions (about earlier items) follow the items' */
    bt->ni = w->no_items ? 0 : bt->np;
    for (size_t i = 0; i < bt->nx; i++) {
        pending *p;
        if ((rc = bat_slot(w, &p)) != EX_OK)
            return rc;
        *p = bt->x[i].p;
        memcpy(bt->leaves[bt->np], bt->x[i].leaf, EX_HASH_BYTES);
        bt->np++;
    }
    bt->nx = 0;
    bt->first_item = w->next_item - bt->ni;
    bt->first_dec = w->next_decision;
    w->next_decision += bt->np;
    if ((rc = snapshot_inputs(w, bt)) != EX_OK)
        return rc;
    w->fly = bt;
    if (w->stats)
        w->handed[bt - w->bufs] = *w->stats;
    w->b = bt == &w->bufs[0] ? &w->bufs[1] : &w->bufs[0];
    if (w->async && !w->started) {
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        if (pthread_create(&w->th, NULL, writer_main, w) == 0) {
            w->started = 1;
        } else {
            pthread_mutex_destroy(&w->mu);
            pthread_cond_destroy(&w->cv);
            w->async = 0; /* no thread: commit inline */
        }
    }
    if (!w->async) {
        w->wrc = commit(w, bt, w->enc);
        return bat_land(w);
    }
    pthread_mutex_lock(&w->mu);
    w->busy = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return EX_OK;
}

int
bat_finish(batcher *w, int rc)
{
    int wrc = bat_land(w); /* the batch in flight lands, or says why not */
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->quit = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        w->started = 0;
    }
    if (rc == EX_OK)
        rc = wrc;
    if (rc != EX_OK && w->err.code != EX_OK)
        w->l->err = w->err;
    batch_free(&w->bufs[0]);
    batch_free(&w->bufs[1]);
    free(w->dirtyv);
    w->l->st->ops->enc_free(w->enc);
    w->l->st->ops->enc_free(w->wenc);
    pthread_mutex_destroy(&w->err_mu);
    memset(w->bufs, 0, sizeof w->bufs);
    w->dirtyv = NULL;
    w->enc = w->wenc = NULL;
    return rc;
}
