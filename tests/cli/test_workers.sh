# A shared ledger (PostgreSQL): 4 workers on 8 shards of an input list and a sequencer, a
# worker killed with SIGKILL in the middle of an input and started again, a sequencer killed
# with SIGKILL after 5 batches and another started, decide every
# content digest as one SQLite ingest of the same list does: the same decisions (as a
# multiset, without the fields that name items: ids, copy_of, provenance), the same snapshot
# root; log verify passes. One sequencer at a time; a batch staged under another policy is
# refused (nothing written) until handed back; bad URLs, refused connections, a newer
# schema: clear errors, exit 2 or 3.
. "$(dirname "$0")/lib.sh"
URL=$(pg_url workers)
[ -n "${KEEP_T:-}" ] && trap "echo kept $T" EXIT
printf 'admit license MIT\nreject license CC-BY-NC-4.0\nreject * "no license"\n' > p.policy

# 8 inputs of 240 records; f6 repeats 5 records of f1 and f3 3 of f0 (copies across shards)
mkdir in
for f in $(seq 0 7); do
    for r in $(seq 1 240); do
        case $(((f + r) % 3)) in 0) lic=MIT ;; 1) lic=CC-BY-NC-4.0 ;; *) lic= ;; esac
        printf '{"text":"file %d record %d: %s","url":"https://s%d.example/%d","license":"%s"}\n' \
            $f $r "$(printf 'w%d ' $(seq $r $((r + 12))))" $f $r "$lic"
    done > in/f$f.jsonl
done
head -n 5 in/f1.jsonl >> in/f6.jsonl
head -n 3 in/f0.jsonl >> in/f3.jsonl
ls in/*.jsonl > list

# the reference: one SQLite ingest of the whole list
export EXANTE_DIR="$T/ref"
$EXANTE -q init --origin workers.example/ref >/dev/null || bad init
$EXANTE -q source add dump --kind public-dataset >/dev/null && $EXANTE -q policy adopt p.policy >/dev/null || bad setup
expect 0 $EXANTE ingest --source dump --inputs list --batch 50
expect 0 $EXANTE decisions
cp "$T/out" ref.decisions

# the shared ledger: made once; its keys stay in the sequencer's directory
export EXANTE_DIR="$T/seq"
expect 0 $EXANTE init --origin workers.example/log --db "$URL"
[ -f "$T/seq/store" ] && [ -f "$T/seq/key.pem" ] && [ ! -f "$T/seq/ledger.db" ] && ok || bad "init --db: store file and key, no SQLite file"
[ "$(stat -c %a "$T/seq/store")" = 600 ] && ok || bad "the store file (a URL, maybe a password) is readable by others"
expect 2 $EXANTE --db "$URL" init --origin again.example/log
EXANTE_DIR="$T/again" expect 2 $EXANTE init --db "$URL"
contains "$T/err" "already holds an exante ledger"
expect 0 $EXANTE source add dump --kind public-dataset
expect 0 $EXANTE policy adopt p.policy

# a first sequencer dies (SIGKILL) after logging 5 batches while the workers stage
( LD_PRELOAD="$KILL_AFTER_COMMITS" EXANTE_TEST_KILL_AFTER_COMMITS=5 $EXANTE -q log sequence --follow \
      2>/dev/null; echo $? > seqkill.rc ) &
SK=$!

# workers need no key: each runs in a directory of its own with only the database's URL
worker() { # worker SHARD... : stage each shard in turn
    for s in "$@"; do
        EXANTE_DIR="$T/w$s" EXANTE_DB="$URL" $EXANTE -q ingest --source dump --inputs list \
            --shard "$s/8" --batch 50 --lease 2 || return 1
    done
}
(worker 0 4) & W0=$!
(worker 1 5) & W1=$!
(worker 3 7) & W3=$!
# worker 2 dies after staging 3 batches of its first input, and is started again (as another
# worker: it waits for the dead one's lease to expire, then goes on where it ended)
( EXANTE_DIR="$T/w2" EXANTE_DB="$URL" LD_PRELOAD="$KILL_AFTER_COMMITS" EXANTE_TEST_KILL_AFTER_COMMITS=3 \
      $EXANTE -q ingest --source dump --inputs list --shard 2/8 --batch 50 --lease 2
  echo $? > killed.rc
  worker 2 6 ) & W2=$!
wait $SK
[ "$(cat seqkill.rc)" = 137 ] && ok || bad "the first sequencer was not killed: $(cat seqkill.rc)"
# another takes over, following; a second one at the same time is refused
$EXANTE log sequence --follow > seq.out 2> seq.err &
SEQ=$!
sleep 0.5
expect 2 $EXANTE log sequence
contains "$T/err" "another sequencer is running"
# readers meanwhile: every one opens the log while batches land
( for i in $(seq 1 60); do $EXANTE -q log checkpoint >/dev/null 2>>readers.err || echo x >> readers.failed; done ) &
RD=$!
for p in $W0 $W1 $W2 $W3; do wait $p && ok || bad "worker $p failed"; done
wait $RD
[ ! -s readers.failed ] && ok || bad "a reader beside the sequencer failed: $(head -2 readers.err)"
[ "$(cat killed.rc)" = 137 ] && ok || bad "worker 2 was not killed mid-input: $(cat killed.rc)"
# every staged batch logged, then the sequencer stops on SIGTERM
for i in $(seq 1 100); do
    [ "$(psql -X -At "$URL" -c 'SELECT count(*) FROM exante.staged')" = 0 ] && break
    sleep 0.2
done
kill -TERM $SEQ
wait $SEQ && ok || bad "the sequencer did not end cleanly: $(cat seq.err)"
contains seq.out "sequenced"
[ "$(psql -X -At "$URL" -c 'SELECT count(*) FROM exante.leases WHERE NOT done')" = 0 ] && ok || bad "inputs left undone"

project() { # decisions without the fields that name items, sorted
    python3 -c 'import json,sys
for l in sys.stdin:
    d=json.loads(l)
    for k in ("item","copy_of","provenance"): d.pop(k,None)
    print(json.dumps(d,sort_keys=True))' < "$1" | sort
}
expect 0 $EXANTE decisions
project "$T/out" > shared.proj
project ref.decisions > ref.proj
[ "$(wc -l < ref.proj)" -eq $((8 * 240 + 8)) ] && ok || bad "reference decisions: $(wc -l < ref.proj)"
cmp -s ref.proj shared.proj && ok || { diff ref.proj shared.proj | head -5 >&2; bad "decisions differ from the SQLite run"; }
grep -c '"verdict": "duplicate"' shared.proj | grep -qx 8 && ok || bad "8 copies across inputs"
expect 0 $EXANTE --json snapshot create s1
ROOT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/out")
EXANTE_DIR="$T/ref" expect 0 $EXANTE --json snapshot create s1
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$T/out")" = "$ROOT" ] && ok || bad "snapshot roots differ"
expect 0 $EXANTE log verify
contains "$T/out" "ok: 1 sources"

# a batch staged under another policy than the sequencer's: refused, nothing written; handed
# back, read again, logged
echo '{"text":"late one","url":"https://late.example/1","license":"MIT"}' > in/late.jsonl
echo in/late.jsonl > late.list
EXANTE_DIR="$T/w9" EXANTE_DB="$URL" expect 0 $EXANTE ingest --source dump --inputs late.list
# a damaged staged batch is refused whole, naming it; nothing written
psql -X -q "$URL" -c "UPDATE exante.staged SET n = n + 1" || bad psql
expect 2 $EXANTE log sequence
contains "$T/err" "entries, not the"
contains "$T/err" "late.jsonl"
psql -X -q "$URL" -c "UPDATE exante.staged SET n = n - 1" || bad psql
# ... and so is one written by another build
psql -X -q "$URL" -c "UPDATE exante.staged SET version = version || 'x'" || bad psql
expect 2 $EXANTE log sequence
contains "$T/err" "workers and sequencer must run the same build"
psql -X -q "$URL" -c "UPDATE exante.staged SET version = rtrim(version, 'x')" || bad psql
printf 'admit license MIT\nreject * "no license"\n' > p2.policy
expect 0 $EXANTE policy adopt p2.policy
SIZE=$(psql -X -At "$URL" -c 'SELECT count(*) FROM exante.entries')
expect 2 $EXANTE log sequence
contains "$T/err" "was read under policy"
contains "$T/err" "--discard-stale"
[ "$(psql -X -At "$URL" -c 'SELECT count(*) FROM exante.entries')" = "$SIZE" ] && ok || bad "a stale batch wrote entries"
expect 0 $EXANTE --json log sequence --discard-stale
contains "$T/out" '"inputs_handed_back":1'
EXANTE_DIR="$T/w9" EXANTE_DB="$URL" expect 0 $EXANTE --json ingest --source dump --inputs late.list
contains "$T/out" '"items":1'
expect 0 $EXANTE --json log sequence
contains "$T/out" '"admitted":1'
expect 0 $EXANTE log verify

# a list input no worker can open fails the worker whose shard holds it, not the others
printf 'in/late.jsonl\nin/missing.jsonl\n' > miss.list
EXANTE_DIR="$T/w10" EXANTE_DB="$URL" expect 0 $EXANTE ingest --source dump --inputs miss.list --shard 0/2
EXANTE_DIR="$T/w11" EXANTE_DB="$URL" expect 3 $EXANTE ingest --source dump --inputs miss.list --shard 1/2
contains "$T/err" "cannot open 'in/missing.jsonl'"

# bad input: clear errors, nothing written
expect 2 $EXANTE --db 'postgresql://h/db?colour=blue' log verify
contains "$T/err" "not a PostgreSQL connection URL"
expect 3 $EXANTE --db 'postgresql:///x?host=/nonexistent-exante' log verify
contains "$T/err" "cannot connect to PostgreSQL"
# ... and init leaves nothing behind: no directory, no key
EXANTE_DIR="$T/nothing" expect 3 $EXANTE init --db 'postgresql:///x?host=/nonexistent-exante'
[ ! -e "$T/nothing" ] && ok || bad "a failed init left $(ls "$T/nothing")"
EXANTE_DIR="$T/nothing" expect 2 $EXANTE init --db 'postgresql://h/db?colour=blue'
[ ! -e "$T/nothing" ] && ok || bad "a failed init left files"
psql -X -q "$URL" -c "UPDATE exante.meta SET value = '99' WHERE key = 'schema'" || bad psql
expect 3 $EXANTE log verify
contains "$T/err" "ledger schema version 99 is newer than this exante"
psql -X -q "$URL" -c "UPDATE exante.meta SET value = '8' WHERE key = 'schema'" || bad psql
EXANTE_DIR="$T/ref" expect 2 $EXANTE log sequence
contains "$T/err" "shared ledger"
finish
