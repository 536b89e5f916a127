/* iscc.c - ISCC Text-Code v0 (iscc.h, exante.h). The collapse steps follow iscc-core's
 * collapse_text on a Python str: utf8proc gives the normal forms and categories, and the two
 * things Python does its own way (what str.split() calls white space, and str.lower()'s final
 * sigma) are written out here, checked against Python 3.11 for every code point. */
#include "iscc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Copied from ../shared/vectors/iscc/minhash-constants.tsv (iscc-core, Apache-2.0);
 * tests/unit/test_iscc.c checks them against it. */
const uint64_t ex_iscc_mpa[EX_ISCC_PERMS] = {
    UINT64_C(853146490016488653), UINT64_C(1849332765672628665), UINT64_C(1131688930666554379),
    UINT64_C(1936485333668353377), UINT64_C(890837126813020267), UINT64_C(1988249303247129861),
    UINT64_C(1408894512544874755), UINT64_C(2140251716176616185), UINT64_C(1755124413189049421),
    UINT64_C(1355916793659431597), UINT64_C(546586563822844083), UINT64_C(497603761441203021),
    UINT64_C(2000709902557454173), UINT64_C(1057597903350092207), UINT64_C(1576204252850880253),
    UINT64_C(2078784234495706739), UINT64_C(1022616668454863635), UINT64_C(2150082342606334489),
    UINT64_C(712341150087765807), UINT64_C(1511757510246096559), UINT64_C(1525853819909660573),
    UINT64_C(1263771796138990131), UINT64_C(1215963627200985263), UINT64_C(590069150281426443),
    UINT64_C(130824646248385081), UINT64_C(962725325544728503), UINT64_C(1702561325943522847),
    UINT64_C(296074222435072629), UINT64_C(490211158716051523), UINT64_C(1255327197241792767),
    UINT64_C(699458998727907367), UINT64_C(32930168991409845), UINT64_C(1985097843455124585),
    UINT64_C(362027841570125531), UINT64_C(1903252144040897835), UINT64_C(900391845076405289),
    UINT64_C(547470123601853551), UINT64_C(1689373724032359119), UINT64_C(845594231933442371),
    UINT64_C(400331968021206285), UINT64_C(174967108345233429), UINT64_C(876513700861085019),
    UINT64_C(505848386844809885), UINT64_C(1920468508342256199), UINT64_C(1292611725303815789),
    UINT64_C(963317239501343903), UINT64_C(1730880032297268007), UINT64_C(284614929850059717),
    UINT64_C(1185026248283273081), UINT64_C(2167288823816985197), UINT64_C(1214905315086686483),
    UINT64_C(1555253098157439857), UINT64_C(1048013650291539723), UINT64_C(1238618594841147605),
    UINT64_C(1213502582686547311), UINT64_C(286300733803129311), UINT64_C(1250358511639043529),
    UINT64_C(407534797452854371), UINT64_C(960869149538623787), UINT64_C(1722699901467253087),
    UINT64_C(1325704236119824319), UINT64_C(196979859428570839), UINT64_C(1669408735473259699),
    UINT64_C(781336617016068757),
};
const uint64_t ex_iscc_mpb[EX_ISCC_PERMS] = {
    UINT64_C(1089606993368836715), UINT64_C(726972438868274737), UINT64_C(66204585613901025),
    UINT64_C(1078410179646709132), UINT64_C(1343470117098523467), UINT64_C(698653121981343911),
    UINT64_C(1248486536592473639), UINT64_C(1447963007834012793), UINT64_C(1034598851883537815),
    UINT64_C(1474008409379745934), UINT64_C(793773480906057541), UINT64_C(980501101461882479),
    UINT64_C(963941556313537655), UINT64_C(233651787311327325), UINT64_C(243905121737149907),
    UINT64_C(570269452476776142), UINT64_C(297633284648631084), UINT64_C(1516796967247398557),
    UINT64_C(1494795672066692649), UINT64_C(1728741177365151059), UINT64_C(1029197538967983408),
    UINT64_C(1660732464170610344), UINT64_C(1399769594446678069), UINT64_C(506465470557005705),
    UINT64_C(1279720146829545181), UINT64_C(860096419955634036), UINT64_C(411519685280832908),
    UINT64_C(69539191273403207), UINT64_C(1960489729088056217), UINT64_C(605092075716397684),
    UINT64_C(1017496016211653149), UINT64_C(1304834535101321372), UINT64_C(949013511180032347),
    UINT64_C(1142776242221098779), UINT64_C(576980004709031232), UINT64_C(1071272177143100544),
    UINT64_C(1494527341093835499), UINT64_C(1073290814142727850), UINT64_C(1285904200674942617),
    UINT64_C(1277176606329477335), UINT64_C(343788427301735585), UINT64_C(2100915269685487331),
    UINT64_C(1227711252031557450), UINT64_C(18593166391963377), UINT64_C(2101884148332688233),
    UINT64_C(191808277534686888), UINT64_C(2170124912729392024), UINT64_C(918430470748151293),
    UINT64_C(1831024560113812361), UINT64_C(1951365515851067694), UINT64_C(744352348473654499),
    UINT64_C(1921518311887826722), UINT64_C(2020165648600700886), UINT64_C(1764930142256726985),
    UINT64_C(1903893374912839788), UINT64_C(1449378957774802122), UINT64_C(1435825328374066345),
    UINT64_C(833197549717762813), UINT64_C(2238991044337210799), UINT64_C(748955638857938366),
    UINT64_C(1834583747494146901), UINT64_C(222012292803592982), UINT64_C(901238460725547841),
    UINT64_C(1501611130776083278),
};

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

/* The first byte >= 0x80 in s[at..len), or len; eight bytes at a time. */
static size_t
next_wide(const char *s, size_t at, size_t len)
{
    for (uint64_t w; at + 8 <= len; at += 8) {
        memcpy(&w, s + at, 8);
        if (w & UINT64_C(0x8080808080808080))
            break;
    }
    while (at < len && (unsigned char)s[at] < 0x80)
        at++;
    return at;
}

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
        size_t a = next_wide(f, at, n);
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

/* ---- the soft hash ------------------------------------------------------------------------- */

/* The 4 low bits of the 64 minima, bit 0 of each first, as the 256-bit digest. */
static void
pack_digest(const uint32_t mh[EX_ISCC_PERMS], uint8_t digest[EX_ISCC_DIGEST_BYTES])
{
    memset(digest, 0, EX_ISCC_DIGEST_BYTES);
    for (unsigned bit = 0; bit < 4; bit++)
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
            unsigned k = bit * EX_ISCC_PERMS + i;
            if (mh[i] >> bit & 1)
                digest[k / 8] |= (uint8_t)(0x80 >> k % 8);
        }
}

/* The reference: steps 6-9 as FORMATS.md states them, one window, then its 64 permutations,
 * at a time. */
static void
soft_hash_ref(const char *s, size_t len, uint8_t digest[EX_ISCC_DIGEST_BYTES])
{
    uint32_t mh[EX_ISCC_PERMS];
    memset(mh, 0xFF, sizeof mh);
    size_t a = 0, b = 0;
    for (unsigned k = 0; b < len && k < EX_ISCC_NGRAM; k++)
        while (++b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
            ;
    /* a text of fewer code points is one window, the empty text too */
    for (;;) {
        uint64_t f = XXH32(s + a, b - a, 0);
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
            uint64_t x = ex_iscc_mpa[i] * f + ex_iscc_mpb[i]; /* mod 2^64 */
            x = (x & M61) + (x >> 61);                        /* mod 2^61 - 1 */
            if (x >= M61)
                x -= M61;
            if ((uint32_t)x < mh[i])
                mh[i] = (uint32_t)x;
        }
        if (b >= len)
            break;
        while (((unsigned char)s[++a] & 0xC0) == 0x80)
            ;
        while (++b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
            ;
    }
    pack_digest(mh, digest);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2 1
#include <immintrin.h>
#endif

int
ex_iscc_impl_has(int impl)
{
    switch (impl) {
    case EX_ISCC_IMPL_REF:
    case EX_ISCC_IMPL_PORTABLE:
    case EX_ISCC_IMPL_BEST: return 1;
#ifdef HAVE_AVX2
    case EX_ISCC_IMPL_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") != 0;
#endif
    default: return 0;
    }
}

/* impl as it runs here: BEST, or one this CPU lacks, made concrete */
static int
impl_resolve(int impl)
{
    if (impl == EX_ISCC_IMPL_REF)
        return impl;
    if ((impl == EX_ISCC_IMPL_AVX2 || impl == EX_ISCC_IMPL_BEST) &&
        ex_iscc_impl_has(EX_ISCC_IMPL_AVX2))
        return EX_ISCC_IMPL_AVX2;
    return EX_ISCC_IMPL_PORTABLE;
}

/* -- features -- */

#ifdef HAVE_AVX2
/* f[k] = XXH32(s + k, 13, 0) for k < n, eight at a time; reads s[0 .. n + 16). XXH32 of 13
 * bytes (xxhash.h's XXH32_endian_align and XXH32_finalize) is h = PRIME5 + 13, three 4-byte
 * little-endian words w each h = rotl(h + w PRIME3, 17) PRIME4, the last byte c h = rotl(h + c
 * PRIME5, 11) PRIME1, and the avalanche; a lane per window, the words gathered by a byte
 * shuffle. test_iscc checks it against XXH32. */
__attribute__((target("avx2"))) static void
xxh32_13_avx2(const uint8_t *s, size_t n, uint32_t *f)
{
    const __m256i gather = _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4, 5,
                                            6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10);
    const __m256i p1 = _mm256_set1_epi32((int)XXH_PRIME32_1);
    const __m256i p2 = _mm256_set1_epi32((int)XXH_PRIME32_2);
    const __m256i p3 = _mm256_set1_epi32((int)XXH_PRIME32_3);
    const __m256i p4 = _mm256_set1_epi32((int)XXH_PRIME32_4);
    const __m256i p5 = _mm256_set1_epi32((int)XXH_PRIME32_5);
    const __m256i h0 = _mm256_set1_epi32((int)(XXH_PRIME32_5 + 13));
    for (size_t k = 0; k < n; k += 8) {
        const uint8_t *p = s + k;
        __m256i h = h0;
        for (unsigned j = 0; j < 3; j++) {
            __m128i b = _mm_loadu_si128((const __m128i *)(p + 4 * j));
            __m256i w = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(b), gather);
            h = _mm256_add_epi32(h, _mm256_mullo_epi32(w, p3));
            h = _mm256_or_si256(_mm256_slli_epi32(h, 17), _mm256_srli_epi32(h, 15));
            h = _mm256_mullo_epi32(h, p4);
        }
        __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(p + 12)));
        h = _mm256_add_epi32(h, _mm256_mullo_epi32(c, p5));
        h = _mm256_or_si256(_mm256_slli_epi32(h, 11), _mm256_srli_epi32(h, 21));
        h = _mm256_mullo_epi32(h, p1);
        h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_srli_epi32(h, 15)), p2);
        h = _mm256_mullo_epi32(_mm256_xor_si256(h, _mm256_srli_epi32(h, 13)), p3);
        h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
        _mm256_storeu_si256((__m256i *)(f + k), h);
    }
}
#endif

/* f[k] = XXH32(s + a + k, 13, 0) for k < n: windows of 13 ASCII bytes, all inside s[0..len) */
static void
hash13(const char *s, size_t len, size_t a, size_t n, uint32_t *f, int impl)
{
    size_t k = 0;
#ifdef HAVE_AVX2
    if (impl == EX_ISCC_IMPL_AVX2 && len - a >= 24) {
        /* eight at a time while the loads (24 bytes from each eighth window) stay inside s */
        size_t room = (len - a - 24) / 8 * 8 + 8;
        k = (room < n ? room : n) / 8 * 8;
        xxh32_13_avx2((const uint8_t *)s + a, k, f);
    }
#else
    (void)len, (void)impl;
#endif
    for (; k < n; k++)
        f[k] = XXH32(s + a + k, EX_ISCC_NGRAM, 0);
}

void
ex_iscc_windows_init(ex_iscc_windows *w, const char *s, size_t len, int impl)
{
    w->s = s, w->len = len, w->a = 0, w->b = 0, w->done = 0;
    w->impl = impl_resolve(impl);
    w->wide = next_wide(s, 0, len);
    /* b: past the first window's last code point (the whole text if it has fewer) */
    for (unsigned k = 0; w->b < len && k < EX_ISCC_NGRAM; k++)
        while (++w->b < len && ((unsigned char)s[w->b] & 0xC0) == 0x80)
            ;
}

size_t
ex_iscc_features(ex_iscc_windows *w, uint32_t *f, size_t cap)
{
    const char *s = w->s;
    size_t n = 0, len = w->len;
    while (!w->done && n < cap) {
        if (w->wide < w->a)
            w->wide = next_wide(s, w->a, len);
        if (w->wide >= w->a + EX_ISCC_NGRAM) {
            /* the windows at a .. wide - 13 are 13 ASCII bytes each (and a text with 13
             * ASCII bytes has 13 code points, so these are windows of the walk below) */
            size_t k = w->wide - EX_ISCC_NGRAM + 1 - w->a;
            k = k < cap - n ? k : cap - n;
            hash13(s, len, w->a, k, f + n, w->impl);
            n += k;
            w->a += k;
            if (w->a + EX_ISCC_NGRAM <= w->wide) {
                w->b = w->a + EX_ISCC_NGRAM;
            } else if (w->wide == len) {
                w->done = 1; /* 12 code points left: no window starts here */
            } else {
                w->b = w->wide; /* 12 ASCII code points and the one at wide */
                while (++w->b < len && ((unsigned char)s[w->b] & 0xC0) == 0x80)
                    ;
            }
            continue;
        }
        /* a code point at a time, as the reference: a text of fewer code points is one window */
        f[n++] = XXH32(s + w->a, w->b - w->a, 0);
        if (w->b >= len) {
            w->done = 1;
            break;
        }
        while (((unsigned char)s[++w->a] & 0xC0) == 0x80)
            ;
        while (++w->b < len && ((unsigned char)s[w->b] & 0xC0) == 0x80)
            ;
    }
    return n;
}

/* -- MinHash -- */

/* MinHash kernels: mh[i] = min(mh[i], the low 32 bits of permutation i of f[k]) for every k.
 * Permutation i of f is ((a f + b) mod 2^64) mod M61 with a = MPA[i], b = MPB[i]; for x < 2^64,
 * x mod M61 is y = (x & M61) + (x >> 61) less M61 if y >= M61 (x = h 2^61 + l with h <= 7 and
 * l <= M61 is h + l mod M61, and h + l < 2 M61), and since M61 = 2^61 - 1 the low 32 bits of
 * y - M61 are those of y + 1. test_iscc checks each kernel against the reference. */

static void
minhash_ref(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    for (size_t k = 0; k < n; k++)
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
            uint64_t x = ex_iscc_mpa[i] * f[k] + ex_iscc_mpb[i];
            x = (x & M61) + (x >> 61);
            if (x >= M61)
                x -= M61;
            if ((uint32_t)x < mh[i])
                mh[i] = (uint32_t)x;
        }
}

/* The fast kernels skip what cannot lower a minimum. The low 32 bits of permutation i of f are
 * L + d mod 2^32, where L = (a_lo f + b_lo) mod 2^32 (a_lo, b_lo: the low 32 bits of a, b; the
 * rest of a f + b only reaches bit 32 and up) and d = (x >> 61) + [y >= M61], 0 to 8. So when
 * m <= L <= 2^32 - 9, the permutation is at least L >= m and leaves mh[i] = m as it is; only
 * the rest, about 1 in k at the k-th feature once m is down to about 2^32 / k, is computed
 * exactly. With D = L - m and W = 2^32 - 9 - m (mod 2^32), m <= L <= 2^32 - 9 is D <= W
 * (L < m wraps D to over W), which needs m <= 2^32 - 9: until every minimum is, features take
 * the exact way. With c[i] = b_lo - m and w[i] = W, a candidate is a_lo f + c[i] > w[i],
 * unsigned; AVX2 compares signed, so it adds 2^31 to both sides. */
#define MH_TOP UINT32_C(0xFFFFFFF7) /* 2^32 - 9 */

typedef struct mh_filter {
    uint32_t alo[EX_ISCC_PERMS], c[EX_ISCC_PERMS], w[EX_ISCC_PERMS];
} mh_filter;

/* the low 32 bits of x mod M61 */
static inline uint32_t
mod61_lo32(uint64_t x)
{
    uint64_t y = (x & M61) + (x >> 61);
    return (uint32_t)y + (y >= M61);
}

static inline void
exact(mh_filter *t, unsigned i, uint32_t f, uint32_t mh[EX_ISCC_PERMS])
{
    uint32_t r = mod61_lo32(ex_iscc_mpa[i] * f + ex_iscc_mpb[i]);
    if (r < mh[i]) {
        mh[i] = r;
        t->c[i] = (uint32_t)ex_iscc_mpb[i] - r;
        t->w[i] = MH_TOP - r;
    }
}

/* Features of f[0..n) the exact way until every minimum is at most MH_TOP; then the filter for
 * mh. Returns how many features it took. */
static size_t
filter_start(mh_filter *t, const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    size_t k = 0;
    for (;;) {
        uint32_t top = 0;
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++)
            top = mh[i] > top ? mh[i] : top;
        if (top <= MH_TOP || k == n)
            break;
        minhash_ref(f + k++, 1, mh);
    }
    for (unsigned i = 0; i < EX_ISCC_PERMS; i++) {
        t->alo[i] = (uint32_t)ex_iscc_mpa[i];
        t->c[i] = (uint32_t)ex_iscc_mpb[i] - mh[i];
        t->w[i] = MH_TOP - mh[i];
    }
    return k;
}

static void
minhash_portable(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    mh_filter t;
    for (size_t k = filter_start(&t, f, n, mh); k < n; k++) {
        uint32_t x = f[k];
        unsigned any = 0;
        for (unsigned i = 0; i < EX_ISCC_PERMS; i++)
            any |= (uint32_t)(t.alo[i] * x + t.c[i]) > t.w[i];
        if (any)
            for (unsigned i = 0; i < EX_ISCC_PERMS; i++)
                if ((uint32_t)(t.alo[i] * x + t.c[i]) > t.w[i])
                    exact(&t, i, x, mh);
    }
}

#ifdef HAVE_AVX2

/* mod61_lo32 of each 64-bit lane, in its low half (the high half is not that of the result).
 * y <= M61 + 7 < 2^63, so the signed compare is right. */
__attribute__((target("avx2"))) static inline __m256i
mod61_lo32_avx2(__m256i x)
{
    const __m256i m61 = _mm256_set1_epi64x((long long)M61);
    const __m256i below = _mm256_set1_epi64x((long long)(M61 - 1));
    __m256i y = _mm256_add_epi64(_mm256_and_si256(x, m61), _mm256_srli_epi64(x, 61));
    return _mm256_sub_epi64(y, _mm256_cmpgt_epi64(y, below)); /* + 1 when y >= M61 */
}

/* Permutations a[0..8), b[0..8) of f (x: f in every 32-bit lane), exactly, their low 32 bits
 * in order. f < 2^32, so a f mod 2^64 is a_lo f + (a_hi f mod 2^32) 2^32: _mm256_mul_epu32 gives
 * a_lo f, and _mm256_mullo_epi32 of (0, a_hi) and (f, f) gives (0, a_hi f mod 2^32). */
__attribute__((target("avx2"))) static inline __m256i
exact8(const uint64_t *a, const uint64_t *b, __m256i x)
{
    const __m256i hi = _mm256_set1_epi64x((long long)0xFFFFFFFF00000000ull);
    __m256i y[2];
    for (unsigned h = 0; h < 2; h++) {
        __m256i av = _mm256_loadu_si256((const __m256i *)(a + 4 * h));
        y[h] = mod61_lo32_avx2(_mm256_add_epi64(
            _mm256_add_epi64(_mm256_mul_epu32(av, x),
                             _mm256_mullo_epi32(_mm256_and_si256(av, hi), x)),
            _mm256_loadu_si256((const __m256i *)(b + 4 * h))));
    }
    /* the low halves: y0 0 1, y1 0 1 | y0 2 3, y1 2 3; then in order */
    __m256 lo = _mm256_shuffle_ps(_mm256_castsi256_ps(y[0]), _mm256_castsi256_ps(y[1]),
                                  _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_permute4x64_epi64(_mm256_castps_si256(lo), _MM_SHUFFLE(3, 1, 2, 0));
}

/* The filter eight permutations to a vector, c and w with 2^31 added (b_lo + 2^31 - m and
 * MH_TOP + 2^31 - m) for the signed compare; a feature with a candidate, rare, takes exact8
 * for each group of eight that has one. The minima, c and w stay vectors throughout. */
__attribute__((target("avx2"))) static void
minhash_avx2(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    enum { G = EX_ISCC_PERMS / 8 };
    const __m256i topb = _mm256_set1_epi32((int)(MH_TOP + UINT32_C(0x80000000)));
    const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFF);
    __m256i alo[G], blo[G], m[G], c[G], w[G];
    size_t k = 0;
    for (unsigned g = 0; g < G; g++) {
        uint32_t al[8], bl[8];
        for (unsigned j = 0; j < 8; j++) {
            al[j] = (uint32_t)ex_iscc_mpa[8 * g + j];
            bl[j] = (uint32_t)ex_iscc_mpb[8 * g + j] + UINT32_C(0x80000000);
        }
        alo[g] = _mm256_loadu_si256((const __m256i *)al);
        blo[g] = _mm256_loadu_si256((const __m256i *)bl);
        m[g] = _mm256_loadu_si256((const __m256i *)(mh + 8 * g));
    }
    for (;; k++) {
        /* exact while the minima add up to over 2^31 (a feature would then more often than
         * not have a candidate), which also keeps each under MH_TOP before the filter */
        __m256i sum = _mm256_setzero_si256();
        for (unsigned g = 0; g < G; g++)
            sum = _mm256_add_epi64(sum, _mm256_add_epi64(_mm256_srli_epi64(m[g], 32),
                                                         _mm256_and_si256(m[g], lo32)));
        uint64_t s4[4];
        _mm256_storeu_si256((__m256i *)s4, sum);
        if (s4[0] + s4[1] + s4[2] + s4[3] <= UINT64_C(1) << 31 || k == n)
            break;
        __m256i x = _mm256_set1_epi32((int)f[k]);
        for (unsigned g = 0; g < G; g++)
            m[g] = _mm256_min_epu32(m[g], exact8(ex_iscc_mpa + 8 * g, ex_iscc_mpb + 8 * g, x));
    }
    for (unsigned g = 0; g < G; g++) {
        c[g] = _mm256_sub_epi32(blo[g], m[g]);
        w[g] = _mm256_sub_epi32(topb, m[g]);
    }
    for (; k < n; k++) {
        __m256i x = _mm256_set1_epi32((int)f[k]), any = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (unsigned g = 0; g < G; g++) {
            __m256i l = _mm256_add_epi32(_mm256_mullo_epi32(alo[g], x), c[g]);
            any = _mm256_or_si256(any, _mm256_cmpgt_epi32(l, w[g]));
        }
        if (_mm256_testz_si256(any, any))
            continue;
        /* rare: again, group by group (keeping the candidates costs more than this) */
        for (unsigned g = 0; g < G; g++) {
            __m256i l = _mm256_add_epi32(_mm256_mullo_epi32(alo[g], x), c[g]);
            __m256i cand = _mm256_cmpgt_epi32(l, w[g]);
            if (_mm256_testz_si256(cand, cand))
                continue;
            m[g] = _mm256_min_epu32(m[g], exact8(ex_iscc_mpa + 8 * g, ex_iscc_mpb + 8 * g, x));
            c[g] = _mm256_sub_epi32(blo[g], m[g]);
            w[g] = _mm256_sub_epi32(topb, m[g]);
        }
    }
    for (unsigned g = 0; g < G; g++)
        _mm256_storeu_si256((__m256i *)(mh + 8 * g), m[g]);
}
#endif


#ifdef HAVE_AVX2
__attribute__((target("avx2"))) static void
mod61_avx2(const uint64_t *x, size_t n, uint32_t *out)
{
    for (size_t k = 0; k + 4 <= n; k += 4) {
        uint64_t y[4];
        _mm256_storeu_si256((__m256i *)y,
                            mod61_lo32_avx2(_mm256_loadu_si256((const __m256i *)(x + k))));
        for (unsigned j = 0; j < 4; j++)
            out[k + j] = (uint32_t)y[j];
    }
}
#endif

void
ex_iscc_mod61_lo32(int impl, const uint64_t *x, size_t n, uint32_t *out)
{
    size_t k = 0;
#ifdef HAVE_AVX2
    if (impl_resolve(impl) == EX_ISCC_IMPL_AVX2) {
        k = n / 4 * 4;
        mod61_avx2(x, k, out);
    }
#endif
    for (; k < n; k++)
        out[k] = impl == EX_ISCC_IMPL_REF ? (uint32_t)(x[k] % M61) : mod61_lo32(x[k]);
}

typedef void minhash_fn(const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS]);

static minhash_fn *
minhash_kernel(int impl)
{
    switch (impl_resolve(impl)) {
    case EX_ISCC_IMPL_REF: return minhash_ref;
#ifdef HAVE_AVX2
    case EX_ISCC_IMPL_AVX2: return minhash_avx2;
#endif
    default: return minhash_portable;
    }
}

void
ex_iscc_minhash(int impl, const uint32_t *f, size_t n, uint32_t mh[EX_ISCC_PERMS])
{
    minhash_kernel(impl)(f, n, mh);
}

#define FEATURES 512 /* hashed before each MinHash pass: 2 KiB, in L1 */

void
ex_iscc_soft_hash(const char *s, size_t len, int impl, uint8_t digest[EX_ISCC_DIGEST_BYTES])
{
    impl = impl_resolve(impl);
    if (impl == EX_ISCC_IMPL_REF) {
        soft_hash_ref(s, len, digest);
        return;
    }
    minhash_fn *update = minhash_kernel(impl);
    ex_iscc_windows w;
    uint32_t mh[EX_ISCC_PERMS], f[FEATURES];
    size_t n;
    memset(mh, 0xFF, sizeof mh);
    ex_iscc_windows_init(&w, s, len, impl);
    while ((n = ex_iscc_features(&w, f, FEATURES)) > 0)
        update(f, n, mh);
    pack_digest(mh, digest);
}

/* ---- codes --------------------------------------------------------------------------------- */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char *const mtypes[] = {"META", "SEMANTIC", "CONTENT", "DATA",
                                     "INSTANCE", "ISCC", "ID", "FLAKE"};

/* main types whose length field counts 32-bit blocks of the digest */
static int
standard(unsigned mtype)
{
    return mtype <= 4 || mtype == 7;
}

/* v as a varnibble: 0xxx (0-7), 10xx xxxx (8-71), 110x xxxx xxxx (72-583), 1110 and 12 bits
 * (584-4679); appended to nib[*n..]. */
static void
put_varnibble(uint8_t *nib, unsigned *n, unsigned v)
{
    unsigned bits, count;
    if (v < 8)
        bits = v, count = 1;
    else if (v < 72)
        bits = 0x80 | (v - 8), count = 2;
    else if (v < 584)
        bits = 0xC00 | (v - 72), count = 3;
    else
        bits = 0xE000 | (v - 584), count = 4;
    while (count--)
        nib[(*n)++] = bits >> 4 * count & 0xF;
}

int
ex_iscc_encode(unsigned mtype, unsigned stype, unsigned version, unsigned bits,
               const uint8_t *digest, char *code, size_t cap)
{
    if (!standard(mtype) || bits < 32 || bits > EX_ISCC_BITS_MAX || bits % 32 || stype > 4679 ||
        version > 4679 || !code)
        return EX_EINVAL;
    uint8_t nib[16], raw[8 + EX_ISCC_DIGEST_BYTES];
    unsigned nn = 0;
    put_varnibble(nib, &nn, mtype);
    put_varnibble(nib, &nn, stype);
    put_varnibble(nib, &nn, version);
    put_varnibble(nib, &nn, bits / 32 - 1);
    if (nn % 2)
        nib[nn++] = 0;
    size_t h = nn / 2, len = h + bits / 8;
    for (size_t i = 0; i < h; i++)
        raw[i] = (uint8_t)(nib[2 * i] << 4 | nib[2 * i + 1]);
    memcpy(raw + h, digest, bits / 8);
    if (cap < 5 + (len * 8 + 4) / 5 + 1)
        return EX_EINVAL;
    memcpy(code, "ISCC:", 5);
    size_t o = 5;
    unsigned acc = 0, have = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8 | raw[i]) & 0xFFF, have += 8;
        while (have >= 5)
            code[o++] = b32[acc >> (have -= 5) & 31];
    }
    if (have)
        code[o++] = b32[acc << (5 - have) & 31];
    code[o] = '\0';
    return EX_OK;
}

int
ex_iscc_text_code(const char *text, size_t len, unsigned bits, char *code, size_t code_cap,
                  uint8_t digest[EX_ISCC_DIGEST_BYTES], size_t *characters)
{
    if (bits < EX_ISCC_BITS_MIN || bits > EX_ISCC_BITS_MAX || bits % 32 || !code ||
        code_cap < 5 + ((2 + bits / 8) * 8 + 4) / 5 + 1 || (!text && len))
        return EX_EINVAL;
    ex_buf c = {0};
    size_t chars;
    int rc = ex_iscc_collapse(text, len, &c, &chars);
    if (rc == EX_OK) {
        uint8_t d[EX_ISCC_DIGEST_BYTES];
        ex_iscc_soft_hash(c.data, c.len, EX_ISCC_IMPL_BEST, d);
        rc = ex_iscc_encode(EX_ISCC_MT_CONTENT, EX_ISCC_ST_TEXT, 0, bits, d, code, code_cap);
        if (digest) {
            memcpy(digest, d, bits / 8);
            memset(digest + bits / 8, 0, EX_ISCC_DIGEST_BYTES - bits / 8);
        }
        if (characters)
            *characters = chars;
    }
    ex_buf_free(&c);
    return rc;
}

/* Read one varnibble from nib[*at..n); -1 if the nibbles end inside it or it starts 1111. */
static long
get_varnibble(const uint8_t *nib, unsigned n, unsigned *at)
{
    static const unsigned count[16] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 0};
    static const unsigned mask[5] = {0, 0x7, 0x3F, 0x1FF, 0xFFF}, base[5] = {0, 0, 8, 72, 584};
    unsigned c = *at < n ? count[nib[*at]] : 0;
    if (c == 0 || *at + c > n)
        return -1;
    unsigned v = 0;
    for (unsigned i = 0; i < c; i++)
        v = v << 4 | nib[(*at)++];
    return (long)((v & mask[c]) + base[c]);
}

int
ex_iscc_decode(const char *code, unsigned *mtype, unsigned *stype, unsigned *version,
               unsigned *bits, uint8_t digest[EX_ISCC_DIGEST_BYTES], ex_err *err)
{
    if (!code)
        return ex_fail(err, EX_EINVAL, "no code");
    if (strncasecmp(code, "ISCC:", 5) == 0)
        code += 5;
    size_t n = strlen(code);
    if (n == 0)
        return ex_fail(err, EX_EFORMAT, "empty");
    if (n > 64) /* 8 header bytes and 32 digest bytes */
        return ex_fail(err, EX_EFORMAT, "%zu characters, longer than any ISCC unit", n);
    uint8_t val[64], raw[40];
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)code[i];
        const char *at = strchr(b32, ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
        if (!at)
            return ex_fail(err, EX_EFORMAT, "character %zu is not base32 (A-Z, 2-7)", i + 1);
        val[i] = (uint8_t)(at - b32);
    }
    if (n % 8 == 1 || n % 8 == 3 || n % 8 == 6)
        return ex_fail(err, EX_EFORMAT, "%zu base32 characters are not a whole number of bytes",
                       n);
    size_t len = 0;
    unsigned acc = 0, have = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 5 | val[i]) & 0xFFF, have += 5;
        if (have >= 8)
            raw[len++] = (uint8_t)(acc >> (have -= 8));
    }
    if (acc & ((1u << have) - 1))
        return ex_fail(err, EX_EFORMAT, "base32 with nonzero padding bits");
    uint8_t nib[16];
    unsigned nn = len * 2 < 16 ? (unsigned)len * 2 : 16, at = 0;
    for (unsigned i = 0; i < nn; i++)
        nib[i] = i % 2 ? raw[i / 2] & 0xF : raw[i / 2] >> 4;
    long f[4];
    for (int i = 0; i < 4; i++)
        if ((f[i] = get_varnibble(nib, nn, &at)) < 0)
            return ex_fail(err, EX_EFORMAT, "the header does not decode");
    if (at % 2 && nib[at++] != 0)
        return ex_fail(err, EX_EFORMAT, "the header's padding is not zero");
    if (f[0] == 5 || f[0] == 6)
        return ex_fail(err, EX_EFORMAT, "an %s, not a unit", f[0] == 5 ? "ISCC-CODE" : "ISCC-ID");
    if (!standard((unsigned)f[0]))
        return ex_fail(err, EX_EFORMAT, "unknown main type %ld", f[0]);
    long b = (f[3] + 1) * 32;
    size_t body = len - at / 2;
    if (b > EX_ISCC_BITS_MAX)
        return ex_fail(err, EX_EFORMAT, "a digest of %ld bits, more than %d", b,
                       EX_ISCC_BITS_MAX);
    if (body != (size_t)b / 8)
        return ex_fail(err, EX_EFORMAT, "the header says %ld bits, but %zu bytes follow", b,
                       body);
    if (mtype)
        *mtype = (unsigned)f[0];
    if (stype)
        *stype = (unsigned)f[1];
    if (version)
        *version = (unsigned)f[2];
    if (bits)
        *bits = (unsigned)b;
    if (digest) {
        memset(digest, 0, EX_ISCC_DIGEST_BYTES);
        memcpy(digest, raw + at / 2, body);
    }
    return EX_OK;
}

int
ex_iscc_text64(const char *code, uint64_t *v, ex_err *err)
{
    unsigned mt, st, ver, bits;
    uint8_t d[EX_ISCC_DIGEST_BYTES];
    int rc = ex_iscc_decode(code, &mt, &st, &ver, &bits, d, err);
    if (rc != EX_OK)
        return rc;
    if (mt != EX_ISCC_MT_CONTENT)
        return ex_fail(err, EX_EFORMAT, "main type %s, not CONTENT", mtypes[mt]);
    if (st != EX_ISCC_ST_TEXT)
        return ex_fail(err, EX_EFORMAT, "a CONTENT code of subtype %u, not TEXT (0)", st);
    if (ver != 0)
        return ex_fail(err, EX_EFORMAT, "version %u, not 0", ver);
    if (bits < 64)
        return ex_fail(err, EX_EFORMAT, "%u bits, fewer than 64", bits);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | d[i];
    *v = x;
    return EX_OK;
}

unsigned
ex_iscc_hamming(uint64_t a, uint64_t b)
{
    return (unsigned)__builtin_popcountll(a ^ b);
}
