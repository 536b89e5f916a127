#!/usr/bin/env bash
# Honest failure reports (issue 18): an ingest that fails part-way says what was committed
# (and only that: the counts match the ledger), what was read and not committed, and the
# command that resumes it; running that command completes the ingest as an uninterrupted one.
# Errors name the cause in the user's terms before SQLite's wording: disk full on PATH,
# permission denied on PATH, database locked by PID N. A full or failing disk comes from
# tests/fault/fail_nth.c (every write from the 100th on fails with ENOSPC or EACCES).
. "$(dirname "$0")/lib.sh"
: "${FAIL_NTH:?FAIL_NTH must name the fault shim}"
X=$EXANTE
$X sample --items 40 --seed 3 --out s >/dev/null
cat >p.txt <<'P'
name   one
reject license CC-BY-NC-4.0
admit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
P
# fresh DIR : a ledger in DIR with source w and the policy
fresh() {
    export EXANTE_DIR="$T/$1"
    $X -q init >/dev/null && $X -q source add w --kind crawl >/dev/null &&
        $X -q policy adopt p.txt >/dev/null || bad "setup of $1"
}
# from_100th ERRNO CMD... : CMD with its writes from the 100th on failing with ERRNO
from_100th() {
    local e=$1
    shift
    LD_PRELOAD="$FAIL_NTH" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        EXANTE_FAULT_OP=write EXANTE_FAULT_N=100 EXANTE_FAULT_PERSIST=1 EXANTE_FAULT_ERRNO=$e "$@"
}
# jget FILE KEY.PATH : a value of the JSON object in FILE
jget() {
    python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v = v[k]
print(json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

# the uninterrupted run, for comparison
fresh whole
$X -q ingest --source w --batch 5 s/corpus.jsonl.zst >/dev/null || bad "uninterrupted ingest"
$X decisions >whole.jsonl

# ---- disk full: --json ----
fresh full
expect 3 from_100th ENOSPC $X --json ingest --source w --batch 5 s/corpus.jsonl.zst
contains "$T/err" "exante: disk full on $T/full/ledger.db"
contains "$T/err" "database or disk is full" # SQLite's wording follows
cp "$T/out" full.json
[ "$(jget full.json complete)" = false ] && ok || bad "complete: $(cat full.json)"
[ "$(jget full.json ok)" = false ] && ok || bad "ok: $(cat full.json)"
[ "$(jget full.json resume)" = "exante --json ingest --source w --batch 5 s/corpus.jsonl.zst" ] &&
    ok || bad "resume: $(jget full.json resume)"
# the counts are the ledger's: what was committed, not what was read
$X decisions >part.jsonl
n=$(wc -l <part.jsonl)
adm=$(grep -c '"verdict":"admit"' part.jsonl)
rej=$(grep -c '"verdict":"reject"' part.jsonl)
[ "$n" -gt 0 ] && [ "$n" -lt "$(wc -l <whole.jsonl)" ] && ok ||
    bad "want a part-way stop: $n of $(wc -l <whole.jsonl) decisions committed"
for k in items committed.items; do
    [ "$(jget full.json $k)" = "$n" ] && ok || bad "$k: $(jget full.json $k), the ledger has $n"
done
for k in admitted committed.admitted; do
    [ "$(jget full.json $k)" = "$adm" ] && ok || bad "$k: $(jget full.json $k), the ledger has $adm"
done
[ "$(jget full.json committed.rejected)" = "$rej" ] && ok || bad "committed.rejected: $(jget full.json committed.rejected), the ledger has $rej"
[ "$(jget full.json committed.batches)" = "$($X --json log verify | python3 -c 'import json,sys; print(json.load(sys.stdin)["batches"])')" ] &&
    ok || bad "committed.batches differs from the ledger's batches"
[ "$(jget full.json not_committed.items)" -gt 0 ] && ok || bad "not_committed: $(cat full.json)"
expect 0 $X log verify
# the resume line, run as given, completes it as an uninterrupted run would
expect 0 bash -c "cd '$T' && $(jget full.json resume | sed "s|^exante|'$X'|")"
[ "$(jget "$T/out" complete)" = true ] && ok || bad "resumed: $(cat "$T/out")"
contains "$T/out" '"skipped":'
$X decisions >resumed.jsonl
cmp -s whole.jsonl resumed.jsonl && ok || bad "the resumed ingest differs from an uninterrupted one"

# ---- disk full: text ----
fresh fulltext
expect 3 from_100th ENOSPC $X ingest --source w --batch 5 s/corpus.jsonl.zst
contains "$T/out" "committed before the failure: $(wc -l <part.jsonl) items: $adm admitted"
contains "$T/out" "incomplete: the counts above are what was committed"
contains "$T/out" "items read after them were not committed"
contains "$T/out" "  exante ingest --source w --batch 5 s/corpus.jsonl.zst"
# ---- permission denied, read-only file system ----
# as root, write permission does not stop writes: a read-only bind mount of the ledger's
# directory does (in a mount namespace of its own, where unshare is allowed)
fresh ro
if [ "$(id -u)" -ne 0 ]; then
    chmod a-w "$T/ro" "$T/ro"/ledger.db*
    expect 3 $X ingest --source w --batch 5 s/corpus.jsonl.zst
    contains "$T/err" "exante: permission denied on $T/ro/ledger.db"
    chmod -R u+w "$T/ro"
elif unshare -m true 2>/dev/null; then
    expect 3 unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
        shift && exec "$@"' sh "$T/ro" $X ingest --source w --batch 5 s/corpus.jsonl.zst
    contains "$T/err" "exante: read-only file system on $T/ro/ledger.db"
else
    echo "root without unshare: the read-only ledger case is skipped"
fi

# ---- locked by another process: its PID is named ----
fresh locked
python3 - "$T/locked/ledger.db" "$T/locker.pid" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2] + ".new", "w").write(str(os.getpid()))
os.rename(sys.argv[2] + ".new", sys.argv[2])
time.sleep(60)
PY
locker=$!
for _ in $(seq 1 100); do [ -s "$T/locker.pid" ] && break; sleep 0.1; done
[ -s "$T/locker.pid" ] && ok || bad "the locking process did not start"
# (SQLite waits its busy timeout, 10 s, before it gives up)
expect 3 $X ingest --source w --batch 5 s/corpus.jsonl.zst
contains "$T/err" "exante: database locked by PID $(cat "$T/locker.pid") ($T/locked/ledger.db)"
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null
finish
