/* spdx.c - SPDX 3.0.1 JSON-LD (bom.h): a dataset_DatasetPackage per snapshot and, for a model,
 * its ai_AIPackage, its weights as software_File elements with their SHA-256, trainedOn the
 * datasets, and its parents as ai_AIPackages that are ancestorOf it (a parent from outside the
 * ledger, known by its digest alone: descendantOf an external element named by its ni: URI).
 * Every package meets its profile's conformance rules (docs/EXPORTS.md lists them): releaseTime,
 * builtTime, suppliedBy, downloadLocation, primaryPurpose and, for a dataset, originatedBy and
 * datasetType; exactly one hasConcludedLicense and one hasDeclaredLicense each. */
#include "bom.h"

#include <string.h>

#define CONTEXT "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
#define NOASSERTION_LICENSE "expandedlicensing_NoAssertionLicense"
#define CI "_:creationinfo"

typedef struct sp {
    bom *b;
    json_t *graph;
    const char *ns; /* the document's namespace: its elements are ns#... */
    const char *org;
    json_t *licenses; /* expression -> its element's id */
    json_t *agents;   /* source name -> its element's id */
    unsigned nrel;
} sp;

/* a new element of type t with id ns#local, in the graph; borrowed */
static json_t *
element(sp *s, const char *type, const char *local)
{
    json_t *e = json_object();
    bom_put(s->b, e, "type", json_string(type));
    bom_put(s->b, e, "spdxId", bom_jfmt(s->b, "%s#%s", s->ns, local));
    bom_put(s->b, e, "creationInfo", json_string(CI));
    bom_push(s->b, s->graph, json_incref(e));
    json_decref(e);
    return e;
}

static const char *
id_of(json_t *e)
{
    return bom_s(e, "spdxId") ? bom_s(e, "spdxId") : "";
}

static void
relate(sp *s, const char *from, const char *type, json_t *to, const char *completeness)
{
    json_t *r = element(s, "Relationship", bom_fmt(s->b, "relationship-%u", ++s->nrel));
    bom_put(s->b, r, "from", json_string(from));
    bom_put(s->b, r, "relationshipType", json_string(type));
    bom_put(s->b, r, "to", to);
    if (completeness)
        bom_put(s->b, r, "completeness", json_string(completeness));
}

static json_t *
one(const char *id)
{
    json_t *a = json_array();
    if (a && json_array_append_new(a, json_string(id)) != 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* the element of expression x (one per distinct expression), or NoAssertionLicense */
static const char *
license(sp *s, const char *x)
{
    if (strcmp(x, "NOASSERTION") == 0)
        return NOASSERTION_LICENSE;
    if (strcmp(x, "NONE") == 0)
        return "expandedlicensing_NoneLicense";
    const char *id = bom_s(s->licenses, x);
    if (id)
        return id;
    json_t *e = element(s, "simplelicensing_LicenseExpression",
                        bom_fmt(s->b, "license-%zu", json_object_size(s->licenses) + 1));
    bom_put(s->b, e, "simplelicensing_licenseExpression", json_string(x));
    id = bom_fmt(s->b, "%s", id_of(e));
    bom_put(s->b, s->licenses, x, json_string(id));
    return id;
}

/* the two license relationships every package of these profiles has */
static void
licensed(sp *s, const char *from, const char *declared, const char *concluded)
{
    relate(s, from, "hasDeclaredLicense", one(license(s, declared)), NULL);
    relate(s, from, "hasConcludedLicense", one(license(s, concluded)), NULL);
}

/* what every package here has: times, supplier, where, what for, version */
static void
package(sp *s, json_t *e, const char *name, const char *when, const char *where,
        const char *purpose, const char *version)
{
    bom *b = s->b;
    bom_put(b, e, "name", json_string(name));
    bom_put(b, e, "releaseTime", json_string(when));
    bom_put(b, e, "builtTime", json_string(when));
    bom_put(b, e, "suppliedBy", json_string(s->org));
    bom_put(b, e, "software_downloadLocation", json_string(where));
    bom_put(b, e, "software_primaryPurpose", json_string(purpose));
    bom_put(b, e, "software_packageVersion", json_string(version));
}

/* the digests of the policies the members were admitted under, comma-separated */
static const char *
policies(bom *b, json_t *f)
{
    const char *all = "";
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(f, "policies"), i, p) {
        all = bom_fmt(b, "%s%s%s", all, i ? ", " : "", json_string_value(p));
    }
    return *all ? all : "none";
}

static const char *
dataset(sp *s, json_t *f)
{
    bom *b = s->b;
    const char *name = bom_s(f, "name");
    json_t *d = element(s, "dataset_DatasetPackage", bom_fmt(b, "dataset-%s", bom_enc(b, name)));
    package(s, d, name, bom_s(f, "created"), bom_snap_iri(b, f), "data", bom_s(f, "root_hex"));
    bom_put(b, d, "dataset_datasetType", one("noAssertion"));
    bom_put(b, d, "dataset_datasetSize", json_integer((json_int_t)bom_n(f, "bytes")));
    bom_put(b, d, "summary", bom_jfmt(b, "exante snapshot '%s': %llu members, %llu items", name,
                                      (unsigned long long)bom_n(f, "size"),
                                      (unsigned long long)bom_n(f, "items")));
    bom_put(b, d, "description",
            bom_jfmt(b, "The items admitted to snapshot '%s' of the training-data ledger %s: "
                        "%llu distinct contents (members), the leaves of an RFC 9162 tree "
                        "with root %s (base64), logged at index %llu and made from the "
                        "decisions logged below log size %llu.", name, s->b->origin,
                     (unsigned long long)bom_n(f, "size"), bom_s(f, "root"),
                     (unsigned long long)bom_n(f, "log_index"),
                     (unsigned long long)bom_n(f, "log_size")));
    bom_put(b, d, "dataset_intendedUse", json_string("training of machine-learning models"));
    bom_put(b, d, "dataset_dataCollectionProcess",
            bom_jfmt(b, "Acquired through %zu sources; every item was decided (admit or reject, "
                        "with the rule that fired) under the adopted policy (%s) before "
                        "training, and the decisions are in the log.",
                     json_array_size(json_object_get(f, "sources")), policies(b, f)));
    json_t *pre = json_array();
    bom_push(b, pre, json_string("exact duplicates removed: one member per content digest "
                                 "(SHA-256 of the bytes as ingested)"));
    bom_push(b, pre, json_string("items reached by an opt-out logged below the snapshot's log "
                                 "size excluded"));
    bom_put(b, d, "dataset_dataPreprocessing", pre);
    /* the sources as the agents the data came through */
    json_t *orig = json_array(), *src;
    size_t i;
    json_array_foreach(json_object_get(f, "sources"), i, src) {
        const char *sn = bom_s(src, "name"), *aid = bom_s(s->agents, sn);
        if (!aid) { /* a source in several snapshots: one element */
            json_t *a = element(s, "Agent", bom_fmt(b, "source-%s", bom_enc(b, sn)));
            aid = bom_fmt(b, "%s", id_of(a));
            bom_put(b, s->agents, sn, json_string(aid));
            bom_put(b, a, "name", json_string(sn));
            bom_put(b, a, "description",
                    bom_jfmt(b, "source '%s' of the ledger: kind %s, license %s", sn,
                             bom_s(src, "kind") ? bom_s(src, "kind") : "unknown",
                             bom_s(src, "license") ? bom_s(src, "license") : "not given"));
        }
        bom_push(b, orig, json_string(aid));
    }
    if (json_array_size(orig) == 0)
        bom_push(b, orig, json_string(s->org));
    bom_put(b, d, "originatedBy", orig);
    const char *id = bom_fmt(b, "%s", id_of(d));
    licensed(s, id, bom_s(f, "license"), bom_s(f, "license"));
    return id;
}

/* a model of the ledger: the one described (full) or a parent */
static const char *
model(sp *s, json_t *m, const char *local)
{
    bom *b = s->b;
    json_t *e = element(s, "ai_AIPackage", local);
    package(s, e, bom_s(m, "name"), bom_s(m, "finished"), "NOASSERTION", "model",
            bom_s(m, "id"));
    bom_put(b, e, "ai_informationAboutTraining",
            bom_jfmt(b, "%s run attested at log index %llu of %s (DSSE envelope %s)",
                     bom_s(m, "kind"), (unsigned long long)bom_n(m, "log_index"), b->origin,
                     bom_s(m, "envelope")));
    const char *id = bom_fmt(b, "%s", id_of(e));
    licensed(s, id, "NOASSERTION", "NOASSERTION");
    return id;
}

/* ni:///sha-256;<base64url> (RFC 6920) of "sha256:<hex>" */
static const char *
ni(bom *b, const char *digest)
{
    uint8_t d[EX_HASH_BYTES];
    char b64[64];
    if (ex_digest_parse(digest, d) != EX_OK)
        return bom_fmt(b, "urn:exante:%s", digest);
    size_t n = ex_b64_encode(d, EX_HASH_BYTES, b64);
    while (n && b64[n - 1] == '=')
        b64[--n] = 0;
    for (char *p = b64; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return bom_fmt(b, "ni:///sha-256;%s", b64);
}

int
bom_spdx(bom *b, json_t **out)
{
    char hex[17];
    ex_hex_encode(b->digest, 8, hex);
    sp s = {.b = b, .graph = json_array(), .licenses = json_object(),
              .agents = json_object()};
    s.ns = bom_fmt(b, "%s/spdx/%s", b->subject, hex);
    json_t *doc = json_object(), *ci = json_object();
    bom_put(b, doc, "@context", json_string(CONTEXT));
    bom_put(b, doc, "@graph", json_incref(s.graph));
    bom_put(b, ci, "@id", json_string(CI));
    bom_put(b, ci, "type", json_string("CreationInfo"));
    bom_put(b, ci, "specVersion", json_string("3.0.1"));
    bom_put(b, ci, "created", json_string(b->when));
    bom_push(b, s.graph, ci);
    json_t *org = element(&s, "Organization", "ledger");
    bom_put(b, org, "name", json_string(b->origin));
    bom_put(b, org, "description", bom_jfmt(b, "the training-data ledger whose log origin is %s",
                                            b->origin));
    s.org = bom_fmt(b, "%s", id_of(org));
    json_t *tool = element(&s, "Tool", "exante");
    bom_put(b, tool, "name", bom_jfmt(b, "exante %s", bom_s(b->facts, "exante")
                                                          ? bom_s(b->facts, "exante") : ""));
    bom_put(b, ci, "createdBy", one(s.org));
    bom_put(b, ci, "createdUsing", one(id_of(tool)));
    json_t *sd = element(&s, "SpdxDocument", "document");
    json_t *cp = json_object_get(b->facts, "checkpoint");
    bom_put(b, sd, "name", bom_jfmt(b, "%s %s", b->model ? "model" : "snapshot",
                                    b->model ? bom_s(b->model, "name")
                                             : bom_s(json_array_get(b->snaps, 0), "name")));
    bom_put(b, sd, "comment", bom_jfmt(b, "made by exante from the ledger %s as of its log size "
                                          "%llu, root %s", b->origin,
                                       (unsigned long long)bom_n(cp, "size"), bom_s(cp, "root")));
    json_t *prof = json_array();
    static const char *const profiles[] = {"core", "software", "simpleLicensing", "dataset", "ai"};
    for (size_t i = 0; i < (b->model ? 5u : 4u); i++)
        bom_push(b, prof, json_string(profiles[i]));
    bom_put(b, sd, "profileConformance", prof);
    json_t *sets = json_array(), *f;
    size_t i;
    json_array_foreach(b->snaps, i, f) {
        bom_push(b, sets, json_string(dataset(&s, f)));
    }
    if (!b->model) {
        bom_put(b, sd, "rootElement", one(json_string_value(json_array_get(sets, 0))));
    } else {
        const char *mid = model(&s, b->model, "model");
        bom_put(b, sd, "rootElement", one(mid));
        json_t *files = json_array(), *sub;
        json_array_foreach(json_object_get(b->model, "subjects"), i, sub) {
            json_t *w = element(&s, "software_File", bom_fmt(b, "weights-%zu", i + 1));
            json_t *h = json_object(), *hs = json_array();
            bom_put(b, w, "name", json_string(bom_s(sub, "name")));
            bom_put(b, w, "software_primaryPurpose", json_string("model"));
            bom_put(b, h, "type", json_string("Hash"));
            bom_put(b, h, "algorithm", json_string("sha256"));
            bom_put(b, h, "hashValue", json_string(bom_s(sub, "sha256")));
            bom_push(b, hs, h);
            bom_put(b, w, "verifiedUsing", hs);
            bom_push(b, files, json_string(id_of(w)));
        }
        relate(&s, mid, "contains", files, "complete");
        relate(&s, mid, "trainedOn", json_incref(sets), "complete");
        json_t *p;
        json_array_foreach(json_object_get(b->model, "parents"), i, p) {
            const char *pid = model(&s, p, bom_fmt(b, "parent-%zu", i + 1));
            relate(&s, pid, "ancestorOf", one(mid), NULL);
        }
        json_t *imports = json_array(), *ext = json_array(), *x;
        json_array_foreach(json_object_get(b->model, "external_parents"), i, x) {
            json_t *map = json_object();
            const char *iri = ni(b, json_string_value(x));
            bom_put(b, map, "type", json_string("ExternalMap"));
            bom_put(b, map, "externalSpdxId", json_string(iri));
            bom_push(b, imports, map);
            bom_push(b, ext, json_string(iri));
        }
        if (json_array_size(ext)) {
            bom_put(b, sd, "import", json_incref(imports));
            relate(&s, mid, "descendantOf", json_incref(ext), NULL);
        }
        json_decref(imports);
        json_decref(ext);
    }
    json_decref(sets);
    json_decref(s.graph);
    json_decref(s.licenses);
    json_decref(s.agents);
    if (b->rc != EX_OK) {
        json_decref(doc);
        return b->rc;
    }
    *out = doc;
    return EX_OK;
}
