/* croissant.c - Croissant 1.1 JSON-LD with the Responsible-AI extension (bom.h): the snapshot,
 * or the data a model was trained on (its snapshots together), as an sc:Dataset. Its files are
 * what exante can hand over and hash: per snapshot the member listing (`exante snapshot export
 * NAME`, a digest a line) and the snapshot record (`exante snapshot tiles`' DIR/snapshot), with
 * a record set reading the digests from the listing's lines. RAI: how the data was collected
 * (its sources and their kinds), when (the items' fetch times), how it was processed (the
 * decisions, deduplication, opt-outs); provenance: prov:wasDerivedFrom the sources. The context
 * is inline (the spec's 1.1 appendix, with https://schema.org/ as the official examples have
 * it, and prov:), so the document reads offline. */
#include "bom.h"

#include <stdlib.h>
#include <string.h>

static const char *const context_terms[][2] = {
    {"annotation", "cr:annotation"},   {"arrayShape", "cr:arrayShape"},
    {"citeAs", "cr:citeAs"},           {"column", "cr:column"},
    {"conformsTo", "dct:conformsTo"},  {"containedIn", "cr:containedIn"},
    {"equivalentProperty", "cr:equivalentProperty"},
    {"excludes", "cr:excludes"},       {"extract", "cr:extract"},
    {"field", "cr:field"},             {"fileProperty", "cr:fileProperty"},
    {"fileObject", "cr:fileObject"},   {"fileSet", "cr:fileSet"},
    {"format", "cr:format"},           {"includes", "cr:includes"},
    {"isArray", "cr:isArray"},         {"isLiveDataset", "cr:isLiveDataset"},
    {"jsonPath", "cr:jsonPath"},       {"key", "cr:key"},
    {"md5", "cr:md5"},                 {"parentField", "cr:parentField"},
    {"recordSet", "cr:recordSet"},     {"references", "cr:references"},
    {"regex", "cr:regex"},             {"readLines", "cr:readLines"},
    {"sdVersion", "cr:sdVersion"},     {"separator", "cr:separator"},
    {"source", "cr:source"},           {"subField", "cr:subField"},
    {"transform", "cr:transform"},     {"unArchive", "cr:unArchive"},
    {"value", "cr:value"},
};

static json_t *
context(bom *b)
{
    json_t *c = json_object();
    bom_put(b, c, "@language", json_string("en"));
    bom_put(b, c, "@vocab", json_string("https://schema.org/"));
    bom_put(b, c, "sc", json_string("https://schema.org/"));
    bom_put(b, c, "cr", json_string("http://mlcommons.org/croissant/"));
    bom_put(b, c, "rai", json_string("http://mlcommons.org/croissant/RAI/"));
    bom_put(b, c, "dct", json_string("http://purl.org/dc/terms/"));
    bom_put(b, c, "prov", json_string("http://www.w3.org/ns/prov#"));
    for (size_t i = 0; i < sizeof context_terms / sizeof context_terms[0]; i++)
        bom_put(b, c, context_terms[i][0], json_string(context_terms[i][1]));
    static const char *const json_terms[][2] = {{"data", "cr:data"}, {"examples", "cr:examples"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *t = json_object();
        bom_put(b, t, "@id", json_string(json_terms[i][1]));
        bom_put(b, t, "@type", json_string("@json"));
        bom_put(b, c, json_terms[i][0], t);
    }
    json_t *dt = json_object();
    bom_put(b, dt, "@id", json_string("cr:dataType"));
    bom_put(b, dt, "@type", json_string("@vocab"));
    bom_put(b, c, "dataType", dt);
    return c;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the license of the snapshots together: their distinct expressions joined with AND (an OR in
 * parentheses), NOASSERTION if one of them has no assertion */
static const char *
license(bom *b)
{
    if (json_array_size(b->snaps) == 1)
        return bom_s(json_array_get(b->snaps, 0), "license");
    json_t *seen = json_object(), *f, *x;
    size_t i, k, n = 0;
    int unknown = 0;
    json_array_foreach(b->snaps, i, f) {
        unknown |= strcmp(bom_s(f, "license"), "NOASSERTION") == 0;
        json_array_foreach(json_object_get(f, "licenses"), k, x) {
            json_object_set_new(seen, bom_s(x, "license"), json_true());
        }
    }
    const char **v = malloc((json_object_size(seen) + 1) * sizeof *v), *key;
    json_object_foreach(seen, key, x) {
        if (v)
            v[n++] = key;
    }
    if (!v || unknown || n == 0) {
        free(v);
        json_decref(seen);
        if (!v && b->rc == EX_OK)
            b->rc = ex_fail(b->err, EX_ENOMEM, "out of memory");
        return "NOASSERTION";
    }
    qsort(v, n, sizeof *v, str_cmp);
    const char *all = "";
    for (i = 0; i < n; i++)
        all = bom_fmt(b, strstr(v[i], " OR ") ? "%s%s(%s)" : "%s%s%s", all, i ? " AND " : "", v[i]);
    free(v);
    json_decref(seen);
    return all;
}

static json_t *
file(bom *b, const char *id, const char *url, const char *desc, const char *type,
     const char *sha)
{
    json_t *o = json_object();
    bom_put(b, o, "@type", json_string("cr:FileObject"));
    bom_put(b, o, "@id", json_string(id));
    bom_put(b, o, "name", json_string(id));
    bom_put(b, o, "description", json_string(desc));
    bom_put(b, o, "contentUrl", json_string(url));
    bom_put(b, o, "encodingFormat", json_string(type));
    bom_put(b, o, "sha256", json_string(sha));
    return o;
}

/* the files of snapshot f and the record set of its members */
static void
files(bom *b, json_t *f, json_t *dist, json_t *sets)
{
    const char *n = bom_s(f, "name"), *e = bom_enc(b, n);
    const char *mid = bom_fmt(b, "%s.members.txt", e), *rid = bom_fmt(b, "%s.snapshot.json", e);
    bom_push(b, dist, file(b, mid, mid,
                           bom_fmt(b, "The %llu members of snapshot '%s', one content digest "
                                      "(sha256:<hex>) a line, ascending: `exante snapshot export "
                                      "%s`.", (unsigned long long)bom_n(f, "size"), n, n),
                           "text/plain", bom_s(f, "members_sha256")));
    bom_push(b, dist, file(b, rid, rid,
                           bom_fmt(b, "The record of snapshot '%s' as logged at index %llu "
                                      "(`exante snapshot tiles %s --out DIR`: DIR/snapshot).", n,
                                      (unsigned long long)bom_n(f, "log_index"), n),
                           "application/json", bom_s(f, "record_sha256")));
    json_t *rs = json_object(), *fields = json_array(), *fd = json_object(), *src = json_object();
    json_t *fo = json_object(), *ex = json_object();
    bom_put(b, rs, "@type", json_string("cr:RecordSet"));
    bom_put(b, rs, "@id", bom_jfmt(b, "%s/members", e));
    bom_put(b, rs, "name", bom_jfmt(b, "%s/members", e));
    bom_put(b, rs, "description", bom_jfmt(b, "the members of snapshot '%s'", n));
    bom_put(b, fd, "@type", json_string("cr:Field"));
    bom_put(b, fd, "@id", bom_jfmt(b, "%s/members/digest", e));
    bom_put(b, fd, "name", json_string("digest"));
    bom_put(b, fd, "description", json_string("SHA-256 of the item's content, sha256:<hex>"));
    bom_put(b, fd, "dataType", json_string("sc:Text"));
    bom_put(b, fo, "@id", json_string(mid));
    bom_put(b, src, "fileObject", fo);
    bom_put(b, ex, "fileProperty", json_string("lines"));
    bom_put(b, src, "extract", ex);
    bom_put(b, fd, "source", src);
    bom_push(b, fields, fd);
    bom_put(b, rs, "field", fields);
    bom_push(b, sets, rs);
}

int
bom_croissant(bom *b, json_t **out)
{
    json_t *d = json_object(), *org = json_object(), *dist = json_array(), *sets = json_array();
    json_t *kinds = json_object(), *derived = json_array(), *seen = json_object(), *f, *s;
    size_t i, k;
    const char *first = NULL, *last = NULL, *name, *desc;
    const char *counts = "";
    if (b->model) {
        name = bom_fmt(b, "training data of %s", bom_s(b->model, "name"));
        desc = bom_fmt(b, "The snapshots model '%s' (%s) was trained on, by its training run "
                          "attested at log index %llu of the training-data ledger %s.",
                       bom_s(b->model, "name"), bom_s(b->model, "id"),
                       (unsigned long long)bom_n(b->model, "log_index"), b->origin);
    } else {
        f = json_array_get(b->snaps, 0);
        name = bom_s(f, "name");
        desc = bom_fmt(b, "Snapshot '%s' of the training-data ledger %s: the items admitted "
                          "before training, %llu distinct contents, committed to by an RFC 9162 "
                          "tree (root %s) logged at index %llu.", name, b->origin,
                       (unsigned long long)bom_n(f, "size"), bom_s(f, "root"),
                       (unsigned long long)bom_n(f, "log_index"));
    }
    bom_put(b, d, "@context", context(b));
    bom_put(b, d, "@type", json_string("sc:Dataset"));
    bom_put(b, d, "@id", json_string(b->subject));
    bom_put(b, d, "conformsTo", json_string("http://mlcommons.org/croissant/1.1"));
    bom_put(b, d, "name", json_string(name));
    bom_put(b, d, "description", json_string(desc));
    bom_put(b, d, "license", json_string(license(b)));
    bom_put(b, d, "url", json_string(b->subject));
    bom_put(b, org, "@type", json_string("sc:Organization"));
    bom_put(b, org, "name", json_string(b->origin));
    bom_put(b, org, "url", json_string(b->base));
    bom_put(b, d, "creator", json_incref(org));
    bom_put(b, d, "publisher", org);
    bom_put(b, d, "datePublished", json_string(b->when));
    bom_put(b, d, "dateCreated", json_string(b->when));
    json_array_foreach(b->snaps, i, f) {
        files(b, f, dist, sets);
        counts = bom_fmt(b, "%s%s%llu in snapshot '%s'", counts, i ? ", " : "",
                         (unsigned long long)bom_n(f, "size"), bom_s(f, "name"));
        const char *a = bom_s(f, "fetched_first"), *z = bom_s(f, "fetched_last");
        if (a && (!first || strcmp(a, first) < 0))
            first = a;
        if (z && (!last || strcmp(z, last) > 0))
            last = z;
        json_array_foreach(json_object_get(f, "sources"), k, s) {
            const char *sn = bom_s(s, "name"), *kind = bom_s(s, "kind") ? bom_s(s, "kind")
                                                                         : "unknown";
            json_object_set_new(kinds, kind, json_true());
            if (json_object_get(seen, sn))
                continue;
            json_object_set_new(seen, sn, json_true());
            json_t *e = json_object();
            bom_put(b, e, "@type", json_string("prov:Entity"));
            bom_put(b, e, "@id", bom_jfmt(b, "%s/v1/sources/%s", b->base, bom_enc(b, sn)));
            bom_put(b, e, "name", json_string(sn));
            bom_put(b, e, "description",
                    bom_jfmt(b, "source '%s': kind %s, license %s", sn, kind,
                             bom_s(s, "license") ? bom_s(s, "license") : "not given"));
            bom_push(b, derived, e);
        }
    }
    bom_put(b, d, "distribution", dist);
    bom_put(b, d, "recordSet", sets);
    json_t *kw = json_array(), *types = json_array(), *x;
    const char *key;
    bom_push(b, kw, json_string("training data"));
    bom_push(b, kw, json_string("exante"));
    json_object_foreach(kinds, key, x) {
        bom_push(b, types, json_string(key));
    }
    bom_put(b, d, "keywords", kw);
    bom_put(b, d, "rai:dataCollection",
            bom_jfmt(b, "Acquired through %zu sources of the ledger (prov:wasDerivedFrom names "
                        "them). Every item was recorded with its source, URL, fetch time and "
                        "license, and decided (admit or reject, naming the rule) under an "
                        "adopted policy before any training; the members (%s) are the "
                        "admitted contents.", json_array_size(derived), counts));
    bom_put(b, d, "rai:dataCollectionType", types);
    if (first && last) {
        json_t *tf = json_array();
        bom_push(b, tf, json_string(first));
        bom_push(b, tf, json_string(last));
        bom_put(b, d, "rai:dataCollectionTimeframe", tf);
    }
    json_t *pp = json_array();
    bom_push(b, pp, json_string("policy: each item admitted or rejected by the adopted policy "
                                "(robots.txt, TDMRep, noai signals, source terms, licenses, "
                                "opt-outs), the rule and evidence logged"));
    bom_push(b, pp, json_string("deduplication: one member per content digest (SHA-256)"));
    bom_push(b, pp, json_string("opt-outs: items an opt-out logged before the snapshot reaches "
                                "are excluded"));
    bom_put(b, d, "rai:dataPreprocessingProtocol", pp);
    bom_put(b, d, "rai:dataReleaseMaintenancePlan",
            json_string("A snapshot never changes: later opt-outs lead to a new snapshot made "
                        "--from it, and `exante impact` names the models they reach."));
    bom_put(b, d, "prov:wasDerivedFrom", derived);
    json_decref(kinds);
    json_decref(seen);
    if (b->rc != EX_OK) {
        json_decref(d);
        return b->rc;
    }
    *out = d;
    return EX_OK;
}
