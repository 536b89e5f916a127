#!/usr/bin/env bash
# Build the independent C2SP interoperability checker (c2sp_check.go).
#
# Usage: tests/interop/run.sh [OUTDIR]
#   Builds OUTDIR/c2sp_check (OUTDIR defaults to a fresh temporary
#   directory) and prints the binary's path on stdout; build chatter goes
#   to stderr. Exits 77 (the automake "skip" code) if the Go toolchain or
#   the golang.org/x/mod sources are not installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gopath="${C2SP_GOPATH:-/usr/share/gocode}"

if ! command -v go >/dev/null 2>&1; then
    echo "interop: 'go' not found in PATH; install Debian package golang-go (skipping)" >&2
    exit 77
fi
for pkg in note tlog; do
    if [ ! -d "$gopath/src/golang.org/x/mod/sumdb/$pkg" ]; then
        echo "interop: $gopath/src/golang.org/x/mod/sumdb/$pkg missing;" \
             "install Debian package golang-golang-x-mod-dev or set C2SP_GOPATH (skipping)" >&2
        exit 77
    fi
done

if [ $# -ge 1 ] && [ -n "$1" ]; then
    outdir="$1"
    mkdir -p "$outdir"
else
    outdir="$(mktemp -d "${TMPDIR:-/tmp}/c2sp_check.XXXXXX")"
fi
outdir="$(cd "$outdir" && pwd)"

# The build cache needs a writable home; fall back to a throwaway one.
cleanup=""
if [ -z "${GOCACHE:-}" ]; then
    cache="$(go env GOCACHE 2>/dev/null || true)"
    if [ -z "$cache" ] || [ "$cache" = off ] || ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
        GOCACHE="$(mktemp -d "${TMPDIR:-/tmp}/c2sp_gocache.XXXXXX")"
        export GOCACHE
        cleanup="$GOCACHE"
    fi
fi
trap '[ -n "$cleanup" ] && rm -rf "$cleanup"' EXIT

# GOPATH mode against the Debian-packaged x/mod sources; no network.
env -u GOFLAGS GO111MODULE=off GOPATH="$gopath" GOPROXY=off GOTOOLCHAIN=local \
    go build -o "$outdir/c2sp_check" "$here/c2sp_check.go" 1>&2

echo "$outdir/c2sp_check"
