/* ingest.c - the sequencer and ex_ledger_ingest (pipeline.h): entries from the readers, taken
 * in each input's order, become numbered items and decisions in batches. A copy of earlier
 * content is a duplicate of its first occurrence, whose decision covers it; a first
 * occurrence is decided by the adopted policy, or recorded as pending without one. */
#include "pipeline.h"

#include "dedup/near.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_BATCH 10000

/* decisions per rule id, for the summary */
static void
count_rule(ex_ingest_stats *st, const char *rule)
{
    for (size_t i = 0; i < st->nrules; i++)
        if (strcmp(st->by_rule[i].id, rule) == 0) {
            st->by_rule[i].count++;
            return;
        }
    if (st->nrules < EX_STATS_RULES_MAX) {
        snprintf(st->by_rule[st->nrules].id, sizeof st->by_rule[0].id, "%s", rule);
        st->by_rule[st->nrules++].count = 1;
    }
}

/* The decision of an item (fp: its fingerprint, or NULL): the policy's, or pending without
 * one. */
static int
decide(run *r, const ent *e, const char *rec, const uint8_t *fp, dec *d, ex_pdecision *pd)
{
    if (!r->pe) {
        d->verdict = "pending", d->rule = "no-policy", d->reason = ex_pending_reason;
        d->tail = TAIL_PENDING;
        return EX_OK;
    }
    const char *f[F_HEADERS + 2];
    for (int i = 0; i <= F_HTML; i++)
        f[i] = e->f_off[i] ? rec + e->f_off[i] : NULL;
    ex_pitem pi = {r->fix.source, e->dig, e->digest, f[F_URL], f[F_LICENSE], f[F_FETCHED],
                   f[F_HEADERS], e->f_len[F_HEADERS], f[F_HTML], e->f_len[F_HTML],
                   fp, r->near_k, r->near_bands, e->iscc};
    int rc = ex_peval_decide(r->pe, &pi, pd);
    if (rc != EX_OK)
        return bat_fail(&r->w, rc, "the policy cannot decide: %s", ex_strerror(rc));
    d->tail = TAIL_NONE;
    d->verdict = pd->verdict == EX_VERDICT_ADMIT ? "admit" : "reject";
    d->rule = pd->rule;
    d->reason = pd->reason;
    d->evidence = (const char(*)[EX_DIGEST_STR_BYTES])pd->evidence;
    d->nevidence = pd->nevidence;
    return EX_OK;
}

static int
take_item(run *r, const ent *e, const char *rec)
{
    batcher *w = &r->w;
    const job *jb = &r->jobs[e->job];
    input *in = jb->in;
    int rc;
    if (!in) { /* a file of a tree: an input of its own */
        ex_err err = {0};
        if ((rc = inputs_get(&r->inputs, r->fix.source, rec + e->path_off, &in, &err)) != EX_OK)
            return bat_fail(w, rc, "%s", err.msg);
        if (in->through > 0) {
            r->st.skipped++;
            return EX_OK;
        }
    }
    char prov[EX_DIGEST_STR_BYTES];
    ex_digest_format(e->prov, prov);
    uint64_t copy_of = 0, id = w->next_item;
    pending *pd;
    if ((rc = bat_slot(w, &pd)) != EX_OK)
        return rc;
    pd->item = w->b->arena.len;
    if ((rc = ex_buf_put(&w->b->arena, rec, e->rec_len)) != EX_OK)
        return bat_fail(w, rc, "out of memory");
    pd->item_len = e->rec_len;
    pd->item_id = id;
    if (!e->revisit)
        rc = lookup_copy(r, e->key, e->dig, &copy_of);
    else if (e->f_off[F_REFERS])
        rc = lookup_revisit(r, e->ukey, rec + e->f_off[F_REFERS],
                            e->f_off[F_REFERS_ID] ? rec + e->f_off[F_REFERS_ID] : NULL, &copy_of);
    if (rc != EX_OK)
        return rc;
    dec d = {id, copy_of, 0, e->dig, prov, r->pe ? r->pdig : NULL, "duplicate", "duplicate",
             ex_copy_reason, NULL, 0, TAIL_COPY, NULL, 0, 0, NULL};
    ex_pdecision pdd;
    /* its fingerprint record, stored with it; fp: the fingerprint, if it has text */
    const uint8_t *fp = NULL;
    pd->nrec = w->b->nearrec.len, pd->nrec_len = 0, pd->iscc = e->iscc;
    if (e->fp_off) {
        const uint8_t *fr = (const uint8_t *)rec + e->fp_off; /* rec: the body's start */
        unsigned k, bands;
        if (ex_near_record_read(fr, e->fp_len, &k, &bands, &fp) != EX_OK)
            fp = NULL;
        if ((rc = ex_buf_put(&w->b->nearrec, fr, e->fp_len)) != EX_OK)
            return bat_fail(w, rc, "out of memory");
        pd->nrec_len = e->fp_len;
    }
    if (e->revisit) {
        d.reason = ex_revisit_reason, d.tail = TAIL_REVISIT;
    } else if (!copy_of) {
        if ((rc = decide(r, e, rec, fp, &d, &pdd)) != EX_OK)
            return rc;
        if (r->pe && (rc = follow_decide(r, e, rec, fp, 0, &pdd, &d)) != EX_OK)
            return rc;
    } else if (r->pe) {
        /* a copy: every occurrence is checked for a reservation that follows content */
        dec own = d;
        if ((rc = decide(r, e, rec, fp, &own, &pdd)) != EX_OK ||
            (rc = follow_decide(r, e, rec, fp, copy_of, &pdd, &d)) != EX_OK)
            return rc;
    }
    pd->decision = w->b->arena.len;
    if ((rc = rec_decision(&r->fix, r->fix.source, &d, &w->b->arena)) != EX_OK)
        return bat_fail(w, rc, "cannot record decision: %s", ex_strerror(rc));
    pd->decision_len = w->b->arena.len - pd->decision;
    /* its leaf in the batch tree, while the record is in cache */
    if ((rc = ex_merkle_leaf(r->h, w->b->arena.data + pd->decision, pd->decision_len,
                             w->b->leaves[w->b->np])) != EX_OK)
        return bat_fail(w, rc, "hashing failed");
    w->b->np++;
    w->next_item++;
    if (d.reservation && (rc = follow_spread(r, e->prov, fp, id, copy_of, &d)) != EX_OK)
        return rc;
    if (fp && !copy_of && !e->revisit && (rc = near_put(r, fp, id)) != EX_OK)
        return rc;
    ex_err err = {0};
    if (e->pkey && r->urls && (rc = ex_dedup_put(r->urls, e->pkey, id, &err)))
        return bat_fail(w, rc, "%s", err.msg);
    if (copy_of || e->revisit) {
        r->st.duplicates++;
    } else {
        if (d.verdict[0] == 'a')
            r->st.admitted++;
        else if (d.verdict[0] == 'r')
            r->st.rejected++;
        else
            r->st.pending++;
        if ((rc = ex_dedup_put(r->map, e->key, id, &err)) != EX_OK)
            return bat_fail(w, rc, "%s", err.msg);
    }
    count_rule(&r->st, d.rule);
    r->st.items++;
    r->st.bytes += e->size;
    in->through = e->offset + 1;
    if ((rc = bat_touch(w, in)) != EX_OK)
        return rc;
    if (jb->in)
        r->jobs[e->job].pos = e->member;
    return w->b->np >= w->batch_max ? bat_flush(w) : EX_OK;
}

static int
take_quarantine(run *r, const ent *e, const char *json)
{
    batcher *w = &r->w;
    const job *jb = &r->jobs[e->job];
    if (ex_buf_put(&w->b->quarantine, json, e->rec_len + 1) != EX_OK) /* NUL separates */
        return bat_fail(w, EX_ENOMEM, "out of memory");
    w->b->nq++;
    r->st.quarantined++;
    if (jb->in) {
        jb->in->through = e->offset + 1;
        int rc = bat_touch(w, jb->in);
        if (rc != EX_OK)
            return rc;
    }
    if (!r->o->strict)
        return EX_OK;
    r->strict_hit = 1;
    json_t *o = json_loadb(json, e->rec_len, 0, NULL);
    const char *file = json_string_value(json_object_get(o, "file"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    bat_fail(w, EX_EFORMAT, "%s: offset %llu: %s (--strict)", file ? file : jb->path,
             (unsigned long long)e->offset, reason ? reason : "quarantined");
    json_decref(o);
    return EX_EFORMAT;
}

/* the end of an input: its records are committed */
static int
take_done(run *r, const ent *e, const char *msg)
{
    job *jb = &r->jobs[e->job];
    struct stat sb;
    r->st.skipped += e->skipped;
    if (stat(jb->path, &sb) == 0 && S_ISREG(sb.st_mode))
        r->done_bytes += (uint64_t)sb.st_size;
    jb->done = 1;
    if (e->rc != EX_OK)
        return bat_fail(&r->w, e->rc, "%s", msg[0] ? msg : ex_strerror(e->rc));
    return bat_flush(&r->w);
}

int
seq_take(run *r, const ent *e, const char *body)
{
    int rc = r->take                   ? r->take(r, e, body)
             : e->kind == E_ITEM         ? take_item(r, e, body)
             : e->kind == E_QUARANTINE ? take_quarantine(r, e, body)
                                       : take_done(r, e, body);
    if (rc != EX_OK && r->take_rc == EX_OK)
        r->take_rc = rc;
    return rc;
}

void
run_free(run *r)
{
    ex_peval_free(r->pe);
    ex_policy_free(r->pol);
    ex_sha256_free(r->h);
    if (r->rd)
        r->rd->ops->close(r->rd);
    recfix_free(&r->fix);
    ex_fields_free(&r->itemf);
    ex_dedup_close(r->map);
    ex_dedup_close(r->urls);
    near_stop(r);
    inputs_free(&r->inputs);
}

/* after each batch: the totals, and progress */
static void
landed(void *ctx, const batch *bt)
{
    run *r = ctx;
    if (bt->np)
        r->st.batches++;
    /* input bytes consumed: finished inputs, and how far the others are */
    r->st.input_bytes = r->done_bytes;
    for (size_t j = 0; j < r->njobs; j++)
        if (!r->jobs[j].done)
            r->st.input_bytes += r->jobs[j].pos;
    if (r->o->progress)
        r->o->progress(r->o->progress_ctx, &r->st, r->input_total);
}

/* Tell the store that a run of batches begins or has ended (its writes all landed). */
static void
bulk(ex_ledger *l, int on)
{
    if (l->st->ops->bulk)
        l->st->ops->bulk(l->st, on);
}

/* Everything before reading: the policy, the indexes, the next ids, the inputs, the jobs. */
static int
run_start(run *r, const char *const *paths, size_t n)
{
    ex_ledger *l = r->l;
    int rc;
    uint64_t maxd = 0;
    if (ex_sha256_new(&r->h) != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "cannot make a hasher: out of memory");
    if (ex_ledger_reader(l, &r->rd) != EX_OK)
        r->rd = NULL; /* duplicate checks then wait for the batch in flight */
    if (recfix_init(&r->fix, r->o->source) != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if ((rc = ex_ledger_peval_load(l, &r->pol, r->pdig, &r->pe)) != EX_OK ||
        (rc = lookups_start(r)) != EX_OK || (rc = near_start(r)) != EX_OK)
        return rc;
    if ((rc = l->st->ops->rec_max(l->st, EX_TAB_DECISIONS, &maxd)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    r->w.next_decision = maxd + 1;
    if ((rc = inputs_load(l->st, &r->inputs, &l->err)) != EX_OK)
        return rc;
    return inputs_jobs(&r->inputs, r->fix.source, r->o->format, paths, n, &r->jobs, &r->njobs,
                       &l->err);
}

int
ex_ledger_ingest(ex_ledger *l, const char *const *paths, size_t n, const ex_ingest_opts *o,
                 ex_ingest_stats *out)
{
    ex_err_clear(&l->err);
    if (out)
        memset(out, 0, sizeof *out); /* also when it fails before reading anything */
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    if (!o || !o->source)
        return ex_fail(&l->err, EX_EINVAL, "no source given (--source NAME; see 'exante "
                                           "source add')");
    if (o->jobs > EX_INGEST_JOBS_MAX)
        return ex_fail(&l->err, EX_EINVAL, "at most %d jobs", EX_INGEST_JOBS_MAX);
    int rc = ex_ledger_source_find(l, o->source, NULL, NULL);
    if (rc != EX_OK)
        return rc;
    run r;
    memset(&r, 0, sizeof r);
    r.l = l;
    r.o = o;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0)
            return ex_fail(&l->err, EX_EIO, "cannot open '%s': %s", paths[i], strerror(errno));
        r.input_total += (uint64_t)sb.st_size;
    }
    int lockfd;
    if ((rc = ex_ledger_lock(l, &lockfd)) != EX_OK)
        return rc;
    bulk(l, 1);
    if ((rc = bat_init(&r.w, l, o->batch ? o->batch : DEFAULT_BATCH, 1, 0)) == EX_OK) {
        r.w.landed = landed;
        r.w.landed_ctx = &r;
        r.w.stats = &r.st;
        snprintf(r.w.source, sizeof r.w.source, "%s", o->source);
        rc = run_start(&r, paths, n);
    }
    if (rc == EX_OK) {
        size_t nreaders = o->jobs > 1 ? (size_t)o->jobs : 1;
        if (nreaders > r.njobs)
            nreaders = r.njobs ? r.njobs : 1;
        rc = readers_run(&r, nreaders);
        if (rc != EX_OK && r.strict_hit)
            (void)bat_flush(&r.w); /* what was read before a --strict stop is kept */
    }
    rc = bat_finish(&r.w, rc); /* the batch in flight lands, or says why not */
    if (rc == EX_OK) {
        lookups_save(&r);
        near_save(&r);
    }
    bulk(l, 0);
    free(r.jobs);
    run_free(&r);
    ex_ledger_unlock(lockfd);
    if (out)
        bat_report(&r.w, &r.st, rc, out);
    return rc;
}
