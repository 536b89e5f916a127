#!/usr/bin/env bash
# jsonl.sh - benchmark the JSONL reader: build Release, generate web-text-like JSONL, compress
# it with zstd, time extraction (ours vs jansson, in memory) and ex_read_jsonl end to end
# (plain and .zst), measure the single-core limit for .zst ingest (zstd -dc + openssl sha256),
# and compare peak RSS at two input sizes. Prints a Markdown report on stdout and writes it as
# the "## JSONL reader" section of --out (default bench/RESULTS.md; replaced if present).
#
#   bench/jsonl.sh [--size MB] [--rss-sizes "MB MB"] [--build-dir DIR] [--out FILE] [--keep]
#
#   --size MB          the main input (default 500)
#   --rss-sizes "A B"  inputs for the RSS comparison, generated straight into zstd (default
#                      "1024 4096"; "" skips it)
#   --build-dir DIR    build there (default: a temporary directory)
#   --out FILE         results file whose "## JSONL reader" section is replaced or appended
#                      (default: bench/RESULTS.md; "" writes none)
#   --keep             keep the work directory (inputs) and say where it is
#
# Targets (from the issue): extraction >= 1 GB/s per core on plain JSONL; .jsonl.zst ingest
# >= 0.7 x the single-core limit, i.e. the time of `zstd -dc F > /dev/null` plus that of
# `openssl dgst -sha256` over the decompressed bytes. Times are the best of several runs on
# warm page cache; GB = 1e9 bytes of decompressed JSONL.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

size=500
rss_sizes="1024 4096"
build=""
out="$here/RESULTS.md"
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --size) size=${2:?--size needs MB}; shift ;;
    --rss-sizes) rss_sizes=${2?--rss-sizes needs a list}; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2?--out needs a file}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "jsonl.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start jsonl zstd openssl cmake cc

# ---- build ---------------------------------------------------------------------------------
log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
bench="$build/bench/bench_jsonl"
if cmake --build "$build" -j2 --target bench_jsonl >/dev/null 2>&1; then
    :
else
    # bench_jsonl not registered in bench/CMakeLists.txt yet: build it by hand against the library
    cmake --build "$build" -j2 --target exante >/dev/null
    mkdir -p "$build/bench"
    # shellcheck disable=SC2046
    cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$src/include" -I"$src/src" "$here/bench_jsonl.c" \
        "$build/libexante.a" $(pkg-config --libs jansson libzstd libisal sqlite3 libcrypto) \
        -o "$bench"
fi
[ -x "$bench" ] || { echo "jsonl.sh: $bench was not built" >&2; exit 1; }

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
f2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# ---- inputs --------------------------------------------------------------------------------
plain="$work/web.jsonl"
run gen "$bench" gen "$plain" "$size"
cmds+=("zstd -q -T0 $plain -o $plain.zst")
zstd -q -T0 "$plain" -o "$plain.zst"
bytes=$(stat -c %s "$plain")
zbytes=$(stat -c %s "$plain.zst")
cat "$plain" "$plain.zst" >/dev/null # warm the page cache

# ---- measurements --------------------------------------------------------------------------
log "single-core limit: zstd -dc, openssl dgst -sha256"
cmds+=("zstd -dc $plain.zst > /dev/null   # best of 3" "openssl dgst -sha256 $plain   # best of 3")
t_zstd=$(best 3 zstd -dc "$plain.zst")
t_sha=$(best 3 openssl dgst -sha256 "$plain")
t_limit=$(awk -v a="$t_zstd" -v b="$t_sha" 'BEGIN { printf "%.4f", a + b }')
run extract "$bench" extract "$plain" 3
run ingest_plain "$bench" ingest "$plain" 3
run ingest_zst "$bench" ingest "$plain.zst" 3

rss_rows=()
for mb in $rss_sizes; do
    f="$work/rss-$mb.jsonl.zst"
    cmds+=("$bench gen - $mb | zstd -q -T0 -o $f")
    log "generating $mb MiB into $f"
    "$bench" gen - "$mb" 2>/dev/null | zstd -q -T0 -o "$f"
    run "rss_$mb" "$bench" ingest "$f" 1
    rss_rows+=("| $mb MiB (.zst, $(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.0f", b / 1048576 }') MiB compressed) | $(j "rss_$mb" items) | $(f2 "$(j "rss_$mb" gbps)") GB/s | $(j "rss_$mb" peak_rss_mib) MiB |")
    rm -f "$f"
done

# ---- report --------------------------------------------------------------------------------
gb_limit=$(div "$bytes" "$(awk -v t="$t_limit" 'BEGIN { print t * 1e9 }')")
zst_gbps=$(j ingest_zst gbps)
ratio=$(div "$t_limit" "$(j ingest_zst seconds)")
ext=$(j extract ours_gbps)
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "**missed**" }'; }
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -p)
report="$work/report.md"
{
    printf '## JSONL reader\n\n'
    printf 'Written by `bench/jsonl.sh` on %s.\n\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf -- '- machine: %s, %s cores, %s; %s; %s; zstd %s; jansson %s\n' "$cpu" "$(nproc)" \
        "$(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)" \
        "$(openssl version | cut -d' ' -f1-2)" "$(cc --version | head -n1)" \
        "$(zstd -V | sed 's/.*v\([0-9.]*\).*/\1/')" "$(pkg-config --modversion jansson 2>/dev/null || echo '?')"
    printf -- '- input: %s bytes of generated JSONL, %s lines (1-5 KB texts, 72%% English, 28%% German/French/Russian/Chinese, 8%% of lines ASCII-escaped); .zst %s bytes (`zstd -T0`, level 3)\n' \
        "$bytes" "$(j extract lines)" "$zbytes"
    printf -- '- extract: the file in memory; every line validated and the five default fields extracted, text decoded (no digest); jansson = `json_loadb` + `json_object_get` per line; best of 3\n'
    printf -- '- ingest: `ex_read_jsonl` end to end (read, decompress, validate, extract, decode, SHA-256 of every text), callbacks count; best of 3\n\n'
    printf '| Measure | Time | Rate | Target | Ratio | Met? |\n|---|---|---|---|---|---|\n'
    printf '| extract, ours (jsonscan) | %s s | %s GB/s | ≥ 1 GB/s | %s | %s |\n' \
        "$(j extract ours_s)" "$(f2 "$ext")" "$(f2 "$ext")" "$(met "$ext" 1)"
    printf '| extract, jansson 2.14 | %s s | %s GB/s | (reference) | ours %s× faster | – |\n' \
        "$(j extract jansson_s)" "$(f2 "$(j extract jansson_gbps)")" "$(f2 "$(j extract speedup)")"
    printf '| `zstd -dc F > /dev/null` | %s s | %s GB/s | – | – | – |\n' "$t_zstd" "$(f2 "$(div "$bytes" "$(awk -v t="$t_zstd" 'BEGIN { print t * 1e9 }')")")"
    printf '| `openssl dgst -sha256` (decompressed) | %s s | %s GB/s | – | – | – |\n' "$t_sha" "$(f2 "$(div "$bytes" "$(awk -v t="$t_sha" 'BEGIN { print t * 1e9 }')")")"
    printf '| single-core limit (sum of the two) | %s s | %s GB/s | – | 1.00 | – |\n' "$t_limit" "$(f2 "$gb_limit")"
    printf '| ingest `.jsonl.zst` | %s s | %s GB/s | ≥ 0.7 × limit | %s of the limit | %s |\n' \
        "$(j ingest_zst seconds)" "$(f2 "$zst_gbps")" "$(f2 "$ratio")" "$(met "$ratio" 0.7)"
    printf '| ingest plain `.jsonl` | %s s | %s GB/s | – | – | – |\n\n' \
        "$(j ingest_plain seconds)" "$(f2 "$(j ingest_plain gbps)")"
    if [ ${#rss_rows[@]} -gt 0 ]; then
        printf '### Peak RSS against input size\n\n`getrusage` `ru_maxrss` of the `bench_jsonl ingest` process (one run each):\n\n'
        printf '| Input (decompressed) | Items | Rate | Peak RSS |\n|---|---|---|---|\n'
        printf '%s\n' "${rss_rows[@]}"
        printf '\n'
    fi
    printf '### Commands\n\n```sh\n'
    printf '%s\n' "${cmds[@]}" | sed "s|$work|\$WORK|g; s|$build|\$BUILD|g; s|$src/||g"
    printf '```\n\n### Raw output\n\n```\n'
    cat "$work"/*.out
    printf '```\n'
} >"$report"
cat "$report"
[ -n "$out" ] || exit 0
put_section "$out" "## JSONL reader" "$report"
