/* copyright_md.c - the copyright policy document as Markdown (copyright.h): written from the
 * document's JSON, every string of the ledger's escaped (Markdown punctuation with a
 * backslash, & < > as character references, so a holder named <script> stays text in any
 * renderer), numbers as the JSON has them. */
#include "copyright.h"

#include <string.h>

/* s escaped for Markdown text and table cells; line breaks become spaces */
static int
md(ex_buf *b, const char *s)
{
    int rc = 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&' || c == '<' || c == '>')
            rc |= ex_buf_puts(b, c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;");
        else if (c && strchr("\\`*_[]|#~", c))
            rc |= ex_buf_putc(b, '\\') | ex_buf_putc(b, (char)c);
        else if (c == '\n' || c == '\r' || c == '\t')
            rc |= ex_buf_putc(b, ' ');
        else if (c < 0x20 || c == 0x7f)
            rc |= ex_buf_puts(b, "\xef\xbf\xbd");
        else
            rc |= ex_buf_putc(b, (char)c);
    }
    return rc;
}

static int
js(ex_buf *b, json_t *o, const char *k, const char *none)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? md(b, s) : ex_buf_puts(b, none);
}

static unsigned long long
n(json_t *o, const char *k)
{
    return (unsigned long long)cp_num(o, k);
}

/* the strings of a, escaped, comma-separated; none if empty */
static int
ids(ex_buf *b, json_t *a, const char *none)
{
    size_t i;
    json_t *v;
    int rc = json_array_size(a) ? 0 : ex_buf_puts(b, none);
    json_array_foreach(a, i, v) {
        rc |= i ? ex_buf_puts(b, ", ") : 0;
        rc |= md(b, json_string_value(v));
    }
    return rc;
}

static int
policy(ex_buf *b, json_t *p, json_t *earlier)
{
    int rc = ex_buf_puts(b, "## 1. Our copyright policy (Code of Practice, measure 1.1)\n\n");
    if (json_is_null(p))
        return rc | ex_buf_puts(b, "No policy has been adopted in this ledger: no item has been "
                                   "decided under a written policy, and every item recorded "
                                   "stays pending until one is (`exante policy adopt`).\n\n");
    rc |= ex_buf_puts(b, "Policy **");
    rc |= js(b, p, "name", "(unnamed)");
    rc |= ex_buf_printf(b, "**, canonical digest `%s`, adopted at log index %llu on ",
                        json_string_value(json_object_get(p, "digest")), n(p, "index"));
    rc |= js(b, p, "adopted", "?");
    rc |= ex_buf_puts(b, ". Its rules are tried in order for each item; the first that matches "
                         "decides, and every decision records the policy's digest and the "
                         "rule's id.\n\n");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(p, "rules"), i, r) {
        rc |= ex_buf_printf(b, "%zu. Rule ", i + 1);
        rc |= js(b, r, "id", "?");
        rc |= ex_buf_puts(b, ": ");
        rc |= js(b, r, "text", "");
        rc |= ex_buf_printf(b, " (items decided by it now: %llu)\n", n(r, "decided"));
    }
    rc |= ex_buf_puts(b, "\nEarlier policies: ");
    if (!json_array_size(earlier))
        return rc | ex_buf_puts(b, "none.\n\n");
    rc |= ex_buf_puts(b, "\n\n| policy | digest | log index | adopted |\n|---|---|---:|---|\n");
    json_array_foreach(earlier, i, r) {
        rc |= ex_buf_puts(b, "| ");
        rc |= js(b, r, "name", "(unnamed)");
        rc |= ex_buf_printf(b, " | `%s` | %llu | ", json_string_value(json_object_get(r, "digest")),
                            n(r, "index"));
        rc |= js(b, r, "adopted", "?");
        rc |= ex_buf_puts(b, " |\n");
    }
    return rc | ex_buf_puts(b, "\n");
}

static int
protocols(ex_buf *b, json_t *pr)
{
    int rc = ex_buf_puts(b, "## 2. Rights reservations we honour (measure 1.3)\n\n"
                            "An item counts under a protocol when its current decision (its "
                            "latest) is a rejection by a rule of that protocol's condition.\n\n"
                            "| protocol | rules | items rejected now |\n|---|---|---:|\n");
    for (size_t i = 0; i < CP_PROTOCOLS - 1; i++) {
        json_t *o = json_object_get(pr, cp_protocols[i].key);
        rc |= ex_buf_printf(b, "| %s | ", cp_protocols[i].title);
        rc |= ids(b, json_object_get(o, "rules"), "not honoured: no rule");
        rc |= ex_buf_printf(b, " | %llu |\n", n(o, "rejected"));
    }
    json_t *o = json_object_get(pr, "robots_txt");
    rc |= ex_buf_puts(b, "\n**robots.txt.** Crawlers named: ");
    rc |= ids(b, json_object_get(o, "agents"), "none (only the `*` groups apply)");
    rc |= ex_buf_printf(b, ". robots.txt captures logged: %llu, covering %llu hosts; %llu of "
                           "them answered 5xx or were unreachable (disallow-all). Items rejected "
                           "because no robots.txt was captured (rules ",
                        n(o, "captures"), n(o, "hosts"), n(o, "disallow_all"));
    rc |= ids(b, json_object_get(o, "unknown_rules"), "none");
    rc |= ex_buf_printf(b, "): %llu.\n\n", n(o, "unknown_rejected"));
    o = json_object_get(pr, "tdmrep");
    rc |= ex_buf_printf(b, "**TDMRep.** tdmrep.json captures logged: %llu, covering %llu hosts; "
                           "the tdm-reservation header and HTML meta are read from each item.\n\n",
                        n(o, "captures"), n(o, "hosts"));
    o = json_object_get(pr, "optouts");
    json_t *t = json_object_get(o, "by_trust");
    rc |= ex_buf_printf(b, "**Opt-outs.** Opt-outs logged: %llu (by the operator with `exante "
                           "optout add`: %llu; from partners' tokens, opt-out registries: %llu; "
                           "from public requests accepted on review: %llu; naming a request "
                           "not found: %llu), from %llu holders (%llu without a holder).\n\n",
                        n(o, "total"), n(t, "operator"), n(t, "partner"), n(t, "public"),
                        n(t, "unmatched"), n(o, "holders_total"), n(o, "without_holder"));
    const char *tab[2][2] = {{"partners", "partner"}, {"holders", "holder"}};
    for (size_t k = 0; k < 2; k++) {
        json_t *a = json_object_get(o, tab[k][0]), *x;
        size_t i;
        if (!json_array_size(a))
            continue;
        rc |= ex_buf_printf(b, "| %s | opt-outs |\n|---|---:|\n", tab[k][1]);
        json_array_foreach(a, i, x) {
            rc |= ex_buf_puts(b, "| ");
            rc |= js(b, x, tab[k][1], "");
            rc |= ex_buf_printf(b, " | %llu |\n", n(x, "optouts"));
        }
        rc |= ex_buf_puts(b, "\n");
    }
    o = json_object_get(pr, "propagation");
    rc |= ex_buf_printf(b, "**Reservations follow content.** Items rejected now because a "
                           "reservation was carried from another occurrence of their content: "
                           "%llu, of them through a near-duplicate: %llu. robots.txt rejections "
                           "follow content too: %s.\n\n",
                        n(o, "carried"), n(o, "carried_near"),
                        json_is_true(json_object_get(o, "robots_follow")) ? "yes" : "no");
    return rc;
}

static int
lawful(ex_buf *b, json_t *pd, json_t *ar)
{
    int rc = ex_buf_puts(b, "## 3. Lawful access (measure 1.2)\n\n### Piracy-domain lists\n\n");
    size_t i;
    json_t *x;
    if (!json_is_true(json_object_get(pd, "applied")))
        rc |= ex_buf_puts(b, "No piracy-domain list is applied: the policy has no `domains` "
                             "rule.\n\n");
    else {
        rc |= ex_buf_puts(b, "| rule | list | items rejected now |\n|---|---|---:|\n");
        json_array_foreach(json_object_get(pd, "lists"), i, x) {
            rc |= ex_buf_puts(b, "| ");
            rc |= js(b, x, "rule", "");
            rc |= ex_buf_puts(b, " | ");
            rc |= ids(b, json_object_get(x, "args"), "");
            rc |= ex_buf_printf(b, " | %llu |\n", n(x, "rejected"));
        }
        rc |= ex_buf_printf(b, "\nItems rejected now by a domain list: %llu.\n\n",
                            n(pd, "rejected"));
    }
    rc |= ex_buf_puts(b, "### Access-restricted content\n\n");
    if (!json_is_true(json_object_get(ar, "applied")))
        rc |= ex_buf_puts(b, "The policy has no `access-restricted` rule.");
    else {
        rc |= ex_buf_puts(b, "Content fetched with HTTP 401, 402 or 403 is excluded (rules ");
        json_array_foreach(json_object_get(ar, "rules"), i, x) {
            rc |= i ? ex_buf_puts(b, ", ") : 0;
            rc |= js(b, x, "rule", "");
        }
        rc |= ex_buf_puts(b, ").");
    }
    json_t *c = json_object_get(ar, "captured");
    rc |= ex_buf_printf(b, " Items rejected now as access-restricted: %llu. Of the %llu items "
                           "recorded, fetched with HTTP 401: %llu, 402: %llu, 403: %llu.\n\n",
                        n(ar, "rejected"), n(c, "count"), n(c, "http_401"), n(c, "http_402"),
                        n(c, "http_403"));
    return rc;
}

int
cp_markdown(json_t *d, ex_buf *b)
{
    json_t *cp = json_object_get(d, "checkpoint"), *pv = json_object_get(d, "provider");
    json_t *c = json_object_get(d, "complaints"), *dec = json_object_get(d, "decisions");
    int rc = ex_buf_puts(b, "# Copyright policy");
    if (json_string_value(json_object_get(pv, "name")))
        rc |= ex_buf_puts(b, " of ") | js(b, pv, "name", "");
    rc |= ex_buf_puts(b, "\n\nMade by exante " EX_VERSION " from the ledger ");
    rc |= js(b, cp, "origin", "");
    rc |= ex_buf_printf(b, " at checkpoint size %llu, root `%s`: every count below is of that "
                           "checkpoint. Items with a current decision: %llu (admitted %llu, "
                           "rejected %llu, pending %llu, exact copies %llu).\n\n",
                        n(cp, "size"), json_string_value(json_object_get(cp, "root")),
                        n(dec, "decided"), n(dec, "admitted"), n(dec, "rejected"),
                        n(dec, "pending"), n(dec, "duplicates"));
    rc |= policy(b, json_object_get(d, "policy"), json_object_get(d, "earlier_policies"));
    rc |= protocols(b, json_object_get(d, "protocols"));
    rc |= lawful(b, json_object_get(d, "piracy_domains"), json_object_get(d, "access_restricted"));
    rc |= ex_buf_puts(b, "## 4. Point of contact and complaints (measure 1.5)\n\nProvider: ");
    rc |= js(b, pv, "name", "not provided");
    rc |= ex_buf_puts(b, ". Point of contact for rights holders: ");
    rc |= js(b, c, "contact", "not provided");
    json_t *k = json_object_get(c, "complaints"), *o = json_object_get(c, "optout_requests");
    rc |= ex_buf_printf(
        b,
        ".\n\nComplaints are taken by `POST /v1/complaints` and opt-out requests by `POST "
        "/v1/optouts` on the ledger's server (`exante serve`): each is logged before it is "
        "answered, with a signed receipt, and reviewed with `exante optout review`.\n\n"
        "| submissions | received, not yet reviewed | accepted | rejected |\n|---|---:|---:|---:|\n"
        "| complaints | %llu | %llu | %llu |\n| opt-out requests | %llu | %llu | %llu |\n",
        n(k, "received"), n(k, "accepted"), n(k, "rejected"), n(o, "unverified"),
        n(o, "accepted"), n(o, "rejected"));
    json_t *capped = json_object_get(d, "capped");
    if (json_array_size(capped)) {
        rc |= ex_buf_puts(b, "\nTables cut at their caps (counts past the cap are lower bounds): ");
        rc |= ids(b, capped, "") | ex_buf_puts(b, ".\n");
    }
    return rc < 0 ? EX_ENOMEM : EX_OK;
}
