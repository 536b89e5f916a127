#!/usr/bin/env bash
# run.sh - build the benchmarks (Release), run them all in one go and write a results table.
#
#   bench/run.sh [--quick] [--build-dir DIR] [--out FILE] [--serve]
#
#   --quick          100k / 1M entries instead of 1M / 10M, fewer hashes and proofs
#   --build-dir DIR  build there (default: a temporary directory, removed at the end)
#   --out FILE       results file (default: bench/RESULTS.md, or bench/RESULTS-quick.md
#                    with --quick, so that a quick check never overwrites the full results)
#   --serve          then bench/serve.sh (exante serve against nginx, about 3 minutes) with the
#                    same build directory and results file
#
# Steps: `openssl speed -evp sha256 -bytes 64 -seconds 3` (the hashing limit), bench_log hash,
# bench_log append at two sizes in memory and durable (batches of 10000; the larger durable
# ledger is kept and reused), bench_log prove on that ledger. Temporary ledgers (a full run
# writes a few GB) live under ${TMPDIR:-/tmp} and are removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

quick=0
serve=0
build=""
out=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --serve) serve=1 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$quick" = 1 ]; then
    small=100000 large=1000000 nhash=2000000 nproof=100000
    : "${out:=$here/RESULTS-quick.md}"
else
    small=1000000 large=10000000 nhash=10000000 nproof=1000000
    : "${out:=$here/RESULTS.md}"
fi
batch=10000

work=$(mktemp -d "${TMPDIR:-/tmp}/exante-bench.XXXXXX")
tmp_build=0
if [ -z "$build" ]; then
    build="$work/build"
    tmp_build=1
fi
cleanup() {
    rm -rf "$work" # ledgers (and the build, when temporary)
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\n== %s\n' "$*" >&2; }

log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_log >/dev/null
bench="$build/bench/bench_log"
[ -x "$bench" ] || { echo "run.sh: $bench was not built" >&2; exit 1; }

# bench_log makes its temporary ledgers under $TMPDIR: keep them inside $work, so that the exit
# trap removes them whatever happens
export TMPDIR="$work"
fstype=$(df -T "$work" 2>/dev/null | awk 'NR == 2 { print $2 }')

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

# ---- measurements --------------------------------------------------------------------------
run openssl openssl speed -evp sha256 -bytes 64 -seconds 3 2>/dev/null
run hash "$bench" hash "$nhash"
run mem_small "$bench" append "$small" memory "$batch"
run mem_large "$bench" append "$large" memory "$batch"
run dur_small "$bench" append "$small" durable "$batch"
run dur_large "$bench" append "$large" durable "$batch" --keep "$work/ledger"
run prove "$bench" prove "$work/ledger" "$nproof"
du_ledger=$(du -sb "$work/ledger" | cut -f1)
rm -rf "$work/ledger"

# ---- results ------------------------------------------------------------------------------
# openssl prints "The 'numbers' are in 1000s of bytes per second processed." then
# "sha256  500674.18k": 1000s of bytes/s at 64 bytes -> hashes/s = bytes/s / 64
ossl_kbs=$(awk 'tolower($1) == "sha256" { v = $NF; sub(/k$/, "", v); print v }' "$work/openssl.out" | tail -n1)
[ -n "$ossl_kbs" ] || { echo "run.sh: cannot parse openssl speed output" >&2; cat "$work/openssl.out" >&2; exit 1; }
ossl=$(awk -v k="$ossl_kbs" 'BEGIN { printf "%.0f", k * 1000 / 64 }')

# num X: 1234567.8 -> 1,234,568
num() {
    awk -v x="$1" 'BEGIN {
        s = sprintf("%.0f", x); neg = s ~ /^-/; if (neg) s = substr(s, 2)
        o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        printf "%s%s%s", neg ? "-" : "", s, o }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "**missed**" }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
human() { awk -v n="$1" 'BEGIN { if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6; else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n / 1e3; else printf "%d", n }'; }

hash_target=$(awk -v o="$ossl" 'BEGIN { printf "%.0f", 0.7 * o }')
hash_rss="$(j hash peak_rss_mib) MiB"

# row MEASURE SIZE TARGET_TEXT TARGET VALUE RSS
row() {
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(num "$5")" \
        "$(ratio "$5" "$4")" "$(met "$5" "$4")" "$6"
}
# hrow MEASURE VALUE: hashing rows, ratio to the openssl limit, target 0.7
hrow() {
    local r
    r=$(ratio "$2" "$ossl")
    printf '| %s | 64 B | ≥ 0.7 × openssl = %s/s | %s | %s of openssl | %s | %s |\n' "$1" \
        "$(num "$hash_target")" "$(num "$2")" "$r" "$(met "$2" "$hash_target")" "$hash_rss"
}
arows() { # arows NAME MODE TARGET
    local n; n=$(human "$(j "$1" n)")
    row "append, $2, overall" "$n" "≥ $(num "$3")/s" "$3" "$(j "$1" entries_per_s)" "$(j "$1" peak_rss_mib) MiB"
    row "append, $2, last 10%" "$n" "≥ $(num "$3")/s" "$3" "$(j "$1" last10_entries_per_s)" "$(j "$1" peak_rss_mib) MiB"
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
[ -n "$cpu" ] || cpu=$(uname -p)
sqlite_v=$(pkg-config --modversion sqlite3 2>/dev/null || echo "?")
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo "?")

{
    printf '# exante benchmark results%s\n\n' "$([ "$quick" = 1 ] && echo ' (quick run)')"
    printf 'Written by `bench/run.sh%s` on %s.\n\n' "$([ "$quick" = 1 ] && echo ' --quick')" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf -- '- machine: `uname -m` = %s, CPU: %s, %s cores, %s RAM, kernel %s\n' \
        "$(uname -m)" "$cpu" "$(nproc)" "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)"
    printf -- '- software: %s; SQLite %s; %s; exante %s (commit %s), Release build\n' \
        "$(openssl version)" "$sqlite_v" "$(cc --version | head -n1)" "$(sed -n 's/^#define EX_VERSION "\(.*\)"/\1/p' "$src/include/exante.h")" "$commit"
    printf -- '- entries: %s bytes each (distinct JSON-like records); appends in batches of %s, one `ex_log_append` (one committed transaction, with its signed checkpoint) per batch\n' \
        "$(j mem_small entry_bytes)" "$batch"
    printf -- '- durable = `ex_ledger_init` with `durable=1` (WAL, `synchronous=FULL`) in a temporary directory on %s (%s); memory = `in_memory=1`\n' "$(dirname "$work")" "${fstype:-?}"
    printf -- '- proofs: uniformly random leaf indexes (fixed seed) at the full size of the durable ledger, opened with `read_only=1` right after it was written (warm OS page cache); verification timing covers `ex_merkle_verify_inclusion` only\n'
    printf -- '- rates count only the time inside the measured library calls; peak RSS is `getrusage` `ru_maxrss` of that bench process\n\n'

    printf '| Measure | Size | Target (issue) | Measured (/s) | Ratio | Met? | Peak RSS |\n'
    printf '|---|---|---|---|---|---|---|\n'
    printf '| SHA-256, `openssl speed -evp sha256` | 64 B | (the limit) | %s | 1.00 of openssl | – | – |\n' "$(num "$ossl")"
    printf '| SHA-256, `ex_sha256_digest` | 64 B | (reference) | %s | %s of openssl | – | %s |\n' \
        "$(num "$(j hash sha256_64_per_s)")" "$(ratio "$(j hash sha256_64_per_s)" "$ossl")" "$hash_rss"
    hrow 'leaf hash `ex_merkle_leaf`' "$(j hash leaf_per_s)"
    hrow 'node hash `ex_merkle_node`' "$(j hash node_per_s)"
    hrow 'leaf+node, combined' "$(j hash leaf_node_per_s)"
    arows mem_small "in memory" 1000000
    arows mem_large "in memory" 1000000
    arows dur_small "durable" 100000
    arows dur_large "durable" 100000
    ps=$(human "$(j prove size)")
    row "inclusion proof generation \`ex_log_prove_inclusion\`" "$ps" "≥ 100,000/s" 100000 "$(j prove proofs_per_s)" "$(j prove peak_rss_prove_mib) MiB"
    row "inclusion proof verification \`ex_merkle_verify_inclusion\`" "$ps" "≥ 150,000/s" 150000 "$(j prove verifications_per_s)" "$(j prove peak_rss_mib) MiB"
    printf '\nRatio: measured / target; for hashing, measured / `openssl speed` (target 0.70).\n\n'
    printf 'In memory, the whole database lives in the process heap (Storage below), so those rates include\n'
    printf 'the first-touch page faults of all that memory; on VMs that back guest memory lazily these cost\n'
    printf 'several microseconds per 4 KiB page and can take a large share of the time at 10M entries.\n'
    printf 'The Append details table gives the system CPU time and minor page faults of each run.\n'
    printf 'Durable rates depend on the disk'"'"'s fsync latency (one fsync-ed commit per batch).\n\n'

    printf '## Append details\n\n'
    printf '| Mode | Entries | Time in appends | Wall | System CPU | Minor faults | Worst batch | Close | Storage | Peak RSS |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|\n'
    for r in mem_small mem_large dur_small dur_large; do
        if [ "$(j $r mode)" = memory ]; then
            st="$(mib "$(j $r db_bytes)") (SQLite heap)"
        else
            st="$(mib "$(j $r db_bytes)") (files; $(mib "$(j $r db_bytes_after_close)") after close)"
        fi
        printf '| %s | %s | %.2f s | %.2f s | %.2f s | %s | %.3f s | %.3f s | %s | %s MiB |\n' "$(j $r mode)" \
            "$(human "$(j $r n)")" "$(j $r append_s)" "$(j $r wall_s)" "$(j $r sys_s)" \
            "$(num "$(j $r minor_faults)")" "$(j $r worst_batch_s)" \
            "$(j $r close_s)" "$st" "$(j $r peak_rss_mib)"
    done
    printf '\nKept durable ledger directory before removal: %s. Proofs: %s in %.2f s, %.1f hashes each on average; verifications: %.2f s.\n\n' \
        "$(mib "$du_ledger")" "$(num "$(j prove n)")" "$(j prove prove_s)" "$(j prove avg_proof_hashes)" "$(j prove verify_s)"

    printf '## Commands\n\n```sh\n'
    printf '%s\n' "${cmds[@]}" | sed "s|$work|\$WORK|g; s|$src/||g"
    printf '```\n\n`$WORK` is a temporary directory (`mktemp -d`), removed at the end; `bench_log` was built with `cmake -DCMAKE_BUILD_TYPE=Release`%s.\n\n' \
        "$([ "$tmp_build" = 1 ] && echo ' in $WORK/build' || echo " in $build")"

    printf '## Raw output\n\n```\n'
    sed -n '/^sha256\|^type\|numbers/Ip' "$work/openssl.out"
    for r in hash mem_small mem_large dur_small dur_large prove; do cat "$work/$r.out"; done
    printf '```\n'
} >"$out.new"
# sections written by other scripts (bench/ingest.sh: "## Ingest") are kept
if [ -f "$out" ]; then
    sed -n '/^## Ingest/,$p' "$out" >>"$out.new"
fi
mv "$out.new" "$out"

log "wrote $out"
cat "$out" >&2
# its own section ("## exante serve vs nginx (tiles, loopback)"), kept by the next run as above
if [ "$serve" = 1 ]; then
    log "bash bench/serve.sh $build --out $out"
    bash "$here/serve.sh" "$build" --out "$out"
fi
