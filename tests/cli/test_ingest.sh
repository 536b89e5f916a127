# exante ingest end to end: files, JSONL (plain, .gz, .zst), WARC samples; duplicates,
# quarantine, --strict, re-runs, resuming after kill -9, why and its offline proof.
. "$(dirname "$0")/lib.sh"
$EXANTE -q init --origin ingest.example/log >/dev/null || bad init
VKEY=$(cat "$EXANTE_DIR/vkey")
expect 0 $EXANTE source add web --kind crawl
expect 0 $EXANTE source add dump --kind public-dataset --license CC-BY-4.0

# no source, unknown source
mkdir docs; echo "alpha" > docs/a.txt; echo "beta" > docs/b.txt; echo "alpha" > docs/c.txt
mkdir docs/sub; echo "gamma" > docs/sub/d.txt
expect 2 $EXANTE ingest docs
contains "$T/err" "--source NAME is required"
expect 2 $EXANTE ingest --source nope docs
contains "$T/err" "no source 'nope'"
expect 3 $EXANTE ingest --source web missing-dir
contains "$T/err" "cannot open 'missing-dir'"

# a file tree: 4 files, one a copy
expect 0 $EXANTE --json ingest --source web docs
# no policy is adopted: first occurrences are pending, copies duplicates (test_policy.sh decides)
for k in '"items":4' '"admitted":0' '"pending":3' '"duplicates":1' '"quarantined":0' '"rejected":0' '"by_rule":{"duplicate":1,"no-policy":3}' '"checkpoint":{"root":'; do contains "$T/out" "$k"; done
expect 0 $EXANTE decisions --verdict duplicate
[ "$(wc -l < "$T/out")" = 1 ] && ok || bad "one duplicate decision"
contains "$T/out" '"copy_of":1'
# a re-run adds nothing
expect 0 $EXANTE --json ingest --source web docs
contains "$T/out" '"items":0'
contains "$T/out" '"skipped":4'
expect 0 $EXANTE decisions
[ "$(wc -l < "$T/out")" = 4 ] && ok || bad "re-run added decisions"

# why, in words and as an offline proof
D=sha256:$(sha256sum docs/b.txt | cut -d' ' -f1)
expect 0 $EXANTE why "$D"
contains "$T/out" "verdict  pending by rule no-policy"
contains "$T/out" "docs/b.txt"
expect 0 $EXANTE --json why "$D"
cp "$T/out" why.json
for k in "\"digest\":\"$D\"" '"verdict":"pending"' '"rule":"no-policy"' '"source":"web"' '"log_index":' '"proof":{'; do contains why.json "$k"; done
expect 0 $EXANTE verify-proof why.json --vkey "$VKEY"
contains "$T/out" "decision pending"
expect 1 $EXANTE why sha256:0000000000000000000000000000000000000000000000000000000000000000
# a digest with copies: the first occurrence answers (its decision decides the content), found
# through the duplicate index the ingest saved, and the same without it (a pass over the items)
A=sha256:$(sha256sum docs/a.txt | cut -d' ' -f1)
[ -f "$EXANTE_DIR/dedup/manifest" ] && ok || bad "ingest saved no duplicate index"
expect 0 $EXANTE why "$A"
contains "$T/out" "verdict  pending by rule no-policy"
contains "$T/out" "docs/a.txt"
cp "$T/out" why-indexed.txt
mv "$EXANTE_DIR/dedup" dedup.saved
expect 0 $EXANTE why "$A"
cmp -s "$T/out" why-indexed.txt && ok || bad "why differs without the saved index"
expect 1 $EXANTE why sha256:0000000000000000000000000000000000000000000000000000000000000000
mv dedup.saved "$EXANTE_DIR/dedup"
# nor with one of the previous build's format (manifest version 1): not read, the same answer
cp "$EXANTE_DIR/dedup/manifest" manifest.saved
sed -i '1s/.*/exante-dedup 1/' "$EXANTE_DIR/dedup/manifest"
expect 0 $EXANTE why "$A"
cmp -s "$T/out" why-indexed.txt && ok || bad "why differs with a version 1 index"
mv manifest.saved "$EXANTE_DIR/dedup/manifest"
expect 2 $EXANTE why sha256:zz
size=$(stat -c %s why.json)
survived=0
for ((i = 0; i < size - 1; i += 3)); do
    c=$(dd if=why.json bs=1 skip=$i count=1 2>/dev/null)
    [ "$c" = A ] && r=B || r=A
    { head -c $i why.json; printf '%s' "$r"; tail -c +$((i + 2)) why.json; } > alt.json
    $EXANTE verify-proof alt.json --vkey "$VKEY" >/dev/null 2>&1
    rc=$?
    if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then survived=$((survived + 1)); echo "byte $i ('$c'->'$r'): exit $rc" >&2; fi
done
[ $survived -eq 0 ] && ok || bad "$survived altered why proofs were accepted"

# JSONL: plain, gzip, zstd; a malformed line is quarantined with file, offset and reason
for i in $(seq 1 500); do printf '{"text":"document %d","url":"https://example.org/%d","license":"MIT"}\n' $i $i; done > corpus.jsonl
printf '{"text": broken\n' >> corpus.jsonl
for i in $(seq 501 600); do printf '{"text":"document %d","meta":{"u":"https://example.org/%d"}}\n' $i $i; done >> corpus.jsonl
gzip -c corpus.jsonl > copy.jsonl.gz
zstd -q -c corpus.jsonl > copy.jsonl.zst
expect 0 $EXANTE --json ingest --source dump --batch 64 corpus.jsonl
contains "$T/out" '"items":600'
contains "$T/out" '"pending":600'
contains "$T/out" '"quarantined":1'
expect 0 $EXANTE quarantine list
contains "$T/out" "corpus.jsonl"
contains "$T/out" '"line":501'
contains "$T/out" '"reason":"'
expect 0 $EXANTE --json ingest --source dump copy.jsonl.gz copy.jsonl.zst
contains "$T/out" '"items":1200'
contains "$T/out" '"duplicates":1200'
contains "$T/out" '"admitted":0'
expect 0 $EXANTE why https://example.org/42
contains "$T/out" "line     42"
# why URL answers with the latest item with that URL: searched from the newest items back,
# in chunks of 65,536, so these cross a chunk boundary; a URL with a character that records
# escape is found too
(
    export EXANTE_DIR="$T/byurl"
    $EXANTE -q init >/dev/null; $EXANTE -q source add u --kind crawl >/dev/null
    awk 'BEGIN { for (i = 1; i <= 70000; i++) {
        u = (i == 3 || i == 69999) ? "same" : i
        printf "{\"text\":\"chunk %d\",\"url\":\"https://c.example/%s\"}\n", i, u }
        print "{\"text\":\"quoted\",\"url\":\"https://q.example/a\\\"b\"}" }' > byurl.jsonl
    expect 0 $EXANTE -q ingest --source u byurl.jsonl
    expect 0 $EXANTE why https://c.example/same
    contains "$T/out" "line     69999"
    expect 0 $EXANTE why https://c.example/2
    contains "$T/out" "line     2"
    expect 0 $EXANTE why 'https://q.example/a"b'
    contains "$T/out" "line     70001"
    expect 1 $EXANTE why https://c.example/none
    finish >/dev/null
) || bad "why URL: see above"
expect 0 $EXANTE --json ingest --source dump --url-field meta.u corpus.jsonl
contains "$T/out" '"skipped":600'
# --strict: the first quarantined record stops the run (what was read before is kept)
cp corpus.jsonl strict.jsonl; echo '{"text":"after"}' >> strict.jsonl
expect 2 $EXANTE ingest --source dump --strict strict.jsonl
contains "$T/err" "--strict"

# WARC samples: good records become items, broken ones are quarantined, no crash
expect 0 $EXANTE --json ingest --source web "$SHARED"/samples/warc/*
contains "$T/out" '"ok":true'
grep -q '"quarantined":0' "$T/out" && bad "WARC samples: nothing quarantined" || ok
grep -q '"items":0' "$T/out" && bad "WARC samples: no items" || ok

# a WARC revisit is a copy of the record it refers to: the latest earlier record (not a revisit)
# with its WARC-Refers-To-Target-URI, in this run or (through the URL index kept in urls/) an
# earlier one
export EXANTE_DIR="$T/rv"
$EXANTE -q init >/dev/null; $EXANTE -q source add w --kind crawl >/dev/null
expect 0 $EXANTE --json ingest --source w "$SHARED"/samples/warc/example.warc
q() { sql "$EXANTE_DIR/ledger.db" "$1"; }
resp=$(q "SELECT id FROM items WHERE json_extract(record(record), '\$.warc_type') = 'response'")
rv=$(q "SELECT id FROM items WHERE json_extract(record(record), '\$.warc_type') = 'revisit'")
[ -n "$resp" ] && [ -n "$rv" ] && ok || bad "example.warc: want a response and a revisit"
got=$(q "SELECT json_extract(record(record), '\$.copy_of') || ' ' || json_extract(record(record), '\$.verdict') FROM decisions WHERE key = $rv")
[ "$got" = "$resp duplicate" ] && ok || bad "revisit $rv: copy_of and verdict '$got', want '$resp duplicate'"
[ -f "$EXANTE_DIR/by-url/manifest" ] && ok || bad "no by-url/manifest after an ingest"
# the same crawl again, gzipped: its response is a copy of the first, its revisit refers to the
# newest response with that URL
expect 0 $EXANTE --json ingest --source w "$SHARED"/samples/warc/example.warc.gz
resp2=$(q "SELECT max(id) FROM items WHERE json_extract(record(record), '\$.warc_type') = 'response'")
rv2=$(q "SELECT max(id) FROM items WHERE json_extract(record(record), '\$.warc_type') = 'revisit'")
got=$(q "SELECT json_extract(record(record), '\$.copy_of') FROM decisions WHERE key = $rv2")
[ "$resp2" -gt "$resp" ] && [ "$got" = "$resp2" ] && ok || bad "second revisit $rv2: copy_of '$got', want $resp2"
# a revisit whose target was never recorded names none
printf 'WARC/1.0\r\nWARC-Type: revisit\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: http://nowhere.example/\r\nWARC-Refers-To-Target-URI: http://nowhere.example/\r\nWARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\nContent-Length: 0\r\n\r\n\r\n\r\n' > lone.warc
expect 0 $EXANTE --json ingest --source w lone.warc
contains "$T/out" '"duplicates":1'
rv3=$(q "SELECT max(id) FROM items")
got=$(q "SELECT ifnull(json_extract(record(record), '\$.copy_of'), 'none') FROM decisions WHERE key = $rv3")
[ "$got" = none ] && ok || bad "a revisit of an unknown record: copy_of '$got'"
# two captures of one URL: a revisit whose WARC-Refers-To names the first is a copy of the
# first, not of the latest; one naming a record never recorded falls back to the latest
wrec() { # TYPE ID URI BODY [EXTRA HEADER LINES]
    printf 'WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\nWARC-Date: 2024-02-01T00:00:00Z\r\nWARC-Target-URI: %s\r\n%sContent-Length: %d\r\n\r\n%s\r\n\r\n' \
        "$1" "$2" "$3" "${5:-}" "${#4}" "$4"
}
{
    wrec response '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>' http://twice.example/ $'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst capture' $'Content-Type: application/http; msgtype=response\r\n'
    wrec response '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000002>' http://twice.example/ $'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsecond capture' $'Content-Type: application/http; msgtype=response\r\n'
    wrec revisit '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000003>' http://twice.example/ '' $'WARC-Refers-To: <urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>\r\nWARC-Refers-To-Target-URI: http://twice.example/\r\n'
    wrec revisit '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000004>' http://twice.example/ '' $'WARC-Refers-To: <urn:uuid:aaaaaaaa-0000-0000-0000-00000000dead>\r\n'
} > twice.warc
expect 0 $EXANTE --json ingest --source w twice.warc
contains "$T/out" '"quarantined":0'
first=$(q "SELECT id FROM items WHERE json_extract(record(record), '\$.record_id') = '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>'")
second=$(q "SELECT id FROM items WHERE json_extract(record(record), '\$.record_id') = '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000002>'")
for n in 3:$first 4:$second; do
    rid="<urn:uuid:aaaaaaaa-0000-0000-0000-00000000000${n%%:*}>"
    got=$(q "SELECT json_extract(record(d.record), '\$.copy_of') FROM items i JOIN decisions d ON d.key = i.id WHERE json_extract(record(i.record), '\$.record_id') = '$rid'")
    [ -n "${n#*:}" ] && [ "$got" = "${n#*:}" ] && ok || bad "revisit $rid: copy_of '$got', want ${n#*:}"
done
q "SELECT json_extract(record(record), '\$.refers_to_record') FROM items WHERE json_extract(record(record), '\$.warc_type') = 'revisit' ORDER BY id DESC LIMIT 2" > refers.txt
contains refers.txt '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>'
expect 0 $EXANTE log verify
export EXANTE_DIR="$T/ledger"

# HTML heads are kept for the meta signals (noai, tdm-reservation) checked later
sql "$EXANTE_DIR/ledger.db" "SELECT json_extract(record(record), '\$.html_head') FROM items WHERE json_extract(record(record), '\$.url') = 'http://example.com/' AND json_extract(record(record), '\$.warc_type') = 'response'" > head.txt
contains head.txt "<title>Example Domain</title>"
contains head.txt "</head>"
grep -q "<body" head.txt && bad "html_head goes past </head>" || ok
mkdir pages; printf '<!DOCTYPE html><html><head><meta name="robots" content="noai"></head><body>x</body></html>' > pages/p.html
expect 0 $EXANTE ingest --source web pages
sql "$EXANTE_DIR/ledger.db" "SELECT json_extract(record(record), '\$.html_head') FROM items ORDER BY id DESC LIMIT 1" > head.txt
contains head.txt '<meta name="robots" content="noai">'

expect 0 $EXANTE log verify
contains "$T/out" "sources,"
contains "$T/out" "decisions,"
grep -q "policies, captures and opt-outs" "$T/out" && bad "log verify counts batches as signals" || ok

# ledger tables are covered by the log: one altered row is caught and named
DB="$EXANTE_DIR/ledger.db"
cp "$DB" pristine.db
restore() { cp pristine.db "$DB"; rm -f "$DB-wal" "$DB-shm"; }
# (an item: its decision's provenance is kept in the block as the item's own digest, left out
# and put back on reading, src/store/elide.h; an altered item alters its decision, and the
# batch's root no longer matches)
sql "$DB" "UPDATE items SET record = CAST(replace(record(record), 'b.txt', 'x.txt') AS BLOB) WHERE id = 2"
expect 1 $EXANTE log verify
contains "$T/err" "batch 1 (log entry 2): its decisions do not hash to its root"
restore
sql "$DB" "UPDATE decisions SET record = CAST(replace(record(record), '\"pending\"', '\"reject\"') AS BLOB) WHERE id = 2"
expect 1 $EXANTE log verify
contains "$T/err" "its decisions do not hash to its root"
restore
sql "$DB" "UPDATE decisions SET record = CAST(replace(record(record), json_extract(record(record), '\$.provenance'), 'sha256:' || hex(zeroblob(32))) AS BLOB) WHERE id = 3"
expect 1 $EXANTE log verify
contains "$T/err" "item 3: its record does not match the provenance digest in decision 3"
restore
sql "$DB" "UPDATE decisions SET record = CAST(replace(record(record), '\"provenance\":', '\"provenancf\":') AS BLOB) WHERE id = 3"
expect 1 $EXANTE log verify
contains "$T/err" "decision 3: malformed or indexed under item 3"
restore
# a block row removed: the last batch's items and decisions are missing (the saved indexes,
# checked first, end with one of those items)
sql "$DB" "DELETE FROM blocks WHERE id = (SELECT max(id) FROM blocks)"
expect 1 $EXANTE log verify
contains "$T/err" "which this ledger does not have"
mv "$EXANTE_DIR/dedup" dedup.away; mv "$EXANTE_DIR/by-url" by-url.away
expect 1 $EXANTE log verify
contains "$T/err" "decisions"
mv dedup.away "$EXANTE_DIR/dedup"; mv by-url.away "$EXANTE_DIR/by-url"
restore
sql "$DB" "UPDATE sources SET record = CAST(replace(record(record), 'crawl', 'licensed') AS BLOB) WHERE id = 1"
expect 1 $EXANTE log verify
contains "$T/err" "source 1: differs from log entry"
restore
# a block that no batch in the log covers
sql "$DB" "INSERT INTO blocks(item_first, item_n, dec_first, dec_n, paired, keys, block) SELECT item_first + item_n, item_n, dec_first + dec_n, dec_n, paired, keys, block FROM blocks WHERE id = (SELECT max(id) FROM blocks)"
expect 1 $EXANTE log verify
contains "$T/err" "covered by batches in the log"
restore
# items and decisions are stored in blocks (one zstd frame per batch, src/store/block.h), a
# third of their size or less; a damaged frame is refused with the block and the batch it is in
[ "$(sql "$DB" "SELECT count(*) FROM blocks WHERE hex(substr(block, 1, 4)) = '28B52FFD'")" = "$(sql "$DB" "SELECT count(*) FROM blocks")" ] && ok || bad "blocks are not all zstd frames"
sql "$DB" "SELECT (SELECT sum(length(block)) FROM blocks) * 3 < (SELECT sum(length(record)) FROM items) + (SELECT sum(length(record)) FROM decisions)" > ratio.txt
contains ratio.txt 1
damage "$DB" decisions 2
expect 1 $EXANTE log verify
contains "$T/err" "batch 1 (log entry"
contains "$T/err" "block 1 (items 1-"
contains "$T/err" "damaged block"
restore
# one byte changed inside a frame: its checksum (or its decoding) fails
sql "$DB" "UPDATE blocks SET block = substr(block, 1, 60) || CASE WHEN substr(block, 61, 1) = x'00' THEN x'01' ELSE x'00' END || substr(block, 62) WHERE id = 1"
expect 1 $EXANTE log verify
contains "$T/err" "batch 1 (log entry"
contains "$T/err" "damaged block"
restore
# the offset table, altered and compressed again (a valid frame): records move by a byte, and
# item 1's decision, which follows it, loses its first
sql "$DB" "SELECT writefile('blk.zst', block) FROM blocks WHERE id = 1" >/dev/null
zstd -q -d -f blk.zst -o blk.raw
shift_offset() { # shift_offset FILE I DELTA : offset[I] of the block content += DELTA
    local at=$((12 + 4 * $2)) o
    o=$(od -An -tu4 -j"$at" -N4 "$1" | tr -d ' ')
    o=$((o + $3))
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((o & 255)) $((o >> 8 & 255)) $((o >> 16 & 255)) $((o >> 24 & 255)))" |
        dd of="$1" bs=1 seek="$at" conv=notrunc 2>/dev/null
}
cp blk.raw blk1.raw
shift_offset blk1.raw 1 1
zstd -q -1 --check -f blk1.raw -o blk1.zst
sql "$DB" "UPDATE blocks SET block = readfile('blk1.zst') WHERE id = 1"
expect 1 $EXANTE log verify
contains "$T/err" "batch 1 (log entry"
contains "$T/err" "decision 1: malformed"
restore
# one past the records' end: the block is refused
n=$(od -An -tu4 -j8 -N4 blk.raw | tr -d ' ')
cp blk.raw blk2.raw
shift_offset blk2.raw "$n" 1
zstd -q -1 --check -f blk2.raw -o blk2.zst
sql "$DB" "UPDATE blocks SET block = readfile('blk2.zst') WHERE id = 1"
expect 1 $EXANTE log verify
contains "$T/err" "damaged block"
restore
# the indexes are checked, not trusted: the blocks' own (a range moved), decision_keys (an
# item's later decision filed under another item), the saved duplicate and URL indexes (an
# entry altered in a run file)
sql "$DB" "UPDATE blocks SET item_first = item_first + 1 WHERE id = (SELECT max(id) FROM blocks)"
expect 1 $EXANTE log verify
restore
# a block's stored root of its decisions (the subtree `why` proofs use)
sql "$DB" "UPDATE blocks SET root = zeroblob(32) WHERE id = 1"
expect 1 $EXANTE log verify
contains "$T/err" "the stored root of decisions 1-"
restore
printf 'admit *\n' > all.txt
expect 0 $EXANTE policy adopt all.txt
expect 0 $EXANTE reevaluate
[ "$(sql "$DB" "SELECT count(*) FROM decision_keys")" -gt 0 ] && ok || bad "no decision is indexed by item"
expect 0 $EXANTE log verify
sql "$DB" "UPDATE decision_keys SET key = key + 1 WHERE id = (SELECT max(id) FROM decision_keys)"
expect 1 $EXANTE log verify
contains "$T/err" "decision_keys: decision"
restore
for ix in dedup by-url; do
    cp -r "$EXANTE_DIR/$ix" "$ix.saved"
    run=$(ls "$EXANTE_DIR/$ix"/run-* | head -n 1)
    # the first entry's id (docs/FORMATS.md: entries from byte 40, the key's 32 bits, then
    # the id less the run's smallest)
    b=$(od -An -tu1 -j44 -N1 "$run" | tr -d ' ')
    printf "$(printf '\\x%02x' $(((b + 1) & 255)))" | dd of="$run" bs=1 seek=44 conv=notrunc 2>/dev/null
    expect 1 $EXANTE log verify
    contains "$T/err" "index lacks item"
    rm -rf "$EXANTE_DIR/$ix"; mv "$ix.saved" "$EXANTE_DIR/$ix"
done
expect 0 $EXANTE log verify

# resuming: a run killed between batches, then run again, ends with the same decisions as an
# uninterrupted run
for i in $(seq 1 2000); do printf '{"text":"resume %d"}\n' $i; done > big.jsonl
export EXANTE_DIR="$T/a"
$EXANTE -q init >/dev/null; $EXANTE -q source add s --kind other >/dev/null
# killed right after its third batch commits (tests/fault/kill_after_commits.c)
LD_PRELOAD="${KILL_AFTER_COMMITS:?}" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    EXANTE_TEST_KILL_AFTER_COMMITS=3 $EXANTE -q ingest --source s --batch 100 big.jsonl >/dev/null 2>&1
[ $? -eq 137 ] && ok || bad "the fault shim did not kill the run"
expect 0 $EXANTE log verify
expect 0 $EXANTE --json ingest --source s --batch 100 big.jsonl
contains "$T/out" '"skipped":300'
contains "$T/out" '"items":1700'
$EXANTE decisions > a.jsonl
export EXANTE_DIR="$T/b"
$EXANTE -q init >/dev/null; $EXANTE -q source add s --kind other >/dev/null
$EXANTE -q ingest --source s --batch 100 big.jsonl >/dev/null
$EXANTE decisions > b.jsonl
cmp -s a.jsonl b.jsonl && ok || bad "resumed run differs from an uninterrupted one"
[ "$(wc -l < a.jsonl)" = 2000 ] && ok || bad "resumed run: want 2000 decisions"

# killed at arbitrary moments (inside commits too, not only between batches): after every kill
# the log verifies, and the run that finally completes leaves the same decisions as one
# uninterrupted run. The kill delays grow, so some land early, some mid-run.
for i in $(seq 1 40000); do printf '{"text":"kill %d","url":"https://k.example/%d"}\n' $((i % 39000)) $i; done > kill.jsonl
export EXANTE_DIR="$T/k1"
$EXANTE -q init >/dev/null; $EXANTE -q source add s --kind other >/dev/null
$EXANTE -q ingest --source s --batch 300 kill.jsonl >/dev/null || bad "uninterrupted run failed"
$EXANTE decisions > k1.jsonl
export EXANTE_DIR="$T/k2"
$EXANTE -q init >/dev/null; $EXANTE -q source add s --kind other >/dev/null
kills=0 verified=0
for d in 0.02 0.05 0.08 0.1 0.13 0.17 0.2 0.25 0.3 0.4 0.5 0.7 1 1.5 2 3 4 6; do
    timeout -s KILL "$d" $EXANTE -q ingest --source s --batch 300 kill.jsonl >/dev/null 2>&1
    rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 137 ] || bad "ingest killed after $d s: exit $rc, want 137"
    kills=$((kills + 1))
    $EXANTE -q log verify >/dev/null 2>"$T/err" && verified=$((verified + 1)) ||
        bad "log verify after a kill at $d s: $(cat "$T/err")"
done
[ "$kills" -gt 0 ] && ok || bad "no run was killed (the machine is too fast for the delays)"
[ "$verified" = "$kills" ] && ok || bad "log verify failed after some kills"
expect 0 $EXANTE --json ingest --source s --batch 300 kill.jsonl
$EXANTE decisions > k2.jsonl
cmp -s k1.jsonl k2.jsonl && ok || bad "after $kills kills the decisions differ from an uninterrupted run"
[ "$(wc -l < k1.jsonl)" = 40000 ] && ok || bad "want 40000 decisions, got $(wc -l < k1.jsonl)"
expect 0 $EXANTE log verify
finish
