/* sections.c - the report page's sections (report.h), one function each, in page order. Keys
 * (data-k) are docs/REPORT.md's: "items", "rule:RULE:VERDICT", "time:DAY:RULE",
 * "license:L:items", "domain:D:bytes", "source:S:admitted", "optout:I:reached",
 * "snapshot:S:size", "model:ID"; chart labels "chart:...", axis ticks "tick:...". */
#include "report.h"

#include <jansson.h>
#include <stdlib.h>

#define BARS_MAX 15  /* bars of the rules and licenses charts */
#define ROWS_MAX 100 /* rows of the licenses table */

static int
known_verdict(const char *v)
{
    static const char *const known[] = {"admit", "reject", "pending", "duplicate"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(v, known[i]) == 0)
            return 1;
    return 0;
}

void
section_summary(page *p)
{
    static const struct {
        const char *k, *label, *cls;
    } cards[] = {{"items", "items recorded", NULL},
                 {"bytes", "bytes of content", NULL},
                 {"decisions", "decisions, history included", NULL},
                 {"admitted", "items admitted now", "admit"},
                 {"rejected", "items rejected now", "reject"},
                 {"pending", "items pending a policy", "pending"},
                 {"duplicates", "exact copies", "duplicate"},
                 {"optout_items", "items an opt-out reaches", NULL}};
    page_open(p, "summary", "Summary", NULL);
    page_put(p, "<div class=\"cards\">");
    for (size_t i = 0; i < sizeof cards / sizeof cards[0] && p->rc == EX_OK; i++) {
        uint64_t v;
        ex_buf t = {0};
        if (page_count(p, p->j, "", cards[i].k, &v) != EX_OK)
            return;
        int rc = ex_buf_printf(&t, "class=\"%s\"", cards[i].cls ? cards[i].cls : "");
        if (strcmp(cards[i].k, "bytes") == 0) {
            rc |= ex_buf_puts(&t, " title=\"");
            rc |= page_human(&t, v);
            rc |= ex_buf_putc(&t, '"');
        }
        page_put(p, "<div class=\"card\">");
        page_mem(p, rc | html_num(p->b, "span", t.data, cards[i].k, NULL, NULL, v));
        page_mem(p, ex_buf_printf(p->b, "<small>%s</small></div>", cards[i].label));
        ex_buf_free(&t);
    }
    page_put(p, "</div>");
    page_close(p, 0);
}

void
section_rules(page *p)
{
    json_t *a;
    char where[64];
    if (page_list(p, p->j, "by_rule", &a) != EX_OK)
        return;
    size_t n = json_array_size(a), nb = n < BARS_MAX ? n : BARS_MAX;
    bar *bars = calloc(nb + 1, sizeof *bars);
    ex_buf labels = {0};
    size_t *at = calloc(nb + 1, sizeof *at);
    if (!bars || !at)
        page_mem(p, EX_ENOMEM);
    page_open(p, "rules", "Items by their current decision's rule", NULL);
    for (size_t i = 0; i < nb && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, "by_rule", i, where, sizeof where);
        const char *rule, *verdict;
        if (!o || page_text(p, o, where, "rule", 0, &rule) ||
            page_text(p, o, where, "verdict", 0, &verdict) ||
            page_count(p, o, where, "count", &bars[i].v))
            break;
        at[i] = labels.len;
        page_mem(p, ex_buf_printf(&labels, "%s (%s)%c", rule, verdict, '\0'));
    }
    for (size_t i = 0; i < nb && p->rc == EX_OK; i++)
        bars[i].label = labels.data + at[i];
    if (p->rc == EX_OK && nb)
        page_mem(p, chart_bars(p->b, "rules", "items", bars, nb));
    page_put(p, "<table><thead><tr><th>rule</th><th>verdict</th><th class=\"n\">items</th></tr>"
                "</thead><tbody>");
    for (size_t i = 0; i < n && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, "by_rule", i, where, sizeof where);
        const char *rule, *verdict;
        uint64_t c;
        if (!o || page_text(p, o, where, "rule", 0, &rule) ||
            page_text(p, o, where, "verdict", 0, &verdict) || page_count(p, o, where, "count", &c))
            break;
        page_put(p, "<tr>");
        page_tdt(p, rule);
        page_mem(p,
                 ex_buf_printf(p->b, "<td class=\"%s\">", known_verdict(verdict) ? verdict : ""));
        page_esc(p, verdict);
        page_put(p, "</td>");
        page_tdn(p, page_key(p, "rule:", rule, ":", verdict), c);
        page_put(p, "</tr>");
    }
    page_close(p, 1);
    free(bars);
    free(at);
    ex_buf_free(&labels);
}

/* a license or domain section but its end: the chart of the first `draw` by counter `by`, then
 * the rows */
static void
mix(page *p, const char *name, const char *id, const char *title, const char *what, const char *by,
    size_t draw, size_t rows)
{
    json_t *a;
    char where[64];
    if (page_list(p, p->j, name, &a) != EX_OK)
        return;
    size_t n = json_array_size(a), nb = n < draw ? n : draw;
    bar *bars = calloc(nb + 1, sizeof *bars);
    if (!bars)
        page_mem(p, EX_ENOMEM);
    page_open(p, id, title, NULL);
    for (size_t i = 0; i < nb && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, name, i, where, sizeof where);
        if (o && page_text(p, o, where, what, 0, &bars[i].label) == EX_OK)
            page_count(p, o, where, by, &bars[i].v);
    }
    if (p->rc == EX_OK && nb)
        page_mem(p, chart_bars(p->b, id, by, bars, nb));
    if (p->rc == EX_OK && !n)
        page_put(p, "<p class=\"empty\">none recorded</p>");
    page_mem(p, ex_buf_printf(p->b,
                              "<table><thead><tr><th>%s</th><th class=\"n\">items</th>"
                              "<th class=\"n\">bytes</th></tr></thead><tbody>",
                              what));
    for (size_t i = 0; i < n && i < rows && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, name, i, where, sizeof where);
        const char *s;
        uint64_t items, bytes;
        if (!o || page_text(p, o, where, what, 0, &s) || page_count(p, o, where, "items", &items) ||
            page_count(p, o, where, "bytes", &bytes))
            break;
        page_put(p, "<tr>");
        page_tdt(p, s);
        page_tdn(p, page_key(p, what, ":", s, ":items"), items);
        page_tdn(p, page_key(p, what, ":", s, ":bytes"), bytes);
        page_put(p, "</tr>");
    }
    page_put(p, "</tbody></table>");
    if (n > rows) {
        page_put(p, "<p class=\"note\">");
        page_mem(p, html_num(p->b, "span", NULL, name, ":count", NULL, n));
        page_put(p, " in all; the first ");
        page_mem(p, html_num(p->b, "span", NULL, name, ":listed", NULL, rows));
        page_put(p, " listed</p>");
    }
    free(bars);
}

void
section_licenses(page *p)
{
    mix(p, "licenses", "licenses", "License mix (items; no declared license: none)", "license",
        "items", BARS_MAX, ROWS_MAX);
    page_close(p, 0);
}

void
section_domains(page *p)
{
    uint64_t total;
    mix(p, "domains", "domains", "Top domains by bytes", "domain", "bytes", 20, 20);
    if (page_count(p, p->j, "", "domains_total", &total) != EX_OK)
        return;
    page_put(p, "<p class=\"note\">");
    page_mem(p, html_num(p->b, "span", NULL, "domains_total", NULL, NULL, total));
    page_put(p, " distinct hosts in item URLs (items without an http(s) URL are not counted)</p>"
                "</section>\n");
}

void
section_sources(page *p)
{
    json_t *a;
    char where[64];
    if (page_list(p, p->j, "sources", &a) != EX_OK)
        return;
    static const char *const counts[] = {"items", "bytes", "admitted", "rejected"};
    page_open(p, "sources", "Sources (admitted, rejected: items by their current decision)",
              "<th>source</th><th>kind</th><th class=\"n\">items</th><th class=\"n\">bytes"
              "</th><th class=\"n\">admitted</th><th class=\"n\">rejected</th>");
    for (size_t i = 0; i < json_array_size(a) && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, "sources", i, where, sizeof where);
        const char *name, *kind;
        if (!o || page_text(p, o, where, "name", 0, &name) ||
            page_text(p, o, where, "kind", 1, &kind))
            break;
        page_put(p, "<tr>");
        page_tdt(p, name);
        page_tdt(p, kind ? kind : "");
        for (size_t k = 0; k < 4; k++) {
            uint64_t v;
            if (page_count(p, o, where, counts[k], &v) == EX_OK)
                page_tdn(p, page_key(p, "source:", name, ":", counts[k]), v);
        }
        page_put(p, "</tr>");
    }
    page_close(p, 1);
}

void
section_optouts(page *p)
{
    json_t *a;
    char where[64], ix[24];
    if (page_list(p, p->j, "optouts", &a) != EX_OK)
        return;
    page_open(p, "optouts", "Opt-outs and the items they reach",
              "<th class=\"n\">log index</th><th>scope</th><th>value</th><th>holder</th>"
              "<th class=\"n\">items reached</th>");
    for (size_t i = 0; i < json_array_size(a) && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, "optouts", i, where, sizeof where);
        const char *scope, *value, *holder;
        uint64_t index, reached;
        if (!o || page_count(p, o, where, "index", &index) ||
            page_text(p, o, where, "scope", 1, &scope) ||
            page_text(p, o, where, "value", 1, &value) ||
            page_text(p, o, where, "holder", 1, &holder) ||
            page_count(p, o, where, "items_reached", &reached))
            break;
        snprintf(ix, sizeof ix, "%llu", (unsigned long long)index);
        page_put(p, "<tr>");
        page_tdn(p, page_key(p, "optout:", ix, ":index", NULL), index);
        page_tdt(p, scope);
        page_tdt(p, value);
        page_tdt(p, holder ? holder : "");
        page_tdn(p, page_key(p, "optout:", ix, ":reached", NULL), reached);
        page_put(p, "</tr>");
    }
    if (p->rc == EX_OK && !json_array_size(a))
        page_put(p, "<tr><td colspan=\"5\" class=\"empty\">no opt-out logged</td></tr>");
    page_close(p, 1);
}

void
section_snapshots(page *p)
{
    json_t *a;
    char where[64];
    if (page_list(p, p->j, "snapshots", &a) != EX_OK)
        return;
    page_open(p, "snapshots", "Snapshots (frozen training sets)",
              "<th>snapshot</th><th class=\"n\">members</th><th class=\"n\">log index</th>"
              "<th>created</th>");
    for (size_t i = 0; i < json_array_size(a) && p->rc == EX_OK; i++) {
        json_t *o = page_elem(p, a, "snapshots", i, where, sizeof where);
        const char *name, *created;
        uint64_t size, index;
        if (!o || page_text(p, o, where, "name", 0, &name) ||
            page_count(p, o, where, "size", &size) ||
            page_count(p, o, where, "log_index", &index) ||
            page_text(p, o, where, "created", 1, &created))
            break;
        page_put(p, "<tr>");
        page_tdt(p, name);
        page_tdn(p, page_key(p, "snapshot:", name, ":size", NULL), size);
        page_tdn(p, page_key(p, "snapshot:", name, ":log_index", NULL), index);
        page_put(p, "<td><time data-k=\"");
        page_esc(p, page_key(p, "snapshot:", name, ":created", NULL));
        page_put(p, "\">");
        page_esc(p, created);
        page_put(p, "</time></td></tr>");
    }
    if (p->rc == EX_OK && !json_array_size(a))
        page_put(p, "<tr><td colspan=\"4\" class=\"empty\">no snapshot yet</td></tr>");
    page_close(p, 1);
}
