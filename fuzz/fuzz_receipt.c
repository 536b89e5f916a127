/* fuzz_receipt.c - the text of a receipt note (ex_receipt_text_parse, src/ledger/subparse.c):
 * what `exante serve` signs for a submission and what a receipt's verifier reads back, on any
 * bytes.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - a refusal is EX_EFORMAT (or EX_ENOMEM) with that code and a message, and no JSON;
 *   - accepted text gives NUL-terminated JSON of its stated length that jansson reads (no
 *     duplicate keys) as an object of exactly the six keys origin, kind, id, submission,
 *     received, include_by: strings but id, a non-negative integer; kind "optout" or
 *     "complaint"; submission 71 bytes;
 *   - accepted text is exactly the seven lines "exante-receipt/v1", "origin O", "kind K",
 *     "id I", "submission S", "received R", "include-by B", each ending in '\n', with O, K,
 *     S, R, B the JSON's strings byte for byte and I decimal digits of the JSON's id;
 *   - parsing is deterministic (the same code and JSON twice). */
#include "fuzz_common.h"
#include "ledger/submission.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[6] = {"origin", "kind", "id", "submission", "received",
                                    "include_by"};

/* the input's line for key k is "<name> <value>\n" at text[*at..); advance past it */
static int
line_is(const char *text, size_t len, size_t *at, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    if (len - *at < nl + 1 + vl + 1 || memcmp(text + *at, name, nl) != 0 ||
        text[*at + nl] != ' ' || memcmp(text + *at + nl + 1, value, vl) != 0 ||
        text[*at + nl + 1 + vl] != '\n')
        return 0;
    *at += nl + 1 + vl + 1;
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    if (!text)
        return 0;
    char *json = (char *)"unset", *json2 = (char *)"unset";
    size_t jlen = 0, jlen2 = 0;
    ex_err err = {0}, err2 = {0};
    int rc = ex_receipt_text_parse(text, size, &json, &jlen, &err);
    int rc2 = ex_receipt_text_parse(text, size, &json2, &jlen2, &err2);
    if (rc != rc2 || strcmp(err.msg, err2.msg) != 0 || (rc == EX_OK) != (json2 != NULL) ||
        (rc == EX_OK && (jlen != jlen2 || memcmp(json, json2, jlen) != 0)))
        FUZZ_FAIL("parsing the same text twice gave different answers");
    free(json2);
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_ENOMEM) || err.code != rc || !err.msg[0])
            FUZZ_FAIL("a refusal without EX_EFORMAT and a message");
        if (json)
            FUZZ_FAIL("a refusal left JSON behind");
        free(text);
        return 0;
    }
    if (!json || strlen(json) != jlen)
        FUZZ_FAIL("the JSON is not NUL-terminated at its length");
    json_error_t je;
    json_t *o = json_loadb(json, jlen, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o) || json_object_size(o) != 6)
        FUZZ_FAIL("the JSON is not an object of six keys");
    for (int i = 0; i < 6; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (!v || (i == 2 ? !json_is_integer(v) || json_integer_value(v) < 0 : !json_is_string(v)))
            FUZZ_FAIL("a key is missing or of the wrong type");
    }
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (strcmp(kind, "optout") != 0 && strcmp(kind, "complaint") != 0)
        FUZZ_FAIL("an unknown kind was accepted");
    if (strlen(json_string_value(json_object_get(o, "submission"))) != EX_DIGEST_STR_LEN)
        FUZZ_FAIL("a submission that is not 71 bytes");

    /* the text is the seven lines of these values, nothing else */
    size_t at = strlen(EX_RECEIPT_HEADER) + 1;
    if (size < at || memcmp(text, EX_RECEIPT_HEADER "\n", at) != 0)
        FUZZ_FAIL("accepted text without the header line");
    static const char *const names[6] = {"origin", "kind", "id", "submission", "received",
                                         "include-by"};
    for (int i = 0; i < 6; i++) {
        if (i == 2) { /* id: digits whose value is the JSON's */
            if (size - at < 4 || memcmp(text + at, "id ", 3) != 0)
                FUZZ_FAIL("accepted text without its id line");
            at += 3;
            uint64_t v = 0;
            size_t digits = 0;
            while (at < size && text[at] >= '0' && text[at] <= '9' && digits < 20)
                v = v * 10 + (uint64_t)(text[at++] - '0'), digits++;
            if (!digits || at >= size || text[at] != '\n' ||
                v != (uint64_t)json_integer_value(json_object_get(o, "id")))
                FUZZ_FAIL("the id line is not the digits of the JSON's id");
            at++;
            continue;
        }
        if (!line_is(text, size, &at, names[i], json_string_value(json_object_get(o, keys[i]))))
            FUZZ_FAIL("a line of the text is not its value in the JSON");
    }
    if (at != size)
        FUZZ_FAIL("accepted text with more than the seven lines");
    json_decref(o);
    free(json);
    free(text);
    return 0;
}
