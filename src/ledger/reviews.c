/* reviews.c - what became of a submission (submissions.c): its review, the opt-out it led
 * to, its inclusion proof; and the review itself (exante optout review ID accept|reject).
 * Submissions are few (rate-limited writes), so each answer reads the table through. */
#include "ledger.h"
#include "ledger/submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A submission's row, its review's and its opt-out's, found by one pass over each table. */
typedef struct found {
    uint64_t id;
    json_t *row;     /* the submission's row (entry + body), or NULL */
    json_t *review;  /* its review's entry, or NULL */
    uint64_t review_index;
    int64_t optout;  /* the log index of the opt-out naming it as request; -1: none */
    int rc;
} found;

static int
visit_sub(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    found *f = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o)
        return EX_EFORMAT;
    const char *t = json_string_value(json_object_get(o, "type"));
    json_t *ref = json_object_get(o, "submission");
    if (t && strcmp(t, "submission") == 0 && (uint64_t)key == f->id) {
        json_decref(f->row);
        f->row = o;
        return EX_OK;
    }
    if (t && strcmp(t, "review") == 0 && json_is_integer(ref) &&
        (uint64_t)json_integer_value(ref) == f->id) {
        json_decref(f->review);
        f->review = o;
        f->review_index = (uint64_t)key;
        return EX_OK;
    }
    json_decref(o);
    return EX_OK;
}

static int
visit_optout(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    found *f = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    json_t *r = json_object_get(o, "request");
    if (json_is_integer(r) && (uint64_t)json_integer_value(r) == f->id)
        f->optout = key;
    json_decref(o);
    return EX_OK;
}

static int
find(ex_ledger *l, uint64_t id, found *f)
{
    memset(f, 0, sizeof *f);
    f->id = id;
    f->optout = -1;
    if (l->st->schema < 9)
        return ex_fail(&l->err, EX_ENOTFOUND, "no submission %llu", (unsigned long long)id);
    int rc = l->st->ops->rec_scan(l->st, EX_TAB_SUBMISSIONS, 1, UINT64_MAX, visit_sub, f);
    if (rc == EX_OK)
        rc = l->st->ops->rec_scan(l->st, EX_TAB_OPTOUTS, 1, UINT64_MAX, visit_optout, f);
    if (rc == EX_EFORMAT)
        return ex_fail(&l->err, rc, "a submission row is not JSON");
    if (rc != EX_OK)
        return ex_ledger_fail_store(l, rc);
    if (!f->row)
        return ex_fail(&l->err, EX_ENOTFOUND, "no submission %llu", (unsigned long long)id);
    return EX_OK;
}

static void
found_free(found *f)
{
    json_decref(f->row);
    json_decref(f->review);
}

static const char *
status_of(const found *f)
{
    const char *kind = json_string_value(json_object_get(f->row, "kind"));
    if (f->review)
        return strcmp(json_string_value(json_object_get(f->review, "decision")), "accept") == 0
                   ? "accepted"
                   : "rejected";
    if (f->optout >= 0)
        return "accepted";
    return kind && strcmp(kind, "complaint") == 0 ? "received" : "unverified";
}

/* The view of f (submission.h's ex_ledger_submission_dup); proof: add the inclusion proof. */
static json_t *
view(ex_ledger *l, const found *f, int private_, int proof, int *rc)
{
    json_t *entry = json_deep_copy(f->row);
    json_t *body = json_object_get(f->row, "body");
    json_object_del(entry, "body");
    json_t *v = json_pack("{s:I,s:O,s:O,s:s,s:O,s:O,s:O}", "id", (json_int_t)f->id, "kind",
                          json_object_get(entry, "kind"), "trust", json_object_get(entry, "trust"),
                          "status", status_of(f), "received", json_object_get(entry, "received"),
                          "submission", json_object_get(entry, "submission"), "entry", entry);
    json_decref(entry);
    *rc = EX_OK;
    if (!v) {
        *rc = ex_fail(&l->err, EX_EFORMAT, "submission %llu: its row lacks a field",
                      (unsigned long long)f->id);
        return NULL;
    }
    if (json_object_get(f->row, "partner"))
        json_object_set(v, "partner", json_object_get(f->row, "partner"));
    if (f->review) {
        json_t *r = json_deep_copy(f->review);
        json_object_set_new(r, "index", json_integer((json_int_t)f->review_index));
        json_object_set_new(v, "review", r);
    }
    if (f->optout >= 0)
        json_object_set_new(v, "optout", json_integer(f->optout));
    if (private_ && json_is_string(body)) {
        json_t *b = json_loadb(json_string_value(body), json_string_length(body), 0, NULL);
        if (b)
            json_object_set_new(v, "body", b);
    }
    if (proof) {
        char *doc = NULL;
        size_t dlen;
        json_t *p = NULL;
        if ((*rc = ex_log_inclusion_doc_dup(l->log, f->id, 0, &doc, &dlen)) != EX_OK)
            ex_ledger_fail_log(l, *rc);
        else if (!(p = json_loadb(doc, dlen, 0, NULL)))
            *rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        free(doc);
        if (*rc != EX_OK) {
            json_decref(v);
            return NULL;
        }
        json_object_set_new(v, "proof", p);
    }
    return v;
}

int
ex_ledger_submission_dup(ex_ledger *l, uint64_t id, const char *kind, int private_, char **json,
                         size_t *jlen)
{
    ex_err_clear(&l->err);
    *json = NULL;
    found f;
    int rc = find(l, id, &f);
    const char *k = rc == EX_OK ? json_string_value(json_object_get(f.row, "kind")) : NULL;
    if (rc == EX_OK && kind && (!k || strcmp(k, kind) != 0))
        rc = ex_fail(&l->err, EX_ENOTFOUND, "submission %llu is not a%s %s",
                     (unsigned long long)id, kind[0] == 'o' ? "n" : "", kind);
    json_t *v = rc == EX_OK ? view(l, &f, private_, 1, &rc) : NULL;
    if (rc == EX_OK)
        rc = ex_json_canonical_dup(v, json, jlen, &l->err);
    json_decref(v);
    found_free(&f);
    return rc;
}

typedef struct listing {
    const char *kind;
    uint64_t *ids;
    size_t n, cap;
} listing;

/* the submissions of the kind asked (their ids), collected first: a scan may not nest in
 * another of its table, and find scans it */
static int
list_id(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    listing *g = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    const char *t = json_string_value(json_object_get(o, "type"));
    const char *k = json_string_value(json_object_get(o, "kind"));
    int want = t && strcmp(t, "submission") == 0 && k && (!g->kind || strcmp(k, g->kind) == 0);
    json_decref(o);
    if (!want)
        return EX_OK;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        uint64_t *v = realloc(g->ids, cap * sizeof *v);
        if (!v)
            return EX_ENOMEM;
        g->ids = v, g->cap = cap;
    }
    g->ids[g->n++] = (uint64_t)key;
    return EX_OK;
}

int
ex_ledger_submissions_dup(ex_ledger *l, const char *kind, const char *status, char **jsonl,
                          size_t *len)
{
    ex_err_clear(&l->err);
    listing g = {kind, NULL, 0, 0};
    ex_buf out = {0};
    int rc = l->st->schema < 9 ? EX_OK
                               : l->st->ops->rec_scan(l->st, EX_TAB_SUBMISSIONS, 1, UINT64_MAX,
                                                      list_id, &g);
    if (rc == EX_ENOMEM)
        ex_fail(&l->err, rc, "out of memory");
    else if (rc != EX_OK)
        ex_ledger_fail_store(l, rc);
    for (size_t i = 0; rc == EX_OK && i < g.n; i++) {
        found f;
        json_t *v = NULL;
        char *line = NULL;
        size_t n = 0;
        if ((rc = find(l, g.ids[i], &f)) == EX_OK)
            v = view(l, &f, 1, 0, &rc);
        if (v && (!status || strcmp(status_of(&f), status) == 0) &&
            (rc = ex_json_canonical_dup(v, &line, &n, &l->err)) == EX_OK &&
            (ex_buf_put(&out, line, n) != EX_OK || ex_buf_put(&out, "\n", 1) != EX_OK))
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        free(line);
        json_decref(v);
        found_free(&f);
    }
    free(g.ids);
    if (rc != EX_OK) {
        ex_buf_free(&out);
        return rc;
    }
    if (!(*jsonl = ex_buf_take(&out, len)) && !(*jsonl = calloc(1, 1)))
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

typedef struct reviewing {
    found *f;
    int accept;
    const char *reason;
    json_t *entry;
    uint64_t index, optout;
    int has_optout;
} reviewing;

static int
review_in_tx(ex_ledger *l, void *ctx)
{
    reviewing *r = ctx;
    int rc = ex_ledger_log_record(l, EX_TAB_SUBMISSIONS, r->entry, NULL, &r->index, NULL);
    const char *kind = json_string_value(json_object_get(r->f->row, "kind"));
    if (rc != EX_OK || !r->accept || !kind || strcmp(kind, "optout") != 0)
        return rc;
    /* the opt-out the request asked for: its checked entry, with the holder it names */
    json_t *body = json_object_get(r->f->row, "body");
    ex_submission s;
    ex_optout_opts oo;
    json_t *oe = NULL;
    char ev[EX_DIGEST_STR_BYTES];
    rc = ex_submission_parse("optout", json_string_value(body), json_string_length(body), &s,
                             &l->err);
    if (rc == EX_OK && (rc = ex_submission_optout(l, &s, &oo, ev)) == EX_OK) {
        oo.has_request = 1, oo.request = r->f->id;
        rc = ex_ledger_optout_entry(l, &oo, &oe);
    }
    if (rc == EX_OK)
        rc = ex_ledger_log_record(l, EX_TAB_OPTOUTS, oe, NULL, &r->optout, NULL);
    r->has_optout = rc == EX_OK;
    json_decref(oe);
    ex_submission_free(&s);
    return rc;
}

int
ex_ledger_review(ex_ledger *l, uint64_t id, int accept, const char *reason, char **json,
                 size_t *jlen)
{
    ex_err_clear(&l->err);
    *json = NULL;
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    found f;
    int rc = find(l, id, &f);
    if (rc == EX_OK && (f.review || f.optout >= 0))
        rc = ex_fail(&l->err, EX_EEXIST, "submission %llu was %s already", (unsigned long long)id,
                     status_of(&f));
    char now[32];
    ex_time_now(now);
    reviewing r = {&f, accept, reason, NULL, 0, 0, 0};
    if (rc == EX_OK) {
        r.entry = json_pack("{s:s,s:I,s:s,s:s}", "type", "review", "submission", (json_int_t)id,
                            "decision", accept ? "accept" : "reject", "reviewed", now);
        if (r.entry && reason && json_object_set_new(r.entry, "reason", json_string(reason)))
            rc = ex_fail(&l->err, EX_EINVAL, "the reason must be UTF-8 text");
        else if (!r.entry)
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    if (rc == EX_OK)
        rc = ex_ledger_atomic(l, review_in_tx, &r);
    if (rc == EX_OK) {
        json_object_set_new(r.entry, "index", json_integer((json_int_t)r.index));
        if (r.has_optout)
            json_object_set_new(r.entry, "optout", json_integer((json_int_t)r.optout));
        rc = ex_json_canonical_dup(r.entry, json, jlen, &l->err);
    }
    json_decref(r.entry);
    found_free(&f);
    return rc;
}
