#!/usr/bin/env bash
# The ledger this build writes for a fixed scenario on the sample corpus (tests/golden/run.sh)
# is byte for byte the one an earlier build wrote (tests/golden/sample.txt.gz): log entries,
# decisions, quarantine reports and item records. Then snapshots of that ledger
# (tests/golden/snapshots.sh): their records, members and audits are those an earlier build
# gave (tests/golden/snapshots.txt).
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
# snapshots: run in the same directory, on the ledger run.sh left there
expect 0 bash "$G/snapshots.sh" "$EXANTE" "$T/snap.txt"
if cmp -s "$G/snapshots.txt" "$T/snap.txt"; then ok; else
    bad "the snapshots differ from tests/golden/snapshots.txt: $(diff "$G/snapshots.txt" "$T/snap.txt" | head -c 1500)"
fi
# what they cover: a snapshot naming two policies, opt-outs excluding members, a --from one
contains "$T/snap.txt" '"name":"mixed","near":{"bands":14,'
contains "$T/snap.txt" '"optout_excluded":0,"policies":["sha256:694a75d06c1eab1f85272e109e342ecc002032472b0172882fd14572e0b90e80","sha256:6d4cb6106d6833002c89559456222cc006784856cccbd8691c85b559fcb9bd94"]'
# near trees: every member of the sample corpus has text, so a fingerprint
contains "$T/snap.txt" '"fingerprinted":28,"k":112,'
contains "$T/snap.txt" '"unfingerprinted":0}'
contains "$T/snap.txt" '"optout_excluded":22'
contains "$T/snap.txt" '"parent_dropped":108'
[ "$(grep -c '"ok":true' "$T/snap.txt")" = 4 ] && ok || bad "want 4 audits ok"
finish
