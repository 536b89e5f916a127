# lib.sh - helpers for CLI tests: each test runs the real binary on real files in a
# temporary directory. Sourced by tests/cli/test_*.sh.
set -u
: "${EXANTE:?EXANTE must name the exante binary}"
: "${SHARED:=$(cd "$(dirname "$0")/../../.." && pwd)/shared}"
T=$(mktemp -d "${TMPDIR:-/tmp}/exante-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export EXANTE_DIR="$T/ledger"
unset EXANTE_PASSPHRASE
passed=0
failed=0

# sql DB QUERY : sqlite3 on a ledger database, with record(BLOB) (ext/sqlite_record.c) to
# read item and decision records, which are stored packed
sql() {
    sqlite3 -cmd ".load ${EXANTE_SQLITE:?EXANTE_SQLITE must name the exante_sqlite module}" "$@"
}

# damage DB items|decisions ID : cut the last 3 bytes off the block that holds record ID (its
# zstd frame then fails to open: the store names the block and its records)
damage() {
    local f=item_first n=item_n
    [ "$2" = decisions ] && f=dec_first n=dec_n
    sql "$1" "UPDATE blocks SET block = substr(block, 1, length(block) - 3) WHERE id = (SELECT id FROM blocks WHERE $n > 0 AND $f <= $3 ORDER BY $f DESC LIMIT 1)"
}

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect CODE CMD... : run CMD, capture stdout/stderr in $T/out, $T/err, check the exit code
expect() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "'$*' exited $got, want $want; stderr: $(head -c 400 "$T/err")"
    fi
}

# contains FILE TEXT : FILE contains TEXT literally
contains() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks '$2': $(head -c 400 "$1")"; fi
}

finish() {
    echo "$(basename "$0" .sh): $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
