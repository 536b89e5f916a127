#!/usr/bin/env bash
# exante export copyright-policy: a ledger made as the demo makes one (two sources, the demo's
# policy, then a second policy with a hostile name and reason, captures, the sample corpus and
# crawl, opt-outs by the operator (one with a hostile holder), by a partner token and by a
# public request accepted on review, a complaint, reevaluate). Every number of the Markdown and
# the JSON is recomputed here on its own: from `decisions --json` (an item's current decision
# is its last), the policy files as written (rule id -> condition), the item and capture rows
# read with the exante_sqlite module, `optout list`, `optout requests` and `log checkpoint`.
# The HTML escapes the hostile strings and has no script; bad input exits 2 writing nothing;
# a ledger without a policy gets a document that says so.
. "$(dirname "$0")/lib.sh"
PIDS=()
stop() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=(); }
trap 'stop; lib_exit' EXIT

# ---- no policy yet: a statement, not an error ----
$EXANTE -q init --origin test.example/copyright >/dev/null || bad init
expect 0 $EXANTE export copyright-policy
contains "$T/out" "No policy has been adopted in this ledger"
expect 0 $EXANTE --json export copyright-policy
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["policy"] is None and d["earlier_policies"]==[] and d["type"]=="exante-copyright-policy" else 1)' "$T/out" && ok || bad "no policy: $(head -c 300 "$T/out")"

# ---- the ledger ----
demo_sources
demo_policy p1.txt
HOSTILE='<script>alert(1)</script>'
cat > p2.txt <<EOF
name   $HOSTILE
agents GPTBot CCBot ClaudeBot
reject optout id=holders
reject tdm-reserved
reject robots-disallowed
reject noai
reject noimageai
admit  source agreement
admit  license MIT Apache-2.0 BSD-2-Clause BSD-3-Clause CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no <b>lawful</b> basis & more"
EOF
expect 0 $EXANTE policy adopt p1.txt
P1=$(sed -n 's/^adopted \(sha256:[0-9a-f]*\) .*/\1/p' "$T/out")
expect 0 $EXANTE -q signals add s/crawl.warc.gz
printf 'User-agent: *\nDisallow: /\n' > down.txt
expect 0 $EXANTE -q signals add --host down.example --fetched 2025-01-01T00:00:00Z --kind robots \
    --status 503 down.txt
expect 0 $EXANTE -q ingest --source bookco s/corpus.jsonl.zst
expect 0 $EXANTE -q ingest --source web s/crawl.warc.gz
expect 0 $EXANTE -q optout add --domain shop.example.net --holder 'Example Shop Ltd'
expect 0 $EXANTE -q optout add --domain forum.example.com --holder "$HOSTILE"
expect 0 $EXANTE policy adopt p2.txt
P2=$(sed -n 's/^adopted \(sha256:[0-9a-f]*\) .*/\1/p' "$T/out")
[ -n "$P1" ] && [ -n "$P2" ] && [ "$P1" != "$P2" ] && ok || bad "policy digests '$P1' '$P2'"

# submissions through the server: a partner's opt-out, a public one (accepted on review), a
# public one left unverified, and a complaint
$EXANTE -q token add registry-1 >token || bad "token add"
TOK=$(cat token)
$EXANTE serve --listen 127.0.0.1:0 >serve.url 2>serve.err &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s serve.url ] && break; sleep 0.05; done
U=$(head -n 1 serve.url)
U=${U%/}
[ -n "$U" ] && ok || bad "serve did not start: $(cat serve.err)"
post() { curl -s -o "$1" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$3" "${@:4}" "$U$2"; }
s=$(post sub1.json /v1/optouts '{"holder":"Registry Holder","contact":"r@example.org","scope":{"domain":"blog.example.org"}}' -H "Authorization: Bearer $TOK")
[ "$s" = 201 ] && ok || bad "partner opt-out: $s $(cat sub1.json)"
s=$(post sub2.json /v1/optouts '{"holder":"Jane Doe","contact":"jane@example.org","scope":{"domain":"news.example.com"}}')
[ "$s" = 201 ] && ok || bad "public opt-out: $s $(cat sub2.json)"
s=$(post sub3.json /v1/optouts '{"holder":"John Roe","contact":"john@example.org","scope":{"url_prefix":"https://art.example.io/x/"}}')
[ "$s" = 201 ] && ok || bad "public opt-out 2: $s $(cat sub3.json)"
s=$(post sub4.json /v1/complaints '{"contact":"c@example.org","message":"my work was used"}')
[ "$s" = 201 ] && ok || bad "complaint: $s $(cat sub4.json)"
stop
id_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$1"; }
expect 0 $EXANTE -q optout review "$(id_of sub2.json)" accept
expect 0 $EXANTE -q reevaluate

# ---- the command ----
expect 0 $EXANTE export copyright-policy --out cp.md
[ -s cp.md ] && [ ! -s "$T/out" ] && ok || bad "--out: cp.md empty or stdout used"
expect 0 $EXANTE export copyright-policy
cmp -s "$T/out" cp.md && ok || bad "stdout differs from --out"
expect 0 $EXANTE export copyright-policy --format json --out cp.json
expect 0 $EXANTE --json export copyright-policy
cmp -s "$T/out" cp.json && ok || bad "--json differs from --format json"
expect 0 $EXANTE export copyright-policy --format html --out cp.html
printf 'provider_name = Example & <AI> SE\nprovider_contact = copyright@example.ai\n' > provider.txt
expect 0 $EXANTE export copyright-policy --provider provider.txt --out cpp.md
contains cpp.md "# Copyright policy of Example &amp; &lt;AI&gt; SE"
contains cpp.md "Point of contact for rights holders: copyright@example.ai."
expect 0 $EXANTE export copyright-policy --provider provider.txt --format json --out cpp.json
contains cpp.json '"provider":{"contact":"copyright@example.ai","name":"Example & <AI> SE"}'
contains cpp.json '"contact":"copyright@example.ai","endpoints"'
contains cp.md "Provider: not provided. Point of contact for rights holders: not provided."

# ---- every number, recomputed ----
$EXANTE --json decisions > decisions.jsonl || bad decisions
$EXANTE --json optout list > optouts.jsonl || bad "optout list"
$EXANTE --json optout requests > requests.jsonl || bad "optout requests"
$EXANTE log checkpoint > checkpoint.txt || bad checkpoint
sql "$EXANTE_DIR/ledger.db" "SELECT record FROM exante_items ORDER BY id" > items.jsonl
sql "$EXANTE_DIR/ledger.db" "SELECT record FROM captures ORDER BY id" > captures.jsonl
[ -s items.jsonl ] && [ -s captures.jsonl ] && ok || bad "cannot read items or captures"
python3 - "$P1" "$P2" "$HOSTILE" <<'EOF' > check.out 2>&1
import json, re, sys, collections
p1, p2, hostile = sys.argv[1:4]
fails = []
def eq(what, got, want):
    if got != want:
        fails.append(f"{what}: got {got!r}, want {want!r}")

def rules(path):  # rule id -> (condition, verdict, args) as the file says
    out, order = {}, []
    for n, line in enumerate(open(path), 1):
        w = line.split('#')[0].split()
        if not w or w[0] not in ('admit', 'reject'):
            continue
        ids = [x[3:] for x in w if x.startswith('id=')]
        rid = ids[0] if ids else f"line:{n}"
        args = [x for x in w[2:] if not x.startswith('id=') and not x.startswith('"')]
        if '"' in line:
            args = w[2:2]
        out[rid] = (w[1], w[0], args)
        order.append(rid)
    return out, order
pol = {p1: rules('p1.txt')[0], p2: rules('p2.txt')[0]}
cur, order = rules('p2.txt')

latest = {}
for l in open('decisions.jsonl'):
    d = json.loads(l)
    latest[d['item']] = d
verd = collections.Counter(d['verdict'] for d in latest.values())
bycond = collections.Counter()
for d in latest.values():
    if d['verdict'] != 'reject':
        continue
    c = d.get('reservation') or pol.get(d['policy'], {}).get(d['rule'], (None,))[0]
    bycond[c] += 1
decided = collections.Counter((d['policy'], d['rule']) for d in latest.values())
carried = sum(1 for d in latest.values() if d['verdict'] == 'reject' and d.get('carried_by'))
near = sum(1 for d in latest.values() if d['verdict'] == 'reject' and d.get('carried_by') and d.get('near_of'))
items = [json.loads(l) for l in open('items.jsonl')]
st = collections.Counter(i.get('http_status') for i in items)
caps = [json.loads(l) for l in open('captures.jsonl')]
rob = [c for c in caps if c['kind'] == 'robots.txt']
tdm = [c for c in caps if c['kind'] == 'tdmrep.json']
subs = {}
for l in open('requests.jsonl'):
    s = json.loads(l)
    subs[s['id']] = s
opts = [json.loads(l) for l in open('optouts.jsonl')]
trust = collections.Counter()
partners = collections.Counter()
for o in opts:
    if 'request' not in o:
        trust['operator'] += 1
    elif o['request'] in subs:
        s = subs[o['request']]
        trust[s['trust']] += 1
        if s['trust'] == 'partner':
            partners[s['partner']] += 1
    else:
        trust['unmatched'] += 1
holders = collections.Counter(o['holder'] for o in opts if 'holder' in o)
sc = collections.Counter((s['kind'], s['status']) for s in subs.values())
origin, size, root = open('checkpoint.txt').read().split('\n')[:3]

j = json.load(open('cp.json'))
eq('checkpoint', j['checkpoint'], {'origin': origin, 'size': int(size), 'root': root})
eq('decisions', j['decisions'], {'decided': len(latest), 'admitted': verd['admit'],
   'rejected': verd['reject'], 'pending': verd['pending'], 'duplicates': verd['duplicate'],
   'carried': carried, 'carried_near': near, 'unattributed': bycond[None]})
P = j['policy']
eq('policy digest', P['digest'], p2)
eq('policy name', P['name'], hostile)
eq('agents', P['agents'], ['GPTBot', 'CCBot', 'ClaudeBot'])
eq('rule ids', [r['id'] for r in P['rules']], order)
for r in P['rules']:
    eq(f"rule {r['id']} condition", r['condition'], cur[r['id']][0])
    eq(f"rule {r['id']} decided", r['decided'], decided[(p2, r['id'])])
eq('earlier', [e['digest'] for e in j['earlier_policies']], [p1])
pr = j['protocols']
for key, cond in [('robots_txt', 'robots-disallowed'), ('tdmrep', 'tdm-reserved'),
                  ('noai', 'noai'), ('noimageai', 'noimageai'), ('optouts', 'optout')]:
    eq(f'{key} rejected', pr[key]['rejected'], bycond[cond])
    eq(f'{key} rules', pr[key]['rules'], [r for r in order if cur[r][0] == cond and cur[r][1] == 'reject'])
eq('robots unknown', pr['robots_txt']['unknown_rejected'], bycond['robots-unknown'])
eq('robots captures', pr['robots_txt']['captures'], len(rob))
eq('robots hosts', pr['robots_txt']['hosts'], len({c['host'] for c in rob}))
eq('robots disallow-all', pr['robots_txt']['disallow_all'], sum(1 for c in rob if c['status'] == 0 or c['status'] >= 500))
eq('tdmrep captures', pr['tdmrep']['captures'], len(tdm))
eq('tdmrep hosts', pr['tdmrep']['hosts'], len({c['host'] for c in tdm}))
O = pr['optouts']
eq('optouts total', O['total'], len(opts))
eq('optouts by trust', O['by_trust'], {k: trust[k] for k in ('operator', 'partner', 'public', 'unmatched')})
eq('partners', {p['partner']: p['optouts'] for p in O['partners']}, dict(partners))
eq('holders', {h['holder']: h['optouts'] for h in O['holders']}, dict(holders))
eq('holders total', O['holders_total'], len(holders))
eq('propagation', (pr['propagation']['carried'], pr['propagation']['carried_near']), (carried, near))
eq('piracy', j['piracy_domains'], {'applied': False, 'lists': [], 'rejected': bycond['domains']})
A = j['access_restricted']
eq('access rejected', A['rejected'], bycond['access-restricted'])
eq('access captured', A['captured'], {'count': len(items), 'http_401': st[401], 'http_402': st[402], 'http_403': st[403]})
C = j['complaints']
eq('complaints', C['complaints'], {s: sc[('complaint', s)] for s in ('received', 'accepted', 'rejected')})
eq('optout requests', C['optout_requests'], {s: sc[('optout', s)] for s in ('unverified', 'accepted', 'rejected')})
# the submissions made above, so that the counts above are not all zero
eq('submissions seen', (trust['partner'], trust['public'], sc[('optout', 'unverified')], sc[('complaint', 'received')]), (1, 1, 1, 1))

# the Markdown: the same numbers, each in its sentence
md = open('cp.md').read()
def esc(s):
    s = s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return re.sub(r'([\\`*_\[\]|#~])', r'\\\1', s)
def has(what, s):
    if s not in md:
        fails.append(f"markdown lacks {what}: {s!r}")
has('checkpoint', f"at checkpoint size {size}, root `{root}`")
has('summary', f"Items with a current decision: {len(latest)} (admitted {verd['admit']}, rejected {verd['reject']}, pending {verd['pending']}, exact copies {verd['duplicate']}).")
has('policy', f"Policy **{esc(hostile)}**, canonical digest `{p2}`, adopted at log index {P['index']} on {P['adopted']}.")
for n, rid in enumerate(order, 1):
    has(f'rule {rid}', f"{n}. Rule {rid}: ")
    has(f'rule {rid} count', f"(items decided by it now: {decided[(p2, rid)]})\n")
has('robots sentence', "disallows any of our crawlers (GPTBot, CCBot, ClaudeBot) under RFC 9309; a 5xx or unreachable robots.txt counts as disallow-all")
has('reason', 'Reason: "no &lt;b&gt;lawful&lt;/b&gt; basis &amp; more".')
has('earlier', f"`{p1}`")
for title, key, cond in [('robots.txt (RFC 9309)', 'robots_txt', 'robots-disallowed'),
                         ('TDMRep (W3C TDM Reservation Protocol)', 'tdmrep', 'tdm-reserved'),
                         ('noai (X-Robots-Tag, robots meta)', 'noai', 'noai'),
                         ('noimageai (X-Robots-Tag, robots meta)', 'noimageai', 'noimageai'),
                         ('Rights-holder opt-outs and opt-out registries', 'optouts', 'optout')]:
    ids = ', '.join(r for r in order if cur[r][0] == cond and cur[r][1] == 'reject') or 'not honoured: no rule'
    has(title, f"| {title} | {ids} | {bycond[cond]} |")
has('robots line', f"robots.txt captures logged: {len(rob)}, covering {len({c['host'] for c in rob})} hosts; {sum(1 for c in rob if c['status'] == 0 or c['status'] >= 500)} of them")
has('robots unknown', f"(rules none): {bycond['robots-unknown']}.")
has('tdmrep line', f"tdmrep.json captures logged: {len(tdm)}, covering {len({c['host'] for c in tdm})} hosts")
has('optouts line', f"Opt-outs logged: {len(opts)} (by the operator with `exante optout add`: {trust['operator']}; from partners' tokens, opt-out registries: {trust['partner']}; from public requests accepted on review: {trust['public']}; naming a request not found: {trust['unmatched']}), from {len(holders)} holders ({sum(1 for o in opts if 'holder' not in o)} without a holder).")
for h, c in holders.items():
    has(f'holder {h}', f"| {esc(h)} | {c} |")
for p, c in partners.items():
    has(f'partner {p}', f"| {esc(p)} | {c} |")
has('propagation', f"carried from another occurrence of their content: {carried}, of them through a near-duplicate: {near}. robots.txt rejections follow content too: no.")
has('piracy', "No piracy-domain list is applied: the policy has no `domains` rule.")
has('access', f"Items rejected now as access-restricted: {bycond['access-restricted']}. Of the {len(items)} items recorded, fetched with HTTP 401: {st[401]}, 402: {st[402]}, 403: {st[403]}.")
has('complaints', f"| complaints | {sc[('complaint', 'received')]} | {sc[('complaint', 'accepted')]} | {sc[('complaint', 'rejected')]} |")
has('requests', f"| opt-out requests | {sc[('optout', 'unverified')]} | {sc[('optout', 'accepted')]} | {sc[('optout', 'rejected')]} |")
# no number in the Markdown that the checks above did not produce
nums = set(re.findall(r'(?<![\w.:/-])\d+(?![\w.:/-])', md))
known = {str(x) for x in [size, len(latest), P['index'], len(rob), len(tdm), len(opts), len(holders), carried, near, len(items)]}
known |= {str(v) for v in list(verd.values()) + list(bycond.values()) + list(decided.values()) + list(trust.values()) + list(sc.values()) + list(holders.values()) + list(st.values()) + [0]}
known |= {str(x) for x in range(1, len(order) + 1)} | {str(len({c['host'] for c in rob})), str(len({c['host'] for c in tdm}))}
known |= {'1', '2', '3', '4', '401', '402', '403', '9309', '5', '0', '2026'}  # section numbers, statuses, RFC, name
extra = nums - known
if extra:
    fails.append(f"markdown numbers not recomputed: {sorted(extra)}")
print('\n'.join(fails))
sys.exit(1 if fails else 0)
EOF
[ $? -eq 0 ] && ok || bad "recomputed counts differ: $(head -c 2000 check.out)"

# ---- the HTML: escaped, no script, nothing fetched; its numbers are the JSON's ----
grep -qi '<script' cp.html && bad "cp.html has a script element" || ok
grep -qiE '\b(src|href)=|@import|url\(' cp.html && bad "cp.html fetches something" || ok
contains cp.html '&lt;script&gt;alert(1)&lt;/script&gt;'
contains cp.html 'no &lt;b&gt;lawful&lt;/b&gt; basis &amp; more'
python3 - <<'EOF' && ok || bad "html numbers differ from the JSON"
import json, re, sys
j = json.load(open('cp.json'))
h = open('cp.html').read()
def get(path):
    o = j
    for k in path.split('.'):
        o = o[k]
    return o
n = 0
for k, v in re.findall(r'data-k="([^"]*)">(\d+)<', h):
    if k.startswith('rule:'):
        want = [r['decided'] for r in j['policy']['rules'] if r['id'] == k[5:]][0]
    elif k.startswith('holder:') or k.startswith('partner:'):
        kind, name = k.split(':', 1)
        name = name.replace('&lt;', '<').replace('&gt;', '>').replace('&amp;', '&')
        want = [x['optouts'] for x in j['protocols']['optouts'][kind + 's'] if x[kind] == name][0]
    else:
        want = get(k)
    if int(v) != want:
        print(k, v, want); sys.exit(1)
    n += 1
sys.exit(0 if n >= 30 else 1)
EOF

# ---- bad input: exit 2, nothing written ----
expect 2 $EXANTE export copyright-policy --frob --out bad1.md
expect 2 $EXANTE export copyright-policy --format pdf --out bad2.md
contains "$T/err" "--format must be md, html or json, not 'pdf'"
expect 2 $EXANTE export copyright-policy extra --out bad3.md
expect 2 $EXANTE export copyright-policy --out ''
printf 'provider_name = X\nnonsense line\n' > badprov.txt
expect 2 $EXANTE export copyright-policy --provider badprov.txt --out bad4.md
contains "$T/err" "badprov.txt: line 2"
expect 3 $EXANTE export copyright-policy --provider no-such-file --out bad5.md
expect 3 $EXANTE export copyright-policy --out no/such/dir/cp.md
ls bad1.md bad2.md bad3.md bad4.md bad5.md no 2>/dev/null && bad "a failed export wrote a file" || ok
EXANTE_DIR="$T/none" expect 2 $EXANTE export copyright-policy
expect 0 $EXANTE export copyright-policy --help
contains "$T/out" "usage: exante export copyright-policy"

finish
