/* cyclonedx.c - CycloneDX 1.6 JSON, an ML-BOM (bom.h): a `data` component per snapshot (its
 * dataset, governance and counts), for a model a `machine-learning-model` component (its
 * weights as `file` components with their SHA-256, a model card naming the datasets, its
 * parents in its pedigree), the dependencies of the model on the datasets, and the training
 * run as a formulation: a workflow whose task reads the snapshots and outputs the model. */
#include "bom.h"

#include <stdio.h>
#include <string.h>

/* {"name": "exante:K", "value": V} onto props */
static void
prop(bom *b, json_t *props, const char *k, const char *v)
{
    json_t *p = json_object();
    bom_put(b, p, "name", bom_jfmt(b, "exante:%s", k));
    bom_put(b, p, "value", json_string(v ? v : ""));
    bom_push(b, props, p);
}

static void
propn(bom *b, json_t *props, const char *k, uint64_t v)
{
    prop(b, props, k, bom_fmt(b, "%llu", (unsigned long long)v));
}

static json_t *
sha256(bom *b, const char *hex)
{
    json_t *a = json_array(), *h = json_object();
    bom_put(b, h, "alg", json_string("SHA-256"));
    bom_put(b, h, "content", json_string(hex));
    bom_push(b, a, h);
    return a;
}

static json_t *
ref(bom *b, const char *r)
{
    json_t *o = json_object();
    bom_put(b, o, "ref", json_string(r));
    return o;
}

/* the licenses of a normalised expression: one listed id as an id, any other expression as
 * one, none at all for NOASSERTION (the properties hold the mix) */
static void
licenses(bom *b, json_t *c, const char *x)
{
    if (strcmp(x, "NOASSERTION") == 0 || strcmp(x, "NONE") == 0)
        return;
    json_t *a = json_array(), *l = json_object();
    if (bom_listed_id(x)) {
        json_t *id = json_object();
        bom_put(b, id, "id", json_string(x));
        bom_put(b, l, "license", id);
    } else {
        bom_put(b, l, "expression", json_string(x));
    }
    bom_push(b, a, l);
    bom_put(b, c, "licenses", a);
}

static const char *
data_ref(bom *b, json_t *f)
{
    return bom_fmt(b, "snapshot:%s", bom_s(f, "name"));
}

static json_t *
data(bom *b, json_t *f)
{
    const char *name = bom_s(f, "name");
    json_t *c = json_object(), *d = json_object(), *ds = json_array(), *props = json_array();
    bom_put(b, c, "type", json_string("data"));
    bom_put(b, c, "bom-ref", json_string(data_ref(b, f)));
    bom_put(b, c, "name", json_string(name));
    bom_put(b, c, "version", json_string(bom_s(f, "root_hex")));
    bom_put(b, c, "description",
            bom_jfmt(b, "snapshot '%s' of the training-data ledger %s: %llu members (RFC 9162 "
                        "tree, root %s), logged at index %llu", name, b->origin,
                     (unsigned long long)bom_n(f, "size"), bom_s(f, "root"),
                     (unsigned long long)bom_n(f, "log_index")));
    licenses(b, c, bom_s(f, "license"));
    bom_put(b, d, "type", json_string("dataset"));
    bom_put(b, d, "name", json_string(name));
    json_t *contents = json_object(), *cprops = json_array();
    bom_put(b, contents, "url", json_string(bom_snap_iri(b, f)));
    prop(b, cprops, "members_sha256", bom_s(f, "members_sha256"));
    prop(b, cprops, "record_sha256", bom_s(f, "record_sha256"));
    bom_put(b, contents, "properties", cprops);
    bom_put(b, d, "contents", contents);
    bom_put(b, d, "description", json_string("the content digests of the admitted items: "
                                             "`exante snapshot export` lists them"));
    json_t *gov = json_object(), *cust = json_array(), *party = json_object(), *org = json_object();
    bom_put(b, org, "name", json_string(b->origin));
    bom_put(b, party, "organization", org);
    bom_push(b, cust, party);
    bom_put(b, gov, "custodians", cust);
    bom_put(b, d, "governance", gov);
    bom_push(b, ds, d);
    bom_put(b, c, "data", ds);
    propn(b, props, "members", bom_n(f, "size"));
    propn(b, props, "items", bom_n(f, "items"));
    propn(b, props, "bytes", bom_n(f, "bytes"));
    propn(b, props, "log_index", bom_n(f, "log_index"));
    propn(b, props, "log_size", bom_n(f, "log_size"));
    prop(b, props, "created", bom_s(f, "created"));
    prop(b, props, "root", bom_s(f, "root"));
    prop(b, props, "license", bom_s(f, "license"));
    json_t *x;
    size_t i;
    json_array_foreach(json_object_get(f, "policies"), i, x) {
        prop(b, props, "policy", json_string_value(x));
    }
    json_array_foreach(json_object_get(f, "licenses"), i, x) {
        prop(b, props, bom_fmt(b, "license:%s", bom_s(x, "license")),
             bom_fmt(b, "%llu items, %llu bytes", (unsigned long long)bom_n(x, "items"),
                     (unsigned long long)bom_n(x, "bytes")));
    }
    json_array_foreach(json_object_get(f, "sources"), i, x) {
        prop(b, props, bom_fmt(b, "source:%s", bom_s(x, "name")),
             bom_fmt(b, "kind %s, license %s, %llu items, %llu bytes",
                     bom_s(x, "kind") ? bom_s(x, "kind") : "unknown",
                     bom_s(x, "license") ? bom_s(x, "license") : "not given",
                     (unsigned long long)bom_n(x, "items"), (unsigned long long)bom_n(x, "bytes")));
    }
    if (bom_s(f, "fetched_first"))
        prop(b, props, "fetched_first", bom_s(f, "fetched_first"));
    if (bom_s(f, "fetched_last"))
        prop(b, props, "fetched_last", bom_s(f, "fetched_last"));
    bom_put(b, c, "properties", props);
    return c;
}

/* a model as a component: the one described (full: weights, card, pedigree) or a parent */
static json_t *
model(bom *b, json_t *m, int full)
{
    const char *id = bom_s(m, "id");
    json_t *c = json_object(), *props = json_array();
    bom_put(b, c, "type", json_string("machine-learning-model"));
    bom_put(b, c, "bom-ref", bom_jfmt(b, "model:%s", id + 7));
    bom_put(b, c, "name", json_string(bom_s(m, "name")));
    bom_put(b, c, "version", json_string(id));
    prop(b, props, "kind", bom_s(m, "kind"));
    propn(b, props, "log_index", bom_n(m, "log_index"));
    prop(b, props, "envelope", bom_s(m, "envelope"));
    prop(b, props, "finished", bom_s(m, "finished"));
    bom_put(b, c, "properties", props);
    if (!full)
        return c;
    json_t *subs = json_object_get(m, "subjects"), *files = json_array(), *s;
    size_t i;
    json_array_foreach(subs, i, s) {
        json_t *fc = json_object();
        bom_put(b, fc, "type", json_string("file"));
        bom_put(b, fc, "bom-ref", bom_jfmt(b, "model:%s:weights:%zu", id + 7, i + 1));
        bom_put(b, fc, "name", json_string(bom_s(s, "name")));
        bom_put(b, fc, "hashes", sha256(b, bom_s(s, "sha256")));
        bom_push(b, files, fc);
    }
    if (json_array_size(subs) == 1)
        bom_put(b, c, "hashes", sha256(b, bom_s(json_array_get(subs, 0), "sha256")));
    bom_put(b, c, "components", files);
    json_t *card = json_object(), *params = json_object(), *sets = json_array(), *f;
    json_array_foreach(b->snaps, i, f) {
        bom_push(b, sets, ref(b, data_ref(b, f)));
    }
    bom_put(b, params, "datasets", sets);
    bom_put(b, card, "modelParameters", params);
    bom_put(b, c, "modelCard", card);
    json_t *anc = json_array(), *p;
    json_array_foreach(json_object_get(m, "parents"), i, p) {
        bom_push(b, anc, model(b, p, 0));
    }
    json_array_foreach(json_object_get(m, "external_parents"), i, p) {
        json_t *e = json_object();
        const char *dg = json_string_value(p);
        bom_put(b, e, "type", json_string("machine-learning-model"));
        bom_put(b, e, "name", json_string("external parent"));
        bom_put(b, e, "version", json_string(dg));
        if (strncmp(dg, "sha256:", 7) == 0 && strlen(dg) == 71)
            bom_put(b, e, "hashes", sha256(b, dg + 7));
        bom_push(b, anc, e);
    }
    if (json_array_size(anc)) {
        json_t *ped = json_object();
        bom_put(b, ped, "ancestors", json_incref(anc));
        bom_put(b, c, "pedigree", ped);
    }
    json_decref(anc);
    return c;
}

/* the training run: one workflow, one task reading the snapshots and making the model */
static json_t *
formulation(bom *b, json_t *m)
{
    const char *hex = bom_s(m, "id") + 7;
    json_t *fs = json_array(), *f = json_object(), *wfs = json_array(), *wf = json_object();
    json_t *task = json_object(), *tasks = json_array(), *in = json_array(), *out = json_array();
    json_t *refs = json_array(), *props = json_array(), *s;
    size_t i;
    json_array_foreach(b->snaps, i, s) {
        json_t *r = json_object();
        bom_put(b, r, "resource", ref(b, data_ref(b, s)));
        bom_push(b, in, r);
        bom_push(b, refs, ref(b, data_ref(b, s)));
    }
    json_t *o = json_object();
    bom_put(b, o, "resource", ref(b, bom_fmt(b, "model:%s", hex)));
    bom_push(b, out, o);
    bom_put(b, task, "bom-ref", bom_jfmt(b, "run:%s:train", hex));
    bom_put(b, task, "uid", bom_jfmt(b, "%s#train", bom_s(m, "envelope")));
    bom_put(b, task, "name", bom_jfmt(b, "train %s (%s)", bom_s(m, "name"), bom_s(m, "kind")));
    json_t *types = json_array();
    bom_push(b, types, json_string("build"));
    bom_put(b, task, "taskTypes", json_incref(types));
    bom_put(b, task, "inputs", in);
    bom_put(b, task, "outputs", out);
    bom_put(b, task, "timeStart", json_string(bom_s(m, "started")));
    bom_put(b, task, "timeEnd", json_string(bom_s(m, "finished")));
    json_t *code = json_object_get(m, "code"), *cfg = json_object_get(m, "config");
    if (bom_s(code, "commit"))
        prop(b, props, "code:commit", bom_s(code, "commit"));
    if (bom_s(code, "sha256"))
        prop(b, props, "code:sha256", bom_fmt(b, "%s %s", bom_s(code, "sha256"),
                                              bom_s(code, "name") ? bom_s(code, "name") : ""));
    if (bom_s(cfg, "sha256"))
        prop(b, props, "config:sha256", bom_fmt(b, "%s %s", bom_s(cfg, "sha256"),
                                                bom_s(cfg, "name") ? bom_s(cfg, "name") : ""));
    prop(b, props, "kind", bom_s(m, "kind"));
    bom_put(b, task, "properties", props);
    bom_push(b, tasks, task);
    bom_put(b, wf, "bom-ref", bom_jfmt(b, "run:%s", hex));
    bom_put(b, wf, "uid", json_string(bom_s(m, "envelope")));
    bom_put(b, wf, "name", bom_jfmt(b, "training run of %s, attested at log index %llu",
                                    bom_s(m, "name"), (unsigned long long)bom_n(m, "log_index")));
    bom_put(b, wf, "taskTypes", types);
    bom_put(b, wf, "resourceReferences", refs);
    bom_put(b, wf, "tasks", tasks);
    bom_put(b, wf, "timeStart", json_string(bom_s(m, "started")));
    bom_put(b, wf, "timeEnd", json_string(bom_s(m, "finished")));
    bom_push(b, wfs, wf);
    bom_put(b, f, "bom-ref", bom_jfmt(b, "formula:%s", hex));
    bom_put(b, f, "workflows", wfs);
    bom_push(b, fs, f);
    return fs;
}

int
bom_cyclonedx(bom *b, json_t **out)
{
    char uuid[46];
    bom_uuid(b, "cyclonedx", uuid);
    json_t *doc = json_object(), *meta = json_object(), *tools = json_object();
    json_t *tc = json_array(), *tool = json_object(), *sup = json_object(), *urls = json_array();
    json_t *props = json_array(), *comps = json_array(), *cp = json_object_get(b->facts, "checkpoint");
    bom_put(b, doc, "$schema", json_string("http://cyclonedx.org/schema/bom-1.6.schema.json"));
    bom_put(b, doc, "bomFormat", json_string("CycloneDX"));
    bom_put(b, doc, "specVersion", json_string("1.6"));
    bom_put(b, doc, "serialNumber", json_string(uuid));
    bom_put(b, doc, "version", json_integer(1));
    bom_put(b, meta, "timestamp", json_string(b->when));
    bom_put(b, tool, "type", json_string("application"));
    bom_put(b, tool, "name", json_string("exante"));
    bom_put(b, tool, "version", json_string(bom_s(b->facts, "exante") ? bom_s(b->facts, "exante")
                                                                       : ""));
    bom_push(b, tc, tool);
    bom_put(b, tools, "components", tc);
    bom_put(b, meta, "tools", tools);
    bom_put(b, sup, "name", json_string(b->origin));
    bom_push(b, urls, json_string(b->base));
    bom_put(b, sup, "url", urls);
    bom_put(b, meta, "supplier", sup);
    prop(b, props, "checkpoint:origin", b->origin);
    propn(b, props, "checkpoint:size", bom_n(cp, "size"));
    prop(b, props, "checkpoint:root", bom_s(cp, "root"));
    bom_put(b, meta, "properties", props);
    bom_put(b, doc, "metadata", meta);
    json_t *f;
    size_t i;
    if (b->model)
        bom_push(b, comps, model(b, b->model, 1));
    json_array_foreach(b->snaps, i, f) {
        bom_push(b, comps, data(b, f));
    }
    bom_put(b, doc, "components", comps);
    if (b->model) {
        json_t *deps = json_array(), *dep = json_object(), *on = json_array();
        bom_put(b, dep, "ref", bom_jfmt(b, "model:%s", bom_s(b->model, "id") + 7));
        json_array_foreach(b->snaps, i, f) {
            bom_push(b, on, json_string(data_ref(b, f)));
        }
        bom_put(b, dep, "dependsOn", on);
        bom_push(b, deps, dep);
        bom_put(b, doc, "dependencies", deps);
        bom_put(b, doc, "formulation", formulation(b, b->model));
    }
    if (b->rc != EX_OK) {
        json_decref(doc);
        return b->rc;
    }
    *out = doc;
    return EX_OK;
}
