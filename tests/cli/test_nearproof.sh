#!/usr/bin/env bash
# Near-dup-free proofs (docs/FORMATS.md "Near-dup-free proofs"): a snapshot's near tree in its
# record; prove --near of an unrelated work (near-dup-free, verified offline), of a near copy
# of a member (exit 1 naming the band and the member) and of a member's own text; tampered
# proofs, a wrong text, malformed documents and bad use; a snapshot without a near tree; the
# clean room after an opt-out; audit.
. "$(dirname "$0")/lib.sh"
DB="$EXANTE_DIR/ledger.db"
dig() { printf '%s' "$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'; }

# texts of 30 words each from a small vocabulary (integer arithmetic only: the same in any awk)
texts() {
    awk -v n="$1" -v seed="$2" 'BEGIN {
        split("amber birch cobalt delta ember fjord garnet harbor indigo juniper kelp lumen " \
              "maple nectar onyx pebble quartz russet saffron tundra umber violet willow xenon " \
              "yarrow zephyr acorn basalt cinder dune estuary flint glacier heron iris jasper", v, " ")
        x = seed
        for (i = 0; i < n; i++) {
            line = ""
            for (w = 0; w < 30; w++) { x = (x * 75 + 74) % 65537; line = line (w ? " " : "") v[x % 36 + 1] }
            print line
        }
    }'
}
texts 12 7 > texts.txt
$EXANTE -q init >/dev/null
$EXANTE -q source add s --kind other >/dev/null
printf 'reject optout\nadmit * "all"\n' > policy.txt
$EXANTE -q policy adopt policy.txt >/dev/null
{
    n=0
    while IFS= read -r t; do
        n=$((n + 1))
        printf '{"text":"%s","url":"https://h%d.example/p"}\n' "$t" "$n"
    done < texts.txt
    printf '{"text":"","url":"https://empty.example/"}\n' # no words: no fingerprint
} > corpus.jsonl
expect 0 $EXANTE -q ingest --source s corpus.jsonl
expect 0 $EXANTE --json snapshot create s1
contains "$T/out" '"near":{"bands":14,"bits":8,"fingerprinted":12,"k":112,"root":"'
contains "$T/out" '"seed":"6578616e74652d6d","shingle":5,"size":168,"unfingerprinted":1}'
expect 0 $EXANTE snapshot audit s1

# an unrelated work: near-dup-free, exit 0; verified offline with the key
texts 1 999 > work.txt
expect 0 $EXANTE prove s1 --text-file work.txt --near
cp "$T/out" free.json
contains free.json '"type":"snapshot-near-dup-free"'
contains free.json '"minhash":{"bands":14,"bits":8,"k":112,"seed":"6578616e74652d6d","shingle":5}'
contains "$T/err" "near-dup-free of snapshot 's1': none of the work's 14 band keys is among the 168 of its 12 members with a fingerprint"
contains "$T/err" "members of the snapshot without a fingerprint (no text, or ingested before fingerprints): 1"
VK=$(cat "$EXANTE_DIR/vkey")
expect 0 $EXANTE verify-proof free.json --text-file work.txt --vkey "$VK"
[ "$(cat "$T/out")" = near-dup-free ] && ok || bad "verify: $(cat "$T/out")"
contains "$T/err" "members of the snapshot without a fingerprint: 1"
expect 0 $EXANTE --json verify-proof free.json --text-file work.txt
contains "$T/out" '"ok":true'
contains "$T/out" '"result":"near-dup-free"'
contains "$T/out" '"fingerprinted":12'
expect 0 sh -c "$EXANTE verify-proof - --text-file work.txt < free.json"
contains "$T/out" near-dup-free
# the same work saved with a final newline: the same words, the same band keys
{ cat work.txt; echo; } > work-nl.txt
expect 0 $EXANTE verify-proof free.json --text-file work-nl.txt

# a near copy of member 3 (its last word changed): exit 1, the band and the member named
m3=$(sed -n 3p texts.txt)
printf '%s' "$m3" | sed 's/ [a-z]*$/ otter/' > copy.txt
expect 1 $EXANTE prove s1 --text-file copy.txt --near
cp "$T/out" dup.json
contains dup.json '"type":"snapshot-near-dup"'
contains dup.json '"present":true'
contains "$T/err" "a near-duplicate in snapshot 's1':"
contains "$T/err" "of the work is held by member $(dig "$m3") of snapshot 's1'"
expect 1 $EXANTE verify-proof dup.json --text-file copy.txt
[ "$(cat "$T/out")" = near-dup ] && ok || bad "verify dup: $(cat "$T/out")"
contains "$T/err" "the work is a near-duplicate of a member"
expect 1 $EXANTE --json verify-proof dup.json --text-file copy.txt
contains "$T/out" '"ok":false'
contains "$T/out" '"result":"near-dup"'
# a member's own text: every band present
printf '%s' "$m3" > member.txt
expect 1 $EXANTE prove s1 --text-file member.txt --near
contains "$T/err" "14 of the work's 14 band keys are in its near tree (the first: band 0)"
[ "$(grep -c "held by member $(dig "$m3")" "$T/err")" = 14 ] && ok || bad "want 14 bands named"

# a wrong text: the band keys are not the document's
expect 1 $EXANTE verify-proof free.json --text-file copy.txt
contains "$T/err" "step 4: band 0: the document's key"
printf '... !!!\n' > nowords.txt
expect 1 $EXANTE verify-proof free.json --text-file nowords.txt
contains "$T/err" "step 4: the text has no words"
# tampered, still well formed: exit 1 naming the step
sed 's/"log_size":\([0-9]*\)}/"log_size":999}/' free.json > t1.json
expect 1 $EXANTE verify-proof t1.json --text-file work.txt
contains "$T/err" "step 1: the checkpoint is for size"
sed 's/"present":false/"present":true/' free.json > t2.json
expect 1 $EXANTE verify-proof t2.json --text-file work.txt
contains "$T/err" "step 6: band 0:"
sed 's/"type":"snapshot-near-dup-free"/"type":"snapshot-near-dup"/' free.json > t3.json
expect 1 $EXANTE verify-proof t3.json --text-file work.txt
contains "$T/err" "step 7: the type is"
sed 's/"present":true/"present":false/' dup.json > t4.json
expect 1 $EXANTE verify-proof t4.json --text-file copy.txt
contains "$T/err" "the leaf is the band's key itself"
sed 's/"k":112,/"k":56,/' free.json > t5.json
expect 1 $EXANTE verify-proof t5.json --text-file work.txt
contains "$T/err" "step 3: the document's minhash parameters are not the record's"
# a leaf's key changed in its last hex digit: it is another leaf, its proof fails
sed -E '0,/("index":[0-9]+,"key":"[0-9a-f]{15})[0-9a-e]"/s//\1f"/' free.json > t6.json
cmp -s free.json t6.json && sed -E '0,/("index":[0-9]+,"key":"[0-9a-f]{15})f"/s//\10"/' free.json > t6.json
cmp -s free.json t6.json && bad "t6.json unchanged" || ok
expect 1 $EXANTE verify-proof t6.json --text-file work.txt
contains "$T/err" "step 5: band"
# another key
NEUMANN=PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
expect 1 $EXANTE verify-proof free.json --text-file work.txt --vkey "$NEUMANN"
contains "$T/err" "step 1: the checkpoint"
# malformed: exit 2 with the reason
sed 's/^{/{"comment":"x",/' free.json > m1.json
expect 2 $EXANTE verify-proof m1.json --text-file work.txt
contains "$T/err" 'unknown key "comment"'
sed 's/^{/{ /' free.json > m2.json
expect 2 $EXANTE verify-proof m2.json --text-file work.txt
contains "$T/err" "not in canonical form"
sed 's/"key":"\([0-9a-f]*\)"/"key":"\1\1"/' free.json > m3.json
expect 2 $EXANTE verify-proof m3.json --text-file work.txt
contains "$T/err" 'is not 16 lowercase hex digits'
head -c 300 free.json > m4.json
expect 2 $EXANTE verify-proof m4.json --text-file work.txt
contains "$T/err" "proof: line 1 column"

# bad use
expect 2 $EXANTE verify-proof free.json
contains "$T/err" "a near-dup proof needs --text-file WORK"
expect 0 $EXANTE prove s1 --text-file work.txt
cp "$T/out" digest.json
expect 2 $EXANTE verify-proof digest.json --text-file work.txt
contains "$T/err" "--text-file goes with near-dup proofs"
expect 2 $EXANTE prove s1 --digest "$(dig x)" --near
contains "$T/err" "--near goes with --text-file WORK"
expect 2 $EXANTE prove s1 --text-file nowords.txt --near
contains "$T/err" "the text has no words"
printf '\xff\xfe bad\n' > notutf8.txt
expect 2 $EXANTE prove s1 --text-file notutf8.txt --near
expect 2 $EXANTE verify-proof free.json --text-file notutf8.txt
contains "$T/err" "is not UTF-8 text"
expect 2 $EXANTE prove nosuch --text-file work.txt --near
contains "$T/err" "no snapshot named 'nosuch'"

# the clean room after an opt-out of member 3's host: its near copy is near-dup-free there
$EXANTE -q optout add --domain h3.example --holder "H3" >/dev/null
expect 0 $EXANTE --json snapshot create s2 --from s1
contains "$T/out" '"fingerprinted":11,'
expect 0 $EXANTE prove s2 --text-file copy.txt --near
cp "$T/out" clean.json
expect 0 $EXANTE verify-proof clean.json --text-file copy.txt
[ "$(cat "$T/out")" = near-dup-free ] && ok || bad "verify clean: $(cat "$T/out")"
expect 0 $EXANTE snapshot audit s2

# a snapshot made before near trees (its stored record without "near"): said plainly
sqlite3 "$DB" "UPDATE snapshots SET record = json_remove(record, '\$.near') WHERE instr(record, '\"name\":\"s2\"') > 0"
expect 2 $EXANTE prove s2 --text-file work.txt --near
contains "$T/err" "snapshot 's2' has no near-duplicate tree: it was made before near-dup-free proofs"
# a damaged near tree: audit says so
sqlite3 "$DB" "UPDATE snapleaves SET record = substr(record, 1, 11) WHERE key < 0 AND id = (SELECT min(id) FROM snapleaves WHERE key < 0)"
expect 1 $EXANTE snapshot audit s1
contains "$T/err" "snapshot 's1': its near tree's stored rows are damaged"
expect 1 $EXANTE prove s1 --text-file work.txt --near
contains "$T/err" "its near tree's stored rows are damaged"
finish
