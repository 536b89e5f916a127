#!/usr/bin/env bash
# filter.sh - the training feed (`exante filter`), written to bench/RESULTS.md ("## Filter").
#
#   bench/filter.sh [--build-dir DIR] [--out FILE] [--size MB] [--sizes "N N"] [--keep]
#
# 1. Throughput: about --size MB (default 500) of web-text JSONL (bench_jsonl gen), zstd -T0;
#    a ledger admitting everything ingests it and freezes it as a snapshot; then, best of 3,
#    `exante filter --snapshot S F.jsonl.zst > /dev/null` against the single-core limit of the
#    same file measured in the same run as ingest's is (bench/jsonl.sh): `zstd -dc F` plus
#    `openssl dgst -sha256` over the decompressed bytes. Target (issue): >= 0.7 x the limit.
#    Also one run with `--out FEED.jsonl.zst` (zstd on a libzstd worker).
# 2. Memory against snapshot size: for each N of --sizes (default "1000000 10000000") a ledger
#    of N small items (bench_ingest gen-small, `admit *`) and its snapshot; the same input, the
#    first 200,000 of those lines (members), filtered against each: peak RSS (GNU time) and the
#    lookup's own bytes (--json lookup_bytes). Bytes per member = the RSS difference over the
#    members' difference. Under ${TMPDIR:-/tmp}: about 3 GB of JSONL and ledger at 10M.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
build=""; out="$here/RESULTS.md"; size=500; sizes="1000000 10000000"; keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --size) size=${2:?}; shift ;;
    --sizes) sizes=${2:?}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "filter.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start filter cmake zstd openssl awk sed
[ -x /usr/bin/time ] || { echo "filter.sh: GNU time (/usr/bin/time, Debian 'time') is needed" >&2; exit 1; }
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest bench_jsonl >/dev/null
X="$build/exante"
t_start=$(date +%s)
ledger() { # DIR: a new ledger admitting everything, with source s
    export EXANTE_DIR=$1
    "$X" -q init >/dev/null
    "$X" -q source add s --kind other >/dev/null
    printf 'admit * "benchmark: everything"\n' >"$work/policy.txt"
    "$X" -q policy adopt "$work/policy.txt" >/dev/null
}

log "gen $size MB of web JSONL"
"$build/bench/bench_jsonl" gen "$work/web.jsonl" "$size" >/dev/null
zstd -q -T0 "$work/web.jsonl" -o "$work/web.jsonl.zst"
bytes=$(stat -c %s "$work/web.jsonl")
log "limit: zstd -dc + openssl dgst -sha256"
zstd_s=$(best 3 zstd -dc "$work/web.jsonl.zst")
sha_s=$(best 3 openssl dgst -sha256 "$work/web.jsonl")
limit_s=$(awk -v a="$zstd_s" -v b="$sha_s" 'BEGIN { printf "%.4f", a + b }')
ledger "$work/web-ledger"
"$X" -q ingest --source s "$work/web.jsonl.zst" >/dev/null
"$X" -q snapshot create feed >/dev/null
log "filter"
filter_s=$(best 3 "$X" -q filter --snapshot feed "$work/web.jsonl.zst")
"$X" --json filter --snapshot feed "$work/web.jsonl.zst" 2>"$work/feed.out" | wc -l >"$work/lines"
t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/feed-zst.rss" "$X" --json filter --snapshot feed \
    "$work/web.jsonl.zst" --out "$work/feed.jsonl.zst" >"$work/feedz.out"
zout_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.4f", b - a }')
zstd -dc "$work/feed.jsonl.zst" | cmp -s - "$work/web.jsonl" || {
    echo "filter.sh: the feed of a snapshot holding every line is not the input" >&2; exit 1; }
passed=$(j feed passed)
[ "$passed" = "$(cat "$work/lines")" ] || { echo "filter.sh: $passed passed, $(cat "$work/lines") lines" >&2; exit 1; }
rm -f "$work/web.jsonl" "$work/feed.jsonl.zst"

log "memory against snapshot size: $sizes"
raw="$work/raw.txt"
printf '{"bench":"filter-zst","bytes":%s,"lines":%s,"zstd_s":%s,"sha256_s":%s,"limit_s":%s,"filter_s":%s,"filter_out_zst_s":%s,"out_zst_peak_rss_kib":%s}\n' \
    "$bytes" "$passed" "$zstd_s" "$sha_s" "$limit_s" "$filter_s" "$zout_s" "$(cat "$work/feed-zst.rss")" >"$raw"
for n in $sizes; do
    "$build/bench/bench_ingest" gen-small "$work/small.jsonl" "$n" >/dev/null 2>&1
    head -n 200000 "$work/small.jsonl" >"$work/probe.jsonl"
    ledger "$work/ledger-$n"
    "$X" -q ingest --source s "$work/small.jsonl" >/dev/null
    rm -f "$work/small.jsonl"
    "$X" -q snapshot create s >/dev/null
    "$X" -q filter --snapshot s "$work/probe.jsonl" >/dev/null # warm
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$work/rss-$n" "$X" --json filter --snapshot s "$work/probe.jsonl" \
        2>"$work/mem-$n.out" >/dev/null
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.4f", b - a }')
    printf '{"bench":"filter-memory","items":%s,"members":%s,"probe_lines":200000,"passed":%s,"seconds":%s,"lookup_bytes":%s,"peak_rss_kib":%s}\n' \
        "$n" "$(j "mem-$n" members)" "$(j "mem-$n" passed)" "$secs" "$(j "mem-$n" lookup_bytes)" \
        "$(tail -n1 "$work/rss-$n")" >>"$raw"
    rm -rf "$work/ledger-$n"
done
cat "$raw" >&2

k() { grep "$1" "$raw" | sed -n "${3:-1}p" | sed "s/.*\"$2\":\([0-9.]*\).*/\1/"; }
num() { echo "${1%.*}" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
ratio=$(awk -v a="$limit_s" -v b="$filter_s" 'BEGIN { printf "%.2f", a / b }')
section="$work/section.md"
{
    printf '## Filter\n\n'
    printf 'Written by `bench/filter.sh --size %s --sizes "%s"` on %s (%s min); %s cores, %s; exante commit %s plus the working tree, Release build.\n\n' \
        "$size" "$sizes" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$((($(date +%s) - t_start) / 60))" "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(git -C "$src" rev-parse --short HEAD)"
    printf '%s bytes of web-text JSONL (%s lines, `bench_jsonl gen`), zstd -T0; a ledger admitting everything, one snapshot holding every line; `exante filter` to /dev/null, best of 3, against the single-core limit of the same file (as ingest is measured, bench/jsonl.sh).\n\n' \
        "$(num "$bytes")" "$(num "$passed")"
    printf '| Measure | Target (issue) | Measured | Ratio | Met? |\n|---|---|---|---|---|\n'
    printf '| limit: `zstd -dc` %s s + `openssl dgst -sha256` %s s | – | %s s, %s MB/s | 1.00 | – |\n' \
        "$zstd_s" "$sha_s" "$limit_s" "$(awk -v b="$bytes" -v t="$limit_s" 'BEGIN { printf "%.0f", b / t / 1e6 }')"
    printf '| `exante filter --snapshot S F.jsonl.zst > /dev/null` | ≥ 0.7 × limit | %s s, %s MB/s | %s | %s |\n' \
        "$filter_s" "$(awk -v b="$bytes" -v t="$filter_s" 'BEGIN { printf "%.0f", b / t / 1e6 }')" "$ratio" \
        "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.7) ? "met" : "**missed**" }')"
    printf '| the same with `--out FEED.jsonl.zst` (level 3, one libzstd worker), once | – | %s s | %s | – |\n\n' \
        "$zout_s" "$(awk -v a="$limit_s" -v b="$zout_s" 'BEGIN { printf "%.2f", a / b }')"
    printf 'Memory against snapshot size: the same 200,000 member lines filtered against snapshots of each size (peak RSS by GNU time; the lookup keeps 8 bytes per 32 members and an 8 MiB block cache, and reads each block it needs from the store).\n\n'
    printf '| Snapshot members | Time for 200,000 lines | Lookup bytes | Peak RSS |\n|---|---|---|---|\n'
    i=1
    for n in $sizes; do
        printf '| %s | %s s | %s | %s MiB |\n' "$(num "$(k filter-memory members $i)")" "$(k filter-memory seconds $i)" \
            "$(num "$(k filter-memory lookup_bytes $i)")" "$(awk -v r="$(k filter-memory peak_rss_kib $i)" 'BEGIN { printf "%.1f", r / 1024 }')"
        i=$((i + 1))
    done
    last=$(echo "$sizes" | awk '{ print NF }')
    if [ "$last" -gt 1 ]; then
        printf '\nPeak RSS grows by %s bytes per member between the first and the last size (the lookup itself: %s bytes per member).\n' \
            "$(awk -v r1="$(k filter-memory peak_rss_kib 1)" -v r2="$(k filter-memory peak_rss_kib "$last")" -v m1="$(k filter-memory members 1)" -v m2="$(k filter-memory members "$last")" 'BEGIN { printf "%.2f", (r2 - r1) * 1024 / (m2 - m1) }')" \
            "$(awk -v r1="$(k filter-memory lookup_bytes 1)" -v r2="$(k filter-memory lookup_bytes "$last")" -v m1="$(k filter-memory members 1)" -v m2="$(k filter-memory members "$last")" 'BEGIN { printf "%.3f", (r2 - r1) / (m2 - m1) }')"
    fi
    printf '\nRaw:\n\n```\n%s\n```\n' "$(cat "$raw")"
} >"$section"
put_section "$out" "## Filter" "$section"
cat "$section" >&2
