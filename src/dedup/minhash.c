/* minhash.c - the MinHash loop (minhash.h).
 *
 * Both versions run permutations in the outer loop and shingle hashes in the inner one, so a
 * block of permutations (constants and running minima) stays in registers while the caller's
 * chunk of hashes streams past it from L1; the other order reloads and stores every minimum for
 * every shingle.
 *
 * AVX2 (x86-64, GCC or Clang; chosen at run time, so the build needs no -mavx2) works on 16
 * permutations at a time, four 64-bit lanes in each of four registers. It has no 64-bit
 * multiply: with a = ah:al and x = xh:xl in 32-bit halves, a * x mod 2^64 = al * xl + ((al * xh
 * + ah * xl) mod 2^32) << 32, so _mm256_mul_epu32 gives al * xl and one _mm256_mullo_epi32
 * against x with its halves swapped gives both cross products. Nor has it an unsigned 64-bit
 * compare: the minima are kept with their top bit flipped, which makes the signed
 * _mm256_cmpgt_epi64 order them as unsigned numbers, and a new value's top bit is flipped in the
 * add of b for free (adding b + 2^63 instead of b).
 */
#include "minhash.h"

#define FLIP UINT64_C(0x8000000000000000)

void
ex_minhash_update_portable(unsigned k, const uint64_t *a, const uint64_t *b, const uint64_t *x,
                           size_t n, uint64_t *sig)
{
    unsigned i = 0;
    for (; i + 4 <= k; i += 4) {
        uint64_t m0 = sig[i], m1 = sig[i + 1], m2 = sig[i + 2], m3 = sig[i + 3];
        for (size_t j = 0; j < n; j++) {
            uint64_t v0 = a[i] * x[j] + b[i], v1 = a[i + 1] * x[j] + b[i + 1];
            uint64_t v2 = a[i + 2] * x[j] + b[i + 2], v3 = a[i + 3] * x[j] + b[i + 3];
            m0 = v0 < m0 ? v0 : m0;
            m1 = v1 < m1 ? v1 : m1;
            m2 = v2 < m2 ? v2 : m2;
            m3 = v3 < m3 ? v3 : m3;
        }
        sig[i] = m0, sig[i + 1] = m1, sig[i + 2] = m2, sig[i + 3] = m3;
    }
    for (; i < k; i++) {
        uint64_t m = sig[i];
        for (size_t j = 0; j < n; j++) {
            uint64_t v = a[i] * x[j] + b[i];
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
#define FLIPPED(p) _mm256_xor_si256(LOAD(p), flip)

/* the minimum (flipped) of m and a * x + b (with b flipped) in each lane; xs is x with its
 * 32-bit halves swapped, hi the mask of each lane's high half */
static inline AVX2 __m256i
step(__m256i m, __m256i a, __m256i b, __m256i x, __m256i xs, __m256i hi)
{
    __m256i c = _mm256_mullo_epi32(a, xs);                              /* al*xh : ah*xl */
    c = _mm256_and_si256(_mm256_add_epi32(c, _mm256_slli_epi64(c, 32)), hi); /* their sum, high */
    __m256i v = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(a, x), c), b);
    return _mm256_blendv_epi8(m, v, _mm256_cmpgt_epi64(m, v));
}

static AVX2 void
update_avx2(unsigned k, const uint64_t *a, const uint64_t *b, const uint64_t *x, size_t n,
            uint64_t *sig)
{
    const __m256i flip = _mm256_set1_epi64x((long long)FLIP);
    const __m256i hi = _mm256_set1_epi64x((long long)UINT64_C(0xffffffff00000000));
    unsigned i = 0;
    for (; i + 16 <= k; i += 16) {
        __m256i a0 = LOAD(a + i), a1 = LOAD(a + i + 4), a2 = LOAD(a + i + 8), a3 = LOAD(a + i + 12);
        __m256i b0 = FLIPPED(b + i), b1 = FLIPPED(b + i + 4), b2 = FLIPPED(b + i + 8);
        __m256i b3 = FLIPPED(b + i + 12), m0 = FLIPPED(sig + i), m1 = FLIPPED(sig + i + 4);
        __m256i m2 = FLIPPED(sig + i + 8), m3 = FLIPPED(sig + i + 12);
        for (size_t j = 0; j < n; j++) {
            __m256i xv = _mm256_set1_epi64x((long long)x[j]);
            __m256i xs = _mm256_shuffle_epi32(xv, 0xb1);
            m0 = step(m0, a0, b0, xv, xs, hi);
            m1 = step(m1, a1, b1, xv, xs, hi);
            m2 = step(m2, a2, b2, xv, xs, hi);
            m3 = step(m3, a3, b3, xv, xs, hi);
        }
        STORE(sig + i, _mm256_xor_si256(m0, flip));
        STORE(sig + i + 4, _mm256_xor_si256(m1, flip));
        STORE(sig + i + 8, _mm256_xor_si256(m2, flip));
        STORE(sig + i + 12, _mm256_xor_si256(m3, flip));
    }
    if (i < k) /* k not a multiple of 16 (112 is) */
        ex_minhash_update_portable(k - i, a + i, b + i, x, n, sig + i);
}

int
ex_minhash_avx2(void)
{
    return __builtin_cpu_supports("avx2") != 0;
}

void
ex_minhash_update(unsigned k, const uint64_t *a, const uint64_t *b, const uint64_t *x, size_t n,
                  uint64_t *sig)
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
ex_minhash_update(unsigned k, const uint64_t *a, const uint64_t *b, const uint64_t *x, size_t n,
                  uint64_t *sig)
{
    ex_minhash_update_portable(k, a, b, x, n, sig);
}

#endif
