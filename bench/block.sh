#!/usr/bin/env bash
# block.sh - what blocks (src/store/block.h) store and cost per record, by
# zstd level, against the records packed one by one as the store kept them before schema 8, on the
# item and decision records of a real ledger; written to bench/RESULTS.md ("## Blocks").
#
#   bench/block.sh [--build-dir DIR] [--out FILE] [--items N] [--batch N] [--runs N] [--keep]
#
# Builds Release; makes `bench_ingest gen-small` items (default 200,000), ingests them into a
# fresh ledger (policy admitting by license, as bench/near_ingest.sh's), then runs
# `bench_block LEDGER.db BATCH RUNS -1 1 3 6 9 16` (batch default 10,000: ingest's decisions per
# batch): per table, the packed records' bytes and CPU (ex_pack, ex_unpack), then blocks of
# BATCH records at each level (built; opened and read back), and "both": each item followed
# by its decision in one block of 2 x BATCH records. Bytes are the records' or blocks' own,
# not SQLite's pages. CPU is this thread's, best of RUNS (default 3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

argv="$*"
build=""
out="$here/RESULTS.md"
items=200000
batch=10000
runs=3
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --items) items=${2:?--items needs a number}; shift ;;
    --batch) batch=${2:?--batch needs a number}; shift ;;
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "block.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -z "$build" ] || build=$(realpath -m "$build")
out=$(realpath -m "$out")
t_start=$(date +%s)
bench_start block cmake cc awk sed
log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest bench_block >/dev/null
X="$build/exante"

cd "$work"
log "bench_ingest gen-small small.jsonl $items"
"$build/bench/bench_ingest" gen-small small.jsonl "$items" >gen.out 2>/dev/null
cat >policy.txt <<'EOF'
reject tdm-reserved
reject license LicenseRef-proprietary CC-BY-NC-4.0
admit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
EOF
export EXANTE_DIR="$work/L"
"$X" -q init --origin bench.example/block >/dev/null
"$X" -q source add s --kind crawl >/dev/null
"$X" -q policy adopt policy.txt >/dev/null
log "exante ingest"
"$X" -q ingest --source s --batch "$batch" small.jsonl >/dev/null
log "bench_block L/ledger.db $batch $runs -1 1 3 6 9 16"
"$build/bench/bench_block" "$EXANTE_DIR/ledger.db" "$batch" "$runs" -1 1 3 6 9 16 >block.out

section="$work/section.md"
{
    printf '## Blocks\n\n'
    printf 'Written by `bench/block.sh%s` on %s (%d s); exante commit %s%s, Release build.\n\n' \
        "${argv:+ $argv}" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $(($(date +%s) - t_start)) \
        "$(git -C "$src" rev-parse --short HEAD)" \
        "$(git -C "$src" status --porcelain | grep -q . && echo ' plus the working tree' || true)"
    printf -- '- machine: %s\n' "$(machine_notes "$work")"
    printf -- '- records: the item and decision records of a fresh ledger of %s `bench_ingest gen-small` items (one decision each), read back plain; blocks of %s records (ingest'"'"'s decisions per batch; "both": %s, each item followed by its decision)\n' \
        "$items" "$batch" "$((2 * batch))"
    printf -- '- bytes: the packed records'"'"' or the blocks'"'"' own bytes (what a row would hold), not SQLite'"'"'s pages; CPU: this thread'"'"'s, best of %s runs; write = ex_pack or ex_block_enc_build, read = ex_unpack or ex_block_open + ex_block_get of every record\n\n' "$runs"
    printf '| Records | Method | zstd level | bytes per record | of the packed records'"'"' | write CPU s per million | read CPU s per million |\n|---|---|---|---|---|---|---|\n'
    awk -F'[:,]' '
        { for (i = 1; i < NF; i++) { gsub(/[{}"]/, "", $i); gsub(/[{}"]/, "", $(i + 1)); v[$i] = $(i + 1) }
          t = v["table"]; m = v["method"]
          if (m == "pack") packed[t] = v["bytes_per_record"]
          base = (t == "both") ? (packed["items"] + packed["decisions"]) / 2 : packed[t]
          printf "| %s | %s | %s | %.1f | %.2f | %.3f | %.3f |\n", t, m == "pack" ? "one zstd frame each, with its dictionary (today)" : "blocks", m == "pack" ? "1 (pack.c)" : v["level"],
              v["bytes_per_record"], v["bytes_per_record"] / base, v["write_cpu_s_per_m"], v["read_cpu_s_per_m"] }' block.out
    printf '\nPer item (an item record and its decision): today %s bytes packed; blocks of each kind at level 1: %s; both kinds in one block at level 1: %s.\n\n' \
        "$(awk -F'"bytes_per_record":' '/"method":"pack"/ { split($2, a, ","); s += a[1] } END { printf "%.1f", s }' block.out)" \
        "$(awk -F'"bytes_per_record":' '/"method":"block","level":1,/ && !/"table":"both"/ { split($2, a, ","); s += a[1] } END { printf "%.1f", s }' block.out)" \
        "$(awk -F'"bytes_per_record":' '/"table":"both","method":"block","level":1,/ { split($2, a, ","); printf "%.1f", 2 * a[1] }' block.out)"
    printf 'Raw:\n\n```\n'; cat block.out; printf '```\n\n'
} >"$section"
put_section "$out" "## Blocks" "$section"
log "wrote the '## Blocks' section of $out"
