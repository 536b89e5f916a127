/* fuzz_proof.c - libFuzzer target: log proof documents (ex_log_proof_parse, then
 * ex_log_proof_verify without a key and with a known key).
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - parse failures are EX_EFORMAT (or EX_ENOMEM) with the code in err;
 *   - a parsed proof has a known kind, n <= EX_MERKLE_MAX_PROOF, and only the optional
 *     fields of its kind;
 *   - verification returns EX_OK or EX_EVERIFY (EX_ECRYPTO/EX_ENOMEM tolerated), and a proof
 *     that verifies with the key also verifies without it, except snapshot proofs, which
 *     need the key (EX_EINVAL without; fuzz_snapproof covers them).
 * ex_log_proof_clear runs after every parse, successful or not. */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
verify_code_ok(int rc)
{
    return rc == EX_OK || rc == EX_EVERIFY || rc == EX_ECRYPTO || rc == EX_ENOMEM;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ex_vkey *key = fuzz_alice();
    char *json = fuzz_copy(data, size);
    if (!json)
        return 0;

    ex_log_proof p;
    ex_err err = {0};
    int rc = ex_log_proof_parse(json, size, &p, &err);
    free(json);
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_ENOMEM) || err.code != rc)
            FUZZ_FAIL("parse failure is not EX_EFORMAT/EX_ENOMEM with err set");
        ex_log_proof_clear(&p);
        return 0;
    }

    if (p.n > EX_MERKLE_MAX_PROOF)
        FUZZ_FAIL("proof has more than EX_MERKLE_MAX_PROOF hashes");
    if (p.kind == EX_PROOF_INCLUSION) {
        if (p.old_checkpoint || (!p.entry && p.entry_len != 0))
            FUZZ_FAIL("inclusion proof carries consistency-only fields");
    } else if (p.kind == EX_PROOF_CONSISTENCY) {
        if (p.entry || p.entry_len != 0)
            FUZZ_FAIL("consistency proof carries an entry");
    } else if (p.kind != EX_PROOF_DECISION && p.kind != EX_PROOF_SNAPSHOT_MEMBER &&
               p.kind != EX_PROOF_SNAPSHOT_NON_MEMBER) {
        FUZZ_FAIL("parsed proof has an unknown kind");
    }
    /* snapshot proofs need the key (fuzz_snapproof checks them further) */
    int snapshot = p.kind == EX_PROOF_SNAPSHOT_MEMBER || p.kind == EX_PROOF_SNAPSHOT_NON_MEMBER;

    ex_err e1 = {0}, e2 = {0};
    int r1 = ex_log_proof_verify(&p, NULL, &e1);
    int r2 = ex_log_proof_verify(&p, key, &e2);
    if (!(snapshot ? r1 == EX_EINVAL : verify_code_ok(r1)) || !verify_code_ok(r2))
        FUZZ_FAIL("verify returned an undocumented code");
    if ((r1 != EX_OK && e1.code != r1) || (r2 != EX_OK && e2.code != r2))
        FUZZ_FAIL("verify failed without setting err");
    if (r2 == EX_OK && r1 != EX_OK && !snapshot)
        FUZZ_FAIL("proof verifies with the key but not without it");

    ex_log_proof_clear(&p);
    ex_log_proof_clear(&p); /* clearing twice is harmless */
    return 0;
}
