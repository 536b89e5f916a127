/* subparse.c - reading a submission's body and a receipt's text (submission.h): no ledger,
 * so the fuzz target runs them alone. */
#include "ledger/submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* the value of key k of o as a string of at most max bytes; NULL if absent. EX_EINVAL for
 * another type or length */
static int
str_field(json_t *o, const char *k, size_t max, int required, const char **out, ex_err *err)
{
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if (!v)
        return required ? ex_fail(err, EX_EINVAL, "'%s' is missing", k) : EX_OK;
    if (!json_is_string(v))
        return ex_fail(err, EX_EINVAL, "'%s' must be a string", k);
    size_t n = json_string_length(v);
    if (n == 0 || n > max)
        return ex_fail(err, EX_EINVAL, "'%s' must be 1 to %zu bytes long", k, max);
    if (memchr(json_string_value(v), 0, n))
        return ex_fail(err, EX_EINVAL, "'%s' holds a NUL character", k);
    *out = json_string_value(v);
    return EX_OK;
}

/* EX_EINVAL naming the first key of o that is not in the NULL-terminated list `known` */
static int
only_keys(json_t *o, const char *const *known, const char *where, ex_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], k) != 0)
            i++;
        if (!known[i])
            return ex_fail(err, EX_EINVAL, "unknown key '%s'%s", k, where);
    }
    return EX_OK;
}

/* an integer key of o in [lo, hi] into *out (unchanged if absent) */
static int
int_field(json_t *o, const char *k, int lo, int hi, int *out, ex_err *err)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return EX_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return ex_fail(err, EX_EINVAL, "'%s' must be an integer from %d to %d", k, lo, hi);
    *out = (int)json_integer_value(v);
    return EX_OK;
}

/* d is a digest in its one spelling: sha256: and 64 lowercase hex digits */
static int
digest_ok(const char *d)
{
    uint8_t h[EX_HASH_BYTES];
    char again[EX_DIGEST_STR_BYTES];
    if (strlen(d) != EX_DIGEST_STR_LEN || ex_digest_parse(d, h) != EX_OK)
        return 0;
    ex_digest_format(h, again);
    return strcmp(again, d) == 0;
}

static int
scope(json_t *sc, ex_submission *s, ex_err *err)
{
    static const char *const known[] = {"url_prefix", "domain", "digest", "iscc", "text",
                                        "near", "distance", NULL};
    if (!json_is_object(sc))
        return ex_fail(err, EX_EINVAL, "'scope' must be an object");
    int rc = only_keys(sc, known, " in 'scope'", err);
    if (rc == EX_OK)
        rc = str_field(sc, "url_prefix", 2048, 0, &s->url_prefix, err);
    if (rc == EX_OK)
        rc = str_field(sc, "domain", 253, 0, &s->domain, err);
    if (rc == EX_OK)
        rc = str_field(sc, "digest", EX_DIGEST_STR_LEN, 0, &s->digest, err);
    if (rc == EX_OK)
        rc = str_field(sc, "iscc", 128, 0, &s->iscc, err);
    if (rc == EX_OK)
        rc = str_field(sc, "text", EX_SUBMISSION_MAX, 0, &s->text, err);
    if (rc == EX_OK)
        rc = int_field(sc, "near", 1, 1000, &s->near, err);
    if (rc == EX_OK)
        rc = int_field(sc, "distance", 0, 64, &s->distance, err);
    if (rc != EX_OK)
        return rc;
    if (!!s->url_prefix + !!s->domain + !!s->digest + !!s->iscc + !!s->text != 1)
        return ex_fail(err, EX_EINVAL, "'scope' must hold exactly one of url_prefix, domain, "
                                       "digest, iscc, text");
    if (s->text)
        s->text_len = json_string_length(json_object_get(sc, "text"));
    if (s->near && !s->text)
        return ex_fail(err, EX_EINVAL, "'near' goes with a work's 'text' only");
    if (s->distance >= 0 && !s->iscc)
        return ex_fail(err, EX_EINVAL, "'distance' goes with an 'iscc' code only");
    char host[256];
    if (s->url_prefix && !ex_url_host(s->url_prefix, host))
        return ex_fail(err, EX_EINVAL, "'url_prefix' is not an http(s) URL");
    if (s->digest && !digest_ok(s->digest))
        return ex_fail(err, EX_EINVAL, "'digest' must be sha256:<64 lowercase hex>");
    return EX_OK;
}

static int
subject(json_t *sj, ex_submission *s, ex_err *err)
{
    static const char *const known[] = {"digest", "url", "model", "optout", NULL};
    if (!json_is_object(sj))
        return ex_fail(err, EX_EINVAL, "'subject' must be an object");
    const char *d = NULL, *u = NULL, *m = NULL;
    int o = -1;
    int rc = only_keys(sj, known, " in 'subject'", err);
    if (rc == EX_OK)
        rc = str_field(sj, "digest", EX_DIGEST_STR_LEN, 0, &d, err);
    if (rc == EX_OK)
        rc = str_field(sj, "url", 2048, 0, &u, err);
    if (rc == EX_OK)
        rc = str_field(sj, "model", 256, 0, &m, err);
    if (rc == EX_OK)
        rc = int_field(sj, "optout", 0, 2147483647, &o, err);
    if (rc != EX_OK)
        return rc;
    if (!!d + !!u + !!m + (o >= 0) != 1)
        return ex_fail(err, EX_EINVAL, "'subject' must hold exactly one of digest, url, model, "
                                       "optout");
    if (d && !digest_ok(d))
        return ex_fail(err, EX_EINVAL, "'subject.digest' must be sha256:<64 lowercase hex>");
    char host[256];
    if (u && !ex_url_host(u, host))
        return ex_fail(err, EX_EINVAL, "'subject.url' is not an http(s) URL");
    s->subject = sj;
    return EX_OK;
}

static int
evidence(json_t *ev, ex_submission *s, ex_err *err)
{
    static const char *const known[] = {"digest", "base64", "name", NULL};
    const char *b64 = NULL, *name = NULL;
    if (!json_is_object(ev))
        return ex_fail(err, EX_EINVAL, "'evidence' must be an object");
    int rc = only_keys(ev, known, " in 'evidence'", err);
    if (rc == EX_OK)
        rc = str_field(ev, "digest", EX_DIGEST_STR_LEN, 0, &s->evidence_digest, err);
    if (rc == EX_OK)
        rc = str_field(ev, "base64", EX_SUBMISSION_MAX, 0, &b64, err);
    if (rc == EX_OK)
        rc = str_field(ev, "name", EX_SUB_FIELD_MAX, 0, &name, err);
    if (rc != EX_OK)
        return rc;
    if (!!s->evidence_digest + !!b64 != 1)
        return ex_fail(err, EX_EINVAL, "'evidence' must hold one of digest, base64");
    if (s->evidence_digest && !digest_ok(s->evidence_digest))
        return ex_fail(err, EX_EINVAL, "'evidence.digest' must be sha256:<64 lowercase hex>");
    if (b64) {
        size_t n = strlen(b64), cap = n / 4 * 3 + 3;
        if (!(s->evidence_data = malloc(cap)))
            return ex_fail(err, EX_ENOMEM, "out of memory");
        if (ex_b64_decode(b64, n, s->evidence_data, cap, &s->evidence_len) != EX_OK)
            return ex_fail(err, EX_EINVAL, "'evidence.base64' is not base64");
    }
    return EX_OK;
}

int
ex_submission_parse(const char *kind, const char *body, size_t len, ex_submission *s,
                    ex_err *err)
{
    static const char *const optout_keys[] = {"holder", "contact", "scope", "evidence", "note",
                                              NULL};
    static const char *const complaint_keys[] = {"name", "contact", "subject", "message",
                                                 "evidence", NULL};
    memset(s, 0, sizeof *s);
    s->distance = -1;
    if (!kind || (strcmp(kind, "optout") != 0 && strcmp(kind, "complaint") != 0))
        return ex_fail(err, EX_EINVAL, "unknown kind of submission");
    s->optout = kind[0] == 'o';
    if (len > EX_SUBMISSION_MAX)
        return ex_fail(err, EX_EINVAL, "the body is over %u bytes", EX_SUBMISSION_MAX);
    json_error_t je;
    s->body = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!s->body)
        return ex_fail(err, EX_EINVAL, "line %d, column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(s->body))
        return ex_fail(err, EX_EINVAL, "the body must be a JSON object");
    const char *contact, *note;
    int rc = only_keys(s->body, s->optout ? optout_keys : complaint_keys, "", err);
    if (rc == EX_OK)
        rc = str_field(s->body, "contact", EX_SUB_FIELD_MAX, 1, &contact, err);
    if (rc == EX_OK)
        rc = str_field(s->body, s->optout ? "holder" : "name", EX_SUB_FIELD_MAX, s->optout,
                       &s->holder, err);
    if (rc == EX_OK)
        rc = str_field(s->body, s->optout ? "note" : "message",
                       s->optout ? EX_SUB_NOTE_MAX : EX_SUB_MESSAGE_MAX, !s->optout, &note, err);
    if (rc == EX_OK && s->optout) {
        json_t *sc = json_object_get(s->body, "scope");
        rc = sc ? scope(sc, s, err) : ex_fail(err, EX_EINVAL, "'scope' is missing");
    }
    if (rc == EX_OK && !s->optout && json_object_get(s->body, "subject"))
        rc = subject(json_object_get(s->body, "subject"), s, err);
    if (rc == EX_OK && json_object_get(s->body, "evidence"))
        rc = evidence(json_object_get(s->body, "evidence"), s, err);
    return rc;
}

void
ex_submission_free(ex_submission *s)
{
    json_decref(s->body);
    free(s->evidence_data);
    memset(s, 0, sizeof *s);
}

/* the line of text[*at..end) into line (NUL-terminated, at most cap - 1 bytes); 0 at the end */
static int
next_line(const char *text, size_t len, size_t *at, char *line, size_t cap)
{
    if (*at >= len)
        return 0;
    const char *nl = memchr(text + *at, '\n', len - *at);
    size_t n = nl ? (size_t)(nl - (text + *at)) : len - *at;
    if (n >= cap || !nl)
        return -1;
    memcpy(line, text + *at, n);
    line[n] = 0;
    *at += n + 1;
    return memchr(line, 0, n) ? -1 : 1;
}

int
ex_receipt_text_parse(const char *text, size_t len, char **json, size_t *jlen, ex_err *err)
{
    static const char *const keys[] = {"origin", "kind", "id", "submission", "received",
                                       "include-by"};
    char line[600], *val[6] = {0};
    size_t at = 0;
    int n = 0, rc = EX_OK, r;
    *json = NULL;
    if ((r = next_line(text, len, &at, line, sizeof line)) != 1 ||
        strcmp(line, EX_RECEIPT_HEADER) != 0)
        return ex_fail(err, EX_EFORMAT, "line 1: not a receipt (want '%s')", EX_RECEIPT_HEADER);
    for (n = 0; rc == EX_OK && n < 6; n++) {
        size_t kl = strlen(keys[n]);
        if (next_line(text, len, &at, line, sizeof line) != 1 ||
            strncmp(line, keys[n], kl) != 0 || line[kl] != ' ' || !line[kl + 1])
            rc = ex_fail(err, EX_EFORMAT, "line %d: want '%s VALUE'", n + 2, keys[n]);
        else if (!(val[n] = strdup(line + kl + 1)))
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
    }
    uint64_t id = 0;
    int64_t t;
    if (rc == EX_OK && at != len)
        rc = ex_fail(err, EX_EFORMAT, "line 8: the receipt has more lines than it should");
    if (rc == EX_OK && strcmp(val[1], "optout") != 0 && strcmp(val[1], "complaint") != 0)
        rc = ex_fail(err, EX_EFORMAT, "line 3: unknown kind '%s'", val[1]);
    /* every value in the one spelling exante writes: a receipt is compared byte for byte */
    for (int i = 0; rc == EX_OK && i < 6; i++)
        for (const char *p = val[i]; rc == EX_OK && *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                rc = ex_fail(err, EX_EFORMAT, "line %d: a control character", i + 2);
    if (rc == EX_OK) {
        char *end;
        id = strtoull(val[2], &end, 10);
        if (*end || val[2][0] < '0' || val[2][0] > '9' || strlen(val[2]) > 16 ||
            (val[2][0] == '0' && val[2][1]) || id > 9007199254740991ULL)
            rc = ex_fail(err, EX_EFORMAT, "line 4: the id is not a log index");
    }
    if (rc == EX_OK && !digest_ok(val[3]))
        rc = ex_fail(err, EX_EFORMAT, "line 5: the submission is not sha256:<64 lowercase hex>");
    for (int i = 4; rc == EX_OK && i < 6; i++) {
        char again[32];
        if (ex_time_parse(val[i], &t) == EX_OK)
            ex_time_format(t, again);
        else
            again[0] = 0;
        if (strcmp(again, val[i]) != 0)
            rc = ex_fail(err, EX_EFORMAT, "line %d: '%s' is not an RFC 3339 UTC time to the "
                         "second", i + 2, val[i]);
    }
    json_t *o = NULL;
    if (rc == EX_OK) {
        o = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "origin", val[0], "kind", val[1], "id",
                      (json_int_t)id, "submission", val[3], "received", val[4], "include_by",
                      val[5]);
        if (!o)
            rc = ex_fail(err, EX_EFORMAT, "the receipt's lines are not UTF-8");
    }
    if (rc == EX_OK)
        rc = ex_json_canonical_dup(o, json, jlen, err);
    json_decref(o);
    for (int i = 0; i < 6; i++)
        free(val[i]);
    return rc;
}
