#!/usr/bin/env bash
# serve.sh - `exante serve` against nginx serving the same C2SP tlog-tiles as static files,
# cached snapshot proofs, and a malformed-request flood; written to bench/RESULTS.md
# ("## exante serve vs nginx (tiles, loopback)").
#
#   bash bench/serve.sh [BUILD_DIR] [--out FILE] [--items N] [--seconds S] [--perf] [--keep]
#
#   BUILD_DIR    Release build directory (default: build-rel in the source tree); the
#                exante-cli target is (re)built there first
#   --out FILE   results file (default bench/RESULTS.md; the section is replaced or appended)
#   --items N    sample items, one log entry each (default 80,000: > 65,536 entries, so the
#                log has a full level-1 tile and ~312 full level-0 and entries tiles)
#   --seconds S  each timed wrk run (default 10; each is preceded by a 2 s warm-up run)
#   --perf       also profile exante serve (perf record -g) during an extra tile run and put
#                the top symbols in the section
#   --keep       keep the temporary directory (ledger, tiles, wrk outputs)
#
# Steps, in one run on one ledger (about 3 minutes on 2 cores):
#  1. a ledger: `exante init`, a source, `admit *`, `exante sample --items N`, `exante ingest
#     --batch 1` (one log entry per item), `exante snapshot create bench`, a partner token
#     (`exante token add`) for the flood;
#  2. `exante log tiles --out DIR`, served by Debian's nginx (/usr/sbin/nginx, a minimal
#     config in the temporary directory: 2 workers, sendfile, open_file_cache, keepalive,
#     access_log off, the same Cache-Control and CORS headers as exante serve);
#  3. `exante serve --listen 127.0.0.1:0` on the same ledger (defaults: 2 threads here);
#  4. every full tile (levels 0 and 1) and full entries tile fetched from both servers and
#     compared with cmp to each other and to the exported file (the run stops on any
#     difference), then wrk -t2 -c64 -dS --latency with a Lua script requesting that list
#     round robin: exante, then nginx, twice (2 s warm-up before each); one more pair with
#     -c16 (exante serve's connections per client address are limited: 16 before
#     --per-address, 64 by default since);
#  5. the same wrk on 100 cached proof requests (/v1/snapshots/bench/prove?digest=..., members
#     spread over `snapshot export`), warmed first so that each is in the cache: exante only;
#  6. bench/malformed.py: 10,000 malformed requests on raw sockets (6 connections at a time,
#     each thread from a loopback address of its own, 4 slow bodies beside them); the
#     server must live and answer the same /checkpoint (no write); its RSS is sampled at
#     0/25/50/75/100%;
#  7. SIGTERM: exante serve must exit 0.
# Every process started here is stopped at exit (trap), whatever happens. Exit status 1 when
# the answers differ, exante serve dies (the section then says so, with its last words),
# the flood fails or the server does not stop cleanly; timings are reported, never judged.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)
build=""; out="$here/RESULTS.md"; items=80000; secs=10; warm=2; perf=0; keep=0
nproofs=100; flood=10000
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=${2:?--out needs a file}; shift ;;
    --items) items=${2:?--items needs a number}; shift ;;
    --seconds) secs=${2:?--seconds needs a number}; shift ;;
    --perf) perf=1 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "serve.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    *) [ -z "$build" ] || { echo "serve.sh: one BUILD_DIR only" >&2; exit 2; }; build=$1 ;;
    esac
    shift
done
[ -n "$build" ] || build="$src/build-rel"
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "serve.sh: $NGINX is needed (apt-get install nginx-light)" >&2; exit 1; }
[ "$perf" = 0 ] || command -v perf >/dev/null || { echo "serve.sh: --perf needs perf" >&2; exit 1; }
bench_start serve cmake wrk curl python3 awk sed cmp

# ---- processes we start: stopped at exit, by their own ids ---------------------------------
serve_pid="" nginx_pid="" perf_pid="" wrk_pid=""
bench_on_exit() {
    local p
    for p in $perf_pid $wrk_pid $serve_pid $nginx_pid; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in $perf_pid $wrk_pid $serve_pid $nginx_pid; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
    done
}
die() { echo "serve.sh: FAIL: $*" >&2; exit 1; }
# crashed WHAT: exante serve died: the section says so (with its last words and the results so
# far), then the run fails
crashed() {
    local sec="$work/section.md" st=""
    wait "$serve_pid" 2>/dev/null || st=$?
    serve_pid=""
    {
        printf '## exante serve vs nginx (tiles, loopback)\n\n'
        printf 'Written by `bash bench/serve.sh` on %s: **FAILED: exante serve died during %s** (exit status %s%s), exante commit %s plus the working tree, Release build. Its last lines on stderr:\n\n```\n' \
            "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$1" "${st:-?}" "$([ "${st:-0}" -gt 128 ] 2>/dev/null && echo ": signal $((st - 128))")" \
            "$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')"
        tail -n 5 "$work/serve.err"
        printf '```\n\nBefore that: the %s full tiles and `/checkpoint` were byte-identical from exante serve, nginx and `exante log tiles`. Results so far:\n\n```\n' "$npaths"
        for f in "$work"/*.out; do
            if [ -e "$f" ]; then printf '%s %s\n' "$(basename "$f" .out)" "$(cat "$f")"; fi
        done
        printf '```\n'
    } >"$sec"
    put_section "$out" "## exante serve vs nginx (tiles, loopback)" "$sec"
    cat "$sec" >&2
    die "exante serve died during $1"
}
t_start=$(date +%s)
load_start=$(cut -d" " -f1-3 /proc/loadavg)

log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target exante-cli >/dev/null
X="$build/exante"
[ -x "$X" ] || die "$X was not built"

# ---- 1. the ledger ---------------------------------------------------------------------------
export EXANTE_DIR="$work/ledger"
log "ledger: $items items, one log entry each"
"$X" -q init >/dev/null
"$X" -q source add s --kind other >/dev/null
printf 'admit * "benchmark: everything"\n' >"$work/policy.txt"
"$X" -q policy adopt "$work/policy.txt" >/dev/null
"$X" -q sample --out "$work/sample" --items "$items" >/dev/null
t0=$(date +%s.%N)
"$X" -q ingest --source s --batch 1 "$work/sample/corpus.jsonl.zst" >/dev/null
ingest_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
rm -rf "$work/sample"
"$X" -q snapshot create bench >/dev/null
token=$("$X" -q token add flood | tail -n1)
case "$token" in exante_*) ;; *) die "token add printed '$token'" ;; esac
"$X" -q log tiles --out "$work/tiles" >/dev/null
size=$(sed -n 2p "$work/tiles/checkpoint")
"$X" snapshot export bench >"$work/members.txt"
members=$(wc -l <"$work/members.txt")
log "log size $size, snapshot of $members members (ingest $ingest_s s)"

# the full tiles: no ".p" (partial) in the path; levels 0 and 1, then entries
(cd "$work/tiles" && find tile -type f ! -path '*.p/*' | sort -t/ -k2,2 -k3) | sed 's|^|/|' >"$work/paths.txt"
n0=$(grep -c '^/tile/0/' "$work/paths.txt" || true)
n1=$(grep -c '^/tile/1/' "$work/paths.txt" || true)
ne=$(grep -c '^/tile/entries/' "$work/paths.txt" || true)
npaths=$(wc -l <"$work/paths.txt")
[ "$n1" -ge 1 ] && [ "$n0" -ge 256 ] || die "want full level-1 and level-0 tiles, have $n1 and $n0 (--items > 65,536)"
[ "$npaths" = $((n0 + n1 + ne)) ] || die "unexpected full tiles: $(grep -v '^/tile/[01e]' "$work/paths.txt" | head -3)"
tile_bytes=$(cd "$work/tiles" && sed 's|^/||' "$work/paths.txt" | xargs stat -c %s | awk '{ s += $1 } END { print s }')
ent_bytes=$(cd "$work/tiles" && grep '^/tile/entries/' "$work/paths.txt" | sed 's|^/||' | xargs stat -c %s | awk '{ s += $1 } END { print s }')

# ---- 2. nginx on the exported files --------------------------------------------------------
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mkdir -p "$work/nginx/tmp"
start_nginx() {
    local port=$1
    cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
user root;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=4096 inactive=60s;
    open_file_cache_valid 60s;
    keepalive_timeout 15s;
    keepalive_requests 100000;
    default_type application/octet-stream;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $work/tiles;
        location / {
            add_header Cache-Control "public, max-age=31536000, immutable";
            add_header Access-Control-Allow-Origin "*";
        }
    }
}
EOF
    "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
    nginx_pid=$!
    for _ in $(seq 50); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/checkpoint" && return 0
        kill -0 "$nginx_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
    return 1
}
for try in 1 2 3; do
    nport=$(freeport)
    start_nginx "$nport" && break
    [ "$try" = 3 ] && { cat "$work/nginx/error.log" >&2; die "nginx did not start"; }
done
NGX="http://127.0.0.1:$nport"
log "nginx (pid $nginx_pid) at $NGX/"

# ---- 3. exante serve -------------------------------------------------------------------------
"$X" serve --listen 127.0.0.1:0 >"$work/serve.url" 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 100); do
    [ -s "$work/serve.url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.err" >&2; die "exante serve exited"; }
    sleep 0.1
done
EXA=$(head -n1 "$work/serve.url" | sed 's|/$||')
case "$EXA" in http://127.0.0.1:[0-9]*) ;; *) die "exante serve printed '$EXA'" ;; esac
eport=${EXA##*:}
log "exante serve (pid $serve_pid) at $EXA/: $(head -n1 "$work/serve.err")"
threads=$(sed -n 's/.* with \([0-9]*\) threads.*/\1/p' "$work/serve.err" | head -n1)
# connections per client address (beyond: accepted and closed at once); 16, fixed, before
# --per-address existed
per_addr=$("$X" serve --help | sed -n 's/.*--per-address N.*(default \([0-9]*\)).*/\1/p' | head -n1)
per_addr_src="\`--per-address\`, default"
[ -n "$per_addr" ] || { per_addr=16; per_addr_src="fixed"; }

status() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
cpu_ticks() { local p; for p in "$@"; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done | awk '{ s += $1 } END { print s + 0 }'; }
nginx_workers() { ps -o pid= --ppid "$nginx_pid" | tr -d ' '; }
hz=$(getconf CLK_TCK)

# ---- 4. the same bytes from both, then wrk ---------------------------------------------------
fetch_all() { # fetch_all BASE DIR: every path of paths.txt (and /checkpoint) into DIR
    mkdir -p "$2"
    { printf '/checkpoint\n'; cat "$work/paths.txt"; } | while read -r p; do
        printf 'url = "%s%s"\noutput = "%s/%s"\n' "$1" "$p" "$2" "$(echo "$p" | tr / _)"
    done >"$2.curl"
    curl -sS --fail -K "$2.curl" || die "fetching the tiles from $1 failed"
}
log "checking that both servers answer the exported bytes for $npaths tiles and /checkpoint"
fetch_all "$EXA" "$work/got-exante"
fetch_all "$NGX" "$work/got-nginx"
diffs=0
while read -r p; do
    f=$(echo "$p" | tr / _)
    if ! cmp -s "$work/got-exante/$f" "$work/tiles$p" || ! cmp -s "$work/got-nginx/$f" "$work/tiles$p"; then
        echo "serve.sh: $p differs (exante serve: $(stat -c %s "$work/got-exante/$f") bytes, nginx: $(stat -c %s "$work/got-nginx/$f"), file: $(stat -c %s "$work/tiles$p"))" >&2
        diffs=$((diffs + 1))
    fi
done < <(printf '/checkpoint\n'; cat "$work/paths.txt")
[ "$diffs" = 0 ] || die "$diffs of $((npaths + 1)) answers differ between exante serve, nginx and log tiles"
exa_conn=$(curl -sS -D - -o /dev/null "$EXA/tile/0/000" | tr -d '\r' | sed -n 's/^[Cc]onnection: *//p')
ngx_conn=$(curl -sS -D - -o /dev/null "$NGX/tile/0/000" | tr -d '\r' | sed -n 's/^[Cc]onnection: *//p')
log "all $((npaths + 1)) identical; Connection: exante serve '${exa_conn:-(none)}', nginx '${ngx_conn:-(none)}'"

conn_text() { if [ -n "$1" ]; then printf '`%s`' "$1"; else printf 'none (HTTP/1.1: keep-alive)'; fi; }

# lua PATHFILE OUT: a wrk script requesting the paths round robin (thread k starts k/2 of the
# way in), printing one JSON line of results in done()
lua() {
    {
        printf -- '-- generated by bench/serve.sh\nlocal paths = {\n'
        sed 's/.*/  "&",/' "$1"
        cat <<'EOF'
}
local nth = 0
function setup(thread)
  thread:set("offset", nth)
  nth = nth + 1
end
local reqs, i, n
function init(args)
  n = #paths
  reqs = {}
  for k = 1, n do reqs[k] = wrk.format("GET", paths[k]) end
  i = ((offset or 0) * math.floor(n / 2)) % n
end
function request()
  i = i % n + 1
  return reqs[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"rps":%.1f,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"connect_errors":%.0f,"read_errors":%.0f,"write_errors":%.0f,"status_errors":%.0f,"timeouts":%.0f}\n',
    summary.requests, summary.duration, summary.bytes, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
    } >"$2"
}
lua "$work/paths.txt" "$work/tiles.lua"

cmds=()
# bench NAME WHO BASE SCRIPT CONNS SECONDS: warm-up, then the timed run; its JSON line in
# $work/NAME.out with the server's CPU seconds during the run added
bench() {
    local name=$1 who=$2 base=$3 script=$4 c=$5 d=$6 pids c0 c1 w
    if [ "$who" = exante ]; then pids=$serve_pid; else pids=$(nginx_workers); fi
    w=$warm; [ "$d" -ge 5 ] || w=1
    wrk -t2 -c"$c" -d"${w}s" -s "$script" "$base/" >/dev/null
    if [ "$who" = exante ] && ! kill -0 "$serve_pid" 2>/dev/null; then
        crashed "the warm-up of $name (wrk -t2 -c$c -d${w}s -s $(basename "$script"))"
    fi
    cmds+=("wrk -t2 -c$c -d${d}s --latency -s $(basename "$script") $who/")
    log "$name: wrk -t2 -c$c -d${d}s --latency against $who"
    c0=$(cpu_ticks $pids)
    wrk -t2 -c"$c" -d"${d}s" --latency -s "$script" "$base/" >"$work/$name.wrk"
    c1=$(cpu_ticks $pids)
    grep -v '^{' "$work/$name.wrk" >&2
    if [ "$who" = exante ] && ! kill -0 "$serve_pid" 2>/dev/null; then
        crashed "$name (wrk -t2 -c$c -d${d}s -s $(basename "$script"))"
    fi
    grep '^{' "$work/$name.wrk" | sed "s/}\$/,\"server_cpu_s\":$(awk -v a="$c0" -v b="$c1" -v h="$hz" 'BEGIN { printf "%.2f", (b - a) / h }')}/" >"$work/$name.out"
    [ -s "$work/$name.out" ] || die "no results from wrk ($name)"
}
for r in 1 2; do
    bench "exa_$r" exante "$EXA" "$work/tiles.lua" 64 "$secs"
    bench "ngx_$r" nginx "$NGX" "$work/tiles.lua" 64 "$secs"
done
short=$(((secs + 1) / 2))
bench exa_c16 exante "$EXA" "$work/tiles.lua" 16 "$short"
bench ngx_c16 nginx "$NGX" "$work/tiles.lua" 16 "$short"

# ---- 5. cached proofs (exante only) ---------------------------------------------------------
awk -v m="$members" -v n="$nproofs" 'BEGIN { s = int(m / n); if (s < 1) s = 1 } (NR - 1) % s == 0 && c < n { print; c++ }' \
    "$work/members.txt" | sed 's|^|/v1/snapshots/bench/prove?digest=|' >"$work/proofs.txt"
[ "$(wc -l <"$work/proofs.txt")" = "$nproofs" ] || die "fewer than $nproofs snapshot members"
log "warming $nproofs proofs"
mkdir -p "$work/got-proofs"
awk -v b="$EXA" -v d="$work/got-proofs" '{ printf "url = \"%s%s\"\noutput = \"%s/%d.json\"\n", b, $0, d, NR }' \
    "$work/proofs.txt" >"$work/proofs.curl"
curl -sS --fail -K "$work/proofs.curl" || die "a proof request failed"
# one of them is the CLI's proof, byte for byte
dig1=$(head -n1 "$work/proofs.txt" | sed 's/.*digest=//')
"$X" --json prove bench --digest "$dig1" >"$work/proof-cli.json" 2>/dev/null || true
cmp -s "$work/proof-cli.json" "$work/got-proofs/1.json" || die "the served proof of $dig1 is not the CLI's"
proof_bytes=$(cat "$work"/got-proofs/*.json | wc -c)
lua "$work/proofs.txt" "$work/proofs.lua"
bench prf exante "$EXA" "$work/proofs.lua" 64 "$secs"
bench prf_c16 exante "$EXA" "$work/proofs.lua" 16 "$short"

hwm_wrk=$(status "$serve_pid" VmHWM)
rss_wrk=$(status "$serve_pid" VmRSS) anon_wrk=$(status "$serve_pid" RssAnon)
ngx_hwm=$(for p in $(nginx_workers); do status "$p" VmHWM; done | sort -n | tail -n1)
ngx_rss=$(for p in $nginx_pid $(nginx_workers); do status "$p" VmRSS; done | awk '{ s += $1 } END { print s }')

# ---- optional profile ---------------------------------------------------------------------------
if [ "$perf" = 1 ]; then
    log "perf record -g on exante serve during a tile run"
    wrk -t2 -c64 -d"$((secs + 2))s" -s "$work/tiles.lua" "$EXA/" >"$work/perf.wrk" &
    wrk_pid=$!
    sleep 1
    perf record -F 999 -g -p "$serve_pid" -o "$work/perf.data" -- sleep "$secs" 2>"$work/perf.err" &
    perf_pid=$!
    wait "$perf_pid" || true
    perf_pid=""
    wait "$wrk_pid" || true
    wrk_pid=""
    # user-space entry points with their callees (children): which calls the time goes under
    perf report -i "$work/perf.data" --children --sort dso,symbol --stdio 2>/dev/null |
        grep -E '^ +[0-9.]+%' | grep -F '[.]' | grep -vF '[unknown]' | head -n 20 |
        sed 's/  *- *- *$//' >"$work/perf.top" || true
    perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null |
        grep -E '^ +[0-9.]+%' | head -n 12 | sed 's/ *$//' >"$work/perf.dso" || true
    cat "$work/perf.dso" "$work/perf.top" >&2
fi

kill -0 "$serve_pid" 2>/dev/null || crashed "the profiled tile run"

# ---- 6. the malformed flood -----------------------------------------------------------------------
err_lines0=$(wc -l <"$work/serve.err")
log "malformed flood: $flood requests"
cmds+=("python3 bench/malformed.py --port PORT --pid PID --count $flood --conns 6 --slow 4 --token TOKEN")
flood_rc=0
python3 "$here/malformed.py" --port "$eport" --pid "$serve_pid" --count "$flood" --conns 6 --slow 4 \
    --token "$token" >"$work/flood.out" || flood_rc=$?
cat "$work/flood.out" >&2
[ -s "$work/flood.out" ] || die "bench/malformed.py printed no results (exit $flood_rc)"
err_lines=$(($(wc -l <"$work/serve.err") - err_lines0))
# its messages, counted by kind (the HTML of libmicrohttpd's own error pages cut off)
tail -n +"$((err_lines0 + 1))" "$work/serve.err" | sed 's/^exante: http: //; s/ *(.*//; s/[.:]* *$//' | cut -c1-90 |
    sort | uniq -c | sort -rn | head -n 6 >"$work/flood.err"
hwm_end=$(status "$serve_pid" VmHWM)

# ---- 7. SIGTERM ---------------------------------------------------------------------------------
t0=$(date +%s.%N)
kill -TERM "$serve_pid"
stop_rc=0
wait "$serve_pid" || stop_rc=$?
stop_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
serve_pid=""

# ---- results ---------------------------------------------------------------------------------------
k() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$work/$1.out" | head -n1; }
num() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } printf "%s%s", s, o }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mean() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a + b) / 2 }'; }
row() { # row LABEL NAME CONNS
    local errs
    errs="$(k "$2" connect_errors) / $(k "$2" read_errors) / $(k "$2" write_errors) / $(k "$2" timeouts); $(k "$2" status_errors)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$3" "$(num "$(k "$2" rps)")" \
        "$(awk -v b="$(k "$2" bytes)" -v d="$(k "$2" duration_us)" 'BEGIN { printf "%.0f", b / d }')" \
        "$(ms "$(k "$2" p50_us)")" "$(ms "$(k "$2" p99_us)")" \
        "$(awk -v c="$(k "$2" server_cpu_s)" -v n="$(k "$2" requests)" 'BEGIN { printf "%.1f µs", c * 1e6 / n }')" \
        "$(k "$2" server_cpu_s) s" "$errs"
}
exa_mean=$(mean "$(k exa_1 rps)" "$(k exa_2 rps)")
ngx_mean=$(mean "$(k ngx_1 rps)" "$(k ngx_2 rps)")
t_all=$(($(date +%s) - t_start))
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')
dirty=$(git -C "$src" status --porcelain 2>/dev/null | head -n1 || true)
section="$work/section.md"
{
    printf '## exante serve vs nginx (tiles, loopback)\n\n'
    printf 'Written by `bash bench/serve.sh%s` on %s (%d min %d s).\n\n' "$([ "$perf" = 1 ] && echo ' --perf')" \
        "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" $((t_all / 60)) $((t_all % 60))
    printf -- '- machine: %s; load average at the start %s\n' "$(machine_notes "$work")" "$load_start"
    printf -- '- **2 cores, shared**: wrk (2 threads) and the server under test run on the same 2 cores over loopback, so each rate is what the server gets while wrk takes its share; both servers have 2 workers (exante serve: libmicrohttpd epoll pool of %s threads, its defaults otherwise; nginx: `worker_processes 2`)\n' "${threads:-?}"
    printf -- '- software: exante %s (commit %s%s), Release build (%s); %s (Debian, `%s`); %s; %s; Python %s\n' \
        "$(sed -n 's/^#define EX_VERSION "\(.*\)"/\1/p' "$src/include/exante.h")" "$commit" "$([ -n "$dirty" ] && echo ' plus the working tree')" \
        "$(basename "$build")" "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" "$NGINX" \
        "$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)" "$(curl --version | head -n1 | cut -d' ' -f1-2)" "$(python3 -c 'import platform; print(platform.python_version())')"
    printf -- '- ledger: `exante sample --items %s`, ingested with `--batch 1` (one log entry per item, %s s), a snapshot `bench` of %s members: log size %s\n' \
        "$(num "$items")" "$ingest_s" "$(num "$members")" "$(num "$size")"
    printf -- '- requests: the %s full tiles of that log (%s of level 0, %s of level 1, %s entries bundles; %s bytes in all, entries %s), round robin from a fixed list (the same list, the same order, for both servers; wrk thread 2 starts halfway); nginx serves the directory `exante log tiles --out` wrote, with `sendfile`, `open_file_cache`, keepalive, `access_log off` and the same `Cache-Control` and CORS headers\n' \
        "$npaths" "$n0" "$n1" "$ne" "$(num "$tile_bytes")" "$(num "$ent_bytes")"
    printf -- '- checked before timing: every one of those tiles and `/checkpoint` from exante serve, from nginx and in the exported directory are the same bytes (`cmp`, %s files); one served proof is `exante --json prove`'"'"'s byte for byte\n' "$((npaths + 1))"
    printf -- '- `Connection` header on a tile: exante serve %s, nginx %s\n\n' "$(conn_text "$exa_conn")" "$(conn_text "$ngx_conn")"

    printf '| Server | Connections | req/s | MB/s | p50 | p99 | server CPU per request | server CPU in the run | wrk socket errors (connect / read / write / timeout); non-2xx |\n'
    printf '|---|---|---|---|---|---|---|---|---|\n'
    row 'exante serve, round 1' exa_1 64
    row 'nginx, round 1' ngx_1 64
    row 'exante serve, round 2' exa_2 64
    row 'nginx, round 2' ngx_2 64
    printf '| **exante serve / nginx** (mean of the two rounds: %s / %s req/s) | 64 | **%s** | – | – | – | – | – | – |\n' \
        "$(num "$exa_mean")" "$(num "$ngx_mean")" "$(div "$exa_mean" "$ngx_mean")"
    row 'exante serve, 16 connections' exa_c16 16
    row 'nginx, 16 connections' ngx_c16 16
    printf '| **exante serve / nginx**, 16 connections | 16 | **%s** | – | – | – | – | – | – |\n' \
        "$(div "$(k exa_c16 rps)" "$(k ngx_c16 rps)")"
    row "exante serve, cached proofs ($nproofs digests)" prf 64
    row "exante serve, cached proofs ($nproofs digests)" prf_c16 16
    printf '\nCached proofs against exante serve'"'"'s own tile rate: %s at 64 connections (%s / %s req/s, round 1 and 2 mean), %s at 16 (nginx has no equivalent). A proof answer is %s bytes on average.\n\n' \
        "$(div "$(k prf rps)" "$exa_mean")" "$(num "$(k prf rps)")" "$(num "$exa_mean")" \
        "$(div "$(k prf_c16 rps)" "$(k exa_c16 rps)")" "$(awk -v b="$proof_bytes" -v n="$nproofs" 'BEGIN { printf "%.0f", b / n }')"
    printf 'wrk'"'"'s latency runs from a request'"'"'s first byte written to its response'"'"'s last byte read; it leaves out connecting, so a server that closes every connection pays for it in req/s, not in p99. Server CPU: user + system time of the exante serve process, or of the nginx workers, during the timed run (`/proc/PID/stat`), divided by the requests completed. '
    if [ "$per_addr" -lt 64 ]; then
        printf 'exante serve admits %s connections per client address (%s); all of wrk'"'"'s come from 127.0.0.1, so at 64 the other %s are accepted and closed at once, over and over (wrk'"'"'s read errors), and the rows at 16 connections compare the two within that limit.\n\n' \
            "$per_addr" "$per_addr_src" $((64 - per_addr))
    else
        printf 'exante serve admits %s connections per client address (%s): all 64 of wrk'"'"'s fit.\n\n' "$per_addr" "$per_addr_src"
    fi
    printf 'Peak RSS of exante serve after the wrk runs: %s (VmHWM; VmRSS %s, of it RssAnon %s: the rest is the ledger'"'"'s database pages, memory-mapped by the readers, and the binary); after the flood: %s. nginx: the larger worker peaked at %s, master and workers hold %s now.\n\n' \
        "$(mib "$hwm_wrk")" "$(mib "$rss_wrk")" "$(mib "$anon_wrk")" "$(mib "$hwm_end")" "$(mib "$ngx_hwm")" "$(mib "$ngx_rss")"

    printf '### Malformed requests\n\n'
    python3 - "$work/flood.out" "$flood_rc" "$err_lines" "$stop_rc" "$stop_s" "$work/flood.err" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rc, err_lines, stop_rc, stop_s, errs = sys.argv[2:7]
yn = lambda b: "yes" if b else "no"
n = lambda x: "{:,}".format(x)
msgs = "; ".join("%s × %s" % (n(int(c)), "`" + m.replace("`", "'") + "`")
                 for c, m in (l.strip().split(" ", 1) for l in open(errs) if l.strip()))
print("`bench/malformed.py` (standard library only; its header lists the cases): %s requests on raw "
      "sockets, one connection each, %d at a time, in %.1f s (the fast ones in %.1f s); among them %d slow "
      "bodies (POST /v1/optouts, `Content-Length: 1000`, one byte per 100 ms) beside the rest. Each "
      "thread connects from a loopback address of its own (%d in all, 127.0.0.10 and up), so that the "
      "limit of connections per client address does not stop requests before they are read. Bad "
      "JSON bodies alternate between anonymous (rate-limited: 10 a minute per address, then 429) and "
      "a partner token (`exante token add`, not limited: each reaches the parser).\n"
      % (n(d["requests"]), d["conns"], d["seconds"], d["fast_seconds"], len(d["slow"]), d["addresses"]))
if rc == "0":
    print("- outcome: **the server lived and wrote nothing**: alive at the end, `GET /checkpoint` answered "
          "%s with the same signed checkpoint, log size %s before and %s after"
          % (d["checkpoint_status"], n(d["size_before"]), n(d["size_after"])))
else:
    print("- outcome: **FAILED** (malformed.py exit %s): alive %s, `/checkpoint` %s, the same %s, log size "
          "%s before and %s after; traversal leaks: %s" % (rc, yn(d["alive"]), d["checkpoint_status"],
          yn(d["checkpoint_same"]), d["size_before"], d["size_after"], d["traversal_leaks"][:3]))
print("- RSS (VmRSS, KiB) before, after 25%%, 50%%, 75%%, 100%%: %s — flat: **%s** (the last within 20%% "
      "or 8 MiB of the sample at 25%%); RssAnon (the heap): %s — flat: **%s**"
      % (", ".join(map(str, d["rss_kib"])), yn(d["rss_flat"]), ", ".join(map(str, d["anon_kib"])),
         yn(d["anon_flat"])))
print("- slow bodies: " + "; ".join("%s after %.1f s, %d body bytes sent" % (s["status"], s["seconds"], s["bytes"])
                                    for s in d["slow"]))
print("- answers: " + ", ".join("%s: %s" % (k, n(v)) for k, v in d["statuses"].items()))
print("- lines exante serve wrote to stderr meanwhile (libmicrohttpd's error log): %s%s"
      % (n(int(err_lines)), "; " + msgs if msgs else ""))
print("- then SIGTERM: exit %s after %s s\n" % (stop_rc, stop_s))
print('Answers by case ("closed": the server closed the connection without an answer; "timeout": no '
      'answer within 2 s, or within 0.5 s of the client shutting its side after a short body):\n')
print("| Case | Answers |\n|---|---|")
for c, v in d["by_case"].items():
    print("| %s | %s |" % (c, ", ".join("%s: %s" % (k, n(x)) for k, x in v.items())))
print()
PY
    if [ "$perf" = 1 ]; then
        printf '### Profile of exante serve (perf record -g -F 999 -p PID, %s s of a 64-connection tile run)\n\nShared objects (self time), then user-space functions with everything they call (children, first column; self second): the system calls the time goes under.\n\n```\n' "$secs"
        cat "$work/perf.dso"
        printf '\n'
        cat "$work/perf.top"
        printf '```\n\n'
    fi
    printf '### Commands\n\n```sh\n'
    printf 'bash bench/serve.sh%s\n' "$([ "$perf" = 1 ] && echo ' --perf')"
    printf '%s\n' "${cmds[@]}"
    printf '```\n\n`tiles.lua` requests the %s tile paths round robin, `proofs.lua` the %s proof paths; both print their results as a JSON line in `done()`.\n\n' "$npaths" "$nproofs"
    printf '### Raw\n\n```\n'
    for r in exa_1 ngx_1 exa_2 ngx_2 exa_c16 ngx_c16 prf prf_c16; do printf '%s %s\n' "$r" "$(cat "$work/$r.out")"; done
    cat "$work/flood.out"
    printf '```\n'
} >"$section"
put_section "$out" "## exante serve vs nginx (tiles, loopback)" "$section"
cat "$section" >&2
log "wrote $out"
[ "$flood_rc" = 0 ] || die "the malformed flood failed (exit $flood_rc)"
[ "$stop_rc" = 0 ] || die "exante serve exited $stop_rc on SIGTERM"
