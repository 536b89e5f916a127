# Decompressing streams against the reference tools (gzip, zstd): see tests/unit/test_instream.c.
. "$(dirname "$0")/lib.sh"
: "${TEST_INSTREAM:?}"
for i in $(seq 1 30000); do echo "{\"n\":$i,\"text\":\"line $i of a sample corpus\"}"; done > plain.bin
head -c 100000 plain.bin > p1; tail -c +100001 plain.bin | head -c 500000 > p2; tail -c +600001 plain.bin > p3
# a member with an optional header field (FNAME, written by gzip FILE) parses like a plain one
cp p1 named-first-part-with-a-long-file-name.txt; gzip -k -f named-first-part-with-a-long-file-name.txt
{ cat named-first-part-with-a-long-file-name.txt.gz; gzip -c p2; gzip -9 -c p3; } > multi.gz
{ zstd -q -c p1; zstd -q -c p2; zstd -q -c p3; } > multi.zst
head -c $(( $(stat -c %s multi.gz) - 100 )) multi.gz > trunc.gz
head -c $(( $(stat -c %s multi.zst) - 100 )) multi.zst > trunc.zst
cp multi.gz corrupt.gz; printf 'XXXXXXXX' | dd of=corrupt.gz bs=1 seek=2000 conv=notrunc 2>/dev/null
{ cat multi.gz; echo "not gzip"; } > garbage.gz
expect 0 "$TEST_INSTREAM" "$T"
finish
