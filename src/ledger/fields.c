/* fields.c - reading stored records by parsing them (ledger.h): a validating scan of the whole
 * record (ingest/jsonscan.h) that locates the named top-level fields and builds no tree, after
 * a faster scan that reads records of the shape the ledger writes them in and leaves every
 * other record to it. */
#include "ledger.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int
ex_fields_init(ex_fields *f, const char *const *paths, unsigned n)
{
    memset(f, 0, sizeof *f);
    f->n = n;
    int rc = ex_jscan_compile(&f->spec, paths, n, NULL);
    f->flat = rc == EX_OK;
    for (unsigned i = 0; i < n; i++)
        f->flat &= f->spec.f[i].nseg == 1;
    return rc;
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

/* f's strings and numbers from where its values lie in rec */
static int
fill(ex_fields *f, const char *rec, const ex_jscan_val *v)
{
    size_t at[EX_JSCAN_FIELDS];
    f->buf.len = 0;
    for (unsigned i = 0; i < f->n; i++) {
        at[i] = SIZE_MAX;
        f->num[i] = v[i].type == EX_JSON_NUMBER ? whole(rec + v[i].off, v[i].len) : -1;
        if (v[i].type != EX_JSON_STRING)
            continue;
        if (ex_buf_reserve(&f->buf, v[i].len + 1) != EX_OK)
            return EX_ENOMEM;
        at[i] = f->buf.len;
        uint8_t *o = (uint8_t *)f->buf.data + at[i];
        size_t k = v[i].escaped
                       ? ex_jscan_unescape((const uint8_t *)rec + v[i].off, v[i].len, o)
                       : (memcpy(o, rec + v[i].off, v[i].len), v[i].len);
        o[k] = '\0';
        f->buf.len += k + 1;
    }
    for (unsigned i = 0; i < f->n; i++) /* pointers last: buf may have moved */
        f->str[i] = at[i] == SIZE_MAX ? NULL : f->buf.data + at[i];
    return EX_OK;
}

int
ex_fields_read_scan(ex_fields *f, const char *rec, size_t len)
{
    ex_jscan_result res;
    if (ex_jscan_line(&f->spec, (const uint8_t *)rec, len, &res) != EX_JSCAN_OK ||
        res.top != EX_JSON_OBJECT)
        return EX_EFORMAT;
    return fill(f, rec, res.v);
}

/* ---- the flat scan ---- */

/* The end of a run of plain string bytes at p: the first '"', '\\', control byte or byte of
 * 0x80 and more (which the full scan checks as UTF-8), or end. Most of a record is in strings
 * (digests, reasons), so they go 16 bytes at a time where the CPU can. */
static inline const uint8_t *
plain_run(const uint8_t *p, const uint8_t *end)
{
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), vc = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        /* signed: bytes 0x80 and more are below 0x20 too */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)),
                                    _mm_cmplt_epi8(v, vc));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80)
        p++;
    return p;
}

/* A scalar at p < end (string, integer, null, true, false) into *v; the byte after it, or
 * NULL when it is not one the flat scan reads. */
static const uint8_t *
flat_scalar(const uint8_t *line, const uint8_t *p, const uint8_t *end, ex_jscan_val *v)
{
    const uint8_t *s = p;
    if (*p == '"') {
        int esc = 0;
        s = ++p;
        for (;;) {
            p = plain_run(p, end);
            if (p == end || (*p != '"' && *p != '\\'))
                return NULL; /* unterminated, a control byte, or UTF-8 to check */
            if (*p == '"')
                break;
            if (++p == end || !strchr("\"\\/bfnrt", *p) || !*p)
                return NULL; /* \u (surrogates to pair) or not an escape */
            esc = 1;
            p++;
        }
        *v = (ex_jscan_val){EX_JSON_STRING, (size_t)(s - line), (size_t)(p - s), esc};
        return p + 1;
    }
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        /* integers only: a fraction or exponent is left to the full scan */
        if (*p == '-' && ++p == end)
            return NULL;
        if (*p == '0')
            p++;
        else if (*p >= '1' && *p <= '9')
            while (p < end && *p >= '0' && *p <= '9')
                p++;
        else
            return NULL;
        *v = (ex_jscan_val){EX_JSON_NUMBER, (size_t)(s - line), (size_t)(p - s), 0};
        return p;
    }
    static const struct {
        const char *word;
        size_t n;
        int type;
    } words[3] = {{"null", 4, EX_JSON_NULL}, {"true", 4, EX_JSON_BOOL}, {"false", 5, EX_JSON_BOOL}};
    for (int i = 0; i < 3; i++)
        if ((size_t)(end - p) >= words[i].n && memcmp(p, words[i].word, words[i].n) == 0) {
            *v = (ex_jscan_val){words[i].type, (size_t)(s - line), words[i].n, 0};
            return p + words[i].n;
        }
    return NULL;
}

/* Records as the ledger writes them (core/cjson.h) are one object with no whitespace, ASCII
 * keys and strings, integer numbers and values that are scalars or arrays of scalars: that
 * shape alone is read here, with what the full scan would find (it is strict JSON, so the full
 * scan accepts it, and locates the same values). Anything else (whitespace, a nested object,
 * a fraction, UTF-8, a \u escape, a requested key twice, an error) is for the full scan. */
int
ex_fields_read_flat(ex_fields *f, const char *rec, size_t len)
{
    const uint8_t *line = (const uint8_t *)rec, *p = line, *end = line + len;
    ex_jscan_val v[EX_JSCAN_FIELDS]; /* only f->n of them: clearing all was 15% of a read */
    if (!f->flat || len < 2 || p[0] != '{' || end[-1] != '}')
        return 0;
    for (unsigned i = 0; i < f->n; i++)
        v[i].type = EX_JSON_ABSENT;
    p++;
    if (*p == '}')
        return p + 1 == end && fill(f, rec, v) == EX_OK;
    for (;;) {
        if (p == end || *p != '"')
            return 0;
        const uint8_t *k = ++p;
        p = plain_run(p, end);
        if (p == end || *p != '"')
            return 0; /* an escaped or non-ASCII key: the full scan compares it decoded */
        size_t klen = (size_t)(p - k);
        if (++p == end || *p++ != ':' || p == end)
            return 0;
        ex_jscan_val got;
        if (*p == '[') {
            got = (ex_jscan_val){EX_JSON_ARRAY, (size_t)(p - line), 0, 0};
            p++;
            if (p < end && *p == ']')
                p++;
            else
                for (;;) {
                    ex_jscan_val e;
                    if (p == end || !(p = flat_scalar(line, p, end, &e)) || p == end)
                        return 0;
                    if (*p == ']') {
                        p++;
                        break;
                    }
                    if (*p++ != ',')
                        return 0;
                }
        } else if (!(p = flat_scalar(line, p, end, &got))) {
            return 0;
        }
        for (unsigned i = 0; i < f->n; i++)
            if (f->spec.f[i].seglen[0] == klen && (klen == 0 || f->spec.f[i].seg[0][0] == *k) &&
                memcmp(f->spec.f[i].seg[0], k, klen) == 0) {
                if (v[i].type != EX_JSON_ABSENT)
                    return 0; /* twice: the full scan refuses it */
                v[i] = got;
            }
        if (p == end)
            return 0;
        if (*p == '}')
            return p + 1 == end && fill(f, rec, v) == EX_OK;
        if (*p++ != ',')
            return 0;
    }
}

int
ex_fields_read(ex_fields *f, const char *rec, size_t len)
{
    if (ex_fields_read_flat(f, rec, len))
        return EX_OK;
    return ex_fields_read_scan(f, rec, len);
}
