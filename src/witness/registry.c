/* registry.c - the ledger's side of witnessing: the witnesses it trusts (metadata key
 * "witnesses": label -> {vkey, added}) and the cosignatures they returned (metadata key
 * "cosignatures": decimal size -> {"<name>+<keyid hex>" -> cosignature line}). Not logged:
 * cosignatures are about the log, and any reader can check them against its checkpoints. */
#include "ledger/ledger.h"
#include "witness.h"

#include <stdlib.h>
#include <string.h>

#define META_W "witnesses"
#define LABEL_MAX 64

static int
label_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > LABEL_MAX || s[0] == '-' || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("._-/", s[i])))
            return 0;
    return 1;
}

typedef struct change {
    const char *name, *vkey; /* vkey NULL: remove */
} change;

static int
change_in_tx(ex_ledger *l, void *ctx)
{
    change *c = ctx;
    json_t *o, *v;
    const char *k;
    int rc = ex_ledger_meta_object(l, META_W, &o);
    if (rc != EX_OK)
        return rc;
    if (!c->vkey && !json_object_get(o, c->name))
        rc = ex_fail(&l->err, EX_ENOTFOUND, "no witness '%s'", c->name);
    else if (c->vkey && json_object_get(o, c->name))
        rc = ex_fail(&l->err, EX_EEXIST, "a witness '%s' is registered already", c->name);
    json_object_foreach(o, k, v) {
        const char *s = json_string_value(json_object_get(v, "vkey"));
        if (rc == EX_OK && c->vkey && s && strcmp(s, c->vkey) == 0)
            rc = ex_fail(&l->err, EX_EEXIST, "that key is registered already, as '%s'", k);
    }
    if (rc == EX_OK && !c->vkey) {
        json_object_del(o, c->name);
    } else if (rc == EX_OK) {
        char now[32];
        ex_time_now(now);
        json_object_set_new(o, c->name, json_pack("{s:s,s:s}", "vkey", c->vkey, "added", now));
    }
    if (rc == EX_OK)
        rc = ex_ledger_meta_put_json(l, META_W, o);
    json_decref(o);
    return rc;
}

int
ex_ledger_witness_add(ex_ledger *l, const char *name, const char *vkey)
{
    ex_err_clear(&l->err);
    ex_vkey v;
    if (!label_ok(name))
        return ex_fail(&l->err, EX_EINVAL,
                       "a witness name is 1 to %d letters, digits, '.', "
                       "'-', '_' or '/'",
                       LABEL_MAX);
    if (ex_wvkey_parse(vkey, &v, &l->err) != EX_OK)
        return EX_EFORMAT;
    change c = {name, vkey};
    return ex_ledger_atomic(l, change_in_tx, &c);
}

int
ex_ledger_witness_remove(ex_ledger *l, const char *name)
{
    ex_err_clear(&l->err);
    change c = {name, NULL};
    return ex_ledger_atomic(l, change_in_tx, &c);
}

int
ex_ledger_witnesses_dup(ex_ledger *l, char **jsonl, size_t *len)
{
    return ex_ledger_meta_jsonl(l, META_W, "added", "vkey", jsonl, len);
}

int
ex_ledger_witness_keys(ex_ledger *l, const char *name, ex_vkey **keys, size_t *n)
{
    ex_err_clear(&l->err);
    json_t *o, *v;
    const char *k;
    int rc = ex_ledger_meta_object(l, META_W, &o);
    if (rc != EX_OK)
        return rc;
    ex_vkey *a = calloc(json_object_size(o) + 1, sizeof *a);
    size_t m = 0;
    if (!a)
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
    json_object_foreach(o, k, v) {
        const char *s = json_string_value(json_object_get(v, "vkey"));
        if (rc != EX_OK || (name && strcmp(k, name) != 0))
            continue;
        if (!s || ex_wvkey_parse(s, &a[m], &l->err) != EX_OK)
            rc = ex_fail(&l->err, EX_EFORMAT, "witness '%s' has a damaged key", k);
        else
            m++;
    }
    json_decref(o);
    if (rc == EX_OK && name && m == 0)
        rc = ex_fail(&l->err, EX_ENOTFOUND, "no witness '%s'", name);
    if (rc != EX_OK) {
        free(a);
        return rc;
    }
    *keys = a;
    *n = m;
    return EX_OK;
}
