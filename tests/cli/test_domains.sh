#!/usr/bin/env bash
# Domain lists (GPAI Code of Practice, copyright measure 1.2: exclude piracy domains): rule
# `domains FILE` matches a host that is, or is under, a domain of the list; the list is read
# beside the policy file, its digest is in the canonical form (so in the logged policy
# digest), the list itself is kept with the policy (a file changed later changes nothing),
# and log verify checks it. A bad line is refused with its line, a missing file with its path.
. "$(dirname "$0")/lib.sh"

mkdir pol
printf '# piracy domains\npirate.example\nPIRATE2.example   # case does not matter\n\n' > pol/piracy.txt
printf 'reject domains piracy.txt "a piracy-domain list"\nadmit *\n' > pol/policy.txt
{
    printf '{"text":"a","url":"https://pirate.example/x"}\n'
    printf '{"text":"b","url":"https://sub.pirate2.example/y"}\n'
    printf '{"text":"c","url":"https://notpirate.example/z"}\n'
    printf '{"text":"d","url":"https://pirate.example.org/z"}\n'
} > corpus.jsonl
verdicts() {
    $EXANTE decisions | python3 -c 'import json, sys
last = {}
for l in sys.stdin:
    d = json.loads(l)
    last[d["item"]] = d["verdict"] + " " + d["rule"]
print(" ".join(last[k] for k in sorted(last)))'
}
LIST=sha256:$(sha256sum pol/piracy.txt | cut -d' ' -f1)

$EXANTE -q init >/dev/null
$EXANTE -q source add web --kind crawl >/dev/null
expect 0 $EXANTE policy check pol/policy.txt # the list beside the policy, not in the cwd
D1=$(sed -n 's/.*digest \(sha256:[0-9a-f]*\).*/\1/p' "$T/out")
expect 0 $EXANTE -q policy adopt pol/policy.txt
expect 0 $EXANTE -q ingest --source web corpus.jsonl
[ "$(verdicts)" = "reject line:1 reject line:1 admit line:2 admit line:2" ] && ok || bad "decisions: $(verdicts)"
expect 0 $EXANTE --json why https://sub.pirate2.example/y
contains "$T/out" "sub.pirate2.example is under pirate2.example, on the domain list piracy.txt ($LIST)"
python3 -c 'import json,sys; sys.exit(0 if sys.argv[2] in json.load(open(sys.argv[1]))["evidence"] else 1)' "$T/out" "$LIST" && ok || bad "the list's digest is not the decision's evidence"
expect 0 $EXANTE policy show --json
contains "$T/out" "$LIST"
expect 0 $EXANTE log verify

# the list, not its path, is the policy: another list gives another digest
printf 'pirate.example\n' > pol/other.txt
sed 's/piracy.txt/other.txt/' pol/policy.txt > pol/policy2.txt
expect 0 $EXANTE policy check pol/policy2.txt
D2=$(sed -n 's/.*digest \(sha256:[0-9a-f]*\).*/\1/p' "$T/out")
[ -n "$D1" ] && [ -n "$D2" ] && [ "$D1" != "$D2" ] && ok || bad "two lists, one digest: $D1 $D2"
cp pol/piracy.txt pol/copy.txt
sed 's/piracy.txt/copy.txt/' pol/policy.txt > pol/policy3.txt
expect 0 $EXANTE policy check pol/policy3.txt
contains "$T/out" "$D1"

# the kept list decides: the file emptied after adoption changes nothing at reevaluate
: > pol/piracy.txt
printf '{"text":"e","url":"https://www.pirate.example/e"}\n' > more.jsonl
expect 0 $EXANTE -q ingest --source web more.jsonl
expect 0 $EXANTE -q reevaluate
[ "$(verdicts)" = "reject line:1 reject line:1 admit line:2 admit line:2 reject line:1" ] && ok || bad "after the file changed: $(verdicts)"

# an empty list (comments only) is a list that matches nothing
printf '# nothing yet\n' > pol/empty.txt
printf 'reject domains empty.txt\nadmit *\n' > pol/p_empty.txt
expect 0 $EXANTE policy check pol/p_empty.txt

# bad lists, missing files
printf 'good.example\nnot a domain\n' > pol/bad.txt
printf 'reject domains bad.txt\nadmit *\n' > pol/p_bad.txt
expect 2 $EXANTE policy check pol/p_bad.txt
contains "$T/err" "p_bad.txt:1:1: bad.txt line 2: 'not a domain' is not a domain name"
printf 'reject domains nowhere.txt\nadmit *\n' > pol/p_missing.txt
expect 3 $EXANTE policy check pol/p_missing.txt
contains "$T/err" "nowhere.txt"
printf 'reject domains\nadmit *\n' > pol/p_none.txt
expect 2 $EXANTE policy check pol/p_none.txt
contains "$T/err" "'domains' takes one file"

# the kept list is checked: tampered with in the database, log verify fails
DB="$EXANTE_DIR/ledger.db"
sqlite3 "$DB" "UPDATE policies SET record = replace(record, 'pirate.example', 'pirate.exampla')"
expect 1 $EXANTE log verify
contains "$T/err" "policy"

finish
