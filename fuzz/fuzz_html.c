/* fuzz_html.c - the HTML <meta> scanner (ex_html_metas_buf) and the checks built on it
 * (ex_tdm_from_html, ex_noai_check; the input is also given to them as a header block).
 *
 * Invariants: names and contents reported lie inside the input or inside their part of the
 * scratch buffer (which is an exact-size heap block, like the input, so ASan catches any access
 * past either); a scan is deterministic; the metas of any prefix of the input are a prefix of
 * the metas of the whole input (a report never depends on bytes after its tag); a callback that
 * stops the scan gets exactly one call and its value back; a small scratch only shortens values
 * that needed decoding. ex_tdm_from_html agrees with a reference computed here from the reported
 * metas; TDM and noai results are in range, deterministic, with printable NUL-terminated evidence;
 * naming more agents never removes a noai finding. */
#include "fuzz_common.h"
#include "signals/html.h"
#include "signals/noai.h"
#include "signals/tdm.h"

#define MAX_METAS 256

typedef struct meta {
    const char *n, *c;
    size_t nl, cl;
    int in_input; /* both values point into the input */
} meta;

typedef struct run {
    const char *in;
    size_t len;
    const char *scratch;
    size_t cap;
    meta m[MAX_METAS];
    char copy[MAX_METAS][2][64]; /* first bytes of each value, for comparing runs */
    size_t n;                    /* calls (may exceed MAX_METAS) */
    size_t stop_at;
    int seen, any0, any1; /* a reference TDM reading, made while the values are valid */
} run;

static int
within(const char *p, size_t n, const char *base, size_t size)
{
    return p >= base && n <= size && (size_t)(p - base) <= size - n;
}

static int name_is(const char *s, size_t n, const char *lit);

static int
on_meta(void *ctx, const char *name, size_t nlen, const char *content, size_t clen)
{
    run *r = ctx;
    size_t ncap = r->cap / 4 < 256 ? r->cap / 4 : 256;
    int nin = within(name, nlen, r->in, r->len);
    int cin = within(content, clen, r->in, r->len);
    if (!nin && !(r->scratch && within(name, nlen, r->scratch, ncap)) && nlen != 0)
        FUZZ_FAIL("name outside the input and the scratch");
    if (!cin && !(r->scratch && within(content, clen, r->scratch + ncap, r->cap - ncap)) &&
        clen != 0)
        FUZZ_FAIL("content outside the input and the scratch");
    if ((!nin && nlen > ncap) || (!cin && clen > r->cap - ncap))
        FUZZ_FAIL("decoded value longer than its scratch");
    if (nlen > r->len || clen > r->len)
        FUZZ_FAIL("value longer than the input");
    if (r->n < MAX_METAS) {
        meta *m = &r->m[r->n];
        m->n = name;
        m->c = content;
        m->nl = nlen;
        m->cl = clen;
        m->in_input = nin && cin;
        memcpy(r->copy[r->n][0], name, nlen < 64 ? nlen : 64);
        memcpy(r->copy[r->n][1], content, clen < 64 ? clen : 64);
    }
    if (name_is(name, nlen, "tdm-policy"))
        r->seen = 1;
    if (name_is(name, nlen, "tdm-reservation")) {
        r->seen = 1;
        size_t s = 0;
        for (size_t j = 0; j <= clen; j++) {
            if (j < clen && content[j] != ',')
                continue;
            r->any1 |= name_is(content + s, j - s, "1");
            r->any0 |= name_is(content + s, j - s, "0");
            s = j + 1;
        }
    }
    r->n++;
    return r->stop_at && r->n == r->stop_at ? 7 : 0;
}

static int
scan(run *r, const char *in, size_t len, char *scratch, size_t cap, size_t stop_at)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->len = len;
    r->scratch = scratch;
    r->cap = cap;
    r->stop_at = stop_at;
    return ex_html_metas_buf(in, len, scratch, cap, on_meta, r);
}

/* Meta i of a and b are the same (a's values in full, b's first bytes). */
static int
same(const run *a, const run *b, size_t i)
{
    const meta *x = &a->m[i], *y = &b->m[i];
    return x->nl == y->nl && x->cl == y->cl &&
           memcmp(a->copy[i][0], b->copy[i][0], x->nl < 64 ? x->nl : 64) == 0 &&
           memcmp(a->copy[i][1], b->copy[i][1], x->cl < 64 ? x->cl : 64) == 0;
}

static unsigned char
low(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int
is_sp(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* s[0..n) trimmed equals lit ignoring ASCII case. */
static int
name_is(const char *s, size_t n, const char *lit)
{
    while (n && is_sp((unsigned char)*s))
        s++, n--;
    while (n && is_sp((unsigned char)s[n - 1]))
        n--;
    size_t l = strlen(lit);
    if (n != l)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (low((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

static void
check_where(const char *w, int set)
{
    const char *end = memchr(w, 0, EX_NOAI_WHERE_MAX);
    if (!end)
        FUZZ_FAIL("evidence not terminated");
    for (const char *p = w; p < end; p++)
        if (*p < 0x20 || *p > 0x7e)
            FUZZ_FAIL("evidence not printable ASCII");
    if ((end != w) != set)
        FUZZ_FAIL("evidence present without a finding or missing with one");
}

static void
check_noai(const ex_noai *n)
{
    if ((n->noai != 0 && n->noai != 1) || (n->noimageai != 0 && n->noimageai != 1) ||
        (n->noai && !n->noimageai))
        FUZZ_FAIL("noai flags out of range");
    if (n->from < EX_NOAI_FROM_NONE || n->from > EX_NOAI_FROM_META ||
        (n->from == EX_NOAI_FROM_NONE) != (!n->noai && !n->noimageai))
        FUZZ_FAIL("noai source out of range");
    check_where(n->where, n->noimageai);
    if (n->from == EX_NOAI_FROM_HEADER && strncmp(n->where, "X-Robots-Tag: ", 14) != 0)
        FUZZ_FAIL("header evidence does not name the field");
    if (n->from == EX_NOAI_FROM_META && strncmp(n->where, "<meta name=", 11) != 0)
        FUZZ_FAIL("meta evidence does not name the tag");
}

static void
check_tdm(const ex_tdm *t, int source)
{
    if (t->reservation < -1 || t->reservation > 1)
        FUZZ_FAIL("reservation out of range");
    if (t->source != EX_TDM_FROM_NONE && t->source != source)
        FUZZ_FAIL("tdm source out of range");
    const char *end = memchr(t->policy, 0, EX_TDM_POLICY_MAX);
    if (!end)
        FUZZ_FAIL("policy not terminated");
    for (const char *p = t->policy; p < end; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            FUZZ_FAIL("policy with whitespace or controls");
    if (!ex_utf8_valid(t->policy, (size_t)(end - t->policy)))
        FUZZ_FAIL("policy not UTF-8");
    if (t->source == EX_TDM_FROM_NONE && (t->reservation != -1 || t->policy[0]))
        FUZZ_FAIL("a declaration without a source");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_copy(data, size);
    char *scratch = malloc(EX_HTML_SCRATCH);
    char *small = malloc(24);
    run *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    if (!in || !scratch || !small || !a || !b)
        goto out;

    /* the scan: deterministic, with values inside the input or the scratch */
    if (scan(a, in, size, scratch, EX_HTML_SCRATCH, 0) != 0)
        FUZZ_FAIL("a scan that was not stopped returned non-zero");
    if (scan(b, in, size, scratch, EX_HTML_SCRATCH, 0) != 0 || b->n != a->n)
        FUZZ_FAIL("scan is not deterministic");
    for (size_t i = 0; i < a->n && i < MAX_METAS; i++)
        if (!same(a, b, i))
            FUZZ_FAIL("scan is not deterministic");

    /* prefixes: a prefix of the reports */
    size_t cuts[3] = {size / 2, size ? size - 1 : 0, size ? data[0] % (size + 1) : 0};
    for (int k = 0; k < 3; k++) {
        scan(b, in, cuts[k], scratch, EX_HTML_SCRATCH, 0);
        if (b->n > a->n)
            FUZZ_FAIL("a prefix reports more metas than the whole");
        for (size_t i = 0; i < b->n && i < MAX_METAS; i++)
            if (!same(a, b, i))
                FUZZ_FAIL("a prefix reports other metas");
    }

    /* stopping */
    if (a->n > 0) {
        if (scan(b, in, size, scratch, EX_HTML_SCRATCH, 1) != 7 || b->n != 1 || !same(a, b, 0))
            FUZZ_FAIL("a stopped scan went on or lost its value");
    }

    /* a small scratch: the same metas; values without references unchanged, others not longer */
    scan(b, in, size, small, 24, 0);
    if (b->n != a->n)
        FUZZ_FAIL("the scratch size changed the number of metas");
    for (size_t i = 0; i < a->n && i < MAX_METAS; i++) {
        const meta *x = &a->m[i], *y = &b->m[i];
        if (x->in_input && !same(a, b, i))
            FUZZ_FAIL("the scratch size changed a value that needed no decoding");
        if (y->nl > x->nl || y->cl > x->cl)
            FUZZ_FAIL("a small scratch gave a longer value");
    }

    /* TDM from meta against a reference from the reported metas */
    ex_tdm t1, t2;
    memset(&t2, 0x55, sizeof t2);
    if (ex_tdm_from_html(in, size, &t1) != EX_OK || ex_tdm_from_html(in, size, &t2) != EX_OK)
        FUZZ_FAIL("ex_tdm_from_html failed");
    check_tdm(&t1, EX_TDM_FROM_META);
    if (t1.reservation != t2.reservation || t1.source != t2.source ||
        strcmp(t1.policy, t2.policy) != 0)
        FUZZ_FAIL("ex_tdm_from_html is not deterministic");
    if (t1.source != (a->seen ? EX_TDM_FROM_META : EX_TDM_FROM_NONE) ||
        t1.reservation != (a->any1   ? 1
                           : a->any0 ? 0
                                     : -1))
        FUZZ_FAIL("ex_tdm_from_html disagrees with the reported metas");
    if (ex_tdm_from_headers(in, size, &t1) != EX_OK)
        FUZZ_FAIL("ex_tdm_from_headers failed");
    check_tdm(&t1, EX_TDM_FROM_HEADER);

    /* noai, with the input as both header block and HTML */
    static const char *const agents[] = {"GPTBot", "ccbot", "a"};
    ex_noai n0, n1, n2;
    memset(&n2, 0x55, sizeof n2);
    if (ex_noai_check(in, size, in, size, NULL, 0, &n0) != EX_OK ||
        ex_noai_check(in, size, in, size, agents, 3, &n1) != EX_OK ||
        ex_noai_check(in, size, in, size, agents, 3, &n2) != EX_OK)
        FUZZ_FAIL("ex_noai_check failed");
    check_noai(&n0);
    check_noai(&n1);
    if (n1.noai != n2.noai || n1.noimageai != n2.noimageai || n1.from != n2.from ||
        strcmp(n1.where, n2.where) != 0)
        FUZZ_FAIL("ex_noai_check is not deterministic");
    if (n0.noai > n1.noai || n0.noimageai > n1.noimageai)
        FUZZ_FAIL("naming agents removed a finding");
    if (ex_noai_check(in, size, NULL, 0, agents, 3, &n2) != EX_OK)
        FUZZ_FAIL("ex_noai_check failed");
    check_noai(&n2);
    if (n2.from == EX_NOAI_FROM_META || n2.noai > n1.noai || n2.noimageai > n1.noimageai)
        FUZZ_FAIL("the header-only check found more than the full one");

out:
    free(in);
    free(scratch);
    free(small);
    free(a);
    free(b);
    return 0;
}
