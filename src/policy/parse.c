/* parse.c - the policy file (docs/POLICY.md): read line by line, each line checked for its
 * encoding and split into tokens (lex.c), then read as a directive or a rule; then the
 * warnings about rules that never apply (canon.c). */
#include "policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POLICY_NAME_MAX 128 /* bytes of `name` and of a source `name=` */

static const char *const directives[] = {"name",  "agents", "near", "minhash",
                                          "admit", "reject", NULL};

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
    {"near-rejected", EX_COND_NEAR_REJECTED, 0},
    {"access-restricted", EX_COND_ACCESS_RESTRICTED, 0},
    {"domains", EX_COND_DOMAINS, 3},
};
#define NCONDS (sizeof conds / sizeof conds[0])

static const char *const cond_words[] = {
    "*",    "optout",    "tdm-reserved", "robots-disallowed", "robots-unknown",
    "noai", "noimageai", "source",       "license",           "license-unknown",
    "near-rejected", "access-restricted", "domains", NULL};
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

int
ex_policy_follows(const ex_policy *p, int cond)
{
    if (cond == EX_COND_OPTOUT || cond == EX_COND_TDM_RESERVED || cond == EX_COND_NOAI ||
        cond == EX_COND_NOIMAGEAI)
        return 1;
    if (cond != EX_COND_ROBOTS_DISALLOWED || !p)
        return 0;
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].cond == EX_COND_NEAR_REJECTED)
            return 1;
    return 0;
}

const char *
ex_policy_verdict_name(int verdict)
{
    return verdict == EX_VERDICT_ADMIT ? "admit" : verdict == EX_VERDICT_REJECT ? "reject" : NULL;
}

/* ---- suggestions --------------------------------------------------------------------- */

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
            size_t cost = ex_policy_lower((unsigned char)a[i - 1]) !=
                          ex_policy_lower((unsigned char)b[j - 1]);
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
        return fail(p, p->t[2].col, "unexpected '%s' after the %s", ex_policy_show(p, 0, p->t[2].s),
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
        return ex_policy_nomem(p);
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
        return ex_policy_nomem(p);
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
                        ex_policy_show(p, 0, v->s));
        if (!(a[i] = strdup(v->s)))
            return ex_policy_nomem(p);
        p->pol->nagents = i + 1;
    }
    size_t at;
    if ((rc = first_repeat(a, n, &at)) != EX_OK)
        return ex_policy_nomem(p);
    if (at < n)
        return fail(p, p->t[at + 1].col, "agent '%s' listed twice (product tokens ignore case)",
                    ex_policy_show(p, 0, a[at]));
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
                    ex_policy_show(p, 0, s));
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

/* minhash k=N bands=M: the near-duplicate fingerprint's permutations (1..EX_POLICY_MINHASH_K_MAX)
 * and bands (dividing k); either may be left out (112, 14) */
static int
dir_minhash(parser *p)
{
    int rc;
    if ((rc = once(p, &p->minhash_line)) != EX_OK)
        return rc;
    if (p->nt < 2)
        return fail(p, p->t[0].end, "'minhash' needs k=N and/or bands=N");
    unsigned k = 112, bands = 14;
    for (size_t i = 1; i < p->nt; i++) {
        const tok *v = &p->t[i];
        const char *eq = v->quoted ? NULL : strchr(v->s, '=');
        unsigned *dst = NULL;
        if (eq && (size_t)(eq - v->s) == 1 && v->s[0] == 'k')
            dst = &k;
        else if (eq && (size_t)(eq - v->s) == 5 && strncmp(v->s, "bands", 5) == 0)
            dst = &bands;
        if (!dst)
            return fail(p, v->col, "'minhash' takes k=N and bands=N, not '%s'",
                        ex_policy_show(p, 0, v->s));
        unsigned long x = 0;
        const char *d = eq + 1;
        if (!*d || strlen(d) > 5)
            return fail(p, v->col, "'%s' needs a whole number", ex_policy_show(p, 0, v->s));
        for (; *d; d++) {
            if (*d < '0' || *d > '9')
                return fail(p, v->col, "'%s' needs a whole number", ex_policy_show(p, 0, v->s));
            x = x * 10 + (unsigned long)(*d - '0');
        }
        *dst = (unsigned)x;
    }
    if (k < 1 || k > EX_POLICY_MINHASH_K_MAX)
        return fail(p, p->t[1].col, "minhash k must be 1 to %d, not %u", EX_POLICY_MINHASH_K_MAX, k);
    if (bands < 1 || bands > k || k % bands)
        return fail(p, p->t[1].col, "minhash bands must divide k (%u), not %u", k, bands);
    p->pol->minhash_k = k;
    p->pol->minhash_bands = bands;
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
    for (size_t i = 0; i < r->ndomains; i++)
        free(r->domains[i]);
    free(r->domains);
    memset(r, 0, sizeof *r);
}

/* Append s (taken: freed on failure) to the rule's arguments; r->args has room for all. */
static int
add_arg(parser *p, ex_policy_rule *r, char *s)
{
    if (!s)
        return ex_policy_nomem(p);
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
                        ex_policy_show(p, 0, s), hint(h, key, source_tests));
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
                        ex_policy_show(p, 0, val), hint(h, val, ml_uses));
        } else if (k == 3 && !one_of(val, kinds)) {
            return fail(p, a[i].col,
                        "kind must be crawl, licensed, public-dataset, first-party, synthetic or "
                        "other, not '%s'%s",
                        ex_policy_show(p, 0, val), hint(h, val, kinds));
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
        return ex_policy_nomem(p);
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
                      ex_policy_show(p, 0, s));
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
                rc = fail(p, a[i + 2].col, "invalid exception id '%s' after '%s'",
                          ex_policy_show(p, 0, e), w);
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
        rc = ex_policy_nomem(p);
        goto out;
    }
    if (at < r->nargs)
        rc = fail(p, cols[at], "license '%s' listed twice (license ids ignore case)",
                  ex_policy_show(p, 0, r->args[at]));
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
                    ex_policy_show(p, 0, id), EX_POLICY_ID_MAX - 1);
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
        return ex_policy_fail_code(p, EX_ETOOBIG, 1, "more than %d rules", EX_POLICY_MAX_RULES);
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
        return fail(p, t[1].col, "unknown condition '%s'%s", ex_policy_show(p, 0, t[1].s),
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
                        ex_policy_show(p, 0, t[i].s), t[i - 1].quoted ? "reason" : "rule id");
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
    if (conds[c].args == 3 && nargs != 1)
        return fail(p, nargs ? t[3].col : t[e - 1].end,
                    "'domains' takes one file: the list, a domain per line");

    ex_policy_rule r = {0};
    r.line = p->line;
    r.verdict = verdict;
    r.cond = conds[c].cond;
    if (nargs && !(r.args = calloc(nargs, sizeof *r.args)))
        return ex_policy_nomem(p);
    if (conds[c].args == 1)
        rc = source_args(p, &r, t + 2, nargs);
    else if (conds[c].args == 2)
        rc = license_args(p, &r, t + 2, nargs);
    else if (conds[c].args == 3) {
        char *path = strdup(t[2].s);
        rc = path ? add_arg(p, &r, path) : ex_policy_nomem(p);
    } else
        rc = EX_OK;
    if (rc == EX_OK && reason && !(r.reason = strdup(reason->s)))
        rc = ex_policy_nomem(p);
    if (rc == EX_OK && id)
        rc = rule_id(p, &r, id);
    else if (rc == EX_OK)
        snprintf(r.id, sizeof r.id, "line:%u", p->line);
    if (rc == EX_OK && p->pol->nrules == p->caprules) {
        size_t cap = p->caprules ? 2 * p->caprules : 16;
        ex_policy_rule *nr = realloc(p->pol->rules, cap * sizeof *nr);
        if (!nr)
            rc = ex_policy_nomem(p);
        else
            p->pol->rules = nr, p->caprules = cap;
    }
    if (rc != EX_OK) {
        rule_clear(&r);
        return rc;
    }
    if (r.cond == EX_COND_NEAR_REJECTED && r.verdict != EX_VERDICT_REJECT) {
        unsigned col = p->t[1].col;
        rule_clear(&r);
        return fail(p, col, "'near-rejected' can only follow 'reject'");
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
    if (strcmp(k->s, "minhash") == 0)
        return dir_minhash(p);
    for (size_t c = 0; c < NCONDS; c++)
        if (strcmp(conds[c].name, k->s) == 0)
            return fail(p, k->col, "a rule starts with 'admit' or 'reject', then '%s'", k->s);
    return fail(p, k->col, "unknown keyword '%s'%s", ex_policy_show(p, 0, k->s),
                hint(h, k->s, directives));
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
        return ex_policy_fail_code(&p, EX_ETOOBIG, col, "policy file larger than %u bytes",
                         EX_POLICY_MAX_BYTES);
    }
    if (!(p.pol = calloc(1, sizeof *p.pol)))
        return ex_policy_nomem(&p);
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
        if ((rc = ex_policy_check_line(&p, (const unsigned char *)text + i, n, &cols)) != EX_OK)
            break;
        p.copy.len = 0;
        if ((rc = ex_buf_reserve(&p.copy, n + 1)) != EX_OK) {
            rc = ex_policy_nomem(&p);
            break;
        }
        memcpy(p.copy.data, text + i, n);
        p.copy.data[n] = '\0';
        if ((rc = ex_policy_tokenize(&p, p.copy.data, n)) == EX_OK && p.nt > 0)
            rc = statement(&p);
        i = end + 1;
    }
    if (rc == EX_OK && p.pol->nrules == 0) {
        if (ended)
            p.line++, cols = 0;
        rc = fail(&p, cols + 1, "no rules: a policy needs at least one 'admit' or 'reject' line");
    }
    if (rc == EX_OK && (rc = ex_policy_warnings(&p)) != EX_OK)
        rc = ex_policy_nomem(&p);
    ex_buf_free(&p.copy);
    free(p.t);
    if (rc != EX_OK) {
        ex_policy_free(p.pol);
        return rc;
    }
    *out = p.pol;
    return EX_OK;
}
