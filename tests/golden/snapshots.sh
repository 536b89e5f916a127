#!/usr/bin/env bash
# snapshots.sh EXANTE OUT : snapshots of the ledger tests/golden/run.sh left in ./ledger (run it
# first, in the same directory), under the same fixed clock, dumped to OUT: a snapshot of that
# ledger; a narrower policy and items decided under it beside the earlier ones (a snapshot
# naming both policies); a reevaluation, another opt-out and one more item, then a snapshot of
# everything and one --from the first. Each record (with its log index) and each
# member list is dumped, and every snapshot is audited at the end, the first one as of a log
# size below the later decisions. tests/cli/test_golden.sh compares OUT with snapshots.txt,
# which an earlier build wrote: the member computation (latest decision per item within a
# log size, opt-outs, the policies named in order) may change how it runs, never what it gives.
set -eu
X=$1 OUT=$2
faketime_lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1)
[ -n "$faketime_lib" ] || { echo "snapshots.sh: libfaketime is missing (apt-get install faketime)" >&2; exit 2; }
export LD_PRELOAD=$faketime_lib FAKETIME="2026-01-02 03:04:05" FAKETIME_DONT_FAKE_MONOTONIC=1
export EXANTE_DIR=$PWD/ledger
[ -f "$EXANTE_DIR/ledger.db" ] || { echo "snapshots.sh: run tests/golden/run.sh here first" >&2; exit 2; }
# after two reevaluations and an opt-out: superseded decisions, pending, duplicates, rejects
$X snapshot create first >/dev/null
cat >policy2.txt <<'P'
name   golden-narrow
reject optout
reject license CC-BY-4.0
admit  license MIT CC0-1.0 CC-BY-SA-4.0
reject *  "narrowed"
P
$X policy adopt policy2.txt >/dev/null
mkdir -p docs2
printf 'plain file three\n' >docs2/d.txt
printf 'plain file one\n' >docs2/e.txt # a copy of an earlier item
printf 'plain file four\n' >docs2/f.txt
# new items decided under the new policy beside earlier ones under the old: two policies
$X ingest -q --source files docs2/d.txt docs2/e.txt >/dev/null
$X snapshot create mixed >/dev/null
$X reevaluate >/dev/null
$X optout add --domain art.example.io --holder "Art" >/dev/null
$X ingest -q --source files docs2/f.txt >/dev/null
$X snapshot create second >/dev/null
$X snapshot create third --from first >/dev/null
{
    echo "== list"
    $X snapshot list
    for s in first mixed second third; do
        echo "== export $s"
        $X snapshot export "$s"
        echo "== audit $s"
        $X --json snapshot audit "$s"
        echo
    done
} >"$OUT"
