#!/usr/bin/env bash
# Training runs end to end: a ledger with an opt-out-able corpus and two snapshots; attest run of
# a base model (a directory of weights), a fine-tune (a sharded safetensors checkpoint: its index
# and two shards), a distillation of the fine-tune and a merge of two parents; verify of each
# offline (weights, parent envelopes, the envelope's own log inclusion proof); models and
# lineage (JSON and text); model retire. Then what verify must refuse, each with its exit code
# and the check named first in its message, and what attest run must refuse, with nothing
# logged after each; an envelope signed with a key other than the ledger's.
. "$(dirname "$0")/lib.sh"

VK="$EXANTE_DIR/vkey"
# starts FILE PREFIX : FILE's first line starts with PREFIX
starts() {
    case "$(head -n 1 "$1")" in
    "$2"*) ok ;;
    *) bad "$1 does not start with '$2': $(head -c 400 "$1")" ;;
    esac
}
logsize() { $EXANTE log checkpoint | sed -n 2p; }
nmodels() { $EXANTE models | wc -l; }
# unchanged WHAT : after a refused command, the log has not grown, no model was added, and the
# ledger still verifies
unchanged() {
    [ "$(logsize)" = "$SIZE" ] && ok || bad "$1: the log grew from $SIZE to $(logsize)"
    [ "$(nmodels)" = "$MODELS" ] && ok || bad "$1: models went from $MODELS to $(nmodels)"
    $EXANTE log verify >/dev/null 2>&1 && ok || bad "$1: log verify fails"
}
# json FILE PYTHON-EXPRESSION : the expression over j (FILE's JSON, or JSONL as a list) is true
json() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
try:
    j = json.loads(text)
except ValueError:
    j = [json.loads(l) for l in text.splitlines()]
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
    [ $? -eq 0 ] && ok || bad "$1: not ($2): $(head -c 600 "$1")"
}
# the model id of the files in a directory, by docs/FORMATS.md's shell recipe
model_id() {
    (cd "$1" && sha256sum -- * | LC_ALL=C sort -k2 |
        while read -r h n; do printf '%s\0%s\n' "$n" "$h"; done | sha256sum | sed 's/ .*//; s/^/sha256:/')
}

$EXANTE -q init --origin test.example/attest >/dev/null
$EXANTE -q source add s --kind other >/dev/null
printf 'reject optout\nadmit license MIT\nreject * "no lawful basis recorded"\n' > policy.txt
$EXANTE -q policy adopt policy.txt >/dev/null
{
    printf '{"text":"alpha","url":"https://a.example/1","license":"MIT"}\n'
    printf '{"text":"bravo","url":"https://b.example/2","license":"MIT"}\n'
    printf '{"text":"charlie","url":"https://c.example/3","license":"MIT"}\n'
    printf '{"text":"delta","url":"https://d.example/4","license":"GPL-3.0-only"}\n'
} > corpus.jsonl
expect 0 $EXANTE -q ingest --source s corpus.jsonl
expect 0 $EXANTE -q snapshot create s1
$EXANTE -q optout add --domain b.example --holder "B Press" >/dev/null
expect 0 $EXANTE -q snapshot create s2

# ---- four runs, three generations and a merge ----

# the base model: a directory of weights, a config file and a code commit
mkdir base
head -c 70000 /dev/urandom > base/model.safetensors
printf '{"hidden_size":8}' > base/config.json
printf 'lr: 0.001\n' > train.yaml
expect 0 $EXANTE --json attest run --snapshot s1 --weights base --name base --code 0123abcd \
    --config train.yaml --started 2026-06-01T10:00:00Z --finished 2026-06-02T10:00:00Z \
    --out base.env
BASE_ID=$(model_id base)
json "$T/out" "j['model'] == '$BASE_ID' and isinstance(j['index'], int)"
BASE_IX=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["index"])' "$T/out")
# the statement: subjects, predicate type and what the predicate says of the run
python3 - base.env > base.stmt <<'EOF'
import base64, json, sys
print(base64.b64decode(json.load(open(sys.argv[1]))["payload"]).decode())
EOF
json base.stmt "j['predicateType'] == 'https://exante.dev/attestation/training-run/v1'"
json base.stmt "[s['name'] for s in j['subject']] == ['config.json', 'model.safetensors']"
json base.stmt "j['predicate']['model'] == {'id': '$BASE_ID', 'name': 'base'}"
json base.stmt "j['predicate']['kind'] == 'pretrain' and j['predicate']['parents'] == []"
json base.stmt "j['predicate']['code'] == {'commit': '0123abcd'}"
json base.stmt "j['predicate']['config']['name'] == 'train.yaml' and len(j['predicate']['config']['sha256']) == 64"
json base.stmt "j['predicate']['started'] == '2026-06-01T10:00:00Z' and j['predicate']['finished'] == '2026-06-02T10:00:00Z'"
json base.stmt "j['predicate']['log'] == {'origin': 'test.example/attest', 'size': $BASE_IX}"
json base.stmt "[s['name'] for s in j['predicate']['snapshots']] == ['s1'] and len(j['predicate']['policies']) == 1"
# the log entry
expect 0 $EXANTE log entry "$BASE_IX"
json "$T/out" "j['type'] == 'attestation' and j['model'] == '$BASE_ID' and j['name'] == 'base' and j['parents'] == [] and j['snapshots'][0]['name'] == 's1'"
ENV_DIGEST=sha256:$(printf '%s' "$(cat base.env)" | sha256sum | sed 's/ .*//')
json "$T/out" "j['envelope'] == '$ENV_DIGEST'"

# the fine-tune: a sharded safetensors checkpoint, its index naming two shards
mkdir ft
head -c 50000 /dev/urandom > ft/model-00001-of-00002.safetensors
head -c 30000 /dev/urandom > ft/model-00002-of-00002.safetensors
cat > ft/model.safetensors.index.json <<'EOF'
{"metadata": {"total_size": 80000},
 "weight_map": {"model.embed.weight": "model-00001-of-00002.safetensors",
                "model.layers.0.weight": "model-00001-of-00002.safetensors",
                "model.layers.1.weight": "model-00002-of-00002.safetensors",
                "lm_head.weight": "model-00002-of-00002.safetensors"}}
EOF
printf 'not a shard' > ft/README.md # beside the index, not named by it: not a subject
expect 0 $EXANTE -q attest run --snapshot s2 --weights ft/model.safetensors.index.json \
    --name ft --kind fine-tune --parent base --jobs 2
cp "$T/out" ft.env
FT_ID=$(mkdir ftc && cp ft/model*.safetensors* ftc/ && model_id ftc)
FT_IX=$((BASE_IX + 1))
# the distillation of the fine-tune (the parent by id), and a merge of two parents
mkdir student
head -c 20000 /dev/urandom > student/pytorch_model.bin
printf 'print("distil")\n' > distil.py
expect 0 $EXANTE -q attest run --snapshot s2 --weights student --name student \
    --kind distillation --parent "$FT_ID" --code distil.py --out student.env
STUDENT_ID=$(model_id student)
python3 - student.env > student.stmt <<'EOF'
import base64, json, sys
print(base64.b64decode(json.load(open(sys.argv[1]))["payload"]).decode())
EOF
DISTIL_SHA=$(sha256sum distil.py | sed 's/ .*//')
json student.stmt "j['predicate']['code'] == {'name': 'distil.py', 'sha256': '$DISTIL_SHA'}"
json student.stmt "[(p['model'], p['log_index']) for p in j['predicate']['parents']] == [('$FT_ID', $FT_IX)]"
json student.stmt "j['predicate']['parents'][0]['attestation'] == 'sha256:$(printf '%s' "$(cat ft.env)" | sha256sum | sed 's/ .*//')'"
mkdir merged
head -c 20000 /dev/urandom > merged/merged.safetensors
EXT=sha256:$(printf 'a model from elsewhere' | sha256sum | sed 's/ .*//')
expect 0 $EXANTE -q attest run --snapshot s1 --snapshot s2 --weights merged/merged.safetensors \
    --name merged --kind merge --parent student --parent base --parent-external "$EXT" \
    --out merged.env
MERGED_ID=$(model_id merged)
i=$BASE_IX
for e in base ft student merged; do
    expect 0 $EXANTE log prove-inclusion $i
    cp "$T/out" "$e.proof"
    i=$((i + 1))
done
contains ft.proof '"type":"log-inclusion"'

# ---- verify, offline: the verifier key alone (no ledger) ----

VKS=$(cat "$VK")
nov() { EXANTE_DIR="$T/nowhere" $EXANTE "$@"; }
expect 0 nov verify base.env --vkey "$VKS" --weights base --proof base.proof
[ "$(cat "$T/out")" = "verified: model $BASE_ID (base, pretrain), 2 weight files matching, 1 snapshots in the log, 0 parents" ] &&
    ok || bad "verify base: $(cat "$T/out")"
expect 0 nov verify ft.env --vkey "$VK" --weights ft/model.safetensors.index.json --jobs 3 \
    --parent base.env --proof ft.proof
contains "$T/out" "verified: model $FT_ID (ft, fine-tune), 3 weight files matching, 1 snapshots in the log, 1 parents"
expect 0 nov --json verify student.env --vkey "$VK" --weights student --parent ft.env --proof student.proof
json "$T/out" "j == {'kind': 'distillation', 'model': '$STUDENT_ID', 'ok': True, 'parents': 1, 'snapshots': 1, 'subjects': 1, 'weights_bytes': 20000}"
expect 0 nov verify merged.env --vkey "$VK" --weights merged/merged.safetensors \
    --parent student.env --parent base.env --proof merged.proof
contains "$T/out" "(merged, merge), 1 weight files matching, 2 snapshots in the log, 3 parents"
# the shards given one by one, with the index, are the same subject set
expect 0 $EXANTE verify ft.env --weights ft/model.safetensors.index.json \
    --weights ft/model-00001-of-00002.safetensors --weights ft/model-00002-of-00002.safetensors
# the local ledger's key by default
expect 0 $EXANTE verify ft.env

# ---- models and lineage ----

expect 0 $EXANTE models
cp "$T/out" models.jsonl
json models.jsonl "[m['name'] for m in j] == ['base', 'ft', 'student', 'merged']"
json models.jsonl "[m['model'] for m in j] == ['$BASE_ID', '$FT_ID', '$STUDENT_ID', '$MERGED_ID']"
json models.jsonl "[m['kind'] for m in j] == ['pretrain', 'fine-tune', 'distillation', 'merge']"
json models.jsonl "[m['parents'] for m in j] == [[], ['$BASE_ID'], ['$FT_ID'], ['$STUDENT_ID', '$BASE_ID']]"
json models.jsonl "[m['external_parents'] for m in j] == [[], [], [], ['$EXT']]"
json models.jsonl "[m['snapshots'] for m in j] == [['s1'], ['s2'], ['s2'], ['s1', 's2']]"
json models.jsonl "[m['log_index'] for m in j] == [$BASE_IX, $FT_IX, $((FT_IX + 1)), $((FT_IX + 2))]"
json models.jsonl "not any(m['retired'] for m in j)"
# the base: three descendants, the student two generations down through the fine-tune, the
# merge one down (base is its parent too: the shortest path counts)
expect 0 $EXANTE --json lineage base
cp "$T/out" lin-base.json
json lin-base.json "j['model']['model'] == '$BASE_ID' and j['ancestors'] == []"
json lin-base.json "[(d['name'], d['depth'], d['via']) for d in j['descendants']] == [('ft', 1, '$BASE_ID'), ('merged', 1, '$BASE_ID'), ('student', 2, '$FT_ID')]"
expect 0 $EXANTE --json lineage merged
cp "$T/out" lin-merged.json
json lin-merged.json "j['descendants'] == [] and j['model']['external_parents'] == ['$EXT']"
json lin-merged.json "sorted((a['name'], a['depth']) for a in j['ancestors']) == [('base', 1), ('ft', 2), ('student', 1)]"
json lin-merged.json "[a['via'] for a in j['ancestors'] if a['name'] == 'ft'] == ['$STUDENT_ID']"
# by id, in text
expect 0 $EXANTE lineage "$STUDENT_ID"
cat > want-lineage.txt <<EOF
student $STUDENT_ID (distillation)
ancestors: 2
  ft $FT_ID (fine-tune)
    base $BASE_ID (pretrain)
descendants: 1
  merged $MERGED_ID (merge)
EOF
cmp -s "$T/out" want-lineage.txt && ok || bad "lineage student (text): $(cat "$T/out")"
expect 2 $EXANTE lineage no-such-model
starts "$T/err" "exante: no model 'no-such-model' in the ledger"

# ---- model retire ----

expect 2 $EXANTE model retire ft
contains "$T/err" "--reason TEXT is required"
expect 0 $EXANTE --json model retire ft --reason "deletion order 2026-17"
RET_IX=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["index"])' "$T/out")
expect 0 $EXANTE log entry "$RET_IX"
json "$T/out" "sorted(j) == ['model', 'name', 'reason', 'retired', 'type'] and j['type'] == 'model-retire' and j['model'] == '$FT_ID' and j['name'] == 'ft' and j['reason'] == 'deletion order 2026-17'"
expect 0 $EXANTE lineage student
contains "$T/out" "  ft $FT_ID (fine-tune) RETIRED"
[ "$(grep -c RETIRED "$T/out")" = 1 ] && ok || bad "lineage student: one retired model"
expect 0 $EXANTE --json lineage ft
json "$T/out" "j['model']['retired'] is True and j['model']['reason'] == 'deletion order 2026-17'"
expect 0 $EXANTE models
json "$T/out" "[m['retired'] for m in j] == [False, True, False, False]"
expect 2 $EXANTE model retire ft --reason again
starts "$T/err" "exante: model 'ft' was retired at log index $RET_IX: deletion order 2026-17"
expect 2 $EXANTE model retire no-such-model --reason x
expect 0 $EXANTE log verify
# a retired model's envelope still verifies: retirement is a remedy logged after it, not a
# change to what was attested
expect 0 $EXANTE verify ft.env --parent base.env

# ---- what verify refuses ----

SIZE=$(logsize)
MODELS=$(nmodels)
# a payload byte altered (the envelope re-encoded canonically): the signature
python3 - ft.env tampered.env <<'EOF'
import base64, json, sys
e = json.load(open(sys.argv[1]))
p = bytearray(base64.b64decode(e["payload"]))
i = p.index(b'"fine-tune"')
p[i + 1] = ord("F")
e["payload"] = base64.b64encode(bytes(p)).decode()
open(sys.argv[2], "w").write(json.dumps(e, separators=(",", ":")))
EOF
expect 1 $EXANTE verify tampered.env
starts "$T/err" "exante: verify: signature: "
# malformed: not canonical base64, not JSON, another payloadType
sed 's/"payload":"/"payload":"!/' ft.env > malformed.env
expect 2 $EXANTE verify malformed.env
starts "$T/err" "exante: verify: envelope: "
printf 'not json' > notjson.env
expect 2 $EXANTE verify notjson.env
starts "$T/err" "exante: verify: envelope: "
sed 's#application/vnd.in-toto+json#application/json#' ft.env > type.env
expect 1 $EXANTE verify type.env
starts "$T/err" "exante: verify: envelope: payloadType 'application/json'"
# another ledger's key: the envelope is not signed by it; as the log key alone, its checkpoint
mkdir other
EXANTE_DIR="$T/other/l" $EXANTE -q init --origin other.example/log >/dev/null
expect 1 $EXANTE verify ft.env --vkey other/l/vkey
starts "$T/err" "exante: verify: signature: "
contains "$T/err" "no signature is by key 'other.example/log'"
expect 1 $EXANTE verify ft.env --vkey other/l/vkey --signer "$VK"
starts "$T/err" "exante: verify: checkpoint: "
# other weights: one byte changed in a shard; a shard missing; a file more
cp -r ft ft2
printf 'X' | dd of=ft2/model-00002-of-00002.safetensors bs=1 seek=100 conv=notrunc 2>/dev/null
expect 1 $EXANTE verify ft.env --weights ft2/model.safetensors.index.json
starts "$T/err" "exante: verify: weights: "
contains "$T/err" "digest differs 'model-00002-of-00002.safetensors'"
rm ft2/model-00001-of-00002.safetensors
expect 1 $EXANTE verify ft.env --weights ft2/model.safetensors.index.json
starts "$T/err" "exante: verify: weights: shard 'ft2/model-00001-of-00002.safetensors' named by"
expect 1 $EXANTE verify base.env --weights base --weights ft/README.md
starts "$T/err" "exante: verify: weights: "
contains "$T/err" "not in the statement 'README.md'"
expect 1 $EXANTE verify base.env --weights base/model.safetensors
contains "$T/err" "missing 'config.json'"
# a weights path that is not there is the caller's mistake, not a mismatch
expect 2 $EXANTE verify base.env --weights no-such-dir
starts "$T/err" "exante: verify: weights: 'no-such-dir'"
# the proof of another entry; a proof altered
expect 1 $EXANTE verify ft.env --proof base.proof
starts "$T/err" "exante: verify: log: the logged entry at index $BASE_IX names another envelope"
python3 - ft.proof bad.proof <<'EOF'
import sys
t = open(sys.argv[1]).read()
i = t.index('"root":"') + 8
open(sys.argv[2], "w").write(t[:i] + ("B" if t[i] == "A" else "A") + t[i + 1:])
EOF
cmp -s bad.proof ft.proof && bad "bad.proof is unchanged" || ok
expect 1 $EXANTE verify ft.env --proof bad.proof
starts "$T/err" "exante: verify: log: "
# a parent envelope that is not a parent (the student is the fine-tune's child), and one altered
expect 1 $EXANTE verify ft.env --parent student.env
starts "$T/err" "exante: verify: parent: model $STUDENT_ID ('student') is not a parent of this run"
expect 1 $EXANTE verify student.env --parent tampered.env
starts "$T/err" "exante: verify: parent 1: signature: "
# the checks run in order: a tampered envelope fails on its signature whatever else is given
expect 1 $EXANTE verify tampered.env --weights ft2/model.safetensors.index.json --proof base.proof
starts "$T/err" "exante: verify: signature: "
unchanged "verify"

# ---- what attest run refuses: nothing is logged ----

mkdir new
printf 'new weights' > new/w.bin
expect 2 $EXANTE attest run --snapshot s1 --weights no-such-weights --name x
starts "$T/err" "exante: weights: 'no-such-weights': "
unchanged "missing weights"
expect 2 $EXANTE attest run --snapshot s1 --weights ft2/model.safetensors.index.json --name x
starts "$T/err" "exante: weights: shard 'ft2/model-00001-of-00002.safetensors' named by"
unchanged "missing shard"
expect 2 $EXANTE attest run --snapshot no-such-snapshot --weights new --name x
contains "$T/err" "no snapshot named 'no-such-snapshot'"
unchanged "unknown snapshot"
expect 2 $EXANTE attest run --snapshot s1 --weights new --name x --parent no-such-model
starts "$T/err" "exante: attest: unknown parent model 'no-such-model'"
contains "$T/err" "--parent-external DIGEST"
unchanged "unknown parent"
expect 2 $EXANTE attest run --snapshot s1 --snapshot s1 --weights new --name x
starts "$T/err" "exante: attest: --snapshot 's1' is given twice"
unchanged "a snapshot given twice"
expect 2 $EXANTE attest run --snapshot s1 --weights new --name x --kind rlhf
starts "$T/err" "exante: attest: --kind is pretrain, fine-tune, distillation, merge or continued, not 'rlhf'"
unchanged "bad kind"
for code in xyz 0123ABC 012345; do
    expect 2 $EXANTE attest run --snapshot s1 --weights new --name x --code "$code"
    starts "$T/err" "exante: attest: --code '$code' is neither a file nor a git commit"
done
unchanged "bad code"
expect 2 $EXANTE attest run --snapshot s1 --weights new --name x --parent-external sha256:abc
starts "$T/err" "exante: attest: --parent-external 'sha256:abc' is not a sha256:<64 hex> digest"
expect 2 $EXANTE attest run --snapshot s1 --weights new --name x --started yesterday
starts "$T/err" "exante: attest: 'yesterday' is not an RFC 3339 time"
expect 2 $EXANTE attest run --weights new
contains "$T/err" "--snapshot and --weights are required"
expect 2 $EXANTE attest run --snapshot s1
contains "$T/err" "--snapshot and --weights are required"
unchanged "bad options"
# the same weights attested again, under another name and another file layout
mkdir again
cp base/* again/
expect 2 $EXANTE attest run --snapshot s2 --weights again --name base-again
starts "$T/err" "exante: attest: these weights are model $BASE_ID, attested at log index $BASE_IX as 'base'"
unchanged "duplicate weights"

# ---- a signing key other than the ledger's ----

expect 0 $EXANTE -q attest run --snapshot s1 --weights new --name signed-elsewhere \
    --key other/l/key.pem --out other.env
# the ledger logged it under its checkpoint; the envelope is the other key's
expect 1 $EXANTE verify other.env
starts "$T/err" "exante: verify: signature: "
expect 0 $EXANTE verify other.env --signer other/l/vkey --weights new
contains "$T/out" "(signed-elsewhere, pretrain), 1 weight files matching"
expect 0 $EXANTE log prove-inclusion $((SIZE))
cp "$T/out" other.proof
expect 0 $EXANTE verify other.env --signer other/l/vkey --proof other.proof
# the log key is still the ledger's: the other key alone does not vouch for the checkpoint
expect 1 $EXANTE verify other.env --vkey other/l/vkey
starts "$T/err" "exante: verify: checkpoint: "
expect 0 $EXANTE log verify

# no --name: the model is named after its id
mkdir unnamed && printf 'unnamed weights' > unnamed/w.bin
expect 0 $EXANTE --json attest run --snapshot s1 --weights unnamed --out unnamed.env
uid=$(sed 's/.*"model":"sha256:\([0-9a-f]\{12\}\).*/\1/' "$T/out")
expect 0 $EXANTE --json lineage "model-$uid"
contains "$T/out" "\"name\":\"model-$uid\""

finish
