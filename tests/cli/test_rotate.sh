#!/usr/bin/env bash
# exante key rotate|rotations: the rotation record is logged, signed by the old and the new
# key, its checkpoint and every later one by the new key; `log verify` follows the records
# from any of the log's keys (and refuses a stranger's); proofs, an envelope and a snapshot
# made under either key verify from either key with `--rotations FILE` (outside the ledger),
# and not without it when the keys differ; a tampered or reordered record file is refused with
# its line; two rotations chain; a rotation killed after its commit is finished by the next
# writer (a reader changes nothing); a running server's writes are refused after another
# process rotated the key, until SIGHUP; an encrypted key stays encrypted; EXANTE_KEY's
# external key is refused.
. "$(dirname "$0")/lib.sh"

$EXANTE -q init --origin rotate.test/log >/dev/null || bad init
$EXANTE -q sample --items 120 --seed 5 --out s >/dev/null || bad sample
expect 0 $EXANTE -q source add web --kind crawl --license MIT
printf 'name p\nadmit *\n' > p.txt
expect 0 $EXANTE -q policy adopt p.txt
expect 0 $EXANTE -q ingest --source web s/corpus.jsonl.zst
expect 0 $EXANTE -q snapshot create s1
D=$($EXANTE decisions --verdict admit | head -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["digest"])')
expect 0 $EXANTE prove s1 --digest "$D"
cp "$T/out" p1.json
mkdir -p w && printf 'weights' > w/m.bin
expect 0 $EXANTE -q attest run --snapshot s1 --weights w --name m1 --out env1.json
cp "$EXANTE_DIR/vkey" old.vkey
size0=$($EXANTE --json log verify | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')

# ---- rotate ----
expect 0 $EXANTE --json key rotate
cp "$T/out" rot1.json
python3 - "$size0" "$(cat old.vkey)" <<'PY' && ok || bad "key rotate --json: $(cat rot1.json)"
import json, sys
j = json.load(open("rot1.json"))
size0, old = int(sys.argv[1]), sys.argv[2]
assert j["index"] == size0 and j["from"] == size0 + 1 and j["old_vkey"] == old
assert j["vkey"] != old and j["vkey"].startswith("rotate.test/log+")
assert open("ledger/vkey").read().strip() == j["vkey"]
PY
idx=$(python3 -c 'import json; print(json.load(open("rot1.json"))["index"])')
ls "$EXANTE_DIR"/key.pem.retired-* >/dev/null 2>&1 && ok || bad "the old key was not kept"
[ "$(stat -c %a "$EXANTE_DIR"/key.pem.retired-*)" = 600 ] && [ "$(stat -c %a "$EXANTE_DIR/key.pem")" = 600 ] && ok ||
    bad "key files are not 0600"
# the record in the log: signed by both keys, from = its index + 1 (checked in Python from the
# note's text, not by exante)
expect 0 $EXANTE log entry "$idx"
python3 - "$idx" "$(cat old.vkey)" "$(cat "$EXANTE_DIR/vkey")" "$T/out" <<'PY' && ok || bad "the rotation entry: $(head -c 600 "$T/out")"
import json, sys
idx, old, new, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
e = json.loads(open(path).read())
assert e["type"] == "key-rotation" and e["from"] == idx + 1 and e["old"] == old and e["new"] == new
text, sigs = e["note"].split("\n\n", 1)
assert text == "exante key rotation v1\norigin rotate.test/log\nfrom %d\nold %s\nnew %s" % (idx + 1, old, new)
lines = [l for l in sigs.split("\n") if l]
assert len(lines) == 2 and all(l.startswith("\u2014 rotate.test/log ") for l in lines)
PY
# the latest checkpoint is the new key's
expect 0 $EXANTE log checkpoint
tail -n 1 "$T/out" > sigline
python3 - "$(cat "$EXANTE_DIR/vkey")" <<'PY' && ok || bad "the checkpoint after the rotation is not the new key's"
import base64, sys
vk = sys.argv[1].split("+")
line = open("sigline").read().split()[-1]
assert base64.b64decode(line)[:4].hex() == vk[1]
PY

# ---- log verify from either key ----
expect 0 $EXANTE log verify
expect 0 $EXANTE log verify --vkey old.vkey
$EXANTE -q init --origin rotate.test/log --db "" >/dev/null 2>&1 # (nothing: init refuses an existing ledger)
mkdir -p stranger && EXANTE_DIR="$T/stranger/l" $EXANTE -q init --origin rotate.test/log >/dev/null 2>&1
expect 1 $EXANTE log verify --vkey "$T/stranger/l/vkey"
contains "$T/err" "not one of the log's"

# ---- more history under the new key ----
expect 0 $EXANTE -q ingest --source web s/crawl.warc.gz
expect 0 $EXANTE -q snapshot create s2
expect 0 $EXANTE prove s2 --digest "$D"
cp "$T/out" p2.json
expect 0 $EXANTE key rotations --out rot.jsonl
[ "$(wc -l < rot.jsonl)" -eq 1 ] && ok || bad "key rotations: $(cat rot.jsonl)"
cp "$EXANTE_DIR/vkey" new.vkey

# outside the ledger: a verifier with a key and the records file
mkdir -p away
(
    failed=0 && cd away && export EXANTE_DIR="$T/away/none"
    expect 0 $EXANTE verify-proof ../p1.json --vkey ../old.vkey
    expect 1 $EXANTE verify-proof ../p2.json --vkey ../old.vkey
    expect 0 $EXANTE verify-proof ../p2.json --vkey ../old.vkey --rotations ../rot.jsonl
    contains "$T/out" member
    expect 1 $EXANTE verify-proof ../p1.json --vkey ../new.vkey
    expect 0 $EXANTE verify-proof ../p1.json --vkey ../new.vkey --rotations ../rot.jsonl
    expect 1 $EXANTE verify ../env1.json --vkey ../new.vkey --weights ../w
    expect 0 $EXANTE verify ../env1.json --vkey ../new.vkey --weights ../w --rotations ../rot.jsonl
    # a stranger's key is not reached by the records
    expect 1 $EXANTE verify-proof ../p2.json --vkey "$T/stranger/l/vkey" --rotations ../rot.jsonl
    # a record changed after signing; a line that is not one
    python3 -c '
import json
e = json.loads(open("../rot.jsonl").read())
e["note"] = e["note"].replace("from ", "from 1", 1)
open("tampered.jsonl", "w").write(json.dumps(e) + "\n")
open("garbage.jsonl", "w").write(open("../rot.jsonl").read() + "{\"type\":\"key-rotation\"}\n")'
    expect 1 $EXANTE verify-proof ../p2.json --vkey ../old.vkey --rotations tampered.jsonl
    contains "$T/err" "line 1"
    expect 2 $EXANTE verify-proof ../p2.json --vkey ../old.vkey --rotations garbage.jsonl
    contains "$T/err" "line 2"
    exit $failed
) || failed=$((failed + $?))
passed=$((passed + 14))

# inside the ledger, the records come from it: the old key verifies the new proof
expect 0 $EXANTE verify-proof p2.json --vkey old.vkey

# ---- a second rotation: a chain of three keys ----
expect 0 $EXANTE -q key rotate
expect 0 $EXANTE key rotations --out rot2.jsonl
[ "$(wc -l < rot2.jsonl)" -eq 2 ] && ok || bad "two rotations: $(wc -l < rot2.jsonl) lines"
expect 0 $EXANTE -q evidence add p.txt --kind other
expect 0 $EXANTE log verify --vkey old.vkey
expect 0 $EXANTE log verify --vkey new.vkey
expect 0 $EXANTE prove s2 --digest "$D"
cp "$T/out" p3.json
(
    failed=0 && cd away && export EXANTE_DIR="$T/away/none"
    expect 0 $EXANTE verify-proof ../p3.json --vkey ../old.vkey --rotations ../rot2.jsonl
    expect 0 $EXANTE verify-proof ../p1.json --vkey ../ledger/vkey --rotations ../rot2.jsonl
    # the two lines swapped: the second does not follow the first
    tac ../rot2.jsonl > swapped.jsonl
    expect 1 $EXANTE verify-proof ../p3.json --vkey ../old.vkey --rotations swapped.jsonl
    exit $failed
) || failed=$((failed + $?))
passed=$((passed + 3))

# ---- killed right after the rotation's commit: the next open finishes it ----
before=$(cat "$EXANTE_DIR/vkey")
LD_PRELOAD="${KILL_AFTER_COMMITS:?}" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    EXANTE_TEST_KILL_AFTER_COMMITS=1 $EXANTE -q key rotate >/dev/null 2>&1
[ -f "$EXANTE_DIR/key.pem.new" ] && [ "$(cat "$EXANTE_DIR/vkey")" = "$before" ] && ok ||
    bad "the killed rotation left no key.pem.new, or swapped its files"
expect 0 $EXANTE log verify # a reader goes by the database, and changes no file
[ -f "$EXANTE_DIR/key.pem.new" ] && ok || bad "a read-only open swapped the key files"
expect 0 $EXANTE -q evidence add p.txt --kind other # a writer finishes it, and signs
[ ! -e "$EXANTE_DIR/key.pem.new" ] && [ "$(cat "$EXANTE_DIR/vkey")" != "$before" ] && ok ||
    bad "opening the ledger did not finish the rotation"
expect 0 $EXANTE log verify --vkey old.vkey
[ "$(ls "$EXANTE_DIR"/key.pem.retired-* | wc -l)" -eq 3 ] && ok || bad "three retired keys expected"

# ---- a running server holds the key it opened with: after a rotation by another process its
# writes are refused (the old key must not sign past the rotation) until SIGHUP reopens ----
$EXANTE serve --listen 127.0.0.1:0 >serve.url 2>serve.err &
SPID=$!
for _ in $(seq 1 100); do [ -s serve.url ] && break; sleep 0.05; done
U=$(head -n 1 serve.url)
U=${U%/}
post() {
    S=$(curl -s -o body -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$1" "$U/v1/optouts")
}
post '{"holder":"A","contact":"a@example.org","scope":{"domain":"a.example"}}'
[ "$S" = 201 ] && ok || bad "POST before the rotation: $S $(head -c 300 body)"
expect 0 $EXANTE -q key rotate
post '{"holder":"B","contact":"b@example.org","scope":{"domain":"b.example"}}'
[ "${S:0:1}" = 5 ] && grep -q "rotated by another process" body && ok ||
    bad "POST after another process rotated the key: $S $(head -c 300 body)"
kill -HUP "$SPID"
for _ in $(seq 1 50); do
    post '{"holder":"C","contact":"c@example.org","scope":{"domain":"c.example"}}'
    [ "$S" = 201 ] && break
    sleep 0.1
done
[ "$S" = 201 ] && ok || bad "POST after SIGHUP: $S $(head -c 300 body)"
kill "$SPID" && wait "$SPID"
expect 0 $EXANTE log verify --vkey old.vkey

# ---- an encrypted key stays encrypted; an external key file is refused ----
(
    failed=0 && export EXANTE_DIR="$T/enc" EXANTE_PASSPHRASE=correct-horse
    $EXANTE -q init --origin enc.test/log >/dev/null
    expect 0 $EXANTE -q key rotate
    head -n 1 "$EXANTE_DIR/key.pem" | grep -q "BEGIN ENCRYPTED PRIVATE KEY" && ok || bad "the new key is not encrypted"
    expect 0 $EXANTE log verify
    exit $failed
) || failed=$((failed + $?))
passed=$((passed + 3))
# a rotation that stopped before its commit left key.pem.new: the next one does not overwrite it
printf 'left over\n' > "$EXANTE_DIR/key.pem.new" && chmod 600 "$EXANTE_DIR/key.pem.new"
before=$(cat "$EXANTE_DIR/vkey")
expect 2 $EXANTE key rotate
contains "$T/err" "an earlier rotation did not finish"
[ "$(cat "$EXANTE_DIR/key.pem.new")" = "left over" ] && [ "$(cat "$EXANTE_DIR/vkey")" = "$before" ] && ok ||
    bad "a refused rotation changed the key files"
rm -f "$EXANTE_DIR/key.pem.new"
expect 0 $EXANTE log verify
expect 2 env EXANTE_KEY="$EXANTE_DIR/key.pem" $EXANTE key rotate
contains "$T/err" "EXANTE_KEY"
expect 2 $EXANTE key spin
expect 2 $EXANTE key rotate extra
expect 0 $EXANTE key --help
contains "$T/out" "usage: exante key rotate"

finish
