/* cjson.c - canonical JSON writer. */
#include "cjson.h"

#include <stdlib.h>
#include <string.h>

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

static int
put_string(ex_buf *out, const char *s, size_t len, ex_err *err)
{
    if (!ex_utf8_valid(s, len))
        return ex_fail(err, EX_EINVAL, "string is not valid UTF-8");
    int rc = ex_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; rc == EX_OK && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char ubuf[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                static const char hx[] = "0123456789abcdef";
                memcpy(ubuf, "\\u00", 4);
                ubuf[4] = hx[c >> 4];
                ubuf[5] = hx[c & 15];
                ubuf[6] = '\0';
                esc = ubuf;
            }
        }
        if (!esc)
            continue;
        rc = ex_buf_put(out, s + run, i - run);
        if (rc == EX_OK)
            rc = ex_buf_puts(out, esc);
        run = i + 1;
    }
    if (rc == EX_OK)
        rc = ex_buf_put(out, s + run, len - run);
    if (rc == EX_OK)
        rc = ex_buf_putc(out, '"');
    return rc;
}

int
ex_json_canon(const json_t *v, ex_buf *out, ex_err *err)
{
    int rc = EX_OK;
    switch (json_typeof(v)) {
    case JSON_NULL: return ex_buf_puts(out, "null");
    case JSON_TRUE: return ex_buf_puts(out, "true");
    case JSON_FALSE: return ex_buf_puts(out, "false");
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        if (i > EX_JSON_INT_MAX || i < -EX_JSON_INT_MAX)
            return ex_fail(err, EX_EINVAL, "integer %lld is outside the exact range of JSON",
                           (long long)i);
        return ex_buf_printf(out, "%lld", (long long)i);
    }
    case JSON_REAL: return ex_fail(err, EX_EINVAL, "non-integer numbers have no canonical form here");
    case JSON_STRING: return put_string(out, json_string_value(v), json_string_length(v), err);
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        rc = ex_buf_putc(out, '[');
        json_array_foreach((json_t *)v, i, e)
        {
            if (rc == EX_OK && i)
                rc = ex_buf_putc(out, ',');
            if (rc == EX_OK)
                rc = ex_json_canon(e, out, err);
        }
        return rc == EX_OK ? ex_buf_putc(out, ']') : rc;
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
        rc = ex_buf_putc(out, '{');
        for (i = 0; rc == EX_OK && i < n; i++) {
            if (i)
                rc = ex_buf_putc(out, ',');
            if (rc == EX_OK)
                rc = put_string(out, keys[i], strlen(keys[i]), err);
            if (rc == EX_OK)
                rc = ex_buf_putc(out, ':');
            if (rc == EX_OK)
                rc = ex_json_canon(json_object_get(v, keys[i]), out, err);
        }
        free(keys);
        return rc == EX_OK ? ex_buf_putc(out, '}') : rc;
    }
    }
    return ex_fail(err, EX_EINVAL, "unknown JSON type");
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

/* ---- direct writer ---- */

int
ex_cjson_string(ex_buf *b, const char *s, size_t len)
{
    if (!ex_utf8_valid(s, len))
        return EX_EINVAL;
    if (ex_buf_reserve(b, len + 2) != EX_OK)
        return EX_ENOMEM;
    b->data[b->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char esc[8];
        size_t el = 2;
        esc[0] = '\\';
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

int
ex_cjw_begin(ex_cjw *w, ex_buf *b)
{
    w->b = b;
    w->n = 0;
    return ex_buf_putc(b, '{');
}

static int
member(ex_cjw *w, const char *key)
{
    if (w->n++ && ex_buf_putc(w->b, ',') != EX_OK)
        return EX_ENOMEM;
    int rc = ex_cjson_string(w->b, key, strlen(key));
    return rc == EX_OK ? ex_buf_putc(w->b, ':') : rc;
}

int
ex_cjw_str(ex_cjw *w, const char *key, const char *v, size_t len)
{
    int rc = member(w, key);
    return rc == EX_OK ? ex_cjson_string(w->b, v, len) : rc;
}

int
ex_cjw_int(ex_cjw *w, const char *key, int64_t v)
{
    if (v > EX_JSON_INT_MAX || v < -EX_JSON_INT_MAX)
        return EX_EINVAL;
    int rc = member(w, key);
    return rc == EX_OK ? ex_buf_printf(w->b, "%lld", (long long)v) : rc;
}

int
ex_cjw_null(ex_cjw *w, const char *key)
{
    int rc = member(w, key);
    return rc == EX_OK ? ex_buf_puts(w->b, "null") : rc;
}

int
ex_cjw_end(ex_cjw *w)
{
    return ex_buf_putc(w->b, '}');
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
