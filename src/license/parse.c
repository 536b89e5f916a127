/* parse.c - SPDX license expressions: the lexer, the recursive-descent parser and the look-up
 * in the generated id table (license.h).
 *
 * One token of look-ahead. Words ([A-Za-z0-9.-]+) are hashed (FNV-1a over the lowercased
 * bytes) while they are scanned, so an id costs one table probe. The tree is built in a
 * small array on the stack (on the heap for long inputs) and copied with the input text into
 * one allocation. */
#include "license/license.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

enum { T_END, T_LPAREN, T_RPAREN, T_PLUS, T_WORD, T_AND, T_OR, T_WITH };

typedef struct tok {
    int type;
    uint32_t pos, len; /* span in the input */
    uint32_t colon;    /* T_WORD "DocumentRef-D:X": offset of the ':' from pos; else 0 */
    uint32_t hash;     /* T_WORD: FNV-1a of the lowercased word */
    int space;         /* preceded by at least one space */
} tok;

#define LOCAL_NODES 48
#define MAX_DEP 64

typedef struct parser {
    const char *s;
    uint32_t len, pos; /* input and the lexer's position */
    tok t;             /* the current token */
    uint32_t first;    /* position of the first token */
    ex_lnode *nodes;
    unsigned n, cap;
    unsigned depth;
    int member; /* parsing a set member */
    uint16_t dep[MAX_DEP];
    unsigned ndep;
    ex_license_err *err;
    ex_lnode local[LOCAL_NODES];
} parser;

static int
is_idchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

static int EX_PRINTF(3, 4) fail(parser *p, uint32_t pos, const char *fmt, ...)
{
    if (p->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
        va_end(ap);
        p->err->column = pos + 1;
    }
    return EX_EFORMAT;
}

/* a span for messages, cut at 64 bytes */
#define SPAN(p, pos, len) (int)((len) > 64 ? 64 : (len)), (p)->s + (pos)

static int
prefix(const char *s, size_t len, const char *pre)
{
    size_t n = strlen(pre);
    return len >= n && memcmp(s, pre, n) == 0;
}

static int
iprefix(const char *s, size_t len, const char *pre)
{
    size_t n = strlen(pre);
    return len >= n && strncasecmp(s, pre, n) == 0;
}

/* ---- the id table ------------------------------------------------------------------------ */

static int
find_hashed(const char *s, size_t len, uint32_t h)
{
    unsigned mask = ex_spdx_hash_size - 1;
    unsigned slot = (h ^ (h >> 16)) & mask;
    for (;;) {
        unsigned v = ex_spdx_hash[slot];
        if (v == 0)
            return -1;
        const ex_spdx_entry *e = &ex_spdx_list[v - 1];
        if (e->len == len) {
            size_t i = 0;
            /* c | 0x20 lowercases letters and keeps digits, '.', '-' and '+' */
            while (i < len && ((unsigned char)s[i] | 0x20) == (unsigned char)e->lower[i])
                i++;
            if (i == len)
                return (int)(v - 1);
        }
        slot = (slot + 1) & mask;
    }
}

int
ex_spdx_find(const char *s, size_t len)
{
    uint32_t h = FNV_OFFSET;
    if (len == 0 || len > 255)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_idchar(c) && c != '+')
            return -1;
        h = (h ^ (c | 0x20)) * FNV_PRIME;
    }
    return find_hashed(s, len, h);
}

int
ex_license_id_known(const char *id, size_t len, const char **canonical, int *deprecated)
{
    int i = ex_spdx_find(id, len);
    if (i < 0)
        return EX_LICENSE_ID_UNKNOWN;
    const ex_spdx_entry *e = &ex_spdx_list[i];
    if (canonical)
        *canonical = e->id;
    if (deprecated)
        *deprecated = (e->flags & EX_SPDX_DEPRECATED) != 0;
    return (e->flags & EX_SPDX_EXCEPTION) ? EX_LICENSE_ID_EXCEPTION : EX_LICENSE_ID_LICENSE;
}

/* ---- lexer ------------------------------------------------------------------------------- */

/* operator keyword: T_AND / T_OR / T_WITH, 0 for other words, -1 for a keyword in mixed case */
static int
keyword(const char *w, uint32_t len)
{
    int type = 0;
    if (len == 3 && strncasecmp(w, "and", 3) == 0)
        type = T_AND;
    else if (len == 2 && strncasecmp(w, "or", 2) == 0)
        type = T_OR;
    else if (len == 4 && strncasecmp(w, "with", 4) == 0)
        type = T_WITH;
    if (!type)
        return 0;
    int upper = 0, lower = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (w[i] >= 'a')
            lower = 1;
        else
            upper = 1;
    }
    return upper && lower ? -1 : type;
}

/* the error for a byte that starts no token */
static int
bad_byte(parser *p, uint32_t i)
{
    unsigned char c = (unsigned char)p->s[i];
    if (c == '\n' || c == '\r')
        return fail(p, i, "a license expression must be on one line");
    if (c == '\t')
        return fail(p, i, "unexpected tab: separate tokens with spaces");
    if (c > 0x20 && c < 0x7f)
        return fail(p, i, "unexpected character '%c'", c);
    return fail(p, i, "unexpected byte 0x%02x", c);
}

static int
lex(parser *p)
{
    const char *s = p->s;
    uint32_t i = p->pos, n = p->len;
    tok *t = &p->t;
    t->space = 0;
    while (i < n && s[i] == ' ') {
        i++;
        t->space = 1;
    }
    t->pos = i;
    t->len = 1;
    t->colon = 0;
    if (i == n) {
        t->type = T_END;
        t->len = 0;
        p->pos = i;
        return EX_OK;
    }
    unsigned char c = (unsigned char)s[i];
    if (c == '(') {
        t->type = T_LPAREN;
    } else if (c == ')') {
        t->type = T_RPAREN;
    } else if (c == '+') {
        t->type = T_PLUS;
    } else if (is_idchar(c)) {
        uint32_t h = FNV_OFFSET, j = i;
        while (j < n && is_idchar((unsigned char)s[j])) {
            h = (h ^ ((unsigned char)s[j] | 0x20)) * FNV_PRIME;
            j++;
        }
        t->type = T_WORD;
        t->len = j - i;
        t->hash = h;
        int k = keyword(s + i, t->len);
        if (k < 0)
            return fail(p, i, "operator '%.*s' must be all upper or all lower case",
                        SPAN(p, i, t->len));
        if (k > 0)
            t->type = k;
        if (k == 0 && j < n && s[j] == ':') {
            if (!prefix(s + i, t->len, "DocumentRef-")) {
                if (iprefix(s + i, t->len, "DocumentRef-"))
                    return fail(p, i, "'%.*s': the prefix is written 'DocumentRef-'",
                                SPAN(p, i, t->len));
                return fail(p, j, "unexpected character ':'");
            }
            if (t->len == 12)
                return fail(p, j, "empty idstring after 'DocumentRef-'");
            uint32_t k2 = j + 1;
            while (k2 < n && is_idchar((unsigned char)s[k2]))
                k2++;
            if (k2 == j + 1)
                return fail(p, j + 1, "expected 'LicenseRef-' or 'AdditionRef-' after '%.*s:'",
                            SPAN(p, i, t->len));
            t->colon = j - i;
            j = k2;
            t->len = j - i;
        }
        /* a word ends at a space, a parenthesis, '+' or the end: report a stray byte
         * inside it (say, "MIT/ISC" or a non-ASCII letter) before the word itself */
        if (j < n && s[j] != ' ' && s[j] != '(' && s[j] != ')' && s[j] != '+' && s[j] != ':')
            return bad_byte(p, j);
        p->pos = j;
        return EX_OK;
    } else {
        return bad_byte(p, i);
    }
    p->pos = i + 1;
    return EX_OK;
}

/* ---- parser ------------------------------------------------------------------------------ */

static int
new_node(parser *p, int kind, uint16_t *out)
{
    if (p->n == p->cap) {
        unsigned cap = p->cap * 2;
        if (cap > EX_LN_EREF)
            return EX_ENOMEM; /* cannot happen within EX_LICENSE_MAX_LEN */
        ex_lnode *nn;
        if (p->nodes == p->local) {
            nn = malloc(cap * sizeof *nn);
            if (nn)
                memcpy(nn, p->local, sizeof p->local);
        } else {
            nn = realloc(p->nodes, cap * sizeof *nn);
        }
        if (!nn)
            return EX_ENOMEM;
        p->nodes = nn;
        p->cap = cap;
    }
    ex_lnode *x = &p->nodes[p->n];
    memset(x, 0, sizeof *x);
    x->kind = (uint8_t)kind;
    x->exc = EX_LN_NONE;
    x->child = x->next = EX_LN_NONE;
    *out = (uint16_t)p->n++;
    return EX_OK;
}

/* the operator in p->t needs a space on each side (Annex D: "at least one space on either
 * side of the operators") */
static int
op_spaced(parser *p)
{
    const tok *t = &p->t;
    if (!t->space)
        return fail(p, t->pos, "'%.*s' needs a space before it", SPAN(p, t->pos, t->len));
    uint32_t e = t->pos + t->len;
    /* other bytes (tabs, line breaks) get the lexer's message */
    if (e < p->len && (p->s[e] == '(' || p->s[e] == ')' || p->s[e] == '+'))
        return fail(p, e, "'%.*s' needs a space after it", SPAN(p, t->pos, t->len));
    return EX_OK;
}

static void
add_dep(parser *p, uint16_t id)
{
    for (unsigned i = 0; i < p->ndep; i++)
        if (p->dep[i] == id)
            return;
    if (p->ndep < MAX_DEP)
        p->dep[p->ndep++] = id;
}

/* the word after WITH: an exception id or [DocumentRef-D:]AdditionRef-X */
static int
exception(parser *p, uint16_t leaf)
{
    const tok w = p->t;
    if (w.type == T_END)
        return fail(p, w.pos, "expected an exception after WITH");
    if (w.type != T_WORD)
        return fail(p, w.pos, "expected an exception after WITH, got '%.*s'",
                    SPAN(p, w.pos, w.len));
    const char *s = p->s + w.pos;
    const char *rest = w.colon ? s + w.colon + 1 : s;
    uint32_t rlen = w.colon ? w.len - w.colon - 1 : w.len;
    if (prefix(rest, rlen, "AdditionRef-")) {
        if (rlen == 12)
            return fail(p, w.pos + w.len, "empty idstring after 'AdditionRef-'");
        p->nodes[leaf].exc = EX_LN_EREF;
        p->nodes[leaf].eref = (uint16_t)w.pos;
        p->nodes[leaf].eref_len = (uint16_t)w.len;
        return EX_OK;
    }
    if (w.colon || prefix(s, w.len, "LicenseRef-") || prefix(s, w.len, "DocumentRef-")) {
        if (iprefix(rest, rlen, "AdditionRef-"))
            return fail(p, (uint32_t)(rest - p->s), "'%.*s': the prefix is written 'AdditionRef-'",
                        SPAN(p, w.pos, w.len));
        if (prefix(rest, rlen, "LicenseRef-"))
            return fail(p, w.pos, "'%.*s' is a license, not an exception", SPAN(p, w.pos, w.len));
        if (!w.colon)
            return fail(p, w.pos + w.len, "expected ':' after '%.*s'", SPAN(p, w.pos, w.len));
        return fail(p, (uint32_t)(rest - p->s), "expected 'AdditionRef-' after '%.*s'",
                    SPAN(p, w.pos, w.colon + 1));
    }
    int id = find_hashed(s, w.len, w.hash);
    if (id < 0) {
        if (iprefix(s, w.len, "AdditionRef-"))
            return fail(p, w.pos, "'%.*s': the prefix is written 'AdditionRef-'",
                        SPAN(p, w.pos, w.len));
        return fail(p, w.pos, "unknown exception id '%.*s'", SPAN(p, w.pos, w.len));
    }
    if (!(ex_spdx_list[id].flags & EX_SPDX_EXCEPTION))
        return fail(p, w.pos, "'%s' is a license, not an exception", ex_spdx_list[id].id);
    if (ex_spdx_list[id].flags & EX_SPDX_DEPRECATED)
        add_dep(p, (uint16_t)id);
    p->nodes[leaf].exc = (uint16_t)id;
    return EX_OK;
}

/* "[DocumentRef-D:]AdditionRef-X" in operand position: an error, but in a set member an
 * exception alone (rlen: the length from "AdditionRef-" on) */
static int
addition_alone(parser *p, uint32_t rlen, uint16_t *x)
{
    const tok *w = &p->t;
    if (!p->member || w->pos != p->first)
        return fail(p, w->pos, "'%.*s' is an addition: it can only follow WITH",
                    SPAN(p, w->pos, w->len));
    if (rlen == 12)
        return fail(p, w->pos + w->len, "empty idstring after 'AdditionRef-'");
    int rc = new_node(p, EX_LN_EXCEPTION, x);
    if (rc != EX_OK)
        return rc;
    p->nodes[*x].exc = EX_LN_EREF;
    p->nodes[*x].eref = (uint16_t)w->pos;
    p->nodes[*x].eref_len = (uint16_t)w->len;
    return EX_OK;
}

/* a word in operand position: license id, [DocumentRef-D:]LicenseRef-X, NONE, NOASSERTION
 * (or, in a set member, an exception alone); then an optional '+' */
static int
simple(parser *p, uint16_t *out)
{
    const tok w = p->t;
    const char *s = p->s + w.pos;
    int rc;
    uint16_t x;
    if (w.colon) {
        const char *rest = s + w.colon + 1;
        uint32_t rlen = w.len - w.colon - 1, rpos = w.pos + w.colon + 1;
        if (prefix(rest, rlen, "AdditionRef-")) {
            if ((rc = addition_alone(p, rlen, &x)) != EX_OK)
                return rc;
            goto plus;
        }
        if (!prefix(rest, rlen, "LicenseRef-")) {
            if (iprefix(rest, rlen, "LicenseRef-"))
                return fail(p, rpos, "'%.*s': the prefix is written 'LicenseRef-'",
                            SPAN(p, w.pos, w.len));
            return fail(p, rpos, "expected 'LicenseRef-' after '%.*s'",
                        SPAN(p, w.pos, w.colon + 1));
        }
        if (rlen == 11)
            return fail(p, w.pos + w.len, "empty idstring after 'LicenseRef-'");
    } else if (prefix(s, w.len, "LicenseRef-")) {
        if (w.len == 11)
            return fail(p, w.pos + w.len, "empty idstring after 'LicenseRef-'");
    } else if (prefix(s, w.len, "AdditionRef-")) {
        if ((rc = addition_alone(p, w.len, &x)) != EX_OK)
            return rc;
        goto plus;
    } else if (prefix(s, w.len, "DocumentRef-")) {
        return fail(p, w.pos + w.len, "expected ':' after '%.*s'", SPAN(p, w.pos, w.len));
    } else {
        int id = find_hashed(s, w.len, w.hash);
        if (id < 0) {
            int special = (w.len == 4 && strncasecmp(s, "none", 4) == 0)            ? 0
                          : (w.len == 11 && strncasecmp(s, "noassertion", 11) == 0) ? 1
                                                                                    : -1;
            if (special >= 0) {
                const char *name = special ? "NOASSERTION" : "NONE";
                if (p->member)
                    return fail(p, w.pos,
                                "'%s' cannot be a set member (the policy's license-unknown "
                                "matches it)",
                                name);
                if (w.pos != p->first || p->depth > 0)
                    return fail(p, w.pos, "'%s' must be the whole expression", name);
                if ((rc = lex(p)) != EX_OK)
                    return rc;
                if (p->t.type != T_END)
                    return fail(p, w.pos, "'%s' must be the whole expression", name);
                if ((rc = new_node(p, EX_LN_SPECIAL, &x)) != EX_OK)
                    return rc;
                p->nodes[x].id = (uint16_t)special;
                *out = x;
                return EX_OK;
            }
            static const char *const pre[] = {"LicenseRef-", "DocumentRef-", "AdditionRef-"};
            for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
                if (iprefix(s, w.len, pre[i]))
                    return fail(p, w.pos, "unknown license id '%.*s': the prefix is written '%s'",
                                SPAN(p, w.pos, w.len), pre[i]);
            return fail(p, w.pos, "unknown license id '%.*s'", SPAN(p, w.pos, w.len));
        }
        const ex_spdx_entry *e = &ex_spdx_list[id];
        if (e->flags & EX_SPDX_EXCEPTION) {
            if (!p->member || w.pos != p->first)
                return fail(p, w.pos, "'%s' is an exception: it can only follow WITH", e->id);
            if ((rc = new_node(p, EX_LN_EXCEPTION, &x)) != EX_OK)
                return rc;
            p->nodes[x].exc = (uint16_t)id;
        } else {
            if ((rc = new_node(p, EX_LN_LICENSE, &x)) != EX_OK)
                return rc;
            p->nodes[x].lo = e->key;
            p->nodes[x].hi = (e->flags & EX_SPDX_OR_LATER) ? e->key_end : (uint16_t)(e->key + 1);
        }
        p->nodes[x].id = (uint16_t)id;
        if (e->flags & EX_SPDX_DEPRECATED)
            add_dep(p, (uint16_t)id);
        goto plus;
    }
    if ((rc = new_node(p, EX_LN_REF, &x)) != EX_OK)
        return rc;
    p->nodes[x].ref = (uint16_t)w.pos;
    p->nodes[x].ref_len = (uint16_t)w.len;
plus:
    *out = x;
    if ((rc = lex(p)) != EX_OK)
        return rc;
    if (p->t.type != T_PLUS)
        return EX_OK;
    if (p->t.space)
        return fail(p, p->t.pos, "'+' must follow a license id without a space");
    if (p->nodes[x].kind == EX_LN_REF)
        return fail(p, p->t.pos, "'+' cannot follow a LicenseRef");
    if (p->nodes[x].kind != EX_LN_LICENSE)
        return fail(p, p->t.pos, "'+' must follow a license id");
    p->nodes[x].plus = 1;
    p->nodes[x].hi = ex_spdx_list[p->nodes[x].id].key_end;
    return lex(p);
}

static int parse_or(parser *p, uint16_t *out);

/* an operand: ( expr ), or a simple expression with an optional WITH exception */
static int
term(parser *p, uint16_t *out)
{
    int rc, paren = 0;
    const tok t = p->t;
    switch (t.type) {
    case T_LPAREN:
        if (p->member)
            return fail(p, t.pos, "a set member cannot have parentheses");
        if (p->depth >= EX_LICENSE_MAX_DEPTH)
            return fail(p, t.pos, "parentheses nested deeper than %d", EX_LICENSE_MAX_DEPTH);
        p->depth++;
        if ((rc = lex(p)) != EX_OK || (rc = parse_or(p, out)) != EX_OK)
            return rc;
        if (p->t.type != T_RPAREN)
            return fail(p, p->t.pos, "missing ')' for the '(' at column %u", t.pos + 1);
        p->depth--;
        paren = 1;
        if ((rc = lex(p)) != EX_OK)
            return rc;
        if (p->t.type == T_PLUS)
            return fail(p, p->t.pos, "'+' must follow a license id");
        break;
    case T_WORD:
        if ((rc = simple(p, out)) != EX_OK)
            return rc;
        break;
    case T_END: return fail(p, t.pos, "expected a license at the end of the expression");
    case T_PLUS: return fail(p, t.pos, "'+' must follow a license id");
    default: return fail(p, t.pos, "expected a license before '%.*s'", SPAN(p, t.pos, t.len));
    }
    if (p->t.type == T_WITH) {
        int k = p->nodes[*out].kind;
        if (paren)
            return fail(p, p->t.pos,
                        "'WITH' must follow a single license, not a parenthesised "
                        "expression");
        if (k != EX_LN_LICENSE && k != EX_LN_REF)
            return fail(p, p->t.pos, "'WITH' must follow a license");
        if ((rc = op_spaced(p)) != EX_OK || (rc = lex(p)) != EX_OK ||
            (rc = exception(p, *out)) != EX_OK || (rc = lex(p)) != EX_OK)
            return rc;
        if (p->t.type == T_WITH)
            return fail(p, p->t.pos, "only one exception may follow a license");
    }
    switch (p->t.type) {
    case T_AND:
    case T_OR:
    case T_RPAREN:
    case T_END: return EX_OK;
    case T_PLUS: return fail(p, p->t.pos, "'+' must follow a license id");
    default:
        return fail(p, p->t.pos, "expected AND, OR%s before '%.*s'",
                    p->nodes[*out].exc == EX_LN_NONE && !paren ? " or WITH" : " or ')'",
                    SPAN(p, p->t.pos, p->t.len));
    }
}

/* append operand c to the list first..last of an n-ary node of `kind`, splicing in the
 * operands of c when c is the same operator (from parentheses) */
static void
append(parser *p, int kind, uint16_t *first, uint16_t *last, uint16_t c)
{
    uint16_t head = c, tail = c;
    if (p->nodes[c].kind == kind) {
        head = tail = p->nodes[c].child;
        while (p->nodes[tail].next != EX_LN_NONE)
            tail = p->nodes[tail].next;
    }
    if (*first == EX_LN_NONE)
        *first = head;
    else
        p->nodes[*last].next = head;
    *last = tail;
}

/* operand (OP operand)*: an n-ary node, or the operand alone */
static int
nary(parser *p, int kind, int op, int (*operand)(parser *, uint16_t *), uint16_t *out)
{
    uint16_t c, first = EX_LN_NONE, last = EX_LN_NONE, x;
    int rc = operand(p, &c);
    if (rc != EX_OK)
        return rc;
    if (p->t.type != op) {
        *out = c;
        return EX_OK;
    }
    if (p->member)
        return fail(p, p->t.pos,
                    "a set member is one license, 'X WITH E' or one exception, "
                    "not an expression");
    append(p, kind, &first, &last, c);
    while (p->t.type == op) {
        if ((rc = op_spaced(p)) != EX_OK || (rc = lex(p)) != EX_OK ||
            (rc = operand(p, &c)) != EX_OK)
            return rc;
        append(p, kind, &first, &last, c);
    }
    if ((rc = new_node(p, kind, &x)) != EX_OK)
        return rc;
    p->nodes[x].child = first;
    *out = x;
    return EX_OK;
}

static int
parse_and(parser *p, uint16_t *out)
{
    return nary(p, EX_LN_AND, T_AND, term, out);
}

static int
parse_or(parser *p, uint16_t *out)
{
    return nary(p, EX_LN_OR, T_OR, parse_and, out);
}

int
ex_license_parse_mode(const char *s, size_t len, int member, ex_license **out, ex_license_err *err)
{
    if (err) {
        err->column = 0;
        err->msg[0] = '\0';
    }
    if (len > EX_LICENSE_MAX_LEN) {
        if (err) {
            err->column = EX_LICENSE_MAX_LEN + 1;
            snprintf(err->msg, sizeof err->msg, "expression longer than %d bytes",
                     EX_LICENSE_MAX_LEN);
        }
        return EX_ETOOBIG;
    }
    parser ps, *p = &ps;
    p->s = s;
    p->len = (uint32_t)len;
    p->pos = 0;
    p->nodes = p->local;
    p->n = 0;
    p->cap = LOCAL_NODES;
    p->depth = 0;
    p->member = member;
    p->ndep = 0;
    p->err = err;
    uint16_t root = 0;
    int rc = lex(p);
    if (rc == EX_OK) {
        p->first = p->t.pos;
        if (p->t.type == T_END)
            rc = fail(p, p->t.pos, "empty license expression");
        else
            rc = parse_or(p, &root);
    }
    if (rc == EX_OK && p->t.type != T_END)
        rc = fail(p, p->t.pos, p->t.type == T_RPAREN ? "unbalanced ')'" : "unexpected '%.*s'",
                  SPAN(p, p->t.pos, p->t.len));
    if (rc == EX_OK) {
        size_t nodes = p->n * sizeof(ex_lnode), deps = p->ndep * sizeof(uint16_t);
        struct ex_license *l = malloc(sizeof *l + nodes + deps + len + 1);
        if (!l) {
            rc = EX_ENOMEM;
        } else {
            char *mem = (char *)(l + 1);
            memcpy(mem, p->nodes, nodes);
            l->nodes = (const ex_lnode *)mem;
            memcpy(mem + nodes, p->dep, deps);
            l->dep = (const uint16_t *)(mem + nodes);
            char *text = mem + nodes + deps;
            if (len)
                memcpy(text, s, len);
            text[len] = '\0';
            l->text = text;
            l->root = root;
            l->ndep = (uint16_t)p->ndep;
            *out = l;
        }
    }
    if (p->nodes != p->local)
        free(p->nodes);
    return rc;
}

int
ex_license_parse(const char *s, size_t len, ex_license **out, ex_license_err *err)
{
    return ex_license_parse_mode(s, len, 0, out, err);
}

void
ex_license_free(ex_license *l)
{
    free(l);
}

int
ex_license_deprecated(const ex_license *l, const char **first_id)
{
    if (first_id)
        *first_id = l->ndep ? ex_spdx_list[l->dep[0]].id : NULL;
    return l->ndep;
}

const char *
ex_license_deprecated_id(const ex_license *l, int i)
{
    return i >= 0 && i < l->ndep ? ex_spdx_list[l->dep[i]].id : NULL;
}

int
ex_license_is_unknown(const ex_license *l)
{
    return l->nodes[l->root].kind == EX_LN_SPECIAL;
}
