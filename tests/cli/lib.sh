# lib.sh - helpers for CLI tests: each test runs the real binary on real files in a
# temporary directory. Sourced by tests/cli/test_*.sh.
set -u
: "${EXANTE:?EXANTE must name the exante binary}"
: "${SHARED:=$(cd "$(dirname "$0")/../../.." && pwd)/shared}"
T=$(mktemp -d "${TMPDIR:-/tmp}/exante-cli-XXXXXX")
# at exit: the PostgreSQL databases pg_url made (or its private cluster), then $T. A test
# with more to do at exit calls lib_exit from its own trap rather than dropping this one.
lib_exit() {
    if [ -d "$T/pg" ]; then
        bash "$SRC/scripts/pg-cluster.sh" stop "$T/pg"
    elif [ -s "$T/pg.dbs" ] && [ -n "${EXANTE_TEST_PG:-}" ]; then
        local drops=() db
        while read -r db; do drops+=(-c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"); done <"$T/pg.dbs"
        psql -X -q "$EXANTE_TEST_PG" "${drops[@]}" >/dev/null 2>&1
    fi
    rm -rf "$T"
}
trap lib_exit EXIT
trap 'exit 129' HUP # a signalled test cleans up too (bash skips the EXIT trap otherwise)
trap 'exit 130' INT
trap 'exit 143' TERM
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
    if [ "${EXANTE_STORE:-}" = pg ]; then # the ledgers were PostgreSQL's
        [ -s "$T/pg.inits" ] && ok || bad "EXANTE_STORE=pg, but no ledger was made on PostgreSQL"
        echo "$(wc -l <"$T/pg.inits") ledgers on PostgreSQL"
    fi
    echo "$(basename "$0" .sh): $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# pg_admin_url : the libpq URI of the PostgreSQL maintenance database the tests use:
# $EXANTE_TEST_PG (scripts/with-pg.sh sets it for `make test`), else a private cluster in
# $T/pg, started by the first call (a test run by hand with ctest) and stopped at exit. State
# lives in files under $T, so calls in $(...) subshells share it.
pg_admin_url() {
    if [ -n "${EXANTE_TEST_PG:-}" ]; then echo "$EXANTE_TEST_PG"; return 0; fi
    if [ ! -s "$T/pg.uri" ]; then
        chmod 711 "$T" # as root, the cluster's user (postgres) must get through to $T/pg
        bash "${SRC:?SRC must name the project directory}/scripts/pg-cluster.sh" start "$T/pg" >"$T/pg.uri.new" &&
            mv "$T/pg.uri.new" "$T/pg.uri" || return 1
    fi
    cat "$T/pg.uri"
}

# pg_url NAME : a new, empty database, named after NAME, this shell's PID and a counter
# ([a-z0-9_], lowercase), in pg_admin_url's cluster; prints its URI (same host and user).
# Dropped at exit. Fails (status 1, a message on stderr) if it cannot be made:
#   url=$(pg_url store) || exit 1
pg_url() {
    local admin n db
    admin=$(pg_admin_url) || { echo "pg_url: no PostgreSQL cluster" >&2; return 1; }
    touch "$T/pg.dbs"
    n=$(($(wc -l <"$T/pg.dbs") + 1))
    db="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_' '_' | cut -c 1-40)_$$_$n"
    echo "$db" >>"$T/pg.dbs"
    # a database of this name is a dead test's (PIDs are reused): drop it
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$admin" \
        -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$db\"" >/dev/null || { echo "pg_url: cannot create database $db" >&2; return 1; }
    case $admin in
    postgres://* | postgresql://*) # the URI's path is the database name
        echo "$admin" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$db#" ;;
    *) echo "$admin dbname=$db" ;; # a key=value string: the last dbname counts
    esac
}

# EXANTE_STORE=pg (the cli_pg_* tests): the same test on PostgreSQL. $EXANTE becomes a wrapper
# that gives every `init` a database of its own (--db, recorded in the ledger's directory, so
# the test's other commands use it unchanged).
if [ "${EXANTE_STORE:-}" = pg ]; then
    export T SRC EXANTE_TEST_PG
    export -f pg_url pg_admin_url
    pg_admin_url >/dev/null || { echo "no PostgreSQL cluster" >&2; exit 1; }
    export EXANTE_REAL="$EXANTE"
    EXANTE="$T/exante-pg"
    cat >"$EXANTE" <<'WRAP'
#!/usr/bin/env bash
cmd= skip=0
for a in "$@"; do
    if [ $skip = 1 ]; then skip=0; continue; fi
    case $a in -C|--db) skip=1 ;; -*) ;; *) cmd=$a; break ;; esac
done
if [ "$cmd" = init ] && [ -z "${EXANTE_DB:-}" ] && ! printf '%s\n' "$@" | grep -q '^--db'; then
    url=$(pg_url ledger) || exit 3
    echo "$url" >>"$T/pg.inits"
    exec "$EXANTE_REAL" --db "$url" "$@"
fi
exec "$EXANTE_REAL" "$@"
WRAP
    chmod +x "$EXANTE"
fi

# demo_sources : the sample corpus (400 items, seed 3) in s/, and the demo's two sources: web
# (crawl, terms) and bookco (licensed, with an agreement); for tests over a demo-like ledger
demo_sources() {
    expect 0 $EXANTE sample --out s --items 400 --seed 3
    printf 'Terms: no automated collection for training.\n' > terms.txt
    printf 'Licensed to train, evaluate and fine-tune.\n' > agreement.txt
    expect 0 $EXANTE -q source add web --kind crawl --terms terms.txt
    expect 0 $EXANTE -q source add bookco --kind licensed --agreement agreement.txt \
        --license CC-BY-4.0 --ml-use allowed
}

# demo_policy FILE : the demo's policy (robots agents, reservations, sources, licenses) in FILE
demo_policy() {
    cat > "$1" <<'EOF'
name   commercial-lm-2026
agents GPTBot CCBot
reject optout
reject tdm-reserved
reject robots-disallowed
reject noai
reject source ml-use=prohibited
admit  source agreement
reject license CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-NC-ND-4.0
admit  license MIT Apache-2.0 BSD-2-Clause BSD-3-Clause CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
EOF
}
