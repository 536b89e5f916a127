/* iscc_hash.c - the ISCC Text-Code's soft hash (iscc.h): XXH32 of every 13-code-point window
 * and the 64-permutation MinHash, as the reference and as fast paths (AVX2 where the machine
 * has it) that give the same bits. */
#include "iscc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#define M61 ((UINT64_C(1) << 61) - 1)

/* ---- the soft hash ------------------------------------------------------------------------- */

/* The 4 low bits of the 64 minima, bit 0 of each first, as the 256-bit digest. */
static void
pack_digest(const uint32_t mh[EX_ISCC_PERMS], uint8_t digest[EX_ISCC_DIGEST_BYTES])
{
    memset(digest, 0, EX_ISCC_DIGEST_BYTES);
    for (unsigned bit = 0; bit < 4; bit++)
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
            unsigned k = bit * EX_ISCC_PERMS + i;
            if (mh[i] >> bit & 1)
                digest[k / 8] |= (uint8_t)(0x80 >> k % 8);
        }
}

/* The reference: steps 6-9 as FORMATS.md states them, one window, then its 64 permutations,
 * at a time. */
static void
soft_hash_ref(const char *s, size_t len, uint8_t digest[EX_ISCC_DIGEST_BYTES])
{
    uint32_t mh[EX_ISCC_PERMS];
    memset(mh, 0xFF, sizeof mh);
    size_t a = 0, b = 0;
    for (unsigned k = 0; b < len && k < EX_ISCC_NGRAM; k++)
        while (++b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
            ;
    /* a text of fewer code points is one window, the empty text too */
    for (;;) {
        uint64_t f = XXH32(s + a, b - a, 0);
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
            uint64_t x = ex_iscc_mpa[i] * f + ex_iscc_mpb[i]; /* mod 2^64 */
            x = (x & M61) + (x >> 61);                        /* mod 2^61 - 1 */
            if (x >= M61)
                x -= M61;
            if ((uint32_t)x < mh[i])
                mh[i] = (uint32_t)x;
        }
        if (b >= len)
            break;
        while (((unsigned char)s[++a] & 0xC0) == 0x80)
            ;
        while (++b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
            ;
    }
    pack_digest(mh, digest);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2 1
#include <immintrin.h>
#endif

int
ex_iscc_impl_has(int impl)
{
    switch (impl) {
    case EX_ISCC_IMPL_REF:
    case EX_ISCC_IMPL_PORTABLE:
    case EX_ISCC_IMPL_BEST: return 1;
#ifdef HAVE_AVX2
    case EX_ISCC_IMPL_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") != 0;
#endif
    default: return 0;
    }
}

/* impl as it runs here: BEST, or one this CPU lacks, made concrete */
static int
impl_resolve(int impl)
{
    if (impl == EX_ISCC_IMPL_REF)
        return impl;
    if ((impl == EX_ISCC_IMPL_AVX2 || impl == EX_ISCC_IMPL_BEST) &&
        ex_iscc_impl_has(EX_ISCC_IMPL_AVX2))
        return EX_ISCC_IMPL_AVX2;
    return EX_ISCC_IMPL_PORTABLE;
}

/* -- features -- */

#ifdef HAVE_AVX2
/* f[k] = XXH32(s + k, 13, 0) for k < n, eight at a time; reads s[0 .. n + 16). XXH32 of 13
 * bytes (xxhash.h's XXH32_endian_align and XXH32_finalize) is h = PRIME5 + 13, three 4-byte
 * little-endian words w each h = rotl(h + w PRIME3, 17) PRIME4, the last byte c h = rotl(h + c
 * PRIME5, 11) PRIME1, and the avalanche; a lane per window, the words gathered by a byte
 * shuffle. test_iscc checks it against XXH32. */
__attribute__((target("avx2"))) static void
xxh32_13_avx2(const uint8_t *s, size_t n, uint32_t *f)
{
    const __m256i gather = _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4, 5,
                                            6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10);
    const __m256i p1 = _mm256_set1_epi32((int)XXH_PRIME32_1);
    const __m256i p2 = _mm256_set1_epi32((int)XXH_PRIME32_2);
    const __m256i p3 = _mm256_set1_epi32((int)XXH_PRIME32_3);
    const __m256i p4 = _mm256_set1_epi32((int)XXH_PRIME32_4);
    const __m256i p5 = _mm256_set1_epi32((int)XXH_PRIME32_5);
    const __m256i h0 = _mm256_set1_epi32((int)(XXH_PRIME32_5 + 13));
    for (size_t k = 0; k < n; k += 8) {
        const uint8_t *p = s + k;
        __m256i h = h0;
        for (unsigned j = 0; j < 3; j++) {
            __m128i b = _mm_loadu_si128((const __m128i *)(p + 4 * j));
            __m256i w = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(b), gather);
            h = _mm256_add_epi32(h, _mm256_mullo_epi32(w, p3));
            h = _mm256_or_si256(_mm256_slli_epi32(h, 17), _mm256_srli_epi32(h, 15));
            h = _mm256_mullo_epi32(h, p4);
        }
        __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(p + 12)));
        h = _mm256_add_epi32(h, _mm256_mullo_epi32(c, p5));
        h = _mm256_or_si256(_mm256_slli_epi32(h, 11), _mm256_srli_epi32(h, 21));
        h = _mm256_mullo_epi32(h, p1);
        h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_srli_epi32(h, 15)), p2);
        h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_srli_epi32(h, 13)), p3);
        h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
        _mm256_storeu_si256((__m256i *)(f + k), h);
    }
}
#endif

/* f[k] = XXH32(s + a + k, 13, 0) for k < n: windows of 13 ASCII bytes, all inside s[0..len) */
static void
hash13(const char *s, size_t len, size_t a, size_t n, uint32_t *f, int impl)
{
    size_t k = 0;
#ifdef HAVE_AVX2
    if (impl == EX_ISCC_IMPL_AVX2 && len - a >= 24) {
        /* eight at a time while the loads (24 bytes from each eighth window) stay inside s */
        size_t room = (len - a - 24) / 8 * 8 + 8;
        k = (room < n ? room : n) / 8 * 8;
        xxh32_13_avx2((const uint8_t *)s + a, k, f);
    }
#else
    (void)len, (void)impl;
#endif
    for (; k < n; k++)
        f[k] = XXH32(s + a + k, EX_ISCC_NGRAM, 0);
}

void
ex_iscc_windows_init(ex_iscc_windows *w, const char *s, size_t len, int impl)
{
    w->s = s, w->len = len, w->a = 0, w->b = 0, w->done = 0;
    w->impl = impl_resolve(impl);
    w->wide = ex_iscc_next_wide(s, 0, len);
    /* b: past the first window's last code point (the whole text if it has fewer) */
    for (unsigned k = 0; w->b < len && k < EX_ISCC_NGRAM; k++)
        while (++w->b < len && ((unsigned char)s[w->b] & 0xC0) == 0x80)
            ;
}

size_t
ex_iscc_features(ex_iscc_windows *w, uint32_t *f, size_t cap)
{
    const char *s = w->s;
    size_t n = 0, len = w->len;
    while (!w->done && n < cap) {
        if (w->wide < w->a)
            w->wide = ex_iscc_next_wide(s, w->a, len);
        if (w->wide >= w->a + EX_ISCC_NGRAM) {
            /* the windows at a .. wide - 13 are 13 ASCII bytes each (and a text with 13
             * ASCII bytes has 13 code points, so these are windows of the walk below) */
            size_t k = w->wide - EX_ISCC_NGRAM + 1 - w->a;
            k = k < cap - n ? k : cap - n;
            hash13(s, len, w->a, k, f + n, w->impl);
            n += k;
            w->a += k;
            if (w->a + EX_ISCC_NGRAM <= w->wide) {
                w->b = w->a + EX_ISCC_NGRAM;
            } else if (w->wide == len) {
                w->done = 1; /* 12 code points left: no window starts here */
            } else {
                w->b = w->wide; /* 12 ASCII code points and the one at wide */
                while (++w->b < len && ((unsigned char)s[w->b] & 0xC0) == 0x80)
                    ;
            }
            continue;
        }
        /* a code point at a time, as the reference: a text of fewer code points is one window */
        f[n++] = XXH32(s + w->a, w->b - w->a, 0);
        if (w->b >= len) {
            w->done = 1;
            break;
        }
        while (((unsigned char)s[++w->a] & 0xC0) == 0x80)
            ;
        while (++w->b < len && ((unsigned char)s[w->b] & 0xC0) == 0x80)
            ;
    }
    return n;
}

/* -- MinHash -- */

/* MinHash kernels: mh[i] = min(mh[i], the low 32 bits of permutation i of f[k]) for every k.
 * Permutation i of f is ((a f + b) mod 2^64) mod M61 with a = MPA[i], b = MPB[i]; for x < 2^64,
 * x mod M61 is y = (x & M61) + (x >> 61) less M61 if y >= M61 (x = h 2^61 + l with h <= 7 and
 * l <= M61 is h + l mod M61, and h + l < 2 M61), and since M61 = 2^61 - 1 the low 32 bits of
 * y - M61 are those of y + 1. test_iscc checks each kernel against the reference. */

static void
minhash_ref(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    for (size_t k = 0; k < n; k++)
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
            uint64_t x = ex_iscc_mpa[i] * f[k] + ex_iscc_mpb[i];
            x = (x & M61) + (x >> 61);
            if (x >= M61)
                x -= M61;
            if ((uint32_t)x < mh[i])
                mh[i] = (uint32_t)x;
        }
}

/* The fast kernels skip what cannot lower a minimum. The low 32 bits of permutation i of f are
 * L + d mod 2^32, where L = (a_lo f + b_lo) mod 2^32 (a_lo, b_lo: the low 32 bits of a, b; the
 * rest of a f + b only reaches bit 32 and up) and d = (x >> 61) + [y >= M61], 0 to 8. So when
 * m <= L <= 2^32 - 9, the permutation is at least L >= m and leaves mh[i] = m as it is; only
 * the rest, about 1 in k at the k-th feature once m is down to about 2^32 / k, is computed
 * exactly. With D = L - m and W = 2^32 - 9 - m (mod 2^32), m <= L <= 2^32 - 9 is D <= W
 * (L < m wraps D to over W), which needs m <= 2^32 - 9: until every minimum is, features take
 * the exact way. With c[i] = b_lo - m and w[i] = W, a candidate is a_lo f + c[i] > w[i],
 * unsigned; AVX2 compares signed, so it adds 2^31 to both sides. */
#define MH_TOP UINT32_C(0xFFFFFFF7) /* 2^32 - 9 */

typedef struct mh_filter {
    uint32_t alo[EX_ISCC_PERMS], c[EX_ISCC_PERMS], w[EX_ISCC_PERMS];
} mh_filter;

/* the low 32 bits of x mod M61 */
static inline uint32_t
mod61_lo32(uint64_t x)
{
    uint64_t y = (x & M61) + (x >> 61);
    return (uint32_t)y + (y >= M61);
}

static inline void
exact(mh_filter *t, unsigned i, uint32_t f, uint32_t mh[EX_ISCC_PERMS])
{
    uint32_t r = mod61_lo32(ex_iscc_mpa[i] * f + ex_iscc_mpb[i]);
    if (r < mh[i]) {
        mh[i] = r;
        t->c[i] = (uint32_t)ex_iscc_mpb[i] - r;
        t->w[i] = MH_TOP - r;
    }
}

/* Features of f[0..n) the exact way until every minimum is at most MH_TOP; then the filter for
 * mh. Returns how many features it took. */
static size_t
filter_start(mh_filter *t, const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    size_t k = 0;
    for (;;) {
        uint32_t top = 0;
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++)
            top = mh[i] > top ? mh[i] : top;
        if (top <= MH_TOP || k == n)
            break;
        minhash_ref(f + k++, 1, mh);
    }
    for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
        t->alo[i] = (uint32_t)ex_iscc_mpa[i];
        t->c[i] = (uint32_t)ex_iscc_mpb[i] - mh[i];
        t->w[i] = MH_TOP - mh[i];
    }
    return k;
}

static void
minhash_portable(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    mh_filter t;
    for (size_t k = filter_start(&t, f, n, mh); k < n; k++) {
        uint32_t x = f[k];
        unsigned any = 0;
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++)
            any |= (uint32_t)(t.alo[i] * x + t.c[i]) > t.w[i];
        if (any)
            for (unsigned i = 0; i < EX_ISCC_PERMS; i++)
                if ((uint32_t)(t.alo[i] * x + t.c[i]) > t.w[i])
                    exact(&t, i, x, mh);
    }
}

#ifdef HAVE_AVX2

/* mod61_lo32 of each 64-bit lane, in its low half (the high half is not that of the result).
 * y <= M61 + 7 < 2^63, so the signed compare is right. */
__attribute__((target("avx2"))) static inline __m256i
mod61_lo32_avx2(__m256i x)
{
    const __m256i m61 = _mm256_set1_epi64x((long long)M61);
    const __m256i below = _mm256_set1_epi64x((long long)(M61 - 1));
    __m256i y = _mm256_add_epi64(_mm256_and_si256(x, m61), _mm256_srli_epi64(x, 61));
    return _mm256_sub_epi64(y, _mm256_cmpgt_epi64(y, below)); /* + 1 when y >= M61 */
}

/* Permutations a[0..8), b[0..8) of f (x: f in every 32-bit lane), exactly, their low 32 bits
 * in order. f < 2^32, so a f mod 2^64 is a_lo f + (a_hi f mod 2^32) 2^32: _mm256_mul_epu32 gives
 * a_lo f, and _mm256_mullo_epi32 of (0, a_hi) and (f, f) gives (0, a_hi f mod 2^32). */
__attribute__((target("avx2"))) static inline __m256i
exact8(const uint64_t *a, const uint64_t *b, __m256i x)
{
    const __m256i hi = _mm256_set1_epi64x((long long)0xFFFFFFFF00000000ull);
    __m256i y[2];
    for (unsigned h = 0; h < 2; h++) {
        __m256i av = _mm256_loadu_si256((const __m256i *)(a + 4 * h));
        y[h] = mod61_lo32_avx2(_mm256_add_epi64(
            _mm256_add_epi64(_mm256_mul_epu32(av, x),
                             _mm256_mullo_epi32(_mm256_and_si256(av, hi), x)),
            _mm256_loadu_si256((const __m256i *)(b + 4 * h))));
    }
    /* the low halves: y0 0 1, y1 0 1 | y0 2 3, y1 2 3; then in order */
    __m256 lo = _mm256_shuffle_ps(_mm256_castsi256_ps(y[0]), _mm256_castsi256_ps(y[1]),
                                  _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_permute4x64_epi64(_mm256_castps_si256(lo), _MM_SHUFFLE(3, 1, 2, 0));
}

/* The filter eight permutations to a vector, c and w with 2^31 added (b_lo + 2^31 - m and
 * MH_TOP + 2^31 - m) for the signed compare; a feature with a candidate, rare, takes exact8
 * for each group of eight that has one. The minima, c and w stay vectors throughout. */
__attribute__((target("avx2"))) static void
minhash_avx2(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    enum { G = EX_ISCC_PERMS / 8 };
    const __m256i topb = _mm256_set1_epi32((int)(MH_TOP + UINT32_C(0x80000000)));
    const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFF);
    __m256i alo[G], blo[G], m[G], c[G], w[G];
    size_t k = 0;
    for (unsigned g = 0; g < G; g++) {
        uint32_t al[8], bl[8];
        for (unsigned j = 0; j < 8; j++) {
            al[j] = (uint32_t)ex_iscc_mpa[8 * g + j];
            bl[j] = (uint32_t)ex_iscc_mpb[8 * g + j] + UINT32_C(0x80000000);
        }
        alo[g] = _mm256_loadu_si256((const __m256i *)al);
        blo[g] = _mm256_loadu_si256((const __m256i *)bl);
        m[g] = _mm256_loadu_si256((const __m256i *)(mh + 8 * g));
    }
    for (;; k++) {
        /* exact while the minima add up to over 2^31 (a feature would then more often than
         * not have a candidate), which also keeps each under MH_TOP before the filter */
        __m256i sum = _mm256_setzero_si256();
        for (unsigned g = 0; g < G; g++)
            sum = _mm256_add_epi64(sum, _mm256_add_epi64(_mm256_srli_epi64(m[g], 32),
                                                         _mm256_and_si256(m[g], lo32)));
        uint64_t s4[4];
        _mm256_storeu_si256((__m256i *)s4, sum);
        if (s4[0] + s4[1] + s4[2] + s4[3] <= UINT64_C(1) << 31 || k == n)
            break;
        __m256i x = _mm256_set1_epi32((int)f[k]);
        for (unsigned g = 0; g < G; g++)
            m[g] = _mm256_min_epu32(m[g], exact8(ex_iscc_mpa + 8 * g, ex_iscc_mpb + 8 * g, x));
    }
    for (unsigned g = 0; g < G; g++) {
        c[g] = _mm256_sub_epi32(blo[g], m[g]);
        w[g] = _mm256_sub_epi32(topb, m[g]);
    }
    for (; k < n; k++) {
        __m256i x = _mm256_set1_epi32((int)f[k]), any = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (unsigned g = 0; g < G; g++) {
            __m256i l = _mm256_add_epi32(_mm256_mullo_epi32(alo[g], x), c[g]);
            any = _mm256_or_si256(any, _mm256_cmpgt_epi32(l, w[g]));
        }
        if (_mm256_testz_si256(any, any))
            continue;
        /* rare: again, group by group (keeping the candidates costs more than this) */
        for (unsigned g = 0; g < G; g++) {
            __m256i l = _mm256_add_epi32(_mm256_mullo_epi32(alo[g], x), c[g]);
            __m256i cand = _mm256_cmpgt_epi32(l, w[g]);
            if (_mm256_testz_si256(cand, cand))
                continue;
            m[g] = _mm256_min_epu32(m[g], exact8(ex_iscc_mpa + 8 * g, ex_iscc_mpb + 8 * g, x));
            c[g] = _mm256_sub_epi32(blo[g], m[g]);
            w[g] = _mm256_sub_epi32(topb, m[g]);
        }
    }
    for (unsigned g = 0; g < G; g++)
        _mm256_storeu_si256((__m256i *)(mh + 8 * g), m[g]);
}
#endif


#ifdef HAVE_AVX2
__attribute__((target("avx2"))) static void
mod61_avx2(const uint64_t *x, size_t n, uint32_t *out)
{
    for (size_t k = 0; k + 4 <= n; k += 4) {
        uint64_t y[4];
        _mm256_storeu_si256((__m256i *)y,
                            mod61_lo32_avx2(_mm256_loadu_si256((const __m256i *)(x + k))));
        for (unsigned j = 0; j < 4; j++)
            out[k + j] = (uint32_t)y[j];
    }
}
#endif

void
ex_iscc_mod61_lo32(int impl, const uint64_t *x, size_t n, uint32_t *out)
{
    size_t k = 0;
#ifdef HAVE_AVX2
    if (impl_resolve(impl) == EX_ISCC_IMPL_AVX2) {
        k = n / 4 * 4;
        mod61_avx2(x, k, out);
    }
#endif
    for (; k < n; k++)
        out[k] = impl == EX_ISCC_IMPL_REF ? (uint32_t)(x[k] % M61) : mod61_lo32(x[k]);
}

typedef void minhash_fn(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS]);

static minhash_fn *
minhash_kernel(int impl)
{
    switch (impl_resolve(impl)) {
    case EX_ISCC_IMPL_REF: return minhash_ref;
#ifdef HAVE_AVX2
    case EX_ISCC_IMPL_AVX2: return minhash_avx2;
#endif
    default: return minhash_portable;
    }
}

void
ex_iscc_minhash(int impl, const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    minhash_kernel(impl)(f, n, mh);
}

#define FEATURES 512 /* hashed before each MinHash pass: 2 KiB, in L1 */

void
ex_iscc_soft_hash(const char *s, size_t len, int impl, uint8_t digest[EX_ISCC_DIGEST_BYTES])
{
    impl = impl_resolve(impl);
    if (impl == EX_ISCC_IMPL_REF) {
        soft_hash_ref(s, len, digest);
        return;
    }
    minhash_fn *update = minhash_kernel(impl);
    ex_iscc_windows w;
    uint32_t mh[EX_ISCC_PERMS], f[FEATURES];
    size_t n;
    memset(mh, 0xFF, sizeof mh);
    ex_iscc_windows_init(&w, s, len, impl);
    while ((n = ex_iscc_features(&w, f, FEATURES)) > 0)
        update(f, n, mh);
    pack_digest(mh, digest);
}

