#!/usr/bin/env bash
# gen-spdx.sh - generate src/license/spdx_list.c (the SPDX id table) from data/spdx/*.json.
#
#   scripts/gen-spdx.sh            rewrite src/license/spdx_list.c
#   scripts/gen-spdx.sh --check    exit 1 if src/license/spdx_list.c is not what it would write
#   scripts/gen-spdx.sh --out F    write to F instead
#
# Needs python3 (standard library only: json); jq is not installed on the Debian 12 machines
# and node is only there for benchmarks. Run it after updating data/spdx/ (a copy of
# ../shared/data/spdx/) and commit both; tests/license.cmake checks that the two agree.
#
# What it writes (the types are in src/license/license.h):
#   - ex_spdx_list[]: every license id of licenses.json and every exception id of
#     exceptions.json, sorted by lowercased id, with flags (exception, deprecated: listed in
#     deprecated-ids.json, or-later: ends in "-or-later" or "+") and, for licenses, a version
#     key (see docs/LICENSES.md, "Later versions"): ids of one license family and version
#     share a key, and the keys of a family are consecutive in version order, so "X+" is the
#     key range [key, key_end).
#   - ex_spdx_hash[]: an open-addressing (linear probing) table over the lowercased ids,
#     FNV-1a 32-bit hash folded with h ^ (h >> 16); slot value = list index + 1, 0 = empty.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
out="$src/src/license/spdx_list.c"
check=0
while [ $# -gt 0 ]; do
    case "$1" in
    --check) check=1 ;;
    --out) out=${2:?--out needs a file}; shift ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gen-spdx.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
command -v python3 >/dev/null || { echo "gen-spdx.sh: python3 is needed" >&2; exit 1; }

tmp=$(mktemp "${TMPDIR:-/tmp}/spdx_list.XXXXXX")
trap 'rm -f "$tmp"' EXIT

python3 - "$src/data/spdx" "$tmp" <<'PY'
import json, re, sys

data, out = sys.argv[1], sys.argv[2]
with open(f"{data}/licenses.json", encoding="utf-8") as f:
    licenses = json.load(f)
with open(f"{data}/exceptions.json", encoding="utf-8") as f:
    exceptions = json.load(f)
with open(f"{data}/deprecated-ids.json", encoding="utf-8") as f:
    deprecated = set(json.load(f))

if not isinstance(licenses, dict) or not isinstance(exceptions, list):
    sys.exit("gen-spdx: licenses.json must be an object, exceptions.json an array")
ids = list(licenses) + list(exceptions)
for i in ids:
    if not re.fullmatch(r"[A-Za-z0-9.-]+\+?", i) or len(i) > 255:
        sys.exit(f"gen-spdx: unexpected id {i!r}")
lower = {}
for i in ids:
    if i.lower() in lower:
        sys.exit(f"gen-spdx: {i!r} and {lower[i.lower()]!r} differ only in case")
    lower[i.lower()] = i
for d in deprecated:
    if d not in licenses:
        sys.exit(f"gen-spdx: deprecated id {d!r} is not in licenses.json")

VERSION = re.compile(r"\d+(?:\.\d+)+[a-z]?")


def family(i):
    """(template, version tuple or None, or_later) of a license id."""
    later = False
    base = i
    if base.endswith("+"):
        base, later = base[:-1], True
    elif base.endswith("-or-later"):
        base, later = base[: -len("-or-later")], True
    elif base.endswith("-only"):
        base = base[: -len("-only")]
    parts = base.split("-")
    for n, p in enumerate(parts):
        if VERSION.fullmatch(p):
            m = re.fullmatch(r"([\d.]+)([a-z]?)", p)
            nums = tuple(int(x) for x in m.group(1).split("."))
            while len(nums) > 1 and nums[-1] == 0:
                nums = nums[:-1]
            tpl = "-".join(parts[:n] + ["*"] + parts[n + 1 :])
            return tpl.lower(), (nums, m.group(2)), later
    return base.lower(), None, later


fam = {i: family(i) for i in licenses}
groups = {}
for i, (tpl, ver, _) in fam.items():
    groups.setdefault(tpl, set()).add(ver)
key_of, end_of = {}, {}
nkeys = 0
for tpl in sorted(groups):
    vers = sorted(groups[tpl], key=lambda v: (v is not None, v))
    first = nkeys
    for v in vers:
        key_of[(tpl, v)] = nkeys
        nkeys += 1
    for v in vers:
        end_of[(tpl, v)] = nkeys
if nkeys >= 0xFFFF or len(exceptions) >= 0xFFFF:
    sys.exit("gen-spdx: too many keys")

exc_index = {e: n for n, e in enumerate(sorted(exceptions, key=str.lower))}
entries = []
for i in sorted(ids, key=str.lower):
    if i in licenses:
        tpl, ver, later = fam[i]
        flags = ["EX_SPDX_DEPRECATED"] if i in deprecated else []
        if later:
            flags.append("EX_SPDX_OR_LATER")
        entries.append((i, flags, key_of[(tpl, ver)], end_of[(tpl, ver)]))
    else:
        entries.append((i, ["EX_SPDX_EXCEPTION"], exc_index[i], exc_index[i] + 1))


def fnv(s):
    h = 2166136261
    for b in s.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & 0xFFFFFFFF


size = 1
while size < 2 * len(entries):
    size *= 2
size *= 2
table = [0] * size
maxprobe = 0
for n, (i, *_rest) in enumerate(entries):
    s = fnv(i.lower()) & (size - 1)
    probe = 1
    while table[s]:
        s = (s + 1) & (size - 1)
        probe += 1
    table[s] = n + 1
    maxprobe = max(maxprobe, probe)

nlic = sum(1 for e in entries if "EX_SPDX_EXCEPTION" not in e[1])
with open(out, "w", encoding="utf-8") as f:
    w = f.write
    w("/* spdx_list.c - GENERATED by scripts/gen-spdx.sh from the JSON files in data/spdx/.\n")
    w(" * Do not edit: change the data and run the script.\n")
    w(f" * {nlic} license ids ({len(deprecated)} deprecated), {len(exceptions)} exception ids,"
      f" {nkeys} version keys;\n")
    w(f" * hash table of {size} slots, longest probe {maxprobe}. */\n")
    w('#include "license/license.h"\n\n')
    w("const ex_spdx_entry ex_spdx_list[] = {\n")
    for i, flags, key, end in entries:
        fl = " | ".join(flags) if flags else "0"
        w(f'    {{"{i}", "{i.lower()}", {len(i)}, {fl}, {key}, {end}}},\n')
    w("};\n\n")
    w(f"const unsigned ex_spdx_count = {len(entries)};\n")
    w(f"const unsigned ex_spdx_nkeys = {nkeys};\n")
    w(f"const unsigned ex_spdx_nexceptions = {len(exceptions)};\n")
    w(f"const unsigned ex_spdx_hash_size = {size};\n")
    w(f"const unsigned ex_spdx_max_probe = {maxprobe};\n\n")
    w(f"const uint16_t ex_spdx_hash[{size}] = {{\n")
    for n in range(0, size, 16):
        w("    " + ", ".join(str(x) for x in table[n : n + 16]) + ",\n")
    w("};\n")
PY

if [ "$check" = 1 ]; then
    if cmp -s "$tmp" "$out"; then
        echo "gen-spdx.sh: $out is up to date"
        exit 0
    fi
    echo "gen-spdx.sh: $out differs from data/spdx (run scripts/gen-spdx.sh)" >&2
    diff -u "$out" "$tmp" | head -20 >&2 || true
    exit 1
fi
cp "$tmp" "$out"
echo "gen-spdx.sh: wrote $out" >&2
