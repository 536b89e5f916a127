/* adopt.c - the ledger's side of the policy engine: adopting a policy (its canonical digest
 * logged), and the evaluator that ingest and reevaluate decide with, loaded from it and from
 * the sources, the signal captures (captures.c) and the opt-outs (optouts.c). */
#include "ledger.h"

#include "dedup/near.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "license/license.h"
#include "policy/policy.h"

/* ---- policies ---- */

static int
parse_checked(const char *text, size_t len, ex_policy **out, ex_policy_diag *d)
{
    ex_policy_err pe;
    memset(&pe, 0, sizeof pe);
    int rc = ex_policy_parse(text, len, out, &pe);
    if (rc == EX_OK && (rc = ex_policy_validate(*out, &pe)) != EX_OK) {
        ex_policy_free(*out);
        *out = NULL;
    }
    if (rc != EX_OK && d) {
        d->line = pe.line;
        d->column = pe.column;
        snprintf(d->msg, sizeof d->msg, "%s", pe.msg[0] ? pe.msg : ex_strerror(rc));
    }
    return rc;
}

/* The adopted policy failed to load again: out of memory says so (exit 3); anything else
 * means the stored text no longer parses (a format error, named by line). */
static int
not_parsed(ex_ledger *l, int rc, const ex_policy_diag *d)
{
    if (rc == EX_ENOMEM || ex_json_guard_tripped()) /* jansson: out of memory as syntax */
        return ex_fail(&l->err, EX_ENOMEM, "out of memory loading the adopted policy");
    return ex_fail(&l->err, EX_EFORMAT, "the adopted policy does not parse any more: line %u: %s",
                   d->line, d->msg);
}

/* ex_peval_new failed: out of memory leaves pe unset (the policy was validated before) */
static int
peval_failed(ex_ledger *l, int rc, const ex_policy_err *pe)
{
    if (rc == EX_ENOMEM || !pe->msg[0])
        return ex_fail(&l->err, rc, "cannot build the policy's evaluator: %s", ex_strerror(rc));
    return ex_fail(&l->err, rc, "policy: line %u: %s", pe->line, pe->msg);
}

static char *
warnings_text(const ex_policy *p)
{
    ex_buf b = {0};
    for (size_t i = 0; i < p->nwarnings; i++)
        if (ex_buf_printf(&b, "line %u: %s\n", p->warnings[i].line, p->warnings[i].msg) != EX_OK) {
            ex_buf_free(&b);
            return NULL;
        }
    /* deprecated SPDX ids are accepted, with a word */
    for (size_t i = 0; i < p->nrules; i++) {
        const ex_policy_rule *r = &p->rules[i];
        if (r->cond != EX_COND_LICENSE)
            continue;
        for (size_t a = 0; a < r->nargs; a++) {
            const char *t = r->args[a];
            while (*t) {
                size_t n = strcspn(t, " ");
                size_t m = n && t[n - 1] == '+' ? n - 1 : n;
                const char *canon;
                int dep = 0;
                int known = !(n == 4 && strncasecmp(t, "WITH", 4) == 0) &&
                            (ex_license_id_known(t, n, &canon, &dep) != EX_LICENSE_ID_UNKNOWN ||
                             ex_license_id_known(t, m, &canon, &dep) != EX_LICENSE_ID_UNKNOWN);
                if (known && dep &&
                    ex_buf_printf(&b, "line %u: '%s' is a deprecated SPDX id\n", r->line, canon) !=
                        EX_OK) {
                    ex_buf_free(&b);
                    return NULL;
                }
                t += n;
                while (*t == ' ')
                    t++;
            }
        }
    }
    if (!b.data && ex_buf_puts(&b, "") != EX_OK)
        return NULL;
    return ex_buf_take(&b, NULL);
}

static int
diag(ex_policy_diag *d, unsigned line, int rc, const char *msg)
{
    if (d) {
        d->line = line, d->column = 1;
        snprintf(d->msg, sizeof d->msg, "%s", msg);
    }
    return rc;
}

/* The files of p's `domains FILE` rules, read relative to dir (NULL: as given) and attached;
 * each file's text also into keep (may be NULL) by its path as written, for the row. */
static int
load_lists(ex_policy *p, const char *dir, json_t *keep, ex_policy_diag *d)
{
    for (size_t i = 0; i < p->nrules; i++) {
        ex_policy_rule *r = &p->rules[i];
        if (r->cond != EX_COND_DOMAINS || r->nargs != 1)
            continue;
        const char *path = r->args[0];
        char *full = dir && path[0] != '/' ? ex_join(dir, '/', path) : strdup(path);
        uint8_t *data = NULL;
        size_t len = 0;
        ex_err e = {0};
        ex_policy_err pe = {0};
        if (!full)
            return diag(d, r->line, EX_ENOMEM, "out of memory");
        int rc = ex_file_read(full, EX_POLICY_LIST_MAX, &data, &len, &e);
        free(full);
        if (rc != EX_OK)
            return diag(d, r->line, rc, e.msg);
        if ((rc = ex_policy_attach_list(p, i, (const char *)data, len, &pe)) != EX_OK) {
            free(data);
            return diag(d, r->line, rc, pe.msg[0] ? pe.msg : ex_strerror(rc));
        }
        json_t *body = keep ? json_stringn((const char *)data, len) : NULL;
        free(data);
        if (keep && (!body || json_object_set_new(keep, path, body) != 0))
            return diag(d, r->line, EX_EFORMAT, "the domain list is not UTF-8 text");
    }
    return EX_OK;
}

int
ex_ledger_policy_lists(ex_policy *p, json_t *row, ex_policy_diag *d)
{
    json_t *lists = json_object_get(row, "lists");
    for (size_t i = 0; i < p->nrules; i++) {
        ex_policy_rule *r = &p->rules[i];
        if (r->cond != EX_COND_DOMAINS || r->nargs != 1)
            continue;
        json_t *b = json_object_get(lists, r->args[0]);
        ex_policy_err pe = {0};
        if (!json_is_string(b))
            return diag(d, r->line, EX_EFORMAT, "the stored policy lacks its domain list");
        int rc = ex_policy_attach_list(p, i, json_string_value(b), json_string_length(b), &pe);
        if (rc != EX_OK)
            return diag(d, r->line, rc, pe.msg);
    }
    return EX_OK;
}

int
ex_policy_check(const char *text, size_t len, char digest[EX_DIGEST_STR_BYTES], char **warnings,
                ex_policy_diag *d)
{
    return ex_policy_check_at(text, len, NULL, digest, warnings, d);
}

int
ex_policy_check_at(const char *text, size_t len, const char *dir,
                   char digest[EX_DIGEST_STR_BYTES], char **warnings, ex_policy_diag *d)
{
    ex_policy *p;
    int rc = parse_checked(text, len, &p, d);
    if (rc != EX_OK)
        return rc;
    if ((rc = load_lists(p, dir, NULL, d)) != EX_OK) {
        ex_policy_free(p);
        return rc;
    }
    uint8_t dg[EX_HASH_BYTES];
    ex_err e = {0};
    if ((rc = ex_policy_digest(p, dg, &e)) == EX_OK) {
        if (digest)
            ex_digest_format(dg, digest);
        if (warnings && !(*warnings = warnings_text(p)))
            rc = EX_ENOMEM;
    } else if (d) {
        snprintf(d->msg, sizeof d->msg, "%s", e.msg);
    }
    ex_policy_free(p);
    return rc;
}

int
ex_ledger_policy_adopt(ex_ledger *l, const char *text, size_t len, char digest[EX_DIGEST_STR_BYTES],
                       uint64_t *index, ex_policy_diag *d)
{
    return ex_ledger_policy_adopt_at(l, text, len, NULL, digest, index, d);
}

int
ex_ledger_policy_adopt_at(ex_ledger *l, const char *text, size_t len, const char *dir,
                          char digest[EX_DIGEST_STR_BYTES], uint64_t *index, ex_policy_diag *d)
{
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    ex_policy *p;
    ex_policy_diag own;
    if (!d)
        d = &own;
    json_t *lists = json_object();
    int rc = lists ? parse_checked(text, len, &p, d) : EX_ENOMEM;
    if (rc == EX_OK && (rc = load_lists(p, dir, lists, d)) != EX_OK)
        ex_policy_free(p);
    if (rc != EX_OK) {
        json_decref(lists);
        return ex_fail(&l->err, rc, "line %u: %s", d->line, d->msg);
    }
    ex_buf canon = {0};
    uint8_t dg[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES], now[32];
    if ((rc = ex_policy_canonical(p, &canon, &l->err)) != EX_OK ||
        (rc = ex_sha256_digest(l->h, canon.data, canon.len, dg)) != EX_OK)
        goto out;
    ex_digest_format(dg, dig);
    ex_time_now(now);
    json_t *entry = json_object(), *extra = json_object();
    json_object_set_new(entry, "type", json_string("policy"));
    json_object_set_new(entry, "digest", json_string(dig));
    if (p->name)
        json_object_set_new(entry, "name", json_string(p->name));
    json_object_set_new(entry, "rules", json_integer((json_int_t)p->nrules));
    json_object_set_new(entry, "adopted", json_string(now));
    /* the row also keeps the text as written and its canonical form, so that `policy show`
     * and any auditor can recompute the digest */
    json_object_set_new(extra, "text", json_stringn(text, len));
    json_object_set_new(extra, "canonical", json_stringn(canon.data, canon.len));
    /* the domain lists as they were read: what decisions apply, whatever the files become */
    if (json_object_size(lists))
        json_object_set(extra, "lists", lists);
    if (!json_object_get(extra, "text"))
        rc = ex_fail(&l->err, EX_EINVAL, "the policy is not UTF-8");
    else
        rc = ex_ledger_log_record(l, EX_TAB_POLICIES, entry, extra, index, NULL);
    json_decref(entry);
    json_decref(extra);
    if (rc == EX_OK && digest)
        memcpy(digest, dig, EX_DIGEST_STR_BYTES);
out:
    json_decref(lists);
    ex_buf_free(&canon);
    ex_policy_free(p);
    return rc;
}

static int
keep_last(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    (void)key;
    char **last = ctx;
    free(*last);
    *last = strndup(data, len);
    return *last ? EX_OK : EX_ENOMEM;
}

int
ex_ledger_policy_show_dup(ex_ledger *l, char **json, size_t *len)
{
    char *last = NULL;
    int rc = l->st->ops->rec_scan(l->st, EX_TAB_POLICIES, 1, UINT64_MAX, keep_last, &last);
    if (rc != EX_OK) {
        free(last);
        return rc == EX_ENOMEM ? ex_fail(&l->err, rc, "out of memory")
                               : ex_ledger_fail_store(l, rc);
    }
    if (!last)
        return ex_fail(&l->err, EX_ENOTFOUND,
                       "no policy adopted yet (see 'exante policy adopt FILE')");
    *json = last;
    if (len)
        *len = strlen(last);
    return EX_OK;
}

/* ---- the evaluator, loaded from the ledger ---- */

typedef struct loading {
    ex_ledger *l;
    ex_peval *e;
    int rc;
    uint64_t below; /* opt-outs: only those logged below this index */
    uint64_t n;     /* opt-outs loaded */
} loading;

static const char *
str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int
load_source(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id, (void)key;
    loading *g = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o)
        return EX_EFORMAT;
    ex_psource s = {str(o, "name"),    str(o, "kind"),  str(o, "ml_use"),
                    str(o, "license"), str(o, "terms"), str(o, "agreement")};
    int rc = s.name ? ex_peval_add_source(g->e, &s) : EX_EFORMAT;
    json_decref(o);
    return rc;
}

static int
load_capture(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    loading *g = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o)
        return EX_EFORMAT;
    const char *kind = str(o, "kind"), *host = str(o, "host"), *fetched = str(o, "fetched"),
               *b64 = str(o, "body");
    int64_t t;
    int rc = EX_OK;
    if (!kind || !host || !fetched || !b64 || ex_time_parse(fetched, &t) != EX_OK) {
        json_decref(o);
        return EX_EFORMAT;
    }
    size_t n = strlen(b64), blen = 0;
    uint8_t *body = malloc(n / 4 * 3 + 3);
    if (!body || ex_b64_decode(b64, n, body, n / 4 * 3 + 3, &blen) != EX_OK) {
        free(body);
        json_decref(o);
        return body ? EX_EFORMAT : EX_ENOMEM;
    }
    /* the record's digest is the digest of its log entry: the row without its body */
    json_t *entry = json_deep_copy(o);
    json_object_del(entry, "body");
    ex_err e = {0};
    size_t elen;
    char *canon = ex_json_canon_dup(entry, &elen, &e);
    json_decref(entry);
    uint8_t d[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES];
    if (!canon || ex_sha256_digest(g->l->h, canon, elen, d) != EX_OK)
        rc = EX_ENOMEM;
    free(canon);
    if (rc == EX_OK) {
        ex_digest_format(d, dig);
        rc = ex_peval_add_capture(
            g->e, strcmp(kind, "robots.txt") == 0 ? EX_CAPTURE_ROBOTS : EX_CAPTURE_TDMREP, host,
            t, (int)json_integer_value(json_object_get(o, "status")), (const char *)body, blen,
            dig);
    }
    (void)key;
    free(body);
    json_decref(o);
    return rc;
}

static int
load_optout(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    loading *g = ctx;
    if (key < 0 || (uint64_t)key >= g->below)
        return EX_OK;
    g->n++;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o)
        return EX_EFORMAT;
    const char *scope = str(o, "scope"), *value = str(o, "value"), *holder = str(o, "holder");
    uint8_t d[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES], label[600];
    int rc = ex_sha256_digest(g->l->h, data, len, d);
    ex_digest_format(d, dig);
    snprintf(label, sizeof label, "%s %s%s%s (opt-out at log index %lld)", scope ? scope : "?",
             value ? value : "?", holder ? " by " : "", holder ? holder : "", (long long)key);
    int sc = !scope                              ? 0
             : strcmp(scope, "url-prefix") == 0 ? EX_OPTOUT_URL_PREFIX
             : strcmp(scope, "domain") == 0     ? EX_OPTOUT_DOMAIN
             : strcmp(scope, "digest") == 0 || strcmp(scope, "work") == 0 ? EX_OPTOUT_DIGEST
             : strcmp(scope, "iscc") == 0                                 ? EX_OPTOUT_ISCC
                                                                          : 0;
    if (rc == EX_OK && value && sc == EX_OPTOUT_ISCC) {
        uint64_t code;
        json_t *dist = json_object_get(o, "distance");
        ex_err e = {0};
        if (ex_iscc_text64(value, &code, &e) == EX_OK && json_is_integer(dist))
            rc = ex_peval_add_optout_iscc(g->e, code, (unsigned)json_integer_value(dist), dig,
                                          label);
    } else if (rc == EX_OK && sc && value) {
        rc = ex_peval_add_optout(g->e, sc, value, dig, label);
    }
    /* a work's near copies: by its fingerprint, if it has text */
    json_t *fp = json_object_get(o, "fingerprint");
    const char *hex = str(fp, "value");
    json_t *jk = json_object_get(fp, "k"), *jb = json_object_get(fp, "bands"),
           *jn = json_object_get(o, "near");
    if (rc == EX_OK && hex && json_is_integer(jk) && json_is_integer(jb)) {
        unsigned k = (unsigned)json_integer_value(jk);
        uint8_t f[EX_NEAR_K_MAX];
        int ok = k > 0 && k <= EX_NEAR_K_MAX && strlen(hex) == 2 * (size_t)k;
        for (unsigned i = 0; ok && i < k; i++) {
            unsigned x;
            ok = sscanf(hex + 2 * i, "%2x", &x) == 1;
            f[i] = (uint8_t)x;
        }
        double near = json_is_integer(jn) ? (double)json_integer_value(jn) / 1000 : 0;
        if (ok)
            rc = ex_peval_add_optout_near(g->e, f, k, (unsigned)json_integer_value(jb), near, dig,
                                          label);
    }
    json_decref(o);
    return rc;
}

int
ex_ledger_near_params(ex_ledger *l, unsigned *k, unsigned *bands, double *near)
{
    *k = 112, *bands = 14, *near = 0.8;
    char *rec = NULL;
    int rc = ex_ledger_policy_show_dup(l, &rec, NULL);
    if (rc == EX_ENOTFOUND) {
        ex_err_clear(&l->err);
        return EX_OK;
    }
    if (rc != EX_OK)
        return rc;
    json_error_t je;
    json_t *o = json_loads(rec, 0, &je);
    free(rec);
    if (!o && json_error_code(&je) == json_error_out_of_memory)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory reading the adopted policy");
    const char *text = str(o, "text");
    ex_policy *p = NULL;
    ex_policy_diag d;
    memset(&d, 0, sizeof d);
    if (!text || (rc = parse_checked(text, strlen(text), &p, &d)) != EX_OK) {
        json_decref(o);
        return not_parsed(l, text ? rc : EX_EFORMAT, &d);
    }
    if (p->minhash_k)
        *k = p->minhash_k, *bands = p->minhash_bands;
    *near = p->near;
    ex_policy_free(p);
    json_decref(o);
    return EX_OK;
}

int
ex_ledger_peval_load(ex_ledger *l, ex_policy **policy, char digest[EX_DIGEST_STR_BYTES], ex_peval **out)
{
    *policy = NULL;
    *out = NULL;
    char *rec = NULL;
    int rc = ex_ledger_policy_show_dup(l, &rec, NULL);
    if (rc == EX_ENOTFOUND) {
        ex_err_clear(&l->err);
        return EX_OK; /* no policy: items stay pending */
    }
    if (rc != EX_OK)
        return rc;
    json_error_t je;
    json_t *o = json_loads(rec, 0, &je);
    free(rec);
    if (!o && json_error_code(&je) == json_error_out_of_memory)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory reading the adopted policy");
    const char *text = str(o, "text"), *dig = str(o, "digest");
    ex_policy_diag d;
    memset(&d, 0, sizeof d);
    if (!text || !dig || (rc = parse_checked(text, strlen(text), policy, &d)) != EX_OK ||
        (rc = ex_ledger_policy_lists(*policy, o, &d)) != EX_OK) {
        json_decref(o);
        ex_policy_free(*policy);
        *policy = NULL;
        return not_parsed(l, text && dig ? rc : EX_EFORMAT, &d);
    }
    snprintf(digest, EX_DIGEST_STR_BYTES, "%s", dig);
    json_decref(o);
    ex_policy_err pe;
    memset(&pe, 0, sizeof pe);
    if ((rc = ex_peval_new(*policy, out, &pe)) != EX_OK) {
        ex_policy_free(*policy);
        *policy = NULL;
        return peval_failed(l, rc, &pe);
    }
    loading g = {l, *out, EX_OK, UINT64_MAX, 0};
    if ((rc = l->st->ops->rec_scan(l->st, EX_TAB_SOURCES, 1, UINT64_MAX, load_source, &g)) ==
            EX_OK &&
        (rc = l->st->ops->rec_scan(l->st, EX_TAB_CAPTURES, 1, UINT64_MAX, load_capture, &g)) ==
            EX_OK)
        rc = l->st->ops->rec_scan(l->st, EX_TAB_OPTOUTS, 1, UINT64_MAX, load_optout, &g);
    if (rc != EX_OK) {
        ex_peval_free(*out);
        ex_policy_free(*policy);
        *out = NULL;
        *policy = NULL;
        if (rc == EX_ENOMEM)
            return ex_fail(&l->err, rc, "out of memory");
        if (rc == EX_EFORMAT) /* stored records: a damaged ledger, or jansson out of memory */
            return ex_fail(&l->err, EX_EDB, "a stored source, capture or opt-out record cannot "
                                            "be read (out of memory, or a damaged ledger)");
        return ex_ledger_fail_store(l, rc);
    }
    return EX_OK;
}

int
ex_ledger_optouts_load(ex_ledger *l, uint64_t below, ex_policy **policy, ex_peval **out,
                       uint64_t *n)
{
    static const char only[] = "reject optout\n";
    ex_policy_diag d;
    ex_policy_err pe;
    memset(&pe, 0, sizeof pe);
    *policy = NULL;
    *out = NULL;
    int rc = parse_checked(only, sizeof only - 1, policy, &d);
    if (rc != EX_OK) /* a fixed text: only memory can fail it */
        ex_fail(&l->err, rc, "cannot load the opt-outs: %s", d.msg);
    if (rc == EX_OK && (rc = ex_peval_new(*policy, out, &pe)) != EX_OK)
        peval_failed(l, rc, &pe);
    loading g = {l, *out, EX_OK, below, 0};
    if (rc == EX_OK &&
        (rc = l->st->ops->rec_scan(l->st, EX_TAB_OPTOUTS, 1, UINT64_MAX, load_optout, &g)) != EX_OK)
        rc = rc == EX_EFORMAT ? ex_fail(&l->err, EX_EDB, "a stored opt-out record cannot be "
                                                       "read (out of memory, or a damaged ledger)")
                              : ex_ledger_fail_store(l, rc);
    if (rc != EX_OK) {
        ex_peval_free(*out);
        ex_policy_free(*policy);
        *out = NULL;
        *policy = NULL;
        return rc;
    }
    *n = g.n;
    return EX_OK;
}
