/* captures.c - signal captures (exante signals add): robots.txt and tdmrep.json bodies,
 * logged per host and fetch time from WARC files or from single files, so that decisions can
 * be re-derived from them later (adopt.c loads them into the evaluator). */
#include "ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/instream.h"
#include "ingest/reader.h"
#include "policy/policy.h"
#include "signals/tdm.h"

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
        ex_err e = {0};
        char head[8];
        size_t got;
        if ((rc = ex_instream_head(path, head, sizeof head, &got, &l->err)) != EX_OK)
            return rc;
        if (got >= 7 && memcmp(head, "WARC/1.", 7) == 0) {
            sig_run r = {l, st, path, EX_OK};
            ex_reader_cb cb = {on_capture_item, NULL, &r, 0};
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
