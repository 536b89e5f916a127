/* jsonguard.c - jansson's allocations, watched. jansson 2.14 ignores a failed allocation while
 * it collects a string's bytes (lex_save): the byte is dropped and the parse succeeds with a
 * shorter string. tests/cli/test_faults.sh found a reevaluate that then logged a decision whose
 * digest had lost a digit, and exited 0. The library cannot tell such a parse from a good one,
 * so the stores refuse to commit once any jansson allocation of the process has failed: the
 * command fails (exit 3) and a rerun starts from what was committed. Before that, a failed
 * allocation frees a reserve (once) and is tried again: jansson then gets its memory and
 * finishes intact, where it would otherwise drop a byte or, in some places, assert (abort the
 * process; found by the same test). */
#include "core.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>

#define RESERVE (64 * 1024)

static int tripped;
static void *reserve;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *
watched_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        free(__atomic_exchange_n(&reserve, NULL, __ATOMIC_RELAXED));
        if (!(p = malloc(n)))
            __atomic_store_n(&tripped, 1, __ATOMIC_RELAXED);
    }
    return p;
}

static void
install(void)
{
    reserve = malloc(RESERVE); /* NULL: no reserve, the guard still holds */
    json_set_alloc_funcs(watched_malloc, free);
}

void
ex_json_guard_install(void)
{
    pthread_once(&once, install);
}

int
ex_json_guard_tripped(void)
{
    return __atomic_load_n(&tripped, __ATOMIC_RELAXED);
}
