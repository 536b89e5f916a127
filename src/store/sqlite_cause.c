/* sqlite_cause.c - a failed SQLite call's cause in the user's terms: "disk full on PATH",
 * "permission denied on PATH", "database locked by PID N", said before SQLite's own wording
 * ("database or disk is full"), which does not say which disk, whose permission or which
 * process (issue 18). */
#include "store/sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int
sq_locks_line(const char *line, long *pid, unsigned long long *ino, int *write)
{
    /* "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; "->" lines are waiters */
    char kind[16], mode[16];
    unsigned maj, min;
    if (strstr(line, "->") ||
        sscanf(line, "%*d: %15s %*s %15s %ld %x:%x:%llu", kind, mode, pid, &maj, &min, ino) != 6 ||
        *pid <= 0 || *pid > (1L << 22)) /* Linux's largest pid_max: a larger one did not read */
        return 0;
    *write = strcmp(mode, "WRITE") == 0;
    return 1;
}

/* The process, other than this one, holding a POSIX lock on the file with inode ino; 0 if
 * none is found (/proc/locks lists them, a write lock first: readers also hold some). */
static long
lock_holder(unsigned long long ino)
{
    FILE *f = fopen("/proc/locks", "r");
    if (!f)
        return 0;
    char line[256];
    long pid, found = 0;
    unsigned long long lino;
    int write;
    while (fgets(line, sizeof line, f)) {
        if (!sq_locks_line(line, &pid, &lino, &write) || lino != ino || pid == (long)getpid())
            continue;
        if (write) {
            found = pid;
            break;
        }
        if (!found)
            found = pid;
    }
    fclose(f);
    return found;
}

/* the holder of a lock on the database, its WAL or its shared-memory index */
static long
db_lock_holder(const char *db)
{
    static const char *const suffix[] = {"", "-shm", "-wal"};
    char path[4096];
    struct stat sb;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        if (snprintf(path, sizeof path, "%s%s", db, suffix[i]) >= (int)sizeof path ||
            stat(path, &sb) != 0)
            continue;
        long pid = lock_holder((unsigned long long)sb.st_ino);
        if (pid)
            return pid;
    }
    return 0;
}

/* What the file system says of the ledger's file and directory now: a read-only file
 * system, no space left, or no write permission; NULL if none of these. SQLite often cannot
 * say (its errno is gone by the time the statement fails). */
static const char *
probe(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) >= sizeof dir)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    struct statvfs fs;
    if (statvfs(dir, &fs) == 0 && (fs.f_flag & ST_RDONLY))
        return "read-only file system";
    if (statvfs(dir, &fs) == 0 && fs.f_bavail == 0)
        return "disk full";
    if ((access(path, W_OK) != 0 || access(dir, W_OK) != 0) && (errno == EACCES || errno == EPERM))
        return "permission denied";
    return NULL;
}

void
sq_cause(sqlite3 *db, char *out, size_t cap)
{
    static const char where[] = "(the ledger's database file or its directory)";
    out[0] = '\0';
    const char *path = sqlite3_db_filename(db, "main");
    if (!path || !*path)
        return; /* in memory */
    int prim = sqlite3_extended_errcode(db) & 0xff, sys = sqlite3_system_errno(db);
    const char *what = NULL;
    if (sys == ENOSPC || sys == EDQUOT)
        what = "disk full";
    else if (sys == EACCES || sys == EPERM)
        what = "permission denied";
    else if (sys == EROFS)
        what = "read-only file system";
    else if (prim == SQLITE_FULL || prim == SQLITE_READONLY || prim == SQLITE_IOERR ||
             prim == SQLITE_CANTOPEN)
        what = probe(path);
    if (!what && prim == SQLITE_FULL)
        what = "disk full"; /* SQLite's own word, with the file it is about */
    if (!what && prim == SQLITE_READONLY)
        what = "permission denied";
    if (what) {
        snprintf(out, cap, "%s on %s %s: ", what, path, where);
    } else if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
        long pid = db_lock_holder(path);
        if (pid)
            snprintf(out, cap, "database locked by PID %ld (%s): ", pid, path);
        else
            snprintf(out, cap, "database locked by another process (%s): ", path);
    } else if (sys == EIO) {
        snprintf(out, cap, "i/o error on %s (the disk failed a read or write): ", path);
    }
}
