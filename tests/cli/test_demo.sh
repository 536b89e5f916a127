# exante demo runs the chain end to end and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
export TMPDIR="$T"
expect 0 $EXANTE demo
contains "$T/out" "verified against the vkey"
contains "$T/out" "log verify: 3 entries and 4 checkpoints recomputed from storage: ok"
contains "$T/out" "ingested corpus.jsonl.zst  1997 items"
contains "$T/out" "policy adopted before ingest: sha256:"
contains "$T/out" "signals: 4 robots.txt and 1 tdmrep.json captures"
contains "$T/out" "reject by rule line:8: robots.txt of "
contains "$T/out" "opt-out of shop.example.net logged"
grep -q "reevaluate: 0 new decisions" "$T/out" && bad "the opt-out reached nothing" || ok
contains "$T/out" "line 667: malformed JSON"
contains "$T/out" "warc-payload-digest mismatch"
contains "$T/out" "proof verifies offline against the vkey"
contains "$T/out" "snapshot demo-train: 894 members"
contains "$T/out" "the rejected item is not in it: a "
contains "$T/out" "non-membership proof verifies offline against the vkey"
contains "$T/out" "decisions, "
contains "$T/out" "verify: signature, statement, checkpoint, snapshot record and weights all check"
contains "$T/out" "an admitted item is in it: a "
contains "$T/out" "membership proof verifies offline against the vkey"
grep -Eq "impact of the opt-out: [1-9][0-9]* item\(s\), [1-9][0-9]* of them copies mirrored at other URLs; in 0 snapshot" "$T/out" && ok || bad "impact of the opt-out: $(grep 'impact of' "$T/out")"
contains "$T/out" "impact of the admitted item: in 1 snapshot(s), carried by 1 model(s)"
[ -z "$(ls -d "$T"/exante-demo-* 2>/dev/null)" ] && ok || bad "demo left its directory"
# the documents for the outside world stay, where the demo says
docs=$(sed -n 's/^   the ledger.s report, one self-contained page: \(.*\)\/report.html$/\1/p' "$T/out")
[ -n "$docs" ] && [ -d "$docs" ] && ok || bad "no documents directory named: $docs"
grep -q 'data-k="items">2514<' "$docs/report.html" && ok || bad "the report lacks the ledger's 2514 items"
grep -q '^# Public summary of training content: demo-model$' "$docs/eu-summary.md" && ok || bad "eu-summary.md's title"
grep -q '^### 2.3 ' "$docs/eu-summary.md" && ok || bad "eu-summary.md lacks section 2.3"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if "demo-model" in json.dumps(j) else 1)' "$docs/eu-summary.json" && ok || bad "eu-summary.json does not name demo-model"
expect 0 $EXANTE --json demo
contains "$T/out" '"verified":true'
contains "$T/out" '"documents":"'"$T"'/exante-documents-'
expect 0 $EXANTE demo --keep
d=$(ls -d "$T"/exante-demo-* | head -1)
EXANTE_DIR="$d/ledger" expect 0 $EXANTE log verify

# the sample corpus is deterministic and has what the demo and tests rely on
expect 0 $EXANTE sample --out s1 --items 500 --seed 7
expect 0 $EXANTE sample --out s2 --items 500 --seed 7
cmp -s s1/corpus.jsonl.zst s2/corpus.jsonl.zst && cmp -s s1/crawl.warc.gz s2/crawl.warc.gz && ok || bad "sample is not deterministic"
expect 0 $EXANTE sample --out s3 --items 500 --seed 8
cmp -s s1/corpus.jsonl.zst s3/corpus.jsonl.zst && bad "the seed changes nothing" || ok
[ "$(zstd -dc s1/corpus.jsonl.zst | wc -l)" = 500 ] && ok || bad "sample: want 500 lines"
zcat s1/crawl.warc.gz | grep -c "^WARC/1.1" > n.txt; [ "$(cat n.txt)" -gt 100 ] && ok || bad "sample: few WARC records"
zcat s1/crawl.warc.gz | grep -q "^tdm-reservation: 1" && ok || bad "sample: no tdm-reservation header"
zcat s1/crawl.warc.gz | grep -q "X-Robots-Tag: noai" && ok || bad "sample: no noai header"
zcat s1/crawl.warc.gz | grep -q 'name="robots" content="noai' && ok || bad "sample: no noai meta"
zcat s1/crawl.warc.gz | grep -q "WARC-Type: revisit" && ok || bad "sample: no revisit"
expect 2 $EXANTE sample --items 5 --out s4
expect 2 $EXANTE sample
finish
