/* robots.c - RFC 9309 robots.txt: a parser that builds per-group rule lists sorted by
 * precedence and a product-token index, and a matcher that picks the deciding rule without
 * allocating.
 *
 * The behaviour follows Google's reference parser (google/robotstxt) wherever RFC 9309 leaves
 * room, so that its test cases pass; docs/ROBOTS.md lists where and why we differ. */
#include "signals/robots.h"

#include <stdlib.h>
#include <string.h>

/* One allow/disallow rule. Strings live in the arena and are addressed by offset, since the
 * arena moves while it grows during the parse. */
typedef struct rule {
    uint64_t head, mask; /* the first min(lit, 8) bytes of the pattern, for a quick compare */
    uint32_t pat;        /* arena offset of the normalised pattern */
    uint32_t plen;       /* its length in bytes: the rule's priority */
    uint32_t lit;        /* bytes before the first '*' (or before the final '$') */
    uint32_t text;       /* arena offset of the line as written, NUL-terminated */
    uint32_t text_len;
    unsigned line;
    uint8_t allow;
    uint8_t wild;     /* the pattern has a '*' */
    uint8_t anchored; /* the pattern ends in '$' */
} rule;

/* A group's rules are rules[first .. first+n), sorted so that the first that matches wins. */
typedef struct group {
    uint32_t first, n;
    uint8_t global; /* one of its user-agent lines is `*` */
} group;

/* A product token named by some user-agent line, lowercased; its groups are
 * glist[first .. first+n). */
typedef struct token {
    uint32_t name, len, hash;
    uint32_t first, n;
    uint32_t last_group; /* during the parse: the last group it was added to, plus one */
} token;

struct ex_robots {
    int kind;
    int truncated;
    unsigned lines;
    char *arena;
    rule *rules;
    size_t nrules;
    group *groups;
    size_t ngroups;
    uint32_t *glist; /* group indexes: the `*` groups first, then each token's */
    uint32_t gn;     /* how many `*` groups (at glist[0]) */
    token *tokens;
    size_t ntokens;
    uint32_t *slots; /* open addressing: token index + 1, 0 = empty */
    size_t mask;
};

/* ---- small helpers ----------------------------------------------------------------------- */

static int
is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int
is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static unsigned char
upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 32) : c;
}

static int
is_token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* Case-insensitive equality of s[0..n) with the NUL-terminated lowercase word w. */
static int
key_is(const char *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n && w[i]; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)w[i])
            return 0;
    return i == n && w[i] == '\0';
}

/* FNV-1a over the lowercased bytes. */
static uint32_t
token_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ lower((unsigned char)s[i])) * 16777619u;
    return h;
}

/* Grow *p (elements of size sz, *cap of them) to hold at least n+1; EX_ENOMEM on failure. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return EX_OK;
    size_t c = *cap ? *cap * 2 : 16;
    if (c > SIZE_MAX / sz)
        return EX_ENOMEM;
    void *q = realloc(*p, c * sz);
    if (!q)
        return EX_ENOMEM;
    *p = q;
    *cap = c;
    return EX_OK;
}

/* ---- parsing ------------------------------------------------------------------------------ */

enum { KEY_OTHER, KEY_AGENT, KEY_ALLOW, KEY_DISALLOW };

static int
classify(const char *k, size_t n)
{
    static const char *const agent[] = {"user-agent", "useragent", "user agent"};
    static const char *const disallow[] = {"disallow", "dissallow", "dissalow",
                                           "disalow",  "diasllow",  "disallaw"};
    for (size_t i = 0; i < sizeof agent / sizeof *agent; i++)
        if (key_is(k, n, agent[i]))
            return KEY_AGENT;
    if (key_is(k, n, "allow"))
        return KEY_ALLOW;
    for (size_t i = 0; i < sizeof disallow / sizeof *disallow; i++)
        if (key_is(k, n, disallow[i]))
            return KEY_DISALLOW;
    return KEY_OTHER;
}

typedef struct pstate {
    ex_robots *r;
    ex_buf arena;
    size_t rcap, gcap, tcap, pcap;
    uint32_t (*pairs)[2]; /* (token, group) memberships */
    size_t npairs;
    int open;     /* a group has started */
    int in_rules; /* the current group has had an allow/disallow line */
} pstate;

/* Put s[0..n) into the arena, NUL-terminated; its offset in *off. */
static int
arena_put(pstate *ps, const char *s, size_t n, uint32_t *off)
{
    if (ps->arena.len + n + 1 > UINT32_MAX)
        return EX_ENOMEM;
    *off = (uint32_t)ps->arena.len;
    if (ex_buf_put(&ps->arena, s, n) != EX_OK || ex_buf_putc(&ps->arena, '\0') != EX_OK)
        return EX_ENOMEM;
    return EX_OK;
}

/* Rebuild the token hash table with room for twice the tokens. */
static int
rehash(ex_robots *r)
{
    size_t size = 64;
    while (size < r->ntokens * 4)
        size *= 2;
    uint32_t *slots = calloc(size, sizeof *slots);
    if (!slots)
        return EX_ENOMEM;
    for (size_t i = 0; i < r->ntokens; i++) {
        size_t k = r->tokens[i].hash & (size - 1);
        while (slots[k])
            k = (k + 1) & (size - 1);
        slots[k] = (uint32_t)i + 1;
    }
    free(r->slots);
    r->slots = slots;
    r->mask = size - 1;
    return EX_OK;
}

/* The token spelled s[0..n) (any case) with hash h, or -1; names are read from arena. */
static long
token_find(const ex_robots *r, const char *arena, const char *s, size_t n, uint32_t h)
{
    if (!r->slots)
        return -1;
    for (size_t k = h & r->mask; r->slots[k]; k = (k + 1) & r->mask) {
        const token *t = &r->tokens[r->slots[k] - 1];
        if (t->hash != h || t->len != n)
            continue;
        const char *name = arena + t->name;
        size_t i = 0;
        while (i < n && lower((unsigned char)s[i]) == (unsigned char)name[i])
            i++;
        if (i == n)
            return (long)(r->slots[k] - 1);
    }
    return -1;
}

/* A user-agent line with value v[0..n). */
static int
on_agent(pstate *ps, const char *v, size_t n)
{
    ex_robots *r = ps->r;
    if (!ps->open || ps->in_rules) {
        if (grow((void **)&r->groups, &ps->gcap, r->ngroups, sizeof *r->groups) != EX_OK)
            return EX_ENOMEM;
        r->groups[r->ngroups++] = (group){(uint32_t)r->nrules, 0, 0};
        ps->open = 1;
        ps->in_rules = 0;
    }
    uint32_t g = (uint32_t)r->ngroups - 1;
    if (n >= 1 && v[0] == '*' && (n == 1 || is_ws((unsigned char)v[1]))) {
        r->groups[g].global = 1;
        return EX_OK;
    }
    size_t len = 0;
    while (len < n && is_token_char((unsigned char)v[len]))
        len++;
    if (len == 0)
        return EX_OK; /* names no token: matches no crawler */
    uint32_t h = token_hash(v, len);
    long t = token_find(r, ps->arena.data, v, len, h);
    if (t < 0) {
        if (grow((void **)&r->tokens, &ps->tcap, r->ntokens, sizeof *r->tokens) != EX_OK)
            return EX_ENOMEM;
        /* store the lowercase spelling */
        if (ps->arena.len + len + 1 > UINT32_MAX || ex_buf_reserve(&ps->arena, len + 1) != EX_OK)
            return EX_ENOMEM;
        uint32_t off = (uint32_t)ps->arena.len;
        for (size_t i = 0; i < len; i++)
            ps->arena.data[ps->arena.len++] = (char)lower((unsigned char)v[i]);
        ps->arena.data[ps->arena.len++] = '\0';
        ps->arena.data[ps->arena.len] = '\0';
        r->tokens[r->ntokens] = (token){off, (uint32_t)len, h, 0, 0, 0};
        t = (long)r->ntokens++;
        if (r->ntokens * 2 > r->mask + 1 || !r->slots) {
            if (rehash(r) != EX_OK)
                return EX_ENOMEM;
        } else {
            size_t k = h & r->mask;
            while (r->slots[k])
                k = (k + 1) & r->mask;
            r->slots[k] = (uint32_t)t + 1;
        }
    }
    token *tk = &r->tokens[t];
    if (tk->last_group == g + 1)
        return EX_OK; /* named twice in one group */
    tk->last_group = g + 1;
    if (grow((void **)&ps->pairs, &ps->pcap, ps->npairs, sizeof *ps->pairs) != EX_OK)
        return EX_ENOMEM;
    ps->pairs[ps->npairs][0] = (uint32_t)t;
    ps->pairs[ps->npairs][1] = g;
    ps->npairs++;
    tk->n++;
    return EX_OK;
}

/* Append a rule with pattern pat[0..plen) (already in normalised form). */
static int
add_rule(pstate *ps, const char *pat, size_t plen, int allow, unsigned line, uint32_t text,
         uint32_t text_len)
{
    ex_robots *r = ps->r;
    if (grow((void **)&r->rules, &ps->rcap, r->nrules, sizeof *r->rules) != EX_OK)
        return EX_ENOMEM;
    rule ru = {0};
    if (arena_put(ps, pat, plen, &ru.pat) != EX_OK)
        return EX_ENOMEM;
    ru.plen = (uint32_t)plen;
    ru.anchored = plen > 0 && pat[plen - 1] == '$';
    size_t body = plen - ru.anchored;
    const char *star = memchr(pat, '*', body);
    ru.wild = star != NULL;
    ru.lit = (uint32_t)(star ? (size_t)(star - pat) : body);
    size_t h = ru.lit < 8 ? ru.lit : 8;
    unsigned char hb[8] = {0}, mb[8] = {0};
    memcpy(hb, pat, h);
    memset(mb, 0xff, h);
    memcpy(&ru.head, hb, 8);
    memcpy(&ru.mask, mb, 8);
    ru.text = text;
    ru.text_len = text_len;
    ru.line = line;
    ru.allow = (uint8_t)allow;
    r->rules[r->nrules++] = ru;
    r->groups[r->ngroups - 1].n++;
    return EX_OK;
}

/* An allow/disallow line with value v[0..n); text is the whole line, in the arena. */
static int
on_rule(pstate *ps, int allow, const char *v, size_t n, unsigned line, uint32_t text,
        uint32_t text_len)
{
    static const char hexd[] = "0123456789ABCDEF";
    if (!ps->open)
        return EX_OK; /* before any user-agent line: ignored */
    ps->in_rules = 1;
    if (n == 0)
        return EX_OK; /* an empty pattern matches nothing */
    /* normalise: %xx to uppercase hex, bytes >= 0x80 percent-encoded (at most 3n bytes) */
    char small[512];
    char *pat = n * 3 <= sizeof small ? small : malloc(n * 3);
    if (!pat)
        return EX_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '%' && i + 2 < n && is_hex((unsigned char)v[i + 1]) &&
            is_hex((unsigned char)v[i + 2])) {
            pat[k++] = '%';
            pat[k++] = (char)upper((unsigned char)v[i + 1]);
            pat[k++] = (char)upper((unsigned char)v[i + 2]);
            i += 2;
        } else if (c >= 0x80) {
            pat[k++] = '%';
            pat[k++] = hexd[c >> 4];
            pat[k++] = hexd[c & 15];
        } else {
            pat[k++] = (char)c;
        }
    }
    int rc = add_rule(ps, pat, k, allow, line, text, text_len);
    /* Google: "allow: /d/index.htm[l...]" also allows the directory itself, "/d/$" */
    if (rc == EX_OK && allow) {
        const char *slash = NULL;
        for (size_t i = k; i-- > 0;)
            if (pat[i] == '/') {
                slash = pat + i;
                break;
            }
        if (slash && (size_t)(pat + k - slash) >= 10 && memcmp(slash, "/index.htm", 10) == 0) {
            size_t d = (size_t)(slash - pat) + 1;
            pat[d] = '$';
            rc = add_rule(ps, pat, d + 1, 1, line, text, text_len);
        }
    }
    if (pat != small)
        free(pat);
    return rc;
}

/* One line s[0..n), without its line ending. */
static int
parse_line(pstate *ps, const char *s, size_t n, unsigned line)
{
    if (n > EX_ROBOTS_MAX_LINE)
        n = EX_ROBOTS_MAX_LINE;
    const char *z = memchr(s, '\0', n);
    if (z)
        n = (size_t)(z - s);
    const char *hash = memchr(s, '#', n);
    if (hash)
        n = (size_t)(hash - s);
    const char *a = s, *b = s + n;
    while (a < b && is_ws((unsigned char)*a))
        a++;
    while (b > a && is_ws((unsigned char)b[-1]))
        b--;
    if (a == b)
        return EX_OK;
    const char *ke, *v;
    const char *colon = memchr(a, ':', (size_t)(b - a));
    if (colon) {
        ke = colon;
        v = colon + 1;
    } else {
        /* Google: "key value" without the colon, if there are exactly two words */
        const char *sp = a;
        while (sp < b && *sp != ' ' && *sp != '\t')
            sp++;
        if (sp == b)
            return EX_OK;
        ke = sp;
        v = sp;
        while (v < b && (*v == ' ' || *v == '\t'))
            v++;
        for (const char *q = v; q < b; q++)
            if (*q == ' ' || *q == '\t')
                return EX_OK;
    }
    while (ke > a && is_ws((unsigned char)ke[-1]))
        ke--;
    while (v < b && is_ws((unsigned char)*v))
        v++;
    if (ke == a)
        return EX_OK;
    int key = classify(a, (size_t)(ke - a));
    if (key == KEY_AGENT)
        return on_agent(ps, v, (size_t)(b - v));
    if (key == KEY_OTHER)
        return EX_OK;
    uint32_t text;
    if (arena_put(ps, a, (size_t)(b - a), &text) != EX_OK)
        return EX_ENOMEM;
    return on_rule(ps, key == KEY_ALLOW, v, (size_t)(b - v), line, text, (uint32_t)(b - a));
}

/* Precedence: longer pattern first; on equal length allow first; then file order. */
static int
rule_cmp(const void *pa, const void *pb)
{
    const rule *a = pa, *b = pb;
    if (a->plen != b->plen)
        return a->plen > b->plen ? -1 : 1;
    if (a->allow != b->allow)
        return a->allow ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return 0;
}

/* After the parse: sort each group's rules and lay out the group lists. */
static int
finish(pstate *ps)
{
    ex_robots *r = ps->r;
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].n > 1)
            qsort(r->rules + r->groups[g].first, r->groups[g].n, sizeof *r->rules, rule_cmp);
    size_t nglobal = 0;
    for (size_t g = 0; g < r->ngroups; g++)
        nglobal += r->groups[g].global;
    r->glist = malloc((nglobal + ps->npairs + 1) * sizeof *r->glist);
    if (!r->glist)
        return EX_ENOMEM;
    uint32_t k = 0;
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].global)
            r->glist[k++] = (uint32_t)g;
    r->gn = k;
    for (size_t t = 0; t < r->ntokens; t++) {
        r->tokens[t].first = k;
        k += r->tokens[t].n;
        r->tokens[t].n = 0;
    }
    /* pairs are in file order, so each token's groups come out in file order */
    for (size_t i = 0; i < ps->npairs; i++) {
        token *t = &r->tokens[ps->pairs[i][0]];
        r->glist[t->first + t->n++] = ps->pairs[i][1];
    }
    return EX_OK;
}

int
ex_robots_parse(const char *txt, size_t len, ex_robots **out, ex_err *err)
{
    if (!out || (!txt && len))
        return ex_fail(err, EX_EINVAL, "robots: no input");
    ex_robots *r = calloc(1, sizeof *r);
    if (!r)
        return ex_fail(err, EX_ENOMEM, "robots: out of memory");
    r->kind = EX_ROBOTS_RULES;
    if (!txt)
        txt = "";
    pstate ps = {.r = r};
    int rc = EX_OK;
    if (len > EX_ROBOTS_MAX_BYTES) {
        /* keep whole lines only: a cut pattern would be broader than the one written */
        r->truncated = 1;
        size_t k = EX_ROBOTS_MAX_BYTES;
        while (k > 0 && txt[k - 1] != '\n' && txt[k - 1] != '\r')
            k--;
        len = k;
    }
    const char *p = txt, *end = txt + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    unsigned line = 0;
    for (;;) {
        const char *q = p;
        while (q < end && *q != '\n' && *q != '\r')
            q++;
        if ((rc = parse_line(&ps, p, (size_t)(q - p), ++line)) != EX_OK)
            goto out;
        if (q == end)
            break;
        p = q + 1 + (*q == '\r' && q + 1 < end && q[1] == '\n');
    }
    r->lines = line;
    if ((rc = ex_buf_reserve(&ps.arena, 0)) != EX_OK || (rc = finish(&ps)) != EX_OK)
        goto out;
    r->arena = ps.arena.data;
    ps.arena.data = NULL;
out:
    free(ps.pairs);
    if (rc != EX_OK) {
        ex_buf_free(&ps.arena);
        ex_robots_free(r);
        return ex_fail(err, rc, "robots: out of memory");
    }
    *out = r;
    return EX_OK;
}

int
ex_robots_from_status(int http_status, ex_robots **out)
{
    int kind;
    if (!out)
        return EX_EINVAL;
    if (http_status == 0 || (http_status >= 500 && http_status <= 599))
        kind = EX_ROBOTS_DISALLOW_ALL;
    else if (http_status >= 300 && http_status <= 499)
        kind = EX_ROBOTS_ALLOW_ALL;
    else
        return EX_EINVAL;
    ex_robots *r = calloc(1, sizeof *r);
    if (!r)
        return EX_ENOMEM;
    r->kind = kind;
    *out = r;
    return EX_OK;
}

int
ex_robots_kind(const ex_robots *r)
{
    return r->kind;
}

unsigned
ex_robots_lines(const ex_robots *r)
{
    return r->lines;
}

int
ex_robots_truncated(const ex_robots *r)
{
    return r->truncated;
}

void
ex_robots_free(ex_robots *r)
{
    if (!r)
        return;
    free(r->arena);
    free(r->rules);
    free(r->groups);
    free(r->glist);
    free(r->tokens);
    free(r->slots);
    free(r);
}

/* ---- matching ----------------------------------------------------------------------------- */

/* The leftmost n[0..nn) in h[0..hn), or NULL. Short needles (most path segments) go by memchr
 * on the first byte, which beats glibc's memmem setup on short paths; long ones by memmem,
 * which stays linear on hostile input. */
static const char *
find(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn > 16)
        return memmem(h, hn, n, nn);
    if (nn == 0)
        return h;
    if (hn < nn)
        return NULL;
    const char *last = h + (hn - nn);
    for (const char *p = h; p <= last; p++) {
        p = memchr(p, n[0], (size_t)(last - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p + 1, n + 1, nn - 1) == 0)
            return p;
    }
    return NULL;
}

/* Does p[0..pn) (starting with '*'; '*' the only wildcard) match a prefix of s[0..sn), or
 * all of it when anchored? Each literal segment between stars is found leftmost, which is
 * enough when '*' is the only wildcard; an anchored last segment must end the path. */
static int
glob(const char *p, size_t pn, const char *s, size_t sn, int anchored)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (j < pn && p[j] == '*')
            j++;
        if (j == pn)
            return 1; /* a final '*' takes the rest */
        const char *st = memchr(p + j, '*', pn - j);
        size_t k = st ? (size_t)(st - p) : pn, len = k - j;
        if (k == pn && anchored)
            return sn - i >= len && memcmp(s + sn - len, p + j, len) == 0;
        const char *f = find(s + i, sn - i, p + j, len);
        if (!f)
            return 0;
        i = (size_t)(f - s) + len;
        if (k == pn)
            return 1;
        j = k;
    }
}

/* Does rule ru match path s[0..n), whose first 8 bytes (zero-padded) are head? */
static int
rule_match(const ex_robots *r, const rule *ru, const char *s, size_t n, uint64_t head)
{
    if (((head ^ ru->head) & ru->mask) != 0 || n < ru->lit)
        return 0;
    const char *pat = r->arena + ru->pat;
    if (ru->lit > 8 && memcmp(s + 8, pat + 8, ru->lit - 8) != 0)
        return 0;
    size_t body = ru->plen - ru->anchored;
    if (!ru->wild)
        return !ru->anchored || n == body;
    return glob(pat + ru->lit, body - ru->lit, s + ru->lit, n - ru->lit, ru->anchored);
}

/* Does a beat b in precedence (rule_cmp order)? */
static int
beats(const rule *a, const rule *b)
{
    if (a->plen != b->plen)
        return a->plen > b->plen;
    if (a->allow != b->allow)
        return a->allow;
    return a->line < b->line;
}

/* The deciding rule among groups gl[0..ng), or NULL if none matches path s[0..n). */
static const rule *
decide(const ex_robots *r, const uint32_t *gl, size_t ng, const char *s, size_t n)
{
    const rule *best = NULL;
    unsigned char hb[8] = {0};
    memcpy(hb, s, n < 8 ? n : 8);
    uint64_t head;
    memcpy(&head, hb, 8);
    for (size_t i = 0; i < ng; i++) {
        const group *g = &r->groups[gl[i]];
        if (g->n == 0)
            continue;
        for (const rule *ru = r->rules + g->first, *e = ru + g->n; ru < e; ru++) {
            if (best && !beats(ru, best))
                break; /* sorted: no later rule of this group can win */
            if (rule_match(r, ru, s, n, head)) {
                best = ru;
                break;
            }
        }
    }
    return best;
}

/* Google's GetPathParamsQuery: the path, params and query of a URL, without scheme,
 * authority and fragment. *slash is set when a '/' must be put in front (the URL's path
 * starts with '?' or ';'); an empty result means "/". */
static void
url_path(const char *u, size_t n, const char **out, size_t *out_len, int *slash)
{
    *out = "/";
    *out_len = 1;
    *slash = 0;
    size_t start = n >= 2 && u[0] == '/' && u[1] == '/' ? 2 : 0;
    size_t early = SIZE_MAX, proto = SIZE_MAX;
    for (size_t i = start; i < n; i++)
        if (u[i] == '/' || u[i] == '?' || u[i] == ';') {
            early = i;
            break;
        }
    for (size_t i = start; i + 3 <= n; i++)
        if (u[i] == ':' && u[i + 1] == '/' && u[i + 2] == '/') {
            proto = i;
            break;
        }
    if (early < proto)
        proto = SIZE_MAX;
    proto = proto == SIZE_MAX ? start : proto + 3;
    size_t ps = SIZE_MAX;
    for (size_t i = proto; i < n; i++)
        if (u[i] == '/' || u[i] == '?' || u[i] == ';') {
            ps = i;
            break;
        }
    if (ps == SIZE_MAX)
        return;
    const char *h = memchr(u + start, '#', n - start);
    size_t hp = h ? (size_t)(h - u) : SIZE_MAX;
    if (hp < ps)
        return;
    size_t pe = h ? hp : n;
    *out = u + ps;
    *out_len = pe - ps;
    *slash = u[ps] != '/';
}

/* Does s[0..n) have a %xx escape with a lowercase hex digit? */
static int
needs_upper(const char *s, size_t n)
{
    for (const char *p = memchr(s, '%', n); p; p = memchr(p + 1, '%', (size_t)(s + n - p - 1))) {
        size_t i = (size_t)(p - s);
        if (i + 2 >= n)
            break;
        unsigned char a = (unsigned char)s[i + 1], b = (unsigned char)s[i + 2];
        if (is_hex(a) && is_hex(b) && ((a >= 'a' && a <= 'f') || (b >= 'a' && b <= 'f')))
            return 1;
    }
    return 0;
}

/* Write "/"? + s[0..n) with %xx escapes uppercased into d. */
static size_t
normalise_path(char *d, int slash, const char *s, size_t n)
{
    size_t k = 0;
    if (slash)
        d[k++] = '/';
    for (size_t i = 0; i < n; i++) {
        d[k++] = s[i];
        if (s[i] == '%' && i + 2 < n && is_hex((unsigned char)s[i + 1]) &&
            is_hex((unsigned char)s[i + 2])) {
            d[k++] = (char)upper((unsigned char)s[i + 1]);
            d[k++] = (char)upper((unsigned char)s[i + 2]);
            i += 2;
        }
    }
    return k;
}

int
ex_robots_check(const ex_robots *r, const char *const *agents, size_t nagents, const char *url,
                size_t url_len, ex_robots_match *m)
{
    return ex_robots_check_resolved(r, agents, NULL, nagents, url, url_len, m);
}

int
ex_robots_resolve(const ex_robots *r, const char *const *agents, size_t nagents, long *tokens)
{
    if (!r || (nagents && (!agents || !tokens)))
        return EX_EINVAL;
    for (size_t i = 0; i < nagents; i++) {
        if (!agents[i])
            return EX_EINVAL;
        size_t alen = strlen(agents[i]);
        tokens[i] = r->kind != EX_ROBOTS_RULES || (alen == 1 && agents[i][0] == '*')
                        ? -1
                        : token_find(r, r->arena, agents[i], alen, token_hash(agents[i], alen));
    }
    return EX_OK;
}

int
ex_robots_check_resolved(const ex_robots *r, const char *const *agents, const long *tokens,
                         size_t nagents, const char *url, size_t url_len, ex_robots_match *m)
{
    if (!r || !m || (!url && url_len) || (nagents && !agents))
        return EX_EINVAL;
    for (size_t i = 0; i < nagents; i++)
        if (!agents[i])
            return EX_EINVAL;
    static const char star[] = "*";
    *m = (ex_robots_match){.allowed = 1, .agent = nagents ? agents[0] : star};
    const char *path;
    size_t n;
    int slash;
    url_path(url ? url : "", url_len, &path, &n, &slash);
    /* RFC 9309 2.2.2: /robots.txt is implicitly allowed, whatever the capture */
    if (!slash && n >= 11 && memcmp(path, "/robots.txt", 11) == 0 && (n == 11 || path[11] == '?'))
        return EX_OK;
    if (r->kind != EX_ROBOTS_RULES) {
        m->allowed = r->kind == EX_ROBOTS_ALLOW_ALL;
        return EX_OK;
    }
    char buf[4096], *heap = NULL;
    if (slash || needs_upper(path, n)) {
        char *d = buf;
        if (n + 1 > sizeof buf && !(d = heap = malloc(n + 1)))
            return EX_ENOMEM;
        n = normalise_path(d, slash, path, n);
        path = d;
    }
    const rule *global_best = NULL;
    int global_done = 0;
    int have = 0; /* m->agent already names the first agent with a matching rule */
    size_t count = nagents ? nagents : 1;
    for (size_t i = 0; i < count; i++) {
        const char *a = nagents ? agents[i] : star;
        long t;
        if (tokens && nagents) {
            t = tokens[i];
        } else {
            size_t alen = strlen(a);
            t = alen == 1 && a[0] == '*' ? -1
                                         : token_find(r, r->arena, a, alen, token_hash(a, alen));
        }
        const rule *best;
        if (t >= 0) {
            const token *tk = &r->tokens[t];
            best = decide(r, r->glist + tk->first, tk->n, path, n);
        } else {
            if (!global_done) {
                global_best = decide(r, r->glist, r->gn, path, n);
                global_done = 1;
            }
            best = global_best;
        }
        if (i == 0)
            m->global = t < 0;
        if (!best || (best->allow && have))
            continue;
        m->agent = a;
        m->global = t < 0;
        m->line = best->line;
        m->rule = r->arena + best->text;
        m->rule_len = best->text_len;
        m->allowed = best->allow;
        have = 1;
        if (!best->allow)
            break;
    }
    free(heap);
    return EX_OK;
}
