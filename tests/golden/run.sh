#!/usr/bin/env bash
# run.sh EXANTE SQLITE_MODULE OUT : a fixed scenario on the sample corpus (three sources,
# ingest before and after a policy, signals, an opt-out, two reevaluations), run in the
# current directory under a fixed clock, and every byte it logged dumped to OUT: the log
# entries, the decisions, the quarantine and the item records. The same build gives the same
# OUT wherever it runs; tests/cli/test_golden.sh compares it with sample.txt.gz, which an
# earlier build wrote (regenerate only for an intended format change, and say so).
set -eu
X=$1 MOD=$2 OUT=$3
# records name the time they were logged, and digests chain through them: one fixed second
faketime_lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1)
[ -n "$faketime_lib" ] || { echo "run.sh: libfaketime is missing (apt-get install faketime)" >&2; exit 2; }
export LD_PRELOAD=$faketime_lib FAKETIME="2026-01-02 03:04:05" FAKETIME_DONT_FAKE_MONOTONIC=1
export EXANTE_DIR=$PWD/ledger
$X init --origin golden.test/log >/dev/null
$X sample --items 300 --seed 7 --out s >/dev/null
printf 'Terms of service: text and data mining reserved.\n' >terms.txt
printf 'BookCo grants a license to train.\n' >agreement.txt
mkdir -p docs
printf 'plain file one\n' >docs/a.txt
printf 'plain file two\n' >docs/b.txt
printf 'plain file one\n' >docs/c.txt
$X evidence add terms.txt --kind terms --note golden >/dev/null
$X source add web --kind crawl --terms terms.txt >/dev/null
$X source add bookco --kind licensed --agreement agreement.txt --license CC-BY-4.0 \
    --ml-use allowed >/dev/null
$X source add files --kind first-party --license MIT >/dev/null
$X ingest -q --source bookco s/corpus.jsonl.zst >/dev/null # no policy yet: pending
cat >policy.txt <<'P'
name   golden
agents GPTBot CCBot
reject optout
reject tdm-reserved
reject robots-disallowed
reject noai
reject source ml-use=prohibited
admit  source agreement
reject license CC-BY-NC-4.0
admit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
P
$X policy adopt policy.txt >/dev/null
$X signals add s/crawl.warc.gz >/dev/null
$X ingest -q --source web --batch 50 s/crawl.warc.gz >/dev/null
$X ingest -q --source files docs/a.txt docs/b.txt docs/c.txt >/dev/null
$X reevaluate >/dev/null
$X optout add --domain shop.example.net --holder "Example Shop" >/dev/null
$X reevaluate >/dev/null
size=$($X --json log verify | sed -n 's/.*"entries":\([0-9]*\).*/\1/p')
[ -n "$size" ] || { echo "run.sh: log verify failed" >&2; exit 1; }
{
    i=0
    while [ "$i" -lt "$size" ]; do
        $X log entry "$i"
        echo
        i=$((i + 1))
    done
    echo "== decisions"
    $X decisions
    echo "== quarantine"
    $X quarantine list
    echo "== items"
    sqlite3 -cmd ".load $MOD" ledger/ledger.db "select id, record(record) from items order by id"
} >"$OUT"
