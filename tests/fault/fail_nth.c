/* fail_nth.c - an LD_PRELOAD shim for tests/cli/test_faults.sh: the N-th write, fsync, rename
 * or allocation of a run fails, as a full disk, a failing disk or an exhausted heap would make
 * it fail. SQLite's unix VFS calls these libc functions itself, so its I/O is covered without
 * a VFS of our own. The product carries no such hook.
 *
 *   EXANTE_FAULT_OP     write | fsync | rename | alloc | any: the calls counted
 *   EXANTE_FAULT_N      the counted call that fails (1-based); unset or 0: none fails
 *   EXANTE_FAULT_ERRNO  ENOSPC | EIO | ENOMEM | EACCES | EROFS or a number; default: ENOSPC
 *                       for write, EIO for fsync and rename (alloc: always ENOMEM)
 *   EXANTE_FAULT_PERSIST=1  every counted call after the N-th fails too (a disk that stays full)
 *   EXANTE_FAULT_COUNT  a file: at exit, "write W\nfsync F\nrename R\nalloc A\nfailed K\n"
 *
 * Counting starts when main starts (the dynamic loader's and constructors' calls are not the
 * program's work). Writes to descriptors 0-2 are not counted: they carry the answer and the
 * message, not the ledger. Writes inside stdio (fwrite, fprintf to a FILE) go through glibc's
 * internal write and are not seen. Under AddressSanitizer the executable's own malloc comes
 * before this one: allocations are not counted there (alloc counts 0). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_WRITE, OP_FSYNC, OP_RENAME, OP_ALLOC, OP_N };
static const char *const op_names[OP_N] = {"write", "fsync", "rename", "alloc"};

static int armed;          /* main has started, and the count file is not being written */
static int configured;     /* the environment was read */
static int want_op = -1;   /* OP_*, OP_N for any, -1 for none */
static unsigned long long fail_at, counts[OP_N], failed;
static unsigned long long seen; /* counted calls of the chosen kind(s) */
static int fail_errno, persist;

/* POSIX: dlsym gives functions as void * */
static void *
next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}
#define REAL(type, name) \
    static type real_##name; \
    if (!real_##name) { void *s_ = next(#name); memcpy(&real_##name, &s_, sizeof s_); }

static int
errno_named(const char *s, int dflt)
{
    if (!s || !*s)
        return dflt;
    if (!strcmp(s, "ENOSPC")) return ENOSPC;
    if (!strcmp(s, "EIO")) return EIO;
    if (!strcmp(s, "ENOMEM")) return ENOMEM;
    if (!strcmp(s, "EACCES")) return EACCES;
    if (!strcmp(s, "EROFS")) return EROFS;
    return atoi(s) > 0 ? atoi(s) : dflt;
}

static void
configure(void)
{
    const char *op = getenv("EXANTE_FAULT_OP"), *n = getenv("EXANTE_FAULT_N");
    for (int i = 0; op && i < OP_N; i++)
        if (!strcmp(op, op_names[i]))
            want_op = i;
    if (op && !strcmp(op, "any"))
        want_op = OP_N;
    fail_at = n ? strtoull(n, NULL, 10) : 0;
    static const int dflt[OP_N + 1] = {ENOSPC, EIO, EIO, ENOMEM, EIO};
    fail_errno = errno_named(getenv("EXANTE_FAULT_ERRNO"), want_op >= 0 ? dflt[want_op] : EIO);
    persist = getenv("EXANTE_FAULT_PERSIST") && atoi(getenv("EXANTE_FAULT_PERSIST")) == 1;
    configured = 1;
}

/* one more call of kind op: 1 if it is to fail (errno set) */
static int
fault(int op)
{
    if (!armed)
        return 0;
    __atomic_add_fetch(&counts[op], 1, __ATOMIC_RELAXED);
    if (want_op != op && want_op != OP_N)
        return 0;
    unsigned long long k = __atomic_add_fetch(&seen, 1, __ATOMIC_RELAXED);
    if (!fail_at || k < fail_at || (k > fail_at && !persist))
        return 0;
    __atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);
    errno = op == OP_ALLOC ? ENOMEM : fail_errno;
    return 1;
}

static void
write_counts(void)
{
    armed = 0;
    const char *path = getenv("EXANTE_FAULT_COUNT");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (!f)
        return;
    for (int i = 0; i < OP_N; i++)
        fprintf(f, "%s %llu\n", op_names[i], counts[i]);
    fprintf(f, "failed %llu\n", failed);
    fclose(f);
}

/* ---- arming at main ---- */

typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int
armed_main(int argc, char **argv, char **envp)
{
    configure();
    atexit(write_counts); /* registered first: runs after the program's own handlers */
    armed = 1;
    return real_main(argc, argv, envp);
}

typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
                        void *);

int
__libc_start_main(main_fn m, int argc, char **argv, void (*init)(void), void (*fini)(void),
                  void (*rtld_fini)(void), void *stack_end)
{
    REAL(start_fn, __libc_start_main);
    real_main = m;
    return real___libc_start_main(armed_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* ---- writes, syncs, renames ---- */

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef int (*sync_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);

ssize_t
write(int fd, const void *buf, size_t n)
{
    REAL(write_fn, write);
    if (fd > 2 && fault(OP_WRITE))
        return -1;
    return real_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(pwrite_fn, pwrite);
    if (fd > 2 && fault(OP_WRITE))
        return -1;
    return real_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    REAL(pwrite64_fn, pwrite64);
    if (fd > 2 && fault(OP_WRITE))
        return -1;
    return real_pwrite64(fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *v, int n)
{
    REAL(writev_fn, writev);
    if (fd > 2 && fault(OP_WRITE))
        return -1;
    return real_writev(fd, v, n);
}

int
fsync(int fd)
{
    REAL(sync_fn, fsync);
    return fault(OP_FSYNC) ? -1 : real_fsync(fd);
}

int
fdatasync(int fd)
{
    REAL(sync_fn, fdatasync);
    return fault(OP_FSYNC) ? -1 : real_fdatasync(fd);
}

int
rename(const char *a, const char *b)
{
    REAL(rename_fn, rename);
    return fault(OP_RENAME) ? -1 : real_rename(a, b);
}

int
renameat(int da, const char *a, int db, const char *b)
{
    REAL(renameat_fn, renameat);
    return fault(OP_RENAME) ? -1 : real_renameat(da, a, db, b);
}

/* ---- allocations ----
 * dlsym itself may allocate: while the real functions are being looked up, requests come out
 * of a static arena, which free() then ignores. */

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);

static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static free_fn real_free;
static _Alignas(16) unsigned char arena[8192];
static size_t arena_used;
static int resolving;

static void *
arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof arena - arena_used)
        return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    return p;
}

static int
in_arena(const void *p)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

static void
resolve(void)
{
    if (real_malloc || resolving)
        return;
    resolving = 1;
    void *m = next("malloc"), *c = next("calloc"), *r = next("realloc"), *f = next("free");
    memcpy(&real_calloc, &c, sizeof c);
    memcpy(&real_realloc, &r, sizeof r);
    memcpy(&real_free, &f, sizeof f);
    memcpy(&real_malloc, &m, sizeof m);
    resolving = 0;
}

void *
malloc(size_t n)
{
    resolve();
    if (!real_malloc)
        return arena_alloc(n);
    return fault(OP_ALLOC) ? NULL : real_malloc(n);
}

void *
calloc(size_t k, size_t n)
{
    resolve();
    if (!real_calloc) {
        if (n && k > (size_t)-1 / n)
            return NULL;
        return arena_alloc(k * n); /* static: already zero */
    }
    return fault(OP_ALLOC) ? NULL : real_calloc(k, n);
}

void *
realloc(void *p, size_t n)
{
    resolve();
    if (in_arena(p)) { /* rare: moved to the real heap, the arena's copy left behind */
        void *q = malloc(n);
        if (q)
            memcpy(q, p, n < (size_t)(arena + sizeof arena - (unsigned char *)p)
                             ? n
                             : (size_t)(arena + sizeof arena - (unsigned char *)p));
        return q;
    }
    if (!real_realloc)
        return arena_alloc(n);
    return fault(OP_ALLOC) ? NULL : real_realloc(p, n);
}

void
free(void *p)
{
    if (!p || in_arena(p))
        return;
    resolve();
    if (real_free)
        real_free(p);
}
