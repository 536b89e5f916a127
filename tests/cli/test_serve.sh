#!/usr/bin/env bash
# exante serve on loopback (docs/SERVER.md): every endpoint against the CLI's own answers
# (byte for byte), tiles against `log tiles`, proofs fetched over HTTP checked offline,
# submissions with receipts verified and their entries proved in the log, reviews, partner
# tokens and SIGHUP, rate limits, request limits, a read-only server, the dashboard in headless
# chromium, and SIGTERM finishing an open request before exiting 0.
. "$(dirname "$0")/lib.sh"

PIDS=()
stop_all() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    lib_exit
}
trap stop_all EXIT

# start NAME [OPTIONS...] : exante serve on a free port; its URL in $U, pid in $PID
start() {
    local name=$1
    shift
    $EXANTE serve --listen 127.0.0.1:0 "$@" >"$name.url" 2>"$name.err" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 1 100); do [ -s "$name.url" ] && break; sleep 0.05; done
    U=$(head -n 1 "$name.url")
    U=${U%/}
    [ -n "$U" ] && ok || bad "serve $* did not start: $(cat "$name.err")"
}
# get PATH [CURL OPTIONS...] : GET into body, status into $S, headers into hdr
get() {
    local p=$1
    shift
    S=$(curl -s --path-as-is -D hdr -o body -w '%{http_code}' "$@" "$U$p")
}
# post PATH BODY [CURL OPTIONS...] : a JSON POST
post() {
    local p=$1 b=$2
    shift 2
    S=$(curl -s -D hdr -o body -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "$b" "$@" "$U$p")
}
status() { [ "$S" = "$1" ] && ok || bad "$2: status $S, want $1: $(head -c 300 body)"; }
# same_as WHAT CMD... : the last body is byte for byte what CMD prints
same_as() {
    local what=$1
    shift
    "$@" >want 2>/dev/null
    cmp -s body want && ok || bad "$what: the body differs from '$*': $(head -c 200 body) / $(head -c 200 want)"
}
# json FILE PYTHON-EXPRESSION : the expression over j (FILE's JSON) is true
json() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
j = json.loads(open(sys.argv[1]).read())
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
    [ $? -eq 0 ] && ok || bad "$1: not ($2): $(head -c 400 "$1")"
}
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v, end="")' "$1" "$2"; }
logsize() { $EXANTE log checkpoint | sed -n 2p; }

# ---- a ledger: items, captures enough for full tiles, a snapshot, a model, an opt-out ----
$EXANTE -q init --origin serve.example/log >/dev/null
$EXANTE -q source add web --kind crawl >/dev/null
printf 'reject optout\nadmit license MIT\nreject * "no lawful basis recorded"\n' > policy.txt
$EXANTE -q policy adopt policy.txt >/dev/null
{
    printf '{"text":"alpha","url":"https://a.example/1","license":"MIT"}\n'
    printf '{"text":"bravo","url":"https://b.example/2","license":"MIT"}\n'
    printf '{"text":"charlie","url":"https://c.example/3","license":"GPL-3.0-only"}\n'
    printf '{"text":"the quick brown fox jumps over the lazy dog near the river bank today","url":"https://d.example/4","license":"MIT"}\n'
} > corpus.jsonl
expect 0 $EXANTE -q ingest --source web corpus.jsonl
mkdir caps
for i in $(seq 1 300); do printf 'User-agent: *\nDisallow: /p%d\n' "$i" > "caps/$i.txt"; done
expect 0 $EXANTE -q signals add --host caps.example --fetched 2026-06-01T00:00:00Z --kind robots caps/*.txt
expect 0 $EXANTE -q snapshot create s1
mkdir base
head -c 5000 /dev/urandom > base/model.safetensors
expect 0 $EXANTE -q attest run --snapshot s1 --weights base --name base --out base.env
$EXANTE -q --json optout add --domain b.example --holder "B Press" >optout.json
OPT=$(field optout.json index)
A=sha256:$(printf 'alpha' | sha256sum | cut -d' ' -f1)
C=sha256:$(printf 'charlie' | sha256sum | cut -d' ' -f1)
cp "$EXANTE_DIR/vkey" vkey

# usage and setup errors, before anything listens
expect 2 $EXANTE serve --listen nonsense
contains "$T/err" "--listen wants HOST:PORT"
expect 2 $EXANTE serve --threads 999
expect 2 $EXANTE serve --bogus
EXANTE_DIR="$T/none" expect 2 $EXANTE serve --listen 127.0.0.1:0
contains "$T/err" "no ledger"
expect 2 $EXANTE model show nope
expect 2 $EXANTE optout review 999999 accept
contains "$T/err" "no submission 999999"
expect 2 $EXANTE optout review 1 maybe
expect 2 $EXANTE token revoke nobody
contains "$T/err" "has no token"

start main --rate-limit 2

# ---- the log: checkpoint, tiles byte for byte as `log tiles` writes them ----
get /checkpoint
status 200 checkpoint
same_as checkpoint $EXANTE log checkpoint
$EXANTE -q log tiles --out tiles >/dev/null
ntiles=0
while read -r f; do
    get "/${f#tiles/}"
    if [ "$S" = 200 ] && cmp -s body "$f"; then ok; else bad "tile ${f#tiles/}: $S, differs"; fi
    ntiles=$((ntiles + 1))
done < <(find tiles/tile -type f | sort)
[ "$ntiles" -ge 5 ] && ok || bad "only $ntiles tiles exported"
# keep-alive: two tiles over one connection (a response queued before the request was whole
# made libmicrohttpd close every connection)
n=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$U/tile/0/000" "$U/tile/0/000" | paste -sd,)
[ "$n" = "1,0" ] && ok || bad "two requests took connections $n, want 1,0"
get /tile/0/000
grep -qi '^cache-control: public, max-age=31536000, immutable' hdr && ok || bad "a full tile is not immutable: $(cat hdr)"
get /tile/entries/000
status 200 "a full entries tile"
cmp -s body tiles/tile/entries/000 && ok || bad "entries/000 differs"
P=$(cd tiles && find tile/0 -path '*.p/*' -type f | head -n 1)
get "/$P"
grep -qi '^cache-control: public, max-age=60' hdr && ok || bad "a partial tile: $(grep -i cache-control hdr)"
# a narrower partial tile of a past size is the prefix of the tile
get /tile/0/001.p/3
status 200 "a partial tile of a past size"
[ "$(wc -c <body)" = 96 ] && ok || bad "tile 0/001.p/3 has $(wc -c <body) bytes"
for p in /tile/0/x000/000 /tile/0/000.p/0 /tile/0/000.p/256 /tile/9/000 /tile/0/../../vkey \
    /tile/0/%2e%2e/x /tile/entries/999 /tile/0/abc /tile//000; do
    get "$p"
    status 404 "tile path $p"
    json body "j['code'] == 'not_found' and j['status'] == 404"
done

# ---- the read API: what the CLI prints with --json ----
get "/v1/why?digest=$A"
status 200 why
same_as "why digest" $EXANTE --json why "$A"
get "/v1/why?url=https://c.example/3"
same_as "why url" $EXANTE --json why https://c.example/3
get "/v1/why?digest=sha256:00"
status 400 "why with a bad digest"
get "/v1/why?digest=sha256:$(printf '%064d' 0)"
status 404 "why of content never seen"
get /v1/snapshots
status 200 snapshots
same_as snapshots $EXANTE --json snapshot list
grep -qi '^content-type: application/jsonl' hdr && ok || bad "a listing is not JSONL"
get /v1/snapshots/s1
same_as "snapshot show" $EXANTE --json snapshot show s1
get /v1/snapshots/nope
status 404 "an unknown snapshot"
get "/v1/snapshots/s1/prove?digest=$A"
status 200 "prove a member"
same_as "prove" $EXANTE prove s1 --digest "$A"
cp body member.json
expect 0 $EXANTE verify-proof member.json --vkey vkey
contains "$T/out" member
get "/v1/snapshots/s1/prove?digest=$C"
cp body nonmember.json
expect 0 $EXANTE verify-proof nonmember.json --vkey vkey
contains "$T/out" non-member
# the same, cached, and by POSTing the content
get "/v1/snapshots/s1/prove?digest=$A"
cmp -s body member.json && ok || bad "a cached proof differs"
S=$(curl -s -D hdr -o body -w '%{http_code}' --data-binary 'alpha' "$U/v1/snapshots/s1/prove")
status 200 "POST a work to prove"
grep -qi '^x-exante-answer: member' hdr && ok || bad "POST prove: $(cat hdr)"
cmp -s body member.json && ok || bad "POST prove differs from GET"
printf 'the quick brown fox jumps over the lazy dog near the river bank' > work.txt
S=$(curl -s -D hdr -o body -w '%{http_code}' --data-binary @work.txt "$U/v1/snapshots/s1/prove?near=1")
status 200 "POST a near-dup proof"
cp body near.json
grep -qi '^x-exante-answer: near-duplicate' hdr && ok || bad "near: $(grep -i x-exante hdr)"
$EXANTE prove s1 --text-file work.txt --near >want 2>/dev/null
cmp -s near.json want && ok || bad "the near proof differs from the CLI's"
get /v1/models
same_as models $EXANTE --json models
get /v1/models/base/lineage
same_as lineage $EXANTE --json lineage base
get /v1/models/nope/lineage
status 404 "an unknown model"
MID=$($EXANTE --json models | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["model"][7:])')
get "/v1/models/$MID"
same_as "a model by the hex of its id (the exports' IRI)" $EXANTE --json lineage base
get "/v1/impact?digest=$A"
same_as "impact digest" $EXANTE --json impact --digest "$A"
get "/v1/impact?optout=$OPT"
same_as "impact optout" $EXANTE --json impact --optout "$OPT"
get "/v1/impact?url=https://a.example/1"
same_as "impact url" $EXANTE --json impact --url https://a.example/1
get "/v1/impact"
status 400 "impact without a query"
get /v1/attestations/base
status 200 attestation
printf '%s' "$(cat base.env)" >want && printf '%s' "$(cat body)" >got
cmp -s got want && ok || bad "the attestation differs from attest run's envelope"
same_as "attestation" $EXANTE model show base
get "/v1/attestations/$($EXANTE --json models | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["log_index"])')"
same_as "attestation by index" $EXANTE model show base
get /v1/attestations/nope
status 404 "an unknown attestation"
get /v1/vkey
cmp -s body vkey && ok || bad "vkey"
get /v1/nothing
status 404 "an unknown path"
json body "j['code'] == 'not_found'"
for p in '/tile/0/000%00' '/v1/snapshots/s1%00/prove?digest=x' "/v1/why?url=https://a.example/1%00x"; do
    get "$p"
    status 400 "an encoded NUL in $p"
done
S=$(curl -s -o body -w '%{http_code}' -X DELETE "$U/v1/snapshots")
status 405 DELETE

# ---- submissions: receipts, the log, reviews ----
SIZE0=$(logsize)
post /v1/optouts '{"holder":"Jane Doe","contact":"jane@example.org","scope":{"url_prefix":"https://a.example/"},"note":"my site"}'
status 201 "a public opt-out request"
cp body r1.json
json r1.json "j['status'] == 'unverified' and j['kind'] == 'optout' and j['id'] == $SIZE0"
field r1.json receipt >receipt1
expect 0 $EXANTE verify-receipt receipt1 --vkey vkey
contains "$T/out" "receipt verified: optout $SIZE0"
# the submission's digest is that of its canonical JSON, recomputed here
python3 - r1.json <<'EOF' && ok || bad "the submission digest is not the canonical body's"
import hashlib, json, sys
body = {"holder": "Jane Doe", "contact": "jane@example.org",
        "scope": {"url_prefix": "https://a.example/"}, "note": "my site"}
c = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
sys.exit(0 if json.load(open(sys.argv[1]))["submission"] == "sha256:" + hashlib.sha256(c).hexdigest() else 1)
EOF
sed 's/kind optout/kind complaint/' receipt1 >forged
expect 1 $EXANTE verify-receipt forged --vkey vkey
printf 'not a receipt\n' >junk
expect 2 $EXANTE verify-receipt junk --vkey vkey
ID=$(field r1.json id)
get "/v1/optouts/$ID"
status 200 "the request's status"
json body "j['status'] == 'unverified' and j['entry']['value'] == 'https://a.example/' and 'body' not in j"
grep -q 'jane@example.org' body && bad "the public status shows the contact" || ok
get "/v1/optouts/$ID/proof"
cp body incl.json
expect 0 $EXANTE verify-proof incl.json --vkey vkey
expect 0 $EXANTE log entry "$ID"
json "$T/out" "j['type'] == 'submission' and j['submission'] == '$(field r1.json submission)'"
grep -q 'jane@example.org\|Jane Doe' "$T/out" && bad "the log entry names who asked" || ok
expect 0 $EXANTE optout requests --status unverified
json "$T/out" "j['id'] == $ID and j['body']['contact'] == 'jane@example.org'"
# a review: the opt-out is logged, naming the request; reevaluate applies it
expect 0 $EXANTE --json optout review "$ID" accept --reason "ownership shown"
json "$T/out" "j['decision'] == 'accept' and isinstance(j['optout'], int)"
expect 2 $EXANTE optout review "$ID" reject
contains "$T/err" "accepted already"
expect 0 $EXANTE -q reevaluate
expect 0 $EXANTE --json why https://a.example/1
json "$T/out" "j['verdict'] == 'reject' and j['rule'] == 'line:1'"
sleep 0.3 # the server's watcher sees the log grow
get "/v1/optouts/$ID"
json body "j['status'] == 'accepted' and j['review']['decision'] == 'accept' and isinstance(j['optout'], int)"
# a complaint; ids of one kind are not found as the other
post /v1/complaints '{"contact":"c@example.org","message":"you trained on my poem","subject":{"url":"https://a.example/1"}}'
status 201 complaint
CID=$(field body id)
json body "j['status'] == 'received' and j['kind'] == 'complaint'"
get "/v1/complaints/$CID"
status 200 "a complaint's status"
get "/v1/optouts/$CID"
status 404 "a complaint read as an opt-out"
get "/v1/optouts/999999"
status 404 "an unknown submission"
# the rate limit (2 a minute here): the third public submission from this address waits
post /v1/optouts '{"holder":"X","contact":"x@example.org","scope":{"domain":"c.example"}}'
status 429 "a third public submission in a minute"
grep -qi '^retry-after:' hdr && ok || bad "429 without Retry-After"
json body "j['code'] == 'rate_limited'"
expect 0 $EXANTE log verify
contains "$T/out" "submissions and reviews match the log"

# ---- partner tokens: SIGHUP loads them; a partner's request takes effect at once ----
expect 0 $EXANTE token add --help
contains "$T/out" "usage: exante token"
expect 2 $EXANTE token add -x
expect 0 $EXANTE token list
[ -s "$T/out" ] && bad "token add --help or -x made a token: $(cat "$T/out")" || ok
$EXANTE -q token add registry-1 >token
TOK=$(cat token)
[ "${#TOK}" = 71 ] && ok || bad "a token of ${#TOK} characters"
expect 0 $EXANTE token list
grep -q "$TOK" "$T/out" && bad "token list shows the token" || ok
expect 2 $EXANTE token add registry-1
contains "$T/err" "has a token already"
kill -HUP "$PID"
sleep 0.5
post /v1/optouts '{"holder":"Reg","contact":"ops@registry.example","scope":{"digest":"'"$C"'"}}' \
    -H "Authorization: Bearer $TOK"
status 201 "a partner's opt-out"
json body "j['status'] == 'accepted' and isinstance(j['optout'], int)"
post /v1/optouts '{"holder":"Reg","contact":"ops@registry.example","scope":{"digest":"'"$C"'"}}' \
    -H "Authorization: Bearer exante_$(printf '%064d' 7)"
status 401 "a token that is not a partner's"
expect 0 $EXANTE token revoke registry-1
kill -HUP "$PID"
sleep 0.5
post /v1/optouts '{"holder":"Reg","contact":"ops@registry.example","scope":{"domain":"d.example"}}' \
    -H "Authorization: Bearer $TOK"
status 401 "a revoked token"

# ---- bad requests write nothing ----
SIZE1=$(logsize)
post /v1/optouts '{"holder":"A","contact":"a@b.c","scope":{"domain":"x.example"},"evil":1}' -H "Authorization: Bearer x"
status 401 "a malformed Authorization"
start strict --rate-limit 100 --max-body 2000
post /v1/optouts '{"holder":"A",
"contact":' 
status 400 "truncated JSON"
json body "'line 2' in j['message']"
post /v1/optouts '{"holder":"A","contact":"a@b.c","scope":{"domain":"x.example"},"evil":1}'
status 400 "an unknown key"
json body "j['message'] == \"unknown key 'evil'\""
post /v1/optouts '{"holder":"A","contact":"a@b.c","scope":{"domain":"x.example","digest":"'"$A"'"}}'
status 400 "two scopes"
S=$(curl -s -o body -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary '{}' "$U/v1/optouts")
status 415 "not JSON"
head -c 5000 /dev/zero | tr '\0' a >big
S=$(curl -s -o body -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @big "$U/v1/optouts")
status 413 "a body over --max-body"
hdrs=()
for i in $(seq 1 70); do hdrs+=(-H "X-Junk-$i: $i"); done
get /checkpoint "${hdrs[@]}"
status 431 "70 header lines"
get /checkpoint -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' b)"
case "$S" in 413 | 414 | 431) ok ;; *) bad "a 40 KB header: $S" ;; esac
[ "$(logsize)" = "$SIZE1" ] && ok || bad "a refused request wrote to the log"
start ro --read-only
post /v1/optouts '{"holder":"A","contact":"a@b.c","scope":{"domain":"x.example"}}'
status 405 "a read-only server takes no submissions"
json body "j['code'] == 'read_only'"
get "/v1/why?digest=$A"
status 200 "a read-only server reads"

# ---- many requests at once over a small cache (256 slots for 1 MiB: keys share slots), each
# answer the same as the first of its URL; threads race on the shared slots ----
start small --cache-mb 1
find tiles/tile -type f | sed 's|^tiles||' >urls
for i in $(seq 1 300); do
    printf '/v1/snapshots/s1/prove?digest=sha256:%064x\n' "$i"
done >>urls
python3 - "$U" urls <<'EOF2' && ok || bad "concurrent requests over a small cache"
import sys, threading, urllib.request
base, urls = sys.argv[1], open(sys.argv[2]).read().split()
first, bad, lock = {}, [], threading.Lock()
def work(k):
    for i in range(6):
        u = urls[(k * 7 + i * 131) % len(urls)] if i else urls[k % len(urls)]
        for _ in range(4):
            with urllib.request.urlopen(base + u) as r:
                b = r.read()
            with lock:
                if first.setdefault(u, b) != b:
                    bad.append(u)
ts = [threading.Thread(target=work, args=(k,)) for k in range(len(urls))]
for i in range(0, len(ts), 16):
    for t in ts[i:i + 16]: t.start()
    for t in ts[i:i + 16]: t.join()
print("%d urls, %d differing" % (len(first), len(bad)), file=sys.stderr)
sys.exit(1 if bad or len(first) < 300 else 0)
EOF2
kill -0 "$PID" 2>/dev/null && ok || bad "the server died under concurrent requests: $(tail -3 small.err)"

# ---- the dashboard: HTML, search, in headless chromium ----
U=$(head -n 1 main.url)
U=${U%/}
get /
status 200 dashboard
grep -qi '^content-type: text/html' hdr && ok || bad "the dashboard is not HTML"
grep -q '<script' body && bad "the dashboard has a script" || ok
grep -q 'action="/search"' body && ok || bad "the dashboard has no search form"
get "/search?q=https://c.example/3"
status 200 search
grep -q 'data-k="verdict">reject' body && ok || bad "search by URL: no verdict"
S=$(curl -s -o body -w '%{http_code}' --data-urlencode 'text=alpha' "$U/search")
status 200 "search a pasted text"
grep -q 'data-k="member:s1">member' body && ok || bad "search by text: not a member of s1"
if command -v chromium >/dev/null 2>&1; then
    ITEMS=$($EXANTE report --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"])')
    timeout 60 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$T/chr" \
        --window-size=1280,1600 --screenshot="$T/dash.png" "$U/" >/dev/null 2>&1
    timeout 60 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$T/chr" \
        --dump-dom "$U/" >dom.html 2>/dev/null
    python3 - "$T/dash.png" <<'EOF' && ok || bad "the dashboard's screenshot is blank"
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
i, idat, w = 8, b"", 0
while i < len(d):
    n, t = struct.unpack(">I4s", d[i:i + 8])
    if t == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", d[i + 8:i + 18])
    if t == b"IDAT":
        idat += d[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(idat)
bpp = 4 if ctype == 6 else 3
stride = w * bpp + 1
# unfiltered bytes are enough to tell a blank page: count distinct rows and non-white bytes
rows = set(raw[r * stride + 1:(r + 1) * stride] for r in range(len(raw) // stride))
sys.exit(0 if len(rows) > 20 else 1)
EOF
    grep -q "data-k=\"items\">$ITEMS<" dom.html && ok || bad "the DOM lacks items = $ITEMS"
    SNAP=$($EXANTE --json snapshot show s1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')
    grep -q "data-k=\"snapshot:s1:size\">$SNAP<" dom.html && ok || bad "the DOM lacks snapshot s1's size $SNAP"
else
    echo "chromium missing: the dashboard's screenshot is not checked" >&2
    bad "chromium is not installed (scripts/install-deps.sh installs it)"
fi

# ---- SIGTERM: an open request (a proof of a work sent slowly) finishes, then the server
# exits 0 ----
python3 - "$U" <<'EOF' >drain.out &
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port))
body = b"alpha"
s.sendall(b"POST /v1/snapshots/s1/prove HTTP/1.1\r\nHost: x\r\n"
          b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body[:2])
open("drain.started", "w").close()
time.sleep(1.5)
s.sendall(body[2:])
print(s.recv(4096).split(b"\r\n")[0].decode())
EOF
DRAIN=$!
for _ in $(seq 1 100); do [ -e drain.started ] && break; sleep 0.05; done
MAINPID=${PIDS[0]}
kill -TERM "$MAINPID"
sleep 0.3
curl -s -m 2 -o /dev/null "$U/checkpoint" && bad "a new connection was taken after SIGTERM" || ok
wait "$DRAIN"
contains drain.out "200"
wait "$MAINPID"
rc=$?
[ "$rc" = 0 ] && ok || bad "serve exited $rc after SIGTERM"
contains main.err "stopped"
expect 0 $EXANTE log verify

finish
