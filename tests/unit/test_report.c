/* test_report.c - the report page (ex_report_html_dup) on stats made here: hostile strings in
 * every string member come out escaped and no script element exists; the search forms and the
 * trusted extra HTML; stats that are not the report's JSON fail with EX_EFORMAT naming where;
 * a long history is cut to the latest days and the rules beyond the drawn ones are summed as
 * "(other)". And the pieces: the escaper, UTF-8 prefixes, the capped tally. */
#include "t.h"

#include <jansson.h>
#include <strings.h>

#include "exante.h"
#include "export/report.h"
#include "ledger/tally.h"

#define EVIL "<script>alert(\"x\")</script>&'"
#define EVIL_ESC "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"

/* stats with EVIL in every string the page shows */
static json_t *
hostile(void)
{
    return json_pack(
        "{s:{s:s,s:s,s:I}, s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
        "s:[{s:s,s:s,s:I}], s:[{s:s,s:s,s:I}], s:[{s:s,s:I,s:I}], s:[{s:s,s:I,s:I}],"
        "s:[{s:s,s:s,s:I,s:I,s:I,s:I}], s:[{s:I,s:s,s:s,s:s,s:I}],"
        "s:[{s:s,s:I,s:I,s:s}], s:[{s:s,s:s,s:s,s:[],s:b,s:[s]}], s:[]}",
        "checkpoint", "origin", EVIL, "root", EVIL, "size", (json_int_t)7, "items", (json_int_t)3,
        "bytes", (json_int_t)300, "decisions", (json_int_t)4, "admitted", (json_int_t)1, "rejected",
        (json_int_t)1, "pending", (json_int_t)0, "duplicates", (json_int_t)1, "optout_items",
        (json_int_t)1, "domains_total", (json_int_t)1, "by_rule", "rule", EVIL, "verdict", EVIL,
        "count", (json_int_t)2, "by_time", "day", EVIL, "rule", EVIL, "count", (json_int_t)4,
        "licenses", "license", EVIL, "items", (json_int_t)3, "bytes", (json_int_t)300, "domains",
        "domain", EVIL, "items", (json_int_t)3, "bytes", (json_int_t)300, "sources", "name", EVIL,
        "kind", EVIL, "items", (json_int_t)3, "bytes", (json_int_t)300, "admitted", (json_int_t)1,
        "rejected", (json_int_t)1, "optouts", "index", (json_int_t)5, "scope", EVIL, "value", EVIL,
        "holder", EVIL, "items_reached", (json_int_t)1, "snapshots", "name", EVIL, "size",
        (json_int_t)1, "log_index", (json_int_t)6, "created", EVIL, "models", "model", EVIL, "name",
        EVIL, "kind", EVIL, "parents", "retired", 1, "snapshots", EVIL, "capped");
}

static char *
render(json_t *j, const ex_report_opts *o, int want, const char *msg)
{
    char *s = json_dumps(j, JSON_COMPACT), *html = NULL;
    ex_err e = {0};
    CHECK_RC(ex_report_html_dup(s, strlen(s), o, &html, NULL, &e), want);
    if (msg && !strstr(e.msg, msg))
        fprintf(stderr, "message '%s' lacks '%s'\n", e.msg, msg), t_failures++;
    free(s);
    json_decref(j);
    return html;
}

static int
has_ci(const char *s, const char *w)
{
    for (; *s; s++)
        if (strncasecmp(s, w, strlen(w)) == 0)
            return 1;
    return 0;
}

static void
test_hostile(void)
{
    ex_report_opts o = {.title = EVIL,
                        .search_action = "/search?a=1&b=\"x\"",
                        .extra_html = "<div id=\"results\">found</div>"};
    char *html = render(hostile(), &o, EX_OK, NULL);
    CHECK(html && !has_ci(html, "<script"));
    CHECK(html && strstr(html, "<title>" EVIL_ESC "</title>"));
    CHECK(html && strstr(html, "data-k=\"rule:" EVIL_ESC ":" EVIL_ESC "\">2</td>"));
    CHECK(html && strstr(html, "data-k=\"optout:5:reached\">1</td>"));
    CHECK(html && strstr(html, "data-k=\"source:" EVIL_ESC ":admitted\">1</td>"));
    CHECK(html && strstr(html, "<td>" EVIL_ESC "</td>")); /* the holder, among others */
    CHECK(html && strstr(html, "action=\"/search?a=1&amp;b=&quot;x&quot;\""));
    CHECK(html && strstr(html, "<input type=\"search\" name=\"q\""));
    CHECK(html && strstr(html, "<textarea name=\"text\""));
    CHECK(html && strstr(html, "method=\"post\""));
    /* the extra HTML as it is, after the search box and before the numbers */
    const char *x = html ? strstr(html, "<div id=\"results\">found</div>") : NULL;
    CHECK(x && x > strstr(html, "id=\"search\"") && x < strstr(html, "id=\"summary\""));
    CHECK(html && strstr(html, "Content-Security-Policy"));
    free(html);
    html = render(hostile(), NULL, EX_OK, NULL);
    CHECK(html && !strstr(html, "<form") && strstr(html, "<title>exante ledger</title>"));
    free(html);
}

static void
test_malformed(void)
{
    char *html = (char *)"untouched";
    ex_err e = {0};
    CHECK_RC(ex_report_html_dup("{\"items\":", 9, NULL, &html, NULL, &e), EX_EFORMAT);
    CHECK(strstr(e.msg, "line 1") != NULL);
    CHECK_STR(html, "untouched");
    render(json_array(), NULL, EX_EFORMAT, "not a JSON object");
    json_t *j = hostile();
    json_object_del(j, "items");
    render(j, NULL, EX_EFORMAT, "stats: items: missing");
    j = hostile();
    json_object_set_new(json_array_get(json_object_get(j, "by_rule"), 0), "rule", json_integer(1));
    render(j, NULL, EX_EFORMAT, "by_rule[0].rule: not a string");
    j = hostile();
    json_object_set_new(j, "bytes", json_integer(-1));
    render(j, NULL, EX_EFORMAT, "bytes: not a count");
    j = hostile();
    json_object_set_new(j, "sources", json_object());
    render(j, NULL, EX_EFORMAT, "sources: not an array");
    j = hostile();
    json_object_set_new(json_array_get(json_object_get(j, "models"), 0), "parents",
                        json_pack("[i]", 3));
    render(j, NULL, EX_EFORMAT, "models[0].parents");
    CHECK_RC(ex_report_html_dup(NULL, 0, NULL, &html, NULL, NULL), EX_EINVAL);
}

/* 100 days of 12 rules: the latest 60 days drawn and listed, 9 rules and "(other)" */
static void
test_history(void)
{
    json_t *j = hostile(), *t = json_array();
    char day[16], rule[16];
    for (int d = 0; d < 100; d++)
        for (int r = 0; r < 12; r++) {
            snprintf(day, sizeof day, "2026-%02d-%02d", 1 + d / 28, 1 + d % 28);
            snprintf(rule, sizeof rule, "line:%d", r);
            json_array_append_new(
                t, json_pack("{s:s,s:s,s:i}", "day", day, "rule", rule, "count", 100 - r));
        }
    json_object_set_new(j, "by_time", t);
    char *html = render(j, NULL, EX_OK, NULL);
    CHECK(html && strstr(html, "data-k=\"time:days\">100</span>"));
    CHECK(html && strstr(html, "data-k=\"time:2026-04-16:line:0\">100</td>")); /* the last */
    CHECK(html && strstr(html, "data-k=\"time:2026-02-13:line:8\">92</td>"));  /* 60th last */
    CHECK(html && !strstr(html, "time:2026-02-12:")); /* 61st last: not listed */
    CHECK(html && strstr(html, "data-k=\"time:2026-04-16:(other)\">270</td>"));
    CHECK(html && !strstr(html, "time:2026-04-16:line:9\""));
    CHECK(html && strstr(html, "data-k=\"time:2026-04-16:total\">1134</td>"));
    CHECK(html && strstr(html, "data-k=\"chart:time:2026-04-16\">1134</text>"));
    free(html);
}

static void
test_pieces(void)
{
    ex_buf b = {0};
    CHECK_RC(html_esc(&b, "a\0b\x01<\tc\x7f", 8), EX_OK);
    CHECK(b.len == strlen("a&#xfffd;b&#xfffd;&lt;\tc&#xfffd;") &&
          memcmp(b.data, "a&#xfffd;b&#xfffd;&lt;\tc&#xfffd;", b.len) == 0);
    ex_buf_free(&b);
    CHECK(utf8_prefix("h\xc3\xa9llo", 6, 2) == 3);
    CHECK(utf8_prefix("h\xc3\xa9llo", 6, 10) == 6);
    tally t;
    uint64_t *v;
    tally_init(&t, 3);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5; i++) {
            char k[8] = {'k', (char)('0' + i), '\0', 'x'}; /* a composite key, NUL inside */
            CHECK_RC(tally_at(&t, k, 4, &v), EX_OK);
            v[0]++, v[1] += (uint64_t)i;
        }
    CHECK(t.n == 3 && t.capped && t.over[0] == 4 && t.over[1] == 2 * (3 + 4));
    CHECK(tally_find(&t, "k1\0x", 4) && tally_find(&t, "k1\0x", 4)[0] == 2);
    CHECK(!tally_find(&t, "k1", 2) && !tally_find(&t, "k4\0x", 4));
    tally_free(&t);
    tally_init(&t, 100000);
    for (int i = 0; i < 5000; i++) { /* growth keeps every key */
        char k[16];
        snprintf(k, sizeof k, "host%d", i);
        CHECK_RC(tally_at(&t, k, strlen(k), &v), EX_OK);
        v[0] += (uint64_t)i;
    }
    CHECK(t.n == 5000 && !t.capped && tally_find(&t, "host4321", 8)[0] == 4321);
    tally_free(&t);
}

int
main(void)
{
    test_hostile();
    test_malformed();
    test_history();
    test_pieces();
    return t_done("test_report");
}
