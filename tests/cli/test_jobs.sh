# exante ingest --jobs N: several inputs read in parallel end with the same set of items and
# decisions as one job (which copy of a duplicate comes first may differ), a valid log, and
# re-runs and --strict behave as with one job.
. "$(dirname "$0")/lib.sh"
mk() { # mk DIR : a ledger in DIR with source "dump"
    EXANTE_DIR="$T/$1" $EXANTE -q init --origin jobs.example/log >/dev/null || bad init
    EXANTE_DIR="$T/$1" $EXANTE -q source add dump --kind public-dataset >/dev/null || bad source
}
mk one; mk four
# six inputs of three formats; shard 5 repeats shard 1 (exact duplicates across inputs); one
# malformed line; a file tree with a copy inside
for s in 1 2 3 4; do
    for i in $(seq 1 400); do printf '{"text":"shard %d doc %d","url":"https://s%d.example/%d"}\n' $s $i $s $i; done > shard$s.jsonl
done
cp shard1.jsonl shard5.jsonl
printf '{"text": broken\n' >> shard2.jsonl
gzip -c shard3.jsonl > shard3.jsonl.gz && rm shard3.jsonl
zstd -q -c shard4.jsonl > shard4.jsonl.zst && rm shard4.jsonl
mkdir tree; for i in 1 2 3; do echo "file $i" > tree/f$i.txt; done; cp tree/f1.txt tree/copy.txt
inputs="shard1.jsonl shard2.jsonl shard3.jsonl.gz shard4.jsonl.zst shard5.jsonl tree"

EXANTE_DIR="$T/one" expect 0 $EXANTE --json ingest --source dump --batch 100 $inputs
cp "$T/out" one.json
EXANTE_DIR="$T/four" expect 0 $EXANTE --json ingest --source dump --batch 100 --jobs 4 $inputs
cp "$T/out" four.json
for k in '"items":2004' '"pending":1603' '"duplicates":401' '"quarantined":1'; do
    contains one.json "$k"; contains four.json "$k"
done
# the same items (digest, locator) and the same multiset of verdicts
for d in one four; do
    sql "$T/$d/ledger.db" "SELECT json_extract(record(record),'\$.digest')||' '||json_extract(record(record),'\$.file')||' '||ifnull(json_extract(record(record),'\$.offset'),'') FROM items ORDER BY 1" > items.$d
    sql "$T/$d/ledger.db" "SELECT json_extract(record(record),'\$.digest')||' '||json_extract(record(record),'\$.verdict') FROM decisions ORDER BY 1" > verdicts.$d
    cut -d' ' -f1 verdicts.$d | sort | uniq -c | sort > per-digest.$d
done
sed "s|$T/one|X|; s|$T/four|X|" items.one > a; sed "s|$T/one|X|; s|$T/four|X|" items.four > b
cmp -s a b && ok || bad "--jobs 4 recorded other items than one job"
[ "$(wc -l < items.four)" = 2004 ] && ok || bad "--jobs 4: item count"
cmp -s per-digest.one per-digest.four && ok || bad "--jobs 4: decisions per digest differ"
# every digest is decided exactly once (no policy: pending), its other copies are duplicates
n=$(sql "$T/four/ledger.db" "SELECT count(*) FROM (SELECT json_extract(record(record),'\$.digest') d, sum(json_extract(record(record),'\$.verdict')='pending') a FROM decisions GROUP BY d HAVING a != 1)")
[ "$n" = 0 ] && ok || bad "--jobs 4: $n digests not decided exactly once"
EXANTE_DIR="$T/four" expect 0 $EXANTE log verify
EXANTE_DIR="$T/four" expect 0 $EXANTE quarantine list
contains "$T/out" "shard2.jsonl"
# a re-run with jobs adds nothing
EXANTE_DIR="$T/four" expect 0 $EXANTE --json ingest --source dump --jobs 3 $inputs
contains "$T/out" '"items":0'
contains "$T/out" '"skipped":2004'
# --strict with jobs: exit 2, and the ledger stays valid
mk strict
EXANTE_DIR="$T/strict" expect 2 $EXANTE ingest --source dump --strict --jobs 2 $inputs
contains "$T/err" "--strict"
EXANTE_DIR="$T/strict" expect 0 $EXANTE log verify
# an unreadable input among several fails the run with its name
EXANTE_DIR="$T/strict" expect 3 $EXANTE ingest --source dump --jobs 2 shard1.jsonl nothere.jsonl
contains "$T/err" "cannot open 'nothere.jsonl'"
# a duplicate index with room for 32 keys in memory (the rest in sorted runs on disk, merged
# as they pile up) finds exactly the same duplicates, in this run and in a later one
mk small
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump --jobs 2 $inputs
for k in '"items":2004' '"pending":1603' '"duplicates":401'; do contains "$T/out" "$k"; done
cp shard2.jsonl shard6.jsonl
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump shard6.jsonl
for k in '"items":400' '"duplicates":400' '"pending":0'; do contains "$T/out" "$k"; done
# the index is kept for the next ingest in dedup/: a manifest naming its run files, no others
D="$T/small/dedup"
runs_listed() { sed -n 's/^run \(run-[^ ]*\) .*/\1/p' "$D/manifest" | sort; }
runs_there() { ls "$D" | grep '^run-' | sort; }
[ -f "$D/manifest" ] && ok || bad "no dedup/manifest after an ingest"
[ "$(runs_listed)" = "$(runs_there)" ] && [ -n "$(runs_there)" ] && ok ||
    bad "dedup/ holds other run files than its manifest names: $(runs_there | tr '\n' ' ')"
grep -q "^covered 2404 " "$D/manifest" && ok || bad "manifest covers $(sed -n 2p "$D/manifest"), want item 2404"
# the next ingest trusts what was saved rather than reading every item again: a manifest that
# keeps its 'covered' line but names no runs makes copies of old items look new...
cp "$D/manifest" saved.manifest
head -n 2 saved.manifest > "$D/manifest"
cp shard3.jsonl.gz shard7.jsonl.gz
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump shard7.jsonl.gz
for k in '"items":400' '"duplicates":0'; do contains "$T/out" "$k"; done
# ...while one that does not fit the ledger (another item's key) is thrown away: every item is
# read again and copies are found
sed -n 1,2p "$D/manifest" | sed '2s/ [0-9]*$/ 12345/' > m && mv m "$D/manifest"
zstd -q -dc shard4.jsonl.zst > shard8.jsonl
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump shard8.jsonl
for k in '"items":400' '"duplicates":400'; do contains "$T/out" "$k"; done
# so is a malformed one; run files nobody names (an ingest killed midway) are deleted
printf 'not a manifest\n' > "$D/manifest"
: > "$D/run-stray1"
cp shard2.jsonl shard9.jsonl
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump shard9.jsonl
for k in '"items":400' '"duplicates":400'; do contains "$T/out" "$k"; done
[ ! -e "$D/run-stray1" ] && ok || bad "a run file no manifest names was kept"
[ "$(runs_listed)" = "$(runs_there)" ] && ok || bad "dedup/ and its manifest disagree after a rebuild"
: > "$D/run-stray2"
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump shard9.jsonl
contains "$T/out" '"skipped":400'
[ ! -e "$D/run-stray2" ] && ok || bad "a run file no manifest names was kept (valid manifest)"
# an index the previous build wrote (manifest version 1, runs of 16-byte slots) is not used:
# its files go and the index is rebuilt from the items, so copies are found as before (were it
# trusted, its `covered` line would make them look new)
sed -n 2p "$D/manifest" > covered.line
rm -f "$D"/run-*
{ echo 'exante-dedup 1'; cat covered.line; echo 'run run-old001 2'; } > "$D/manifest"
printf '\001\000\000\000\000\000\000\020\001\000\000\000\000\000\000\000\001\000\000\000\000\000\000\040\002\000\000\000\000\000\000\000' > "$D/run-old001"
[ "$(stat -c %s "$D/run-old001")" = 32 ] && ok || bad "the version 1 run is not 32 bytes"
cp shard2.jsonl shard10.jsonl
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump shard10.jsonl
for k in '"items":400' '"duplicates":400' '"pending":0'; do contains "$T/out" "$k"; done
[ ! -e "$D/run-old001" ] && ok || bad "the version 1 run file was kept"
[ "$(head -n 1 "$D/manifest")" = "exante-dedup 2" ] && ok || bad "manifest after a rebuild: $(head -n 1 "$D/manifest")"
[ "$(runs_listed)" = "$(runs_there)" ] && [ -n "$(runs_there)" ] && ok || bad "dedup/ and its manifest disagree after rebuilding a version 1 index"
EXANTE_DEDUP_MEM_ITEMS=32 EXANTE_DIR="$T/small" expect 0 $EXANTE --json ingest --source dump shard10.jsonl
contains "$T/out" '"skipped":400'
EXANTE_DIR="$T/small" expect 0 $EXANTE log verify
# one writer at a time: a second ingest (or reevaluate) while one runs is refused at once with
# the holder's pid, and loses nothing; the first one completes
mk locked
mkfifo slow.jsonl
EXANTE_DIR="$T/locked" $EXANTE -q --json ingest --source dump --format jsonl slow.jsonl > first.json 2> first.err &
first=$!
for _ in $(seq 1 100); do [ -s "$T/locked/ingest.lock" ] && break; sleep 0.1; done
EXANTE_DIR="$T/locked" expect 3 $EXANTE ingest --source dump shard1.jsonl
contains "$T/err" "another ingest or reevaluate is writing to this ledger (pid $first)"
EXANTE_DIR="$T/locked" expect 3 $EXANTE reevaluate
contains "$T/err" "another ingest or reevaluate is writing to this ledger"
# (bounded: a first ingest that died would leave the pipe without a reader)
timeout 20 sh -c 'printf "{\"text\":\"through a pipe\"}\n" > slow.jsonl' || bad "nobody read the pipe"
wait $first && ok || bad "the first ingest failed: $(cat first.err)"
contains first.json '"items":1'
EXANTE_DIR="$T/locked" expect 0 $EXANTE log verify
# bad values
expect 2 $EXANTE ingest --source dump --jobs 0 shard1.jsonl
contains "$T/err" "--jobs takes 1..64"
expect 2 $EXANTE ingest --source dump --jobs 65 shard1.jsonl
finish
