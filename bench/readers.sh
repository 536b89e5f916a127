#!/usr/bin/env bash
# readers.sh - the ledger's full readers on blocks against the build before them: `snapshot
# create` (every item's latest decision, newest first) and `decisions` (every decision as
# JSONL), wall, CPU and peak RSS, on ledgers of the same file; written to bench/RESULTS.md
# ("## Ledger readers").
#
#   bench/readers.sh --old-build DIR [--build-dir DIR] [--out FILE] [--items N] [--keep]
#
#   --old-build DIR  a Release build of the build before blocks (c4e171e), DIR/exante
#   --build-dir DIR  build this tree (Release) there (default: a temporary directory)
#   --items N        `bench_ingest gen-small` items (default 1000000)
#
# Each build ingests the items into a fresh ledger (bench/ledger.sh's policy), then runs each
# reader twice under /usr/bin/time; the faster run is reported. The two builds' `decisions`
# output must be the same bytes (the records are: blocks give back what went in).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

argv="$*"
build=""
old_build=""
out="$here/RESULTS.md"
items=1000000
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --old-build) old_build=${2:?--old-build needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --items) items=${2:?--items needs a number}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "readers.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$old_build" ] || { echo "readers.sh: --old-build is needed" >&2; exit 2; }
[ -z "$build" ] || build=$(realpath -m "$build")
old_build=$(realpath -m "$old_build")
out=$(realpath -m "$out")
t_start=$(date +%s)
bench_start readers cmake cc awk md5sum /usr/bin/time
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest >/dev/null
cd "$work"
printf 'reject tdm-reserved\nreject license LicenseRef-proprietary CC-BY-NC-4.0\nadmit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0\nreject *  "no lawful basis recorded"\n' >policy.txt
log "bench_ingest gen-small small.jsonl $items"
"$build/bench/bench_ingest" gen-small small.jsonl "$items" >/dev/null 2>&1
res="$work/res.txt"
: >"$res"
for b in old new; do
    X="$build/exante"
    [ $b = old ] && X="$old_build/exante"
    export EXANTE_DIR="$work/$b"
    "$X" -q init --origin bench.example/readers >/dev/null
    "$X" -q source add s --kind crawl >/dev/null
    "$X" -q policy adopt policy.txt >/dev/null
    log "ingest, $b build"
    "$X" -q ingest --source s small.jsonl >/dev/null
    for r in 1 2; do
        log "snapshot create, $b build, run $r"
        /usr/bin/time -f "$b snapshot %e %U %S %M" -o t.txt "$X" -q snapshot create "s$r" >/dev/null
        cat t.txt >>"$res"
        log "decisions, $b build, run $r"
        /usr/bin/time -f "$b decisions %e %U %S %M" -o t.txt "$X" decisions >"dec.$b"
        cat t.txt >>"$res"
    done
    md5sum <"dec.$b" | cut -d' ' -f1 >"md5.$b"
done
same=$(cmp -s md5.old md5.new && echo "the same bytes" || echo "DIFFERENT bytes")
section="$work/section.md"
{
    printf '## Ledger readers\n\n'
    printf 'Written by `bench/readers.sh%s` on %s (%d s); exante commit %s%s against the build before blocks, both Release.\n\n' \
        "${argv:+ $argv}" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $(($(date +%s) - t_start)) \
        "$(git -C "$src" rev-parse --short HEAD)" \
        "$(git -C "$src" status --porcelain | grep -q . && echo ' plus the working tree' || true)"
    printf -- '- machine: %s\n' "$(machine_notes "$work")"
    printf -- '- %s `bench_ingest gen-small` items ingested by each build; each reader run twice, the faster shown; CPU = user + system; the two builds'"'"' `decisions` output: %s\n\n' "$items" "$same"
    printf '| reader | build | wall s | CPU s | peak RSS MiB |\n|---|---|---|---|---|\n'
    for cmd in snapshot decisions; do
        for b in old new; do
            grep "^$b $cmd " "$res" | sort -k3 -n | head -n 1 |
                awk -v c="$cmd" '{ printf "| %s | %s | %.2f | %.2f | %d |\n", c == "snapshot" ? "`snapshot create`" : "`decisions`", $1, $3, $4 + $5, $6 / 1024 }'
        done
    done
    printf '\n'
} >"$section"
put_section "$out" "## Ledger readers" "$section"
log "wrote the '## Ledger readers' section of $out"
