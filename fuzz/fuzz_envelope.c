/* fuzz_envelope.c - libFuzzer target: DSSE envelopes (ex_dsse_parse, ex_dsse_write,
 * ex_dsse_verify with the alice key) and in-toto statements (ex_statement_parse,
 * ex_statement_write), each input read as both.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - parse failures are EX_EFORMAT, EX_ETOOBIG or EX_ENOMEM with the code in err;
 *   - a parsed envelope has a non-empty payloadType, 1..EX_DSSE_SIGS_MAX signatures, none
 *     empty or over EX_DSSE_SIG_MAX bytes, and a NUL after its payload;
 *   - a parsed envelope re-serialises (ex_dsse_write) to canonical JSON that parses to the same
 *     fields, and writing that again gives the same bytes;
 *   - verification with alice's key is EX_OK or EX_EVERIFY (EX_ECRYPTO/EX_ENOMEM tolerated),
 *     err set on failure, and the re-serialised envelope verifies the same way;
 *   - a parsed statement has 1..EX_STATEMENT_SUBJECTS_MAX subjects, sorted and unique by
 *     name, and a predicate whose canonical text is what ex_json_canon writes; written again
 *     from its parts, it parses to the same subjects, type and predicate text, and that writing
 *     is a fixed point.
 * The corpus holds envelopes signed by alice (one with a second signer, one without keyids,
 * indented), the DSSE vector's envelope, and a statement alone, written by
 * `test_attest --corpus DIR`. */
#include "fuzz_common.h"

#include "attest/dsse.h"
#include "attest/statement.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_env(const ex_dsse_env *a, const ex_dsse_env *b)
{
    if (strcmp(a->payload_type, b->payload_type) != 0 || a->payload_len != b->payload_len ||
        memcmp(a->payload, b->payload, a->payload_len) != 0 || a->nsigs != b->nsigs)
        return 0;
    for (size_t i = 0; i < a->nsigs; i++) {
        const ex_dsse_sig *x = &a->sigs[i], *y = &b->sigs[i];
        if (x->has_keyid != y->has_keyid || strcmp(x->keyid, y->keyid) != 0 ||
            x->sig_len != y->sig_len || memcmp(x->sig, y->sig, x->sig_len) != 0)
            return 0;
    }
    return 1;
}

static int
verify(const ex_dsse_env *e)
{
    ex_err err = {0};
    int r = ex_dsse_verify(e, fuzz_alice(), NULL, &err);
    if (r != EX_OK && r != EX_EVERIFY && r != EX_ECRYPTO && r != EX_ENOMEM)
        FUZZ_FAIL("verify returned an undocumented code");
    if (r != EX_OK && err.code != r)
        FUZZ_FAIL("verify failed without setting err");
    return r;
}

static void
envelope(const char *json, size_t size)
{
    ex_dsse_env e, e2;
    ex_err err = {0};
    int rc = ex_dsse_parse(json, size, &e, &err);
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_ETOOBIG && rc != EX_ENOMEM) || err.code != rc)
            FUZZ_FAIL("envelope parse failure is not EX_EFORMAT/EX_ETOOBIG/EX_ENOMEM with err");
        ex_dsse_env_clear(&e);
        return;
    }
    if (!e.payload_type[0] || e.nsigs == 0 || e.nsigs > EX_DSSE_SIGS_MAX ||
        e.payload[e.payload_len] != 0)
        FUZZ_FAIL("a parsed envelope is out of its bounds");
    for (size_t i = 0; i < e.nsigs; i++)
        if (e.sigs[i].sig_len == 0 || e.sigs[i].sig_len > EX_DSSE_SIG_MAX || !e.sigs[i].keyid)
            FUZZ_FAIL("a parsed signature is out of its bounds");
    char *w1 = NULL, *w2 = NULL;
    size_t l1 = 0, l2 = 0;
    rc = ex_dsse_write(&e, &w1, &l1, &err);
    if (rc == EX_ENOMEM)
        goto out;
    if (rc != EX_OK)
        FUZZ_FAIL("a parsed envelope cannot be written");
    if (ex_dsse_parse(w1, l1, &e2, &err) != EX_OK)
        FUZZ_FAIL("a written envelope does not parse");
    if (!same_env(&e, &e2))
        FUZZ_FAIL("a written envelope parses to other fields");
    if (ex_dsse_write(&e2, &w2, &l2, &err) == EX_OK && (l1 != l2 || memcmp(w1, w2, l1) != 0))
        FUZZ_FAIL("writing an envelope is not a fixed point");
    if (verify(&e) != verify(&e2))
        FUZZ_FAIL("a written envelope verifies otherwise");
    ex_dsse_env_clear(&e2);
out:
    free(w1);
    free(w2);
    ex_dsse_env_clear(&e);
}

static void
statement(const void *json, size_t size)
{
    ex_statement s, s2;
    ex_err err = {0};
    int rc = ex_statement_parse(json, size, &s, &err);
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_ETOOBIG && rc != EX_ENOMEM) || err.code != rc)
            FUZZ_FAIL("statement parse failure is not EX_EFORMAT/EX_ETOOBIG/EX_ENOMEM with err");
        ex_statement_clear(&s);
        return;
    }
    if (s.nsubjects == 0 || s.nsubjects > EX_STATEMENT_SUBJECTS_MAX || !s.predicate ||
        !s.predicate_canon || !s.predicate_type[0])
        FUZZ_FAIL("a parsed statement is out of its bounds");
    for (size_t i = 1; i < s.nsubjects; i++)
        if (strcmp(s.subjects[i - 1].name, s.subjects[i].name) >= 0)
            FUZZ_FAIL("a parsed statement's subjects are not sorted and unique");
    char *w1 = NULL, *w2 = NULL;
    size_t l1 = 0, l2 = 0;
    rc = ex_statement_write(s.subjects, s.nsubjects, s.predicate_type, s.predicate_canon,
                            s.predicate_len, &w1, &l1, &err);
    if (rc == EX_ENOMEM)
        goto out;
    if (rc != EX_OK)
        FUZZ_FAIL("a parsed statement cannot be written");
    if (ex_statement_parse(w1, l1, &s2, &err) != EX_OK)
        FUZZ_FAIL("a written statement does not parse");
    if (s2.nsubjects != s.nsubjects || strcmp(s2.predicate_type, s.predicate_type) != 0 ||
        strcmp(s2.predicate_canon, s.predicate_canon) != 0)
        FUZZ_FAIL("a written statement parses to other fields");
    for (size_t i = 0; i < s.nsubjects; i++)
        if (strcmp(s.subjects[i].name, s2.subjects[i].name) != 0 ||
            memcmp(s.subjects[i].sha256, s2.subjects[i].sha256, EX_HASH_BYTES) != 0)
            FUZZ_FAIL("a written statement has other subjects");
    if (ex_statement_write(s2.subjects, s2.nsubjects, s2.predicate_type, s2.predicate_canon,
                           s2.predicate_len, &w2, &l2, &err) == EX_OK &&
        (l1 != l2 || memcmp(w1, w2, l1) != 0))
        FUZZ_FAIL("writing a statement is not a fixed point");
    ex_statement_clear(&s2);
out:
    free(w1);
    free(w2);
    ex_statement_clear(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_copy(data, size);
    if (!json)
        return 0;
    envelope(json, size);
    statement(json, size);
    /* the payload of an envelope is where statements come from: read it as one too */
    ex_dsse_env e;
    if (ex_dsse_parse(json, size, &e, NULL) == EX_OK)
        statement(e.payload, e.payload_len);
    ex_dsse_env_clear(&e);
    free(json);
    return 0;
}
