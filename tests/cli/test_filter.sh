#!/usr/bin/env bash
# exante filter, the training feed, end to end: ingest, opt-out, snapshot create, filter emits
# exactly the members byte for byte (checked by recomputing digests here), proofs of a member
# and a non-member verify, --from after an opt-out removes the opted-out content; compressed
# outputs; WARC records byte for byte (also one larger than the reader's buffer); file lists;
# a record changed since ingest; bad input.
. "$(dirname "$0")/lib.sh"
dig() { printf '%s' "$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'; }

$EXANTE -q init >/dev/null
$EXANTE -q source add s --kind other >/dev/null
printf 'reject optout\nadmit license MIT\nreject * "no lawful basis recorded"\n' > policy.txt
$EXANTE -q policy adopt policy.txt >/dev/null
# lines as a crawler writes them: escapes (the digest is over the decoded text), a CRLF
# ending, nested fields, a copy, a rejected license, a malformed line, a blank line
{
    printf '{"text":"alpha","url":"https://a.example/1","license":"MIT"}\n'
    printf '{"url":"https://b.example/2","text":"br\\u00e1vo \\"q\\"","license":"MIT","x":[1,{"y":2}]}\r\n'
    printf '{"text":"charlie","url":"https://c.example/3","license":"MIT"}\n'
    printf '{"text":"delta","url":"https://d.example/4","license":"GPL-3.0-only"}\n'
    printf '{"text":"alpha","url":"https://e.example/5","license":"MIT"}\n'
    printf '{"text":"echo\n'
    printf '\n'
    printf '{"text":"foxtrot","url":"https://f.example/6","license":"MIT"}'
} > corpus.jsonl
expect 0 $EXANTE -q ingest --source s corpus.jsonl
expect 0 $EXANTE -q snapshot create s1
$EXANTE -q optout add --domain b.example --holder "B Press" >/dev/null
expect 0 $EXANTE -q snapshot create s2
expect 0 $EXANTE -q snapshot create s3 --from s1

# what the feed must be: the input lines whose text's digest is a member, in order, byte for
# byte (the CRLF line keeps its CR), each ended by a newline
want_feed() { # SNAPSHOT INPUT
    $EXANTE snapshot export "$1" > members.txt
    python3 - members.txt "$2" <<'EOF'
import hashlib, json, sys
members = set(open(sys.argv[1]).read().split())
out = sys.stdout.buffer
for raw in open(sys.argv[2], 'rb').read().split(b'\n'):
    try:
        text = json.loads(raw)['text']
    except Exception:
        continue
    if 'sha256:' + hashlib.sha256(text.encode()).hexdigest() in members:
        out.write(raw + b'\n')
EOF
}
want_feed s1 corpus.jsonl > want-s1.jsonl
[ "$(wc -l < want-s1.jsonl)" = 5 ] && ok || bad "want-s1: $(cat want-s1.jsonl)"
expect 0 $EXANTE filter --snapshot s1 corpus.jsonl
cmp -s "$T/out" want-s1.jsonl && ok || bad "filter s1: $(cat "$T/out")"
contains "$T/err" "filter: 7 records: 5 passed, 1 not a member, 1 unreadable"
contains "$T/err" "offset 344: line 6: malformed JSON"
grep -q $'\r$' "$T/out" && ok || bad "the CRLF line lost its CR"
# the same, compressed: zstd and gzip inputs and outputs
zstd -q corpus.jsonl -o corpus.jsonl.zst && gzip -k corpus.jsonl
expect 0 $EXANTE -q filter --snapshot s1 corpus.jsonl.zst --out feed.jsonl.zst
zstd -dc feed.jsonl.zst | cmp -s - want-s1.jsonl && ok || bad "feed.jsonl.zst differs"
expect 0 $EXANTE -q filter --snapshot s1 corpus.jsonl.gz --out feed.jsonl.gz
gzip -dc feed.jsonl.gz | cmp -s - want-s1.jsonl && ok || bad "feed.jsonl.gz differs"
expect 0 $EXANTE --json filter --snapshot s1 corpus.jsonl --out feed.jsonl
cmp -s feed.jsonl want-s1.jsonl && ok || bad "feed.jsonl differs"
contains "$T/out" '"passed":5'
contains "$T/out" '"not_member":1'
contains "$T/out" '"unreadable":1'
contains "$T/out" '"records":7'
contains "$T/out" '"members":4'

# after the opt-out: s2 and s3 (--from s1) leave bravo out
for s in s2 s3; do
    want_feed "$s" corpus.jsonl > want.jsonl
    grep -q 'b.example' want.jsonl && bad "$s still holds bravo"
    expect 0 $EXANTE -q filter --snapshot "$s" corpus.jsonl
    cmp -s "$T/out" want.jsonl && ok || bad "filter $s: $(cat "$T/out")"
done
grep -q 'b.example' "$T/out" && bad "the opted-out line was passed" || ok
# proofs: alpha is a member of s3, bravo a member of s1 and not of s3
printf 'bravo' > /dev/null
printf '%s' 'alpha' > alpha.txt
expect 0 $EXANTE prove s3 --text-file alpha.txt
cp "$T/out" p-alpha.json
expect 0 $EXANTE verify-proof p-alpha.json
contains "$T/out" "member"
printf 'br\xc3\xa1vo "q"' > bravo.txt
expect 0 $EXANTE prove s3 --text-file bravo.txt
cp "$T/out" p-bravo.json
expect 0 $EXANTE verify-proof p-bravo.json
contains "$T/out" "non-member"
expect 0 $EXANTE prove s1 --text-file bravo.txt
cp "$T/out" p-bravo1.json
expect 0 $EXANTE verify-proof p-bravo1.json
grep -qx member "$T/out" && ok || bad "bravo in s1: $(cat "$T/out")"

# a record whose text changed since ingest is dropped, never passed
sed 's/charlie/charlie!/' corpus.jsonl > changed.jsonl
expect 0 $EXANTE filter --snapshot s1 changed.jsonl
grep -q 'charlie' "$T/out" && bad "a changed record was passed" || ok
contains "$T/err" "4 passed, 2 not a member"

# bad input: an unreadable input is counted and passed over, or stops the run with --strict
expect 0 $EXANTE filter --snapshot s1 missing.jsonl corpus.jsonl
cmp -s "$T/out" want-s1.jsonl && ok || bad "filter with a missing input"
contains "$T/err" "missing.jsonl: unreadable"
contains "$T/err" "1 inputs read, 1 unreadable"
expect 3 $EXANTE filter --snapshot s1 --strict missing.jsonl corpus.jsonl --out strict.jsonl
[ ! -e strict.jsonl ] && ls | grep -q 'strict.jsonl.tmp' && bad "a temporary was left" || ok
[ ! -e strict.jsonl ] && ok || bad "--strict made an output file"
expect 2 $EXANTE filter --snapshot s1 --strict corpus.jsonl --out strict.jsonl
contains "$T/err" "line 6: malformed JSON"
[ ! -e strict.jsonl ] && ok || bad "--strict made an output file"
expect 3 $EXANTE filter --snapshot s1 corpus.jsonl --out /nonexistent-dir/feed.jsonl
contains "$T/err" "cannot create '/nonexistent-dir/feed.jsonl'"
expect 2 $EXANTE filter --snapshot nosuch corpus.jsonl
contains "$T/err" "nosuch"
expect 2 $EXANTE filter corpus.jsonl
contains "$T/err" "--snapshot NAME is required"
expect 2 $EXANTE filter --snapshot s1
expect 2 $EXANTE filter --snapshot s1 --format xml corpus.jsonl
contains "$T/err" "--format is auto, files, jsonl or warc"
# --format jsonl reads a file without a .jsonl look as JSONL
cp corpus.jsonl corpus.data
expect 0 $EXANTE filter --snapshot s1 --format jsonl corpus.data
cmp -s "$T/out" want-s1.jsonl && ok || bad "filter --format jsonl"
expect 0 $EXANTE filter --help
contains "$T/out" "usage: exante filter"
mkdir -p docs && printf 'a doc' > docs/a.txt
expect 2 $EXANTE filter --snapshot s1 corpus.jsonl docs
contains "$T/err" "is files but the feed is JSONL"

# files: the feed is the member files' paths
mkdir -p tree/sub && printf 'one' > tree/a.txt && printf 'two' > tree/sub/b.txt &&
    printf 'three' > tree/c.txt
$EXANTE -q source add f --kind other >/dev/null
printf 'admit *\n' > all.txt
$EXANTE -q policy adopt all.txt >/dev/null
expect 0 $EXANTE -q ingest --source f tree
$EXANTE -q optout add --digest "$(dig two)" >/dev/null
expect 0 $EXANTE -q snapshot create files
printf 'four' > tree/d.txt # not ingested: not a member
expect 0 $EXANTE filter --snapshot files tree
printf 'tree/a.txt\ntree/c.txt\n' | cmp -s - "$T/out" && ok || bad "files feed: $(cat "$T/out")"
contains "$T/err" "4 records: 2 passed, 2 not a member"
# a member whose path holds a newline cannot be listed: unreadable, or the end with --strict
mkdir nl && printf 'one' > "nl/a
b.txt"
expect 0 $EXANTE filter --snapshot files nl
[ ! -s "$T/out" ] && ok || bad "a path with a newline was listed"
contains "$T/err" "its path holds a newline"
contains "$T/err" "1 records: 0 passed, 0 not a member, 1 unreadable"
expect 2 $EXANTE filter --snapshot files --strict nl

# WARC: records byte for byte, per-record gzip; checked by ingesting the feed into a new
# ledger, whose snapshot must be the filtered one
$EXANTE -q sample --out sample >/dev/null
export EXANTE_DIR="$T/warc-ledger"
$EXANTE -q init >/dev/null
$EXANTE -q source add web --kind crawl >/dev/null
$EXANTE -q policy adopt all.txt >/dev/null
expect 0 $EXANTE -q ingest --source web sample/crawl.warc.gz
$EXANTE -q optout add --domain blog.example.org >/dev/null
expect 0 $EXANTE -q snapshot create w
$EXANTE snapshot export w > w.txt
expect 0 $EXANTE --json filter --snapshot w sample/crawl.warc.gz --out feed.warc.gz
contains "$T/out" '"unreadable":2'
npassed=$(sed 's/.*"passed":\([0-9]*\).*/\1/' "$T/out")
gzip -t feed.warc.gz && ok || bad "feed.warc.gz is not gzip"
python3 - sample/crawl.warc.gz feed.warc.gz "$npassed" <<'EOF' && ok || bad "WARC feed records"
import gzip, sys, zlib
src = gzip.open(sys.argv[1]).read()
raw = open(sys.argv[2], 'rb').read()
# one gzip member per record: decompress member by member
recs, pos = [], 0
while pos < len(raw):
    d = zlib.decompressobj(31)
    recs.append(d.decompress(raw[pos:]))
    pos = len(raw) - len(d.unused_data)
assert len(recs) == int(sys.argv[3]), (len(recs), sys.argv[3])
at = 0
for r in recs:
    assert r.startswith(b'WARC/1.') and r.endswith(b'\r\n\r\n'), r[:40]
    assert b'blog.example.org' not in r.split(b'\r\n\r\n')[0], 'an opted-out record was passed'
    i = src.find(r, at)
    assert i >= 0, 'a record not byte for byte in the input, or out of order'
    at = i + len(r)
EOF
export EXANTE_DIR="$T/feed-ledger"
$EXANTE -q init >/dev/null
$EXANTE -q source add web --kind crawl >/dev/null
$EXANTE -q policy adopt all.txt >/dev/null
expect 0 $EXANTE -q ingest --source web feed.warc.gz
expect 0 $EXANTE -q snapshot create again
$EXANTE snapshot export again > again.txt
cmp -s w.txt again.txt && ok || bad "the WARC feed's members are not the snapshot's"

# a record larger than the reader's 4 MiB buffer comes through the second stream
python3 - <<'EOF'
import random
random.seed(7)
def rec(uri, body):
    h = ('WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: %s\r\n'
         'WARC-Record-ID: <urn:uuid:%s>\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n'
         'Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n' % (uri, uri[-12:].rjust(12, '0'), len(body)))
    return h.encode() + body + b'\r\n\r\n'
big = bytes(random.getrandbits(8) for _ in range(5 << 20))
with open('big.warc', 'wb') as f:
    f.write(rec('https://x.example/000000000001', b'small one'))
    f.write(rec('https://x.example/000000000002', big))
    f.write(rec('https://y.example/000000000003', b'small two'))
    f.write(rec('https://x.example/000000000004', b'small three'))
EOF
expect 0 $EXANTE -q ingest --source web big.warc
$EXANTE -q optout add --domain y.example >/dev/null
expect 0 $EXANTE -q snapshot create big
expect 0 $EXANTE filter --snapshot big big.warc --out big-feed.warc
contains "$T/out" "4 records: 3 passed, 1 not a member"
python3 - big.warc big-feed.warc <<'EOF' && ok || bad "big WARC feed"
import sys
src = open(sys.argv[1], 'rb').read()
recs = src.split(b'WARC/1.1\r\n')[1:]
want = b''.join(b'WARC/1.1\r\n' + r for r in recs if b'y.example' not in r)
assert open(sys.argv[2], 'rb').read() == want
EOF
expect 0 $EXANTE log verify

finish
