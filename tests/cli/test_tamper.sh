# log verify after single alterations of the SQLite file; corrupt database files.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (apt-get install sqlite3)" >&2; exit 1; }
DB="$EXANTE_DIR/ledger.db"

$EXANTE -q init --origin tamper.example/log >/dev/null || bad init
for i in $(seq 1 300); do echo "document $i" > d$i.txt; done
for i in $(seq 1 300); do $EXANTE -q evidence add d$i.txt --kind other >/dev/null || bad "add $i"; done
expect 0 $EXANTE log verify
contains "$T/out" "ok: 300 entries, 301 checkpoints"
cp "$DB" pristine.db

restore() { cp pristine.db "$DB"; rm -f "$DB-wal" "$DB-shm"; }

# one entry's bytes
sqlite3 "$DB" "UPDATE entries SET data = CAST(replace(CAST(data AS TEXT), 'other', 'terms') AS BLOB) WHERE idx = 42"
expect 1 $EXANTE log verify
contains "$T/err" "level 0 index 42"
restore

# one stored tree hash (a leaf hash in tile 0/0, then a level-1 hash)
# (a byte is set to 0x00, or to 0x01 where it was 0x00: always a change)
sqlite3 "$DB" "UPDATE tiles SET hashes = CASE WHEN substr(hashes, 1, 1) = x'00' THEN x'01' ELSE x'00' END || substr(hashes, 2) WHERE id = 0"
expect 1 $EXANTE log verify
contains "$T/err" "level 0 index 0"
restore
sqlite3 "$DB" "UPDATE tiles SET hashes = substr(hashes, 1, 257 * 32) || CASE WHEN substr(hashes, 257 * 32 + 1, 1) = x'00' THEN x'01' ELSE x'00' END || substr(hashes, 257 * 32 + 2) WHERE id = 0"
expect 1 $EXANTE log verify
contains "$T/err" "level 1 index 1"
restore

# one checkpoint: its signature, its root, a deleted latest one
sqlite3 "$DB" "UPDATE checkpoints SET note = CAST(replace(CAST(note AS TEXT), 'tamper.example/log ', 'tamper.example/log x') AS BLOB) WHERE size = 100"
expect 1 $EXANTE log verify
contains "$T/err" "checkpoint 100"
restore
sqlite3 "$DB" "DELETE FROM checkpoints WHERE size = 99; UPDATE checkpoints SET size = 99 WHERE size = 100"
expect 1 $EXANTE log verify
contains "$T/err" "checkpoint 99"
restore
sqlite3 "$DB" "DELETE FROM checkpoints WHERE size = 300"
expect 1 $EXANTE log verify
contains "$T/err" "not covered by a signed checkpoint"
restore

# a removed entry, an extra tile row, changed metadata
sqlite3 "$DB" "DELETE FROM entries WHERE idx = 7"
expect 1 $EXANTE log verify
contains "$T/err" "index 7 is missing"
restore
sqlite3 "$DB" "INSERT INTO tiles(id, hashes) VALUES(5, zeroblob(32))"
expect 1 $EXANTE log verify
contains "$T/err" "tile 0/5 is beyond"
restore
sqlite3 "$DB" "UPDATE meta SET value = 'other.example/log' WHERE key = 'origin'"
expect 1 $EXANTE log verify
restore
expect 0 $EXANTE log verify

# index past the end, corrupt and truncated database files: clear errors, nothing written
expect 2 $EXANTE log prove-inclusion 300
contains "$T/err" "no entry 300"
printf 'this is not a database, just some text that is long enough to fill a header.%.0s' $(seq 1 80) > "$DB"
rm -f "$DB-wal" "$DB-shm"
expect 3 $EXANTE log verify
contains "$T/err" "file is not a database"
expect 3 $EXANTE evidence add d1.txt --kind other
restore
head -c 20000 pristine.db > "$DB"
$EXANTE log verify >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 3 ] || [ $rc -eq 1 ] && ok || bad "truncated database: exit $rc"
grep -q "exante: " "$T/err" && ok || bad "truncated database: no message"

# a database written by a newer exante is refused, not misread
restore
sqlite3 "$DB" "PRAGMA user_version = 99"
expect 3 $EXANTE log verify
contains "$T/err" "ledger schema version 99 is newer than this exante"
restore

finish
