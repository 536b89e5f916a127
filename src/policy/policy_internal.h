/* policy_internal.h - what the files of the policy part share, and nothing outside them uses.
 *   parse.c   tables, suggestions, syntax checks, directives, rules, ex_policy_parse
 *   lex.c     the parser's errors; one line: its encoding, its tokens
 *   canon.c   the warnings about rules that never apply; the canonical form and digest
 *   eval.c    the evaluator: validation, set-up, sources, captures, opt-outs, license cache
 *   decide.c  deciding one item */
#ifndef EX_POLICY_INTERNAL_H
#define EX_POLICY_INTERNAL_H

#include "policy.h"

#include "license/license.h"
#include "signals/robots.h"
#include "signals/tdm.h"

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
    unsigned name_line, agents_line, near_line, minhash_line;
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

/* The domain of rule r's list (lists.c) that host (lower case) is or is under, or NULL. */
const char *ex_policy_list_match(const ex_policy_rule *r, const char *host);

/* ---- the evaluator (eval.c, decide.c) ------------------------------------------------- */

typedef struct capture {
    int64_t fetched;
    int status;
    char *body;
    size_t len;
    char digest[EX_DIGEST_STR_BYTES];
    int parsed;       /* body parsed (or found not to parse) */
    ex_robots *robots;
    long *tokens;     /* the policy's agents resolved in robots (ex_robots_resolve) */
    ex_tdmrep *tdmrep;
} capture;

typedef struct caplist {
    capture *v;
    size_t n, cap;
    int sorted;
} caplist;

typedef struct optout {
    int scope;
    char *value;
    char digest[EX_DIGEST_STR_BYTES];
    char *label;
    /* EX_OPTOUT_NEAR: the work's fingerprint and threshold; EX_OPTOUT_ISCC: its code */
    uint8_t *fp;
    unsigned k, bands;
    double near;
    uint64_t iscc;
    unsigned distance;
} optout;

typedef struct host {
    char *name;
    caplist robots, tdmrep;
    size_t *prefixes; /* indices into e->optouts */
    size_t nprefixes;
    long domain;      /* a domain opt-out for exactly this name, or -1 */
} host;

typedef struct lic {
    char *text;
    ex_license *l;    /* NULL: unknown (absent, NONE, NOASSERTION) or unparseable */
    int unparsed;     /* the text does not parse */
    char *normal;     /* normalised form, for reasons */
    signed char *ans; /* per rule: -1 not yet known, 0, 1 */
} lic;

typedef struct src {
    char *name, *kind, *ml_use, *license, *terms, *agreement;
} src;

struct ex_peval {
    const ex_policy *p;
    ex_license_set **sets; /* per rule: the license set of a license rule, else NULL */
    host **hosts;          /* open addressing */
    uint64_t *hhash;       /* the hash of each slot's name: compared before following the pointer */
    size_t hcap, hn;
    optout *optouts;
    size_t noptouts;
    size_t nnear;                   /* EX_OPTOUT_NEAR and EX_OPTOUT_ISCC opt-outs */
    uint8_t (*odig)[EX_HASH_BYTES]; /* digest opt-outs */
    size_t *odig_ix;
    size_t nodig;
    int odig_sorted;                /* the set below is built */
    uint32_t *oset;                 /* open addressing: 1 + index into odig, 0 empty */
    size_t ocap;
    lic **lics;            /* license cache, open addressing */
    size_t lcap, ln;
    src *srcs;
    size_t nsrcs;
    const src *last_src;
    size_t ndomains;       /* domain opt-outs */
    char last_fetched[40]; /* the last fetch time parsed, and its value */
    int64_t last_t;
};

/* The host record for name[0..n) (lower case), made if `make`; NULL if there is none (or, with
 * make, out of memory). */
host *ex_peval_host_get(ex_peval *e, const char *name, size_t n, int make);

/* The license cache's entry for a license text (NULL text: absent), parsed and normalised on
 * first sight; past LIC_CACHE_MAX (eval.c) texts, scratch is filled instead (the caller frees
 * its members). NULL only when out of memory. */
lic *ex_peval_lic_get(ex_peval *e, const char *text, lic *scratch);

#endif
