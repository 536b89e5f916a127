# exante_sqlite's block_count(BLOB) and block_record(BLOB, I) (ext/sqlite_record.c) on blocks
# made outside exante, as docs/FORMATS.md "Blocks" lays them out: the content written byte by
# byte with printf and compressed by the zstd command (which writes the content size and a
# checksum); then blocks the format refuses: no checksum, offsets that do not match the records,
# a bad magic, and a record number out of range.
. "$(dirname "$0")/lib.sh"

# content: magic, version 1, n, the n + 1 offsets (little-endian), the records
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"; }
block() { # block FILE MAGIC RECORD... : the block of the records, with its offsets
    local f=$1 magic=$2 off=0 r
    shift 2
    { printf '%s' "$magic"; le32 1; le32 $#; le32 0
      for r in "$@"; do off=$((off + ${#r})); le32 $off; done
      for r in "$@"; do printf '%s' "$r"; done; } >"$f.bin"
}
block three EXBK '{"id":1,"url":"https://a.example/"}' '' '{"id":3,"verdict":"admit"}'
zstd -q -f -c three.bin >three.zst
q() { sql :memory: "$1" >"$T/out" 2>"$T/err"; }
q "SELECT block_count(readfile('three.zst'))"
[ "$(cat out)" = 3 ] && ok || bad "block_count gave '$(cat out)' $(cat err)"
q "SELECT json_extract(block_record(readfile('three.zst'), 0), '\$.url'), length(block_record(readfile('three.zst'), 1)), json_extract(block_record(readfile('three.zst'), 2), '\$.verdict')"
[ "$(cat out)" = "https://a.example/|0|admit" ] && ok || bad "block_record gave '$(cat out)' $(cat err)"
# every record in turn, through a series: the block is decompressed once and kept
q "WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 2) SELECT group_concat(length(block_record(readfile('three.zst'), n)), ',') FROM i"
[ "$(cat out)" = "35,0,26" ] && ok || bad "the records' lengths: '$(cat out)' $(cat err)"
q "SELECT block_count(NULL) IS NULL AND block_record(NULL, 0) IS NULL"
[ "$(cat out)" = 1 ] && ok || bad "NULL blocks: '$(cat out)' $(cat err)"

# refused, each with the reason
q "SELECT block_record(readfile('three.zst'), 3)"
grep -q "no such record" err && ok || bad "record 3 of 3: $(cat out) $(cat err)"
zstd -q -f --no-check -c three.bin >nocheck.zst
q "SELECT block_count(readfile('nocheck.zst'))"
grep -q "no checksum" err && ok || bad "no checksum: $(cat out) $(cat err)"
block badmagic EXBX '{}'
zstd -q -f -c badmagic.bin >badmagic.zst
q "SELECT block_count(readfile('badmagic.zst'))"
grep -qi "magic\|not a block" err && ok || bad "bad magic: $(cat out) $(cat err)"
{ printf EXBK; le32 1; le32 1; le32 0; le32 9; printf '{}'; } >short.bin # says 9, holds 2
zstd -q -f -c short.bin >short.zst
q "SELECT block_count(readfile('short.zst'))"
grep -q "damaged block" err && ok || bad "offsets past the records: $(cat out) $(cat err)"
q "SELECT block_count(x'00010203')"
grep -q "damaged block" err && ok || bad "not zstd: $(cat out) $(cat err)"
# record() still reads plain records
q "SELECT record(CAST('{\"x\":1}' AS BLOB))"
[ "$(cat out)" = '{"x":1}' ] && ok || bad "record() on a plain record: '$(cat out)' $(cat err)"
finish
