/* minhash.h - the MinHash loop of near.c, where a signature's time goes once its text is
 * normalised and its shingles hashed: k multiply-adds and minima per shingle, on 32-bit
 * values (docs/FORMATS.md "Near-duplicate fingerprints", step 6). Internal to src/dedup/. */
#ifndef EX_MINHASH_H
#define EX_MINHASH_H

#include <stddef.h>
#include <stdint.h>

/* For i < k: sig[i] = the minimum of sig[i] and of a[i] * x[j] + b[i] mod 2^32 over j < n.
 * With AVX2 when the CPU has it (checked at each call), else portable C: the same values. */
void ex_minhash_update(unsigned k, const uint32_t *a, const uint32_t *b, const uint32_t *x,
                       size_t n, uint32_t *sig);

/* The portable version alone (tests compare the two), and whether ex_minhash_update uses
 * AVX2 here. */
void ex_minhash_update_portable(unsigned k, const uint32_t *a, const uint32_t *b,
                                const uint32_t *x, size_t n, uint32_t *sig);
int ex_minhash_avx2(void);

#endif
