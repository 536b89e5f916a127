/* test_tdm.c - the acquisition-time signals of src/signals: the HTML <meta> scanner, TDMRep
 * (headers, meta, tdmrep.json location matching, processing priority) and noai / noimageai.
 *
 * Expected values come from the texts, not from the code: the TDMRep examples are the spec's own
 * (Final Community Group Report, sections "TDM File on the Origin Server", "Use of regular
 * expressions", "TDM Metadata in HTML Content", "Processing priority"); the HTML cases follow
 * the WHATWG tokenizer states for comments, attributes and raw text. */
#include "signals/html.h"
#include "signals/noai.h"
#include "signals/tdm.h"
#include "t.h"

/* ---- the meta scanner ------------------------------------------------------------------ */

typedef struct metas {
    char out[2048]; /* "name=content|name=content|" */
    int calls, stop_at;
    size_t last_clen;
} metas;

static int
collect(void *ctx, const char *name, size_t nlen, const char *content, size_t clen)
{
    metas *m = ctx;
    size_t o = strlen(m->out);
    snprintf(m->out + o, sizeof m->out - o, "%.*s=%.*s|", (int)nlen, name, (int)clen, content);
    m->calls++;
    m->last_clen = clen;
    return m->stop_at && m->calls == m->stop_at ? 42 : 0;
}

/* The metas of a NUL-terminated HTML string, in a static buffer. */
static const char *
scan(const char *html)
{
    static metas m;
    memset(&m, 0, sizeof m);
    /* an exact-size heap copy, so a read past the end would be caught under ASan */
    size_t n = strlen(html);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, html, n);
    int rc = ex_html_metas(copy, n, collect, &m);
    free(copy);
    if (rc != 0)
        return "(rc)";
    return m.out;
}

static void
test_html(void)
{
    CHECK_STR(scan("<head><meta name=\"robots\" content=\"noai\"></head>"), "robots=noai|");
    CHECK_STR(scan("<META NAME='Robots' CONTENT='noai, noimageai'>"), "Robots=noai, noimageai|");
    CHECK_STR(scan("<meta name=robots content=noai>"), "robots=noai|");
    CHECK_STR(scan("<meta\tname = robots\ncontent =\r\"a b\" >"), "robots=a b|");
    CHECK_STR(scan("<meta name=x content=y />"), "x=y|");
    CHECK_STR(scan("<meta name=x content=y/>"), "x=y/|"); /* unquoted values keep the '/' */
    CHECK_STR(scan("<meta/name=x /content=y>"), "x=y|");
    CHECK_STR(scan("<meta/name=x/content=y>"), "x/content=y=|"); /* one unquoted value */
    CHECK_STR(scan("<meta content=\"a>b\" name=x>"), "x=a>b|");
    CHECK_STR(scan("<meta name=x>"), "x=|");
    CHECK_STR(scan("<meta name=\"\" content=y>"), "=y|");
    CHECK_STR(scan("<meta content=y><meta charset=utf-8><meta http-equiv=a content=b>"), "");
    CHECK_STR(scan("<meta name=a name=b content=c content=d>"), "a=c|");
    CHECK_STR(scan("<meta name=a content>"), "a=|");
    CHECK_STR(scan("<metaname=a content=b><metas name=a content=b>"), "");
    /* character references */
    CHECK_STR(scan("<meta name=a content=\"x&amp;y &quot;q&quot; &lt;&gt; &apos;\">"),
              "a=x&y \"q\" <> '|");
    CHECK_STR(scan("<meta name=a content='&#65;&#x42;&#X43;&#68&#x1F600;'>"),
              "a=ABCD\xF0\x9F\x98\x80|");
    CHECK_STR(scan("<meta name=a content='&#0;&#xD800;&#x110000;&#99999999999999;'>"),
              "a=\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|");
    CHECK_STR(scan("<meta name=a content='&amp &bogus; &# &#x; &AMP;&nbsp;'>"),
              "a=&amp &bogus; &# &#x; &\xC2\xA0|");
    CHECK_STR(scan("<meta name=&#x72;obots content=noai>"), "robots=noai|");
    /* comments, doctype, processing instructions */
    CHECK_STR(scan("<!DOCTYPE html><!-- <meta name=a content=b> --><meta name=c content=d>"),
              "c=d|");
    CHECK_STR(scan("<!--><meta name=a content=1>"), "a=1|");
    CHECK_STR(scan("<!---><meta name=a content=2>"), "a=2|");
    CHECK_STR(scan("<!-- x --!><meta name=a content=3>"), "a=3|");
    CHECK_STR(scan("<!-- -- > <meta name=a content=4> ---><meta name=b content=5>"), "b=5|");
    CHECK_STR(scan("<!-- unterminated <meta name=a content=b>"), "");
    CHECK_STR(scan("<?xml version=\"1.0\"?><meta name=a content=b>"), "a=b|");
    CHECK_STR(scan("<!x <meta name=a content=b>><meta name=c content=d>"), "c=d|");
    /* raw text */
    CHECK_STR(scan("<script>var s = \"<meta name=a content=b>\";</script><meta name=c content=d>"),
              "c=d|");
    CHECK_STR(scan("<SCRIPT type=x></scripts><meta name=a content=b></SCRIPT ><meta name=c "
                   "content=d>"),
              "c=d|");
    CHECK_STR(scan("<style>x<meta name=a content=b></style><meta name=c content=d>"), "c=d|");
    CHECK_STR(scan("<title><meta name=a content=b></title><meta name=c content=d>"), "c=d|");
    CHECK_STR(scan("<script>never closed <meta name=a content=b>"), "");
    CHECK_STR(scan("<noscript><meta name=a content=b></noscript>"), "a=b|");
    /* where the head ends */
    CHECK_STR(scan("<meta name=a content=1></head><meta name=b content=2>"), "a=1|");
    CHECK_STR(scan("<meta name=a content=1></HEAD ><meta name=b content=2>"), "a=1|");
    CHECK_STR(scan("<meta name=a content=1></header><meta name=b content=2>"), "a=1|b=2|");
    CHECK_STR(scan("<meta name=a content=1><body><meta name=b content=2>"), "a=1|");
    CHECK_STR(scan("<meta name=a content=1><BODY class=x><meta name=b content=2>"), "a=1|");
    CHECK_STR(scan("<meta name=a content=1><bodyx><meta name=b content=2>"), "a=1|b=2|");
    /* text and broken markup */
    CHECK_STR(scan("a < b <3 </> </ x> <a href='x>y'><meta name=a content=b>"), "a=b|");
    CHECK_STR(scan("<meta name=a content=\"cut"), "");
    CHECK_STR(scan("<meta name=a content=b"), "");
    CHECK_STR(scan("<meta name=a content="), "");
    CHECK_STR(scan("<"), "");
    CHECK_STR(scan(""), "");
    /* NUL bytes are ordinary bytes */
    {
        const char h[] = "<meta name=a content=\"x\0y\"><meta\0 name=b content=c>";
        metas m = {{0}, 0, 0, 0};
        CHECK(ex_html_metas(h, sizeof h - 1, collect, &m) == 0);
        CHECK(m.calls == 1);
        CHECK(m.last_clen == 3);
        CHECK(strncmp(m.out, "a=x", 3) == 0);
    }
    /* the length is the limit, not a NUL */
    {
        const char h[] = "<meta name=a content=b><meta name=c content=d>";
        metas m = {{0}, 0, 0, 0};
        CHECK(ex_html_metas(h, 23, collect, &m) == 0);
        CHECK_STR(m.out, "a=b|");
        memset(&m, 0, sizeof m);
        CHECK(ex_html_metas(h, 22, collect, &m) == 0);
        CHECK_STR(m.out, "");
        CHECK(ex_html_metas(NULL, 0, collect, &m) == 0);
    }
    /* the callback stops the scan */
    {
        metas m = {{0}, 0, 1, 0};
        CHECK(ex_html_metas("<meta name=a><meta name=b>", 26, collect, &m) == 42);
        CHECK_STR(m.out, "a=|");
    }
    /* a small scratch buffer cuts decoded values (name gets a quarter, at most 256) */
    {
        char scratch[16];
        metas m = {{0}, 0, 0, 0};
        const char h[] = "<meta name=&#x61;bcdef content='0123456789&amp;abcdef'>";
        CHECK(ex_html_metas_buf(h, sizeof h - 1, scratch, sizeof scratch, collect, &m) == 0);
        CHECK_STR(m.out, "abcd=0123456789&a|");
        memset(&m, 0, sizeof m);
        CHECK(ex_html_metas_buf(h, sizeof h - 1, NULL, 0, collect, &m) == 0);
        CHECK_STR(m.out, "=|");
        memset(&m, 0, sizeof m);
        const char h2[] = "<meta name=abc content=xyz>"; /* nothing to decode: no scratch used */
        CHECK(ex_html_metas_buf(h2, sizeof h2 - 1, NULL, 0, collect, &m) == 0);
        CHECK_STR(m.out, "abc=xyz|");
    }
    CHECK(ex_html_has_meta("<html><META name=x>", 19) == 1);
    CHECK(ex_html_has_meta("<html><met", 10) == 0);
    CHECK(ex_html_has_meta("meta <me ta>", 12) == 0);
    CHECK(ex_html_has_meta(NULL, 0) == 0);
}

/* ---- TDMRep: headers and meta ---------------------------------------------------------- */

static ex_tdm
hdr(const char *h)
{
    ex_tdm t;
    memset(&t, 0x55, sizeof t);
    size_t n = strlen(h);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, h, n);
    CHECK_RC(ex_tdm_from_headers(copy, n, &t), EX_OK);
    free(copy);
    return t;
}

static ex_tdm
meta(const char *h)
{
    ex_tdm t;
    memset(&t, 0x55, sizeof t);
    CHECK_RC(ex_tdm_from_html(h, strlen(h), &t), EX_OK);
    return t;
}

static void
test_tdm_headers(void)
{
    ex_tdm t;
    /* the spec's two examples */
    t = hdr("HTTP/1.1 200 OK\r\nDate: Wed, 14 Jul 2021 12:07:48 GMT\r\nContent-type: image/jpg\r\n"
            "tdm-reservation: 1\r\n\r\n");
    CHECK(t.reservation == 1 && t.source == EX_TDM_FROM_HEADER);
    CHECK_STR(t.policy, "");
    t = hdr("HTTP/1.1 200 OK\r\nContent-type: text/html\r\ntdm-reservation: 1\r\n"
            "tdm-policy: https://provider.com/policies/policy.json\r\n\r\n");
    CHECK(t.reservation == 1 && t.source == EX_TDM_FROM_HEADER);
    CHECK_STR(t.policy, "https://provider.com/policies/policy.json");
    t = hdr("HTTP/1.1 200 OK\r\nTDM-Reservation:0\r\n\r\n");
    CHECK(t.reservation == 0 && t.source == EX_TDM_FROM_HEADER);
    t = hdr("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
    CHECK(t.reservation == -1 && t.source == EX_TDM_FROM_NONE);
    CHECK_STR(t.policy, "");
    t = hdr("");
    CHECK(t.reservation == -1 && t.source == EX_TDM_FROM_NONE);
    /* values other than 0 and 1 are protocol errors: unset, but the field was there */
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation: 2\r\n\r\n");
    CHECK(t.reservation == -1 && t.source == EX_TDM_FROM_HEADER);
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation: true\r\ntdm-reservation: 01\r\n\r\n");
    CHECK(t.reservation == -1);
    /* several fields and lists: any 1 wins, else any 0 */
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation: 0\r\ntdm-reservation: 1\r\n\r\n");
    CHECK(t.reservation == 1);
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation: 0, 0\r\n\r\n");
    CHECK(t.reservation == 0);
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation: 2,1\r\n\r\n");
    CHECK(t.reservation == 1);
    /* folded value, bare LF, whitespace before the colon */
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation:\r\n  1\r\n\r\n");
    CHECK(t.reservation == 1);
    t = hdr("HTTP/1.0 200 OK\nX-A: b\ntdm-reservation: 1\n\n");
    CHECK(t.reservation == 1);
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation : 1\r\n\r\n");
    CHECK(t.reservation == 1);
    /* a block cut after the value still counts; a block cut inside the name does not */
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reservation: 1");
    CHECK(t.reservation == 1);
    t = hdr("HTTP/1.1 200 OK\r\ntdm-reserv");
    CHECK(t.reservation == -1 && t.source == EX_TDM_FROM_NONE);
    /* not fields: the status line, the body, other names, continuation of another field */
    t = hdr("HTTP/1.1 200 tdm-reservation: 1\r\n\r\n");
    CHECK(t.source == EX_TDM_FROM_NONE);
    t = hdr("HTTP/1.1 200 OK\r\nA: b\r\n\r\ntdm-reservation: 1\r\n");
    CHECK(t.source == EX_TDM_FROM_NONE);
    t = hdr("HTTP/1.1 200 OK\r\nx-tdm-reservation: 1\r\ntdm-reservations: 1\r\n\r\n");
    CHECK(t.source == EX_TDM_FROM_NONE);
    t = hdr("HTTP/1.1 200 OK\r\nX-Note: a\r\n tdm-reservation: 1\r\n\r\n");
    CHECK(t.source == EX_TDM_FROM_NONE);
    /* policies: the first usable one, trimmed; URLs with spaces, controls or too long: dropped */
    t = hdr("HTTP/1.1 200 OK\r\ntdm-policy:  https://a/p  \r\ntdm-policy: https://b/p\r\n\r\n");
    CHECK_STR(t.policy, "https://a/p");
    CHECK(t.reservation == -1 && t.source == EX_TDM_FROM_HEADER);
    t = hdr("HTTP/1.1 200 OK\r\ntdm-policy: https://a/ p\r\ntdm-policy: https://b/p\r\n\r\n");
    CHECK_STR(t.policy, "https://b/p");
    {
        char big[700 + 64];
        strcpy(big, "HTTP/1.1 200 OK\r\ntdm-reservation: 1\r\ntdm-policy: https://x/");
        size_t o = strlen(big);
        memset(big + o, 'a', 600);
        strcpy(big + o + 600, "\r\n\r\n");
        t = hdr(big);
        CHECK(t.reservation == 1);
        CHECK_STR(t.policy, "");
    }
    CHECK_RC(ex_tdm_from_headers("", 0, NULL), EX_EINVAL);
    CHECK_RC(ex_tdm_from_headers(NULL, 0, &t), EX_OK);
    CHECK(t.source == EX_TDM_FROM_NONE);
}

static void
test_tdm_meta(void)
{
    ex_tdm t;
    /* the spec's example */
    t = meta(
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n"
        "    <meta name=\"tdm-reservation\" content=\"1\">\n"
        "    <meta name=\"tdm-policy\" content=\"https://provider.com/policies/policy.json\">\n"
        "    <title>Document title</title>\n  </head>\n  <body>\n  </body>\n</html>\n");
    CHECK(t.reservation == 1 && t.source == EX_TDM_FROM_META);
    CHECK_STR(t.policy, "https://provider.com/policies/policy.json");
    t = meta("<head><META NAME=TDM-Reservation CONTENT=' 0 '></head>");
    CHECK(t.reservation == 0 && t.source == EX_TDM_FROM_META);
    t = meta("<head><meta name=tdm-reservation content=yes></head>");
    CHECK(t.reservation == -1 && t.source == EX_TDM_FROM_META);
    t = meta("<head><!-- <meta name=tdm-reservation content=1> --></head>");
    CHECK(t.reservation == -1 && t.source == EX_TDM_FROM_NONE);
    t = meta("<head></head><meta name=tdm-reservation content=1>");
    CHECK(t.source == EX_TDM_FROM_NONE);
    t = meta("<head><meta name=tdm-policy content='https://p/?a=1&amp;b=2'></head>");
    CHECK_STR(t.policy, "https://p/?a=1&b=2");
    t = meta("<head><meta name=description content=tdm-reservation></head>");
    CHECK(t.source == EX_TDM_FROM_NONE);
    t = meta("");
    CHECK(t.source == EX_TDM_FROM_NONE && t.reservation == -1);
    CHECK_RC(ex_tdm_from_html("", 0, NULL), EX_EINVAL);
}

static ex_tdm
mk(int reservation, const char *policy, int source)
{
    ex_tdm t;
    t.reservation = reservation;
    snprintf(t.policy, sizeof t.policy, "%s", policy);
    t.source = source;
    return t;
}

static void
test_resolve(void)
{
    ex_tdm out, f, h, m;
    f = mk(1, "https://f/p", EX_TDM_FROM_FILE);
    ex_tdm_resolve(&f, NULL, NULL, &out);
    CHECK(out.reservation == 1 && out.source == EX_TDM_FROM_FILE);
    CHECK_STR(out.policy, "https://f/p");
    /* the header supersedes the file, also with 0; a policy is not processed under 0 */
    h = mk(0, "", EX_TDM_FROM_HEADER);
    ex_tdm_resolve(&f, &h, NULL, &out);
    CHECK(out.reservation == 0 && out.source == EX_TDM_FROM_HEADER);
    CHECK_STR(out.policy, "");
    /* meta supersedes both */
    m = mk(1, "", EX_TDM_FROM_META);
    ex_tdm_resolve(&f, &h, &m, &out);
    CHECK(out.reservation == 1 && out.source == EX_TDM_FROM_META);
    CHECK_STR(out.policy, "https://f/p"); /* the last policy found: the file's */
    m = mk(0, "", EX_TDM_FROM_META);
    h = mk(1, "https://h/p", EX_TDM_FROM_HEADER);
    ex_tdm_resolve(&f, &h, &m, &out);
    CHECK(out.reservation == 0 && out.source == EX_TDM_FROM_META);
    CHECK_STR(out.policy, "");
    /* unset (absent or a protocol error) supersedes nothing */
    h = mk(-1, "", EX_TDM_FROM_HEADER);
    m = mk(-1, "", EX_TDM_FROM_NONE);
    ex_tdm_resolve(&f, &h, &m, &out);
    CHECK(out.reservation == 1 && out.source == EX_TDM_FROM_FILE);
    /* a policy found later replaces an earlier one */
    h = mk(-1, "https://h/p", EX_TDM_FROM_HEADER);
    ex_tdm_resolve(&f, &h, NULL, &out);
    CHECK(out.reservation == 1 && out.source == EX_TDM_FROM_FILE);
    CHECK_STR(out.policy, "https://h/p");
    f = mk(0, "", EX_TDM_FROM_FILE);
    m = mk(1, "https://m/p", EX_TDM_FROM_META);
    ex_tdm_resolve(&f, NULL, &m, &out);
    CHECK(out.reservation == 1 && out.source == EX_TDM_FROM_META);
    CHECK_STR(out.policy, "https://m/p");
    ex_tdm_resolve(NULL, NULL, NULL, &out);
    CHECK(out.reservation == -1 && out.source == EX_TDM_FROM_NONE);
    CHECK_STR(out.policy, "");
    /* out may be one of the inputs */
    ex_tdm_resolve(&f, NULL, &m, &m);
    CHECK(m.reservation == 1 && m.source == EX_TDM_FROM_META);
    CHECK_STR(m.policy, "https://m/p");
}

/* ---- tdmrep.json ----------------------------------------------------------------------- */

static ex_tdmrep *
parse_ok(const char *json)
{
    ex_tdmrep *t = NULL;
    ex_err e = {0};
    size_t n = strlen(json);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, json, n);
    int rc = ex_tdmrep_parse(copy, n, &t, &e);
    free(copy);
    if (rc != EX_OK)
        fprintf(stderr, "parse failed: %s\n", e.msg);
    CHECK_RC(rc, EX_OK);
    return t;
}

/* Match and return "index:reservation:policy", or "none". */
static const char *
m_(const ex_tdmrep *t, const char *url)
{
    static char buf[600];
    ex_tdm out;
    unsigned idx = 999;
    memset(&out, 0x55, sizeof out);
    size_t n = strlen(url);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, url, n);
    int rc = ex_tdmrep_match(t, copy, n, &out, &idx);
    free(copy);
    if (rc == EX_ENOTFOUND) {
        CHECK(idx == 999 && out.reservation == -1 && out.source == EX_TDM_FROM_NONE);
        return "none";
    }
    if (rc != EX_OK)
        return ex_strerror(rc);
    CHECK(out.source == EX_TDM_FROM_FILE);
    snprintf(buf, sizeof buf, "%u:%d:%s", idx, out.reservation, out.policy);
    return buf;
}

static void
parse_bad(const char *json, int want, const char *msg)
{
    ex_tdmrep *t = (ex_tdmrep *)1;
    ex_err e = {0};
    CHECK_RC(ex_tdmrep_parse(json, strlen(json), &t, &e), want);
    CHECK(t == (ex_tdmrep *)1);
    if (!strstr(e.msg, msg)) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", e.msg, msg);
        CHECK(0);
    }
}

static void
test_tdmrep(void)
{
    /* the spec's first example: every file */
    ex_tdmrep *t = parse_ok("[\n  {\n  \"location\": \"/\",\n  \"tdm-reservation\": 1\n  }\n]");
    CHECK(ex_tdmrep_count(t) == 1);
    CHECK_STR(m_(t, "/"), "0:1:");
    CHECK_STR(m_(t, "/any/thing.html?q=1"), "0:1:");
    CHECK_STR(m_(t, "https://provider.com"), "0:1:");
    CHECK_STR(m_(t, "https://provider.com?x"), "0:1:");
    CHECK_STR(m_(t, "relative/path"), "invalid argument");
    CHECK_STR(m_(t, "mailto:a@b"), "invalid argument");
    CHECK_STR(m_(t, ""), "invalid argument");
    ex_tdmrep_free(t);

    /* the spec's second example: three groups of files */
    t = parse_ok("[\n"
                 " {\"location\": \"/directory-a/\", \"tdm-reservation\": 1},\n"
                 " {\"location\": \"/directory-b/html/\", \"tdm-reservation\": 1,\n"
                 "  \"tdm-policy\":\"https://provider.com/policies/policy.json\"},\n"
                 " {\"location\": \"/directory-b/images/*.jpg\", \"tdm-reservation\": 0}\n"
                 "]");
    CHECK(ex_tdmrep_count(t) == 3);
    CHECK_STR(m_(t, "/directory-a/report.pdf"), "0:1:");
    CHECK_STR(m_(t, "https://provider.com/directory-a/x/y.pdf?v=2#p3"), "0:1:");
    CHECK_STR(m_(t, "/directory-a"), "none");
    CHECK_STR(m_(t, "/Directory-A/report.pdf"), "none"); /* case-sensitive */
    CHECK_STR(m_(t, "/directory-b/html/index.html"),
              "1:1:https://provider.com/policies/policy.json");
    CHECK_STR(m_(t, "/directory-b/images/cat.jpg"), "2:0:");
    CHECK_STR(m_(t, "/directory-b/images/2024/cat.jpg"), "2:0:");
    CHECK_STR(m_(t, "/directory-b/images/cat.jpg.bak"), "2:0:"); /* no '$': a prefix */
    CHECK_STR(m_(t, "/directory-b/images/cat.png"), "none");
    CHECK_STR(m_(t, "/directory-b/"), "none");
    CHECK_STR(m_(t, "http://h/directory-b/images/x#.jpg"), "none"); /* fragment dropped */
    {
        const char *loc, *pol;
        int res;
        CHECK_RC(ex_tdmrep_rule(t, 2, &loc, &res, &pol), EX_OK);
        CHECK_STR(loc, "/directory-b/images/*.jpg");
        CHECK(res == 0);
        CHECK_STR(pol, "");
        CHECK_RC(ex_tdmrep_rule(t, 1, &loc, &res, &pol), EX_OK);
        CHECK_STR(pol, "https://provider.com/policies/policy.json");
        CHECK_RC(ex_tdmrep_rule(t, 3, &loc, &res, &pol), EX_ERANGE);
    }
    ex_tdmrep_free(t);

    /* "$" ends the pattern, "*" is any run of characters (RFC 9309 2.2.3 wording) */
    t = parse_ok("[{\"location\":\"/this/path/exactly$\",\"tdm-reservation\":1},"
                 " {\"location\":\"/this/*/then\",\"tdm-reservation\":0},"
                 " {\"location\":\"*.pdf$\",\"tdm-reservation\":1},"
                 " {\"location\":\"/a*b*c$\",\"tdm-reservation\":0},"
                 " {\"location\":\"/path/foo-%24\",\"tdm-reservation\":1},"
                 " {\"location\":\"/x$y\",\"tdm-reservation\":1}]");
    CHECK_STR(m_(t, "/this/path/exactly"), "0:1:");
    CHECK_STR(m_(t, "/this/path/exactly/"), "none");
    CHECK_STR(m_(t, "/this/path/exactly?a=1"), "none");
    CHECK_STR(m_(t, "/this/a/b/then"), "1:0:");
    CHECK_STR(m_(t, "/this//then"), "1:0:");
    CHECK_STR(m_(t, "/this/x/thenafter"), "1:0:");
    CHECK_STR(m_(t, "/this/then"), "none");
    CHECK_STR(m_(t, "/docs/a.pdf"), "2:1:");
    CHECK_STR(m_(t, "/docs/a.pdf?dl=1"), "none");
    CHECK_STR(m_(t, "/abc"), "3:0:");
    CHECK_STR(m_(t, "/aXbYbZc"), "3:0:");
    CHECK_STR(m_(t, "/acb"), "none");
    CHECK_STR(m_(t, "/abcx"), "none");
    CHECK_STR(m_(t, "/path/foo-$"), "4:1:"); /* the spec's %24 example */
    CHECK_STR(m_(t, "/path/foo-%24"), "4:1:");
    CHECK_STR(m_(t, "/x$y"), "5:1:"); /* a '$' inside the pattern is a plain '$' */
    CHECK_STR(m_(t, "/x%24y/z"), "5:1:");
    ex_tdmrep_free(t);

    /* percent-encoding: unreserved characters are decoded on both sides, others are not */
    t = parse_ok("[{\"location\":\"/%7Euser/\",\"tdm-reservation\":1},"
                 " {\"location\":\"/a%2Fb\",\"tdm-reservation\":0},"
                 " {\"location\":\"/caf\\u00e9/\",\"tdm-reservation\":1},"
                 " {\"location\":\"/sp ace\",\"tdm-reservation\":0},"
                 " {\"location\":\"/lit%2a\",\"tdm-reservation\":1}]");
    CHECK_STR(m_(t, "/~user/page"), "0:1:");
    CHECK_STR(m_(t, "/%7euser/page"), "0:1:");
    CHECK_STR(m_(t, "/a%2fb"), "1:0:");
    CHECK_STR(m_(t, "/a/b"), "none");
    CHECK_STR(m_(t, "/caf%C3%A9/x"), "2:1:");
    CHECK_STR(m_(t, "/caf%c3%a9/x"), "2:1:");
    CHECK_STR(m_(t, "/caf\xC3\xA9/x"), "2:1:");
    CHECK_STR(m_(t, "/sp%20ace"), "3:0:");
    CHECK_STR(m_(t, "/lit*"), "4:1:");
    CHECK_STR(m_(t, "/lit%2A"), "4:1:");
    CHECK_STR(m_(t, "/litX"), "none");
    ex_tdmrep_free(t);

    /* the first match in file order wins, even where a later one is longer */
    t = parse_ok("\xEF\xBB\xBF[{\"location\":\"/a/\",\"tdm-reservation\":0},"
                 " {\"location\":\"/a/b/\",\"tdm-reservation\":1},"
                 " {\"location\":\"/\",\"tdm-reservation\":2,\"tdm-policy\":null},"
                 " {\"location\":\"/\",\"tdm-reservation\":1,\"extra\":[1,2]}]");
    CHECK_STR(m_(t, "/a/b/c"), "0:0:");
    /* a value other than 0 / 1 keeps its rule, unset (the spec: a protocol error) */
    CHECK_STR(m_(t, "/z"), "2:-1:");
    ex_tdmrep_free(t);
    t = parse_ok("[{\"location\":\"/s\",\"tdm-reservation\":\"1\"},"
                 " {\"location\":\"/t\",\"tdm-reservation\":true},"
                 " {\"location\":\"/u\",\"tdm-reservation\":1.0},"
                 " {\"location\":\"/v\",\"tdm-reservation\":-1},"
                 " {\"location\":\"/w\",\"tdm-reservation\":false},"
                 " {\"location\":\"/x\",\"tdm-reservation\":null}]");
    CHECK_STR(m_(t, "/s"), "0:-1:");
    CHECK_STR(m_(t, "/t"), "1:1:"); /* "a boolean value" in the final report */
    CHECK_STR(m_(t, "/u"), "2:-1:");
    CHECK_STR(m_(t, "/v"), "3:-1:");
    CHECK_STR(m_(t, "/w"), "4:0:");
    CHECK_STR(m_(t, "/x"), "5:-1:");
    ex_tdmrep_free(t);
    t = parse_ok("[]");
    CHECK(ex_tdmrep_count(t) == 0);
    CHECK_STR(m_(t, "/"), "none");
    ex_tdmrep_free(t);

    /* a long URL with escapes goes through the heap copy */
    t = parse_ok("[{\"location\":\"/long/*$\",\"tdm-reservation\":1}]");
    {
        size_t n = 20000;
        char *u = malloc(n + 1);
        memcpy(u, "/long/", 6);
        for (size_t i = 6; i < n; i++)
            u[i] = i % 7 == 0 ? '$' : 'x';
        u[n] = '\0';
        CHECK_STR(m_(t, u), "0:1:");
        free(u);
    }
    ex_tdm out;
    CHECK_RC(ex_tdmrep_match(NULL, "/", 1, &out, NULL), EX_EINVAL);
    CHECK_RC(ex_tdmrep_match(t, "/", 1, NULL, NULL), EX_EINVAL);
    CHECK_RC(ex_tdmrep_match(t, "/long/", 6, &out, NULL), EX_OK);
    ex_tdmrep_free(t);
    ex_tdmrep_free(NULL);

    /* malformed files: the message says what and where */
    parse_bad("", EX_EFORMAT, "line 1");
    parse_bad("[{\"location\": \"/\",", EX_EFORMAT, "tdmrep.json:");
    parse_bad("[\n{\"location\": \"/\" \"tdm-reservation\": 1}]", EX_EFORMAT, "line 2");
    parse_bad("{\"location\": \"/\", \"tdm-reservation\": 1}", EX_EFORMAT, "not a JSON array");
    parse_bad("[{\"location\": \"/\", \"tdm-reservation\": 1}, 7]", EX_EFORMAT,
              "rule 2: not a JSON object");
    parse_bad("[{\"tdm-reservation\": 1}]", EX_EFORMAT, "rule 1: no location");
    parse_bad("[{\"location\": 5, \"tdm-reservation\": 1}]", EX_EFORMAT,
              "rule 1: location is not a string");
    parse_bad("[{\"location\": \"dir/\", \"tdm-reservation\": 1}]", EX_EFORMAT,
              "rule 1: location must start with '/' or '*'");
    parse_bad("[{\"location\": \"\", \"tdm-reservation\": 1}]", EX_EFORMAT, "must start");
    parse_bad("[{\"location\": \"/\"}]", EX_EFORMAT, "rule 1: no tdm-reservation");
    parse_bad("[{\"location\": \"/\", \"tdm-reservation\": 1, \"tdm-policy\": 3}]", EX_EFORMAT,
              "rule 1: tdm-policy is not a string");
    parse_bad("[{\"location\": \"/\", \"location\": \"/x\", \"tdm-reservation\": 1}]", EX_EFORMAT,
              "duplicate");
    parse_bad("[{\"location\": \"/\\u0000\", \"tdm-reservation\": 1}]", EX_EFORMAT, "line 1");
    parse_bad("[{\"location\": \"/\xff\", \"tdm-reservation\": 1}]", EX_EFORMAT, "tdmrep.json:");
    {
        /* over the byte limit, over the rule limit, a location over its limit */
        size_t n = EX_TDMREP_MAX_BYTES + 1;
        char *big = malloc(n + 1);
        memset(big, ' ', n);
        big[0] = '[';
        big[n - 1] = ']';
        big[n] = '\0';
        parse_bad(big, EX_ETOOBIG, "over the limit");
        free(big);
        ex_buf b = {0};
        CHECK_RC(ex_buf_puts(&b, "["), EX_OK);
        int ok = 1;
        for (int i = 0; i <= EX_TDMREP_MAX_RULES; i++)
            ok &= ex_buf_puts(&b, i ? ",{}" : "{}") == EX_OK;
        CHECK(ok);
        CHECK_RC(ex_buf_puts(&b, "]"), EX_OK);
        parse_bad(b.data, EX_ETOOBIG, "10001 rules");
        ex_buf_free(&b);
        CHECK_RC(ex_buf_puts(&b, "[{\"tdm-reservation\":1,\"location\":\"/"), EX_OK);
        for (int i = 0; i < EX_TDMREP_LOCATION_MAX; i++)
            ok &= ex_buf_putc(&b, 'a') == EX_OK;
        CHECK(ok);
        CHECK_RC(ex_buf_puts(&b, "\"}]"), EX_OK);
        parse_bad(b.data, EX_EFORMAT, "rule 1: location longer than");
        ex_buf_free(&b);
    }
    CHECK_RC(ex_tdmrep_parse("[]", 2, NULL, NULL), EX_EINVAL);
}

/* ---- noai ------------------------------------------------------------------------------ */

static ex_noai
noai(const char *hdrs, const char *html, const char *const *agents, size_t nagents)
{
    ex_noai n;
    memset(&n, 0x55, sizeof n);
    CHECK_RC(ex_noai_check(hdrs, hdrs ? strlen(hdrs) : 0, html, html ? strlen(html) : 0, agents,
                           nagents, &n),
             EX_OK);
    CHECK(memchr(n.where, 0, sizeof n.where) != NULL);
    return n;
}

#define H(fields) "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" fields "\r\n"

static void
test_noai(void)
{
    static const char *const gpt[] = {"GPTBot"};
    static const char *const two[] = {"ccbot", "gptbot"};
    static const char *const cc[] = {"CCBot"};
    ex_noai n;

    n = noai(NULL, NULL, NULL, 0);
    CHECK(n.noai == 0 && n.noimageai == 0 && n.from == EX_NOAI_FROM_NONE);
    CHECK_STR(n.where, "");
    n = noai(H("X-Robots-Tag: noindex\r\n"), "<head><meta name=robots content=nofollow></head>",
             gpt, 1);
    CHECK(n.noai == 0 && n.noimageai == 0 && n.from == EX_NOAI_FROM_NONE);
    CHECK_STR(n.where, "");

    /* headers */
    n = noai(H("X-Robots-Tag: noai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 1 && n.noimageai == 1 && n.from == EX_NOAI_FROM_HEADER);
    CHECK_STR(n.where, "X-Robots-Tag: noai");
    n = noai(H("X-Robots-Tag: noimageai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 0 && n.noimageai == 1 && n.from == EX_NOAI_FROM_HEADER);
    CHECK_STR(n.where, "X-Robots-Tag: noimageai");
    n = noai(H("X-Robots-Tag: noindex\r\nx-robots-tag:NOAI \r\n"), NULL, NULL, 0);
    CHECK(n.noai == 1);
    CHECK_STR(n.where, "X-Robots-Tag: NOAI");
    n = noai(H("X-Robots-Tag: noindex, nofollow,noai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 1);
    n = noai(H("X-Robots-Tag: noimageai\r\nX-Robots-Tag: noai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 1 && n.noimageai == 1);
    CHECK_STR(n.where, "X-Robots-Tag: noai"); /* the evidence for noai */
    /* agent prefixes */
    n = noai(H("X-Robots-Tag: GPTBot: noai\r\n"), NULL, gpt, 1);
    CHECK(n.noai == 1);
    CHECK_STR(n.where, "X-Robots-Tag: GPTBot: noai");
    n = noai(H("X-Robots-Tag: gptbot:noai\r\n"), NULL, two, 2);
    CHECK(n.noai == 1);
    n = noai(H("X-Robots-Tag: GPTBot: noai\r\n"), NULL, cc, 1);
    CHECK(n.noai == 0 && n.noimageai == 0);
    n = noai(H("X-Robots-Tag: GPTBot: noai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 0);
    n = noai(H("X-Robots-Tag: otherbot: noai, GPTBot: noimageai\r\n"), NULL, gpt, 1);
    CHECK(n.noai == 0 && n.noimageai == 1);
    n = noai(H("X-Robots-Tag: GPTBot: noindex, otherbot: noai, noimageai\r\n"), NULL, gpt, 1);
    CHECK(n.noai == 0 && n.noimageai == 0); /* the scope runs to the end of the field */
    n = noai(H("X-Robots-Tag: otherbot: noindex\r\nX-Robots-Tag: noai\r\n"), NULL, gpt, 1);
    CHECK(n.noai == 1); /* and no further */
    n = noai(H("X-Robots-Tag: noai, otherbot: noindex\r\n"), NULL, gpt, 1);
    CHECK(n.noai == 1);
    n = noai(H("X-Robots-Tag: unavailable_after: 25 Jun 2010 15:00:00 PST, noai\r\n"), NULL, gpt,
             1);
    CHECK(n.noai == 1); /* a directive with an argument is not an agent */
    n = noai(H("X-Robots-Tag: max-snippet: 20, noimageai\r\n"), NULL, NULL, 0);
    CHECK(n.noimageai == 1);
    /* folded lines */
    n = noai(H("X-Robots-Tag: noindex,\r\n noai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 1);
    CHECK_STR(n.where, "X-Robots-Tag: noindex, noai");
    n = noai(H("X-Robots-Tag: GPTBot:\r\n\tnoai\r\n"), NULL, gpt, 1);
    CHECK(n.noai == 1);
    n = noai(H("X-Robots-Tag: GPTBot:\r\n\tnoai\r\n"), NULL, cc, 1);
    CHECK(n.noai == 0);
    /* not directives: parts of words, other fields, the body, the status line */
    n = noai(H("X-Robots-Tag: noaix, xnoai, noimageaii, no-ai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 0 && n.noimageai == 0);
    n = noai(H("X-Robots-Tags: noai\r\nX-Robots: noai\r\nRobots-Tag: noai\r\n"), NULL, NULL, 0);
    CHECK(n.noai == 0);
    n = noai("HTTP/1.1 200 OK\r\n\r\nX-Robots-Tag: noai\r\n", NULL, NULL, 0);
    CHECK(n.noai == 0);
    n = noai("HTTP/1.1 200 X-Robots-Tag: noai\r\n\r\n", NULL, NULL, 0);
    CHECK(n.noai == 0);
    n = noai("HTTP/1.1 200 OK\nX-Robots-Tag: noai", NULL, NULL, 0); /* cut, bare LF */
    CHECK(n.noai == 1);

    /* meta */
    n = noai(NULL, "<head><meta name=\"robots\" content=\"noai, noimageai\"></head>", NULL, 0);
    CHECK(n.noai == 1 && n.noimageai == 1 && n.from == EX_NOAI_FROM_META);
    CHECK_STR(n.where, "<meta name=robots content=noai, noimageai>");
    n = noai(NULL, "<meta name=ROBOTS content=' NoImageAI '>", NULL, 0);
    CHECK(n.noai == 0 && n.noimageai == 1 && n.from == EX_NOAI_FROM_META);
    CHECK_STR(n.where, "<meta name=ROBOTS content=NoImageAI>");
    n = noai(NULL, "<meta name=robots content='noai noimageai'>", NULL, 0);
    CHECK(n.noai == 1);
    n = noai(NULL, "<meta name=GPTBot content=noai>", gpt, 1);
    CHECK(n.noai == 1);
    CHECK_STR(n.where, "<meta name=GPTBot content=noai>");
    n = noai(NULL, "<meta name=gptbot content=noai>", cc, 1);
    CHECK(n.noai == 0);
    n = noai(NULL, "<meta name=googlebot content=noai><meta name=description content=noai>", gpt,
             1);
    CHECK(n.noai == 0);
    n = noai(NULL, "<head><!-- <meta name=robots content=noai> --></head>", NULL, 0);
    CHECK(n.noai == 0);
    n = noai(NULL, "<head></head><body><meta name=robots content=noai>", NULL, 0);
    CHECK(n.noai == 0);
    n = noai(NULL, "<head><script>'<meta name=robots content=noai>'</script></head>", NULL, 0);
    CHECK(n.noai == 0);
    n = noai(NULL, "<meta name=robots content=&#110;oai>", NULL, 0);
    CHECK(n.noai == 1);

    /* both: header evidence first; noai evidence over noimageai evidence */
    n = noai(H("X-Robots-Tag: noai\r\n"), "<meta name=robots content=noai>", NULL, 0);
    CHECK(n.noai == 1 && n.from == EX_NOAI_FROM_HEADER);
    n = noai(H("X-Robots-Tag: noimageai\r\n"), "<meta name=robots content=noai>", NULL, 0);
    CHECK(n.noai == 1 && n.noimageai == 1 && n.from == EX_NOAI_FROM_META);
    CHECK_STR(n.where, "<meta name=robots content=noai>");
    n = noai(H("X-Robots-Tag: noai\r\n"), "<meta name=robots content=noimageai>", NULL, 0);
    CHECK(n.from == EX_NOAI_FROM_HEADER);
    CHECK_STR(n.where, "X-Robots-Tag: noai");

    /* evidence is printable ASCII and cut to fit */
    n = noai(H("X-Robots-Tag: noai,\x01\xff x\r\n"), NULL, NULL, 0);
    CHECK_STR(n.where, "X-Robots-Tag: noai,?? x");
    {
        char h[400];
        strcpy(h, "HTTP/1.1 200 OK\r\nX-Robots-Tag: noai");
        size_t o = strlen(h);
        for (int i = 0; i < 40; i++, o += 7)
            memcpy(h + o, ", xxxxx", 7);
        strcpy(h + o, "\r\n\r\n");
        n = noai(h, NULL, NULL, 0);
        CHECK(n.noai == 1);
        CHECK(strlen(n.where) == EX_NOAI_WHERE_MAX - 1);
        CHECK(strncmp(n.where, "X-Robots-Tag: noai, xxxxx", 25) == 0);
        CHECK(strcmp(n.where + EX_NOAI_WHERE_MAX - 4, "...") == 0);
    }

    static const char *const bad[] = {"a", NULL};
    CHECK_RC(ex_noai_check(NULL, 0, NULL, 0, NULL, 0, NULL), EX_EINVAL);
    CHECK_RC(ex_noai_check(NULL, 0, NULL, 0, bad, 2, &n), EX_EINVAL);
    CHECK_RC(ex_noai_check(NULL, 0, NULL, 0, NULL, 1, &n), EX_EINVAL);
}

/* The header walk itself: names, values with folds, filter. */
typedef struct fields {
    char out[512];
} fields;

static int
on_field(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen)
{
    fields *f = ctx;
    size_t o = strlen(f->out);
    snprintf(f->out + o, sizeof f->out - o, "[%.*s][%.*s]", (int)nlen, name, (int)vlen, v);
    return strncmp(name, "Stop", 4) == 0 ? 7 : 0;
}

static void
test_fields(void)
{
    fields f = {{0}};
    const char *h = "HTTP/1.1 200 OK\r\nA: 1\r\nB:2\r\n  more\r\n\tlines\r\nnocolon\r\n: x\r\n"
                    " C : 3\r\nD: 4";
    CHECK(ex_signals_fields(h, strlen(h), NULL, on_field, &f) == 0);
    CHECK_STR(f.out, "[A][ 1][B][2\r\n  more\r\n\tlines][D][ 4]");
    memset(&f, 0, sizeof f);
    CHECK(ex_signals_fields(h, strlen(h), "bB", on_field, &f) == 0);
    CHECK_STR(f.out, "[B][2\r\n  more\r\n\tlines]");
    memset(&f, 0, sizeof f);
    const char *h2 = "X: 1\nStop: 2\nY: 3\n";
    CHECK(ex_signals_fields(h2, strlen(h2), NULL, on_field, &f) == 7);
    CHECK_STR(f.out, "[X][ 1][Stop][ 2]");
    memset(&f, 0, sizeof f);
    CHECK(ex_signals_fields("HTTP/1.1 200 OK", 15, NULL, on_field, &f) == 0);
    CHECK(ex_signals_fields(NULL, 0, NULL, on_field, &f) == 0);
    CHECK_STR(f.out, "");
}

int
main(void)
{
    test_html();
    test_fields();
    test_tdm_headers();
    test_tdm_meta();
    test_resolve();
    test_tdmrep();
    test_noai();
    return t_done("test_tdm");
}
