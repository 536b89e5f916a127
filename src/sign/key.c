/* key.c - Ed25519 keys through OpenSSL: generation, PEM files (0600, optional passphrase),
 * C2SP signer and verifier key strings. */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

struct ex_key {
    EVP_PKEY *pkey;
    char name[EX_NAME_MAX + 1];
    uint8_t pub[EX_ED25519_PUB_BYTES];
    uint8_t id[EX_KEYID_BYTES];
};

/* Unicode White_Space code points, as Go's unicode.IsSpace (which C2SP follows) */
static int
is_space_cp(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

int
ex_key_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > EX_NAME_MAX || !ex_utf8_valid(name, len))
        return 0;
    const unsigned char *p = (const unsigned char *)name, *end = p + len;
    while (p < end) {
        uint32_t c = *p;
        size_t n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
        if (n)
            c &= 0x3f >> n;
        for (size_t i = 1; i <= n; i++)
            c = (c << 6) | (p[i] & 0x3f);
        if (c == '+' || is_space_cp(c) || c == 0)
            return 0;
        p += n + 1;
    }
    return 1;
}

int
ex_key_id_typed(const char *name, uint8_t type, const uint8_t pub[EX_ED25519_PUB_BYTES],
                uint8_t id[EX_KEYID_BYTES])
{
    ex_sha256 *h;
    int rc = ex_sha256_new(&h);
    if (rc != EX_OK)
        return rc;
    uint8_t sep[2] = {0x0a, type}, d[EX_HASH_BYTES];
    if ((rc = ex_sha256_begin(h)) == EX_OK && (rc = ex_sha256_update(h, name, strlen(name))) == EX_OK &&
        (rc = ex_sha256_update(h, sep, 2)) == EX_OK &&
        (rc = ex_sha256_update(h, pub, EX_ED25519_PUB_BYTES)) == EX_OK &&
        (rc = ex_sha256_end(h, d)) == EX_OK)
        memcpy(id, d, EX_KEYID_BYTES);
    ex_sha256_free(h);
    return rc;
}

int
ex_key_id(const char *name, const uint8_t pub[EX_ED25519_PUB_BYTES], uint8_t id[EX_KEYID_BYTES])
{
    return ex_key_id_typed(name, 0x01, pub, id);
}

static int
key_wrap(EVP_PKEY *pkey, const char *name, ex_key **out, ex_err *err)
{
    if (!ex_key_name_valid(name, strlen(name))) {
        EVP_PKEY_free(pkey);
        return ex_fail(err, EX_EINVAL, "invalid key name '%s' (non-empty, no '+' or spaces)", name);
    }
    ex_key *k = calloc(1, sizeof *k);
    if (!k) {
        EVP_PKEY_free(pkey);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    k->pkey = pkey;
    strcpy(k->name, name);
    size_t plen = EX_ED25519_PUB_BYTES;
    if (EVP_PKEY_get_raw_public_key(pkey, k->pub, &plen) != 1 || plen != EX_ED25519_PUB_BYTES) {
        ex_key_free(k);
        return ex_fail(err, EX_ECRYPTO, "cannot read the Ed25519 public key: %s",
                       ex_strerror(EX_ECRYPTO)); /* also out of memory, in OpenSSL */
    }
    int rc = ex_key_id(name, k->pub, k->id);
    if (rc != EX_OK) {
        ex_key_free(k);
        return ex_fail(err, rc, "cannot compute key id: %s", ex_strerror(rc));
    }
    *out = k;
    return EX_OK;
}

int
ex_key_generate(const char *name, ex_key **out, ex_err *err)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!pkey)
        return ex_fail(err, EX_ECRYPTO, "Ed25519 key generation failed");
    return key_wrap(pkey, name, out, err);
}

static int
key_from_seed(const uint8_t seed[EX_ED25519_SEED_BYTES], const char *name, ex_key **out,
              ex_err *err)
{
    EVP_PKEY *pkey =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, EX_ED25519_SEED_BYTES);
    if (!pkey)
        return ex_fail(err, EX_ECRYPTO, "invalid Ed25519 seed");
    return key_wrap(pkey, name, out, err);
}

int
ex_key_from_signer(const char *s, ex_key **out, ex_err *err)
{
    static const char prefix[] = "PRIVATE+KEY+";
    if (strncmp(s, prefix, sizeof prefix - 1) != 0)
        return ex_fail(err, EX_EFORMAT, "signer key does not start with 'PRIVATE+KEY+'");
    const char *name = s + sizeof prefix - 1, *p1 = strchr(name, '+');
    if (!p1 || (size_t)(p1 - name) > EX_NAME_MAX || strlen(p1) < 10 || p1[9] != '+')
        return ex_fail(err, EX_EFORMAT, "signer key is not PRIVATE+KEY+name+keyid+key");
    char nm[EX_NAME_MAX + 1];
    memcpy(nm, name, (size_t)(p1 - name));
    nm[p1 - name] = '\0';
    uint8_t id[EX_KEYID_BYTES], raw[64];
    size_t rawlen;
    if (ex_hex_decode(p1 + 1, 8, id, EX_KEYID_BYTES) != EX_OK)
        return ex_fail(err, EX_EFORMAT, "signer key id is not 8 hex digits");
    const char *b64 = p1 + 10;
    if (ex_b64_decode(b64, strlen(b64), raw, sizeof raw, &rawlen) != EX_OK || rawlen != 33 ||
        raw[0] != 0x01) {
        OPENSSL_cleanse(raw, sizeof raw);
        return ex_fail(err, EX_EFORMAT, "signer key is not base64(0x01 || 32-byte Ed25519 seed)");
    }
    int rc = key_from_seed(raw + 1, nm, out, err);
    OPENSSL_cleanse(raw, sizeof raw);
    if (rc == EX_OK && memcmp((*out)->id, id, EX_KEYID_BYTES) != 0) {
        ex_key_free(*out);
        *out = NULL;
        return ex_fail(err, EX_EFORMAT, "signer key id does not match the key");
    }
    return rc;
}

static int
pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pass = u;
    if (!pass)
        return -1; /* never prompt on a terminal: the library does not do I/O */
    int n = (int)strlen(pass);
    if (n > size)
        return -1;
    memcpy(buf, pass, (size_t)n);
    return n;
}

int
ex_key_load(const char *path, const char *name, const char *passphrase, ex_key **out, ex_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    if (st.st_mode & 077)
        return ex_fail(err, EX_EINVAL,
                       "key file '%s' is accessible by others (mode %03o); run 'chmod 600 %s'",
                       path, (unsigned)(st.st_mode & 0777), path);
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    char first[64] = "";
    if (!fgets(first, sizeof first, f))
        first[0] = '\0';
    rewind(f);
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, pem_pass_cb, (void *)passphrase);
    fclose(f);
    /* what the file is says why reading it failed: a plain key that does not read is
     * OpenSSL's failure (out of memory, say: tests/cli/test_faults.sh), not a passphrase */
    int plain = strncmp(first, "-----BEGIN PRIVATE KEY-----", 27) == 0;
    if (!pkey && plain)
        return ex_fail(err, EX_ECRYPTO, "cannot read key '%s': %s", path,
                       ex_strerror(EX_ECRYPTO));
    if (!pkey)
        return ex_fail(err, EX_ECRYPTO,
                       passphrase ? "cannot read key '%s': wrong passphrase or not a PEM key"
                                  : "cannot read key '%s': not a PEM key, or it needs a "
                                    "passphrase (set EXANTE_PASSPHRASE)",
                       path);
    if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        return ex_fail(err, EX_EFORMAT, "key '%s' is not an Ed25519 key", path);
    }
    return key_wrap(pkey, name, out, err);
}

int
ex_key_save(const ex_key *k, const char *path, const char *passphrase, ex_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return ex_fail(err, errno == EEXIST ? EX_EEXIST : EX_EIO, "cannot create '%s': %s", path,
                       strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return ex_fail(err, EX_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    int enc = passphrase && *passphrase;
    int ok = PEM_write_PKCS8PrivateKey(f, k->pkey, enc ? EVP_aes_256_cbc() : NULL, NULL, 0,
                                       enc ? pem_pass_cb : NULL, (void *)passphrase);
    ok = fflush(f) == 0 && fsync(fd) == 0 && ok;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok) {
        unlink(path);
        return ex_fail(err, EX_EIO, "cannot write key '%s'", path);
    }
    return EX_OK;
}

void
ex_key_free(ex_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}

void
ex_key_vkey(const ex_key *k, ex_vkey *out)
{
    memset(out, 0, sizeof *out);
    strcpy(out->name, k->name);
    memcpy(out->id, k->id, EX_KEYID_BYTES);
    memcpy(out->pub, k->pub, EX_ED25519_PUB_BYTES);
}

void
ex_key_vkey_string(const ex_key *k, char out[EX_VKEY_MAX])
{
    ex_vkey v;
    ex_key_vkey(k, &v);
    ex_vkey_format(&v, out);
}

const char *
ex_key_name(const ex_key *k)
{
    return k->name;
}

int
ex_key_sign(const ex_key *k, const void *msg, size_t len, uint8_t sig[EX_ED25519_SIG_BYTES])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen = EX_ED25519_SIG_BYTES;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == EX_ED25519_SIG_BYTES;
    EVP_MD_CTX_free(ctx);
    return ok ? EX_OK : EX_ECRYPTO;
}

int
ex_ed25519_verify(const uint8_t pub[EX_ED25519_PUB_BYTES], const void *msg, size_t len,
                  const uint8_t *sig, size_t sig_len)
{
    if (sig_len != EX_ED25519_SIG_BYTES)
        return EX_EVERIFY;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, EX_ED25519_PUB_BYTES);
    if (!pkey)
        return EX_EVERIFY;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return ok ? EX_OK : EX_EVERIFY;
}

int
ex_vkey_parse_typed(const char *s, uint8_t type, ex_vkey *out, ex_err *err)
{
    /* a log's key (0x01) or a witness's (0x04): the same form, another type byte and key ID */
    const char *what = type == 0x01 ? "verifier key" : "witness key";
    const char *p1 = strchr(s, '+');
    if (!p1 || (size_t)(p1 - s) > EX_NAME_MAX || strlen(p1) < 10 || p1[9] != '+')
        return ex_fail(err, EX_EFORMAT, "%s is not name+keyid+base64key", what);
    ex_vkey v;
    memset(&v, 0, sizeof v);
    memcpy(v.name, s, (size_t)(p1 - s));
    if (!ex_key_name_valid(v.name, strlen(v.name)))
        return ex_fail(err, EX_EFORMAT, "%s has an invalid name", what);
    if (ex_hex_decode(p1 + 1, 8, v.id, EX_KEYID_BYTES) != EX_OK)
        return ex_fail(err, EX_EFORMAT, "%s id is not 8 hex digits", what);
    uint8_t raw[40];
    size_t rawlen;
    const char *b64 = p1 + 10;
    if (ex_b64_decode(b64, strlen(b64), raw, sizeof raw, &rawlen) != EX_OK || rawlen != 33)
        return ex_fail(err, EX_EFORMAT, "%s is not base64(0x%02x || 32-byte key)", what, type);
    if (raw[0] != type)
        return ex_fail(err, EX_EFORMAT, "%s type %u is not %s (%u)%s", what, raw[0],
                       type == 0x01 ? "Ed25519" : "an Ed25519 cosignature key", type,
                       raw[0] == 0x01   ? ": that is a log's key"
                       : raw[0] == 0x04 ? ": that is a witness's key"
                                        : "");
    memcpy(v.pub, raw + 1, EX_ED25519_PUB_BYTES);
    uint8_t id[EX_KEYID_BYTES];
    if (ex_key_id_typed(v.name, type, v.pub, id) != EX_OK)
        return ex_fail(err, EX_ECRYPTO, "cannot compute key id: %s", ex_strerror(EX_ECRYPTO));
    if (memcmp(id, v.id, EX_KEYID_BYTES) != 0)
        return ex_fail(err, EX_EFORMAT, "%s id does not match its name and key", what);
    *out = v;
    return EX_OK;
}

int
ex_vkey_parse(const char *s, ex_vkey *out, ex_err *err)
{
    return ex_vkey_parse_typed(s, 0x01, out, err);
}

void
ex_vkey_format(const ex_vkey *v, char out[EX_VKEY_MAX])
{
    uint8_t raw[33];
    raw[0] = 0x01;
    memcpy(raw + 1, v->pub, EX_ED25519_PUB_BYTES);
    size_t n = strlen(v->name);
    memcpy(out, v->name, n);
    out[n++] = '+';
    ex_hex_encode(v->id, EX_KEYID_BYTES, out + n);
    n += 8;
    out[n++] = '+';
    ex_b64_encode(raw, sizeof raw, out + n);
}
