#!/usr/bin/env bash
# exante export eu-summary: a ledger with a source of every kind (crawl, licensed with and
# without an agreement, two public datasets, first-party, synthetic, other), a policy with
# opt-out, TDMRep and robots.txt rules, robots.txt and tdmrep.json captures, crawled pages on
# many hosts, an opt-out and reevaluate, two snapshots, a base model and a fine-tune of it.
# Every number of the summary is recomputed here independently (python3 over the item and
# decision records read with the exante_sqlite module, `snapshot export`, the checkpoint and
# the Public Suffix List file; the words of each text in Python, from the inputs): sizes, words
# (HTML, PDF, a text over 8 MiB) and the size range, sections used, large public datasets,
# acquisition dates, the registrable domains, their ranking and cut (10%, and --sme), the
# reservation counts. Then --diff, the Markdown's section numbers and titles in order, the HTML
# escaped and script-free, the provider file's errors and the exits of bad inputs (nothing
# written with --out).
. "$(dirname "$0")/lib.sh"

DB="$EXANTE_DIR/ledger.db"
export SOURCE_DATE_EPOCH=1790000000 # 21/09/26
# json FILE PYTHON-EXPRESSION : the expression over j (FILE's JSON) is true
json() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
    [ $? -eq 0 ] && ok || bad "$1: not ($2): $(head -c 600 "$1")"
}

$EXANTE -q init --origin test.example/eu >/dev/null || bad init
printf 'Licensed for training.\n' > agreement.txt
expect 0 $EXANTE -q source add web --kind crawl
expect 0 $EXANTE -q source add books --kind licensed --agreement agreement.txt --license CC-BY-4.0
expect 0 $EXANTE -q source add papers --kind licensed --license MIT
expect 0 $EXANTE -q source add wiki --kind public-dataset --license CC-BY-4.0
expect 0 $EXANTE -q source add tiny --kind public-dataset --license CC-BY-4.0
expect 0 $EXANTE -q source add chats --kind first-party
expect 0 $EXANTE -q source add gen --kind synthetic
expect 0 $EXANTE -q source add misc --kind other --license MIT
cat > policy.txt <<'EOF'
name   eu-test
agents GPTBot CCBot
reject optout            id=optout
reject tdm-reserved      id=tdm
reject robots-disallowed id=robots
reject noai              id=noai
admit  source agreement  id=agreement
admit  source kind=public-dataset id=public
admit  source kind=first-party id=first
admit  source kind=synthetic id=synth
admit  license MIT CC-BY-4.0 id=licensed
reject * "no lawful basis recorded" id=rest
EOF
expect 0 $EXANTE -q policy adopt policy.txt
printf 'User-agent: GPTBot\nDisallow: /private/\n' > robots.txt
expect 0 $EXANTE -q signals add --host a.example.org --fetched 2025-01-01T00:00:00Z --kind robots robots.txt
printf '[{"location":"/","tdm-reservation":1}]' > tdmrep.json
expect 0 $EXANTE -q signals add --host tdm.example.net --fetched 2025-01-01T00:00:00Z --kind tdmrep tdmrep.json

# the crawl: 40 hosts under 26 registrable domains (by the Public Suffix List), sizes that tie and differ
python3 - <<'EOF'
import json
hosts = ["www.news.example.co.uk", "blog.news.example.co.uk", "a.example.org", "tdm.example.net",
         "optout.example.com", "x.optout.example.com", "shop.example.com", "cdn.shop.example.com"]
hosts += ["www.pub%02d.com.au" % i for i in range(12)]
hosts += ["w%02d.host%02d.example" % (i, i % 10) for i in range(20)]
with open("crawl.jsonl", "w") as f:
    for i in range(120):
        h = hosts[i % len(hosts)]
        path = "/private/%d" % i if h == "a.example.org" and (i // len(hosts)) % 2 else "/p/%d" % i
        text = ("page %d of %s " % (i, h)) + "word " * ((i * 37) % 50)
        month = 1 + (i * 5) % 11
        f.write(json.dumps({"text": text, "url": "https://%s%s" % (h, path), "license": "MIT",
                            "fetched": "2025-%02d-%02dT10:00:00Z" % (month, 1 + i % 27)}) + "\n")
    f.write(json.dumps({"text": "a page without a URL", "license": "MIT"}) + "\n")
def corpus(name, n, size, extra=None):
    with open(name, "w") as f:
        for i in range(n):
            rec = {"text": "%s record %d " % (name, i) + "x" * size, "license": "MIT"}
            rec.update(extra or {})
            f.write(json.dumps(rec) + "\n")
corpus("books.jsonl", 5, 400, {"fetched": "2024-06-01T00:00:00Z"})
corpus("papers.jsonl", 3, 100)
corpus("wiki.jsonl", 10, 900, {"fetched": "2025-12-31T23:00:00Z"})
with open("wiki.jsonl", "a") as f: # over 8 MiB: its words are counted in its first 8 MiB
    f.write(json.dumps({"text": "long " * ((8 << 20) // 5 + 2000), "license": "MIT"}) + "\n")
corpus("tiny.jsonl", 1, 10)
corpus("chats.jsonl", 2, 50)
corpus("gen.jsonl", 2, 60)
corpus("misc.jsonl", 2, 70)
EOF
# words: texts with punctuation, other white space and compatibility forms; and a WARC for
# the misc source: HTML (tags, script, style, comments and entities are not words), plain
# text, a PDF and an HTML page without words (no word count: their bytes are estimated), a PNG
python3 - <<'EOF'
import json
texts = ["Hi -- there!\tnew\u00a0line\u3000\uff26\uff55\uff4c\uff4c don't  stop\n\n...",
         "caf\u00e9 na\u00efve \u2014 a\u2014b 12,5 \u00bd \u00a9 e=mc\u00b2"]
with open("chats.jsonl", "a") as f:
    for t in texts:
        f.write(json.dumps({"text": t, "license": "MIT"}) + "\n")
def rec(i, ctype, body):
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype.encode() +
            b"\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    head = ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-%012d>\r\n"
            "WARC-Date: 2025-03-0%dT00:00:00Z\r\nWARC-Target-URI: https://misc.example.org/%d\r\n"
            "Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n"
            % (i, 1 + i, i, len(http)))
    return head.encode() + http + b"\r\n\r\n"
bodies = [
    ("text/html; charset=utf-8", b"<!doctype html><html><head><title>A  title</title><style>p { x: y }</style>"
     b"<script>var a = 'b c d';</script></head><body><p>Hello,<b>big</b> world&amp;co &nbsp; end</p>"
     b"<!-- not words here --><noscript>no script</noscript><template>t u</template>last</body></html>"),
    ("text/plain", b"plain text, with: punctuation; only -- five words?"),
    ("application/pdf", b"%PDF-1.4 words inside a PDF are not read"),
    ("text/html", b"<p>-- !! --</p>"),
    ("image/png", b"\x89PNG\r\n\x1a\n not really an image"),
]
with open("misc.warc", "wb") as f:
    for i, (ct, b) in enumerate(bodies):
        f.write(rec(i, ct, b))
json.dump([[ct, b.decode("latin-1")] for ct, b in bodies], open("misc-bodies.json", "w"))
EOF
for s in books papers wiki tiny chats gen misc; do
    expect 0 $EXANTE -q ingest --source $s $s.jsonl
done
expect 0 $EXANTE -q ingest --source misc misc.warc
expect 0 $EXANTE -q ingest --source web crawl.jsonl
expect 0 $EXANTE -q optout add --domain optout.example.com --holder 'Opt & Out <Ltd>'
expect 0 $EXANTE -q reevaluate
expect 0 $EXANTE -q snapshot create s1
sql "$DB" "SELECT max(id) FROM exante_decisions" > cut1
mkdir -p w/base w/ft && printf 'base' > w/base/m.bin && printf 'ft' > w/ft/m.bin
expect 0 $EXANTE -q attest run --snapshot s1 --weights w/base --name base --out /dev/null
# more crawl for the fine-tune's snapshot
python3 - <<'EOF'
import json
with open("crawl2.jsonl", "w") as f:
    for i in range(30):
        f.write(json.dumps({"text": "later page %d " % i + "y" * (i * 13), "license": "MIT",
                            "url": "https://late%02d.example.io/%d" % (i % 10, i),
                            "fetched": "2026-02-%02dT00:00:00Z" % (1 + i % 20)}) + "\n")
EOF
expect 0 $EXANTE -q ingest --source web crawl2.jsonl
expect 0 $EXANTE -q snapshot create s2
sql "$DB" "SELECT max(id) FROM exante_decisions" > cut2
expect 0 $EXANTE -q attest run --snapshot s2 --weights w/ft --name ft --kind fine-tune --parent base --out /dev/null

# ---- the facts, recomputed ----
sql "$DB" "SELECT id, record FROM exante_items ORDER BY id" | sed 's/|/\t/' > items.tsv
sql "$DB" "SELECT id, record FROM exante_decisions ORDER BY id" | sed 's/|/\t/' > decisions.tsv
$EXANTE snapshot export s1 > s1.txt
$EXANTE snapshot export s2 > s2.txt
$EXANTE source list --json > sources.jsonl 2>/dev/null || $EXANTE --json source list > sources.jsonl
$EXANTE log checkpoint > checkpoint.txt
PSL=/usr/share/publicsuffix/public_suffix_list.dat
cat > want.py <<'EOF'
import hashlib, html.parser, json, math, sys, unicodedata
psl_path = sys.argv[1]
model_snaps = {"base": [("s1", "cut1")], "ft": [("s2", "cut2")]}
items = {}
for line in open("items.tsv"):
    i, r = line.rstrip("\n").split("\t", 1)
    items[int(i)] = json.loads(r)
decisions = []
for line in open("decisions.tsv"):
    i, r = line.rstrip("\n").split("\t", 1)
    decisions.append((int(i), json.loads(r)))
sources = {}
for line in open("sources.jsonl"):
    s = json.loads(line)
    sources[s["name"]] = s
def current(cut):
    cur = {}
    for i, d in decisions:
        if i <= cut:
            cur[d["item"]] = d
    return cur
# the Public Suffix List, by publicsuffix.org's algorithm
rules, exc, wild = set(), set(), set()
try:
    for line in open(psl_path, encoding="utf-8"):
        w = line.split()
        if not w or w[0].startswith("//"):
            continue
        r = w[0].lower()
        if r.startswith("!"): exc.add(r[1:])
        elif r.startswith("*."): wild.add(r[2:])
        else: rules.add(r)
    have_psl = True
except OSError:
    have_psl = False
def registrable(h):
    labels = h.split(".")
    n = len(labels)
    if n < 2: return h
    ps, ex = 1, 0
    for k in range(1, n + 1):
        s = ".".join(labels[n - k:])
        if s in exc: ex = k - 1
        if s in rules: ps = max(ps, k)
        if k >= 2 and ".".join(labels[n - k + 1:]) in wild: ps = max(ps, k)
    if ex: ps = ex
    return ".".join(labels[max(0, n - ps - 1):])
def month(t): return t[5:7] + "/" + t[0:4]
# the words of each content, by its digest: the text (a JSONL record's text field; an HTML
# page without its tags, comments, script, style, noscript and template, entities decoded;
# other text/ as it is; nothing else), NFKC, punctuation (P*) dropped, runs of other letters
# between separators (Z*) and controls (Cc) counted
def words(s):
    n, inw = 0, False
    for c in unicodedata.normalize("NFKC", s):
        cat = unicodedata.category(c)
        if cat[0] == "P":
            continue
        if cat[0] == "Z" or cat == "Cc":
            inw = False
        elif not inw:
            n, inw = n + 1, True
    return n
class Strip(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0
    def handle_starttag(self, tag, a):
        self.out.append(" ")
        if tag in ("script", "style", "noscript", "template"): self.skip += 1
    def handle_endtag(self, tag):
        self.out.append(" ")
        if tag in ("script", "style", "noscript", "template"): self.skip -= 1
    def handle_data(self, d):
        if not self.skip: self.out.append(d)
def text_of(ct, b):
    t = ct.split(";")[0].strip().lower()
    if t in ("text/html", "application/xhtml+xml"):
        p = Strip(); p.feed(b.decode("utf-8", "replace")); p.close()
        return "".join(p.out)
    return b.decode("utf-8", "replace") if t.startswith("text/") else ""
content_words = {}
for f in ["books", "papers", "wiki", "tiny", "chats", "gen", "misc", "crawl", "crawl2"]:
    for line in open(f + ".jsonl"):
        t = json.loads(line)["text"].encode()
        # the readers hand over the first 8 MiB (these texts are ASCII there: no cut character)
        content_words["sha256:" + hashlib.sha256(t).hexdigest()] = words(t[:8 << 20].decode())
for ct, b in json.load(open("misc-bodies.json")):
    b = b.encode("latin-1")
    content_words["sha256:" + hashlib.sha256(b).hexdigest()] = words(text_of(ct, b))
def modality(it):
    ct = it.get("content_type") or ""
    for m in ("image", "audio", "video"):
        if ct.startswith(m + "/"): return m
    return "text"
out = {}
for model, snaps in model_snaps.items():
    pick = {}
    for name, cutfile in snaps:
        cut = int(open(cutfile).read())
        members = set(open(name + ".txt").read().split())
        cur = current(cut)
        for iid, d in cur.items():
            if d["verdict"] == "admit" and d["digest"] in members:
                dg = d["digest"]
                pick[dg] = min(pick.get(dg, iid), iid)
    chosen = [items[i] for i in pick.values()]
    sec = {"crawl": "crawled", "public-dataset": "public_datasets", "first-party": "user_data",
           "synthetic": "synthetic", "other": "other"}
    r = {"sections": {}, "bytes": 0, "items": len(chosen)}
    hosts, fetched, cfetched, public = {}, [], [], {}
    for it in chosen:
        s = sources[it["source"]]
        k = s["kind"]
        sc = ("licensed" if s.get("agreement") else "other_private") if k == "licensed" else sec[k]
        e = r["sections"].setdefault(sc, [0, 0])
        e[0] += 1; e[1] += it["size"]
        r["bytes"] += it["size"]
        if "fetched" in it:
            fetched.append(it["fetched"])
            if k == "crawl": cfetched.append(it["fetched"])
        if k == "public-dataset":
            public[it["source"]] = public.get(it["source"], 0) + it["size"]
        if k == "crawl" and "url" in it:
            h = it["url"].split("/")[2].lower()
            d = registrable(h)
            hh = hosts.setdefault(d, [0, 0]); hh[0] += it["size"]; hh[1] += 1
    ptotal = sum(public.values())
    r["large"] = sorted(n for n, b in public.items() if b * 100 > 3 * ptotal)
    r["latest"] = month(max(fetched))
    r["period"] = [month(min(cfetched)), month(max(cfetched))]
    ranked = sorted(hosts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    r["domains_total"] = len(ranked)
    n = len(ranked)
    r["top"] = [[d, b, c] for d, (b, c) in ranked[:math.ceil(n / 10)]]
    r["top_sme"] = [[d, b, c] for d, (b, c) in ranked[:min(math.ceil(n / 20), 1000)]]
    text = [it for it in chosen if modality(it) == "text"]
    r["text_items"] = len(text)
    r["text_bytes"] = sum(it["size"] for it in text)
    r["images"] = sum(1 for it in chosen if modality(it) == "image")
    r["words"] = sum(content_words[it["digest"]] for it in text)
    r["uncounted"] = [sum(1 for it in text if not content_words[it["digest"]]),
                      sum(it["size"] for it in text if not content_words[it["digest"]])]
    big = [it for it in text if content_words[it["digest"]] and it["size"] > 8 << 20]
    r["cut"] = [len(big), sum(it["size"] - (8 << 20) for it in big)]
    # 4 tokens per 3 words, 1 per 4 bytes of the text without words, each rounded up
    r["tokens"] = math.ceil(r["words"] * 4 / 3) + math.ceil((r["uncounted"][1] + r["cut"][1]) / 4)
    # reservations: the model's sources, current decisions as of its last snapshot
    srcs = {it["source"] for it in chosen}
    cur = current(int(open(snaps[-1][1]).read()))
    res = {"optout": 0, "tdm-reserved": 0, "robots-disallowed": 0, "noai": 0}
    rule2 = {"optout": "optout", "tdm": "tdm-reserved", "robots": "robots-disallowed", "noai": "noai"}
    for iid, d in cur.items():
        if d["verdict"] == "reject" and d["source"] in srcs:
            c = d.get("reservation") or rule2.get(d["rule"])
            if c: res[c] += 1
    r["res"] = res
    r["psl"] = have_psl
    out[model] = r
json.dump(out, open("want.json", "w"), indent=1)
EOF
python3 want.py "$PSL" && ok || bad "want.py failed"

# ---- the summaries ----
for m in base ft; do
    expect 0 $EXANTE export eu-summary --model $m --format json --out $m.json
    [ -s $m.json ] && [ ! -s "$T/out" ] && ok || bad "--out $m.json: empty, or stdout used"
done
cat > check.py <<'EOF'
import json, sys
m, f = sys.argv[1], sys.argv[2]
w = json.load(open("want.json"))[m]
j = json.load(open(f))
errs = []
def eq(what, got, want):
    if got != want: errs.append("%s: %r, want %r" % (what, got, want))
g, src = j["general"], j["data_sources"]
text = g["modalities"]["text"]
eq("text bytes", text["bytes"], w["text_bytes"])
eq("text items", text["items"], w["text_items"])
eq("tokens", text["tokens_estimate"], w["tokens"])
eq("words", text["words"], w["words"])
eq("uncounted", [text["words_uncounted"]["items"], text["words_uncounted"]["bytes"]], w["uncounted"])
eq("cut", [text["words_cut"]["items"], text["words_cut"]["bytes_past"]], w["cut"])
eq("size range", text["size_range"], "less than 1 billion tokens")
eq("images", [g["modalities"]["image"]["present"], g["modalities"]["image"]["items"]],
   [w["images"] > 0, w["images"]])
eq("provenance items", j["provenance"]["items"], w["items"])
for k in ["public_datasets", "licensed", "other_private", "crawled", "user_data", "synthetic", "other"]:
    want = w["sections"].get(k, [0, 0])
    eq(k + " used", src[k]["used"], want[0] > 0)
    eq(k + " items", src[k]["items"], want[0])
    eq(k + " bytes", src[k]["bytes"], want[1])
eq("large", sorted(x["name"] for x in src["public_datasets"]["large"]), w["large"])
eq("latest", g["acquisition"]["latest"], w["latest"])
eq("period", [src["crawled"]["period"]["from"], src["crawled"]["period"]["to"]], w["period"])
eq("domains_total", src["crawled"]["domains_total"], w["domains_total"])
top = w["top_sme"] if j["sme"] else w["top"]
eq("domains", [[d["domain"], d["bytes"], d["items"]] for d in src["crawled"]["domains"]], top)
eq("domains_listed", src["crawled"]["domains_listed"], len(top))
eq("registrable", j["provenance"]["registrable_domains"],
   "public suffix list" if w["psl"] else "built-in approximation")
eq("crawlers", src["crawled"]["crawlers"][:2], ["GPTBot", "CCBot"])
got = {p["rule"]: p["items_excluded"] for p in j["data_processing"]["reservations"]["protocols"]}
eq("reservations", got, w["res"])
eq("last update", j["header"]["last_update"], "21/09/26")
eq("model", g["model"]["name"], m)
cp = open("checkpoint.txt").read().split("\n")
eq("checkpoint", [j["provenance"]["checkpoint"]["origin"], j["provenance"]["checkpoint"]["size"]],
   [cp[0], int(cp[1])])
if errs:
    print("\n".join(errs)); sys.exit(1)
EOF
for m in base ft; do
    python3 check.py $m $m.json && ok || bad "$m.json differs from the recomputation"
done
# the numbers are not trivial: several domains, a reservation of each kind, two sections off
python3 -c '
import json; w = json.load(open("want.json"))["base"]
assert w["domains_total"] >= 20 and len(w["top"]) >= 3 and len(w["top_sme"]) < len(w["top"])
assert all(w["res"][k] > 0 for k in ("optout", "tdm-reserved", "robots-disallowed"))
assert w["large"] == ["wiki"]
assert w["images"] == 1 and w["uncounted"][0] == 2 and w["words"] > 1000
assert w["cut"][0] == 1 and w["cut"][1] == 5 * ((8 << 20) // 5 + 2000) - (8 << 20)' && ok || bad "the test ledger is too simple: $(cat want.json | head -c 300)"
json base.json "j['general']['provider'] == {'name': None, 'contact': None, 'authorised_representative': None}"
json base.json "j['general']['model']['dependencies'] == [] and j['header']['version'] == 1"
json ft.json "[d['name'] for d in j['general']['model']['dependencies']] == ['base']"
json base.json "j['data_sources']['licensed']['agreements'] is True and j['data_sources']['other_private']['used'] is True"
json ft.json "j['provenance']['snapshots'][0]['name'] == 's2'"
# canonical JSON: what python writes sorted and compact, plus a newline
python3 -c 'import json,sys; t=open(sys.argv[1]).read(); sys.exit(0 if t == json.dumps(json.loads(t), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" else 1)' base.json && ok || bad "base.json is not canonical"

# --sme
expect 0 $EXANTE export eu-summary --model base --format json --sme --out base-sme.json
python3 check.py base base-sme.json && ok || bad "--sme differs from the recomputation"
json base-sme.json "j['sme'] is True"

# with a provider file
cp "$SRC/data/provider.example" provider.txt
expect 0 $EXANTE export eu-summary --model base --format json --provider provider.txt --out base-p.json
json base-p.json "j['general']['provider']['name'] == 'Example AI SE' and j['data_processing']['reservations']['code_of_practice_signatory'] is True"
json base-p.json "'ExampleBot/1.0 (+https://example.ai/bot)' in j['data_sources']['crawled']['crawlers'] and j['general']['languages'] == ['English', 'German']"

# --diff: base's summary against ft's, a version later
expect 0 $EXANTE export eu-summary --model ft --format json --diff base.json --out ft2.json
json ft2.json "j['header']['version'] == 2 and j['changes']['since_version'] == 1"
python3 - <<'EOF' && ok || bad "--diff: changes differ"
import json
a, b, c = (json.load(open(f)) for f in ("base.json", "ft.json", "ft2.json"))
da = {d["domain"] for d in a["data_sources"]["crawled"]["domains"]}
db = {d["domain"] for d in b["data_sources"]["crawled"]["domains"]}
ch = c["changes"]
assert sorted(ch["domains_added"]) == sorted(db - da), ch
assert sorted(ch["domains_removed"]) == sorted(da - db), ch
fields = {f["field"]: (f["from"], f["to"]) for f in ch["fields"]}
assert fields["general.model.name"] == ("base", "ft"), fields
assert ("data_sources.crawled.period.to" in fields) == (a["data_sources"]["crawled"]["period"]["to"] != b["data_sources"]["crawled"]["period"]["to"])
assert all(f[0] != f[1] for f in fields.values())
EOF
expect 0 $EXANTE export eu-summary --model ft --diff base.json
contains "$T/out" "## Changes since the last publication"

# ---- Markdown: the template's numbers and titles, in order ----
expect 0 $EXANTE export eu-summary --model base --provider provider.txt
cp "$T/out" base.md
python3 - base.md <<'EOF' && ok || bad "base.md: the template's sections are not all there in order"
import sys
t = open(sys.argv[1]).read()
titles = ["## 1. General information", "### 1.1 Provider identification",
          "### 1.2 Model identification",
          "### 1.3 Modalities, overall training data size and other characteristics",
          "## 2. List of data sources", "### 2.1 Publicly available datasets",
          "### 2.2 Private non-publicly available datasets obtained from third parties",
          "#### 2.2.1 Datasets commercially licensed by rightsholders or their representatives",
          "#### 2.2.2 Other private datasets",
          "### 2.3 Data crawled and scraped from online sources", "### 2.4 User data",
          "### 2.5 Synthetic data", "### 2.6 Other sources of data",
          "## 3. Data processing aspects",
          "### 3.1 Respect of reservation of rights from the text and data mining exception or limitation",
          "### 3.2 Removal of illegal content", "### 3.3 Other information"]
lines = t.split("\n")
at = [lines.index(x) for x in titles]
assert at == sorted(at), at
assert "**Version of the summary:** 1" in t and "**Last update (DD/MM/YY):** 21/09/26" in t
EOF
contains base.md "less than 1 billion tokens"
contains base.md "Example AI SE"
expect 0 $EXANTE export eu-summary --model base
contains "$T/out" "**Name of the provider:** not provided"
# every listed domain is in the Markdown with its bytes
python3 -c '
import json,sys
t = open("base.md").read()
for i, d in enumerate(json.load(open("base.json"))["data_sources"]["crawled"]["domains"]):
    assert "| %d | %s | %d | %d |" % (i + 1, d["domain"], d["bytes"], d["items"]) in t, d' && ok || bad "base.md lacks a domain row"

# ---- HTML: self-contained, no script, strings escaped ----
printf 'provider_name = <script>alert(1)</script> & Co\nprovider_contact = "q" <a@b>\n' > evil.txt
expect 0 $EXANTE export eu-summary --model base --provider evil.txt --format html --out base.html
grep -qi '<script' base.html && bad "base.html has a script element" || ok
grep -qiE '\b(src|href)=|@import|url\(' base.html && bad "base.html fetches something" || ok
contains base.html '&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co'
contains base.html '<h3>2.3 Data crawled and scraped from online sources</h3>'
expect 0 $EXANTE export eu-summary --model base --provider evil.txt
contains "$T/out" '\<script\>alert(1)\</script\> & Co'

# ---- bad inputs: exit 2, nothing written ----
printf 'provider_name = A\nprovider_contact = b\ncolour = red\n' > unknown.txt
expect 2 $EXANTE export eu-summary --model base --provider unknown.txt --out bad.md
contains "$T/err" "unknown.txt: line 3: unknown key 'colour'"
printf 'provider_name = A\n' > missing.txt
expect 2 $EXANTE export eu-summary --model base --provider missing.txt --out bad.md
contains "$T/err" "missing.txt: missing required key 'provider_contact'"
expect 2 $EXANTE export eu-summary --model nosuch --out bad.md
contains "$T/err" "no model 'nosuch'"
printf '{"type":"something else"}' > notsummary.json
expect 2 $EXANTE export eu-summary --model base --diff notsummary.json --out bad.md
contains "$T/err" "notsummary.json: old: type"
expect 2 $EXANTE export eu-summary --model base --format pdf --out bad.md
expect 2 $EXANTE export eu-summary --out bad.md
expect 3 $EXANTE export eu-summary --model base --provider no-such-file.txt --out bad.md
[ -e bad.md ] && bad "bad.md was written" || ok
ls .bad.md* bad.md.* 2>/dev/null | grep -q . && bad "a temporary file was left" || ok
expect 0 $EXANTE export eu-summary --help
contains "$T/out" "usage: exante export eu-summary"
finish
