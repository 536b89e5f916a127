# exante iscc: the Text-Code of every gen_text_code_v0 vector of the shared iscc-core data
# through the command (file and standard input, --bits, --json), invalid UTF-8, and errors:
# a missing file (exit 3), bad --bits and arguments (exit 2).
. "$(dirname "$0")/lib.sh"

DATA="$SHARED/vectors/iscc/data.json"
[ -f "$DATA" ] && ok || bad "no vectors at $DATA"

# each vector: its text as a file, its bits, its code and characters
python3 - "$DATA" <<'PY' >vectors.txt || bad "cannot read $DATA"
import json, sys
tests = json.load(open(sys.argv[1]))["gen_text_code_v0"]
for i, (name, t) in enumerate(sorted(tests.items())):
    text, bits = t["inputs"]
    open("v%d.txt" % i, "w", encoding="utf-8").write(text)
    print("v%d.txt" % i, bits, t["outputs"]["iscc"], t["outputs"]["characters"])
PY
[ "$(wc -l <vectors.txt)" -ge 5 ] && ok || bad "want at least 5 vectors: $(cat vectors.txt)"
while read -r file bits code chars; do
    expect 0 $EXANTE iscc --bits "$bits" "$file"
    [ "$(cat "$T/out")" = "$code" ] && ok || bad "$file: got $(cat "$T/out"), want $code"
    [ ! -s "$T/err" ] && ok || bad "$file: stderr not empty: $(cat "$T/err")"
    expect 0 $EXANTE --json iscc "$file" --bits "$bits"
    [ "$(cat "$T/out")" = "{\"characters\":$chars,\"iscc\":\"$code\"}" ] && ok ||
        bad "$file --json: $(cat "$T/out")"
done <vectors.txt

# standard input; 64 bits by default
printf 'Hello World' | $EXANTE iscc - >"$T/out" 2>"$T/err" && ok || bad "iscc - failed"
[ "$(cat "$T/out")" = "ISCC:EAASKDNZNYGUUF5A" ] && ok || bad "stdin: $(cat "$T/out")"
# invalid UTF-8: one U+FFFD per invalid sequence (Python: bytes.decode("utf-8", "replace"))
printf 'caf\303 \342\202 au lait\377\360\220\200!' >bad.txt
expect 0 $EXANTE --json iscc bad.txt
[ "$(cat "$T/out")" = '{"characters":13,"iscc":"ISCC:EAAZS55UEMX4XCCW"}' ] && ok ||
    bad "invalid UTF-8: $(cat "$T/out")"

# errors
expect 3 $EXANTE iscc missing.txt
contains "$T/err" "exante: cannot open 'missing.txt'"
[ ! -s "$T/out" ] && ok || bad "stdout not empty for a missing file"
for b in 32 100 288 0 -64 x ''; do
    expect 2 $EXANTE iscc --bits "$b" v0.txt
    contains "$T/err" "exante: iscc: --bits takes 64, 96, 128, 160, 192, 224 or 256"
done
expect 2 $EXANTE iscc
contains "$T/err" "exante: iscc: expected one FILE"
expect 2 $EXANTE iscc v0.txt v1.txt
contains "$T/err" "expected one FILE"
expect 2 $EXANTE iscc --frobnicate v0.txt
contains "$T/err" "exante: iscc: bad option '--frobnicate'"
expect 0 $EXANTE iscc --help
contains "$T/out" "usage: exante iscc [--bits N] [--json] FILE"
expect 0 $EXANTE --help
contains "$T/out" "iscc FILE [--bits N]"

finish
