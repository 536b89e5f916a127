/* test_policy.c - the policy parser (src/policy/parse.c): the example of ../shared/POLICY.md
 * parsed rule by rule, its canonical bytes and digest as known answers, digests that must stay
 * (comments, spacing, line endings) and must change (any change of meaning), a table of bad
 * policies with line, column and message, warnings, size limits and the canonical form of
 * hand-built policies. argv[1] is the shared POLICY.md. */
#include "core/cjson.h"
#include "policy/policy.h"
#include "t.h"

static char *example; /* the policy in POLICY.md's first code block */

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    ex_buf b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (ex_buf_put(&b, tmp, n) != EX_OK)
            exit(2);
    fclose(f);
    return ex_buf_take(&b, NULL);
}

/* the text between the first "```\n" and the next line that starts with ``` */
static char *
first_code_block(const char *md)
{
    const char *s = strstr(md, "```\n");
    const char *e = s ? strstr(s + 4, "\n```") : NULL;
    if (!e)
        return NULL;
    s += 4;
    char *out = malloc((size_t)(e - s) + 2);
    memcpy(out, s, (size_t)(e - s) + 1); /* with its last '\n' */
    out[e - s + 1] = '\0';
    return out;
}

/* s with every `from` replaced by `to` (malloc'd) */
static char *
replace(const char *s, const char *from, const char *to)
{
    ex_buf b = {0};
    size_t fl = strlen(from);
    const char *p;
    while ((p = strstr(s, from)) != NULL) {
        ex_buf_put(&b, s, (size_t)(p - s));
        ex_buf_puts(&b, to);
        s = p + fl;
    }
    ex_buf_puts(&b, s);
    return ex_buf_take(&b, NULL);
}

static int
parse(const char *s, ex_policy **p, ex_policy_err *e)
{
    *p = NULL;
    return ex_policy_parse(s, strlen(s), p, e);
}

/* hex digest of a policy that must parse; "" (and a failed check) otherwise */
static const char *
digest_hex(const char *text, char out[65])
{
    ex_policy *p;
    ex_policy_err e;
    uint8_t d[EX_HASH_BYTES];
    out[0] = '\0';
    int rc = parse(text, &p, &e);
    CHECK_RC(rc, EX_OK);
    if (rc != EX_OK) {
        fprintf(stderr, "  line %u col %u: %s\n  in: %s\n", e.line, e.column, e.msg, text);
        return out;
    }
    CHECK_RC(ex_policy_digest(p, d, NULL), EX_OK);
    ex_hex_encode(d, EX_HASH_BYTES, out);
    ex_policy_free(p);
    return out;
}

static char *
canonical(const ex_policy *p)
{
    ex_buf b = {0};
    CHECK_RC(ex_policy_canonical(p, &b, NULL), EX_OK);
    return ex_buf_take(&b, NULL);
}

/* ---- the POLICY.md example ------------------------------------------------------------ */

typedef struct want_rule {
    unsigned line;
    const char *id;
    int verdict, cond;
    const char *args[8];
    const char *reason;
} want_rule;

static const want_rule example_rules[] = {
    {6, "line:6", EX_VERDICT_REJECT, EX_COND_OPTOUT, {NULL}, NULL},
    {7, "line:7", EX_VERDICT_REJECT, EX_COND_TDM_RESERVED, {NULL}, NULL},
    {8, "line:8", EX_VERDICT_REJECT, EX_COND_ROBOTS_DISALLOWED, {NULL}, NULL},
    {9, "line:9", EX_VERDICT_REJECT, EX_COND_NOAI, {NULL}, NULL},
    {10, "line:10", EX_VERDICT_REJECT, EX_COND_SOURCE, {"ml-use=prohibited", NULL}, NULL},
    {11, "line:11", EX_VERDICT_ADMIT, EX_COND_SOURCE, {"agreement", NULL}, NULL},
    {12,
     "line:12",
     EX_VERDICT_REJECT,
     EX_COND_LICENSE,
     {"CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0", NULL},
     NULL},
    {13,
     "line:13",
     EX_VERDICT_ADMIT,
     EX_COND_LICENSE,
     {"MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0",
      NULL},
     NULL},
    {14, "line:14", EX_VERDICT_REJECT, EX_COND_ANY, {NULL}, "no lawful basis recorded"},
};

static void
check_rules(const ex_policy *p, const want_rule *w, size_t n)
{
    CHECK(p->nrules == n);
    for (size_t i = 0; i < n && i < p->nrules; i++) {
        const ex_policy_rule *r = &p->rules[i];
        CHECK(r->line == w[i].line);
        CHECK_STR(r->id, w[i].id);
        CHECK(r->verdict == w[i].verdict);
        CHECK(r->cond == w[i].cond);
        size_t na = 0;
        while (w[i].args[na])
            na++;
        CHECK(r->nargs == na);
        for (size_t j = 0; j < na && j < r->nargs; j++)
            CHECK_STR(r->args[j], w[i].args[j]);
        if (w[i].reason)
            CHECK_STR(r->reason, w[i].reason);
        else
            CHECK(r->reason == NULL);
    }
}

/* the canonical bytes of the example, written out by hand from docs/POLICY.md */
static const char example_canonical[] =
    "{\"agents\":[\"GPTBot\",\"CCBot\",\"ClaudeBot\",\"Google-Extended\"],"
    "\"name\":\"commercial-lm-2026\",\"near\":\"0.8\",\"rules\":["
    "{\"args\":[],\"cond\":\"optout\",\"id\":\"line:6\",\"reason\":null,\"verdict\":\"reject\"},"
    "{\"args\":[],\"cond\":\"tdm-reserved\",\"id\":\"line:7\",\"reason\":null,\"verdict\":"
    "\"reject\"},"
    "{\"args\":[],\"cond\":\"robots-disallowed\",\"id\":\"line:8\",\"reason\":null,\"verdict\":"
    "\"reject\"},"
    "{\"args\":[],\"cond\":\"noai\",\"id\":\"line:9\",\"reason\":null,\"verdict\":\"reject\"},"
    "{\"args\":[\"ml-use=prohibited\"],\"cond\":\"source\",\"id\":\"line:10\",\"reason\":null,"
    "\"verdict\":\"reject\"},"
    "{\"args\":[\"agreement\"],\"cond\":\"source\",\"id\":\"line:11\",\"reason\":null,"
    "\"verdict\":\"admit\"},"
    "{\"args\":[\"CC-BY-NC-4.0\",\"CC-BY-NC-SA-4.0\",\"CC-BY-NC-ND-4.0\"],\"cond\":\"license\","
    "\"id\":\"line:12\",\"reason\":null,\"verdict\":\"reject\"},"
    "{\"args\":[\"MIT\",\"Apache-2.0\",\"BSD-2-Clause\",\"BSD-3-Clause\",\"CC0-1.0\","
    "\"CC-BY-4.0\",\"CC-BY-SA-4.0\"],\"cond\":\"license\",\"id\":\"line:13\",\"reason\":null,"
    "\"verdict\":\"admit\"},"
    "{\"args\":[],\"cond\":\"*\",\"id\":\"line:14\",\"reason\":\"no lawful basis recorded\","
    "\"verdict\":\"reject\"}],\"version\":1}";

/* sha256sum of example_canonical, computed outside exante */
static const char example_digest[] =
    "25b124a21cada5fd7f8c46a81405cf4b27aec3b7c29f5c5ab37beff0e6917d42";

static void
test_example(void)
{
    ex_policy *p;
    ex_policy_err e;
    CHECK_RC(parse(example, &p, &e), EX_OK);
    if (!p) {
        fprintf(stderr, "example: line %u col %u: %s\n", e.line, e.column, e.msg);
        return;
    }
    CHECK_STR(p->name, "commercial-lm-2026");
    CHECK(p->nagents == 4);
    const char *agents[] = {"GPTBot", "CCBot", "ClaudeBot", "Google-Extended"};
    for (size_t i = 0; i < 4 && i < p->nagents; i++)
        CHECK_STR(p->agents[i], agents[i]);
    CHECK(p->near == 0.8);
    check_rules(p, example_rules, sizeof example_rules / sizeof example_rules[0]);
    CHECK(p->nwarnings == 0);

    char *c = canonical(p);
    CHECK_STR(c, example_canonical);
    /* jansson reads it back and canonical JSON writes the same bytes */
    json_t *j = json_loads(c, 0, NULL);
    CHECK(j != NULL);
    char *again = j ? ex_json_canon_dup(j, NULL, NULL) : NULL;
    CHECK_STR(again, example_canonical);
    free(again);
    json_decref(j);
    free(c);

    uint8_t d[EX_HASH_BYTES];
    char hex[65];
    CHECK_RC(ex_policy_digest(p, d, NULL), EX_OK);
    ex_hex_encode(d, EX_HASH_BYTES, hex);
    CHECK_STR(hex, example_digest);
    ex_policy_free(p);
}

/* ---- what keeps and what changes the digest ------------------------------------------ */

static char *
strip_comments(const char *s)
{
    ex_buf b = {0};
    int in = 0;
    for (; *s; s++) {
        if (*s == '#')
            in = 1;
        if (*s == '\n')
            in = 0;
        if (!in)
            ex_buf_putc(&b, *s);
    }
    return ex_buf_take(&b, NULL);
}

static void
test_invariance(void)
{
    char base[65], h[65];
    digest_hex(example, base);
    CHECK_STR(base, example_digest);

    char *v[16];
    size_t n = 0;
    v[n++] = strip_comments(example);
    char *spaced = replace(example, " ", " \t  ");
    v[n++] = replace(spaced, "no \t  lawful \t  basis \t  recorded", "no lawful basis recorded");
    free(spaced);
    v[n++] = replace(example, "\n", "   \t\n");
    v[n++] = replace(example, "\n", "\r\n");
    char *bom = malloc(strlen(example) + 4);
    strcpy(bom, "\xef\xbb\xbf");
    strcat(bom, example);
    v[n++] = bom;
    v[n++] = replace(example, "near   0.8 ", "near 00.800 ");
    v[n++] = replace(example, "near   0.8 ", "#near  0.8 "); /* 0.8 is the default */
    v[n++] = replace(example, "# exante policy", "# another comment, \"quoted\" # twice");
    /* directives moved to the end, their lines left blank: rules keep their lines */
    char *m1 = replace(example, "name   commercial-lm-2026", "");
    char *m2 = replace(m1, "agents GPTBot CCBot ClaudeBot Google-Extended", "");
    char *m3 = malloc(strlen(m2) + 128);
    strcpy(m3, m2);
    strcat(m3, "name commercial-lm-2026\nagents GPTBot CCBot ClaudeBot Google-Extended\n");
    v[n++] = m3;
    free(m1);
    free(m2);
    /* no final line feed */
    char *nolf = strdup(example);
    nolf[strlen(nolf) - 1] = '\0';
    v[n++] = nolf;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(digest_hex(v[i], h), base) != 0)
            fprintf(stderr, "variant %zu changed the digest\n", i);
        CHECK_STR(h, base);
        free(v[i]);
    }

    /* `with` is written WITH; explicit ids make rules independent of their lines */
    char a[65], b[65];
    digest_hex("admit license GPL-2.0-only with Classpath-exception-2.0\nreject *\n", a);
    digest_hex("admit   license  GPL-2.0-only WITH Classpath-exception-2.0 # c\nreject *\n", b);
    CHECK_STR(a, b);
    digest_hex("admit optout id=a\nreject * id=b\n", a);
    digest_hex("\n# moved down\n\nadmit optout id=a\n\nreject * id=b\n", b);
    CHECK_STR(a, b);
}

static void
test_semantic_changes(void)
{
    static const struct {
        const char *from, *to;
    } edits[] = {
        {"reject optout", "admit optout"},                       /* verdict */
        {"reject noai", "reject noimageai"},                     /* condition */
        {" CC-BY-NC-ND-4.0", ""},                                /* one argument fewer */
        {"MIT Apache-2.0", "Apache-2.0 MIT"},                    /* argument order */
        {"ml-use=prohibited", "ml-use=unknown"},                 /* a test's value */
        {"source agreement", "source terms"},                    /* a test */
        {"\"no lawful basis recorded\"", "\"no lawful basis\""}, /* reason */
        {"\"no lawful basis recorded\"", ""},                    /* no reason */
        {"reject noai ", "reject noai id=noai "},                /* explicit id */
        {"reject tdm-reserved ", "#"},                           /* a rule removed */
        {"commercial-lm-2026", "commercial-lm-2027"},            /* name */
        {"name   commercial-lm-2026", "#"},                      /* no name */
        {" ClaudeBot", ""},                                      /* agents */
        {"GPTBot CCBot", "CCBot GPTBot"},                        /* agent order */
        {"agents GPTBot CCBot ClaudeBot Google-Extended", ""},   /* no agents */
        {"near   0.8", "near 0.85"},                             /* near */
        {"# exante policy\n", "\n# exante policy\n"},            /* every default id */
        {"# exante policy", "reject noai"},                      /* a rule added */
        {"reject * ", "admit * "},                               /* the last verdict */
        {"Apache-2.0", "Apache-2.0 WITH LLVM-exception"},        /* an exception */
        {"reject robots-disallowed", "reject robots-unknown"},   /* condition */
        {"CC0-1.0", "cc0-1.0"},                                  /* spelling is kept */
    };
    size_t n = sizeof edits / sizeof edits[0];
    char(*h)[65] = calloc(n + 2, sizeof *h);
    digest_hex(example, h[0]);
    for (size_t i = 0; i < n; i++) {
        CHECK(strstr(example, edits[i].from) != NULL);
        char *v = replace(example, edits[i].from, edits[i].to);
        digest_hex(v, h[i + 1]);
        free(v);
    }
    /* two rules swapped */
    char *s1 = replace(example, "reject optout ", "@@");
    char *s2 = replace(s1, "reject tdm-reserved ", "reject optout ");
    char *s3 = replace(s2, "@@", "reject tdm-reserved ");
    digest_hex(s3, h[n + 1]);
    free(s1);
    free(s2);
    free(s3);
    for (size_t i = 0; i < n + 2; i++)
        for (size_t j = i + 1; j < n + 2; j++)
            if (strcmp(h[i], h[j]) == 0) {
                CHECK(strcmp(h[i], h[j]) != 0);
                fprintf(stderr, "  edits %zu and %zu give the same digest\n", i, j);
            }
    free(h);
}

/* ---- bad policies -------------------------------------------------------------------- */

typedef struct bad {
    const char *text;
    size_t len; /* 0: strlen */
    int rc;
    unsigned line, column;
    const char *msg;
} bad;

#define F EX_EFORMAT
static const bad bads[] = {
    {"", 0, F, 1, 1, "no rules"},
    {"# only a comment\n", 0, F, 2, 1, "no rules"},
    {"name x", 0, F, 1, 7, "no rules: a policy needs at least one"},
    {"admit\n", 0, F, 1, 6, "'admit' needs a condition"},
    {"admti *\n", 0, F, 1, 1, "unknown keyword 'admti' (did you mean 'admit'?)"},
    {"Reject *\n", 0, F, 1, 1, "(did you mean 'reject'?)"},
    {"reject robot-disallowed\n", 0, F, 1, 8,
     "unknown condition 'robot-disallowed' (did you mean 'robots-disallowed'?)"},
    {"reject everything\n", 0, F, 1, 8, "unknown condition 'everything'"},
    {"optout\n", 0, F, 1, 1, "a rule starts with 'admit' or 'reject', then 'optout'"},
    {"reject optout extra\n", 0, F, 1, 15, "'optout' takes no arguments"},
    {"reject * no lawful basis\n", 0, F, 1, 10, "(a reason goes in double quotes)"},
    {"admit source\n", 0, F, 1, 13, "'source' needs at least one test"},
    {"admit source \"r\"\n", 0, F, 1, 13, "'source' needs at least one test"},
    {"admit source agreement=yes\n", 0, F, 1, 14, "'agreement' takes no value"},
    {"admit source ml-use=maybe\n", 0, F, 1, 14,
     "ml-use must be allowed, prohibited or unknown, not 'maybe'"},
    {"admit source kind=crawler\n", 0, F, 1, 14, "(did you mean 'crawl'?)"},
    {"admit source agrement\n", 0, F, 1, 14,
     "unknown source test 'agrement' (did you mean 'agreement'?)"},
    {"admit source terms kind=other terms\n", 0, F, 1, 31, "source test 'terms' given twice"},
    {"admit source name=\n", 0, F, 1, 14, "source test 'name' needs a value"},
    {"admit source name=a\\b\n", 0, F, 1, 14, "invalid source name"},
    {"admit license\n", 0, F, 1, 14, "'license' needs at least one license id"},
    {"admit license MIT OR Apache-2.0\n", 0, F, 1, 19, "not an expression"},
    {"admit license GPL-2.0 With Classpath-exception-2.0\n", 0, F, 1, 23,
     "write 'WITH' or 'with', not 'With'"},
    {"admit license GPL-2.0 WITH\n", 0, F, 1, 27, "'WITH' needs an exception id"},
    {"admit license GPL-2.0 WITH OR\n", 0, F, 1, 28, "invalid exception id 'OR'"},
    {"admit license WITH MIT\n", 0, F, 1, 15, "'WITH' must follow a license id"},
    {"admit license MIT/X11\n", 0, F, 1, 15, "invalid license id 'MIT/X11'"},
    {"admit license MIT+foo\n", 0, F, 1, 15, "invalid license id"},
    {"admit license (MIT)\n", 0, F, 1, 15, "invalid license id"},
    {"admit license DocumentRef-a:MIT\n", 0, F, 1, 15, "invalid license id"},
    {"admit license LicenseRef-\n", 0, F, 1, 15, "invalid license id"},
    {"admit license MIT Apache-2.0 mit\n", 0, F, 1, 30, "license 'mit' listed twice"},
    {"admit * \"unterminated\n", 0, F, 1, 9, "unterminated string"},
    {"admit * \"ends in a backslash\\\n", 0, F, 1, 9, "unterminated string"},
    {"admit * \"bad \\n escape\"\n", 0, F, 1, 14, "unknown escape '\\n'"},
    {"admit * \"a\"b\n", 0, F, 1, 12, "expected a space after the closing quote"},
    {"admit * \"\"\n", 0, F, 1, 9, "empty reason"},
    {"admit * \"a\" \"b\"\n", 0, F, 1, 13, "a rule has one reason"},
    {"admit * id=a id=b\n", 0, F, 1, 14, "rule id given twice"},
    {"admit * \"r\" extra\n", 0, F, 1, 13, "unexpected 'extra' after the reason"},
    {"admit * id=x extra\n", 0, F, 1, 14, "unexpected 'extra' after the rule id"},
    {"admit license MIT \"r\" Apache-2.0\n", 0, F, 1, 23, "(arguments come first)"},
    {"admit optout id=x\nadmit * id=x\n", 0, F, 2, 9, "duplicate rule id 'x' (first on line 1)"},
    {"admit * id=line:3\n", 0, F, 1, 9, "kept for rules without an id"},
    {"admit * id=bad/id\n", 0, F, 1, 9, "invalid rule id 'bad/id'"},
    {"admit * id=\n", 0, F, 1, 9, "invalid rule id ''"},
    {"admit * id=0123456789012345678901234567890123456789012345678901234567890123\n", 0, F, 1, 9,
     "invalid rule id"},
    {"admit * id=no-rule\n", 0, F, 1, 9, "'no-rule' is kept"},
    {"admit id=x\n", 0, F, 1, 7, "expected a condition before the rule id"},
    {"reject \"r\"\n", 0, F, 1, 8, "expected a condition before the reason"},
    {"name a\nname b\nadmit *\n", 0, F, 2, 1, "duplicate 'name' (first on line 1)"},
    {"name\nadmit *\n", 0, F, 1, 5, "'name' needs a name"},
    {"name a b\nadmit *\n", 0, F, 1, 8, "unexpected 'b' after the name"},
    {"name \"a\"\nadmit *\n", 0, F, 1, 6, "not a quoted string"},
    {"name a\\b\nadmit *\n", 0, F, 1, 6, "invalid policy name"},
    {"agents\nadmit *\n", 0, F, 1, 7, "'agents' needs at least one robots.txt product token"},
    {"agents GPTBot/1.0\nadmit *\n", 0, F, 1, 8, "'GPTBot/1.0' is not a robots.txt product"},
    {"agents *\nadmit *\n", 0, F, 1, 8, "'*' is not a product token"},
    {"agents GPTBot CCBot gptbot\nadmit *\n", 0, F, 1, 21, "agent 'gptbot' listed twice"},
    {"admit *\nagents a\nagents b\n", 0, F, 3, 1, "duplicate 'agents' (first on line 2)"},
    {"near 0\nadmit *\n", 0, F, 1, 6, "'near' must be greater than 0"},
    {"near 0.000\nadmit *\n", 0, F, 1, 6, "'near' must be greater than 0"},
    {"near 1.5\nadmit *\n", 0, F, 1, 6, "'near' must be at most 1"},
    {"near 1.0000000000000001\nadmit *\n", 0, F, 1, 6, "'near' must be at most 1"},
    {"near 2\nadmit *\n", 0, F, 1, 6, "'near' must be at most 1"},
    {"near 0.8e0\nadmit *\n", 0, F, 1, 6, "'near' must be a decimal number such as 0.8"},
    {"near .8\nadmit *\n", 0, F, 1, 6, "must be a decimal number"},
    {"near 1.\nadmit *\n", 0, F, 1, 6, "must be a decimal number"},
    {"near -0.5\nadmit *\n", 0, F, 1, 6, "must be a decimal number"},
    {"near 0,8\nadmit *\n", 0, F, 1, 6, "must be a decimal number"},
    {"near 0.1234567890123456\nadmit *\n", 0, F, 1, 6, "more than 15 digits after the point"},
    {"near\nadmit *\n", 0, F, 1, 5, "'near' needs a number"},
    {"near 0.5 0.6\nadmit *\n", 0, F, 1, 10, "unexpected '0.6' after the near"},
    {"admit *\x01\n", 0, F, 1, 8, "control character U+0001"},
    {"admit *\x7f\n", 0, F, 1, 8, "control character U+007F"},
    {"admit *\n\xff\n", 0, F, 2, 1, "invalid UTF-8"},
    {"admit * # caf\xc3\n", 0, F, 1, 14, "invalid UTF-8"},
    {"admit * # \xed\xa0\x80 surrogate\n", 0, F, 1, 11, "invalid UTF-8"},
    {"admit * # \xc0\xaf overlong\n", 0, F, 1, 11, "invalid UTF-8"},
    {"admit * # \xc2\x85 next line\n", 0, F, 1, 11, "control character U+0085"},
    {"admit *\0\n", 9, F, 1, 8, "nul byte"},
    {"admit * # \xe2\x80\xae hidden\n", 0, F, 1, 11, "text direction control U+202E"},
    {"admit\xc2\xa0*\n", 0, F, 1, 6, "non-ASCII space U+00A0"},
    {"admit *\rreject *\n", 0, F, 1, 8, "carriage return not followed by a line feed"},
    {"admit *\n\xef\xbb\xbfreject *\n", 0, F, 2, 1, "byte order mark U+FEFF inside the text"},
    {"\"quoted\" start\n", 0, F, 1, 1, "not a quoted string"},
    {"admit lic\"ense\n", 0, F, 1, 10, "unexpected '\"' inside a word"},
    /* columns count characters: UTF-8 and tabs are one each, the BOM is none */
    {"admit * \"\xc3\xa9t\xc3\xa9\" bad\n", 0, F, 1, 15, "unexpected 'bad' after the reason"},
    {"\tadmit\t*\tx\n", 0, F, 1, 10, "'*' takes no arguments"},
    {"\xef\xbb\xbf"
     "admit * x\n",
     0, F, 1, 9, "'*' takes no arguments"},
    {"admit *\r\nadmit * x\r\n", 0, F, 2, 9, "'*' takes no arguments"},
};
#undef F

static void
test_bad(void)
{
    size_t n = sizeof bads / sizeof bads[0];
    for (size_t i = 0; i < n; i++) {
        const bad *b = &bads[i];
        ex_policy *p = (ex_policy *)1;
        ex_policy_err e;
        int rc = ex_policy_parse(b->text, b->len ? b->len : strlen(b->text), &p, &e);
        int ok = rc == b->rc && e.line == b->line && e.column == b->column &&
                 strstr(e.msg, b->msg) != NULL && p == (ex_policy *)1;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  bad[%zu] %s: got rc %d line %u col %u \"%s\", want %u:%u \"%s\"\n",
                    i, b->text, rc, e.line, e.column, e.msg, b->line, b->column, b->msg);
        if (rc == EX_OK && p != (ex_policy *)1)
            ex_policy_free(p);
    }
    CHECK(n >= 30);
}

/* ---- warnings ------------------------------------------------------------------------ */

static void
expect_warnings(const char *text, size_t n, const unsigned *lines, const char *const *msgs)
{
    ex_policy *p;
    ex_policy_err e;
    CHECK_RC(parse(text, &p, &e), EX_OK);
    if (!p)
        return;
    CHECK(p->nwarnings == n);
    for (size_t i = 0; i < n && i < p->nwarnings; i++) {
        CHECK(p->warnings[i].line == lines[i]);
        CHECK(strstr(p->warnings[i].msg, msgs[i]) != NULL);
        if (!strstr(p->warnings[i].msg, msgs[i]))
            fprintf(stderr, "  warning \"%s\", want \"%s\"\n", p->warnings[i].msg, msgs[i]);
    }
    ex_policy_free(p);
}

static void
test_warnings(void)
{
    expect_warnings("admit optout\n"
                    "reject license MIT Apache-2.0\n"
                    "admit license apache-2.0 mit # same set, other order and case\n"
                    "admit * \"x\"\n"
                    "reject noai\n"
                    "reject *\n",
                    3, (const unsigned[]){3, 5, 6},
                    (const char *const[]){"the rule on line 2 tests the same",
                                          "the '*' rule on line 4 matches every item first",
                                          "the '*' rule on line 4"});
    expect_warnings("admit optout\nreject noai\n", 1, (const unsigned[]){2},
                    (const char *const[]){"no final '*' rule: items that match no rule are "
                                          "rejected with rule id 'no-rule'"});
    expect_warnings("admit source agreement terms\nreject source terms agreement\nreject *\n", 1,
                    (const unsigned[]){2}, (const char *const[]){"line 1"});
    /* different tests, different sets, WITH: no warnings */
    expect_warnings("admit source agreement\nadmit source agreement terms\n"
                    "reject license MIT\nreject license MIT WITH X\nreject license MIT+\n"
                    "admit source name=a\nadmit source name=A\nreject *\n",
                    0, NULL, NULL);
    /* source names are compared exactly, license ids without case */
    expect_warnings("admit source name=a\nadmit source name=a\nreject license x\n"
                    "reject license X\nadmit *\n",
                    2, (const unsigned[]){2, 4}, (const char *const[]){"line 1", "line 3"});
}

/* ---- limits -------------------------------------------------------------------------- */

static void
test_limits(void)
{
    ex_policy *p;
    ex_policy_err e;
    /* 16384 lines of 64 bytes make exactly the limit; one byte more starts line 16385 */
    size_t max = EX_POLICY_MAX_BYTES;
    char *big = malloc(max + 1);
    for (size_t i = 0; i < max; i += 64) {
        memset(big + i, 'x', 64);
        big[i] = '#';
        big[i + 63] = '\n';
    }
    big[max] = '#';
    memcpy(big, "admit * #", 9);
    CHECK_RC(ex_policy_parse(big, max, &p, &e), EX_OK);
    ex_policy_free(p);
    CHECK_RC(ex_policy_parse(big, max + 1, &p, &e), EX_ETOOBIG);
    CHECK(e.line == 16385 && e.column == 1 && strstr(e.msg, "larger than 1048576 bytes"));
    free(big);

    ex_buf b = {0};
    ex_buf_puts(&b, "# many rules\n");
    for (int i = 0; i < EX_POLICY_MAX_RULES; i++)
        ex_buf_puts(&b, "admit optout\n");
    CHECK_RC(ex_policy_parse(b.data, b.len, &p, &e), EX_OK);
    if (p) {
        CHECK(p->nrules == EX_POLICY_MAX_RULES);
        CHECK_STR(p->rules[EX_POLICY_MAX_RULES - 1].id, "line:4097");
        /* 4095 copies of the first rule, no final '*' */
        CHECK(p->nwarnings == EX_POLICY_MAX_RULES);
        ex_policy_free(p);
    }
    ex_buf_puts(&b, "\n  admit optout\n");
    CHECK_RC(ex_policy_parse(b.data, b.len, &p, &e), EX_ETOOBIG);
    CHECK(e.line == EX_POLICY_MAX_RULES + 3 && e.column == 1 &&
          strstr(e.msg, "more than 4096 rules"));
    ex_buf_free(&b);

    /* a reason of 1024 bytes (512 two-byte characters), and one byte more */
    ex_buf_puts(&b, "admit * \"");
    for (int i = 0; i < 512; i++)
        ex_buf_puts(&b, "\xc3\xa9");
    ex_buf_puts(&b, "\"\n");
    CHECK_RC(ex_policy_parse(b.data, b.len, &p, &e), EX_OK);
    if (p) {
        CHECK(p->rules[0].reason && strlen(p->rules[0].reason) == 1024);
        ex_policy_free(p);
    }
    b.len = 0;
    ex_buf_puts(&b, "admit * \"x"); /* 1 + 1024 escaped backslashes */
    for (int i = 0; i < 1024; i++)
        ex_buf_puts(&b, "\\\\");
    ex_buf_puts(&b, "\"\n");
    CHECK_RC(ex_policy_parse(b.data, b.len, &p, &e), EX_EFORMAT);
    CHECK(e.line == 1 && e.column == 9 && strstr(e.msg, "reason longer than 1024 bytes"));
    ex_buf_free(&b);
}

/* ---- details ------------------------------------------------------------------------- */

static void
test_details(void)
{
    ex_policy *p;
    ex_policy_err e;
    CHECK_RC(parse("reject * \"say \\\"no\\\" \\\\ here\ta # b\" id=final\n", &p, &e), EX_OK);
    if (p) {
        CHECK_STR(p->rules[0].reason, "say \"no\" \\ here\ta # b");
        CHECK_STR(p->rules[0].id, "final");
        ex_policy_free(p);
    }
    CHECK_RC(
        parse("reject *# no space before the comment\nadmit optout id=A.b_c:d-9 \"r\"\n", &p, &e),
        EX_OK);
    if (p) {
        CHECK(p->nrules == 2 && p->rules[0].reason == NULL);
        CHECK_STR(p->rules[1].id, "A.b_c:d-9");
        CHECK_STR(p->rules[1].reason, "r");
        ex_policy_free(p);
    }

    static const want_rule lic[] = {
        {1,
         "line:1",
         EX_VERDICT_ADMIT,
         EX_COND_LICENSE,
         {"GPL-2.0-or-later WITH Classpath-exception-2.0", "MIT", "LicenseRef-x",
          "DocumentRef-d:LicenseRef-y.1", "GPL-2.0+", "Apache-2.0 WITH AdditionRef-z", NULL},
         NULL},
        {2,
         "line:2",
         EX_VERDICT_REJECT,
         EX_COND_SOURCE,
         {"kind=licensed", "ml-use=allowed", "name=my-src.v2", "terms", "agreement", NULL},
         "r"},
        {3, "line:3", EX_VERDICT_REJECT, EX_COND_ROBOTS_UNKNOWN, {NULL}, NULL},
        {4, "line:4", EX_VERDICT_REJECT, EX_COND_NOIMAGEAI, {NULL}, NULL},
        {5, "x", EX_VERDICT_REJECT, EX_COND_LICENSE_UNKNOWN, {NULL}, NULL},
        {7, "line:7", EX_VERDICT_ADMIT, EX_COND_ANY, {NULL}, NULL},
    };
    CHECK_RC(parse("admit license GPL-2.0-or-later with Classpath-exception-2.0 MIT LicenseRef-x "
                   "DocumentRef-d:LicenseRef-y.1 GPL-2.0+ Apache-2.0 WITH AdditionRef-z\n"
                   "reject source kind=licensed ml-use=allowed name=my-src.v2 terms agreement "
                   "\"r\"\n"
                   "reject robots-unknown\nreject noimageai\nreject license-unknown id=x\n"
                   "near 1\nadmit *\n",
                   &p, &e),
             EX_OK);
    if (p) {
        check_rules(p, lic, sizeof lic / sizeof lic[0]);
        CHECK(p->near == 1.0);
        ex_policy_free(p);
    } else {
        fprintf(stderr, "  line %u col %u: %s\n", e.line, e.column, e.msg);
    }

    /* near as written, without redundant zeros */
    static const struct {
        const char *text;
        double v;
        const char *canon;
    } nears[] = {
        {"1", 1.0, "\"near\":\"1\""},
        {"1.000", 1.0, "\"near\":\"1\""},
        {"0.05", 0.05, "\"near\":\"0.05\""},
        {"000.500", 0.5, "\"near\":\"0.5\""},
        {"0.123456789012345", 0.123456789012345, "\"near\":\"0.123456789012345\""},
        {"0.000000000000001", 1e-15, "\"near\":\"0.000000000000001\""},
        {"0.99999999999999900", 0.999999999999999, "\"near\":\"0.999999999999999\""},
    };
    for (size_t i = 0; i < sizeof nears / sizeof nears[0]; i++) {
        char text[96];
        snprintf(text, sizeof text, "near %s\nadmit *\n", nears[i].text);
        CHECK_RC(parse(text, &p, &e), EX_OK);
        if (!p)
            continue;
        CHECK(p->near == nears[i].v);
        char *c = canonical(p);
        CHECK(c && strstr(c, nears[i].canon));
        free(c);
        ex_policy_free(p);
    }

    /* no directives at all; directives after the rules */
    CHECK_RC(parse("admit *\n", &p, &e), EX_OK);
    if (p) {
        CHECK(p->name == NULL && p->nagents == 0 && p->near == 0.8 && p->nwarnings == 0);
        char *c = canonical(p);
        CHECK_STR(c, "{\"agents\":[],\"name\":null,\"near\":\"0.8\",\"rules\":[{\"args\":[],"
                     "\"cond\":\"*\",\"id\":\"line:1\",\"reason\":null,\"verdict\":\"admit\"}],"
                     "\"version\":1}");
        free(c);
        ex_policy_free(p);
    }
    CHECK_RC(parse("admit *\nname late_name\nagents a-b_C\n", &p, &e), EX_OK);
    if (p) {
        CHECK_STR(p->name, "late_name");
        CHECK(p->nagents == 1);
        ex_policy_free(p);
    }
    /* a UTF-8 name and reason go through as they are */
    CHECK_RC(parse("name politique-\xc3\xa9t\xc3\xa9\nadmit * \"\xe2\x9c\x93 ok\" # caf\xc3\xa9\n",
                   &p, &e),
             EX_OK);
    if (p) {
        char *c = canonical(p);
        CHECK(c && strstr(c, "\"name\":\"politique-\xc3\xa9t\xc3\xa9\"") &&
              strstr(c, "\"reason\":\"\xe2\x9c\x93 ok\""));
        free(c);
        ex_policy_free(p);
    }
    /* a reason with quotes and backslashes comes out escaped in JSON */
    CHECK_RC(parse("admit * \"a \\\"b\\\" \\\\\"\n", &p, &e), EX_OK);
    if (p) {
        char *c = canonical(p);
        CHECK(c && strstr(c, "\"reason\":\"a \\\"b\\\" \\\\\""));
        free(c);
        ex_policy_free(p);
    }
    /* bad arguments leave *out alone and err says where */
    p = (ex_policy *)1;
    CHECK_RC(ex_policy_parse(NULL, 3, &p, &e), EX_EINVAL);
    CHECK(p == (ex_policy *)1);
    CHECK_RC(ex_policy_parse("admit *\n", 8, NULL, NULL), EX_EINVAL);
    CHECK_RC(ex_policy_parse("admit *\n", 8, &p, NULL), EX_OK); /* err may be NULL */
    ex_policy_free(p);
    CHECK_RC(ex_policy_parse("admit\n", 6, &p, NULL), EX_EFORMAT);
    ex_policy_free(NULL);
}

/* ---- the canonical form of hand-built policies ---------------------------------------- */

static void
test_canonical_api(void)
{
    char *args[] = {"MIT"};
    ex_policy_rule r = {.line = 3, .id = "x", .verdict = EX_VERDICT_ADMIT, .cond = EX_COND_LICENSE,
                        .args = args, .nargs = 1};
    ex_policy p = {NULL, NULL, 0, 0.5, &r, 1, NULL, 0, 0, 0};
    ex_buf b = {0};
    ex_err err = {0};
    CHECK_RC(ex_policy_canonical(&p, &b, &err), EX_OK);
    CHECK_STR(b.data,
              "{\"agents\":[],\"name\":null,\"near\":\"0.5\",\"rules\":[{\"args\":[\"MIT\"],"
              "\"cond\":\"license\",\"id\":\"x\",\"reason\":null,\"verdict\":\"admit\"}],"
              "\"version\":1}");
    ex_buf_free(&b);

    p.near = 0.1 + 0.2; /* 0.30000000000000004: no short decimal */
    CHECK_RC(ex_policy_canonical(&p, &b, &err), EX_EINVAL);
    CHECK(strstr(err.msg, "near"));
    p.near = 0;
    CHECK_RC(ex_policy_canonical(&p, &b, &err), EX_EINVAL);
    p.near = 1.5;
    CHECK_RC(ex_policy_canonical(&p, &b, &err), EX_EINVAL);
    p.near = 0.8;
    r.cond = 99;
    CHECK_RC(ex_policy_canonical(&p, &b, &err), EX_EINVAL);
    r.cond = EX_COND_LICENSE;
    r.verdict = 0;
    CHECK_RC(ex_policy_canonical(&p, &b, &err), EX_EINVAL);
    r.verdict = EX_VERDICT_REJECT;
    r.reason = "bad \xff";
    CHECK_RC(ex_policy_canonical(&p, &b, &err), EX_EINVAL);
    r.reason = NULL;
    CHECK(b.len == 0); /* failures append nothing */
    CHECK_RC(ex_policy_canonical(NULL, &b, &err), EX_EINVAL);
    uint8_t d[EX_HASH_BYTES];
    CHECK_RC(ex_policy_digest(NULL, d, &err), EX_EINVAL);
    ex_buf_free(&b);

    CHECK_STR(ex_policy_cond_name(EX_COND_ANY), "*");
    CHECK_STR(ex_policy_cond_name(EX_COND_ROBOTS_DISALLOWED), "robots-disallowed");
    CHECK_STR(ex_policy_cond_name(EX_COND_LICENSE_UNKNOWN), "license-unknown");
    CHECK(ex_policy_cond_name(0) == NULL);
    CHECK_STR(ex_policy_verdict_name(EX_VERDICT_ADMIT), "admit");
    CHECK_STR(ex_policy_verdict_name(EX_VERDICT_REJECT), "reject");
    CHECK(ex_policy_verdict_name(3) == NULL);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_policy SHARED/POLICY.md\n");
        return 2;
    }
    char *md = read_file(argv[1]);
    example = first_code_block(md);
    free(md);
    if (!example || !strstr(example, "name   commercial-lm-2026")) {
        fprintf(stderr, "no policy example in %s\n", argv[1]);
        return 2;
    }
    test_example();
    test_invariance();
    test_semantic_changes();
    test_bad();
    test_warnings();
    test_limits();
    test_details();
    test_canonical_api();
    free(example);
    return t_done("test_policy");
}
