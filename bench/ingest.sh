#!/usr/bin/env bash
# ingest.sh - end-to-end benchmark of the ingest pipeline (ex_ledger_ingest on a file ledger,
# default durability: WAL, synchronous=NORMAL), measured in one run on data generated here.
#
#   bench/ingest.sh [--build-dir DIR] [--out FILE] [--items N] [--no-cgroup] [--no-unbounded]
#                   [--no-warcio] [--keep]
#
#   --build-dir DIR  build Release there (default: a temporary directory)
#   --out FILE       the results file whose "## Ingest" section is replaced, or appended
#                    (default: bench/RESULTS.md; other sections are left as they are)
#   --items N        small items in the long run (default 20000000, about 6.3 GB of JSONL)
#   --no-cgroup      do not bound the page cache with a memory cgroup (see below)
#   --no-unbounded   skip the second long run without the cgroup
#   --no-warcio      skip installing and timing npm warcio
#   --rss-sizes "A B"  web-text inputs (MiB) for the RSS comparison (default "1024 4096")
#   --keep           keep the work directory (inputs) and say where it is
#
# Measurements (each printed as one JSON line by the bench programs, kept in the report):
#   1. small items: `bench_ingest gen-small` (~315-byte JSONL lines, every 500th line an exact
#      copy of an earlier text); 3 runs of 2M items (best, median), then one run of --items
#      with the progress callback timing every million: first vs last million, the exact
#      duplicate count checked (--expect-dups), peak RSS; then the same run without cgroup.
#   2. .jsonl.zst: `bench_jsonl gen` web text (500 MiB), zstd -T0; the single-core limit is
#      best-of-3 `zstd -dc` plus best-of-3 `openssl dgst -sha256` on the decompressed file;
#      3 ingest runs.
#   3. .warc.gz: `bench_warc gen` (300 MB decompressed); `bench_warc read` (ex_read_warc alone,
#      best of 3, and the single-core limit of a reader that checks both WARC digests: ISA-L
#      inflate of the whole file plus OpenSSL SHA-1, SHA-1 and SHA-256 over every decompressed
#      byte), 3 ingest runs, and npm `warcio index` once.
#   4. peak RSS: web-text JSONL of 1 GiB and 4 GiB (generated straight into zstd), one ingest
#      each.
#
# The page cache: on VMs whose guest memory is backed lazily by the host (and handed back when
# cold), the first write into page-cache memory not touched for a while costs several
# microseconds per 4 KiB page; a long ingest writes ~0.7 KB of ledger per small item (14 GB
# for 20M), so late segments land on fresh memory and slow down for reasons outside the
# program. Unless --no-cgroup, the ingest runs therefore happen in a memory cgroup (v1 or v2)
# so that the kernel recycles the group's page cache: limit 1 GiB, and 2.5 GiB (room for the
# process's own peak) for the long run; the second long run shows the unbounded figure. Temporary files
# (inputs, ledgers: ~25 GB at the default size) live under ${TMPDIR:-/tmp}, removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

build=""
out="$here/RESULTS.md"
items=20000000
use_cg=1
unbounded=1
warcio=1
rss_sizes="1024 4096"
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --items) items=${2:?--items needs a number}; shift ;;
    --no-cgroup) use_cg=0 ;;
    --no-unbounded) unbounded=0 ;;
    --no-warcio) warcio=0 ;;
    --rss-sizes) rss_sizes=${2:?--rss-sizes needs a list}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ingest.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
t_start=$(date +%s)
bench_start ingest cmake cc zstd openssl awk sed
bench_on_exit() { cg_remove; }

# ---- build ---------------------------------------------------------------------------------
log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_ingest bench_jsonl bench_warc >/dev/null
bi="$build/bench/bench_ingest"
bj="$build/bench/bench_jsonl"
bw="$build/bench/bench_warc"
for b in "$bi" "$bj" "$bw"; do [ -x "$b" ] || { echo "ingest.sh: $b was not built" >&2; exit 1; }; done

# ---- memory cgroup (bench/lib.sh) -------------------------------------------------------------
# runs of up to a few million items get 1 GiB (cg_set); the long run needs room for its own
# peak, ~1.6 GiB at 20M items, so it gets 2.5 GiB
[ "$use_cg" = 0 ] || cg_make ingest 2560
cg_note() { [ -n "$cg" ] && echo "page cache bounded (memory cgroup, $(( cg_limit / 1048576 )) MiB)" || echo "unbounded"; }

export TMPDIR="$work" # bench_ingest makes its ledgers under $TMPDIR
cmds=()
# run NAME CMD...: record the command, run it, keep its stdout (JSON) as NAME.out
run() {
    local name=$1
    shift
    cmds+=("$*")
    log "$*"
    "$@" >"$work/$name.out"
    cut -c1-600 "$work/$name.out" >&2
}
# runcg NAME CMD...: likewise, inside the cgroup
runcg() {
    local name=$1
    shift
    cmds+=("$*   # $(cg_note)")
    log "$*   [$(cg_note)]"
    incg "$@" >"$work/$name.out"
    cut -c1-600 "$work/$name.out" >&2
}
# ja NAME KEY: an array from NAME's JSON line, space-separated
ja() { sed -n "s/.*\"$2\":\[\([^]]*\)\].*/\1/p" "$work/$1.out" | head -n1 | tr ',' ' '; }
# stats KEY NAME...: "best median" of KEY over runs (best = largest)
stats() {
    local key=$1
    shift
    for n in "$@"; do j "$n" "$key"; done | sort -g | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print v[NR], m }'
}
# stats_min KEY NAME...: "best median" where best = smallest (times)
stats_min() {
    local key=$1
    shift
    for n in "$@"; do j "$n" "$key"; done | sort -g | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print v[1], m }'
}
num() {
    awk -v x="$1" 'BEGIN {
        s = sprintf("%.0f", x); o = ""
        while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        printf "%s%s", s, o }'
}
f1() { awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
f2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "**missed**" }'; }

# ---- 1. small items ------------------------------------------------------------------------
cd "$work" # item records name the input path as given: keep it short and the same everywhere
cg_set 1024
run gen_s2 "$bi" gen-small small2m.jsonl 2000000
dups2=$(j gen_s2 duplicates)
sync # the generated input is written back before the timed runs, not during them
for i in 1 2 3; do
    runcg "s2_$i" "$bi" ingest small2m.jsonl --expect-dups "$dups2" --segment 500000
done
rm -f small2m.jsonl
run gen_sl "$bi" gen-small small.jsonl "$items"
dupsl=$(j gen_sl duplicates)
sync
cg_set 2560
sl_note=$(cg_note)
runcg sl "$bi" ingest small.jsonl --expect-dups "$dupsl"
if [ "$unbounded" = 1 ]; then
    run sl_u "$bi" ingest small.jsonl --expect-dups "$dupsl"
fi
rm -f small.jsonl
cg_set 1024

# ---- 2. .jsonl.zst ---------------------------------------------------------------------------
run gen_web "$bj" gen web.jsonl 500
cmds+=("zstd -q -T0 web.jsonl -o web.jsonl.zst")
zstd -q -T0 web.jsonl -o web.jsonl.zst
web_bytes=$(stat -c %s web.jsonl)
sync
cat web.jsonl web.jsonl.zst >/dev/null
log "single-core limit: zstd -dc, openssl dgst -sha256 (best of 3 each)"
cmds+=("zstd -dc web.jsonl.zst > /dev/null   # best of 3" "openssl dgst -sha256 web.jsonl   # best of 3")
t_zstd=$(best 3 zstd -dc web.jsonl.zst)
t_sha=$(best 3 openssl dgst -sha256 web.jsonl)
t_limit=$(awk -v a="$t_zstd" -v b="$t_sha" 'BEGIN { printf "%.4f", a + b }')
echo "zstd -dc $t_zstd s, openssl $t_sha s, limit $t_limit s" >&2
rm -f web.jsonl
for i in 1 2 3; do
    runcg "zst_$i" "$bi" ingest web.jsonl.zst --raw-bytes "$web_bytes" --segment 50000
done
run reader_zst "$bj" ingest web.jsonl.zst 3
rm -f web.jsonl.zst

# ---- 3. .warc.gz ----------------------------------------------------------------------------
run gen_warc "$bw" gen bench.warc.gz 300
warc_raw=$(j gen_warc decompressed_bytes)
sync
cat bench.warc.gz >/dev/null
run warc_read "$bw" read bench.warc.gz 3
for i in 1 2 3; do
    runcg "warc_$i" "$bi" ingest bench.warc.gz --raw-bytes "$warc_raw" --segment 2000
done
warcio_v="" warcio_s=""
if [ "$warcio" = 1 ] && command -v npm >/dev/null && command -v node >/dev/null; then
    log "installing warcio from npm into $work/npm"
    mkdir -p npm
    if (cd npm && npm init -y >/dev/null && npm install --no-audit --no-fund warcio >/dev/null 2>&1); then
        warcio_v=$(node -p "require('$work/npm/node_modules/warcio/package.json').version")
        cmds+=("npx warcio@$warcio_v index bench.warc.gz > /dev/null   # 1 run")
        log "warcio $warcio_v index (1 run)"
        warcio_s=$(best 1 "$work/npm/node_modules/.bin/warcio" index bench.warc.gz)
        echo "warcio index: $warcio_s s" >&2
    else
        echo "ingest.sh: npm install warcio failed: skipped" >&2
    fi
fi
rm -f bench.warc.gz

# ---- 4. peak RSS against input size ------------------------------------------------------
for mb in $rss_sizes; do
    cmds+=("$bj gen - $mb | zstd -q -T0 -o rss$mb.jsonl.zst")
    log "generating $mb MiB of web-text JSONL into rss$mb.jsonl.zst"
    "$bj" gen - "$mb" 2>/dev/null | zstd -q -T0 -o "rss$mb.jsonl.zst"
    sync
    runcg "rss_$mb" "$bi" ingest "rss$mb.jsonl.zst" --raw-bytes $((mb * 1048576)) --segment 100000
    rm -f "rss$mb.jsonl.zst"
done
cd "$here"

# ---- report --------------------------------------------------------------------------------
read -r s2_best s2_med < <(stats items_per_s s2_1 s2_2 s2_3)
read -r zst_best zst_med < <(stats_min seconds zst_1 zst_2 zst_3)
read -r warc_best warc_med < <(stats raw_mb_s warc_1 warc_2 warc_3)
zst_ratio=$(ratio "$t_limit" "$zst_best")
zst_ratio_med=$(ratio "$t_limit" "$zst_med")
reader_zst_ratio=$(ratio "$t_limit" "$(j reader_zst seconds)")
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
limit_mbs=$(mbs "$web_bytes" "$t_limit")
zst_mbs=$(mbs "$web_bytes" "$zst_best")
warc_reader=$(j warc_read read_mb_s)
warcio_mbs=""
[ -n "$warcio_s" ] && warcio_mbs=$(mbs "$warc_raw" "$warcio_s")
peak() { echo "$(j "$1" peak_rss_mib) MiB"; }
max_peak() { for n in "$@"; do j "$n" peak_rss_mib; done | sort -g | tail -n1; }
seg_list() { ja "$1" seg_rate | awk '{ for (i = 1; i <= NF; i++) printf "%s%.0fk", (i > 1 ? " " : ""), $i / 1000 }'; }
anon_list() { ja "$1" seg_anon_mib | awk '{ for (i = 1; i <= NF; i++) printf "%s%s", (i > 1 ? " " : ""), $i }'; }
human() { awk -v n="$1" 'BEGIN { if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6; else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n / 1e3; else printf "%d", n }'; }
sl_n=$(human "$items")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -p)
fstype=$(df -T "$work" 2>/dev/null | awk 'NR == 2 { print $2 }')
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo "?")
elapsed=$(( $(date +%s) - t_start ))

section="$work/section.md"
{
    printf '## Ingest\n\n'
    printf 'Written by `bench/ingest.sh` on %s (%d min %02d s).\n\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $((elapsed / 60)) $((elapsed % 60))
    printf -- '- machine: %s, %s cores, %s; %s; %s; zstd %s; SQLite %s; exante %s (commit %s, plus the working tree), Release build\n' \
        "$cpu" "$(nproc)" "$(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)" \
        "$(openssl version | cut -d' ' -f1-2)" "$(cc --version | head -n1)" \
        "$(zstd -V | sed 's/.*v\([0-9.]*\).*/\1/')" "$(pkg-config --modversion sqlite3 2>/dev/null || echo '?')" \
        "$(sed -n 's/^#define EX_VERSION "\(.*\)"/\1/p' "$src/include/exante.h")" "$commit"
    printf -- '- `ex_ledger_ingest` on a file ledger made by `ex_ledger_init` with default options (WAL, `synchronous=NORMAL`) in %s (%s), batches of 10,000; one job: one thread reads, hashes and decides, a second commits each batch while the next is built (so "per core" figures here use up to two cores; `user_s` and `sys_s` in the raw output give the CPU time); rates are per second of wall time of the whole call (items/s, or MB/s = 10^6 decompressed input bytes/s); peak RSS is `getrusage` `ru_maxrss` of the bench process\n' \
        "$(dirname "$work")" "${fstype:-?}"
    printf -- '- small items: ~%s-byte JSONL lines (id, url, license, fetched, ~150-byte text), every 500th an exact copy of an earlier text: %s planted in %s items, and the count found must be exactly that (`--expect-dups`)\n' \
        "$(f1 "$(j gen_sl avg_line_bytes)")" "$(num "$dupsl")" "$sl_n"
    printf -- '- ingest runs: %s unless marked unbounded (see the header of bench/ingest.sh: this VM backs guest memory lazily, and fresh page-cache memory costs several µs per 4 KiB page); the cgroup limit is 1 GiB, 2.5 GiB for the %s run\n\n' \
        "$([ -n "$cg" ] && echo 'in a memory cgroup that bounds the page cache' || echo 'unbounded (no writable memory cgroup)')" "$sl_n"

    printf '| Measure | Target (issue) | Measured | Ratio | Met? | Peak RSS |\n|---|---|---|---|---|---|\n'
    printf '| 1. small items, 2M, items/s (best of 3; median %s) | ≥ 250,000/s | %s/s | %s | %s | %s MiB |\n' \
        "$(num "$s2_med")" "$(num "$s2_best")" "$(ratio "$s2_best" 250000)" "$(met "$s2_best" 250000)" "$(max_peak s2_1 s2_2 s2_3)"
    printf '| 1. small items, %s, overall items/s (1 run) | ≥ 250,000/s | %s/s | %s | %s | %s |\n' \
        "$sl_n" "$(num "$(j sl items_per_s)")" "$(ratio "$(j sl items_per_s)" 250000)" "$(met "$(j sl items_per_s)" 250000)" "$(peak sl)"
    seg_median=$(ja sl seg_rate | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    printf '| 1. small items, %s, last million / first million | ≥ 0.8 | %s/s / %s/s | %s (last / median million: %s) | %s | – |\n' \
        "$sl_n" "$(num "$(j sl last_seg_per_s)")" "$(num "$(j sl first_seg_per_s)")" "$(f2 "$(j sl last_first_ratio)")" \
        "$(ratio "$(j sl last_seg_per_s)" "$seg_median")" "$(met "$(j sl last_first_ratio)" 0.8)"
    printf '| 1. small items, %s, duplicates found | exactly %s | %s | – | %s | – |\n' \
        "$sl_n" "$(num "$dupsl")" "$(num "$(j sl duplicates)")" "$([ "$(j sl duplicates_exact)" = true ] && echo met || echo '**missed**')"
    if [ "$unbounded" = 1 ]; then
        printf '| 1. small items, %s, unbounded page cache: overall; last/first million | ≥ 250,000/s; ≥ 0.8 | %s/s; %s | %s; %s | %s; %s | %s |\n' \
            "$sl_n" "$(num "$(j sl_u items_per_s)")" "$(f2 "$(j sl_u last_first_ratio)")" "$(ratio "$(j sl_u items_per_s)" 250000)" \
            "$(f2 "$(j sl_u last_first_ratio)")" "$(met "$(j sl_u items_per_s)" 250000)" "$(met "$(j sl_u last_first_ratio)" 0.8)" "$(peak sl_u)"
    fi
    printf '| 2. `.jsonl.zst` ingest, %s MB web text (best of 3; median ratio %s) | ≥ 0.7 × limit (%s s, %s MB/s) | %s s, %s MB/s | %s of the limit | %s | %s MiB |\n' \
        "$(awk -v b="$web_bytes" 'BEGIN { printf "%.0f", b / 1e6 }')" "$zst_ratio_med" "$t_limit" "$limit_mbs" "$zst_best" "$zst_mbs" "$zst_ratio" "$(met "$zst_ratio" 0.7)" "$(max_peak zst_1 zst_2 zst_3)"
    printf '| 2. (reference) `ex_read_jsonl` alone on the same file, best of 3 | – | %s s | %s of the limit | – | %s |\n' \
        "$(j reader_zst seconds)" "$reader_zst_ratio" "$(peak reader_zst)"
    printf '| 3. `.warc.gz` ingest, MB/s (best of 3; median %s) | ≥ 450 MB/s | %s MB/s | %s | %s | %s MiB |\n' \
        "$warc_med" "$warc_best" "$(ratio "$warc_best" 450)" "$(met "$warc_best" 450)" "$(max_peak warc_1 warc_2 warc_3)"
    if [ -n "$warcio_mbs" ]; then
        printf '| 3. `.warc.gz` ingest vs warcio %s index (%s MB/s) | ≥ 5× warcio | %s× | %s | %s | – |\n' \
            "$warcio_v" "$warcio_mbs" "$(ratio "$warc_best" "$warcio_mbs")" "$(ratio "$(ratio "$warc_best" "$warcio_mbs")" 5)" "$(met "$(ratio "$warc_best" "$warcio_mbs")" 5)"
        printf '| 3. (reference) `ex_read_warc` alone, best of 3 | ≥ 450 MB/s, ≥ 5× warcio | %s MB/s, %s× warcio | %s | %s | %s |\n' \
            "$warc_reader" "$(ratio "$warc_reader" "$warcio_mbs")" "$(ratio "$warc_reader" 450)" "$(met "$warc_reader" 450)" "$(peak warc_read)"
    else
        printf '| 3. (reference) `ex_read_warc` alone, best of 3 | ≥ 450 MB/s | %s MB/s | %s | %s | %s |\n' \
            "$warc_reader" "$(ratio "$warc_reader" 450)" "$(met "$warc_reader" 450)" "$(peak warc_read)"
    fi
    printf '| 3. (limit) one core: ISA-L inflate %s s + SHA-1, SHA-1, SHA-256 %s s over the %s MB | – | %s MB/s | ingest %s, reader %s of the limit | – | – |\n' \
        "$(j warc_read inflate_s)" "$(j warc_read hash3_s)" "$(awk -v b="$warc_raw" 'BEGIN { printf "%.0f", b / 1e6 }')" "$(j warc_read limit_mb_s)" \
        "$(ratio "$warc_best" "$(j warc_read limit_mb_s)")" "$(ratio "$warc_reader" "$(j warc_read limit_mb_s)")"
    for mb in $rss_sizes; do
        printf '| 4. peak RSS, %s MiB web-text JSONL (.zst), %s items | flat as input grows | %s MiB | – | – | %s |\n' \
            "$mb" "$(num "$(j "rss_$mb" items)")" "$(j "rss_$mb" peak_rss_mib)" "$(peak "rss_$mb")"
    done
    printf '| 5. `--jobs 2` | ≥ 1.8× one job | see "Ingest with --jobs" (bench/jobs.sh) | – | – | – |\n\n'

    printf '### Small items, per million\n\n'
    printf 'Items/s of each million in the %s run, %s: %s.\n\n' "$sl_n" "$sl_note" "$(seg_list sl)"
    [ "$unbounded" = 1 ] && printf 'Unbounded run: %s.\n\n' "$(seg_list sl_u)"
    printf 'Anonymous RSS (MiB) after each million: %s.\n\n' "$(anon_list sl)"
    printf 'The exact-duplicate index (src/dedup/) has a fixed size: a hash table of 512Ki keys (16 MiB,\n'
    printf 'spilled as a sorted run to an unlinked temporary file when full) and a 32 MiB blocked Bloom filter over the\n'
    printf 'spilled keys; only a sparse index (8 B per 256 keys) grows with the ledger. File-backed RSS stays at %s MiB\n' "$(j sl rss_end_file_mib)"
    printf '(the ledger is not memory-mapped by writers). System CPU %s s, user %s s; slowest batch %s s.\n\n' "$(j sl sys_s)" "$(j sl user_s)" "$(j sl worst_batch_s)"

    set -- $rss_sizes
    if [ $# -ge 2 ]; then
        a=$1 b=${!#}
        printf '### Peak RSS against input size\n\n'
        printf 'From %s MiB (%s items) to %s MiB (%s items) of web-text JSONL, peak RSS went from %s to %s MiB:\n' \
            "$a" "$(num "$(j "rss_$a" items)")" "$b" "$(num "$(j "rss_$b" items)")" "$(j "rss_$a" peak_rss_mib)" "$(j "rss_$b" peak_rss_mib)"
        printf '%s bytes per added item. Everything that holds memory is bounded whatever the input size: the\n' \
            "$(awk -v p1="$(j "rss_$a" peak_rss_mib)" -v p2="$(j "rss_$b" peak_rss_mib)" -v n1="$(j "rss_$a" items)" -v n2="$(j "rss_$b" items)" 'BEGIN { printf "%.0f", (p2 - p1) * 1048576 / (n2 - n1) }')"
        printf 'duplicate index (above), SQLite'"'"'s page cache (64 MiB), one batch of records, the readers'"'"' buffers; the\n'
        printf 'difference is SQLite'"'"'s cache filling and the first spill. Anonymous RSS after each 100,000\n'
        printf 'items of the %s MiB run: %s MiB.\n\n' "$b" "$(anon_list "rss_$b")"
    fi

    printf '### Commands\n\n```sh\n'
    printf '%s\n' "${cmds[@]}" | sed "s|$work/||g; s|$work|\$WORK|g; s|$build|\$BUILD|g; s|$src/||g"
    printf '```\n\nRun in `$WORK` (a `mktemp -d` directory, removed at the end); `$BUILD` = `cmake -DCMAKE_BUILD_TYPE=Release`%s.\n\n' \
        "$([ "$build" = "$work/build" ] && echo ' in $WORK/build' || echo '')"
    printf '### Raw output\n\n```\n'
    for f in gen_s2 s2_1 s2_2 s2_3 gen_sl sl sl_u gen_web zst_1 zst_2 zst_3 reader_zst gen_warc warc_read warc_1 warc_2 warc_3; do
        if [ -f "$work/$f.out" ]; then sed "s|$work/||g" "$work/$f.out"; fi
    done
    for mb in $rss_sizes; do sed "s|$work/||g" "$work/rss_$mb.out"; done
    printf 'zstd -dc: %s s; openssl dgst -sha256: %s s; limit: %s s%s\n' "$t_zstd" "$t_sha" "$t_limit" \
        "$([ -n "$warcio_s" ] && echo "; warcio $warcio_v index: $warcio_s s")"
    printf '```\n'
} >"$section"

put_section "$out" "## Ingest" "$section"
log "wrote the Ingest section of $out"
cat "$section" >&2
