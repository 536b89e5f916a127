/* iscc.h - ISCC Text-Code v0 (ISO 24138), the code registries of works use: a rights holder
 * can name a work by its Text-Code, and a text matches when the first 64 bits of the codes
 * are close in Hamming distance. It has to be iscc-core's gen_text_code_v0 bit for bit, or
 * codes made elsewhere would not match ours; docs/FORMATS.md "ISCC Text-Code" states every
 * step, including where Python's string functions had to be matched by hand.
 *
 * ex_iscc_text_code, ex_iscc_decode, ex_iscc_text64 and ex_iscc_hamming are public:
 * include/exante.h. The functions here are for tests, fuzz targets and bench_iscc. */
#ifndef EX_ISCC_H
#define EX_ISCC_H

#include "core/core.h"

#define EX_ISCC_PERMS 64 /* MinHash permutations */
#define EX_ISCC_NGRAM 13 /* code points per window */

/* iscc-core's MinHash constants (iscc_core/minhash.py MPA, MPB): permutation i of a feature f
 * is ((MPA[i] * f + MPB[i]) mod 2^64) mod (2^61 - 1). */
extern const uint64_t ex_iscc_mpa[EX_ISCC_PERMS], ex_iscc_mpb[EX_ISCC_PERMS];

/* The collapsed text (FORMATS.md steps 1-5) of text[0..len), any bytes, as UTF-8 into out
 * (reset first; NUL-terminated), and its number of code points into *characters (may be
 * NULL). EX_ENOMEM; EX_ETOOBIG when utf8proc cannot size the result. ASCII goes by a table,
 * only the runs of other bytes through utf8proc, a code point at a time, and NFKC only where
 * it can change something (iscc.c says why that is the same); a text with a capital sigma
 * takes ex_iscc_collapse_ref. */
int ex_iscc_collapse(const char *text, size_t len, ex_buf *out, size_t *characters);

/* The same, step by step over the whole text as FORMATS.md states it: the reference
 * ex_iscc_collapse is tested against. */
int ex_iscc_collapse_ref(const char *text, size_t len, ex_buf *out, size_t *characters);

/* 1 when NFKC leaves code point c as it is wherever it stands (for a c the filter of step 5
 * keeps): it has no decomposition of any kind and combining class 0, and is not Hangul; such
 * a code point is no composition's second either (test_iscc checks every code point), so NFKC
 * of a text of them and ASCII is the text. */
int ex_iscc_nfkc_inert(int32_t c);

/* Encode a unit of the main types whose length is its digest's (META, SEMANTIC, CONTENT,
 * DATA, INSTANCE, FLAKE: 0-4, 7): "ISCC:" and the base32 of the header and digest[0..bits/8)
 * into code[0..cap). EX_EINVAL for another main type, bits not a multiple of 32 in 32..256,
 * a subtype or version over 4679 (the largest a header holds), or a cap too small. */
int ex_iscc_encode(unsigned mtype, unsigned stype, unsigned version, unsigned bits,
                   const uint8_t *digest, char *code, size_t cap);

/* Implementations of steps 6-8 (all give the same bits): the reference (as FORMATS.md states
 * the steps: a window, then its 64 permutations, at a time), portable C, AVX2 (x86-64 CPUs
 * that have it), and the best this CPU has. One the CPU lacks runs as the portable one.
 * ex_iscc_text_code takes the best. */
enum { EX_ISCC_IMPL_REF, EX_ISCC_IMPL_PORTABLE, EX_ISCC_IMPL_AVX2, EX_ISCC_IMPL_BEST };

/* 1 when this build and CPU have implementation impl, else 0. */
int ex_iscc_impl_has(int impl);

/* The 256-bit soft hash (steps 6-9) of collapsed text s[0..len), valid UTF-8. */
void ex_iscc_soft_hash(const char *s, size_t len, int impl, uint8_t digest[EX_ISCC_DIGEST_BYTES]);

/* Steps 6 and 7 alone: the windows of collapsed text s[0..len) (borrowed until the last
 * ex_iscc_features call) and their XXH32 features, in order, up to cap at a time into f;
 * 0 once all are out. The REF implementation is the portable one here. */
typedef struct ex_iscc_windows {
    const char *s;
    size_t len, a, b; /* the next window is s[a..b) */
    size_t wide;      /* the first byte >= 0x80 at or after a, or len (if not below a) */
    int impl, done;
} ex_iscc_windows;

void ex_iscc_windows_init(ex_iscc_windows *w, const char *s, size_t len, int impl);
size_t ex_iscc_features(ex_iscc_windows *w, uint32_t *f, size_t cap);

/* Step 8 alone: mh[i] = min(mh[i], permutation i of each of f[0..n), mod 2^32). */
void ex_iscc_minhash(int impl, const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS]);

/* The low 32 bits of x[k] mod (2^61 - 1) for k < n into out, reduced as impl's MinHash reduces
 * (REF: the % operator). */
void ex_iscc_mod61_lo32(int impl, const uint64_t *x, size_t n, uint32_t *out);

#endif
