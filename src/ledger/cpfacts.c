/* cpfacts.c - the facts `exante export copyright-policy` is made of (exante.h,
 * ex_ledger_copyright_facts_dup), as of the log's size when it starts, one pass over each
 * table (docs/COPYRIGHT-POLICY.md defines every count):
 *
 *   policies     every adoption below that size, in log order (the last is the current
 *                policy), and the condition of each of their rules by (digest, rule id);
 *   batches      the decisions committed below that size (the cutoff, as report.c cuts them);
 *   decisions    newest first: an item's first row is its current decision (a bit per item),
 *                counted by verdict, by its rule, and when a rejection by the condition it was
 *                rejected for: the decision's `reservation` (a reservation carried from
 *                another occurrence names it), else its rule's condition in the policy whose
 *                digest the decision names;
 *   items        the HTTP status each was fetched with (401, 402, 403);
 *   captures     robots.txt and tdmrep.json captures and the hosts they cover;
 *   opt-outs     by holder, and by the trust they were logged on: the operator's `optout add`,
 *                a partner's request, a public request accepted on review (the submission
 *                named by `request`);
 *   submissions  opt-out requests and complaints by status (ex_ledger_submissions_dup).
 *
 * Memory: a bit per item, the policies, and tallies capped in distinct keys (tally.h). */
#include "cpfacts.h"

#include <stdlib.h>
#include <string.h>

static int
oom(cpf *f)
{
    return ex_fail(&f->l->err, EX_ENOMEM, "out of memory");
}

size_t
cpf_cond(cpf *f, const char *c)
{
    for (size_t i = 0; i < f->nconds; i++)
        if (strcmp(f->conds[i], c) == 0)
            return i;
    if (f->nconds == CPF_CONDS_MAX || strlen(c) >= sizeof f->conds[0])
        return CPF_CONDS_MAX;
    memcpy(f->conds[f->nconds], c, strlen(c) + 1);
    return f->nconds++;
}

/* the counters of the composite key a "\0" b */
static int
at2(cpf *f, tally *t, const char *a, const char *b, int add, uint64_t **v)
{
    ex_buf k = {0};
    int rc = ex_buf_put(&k, a, strlen(a) + 1) == EX_OK && ex_buf_puts(&k, b) == EX_OK
                 ? (add ? tally_at(t, k.data, k.len, v) : EX_OK)
                 : EX_ENOMEM;
    if (rc == EX_OK && !add)
        *v = tally_find(t, k.data, k.len);
    ex_buf_free(&k);
    return rc == EX_OK ? rc : oom(f);
}

/* ---- policies ---- */

static int
take_policy(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    cpf *f = ctx;
    if (key < 0 || (uint64_t)key >= f->size)
        return EX_OK;
    json_t *o = json_loadb(data, len, 0, NULL), *r;
    const char *dg = json_string_value(json_object_get(o, "digest"));
    const char *canon = json_string_value(json_object_get(o, "canonical"));
    json_t *c = canon ? json_loads(canon, 0, NULL) : NULL;
    if (!dg || !json_is_object(c) || !json_is_array(json_object_get(c, "rules"))) {
        json_decref(c);
        json_decref(o);
        return ex_fail(&f->l->err, EX_EFORMAT, "the policy at log index %lld is malformed",
                       (long long)key);
    }
    json_object_del(o, "text");
    json_object_del(o, "canonical");
    int rc = json_object_set_new(o, "canon", c) || json_object_set_new(o, "index", json_integer(key)) ||
                     json_array_append(f->pols, o)
                 ? oom(f)
                 : EX_OK;
    size_t i;
    json_array_foreach(json_object_get(c, "rules"), i, r) {
        const char *cond = json_string_value(json_object_get(r, "cond"));
        const char *rid = json_string_value(json_object_get(r, "id"));
        uint64_t *v;
        if (rc == EX_OK && cond && rid && (rc = at2(f, &f->rules, dg, rid, 1, &v)) == EX_OK)
            v[0] = cpf_cond(f, cond) + 1;
    }
    json_decref(o);
    return rc;
}

/* ---- batches and decisions ---- */

static int
take_batch(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    cpf *f = ctx;
    if (key < 0 || (uint64_t)key >= f->size)
        return EX_OK;
    if (ex_fields_read(&f->f, data, len) != EX_OK || f->f.num[0] < 0 || f->f.num[1] < 1)
        return ex_fail(&f->l->err, EX_EFORMAT, "the batch at log index %lld is malformed",
                       (long long)key);
    uint64_t last = (uint64_t)f->f.num[1] + (uint64_t)f->f.num[0] - 1;
    if (f->f.num[0] > 0 && last > f->cutoff)
        f->cutoff = last;
    return EX_OK;
}

/* newest first: an item's older decisions are passed over unread */
static int
want_decision(void *ctx, uint64_t id, int64_t key)
{
    (void)id;
    cpf *f = ctx;
    if (key <= 0 || (uint64_t)key >= f->nitems)
        return 0;
    return !(f->seen[(uint64_t)key >> 6] & (1ull << ((uint64_t)key & 63)));
}

static int
take_decision(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    cpf *f = ctx;
    if (!want_decision(ctx, id, key))
        return EX_OK;
    uint64_t k = (uint64_t)key, *v = NULL;
    f->seen[k >> 6] |= 1ull << (k & 63);
    const void *rec;
    size_t rl;
    int rc = f->l->st->ops->decode(f->dec, EX_TAB_DECISIONS, id, data, len, &rec, &rl, &f->l->err);
    if (rc != EX_OK)
        return rc;
    if (ex_fields_read(&f->f, rec, rl) != EX_OK || !f->f.str[4] || !f->f.str[5])
        return ex_fail(&f->l->err, EX_EFORMAT, "decision %llu is not a decision record",
                       (unsigned long long)id);
    const char *pol = f->f.str[2], *res = f->f.str[3], *rule = f->f.str[4], *verdict = f->f.str[5];
    if (k > f->maxitem)
        f->maxitem = k;
    f->decided++;
    if (pol && (rc = at2(f, &f->rules, pol, rule, 0, &v)) != EX_OK)
        return rc;
    if (v)
        v[1]++;
    if (strcmp(verdict, "reject") != 0) {
        f->admitted += strcmp(verdict, "admit") == 0;
        f->pending += strcmp(verdict, "pending") == 0;
        f->duplicates += strcmp(verdict, "duplicate") == 0;
        return EX_OK;
    }
    f->rejected++;
    if (f->f.num[0] > 0) {
        f->carried++;
        f->carried_near += f->f.num[1] > 0;
    }
    if (res)
        f->cond_rejected[cpf_cond(f, res)]++;
    else if (v && v[0])
        f->cond_rejected[v[0] - 1]++;
    else
        f->unattributed++; /* no-rule, or a policy not logged below the size */
    return EX_OK;
}

/* ---- items, captures, opt-outs ---- */

static int
take_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    cpf *f = ctx;
    if (ex_fields_read(&f->f, data, len) != EX_OK)
        return ex_fail(&f->l->err, EX_EFORMAT, "item %llu is not an item record",
                       (unsigned long long)id);
    f->items++;
    int64_t s = f->f.num[0];
    if (s >= 401 && s <= 403)
        f->status[s - 401]++;
    return EX_OK;
}

static int
take_capture(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    cpf *f = ctx;
    if (key < 0 || (uint64_t)key >= f->size)
        return EX_OK;
    if (ex_fields_read(&f->f, data, len) != EX_OK || !f->f.str[0] || !f->f.str[1])
        return ex_fail(&f->l->err, EX_EFORMAT, "the capture at log index %lld is malformed",
                       (long long)key);
    int robots = strcmp(f->f.str[1], "robots.txt") == 0;
    if (!robots && strcmp(f->f.str[1], "tdmrep.json") != 0)
        return EX_OK;
    f->captures[!robots]++;
    int64_t st = f->f.num[2];
    f->disallow_all += robots && (st == 0 || st >= 500);
    uint64_t *v;
    int rc = at2(f, &f->hosts, f->f.str[1], f->f.str[0], 1, &v);
    if (rc == EX_OK)
        v[0]++;
    return rc;
}

static int
take_optout(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    cpf *f = ctx;
    if (key < 0 || (uint64_t)key >= f->size)
        return EX_OK;
    if (ex_fields_read(&f->f, data, len) != EX_OK)
        return ex_fail(&f->l->err, EX_EFORMAT, "the opt-out at log index %lld is malformed",
                       (long long)key);
    uint64_t *v;
    const char *holder = f->f.str[0];
    f->optouts++;
    if (!holder)
        f->without_holder++;
    else if (tally_at(&f->holders, holder, strlen(holder), &v) != EX_OK)
        return oom(f);
    else
        v[0]++;
    if (f->f.num[1] < 0) {
        f->trust[0]++; /* no request: the operator's `optout add` */
        return EX_OK;
    }
    char ix[24];
    snprintf(ix, sizeof ix, "%lld", (long long)f->f.num[1]);
    json_t *s = json_object_get(f->sub_trust, ix);
    const char *trust = json_string_value(json_object_get(s, "trust"));
    const char *partner = json_string_value(json_object_get(s, "partner"));
    if (trust && strcmp(trust, "partner") == 0 && partner) {
        f->trust[1]++;
        if (tally_at(&f->partners, partner, strlen(partner), &v) != EX_OK)
            return oom(f);
        v[0]++;
    } else {
        f->trust[trust && strcmp(trust, "public") == 0 ? 2 : 3]++;
    }
    return EX_OK;
}

/* the submissions below the size, by kind and status, and each one's view kept by id */
static int
submissions(cpf *f)
{
    char *jsonl = NULL;
    size_t len = 0;
    int rc = ex_ledger_submissions_dup(f->l, NULL, NULL, &jsonl, &len);
    for (char *p = jsonl, *e; rc == EX_OK && p && p < jsonl + len; p = e + 1) {
        if (!(e = memchr(p, '\n', (size_t)(jsonl + len - p))))
            e = jsonl + len;
        json_t *o = json_loadb(p, (size_t)(e - p), 0, NULL);
        json_int_t id = json_integer_value(json_object_get(o, "id"));
        const char *kind = json_string_value(json_object_get(o, "kind"));
        const char *status = json_string_value(json_object_get(o, "status"));
        char ix[24];
        snprintf(ix, sizeof ix, "%lld", (long long)id);
        json_object_del(o, "body"); /* who asked stays out of the facts */
        if (!kind || !status || id < 0)
            rc = ex_fail(&f->l->err, EX_EFORMAT, "a submission does not read");
        else if ((uint64_t)id < f->size) {
            int c = strcmp(kind, "complaint") == 0;
            int s = strcmp(status, "accepted") == 0 ? 1 : strcmp(status, "rejected") == 0 ? 2 : 0;
            f->subs[c][s]++;
        }
        if (rc == EX_OK && json_object_set(f->sub_trust, ix, o) != 0)
            rc = oom(f);
        json_decref(o);
    }
    free(jsonl);
    return rc;
}

/* ---- the passes ---- */

static int
scan(cpf *f, int table, uint64_t to, const char *const *paths, unsigned n, ex_record_visit fn)
{
    ex_store *st = f->l->st;
    ex_fields_free(&f->f);
    int rc = paths ? ex_fields_init(&f->f, paths, n) : EX_OK;
    if (rc != EX_OK)
        return ex_fail(&f->l->err, rc, "cannot compile the record fields");
    if (table == EX_TAB_DECISIONS)
        rc = st->ops->rec_scan_stored(st, table, 1, to, want_decision, fn, f);
    else
        rc = st->ops->rec_scan(st, table, 1, to, fn, f);
    if (rc == EX_ENOMEM && !f->l->err.msg[0])
        return oom(f);
    if (rc != EX_OK && !f->l->err.msg[0])
        ex_ledger_fail_store(f->l, rc);
    return rc;
}

static int
passes(cpf *f)
{
    static const char *const bpaths[] = {"count", "first"};
    static const char *const dpaths[] = {"carried_by", "near_of", "policy",
                                         "reservation", "rule", "verdict"};
    static const char *const ipaths[] = {"http_status"};
    static const char *const cpaths[] = {"host", "kind", "status"};
    static const char *const opaths[] = {"holder", "request"};
    ex_store *st = f->l->st;
    int rc;
    if ((rc = st->ops->rec_max(st, EX_TAB_ITEMS, &f->nitems)) != EX_OK)
        return ex_ledger_fail_store(f->l, rc);
    f->nitems++;
    if (!(f->seen = calloc(f->nitems / 64 + 1, sizeof *f->seen)) ||
        st->ops->dec_new(st, &f->dec) != EX_OK)
        return oom(f);
    if ((rc = scan(f, EX_TAB_POLICIES, UINT64_MAX, NULL, 0, take_policy)) != EX_OK ||
        (rc = scan(f, EX_TAB_BATCHES, UINT64_MAX, bpaths, 2, take_batch)) != EX_OK)
        return rc;
    if (f->cutoff &&
        (rc = scan(f, EX_TAB_DECISIONS, f->cutoff + 1, dpaths, 6, take_decision)) != EX_OK)
        return rc;
    if (f->maxitem && (rc = scan(f, EX_TAB_ITEMS, f->maxitem + 1, ipaths, 1, take_item)) != EX_OK)
        return rc;
    if ((rc = scan(f, EX_TAB_CAPTURES, UINT64_MAX, cpaths, 3, take_capture)) != EX_OK ||
        (rc = submissions(f)) != EX_OK)
        return rc;
    return scan(f, EX_TAB_OPTOUTS, UINT64_MAX, opaths, 2, take_optout);
}

int
ex_ledger_copyright_facts_dup(ex_ledger *l, char **json, size_t *len)
{
    ex_err_clear(&l->err);
    if (!json)
        return ex_fail(&l->err, EX_EINVAL, "copyright facts: no output");
    cpf *f = calloc(1, sizeof *f);
    if (!f)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    f->l = l;
    f->size = ex_log_size(l->log);
    tally_init(&f->rules, 1u << 24); /* rules of every policy: 4096 each at most */
    tally_init(&f->hosts, CPF_HOSTS_MAX);
    tally_init(&f->holders, CPF_HOLDERS_MAX);
    tally_init(&f->partners, CPF_PARTNERS_MAX);
    f->pols = json_array();
    f->sub_trust = json_object();
    int rc = f->pols && f->sub_trust ? passes(f) : oom(f);
    if (rc == EX_OK)
        rc = cpf_write(f, json, len);
    ex_fields_free(&f->f);
    if (f->dec)
        l->st->ops->dec_free(f->dec);
    free(f->seen);
    json_decref(f->pols);
    json_decref(f->sub_trust);
    tally_free(&f->rules);
    tally_free(&f->hosts);
    tally_free(&f->holders);
    tally_free(&f->partners);
    free(f);
    return rc;
}
