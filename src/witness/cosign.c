/* cosign.c - C2SP tlog-cosignature v1 (Ed25519): witness keys of signature type 0x04, the
 * cosignature line "— name base64(keyid || u64be(timestamp) || signature)" over
 * "cosignature/v1\ntime T\n" || checkpoint body, and the reader of cosigned checkpoints. */
#include "sign/sign.h"
#include "witness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COSIG_TYPE 0x04
#define BLOB_BYTES (EX_KEYID_BYTES + 8 + EX_ED25519_SIG_BYTES) /* 76 */
#define NOTE_MAX (1u << 20)
#define NOTE_MAX_SIGS 100
/* a signature line's bytes: room for C2SP's largest today (ML-DSA-44 cosignatures, 4 + 8 +
 * 2420), so that other witnesses' lines of any known kind are read and ignored, not refused */
#define SIG_MAX 4096

static const char dash[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */

int
ex_cosig_key_id(const char *name, const uint8_t pub[EX_ED25519_PUB_BYTES],
                uint8_t id[EX_KEYID_BYTES])
{
    return ex_key_id_typed(name, COSIG_TYPE, pub, id);
}

int
ex_wvkey_parse(const char *s, ex_vkey *out, ex_err *err)
{
    return ex_vkey_parse_typed(s, COSIG_TYPE, out, err);
}

void
ex_wvkey_format(const ex_vkey *v, char out[EX_VKEY_MAX])
{
    uint8_t raw[33];
    raw[0] = COSIG_TYPE;
    memcpy(raw + 1, v->pub, EX_ED25519_PUB_BYTES);
    size_t n = strlen(v->name);
    memcpy(out, v->name, n);
    out[n++] = '+';
    ex_hex_encode(v->id, EX_KEYID_BYTES, out + n);
    n += 8;
    out[n++] = '+';
    ex_b64_encode(raw, sizeof raw, out + n);
}

int
ex_key_wvkey(const ex_key *k, ex_vkey *out)
{
    ex_key_vkey(k, out); /* name and public key; the id is recomputed for type 0x04 */
    return ex_cosig_key_id(out->name, out->pub, out->id);
}

/* "cosignature/v1\ntime T\n" || body, malloc'd */
static char *
signed_message(const char *body, size_t len, uint64_t t, size_t *mlen)
{
    char head[64];
    int hn = snprintf(head, sizeof head, "cosignature/v1\ntime %llu\n", (unsigned long long)t);
    char *m = malloc((size_t)hn + len + 1);
    if (!m)
        return NULL;
    memcpy(m, head, (size_t)hn);
    memcpy(m + hn, body, len);
    *mlen = (size_t)hn + len;
    return m;
}

int
ex_cosig_sign(const ex_key *k, const char *body, size_t len, uint64_t t,
              char line[EX_COSIG_LINE_MAX], size_t *line_len, ex_err *err)
{
    if (t > (uint64_t)EX_COSIG_TIME_MAX)
        return ex_fail(err, EX_EINVAL, "cosignature time %llu is over 2^63-1",
                       (unsigned long long)t);
    if (len == 0 || body[len - 1] != '\n' || len > NOTE_MAX)
        return ex_fail(err, EX_EINVAL, "a checkpoint body ends in a newline");
    ex_vkey v;
    if (ex_key_wvkey(k, &v) != EX_OK)
        return ex_fail(err, EX_ECRYPTO, "cannot compute key id");
    uint8_t blob[BLOB_BYTES];
    memcpy(blob, v.id, EX_KEYID_BYTES);
    for (int i = 0; i < 8; i++)
        blob[EX_KEYID_BYTES + i] = (uint8_t)(t >> (56 - 8 * i));
    size_t mlen;
    char *m = signed_message(body, len, t, &mlen);
    if (!m)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    int rc = ex_key_sign(k, m, mlen, blob + EX_KEYID_BYTES + 8);
    free(m);
    if (rc != EX_OK)
        return ex_fail(err, rc, "cannot sign the cosignature");
    char b64[4 * ((BLOB_BYTES + 2) / 3) + 1];
    ex_b64_encode(blob, sizeof blob, b64);
    int n = snprintf(line, EX_COSIG_LINE_MAX, "%s%s %s\n", dash, v.name, b64);
    if (n < 0 || n >= EX_COSIG_LINE_MAX)
        return ex_fail(err, EX_ETOOBIG, "cosignature line too long");
    if (line_len)
        *line_len = (size_t)n;
    return EX_OK;
}

/* the index in w of the key with this name and key ID, nw if none */
static size_t
match(const char *name, size_t nlen, const uint8_t id[EX_KEYID_BYTES], const ex_vkey *w,
      size_t nw)
{
    size_t k;
    for (k = 0; k < nw; k++)
        if (strlen(w[k].name) == nlen && memcmp(w[k].name, name, nlen) == 0 &&
            memcmp(w[k].id, id, EX_KEYID_BYTES) == 0)
            break;
    return k;
}

size_t
ex_cosig_line_who(const char *line, size_t ll, const ex_vkey *w, size_t nw)
{
    if (ll < sizeof dash - 1 || memcmp(line, dash, sizeof dash - 1) != 0)
        return nw;
    const char *name = line + sizeof dash - 1, *end = line + ll;
    const char *sp = memchr(name, ' ', (size_t)(end - name));
    uint8_t blob[SIG_MAX];
    size_t n = 0;
    if (!sp || ex_b64_decode(sp + 1, (size_t)(end - sp - 1), blob, sizeof blob, &n) != EX_OK ||
        n < EX_KEYID_BYTES)
        return nw;
    return match(name, (size_t)(sp - name), blob, w, nw);
}

/* Check one signature line sig[0..ll) (no '\n') against the witnesses: *which gets the index
 * of the matching witness or nw for an unknown key; EX_EFORMAT for a malformed line,
 * EX_EVERIFY for a known witness's bad cosignature. */
static int
check_line(const char *sig, size_t ll, const char *body, size_t blen, const ex_vkey *w, size_t nw,
           uint64_t not_after, size_t *which, uint64_t *t, ex_err *err)
{
    *which = nw;
    if (ll < sizeof dash - 1 || memcmp(sig, dash, sizeof dash - 1) != 0)
        return ex_fail(err, EX_EFORMAT, "a signature line does not start with an em dash");
    const char *name = sig + sizeof dash - 1, *end = sig + ll;
    const char *sp = memchr(name, ' ', (size_t)(end - name));
    uint8_t blob[SIG_MAX];
    size_t n = 0;
    if (!sp || !ex_key_name_valid(name, (size_t)(sp - name)) || sp + 1 == end ||
        ex_b64_decode(sp + 1, (size_t)(end - sp - 1), blob, sizeof blob, &n) != EX_OK || n < 5)
        return ex_fail(err, EX_EFORMAT, "a signature line is malformed");
    size_t k = match(name, (size_t)(sp - name), blob, w, nw);
    if (k == nw)
        return EX_OK; /* not a key we know: ignored, as C2SP requires */
    *which = k;
    if (n != BLOB_BYTES)
        return ex_fail(err, EX_EVERIFY, "the cosignature by '%s' is not 76 bytes", w[k].name);
    uint64_t ts = 0;
    for (int i = 0; i < 8; i++)
        ts = ts << 8 | blob[EX_KEYID_BYTES + i];
    if (ts > (uint64_t)EX_COSIG_TIME_MAX || (not_after && ts > not_after))
        return ex_fail(err, EX_EVERIFY, "the cosignature by '%s' has a timestamp in the future",
                       w[k].name);
    size_t mlen;
    char *m = signed_message(body, blen, ts, &mlen);
    if (!m)
        return ex_fail(err, EX_ENOMEM, "out of memory");
    int rc = ex_ed25519_verify(w[k].pub, m, mlen, blob + EX_KEYID_BYTES + 8, EX_ED25519_SIG_BYTES);
    free(m);
    if (rc != EX_OK)
        return ex_fail(err, EX_EVERIFY, "the cosignature by '%s' does not verify", w[k].name);
    *t = ts;
    return EX_OK;
}

/* the note's text length: up to and including the '\n' before the last blank line */
static int
split_note(const char *note, size_t len, size_t *tlen, ex_err *err)
{
    if (len > NOTE_MAX)
        return ex_fail(err, EX_EFORMAT, "note is larger than %u bytes", NOTE_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)note[i] < 0x20 && note[i] != '\n')
            return ex_fail(err, EX_EFORMAT, "note holds a control character");
    if (!ex_utf8_valid(note, len))
        return ex_fail(err, EX_EFORMAT, "note is not UTF-8");
    for (size_t i = len; i-- > 1;)
        if (note[i] == '\n' && note[i - 1] == '\n') {
            *tlen = i;
            if (i + 1 == len || note[len - 1] != '\n')
                return ex_fail(err, EX_EFORMAT,
                               "note has no signature lines after its blank "
                               "line, or lacks a final newline");
            return EX_OK;
        }
    return ex_fail(err, EX_EFORMAT, "note has no blank line before its signatures");
}

int
ex_cosigned_open(const char *note, size_t len, const ex_vkey *log_key, const ex_vkey *w, size_t nw,
                 uint64_t not_after, ex_cosigned *out, uint64_t *times, ex_err *err)
{
    size_t tlen = 0;
    int rc = split_note(note, len, &tlen, err);
    if (rc != EX_OK)
        return rc;
    ex_cosigned c;
    memset(&c, 0, sizeof c);
    c.body_len = tlen;
    if ((rc = ex_checkpoint_parse(note, tlen, &c.cp, err)) != EX_OK)
        return rc;
    if (log_key) {
        ex_checkpoint lc;
        if ((rc = ex_checkpoint_open(note, len, log_key, &lc, err)) != EX_OK)
            return rc;
    }
    /* per witness: its time once a line of it verified (a witness's second line does not
     * count twice, and a key listed twice in w matches its first entry only); times is
     * written only on success */
    uint64_t *t = calloc(nw ? nw : 1, sizeof *t);
    unsigned char *seen = calloc(nw ? nw : 1, 1);
    if (!t || !seen) {
        free(t);
        free(seen);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    const char *p = note + tlen + 1, *end = note + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (++c.lines > NOTE_MAX_SIGS) {
            rc = ex_fail(err, EX_EFORMAT, "note has more than %d signatures", NOTE_MAX_SIGS);
            break;
        }
        size_t k;
        uint64_t ts = 0;
        rc = check_line(p, (size_t)(nl - p), note, tlen, w, nw, not_after, &k, &ts, err);
        if (rc != EX_OK)
            break;
        if (k < nw && !seen[k]) {
            seen[k] = 1;
            t[k] = ts;
            c.good++;
        }
        p = nl + 1;
    }
    if (rc == EX_OK && times)
        memcpy(times, t, nw * sizeof *t);
    free(t);
    free(seen);
    if (rc == EX_OK)
        *out = c;
    return rc;
}
