/* lex.c - the policy parser's errors, and its first step: each line checked for its encoding
 * (UTF-8, no control characters or direction marks) and cut into words and quoted strings.
 * parse.c reads the tokens as directives and rules. */
#include "policy_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX 1024 /* bytes of a reason, unescaped */

/* ---- parser state and errors ----------------------------------------------------------- */

static int
vfail_at(parser *p, int code, unsigned line, unsigned col, const char *fmt, va_list ap)
{
    if (p->err) {
        p->err->line = line;
        p->err->column = col;
        vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    }
    return code;
}

/* An error at column col of the current line; returns code. */
int
ex_policy_fail_code(parser *p, int code, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(p, code, p->line, col, fmt, ap);
    va_end(ap);
    return code;
}

int
ex_policy_nomem(parser *p)
{
    return ex_policy_fail_code(p, EX_ENOMEM, 1, "out of memory");
}

/* A token for a message: at most SHOW_MAX bytes, cut at a character boundary, "..." if cut. */
const char *
ex_policy_show(parser *p, int slot, const char *s)
{
    size_t n = strlen(s);
    char *o = p->shown[slot];
    if (n <= SHOW_MAX) {
        memcpy(o, s, n + 1);
        return o;
    }
    n = SHOW_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    memcpy(o, s, n);
    memcpy(o + n, "...", 4);
    return o;
}

/* ---- one line: encoding, tokens ------------------------------------------------------- */

/* Length of the UTF-8 sequence at s (0 if invalid: overlong, surrogate, > U+10FFFF, cut). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t k;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return k;
}

/* Characters that change the direction of text: they can make a line read differently from
 * what it says (CVE-2021-42574), so they are refused even in comments. */
static int
is_direction_mark(uint32_t c)
{
    return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069);
}

/* Spaces other than ASCII space and tab: they look like separators but are not. */
static int
is_unicode_space(uint32_t c)
{
    return c == 0x00a0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

/* The line is UTF-8 without NUL, control characters (tab aside), direction marks or a BOM.
 * Sets *cols to its number of characters. */
int
ex_policy_check_line(parser *p, const unsigned char *s, size_t n, unsigned *cols)
{
    unsigned col = 1;
    for (size_t i = 0; i < n; col++) {
        unsigned c = s[i];
        uint32_t cp;
        if (c < 0x80) {
            if (c == 0)
                return fail(p, col, "nul byte");
            if (c == '\r')
                return fail(p, col, "carriage return not followed by a line feed");
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return fail(p, col, "control character U+%04X", c);
            i++;
            continue;
        }
        size_t k = utf8_next(s + i, n - i, &cp);
        if (k == 0)
            return fail(p, col, "invalid UTF-8 (byte 0x%02x)", c);
        if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029)
            return fail(p, col, "control character U+%04X", (unsigned)cp);
        if (is_direction_mark(cp))
            return fail(p, col, "text direction control U+%04X", (unsigned)cp);
        if (cp == 0xfeff)
            return fail(p, col, "byte order mark U+FEFF inside the text");
        i += k;
    }
    *cols = col - 1;
    return EX_OK;
}

static int
push_tok(parser *p, tok t)
{
    if (p->nt == p->capt) {
        size_t cap = p->capt ? 2 * p->capt : 16;
        tok *nt = realloc(p->t, cap * sizeof *nt);
        if (!nt)
            return ex_policy_nomem(p);
        p->t = nt;
        p->capt = cap;
    }
    p->t[p->nt++] = t;
    return EX_OK;
}

/* A quoted string starting at s[*i] == '"': unescaped in place, ending at the closing quote. */
static int
quoted(parser *p, char *s, size_t n, size_t *i, unsigned *col)
{
    tok t = {s + *i, 0, *col, 0, 1};
    size_t r = *i + 1, w = *i;
    unsigned c = *col + 1;
    for (;;) {
        if (r >= n)
            return fail(p, t.col, "unterminated string");
        unsigned char ch = (unsigned char)s[r];
        if (ch == '"')
            break;
        if (ch == '\\') {
            if (r + 1 >= n)
                return fail(p, t.col, "unterminated string");
            if (s[r + 1] != '"' && s[r + 1] != '\\') {
                char e[8] = {0};
                uint32_t cp;
                size_t k = (unsigned char)s[r + 1] < 0x80
                               ? 1
                               : utf8_next((unsigned char *)s + r + 1, n - r - 1, &cp);
                memcpy(e, s + r + 1, k ? k : 1);
                return fail(p, c, "unknown escape '\\%s' (only \\\" and \\\\)", e);
            }
            s[w++] = s[r + 1];
            r += 2;
            c += 2;
            continue;
        }
        s[w++] = (char)ch;
        r++;
        if ((ch & 0xc0) != 0x80)
            c++;
    }
    t.len = w - *i;
    s[w] = '\0';
    r++; /* the closing quote */
    c++;
    if (r < n && s[r] != ' ' && s[r] != '\t' && s[r] != '#')
        return fail(p, c, "expected a space after the closing quote");
    if (t.len == 0)
        return fail(p, t.col, "empty reason");
    if (t.len > REASON_MAX)
        return fail(p, t.col, "reason longer than %d bytes", REASON_MAX);
    t.end = c;
    *i = r;
    *col = c;
    return push_tok(p, t);
}

/* Cut the line copy s[0..n) (s[n] == 0) into tokens; a comment ends it. */
int
ex_policy_tokenize(parser *p, char *s, size_t n)
{
    size_t i = 0;
    unsigned col = 1;
    int rc;
    p->nt = 0;
    while (i < n) {
        if (s[i] == ' ' || s[i] == '\t') {
            i++;
            col++;
            continue;
        }
        if (s[i] == '#')
            break;
        if (s[i] == '"') {
            if ((rc = quoted(p, s, n, &i, &col)) != EX_OK)
                return rc;
            continue;
        }
        tok t = {s + i, 0, col, 0, 0};
        size_t j = i;
        while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != '#') {
            unsigned char c = (unsigned char)s[j];
            uint32_t cp = 0;
            if (c == '"')
                return fail(p, col,
                            "unexpected '\"' inside a word (a reason is a separate "
                            "quoted string)");
            if (c >= 0x80) {
                size_t k = utf8_next((unsigned char *)s + j, n - j, &cp);
                if (is_unicode_space(cp))
                    return fail(p, col,
                                "non-ASCII space U+%04X; separate words with spaces or "
                                "tabs",
                                (unsigned)cp);
                j += k;
            } else {
                j++;
            }
            col++;
        }
        int comment = j < n && s[j] == '#';
        t.len = j - i;
        t.end = col;
        s[j] = '\0';
        if ((rc = push_tok(p, t)) != EX_OK)
            return rc;
        if (comment)
            break;
        i = j + 1;
        col++;
    }
    return EX_OK;
}
