#!/usr/bin/env bash
# spdx.sh - benchmark the SPDX expression parser against npm spdx-expression-parse on the same
# expressions in the same run, and compare the two on random valid and invalid expressions.
#
#   bench/spdx.sh [--n N] [--diff N] [--reps R] [--build-dir DIR] [--out FILE] [--keep]
#
#   --n N            expressions in the benchmark mix (default 100000)
#   --diff N         random expressions for the differential check (default 5000)
#   --reps R         timing repetitions, best taken (default 5)
#   --build-dir DIR  build Release there (default: a temporary directory)
#   --out FILE       the results file whose "## SPDX expressions" section is replaced, or
#                    appended (default: bench/RESULTS.md; other sections are left as they are)
#   --keep           keep the work directory and say where it is
#
# Steps:
#   1. build bench_spdx (Release); install spdx-expression-parse (latest) with npm into the
#      work directory; node (/usr/bin/node) runs it.
#   2. ids both sides know: data/spdx/ against the npm packages spdx-license-ids (with its
#      deprecated list) and spdx-exceptions, so the mix has no list-version noise.
#   3. `bench_spdx gen` writes the mix (single ids, OR/AND, WITH, parentheses, '+',
#      LicenseRefs); `bench_spdx parse` times ex_license_parse + free, best of R, plus the
#      evaluation of the cached trees against POLICY.md's two license sets and the id
#      look-up (hash table vs binary search); node times parse() on the same lines in memory,
#      best of R (after a warm-up run, so the JIT has compiled it).
#   4. differential: node writes random expressions (ids of both lists, case changes,
#      operators in every case, missing spaces, '+', parentheses, refs, NONE, junk bytes),
#      `bench_spdx check` and spdx-expression-parse judge each; accept/reject and, when both
#      accept, the tree (n-ary operators flattened, since they nest '(A OR B) OR C' to the left
#      and we normalise) are compared, and every disagreement gets a class (docs/LICENSES.md
#      explains each), confirmed by repairing the line (removing what the classes name) and
#      checking that both sides then agree. A disagreement no class explains is listed in full
#      and fails the script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
src=$(cd "$here/.." && pwd)

n=100000
ndiff=5000
reps=5
build=""
out="$here/RESULTS.md"
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --n) n=${2:?--n needs a number}; shift ;;
    --diff) ndiff=${2:?--diff needs a number}; shift ;;
    --reps) reps=${2:?--reps needs a number}; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "spdx.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
bench_start spdx cmake cc node npm
cmds=()
# run NAME CMD...: record the command, run it, keep its stdout as $work/NAME.out
run() {
    local name=$1
    shift
    cmds+=("$*")
    log "$*"
    "$@" >"$work/$name.out"
}
num() {
    awk -v x="$1" 'BEGIN {
        s = sprintf("%.0f", x); o = ""
        while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        printf "%s%s", s, o }'
}

# ---- 1. build, npm ---------------------------------------------------------------------------
log "building Release in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_spdx >/dev/null
bench="$build/bench/bench_spdx"
[ -x "$bench" ] || { echo "spdx.sh: $bench was not built" >&2; exit 1; }

log "installing spdx-expression-parse from npm into $work/npm"
mkdir -p "$work/npm"
(cd "$work/npm" && npm init -y >/dev/null &&
    npm install --no-audit --no-fund spdx-expression-parse >/dev/null 2>&1) ||
    { echo "spdx.sh: npm install spdx-expression-parse failed" >&2; exit 1; }
export NODE_PATH="$work/npm/node_modules"
nver() { node -p "require('$1/package.json').version"; }
sep_v=$(nver spdx-expression-parse)
ids_v=$(nver spdx-license-ids)
exc_v=$(nver spdx-exceptions)

# ---- 2. the ids both know --------------------------------------------------------------------
cat >"$work/ids.js" <<'JS'
// ids.js DATA_DIR OUT: ids of data/spdx that the npm lists also have; counts on stdout
const fs = require('fs')
const [data, out] = process.argv.slice(2)
const ours = Object.keys(JSON.parse(fs.readFileSync(data + '/licenses.json')))
  .concat(JSON.parse(fs.readFileSync(data + '/exceptions.json')))
const theirs = new Set([].concat(require('spdx-license-ids'), require('spdx-license-ids/deprecated'),
  require('spdx-exceptions')))
const both = ours.filter(id => theirs.has(id))
const oursSet = new Set(ours)
fs.writeFileSync(out, both.join('\n') + '\n')
console.log(JSON.stringify({ ours: ours.length, theirs: theirs.size, both: both.length,
  only_ours: ours.length - both.length, only_theirs: [...theirs].filter(i => !oursSet.has(i)).length }))
JS
run ids node "$work/ids.js" "$src/data/spdx" "$work/ids.txt"

# ---- 3. the benchmark ------------------------------------------------------------------------
run gen "$bench" gen "$work/mix.txt" "$n" "$work/ids.txt"
run ours "$bench" parse "$work/mix.txt" "$reps"
cat >"$work/bench.js" <<'JS'
// bench.js FILE REPS: parse every line with spdx-expression-parse, best of REPS
const fs = require('fs')
const parse = require('spdx-expression-parse')
const [file, reps] = [process.argv[2], +process.argv[3]]
const lines = fs.readFileSync(file, 'utf8').split('\n')
if (lines[lines.length - 1] === '') lines.pop()
let best = Infinity, ok = 0
for (let r = 0; r <= reps; r++) { // run 0 warms the JIT up and is not counted
  let good = 0
  const t0 = process.hrtime.bigint()
  for (const s of lines) { try { parse(s); good++ } catch (e) {} }
  const t = Number(process.hrtime.bigint() - t0) / 1e9
  if (r > 0 && t < best) best = t
  ok = good
}
const rss = process.resourceUsage().maxRSS / 1024
console.log(JSON.stringify({ exprs: lines.length, valid: ok, reps, parse_s: +best.toFixed(4),
  parse_per_s: Math.round(lines.length / best), peak_rss_mib: +rss.toFixed(1) }))
JS
run theirs node "$work/bench.js" "$work/mix.txt" "$reps"
cat "$work/ours.out" "$work/theirs.out" >&2

# ---- 4. differential -------------------------------------------------------------------------
cat >"$work/gendiff.js" <<'JS'
// gendiff.js DATA_DIR N OUT: random valid and invalid expressions, one a line
const fs = require('fs')
const [data, n, out] = [process.argv[2], +process.argv[3], process.argv[4]]
let seed = 0x2545f491
const rnd = k => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed % k }
const pick = a => a[rnd(a.length)]
const lic = Object.keys(JSON.parse(fs.readFileSync(data + '/licenses.json')))
  .concat(require('spdx-license-ids'), require('spdx-license-ids/deprecated')).filter(i => !i.includes('+'))
const exc = JSON.parse(fs.readFileSync(data + '/exceptions.json')).concat(require('spdx-exceptions'))
const popular = ['MIT', 'Apache-2.0', 'BSD-3-Clause', 'ISC', 'GPL-2.0-only', 'GPL-3.0-or-later', 'GPL-2.0',
  'LGPL-2.1', 'CC-BY-4.0', 'MPL-2.0', 'Unlicense']
const recase = s => { const r = rnd(10); return r === 0 ? s.toLowerCase() : r === 1 ? s.toUpperCase() : s }
const op = o => { const r = rnd(20); return r === 0 ? o.toLowerCase() : r === 1 ? o[0] + o.slice(1).toLowerCase() : o }
function leaf () {
  const r = rnd(100)
  let s
  if (r < 55) s = recase(rnd(2) ? pick(popular) : pick(lic))
  else if (r < 60) s = 'LicenseRef-' + pick(['x', 'Foo.1', 'a-b', 'scancode-42'])
  else if (r < 62) s = 'DocumentRef-doc-1:LicenseRef-' + pick(['y', 'Z.2'])
  else if (r < 64) s = pick(['licenseref-x', 'NONE', 'NOASSERTION', 'none', 'Foo-1.0', 'AdditionRef-x', 'DocumentRef-d'])
  else if (r < 67) s = recase(pick(exc))
  else s = recase(rnd(3) ? pick(popular) : pick(lic))
  if (rnd(12) === 0) s += rnd(4) ? '+' : ' +'
  if (rnd(8) === 0) s += ' ' + op('WITH') + ' ' + pick([recase(pick(exc)), 'AdditionRef-q', pick(lic)])
  return s
}
function expr (d) {
  const r = rnd(10)
  if (d > 3 || r < 4) return leaf()
  const o = op(rnd(2) ? 'AND' : 'OR')
  let s = expr(d + 1) + ' ' + o + ' ' + expr(d + 1)
  if (rnd(3) === 0) s = '(' + s + ')'
  return s
}
function mutate (s) {
  const r = rnd(12)
  const i = rnd(s.length + 1)
  switch (r) {
    case 0: return s.slice(0, i) + pick(['(', ')', '+', ' ', '/', ',', ':', '\t', 'ü']) + s.slice(i)
    case 1: return s.slice(0, i) + s.slice(i + 1)
    case 2: return s.replace(/ (AND|OR|WITH) \(/, ' $1(')
    case 3: return s.replace(/\) (AND|OR)/, ')$1')
    case 4: return s.replace(/ (AND|OR) /, ' $1 $1 ')
    case 5: return ' ' + s + '  '
    default: return s
  }
}
const lines = []
for (let k = 0; k < n; k++) { let s = expr(0); if (rnd(3) === 0) s = mutate(s); lines.push(s) }
fs.writeFileSync(out, lines.join('\n') + '\n')
JS
cat >"$work/compare.js" <<'JS'
// compare.js DATA_DIR INPUT OURS BENCH: compare `bench_spdx check` output with
// spdx-expression-parse, line by line. Each disagreement gets the first class whose feature the
// line has; then the line is repaired (every feature of every class removed: ids respelled as
// listed, ids of one list only replaced, operators upper-cased and spaced, refs and NONE
// replaced) and judged again by both sides: the class is confirmed only if the repaired line
// gets the same verdict and tree from both. Unconfirmed lines are "unexplained".
const fs = require('fs')
const { execFileSync } = require('child_process')
const parse = require('spdx-expression-parse')
const [data, input, oursFile, bench] = process.argv.slice(2)
const lines = f => { const l = fs.readFileSync(f, 'utf8').split('\n'); l.pop(); return l }
const inputs = lines(input), ours = lines(oursFile)
if (inputs.length !== ours.length) throw new Error('line counts differ')
const ourLic = Object.keys(JSON.parse(fs.readFileSync(data + '/licenses.json')))
const ourExc = JSON.parse(fs.readFileSync(data + '/exceptions.json'))
const theirLic = [].concat(require('spdx-license-ids'), require('spdx-license-ids/deprecated'))
const theirExc = require('spdx-exceptions')
const ourSet = new Set(ourLic.concat(ourExc)), theirSet = new Set(theirLic.concat(theirExc))
const excSet = new Set(ourExc.concat(theirExc))
const canon = new Map()
for (const id of [...theirSet, ...ourSet]) canon.set(id.toLowerCase(), id)
const OP = /^(and|or|with)$/i
// n-ary form: nested conjunctions of one kind become one list
function flat (t) {
  if (!t.conjunction) return JSON.stringify({ license: t.license, plus: !!t.plus, exception: t.exception || null })
  const args = []
  const walk = x => { if (x.conjunction === t.conjunction) { walk(x.left); walk(x.right) } else args.push(flat(x)) }
  walk(t)
  return t.conjunction + '[' + args.join(',') + ']'
}
const theirVerdict = s => { try { return flat(parse(s)) } catch (e) { return null } }
const ourVerdict = line => line.startsWith('ok\t') ? flat(JSON.parse(line.slice(3))) : null
const words = s => s.split(/[^A-Za-z0-9.+:-]+/).filter(Boolean).map(w => w.replace(/\+$/, ''))
const glued = w => { const m = /^(and|or|with)(.+)$/i.exec(w); return m && canon.has(m[2].toLowerCase()) }
const classes = [
  ['NONE / NOASSERTION', s => /(^|[^A-Za-z0-9.-])(none|noassertion)([^A-Za-z0-9.-]|$)/i.test(s)],
  ['AdditionRef', s => /AdditionRef-/.test(s)],
  ['list version', s => words(s).some(w => ourSet.has(w) !== theirSet.has(w))],
  ['id case', s => words(s).some(w => canon.has(w.toLowerCase()) && !ourSet.has(w) && !theirSet.has(w))],
  ['operator case', s => words(s).some(w => OP.test(w) && w !== w.toUpperCase() && w !== w.toLowerCase())],
  ['operator glued to an id', s => words(s).some(glued)],
  ['space around operator', s => /(^|[ )])(and|or|with)\(|\)(and|or|with)([ (]|$)/i.test(s)],
]
function repair (s) {
  s = s.replace(/(DocumentRef-[A-Za-z0-9.-]+:)?AdditionRef-[A-Za-z0-9.-]*/g, 'Classpath-exception-2.0')
  s = s.replace(/[A-Za-z0-9.-]+/g, w => {
    if (/^(none|noassertion)$/i.test(w)) return 'MIT'
    if (OP.test(w)) return w.toUpperCase()
    const g = /^(and|or|with)(.+)$/i.exec(w)
    if (g && canon.has(g[2].toLowerCase()) && !canon.has(w.toLowerCase())) return g[1].toUpperCase() + ' ' + canon.get(g[2].toLowerCase())
    const c = canon.get(w.toLowerCase())
    if (!c) return w
    if (ourSet.has(c) && theirSet.has(c)) return c
    return excSet.has(c) ? 'Classpath-exception-2.0' : 'MIT'
  })
  return s.replace(/\)(AND|OR|WITH)/g, ') $1').replace(/(AND|OR|WITH)\(/g, '$1 (')
}
const stats = { n: inputs.length, both_ok: 0, both_err: 0, same_tree: 0 }
const found = []
for (let i = 0; i < inputs.length; i++) {
  const s = inputs[i], a = ourVerdict(ours[i]), b = theirVerdict(s)
  if (a && b) { stats.both_ok++; if (a === b) { stats.same_tree++; continue } } else if (!a && !b) { stats.both_err++; continue }
  const kind = a && b ? 'both accept, trees differ' : a ? 'we accept, they reject' : 'we reject, they accept'
  const c = classes.find(([, f]) => f(s))
  found.push({ input: s, kind, cls: c ? c[0] : null, ours: a ? 'ok' : ours[i].slice(4).replace('\t', ': '), theirs: b, repaired: repair(s) })
}
// the repaired lines, judged by both
const rfile = input + '.repaired'
fs.writeFileSync(rfile, found.map(f => f.repaired).join('\n') + (found.length ? '\n' : ''))
const rours = found.length ? execFileSync(bench, ['check', rfile], { maxBuffer: 1 << 28 }).toString().split('\n') : []
const cls = {}, unexplained = []
found.forEach((f, k) => {
  const agree = ourVerdict(rours[k]) === theirVerdict(f.repaired)
  if (!f.cls || !agree) { unexplained.push(f); return }
  const key = f.cls + '\t' + f.kind
  if (!cls[key]) cls[key] = { count: 0, example: f.input, ours: f.ours }
  cls[key].count++
})
stats.classes = Object.entries(cls).map(([k, v]) => ({ class: k.split('\t')[0], kind: k.split('\t')[1], ...v }))
  .sort((x, y) => y.count - x.count)
stats.unexplained = unexplained
console.log(JSON.stringify(stats))
JS
run gendiff node "$work/gendiff.js" "$src/data/spdx" "$ndiff" "$work/diff.txt"
run check "$bench" check "$work/diff.txt"
run compare node "$work/compare.js" "$src/data/spdx" "$work/diff.txt" "$work/check.out" "$bench"

# ---- report ----------------------------------------------------------------------------------
ratio=$(awk -v a="$(j ours parse_per_s)" -v b="$(j theirs parse_per_s)" 'BEGIN { printf "%.1f", a / b }')
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "**missed**" }'; }
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -p)
section="$work/section.md"
{
    printf '## SPDX expressions\n\n'
    printf 'Written by `bench/spdx.sh` on %s.\n\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf -- '- machine: %s, %s cores; %s; node %s; spdx-expression-parse %s (spdx-license-ids %s, spdx-exceptions %s)\n' \
        "$cpu" "$(nproc)" "$(cc --version | head -n1)" "$(node --version)" "$sep_v" "$ids_v" "$exc_v"
    printf -- '- input: %s expressions (%s bytes) from `bench_spdx gen`: 40%% popular single ids, 15%% other single ids, OR / AND pairs and triples, WITH, parentheses, `+`, LicenseRefs; ids limited to the %s both lists know\n' \
        "$(j ours exprs)" "$(j ours bytes)" "$(j ids both)"
    printf -- '- parse: every line parsed from memory (ours: `ex_license_parse` + `ex_license_free`; npm: `parse()` in a try), best of %s; one core each\n\n' "$reps"
    printf '| Measure | Rate (/s) | Target | Met? | Peak RSS |\n|---|---|---|---|---|\n'
    printf '| parse, ours | %s (%s MB/s) | ≥ 1,000,000 | %s | %s MiB |\n' "$(num "$(j ours parse_per_s)")" \
        "$(j ours parse_mb_per_s)" "$(met "$(j ours parse_per_s)" 1000000)" "$(j ours peak_rss_mib)"
    printf '| parse, spdx-expression-parse %s | %s | (peer) | ours %s× faster | %s MiB |\n' "$sep_v" \
        "$(num "$(j theirs parse_per_s)")" "$ratio" "$(j theirs peak_rss_mib)"
    printf '| evaluation of cached trees: `all_in` (reject set) + `admits` (admit set) of POLICY.md | %s items | ≥ 2,000,000 | %s | – |\n' \
        "$(num "$(j ours eval_per_s)")" "$(met "$(j ours eval_per_s)" 2000000)"
    printf '| id look-up, hash table (`ex_spdx_find`) | %s | – | – | – |\n' "$(num "$(j ours lookup_hash_per_s)")"
    printf '| id look-up, binary search over sorted lowercased ids | %s | (alternative) | – | – |\n\n' "$(num "$(j ours lookup_bsearch_per_s)")"
    printf 'Valid lines: ours %s, theirs %s of %s.\n\n' "$(j ours valid)" "$(j theirs valid)" "$(j ours exprs)"
    printf '### Differential check against spdx-expression-parse\n\n'
    printf '%s random expressions (`gendiff.js`: ids of both lists, case changes, operators in every case, missing spaces, `+`, parentheses, refs, NONE, junk bytes; a third mutated). Both accept: %s (same tree: %s); both reject: %s. Lists: ours %s ids, theirs %s, %s only ours, %s only theirs.\n\n' \
        "$(j compare n)" "$(j compare both_ok)" "$(j compare same_tree)" "$(j compare both_err)" \
        "$(j ids ours)" "$(j ids theirs)" "$(j ids only_ours)" "$(j ids only_theirs)"
    printf '| Class (docs/LICENSES.md) | Disagreement | Count | Example | Ours |\n|---|---|---|---|---|\n'
    node -e '
        const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
        const esc = x => String(x).replace(/\|/g, "\\|").replace(/\t/g, "\\t")
        for (const c of s.classes) console.log(`| ${c.class} | ${c.kind} | ${c.count} | \`${esc(c.example)}\` | ${esc(c.ours)} |`)
        console.log(`\nUnexplained disagreements: ${s.unexplained.length}.`)
        for (const u of s.unexplained) console.log(`- \`${esc(u.input)}\`: ${u.kind} (class: ${u.cls || "none"}; repaired \`${esc(u.repaired)}\`); ours ${esc(u.ours)}; theirs ${esc(u.theirs)}`)
    ' "$work/compare.out"
    printf '\n### Commands\n\n```sh\n'
    printf '%s\n' "${cmds[@]}" | sed "s|$work|\$WORK|g; s|$build|\$BUILD|g; s|$src/||g"
    printf '```\n\n### Raw output\n\n```\n'
    cat "$work/ids.out" "$work/ours.out" "$work/theirs.out"
    printf '```\n'
} >"$section"

put_section "$out" "## SPDX expressions" "$section"
log "wrote the SPDX expressions section of $out"
cat "$section" >&2
unexplained=$(node -p "JSON.parse(require('fs').readFileSync('$work/compare.out', 'utf8')).unexplained.length")
if [ "$unexplained" != 0 ]; then
    echo "spdx.sh: $unexplained disagreements with spdx-expression-parse have no class" >&2
    exit 1
fi
