#!/usr/bin/env bash
# policy.sh - policy evaluation throughput (bench_policy), written to bench/RESULTS.md.
#
#   bench/policy.sh [--build-dir DIR] [--out FILE] [--items N] [--runs N]
#
# Builds Release and runs `bench_policy ITEMS RUNS` once: a 10-rule policy over generated items
# (2,000 hosts with robots.txt captures, 200 with tdmrep.json, 1,400 opt-outs, 24 licenses,
# HTTP and HTML heads on some items), captures parsed and cached by a warm-up pass; the best of
# RUNS passes counts. The floor beside it reads each item's URL and license bytes once. The
# issue's target is 2,000,000 items/s per core. Replaces the "## Policy evaluation" section.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
build=""; out="$here/RESULTS.md"; items=1000000; runs=5
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --items) items=${2:?}; shift ;;
    --runs) runs=${2:?}; shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "policy.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
work=$(mktemp -d "${TMPDIR:-/tmp}/exante-bench-policy.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -n "$build" ] || build="$work/build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_policy >/dev/null
res=$("$build/bench/bench_policy" "$items" "$runs")
echo "$res" >&2
# key KEY: a number from the bench's JSON line
key() { echo "$res" | sed "s/.*\"$1\":\([0-9.]*\).*/\1/"; }
rate=$(key items_per_s)
num() { echo "${1%.*}" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
section="$work/section.md"
{
    printf '## Policy evaluation\n\n'
    printf 'Written by `bench/policy.sh --items %s --runs %s` on %s; %s cores (`nproc`), %s; exante commit %s plus the working tree, Release build, one thread.\n\n' \
        "$items" "$runs" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(git -C "$src" rev-parse --short HEAD)"
    printf '| Measure | Target (issue) | Measured | Ratio | Met? | Peak RSS |\n|---|---|---|---|---|---|\n'
    printf '| `ex_peval_decide`, 10-rule policy, %s items over %s hosts, captures cached (best of %s) | ≥ 2,000,000 items/s | %s items/s | %s | %s | %s MiB |\n' \
        "$(num "$(key items)")" "$(key hosts)" "$runs" "$(num "$rate")" \
        "$(awk -v a="$rate" 'BEGIN { printf "%.2f", a / 2000000 }')" \
        "$(awk -v a="$rate" 'BEGIN { print (a >= 2000000) ? "met" : "**missed**" }')" "$(key peak_rss_mib)"
    printf '| (floor) reading each item'"'"'s URL and license bytes once | – | %s items/s | – | – | – |\n\n' "$(num "$(key floor_items_per_s)")"
    printf 'Raw: `%s`\n' "$res"
} >"$section"
put_section "$out" "## Policy evaluation" "$section"
cat "$section" >&2
