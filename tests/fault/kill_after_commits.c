/* kill_after_commits.c - an LD_PRELOAD shim for the resume tests: the process dies as
 * `kill -9` would right after its N-th committed transaction, N from
 * EXANTE_TEST_KILL_AFTER_COMMITS. An ingest commits one transaction per batch, so N = 3 stops
 * it between its third and fourth batches. SQLite's COMMITs count, and PostgreSQL's: a COMMIT
 * through PQexec, and a staged batch (a worker's one-statement transaction, the prepared
 * statement that inserts into `staged`). The product carries no such hook. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned long long commits, after;

/* one more commit: the N-th kills the process */
static void
committed(void)
{
    static int init;
    if (!init) {
        const char *v = getenv("EXANTE_TEST_KILL_AFTER_COMMITS");
        after = v ? strtoull(v, NULL, 10) : 0;
        init = 1;
    }
    if (after && ++commits >= after)
        raise(SIGKILL);
}

typedef int (*exec_fn)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *,
                       char **);

int
sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg,
             char **errmsg)
{
    static exec_fn real;
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "sqlite3_exec");
        memcpy(&real, &sym, sizeof real); /* POSIX: dlsym gives functions as void * */
    }
    int rc = real(db, sql, cb, arg, errmsg);
    if (rc == SQLITE_OK && sql && strncasecmp(sql, "COMMIT", 6) == 0)
        committed();
    return rc;
}

/* ---- PostgreSQL ---- */

static char staged_name[64]; /* the prepared statement that stages a batch */

typedef PGresult *(*pqexec_fn)(PGconn *, const char *);
typedef PGresult *(*pqprepare_fn)(PGconn *, const char *, const char *, int, const Oid *);
typedef PGresult *(*pqexecprepared_fn)(PGconn *, const char *, int, const char *const *,
                                       const int *, const int *, int);

PGresult *
PQexec(PGconn *c, const char *sql)
{
    static pqexec_fn real;
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "PQexec");
        memcpy(&real, &sym, sizeof real);
    }
    PGresult *r = real(c, sql);
    if (sql && strncasecmp(sql, "COMMIT", 6) == 0 && PQresultStatus(r) == PGRES_COMMAND_OK)
        committed();
    return r;
}

PGresult *
PQprepare(PGconn *c, const char *name, const char *sql, int n, const Oid *types)
{
    static pqprepare_fn real;
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "PQprepare");
        memcpy(&real, &sym, sizeof real);
    }
    if (sql && strstr(sql, "INSERT INTO staged") && strlen(name) < sizeof staged_name)
        strcpy(staged_name, name);
    return real(c, name, sql, n, types);
}

PGresult *
PQexecPrepared(PGconn *c, const char *name, int n, const char *const *values, const int *lens,
               const int *formats, int result_format)
{
    static pqexecprepared_fn real;
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "PQexecPrepared");
        memcpy(&real, &sym, sizeof real);
    }
    PGresult *r = real(c, name, n, values, lens, formats, result_format);
    if (staged_name[0] && strcmp(name, staged_name) == 0 && PQresultStatus(r) == PGRES_TUPLES_OK &&
        PQntuples(r) == 1)
        committed();
    return r;
}
