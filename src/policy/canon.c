/* canon.c - what a parsed policy reduces to: each rule's key (what it tests, independent of
 * argument order), from which the parser warns about rules that never apply, and the
 * canonical JSON form of the whole policy and its digest. */
#include "policy_internal.h"

#include "core/cjson.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- warnings ------------------------------------------------------------------------ */

static int EX_PRINTF(3, 4) warn(parser *p, unsigned line, const char *fmt, ...)
{
    ex_policy *pol = p->pol;
    if (pol->nwarnings == p->capwarn) {
        size_t cap = p->capwarn ? 2 * p->capwarn : 8;
        ex_policy_warning *w = realloc(pol->warnings, cap * sizeof *w);
        if (!w)
            return EX_ENOMEM;
        pol->warnings = w;
        p->capwarn = cap;
    }
    ex_policy_warning *w = &pol->warnings[pol->nwarnings++];
    w->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
    return EX_OK;
}

static int
cmp_nocase(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a rule tests, independent of argument order (and of case for license ids):
 * "cond\x1farg\x1farg..." in a malloc'd string. */
static char *
rule_key(const ex_policy_rule *r)
{
    ex_buf b = {0};
    char **v = r->nargs ? malloc(r->nargs * sizeof *v) : NULL;
    if (r->nargs && !v)
        return NULL;
    if (r->nargs)
        memcpy(v, r->args, r->nargs * sizeof *v);
    if (r->nargs)
        qsort(v, r->nargs, sizeof *v, r->cond == EX_COND_LICENSE ? cmp_nocase : cmp_str);
    int rc = ex_buf_printf(&b, "%d", r->cond);
    for (size_t i = 0; rc == EX_OK && i < r->nargs; i++) {
        rc = ex_buf_putc(&b, '\x1f');
        for (const char *s = v[i]; rc == EX_OK && *s; s++)
            rc = ex_buf_putc(&b, (char)(r->cond == EX_COND_LICENSE ? ex_policy_lower(*s) : *s));
    }
    free(v);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return NULL;
    }
    return ex_buf_take(&b, NULL);
}

int
ex_policy_warnings(parser *p)
{
    const ex_policy *pol = p->pol;
    size_t n = pol->nrules, any = n;
    int rc = EX_OK;
    char **keys = calloc(n, sizeof *keys);
    uint64_t *hashes = calloc(n, sizeof *hashes);
    if (!keys || !hashes) {
        rc = EX_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        const ex_policy_rule *r = &pol->rules[i];
        if (any < n) {
            rc = warn(p, r->line,
                      "rule never applies: the '*' rule on line %u matches every item "
                      "first",
                      pol->rules[any].line);
            continue;
        }
        if (r->cond == EX_COND_ANY)
            any = i;
        if (!(keys[i] = rule_key(r))) {
            rc = EX_ENOMEM;
            break;
        }
        hashes[i] = ex_fnv1a64(keys[i], strlen(keys[i]));
        for (size_t j = 0; j < i; j++)
            if (hashes[j] == hashes[i] && keys[j] && strcmp(keys[j], keys[i]) == 0) {
                rc = warn(p, r->line,
                          "rule never applies: the rule on line %u tests the same and decides "
                          "first",
                          pol->rules[j].line);
                break;
            }
    }
    if (rc == EX_OK && any == n)
        rc = warn(p, pol->rules[n - 1].line,
                  "no final '*' rule: items that match no rule are rejected with rule id "
                  "'no-rule'");
out:
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
    free(hashes);
    return rc;
}

/* ---- canonical form ------------------------------------------------------------------ */

/* The shortest decimal ("0.8", "1") that reads back as exactly v, with at most NEAR_DIGITS
 * digits after the point; EX_EINVAL if v is out of range or has no such form. Any `near` the
 * parser accepted has one, and it is the value as written without redundant zeros. */
static int
near_text(double v, char out[32])
{
    if (!(v > 0 && v <= 1))
        return EX_EINVAL;
    double scale = 1;
    for (int k = 0; k <= NEAR_DIGITS; k++, scale *= 10) {
        uint64_t m = (uint64_t)(v * scale + 0.5);
        if ((double)m / scale != v)
            continue;
        if (k == 0)
            snprintf(out, 32, "%llu", (unsigned long long)m);
        else
            snprintf(out, 32, "0.%0*llu", k, (unsigned long long)m);
        return EX_OK;
    }
    return EX_EINVAL;
}

/* A JSON string of valid UTF-8, or NULL (*bad set) */
static json_t *
jstr(const char *s, int *bad)
{
    json_t *v = s ? json_stringn(s, strlen(s)) : NULL;
    if (!v)
        *bad = 1;
    return v;
}

int
ex_policy_canonical(const ex_policy *p, ex_buf *out, ex_err *err)
{
    if (!p || !out)
        return ex_fail(err, EX_EINVAL, "no policy");
    char near[32];
    if (near_text(p->near, near) != EX_OK)
        return ex_fail(err, EX_EINVAL,
                       "near %.17g is not a decimal in (0, 1] with at most %d "
                       "digits after the point",
                       p->near, NEAR_DIGITS);
    int bad = 0, rc;
    json_t *o = json_object(), *agents = json_array(), *rules = json_array();
    if (!o || !agents || !rules) {
        json_decref(o), json_decref(agents), json_decref(rules);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    json_object_set_new(o, "agents", agents);
    json_object_set_new(o, "rules", rules);
    for (size_t i = 0; i < p->nagents; i++)
        if (json_array_append_new(agents, jstr(p->agents[i], &bad)) != 0)
            bad = 1;
    if (json_object_set_new(o, "name", p->name ? jstr(p->name, &bad) : json_null()) != 0 ||
        json_object_set_new(o, "near", json_string(near)) != 0 ||
        (p->minhash_k && json_object_set_new(o, "minhash",
                                             json_pack("{s:I,s:I}", "bands",
                                                       (json_int_t)p->minhash_bands, "k",
                                                       (json_int_t)p->minhash_k)) != 0) ||
        json_object_set_new(o, "version", json_integer(1)) != 0)
        bad = 1;
    for (size_t i = 0; i < p->nrules && !bad; i++) {
        const ex_policy_rule *r = &p->rules[i];
        const char *cond = ex_policy_cond_name(r->cond),
                   *verdict = ex_policy_verdict_name(r->verdict);
        if (!cond || !verdict || !memchr(r->id, 0, sizeof r->id)) {
            json_decref(o);
            return ex_fail(err, EX_EINVAL, "rule %zu has no valid verdict, condition or id", i + 1);
        }
        json_t *jr = json_object(), *args = json_array();
        if (!jr || !args || json_array_append_new(rules, jr) != 0) {
            json_decref(args);
            bad = 1;
            break;
        }
        json_object_set_new(jr, "args", args);
        if (r->cond == EX_COND_DOMAINS && !r->list_digest[0]) {
            json_decref(o);
            return ex_fail(err, EX_EINVAL, "rule %zu: the domain list '%s' is not loaded", i + 1,
                           r->nargs ? r->args[0] : "");
        }
        /* a domain list by its digest: the list, not where the file was, is the policy */
        for (size_t j = 0; j < r->nargs; j++)
            if (json_array_append_new(args, jstr(r->cond == EX_COND_DOMAINS ? r->list_digest
                                                                             : r->args[j],
                                                 &bad)) != 0)
                bad = 1;
        if (json_object_set_new(jr, "cond", json_string(cond)) != 0 ||
            json_object_set_new(jr, "id", jstr(r->id, &bad)) != 0 ||
            json_object_set_new(jr, "reason", r->reason ? jstr(r->reason, &bad) : json_null()) !=
                0 ||
            json_object_set_new(jr, "verdict", json_string(verdict)) != 0)
            bad = 1;
    }
    if (bad) {
        json_decref(o);
        return ex_fail(err, EX_EINVAL,
                       "a string of the policy is not valid UTF-8 (or out of "
                       "memory)");
    }
    ex_buf b = {0};
    rc = ex_json_canon(o, &b, err);
    json_decref(o);
    if (rc == EX_OK && (rc = ex_buf_put(out, b.data, b.len)) != EX_OK)
        ex_fail(err, rc, "out of memory");
    ex_buf_free(&b);
    return rc;
}

int
ex_policy_digest(const ex_policy *p, uint8_t out[EX_HASH_BYTES], ex_err *err)
{
    ex_buf b = {0};
    ex_sha256 *h = NULL;
    int rc = ex_policy_canonical(p, &b, err);
    if (rc == EX_OK && (rc = ex_sha256_new(&h)) != EX_OK)
        ex_fail(err, rc, "cannot make a hasher: %s", ex_strerror(rc));
    if (rc == EX_OK && (rc = ex_sha256_digest(h, b.data, b.len, out)) != EX_OK)
        ex_fail(err, rc, "hashing failed");
    ex_sha256_free(h);
    ex_buf_free(&b);
    return rc;
}
