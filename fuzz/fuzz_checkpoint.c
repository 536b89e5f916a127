/* fuzz_checkpoint.c - libFuzzer target: C2SP checkpoint bodies (ex_checkpoint_parse,
 * ex_checkpoint_format) and signed checkpoints (ex_checkpoint_open).
 *
 * Invariants (FUZZ_FAIL prints which one and aborts):
 *   - a body that parses formats (into a buffer big enough for any checkpoint) and the
 *     formatted text re-parses to a byte-identical struct (origin, size, root);
 *   - parsing is canonical: the formatted text is exactly the first three lines of the input;
 *   - a checkpoint that opens with the known key is the parse of the note's signed text,
 *     which that note begins with. */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* origin (EX_NAME_MAX) + size (20 digits) + base64 root (44) + three newlines + NUL */
#define CP_TEXT_MAX (EX_NAME_MAX + 20 + 44 + 3 + 1)

static int
same_checkpoint(const ex_checkpoint *a, const ex_checkpoint *b)
{
    return memcmp(a->origin, b->origin, sizeof a->origin) == 0 && a->size == b->size &&
           memcmp(a->root, b->root, sizeof a->root) == 0;
}

/* parse; on success check the format/parse roundtrip; returns the parse result */
static int
parse_roundtrip(const char *text, size_t len, ex_checkpoint *out)
{
    ex_checkpoint c;
    ex_err err = {0};
    memset(&c, 0, sizeof c);
    int rc = ex_checkpoint_parse(text, len, &c, &err);
    if (rc != EX_OK) {
        if (rc != EX_EFORMAT || err.code != rc)
            FUZZ_FAIL("parse failure is not EX_EFORMAT with err set");
        return rc;
    }
    if (c.origin[sizeof c.origin - 1] != '\0')
        FUZZ_FAIL("origin is not NUL-terminated");

    char buf[CP_TEXT_MAX];
    size_t flen = 0;
    if (ex_checkpoint_format(&c, buf, sizeof buf, &flen) != EX_OK || flen >= sizeof buf ||
        buf[flen] != '\0')
        FUZZ_FAIL("format of a parsed checkpoint failed");
    /* canonical: the input starts with exactly the formatted body */
    if (flen > len || memcmp(buf, text, flen) != 0)
        FUZZ_FAIL("formatted checkpoint is not the start of the input (not canonical)");

    ex_checkpoint d;
    memset(&d, 0xa5, sizeof d); /* garbage: parse must set every field */
    if (ex_checkpoint_parse(buf, flen, &d, NULL) != EX_OK || !same_checkpoint(&c, &d))
        FUZZ_FAIL("formatted checkpoint does not re-parse to the same struct");

    /* a buffer one byte short is refused, not overrun */
    char *shortbuf = malloc(flen);
    if (shortbuf) {
        size_t l2 = 0;
        if (ex_checkpoint_format(&c, shortbuf, flen, &l2) != EX_ETOOBIG)
            FUZZ_FAIL("format into a short buffer did not return EX_ETOOBIG");
        free(shortbuf);
    }
    if (out)
        *out = c;
    return EX_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ex_vkey *key = fuzz_alice();
    char *text = fuzz_copy(data, size);
    if (!text)
        return 0;

    (void)parse_roundtrip(text, size, NULL);

    ex_checkpoint c;
    ex_err err = {0};
    memset(&c, 0, sizeof c);
    int rc = ex_checkpoint_open(text, size, key, &c, &err);
    if (rc == EX_OK) {
        /* the opened checkpoint is the parse of the signed text */
        size_t tlen = 0;
        ex_checkpoint p;
        memset(&p, 0, sizeof p);
        if (ex_note_verify(text, size, key, 1, &tlen, NULL, NULL) != EX_OK ||
            parse_roundtrip(text, tlen, &p) != EX_OK || !same_checkpoint(&c, &p))
            FUZZ_FAIL("opened checkpoint is not the parse of the signed text");
    } else if (err.code != rc) {
        FUZZ_FAIL("open failed without setting err");
    }
    free(text);
    return 0;
}
