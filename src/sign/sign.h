/* sign.h - internal helpers of the signing part. */
#ifndef EX_SIGN_H
#define EX_SIGN_H

#include "core/core.h"

/* 1 if name is a valid C2SP key name: non-empty UTF-8 without '+' or Unicode spaces. */
int ex_key_name_valid(const char *name, size_t len);
/* Key ID = SHA-256(name || 0x0A || 0x01 || pub)[0:4]. */
int ex_key_id(const char *name, const uint8_t pub[EX_ED25519_PUB_BYTES],
              uint8_t id[EX_KEYID_BYTES]);
/* The same with another signature type byte (0x04: a C2SP cosignature key). */
int ex_key_id_typed(const char *name, uint8_t type, const uint8_t pub[EX_ED25519_PUB_BYTES],
                    uint8_t id[EX_KEYID_BYTES]);
/* A C2SP verifier key "name+keyid+base64(type || pub)" of this type (0x01: a log's, parsed by
 * ex_vkey_parse; 0x04: a witness's), its key ID checked. */
int ex_vkey_parse_typed(const char *s, uint8_t type, ex_vkey *out, ex_err *err);
/* Ed25519 verification of sig over msg with pub; EX_OK or EX_EVERIFY. */
int ex_ed25519_verify(const uint8_t pub[EX_ED25519_PUB_BYTES], const void *msg, size_t len,
                      const uint8_t *sig, size_t sig_len);

#endif
