/* rotation.c - key rotation records and the chain of keys they make (exante.h, "key
 * rotation"; docs/FORMATS.md "Key rotation").
 *
 * A rotation record is a C2SP signed note whose text is
 *
 *     exante key rotation v1
 *     origin <log origin>
 *     from <log size>
 *     old <the old verifier key>
 *     new <the new verifier key>
 *
 * signed by both keys (each key's name is the origin; their key IDs differ). Checkpoints of
 * a size below `from` are the old key's, those of `from` and above the new key's: the record
 * itself is logged at index from - 1, so the first checkpoint that holds it is the new key's.
 * Both signatures make the link good in either direction: whoever trusts one of the keys
 * learns the other and the size where the one hands over to the other. */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "exante key rotation v1\n"

int
ex_rotation_text(const char *origin, uint64_t from, const char *old_vkey, const char *new_vkey,
                 char *buf, size_t cap, size_t *len)
{
    int n = snprintf(buf, cap, HEADER "origin %s\nfrom %llu\nold %s\nnew %s\n", origin,
                     (unsigned long long)from, old_vkey, new_vkey);
    if (n < 0 || (size_t)n >= cap)
        return EX_ETOOBIG;
    *len = (size_t)n;
    return EX_OK;
}

/* the value of line "<key> <value>\n" at *p, into out (NUL-terminated, at most cap - 1) */
static int
field(const char **p, const char *end, const char *key, char *out, size_t cap, ex_err *err,
      int lineno)
{
    size_t kl = strlen(key);
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl || (size_t)(nl - *p) <= kl + 1 || memcmp(*p, key, kl) != 0 || (*p)[kl] != ' ')
        return ex_fail(err, EX_EFORMAT, "rotation record line %d: expected '%s <value>'", lineno,
                       key);
    size_t vl = (size_t)(nl - *p) - kl - 1;
    if (vl >= cap)
        return ex_fail(err, EX_EFORMAT, "rotation record line %d: '%s' is too long", lineno, key);
    memcpy(out, *p + kl + 1, vl);
    out[vl] = '\0';
    if (strlen(out) != vl)
        return ex_fail(err, EX_EFORMAT, "rotation record line %d: a NUL byte", lineno);
    *p = nl + 1;
    return EX_OK;
}

int
ex_rotation_open(const char *note, size_t len, ex_rotation *out, ex_err *err)
{
    memset(out, 0, sizeof *out);
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < len && !blank; i++)
        if (note[i] == '\n' && note[i + 1] == '\n')
            blank = note + i + 1;
    if (!blank)
        return ex_fail(err, EX_EFORMAT, "rotation record: not a signed note (no blank line)");
    const char *p = note, *end = blank;
    size_t hl = strlen(HEADER);
    if ((size_t)(end - p) < hl || memcmp(p, HEADER, hl) != 0)
        return ex_fail(err, EX_EFORMAT, "rotation record line 1: not 'exante key rotation v1'");
    p += hl;
    char from[24], old[EX_VKEY_MAX], new[EX_VKEY_MAX];
    int rc;
    if ((rc = field(&p, end, "origin", out->origin, sizeof out->origin, err, 2)) != EX_OK ||
        (rc = field(&p, end, "from", from, sizeof from, err, 3)) != EX_OK ||
        (rc = field(&p, end, "old", old, sizeof old, err, 4)) != EX_OK ||
        (rc = field(&p, end, "new", new, sizeof new, err, 5)) != EX_OK)
        return rc;
    if (p != end)
        return ex_fail(err, EX_EFORMAT, "rotation record line 6: unexpected text");
    char *e;
    if (from[0] < '1' || from[0] > '9' || strlen(from) > 19 ||
        (out->from = strtoull(from, &e, 10), *e))
        return ex_fail(err, EX_EFORMAT, "rotation record line 3: 'from' is not a size above 0");
    ex_err ke = {0};
    if (ex_vkey_parse(old, &out->old_key, &ke) != EX_OK)
        return ex_fail(err, EX_EFORMAT, "rotation record line 4: %s", ke.msg);
    if (ex_vkey_parse(new, &out->new_key, &ke) != EX_OK)
        return ex_fail(err, EX_EFORMAT, "rotation record line 5: %s", ke.msg);
    if (strcmp(out->old_key.name, out->origin) != 0 || strcmp(out->new_key.name, out->origin) != 0)
        return ex_fail(err, EX_EFORMAT, "rotation record: a key is not named for origin '%s'",
                       out->origin);
    if (memcmp(out->old_key.pub, out->new_key.pub, EX_ED25519_PUB_BYTES) == 0)
        return ex_fail(err, EX_EFORMAT, "rotation record: the old and the new key are the same");
    /* signed by each of the two keys (ex_note_verify ignores the other's line) */
    size_t tl;
    const ex_vkey *k[2] = {&out->old_key, &out->new_key};
    for (int i = 0; i < 2; i++) {
        ex_err ve = {0};
        if ((rc = ex_note_verify(note, len, k[i], 1, &tl, NULL, &ve)) != EX_OK)
            return ex_fail(err, rc, "rotation record: the %s key's signature: %s",
                           i ? "new" : "old", ve.msg);
        if (note + tl != blank)
            return ex_fail(err, EX_EFORMAT, "rotation record: the signed text is not the record");
    }
    return EX_OK;
}

/* ---- the chain ---- */

int
ex_key_chain_build(const ex_vkey *trusted, const ex_rotation *r, size_t n, ex_key_chain *out,
                   ex_err *err)
{
    memset(out, 0, sizeof *out);
    if (n + 1 > EX_KEY_CHAIN_MAX)
        return ex_fail(err, EX_ETOOBIG, "more than %d key rotations", EX_KEY_CHAIN_MAX - 1);
    if (n == 0) {
        out->w[0] = (ex_key_window){*trusted, 0, UINT64_MAX};
        out->n = 1;
        return EX_OK;
    }
    /* the records as the log holds them, oldest first: each hands over from the key the one
     * before handed over to, at a larger size */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].origin, trusted->name) != 0)
            return ex_fail(err, EX_EVERIFY, "key rotation %zu is for origin '%s', not '%s'", i + 1,
                           r[i].origin, trusted->name);
        if (i && (memcmp(&r[i].old_key, &r[i - 1].new_key, sizeof r[i].old_key) != 0 ||
                  r[i].from <= r[i - 1].from))
            return ex_fail(err, EX_EVERIFY,
                           "key rotation %zu does not follow rotation %zu (its old key is not "
                           "the new key before it, or its size is not larger)", i + 1, i);
    }
    out->w[0] = (ex_key_window){r[0].old_key, 0, r[0].from};
    for (size_t i = 0; i < n; i++)
        out->w[i + 1] = (ex_key_window){r[i].new_key, r[i].from,
                                         i + 1 < n ? r[i + 1].from : UINT64_MAX};
    out->n = n + 1;
    for (size_t i = 0; i < out->n; i++)
        if (memcmp(&out->w[i].key, trusted, sizeof *trusted) == 0)
            return EX_OK;
    return ex_fail(err, EX_EVERIFY, "the verifier key is not one of the log's %zu keys (the "
                   "rotation records do not reach it)", out->n);
}

const ex_vkey *
ex_key_chain_at(const ex_key_chain *c, uint64_t size)
{
    for (size_t i = 0; i < c->n; i++)
        if (size >= c->w[i].from && size < c->w[i].to)
            return &c->w[i].key;
    return c->n ? &c->w[c->n - 1].key : NULL;
}

int
ex_checkpoint_open_chain(const char *note, size_t len, const ex_key_chain *c, ex_checkpoint *out,
                         ex_err *err)
{
    /* the size says whose key signs it; the signature then says whether the size is true */
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < len && !blank; i++)
        if (note[i] == '\n' && note[i + 1] == '\n')
            blank = note + i + 1;
    ex_checkpoint cp;
    int rc = blank ? ex_checkpoint_parse(note, (size_t)(blank - note), &cp, err)
                   : ex_fail(err, EX_EFORMAT, "checkpoint: not a signed note (no blank line)");
    if (rc != EX_OK)
        return rc;
    const ex_vkey *k = ex_key_chain_at(c, cp.size);
    if (!k)
        return ex_fail(err, EX_EINVAL, "no verifier key");
    return ex_checkpoint_open(note, len, k, out, err);
}
