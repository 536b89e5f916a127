/* parse.c - the policy file (docs/POLICY.md): read line by line, each line checked for its
 * encoding, split into tokens and read as a directive or a rule; then the warnings about rules
 * that never apply. Also the canonical JSON form and its digest. */
#include "policy.h"

#include "core/cjson.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REASON_MAX 1024     /* bytes of a reason, unescaped */
#define POLICY_NAME_MAX 128 /* bytes of `name` and of a source `name=` */
#define NEAR_DIGITS 15      /* digits after the point: every such decimal survives a double */
#define SHOW_MAX 40         /* bytes of a token quoted in a message */

static const char *const directives[] = {"name", "agents", "near", "admit", "reject", NULL};

static const struct {
    const char *name;
    int cond;
    int args; /* 0: none; 1: source tests; 2: license ids */
} conds[] = {
    {"*", EX_COND_ANY, 0},
    {"optout", EX_COND_OPTOUT, 0},
    {"tdm-reserved", EX_COND_TDM_RESERVED, 0},
    {"robots-disallowed", EX_COND_ROBOTS_DISALLOWED, 0},
    {"robots-unknown", EX_COND_ROBOTS_UNKNOWN, 0},
    {"noai", EX_COND_NOAI, 0},
    {"noimageai", EX_COND_NOIMAGEAI, 0},
    {"source", EX_COND_SOURCE, 1},
    {"license", EX_COND_LICENSE, 2},
    {"license-unknown", EX_COND_LICENSE_UNKNOWN, 0},
};
#define NCONDS (sizeof conds / sizeof conds[0])

static const char *const cond_words[] = {
    "*",    "optout",    "tdm-reserved", "robots-disallowed", "robots-unknown",
    "noai", "noimageai", "source",       "license",           "license-unknown",
    NULL};
static const char *const source_tests[] = {"agreement", "terms", "ml-use", "kind", "name", NULL};
static const char *const ml_uses[] = {"allowed", "prohibited", "unknown", NULL};
static const char *const kinds[] = {
    "crawl", "licensed", "public-dataset", "first-party", "synthetic", "other", NULL};

const char *
ex_policy_cond_name(int cond)
{
    for (size_t i = 0; i < NCONDS; i++)
        if (conds[i].cond == cond)
            return conds[i].name;
    return NULL;
}

const char *
ex_policy_verdict_name(int verdict)
{
    return verdict == EX_VERDICT_ADMIT ? "admit" : verdict == EX_VERDICT_REJECT ? "reject" : NULL;
}

/* ---- parser state and errors ----------------------------------------------------------- */

typedef struct tok {
    char *s; /* NUL-terminated, inside the line copy; a quoted string unescaped */
    size_t len;
    unsigned col, end; /* column of its first character and just after its last */
    int quoted;
} tok;

typedef struct parser {
    ex_policy *pol;
    ex_policy_err *err;
    unsigned line;
    ex_buf copy; /* the current line, cut into tokens in place */
    tok *t;
    size_t nt, capt;
    size_t caprules, capwarn;
    unsigned name_line, agents_line, near_line;
    char shown[2][SHOW_MAX + 8];
} parser;

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
static int EX_PRINTF(4, 5) fail_code(parser *p, int code, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(p, code, p->line, col, fmt, ap);
    va_end(ap);
    return code;
}

#define fail(p, col, ...) fail_code(p, EX_EFORMAT, col, __VA_ARGS__)

static int
nomem(parser *p)
{
    return fail_code(p, EX_ENOMEM, 1, "out of memory");
}

/* A token for a message: at most SHOW_MAX bytes, cut at a character boundary, "..." if cut. */
static const char *
show(parser *p, int slot, const char *s)
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

/* ---- suggestions --------------------------------------------------------------------- */

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Edit distance with adjacent transpositions, ignoring ASCII case; strings up to 32 bytes. */
static size_t
distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b), d[34][34];
    if (n > 32 || m > 32)
        return 99;
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

/* The closest word to w (one edit for short words, two for longer ones), or NULL. */
static const char *
suggest(const char *w, const char *const *words)
{
    const char *best = NULL;
    size_t bestd = 99;
    for (size_t i = 0; words[i]; i++) {
        size_t d = distance(w, words[i]), allowed = strlen(words[i]) <= 4 ? 1 : 2;
        if (d <= allowed && d < bestd) {
            best = words[i];
            bestd = d;
        }
    }
    return best;
}

/* " (did you mean 'x'?)" or "" */
static const char *
hint(char buf[64], const char *w, const char *const *words)
{
    const char *s = suggest(w, words);
    if (!s)
        return "";
    snprintf(buf, 64, " (did you mean '%s'?)", s);
    return buf;
}

static int
one_of(const char *s, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strcmp(s, words[i]) == 0)
            return 1;
    return 0;
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
static int
check_line(parser *p, const unsigned char *s, size_t n, unsigned *cols)
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
            return nomem(p);
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
static int
tokenize(parser *p, char *s, size_t n)
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

/* ---- small syntax checks ------------------------------------------------------------- */

static int
starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* SPDX idstring: 1*(ALPHA / DIGIT / "-" / ".") */
static int
idstring(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* `ref` is "LicenseRef" for licenses, "AdditionRef" for exceptions: [DocumentRef-X:]Ref-Y */
static int
ref_ok(const char *s, const char *ref)
{
    const char *colon = strchr(s, ':');
    if (colon) {
        if (!starts(s, "DocumentRef-") || !idstring(s + 12, (size_t)(colon - s - 12)))
            return 0;
        s = colon + 1;
    }
    size_t r = strlen(ref);
    return strncmp(s, ref, r) == 0 && s[r] == '-' && idstring(s + r + 1, strlen(s + r + 1));
}

/* A license id: idstring with an optional final '+', or a LicenseRef. */
static int
license_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (strchr(s, ':') || starts(s, "LicenseRef-"))
        return ref_ok(s, "LicenseRef");
    if (n > 1 && s[n - 1] == '+')
        n--;
    return idstring(s, n);
}

static int
exception_id_ok(const char *s)
{
    if (strchr(s, ':') || starts(s, "AdditionRef-"))
        return ref_ok(s, "AdditionRef");
    return idstring(s, strlen(s));
}

static int
is_operator(const char *s)
{
    return strcasecmp(s, "and") == 0 || strcasecmp(s, "or") == 0 || strcasecmp(s, "with") == 0;
}

/* robots.txt product token (RFC 9309 2.2.1): 1*("-" / ALPHA / "_") */
static int
product_token_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* A rule id: [A-Za-z0-9._:-]{1,63} */
static int
rule_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= EX_POLICY_ID_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == ':' || *s == '-'))
            return 0;
    return 1;
}

/* A policy or source name: 1..128 bytes, no backslash (tokens have no spaces or quotes). */
static int
name_ok(const char *s, size_t n)
{
    return n >= 1 && n <= POLICY_NAME_MAX && !strchr(s, '\\');
}

typedef struct keyed {
    const char *s;
    size_t index;
} keyed;

static int
keyed_cmp_nocase(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcasecmp(x->s, y->s);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* The smallest index that repeats an earlier string (ASCII case ignored), or n if none. */
static int
first_repeat(char *const *v, size_t n, size_t *at)
{
    *at = n;
    if (n < 2)
        return EX_OK;
    keyed *k = malloc(n * sizeof *k);
    if (!k)
        return EX_ENOMEM;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){v[i], i};
    qsort(k, n, sizeof *k, keyed_cmp_nocase);
    for (size_t i = 1; i < n; i++)
        if (strcasecmp(k[i - 1].s, k[i].s) == 0 && k[i].index < *at)
            *at = k[i].index;
    free(k);
    return EX_OK;
}

/* ---- directives ---------------------------------------------------------------------- */

static int
once(parser *p, unsigned *seen)
{
    if (*seen)
        return fail(p, p->t[0].col, "duplicate '%s' (first on line %u)", p->t[0].s, *seen);
    *seen = p->line;
    return EX_OK;
}

/* The directive has exactly one value: t[1]. */
static int
one_value(parser *p, const char *what)
{
    if (p->nt < 2)
        return fail(p, p->t[0].end, "'%s' needs %s", p->t[0].s, what);
    if (p->t[1].quoted)
        return fail(p, p->t[1].col, "'%s' takes %s, not a quoted string", p->t[0].s, what);
    if (p->nt > 2)
        return fail(p, p->t[2].col, "unexpected '%s' after the %s", show(p, 0, p->t[2].s),
                    p->t[0].s);
    return EX_OK;
}

static int
dir_name(parser *p)
{
    int rc;
    if ((rc = once(p, &p->name_line)) != EX_OK || (rc = one_value(p, "a name")) != EX_OK)
        return rc;
    const tok *v = &p->t[1];
    if (!name_ok(v->s, v->len))
        return fail(p, v->col, "invalid policy name: at most %d bytes, no backslash",
                    POLICY_NAME_MAX);
    if (!(p->pol->name = strdup(v->s)))
        return nomem(p);
    return EX_OK;
}

static int
dir_agents(parser *p)
{
    int rc;
    if ((rc = once(p, &p->agents_line)) != EX_OK)
        return rc;
    if (p->nt < 2)
        return fail(p, p->t[0].end, "'agents' needs at least one robots.txt product token");
    size_t n = p->nt - 1;
    char **a = calloc(n, sizeof *a);
    if (!a)
        return nomem(p);
    p->pol->agents = a;
    for (size_t i = 0; i < n; i++) {
        const tok *v = &p->t[i + 1];
        if (v->quoted)
            return fail(p, v->col, "'agents' takes product tokens, not a quoted string");
        if (strcmp(v->s, "*") == 0)
            return fail(p, v->col,
                        "'*' is not a product token: without 'agents', only the '*' "
                        "groups of robots.txt apply");
        if (!product_token_ok(v->s))
            return fail(p, v->col,
                        "'%s' is not a robots.txt product token (letters, '-' and '_' only, "
                        "RFC 9309)",
                        show(p, 0, v->s));
        if (!(a[i] = strdup(v->s)))
            return nomem(p);
        p->pol->nagents = i + 1;
    }
    size_t at;
    if ((rc = first_repeat(a, n, &at)) != EX_OK)
        return nomem(p);
    if (at < n)
        return fail(p, p->t[at + 1].col, "agent '%s' listed twice (product tokens ignore case)",
                    show(p, 0, a[at]));
    return EX_OK;
}

/* near: [0-9]+(.[0-9]+)? with 0 < value <= 1 and at most NEAR_DIGITS digits after the point
 * once trailing zeros are dropped. The value is mantissa / 10^k: both exact in a double, so
 * the one division rounds correctly, as strtod would, without depending on the locale. */
static int
dir_near(parser *p)
{
    int rc;
    if ((rc = once(p, &p->near_line)) != EX_OK || (rc = one_value(p, "a number")) != EX_OK)
        return rc;
    const tok *v = &p->t[1];
    const char *s = v->s, *dot = strchr(s, '.');
    size_t ilen = dot ? (size_t)(dot - s) : v->len, flen = dot ? strlen(dot + 1) : 0;
    int ok = ilen > 0 && (!dot || flen > 0);
    for (size_t i = 0; ok && i < v->len; i++)
        ok = (s[i] >= '0' && s[i] <= '9') || s + i == dot;
    if (!ok)
        return fail(p, v->col, "'near' must be a decimal number such as 0.8, not '%s'",
                    show(p, 0, s));
    while (ilen > 0 && *s == '0')
        s++, ilen--;
    while (flen > 0 && dot[flen] == '0')
        flen--;
    if (ilen > 1 || (ilen == 1 && (*s != '1' || flen > 0)))
        return fail(p, v->col, "'near' must be at most 1");
    if (flen > NEAR_DIGITS)
        return fail(p, v->col, "'near' has more than %d digits after the point", NEAR_DIGITS);
    uint64_t m = ilen, scale = 1;
    for (size_t i = 1; i <= flen; i++) {
        m = m * 10 + (uint64_t)(dot[i] - '0');
        scale *= 10;
    }
    if (m == 0)
        return fail(p, v->col, "'near' must be greater than 0");
    p->pol->near = (double)m / (double)scale;
    return EX_OK;
}

/* ---- rules --------------------------------------------------------------------------- */

static void
rule_clear(ex_policy_rule *r)
{
    for (size_t i = 0; i < r->nargs; i++)
        free(r->args[i]);
    free(r->args);
    free(r->reason);
    memset(r, 0, sizeof *r);
}

/* Append s (taken: freed on failure) to the rule's arguments; r->args has room for all. */
static int
add_arg(parser *p, ex_policy_rule *r, char *s)
{
    if (!s)
        return nomem(p);
    r->args[r->nargs++] = s;
    return EX_OK;
}

/* source tests: agreement, terms, ml-use=V, kind=K, name=N; each at most once */
static int
source_args(parser *p, ex_policy_rule *r, const tok *a, size_t n)
{
    unsigned seen = 0;
    char h[64];
    for (size_t i = 0; i < n; i++) {
        const char *s = a[i].s, *eq = strchr(s, '=');
        size_t klen = eq ? (size_t)(eq - s) : a[i].len;
        int k = -1;
        for (int j = 0; source_tests[j]; j++)
            if (strlen(source_tests[j]) == klen && strncmp(s, source_tests[j], klen) == 0)
                k = j;
        if (k < 0) {
            char key[40];
            snprintf(key, sizeof key, "%.*s", (int)(klen < 32 ? klen : 32), s);
            return fail(p, a[i].col,
                        "unknown source test '%s'%s; tests: agreement, terms, ml-use=, kind=, "
                        "name=",
                        show(p, 0, s), hint(h, key, source_tests));
        }
        if (seen & (1u << k))
            return fail(p, a[i].col, "source test '%s' given twice", source_tests[k]);
        seen |= 1u << k;
        const char *val = eq ? eq + 1 : NULL;
        if (k <= 1) { /* agreement, terms */
            if (val)
                return fail(p, a[i].col, "source test '%s' takes no value", source_tests[k]);
        } else if (!val || !*val) {
            return fail(p, a[i].col, "source test '%s' needs a value: %s=...", source_tests[k],
                        source_tests[k]);
        } else if (k == 2 && !one_of(val, ml_uses)) {
            return fail(p, a[i].col, "ml-use must be allowed, prohibited or unknown, not '%s'%s",
                        show(p, 0, val), hint(h, val, ml_uses));
        } else if (k == 3 && !one_of(val, kinds)) {
            return fail(p, a[i].col,
                        "kind must be crawl, licensed, public-dataset, first-party, synthetic or "
                        "other, not '%s'%s",
                        show(p, 0, val), hint(h, val, kinds));
        } else if (k == 4 && !name_ok(val, strlen(val))) {
            return fail(p, a[i].col, "invalid source name: at most %d bytes, no backslash",
                        POLICY_NAME_MAX);
        }
        int rc = add_arg(p, r, strdup(s));
        if (rc != EX_OK)
            return rc;
    }
    return EX_OK;
}

/* license ids, each alone or as `ID WITH EXCEPTION` (stored as one argument) */
static int
license_args(parser *p, ex_policy_rule *r, const tok *a, size_t n)
{
    int rc;
    unsigned *cols = malloc((n ? n : 1) * sizeof *cols);
    if (!cols)
        return nomem(p);
    for (size_t i = 0; i < n; i++) {
        const char *s = a[i].s;
        if (strcasecmp(s, "with") == 0) {
            rc = fail(p, a[i].col, "'%s' must follow a license id", s);
            goto out;
        }
        if (is_operator(s)) {
            rc = fail(p, a[i].col,
                      "'%s': a license rule lists ids, not an expression (an item's expression "
                      "is matched against the set)",
                      s);
            goto out;
        }
        if (!license_id_ok(s)) {
            rc = fail(p, a[i].col,
                      "invalid license id '%s' (SPDX: letters, digits, '-', '.', an optional "
                      "final '+', or LicenseRef-...)",
                      show(p, 0, s));
            goto out;
        }
        cols[r->nargs] = a[i].col;
        if (i + 1 < n && strcasecmp(a[i + 1].s, "with") == 0) {
            const char *w = a[i + 1].s;
            if (strcmp(w, "WITH") != 0 && strcmp(w, "with") != 0) {
                rc = fail(p, a[i + 1].col, "write 'WITH' or 'with', not '%s'", w);
                goto out;
            }
            if (i + 2 >= n) {
                rc = fail(p, a[i + 1].end, "'%s' needs an exception id", w);
                goto out;
            }
            const char *e = a[i + 2].s;
            if (is_operator(e) || !exception_id_ok(e)) {
                rc =
                    fail(p, a[i + 2].col, "invalid exception id '%s' after '%s'", show(p, 0, e), w);
                goto out;
            }
            char *both = malloc(strlen(s) + strlen(e) + 7);
            if (both)
                sprintf(both, "%s WITH %s", s, e);
            if ((rc = add_arg(p, r, both)) != EX_OK)
                goto out;
            i += 2;
        } else if ((rc = add_arg(p, r, strdup(s))) != EX_OK) {
            goto out;
        }
    }
    size_t at;
    if ((rc = first_repeat(r->args, r->nargs, &at)) != EX_OK) {
        rc = nomem(p);
        goto out;
    }
    if (at < r->nargs)
        rc = fail(p, cols[at], "license '%s' listed twice (license ids ignore case)",
                  show(p, 0, r->args[at]));
out:
    free(cols);
    return rc;
}

static int
rule_id(parser *p, ex_policy_rule *r, const tok *t)
{
    const char *id = t->s + 3;
    if (!rule_id_ok(id))
        return fail(p, t->col, "invalid rule id '%s': 1 to %d of A-Z a-z 0-9 . _ : -",
                    show(p, 0, id), EX_POLICY_ID_MAX - 1);
    if (starts(id, "line:"))
        return fail(p, t->col, "rule ids starting with 'line:' are kept for rules without an id");
    if (strcmp(id, "no-rule") == 0)
        return fail(p, t->col, "rule id 'no-rule' is kept for items that match no rule");
    for (size_t i = 0; i < p->pol->nrules; i++)
        if (strcmp(p->pol->rules[i].id, id) == 0)
            return fail(p, t->col, "duplicate rule id '%s' (first on line %u)", id,
                        p->pol->rules[i].line);
    memcpy(r->id, id, strlen(id) + 1);
    return EX_OK;
}

static int
rule(parser *p, int verdict)
{
    const tok *t = p->t;
    size_t nt = p->nt;
    char h[64];
    int rc;
    if (p->pol->nrules >= EX_POLICY_MAX_RULES)
        return fail_code(p, EX_ETOOBIG, 1, "more than %d rules", EX_POLICY_MAX_RULES);
    if (nt < 2)
        return fail(p, t[0].end,
                    "'%s' needs a condition: *, optout, tdm-reserved, "
                    "robots-disallowed, robots-unknown, noai, noimageai, source, "
                    "license or license-unknown",
                    t[0].s);
    if (t[1].quoted || starts(t[1].s, "id="))
        return fail(p, t[1].col, "expected a condition before the %s",
                    t[1].quoted ? "reason" : "rule id");
    size_t c = 0;
    while (c < NCONDS && strcmp(conds[c].name, t[1].s) != 0)
        c++;
    if (c == NCONDS)
        return fail(p, t[1].col, "unknown condition '%s'%s", show(p, 0, t[1].s),
                    hint(h, t[1].s, cond_words));

    /* arguments, then a reason and an id in either order */
    size_t e = 2;
    while (e < nt && !t[e].quoted && !starts(t[e].s, "id="))
        e++;
    const tok *reason = NULL, *id = NULL;
    for (size_t i = e; i < nt; i++) {
        if (t[i].quoted && reason)
            return fail(p, t[i].col, "a rule has one reason");
        if (!t[i].quoted && starts(t[i].s, "id=") && id)
            return fail(p, t[i].col, "rule id given twice");
        if (t[i].quoted)
            reason = &t[i];
        else if (starts(t[i].s, "id="))
            id = &t[i];
        else
            return fail(p, t[i].col, "unexpected '%s' after the %s (arguments come first)",
                        show(p, 0, t[i].s), t[i - 1].quoted ? "reason" : "rule id");
    }
    size_t nargs = e - 2;
    if (conds[c].args == 0 && nargs > 0)
        return fail(p, t[2].col, "'%s' takes no arguments (a reason goes in double quotes)",
                    conds[c].name);
    if (conds[c].args == 1 && nargs == 0)
        return fail(p, t[e - 1].end,
                    "'source' needs at least one test: agreement, terms, ml-use=, kind=, name=");
    if (conds[c].args == 2 && nargs == 0)
        return fail(p, t[e - 1].end, "'license' needs at least one license id");

    ex_policy_rule r = {0};
    r.line = p->line;
    r.verdict = verdict;
    r.cond = conds[c].cond;
    if (nargs && !(r.args = calloc(nargs, sizeof *r.args)))
        return nomem(p);
    if (conds[c].args == 1)
        rc = source_args(p, &r, t + 2, nargs);
    else if (conds[c].args == 2)
        rc = license_args(p, &r, t + 2, nargs);
    else
        rc = EX_OK;
    if (rc == EX_OK && reason && !(r.reason = strdup(reason->s)))
        rc = nomem(p);
    if (rc == EX_OK && id)
        rc = rule_id(p, &r, id);
    else if (rc == EX_OK)
        snprintf(r.id, sizeof r.id, "line:%u", p->line);
    if (rc == EX_OK && p->pol->nrules == p->caprules) {
        size_t cap = p->caprules ? 2 * p->caprules : 16;
        ex_policy_rule *nr = realloc(p->pol->rules, cap * sizeof *nr);
        if (!nr)
            rc = nomem(p);
        else
            p->pol->rules = nr, p->caprules = cap;
    }
    if (rc != EX_OK) {
        rule_clear(&r);
        return rc;
    }
    p->pol->rules[p->pol->nrules++] = r;
    return EX_OK;
}

static int
statement(parser *p)
{
    const tok *k = &p->t[0];
    char h[64];
    if (k->quoted)
        return fail(p, k->col,
                    "a line starts with a directive or 'admit'/'reject', not a "
                    "quoted string");
    if (strcmp(k->s, "admit") == 0)
        return rule(p, EX_VERDICT_ADMIT);
    if (strcmp(k->s, "reject") == 0)
        return rule(p, EX_VERDICT_REJECT);
    if (strcmp(k->s, "name") == 0)
        return dir_name(p);
    if (strcmp(k->s, "agents") == 0)
        return dir_agents(p);
    if (strcmp(k->s, "near") == 0)
        return dir_near(p);
    for (size_t c = 0; c < NCONDS; c++)
        if (strcmp(conds[c].name, k->s) == 0)
            return fail(p, k->col, "a rule starts with 'admit' or 'reject', then '%s'", k->s);
    return fail(p, k->col, "unknown keyword '%s'%s", show(p, 0, k->s), hint(h, k->s, directives));
}

/* ---- warnings ------------------------------------------------------------------------ */

static int EX_PRINTF(3, 4) warn(parser *p, unsigned line, const char *fmt, ...)
{
    ex_policy *pol = p->pol;
    if (pol->nwarnings == p->capwarn) {
        size_t cap = p->capwarn ? 2 * p->capwarn : 8;
        ex_policy_warning *w = realloc(pol->warnings, cap * sizeof *w);
        if (!w)
            return EX_ENOMEM;
        pol->warnings = w;
        p->capwarn = cap;
    }
    ex_policy_warning *w = &pol->warnings[pol->nwarnings++];
    w->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
    return EX_OK;
}

static int
cmp_nocase(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a rule tests, independent of argument order (and of case for license ids):
 * "cond\x1farg\x1farg..." in a malloc'd string. */
static char *
rule_key(const ex_policy_rule *r)
{
    ex_buf b = {0};
    char **v = r->nargs ? malloc(r->nargs * sizeof *v) : NULL;
    if (r->nargs && !v)
        return NULL;
    if (r->nargs)
        memcpy(v, r->args, r->nargs * sizeof *v);
    if (r->nargs)
        qsort(v, r->nargs, sizeof *v, r->cond == EX_COND_LICENSE ? cmp_nocase : cmp_str);
    int rc = ex_buf_printf(&b, "%d", r->cond);
    for (size_t i = 0; rc == EX_OK && i < r->nargs; i++) {
        rc = ex_buf_putc(&b, '\x1f');
        for (const char *s = v[i]; rc == EX_OK && *s; s++)
            rc = ex_buf_putc(&b, (char)(r->cond == EX_COND_LICENSE ? lower(*s) : *s));
    }
    free(v);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return NULL;
    }
    return ex_buf_take(&b, NULL);
}

static int
warnings(parser *p)
{
    const ex_policy *pol = p->pol;
    size_t n = pol->nrules, any = n;
    int rc = EX_OK;
    char **keys = calloc(n, sizeof *keys);
    uint64_t *hashes = calloc(n, sizeof *hashes);
    if (!keys || !hashes) {
        rc = EX_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        const ex_policy_rule *r = &pol->rules[i];
        if (any < n) {
            rc = warn(p, r->line,
                      "rule never applies: the '*' rule on line %u matches every item "
                      "first",
                      pol->rules[any].line);
            continue;
        }
        if (r->cond == EX_COND_ANY)
            any = i;
        if (!(keys[i] = rule_key(r))) {
            rc = EX_ENOMEM;
            break;
        }
        hashes[i] = ex_fnv1a64(keys[i], strlen(keys[i]));
        for (size_t j = 0; j < i; j++)
            if (hashes[j] == hashes[i] && keys[j] && strcmp(keys[j], keys[i]) == 0) {
                rc = warn(p, r->line,
                          "rule never applies: the rule on line %u tests the same and decides "
                          "first",
                          pol->rules[j].line);
                break;
            }
    }
    if (rc == EX_OK && any == n)
        rc = warn(p, pol->rules[n - 1].line,
                  "no final '*' rule: items that match no rule are rejected with rule id "
                  "'no-rule'");
out:
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
    free(hashes);
    return rc;
}

/* ---- the whole file ------------------------------------------------------------------ */

void
ex_policy_free(ex_policy *p)
{
    if (!p)
        return;
    free(p->name);
    for (size_t i = 0; i < p->nagents; i++)
        free(p->agents[i]);
    free(p->agents);
    for (size_t i = 0; i < p->nrules; i++)
        rule_clear(&p->rules[i]);
    free(p->rules);
    free(p->warnings);
    free(p);
}

/* Line and column of byte `off` (the first byte over the size limit). */
static void
position(const char *text, size_t off, unsigned *line, unsigned *col)
{
    size_t start = 0;
    *line = 1;
    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n')
            (*line)++, start = i + 1;
    if (*line == 1 && off >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        start = 3;
    *col = 1;
    for (size_t i = start; i < off; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            (*col)++;
}

int
ex_policy_parse(const char *text, size_t len, ex_policy **out, ex_policy_err *err)
{
    parser p = {0};
    int rc = EX_OK;
    p.err = err;
    if (err)
        memset(err, 0, sizeof *err);
    if (!out || (!text && len)) {
        if (err)
            snprintf(err->msg, sizeof err->msg, "invalid argument");
        return EX_EINVAL;
    }
    if (len > EX_POLICY_MAX_BYTES) {
        unsigned col;
        position(text, EX_POLICY_MAX_BYTES, &p.line, &col);
        return fail_code(&p, EX_ETOOBIG, col, "policy file larger than %u bytes",
                         EX_POLICY_MAX_BYTES);
    }
    if (!(p.pol = calloc(1, sizeof *p.pol)))
        return nomem(&p);
    p.pol->near = 0.8;
    size_t i = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    unsigned cols = 0;
    int ended = 1; /* the text ends with a line feed (or is empty) */
    while (i < len && rc == EX_OK) {
        p.line++;
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - i;
        if (nl && n > 0 && text[end - 1] == '\r')
            n--;
        ended = nl != NULL;
        if ((rc = check_line(&p, (const unsigned char *)text + i, n, &cols)) != EX_OK)
            break;
        p.copy.len = 0;
        if ((rc = ex_buf_reserve(&p.copy, n + 1)) != EX_OK) {
            rc = nomem(&p);
            break;
        }
        memcpy(p.copy.data, text + i, n);
        p.copy.data[n] = '\0';
        if ((rc = tokenize(&p, p.copy.data, n)) == EX_OK && p.nt > 0)
            rc = statement(&p);
        i = end + 1;
    }
    if (rc == EX_OK && p.pol->nrules == 0) {
        if (ended)
            p.line++, cols = 0;
        rc = fail(&p, cols + 1, "no rules: a policy needs at least one 'admit' or 'reject' line");
    }
    if (rc == EX_OK && (rc = warnings(&p)) != EX_OK)
        rc = nomem(&p);
    ex_buf_free(&p.copy);
    free(p.t);
    if (rc != EX_OK) {
        ex_policy_free(p.pol);
        return rc;
    }
    *out = p.pol;
    return EX_OK;
}

/* ---- canonical form ------------------------------------------------------------------ */

/* The shortest decimal ("0.8", "1") that reads back as exactly v, with at most NEAR_DIGITS
 * digits after the point; EX_EINVAL if v is out of range or has no such form. Any `near` the
 * parser accepted has one, and it is the value as written without redundant zeros. */
static int
near_text(double v, char out[32])
{
    if (!(v > 0 && v <= 1))
        return EX_EINVAL;
    double scale = 1;
    for (int k = 0; k <= NEAR_DIGITS; k++, scale *= 10) {
        uint64_t m = (uint64_t)(v * scale + 0.5);
        if ((double)m / scale != v)
            continue;
        if (k == 0)
            snprintf(out, 32, "%llu", (unsigned long long)m);
        else
            snprintf(out, 32, "0.%0*llu", k, (unsigned long long)m);
        return EX_OK;
    }
    return EX_EINVAL;
}

/* A JSON string of valid UTF-8, or NULL (*bad set) */
static json_t *
jstr(const char *s, int *bad)
{
    json_t *v = s ? json_stringn(s, strlen(s)) : NULL;
    if (!v)
        *bad = 1;
    return v;
}

int
ex_policy_canonical(const ex_policy *p, ex_buf *out, ex_err *err)
{
    if (!p || !out)
        return ex_fail(err, EX_EINVAL, "no policy");
    char near[32];
    if (near_text(p->near, near) != EX_OK)
        return ex_fail(err, EX_EINVAL,
                       "near %.17g is not a decimal in (0, 1] with at most %d "
                       "digits after the point",
                       p->near, NEAR_DIGITS);
    int bad = 0, rc;
    json_t *o = json_object(), *agents = json_array(), *rules = json_array();
    if (!o || !agents || !rules) {
        json_decref(o), json_decref(agents), json_decref(rules);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    json_object_set_new(o, "agents", agents);
    json_object_set_new(o, "rules", rules);
    for (size_t i = 0; i < p->nagents; i++)
        if (json_array_append_new(agents, jstr(p->agents[i], &bad)) != 0)
            bad = 1;
    if (json_object_set_new(o, "name", p->name ? jstr(p->name, &bad) : json_null()) != 0 ||
        json_object_set_new(o, "near", json_string(near)) != 0 ||
        json_object_set_new(o, "version", json_integer(1)) != 0)
        bad = 1;
    for (size_t i = 0; i < p->nrules && !bad; i++) {
        const ex_policy_rule *r = &p->rules[i];
        const char *cond = ex_policy_cond_name(r->cond),
                   *verdict = ex_policy_verdict_name(r->verdict);
        if (!cond || !verdict || !memchr(r->id, 0, sizeof r->id)) {
            json_decref(o);
            return ex_fail(err, EX_EINVAL, "rule %zu has no valid verdict, condition or id", i + 1);
        }
        json_t *jr = json_object(), *args = json_array();
        if (!jr || !args || json_array_append_new(rules, jr) != 0) {
            json_decref(args);
            bad = 1;
            break;
        }
        json_object_set_new(jr, "args", args);
        for (size_t j = 0; j < r->nargs; j++)
            if (json_array_append_new(args, jstr(r->args[j], &bad)) != 0)
                bad = 1;
        if (json_object_set_new(jr, "cond", json_string(cond)) != 0 ||
            json_object_set_new(jr, "id", jstr(r->id, &bad)) != 0 ||
            json_object_set_new(jr, "reason", r->reason ? jstr(r->reason, &bad) : json_null()) !=
                0 ||
            json_object_set_new(jr, "verdict", json_string(verdict)) != 0)
            bad = 1;
    }
    if (bad) {
        json_decref(o);
        return ex_fail(err, EX_EINVAL,
                       "a string of the policy is not valid UTF-8 (or out of "
                       "memory)");
    }
    ex_buf b = {0};
    rc = ex_json_canon(o, &b, err);
    json_decref(o);
    if (rc == EX_OK && (rc = ex_buf_put(out, b.data, b.len)) != EX_OK)
        ex_fail(err, rc, "out of memory");
    ex_buf_free(&b);
    return rc;
}

int
ex_policy_digest(const ex_policy *p, uint8_t out[EX_HASH_BYTES], ex_err *err)
{
    ex_buf b = {0};
    ex_sha256 *h = NULL;
    int rc = ex_policy_canonical(p, &b, err);
    if (rc == EX_OK && (rc = ex_sha256_new(&h)) != EX_OK)
        ex_fail(err, rc, "cannot make a hasher");
    if (rc == EX_OK && (rc = ex_sha256_digest(h, b.data, b.len, out)) != EX_OK)
        ex_fail(err, rc, "hashing failed");
    ex_sha256_free(h);
    ex_buf_free(&b);
    return rc;
}
