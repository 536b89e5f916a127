/* models.c - what the ledger knows of models: the attestations logged (their entries, which
 * carry the lineage), retirements, `models`, `lineage`, `model retire` and `impact`. Models are
 * few (tens to thousands) against items (billions): everything here works on the list of
 * attestations in memory; the one question per snapshot is answered by snap_has. */
#include "attest.h"
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "core/cjson.h"

static int
copy_str(char *dst, size_t cap, json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= cap)
        return EX_EFORMAT;
    memcpy(dst, s, strlen(s) + 1);
    return EX_OK;
}

/* the digests of array v into *out */
static int
digests(json_t *v, char (**out)[EX_DIGEST_STR_BYTES], size_t *n)
{
    size_t k = json_array_size(v), i;
    json_t *x;
    *n = 0;
    if (!json_is_array(v))
        return EX_EFORMAT;
    if (k && !(*out = calloc(k, sizeof **out)))
        return EX_ENOMEM;
    json_array_foreach(v, i, x)
        if (copy_str((*out)[i], EX_DIGEST_STR_BYTES, x) != EX_OK)
            return EX_EFORMAT;
    *n = k;
    return EX_OK;
}

static int
read_entry(const char *data, size_t len, att *a)
{
    json_t *o = json_loadb(data, len, 0, NULL), *s, *x;
    size_t i;
    int rc = o ? EX_OK : EX_EFORMAT;
    if (rc == EX_OK &&
        ((rc = copy_str(a->envelope, sizeof a->envelope, json_object_get(o, "envelope"))) != EX_OK ||
         (rc = copy_str(a->model, sizeof a->model, json_object_get(o, "model"))) != EX_OK ||
         (rc = copy_str(a->name, sizeof a->name, json_object_get(o, "name"))) != EX_OK ||
         (rc = copy_str(a->kind, sizeof a->kind, json_object_get(o, "kind"))) != EX_OK ||
         (rc = digests(json_object_get(o, "parents"), &a->parents, &a->nparents)) != EX_OK ||
         (rc = digests(json_object_get(o, "external_parents"), &a->external, &a->nexternal)) !=
             EX_OK))
        goto out;
    s = json_object_get(o, "snapshots");
    if (rc == EX_OK && json_array_size(s) &&
        !(a->snapshots = calloc(json_array_size(s), sizeof *a->snapshots)))
        rc = EX_ENOMEM;
    json_array_foreach(s, i, x) {
        if (rc != EX_OK)
            break;
        a->snapshots[i].log_index = (uint64_t)json_integer_value(json_object_get(x, "log_index"));
        rc = copy_str(a->snapshots[i].name, sizeof a->snapshots[i].name, json_object_get(x, "name"));
        a->nsnapshots = i + 1;
    }
out:
    json_decref(o);
    return rc;
}

typedef struct loading {
    ex_ledger *l;
    att *v;
    size_t n, cap;
} loading;

static int
take_att(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id, (void)data, (void)len;
    loading *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        att *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
        c->v = v, c->cap = cap;
    }
    att *a = &c->v[c->n];
    memset(a, 0, sizeof *a);
    c->n++;
    a->log_index = (uint64_t)key;
    uint8_t *e;
    size_t el;
    int rc = c->l->st->ops->entry_get_dup(c->l->st, (uint64_t)key, &e, &el);
    if (rc != EX_OK)
        return ex_ledger_fail_store(c->l, rc);
    rc = read_entry((const char *)e, el, a);
    free(e);
    if (rc != EX_OK)
        return ex_fail(&c->l->err, rc, "log entry %lld is not an attestation entry",
                       (long long)key);
    return EX_OK;
}

static int
take_retirement(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    loading *c = ctx;
    json_t *o = json_loadb(data, len, 0, NULL);
    const char *m = json_string_value(json_object_get(o, "model"));
    const char *why = json_string_value(json_object_get(o, "reason"));
    int rc = m && why ? EX_OK : ex_fail(&c->l->err, EX_EFORMAT, "retirement at log index %lld "
                                        "is not a retirement record", (long long)key);
    for (size_t i = 0; rc == EX_OK && i < c->n; i++)
        if (strcmp(c->v[i].model, m) == 0 && !c->v[i].retired) {
            c->v[i].retired = (uint64_t)key + 1;
            if (!(c->v[i].reason = strdup(why)))
                rc = ex_fail(&c->l->err, EX_ENOMEM, "out of memory");
        }
    json_decref(o);
    return rc;
}

void
att_free(att *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].parents);
        free(a[i].external);
        free(a[i].snapshots);
        free(a[i].reason);
    }
    free(a);
}

int
att_load(ex_ledger *l, att **out, size_t *n)
{
    loading c = {l, NULL, 0, 0};
    *out = NULL;
    *n = 0;
    if (l->st->schema < 6)
        return EX_OK; /* a ledger read as it is, from before attestations */
    ex_store *st = l->st;
    int rc = st->ops->rec_keys(st, EX_TAB_ATTESTATIONS, take_att, &c);
    if (rc == EX_OK)
        rc = st->ops->rec_scan(st, EX_TAB_RETIREMENTS, 1, UINT64_MAX, take_retirement, &c);
    if (rc != EX_OK) {
        if (!l->err.msg[0])
            ex_ledger_fail_store(l, rc);
        att_free(c.v, c.n);
        return rc;
    }
    /* rec_keys gives no order: log order */
    for (size_t i = 1; i < c.n; i++)
        for (size_t j = i; j > 0 && c.v[j - 1].log_index > c.v[j].log_index; j--) {
            att t = c.v[j];
            c.v[j] = c.v[j - 1];
            c.v[j - 1] = t;
        }
    *out = c.v;
    *n = c.n;
    return EX_OK;
}

int
att_find(ex_ledger *l, const att *a, size_t n, const char *ref, size_t *at)
{
    int by_id = strncmp(ref, "sha256:", 7) == 0;
    for (size_t i = n; i-- > 0;)
        if (strcmp(by_id ? a[i].model : a[i].name, ref) == 0) {
            *at = i;
            return EX_OK;
        }
    return ex_fail(&l->err, EX_ENOTFOUND, "no model '%s' in the ledger (see 'exante models')",
                   ref);
}

/* ---- listing ---- */

static void
write_model(ex_cj *w, const att *a, int depth, const char *via)
{
    ex_cj_obj(w);
    if (depth >= 0)
        ex_cj_kint(w, "depth", depth);
    ex_cj_key(w, "external_parents");
    ex_cj_arr(w);
    for (size_t i = 0; i < a->nexternal; i++)
        ex_cj_str(w, a->external[i], strlen(a->external[i]));
    ex_cj_end(w);
    ex_cj_kopt(w, "kind", a->kind);
    ex_cj_kint(w, "log_index", (int64_t)a->log_index);
    ex_cj_kopt(w, "model", a->model);
    ex_cj_kopt(w, "name", a->name);
    ex_cj_key(w, "parents");
    ex_cj_arr(w);
    for (size_t i = 0; i < a->nparents; i++)
        ex_cj_str(w, a->parents[i], strlen(a->parents[i]));
    ex_cj_end(w);
    if (a->retired) {
        ex_cj_kopt(w, "reason", a->reason);
    }
    ex_cj_key(w, "retired");
    ex_cj_bool(w, a->retired != 0);
    ex_cj_key(w, "snapshots");
    ex_cj_arr(w);
    for (size_t i = 0; i < a->nsnapshots; i++)
        ex_cj_str(w, a->snapshots[i].name, strlen(a->snapshots[i].name));
    ex_cj_end(w);
    if (via)
        ex_cj_kopt(w, "via", via);
    ex_cj_end(w);
}

int
ex_ledger_models_dup(ex_ledger *l, char **jsonl, size_t *len)
{
    ex_err_clear(&l->err);
    att *a;
    size_t n;
    int rc = att_load(l, &a, &n);
    if (rc != EX_OK)
        return rc;
    ex_buf b = {0};
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        ex_cj w;
        ex_cj_init(&w, &b);
        write_model(&w, &a[i], -1, NULL);
        if ((rc = ex_cj_done(&w)) == EX_OK)
            rc = ex_buf_putc(&b, '\n');
    }
    att_free(a, n);
    if (rc != EX_OK) {
        ex_buf_free(&b);
        return ex_fail(&l->err, rc, "cannot list the models: %s", ex_strerror(rc));
    }
    if (!b.data && ex_buf_reserve(&b, 1) != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    *jsonl = ex_buf_take(&b, len);
    return EX_OK;
}

/* depth[i] >= 0 for the models reached from the marked ones, along parent links upward
 * (up = 1) or downward; via[i]: the model it was reached through */
static void
closure(const att *a, size_t n, int *depth, size_t *via, int up)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t c = 0; c < n; c++)
            for (size_t p = 0; p < n; p++) {
                size_t from = up ? c : p, to = up ? p : c;
                if (depth[from] < 0 || (depth[to] >= 0 && depth[to] <= depth[from] + 1))
                    continue;
                int linked = 0;
                for (size_t k = 0; k < a[c].nparents && !linked; k++)
                    linked = strcmp(a[c].parents[k], a[p].model) == 0;
                if (linked) {
                    depth[to] = depth[from] + 1;
                    via[to] = from;
                    changed = 1;
                }
            }
    }
}

int
ex_ledger_lineage_dup(ex_ledger *l, const char *ref, char **json, size_t *len)
{
    ex_err_clear(&l->err);
    att *a;
    size_t n, at = 0;
    int rc = att_load(l, &a, &n);
    if (rc != EX_OK)
        return rc;
    if ((rc = att_find(l, a, n, ref, &at)) != EX_OK) {
        att_free(a, n);
        return rc;
    }
    int *up = malloc((n + 1) * sizeof *up), *down = malloc((n + 1) * sizeof *down);
    size_t *vu = calloc(n + 1, sizeof *vu), *vd = calloc(n + 1, sizeof *vd);
    ex_buf b = {0};
    if (!up || !down || !vu || !vd) {
        rc = ex_fail(&l->err, EX_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        up[i] = down[i] = -1;
    up[at] = down[at] = 0;
    closure(a, n, up, vu, 1);
    closure(a, n, down, vd, 0);
    ex_cj w;
    ex_cj_init(&w, &b);
    ex_cj_obj(&w);
    ex_cj_key(&w, "ancestors");
    ex_cj_arr(&w);
    for (int d = 1; d <= (int)n; d++)
        for (size_t i = 0; i < n; i++)
            if (up[i] == d)
                write_model(&w, &a[i], d, a[vu[i]].model);
    ex_cj_end(&w);
    ex_cj_key(&w, "descendants");
    ex_cj_arr(&w);
    for (int d = 1; d <= (int)n; d++)
        for (size_t i = 0; i < n; i++)
            if (down[i] == d)
                write_model(&w, &a[i], d, a[vd[i]].model);
    ex_cj_end(&w);
    ex_cj_key(&w, "model");
    write_model(&w, &a[at], -1, NULL);
    ex_cj_end(&w);
    if ((rc = ex_cj_done(&w)) != EX_OK)
        ex_fail(&l->err, rc, "cannot write the lineage");
    else
        *json = ex_buf_take(&b, len);
out:
    ex_buf_free(&b);
    free(up);
    free(down);
    free(vu);
    free(vd);
    att_free(a, n);
    return rc;
}

/* ---- retirement ---- */

typedef struct retiring {
    ex_buf entry;
    uint64_t index;
} retiring;

static int
retire_in_tx(ex_ledger *l, void *ctx)
{
    retiring *r = ctx;
    const void *ep = r->entry.data;
    size_t el = r->entry.len;
    int rc = ex_log_append(l->log, &ep, &el, 1, &r->index);
    if (rc != EX_OK)
        return ex_ledger_fail_log(l, rc);
    if ((rc = l->st->ops->rec_append(l->st, EX_TAB_RETIREMENTS, (int64_t)r->index,
                                     r->entry.data, r->entry.len, NULL)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    return EX_OK;
}

int
ex_ledger_model_retire(ex_ledger *l, const char *ref, const char *reason, uint64_t *index)
{
    ex_err_clear(&l->err);
    if (!l->key)
        return ex_fail(&l->err, EX_EINVAL, "the ledger was opened read-only");
    if (!reason || !*reason || !ex_utf8_valid(reason, strlen(reason)))
        return ex_fail(&l->err, EX_EINVAL, "model retire: a reason (--reason TEXT, UTF-8) is "
                       "required");
    int lockfd;
    int rc = ex_ledger_lock(l, &lockfd);
    if (rc != EX_OK)
        return rc;
    att *a = NULL;
    size_t n = 0, at = 0;
    retiring r = {{0}, 0};
    if ((rc = att_load(l, &a, &n)) != EX_OK || (rc = att_find(l, a, n, ref, &at)) != EX_OK)
        goto out;
    if (a[at].retired) {
        rc = ex_fail(&l->err, EX_EEXIST, "model '%s' was retired at log index %llu: %s", ref,
                     (unsigned long long)(a[at].retired - 1), a[at].reason);
        goto out;
    }
    char now[32];
    ex_time_now(now);
    ex_cj w;
    ex_cj_init(&w, &r.entry);
    ex_cj_obj(&w);
    ex_cj_kopt(&w, "model", a[at].model);
    ex_cj_kopt(&w, "name", a[at].name);
    ex_cj_kopt(&w, "reason", reason);
    ex_cj_kopt(&w, "retired", now);
    ex_cj_kstr(&w, "type", "model-retire", 12);
    ex_cj_end(&w);
    if ((rc = ex_cj_done(&w)) != EX_OK) {
        ex_fail(&l->err, rc, "cannot write the retirement");
        goto out;
    }
    if ((rc = ex_ledger_atomic(l, retire_in_tx, &r)) == EX_OK && index)
        *index = r.index;
out:
    ex_buf_free(&r.entry);
    att_free(a, n);
    ex_ledger_unlock(lockfd);
    return rc;
}

/* ---- one attestation ---- */

typedef struct envelope_find {
    uint64_t index;
    uint8_t *data;
    size_t len;
} envelope_find;

static int
take_envelope(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    envelope_find *f = ctx;
    if ((uint64_t)key != f->index || f->data)
        return EX_OK;
    if (!(f->data = malloc(len + 1)))
        return EX_ENOMEM;
    memcpy(f->data, data, len);
    f->data[len] = 0;
    f->len = len;
    return EX_OK;
}

int
ex_ledger_attestation_dup(ex_ledger *l, const char *ref, char **envelope, size_t *len,
                          uint64_t *index)
{
    ex_err_clear(&l->err);
    *envelope = NULL;
    att *a;
    size_t n, at = 0;
    int rc = att_load(l, &a, &n);
    if (rc != EX_OK)
        return rc;
    envelope_find f = {0, NULL, 0};
    char *end;
    unsigned long long v = strtoull(ref, &end, 10);
    if (ref[0] >= '0' && ref[0] <= '9' && !*end) {
        for (at = 0; at < n && a[at].log_index != v; at++)
            ;
        if (at == n)
            rc = ex_fail(&l->err, EX_ENOTFOUND, "log entry %llu is not an attestation", v);
    } else {
        rc = att_find(l, a, n, ref, &at);
    }
    if (rc == EX_OK) {
        f.index = a[at].log_index;
        rc = l->st->ops->rec_scan_key(l->st, EX_TAB_ATTESTATIONS, (int64_t)f.index,
                                      take_envelope, &f);
        if (rc == EX_ENOMEM)
            ex_fail(&l->err, rc, "out of memory");
        else if (rc != EX_OK)
            ex_ledger_fail_store(l, rc);
        else if (!f.data)
            rc = ex_fail(&l->err, EX_ENOTFOUND, "the envelope of attestation %llu is missing",
                         (unsigned long long)f.index);
    }
    att_free(a, n);
    if (rc != EX_OK) {
        free(f.data);
        return rc;
    }
    *envelope = (char *)f.data;
    *len = f.len;
    if (index)
        *index = f.index;
    return EX_OK;
}
