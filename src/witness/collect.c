/* collect.c - cosignatures a ledger received: checked against its own checkpoint of that
 * size and its registered witnesses, kept in the metadata (key "cosignatures": decimal size
 * -> {"<name>+<keyid hex>" -> line}), and handed out appended to that checkpoint. */
#include "ledger/ledger.h"
#include "witness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define META_C "cosignatures"
#define FUTURE_SLACK 600 /* seconds a cosignature's time may run ahead of this clock */

static const char dash[] = "\xe2\x80\x94 ";

static void
key_tag(const ex_vkey *v, char out[EX_NAME_MAX + 10])
{
    size_t n = strlen(v->name);
    memcpy(out, v->name, n);
    out[n] = '+';
    ex_hex_encode(v->id, EX_KEYID_BYTES, out + n + 1);
    out[n + 9] = '\0';
}

typedef struct collect {
    const char *sigs; /* the signature lines received, each '\n'-terminated */
    size_t sigs_len;
    uint64_t size;
    const ex_vkey *keys;
    size_t nkeys;
    ex_vkey own; /* the log's key: its own signature line is neither kept nor "ignored" */
    unsigned added, ignored;
} collect;

static int
collect_in_tx(ex_ledger *l, void *ctx)
{
    collect *c = ctx;
    json_t *o;
    int rc = ex_ledger_meta_object(l, META_C, &o);
    if (rc != EX_OK)
        return rc;
    char sz[24];
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)c->size);
    json_t *at = json_object_get(o, sz);
    if (!json_is_object(at)) {
        at = json_object();
        json_object_set_new(o, sz, at);
    }
    for (const char *p = c->sigs, *end = c->sigs + c->sigs_len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = ex_cosig_line_who(p, (size_t)(nl - p), c->keys, c->nkeys);
        if (k < c->nkeys) {
            char tag[EX_NAME_MAX + 10];
            key_tag(&c->keys[k], tag);
            json_object_set_new(at, tag, json_stringn(p, (size_t)(nl - p)));
            c->added++;
        } else if (ex_cosig_line_who(p, (size_t)(nl - p), &c->own, 1) != 0) {
            c->ignored++;
        }
        p = nl + 1;
    }
    if (!json_object_size(at))
        json_object_del(o, sz);
    rc = ex_ledger_meta_put_json(l, META_C, o);
    json_decref(o);
    return rc;
}

/* the ledger's own checkpoint at size, and the length of its body */
static int
own_checkpoint(ex_ledger *l, uint64_t size, char **note, size_t *len, size_t *body_len)
{
    int rc = ex_log_checkpoint_at_dup(l->log, size, note, len);
    if (rc == EX_ENOTFOUND)
        return ex_fail(&l->err, rc, "the ledger signed no checkpoint at size %llu",
                       (unsigned long long)size);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    ex_cosigned c;
    if ((rc = ex_cosigned_open(*note, *len, NULL, NULL, 0, 0, &c, NULL, &l->err)) != EX_OK) {
        free(*note);
        return rc;
    }
    *body_len = c.body_len;
    return EX_OK;
}

/* the signature lines of text and the size they are for */
static int
received(ex_ledger *l, const char *text, size_t len, uint64_t size, collect *c, const char **body,
         size_t *body_len)
{
    *body = NULL;
    if (len >= sizeof dash - 1 && memcmp(text, dash, sizeof dash - 1) == 0) {
        if (text[len - 1] != '\n')
            return ex_fail(&l->err, EX_EFORMAT, "cosignature lines must end in a newline");
        c->sigs = text, c->sigs_len = len;
        c->size = size ? size : ex_log_size(l->log);
        return EX_OK;
    }
    ex_cosigned cs;
    int rc = ex_cosigned_open(text, len, NULL, NULL, 0, 0, &cs, NULL, &l->err);
    if (rc != EX_OK)
        return rc;
    if (size && size != cs.cp.size)
        return ex_fail(&l->err, EX_EINVAL, "the checkpoint is for size %llu, not %llu",
                       (unsigned long long)cs.cp.size, (unsigned long long)size);
    c->sigs = text + cs.body_len + 1, c->sigs_len = len - cs.body_len - 1;
    c->size = cs.cp.size;
    *body = text, *body_len = cs.body_len;
    return EX_OK;
}

int
ex_ledger_cosig_collect(ex_ledger *l, const char *text, size_t len, uint64_t size, unsigned *added,
                        unsigned *ignored, uint64_t *at)
{
    ex_err_clear(&l->err);
    collect c = {0};
    const char *body;
    size_t blen, nlen, own_len;
    char *own = NULL, *all = NULL;
    ex_vkey *keys = NULL;
    int rc = received(l, text, len, size, &c, &body, &blen);
    if (rc == EX_OK && ex_vkey_parse(l->vkey, &c.own, &l->err) != EX_OK)
        rc = EX_EFORMAT;
    if (rc == EX_OK)
        rc = ex_ledger_witness_keys(l, NULL, &keys, &c.nkeys);
    if (rc == EX_OK && c.nkeys == 0)
        rc = ex_fail(&l->err, EX_ENOTFOUND, "no witness is registered ('exante witness add')");
    if (rc == EX_OK)
        rc = own_checkpoint(l, c.size, &own, &nlen, &own_len);
    if (rc == EX_OK && body && (blen != own_len || memcmp(body, own, blen) != 0))
        rc = ex_fail(&l->err, EX_EVERIFY,
                     "the checkpoint is not this ledger's checkpoint of "
                     "size %llu",
                     (unsigned long long)c.size);
    /* the ledger's own checkpoint with the lines received: every line by a registered witness
     * must verify over its body, or nothing is kept */
    if (rc == EX_OK && !(all = malloc(nlen + c.sigs_len + 1)))
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    ex_cosigned cs;
    if (rc == EX_OK) {
        memcpy(all, own, nlen);
        memcpy(all + nlen, c.sigs, c.sigs_len);
        rc = ex_cosigned_open(all, nlen + c.sigs_len, NULL, keys, c.nkeys,
                              (uint64_t)time(NULL) + FUTURE_SLACK, &cs, NULL, &l->err);
    }
    if (rc == EX_OK && cs.good == 0)
        rc = ex_fail(&l->err, EX_ENOTFOUND, "no cosignature by a registered witness");
    c.keys = keys;
    if (rc == EX_OK)
        rc = ex_ledger_atomic(l, collect_in_tx, &c);
    if (rc == EX_OK) {
        if (added)
            *added = c.added;
        if (ignored)
            *ignored = c.ignored;
        if (at)
            *at = c.size;
    }
    free(all);
    free(own);
    free(keys);
    return rc;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the largest size in o with at least one line */
static uint64_t
latest_size(json_t *o)
{
    const char *k;
    json_t *v;
    uint64_t best = 0;
    int any = 0;
    json_object_foreach(o, k, v) {
        uint64_t s = strtoull(k, NULL, 10);
        if (json_object_size(v) && (!any || s > best))
            best = s, any = 1;
    }
    return best;
}

int
ex_ledger_cosigned_dup(ex_ledger *l, uint64_t size, char **note, size_t *len)
{
    ex_err_clear(&l->err);
    json_t *o;
    int rc = ex_ledger_meta_object(l, META_C, &o);
    if (rc != EX_OK)
        return rc;
    if (!size)
        size = latest_size(o);
    char sz[24];
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
    json_t *at = json_object_get(o, sz);
    size_t n = json_object_size(at), i = 0, nlen, blen;
    char *own = NULL;
    if (!n)
        rc = ex_fail(&l->err, EX_ENOTFOUND,
                     size ? "no cosignatures for the checkpoint of "
                            "size %llu"
                          : "no cosigned checkpoint%.0llu",
                     (unsigned long long)size);
    if (rc == EX_OK)
        rc = own_checkpoint(l, size, &own, &nlen, &blen);
    const char **lines = rc == EX_OK ? calloc(n, sizeof *lines) : NULL;
    if (rc == EX_OK && !lines)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    ex_buf b = {0};
    if (rc == EX_OK) {
        const char *k;
        json_t *v;
        json_object_foreach(at, k, v) if (json_string_value(v)) lines[i++] = json_string_value(v);
        qsort(lines, i, sizeof *lines, cmp_str); /* one order, whatever the JSON's */
        rc = ex_buf_put(&b, own, nlen);
        for (size_t j = 0; rc == EX_OK && j < i; j++)
            if ((rc = ex_buf_puts(&b, lines[j])) == EX_OK)
                rc = ex_buf_putc(&b, '\n');
        if (rc != EX_OK)
            ex_fail(&l->err, rc, "out of memory");
    }
    free(lines);
    free(own);
    json_decref(o);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return rc;
    }
    *note = ex_buf_take(&b, len);
    return EX_OK;
}

int
ex_ledger_witness_size(ex_ledger *l, const char *name, uint64_t *size)
{
    ex_vkey *keys;
    size_t n;
    int rc = ex_ledger_witness_keys(l, name, &keys, &n);
    if (rc != EX_OK)
        return rc;
    json_t *o, *v;
    const char *k;
    char tag[EX_NAME_MAX + 10];
    key_tag(&keys[0], tag);
    free(keys);
    if ((rc = ex_ledger_meta_object(l, META_C, &o)) != EX_OK)
        return rc;
    uint64_t best = 0;
    json_object_foreach(o, k, v) {
        uint64_t s = strtoull(k, NULL, 10);
        if (json_object_get(v, tag) && s > best)
            best = s;
    }
    json_decref(o);
    *size = best;
    return EX_OK;
}

int
ex_ledger_checkpoint_cosigned_dup(ex_ledger *l, uint64_t size, char **note, size_t *len)
{
    /* a damaged cosignature table must not stop proofs: the plain checkpoint then */
    if (size && ex_ledger_cosigned_dup(l, size, note, len) == EX_OK)
        return EX_OK;
    ex_err_clear(&l->err);
    return ex_log_checkpoint_at_dup(l->log, size, note, len);
}
