/* fuzz_common.h - fixed keys shared by the fuzz targets (not part of the library).
 *
 * "PeterNeumann" is the key of the C2SP signed-note test vector; "exante.fuzz/alice" and
 * "exante.fuzz/mallory" are fixed keys made for the fuzz corpora (seed = SHA-256 of a label).
 * The verifier sets never include mallory: its signatures stand for unknown keys. These are
 * public test keys; never use them for anything else. */
#ifndef EX_FUZZ_COMMON_H
#define EX_FUZZ_COMMON_H

#include "exante.h"

#include <stdlib.h>

#define FUZZ_NEUMANN_SIGNER "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define FUZZ_NEUMANN_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define FUZZ_ALICE_SIGNER "PRIVATE+KEY+exante.fuzz/alice+ac67dd06+AVoldJhN/+d8FXmzbddzDKkU4VOcKASq71IxgCj6WvzU"
#define FUZZ_ALICE_VKEY "exante.fuzz/alice+ac67dd06+AadlacCxqRwIyQxGM3CBpAq7iMnfT42aYOzJDyzxPHOa"
#define FUZZ_MALLORY_SIGNER "PRIVATE+KEY+exante.fuzz/mallory+c532f501+AZvMfFScbgzrUCRpkiMaOoK2PURTFCzWrP4XyY3wh9Sk"
#define FUZZ_MALLORY_VKEY "exante.fuzz/mallory+c532f501+AfO0c7UvSzjnNYRei5pKxT2TfvbSEV2RCpOVho3D1LBr"

/* Parse a fixed verifier key; a failure is a bug in the harness or the library. */
static inline void
fuzz_vkey(const char *s, ex_vkey *out)
{
    if (ex_vkey_parse(s, out, NULL) != EX_OK)
        abort();
}

#endif
