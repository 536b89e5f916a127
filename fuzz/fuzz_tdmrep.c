/* fuzz_tdmrep.c - the tdmrep.json parser and location matcher (ex_tdmrep_parse, ex_tdmrep_match).
 *
 * Invariants: a parse fails only with EX_EFORMAT / EX_ETOOBIG (or EX_ENOMEM) and a message
 * starting "tdmrep.json"; a parsed file has at most EX_TDMREP_MAX_RULES rules, each with a
 * location starting with '/' or '*' and a reservation of -1, 0 or 1. Matching is deterministic,
 * a match's index is in range and its result is that rule's; every location, with its '*'
 * removed and a final '$' dropped, is a path that some rule at or before it matches; and where
 * every location and path uses only characters that the canonical form leaves alone, the first
 * match is the one a plain dynamic-programming wildcard matcher finds. */
#include "fuzz_common.h"
#include "signals/tdm.h"

/* Characters canon() keeps as they are in a path and a pattern (no '%', '$', '*', '#'). */
static int
plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~/:?[]@!&'()+,;=", c) != NULL);
}

/* Reference: does pattern p (with '*' and an optional final '$') match a prefix of s (all of s
 * with '$')? Quadratic dynamic programming over a row. */
static int
ref_match(const char *p, size_t m, const char *s, size_t n)
{
    int anchored = m > 0 && p[m - 1] == '$';
    if (anchored)
        m--;
    unsigned char *row = calloc(n + 1, 1), *next = calloc(n + 1, 1);
    if (!row || !next)
        abort();
    row[0] = 1; /* the empty pattern matches the empty prefix */
    for (size_t i = 0; i < m; i++) {
        memset(next, 0, n + 1);
        for (size_t j = 0; j <= n; j++) {
            if (p[i] == '*')
                next[j] = row[j] || (j > 0 && next[j - 1]);
            else
                next[j] = j > 0 && row[j - 1] && s[j - 1] == p[i];
        }
        unsigned char *t = row;
        row = next;
        next = t;
    }
    int ok = 0;
    for (size_t j = anchored ? n : 0; j <= n && !ok; j++)
        ok = row[j];
    free(row);
    free(next);
    return ok;
}

static int
all_plain(const char *s, size_t n, int pattern)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (plain(c) || (pattern && (c == '*' || (c == '$' && i == n - 1))))
            continue;
        return 0;
    }
    return 1;
}

static void
check_match(const ex_tdmrep *t, const char *path, size_t n, int ref_ok)
{
    char *copy = fuzz_copy((const uint8_t *)path, n);
    if (!copy)
        return;
    ex_tdm a, b;
    unsigned ia = 12345, ib = 54321;
    memset(&b, 0x55, sizeof b);
    int ra = ex_tdmrep_match(t, copy, n, &a, &ia), rb = ex_tdmrep_match(t, copy, n, &b, &ib);
    if (ra != rb)
        FUZZ_FAIL("match is not deterministic");
    if (ra == EX_OK) {
        if (ia != ib || a.reservation != b.reservation || strcmp(a.policy, b.policy) != 0)
            FUZZ_FAIL("match is not deterministic");
        const char *loc, *pol;
        int res;
        if (ia >= ex_tdmrep_count(t) || ex_tdmrep_rule(t, ia, &loc, &res, &pol) != EX_OK)
            FUZZ_FAIL("match index out of range");
        if (a.source != EX_TDM_FROM_FILE || a.reservation != res ||
            (strlen(pol) < EX_TDM_POLICY_MAX && strcmp(a.policy, pol) != 0))
            FUZZ_FAIL("match result is not its rule's");
    } else if (ra == EX_ENOTFOUND) {
        if (ia != 12345 || a.reservation != -1 || a.source != EX_TDM_FROM_NONE || a.policy[0])
            FUZZ_FAIL("a miss changed the index or left a declaration");
    } else if (ra != EX_EINVAL || (n > 0 && path[0] == '/')) {
        FUZZ_FAIL("unexpected match failure");
    }
    if (ref_ok && n > 0 && n <= 1024 && ex_tdmrep_count(t) <= 64 && path[0] == '/' &&
        all_plain(path, n, 0)) {
        long want = -1;
        for (size_t i = 0; i < ex_tdmrep_count(t) && want < 0; i++) {
            const char *loc;
            ex_tdmrep_rule(t, i, &loc, NULL, NULL);
            if (ref_match(loc, strlen(loc), path, n))
                want = (long)i;
        }
        if ((want < 0) != (ra == EX_ENOTFOUND) || (want >= 0 && (unsigned)want != ia))
            FUZZ_FAIL("first match differs from the reference matcher");
    }
    free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_copy(data, size);
    if (!in)
        return 0;
    ex_tdmrep *t = NULL;
    ex_err err = {0};
    int rc = ex_tdmrep_parse(in, size, &t, &err);
    if (rc != EX_OK) {
        if (t || (rc != EX_EFORMAT && rc != EX_ETOOBIG && rc != EX_ENOMEM) ||
            strncmp(err.msg, "tdmrep.json", 11) != 0)
            FUZZ_FAIL("unexpected parse failure");
        free(in);
        return 0;
    }
    size_t n = ex_tdmrep_count(t);
    if (n > EX_TDMREP_MAX_RULES)
        FUZZ_FAIL("too many rules");
    int ref_ok = 1;
    for (size_t i = 0; i < n; i++) {
        const char *loc, *pol;
        int res;
        if (ex_tdmrep_rule(t, i, &loc, &res, &pol) != EX_OK)
            FUZZ_FAIL("rule in range not found");
        if ((loc[0] != '/' && loc[0] != '*') || res < -1 || res > 1 || !pol)
            FUZZ_FAIL("rule out of range");
        if (!all_plain(loc, strlen(loc), 1) || strlen(loc) > 256)
            ref_ok = 0;
    }
    if (ex_tdmrep_rule(t, n, NULL, NULL, NULL) != EX_ERANGE)
        FUZZ_FAIL("rule past the end found");

    /* each location, made into a path it must match */
    for (size_t i = 0; i < n && i < 64; i++) {
        const char *loc;
        ex_tdmrep_rule(t, i, &loc, NULL, NULL);
        size_t ll = strlen(loc);
        if (memchr(loc, '#', ll) || memchr(loc, '%', ll))
            continue; /* a path loses its fragment, a pattern keeps '#'; dropping a '*' from
                         "%*41" would make an escape the pattern does not have */
        char *p = malloc(ll + 2);
        if (!p)
            break;
        size_t o = 0;
        if (loc[0] != '/')
            p[o++] = '/';
        for (size_t k = 0; k < ll; k++)
            if (loc[k] != '*' && !(k == ll - 1 && loc[k] == '$'))
                p[o++] = loc[k];
        ex_tdm r;
        unsigned idx = 0;
        int mrc = ex_tdmrep_match(t, p, o, &r, &idx);
        if (mrc != EX_OK || idx > i)
            FUZZ_FAIL("a location does not match its own path");
        check_match(t, p, o, ref_ok);
        free(p);
    }
    /* fixed paths and URLs, and the input itself as a path */
    static const char *const paths[] = {
        "/", "/a", "/a/b.jpg", "/a/b.jpg?x=1", "/%7Ea/$", "https://h.example/x/y", "http://h",
        "x", "/*", ""};
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++)
        check_match(t, paths[k], strlen(paths[k]), ref_ok);
    if (size < 4096) {
        char *p = malloc(size + 1);
        if (p) {
            p[0] = '/';
            memcpy(p + 1, data, size);
            check_match(t, p, size + 1, ref_ok);
            check_match(t, p + 1, size, ref_ok);
            free(p);
        }
    }
    ex_tdmrep_free(t);
    free(in);
    return 0;
}
