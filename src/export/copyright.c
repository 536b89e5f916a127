/* copyright.c - the copyright policy document (exante.h, ex_copyright_policy_dup; copyright.h):
 * the facts (ex_ledger_copyright_facts_dup) read strictly, a member of the wrong type failing
 * the document with its key named, into the document's JSON: every rule of the current policy
 * in plain language, the protocols honoured with the counts behind each, the piracy-domain
 * lists, access-restricted content and the complaint mechanism. The JSON format is that
 * object, canonical; Markdown (copyright_md.c) and HTML (copyright_html.c) are written from
 * it. A condition is found by its name ("domains", "access-restricted"), so conditions the
 * policy parser learns later are reported without a change here. */
#include "copyright.h"

#include <stdlib.h>
#include <string.h>

#include "provider.h"

const cp_protocol cp_protocols[CP_PROTOCOLS] = {
    {"robots_txt", "robots.txt (RFC 9309)", "robots-disallowed"},
    {"tdmrep", "TDMRep (W3C TDM Reservation Protocol)", "tdm-reserved"},
    {"noai", "noai (X-Robots-Tag, robots meta)", "noai"},
    {"noimageai", "noimageai (X-Robots-Tag, robots meta)", "noimageai"},
    {"optouts", "Rights-holder opt-outs and opt-out registries", "optout"},
    {"propagation", "Reservations follow content (exact copies, near-duplicates)", NULL},
};

uint64_t
cp_num(json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

/* ---- reading the facts ---- */

typedef struct rd {
    int rc;
    ex_err *err;
} rd;

static json_t *
need(rd *r, json_t *o, const char *where, const char *k, int type)
{
    json_t *v = json_object_get(o, k);
    int good = type == JSON_INTEGER ? json_is_integer(v) && json_integer_value(v) >= 0
               : type == JSON_NULL  ? !v || json_is_null(v) || json_is_string(v)
                                    : v && (int)json_typeof(v) == type;
    if (!good && r->rc == EX_OK)
        r->rc = ex_fail(r->err, EX_EFORMAT, "facts: %s%s%s: %s", where, *where ? "." : "", k,
                        v ? "of the wrong type" : "missing");
    return good ? v : NULL;
}

/* the counts keys[] of o (at where), copied into a new object */
static json_t *
counts(rd *r, json_t *o, const char *where, const char *const *keys, size_t n)
{
    json_t *out = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *v = need(r, o, where, keys[i], JSON_INTEGER);
        if (v && json_object_set(out, keys[i], v) != 0)
            r->rc = EX_ENOMEM;
    }
    return out;
}

/* ---- the document ---- */

/* o[k] = v, taking v; a NULL v or a failure sets r->rc */
static void
put(rd *r, json_t *o, const char *k, json_t *v)
{
    if ((!v || json_object_set_new(o, k, v) != 0) && r->rc == EX_OK)
        r->rc = ex_fail(r->err, EX_ENOMEM, "out of memory");
}

static uint64_t
rejected_by(json_t *conds, const char *cond)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        const char *n = json_string_value(json_object_get(c, "condition"));
        if (n && strcmp(n, cond) == 0)
            return cp_num(c, "rejected");
    }
    return 0;
}

/* the current policy's rules of condition cond (reject rules only, unless any): their ids, or
 * with full set their id, arguments and the current decisions each made */
static json_t *
rules_of(rd *r, json_t *pol, const char *cond, int any, int full)
{
    json_t *a = json_array(), *x;
    size_t i;
    json_array_foreach(json_object_get(pol, "rules"), i, x) {
        const char *c = json_string_value(json_object_get(x, "condition"));
        const char *v = json_string_value(json_object_get(x, "verdict"));
        if (!c || strcmp(c, cond) != 0 || (!any && (!v || strcmp(v, "reject") != 0)))
            continue;
        json_t *id = json_object_get(x, "id");
        json_t *e = full ? json_pack("{s:O,s:O,s:O}", "rule", id, "args",
                                     json_object_get(x, "args"), "rejected",
                                     json_object_get(x, "decided"))
                         : json_incref(id);
        if (!e || json_array_append_new(a, e) != 0)
            r->rc = ex_fail(r->err, EX_ENOMEM, "out of memory");
    }
    return a;
}

static json_t *
doc_policy(rd *r, json_t *f)
{
    json_t *p = json_object_get(f, "policy"), *x;
    if (!p || json_is_null(p))
        return json_null();
    if (!json_is_object(p)) {
        need(r, f, "", "policy", JSON_OBJECT);
        return NULL;
    }
    json_t *agents = need(r, p, "policy", "agents", JSON_ARRAY);
    json_t *rules = need(r, p, "policy", "rules", JSON_ARRAY), *out = json_array();
    json_t *o = json_pack("{s:O*,s:O*,s:O*,s:O*,s:O*,s:O*}", "name", json_object_get(p, "name"),
                          "digest", need(r, p, "policy", "digest", JSON_STRING), "index",
                          need(r, p, "policy", "index", JSON_INTEGER), "adopted",
                          need(r, p, "policy", "adopted", JSON_STRING), "agents", agents, "near",
                          need(r, p, "policy", "near", JSON_STRING));
    size_t i;
    char where[48];
    json_array_foreach(rules, i, x) {
        snprintf(where, sizeof where, "policy.rules[%zu]", i);
        json_t *id = need(r, x, where, "id", JSON_STRING), *args = need(r, x, where, "args", JSON_ARRAY);
        json_t *cond = need(r, x, where, "cond", JSON_STRING), *v = need(r, x, where, "verdict", JSON_STRING);
        json_t *n = need(r, x, where, "decided", JSON_INTEGER);
        need(r, x, where, "reason", JSON_NULL);
        ex_buf t = {0};
        if (r->rc != EX_OK || cp_sentence(&t, x, agents) != EX_OK || ex_buf_putc(&t, 0) != EX_OK) {
            ex_buf_free(&t);
            break;
        }
        json_t *reason = json_object_get(x, "reason");
        json_t *e = json_pack("{s:O,s:O,s:O,s:O,s:O,s:s,s:O}", "id", id, "verdict", v,
                              "condition", cond, "args", args, "reason",
                              reason ? reason : json_null(), "text", t.data, "decided", n);
        ex_buf_free(&t);
        if (!e || json_array_append_new(out, e) != 0)
            r->rc = ex_fail(r->err, EX_ENOMEM, "out of memory");
    }
    if (o && !json_object_get(o, "name"))
        put(r, o, "name", json_null());
    put(r, o, "rules", out);
    return o;
}

static json_t *
document(rd *r, json_t *f, const ex_cp_opts *opt)
{
    static const char *const cpk[] = {"origin", "root", "size"};
    static const char *const dk[] = {"decided", "admitted", "rejected", "pending", "duplicates",
                                     "carried", "carried_near", "unattributed"};
    static const char *const tk[] = {"operator", "partner", "public", "unmatched"};
    static const char *const ok[] = {"unverified", "accepted", "rejected"};
    static const char *const ck[] = {"received", "accepted", "rejected"};
    json_t *d = json_object(), *cp = need(r, f, "", "checkpoint", JSON_OBJECT);
    json_t *conds = need(r, f, "", "conditions", JSON_ARRAY), *x;
    json_t *caps = need(r, f, "", "captures", JSON_OBJECT);
    json_t *rob = need(r, caps, "captures", "robots.txt", JSON_OBJECT);
    json_t *tdm = need(r, caps, "captures", "tdmrep.json", JSON_OBJECT);
    json_t *opts = need(r, f, "", "optouts", JSON_OBJECT), *subs = need(r, f, "", "submissions", JSON_OBJECT);
    json_t *items = need(r, f, "", "items", JSON_OBJECT), *dec = need(r, f, "", "decisions", JSON_OBJECT);
    json_t *pols = need(r, f, "", "policies", JSON_ARRAY);
    size_t i;
    json_array_foreach(conds, i, x) {
        need(r, x, "conditions[]", "condition", JSON_STRING);
        need(r, x, "conditions[]", "rejected", JSON_INTEGER);
    }
    static const char *const rk[] = {"captures", "hosts", "disallow_all"};
    json_t *rc_ = counts(r, rob, "captures.robots.txt", rk, 3), *tc = counts(r, tdm, "captures.tdmrep.json", rk, 2);
    json_t *pol = doc_policy(r, f);
    const char *name = pv_get(opt ? opt->provider : NULL, PV_PROVIDER_NAME);
    const char *contact = pv_get(opt ? opt->provider : NULL, PV_PROVIDER_CONTACT);
    put(r, d, "type", json_string("exante-copyright-policy"));
    put(r, d, "version", json_integer(1));
    put(r, d, "checkpoint", counts(r, cp, "checkpoint", cpk + 2, 1));
    for (i = 0; i < 2 && r->rc == EX_OK; i++)
        put(r, json_object_get(d, "checkpoint"), cpk[i],
            json_incref(need(r, cp, "checkpoint", cpk[i], JSON_STRING)));
    put(r, d, "provider", json_pack("{s:s?,s:s?}", "name", name, "contact", contact));
    put(r, d, "policy", pol);
    json_t *earlier = json_array();
    size_t np = json_array_size(pols);
    json_array_foreach(pols, i, x) {
        json_t *e = json_pack("{s:O*,s:O*,s:O*,s:O*}", "name", json_object_get(x, "name"),
                              "digest", need(r, x, "policies[]", "digest", JSON_STRING), "index",
                              need(r, x, "policies[]", "index", JSON_INTEGER), "adopted",
                              need(r, x, "policies[]", "adopted", JSON_STRING));
        if (e && !json_object_get(e, "name"))
            put(r, e, "name", json_null());
        if (i + 1 < np && (!e || json_array_append_new(earlier, e) != 0))
            r->rc = ex_fail(r->err, EX_ENOMEM, "out of memory");
        else if (i + 1 == np)
            json_decref(e);
    }
    put(r, d, "earlier_policies", earlier);
    put(r, d, "decisions", counts(r, dec, "decisions", dk, 8));
    json_t *pr = json_object();
    for (i = 0; i < CP_PROTOCOLS && r->rc == EX_OK; i++) {
        const cp_protocol *p = &cp_protocols[i];
        json_t *o = json_object();
        if (p->cond) {
            json_t *ids = rules_of(r, pol, p->cond, 0, 0);
            put(r, o, "honoured", json_boolean(json_array_size(ids) > 0));
            put(r, o, "rules", ids);
            put(r, o, "rejected", json_integer((json_int_t)rejected_by(conds, p->cond)));
        }
        if (strcmp(p->key, "robots_txt") == 0) {
            json_t *ag = json_object_get(pol, "agents");
            put(r, o, "agents", ag ? json_incref(ag) : json_array());
            json_object_update(o, rc_);
            put(r, o, "unknown_rules", rules_of(r, pol, "robots-unknown", 1, 0));
            put(r, o, "unknown_rejected", json_integer((json_int_t)rejected_by(conds, "robots-unknown")));
        } else if (strcmp(p->key, "tdmrep") == 0) {
            json_object_update(o, tc);
        } else if (strcmp(p->key, "optouts") == 0) {
            static const char *const nk[] = {"total", "holders_total", "without_holder"};
            for (size_t k = 0; k < 3; k++)
                put(r, o, nk[k], json_incref(need(r, opts, "optouts", nk[k], JSON_INTEGER)));
            put(r, o, "by_trust", counts(r, need(r, opts, "optouts", "by_trust", JSON_OBJECT),
                                         "optouts.by_trust", tk, 4));
            put(r, o, "holders", json_incref(need(r, opts, "optouts", "holders", JSON_ARRAY)));
            put(r, o, "partners", json_incref(need(r, opts, "optouts", "partners", JSON_ARRAY)));
        } else if (strcmp(p->key, "propagation") == 0) {
            put(r, o, "carried", json_integer((json_int_t)cp_num(dec, "carried")));
            put(r, o, "carried_near", json_integer((json_int_t)cp_num(dec, "carried_near")));
            json_t *nr = rules_of(r, pol, "near-rejected", 1, 0);
            put(r, o, "robots_follow", json_boolean(json_array_size(nr) > 0));
            json_decref(nr);
        }
        put(r, pr, p->key, o);
    }
    json_decref(rc_);
    json_decref(tc);
    put(r, d, "protocols", pr);
    json_t *dl = rules_of(r, pol, "domains", 0, 1);
    put(r, d, "piracy_domains", json_pack("{s:b,s:o,s:I}", "applied", json_array_size(dl) > 0,
                                          "lists", dl, "rejected",
                                          (json_int_t)rejected_by(conds, "domains")));
    static const char *const hk[] = {"count", "http_401", "http_402", "http_403"};
    json_t *cap = counts(r, items, "items", hk, 4);
    json_t *ar = rules_of(r, pol, "access-restricted", 0, 1);
    put(r, d, "access_restricted",
        json_pack("{s:b,s:o,s:I,s:o}", "applied", json_array_size(ar) > 0, "rules", ar,
                  "rejected", (json_int_t)rejected_by(conds, "access-restricted"), "captured", cap));
    put(r, d, "complaints",
        json_pack("{s:s?,s:{s:s,s:s},s:o,s:o}", "contact", contact, "endpoints", "complaints",
                  "POST /v1/complaints", "optouts", "POST /v1/optouts", "complaints",
                  counts(r, need(r, subs, "submissions", "complaint", JSON_OBJECT),
                         "submissions.complaint", ck, 3),
                  "optout_requests",
                  counts(r, need(r, subs, "submissions", "optout", JSON_OBJECT),
                         "submissions.optout", ok, 3)));
    put(r, d, "capped", json_incref(need(r, f, "", "capped", JSON_ARRAY)));
    return d;
}

int cp_markdown(json_t *doc, ex_buf *b); /* copyright_md.c */

int
ex_copyright_policy_dup(const char *facts, size_t len, const ex_cp_opts *o, char **out,
                        size_t *olen, ex_err *err)
{
    int format = o ? o->format : EX_DOC_MARKDOWN;
    if (!facts || !out)
        return ex_fail(err, EX_EINVAL, "copyright policy: no facts");
    if (format != EX_DOC_MARKDOWN && format != EX_DOC_HTML && format != EX_DOC_JSON)
        return ex_fail(err, EX_EINVAL, "copyright policy: unknown format %d", format);
    json_error_t je;
    json_t *f = json_loadb(facts, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(f)) {
        json_decref(f);
        return ex_fail(err, EX_EFORMAT, "facts: line %d, column %d: %s", je.line, je.column,
                       f ? "not a JSON object" : je.text);
    }
    rd r = {EX_OK, err};
    json_t *d = document(&r, f, o);
    ex_buf b = {0};
    int rc = r.rc;
    if (rc == EX_OK && !d)
        rc = ex_fail(err, EX_ENOMEM, "out of memory");
    if (rc == EX_OK && format == EX_DOC_JSON) {
        *out = NULL;
        rc = ex_json_canonical_dup(d, out, olen, err);
    } else if (rc == EX_OK) {
        rc = format == EX_DOC_HTML ? cp_html(d, &b) : cp_markdown(d, &b);
        if (rc == EX_OK && !(*out = ex_buf_take(&b, olen)))
            rc = EX_ENOMEM;
        if (rc == EX_ENOMEM)
            ex_fail(err, rc, "out of memory");
    }
    ex_buf_free(&b);
    json_decref(d);
    json_decref(f);
    return rc;
}
