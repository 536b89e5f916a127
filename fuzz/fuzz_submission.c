/* fuzz_submission.c - the body of an opt-out request or a complaint as `exante serve` takes it
 * (ex_submission_parse, src/ledger/subparse.c). Input: one byte whose low bit picks the kind
 * (0: "optout", 1: "complaint"), then the body. The body is also read as the other kind, and
 * an unknown kind is refused before any reading.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - a refusal is EX_EINVAL (or EX_ENOMEM) with that code and a message in err;
 *   - an accepted body is a JSON object that jansson also reads, with JSON_REJECT_DUPLICATES,
 *     to an equal value;
 *   - an accepted opt-out request has a holder and exactly one of url_prefix, domain, digest,
 *     iscc, text, each the string of that key of "scope" (borrowed from the body); text_len is
 *     the text's length; near (0, or 1..1000) only with text, distance (-1, or 0..64) only with
 *     iscc; a digest is 71 bytes; no subject;
 *   - an accepted complaint has no scope, and its subject is NULL or the body's "subject"
 *     object;
 *   - evidence: neither a digest nor data without "evidence", exactly one of them with it, the
 *     data no longer than its base64 allows;
 *   - the two kinds never both accept the same body (their keys differ: scope, subject);
 *   - parsing is deterministic (the same code and fields twice). */
#include "fuzz_common.h"
#include "ledger/submission.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a's string field f is the string of key k of object o (both absent, or the same pointer) */
static int
borrowed(const char *f, json_t *o, const char *k)
{
    json_t *v = o ? json_object_get(o, k) : NULL;
    if (!f)
        return !v;
    return v && json_is_string(v) && json_string_value(v) == f;
}

static void
check(const char *kind, const char *body, size_t len, int *accepted)
{
    ex_submission s, t;
    ex_err err = {0}, err2 = {0};
    int rc = ex_submission_parse(kind, body, len, &s, &err);
    int rc2 = ex_submission_parse(kind, body, len, &t, &err2);
    if (rc != rc2 || strcmp(err.msg, err2.msg) != 0)
        FUZZ_FAIL("parsing the same body twice gave different answers");
    *accepted = rc == EX_OK;
    if (rc != EX_OK) {
        if ((rc != EX_EINVAL && rc != EX_ENOMEM) || err.code != rc || !err.msg[0])
            FUZZ_FAIL("a refusal without EX_EINVAL and a message");
        ex_submission_free(&s);
        ex_submission_free(&t);
        return;
    }
    int optout = strcmp(kind, "optout") == 0;
    if (!s.body || !json_is_object(s.body) || s.optout != optout)
        FUZZ_FAIL("an accepted body is not an object of its kind");

    /* jansson agrees that it is JSON without duplicate keys, and reads the same value */
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j || !json_is_object(j) || !json_equal(j, s.body))
        FUZZ_FAIL("accepted a body jansson does not read as the same JSON object");
    json_decref(j);

    json_t *sc = json_object_get(s.body, "scope");
    if (optout) {
        int n = !!s.url_prefix + !!s.domain + !!s.digest + !!s.iscc + !!s.text;
        if (n != 1 || !s.holder)
            FUZZ_FAIL("an opt-out request without a holder or exactly one scope");
        if (!json_is_object(sc) || !borrowed(s.url_prefix, sc, "url_prefix") ||
            !borrowed(s.domain, sc, "domain") || !borrowed(s.digest, sc, "digest") ||
            !borrowed(s.iscc, sc, "iscc") || !borrowed(s.text, sc, "text") ||
            !borrowed(s.holder, s.body, "holder"))
            FUZZ_FAIL("a scope field is not the body's string");
        if (s.text ? s.text_len != strlen(s.text) || !s.text_len : s.text_len != 0)
            FUZZ_FAIL("text_len is not the text's length");
        if (s.near < 0 || s.near > 1000 || (s.near && !s.text))
            FUZZ_FAIL("near out of range or without text");
        if (s.distance < -1 || s.distance > 64 || (s.distance >= 0 && !s.iscc))
            FUZZ_FAIL("distance out of range or without iscc");
        if (s.digest && strlen(s.digest) != EX_DIGEST_STR_LEN)
            FUZZ_FAIL("a digest scope that is not 71 bytes");
        if (s.subject)
            FUZZ_FAIL("an opt-out request with a subject");
    } else {
        if (s.url_prefix || s.domain || s.digest || s.iscc || s.text || s.text_len || sc)
            FUZZ_FAIL("a complaint with a scope");
        json_t *sj = json_object_get(s.body, "subject");
        if (s.subject && (!json_is_object(s.subject) || s.subject != sj))
            FUZZ_FAIL("a complaint's subject is not the body's subject object");
        if (!s.subject && sj)
            FUZZ_FAIL("a complaint's subject was dropped");
        if (!borrowed(s.holder, s.body, "name"))
            FUZZ_FAIL("a complainant's name is not the body's string");
    }

    json_t *ev = json_object_get(s.body, "evidence");
    if (!ev) {
        if (s.evidence_digest || s.evidence_data || s.evidence_len)
            FUZZ_FAIL("evidence without an 'evidence' key");
    } else {
        if (!json_is_object(ev) || !!s.evidence_digest + !!s.evidence_data != 1)
            FUZZ_FAIL("evidence that is not exactly one of digest, data");
        if (s.evidence_digest && (strlen(s.evidence_digest) != EX_DIGEST_STR_LEN ||
                                  !borrowed(s.evidence_digest, ev, "digest") || s.evidence_len))
            FUZZ_FAIL("an evidence digest that is not the body's 71 bytes");
        if (s.evidence_data) {
            json_t *b = json_object_get(ev, "base64");
            if (!json_is_string(b) || s.evidence_len > json_string_length(b) / 4 * 3)
                FUZZ_FAIL("evidence data longer than its base64");
        }
    }

    /* the second parse read the same fields (pointers differ: another body) */
    if (!json_equal(s.body, t.body) || s.near != t.near || s.distance != t.distance ||
        s.text_len != t.text_len || !!s.holder != !!t.holder ||
        (s.holder && strcmp(s.holder, t.holder) != 0) || s.evidence_len != t.evidence_len ||
        (s.evidence_len && memcmp(s.evidence_data, t.evidence_data, s.evidence_len) != 0))
        FUZZ_FAIL("parsing the same body twice gave different fields");
    ex_submission_free(&s);
    ex_submission_free(&t);
    if (s.body || s.evidence_data)
        FUZZ_FAIL("ex_submission_free left something behind");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *kind = data[0] & 1 ? "complaint" : "optout";
    const char *other = data[0] & 1 ? "optout" : "complaint";
    char *body = fuzz_copy(data + 1, size - 1);
    if (!body)
        return 0;
    int a = 0, b = 0;
    check(kind, body, size - 1, &a);
    check(other, body, size - 1, &b);
    if (a && b)
        FUZZ_FAIL("the same body is both an opt-out request and a complaint");

    ex_submission s;
    ex_err err = {0};
    if (ex_submission_parse("optouts", body, size - 1, &s, &err) != EX_EINVAL || !err.msg[0])
        FUZZ_FAIL("an unknown kind was not refused");
    ex_submission_free(&s);
    free(body);
    return 0;
}
