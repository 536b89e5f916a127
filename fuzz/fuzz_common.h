/* fuzz_common.h - fixed keys shared by the fuzz targets (not part of the library).
 *
 * "PeterNeumann" is the key of the C2SP signed-note test vector; "exante.fuzz/alice" is a fixed
 * key made for the fuzz corpora (seed = SHA-256("exante fuzz key alice")). Corpus notes also
 * carry signatures by "exante.fuzz/mallory+c532f501+AfO0c7UvSzjnNYRei5pKxT2TfvbSEV2RCpOVho3D1LBr",
 * which no target knows: it stands for unknown keys. These are public test keys; never use them
 * for anything else. */
#ifndef EX_FUZZ_COMMON_H
#define EX_FUZZ_COMMON_H

#include "exante.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken invariant: say which, then abort (libFuzzer saves the input as a crash). */
#define FUZZ_FAIL(what) fuzz_fail(__FILE__, __LINE__, what)

static inline _Noreturn void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    abort();
}

#define FUZZ_NEUMANN_SIGNER                                                                        \
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define FUZZ_NEUMANN_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define FUZZ_ALICE_SIGNER                                                                          \
    "PRIVATE+KEY+exante.fuzz/alice+ac67dd06+AVoldJhN/+d8FXmzbddzDKkU4VOcKASq71IxgCj6WvzU"
#define FUZZ_ALICE_VKEY "exante.fuzz/alice+ac67dd06+AadlacCxqRwIyQxGM3CBpAq7iMnfT42aYOzJDyzxPHOa"

/* The work the near-dup proofs of the corpus (fuzz/corpus/nearproof) are about. */
#define FUZZ_NEAR_WORK                                                                             \
    "A rights holder's essay on tide pools: anemones close at low water, hermit crabs trade "     \
    "shells, and the rock keeps the sea's salt long after the waves have gone."

/* Parse a fixed verifier key; a failure is a bug in the harness or the library. */
static inline void
fuzz_vkey(const char *s, ex_vkey *out)
{
    if (ex_vkey_parse(s, out, NULL) != EX_OK)
        FUZZ_FAIL("fixed verifier key does not parse");
}

/* The alice verifier key, parsed once. */
static inline const ex_vkey *
fuzz_alice(void)
{
    static ex_vkey key;
    static int ready;
    if (!ready) {
        fuzz_vkey(FUZZ_ALICE_VKEY, &key);
        ready = 1;
    }
    return &key;
}

/* An exact-size heap copy of the input, so reading past its end is caught by ASan; NULL only
 * when out of memory. Release with free(). */
static inline char *
fuzz_copy(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    if (p && size)
        memcpy(p, data, size);
    return p;
}

#endif
