/* bench_why.c - `why` answered inside one process: the ledger opened once (as `exante serve`
 * will hold it), then ex_ledger_why_dup timed for each query given, RUNS times in a row. The
 * first run of each query is reported apart (its blocks and pages not yet read), then the best
 * and the median of the others. One JSON line per query.
 *
 *   bench_why LEDGER_DIR RUNS NAME=QUERY...
 *
 * A query that names no item (exit code of `why`: 1) is timed the same way: answering "no" is
 * part of the job. */
#define BENCH_NAME "bench_why"
#include "bench_util.h"

#include <string.h>

#include "exante.h"

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_why LEDGER_DIR RUNS NAME=QUERY...\n");
        return 2;
    }
    int runs = atoi(argv[2]);
    if (runs < 2 || runs > 10000)
        die("RUNS must be 2 to 10000");
    ex_ledger_opts o = {.read_only = 1};
    ex_ledger *l;
    ex_err e = {0};
    double t0 = now();
    if (ex_ledger_open(argv[1], &o, &l, &e) != EX_OK)
        die("%s: %s", argv[1], e.msg);
    double open_s = now() - t0;
    double *t = malloc((size_t)runs * sizeof *t);
    if (!t)
        die("out of memory");
    for (int a = 3; a < argc; a++) {
        char *eq = strchr(argv[a], '=');
        if (!eq)
            die("'%s' is not NAME=QUERY", argv[a]);
        *eq = 0;
        const char *q = eq + 1;
        int found = -1;
        for (int r = 0; r < runs; r++) {
            char *json = NULL;
            size_t len;
            double s = now();
            int rc = ex_ledger_why_dup(l, q, &json, &len);
            t[r] = now() - s;
            free(json);
            if (rc != EX_OK && rc != EX_ENOTFOUND)
                die("%s: %s", q, ex_ledger_errmsg(l));
            found = rc == EX_OK;
        }
        double first = t[0];
        qsort(t + 1, (size_t)runs - 1, sizeof *t, cmp_d);
        printf("{\"bench\":\"why\",\"query\":\"%s\",\"found\":%s,\"runs\":%d,\"first_ms\":%.3f,"
               "\"best_ms\":%.3f,\"median_ms\":%.3f,\"open_ms\":%.3f,\"peak_rss_mib\":%.1f}\n",
               argv[a], found ? "true" : "false", runs, first * 1e3, t[1] * 1e3,
               t[1 + (runs - 1) / 2] * 1e3, open_s * 1e3, peak_rss_mib());
    }
    free(t);
    ex_ledger_close(l);
    return 0;
}
