#!/usr/bin/env bash
# gen-dicts.sh - train the zstd dictionaries that item and decision records are stored with.
#
#   scripts/gen-dicts.sh EXANTE OUTDIR
#
# EXANTE is an exante binary, OUTDIR gets items.dict and decisions.dict. Needs sqlite3, xxd,
# shuf and zstd (Debian packages sqlite3, xxd, coreutils, zstd).
#
# The dictionaries in data/zstd/ are part of the ledger format: every record packed with one
# names it by its dictionary id (1 items, 2 decisions) and must stay readable, so they are
# never edited in place (tests/unit/test_pack.c pins their SHA-256). A better dictionary
# would get new ids, and readers keep the old ones. This script records how the shipped ones
# were made (with exante at commit 4f89ad9, whose records were not yet packed) and makes the
# next ones the same way. Run with a later exante it trains on a somewhat different sample
# corpus (its revisits carry WARC-Refers-To since) and so prints other digests: expected.
#
# Training data: what a user's ledger holds, not the benchmarks' data: two ledgers of the
# sample corpus (`exante sample`, 40,000 and 20,000 items, seeds 1 and 7): one under the
# policy of POLICY.md with the crawl's robots.txt / tdmrep.json captures logged, an opt-out and
# a reevaluation (admit, reject and superseding decisions), one with no policy (pending
# decisions). 20,000 records of each table, drawn with a fixed seed; 16 KiB dictionaries.
set -euo pipefail

exante=$(realpath "${1:?usage: gen-dicts.sh EXANTE OUTDIR}")
out=$(realpath "${2:?usage: gen-dicts.sh EXANTE OUTDIR}")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

mkdir A B
(
    cd A
    "$exante" sample --out corp --items 40000 --seed 1 >/dev/null
    "$exante" init >/dev/null
    cat >policy.txt <<'POLICY'
# exante policy (the example of ../shared/POLICY.md, as the demo adopts it)
name   commercial-lm-2026
agents GPTBot CCBot ClaudeBot Google-Extended
near   0.8

reject optout
reject tdm-reserved
reject robots-disallowed
reject noai
reject source ml-use=prohibited
admit  source agreement
reject license CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-NC-ND-4.0
admit  license MIT Apache-2.0 BSD-2-Clause BSD-3-Clause CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
POLICY
    "$exante" policy adopt policy.txt >/dev/null
    "$exante" source add web --kind crawl >/dev/null
    "$exante" source add shards --kind public-dataset --license CC-BY-4.0 >/dev/null
    "$exante" signals add corp/crawl.warc.gz >/dev/null
    "$exante" -q ingest --source web corp/crawl.warc.gz >/dev/null
    "$exante" -q ingest --source shards corp/corpus.jsonl.zst >/dev/null
    "$exante" optout add --domain news.example.com --holder "News Co" >/dev/null
    "$exante" -q reevaluate >/dev/null
)
(
    cd B
    "$exante" sample --out corp --items 20000 --seed 7 >/dev/null
    "$exante" init >/dev/null
    "$exante" source add web --kind crawl >/dev/null
    "$exante" source add shards --kind public-dataset >/dev/null
    "$exante" -q ingest --source web corp/crawl.warc.gz >/dev/null
    "$exante" -q ingest --source shards corp/corpus.jsonl.zst >/dev/null
)

# one file per record; packed records (zstd frames, from a build that packs) are unpacked
# with the dictionaries they name
dump() { # table dictionary-file
    mkdir -p "$1"
    for db in A/.exante/ledger.db B/.exante/ledger.db; do
        sqlite3 -readonly "$db" "SELECT hex(record) FROM $1"
    done | shuf -n 20000 --random-source=<(yes) | {
        n=0
        while read -r hex; do
            n=$((n + 1))
            if [ "${hex:0:2}" = 7B ]; then
                xxd -r -p <<<"$hex" >"$1/$n"
            else
                xxd -r -p <<<"$hex" >"$1/$n.zst"
            fi
        done
    }
    if ls "$1"/*.zst >/dev/null 2>&1; then
        zstd -q -d --rm -D "$2" "$1"/*.zst
    fi
}
dump items "$here/../data/zstd/items.dict"
dump decisions "$here/../data/zstd/decisions.dict"
zstd -q -f --train items/* -o "$out/items.dict" --maxdict=16384 --dictID=1
zstd -q -f --train decisions/* -o "$out/decisions.dict" --maxdict=16384 --dictID=2
sha256sum "$out/items.dict" "$out/decisions.dict"
