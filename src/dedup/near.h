/* near.h - near-duplicate fingerprints of text: normalisation, word 5-gram shingles, MinHash
 * signatures and LSH band keys. The algorithm, with test vectors, is docs/FORMATS.md
 * "Near-duplicate fingerprints"; it is meant to be recomputed by others, so every step is
 * fixed: utf8proc's NFKC with case folding, XXH3-64 (seed 0) of each shingle, k
 * 32-bit multiply-add permutations whose constants come from splitmix64 from a documented seed, and
 * band keys hashed with XXH3-64 seeded by the band's number.
 *
 * An ex_near is made once for a set of parameters and used by one thread at a time (it keeps
 * scratch buffers); make one per thread.
 *
 * Two implementations give the same bytes: the fast one (near.c, with norm.c and fold.c for
 * normalising and minhash.c for the MinHash loop; norm.c says why its shortcuts are exact) and
 * a plain one (near_ref.c), the definition the fast one is tested against. */
#ifndef EX_NEAR_H
#define EX_NEAR_H

#include "core/core.h"

#define EX_NEAR_SHINGLE_WORDS 5
#define EX_NEAR_K_DEFAULT 112
#define EX_NEAR_BANDS_DEFAULT 14
#define EX_NEAR_K_MAX 1024
/* The seed of the permutation constants: the bytes "exante-m" as a big-endian integer. */
#define EX_NEAR_SEED UINT64_C(0x6578616e74652d6d)
/* Step 2's utf8proc options, utf8proc_NFKC_Casefold's (the names are utf8proc.h's). */
#define EX_NEAR_UTF8PROC_OPTIONS                                                                \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

typedef struct ex_near ex_near;

/* Parameters k (1..EX_NEAR_K_MAX permutations) and bands (1..k, dividing k: rows = k / bands).
 * EX_EINVAL for others, EX_ENOMEM. */
int ex_near_new(unsigned k, unsigned bands, ex_near **out);
void ex_near_free(ex_near *n);
unsigned ex_near_k(const ex_near *n);
unsigned ex_near_bands(const ex_near *n);

/* The normalised form of text[0..len) (any bytes: invalid UTF-8 counts as a separator), into
 * out (reset first): NFKC and case folding, punctuation (Unicode P*) removed, other
 * non-letters kept, every run of white space, separators (Z*) and control characters (Cc)
 * one space, none at either end. EX_ENOMEM. */
int ex_near_normalise(ex_near *n, const char *text, size_t len, ex_buf *out);

/* The signature of text: sig[0..k) the minima over its shingles of each permutation (32-bit
 * values: a_i * x + b_i mod 2^32 of each shingle hash's low 32 bits x); *shingles
 * (may be NULL) the number of shingles (0 for a text without words: sig is then all
 * UINT64_MAX, a signature that matches nothing). EX_ENOMEM. */
int ex_near_signature(ex_near *n, const char *text, size_t len, uint64_t *sig,
                      uint64_t *shingles);

/* The plain implementations of the two above (near_ref.c): the same results, several times
 * slower; for the tests, the fuzz target and the benchmark. EX_ENOMEM. */
int ex_near_normalise_ref(const char *text, size_t len, ex_buf *out);
int ex_near_signature_ref(const ex_near *n, const char *text, size_t len, uint64_t *sig,
                          uint64_t *shingles);

/* The fingerprint of sig, what is stored per item: for each of its k values the low byte of
 * that value mixed by splitmix64's output function (b-bit MinHash with b = 8), fp[0..k). */
void ex_near_fingerprint(const ex_near *n, const uint64_t *sig, uint8_t *fp);

/* The band keys of a fingerprint: keys[0..bands), key j = XXH3-64 with seed j of fp[j*r ..
 * j*r + r) (r = k / bands rows), except that a key of 0 is 1 (index keys are never 0). */
void ex_near_bands_of(const ex_near *n, const uint8_t *fp, uint64_t *keys);

/* The estimated Jaccard similarity of two fingerprints of k bytes: with m equal positions,
 * max(0, (m / k - 1/256) / (1 - 1/256)) (two different minima have equal low bytes with
 * probability 1/256). */
double ex_near_fp_jaccard(unsigned k, const uint8_t *a, const uint8_t *b);

/* The estimated Jaccard similarity of two full signatures: the share of equal positions (0
 * if either signature is empty). */
double ex_near_jaccard(const ex_near *n, const uint64_t *a, const uint64_t *b);

/* The words of the text of the last ex_near_signature (what single spaces separate in its
 * normalised form; 0 after an error). */
uint64_t ex_near_words(const ex_near *n);

/* ---- the stored record of a fingerprint (one per item, docs/FORMATS.md) ----
 * 0x02, k and bands as 2 little-endian bytes each, the k bytes of the fingerprint, then the
 * text's words (unsigned LEB128, 1 to 10 bytes); an item without text (or without words) has
 * the one byte 0x00. Records of version 0x01 (before exante counted words) end at the
 * fingerprint. */
#define EX_NEAR_REC_MAX (15 + EX_NEAR_K_MAX)
/* The record of fp (NULL: no text) and the text's words into out[0..EX_NEAR_REC_MAX); its
 * length. */
size_t ex_near_record(const ex_near *n, const uint8_t *fp, uint64_t words, uint8_t *out);
/* Read a record (either version): EX_OK with *k, *bands and *fp (pointing into rec);
 * EX_ENOTFOUND for the record of an item without text; EX_EFORMAT for anything else. */
int ex_near_record_read(const void *rec, size_t len, unsigned *k, unsigned *bands,
                        const uint8_t **fp);
/* The words of a record's text: EX_OK with *words (0 for an item without text); EX_ENOTFOUND
 * for a version 1 record (not counted); EX_EFORMAT. */
int ex_near_record_words(const void *rec, size_t len, uint64_t *words);
/* The fingerprint in rec if it holds one made with k and bands (only those compare), else
 * NULL. */
const uint8_t *ex_near_record_fp(const void *rec, size_t len, unsigned k, unsigned bands);

/* The permutation constants a[i] (odd) and b[i]: h_i(x) = a[i] * x + b[i] mod 2^32. */
void ex_near_constants(const ex_near *n, unsigned i, uint32_t *a, uint32_t *b);

#endif
