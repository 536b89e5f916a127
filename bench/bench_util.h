/* bench_util.h - what every benchmark program needs: a monotonic clock, peak RSS, and a fatal
 * error. Define BENCH_NAME (the program's name) before including. */
#ifndef EX_BENCH_UTIL_H
#define EX_BENCH_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static inline double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds so far of this process (CLOCK_PROCESS_CPUTIME_ID) or of the calling thread
 * (CLOCK_THREAD_CPUTIME_ID) */
static inline double
cpu_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* peak resident set size of this process, MiB (Linux reports KiB) */
static inline double
peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* the generators' random numbers: xorshift64*, one stream per program (seeded by xoring
 * bench_rng_state) */
static uint64_t bench_rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t
bench_rnd(void)
{
    uint64_t x = bench_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    bench_rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* start the stream for `seed`: splitmix64 of it, never 0 (xorshift never leaves 0, and a plain
 * xor with the default state once made seed 1 a stream of zeros) */
static inline void
bench_seed(uint64_t seed)
{
    uint64_t z = 0x9e3779b97f4a7c15ull * (seed + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    bench_rng_state = z ? z : 0x9e3779b97f4a7c15ull;
}

/* uniform enough below n (n small against 2^64) */
static inline unsigned
bench_pick(unsigned n)
{
    return (unsigned)(bench_rnd() % n);
}

static inline void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(BENCH_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

#endif
