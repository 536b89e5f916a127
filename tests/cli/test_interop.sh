# Our checkpoints, tiles and proofs verified by an independent C2SP implementation: Go's
# golang.org/x/mod/sumdb/note and tlog (Debian golang-go, golang-golang-x-mod-dev), through
# tests/interop/c2sp_check.go. Missing Go is a failure here: the installer provides it.
. "$(dirname "$0")/lib.sh"
: "${SRC:?}" "${GEN_LOG:?}"
CHECK=$(bash "$SRC/tests/interop/run.sh" "$T/bin") || { echo "cannot build the Go checker" >&2; exit 1; }

# a CLI-made log: evidence entries, tiles, proofs
$EXANTE -q init --origin interop.example/log >/dev/null || bad init
VKEY=$(cat "$EXANTE_DIR/vkey")
for i in $(seq 1 20); do echo "evidence $i" > e$i.txt; $EXANTE -q evidence add e$i.txt --kind other >/dev/null || bad add; done
expect 0 $EXANTE log tiles --out tiles
expect 0 "$CHECK" tiles tiles "$VKEY"
contains "$T/out" "ok tiles size=20"
cp -r tiles inc
for idx in 0 7 19; do
    $EXANTE log prove-inclusion $idx > inc.json
    $EXANTE log entry $idx > entry.bin
    expect 0 "$CHECK" inclusion tiles/checkpoint "$VKEY" inc.json entry.bin
done
$EXANTE log prove-inclusion 4 --size 13 > inc13.json
$EXANTE log entry 4 > entry.bin
$EXANTE log checkpoint --size 13 > cp13
expect 0 "$CHECK" inclusion cp13 "$VKEY" inc13.json entry.bin
for pair in "1 20" "5 13" "13 20" "16 20"; do
    set -- $pair
    $EXANTE log prove-consistency $1 $2 > con.json
    $EXANTE log checkpoint --size $1 > old
    $EXANTE log checkpoint --size $2 > new
    expect 0 "$CHECK" consistency old new "$VKEY" con.json
done
# and it rejects what it should: a flipped tile byte
b=$(od -An -tu1 -j5 -N1 tiles/tile/0/000.p/20 | tr -d ' ')
printf "\\$(printf '%03o' $(( b ^ 255 )))" | dd of=tiles/tile/0/000.p/20 bs=1 seek=5 conv=notrunc 2>/dev/null
[ "$(od -An -tu1 -j5 -N1 tiles/tile/0/000.p/20 | tr -d ' ')" = $(( b ^ 255 )) ] && ok || bad "the tile byte was not flipped"
expect 1 "$CHECK" tiles tiles "$VKEY"

# a larger log: full tiles at levels 0 and 1, partial tiles at levels 0, 1 and 2
"$GEN_LOG" "$T/big" big.example/log 70001 || bad gen_log
EXANTE_DIR="$T/big" expect 0 $EXANTE log tiles --out bigtiles
expect 0 "$CHECK" tiles bigtiles "$(cat "$T/big/vkey")"
contains "$T/out" "ok tiles size=70001"

# an incremental export after growth past a tile boundary (docs/SERVING.md): 300 captures
for i in $(seq 1 300); do printf 'User-agent: *\nDisallow: /%d\n' "$i" > "r$i.txt"; done
$EXANTE -q signals add --host interop.example --fetched 2026-06-01T00:00:00Z --kind robots r*.txt \
    >/dev/null || bad "signals add"
expect 0 $EXANTE log tiles --out inc --incremental
contains "$T/out" "wrote 6 files (0 kept, 2 partial tiles removed) for a log of 320 entries"
expect 0 "$CHECK" tiles inc "$VKEY"
contains "$T/out" "ok tiles size=320"

finish
