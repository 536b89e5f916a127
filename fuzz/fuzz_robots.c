/* fuzz_robots.c - the robots.txt parser and matcher (ex_robots_parse, ex_robots_check).
 *
 * The input is a robots.txt. URLs are a fixed set plus "http://h/" + the values of the input's
 * own lines (so that patterns get exercised); agents are a fixed set plus the first words of
 * values. Invariants:
 *   - parsing never fails on content; the line count is the number of line ends + 1 (a BOM
 *     aside) and never more;
 *   - checking is deterministic and /robots.txt is always allowed;
 *   - a reported line is within the file, its rule text (NUL-terminated, rule_len long)
 *     occurs in the input, and its key agrees with the verdict (allow... allowed,
 *     disallow... disallowed);
 *   - several agents: disallowed iff some agent alone is; the reported agent is the first
 *     that disallows, with that agent's own line; agents compare case-insensitively;
 *   - a line "allow: /zz" put in front (before any user-agent line) changes nothing but the
 *     line numbers, which grow by one;
 *   - a group "User-agent: ZzqFuzzBot / Disallow: /" appended for a token the input does
 *     not name disallows every URL but /robots.txt for that token, at the appended line;
 *   - status captures: 4xx allows and 5xx disallows every URL (but /robots.txt). */
#include "fuzz_common.h"
#include "signals/robots.h"

#include <strings.h>

#define MAX_URLS 24
#define MAX_AGENTS 8

static ex_robots *
must_parse(const char *p, size_t n)
{
    ex_robots *r = NULL;
    if (ex_robots_parse(p, n, &r, NULL) != EX_OK || !r)
        FUZZ_FAIL("parse failed on content");
    return r;
}

static ex_robots_match
must_check(const ex_robots *r, const char *const *agents, size_t nagents, const char *url)
{
    ex_robots_match m;
    if (ex_robots_check(r, agents, nagents, url, strlen(url), &m) != EX_OK)
        FUZZ_FAIL("check failed");
    return m;
}

static int
same(const ex_robots_match *a, const ex_robots_match *b)
{
    return a->allowed == b->allowed && a->line == b->line && a->rule == b->rule &&
           a->rule_len == b->rule_len && a->agent == b->agent && a->global == b->global;
}

static int
starts_ci(const char *s, const char *w)
{
    return strncasecmp(s, w, strlen(w)) == 0;
}

/* Is url "http://h/robots.txt", maybe with a query or fragment? (the only URLs here whose
 * path can be /robots.txt) */
static int
is_robots_txt(const char *url)
{
    return strncmp(url, "http://h/robots.txt", 19) == 0 &&
           (url[19] == '\0' || url[19] == '?' || url[19] == '#');
}

/* The rule text of a reported match is a line of the input and agrees with the verdict. */
static void
check_report(const ex_robots_match *m, const char *in, size_t size, unsigned lines)
{
    if (m->line == 0) {
        if (m->rule || m->rule_len)
            FUZZ_FAIL("rule text without a line");
        return;
    }
    if (m->line > lines)
        FUZZ_FAIL("reported line past the end");
    if (!m->rule || strlen(m->rule) != m->rule_len || m->rule_len == 0)
        FUZZ_FAIL("rule text not NUL-terminated at rule_len");
    if (!memmem(in, size, m->rule, m->rule_len))
        FUZZ_FAIL("rule text not in the input");
    int allow = starts_ci(m->rule, "allow");
    int disallow = starts_ci(m->rule, "dis") || starts_ci(m->rule, "dia");
    if (allow == disallow || allow != m->allowed)
        FUZZ_FAIL("rule key disagrees with the verdict");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *in = fuzz_copy(data, size);
    if (!in)
        return 0;
    ex_robots *r = must_parse(in, size);
    unsigned lines = ex_robots_lines(r), ends = 0;
    for (size_t i = 0; i < size; i++)
        ends += in[i] == '\n' ? !(i > 0 && in[i - 1] == '\r') : in[i] == '\r';
    if (lines != ends + 1 || ex_robots_truncated(r) || ex_robots_kind(r) != EX_ROBOTS_RULES)
        FUZZ_FAIL("line count");

    /* URLs: fixed ones and "http://h" + the value of each of the first lines */
    static char urlbuf[MAX_URLS][128];
    const char *urls[MAX_URLS] = {"http://h/",
                                  "http://h/robots.txt",
                                  "http://h/robots.txt?x",
                                  "http://h/a/b.html?q=1",
                                  "http://h/%7efoo",
                                  "//h/x;p?q#f",
                                  "h"};
    size_t nurls = 7;
    static char agbuf[MAX_AGENTS][32];
    const char *agents[MAX_AGENTS] = {"FooBot", "*", "", "foobot"};
    size_t nagents = 4;
    for (size_t i = 0; i < size && (nurls < MAX_URLS || nagents < MAX_AGENTS);) {
        size_t e = i;
        while (e < size && in[e] != '\n' && in[e] != '\r')
            e++;
        const char *colon = memchr(in + i, ':', e - i);
        if (colon) {
            const char *v = colon + 1;
            while (v < in + e && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(in + e - v);
            if (nurls < MAX_URLS && vl < 100 && !memchr(v, '\0', vl)) {
                /* "http://h/" + the value without its leading '/': the path is "/" + that */
                int skip = vl > 0 && v[0] == '/';
                snprintf(urlbuf[nurls], sizeof urlbuf[nurls], "http://h/%.*s", (int)vl - skip,
                         v + skip);
                urls[nurls] = urlbuf[nurls];
                nurls++;
            }
            size_t al = 0;
            while (al < vl && al < 31 && v[al] != ' ' && v[al] != '\0' && v[al] != '#')
                al++;
            if (nagents < MAX_AGENTS && al) {
                memcpy(agbuf[nagents], v, al);
                agbuf[nagents][al] = '\0';
                agents[nagents] = agbuf[nagents];
                nagents++;
            }
        }
        i = e + 1;
    }

    /* front: "allow: /zz" before everything (not when the input starts with a BOM byte) */
    ex_robots *front = NULL;
    char *fbuf = NULL;
    if (size == 0 || (unsigned char)in[0] != 0xEF) {
        fbuf = malloc(size + 11);
        if (fbuf) {
            memcpy(fbuf, "allow: /zz\n", 11);
            memcpy(fbuf + 11, in, size);
            front = must_parse(fbuf, size + 11);
        }
    }
    /* back: a group for a token the input does not name */
    ex_robots *back = NULL;
    char *bbuf = NULL;
    unsigned back_line = 0;
    static const char tail[] = "User-agent: ZzqFuzzBot\nDisallow: /\n";
    int named = 0;
    for (size_t i = 0; i + 10 <= size && !named; i++)
        named = strncasecmp(in + i, "zzqfuzzbot", 10) == 0;
    if (!named && (bbuf = malloc(size + sizeof tail + 1))) {
        size_t k = size;
        memcpy(bbuf, in, size);
        int ended = size == 0 || in[size - 1] == '\n' || in[size - 1] == '\r';
        if (!ended)
            bbuf[k++] = '\n';
        memcpy(bbuf + k, tail, sizeof tail - 1);
        k += sizeof tail - 1;
        back = must_parse(bbuf, k);
        back_line = (ended ? lines : lines + 1) + 1;
    }
    ex_robots *allow_all = NULL, *disallow_all = NULL;
    if (ex_robots_from_status(404, &allow_all) != EX_OK ||
        ex_robots_from_status(503, &disallow_all) != EX_OK)
        FUZZ_FAIL("status capture");

    for (size_t u = 0; u < nurls; u++) {
        const char *url = urls[u];
        int robots_txt = is_robots_txt(url);
        ex_robots_match single[MAX_AGENTS];
        for (size_t a = 0; a < nagents; a++) {
            ex_robots_match m = must_check(r, &agents[a], 1, url);
            ex_robots_match m2 = must_check(r, &agents[a], 1, url);
            if (!same(&m, &m2))
                FUZZ_FAIL("check is not deterministic");
            if (m.agent != agents[a])
                FUZZ_FAIL("reported agent is not the one given");
            if (robots_txt && !m.allowed)
                FUZZ_FAIL("/robots.txt disallowed");
            check_report(&m, in, size, lines);
            single[a] = m;
            /* case-insensitive agents */
            char up[32];
            size_t al = strlen(agents[a]);
            if (al < sizeof up) {
                for (size_t i = 0; i <= al; i++)
                    up[i] = (char)(agents[a][i] >= 'a' && agents[a][i] <= 'z' ? agents[a][i] - 32
                                                                              : agents[a][i]);
                const char *upa = up;
                ex_robots_match mu = must_check(r, &upa, 1, url);
                if (mu.allowed != m.allowed || mu.line != m.line || mu.global != m.global)
                    FUZZ_FAIL("agents are not compared case-insensitively");
            }
            if (front) {
                ex_robots_match mf = must_check(front, &agents[a], 1, url);
                if (mf.allowed != m.allowed || mf.line != (m.line ? m.line + 1 : 0))
                    FUZZ_FAIL("a rule before any user-agent line changed the result");
            }
        }
        /* all agents together */
        ex_robots_match all = must_check(r, agents, nagents, url);
        size_t first_dis = nagents;
        for (size_t a = 0; a < nagents && first_dis == nagents; a++)
            if (!single[a].allowed)
                first_dis = a;
        if (all.allowed != (first_dis == nagents))
            FUZZ_FAIL("several agents: verdict is not the AND of the single ones");
        if (!all.allowed && (all.agent != agents[first_dis] || all.line != single[first_dis].line))
            FUZZ_FAIL("several agents: wrong agent or line reported");
        check_report(&all, in, size, lines);
        if (back) {
            const char *z = "zzqfuzzbot";
            ex_robots_match mb = must_check(back, &z, 1, url);
            if (robots_txt ? !mb.allowed
                           : (mb.allowed || mb.line != back_line || mb.global ||
                              strcmp(mb.rule, "Disallow: /") != 0))
                FUZZ_FAIL("appended group for a new token does not decide");
        }
        ex_robots_match ma = must_check(allow_all, agents, nagents, url);
        ex_robots_match md = must_check(disallow_all, agents, nagents, url);
        if (!ma.allowed || md.allowed != robots_txt || ma.line || md.line)
            FUZZ_FAIL("status captures");
    }
    ex_robots_free(allow_all);
    ex_robots_free(disallow_all);
    ex_robots_free(back);
    ex_robots_free(front);
    free(bbuf);
    free(fbuf);
    ex_robots_free(r);
    free(in);
    return 0;
}
