/* iscc_collapse.c - the ISCC Text-Code's collapse steps (iscc.h): the reference, following
 * iscc-core's collapse_text on a Python str (what str.split() calls white space and
 * str.lower()'s final sigma written out, checked against Python 3.11 for every code point),
 * and the fast path that gives the same bytes. */
#include "iscc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#define M61 ((UINT64_C(1) << 61) - 1)

/* ---- collapsing: the reference ------------------------------------------------------------- */

/* One code point of p[0..n), n >= 1: its length and *cp. An ill-formed sequence gives -1 and
 * the length of its maximal subpart (at least 1), to be read as one U+FFFD: the Unicode 3.9
 * practice Python's decoder follows, so the text reads as bytes.decode("utf-8", "replace")
 * reads it. */
static size_t
utf8_next(const uint8_t *p, size_t n, int32_t *cp)
{
    uint8_t b = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    int32_t c;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1, c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2, c = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (b == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3, c = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F; /* nothing over U+10FFFF */
    } else {
        *cp = -1;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *cp = -1;
            return i;
        }
        c = c << 6 | (p[i] & 0x3F);
        lo = 0x80, hi = 0xBF;
    }
    *cp = c;
    return need + 1;
}

/* Python's str.isspace(), what str.split() splits at: category Zs or bidi class WS, B or S. */
static int
py_space(int32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Unicode's Case_Ignorable: categories Mn, Me, Cf, Lm, Sk and the word-break classes
 * MidLetter, MidNumLet and Single_Quote. */
static int
case_ignorable(int32_t c)
{
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_SK:
        return 1;
    default: break;
    }
    switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55:
    case 0xFF07: case 0xFF0E: case 0xFF1A:
        return 1;
    default: return 0;
    }
}

/* Unicode's Cased for what is not Case_Ignorable: Lu, Ll, Lt and the Other_Lowercase /
 * Other_Uppercase code points of other categories (the rest of those are Lm or Mn). */
static int
cased(int32_t c)
{
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        return 1;
    default:
        return c == 0xAA || c == 0xBA || (c >= 0x2160 && c <= 0x217F) ||
               (c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
               (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189);
    }
}

/* Python's str.lower() turns U+03A3 into final sigma U+03C2 when a cased letter comes before
 * it and none after it, case-ignorable code points skipped both ways (Final_Sigma). Only
 * sigmas change, into letters as cased as they were, so deciding in place is safe. */
static void
final_sigmas(int32_t *cp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cp[i] != 0x3A3)
            continue;
        size_t j = i;
        while (j > 0 && case_ignorable(cp[j - 1]))
            j--;
        int final = j > 0 && cased(cp[j - 1]);
        for (j = i + 1; final && j < n; j++)
            if (!case_ignorable(cp[j])) {
                final = !cased(cp[j]);
                break;
            }
        cp[i] = final ? 0x3C2 : 0x3C3;
    }
}

/* General categories C*, M* and P*: what collapse_text drops. */
static int
dropped(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_CN || (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME) ||
           (k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO) ||
           (k >= UTF8PROC_CATEGORY_CC && k <= UTF8PROC_CATEGORY_CO);
}

static int
utf8proc_rc(utf8proc_ssize_t r)
{
    return r == UTF8PROC_ERROR_NOMEM ? EX_ENOMEM : EX_ETOOBIG;
}

int
ex_iscc_collapse_ref(const char *text, size_t len, ex_buf *out, size_t *characters)
{
    ex_buf valid = {0};
    int32_t *cp = NULL;
    utf8proc_uint8_t *nfkc = NULL;
    const utf8proc_option_t nfd = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE;
    int rc = EX_OK;
    out->len = 0;
    if (len > (size_t)PTRDIFF_MAX / 4) /* 3 bytes of U+FFFD for each byte, at most */
        return EX_ETOOBIG;
    /* 1. valid UTF-8 */
    const uint8_t *p = (const uint8_t *)text;
    for (size_t at = 0; at < len && rc == EX_OK;) {
        int32_t c;
        size_t k = utf8_next(p + at, len - at, &c);
        rc = c < 0 ? ex_buf_put(&valid, "\xEF\xBF\xBD", 3) : ex_buf_put(&valid, p + at, k);
        at += k;
    }
    if (rc != EX_OK)
        goto out;
    /* 2. NFD, as code points */
    const utf8proc_uint8_t *v = (const utf8proc_uint8_t *)(valid.data ? valid.data : "");
    utf8proc_ssize_t n = utf8proc_decompose(v, (utf8proc_ssize_t)valid.len, NULL, 0, nfd);
    if (n < 0) {
        rc = utf8proc_rc(n);
        goto out;
    }
    if (!(cp = malloc(((size_t)n + 1) * sizeof *cp))) {
        rc = EX_ENOMEM;
        goto out;
    }
    if (utf8proc_decompose(v, (utf8proc_ssize_t)valid.len, cp, n, nfd) != n) {
        rc = EX_ETOOBIG; /* not taken: the same call as above */
        goto out;
    }
    /* 3. "".join(text.split()) */
    size_t m = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++)
        if (!py_space(cp[i]))
            cp[m++] = cp[i];
    /* 4. .lower(): simple lower case mappings and final sigmas (Python's one full mapping,
     * U+0130, never meets it: NFD has taken it apart) */
    final_sigmas(cp, m);
    /* 5. C*, M* and P* out, the rest back to UTF-8, then NFKC */
    valid.len = 0;
    for (size_t i = 0; i < m && rc == EX_OK; i++) {
        int32_t c = utf8proc_tolower(cp[i]);
        if (!dropped(c)) {
            utf8proc_uint8_t e[4];
            rc = ex_buf_put(&valid, e, (size_t)utf8proc_encode_char(c, e));
        }
    }
    if (rc != EX_OK)
        goto out;
    utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)(valid.data ? valid.data : ""),
                                      (utf8proc_ssize_t)valid.len, &nfkc,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    if (k < 0) {
        rc = utf8proc_rc(k);
        goto out;
    }
    if ((rc = ex_buf_put(out, nfkc, (size_t)k)) != EX_OK ||
        (rc = ex_buf_reserve(out, 1)) != EX_OK)
        goto out;
    out->data[out->len] = '\0';
    if (characters) {
        size_t chars = 0;
        for (utf8proc_ssize_t i = 0; i < k; i++)
            chars += (nfkc[i] & 0xC0) != 0x80;
        *characters = chars;
    }
out:
    free(nfkc);
    free(cp);
    ex_buf_free(&valid);
    return rc;
}

/* ---- collapsing: the fast path ------------------------------------------------------------- */

/* Steps 2-5 of one ASCII code point: 0 when it goes (white space, C* and P*), else its lower
 * case. NFD and NFKC leave ASCII as it is. test_iscc checks every entry against
 * ex_iscc_collapse_ref. */
static const uint8_t ascii_collapsed[128] = {
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   '$', 0,   0,   0,   0,   0,   0,   '+', 0,   0,   0,   0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0,   0,   '<', '=', '>', 0,
    0,   'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0,   0,   0,   '^', 0,
    '`', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0,   '|', 0,   '~', 0,
};

/* The first byte < 0x80 in s[at..len), or len. */
static size_t
next_ascii(const char *s, size_t at, size_t len)
{
    while (at < len && (unsigned char)s[at] >= 0x80)
        at++;
    return at;
}

/* The code points of UTF-8 s[0..n): the bytes that are not 10xxxxxx, eight at a time. */
static size_t
code_points(const char *s, size_t n)
{
    size_t cps = n, i = 0;
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        uint64_t cont = (w & ~(w << 1) & UINT64_C(0x8080808080808080)) >> 7; /* 1 a byte */
        cps -= (size_t)((cont * UINT64_C(0x0101010101010101)) >> 56);
    }
    for (; i < n; i++)
        cps -= ((unsigned char)s[i] & 0xC0) == 0x80;
    return cps;
}

#define REFERENCE 1 /* collapse_run: take the reference path */

typedef struct scratch {
    int32_t *cp;  /* utf8proc's code points */
    size_t cap;   /* of cp */
    ex_buf bytes; /* the filtered text, for NFKC */
} scratch;

/* utf8proc_decompose of u[0..n) with opts into s->cp, grown to hold the result and one more
 * (utf8proc_reencode writes a NUL after the UTF-8); *k its length. EX_ENOMEM, EX_ETOOBIG. */
static int
decompose(scratch *s, const uint8_t *u, size_t n, utf8proc_option_t opts, size_t *k)
{
    for (;;) {
        utf8proc_ssize_t r = utf8proc_decompose(u, (utf8proc_ssize_t)n, s->cp,
                                                (utf8proc_ssize_t)s->cap, opts);
        if (r < 0)
            return utf8proc_rc(r);
        if ((size_t)r < s->cap) {
            *k = (size_t)r;
            return EX_OK;
        }
        size_t cap = s->cap ? s->cap : 64;
        while (cap <= (size_t)r) {
            if (cap > SIZE_MAX / 2 / sizeof *s->cp)
                return EX_ENOMEM;
            cap *= 2;
        }
        int32_t *p = realloc(s->cp, cap * sizeof *p);
        if (!p)
            return EX_ENOMEM;
        s->cp = p, s->cap = cap;
    }
}

int
ex_iscc_nfkc_inert(int32_t c)
{
    if (c < 0x80)
        return 1;
    if ((c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F) ||
        (c >= 0xA960 && c <= 0xA97F) || (c >= 0xAC00 && c <= 0xD7FF))
        return 0; /* Hangul: composed by algorithm */
    const utf8proc_property_t *p = utf8proc_get_property(c);
    return p->decomp_seqindex == UINT16_MAX && p->combining_class == 0;
}

/* Steps 1-5 short of NFKC for p[0..n), a maximal run of bytes >= 0x80, appended to f; *wide
 * set when that appends a byte >= 0x80, *nfkc when a code point NFKC may change
 * (!ex_iscc_nfkc_inert). It gives the same as the steps over the whole text:
 * 1. an ASCII byte is no continuation byte, so it ends every ill-formed sequence: the run
 *    decodes as it does in the text;
 * 2. NFD is each code point's full decomposition, then canonical reordering, which only swaps
 *    neighbours that both have a nonzero combining class. Those are all marks that step 5
 *    removes wherever they end up (test_iscc checks every code point), so each decomposition
 *    can go out as it comes;
 * 3-5. go a code point at a time, but for Final_Sigma: REFERENCE when NFD gives U+03A3. */
static int
collapse_run(const uint8_t *p, size_t n, ex_buf *f, int *wide, int *nfkc)
{
    int rc;
    for (size_t at = 0; at < n;) {
        int32_t c, d[8];
        int bound = 0;
        at += utf8_next(p + at, n - at, &c);
        utf8proc_ssize_t k = utf8proc_decompose_char(c < 0 ? 0xFFFD : c, d, 8,
                                                     UTF8PROC_STABLE | UTF8PROC_DECOMPOSE, &bound);
        if (k < 0 || k > 8) /* not taken: canonical decompositions have at most 4 */
            return REFERENCE;
        if ((rc = ex_buf_reserve(f, 4 * (size_t)k)) != EX_OK)
            return rc;
        for (utf8proc_ssize_t i = 0; i < k; i++) {
            c = d[i];
            if (c == 0x3A3)
                return REFERENCE;
            if (py_space(c)) /* 3. */
                continue;
            c = utf8proc_tolower(c); /* 4. */
            if (dropped(c))          /* 5. */
                continue;
            if (c >= 0x80) {
                *wide = 1;
                *nfkc |= !ex_iscc_nfkc_inert(c);
            }
            f->len += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)f->data + f->len);
        }
    }
    return EX_OK;
}

/* Step 5's NFKC of the filtered text f[0..n) into out. NFKC(xy) = NFKC(x) NFKC(y) whenever y
 * starts with an ASCII code point a: a decomposes to itself with combining class 0, so
 * reordering stops at it, and no composition has an ASCII second code point, so a stays a
 * starter that blocks everything after it from what comes before. Hence ASCII stays as it is
 * and only each maximal run of other code points goes through utf8proc, with the ASCII code
 * point before it, which its marks could compose with. */
static int
nfkc_pieces(const char *f, size_t n, ex_buf *out, scratch *s)
{
    const utf8proc_option_t nfkc = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
    size_t at = 0, k;
    int rc;
    while (at < n) {
        size_t a = ex_iscc_next_wide(f, at, n);
        if (a == n)
            break;
        /* at is 0 or ends a run, so f[a - 1] is ASCII */
        size_t lead = a > 0 ? a - 1 : 0, e = next_ascii(f, a, n);
        int inert = 1;
        for (size_t i = a; i < e && inert;) {
            int32_t c;
            i += utf8_next((const uint8_t *)f + i, e - i, &c);
            inert = ex_iscc_nfkc_inert(c);
        }
        if (inert) {
            if ((rc = ex_buf_put(out, f + at, e - at)) != EX_OK)
                return rc;
            at = e;
            continue;
        }
        if ((rc = ex_buf_put(out, f + at, lead - at)) != EX_OK ||
            (rc = decompose(s, (const uint8_t *)f + lead, e - lead, nfkc, &k)) != EX_OK)
            return rc;
        utf8proc_ssize_t r = utf8proc_reencode(s->cp, (utf8proc_ssize_t)k, nfkc);
        if (r < 0)
            return utf8proc_rc(r);
        if ((rc = ex_buf_put(out, s->cp, (size_t)r)) != EX_OK)
            return rc;
        at = e;
    }
    return ex_buf_put(out, f + at, n - at);
}

int
ex_iscc_collapse(const char *text, size_t len, ex_buf *out, size_t *characters)
{
    scratch s = {0};
    int rc = EX_OK, wide = 0, nfkc = 0;
    out->len = 0;
    if (len > (size_t)PTRDIFF_MAX / 4) /* as ex_iscc_collapse_ref */
        return EX_ETOOBIG;
    const uint8_t *p = (const uint8_t *)text;
    for (size_t i = 0; i < len;) {
        /* ASCII by the table, at most a byte each (and one stored past the end) */
        if ((rc = ex_buf_reserve(out, len - i)) != EX_OK)
            goto out;
        uint8_t *o = (uint8_t *)out->data;
        size_t m = out->len;
        for (; i < len && p[i] < 0x80; i++) {
            uint8_t c = ascii_collapsed[p[i]];
            o[m] = c;
            m += c != 0;
        }
        out->len = m;
        if (i == len)
            break;
        size_t j = next_ascii(text, i, len);
        if ((rc = collapse_run(p + i, j - i, out, &wide, &nfkc)) != EX_OK)
            goto out;
        i = j;
    }
    if (nfkc) {
        /* NFKC, which leaves ASCII and inert code points as they are */
        ex_buf f = *out;
        *out = s.bytes;
        s.bytes = f;
        out->len = 0;
        if ((rc = nfkc_pieces(f.data, f.len, out, &s)) != EX_OK)
            goto out;
    }
    if ((rc = ex_buf_reserve(out, 0)) != EX_OK)
        goto out;
    out->data[out->len] = '\0';
    if (characters)
        *characters = wide ? code_points(out->data, out->len) : out->len;
out:
    free(s.cp);
    ex_buf_free(&s.bytes);
    if (rc == REFERENCE)
        return ex_iscc_collapse_ref(text, len, out, characters);
    if (rc != EX_OK)
        out->len = 0;
    return rc;
}

