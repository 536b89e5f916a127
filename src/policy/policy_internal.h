/* policy_internal.h - what the files of the policy part share, and nothing outside them uses.
 *   parse.c   tables, suggestions, syntax checks, directives, rules, ex_policy_parse
 *   lex.c     the parser's errors; one line: its encoding, its tokens
 *   canon.c   the warnings about rules that never apply; the canonical form and digest */
#ifndef EX_POLICY_INTERNAL_H
#define EX_POLICY_INTERNAL_H

#include "policy.h"

#define NEAR_DIGITS 15 /* digits after the point: every such decimal survives a double */
#define SHOW_MAX 40    /* bytes of a token quoted in a message */

/* ---- the parser (parse.c, lex.c, canon.c) ---------------------------------------------- */

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

/* An error at column col of the current line into p->err (if any); returns code. fail()
 * is the usual case, a syntax error. */
int ex_policy_fail_code(parser *p, int code, unsigned col, const char *fmt, ...) EX_PRINTF(4, 5);
#define fail(p, col, ...) ex_policy_fail_code(p, EX_EFORMAT, col, __VA_ARGS__)

/* EX_ENOMEM, with "out of memory" as the error. */
int ex_policy_nomem(parser *p);

/* A token for a message, in p->shown[slot] (valid until the next call with that slot): at
 * most SHOW_MAX bytes, cut at a character boundary, "..." if cut. */
const char *ex_policy_show(parser *p, int slot, const char *s);

/* The line s[0..n) is UTF-8 without NUL, control characters (tab aside), direction marks or a
 * BOM; sets *cols to its number of characters. EX_EFORMAT (p->err says where) otherwise. */
int ex_policy_check_line(parser *p, const unsigned char *s, size_t n, unsigned *cols);

/* Cut the line copy s[0..n) (s[n] == 0) into p->t[0..nt); a comment ends it. EX_EFORMAT for a
 * bad quoted string or word, EX_ENOMEM. */
int ex_policy_tokenize(parser *p, char *s, size_t n);

/* The rules that never apply and a missing final '*' rule, appended to p->pol->warnings;
 * EX_ENOMEM. */
int ex_policy_warnings(parser *p);

/* ASCII lower case of c. */
static inline int
ex_policy_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

#endif
