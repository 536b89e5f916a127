#!/usr/bin/env bash
# with-pg.sh CMD ARGS... : run CMD with EXANTE_TEST_PG naming a PostgreSQL maintenance database
# (libpq URI) that the tests make their databases in. A reachable EXANTE_TEST_PG is used as it
# is; otherwise a temporary cluster (scripts/pg-cluster.sh) serves CMD and is stopped and
# removed however CMD ends: exit, failure, or SIGINT/SIGTERM/SIGHUP to this script. CMD's
# exit status is this script's (128+N after signal N).
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 CMD ARGS..." >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ -n "${EXANTE_TEST_PG:-}" ]; then
  if psql -X -q -At -c 'select 1' "$EXANTE_TEST_PG" >/dev/null 2>&1; then exec "$@"; fi
  echo "with-pg: EXANTE_TEST_PG=$EXANTE_TEST_PG does not answer; starting a temporary cluster" >&2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/exante-pg-XXXXXX")
child=""
cleanup() {
  trap '' HUP INT TERM # a second signal must not cut the cleanup short
  # a CMD still running (this script was signalled) is asked to end, killed after 10 s
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null || true
    for _ in $(seq 100); do [ -n "$(jobs -rp)" ] || break; sleep 0.1; done
    kill -KILL "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  bash "$here/pg-cluster.sh" stop "$dir" || true
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

EXANTE_TEST_PG=$(bash "$here/pg-cluster.sh" start "$dir")
export EXANTE_TEST_PG
echo "with-pg: PostgreSQL test cluster in $dir (EXANTE_TEST_PG=$EXANTE_TEST_PG)" >&2
# CMD in the background, so that a signal here is handled at once rather than when CMD ends;
# <&0 keeps this script's stdin (a background command would get /dev/null), if it has one
if { true <&0; } 2>/dev/null; then "$@" <&0 & else "$@" </dev/null & fi
child=$!
rc=0
wait "$child" || rc=$?
child=""
exit "$rc"
