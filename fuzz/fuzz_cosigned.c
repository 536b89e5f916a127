/* fuzz_cosigned.c - libFuzzer target: the cosigned checkpoint reader (ex_cosigned_open, C2SP
 * tlog-cosignature v1) and the tlog-witness add-checkpoint body (ex_addcp_parse,
 * ex_addcp_format). The witness key is the public test key of tests/unit/test_witness.c
 * (witness.example/w1); the log key is alice (fuzz_common.h).
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - a failure is EX_EFORMAT or EX_EVERIFY with err set;
 *   - an opened note's body is a prefix ending in '\n' followed by the blank line, it parses
 *     to the checkpoint reported, and good <= known witnesses <= lines;
 *   - a note that opens with the log key opens without it, to the same result, and
 *     ex_checkpoint_open agrees with the log key;
 *   - the same answer twice; no witness known: good is 0 whenever it opens;
 *   - an add-checkpoint body that parses is byte for byte what ex_addcp_format writes from
 *     it (the encoding is canonical), with at most 63 proof lines and its note a suffix. */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WITNESS_VKEY "witness.example/w1+5b7598d5+BCS8ShVVe1GckKb2BS7rh8qzUfgbgb9/JMyZ4d4aeGVN"

static const ex_vkey *
witness(void)
{
    static ex_vkey w;
    static int ready;
    if (!ready) {
        if (ex_wvkey_parse(WITNESS_VKEY, &w, NULL) != EX_OK)
            FUZZ_FAIL("fixed witness key does not parse");
        ready = 1;
    }
    return &w;
}

static int
same(const ex_cosigned *a, const ex_cosigned *b)
{
    return memcmp(&a->cp, &b->cp, sizeof a->cp) == 0 && a->body_len == b->body_len &&
           a->lines == b->lines && a->good == b->good;
}

static void
reader(const char *note, size_t len)
{
    ex_cosigned c, d, n;
    ex_err err = {0};
    uint64_t t = 7;
    memset(&c, 0x5a, sizeof c);
    memset(&d, 0, sizeof d);
    int rc = ex_cosigned_open(note, len, NULL, witness(), 1, 0, &c, &t, &err);
    if (rc != EX_OK) {
        if ((rc != EX_EFORMAT && rc != EX_EVERIFY) || err.code != rc)
            FUZZ_FAIL("failure is not EX_EFORMAT/EX_EVERIFY with err set");
        if (ex_cosigned_open(note, len, NULL, witness(), 1, 0, &d, NULL, NULL) != rc)
            FUZZ_FAIL("a second reading answers otherwise");
        return;
    }
    if (c.body_len == 0 || c.body_len + 1 >= len || note[c.body_len - 1] != '\n' ||
        note[c.body_len] != '\n')
        FUZZ_FAIL("body is not a prefix followed by the blank line");
    if (c.good > 1 || c.good > c.lines || (c.good == 0 && t != 0))
        FUZZ_FAIL("more good cosignatures than witnesses or lines, or a time without one");
    ex_checkpoint p;
    if (ex_checkpoint_parse(note, c.body_len, &p, NULL) != EX_OK ||
        memcmp(&p, &c.cp, sizeof p) != 0)
        FUZZ_FAIL("the checkpoint reported is not the parse of the body");
    if (ex_cosigned_open(note, len, NULL, witness(), 1, 0, &d, NULL, NULL) != EX_OK ||
        !same(&c, &d))
        FUZZ_FAIL("a second reading answers otherwise");
    if (ex_cosigned_open(note, len, NULL, NULL, 0, 0, &n, NULL, NULL) != EX_OK || n.good)
        FUZZ_FAIL("without witnesses it does not open, or counts cosignatures");
    /* with the log's key */
    ex_checkpoint o;
    int lrc = ex_cosigned_open(note, len, fuzz_alice(), witness(), 1, 0, &d, NULL, NULL);
    int orc = ex_checkpoint_open(note, len, fuzz_alice(), &o, NULL);
    if ((lrc == EX_OK) != (orc == EX_OK))
        FUZZ_FAIL("the log key's verdict differs from ex_checkpoint_open");
    if (lrc == EX_OK && (!same(&c, &d) || memcmp(&o, &c.cp, sizeof o) != 0))
        FUZZ_FAIL("with the log key the result differs");
}

static void
request(const char *body, size_t len)
{
    ex_addcp r;
    ex_err err = {0};
    int rc = ex_addcp_parse(body, len, &r, &err);
    if (rc != EX_OK) {
        if (rc != EX_EFORMAT || err.code != rc)
            FUZZ_FAIL("request failure is not EX_EFORMAT with err set");
        return;
    }
    if (r.n > EX_COSIG_MAX_PROOF || r.note < body || r.note_len == 0 ||
        r.note + r.note_len != body + len)
        FUZZ_FAIL("parsed request out of bounds");
    char *back = NULL;
    size_t bl = 0;
    if (ex_addcp_format(r.old, (const uint8_t(*)[EX_HASH_BYTES])r.proof, r.n, r.note,
                        r.note_len, &back, &bl) != EX_OK)
        FUZZ_FAIL("a parsed request does not format");
    if (bl != len || memcmp(back, body, len) != 0)
        FUZZ_FAIL("the request is not what its parse formats to (not canonical)");
    free(back);
    reader(r.note, r.note_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    if (!text)
        return 0;
    reader(text, size);
    request(text, size);
    free(text);
    return 0;
}
