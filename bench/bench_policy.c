/* bench_policy.c - policy evaluation throughput (not a test: never run by ctest).
 *
 *   bench_policy [ITEMS] [RUNS]
 *
 * A 10-rule policy (opt-outs, TDMRep, robots.txt, noai, source terms, licenses, catch-all) over
 * ITEMS generated items (default 1,000,000) spread over 2,000 hosts, each with a robots.txt
 * capture of 10-40 rules (some 404 / 503), 200 with tdmrep.json; 200 domain, 200 URL-prefix and
 * 1,000 digest opt-outs; 24 license expressions; 25% of items carry an HTTP head, 20% an HTML
 * head (half with meta tags). Measured: ex_peval_decide over all items, best of RUNS (3), with
 * the captures parsed and cached by a first warm-up pass (the steady state of an ingest). The
 * floor alongside: one pass that only reads each item's URL and license bytes (a lower bound for
 * any evaluator that looks at them). One JSON line on stdout. */
#define BENCH_NAME "bench_policy"
#include "bench_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static const char policy_text[] =
    "name bench\n"
    "agents GPTBot CCBot ClaudeBot Google-Extended\n"
    "reject optout\n"
    "reject tdm-reserved\n"
    "reject robots-disallowed\n"
    "reject noai\n"
    "reject source ml-use=prohibited\n"
    "admit  source agreement\n"
    "reject license CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-NC-ND-4.0\n"
    "admit  license MIT Apache-2.0 BSD-2-Clause BSD-3-Clause CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0\n"
    "reject license-unknown\n"
    "reject * \"no lawful basis\"\n";

static const char *const licenses[] = {
    "MIT", "Apache-2.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC0-1.0",
    "MIT OR GPL-3.0-only", "GPL-3.0-only", "BSD-3-Clause", "Apache-2.0 AND MIT",
    "GPL-2.0-or-later", "LGPL-2.1-only", "MPL-2.0", "CC-BY-NC-SA-4.0", "NOASSERTION",
    "(MIT OR Apache-2.0) AND BSD-2-Clause", "GPL-2.0-only WITH Classpath-exception-2.0",
    "CC-BY-ND-4.0", "Unlicense", "ISC", "EPL-2.0", "AGPL-3.0-only", "BSD-2-Clause", "Zlib"};
#define NLIC (sizeof licenses / sizeof licenses[0])
#define NHOSTS 2000

typedef struct item {
    char url[96];
    char digest[EX_DIGEST_STR_BYTES];
    uint8_t raw[32];
    const char *license;
    const char *source;
    const char *headers;
    const char *html;
} item;

int
main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    ex_policy *p;
    ex_policy_err pe;
    if (ex_policy_parse(policy_text, strlen(policy_text), &p, &pe) != EX_OK)
        die("policy: line %u: %s", pe.line, pe.msg);
    ex_peval *e;
    if (ex_peval_new(p, &e, &pe) != EX_OK)
        die("evaluator: %s", pe.msg);
    ex_psource srcs[] = {{"crawl", "crawl", "unknown", NULL, NULL, NULL},
                         {"tos", "crawl", "prohibited", NULL, NULL, NULL},
                         {"books", "licensed", "allowed", "CC-BY-4.0", NULL,
                          "sha256:1111111111111111111111111111111111111111111111111111111111111111"}};
    for (size_t i = 0; i < 3; i++)
        if (ex_peval_add_source(e, &srcs[i]) != EX_OK)
            die("source");
    char host[64], buf[8192], dig[EX_DIGEST_STR_BYTES];
    memset(dig, 0, sizeof dig);
    snprintf(dig, sizeof dig, "sha256:%064d", 7);
    for (int h = 0; h < NHOSTS; h++) {
        snprintf(host, sizeof host, "host%d.example", h);
        size_t len = 0;
        int rules = 10 + (int)(bench_rnd() % 31);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "User-agent: *\n");
        for (int r = 0; r < rules / 2; r++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s: /%s%d/*.%s\n",
                                    r % 3 ? "Disallow" : "Allow", r % 2 ? "private" : "tmp", r,
                                    r % 4 ? "html" : "php$");
        len += (size_t)snprintf(buf + len, sizeof buf - len, "\nUser-agent: GPTBot\n");
        for (int r = 0; r < rules - rules / 2; r++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "Disallow: /archive%d/\n", r);
        int status = h % 50 == 0 ? 404 : h % 97 == 0 ? 503 : 200;
        if (ex_peval_add_capture(e, EX_CAPTURE_ROBOTS, host, 1700000000, status, buf, len, dig) !=
            EX_OK)
            die("capture");
        if (h % 10 == 0) {
            len = (size_t)snprintf(buf, sizeof buf,
                                   "[{\"location\":\"/gallery/*\",\"tdm-reservation\":1},"
                                   "{\"location\":\"/*\",\"tdm-reservation\":0}]");
            if (ex_peval_add_capture(e, EX_CAPTURE_TDMREP, host, 1700000000, 200, buf, len,
                                     dig) != EX_OK)
                die("capture");
        }
    }
    for (int i = 0; i < 200; i++) {
        snprintf(host, sizeof host, "optout%d.example", i);
        if (ex_peval_add_optout(e, EX_OPTOUT_DOMAIN, host, dig, "domain") != EX_OK)
            die("optout");
        snprintf(buf, sizeof buf, "https://host%d.example/articles/%d", i * 7 % NHOSTS, i);
        if (ex_peval_add_optout(e, EX_OPTOUT_URL_PREFIX, buf, dig, "prefix") != EX_OK)
            die("optout");
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "sha256:%064x", i * 7919);
        if (ex_peval_add_optout(e, EX_OPTOUT_DIGEST, buf, dig, "digest") != EX_OK)
            die("optout");
    }
    static const char *const paths[] = {"articles", "private3", "archive2", "gallery", "posts",
                                        "tmp4"};
    static const char hdr_plain[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                    "Content-Length: 5120\r\nServer: nginx\r\n\r\n";
    static const char hdr_noai[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                   "X-Robots-Tag: noai\r\n\r\n";
    static const char html_plain[] = "<!doctype html><html><head><meta charset=\"utf-8\">"
                                     "<title>a page</title><link rel=\"stylesheet\" href=\"a.css\">"
                                     "</head>";
    static const char html_meta[] = "<!doctype html><html><head><meta charset=\"utf-8\">"
                                    "<meta name=\"description\" content=\"words\">"
                                    "<meta name=\"robots\" content=\"index, follow\">"
                                    "<title>a page</title></head>";
    item *items = calloc(n, sizeof *items);
    if (!items)
        die("out of memory");
    for (size_t i = 0; i < n; i++) {
        item *it = &items[i];
        uint64_t r = bench_rnd();
        unsigned h = (unsigned)(r % NHOSTS);
        if (r % 101 == 0)
            snprintf(it->url, sizeof it->url, "https://www.optout%u.example/p/%zu", h % 200, i);
        else
            snprintf(it->url, sizeof it->url, "https://host%u.example/%s/%zu.html", h,
                     paths[(r >> 20) % 6], i);
        snprintf(it->digest, sizeof it->digest, "sha256:%016" PRIx64 "%016" PRIx64 "%016" PRIx64
                 "%016" PRIx64, bench_rnd(), bench_rnd(), bench_rnd(), bench_rnd());
        if (ex_digest_parse(it->digest, it->raw) != EX_OK)
            die("digest");
        it->license = (r >> 32) % 10 == 0 ? NULL : licenses[(r >> 36) % NLIC];
        unsigned s = (unsigned)((r >> 44) % 20);
        it->source = s == 0 ? "tos" : s == 1 ? "books" : "crawl";
        unsigned k = (unsigned)((r >> 50) % 20);
        it->headers = k < 4 ? hdr_plain : k == 4 ? hdr_noai : NULL;
        it->html = k >= 16 ? (k % 2 ? html_meta : html_plain) : NULL;
    }
    ex_pdecision d;
    /* warm-up: parses every capture once, as a long ingest would */
    uint64_t admitted = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        const item *it = &items[i];
        ex_pitem pi = {it->source, it->digest, it->raw, it->url, it->license, "2025-06-01T00:00:00Z",
                       it->headers, it->headers ? strlen(it->headers) : 0, it->html,
                       it->html ? strlen(it->html) : 0, NULL, 0, 0, 0};
        if (ex_peval_decide(e, &pi, &d) != EX_OK)
            die("decide");
        admitted += d.verdict == EX_VERDICT_ADMIT;
    }
    double best = 1e30, floor_best = 1e30;
    for (int run = 0; run < runs; run++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            const item *it = &items[i];
            ex_pitem pi = {it->source, it->digest, it->raw, it->url, it->license, "2025-06-01T00:00:00Z",
                           it->headers, it->headers ? strlen(it->headers) : 0, it->html,
                           it->html ? strlen(it->html) : 0, NULL, 0, 0, 0};
            ex_peval_decide(e, &pi, &d);
            sum += (uint64_t)d.rule[0];
        }
        double t = now() - t0;
        if (t < best)
            best = t;
        t0 = now();
        for (size_t i = 0; i < n; i++) {
            const item *it = &items[i];
            for (const char *c = it->url; *c; c++)
                sum += (unsigned char)*c;
            if (it->license)
                for (const char *c = it->license; *c; c++)
                    sum += (unsigned char)*c;
        }
        t = now() - t0;
        if (t < floor_best)
            floor_best = t;
    }
    printf("{\"items\":%zu,\"rules\":%zu,\"hosts\":%d,\"admitted\":%" PRIu64
           ",\"seconds\":%.4f,\"items_per_s\":%.0f,\"floor_seconds\":%.4f,"
           "\"floor_items_per_s\":%.0f,\"peak_rss_mib\":%.1f,\"check\":%" PRIu64 "}\n",
           n, p->nrules, NHOSTS, admitted, best, (double)n / best, floor_best,
           (double)n / floor_best, peak_rss_mib(), sum % 10);
    free(items);
    ex_peval_free(e);
    ex_policy_free(p);
    return 0;
}
