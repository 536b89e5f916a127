#!/usr/bin/env bash
# Snapshots (PROOFS.md): create, list, show, diff, export, audit; --from after an opt-out;
# tamper tests (audit and log verify); thousands of decisions, re-decided, against SQL; damaged
# decisions; bad input.
. "$(dirname "$0")/lib.sh"
DB="$EXANTE_DIR/ledger.db"
dig() { printf '%s' "$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'; }

$EXANTE -q init >/dev/null
# no policy yet: nothing is admitted, the snapshot is empty and its root is H("")
expect 0 $EXANTE --json snapshot create empty
contains "$T/out" '"size":0'
contains "$T/out" '"root":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="'
$EXANTE -q source add s --kind other >/dev/null
printf 'reject optout\nadmit license MIT\nreject * "no lawful basis recorded"\n' > policy.txt
$EXANTE -q policy adopt policy.txt >/dev/null
{
    printf '{"text":"alpha","url":"https://a.example/1","license":"MIT"}\n'
    printf '{"text":"bravo","url":"https://b.example/2","license":"MIT"}\n'
    printf '{"text":"charlie","url":"https://c.example/3","license":"MIT"}\n'
    printf '{"text":"delta","url":"https://d.example/4","license":"GPL-3.0-only"}\n'
    printf '{"text":"alpha","url":"https://e.example/5","license":"MIT"}\n'
} > corpus.jsonl
expect 0 $EXANTE -q ingest --source s corpus.jsonl
expect 0 $EXANTE --json snapshot create s1
contains "$T/out" '"size":3'
contains "$T/out" '"admitted":3'
contains "$T/out" '"type":"snapshot"'
# export: the admitted digests, ascending, recomputed here from the texts
for t in alpha bravo charlie; do dig "$t"; done | sort > want1.txt
expect 0 $EXANTE snapshot export s1
cmp -s "$T/out" want1.txt && ok || bad "export s1: $(cat "$T/out")"
# a second snapshot with the same name is refused
expect 2 $EXANTE snapshot create s1
contains "$T/err" "a snapshot named 's1' exists"
# an opt-out (no reevaluate): the next snapshot leaves bravo out, and so does one --from s1
$EXANTE -q optout add --domain b.example --holder "B Press" >/dev/null
expect 0 $EXANTE --json snapshot create s2
contains "$T/out" '"size":2'
contains "$T/out" '"optout_excluded":1'
expect 0 $EXANTE --json snapshot create s3 --from s1
contains "$T/out" '"from":"s1"'
contains "$T/out" '"parent_dropped":1'
contains "$T/out" '"parent":"sha256:'
for t in alpha charlie; do dig "$t"; done | sort > want2.txt
expect 0 $EXANTE snapshot export s3
cmp -s "$T/out" want2.txt && ok || bad "export s3: $(cat "$T/out")"
expect 0 $EXANTE snapshot show s3
contains "$T/out" '"removed":1'
contains "$T/out" '"added":0'
expect 0 $EXANTE snapshot diff s1 s2
[ "$(cat "$T/out")" = "{\"change\":\"removed\",\"digest\":\"$(dig bravo)\"}" ] && ok ||
    bad "diff s1 s2: $(cat "$T/out")"
expect 0 $EXANTE snapshot list
[ "$(wc -l < "$T/out")" = 4 ] && ok || bad "list: want 4 snapshots"
contains "$T/out" '"log_index":'
# audits recompute each snapshot from the ledger as of its log size
for s in empty s1 s2 s3; do expect 0 $EXANTE snapshot audit "$s"; done
expect 0 $EXANTE --json snapshot audit s2
[ "$(cat "$T/out")" = '{"members":2,"name":"s2","ok":true}' ] && ok || bad "audit --json: $(cat "$T/out")"
expect 0 $EXANTE log verify

# proofs, checked offline with the verifier key alone: bravo is a member of s1 and, after the
# opt-out, not of s2; a digest below every leaf and one above; the empty snapshot
VK="$(cat "$EXANTE_DIR/vkey")"
expect 0 $EXANTE prove s1 --digest "$(dig bravo)"
cp "$T/out" p-member.json
contains p-member.json '"type":"snapshot-membership"'
expect 0 $EXANTE verify-proof p-member.json --vkey "$VK"
[ "$(cat "$T/out")" = member ] && ok || bad "verify-proof of a member: $(cat "$T/out")"
printf 'bravo' > bravo.txt
expect 0 $EXANTE prove s2 --text-file bravo.txt
cp "$T/out" p-non.json
contains p-non.json '"type":"snapshot-non-membership"'
expect 0 $EXANTE verify-proof p-non.json --vkey "$VK"
[ "$(cat "$T/out")" = non-member ] && ok || bad "verify-proof of a non-member: $(cat "$T/out")"
for d in sha256:0000000000000000000000000000000000000000000000000000000000000000 \
         sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff; do
    $EXANTE prove s1 --digest "$d" > edge.json 2>/dev/null
    expect 0 $EXANTE verify-proof edge.json --vkey "$VK"
    [ "$(cat "$T/out")" = non-member ] && ok || bad "edge $d: $(cat "$T/out")"
done
$EXANTE prove empty --digest "$(dig alpha)" > p-empty.json 2>/dev/null
expect 0 $EXANTE verify-proof p-empty.json --vkey "$VK"
[ "$(cat "$T/out")" = non-member ] && ok || bad "empty snapshot: $(cat "$T/out")"
# a member proof turned into a non-member claim, and a foreign key, fail
sed 's/"snapshot-membership"/"snapshot-non-membership"/' p-member.json > p-bad.json
expect 1 $EXANTE verify-proof p-bad.json --vkey "$VK"
EXANTE_DIR="$T/other" $EXANTE -q init --origin other.example/log >/dev/null
expect 1 $EXANTE verify-proof p-member.json --vkey "$(cat "$T/other/vkey")"
expect 2 $EXANTE prove s1 --digest sha256:zz
expect 2 $EXANTE prove nosuch --digest "$(dig alpha)"
printf '\377\376' > notutf8.txt
expect 2 $EXANTE prove s1 --text-file notutf8.txt

# tampering
cp "$DB" pristine.db
restore() { cp pristine.db "$DB"; rm -f "$DB-wal" "$DB-shm"; }
idx1=$($EXANTE snapshot list | sed -n 2p | sed 's/.*"log_index":\([0-9]*\).*/\1/')
sql "$DB" "UPDATE snapleaves SET record = x'4c' || zeroblob(32) || substr(record, 34) WHERE key = $idx1"
expect 1 $EXANTE snapshot audit s1
contains "$T/err" "snapshot 's1'"
restore
# a decision turned to reject: s1's recomputed members lose charlie
sql "$DB" "UPDATE decisions SET record = CAST(replace(record(record), '\"admit\"', '\"reject\"') AS BLOB) WHERE json_extract(record(record), '\$.digest') = '$(dig charlie)'"
expect 1 $EXANTE snapshot audit s1
contains "$T/err" "the ledger as of log size"
restore
# an opt-out altered: s2 would hold bravo
sql "$DB" "UPDATE optouts SET record = CAST(replace(record, 'b.example', 'x.example') AS BLOB)"
expect 1 $EXANTE snapshot audit s2
restore
# an altered snapshot record is caught by log verify
sql "$DB" "UPDATE snapshots SET record = CAST(replace(record, '\"size\":3', '\"size\":4') AS BLOB) WHERE key = $idx1"
expect 1 $EXANTE log verify
contains "$T/err" "snapshot"
restore
expect 0 $EXANTE snapshot audit s1

# tiles: the tree as C2SP tlog-tiles with the record beside it, audited with no ledger
expect 0 $EXANTE snapshot tiles s1 --out pub
[ -f pub/snapshot ] && [ -f pub/tile/entries/000.p/3 ] && [ -f pub/tile/0/000.p/3 ] && ok ||
    bad "tiles: $(find pub -type f | sort | tr '\n' ' ')"
# the entries are the member digests, in order (2-byte length, 32 bytes each)
od -An -tx1 -v -w34 pub/tile/entries/000.p/3 | tr -d ' ' | sed 's/^0020/sha256:/' > entries.txt
cmp -s entries.txt want1.txt && ok || bad "entry bundle: $(cat entries.txt)"
EXANTE_DIR="$T/none" expect 0 $EXANTE snapshot audit s1 --tiles pub # no ledger there
contains "$T/out" "3 entries"
EXANTE_DIR="$T/none" expect 0 $EXANTE --json snapshot audit s1 --tiles pub
[ "$(cat "$T/out")" = '{"members":3,"name":"s1","ok":true}' ] && ok || bad "audit --tiles --json: $(cat "$T/out")"
cp -r pub pub2
printf 'x' | dd of=pub2/tile/0/000.p/3 bs=1 seek=5 conv=notrunc 2>/dev/null
expect 1 $EXANTE snapshot audit s1 --tiles pub2
contains "$T/err" "differs from the tile the entries give"
expect 1 $EXANTE snapshot audit s2 --tiles pub
contains "$T/err" "are snapshot 's1', not 's2'"
# a bigger snapshot crosses tile boundaries: 600 members (two full tiles and a partial)
export EXANTE_DIR="$T/big"
$EXANTE -q init >/dev/null
$EXANTE -q source add s --kind other --license MIT >/dev/null
printf 'admit license MIT\nreject * "no"\n' > p2.txt
$EXANTE -q policy adopt p2.txt >/dev/null
for i in $(seq 1 600); do printf '{"text":"member %d"}\n' "$i"; done > big.jsonl
$EXANTE -q ingest --source s big.jsonl >/dev/null
expect 0 $EXANTE --json snapshot create b
contains "$T/out" '"size":600'
expect 0 $EXANTE snapshot tiles b --out pubb
[ -f pubb/tile/0/000 ] && [ -f pubb/tile/0/001 ] && [ -f pubb/tile/0/002.p/88 ] && [ -f pubb/tile/1/000.p/2 ] &&
    [ -f pubb/tile/entries/002.p/88 ] && ok || bad "tiles of 600: $(find pubb -type f | sort | tr '\n' ' ')"
expect 0 $EXANTE snapshot audit b --tiles pubb
expect 0 $EXANTE snapshot audit b
for i in $(seq 1 600); do printf 'member %d' "$i" | sha256sum | sed 's/ .*//; s/^/sha256:/'; done | sort > wantb.txt
$EXANTE snapshot export b > gotb.txt
cmp -s gotb.txt wantb.txt && ok || bad "export of 600 members differs"
# proofs over 600 leaves (through the kept subtree hashes): members and gaps all verify
VKB="$(cat "$EXANTE_DIR/vkey")"
for n in 1 17 256 300 599 600; do
    d=$(sed -n "${n}p" wantb.txt)
    $EXANTE prove b --digest "$d" > pb.json 2>/dev/null
    expect 0 $EXANTE verify-proof pb.json --vkey "$VKB"
    [ "$(cat "$T/out")" = member ] && ok || bad "leaf $n of 600: $(cat "$T/out")"
    nd="${d%?}$(printf '%x' $(( (0x${d: -1} + 1) % 16 )))"
    $EXANTE prove b --digest "$nd" > pn.json 2>/dev/null
    expect 0 $EXANTE verify-proof pn.json --vkey "$VKB"
    if grep -qx -- "$nd" wantb.txt; then ok; else
        [ "$(cat "$T/out")" = non-member ] && ok || bad "beside leaf $n of 600: $(cat "$T/out")"
    fi
done
# thousands of decisions, more than the decoding pipeline reads at a time (slots of 1024, in
# a ring of 8), read newest first: 12,000 items, half decided under a second policy, then the
# first half re-decided under it (18,000 decisions). The members are each item's latest
# decision that admits, as SQL over the decisions gives them; the policies are named in the
# order of their first decision; an audit as of a log size below the re-decisions gives the
# earlier members
export EXANTE_DIR="$T/many"
DBM="$EXANTE_DIR/ledger.db"
$EXANTE -q init >/dev/null
$EXANTE -q source add s --kind other >/dev/null
printf 'admit license MIT Apache-2.0\nreject * "no"\n' > pm1.txt
printf 'admit license MIT GPL-3.0-only\nreject * "narrow"\n' > pm2.txt
many() { # many FIRST LAST: items, a third each MIT, Apache-2.0 and GPL-3.0-only
    awk -v a="$1" -v b="$2" 'BEGIN { split("MIT Apache-2.0 GPL-3.0-only", l, " ");
        for (i = a; i <= b; i++) printf "{\"text\":\"many %d\",\"license\":\"%s\"}\n", i, l[i % 3 + 1] }'
}
p1=$($EXANTE --json policy adopt pm1.txt | sed 's/.*"digest":"\([^"]*\)".*/\1/')
many 1 6000 > many1.jsonl
$EXANTE -q ingest --source s many1.jsonl >/dev/null
p2=$($EXANTE --json policy adopt pm2.txt | sed 's/.*"digest":"\([^"]*\)".*/\1/')
many 6001 12000 > many2.jsonl
$EXANTE -q ingest --source s many2.jsonl >/dev/null
latest_admits() {
    sql "$DBM" "SELECT DISTINCT json_extract(r, '\$.digest') FROM (SELECT record(record) AS r,
        max(id) FROM decisions GROUP BY key) WHERE json_extract(r, '\$.verdict') = 'admit' ORDER BY 1"
}
expect 0 $EXANTE --json snapshot create m1
contains "$T/out" "\"policies\":[\"$p1\",\"$p2\"]"
contains "$T/out" '"size":8000'
latest_admits > wantm1.txt
$EXANTE snapshot export m1 > gotm1.txt
[ "$(wc -l < wantm1.txt)" = 8000 ] && cmp -s gotm1.txt wantm1.txt && ok || bad "export of m1 differs"
$EXANTE -q reevaluate >/dev/null
[ "$(sql "$DBM" "SELECT count(*) FROM decisions")" = 18000 ] && ok || bad "want 18000 decisions"
expect 0 $EXANTE --json snapshot create m2
contains "$T/out" "\"policies\":[\"$p2\"]"
latest_admits > wantm2.txt
$EXANTE snapshot export m2 > gotm2.txt
cmp -s gotm2.txt wantm2.txt && ok || bad "export of m2 differs"
expect 0 $EXANTE snapshot audit m1
expect 0 $EXANTE snapshot audit m2
# a damaged decision, one in force, is refused and named, whichever thread decoded it
cp "$DBM" pristine-many.db
restore_many() { cp pristine-many.db "$DBM"; rm -f "$DBM-wal" "$DBM-shm"; }
dmg=$(sql "$DBM" "SELECT max(id) FROM decisions WHERE key = 3000")
damage "$DBM" decisions "$dmg"
expect 2 $EXANTE snapshot create bad1
contains "$T/err" "damaged block"
restore_many
sql "$DBM" "UPDATE decisions SET record = CAST('{\"verdict\":\"admit\"' AS BLOB) WHERE id = $dmg"
expect 2 $EXANTE snapshot create bad2
contains "$T/err" "decision $dmg is not a decision record"
restore_many
sql "$DBM" "UPDATE decisions SET record = CAST('{\"verdict\":\"admit\"}' AS BLOB) WHERE id = $dmg"
expect 2 $EXANTE snapshot create bad3
contains "$T/err" "decision $dmg has no content digest"
restore_many
# an older decision, superseded, is never read: damaging it changes nothing
older=$(sql "$DBM" "SELECT min(id) FROM decisions WHERE key = 3000")
sql "$DBM" "UPDATE decisions SET record = CAST('{\"verdict\":\"admit\"' AS BLOB) WHERE id = $older"
expect 0 $EXANTE snapshot create m3
$EXANTE snapshot export m3 > gotm3.txt
cmp -s gotm3.txt wantm2.txt && ok || bad "export of m3 differs"
restore_many
export EXANTE_DIR="$T/ledger"

# bad input
expect 2 $EXANTE snapshot show nosuch
contains "$T/err" "no snapshot named 'nosuch'"
expect 2 $EXANTE snapshot create 'bad name'
expect 2 $EXANTE snapshot create s9 --from nosuch
expect 2 $EXANTE snapshot diff s1
expect 2 $EXANTE snapshot frobnicate x
expect 0 $EXANTE snapshot --help
contains "$T/out" "usage: exante snapshot create NAME"
finish
