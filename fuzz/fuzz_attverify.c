/* fuzz_attverify.c - the training-run checks of ex_attest_verify (src/attest/verify.c) on
 * arbitrary statements: the input is signed by alice as an envelope's payload, so that every
 * input gets past the signature to the statement, predicate, model, checkpoint and snapshot
 * checks, which read what an outsider sent.
 *
 * Invariants: the result is EX_OK, EX_EVERIFY or EX_EFORMAT/EX_ETOOBIG (EX_ENOMEM tolerated),
 * a failure says why (err not empty), and the same envelope gives the same answer twice. */
#include "fuzz_common.h"
#include "attest/dsse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_key *alice;
    ex_err e = {0};
    if (!alice && ex_key_from_signer(FUZZ_ALICE_SIGNER, &alice, &e) != EX_OK)
        FUZZ_FAIL("the alice key does not load");
    if (size > 1 << 16)
        return 0;
    char *env = NULL;
    size_t len = 0;
    if (ex_dsse_sign(&alice, 1, EX_DSSE_INTOTO_TYPE, data, size, &env, &len, &e) != EX_OK)
        return 0; /* a payload over the limit */
    ex_attest_verify_opts o = {.log_key = fuzz_alice()};
    ex_attest_info a, b;
    ex_err e1 = {0}, e2 = {0};
    int r1 = ex_attest_verify(env, len, &o, &a, &e1), r2 = ex_attest_verify(env, len, &o, &b, &e2);
    if (r1 != r2 || strcmp(e1.msg, e2.msg) != 0 || memcmp(&a, &b, sizeof a) != 0)
        FUZZ_FAIL("verification is not deterministic");
    if (r1 != EX_OK && r1 != EX_EVERIFY && r1 != EX_EFORMAT && r1 != EX_ETOOBIG &&
        r1 != EX_ENOMEM)
        FUZZ_FAIL("an undocumented result");
    if (r1 != EX_OK && !e1.msg[0])
        FUZZ_FAIL("a failure without a message");
    free(env);
    return 0;
}
