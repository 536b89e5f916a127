/* bom.c - the facts read strictly for the documents (bom.h; exante.h ex_bom_dup), the helpers
 * the writers share, and the document written as canonical JSON. */
#include "bom.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading the facts ---- */

const char *
bom_s(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

uint64_t
bom_n(json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

/* o's members as spec says, "key:T" words: s string, z string or null, n count, a array,
 * o object, b boolean, x anything; EX_EFORMAT naming the first that is not so */
static int
need(bom *b, json_t *o, const char *where, const char *spec)
{
    if (b->rc != EX_OK)
        return b->rc;
    if (!json_is_object(o))
        return b->rc = ex_fail(b->err, EX_EFORMAT, "facts: %s: not an object", where);
    for (const char *p = spec; *p;) {
        const char *colon = strchr(p, ':');
        char k[64];
        size_t kl = (size_t)(colon - p);
        memcpy(k, p, kl);
        k[kl] = 0;
        char t = colon[1];
        json_t *v = json_object_get(o, k);
        int good = t == 's'   ? json_is_string(v)
                   : t == 'z' ? json_is_string(v) || json_is_null(v)
                   : t == 'n' ? json_is_integer(v) && json_integer_value(v) >= 0
                   : t == 'a' ? json_is_array(v)
                   : t == 'o' ? json_is_object(v)
                   : t == 'b' ? json_is_boolean(v)
                              : v != NULL;
        if (!good)
            return b->rc = ex_fail(b->err, EX_EFORMAT, "facts: %s.%s: %s", where, k,
                                   v ? "of the wrong type" : "missing");
        p = colon + 2;
        while (*p == ' ')
            p++;
    }
    return EX_OK;
}

/* every element of a (at where) as spec says */
static int
need_all(bom *b, json_t *a, const char *where, const char *spec)
{
    json_t *v;
    size_t i;
    char w[96];
    json_array_foreach(a, i, v) {
        snprintf(w, sizeof w, "%s[%zu]", where, i);
        if (json_is_string(v) && !*spec)
            continue;
        if (!*spec)
            return b->rc = ex_fail(b->err, EX_EFORMAT, "facts: %s: not a string", w);
        if (need(b, v, w, spec) != EX_OK)
            return b->rc;
    }
    return b->rc;
}

static int
check(bom *b)
{
    json_t *f = b->facts, *cp = json_object_get(f, "checkpoint"), *m = json_object_get(f, "model");
    if (need(b, f, "facts", "checkpoint:o model:x snapshots:a") != EX_OK ||
        need(b, cp, "checkpoint", "origin:s root:s size:n") != EX_OK)
        return b->rc;
    b->snaps = json_object_get(f, "snapshots");
    if (json_array_size(b->snaps) == 0)
        return b->rc = ex_fail(b->err, EX_EFORMAT, "facts: snapshots: empty");
    if (!json_is_null(m)) {
        b->model = m;
        if (need(b, m, "model", "id:s name:s kind:s log_index:n envelope:s finished:s "
                                "started:s retired:b subjects:a parents:a external_parents:a "
                                "policies:a snapshots:a code:x config:x") != EX_OK ||
            need_all(b, json_object_get(m, "subjects"), "model.subjects", "name:s sha256:s") ||
            need_all(b, json_object_get(m, "parents"), "model.parents",
                     "id:s name:s kind:s log_index:n finished:s envelope:s") ||
            need_all(b, json_object_get(m, "external_parents"), "model.external_parents", "") ||
            need_all(b, json_object_get(m, "policies"), "model.policies", ""))
            return b->rc;
        if (strncmp(bom_s(m, "id"), "sha256:", 7) != 0 || strlen(bom_s(m, "id")) != 71)
            return b->rc = ex_fail(b->err, EX_EFORMAT, "facts: model.id: not a digest");
    }
    json_t *s;
    size_t i;
    char w[64];
    json_array_foreach(b->snaps, i, s) {
        snprintf(w, sizeof w, "snapshots[%zu]", i);
        if (need(b, s, w, "name:s log_index:n log_size:n size:n root:s root_hex:s created:s "
                          "policies:a record_sha256:s members_sha256:s items:n bytes:n "
                          "license:s licenses:a sources:a fetched_first:z fetched_last:z "
                          "fetched_unknown:n from:z") != EX_OK ||
            need_all(b, json_object_get(s, "licenses"), w, "license:s items:n bytes:n") ||
            need_all(b, json_object_get(s, "sources"), w,
                     "name:s kind:z license:z items:n bytes:n") ||
            need_all(b, json_object_get(s, "policies"), w, ""))
            return b->rc;
    }
    return EX_OK;
}

/* ---- helpers ---- */

void
bom_put(bom *b, json_t *o, const char *k, json_t *v)
{
    if (!v || !o || json_object_set_new(o, k, v) != 0) {
        if (b->rc == EX_OK)
            b->rc = ex_fail(b->err, EX_ENOMEM, "out of memory");
    }
}

void
bom_push(bom *b, json_t *a, json_t *v)
{
    if (!v || !a || json_array_append_new(a, v) != 0) {
        if (b->rc == EX_OK)
            b->rc = ex_fail(b->err, EX_ENOMEM, "out of memory");
    }
}

static const char *
vfmt(bom *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    char *t = n >= 0 ? malloc((size_t)n + 1) : NULL;
    json_t *s = NULL;
    int made = t != NULL;
    if (t) {
        vsnprintf(t, (size_t)n + 1, fmt, ap);
        s = json_stringn(t, (size_t)n); /* NULL for text that is not UTF-8 */
    }
    free(t);
    if (!s || json_array_append_new(b->pool, s) != 0) {
        if (b->rc == EX_OK)
            b->rc = ex_fail(b->err, made && !s ? EX_EINVAL : EX_ENOMEM, "cannot make a string");
        return "";
    }
    return json_string_value(s);
}

const char *
bom_fmt(bom *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *s = vfmt(b, fmt, ap);
    va_end(ap);
    return s;
}

json_t *
bom_jfmt(bom *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *s = vfmt(b, fmt, ap);
    va_end(ap);
    return json_string(s);
}

const char *
bom_enc(bom *b, const char *s)
{
    ex_buf t = {0};
    int rc = ex_buf_puts(&t, "");
    for (const unsigned char *p = (const unsigned char *)s; rc == EX_OK && *p; p++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        rc = keep ? ex_buf_putc(&t, (char)*p) : ex_buf_printf(&t, "%%%02X", *p);
    }
    const char *r = rc == EX_OK ? bom_fmt(b, "%s", t.data) : "";
    if (rc != EX_OK && b->rc == EX_OK)
        b->rc = ex_fail(b->err, EX_ENOMEM, "out of memory");
    ex_buf_free(&t);
    return r;
}

void
bom_uuid(const bom *b, const char *salt, char out[46])
{
    uint8_t d[EX_HASH_BYTES];
    ex_sha256 *h = NULL;
    memset(d, 0, sizeof d);
    if (ex_sha256_new(&h) == EX_OK && ex_sha256_begin(h) == EX_OK &&
        ex_sha256_update(h, salt, strlen(salt) + 1) == EX_OK &&
        ex_sha256_update(h, b->digest, EX_HASH_BYTES) == EX_OK)
        (void)ex_sha256_end(h, d);
    ex_sha256_free(h);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x80); /* version 8: custom */
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* variant 10 */
    char hex[33];
    ex_hex_encode(d, 16, hex);
    snprintf(out, 46, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
}

int
bom_listed_id(const char *e)
{
    return *e && !strpbrk(e, " ()+:") && strncmp(e, "LicenseRef-", 11) != 0 &&
           strcmp(e, "NONE") != 0 && strcmp(e, "NOASSERTION") != 0;
}

const char *
bom_snap_iri(bom *b, json_t *s)
{
    return bom_fmt(b, "%s/v1/snapshots/%s", b->base, bom_enc(b, bom_s(s, "name")));
}

/* ---- the document ---- */

int
ex_bom_format(const char *name)
{
    return !name                              ? 0
           : strcmp(name, "spdx") == 0        ? EX_BOM_SPDX
           : strcmp(name, "cyclonedx") == 0   ? EX_BOM_CYCLONEDX
           : strcmp(name, "croissant") == 0   ? EX_BOM_CROISSANT
                                              : 0;
}

int
ex_bom_dup(int format, const char *facts, size_t len, char **doc, size_t *dlen, ex_err *err)
{
    if (!facts || !doc || format < EX_BOM_SPDX || format > EX_BOM_CROISSANT)
        return ex_fail(err, EX_EINVAL, "export: no facts, no output or an unknown format");
    json_error_t je;
    bom b = {.err = err, .rc = EX_OK};
    json_t *out = NULL;
    if (!(b.facts = json_loadb(facts, len, JSON_REJECT_DUPLICATES, &je)))
        return ex_fail(err, EX_EFORMAT, "facts: line %d, column %d: %s", je.line, je.column,
                       je.text);
    if (!(b.pool = json_array()))
        b.rc = ex_fail(err, EX_ENOMEM, "out of memory");
    ex_sha256 *h = NULL;
    if (b.rc == EX_OK && (ex_sha256_new(&h) != EX_OK ||
                          ex_sha256_digest(h, facts, len, b.digest) != EX_OK))
        b.rc = ex_fail(err, EX_ECRYPTO, "cannot hash");
    ex_sha256_free(h);
    if (b.rc == EX_OK && check(&b) == EX_OK) {
        b.origin = bom_s(json_object_get(b.facts, "checkpoint"), "origin");
        /* an origin is a schema-less URL (C2SP): its slashes stay, the rest is encoded */
        ex_buf u = {0};
        int rc = ex_buf_puts(&u, "https://");
        for (const char *p = b.origin; rc == EX_OK && *p; p++)
            rc = *p == '/' ? ex_buf_putc(&u, '/') : ex_buf_puts(&u, bom_enc(&b, (char[]){*p, 0}));
        if (rc == EX_OK && u.len > 8 && u.data[u.len - 1] == '/')
            u.data[--u.len] = 0;
        b.base = rc == EX_OK ? bom_fmt(&b, "%s", u.data) : "";
        ex_buf_free(&u);
        if (b.model) {
            b.subject = bom_fmt(&b, "%s/v1/models/%s", b.base, bom_s(b.model, "id") + 7);
            b.when = bom_s(b.model, "finished");
        } else {
            b.subject = bom_snap_iri(&b, json_array_get(b.snaps, 0));
            b.when = bom_s(json_array_get(b.snaps, 0), "created");
        }
        if (b.rc == EX_OK)
            b.rc = format == EX_BOM_SPDX        ? bom_spdx(&b, &out)
                   : format == EX_BOM_CYCLONEDX ? bom_cyclonedx(&b, &out)
                                                : bom_croissant(&b, &out);
    }
    ex_err e = {0};
    int rc = b.rc;
    if (rc == EX_OK && (rc = ex_json_canonical_dup(out, doc, dlen, &e)) != EX_OK)
        ex_fail(err, rc, "export: %s", e.msg);
    json_decref(out);
    json_decref(b.facts);
    json_decref(b.pool);
    return rc;
}
