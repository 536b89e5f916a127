# lib.sh - sourced by the bench scripts.
#
#   bench_start NAME TOOL...
#                      check that each TOOL is installed; make $work, a temporary directory
#                      (removed at exit unless $keep is 1; the script's function
#                      bench_on_exit, if any, runs first), and default $build to $work/build;
#                      define log MESSAGE (to stderr)
#   j NAME KEY         a scalar from the flat JSON line in $work/NAME.out
#   best N CMD...      the shortest wall time of N runs of CMD (output to /dev/null), seconds
#   put_section OUT HEADING FILE
#   machine_notes DIR  one line for a results section: CPU model, cores, RAM, kernel, compiler,
#                      SQLite, the file system DIR is on, and the load averages at the time
#   cg_make NAME MIB   a memory cgroup of MIB MiB (v1 or v2, whichever is writable) in $cg, or
#                      cg="" with a note on stderr when none can be made; cg_set MIB changes
#                      its limit, incg CMD... runs CMD in it (or as it is without one),
#                      cg_remove removes it (call it from bench_on_exit)
#
# Replaces the section of OUT that starts with the line HEADING (e.g. "## Ingest") and runs up
# to the next "## " heading with the contents of FILE, or appends FILE when OUT has no such
# section (or does not exist yet). The other sections are kept as they are. OUT is replaced
# in one step (written next to FILE first), so an interrupted run leaves the old file.
bench_start() {
    local name=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$name.sh: '$tool' is needed" >&2; exit 1; }
    done
    bench_name=$name
    work=$(mktemp -d "${TMPDIR:-/tmp}/exante-bench-$name.XXXXXX")
    [ -n "${build:-}" ] || build="$work/build"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}
bench_cleanup() {
    if declare -F bench_on_exit >/dev/null; then bench_on_exit; fi
    if [ "${keep:-0}" = 1 ]; then echo "$bench_name.sh: kept $work" >&2; else rm -rf "$work"; fi
}
log() { printf '\n== %s\n' "$*" >&2; }

j() { sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$work/$1.out" | head -n1; }

best() {
    local n=$1 b="" t0 t1 t
    shift
    for _ in $(seq "$n"); do
        t0=$(date +%s.%N)
        "$@" >/dev/null
        t1=$(date +%s.%N)
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi
    done
    echo "$b"
}

put_section() {
    local out=$1 heading=$2 file=$3 new
    new="$file.results.new"
    if [ -f "$out" ] && grep -qxF -- "$heading" "$out"; then
        awk -v sec="$file" -v h="$heading" '
            $0 == h { while ((getline l < sec) > 0) print l; print ""; skip = 1; next }
            skip && /^## / { skip = 0 }
            !skip { print }' "$out" >"$new"
    else
        { [ -f "$out" ] && cat "$out" && printf '\n'; cat "$file"; } >"$new"
    fi
    cp "$new" "$out"
    rm -f "$new"
}

machine_notes() {
    local dir=${1:-.}
    printf '%s, %s cores (`nproc`), %s; Linux %s; %s; SQLite %s; %s file system; load average %s (1, 5, 15 min)' \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -p)" "$(nproc)" \
        "$(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)" \
        "$(cc --version | head -n1)" "$(pkg-config --modversion sqlite3 2>/dev/null || echo '?')" \
        "$(df -T "$dir" 2>/dev/null | awk 'NR == 2 { print $2 }')" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

cg=""
cgproc=""
cg_limit=0
cg_make() {
    local name=$1
    cg_limit=$(($2 * 1024 * 1024))
    cg="" cgproc=""
    if [ -d /sys/fs/cgroup/memory ] && [ -w /sys/fs/cgroup/memory ]; then # v1
        cg=/sys/fs/cgroup/memory/exante-bench-$name.$$
        if mkdir "$cg" 2>/dev/null && echo "$cg_limit" >"$cg/memory.limit_in_bytes"; then
            cgproc=tasks
        else
            rmdir "$cg" 2>/dev/null || true; cg=""
        fi
    elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && [ -w /sys/fs/cgroup ]; then
        cg=/sys/fs/cgroup/exante-bench-$name.$$
        if mkdir "$cg" 2>/dev/null && [ -e "$cg/memory.max" ] && echo "$cg_limit" >"$cg/memory.max"; then
            cgproc=cgroup.procs
        else
            rmdir "$cg" 2>/dev/null || true; cg=""
        fi
    fi
    [ -n "$cg" ] || echo "$name.sh: no writable memory cgroup: runs are not bounded" >&2
}
cg_set() {
    [ -n "$cg" ] || return 0
    cg_limit=$(($1 * 1024 * 1024))
    if [ "$cgproc" = tasks ]; then
        echo "$cg_limit" >"$cg/memory.limit_in_bytes"
    else
        echo "$cg_limit" >"$cg/memory.max"
    fi
}
incg() {
    if [ -n "$cg" ]; then
        (echo "$BASHPID" >"$cg/$cgproc" && exec "$@")
    else
        "$@"
    fi
}
cg_remove() { if [ -n "$cg" ]; then rmdir "$cg" 2>/dev/null || true; fi; }
