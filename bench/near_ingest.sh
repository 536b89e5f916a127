#!/usr/bin/env bash
# near_ingest.sh - what near-duplicate checking costs `exante ingest`: the current tree against
# the last exact-only commit, on the same inputs generated in the same run.
#
#   bench/near_ingest.sh [--build-dir DIR] [--base-dir DIR] [--base COMMIT] [--out FILE]
#                        [--items N] [--web-mb N] [--warc-mb N] [--runs N] [--no-cgroup]
#                        [--no-unbounded] [--no-perf] [--keep]
#
#   --build-dir DIR       build the current tree (Release) there (default: $WORK/build)
#   --base-dir DIR        the baseline's tree (`git archive`, so no worktree is needed; it needs
#                         ../shared only for tests, not to build) goes to DIR/src, its Release
#                         build to DIR/build (default: $WORK/base)
#   --base COMMIT         the exact-only baseline (default d395ee0, the last commit before
#                         near-duplicate fingerprints)
#   --out FILE            the results file whose "## Ingest with near-duplicate checking"
#                         section is replaced, or appended (default: bench/RESULTS.md)
#   --items N             small JSONL items (default 1000000)
#   --web-mb N            MiB of web-text JSONL (default 300)
#   --warc-mb N           MB of WARC, decompressed (default 300)
#   --runs N              timed runs of each configuration in the cgroup; the best counts (3)
#   --no-cgroup           do not bound the page cache with a memory cgroup
#   --no-unbounded        skip the extra run of each configuration outside the cgroup
#   --no-perf             skip the profile
#   --keep                keep the work directory (inputs, ledgers, perf.data)
#
# Inputs, generated here and the same for both builds, each as two files of half the size
# (readers are per input file, so `--jobs 2` on a single file would still read with one
# thread): (a) `bench_ingest gen-small` (~315-byte lines, every 500th an exact copy), split
# in two by lines; (b) `bench_jsonl gen` web text (1-5 KB texts, several languages), split in
# two by lines; (c) two `bench_warc gen` files (HTML responses), seeds 1 and 2.
#
# Each run: a fresh ledger (`exante init`, `source add`, `policy adopt` of the policy below,
# three `optout add --domain`), then `exante -q --json ingest --source s --jobs J` of the two
# files of one input, timed by /usr/bin/time (wall, user, system, peak RSS). The two builds'
# runs alternate, so a change of load on the machine hits both. Per configuration: --runs
# runs in a memory cgroup (1 GiB: the page cache is recycled, see bench/ingest.sh) and one
# outside it. Afterwards: bytes per item of the ledgers of the small items (dbstat), and a
# perf profile (call graphs by DWARF unwinding: the Release build has no frame pointers) of
# the current build on the small items with --jobs 1. The issue's targets: ingest with
# near-duplicate checking >= 0.5 x the exact-only throughput; band index <= 128 bytes/item.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

argv="$*"
build=""
base_dir=""
base=d395ee0
out="$here/RESULTS.md"
items=1000000
web_mb=300
warc_mb=300
runs=3
use_cg=1
unbounded=1
do_perf=1
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --base-dir) base_dir=${2:?--base-dir needs a directory}; shift ;;
    --base) base=${2:?--base needs a commit}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --items) items=${2:?--items needs a number}; shift ;;
    --web-mb) web_mb=${2:?--web-mb needs a number}; shift ;;
    --warc-mb) warc_mb=${2:?--warc-mb needs a number}; shift ;;
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --no-cgroup) use_cg=0 ;;
    --no-unbounded) unbounded=0 ;;
    --no-perf) do_perf=0 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "near_ingest.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
# absolute: the runs happen in the work directory
[ -z "$build" ] || build=$(realpath -m "$build")
[ -z "$base_dir" ] || base_dir=$(realpath -m "$base_dir")
out=$(realpath -m "$out")
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_start near_ingest cmake cc git tar awk sed split sqlite3 /usr/bin/time
[ -n "$base_dir" ] || base_dir="$work/base"
base_build="$base_dir/build"
bench_on_exit() { cg_remove; }

# ---- builds ----------------------------------------------------------------------------------
base_rev=$(git -C "$src" rev-parse --verify "$base^{commit}")
base_short=$(git -C "$src" rev-parse --short "$base_rev")
head_short=$(git -C "$src" rev-parse --short HEAD)
dirty=$(git -C "$src" status --porcelain --untracked-files=no | grep -q . && echo ", plus the working tree" || true)
log "building the current tree ($head_short$dirty), Release, in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest bench_jsonl bench_warc bench_nearcost >/dev/null
log "building $base_short (git archive into $base_dir/src), Release, in $base_build"
mkdir -p "$base_dir/src"
git -C "$src" archive "$base_rev" | tar -x -C "$base_dir/src"
cmake -S "$base_dir/src" -B "$base_build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$base_build" -j2 --target exante-cli >/dev/null
declare -A EX=([base]="$base_build/exante" [cur]="$build/exante")
bi="$build/bench/bench_ingest"
bj="$build/bench/bench_jsonl"
bw="$build/bench/bench_warc"
bc="$build/bench/bench_nearcost"
for b in "${EX[base]}" "${EX[cur]}" "$bi" "$bj" "$bw" "$bc"; do
    [ -x "$b" ] || { echo "near_ingest.sh: $b was not built" >&2; exit 1; }
done

# ---- memory cgroup (bench/lib.sh) -----------------------------------------------------------
[ "$use_cg" = 0 ] || cg_make near_ingest 1024
[ -n "$cg" ] || unbounded=0 # every run is already outside a cgroup

# ---- inputs ----------------------------------------------------------------------------------
cd "$work" # item records name the input path as given: the same short names for both builds
cmds=()
gen() { cmds+=("$*"); log "$*"; "$@" 2>/dev/null; }
gen "$bi" gen-small small.jsonl "$items" >gen_small.out
gen split -n l/2 -d --additional-suffix=.jsonl small.jsonl small-
rm -f small.jsonl
gen "$bj" gen web.jsonl "$web_mb" >gen_web.out
gen split -n l/2 -d --additional-suffix=.jsonl web.jsonl web-
rm -f web.jsonl
gen "$bw" gen warc-1.warc.gz "$(((warc_mb + 1) / 2))" 1 >gen_warc1.out
gen "$bw" gen warc-2.warc.gz "$((warc_mb / 2))" 2 >gen_warc2.out
declare -A FILES=([small]="small-00.jsonl small-01.jsonl" [web]="web-00.jsonl web-01.jsonl"
    [warc]="warc-1.warc.gz warc-2.warc.gz")
declare -A BYTES LABEL
BYTES[small]=$(cat small-00.jsonl small-01.jsonl | wc -c)
BYTES[web]=$(cat web-00.jsonl web-01.jsonl | wc -c)
BYTES[warc]=$(($(j gen_warc1 decompressed_bytes) + $(j gen_warc2 decompressed_bytes)))
warc_gz=$(cat warc-1.warc.gz warc-2.warc.gz | wc -c)
mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
LABEL[small]="small JSONL items ($(mb "${BYTES[small]}") MB)"
LABEL[web]="web-text JSONL ($(mb "${BYTES[web]}") MB)"
LABEL[warc]="WARC, HTML responses ($(mb "${BYTES[warc]}") MB decompressed, $(mb "$warc_gz") MB .gz)"

cat >policy.txt <<'EOF'
# the policy of every ledger in bench/near_ingest.sh
name bench-near-ingest
reject optout
reject tdm-reserved
reject license LicenseRef-proprietary CC-BY-NC-4.0
admit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
EOF
optouts="site123.example forum.example.co.uk eson.example" # one domain in each input
sync

# ---- the floor: what any implementation must compute per item (bench_nearcost) -----------------
for in in small web warc; do
    log "bench_nearcost 3 ${FILES[$in]}"
    # shellcheck disable=SC2086
    "$bc" 3 ${FILES[$in]} >"cost_$in.out"
done
cmds+=("bench_nearcost 3 FILE1 FILE2   # each input: the floor of near-duplicate checking")

# ---- timed runs ------------------------------------------------------------------------------
mkdir -p res
# ledger BUILD DIR: a fresh ledger with the source, the policy and the opt-outs
ledger() {
    local ex=${EX[$1]} dir=$2 d
    rm -rf "$dir"
    EXANTE_DIR=$dir "$ex" -q init --origin bench.example/near >/dev/null
    EXANTE_DIR=$dir "$ex" -q source add s --kind crawl >/dev/null
    EXANTE_DIR=$dir "$ex" -q policy adopt policy.txt >/dev/null
    for d in $optouts; do
        EXANTE_DIR=$dir "$ex" -q optout add --domain "$d" --holder "Bench Press" >/dev/null
    done
}
# one INPUT BUILD JOBS RUN: a timed ingest into a fresh ledger L.INPUT.BUILD.jJOBS.RUN (RUN u:
# outside the cgroup); res/NAME.time holds "wall user sys maxrss_kb", res/NAME.out the summary
one() {
    local in=$1 b=$2 jobs=$3 r=$4 name="$1.$2.j$3.$4" dir="$work/L.$1.$2.j$3.$4"
    ledger "$b" "$dir"
    sync
    cut -d' ' -f1 /proc/loadavg >"res/$name.load"
    # shellcheck disable=SC2086
    if [ "$r" = u ]; then
        EXANTE_DIR=$dir /usr/bin/time -f '%e %U %S %M' -o "res/$name.time" \
            "${EX[$b]}" -q --json ingest --source s --jobs "$jobs" ${FILES[$in]} >"res/$name.out"
    else
        incg env EXANTE_DIR="$dir" /usr/bin/time -f '%e %U %S %M' -o "res/$name.time" \
            "${EX[$b]}" -q --json ingest --source s --jobs "$jobs" ${FILES[$in]} >"res/$name.out"
    fi
    echo "$name: $(cat "res/$name.time") load $(cat "res/$name.load")" >&2
    if [ "$b.$jobs.$r" = cur.1.1 ]; then # what the run fingerprinted
        sqlite3 "$dir/ledger.db" "SELECT count(*), total(length(record) > 1) FROM near" \
            | tr '|' ' ' | awk '{ printf "%d %d\n", $1, $2 }' >"res/$in.fps"
    fi
    if [ "$in.$jobs.$r" != small.1.1 ]; then rm -rf "$dir"; fi # kept: bytes per item
}
cmds+=("# each run, for BUILD in d395ee0 and the current tree, J in 1 and 2:"
    "exante init; exante source add s --kind crawl; exante policy adopt policy.txt"
    "for d in $optouts; do exante optout add --domain \$d --holder 'Bench Press'; done"
    "$([ -n "$cg" ] && echo '# in a memory cgroup of 1 GiB, and once outside it:' || echo '# outside any cgroup:')"
    "/usr/bin/time -f '%e %U %S %M' exante -q --json ingest --source s --jobs J FILE1 FILE2")
for in in small web warc; do
    for jobs in 1 2; do
        for r in $(seq "$runs"); do
            log "$in --jobs $jobs, run $r of $runs"
            for b in base cur; do one "$in" "$b" "$jobs" "$r"; done
        done
        if [ "$unbounded" = 1 ]; then
            log "$in --jobs $jobs, outside the cgroup"
            for b in base cur; do one "$in" "$b" "$jobs" u; done
        fi
    done
done

# ---- bytes per item --------------------------------------------------------------------------
dbstat=0
sqlite3 :memory: "SELECT 1 FROM dbstat LIMIT 0" >/dev/null 2>&1 && dbstat=1
declare -A SZ
# sizes BUILD: the item count (SZ[BUILD.n]) and byte counts (SZ[BUILD.PART]) of BUILD's kept
# small-item ledger
sizes() {
    local b=$1 dir="$work/L.small.$1.j1.1" db name bytes
    db="$dir/ledger.db"
    SZ[$b.n]=$(sed -n 's/.*"items":\([0-9]*\).*/\1/p' "res/small.$b.j1.1.out")
    SZ[$b.db]=$(($(stat -c %s "$db") + $( [ -f "$db-wal" ] && stat -c %s "$db-wal" || echo 0)))
    for name in near items decisions decisions_item; do SZ[$b.$name]=0; done
    if [ "$dbstat" = 1 ]; then
        while IFS='|' read -r name bytes; do
            SZ[$b.$name]=$bytes
        done < <(sqlite3 "$db" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
    elif sqlite3 "$db" "SELECT 1 FROM near LIMIT 0" >/dev/null 2>&1; then # an estimate
        SZ[$b.near]=$(sqlite3 "$db" "SELECT CAST(sum(length(record) + 20) AS INTEGER) FROM near")
    fi
    SZ[$b.other]=$((SZ[$b.db] - SZ[$b.near] - SZ[$b.items] - SZ[$b.decisions] - SZ[$b.decisions_item]))
    SZ[$b.dedup]=$(du -sb "$dir/dedup" | cut -f1)
    SZ[$b.band]=0
    [ -d "$dir/near-112x14" ] && SZ[$b.band]=$(du -sb "$dir/near-112x14" | cut -f1)
    SZ[$b.urls]=0
    [ -d "$dir/urls" ] && SZ[$b.urls]=$(du -sb "$dir/urls" | cut -f1)
    return 0
}
sizes base
sizes cur
near_rows=$(sqlite3 "$work/L.small.cur.j1.1/ledger.db" "SELECT count(*) || ' ' || avg(length(record)) FROM near")
band_files=$(ls -l "$work/L.small.cur.j1.1/near-112x14" | awk 'NR > 1 { printf "%s%s %s", (n++ ? ", " : ""), $9, $5 }')
band_keys=$(awk '$1 == "run" { s += $3 } END { print s + 0 }' "$work/L.small.cur.j1.1/near-112x14/manifest" 2>/dev/null || echo 0)
[ "$keep" = 1 ] || rm -rf "$work/L.small.base.j1.1"

# ---- profile ---------------------------------------------------------------------------------
perf_note=""
if [ "$do_perf" = 1 ] && command -v perf >/dev/null; then
    log "perf record of the current build, small items, --jobs 1"
    [ "$keep" = 1 ] || rm -rf "$work/L.small.cur.j1.1"
    ledger cur "$work/L.perf"
    # shellcheck disable=SC2086
    if EXANTE_DIR="$work/L.perf" perf record -q -F 199 --call-graph dwarf,8192 -o perf.data -- \
        "${EX[cur]}" -q --json ingest --source s --jobs 1 ${FILES[small]} >res/perf.out 2>perf.err; then
        perf_note="perf record -F 199 --call-graph dwarf,8192 -- exante -q --json ingest --source s --jobs 1 small-00.jsonl small-01.jsonl"
        cmds+=("$perf_note")
        perf report -i perf.data --stdio --no-children --sort symbol -g none --percent-limit 0.4 2>/dev/null |
            awk '/^ +[0-9.]+%/ { printf "%7s  %s\n", $1, $3 }' | head -n 25 >perf.self
        perf report -i perf.data --stdio --children --sort symbol -g none 2>/dev/null |
            awk '/^ +[0-9.]+%/ { printf "%7s %7s  %s\n", $1, $2, $4 }' >perf.children
        perf report -i perf.data --stdio --no-children --sort dso -g none 2>/dev/null |
            awk '/^ +[0-9.]+%/ { printf "%7s  %s\n", $1, $2 }' | head -n 8 >perf.dso
        samples=$(perf report -i perf.data --stdio --no-children --sort symbol -g none 2>/dev/null |
            sed -n 's/^# Samples: \([0-9kKmM.]*\).*/\1/p' | head -n1)
    else
        perf_note="failed: $(head -c 300 perf.err)"
    fi
    [ "$keep" = 1 ] || rm -rf "$work/L.perf"
else
    perf_note="not run ($([ "$do_perf" = 1 ] && echo 'perf is not installed' || echo '--no-perf'))"
fi
[ "$keep" = 1 ] || rm -rf "$work/L.small.cur.j1.1"
cd "$here"

# ---- report ----------------------------------------------------------------------------------
# f NAME FIELD: field 1-4 (wall, user, sys, maxrss KiB) of a run's time
f() { cut -d' ' -f"$2" "$work/res/$1.time"; }
items_of() { sed -n 's/.*"items":\([0-9]*\).*/\1/p' "$work/res/$1.out"; }
declare -A W C R N U
for in in small web warc; do
    for b in base cur; do
        for jobs in 1 2; do
            k="$in.$b.$jobs"
            best_r=$(for r in $(seq "$runs"); do echo "$(f "$in.$b.j$jobs.$r" 1) $r"; done | sort -g | head -n1 | cut -d' ' -f2)
            W[$k]=$(f "$in.$b.j$jobs.$best_r" 1)
            C[$k]=$(awk -v u="$(f "$in.$b.j$jobs.$best_r" 2)" -v s="$(f "$in.$b.j$jobs.$best_r" 3)" 'BEGIN { printf "%.2f", u + s }')
            N[$k]=$(items_of "$in.$b.j$jobs.$best_r")
            rs="$(seq "$runs")"
            [ "$unbounded" = 1 ] && rs="$rs u"
            R[$k]=$(for r in $rs; do f "$in.$b.j$jobs.$r" 4; done | sort -g | tail -n1)
            U[$k]=""
            [ "$unbounded" = 1 ] && U[$k]=$(f "$in.$b.j$jobs.u" 1)
        done
    done
done
num() {
    awk -v x="$1" 'BEGIN {
        s = sprintf("%.0f", x); o = ""
        while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        printf "%s%s", s, o }'
}
div() { awk -v a="$1" -v b="$2" -v p="${3:-2}" 'BEGIN { printf "%.*f", p, a / b }'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "**missed**" }'; }
lmet() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "met" : "**missed**" }'; }
# cpu_ratio INPUT JOBS: exact-only CPU seconds per item / near CPU seconds per item
cpu_ratio() {
    awk -v cb="${C[$1.base.$2]}" -v nb="${N[$1.base.$2]}" -v cc="${C[$1.cur.$2]}" -v nc="${N[$1.cur.$2]}" \
        'BEGIN { printf "%.3f", (cb / nb) / (cc / nc) }'
}
perm() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.1f", a / n * 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
elapsed=$(($(date +%s) - t_start))
loads=$(cat "$work"/res/*.load | sort -g | awk '{ v[NR] = $1 } END { printf "%s to %s (median %s)", v[1], v[NR], v[int((NR + 1) / 2)] }')

section="$work/section.md"
{
    printf '## Ingest with near-duplicate checking\n\n'
    printf 'Written by `bench/near_ingest.sh%s` on %s (%d min %02d s).\n\n' "${argv:+ $argv}" \
        "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $((elapsed / 60)) $((elapsed % 60))
    printf -- '- machine: %s\n' "$(machine_notes "$work")"
    printf -- '- load: %s at the start; the 1-minute load average before each timed run ranged %s. Other work shared the 2 cores during the run, so wall times carry noise: each figure is the best of %s runs, the two builds alternate run by run, and CPU time (user + system) is given beside wall time\n' \
        "$load_start" "$loads" "$runs"
    printf -- '- builds: exact-only = `%s` (its tree by `git archive`, no worktree), near = `%s`%s; both `cmake -DCMAKE_BUILD_TYPE=Release`, target `exante-cli`\n' \
        "$base_short" "$head_short" "$dirty"
    printf -- '- each run: a fresh ledger (`init`, `source add s --kind crawl`, `policy adopt` of the policy below, `optout add --domain` %s), then `exante -q --json ingest --source s --jobs J` of the input'"'"'s two files (readers are per file, so `--jobs 2` on one file would read with one thread), timed by `/usr/bin/time -f "%%e %%U %%S %%M"`; %s\n' \
        "$(echo "$optouts" | sed 's/ /, /g')" \
        "$([ -n "$cg" ] && echo "in a memory cgroup of 1 GiB (page cache recycled, see bench/ingest.sh); \"outside\" is one more run of each configuration without it" || echo "no writable memory cgroup: every run is unbounded")"
    printf -- '- inputs (the same files for both builds): (a) `bench_ingest gen-small`, %s items, %s planted exact duplicates; (b) `bench_jsonl gen`, %s MiB of web text, %s items; (c) `bench_warc gen` seeds 1 and 2, %s HTML pages. Items with a near-duplicate fingerprint in the near build (rows of the `near` table with a fingerprint / items): small %s, web %s, WARC %s\n' \
        "$(num "$items")" "$(num "$(j gen_small duplicates)")" "$web_mb" "$(num "${N[web.cur.1]}")" \
        "$(num "${N[warc.cur.1]}")" "$(awk '{ printf "%s / %s", $2, $1 }' "$work/res/small.fps")" \
        "$(awk '{ printf "%s / %s", $2, $1 }' "$work/res/web.fps")" "$(awk '{ printf "%s / %s", $2, $1 }' "$work/res/warc.fps")"
    printf -- '- MB/s = 10^6 bytes of input (decompressed, for the WARC) per second of wall time; CPU s/M = user + system seconds per million items; peak RSS = `%%M`, the largest over the configuration'"'"'s runs\n\n'
    printf '```\n'; sed -n '2,$p' "$work/policy.txt"; printf '```\n\n'

    printf '### Throughput\n\n'
    printf '| Input | --jobs | Build | wall s (best of %s) | items/s | MB/s | CPU s | CPU s/M items | peak RSS MiB |%s near / exact-only throughput | target | met? |\n' \
        "$runs" "$([ "$unbounded" = 1 ] && echo ' wall s outside cgroup |')"
    printf '|---|---|---|---|---|---|---|---|---|%s---|---|---|\n' "$([ "$unbounded" = 1 ] && echo '---|')"
    for in in small web warc; do
        for jobs in 1 2; do
            for b in base cur; do
                k="$in.$b.$jobs"
                ratio="–" tgt="–" ok="–"
                if [ "$b" = cur ]; then
                    ratio="$(div "${W[$in.base.$jobs]}" "${W[$k]}" 3) ("
                    [ "$unbounded" = 1 ] && ratio="${ratio}outside: $(div "${U[$in.base.$jobs]}" "${U[$k]}" 3); "
                    ratio="${ratio}by CPU time: $(cpu_ratio "$in" "$jobs"))"
                    tgt="≥ 0.5" ok=$(met "$(div "${W[$in.base.$jobs]}" "${W[$k]}" 3)" 0.5)
                fi
                printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |%s %s | %s | %s |\n' \
                    "${LABEL[$in]}" "$jobs" "$([ "$b" = base ] && echo "exact-only $base_short" || echo "near $head_short")" \
                    "${W[$k]}" "$(num "$(div "${N[$k]}" "${W[$k]}" 0)")" "$(div "${BYTES[$in]}" "$(awk -v w="${W[$k]}" 'BEGIN { print w * 1e6 }')" 1)" \
                    "${C[$k]}" "$(perm "${C[$k]}" "${N[$k]}")" "$(mib "${R[$k]}")" \
                    "$([ "$unbounded" = 1 ] && echo " ${U[$k]} |")" "$ratio" "$tgt" "$ok"
            done
        done
    done
    printf '\nThroughput ratio = exact-only wall time / near wall time (same items); "by CPU time" = exact-only / near CPU seconds per item, the figure least moved by other load on the machine. '
    printf 'With --jobs 1, near-duplicate checking costs %s, %s and %s times the exact-only CPU per item on small items, web text and WARC. ' \
        "$(awk -v r="$(cpu_ratio small 1)" 'BEGIN { printf "%.1f", 1 / r }')" \
        "$(awk -v r="$(cpu_ratio web 1)" 'BEGIN { printf "%.0f", 1 / r }')" "$(awk -v r="$(cpu_ratio warc 1)" 'BEGIN { printf "%.0f", 1 / r }')"
    printf '`--jobs 2` can only help when a core is free: compare its CPU seconds with --jobs 1 rather than its wall time when the load average was above 2.\n\n'

    printf '### The floor: what near-duplicate checking must compute\n\n'
    printf 'On the same items, one thread, best of 3 by CPU time (`bench_nearcost`): the two computations any implementation of the issue'"'"'s fingerprints and of the ISCC Text-Code must run for every item with text, each in the fastest form this machine has: the shingle hashes (XXH3-64 of every word 5-gram of the normalised text; no MinHash signature exists without them) and the ISCC soft hash (XXH32 of every 13-character window of the collapsed text and its 64 permutations mod 2^61 - 1, which ISO 24138 prescribes, with the AVX2 filter of `src/dedup/iscc_hash.c`). Their sum is the floor; with the exact-only build'"'"'s CPU time on the same items (`--jobs 1` above), the highest near / exact-only ratio any implementation could reach here is exact / (exact + floor). The other columns: what this build spends on the same steps in full.\n\n'
    printf '| Input | items | exact-only CPU s | SHA-256 of the content | shingle hashes | ISCC soft hash | **floor** | highest ratio the floor allows | measured ratio (CPU, --jobs 1) | of that highest | near signature (full) | ISCC Text-Code (full) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    for in in small web warc; do
        cj() { j "cost_$in" "$1"; }
        ceil=$(awk -v e="${C[$in.base.1]}" -v fl="$(cj floor_cpu_s)" 'BEGIN { printf "%.3f", e / (e + fl) }')
        meas=$(cpu_ratio "$in" 1)
        printf '| %s | %s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s |\n' "${LABEL[$in]}" \
            "$(num "$(cj items)")" "${C[$in.base.1]}" "$(cj sha256_cpu_s)" "$(cj shingles_cpu_s)" \
            "$(cj soft_hash_cpu_s)" "$(cj floor_cpu_s)" "$ceil" "$meas" "$(div "$meas" "$ceil" 2)" \
            "$(cj signature_cpu_s)" "$(cj iscc_cpu_s)"
    done
    printf '\nWhere the highest ratio the floor allows is below 0.5, the target sits above a limit measured on this machine, on the same items, in the same run.\n\n'

    printf '### Bytes per item (the %s small items)\n\n' "$(num "${SZ[cur.n]}")"
    printf 'Ledgers of the first `--jobs 1` run of each build. %s\n\n' \
        "$([ "$dbstat" = 1 ] && echo 'Table and index sizes are `SELECT name, sum(pgsize) FROM dbstat GROUP BY name` (pages, so free space in them counts).' || echo 'The sqlite3 shell has no dbstat: the near table is estimated as the sum of length(record) + 20 bytes per row; other tables are not split out.')"
    printf '| Part | exact-only %s, bytes/item | near %s, bytes/item | target (issue) | met? |\n|---|---|---|---|---|\n' "$base_short" "$head_short"
    bpi() { div "${SZ[$1]}" "${SZ[${1%%.*}.n]}" 1; }
    printf '| `ledger.db` (whole file) | %s | %s | – | – |\n' "$(bpi base.db)" "$(bpi cur.db)"
    printf '| – `items` table | %s | %s | – | – |\n' "$(bpi base.items)" "$(bpi cur.items)"
    printf '| – `decisions` table + `decisions_item` index | %s + %s | %s + %s | – | – |\n' \
        "$(bpi base.decisions)" "$(bpi base.decisions_item)" "$(bpi cur.decisions)" "$(bpi cur.decisions_item)"
    printf '| – `near` table (%s rows, avg(length(record)) %s bytes) | – | %s | – | – |\n' \
        "$(num "${near_rows%% *}")" "$(div "${near_rows#* }" 1 1)" "$(bpi cur.near)"
    printf '| – everything else (log entries and tiles, batches, inputs, free pages...) | %s | %s | – | – |\n' "$(bpi base.other)" "$(bpi cur.other)"
    printf '| `.exante/dedup/` (exact-duplicate index, on disk) | %s | %s | – | – |\n' "$(bpi base.dedup)" "$(bpi cur.dedup)"
    printf '| `.exante/near-112x14/` (band index, on disk) | – | %s | ≤ 128 | %s |\n' "$(bpi cur.band)" "$(lmet "$(bpi cur.band)" 128)"
    printf '| total on disk (ledger.db + indexes) | %s | %s | – | – |\n\n' \
        "$(div "$((SZ[base.db] + SZ[base.dedup] + SZ[base.urls]))" "${SZ[base.n]}" 1)" \
        "$(div "$((SZ[cur.db] + SZ[cur.dedup] + SZ[cur.urls] + SZ[cur.band]))" "${SZ[cur.n]}" 1)"
    printf 'The band index holds %s keys (%s per item) in run files of %s bytes per key, everything on disk counted (8-byte entries: 32 bits of the band key and a 32-bit item offset, under a directory of the keys'"'"' top 16 bits; run files v2, docs/FORMATS.md): files %s.\n\n' \
        "$(num "$band_keys")" "$(div "$band_keys" "${SZ[cur.n]}" 1)" "$(div "${SZ[cur.band]}" "$band_keys" 2)" "$band_files"

    printf '### Profile\n\n'
    if [ -s "$work/perf.self" ]; then
        printf 'The current build on the small items, `--jobs 1`, outside the cgroup (%s samples at 199 Hz, all threads): `%s`. Call graphs come from DWARF unwinding because the Release build omits frame pointers (`perf record -g` gives no callers); functions inlined into others (soft_hash into ex_iscc_text_code, fingerprint into on_item) count as their caller.\n\n' \
            "${samples:-?}" "$perf_note"
        printf 'Inclusive time of the stages (%% of all samples; "children" in perf report):\n\n| Stage | function | inclusive | self |\n|---|---|---|---|\n'
        while IFS='|' read -r stage fn; do
            line=$(awk -v s="$fn" '$3 == s { print; exit }' "$work/perf.children")
            [ -n "$line" ] && printf '| %s | `%s` | %s | %s |\n' "$stage" "$fn" "$(echo "$line" | awk '{ print $1 }')" "$(echo "$line" | awk '{ print $2 }')"
        done <<'EOF'
reading JSONL (the reading thread: parse, SHA-256, fingerprints, and with --jobs 1 the sequencer)|ex_read_jsonl
– per item in the reader: SHA-256, fingerprints|on_item
– the sequencer: lookups, decisions, band index|seq_take
ISCC Text-Code (self: the soft hash, inlined: XXH32 and 64 multiply-mod-(2^61-1) per 13-character window)|ex_iscc_text_code
– ISCC text collapse (NFD, lower, NFKC)|ex_iscc_collapse
near fingerprint: MinHash signature (self: XXH3 and 112 multiply-adds per word 5-gram)|ex_near_signature
– near normalisation (NFKC casefold)|ex_near_normalise
utf8proc normalisation (both callers)|utf8proc_map_custom
utf8proc decompose (both callers)|utf8proc_decompose_custom
band index: insert 14 keys|near_put
band index: lookups|near_find
– dedup index lookups (band and exact)|ex_dedup_find
– spills to run files|ex_dedup_spill
the writer thread (records packed with zstd, SQLite commits, log)|writer_main
EOF
        pc() { awk -v s="$1" '$3 == s { sub("%", "", $1); print $1; exit }' "$work/perf.children"; }
        printf '\nFingerprinting (ISCC Text-Code + MinHash signature, each normalising the text with utf8proc itself) is %s%% of all samples; the band index (inserts + lookups) %s%%; the writer thread %s%%.\n' \
            "$(awk -v a="$(pc ex_iscc_text_code)" -v b="$(pc ex_near_signature)" 'BEGIN { printf "%.1f", a + b }')" \
            "$(awk -v a="$(pc near_put)" -v b="$(pc near_find)" 'BEGIN { printf "%.1f", a + b }')" "$(pc writer_main)"
        printf '\nTop entries by self time (%% of all samples):\n\n```\n'
        cat "$work/perf.self"
        printf '```\n\nBy object file: %s.\n\n' "$(awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }' "$work/perf.dso")"
    else
        printf 'Profile %s.\n\n' "$perf_note"
    fi

    printf '### Commands\n\n```sh\n'
    printf '%s\n' "${cmds[@]}" | sed "s|$work/||g; s|$work|\$WORK|g; s|$build|\$BUILD|g; s|$base_build|\$BASE_BUILD|g; s|$base_dir|\$BASE|g; s|$src/||g"
    printf '```\n\nRun in `$WORK` (a `mktemp -d` directory, removed at the end); `$BUILD` = the current tree, `$BASE_BUILD` = %s, both `cmake -DCMAKE_BUILD_TYPE=Release`.\n\n' "$base_short"
    printf '### Raw output\n\nPer run: wall s, user s, system s, peak RSS KiB (`/usr/bin/time`), 1-min load before it; the ingest summary.\n\n```\n'
    for in in small web warc; do
        for jobs in 1 2; do
            rs="$(seq "$runs")"
            [ "$unbounded" = 1 ] && rs="$rs u"
            for r in $rs; do
                for b in base cur; do
                    n="$in.$b.j$jobs.$r"
                    printf '%s: %s load %s %s\n' "$n" "$(cat "$work/res/$n.time")" "$(cat "$work/res/$n.load")" \
                        "$(sed 's/"checkpoint":{[^}]*},//; s/"by_rule":{[^}]*},//' "$work/res/$n.out")"
                done
            done
        done
    done
    printf '```\n'
} >"$section"

put_section "$out" "## Ingest with near-duplicate checking" "$section"
log "wrote the 'Ingest with near-duplicate checking' section of $out"
cat "$section" >&2
