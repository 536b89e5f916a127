/* fields.c - reading stored records by parsing them (ledger.h): a validating scan of the whole
 * record (ingest/jsonscan.h) that locates the named top-level fields and builds no tree. */
#include "ledger.h"

#include <string.h>

int
ex_fields_init(ex_fields *f, const char *const *paths, unsigned n)
{
    memset(f, 0, sizeof *f);
    f->n = n;
    return ex_jscan_compile(&f->spec, paths, n, NULL);
}

void
ex_fields_free(ex_fields *f)
{
    ex_buf_free(&f->buf);
}

/* a non-negative integer token of at most 18 digits, else -1 */
static int64_t
whole(const char *p, size_t n)
{
    if (n == 0 || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int
ex_fields_read(ex_fields *f, const char *rec, size_t len)
{
    ex_jscan_result res;
    if (ex_jscan_line(&f->spec, (const uint8_t *)rec, len, &res) != EX_JSCAN_OK ||
        res.top != EX_JSON_OBJECT)
        return EX_EFORMAT;
    size_t at[EX_JSCAN_FIELDS];
    f->buf.len = 0;
    for (unsigned i = 0; i < f->n; i++) {
        const ex_jscan_val *v = &res.v[i];
        at[i] = SIZE_MAX;
        f->num[i] = v->type == EX_JSON_NUMBER ? whole(rec + v->off, v->len) : -1;
        if (v->type != EX_JSON_STRING)
            continue;
        if (ex_buf_reserve(&f->buf, v->len + 1) != EX_OK)
            return EX_ENOMEM;
        at[i] = f->buf.len;
        uint8_t *o = (uint8_t *)f->buf.data + at[i];
        size_t k = v->escaped ? ex_jscan_unescape((const uint8_t *)rec + v->off, v->len, o)
                              : (memcpy(o, rec + v->off, v->len), v->len);
        o[k] = '\0';
        f->buf.len += k + 1;
    }
    for (unsigned i = 0; i < f->n; i++) /* pointers last: buf may have moved */
        f->str[i] = at[i] == SIZE_MAX ? NULL : f->buf.data + at[i];
    return EX_OK;
}
