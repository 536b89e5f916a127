/* statement.c - in-toto Statement v1: the canonical writer and the strict reader
 * (statement.h). */
#include "attest/statement.h"

#include "attest/keys.h"
#include "core/cjson.h"

#include <stdlib.h>
#include <string.h>

int
ex_subject_cmp(const void *a, const void *b)
{
    const ex_subject *x = a, *y = b;
    return strcmp(x->name, y->name); /* strcmp compares as unsigned char: byte order */
}

static int
ptr_cmp(const void *a, const void *b)
{
    return ex_subject_cmp(*(const ex_subject *const *)a, *(const ex_subject *const *)b);
}

static int
check_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && ex_utf8_valid(s, n);
}

int
ex_statement_write(const ex_subject *subjects, size_t n, const char *predicate_type,
                   const char *predicate, size_t predicate_len, char **out, size_t *len,
                   ex_err *err)
{
    if (n == 0 || n > EX_STATEMENT_SUBJECTS_MAX)
        return ex_fail(err, EX_EINVAL, "statement: %zu subjects (1 to %u)", n,
                       EX_STATEMENT_SUBJECTS_MAX);
    if (!predicate_type || !check_text(predicate_type, EX_PREDICATE_TYPE_MAX))
        return ex_fail(err, EX_EINVAL, "statement: predicateType is empty, too long or not UTF-8");
    for (size_t i = 0; i < n; i++)
        if (!subjects[i].name || !check_text(subjects[i].name, EX_SUBJECT_NAME_MAX))
            return ex_fail(err, EX_EINVAL,
                           "statement: subject %zu: name is empty, over %d bytes "
                           "or not UTF-8",
                           i, EX_SUBJECT_NAME_MAX);
    if (!predicate)
        return ex_fail(err, EX_EINVAL, "statement: no predicate");
    json_error_t je;
    json_t *pred = json_loadb(predicate, predicate_len, JSON_REJECT_DUPLICATES, &je);
    if (!pred && ex_json_guard_tripped()) /* jansson out of memory, reported as syntax */
        return ex_fail(err, EX_ENOMEM, "statement: out of memory parsing the predicate");
    if (!pred)
        return ex_fail(err, EX_EINVAL, "statement: predicate: line %d column %d: %s", je.line,
                       je.column, je.text);
    if (!json_is_object(pred)) {
        json_decref(pred);
        return ex_fail(err, EX_EINVAL, "statement: predicate is not a JSON object");
    }
    const ex_subject **order = malloc(n * sizeof *order);
    if (!order) {
        json_decref(pred);
        return ex_fail(err, EX_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        order[i] = &subjects[i];
    qsort(order, n, sizeof *order, ptr_cmp);
    int rc = EX_OK;
    for (size_t i = 1; i < n && rc == EX_OK; i++)
        if (strcmp(order[i - 1]->name, order[i]->name) == 0)
            rc = ex_fail(err, EX_EINVAL, "statement: subject \"%.200s\" given twice",
                         order[i]->name);
    ex_buf b = {0};
    ex_cj w;
    ex_cj_init(&w, &b);
    ex_cj_obj(&w);
    ex_cj_kstr(&w, "_type", EX_INTOTO_STATEMENT_V1, sizeof EX_INTOTO_STATEMENT_V1 - 1);
    ex_cj_key(&w, "predicate");
    ex_cj_json(&w, pred);
    ex_cj_kstr(&w, "predicateType", predicate_type, strlen(predicate_type));
    ex_cj_key(&w, "subject");
    ex_cj_arr(&w);
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        char hex[2 * EX_HASH_BYTES + 1];
        ex_hex_encode(order[i]->sha256, EX_HASH_BYTES, hex);
        ex_cj_obj(&w);
        ex_cj_key(&w, "digest");
        ex_cj_obj(&w);
        ex_cj_kstr(&w, "sha256", hex, 2 * EX_HASH_BYTES);
        ex_cj_end(&w);
        ex_cj_kstr(&w, "name", order[i]->name, strlen(order[i]->name));
        ex_cj_end(&w);
    }
    ex_cj_end(&w);
    ex_cj_end(&w);
    free(order);
    json_decref(pred);
    if (rc == EX_OK && (rc = ex_cj_done(&w)) != EX_OK)
        rc = ex_fail(err, rc, "statement: cannot write it as canonical JSON: %s",
                     w.why ? w.why : "out of memory");
    if (rc == EX_OK && !(*out = ex_buf_take(&b, len)))
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    ex_buf_free(&b);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------ */

void
ex_statement_clear(ex_statement *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->subjects && i < s->nsubjects; i++)
        free(s->subjects[i].name);
    free(s->subjects);
    free(s->predicate_type);
    json_decref(s->predicate);
    free(s->predicate_canon);
    memset(s, 0, sizeof *s);
}

/* o is an object with exactly the keys listed (NULL-terminated); where names it */
static int
exact_keys(json_t *o, const char *where, const char *const *keys, ex_err *err)
{
    int n = 0;
    while (keys[n])
        n++;
    return ex_attest_keys(o, "statement", where, keys, n, err);
}

/* 64 lowercase hex digits: the one spelling of a digest (ex_hex_decode takes either case) */
static int
lower_hex64(const char *s, size_t n)
{
    if (n != 2 * EX_HASH_BYTES)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int
parse_subject(json_t *o, size_t i, ex_subject *s, ex_err *err)
{
    static const char *const keys[] = {"digest", "name", NULL};
    static const char *const dkeys[] = {"sha256", NULL};
    char where[48], dwhere[64];
    snprintf(where, sizeof where, "subject %zu", i);
    snprintf(dwhere, sizeof dwhere, "the digest of subject %zu", i);
    int rc;
    if ((rc = exact_keys(o, where, keys, err)) != EX_OK)
        return rc;
    json_t *name = json_object_get(o, "name"), *d = json_object_get(o, "digest");
    if (!json_is_string(name))
        return ex_fail(err, EX_EFORMAT, "statement: subject %zu: \"name\" is not a string", i);
    size_t nl = json_string_length(name);
    if (nl == 0)
        return ex_fail(err, EX_EFORMAT, "statement: subject %zu: empty \"name\"", i);
    if (nl > EX_SUBJECT_NAME_MAX)
        return ex_fail(err, EX_ETOOBIG, "statement: subject %zu: \"name\" over %d bytes", i,
                       EX_SUBJECT_NAME_MAX);
    if ((rc = exact_keys(d, dwhere, dkeys, err)) != EX_OK)
        return rc;
    json_t *h = json_object_get(d, "sha256");
    if (!json_is_string(h) || !lower_hex64(json_string_value(h), json_string_length(h)))
        return ex_fail(err, EX_EFORMAT,
                       "statement: subject %zu: \"sha256\" is not 64 lowercase hex digits", i);
    if (ex_hex_decode(json_string_value(h), 2 * EX_HASH_BYTES, s->sha256, EX_HASH_BYTES) != EX_OK)
        return ex_fail(err, EX_EFORMAT, "statement: subject %zu: bad \"sha256\"", i);
    if (!(s->name = strdup(json_string_value(name))))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

static int
parse_subjects(json_t *a, ex_statement *out, ex_err *err)
{
    if (!json_is_array(a))
        return ex_fail(err, EX_EFORMAT, "statement: \"subject\" is not an array");
    size_t n = json_array_size(a);
    if (n == 0)
        return ex_fail(err, EX_EFORMAT, "statement: no subjects");
    if (n > EX_STATEMENT_SUBJECTS_MAX)
        return ex_fail(err, EX_ETOOBIG, "statement: %zu subjects, over %u", n,
                       EX_STATEMENT_SUBJECTS_MAX);
    if (!(out->subjects = calloc(n, sizeof *out->subjects)))
        return ex_fail(err, EX_ENOMEM, "out of memory");
    int rc = EX_OK;
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        out->nsubjects = i + 1; /* a failure part way frees what was read */
        rc = parse_subject(json_array_get(a, i), i, &out->subjects[i], err);
    }
    if (rc != EX_OK)
        return rc;
    qsort(out->subjects, n, sizeof *out->subjects, ex_subject_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(out->subjects[i - 1].name, out->subjects[i].name) == 0)
            return ex_fail(err, EX_EFORMAT, "statement: subject \"%.200s\" appears twice",
                           out->subjects[i].name);
    return EX_OK;
}

int
ex_statement_parse(const void *json, size_t len, ex_statement *out, ex_err *err)
{
    static const char *const keys[] = {"_type", "predicate", "predicateType", "subject", NULL};
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return ex_fail(err, EX_EFORMAT, "statement: line %d column %d: %s", je.line, je.column,
                       je.text);
    int rc = exact_keys(o, "the statement", keys, err);
    json_t *t = json_object_get(o, "_type"), *pt = json_object_get(o, "predicateType");
    json_t *p = json_object_get(o, "predicate");
    if (rc == EX_OK && !json_is_string(t))
        rc = ex_fail(err, EX_EFORMAT, "statement: \"_type\" is not a string");
    if (rc == EX_OK && strcmp(json_string_value(t), EX_INTOTO_STATEMENT_V1) != 0)
        rc = ex_fail(err, EX_EFORMAT, "statement: \"_type\" is \"%.100s\", not \"%s\"",
                     json_string_value(t), EX_INTOTO_STATEMENT_V1);
    if (rc == EX_OK && (!json_is_string(pt) || json_string_length(pt) == 0))
        rc = ex_fail(err, EX_EFORMAT, "statement: \"predicateType\" is not a non-empty string");
    if (rc == EX_OK && json_string_length(pt) > EX_PREDICATE_TYPE_MAX)
        rc = ex_fail(err, EX_ETOOBIG, "statement: \"predicateType\" over %d bytes",
                     EX_PREDICATE_TYPE_MAX);
    if (rc == EX_OK && !json_is_object(p))
        rc = ex_fail(err, EX_EFORMAT, "statement: \"predicate\" is not a JSON object");
    if (rc == EX_OK)
        rc = parse_subjects(json_object_get(o, "subject"), out, err);
    if (rc == EX_OK && !(out->predicate_type = strdup(json_string_value(pt))))
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK) {
        ex_err e = {0};
        out->predicate_canon = ex_json_canon_dup(p, &out->predicate_len, &e);
        if (!out->predicate_canon)
            rc = e.code == EX_EINVAL ? ex_fail(err, EX_EFORMAT, "statement: predicate: %s", e.msg)
                                     : ex_fail(err, EX_ENOMEM, "out of memory");
    }
    if (rc == EX_OK)
        out->predicate = json_incref(p);
    json_decref(o);
    return rc;
}
