/* fold.c - the normaliser's ASCII runs (fold.h).
 *
 * Neither version branches on the bytes (a branch would miss at most word ends), so both write
 * a space as soon as a separator follows a kept byte, and take it back at the end of the run
 * if nothing kept came after it: a separator is written when the byte before it that was not
 * dropped was kept.
 *
 * The AVX2 version (x86-64, GCC or Clang; chosen at run time) does 16 bytes at a time with
 * 128-bit instructions. A byte's class comes from two table look-ups (pshufb) by its low nibble
 * and by its high one, a bit per high nibble: any table of 128 fits. The class of the byte
 * before each that was not dropped is found in four shift-and-fill steps (a run of dropped
 * bytes is at most 15 long within 16); the bytes written are then packed to the front by a
 * pshufb whose indexes come from a table of 256, a half at a time. */
#include "fold.h"

#include <string.h>

/* the portable version: from p[0..len) on, with *op the output's end and *last 1 when the last
 * byte not dropped was kept */
static void
run(const ex_fold *f, const unsigned char *p, size_t len, char **op, unsigned *last)
{
    char *o = *op;
    unsigned l = *last;
    for (size_t i = 0; i < len; i++) {
        unsigned c = f->ascii[p[i]], kept = c > ' ';
        *o = (char)c;
        o += kept | (c == ' ' && l);
        l = c ? kept : l;
    }
    *op = o, *last = l;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SIMD 1
#define AVX2 __attribute__((target("avx2,popcnt")))
#define LOAD8(p) _mm_loadl_epi64((const __m128i *)(const void *)(p))

/* class masks (0xff where set) of the bytes v by the table t: bit (high nibble) of t[low] */
static inline AVX2 __m128i
lookup(__m128i t, __m128i lo, __m128i hb)
{
    return _mm_cmpeq_epi8(_mm_and_si128(_mm_shuffle_epi8(t, lo), hb), hb);
}

/* the whole blocks of 16 of p[0..len); returns the bytes done */
static AVX2 size_t
run_avx2(const ex_fold *f, const unsigned char *p, size_t len, char **op, unsigned *last)
{
    const __m128i nib = _mm_set1_epi8(0x0f), zero = _mm_setzero_si128();
    const __m128i one = _mm_set1_epi8(1), two = _mm_set1_epi8(2), sp = _mm_set1_epi8(' ');
    const __m128i bits = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i hi8 = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8);
    const __m128i drop = _mm_loadu_si128((const __m128i *)(const void *)f->drop);
    const __m128i sep = _mm_loadu_si128((const __m128i *)(const void *)f->sep);
    const __m128i up = _mm_loadu_si128((const __m128i *)(const void *)f->up);
    char *o = *op;
    unsigned l = *last;
    size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i lo = _mm_and_si128(v, nib);
        __m128i hb = _mm_shuffle_epi8(bits, _mm_and_si128(_mm_srli_epi16(v, 4), nib));
        __m128i d = lookup(drop, lo, hb), s = lookup(sep, lo, hb), u = lookup(up, lo, hb);
        __m128i k = _mm_andnot_si128(_mm_or_si128(d, s), _mm_cmpeq_epi8(v, v)); /* kept */
        __m128i t = _mm_or_si128(_mm_and_si128(k, one), _mm_and_si128(s, two)); /* 1, 2 or 0 */
        /* r: the class of the last byte before each not dropped (1 kept, 2 separator) */
        __m128i r = _mm_alignr_epi8(t, _mm_set1_epi8((char)(l ? 1 : 2)), 15);
        r = _mm_blendv_epi8(r, _mm_slli_si128(r, 1), _mm_cmpeq_epi8(r, zero));
        r = _mm_blendv_epi8(r, _mm_slli_si128(r, 2), _mm_cmpeq_epi8(r, zero));
        r = _mm_blendv_epi8(r, _mm_slli_si128(r, 4), _mm_cmpeq_epi8(r, zero));
        r = _mm_blendv_epi8(r, _mm_slli_si128(r, 8), _mm_cmpeq_epi8(r, zero));
        __m128i w = _mm_or_si128(k, _mm_and_si128(s, _mm_cmpeq_epi8(r, one))); /* written */
        __m128i out = _mm_blendv_epi8(_mm_add_epi8(v, _mm_and_si128(u, _mm_set1_epi8(32))), sp, s);
        unsigned m = (unsigned)_mm_movemask_epi8(w), m0 = m & 0xff, m1 = m >> 8;
        __m128i idx = _mm_unpacklo_epi64(LOAD8(f->pack[m0]), LOAD8(f->pack[m1]));
        out = _mm_shuffle_epi8(out, _mm_add_epi8(idx, hi8));
        _mm_storel_epi64((__m128i *)(void *)o, out);
        o += __builtin_popcount(m0);
        _mm_storel_epi64((__m128i *)(void *)o, _mm_unpackhi_epi64(out, out));
        o += __builtin_popcount(m1);
        l = _mm_extract_epi8(_mm_blendv_epi8(t, r, _mm_cmpeq_epi8(t, zero)), 15) == 1;
    }
    *op = o, *last = l;
    return i;
}
#else
#define SIMD 0
#endif

void
ex_fold_init(ex_fold *f)
{
    memset(f->drop, 0, sizeof f->drop);
    memset(f->sep, 0, sizeof f->sep);
    memset(f->up, 0, sizeof f->up);
    f->simd = SIMD;
    for (int c = 0; c < 128; c++) {
        unsigned char a = f->ascii[c], bit = (unsigned char)(1u << (c >> 4));
        if (a == 0)
            f->drop[c & 15] |= bit;
        else if (a == ' ')
            f->sep[c & 15] |= bit;
        else if (a == c + 32)
            f->up[c & 15] |= bit;
        else if (a != c)
            f->simd = 0;
    }
    int pad = -1;
    for (int c = 127; c >= 0 && pad < 0; c--)
        if (f->ascii[c] == 0)
            pad = c;
    f->pad = (unsigned char)(pad < 0 ? 0 : pad);
    f->simd &= pad >= 0;
    memset(f->pack, 0, sizeof f->pack);
    for (unsigned m = 0; m < 256; m++)
        for (unsigned b = 0, n = 0; b < 8; b++)
            if (m >> b & 1)
                f->pack[m][n++] = (unsigned char)b;
#if SIMD
    f->simd = f->simd && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#endif
}

void
ex_fold_run(const ex_fold *f, const unsigned char *p, size_t len, ex_buf *out, int *space)
{
    char *o = out->data + out->len;
    unsigned last = out->len > 0 && !*space;
    if (out->len > 0 && *space)
        *o++ = ' ';
    size_t done = 0;
#if SIMD
    if (f->simd) {
        done = run_avx2(f, p, len, &o, &last);
        if (done < len) { /* the last bytes padded to 16 with one that is dropped: short runs,
                           * between non-ASCII letters, are most of some texts' */
            unsigned char t[16];
            memset(t, f->pad, sizeof t);
            memcpy(t, p + done, len - done);
            run_avx2(f, t, sizeof t, &o, &last);
            done = len;
        }
    }
#endif
    run(f, p + done, len - done, &o, &last);
    *space = !last && o != out->data; /* a space written last is pending again */
    out->len = (size_t)(o - out->data) - (size_t)*space;
}
