/* snapscan.c - the fast reader of snapshot proof documents. A snapshot proof must be byte for
 * byte the canonical form the writer produces (PROOFS.md, snapproof.c), so there is only one
 * layout to expect: this walks it, takes the values out, writes them again with the same
 * writer and compares. No tree is built and nothing is allocated but the entry and the
 * checkpoint, which is what makes library verification fast (jansson's tree of a 3.5 KB
 * document cost more than all of a proof's hashing).
 *
 * Anything else (another kind of proof, a syntax error, a key too many or missing, a
 * non-canonical spelling) is only "not this": ex_log_proof_parse then reads the document with
 * jansson, whose reader names the line and column or the key. The two agree on every document
 * the scanner accepts because the scanner's answer is checked by the writer: a document it
 * accepts is the canonical form of the values it took out, and jansson reads those same values
 * back from it (fuzz_snapproof checks both directions). */
#include "snapproof.h"

#include "core/cjson.h"

#include <stdlib.h>
#include <string.h>

#define B64_HASH (4 * ((EX_HASH_BYTES + 2) / 3)) /* 44 characters */

/* where the scan is: the next byte and the end */
typedef struct cur {
    const char *p, *end;
} cur;

/* the next bytes are s[0..n): step over them */
static int
lit(cur *c, const char *s, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return 0;
    c->p += n;
    return 1;
}
#define LIT(c, s) lit(c, s, sizeof s - 1)

/* a JSON integer in 0..2^53-1 in its canonical spelling, no sign, no leading zero */
static int
uint53(cur *c, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;
    while (c->p + n < c->end && c->p[n] >= '0' && c->p[n] <= '9' && n < 17)
        v = v * 10 + (uint64_t)(c->p[n++] - '0');
    if (n == 0 || (n > 1 && c->p[0] == '0') || v > (uint64_t)EX_JSON_INT_MAX)
        return 0;
    c->p += n;
    *out = v;
    return 1;
}

/* "sha256:<64 lowercase hex>" and its closing quote (the opening one is consumed) */
static int
digest(cur *c, uint8_t out[EX_HASH_BYTES])
{
    if ((size_t)(c->end - c->p) < EX_DIGEST_STR_LEN + 1 || c->p[EX_DIGEST_STR_LEN] != '"' ||
        memcmp(c->p, "sha256:", 7) != 0)
        return 0;
    for (size_t i = 7; i < EX_DIGEST_STR_LEN; i++)
        if (!((c->p[i] >= '0' && c->p[i] <= '9') || (c->p[i] >= 'a' && c->p[i] <= 'f')))
            return 0;
    if (ex_hex_decode(c->p + 7, 2 * EX_HASH_BYTES, out, EX_HASH_BYTES) != EX_OK)
        return 0;
    c->p += EX_DIGEST_STR_LEN + 1;
    return 1;
}

/* a list of quoted base64 hashes and its closing ']' (the '[' is consumed) */
static int
hashes(cur *c, uint8_t (*out)[EX_HASH_BYTES], size_t *n)
{
    size_t k = 0;
    if (LIT(c, "]")) {
        *n = 0;
        return 1;
    }
    for (;;) {
        size_t m = 0;
        if (k == EX_MERKLE_MAX_PROOF || (size_t)(c->end - c->p) < B64_HASH + 3 || c->p[0] != '"' ||
            c->p[B64_HASH + 1] != '"' ||
            ex_b64_decode(c->p + 1, B64_HASH, out[k], EX_HASH_BYTES, &m) != EX_OK ||
            m != EX_HASH_BYTES)
            return 0;
        k++;
        c->p += B64_HASH + 2;
        if (LIT(c, "]"))
            break;
        if (!LIT(c, ","))
            return 0;
    }
    *n = k;
    return 1;
}

static int
hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* the checkpoint string, unescaped into a malloc'd NUL-terminated *out, and its closing
 * quote. Only the escapes the writer makes are read (the two-character ones and \u00xx for
 * the controls other than NUL, which a C string cannot hold); the writer's copy decides
 * whether they were the canonical ones. EX_OK, EX_EFORMAT, EX_ENOMEM. */
static int
note(cur *c, char **out)
{
    const char *q = c->p;
    size_t esc = 0;
    while (q < c->end && *q != '"') {
        if (*q == '\\') {
            if (c->end - q < 2)
                return EX_EFORMAT;
            esc++;
            q++;
        }
        q++;
    }
    if (q == c->end)
        return EX_EFORMAT;
    char *s = malloc((size_t)(q - c->p) + 1), *o = s;
    if (!s)
        return EX_ENOMEM;
    if (!esc) {
        memcpy(s, c->p, (size_t)(q - c->p));
        o += q - c->p;
    }
    for (const char *p = c->p; esc && p < q; p++) {
        if (*p != '\\') {
            *o++ = *p;
            continue;
        }
        switch (*++p) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int hi = q - p > 4 && p[1] == '0' && p[2] == '0' ? hexval(p[3]) : -1;
            int lo = hi >= 0 ? hexval(p[4]) : -1;
            if (hi < 0 || hi > 1 || lo < 0 || (hi | lo) == 0) {
                free(s);
                return EX_EFORMAT;
            }
            *o++ = (char)(hi << 4 | lo);
            p += 4;
            break;
        }
        default: free(s); return EX_EFORMAT;
        }
    }
    *o = '\0';
    c->p = q + 1;
    *out = s;
    return EX_OK;
}

/* the base64 entry, decoded into a malloc'd out->entry, and its closing quote */
static int
entry(cur *c, ex_log_proof *out)
{
    const char *q = memchr(c->p, '"', (size_t)(c->end - c->p));
    if (!q)
        return EX_EFORMAT;
    size_t n = (size_t)(q - c->p), cap = n / 4 * 3;
    if (cap == 0 || cap > EX_ENTRY_MAX + 2)
        return EX_EFORMAT;
    if (!(out->entry = malloc(cap)))
        return EX_ENOMEM;
    if (ex_b64_decode(c->p, n, out->entry, cap, &out->entry_len) != EX_OK || out->entry_len == 0 ||
        out->entry_len > EX_ENTRY_MAX)
        return EX_EFORMAT;
    c->p = q + 1;
    return EX_OK;
}

/* {"digest":...,"index":...,"proof":[...]} */
static int
leaf(cur *c, ex_snapshot_leaf *l)
{
    return LIT(c, "{\"digest\":\"") && digest(c, l->digest) && LIT(c, ",\"index\":") &&
           uint53(c, &l->index) && LIT(c, ",\"proof\":[") && hashes(c, l->proof, &l->n) &&
           LIT(c, "}");
}

/* the values, in the writer's order; EX_OK, EX_EFORMAT, EX_ENOMEM */
static int
scan(cur *c, ex_log_proof *out)
{
    if (!LIT(c, "{\"digest\":\"") || !digest(c, out->digest) || !LIT(c, ",\"leaves\":["))
        return EX_EFORMAT;
    if (!LIT(c, "]")) {
        do {
            if (out->nleaves == 2 || !leaf(c, &out->leaves[out->nleaves]))
                return EX_EFORMAT;
            out->nleaves++;
        } while (LIT(c, ","));
        if (!LIT(c, "]"))
            return EX_EFORMAT;
    }
    if (!LIT(c, ",\"snapshot\":{\"checkpoint\":\""))
        return EX_EFORMAT;
    int rc = note(c, &out->checkpoint);
    if (rc == EX_OK && !LIT(c, ",\"entry\":\""))
        rc = EX_EFORMAT;
    if (rc == EX_OK)
        rc = entry(c, out);
    if (rc != EX_OK)
        return rc;
    if (!LIT(c, ",\"log_index\":") || !uint53(c, &out->index) || !LIT(c, ",\"log_proof\":[") ||
        !hashes(c, out->proof, &out->n) || !LIT(c, ",\"log_size\":") || !uint53(c, &out->size) ||
        !LIT(c, "},\"type\":\"snapshot-"))
        return EX_EFORMAT;
    if (LIT(c, "membership\"}"))
        out->kind = EX_PROOF_SNAPSHOT_MEMBER;
    else if (LIT(c, "non-membership\"}"))
        out->kind = EX_PROOF_SNAPSHOT_NON_MEMBER;
    else
        return EX_EFORMAT;
    return c->p == c->end ? EX_OK : EX_EFORMAT;
}

int
ex_snapshot_proof_scan(const char *json, size_t len, ex_log_proof *out, ex_buf *scratch)
{
    if (!json || len < 2 || json[len - 1] != '}')
        return EX_EFORMAT;
    cur c = {json, json + len};
    int rc = scan(&c, out);
    if (rc != EX_OK)
        return rc;
    /* the values written again must be the document: one spelling per proof */
    ex_buf own = {0}, *b = scratch ? scratch : &own;
    b->len = 0;
    rc = ex_snapshot_proof_write(b, out->digest, out->kind == EX_PROOF_SNAPSHOT_MEMBER, out->entry,
                                 out->entry_len, out->index, out->size,
                                 (const uint8_t(*)[EX_HASH_BYTES])out->proof, out->n,
                                 out->checkpoint, out->leaves, out->nleaves);
    if (rc == EX_OK && (b->len != len || memcmp(b->data, json, len) != 0))
        rc = EX_EFORMAT;
    else if (rc == EX_EINVAL)
        rc = EX_EFORMAT;
    ex_buf_free(&own);
    return rc;
}
