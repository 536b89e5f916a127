#!/usr/bin/env bash
# I/O and allocation faults (docs/TESTING.md): each of ingest, reevaluate, snapshot create,
# attest run and log tiles runs once on a small ledger to count its writes, fsyncs, renames
# and allocations (tests/fault/fail_nth.c), then once per N with the N-th of them failing. A
# run either completes with exactly the uninterrupted result, or fails with exit 3 and a
# message; then `log verify` passes, and running the same command again without faults
# converges to the uninterrupted result. Every N is tried up to FAULT_MAX per kind of call
# for writes, fsyncs and renames (default 400) and FAULT_ALLOC_MAX for allocations (60; under
# AddressSanitizer its malloc comes first and none is seen); past it a sample, from the seed
# printed (EXANTE_FAULT_SEED: default 1, "random" for a new one). FAULT_HEAP_MAX (10) more
# runs a command fail every allocation from a sampled N on: memory that stays exhausted.
. "$(dirname "$0")/lib.sh"
: "${FAIL_NTH:?FAIL_NTH must name the fault shim}"
MAX=${FAULT_MAX:-400} AMAX=${FAULT_ALLOC_MAX:-60} HMAX=${FAULT_HEAP_MAX:-10}
# a fixed sample by default, so that a run of the suite fails only for a change it made;
# EXANTE_FAULT_SEED=random draws a new one (printed)
SEED=${EXANTE_FAULT_SEED:-1}
[ "$SEED" = random ] && SEED=$(($(date +%s) % 100000))
echo "fault seed $SEED (EXANTE_FAULT_SEED=$SEED repeats the sample); up to $MAX N per command" \
    "for writes, fsyncs and renames, $AMAX for allocations"
RANDOM=$SEED
X=$EXANTE

# ---- the ledgers before each command (templates), and what each command leaves -----------
export EXANTE_DIR="$T/tpl"
$X -q init --origin faults.test/log >/dev/null
$X sample --items 40 --seed 3 --out s >/dev/null
$X -q source add w --kind crawl >/dev/null
cat >p1.txt <<'P'
name   one
reject license CC-BY-NC-4.0
admit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
P
cat >p2.txt <<'P'
name   two
admit  license MIT Apache-2.0 CC0-1.0
reject *  "no lawful basis recorded"
P
head -c 4096 /dev/zero >w.bin
$X -q policy adopt p1.txt >/dev/null
names=(ingest reevaluate snapshot attest tiles)
declare -A cmd=(
    [ingest]="ingest --source w --batch 5 $T/s/corpus.jsonl.zst"
    [reevaluate]="reevaluate"
    [snapshot]="snapshot create s1"
    [attest]="attest run --snapshot s1 --weights $T/w.bin --name m1"
    [tiles]="log tiles --out $T/tiles"
)
cp -a tpl tpl.ingest
$X -q ${cmd[ingest]} >/dev/null || bad "setup: ingest"
$X -q policy adopt p2.txt >/dev/null
cp -a tpl tpl.reevaluate
$X -q reevaluate >/dev/null || bad "setup: reevaluate"
cp -a tpl tpl.snapshot
$X -q ${cmd[snapshot]} >/dev/null || bad "setup: snapshot"
cp -a tpl tpl.attest
$X -q ${cmd[attest]} >/dev/null || bad "setup: attest"
cp -a tpl tpl.tiles

# dump NAME : what the command NAME leaves that must not depend on faults (the decisions'
# times and signatures aside: each item's latest verdict and rule; a snapshot's members and
# root; a model's record; every tile's bytes)
dump() {
    case $1 in
    ingest | reevaluate)
        $X decisions | python3 -c '
import json, sys
last = {}
for l in sys.stdin:
    d = json.loads(l)
    last[d["item"]] = (d["digest"], d["verdict"], d["rule"])
for k in sorted(last): print(k, *last[k])'
        $X quarantine list
        ;;
    snapshot)
        $X snapshot export s1
        $X --json snapshot show s1 | python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["size"], d["root"], d["log_size"])'
        ;;
    attest) $X --json models ;;
    tiles) (cd "$T/tiles" && find . -type f | sort | xargs sha256sum) ;;
    esac
}

# fresh NAME : a copy of NAME's template as the ledger, its outputs gone
fresh() {
    rm -rf "$T/l" "$T/tiles"
    cp -a "$T/tpl.$1" "$T/l"
    export EXANTE_DIR="$T/l"
}

# faulted NAME OP N : NAME's command with the N-th OP call failing (N = 0: counting only);
# OP heap: the N-th allocation and every one after it (the heap stays exhausted)
faulted() {
    local op=$2 persist=0
    [ "$op" = heap ] && op=alloc persist=1
    LD_PRELOAD="$FAIL_NTH" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        EXANTE_FAULT_OP=$op EXANTE_FAULT_N=$3 EXANTE_FAULT_PERSIST=$persist \
        EXANTE_FAULT_COUNT="$T/count" $X -q ${cmd[$1]} >"$T/out" 2>"$T/err"
}

# pick FROM C M : the N to try out of FROM+1..C: all of them up to M, else M at random
pick() {
    local span=$(($2 - $1)) i
    if [ "$span" -le "$3" ]; then seq $(($1 + 1)) "$2"; return; fi
    for ((i = 0; i < $3; i++)); do echo $(((RANDOM * 32768 + RANDOM) % span + $1 + 1)); done | sort -nu
}

# OpenSSL 3.0 crashes later when an allocation fails while it sets itself up; exante does that
# set-up first thing (cli/main.c), and these first allocations are left alone
LD_PRELOAD="$FAIL_NTH" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    EXANTE_FAULT_COUNT="$T/count" $X --version >/dev/null || bad "exante --version"
START=$(sed -n 's/^alloc //p' "$T/count")
if [ "$START" -gt 0 ]; then
    echo "the first $START allocations (OpenSSL's set-up) are not failed"
else
    echo "no allocation is seen (AddressSanitizer's malloc comes first): none is failed"
fi

# what an exit 3's message must say, by the kind of call that failed
declare -A cause=(
    [write]="disk full|no space left on device"
    [fsync]="i/o error|input/output error"
    [rename]="i/o error|input/output error"
    [alloc]="out of memory|cannot allocate memory|crypto library error|hashing failed|cannot hash"
    [heap]="" # not checked: with no memory left, reading the key says "not a PEM key, or it
    # needs a passphrase" (OpenSSL gives no reason; docs/TESTING.md)
)
# (OpenSSL 3.0 often fails without saying that memory ran out: a failed hash or signature is
# then all a message can name)
declare -A covered tried injected recovered completed counts
for name in "${names[@]}"; do
    fresh "$name"
    $X -q ${cmd[$name]} >/dev/null 2>&1 || bad "$name: the uninterrupted run failed"
    dump "$name" >"$T/want.$name"
    covered[$name]=0 tried[$name]=0 counts[$name]="" injected[$name]=0 recovered[$name]=0 completed[$name]=0
    for op in write fsync rename alloc heap; do
        fresh "$name"
        faulted "$name" "$op" 0 || bad "$name: the counting run failed: $(head -c 300 "$T/err")"
        c=$(sed -n "s/^${op/heap/alloc} //p" "$T/count")
        if [ "$op" != heap ]; then
            covered[$name]=$((covered[$name] + c))
            counts[$name]+=" $op $c"
        fi
        from=0 m=$MAX
        [ "$op" = alloc ] && from=$START m=$AMAX
        [ "$op" = heap ] && from=$START m=$HMAX
        for n in $(pick "$from" "$c" "$m"); do
            tried[$name]=$((tried[$name] + 1))
            fresh "$name"
            faulted "$name" "$op" "$n"
            rc=$?
            what="$name, $op #$n of $c"
            [ "$(sed -n 's/^failed //p' "$T/count" 2>/dev/null)" -ge 1 ] 2>/dev/null && injected[$name]=$((injected[$name] + 1))
            case $rc in
            0)
                dump "$name" >"$T/got"
                if cmp -s "$T/want.$name" "$T/got"; then
                    ok; completed[$name]=$((completed[$name] + 1))
                else
                    bad "$what: exit 0 but the result differs from an uninterrupted run"
                    diff "$T/want.$name" "$T/got" | head -5 >&2
                fi
                continue ;;
            3)
                if grep -q '^exante: ..........' "$T/err"; then ok; else
                    bad "$what: exit 3 without a message: '$(head -c 200 "$T/err")'"
                fi
                # and the message names the cause as the user would
                if [ -z "${cause[$op]}" ] || grep -qiE "${cause[$op]}" "$T/err"; then ok; else
                    bad "$what: the message does not say '${cause[$op]}': $(head -c 300 "$T/err")"
                fi ;;
            *)
                bad "$what: exit $rc (want 0 or 3): $(head -c 300 "$T/err")"
                continue ;;
            esac
            cp "$T/err" "$T/err.fault"
            if ! $X log verify >"$T/vout" 2>&1; then
                bad "$what: log verify fails after it: $(head -c 300 "$T/vout")"
                continue
            fi
            if ! $X -q ${cmd[$name]} >/dev/null 2>"$T/err"; then
                bad "$what: the rerun failed: $(head -c 300 "$T/err") (the fault said: $(head -c 200 "$T/err.fault"))"
                continue
            fi
            dump "$name" >"$T/got"
            if cmp -s "$T/want.$name" "$T/got"; then
                ok; recovered[$name]=$((recovered[$name] + 1))
            else
                bad "$what: the rerun differs from an uninterrupted run (the fault said: $(head -c 200 "$T/err.fault"))"
                diff "$T/want.$name" "$T/got" | head -5 >&2
            fi
        done
    done
    echo "$name: calls${counts[$name]}; ${tried[$name]} runs with a fault, ${injected[$name]}" \
        "injected: ${completed[$name]} completed as uninterrupted, ${recovered[$name]} failed" \
        "with exit 3 and converged on a rerun"
done
finish
