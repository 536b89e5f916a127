# verify-proof on snapshot proof documents (PROOFS.md): the fuzz corpus's documents, signed by
# the fixed key exante.fuzz/alice (fuzz/fuzz_common.h), verified, mutated and malformed.
. "$(dirname "$0")/lib.sh"
: "${SRC:?SRC must name the source tree}"
C="$SRC/fuzz/corpus/snapproof"
ALICE=exante.fuzz/alice+ac67dd06+AadlacCxqRwIyQxGM3CBpAq7iMnfT42aYOzJDyzxPHOa
NEUMANN=PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW

# valid documents: the verdict on stdout, exit 0
for f in member-5-2 member-1; do
    expect 0 $EXANTE verify-proof "$C/$f" --vkey "$ALICE"
    [ "$(cat "$T/out")" = member ] && ok || bad "$f: $(cat "$T/out")"
done
for f in non-member-8-between-3-4 non-member-9-below non-member-9-above non-member-empty \
         non-member-3-between-0-1; do
    expect 0 $EXANTE verify-proof "$C/$f" --vkey "$ALICE"
    [ "$(cat "$T/out")" = non-member ] && ok || bad "$f: $(cat "$T/out")"
done
# as a shell saves it (one newline more), from stdin, as JSON
{ cat "$C/member-5-2"; echo; } > saved.json
expect 0 $EXANTE verify-proof saved.json --vkey "$ALICE"
contains "$T/out" member
expect 0 sh -c "$EXANTE verify-proof - --vkey $ALICE < '$C/non-member-9-above'"
contains "$T/out" non-member
expect 0 $EXANTE --json verify-proof "$C/non-member-9-below" --vkey "$ALICE"
contains "$T/out" '"result":"non-member"'

# well formed, but not a proof: exit 1 naming the step
sed 's/"log_size":4}/"log_size":5}/' "$C/member-5-2" > size.json
expect 1 $EXANTE verify-proof size.json --vkey "$ALICE"
contains "$T/err" "step 1: the checkpoint is for size 4, not log_size 5"
expect 1 $EXANTE verify-proof "$C/member-5-2" --vkey "$NEUMANN"
contains "$T/err" "step 1: the checkpoint:"
sed 's/"log_index":3,/"log_index":2,/' "$C/member-5-2" > index.json
expect 1 $EXANTE verify-proof index.json --vkey "$ALICE"
contains "$T/err" "step 2: "
sed 's/"index":1,/"index":2,/' "$C/non-member-3-between-0-1" > adjacent.json
expect 1 $EXANTE verify-proof adjacent.json --vkey "$ALICE"
contains "$T/err" "step 5: the neighbours are not adjacent"
sed 's/"snapshot-membership"/"snapshot-non-membership"/' "$C/member-5-2" > type.json
expect 1 $EXANTE verify-proof type.json --vkey "$ALICE"
contains "$T/err" "step 5: the leaf is the digest itself"
sed 's/"snapshot-non-membership"/"snapshot-membership"/' "$C/non-member-9-below" > type2.json
expect 1 $EXANTE verify-proof type2.json --vkey "$ALICE"
contains "$T/err" "step 4: the leaf's digest is not the digest"

# malformed: exit 2 with the reason
sed 's/^{/{"comment":"x",/' "$C/member-5-2" > extra.json
expect 2 $EXANTE verify-proof extra.json --vkey "$ALICE"
contains "$T/err" 'unknown key "comment"'
sed 's/^{/{ /' "$C/member-5-2" > space.json
expect 2 $EXANTE verify-proof space.json --vkey "$ALICE"
contains "$T/err" "not in canonical form"
sed 's/"digest":"sha256:0000000000000002/"digest":"sha256:000000000000000A/' \
    "$C/non-member-9-below" > upper.json
cmp -s upper.json "$C/non-member-9-below" && bad "upper.json unchanged" || ok
expect 2 $EXANTE verify-proof upper.json --vkey "$ALICE"
contains "$T/err" 'lowercase hex'
sed 's/"leaves":\[\]/"leaves":{}/' "$C/non-member-empty" > leaves.json
expect 2 $EXANTE verify-proof leaves.json --vkey "$ALICE"
contains "$T/err" '"leaves" is not an array'

finish
