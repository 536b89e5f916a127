/* fuzz_snapproof.c - libFuzzer target: snapshot proof documents (PROOFS.md) through the
 * library's two readers (the fast one, ex_snapshot_proof_scan, and jansson's,
 * ex_log_proof_parse_tree), ex_log_proof_parse and ex_log_proof_verify with the alice key, and
 * an ex_proof_verifier for alice.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - parse failures are EX_EFORMAT (or EX_ENOMEM) with the code in err;
 *   - the fast reader accepts exactly the snapshot proofs jansson's reader accepts, with the
 *     same values, and fails only with EX_EFORMAT or EX_ENOMEM;
 *   - a parsed snapshot proof has at most 2 leaves and at most EX_MERKLE_MAX_PROOF hashes in
 *     each list, and its kind matches its "type";
 *   - verification without a key is EX_EINVAL; with the key it is EX_OK or EX_EVERIFY
 *     (EX_ECRYPTO/EX_ENOMEM tolerated), err set on failure and naming a step ("step N: ")
 *     when the proof does not verify;
 *   - a document that parses is byte for byte what ex_snapshot_proof_doc_dup writes from its
 *     parsed form, so no other spelling of a proof (whitespace, key order, escapes, base64)
 *     is accepted;
 *   - a proof that verifies says what it proves: a member's one leaf is the digest; a
 *     non-member's leaves bracket the digest strictly, adjacent, or sit at an edge;
 *   - the verifier's answer (code, kind, message) is ex_log_proof_parse + ex_log_proof_verify's,
 *     for any document and whatever checkpoints it remembers, and again on a second check of
 *     the same document, which checks no signature when the first got past step 1.
 * The verifier is kept from input to input, so that it remembers the checkpoints of the
 * corpus's valid documents when their mutations come (a note of the same size with other
 * bytes must still be checked): an input that breaks the last invariant may need the
 * corpus run before it to do so again. The corpus holds valid member and non-member documents
 * signed by alice (written by `test_snapshot --corpus DIR`). */
#include "fuzz_common.h"
#include "log/snapproof.h"

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

/* the values of a snapshot proof the two readers agree on */
static int
same_values(const ex_log_proof *a, const ex_log_proof *b)
{
    if (a->kind != b->kind || memcmp(a->digest, b->digest, EX_HASH_BYTES) != 0 ||
        a->index != b->index || a->size != b->size || a->n != b->n ||
        memcmp(a->proof, b->proof, a->n * EX_HASH_BYTES) != 0 || a->entry_len != b->entry_len ||
        memcmp(a->entry, b->entry, a->entry_len) != 0 ||
        strcmp(a->checkpoint, b->checkpoint) != 0 || a->nleaves != b->nleaves)
        return 0;
    for (size_t i = 0; i < a->nleaves; i++) {
        const ex_snapshot_leaf *x = &a->leaves[i], *y = &b->leaves[i];
        if (x->index != y->index || memcmp(x->digest, y->digest, EX_HASH_BYTES) != 0 ||
            x->n != y->n || memcmp(x->proof, y->proof, x->n * EX_HASH_BYTES) != 0)
            return 0;
    }
    return 1;
}

/* the fast reader against jansson's */
static void
check_readers(const char *json, size_t size)
{
    static ex_log_proof f, t; /* 17 KB each */
    memset(&f, 0, sizeof f);
    ex_err err = {0};
    int rf = ex_snapshot_proof_scan(json, size, &f, NULL);
    int rt = ex_log_proof_parse_tree(json, size, &t, &err);
    int snap = rt == EX_OK && (t.kind == EX_PROOF_SNAPSHOT_MEMBER ||
                               t.kind == EX_PROOF_SNAPSHOT_NON_MEMBER);
    if (rf != EX_OK && rf != EX_EFORMAT && rf != EX_ENOMEM)
        FUZZ_FAIL("the fast reader failed with an undocumented code");
    if (rf == EX_OK && (!snap || !same_values(&f, &t)))
        FUZZ_FAIL("the fast reader took a document jansson's reader reads otherwise");
    if (snap && rf == EX_EFORMAT)
        FUZZ_FAIL("the fast reader refused a canonical snapshot proof");
    ex_log_proof_clear(&f);
    ex_log_proof_clear(&t);
}

/* the verifier agrees with parse + verify (rc, kind, msg), twice */
static void
check_verifier(const char *json, size_t size, int rc, int kind, const ex_err *e)
{
    static ex_proof_verifier *v;
    if (!v && ex_proof_verifier_new(fuzz_alice(), &v) != EX_OK)
        FUZZ_FAIL("no verifier");
    for (int pass = 0; pass < 2; pass++) {
        ex_verifier_stat before, after;
        ex_proof_verifier_stat(v, &before);
        ex_err ve = {0};
        int vk = 0, r = ex_proof_verifier_check(v, json, size, &vk, &ve);
        ex_proof_verifier_stat(v, &after);
        if (r == EX_ENOMEM || rc == EX_ENOMEM)
            return;
        if (r != rc || (r == EX_OK && vk != kind) || (r != EX_OK && strcmp(ve.msg, e->msg) != 0))
            FUZZ_FAIL("the verifier's answer is not parse + verify's");
        if (after.checked != before.checked + 1 ||
            after.verified != before.verified + (r == EX_OK))
            FUZZ_FAIL("the verifier's counts are wrong");
        int past1 = r == EX_OK || (r == EX_EVERIFY && strncmp(ve.msg, "step ", 5) == 0 &&
                                   ve.msg[5] > '1' && ve.msg[5] <= '6');
        if (pass == 1 && past1 && after.signatures != before.signatures)
            FUZZ_FAIL("a checkpoint checked once was checked again");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ex_vkey *key = fuzz_alice();
    char *json = fuzz_copy(data, size);
    if (!json)
        return 0;
    check_readers(json, size);

    ex_log_proof p;
    ex_err err = {0}, e2 = {0};
    int rc = ex_log_proof_parse(json, size, &p, &err), r = rc;
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_ENOMEM) || err.code != rc)
            FUZZ_FAIL("parse failure is not EX_EFORMAT/EX_ENOMEM with err set");
        check_verifier(json, size, rc, 0, &err);
        goto out;
    }
    if (p.kind != EX_PROOF_SNAPSHOT_MEMBER && p.kind != EX_PROOF_SNAPSHOT_NON_MEMBER) {
        r = ex_log_proof_verify(&p, key, &e2); /* another kind of proof: fuzz_proof's */
        check_verifier(json, size, r, p.kind, &e2);
        goto out;
    }
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

    ex_err e1 = {0};
    if (ex_log_proof_verify(&p, NULL, &e1) != EX_EINVAL || e1.code != EX_EINVAL)
        FUZZ_FAIL("a snapshot proof verifies without a key");
    r = ex_log_proof_verify(&p, key, &e2);
    if (r != EX_OK && r != EX_EVERIFY && r != EX_ECRYPTO && r != EX_ENOMEM)
        FUZZ_FAIL("verify returned an undocumented code");
    if (r != EX_OK && e2.code != r)
        FUZZ_FAIL("verify failed without setting err");
    if (r == EX_EVERIFY && strncmp(e2.msg, "step ", 5) != 0)
        FUZZ_FAIL("a failed snapshot proof does not name its step");
    if (r == EX_OK)
        check_meaning(&p);
    check_verifier(json, size, r, p.kind, &e2);
out:
    free(json);
    ex_log_proof_clear(&p);
    return 0;
}
