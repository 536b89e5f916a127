/* kill_after_commits.c - an LD_PRELOAD shim for the resume tests: the process dies as
 * `kill -9` would right after its N-th committed SQLite transaction, N from
 * EXANTE_TEST_KILL_AFTER_COMMITS. An ingest commits one transaction per batch, so N = 3 stops
 * it between its third and fourth batches. The product carries no such hook. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef int (*exec_fn)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *,
                       char **);

int
sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg,
             char **errmsg)
{
    static exec_fn real;
    static unsigned long long commits, after;
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "sqlite3_exec");
        memcpy(&real, &sym, sizeof real); /* POSIX: dlsym gives functions as void * */
        const char *v = getenv("EXANTE_TEST_KILL_AFTER_COMMITS");
        after = v ? strtoull(v, NULL, 10) : 0;
    }
    int rc = real(db, sql, cb, arg, errmsg);
    if (rc == SQLITE_OK && after && sql && strncasecmp(sql, "COMMIT", 6) == 0 && ++commits >= after)
        raise(SIGKILL);
    return rc;
}
