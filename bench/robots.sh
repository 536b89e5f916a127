#!/usr/bin/env bash
# robots.sh - robots.txt matching: our ex_robots_check against npm robots-parser's isAllowed
# on exactly the same robots.txt / URL / agent triples, in the same run, plus a differential
# comparison of their verdicts. Replaces the "## robots.txt matching" section of
# bench/RESULTS.md (or --out FILE).
#
#   bench/robots.sh [--files N] [--urls N] [--seed S] [--build-dir DIR] [--out FILE] [--keep]
#
#   --files N        robots.txt files to generate (default 200)
#   --urls N         URLs (triples) per file (default 5000)
#   --seed S         generator seed (default 1)
#   --build-dir DIR  build Release there (default: a temporary directory)
#   --out FILE       results file whose section is replaced or appended (default
#                    bench/RESULTS.md); "-" prints the section only
#   --keep           keep the work directory (inputs, verdicts) and say where it is
#
# Both sides parse each file once and then check the triples in memory (the policy engine
# checks many URLs against cached per-host robots.txt); parse time is reported apart. Rates are
# best of 3 runs. Target: ours >= 10x robots-parser. robots-parser is installed with npm into
# the work directory (needs node and npm). The differential: every triple on which the two
# disagree is put in a class (docs/ROBOTS.md explains each); the generator marks which files
# and URLs carry a feature on which the two are known to differ, and a disagreement on a
# triple without any is "unexplained" (there should be none).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

nfiles=200
nurls=5000
seed=1
build=""
out="$here/RESULTS.md"
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --files) nfiles=${2:?--files needs a number}; shift ;;
    --urls) nurls=${2:?--urls needs a number}; shift ;;
    --seed) seed=${2:?--seed needs a number}; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "robots.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start robots cmake cc node npm awk
started=$(date +%s)

# ---- build ---------------------------------------------------------------------------------
log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_robots >/dev/null
bench="$build/bench/bench_robots"
[ -x "$bench" ] || { echo "robots.sh: $bench was not built" >&2; exit 1; }

# ---- robots-parser -------------------------------------------------------------------------
log "installing robots-parser from npm into $work/npm"
mkdir -p "$work/npm"
(cd "$work/npm" && npm init -y >/dev/null && npm install --no-audit --no-fund robots-parser >/dev/null 2>&1)
rp_dir="$work/npm/node_modules/robots-parser"
rp_version=$(node -p "require('$rp_dir/package.json').version")
cat >"$work/peer.js" <<'EOF'
// peer.js MODULE DIR run|verdicts [REPS]: robots-parser on the triples of bench_robots gen.
'use strict';
const fs = require('fs');
const Robots = require(process.argv[2]);
const dir = process.argv[3], mode = process.argv[4], reps = +(process.argv[5] || 3);
const lines = fs.readFileSync(dir + '/triples.tsv', 'utf8').split('\n');
const file = [], agent = [], url = [];
for (const l of lines) {
    if (!l) continue;
    const f = l.split('\t');
    file.push(+f[0]); agent.push(f[1]); url.push(f[2]);
}
const nfiles = file.reduce((a, b) => Math.max(a, b), 0) + 1;
const robots = new Array(nfiles);
let bytes = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < nfiles; i++) {
    const name = dir + '/r' + String(i).padStart(5, '0') + '.txt';
    const txt = fs.readFileSync(name, 'utf8');
    bytes += Buffer.byteLength(txt);
    robots[i] = Robots('https://www.site' + i + '.example/robots.txt', txt);
}
const parse_s = Number(process.hrtime.bigint() - t0) / 1e9;
const n = url.length;
if (mode === 'verdicts') {
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
        const a = robots[file[i]].isAllowed(url[i], agent[i]);
        out[i] = a === true ? '1' : a === false ? '0' : 'u';
    }
    fs.writeSync(1, out.join('\n') + '\n');
} else {
    const four = ['GPTBot', 'CCBot', 'ClaudeBot', 'Google-Extended'];
    let best = Infinity, best4 = Infinity, allowed = 0, allowed4 = 0;
    for (let r = 0; r < reps; r++) {
        let ok = 0, s = process.hrtime.bigint();
        for (let i = 0; i < n; i++) if (robots[file[i]].isAllowed(url[i], agent[i])) ok++;
        best = Math.min(best, Number(process.hrtime.bigint() - s) / 1e9);
        allowed = ok;
        ok = 0; s = process.hrtime.bigint();
        for (let i = 0; i < n; i++) {
            const rb = robots[file[i]];
            if (four.every((a) => rb.isAllowed(url[i], a))) ok++;
        }
        best4 = Math.min(best4, Number(process.hrtime.bigint() - s) / 1e9);
        allowed4 = ok;
        process.stderr.write(`rep ${r + 1}: ${best.toFixed(3)} s one agent, ${best4.toFixed(3)} s four agents\n`);
    }
    console.log(JSON.stringify({bench: 'robots-parser', files: nfiles, robots_bytes: bytes, triples: n,
        parse_s, parse_mb_per_s: bytes / parse_s / 1e6, check_s: best, checks_per_s: Math.round(n / best),
        allowed, check4_s: best4, checks4_per_s: Math.round(n / best4), allowed4,
        peak_rss_mib: +(process.resourceUsage().maxRSS / 1024).toFixed(1)}));
}
EOF

# ---- inputs and runs -----------------------------------------------------------------------
cmds=()
run() { # run NAME CMD...: record the command, keep its stdout as NAME.out
    local name=$1
    shift
    cmds+=("$*")
    log "$*"
    "$@" >"$work/$name.out"
}
mkdir -p "$work/in"
run gen "$bench" gen "$work/in" "$nfiles" "$nurls" "$seed"
run ours "$bench" run "$work/in" 3
run peer node "$work/peer.js" "$rp_dir" "$work/in" run 3
cat "$work/ours.out" "$work/peer.out" >&2
run ours_v "$bench" verdicts "$work/in"
run peer_v node "$work/peer.js" "$rp_dir" "$work/in" verdicts

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
grp() { awk -v x="$1" 'BEGIN { printf "%.0f", x }' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "**missed**" }'; }

# ---- differential --------------------------------------------------------------------------
log "comparing verdicts"
paste "$work/ours_v.out" "$work/peer_v.out" "$work/in/triples.tsv" | awk -F'\t' -v files="$work/in/files.tsv" '
    BEGIN { while ((getline l < files) > 0) { split(l, f, "\t"); fc[f[1]] = f[2]; nf[f[2]]++ } }
    {
        n++
        cls = $6 != "clean" ? "url: " $6 : (fc[$3] != "clean" ? "file: " fc[$3] : "clean")
        total[cls]++
        if ($1 != $2) {
            d++; dis[cls]++
            if (!(cls in ex)) {
                u = $5; if (length(u) > 70) u = substr(u, 1, 60) "...(" length($5) ")"
                ex[cls] = sprintf("r%05d.txt, %s, %s: ours %s, robots-parser %s", $3, $4, u,
                                  $1 == "1" ? "allowed" : "disallowed",
                                  $2 == "1" ? "allowed" : $2 == "0" ? "disallowed" : "undefined")
            }
        }
    }
    END {
        printf "%d %d\n", n, d > "/dev/stderr"
        for (c in total) printf "%s\t%d\t%d\t%s\n", c, total[c], dis[c] + 0, ex[c]
    }' 2>"$work/diff_total" | sort >"$work/diff.tsv"
read -r ntriples ndiff <"$work/diff_total"
unexplained=$(awk -F"\t" '$1 == "clean" { print $3 }' "$work/diff.tsv")

# ---- report --------------------------------------------------------------------------------
ours_cps=$(j ours checks_per_s)
peer_cps=$(j peer checks_per_s)
r1=$(ratio "$ours_cps" "$peer_cps")
r4=$(ratio "$(j ours checks4_per_s)" "$(j peer checks4_per_s)")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -p)
section="$work/section.md"
{
    printf '## robots.txt matching\n\n'
    printf 'Written by `bench/robots.sh` on %s (%s s).\n\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
        "$(($(date +%s) - started))"
    printf -- '- machine: %s, %s cores; %s; node %s; robots-parser %s\n' "$cpu" "$(nproc)" \
        "$(cc --version | head -n1)" "$(node --version)" "$rp_version"
    printf -- '- input: %s generated robots.txt files (%s bytes; 2-8 groups, 10-200 rules with `*` and `$`, comments, sitemaps, crawl-delays), %s URLs per file: %s (robots.txt, agent, URL) triples, the same for both\n' \
        "$(j ours files)" "$(grp "$(j ours robots_bytes)")" "$nurls" "$(grp "$ntriples")"
    printf -- '- each side parses every file once, then checks all triples in memory; best of 3. "four agents": every URL checked for GPTBot, CCBot, ClaudeBot and Google-Extended (disallowed if any is; robots-parser: four `isAllowed` calls, stopping at the first that disallows)\n\n'
    printf '| Measure | exante (`ex_robots_check`) | robots-parser (`isAllowed`) | Ratio | Target | Met? |\n|---|---|---|---|---|---|\n'
    printf '| checks/s, one agent | %s | %s | %s× | ≥ 10× | %s |\n' "$(grp "$ours_cps")" "$(grp "$peer_cps")" "$r1" "$(met "$r1" 10)"
    printf '| URLs/s, four agents | %s | %s | %s× | – | – |\n' "$(grp "$(j ours checks4_per_s)")" "$(grp "$(j peer checks4_per_s)")" "$r4"
    printf '| parse, all files | %s s (%s MB/s) | %s s (%s MB/s) | %s× | – | – |\n' \
        "$(awk -v x="$(j ours parse_s)" 'BEGIN { printf "%.3f", x }')" "$(j ours parse_mb_per_s)" \
        "$(awk -v x="$(j peer parse_s)" 'BEGIN { printf "%.3f", x }')" \
        "$(awk -v x="$(j peer parse_mb_per_s)" 'BEGIN { printf "%.1f", x }')" \
        "$(ratio "$(j peer parse_s)" "$(j ours parse_s)")"
    printf '| peak RSS | %s MiB | %s MiB | – | – | – |\n\n' "$(j ours peak_rss_mib)" "$(j peer peak_rss_mib)"
    printf '### Differential\n\n'
    printf '%s of %s triples (%s%%) get different verdicts. By class (a URL feature is counted before a file feature; docs/ROBOTS.md explains each class):\n\n' \
        "$(grp "$ndiff")" "$(grp "$ntriples")" "$(awk -v a="$ndiff" -v b="$ntriples" 'BEGIN { printf "%.2f", 100 * a / b }')"
    printf '| Class | Triples | Disagree | First example |\n|---|---|---|---|\n'
    awk -F'\t' '
        function g(n,  s) { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
        { printf "| %s | %s | %s | %s |\n", $1, g($2), g($3), $4 == "" ? "–" : $4 }' "$work/diff.tsv"
    printf '\nUnexplained disagreements (clean file, clean URL): %s.\n\n' "${unexplained:-0}"
    printf '### Commands\n\n```sh\n'
    printf '%s\n' "${cmds[@]}" | sed "s|$work|\$WORK|g; s|$build|\$BUILD|g; s|$src/||g"
    printf '```\n\n```\n'
    sed "s|$work/||g" "$work/ours.out" "$work/peer.out"
    printf '```\n'
} >"$section"

if [ "$out" = - ]; then
    cat "$section"
    exit 0
fi
put_section "$out" "## robots.txt matching" "$section"
log "wrote the robots.txt matching section of $out"
cat "$section" >&2
