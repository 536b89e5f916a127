#!/usr/bin/env bash
# A ledger of schema 7, made by the build before blocks (exante c4e171e, by
# tests/data/ledger-v7.sh: items, copies, a WARC revisit, an opt-out and a reevaluation):
# read-only commands read it as it is and answer what that build answered; the first command
# that writes migrates it (every item and decision row into blocks, byte for byte, the old
# tables dropped) and it verifies, answers and grows as a new ledger does.
. "$(dirname "$0")/lib.sh"
D="$SRC/tests/data"
cp -r "$D/ledger-v7" "$EXANTE_DIR"
chmod 600 "$EXANTE_DIR/key.pem"
DB="$EXANTE_DIR/ledger.db"
[ "$(sql "$DB" "PRAGMA user_version")" = 7 ] && ok || bad "the fixture is not of schema 7"

# read as it is
expect 0 $EXANTE log verify
contains "$T/out" "244 decisions, 124 items match the log"
$EXANTE decisions > d0.jsonl
cmp -s d0.jsonl "$D/ledger-v7.decisions.jsonl" && ok || bad "decisions of the old ledger differ from the old build's"
dig=$(head -n 1 "$D/ledger-v7.why-digest.txt" | awk '{print $2}')
$EXANTE why "$dig" > why-digest.txt
cmp -s why-digest.txt "$D/ledger-v7.why-digest.txt" && ok || bad "why DIGEST differs: $(diff why-digest.txt "$D/ledger-v7.why-digest.txt")"
$EXANTE why https://f.example/7 > why-url.txt
cmp -s why-url.txt "$D/ledger-v7.why-url.txt" && ok || bad "why URL differs: $(diff why-url.txt "$D/ledger-v7.why-url.txt")"
$EXANTE why --json "$dig" > proof0.json && ok || bad "why --json on the old ledger"
expect 0 $EXANTE verify-proof proof0.json
[ "$(sql "$DB" "PRAGMA user_version")" = 7 ] && ok || bad "a read-only command migrated the ledger"
sql "$DB" "SELECT count(*) FROM items" | grep -qx 124 && ok || bad "the old items table is not there"

# a write migrates it
printf '{"text":"after the upgrade","url":"https://u.example/1"}\n{"text":"fixture text 9","url":"https://u.example/2"}\n' > up.jsonl
expect 0 $EXANTE --json ingest --source web up.jsonl
contains "$T/out" '"items":2'
contains "$T/out" '"duplicates":1'
[ "$(sql "$DB" "PRAGMA user_version")" = 9 ] && ok || bad "ingest did not migrate the ledger to schema 9"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name IN ('items', 'decisions')")" = 0 ] &&
    ok || bad "the old tables are still there"
[ "$(sql "$DB" "SELECT count(*) FROM items")" = 126 ] && ok || bad "want 126 items in blocks"
[ "$(sql "$DB" "SELECT count(*) FROM decision_keys")" -gt 0 ] && ok || bad "the reevaluation's decisions are not indexed by item"
expect 0 $EXANTE log verify
contains "$T/out" "246 decisions, 126 items match the log"
contains "$T/out" "126 items found in the saved indexes"
# the same records, byte for byte, and the same answers
$EXANTE decisions > d1.jsonl
head -n 244 d1.jsonl | cmp -s - "$D/ledger-v7.decisions.jsonl" && ok || bad "the migrated decisions differ"
[ "$(wc -l < d1.jsonl)" = 246 ] && ok || bad "want 246 decisions"
$EXANTE why "$dig" | grep -v '^proof' > why-digest1.txt
grep -v '^proof' "$D/ledger-v7.why-digest.txt" | cmp -s - why-digest1.txt && ok || bad "why DIGEST differs after the migration"
$EXANTE why https://f.example/7 | grep -v '^proof' > why-url1.txt
grep -v '^proof' "$D/ledger-v7.why-url.txt" | cmp -s - why-url1.txt && ok || bad "why URL differs after the migration"
$EXANTE why --json "$dig" > proof1.json
expect 0 $EXANTE verify-proof proof1.json
# the copy found across the migration names the old item
[ "$(tail -n 1 d1.jsonl | grep -c '"copy_of":9')" = 1 ] && ok || bad "the copy does not name item 9: $(tail -n 1 d1.jsonl)"
expect 0 $EXANTE why https://u.example/1
expect 1 $EXANTE why https://never.example/
# and it goes on as any ledger
expect 0 $EXANTE reevaluate
expect 0 $EXANTE log verify
finish
