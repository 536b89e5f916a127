#!/usr/bin/env bash
# No swallowed errors: a stored record that cannot be read fails the run that needed it, with
# the record named, and the run commits nothing from its batch (before, an unreadable item in
# a duplicate or revisit lookup counted as "not a copy", and an unreadable inputs row was
# skipped). After the damage is repaired, a rerun converges to the right result.
. "$(dirname "$0")/lib.sh"
DB="$EXANTE_DIR/ledger.db"
decisions() { sql "$DB" "SELECT count(*) FROM decisions"; }

$EXANTE -q init >/dev/null
$EXANTE -q source add s --kind other >/dev/null
# two ingests, two batches: items 1-2 in block 1, item 3 in block 2 (the one the saved
# indexes end with, which their check of the ledger reads)
printf '{"text":"first"}\n{"text":"the same text"}\n' > a.jsonl
printf '{"text":"last"}\n' > a2.jsonl
expect 0 $EXANTE ingest --source s a.jsonl
expect 0 $EXANTE ingest --source s a2.jsonl
cp "$DB" pristine.db

# 1. duplicate lookup: item 2 is the candidate for a copy of its text, and its block is
# damaged (a frame cut short: EX_EFORMAT, exit 2, as log verify names it)
printf '{"text":"the same text"}\n{"text":"new"}\n' > b.jsonl
damage "$DB" items 2
before=$(decisions)
# why finds the digest's first item through the saved index: it says the item is damaged,
# not that there is none
dig=$(printf 'the same text' | sha256sum | cut -c1-64)
expect 2 $EXANTE why "sha256:$dig"
contains "$T/err" "cannot read item 2: block 1 (items 1-2, decisions 1-2): damaged block"
expect 2 $EXANTE ingest --source s b.jsonl
contains "$T/err" "duplicate check: cannot read item 2: block 1 (items 1-2, decisions 1-2): damaged block"
[ "$(decisions)" = "$before" ] && ok || bad "a failed duplicate lookup committed decisions"
# repaired: the copy is found
cp pristine.db "$DB"; rm -f "$DB-wal" "$DB-shm"
expect 0 $EXANTE --json ingest --source s b.jsonl
contains "$T/out" '"duplicates":1'
[ "$($EXANTE decisions | grep -c '"copy_of":2')" = 1 ] && ok || bad "the copy does not name item 2"

# 2. revisit lookup: a WARC revisit of a URL whose recorded response is damaged
cp pristine.db "$DB"; rm -f "$DB-wal" "$DB-shm" "$EXANTE_DIR"/by-url/* "$EXANTE_DIR"/dedup/*
warc() { # warc TYPE URL ID BODY : one uncompressed WARC 1.1 record
    local block=""
    [ "$1" = response ] && block=$(printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n%s' "$4")
    printf 'WARC/1.1\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\nWARC-Date: 2025-06-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:%s>\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n' \
        "$1" "$2" "$3" "${#block}" "$block"
}
# the response, and another after it in a block of its own (the damaged item must not be in
# the block the saved indexes end with, or their check of it fails first)
warc response https://r.example/page 11111111-1111-1111-1111-111111111111 "page text" > resp.warc
warc response https://r.example/other 33333333-3333-3333-3333-333333333333 "other text" > other.warc
warc revisit https://r.example/page 22222222-2222-2222-2222-222222222222 "" > rev1.warc
cp rev1.warc rev2.warc
expect 0 $EXANTE --json ingest --source s resp.warc
contains "$T/out" '"items":1'
expect 0 $EXANTE --json ingest --source s other.warc
resp=$(sql "$DB" "SELECT max(id) - 1 FROM items")
cp "$DB" with-response.db
damage "$DB" items "$resp"
before=$(decisions)
expect 2 $EXANTE ingest --source s rev1.warc
contains "$T/err" "revisit lookup: cannot read item $resp"
[ "$(decisions)" = "$before" ] && ok || bad "a failed revisit lookup committed decisions"
cp with-response.db "$DB"; rm -f "$DB-wal" "$DB-shm"
expect 0 $EXANTE --json ingest --source s rev2.warc
contains "$T/out" '"duplicates":1'
[ "$($EXANTE decisions | grep -c "\"copy_of\":$resp")" = 1 ] && ok || bad "the revisit does not name item $resp"

# 3. an inputs row that is not an input record: how far its input was read is lost
cp pristine.db "$DB"; rm -f "$DB-wal" "$DB-shm"
sql "$DB" "UPDATE inputs SET record = CAST('{\"bogus\":1}' AS BLOB) WHERE id = 1"
expect 2 $EXANTE ingest --source s a.jsonl
contains "$T/err" "inputs row 1 is not an input record"
finish
