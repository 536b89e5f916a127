/* iscc.h - ISCC Text-Code v0 (ISO 24138), the code registries of works use: a rights holder
 * can name a work by its Text-Code, and a text matches when the first 64 bits of the codes
 * are close in Hamming distance. It has to be iscc-core's gen_text_code_v0 bit for bit, or
 * codes made elsewhere would not match ours; docs/FORMATS.md "ISCC Text-Code" states every
 * step, including where Python's string functions had to be matched by hand.
 *
 * ex_iscc_text_code, ex_iscc_decode, ex_iscc_text64 and ex_iscc_hamming are public:
 * include/exante.h. The functions here are for tests and fuzz targets. */
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
 * NULL). EX_ENOMEM; EX_ETOOBIG when utf8proc cannot size the result. */
int ex_iscc_collapse(const char *text, size_t len, ex_buf *out, size_t *characters);

/* Encode a unit of the main types whose length is its digest's (META, SEMANTIC, CONTENT,
 * DATA, INSTANCE, FLAKE: 0-4, 7): "ISCC:" and the base32 of the header and digest[0..bits/8)
 * into code[0..cap). EX_EINVAL for another main type, bits not a multiple of 32 in 32..256,
 * a subtype or version over 4679 (the largest a header holds), or a cap too small. */
int ex_iscc_encode(unsigned mtype, unsigned stype, unsigned version, unsigned bits,
                   const uint8_t *digest, char *code, size_t cap);

#endif
