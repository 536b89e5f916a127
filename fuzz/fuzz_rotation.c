/* fuzz_rotation.c - a key rotation record (ex_rotation_open, src/sign/rotation.c;
 * docs/FORMATS.md "Key rotation") and a file of rotation entries as `verify-proof
 * --rotations` reads it (ex_key_chain_from_jsonl, src/ledger/rotate.c), on any bytes.
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - a refusal is EX_EFORMAT or EX_EVERIFY, with a message;
 *   - an accepted record is exactly the text ex_rotation_text writes for what it holds,
 *     signed: the note starts with that text and a blank line; both keys are named for its
 *     origin, differ, and `from` is at least 1;
 *   - the chain of an accepted record, from either of its keys, gives the old key below
 *     `from` and the new key from there on;
 *   - read as a rotations file (the trusted key: the first key of the corpus's records, so
 *     that the corpus's files reach it), a refusal is EX_EFORMAT, EX_EVERIFY or EX_ETOOBIG and a message
 *     that names a line when it is about one; the same answer twice. */
#include "fuzz_common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char trusted_vkey[] =
    "rotate.test/log+1bd7f75d+AWYnfGPnL8xZTJuRcrAhGGS+4xYmMYs6Z5hRvCsaxHyn";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    ex_rotation r;
    ex_err e = {0};
    int rc = ex_rotation_open(in, size, &r, &e);
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_EVERIFY) || !e.msg[0])
            FUZZ_FAIL("a refused record without EX_EFORMAT/EX_EVERIFY and a message");
    } else {
        char ov[EX_VKEY_MAX], nv[EX_VKEY_MAX], text[3 * EX_VKEY_MAX + 512];
        size_t tl;
        ex_vkey_format(&r.old_key, ov);
        ex_vkey_format(&r.new_key, nv);
        if (ex_rotation_text(r.origin, r.from, ov, nv, text, sizeof text, &tl) != EX_OK ||
            size < tl + 1 || memcmp(in, text, tl) != 0 || in[tl] != '\n')
            FUZZ_FAIL("an accepted record is not the text ex_rotation_text writes for it");
        if (strcmp(r.old_key.name, r.origin) || strcmp(r.new_key.name, r.origin) || r.from < 1 ||
            memcmp(r.old_key.pub, r.new_key.pub, sizeof r.old_key.pub) == 0)
            FUZZ_FAIL("an accepted record's keys or size are wrong");
        const ex_vkey *k[2] = {&r.old_key, &r.new_key};
        for (int i = 0; i < 2; i++) {
            ex_key_chain c;
            if (ex_key_chain_build(k[i], &r, 1, &c, &e) != EX_OK)
                FUZZ_FAIL("an accepted record makes no chain from one of its keys");
            if (memcmp(ex_key_chain_at(&c, r.from - 1), &r.old_key, sizeof r.old_key) != 0 ||
                memcmp(ex_key_chain_at(&c, r.from), &r.new_key, sizeof r.new_key) != 0)
                FUZZ_FAIL("the chain's windows are not the record's");
        }
    }
    ex_vkey t;
    if (ex_vkey_parse(trusted_vkey, &t, &e) != EX_OK)
        FUZZ_FAIL("the fixed verifier key does not parse");
    ex_key_chain c1, c2;
    ex_err e1 = {0}, e2 = {0};
    int r1 = ex_key_chain_from_jsonl(&t, in, size, &c1, &e1);
    int r2 = ex_key_chain_from_jsonl(&t, in, size, &c2, &e2);
    if (r1 != r2 || strcmp(e1.msg, e2.msg) != 0 || (r1 == EX_OK && memcmp(&c1, &c2, sizeof c1)))
        FUZZ_FAIL("reading the same rotations file twice gave two answers");
    if (r1 != EX_OK && ((r1 != EX_EFORMAT && r1 != EX_EVERIFY && r1 != EX_ETOOBIG) || !e1.msg[0]))
        FUZZ_FAIL("a refused rotations file without its code and a message");
    if (r1 == EX_OK && (c1.n < 1 || !ex_key_chain_at(&c1, 0)))
        FUZZ_FAIL("an accepted rotations file makes an empty chain");
    return 0;
}
