/* optouts.c - opt-outs (exante optout add|list): a rights holder's reservation by URL
 * prefix, domain, content digest, work (its digest and the fingerprint of its text, for its
 * near copies) or ISCC Text-Code, logged (adopt.c loads them into the evaluator). */
#include "ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/near.h"
#include "dedup/text.h"
#include "policy/policy.h"

/* The fingerprint of a work's text ({"bands","k","value": hex}) with the current policy's
 * MinHash parameters; *out NULL when it has no text (text: read it as plain text). */
static int
text_fingerprint(ex_ledger *l, const char *data, size_t len, int text, json_t **out)
{
    *out = NULL;
    unsigned k, bands;
    double near;
    int rc = ex_ledger_near_params(l, &k, &bands, &near);
    if (rc != EX_OK)
        return rc;
    int kind = text ? EX_TEXT_PLAIN : ex_text_kind((const uint8_t *)data, len, NULL);
    ex_near *nr = NULL;
    ex_buf t = {0};
    uint64_t *sig = malloc(EX_NEAR_K_MAX * sizeof *sig), shingles = 0;
    uint8_t fp[EX_NEAR_K_MAX];
    if (!sig)
        rc = EX_ENOMEM;
    if (rc == EX_OK && kind != EX_TEXT_NONE &&
        (rc = ex_text_of((const uint8_t *)data, len, kind, &t)) == EX_OK &&
        (rc = ex_near_new(k, bands, &nr)) == EX_OK &&
        (rc = ex_near_signature(nr, t.data ? t.data : "", t.len, sig, &shingles)) == EX_OK &&
        shingles) {
        ex_near_fingerprint(nr, sig, fp);
        char hex[2 * EX_NEAR_K_MAX + 1];
        for (unsigned i = 0; i < k; i++)
            snprintf(hex + 2 * i, 3, "%02x", fp[i]);
        *out = json_pack("{s:I,s:I,s:s}", "bands", (json_int_t)bands, "k", (json_int_t)k,
                         "value", hex);
        if (!*out)
            rc = EX_ENOMEM;
    }
    if (rc == EX_ENOMEM)
        ex_fail(&l->err, rc, "out of memory");
    free(sig);
    ex_near_free(nr);
    ex_buf_free(&t);
    return rc;
}

/* The same for the file at path. */
static int
work_fingerprint(ex_ledger *l, const char *path, int text, json_t **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ex_fail(&l->err, EX_EIO, "cannot open '%s': %s", path, strerror(errno));
    ex_buf b = {0};
    char chunk[65536];
    size_t n;
    int rc = EX_OK;
    while (rc == EX_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = ex_buf_put(&b, chunk, n);
    if (ferror(f) && rc == EX_OK)
        rc = ex_fail(&l->err, EX_EIO, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    if (rc == EX_ENOMEM)
        ex_fail(&l->err, rc, "out of memory");
    if (rc == EX_OK)
        rc = text_fingerprint(l, b.data ? b.data : "", b.len, text, out);
    ex_buf_free(&b);
    return rc;
}

int
ex_ledger_optout_entry(ex_ledger *l, const ex_optout_opts *o, json_t **out)
{
    *out = NULL;
    const char *scope = NULL, *value = NULL;
    char v[300];
    int given = !!o->url_prefix + !!o->domain + !!o->digest + !!o->work + !!o->text_file +
                !!o->iscc + !!o->work_text;
    if (given != 1)
        return ex_fail(&l->err, EX_EINVAL, "give exactly one of --url-prefix, --domain, "
                                           "--digest, --work, --text-file, --iscc");
    json_t *fp = NULL;
    uint64_t code;
    char host[256];
    int rc = EX_OK;
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
    } else if (o->iscc) {
        if (ex_iscc_text64(o->iscc, &code, &l->err) != EX_OK)
            return ex_fail(&l->err, EX_EINVAL, "--iscc: %s", l->err.msg);
        if (o->distance > 64)
            return ex_fail(&l->err, EX_EINVAL, "--distance must be 0 to 64");
        scope = "iscc", value = o->iscc;
    } else {
        /* a work: its digest, and the fingerprint of its text for its near copies */
        uint8_t d[EX_HASH_BYTES];
        uint64_t size;
        if (o->work_text) {
            rc = ex_sha256_digest(l->h, o->work_text, o->work_text_len, d);
            if (rc == EX_OK)
                rc = text_fingerprint(l, o->work_text, o->work_text_len, 1, &fp);
        } else {
            const char *path = o->work ? o->work : o->text_file;
            rc = ex_sha256_file(l->h, path, d, &size, &l->err);
            if (rc == EX_OK)
                rc = work_fingerprint(l, path, !o->work, &fp);
        }
        if (rc != EX_OK)
            return rc;
        ex_digest_format(d, v);
        scope = "work", value = v;
    }
    char now[32], ev[EX_DIGEST_STR_BYTES];
    ex_time_now(now);
    json_t *entry = json_object();
    if (!entry) {
        json_decref(fp);
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    json_object_set_new(entry, "type", json_string("optout"));
    json_object_set_new(entry, "scope", json_string(scope));
    json_object_set_new(entry, "value", json_string(value));
    json_object_set_new(entry, "logged", json_string(now));
    if (o->holder) {
        json_t *h = json_string(o->holder);
        if (!h) {
            json_decref(entry);
            json_decref(fp);
            return ex_fail(&l->err, EX_EINVAL, "--holder must be UTF-8 text");
        }
        json_object_set_new(entry, "holder", h);
    }
    if (o->work || o->text_file)
        json_object_set_new(entry, "work", json_string(o->work ? o->work : o->text_file));
    if (fp)
        json_object_set_new(entry, "fingerprint", fp);
    if (o->near > 0)
        json_object_set_new(entry, "near", json_integer((json_int_t)(o->near * 1000 + 0.5)));
    if (o->iscc)
        json_object_set_new(entry, "distance",
                            json_integer(o->distance >= 0 ? o->distance : EX_ISCC_DISTANCE_DEFAULT));
    if (o->has_request)
        json_object_set_new(entry, "request", json_integer((json_int_t)o->request));
    if (o->evidence) {
        uint8_t d[EX_HASH_BYTES];
        uint64_t size;
        if ((rc = ex_sha256_file(l->h, o->evidence, d, &size, &l->err)) != EX_OK) {
            json_decref(entry);
            return rc;
        }
        ex_digest_format(d, ev);
        json_object_set_new(entry, "evidence", json_string(ev));
    } else if (o->evidence_digest) {
        uint8_t d[EX_HASH_BYTES];
        if (ex_digest_parse(o->evidence_digest, d) != EX_OK) {
            json_decref(entry);
            return ex_fail(&l->err, EX_EINVAL, "an evidence digest must be sha256:<64 hex>");
        }
        ex_digest_format(d, ev);
        json_object_set_new(entry, "evidence", json_string(ev));
    }
    *out = entry;
    return EX_OK;
}

int
ex_ledger_optout_add(ex_ledger *l, const ex_optout_opts *o, uint64_t *index, char digest[EX_DIGEST_STR_BYTES])
{
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    json_t *entry;
    int rc = ex_ledger_optout_entry(l, o, &entry);
    if (rc != EX_OK)
        return rc;
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
