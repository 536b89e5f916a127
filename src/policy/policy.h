/* policy.h - the policy file of ../shared/POLICY.md: parse, canonical form, digest, evaluate.
 *
 * A policy is a list of directives (name, agents, near) and rules evaluated in order; the
 * first rule that matches decides. The parser (policy/parse.c) checks syntax only; whether
 * the license ids exist is checked against the SPDX list by ex_policy_validate (eval.c). */
#ifndef EX_POLICY_H
#define EX_POLICY_H

#include "core/core.h"

#define EX_POLICY_MAX_BYTES (1u << 20) /* a larger policy file is refused */
#define EX_POLICY_MAX_RULES 4096
#define EX_POLICY_ID_MAX 64            /* rule id, with its NUL */

enum { EX_VERDICT_ADMIT = 1, EX_VERDICT_REJECT = 2 };

/* What a rule tests. The spelling in the file is given in each comment. */
enum {
    EX_COND_ANY = 1,           /* `*`: always matches */
    EX_COND_OPTOUT,            /* `optout`: a rights-holder opt-out covers the item */
    EX_COND_TDM_RESERVED,      /* `tdm-reserved`: TDMRep reservation in force at fetch time */
    EX_COND_ROBOTS_DISALLOWED, /* `robots-disallowed`: robots.txt disallows it for an agent */
    EX_COND_ROBOTS_UNKNOWN,    /* `robots-unknown`: no robots.txt capture for the host */
    EX_COND_NOAI,              /* `noai`: X-Robots-Tag or meta robots carries noai */
    EX_COND_NOIMAGEAI,         /* `noimageai`: the same for noimageai */
    EX_COND_SOURCE,            /* `source TEST...`: every test holds for the item's source;
                                  tests: agreement, terms, ml-use=V, kind=K, name=N */
    EX_COND_LICENSE,           /* `license ID...`: admit: satisfiable within the set;
                                  reject: every way to satisfy uses a license in the set */
    EX_COND_LICENSE_UNKNOWN,   /* `license-unknown`: NOASSERTION, NONE or no license */
    EX_COND_NEAR_REJECTED,     /* `near-rejected`: never matches by itself; its presence makes
                                  robots-disallowed rejections follow copies like
                                  reservations (ex_policy_follows) */
    EX_COND_ACCESS_RESTRICTED, /* `access-restricted`: the fetch was answered 401, 402 or 403
                                  (a login, payment or permission wall) */
    EX_COND_DOMAINS,           /* `domains FILE`: the item's host is, or is under, a domain of
                                  the list in FILE (a piracy-domain list, say); the list is
                                  attached with ex_policy_attach_list, its digest is what the
                                  canonical form holds */
};

#define EX_POLICY_MINHASH_K_MAX 1024

typedef struct ex_policy_rule {
    unsigned line;               /* 1-based line of the rule */
    char id[EX_POLICY_ID_MAX];   /* `id=NAME` if given, else "line:<n>" */
    int verdict;                 /* EX_VERDICT_* */
    int cond;                    /* EX_COND_* */
    char **args;                 /* arguments as written; a license `A WITH B` is one arg */
    size_t nargs;
    char *reason;                /* the quoted reason, unescaped; NULL if none */
    /* `domains FILE`: the list attached (sorted, lowercase), its file's SHA-256 */
    char **domains;
    size_t ndomains;
    char list_digest[EX_DIGEST_STR_BYTES]; /* "" until attached */
} ex_policy_rule;

typedef struct ex_policy {
    char *name;                  /* `name`; NULL if absent */
    char **agents;               /* `agents`: robots.txt product tokens; none: only `*` groups */
    size_t nagents;
    double near;                 /* `near` Jaccard threshold, 0 < near <= 1; default 0.8 */
    ex_policy_rule *rules;
    size_t nrules;
    struct ex_policy_warning *warnings; /* rules that never apply, no final `*` rule */
    size_t nwarnings;
    unsigned minhash_k, minhash_bands; /* `minhash k= bands=`; 0: not given (112, 14) */
} ex_policy;

/* Something legal but probably wrong, found by the parser: the 1-based line it is about and a
 * lowercase message. */
typedef struct ex_policy_warning {
    unsigned line;
    char msg[256];
} ex_policy_warning;

/* Largest domain list file, and its lines. */
#define EX_POLICY_LIST_MAX (64u << 20)

/* The domain list of rule i (a `domains FILE` rule) from the file's bytes data[0..len): one
 * domain per line (a host name: letters, digits, '-' and '.', at least one '.', compared in
 * lower case), blank lines and '#' comments allowed. EX_EFORMAT with err naming the rule's
 * line and the file's line ("FILE line N: ..."), EX_EINVAL for a rule that is not `domains`,
 * EX_ENOMEM. The rule keeps the sorted list and the SHA-256 of data. */
struct ex_policy_err;
int ex_policy_attach_list(struct ex_policy *p, size_t i, const char *data, size_t len,
                          struct ex_policy_err *err);

/* Where a policy file is wrong: 1-based line and column, and a lowercase message. */
typedef struct ex_policy_err {
    unsigned line, column;
    char msg[256];
} ex_policy_err;

/* Parse policy text (UTF-8). EX_EFORMAT with line, column and message for any syntax error,
 * EX_ETOOBIG over EX_POLICY_MAX_BYTES or EX_POLICY_MAX_RULES, EX_ENOMEM. Free with
 * ex_policy_free. err may be NULL; columns count characters (code points), a tab as one.
 * Warnings come back in (*out)->warnings; the syntax is in docs/POLICY.md. */
int ex_policy_parse(const char *text, size_t len, ex_policy **out, ex_policy_err *err);
void ex_policy_free(ex_policy *p);

/* The canonical form: canonical JSON (core/cjson) of the parsed policy, appended to out;
 * independent of comments, spacing, line endings and the spelling of `near` and `WITH`, while
 * agents, rules and arguments keep their order and case (docs/POLICY.md). Its SHA-256 is the
 * policy digest that is logged on adoption and written into every decision. EX_EINVAL (out
 * unchanged) for a `near` outside (0, 1] or without a decimal form of at most 15 digits after
 * the point, an unknown verdict or condition, or a string that is not UTF-8; EX_ENOMEM. */
int ex_policy_canonical(const ex_policy *p, ex_buf *out, ex_err *err);
int ex_policy_digest(const ex_policy *p, uint8_t out[EX_HASH_BYTES], ex_err *err);

/* 1 if a rejection by a rule with condition cond follows content to its exact copies and
 * near-duplicates (docs/POLICY.md): the rights reservations (optout, tdm-reserved, noai,
 * noimageai), and robots-disallowed when the policy has a `near-rejected` rule. */
int ex_policy_follows(const ex_policy *p, int cond);

/* The spelling of a condition ("*", "optout", ..., "license-unknown") and of a verdict
 * ("admit", "reject") in the file and in the canonical form; NULL for an unknown value. */
const char *ex_policy_cond_name(int cond);
const char *ex_policy_verdict_name(int verdict);

/* ---- evaluation (eval.c) ----------------------------------------------------------------
 *
 * An evaluator holds one policy, compiled, and the facts it decides with that are not part
 * of an item: sources, signal captures (robots.txt, tdmrep.json) and opt-outs. The ledger
 * loads them from storage; the evaluator knows nothing of storage. Parsed captures and
 * license expressions are cached, so deciding many items of the same hosts and licenses is
 * cheap. An evaluator is not thread-safe: one per thread. */

enum { EX_CAPTURE_ROBOTS = 1, EX_CAPTURE_TDMREP = 2 };
enum { EX_OPTOUT_URL_PREFIX = 1, EX_OPTOUT_DOMAIN, EX_OPTOUT_DIGEST, EX_OPTOUT_NEAR,
       EX_OPTOUT_ISCC };

#define EX_PEVAL_EVIDENCE_MAX 4
#define EX_PEVAL_REASON_MAX 1024

typedef struct ex_peval ex_peval;

/* A source as the rules see it; every string is copied. */
typedef struct ex_psource {
    const char *name, *kind, *ml_use; /* ml_use: allowed, prohibited or unknown */
    const char *license;              /* default license of its items, or NULL */
    const char *terms, *agreement;    /* digests of the logged documents, or NULL */
} ex_psource;

/* What the rules read of one item; all borrowed for the call. */
typedef struct ex_pitem {
    const char *source;       /* the source's name */
    const char *digest;       /* "sha256:<hex>" of the content */
    const uint8_t *digest_raw; /* the same as 32 bytes, or NULL (then parsed from digest) */
    const char *url;          /* or NULL */
    const char *license;      /* declared, or NULL (the source's default then applies) */
    const char *fetched;      /* RFC 3339, or NULL (the latest captures then apply) */
    const char *http_headers; /* raw response head, or NULL */
    size_t http_headers_len;
    const char *html_head;    /* the page's <head>, or NULL */
    size_t html_head_len;
    const uint8_t *fp;        /* its near-duplicate fingerprint (dedup/near.h), or NULL */
    unsigned fp_k, fp_bands;  /* the fingerprint's parameters */
    uint64_t iscc;            /* its ISCC Text-Code's first 64 bits, 0: none */
} ex_pitem;

typedef struct ex_pdecision {
    int verdict;                                  /* EX_VERDICT_* */
    int cond;                                     /* the matching rule's EX_COND_*, 0: none */
    const char *rule;                             /* the rule id, or "no-rule"; borrowed */
    char reason[EX_PEVAL_REASON_MAX];             /* plain words: which signal, line, time */
    char evidence[EX_PEVAL_EVIDENCE_MAX][EX_DIGEST_STR_BYTES];     /* digests of the records that matched */
    int nevidence;
} ex_pdecision;

/* Check what parsing cannot: every license argument names an SPDX license or exception
 * known to the list (or a LicenseRef). EX_EFORMAT with the rule's line and a message. */
int ex_policy_validate(const ex_policy *p, ex_policy_err *err);

/* A new evaluator for p (validated; p must outlive it). EX_EFORMAT as ex_policy_validate,
 * EX_ENOMEM. */
int ex_peval_new(const ex_policy *p, ex_peval **out, ex_policy_err *err);
void ex_peval_free(ex_peval *e);

/* Add a source, a capture or an opt-out; strings are copied. A capture is the body of a
 * robots.txt or tdmrep.json fetched from host at `fetched` (seconds since the epoch) with
 * HTTP status `status` (0: unreachable), `digest` naming its logged record. A tdmrep.json
 * that does not parse counts as stating nothing. Opt-out values: a URL prefix, a domain
 * (covers its subdomains) or a content digest; `label` says who and what in plain words. */
int ex_peval_add_source(ex_peval *e, const ex_psource *s);
int ex_peval_add_capture(ex_peval *e, int kind, const char *host, int64_t fetched, int status,
                         const char *body, size_t len, const char *digest);
int ex_peval_add_optout(ex_peval *e, int scope, const char *value, const char *digest,
                        const char *label);

/* A work's opt-out that also reaches its near copies: items whose fingerprint (same k and
 * bands) has an estimated Jaccard similarity of at least `near` with fp (k bytes, copied). */
int ex_peval_add_optout_near(ex_peval *e, const uint8_t *fp, unsigned k, unsigned bands,
                             double near, const char *digest, const char *label);
/* An opt-out by ISCC Text-Code: items whose code's first 64 bits are within `distance` bits. */
int ex_peval_add_optout_iscc(ex_peval *e, uint64_t code, unsigned distance, const char *digest,
                             const char *label);

/* Decide one item: the first rule that matches; none: reject by "no-rule". EX_ENOMEM, or
 * EX_ENOTFOUND if the item's source was never added. */
int ex_peval_decide(ex_peval *e, const ex_pitem *it, ex_pdecision *out);

/* 1 if an opt-out reaches the item (its digest, URL prefix, domain, near copy of a work or
 * ISCC code; only it->digest or it->digest_raw, it->url, it->fp and it->iscc are read), with *digest (may be NULL) naming the opt-out's record
 * (borrowed from e); 0 if none does. */
int ex_peval_optout(ex_peval *e, const ex_pitem *it, const char **digest);

/* The lower-case host of an http(s) URL into out (no port, no userinfo); 0 if there is none. */
size_t ex_url_host(const char *url, char out[256]);

#endif
