/* optouts.c - opt-outs (exante optout add|list): a rights holder's reservation by URL
 * prefix, domain, content digest or work, logged (adopt.c loads them into the evaluator). */
#include "ledger.h"

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

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
