/* dsse.h - DSSE v1 envelopes (github.com/secure-systems-lab/dsse, "envelope.md" and
 * "protocol.md") signed with exante's Ed25519 keys.
 *
 * The signature is Ed25519 over PAE(payloadType, payload):
 *
 *     "DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload
 *
 * with LEN the byte length in ASCII decimal, no leading zeros. The envelope is written as
 * canonical JSON (src/core/cjson.h):
 *
 *     {"payload":"<base64>","payloadType":"<type>",
 *      "signatures":[{"keyid":"<hex>","sig":"<base64>"}]}
 *
 * base64 is the standard alphabet with padding (RFC 4648 section 4). keyid is exante's choice
 * (the spec leaves it to the signer): the lowercase hex of SHA-256 over the raw 32-byte Ed25519
 * public key, so anyone holding the public key can compute it without knowing exante's
 * verifier-key names (the C2SP 4-byte key ID hashes the key name too, which a DSSE verifier
 * does not have).
 *
 * Reading is strict: the envelope is one JSON object with exactly "payload", "payloadType" and
 * "signatures"; each signature has "sig" and optionally "keyid" (nothing else); base64 must be
 * standard, padded and canonical (the URL-safe alphabet that the spec also allows is refused:
 * no DSSE signer exante interoperates with writes it, and one spelling per byte string means
 * an envelope cannot be altered without changing what it says). Whitespace and key order are
 * free: envelopes from other tools need not be canonical JSON.
 *
 * Ownership: the functions returning char ** or filling an ex_dsse_env allocate; the caller
 * frees with free() / ex_dsse_env_clear. All functions may run on any number of threads. */
#ifndef EX_DSSE_H
#define EX_DSSE_H

#include "exante.h"

#include <stddef.h>
#include <stdint.h>

/* The payloadType of an in-toto Statement. */
#define EX_DSSE_INTOTO_TYPE "application/vnd.in-toto+json"
/* keyid: 64 lowercase hex digits; with the NUL. */
#define EX_DSSE_KEYID_LEN 64
#define EX_DSSE_KEYID_BYTES 65
/* Limits of the reader (and the writer): the whole envelope, its payloadType (a media type is at
 * most 127/127 characters by RFC 6838, so this is generous), a keyid of another signer's
 * scheme, one signature (Ed25519 is 64 bytes; room for RSA-4096 and ML-DSA), the signatures. */
#define EX_DSSE_ENVELOPE_MAX (64u << 20)
#define EX_DSSE_TYPE_MAX 255
#define EX_DSSE_KEYID_MAX 255
#define EX_DSSE_SIG_MAX 8192
#define EX_DSSE_SIGS_MAX 16

/* One signature as read: keyid is "" when the envelope had none (has_keyid 0) or an empty
 * one (has_keyid 1: kept so the envelope re-serialises as it was). */
typedef struct ex_dsse_sig {
    char *keyid;
    int has_keyid;
    uint8_t *sig;
    size_t sig_len;
} ex_dsse_sig;

/* A parsed envelope; payload is the decoded bytes, followed by a NUL not counted in
 * payload_len (so a text payload can be read as a string). */
typedef struct ex_dsse_env {
    char *payload_type;
    uint8_t *payload;
    size_t payload_len;
    ex_dsse_sig *sigs;
    size_t nsigs;
} ex_dsse_env;

/* PAE(type, body) as above, malloc'd into *out (caller frees), *out_len its length.
 * EX_ENOMEM only. */
int ex_dsse_pae(const char *type, size_t type_len, const void *body, size_t body_len, uint8_t **out,
                size_t *out_len);

/* keyid of a raw Ed25519 public key: lowercase hex SHA-256(pub), NUL-terminated. EX_ECRYPTO if
 * the hash fails. */
int ex_dsse_keyid(const uint8_t pub[EX_ED25519_PUB_BYTES], char out[EX_DSSE_KEYID_BYTES]);

/* An envelope of payload[0..len) with payloadType `type` (non-empty UTF-8, at most
 * EX_DSSE_TYPE_MAX bytes), signed by each of keys[0..nkeys) (1..EX_DSSE_SIGS_MAX) in that
 * order, as canonical JSON, malloc'd (caller frees). EX_EINVAL for a bad type, key count or a
 * payload over the limit; EX_ECRYPTO if signing fails; EX_ENOMEM. err says which. */
int ex_dsse_sign(ex_key *const *keys, size_t nkeys, const char *type, const void *payload,
                 size_t len, char **envelope, size_t *env_len, ex_err *err);

/* Read envelope json[0..len) into *out (overwritten; clear it after, also after a failure).
 * EX_EFORMAT with a message naming what is wrong ("envelope: ..."), EX_ETOOBIG for input or a
 * field over its limit, EX_ENOMEM. Nothing is verified here. */
int ex_dsse_parse(const char *json, size_t len, ex_dsse_env *out, ex_err *err);
/* Free what an ex_dsse_env holds and zero it; accepts a zeroed one. */
void ex_dsse_env_clear(ex_dsse_env *e);

/* e as canonical JSON (the envelope ex_dsse_parse reads back to the same fields), malloc'd.
 * EX_EINVAL if e breaks a rule of the reader (limits, empty type, no signatures), EX_ENOMEM. */
int ex_dsse_write(const ex_dsse_env *e, char **json, size_t *len, ex_err *err);

/* Verify e against key. The rule (the keyid is an unauthenticated hint, so it only decides
 * which signatures are for this key):
 *   - a signature whose keyid is this key's (ex_dsse_keyid of key->pub) must verify: one that
 *     does not fails the envelope (an altered or mislabelled signature is never ignored);
 *   - a signature without a keyid (or an empty one) is tried, and skipped if it does not verify
 *     (it may be another signer's);
 *   - a signature with another keyid is another signer's and is not tried.
 * EX_OK when at least one signature verified and none with this key's keyid failed; *which (may
 * be NULL) is then the index of the first that verified. EX_EVERIFY otherwise, err naming the
 * signature that failed or saying that none is by this key. EX_ECRYPTO, EX_ENOMEM. */
EX_MUST_CHECK int ex_dsse_verify(const ex_dsse_env *e, const ex_vkey *key, size_t *which,
                                 ex_err *err);

/* Parse, check the payloadType is `type` (NULL: any), and verify with key: the steps a
 * verifier takes, in that order. On EX_OK *out holds the envelope; on failure it is cleared.
 * Codes as ex_dsse_parse and ex_dsse_verify; EX_EFORMAT for another payloadType. */
EX_MUST_CHECK int ex_dsse_open(const char *json, size_t len, const char *type, const ex_vkey *key,
                               ex_dsse_env *out, ex_err *err);

#endif
