#!/usr/bin/env bash
# export spdx|cyclonedx|croissant end to end: a ledger of three sources (a crawl, a licensed
# collection, first-party notes) with single, compound and missing licenses and a rejected item;
# two snapshots; a base model and a fine-tune (a parent of the ledger and one from elsewhere).
# Each document, for each snapshot and each model, is checked by independent validators against
# the official schemas in ../shared/data/schemas: SPDX 3.0.1 and CycloneDX 1.6 with npm ajv 8 +
# ajv-formats (tests/node/validate.mjs: formats checked, not skipped), Croissant 1.1 by a checker
# of its own here (Debian python3-rdflib parses it as JSON-LD; required properties, every cr: and
# rai: term defined in croissant.ttl / croissant_rai.ttl, date and URI forms). Negative controls:
# the upstream invalid-timestamp CycloneDX example, and a broken copy of each export, must fail.
# Then the numbers: recomputed from `snapshot export`, `snapshot show`, `models`, `decisions`,
# the inputs and the weights (sha256sum), and the AI / Dataset profile rules the SPDX schema does
# not check. Last, the errors: unknown snapshot or model, usage, I/O; nothing written then.
. "$(dirname "$0")/lib.sh"

SCHEMAS="$SHARED/data/schemas"
NODEDIR="$SRC/tests/node"
PY=/usr/bin/python3 # Debian's, with python3-rdflib (scripts/install-deps.sh)
command -v node >/dev/null || { echo "node not found: run scripts/install-deps.sh" >&2; exit 1; }
for m in ajv ajv-formats; do
    [ -f "$NODEDIR/node_modules/$m/package.json" ] ||
        { echo "$NODEDIR/node_modules/$m missing: run scripts/install-deps.sh" >&2; exit 1; }
done
$PY -c 'import rdflib' 2>/dev/null || { echo "python3-rdflib missing: run scripts/install-deps.sh" >&2; exit 1; }
(cd "$SCHEMAS" && sha256sum --quiet -c SHA256SUMS) && ok || bad "the schemas in $SCHEMAS drifted"

# ---- the ledger ----
$EXANTE -q init --origin test.example/bom-ledger >/dev/null
$EXANTE -q source add web --kind crawl >/dev/null
$EXANTE -q source add books --kind licensed --license CC-BY-4.0 --ml-use allowed >/dev/null
$EXANTE -q source add own --kind first-party >/dev/null
printf 'admit license MIT Apache-2.0 GPL-2.0-only Classpath-exception-2.0 CC-BY-4.0\nadmit source name=own\nreject * "no lawful basis recorded"\n' >policy.txt
expect 0 $EXANTE -q policy adopt policy.txt
cat >web.jsonl <<'EOF'
{"text":"alpha text","url":"https://a.example/1","license":"MIT","fetched":"2025-03-01T10:00:00Z"}
{"text":"bravo text","url":"https://b.example/2","license":"MIT OR Apache-2.0","fetched":"2025-04-02T11:00:00Z"}
{"text":"charlie","url":"https://c.example/3","license":"GPL-3.0-only","fetched":"2025-05-02T11:00:00Z"}
{"text":"delta","url":"https://d.example/4","license":"apache-2.0","fetched":"2025-02-02T09:30:00+01:00"}
EOF
cat >books.jsonl <<'EOF'
{"text":"book one","id":"b1","license":"CC-BY-4.0"}
{"text":"book two","id":"b2","license":"GPL-2.0-only WITH Classpath-exception-2.0"}
EOF
cat >own.jsonl <<'EOF'
{"text":"own note 1"}
{"text":"own note 2","license":"MIT"}
EOF
expect 0 $EXANTE -q ingest --source web web.jsonl
expect 0 $EXANTE -q ingest --source books books.jsonl
expect 0 $EXANTE -q snapshot create s1
expect 0 $EXANTE -q ingest --source own own.jsonl
expect 0 $EXANTE -q snapshot create s2
mkdir base ft
head -c 70000 /dev/urandom >base/model.safetensors
printf '{"hidden_size":8}' >base/config.json
head -c 30000 /dev/urandom >ft/model.safetensors
printf 'lr: 0.001\n' >train.yaml
EXT="sha256:$(printf 'a model from elsewhere' | sha256sum | cut -c1-64)"
expect 0 $EXANTE -q attest run --snapshot s1 --weights base --name base --code 0123abcd \
    --config train.yaml --started 2026-06-01T10:00:00Z --finished 2026-06-02T10:00:00Z
expect 0 $EXANTE -q attest run --snapshot s1 --snapshot s2 --weights ft/model.safetensors \
    --name ft --kind fine-tune --parent base --parent-external "$EXT" \
    --started 2026-06-03T10:00:00Z --finished 2026-06-04T10:00:00Z

# ---- the documents ----
mkdir exp
for f in spdx cyclonedx croissant; do
    for s in s1 s2; do expect 0 $EXANTE export $f --snapshot $s --out exp/$s.$f.json; done
    for m in base ft; do expect 0 $EXANTE export $f --model $m --out exp/$m.$f.json; done
    # stdout and --out agree, and a second run gives the same bytes (nothing in between)
    expect 0 $EXANTE export $f --model ft
    cmp -s "$T/out" exp/ft.$f.json && ok || bad "export $f: stdout differs from --out"
    expect 0 $EXANTE export $f --snapshot s2
    cmp -s "$T/out" exp/s2.$f.json && ok || bad "export $f: a second run differs"
done
$EXANTE --json export spdx --snapshot s1 >/dev/null 2>&1 && ok || bad "export under --json fails"

# ---- broken copies: each must fail its validator ----
mkdir broken
$PY - exp broken <<'EOF'
import copy, json, os, sys
src, dst = sys.argv[1], sys.argv[2]
def load(n): return json.load(open(os.path.join(src, n)))
def save(n, j): json.dump(j, open(os.path.join(dst, n), "w"))
def elem(g, t): return next(e for e in g["@graph"] if e.get("type") == t)
for base in ("s2", "ft"):
    d = load(base + ".spdx.json"); j = copy.deepcopy(d)
    elem(j, "CreationInfo")["created"] = "2026-06-04"; save(base + ".spdx-date-only.json", j)
    j = copy.deepcopy(d); elem(j, "dataset_DatasetPackage")["dataset_bogus"] = "x"; save(base + ".spdx-unknown-property.json", j)
    j = copy.deepcopy(d); j["@context"] = "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"; save(base + ".spdx-context.json", j)
    j = copy.deepcopy(d); elem(j, "dataset_DatasetPackage")["dataset_datasetType"] = ["prose"]; save(base + ".spdx-dataset-type.json", j)
    d = load(base + ".cyclonedx.json"); j = copy.deepcopy(d)
    # (the schema's specVersion is any string: a wrong bomFormat stands in for it, and the
    # numbers below check "1.6")
    j["bomFormat"] = "SPDX"; save(base + ".cdx-bom-format.json", j)
    j = copy.deepcopy(d); j["metadata"]["timestamp"] = "2026-06-04"; save(base + ".cdx-date-only.json", j)
    j = copy.deepcopy(d); j["components"][0]["bogus"] = 1; save(base + ".cdx-unknown-property.json", j)
    j = copy.deepcopy(d); j["serialNumber"] = "urn:uuid:not-a-uuid"; save(base + ".cdx-serial.json", j)
    d = load(base + ".croissant.json")
    for k in ("license", "conformsTo", "datePublished", "creator", "url", "name", "description"):
        j = copy.deepcopy(d); del j[k]; save(base + ".croissant-no-%s.json" % k, j)
    j = copy.deepcopy(d); j["datePublished"] = "4 June 2026"; save(base + ".croissant-bad-date.json", j)
    j = copy.deepcopy(d); j["url"] = "not a url"; save(base + ".croissant-bad-url.json", j)
    j = copy.deepcopy(d); j["conformsTo"] = "http://mlcommons.org/croissant/0.9"; save(base + ".croissant-conforms.json", j)
    j = copy.deepcopy(d); j["cr:bogusTerm"] = "x"; save(base + ".croissant-cr-term.json", j)
    j = copy.deepcopy(d); j["rai:dataCollectionBogus"] = "x"; save(base + ".croissant-rai-term.json", j)
    j = copy.deepcopy(d); j["@type"] = "sc:CreativeWork"; save(base + ".croissant-type.json", j)
    j = copy.deepcopy(d); j["rai:dataCollectionTimeframe"] = ["2025-02-02", "yesterday"]; save(base + ".croissant-timeframe.json", j)
EOF

# ---- SPDX and CycloneDX: ajv 8 + ajv-formats, official schemas ----
validate() { # KIND WANT(ok|bad) FILE...
    local kind=$1 want=$2
    shift 2
    node "$NODEDIR/validate.mjs" "$kind" "$SCHEMAS" "$@" >"$T/v.out" 2>"$T/v.err" ||
        { bad "validate.mjs $kind failed: $(head -c 400 "$T/v.err")"; return; }
    local f line
    for f in "$@"; do
        line=$(grep -F " $f" "$T/v.out" | head -n 1)
        case "$line" in
        "$want $f"*) ok ;;
        *) bad "$kind $f: want $want, got: ${line:-nothing}" ;;
        esac
    done
}
validate spdx ok exp/*.spdx.json
validate cyclonedx ok exp/*.cyclonedx.json
validate spdx bad broken/*.spdx-*.json
validate cyclonedx bad broken/*.cdx-*.json "$SCHEMAS/cyclonedx-1.6/examples/invalid-metadata-timestamp-1.6.json"
# the controls the other way: the upstream valid examples pass the same validator
validate cyclonedx ok "$SCHEMAS/cyclonedx-1.6/examples/valid-machine-learning-1.6.json"
validate spdx ok "$SCHEMAS/spdx-3.0.1/examples/ai-example02.spdx3.json"

# ---- Croissant: an independent checker (rdflib JSON-LD, the vocabularies, forms) ----
cat >croissant_check.py <<'EOF'
import json, re, sys
from datetime import datetime
from urllib.parse import urlsplit
import rdflib
from rdflib import RDF, URIRef

CR, RAI = "http://mlcommons.org/croissant/", "http://mlcommons.org/croissant/RAI/"
SC = "https://schema.org/"
schemas = sys.argv[1]
vocab = rdflib.Graph()
vocab.parse(schemas + "/croissant/croissant.ttl", format="turtle")
vocab.parse(schemas + "/croissant/croissant_rai.ttl", format="turtle")
defined = {str(s) for s in vocab.subjects()} | {CR + "isArray"}  # README: croissant.ttl lacks it

def rfc3339(s):
    return isinstance(s, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", s) \
        and datetime.fromisoformat(s.replace("Z", "+00:00")) is not None

def absolute_uri(s):
    if not isinstance(s, str) or re.search(r"\s", s): return False
    u = urlsplit(s)
    return u.scheme in ("http", "https") and bool(u.netloc)

def check(path):
    j = json.load(open(path))
    errs = []
    ctx = j.get("@context")
    if not isinstance(ctx, dict): errs.append("@context is not inline")
    else:
        for p, iri in (("cr", CR), ("rai", RAI), ("sc", SC), ("dct", "http://purl.org/dc/terms/")):
            if ctx.get(p) != iri: errs.append("@context: %s is not %s" % (p, iri))
    for k in ("@type", "conformsTo", "name", "description", "license", "url", "creator", "datePublished"):
        if k not in j: errs.append("missing " + k)
    if j.get("@type") != "sc:Dataset": errs.append("@type is not sc:Dataset")
    if j.get("conformsTo") != "http://mlcommons.org/croissant/1.1": errs.append("conformsTo")
    for k in ("name", "description", "license"):
        if k in j and not (isinstance(j[k], str) and j[k]): errs.append(k + " is empty")
    if "url" in j and not absolute_uri(j["url"]): errs.append("url is not an absolute URI")
    for k in ("datePublished", "dateCreated"):
        if k in j and not rfc3339(j[k]): errs.append(k + " is not RFC 3339")
    tf = j.get("rai:dataCollectionTimeframe", [])
    if not all(rfc3339(t) for t in tf): errs.append("rai:dataCollectionTimeframe is not RFC 3339")
    c = j.get("creator")
    if c is not None and not (isinstance(c, dict) and c.get("name") and absolute_uri(c.get("url"))):
        errs.append("creator needs a name and an absolute url")
    for fo in j.get("distribution", []):
        if fo.get("@type") == "cr:FileObject":
            if not (fo.get("contentUrl") and re.fullmatch(r"[0-9a-f]{64}", fo.get("sha256", ""))):
                errs.append("FileObject %s: contentUrl and sha256" % fo.get("@id"))
    # JSON-LD, offline (the context is inline): every term of the cr: and rai: namespaces used,
    # as a predicate or a type, is defined in the vocabularies
    g = rdflib.Graph()
    try:
        g.parse(data=json.dumps(j), format="json-ld", base="file:///doc/")
    except Exception as e:
        return ["not JSON-LD: %s" % e]
    ds = [s for s in g.subjects(RDF.type, URIRef(SC + "Dataset"))]
    if len(ds) != 1: errs.append("%d sc:Dataset nodes" % len(ds))
    used = {str(p) for p in g.predicates()} | {str(o) for o in g.objects(None, RDF.type)}
    for t in sorted(used):
        if t.startswith(CR) and t not in defined: errs.append("undefined term " + t)
    if len(g) < 20: errs.append("only %d triples" % len(g))
    return errs

want, files = sys.argv[2], sys.argv[3:]
status = 0
for f in files:
    e = check(f)
    if (want == "ok") != (not e):
        status = 1
        print("FAIL %s: want %s, got %s" % (f, want, "; ".join(e) or "valid"))
sys.exit(status)
EOF
$PY croissant_check.py "$SCHEMAS" ok exp/*.croissant.json && ok || bad "croissant exports"
# each broken copy alone must fail
for f in broken/*.croissant-*.json; do
    $PY croissant_check.py "$SCHEMAS" bad "$f" && ok || bad "croissant checker accepted $f"
done

# ---- the numbers, recomputed from the ledger's own listings, the inputs and the weights ----
for s in s1 s2; do
    $EXANTE snapshot export $s >ledger.$s.members
    $EXANTE --json snapshot show $s >ledger.$s.show
done
$EXANTE --json models >ledger.models
$EXANTE --json decisions >ledger.decisions
sha256sum base/model.safetensors base/config.json ft/model.safetensors >weights.sha256
$PY - "$SCHEMAS" <<'EOF' >numbers.out 2>&1
import hashlib, json, re, sys
fail = []
def need(c, what):
    if not c: fail.append(what)
inputs = {}
for src, path in (("web", "web.jsonl"), ("books", "books.jsonl"), ("own", "own.jsonl")):
    for line in open(path):
        r = json.loads(line)
        d = "sha256:" + hashlib.sha256(r["text"].encode()).hexdigest()
        inputs[d] = dict(source=src, license=r.get("license"), bytes=len(r["text"].encode()), fetched=r.get("fetched"))
# the license list's spelling of the ids the inputs use, and how `license parse` writes them
norm = {"MIT": "MIT", "MIT OR Apache-2.0": "MIT OR Apache-2.0", "apache-2.0": "Apache-2.0",
        "CC-BY-4.0": "CC-BY-4.0", "GPL-3.0-only": "GPL-3.0-only",
        "GPL-2.0-only WITH Classpath-exception-2.0": "GPL-2.0-only WITH Classpath-exception-2.0", None: "NOASSERTION"}
decisions = [json.loads(l) for l in open("ledger.decisions")]
admitted = {d["digest"] for d in decisions if d["verdict"] == "admit"}
weights = {}
for l in open("weights.sha256"):
    h, p = l.split()
    weights[p] = h
models = {m["name"]: m for m in map(json.loads, open("ledger.models"))}
from datetime import datetime, timezone
def utc(t): return datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def expect(snap):
    members = open("ledger.%s.members" % snap).read()
    show = json.load(open("ledger.%s.show" % snap))
    digs = members.split()
    need(set(digs) <= admitted, snap + ": a member is not admitted")
    mix = {}
    for d in digs:
        l = norm[inputs[d]["license"]]
        mix.setdefault(l, [0, 0]); mix[l][0] += 1; mix[l][1] += inputs[d]["bytes"]
    known = sorted(k for k in mix if k != "NOASSERTION")
    whole = "NOASSERTION" if "NOASSERTION" in mix or not known else " AND ".join(
        "(%s)" % k if " OR " in k and len(known) > 1 else k for k in known)
    times = sorted(utc(inputs[d]["fetched"]) for d in digs if inputs[d]["fetched"])
    srcs = {}
    for d in digs: srcs.setdefault(inputs[d]["source"], 0); srcs[inputs[d]["source"]] += 1
    return dict(name=snap, members=len(digs), bytes=sum(inputs[d]["bytes"] for d in digs), mix=mix, license=whole,
                members_sha256=hashlib.sha256(members.encode()).hexdigest(), root=show["root"], created=show["created"],
                first=times[0] if times else None, last=times[-1] if times else None, sources=srcs, log_index=show["log_index"])
E = {s: expect(s) for s in ("s1", "s2")}
need(E["s2"]["license"] == "NOASSERTION" and E["s1"]["license"] != "NOASSERTION", "the test ledger lost its license cases")
need(" AND " in E["s1"]["license"] and "(MIT OR Apache-2.0)" in E["s1"]["license"], "s1 license: " + E["s1"]["license"])

def graph_checks(doc, name):
    g = doc["@graph"]
    ids = [e["spdxId"] for e in g if "spdxId" in e]
    need(len(ids) == len(set(ids)), name + ": spdxIds repeat")
    byid = {e["spdxId"]: e for e in g if "spdxId" in e}
    rels = [e for e in g if e.get("type") == "Relationship"]
    imported = {m["externalSpdxId"] for e in g if e.get("type") == "SpdxDocument" for m in e.get("import", [])}
    indiv = {"expandedlicensing_NoAssertionLicense", "expandedlicensing_NoneLicense"}
    for r in rels:
        for x in [r["from"]] + r["to"]:
            need(x in byid or x in indiv or x in imported, "%s: relationship names %s, not in the document" % (name, x))
    # AI and Dataset profile conformance (SPDX 3.0.1 spec text; the schema checks none of it)
    for e in g:
        t = e.get("type")
        if t not in ("ai_AIPackage", "dataset_DatasetPackage"): continue
        req = ["releaseTime", "suppliedBy", "software_downloadLocation", "software_primaryPurpose", "name"]
        if t == "ai_AIPackage": req += ["software_packageVersion"]
        else: req += ["builtTime", "originatedBy", "dataset_datasetType"]
        for k in req: need(e.get(k), "%s: %s %s lacks %s" % (name, t, e.get("name"), k))
        need(e.get("software_primaryPurpose") == ("model" if t == "ai_AIPackage" else "data"), name + ": primaryPurpose")
        need(e.get("suppliedBy") in byid and byid[e["suppliedBy"]]["type"] in ("Organization", "Agent", "Person"), name + ": suppliedBy")
        for o in e.get("originatedBy", []): need(o in byid, name + ": originatedBy " + o)
        for rt in ("hasConcludedLicense", "hasDeclaredLicense"):
            rs = [r for r in rels if r["from"] == e["spdxId"] and r["relationshipType"] == rt]
            need(len(rs) == 1 and len(rs[0]["to"]) == 1, "%s: %s %s has %d %s" % (name, t, e.get("name"), len(rs), rt))
            for r in rs:
                to = r["to"][0]
                need(to in indiv or byid.get(to, {}).get("type") == "simplelicensing_LicenseExpression", name + ": license target " + to)
    return byid, rels

def lic_of(byid, rels, pid, rt="hasConcludedLicense"):
    to = next(r["to"][0] for r in rels if r["from"] == pid and r["relationshipType"] == rt)
    return "NOASSERTION" if to == "expandedlicensing_NoAssertionLicense" else byid[to]["simplelicensing_licenseExpression"]

def props(c): return {p["name"]: p["value"] for p in c.get("properties", [])}

def check_snapshot_docs(e, prefix, spdx, cdx, cro, name):
    byid, rels = graph_checks(spdx, name)
    ds = [x for x in spdx["@graph"] if x.get("type") == "dataset_DatasetPackage" and x["name"] == e["name"]]
    need(len(ds) == 1, name + ": dataset element")
    d = ds[0]
    need(d["dataset_datasetSize"] == e["bytes"], "%s: datasetSize %s != %s" % (name, d["dataset_datasetSize"], e["bytes"]))
    need(d["releaseTime"] == e["created"] and d["builtTime"] == e["created"], name + ": times")
    for rt in ("hasConcludedLicense", "hasDeclaredLicense"):
        need(lic_of(byid, rels, d["spdxId"], rt) == e["license"], "%s: %s %s != %s" % (name, rt, lic_of(byid, rels, d["spdxId"], rt), e["license"]))
    agents = sorted(byid[o]["name"] for o in d["originatedBy"])
    need(agents == sorted(e["sources"]), name + ": originatedBy %s != %s" % (agents, sorted(e["sources"])))
    c = next(x for x in cdx["components"] if x["type"] == "data" and x["name"] == e["name"])
    p = props(c)
    need(p["exante:members"] == str(e["members"]) and p["exante:items"] == str(e["members"]) and p["exante:bytes"] == str(e["bytes"]), name + ": cdx counts %s" % p)
    need(c["data"][0]["type"] == "dataset", name + ": cdx data type")
    for lic, (n, b) in e["mix"].items():
        need(p.get("exante:license:" + lic) == "%d items, %d bytes" % (n, b), "%s: cdx mix %s" % (name, lic))
    need(len([k for k in p if k.startswith("exante:license:")]) == len(e["mix"]), name + ": cdx mix size")
    for s, n in e["sources"].items(): need((", %d items," % n) in p.get("exante:source:" + s, ""), name + ": cdx source " + s)
    if e["license"] == "NOASSERTION": need("licenses" not in c, name + ": cdx licenses for NOASSERTION")
    elif " " in e["license"]: need(c["licenses"] == [{"expression": e["license"]}], name + ": cdx expression")
    else: need(c["licenses"] == [{"license": {"id": e["license"]}}], name + ": cdx id")
    need(p.get("exante:fetched_first") == e["first"] and p.get("exante:fetched_last") == e["last"], name + ": cdx fetch times")
    fo = {f["@id"]: f for f in cro["distribution"]}
    need(fo[e["name"] + ".members.txt"]["sha256"] == e["members_sha256"], name + ": croissant members sha256")
    need(c["data"][0]["contents"]["properties"][0]["value"] == e["members_sha256"], name + ": cdx members sha256")

for s in ("s1", "s2"):
    e = E[s]
    spdx, cdx, cro = (json.load(open("exp/%s.%s.json" % (s, f))) for f in ("spdx", "cyclonedx", "croissant"))
    check_snapshot_docs(e, s, spdx, cdx, cro, s)
    need(cro["license"] == e["license"] and cro["name"] == s, s + ": croissant license/name")
    need(cro.get("rai:dataCollectionTimeframe") == [e["first"], e["last"]], s + ": croissant timeframe")
    need(sorted(x["name"] for x in cro["prov:wasDerivedFrom"]) == sorted(e["sources"]), s + ": croissant provenance")
    need(cdx["metadata"]["timestamp"] == e["created"], s + ": cdx timestamp")
    need(cdx["specVersion"] == "1.6" and cdx["bomFormat"] == "CycloneDX", s + ": cdx version")
    need(re.fullmatch(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", cdx["serialNumber"]), s + ": serial")

# the models
for mname, snaps, files in (("base", ["s1"], {"model.safetensors": "base/model.safetensors", "config.json": "base/config.json"}),
                            ("ft", ["s1", "s2"], {"model.safetensors": "ft/model.safetensors"})):
    m = models[mname]
    spdx, cdx, cro = (json.load(open("exp/%s.%s.json" % (mname, f))) for f in ("spdx", "cyclonedx", "croissant"))
    byid, rels = graph_checks(spdx, mname)
    for s in snaps: check_snapshot_docs(E[s], s, spdx, cdx, cro, mname + "/" + s)
    ai = [x for x in spdx["@graph"] if x.get("type") == "ai_AIPackage" and x["spdxId"].endswith("#model")][0]
    need(ai["software_packageVersion"] == m["model"] and ai["name"] == mname, mname + ": AIPackage id")
    tr = [r for r in rels if r["from"] == ai["spdxId"] and r["relationshipType"] == "trainedOn"]
    need(len(tr) == 1 and sorted(byid[t]["name"] for t in tr[0]["to"]) == sorted(snaps), mname + ": trainedOn")
    cont = [r for r in rels if r["from"] == ai["spdxId"] and r["relationshipType"] == "contains"][0]
    got = {byid[t]["name"]: byid[t]["verifiedUsing"][0]["hashValue"] for t in cont["to"]}
    need(got == {n: weights[p] for n, p in files.items()}, mname + ": weights %s" % got)
    mc = next(c for c in cdx["components"] if c["type"] == "machine-learning-model")
    need(mc["version"] == m["model"] and {c["name"]: c["hashes"][0]["content"] for c in mc["components"]} == {n: weights[p] for n, p in files.items()}, mname + ": cdx weights")
    need(sorted(x["ref"] for x in mc["modelCard"]["modelParameters"]["datasets"]) == sorted("snapshot:" + s for s in snaps), mname + ": cdx model card")
    task = cdx["formulation"][0]["workflows"][0]["tasks"][0]
    need(sorted(i["resource"]["ref"] for i in task["inputs"]) == sorted("snapshot:" + s for s in snaps), mname + ": formulation inputs")
    need(task["outputs"][0]["resource"]["ref"] == mc["bom-ref"], mname + ": formulation output")
    parents = [r for r in rels if r["relationshipType"] == "ancestorOf" and r["to"] == [ai["spdxId"]]]
    anc = mc.get("pedigree", {}).get("ancestors", [])
    if mname == "ft":
        need(len(parents) == 1 and byid[parents[0]["from"]]["software_packageVersion"] == models["base"]["model"], "ft: ancestorOf")
        need([a["version"] for a in anc] == [models["base"]["model"], m["external_parents"][0]], "ft: cdx pedigree %s" % anc)
        need(any(r["relationshipType"] == "descendantOf" and r["from"] == ai["spdxId"] for r in rels), "ft: descendantOf the external parent")
        need(task["timeStart"] == "2026-06-03T10:00:00Z" and task["timeEnd"] == "2026-06-04T10:00:00Z", "ft: run times")
        need(cro["license"] == "NOASSERTION", "ft: croissant license")
    else:
        need(not parents and not anc, "base: no parents")
        need(cro["license"] == E["s1"]["license"], "base: croissant license")
    need(cdx["metadata"]["timestamp"] == ai["releaseTime"] == task["timeEnd"], mname + ": times")
print("\n".join(fail) if fail else "numbers: ok")
sys.exit(1 if fail else 0)
EOF
[ $? -eq 0 ] && ok || bad "numbers: $(cat numbers.out)"

# ---- errors: a clear message and exit code, nothing written ----
expect 2 $EXANTE export spdx --snapshot nosuch --out none.json
contains "$T/err" "no snapshot named 'nosuch'"
[ ! -e none.json ] && ok || bad "export of an unknown snapshot wrote its --out"
expect 2 $EXANTE export cyclonedx --model nosuch --out none.json
contains "$T/err" "no model 'nosuch'"
[ ! -e none.json ] && ok || bad "export of an unknown model wrote its --out"
expect 2 $EXANTE export croissant
contains "$T/err" "--snapshot NAME or --model MODEL"
expect 2 $EXANTE export croissant --snapshot s1 --model base
expect 2 $EXANTE export croissant --snapshot s1 extra
expect 2 $EXANTE export spdx --snapshot s1 --bogus
expect 2 $EXANTE export sbom --snapshot s1
expect 0 $EXANTE export spdx --help
contains "$T/out" "usage: exante export spdx|cyclonedx|croissant"
expect 3 $EXANTE export spdx --snapshot s1 --out "$T/no/such/dir/x.json"
ls "$T/no" >/dev/null 2>&1 && bad "a directory appeared" || ok
finish
