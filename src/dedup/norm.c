/* norm.c - the normaliser (norm.h): near_ref.c's steps 1-3 without sending every code point
 * through utf8proc, whose NFKC with case folding is most of near_ref.c's time.
 *
 * The text may be cut before any "simple" code point and each piece normalised alone, with the
 * same result: one whose decomposition (NFKC, case folded: what utf8proc_decompose makes of it)
 * is not empty and starts with a starter (combining class 0) that is not the second of any
 * composition. For decomposition and ignoring are per code point; canonical reordering moves
 * non-starters only, never across a starter; composition joins a starter with what follows it
 * and stops at the next starter unless that is a second, which a simple one's is not. So a
 * simple code point followed by another, or by the end, normalises on its own. Seconds with
 * combining class 0 are few (Hangul vowels and trailing consonants, Indic and Tibetan vowel
 * signs): a starter of category M* or in the Hangul Jamo block is taken as one; test_nearfast.c
 * checks that no other code point's canonical decomposition has a second outside these.
 *
 * Every ASCII byte is simple (it folds to itself or its lowercase): runs of them go through
 * fold.c by a table read from utf8proc once. Other simple code points go through a cache of
 * their normal forms. What is left, a stretch from the simple code point before a non-simple
 * one (they may compose: e and U+0301 are U+00E9) up to the next simple one, goes through
 * utf8proc as near_ref.c does it. Step 3 is a state machine over the code points (a pending
 * space), carried from piece to piece. */
#include "norm.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "fold.h"
#include "near.h"

#define CACHE_BITS 13    /* 8192 code points whose normal form is kept, direct-mapped: */
#define CACHE (1u << CACHE_BITS) /* CJK text uses a few thousand (1024 thrashed on 2,000) */
#define NOT_SIMPLE 0xff

enum { DROP, SEP, KEEP }; /* what step 3 does with a code point */

typedef struct entry {
    utf8proc_int32_t cp;                 /* 0 for none (ASCII is never cached) */
    unsigned char n, kind[4], len[4];    /* n code points (NOT_SIMPLE: not cached): */
    char utf8[16];                       /* their step-3 kinds and UTF-8 */
} entry;

/* a stretch through utf8proc (a base letter and its combining marks, mostly) and what it gave */
#define STRETCHES 1024
#define STRETCH_IN 15
#define STRETCH_CPS 8
typedef struct stretch {
    unsigned char len, n;                 /* len 0: empty */
    char in[STRETCH_IN];
    unsigned char kind[STRETCH_CPS], olen[STRETCH_CPS];
    char out[4 * STRETCH_CPS];
} stretch;

struct ex_norm {
    ex_fold fold;
    int fast;                   /* fold.ascii is as the shortcut needs (else all to utf8proc) */
    ex_buf clean;               /* a stretch made valid */
    utf8proc_int32_t *cp;       /* a stretch's code points */
    size_t cpcap;
    entry cache[CACHE];
    stretch st[STRETCHES];
};

static int
kind(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return DROP;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        return SEP;
    default:
        return KEEP;
    }
}

/* what each ASCII byte becomes, from utf8proc (NUL as the space step 1 makes of it): 0 dropped,
 * ' ' a separator, or the byte kept (all above ' '); 0 if some byte does not fold to one ASCII
 * byte, which the shortcut needs */
static int
ascii_table(unsigned char *t)
{
    for (int c = 0; c < 128; c++) {
        utf8proc_int32_t d[4];
        if (utf8proc_decompose_char(c ? c : ' ', d, 4, EX_NEAR_UTF8PROC_OPTIONS, NULL) != 1 ||
            d[0] < 0 || d[0] >= 0x80)
            return 0;
        int kd = kind(d[0]);
        if (kd == KEEP && d[0] <= ' ')
            return 0;
        t[c] = (unsigned char)(kd == KEEP ? d[0] : kd == SEP ? ' ' : 0);
    }
    return 1;
}

int
ex_norm_new(ex_norm **out)
{
    ex_norm *z = calloc(1, sizeof *z);
    if (!(*out = z))
        return EX_ENOMEM;
    z->fast = ascii_table(z->fold.ascii);
    ex_fold_init(&z->fold);
    return EX_OK;
}

void
ex_norm_free(ex_norm *z)
{
    if (!z)
        return;
    ex_buf_free(&z->clean);
    free(z->cp);
    free(z);
}

/* z->cp[0..return): utf8proc_map's code points for valid UTF-8 s[0..len); < 0 on failure */
static utf8proc_ssize_t
map(ex_norm *z, const utf8proc_uint8_t *s, size_t len)
{
    for (;;) { /* into a buffer kept from call to call */
        utf8proc_ssize_t m = utf8proc_decompose(s, (utf8proc_ssize_t)len, z->cp,
                                                (utf8proc_ssize_t)z->cpcap,
                                                EX_NEAR_UTF8PROC_OPTIONS);
        if (m < 0 || (size_t)m <= z->cpcap)
            return m < 0 ? m : utf8proc_normalize_utf32(z->cp, m, EX_NEAR_UTF8PROC_OPTIONS);
        utf8proc_int32_t *cp = realloc(z->cp, (size_t)m * 2 * sizeof *cp);
        if (!cp)
            return UTF8PROC_ERROR_NOMEM;
        z->cp = cp, z->cpcap = (size_t)m * 2;
    }
}

/* step 3 for one code point of kind kd, UTF-8 b[0..n) (out has room) */
static inline void
put(ex_buf *out, int *space, int kd, const char *b, size_t n)
{
    if (kd != KEEP) {
        *space |= kd == SEP;
        return;
    }
    if (*space && out->len > 0)
        out->data[out->len++] = ' ';
    *space = 0;
    memcpy(out->data + out->len, b, n);
    out->len += n;
}

/* a stretch p[0..len) through utf8proc, appended to out; *space: a separator is pending.
 * Short stretches are remembered with their code points' kinds and UTF-8 (what a stretch
 * gives depends on its bytes alone; the pending space is put's): text with combining marks
 * repeats the same few, each 4 to 5 times slower through utf8proc than replayed. */
static int
through_utf8proc(ex_norm *z, const unsigned char *p, size_t len, ex_buf *out, int *space)
{
    stretch *st = NULL;
    if (len <= STRETCH_IN) {
        st = &z->st[(uint32_t)(XXH3_64bits(p, len) >> 54) % STRETCHES];
        if (st->len == len && memcmp(st->in, p, len) == 0) {
            if (ex_buf_reserve(out, 4 * (size_t)st->n + 1) != EX_OK)
                return EX_ENOMEM;
            for (unsigned i = 0, off = 0; i < st->n; off += st->olen[i++])
                put(out, space, st->kind[i], st->out + off, st->olen[i]);
            return EX_OK;
        }
    }
    z->clean.len = 0;
    if (ex_buf_reserve(&z->clean, len) != EX_OK)
        return EX_ENOMEM;
    for (size_t at = 0; at < len;) { /* invalid bytes and NUL become spaces: as long as p */
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(p + at, (utf8proc_ssize_t)(len - at), &c);
        int bad = k <= 0 || c == 0;
        size_t n = bad ? 1 : (size_t)k;
        if (bad)
            z->clean.data[z->clean.len] = ' ';
        else
            memcpy(z->clean.data + z->clean.len, p + at, n);
        z->clean.len += n, at += n;
    }
    utf8proc_ssize_t m = map(z, (const utf8proc_uint8_t *)z->clean.data, len);
    if (m < 0)
        return m == UTF8PROC_ERROR_NOMEM ? EX_ENOMEM : EX_EINVAL;
    if (ex_buf_reserve(out, 4 * (size_t)m) != EX_OK) /* a space only ever replaces a separator */
        return EX_ENOMEM;
    if (st && m > STRETCH_CPS)
        st = NULL;
    if (st)
        st->len = 0, st->n = 0;
    for (utf8proc_ssize_t i = 0, off = 0; i < m; i++) {
        utf8proc_uint8_t e[4];
        int kd = kind(z->cp[i]);
        size_t n = (size_t)utf8proc_encode_char(z->cp[i], e);
        put(out, space, kd, (const char *)e, n);
        if (st) {
            st->kind[i] = (unsigned char)kd, st->olen[i] = (unsigned char)n;
            memcpy(st->out + off, e, n);
            off += (utf8proc_ssize_t)n;
        }
    }
    if (st) {
        st->n = (unsigned char)m;
        memcpy(st->in, p, len);
        st->len = (unsigned char)len;
    }
    return EX_OK;
}

/* fill entry e for non-ASCII c */
static __attribute__((noinline)) const entry *
fill(entry *e, utf8proc_int32_t c)
{
    e->cp = c, e->n = NOT_SIMPLE;
    utf8proc_uint8_t u[4];
    utf8proc_int32_t d[8];
    utf8proc_ssize_t m = utf8proc_decompose(u, utf8proc_encode_char(c, u), d, 8,
                                            EX_NEAR_UTF8PROC_OPTIONS);
    if (m < 1 || m > 8 || utf8proc_get_property(d[0])->combining_class != 0 ||
        (d[0] >= 0x1100 && d[0] <= 0x11ff)) /* the Hangul Jamo block: seconds */
        return e;
    switch (utf8proc_category(d[0])) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return e; /* may be a second */
    default:
        break;
    }
    if ((m = utf8proc_normalize_utf32(d, m, EX_NEAR_UTF8PROC_OPTIONS)) < 1 || m > 4)
        return e;
    for (utf8proc_ssize_t i = 0, off = 0; i < m; i++) {
        e->kind[i] = (unsigned char)kind(d[i]);
        e->len[i] = (unsigned char)utf8proc_encode_char(d[i], (utf8proc_uint8_t *)e->utf8 + off);
        off += e->len[i];
    }
    e->n = (unsigned char)m;
    return e;
}

/* the cache entry of non-ASCII c, made if missing */
static inline const entry *
lookup(ex_norm *z, utf8proc_int32_t c)
{
    entry *e = &z->cache[(uint32_t)c * UINT32_C(2654435761) >> (32 - CACHE_BITS)]; /* Fibonacci */
    return e->cp == c ? e : fill(e, c);
}

/* the code point at p[0..len) (len > 0) and its length *k: ' ' for an invalid byte or a NUL
 * (step 1) */
static inline utf8proc_int32_t
next_cp(const unsigned char *p, size_t len, size_t *k)
{
    utf8proc_int32_t c = p[0];
    *k = 1;
    /* the two- and three-byte forms of text, decoded here: valid exactly when utf8proc says */
    if (c >= 0xC2 && c <= 0xDF && len >= 2 && (p[1] & 0xC0) == 0x80) {
        *k = 2;
        return (c & 0x1F) << 6 | (p[1] & 0x3F);
    }
    if (c >= 0xE0 && c <= 0xEF && len >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        utf8proc_int32_t d = (c & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p[2] & 0x3F);
        if (d >= 0x800 && (d < 0xD800 || d > 0xDFFF)) {
            *k = 3;
            return d;
        }
    }
    if (c >= 0x80) {
        utf8proc_ssize_t r = utf8proc_iterate(p, (utf8proc_ssize_t)len, &c);
        if (r <= 0)
            return ' ';
        *k = (size_t)r;
    }
    return c ? c : ' ';
}

static int
simple(ex_norm *z, utf8proc_int32_t c)
{
    return c < 0x80 || lookup(z, c)->n != NOT_SIMPLE;
}

/* a piece p[0..len) appended to out, code point by code point, a stretch through utf8proc
 * where one is not simple */
static int
through_cache(ex_norm *z, const unsigned char *p, size_t len, ex_buf *out, int *space)
{
    size_t cut = 0, cut_len = out->len; /* the last place that may be cut, and out then */
    int cut_space = *space, rc;
    for (size_t at = 0, k; at < len; at += k) {
        if (out->cap - out->len < 24 && ex_buf_reserve(out, 24) != EX_OK)
            return EX_ENOMEM; /* 4 code points and their spaces */
        utf8proc_int32_t c = next_cp(p + at, len - at, &k);
        const entry *e = c < 0x80 ? NULL : lookup(z, c);
        if (e && e->n == NOT_SIMPLE) {
            size_t end = at + k, k2;
            while (end < len && !simple(z, next_cp(p + end, len - end, &k2)))
                end += k2;
            out->len = cut_len, *space = cut_space;
            if ((rc = through_utf8proc(z, p + cut, end - cut, out, space)) != EX_OK)
                return rc;
            k = end - at;
            continue;
        }
        cut = at, cut_len = out->len, cut_space = *space;
        if (c < 0x80) {
            unsigned char a = z->fold.ascii[c];
            put(out, space, a == 0 ? DROP : a == ' ' ? SEP : KEEP, (const char *)&a, 1);
            continue;
        }
        for (unsigned i = 0, off = 0; i < e->n; off += e->len[i++])
            put(out, space, e->kind[i], e->utf8 + off, e->len[i]);
    }
    return EX_OK;
}

/* the first byte at or after i that is not ASCII, or len */
static size_t
ascii_end(const unsigned char *p, size_t i, size_t len)
{
#ifdef __SSE2__ /* x86-64 always has it: 16 bytes a step, the first high bit by its mask */
    for (; i + 16 <= len; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(p + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        v &= UINT64_C(0x8080808080808080);
        if (v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + (size_t)(__builtin_ctzll(v) >> 3);
#else
            return i + (size_t)(__builtin_clzll(v) >> 3);
#endif
        }
    }
    while (i < len && p[i] < 0x80)
        i++;
    return i;
}

int
ex_norm_run(ex_norm *z, const char *text, size_t len, ex_buf *out)
{
    const unsigned char *p = (const unsigned char *)text;
    int space = 0, rc;
    out->len = 0;
    if ((rc = ex_buf_reserve(out, len)) != EX_OK)
        return rc;
    if (!z->fast && len > 0 && (rc = through_utf8proc(z, p, len, out, &space)) != EX_OK)
        return rc;
    for (size_t i = 0; z->fast && i < len;) {
        /* ASCII through fold.c but for the byte before other bytes: it goes with them */
        size_t end = ascii_end(p, i, len), stop = end < len && end > i ? end - 1 : end;
        if ((rc = ex_buf_reserve(out, stop - i + 16)) != EX_OK)
            return rc;
        ex_fold_run(&z->fold, p + i, stop - i, out, &space);
        if ((i = stop) == len)
            break;
        while (end < len && p[end] >= 0x80)
            end++;
        if ((rc = through_cache(z, p + i, end - i, out, &space)) != EX_OK)
            return rc;
        i = end;
    }
    out->data[out->len] = '\0';
    return EX_OK;
}
