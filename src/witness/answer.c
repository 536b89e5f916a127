/* answer.c - the witness's answer to a tlog-witness add-checkpoint request: the checks of
 * the spec in its order (404 origin, 403 signature, 400 old > size, 409 old is not the
 * latest, 422 proof, 409 same size another root), then the new latest stored and the
 * cosignature made, all under the directory's lock. */
#include "witness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
answer(ex_witness_answer *a, int status, const char *why)
{
    a->status = status;
    snprintf(a->reason, sizeof a->reason, "%.150s", why);
    return EX_OK;
}

/* the log keys trusted for origin (their name is the origin), copied into keys */
static size_t
keys_for(const ex_vkey *logs, size_t nlogs, const char *origin, ex_vkey *keys, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < nlogs && n < cap; i++)
        if (strcmp(logs[i].name, origin) == 0)
            keys[n++] = logs[i];
    return n;
}

/* 409 because old is not the size of the latest: the body says that size */
static int
conflict(ex_witness_answer *a, const ex_checkpoint *latest, int fork)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%llu\n", (unsigned long long)latest->size);
    if (!(a->body = malloc((size_t)n + 1)))
        return EX_ENOMEM;
    memcpy(a->body, b, (size_t)n + 1);
    a->body_len = (size_t)n;
    a->fork = fork;
    return answer(a, 409,
                  fork ? "fork: the checkpoint has the size of the latest cosigned one "
                         "but another root"
                       : "old size is not the size of the latest cosigned checkpoint");
}

/* the checks that need the stored latest (held under the lock); 0 status: all passed */
static int
check_against(ex_sha256 *h, const ex_addcp *r, const ex_checkpoint *cp, const ex_checkpoint *latest,
              ex_witness_answer *a)
{
    if (r->old != latest->size)
        return conflict(a, latest, 0);
    if (r->old == cp->size) {
        if (memcmp(latest->root, cp->root, EX_HASH_BYTES) != 0 && cp->size)
            return conflict(a, latest, 1);
        if (r->n)
            return answer(a, 422, "a consistency proof between equal sizes must be empty");
        return EX_OK;
    }
    if (r->old == 0) {
        if (r->n)
            return answer(a, 422, "the consistency proof from size 0 must be empty");
        return EX_OK;
    }
    if (ex_merkle_verify_consistency(h, r->old, cp->size, r->proof, r->n, latest->root,
                                     EX_HASH_BYTES, cp->root, EX_HASH_BYTES) != EX_OK)
        return answer(a, 422,
                      "the consistency proof from the latest cosigned checkpoint does "
                      "not verify");
    return EX_OK;
}

/* the stored latest for origin into *latest (size 0 and a->latest NULL if none) */
static int
load_latest(ex_witness *w, const ex_vkey *keys, size_t nkeys, const char *origin,
            ex_checkpoint *latest, ex_witness_answer *a, ex_err *err)
{
    memset(latest, 0, sizeof *latest);
    int rc = ex_witness_latest_dup(w, origin, &a->latest, &a->latest_len, err);
    if (rc == EX_ENOTFOUND)
        return EX_OK;
    if (rc != EX_OK)
        return rc;
    /* what the witness signed once is still checked: a damaged state file must not pass */
    size_t tlen;
    if (ex_note_verify(a->latest, a->latest_len, keys, nkeys, &tlen, NULL, err) != EX_OK ||
        ex_checkpoint_parse(a->latest, tlen, latest, err) != EX_OK ||
        strcmp(latest->origin, origin) != 0)
        return ex_fail(err, EX_EIO, "the witness's stored checkpoint for '%s' is damaged: %s",
                       origin, err ? err->msg : "");
    return EX_OK;
}

/* under the lock: compare with the latest, store, cosign */
static int
locked(ex_witness *w, const ex_vkey *keys, size_t nkeys, const ex_addcp *r, const ex_cosigned *c,
       uint64_t now, ex_witness_answer *a, ex_err *err)
{
    ex_checkpoint latest;
    int rc = load_latest(w, keys, nkeys, c->cp.origin, &latest, a, err);
    if (rc != EX_OK)
        return rc;
    ex_sha256 *h;
    if ((rc = ex_sha256_new(&h)) != EX_OK)
        return ex_fail(err, rc, "cannot make a hasher");
    rc = check_against(h, r, &c->cp, &latest, a);
    ex_sha256_free(h);
    if (rc != EX_OK || a->status)
        return rc;
    char line[EX_COSIG_LINE_MAX];
    size_t ll;
    if ((rc = ex_witness_cosign_line(w, r->note, c->body_len, now, line, &ll, err)) != EX_OK)
        return rc;
    /* persisted before the answer goes out (tlog-witness) */
    if ((rc = ex_witness_store(w, c->cp.origin, r->note, r->note_len, err)) != EX_OK)
        return rc;
    free(a->latest);
    a->latest = NULL;
    a->latest_len = 0;
    if (!(a->body = malloc(ll + 1)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    memcpy(a->body, line, ll + 1);
    a->body_len = ll;
    return answer(a, 200, "");
}

int
ex_witness_add_checkpoint(ex_witness *w, const ex_vkey *logs, size_t nlogs, const ex_addcp *r,
                          uint64_t now, ex_witness_answer *a, ex_err *err)
{
    memset(a, 0, sizeof *a);
    ex_cosigned c;
    ex_err e = {0};
    /* the body alone (no witness keys): a malformed checkpoint is a bad request */
    if (ex_cosigned_open(r->note, r->note_len, NULL, NULL, 0, 0, &c, NULL, &e) != EX_OK)
        return answer(a, 400, e.msg);
    ex_vkey keys[8];
    size_t nkeys = keys_for(logs, nlogs, c.cp.origin, keys, 8);
    if (nkeys == 0)
        return answer(a, 404, "unknown log origin");
    size_t tlen;
    if (ex_note_verify(r->note, r->note_len, keys, nkeys, &tlen, NULL, &e) != EX_OK)
        return answer(a, 403, "no signature verifies against a trusted key of the log");
    if (r->old > c.cp.size)
        return answer(a, 400, "old size is larger than the checkpoint's size");
    int fd, rc = ex_witness_lock(w, &fd, err);
    if (rc != EX_OK)
        return rc;
    rc = locked(w, keys, nkeys, r, &c, now, a, err);
    close(fd);
    if (rc != EX_OK)
        ex_witness_answer_clear(a);
    return rc;
}

void
ex_witness_answer_clear(ex_witness_answer *a)
{
    if (a) {
        free(a->body);
        free(a->latest);
        memset(a, 0, sizeof *a);
    }
}
