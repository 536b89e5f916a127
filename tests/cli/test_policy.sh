# The policy engine end to end: a corpus with items under MIT, CC-BY-NC-4.0, MIT OR
# GPL-3.0-only and no license; a ToS-prohibited source and a licensed-agreement source;
# robots.txt captures (200, 503, 404) and a tdmrep.json from a WARC; tdm-reservation and noai
# in HTTP headers and HTML meta; an opted-out domain. Every decision and its rule is asserted,
# before and after reevaluate, and `policy check` errors name line and column.
. "$(dirname "$0")/lib.sh"
$EXANTE -q init --origin policy.example/log >/dev/null || bad init
echo "Terms: no machine learning." > tos.txt
echo "Licence agreement between us and them." > agreement.txt
expect 0 $EXANTE source add dump --kind public-dataset
expect 0 $EXANTE source add tos --kind crawl --ml-use prohibited --terms tos.txt
expect 0 $EXANTE source add licensed --kind licensed --agreement agreement.txt
expect 0 $EXANTE source add web --kind crawl

# the policy of ../shared/POLICY.md, verbatim
cat > p.policy <<'P'
# exante policy
name   commercial-lm-2026
agents GPTBot CCBot ClaudeBot Google-Extended   # robots.txt product tokens that bind us
near   0.8                                      # Jaccard threshold for near-duplicate matches

reject optout                 # a rights-holder opt-out matches: URL prefix, domain, digest, ISCC, or near-duplicate of an opted-out work
reject tdm-reserved           # W3C TDMRep reservation (tdmrep.json, header, or HTML meta) in force at fetch time
reject robots-disallowed      # RFC 9309: a rule for any of `agents` disallows the URL in the capture in force at fetch time
reject noai                   # X-Robots-Tag or <meta name="robots"> carries noai
reject source ml-use=prohibited
admit  source agreement       # the source has a recorded license agreement
reject license CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-NC-ND-4.0
admit  license MIT Apache-2.0 BSD-2-Clause BSD-3-Clause CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
P
expect 0 $EXANTE policy check p.policy
contains "$T/out" "ok, digest sha256:"
# errors name the line and column; unknown license ids are refused at check time
printf 'agents GPTBot\nreject robot-disallowed\n' > bad1.policy
expect 2 $EXANTE policy check bad1.policy
contains "$T/err" "bad1.policy:2:8:"
printf 'admit license MIT Foo-License\n' > bad2.policy
expect 2 $EXANTE policy check bad2.policy
contains "$T/err" "bad2.policy:1:"
contains "$T/err" "Foo-License"
printf 'admit license MIT GPL-2.0\nreject *\n' > dep.policy
expect 0 $EXANTE policy check dep.policy
contains "$T/err" "dep.policy: warning: line 1: 'GPL-2.0' is a deprecated SPDX id"
expect 3 $EXANTE policy check missing.policy
contains "$T/err" "cannot open 'missing.policy'"
expect 1 $EXANTE policy show
contains "$T/err" "no policy adopted yet"
expect 2 $EXANTE reevaluate
contains "$T/err" "no policy adopted yet: nothing to decide with"
# signals add: bad arguments and a malformed tdmrep.json are refused, nothing is logged
printf 'User-agent: *\nDisallow: /\n' > r.txt
expect 2 $EXANTE signals add --host x.example --fetched yesterday r.txt
contains "$T/err" "--fetched 'yesterday' is not an RFC 3339 time"
expect 2 $EXANTE signals add --host x.example --fetched 2025-01-01T00:00:00Z r.txt
contains "$T/err" "name it robots.txt or tdmrep.json, or give --kind"
expect 2 $EXANTE signals add --host x.example --fetched 2025-01-01T00:00:00Z --kind sitemap r.txt
contains "$T/err" "--kind must be robots or tdmrep"
printf '[{"location":"/x","tdm-reservation":1},{"tdm-reservation":0}]' > tdmrep.json
expect 2 $EXANTE signals add --host x.example --fetched 2025-01-01T00:00:00Z tdmrep.json
contains "$T/err" "tdmrep.json:"
expect 2 $EXANTE signals add --host x.example r.txt
contains "$T/err" "--host and --fetched go together"
expect 0 $EXANTE --json signals add --host x.example --fetched 2025-01-01T00:00:00Z --kind robots --status 503 r.txt
contains "$T/out" '"robots":1'

# --- a WARC of robots.txt / tdmrep.json captures, and one of pages ---
# rec TYPE URL DATE BLOCK : one WARC/1.1 record (BLOCK is an HTTP response)
rec() {
    local n; n=$(printf '%s' "$4" | wc -c)
    printf 'WARC/1.1\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\nWARC-Date: %s\r\nWARC-Record-ID: <urn:uuid:%s>\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n' \
        "$1" "$2" "$3" "$(printf '%s' "$2$3" | sha256sum | cut -c1-32)" "$n" "$4"
}
http() { # http STATUS "Header: v\r\n..." BODY
    printf 'HTTP/1.1 %s X\r\n%bContent-Length: %d\r\n\r\n%s' "$1" "$2" "$(printf '%s' "$3" | wc -c)" "$3"
}
CAP=2025-01-01T00:00:00Z
{
    rec response https://a.example/robots.txt $CAP "$(http 200 'Content-Type: text/plain\r\n' "$(printf 'User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /private/\n')")"
    rec response https://b.example/robots.txt $CAP "$(http 503 '' '')"
    rec response https://c.example/robots.txt $CAP "$(http 404 '' 'not found')"
    rec response https://a.example/.well-known/tdmrep.json $CAP "$(http 200 'Content-Type: application/json\r\n' '[{"location":"/reserved/*","tdm-reservation":1,"tdm-policy":"https://a.example/policy.json"}]')"
    rec response https://a.example/index.html $CAP "$(http 200 'Content-Type: text/html\r\n' '<html></html>')"
} > captures.warc
expect 0 $EXANTE --json signals add captures.warc
contains "$T/out" '"robots":3'
contains "$T/out" '"tdmrep":1'
contains "$T/out" '"ignored":1' # the page is not a capture
# a plain file needs --host and --fetched
expect 2 $EXANTE signals add p.policy
contains "$T/err" "give --host and --fetched"
printf 'User-agent: *\nDisallow: /\n' > robots.txt
expect 0 $EXANTE signals add --host e.example --fetched 2025-01-01T00:00:00Z robots.txt

# --- items ---
F=2025-06-01T00:00:00Z
cat > dump.jsonl <<J
{"text":"mit","url":"https://a.example/docs/1","license":"MIT","fetched":"$F"}
{"text":"nc","url":"https://a.example/docs/2","license":"CC-BY-NC-4.0","fetched":"$F"}
{"text":"mit or gpl","url":"https://a.example/docs/3","license":"MIT OR GPL-3.0-only","fetched":"$F"}
{"text":"none","url":"https://a.example/docs/4","fetched":"$F"}
{"text":"private","url":"https://a.example/private/5","license":"MIT","fetched":"$F"}
{"text":"reserved","url":"https://a.example/reserved/6","license":"MIT","fetched":"$F"}
{"text":"opted out","url":"https://www.optout.example/7","license":"MIT","fetched":"$F"}
{"text":"server error robots","url":"https://b.example/8","license":"MIT","fetched":"$F"}
{"text":"robots 404","url":"https://c.example/9","license":"MIT","fetched":"$F"}
{"text":"gpl only","url":"https://c.example/10","license":"GPL-3.0-only","fetched":"$F"}
{"text":"mit and nc","url":"https://c.example/11","license":"MIT AND CC-BY-NC-4.0","fetched":"$F"}
{"text":"fetched before the capture","url":"https://a.example/private/12","license":"MIT","fetched":"2024-06-01T00:00:00Z"}
{"text":"disallowed for all","url":"https://e.example/13","license":"MIT","fetched":"$F"}
J
echo '{"text":"tos text","url":"https://t.example/1","license":"MIT","fetched":"'$F'"}' > tos.jsonl
echo '{"text":"licensed text","fetched":"'$F'"}' > licensed.jsonl

# no policy yet: everything is pending, and the summary says so
expect 0 $EXANTE --json ingest --source dump dump.jsonl
contains "$T/out" '"pending":13'
contains "$T/out" '"by_rule":{"no-policy":13}'
expect 0 $EXANTE ingest --source dump dump.jsonl
contains "$T/out" "0 items"
expect 0 $EXANTE policy adopt p.policy
contains "$T/out" "adopted sha256:"
PD=$($EXANTE --json policy show | sed 's/.*"digest":"\([^"]*\)".*/\1/')
expect 0 $EXANTE policy show
contains "$T/out" "reject *  \"no lawful basis recorded\""
expect 0 $EXANTE --json reevaluate
contains "$T/out" '"admitted":5'
contains "$T/out" '"rejected":8'
expect 0 $EXANTE --json ingest --source tos tos.jsonl
contains "$T/out" '"by_rule":{"line:10":1}'
expect 0 $EXANTE --json ingest --source licensed licensed.jsonl
contains "$T/out" '"by_rule":{"line:11":1}'

# pages: noai and tdm-reservation in headers and meta, an agent-specific noai for another bot
H='Content-Type: text/html\r\n'
{
    rec response https://d.example/p1 $F "$(http 200 "${H}X-Robots-Tag: noai\r\n" '<html><head><title>1</title></head><body>one</body></html>')"
    rec response https://d.example/p2 $F "$(http 200 "$H" '<html><head><meta name="robots" content="noai, noimageai"></head><body>two</body></html>')"
    rec response https://d.example/p3 $F "$(http 200 "${H}tdm-reservation: 1\r\n" '<html><head></head><body>three</body></html>')"
    rec response https://d.example/p4 $F "$(http 200 "$H" '<html><head><meta name="tdm-reservation" content="1"></head><body>four</body></html>')"
    rec response https://d.example/p5 $F "$(http 200 "${H}X-Robots-Tag: otherbot: noai\r\n" '<html><head></head><body>five</body></html>')"
    rec response https://a.example/reserved/p6 $F "$(http 200 "${H}tdm-reservation: 0\r\n" '<html><head></head><body>six</body></html>')"
} > pages.warc
expect 0 $EXANTE --json ingest --source web pages.warc
contains "$T/out" '"items":6'

# every decision and its rule (latest decision per URL)
latest() { # latest URL : "verdict rule" of the URL's latest decision
    sql "$EXANTE_DIR/ledger.db" "SELECT json_extract(record(d.record),'\$.verdict')||' '||json_extract(record(d.record),'\$.rule') FROM decisions d JOIN items i ON i.id = d.key WHERE json_extract(record(i.record),'\$.url') = '$1' ORDER BY d.id DESC LIMIT 1"
}
is() { local got; got=$(latest "$1"); [ "$got" = "$2" ] && ok || bad "$1: got '$got', want '$2'"; }
is https://a.example/docs/1 "admit line:13"          # MIT
is https://a.example/docs/2 "reject line:12"         # CC-BY-NC-4.0
is https://a.example/docs/3 "admit line:13"          # MIT OR GPL-3.0-only: MIT will do
is https://a.example/docs/4 "reject line:14"         # no license: no lawful basis
is https://a.example/private/5 "reject line:8"       # robots.txt disallows GPTBot
is https://a.example/reserved/6 "reject line:7"      # tdmrep.json reserves /reserved/*
is https://www.optout.example/7 "admit line:13"      # no opt-out yet
is https://b.example/8 "reject line:8"               # robots.txt answered 503: disallow all
is https://c.example/9 "admit line:13"               # robots.txt answered 404: allow all
is https://c.example/10 "reject line:14"             # GPL-3.0-only: neither list
is https://c.example/11 "reject line:12"             # MIT AND CC-BY-NC-4.0: needs NC
is https://a.example/private/12 "admit line:13"      # fetched before the capture existed
is https://e.example/13 "reject line:8"              # Disallow: / for * (file capture)
is https://t.example/1 "reject line:10"              # ToS prohibits ML
is https://d.example/p1 "reject line:9"              # X-Robots-Tag: noai
is https://d.example/p2 "reject line:9"              # meta robots noai
is https://d.example/p3 "reject line:7"              # tdm-reservation: 1 header
is https://d.example/p4 "reject line:7"              # meta tdm-reservation 1
is https://d.example/p5 "reject line:14"             # noai for another bot only; no license
# tdmrep.json reserves /reserved/*, but the page's header says 0: TDMRep's processing priority
# lets the header supersede the file (docs/SIGNALS.md); no license then
is https://a.example/reserved/p6 "reject line:14"
L=$(sql "$EXANTE_DIR/ledger.db" "SELECT json_extract(record(d.record),'\$.verdict')||' '||json_extract(record(d.record),'\$.rule') FROM decisions d JOIN items i ON i.id = d.key WHERE json_extract(record(i.record),'\$.source') = 'licensed'")
[ "$L" = "admit line:11" ] && ok || bad "licensed source: got '$L'"

# why explains in plain words, with the evidence
expect 0 $EXANTE why https://a.example/private/5
contains "$T/out" "robots.txt of a.example fetched 2025-01-01T00:00:00Z, line 5: Disallow: /private/ (for GPTBot)"
expect 0 $EXANTE why https://a.example/reserved/6
contains "$T/out" "tdmrep.json of a.example fetched 2025-01-01T00:00:00Z"
expect 0 $EXANTE why https://d.example/p1
contains "$T/out" "X-Robots-Tag"
expect 0 $EXANTE --json why https://t.example/1
contains "$T/out" "source tos: ml-use=prohibited"
contains "$T/out" "\"policy\":\"$PD\""
cp "$T/out" why.json
expect 0 $EXANTE verify-proof why.json
# a decision names the capture it relied on (the digest of the capture's log entry)
E=$(sql "$EXANTE_DIR/ledger.db" "SELECT json_extract(record(d.record),'\$.evidence[0]') FROM decisions d JOIN items i ON i.id = d.key WHERE json_extract(record(i.record),'\$.url') = 'https://a.example/private/5' ORDER BY d.id DESC LIMIT 1")
C=$(sql "$EXANTE_DIR/ledger.db" "SELECT key FROM captures WHERE json_extract(record(record),'\$.host') = 'a.example' AND json_extract(record(record),'\$.kind') = 'robots.txt'")
$EXANTE log entry "$C" > cap.entry
[ "$E" = "sha256:$(sha256sum cap.entry | cut -d' ' -f1)" ] && ok || bad "robots evidence $E is not the capture entry's digest"

# decisions filter by verdict, rule and source
expect 0 $EXANTE decisions --rule line:7
[ "$(wc -l < "$T/out")" = 3 ] && ok || bad "decisions --rule line:7: $(wc -l < "$T/out") lines"
expect 0 $EXANTE decisions --verdict admit --source dump
[ "$(wc -l < "$T/out")" = 5 ] && ok || bad "decisions --verdict admit --source dump: $(wc -l < "$T/out")"

# an opt-out applies to later decisions; reevaluate records new ones and keeps the old
expect 0 $EXANTE optout add --domain optout.example --holder "Jane Doe" --evidence tos.txt
expect 0 $EXANTE optout list
contains "$T/out" '"scope":"domain"'
contains "$T/out" '"holder":"Jane Doe"'
expect 2 $EXANTE optout add --domain "not a domain"
expect 2 $EXANTE optout add --url-prefix https://x.example/ --domain x.example
n0=$(sql "$EXANTE_DIR/ledger.db" "SELECT count(*) FROM decisions")
expect 0 $EXANTE --json reevaluate
contains "$T/out" '"rejected":1'
contains "$T/out" '"by_rule":{"line:6":1}'
is https://www.optout.example/7 "reject line:6"
n1=$(sql "$EXANTE_DIR/ledger.db" "SELECT count(*) FROM decisions")
[ "$n1" = $((n0 + 1)) ] && ok || bad "reevaluate added $((n1 - n0)) decisions, want 1"
S=$(sql "$EXANTE_DIR/ledger.db" "SELECT json_extract(record(record),'\$.supersedes') FROM decisions ORDER BY id DESC LIMIT 1")
[ -n "$S" ] && ok || bad "the new decision names no superseded decision"
expect 0 $EXANTE why https://www.optout.example/7
contains "$T/out" "opt-out: domain optout.example by Jane Doe"
# nothing changed: a second reevaluate adds nothing
expect 0 $EXANTE --json reevaluate
contains "$T/out" '"admitted":0,"batches":0'
expect 0 $EXANTE log verify
contains "$T/out" "policies, captures and opt-outs match the log"
# rows the log commits to: an altered capture body, policy text or opt-out is caught
DB="$EXANTE_DIR/ledger.db"
cp "$DB" pristine.db
restore() { cp pristine.db "$DB"; rm -f "$DB-wal" "$DB-shm"; }
sql "$DB" "UPDATE captures SET record = json_set(record(record), '\$.body', 'VXNlci1hZ2VudDogKgo=') WHERE id = 1"
expect 1 $EXANTE log verify
contains "$T/err" "capture 1: its body does not hash to its digest"
restore
sql "$DB" "UPDATE optouts SET record = CAST(replace(record(record), 'Jane Doe', 'John Doe') AS BLOB)"
expect 1 $EXANTE log verify
contains "$T/err" "opt-out 1: differs from log entry"
restore
sql "$DB" "UPDATE policies SET record = CAST(replace(record(record), 'line:8', 'line:9') AS BLOB)"
expect 1 $EXANTE log verify
contains "$T/err" "policy 1: its canonical form does not hash to its digest"
restore
sql "$DB" "UPDATE policies SET record = CAST(replace(record(record), 'admit  license MIT', 'admit  license ISC') AS BLOB)"
expect 1 $EXANTE log verify
contains "$T/err" "policy 1: its text does not give its canonical form"
restore
expect 0 $EXANTE log verify
finish
