/* report.c - the facts `exante report` and the server's dashboard show (exante.h,
 * ex_ledger_report_dup), as of the log's size when it starts, read in one pass over each table:
 *
 *   batches    their log index and time: the decisions committed below that size (the cutoff,
 *              as a snapshot's members are cut, members.c) and the day each was logged on
 *              (runs of batches of one day, so memory follows days, not batches);
 *   decisions  newest first, as stored (rec_scan_stored), each decoded once: every one counts
 *              towards by_time; an item's first row is its current decision (a bit per item,
 *              as latest.c reads them), which counts by verdict, by rule and by source;
 *   items      in id order: bytes, licenses, hosts, sources, and which opt-out reaches each
 *              (one evaluator of every opt-out, ex_peval_optout, asked as snapshot creation
 *              asks it: the item's digest and URL);
 *   and the small tables (sources, opt-outs, snapshots, models) read whole.
 *
 * Memory: a bit per item, plus tallies capped in distinct keys (tally.h; a capped table is
 * named in "capped"). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* ---- batches: the cutoff and the day of each decision ---- */

/* t starts with a date, YYYY-MM-DD (a batch's `logged`, RFC 3339) */
static int
is_day(const char *t)
{
    for (int i = 0; t && i < 10; i++)
        if (i == 4 || i == 7 ? t[i] != '-' : t[i] < '0' || t[i] > '9')
            return 0;
    return t != NULL;
}

static int
take_batch(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    rep *r = ctx;
    if (key < 0 || (uint64_t)key >= r->size)
        return EX_OK;
    if (ex_fields_read(&r->f, data, len) != EX_OK || r->f.num[0] < 0 || r->f.num[1] < 1)
        return ex_fail(&r->l->err, EX_EFORMAT, "the batch at log index %lld is malformed",
                       (long long)key);
    if (r->f.num[0] == 0)
        return EX_OK;
    uint64_t first = (uint64_t)r->f.num[1], last = first + (uint64_t)r->f.num[0] - 1;
    if (last > r->cutoff)
        r->cutoff = last;
    char day[11] = "unknown";
    const char *t = r->f.str[2];
    if (is_day(t))
        memcpy(day, t, 10), day[10] = 0;
    day_run *p = r->nruns ? &r->runs[r->nruns - 1] : NULL;
    if (p && p->last + 1 == first && strcmp(p->day, day) == 0) {
        p->last = last; /* the same day's next batch */
        return EX_OK;
    }
    if (r->nruns == r->capruns) {
        size_t cap = r->capruns ? 2 * r->capruns : 16;
        day_run *v = realloc(r->runs, cap * sizeof *v);
        if (!v)
            return ex_fail(&r->l->err, EX_ENOMEM, "out of memory");
        r->runs = v, r->capruns = cap;
    }
    p = &r->runs[r->nruns++];
    p->first = first, p->last = last;
    memcpy(p->day, day, sizeof day);
    return EX_OK;
}

static int
run_cmp(const void *a, const void *b)
{
    const day_run *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static const char *
day_of(rep *r, uint64_t id)
{
    if (r->at < r->nruns && r->runs[r->at].first <= id && id <= r->runs[r->at].last)
        return r->runs[r->at].day;
    size_t lo = 0, hi = r->nruns;
    while (lo < hi) { /* the first run starting after id */
        size_t mid = lo + (hi - lo) / 2;
        if (r->runs[mid].first <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || r->runs[lo - 1].last < id)
        return "unknown"; /* outside every batch: log verify says so */
    r->at = lo - 1;
    return r->runs[r->at].day;
}

/* ---- decisions ---- */

/* the counters of the composite key a "\0" b */
static int
count2(rep *r, tally *t, const char *a, const char *b, uint64_t **v)
{
    r->key.len = 0;
    if (ex_buf_put(&r->key, a, strlen(a) + 1) != EX_OK || ex_buf_puts(&r->key, b) != EX_OK ||
        tally_at(t, r->key.data, r->key.len, v) != EX_OK)
        return ex_fail(&r->l->err, EX_ENOMEM, "out of memory");
    return EX_OK;
}

static int
take_decision(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    rep *r = ctx;
    const void *rec;
    size_t rl;
    uint64_t *v;
    int rc = r->l->st->ops->decode(r->dec, EX_TAB_DECISIONS, id, data, len, &rec, &rl, &r->l->err);
    if (rc != EX_OK)
        return rc;
    const char *rule = NULL, *verdict = NULL, *source = NULL;
    if (ex_fields_read(&r->f, rec, rl) == EX_OK)
        rule = r->f.str[0], source = r->f.str[1], verdict = r->f.str[2];
    if (!rule || !verdict)
        return ex_fail(&r->l->err, EX_EFORMAT, "decision %llu is not a decision record",
                       (unsigned long long)id);
    r->decisions++;
    if ((rc = count2(r, &r->times, day_of(r, id), rule, &v)) != EX_OK)
        return rc;
    v[0]++;
    if (key <= 0 || (uint64_t)key >= r->nitems)
        return EX_OK;
    uint64_t k = (uint64_t)key, bit = 1ull << (k & 63);
    if (r->seen[k >> 6] & bit)
        return EX_OK; /* newest first: an item's first row was its current decision */
    r->seen[k >> 6] |= bit;
    if (k > r->maxitem)
        r->maxitem = k;
    int admit = strcmp(verdict, "admit") == 0, reject = strcmp(verdict, "reject") == 0;
    r->admitted += (uint64_t)admit;
    r->rejected += (uint64_t)reject;
    r->pending += strcmp(verdict, "pending") == 0;
    r->duplicates += strcmp(verdict, "duplicate") == 0;
    if ((rc = count2(r, &r->rules, rule, verdict, &v)) != EX_OK)
        return rc;
    v[0]++;
    if (source && (admit || reject)) {
        if (tally_at(&r->sources, source, strlen(source), &v) != EX_OK)
            return ex_fail(&r->l->err, EX_ENOMEM, "out of memory");
        v[admit ? 2 : 3]++;
    }
    return EX_OK;
}

/* ---- items ---- */

static int
add2(rep *r, tally *t, const char *k, size_t len, uint64_t size)
{
    uint64_t *v;
    if (tally_at(t, k, len, &v) != EX_OK)
        return ex_fail(&r->l->err, EX_ENOMEM, "out of memory");
    v[0]++;
    v[1] += size;
    return EX_OK;
}

static int
digest_cmp(const void *a, const void *b)
{
    return strcmp(((const optout *)a)->digest, ((const optout *)b)->digest);
}

static int
take_item(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)key;
    rep *r = ctx;
    if (ex_fields_read(&r->f, data, len) != EX_OK || !r->f.str[0] || r->f.num[2] < 0)
        return ex_fail(&r->l->err, EX_EFORMAT, "item %llu is not an item record",
                       (unsigned long long)id);
    const char *lic = r->f.str[1] ? r->f.str[1] : "none", *src = r->f.str[3], *url = r->f.str[4];
    uint64_t size = (uint64_t)r->f.num[2];
    char host[256];
    size_t hl;
    int rc;
    r->items++;
    r->bytes += size;
    if ((rc = add2(r, &r->licenses, lic, strlen(lic), size)) != EX_OK ||
        (src && (rc = add2(r, &r->sources, src, strlen(src), size)) != EX_OK))
        return rc;
    if ((hl = ex_url_host(url, host)) && (rc = add2(r, &r->domains, host, hl, size)) != EX_OK)
        return rc;
    const char *by = NULL;
    ex_pitem it = {.digest = r->f.str[0], .url = url};
    if (r->ev && ex_peval_optout(r->ev, &it, &by) && by) {
        optout want, *o;
        snprintf(want.digest, sizeof want.digest, "%s", by);
        r->optout_items++;
        if ((o = bsearch(&want, r->opt, r->nopt, sizeof *o, digest_cmp)))
            o->reached++;
    }
    return EX_OK;
}

/* ---- the small tables ---- */

static int
take_optout(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    rep *r = ctx;
    if (key < 0 || (uint64_t)key >= r->size)
        return EX_OK;
    if (r->nopt == r->capopt) {
        size_t cap = r->capopt ? 2 * r->capopt : 16;
        optout *v = realloc(r->opt, cap * sizeof *v);
        if (!v)
            return ex_fail(&r->l->err, EX_ENOMEM, "out of memory");
        r->opt = v, r->capopt = cap;
    }
    optout *o = &r->opt[r->nopt];
    memset(o, 0, sizeof *o);
    uint8_t d[EX_HASH_BYTES];
    if (ex_sha256_digest(r->l->h, data, len, d) != EX_OK)
        return ex_fail(&r->l->err, EX_ECRYPTO, "cannot hash");
    ex_digest_format(d, o->digest); /* how the evaluator names it (adopt.c) */
    o->index = (uint64_t)key;
    if (!(o->rec = json_loadb(data, len, 0, NULL)))
        return ex_fail(&r->l->err, EX_EFORMAT, "the opt-out at log index %lld is malformed",
                       (long long)key);
    r->nopt++;
    return EX_OK;
}

static int
take_source(void *ctx, uint64_t id, int64_t key, const void *data, size_t len)
{
    (void)id;
    rep *r = ctx;
    if (key < 0 || (uint64_t)key >= r->size)
        return EX_OK;
    json_t *o = json_loadb(data, len, 0, NULL);
    if (!o || !json_is_string(json_object_get(o, "name"))) {
        json_decref(o);
        return ex_fail(&r->l->err, EX_EFORMAT, "the source at log index %lld is malformed",
                       (long long)key);
    }
    int rc = json_array_append_new(r->srcs, o) == 0 ? EX_OK : EX_ENOMEM;
    return rc == EX_OK ? rc : ex_fail(&r->l->err, rc, "out of memory");
}

/* ---- the passes ---- */

static int
scan(rep *r, int table, uint64_t to, const char *const *paths, unsigned n, ex_record_visit fn)
{
    ex_store *st = r->l->st;
    ex_fields_free(&r->f);
    int rc = paths ? ex_fields_init(&r->f, paths, n) : EX_OK;
    if (rc != EX_OK)
        return ex_fail(&r->l->err, rc, "cannot compile the record fields");
    if (table == EX_TAB_DECISIONS)
        rc = st->ops->rec_scan_stored(st, table, 1, to, NULL, fn, r);
    else
        rc = st->ops->rec_scan(st, table, 1, to, fn, r);
    if (rc != EX_OK && !r->l->err.msg[0])
        ex_ledger_fail_store(r->l, rc);
    return rc;
}

static int
passes(rep *r)
{
    static const char *const bpaths[] = {"count", "first", "logged"};
    static const char *const dpaths[] = {"rule", "source", "verdict"};
    static const char *const ipaths[] = {"digest", "license", "size", "source", "url"};
    ex_ledger *l = r->l;
    ex_store *st = l->st;
    int rc;
    if ((rc = st->ops->rec_max(st, EX_TAB_ITEMS, &r->nitems)) != EX_OK)
        return ex_ledger_fail_store(l, rc);
    r->nitems++;
    if (!(r->seen = calloc(r->nitems / 64 + 1, sizeof *r->seen)) ||
        st->ops->dec_new(st, &r->dec) != EX_OK)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if ((rc = scan(r, EX_TAB_BATCHES, UINT64_MAX, bpaths, 3, take_batch)) != EX_OK)
        return rc;
    if (r->nruns > 1)
        qsort(r->runs, r->nruns, sizeof *r->runs, run_cmp);
    if (r->cutoff &&
        (rc = scan(r, EX_TAB_DECISIONS, r->cutoff + 1, dpaths, 3, take_decision)) != EX_OK)
        return rc;
    if ((rc = scan(r, EX_TAB_OPTOUTS, UINT64_MAX, NULL, 0, take_optout)) != EX_OK ||
        (rc = scan(r, EX_TAB_SOURCES, UINT64_MAX, NULL, 0, take_source)) != EX_OK)
        return rc;
    if (r->nopt) {
        qsort(r->opt, r->nopt, sizeof *r->opt, digest_cmp);
        uint64_t n;
        if ((rc = ex_ledger_optouts_load(l, r->size, &r->pol, &r->ev, &n)) != EX_OK)
            return rc;
    }
    /* the items the counted decisions name: those committed with them */
    if (r->maxitem && (rc = scan(r, EX_TAB_ITEMS, r->maxitem + 1, ipaths, 5, take_item)) != EX_OK)
        return rc;
    return EX_OK;
}

int
ex_ledger_report_dup(ex_ledger *l, char **json, size_t *len)
{
    ex_err_clear(&l->err);
    rep *r = calloc(1, sizeof *r);
    if (!r)
        return ex_fail(&l->err, EX_ENOMEM, "out of memory");
    r->l = l;
    r->size = ex_log_size(l->log);
    tally_init(&r->rules, REPORT_RULES_MAX);
    tally_init(&r->times, REPORT_TIMES_MAX);
    tally_init(&r->licenses, REPORT_LICENSES_MAX);
    tally_init(&r->domains, REPORT_DOMAINS_MAX);
    tally_init(&r->sources, REPORT_SOURCES_MAX);
    int rc = (r->srcs = json_array()) ? passes(r) : ex_fail(&l->err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK)
        rc = report_write(r, json, len);
    ex_fields_free(&r->f);
    ex_buf_free(&r->key);
    if (r->dec)
        l->st->ops->dec_free(r->dec);
    free(r->seen);
    free(r->runs);
    for (size_t i = 0; i < r->nopt; i++)
        json_decref(r->opt[i].rec);
    free(r->opt);
    json_decref(r->srcs);
    ex_peval_free(r->ev);
    ex_policy_free(r->pol);
    tally_free(&r->rules);
    tally_free(&r->times);
    tally_free(&r->licenses);
    tally_free(&r->domains);
    tally_free(&r->sources);
    free(r);
    return rc;
}
