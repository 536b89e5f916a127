/* checkpoint.c - C2SP tlog-checkpoint bodies: origin, decimal size, base64 root, then
 * optional extension lines. */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

int
ex_checkpoint_format(const ex_checkpoint *c, char *buf, size_t cap, size_t *len)
{
    char root[64];
    ex_b64_encode(c->root, EX_HASH_BYTES, root);
    int n = snprintf(buf, cap, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, root);
    if (n < 0 || (size_t)n >= cap)
        return EX_ETOOBIG;
    *len = (size_t)n;
    return EX_OK;
}

/* checkpoint lines are UTF-8 text without control characters (notes forbid them too) */
static int
clean_line(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return ex_utf8_valid(s, len);
}

int
ex_checkpoint_parse(const char *text, size_t len, ex_checkpoint *out, ex_err *err)
{
    const char *p = text, *end = text + len, *line[3];
    size_t ll[3];
    for (int i = 0; i < 3; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return ex_fail(err, EX_EFORMAT, "checkpoint line %d is missing", i + 1);
        line[i] = p;
        ll[i] = (size_t)(nl - p);
        p = nl + 1;
    }
    ex_checkpoint c;
    memset(&c, 0, sizeof c);
    if (ll[0] == 0 || ll[0] > EX_NAME_MAX || !clean_line(line[0], ll[0]))
        return ex_fail(err, EX_EFORMAT, "checkpoint line 1: origin is empty or invalid");
    memcpy(c.origin, line[0], ll[0]);
    if (ll[1] == 0 || ll[1] > 20 || (line[1][0] == '0' && ll[1] > 1))
        return ex_fail(err, EX_EFORMAT, "checkpoint line 2: size is not a decimal number");
    for (size_t i = 0; i < ll[1]; i++) {
        unsigned d = (unsigned)(line[1][i] - '0');
        if (d > 9 || c.size > (UINT64_MAX - d) / 10)
            return ex_fail(err, EX_EFORMAT, "checkpoint line 2: size is not a decimal number");
        c.size = c.size * 10 + d;
    }
    size_t rl;
    if (ex_b64_decode(line[2], ll[2], c.root, EX_HASH_BYTES, &rl) != EX_OK || rl != EX_HASH_BYTES)
        return ex_fail(err, EX_EFORMAT, "checkpoint line 3: root is not base64 of 32 bytes");
    /* extension lines: non-empty, newline-terminated */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || nl == p || !clean_line(p, (size_t)(nl - p)))
            return ex_fail(err, EX_EFORMAT, "checkpoint has an empty, unterminated or invalid "
                                            "extension line");
        p = nl + 1;
    }
    *out = c;
    return EX_OK;
}

int
ex_checkpoint_open(const char *note, size_t len, const ex_vkey *key, ex_checkpoint *out,
                   ex_err *err)
{
    size_t tlen;
    int rc = ex_note_verify(note, len, key, 1, &tlen, NULL, err);
    if (rc != EX_OK)
        return rc;
    return ex_checkpoint_parse(note, tlen, out, err);
}
