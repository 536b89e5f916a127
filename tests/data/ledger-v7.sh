# how tests/data/ledger-v7 was made, by exante c4e171e (ledger schema 7), in an empty directory
set -eu
X=$1 WARC=$2
export EXANTE_DIR=$PWD/ledger-v7
$X -q init --origin fixture.test/v7 >/dev/null
$X -q source add web --kind crawl >/dev/null
for i in $(seq 1 120); do printf '{"text":"fixture text %d","url":"https://f.example/%d","license":"MIT"}\n' $((i % 110)) $i; done > a.jsonl
printf 'reject optout\nreject license CC-BY-NC-4.0\nadmit license MIT\nreject * "no lawful basis recorded"\n' > policy.txt
$X -q policy adopt policy.txt >/dev/null
$X -q ingest --source web --batch 50 a.jsonl >/dev/null
$X -q ingest --source web "$WARC" >/dev/null
$X -q optout add --domain f.example --holder "F Press" >/dev/null
$X -q reevaluate >/dev/null
printf '{"text":"after the opt-out","url":"https://g.example/1"}\n{"text":"fixture text 5","url":"https://g.example/2"}\n' > b.jsonl
$X -q ingest --source web b.jsonl >/dev/null
$X -q log verify >/dev/null
# a small file: 1 KiB pages (the store's 16 KiB are for tiles, and this ledger has few)
sqlite3 ledger-v7/ledger.db 'PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM;' >/dev/null
rm -rf ledger-v7/dedup ledger-v7/urls ledger-v7/near-* ledger-v7/ingest.lock
