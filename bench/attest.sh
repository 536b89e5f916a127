#!/usr/bin/env bash
# attest.sh - training runs and impact, written to bench/RESULTS.md ("## Attestations").
#
#   bench/attest.sh [--build-dir DIR] [--out FILE] [--gb N] [--shards K] [--jobs J]
#                   [--items "N N"] [--snapshots S] [--models M] [--keep]
#
# 1. Weights: K shards (default 20) of N GB in all (default 10) of random bytes, with a
#    safetensors index naming them; the limit is `openssl dgst -sha256` over the same files
#    (one process per shard, J at a time: the same parallelism), best of 2, page cache warm;
#    then `exante attest run --weights INDEX --jobs J` and `exante verify ENVELOPE --weights
#    INDEX --jobs J`, best of 2 each. Target (issue): >= 0.9 x the limit.
# 2. Impact: for each N of --items (default "1000000 10000000") a ledger of N small items
#    (bench_ingest gen-small, `admit *`), S snapshots (default 20: the first made, the others
#    --from it, so each holds every member), M models (default 50: one per snapshot in turn,
#    each a fine-tune of the one before from the 2nd on); then `exante impact --digest D` of
#    a member, best of 5. Target: < 0.5 s at 10M; its growth with N reported.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
build=""; out="$here/RESULTS.md"; gb=10; shards=20; jobs=2; items="1000000 10000000"
nsnap=20; nmodels=50; keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --gb) gb=${2:?}; shift ;;
    --shards) shards=${2:?}; shift ;;
    --jobs) jobs=${2:?}; shift ;;
    --items) items=${2?}; shift ;;
    --snapshots) nsnap=${2:?}; shift ;;
    --models) nmodels=${2:?}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "attest.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start attest cmake openssl awk sed xargs
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest >/dev/null
X="$build/exante"
t_start=$(date +%s)
ledger() {
    export EXANTE_DIR=$1
    "$X" -q init >/dev/null
    "$X" -q source add s --kind other >/dev/null
    printf 'admit * "benchmark: everything"\n' >"$work/policy.txt"
    "$X" -q policy adopt "$work/policy.txt" >/dev/null
}
raw="$work/raw.txt"
: >"$raw"

# ---- weights ----
log "weights: $shards shards, $gb GB"
mkdir -p "$work/w"
per=$((gb * 1000 / shards)) # MB per shard
{
    printf '{"metadata":{"total_size":%s},"weight_map":{' "$((gb * 1000000000))"
    for i in $(seq 1 "$shards"); do
        f=$(printf 'model-%05d-of-%05d.safetensors' "$i" "$shards")
        head -c "${per}000000" /dev/urandom >"$work/w/$f"
        printf '%s"layer.%d.weight":"%s"' "$([ "$i" = 1 ] || echo ,)" "$i" "$f"
    done
    printf '}}\n'
} >"$work/w/model.safetensors.index.json"
bytes=$(du -cb "$work"/w/* | tail -n1 | cut -f1)
lim_s=$(best 2 sh -c "ls '$work'/w/* | xargs -P '$jobs' -n 1 openssl dgst -sha256")
ledger "$work/wl"
printf '{"text":"x"}\n' >"$work/one.jsonl"
"$X" -q ingest --source s "$work/one.jsonl" >/dev/null
"$X" -q snapshot create s >/dev/null
# best of 2, timed here (the copy of the small ledger excluded)
att_s=""
for _ in 1 2; do
    rm -rf "$work/wl2"; cp -r "$work/wl" "$work/wl2"
    t0=$(date +%s.%N)
    EXANTE_DIR="$work/wl2" "$X" -q attest run --snapshot s --weights "$work/w/model.safetensors.index.json" \
        --name m --jobs "$jobs" --out "$work/env.json" >/dev/null
    t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
    if [ -z "$att_s" ] || awk -v t="$t" -v b="$att_s" 'BEGIN { exit !(t < b) }'; then att_s=$t; fi
done
ver_s=$(best 2 "$X" verify "$work/env.json" --vkey "$(cat "$work/wl/vkey")" \
    --weights "$work/w/model.safetensors.index.json" --jobs "$jobs")
printf '{"bench":"weights","files":%s,"bytes":%s,"jobs":%s,"openssl_s":%s,"attest_s":%s,"verify_s":%s}\n' \
    "$((shards + 1))" "$bytes" "$jobs" "$lim_s" "$att_s" "$ver_s" >>"$raw"
rm -rf "$work/w" "$work/wl2"

# ---- impact ----
for n in $items; do
    log "impact: $n items, $nsnap snapshots, $nmodels models"
    "$build/bench/bench_ingest" gen-small "$work/small.jsonl" "$n" >/dev/null 2>&1
    probe=$(head -n 1 "$work/small.jsonl" | sed 's/.*"text":"\([^"]*\)".*/\1/')
    ledger "$work/il-$n"
    "$X" -q ingest --source s "$work/small.jsonl" >/dev/null
    rm -f "$work/small.jsonl"
    t0=$(date +%s.%N)
    "$X" -q snapshot create s1 >/dev/null
    for i in $(seq 2 "$nsnap"); do "$X" -q snapshot create "s$i" --from s1 >/dev/null; done
    snaps_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    for i in $(seq 1 "$nmodels"); do
        printf 'weights of model %d\n' "$i" >"$work/m$i.bin"
        s=$(( (i - 1) % nsnap + 1 ))
        if [ "$i" = 1 ]; then par=(); else par=(--parent "m$((i - 1))" --kind fine-tune); fi
        "$X" -q attest run --snapshot "s$s" --weights "$work/m$i.bin" --name "m$i" "${par[@]}" \
            --out /dev/null >/dev/null
    done
    d=$(printf '%s' "$probe" | sha256sum | sed 's/ .*//; s/^/sha256:/')
    "$X" --json impact --digest "$d" >"$work/impact.json"
    imp_s=$(best 5 "$X" impact --digest "$d")
    printf '{"bench":"impact","items":%s,"snapshots":%s,"models":%s,"snapshots_made_s":%s,"impact_s":%s,"models_reached":%s}\n' \
        "$n" "$nsnap" "$nmodels" "$snaps_s" "$imp_s" "$(grep -o '"model":' "$work/impact.json" | wc -l)" >>"$raw"
    rm -rf "$work/il-$n"
done
cat "$raw" >&2

k() { grep "\"bench\":\"$1\"" "$raw" | sed -n "${3:-1}p" | sed "s/.*\"$2\":\([0-9.]*\).*/\1/"; }
section="$work/section.md"
{
    printf '## Attestations\n\n'
    printf 'Written by `bench/attest.sh --gb %s --shards %s --jobs %s --items "%s" --snapshots %s --models %s` on %s (%s min); %s cores, %s; exante commit %s plus the working tree, Release build.\n\n' \
        "$gb" "$shards" "$jobs" "$items" "$nsnap" "$nmodels" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
        "$((($(date +%s) - t_start) / 60))" "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        "$(git -C "$src" rev-parse --short HEAD)"
    printf '| Measure | Target (issue) | Measured | Ratio | Met? |\n|---|---|---|---|---|\n'
    ls_=$(k weights openssl_s); b=$(k weights bytes)
    printf '| limit: `openssl dgst -sha256` over the %s files (%s bytes), %s at a time | – | %s s, %s MB/s | 1.00 | – |\n' \
        "$(k weights files)" "$b" "$jobs" "$ls_" "$(awk -v b="$b" -v t="$ls_" 'BEGIN { printf "%.0f", b / t / 1e6 }')"
    for m in attest verify; do
        t=$(k weights "${m}_s")
        printf '| `exante %s` `--jobs %s` (the envelope made and logged / checked) | ≥ 0.9 × limit | %s s, %s MB/s | %s | %s |\n' \
            "$([ $m = attest ] && echo 'attest run' || echo 'verify --weights')" "$jobs" "$t" \
            "$(awk -v b="$b" -v t="$t" 'BEGIN { printf "%.0f", b / t / 1e6 }')" \
            "$(awk -v a="$ls_" -v t="$t" 'BEGIN { printf "%.2f", a / t }')" \
            "$(awk -v a="$ls_" -v t="$t" 'BEGIN { print (a / t >= 0.9) ? "met" : "**missed**" }')"
    done
    i=1
    for n in $items; do
        t=$(k impact impact_s $i)
        printf '| `exante impact --digest D`, %s items, %s snapshots, %s models (%s reached; best of 5, a process each) | < 0.5 s | %s s | – | %s |\n' \
            "$n" "$nsnap" "$nmodels" "$(k impact models_reached $i)" "$t" \
            "$(awk -v t="$t" 'BEGIN { print (t < 0.5) ? "met" : "**missed**" }')"
        i=$((i + 1))
    done
    printf '\nRaw:\n\n```\n%s\n```\n' "$(cat "$raw")"
} >"$section"
put_section "$out" "## Attestations" "$section"
cat "$section" >&2
