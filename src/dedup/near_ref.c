/* near_ref.c - the plain implementation of near-duplicate signatures (near.h), kept beside the
 * fast one as its definition: every step of docs/FORMATS.md done the obvious way (the whole
 * text through utf8proc_map, k multiply-adds per shingle in C). The tests, the fuzz target
 * and the benchmark hold the fast path to it, byte for byte. Uses only near.h's interface. */
#include "near.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

static int
put_cp(ex_buf *b, utf8proc_int32_t cp)
{
    utf8proc_uint8_t e[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, e);
    return ex_buf_put(b, e, (size_t)k);
}

int
ex_near_normalise_ref(const char *text, size_t len, ex_buf *out)
{
    /* 1. valid UTF-8 only: an invalid byte, or a NUL, becomes a space */
    ex_buf clean = {0};
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    size_t at = 0;
    while (at < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + at, (utf8proc_ssize_t)(len - at), &cp);
        int rc;
        if (k <= 0 || cp == 0) {
            rc = ex_buf_putc(&clean, ' ');
            at++;
        } else {
            rc = ex_buf_put(&clean, p + at, (size_t)k);
            at += (size_t)k;
        }
        if (rc != EX_OK) {
            ex_buf_free(&clean);
            return EX_ENOMEM;
        }
    }
    /* 2. NFKC with case folding (utf8proc_NFKC_Casefold's options) */
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)(clean.data ? clean.data : ""),
                                      (utf8proc_ssize_t)clean.len, &mapped,
                                      EX_NEAR_UTF8PROC_OPTIONS);
    ex_buf_free(&clean);
    if (m < 0)
        return m == UTF8PROC_ERROR_NOMEM ? EX_ENOMEM : EX_EINVAL;
    /* 3. punctuation out, white space and controls collapsed to single spaces */
    out->len = 0;
    int space = 0, rc = EX_OK;
    for (utf8proc_ssize_t i = 0; i < m && rc == EX_OK;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(mapped + i, m - i, &cp);
        if (k <= 0)
            break; /* utf8proc's own output is valid; never taken */
        i += k;
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO:
            continue;
        case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
        case UTF8PROC_CATEGORY_CC:
            space = 1;
            continue;
        default:
            if (space && out->len > 0)
                rc = ex_buf_putc(out, ' ');
            space = 0;
            if (rc == EX_OK)
                rc = put_cp(out, cp);
        }
    }
    free(mapped);
    return rc;
}

int
ex_near_signature_ref(const ex_near *n, const char *text, size_t len, uint64_t *sig,
                      uint64_t *shingles)
{
    unsigned k = ex_near_k(n);
    for (unsigned i = 0; i < k; i++)
        sig[i] = UINT64_MAX;
    if (shingles)
        *shingles = 0;
    ex_buf norm = {0};
    int rc = ex_near_normalise_ref(text, len, &norm);
    if (rc != EX_OK) {
        ex_buf_free(&norm);
        return rc;
    }
    const char *s = norm.data;
    size_t sl = norm.len;
    /* word starts (the normalised text has single spaces between words, none at the ends) */
    size_t nw = 0, *word = malloc((sl / 2 + 1) * sizeof *word);
    uint32_t *a = malloc(k * sizeof *a), *b = malloc(k * sizeof *b);
    if (!word || !a || !b) {
        rc = EX_ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < k; i++)
        ex_near_constants(n, i, &a[i], &b[i]);
    for (size_t i = 0; i < sl; i++)
        if (i == 0 || s[i - 1] == ' ')
            word[nw++] = i;
    size_t ns = nw == 0 ? 0 : nw < EX_NEAR_SHINGLE_WORDS ? 1 : nw - EX_NEAR_SHINGLE_WORDS + 1;
    for (size_t j = 0; j < ns; j++) {
        size_t from = word[j], last = j + EX_NEAR_SHINGLE_WORDS;
        size_t to = last < nw ? word[last] - 1 : sl; /* up to the space before the next */
        uint32_t x = (uint32_t)XXH3_64bits(s + from, to - from); /* its low 32 bits */
        for (unsigned i = 0; i < k; i++) {
            uint32_t v = a[i] * x + b[i]; /* mod 2^32 */
            if (v < sig[i])
                sig[i] = v;
        }
    }
    if (shingles)
        *shingles = ns;
out:
    free(word);
    free(a);
    free(b);
    ex_buf_free(&norm);
    return rc;
}
