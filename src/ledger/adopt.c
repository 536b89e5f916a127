/* policy.c - the ledger's side of the policy engine: adopting a policy (its canonical digest
 * logged), signal captures (robots.txt, tdmrep.json per host and fetch time), opt-outs, and
 * the evaluator that ingest and reevaluate decide with, loaded from all of them. */
#include "ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ingest/instream.h"
#include "ingest/reader.h"
#include "license/license.h"
#include "policy/policy.h"
#include "signals/tdm.h"

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

int
ex_policy_check(const char *text, size_t len, char digest[EX_DIGEST_STR_BYTES], char **warnings,
                ex_policy_diag *d)
{
    ex_policy *p;
    int rc = parse_checked(text, len, &p, d);
    if (rc != EX_OK)
        return rc;
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
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    ex_policy *p;
    int rc = parse_checked(text, len, &p, d);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc, "line %u: %s", d ? d->line : 0, d ? d->msg : "invalid");
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
    if (!json_object_get(extra, "text"))
        rc = ex_fail(&l->err, EX_EINVAL, "the policy is not UTF-8");
    else
        rc = ex_ledger_log_record(l, EX_TAB_POLICIES, entry, extra, index, NULL);
    json_decref(entry);
    json_decref(extra);
    if (rc == EX_OK && digest)
        memcpy(digest, dig, EX_DIGEST_STR_BYTES);
out:
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

/* ---- captures ---- */

static int
capture_kind(const char *url_or_name)
{
    size_t n = strlen(url_or_name);
    const char *q = strpbrk(url_or_name, "?#");
    if (q)
        n = (size_t)(q - url_or_name);
    if (n >= 10 && strncmp(url_or_name + n - 10, "robots.txt", 10) == 0)
        return EX_CAPTURE_ROBOTS;
    if (n >= 11 && strncmp(url_or_name + n - 11, "tdmrep.json", 11) == 0)
        return EX_CAPTURE_TDMREP;
    return 0;
}

/* Log one capture. The body is kept (base64) so that decisions can be re-derived later. */
static int
add_capture(ex_ledger *l, int kind, const char *host, const char *fetched, int status,
            const uint8_t *body, size_t len, const char *from, uint64_t *index)
{
    uint8_t d[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES];
    int rc = ex_sha256_digest(l->h, body, len, d);
    if (rc != EX_OK)
        return ex_fail(&l->err, rc, "hashing failed");
    ex_digest_format(d, dig);
    size_t b64len = 4 * ((len + 2) / 3) + 1;
    char *b64 = malloc(b64len);
    if (!b64)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    ex_b64_encode(body, len, b64);
    json_t *entry = json_object(), *extra = json_object();
    json_object_set_new(entry, "type", json_string("capture"));
    json_object_set_new(entry, "kind",
                        json_string(kind == EX_CAPTURE_ROBOTS ? "robots.txt" : "tdmrep.json"));
    json_object_set_new(entry, "host", json_string(host));
    json_object_set_new(entry, "fetched", json_string(fetched));
    json_object_set_new(entry, "status", json_integer(status));
    json_object_set_new(entry, "digest", json_string(dig));
    json_object_set_new(entry, "size", json_integer((json_int_t)len));
    json_t *fj = from ? json_string(from) : NULL; /* NULL too if not UTF-8: then left out */
    if (fj)
        json_object_set_new(entry, "from", fj);
    json_object_set_new(extra, "body", json_string(b64));
    free(b64);
    rc = ex_ledger_log_record(l, EX_TAB_CAPTURES, entry, extra, index, NULL);
    json_decref(entry);
    json_decref(extra);
    return rc;
}

typedef struct sig_run {
    ex_ledger *l;
    ex_signals_stats *st;
    const char *path;
    int rc;
} sig_run;

static int
on_capture_item(void *ctx, const ex_item *it)
{
    sig_run *s = ctx;
    if (!it->url || !it->warc_type || strcmp(it->warc_type, "response") != 0)
        return EX_OK;
    int kind = capture_kind(it->url);
    char host[256];
    if (!kind || !ex_url_host(it->url, host)) {
        s->st->ignored++;
        return EX_OK;
    }
    int64_t t;
    if (!it->fetched || ex_time_parse(it->fetched, &t) != EX_OK) {
        s->st->ignored++;
        return EX_OK;
    }
    char when[32];
    ex_time_format(t, when);
    int status = it->http_status;
    const uint8_t *body = it->content;
    size_t len = it->content_len;
    if (status < 200 || status >= 300)
        len = 0; /* only the status counts (RFC 9309 2.3.1) */
    if (kind == EX_CAPTURE_TDMREP && len) {
        ex_tdmrep *t2;
        ex_err e = {0};
        if (ex_tdmrep_parse((const char *)body, len, &t2, &e) != EX_OK) {
            s->st->invalid++; /* kept: it states nothing, and that is evidence too */
        } else {
            ex_tdmrep_free(t2);
        }
    }
    uint64_t index;
    int rc = add_capture(s->l, kind, host, when, status, body, len, it->url, &index);
    if (rc != EX_OK) {
        s->rc = rc;
        return rc;
    }
    if (kind == EX_CAPTURE_ROBOTS)
        s->st->robots++;
    else
        s->st->tdmrep++;
    return EX_OK;
}

int
ex_ledger_signals_add(ex_ledger *l, const char *const *paths, size_t n,
                      const ex_signals_opts *o, ex_signals_stats *st)
{
    ex_err_clear(&l->err);
    ex_signals_stats z;
    memset(&z, 0, sizeof z);
    if (!st)
        st = &z;
    memset(st, 0, sizeof *st);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    int64_t t = 0;
    char when[32] = "";
    if (o && o->fetched) {
        if (ex_time_parse(o->fetched, &t) != EX_OK)
            return ex_fail(&l->err, EX_EINVAL,
                           "--fetched '%s' is not an RFC 3339 time (2025-06-01T00:00:00Z)",
                           o->fetched);
        ex_time_format(t, when);
    }
    for (size_t i = 0; i < n; i++) {
        const char *path = paths[i];
        int rc;
        ex_instream *s;
        ex_err e = {0};
        if ((rc = ex_instream_open(path, &s, &e)) != EX_OK)
            return ex_fail(&l->err, rc, "%s", e.msg);
        char head[8];
        size_t got = 0, k;
        while (got < sizeof head &&
               ex_instream_read(s, head + got, sizeof head - got, &k, NULL) == EX_OK && k)
            got += k;
        ex_instream_close(s);
        if (got >= 7 && memcmp(head, "WARC/1.", 7) == 0) {
            sig_run r = {l, st, path, EX_OK};
            ex_reader_cb cb = {on_capture_item, NULL, &r};
            rc = ex_read_warc(path, &cb, &e);
            if (r.rc != EX_OK)
                return r.rc;
            if (rc != EX_OK)
                return ex_fail(&l->err, rc, "%s", e.msg[0] ? e.msg : ex_strerror(rc));
            continue;
        }
        /* a file: robots.txt or tdmrep.json by name (or --kind), for --host at --fetched */
        if (!o || !o->host || !o->fetched)
            return ex_fail(&l->err, EX_EINVAL,
                           "'%s' is not a WARC file: give --host and --fetched for it", path);
        int kind = o->kind ? (strcmp(o->kind, "robots") == 0   ? EX_CAPTURE_ROBOTS
                              : strcmp(o->kind, "tdmrep") == 0 ? EX_CAPTURE_TDMREP
                                                               : -1)
                           : capture_kind(path);
        if (kind < 0)
            return ex_fail(&l->err, EX_EINVAL, "--kind must be robots or tdmrep");
        if (kind == 0)
            return ex_fail(&l->err, EX_EINVAL,
                           "cannot tell what '%s' is: name it robots.txt or tdmrep.json, or "
                           "give --kind robots|tdmrep",
                           path);
        char host[256];
        char url[300];
        snprintf(url, sizeof url, "https://%s/", o->host);
        if (!ex_url_host(url, host))
            return ex_fail(&l->err, EX_EINVAL, "--host '%s' is not a host name", o->host);
        FILE *f = fopen(path, "rb");
        if (!f)
            return ex_fail(&l->err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
        ex_buf b = {0};
        char chunk[65536];
        size_t m;
        while ((m = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (ex_buf_put(&b, chunk, m) != EX_OK || b.len > (8u << 20)) {
                fclose(f);
                ex_buf_free(&b);
                return ex_fail(&l->err, EX_ETOOBIG, "'%s' is larger than 8 MiB", path);
            }
        fclose(f);
        int status = o->status_set ? o->status : 200;
        if (kind == EX_CAPTURE_TDMREP && status >= 200 && status < 300) {
            ex_tdmrep *t2;
            if ((rc = ex_tdmrep_parse(b.data ? b.data : "", b.len, &t2, &e)) != EX_OK) {
                ex_buf_free(&b);
                return ex_fail(&l->err, EX_EFORMAT, "%s: %s", path, e.msg);
            }
            ex_tdmrep_free(t2);
        }
        uint64_t index;
        rc = add_capture(l, kind, host, when, status, (const uint8_t *)(b.data ? b.data : ""),
                         status >= 200 && status < 300 ? b.len : 0, NULL, &index);
        ex_buf_free(&b);
        if (rc != EX_OK)
            return rc;
        if (kind == EX_CAPTURE_ROBOTS)
            st->robots++;
        else
            st->tdmrep++;
    }
    return EX_OK;
}

/* ---- opt-outs ---- */

int
ex_ledger_optout_add(ex_ledger *l, const ex_optout_opts *o, uint64_t *index, char digest[EX_DIGEST_STR_BYTES])
{
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    const char *scope = NULL, *value = NULL;
    char v[300];
    int given = !!o->url_prefix + !!o->domain + !!o->digest + !!o->work;
    if (given != 1)
        return ex_fail(&l->err, EX_EINVAL,
                       "give exactly one of --url-prefix, --domain, --digest, --work");
    char host[256];
    if (o->url_prefix) {
        if (!ex_url_host(o->url_prefix, host))
            return ex_fail(&l->err, EX_EINVAL, "--url-prefix '%s' is not an http(s) URL",
                           o->url_prefix);
        scope = "url-prefix", value = o->url_prefix;
    } else if (o->domain) {
        snprintf(v, sizeof v, "https://%s/", o->domain);
        if (strchr(o->domain, '/') || !ex_url_host(v, host) || !strchr(host, '.'))
            return ex_fail(&l->err, EX_EINVAL, "--domain '%s' is not a domain name",
                           o->domain);
        scope = "domain", value = host;
    } else if (o->digest) {
        uint8_t d[EX_HASH_BYTES];
        if (ex_digest_parse(o->digest, d) != EX_OK)
            return ex_fail(&l->err, EX_EINVAL, "--digest must be sha256:<64 hex>");
        ex_digest_format(d, v);
        scope = "digest", value = v;
    } else {
        uint8_t d[EX_HASH_BYTES];
        uint64_t size;
        int rc = ex_sha256_file(l->h, o->work, d, &size, &l->err);
        if (rc != EX_OK)
            return rc;
        ex_digest_format(d, v);
        scope = "work", value = v;
    }
    char now[32], ev[EX_DIGEST_STR_BYTES];
    ex_time_now(now);
    json_t *entry = json_object();
    json_object_set_new(entry, "type", json_string("optout"));
    json_object_set_new(entry, "scope", json_string(scope));
    json_object_set_new(entry, "value", json_string(value));
    json_object_set_new(entry, "logged", json_string(now));
    if (o->holder) {
        json_t *h = json_string(o->holder);
        if (!h) {
            json_decref(entry);
            return ex_fail(&l->err, EX_EINVAL, "--holder must be UTF-8 text");
        }
        json_object_set_new(entry, "holder", h);
    }
    if (o->work)
        json_object_set_new(entry, "work", json_string(o->work));
    if (o->near > 0)
        json_object_set_new(entry, "near", json_integer((json_int_t)(o->near * 1000 + 0.5)));
    int rc = EX_OK;
    if (o->evidence) {
        uint8_t d[EX_HASH_BYTES];
        uint64_t size;
        if ((rc = ex_sha256_file(l->h, o->evidence, d, &size, &l->err)) != EX_OK) {
            json_decref(entry);
            return rc;
        }
        ex_digest_format(d, ev);
        json_object_set_new(entry, "evidence", json_string(ev));
    }
    uint8_t ed[EX_HASH_BYTES];
    rc = ex_ledger_log_record(l, EX_TAB_OPTOUTS, entry, NULL, index, ed);
    json_decref(entry);
    if (rc == EX_OK && digest)
        ex_digest_format(ed, digest);
    return rc;
}

int
ex_ledger_optouts_dup(ex_ledger *l, char **jsonl, size_t *len)
{
    return ex_ledger_records_dup(l, EX_TAB_OPTOUTS, jsonl, len);
}

/* ---- the evaluator, loaded from the ledger ---- */

typedef struct loading {
    ex_ledger *l;
    ex_peval *e;
    int rc;
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
                                                                          : 0;
    if (rc == EX_OK && sc && value)
        rc = ex_peval_add_optout(g->e, sc, value, dig, label);
    json_decref(o);
    return rc;
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
    json_t *o = json_loads(rec, 0, NULL);
    free(rec);
    const char *text = str(o, "text"), *dig = str(o, "digest");
    ex_policy_diag d;
    memset(&d, 0, sizeof d);
    if (!text || !dig || (rc = parse_checked(text, strlen(text), policy, &d)) != EX_OK) {
        json_decref(o);
        return ex_fail(&l->err, EX_EFORMAT, "the adopted policy does not parse any more: line %u: %s",
                       d.line, d.msg);
    }
    snprintf(digest, EX_DIGEST_STR_BYTES, "%s", dig);
    json_decref(o);
    ex_policy_err pe;
    if ((rc = ex_peval_new(*policy, out, &pe)) != EX_OK) {
        ex_policy_free(*policy);
        *policy = NULL;
        return ex_fail(&l->err, rc, "policy: line %u: %s", pe.line, pe.msg);
    }
    loading g = {l, *out, EX_OK};
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
        if (rc == EX_EFORMAT)
            return ex_fail(&l->err, rc, "a stored source, capture or opt-out record is malformed");
        return ex_ledger_fail_store(l, rc);
    }
    return EX_OK;
}
