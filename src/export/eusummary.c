/* eusummary.c - the EU public summary of a model's training content (exante.h,
 * ex_eu_summary_dup; docs/EU-SUMMARY.md): the ledger's facts (ex_ledger_eu_facts_dup) and the
 * provider file made into the Commission template's structure, as one JSON object that the
 * Markdown and HTML forms are rendered from (eurender.c), so that the three say the same. */
#include "eusummary.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cjson.h"
#include "exante.h"
#include "provider.h"

/* ---- checking the facts ---- */

static int
bad(ex_err *err, const char *where, const char *what) {
    return ex_fail(err, EX_EFORMAT, "facts: %s: %s", where, what);
}

static int
count_ok(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int
check_facts(json_t *f, ex_err *err) {
    if (!json_is_object(f) || !json_is_string(json_object_get(f, "type")) ||
        strcmp(json_string_value(json_object_get(f, "type")), "eu-facts") != 0)
        return bad(err, "type", "not the facts of an EU summary");
    static const char *const objs[] = {"checkpoint", "model", "reservations", "text_words"};
    static const char *const arrs[] = {"agents",  "content_types", "honoured", "hosts",
                                       "parents", "snapshots",     "sources"};
    for (size_t i = 0; i < 4; i++)
        if (!json_is_object(json_object_get(f, objs[i])))
            return bad(err, objs[i], "expected an object");
    static const char *const words[] = {"cut_bytes", "cut_items", "uncounted_bytes",
                                        "uncounted_items", "words"};
    for (size_t i = 0; i < 5; i++)
        if (!count_ok(json_object_get(f, "text_words"), words[i]))
            return bad(err, "text_words", "a count is missing");
    for (size_t i = 0; i < 7; i++)
        if (!json_is_array(json_object_get(f, arrs[i])))
            return bad(err, arrs[i], "expected an array");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(f, "sources"), i, v) {
        json_t *m = json_object_get(v, "modalities");
        if (!json_is_string(json_object_get(v, "name")) ||
            !json_is_string(json_object_get(v, "kind")) || !json_is_object(m))
            return bad(err, "sources", "a source without name, kind or modalities");
        for (int k = 0; k < 4; k++) {
            json_t *x = json_object_get(m, eu_modalities[k]);
            if (x && (!count_ok(x, "bytes") || !count_ok(x, "items")))
                return bad(err, "sources", "a modality without bytes or items");
        }
    }
    json_array_foreach(
        json_object_get(f, "hosts"), i,
        v) if (!json_is_string(json_object_get(v, "host")) || !count_ok(v, "bytes") ||
               !count_ok(v, "items")) return bad(err, "hosts",
                                                 "a host without name, bytes or items");
    json_array_foreach(
        json_object_get(f, "content_types"), i,
        v) if (!json_is_string(json_object_get(v, "type")) ||
               !json_is_string(json_object_get(v, "modality")) || !count_ok(v, "items") ||
               !count_ok(v, "bytes")) return bad(err, "content_types", "a malformed content type");
    return EX_OK;
}

/* ---- building ---- */

static const char *
text_range(uint64_t tokens) {
    if (tokens < 1000000000ull)
        return "less than 1 billion tokens";
    if (tokens <= 10000000000000ull)
        return "1 billion to 10 trillion tokens";
    return "more than 10 trillion tokens";
}

static const char *
image_range(uint64_t images) {
    if (images < 1000000ull)
        return "less than 1 million images";
    if (images <= 1000000000ull)
        return "1 million to 1 billion images";
    return "more than 1 billion images";
}

/* 1.3: per modality, what is present and its size */
static json_t *
general_modalities(json_t *f, const uint64_t items[4], const uint64_t bytes[4]) {
    json_t *o = json_object();
    for (int m = 0; m < 4; m++) {
        json_t *x = json_object(), *types = json_array(), *t;
        size_t i;
        json_array_foreach(json_object_get(f, "content_types"), i, t) {
            if (strcmp(json_string_value(json_object_get(t, "modality")), eu_modalities[m]) != 0)
                continue;
            json_t *e = json_object();
            json_object_set(e, "type", json_object_get(t, "type"));
            json_object_set(e, "items", json_object_get(t, "items"));
            json_object_set(e, "bytes", json_object_get(t, "bytes"));
            json_array_append_new(types, e);
        }
        json_object_set_new(x, "present", json_boolean(items[m] > 0));
        json_object_set_new(x, "items", json_integer((json_int_t)items[m]));
        json_object_set_new(x, "bytes", json_integer((json_int_t)bytes[m]));
        json_object_set_new(x, "content_types", types);
        if (m == 2) { /* text: tokens estimated from the exact words and bytes */
            json_t *w = json_object_get(f, "text_words");
            uint64_t words = eu_cnt(w, "words"), rest = eu_cnt(w, "uncounted_bytes") +
                                                        eu_cnt(w, "cut_bytes");
            uint64_t tokens = words / 3 * 4 + ((words % 3) * 4 + 2) / 3 + rest / 4 +
                              (rest % 4 != 0);
            json_object_set_new(x, "words", json_integer((json_int_t)words));
            json_t *u = json_object();
            json_object_set(u, "items", json_object_get(w, "uncounted_items"));
            json_object_set(u, "bytes", json_object_get(w, "uncounted_bytes"));
            json_object_set_new(x, "words_uncounted", u);
            u = json_object();
            json_object_set(u, "items", json_object_get(w, "cut_items"));
            json_object_set(u, "bytes_past", json_object_get(w, "cut_bytes"));
            json_object_set_new(x, "words_cut", u);
            json_object_set_new(x, "tokens_estimate", json_integer((json_int_t)tokens));
            json_object_set_new(x, "size_range",
                                items[m] ? json_string(text_range(tokens)) : json_null());
        } else if (m == 1) {
            json_object_set_new(x, "size_range",
                                items[m] ? json_string(image_range(items[m])) : json_null());
        } else {
            json_object_set_new(x, "size_range", json_null()); /* hours are not in the ledger */
        }
        json_object_set_new(o, eu_modalities[m], x);
    }
    return o;
}

/* section 3.1 */
static json_t *
reservations(json_t *f, const ex_eu_provider *p) {
    json_t *o = json_object(), *a = json_array(), *res = json_object_get(f, "reservations");
    for (int k = 0; k < 5; k++) {
        int honoured = 0;
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(f, "honoured"), i, x) honoured |=
            strcmp(json_string_value(x), eu_protocols[k].rule) == 0;
        uint64_t n = eu_cnt(res, eu_protocols[k].rule);
        if (!honoured && !n)
            continue;
        json_t *e = json_object();
        json_object_set_new(e, "protocol", json_string(eu_protocols[k].protocol));
        json_object_set_new(e, "rule", json_string(eu_protocols[k].rule));
        json_object_set_new(e, "honoured", json_boolean(honoured));
        json_object_set_new(e, "items_excluded", json_integer((json_int_t)n));
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "protocols", a);
    json_object_set_new(o, "code_of_practice_signatory",
                        eu_opt_bool(pv_bool(p, PV_CODE_OF_PRACTICE)));
    json_object_set_new(o, "measures", eu_opt_str(pv_get(p, PV_RESERVATION_MEASURES)));
    return o;
}

static json_t *
model_part(json_t *f, const ex_eu_provider *p) {
    json_t *m = json_object_get(f, "model"), *o = json_object(), *deps = json_array(), *x;
    size_t i;
    json_object_set(o, "name", json_object_get(m, "name"));
    json_object_set(o, "id", json_object_get(m, "id"));
    json_object_set(o, "kind", json_object_get(m, "kind"));
    json_object_set_new(o, "versions", eu_opt_list(p, PV_MODEL_VERSION));
    json_object_set_new(o, "placed_on_market", eu_opt_str(pv_get(p, PV_PLACED_ON_MARKET)));
    json_array_foreach(json_object_get(f, "parents"), i, x) {
        json_t *d = json_object();
        json_object_set(d, "id", json_object_get(x, "id"));
        json_object_set_new(d, "name",
                            json_is_string(json_object_get(x, "name"))
                                ? json_copy(json_object_get(x, "name"))
                                : json_null());
        json_object_set_new(
            d, "in_ledger",
            json_boolean(!json_object_get(x, "external") && json_object_get(x, "name")));
        json_array_append_new(deps, d);
    }
    json_object_set_new(o, "dependencies", deps);
    return o;
}

static json_t *
provenance(json_t *f) {
    json_t *o = json_object(), *a = json_array(), *s;
    size_t i;
    json_object_set(o, "checkpoint", json_object_get(f, "checkpoint"));
    json_array_foreach(json_object_get(f, "snapshots"), i, s) {
        json_t *e = json_object();
        static const char *const k[] = {"log_index",       "log_size", "name",
                                        "optout_excluded", "root",     "size"};
        for (size_t j = 0; j < 6; j++)
            if (json_object_get(s, k[j]))
                json_object_set(e, k[j], json_object_get(s, k[j]));
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "snapshots", a);
    json_object_set_new(o, "items", json_integer((json_int_t)eu_cnt(f, "members")));
    json_object_set_new(o, "token_estimate", json_string("ceil(words * 4 / 3) + ceil(text bytes without words / 4)"));
    json_object_set_new(o, "generator", json_string("exante " EX_VERSION));
    json_object_set(o, "capped", json_object_get(f, "capped"));
    return o;
}

static int
build(json_t *f, const ex_eu_opts *o, json_t *old, json_t **out, ex_err *err) {
    const ex_eu_provider *p = o->provider;
    json_t *s = json_object(), *gen = json_object(), *src = json_object(), *proc = json_object();
    json_t *prov = provenance(f), *hdr = json_object(), *pv = json_object(), *acq = NULL;
    uint64_t items[4] = {0}, bytes[4] = {0};
    int rc = eu_data_sources(f, o, src, prov, items, bytes, &acq);
    json_object_set_new(pv, "name", eu_opt_str(pv_get(p, PV_PROVIDER_NAME)));
    json_object_set_new(pv, "contact", eu_opt_str(pv_get(p, PV_PROVIDER_CONTACT)));
    json_object_set_new(pv, "authorised_representative",
                        eu_opt_str(pv_get(p, PV_AUTHORISED_REPRESENTATIVE)));
    json_object_set_new(gen, "provider", pv);
    json_object_set_new(gen, "model", model_part(f, p));
    json_object_set_new(gen, "modalities", general_modalities(f, items, bytes));
    json_object_set_new(gen, "acquisition", acq);
    json_object_set_new(gen, "languages", eu_opt_list(p, PV_LANGUAGE));
    json_object_set_new(gen, "other_characteristics",
                        eu_opt_str(pv_get(p, PV_OTHER_CHARACTERISTICS)));
    json_object_set_new(proc, "reservations", reservations(f, p));
    json_object_set_new(proc, "illegal_content", eu_opt_str(pv_get(p, PV_ILLEGAL_CONTENT)));
    json_object_set_new(proc, "other", eu_opt_str(pv_get(p, PV_OTHER_INFORMATION)));
    time_t now = o->now ? (time_t)o->now : time(NULL);
    struct tm tm;
    char day[16];
    gmtime_r(&now, &tm);
    strftime(day, sizeof day, "%d/%m/%y", &tm);
    json_int_t version =
        old ? json_integer_value(json_object_get(json_object_get(old, "header"), "version")) + 1
            : 1;
    json_object_set_new(hdr, "version", json_integer(version));
    json_object_set_new(hdr, "last_update", json_string(day));
    json_object_set_new(hdr, "previous_versions", eu_opt_list(p, PV_PREVIOUS_VERSION));
    json_object_set_new(s, "type", json_string(EU_TYPE));
    json_object_set_new(s, "template", json_string("C(2025) 5235"));
    json_object_set_new(s, "sme", json_boolean(o->sme));
    json_object_set_new(s, "header", hdr);
    json_object_set_new(s, "general", gen);
    json_object_set_new(s, "data_sources", src);
    json_object_set_new(s, "data_processing", proc);
    json_object_set_new(s, "provenance", prov);
    if (rc == EX_OK && old) {
        json_t *ch = eu_diff(old, s, err);
        if (!ch)
            rc = err && err->code ? err->code : EX_ENOMEM;
        else
            json_object_set_new(s, "changes", ch);
    }
    if (rc != EX_OK) {
        json_decref(s);
        return rc == EX_ENOMEM ? ex_fail(err, rc, "out of memory") : rc;
    }
    *out = s;
    return EX_OK;
}

static int
check_old(json_t *old, ex_err *err) {
    json_t *v = json_object_get(json_object_get(old, "header"), "version");
    if (!json_is_object(old) || !json_is_string(json_object_get(old, "type")) ||
        strcmp(json_string_value(json_object_get(old, "type")), EU_TYPE) != 0)
        return ex_fail(err, EX_EFORMAT, "old: type: not a JSON EU summary");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000)
        return ex_fail(err, EX_EFORMAT, "old: header.version: expected an integer from 1");
    return EX_OK;
}

int
ex_eu_summary_dup(const char *facts, size_t len, const ex_eu_opts *o, char **out, size_t *olen,
                  ex_err *err) {
    if (!facts || !o || !out || o->format < EX_DOC_MARKDOWN || o->format > EX_DOC_JSON)
        return ex_fail(err, EX_EINVAL, "invalid arguments");
    json_error_t je;
    json_t *f = json_loadb(facts, len, JSON_REJECT_DUPLICATES, &je), *old = NULL, *s = NULL;
    if (!f)
        return ex_fail(err, EX_EFORMAT, "facts: line %d, column %d: %s", je.line, je.column,
                       je.text);
    int rc = check_facts(f, err);
    if (rc == EX_OK && o->old_json) {
        if (!(old = json_loadb(o->old_json, o->old_len, JSON_REJECT_DUPLICATES, &je)))
            rc = ex_fail(err, EX_EFORMAT, "old: line %d, column %d: %s", je.line, je.column,
                         je.text);
        else
            rc = check_old(old, err);
    }
    if (rc == EX_OK)
        rc = build(f, o, old, &s, err);
    if (rc == EX_OK) {
        ex_buf b = {0};
        if (o->format == EX_DOC_JSON)
            rc = ex_json_canon(s, &b, err);
        else if ((rc = eu_render(s, o->format == EX_DOC_HTML, &b)) != EX_OK)
            ex_fail(err, rc, "out of memory");
        if (rc == EX_OK && ex_buf_putc(&b, '\n') != EX_OK)
            rc = ex_fail(err, EX_ENOMEM, "out of memory");
        if (rc == EX_OK)
            *out = ex_buf_take(&b, olen);
        ex_buf_free(&b);
    }
    json_decref(s);
    json_decref(old);
    json_decref(f);
    return rc;
}
