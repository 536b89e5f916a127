#!/usr/bin/env bash
# Static serving (docs/SERVING.md): `log tiles` and `snapshot tiles` with --incremental write
# only new and grown tiles and leave the rest untouched (inode and mtime), delete the partial
# tiles a full one replaced, and end as a fresh export would; a directory holding another
# log's, a fork's or a snapshot's tiles is refused and left as it was.
. "$(dirname "$0")/lib.sh"
umask 022

$EXANTE -q init --origin tiles.example/log >/dev/null
# grow N : N more log entries, robots.txt captures (one entry each, in one process)
mkdir caps
n=0
grow() {
    local files=()
    for _ in $(seq 1 "$1"); do
        n=$((n + 1))
        printf 'User-agent: *\nDisallow: /p%d\n' "$n" > "caps/$n.txt"
        files+=("caps/$n.txt")
    done
    $EXANTE -q signals add --host tiles.example --fetched 2026-06-01T00:00:00Z --kind robots \
        "${files[@]}" >/dev/null || bad "signals add"
}
# json WANT : the --json result is exactly WANT
json() {
    [ "$(cat "$T/out")" = "$1" ] && ok || bad "json: $(cat "$T/out"), want $1"
}
# fresh DIR : a non-incremental export into an empty DIR
fresh() {
    rm -rf "$1"
    $EXANTE -q log tiles --out "$1" >/dev/null || bad "log tiles --out $1"
}
# same A B : the trees are byte for byte the same
same() {
    diff -r "$1" "$2" > diff.txt && ok || bad "$1 and $2 differ: $(head -c 400 diff.txt)"
}
# only A B LINES : diff -r A B reports exactly LINES (sorted)
only() {
    diff -r "$1" "$2" | sort > diff.txt
    [ "$(cat diff.txt)" = "$3" ] && ok || bad "diff -r $1 $2: $(head -c 400 diff.txt)"
}
# marks FILE... : inode and mtime of each
marks() { stat -c '%i %Y %n' "$@"; }
old() { find "$1" -type f -exec touch -d '2001-02-03 04:05:06' {} +; }

# a first export into a new directory: nothing to keep, the same as a fresh one
grow 200
expect 0 $EXANTE --json log tiles --out pub --incremental
json '{"dir":"pub","files":3,"kept":0,"removed":0,"size":200}'
fresh ref
same pub ref
# the log has not grown: nothing written, not even the checkpoint
old pub
marks pub/checkpoint pub/tile/0/000.p/200 > m1.txt
expect 0 $EXANTE log tiles --out pub --incremental
contains "$T/out" "wrote 0 files (3 kept, 0 partial tiles removed) for a log of 200 entries to pub"
marks pub/checkpoint pub/tile/0/000.p/200 | cmp -s - m1.txt && ok || bad "an unchanged export rewrote files"

# (a) past the first tile boundary: the full tiles and new partial ones written, the partial
# tiles of the full ones gone, the result a fresh export's
grow 100
expect 0 $EXANTE --json log tiles --out pub --incremental
json '{"dir":"pub","files":6,"kept":0,"removed":2,"size":300}'
[ ! -e pub/tile/0/000.p ] && [ ! -e pub/tile/entries/000.p ] && ok || bad "000.p left behind"
fresh ref
same pub ref
cp -r ref ref300

# (b) a few more entries: the full tiles and the unchanged level-1 partial are not touched
old pub
keep="pub/tile/0/000 pub/tile/entries/000 pub/tile/1/000.p/1"
marks $keep > m2.txt
cpm=$(stat -c %Y pub/checkpoint)
grow 10
expect 0 $EXANTE --json log tiles --out pub --incremental
json '{"dir":"pub","files":3,"kept":3,"removed":0,"size":310}'
marks $keep | cmp -s - m2.txt && ok || bad "kept tiles were rewritten: $(marks $keep)"
[ "$(stat -c %Y pub/checkpoint)" != "$cpm" ] && ok || bad "the checkpoint was not rewritten"
# the 300-entry checkpoint's partial tiles stay (its clients may fetch them), as they were
fresh ref
only pub ref "Only in pub/tile/0/001.p: 44
Only in pub/tile/entries/001.p: 44"
cmp -s pub/tile/0/001.p/44 ref300/tile/0/001.p/44 && cmp -s pub/tile/entries/001.p/44 ref300/tile/entries/001.p/44 &&
    ok || bad "a kept partial tile changed"

# past the second boundary: both widths of tile 1 go once it is full
grow 210
expect 0 $EXANTE --json log tiles --out pub --incremental
json '{"dir":"pub","files":6,"kept":2,"removed":4,"size":520}'
fresh ref
only pub ref "Only in pub/tile/1/000.p: 1"
$EXANTE log tiles --out pub --incremental >/dev/null
[ -z "$(find pub -name '.*')" ] && ok || bad "temporary files left: $(find pub -name '.*')"
[ "$(find pub -type f ! -perm 644 | wc -l)" = 0 ] && ok || bad "modes: $(find pub -type f ! -perm 644)"

# without a usable checkpoint every file is checked by size: a missing and a cut tile are
# written again, the others kept
echo "not a checkpoint" > pub/checkpoint
rm pub/tile/0/001
head -c 100 ref/tile/entries/000 > cut && mv cut pub/tile/entries/000
marks pub/tile/0/000 > m3.txt
expect 0 $EXANTE --json log tiles --out pub --incremental
json '{"dir":"pub","files":3,"kept":5,"removed":0,"size":520}'
marks pub/tile/0/000 | cmp -s - m3.txt && ok || bad "a tile in place was rewritten"
only pub ref "Only in pub/tile/1/000.p: 1"
# without --incremental everything is written, and nothing removed, as before
expect 0 $EXANTE --json log tiles --out pub
json '{"dir":"pub","files":8,"kept":0,"removed":0,"size":520}'
only pub ref "Only in pub/tile/1/000.p: 1"

# (d) another log's directory, a fork's, and a larger log's are refused and left as they were
echo "another document" > other.txt
EXANTE_DIR="$T/other" $EXANTE -q init --origin other.example/log >/dev/null
EXANTE_DIR="$T/other" $EXANTE -q evidence add other.txt --kind terms >/dev/null
EXANTE_DIR="$T/other" $EXANTE -q log tiles --out opub >/dev/null
cp -r opub opub.before
marks $(find opub -type f | sort) > m4.txt
expect 1 $EXANTE log tiles --out opub --incremental
contains "$T/err" "'opub/checkpoint' is a checkpoint of log 'other.example/log', not of this log ('tiles.example/log'): nothing written"
marks $(find opub -type f | sort) | cmp -s - m4.txt && same opub opub.before || bad "another log's directory was changed"
EXANTE_DIR="$T/fork" $EXANTE -q init --origin tiles.example/log >/dev/null
for _ in 1 2 3; do EXANTE_DIR="$T/fork" $EXANTE -q evidence add other.txt --kind terms >/dev/null; done
EXANTE_DIR="$T/fork" $EXANTE -q log tiles --out fpub >/dev/null
cp -r fpub fpub.before
marks $(find fpub -type f | sort) > m4.txt
expect 1 $EXANTE log tiles --out fpub --incremental
contains "$T/err" "'fpub/checkpoint' at size 3 has another root than this log at that size"
marks $(find fpub -type f | sort) | cmp -s - m4.txt && same fpub fpub.before || bad "a fork's directory was changed"
marks $(find pub -type f | sort) > m5.txt
EXANTE_DIR="$T/fork" expect 1 $EXANTE log tiles --out pub --incremental
contains "$T/err" "'pub/checkpoint' is at size 520, past this log's 3"
marks $(find pub -type f | sort) | cmp -s - m5.txt && ok || bad "a larger log's directory was changed"

# (e) snapshot tiles: a snapshot never changes, so a second incremental export writes nothing
$EXANTE -q source add s --kind other --license MIT >/dev/null
printf 'admit license MIT\nreject * "no"\n' > policy.txt
$EXANTE -q policy adopt policy.txt >/dev/null
for i in $(seq 1 300); do printf '{"text":"member %d"}\n' "$i"; done > corpus.jsonl
$EXANTE -q ingest --source s corpus.jsonl >/dev/null
$EXANTE -q snapshot create s1 >/dev/null
$EXANTE -q snapshot create s2 >/dev/null
expect 0 $EXANTE --json snapshot tiles s1 --out sp --incremental
json '{"dir":"sp","files":6,"kept":0}'
expect 0 $EXANTE snapshot tiles s1 --out spref
contains "$T/out" "wrote 6 files under spref"
same sp spref
old sp
marks $(find sp -type f | sort) > m6.txt
expect 0 $EXANTE --json snapshot tiles s1 --out sp --incremental
json '{"dir":"sp","files":0,"kept":6}'
marks $(find sp -type f | sort) | cmp -s - m6.txt && ok || bad "an unchanged snapshot export rewrote files"
rm sp/tile/0/000
expect 0 $EXANTE snapshot tiles s1 --out sp --incremental
contains "$T/out" "wrote 1 files (5 kept) under sp"
same sp spref
EXANTE_DIR="$T/none" expect 0 $EXANTE snapshot audit s1 --tiles sp
# another snapshot's directory, a log's, and a snapshot's for the log: refused, untouched
marks $(find sp -type f | sort) > m7.txt
expect 1 $EXANTE snapshot tiles s2 --out sp --incremental
contains "$T/err" "'sp/snapshot' is the record of snapshot 's1', not of this 's2': nothing written"
expect 1 $EXANTE log tiles --out sp --incremental
contains "$T/err" "'sp' holds a snapshot's tiles"
marks $(find sp -type f | sort) | cmp -s - m7.txt && ok || bad "a snapshot's directory was changed"
marks $(find pub -type f | sort) > m8.txt
expect 1 $EXANTE snapshot tiles s1 --out pub --incremental
contains "$T/err" "'pub' holds a log's tiles"
marks $(find pub -type f | sort) | cmp -s - m8.txt && ok || bad "a log's directory was changed"
# without --incremental the record is replaced, as before
expect 0 $EXANTE snapshot tiles s2 --out sp
EXANTE_DIR="$T/none" expect 0 $EXANTE snapshot audit s2 --tiles sp

# --incremental goes with tiles only
expect 2 $EXANTE log verify --incremental
contains "$T/err" "--incremental is for 'log tiles'"
expect 2 $EXANTE snapshot audit s1 --incremental
contains "$T/err" "--incremental goes with tiles"

finish
