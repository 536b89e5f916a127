/* eudomains.c - the domain list of the EU summary (eusummary.h): hosts made registrable
 * domains by the Public Suffix List (publicsuffix.org's algorithm: the matching rule with the
 * most labels, an exception rule before any, "*" when none matches; its ICANN and private
 * sections alike), or without one by a built-in approximation; the ranking; the cut. */
#include "eusummary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exante.h"

#define PSL_DEFAULT "/usr/share/publicsuffix/public_suffix_list.dat"
#define PSL_MAX_BYTES (16u << 20)

enum { R_NORMAL = 1, R_EXCEPTION = 2, R_WILDCARD = 4 };

struct eu_psl {
    ex_buf names;      /* the rules' names, NUL-terminated, one after the other */
    size_t *slot;      /* open addressing: 1 + offset into names, 0 empty */
    unsigned char *fl; /* per slot: R_* of the name */
    size_t nslots, n;
};

static uint64_t
fnv(const char *s, size_t n) {
    uint64_t h = EX_FNV64_OFFSET;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * EX_FNV64_PRIME;
    return h;
}

/* the slot of name s[0..n): its own, or the empty one it would take */
static size_t
find(const eu_psl *p, const char *s, size_t n) {
    size_t i = (size_t)fnv(s, n) & (p->nslots - 1);
    while (p->slot[i]) {
        const char *k = p->names.data + p->slot[i] - 1;
        if (strlen(k) == n && memcmp(k, s, n) == 0)
            break;
        i = (i + 1) & (p->nslots - 1);
    }
    return i;
}

static int
flags(const eu_psl *p, const char *s, size_t n) {
    size_t i = find(p, s, n);
    return p->slot[i] ? p->fl[i] : 0;
}

static int
put(eu_psl *p, const char *s, size_t n, int f) {
    if (2 * (p->n + 1) > p->nslots) {
        eu_psl q = {.names = p->names, .nslots = p->nslots ? 2 * p->nslots : 16384};
        if (!(q.slot = calloc(q.nslots, sizeof *q.slot)) || !(q.fl = calloc(q.nslots, 1))) {
            free(q.slot);
            return EX_ENOMEM;
        }
        for (size_t i = 0; i < p->nslots; i++)
            if (p->slot[i]) {
                const char *k = p->names.data + p->slot[i] - 1;
                size_t j = find(&q, k, strlen(k));
                q.slot[j] = p->slot[i], q.fl[j] = p->fl[i];
            }
        free(p->slot);
        free(p->fl);
        q.n = p->n;
        *p = q;
    }
    size_t i = find(p, s, n);
    if (!p->slot[i]) {
        p->slot[i] = p->names.len + 1;
        if (ex_buf_put(&p->names, s, n) != EX_OK || ex_buf_putc(&p->names, 0) != EX_OK)
            return EX_ENOMEM;
        p->n++;
    }
    p->fl[i] |= (unsigned char)f;
    return EX_OK;
}

void
eu_psl_free(eu_psl *p) {
    if (!p)
        return;
    ex_buf_free(&p->names);
    free(p->slot);
    free(p->fl);
    free(p);
}

int
eu_psl_load(const char *path, eu_psl **out) {
    *out = NULL;
    FILE *f = fopen(path ? path : PSL_DEFAULT, "rb");
    if (!f)
        return EX_OK;
    eu_psl *p = calloc(1, sizeof *p);
    char line[1024];
    int rc = p ? EX_OK : EX_ENOMEM;
    size_t total = 0;
    while (rc == EX_OK && fgets(line, sizeof line, f)) {
        total += strlen(line);
        if (total > PSL_MAX_BYTES)
            break;
        /* the rule is the line's first word; comments start with // */
        size_t n = strcspn(line, " \t\r\n");
        if (n == 0 || (n >= 2 && line[0] == '/' && line[1] == '/'))
            continue;
        char *s = line;
        int fl = R_NORMAL;
        if (s[0] == '!')
            s++, n--, fl = R_EXCEPTION;
        else if (n > 2 && s[0] == '*' && s[1] == '.')
            s += 2, n -= 2, fl = R_WILDCARD;
        for (size_t i = 0; i < n; i++) /* the list's ASCII is lowercase; be sure */
            if (s[i] >= 'A' && s[i] <= 'Z')
                s[i] += 'a' - 'A';
        if (n)
            rc = put(p, s, n, fl);
    }
    fclose(f);
    if (rc != EX_OK || !p || p->n == 0) {
        eu_psl_free(p);
        return rc;
    }
    *out = p;
    return EX_OK;
}

static int
is_ip(const char *h) {
    if (strchr(h, ':'))
        return 1;
    for (; *h; h++)
        if (!((*h >= '0' && *h <= '9') || *h == '.'))
            return 0;
    return 1;
}

/* second-level labels under which registrations happen at the third level (the approximation) */
static const char *const second_level[] = {
    "ac.uk",  "co.uk",  "gov.uk", "ltd.uk", "me.uk",  "net.uk", "org.uk", "plc.uk",
    "sch.uk", "com.au", "edu.au", "gov.au", "net.au", "org.au", "co.jp",  "ne.jp",
    "or.jp",  "ac.jp",  "co.nz",  "org.nz", "net.nz", "co.za",  "org.za", "com.br",
    "net.br", "org.br", "com.cn", "net.cn", "org.cn", "co.in",  "net.in", "org.in",
    "com.mx", "com.tr", "com.ar", "co.kr",  "or.kr",  "com.sg", "com.hk", "com.tw",
    "co.il",  "com.pl", "co.id",  "com.my", "gv.at",  "co.at",  "or.at",
};

size_t
eu_registrable(const eu_psl *p, const char *host, char out[256]) {
    size_t n = strlen(host);
    if (n > 255)
        n = 255;
    /* label starts, right to left: lab[0] the last label's */
    size_t lab[128], nl = 0;
    for (size_t i = n; nl < 128;) {
        size_t j = i;
        while (j > 0 && host[j - 1] != '.')
            j--;
        lab[nl++] = j;
        if (j == 0)
            break;
        i = j - 1;
    }
    size_t keep = nl; /* labels of the registrable domain */
    if (n == 0 || is_ip(host) || nl < 2) {
        keep = nl;
    } else if (!p) {
        size_t ps = 1;
        const char *last2 = host + lab[1];
        for (size_t i = 0; i < sizeof second_level / sizeof *second_level; i++)
            if (strcmp(last2, second_level[i]) == 0)
                ps = 2;
        keep = ps + 1;
    } else {
        size_t ps = 1, exc = 0;
        for (size_t k = 1; k <= nl; k++) { /* the suffix of the last k labels */
            const char *s = host + lab[k - 1];
            size_t sl = n - lab[k - 1];
            int f = flags(p, s, sl);
            if (f & R_EXCEPTION)
                exc = k - 1;
            if ((f & R_NORMAL) && k > ps)
                ps = k;
            if (k >= 2 && (flags(p, host + lab[k - 2], n - lab[k - 2]) & R_WILDCARD) && k > ps)
                ps = k;
        }
        if (exc)
            ps = exc;
        keep = ps + 1;
    }
    if (keep > nl)
        keep = nl;
    size_t at = lab[keep - 1];
    memcpy(out, host + at, n - at);
    out[n - at] = 0;
    return n - at;
}

static int
dom_cmp(const void *a, const void *b) {
    const eu_domain *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

void
eu_domains_rank(eu_domain *v, size_t n) {
    if (n > 1)
        qsort(v, n, sizeof *v, dom_cmp);
}

size_t
ex_eu_domains_listed(size_t n, int sme) {
    size_t k = n / 10 + (n % 10 != 0); /* ceil(10% of n) */
    if (sme) {
        k = n / 20 + (n % 20 != 0);
        if (k > 1000)
            k = 1000;
    }
    return k;
}
