/* cjson.c - the canonical JSON writer (cjson.h). */
#include "cjson.h"

#include <stdlib.h>

/* ---- strings ---- */

/* 1 if s[0..len) has only bytes 0x20-0x7f other than '"' and '\\': then it is its own
 * canonical form. Eight bytes at a time: the has-less/has-zero word tests have no false
 * negatives, and a false positive only takes the slower path, which writes the same bytes. */
static int
plain(const char *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x, q, bs;
        memcpy(&x, s + i, 8);
        q = x ^ (ones * '"');
        bs = x ^ (ones * '\\');
        if ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high)
            return 0;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* s as a JSON string, escaped minimally; EX_EINVAL if it is not UTF-8 */
static int
put_string(ex_buf *b, const char *s, size_t len)
{
    if (plain(s, len)) {
        if (ex_buf_reserve(b, len + 2) != EX_OK)
            return EX_ENOMEM;
        char *o = b->data + b->len;
        o[0] = '"';
        memcpy(o + 1, s, len);
        o[len + 1] = '"';
        b->len += len + 2;
        return EX_OK;
    }
    if (!ex_utf8_valid(s, len))
        return EX_EINVAL;
    if (ex_buf_putc(b, '"') != EX_OK)
        return EX_ENOMEM;
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char esc[6] = {'\\', 0};
        size_t el = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: {
            static const char hx[] = "0123456789abcdef";
            memcpy(esc + 1, "u00", 3);
            esc[4] = hx[c >> 4];
            esc[5] = hx[c & 15];
            el = 6;
        }
        }
        if (ex_buf_put(b, s + run, i - run) != EX_OK || ex_buf_put(b, esc, el) != EX_OK)
            return EX_ENOMEM;
        run = i + 1;
    }
    if (ex_buf_put(b, s + run, len - run) != EX_OK || ex_buf_putc(b, '"') != EX_OK)
        return EX_ENOMEM;
    return EX_OK;
}

static int
put_int(ex_buf *b, int64_t v)
{
    if (v > EX_JSON_INT_MAX || v < -EX_JSON_INT_MAX)
        return EX_EINVAL;
    char t[24];
    size_t i = sizeof t;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        t[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        t[--i] = '-';
    return ex_buf_put(b, t + i, sizeof t - i);
}

/* ---- the member-by-member writer ---- */

static void
failed(ex_cj *w, int rc, const char *why)
{
    if (w->rc == EX_OK) {
        w->rc = rc;
        w->why = rc == EX_ENOMEM ? "out of memory" : why;
    }
}

void
ex_cj_init(ex_cj *w, ex_buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

/* Before a value: the separator it needs. 0 if the writer has failed or the value has no
 * place (a value inside an object needs a key first). */
static int
value_start(ex_cj *w)
{
    if (w->rc != EX_OK)
        return 0;
    if (w->keyed) {
        w->keyed = 0;
        return 1;
    }
    if (w->depth == 0)
        return 1;
    uint32_t bit = 1u << (w->depth - 1);
    if (!(w->array & bit)) {
        failed(w, EX_EINVAL, "a value without a key inside an object");
        return 0;
    }
    if ((w->more & bit) && ex_buf_putc(w->b, ',') != EX_OK) {
        failed(w, EX_ENOMEM, NULL);
        return 0;
    }
    w->more |= bit;
    return 1;
}

static void
open_container(ex_cj *w, char c, int array)
{
    if (!value_start(w))
        return;
    if (w->depth == EX_CJ_DEPTH) {
        failed(w, EX_EINVAL, "nested too deep");
        return;
    }
    if (ex_buf_putc(w->b, c) != EX_OK) {
        failed(w, EX_ENOMEM, NULL);
        return;
    }
    uint32_t bit = 1u << w->depth++;
    w->more &= ~bit;
    w->array = array ? w->array | bit : w->array & ~bit;
#ifndef NDEBUG
    w->last[w->depth - 1] = NULL;
#endif
}

void
ex_cj_obj(ex_cj *w)
{
    open_container(w, '{', 0);
}

void
ex_cj_arr(ex_cj *w)
{
    open_container(w, '[', 1);
}

void
ex_cj_end(ex_cj *w)
{
    if (w->rc != EX_OK)
        return;
    if (w->depth == 0 || w->keyed) {
        failed(w, EX_EINVAL, w->depth ? "a key without a value" : "nothing to close");
        return;
    }
    uint32_t bit = 1u << --w->depth;
    if (ex_buf_putc(w->b, (w->array & bit) ? ']' : '}') != EX_OK)
        failed(w, EX_ENOMEM, NULL);
}

void
ex_cj_keyn(ex_cj *w, const char *k, size_t n)
{
    if (w->rc != EX_OK)
        return;
    uint32_t bit = w->depth ? 1u << (w->depth - 1) : 0;
    if (!bit || (w->array & bit) || w->keyed) {
        failed(w, EX_EINVAL, "a key outside an object");
        return;
    }
#ifndef NDEBUG
    /* keys must come in canonical order and be their own JSON form (cjson.h) */
    const char *prev = w->last[w->depth - 1];
    size_t pl = w->lastlen[w->depth - 1];
    int c = prev ? memcmp(prev, k, pl < n ? pl : n) : -1;
    if (!plain(k, n) || (prev && (c > 0 || (c == 0 && pl >= n)))) {
        failed(w, EX_EINVAL, "keys out of canonical order");
        return;
    }
    w->last[w->depth - 1] = k;
    w->lastlen[w->depth - 1] = n;
#endif
    if (ex_buf_reserve(w->b, n + 4) != EX_OK) {
        failed(w, EX_ENOMEM, NULL);
        return;
    }
    char *o = w->b->data + w->b->len;
    size_t i = 0;
    if (w->more & bit)
        o[i++] = ',';
    o[i++] = '"';
    memcpy(o + i, k, n);
    i += n;
    o[i++] = '"';
    o[i++] = ':';
    w->b->len += i;
    w->more |= bit;
    w->keyed = 1;
}

void
ex_cj_str(ex_cj *w, const char *s, size_t len)
{
    int rc;
    if (value_start(w) && (rc = put_string(w->b, s, len)) != EX_OK)
        failed(w, rc, "a string that is not UTF-8");
}

void
ex_cj_int(ex_cj *w, int64_t v)
{
    int rc;
    if (value_start(w) && (rc = put_int(w->b, v)) != EX_OK)
        failed(w, rc, "an integer outside the exact range of JSON");
}

void
ex_cj_null(ex_cj *w)
{
    if (value_start(w) && ex_buf_put(w->b, "null", 4) != EX_OK)
        failed(w, EX_ENOMEM, NULL);
}

void
ex_cj_bool(ex_cj *w, int v)
{
    if (value_start(w) && ex_buf_puts(w->b, v ? "true" : "false") != EX_OK)
        failed(w, EX_ENOMEM, NULL);
}

void
ex_cj_members(ex_cj *w, const char *frag, size_t len, const char *last_key)
{
    if (w->rc != EX_OK || len == 0)
        return;
    uint32_t bit = w->depth ? 1u << (w->depth - 1) : 0;
    if (!bit || (w->array & bit) || w->keyed) {
        failed(w, EX_EINVAL, "members outside an object");
        return;
    }
    if (((w->more & bit) && ex_buf_putc(w->b, ',') != EX_OK) || ex_buf_put(w->b, frag, len))
        failed(w, EX_ENOMEM, NULL);
    w->more |= bit;
#ifndef NDEBUG
    w->last[w->depth - 1] = last_key;
    w->lastlen[w->depth - 1] = last_key ? strlen(last_key) : 0;
#else
    (void)last_key;
#endif
}

int
ex_cj_done(ex_cj *w)
{
    if (w->rc == EX_OK && (w->depth || w->keyed))
        failed(w, EX_EINVAL, "an object or array left open");
    return w->rc;
}

/* ---- jansson values ---- */

/* Next UTF-16 code unit of a UTF-8 string; *pending holds a low surrogate still owed. */
static unsigned
next_unit(const unsigned char **p, const unsigned char *end, unsigned *pending)
{
    if (*pending) {
        unsigned u = *pending;
        *pending = 0;
        return u;
    }
    unsigned c = *(*p)++;
    uint32_t cp;
    if (c < 0x80)
        return c;
    int n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : 3;
    cp = c & (0x3f >> n);
    for (int i = 0; i < n && *p < end; i++)
        cp = (cp << 6) | (*(*p)++ & 0x3f);
    if (cp >= 0x10000) {
        cp -= 0x10000;
        *pending = 0xdc00 | (cp & 0x3ff);
        return 0xd800 | (cp >> 10);
    }
    return cp;
}

/* RFC 8785 3.2.3: keys compare as arrays of UTF-16 code units */
static int
utf16_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    const unsigned char *p = (const unsigned char *)x, *q = (const unsigned char *)y;
    const unsigned char *pe = p + strlen(x), *qe = q + strlen(y);
    unsigned pp = 0, qp = 0;
    while ((p < pe || pp) && (q < qe || qp)) {
        unsigned u = next_unit(&p, pe, &pp), v = next_unit(&q, qe, &qp);
        if (u != v)
            return u < v ? -1 : 1;
    }
    if (p < pe || pp)
        return 1;
    if (q < qe || qp)
        return -1;
    return 0;
}

/* v and what it holds, appended to b; *why names a failure */
static int
put_json(ex_buf *b, const json_t *v, const char **why)
{
    int rc = EX_OK;
    switch (json_typeof(v)) {
    case JSON_NULL: return ex_buf_put(b, "null", 4);
    case JSON_TRUE: return ex_buf_put(b, "true", 4);
    case JSON_FALSE: return ex_buf_put(b, "false", 5);
    case JSON_INTEGER:
        *why = "an integer outside the exact range of JSON";
        return put_int(b, (int64_t)json_integer_value(v));
    case JSON_REAL: *why = "a non-integer number (no canonical form here)"; return EX_EINVAL;
    case JSON_STRING:
        *why = "a string that is not UTF-8";
        return put_string(b, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        rc = ex_buf_putc(b, '[');
        json_array_foreach((json_t *)v, i, e)
        {
            if (rc == EX_OK && i)
                rc = ex_buf_putc(b, ',');
            if (rc == EX_OK)
                rc = put_json(b, e, why);
        }
        return rc == EX_OK ? ex_buf_putc(b, ']') : rc;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys)
            return EX_ENOMEM;
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) keys[i++] = k;
        qsort(keys, n, sizeof *keys, utf16_cmp);
        rc = ex_buf_putc(b, '{');
        for (i = 0; rc == EX_OK && i < n; i++) {
            if (i)
                rc = ex_buf_putc(b, ',');
            *why = "a key that is not UTF-8";
            if (rc == EX_OK)
                rc = put_string(b, keys[i], strlen(keys[i]));
            if (rc == EX_OK)
                rc = ex_buf_putc(b, ':');
            if (rc == EX_OK)
                rc = put_json(b, json_object_get(v, keys[i]), why);
        }
        free(keys);
        return rc == EX_OK ? ex_buf_putc(b, '}') : rc;
    }
    }
    *why = "an unknown JSON type";
    return EX_EINVAL;
}

void
ex_cj_json(ex_cj *w, const json_t *v)
{
    const char *why = NULL;
    int rc;
    if (value_start(w) && (rc = put_json(w->b, v, &why)) != EX_OK)
        failed(w, rc, why);
}

int
ex_json_canon(const json_t *v, ex_buf *out, ex_err *err)
{
    ex_cj w;
    ex_cj_init(&w, out);
    ex_cj_json(&w, v);
    int rc = ex_cj_done(&w);
    return rc == EX_OK ? EX_OK : ex_fail(err, rc, "cannot write canonical JSON: %s", w.why);
}

char *
ex_json_canon_dup(const json_t *v, size_t *len, ex_err *err)
{
    ex_buf b = {0};
    if (ex_json_canon(v, &b, err) != EX_OK) {
        ex_buf_free(&b);
        return NULL;
    }
    return ex_buf_take(&b, len);
}

/* ---- public wrapper (exante.h) ---- */

int
ex_json_canonical_dup(const struct json_t *v, char **out, size_t *len, ex_err *err)
{
    ex_err e = {0};
    char *s = ex_json_canon_dup(v, len, &e);
    if (!s) {
        /* the writer names its code; an empty take can only be memory */
        int rc = e.code ? e.code : ex_fail(&e, EX_ENOMEM, "out of memory");
        if (err)
            *err = e;
        return rc;
    }
    *out = s;
    return EX_OK;
}

int
ex_json_keys_check(json_t *o, const char *const *keys, int nreq, const char **key)
{
    *key = NULL;
    if (!json_is_object(o))
        return EX_JKEYS_NOT_OBJECT;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++)
            ok = strcmp(k, keys[i]) == 0;
        if (!ok) {
            *key = k;
            return EX_JKEYS_UNKNOWN;
        }
    }
    for (int i = 0; i < nreq; i++)
        if (!json_object_get(o, keys[i])) {
            *key = keys[i];
            return EX_JKEYS_MISSING;
        }
    return EX_JKEYS_OK;
}
