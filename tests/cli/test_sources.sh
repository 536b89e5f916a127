# exante source add|list: records, evidence logged in the same append, errors.
. "$(dirname "$0")/lib.sh"
$EXANTE -q init --origin sources.example/log >/dev/null || bad init
printf 'Terms: no TDM.\n' > terms.txt
printf 'Licensed for training.\n' > agreement.txt
expect 0 $EXANTE --json source add news --kind crawl --license CC-BY-4.0 --ml-use prohibited --terms terms.txt --note "front pages"
contains "$T/out" '"index":1'
expect 0 $EXANTE source add books --kind licensed --agreement agreement.txt
contains "$T/out" "source 'books' logged at index 3"
expect 0 $EXANTE source list
[ "$(wc -l < "$T/out")" = 2 ] && ok || bad "source list: want 2 lines"
contains "$T/out" "\"terms\":\"sha256:$(sha256sum terms.txt | cut -d' ' -f1)\""
contains "$T/out" "\"agreement\":\"sha256:$(sha256sum agreement.txt | cut -d' ' -f1)\""
contains "$T/out" '"ml_use":"prohibited"'
contains "$T/out" '"ml_use":"unknown"'
# the terms document and the source record are log entries 0 and 1
expect 0 $EXANTE log entry 0
contains "$T/out" '"kind":"terms"'
contains "$T/out" '"source":"news"'
expect 0 $EXANTE log entry 1
contains "$T/out" '"type":"source"'
expect 0 $EXANTE log verify
contains "$T/out" "ok: 4 entries, 3 checkpoints"
# errors: nothing is logged
expect 2 $EXANTE source add news --kind crawl
contains "$T/err" "source 'news' already exists"
expect 2 $EXANTE source add "two words" --kind crawl
expect 2 $EXANTE source add web --kind spider
expect 2 $EXANTE source add web --kind crawl --ml-use maybe
expect 2 $EXANTE source add web
contains "$T/err" "--kind is required"
expect 3 $EXANTE source add web --kind crawl --terms missing.txt
contains "$T/err" "cannot open 'missing.txt'"
expect 0 $EXANTE log verify
contains "$T/out" "ok: 4 entries, 3 checkpoints"
expect 2 $EXANTE source frob
finish
