/* latest.c - the admitted decisions in force (snapshot.h, snap_admitted): of each item, its
 * latest decision with an id up to a cutoff, kept when it admits. A snapshot of 10M members
 * reads 10M decisions, and most of that time went to unpacking them (zstd, pack.h: 0.7 us a
 * record) and reading their fields.
 *
 * The decisions are read newest first (rec_scan_stored): the first row of an item is its
 * latest decision, and its older ones are passed over unread (a bit per item), with no first
 * pass over the key index to find them. The rows wanted are copied as stored into slots of
 * SLOT_ROWS, which the scanning thread and one worker decode (unpack, read verdict, digest and
 * policy); the scanning thread takes the results slot by slot in scan order, so what comes out
 * (and the first error) does not depend on which thread decoded what. The worker only decodes:
 * the store stays on the calling thread (store.h's rule for a connection). */
#include "snapshot.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_ROWS 1024 /* about a millisecond of decoding: the handovers cost nothing beside */
#define SLOTS 8
#define AHEAD 2 /* the scanning thread decodes a slot itself when this many wait */

enum { S_FREE, S_FILLED, S_DECODING, S_DONE };

/* consecutive admitted decisions under one policy (a slot's are in its pols buffer) */
typedef struct run {
    size_t str; /* slot: offset in pols; all: index in the interned strings */
    uint64_t n;
} run;

typedef struct slot {
    int state;
    /* the rows, as stored (filled by the scanning thread) */
    size_t n;
    uint64_t id[SLOT_ROWS];
    int64_t key[SLOT_ROWS];
    size_t off[SLOT_ROWS + 1];
    ex_buf raw;
    /* what decoding them gave (by whichever thread took the slot) */
    size_t nout, nruns;
    uint8_t d[SLOT_ROWS][EX_HASH_BYTES];
    uint64_t item[SLOT_ROWS];
    run runs[SLOT_ROWS];
    ex_buf pols;
    int rc;
    ex_err err;
} slot;

/* a thread's decoding state */
typedef struct decoder {
    ex_store_dec *dec;
    ex_fields f;
} decoder;

/* the policies of the admitted decisions in scan order, run-length coded over interned
 * strings (a ledger names a handful of policies; a damaged one may name millions) */
typedef struct policy_runs {
    run *v;
    size_t n, cap;
    ex_buf strs; /* the distinct strings, each NUL-terminated */
    size_t *at;  /* open addressing: 1 + offset in strs, 0 empty */
    size_t slots, used;
} policy_runs;

typedef struct scan {
    ex_ledger *l;
    const ex_store_ops *ops;
    uint64_t nitems, *seen; /* a bit per item id below nitems: its latest decision was taken */
    slot *ring;
    size_t fill, retire; /* slots handed out for filling, and taken back, so far */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int worker, quit;
    decoder mine, theirs;
    /* the results, in scan order */
    snap_set *out;
    uint64_t **items; /* NULL: not wanted */
    policy_runs pr;
} scan;

enum { D_VERDICT, D_DIGEST, D_POLICY, D_COUNT };

static int
decoder_init(scan *c, decoder *d)
{
    static const char *const paths[D_COUNT] = {"verdict", "digest", "policy"};
    int rc = ex_fields_init(&d->f, paths, D_COUNT);
    if (rc == EX_OK && c->ops->dec_new(c->l->st, &d->dec) != EX_OK)
        rc = EX_ENOMEM;
    return rc;
}

static void
decoder_free(scan *c, decoder *d)
{
    c->ops->dec_free(d->dec);
    ex_fields_free(&d->f);
}

/* Decode slot s's rows into its results, on the calling thread; a failure goes into s->rc and
 * s->err with the message the ledger gives for it. */
static void
decode_slot(scan *c, decoder *d, slot *s)
{
    s->nout = s->nruns = 0;
    s->pols.len = 0;
    s->rc = EX_OK;
    for (size_t i = 0; i < s->n; i++) {
        const void *rec;
        size_t len;
        int rc = c->ops->decode(d->dec, EX_TAB_DECISIONS, s->id[i], s->raw.data + s->off[i],
                                s->off[i + 1] - s->off[i], &rec, &len, &s->err);
        if (rc != EX_OK) {
            s->rc = rc;
            return;
        }
        if ((rc = ex_fields_read(&d->f, rec, len)) != EX_OK) {
            s->rc = ex_fail(&s->err, rc, "decision %llu is not a decision record",
                            (unsigned long long)s->id[i]);
            return;
        }
        const char *v = d->f.str[D_VERDICT], *dig = d->f.str[D_DIGEST];
        const char *pol = d->f.str[D_POLICY];
        if (!v || strcmp(v, "admit") != 0)
            continue;
        if (!dig || ex_digest_parse(dig, s->d[s->nout]) != EX_OK) {
            s->rc = ex_fail(&s->err, EX_EFORMAT, "decision %llu has no content digest",
                            (unsigned long long)s->id[i]);
            return;
        }
        s->item[s->nout++] = (uint64_t)s->key[i];
        if (!pol)
            continue;
        run *r = s->nruns ? &s->runs[s->nruns - 1] : NULL;
        if (r && strcmp(s->pols.data + r->str, pol) == 0) {
            r->n++;
            continue;
        }
        size_t at = s->pols.len;
        if (ex_buf_put(&s->pols, pol, strlen(pol) + 1) != EX_OK) {
            s->rc = ex_fail(&s->err, EX_ENOMEM, "out of memory");
            return;
        }
        s->runs[s->nruns++] = (run){at, 1};
    }
}

static void *
worker_main(void *arg)
{
    scan *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->quit) {
        slot *s = NULL;
        for (size_t k = c->retire; k < c->fill && !s; k++)
            if (c->ring[k % SLOTS].state == S_FILLED)
                s = &c->ring[k % SLOTS];
        if (!s) {
            pthread_cond_wait(&c->cv, &c->mu);
            continue;
        }
        s->state = S_DECODING;
        pthread_mutex_unlock(&c->mu);
        decode_slot(c, &c->theirs, s);
        pthread_mutex_lock(&c->mu);
        s->state = S_DONE;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- the policies named ---- */

static uint64_t
str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* *id: the index (offset in strs) of string s, added if new */
static int
intern(policy_runs *p, const char *s, size_t *id)
{
    if (2 * (p->used + 1) > p->slots) {
        size_t slots = p->slots ? 2 * p->slots : 64, *at = calloc(slots, sizeof *at);
        if (!at)
            return EX_ENOMEM;
        for (size_t i = 0; i < p->slots; i++)
            if (p->at[i]) {
                size_t j = str_hash(p->strs.data + p->at[i] - 1) & (slots - 1);
                while (at[j])
                    j = (j + 1) & (slots - 1);
                at[j] = p->at[i];
            }
        free(p->at);
        p->at = at;
        p->slots = slots;
    }
    size_t j = str_hash(s) & (p->slots - 1);
    for (; p->at[j]; j = (j + 1) & (p->slots - 1))
        if (strcmp(p->strs.data + p->at[j] - 1, s) == 0) {
            *id = p->at[j] - 1;
            return EX_OK;
        }
    *id = p->strs.len;
    if (ex_buf_put(&p->strs, s, strlen(s) + 1) != EX_OK)
        return EX_ENOMEM;
    p->at[j] = *id + 1;
    p->used++;
    return EX_OK;
}

static int
add_run(policy_runs *p, const char *s, uint64_t n)
{
    if (p->n && strcmp(p->strs.data + p->v[p->n - 1].str, s) == 0) {
        p->v[p->n - 1].n += n;
        return EX_OK;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        run *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return EX_ENOMEM;
        p->v = v;
        p->cap = cap;
    }
    size_t id;
    if (intern(p, s, &id) != EX_OK)
        return EX_ENOMEM;
    p->v[p->n++] = (run){id, n};
    return EX_OK;
}

/* What naming the policies one admitted decision at a time, lowest id first, has always
 * given: each new one appended (a string too long for a slot is appended cut short, and so
 * never found again), up to SNAP_POLICIES_MAX. */
static void
note_policy(snap_policies *p, const char *dig)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i], dig) == 0)
            return;
    if (p->n < SNAP_POLICIES_MAX)
        snprintf(p->v[p->n++], sizeof p->v[0], "%s", dig);
}

/* The runs replayed lowest id first, that is from the last: a run's later decisions change
 * nothing once one of them did not (then the list holds its string) */
static void
name_policies(const policy_runs *pr, snap_policies *pol)
{
    for (size_t r = pr->n; r-- > 0 && pol->n < SNAP_POLICIES_MAX;)
        for (uint64_t k = 0; k < pr->v[r].n; k++) {
            size_t before = pol->n;
            note_policy(pol, pr->strs.data + pr->v[r].str);
            if (pol->n == before || pol->n == SNAP_POLICIES_MAX)
                break;
        }
}

/* ---- the scan ---- */

/* A decoded slot's results appended to the whole, in scan order. */
static int
retire_slot(scan *c, slot *s)
{
    if (s->rc != EX_OK) {
        c->l->err = s->err;
        return s->rc;
    }
    snap_set *o = c->out;
    if (s->nout == 0)
        return EX_OK; /* no admits: no runs either */
    if (o->n + s->nout > o->cap) {
        uint64_t cap = o->cap ? o->cap : 4096;
        while (cap < o->n + s->nout)
            cap *= 2;
        uint8_t(*v)[EX_HASH_BYTES] = realloc(o->d, cap * sizeof *v);
        if (!v)
            return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
        o->d = v;
        if (c->items) {
            uint64_t *w = realloc(*c->items, cap * sizeof *w);
            if (!w)
                return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
            *c->items = w;
        }
        o->cap = cap;
    }
    memcpy(o->d[o->n], s->d, s->nout * sizeof s->d[0]);
    if (c->items)
        memcpy(*c->items + o->n, s->item, s->nout * sizeof s->item[0]);
    o->n += s->nout;
    for (size_t r = 0; r < s->nruns; r++)
        if (add_run(&c->pr, s->pols.data + s->runs[r].str, s->runs[r].n) != EX_OK)
            return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

/* Move the slots along, on the scanning thread: take back the decoded ones at the head, in
 * order; decode one here when AHEAD wait for decoding (the worker has more to do than the scan
 * that fills them); and wait when every slot is out. finishing: until all are taken back. */
static int
pump(scan *c, int finishing)
{
    int rc = EX_OK;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        slot *h = &c->ring[c->retire % SLOTS];
        if (c->retire < c->fill && h->state == S_DONE) {
            pthread_mutex_unlock(&c->mu);
            rc = retire_slot(c, h);
            pthread_mutex_lock(&c->mu);
            h->state = S_FREE;
            c->retire++;
            if (rc != EX_OK)
                break;
            continue;
        }
        size_t waiting = 0;
        slot *s = NULL;
        for (size_t k = c->retire; k < c->fill; k++)
            if (c->ring[k % SLOTS].state == S_FILLED && waiting++ == 0)
                s = &c->ring[k % SLOTS];
        if (finishing ? c->retire == c->fill : c->fill - c->retire < SLOTS && waiting < AHEAD)
            break;
        if (s) {
            s->state = S_DECODING;
            pthread_mutex_unlock(&c->mu);
            decode_slot(c, &c->mine, s);
            pthread_mutex_lock(&c->mu);
            s->state = S_DONE;
        } else {
            pthread_cond_wait(&c->cv, &c->mu); /* the worker has the head */
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* the filling slot handed over for decoding */
static void
publish(scan *c)
{
    pthread_mutex_lock(&c->mu);
    c->ring[c->fill % SLOTS].state = S_FILLED;
    c->fill++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static int
want_latest(void *ctx, uint64_t id, int64_t key)
{
    scan *c = ctx;
    (void)id;
    if (key <= 0 || (uint64_t)key >= c->nitems)
        return 0;
    uint64_t k = (uint64_t)key, bit = 1ull << (k & 63);
    if (c->seen[k >> 6] & bit)
        return 0; /* newest first: an item's first row was its latest */
    c->seen[k >> 6] |= bit;
    return 1;
}

static int
take_row(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    scan *c = ctx;
    slot *s = &c->ring[c->fill % SLOTS];
    if (ex_buf_put(&s->raw, data, len) != EX_OK)
        return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
    s->id[s->n] = id;
    s->key[s->n] = key;
    s->off[++s->n] = s->raw.len;
    if (s->n < SLOT_ROWS)
        return EX_OK;
    publish(c);
    int rc = pump(c, 0);
    if (rc != EX_OK)
        return rc; /* the slots may still be the worker's: leave them */
    s = &c->ring[c->fill % SLOTS]; /* free: pump leaves one */
    s->n = 0;
    s->raw.len = 0;
    return EX_OK;
}

int
snap_admitted(ex_ledger *l, uint64_t cutoff, uint64_t nitems, snap_set *out, uint64_t **items,
              snap_policies *pol)
{
    ex_store *st = l->st;
    scan *c = calloc(1, sizeof *c);
    int rc = c ? EX_OK : EX_ENOMEM;
    if (c) {
        *c = (scan){.l = l, .ops = st->ops, .nitems = nitems, .out = out, .items = items};
        c->seen = calloc(nitems / 64 + 1, sizeof *c->seen);
        c->ring = calloc(SLOTS, sizeof *c->ring);
        if (!c->seen || !c->ring)
            rc = EX_ENOMEM;
    }
    if (rc == EX_OK && (rc = decoder_init(c, &c->mine)) == EX_OK)
        rc = decoder_init(c, &c->theirs);
    if (rc != EX_OK) {
        rc = ex_fail(&l->err, rc, "%s",
                     rc == EX_ENOMEM ? "out of memory" : "cannot compile the decision fields");
        goto out;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    /* without the worker the scanning thread decodes every slot itself */
    c->worker = pthread_create(&c->th, NULL, worker_main, c) == 0;
    ex_err_clear(&l->err);
    rc = st->ops->rec_scan_stored(st, EX_TAB_DECISIONS, 1, cutoff + 1, want_latest, take_row, c);
    if (rc != EX_OK && !l->err.msg[0])
        ex_ledger_fail_store(l, rc);
    if (rc == EX_OK) {
        if (c->ring[c->fill % SLOTS].n)
            publish(c); /* the last slot, part full */
        rc = pump(c, 1);
    }
    if (c->worker) {
        pthread_mutex_lock(&c->mu);
        c->quit = 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->th, NULL);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    if (rc == EX_OK)
        name_policies(&c->pr, pol);
out:
    if (c) {
        decoder_free(c, &c->mine);
        decoder_free(c, &c->theirs);
        for (size_t i = 0; c->ring && i < SLOTS; i++) {
            ex_buf_free(&c->ring[i].raw);
            ex_buf_free(&c->ring[i].pols);
        }
        free(c->ring);
        free(c->seen);
        free(c->pr.v);
        free(c->pr.at);
        ex_buf_free(&c->pr.strs);
        free(c);
    }
    return rc;
}
