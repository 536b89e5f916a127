#!/usr/bin/env bash
# The PostgreSQL test harness itself (lib.sh's pg_url, scripts/pg-cluster.sh): each pg_url is a
# database of its own that answers, and is gone after the test; a test run without
# EXANTE_TEST_PG (ctest by hand) gets a private cluster that is stopped and removed at its exit.
. "$(dirname "$0")/lib.sh"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

given=${EXANTE_TEST_PG:-}
a=$(pg_url "Harness-A") || exit 1
b=$(pg_url harness_b) || exit 1
admin=$(pg_admin_url)
[ "$a" != "$b" ] && ok || bad "pg_url gave the same URI twice: $a"
da=$(q "$a" -c 'select current_database()')
db=$(q "$b" -c 'select current_database()')
[ -n "$da" ] && [ "$da" != "$db" ] && ok || bad "one database behind two URIs: '$da' '$db'"
[[ $da =~ ^harness_a_$$_[0-9]+$ ]] && ok || bad "database name '$da' is not NAME_PID_N in [a-z0-9_]"
[ "$(q "$a" -c 'select 1')" = 1 ] && ok || bad "$a does not answer"
[ "$(q "$b" -c 'select 1')" = 1 ] && ok || bad "$b does not answer"
# a table in one is not in the other
q "$a" -c 'create table t (x int); insert into t values (7)' && ok || bad "create table in $da"
[ "$(q "$a" -c 'select x from t')" = 7 ] && ok || bad "table t not readable in $da"
[ "$(q "$b" -c "select count(*) from pg_tables where tablename = 't'")" = 0 ] && ok || bad "table t of $da is in $db"
# a given EXANTE_TEST_PG (ctest passes its environment on) is the cluster the databases are in
if [ -n "$given" ]; then
    [ "$admin" = "$given" ] && ok || bad "pg_admin_url '$admin' is not EXANTE_TEST_PG '$given'"
    [ "$(q "$given" -c "select count(*) from pg_database where datname in ('$da', '$db')")" = 2 ] && ok ||
        bad "the databases are not in EXANTE_TEST_PG's cluster"
fi

# another test's databases are dropped when it exits
# inner URI : a test with EXANTE_TEST_PG=URI making a database; prints its $T, database, URI
inner() {
    EXANTE_TEST_PG=$1 bash -c '. "$SRC/tests/cli/lib.sh"; u=$(pg_url inner) || exit 1
        echo "$T $(psql -X -At "$u" -c "select current_database()") $u"'
}
read -r it idb iu <<<"$(inner "$admin")"
[ -n "$idb" ] && ok || bad "pg_url in a test of its own failed"
[ "$(q "$admin" -c "select count(*) from pg_database where datname = '$idb'")" = 0 ] && ok ||
    bad "a test's database $idb outlived it"
[ -n "$it" ] && [ ! -e "$it" ] && ok || bad "a test's directory '$it' outlived it"
# without EXANTE_TEST_PG a test starts a private cluster, stopped and removed at its exit
read -r it idb iu <<<"$(inner "")"
case $iu in *"host=$it/pg/sock"*) ok ;; *) bad "no private cluster in the test's directory: '$iu'" ;; esac
[ -n "$idb" ] && [ ! -e "$it" ] && ok || bad "the private cluster's directory '$it' outlived its test"
live=0 # processes with the data directory on their command line (a zombie has none)
for c in /proc/[0-9]*/cmdline; do
    [[ $(tr '\0' ' ' 2>/dev/null <"$c") == *"$it/pg/data"* ]] && live=$((live + 1))
done
[ "$live" = 0 ] && ok || bad "$live processes of the private cluster outlived its test"
finish
