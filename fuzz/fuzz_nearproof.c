/* fuzz_nearproof.c - libFuzzer target: near-dup proof documents (docs/FORMATS.md "Near-dup-free
 * proofs") through ex_near_proof_parse, ex_near_proof_write_dup and ex_near_proof_verify with
 * the alice key and the corpus's work, FUZZ_NEAR_WORK.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - parse failures are EX_EFORMAT (or EX_ENOMEM) with the code in err;
 *   - a parsed document is within its bounds (bands, leaves, proof hashes, band numbers), is
 *     recognised by ex_near_proof_is, and is byte for byte what the writer gives back from its
 *     values, so no other spelling of a proof (whitespace, key order, escapes, base64, hex
 *     case) is accepted;
 *   - verification without a key is EX_EINVAL; with the key it is EX_OK or EX_EVERIFY
 *     (EX_ECRYPTO/EX_ENOMEM tolerated), err set on failure and naming a step ("step N: ")
 *     when the document does not prove its claim; the same answer a second time;
 *   - a proof that verifies says what it proves: one band per parameter band, in order, each
 *     absent band bracketed strictly by adjacent leaves or past an edge, each present band
 *     holding its own leaf, the type "near-dup" exactly when a band is present, and the verdict
 *     counting those bands;
 *   - a proof about the work verifies for no other text (its band keys are not the other's).
 * The corpus holds valid documents about FUZZ_NEAR_WORK signed by alice (written by
 * `test_nearproof --corpus DIR`). */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
leaf_cmp(const ex_near_leaf *l, const ex_near_band *b)
{
    if (l->band != b->band)
        return l->band < b->band ? -1 : 1;
    return l->key < b->key ? -1 : l->key > b->key;
}

static void
check_meaning(const ex_near_proof *p, const ex_near_verdict *v)
{
    unsigned present = 0;
    if (p->nband != p->mh.bands || v->bands != p->mh.bands || v->k != p->mh.k)
        FUZZ_FAIL("a verified proof does not have one band per parameter band");
    for (size_t j = 0; j < p->nband; j++) {
        const ex_near_band *b = &p->band[j];
        const ex_near_leaf *L = b->leaves;
        if (b->band != j)
            FUZZ_FAIL("a verified proof's bands are not in order");
        if (b->present) {
            if (b->nleaves != 1 || leaf_cmp(&L[0], b) != 0)
                FUZZ_FAIL("a verified present band does not hold its own leaf");
            present++;
            continue;
        }
        if (b->nleaves == 0 && v->size != 0)
            FUZZ_FAIL("a verified absent band has no leaves in a non-empty tree");
        if (b->nleaves == 1) {
            int c = leaf_cmp(&L[0], b);
            if (c == 0 || (c > 0 && L[0].index != 0) || (c < 0 && L[0].index != v->size - 1))
                FUZZ_FAIL("a verified absent band's one leaf does not bound its key");
        } else if (b->nleaves == 2) {
            if (L[1].index != L[0].index + 1 || leaf_cmp(&L[0], b) >= 0 ||
                leaf_cmp(&L[1], b) <= 0)
                FUZZ_FAIL("a verified absent band's neighbours do not bracket its key");
        }
    }
    if (p->dup != (present > 0) || v->dup != p->dup || v->present != present)
        FUZZ_FAIL("a verified proof's type or verdict is not what its bands show");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char work[] = FUZZ_NEAR_WORK;
    static const char other[] = "another text entirely, of a dozen words or so, about "
                                "nothing in particular";
    const ex_vkey *key = fuzz_alice();
    char *json = fuzz_copy(data, size);
    if (!json)
        return 0;
    ex_near_proof p;
    ex_err err = {0};
    int rc = ex_near_proof_parse(json, size, &p, &err);
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_ENOMEM) || err.code != rc)
            FUZZ_FAIL("parse failure is not EX_EFORMAT/EX_ENOMEM with err set");
        goto out;
    }
    if (p.nband > EX_NEAR_BANDS_MAX || (p.nband && !p.band) || !p.entry || !p.checkpoint ||
        p.entry_len == 0 || p.entry_len > EX_ENTRY_MAX || p.log_n > EX_MERKLE_MAX_PROOF)
        FUZZ_FAIL("a parsed proof is out of its bounds");
    for (size_t j = 0; j < p.nband; j++) {
        if (p.band[j].nleaves > 2 || p.band[j].band > 65535)
            FUZZ_FAIL("a parsed band is out of its bounds");
        for (size_t x = 0; x < p.band[j].nleaves; x++)
            if (p.band[j].leaves[x].n > EX_NEAR_PROOF_MAX || p.band[j].leaves[x].band > 65535)
                FUZZ_FAIL("a parsed leaf is out of its bounds");
    }
    if (ex_near_proof_is(json, size) != 1)
        FUZZ_FAIL("a parsed proof is not recognised as one");

    /* the canonical form: the writer gives back the input */
    char *doc = NULL;
    size_t len = 0;
    rc = ex_near_proof_write_dup(&p, &doc, &len);
    if (rc == EX_OK && (len != size || memcmp(doc, data, size) != 0))
        FUZZ_FAIL("a parsed proof is not its canonical form");
    if (rc != EX_OK && rc != EX_ENOMEM)
        FUZZ_FAIL("a parsed proof cannot be written");
    free(doc);

    ex_err e1 = {0}, e2 = {0}, e3 = {0};
    ex_near_verdict v, v2;
    if (ex_near_proof_verify(&p, NULL, work, sizeof work - 1, &v, &e1) != EX_EINVAL ||
        e1.code != EX_EINVAL)
        FUZZ_FAIL("a near-dup proof verifies without a key");
    int r = ex_near_proof_verify(&p, key, work, sizeof work - 1, &v, &e2);
    if (r != EX_OK && r != EX_EVERIFY && r != EX_ECRYPTO && r != EX_ENOMEM)
        FUZZ_FAIL("verify returned an undocumented code");
    if (r != EX_OK && e2.code != r)
        FUZZ_FAIL("verify failed without setting err");
    if (r == EX_EVERIFY && strncmp(e2.msg, "step ", 5) != 0)
        FUZZ_FAIL("a failed near-dup proof does not name its step");
    int r2 = ex_near_proof_verify(&p, key, work, sizeof work - 1, &v2, &e3);
    if (r2 != r || (r != EX_OK && strcmp(e2.msg, e3.msg) != 0))
        FUZZ_FAIL("verify gave another answer the second time");
    if (r == EX_OK) {
        check_meaning(&p, &v);
        ex_err e4 = {0};
        if (ex_near_proof_verify(&p, key, other, sizeof other - 1, &v2, &e4) == EX_OK)
            FUZZ_FAIL("a proof about the work verified for another text");
    }
out:
    free(json);
    ex_near_proof_clear(&p);
    return 0;
}
