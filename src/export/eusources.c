/* eusources.c - section 2 of the EU summary (eusummary.h, eu_data_sources): the sources of the
 * ledger's facts in the template's sections by kind (docs/EU-SUMMARY.md), the large public
 * datasets, the crawl's period, crawlers, protocols and registrable domains; and the helpers
 * the summary's parts share. */
#include "eusummary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exante.h"
#include "provider.h"

const char *const eu_modalities[4] = {"audio", "image", "text", "video"};

/* the reservation rules, the protocol each stands for */
const struct eu_protocol eu_protocols[5] = {
    {"robots-disallowed", "robots.txt (RFC 9309)"},
    {"tdm-reserved", "W3C TDMRep (tdmrep.json, tdm-reservation header, HTML meta)"},
    {"noai", "noai (X-Robots-Tag header, meta robots)"},
    {"noimageai", "noimageai (X-Robots-Tag header, meta robots)"},
    {"optout", "rights-holder opt-outs recorded in the ledger (URL prefix, domain, content "
               "digest, work, ISCC)"},
};

/* the template's sections of the data sources, by source kind (docs/EU-SUMMARY.md) */
enum { S_PUBLIC, S_LICENSED, S_PRIVATE, S_CRAWLED, S_USER, S_SYNTHETIC, S_OTHER, S_COUNT };
static const char *const section_key[S_COUNT] = {
    "public_datasets", "licensed", "other_private", "crawled", "user_data", "synthetic", "other"};

static int
section_of(const char *kind, int agreement) {
    if (strcmp(kind, "public-dataset") == 0)
        return S_PUBLIC;
    if (strcmp(kind, "licensed") == 0)
        return agreement ? S_LICENSED : S_PRIVATE;
    if (strcmp(kind, "crawl") == 0)
        return S_CRAWLED;
    if (strcmp(kind, "first-party") == 0)
        return S_USER;
    if (strcmp(kind, "synthetic") == 0)
        return S_SYNTHETIC;
    return S_OTHER;
}

json_t *
eu_opt_str(const char *s) {
    return s ? json_string(s) : json_null();
}

json_t *
eu_opt_bool(int v) {
    return v < 0 ? json_null() : json_boolean(v);
}

json_t *
eu_opt_list(const ex_eu_provider *p, int k) {
    if (!p || !p->n[k])
        return json_null();
    json_t *a = json_array();
    for (size_t i = 0; i < p->n[k]; i++)
        json_array_append_new(a, json_string(p->v[k][i]));
    return a;
}

uint64_t
eu_cnt(json_t *o, const char *k) {
    return (uint64_t)json_integer_value(json_object_get(o, k));
}

/* "MM/YYYY" of an RFC 3339 time, or null */
static json_t *
month(const char *s) {
    int64_t secs;
    if (!s || ex_time_parse(s, &secs) != EX_OK)
        return json_null();
    char out[16];
    snprintf(out, sizeof out, "%.2s/%.4s", s + 5, s);
    return json_string(out);
}

static json_t *
modality_list(const uint64_t items[4]) {
    json_t *a = json_array();
    for (int m = 0; m < 4; m++)
        if (items[m])
            json_array_append_new(a, json_string(eu_modalities[m]));
    return a;
}

/* 2.3's domains: hosts made registrable domains, summed, ranked and cut */
static int
crawled_domains(json_t *f, const ex_eu_opts *o, json_t *sec, json_t *prov) {
    eu_psl *psl = NULL;
    int rc = eu_psl_load(o->psl_path, &psl);
    json_t *hosts = json_object_get(f, "hosts"), *h;
    size_t n = json_array_size(hosts), i, k = 0;
    eu_domain *v = n ? calloc(n, sizeof *v) : NULL;
    char(*names)[256] = n ? calloc(n, sizeof *names) : NULL;
    if (rc == EX_OK && n && (!v || !names))
        rc = EX_ENOMEM;
    json_array_foreach(rc == EX_OK ? hosts : NULL, i, h) {
        eu_registrable(psl, json_string_value(json_object_get(h, "host")), names[i]);
        v[i] = (eu_domain){names[i], eu_cnt(h, "bytes"), eu_cnt(h, "items")};
    }
    if (rc == EX_OK && n) { /* equal domains together (by name), summed */
        for (i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(v[j - 1].name, v[j].name) > 0; j--) {
                eu_domain t = v[j];
                v[j] = v[j - 1], v[j - 1] = t;
            }
        for (i = 0; i < n; i++) {
            if (k && strcmp(v[k - 1].name, v[i].name) == 0)
                v[k - 1].bytes += v[i].bytes, v[k - 1].items += v[i].items;
            else
                v[k++] = v[i];
        }
        eu_domains_rank(v, k);
    }
    size_t listed = ex_eu_domains_listed(k, o->sme);
    json_t *a = json_array();
    for (i = 0; rc == EX_OK && i < listed; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "domain", json_string(v[i].name));
        json_object_set_new(e, "bytes", json_integer((json_int_t)v[i].bytes));
        json_object_set_new(e, "items", json_integer((json_int_t)v[i].items));
        json_array_append_new(a, e);
    }
    json_object_set_new(sec, "domains", a);
    json_object_set_new(sec, "domains_total", json_integer((json_int_t)k));
    json_object_set_new(sec, "domains_listed", json_integer((json_int_t)listed));
    json_object_set_new(
        sec, "domains_cut",
        json_string(o->sme ? "min(ceil(5% of total), 1000)" : "ceil(10% of total)"));
    json_object_set(sec, "items_without_host", json_object_get(f, "hosts_missing"));
    json_object_set_new(prov, "registrable_domains",
                        json_string(psl ? "public suffix list" : "built-in approximation"));
    eu_psl_free(psl);
    free(v);
    free(names);
    return rc;
}

/* 2.x: the sections of the sources, by kind */
int
eu_data_sources(json_t *f, const ex_eu_opts *o, json_t *out, json_t *prov, uint64_t items[4],
                uint64_t bytes[4], json_t **latest) {
    const ex_eu_provider *p = o->provider;
    json_t *src = json_object_get(f, "sources"), *s;
    uint64_t sitems[S_COUNT][4] = {{0}}, sbytes[S_COUNT][4] = {{0}};
    size_t nsrc[S_COUNT] = {0}, i;
    const char *first = NULL, *last = NULL, *cfirst = NULL, *clast = NULL;
    uint64_t unfetched = 0;
    json_array_foreach(src, i, s) {
        int sec = section_of(json_string_value(json_object_get(s, "kind")),
                             json_is_true(json_object_get(s, "agreement")));
        nsrc[sec]++;
        for (int m = 0; m < 4; m++) {
            json_t *x = json_object_get(json_object_get(s, "modalities"), eu_modalities[m]);
            sitems[sec][m] += eu_cnt(x, "items"), sbytes[sec][m] += eu_cnt(x, "bytes");
            items[m] += eu_cnt(x, "items"), bytes[m] += eu_cnt(x, "bytes");
        }
        unfetched += eu_cnt(s, "unfetched");
        const char *a = json_string_value(json_object_get(s, "fetched_first"));
        const char *b = json_string_value(json_object_get(s, "fetched_last"));
        /* RFC 3339 UTC to the second, as the facts write them, order as strings */
        if (a && (!first || strcmp(a, first) < 0))
            first = a;
        if (b && (!last || strcmp(b, last) > 0))
            last = b;
        if (sec == S_CRAWLED && a && (!cfirst || strcmp(a, cfirst) < 0))
            cfirst = a;
        if (sec == S_CRAWLED && b && (!clast || strcmp(b, clast) > 0))
            clast = b;
    }
    (void)first;
    *latest = json_object();
    json_object_set_new(*latest, "latest", month(last));
    json_object_set_new(*latest, "items_without_fetch_time", json_integer((json_int_t)unfetched));
    json_object_set_new(*latest, "continues", eu_opt_bool(pv_bool(p, PV_CONTINUES_TRAINING)));
    json_t *sec[S_COUNT];
    for (int k = 0; k < S_COUNT; k++) {
        uint64_t ti = 0, tb = 0;
        for (int m = 0; m < 4; m++)
            ti += sitems[k][m], tb += sbytes[k][m];
        sec[k] = json_object();
        json_object_set_new(sec[k], "used", json_boolean(ti > 0));
        json_object_set_new(sec[k], "modalities", modality_list(sitems[k]));
        json_object_set_new(sec[k], "items", json_integer((json_int_t)ti));
        json_object_set_new(sec[k], "bytes", json_integer((json_int_t)tb));
        json_object_set_new(sec[k], "datasets", json_integer((json_int_t)nsrc[k]));
        json_object_set_new(out, section_key[k], sec[k]);
    }
    /* 2.1: every public dataset over 3% of the public data of a modality, by name */
    json_t *large = json_array();
    size_t others = 0;
    json_array_foreach(src, i, s) {
        if (section_of(json_string_value(json_object_get(s, "kind")), 0) != S_PUBLIC)
            continue;
        int is_large = 0;
        for (int m = 0; m < 4; m++) {
            json_t *x = json_object_get(json_object_get(s, "modalities"), eu_modalities[m]);
            uint64_t b = eu_cnt(x, "bytes");
            if (!x || b * 100 <= 3 * sbytes[S_PUBLIC][m] || !sbytes[S_PUBLIC][m])
                continue;
            is_large = 1;
            json_t *e = json_object();
            json_object_set(e, "name", json_object_get(s, "name"));
            json_object_set_new(e, "modality", json_string(eu_modalities[m]));
            json_object_set_new(e, "bytes", json_integer((json_int_t)b));
            json_object_set_new(e, "items", json_integer((json_int_t)eu_cnt(x, "items")));
            json_object_set_new(e, "share_permille",
                                json_integer((json_int_t)(b * 1000 / sbytes[S_PUBLIC][m])));
            json_array_append_new(large, e);
        }
        others += !is_large;
    }
    json_object_set_new(sec[S_PUBLIC], "large", large);
    json_object_set_new(sec[S_PUBLIC], "others", json_integer((json_int_t)others));
    json_object_set_new(sec[S_PUBLIC], "description", eu_opt_str(pv_get(p, PV_PUBLIC_DATASETS)));
    json_object_set_new(sec[S_LICENSED], "agreements", json_boolean(nsrc[S_LICENSED] > 0));
    json_object_set_new(sec[S_PRIVATE], "description", eu_opt_str(pv_get(p, PV_PRIVATE_DATASETS)));
    /* 2.3 */
    json_t *c = sec[S_CRAWLED], *crawlers = json_array(), *ag;
    json_array_foreach(json_object_get(f, "agents"), i, ag) json_array_append(crawlers, ag);
    for (size_t j = 0; p && j < p->n[PV_CRAWLER]; j++) {
        int have = 0;
        json_array_foreach(crawlers, i, ag) have |=
            strcmp(json_string_value(ag), p->v[PV_CRAWLER][j]) == 0;
        if (!have)
            json_array_append_new(crawlers, json_string(p->v[PV_CRAWLER][j]));
    }
    json_object_set_new(c, "crawlers", crawlers);
    json_object_set_new(c, "purposes", eu_opt_str(pv_get(p, PV_CRAWLER_PURPOSES)));
    json_object_set_new(c, "behaviour", eu_opt_str(pv_get(p, PV_CRAWLER_BEHAVIOUR)));
    json_object_set_new(c, "description", eu_opt_str(pv_get(p, PV_CRAWLED_CONTENT)));
    json_t *period = json_object();
    json_object_set_new(period, "from", month(cfirst));
    json_object_set_new(period, "to", month(clast));
    json_object_set_new(c, "period", period);
    json_t *hon = json_array(), *x;
    json_array_foreach(json_object_get(f, "honoured"), i, x) {
        for (int k = 0; k < 5; k++)
            if (strcmp(json_string_value(x), eu_protocols[k].rule) == 0 && k != 4)
                json_array_append_new(hon, json_string(eu_protocols[k].protocol));
    }
    json_object_set_new(c, "protocols_honoured", hon);
    int rc = crawled_domains(f, o, c, prov);
    /* 2.4 - 2.6 */
    json_object_set_new(sec[S_USER], "interactions", eu_opt_bool(pv_bool(p, PV_USER_INTERACTIONS)));
    json_object_set_new(sec[S_USER], "other_services", eu_opt_bool(pv_bool(p, PV_USER_SERVICES)));
    json_object_set_new(sec[S_USER], "description", eu_opt_str(pv_get(p, PV_USER_DATA)));
    json_object_set_new(sec[S_SYNTHETIC], "models", eu_opt_list(p, PV_SYNTHETIC_MODEL));
    json_object_set_new(sec[S_OTHER], "description", eu_opt_str(pv_get(p, PV_OTHER_SOURCES)));
    return rc;
}
