/* history.c - the report page's sections over time and lineage (report.h): every decision by
 * the day its batch was logged and its rule (the latest TIME_DAYS days drawn and listed, the
 * TIME_SERIES rules with most decisions apiece and the rest as "(other)"), and the attested
 * models with the parents they were derived from. */
#include "report.h"

#include <jansson.h>
#include <stdlib.h>

#define TIME_DAYS 60
#define TIME_SERIES 9
#define NODES_MAX 300 /* models drawn in the lineage graph (all are listed) */

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sort v[0..n) and drop repeats; the count left */
static size_t
distinct(const char **v, size_t n)
{
    size_t k = 0;
    qsort(v, n, sizeof *v, str_cmp);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
            v[k++] = v[i];
    return k;
}

static size_t
find(const char *const *v, size_t n, const char *s)
{
    const char *const *at = bsearch(&s, v, n, sizeof *v, str_cmp);
    return (size_t)(at - v);
}

typedef struct timeline {
    size_t n, nd, nr, nser, ncols;
    const char **eday, **erule, **days, **rules, **ser;
    uint64_t *cnt, *tot, *m;
    size_t *order, *ser_of;
} timeline;

static const uint64_t *totals_of;

static int
by_total(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return totals_of[x] != totals_of[y] ? (totals_of[x] < totals_of[y] ? 1 : -1)
                                        : (x > y) - (x < y);
}

static void
time_table(page *p, timeline *t)
{
    const size_t off = t->nd - t->ncols;
    page_put(p, "<table><thead><tr><th>day</th>");
    for (size_t s = 0; s < t->nser; s++) {
        page_put(p, "<th class=\"n\">");
        page_esc(p, t->ser[s]);
        page_put(p, "</th>");
    }
    page_put(p, "<th class=\"n\">all</th></tr></thead><tbody>");
    for (size_t c = t->ncols; c-- > 0 && p->rc == EX_OK;) { /* the latest first */
        const char *day = t->days[off + c];
        uint64_t all = 0;
        page_put(p, "<tr><td><time data-k=\"");
        page_esc(p, page_key(p, "time:", day, ":day", NULL));
        page_put(p, "\">");
        page_esc(p, day);
        page_put(p, "</time></td>");
        for (size_t s = 0; s < t->nser; s++) {
            all += t->m[c * t->nser + s];
            page_tdn(p, page_key(p, "time:", day, ":", t->ser[s]), t->m[c * t->nser + s]);
        }
        page_tdn(p, page_key(p, "time:", day, ":total", NULL), all);
        page_put(p, "</tr>");
    }
    page_put(p, "</tbody></table><p class=\"note\">");
    page_mem(p, html_num(p->b, "span", NULL, "time:days", NULL, NULL, t->nd));
    page_put(p, " day(s) with decisions; the latest ");
    page_mem(p, html_num(p->b, "span", NULL, "time:shown", NULL, NULL, t->ncols));
    page_put(p, " shown</p>");
}

void
section_time(page *p)
{
    json_t *a;
    char where[64];
    if (page_list(p, p->j, "by_time", &a) != EX_OK)
        return;
    timeline t = {.n = json_array_size(a)};
    size_t n1 = t.n + 1;
    t.eday = calloc(n1, sizeof *t.eday), t.erule = calloc(n1, sizeof *t.erule);
    t.days = calloc(n1, sizeof *t.days), t.rules = calloc(n1, sizeof *t.rules);
    t.ser = calloc(TIME_SERIES + 1, sizeof *t.ser);
    t.cnt = calloc(n1, sizeof *t.cnt), t.tot = calloc(n1, sizeof *t.tot);
    t.order = calloc(n1, sizeof *t.order), t.ser_of = calloc(n1, sizeof *t.ser_of);
    if (!t.eday || !t.erule || !t.days || !t.rules || !t.ser || !t.cnt || !t.tot || !t.order ||
        !t.ser_of)
        page_mem(p, EX_ENOMEM);
    for (size_t i = 0; i < t.n && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, "by_time", i, where, sizeof where);
        if (!o || page_text(p, o, where, "day", 0, &t.eday[i]) ||
            page_text(p, o, where, "rule", 0, &t.erule[i]) ||
            page_count(p, o, where, "count", &t.cnt[i]))
            break;
        t.days[i] = t.eday[i], t.rules[i] = t.erule[i];
    }
    if (p->rc == EX_OK) {
        t.nd = distinct(t.days, t.n), t.nr = distinct(t.rules, t.n);
        for (size_t i = 0; i < t.n; i++)
            t.tot[find(t.rules, t.nr, t.erule[i])] += t.cnt[i];
        for (size_t r = 0; r < t.nr; r++)
            t.order[r] = r;
        totals_of = t.tot;
        qsort(t.order, t.nr, sizeof *t.order, by_total);
        t.nser = t.nr > TIME_SERIES ? TIME_SERIES + 1 : t.nr;
        for (size_t k = 0; k < t.nr; k++) {
            t.ser_of[t.order[k]] = k < TIME_SERIES ? k : TIME_SERIES;
            if (k <= TIME_SERIES)
                t.ser[k] = k < TIME_SERIES ? t.rules[t.order[k]] : "(other)";
        }
        t.ncols = t.nd < TIME_DAYS ? t.nd : TIME_DAYS;
        if (!(t.m = calloc(t.ncols * t.nser + 1, sizeof *t.m)))
            page_mem(p, EX_ENOMEM);
    }
    for (size_t i = 0; i < t.n && p->rc == EX_OK; i++) {
        size_t d = find(t.days, t.nd, t.eday[i]), off = t.nd - t.ncols;
        if (d >= off)
            t.m[(d - off) * t.nser + t.ser_of[find(t.rules, t.nr, t.erule[i])]] += t.cnt[i];
    }
    page_open(p, "time",
              "Decisions by rule over time (every decision, history included, by the "
              "day its batch was logged)",
              NULL);
    if (p->rc == EX_OK && t.nd)
        page_mem(
            p, chart_stacked(p->b, "time", t.days + (t.nd - t.ncols), t.ncols, t.ser, t.nser, t.m));
    if (p->rc == EX_OK)
        time_table(p, &t);
    page_close(p, 0);
    free(t.eday), free(t.erule), free(t.days), free(t.rules), free(t.ser);
    free(t.cnt), free(t.tot), free(t.order), free(t.ser_of), free(t.m);
}

/* the names of a model's parents in the table: a model of the ledger by its name */
static void
parent_names(page *p, json_t *parents, const lnode *v, const char *const *ids, size_t n)
{
    size_t k;
    json_t *x;
    json_array_foreach(parents, k, x) {
        const char *id = json_string_value(x);
        size_t j = 0;
        while (j < n && strcmp(ids[j], id) != 0)
            j++;
        page_put(p, k ? ", " : "");
        page_esc(p, j < n ? v[j].name : id);
    }
}

void
section_models(page *p)
{
    json_t *a, *x;
    char where[64];
    if (page_list(p, p->j, "models", &a) != EX_OK)
        return;
    size_t n = json_array_size(a), npar = 0, k;
    lnode *v = calloc(n + 1, sizeof *v);
    const char **ids = calloc(n + 1, sizeof *ids);
    json_t **par = calloc(n + 1, sizeof *par), **snaps = calloc(n + 1, sizeof *snaps);
    if (!v || !ids || !par || !snaps)
        page_mem(p, EX_ENOMEM);
    for (size_t i = 0; i < n && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, "models", i, where, sizeof where);
        json_t *r = json_object_get(o, "retired");
        if (!o || page_text(p, o, where, "model", 0, &ids[i]) ||
            page_text(p, o, where, "name", 0, &v[i].name) ||
            page_text(p, o, where, "kind", 1, &v[i].kind))
            break;
        par[i] = json_object_get(o, "parents"), snaps[i] = json_object_get(o, "snapshots");
        if (!json_is_array(par[i]) || !json_is_array(snaps[i]) || (r && !json_is_boolean(r))) {
            page_fail(p, where, "parents, snapshots or retired", "not of its type");
            break;
        }
        json_array_foreach(par[i], k, x) {
            if (!json_is_string(x))
                page_fail(p, where, "parents", "not an array of model ids");
        }
        json_array_foreach(snaps[i], k, x) {
            if (!json_is_string(x))
                page_fail(p, where, "snapshots", "not an array of names");
        }
        npar += json_array_size(par[i]);
        v[i].kind = v[i].kind ? v[i].kind : "";
        v[i].retired = json_is_true(r);
    }
    size_t *pv = calloc(npar + 1, sizeof *pv), used = 0;
    if (!pv)
        page_mem(p, EX_ENOMEM);
    for (size_t i = 0; i < n && p->rc == EX_OK; i++) {
        v[i].parents = pv + used;
        json_array_foreach(par[i], k, x) {
            size_t j = 0;
            while (j < n && strcmp(ids[j], json_string_value(x)) != 0)
                j++;
            if (j < n) /* a model of the ledger's: an edge */
                pv[used++] = j, v[i].nparents++;
        }
    }
    page_open(p, "models", "Models and their lineage", NULL);
    if (p->rc == EX_OK && n) {
        page_put(p, "<div class=\"scroll\">");
        page_mem(p, chart_lineage(p->b, v, n < NODES_MAX ? n : NODES_MAX));
        page_put(p, "</div>");
    }
    page_put(p, "<table><thead><tr><th>model</th><th>kind</th><th>id</th><th>parents</th>"
                "<th>snapshots</th><th>retired</th></tr></thead><tbody>");
    for (size_t i = 0; i < n && p->rc == EX_OK; i++) {
        page_put(p, "<tr data-k=\"");
        page_esc(p, page_key(p, "model:", ids[i], NULL, NULL));
        page_put(p, "\">");
        page_tdt(p, v[i].name);
        page_tdt(p, v[i].kind);
        page_put(p, "<td><code>");
        page_esc(p, ids[i]);
        page_put(p, "</code></td><td>");
        parent_names(p, par[i], v, ids, n);
        page_put(p, "</td><td>");
        json_array_foreach(snaps[i], k, x) {
            page_put(p, k ? ", " : "");
            page_esc(p, json_string_value(x));
        }
        page_put(p, v[i].retired ? "</td><td class=\"reject\">retired</td></tr>"
                                 : "</td><td></td></tr>");
    }
    if (p->rc == EX_OK && !n)
        page_put(p, "<tr><td colspan=\"6\" class=\"empty\">no training run attested</td></tr>");
    page_close(p, 1);
    free(v), free(ids), free(par), free(snaps), free(pv);
}
