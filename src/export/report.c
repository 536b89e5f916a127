/* report.c - the HTML report (exante.h, ex_report_html_dup): the stats JSON that
 * ex_ledger_report_dup writes, read strictly (a member of the wrong type fails the page, named),
 * and written as one self-contained HTML5 page: inline CSS, inline SVG charts (charts.c), no
 * script, nothing fetched (its Content-Security-Policy forbids both), every number in an
 * element with a data-k attribute and every string of the ledger's escaped. The sections are
 * in sections.c. */
#include "report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "color:#1d2430;background:#f6f7f9}"
    "header{background:#1d2a3a;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}"
    "header p{margin:4px 0 0;color:#c9d3df;font-size:13px}"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}"
    "main{max-width:1200px;margin:0 auto;padding:8px 24px 40px}"
    "section{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:14px 18px;"
    "margin:16px 0}h2{font-size:16px;margin:0 0 10px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}"
    ".card{border:1px solid #e1e5ea;border-radius:6px;padding:10px 12px}"
    ".card span{display:block;font-size:22px;font-weight:600}.card small{color:#5b6676}"
    ".admit{color:#2e7d32}.reject{color:#c62828}.pending{color:#b26a00}"
    ".duplicate{color:#6b7280}"
    "table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #edf0f3;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr:nth-child(even) td{background:#fafbfc}"
    ".chart text,.lineage text{font:12px system-ui,sans-serif;fill:#1d2430}"
    ".chart .tick,.chart .unit{fill:#5b6676;font-size:11px}"
    ".chart .axis{stroke:#8a94a3}.chart .grid{stroke:#e6e9ee}"
    ".legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:6px 16px;"
    "font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:5px;"
    "border-radius:2px}"
    ".lineage .node rect{fill:#eef3fb;stroke:#4e79a7}"
    ".lineage .retired rect{fill:#f3f3f3;stroke:#999;stroke-dasharray:4 3}"
    ".lineage .name{font-weight:600}.lineage .kind{fill:#5b6676;font-size:11px}"
    ".lineage .edge{fill:none;stroke:#666;stroke-width:1.3}"
    ".scroll{overflow-x:auto}.empty,.note{color:#5b6676;font-size:12px}"
    "form{display:flex;gap:8px;margin:6px 0}input[type=search],textarea{flex:1;padding:6px 8px;"
    "font:inherit}footer{color:#5b6676;font-size:12px;text-align:center;padding:12px}";

/* ---- reading the stats ---- */

int
page_fail(page *p, const char *where, const char *k, const char *what)
{
    if (p->rc == EX_OK)
        p->rc = ex_fail(p->err, EX_EFORMAT, "stats: %s%s%s: %s", where, *where ? "." : "", k, what);
    return p->rc;
}

int
page_count(page *p, json_t *o, const char *where, const char *k, uint64_t *out)
{
    json_t *v = json_object_get(o, k);
    *out = 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return page_fail(p, where, k, v ? "not a count" : "missing");
    *out = (uint64_t)json_integer_value(v);
    return EX_OK;
}

int
page_text(page *p, json_t *o, const char *where, const char *k, int nullable, const char **out)
{
    json_t *v = json_object_get(o, k);
    *out = json_string_value(v);
    if (*out || (nullable && (!v || json_is_null(v))))
        return EX_OK;
    return page_fail(p, where, k, v ? "not a string" : "missing");
}

int
page_list(page *p, json_t *o, const char *k, json_t **out)
{
    *out = json_object_get(o, k);
    if (json_is_array(*out))
        return EX_OK;
    return page_fail(p, "", k, *out ? "not an array" : "missing");
}

/* ---- writing ---- */

const char *
page_key(page *p, const char *a, const char *b, const char *c, const char *d)
{
    const char *v[4] = {a, b, c, d};
    int rc = 0;
    p->key.len = 0;
    for (int i = 0; i < 4; i++)
        rc |= v[i] ? ex_buf_puts(&p->key, v[i]) : 0;
    rc |= ex_buf_putc(&p->key, '\0');
    page_mem(p, rc);
    return p->rc == EX_OK ? p->key.data : "";
}

void
page_put(page *p, const char *s)
{
    page_mem(p, ex_buf_puts(p->b, s));
}

void
page_esc(page *p, const char *s)
{
    page_mem(p, html_escs(p->b, s ? s : ""));
}

void
page_tdn(page *p, const char *k, uint64_t v)
{
    page_mem(p, html_num(p->b, "td", "class=\"n\"", k, NULL, NULL, v));
}

void
page_tdt(page *p, const char *s)
{
    page_put(p, "<td>");
    page_esc(p, s);
    page_put(p, "</td>");
}

void
page_open(page *p, const char *id, const char *title, const char *heads)
{
    page_mem(p, ex_buf_printf(p->b, "<section id=\"%s\"><h2>%s</h2>", id, title));
    if (heads)
        page_mem(p, ex_buf_printf(p->b, "<table><thead><tr>%s</tr></thead><tbody>", heads));
}

void
page_close(page *p, int table)
{
    page_put(p, table ? "</tbody></table></section>\n" : "</section>\n");
}

json_t *
page_elem(page *p, json_t *a, const char *name, size_t i, char *where, size_t cap)
{
    json_t *o = json_array_get(a, i);
    snprintf(where, cap, "%s[%zu]", name, i);
    if (!json_is_object(o))
        page_fail(p, where, "(element)", "not an object");
    return p->rc == EX_OK ? o : NULL;
}

/* ---- the page ---- */

int
page_human(ex_buf *b, uint64_t n)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 6)
        v /= 1024, u++;
    return u ? ex_buf_printf(b, "%.1f %s", v, unit[u])
             : ex_buf_printf(b, "%llu B", (unsigned long long)n);
}

static void
head(page *p, const char *title)
{
    ex_buf *b = p->b;
    int rc = ex_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                            "<meta name=\"viewport\" content=\"width=device-width, "
                            "initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" "
                            "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src "
                            "data:; form-action 'self'; base-uri 'none'\"><title>");
    rc |= html_escs(b, title);
    rc |= ex_buf_printf(b, "</title><style>%s</style></head>\n<body><header><h1>", css);
    rc |= html_escs(b, title);
    rc |= ex_buf_puts(b, "</h1><p>log <span id=\"origin\">");
    json_t *cp = json_object_get(p->j, "checkpoint");
    const char *origin, *root;
    uint64_t size;
    if (!json_is_object(cp))
        page_fail(p, "", "checkpoint", cp ? "not an object" : "missing");
    else if (page_text(p, cp, "checkpoint", "origin", 1, &origin) == EX_OK &&
             page_text(p, cp, "checkpoint", "root", 0, &root) == EX_OK &&
             page_count(p, cp, "checkpoint", "size", &size) == EX_OK) {
        rc |= html_escs(b, origin ? origin : "");
        rc |= ex_buf_puts(b, "</span> at checkpoint size ");
        rc |= html_num(b, "span", NULL, "checkpoint:size", NULL, NULL, size);
        rc |= ex_buf_puts(b, ", root <code id=\"root\">");
        rc |= html_escs(b, root);
        rc |= ex_buf_puts(b, "</code>: what the ledger records up to that checkpoint</p>");
    }
    rc |= ex_buf_puts(b, "</header>\n<main>\n");
    page_mem(p, rc);
}

static void
search(page *p, const ex_report_opts *o)
{
    ex_buf *b = p->b;
    int rc = 0;
    if (o && o->search_action) {
        rc |= ex_buf_puts(b, "<section id=\"search\"><h2>Search the ledger</h2>"
                             "<form method=\"get\" action=\"");
        rc |= html_escs(b, o->search_action);
        rc |= ex_buf_puts(b, "\"><input type=\"search\" name=\"q\" aria-label=\"search\" "
                             "placeholder=\"a content digest (sha256:...), a URL or a model\">"
                             "<button type=\"submit\">search</button></form>"
                             "<form method=\"post\" action=\"");
        rc |= html_escs(b, o->search_action);
        rc |= ex_buf_puts(b, "\"><textarea name=\"text\" rows=\"3\" aria-label=\"text\" "
                             "placeholder=\"paste a text: is it, or a near copy of it, in the "
                             "ledger?\"></textarea><button type=\"submit\">check text</button>"
                             "</form></section>\n");
    }
    if (o && o->extra_html)
        rc |= ex_buf_puts(b, o->extra_html);
    page_mem(p, rc);
}

static void
foot(page *p)
{
    int rc =
        ex_buf_puts(p->b, "</main>\n<footer>made by exante <span data-k=\"version\">" EX_VERSION
                          "</span> from the ledger's own records; the numbers "
                          "are those of `exante report --json`</footer>\n</body></html>\n");
    page_mem(p, rc);
}

int
ex_report_html_dup(const char *stats_json, size_t len, const ex_report_opts *o, char **html,
                   size_t *hlen, ex_err *err)
{
    if (!stats_json || !html)
        return ex_fail(err, EX_EINVAL, "report: no stats");
    json_error_t je;
    json_t *j = json_loadb(stats_json, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return ex_fail(err, EX_EFORMAT, "stats: line %d, column %d: %s", je.line, je.column,
                       je.text);
    ex_buf b = {0};
    page p = {.b = &b, .err = err, .j = j, .rc = EX_OK};
    if (!json_is_object(j))
        page_fail(&p, "", "(the stats)", "not a JSON object");
    if (p.rc == EX_OK)
        head(&p, o && o->title ? o->title : "exante ledger");
    void (*const sections[])(page *) = {section_summary,  section_rules,     section_time,
                                        section_licenses, section_domains,   section_sources,
                                        section_optouts,  section_snapshots, section_models};
    if (p.rc == EX_OK)
        search(&p, o);
    for (size_t i = 0; p.rc == EX_OK && i < sizeof sections / sizeof sections[0]; i++)
        sections[i](&p);
    if (p.rc == EX_OK)
        foot(&p);
    json_decref(j);
    ex_buf_free(&p.key);
    if (p.rc != EX_OK) {
        ex_buf_free(&b);
        return p.rc;
    }
    *html = ex_buf_take(&b, hlen);
    return *html ? EX_OK : ex_fail(err, EX_ENOMEM, "out of memory");
}
