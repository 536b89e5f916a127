/* lists.c - the domain lists of `domains FILE` rules (a piracy-domain list, say): read from
 * the file's bytes, kept sorted in the rule, and matched against an item's host and the
 * domains above it. The file's SHA-256 stands for the list in the canonical form (canon.c),
 * so the digest of every list a policy applies is logged with the policy. */
#include "policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* s[0..n) is a host name: labels of letters, digits and '-', at least two */
static int
domain_ok(const char *s, size_t n)
{
    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    int dots = 0;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            dots++, label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return dots > 0;
}

static int
list_fail(ex_policy_err *err, unsigned line, const char *fmt, unsigned n, const char *what)
{
    if (err) {
        err->line = line, err->column = 1;
        snprintf(err->msg, sizeof err->msg, fmt, n, what);
    }
    return EX_EFORMAT;
}

int
ex_policy_attach_list(ex_policy *p, size_t i, const char *data, size_t len, ex_policy_err *err)
{
    if (!p || i >= p->nrules || p->rules[i].cond != EX_COND_DOMAINS)
        return EX_EINVAL;
    ex_policy_rule *r = &p->rules[i];
    if (len > EX_POLICY_LIST_MAX)
        return list_fail(err, r->line, "the domain list is over %u bytes%s", EX_POLICY_LIST_MAX,
                         "");
    char **v = NULL;
    size_t n = 0, cap = 0;
    unsigned line = 0;
    int rc = EX_OK;
    for (size_t at = 0; rc == EX_OK && at < len;) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - data) : len, b = at, e = end;
        line++;
        at = end + 1;
        const char *hash = memchr(data + b, '#', e - b);
        if (hash)
            e = (size_t)(hash - data);
        while (b < e && (data[b] == ' ' || data[b] == '\t'))
            b++;
        while (e > b && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\r'))
            e--;
        if (b == e)
            continue;
        if (!domain_ok(data + b, e - b)) {
            char shown[48];
            snprintf(shown, sizeof shown, "%.*s", (int)(e - b > 40 ? 40 : e - b), data + b);
            if (err) {
                err->line = r->line, err->column = 1;
                snprintf(err->msg, sizeof err->msg, "%.80s line %u: '%s' is not a domain name",
                         r->nargs ? r->args[0] : "the domain list", line, shown);
            }
            rc = EX_EFORMAT;
            break;
        }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            char **nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = EX_ENOMEM;
                break;
            }
            v = nv, cap = nc;
        }
        if (!(v[n] = strndup(data + b, e - b))) {
            rc = EX_ENOMEM;
            break;
        }
        for (char *c = v[n]; *c; c++)
            *c = (char)ex_policy_lower((unsigned char)*c);
        n++;
    }
    uint8_t d[EX_HASH_BYTES];
    ex_sha256 *h = NULL;
    if (rc == EX_OK && (rc = ex_sha256_new(&h)) == EX_OK)
        rc = ex_sha256_digest(h, data, len, d);
    ex_sha256_free(h);
    if (rc != EX_OK) {
        for (size_t k = 0; k < n; k++)
            free(v[k]);
        free(v);
        if (rc == EX_ENOMEM && err)
            snprintf(err->msg, sizeof err->msg, "out of memory");
        return rc;
    }
    if (n) /* an empty list (no line, or comments only) matches nothing */
        qsort(v, n, sizeof *v, cmp);
    size_t u = 0; /* a domain listed twice counts once */
    for (size_t k = 0; k < n; k++) {
        if (u && strcmp(v[u - 1], v[k]) == 0)
            free(v[k]);
        else
            v[u++] = v[k];
    }
    for (size_t k = 0; k < r->ndomains; k++)
        free(r->domains[k]);
    free(r->domains);
    r->domains = v, r->ndomains = u;
    ex_digest_format(d, r->list_digest);
    return EX_OK;
}

const char *
ex_policy_list_match(const ex_policy_rule *r, const char *name)
{
    if (!r->ndomains)
        return NULL;
    /* the host, then each domain above it: "a.b.example.org", "b.example.org", ... */
    for (const char *s = name; s && *s; s = strchr(s, '.'), s = s ? s + 1 : NULL) {
        char *const *hit = bsearch(&s, r->domains, r->ndomains, sizeof *r->domains, cmp);
        if (hit)
            return *hit;
    }
    return NULL;
}
