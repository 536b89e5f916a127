#!/usr/bin/env bash
# scale.sh - the shared ledger (PostgreSQL: workers staging, one sequencer deciding and
# logging) against one SQLite ingest, on the same inputs in the same run; written to
# bench/RESULTS.md ("## Shared ledger (PostgreSQL)").
#
#   bench/scale.sh [--items N[,N...]] [--build-dir DIR] [--out FILE] [--keep]
#
#   --items N      `bench_ingest gen-small` items (default 500000); a comma-separated list
#                  runs everything once per size (e.g. 500000,1000000), for the scaling
#   --build-dir D  a Release build (default build-rel): configured there when it has none,
#                  then exante-cli and bench_ingest brought up to date (`cmake --build`)
#   --out FILE     results file (default bench/RESULTS.md)
#   --keep         keep the work directory (and stop the cluster) and say where it is
#
# The items are split into 8 JSONL files (`split -n l/8`) named in a list file; every run
# ingests that list with the defaults (batches of 10,000, one job) under bench/ledger.sh's
# policy. Per size, each run on a fresh ledger:
#   sqlite     one `exante ingest --source s --inputs list` into a SQLite ledger
#   pg-1       a PostgreSQL ledger: `log sequence --follow` started first, then one worker
#              `ingest --inputs list` (no key, a directory of its own, EXANTE_DB); wall from
#              the worker's start until exante.staged is empty
#   pg-2       the same with two workers at once (--shard 0/2 and 1/2)
#   stage-2    two workers with no sequencer running (everything staged), then
#   seq-alone  `exante log sequence` alone on what they staged: the decisions/s against the
#              project's target of 100,000/s; below it, the same staged batches (a copy of the
#              database, CREATE DATABASE ... TEMPLATE) sequenced again under `perf record`
# CPU is user + system from /usr/bin/time for each exante process (the following sequencer is
# stopped with SIGTERM, which it takes as the end of the run), and for the PostgreSQL server
# the difference over the run of /proc/PID/stat utime + stime of the postmaster and its live
# children plus cutime + cstime of the postmaster (the backends that ended meanwhile). The
# server is a cluster of scripts/pg-cluster.sh with PG_FSYNC=on (durable commits) on the same
# machine, its other settings PostgreSQL 15's defaults. Then per ledger: bytes per item
# (PostgreSQL: pg_total_relation_size of each table of schema exante, before and after a
# plain VACUUM; SQLite: ledger.db and its -wal, split by dbstat; both: the index directories
# dedup/, by-url/, near-*/ of the sequencer's directory), `exante log verify` and the number
# of `exante decisions` lines (must be N) with their verdicts (against SQLite's: see
# same_verdicts). About 3 minutes at the default size on 2 cores, 13 more at 2,000,000; the
# databases (about 650 bytes per item before VACUUM) live in the cluster under $work.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

argv="$*"
build="$src/build-rel"
out="$here/RESULTS.md"
sizes=500000
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --items) sizes=${2:?--items needs a number}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "scale.sh: --items takes N or N,N,..." >&2; exit 2; }
build=$(realpath -m "$build")
out=$(realpath -m "$out")
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_start scale cmake cc awk sed split sqlite3 psql pgrep /usr/bin/time
pgdir="$work/pg"
bench_on_exit() {
    local p
    # our own processes still running (a failure mid-run): the sequencer, then the workers
    for p in ${seq_tpid:-} ${wpids:-}; do
        kill -TERM $(pgrep -P "$p" 2>/dev/null) 2>/dev/null || true
    done
    "$src/scripts/pg-cluster.sh" stop "$pgdir" || true
}

# ---- the build ----------------------------------------------------------------------------
X="$build/exante"
GEN="$build/bench/bench_ingest"
# configured when missing; always brought up to date (a no-op when it is), so that the
# commit named in the results is the one measured
[ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
log "building Release in $build"
cmake --build "$build" -j2 --target exante-cli bench_ingest >/dev/null
"$X" log --help 2>&1 | grep -q '^sequence' || { echo "scale.sh: $X has no 'log sequence'" >&2; exit 1; }

# ---- the PostgreSQL cluster: durable commits (fsync on), a Unix socket in $work/pg ----------
chmod 711 "$work" # the server runs as user postgres when we are root: it must reach $pgdir
log "starting PostgreSQL (fsync on) in $pgdir"
admin=$(PG_FSYNC=on "$src/scripts/pg-cluster.sh" start "$pgdir")
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
pgver=$(sql "$admin" -c 'SHOW server_version')
pgset=$(sql "$admin" -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name)
    FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_level', 'shared_buffers',
    'max_wal_size', 'full_page_writes')")
sql "$admin" -c 'ALTER SYSTEM SET log_lock_waits = on' -c 'SELECT pg_reload_conf()' >/dev/null
hz=$(getconf CLK_TCK)
# pg_cpu: CPU seconds of the server so far (see the header)
pg_cpu() {
    local pm
    pm=$(head -n 1 "$pgdir/data/postmaster.pid")
    # processes may end between the glob and the read: cat's complaint is not a failure
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$pm" -v hz="$hz" '
        { pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")  # f[1] = state, field 3 of stat
          if (pid == pm) t += f[12] + f[13] + f[14] + f[15]        # utime stime cutime cstime
          else if (f[2] == pm) t += f[12] + f[13] }
        END { printf "%.2f", t / hz }'
}
# probe0 / probe1: what else slowed a run, from its start (probe0) to its end (probe1 prints
# JSON fields): the seconds in which some task of the machine waited for I/O (PSI,
# /proc/pressure/io "some") and the CPU time the hypervisor took (steal, /proc/stat), both
# machine-wide (other work counts too); from the server's log, the lock waits over
# deadlock_timeout (1 s, log_lock_waits on) and the checkpoints begun
io_some() { awk '/^some/ { sub("total=", "", $5); print $5 }' /proc/pressure/io 2>/dev/null || echo 0; }
steal() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
probe0() { io0=$(io_some) st0=$(steal) log0=$(wc -l <"$pgdir/log"); }
probe1() {
    local io1 st1
    io1=$(io_some) st1=$(steal)
    tail -n +"$((log0 + 1))" "$pgdir/log" | awk -v a="$io0" -v b="$io1" -v s0="$st0" -v s1="$st1" -v hz="$hz" '
        /still waiting for/ { w++ } /checkpoint starting/ { c++ }
        END { printf "\"io_stall_s\":%.2f,\"steal_s\":%.2f,\"lock_waits\":%d,\"checkpoints\":%d", (b - a) / 1e6, (s1 - s0) / hz, w, c }'
}
# quiesce: before a timed run, the server's dirty pages written out (CHECKPOINT) and the
# machine's (sync), so that no run pays for the writes of the one before it (a dropped
# database, the copy made for perf)
quiesce() { sql "$admin" -c CHECKPOINT; sync; }
# db_url NAME: the URI of database NAME in the cluster
db_url() { printf '%s' "$admin" | sed "s|^postgresql:///postgres?|postgresql:///$1?|"; }

cd "$work"
cat >policy.txt <<'EOF'
reject tdm-reserved
reject license LicenseRef-proprietary CC-BY-NC-4.0
admit  license MIT Apache-2.0 CC0-1.0 CC-BY-4.0 CC-BY-SA-4.0
reject *  "no lawful basis recorded"
EOF
res="$work/results.jsonl"
: >"$res"
emit() { tee -a "$res" >&2; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }
# tm FILE: "wall user sys rss" of a /usr/bin/time -f '%e %U %S %M' output file
tm() { tail -n 1 "$1"; }
TF='%e %U %S %M'

# ledger setup, the same for every run: one source, the policy adopted
setup() { # setup DIR [URL]
    EXANTE_DIR="$1" "$X" -q init --origin bench.example/scale ${2:+--db "$2"} >/dev/null
    EXANTE_DIR="$1" "$X" -q source add s --kind crawl >/dev/null
    EXANTE_DIR="$1" "$X" -q policy adopt policy.txt >/dev/null
}
# fresh_pg NAME: database NAME and a ledger in $work/NAME on it; sets $url
fresh_pg() {
    url=$(db_url "$1")
    sql "$admin" -c "CREATE DATABASE $1"
    setup "$work/$1" "$url"
}
# sequencer_up URL: wait (10 s at most) until a sequencer holds its lock on URL's database
sequencer_up() {
    local i
    for i in $(seq 100); do
        [ "$(sql "$1" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")" != 0 ] && return 0
        kill -0 "$seq_tpid" 2>/dev/null || break
        sleep 0.1
    done
    echo "scale.sh: the sequencer did not start: $(cat "$work/seq.err")" >&2
    exit 1
}
# workers NAME URL W: W workers at once (shards of W, or the whole list when W is 1), each
# under /usr/bin/time in a directory of its own with no key; fails if one fails
workers() {
    local name=$1 u=$2 w=$3 s p
    wpids=""
    for s in $(seq 0 $((w - 1))); do
        mkdir -p "$work/$name.w$s"
        EXANTE_DIR="$work/$name.w$s" EXANTE_DB="$u" /usr/bin/time -f "$TF" -o "$name.w$s.time" \
            "$X" -q ingest --source s --inputs list $([ "$w" -gt 1 ] && echo "--shard $s/$w") \
            >"$name.w$s.out" 2>"$name.w$s.err" &
        wpids="$wpids $!"
    done
    for p in $wpids; do
        wait "$p" || { echo "scale.sh: a worker of $name failed: $(cat "$name".w*.err)" >&2; exit 1; }
    done
    wpids=""
}
# worker_cpu NAME: user + system seconds of NAME's workers; worker_rss NAME: the largest peak RSS
worker_cpu() { cat "$1".w*.time | awk '{ t += $2 + $3 } END { printf "%.2f", t }'; }
worker_rss() { cat "$1".w*.time | awk '$4 > m { m = $4 } END { print m + 0 }'; }
staged() { sql "$1" -c 'SELECT count(*) FROM exante.staged'; }
now() { date +%s.%N; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# pg_run N NAME W: a following sequencer, W workers; wall from the workers' start to staged empty
pg_run() {
    local n=$1 name=$2 w=$3 c0 c1 t0 t1 t2 rc
    fresh_pg "$name"
    EXANTE_DIR="$work/$name" /usr/bin/time -f "$TF" -o "$name.seq.time" \
        "$X" -q log sequence --follow >seq.out 2>seq.err &
    seq_tpid=$!
    sequencer_up "$url"
    log "$name: $w worker(s) and a following sequencer, $n items"
    quiesce; probe0; c0=$(pg_cpu) t0=$(now)
    workers "$name" "$url" "$w"
    t1=$(now)
    # every batch is staged once the workers are done: the run ends when the sequencer has
    # logged them all
    while [ "$(staged "$url")" != 0 ]; do
        kill -0 "$seq_tpid" 2>/dev/null || { echo "scale.sh: the sequencer died: $(cat seq.err)" >&2; exit 1; }
        sleep 0.1
    done
    t2=$(now) c1=$(pg_cpu) probe=$(probe1)
    kill -TERM $(pgrep -P "$seq_tpid")
    rc=0; wait "$seq_tpid" || rc=$?
    seq_tpid=""
    [ "$rc" = 0 ] || { echo "scale.sh: the sequencer ended with $rc: $(cat seq.err)" >&2; exit 1; }
    read -r _ su ss srss < <(tm "$name.seq.time")
    printf '{"bench":"scale","items":%s,"run":"%s","workers":%s,"wall_s":%s,"workers_wall_s":%s,"worker_cpu_s":%s,"seq_cpu_s":%s,"pg_cpu_s":%s,"worker_rss_kib":%s,"seq_rss_kib":%s,%s}\n' \
        "$n" "$name" "$w" "$(dt "$t0" "$t2")" "$(dt "$t0" "$t1")" "$(worker_cpu "$name")" \
        "$(add "$su" "$ss")" "$(dt "$c0" "$c1")" "$(worker_rss "$name")" "$srss" "$probe" | emit
}

# pg_bytes N NAME: bytes per item of ledger NAME (PostgreSQL), before and after VACUUM
pg_bytes() {
    local n=$1 name=$2 u when
    u=$(db_url "$name")
    for when in before after; do
        [ "$when" = after ] && sql "$u" -c 'VACUUM'
        sql "$u" -F ' ' -c "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
            JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'exante' AND c.relkind = 'r'" |
            awk -v n="$n" -v name="$name" -v when="$when" -v dir="$work/$name" '
                { t[$1] = $2; total += $2 }
                END {
                    cmd = "du -sbc " dir "/dedup " dir "/by-url " dir "/near-* | tail -n 1"
                    cmd | getline l; close(cmd); split(l, a, "\t")
                    other = total - t["blocks"] - t["near"] - t["decision_keys"] - t["entries"] - t["tiles"] - t["staged"]
                    printf "{\"bench\":\"scale\",\"items\":%d,\"bytes\":\"%s\",\"vacuum\":\"%s\",\"db\":%.1f,\"blocks\":%.1f,\"near\":%.1f,\"decision_keys\":%.1f,\"entries\":%.1f,\"tiles\":%.1f,\"staged\":%.1f,\"other\":%.1f,\"dir_indexes\":%.1f,\"all\":%.1f,\"db_bytes\":%.0f}\n", \
                        n, name, when, total / n, t["blocks"] / n, t["near"] / n, t["decision_keys"] / n, \
                        t["entries"] / n, t["tiles"] / n, t["staged"] / n, other / n, a[1] / n, (total + a[1]) / n, total
                }' | emit
    done
}
# sq_bytes N DIR: the same for the SQLite ledger (ledger.db and -wal as left, split by dbstat)
sq_bytes() {
    local n=$1 dir=$2
    sqlite3 "$dir/ledger.db" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name" | tr '|' ' ' |
        awk -v n="$n" -v dir="$dir" '
            { t[$1] = $2 }
            END {
                cmd = "du -sbc " dir "/ledger.db " dir "/ledger.db-wal 2>/dev/null | tail -n 1"
                cmd | getline l; close(cmd); split(l, a, "\t"); total = a[1]
                cmd = "du -sbc " dir "/dedup " dir "/by-url " dir "/near-* | tail -n 1"
                cmd | getline l; close(cmd); split(l, b, "\t")
                blocks = t["blocks"] + t["blocks_items"] + t["blocks_decisions"]
                other = total - blocks - t["near"] - t["decision_keys"] - t["entries"] - t["tiles"]
                printf "{\"bench\":\"scale\",\"items\":%d,\"bytes\":\"sqlite\",\"vacuum\":\"-\",\"db\":%.1f,\"blocks\":%.1f,\"near\":%.1f,\"decision_keys\":%.1f,\"entries\":%.1f,\"tiles\":%.1f,\"staged\":0,\"other\":%.1f,\"dir_indexes\":%.1f,\"all\":%.1f,\"db_bytes\":%.0f}\n", \
                    n, total / n, blocks / n, t["near"] / n, t["decision_keys"] / n, t["entries"] / n, \
                    t["tiles"] / n, other / n, b[1] / n, (total + b[1]) / n, total
            }' | emit
}
# check N NAME DIR: log verify (timed), the number of decisions and their verdicts
check() {
    local n=$1 name=$2 dir=$3 v d verdicts
    v=ok
    EXANTE_DIR="$dir" /usr/bin/time -f "$TF" -o verify.time "$X" -q log verify >verify.out 2>&1 || v=FAILED
    EXANTE_DIR="$dir" "$X" decisions >decisions.jsonl
    d=$(wc -l <decisions.jsonl)
    verdicts=$(grep -o '"verdict": *"[a-z_-]*"' decisions.jsonl | sed 's/.*"\([a-z_-]*\)"$/\1/' | sort | uniq -c |
        awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1 }')
    read -r vw vu vs _ < <(tm verify.time)
    printf '{"bench":"scale","items":%s,"check":"%s","verify":"%s","verify_wall_s":%s,"verify_cpu_s":%s,"decisions":%s,"verdicts":"%s"}\n' \
        "$n" "$name" "$v" "$vw" "$(add "$vu" "$vs")" "$d" "$verdicts" | emit
    [ "$v" = ok ] || { echo "scale.sh: log verify failed on $name: $(cat verify.out)" >&2; exit 1; }
    [ "$d" = "$n" ] || { echo "scale.sh: $name has $d decisions, not $n" >&2; exit 1; }
    rm -f decisions.jsonl
}

# same_verdicts N NAME W: NAME's verdict counts against SQLite's. One worker sequences the list
# in SQLite's order: the same counts. With two, the shards' batches interleave in another
# order; a copy (same text, its own license) met before its original then takes the
# original's verdict and the original is the duplicate: the duplicates and the decided
# (admitted + rejected) must still be as many, the split between admit and reject may differ.
same_verdicts() {
    local v
    v=$(cv "$1" "$2" verdicts)
    if [ "$3" = 1 ]; then
        [ "$v" = "$sq_verdicts" ] || { echo "scale.sh: $2's verdicts ($v) differ from SQLite's ($sq_verdicts)" >&2; exit 1; }
    else
        [ "$(dup_decided "$v")" = "$(dup_decided "$sq_verdicts")" ] ||
            { echo "scale.sh: $2's duplicates or decided ($v) differ from SQLite's ($sq_verdicts)" >&2; exit 1; }
    fi
}
# dup_decided "admit=A duplicate=D reject=R": "D A+R"
dup_decided() { tr ' =' '\n ' <<<"$1" | awk '$1 == "duplicate" { d = $2 } $1 != "duplicate" { o += $2 } END { print d + 0, o }'; }
cv() { grep "\"items\":$1,\"check\":\"$2\"" "$res" | sed -n "s/.*\"$3\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }

perf_note=""
perf_top=""
for n in ${sizes//,/ }; do
    # ---- 1. inputs ----
    log "bench_ingest gen-small items.jsonl $n, split into 8 files"
    rm -rf in && mkdir in
    "$GEN" gen-small items.jsonl "$n" >/dev/null 2>&1
    split -n l/8 -d --additional-suffix=.jsonl items.jsonl in/part-
    rm items.jsonl
    ls "$work"/in/part-*.jsonl >list

    # ---- 2. SQLite: one process decides and logs the whole list ----
    log "sqlite: ingest --inputs list, $n items"
    setup "$work/sqlite"
    quiesce; probe0
    EXANTE_DIR="$work/sqlite" /usr/bin/time -f "$TF" -o sqlite.time "$X" -q ingest --source s --inputs list >/dev/null
    probe=$(probe1)
    read -r sw u s rss < <(tm sqlite.time)
    printf '{"bench":"scale","items":%s,"run":"sqlite","workers":1,"wall_s":%s,"workers_wall_s":%s,"worker_cpu_s":%s,"seq_cpu_s":0,"pg_cpu_s":0,"worker_rss_kib":%s,"seq_rss_kib":0,%s}\n' \
        "$n" "$sw" "$sw" "$(add "$u" "$s")" "$rss" "$probe" | emit
    sq_bytes "$n" "$work/sqlite"
    check "$n" sqlite "$work/sqlite"
    sq_verdicts=$(cv "$n" sqlite verdicts)
    rm -rf "$work/sqlite"

    # ---- 3, 4. PostgreSQL: one worker, then two, each with a following sequencer ----
    for w in 1 2; do
        name="pg${w}_$n"
        pg_run "$n" "$name" "$w"
        pg_bytes "$n" "$name"
        check "$n" "$name" "$work/$name"
        same_verdicts "$n" "$name" "$w"
        sql "$admin" -c "DROP DATABASE $name"
        rm -rf "$work/$name" "$work/$name".w*
    done

    # ---- 5. sequencing alone: two workers stage everything, then one `log sequence` ----
    name="seq_$n"
    fresh_pg "$name"
    log "$name: 2 workers staging with no sequencer, $n items"
    quiesce; probe0; c0=$(pg_cpu) t0=$(now)
    workers "$name" "$url" 2
    t1=$(now) c1=$(pg_cpu) probe=$(probe1)
    printf '{"bench":"scale","items":%s,"run":"stage-2","workers":2,"wall_s":%s,"workers_wall_s":%s,"worker_cpu_s":%s,"seq_cpu_s":0,"pg_cpu_s":%s,"worker_rss_kib":%s,"seq_rss_kib":0,"staged_bytes":%s,%s}\n' \
        "$n" "$(dt "$t0" "$t1")" "$(dt "$t0" "$t1")" "$(worker_cpu "$name")" "$(dt "$c0" "$c1")" \
        "$(worker_rss "$name")" "$(sql "$url" -c "SELECT pg_total_relation_size('exante.staged')")" "$probe" | emit
    # a copy of the staged database and of the (still empty) ledger directory, for perf below
    sql "$admin" -c "CREATE DATABASE perf_$n TEMPLATE $name"
    cp -a "$work/$name" "$work/perf_$n"
    printf '%s\n' "$(db_url "perf_$n")" >"$work/perf_$n/store"
    log "$name: log sequence alone"
    quiesce; probe0; c0=$(pg_cpu)
    EXANTE_DIR="$work/$name" /usr/bin/time -f "$TF" -o seq.time "$X" -q --json log sequence >seq.json
    c1=$(pg_cpu) probe=$(probe1)
    read -r sw u s rss < <(tm seq.time)
    rate=$(awk -v n="$n" -v w="$sw" 'BEGIN { printf "%.0f", n / w }')
    printf '{"bench":"scale","items":%s,"run":"seq-alone","workers":0,"wall_s":%s,"workers_wall_s":0,"worker_cpu_s":0,"seq_cpu_s":%s,"pg_cpu_s":%s,"worker_rss_kib":0,"seq_rss_kib":%s,"decisions_per_s":%s,%s}\n' \
        "$n" "$sw" "$(add "$u" "$s")" "$(dt "$c0" "$c1")" "$rss" "$rate" "$probe" | emit
    [ "$(staged "$url")" = 0 ] || { echo "scale.sh: log sequence left staged batches" >&2; exit 1; }
    pg_bytes "$n" "$name"
    check "$n" "$name" "$work/$name"
    same_verdicts "$n" "$name" 2
    sql "$admin" -c "DROP DATABASE $name"
    rm -rf "$work/$name" "$work/$name".w*

    # ---- where the sequencer's time goes, when it misses the target ----
    if [ "$rate" -lt 100000 ] && command -v perf >/dev/null; then
        log "perf_$n: log sequence under perf record (rate $rate/s < 100000/s)"
        # no hardware counters on this VM: the cpu-clock software event; on-CPU time only
        EXANTE_DIR="$work/perf_$n" perf record -e cpu-clock -F 999 -g -o seq.perf -- \
            "$X" -q log sequence >/dev/null 2>perf.err
        perf report -i seq.perf --no-children -g none --sort dso --stdio 2>/dev/null | grep '%' >perf.dso
        perf report -i seq.perf --no-children -g none --sort dso,sym --stdio 2>/dev/null | grep '%' |
            grep -v '^#' >perf.symall
        awk 'NR <= 25' perf.symall >perf.sym
        # shares of the samples: the dedup index (ex_dedup_*, its spill runs), libpq
        printf '{"bench":"scale","items":%s,"perf":"seq-alone","samples":%s,"dedup_pct":%s,"libpq_pct":%s,"by_dso":"%s"}\n' "$n" \
            "$(perf report -i seq.perf --stdio 2>/dev/null | sed -n 's/^# Samples: \([0-9kKM.]*\).*/\1/p' | awk 'NR == 1')" \
            "$(awk '$4 ~ /^(ex_dedup_|spill_run)/ { p = $1; sub("%", "", p); t += p } END { printf "%.1f", t }' perf.symall)" \
            "$(awk '$2 ~ /^libpq/ { p = $1; sub("%", "", p); t += p } END { printf "%.1f", t }' perf.dso)" \
            "$(awk '{ printf "%s%s %s", (NR > 1 ? "; " : ""), $2, $1 }' perf.dso)" | emit
        perf_note=$n
        perf_top=$(cat perf.sym)
        rm -f seq.perf
    fi
    sql "$admin" -c "DROP DATABASE perf_$n"
    rm -rf "$work/perf_$n"
done

# ---- the section ----------------------------------------------------------------------------
section="$work/section.md"
# rv N RUN KEY: a run's value; bv N LEDGER VACUUM KEY: a bytes value; cv N LEDGER KEY: a check's
rv() { grep "\"items\":$1,\"run\":\"$2\"," "$res" | sed -n "s/.*\"$3\":\([0-9.]*\).*/\1/p" | awk 'NR == 1'; }
bv() { grep "\"items\":$1,\"bytes\":\"$2\",\"vacuum\":\"$3\"" "$res" | sed -n "s/.*\"$4\":\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
permil() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.2f", a * 1000000 / n }'; }
per_s() { awk -v n="$1" -v w="$2" 'BEGIN { printf "%.0f", n / w }'; }
# pv KEY: a value of the perf line of the largest size; dso NAME: a shared object's share
pv() { grep "\"items\":$nl,\"perf\"" "$res" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
dso() { grep "\"items\":$nl,\"perf\"" "$res" | sed -n "s/.*[\";] *$1[^ ;]* \([0-9.]*\)%.*/\1/p" | awk '{ printf "%.1f", $1 }'; }
# reading: what the run of the largest size says, every figure taken from the results
reading() {
    local n=$nl sw sc p1 p2 a1 pc1 sqw sqc s2w s2r p2w m cpubound
    sw=$(rv "$n" sqlite wall_s) sc=$(rv "$n" sqlite worker_cpu_s)
    p1=$(rv "$n" "pg1_$n" wall_s) p2=$(rv "$n" "pg2_$n" wall_s) p2w=$(rv "$n" "pg2_$n" workers_wall_s)
    a1=$(awk -v a="$(rv "$n" "pg1_$n" worker_cpu_s)" -v b="$(rv "$n" "pg1_$n" seq_cpu_s)" -v c="$(rv "$n" "pg1_$n" pg_cpu_s)" 'BEGIN { print a + b + c }')
    pc1=$(rv "$n" "pg1_$n" pg_cpu_s)
    sqw=$(rv "$n" seq-alone wall_s) sqc=$(rv "$n" seq-alone seq_cpu_s)
    s2w=$(rv "$n" stage-2 wall_s) s2r=$(per_s "$n" "$(rv "$n" stage-2 wall_s)")
    pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
    printf '\nReading (the %s-item runs; every figure from the tables above):\n\n' "$n"
    printf -- '- **Throughput against SQLite.** The shared ledger took %s s with one worker and %s s with two, against %s s for one SQLite `ingest`: %s and %s of its items/s, for %s of its CPU (%s CPU s per million against %s). The work is split over processes that run at once on the 2 cores (the worker reads, parses and hashes and stages its batches; the sequencer takes them back, decides and logs; the server stores both ways), so the wall can drop while the CPU grows: the staging round trip through `exante.staged` and the server are the extra CPU.\n' \
        "$p1" "$p2" "$sw" "$(ratio "$(per_s "$n" "$p1")" "$(per_s "$n" "$sw")")" "$(ratio "$(per_s "$n" "$p2")" "$(per_s "$n" "$sw")")" \
        "$(ratio "$a1" "$sc")" "$(permil "$a1" "$n")" "$(permil "$sc" "$n")"
    printf -- '- **The single sequencer bounds it.** Two workers alone stage everything in %s s (%s items/s); `log sequence` alone needs %s s for it (%s decisions/s, %s of the 100,000/s target), and no run can end before its one thread (one decision stream, one Merkle log) has done that. With two workers and a following sequencer the run took %s s, the workers done after %s s: %s of the sequencer-alone time, the rest of it the sequencer sharing the 2 cores with the workers and the server while they run. More workers shorten the staging only.\n' \
        "$s2w" "$s2r" "$sqw" "$(per_s "$n" "$sqw")" "$(ratio "$(per_s "$n" "$sqw")" 100000)" "$p2" "$p2w" "$(ratio "$p2" "$sqw")"
    if [ "$sizes" != "$n" ]; then
        printf -- '- **The rate depends on the ledger'"'"'s size:** `log sequence` alone ran at'
        for m in ${sizes//,/ }; do
            printf ' %s decisions/s (%s CPU s per million) at %s items;' "$(rv "$m" seq-alone decisions_per_s)" \
                "$(permil "$(rv "$m" seq-alone seq_cpu_s)" "$m")" "$m"
        done
        printf ' its indexes (dedup, by-url, near bands) grow with the ledger; the profile above says where the time goes at %s.\n' "$n"
    fi
    cpubound=$(awk -v c="$sqc" -v w="$sqw" 'BEGIN { print (c >= 0.9 * w) ? 1 : 0 }')
    if [ "$cpubound" = 1 ]; then
        printf -- '- **Where the sequencer'"'"'s time goes.** It was on CPU %s of its wall time in the sequencing-alone run: it is bound by its own CPU, not by waiting for the server (round trips, the commit of each logged batch with fsync on).' \
            "$(pct "$sqc" "$sqw")"
    else
        printf -- '- **Where the sequencer'"'"'s time goes.** It was on CPU %s of its wall time in the sequencing-alone run; the rest it waited for the server (the statements'"'"' round trips, the commit of each logged batch with fsync on, the server itself competing for the 2 cores).' \
            "$(pct "$sqc" "$sqw")"
    fi
    if [ -n "$(pv dedup_pct)" ]; then
        printf ' Of its on-CPU samples libpq is %s%%: the client side of the round trips costs next to nothing; exante'"'"'s own code is %s%% (the dedup index alone, find, spill runs and merge, %s%%), libzstd %s%% (staged batches and blocks), libcrypto %s%% (hashes, the checkpoint signature), libc %s%%, the kernel %s%% (page faults of fresh memory, I/O). %s' \
            "$(pv libpq_pct)" "$(dso exante)" "$(pv dedup_pct)" "$(dso libzstd)" "$(dso libcrypto)" "$(dso libc)" "$(dso '\[kernel')" \
            "$([ "$cpubound" = 1 ] && echo 'Faster sequencing means less CPU per decision in the sequencer, the dedup index first; more workers or a faster server would not speed it up.' ||
                echo 'Faster sequencing means less CPU per decision in the sequencer (dedup first) and fewer waits (fewer, larger statements or commits).')"
    fi
    printf '\n'
    printf -- '- **The server'"'"'s CPU is part of the cost:** %s CPU s per million items in the one-worker run, %s of that run'"'"'s CPU, on the same 2 cores as the worker and the sequencer (three busy processes on two cores; a server on its own machine would take that off them).\n' \
        "$(permil "$pc1" "$n")" "$(pct "$pc1" "$a1")"
    printf -- '- **Bytes.** After a plain VACUUM the PostgreSQL database holds %s bytes per item against SQLite'"'"'s %s (%s): the blocks are about the same size (%s against %s: already zstd-compressed, TOAST gains nothing on them), the near table costs %s against %s (a row header and line pointer per row, and its primary key index). Before VACUUM the emptied `staged` table still holds its dead rows, %s bytes per item (the raw staged batches), until autovacuum or a VACUUM reclaims them. The index directories are the same in both (%s per item).\n' \
        "$(bv "$n" "pg1_$n" after db)" "$(bv "$n" sqlite - db)" "$(ratio "$(bv "$n" "pg1_$n" after db)" "$(bv "$n" sqlite - db)")" \
        "$(bv "$n" "pg1_$n" after blocks)" "$(bv "$n" sqlite - blocks)" "$(bv "$n" "pg1_$n" after near)" "$(bv "$n" sqlite - near)" \
        "$(bv "$n" "pg1_$n" before staged)" "$(bv "$n" "pg1_$n" after dir_indexes)"
    printf -- '- **Reading it back is slower:** `log verify` took %s s on the PostgreSQL ledger (%s CPU s in exante) against %s s on SQLite: a SQLite ledger is read in the process, a PostgreSQL one through the server a page of rows at a time.\n\n' \
        "$(cv "$n" "pg1_$n" verify_wall_s)" "$(cv "$n" "pg1_$n" verify_cpu_s)" "$(cv "$n" sqlite verify_wall_s)"
}
nl=${sizes##*,}
{
    printf '## Shared ledger (PostgreSQL)\n\n'
    printf 'Written by `bench/scale.sh%s` on %s (%d s); exante commit %s%s, Release build (`%s`).\n\n' \
        "${argv:+ $argv}" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $(($(date +%s) - t_start)) \
        "$(git -C "$src" rev-parse --short HEAD)" \
        "$(git -C "$src" status --porcelain | grep -q . && echo ' plus the working tree' || true)" \
        "${build#"$src"/}"
    printf -- '- machine: %s; load average at the start %s (other work on the machine shares its 2 cores)\n' "$(machine_notes "$work")" "$load_start"
    printf -- '- PostgreSQL %s on the same machine (a `scripts/pg-cluster.sh` cluster, `PG_FSYNC=on`, Unix socket; %s, the rest defaults): workers, sequencer and server share the 2 cores\n' "$pgver" "$pgset"
    printf -- '- items: `bench_ingest gen-small` lines (~315 bytes, every 500th an exact copy) split into 8 files (`split -n l/8`) named in one list; one source, bench/ledger.sh'"'"'s policy (admit by license); `ingest` defaults (batches of 10,000, one job) in every run\n'
    printf -- '- wall: SQLite, the `ingest` process; PostgreSQL, from the workers'"'"' start until `SELECT count(*) FROM exante.staged` is 0 (polled every 0.1 s), the sequencer (`log sequence --follow`) started and holding its lock before; CPU: user + system (`/usr/bin/time`) of the worker(s) and the sequencer, and of the server over the run (`/proc` of the postmaster and its children, ended ones included); last column, what else slowed a run: seconds in which some task of the machine (ours or not) waited for I/O (`/proc/pressure/io`), CPU seconds the hypervisor took from this VM (steal, `/proc/stat`), the server'"'"'s lock waits over 1 s (`log_lock_waits`) and checkpoints begun\n\n'
    printf 'Commands (`$L` a ledger directory with the key, `$W` an empty directory, `$URL` a fresh database of the cluster):\n\n```sh\n'
    printf 'bench_ingest gen-small items.jsonl N && split -n l/8 -d --additional-suffix=.jsonl items.jsonl in/part- && ls in/part-*.jsonl > list\n'
    printf 'EXANTE_DIR=$L exante -q ingest --source s --inputs list                          # sqlite\n'
    printf 'EXANTE_DIR=$L exante init --db "$URL" && EXANTE_DIR=$L exante source add s --kind crawl && EXANTE_DIR=$L exante policy adopt policy.txt\n'
    printf 'EXANTE_DIR=$L exante -q log sequence --follow &                                  # pg-1, pg-2: SIGTERM once staged is empty\n'
    printf 'EXANTE_DIR=$W EXANTE_DB="$URL" exante -q ingest --source s --inputs list         # pg-1\n'
    printf 'EXANTE_DIR=$W0 EXANTE_DB="$URL" exante -q ingest --source s --inputs list --shard 0/2 &   # pg-2, stage-2\n'
    printf 'EXANTE_DIR=$W1 EXANTE_DB="$URL" exante -q ingest --source s --inputs list --shard 1/2\n'
    printf 'EXANTE_DIR=$L exante -q log sequence                                             # seq-alone, after stage-2\n```\n\n'
    printf '| items | run | wall s | items/s | CPU s per million: worker(s) | sequencer | postgres | all | items/s / SQLite'"'"'s | CPU / SQLite'"'"'s | peak RSS MiB: worker | sequencer | I/O wait s / CPU steal s / lock waits / checkpoints |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    for n in ${sizes//,/ }; do
        sw=$(rv "$n" sqlite wall_s) sc=$(rv "$n" sqlite worker_cpu_s)
        for run in sqlite "pg1_$n" "pg2_$n" stage-2 seq-alone; do
            [ -n "$(rv "$n" "$run" wall_s)" ] || continue
            w=$(rv "$n" "$run" wall_s) wc=$(rv "$n" "$run" worker_cpu_s) scpu=$(rv "$n" "$run" seq_cpu_s) pc=$(rv "$n" "$run" pg_cpu_s)
            all=$(awk -v a="$wc" -v b="$scpu" -v c="$pc" 'BEGIN { print a + b + c }')
            case $run in
            sqlite) label='SQLite: one `ingest`' ;;
            pg1_*) label='PostgreSQL: 1 worker + sequencer' ;;
            pg2_*) label='PostgreSQL: 2 workers + sequencer' ;;
            stage-2) label='PostgreSQL: 2 workers staging, no sequencer' ;;
            seq-alone) label='PostgreSQL: `log sequence` alone' ;;
            esac
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s / %s / %s / %s |\n' "$n" "$label" "$w" "$(per_s "$n" "$w")" \
                "$(permil "$wc" "$n")" "$(permil "$scpu" "$n")" "$(permil "$pc" "$n")" "$(permil "$all" "$n")" \
                "$(ratio "$(per_s "$n" "$w")" "$(per_s "$n" "$sw")")" "$(ratio "$all" "$sc")" \
                "$(($(rv "$n" "$run" worker_rss_kib) / 1024))" "$(($(rv "$n" "$run" seq_rss_kib) / 1024))" \
                "$(rv "$n" "$run" io_stall_s)" "$(rv "$n" "$run" steal_s)" "$(rv "$n" "$run" lock_waits)" "$(rv "$n" "$run" checkpoints)"
        done
    done
    printf '\nSequencing rate (`log sequence` alone on staged batches) against the target of 100,000 decisions/s:\n\n'
    printf '| items | wall s | decisions/s | / target | sequencer CPU s | its CPU / wall | postgres CPU s |\n|---|---|---|---|---|---|---|\n'
    for n in ${sizes//,/ }; do
        w=$(rv "$n" seq-alone wall_s) d=$(rv "$n" seq-alone decisions_per_s) c=$(rv "$n" seq-alone seq_cpu_s)
        printf '| %s | %s | %s | **%s** | %s | %s | %s |\n' "$n" "$w" "$d" "$(ratio "$d" 100000)" "$c" "$(ratio "$c" "$w")" "$(rv "$n" seq-alone pg_cpu_s)"
    done
    if [ -n "$perf_note" ]; then
        printf '\n`perf record -e cpu-clock -F 999 -g` of `log sequence` alone on a copy of the %s-item staged database (on-CPU samples of the sequencer process only; the server'"'"'s CPU is in the postgres column above). By shared object: %s. Top symbols (self):\n\n```\n%s\n```\n' \
            "$perf_note" "$(grep "\"items\":$perf_note,\"perf\"" "$res" | sed 's/.*"by_dso":"\([^"]*\)".*/\1/')" "$perf_top"
    fi
    printf '\nBytes per item after the run (sequencer done, staged empty). PostgreSQL: `pg_total_relation_size` (heap, TOAST, indexes) of each table of schema exante, before and after a plain `VACUUM`; SQLite: ledger.db and -wal as the ingest left them, split by dbstat; both: the index directories of the ledger directory (dedup/, by-url/, near-*/), which the sequencer keeps in its own directory for PostgreSQL too.\n\n'
    printf '| items | ledger | blocks (items, decisions, their indexes) | near | decision_keys | entries | tiles | staged | other tables | **database** | index dirs | **all** |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    for n in ${sizes//,/ }; do
        for b in "sqlite -" "pg1_$n before" "pg1_$n after" "pg2_$n after" "seq_$n after"; do
            set -- $b
            [ -n "$(bv "$n" "$1" "$2" db)" ] || continue
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | **%s** | %s | **%s** |\n' "$n" \
                "$(case $1 in sqlite) echo SQLite ;; pg1*) echo "PostgreSQL pg-1, $2 VACUUM" ;; pg2*) echo "PostgreSQL pg-2, $2 VACUUM" ;; *) echo "PostgreSQL seq-alone, $2 VACUUM" ;; esac)" \
                "$(bv "$n" "$1" "$2" blocks)" "$(bv "$n" "$1" "$2" near)" "$(bv "$n" "$1" "$2" decision_keys)" \
                "$(bv "$n" "$1" "$2" entries)" "$(bv "$n" "$1" "$2" tiles)" "$(bv "$n" "$1" "$2" staged)" \
                "$(bv "$n" "$1" "$2" other)" "$(bv "$n" "$1" "$2" db)" "$(bv "$n" "$1" "$2" dir_indexes)" "$(bv "$n" "$1" "$2" all)"
        done
    done
    printf '\nChecks: '
    for n in ${sizes//,/ }; do
        for l in sqlite "pg1_$n" "pg2_$n" "seq_$n"; do
            printf '%s (%s items): `log verify` %s in %s s, %s decisions (%s); ' "$l" "$n" "$(cv "$n" "$l" verify)" \
                "$(cv "$n" "$l" verify_wall_s)" "$(cv "$n" "$l" decisions)" "$(cv "$n" "$l" verdicts)"
        done
    done
    printf 'the script stops on a failed verify, a count other than N, or verdicts unlike SQLite'"'"'s: pg-1 (one worker, the list in SQLite'"'"'s order) must have the same counts; with two workers the shards interleave, and a copy (same text, a license of its own) met before its original takes the verdict its own license gives, so only the duplicates and the decided (admitted + rejected) must be as many.\n\n'
    reading
    printf 'Raw:\n\n```\n'; cat "$res"; printf '```\n\n'
} >"$section"
put_section "$out" "## Shared ledger (PostgreSQL)" "$section"
log "wrote the '## Shared ledger (PostgreSQL)' section of $out"
