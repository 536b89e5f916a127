/* minhash.c - the MinHash loop (minhash.h).
 *
 * Both versions run permutations in the outer loop and shingle hashes in the inner one, so a
 * block of permutations (running minima) stays in registers while the caller's chunk of
 * hashes streams past it from L1; the other order reloads and stores every minimum for every
 * shingle.
 *
 * The permutations work on 32 bits (a * x + b mod 2^32) because that is what the vector units
 * multiply: AVX2 (x86-64, GCC or Clang; chosen at run time, so the build needs no -mavx2)
 * does eight permutations with one _mm256_mullo_epi32, one add and one unsigned minimum, 14
 * registers for k = 112. The 64-bit version this replaced needed about 11 instructions per
 * four permutations (AVX2 has neither a 64-bit multiply nor an unsigned 64-bit compare) and
 * bounded signatures at about 180 MB/s of text per core (bench/RESULTS.md). */
#include "minhash.h"

void
ex_minhash_update_portable(unsigned k, const uint32_t *a, const uint32_t *b, const uint32_t *x,
                           size_t n, uint32_t *sig)
{
    unsigned i = 0;
    for (; i + 4 <= k; i += 4) {
        uint32_t m0 = sig[i], m1 = sig[i + 1], m2 = sig[i + 2], m3 = sig[i + 3];
        for (size_t j = 0; j < n; j++) {
            uint32_t v0 = a[i] * x[j] + b[i], v1 = a[i + 1] * x[j] + b[i + 1];
            uint32_t v2 = a[i + 2] * x[j] + b[i + 2], v3 = a[i + 3] * x[j] + b[i + 3];
            m0 = v0 < m0 ? v0 : m0;
            m1 = v1 < m1 ? v1 : m1;
            m2 = v2 < m2 ? v2 : m2;
            m3 = v3 < m3 ? v3 : m3;
        }
        sig[i] = m0, sig[i + 1] = m1, sig[i + 2] = m2, sig[i + 3] = m3;
    }
    for (; i < k; i++) {
        uint32_t m = sig[i];
        for (size_t j = 0; j < n; j++) {
            uint32_t v = a[i] * x[j] + b[i];
            m = v < m ? v : m;
        }
        sig[i] = m;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))

#define LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STORE(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), v)
#define STEP(m, i)                                                                             \
    m = _mm256_min_epu32(m, _mm256_add_epi32(_mm256_mullo_epi32(LOAD(a + (i)), xv),           \
                                             LOAD(b + (i))))

/* 56 permutations (seven registers of minima) over all of x; the constants are loaded from
 * L1 as operands, which leaves the registers to the minima */
static AVX2 void
block56(const uint32_t *a, const uint32_t *b, const uint32_t *x, size_t n, uint32_t *sig)
{
    __m256i m0 = LOAD(sig), m1 = LOAD(sig + 8), m2 = LOAD(sig + 16), m3 = LOAD(sig + 24);
    __m256i m4 = LOAD(sig + 32), m5 = LOAD(sig + 40), m6 = LOAD(sig + 48);
    for (size_t j = 0; j < n; j++) {
        __m256i xv = _mm256_set1_epi32((int)x[j]);
        STEP(m0, 0);
        STEP(m1, 8);
        STEP(m2, 16);
        STEP(m3, 24);
        STEP(m4, 32);
        STEP(m5, 40);
        STEP(m6, 48);
    }
    STORE(sig, m0), STORE(sig + 8, m1), STORE(sig + 16, m2), STORE(sig + 24, m3);
    STORE(sig + 32, m4), STORE(sig + 40, m5), STORE(sig + 48, m6);
}

static AVX2 void
block8(const uint32_t *a, const uint32_t *b, const uint32_t *x, size_t n, uint32_t *sig)
{
    __m256i m0 = LOAD(sig);
    for (size_t j = 0; j < n; j++) {
        __m256i xv = _mm256_set1_epi32((int)x[j]);
        STEP(m0, 0);
    }
    STORE(sig, m0);
}

static AVX2 void
update_avx2(unsigned k, const uint32_t *a, const uint32_t *b, const uint32_t *x, size_t n,
            uint32_t *sig)
{
    unsigned i = 0;
    for (; i + 56 <= k; i += 56)
        block56(a + i, b + i, x, n, sig + i);
    for (; i + 8 <= k; i += 8)
        block8(a + i, b + i, x, n, sig + i);
    if (i < k) /* k not a multiple of 8 (112 is) */
        ex_minhash_update_portable(k - i, a + i, b + i, x, n, sig + i);
}

int
ex_minhash_avx2(void)
{
    return __builtin_cpu_supports("avx2") != 0;
}

void
ex_minhash_update(unsigned k, const uint32_t *a, const uint32_t *b, const uint32_t *x, size_t n,
                  uint32_t *sig)
{
    if (__builtin_cpu_supports("avx2"))
        update_avx2(k, a, b, x, n, sig);
    else
        ex_minhash_update_portable(k, a, b, x, n, sig);
}

#else

int
ex_minhash_avx2(void)
{
    return 0;
}

void
ex_minhash_update(unsigned k, const uint32_t *a, const uint32_t *b, const uint32_t *x, size_t n,
                  uint32_t *sig)
{
    ex_minhash_update_portable(k, a, b, x, n, sig);
}

#endif
