/* jsonscan.c - a validating JSON scanner that locates a few fields without building a tree.
 *
 * Most of a web-text JSONL line is the body of one long string, so that is where the time
 * goes: string bodies are scanned 32 bytes at a time (AVX2, chosen at run time) or 16 (SSE2,
 * the x86-64 baseline; bytewise elsewhere) for the three bytes that end the fast path - '"',
 * '\\' and control characters. UTF-8 is validated beforehand for the whole line in one vector
 * pass (AVX2; a scalar loop with an ASCII fast path otherwise); only a line that fails it is
 * scanned with per-string checks, which find the first bad byte and the field it belongs to.
 * Structure is a small goto state machine with an explicit stack (one byte per level), so
 * nesting costs no recursion.
 *
 * Field matching: the top-level object has every field active; a key that equals the next
 * segment of an active field's path either captures the value (last segment) or makes the
 * field active inside that value if it is an object. Only keys of active objects are compared,
 * and they are decoded first only if they hold escapes. A key on an active path that occurs
 * twice in its object is an error (EX_JSCAN_DUPLICATE) rather than a silent first- or
 * last-wins choice, because JSON parsers disagree on which one counts. */
#include "jsonscan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { K_OBJ = 0, K_ARR = 1 };

int
ex_jscan_compile(ex_jscan_spec *spec, const char *const *paths, unsigned n, ex_err *err)
{
    if (n > EX_JSCAN_FIELDS)
        return ex_fail(err, EX_EINVAL, "too many fields (at most %d)", EX_JSCAN_FIELDS);
    memset(spec, 0, sizeof *spec);
    for (unsigned i = 0; i < n; i++) {
        const char *path = paths[i];
        size_t len = path ? strlen(path) : 0;
        if (len == 0)
            return ex_fail(err, EX_EINVAL, "empty field path");
        if (len > EX_JSCAN_NAME_MAX)
            return ex_fail(err, EX_EINVAL, "field path longer than %d bytes", EX_JSCAN_NAME_MAX);
        memcpy(spec->f[i].name, path, len + 1);
        memcpy(spec->f[i].segbuf, path, len + 1);
        char *s = spec->f[i].segbuf;
        unsigned nseg = 0;
        for (;;) {
            char *dot = strchr(s, '.');
            size_t sl = dot ? (size_t)(dot - s) : strlen(s);
            if (sl == 0)
                return ex_fail(err, EX_EINVAL, "field path '%s' has an empty segment", path);
            if (nseg == EX_JSCAN_SEGS)
                return ex_fail(err, EX_EINVAL, "field path '%s' has more than %d segments", path,
                               EX_JSCAN_SEGS);
            spec->f[i].seg[nseg] = s;
            spec->f[i].seglen[nseg] = sl;
            nseg++;
            if (!dot)
                break;
            *dot = '\0';
            s = dot + 1;
        }
        spec->f[i].nseg = nseg;
        if (nseg > spec->maxseg)
            spec->maxseg = nseg;
    }
    spec->nfields = n;
    return EX_OK;
}

size_t
ex_jscan_utf8_prefix(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        while (n - i >= 16) {
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(p + i)));
            if (m) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
            i += 16;
        }
#else
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
#endif
        /* a run of non-ASCII text: stay scalar until the next ASCII byte */
        while (i < n) {
            unsigned c = p[i];
            if (c < 0x80) {
                i++;
                break;
            }
            size_t left = n - i;
            if (c >= 0xc2 && c <= 0xdf) {
                if (left < 2 || (p[i + 1] & 0xc0) != 0x80)
                    return i;
                i += 2;
            } else if (c >= 0xe0 && c <= 0xef) {
                unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
                if (left < 3 || p[i + 1] < lo || p[i + 1] > hi || (p[i + 2] & 0xc0) != 0x80)
                    return i;
                i += 3;
            } else if (c >= 0xf0 && c <= 0xf4) {
                unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
                if (left < 4 || p[i + 1] < lo || p[i + 1] > hi || (p[i + 2] & 0xc0) != 0x80 ||
                    (p[i + 3] & 0xc0) != 0x80)
                    return i;
                i += 4;
            } else {
                return i;
            }
        }
    }
    return n;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2 1

/* UTF-8 validation 32 bytes at a time with three nibble lookups per byte pair (Keiser and
 * Lemire, "Validating UTF-8 in less than one instruction per byte", 2021). Each table maps a
 * nibble to the set of errors it could take part in; a byte pair is wrong when all three
 * agree. Lengths come from the lead bytes two and three positions back. */
#define TOO_SHORT (1 << 0)  /* a lead byte or ASCII where a continuation belongs */
#define TOO_LONG (1 << 1)   /* a continuation after ASCII */
#define OVERLONG_3 (1 << 2) /* e0 80..9f */
#define TOO_LARGE (1 << 3)  /* above U+10FFFF */
#define SURROGATE (1 << 4)  /* ed a0..bf */
#define OVERLONG_2 (1 << 5) /* c0, c1 */
#define TOO_LARGE_1000 (1 << 6)
#define OVERLONG_4 (1 << 6) /* f0 80..8f */
#define TWO_CONTS (-0x80)   /* bit 7: continuation after continuation (fine in a long sequence) */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

__attribute__((target("avx2"))) static inline __m256i
prev_bytes(__m256i in, __m256i prev, int n)
{
    /* in shifted up by n bytes, the top n bytes of prev shifted in */
    __m256i t = _mm256_permute2x128_si256(prev, in, 0x21);
    switch (n) {
    case 1: return _mm256_alignr_epi8(in, t, 15);
    case 2: return _mm256_alignr_epi8(in, t, 14);
    default: return _mm256_alignr_epi8(in, t, 13);
    }
}

__attribute__((target("avx2"))) static int
utf8_valid_avx2(const uint8_t *p, size_t n)
{
    const __m256i t1 = _mm256_setr_epi8(
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TWO_CONTS,
        TWO_CONTS, TWO_CONTS, TWO_CONTS, TOO_SHORT | OVERLONG_2, TOO_SHORT,
        TOO_SHORT | OVERLONG_3 | SURROGATE, TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TWO_CONTS,
        TWO_CONTS, TWO_CONTS, TWO_CONTS, TOO_SHORT | OVERLONG_2, TOO_SHORT,
        TOO_SHORT | OVERLONG_3 | SURROGATE, TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4);
#define LOW1                                                                                       \
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2, CARRY, CARRY,                \
        CARRY | TOO_LARGE, CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000, \
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,                    \
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,                    \
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,                    \
        CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE, CARRY | TOO_LARGE | TOO_LARGE_1000,        \
        CARRY | TOO_LARGE | TOO_LARGE_1000
    const __m256i t2 = _mm256_setr_epi8(LOW1, LOW1);
#undef LOW1
#define HIGH2                                                                                      \
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,        \
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,              \
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,                                \
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,                                 \
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, TOO_SHORT, TOO_SHORT,           \
        TOO_SHORT, TOO_SHORT
    const __m256i t3 = _mm256_setr_epi8(HIGH2, HIGH2);
#undef HIGH2
    const __m256i nib = _mm256_set1_epi8(0x0f);
    /* bytes that, in the last three positions of a block, start a sequence the block cuts */
    const __m256i maxv = _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, (char)(0xf0 - 1), (char)(0xe0 - 1), (char)(0xc0 - 1));
    __m256i err = _mm256_setzero_si256(), prev = _mm256_setzero_si256();
    __m256i incomplete = _mm256_setzero_si256();
    uint8_t last[32];
    size_t i = 0;
    for (;;) {
        __m256i in;
        int final = n - i < 32;
        if (!final) {
            in = _mm256_loadu_si256((const __m256i *)(p + i));
        } else {
            /* the tail, padded with NULs (ASCII): a sequence cut by the end shows as too short */
            memset(last, 0, sizeof last);
            memcpy(last, p + i, n - i);
            in = _mm256_loadu_si256((const __m256i *)last);
        }
        if (_mm256_movemask_epi8(in) == 0) {
            err = _mm256_or_si256(err, incomplete);
            incomplete = _mm256_setzero_si256();
        } else {
            __m256i p1 = prev_bytes(in, prev, 1);
            __m256i b1h = _mm256_shuffle_epi8(t1, _mm256_and_si256(_mm256_srli_epi16(p1, 4), nib));
            __m256i b1l = _mm256_shuffle_epi8(t2, _mm256_and_si256(p1, nib));
            __m256i b2h = _mm256_shuffle_epi8(t3, _mm256_and_si256(_mm256_srli_epi16(in, 4), nib));
            __m256i sc = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
            __m256i third =
                _mm256_subs_epu8(prev_bytes(in, prev, 2), _mm256_set1_epi8(0xe0 - 0x80));
            __m256i fourth =
                _mm256_subs_epu8(prev_bytes(in, prev, 3), _mm256_set1_epi8((char)(0xf0 - 0x80)));
            __m256i must23 =
                _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
            err = _mm256_or_si256(err, _mm256_xor_si256(must23, sc));
            incomplete = _mm256_subs_epu8(in, maxv);
        }
        prev = in;
        if (final)
            break;
        i += 32;
    }
    err = _mm256_or_si256(err, incomplete);
    return _mm256_testz_si256(err, err);
}

/* The first '"', '\\' or control character in p[0..end), 32 bytes at a time; returns early,
 * less than 32 bytes before end, when there is none, and leaves those bytes to the caller. */
__attribute__((target("avx2"))) static const uint8_t *
stop_avx2(const uint8_t *p, const uint8_t *end)
{
    const __m256i vq = _mm256_set1_epi8('"'), vb = _mm256_set1_epi8('\\');
    const __m256i vc = _mm256_set1_epi8(0x1f);
    while (end - p >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)p);
        __m256i stop =
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, vq), _mm256_cmpeq_epi8(v, vb)),
                            _mm256_cmpeq_epi8(_mm256_max_epu8(v, vc), vc));
        unsigned m = (unsigned)_mm256_movemask_epi8(stop);
        if (m)
            return p + __builtin_ctz(m);
        p += 32;
    }
    return p;
}
#endif

/* 1 if all of p[0..n) is valid UTF-8: the whole-line check that lets the scanner skip its own
 * per-string validation on the common path. */
static int
utf8_valid(const uint8_t *p, size_t n)
{
#if defined(HAVE_AVX2)
    if (__builtin_cpu_supports("avx2"))
        return utf8_valid_avx2(p, n);
#endif
    return ex_jscan_utf8_prefix(p, n) == n;
}

static int fail(ex_jscan_result *r, int status, const uint8_t *line, const uint8_t *at,
                const char *fmt, ...) EX_PRINTF(5, 6);

static int
fail(ex_jscan_result *r, int status, const uint8_t *line, const uint8_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->what, sizeof r->what, fmt, ap);
    va_end(ap);
    r->status = status;
    r->col = (size_t)(at - line);
    return status;
}

/* Hex digit values plus one; 0 for other bytes. */
static const uint8_t hexv1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The value of 4 hex digits at p, or -1 if p[0..4) (within end) are not all hex. */
static inline long
hex4(const uint8_t *p, const uint8_t *end)
{
    if (end - p < 4)
        return -1;
    int a = hexv1[p[0]] - 1, b = hexv1[p[1]] - 1, c = hexv1[p[2]] - 1, d = hexv1[p[3]] - 1;
    if ((a | b | c | d) < 0)
        return -1;
    return (long)a << 12 | b << 8 | c << 4 | d;
}

/* Describe byte c for a message: 'x' when printable ASCII, else 0xNN. */
static const char *
show(unsigned c, char buf[8])
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 8, "'%c'", (char)c);
    else
        snprintf(buf, 8, "0x%02x", c);
    return buf;
}

/* Scan a string body starting at p (just after the opening quote) up to its closing quote,
 * checking escapes, surrogate pairs, control characters and UTF-8. Returns the address of the
 * closing quote, or NULL with r filled in. field: the requested field this string is the value
 * of (for the UTF-8 message), or -1. */
static inline const uint8_t *
string_end(const uint8_t *line, const uint8_t *p, const uint8_t *end, int *escaped, int field,
           int check, int avx2, ex_jscan_result *r)
{
    const uint8_t *body = p;
    unsigned high = 0; /* some byte >= 0x80 may be in the body */
    int esc = 0;
    char sb[8];
    (void)avx2; /* unused without HAVE_AVX2 */
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), vc = _mm_set1_epi8(0x1f);
    __m128i acc = _mm_setzero_si128();
#endif
    for (;;) {
#if defined(HAVE_AVX2)
        /* no UTF-8 to watch for: the wider loop, when the CPU has it */
        if (avx2 && !check) {
            p = stop_avx2(p, end);
            if (end - p >= 32)
                goto special;
        }
#endif
#if defined(__SSE2__)
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)),
                                        _mm_cmpeq_epi8(_mm_max_epu8(v, vc), vc));
            acc = _mm_or_si128(acc, v);
            unsigned m = (unsigned)_mm_movemask_epi8(stop);
            if (m) {
                p += __builtin_ctz(m);
                goto special;
            }
            p += 16;
        }
#endif
        while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
            high |= *p++;
        if (p == end) {
            fail(r, EX_JSCAN_SYNTAX, line, body - 1, "unterminated string");
            return NULL;
        }
#if defined(__SSE2__) || defined(HAVE_AVX2)
    special:
#endif
        if (*p == '"')
            break;
        if (*p != '\\') {
            fail(r, EX_JSCAN_SYNTAX, line, p, "control character 0x%02x in a string", *p);
            return NULL;
        }
        esc = 1;
        const uint8_t *bs = p++;
        if (p == end) {
            fail(r, EX_JSCAN_SYNTAX, line, body - 1, "unterminated string");
            return NULL;
        }
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't': p++; break;
        case 'u': {
            long u = hex4(p + 1, end);
            if (u < 0) {
                fail(r, EX_JSCAN_SYNTAX, line, bs, "invalid \\u escape");
                return NULL;
            }
            p += 5;
            if (u >= 0xdc00 && u <= 0xdfff) {
                fail(r, EX_JSCAN_SURROGATE, line, bs, "unpaired surrogate escape '\\u%.4s'",
                     (const char *)bs + 2);
                return NULL;
            }
            if (u >= 0xd800 && u <= 0xdbff) {
                long lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2, end) : -1;
                if (lo < 0xdc00 || lo > 0xdfff) {
                    fail(r, EX_JSCAN_SURROGATE, line, bs, "unpaired surrogate escape '\\u%.4s'",
                         (const char *)bs + 2);
                    return NULL;
                }
                p += 6;
            }
            break;
        }
        default:
            fail(r, EX_JSCAN_SYNTAX, line, bs, "invalid escape '\\' followed by %s", show(*p, sb));
            return NULL;
        }
    }
#if defined(__SSE2__)
    high |= (unsigned)_mm_movemask_epi8(acc) ? 0x80 : 0;
#endif
    if (check && (high & 0x80)) {
        size_t n = (size_t)(p - body), k = ex_jscan_utf8_prefix(body, n);
        if (k < n) {
            r->field = field;
            fail(r, EX_JSCAN_UTF8, line, body + k, "invalid UTF-8");
            return NULL;
        }
    }
    *escaped = esc;
    return p;
}

/* Compare the key body k[0..klen) with segment d of each active field; set the fields it
 * completes in *cap and those it leads into in *desc. EX_JSCAN_DUPLICATE if an active field
 * already matched a key at this depth (the same object: see the top of this file). */
static int
match_key(const ex_jscan_spec *spec, unsigned d, unsigned act, const uint8_t *k, size_t klen,
          int escaped, uint8_t *seen, unsigned *cap, unsigned *desc, int *dup)
{
    uint8_t dec[6 * EX_JSCAN_NAME_MAX];
    if (escaped) {
        if (klen > sizeof dec)
            return 0; /* decodes to more than EX_JSCAN_NAME_MAX bytes: matches no segment */
        klen = ex_jscan_unescape(k, klen, dec);
        k = dec;
    }
    for (unsigned f = 0; f < spec->nfields; f++) {
        unsigned bit = 1u << f;
        if (!(act & bit) || spec->f[f].seglen[d] != klen || memcmp(spec->f[f].seg[d], k, klen))
            continue;
        if (seen[d] & bit) {
            *dup = (int)f;
            return -1;
        }
        seen[d] |= (uint8_t)bit;
        if (d + 1 == spec->f[f].nseg)
            *cap |= bit;
        else
            *desc |= bit;
    }
    return 0;
}

static void
record(ex_jscan_result *r, unsigned cap, int type, size_t off, size_t len, int escaped)
{
    for (unsigned f = 0; cap; f++, cap >>= 1) {
        if (cap & 1) {
            r->v[f].type = type;
            r->v[f].off = off;
            r->v[f].len = len;
            r->v[f].escaped = escaped;
        }
    }
}

static int
lowest(unsigned mask)
{
    return mask ? __builtin_ctz(mask) : -1;
}

/* An error at p, where `expected` should have come: invalid UTF-8 if p starts an invalid
 * sequence (so a stray byte is reported as what it is), else a syntax error naming the byte. */
static int
unexpected(ex_jscan_result *r, const uint8_t *line, const uint8_t *p, const uint8_t *end,
           const char *expected)
{
    char sb[8];
    if (p == end)
        return fail(r, EX_JSCAN_SYNTAX, line, p, "unexpected end of line, expected %s", expected);
    size_t n = end - p < 4 ? (size_t)(end - p) : 4;
    if (*p >= 0x80 && ex_jscan_utf8_prefix(p, n) == 0)
        return fail(r, EX_JSCAN_UTF8, line, p, "invalid UTF-8");
    return fail(r, EX_JSCAN_SYNTAX, line, p, "unexpected %s, expected %s", show(*p, sb), expected);
}

#define IS_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define SKIP_WS()                                                                                  \
    do {                                                                                           \
        while (p < end && IS_WS(*p))                                                               \
            p++;                                                                                   \
    } while (0)

int
ex_jscan_line(const ex_jscan_spec *spec, const uint8_t *line, size_t len, ex_jscan_result *r)
{
    const uint8_t *p = line, *end = line + len;
    uint8_t kinds[EX_JSCAN_DEPTH];
    uint8_t acts[EX_JSCAN_DEPTH];
    uint8_t seen[EX_JSCAN_SEGS] = {0};
    unsigned depth = 0, act = 0, cap = 0;
    unsigned desc = (1u << spec->nfields) - 1; /* the top-level object has every field */
    int top = EX_JSON_ABSENT, escaped, dup;
    /* one vector pass over the whole line usually proves its UTF-8; only when it fails do the
     * strings check themselves, so that the first error in the line is the one reported */
    int check = !utf8_valid(line, len);
#if defined(HAVE_AVX2)
    int avx2 = __builtin_cpu_supports("avx2");
#else
    int avx2 = 0;
#endif

    r->status = EX_JSCAN_OK;
    r->top = EX_JSON_ABSENT;
    r->col = 0;
    r->field = -1;
    r->what[0] = '\0';
    for (unsigned f = 0; f < spec->nfields; f++)
        r->v[f] = (ex_jscan_val){0};

    SKIP_WS();
    if (p == end)
        return r->status = EX_JSCAN_EMPTY;

value: /* p < end, at the first byte of a value */
    switch (*p) {
    case '"': {
        const uint8_t *q = string_end(line, p + 1, end, &escaped, lowest(cap), check, avx2, r);
        if (!q)
            return r->status;
        if (cap)
            record(r, cap, EX_JSON_STRING, (size_t)(p + 1 - line), (size_t)(q - p - 1), escaped);
        if (depth == 0)
            top = EX_JSON_STRING;
        p = q + 1;
        goto after;
    }
    case '{':
    case '[': {
        int obj = *p == '{';
        if (cap)
            record(r, cap, obj ? EX_JSON_OBJECT : EX_JSON_ARRAY, (size_t)(p - line), 0, 0);
        if (depth == 0)
            top = obj ? EX_JSON_OBJECT : EX_JSON_ARRAY;
        if (depth == EX_JSCAN_DEPTH)
            return fail(r, EX_JSCAN_TOO_DEEP, line, p, "nested deeper than %d levels",
                        EX_JSCAN_DEPTH);
        kinds[depth] = obj ? K_OBJ : K_ARR;
        acts[depth] = (uint8_t)act;
        depth++;
        act = obj ? desc : 0;
        cap = desc = 0;
        p++;
        SKIP_WS();
        if (p < end && *p == (obj ? '}' : ']')) {
            p++;
            depth--;
            act = acts[depth];
            goto after;
        }
        if (obj)
            goto key;
        if (p == end)
            return unexpected(r, line, p, end, "a value or ']'");
        goto value;
    }
    case 't':
    case 'f':
    case 'n': {
        const char *word = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
        size_t wl = strlen(word);
        if ((size_t)(end - p) < wl || memcmp(p, word, wl) != 0)
            return fail(r, EX_JSCAN_SYNTAX, line, p, "invalid literal (expected '%s')", word);
        int type = *p == 'n' ? EX_JSON_NULL : EX_JSON_BOOL;
        if (cap)
            record(r, cap, type, (size_t)(p - line), wl, 0);
        if (depth == 0)
            top = type;
        p += wl;
        goto after;
    }
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': {
        const uint8_t *s = p;
        if (*p == '-')
            p++;
        if (p < end && *p == '0') {
            p++;
        } else if (p < end && *p >= '1' && *p <= '9') {
            while (p < end && (unsigned)(*p - '0') < 10)
                p++;
        } else {
            return fail(r, EX_JSCAN_SYNTAX, line, s, "invalid number");
        }
        if (p < end && *p == '.') {
            p++;
            if (p == end || (unsigned)(*p - '0') >= 10)
                return fail(r, EX_JSCAN_SYNTAX, line, s, "invalid number");
            while (p < end && (unsigned)(*p - '0') < 10)
                p++;
        }
        if (p < end && (*p | 0x20) == 'e') {
            p++;
            if (p < end && (*p == '+' || *p == '-'))
                p++;
            if (p == end || (unsigned)(*p - '0') >= 10)
                return fail(r, EX_JSCAN_SYNTAX, line, s, "invalid number");
            while (p < end && (unsigned)(*p - '0') < 10)
                p++;
        }
        if (p < end && ((unsigned)(*p - '0') < 10 || *p == '.' || (*p | 0x20) == 'e'))
            return fail(r, EX_JSCAN_SYNTAX, line, s, "invalid number");
        if (cap)
            record(r, cap, EX_JSON_NUMBER, (size_t)(s - line), (size_t)(p - s), 0);
        if (depth == 0)
            top = EX_JSON_NUMBER;
        goto after;
    }
    default: return unexpected(r, line, p, end, "a value");
    }

after: /* just past a complete value */
    cap = desc = 0;
    SKIP_WS();
    if (depth == 0) {
        if (p != end)
            return unexpected(r, line, p, end, "the end of the line after the value");
        r->top = top;
        return EX_JSCAN_OK;
    }
    if (kinds[depth - 1] == K_OBJ) {
        if (p < end && *p == ',') {
            p++;
            goto key;
        }
        if (p == end || *p != '}')
            return unexpected(r, line, p, end, "',' or '}' in an object");
    } else {
        if (p < end && *p == ',') {
            p++;
            SKIP_WS();
            if (p == end)
                return unexpected(r, line, p, end, "a value");
            goto value;
        }
        if (p == end || *p != ']')
            return unexpected(r, line, p, end, "',' or ']' in an array");
    }
    p++;
    depth--;
    act = acts[depth];
    goto after;

key: /* inside an object, where a key must come */
    SKIP_WS();
    if (p == end || *p != '"')
        return unexpected(r, line, p, end, "a string key");
    {
        const uint8_t *q = string_end(line, p + 1, end, &escaped, -1, check, avx2, r);
        if (!q)
            return r->status;
        if (act && match_key(spec, depth - 1, act, p + 1, (size_t)(q - p - 1), escaped, seen, &cap,
                             &desc, &dup) < 0) {
            r->field = dup;
            return fail(r, EX_JSCAN_DUPLICATE, line, p,
                        "duplicate key '%s' on the path of field '%s'", spec->f[dup].seg[depth - 1],
                        spec->f[dup].name);
        }
        p = q + 1;
    }
    SKIP_WS();
    if (p == end || *p != ':')
        return unexpected(r, line, p, end, "':' after an object key");
    p++;
    SKIP_WS();
    if (p == end)
        return unexpected(r, line, p, end, "a value");
    goto value;
}

static size_t
put_utf8(uint8_t *o, unsigned long u)
{
    if (u < 0x80) {
        o[0] = (uint8_t)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (uint8_t)(0xc0 | u >> 6);
        o[1] = (uint8_t)(0x80 | (u & 0x3f));
        return 2;
    }
    if (u < 0x10000) {
        o[0] = (uint8_t)(0xe0 | u >> 12);
        o[1] = (uint8_t)(0x80 | (u >> 6 & 0x3f));
        o[2] = (uint8_t)(0x80 | (u & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | u >> 18);
    o[1] = (uint8_t)(0x80 | (u >> 12 & 0x3f));
    o[2] = (uint8_t)(0x80 | (u >> 6 & 0x3f));
    o[3] = (uint8_t)(0x80 | (u & 0x3f));
    return 4;
}

size_t
ex_jscan_unescape(const uint8_t *s, size_t len, uint8_t *out)
{
    const uint8_t *end = s + len;
    uint8_t *o = out;
    while (s < end) {
        const uint8_t *b = memchr(s, '\\', (size_t)(end - s));
        if (!b) {
            memcpy(o, s, (size_t)(end - s));
            o += end - s;
            break;
        }
        memcpy(o, s, (size_t)(b - s));
        o += b - s;
        s = b + 2;
        switch (b[1]) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned long u = (unsigned long)hex4(s, end);
            s += 4;
            if (u >= 0xd800 && u <= 0xdbff) {
                unsigned long lo = (unsigned long)hex4(s + 2, end);
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                s += 6;
            }
            o += put_utf8(o, u);
            break;
        }
        default: *o++ = b[1]; break; /* '"', '\\', '/' */
        }
    }
    return (size_t)(o - out);
}
