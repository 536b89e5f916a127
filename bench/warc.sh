#!/usr/bin/env bash
# warc.sh - the WARC reader against the gzip floor and warcio (npm), on a generated file.
#
#   bench/warc.sh [--mb N] [--build-dir DIR] [--keep FILE]
#
#   --mb N           size of the generated WARC, decompressed (default 300)
#   --build-dir DIR  build there (default: a temporary directory, removed at the end)
#   --keep FILE      keep the generated .warc.gz as FILE (reused if it exists)
#
# Steps: build libexante Release and bench_warc; `bench_warc gen` writes a deterministic
# per-record-gzipped WARC of HTML-like responses (with request and metadata records, sha1 block
# and payload digests, 3% chunked, 3% gzip content-encoded); then, on that file:
#   bench_warc read FILE 3                (ex_read_warc, best of 3, every digest checked)
#   bench_warc read FILE 3 --trust-block  (payload digests checked only without a block digest)
#   zcat FILE > /dev/null                 (best of 3: the gzip floor)
#   warcio index FILE > /dev/null         (npm warcio, installed into the temporary directory)
# and prints MB/s (10^6 bytes of decompressed data per second, wall time, one thread) and the
# ratios to the targets: >= 450 MB/s and >= 5x warcio.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
mb=300
build=""
keep=""
while [ $# -gt 0 ]; do
    case "$1" in
    --mb) mb=${2:?--mb needs a number}; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --keep) keep=${2:?--keep needs a file}; shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "warc.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

work=$(mktemp -d "${TMPDIR:-/tmp}/exante-warc.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
[ -n "$build" ] || build="$work/build"
log() { printf '\n== %s\n' "$*" >&2; }

log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
if cmake --build "$build" -j2 --target bench_warc >/dev/null 2>&1; then
    bench="$build/bench/bench_warc"
else # not registered in bench/CMakeLists.txt: compile it against the library
    cmake --build "$build" -j2 --target exante >/dev/null
    bench="$work/bench_warc"
    cc -O2 -D_GNU_SOURCE -I"$src/include" -I"$src/src" "$src/bench/bench_warc.c" \
        "$build/libexante.a" $(pkg-config --libs libcrypto sqlite3 jansson libzstd libisal zlib) \
        -lm -o "$bench"
fi

file=${keep:-$work/bench.warc.gz}
if [ ! -s "$file" ]; then
    log "generating $file ($mb MB decompressed)"
    "$bench" gen "$file" "$mb" | tee "$work/gen.out" >&2
fi

log "bench_warc read (every digest checked)"
"$bench" read "$file" 3 | tee "$work/read.out" >&2
log "bench_warc read --trust-block"
"$bench" read "$file" 3 --trust-block | tee "$work/trust.out" >&2

total=$(j read decompressed_bytes)


log "zcat (best of 3)"
zcat_s=$(best 3 sh -c "zcat '$file' > /dev/null")
echo "zcat: $zcat_s s" >&2

log "installing warcio from npm into $work/npm"
mkdir -p "$work/npm"
(cd "$work/npm" && npm init -y >/dev/null && npm install --no-audit --no-fund warcio >/dev/null)
warcio_v=$(node -p "require('$work/npm/node_modules/warcio/package.json').version")
log "warcio $warcio_v index (1 run)"
warcio_s=$(best 1 sh -c "'$work/npm/node_modules/.bin/warcio' index '$file' > /dev/null")
echo "warcio index: $warcio_s s" >&2

rate() { awk -v b="$total" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
ours=$(j read read_mb_s)
trust=$(j trust read_mb_s)
zr=$(rate "$zcat_s")
wr=$(rate "$warcio_s")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "missed" }'; }

printf '\nfile: %s, %s bytes compressed, %s bytes decompressed, %s items\n' "$file" \
    "$(j read file_bytes)" "$total" "$(j read items)"
printf 'cpu: %s\n\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
printf '| reader | MB/s | vs 450 MB/s | vs warcio |\n|---|---|---|---|\n'
printf '| exante ex_read_warc (all digests) | %s | %s (%s) | %sx (%s) |\n' "$ours" \
    "$(ratio "$ours" 450)" "$(met "$ours" 450)" "$(ratio "$ours" "$wr")" \
    "$(met "$(ratio "$ours" "$wr")" 5)"
printf '| exante, --trust-block | %s | %s (%s) | %sx |\n' "$trust" "$(ratio "$trust" 450)" \
    "$(met "$trust" 450)" "$(ratio "$trust" "$wr")"
printf '| decompression only (ex_instream_read) | %s | | |\n' "$(j read inflate_mb_s)"
printf '| zcat > /dev/null | %s | | %sx |\n' "$zr" "$(ratio "$zr" "$wr")"
printf '| warcio %s index > /dev/null | %s | | 1x |\n' "$warcio_v" "$wr"
