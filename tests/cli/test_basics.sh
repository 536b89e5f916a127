# CLI basics: help, usage errors, init, evidence, entries, proofs, verify-proof.
. "$(dirname "$0")/lib.sh"

# the faces are thin: cli/ and server/ include exante.h, their own headers and system
# headers (<...>, jansson's and libmicrohttpd's among them), nothing from inside the library,
# so what both need lives in it
: "${SRC:?SRC must name the source tree}"
for face in cli server; do
    nsrc=$(ls "$SRC"/$face/*.c "$SRC"/$face/*.h 2>/dev/null | wc -l)
    [ "$nsrc" -ge 2 ] && ok || bad "no sources under $SRC/$face"
    inner=$(grep -HnE '^[[:space:]]*#[[:space:]]*include' "$SRC"/$face/*.c "$SRC"/$face/*.h |
            grep -vE '#[[:space:]]*include[[:space:]]*(<[^>]+>|"(exante|cli|server|jansson)\.h")')
    [ -z "$inner" ] && ok || bad "$face/ includes headers from inside the library: $inner"
    # nor an internal header dressed as a system one (<log/log.h>)
    parts=$(cd "$SRC/src" && ls -d */ | tr -d / | paste -sd'|')
    inner=$(grep -HnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($parts)/" "$SRC"/$face/*.c "$SRC"/$face/*.h)
    [ -n "$parts" ] && [ -z "$inner" ] && ok || bad "$face/ includes headers from inside the library: $inner"
done

# help on every command
for c in "" "init" "evidence" "evidence add" "log" "log checkpoint" "log prove-inclusion" \
         "log prove-consistency" "log entry" "log verify" "log tiles" "verify-proof" "demo" \
         "source" "source add" "ingest" "why" "decisions" "quarantine" "sample" "serve" "token" \
         "verify-receipt" "optout" "model"; do
    expect 0 $EXANTE $c --help
    contains "$T/out" "usage: exante"
done
expect 2 $EXANTE
expect 2 $EXANTE frobnicate
contains "$T/err" "exante: unknown command 'frobnicate'"
expect 0 $EXANTE --version

# no ledger
expect 2 $EXANTE log checkpoint
contains "$T/err" "exante: no ledger at '$EXANTE_DIR' (run 'exante init')"
expect 2 $EXANTE evidence add /etc/hostname --kind terms

# init
expect 2 $EXANTE init --origin "has space"
expect 0 $EXANTE --json init --origin test.example/log
contains "$T/out" '"origin":"test.example/log"'
contains "$T/out" '"vkey":"test.example/log+'
VKEY=$(sed -n 's/.*"vkey":"\([^"]*\)".*/\1/p' "$T/out")
[ "$(stat -c %a "$EXANTE_DIR/key.pem")" = 600 ] && ok || bad "key.pem mode is not 0600"
expect 2 $EXANTE init
contains "$T/err" "a ledger already exists"

# evidence
printf 'Terms of use: no text and data mining.\n' > terms.txt
expect 0 $EXANTE evidence add terms.txt --kind terms --source news --note "captured today" --json
contains "$T/out" "\"digest\":\"sha256:$(sha256sum terms.txt | cut -d' ' -f1)\""
contains "$T/out" '"index":0'
expect 2 $EXANTE evidence add terms.txt --kind poem
contains "$T/err" "unknown evidence kind 'poem'"
expect 2 $EXANTE evidence add terms.txt
expect 3 $EXANTE evidence add missing.txt --kind terms
contains "$T/err" "exante: cannot open 'missing.txt': No such file or directory"
for i in 1 2 3 4 5 6; do echo "agreement $i" > a$i.txt; $EXANTE -q evidence add a$i.txt --kind agreement || bad "evidence add $i"; done

# entries exactly as hashed
expect 0 $EXANTE log entry 0
contains "$T/out" '"kind":"terms"'
contains "$T/out" '"note":"captured today"'
expect 2 $EXANTE log entry 7
contains "$T/err" "no entry 7: the log has 7 entries"
expect 2 $EXANTE log entry -1
expect 2 $EXANTE log entry abc
expect 0 $EXANTE --json log entry 3
contains "$T/out" '"leaf_hash":"'

# checkpoint
expect 0 $EXANTE log checkpoint
sed -n 1,3p "$T/out" > cp.txt
[ "$(sed -n 1p cp.txt)" = test.example/log ] && ok || bad "checkpoint origin line"
[ "$(sed -n 2p cp.txt)" = 7 ] && ok || bad "checkpoint size line"
contains "$T/out" "— test.example/log "
expect 0 $EXANTE log verify
contains "$T/out" "ok: 7 entries, 8 checkpoints"

# proofs, checked offline with the verifier key
expect 0 $EXANTE log prove-inclusion 3
cp "$T/out" inc.json
for k in '"index":3' '"size":7' '"leaf_hash":"' '"proof":["' '"root":"' '"checkpoint":"'; do contains inc.json "$k"; done
expect 0 $EXANTE verify-proof inc.json --vkey "$VKEY"
contains "$T/out" member
echo "$VKEY" > vkey.txt
expect 0 $EXANTE verify-proof inc.json --vkey vkey.txt
expect 0 $EXANTE log prove-inclusion 2 --size 5
contains "$T/out" '"size":5'
expect 2 $EXANTE log prove-inclusion 7
expect 2 $EXANTE log prove-inclusion 2 --size 9
expect 0 $EXANTE log prove-consistency 2 7
cp "$T/out" con.json
for k in '"old":2' '"new":7' '"old_root":"' '"new_root":"' '"old_checkpoint":"'; do contains con.json "$k"; done
expect 0 $EXANTE verify-proof con.json
contains "$T/out" consistent
expect 2 $EXANTE log prove-consistency 5 2
# a proof file over 16 MiB is refused before it is parsed; a missing one is an i/o error
head -c 17000000 /dev/zero > huge.json
expect 2 $EXANTE verify-proof huge.json
contains "$T/err" "'huge.json' is larger than 16 MiB"
rm -f huge.json
expect 3 $EXANTE verify-proof missing.json
contains "$T/err" "cannot open 'missing.json'"

# another key's vkey: the proof's checkpoint does not verify
OTHER=$(EXANTE_DIR="$T/other" $EXANTE --json init | sed -n 's/.*"vkey":"\([^"]*\)".*/\1/p')
expect 1 $EXANTE verify-proof inc.json --vkey "$OTHER"
expect 2 $EXANTE verify-proof inc.json --vkey "nonsense+1+2"

# every altered byte makes the proof fail (1: does not verify, 2: malformed)
size=$(stat -c %s inc.json)
survived=0
for ((i = 0; i < size - 1; i++)); do
    c=$(dd if=inc.json bs=1 skip=$i count=1 2>/dev/null)
    [ "$c" = A ] && r=B || r=A
    { head -c $i inc.json; printf '%s' "$r"; tail -c +$((i + 2)) inc.json; } > alt.json
    $EXANTE verify-proof alt.json --vkey "$VKEY" >/dev/null 2>&1
    rc=$?
    if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then survived=$((survived + 1)); echo "byte $i ('$c'->'$r'): exit $rc" >&2; fi
done
[ $survived -eq 0 ] && ok || bad "$survived altered proofs were accepted"

# malformed proof: line number in the message
printf '{\n"index": 1,\n"size": ]\n}\n' > broken.json
expect 2 $EXANTE verify-proof broken.json --vkey "$VKEY"
contains "$T/err" "line 3"
echo '{"index":1,"size":2,"leaf_hash":"AAAA","proof":[],"root":"AAAA"}' > short.json
expect 2 $EXANTE verify-proof short.json --vkey "$VKEY"
contains "$T/err" '"leaf_hash" is not base64 of 32 bytes'

# tiles
expect 0 $EXANTE --json log tiles --out tiles
contains "$T/out" '"files":3'
[ -f tiles/checkpoint ] && [ -f tiles/tile/0/000.p/7 ] && [ -f tiles/tile/entries/000.p/7 ] && ok || bad "tiles layout"
[ "$(stat -c %s tiles/tile/0/000.p/7)" = 224 ] && ok || bad "tile size"
expect 2 $EXANTE log tiles

# passphrase-protected key
export EXANTE_DIR="$T/locked"
EXANTE_PASSPHRASE=s3cret expect 0 $EXANTE init
head -1 "$EXANTE_DIR/key.pem" | grep -q ENCRYPTED && ok || bad "key is not encrypted"
expect 3 $EXANTE evidence add terms.txt --kind terms
contains "$T/err" "EXANTE_PASSPHRASE"
EXANTE_PASSPHRASE=wrong expect 3 $EXANTE evidence add terms.txt --kind terms
EXANTE_PASSPHRASE=s3cret expect 0 $EXANTE evidence add terms.txt --kind terms
expect 0 $EXANTE log verify   # reading needs no passphrase
chmod 644 "$EXANTE_DIR/key.pem"
EXANTE_PASSPHRASE=s3cret expect 2 $EXANTE evidence add terms.txt --kind terms
contains "$T/err" "chmod 600"

finish
