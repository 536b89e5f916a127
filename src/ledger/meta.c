/* meta.c - JSON objects kept in the ledger's metadata: partner tokens (tokens.c), trusted
 * witnesses and their cosignatures (src/witness/). Not logged: none of them is a decision. */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

int
ex_ledger_meta_object(ex_ledger *l, const char *key, json_t **out)
{
    char *v = NULL;
    int rc = l->st->ops->meta_get_dup(l->st, key, &v);
    if (rc == EX_ENOTFOUND || (rc == EX_OK && !v)) {
        *out = json_object();
        return *out ? EX_OK : ex_fail(&l->err, EX_ENOMEM, "out of memory");
    }
    if (rc != EX_OK)
        return ex_ledger_fail_store(l, rc);
    *out = json_loads(v, 0, NULL);
    free(v);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return ex_fail(&l->err, EX_EFORMAT, "the ledger's metadata '%s' is not a JSON object",
                       key);
    }
    return EX_OK;
}

int
ex_ledger_meta_put_json(ex_ledger *l, const char *key, json_t *o)
{
    char *s = NULL;
    size_t n;
    int rc = ex_json_canonical_dup(o, &s, &n, &l->err);
    if (rc == EX_OK && (rc = l->st->ops->meta_put(l->st, key, s)) != EX_OK)
        ex_ledger_fail_store(l, rc);
    free(s);
    return rc;
}

int
ex_ledger_meta_jsonl(ex_ledger *l, const char *key, const char *a, const char *b, char **jsonl,
                     size_t *len)
{
    ex_err_clear(&l->err);
    json_t *o, *v;
    const char *k;
    int rc = ex_ledger_meta_object(l, key, &o);
    if (rc != EX_OK)
        return rc;
    ex_buf buf = {0};
    json_object_foreach(o, k, v) {
        json_t *line = json_pack("{s:s,s:O,s:O}", "name", k, a, json_object_get(v, a), b,
                                 json_object_get(v, b));
        char *s = NULL;
        size_t n;
        if (!line)
            rc = ex_fail(&l->err, EX_EFORMAT, "the ledger's metadata '%s': '%s' lacks %s or %s",
                         key, k, a, b);
        else if ((rc = ex_json_canonical_dup(line, &s, &n, &l->err)) == EX_OK &&
                 (ex_buf_put(&buf, s, n) != EX_OK || ex_buf_put(&buf, "\n", 1) != EX_OK))
            rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        free(s);
        json_decref(line);
        if (rc != EX_OK)
            break;
    }
    json_decref(o);
    if (rc != EX_OK) {
        ex_buf_free(&buf);
        return rc;
    }
    if (!(*jsonl = ex_buf_take(&buf, len)) && !(*jsonl = calloc(1, 1)))
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    return EX_OK;
}
