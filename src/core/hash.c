/* hash.c - SHA-256 through OpenSSL EVP, with the algorithm fetched once per hasher and the
 * context reused: the one-shot calls look the algorithm up on every call, which costs several
 * times the hash itself for 64-byte inputs. */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct ex_sha256 {
    EVP_MD *md;
    EVP_MD_CTX *ctx;
};

int
ex_sha256_new(ex_sha256 **out)
{
    ex_sha256 *h = calloc(1, sizeof *h);
    if (!h)
        return EX_ENOMEM;
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();
    if (!h->md || !h->ctx) {
        ex_sha256_free(h);
        return EX_ECRYPTO;
    }
    *out = h;
    return EX_OK;
}

void
ex_sha256_free(ex_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    free(h);
}

int
ex_sha256_begin(ex_sha256 *h)
{
    return EVP_DigestInit_ex2(h->ctx, h->md, NULL) == 1 ? EX_OK : EX_ECRYPTO;
}

int
ex_sha256_update(ex_sha256 *h, const void *data, size_t len)
{
    return EVP_DigestUpdate(h->ctx, data, len) == 1 ? EX_OK : EX_ECRYPTO;
}

int
ex_sha256_end(ex_sha256 *h, uint8_t out[EX_HASH_BYTES])
{
    return EVP_DigestFinal_ex(h->ctx, out, NULL) == 1 ? EX_OK : EX_ECRYPTO;
}

int
ex_sha256_digest(ex_sha256 *h, const void *data, size_t len, uint8_t out[EX_HASH_BYTES])
{
    if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
        EVP_DigestUpdate(h->ctx, data, len) != 1 || EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
        return EX_ECRYPTO;
    return EX_OK;
}

int
ex_sha256_file(ex_sha256 *h, const char *path, uint8_t out[EX_HASH_BYTES], uint64_t *size,
               ex_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ex_fail(err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    int rc = ex_sha256_begin(h);
    uint64_t total = 0;
    static __thread unsigned char buf[1 << 16];
    size_t n;
    while (rc == EX_OK && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        rc = ex_sha256_update(h, buf, n);
        total += n;
    }
    if (rc == EX_OK && ferror(f))
        rc = ex_fail(err, EX_EIO, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    if (rc == EX_OK)
        rc = ex_sha256_end(h, out);
    if (rc == EX_OK && size)
        *size = total;
    return rc;
}
