/* eval.c - license sets and the evaluation of parsed expressions against them (license.h).
 *
 * Licenses are numbered by version key (0 .. ex_spdx_nkeys - 1, from the generated table),
 * then the set's own LicenseRefs; exceptions by exception key, then the set's AdditionRefs.
 * A set is two bitsets over these numbers (licenses alone, exceptions alone) and a sorted
 * array of (license << 16 | exception) pairs. A leaf of the tree may use the license numbers
 * [lo, hi): one number, or a version range for '+' and "-or-later" ids. */
#include "license/license.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ABSENT 0x7FFFFFFFu /* a ref the set does not hold */
#define NOEXC 0xFFFFFFFFu  /* a leaf without WITH */

struct ex_license_set {
    uint64_t *lic, *exc; /* bitsets */
    size_t lic_bits, exc_bits;
    uint32_t *pairs; /* sorted, unique */
    size_t npairs, pairs_cap;
    char **lrefs, **erefs; /* lowercased "[DocumentRef-D:]LicenseRef-X" / "...AdditionRef-X" */
    size_t nlrefs, nerefs;
};

static int
bit(const uint64_t *b, size_t nbits, unsigned i)
{
    return i < nbits && ((b[i >> 6] >> (i & 63)) & 1);
}

static int
grow_bits(uint64_t **b, size_t *nbits, size_t want)
{
    size_t old = (*nbits + 63) / 64, words = (want + 63) / 64;
    if (words > old) {
        uint64_t *nb = realloc(*b, words * sizeof *nb);
        if (!nb)
            return EX_ENOMEM;
        memset(nb + old, 0, (words - old) * sizeof *nb);
        *b = nb;
    }
    if (want > *nbits)
        *nbits = want;
    return EX_OK;
}

int
ex_license_set_new(ex_license_set **out)
{
    ex_license_set *s = calloc(1, sizeof *s);
    if (!s || grow_bits(&s->lic, &s->lic_bits, ex_spdx_nkeys) != EX_OK ||
        grow_bits(&s->exc, &s->exc_bits, ex_spdx_nexceptions) != EX_OK) {
        ex_license_set_free(s);
        return EX_ENOMEM;
    }
    *out = s;
    return EX_OK;
}

void
ex_license_set_free(ex_license_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nlrefs; i++)
        free(s->lrefs[i]);
    for (size_t i = 0; i < s->nerefs; i++)
        free(s->erefs[i]);
    free(s->lrefs);
    free(s->erefs);
    free(s->lic);
    free(s->exc);
    free(s->pairs);
    free(s);
}

static long
find_ref(char *const *refs, size_t n, const char *t, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strncasecmp(refs[i], t, len) == 0 && refs[i][len] == '\0')
            return (long)i;
    return -1;
}

/* the number of a ref in the set, added if new */
static int
intern_ref(char ***refs, size_t *n, const char *t, size_t len, size_t base, unsigned *out)
{
    long i = find_ref(*refs, *n, t, len);
    if (i < 0) {
        if (base + *n + 1 >= EX_LN_EREF)
            return EX_ETOOBIG;
        char **nr = realloc(*refs, (*n + 1) * sizeof *nr);
        if (!nr)
            return EX_ENOMEM;
        *refs = nr;
        char *c = malloc(len + 1);
        if (!c)
            return EX_ENOMEM;
        for (size_t k = 0; k < len; k++)
            c[k] = (char)((unsigned char)t[k] | 0x20); /* [A-Za-z0-9.:-] only */
        c[len] = '\0';
        nr[*n] = c;
        i = (long)(*n)++;
    }
    *out = (unsigned)(base + (size_t)i);
    return EX_OK;
}

static int
pair_in(const ex_license_set *s, unsigned lic, unsigned exc)
{
    if (lic >= 0x10000 || exc >= 0x10000)
        return 0;
    uint32_t v = (uint32_t)lic << 16 | exc;
    size_t lo = 0, hi = s->npairs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->pairs[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->npairs && s->pairs[lo] == v;
}

static int
add_pair(ex_license_set *s, unsigned lic, unsigned exc)
{
    if (pair_in(s, lic, exc))
        return EX_OK;
    if (s->npairs == s->pairs_cap) {
        size_t cap = s->pairs_cap ? 2 * s->pairs_cap : 16;
        uint32_t *np = realloc(s->pairs, cap * sizeof *np);
        if (!np)
            return EX_ENOMEM;
        s->pairs = np;
        s->pairs_cap = cap;
    }
    uint32_t v = (uint32_t)lic << 16 | exc;
    size_t i = s->npairs;
    while (i > 0 && s->pairs[i - 1] > v) {
        s->pairs[i] = s->pairs[i - 1];
        i--;
    }
    s->pairs[i] = v;
    s->npairs++;
    return EX_OK;
}

int
ex_license_set_add(ex_license_set *s, const char *arg, ex_license_err *err)
{
    ex_license *l;
    int rc = ex_license_parse_mode(arg, strlen(arg), 1, &l, err);
    if (rc != EX_OK)
        return rc;
    const ex_lnode *n = &l->nodes[l->root];
    unsigned lo = 0, hi = 0, e = NOEXC;
    if (n->kind == EX_LN_LICENSE) {
        lo = n->lo;
        hi = n->hi;
    } else if (n->kind == EX_LN_REF) {
        if ((rc = intern_ref(&s->lrefs, &s->nlrefs, l->text + n->ref, n->ref_len, ex_spdx_nkeys,
                             &lo)) != EX_OK ||
            (rc = grow_bits(&s->lic, &s->lic_bits, lo + 1)) != EX_OK)
            goto out;
        hi = lo + 1;
    }
    if (n->exc == EX_LN_EREF) {
        if ((rc = intern_ref(&s->erefs, &s->nerefs, l->text + n->eref, n->eref_len,
                             ex_spdx_nexceptions, &e)) != EX_OK ||
            (rc = grow_bits(&s->exc, &s->exc_bits, e + 1)) != EX_OK)
            goto out;
    } else if (n->exc != EX_LN_NONE) {
        e = ex_spdx_list[n->exc].key;
    }
    if (n->kind == EX_LN_EXCEPTION) /* an exception alone */
        s->exc[e >> 6] |= (uint64_t)1 << (e & 63);
    for (unsigned k = lo; k < hi && rc == EX_OK; k++) {
        if (e == NOEXC)
            s->lic[k >> 6] |= (uint64_t)1 << (k & 63);
        else
            rc = add_pair(s, k, e);
    }
out:
    if (rc == EX_ETOOBIG && err) {
        err->column = 1;
        strcpy(err->msg, "too many LicenseRefs or AdditionRefs in one set");
    }
    ex_license_free(l);
    return rc;
}

/* ---- evaluation -------------------------------------------------------------------------- */

/* the license numbers a leaf may use, and its exception number (NOEXC, or ABSENT for an
 * AdditionRef the set does not hold) */
static void
leaf(const ex_license *l, const ex_lnode *n, const ex_license_set *s, unsigned *lo, unsigned *hi,
     unsigned *e)
{
    if (n->kind == EX_LN_LICENSE) {
        *lo = n->lo;
        *hi = n->hi;
    } else {
        long i = find_ref(s->lrefs, s->nlrefs, l->text + n->ref, n->ref_len);
        *lo = i < 0 ? ABSENT : ex_spdx_nkeys + (unsigned)i;
        *hi = *lo + 1;
    }
    if (n->exc == EX_LN_NONE) {
        *e = NOEXC;
    } else if (n->exc == EX_LN_EREF) {
        long i = find_ref(s->erefs, s->nerefs, l->text + n->eref, n->eref_len);
        *e = i < 0 ? ABSENT : ex_spdx_nexceptions + (unsigned)i;
    } else {
        *e = ex_spdx_list[n->exc].key;
    }
}

/* some version of the leaf is allowed by s */
static int
leaf_admitted(const ex_license *l, const ex_lnode *n, const ex_license_set *s)
{
    unsigned lo, hi, e;
    leaf(l, n, s, &lo, &hi, &e);
    for (unsigned k = lo; k < hi; k++) {
        if (e == NOEXC) {
            if (bit(s->lic, s->lic_bits, k))
                return 1;
        } else if (pair_in(s, k, e) ||
                   (bit(s->lic, s->lic_bits, k) && bit(s->exc, s->exc_bits, e))) {
            return 1;
        }
    }
    return 0;
}

/* some version of the leaf uses no member of s */
static int
leaf_avoids(const ex_license *l, const ex_lnode *n, const ex_license_set *s)
{
    unsigned lo, hi, e;
    leaf(l, n, s, &lo, &hi, &e);
    for (unsigned k = lo; k < hi; k++) {
        int hit = bit(s->lic, s->lic_bits, k) ||
                  (e != NOEXC && (bit(s->exc, s->exc_bits, e) || pair_in(s, k, e)));
        if (!hit)
            return 1;
    }
    return 0;
}

static int
admits(const ex_license *l, uint16_t i, const ex_license_set *s)
{
    const ex_lnode *n = &l->nodes[i];
    switch (n->kind) {
    case EX_LN_LICENSE:
    case EX_LN_REF: return leaf_admitted(l, n, s);
    case EX_LN_AND:
        for (uint16_t c = n->child; c != EX_LN_NONE; c = l->nodes[c].next)
            if (!admits(l, c, s))
                return 0;
        return 1;
    case EX_LN_OR:
        for (uint16_t c = n->child; c != EX_LN_NONE; c = l->nodes[c].next)
            if (admits(l, c, s))
                return 1;
        return 0;
    default: return 0;
    }
}

/* some way to satisfy node i uses no member of s */
static int
avoids(const ex_license *l, uint16_t i, const ex_license_set *s)
{
    const ex_lnode *n = &l->nodes[i];
    switch (n->kind) {
    case EX_LN_LICENSE:
    case EX_LN_REF: return leaf_avoids(l, n, s);
    case EX_LN_AND:
        for (uint16_t c = n->child; c != EX_LN_NONE; c = l->nodes[c].next)
            if (!avoids(l, c, s))
                return 0;
        return 1;
    case EX_LN_OR:
        for (uint16_t c = n->child; c != EX_LN_NONE; c = l->nodes[c].next)
            if (avoids(l, c, s))
                return 1;
        return 0;
    default: return 1;
    }
}

int
ex_license_admits(const ex_license *l, const ex_license_set *s)
{
    return admits(l, l->root, s);
}

int
ex_license_all_in(const ex_license *l, const ex_license_set *s)
{
    if (l->nodes[l->root].kind == EX_LN_SPECIAL)
        return 0;
    return !avoids(l, l->root, s);
}
