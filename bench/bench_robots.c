/* bench_robots.c - robots.txt matching speed and inputs for the comparison with robots-parser
 * (not a test: never run by ctest; bench/robots.sh drives it).
 *
 *   bench_robots gen DIR NFILES NURLS [SEED]  write NFILES realistic robots.txt files
 *                 (DIR/rNNNNN.txt: 2-8 groups, 10-200 rules, wildcards, anchors, comments,
 *                 sitemaps, crawl-delays) and NURLS URLs per file; DIR/triples.tsv holds
 *                 "file TAB agent TAB url TAB url-class" and DIR/files.tsv "file TAB class".
 *                 About 30% of the files get one "quirk" of a known class where RFC 9309
 *                 parsers are known to differ, and 15% of the URLs one URL quirk; the other
 *                 files and URLs are "clean" (see docs/ROBOTS.md, differential)
 *   bench_robots run DIR [REPS]      parse every file once, then time ex_robots_check over
 *                 all triples (one agent each) and over every URL with the four agents of a
 *                 policy (GPTBot CCBot ClaudeBot Google-Extended); best of REPS (3)
 *   bench_robots verdicts DIR        one line per triple: 1 allowed, 0 disallowed
 *
 * run prints one line of JSON to stdout; progress goes to stderr. */
#include "signals/robots.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BENCH_NAME "bench_robots"
#include "bench_util.h"

/* ---- gen -------------------------------------------------------------------------------- */

#define N(a) (sizeof(a) / sizeof *(a))
#define ANY(a) (a)[bench_pick(N(a))]

static const char *const bots[] = {"GPTBot",      "CCBot",     "ClaudeBot",    "Google-Extended",
                                   "Googlebot",   "Bingbot",   "anthropic-ai", "PerplexityBot",
                                   "Bytespider",  "Amazonbot", "FacebookBot",  "Applebot-Extended",
                                   "omgili",      "Diffbot",   "cohere-ai",    "YandexBot",
                                   "Baiduspider", "AhrefsBot"};
static const char *const query_agents[] = {"GPTBot",    "CCBot",   "ClaudeBot", "Google-Extended",
                                           "Googlebot", "Bingbot", "SomeNewBot"};
static const char *const dirs[] = {
    "wp-admin", "wp-content", "wp-includes", "search",  "cart",     "checkout", "account",
    "login",    "private",    "tmp",         "cgi-bin", "api",      "static",   "images",
    "docs",     "blog",       "news",        "tag",     "category", "author",   "feed",
    "print",    "archive",    "user",        "admin",   "assets",   "media",    "download",
    "en",       "de",         "fr",          "2023",    "2024",     "products", "help",
    "forum",    "thread",     "page",        "v1",      "internal", "drafts",   "%7Estaff"};
static const char *const files[] = {"index.html", "page.php",  "view.aspx", "report.pdf",
                                    "image.jpg",  "data.json", "feed.xml",  "style.css",
                                    "app.js",     "list",      "item",      "caf%C3%A9"};
static const char *const exts[] = {"pdf", "php", "json", "jpg", "xml", "js", "css", "aspx"};
static const char *const qkeys[] = {"q",   "s",          "sessionid", "sort",  "page",
                                    "ref", "utm_source", "id",        "print", "lang"};

/* a file name for a pattern: not index.html, which is a quirk of its own (Q_INDEX_HTML) */
#define PFILE() files[1 + bench_pick(N(files) - 1)]

/* one path pattern; longer ones for allow rules */
static void
gen_pattern(FILE *f, int allow)
{
    switch (bench_pick(allow ? 6 : 12)) {
    case 0: fprintf(f, "/%s/%s/", ANY(dirs), ANY(dirs)); break;
    case 1: fprintf(f, "/%s/%s", ANY(dirs), PFILE()); break;
    case 2: fprintf(f, "/%s/*/%s", ANY(dirs), ANY(dirs)); break;
    case 3: fprintf(f, "/%s/*.%s$", ANY(dirs), ANY(exts)); break;
    case 4: fprintf(f, "/%s/%s/%s", ANY(dirs), ANY(dirs), PFILE()); break;
    case 5: fprintf(f, "/*?%s=", ANY(qkeys)); break;
    case 6: fprintf(f, "/%s/", ANY(dirs)); break;
    case 7: fprintf(f, "/%s", ANY(dirs)); break;
    case 8: fprintf(f, "/*.%s$", ANY(exts)); break;
    case 9: fprintf(f, "/*%s=*", ANY(qkeys)); break;
    case 10: fprintf(f, "/*/%s/", ANY(dirs)); break;
    default:
        if (bench_pick(8) == 0)
            fputs(bench_pick(2) ? "/" : "", f); /* everything, or an empty (no-op) rule */
        else
            fprintf(f, "/%s/%s", ANY(dirs), ANY(dirs));
        break;
    }
}

static void
gen_url(FILE *f, unsigned site)
{
    fprintf(f, "https://www.site%u.example", site);
    unsigned segs = bench_pick(5);
    if (segs == 0)
        fputc('/', f);
    for (unsigned i = 0; i < segs; i++)
        fprintf(f, "/%s", ANY(dirs));
    if (segs && bench_pick(2))
        fprintf(f, "/%s", bench_pick(3) ? ANY(files) : "x.PDF");
    else if (segs && bench_pick(3) == 0)
        fputc('/', f);
    if (bench_pick(4) == 0) {
        fprintf(f, "?%s=%u", ANY(qkeys), bench_pick(100));
        if (bench_pick(2))
            fprintf(f, "&%s=%%7e%u", ANY(qkeys), bench_pick(10));
    }
}

enum {
    Q_NONE,
    Q_MISSING_COLON, /* "Disallow /x": Google and we accept it */
    Q_AGENT_SUFFIX,  /* "User-agent: GPTBot crawler": the product token is GPTBot */
    Q_SEPARATOR,     /* Crawl-delay between two user-agent lines of one group */
    Q_INDEX_HTML,    /* "Allow: /d/index.html" also allows "/d/" (Google) */
    Q_BOM,           /* the file starts with a UTF-8 BOM */
    Q_TYPO,          /* "Disalow:" */
    Q_PATTERN_CHARS, /* a space in a pattern; the URL has it as %20 */
    Q_EMPTY_GROUP,   /* a last group without rules */
    Q_LONG_LINE,     /* a rule longer than 16663 bytes */
    Q_FILE_CLASSES
};
static const char *const qnames[] = {
    "clean", "missing-colon", "agent-suffix",  "separator",        "index-html",
    "bom",   "key-typo",      "pattern-chars", "empty-last-group", "long-line"};
enum { U_NONE, U_RAW_UTF8, U_DOT_SEGMENTS, U_ROBOTS_TXT, U_CLASSES };
static const char *const unames[] = {"clean", "raw-utf8", "dot-segments", "robots-txt"};

static void
gen(const char *dir, unsigned nfiles, unsigned nurls)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/triples.tsv", dir);
    FILE *tf = fopen(path, "w");
    snprintf(path, sizeof path, "%s/files.tsv", dir);
    FILE *cf = fopen(path, "w");
    if (!tf || !cf)
        die("cannot write in %s", dir);
    uint64_t rules_total = 0;
    for (unsigned fi = 0; fi < nfiles; fi++) {
        int q = bench_pick(10) < 7 ? Q_NONE : 1 + (int)bench_pick(Q_FILE_CLASSES - 1);
        snprintf(path, sizeof path, "%s/r%05u.txt", dir, fi);
        FILE *f = fopen(path, "w");
        if (!f)
            die("cannot write %s", path);
        const char *qdir = ANY(dirs); /* where the file's quirk and its URLs point */
        if (q == Q_BOM)
            fputs("\xEF\xBB\xBF", f); /* right before the first user-agent line */
        else
            fprintf(f, "# robots.txt for www.site%u.example\n", fi);
        unsigned ngroups = 2 + bench_pick(7), nrules = 10 + bench_pick(191);
        const char *named[32];
        unsigned nnamed = 0;
        int star_group = (int)bench_pick(ngroups);
        for (unsigned g = 0; g < ngroups; g++) {
            if (g)
                fputc('\n', f);
            unsigned nagents = g == (unsigned)star_group ? 1 : 1 + bench_pick(3);
            for (unsigned a = 0; a < nagents; a++) {
                if (g == (unsigned)star_group && a == 0) {
                    fputs("User-agent: *\n", f);
                    continue;
                }
                const char *b = ANY(bots);
                named[nnamed++ % 32] = b;
                if (q == Q_AGENT_SUFFIX && a == 0)
                    fprintf(f, "User-agent: %s crawler\n", b);
                else
                    fprintf(f, "User-agent: %s%s\n", b, bench_pick(10) == 0 ? "/1.0" : "");
                if (q == Q_SEPARATOR && a + 1 < nagents && a == 0)
                    fputs("Crawl-delay: 5\n", f);
            }
            /* the `*` group gets the most rules; a third of the others shut the bot out */
            unsigned k = g == (unsigned)star_group ? nrules / 2 + 1 : 1 + nrules / (2 * ngroups);
            if (g != (unsigned)star_group && bench_pick(3) == 0 && q != Q_MISSING_COLON && q != Q_TYPO &&
                q != Q_PATTERN_CHARS) {
                fputs("Disallow: /\n", f);
                k = 0;
            }
            for (unsigned i = 0; i < k; i++) {
                int allow = bench_pick(4) == 0;
                if (q == Q_MISSING_COLON && i == 0)
                    fputs(allow ? "Allow " : "Disallow ", f);
                else if (q == Q_TYPO && i == 0)
                    fputs("Disalow: ", f);
                else
                    fputs(allow ? "Allow: " : "Disallow: ", f);
                if (q == Q_PATTERN_CHARS && i == 0)
                    fprintf(f, "/%s/a b/", qdir);
                else
                    gen_pattern(f, allow);
                if (bench_pick(8) == 0)
                    fputs("   # note", f);
                fputc('\n', f);
                rules_total++;
            }
            if (q == Q_INDEX_HTML)
                fprintf(f, "Allow: /%s/index.html\n", qdir);
            if (bench_pick(4) == 0)
                fprintf(f, "Crawl-delay: %u\n", 1 + bench_pick(10));
        }
        if (q == Q_LONG_LINE) {
            fputs("User-agent: *\nDisallow: /long/", f);
            for (int i = 0; i < 17000; i++)
                fputc('a', f);
            fputs("/end\n", f);
        }
        fprintf(f, "\nSitemap: https://www.site%u.example/sitemap.xml\n", fi);
        if (q == Q_EMPTY_GROUP)
            fputs("\nUser-agent: SomeNewBot\n", f);
        fclose(f);
        fprintf(cf, "%u\t%s\n", fi, qnames[q]);
        for (unsigned u = 0; u < nurls; u++) {
            int uq = bench_pick(100) < 85 ? U_NONE : 1 + (int)bench_pick(U_CLASSES - 1);
            const char *agent =
                bench_pick(3) == 0 && nnamed ? named[bench_pick(nnamed < 32 ? nnamed : 32)] : ANY(query_agents);
            fprintf(tf, "%u\t%s\t", fi, agent);
            /* a few URLs aimed at the file's quirk */
            if (u < 8 && q == Q_PATTERN_CHARS)
                fprintf(tf, "https://www.site%u.example/%s/a%%20b/x", fi, qdir);
            else if (u < 8 && q == Q_INDEX_HTML)
                fprintf(tf, "https://www.site%u.example/%s/", fi, qdir);
            else if (u < 4 && q == Q_LONG_LINE) {
                fprintf(tf, "https://www.site%u.example/long/", fi);
                for (int i = 0; i < 16700; i++)
                    fputc('a', tf);
                fputs("/other", tf);
            } else if (uq == U_RAW_UTF8)
                fprintf(tf, "https://www.site%u.example/%s/caf\xC3\xA9", fi, ANY(dirs));
            else if (uq == U_DOT_SEGMENTS)
                fprintf(tf, "https://www.site%u.example/%s/../%s/%s", fi, ANY(dirs), ANY(dirs),
                        ANY(files));
            else if (uq == U_ROBOTS_TXT)
                fprintf(tf, "https://www.site%u.example/robots.txt", fi);
            else
                gen_url(tf, fi);
            fprintf(tf, "\t%s\n", unames[uq]);
        }
    }
    if (fclose(tf) || fclose(cf))
        die("cannot write in %s", dir);
    fprintf(stderr, "%u files, %" PRIu64 " rules, %u triples\n", nfiles, rules_total,
            nfiles * nurls);
}

/* ---- run / verdicts ---------------------------------------------------------------------- */

typedef struct triple {
    unsigned file;
    const char *agent;
    const char *url;
    size_t url_len;
} triple;

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        die("cannot stat %s", path);
    char *p = malloc((size_t)st.st_size + 1);
    if (!p || fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        die("cannot read %s", path);
    fclose(f);
    p[st.st_size] = '\0';
    *len = (size_t)st.st_size;
    return p;
}

typedef struct corpus {
    ex_robots **robots;
    unsigned nfiles;
    triple *t;
    size_t n;
    char *text;
    double parse_s;
    size_t robots_bytes;
} corpus;

static void
load(const char *dir, corpus *c)
{
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/triples.tsv", dir);
    c->text = slurp(path, &len);
    size_t cap = 1024;
    c->t = malloc(cap * sizeof *c->t);
    c->n = 0;
    unsigned maxfile = 0;
    for (char *p = c->text; p < c->text + len;) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        char *a = strchr(p, '\t'), *u = a ? strchr(a + 1, '\t') : NULL,
             *k = u ? strchr(u + 1, '\t') : NULL;
        if (!k)
            die("bad triple line");
        *a = *u = *k = '\0';
        if (c->n == cap && !(c->t = realloc(c->t, (cap *= 2) * sizeof *c->t)))
            die("out of memory");
        c->t[c->n++] = (triple){(unsigned)strtoul(p, NULL, 10), a + 1, u + 1, (size_t)(k - u - 1)};
        if (c->t[c->n - 1].file > maxfile)
            maxfile = c->t[c->n - 1].file;
        p = nl + 1;
    }
    c->nfiles = maxfile + 1;
    c->robots = calloc(c->nfiles, sizeof *c->robots);
    double t0 = now();
    double parse = 0;
    c->robots_bytes = 0;
    for (unsigned i = 0; i < c->nfiles; i++) {
        snprintf(path, sizeof path, "%s/r%05u.txt", dir, i);
        char *txt = slurp(path, &len);
        c->robots_bytes += len;
        double p0 = now();
        if (ex_robots_parse(txt, len, &c->robots[i], NULL) != EX_OK)
            die("parse failed");
        parse += now() - p0;
        free(txt);
    }
    (void)t0;
    c->parse_s = parse;
}

static void
run(const char *dir, int reps)
{
    corpus c;
    load(dir, &c);
    double best = 1e9, best4 = 1e9;
    size_t allowed = 0, allowed4 = 0;
    static const char *const four[] = {"GPTBot", "CCBot", "ClaudeBot", "Google-Extended"};
    for (int r = 0; r < reps; r++) {
        size_t ok = 0;
        double t0 = now();
        for (size_t i = 0; i < c.n; i++) {
            ex_robots_match m;
            ex_robots_check(c.robots[c.t[i].file], &c.t[i].agent, 1, c.t[i].url, c.t[i].url_len,
                            &m);
            ok += (size_t)m.allowed;
        }
        double t = now() - t0;
        if (t < best)
            best = t;
        allowed = ok;
        ok = 0;
        t0 = now();
        for (size_t i = 0; i < c.n; i++) {
            ex_robots_match m;
            ex_robots_check(c.robots[c.t[i].file], four, 4, c.t[i].url, c.t[i].url_len, &m);
            ok += (size_t)m.allowed;
        }
        t = now() - t0;
        if (t < best4)
            best4 = t;
        allowed4 = ok;
        fprintf(stderr, "rep %d: %.3f s one agent, %.3f s four agents\n", r + 1, best, best4);
    }
    printf("{\"bench\":\"robots\",\"files\":%u,\"robots_bytes\":%zu,\"triples\":%zu,"
           "\"parse_s\":%.6f,\"parse_mb_per_s\":%.1f,\"check_s\":%.6f,\"checks_per_s\":%.0f,"
           "\"allowed\":%zu,\"check4_s\":%.6f,\"checks4_per_s\":%.0f,\"allowed4\":%zu,"
           "\"peak_rss_mib\":%.1f}\n",
           c.nfiles, c.robots_bytes, c.n, c.parse_s, (double)c.robots_bytes / c.parse_s / 1e6, best,
           (double)c.n / best, allowed, best4, (double)c.n / best4, allowed4, peak_rss_mib());
    for (unsigned i = 0; i < c.nfiles; i++)
        ex_robots_free(c.robots[i]);
    free(c.robots);
    free(c.t);
    free(c.text);
}

static void
verdicts(const char *dir)
{
    corpus c;
    load(dir, &c);
    for (size_t i = 0; i < c.n; i++) {
        ex_robots_match m;
        ex_robots_check(c.robots[c.t[i].file], &c.t[i].agent, 1, c.t[i].url, c.t[i].url_len, &m);
        fputs(m.allowed ? "1\n" : "0\n", stdout);
    }
    for (unsigned i = 0; i < c.nfiles; i++)
        ex_robots_free(c.robots[i]);
    free(c.robots);
    free(c.t);
    free(c.text);
}

int
main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "gen") == 0) {
        if (argc > 5)
            bench_seed(strtoull(argv[5], NULL, 10));
        gen(argv[2], (unsigned)strtoul(argv[3], NULL, 10), (unsigned)strtoul(argv[4], NULL, 10));
    } else if (argc >= 3 && strcmp(argv[1], "run") == 0) {
        run(argv[2], argc > 3 ? atoi(argv[3]) : 3);
    } else if (argc == 3 && strcmp(argv[1], "verdicts") == 0) {
        verdicts(argv[2]);
    } else {
        fprintf(stderr, "usage: bench_robots gen DIR NFILES NURLS [SEED] | run DIR [REPS] | "
                        "verdicts DIR\n");
        return 2;
    }
    return 0;
}
