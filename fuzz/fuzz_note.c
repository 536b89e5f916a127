/* fuzz_note.c - libFuzzer target: C2SP signed notes (ex_note_verify) and verifier keys
 * (ex_vkey_parse).
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - ex_note_verify succeeds only with a known key, and then the signed text is a proper
 *     prefix of the note that ends in '\n' and is followed by the blank line, and 1 <= number
 *     of verified signatures <= number of known keys;
 *   - with no known keys it never succeeds; failures use the documented codes;
 *   - a verifier key that parses formats to a string that parses to the same key;
 *   - (empty input only) sign a fixed text with both known keys and verify it back. */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ex_vkey known[2];

static void
init_keys(void)
{
    static int ready;
    if (ready)
        return;
    fuzz_vkey(FUZZ_NEUMANN_VKEY, &known[0]);
    fuzz_vkey(FUZZ_ALICE_VKEY, &known[1]);
    ready = 1;
}

static int
failure_code_ok(int rc)
{
    return rc == EX_EFORMAT || rc == EX_EVERIFY || rc == EX_ENOMEM;
}

/* cheap sanity: a note signed by both known keys verifies with both */
static void
sign_roundtrip(void)
{
    static const char text[] = "exante fuzz sanity\n42\n";
    static const char *const signers[2] = {FUZZ_NEUMANN_SIGNER, FUZZ_ALICE_SIGNER};
    ex_key *keys[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++)
        if (ex_key_from_signer(signers[i], &keys[i], NULL) != EX_OK)
            FUZZ_FAIL("fixed signer key does not load");
    char *note = NULL;
    size_t len = 0, tlen = 0;
    unsigned nv = 0;
    if (ex_note_sign(text, sizeof text - 1, keys, 2, &note, &len, NULL) != EX_OK)
        FUZZ_FAIL("signing the fixed text failed");
    if (ex_note_verify(note, len, known, 2, &tlen, &nv, NULL) != EX_OK || nv != 2 ||
        tlen != sizeof text - 1 || memcmp(note, text, tlen) != 0)
        FUZZ_FAIL("the freshly signed note does not verify with both keys");
    /* one flipped signature bit by a known key fails the whole note */
    note[len - 4] ^= 0x01;
    if (ex_note_verify(note, len, known, 2, &tlen, &nv, NULL) == EX_OK)
        FUZZ_FAIL("a note with a corrupted known-key signature verified");
    free(note);
    ex_key_free(keys[0]);
    ex_key_free(keys[1]);
}

static void
fuzz_verify(const char *note, size_t size)
{
    size_t tlen = (size_t)-1;
    unsigned nv = 0;
    ex_err err = {0};
    int rc = ex_note_verify(note, size, known, 2, &tlen, &nv, &err);
    if (rc == EX_OK) {
        if (tlen == 0 || tlen >= size || note[tlen - 1] != '\n' || note[tlen] != '\n')
            FUZZ_FAIL("verified text is not a newline-terminated prefix followed by a blank line");
        if (nv < 1 || nv > 2)
            FUZZ_FAIL("verified-signature count out of range");
    } else if (!failure_code_ok(rc) || err.code != rc || tlen != (size_t)-1) {
        FUZZ_FAIL("failure with an undocumented code, unset err, or a touched text_len");
    }

    /* each key alone: it verifies exactly when the key signed (and, if both keys verify
     * together, the per-key successes add up to the verified count) */
    unsigned singles = 0;
    for (size_t k = 0; k < 2; k++) {
        unsigned nv1 = 0;
        size_t tl1 = 0;
        int rc1 = ex_note_verify(note, size, &known[k], 1, &tl1, &nv1, NULL);
        if (rc1 == EX_OK) {
            singles++;
            if (nv1 != 1 || tl1 == 0 || tl1 >= size || (rc == EX_OK && tl1 != tlen))
                FUZZ_FAIL("single-key verification disagrees with the two-key result");
        } else if (!failure_code_ok(rc1)) {
            FUZZ_FAIL("single-key verification failed with an undocumented code");
        }
    }
    if (rc == EX_OK && singles != nv)
        FUZZ_FAIL("per-key successes do not add up to the verified count");

    /* no known keys: never verifies */
    size_t tl0 = 0;
    rc = ex_note_verify(note, size, NULL, 0, &tl0, NULL, NULL);
    if (rc == EX_OK || !failure_code_ok(rc))
        FUZZ_FAIL("a note verified with no known keys");
}

static void
fuzz_vkey_parse(const char *s)
{
    ex_vkey v, w;
    memset(&v, 0, sizeof v);
    if (ex_vkey_parse(s, &v, NULL) != EX_OK)
        return;
    char buf[EX_VKEY_MAX];
    ex_vkey_format(&v, buf);
    memset(&w, 0, sizeof w);
    if (ex_vkey_parse(buf, &w, NULL) != EX_OK || memcmp(&v, &w, sizeof v) != 0)
        FUZZ_FAIL("formatted verifier key does not re-parse to the same key");
    /* formatting is canonical up to the case of the hex key ID */
    if (strlen(buf) != strlen(s) || strcasecmp(buf, s) != 0)
        FUZZ_FAIL("verifier key formatting is not canonical");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_keys();
    if (size == 0)
        sign_roundtrip();

    char *note = fuzz_copy(data, size);
    if (!note)
        return 0;
    fuzz_verify(note, size);
    free(note);

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    fuzz_vkey_parse(s);
    free(s);
    return 0;
}
