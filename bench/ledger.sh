#!/usr/bin/env bash
# ledger.sh - ledger storage at scale (issue 14): bytes of ledger per small item with its
# split, ingest CPU against the build before blocks on the same file, `why` latency on a large
# ledger, and `log verify` time; written to bench/RESULTS.md ("## Ledger storage").
#
#   bench/ledger.sh [--build-dir DIR] [--old-build DIR | --old-commit REV] [--out FILE]
#                   [--items N] [--big N] [--runs N] [--no-big-old] [--keep]
#
#   --build-dir DIR   build this tree (Release) there (default: a temporary directory)
#   --old-commit REV  the build before blocks, built from its commit (default c4e171e, the
#                     last commit with packed records) in a worktree of this repository
#   --old-build DIR   or a Release build of it already made (DIR/exante)
#   --items N         small items of the runs measured several times (default 1000000)
#   --big N           small items of the large ledger (default 20000000; 0: none)
#   --runs N          ingests of --items per build (default 3; the least CPU is reported)
#   --no-big-old      do not ingest --big items with the old build as well
#   --keep            keep the work directory and say where it is
#
# The items are `bench_ingest gen-small` lines (~315 bytes, every 500th an exact copy). Each
# ingest starts from a fresh ledger (one source, bench/block.sh's policy), runs with the
# defaults (batches of 10,000) under /usr/bin/time (wall, user + system CPU, peak RSS), inside
# a memory cgroup of 1 GiB (so that the page cache it writes is recycled: this VM makes the
# first touch of fresh page-cache memory slow), and once more outside it; the --big runs are
# outside it (a ledger of 20M items has 2.5 GB of index runs that its lookups read through
# mappings: in a 2.5 GiB cgroup they were evicted and read again, and the ingest went at a
# third of its speed). If perf(1) is installed, one more ingest of --items by the old build
# under `perf record` gives the share of its CPU spent in zstd and SQLite: the part of it a
# storage change can remove at all (the limit of the CPU ratio). Bytes: the files of
# the ledger directory after a WAL checkpoint, the database split by SQLite's dbstat. `why`:
# wall time of the command (process start and ledger open included), best and median of 7,
# for the newest item, the oldest, and one never recorded, by URL and by digest, and the same
# inside one process with the ledger opened once (bench_why: first call, best and median of
# the next 20). Needs about
# 25 GB under ${TMPDIR:-/tmp} at the default --big.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

argv="$*"
build=""
old_build=""
old_commit=c4e171e
out="$here/RESULTS.md"
items=1000000
big=20000000
runs=3
big_old=1
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --old-build) old_build=${2:?--old-build needs a directory}; shift ;;
    --old-commit) old_commit=${2:?--old-commit needs a revision}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --items) items=${2:?--items needs a number}; shift ;;
    --big) big=${2:?--big needs a number}; shift ;;
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --no-big-old) big_old=0 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ledger.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -z "$build" ] || build=$(realpath -m "$build")
[ -z "$old_build" ] || old_build=$(realpath -m "$old_build")
out=$(realpath -m "$out")
t_start=$(date +%s)
bench_start ledger cmake cc awk sed sqlite3 git /usr/bin/time
bench_on_exit() {
    cg_remove
    [ -z "${old_tree:-}" ] || git -C "$src" worktree remove --force "$old_tree" 2>/dev/null || true
}

log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest bench_why exante_sqlite >/dev/null
NEW="$build/exante"
if [ -z "$old_build" ]; then
    old_tree="$work/old-src"
    log "building $old_commit (Release) in $work/old-build"
    git -C "$src" worktree add --detach "$old_tree" "$old_commit" >/dev/null 2>&1
    cmake -S "$old_tree" -B "$work/old-build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$work/old-build" -j2 --target exante-cli >/dev/null
    old_build="$work/old-build"
fi
OLD="$old_build/exante"
old_rev=$(git -C "${old_tree:-$src}" rev-parse --short "${old_tree:+HEAD}${old_tree:-$old_commit}" 2>/dev/null || echo "$old_commit")

cd "$work"
cat >policy.txt <<'EOF'
reject tdm-reserved
reject license LicenseRef-proprietary CC-BY-NC-4.0
admit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
EOF
cg_make ledger 1024
res="$work/results.jsonl"
: >"$res"

# fresh LEDGER_DIR for binary X
fresh() {
    rm -rf "$2"
    EXANTE_DIR="$2" "$1" -q init --origin bench.example/ledger >/dev/null
    EXANTE_DIR="$2" "$1" -q source add s --kind crawl >/dev/null
    EXANTE_DIR="$2" "$1" -q policy adopt policy.txt >/dev/null
}
# timed NAME CG X ARGS... : one run of X under /usr/bin/time (in the cgroup when CG is 1),
# a JSON line with wall, cpu (user + system) and peak RSS into $res
timed() {
    local name=$1 incgroup=$2
    shift 2
    if [ "$incgroup" = 1 ]; then
        incg /usr/bin/time -f '%e %U %S %M' -o time.txt "$@" >/dev/null
    else
        /usr/bin/time -f '%e %U %S %M' -o time.txt "$@" >/dev/null
    fi
    read -r wall user sys rss <time.txt
    printf '{"bench":"ledger","run":"%s","cgroup":%s,"wall_s":%s,"user_s":%s,"sys_s":%s,"cpu_s":%.2f,"peak_rss_kib":%s}\n' \
        "$name" "$incgroup" "$wall" "$user" "$sys" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$rss" | tee -a "$res" >&2
}
# bytes NAME LEDGER_DIR ITEMS : the split of a ledger's bytes per item into $res
bytes() {
    local name=$1 dir=$2 n=$3 db="$2/ledger.db"
    sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
    local page free
    page=$(sqlite3 "$db" 'PRAGMA page_size')
    free=$(($(sqlite3 "$db" 'PRAGMA freelist_count') * page))
    sqlite3 "$db" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name" >dbstat.txt
    du -sb "$dir"/* | awk -v n="$n" -v name="$name" -v free="$free" '
        BEGIN { while ((getline l < "dbstat.txt") > 0) { split(l, a, "|"); t[a[1]] = a[2] } }
        { f = $2; sub(".*/", "", f); files[f] = $1; total += $1 }
        END {
            blocks = t["blocks"] + t["blocks_items"] + t["blocks_decisions"] + t["decision_keys"] \
                   + t["items"] + t["decisions"] + t["decisions_item"]
            logb = t["entries"] + t["tiles"] + t["checkpoints"] + t["batches"] + t["sources"] \
                 + t["policies"] + t["captures"] + t["optouts"]
            nearb = t["near"]
            idx = files["dedup"] + files["by-url"] + files["urls"]
            for (f in files) if (f ~ /^near-/) nearb += files[f]
            other = total - blocks - idx - logb - free - nearb
            printf "{\"bench\":\"ledger\",\"bytes\":\"%s\",\"items\":%d,\"total\":%.0f,\"records\":%.1f,\"indexes\":%.1f,\"log\":%.1f,\"free_pages\":%.1f,\"other\":%.1f,\"near\":%.1f,\"without_near\":%.1f,\"with_near\":%.1f}\n", \
                name, n, total, blocks / n, idx / n, logb / n, free / n, other / n, nearb / n, \
                (total - nearb) / n, total / n
        }' | tee -a "$res" >&2
}
# why_times NAME X LEDGER_DIR QUERY : best and median wall ms of 7 `why QUERY` (exit 0 or 1)
why_times() {
    local name=$1 x=$2 dir=$3 q=$4 i t0 t1
    : >why.txt
    for i in 1 2 3 4 5 6 7; do
        t0=$(date +%s%N)
        EXANTE_DIR="$dir" "$x" why "$q" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>why.txt
    done
    sort -n why.txt | awk -v name="$name" '{ v[NR] = $1 } END {
        printf "{\"bench\":\"ledger\",\"why\":\"%s\",\"best_ms\":%.2f,\"median_ms\":%.2f}\n", name, v[1] / 1000, v[4] / 1000 }' |
        tee -a "$res" >&2
}

log "bench_ingest gen-small small.jsonl $items"
"$build/bench/bench_ingest" gen-small small.jsonl "$items" >/dev/null 2>&1
for r in $(seq "$runs"); do
    for b in old new; do
        X=$OLD; [ $b = new ] && X=$NEW
        fresh "$X" "$work/$b"
        log "ingest $items items, $b build, run $r (cgroup)"
        EXANTE_DIR="$work/$b" timed "ingest-$b-$items" 1 "$X" -q ingest --source s small.jsonl
    done
done
for b in old new; do
    X=$OLD; [ $b = new ] && X=$NEW
    fresh "$X" "$work/$b"
    log "ingest $items items, $b build (no cgroup)"
    EXANTE_DIR="$work/$b" timed "ingest-$b-$items" 0 "$X" -q ingest --source s small.jsonl
    bytes "$b-$items" "$work/$b" "$items"
    log "log verify, $b build"
    EXANTE_DIR="$work/$b" timed "verify-$b-$items" 0 "$X" -q log verify
done
if command -v perf >/dev/null; then
    fresh "$OLD" "$work/old"
    log "ingest $items items, old build, under perf record"
    EXANTE_DIR="$work/old" perf record -F 499 -o old.perf -- "$OLD" -q ingest --source s small.jsonl >/dev/null 2>&1
    perf report -i old.perf --sort dso --stdio 2>/dev/null | awk '
        /%/ { p = $1; sub("%", "", p); if ($2 ~ /libzstd/) z += p; else if ($2 ~ /libsqlite3/) q += p; else if ($2 ~ /kernel/) k += p }
        END { printf "{\"bench\":\"ledger\",\"old_profile\":\"%s\",\"zstd_pct\":%.1f,\"sqlite_pct\":%.1f,\"kernel_pct\":%.1f}\n", "ingest", z, q, k }' |
        tee -a "$res" >&2
fi
rm -rf "$work/old" small.jsonl

if [ "$big" -gt 0 ]; then
    log "bench_ingest gen-small big.jsonl $big"
    "$build/bench/bench_ingest" gen-small big.jsonl "$big" >/dev/null 2>&1
    fresh "$NEW" "$work/big"
    log "ingest $big items, new build (no cgroup)"
    EXANTE_DIR="$work/big" timed "ingest-new-$big" 0 "$NEW" -q ingest --source s big.jsonl
    bytes "new-$big" "$work/big" "$big"
    log "log verify, $big items"
    EXANTE_DIR="$work/big" timed "verify-new-$big" 0 "$NEW" -q log verify
    log "why, $big items"
    q() { sqlite3 -cmd ".load $build/exante_sqlite" "$work/big/ledger.db" "$1"; }
    last_url=$(q "SELECT json_extract(record, '\$.url') FROM items WHERE id = $big")
    first_url=$(q "SELECT json_extract(record, '\$.url') FROM items WHERE id = 1")
    last_dig=$(q "SELECT json_extract(record, '\$.digest') FROM items WHERE id = $big")
    first_dig=$(q "SELECT json_extract(record, '\$.digest') FROM items WHERE id = 1")
    : >why.txt
    for i in 1 2 3 4 5 6 7; do
        t0=$(date +%s%N); "$NEW" --version >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)) >>why.txt
    done
    sort -n why.txt | awk '{ v[NR] = $1 } END { printf "{\"bench\":\"ledger\",\"why\":\"version\",\"best_ms\":%.2f,\"median_ms\":%.2f}\n", v[1] / 1000, v[4] / 1000 }' | tee -a "$res" >&2
    why_times url-recent "$NEW" "$work/big" "$last_url"
    why_times url-old "$NEW" "$work/big" "$first_url"
    why_times url-never "$NEW" "$work/big" "https://never.example/recorded"
    why_times digest-recent "$NEW" "$work/big" "$last_dig"
    why_times digest-old "$NEW" "$work/big" "$first_dig"
    never_dig="sha256:$(printf 'never recorded' | sha256sum | cut -c1-64)"
    why_times digest-never "$NEW" "$work/big" "$never_dig"
    # inside one process (the ledger opened once, as a server holds it)
    "$build/bench/bench_why" "$work/big" 21 "url-recent=$last_url" "url-old=$first_url" \
        "url-never=https://never.example/recorded" "digest-recent=$last_dig" \
        "digest-old=$first_dig" "digest-never=$never_dig" | tee -a "$res" >&2
    if [ "$big_old" = 1 ]; then
        rm -rf "$work/big"
        fresh "$OLD" "$work/bigold"
        log "ingest $big items, old build (no cgroup)"
        EXANTE_DIR="$work/bigold" timed "ingest-old-$big" 0 "$OLD" -q ingest --source s big.jsonl
        bytes "old-$big" "$work/bigold" "$big"
        t0=$(date +%s%N)
        EXANTE_DIR="$work/bigold" "$OLD" why "https://never.example/recorded" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        printf '{"bench":"ledger","why":"old-url-never","best_ms":%.2f,"median_ms":%.2f}\n' \
            "$(((t1 - t0) / 1000))e-3" "$(((t1 - t0) / 1000))e-3" | tee -a "$res" >&2
    fi
fi

# ---- the section ----
section="$work/section.md"
r() { grep "\"run\":\"$1\",\"cgroup\":$2," "$res" | sed -n "s/.*\"$3\":\([0-9.]*\).*/\1/p" | sort -n | head -n 1; }
bv() { grep "\"bytes\":\"$1\"" "$res" | sed -n "s/.*\"$2\":\([0-9.-]*\).*/\1/p"; }
wv() { grep "\"why\":\"$1\"" "$res" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
iv() { grep "\"bench\":\"why\",\"query\":\"$1\"" "$res" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
permil() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.2f", a * 1000000 / n }'; }
{
    printf '## Ledger storage\n\n'
    printf 'Written by `bench/ledger.sh%s` on %s (%d s); exante commit %s%s against %s (the build before blocks), both Release.\n\n' \
        "${argv:+ $argv}" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $(($(date +%s) - t_start)) \
        "$(git -C "$src" rev-parse --short HEAD)" \
        "$(git -C "$src" status --porcelain | grep -q . && echo ' plus the working tree' || true)" "$old_rev"
    printf -- '- machine: %s\n' "$(machine_notes "$work")"
    printf -- '- items: `bench_ingest gen-small` lines (~315 bytes, every 500th an exact copy), one source, a policy admitting by license; ingest with its defaults (batches of 10,000); CPU = user + system of the process (`/usr/bin/time`), least of %s runs in a 1 GiB memory cgroup, and one run outside it\n\n' "$runs"
    printf '| ingest of %s items | old build | new build | new / old |\n|---|---|---|---|\n' "$items"
    for cgv in 1 0; do
        o=$(r "ingest-old-$items" $cgv cpu_s) n=$(r "ingest-new-$items" $cgv cpu_s)
        printf '| CPU s per million, %s | %s | %s | **%s** |\n' "$([ $cgv = 1 ] && echo 'in the cgroup' || echo 'no cgroup')" \
            "$(permil "$o" "$items")" "$(permil "$n" "$items")" "$(ratio "$n" "$o")"
        o=$(r "ingest-old-$items" $cgv wall_s) n=$(r "ingest-new-$items" $cgv wall_s)
        printf '| wall s, %s | %s | %s | %s |\n' "$([ $cgv = 1 ] && echo 'in the cgroup' || echo 'no cgroup')" "$o" "$n" "$(ratio "$n" "$o")"
    done
    o=$(r "ingest-old-$items" 0 peak_rss_kib) n=$(r "ingest-new-$items" 0 peak_rss_kib)
    printf '| peak RSS MiB | %s | %s | |\n' "$((o / 1024))" "$((n / 1024))"
    o=$(r "verify-old-$items" 0 wall_s) n=$(r "verify-new-$items" 0 wall_s)
    printf '| `log verify` wall s per million items | %s | %s | %s |\n\n' "$(permil "$o" "$items")" "$(permil "$n" "$items")" "$(ratio "$n" "$o")"
    zp=$(grep '"old_profile"' "$res" | sed -n 's/.*"zstd_pct":\([0-9.]*\).*/\1/p')
    qp=$(grep '"old_profile"' "$res" | sed -n 's/.*"sqlite_pct":\([0-9.]*\).*/\1/p')
    if [ -n "$zp" ]; then
        printf 'The limit of the CPU ratio: `perf record` of the old build'"'"'s ingest of the same file puts %s%% of its CPU samples in libzstd and %s%% in libsqlite3, everything a change of storage can remove (its kernel time, page faults and writes, is shared with everything else): a new build whose storage cost nothing would still spend **%s** of the old CPU. The new build is at %s of that limit'"'"'s saving.\n\n' \
            "$zp" "$qp" "$(awk -v z="$zp" -v q="$qp" 'BEGIN { printf "%.2f", 1 - (z + q) / 100 }')" \
            "$(awk -v z="$zp" -v q="$qp" -v o="$(r "ingest-old-$items" 1 cpu_s)" -v n="$(r "ingest-new-$items" 1 cpu_s)" 'BEGIN { s = (z + q) / 100; printf "%.2f", (1 - n / o) / s }')"
    fi
    printf 'Bytes of ledger per item (every file of the ledger directory after a WAL checkpoint; the database split with dbstat). The near-duplicate fingerprints (a 118-120-byte row per item for text, with its word count, and the band index, 14 keys of 8 bytes, from the near-duplicate work that came after the 128-byte target was set) are counted apart: with them a small item costs the last column.\n\n'
    printf '| ledger | records (blocks, or item and decision rows, with their indexes) | lookup indexes (dedup/, by-url/ or urls/) | log (entries, tiles, checkpoints, batch and source rows) | free pages | other | **without near-dup fingerprints** | near-dup fingerprints (near table, band index) | all |\n|---|---|---|---|---|---|---|---|---|\n'
    for name in "old-$items" "new-$items" "new-$big" "old-$big"; do
        [ -n "$(bv "$name" total)" ] || continue
        printf '| %s items, %s build | %s | %s | %s | %s | %s | **%s** | %s | %s |\n' "${name#*-}" "${name%%-*}" \
            "$(bv "$name" records)" "$(bv "$name" indexes)" "$(bv "$name" log)" "$(bv "$name" free_pages)" \
            "$(bv "$name" other)" "$(bv "$name" without_near)" "$(bv "$name" near)" "$(bv "$name" with_near)"
    done
    if [ -n "$(wv url-recent best_ms)" ]; then
        printf '\n`why` on the %s-item ledger: inside one process with the ledger open (`bench_why`: the first call, then best and median of 20; opening took %s ms), and as the command (wall ms, process start and ledger open included; best and median of 7; `exante --version` alone: %s ms):\n\n' \
            "$big" "$(iv url-recent open_ms)" "$(wv version best_ms)"
        printf '| query | in process: first ms | best ms | median ms | command: best ms | median ms |\n|---|---|---|---|---|---|\n'
        for q in url-recent url-old url-never digest-recent digest-old digest-never old-url-never; do
            [ -n "$(wv $q best_ms)" ] || continue
            printf '| %s | %s | %s | %s | %s | %s |\n' "$q" "$(iv $q first_ms)" "$(iv $q best_ms)" "$(iv $q median_ms)" "$(wv $q best_ms)" "$(wv $q median_ms)"
        done
        n=$(r "verify-new-$big" 0 wall_s)
        printf '\n`log verify` of the %s-item ledger: %s s wall, %s s per million items; peak RSS %s MiB. Ingest of %s items (no cgroup): %s s wall, %s CPU s per million, peak RSS %s MiB%s.\n' \
            "$big" "$n" "$(permil "$n" "$big")" "$(($(r "verify-new-$big" 0 peak_rss_kib) / 1024))" "$big" \
            "$(r "ingest-new-$big" 0 wall_s)" "$(permil "$(r "ingest-new-$big" 0 cpu_s)" "$big")" \
            "$(($(r "ingest-new-$big" 0 peak_rss_kib) / 1024))" \
            "$([ -n "$(r "ingest-old-$big" 0 cpu_s)" ] && printf '; the old build: %s s wall, %s CPU s per million (new / old: %s)' "$(r "ingest-old-$big" 0 wall_s)" "$(permil "$(r "ingest-old-$big" 0 cpu_s)" "$big")" "$(ratio "$(r "ingest-new-$big" 0 cpu_s)" "$(r "ingest-old-$big" 0 cpu_s)")")"
    fi
    printf '\nRaw:\n\n```\n'; cat "$res"; printf '```\n\n'
} >"$section"
put_section "$out" "## Ledger storage" "$section"
log "wrote the '## Ledger storage' section of $out"
