/* fuzz_spdx.c - SPDX license expressions (src/license): ex_license_parse, normalisation, the
 * JSON tree, set members and the evaluation against sets.
 *
 * Invariants: a parse returns EX_OK, EX_EFORMAT or EX_ETOOBIG, and is deterministic; an error
 * has a column in 1..len+1 and a non-empty lowercase message. A parsed expression normalises
 * to single-spaced text without outer spaces that parses to an equal tree and normalises to
 * the same text again. The set of all its terms (each "X[+] [WITH E]") admits it and holds it
 * all_in; the empty set does neither. Against sets made of every other term, admits and all_in
 * agree with a brute-force evaluation of the expression's disjunctive normal form (from the
 * JSON tree) whose terms are evaluated one by one, and give the same answer when asked twice.
 * A single term also parses as a set member, to the same normalised text. Any input that is a
 * set member normalises idempotently and can be added to a set. */
#include "fuzz_common.h"
#include "license/license.h"

#include <ctype.h>

#define MAX_TERMS 48
#define MAX_WAYS 256

typedef struct terms {
    char *text[MAX_TERMS];
    int n;
    int overflow;
} terms;

typedef struct ways {
    uint64_t w[MAX_WAYS]; /* bitmasks over terms */
    int n;
} ways;

static char *
term_text(json_t *o)
{
    const char *lic = json_string_value(json_object_get(o, "license"));
    const char *exc = json_string_value(json_object_get(o, "exception"));
    int plus = json_is_true(json_object_get(o, "plus"));
    if (!lic)
        FUZZ_FAIL("a leaf without a license");
    size_t n = strlen(lic) + (exc ? strlen(exc) : 0) + 8;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, "%s%s%s%s", lic, plus ? "+" : "", exc ? " WITH " : "", exc ? exc : "");
    return s;
}

/* the ways of satisfying node j: lists of term bitmasks; 0 when there are too many */
static int
dnf(json_t *j, terms *t, ways *out)
{
    const char *conj = json_string_value(json_object_get(j, "conjunction"));
    out->n = 0;
    if (!conj) {
        if (json_object_get(j, "left") || json_object_get(j, "right"))
            FUZZ_FAIL("operands without a conjunction");
        if (t->n == MAX_TERMS)
            return 0;
        out->w[out->n++] = (uint64_t)1 << t->n;
        t->text[t->n++] = term_text(j);
        return 1;
    }
    ways *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    if (!a || !b)
        abort();
    int ok = dnf(json_object_get(j, "left"), t, a) && dnf(json_object_get(j, "right"), t, b);
    if (ok && strcmp(conj, "or") == 0) {
        ok = a->n + b->n <= MAX_WAYS;
        for (int i = 0; ok && i < a->n; i++)
            out->w[out->n++] = a->w[i];
        for (int i = 0; ok && i < b->n; i++)
            out->w[out->n++] = b->w[i];
    } else if (ok && strcmp(conj, "and") == 0) {
        ok = a->n * b->n <= MAX_WAYS;
        for (int i = 0; ok && i < a->n; i++)
            for (int k = 0; k < b->n; k++)
                out->w[out->n++] = a->w[i] | b->w[k];
    } else if (ok) {
        FUZZ_FAIL("unknown conjunction");
    }
    free(a);
    free(b);
    return ok;
}

static ex_license *
parse_str(const char *s)
{
    ex_license *l;
    ex_license_err e;
    if (ex_license_parse(s, strlen(s), &l, &e) != EX_OK) {
        fprintf(stderr, "term '%s': %s\n", s, e.msg);
        FUZZ_FAIL("a term of a parsed expression does not parse");
    }
    return l;
}

static ex_license_set *
set_of(terms *t, int parity, int extra)
{
    ex_license_set *s;
    if (ex_license_set_new(&s) != EX_OK)
        abort();
    for (int i = 0; i < t->n; i++) {
        if (parity >= 0 && i % 2 != parity)
            continue;
        ex_license_err e;
        if (ex_license_set_add(s, t->text[i], &e) != EX_OK) {
            fprintf(stderr, "term '%s': %s\n", t->text[i], e.msg);
            FUZZ_FAIL("a term of a parsed expression is not a set member");
        }
    }
    if (extra && (ex_license_set_add(s, "MIT", NULL) != EX_OK ||
                  ex_license_set_add(s, "Classpath-exception-2.0", NULL) != EX_OK ||
                  ex_license_set_add(s, "GPL-2.0-or-later", NULL) != EX_OK))
        FUZZ_FAIL("fixed set members do not parse");
    return s;
}

/* admits and all_in of l against s agree with the ways, evaluated term by term */
static void
check_ways(const ex_license *l, const terms *t, const ways *w, const ex_license_set *s)
{
    int tadm[MAX_TERMS], tall[MAX_TERMS];
    for (int i = 0; i < t->n; i++) {
        ex_license *x = parse_str(t->text[i]);
        tadm[i] = ex_license_admits(x, s);
        tall[i] = ex_license_all_in(x, s);
        ex_license_free(x);
    }
    int admit = 0, all = 1;
    for (int k = 0; k < w->n; k++) {
        int every = 1, some = 0;
        for (int i = 0; i < t->n; i++) {
            if (!(w->w[k] >> i & 1))
                continue;
            every &= tadm[i];
            some |= tall[i];
        }
        admit |= every;
        all &= some;
    }
    if (ex_license_admits(l, s) != admit || ex_license_admits(l, s) != admit)
        FUZZ_FAIL("admits disagrees with the ways");
    if (ex_license_all_in(l, s) != all || ex_license_all_in(l, s) != all)
        FUZZ_FAIL("all_in disagrees with the ways");
}

static void
check_parsed(const ex_license *l)
{
    ex_buf n1 = {0}, n2 = {0};
    if (ex_license_normalize(l, &n1) != EX_OK)
        FUZZ_FAIL("normalize failed");
    if (n1.len == 0 || n1.data[0] == ' ' || n1.data[n1.len - 1] == ' ' ||
        memmem(n1.data, n1.len, "  ", 2) || memchr(n1.data, 0, n1.len))
        FUZZ_FAIL("normalised text is not single-spaced");
    ex_license *l2;
    ex_license_err e;
    if (ex_license_parse(n1.data, n1.len, &l2, &e) != EX_OK) {
        fprintf(stderr, "normalised '%s': column %u: %s\n", n1.data, e.column, e.msg);
        FUZZ_FAIL("the normalised text does not parse");
    }
    if (!ex_license_equal(l, l2) || !ex_license_equal(l2, l))
        FUZZ_FAIL("the normalised text parses to another tree");
    if (ex_license_normalize(l2, &n2) != EX_OK || n1.len != n2.len ||
        memcmp(n1.data, n2.data, n1.len) != 0)
        FUZZ_FAIL("normalisation is not idempotent");
    if (ex_license_deprecated(l, NULL) != ex_license_deprecated(l2, NULL))
        FUZZ_FAIL("deprecated ids differ after normalisation");
    for (int i = 0; i < ex_license_deprecated(l, NULL); i++) {
        const char *id = ex_license_deprecated_id(l, i);
        int dep = 0;
        if (!id || ex_license_id_known(id, strlen(id), NULL, &dep) == 0 || !dep)
            FUZZ_FAIL("a deprecated id is not a deprecated id of the list");
    }
    ex_license_free(l2);

    json_t *j = ex_license_to_json(l);
    if (!j)
        FUZZ_FAIL("no JSON tree");
    if (ex_license_is_unknown(l)) {
        const char *lic = json_string_value(json_object_get(j, "license"));
        if (!lic || (strcmp(lic, "NONE") != 0 && strcmp(lic, "NOASSERTION") != 0))
            FUZZ_FAIL("an unknown expression is not NONE or NOASSERTION");
        if (strcmp(lic, n1.data) != 0)
            FUZZ_FAIL("NONE / NOASSERTION normalise to another text");
        ex_license_set *s = set_of(&(terms){.n = 0}, -1, 1);
        if (ex_license_admits(l, s) || ex_license_all_in(l, s))
            FUZZ_FAIL("NONE / NOASSERTION evaluated to true");
        ex_license_set_free(s);
    } else {
        terms t = {.n = 0};
        ways *w = malloc(sizeof *w);
        if (!w)
            abort();
        int ok = dnf(j, &t, w);
        if (t.n == 1 && ok) {
            /* a single term is also a set member, normalised the same way */
            ex_buf m = {0};
            if (ex_license_member_normalize(t.text[0], &m, NULL) != EX_OK || m.len != n1.len ||
                memcmp(m.data, n1.data, n1.len) != 0)
                FUZZ_FAIL("a single term does not normalise the same as a set member");
            ex_buf_free(&m);
        }
        if (ok) {
            ex_license_set *all = set_of(&t, -1, 0), *none = set_of(&(terms){.n = 0}, -1, 0);
            if (!ex_license_admits(l, all) || !ex_license_all_in(l, all))
                FUZZ_FAIL("the set of all its terms does not admit it / hold it all_in");
            if (ex_license_admits(l, none) || ex_license_all_in(l, none))
                FUZZ_FAIL("the empty set admits it / holds it all_in");
            for (int parity = 0; parity < 2; parity++) {
                ex_license_set *s = set_of(&t, parity, parity);
                check_ways(l, &t, w, s);
                ex_license_set_free(s);
            }
            ex_license_set_free(all);
            ex_license_set_free(none);
        }
        for (int i = 0; i < t.n; i++)
            free(t.text[i]);
        free(w);
    }
    json_decref(j);
    ex_buf_free(&n1);
    ex_buf_free(&n2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_copy(data, size);
    if (!copy)
        return 0;
    ex_license *l1 = NULL, *l2 = NULL;
    ex_license_err e1, e2;
    memset(&e1, 0x55, sizeof e1);
    memset(&e2, 0xAA, sizeof e2);
    int rc1 = ex_license_parse(copy, size, &l1, &e1);
    int rc2 = ex_license_parse(copy, size, &l2, &e2);
    if (rc1 != rc2)
        FUZZ_FAIL("parsing is not deterministic");
    if (rc1 == EX_OK) {
        if (!ex_license_equal(l1, l2))
            FUZZ_FAIL("parsing is not deterministic");
        check_parsed(l1);
    } else if (rc1 == EX_EFORMAT || rc1 == EX_ETOOBIG) {
        if (e1.column != e2.column || strcmp(e1.msg, e2.msg) != 0)
            FUZZ_FAIL("errors are not deterministic");
        if (e1.column < 1 || e1.column > size + 1)
            FUZZ_FAIL("error column out of range");
        if (!memchr(e1.msg, 0, sizeof e1.msg) || e1.msg[0] == '\0' ||
            isupper((unsigned char)e1.msg[0]))
            FUZZ_FAIL("error message empty or not lowercase");
        if ((rc1 == EX_ETOOBIG) != (size > EX_LICENSE_MAX_LEN))
            FUZZ_FAIL("EX_ETOOBIG for the wrong size");
    } else {
        FUZZ_FAIL("unexpected return code");
    }
    ex_license_free(l1);
    ex_license_free(l2);

    /* as a set member (a NUL-terminated string) */
    if (size <= EX_LICENSE_MAX_LEN && !memchr(copy, 0, size)) {
        char *z = malloc(size + 1);
        if (!z)
            abort();
        memcpy(z, copy, size);
        z[size] = '\0';
        ex_buf m1 = {0}, m2 = {0};
        ex_license_err e;
        int rc = ex_license_member_normalize(z, &m1, &e);
        if (rc == EX_OK) {
            if (m1.len == 0 || memchr(m1.data, 0, m1.len))
                FUZZ_FAIL("empty member text");
            ex_buf_putc(&m1, 0);
            if (ex_license_member_normalize(m1.data, &m2, NULL) != EX_OK || m2.len + 1 != m1.len ||
                memcmp(m1.data, m2.data, m2.len) != 0)
                FUZZ_FAIL("member normalisation is not idempotent");
            ex_license_set *s;
            if (ex_license_set_new(&s) != EX_OK || ex_license_set_add(s, z, NULL) != EX_OK)
                FUZZ_FAIL("a member that normalises cannot be added");
            ex_license_set_free(s);
        } else if (rc != EX_EFORMAT || e.column < 1 || e.column > size + 1) {
            FUZZ_FAIL("member error out of range");
        }
        ex_buf_free(&m1);
        ex_buf_free(&m2);
        free(z);
    }
    free(copy);
    return 0;
}
