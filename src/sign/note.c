/* note.c - C2SP signed notes: text, a blank line, then signature lines
 * "— <name> base64(keyid || signature)". Parsing follows the spec and golang.org/x/mod's
 * reference: the last "\n\n" splits text from signatures, unknown keys are ignored, a known
 * key whose signature fails rejects the note. */
#include "sign.h"

#include <stdlib.h>
#include <string.h>

#define NOTE_MAX (1u << 20) /* refuse notes over 1 MiB before parsing */
#define NOTE_MAX_SIGS 100

static const char dash[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */

/* valid UTF-8 and no control characters except '\n' */
static int
clean_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
            return 0;
    return ex_utf8_valid(s, len);
}

int
ex_note_sign(const char *text, size_t len, ex_key *const *keys, size_t nkeys, char **note,
             size_t *note_len, ex_err *err)
{
    if (len == 0 || text[len - 1] != '\n')
        return ex_fail(err, EX_EINVAL, "note text must end with a newline");
    if (len > NOTE_MAX || !clean_text(text, len))
        return ex_fail(err, EX_EINVAL, "note text must be UTF-8 without control characters");
    if (nkeys == 0)
        return ex_fail(err, EX_EINVAL, "no signing key");
    ex_buf b = {0};
    int rc = ex_buf_put(&b, text, len);
    if (rc == EX_OK)
        rc = ex_buf_putc(&b, '\n');
    for (size_t i = 0; rc == EX_OK && i < nkeys; i++) {
        ex_vkey v;
        ex_key_vkey(keys[i], &v);
        uint8_t blob[EX_KEYID_BYTES + EX_ED25519_SIG_BYTES];
        char b64[4 * ((sizeof blob + 2) / 3) + 1];
        memcpy(blob, v.id, EX_KEYID_BYTES);
        if ((rc = ex_key_sign(keys[i], text, len, blob + EX_KEYID_BYTES)) != EX_OK)
            break;
        ex_b64_encode(blob, sizeof blob, b64);
        rc = ex_buf_printf(&b, "%s%s %s\n", dash, v.name, b64);
    }
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return ex_fail(err, rc, "cannot sign note: %s", ex_strerror(rc));
    }
    *note = ex_buf_take(&b, note_len);
    return EX_OK;
}

int
ex_note_verify(const char *note, size_t len, const ex_vkey *keys, size_t nkeys, size_t *text_len,
               unsigned *nverified, ex_err *err)
{
    if (len > NOTE_MAX)
        return ex_fail(err, EX_EFORMAT, "note is larger than %u bytes", NOTE_MAX);
    if (!clean_text(note, len))
        return ex_fail(err, EX_EFORMAT, "note is not UTF-8 text without control characters");
    /* the last blank line separates text from signatures */
    size_t split = len;
    for (size_t i = len; i-- > 1;)
        if (note[i] == '\n' && note[i - 1] == '\n') {
            split = i - 1;
            break;
        }
    if (split == len)
        return ex_fail(err, EX_EFORMAT, "note has no blank line before its signatures");
    size_t tlen = split + 1;
    const char *sigs = note + split + 2, *end = note + len;
    if (sigs == end || end[-1] != '\n')
        return ex_fail(err, EX_EFORMAT, "note signature block is empty or lacks a final newline");

    unsigned nsig = 0, good = 0;
    /* verified (key index) flags, to ignore repeated signatures by one key */
    unsigned char *seen = calloc(nkeys ? nkeys : 1, 1);
    if (!seen)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    int rc = EX_OK;
    unsigned lineno = 0;
    while (sigs < end) {
        const char *nl = memchr(sigs, '\n', (size_t)(end - sigs));
        size_t ll = (size_t)(nl - sigs);
        lineno++;
        if (++nsig > NOTE_MAX_SIGS) {
            rc = ex_fail(err, EX_EFORMAT, "note has more than %d signatures", NOTE_MAX_SIGS);
            break;
        }
        if (ll < sizeof dash - 1 || memcmp(sigs, dash, sizeof dash - 1) != 0) {
            rc = ex_fail(err, EX_EFORMAT, "signature line %u does not start with an em dash",
                         lineno);
            break;
        }
        const char *name = sigs + sizeof dash - 1;
        const char *sp = memchr(name, ' ', (size_t)(nl - name));
        uint8_t blob[4096]; /* room for any C2SP signature (ML-DSA-44 cosignatures: 2432) */
        size_t blen = 0;
        if (!sp || !ex_key_name_valid(name, (size_t)(sp - name)) || sp + 1 == nl ||
            ex_b64_decode(sp + 1, (size_t)(nl - sp - 1), blob, sizeof blob, &blen) != EX_OK ||
            blen < 5) {
            rc = ex_fail(err, EX_EFORMAT, "signature line %u is malformed", lineno);
            break;
        }
        size_t nlen = (size_t)(sp - name);
        for (size_t k = 0; k < nkeys; k++) {
            if (strlen(keys[k].name) != nlen || memcmp(keys[k].name, name, nlen) != 0 ||
                memcmp(keys[k].id, blob, EX_KEYID_BYTES) != 0)
                continue;
            if (seen[k])
                break;
            seen[k] = 1;
            if (ex_ed25519_verify(keys[k].pub, note, tlen, blob + EX_KEYID_BYTES,
                                  blen - EX_KEYID_BYTES) != EX_OK) {
                rc = ex_fail(err, EX_EVERIFY, "signature by '%s' does not verify", keys[k].name);
                goto out;
            }
            good++;
            break;
        }
        sigs = nl + 1;
    }
    if (rc == EX_OK && good == 0)
        rc = ex_fail(err, EX_EVERIFY, "note has no signature by a known key");
out:
    free(seen);
    if (rc == EX_OK) {
        *text_len = tlen;
        if (nverified)
            *nverified = good;
    }
    return rc;
}
