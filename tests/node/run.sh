#!/usr/bin/env bash
# DSSE interoperability both ways with an independent implementation (dsse_interop.mjs:
# @sigstore/core's PAE, Node's Ed25519): exante's envelope verified by Node, Node's envelope
# verified by exante (and its altered copy refused), the shared vector checked by Node.
#
# Needs TEST_ATTEST (the test_attest binary) and SHARED; node_modules comes from
# scripts/install-deps.sh (npm ci here), and its absence fails the test rather than skipping it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${TEST_ATTEST:?set TEST_ATTEST to the test_attest binary}" "${SHARED:?set SHARED}"
command -v node >/dev/null || { echo "node interop: node not found; run scripts/install-deps.sh" >&2; exit 1; }
if [ ! -f "$here/node_modules/@sigstore/core/package.json" ]; then
    echo "node interop: $here/node_modules/@sigstore/core missing; run scripts/install-deps.sh" >&2
    exit 1
fi
tmp="$(mktemp -d "${TMPDIR:-/tmp}/dsse_interop.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# exante signs, node verifies
"$TEST_ATTEST" --envelope "$tmp/exante.json"
node "$here/dsse_interop.mjs" verify "$tmp/exante.json" "$(cat "$tmp/exante.json.pub")"
node "$here/dsse_interop.mjs" vector "$SHARED/vectors/dsse/vectors.json"

# node signs, exante verifies; the altered copy must fail
node "$here/dsse_interop.mjs" sign "$tmp/node.json"
"$TEST_ATTEST" --verify "$tmp/node.json" "$(cat "$tmp/node.json.pub")"
if "$TEST_ATTEST" --verify "$tmp/node.json.bad" "$(cat "$tmp/node.json.pub")" 2>"$tmp/err"; then
    echo "node interop: exante accepted an altered node envelope" >&2
    exit 1
fi
grep -q "does not verify" "$tmp/err" || { echo "node interop: unexpected refusal: $(cat "$tmp/err")" >&2; exit 1; }
echo "node interop: ok"
