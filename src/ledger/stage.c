/* stage.c - a worker of a shared (PostgreSQL) ledger: ex_ledger_stage. It reads its share of
 * an input list with the ingest's readers (readers.c) and, instead of deciding, stages what
 * they made: entries (item records with their digests, fingerprints and the fields the policy
 * reads; quarantine reports) in batches, one input at a time under a lease. The sequencer
 * (sequence.c) decides and logs them. A worker holds no signing key and writes nothing but
 * staged batches and leases.
 *
 * Each staged batch renews the lease and records how far its input is read, in one
 * statement; a worker whose lease expired and was taken over stages nothing more of that
 * input, and the one that took it over goes on from where the last staged batch ended. */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define DEFAULT_BATCH 10000
#define DEFAULT_LEASE 60

/* the input being staged */
typedef struct stager {
    const ex_worker_opts *wo;
    char worker[256];
    unsigned lease;
    ex_buf chunk, packed;  /* entries back to back; compressed */
    uint64_t n, through;   /* entries in chunk; the input's offset reached */
    ex_staged b;           /* what is being staged: the input's fields */
    size_t batch_max;
    int lost;              /* the lease went to another worker */
    int staged_input;      /* try_input got as far as claiming (a failure then is real) */
    uint64_t staged;       /* batches staged this run */
    ex_ingest_stats *st;
} stager;

static int
flush(run *r, stager *g, int done)
{
    if (g->n == 0 && !done)
        return EX_OK;
    size_t cap = ZSTD_compressBound(g->chunk.len);
    g->packed.len = 0;
    if (ex_buf_reserve(&g->packed, cap) != EX_OK)
        return bat_fail(&r->w, EX_ENOMEM, "out of memory");
    size_t z = ZSTD_compress(g->packed.data, cap, g->chunk.data, g->chunk.len, 1);
    if (ZSTD_isError(z))
        return bat_fail(&r->w, EX_ENOMEM, "cannot compress a staged batch: %s",
                        ZSTD_getErrorName(z));
    g->b.start = g->b.through;
    g->b.through = g->through;
    g->b.done = done;
    g->b.n = g->n;
    g->b.entries = g->packed.data;
    g->b.len = z;
    ex_store *st = r->l->st;
    int rc = st->ops->stage_put(st, &g->b, g->lease, NULL);
    if (rc == EX_ENOTFOUND) {
        g->lost = 1;
        return bat_fail(&r->w, rc, "%s", ex_store_errmsg(st));
    }
    if (rc != EX_OK)
        return bat_fail(&r->w, rc, "%s", ex_store_errmsg(st));
    g->staged++;
    g->chunk.len = 0;
    g->n = 0;
    return EX_OK;
}

/* r->take: an entry into the batch being staged */
static int
stage_take(run *r, const ent *e, const char *body)
{
    stager *g = r->take_ctx;
    if (e->kind == E_DONE) {
        g->st->skipped += e->skipped;
        if (e->rc != EX_OK) /* the input cannot be read: stage what was read, then fail */
            return flush(r, g, 0) == EX_OK
                       ? bat_fail(&r->w, e->rc, "%s", body[0] ? body : ex_strerror(e->rc))
                       : r->w.err.code;
    }
    size_t pad = (8 - g->chunk.len % 8) % 8;
    if (ex_buf_reserve(&g->chunk, pad + sizeof *e + e->body_len) != EX_OK)
        return bat_fail(&r->w, EX_ENOMEM, "out of memory");
    memset(g->chunk.data + g->chunk.len, 0, pad);
    g->chunk.len += pad;
    ent *c = (ent *)(g->chunk.data + g->chunk.len);
    *c = *e;
    c->job = 0;
    memcpy(g->chunk.data + g->chunk.len + sizeof *e, body, e->body_len);
    g->chunk.len += sizeof *e + e->body_len;
    g->n++;
    if (e->kind == E_ITEM) {
        g->st->items++;
        g->st->bytes += e->size;
    } else if (e->kind == E_QUARANTINE) {
        g->st->quarantined++;
    }
    if (e->kind != E_DONE && r->jobs[0].in)
        g->through = e->offset + 1;
    if (e->kind == E_DONE)
        return flush(r, g, 1);
    return g->n >= g->batch_max ? flush(r, g, 0) : EX_OK;
}

/* Read one claimed input (its job jb, its lease's offset) into staged batches. */
static int
stage_input(run *r, stager *g, job *jb, uint64_t leased)
{
    g->through = jb->in ? jb->in->through : 0;
    if (leased > g->through)
        g->through = leased;
    jb->skip_through = g->through;
    g->b.through = g->through; /* where the first batch starts */
    r->jobs = jb;
    r->njobs = 1;
    r->take_rc = EX_OK;
    g->lost = 0;
    g->chunk.len = 0;
    g->n = 0;
    int rc = readers_run(r, 1);
    r->jobs = NULL;
    r->njobs = 0;
    return rc;
}

/* Claim path's input; stage it if it is ours. *state: its lease's state, as it ends. */
static int
try_input(run *r, stager *g, const char *path, int takeover, int *state, double *left)
{
    ex_ledger *l = r->l;
    job jb = {.path = path};
    g->staged_input = 0;
    int rc = inputs_detect(path, &jb.format, &l->err);
    if (rc == EX_OK && r->o->format != EX_FORMAT_AUTO)
        jb.format = r->o->format;
    char *real = realpath(path, NULL);
    struct stat sb;
    if (rc == EX_OK && (!real || stat(real, &sb) != 0))
        rc = ex_fail(&l->err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    char *key = rc == EX_OK ? ex_join(r->fix.source, '\n', real) : NULL;
    if (rc == EX_OK && !key)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK && jb.format != EX_FORMAT_FILES)
        rc = inputs_known(&r->inputs, key, (uint64_t)sb.st_size, (uint64_t)sb.st_mtime, &jb.in,
                          &l->err);
    uint64_t leased = 0;
    char holder[256];
    if (rc == EX_OK &&
        (rc = l->st->ops->lease_claim(l->st, key, g->worker, g->lease, takeover, state, &leased,
                                      holder, sizeof holder, left)) != EX_OK)
        ex_ledger_fail_store(l, rc);
    if (rc == EX_OK && *state == EX_LEASE_TAKEN) {
        g->staged_input = 1;
        g->b.input = key;
        g->b.path = real;
        g->b.format = jb.format;
        g->b.size = (uint64_t)sb.st_size;
        g->b.mtime = (uint64_t)sb.st_mtime;
        rc = stage_input(r, g, &jb, leased);
        if (rc != EX_OK && g->lost) { /* another worker has it now: not a failure of ours */
            fprintf(stderr, "exante: %s\n", r->w.err.msg);
            ex_err_clear(&r->w.err);
            rc = EX_OK;
            *state = EX_LEASE_HELD;
        } else if (rc == EX_OK) {
            *state = EX_LEASE_DONE;
        }
    }
    free(real);
    free(key);
    return rc;
}

void
staged_version(char out[64])
{
    snprintf(out, 64, "%s/ent-%zu", EX_VERSION, sizeof(ent));
}

static void
worker_name(const ex_worker_opts *wo, char *out, size_t cap)
{
    if (wo && wo->name) {
        snprintf(out, cap, "%s", wo->name);
        return;
    }
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(out, cap, "%s:%d", host, (int)getpid());
}

int
ex_ledger_stage(ex_ledger *l, const char *const *mine, size_t nmine,
                const char *const *others, size_t nothers, const ex_ingest_opts *o,
                const ex_worker_opts *wo, ex_ingest_stats *out)
{
    ex_err_clear(&l->err);
    if (out)
        memset(out, 0, sizeof *out);
    if (!l->db || !l->st->ops->stage_put)
        return ex_fail(&l->err, EX_EINVAL, "workers stage batches in a shared ledger: open it "
                                           "with --db postgresql://... (this one is SQLite)");
    if (!o || !o->source)
        return ex_fail(&l->err, EX_EINVAL, "no source given (--source NAME; see 'exante "
                                           "source add')");
    int rc = ex_ledger_source_find(l, o->source, NULL, NULL);
    if (rc != EX_OK)
        return rc;
    run r;
    memset(&r, 0, sizeof r);
    r.l = l;
    r.o = o;
    stager g;
    memset(&g, 0, sizeof g);
    g.wo = wo;
    g.st = &r.st;
    g.lease = wo && wo->lease ? wo->lease : DEFAULT_LEASE;
    g.batch_max = o->batch ? o->batch : DEFAULT_BATCH;
    worker_name(wo, g.worker, sizeof g.worker);
    r.take = stage_take;
    r.take_ctx = &g;
    if ((rc = bat_init(&r.w, l, g.batch_max, 0, 0)) != EX_OK)
        return rc;
    if (recfix_init(&r.fix, o->source) != EX_OK)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK)
        rc = ex_ledger_peval_load(l, &r.pol, r.pdig, &r.pe);
    if (rc == EX_OK)
        rc = inputs_load(l->st, &r.inputs, &l->err);
    near_params(&r);
    g.b.source = o->source;
    g.b.policy = r.pe ? r.pdig : "";
    g.b.worker = g.worker;
    char version[64];
    staged_version(version);
    g.b.version = version;
    /* its own share until every input of it is done (waiting for the leases other workers
     * hold on them), then the rest of the list's inputs whose leases expired */
    char *left_mine = calloc(nmine + 1, 1), *left_other = calloc(nothers + 1, 1);
    if (rc == EX_OK && (!left_mine || !left_other))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    for (size_t i = 0; rc == EX_OK && i < nmine; i++)
        left_mine[i] = 1;
    for (size_t i = 0; rc == EX_OK && i < nothers; i++)
        left_other[i] = 1;
    size_t todo = nmine;
    while (rc == EX_OK) {
        double wait = 1.0;
        for (size_t i = 0; rc == EX_OK && i < nmine; i++) {
            if (!left_mine[i])
                continue;
            int state;
            double left = 0;
            rc = try_input(&r, &g, mine[i], 0, &state, &left);
            if (rc == EX_OK && state == EX_LEASE_DONE)
                left_mine[i] = 0, todo--;
            else if (rc == EX_OK && left < wait)
                wait = left > 0.05 ? left : 0.05;
        }
        for (size_t i = 0; rc == EX_OK && i < nothers; i++) {
            if (!left_other[i])
                continue;
            int state;
            double left = 0;
            rc = try_input(&r, &g, others[i], 1, &state, &left);
            /* only an expired lease is taken over: one held, or never claimed, is another's;
             * an input this worker cannot open is its own worker's failure, not this one's */
            if (rc == EX_EIO && !g.staged_input) {
                ex_err_clear(&l->err);
                rc = EX_OK;
            }
            left_other[i] = 0;
        }
        if (rc != EX_OK || todo == 0)
            break;
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
        for (size_t i = 0; i < nothers; i++) /* inputs that expired meanwhile */
            left_other[i] = 1;
    }
    free(left_mine);
    free(left_other);
    if (rc != EX_OK && r.w.err.msg[0])
        l->err = r.w.err;
    r.st.batches = g.staged;
    ex_buf_free(&g.chunk);
    ex_buf_free(&g.packed);
    bat_finish(&r.w, rc);
    run_free(&r);
    if (out)
        *out = r.st;
    return rc;
}
