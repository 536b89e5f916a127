#!/usr/bin/env bash
# Install what exante needs to build, test and fuzz on Debian 12 (run as root). Installs
# only the packages that are missing, so repeated runs are quick and need no network.
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config   # toolchain
  libssl-dev                         # OpenSSL libcrypto: SHA-256, Ed25519
  libsqlite3-dev sqlite3             # embedded store; sqlite3 CLI for tamper tests
  libjansson-dev                     # JSON parsing
  libisal-dev libzstd-dev            # gzip (ISA-L igzip) and zstd streams for ingest
  libutf8proc-dev libxxhash-dev      # near-duplicate fingerprints: NFKC + case folding, XXH3
  zlib1g-dev                         # bench/ only: gzip writer of the WARC benchmark
  zstd gzip                          # reference tools in the stream tests
  clang libclang-rt-14-dev           # libFuzzer targets, sanitizers
  golang-go golang-golang-x-mod-dev  # independent C2SP checker (interop test)
  openssl                            # `openssl speed` in bench/
  python3                            # scripts/gen-spdx.sh (the SPDX id table) and its drift test
  publicsuffix                       # export eu-summary: registrable domains (Public Suffix List)
  faketime                           # a fixed clock for the byte-for-byte ledger test (tests/golden)
  postgresql libpq-dev               # PostgreSQL 15 store: libpq; the tests' throwaway server
  chromium                           # headless: renders `exante report`'s page and the dashboard in their tests
  libmicrohttpd-dev                  # exante serve: the HTTP server (epoll, thread pool)
  curl                               # the server's tests talk to it
  wrk nginx                          # bench/serve.sh: load generator, and the static-file peer to beat
  python3-rdflib                     # test_export_bom: Croissant read as JSON-LD, its vocabularies (Turtle)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Node.js and the npm packages of tests/node, pinned in its package-lock.json: @sigstore/core (the
# DSSE interop test), ajv, ajv-formats and ajv-cli (test_export_bom: the SPDX and CycloneDX
# schemas). Machines of this project's kind come with Node.js 20 and npm; elsewhere Debian's
# nodejs and npm are installed. The npm install runs only while node_modules lacks one of the
# packages, so a repeated run needs no network; a failed install fails this script, since the
# tests would fail without it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "installing: nodejs npm" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >&2
fi
nodedir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/node" && pwd)"
missing_npm=0
for m in @sigstore/core ajv ajv-formats ajv-cli; do
  [ -f "$nodedir/node_modules/$m/package.json" ] || missing_npm=1
done
if [ "$missing_npm" = 1 ]; then
  echo "installing: npm packages of tests/node" >&2
  for try in 1 2 3; do
    (cd "$nodedir" && npm ci --no-audit --no-fund --loglevel=error >&2) && break
    [ "$try" -lt 3 ] || { echo "install-deps: npm ci in $nodedir failed" >&2; exit 1; }
    sleep $((try * 5))
  done
fi
