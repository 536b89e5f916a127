/* fold.h - the normaliser's ASCII runs (near.c): each byte mapped through a table of 128 (0:
 * dropped, ' ': a separator, else the byte kept, above ' '), separators collapsed to single
 * spaces, none before the first kept byte. Internal to src/dedup/. */
#ifndef EX_FOLD_H
#define EX_FOLD_H

#include "core/core.h"

typedef struct ex_fold {
    unsigned char ascii[128];
    int simd; /* 16 bytes at a time: the CPU has AVX2, and a kept byte is itself or itself + 32 */
    unsigned char drop[16], sep[16], up[16]; /* by low nibble, a bit per high nibble */
    unsigned char pad; /* a byte the table drops: a run's last bytes are padded to 16 with it */
    unsigned char pack[256][8]; /* by a mask of 8 bytes, the indexes of those kept */
} ex_fold;

/* The rest of f from f->ascii, which the caller has filled. */
void ex_fold_init(ex_fold *f);

/* Append the folded p[0..len) (ASCII) to out, which has room for len + 16 more bytes. *space:
 * a separator is pending (seen after the last kept byte, written only if another comes); it is
 * both read and left for the caller's next piece. */
void ex_fold_run(const ex_fold *f, const unsigned char *p, size_t len, ex_buf *out, int *space);

#endif
