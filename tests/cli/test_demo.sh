# exante demo runs the chain end to end and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
export TMPDIR="$T"
expect 0 $EXANTE demo
contains "$T/out" "verified against the vkey"
contains "$T/out" "log verify: 3 entries and 4 checkpoints recomputed from storage: ok"
[ -z "$(ls -d "$T"/exante-demo-* 2>/dev/null)" ] && ok || bad "demo left its directory"
expect 0 $EXANTE --json demo
contains "$T/out" '"verified":true'
expect 0 $EXANTE demo --keep
d=$(ls -d "$T"/exante-demo-* | head -1)
EXANTE_DIR="$d/ledger" expect 0 $EXANTE log verify
finish
