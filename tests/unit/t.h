/* t.h - a minimal test harness: CHECK records a failure and goes on; main returns non-zero
 * if any check failed. */
#ifndef EX_T_H
#define EX_T_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_checks, t_failures;

/* Exhaustive loops (every code point, thousands of random texts) run in full in the normal
 * build; under a sanitizer, 10 to 50 times slower, they step by T_SAMPLE (a prime, so every
 * residue class is still reached across loops) or run n / T_SAMPLE times: memory and
 * undefined-behaviour errors need the code paths, not every input. */
#ifdef EXANTE_SANITIZED
#define T_SAMPLE 13
#else
#define T_SAMPLE 1
#endif
#define T_RUNS(n) ((n) / T_SAMPLE > 0 ? (n) / T_SAMPLE : 1)

/* xorshift64: the tests' random numbers, the same sequence on every run (a test may set
 * t_rng first for a sequence of its own) */
static uint64_t t_rng = 0x243F6A8885A308D3ULL;
static inline uint64_t
t_rnd(void)
{
    t_rng ^= t_rng << 13;
    t_rng ^= t_rng >> 7;
    t_rng ^= t_rng << 17;
    return t_rng;
}

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        t_checks++;                                                                          \
        if (!(cond)) {                                                                       \
            t_failures++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                                    \
    } while (0)

#define CHECK_RC(expr, want)                                                                 \
    do {                                                                                     \
        int t_rc_ = (expr);                                                                  \
        t_checks++;                                                                          \
        if (t_rc_ != (want)) {                                                               \
            t_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s returned %d (%s), want %d\n", __FILE__, __LINE__,     \
                    #expr, t_rc_, ex_strerror(t_rc_), (int)(want));                         \
        }                                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                                 \
    do {                                                                                     \
        const char *t_g_ = (got), *t_w_ = (want);                                            \
        t_checks++;                                                                          \
        if (!t_g_ || strcmp(t_g_, t_w_) != 0) {                                              \
            t_failures++;                                                                    \
            fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,          \
                    t_g_ ? t_g_ : "(null)", t_w_);                                           \
        }                                                                                    \
    } while (0)

static int
t_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
    return t_failures ? 1 : 0;
}

#endif
