#!/usr/bin/env bash
# nearproof.sh - near-dup-free proofs at scale, written to bench/RESULTS.md ("## Near-dup-free
# proofs").
#
#   bench/nearproof.sh [--build-dir DIR] [--out FILE] [--items "N ..."] [--proofs K] [--keep]
#
# Builds Release. For each N (default "1000000 10000000"): generates N small JSONL items
# (bench_ingest gen-small: ~25-word texts, every 500th an exact copy), makes a ledger that
# admits everything and ingests them with the exante CLI (which fingerprints every text); then
# times on that ledger: the near tree alone as snapshot create makes it, phase by phase, with
# the peak RSS and heap of its own phases (bench_nearproof build); `snapshot create` whole, near
# tree included (bench_nearproof create, with its peak heap); K proofs of random unrelated texts on an open near tree and
# up to 2,000 of them parsed and verified with the key and the text (bench_nearproof prove);
# `exante prove --near` and `exante verify-proof --text-file` as processes (best of 3); the
# prove of a member's own text (exit 1: every band present, the member found by a pass over
# the ledger's fingerprints); proof sizes; the bytes the near tree takes in the store. Default
# K = 20,000. The 10M ledger takes about 3 GB of JSONL and 6 GB of ledger under
# ${TMPDIR:-/tmp}.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
build=""; out="$here/RESULTS.md"; items="1000000 10000000"; proofs=20000; keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --items) items=${2:?}; shift ;;
    --proofs) proofs=${2:?}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "nearproof.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start nearproof cmake awk sed sqlite3
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli bench_ingest bench_nearproof >/dev/null
X="$build/exante" BI="$build/bench/bench_ingest" BN="$build/bench/bench_nearproof"
t_start=$(date +%s)
printf 'admit * "benchmark: everything"\n' >"$work/policy.txt"
k() { echo "$1" | sed "s/.*\"$2\":\([0-9.]*\).*/\1/"; }
num() { echo "${1%.*}" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
# an unrelated work of 25 words
printf 'the otter and the kestrel walked along the marram dunes past the plover nests while sorrel and tansy grew in the wrack line by the jetty\n' >"$work/work.txt"
rows="" raw=""
for n in $items; do
    d="$work/ledger-$n"
    log "gen-small $n"
    "$BI" gen-small "$work/small.jsonl" "$n" >/dev/null
    head -n 1 "$work/small.jsonl" | sed 's/.*"text":"\([^"]*\)".*/\1/' | tr -d '\n' >"$work/member.txt"
    EXANTE_DIR=$d "$X" -q init >/dev/null
    EXANTE_DIR=$d "$X" -q source add s --kind other >/dev/null
    EXANTE_DIR=$d "$X" -q policy adopt "$work/policy.txt" >/dev/null
    log "ingest $n"
    t0=$(date +%s.%N)
    EXANTE_DIR=$d "$X" -q ingest --source s "$work/small.jsonl" >/dev/null
    ingest_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
    rm -f "$work/small.jsonl"
    log "near tree alone, $n"
    nb=$("$BN" build "$d")
    echo "$nb" >&2
    log "snapshot create, $n"
    cr=$("$BN" create "$d" s)
    echo "$cr" >&2
    log "proofs, $n"
    pr=$("$BN" prove "$d" s "$proofs")
    echo "$pr" >&2
    export EXANTE_DIR=$d
    "$X" -q prove s --text-file "$work/work.txt" --near >"$work/p.json"
    prove_s=$(best 3 "$X" -q prove s --text-file "$work/work.txt" --near)
    verify_s=$(best 3 "$X" -q verify-proof "$work/p.json" --text-file "$work/work.txt")
    t0=$(date +%s.%N)
    rc=0
    EXANTE_DIR=$d "$X" prove s --text-file "$work/member.txt" --near >/dev/null 2>"$work/dup.err" || rc=$?
    dup_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    [ "$rc" = 1 ] || { echo "nearproof.sh: prove of a member's text exited $rc" >&2; cat "$work/dup.err" >&2; exit 1; }
    named=$(grep -c 'held by member' "$work/dup.err" || true)
    near_bytes=$(sqlite3 "$d/ledger.db" "SELECT coalesce(sum(length(record)), 0) FROM snapleaves WHERE key < 0")
    dig_bytes=$(sqlite3 "$d/ledger.db" "SELECT coalesce(sum(length(record)), 0) FROM snapleaves WHERE key >= 0")
    leaves=$(k "$nb" leaves) members=$(k "$nb" members)
    rows="$rows| $(num "$members") members, $(num "$leaves") leaves (ingest $ingest_s s) "
    rows="$rows| $(k "$cr" seconds) s, RSS $(k "$cr" peak_rss_mib) MiB, heap $(k "$cr" peak_anon_mib) MiB "
    rows="$rows| $(k "$nb" near_s) s (read $(k "$nb" collect_s) + sort and hash $(k "$nb" finish_s)); members with items $(k "$nb" members_s) s "
    rows="$rows| heap $(k "$nb" near_peak_anon_mib) MiB ($(k "$nb" anon_before_mib) before: +$(awk -v a="$(k "$nb" near_peak_anon_mib)" -v b="$(k "$nb" anon_before_mib)" 'BEGIN { printf "%.1f", a - b }')); RSS $(k "$nb" near_peak_rss_mib) ($(k "$nb" rss_before_mib) before) "
    rows="$rows| $(mib "$near_bytes") MiB ($(awk -v a="$near_bytes" -v b="$leaves" 'BEGIN { printf "%.2f", a / b }') B/leaf; digests $(mib "$dig_bytes") MiB) "
    rows="$rows| $(num "$(k "$pr" prove_per_s)")/s (open $(k "$pr" open_s) s) "
    rows="$rows| $(num "$(k "$pr" verify_per_s)")/s "
    rows="$rows| $(k "$pr" bytes_per_proof) B (max $(k "$pr" bytes_max)) "
    rows="$rows| $prove_s s / $verify_s s "
    rows="$rows| $dup_s s ($named bands named) |"$'\n'
    raw="$raw$nb"$'\n'"$cr"$'\n'"$pr"$'\n'"{\"bench\":\"near-cli\",\"items\":$n,\"prove_s\":$prove_s,\"verify_s\":$verify_s,\"dup_prove_s\":$dup_s,\"bands_named\":$named,\"near_bytes\":$near_bytes,\"digest_bytes\":$dig_bytes,\"proof_file_bytes\":$(wc -c <"$work/p.json")}"$'\n'
    [ "$keep" = 1 ] || rm -rf "$d"
done
section="$work/section.md"
{
    printf '## Near-dup-free proofs\n\n'
    printf 'Written by `bench/nearproof.sh --items "%s" --proofs %s` on %s (%s min); %s cores, %s; exante commit %s plus the working tree, Release build; load average at the end %s (the machine is shared).\n\n' \
        "$items" "$proofs" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$((($(date +%s) - t_start) / 60))" "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(git -C "$src" rev-parse --short HEAD)" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'Ledgers of small items (`bench_ingest gen-small`: ~25-word texts, every 500th an exact copy; `admit *`), each text fingerprinted at ingest (k 112, 14 bands). The near tree holds one leaf per distinct (band, band key) of the members: 14 per member here.\n\n'
    printf -- '- **create**: `snapshot create` whole (digest tree and near tree, stored; `bench_nearproof create`), its peak RSS and the peak of its heap (RssAnon sampled every 2 ms: RSS also counts the database pages SQLite maps, up to 4 GiB, which the kernel reclaims at will).\n'
    printf -- '- **near tree**: the near tree alone as create makes it (not stored): reading the near table into buckets, then sorting each bucket and hashing (blocks of 64 leaves on two threads); and the members with their items, which create needs for it (digests sorted with their items).\n'
    printf -- '- **its memory**: the peak heap during the near phases, with what the heap held before them (the members'"'"' digests and items, which create holds anyway); and the peak RSS (the high-water mark reset before them), mapped database pages included.\n'
    printf -- '- **stored**: the near tree'"'"'s rows (leaves 10 B each, the first of every 256, subtree roots from 64 leaves up), beside the digest leaves.\n'
    printf -- '- **proofs/s**: `ex_snapshot_near_prove_dup` of random unrelated texts (all near-dup-free) on an open tree; **verified/s**: `ex_near_proof_parse` + `ex_near_proof_verify` with the key and the text (the text fingerprinted, the signature checked each time), best of 3 passes over up to 2,000.\n'
    printf -- '- **CLI**: `exante prove S --text-file W --near` and `exante verify-proof P --text-file W`, a process each, best of 3; **member**: `prove --near` of a member'"'"'s own text, exit 1, every band named with the member (a pass over all fingerprints to find it).\n\n'
    printf '| Ledger | create | near tree | its memory | stored | proofs/s | verified/s | proof size | CLI prove / verify | member |\n|---|---|---|---|---|---|---|---|---|---|\n'
    printf '%s' "$rows"
    printf '\nRaw:\n\n```\n%s```\n' "$raw"
} >"$section"
put_section "$out" "## Near-dup-free proofs" "$section"
cat "$section" >&2
