/* pg_stage.c - workers and the sequencer in the PostgreSQL store: leases on inputs, staged
 * batches, and the sequencer's lock (store.h). A worker's staging is one statement that both
 * renews its lease and inserts the batch, so a worker whose lease was taken over stages
 * nothing more; the sequencer removes a staged batch in the transaction that logs it. */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pg_advisory_lock's key for the sequencer (session-scoped): "exseq" */
#define SEQ_LOCK "435542226289" /* 0x657873 6571 */

int
pg_lease_claim(ex_store *s, const char *input, const char *worker, unsigned secs, int takeover,
               int *state, uint64_t *through, char *holder, size_t cap, double *left)
{
    pg_args a = {0};
    pg_text(&a, input);
    pg_text(&a, worker);
    pg_i64(&a, (int64_t)secs);
    int rc;
    PGresult *r = pg_run(s, takeover ? P_LEASE_TAKEOVER : P_LEASE_CLAIM, &a, "claim an input",
                         &rc);
    if (!r)
        return rc;
    *through = 0, *left = 0;
    if (cap)
        holder[0] = '\0';
    if (PQntuples(r) == 1) {
        *state = EX_LEASE_TAKEN;
        *through = (uint64_t)pg_get_i64(r, 0, 0);
        PQclear(r);
        return EX_OK;
    }
    PQclear(r);
    pg_args b = {0};
    pg_text(&b, input);
    if (!(r = pg_run(s, P_LEASE_SHOW, &b, "read a lease", &rc)))
        return rc;
    if (PQntuples(r) != 1) { /* never claimed (takeover), or removed meanwhile */
        *state = EX_LEASE_HELD;
    } else {
        *state = pg_get_i64(r, 0, 1) ? EX_LEASE_DONE : EX_LEASE_HELD;
        snprintf(holder, cap, "%s", PQgetvalue(r, 0, 0));
        *left = atof(PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return EX_OK;
}

int
pg_stage_put(ex_store *s, const ex_staged *b, unsigned secs, uint64_t *id)
{
    pg_args a = {0};
    pg_text(&a, b->input);
    pg_text(&a, b->worker);
    pg_i64(&a, (int64_t)b->through);
    pg_i64(&a, b->done);
    pg_i64(&a, (int64_t)secs);
    pg_text(&a, b->source);
    pg_text(&a, b->path);
    pg_i64(&a, b->format);
    pg_i64(&a, (int64_t)b->size);
    pg_i64(&a, (int64_t)b->mtime);
    pg_text(&a, b->policy);
    pg_text(&a, b->version);
    pg_i64(&a, (int64_t)b->n);
    pg_bytes(&a, b->entries, b->len);
    pg_i64(&a, (int64_t)b->start);
    int rc;
    PGresult *r = pg_run(s, P_STAGE_PUT, &a, "stage a batch", &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1)
        rc = ex_fail(&s->err, EX_ENOTFOUND, "the lease on '%s' is no longer %s's (it expired "
                                            "and another worker took the input over)",
                     strchr(b->input, '\n') ? strchr(b->input, '\n') + 1 : b->input, b->worker);
    else if (id)
        *id = (uint64_t)pg_get_i64(r, 0, 0);
    PQclear(r);
    return rc;
}

int
pg_stage_scan(ex_store *s, uint64_t after, size_t max, ex_staged_visit fn, void *ctx)
{
    pg_args a = {0};
    pg_i64(&a, (int64_t)after);
    pg_i64(&a, (int64_t)max);
    int rc;
    PGresult *r = pg_run(s, P_STAGE_SCAN, &a, "read staged batches", &rc);
    if (!r)
        return rc;
    int n = PQntuples(r);
    for (int i = 0; rc == EX_OK && i < n; i++) {
        ex_staged b = {0};
        b.id = (uint64_t)pg_get_i64(r, i, 0);
        b.input = PQgetvalue(r, i, 1);
        b.source = PQgetvalue(r, i, 2);
        b.path = PQgetvalue(r, i, 3);
        b.format = (int)pg_get_i64(r, i, 4);
        b.size = (uint64_t)pg_get_i64(r, i, 5);
        b.mtime = (uint64_t)pg_get_i64(r, i, 6);
        b.policy = PQgetvalue(r, i, 7);
        b.worker = PQgetvalue(r, i, 8);
        b.version = PQgetvalue(r, i, 9);
        b.through = (uint64_t)pg_get_i64(r, i, 10);
        b.done = pg_get_i64(r, i, 11) != 0;
        b.n = (uint64_t)pg_get_i64(r, i, 12);
        b.entries = pg_get_bytes(r, i, 13, &b.len);
        b.start = (uint64_t)pg_get_i64(r, i, 14);
        rc = fn(ctx, &b);
    }
    PQclear(r);
    return rc;
}

int
pg_stage_delete(ex_store *s, uint64_t id)
{
    pg_args a = {0};
    pg_i64(&a, (int64_t)id);
    int rc;
    PGresult *r = pg_run(s, P_STAGE_DELETE, &a, "remove a staged batch", &rc);
    if (!r)
        return rc;
    if (strcmp(PQcmdTuples(r), "1") != 0)
        rc = ex_fail(&s->err, EX_ENOTFOUND, "staged batch %llu is gone (is another sequencer "
                                            "running?)", (unsigned long long)id);
    PQclear(r);
    return rc;
}

int
pg_stage_discard(ex_store *s, const char *policy, uint64_t *inputs)
{
    pg_args a = {0};
    pg_text(&a, policy);
    int rc;
    PGresult *r = pg_run(s, P_STAGE_DISCARD, &a, "discard staged batches", &rc);
    if (!r)
        return rc;
    *inputs = (uint64_t)PQntuples(r);
    PQclear(r);
    return EX_OK;
}

int
pg_seq_lock(ex_store *s)
{
    PGresult *r = PQexec(PG(s)->c, "SELECT pg_try_advisory_lock(" SEQ_LOCK ")");
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? EX_OK : pg_dberr(s, r, "take the sequencer's lock");
    int got = rc == EX_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (rc != EX_OK || got)
        return rc;
    /* who holds it: its connection, from pg_locks */
    r = PQexec(PG(s)->c, "SELECT a.pid, coalesce(a.client_addr::text, 'local'),"
                         " a.backend_start::timestamp(0)::text FROM pg_locks l"
                         " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                         " AND l.granted AND (l.classid::int8 << 32 | l.objid::int8) = " SEQ_LOCK);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        rc = ex_fail(&s->err, EX_EEXIST, "another sequencer is running (PostgreSQL backend %s, "
                                         "from %s, connected since %s)",
                     PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    else
        rc = ex_fail(&s->err, EX_EEXIST, "another sequencer is running");
    PQclear(r);
    return rc;
}

int
pg_stage_counts(ex_store *s, uint64_t *staged, uint64_t *open)
{
    int rc;
    PGresult *r = pg_run(s, P_STAGE_COUNTS, NULL, "count staged batches", &rc);
    if (!r)
        return rc;
    *staged = (uint64_t)pg_get_i64(r, 0, 0);
    *open = (uint64_t)pg_get_i64(r, 0, 1);
    PQclear(r);
    return EX_OK;
}
