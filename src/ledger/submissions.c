/* submissions.c - opt-out requests and complaints from outside (exante serve), logged at
 * once with a signed receipt; a partner's opt-out request takes effect at once, a public
 * one waits for review (reviews.c). The public log gets what is asked and the digest of the
 * whole submission; who asked (holder, contact, message) stays in the row. */
#include "ledger.h"
#include "ledger/submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct submitting {
    const ex_submission *s;
    const ex_submit_opts *o;
    json_t *entry, *extra;
    uint64_t index, optout;
    int has_optout;
} submitting;

int
ex_submission_optout(ex_ledger *l, const ex_submission *s, ex_optout_opts *oo,
                     char ev[EX_DIGEST_STR_BYTES])
{
    memset(oo, 0, sizeof *oo);
    oo->url_prefix = s->url_prefix;
    oo->domain = s->domain;
    oo->digest = s->digest;
    oo->iscc = s->iscc;
    oo->distance = s->distance;
    oo->holder = s->holder;
    if (s->text) {
        oo->work_text = s->text;
        oo->work_text_len = s->text_len;
    }
    oo->near = s->near / 1000.0;
    oo->evidence_digest = s->evidence_digest;
    if (s->evidence_data) {
        uint8_t d[EX_HASH_BYTES];
        int rc = ex_sha256_digest(l->h, s->evidence_data, s->evidence_len, d);
        if (rc != EX_OK)
            return ex_fail(&l->err, rc, "cannot hash the evidence");
        ex_digest_format(d, ev);
        oo->evidence_digest = ev;
    }
    return EX_OK;
}

static int
submit_in_tx(ex_ledger *l, void *ctx)
{
    submitting *g = ctx;
    int rc = ex_ledger_log_record(l, EX_TAB_SUBMISSIONS, g->entry, g->extra, &g->index, NULL);
    if (rc != EX_OK || !g->s->optout || !g->o->partner)
        return rc;
    ex_optout_opts oo;
    char ev[EX_DIGEST_STR_BYTES];
    json_t *oe = NULL;
    if ((rc = ex_submission_optout(l, g->s, &oo, ev)) == EX_OK) {
        oo.has_request = 1;
        oo.request = g->index;
        rc = ex_ledger_optout_entry(l, &oo, &oe);
    }
    if (rc == EX_OK)
        rc = ex_ledger_log_record(l, EX_TAB_OPTOUTS, oe, NULL, &g->optout, NULL);
    json_decref(oe);
    g->has_optout = rc == EX_OK;
    return rc;
}

/* The public entry of submission s: what it asks, its digest, when, and on whose token. */
static int
entry_of(ex_ledger *l, const ex_submission *s, const ex_submit_opts *o, const char *dig,
         const char *now, json_t **out)
{
    json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "submission", "kind",
                          s->optout ? "optout" : "complaint", "submission", dig, "received",
                          now, "trust", o->partner ? "partner" : "public");
    if (!e)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (o->partner)
        json_object_set_new(e, "partner", json_string(o->partner));
    int rc = EX_OK;
    ex_optout_opts oo;
    char ev[EX_DIGEST_STR_BYTES];
    json_t *oe = NULL;
    if (s->optout) {
        /* the opt-out it asks for, checked as `optout add` checks one; its scope, value,
         * fingerprint, thresholds and evidence go into the entry, the holder does not */
        static const char *const keep[] = {"scope", "value", "fingerprint", "near", "distance",
                                           "evidence"};
        if ((rc = ex_submission_optout(l, s, &oo, ev)) == EX_OK &&
            (rc = ex_ledger_optout_entry(l, &oo, &oe)) == EX_OK)
            for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
                if (json_object_get(oe, keep[i]))
                    json_object_set(e, keep[i], json_object_get(oe, keep[i]));
        json_decref(oe);
    } else {
        if (s->subject)
            json_object_set(e, "subject", s->subject);
        if (s->evidence_digest || s->evidence_data) {
            if ((rc = ex_submission_optout(l, s, &oo, ev)) == EX_OK)
                json_object_set_new(e, "evidence", json_string(oo.evidence_digest));
        }
    }
    if (rc != EX_OK) {
        json_decref(e);
        return rc;
    }
    *out = e;
    return EX_OK;
}

/* The receipt: a signed note by the log's key over what was received and the promise. */
static int
receipt(ex_ledger *l, const char *kind, uint64_t id, const char *dig, const char *now,
        const char *by, char **note, size_t *nlen)
{
    char *text = NULL;
    int n = asprintf(&text, "%s\norigin %s\nkind %s\nid %llu\nsubmission %s\nreceived %s\n"
                            "include-by %s\n",
                     EX_RECEIPT_HEADER, l->origin, kind, (unsigned long long)id, dig, now, by);
    if (n < 0)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    ex_key *keys[1] = {l->key};
    int rc = ex_note_sign(text, (size_t)n, keys, 1, note, nlen, &l->err);
    free(text);
    return rc;
}

int
ex_ledger_submit(ex_ledger *l, const char *body, size_t len, const ex_submit_opts *o,
                 char **json, size_t *jlen)
{
    ex_err_clear(&l->err);
    *json = NULL;
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    if (l->st->schema < 9)
        return ex_fail(&l->err, EX_EDB, "the ledger's schema predates submissions: open it "
                                        "once for writing");
    ex_submission s;
    int rc = ex_submission_parse(o->kind, body, len, &s, &l->err);
    char *canon = NULL, *note = NULL;
    size_t clen = 0, nlen = 0;
    uint8_t d[EX_HASH_BYTES];
    char dig[EX_DIGEST_STR_BYTES], now[32], by[32];
    submitting g = {&s, o, NULL, NULL, 0, 0, 0};
    if (rc == EX_OK && (rc = ex_json_canonical_dup(s.body, &canon, &clen, &l->err)) == EX_OK &&
        (rc = ex_sha256_digest(l->h, canon, clen, d)) == EX_OK) {
        ex_digest_format(d, dig);
        time_t t = time(NULL);
        ex_time_format((int64_t)t, now);
        ex_time_format((int64_t)t + o->include_by, by);
        rc = entry_of(l, &s, o, dig, now, &g.entry);
    }
    if (rc == EX_OK && !(g.extra = json_pack("{s:s%}", "body", canon, clen)))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK)
        rc = ex_ledger_atomic(l, submit_in_tx, &g);
    if (rc == EX_OK)
        rc = receipt(l, o->kind, g.index, dig, now, by, &note, &nlen);
    json_t *r = NULL;
    if (rc == EX_OK) {
        const char *status = !s.optout ? "received" : g.has_optout ? "accepted" : "unverified";
        r = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s%}", "id", (json_int_t)g.index, "kind",
                      o->kind, "status", status, "submission", dig, "received", now,
                      "include_by", by, "receipt", note, nlen);
        if (r && g.has_optout)
            json_object_set_new(r, "optout", json_integer((json_int_t)g.optout));
        rc = r ? ex_json_canonical_dup(r, json, jlen, &l->err)
               : ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    json_decref(r);
    json_decref(g.entry);
    json_decref(g.extra);
    ex_submission_free(&s);
    free(canon);
    free(note);
    return rc;
}

int
ex_receipt_verify_chain(const char *note, size_t len, const ex_key_chain *keys, char **json,
                        size_t *jlen, ex_err *err)
{
    /* the id (the submission's log index) says whose key signed it: that of size id + 1 */
    *json = NULL;
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < len && !blank; i++)
        if (note[i] == '\n' && note[i + 1] == '\n')
            blank = note + i + 1;
    char *peek = NULL;
    size_t plen;
    int rc = blank ? ex_receipt_text_parse(note, (size_t)(blank - note), &peek, &plen, err)
                   : ex_fail(err, EX_EFORMAT, "receipt: not a signed note (no blank line)");
    if (rc != EX_OK)
        return rc;
    json_t *o = json_loadb(peek, plen, 0, NULL);
    json_int_t id = json_integer_value(json_object_get(o, "id"));
    json_decref(o);
    free(peek);
    return ex_receipt_verify(note, len, ex_key_chain_at(keys, (uint64_t)id + 1), json, jlen, err);
}

int
ex_receipt_verify(const char *note, size_t len, const ex_vkey *vkey, char **json, size_t *jlen,
                  ex_err *err)
{
    size_t tlen;
    unsigned nv;
    *json = NULL;
    int rc = ex_note_verify(note, len, vkey, 1, &tlen, &nv, err);
    if (rc != EX_OK)
        return rc;
    return ex_receipt_text_parse(note, tlen, json, jlen, err);
}
