#!/usr/bin/env bash
# snapshot.sh - snapshots at scale, written to bench/RESULTS.md ("## Snapshots").
#
#   bench/snapshot.sh [--build-dir DIR] [--out FILE] [--items N] [--proofs K] [--size-at M,...]
#
# Default K = 200,000. Builds Release; generates N small JSONL items (bench_ingest gen-small:
# every 500th an exact copy), makes a ledger that admits everything (`admit *`) and ingests them
# with the exante CLI; then times, in one run on that ledger: `snapshot create`
# (ex_ledger_snapshot_create) against its physical floor measured beside it (bench_snapshot
# limit: sorting the same number of random digests the way create sorts them plus hashing their
# tree, on one thread as the issue defines it; and the same on two threads, as create runs them,
# for a second ratio), K non-membership proofs on an open snapshot (generation, and the
# library's offline check of up to 20,000 with the key: through an ex_proof_verifier, and 2,000
# one by one as verify-proof does), `exante verify-proof` of one file, and the size of a proof.
# For each M of --size-at (default 1,000,000) other than N it makes a second ledger of M items
# the same way and measures the size of its proofs too. Default N = 10,000,000 (about 3 GB of
# JSONL and a 3 GB ledger under ${TMPDIR:-/tmp}).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
build=""; out="$here/RESULTS.md"; items=10000000; proofs=200000; size_at=1000000
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --items) items=${2:?}; shift ;;
    --proofs) proofs=${2:?}; shift ;;
    --size-at) size_at=${2?}; shift ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "snapshot.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start snapshot cmake awk sed
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest bench_snapshot >/dev/null
X="$build/exante" B="$build/bench/bench_snapshot"
t_start=$(date +%s)
printf 'admit * "benchmark: everything"\n' >"$work/policy.txt"
# ledger DIR M: a ledger of M small items in DIR, everything admitted; ingest seconds to stdout
ledger() {
    log "gen-small $2"
    "$build/bench/bench_ingest" gen-small "$work/small.jsonl" "$2" >/dev/null
    EXANTE_DIR=$1 "$X" -q init >/dev/null
    EXANTE_DIR=$1 "$X" -q source add s --kind other >/dev/null
    EXANTE_DIR=$1 "$X" -q policy adopt "$work/policy.txt" >/dev/null
    log "ingest $2"
    local t0
    t0=$(date +%s.%N)
    EXANTE_DIR=$1 "$X" -q ingest --source s "$work/small.jsonl" >/dev/null
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
    rm -f "$work/small.jsonl"
}
export EXANTE_DIR="$work/ledger"
ingest_s=$(ledger "$EXANTE_DIR" "$items")
log "snapshot create"
create=$("$B" create "$EXANTE_DIR" bench)
echo "$create" >&2
members=$(echo "$create" | sed 's/.*"members":\([0-9]*\).*/\1/')
log "limit $members"
lim=$("$B" limit "$members")
echo "$lim" >&2
log "proofs"
prv=$("$B" prove "$EXANTE_DIR" bench "$proofs")
echo "$prv" >&2
"$X" prove bench --digest sha256:8000000000000000000000000000000000000000000000000000000000000000 >"$work/p.json" 2>/dev/null
vk=$(cat "$EXANTE_DIR/vkey")
vp_s=$(best 3 "$X" verify-proof "$work/p.json" --vkey "$vk")
k() { echo "$1" | sed "s/.*\"$2\":\([0-9.]*\).*/\1/"; }
num() { echo "${1%.*}" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
# proof sizes on other ledgers: "members bytes" lines, and their raw lines
sizes="" sizes_raw=""
for m in ${size_at//,/ }; do
    [ "$m" = "$items" ] && continue
    ledger "$work/ledger-$m" "$m" >/dev/null
    log "snapshot create and proofs, $m items"
    c2=$("$B" create "$work/ledger-$m" bench)
    p2=$("$B" prove "$work/ledger-$m" bench 2000)
    echo "$p2" >&2
    sizes="$sizes$(k "$c2" members) $(k "$p2" bytes_per_proof)"$'\n'
    sizes_raw="$sizes_raw$c2"$'\n'"$p2"$'\n'
    rm -rf "$work/ledger-$m"
done
create_s=$(k "$create" seconds) limit_s=$(k "$lim" limit_s) limit2_s=$(k "$lim" limit2_s)
section="$work/section.md"
{
    printf '## Snapshots\n\n'
    printf 'Written by `bench/snapshot.sh --items %s --proofs %s` on %s (%s min); %s cores, %s; exante commit %s plus the working tree, Release build.\n\n' \
        "$items" "$proofs" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$((($(date +%s) - t_start) / 60))" "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(git -C "$src" rev-parse --short HEAD)"
    printf 'A ledger of %s small items (`admit *`; ingest took %s s), every first occurrence admitted: %s members.\n\n' \
        "$(num "$items")" "$ingest_s" "$(num "$members")"
    printf '`snapshot create` decodes the decisions on two threads (the one that reads them from the\n'
    printf 'store and a worker), sorts the digests on two (split at a sampled median, `qsort` each\n'
    printf 'side) and hashes the tree on two (each half of the root). The limit is single-threaded, as\n'
    printf 'the issue defines it: the same sort and the same tree on one thread. The floor on two\n'
    printf 'threads, as create runs them, is beside it in the second row.\n\n'
    printf '| Measure | Target (issue) | Measured | Ratio | Met? | Peak RSS |\n|---|---|---|---|---|---|\n'
    printf '| `snapshot create`, %s members | ≥ 0.5 × the limit | %s s (limit %s s: sort %s s + tree %s s, one thread) | %s | %s | %s MiB |\n' \
        "$(num "$members")" "$create_s" "$limit_s" "$(k "$lim" sort_s)" "$(k "$lim" root_s)" \
        "$(awk -v a="$limit_s" -v b="$create_s" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$limit_s" -v b="$create_s" 'BEGIN { print (a / b >= 0.5) ? "met" : "**missed**" }')" "$(k "$create" peak_rss_mib)"
    printf '| the same against the floor on two threads | – | %s s (floor %s s: sort %s s + tree %s s) | %s | – | – |\n' \
        "$create_s" "$limit2_s" "$(k "$lim" sort2_s)" "$(k "$lim" root2_s)" \
        "$(awk -v a="$limit2_s" -v b="$create_s" 'BEGIN { printf "%.2f", a / b }')"
    printf '| non-membership proofs generated (`ex_snapshot_prove_dup` on a snapshot opened in %s s) | ≥ 50,000/s | %s/s | %s | %s | %s MiB |\n' \
        "$(k "$prv" open_s)" \
        "$(k "$prv" prove_per_s)" "$(awk -v a="$(k "$prv" prove_per_s)" 'BEGIN { printf "%.2f", a / 50000 }')" \
        "$(awk -v a="$(k "$prv" prove_per_s)" 'BEGIN { print (a >= 50000) ? "met" : "**missed**" }')" "$(k "$prv" peak_rss_mib)"
    printf '| proofs verified by the library (%s of them through one `ex_proof_verifier`: parse + every step, the checkpoint signature checked %s time(s) in all; best of 3 passes, the slowest %s/s) | ≥ 50,000/s | %s/s | %s | %s | – |\n' \
        "$(k "$prv" verified)" "$(k "$prv" signatures)" "$(k "$prv" verify_worst_per_s)" \
        "$(k "$prv" verify_per_s)" "$(awk -v a="$(k "$prv" verify_per_s)" 'BEGIN { printf "%.2f", a / 50000 }')" \
        "$(awk -v a="$(k "$prv" verify_per_s)" 'BEGIN { print (a >= 50000) ? "met" : "**missed**" }')"
    printf '| proofs verified one by one (%s; `ex_log_proof_parse` + `ex_log_proof_verify`, the signature each time) | – | %s/s | – | – | – |\n' \
        "$(k "$prv" verified_each)" "$(k "$prv" verify_each_per_s)"
    printf '| `exante verify-proof FILE` (a process per file, best of 3) | – | %s s | – | – | – |\n' "$vp_s"
    printf '| proof size, %s members | – | %s bytes | – | – | – |\n' "$(num "$members")" "$(k "$prv" bytes_per_proof)"
    while read -r m b; do
        [ -n "$m" ] && printf '| proof size, %s members (a second ledger) | – | %s bytes | – | – | – |\n' "$(num "$m")" "$b"
    done <<<"$sizes"
    printf '\nRaw:\n\n```\n%s\n%s\n%s\n%s```\n' "$create" "$lim" "$prv" "$sizes_raw"
} >"$section"
put_section "$out" "## Snapshots" "$section"
cat "$section" >&2
