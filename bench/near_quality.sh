#!/usr/bin/env bash
# near_quality.sh - quality of the near-duplicate decision (bench_near_quality), written to
# bench/RESULTS.md ("## Near-duplicate quality") with the plot bench/near_quality.svg.
#
#   bench/near_quality.sh [--build-dir DIR] [--out FILE] [--seed S] [--bases N] [--unrelated N]
#                         [--variants N] [--pairs N] [--keep]
#
# Builds Release and runs bench_near_quality once: a generated corpus (default 2,000 base
# documents with 2 variants per edit kind, 2,000 unrelated documents, 20,000 random unrelated
# pairs; seed 20261203), the exact Jaccard of every measured pair against the decision at
# t = 0.7, 0.8, 0.9, the band setting's S-curve, and ISCC Text-Code distances with a
# recommended Hamming threshold. Deterministic: the same seed gives the same tables. The plot
# is written as near_quality.svg beside FILE (which links to it). About two minutes on one core
# of the reference machine (half of it ISCC Text-Codes).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
build=""; out="$here/RESULTS.md"; keep=0
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --seed | --bases | --unrelated | --variants | --pairs) args+=("$1" "${2:?}"); shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "near_quality.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start near_quality cmake awk
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_near_quality >/dev/null
log "bench_near_quality ${args[*]}"
res=$("$build/bench/bench_near_quality" "${args[@]}" --md "$work/tables.md" --svg "$work/plot.svg")
echo "$res" >&2
cp "$work/plot.svg" "$(dirname "$out")/near_quality.svg"
section="$work/section.md"
{
    printf '## Near-duplicate quality\n\n'
    printf 'Written by `bench/near_quality.sh%s` on %s; exante commit %s plus the working tree, Release build.\n\n' \
        "$([ ${#args[@]} -gt 0 ] && printf ' %s' "${args[@]}")" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
        "$(git -C "$src" rev-parse --short HEAD)"
    cat "$work/tables.md"
    printf '\nRaw: `%s`\n' "$res"
} >"$section"
put_section "$out" "## Near-duplicate quality" "$section"
cat "$section" >&2
