/* sources.c - acquisition channels: every item belongs to one. A source's record (kind,
 * default license, ml-use, digests of its terms and agreement) is a log entry; the documents
 * themselves are logged as evidence in the same transaction. */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

#include "core/cjson.h"

static const char *const kinds[] = {"crawl",     "licensed", "public-dataset", "first-party",
                                    "synthetic", "other",    NULL};
static const char *const ml_uses[] = {"allowed", "prohibited", "unknown", NULL};

static int
one_of(const char *v, const char *const *set)
{
    for (int i = 0; set[i]; i++)
        if (strcmp(v, set[i]) == 0)
            return 1;
    return 0;
}

/* names are what users type on command lines: printable, no spaces, at most 128 bytes */
static int
name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !ex_utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\')
            return 0;
    return 1;
}

typedef struct find {
    const char *name;
    uint64_t id;
    char *record;
} find;

static int
match_name(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    find *f = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o) /* a source record this ledger wrote: out of memory, or damage */
        return EX_EDB;
    const char *n = json_string_value(json_object_get(o, "name"));
    int hit = n && strcmp(n, f->name) == 0;
    json_decref(o);
    if (hit) {
        f->id = id;
        if (!(f->record = strndup(data, len)))
            return EX_ENOMEM;
        return EX_EEXIST; /* stops the scan */
    }
    return EX_OK;
}

int
ex_ledger_source_find(ex_ledger *l, const char *name, uint64_t *id, char **record)
{
    find f = {name, 0, NULL};
    int rc = l->st->ops->rec_scan(l->st, EX_TAB_SOURCES, 1, UINT64_MAX, match_name, &f);
    if (rc == EX_EEXIST) {
        if (id)
            *id = f.id;
        if (record)
            *record = f.record;
        else
            free(f.record);
        return EX_OK;
    }
    if (rc == EX_ENOMEM || rc == EX_EDB) /* from match_name, or the store's own */
        return l->st->err.msg[0] ? ex_ledger_fail_store(l, rc)
                                 : ex_fail(&l->err, rc, "cannot read the source records: %s",
                                           rc == EX_EDB ? "out of memory, or a damaged ledger"
                                                        : ex_strerror(rc));
    if (rc != EX_OK)
        return ex_ledger_fail_store(l, rc);
    return ex_fail(&l->err, EX_ENOTFOUND, "no source '%s' (see 'exante source list')", name);
}

typedef struct adding {
    const char *name;
    const ex_source_opts *o;
    uint64_t index;
} adding;

static int
add_in_tx(ex_ledger *l, void *ctx)
{
    adding *a = ctx;
    const ex_source_opts *o = a->o;
    char *entries[3] = {NULL, NULL, NULL};
    size_t lens[3];
    int n = 0, rc = EX_OK;
    uint8_t terms[EX_HASH_BYTES], agreement[EX_HASH_BYTES];
    if (o->terms)
        rc = ex_ledger_evidence_entry(l, o->terms, "terms", a->name, NULL, terms, &entries[n],
                                      &lens[n]), n++;
    if (rc == EX_OK && o->agreement)
        rc = ex_ledger_evidence_entry(l, o->agreement, "agreement", a->name, NULL, agreement,
                                      &entries[n], &lens[n]), n++;
    if (rc != EX_OK)
        goto out;
    char now[32], dig[EX_DIGEST_STR_BYTES];
    ex_time_now(now);
    json_t *r = json_object();
    json_object_set_new(r, "type", json_string("source"));
    json_object_set_new(r, "name", json_string(a->name));
    json_object_set_new(r, "kind", json_string(o->kind));
    json_object_set_new(r, "ml_use", json_string(o->ml_use ? o->ml_use : "unknown"));
    json_object_set_new(r, "logged", json_string(now));
    if (o->license)
        json_object_set_new(r, "license", json_string(o->license));
    if (o->terms) {
        ex_digest_format(terms, dig);
        json_object_set_new(r, "terms", json_string(dig));
    }
    if (o->agreement) {
        ex_digest_format(agreement, dig);
        json_object_set_new(r, "agreement", json_string(dig));
    }
    if (o->note)
        json_object_set_new(r, "note", json_string(o->note));
    entries[n] = ex_json_canon_dup(r, &lens[n], &l->err);
    json_decref(r);
    if (!entries[n]) {
        rc = l->err.code ? l->err.code : EX_ENOMEM;
        goto out;
    }
    n++;
    uint64_t first;
    if ((rc = ex_log_append(l->log, (const void *const *)entries, lens, (size_t)n, &first)) !=
        EX_OK) {
        ex_ledger_fail_log(l, rc);
        goto out;
    }
    a->index = first + (uint64_t)n - 1;
    if ((rc = l->st->ops->rec_append(l->st, EX_TAB_SOURCES, (int64_t)a->index, entries[n - 1],
                                     lens[n - 1], NULL)) != EX_OK)
        ex_ledger_fail_store(l, rc);
out:
    for (int i = 0; i < 3; i++)
        free(entries[i]);
    return rc;
}

int
ex_ledger_source_add(ex_ledger *l, const char *name, const ex_source_opts *o, uint64_t *index)
{
    if (!name_ok(name))
        return ex_fail(&l->err, EX_EINVAL,
                       "invalid source name '%s': 1..128 printable characters, no spaces",
                       name);
    if (!o || !o->kind || !one_of(o->kind, kinds))
        return ex_fail(&l->err, EX_EINVAL,
                       "source kind must be one of crawl, licensed, public-dataset, "
                       "first-party, synthetic, other");
    if (o->ml_use && !one_of(o->ml_use, ml_uses))
        return ex_fail(&l->err, EX_EINVAL, "--ml-use must be allowed, prohibited or unknown");
    const char *texts[2] = {o->license, o->note};
    for (int i = 0; i < 2; i++)
        if (texts[i] && (!*texts[i] || !ex_utf8_valid(texts[i], strlen(texts[i])) ||
                         strchr(texts[i], '\n')))
            return ex_fail(&l->err, EX_EINVAL, "'%s' must be one line of UTF-8 text",
                           texts[i]);
    int rc = ex_ledger_source_find(l, name, NULL, NULL);
    if (rc == EX_OK)
        return ex_fail(&l->err, EX_EEXIST, "source '%s' already exists", name);
    if (rc != EX_ENOTFOUND)
        return rc;
    adding a = {name, o, 0};
    if ((rc = ex_ledger_atomic(l, add_in_tx, &a)) == EX_OK && index)
        *index = a.index;
    return rc;
}

static int
append_line(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    (void)key;
    ex_buf *b = ctx;
    if (ex_buf_put(b, data, len) != EX_OK || ex_buf_putc(b, '\n') != EX_OK)
        return EX_ENOMEM;
    return EX_OK;
}

int
ex_ledger_records_dup(ex_ledger *l, int table, char **jsonl, size_t *len)
{
    ex_buf b = {0};
    int rc = l->st->ops->rec_scan(l->st, table, 1, UINT64_MAX, append_line, &b);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return rc == EX_ENOMEM ? ex_fail(&l->err, rc, "out of memory")
                               : ex_ledger_fail_store(l, rc);
    }
    *jsonl = ex_buf_take(&b, len);
    return *jsonl ? EX_OK : ex_fail(&l->err, EX_ENOMEM, "out of memory");
}

int
ex_ledger_sources_dup(ex_ledger *l, char **jsonl, size_t *len)
{
    return ex_ledger_records_dup(l, EX_TAB_SOURCES, jsonl, len);
}

int
ex_ledger_quarantine_dup(ex_ledger *l, char **jsonl, size_t *len)
{
    return ex_ledger_records_dup(l, EX_TAB_QUARANTINE, jsonl, len);
}
