#!/usr/bin/env bash
# pg-cluster.sh start DIR | stop DIR : a throwaway PostgreSQL 15 cluster for the tests.
#   start: initdb in DIR/data, serve on a Unix socket in DIR/sock only (no TCP), log to DIR/log;
#          print the libpq URI of its `postgres` maintenance database on stdout.
#   stop:  stop the server and remove DIR; does nothing if there is none (never fails).
# initdb and pg_ctl refuse root: as root they run as the unprivileged `postgres` system user
# (Debian's `postgresql` package creates it), DIR then owned by it; otherwise as the caller.
# PG_FSYNC=on starts the server with fsync on (durable commits, as in production: the
# benchmarks use it); the default, off, is for tests, whose clusters are thrown away.
set -euo pipefail
usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in /*) ;; *) dir="$PWD/$dir" ;; esac
PORT=5432 # no TCP: the port only names the socket file, DIR/sock/.s.PGSQL.5432

# the server's binaries: pg_config's, else Debian's PostgreSQL 15 (no reliance on /usr/local/bin)
bindir=""
for b in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/15/bin; do
  if [ -n "$b" ] && [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ]; then bindir=$b; break; fi
done

# as_owner USER CMD... : CMD as USER (the caller when not root), from DIR (USER may not
# be able to enter the caller's working directory)
as_owner() {
  local u=$1
  shift
  if [ "$(id -u)" -eq 0 ] && [ "$u" != root ]; then
    (cd "$dir" && runuser -u "$u" -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

case $cmd in
start)
  [ -n "$bindir" ] || { echo "pg-cluster: no initdb/pg_ctl (install Debian 'postgresql': scripts/install-deps.sh)" >&2; exit 1; }
  fsync=${PG_FSYNC:-off}
  case $fsync in on | off) ;; *) echo "pg-cluster: PG_FSYNC must be on or off, not '$fsync'" >&2; exit 2 ;; esac
  # the path goes into pg_ctl's shell command line and the URI unquoted: keep it plain, and
  # within the 107 bytes of a Unix socket path
  [[ $dir =~ ^[A-Za-z0-9._/+-]+$ ]] || { echo "pg-cluster: unsupported characters in '$dir'" >&2; exit 1; }
  [ $((${#dir} + 20)) -le 107 ] || { echo "pg-cluster: '$dir' is too long for a socket path" >&2; exit 1; }
  [ ! -e "$dir/data" ] || { echo "pg-cluster: $dir/data exists" >&2; exit 1; }
  mkdir -p "$dir/sock"
  if [ "$(id -u)" -eq 0 ]; then
    owner=postgres super=postgres
    id -u postgres >/dev/null 2>&1 || { echo "pg-cluster: no 'postgres' user (install Debian 'postgresql')" >&2; exit 1; }
    chown -R postgres: "$dir"
    # postgres must be able to reach DIR: every parent directory must let others through
    runuser -u postgres -- test -w "$dir" || { echo "pg-cluster: user postgres cannot reach $dir" >&2; exit 1; }
  else
    owner=$(id -un) super=$owner
  fi
  # the socket reachable by any local user (trust auth: these are test-only clusters)
  chmod 755 "$dir" "$dir/sock"
  if ! as_owner "$owner" "$bindir/initdb" -D "$dir/data" -U "$super" --auth=trust --no-sync \
         --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  # fsync=off: a test cluster, thrown away after the run; never for data that matters
  # (PG_FSYNC=on for measurements that should pay for durable commits)
  opts="-c listen_addresses='' -c port=$PORT -c unix_socket_directories='$dir/sock'"
  opts="$opts -c fsync=$fsync -c max_connections=100"
  if ! as_owner "$owner" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -o "$opts" -w -t 60 start >/dev/null; then
    cat "$dir/log" >&2 || true
    exit 1
  fi
  "$bindir/pg_isready" -q -h "$dir/sock" -p "$PORT" -t 30 || { echo "pg-cluster: server not ready" >&2; exit 1; }
  echo "postgresql:///postgres?host=$dir/sock&port=$PORT&user=$super"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  if [ -f "$dir/data/postmaster.pid" ] && [ -n "$bindir" ]; then
    owner=$(stat -c %U "$dir/data")
    # fast: sessions end, a shutdown checkpoint (quick with fsync=off); immediate if that hangs
    as_owner "$owner" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
      as_owner "$owner" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
  fi
  # last resort: a postmaster still serving this data directory (checked by its command line)
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$dir/data"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir" || true
  ;;
*) usage ;;
esac
