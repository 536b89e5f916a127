#!/usr/bin/env bash
# exante impact: one opted-out document reaches the snapshot it is in, the base model trained
# on it and, through lineage, a fine-tune, a distillation and a merge; a model trained on the
# clean-room snapshot made after the opt-out is not reached; by digest, file, URL and opt-out.
. "$(dirname "$0")/lib.sh"
dig() { printf '%s' "$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'; }

$EXANTE -q init >/dev/null
$EXANTE -q source add s --kind other >/dev/null
printf 'admit *\n' > policy.txt
$EXANTE -q policy adopt policy.txt >/dev/null
{
    printf '{"text":"the essay","url":"https://press.example/essay"}\n'
    printf '{"text":"a poem","url":"https://other.example/poem"}\n'
    printf '{"text":"the essay","url":"https://mirror.example/copy"}\n'
    printf '{"text":"a recipe","url":"https://other.example/recipe"}\n'
} > corpus.jsonl
expect 0 $EXANTE -q ingest --source s corpus.jsonl
expect 0 $EXANTE -q snapshot create train
w() { mkdir -p "w/$1" && printf 'weights of %s' "$1" > "w/$1/model.bin"; }
for m in base other ft distil merged clean; do w "$m"; done
expect 0 $EXANTE -q attest run --snapshot train --weights w/base --name base --out /dev/null
expect 0 $EXANTE -q attest run --snapshot train --weights w/other --name other --out /dev/null
# the rights holder of press.example opts out; the clean-room snapshot leaves the essay out
expect 0 $EXANTE --json optout add --domain press.example
oidx=$(sed 's/.*"index":\([0-9]*\).*/\1/' "$T/out")
expect 0 $EXANTE -q snapshot create clean --from train
# derived models trained on the clean data still carry what base and other took
expect 0 $EXANTE -q attest run --snapshot clean --weights w/ft --name ft --kind fine-tune \
    --parent base --out /dev/null
expect 0 $EXANTE -q attest run --snapshot clean --weights w/distil --name distil \
    --kind distillation --parent ft --out /dev/null
expect 0 $EXANTE -q attest run --snapshot clean --weights w/merged --name merged --kind merge \
    --parent distil --parent other --out /dev/null
expect 0 $EXANTE -q attest run --snapshot clean --weights w/clean --name clean --kind continued \
    --parent-external "$(dig external-base)" --out /dev/null

expect 0 $EXANTE --json impact --optout "$oidx"
cp "$T/out" by-optout.json
python3 - by-optout.json "$(dig 'the essay')" <<'EOF' && ok || bad "impact --optout: $(cat by-optout.json)"
import json, sys
o = json.load(open(sys.argv[1]))
assert o['digests'] == [sys.argv[2]] and o['digests_count'] == 1, o['digests']
assert o['items'] == 2, o['items']  # press.example's, and the exact copy at the mirror
assert sorted(x['url'] for x in o['item_list']) == ['https://mirror.example/copy', 'https://press.example/essay'], o['item_list']
assert [s['name'] for s in o['snapshots']] == ['train'], o['snapshots']
m = {x['name']: x for x in o['models']}
assert set(m) == {'base', 'other', 'ft', 'distil', 'merged'}, sorted(m)
assert m['base']['depth'] == 0 and m['other']['depth'] == 0
assert m['ft']['depth'] == 1 and m['ft']['how'].startswith("fine-tune of 'base'")
assert m['distil']['depth'] == 2 and m['distil']['how'].startswith("distillation of 'ft'")
assert m['merged']['depth'] == 1 and m['merged']['how'].startswith("merge of 'other'")
assert o['clean_room'] == [{'drops': 1, 'from': 'train', 'members_after': 2}], o['clean_room']
EOF
# by digest, file and URL: the same models; the copy at the mirror has the same digest
expect 0 $EXANTE --json impact --digest "$(dig 'the essay')"
cp "$T/out" by-digest.json
grep -o '"name":"[a-z]*"' "$T/out" | sort > by-digest.txt
grep -o '"name":"[a-z]*"' by-optout.json | sort > want.txt
cmp -s by-digest.txt want.txt && ok || bad "impact --digest: $(cat "$T/out")"
printf 'the essay' > essay.txt
expect 0 $EXANTE --json impact --file essay.txt
grep -o '"name":"[a-z]*"' "$T/out" | sort | cmp -s - want.txt && ok || bad "impact --file"
expect 0 $EXANTE --json impact --url https://mirror.example/copy
grep -o '"name":"[a-z]*"' "$T/out" | sort | cmp -s - want.txt && ok || bad "impact --url"
grep -q '"clean"' "$T/out" && bad "the clean-room model was reached" || ok
expect 0 $EXANTE --json impact --digest "$(dig 'the essay')" --items
contains "$T/out" '"items":2'
contains "$T/out" '"url":"https://mirror.example/copy"'
grep -q '"item_list"' by-digest.json && bad "items listed without --items" || ok
# in plain words
expect 0 $EXANTE impact --file essay.txt --items
contains "$T/out" "held by 2 item(s), exact copies included"
expect 0 $EXANTE impact --file essay.txt
contains "$T/out" "training cannot be undone retroactively"
contains "$T/out" "distil"
contains "$T/out" "clean room: 'exante snapshot create NEW --from train' after an opt-out drops 1"
# a retired model is shown as such
expect 0 $EXANTE -q model retire ft --reason "deletion order 7"
expect 0 $EXANTE impact --file essay.txt
contains "$T/out" "(retired)"
# content in no snapshot reaches nothing
expect 0 $EXANTE impact --digest "$(dig 'never seen')"
contains "$T/out" "in no snapshot"
expect 0 $EXANTE --json impact --url https://nowhere.example/
contains "$T/out" '"models":[]'
# bad input
expect 2 $EXANTE impact --digest nope
contains "$T/err" "not a sha256:<64 hex> digest"
expect 2 $EXANTE impact --optout 0
contains "$T/err" "is not an opt-out"
expect 2 $EXANTE impact
expect 2 $EXANTE impact --digest "$(dig x)" --url https://a.example/
expect 3 $EXANTE impact --file missing.txt
expect 0 $EXANTE log verify

finish
