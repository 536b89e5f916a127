#!/usr/bin/env bash
# The ledger this build writes for a fixed scenario on the sample corpus (tests/golden/run.sh)
# is byte for byte the one an earlier build wrote (tests/golden/sample.txt.gz): log entries,
# decisions, quarantine reports and item records.
. "$(dirname "$0")/lib.sh"
G="$SRC/tests/golden"

expect 0 bash "$G/run.sh" "$EXANTE" "$EXANTE_SQLITE" "$T/got.txt"
gzip -dc "$G/sample.txt.gz" >"$T/want.txt"
if cmp -s "$T/want.txt" "$T/got.txt"; then ok; else
    bad "the ledger differs from tests/golden/sample.txt.gz: $(diff "$T/want.txt" "$T/got.txt" | head -c 1500)"
fi
# the comparison can fail: one changed byte in a decision is seen
sed '0,/"verdict":"admit"/s//"verdict":"reject"/' "$T/got.txt" >"$T/changed.txt"
if cmp -s "$T/want.txt" "$T/changed.txt"; then bad "a changed verdict went unseen"; else ok; fi
# it is a real ledger: hundreds of decisions of every kind
for v in admit reject duplicate pending; do contains "$T/got.txt" "\"verdict\":\"$v\""; done
[ "$(grep -c '"type":"decision"' "$T/got.txt")" -gt 500 ] && ok || bad "too few decisions"
finish
