#!/usr/bin/env bash
# iscc.sh - the ISCC Text-Code (src/dedup/iscc.c): the fast path against the reference steps
# (the code as it was before the fast paths, kept for the tests) and against a peer that does
# part of the work and nothing else, on the same text in the same run. Writes the
# "## ISCC Text-Code" section of --out.
#
#   bench/iscc.sh [--size MB] [--reps R] [--ref-reps R] [--build-dir DIR] [--out FILE] [--keep]
#
#   --size MB        text per input (default 100): English-like items of 1-5 KB
#   --reps R         best of R for the fast path, its steps and the peers (default 5)
#   --ref-reps R     best of R for the reference and its steps (default 2; about 25 s a run)
#   --build-dir DIR  build Release there (default: a temporary directory)
#   --out FILE       results file whose "## ISCC Text-Code" section is replaced or appended
#                    (default: bench/RESULTS.md; "" writes none)
#   --keep           keep the work directory and say where it is
#
# Two inputs, generated in memory by bench_iscc (the same seed each run): pure ASCII English,
# and the same with 10% of the words non-ASCII (typographic quotes and dashes, accented Latin,
# Greek lower case, Cyrillic, CJK, symbols, ligatures, circled digits, an emoji). For each,
# `bench_iscc run` times the reference and ex_iscc_text_code over every item (single thread,
# this thread's CPU time) and fails unless both give the same 256-bit digest and character
# count for every item; then collapsing and the soft hash alone, and the peers: the features
# alone (XXH32 of every window of the collapsed texts, as the fast path computes them, so a
# bound it cannot beat) and XXH32 one window at a time (libxxhash, inlined).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

size=100
reps=5
ref_reps=2
build=""
out="$here/RESULTS.md"
keep=0
args="$*"
while [ $# -gt 0 ]; do
    case "$1" in
    --size) size=${2:?--size needs MB}; shift ;;
    --reps) reps=${2:?--reps needs a number}; shift ;;
    --ref-reps) ref_reps=${2:?--ref-reps needs a number}; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2?--out needs a file}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "iscc.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start iscc cmake cc awk
t_start=$(date +%s)

log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_iscc >/dev/null
bench="$build/bench/bench_iscc"
[ -x "$bench" ] || { echo "iscc.sh: $bench was not built" >&2; exit 1; }

cmds=()
# run NAME CMD...: record the command, run it, keep its stdout (one JSON line) as NAME
run() {
    local name=$1
    shift
    cmds+=("$*")
    log "$*"
    "$@" >"$work/$name.out"
    cat "$work/$name.out" >&2
}
load() { awk '{ print $1 " " $2 " " $3 }' /proc/loadavg; }

load0=$(load)
run ascii "$bench" run "$size" 0 "$reps" "$ref_reps"
run mixed "$bench" run "$size" 10 "$reps" "$ref_reps"
load1=$(load)

# ---- report ----------------------------------------------------------------------------------
f2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
num() {
    awk -v x="$1" 'BEGIN {
        s = sprintf("%.0f", x); o = ""
        while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        printf "%s%s", s, o }'
}
# row INPUT LABEL KEY [PEER]: one measure against the reference, and against the feature peer
# when PEER is 1 (only whole Text-Codes are: the steps alone do less than the peer)
row() {
    local in=$1 label=$2 key=$3 t ref peer of="–"
    t=$(j "$in" "${key}_s")
    ref=$(j "$in" ref_s)
    peer=$(j "$in" "features_$(j "$in" impl)_s")
    [ "${4:-0}" = 1 ] && of=$(awk -v p="$peer" -v t="$t" 'BEGIN { printf "%.3f", p / t }')
    printf '| %s | %s s | %s MB/s | %s× | %s |\n' "$label" "$t" "$(f2 "$(j "$in" "${key}_mbps")")" \
        "$(awk -v r="$ref" -v t="$t" 'BEGIN { printf "%.1f", r / t }')" "$of"
}
table() {
    local in=$1 impl
    impl=$(j "$in" impl)
    printf '| Measure | CPU time | Rate | vs reference | of the peer |\n|---|---|---|---|---|\n'
    row "$in" "**reference**: \`ex_iscc_collapse_ref\` + soft hash \`EX_ISCC_IMPL_REF\` (the code before)" ref 1
    row "$in" "**fast**: \`ex_iscc_text_code\` ($impl)" fast 1
    row "$in" "**peer**: features alone, XXH32 of every window, as the fast path computes them ($impl)" "features_$impl" 1
    row "$in" "XXH32 one window at a time (libxxhash, inlined)" xxh32
    row "$in" "collapse, reference" collapse_ref
    row "$in" "collapse, fast" collapse_fast
    row "$in" "soft hash of the collapsed texts, reference" soft_ref
    row "$in" "soft hash, portable C" soft_portable
    if [ -n "$(j "$in" soft_avx2_s)" ]; then row "$in" "soft hash, AVX2" soft_avx2; fi
    printf '\n'
}
describe() {
    local in=$1
    printf '%s items, %s bytes (%s non-ASCII), collapsed to %s bytes, %s windows; every item gave the reference'"'"'s digest and character count (%s mismatches).\n\n' \
        "$(num "$(j "$in" items)")" "$(num "$(j "$in" bytes)")" \
        "$(awk -v a="$(j "$in" nonascii_bytes)" -v b="$(j "$in" bytes)" 'BEGIN { printf "%.1f%%", 100 * a / b }')" \
        "$(num "$(j "$in" collapsed_bytes)")" "$(num "$(j "$in" windows)")" "$(j "$in" mismatches)"
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -p)
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')
dirty=$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null | grep -q . &&
    echo ' plus the working tree' || true)
elapsed=$(($(date +%s) - t_start))
section="$work/section.md"
{
    printf '## ISCC Text-Code\n\n'
    printf 'Written by `bench/iscc.sh%s` on %s (%d min %d s); %s, %s cores, %s; exante commit %s%s, Release build. Load average %s before, %s after (other processes share the machine; rates are per second of this thread'"'"'s CPU time, best of %s, the reference best of %s).\n\n' \
        "${args:+ $args}" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $((elapsed / 60)) $((elapsed % 60)) \
        "$cpu" "$(nproc)" "$(cc --version | head -n1)" "$commit" "$dirty" "$load0" "$load1" "$reps" "$ref_reps"
    printf 'Input: English-like items of 1-5 KB generated by `bench_iscc` (sentences of common words, capitals, commas, full stops, paragraph breaks), about %s MiB each, one Text-Code per item as ingest computes it. "vs reference": reference time / time. "of the peer": peer time / time, the share of the bound reached; the peer computes only the features (step 7), which the fast path must compute too. It is a loose bound: MinHash (step 8, 64 permutations of every window) is most of the fast path'"'"'s time, as the soft hash rows show.\n\n' "$size"
    printf '### Pure ASCII\n\n'
    describe ascii
    table ascii
    printf '### 10%% of the words non-ASCII\n\n'
    printf 'Typographic quotes and dashes, accented Latin, Greek lower case, Cyrillic, CJK, symbols, a ligature, a circled digit, an emoji: every item has some, so none is pure ASCII.\n\n'
    describe mixed
    table mixed
    printf '### Commands\n\n```sh\n'
    printf '%s\n' "${cmds[@]}" | sed "s|$work|\$WORK|g; s|$build|\$BUILD|g; s|$src/||g"
    printf '```\n\n### Raw output\n\n```\n'
    cat "$work/ascii.out" "$work/mixed.out"
    printf '```\n'
} >"$section"
cat "$section"
[ -n "$out" ] || exit 0
put_section "$out" "## ISCC Text-Code" "$section"
log "wrote the ISCC Text-Code section of $out"
