#!/usr/bin/env bash
# bandindex.sh - the band index's run files before and after version 2 (8-byte entries read
# through mmap): band probes and bytes on disk, the current tree against a base commit, in the
# same run. Writes the subsection "### Band index v2 (8-byte entries, mmap)" of bench/RESULTS.md
# (inside "## Near-duplicate signatures and band probes", replacing it if it is there).
#
#   bench/bandindex.sh [--build-dir DIR] [--base-dir DIR] [--base COMMIT] [--out FILE]
#                      [--items N] [--probes N] [--base-probes N] [--runs N]
#                      [--ingest-items N] [--keep]
#
#   --base COMMIT       the previous run format (default 36fbfe0, the last commit before v2)
#   --items N           items of `bench_near probes` (14 band keys each; default 1000000)
#   --probes N          probes of each kind with the current build (default 1000000)
#   --base-probes N     the same with the base build, whose present probes are slow (100000)
#   --runs N            runs of `bench_near probes` per build, alternating (default 3)
#   --ingest-items N    items of `bench_ingest gen-small` ingested by each build (200000)
#
# Both builds are Release. The base's bench_near is built from the current bench/bench_near.c
# (the dedup calls it makes are the same in both), so both report the same measures: probes of
# absent keys, of present keys whose first candidate the callback accepts, and of present keys
# with a callback that sees every candidate (as the band index's does), on the index as built
# ("live") and as loaded again after a save ("loaded"); wall and CPU time of each; then the
# index's bytes on disk after the save. Then each build ingests the same generated small items
# into a fresh ledger (`init`, `source add s --kind crawl`), timed by /usr/bin/time, and the
# bytes of its .exante/near-112x14/ and dedup/ are split into run entries, directories, headers
# and the manifest.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
argv="$*"
build=""; base_dir=""; base=36fbfe0; out="$here/RESULTS.md"; items=1000000; probes=1000000
base_probes=100000; runs=3; ingest_items=200000; keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?}; shift ;;
    --base-dir) base_dir=${2:?}; shift ;;
    --base) base=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --items) items=${2:?}; shift ;;
    --probes) probes=${2:?}; shift ;;
    --base-probes) base_probes=${2:?}; shift ;;
    --runs) runs=${2:?}; shift ;;
    --ingest-items) ingest_items=${2:?}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bandindex.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -z "$build" ] || build=$(realpath -m "$build")
[ -z "$base_dir" ] || base_dir=$(realpath -m "$base_dir")
out=$(realpath -m "$out")
bench_start bandindex cmake cc git tar awk sed od du /usr/bin/time
[ -n "$base_dir" ] || base_dir="$work/base"
t_start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

base_rev=$(git -C "$src" rev-parse --verify "$base^{commit}")
base_short=$(git -C "$src" rev-parse --short "$base_rev")
head_short=$(git -C "$src" rev-parse --short HEAD)
dirty=$(git -C "$src" status --porcelain --untracked-files=no | grep -q . && echo " plus the working tree" || true)
log "building the current tree ($head_short$dirty), Release, in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_near bench_ingest >/dev/null
log "building $base_short (git archive into $base_dir/src, with the current bench_near.c)"
mkdir -p "$base_dir/src"
git -C "$src" archive "$base_rev" | tar -x -C "$base_dir/src"
cp "$src/bench/bench_near.c" "$base_dir/src/bench/bench_near.c"
cmake -S "$base_dir/src" -B "$base_dir/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$base_dir/build" -j2 --target exante-cli bench_near >/dev/null
declare -A EX=([base]="$base_dir/build/exante" [cur]="$build/exante")
declare -A BN=([base]="$base_dir/build/bench/bench_near" [cur]="$build/bench/bench_near")
declare -A NP=([base]="$base_probes" [cur]="$probes")

# ---- band probes -----------------------------------------------------------------------------
cd "$work"
mkdir -p res
for r in $(seq "$runs"); do
    for b in base cur; do
        rm -rf ix && mkdir ix
        sync
        cut -d' ' -f1 /proc/loadavg >"res/probes.$b.$r.load"
        log "bench_near probes ($b, run $r, load $(cat "res/probes.$b.$r.load"))"
        /usr/bin/time -o "res/probes.$b.$r.time" -f "%e %U %S %M" \
            "${BN[$b]}" probes ix "$items" "${NP[$b]}" >"probes.$b.$r.out"
        cat "probes.$b.$r.out" >&2
    done
done
rm -rf ix
# stats BUILD KEY: "median min max" of KEY over the runs
stats() {
    for r in $(seq "$runs"); do j "probes.$1.$r" "$2"; done | sort -g |
        awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
med() { stats "$1" "$2" | cut -d' ' -f1; }
num() { printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# met VALUE TARGET [0]: VALUE >= TARGET (<= with 0)
met() { awk -v a="$1" -v t="$2" -v up="${3:-1}" 'BEGIN { print ((up && a >= t) || (!up && a <= t)) ? "met" : "**missed**" }'; }
rate() { # rate BUILD KEY: "median/s (min–max)"
    local m lo hi
    read -r m lo hi < <(stats "$1" "$2")
    echo "$(num "$m")/s ($(num "$lo")–$(num "$hi"))"
}

# ---- one ingest each -------------------------------------------------------------------------
log "bench_ingest gen-small small.jsonl $ingest_items"
"$build/bench/bench_ingest" gen-small small.jsonl "$ingest_items" >gen.out 2>/dev/null
sync
# split DIR: "files keys entries dirs heads manifest total" of an index directory
split_dir() {
    local f n size files=0 keys=0 ent=0 dirs=0 heads=0 man=0
    for f in "$1"/run-*; do
        [ -e "$f" ] || continue
        size=$(stat -c %s "$f")
        files=$((files + 1))
        if [ "$(head -c 4 "$f")" = EXRN ]; then
            n=$(od -An -t u8 -j 8 -N 8 "$f" | tr -d ' ')
            keys=$((keys + n)); ent=$((ent + 8 * n)); heads=$((heads + 40))
            dirs=$((dirs + size - 40 - 8 * n))
        else
            keys=$((keys + size / 16)); ent=$((ent + size))
        fi
    done
    [ -f "$1/manifest" ] && man=$(stat -c %s "$1/manifest")
    echo "$files $keys $ent $dirs $heads $man $((ent + dirs + heads + man))"
}
for b in base cur; do
    L="$work/L.$b"
    rm -rf "$L"
    EXANTE_DIR=$L "${EX[$b]}" -q init --origin bench.example/bands >/dev/null
    EXANTE_DIR=$L "${EX[$b]}" -q source add s --kind crawl >/dev/null
    sync
    cut -d' ' -f1 /proc/loadavg >"res/ingest.$b.load"
    log "exante ingest ($b, load $(cat "res/ingest.$b.load"))"
    EXANTE_DIR=$L /usr/bin/time -o "res/ingest.$b.time" -f "%e %U %S %M" \
        "${EX[$b]}" -q --json ingest --source s small.jsonl >"ingest.$b.out"
    cat "ingest.$b.out" >&2
    split_dir "$L/near-112x14" >"res/near.$b"
    split_dir "$L/dedup" >"res/dedup.$b"
    du -b -s "$L/near-112x14" "$L/dedup" >"res/du.$b"
    cat "res/near.$b" "res/dedup.$b" "res/du.$b" >&2
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the subsection --------------------------------------------------------------------------
section="$work/section.md"
t() { awk -v c="$2" '{ print $c }' "res/$1.time"; } # t NAME FIELD: 1 wall, 2 user, 3 sys, 4 KiB
loads() { cat res/probes.*.load res/ingest.*.load | sort -g | awk '{ a[NR] = $1 } END { printf "%s to %s (median %s)", a[1], a[NR], a[int((NR + 1) / 2)] }'; }
{
    printf '### Band index v2 (8-byte entries, mmap)\n\n'
    printf 'Written by `bench/bandindex.sh%s` on %s (%s min); %s cores (`nproc`), %s; %s; current = %s%s, base = %s (the 16-byte runs read by `pread`), both Release. The 2 cores are shared with other work: the 1-minute load average was %s at the start, %s at the end, and %s before the timed runs (figures per CPU-second of the process, user + system, are the steadier ones).\n\n' \
        "${argv:+ $argv}" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$((($(date +%s) - t_start + 30) / 60))" \
        "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        "$(cc --version | head -n1)" "$head_short" "$dirty" "$base_short" "$load0" "$load1" "$(loads)"
    printf 'Run file v2 (docs/FORMATS.md): a 40-byte header, then 8 bytes per key (bits 16..47 of the key and the id less the run'"'"'s smallest, 32 bits each), then a directory of the keys'"'"' top 16 bits (a count per bucket, dense or sparse, whichever is smaller); keys compare on their top 48 bits. Probes read the runs through read-only shared mappings.\n\n'
    printf '**Band probes**: `bench_near probes DIR %s P`: %s items, 14 keys each (%s keys, %s in memory before a spill), P = %s probes of each kind with the current build and %s with the base; %s runs per build, alternating; median (min–max) of the runs. "Present, first" accepts the first candidate; "present, every" sees every candidate and accepts none, as the band index'"'"'s callback does, so every run holding the key'"'"'s bucket is searched.\n\n' \
        "$items" "$(num "$items")" "$(num "$(j probes.cur.1 keys)")" "$(num "$(j probes.cur.1 mem_items)")" \
        "$(num "$probes")" "$(num "$base_probes")" "$runs"
    printf '| Measure | base %s, wall | base, per CPU-s | current, wall | current, per CPU-s | current / base (CPU) | target ≥ 1,000,000/s: ratio (CPU) | met? |\n|---|---|---|---|---|---|---|---|\n' "$base_short"
    for ph in live loaded; do
        for k in absent present every; do
            case $k in absent) name="absent keys" ;; present) name="present keys, first candidate" ;; every) name="present keys, every candidate" ;; esac
            bw=$(rate base "${ph}_${k}_per_s"); bc=$(rate base "${ph}_${k}_per_cpu_s")
            cw=$(rate cur "${ph}_${k}_per_s"); cc=$(rate cur "${ph}_${k}_per_cpu_s")
            bcv=$(med base "${ph}_${k}_per_cpu_s"); ccv=$(med cur "${ph}_${k}_per_cpu_s")
            printf '| %s, %s | %s | %s | %s | %s | %s | %s | %s |\n' "$ph" "$name" "$bw" "$bc" "$cw" "$cc" \
                "$(ratio "$ccv" "$bcv")" "$(ratio "$ccv" 1000000)" "$(met "$ccv" 1000000)"
        done
    done
    printf '\nAbsent keys never reach the runs (the filter rules them out): their rate is that of the table and the filter, the same code in both builds, and it varies from run to run with the machine (other work, whether the table and filter got huge pages) more than between the builds. Present keys pass the filter and are looked for in the runs, newest first (6 here; "first candidate" stops at the run holding the key, "every candidate" searches them all), through each run'"'"'s mapping (current) or by a 4 KiB `pread` per run (base).\n'
    printf '\n| Index after `ex_dedup_save` (run 1) | base | current |\n|---|---|---|\n'
    printf '| runs on disk | %s | %s |\n' "$(j probes.base.1 saved_runs)" "$(j probes.cur.1 saved_runs)"
    for k in entry:"run entries" dir:"directories" head:"headers" manifest:"the manifest" disk:"total"; do
        printf '| %s, bytes | %s | %s |\n' "${k#*:}" "$(num "$(j probes.base.1 "${k%%:*}_bytes")")" \
            "$(num "$(j probes.cur.1 "${k%%:*}_bytes")")"
    done
    printf '| bytes per key | %s | %s |\n| bytes per item (14 keys) | %s | %s |\n' \
        "$(j probes.base.1 bytes_per_key)" "$(j probes.cur.1 bytes_per_key)" \
        "$(j probes.base.1 bytes_per_item)" "$(j probes.cur.1 bytes_per_item)"
    printf '| against the target of ≤ 128 bytes per item | %s: %s | %s: %s |\n' \
        "$(ratio "$(j probes.base.1 bytes_per_item)" 128)" "$(met "$(j probes.base.1 bytes_per_item)" 128 0)" \
        "$(ratio "$(j probes.cur.1 bytes_per_item)" 128)" "$(met "$(j probes.cur.1 bytes_per_item)" 128 0)"
    printf '| building it (`ex_dedup_put`), keys per CPU-s (median) | %s | %s |\n' \
        "$(num "$(awk -v k="$(j probes.base.1 keys)" -v c="$(med base build_cpu_s)" 'BEGIN { print k / c }')")" \
        "$(num "$(awk -v k="$(j probes.cur.1 keys)" -v c="$(med cur build_cpu_s)" 'BEGIN { print k / c }')")"
    printf '| loading it (`ex_dedup_load`: reads every key into the filter), s (median) | %s | %s |\n' "$(med base load_s)" "$(med cur load_s)"
    printf '| resident after the live probes: anonymous / file pages MiB (run 1) | %s / %s | %s / %s |\n' \
        "$(j probes.base.1 rss_anon_mib)" "$(j probes.base.1 rss_file_mib)" "$(j probes.cur.1 rss_anon_mib)" "$(j probes.cur.1 rss_file_mib)"
    printf '| peak RSS, MiB (`/usr/bin/time` %%M, run 1; with the mapped runs'"'"' page-cache pages) | %s | %s |\n\n' \
        "$(awk '{ printf "%.1f", $4 / 1024 }' res/probes.base.1.time)" "$(awk '{ printf "%.1f", $4 / 1024 }' res/probes.cur.1.time)"
    printf 'The table, filter and directories are the anonymous memory (`index_mem_mib` %s MiB for the current build, %s for the base); the run files'"'"' mapped pages count in RSS as file pages but are page cache, which the kernel reclaims when it needs the memory.\n\n' \
        "$(j probes.cur.1 index_mem_mib)" "$(j probes.base.1 index_mem_mib)"
    items_in=$(j ingest.cur items)
    printf '**One real ingest**: `bench_ingest gen-small small.jsonl %s`, then each build ingests it into a fresh ledger (`exante -q --json ingest --source s small.jsonl`, %s items, default memory table), timed by /usr/bin/time.\n\n' \
        "$ingest_items" "$(num "$items_in")"
    printf '| Index | build | run files | keys | entries B | directories B | headers B | manifest B | total B (`du -b` of the directory) | bytes per key | bytes per item | target | met? |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    for ix in near dedup; do
        for b in base cur; do
            read -r files keys ent dirs heads man total <"res/$ix.$b"
            dub=$(awk -v d="$ix" '{ if ((d == "near" && $2 ~ /near-112x14$/) || (d == "dedup" && $2 ~ /dedup$/)) print $1 }' "res/du.$b")
            per_item=$(awk -v t="$total" -v n="$items_in" 'BEGIN { printf "%.2f", t / n }')
            if [ "$ix" = near ]; then tgt="≤ 128 B/item"; m=$(met "$per_item" 128 0); lab="band (near-112x14/)"; else tgt="–"; m="–"; lab="exact (dedup/)"; fi
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s |\n' "$lab" "$b" "$files" "$(num "$keys")" \
                "$(num "$ent")" "$(num "$dirs")" "$(num "$heads")" "$man" "$(num "$total")" "$(num "$dub")" \
                "$(awk -v t="$total" -v k="$keys" 'BEGIN { printf "%.3f", t / k }')" "$per_item" "$tgt" "$m"
        done
    done
    printf '\nThe band index at %s B/item is %s of the 128 B target. The ingests themselves (load %s / %s): base %s s wall, %s CPU-s, peak RSS %s MiB; current %s s wall, %s CPU-s, peak RSS %s MiB.\n\n' \
        "$(awk -v t="$(cut -d' ' -f7 res/near.cur)" -v n="$items_in" 'BEGIN { printf "%.1f", t / n }')" \
        "$(awk -v t="$(cut -d' ' -f7 res/near.cur)" -v n="$items_in" 'BEGIN { printf "%.2f", t / n / 128 }')" \
        "$(cat res/ingest.base.load)" "$(cat res/ingest.cur.load)" \
        "$(t ingest.base 1)" "$(awk '{ printf "%.2f", $2 + $3 }' res/ingest.base.time)" "$(awk '{ printf "%.0f", $4 / 1024 }' res/ingest.base.time)" \
        "$(t ingest.cur 1)" "$(awk '{ printf "%.2f", $2 + $3 }' res/ingest.cur.time)" "$(awk '{ printf "%.0f", $4 / 1024 }' res/ingest.cur.time)"
    printf 'Raw (`bench_near probes`, then `/usr/bin/time` "wall user sys maxrss_kb" of each, then the ingests'"'"' summaries):\n\n```\n'
    for r in $(seq "$runs"); do for b in base cur; do
        printf '%s run %s (load %s): ' "$b" "$r" "$(cat "res/probes.$b.$r.load")"; cat "probes.$b.$r.out"; cat "res/probes.$b.$r.time"
    done; done
    for b in base cur; do printf 'ingest %s: ' "$b"; cat "ingest.$b.out"; cat "res/ingest.$b.time"; done
    printf '```\n'
} >"$section"
cat "$section" >&2

# into OUT: replace the subsection if it is there (up to the next heading), else append it at
# the end of "## Near-duplicate signatures and band probes"
heading='### Band index v2 (8-byte entries, mmap)'
parent='## Near-duplicate signatures and band probes'
grep -qxF -- "$parent" "$out" || { echo "bandindex.sh: $out has no '$parent'" >&2; exit 1; }
awk -v sec="$section" -v h="$heading" -v p="$parent" '
    function put() { while ((getline l < sec) > 0) print l; print ""; done = 1 }
    $0 == h { put(); skip = 1; next }
    skip && /^##/ { skip = 0 }
    skip { next }
    /^## / { if (inp && !done) put(); inp = $0 == p }
    { print }
    END { if (!done) { print ""; put() } }' "$out" >"$out.new"
mv "$out.new" "$out"
log "wrote '$heading' in $out"
