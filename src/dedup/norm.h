/* norm.h - steps 1-3 of near-duplicate fingerprints (docs/FORMATS.md): valid UTF-8, NFKC with
 * case folding, punctuation out and separators collapsed. The same bytes as near_ref.c's
 * ex_near_normalise_ref, sooner (norm.c says how). Internal to src/dedup/. */
#ifndef EX_NORM_H
#define EX_NORM_H

#include "core/core.h"

typedef struct ex_norm ex_norm;

/* A normaliser with its tables and scratch buffers, for one thread at a time. EX_ENOMEM. */
int ex_norm_new(ex_norm **out);
void ex_norm_free(ex_norm *z);

/* The normal form of text[0..len) into out (reset first). EX_ENOMEM, EX_EINVAL (utf8proc
 * failed). */
int ex_norm_run(ex_norm *z, const char *text, size_t len, ex_buf *out);

#endif
