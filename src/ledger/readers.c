/* readers.c - the reader side of the pipeline (pipeline.h). A reader runs over one input at a
 * time and turns what it yields into entries: the item record written and hashed (the costly,
 * independent part: decompression, content and record digests), or a quarantine report. The
 * sequencer takes entries one by one, in the order of each input. With one reader, each entry
 * is taken at once on the same thread; with N, N reader threads fill chunks of entries that
 * the sequencer (the calling thread) takes from a bounded queue. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "dedup/near.h"
#include "dedup/text.h"
#include "signals/html.h"

#define STOPPED 1 /* a callback's "stop reading": the run is ending */
#define CHUNK_BYTES (256u << 10)

/* The queue between reader threads and the sequencer. */
typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t ready, room;
    ex_buf *q;          /* ring of full chunks */
    size_t qcap, qhead, qn;
    int running;        /* readers still running */
    atomic_int stop;    /* the run is ending: readers stop reading */
    atomic_size_t next; /* the next job to start */
    run *r;
} pool;

typedef struct reader {
    run *r;
    pool *pool;        /* NULL: entries are taken at once, on this thread */
    ex_sha256 *h;
    ex_buf out;        /* entries not handed over yet */
    uint32_t job;
    uint64_t skipped;  /* records of the current input recorded earlier */
    ex_near *near;     /* near-duplicate fingerprints (NULL: the run keeps none) */
    ex_buf text;
    uint64_t sig[EX_NEAR_K_MAX];
} reader;

/* The fingerprint record of an item (near.h) into out, *len bytes; a byte for one without
 * text: a JSONL text field is text; other content is what its media type says (text.h). */
static int
fingerprint(reader *p, int format, const ex_item *it, uint8_t *out, size_t *len, uint64_t *iscc)
{
    *iscc = 0;
    int kind = format == EX_FORMAT_JSONL ? EX_TEXT_PLAIN
               : it->warc_type && strcmp(it->warc_type, "revisit") == 0
                   ? EX_TEXT_NONE
                   : ex_text_kind(it->content, it->content_len, it->content_type);
    *len = ex_near_record(p->near, NULL, 0, out);
    if (kind == EX_TEXT_NONE)
        return EX_OK;
    int rc = ex_text_of(it->content, it->content_len, kind, &p->text);
    uint64_t shingles = 0;
    if (rc == EX_OK)
        rc = ex_near_signature(p->near, p->text.data ? p->text.data : "", p->text.len, p->sig,
                               &shingles);
    if (rc != EX_OK || !shingles)
        return rc;
    uint8_t fp[EX_NEAR_K_MAX];
    ex_near_fingerprint(p->near, p->sig, fp);
    *len = ex_near_record(p->near, fp, ex_near_words(p->near), out);
    /* and its ISCC Text-Code, for opt-outs that name a work by its code */
    char code[64];
    uint8_t d[32];
    size_t chars;
    if ((rc = ex_iscc_text_code(p->text.data, p->text.len, 64, code, sizeof code, d, &chars)) ==
        EX_OK) {
        for (int i = 0; i < 8; i++)
            *iscc = *iscc << 8 | d[i];
        *iscc += !*iscc; /* 0 means none */
    }
    return rc == EX_ENOMEM ? rc : EX_OK;
}

static int
stopping(const reader *p)
{
    return p->pool && atomic_load_explicit(&p->pool->stop, memory_order_relaxed);
}

/* Give the chunk in p->out to the sequencer, waiting while the queue is full. */
static int
hand_over(reader *p)
{
    pool *pl = p->pool;
    if (p->out.len == 0)
        return EX_OK;
    pthread_mutex_lock(&pl->mu);
    while (pl->qn == pl->qcap && !atomic_load(&pl->stop))
        pthread_cond_wait(&pl->room, &pl->mu);
    int rc = STOPPED;
    if (!atomic_load(&pl->stop)) {
        pl->q[(pl->qhead + pl->qn) % pl->qcap] = p->out;
        pl->qn++;
        memset(&p->out, 0, sizeof p->out);
        pthread_cond_signal(&pl->ready);
        rc = EX_OK;
    }
    pthread_mutex_unlock(&pl->mu);
    if (rc != EX_OK)
        p->out.len = 0;
    return rc;
}

/* a new entry header at the end of p->out (8-byte aligned); its offset in *at */
static int
entry_start(reader *p, int kind, size_t *at)
{
    size_t pad = (8 - p->out.len % 8) % 8;
    if (ex_buf_reserve(&p->out, pad + sizeof(ent)) != EX_OK)
        return EX_ENOMEM;
    p->out.len += pad;
    *at = p->out.len;
    ent *e = (ent *)(p->out.data + *at);
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->job = p->job;
    p->out.len += sizeof *e;
    return EX_OK;
}

/* the entry at `at` is complete: inline, take it; else hand the chunk over when full */
static int
entry_end(reader *p, size_t at)
{
    ((ent *)(p->out.data + at))->body_len = p->out.len - at - sizeof(ent);
    if (!p->pool) {
        const ent *e = (const ent *)(p->out.data + at);
        int rc = seq_take(p->r, e, p->out.data + at + sizeof *e);
        p->out.len = 0;
        return rc;
    }
    return p->out.len >= CHUNK_BYTES ? hand_over(p) : EX_OK;
}

/* it with the metadata fields that are not UTF-8 marked, rather than lose the item */
static void
mark_invalid(const ex_item *it, ex_item *fixed)
{
    *fixed = *it;
    const char **f[] = {&fixed->content_type, &fixed->fetched, &fixed->file, &fixed->license,
                        &fixed->record_id, &fixed->refers_to_digest, &fixed->refers_to_record,
                        &fixed->refers_to_uri, &fixed->url, &fixed->warc_type};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (*f[i] && !ex_utf8_valid(*f[i], strlen(*f[i])))
            *f[i] = "(invalid UTF-8)";
    if (fixed->http_headers && !ex_utf8_valid(fixed->http_headers, fixed->http_headers_len))
        fixed->http_headers = NULL;
}

/* Whether the record at offset is one to pass over: STOPPED when the run is ending, 2 when
 * an earlier run recorded it (2: the stream's records below skip_through), else 0. */
static int
passed(const reader *p, uint64_t offset)
{
    if (stopping(p))
        return STOPPED;
    const job *jb = &p->r->jobs[p->job];
    return jb->in && offset < jb->skip_through ? 2 : 0;
}

static int
on_item(void *ctx, const ex_item *it)
{
    reader *p = ctx;
    run *r = p->r;
    const job *jb = &r->jobs[p->job];
    int skip = passed(p, it->offset);
    if (skip) {
        p->skipped += skip == 2;
        return skip == STOPPED ? STOPPED : EX_OK;
    }
    char dig[EX_DIGEST_STR_BYTES];
    ex_digest_format(it->digest, dig);
    size_t at;
    int rc = entry_start(p, E_ITEM, &at);
    if (rc != EX_OK)
        return rc;
    /* the duplicate index is far larger than the caches: start loading its slot now, while
     * the item record is written (inline, the lookup follows right after) */
    if (r->map) /* a worker keeps no index */
        ex_dedup_prefetch(r->map, ex_dedup_key(it->digest));
    static __thread char head[EX_HTML_HEAD_MAX];
    size_t headl = ex_html_head((const char *)it->content, it->content_len, it->content_type,
                                head);
    size_t rec = p->out.len;
    const ex_item *used = it;
    ex_item fixed;
    rc = rec_item(&r->fix, it, dig, head, headl, &p->out);
    if (rc == EX_EINVAL) {
        /* a reader passed text that is not UTF-8 in a metadata field */
        p->out.len = rec;
        mark_invalid(it, &fixed);
        used = &fixed;
        rc = rec_item(&r->fix, used, dig, head, headl, &p->out);
    }
    if (rc != EX_OK)
        return rc;
    size_t rec_len = p->out.len - rec;
    uint8_t prov[EX_HASH_BYTES];
    if ((rc = ex_sha256_digest(p->h, p->out.data + rec, rec_len, prov)) != EX_OK)
        return rc;
    /* the facts the policy reads, each NUL-terminated. A WARC revisit names the record it
     * repeats by URL (WARC-Refers-To-Target-URI, else its own) and, if it says, by record id
     * (WARC-Refers-To) */
    int revisit = used->warc_type && strcmp(used->warc_type, "revisit") == 0;
    const char *refers = revisit ? (used->refers_to_uri ? used->refers_to_uri : used->url) : NULL;
    const char *fv[F_COUNT] = {used->url, used->license, used->fetched, used->http_headers,
                               headl ? head : NULL, refers,
                               revisit ? used->refers_to_record : NULL};
    size_t fl[F_COUNT] = {0, 0, 0, ex_headers_kept(used->http_headers, used->http_headers_len),
                          headl, 0, 0};
    size_t fo[F_COUNT] = {0};
    for (int i = 0; i < F_COUNT && rc == EX_OK; i++) {
        if (!fv[i])
            continue;
        if (i < F_HEADERS || i >= F_REFERS)
            fl[i] = strlen(fv[i]);
        fo[i] = p->out.len - at - sizeof(ent);
        if ((rc = ex_buf_put(&p->out, fv[i], fl[i])) == EX_OK)
            rc = ex_buf_putc(&p->out, '\0');
    }
    size_t path_off = p->out.len - at - sizeof(ent), path_len = 0;
    if (rc == EX_OK && !jb->in) {
        path_len = strlen(it->file);
        rc = ex_buf_put(&p->out, it->file, path_len + 1);
    }
    size_t fp_off = 0, fp_len = 0;
    uint64_t iscc = 0;
    if (rc == EX_OK && p->near) {
        uint8_t fr[EX_NEAR_REC_MAX];
        if ((rc = fingerprint(p, jb->format, used, fr, &fp_len, &iscc)) == EX_OK) {
            fp_off = p->out.len - at - sizeof(ent);
            rc = ex_buf_put(&p->out, fr, fp_len);
        }
    }
    if (rc != EX_OK)
        return rc;
    ent *e = (ent *)(p->out.data + at);
    e->fp_off = fp_off;
    e->fp_len = fp_len;
    e->iscc = iscc;
    e->rec_len = rec_len;
    memcpy(e->prov, prov, EX_HASH_BYTES);
    memcpy(e->f_off, fo, sizeof fo);
    memcpy(e->f_len, fl, sizeof fl);
    e->path_off = path_off;
    e->path_len = path_len;
    e->revisit = revisit;
    e->ukey = 0;
    if (refers)
        e->ukey = url_key(p->h, refers);
    else if (used->url && used->warc_type)
        e->ukey = url_key(p->h, used->url);
    /* every item by its own URL (for a WARC record that is not a revisit, ukey already) */
    e->pkey = 0;
    if (used->url)
        e->pkey = refers || !used->warc_type ? url_key(p->h, used->url) : e->ukey;
    e->offset = it->offset;
    e->member = it->member;
    e->size = it->size;
    e->key = ex_dedup_key(it->digest);
    memcpy(e->digest, it->digest, EX_HASH_BYTES);
    memcpy(e->dig, dig, sizeof dig);
    return entry_end(p, at);
}

static int
on_quarantine(void *ctx, const ex_quarantine *q)
{
    reader *p = ctx;
    int skip = passed(p, q->offset);
    if (skip)
        return skip == STOPPED ? STOPPED : EX_OK;
    size_t at;
    int rc = entry_start(p, E_QUARANTINE, &at);
    if (rc != EX_OK)
        return rc;
    size_t rec = p->out.len;
    if ((rc = rec_quarantine(q, p->r->fix.source, &p->out)) != EX_OK ||
        (rc = ex_buf_putc(&p->out, '\0')) != EX_OK)
        return rc;
    ent *en = (ent *)(p->out.data + at);
    en->rec_len = p->out.len - rec - 1;
    en->offset = q->offset;
    en->member = q->member;
    return entry_end(p, at);
}

/* the end of an input: the reader's result and message */
static int
input_done(reader *p, int rc, const char *msg)
{
    size_t at, n = strlen(msg);
    int prc = entry_start(p, E_DONE, &at);
    if (prc == EX_OK)
        prc = ex_buf_put(&p->out, msg, n + 1);
    if (prc != EX_OK)
        return prc;
    ent *e = (ent *)(p->out.data + at);
    e->rc = rc;
    e->rec_len = n;
    e->skipped = p->skipped;
    p->skipped = 0;
    if (!p->pool)
        return entry_end(p, at);
    e->body_len = p->out.len - at - sizeof(ent);
    return hand_over(p); /* now, so the sequencer sees the input end */
}

/* Read input `j` into entries. Returns the first failure of handing over (inline: of taking),
 * or EX_OK; the reader's own result travels in the E_DONE entry. */
static int
produce(reader *p, uint32_t j)
{
    const job *jb = &p->r->jobs[j];
    p->job = j;
    p->skipped = 0;
    ex_reader_cb cb = {on_item, on_quarantine, p, 0};
    const ex_ingest_opts *o = p->r->o;
    ex_jsonl_fields fields = {o->text_field, o->url_field, o->id_field, o->license_field,
                              o->fetched_field};
    ex_err e = {0};
    int rc;
    if (jb->format == EX_FORMAT_JSONL)
        rc = ex_read_jsonl(jb->path, &fields, &cb, &e);
    else if (jb->format == EX_FORMAT_WARC)
        rc = ex_read_warc(jb->path, &cb, &e);
    else
        rc = ex_read_files(jb->path, &cb, &e);
    if (!p->pool && p->r->take_rc != EX_OK)
        return p->r->take_rc; /* the sequencer stopped the reader */
    if (rc == STOPPED)
        return EX_OK; /* the run is ending; the sequencer knows why */
    if (rc != EX_OK && !e.msg[0])
        snprintf(e.msg, sizeof e.msg, "%s: %s", jb->path, ex_strerror(rc));
    return input_done(p, rc, rc == EX_OK ? "" : e.msg);
}

static void *
reader_main(void *arg)
{
    reader *p = arg;
    pool *pl = p->pool;
    for (;;) {
        if (atomic_load(&pl->stop))
            break;
        size_t j = atomic_fetch_add(&pl->next, 1);
        if (j >= pl->r->njobs)
            break;
        if (produce(p, (uint32_t)j) != EX_OK)
            break;
    }
    pthread_mutex_lock(&pl->mu);
    pl->running--;
    pthread_cond_signal(&pl->ready);
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* The sequencer's side: take chunks until every reader is done. After a failure the run
 * stops: readers are told to stop and what they queued is dropped. */
static int
run_pool(run *r, reader *ps, size_t n)
{
    pool pl;
    memset(&pl, 0, sizeof pl);
    pl.r = r;
    pl.qcap = 2 * n + 2;
    if (!(pl.q = calloc(pl.qcap, sizeof *pl.q)))
        return bat_fail(&r->w, EX_ENOMEM, "out of memory");
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.ready, NULL);
    pthread_cond_init(&pl.room, NULL);
    pthread_t *th = calloc(n, sizeof *th);
    int rc = th ? EX_OK : bat_fail(&r->w, EX_ENOMEM, "out of memory");
    size_t started = 0;
    /* counted before any starts: a reader that finishes at once (inputs recorded before)
     * decrements it under the lock while later ones are still being started (found by TSan) */
    pl.running = rc == EX_OK ? (int)n : 0;
    for (; rc == EX_OK && started < n; started++) {
        ps[started].pool = &pl;
        if (pthread_create(&th[started], NULL, reader_main, &ps[started]) != 0) {
            pthread_mutex_lock(&pl.mu);
            pl.running -= (int)(n - started); /* those that never started */
            pthread_mutex_unlock(&pl.mu);
            rc = bat_fail(&r->w, EX_ENOMEM, "cannot start a reader thread");
            break;
        }
    }
    if (rc != EX_OK)
        atomic_store(&pl.stop, 1);
    for (;;) {
        pthread_mutex_lock(&pl.mu);
        while (pl.qn == 0 && pl.running > 0)
            pthread_cond_wait(&pl.ready, &pl.mu);
        if (pl.qn == 0) {
            pthread_mutex_unlock(&pl.mu);
            break;
        }
        ex_buf chunk = pl.q[pl.qhead];
        pl.qhead = (pl.qhead + 1) % pl.qcap;
        pl.qn--;
        pthread_cond_signal(&pl.room);
        pthread_mutex_unlock(&pl.mu);
        for (size_t off = 0; rc == EX_OK && off < chunk.len;) {
            off += (8 - off % 8) % 8;
            const ent *e = (const ent *)(chunk.data + off);
            const char *body = chunk.data + off + sizeof *e;
            rc = seq_take(r, e, body);
            off += sizeof *e + e->body_len;
        }
        ex_buf_free(&chunk);
        if (rc != EX_OK && !atomic_load(&pl.stop)) {
            pthread_mutex_lock(&pl.mu);
            atomic_store(&pl.stop, 1);
            pthread_cond_broadcast(&pl.room);
            pthread_mutex_unlock(&pl.mu);
        }
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i < pl.qn; i++)
        ex_buf_free(&pl.q[(pl.qhead + i) % pl.qcap]);
    free(th);
    free(pl.q);
    pthread_cond_destroy(&pl.ready);
    pthread_cond_destroy(&pl.room);
    pthread_mutex_destroy(&pl.mu);
    return rc;
}

int
readers_run(run *r, size_t n)
{
    reader *ps = calloc(n, sizeof *ps);
    int rc = ps ? EX_OK : bat_fail(&r->w, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < n; i++) {
        ps[i].r = r;
        if ((rc = ex_sha256_new(&ps[i].h)) != EX_OK)
            bat_fail(&r->w, rc, "cannot make a hasher: %s", ex_strerror(rc));
        else if (r->near_k && (rc = ex_near_new(r->near_k, r->near_bands, &ps[i].near)) != EX_OK)
            bat_fail(&r->w, rc, "cannot make a fingerprinter");
    }
    if (rc == EX_OK && n == 1) {
        for (uint32_t j = 0; rc == EX_OK && j < r->njobs; j++)
            if ((rc = produce(&ps[0], j)) != EX_OK && rc != r->take_rc)
                bat_fail(&r->w, rc, "cannot read '%s': %s", r->jobs[j].path, ex_strerror(rc));
    } else if (rc == EX_OK) {
        rc = run_pool(r, ps, n);
    }
    for (size_t i = 0; ps && i < n; i++) {
        ex_sha256_free(ps[i].h);
        ex_buf_free(&ps[i].out);
        ex_near_free(ps[i].near);
        ex_buf_free(&ps[i].text);
    }
    free(ps);
    return rc;
}
