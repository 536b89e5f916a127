/* copyright_html.c - the copyright policy document as one self-contained HTML5 page
 * (copyright.h): inline CSS, no script, nothing fetched (its Content-Security-Policy forbids
 * both), every string of the ledger's escaped (report.h's html_esc), every number in an element
 * with a data-k attribute naming it as the document's JSON does ("protocols.tdmrep.rejected"). */
#include "copyright.h"
#include "report.h"

static const char css[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "color:#1d2430;background:#f6f7f9}header{background:#1d2a3a;color:#fff;padding:18px 28px}"
    "header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d3df;font-size:13px}"
    "main{max-width:1000px;margin:0 auto;padding:8px 24px 40px}section{background:#fff;"
    "border:1px solid #e1e5ea;border-radius:8px;padding:14px 18px;margin:16px 0}"
    "h2{font-size:17px;margin:0 0 10px}h3{font-size:15px}code{font:12px ui-monospace,Menlo,"
    "monospace;word-break:break-all}table{border-collapse:collapse;width:100%;font-size:14px}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #edf0f3;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}ol li{margin:4px 0}"
    ".note{color:#5b6676;font-size:13px}";

typedef struct w {
    ex_buf *b;
    int rc;
} w;

static void
put(w *x, const char *s)
{
    x->rc |= ex_buf_puts(x->b, s);
}

static void
esc(w *x, const char *s)
{
    x->rc |= html_escs(x->b, s ? s : "");
}

static void
str(w *x, json_t *o, const char *k, const char *none)
{
    const char *s = json_string_value(json_object_get(o, k));
    esc(x, s ? s : none);
}

/* <span data-k="KEY">N</span>, KEY = a.b */
static void
num(w *x, json_t *o, const char *a, const char *k)
{
    x->rc |= html_num(x->b, "span", NULL, a, ".", k, cp_num(o, k));
}

static void
ids(w *x, json_t *a, const char *none)
{
    size_t i;
    json_t *v;
    if (!json_array_size(a))
        esc(x, none);
    json_array_foreach(a, i, v) {
        put(x, i ? ", <code>" : "<code>");
        esc(x, json_string_value(v));
        put(x, "</code>");
    }
}

static void
policy(w *x, json_t *p, json_t *earlier)
{
    put(x, "<section id=\"policy\"><h2>1. Our copyright policy (Code of Practice, measure 1.1)"
           "</h2>");
    if (json_is_null(p)) {
        put(x, "<p>No policy has been adopted in this ledger: no item has been decided under a "
               "written policy, and every item recorded stays pending until one is.</p></section>\n");
        return;
    }
    put(x, "<p>Policy <strong>");
    str(x, p, "name", "(unnamed)");
    put(x, "</strong>, canonical digest <code>");
    str(x, p, "digest", "");
    put(x, "</code>, adopted at log index ");
    num(x, p, "policy", "index");
    put(x, " on ");
    str(x, p, "adopted", "?");
    put(x, ". Its rules are tried in order; the first that matches decides.</p><ol>");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(p, "rules"), i, r) {
        put(x, "<li>Rule <code>");
        str(x, r, "id", "");
        put(x, "</code>: ");
        str(x, r, "text", "");
        put(x, " <span class=\"note\">(items decided by it now: ");
        x->rc |= html_num(x->b, "span", NULL, "rule:", json_string_value(json_object_get(r, "id")),
                          NULL, cp_num(r, "decided"));
        put(x, ")</span></li>");
    }
    put(x, "</ol><h3>Earlier policies</h3>");
    if (!json_array_size(earlier))
        put(x, "<p>none</p>");
    else
        put(x, "<table><thead><tr><th>policy</th><th>digest</th><th class=\"n\">log index</th>"
               "<th>adopted</th></tr></thead><tbody>");
    json_array_foreach(earlier, i, r) {
        put(x, "<tr><td>");
        str(x, r, "name", "(unnamed)");
        put(x, "</td><td><code>");
        str(x, r, "digest", "");
        x->rc |= ex_buf_printf(x->b, "</code></td><td class=\"n\">%llu</td><td>",
                               (unsigned long long)cp_num(r, "index"));
        str(x, r, "adopted", "");
        put(x, "</td></tr>");
    }
    put(x, json_array_size(earlier) ? "</tbody></table></section>\n" : "</section>\n");
}

static void
counted(w *x, json_t *a, const char *name, const char *what)
{
    size_t i;
    json_t *v;
    if (!json_array_size(a))
        return;
    x->rc |= ex_buf_printf(x->b, "<table><thead><tr><th>%s</th><th class=\"n\">opt-outs</th>"
                                 "</tr></thead><tbody>",
                           what);
    json_array_foreach(a, i, v) {
        put(x, "<tr><td>");
        str(x, v, what, "");
        put(x, "</td><td class=\"n\">");
        x->rc |= html_num(x->b, "span", NULL, name, ":", json_string_value(json_object_get(v, what)),
                          cp_num(v, "optouts"));
        put(x, "</td></tr>");
    }
    put(x, "</tbody></table>");
}

static void
protocols(w *x, json_t *pr)
{
    put(x, "<section id=\"protocols\"><h2>2. Rights reservations we honour (measure 1.3)</h2>"
           "<p class=\"note\">An item counts under a protocol when its current decision is a "
           "rejection by a rule of that protocol's condition.</p><table><thead><tr><th>protocol"
           "</th><th>rules</th><th class=\"n\">items rejected now</th></tr></thead><tbody>");
    char k[64];
    for (size_t i = 0; i < CP_PROTOCOLS - 1; i++) {
        json_t *o = json_object_get(pr, cp_protocols[i].key);
        x->rc |= ex_buf_printf(x->b, "<tr><td>%s</td><td>", cp_protocols[i].title);
        ids(x, json_object_get(o, "rules"), "not honoured: no rule");
        put(x, "</td><td class=\"n\">");
        snprintf(k, sizeof k, "protocols.%s", cp_protocols[i].key);
        num(x, o, k, "rejected");
        put(x, "</td></tr>");
    }
    json_t *o = json_object_get(pr, "robots_txt");
    put(x, "</tbody></table><p><strong>robots.txt.</strong> Crawlers named: ");
    ids(x, json_object_get(o, "agents"), "none (only the * groups apply)");
    put(x, ". Captures logged: ");
    num(x, o, "protocols.robots_txt", "captures");
    put(x, ", covering ");
    num(x, o, "protocols.robots_txt", "hosts");
    put(x, " hosts; 5xx or unreachable (disallow-all): ");
    num(x, o, "protocols.robots_txt", "disallow_all");
    put(x, ". Items rejected for want of a robots.txt capture: ");
    num(x, o, "protocols.robots_txt", "unknown_rejected");
    o = json_object_get(pr, "tdmrep");
    put(x, ".</p><p><strong>TDMRep.</strong> tdmrep.json captures logged: ");
    num(x, o, "protocols.tdmrep", "captures");
    put(x, ", covering ");
    num(x, o, "protocols.tdmrep", "hosts");
    o = json_object_get(pr, "optouts");
    json_t *t = json_object_get(o, "by_trust");
    put(x, " hosts.</p><p><strong>Opt-outs.</strong> Logged: ");
    num(x, o, "protocols.optouts", "total");
    put(x, " (by the operator: ");
    num(x, t, "protocols.optouts.by_trust", "operator");
    put(x, "; from partners' tokens, opt-out registries: ");
    num(x, t, "protocols.optouts.by_trust", "partner");
    put(x, "; public requests accepted on review: ");
    num(x, t, "protocols.optouts.by_trust", "public");
    put(x, "; naming a request not found: ");
    num(x, t, "protocols.optouts.by_trust", "unmatched");
    put(x, "), from ");
    num(x, o, "protocols.optouts", "holders_total");
    put(x, " holders (without a holder: ");
    num(x, o, "protocols.optouts", "without_holder");
    put(x, ").</p>");
    counted(x, json_object_get(o, "partners"), "partner", "partner");
    counted(x, json_object_get(o, "holders"), "holder", "holder");
    o = json_object_get(pr, "propagation");
    put(x, "<p><strong>Reservations follow content.</strong> Rejected now through another "
           "occurrence of their content: ");
    num(x, o, "protocols.propagation", "carried");
    put(x, ", through a near-duplicate: ");
    num(x, o, "protocols.propagation", "carried_near");
    put(x, json_is_true(json_object_get(o, "robots_follow"))
               ? ". robots.txt rejections follow content too.</p></section>\n"
               : ". robots.txt rejections do not follow content.</p></section>\n");
}

static void
lawful(w *x, json_t *pd, json_t *ar)
{
    size_t i;
    json_t *v;
    put(x, "<section id=\"access\"><h2>3. Lawful access (measure 1.2)</h2><h3>Piracy-domain "
           "lists</h3>");
    if (!json_is_true(json_object_get(pd, "applied")))
        put(x, "<p>No piracy-domain list is applied: the policy has no <code>domains</code> "
               "rule.</p>");
    else
        put(x, "<table><thead><tr><th>rule</th><th>list</th><th class=\"n\">items rejected "
               "now</th></tr></thead><tbody>");
    json_array_foreach(json_object_get(pd, "lists"), i, v) {
        put(x, "<tr><td><code>");
        str(x, v, "rule", "");
        put(x, "</code></td><td>");
        ids(x, json_object_get(v, "args"), "");
        put(x, "</td><td class=\"n\">");
        x->rc |= html_num(x->b, "span", NULL, "domains:", json_string_value(json_object_get(v, "rule")),
                          NULL, cp_num(v, "rejected"));
        put(x, "</td></tr>");
    }
    if (json_is_true(json_object_get(pd, "applied")))
        put(x, "</tbody></table>");
    put(x, "<h3>Access-restricted content</h3><p>");
    put(x, json_is_true(json_object_get(ar, "applied"))
               ? "Content fetched with HTTP 401, 402 or 403 is excluded (rules "
               : "The policy has no <code>access-restricted</code> rule (");
    json_array_foreach(json_object_get(ar, "rules"), i, v) {
        put(x, i ? ", <code>" : "<code>");
        str(x, v, "rule", "");
        put(x, "</code>");
    }
    put(x, "). Items rejected now as access-restricted: ");
    num(x, ar, "access_restricted", "rejected");
    json_t *c = json_object_get(ar, "captured");
    put(x, ". Of the ");
    num(x, c, "access_restricted.captured", "count");
    put(x, " items recorded, fetched with HTTP 401: ");
    num(x, c, "access_restricted.captured", "http_401");
    put(x, ", 402: ");
    num(x, c, "access_restricted.captured", "http_402");
    put(x, ", 403: ");
    num(x, c, "access_restricted.captured", "http_403");
    put(x, ".</p></section>\n");
}

int
cp_html(json_t *d, ex_buf *b)
{
    w x = {b, 0};
    json_t *cp = json_object_get(d, "checkpoint"), *pv = json_object_get(d, "provider");
    json_t *c = json_object_get(d, "complaints");
    put(&x, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport"
            "\" content=\"width=device-width, initial-scale=1\"><meta http-equiv=\"Content-Security-"
            "Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'\">"
            "<title>Copyright policy");
    if (json_string_value(json_object_get(pv, "name")))
        put(&x, " of "), str(&x, pv, "name", "");
    x.rc |= ex_buf_printf(b, "</title><style>%s</style></head>\n<body><header><h1>Copyright policy",
                          css);
    if (json_string_value(json_object_get(pv, "name")))
        put(&x, " of "), str(&x, pv, "name", "");
    put(&x, "</h1><p>made by exante " EX_VERSION " from the ledger ");
    str(&x, cp, "origin", "");
    put(&x, " at checkpoint size ");
    num(&x, cp, "checkpoint", "size");
    put(&x, ", root <code>");
    str(&x, cp, "root", "");
    put(&x, "</code>: every count is of that checkpoint</p></header>\n<main>\n");
    policy(&x, json_object_get(d, "policy"), json_object_get(d, "earlier_policies"));
    protocols(&x, json_object_get(d, "protocols"));
    lawful(&x, json_object_get(d, "piracy_domains"), json_object_get(d, "access_restricted"));
    put(&x, "<section id=\"contact\"><h2>4. Point of contact and complaints (measure 1.5)</h2>"
            "<p>Provider: ");
    str(&x, pv, "name", "not provided");
    put(&x, ". Point of contact for rights holders: ");
    str(&x, c, "contact", "not provided");
    put(&x, ".</p><p>Complaints: <code>POST /v1/complaints</code>; opt-out requests: <code>POST "
            "/v1/optouts</code> on the ledger's server. Each is logged before it is answered, "
            "with a signed receipt.</p><table><thead><tr><th>submissions</th><th class=\"n\">"
            "received, not yet reviewed</th><th class=\"n\">accepted</th><th class=\"n\">"
            "rejected</th></tr></thead><tbody><tr><td>complaints</td>");
    json_t *k = json_object_get(c, "complaints"), *o = json_object_get(c, "optout_requests");
    const char *kk[] = {"received", "accepted", "rejected"}, *ok[] = {"unverified", "accepted", "rejected"};
    for (int i = 0; i < 3; i++)
        put(&x, "<td class=\"n\">"), num(&x, k, "complaints.complaints", kk[i]), put(&x, "</td>");
    put(&x, "</tr><tr><td>opt-out requests</td>");
    for (int i = 0; i < 3; i++)
        put(&x, "<td class=\"n\">"), num(&x, o, "complaints.optout_requests", ok[i]),
            put(&x, "</td>");
    put(&x, "</tr></tbody></table></section>\n</main>\n</body></html>\n");
    return x.rc < 0 ? EX_ENOMEM : EX_OK;
}
