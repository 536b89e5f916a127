/* test_eusummary.c - the EU summary's pure parts: the domain cut at edge sizes (1, 9, 10, 11,
 * 20,000 domains, and the SME cap), the ranking (bytes descending, then name), registrable
 * domains (the built-in approximation, and the Public Suffix List from a file written here),
 * the provider file (every error names its line; missing keys name the key), and a summary of
 * facts made here: "not provided" (JSON null) without a provider file, hostile strings escaped
 * in HTML and Markdown, the version of a --diff, malformed facts refused. */
#include "exante.h"
#include "export/eusummary.h"
#include "export/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void
test_cut(void) {
    /* ceil(10% of n); with --sme min(ceil(5% of n), 1000) */
    static const size_t n[] = {0, 1, 9, 10, 11, 19, 20, 21, 20000, 20001, 1000000};
    static const size_t all[] = {0, 1, 1, 1, 2, 2, 2, 3, 2000, 2001, 100000};
    static const size_t sme[] = {0, 1, 1, 1, 1, 1, 1, 2, 1000, 1000, 1000};
    for (size_t i = 0; i < sizeof n / sizeof *n; i++) {
        CHECK(ex_eu_domains_listed(n[i], 0) == all[i]);
        CHECK(ex_eu_domains_listed(n[i], 1) == sme[i]);
    }
    CHECK(ex_eu_domains_listed(19999, 1) == 1000);
    CHECK(ex_eu_domains_listed(19980, 1) == 999);
}

static void
test_rank(void) {
    /* 20,000 domains: bytes i % 97, ties by name */
    size_t n = 20000;
    eu_domain *v = calloc(n, sizeof *v);
    char(*names)[16] = calloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "d%05zu.example", (i * 7919) % n);
        v[i] = (eu_domain){names[i], (uint64_t)((i * 7919) % n % 97), 1};
    }
    eu_domains_rank(v, n);
    int sorted = 1;
    for (size_t i = 1; i < n; i++)
        sorted &= v[i - 1].bytes > v[i].bytes ||
                  (v[i - 1].bytes == v[i].bytes && strcmp(v[i - 1].name, v[i].name) < 0);
    CHECK(sorted);
    CHECK(v[0].bytes == 96 && strcmp(v[0].name, "d00096.example") == 0);
    eu_domain one[1] = {{"a.example", 5, 1}};
    eu_domains_rank(one, 1);
    CHECK(one[0].bytes == 5);
    eu_domain few[3] = {{"b.example", 5, 1}, {"a.example", 5, 1}, {"c.example", 9, 1}};
    eu_domains_rank(few, 3);
    CHECK(strcmp(few[0].name, "c.example") == 0 && strcmp(few[1].name, "a.example") == 0);
    free(v);
    free(names);
}

static void
reg(const eu_psl *p, const char *host, const char *want) {
    char out[256];
    eu_registrable(p, host, out);
    if (strcmp(out, want) != 0) {
        fprintf(stderr, "registrable(%s) = %s, want %s\n", host, out, want);
        failures++;
    }
}

static void
test_registrable(void) {
    reg(NULL, "www.example.com", "example.com");
    reg(NULL, "a.b.example.co.uk", "example.co.uk");
    reg(NULL, "example.co.uk", "example.co.uk");
    reg(NULL, "co.uk", "co.uk");
    reg(NULL, "localhost", "localhost");
    reg(NULL, "192.0.2.1", "192.0.2.1");
    reg(NULL, "news.example.com.au", "example.com.au");
    /* a list with a normal rule, a wildcard and an exception (publicsuffix.org's examples) */
    char path[] = "/tmp/exante-psl-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("// comment\ncom\nuk\nco.uk\n*.ck\n!www.ck\n// ===BEGIN PRIVATE DOMAINS===\n"
          "blogspot.com\n",
          f);
    fclose(f);
    eu_psl *p = NULL;
    CHECK(eu_psl_load(path, &p) == EX_OK && p);
    reg(p, "www.example.com", "example.com");
    reg(p, "a.b.example.co.uk", "example.co.uk");
    reg(p, "x.foo.blogspot.com", "foo.blogspot.com");
    reg(p, "a.b.c.ck", "b.c.ck");
    reg(p, "www.ck", "www.ck");
    reg(p, "a.www.ck", "www.ck");
    reg(p, "example.unknowntld", "example.unknowntld");
    reg(p, "a.b.example.unknowntld", "example.unknowntld");
    reg(p, "com", "com");
    eu_psl_free(p);
    remove(path);
    p = (eu_psl *)1;
    CHECK(eu_psl_load("/nonexistent/psl.dat", &p) == EX_OK && p == NULL);
}

static void
provider_err(const char *text, int want, const char *msg) {
    ex_eu_provider *p = (ex_eu_provider *)1;
    ex_err e = {0};
    int rc = ex_eu_provider_parse(text, strlen(text), &p, &e);
    if (rc != want || !strstr(e.msg, msg) || p != (ex_eu_provider *)1) {
        fprintf(stderr, "provider %s: rc %d '%s', want %d '%s'\n", text, rc, e.msg, want, msg);
        failures++;
    }
}

#define REQ "provider_name = Example AI\nprovider_contact = ai@example.org\n"

static void
test_provider(void) {
    ex_eu_provider *p = NULL;
    ex_err e = {0};
    const char *t = "\xef\xbb\xbf# a provider file\n" REQ "\n  crawler = ExampleBot \r\n"
                    "crawler = OtherBot\ncode_of_practice_signatory = yes\n"
                    "other_information = see https://example.org/#faq\n";
    CHECK(ex_eu_provider_parse(t, strlen(t), &p, &e) == EX_OK);
    CHECK(strcmp(pv_get(p, PV_PROVIDER_NAME), "Example AI") == 0);
    CHECK(p->n[PV_CRAWLER] == 2 && strcmp(p->v[PV_CRAWLER][0], "ExampleBot") == 0);
    CHECK(pv_bool(p, PV_CODE_OF_PRACTICE) == 1 && pv_bool(p, PV_CONTINUES_TRAINING) == -1);
    CHECK(strcmp(pv_get(p, PV_OTHER_INFORMATION), "see https://example.org/#faq") == 0);
    ex_buf b = {0};
    CHECK(pv_write(p, &b) == EX_OK);
    ex_eu_provider *q = NULL;
    CHECK(ex_eu_provider_parse(b.data, b.len, &q, &e) == EX_OK && q->n[PV_CRAWLER] == 2);
    ex_buf_free(&b);
    ex_eu_provider_free(q);
    ex_eu_provider_free(p);
    provider_err(REQ "colour = red\n", EX_EFORMAT, "line 3: unknown key 'colour'");
    provider_err("provider_name = A\n", EX_EFORMAT, "missing required key 'provider_contact'");
    provider_err(REQ "provider_name = B\n", EX_EFORMAT,
                 "line 3: 'provider_name' given twice (first on line 1)");
    provider_err(REQ "language\n", EX_EFORMAT, "line 3: expected 'key = value'");
    provider_err(REQ "language =   \n", EX_EFORMAT, "line 3: 'language' needs a value");
    provider_err(REQ "continues_training = maybe\n", EX_EFORMAT,
                 "line 3: 'continues_training' "
                 "must be yes or no, not 'maybe'");
    provider_err(REQ "language = e\x01n\n", EX_EFORMAT, "line 3: control character 0x01");
    provider_err(REQ "language = \xff\n", EX_EFORMAT, "line 3: invalid UTF-8");
    provider_err("", EX_EFORMAT, "missing required key 'provider_name'");
    char big[EX_EU_PROVIDER_MAX_BYTES + 2];
    memset(big, '#', sizeof big - 1);
    big[sizeof big - 1] = 0;
    provider_err(big, EX_ETOOBIG, "larger than");
}

static const char facts[] =
    "{\"agents\":[\"GPTBot\"],\"capped\":[],\"checkpoint\":{\"origin\":\"o\",\"root\":\"r\","
    "\"size\":9},"
    "\"content_types\":[{\"bytes\":4000,\"items\":3,\"modality\":\"text\",\"type\":\"text/html\"}],"
    "\"honoured\":[\"robots-disallowed\"],\"hosts\":[{\"bytes\":3000,\"host\":\"www.a.example."
    "com\",\"items\":2},"
    "{\"bytes\":1000,\"host\":\"b.example.com\",\"items\":1}],\"hosts_missing\":0,\"members\":3,"
    "\"model\":{\"id\":\"sha256:00\",\"kind\":\"pretrain\",\"log_index\":7,\"name\":\"<b>m</"
    "b>\",\"retired\":false},"
    "\"parents\":[],\"reservations\":{\"noai\":0,\"noimageai\":0,\"optout\":0,\"robots-"
    "disallowed\":2,"
    "\"tdm-reserved\":0},\"snapshots\":[],\"sources\":[{\"agreement\":false,\"fetched_first\":"
    "\"2025-01-02T00:00:00Z\",\"fetched_last\":\"2025-11-30T00:00:00Z\",\"kind\":\"crawl\","
    "\"modalities\":"
    "{\"text\":{\"bytes\":4000,\"items\":3}},\"name\":\"web*_[x]\",\"unfetched\":0}],"
    "\"text_words\":{\"cut_bytes\":6,\"cut_items\":1,\"uncounted_bytes\":1001,"
    "\"uncounted_items\":1,\"words\":601},\"type\":\"eu-facts\"}";

static void
test_summary(void) {
    ex_eu_opts o = {
        .format = EX_DOC_JSON, .now = 1767225600 /* 2026-01-01 */, .psl_path = "/nonexistent"};
    char *out = NULL, *md = NULL, *html = NULL;
    ex_err e = {0};
    CHECK(ex_eu_summary_dup(facts, strlen(facts), &o, &out, NULL, &e) == EX_OK);
    CHECK(out && strstr(out, "\"provider\":{\"authorised_representative\":null,\"contact\":null,"
                             "\"name\":null}"));
    CHECK(out && strstr(out, "\"last_update\":\"01/01/26\"") && strstr(out, "\"version\":1"));
    CHECK(out && strstr(out, "\"period\":{\"from\":\"01/2025\",\"to\":\"11/2025\"}"));
    CHECK(out &&
          strstr(out, "\"domains\":[{\"bytes\":4000,\"domain\":\"example.com\",\"items\":3}]"));
    CHECK(out && strstr(out, "\"registrable_domains\":\"built-in approximation\""));
    /* ceil(601 * 4 / 3) = 802 for the words, ceil((1001 + 6) / 4) = 252 for the bytes */
    CHECK(out && strstr(out, "\"tokens_estimate\":1054"));
    CHECK(out && strstr(out, "\"words\":601,\"words_cut\":{\"bytes_past\":6,\"items\":1},"
                             "\"words_uncounted\":{\"bytes\":1001,\"items\":1}"));
    o.format = EX_DOC_MARKDOWN;
    CHECK(ex_eu_summary_dup(facts, strlen(facts), &o, &md, NULL, &e) == EX_OK);
    CHECK(md && strstr(md, "# Public summary of training content: \\<b\\>m\\</b\\>"));
    CHECK(md && strstr(md, "**Name of the provider:** not provided"));
    CHECK(md && strstr(md, "4000 bytes (exact); 601 words (exact") &&
          strstr(md, "an estimated 1054 tokens"));
    CHECK(md && strstr(md, "**Text without a word count:** 1 items, 1001 bytes"));
    CHECK(md && strstr(md, "**Text counted in its first 8 MiB:** 1 items over 8 MiB; 6 bytes"));
    o.format = EX_DOC_HTML;
    CHECK(ex_eu_summary_dup(facts, strlen(facts), &o, &html, NULL, &e) == EX_OK);
    CHECK(html && strstr(html, "&lt;b&gt;m&lt;/b&gt;") && !strstr(html, "<b>m</b>"));
    CHECK(html && !strstr(html, "<script"));
    /* a second version */
    char *two = NULL;
    o.format = EX_DOC_JSON;
    o.old_json = out;
    o.old_len = strlen(out);
    CHECK(ex_eu_summary_dup(facts, strlen(facts), &o, &two, NULL, &e) == EX_OK);
    CHECK(two && strstr(two, "\"version\":2") &&
          strstr(two, "\"changes\":{\"domains_added\":[],\"domains_removed\":[],\"fields\":[]"));
    free(two);
    o.old_json = "{\"type\":\"other\"}";
    o.old_len = strlen(o.old_json);
    CHECK(ex_eu_summary_dup(facts, strlen(facts), &o, &two, NULL, &e) == EX_EFORMAT &&
          strstr(e.msg, "old: type"));
    o.old_json = NULL;
    CHECK(ex_eu_summary_dup("{\"type\":\"eu-facts\"}", 19, &o, &two, NULL, &e) == EX_EFORMAT &&
          strstr(e.msg, "facts: checkpoint"));
    CHECK(ex_eu_summary_dup("[", 1, &o, &two, NULL, &e) == EX_EFORMAT);
    /* facts whose word counts are not counts */
    char *bad = strdup(facts), *at = strstr(bad, "\"words\":601");
    memcpy(at, "\"words\":-1 ", 11);
    CHECK(ex_eu_summary_dup(bad, strlen(bad), &o, &two, NULL, &e) == EX_EFORMAT &&
          strstr(e.msg, "facts: text_words"));
    free(bad);
    o.format = 7;
    CHECK(ex_eu_summary_dup(facts, strlen(facts), &o, &two, NULL, &e) == EX_EINVAL);
    free(out);
    free(md);
    free(html);
}

int
main(void) {
    test_cut();
    test_rank();
    test_registrable();
    test_provider();
    test_summary();
    if (failures) {
        fprintf(stderr, "test_eusummary: %d failures\n", failures);
        return 1;
    }
    puts("test_eusummary: ok");
    return 0;
}
