#!/usr/bin/env bash
# exante report: a ledger made as the demo makes one (two sources, the demo's policy, captures,
# the sample corpus and crawl, an opt-out, reevaluate, a snapshot) plus a hostile opt-out
# holder and three models in a lineage; the page rendered by headless chromium. The screenshot
# is not blank (decoded here: many colours, ink, the charts' palette); every number the DOM
# shows under a data-k key equals what this script recomputes on its own: from `decisions`
# (the current decision of each item is its last), from the item records read with the
# exante_sqlite module, from `source list`, `snapshot list`, `models`, `log checkpoint` and
# what `optout add` answered. The holder stays text: escaped in the file, no script element
# anywhere, nothing fetched. Exit 77 (skipped) without chromium.
. "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
    echo "test_report: no chromium: skipped"
    exit 77
fi
export HOME="$T" # chromium's profile and caches, removed with $T

$EXANTE -q init --origin test.example/report >/dev/null || bad init
demo_sources
demo_policy policy.txt
expect 0 $EXANTE -q policy adopt policy.txt
expect 0 $EXANTE -q signals add s/crawl.warc.gz
expect 0 $EXANTE -q ingest --source bookco s/corpus.jsonl.zst
expect 0 $EXANTE -q ingest --source web s/crawl.warc.gz
ix() { sed 's/.*"index":\([0-9]*\).*/\1/' "$T/out"; }
expect 0 $EXANTE --json optout add --domain shop.example.net --holder 'Example Shop Ltd'
SHOP=$(ix)
HOSTILE='<script>alert(1)</script>'
expect 0 $EXANTE --json optout add --domain forum.example.com --holder "$HOSTILE"
FORUM=$(ix)
expect 0 $EXANTE -q reevaluate
expect 0 $EXANTE -q snapshot create demo-train
w() { mkdir -p "w/$1" && printf 'weights of %s' "$1" > "w/$1/model.bin"; }
for m in base other ft; do w "$m"; done
expect 0 $EXANTE -q attest run --snapshot demo-train --weights w/base --name base --out /dev/null
expect 0 $EXANTE -q attest run --snapshot demo-train --weights w/other --name other --out /dev/null
expect 0 $EXANTE -q attest run --snapshot demo-train --weights w/ft --name chat --kind merge \
    --parent base --parent other --out /dev/null

# ---- the command ----
expect 0 $EXANTE report --out r.html --title 'Demo & "ledger"'
[ -s r.html ] && [ ! -s "$T/out" ] && ok || bad "report --out: r.html empty or stdout used"
expect 0 $EXANTE report --title 'Demo & "ledger"'
cmp -s "$T/out" r.html && ok || bad "report to stdout differs from --out"
expect 0 $EXANTE --json report
cp "$T/out" r.json
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' r.json && ok || bad "report --json: not JSON"
expect 0 $EXANTE report --help
contains "$T/out" "usage: exante report"
expect 2 $EXANTE report extra
expect 2 $EXANTE report --frob
expect 2 $EXANTE report --out ''
expect 3 $EXANTE report --out no/such/dir/r.html
contains "$T/err" "cannot create a file beside 'no/such/dir/r.html'"
ls no 2>/dev/null && bad "report --out made a directory" || ok
EXANTE_DIR="$T/none" expect 2 $EXANTE report

# the file: no script, nothing fetched, the holder escaped
grep -qi '<script' r.html && bad "r.html has a script element" || ok
grep -qiE '\b(src|href)=|@import|url\((https?:|//)' r.html && bad "r.html fetches something" || ok
contains r.html '&lt;script&gt;alert(1)&lt;/script&gt;'
contains r.html '<title>Demo &amp; &quot;ledger&quot;</title>'

# ---- rendered by chromium ----
chrome() { timeout 120 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --disable-extensions "$@" 2>>chromium.log; }
chrome --screenshot="$T/shot.png" --window-size=1280,2000 "file://$T/r.html" >/dev/null
[ -s shot.png ] && ok || bad "chromium made no screenshot: $(tail -c 400 chromium.log)"
chrome --dump-dom "file://$T/r.html" > dom.html
[ -s dom.html ] && ok || bad "chromium dumped no DOM: $(tail -c 400 chromium.log)"
grep -qi '<script' dom.html && bad "the DOM has a script element" || ok

python3 - shot.png <<'EOF' && ok || bad "the screenshot looks blank"
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, t = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    pos += 12 + n
    if t == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
    elif t == b'IDAT':
        idat += body
assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
stride, raw, prev, i = w * bpp, zlib.decompress(idat), bytearray(w * bpp), 0
colours, ink = {}, 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):  # PNG's row filters undone
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
        ink += min(px) < 200
    prev = line
palette = [bytes.fromhex(c) for c in ('4e79a7', 'f28e2b', 'e15759', '76b7b2', '59a14f')]
drawn = sum(1 for c in palette if colours.get(c, 0) >= 50)
print('%dx%d: %d colours, %.1f%% ink, %d of 5 chart colours' % (w, h, len(colours), 100 * ink / (w * h), drawn))
sys.exit(0 if len(colours) >= 8 and ink >= 0.02 * w * h and drawn == 5 else 1)
EOF

# ---- the numbers, recomputed ----
$EXANTE decisions > decisions.jsonl
$EXANTE --json source list > sources.jsonl
$EXANTE --json snapshot list > snapshots.jsonl
$EXANTE models > models.jsonl
$EXANTE log checkpoint > checkpoint.txt
sql "$EXANTE_DIR/ledger.db" "SELECT record FROM exante_items ORDER BY id" > items.jsonl
[ -s items.jsonl ] && ok || bad "cannot read the item records: $(cat "$T/err" 2>/dev/null)"
python3 - dom.html r.json "$SHOP" "$FORUM" "$HOSTILE" <<'EOF'
import collections, json, sys, urllib.parse
from html.parser import HTMLParser

dom, stats, shop, forum, hostile = sys.argv[1:6]
fails = 0
def check(what, got, want):
    global fails
    if got != want:
        fails += 1
        print('FAIL: %s: page %r, recomputed %r' % (what, got, want))

class Keys(HTMLParser):  # data-k -> the element's text; the texts of table cells
    def __init__(self):
        super().__init__()
        self.k, self.open, self.dup, self.cells, self.cell = {}, [], [], [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.open.append((tag, a.get('data-k'), []))
        if tag == 'td':
            self.cell = []
    def handle_data(self, d):
        for _, _, text in self.open:
            text.append(d)
        if self.cell is not None:
            self.cell.append(d)
    def handle_endtag(self, tag):
        while self.open:
            t, k, text = self.open.pop()
            if k is not None:
                if k in self.k:
                    self.dup.append(k)
                self.k[k] = ''.join(text)
            if t == tag:
                break
        if tag == 'td' and self.cell is not None:
            self.cells.append(''.join(self.cell))
            self.cell = None
p = Keys()
p.feed(open(dom).read())
K = p.k
check('duplicate data-k keys', p.dup, [])
def num(k):
    v = K.get(k)
    return int(v) if v is not None and v.isdigit() else v

lines = lambda f: [json.loads(l) for l in open(f) if l.strip()]
decisions, items = lines('decisions.jsonl'), lines('items.jsonl')
current = {}
for d in decisions:  # oldest first: the last of an item's is its current decision
    current[d['item']] = d
verdicts = collections.Counter(d['verdict'] for d in current.values())
check('items', num('items'), len(items))
check('bytes', num('bytes'), sum(i['size'] for i in items))
check('decisions', num('decisions'), len(decisions))
for k, v in (('admitted', 'admit'), ('rejected', 'reject'), ('pending', 'pending'), ('duplicates', 'duplicate')):
    check(k, num(k), verdicts[v])
check('every item has a current decision', len(current), len(items))
by_rule = collections.Counter((d['rule'], d['verdict']) for d in current.values())
for (rule, verdict), n in by_rule.items():
    check('rule %s %s' % (rule, verdict), num('rule:%s:%s' % (rule, verdict)), n)
check('by_rule rows', sorted(k for k in K if k.startswith('rule:')),
      sorted('rule:%s:%s' % rv for rv in by_rule))
# every decision by rule: summed over the days listed (a fresh ledger: one or two days)
per_rule = collections.Counter(d['rule'] for d in decisions)
days = int(K['time:days'])
got = collections.Counter()
for k, v in K.items():
    if k.startswith('time:') and k.count(':') >= 2 and not k.endswith((':total', ':day')):
        got[k.split(':', 2)[2]] += int(v)
other = sum(n for r, n in per_rule.items() if r not in got)  # drawn as one "(other)"
check('decisions by rule over time', {r: got[r] for r in got if r != '(other)'},
      {r: n for r, n in per_rule.items() if r in got})
check('decisions of the other rules', got.get('(other)', 0), other)
check('days', days >= 1, True)
check('time totals', sum(int(v) for k, v in K.items() if k.startswith('time:') and k.endswith(':total')), len(decisions))

def host(u):
    if not u:
        return None
    s = urllib.parse.urlsplit(u)
    return s.hostname.rstrip('.') if s.scheme in ('http', 'https') and s.hostname else None
lic, dom_items, dom_bytes, src = collections.Counter(), collections.Counter(), collections.Counter(), {}
for i in items:
    lic[i.get('license', 'none')] += 1
    h = host(i.get('url'))
    if h:
        dom_items[h] += 1
        dom_bytes[h] += i['size']
    s = src.setdefault(i['source'], [0, 0, 0, 0])
    s[0] += 1
    s[1] += i['size']
for d in current.values():
    if d['verdict'] in ('admit', 'reject'):
        src[d['source']][2 if d['verdict'] == 'admit' else 3] += 1
for l, n in lic.items():
    check('license %s' % l, num('license:%s:items' % l), n)
check('domains_total', num('domains_total'), len(dom_items))
top = sorted(dom_bytes, key=lambda h: (-dom_bytes[h], -dom_items[h], h))[:20]
check('top domains', [k[7:-6] for k in K if k.startswith('domain:') and k.endswith(':bytes')], top)
for h in top:
    check('domain %s' % h, (num('domain:%s:items' % h), num('domain:%s:bytes' % h)), (dom_items[h], dom_bytes[h]))
for s in lines('sources.jsonl'):
    n = s['name']
    got = [num('source:%s:%s' % (n, c)) for c in ('items', 'bytes', 'admitted', 'rejected')]
    check('source %s' % n, got, src.get(n, [0, 0, 0, 0]))
def reached(domain):
    return sum(1 for i in items if host(i.get('url')) and (host(i['url']) == domain or host(i['url']).endswith('.' + domain)))
check('opt-out shop reached', num('optout:%s:reached' % shop), reached('shop.example.net'))
check('opt-out forum reached', num('optout:%s:reached' % forum), reached('forum.example.com'))
check('opt-out shop reaches some', reached('shop.example.net') > 0, True)
check('optout_items', num('optout_items'), reached('shop.example.net') + reached('forum.example.com'))
check('the holder, as text', hostile in p.cells, True)
for s in lines('snapshots.jsonl'):
    check('snapshot %s' % s['name'], (num('snapshot:%s:size' % s['name']), num('snapshot:%s:log_index' % s['name'])), (s['size'], s['log_index']))
models = lines('models.jsonl')
check('models listed', sorted(k[6:] for k in K if k.startswith('model:')), sorted(m['model'] for m in models))
size = int(open('checkpoint.txt').read().split('\n')[1])
check('checkpoint size', num('checkpoint:size'), size)
# the JSON says what the page says
j = json.load(open(stats))
check('json items', j['items'], len(items))
check('json by_rule', {(r['rule'], r['verdict']): r['count'] for r in j['by_rule']}, dict(by_rule))
check('json lineage', [m['parents'] for m in j['models'] if m['name'] == 'chat'], [[m['model'] for m in models if m['name'] in ('base', 'other')]])
check('json capped', j['capped'], [])
print('%d keys read, %d failures' % (len(K), fails))
sys.exit(1 if fails else 0)
EOF
[ $? -eq 0 ] && ok || bad "the page's numbers differ from the ledger's"
finish
