/* tdmrep.c - TDMRep declarations from HTTP headers, HTML meta tags and tdmrep.json, and their
 * processing priority (tdm.h, docs/SIGNALS.md). */
#include "signals/html.h"
#include "signals/noai.h"
#include "signals/tdm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void
ex_tdm_clear(ex_tdm *t)
{
    t->reservation = -1;
    t->policy[0] = '\0';
    t->source = EX_TDM_FROM_NONE;
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int
ci_eq(const char *a, size_t an, const char *lit)
{
    size_t i;
    for (i = 0; i < an; i++)
        if (lit[i] == '\0' || lower((unsigned char)a[i]) != (unsigned char)lit[i])
            return 0;
    return lit[i] == '\0';
}

static int
is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static const char *
trim(const char *s, size_t *n)
{
    while (*n && is_ws((unsigned char)s[0])) {
        s++;
        (*n)--;
    }
    while (*n && is_ws((unsigned char)s[*n - 1]))
        (*n)--;
    return s;
}

/* ---- header fields and meta tags ------------------------------------------------------- */

typedef struct acc {
    ex_tdm *out;
    int source, seen, any0, any1;
} acc;

/* A tdm-reservation value: comma-separated members, each "0" or "1" after trimming. */
static void
add_reservation(acc *a, const char *v, size_t n)
{
    a->seen = 1;
    while (n > 0) {
        const char *c = memchr(v, ',', n);
        size_t e = c ? (size_t)(c - v) : n;
        size_t mn = e;
        const char *m = trim(v, &mn);
        if (mn == 1 && m[0] == '1')
            a->any1 = 1;
        else if (mn == 1 && m[0] == '0')
            a->any0 = 1;
        if (!c)
            break;
        v += e + 1;
        n -= e + 1;
    }
}

/* A tdm-policy value: kept if it is the first non-empty one, fits, is UTF-8 and has no
 * whitespace or control characters. */
static void
add_policy(acc *a, const char *v, size_t n)
{
    a->seen = 1;
    v = trim(v, &n);
    if (n == 0 || n >= EX_TDM_POLICY_MAX || a->out->policy[0] != '\0')
        return;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x21 || v[i] == 0x7f)
            return;
    if (!ex_utf8_valid(v, n))
        return;
    memcpy(a->out->policy, v, n);
    a->out->policy[n] = '\0';
}

static int
on_tdm(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen)
{
    acc *a = ctx;
    name = trim(name, &nlen);
    if (ci_eq(name, nlen, "tdm-reservation"))
        add_reservation(a, v, vlen);
    else if (ci_eq(name, nlen, "tdm-policy"))
        add_policy(a, v, vlen);
    return 0;
}

static void
finish(acc *a)
{
    a->out->reservation = a->any1 ? 1 : a->any0 ? 0 : -1;
    a->out->source = a->seen ? a->source : EX_TDM_FROM_NONE;
}

int
ex_tdm_from_headers(const char *hdrs, size_t len, ex_tdm *out)
{
    if (!out)
        return EX_EINVAL;
    ex_tdm_clear(out);
    acc a = {out, EX_TDM_FROM_HEADER, 0, 0, 0};
    ex_signals_fields(hdrs, len, "tT", on_tdm, &a);
    finish(&a);
    return EX_OK;
}

int
ex_tdm_from_html(const char *html, size_t len, ex_tdm *out)
{
    if (!out)
        return EX_EINVAL;
    ex_tdm_clear(out);
    acc a = {out, EX_TDM_FROM_META, 0, 0, 0};
    if (ex_html_has_meta(html, len))
        ex_html_metas(html, len, on_tdm, &a);
    finish(&a);
    return EX_OK;
}

void
ex_tdm_resolve(const ex_tdm *file, const ex_tdm *header, const ex_tdm *meta, ex_tdm *out)
{
    const ex_tdm *order[3] = {file, header, meta};
    const char *policy = "";
    int reservation = -1, source = EX_TDM_FROM_NONE;
    for (int k = 0; k < 3; k++) {
        const ex_tdm *t = order[k];
        if (!t)
            continue;
        if (t->reservation == 0 || t->reservation == 1) {
            reservation = t->reservation;
            source = t->source;
        }
        if (t->policy[0] != '\0')
            policy = t->policy;
    }
    /* policy may alias out->policy: copy through a bounded move */
    size_t n = strnlen(policy, EX_TDM_POLICY_MAX - 1);
    if (reservation != 1)
        n = 0;
    memmove(out->policy, policy, n);
    out->policy[n] = '\0';
    out->reservation = reservation;
    out->source = source;
}

/* ---- tdmrep.json ------------------------------------------------------------------------- */

typedef struct rule {
    size_t loc, pat, policy; /* offsets into the arena, then nothing else: see ex_tdmrep */
    size_t plen;             /* canonical pattern length; '*' is the wildcard */
    size_t first;            /* bytes before the first '*' (plen if none) */
    int anchored;            /* the location ended in '$' */
    int reservation;         /* -1, 0, 1 */
} rule;

struct ex_tdmrep {
    size_t n;
    rule *rules;
    char *arena;
};

static int
unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static int
reserved(unsigned char c)
{
    return c != '\0' && strchr(":/?#[]@!$&'()*+,;=", c) != NULL;
}

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static const char HEX[] = "0123456789ABCDEF";

/* The canonical form in which patterns and paths are compared (docs/SIGNALS.md): %XX of an
 * unreserved character is decoded, other %XX get uppercase hex, bytes that are neither
 * unreserved nor reserved (controls, space, non-ASCII, '"', '<', ...) and a '%' that starts no
 * escape are percent-encoded. In a path '*' and '$' become %2A and %24; in a pattern '*' stays
 * the wildcard and '$' becomes %24 (the caller strips a final '$' first). out needs 3n bytes;
 * returns the length written. */
static size_t
canon(const char *s, size_t n, int pattern, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int b = -1;
        if (c == '%' && i + 2 < n) {
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h >= 0 && l >= 0)
                b = h * 16 + l;
        }
        if (b >= 0) {
            i += 2;
            if (unreserved((unsigned char)b)) {
                out[o++] = (char)b;
                continue;
            }
            c = (unsigned char)b;
        } else if (c == '*' && pattern) {
            out[o++] = '*';
            continue;
        } else if (c != '*' && c != '$' && c != '%' && (unreserved(c) || reserved(c))) {
            out[o++] = (char)c;
            continue;
        }
        out[o++] = '%';
        out[o++] = HEX[c >> 4];
        out[o++] = HEX[c & 15];
    }
    return o;
}

/* 1 if canon(s, n, 0) would give s back unchanged. */
static int
canonical_path(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '*' || c == '$' || c == '%' || !(unreserved(c) || reserved(c)))
            return 0;
    }
    return 1;
}

static int
rule_match(const ex_tdmrep *t, const rule *r, const char *p, size_t n)
{
    const char *pat = t->arena + r->pat;
    size_t m = r->plen;
    if (r->first == m) {
        if (r->anchored)
            return n == m && memcmp(p, pat, m) == 0;
        return n >= m && memcmp(p, pat, m) == 0;
    }
    if (n < r->first || memcmp(p, pat, r->first) != 0)
        return 0;
    size_t pos = r->first, k = r->first + 1;
    for (;;) {
        const char *star = memchr(pat + k, '*', m - k);
        size_t end = star ? (size_t)(star - pat) : m, sl = end - k;
        if (!star) {
            if (r->anchored)
                return n - pos >= sl && memcmp(p + n - sl, pat + k, sl) == 0;
            return sl == 0 || memmem(p + pos, n - pos, pat + k, sl) != NULL;
        }
        if (sl > 0) {
            /* leftmost is enough: a later segment can only gain from an earlier position */
            const char *f = memmem(p + pos, n - pos, pat + k, sl);
            if (!f)
                return 0;
            pos = (size_t)(f - p) + sl;
        }
        k = end + 1;
    }
}

static int
fail_rule(ex_err *err, int code, size_t i, const char *what)
{
    return ex_fail(err, code, "tdmrep.json: rule %zu: %s", i + 1, what);
}

int
ex_tdmrep_parse(const char *json, size_t len, ex_tdmrep **out, ex_err *err)
{
    ex_tdmrep *t = NULL;
    json_t *root = NULL;
    ex_buf arena = {0};
    int rc = EX_OK;
    if (!out || (!json && len))
        return ex_fail(err, EX_EINVAL, "tdmrep.json: no input");
    if (len > EX_TDMREP_MAX_BYTES)
        return ex_fail(err, EX_ETOOBIG, "tdmrep.json: %zu bytes, over the limit of %u", len,
                       EX_TDMREP_MAX_BYTES);
    if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0) {
        json += 3;
        len -= 3;
    }
    json_error_t je;
    root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return ex_fail(err, EX_EFORMAT, "tdmrep.json: %s at line %d, column %d", je.text, je.line,
                       je.column);
    if (!json_is_array(root)) {
        rc = ex_fail(err, EX_EFORMAT, "tdmrep.json: not a JSON array of rules");
        goto out;
    }
    size_t n = json_array_size(root);
    if (n > EX_TDMREP_MAX_RULES) {
        rc = ex_fail(err, EX_ETOOBIG, "tdmrep.json: %zu rules, over the limit of %d", n,
                     EX_TDMREP_MAX_RULES);
        goto out;
    }
    t = calloc(1, sizeof *t);
    if (!t || (n && !(t->rules = calloc(n, sizeof *t->rules)))) {
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(root, i);
        rule *r = &t->rules[i];
        if (!json_is_object(o)) {
            rc = fail_rule(err, EX_EFORMAT, i, "not a JSON object");
            goto out;
        }
        json_t *loc = json_object_get(o, "location"), *res = json_object_get(o, "tdm-reservation");
        json_t *pol = json_object_get(o, "tdm-policy");
        if (!loc) {
            rc = fail_rule(err, EX_EFORMAT, i, "no location");
            goto out;
        }
        if (!json_is_string(loc)) {
            rc = fail_rule(err, EX_EFORMAT, i, "location is not a string");
            goto out;
        }
        const char *ls = json_string_value(loc);
        size_t ll = json_string_length(loc);
        if (ll == 0 || (ls[0] != '/' && ls[0] != '*')) {
            rc = fail_rule(err, EX_EFORMAT, i, "location must start with '/' or '*'");
            goto out;
        }
        if (ll > EX_TDMREP_LOCATION_MAX) {
            rc = fail_rule(err, EX_EFORMAT, i, "location longer than 2048 bytes");
            goto out;
        }
        if (!res) {
            rc = fail_rule(err, EX_EFORMAT, i, "no tdm-reservation");
            goto out;
        }
        if (pol && !json_is_string(pol) && !json_is_null(pol)) {
            rc = fail_rule(err, EX_EFORMAT, i, "tdm-policy is not a string");
            goto out;
        }
        /* the report calls the value "a boolean value" and tables it as 1 / 0: both spellings */
        r->reservation = -1;
        if (json_is_integer(res) && (json_integer_value(res) == 0 || json_integer_value(res) == 1))
            r->reservation = (int)json_integer_value(res);
        else if (json_is_boolean(res))
            r->reservation = json_is_true(res);
        r->anchored = ls[ll - 1] == '$';
        size_t body = ll - (size_t)r->anchored;
        const char *ps = json_is_string(pol) ? json_string_value(pol) : "";
        size_t pl = json_is_string(pol) ? json_string_length(pol) : 0;
        if ((rc = ex_buf_reserve(&arena, ll + 1 + 3 * body + 1 + pl + 1)) != EX_OK) {
            rc = ex_fail(err, rc, "out of memory");
            goto out;
        }
        r->loc = arena.len;
        memcpy(arena.data + arena.len, ls, ll + 1);
        arena.len += ll + 1;
        r->pat = arena.len;
        r->plen = canon(ls, body, 1, arena.data + arena.len);
        arena.len += r->plen;
        arena.data[arena.len++] = '\0';
        const char *star = memchr(arena.data + r->pat, '*', r->plen);
        r->first = star ? (size_t)(star - (arena.data + r->pat)) : r->plen;
        r->policy = arena.len;
        memcpy(arena.data + arena.len, ps, pl);
        arena.len += pl;
        arena.data[arena.len++] = '\0';
    }
    t->n = n;
    t->arena = arena.data;
    arena.data = NULL;
    if (!t->arena && !(t->arena = calloc(1, 1))) {
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
        goto out;
    }
    *out = t;
    t = NULL;
out:
    ex_buf_free(&arena);
    ex_tdmrep_free(t);
    json_decref(root);
    return rc;
}

/* The path and query of a URL or path url[0..len), as a span of url; *leading_slash when the
 * URL has no path and a "/" goes in front. EX_EINVAL if it is neither. */
static int
url_path(const char *url, size_t len, const char **p, size_t *n, int *leading_slash)
{
    size_t i = 0;
    *leading_slash = 0;
    if (len > 0 && url[0] == '/') {
        i = 0;
    } else {
        /* scheme ":" "//" authority */
        while (i < len && ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
                           (i > 0 && ((url[i] >= '0' && url[i] <= '9') || url[i] == '+' ||
                                      url[i] == '-' || url[i] == '.'))))
            i++;
        if (i == 0 || len - i < 3 || memcmp(url + i, "://", 3) != 0)
            return EX_EINVAL;
        i += 3;
        while (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
            i++;
        if (i == len || url[i] != '/')
            *leading_slash = 1; /* "http://h" and "http://h?q" have the path "/" */
    }
    const char *hash = memchr(url + i, '#', len - i);
    *p = url + i;
    *n = (hash ? (size_t)(hash - url) : len) - i;
    return EX_OK;
}

int
ex_tdmrep_match(const ex_tdmrep *t, const char *url, size_t len, ex_tdm *out, unsigned *index)
{
    char stack[4096], *heap = NULL;
    const char *p;
    size_t n;
    int slash, rc;
    if (!t || !out || (!url && len))
        return EX_EINVAL;
    if (len > EX_TDMREP_URL_MAX)
        return EX_ETOOBIG;
    if ((rc = url_path(url ? url : "", len, &p, &n, &slash)) != EX_OK)
        return rc;
    if (slash || !canonical_path(p, n)) {
        size_t need = 1 + 3 * n;
        char *buf = need <= sizeof stack ? stack : (heap = malloc(need));
        if (!buf)
            return EX_ENOMEM;
        size_t o = 0;
        if (slash)
            buf[o++] = '/';
        o += canon(p, n, 0, buf + o);
        p = buf;
        n = o;
    }
    rc = EX_ENOTFOUND;
    for (size_t i = 0; i < t->n; i++) {
        const rule *r = &t->rules[i];
        if (!rule_match(t, r, p, n))
            continue;
        const char *pol = t->arena + r->policy;
        size_t pl = strlen(pol);
        out->reservation = r->reservation;
        out->source = EX_TDM_FROM_FILE;
        if (pl >= EX_TDM_POLICY_MAX)
            pl = 0;
        memcpy(out->policy, pol, pl);
        out->policy[pl] = '\0';
        if (index)
            *index = (unsigned)i;
        rc = EX_OK;
        break;
    }
    if (rc == EX_ENOTFOUND)
        ex_tdm_clear(out);
    free(heap);
    return rc;
}

size_t
ex_tdmrep_count(const ex_tdmrep *t)
{
    return t ? t->n : 0;
}

int
ex_tdmrep_rule(const ex_tdmrep *t, size_t i, const char **location, int *reservation,
               const char **policy)
{
    if (!t || i >= t->n)
        return EX_ERANGE;
    if (location)
        *location = t->arena + t->rules[i].loc;
    if (reservation)
        *reservation = t->rules[i].reservation;
    if (policy)
        *policy = t->arena + t->rules[i].policy;
    return EX_OK;
}

void
ex_tdmrep_free(ex_tdmrep *t)
{
    if (!t)
        return;
    free(t->rules);
    free(t->arena);
    free(t);
}
