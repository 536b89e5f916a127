#!/usr/bin/env bash
# Access-restricted content (GPAI Code of Practice, copyright measure 1.2: no circumvention of
# paywalls and logins): rule `access-restricted` matches a capture answered 401, 402 or 403,
# at ingest and at reevaluate, and nothing else (200, 404, a non-HTTP item).
. "$(dirname "$0")/lib.sh"

# a WARC of five responses, each record gzipped on its own
python3 - crawl.warc.gz <<'PY'
import gzip, sys
def rec(i, url, status, reason, body):
    http = ("HTTP/1.1 %d %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
            % (status, reason, len(body))).encode() + body
    head = ("WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: %s\r\n"
            "WARC-Date: 2026-05-01T00:00:0%dZ\r\n"
            "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-00000000000%d>\r\n"
            "Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n"
            % (url, i, i, len(http))).encode()
    return gzip.compress(head + http + b"\r\n\r\n")
out = rec(1, "https://open.example/a", 200, "OK", b"<html><body>open page</body></html>")
out += rec(2, "https://paper.example/b", 402, "Payment Required", b"<html><body>subscribe</body></html>")
out += rec(3, "https://login.example/c", 401, "Unauthorized", b"<html><body>log in</body></html>")
out += rec(4, "https://deny.example/d", 403, "Forbidden", b"<html><body>forbidden</body></html>")
out += rec(5, "https://gone.example/e", 404, "Not Found", b"<html><body>not found</body></html>")
open(sys.argv[1], "wb").write(out)
PY
printf '{"text":"a plain text item","url":"https://txt.example/1"}\n' > corpus.jsonl
printf 'reject access-restricted "paywalls and logins are not circumvented"\nadmit *\n' > policy.txt

# verdicts: "item verdict rule" per item, its latest decision, in item order
verdicts() {
    $EXANTE decisions >dec.jsonl || bad "decisions"
    python3 - dec.jsonl <<'PY'
import json, sys
last = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    last[d["item"]] = (d["verdict"], d["rule"], d["reason"])
for k in sorted(last):
    print(k, *last[k][:2])
PY
}

$EXANTE -q init >/dev/null
$EXANTE -q source add web --kind crawl >/dev/null
expect 0 $EXANTE policy check policy.txt
expect 0 $EXANTE -q policy adopt policy.txt
expect 0 $EXANTE -q ingest --source web crawl.warc.gz corpus.jsonl
verdicts >got
printf '%s\n' "1 admit line:2" "2 reject line:1" "3 reject line:1" "4 reject line:1" \
    "5 admit line:2" "6 admit line:2" >want
diff got want >/dev/null && ok || bad "ingest: $(cat got)"
expect 0 $EXANTE --json why https://deny.example/d
contains "$T/out" "HTTP 403 when fetched: access-restricted"
contains "$T/out" "paywalls and logins are not circumvented"

# the same decided later: pending at ingest, then reevaluate
export EXANTE_DIR="$T/ledger2"
$EXANTE -q init >/dev/null
$EXANTE -q source add web --kind crawl >/dev/null
expect 0 $EXANTE -q ingest --source web crawl.warc.gz corpus.jsonl
expect 0 $EXANTE -q policy adopt policy.txt
expect 0 $EXANTE -q reevaluate
verdicts >got
diff got want >/dev/null && ok || bad "reevaluate: $(cat got)"
expect 0 $EXANTE log verify

# a typo gets a suggestion; the condition takes no arguments
printf 'reject acess-restricted\nadmit *\n' > typo.txt
expect 2 $EXANTE policy check typo.txt
contains "$T/err" "access-restricted"
printf 'reject access-restricted 403\nadmit *\n' > args.txt
expect 2 $EXANTE policy check args.txt

finish
