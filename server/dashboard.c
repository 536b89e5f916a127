/* dashboard.c - GET /: the report page (the library's, as `exante report` writes it) with a
 * search box; /search answers a URL, a digest or a pasted text with why, membership in each
 * snapshot and impact, each from the library call the CLI and the API make, linked to the
 * API's JSON. No script: plain forms. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct out {
    char *b;
    size_t len, cap;
    int oom;
} out;

static void
put(out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *b = realloc(o->b, cap);
        if (!b) {
            o->oom = 1;
            return;
        }
        o->b = b, o->cap = cap;
    }
    memcpy(o->b + o->len, s, n);
    o->len += n;
    o->b[o->len] = 0;
}

static void
puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* s as HTML text (and attribute values: quotes escaped too) */
static void
esc(out *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': puts_(o, "&lt;"); break;
        case '>': puts_(o, "&gt;"); break;
        case '&': puts_(o, "&amp;"); break;
        case '"': puts_(o, "&quot;"); break;
        case '\'': puts_(o, "&#39;"); break;
        default: put(o, s, 1);
        }
    }
}

/* s percent-encoded for a query value */
static void
qesc(out *o, const char *s)
{
    char hex[4];
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-_.~:", c)) {
            put(o, s, 1);
        } else {
            snprintf(hex, sizeof hex, "%%%02X", c);
            puts_(o, hex);
        }
    }
}

static const char *
str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* the membership of digest d in every snapshot, with links to each proof */
static void
membership(out *o, ex_ledger *l, const char *d)
{
    char *jsonl = NULL;
    size_t len;
    uint8_t h[EX_HASH_BYTES];
    if (ex_digest_parse(d, h) != EX_OK || ex_ledger_snapshots_dup(l, &jsonl, &len) != EX_OK)
        return;
    puts_(o, "<h3>Membership</h3><ul>");
    int any = 0;
    for (char *line = jsonl, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        json_t *s = json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, NULL);
        const char *name = str(s, "name");
        char *doc = NULL;
        size_t dl;
        int member = 0;
        if (*name && ex_ledger_snapshot_prove_dup(l, name, h, &doc, &dl, &member) == EX_OK) {
            puts_(o, "<li><a href=\"/v1/snapshots/");
            qesc(o, name);
            puts_(o, "/prove?digest=");
            qesc(o, d);
            puts_(o, "\">");
            esc(o, name);
            puts_(o, "</a>: <b data-k=\"member:");
            esc(o, name);
            puts_(o, "\">");
            puts_(o, member ? "member" : "not a member");
            puts_(o, "</b> (a signed proof either way)</li>");
            any = 1;
        }
        free(doc);
        json_decref(s);
    }
    if (!any)
        puts_(o, "<li>no snapshots yet</li>");
    puts_(o, "</ul>");
    free(jsonl);
}

/* the results of a search: why, membership, impact */
static void
results(out *o, ex_ledger *l, const char *q, const char *digest)
{
    char *json = NULL;
    size_t len;
    puts_(o, "<section id=\"results\"><h2>Search: ");
    esc(o, q);
    puts_(o, "</h2><h3>Why</h3>");
    int rc = ex_ledger_why_dup(l, q, &json, &len);
    json_t *w = rc == EX_OK ? json_loadb(json, len, 0, NULL) : NULL;
    free(json);
    json = NULL;
    if (!w) {
        puts_(o, "<p data-k=\"why\">not recorded: ");
        esc(o, ex_ledger_errmsg(l));
        puts_(o, "</p>");
    } else {
        puts_(o, "<p><b data-k=\"verdict\">");
        esc(o, str(w, "verdict"));
        puts_(o, "</b> by rule <code data-k=\"rule\">");
        esc(o, str(w, "rule"));
        puts_(o, "</code>: ");
        esc(o, str(w, "reason"));
        puts_(o, " (source ");
        esc(o, str(w, "source"));
        puts_(o, "; <a href=\"/v1/why?");
        puts_(o, strncmp(q, "sha256:", 7) == 0 ? "digest=" : "url=");
        qesc(o, q);
        puts_(o, "\">the decision and its proof</a>)</p>");
        if (!digest)
            digest = str(w, "digest");
    }
    if (digest && *digest)
        membership(o, l, digest);
    ex_impact_query iq = {0};
    if (digest && *digest)
        iq.digest = digest;
    else
        iq.url = q;
    puts_(o, "<h3>Impact</h3>");
    if (ex_ledger_impact_dup(l, &iq, &json, &len) == EX_OK) {
        json_t *im = json_loadb(json, len, 0, NULL), *v;
        size_t i;
        char n[64];
        snprintf(n, sizeof n, "%zu", json_array_size(json_object_get(im, "models")));
        puts_(o, "<p>in <span data-k=\"impact:snapshots\">");
        snprintf(n, sizeof n, "%zu", json_array_size(json_object_get(im, "snapshots")));
        puts_(o, n);
        puts_(o, "</span> snapshot(s); carried by <span data-k=\"impact:models\">");
        snprintf(n, sizeof n, "%zu", json_array_size(json_object_get(im, "models")));
        puts_(o, n);
        puts_(o, "</span> model(s)</p><ul>");
        json_array_foreach(json_object_get(im, "models"), i, v) {
            puts_(o, "<li>");
            esc(o, str(v, "name"));
            puts_(o, " (");
            esc(o, str(v, "how"));
            puts_(o, ")</li>");
        }
        puts_(o, "</ul>");
        json_decref(im);
    } else {
        puts_(o, "<p>");
        esc(o, ex_ledger_errmsg(l));
        puts_(o, "</p>");
    }
    free(json);
    json_decref(w);
    puts_(o, "</section>");
}

/* The report's facts take a pass over every item: kept, and made again only when the log
 * has grown and the ones kept are a minute old (the page says the size they are of), so
 * neither a busy ingest nor a stream of searches makes every view a full pass. */
#define STATS_MAX_AGE 60

static struct {
    pthread_mutex_t lock;
    uint64_t gen;
    time_t made;
    char *json;
    size_t len;
} stats_kept = {PTHREAD_MUTEX_INITIALIZER, 0, 0, NULL, 0};

/* a copy of the facts (malloc'd), made or kept */
static int
stats_get(ex_ledger *l, char **json, size_t *len)
{
    int rc = EX_OK;
    pthread_mutex_lock(&stats_kept.lock);
    time_t now = time(NULL);
    if (!stats_kept.json ||
        (stats_kept.gen != srv_reader_gen() && now - stats_kept.made >= STATS_MAX_AGE)) {
        char *j = NULL;
        size_t n = 0;
        if ((rc = ex_ledger_report_dup(l, &j, &n)) == EX_OK) {
            free(stats_kept.json);
            stats_kept.json = j, stats_kept.len = n;
            stats_kept.gen = srv_reader_gen(), stats_kept.made = now;
        }
    }
    if (rc == EX_OK && !(*json = malloc(stats_kept.len + 1)))
        rc = EX_ENOMEM;
    if (rc == EX_OK) {
        memcpy(*json, stats_kept.json, stats_kept.len + 1);
        *len = stats_kept.len;
    }
    pthread_mutex_unlock(&stats_kept.lock);
    return rc;
}

enum MHD_Result
srv_dashboard(srv *s, struct MHD_Connection *conn, const char *q, const char *text, size_t tlen)
{
    ex_ledger *l = srv_reader_get(s, conn);
    if (!l)
        return MHD_YES;
    char *stats = NULL, *html = NULL;
    size_t slen = 0, hlen = 0;
    out extra = {0};
    if (q && strlen(q) > 2048)
        return srv_error(conn, MHD_HTTP_BAD_REQUEST, "bad_request", "the query is too long");
    if (q && *q) {
        results(&extra, l, q, strncmp(q, "sha256:", 7) == 0 ? q : NULL);
    } else if (text) {
        /* a pasted text: its digest, as ingest would record it as a JSONL text field */
        uint8_t d[EX_HASH_BYTES];
        char dig[EX_DIGEST_STR_BYTES];
        ex_sha256 *h = NULL;
        if (ex_sha256_new(&h) == EX_OK && ex_sha256_digest(h, text, tlen, d) == EX_OK) {
            ex_digest_format(d, dig);
            results(&extra, l, dig, dig);
        }
        ex_sha256_free(h);
    }
    if (extra.oom) {
        free(extra.b);
        return MHD_NO;
    }
    ex_err e = {0};
    ex_report_opts o = {.title = NULL, .search_action = "/search", .extra_html = extra.b};
    int rc = stats_get(l, &stats, &slen);
    if (rc != EX_OK) {
        free(extra.b);
        return srv_fail(conn, rc, rc == EX_ENOMEM ? "out of memory" : ex_ledger_errmsg(l));
    }
    rc = ex_report_html_dup(stats, slen, &o, &html, &hlen, &e);
    free(stats);
    free(extra.b);
    if (rc != EX_OK)
        return srv_fail(conn, rc, e.msg);
    const char *type = "text/html; charset=utf-8";
    struct MHD_Response *r = srv_response(html, hlen, type, "no-store");
    if (r)
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                "form-action 'self'");
    free(html);
    return srv_send(conn, MHD_HTTP_OK, r);
}
