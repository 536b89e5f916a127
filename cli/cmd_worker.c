/* cmd_worker.c - a shared ledger's workers and sequencer: exante ingest --inputs on a
 * PostgreSQL ledger (a worker: it stages its shard) and exante log sequence. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
cli_stage(cli *c, ex_ledger *l, const ex_ingest_opts *o, const char *list, const ex_shard *s,
          const ex_worker_opts *wo)
{
    char **all = NULL;
    size_t n = 0;
    uint64_t total = 0;
    ex_err e = {0};
    int rc = ex_shard_list_read(list, NULL, &all, &n, &total, &e);
    if (rc != EX_OK) {
        cli_err("%s", e.msg);
        ex_ledger_close(l);
        return cli_exit(rc);
    }
    /* this shard's entries, then the others (taken over only when their leases expired) */
    const char **mine = calloc(n + 1, sizeof *mine), **others = calloc(n + 1, sizeof *others);
    size_t nm = 0, no = 0;
    if (!mine || !others) {
        cli_err("out of memory");
        rc = EX_ENOMEM;
    }
    for (size_t k = 0; rc == EX_OK && k < n; k++) {
        if (ex_shard_has(s, k))
            mine[nm++] = all[k];
        else
            others[no++] = all[k];
    }
    ex_ingest_stats st = {0};
    double t0 = now();
    if (rc == EX_OK && (rc = ex_ledger_stage(l, mine, nm, others, no, o, wo, &st)) != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    double secs = now() - t0;
    if (c->json) {
        json_t *j = json_object();
        char sh[48];
        snprintf(sh, sizeof sh, "%llu/%llu", (unsigned long long)s->index,
                 (unsigned long long)s->count);
        json_object_set_new(j, "staged", json_true());
        json_object_set_new(j, "shard", json_string(sh));
        json_object_set_new(j, "inputs_selected", json_integer((json_int_t)nm));
        json_object_set_new(j, "inputs_listed", json_integer((json_int_t)total));
        json_object_set_new(j, "items", json_integer((json_int_t)st.items));
        json_object_set_new(j, "quarantined", json_integer((json_int_t)st.quarantined));
        json_object_set_new(j, "skipped", json_integer((json_int_t)st.skipped));
        json_object_set_new(j, "bytes", json_integer((json_int_t)st.bytes));
        json_object_set_new(j, "batches", json_integer((json_int_t)st.batches));
        json_object_set_new(j, "seconds", json_real((double)(long long)(secs * 1000) / 1000));
        json_object_set_new(j, "ok", json_boolean(rc == EX_OK));
        cli_print_json(j);
    } else if (!c->quiet) {
        printf("shard %llu/%llu: %zu of %llu inputs\n", (unsigned long long)s->index,
               (unsigned long long)s->count, nm, (unsigned long long)total);
        printf("staged %llu items (%llu quarantined, %llu already recorded) in %llu batches, "
               "%.1f MB in %.2f s; 'exante log sequence' decides and logs them\n",
               (unsigned long long)st.items, (unsigned long long)st.quarantined,
               (unsigned long long)st.skipped, (unsigned long long)st.batches,
               (double)st.bytes / 1e6, secs);
    }
    free(mine);
    free(others);
    ex_shard_list_free(all, n);
    ex_ledger_close(l);
    return cli_exit(rc);
}

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int
cli_sequence(cli *c, int follow, int discard_stale)
{
    ex_ledger *l;
    int x = cli_open(c, 0, &l);
    if (x != EXIT_OKAY)
        return x;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    ex_sequence_opts so = {.follow = follow, .stop = &stop_flag, .discard_stale = discard_stale};
    ex_ingest_stats st = {0};
    uint64_t taken = 0;
    double t0 = now();
    int rc = ex_ledger_sequence(l, &so, &st, &taken);
    double secs = now() - t0;
    if (rc != EX_OK)
        cli_err("%s", ex_ledger_errmsg(l));
    ex_log *g = ex_ledger_log(l);
    if (c->json) {
        json_t *j = json_object(), *by = json_object();
        json_object_set_new(j, "staged_batches", json_integer((json_int_t)taken));
        json_object_set_new(j, "items", json_integer((json_int_t)st.items));
        json_object_set_new(j, "admitted", json_integer((json_int_t)st.admitted));
        json_object_set_new(j, "rejected", json_integer((json_int_t)st.rejected));
        json_object_set_new(j, "pending", json_integer((json_int_t)st.pending));
        json_object_set_new(j, "duplicates", json_integer((json_int_t)st.duplicates));
        json_object_set_new(j, "quarantined", json_integer((json_int_t)st.quarantined));
        json_object_set_new(j, "batches", json_integer((json_int_t)st.batches));
        if (discard_stale)
            json_object_set_new(j, "inputs_handed_back", json_integer((json_int_t)st.skipped));
        for (size_t i = 0; i < st.nrules && i < EX_STATS_RULES_MAX; i++)
            json_object_set_new(by, st.by_rule[i].id,
                                json_integer((json_int_t)st.by_rule[i].count));
        json_object_set_new(j, "by_rule", by);
        json_object_set_new(j, "size", json_integer((json_int_t)ex_log_size(g)));
        json_object_set_new(j, "seconds", json_real((double)(long long)(secs * 1000) / 1000));
        json_object_set_new(j, "ok", json_boolean(rc == EX_OK));
        cli_print_json(j);
    } else if (!c->quiet) {
        if (discard_stale)
            printf("handed %llu inputs back to the workers (staged under another policy)\n",
                   (unsigned long long)st.skipped);
        printf("sequenced %llu staged batches: %llu items: %llu admitted, %llu rejected, %llu "
               "pending, %llu duplicates, %llu quarantined; %llu batches logged in %.2f s, "
               "log size %llu\n",
               (unsigned long long)taken, (unsigned long long)st.items,
               (unsigned long long)st.admitted, (unsigned long long)st.rejected,
               (unsigned long long)st.pending, (unsigned long long)st.duplicates,
               (unsigned long long)st.quarantined, (unsigned long long)st.batches, secs,
               (unsigned long long)ex_log_size(g));
    }
    ex_ledger_close(l);
    return cli_exit(rc);
}
