/* fuzz_snapproof.c - libFuzzer target: snapshot proof documents (PROOFS.md) through
 * ex_log_proof_parse and ex_log_proof_verify with the alice key.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - parse failures are EX_EFORMAT (or EX_ENOMEM) with the code in err;
 *   - a parsed snapshot proof has at most 2 leaves and at most EX_MERKLE_MAX_PROOF hashes in
 *     each list, and its kind matches its "type";
 *   - verification without a key is EX_EINVAL; with the key it is EX_OK or EX_EVERIFY
 *     (EX_ECRYPTO/EX_ENOMEM tolerated), err set on failure and naming a step ("step N: ")
 *     when the proof does not verify;
 *   - a document that parses is byte for byte what ex_snapshot_proof_doc_dup writes from its
 *     parsed form, so no other spelling of a proof (whitespace, key order, escapes, base64)
 *     is accepted;
 *   - a proof that verifies says what it proves: a member's one leaf is the digest; a
 *     non-member's leaves bracket the digest strictly, adjacent, or sit at an edge.
 * The corpus holds valid member and non-member documents signed by alice (written by
 * `test_snapshot --corpus DIR`). */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_meaning(const ex_log_proof *p)
{
    const ex_snapshot_leaf *L = p->leaves;
    if (p->kind == EX_PROOF_SNAPSHOT_MEMBER) {
        if (p->nleaves != 1 || memcmp(L[0].digest, p->digest, EX_HASH_BYTES) != 0)
            FUZZ_FAIL("a verified membership proof's leaf is not the digest");
        return;
    }
    if (p->nleaves == 1) {
        int c = memcmp(p->digest, L[0].digest, EX_HASH_BYTES);
        if (c == 0 || (c < 0 && L[0].index != 0))
            FUZZ_FAIL("a verified non-membership proof's one leaf does not bound the digest");
    } else if (p->nleaves == 2) {
        if (L[1].index != L[0].index + 1 || memcmp(L[0].digest, p->digest, EX_HASH_BYTES) >= 0 ||
            memcmp(p->digest, L[1].digest, EX_HASH_BYTES) >= 0)
            FUZZ_FAIL("a verified non-membership proof's neighbours do not bracket the digest");
    }
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
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_ENOMEM) || err.code != rc)
            FUZZ_FAIL("parse failure is not EX_EFORMAT/EX_ENOMEM with err set");
        goto out;
    }
    if (p.kind != EX_PROOF_SNAPSHOT_MEMBER && p.kind != EX_PROOF_SNAPSHOT_NON_MEMBER)
        goto out; /* another kind of proof: fuzz_proof's */
    if (p.nleaves > 2 || p.n > EX_MERKLE_MAX_PROOF || p.leaves[0].n > EX_MERKLE_MAX_PROOF ||
        p.leaves[1].n > EX_MERKLE_MAX_PROOF || !p.entry || !p.checkpoint)
        FUZZ_FAIL("a parsed snapshot proof is out of its bounds");
    static const char member[] = "\"type\":\"snapshot-membership\"}";
    size_t mlen = sizeof member - 1;
    if ((p.kind == EX_PROOF_SNAPSHOT_MEMBER) !=
        (size >= mlen && memcmp(data + size - mlen, member, mlen) == 0))
        FUZZ_FAIL("the kind is not the document's type");

    /* the canonical form: the writer gives back the input */
    char *doc = NULL;
    size_t len = 0;
    rc = ex_snapshot_proof_doc_dup(p.digest, p.kind == EX_PROOF_SNAPSHOT_MEMBER, p.entry,
                                   p.entry_len, p.index, p.size,
                                   (const uint8_t(*)[EX_HASH_BYTES])p.proof, p.n, p.checkpoint,
                                   p.leaves, p.nleaves, &doc, &len);
    if (rc == EX_OK && (len != size || memcmp(doc, data, size) != 0))
        FUZZ_FAIL("a parsed snapshot proof is not its canonical form");
    if (rc != EX_OK && rc != EX_ENOMEM)
        FUZZ_FAIL("a parsed snapshot proof cannot be written");
    free(doc);

    ex_err e1 = {0}, e2 = {0};
    if (ex_log_proof_verify(&p, NULL, &e1) != EX_EINVAL || e1.code != EX_EINVAL)
        FUZZ_FAIL("a snapshot proof verifies without a key");
    int r = ex_log_proof_verify(&p, key, &e2);
    if (r != EX_OK && r != EX_EVERIFY && r != EX_ECRYPTO && r != EX_ENOMEM)
        FUZZ_FAIL("verify returned an undocumented code");
    if (r != EX_OK && e2.code != r)
        FUZZ_FAIL("verify failed without setting err");
    if (r == EX_EVERIFY && strncmp(e2.msg, "step ", 5) != 0)
        FUZZ_FAIL("a failed snapshot proof does not name its step");
    if (r == EX_OK)
        check_meaning(&p);
out:
    free(json);
    ex_log_proof_clear(&p);
    return 0;
}
