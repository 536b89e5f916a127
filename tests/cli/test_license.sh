# exante license parse: normalised output, --json structure, deprecated warnings, errors with
# column and caret (exit 2), usage errors and --help.
. "$(dirname "$0")/lib.sh"

# normalised text on stdout, nothing on stderr
expect 0 $EXANTE license parse 'mit or (apache-2.0 and (isc))'
[ "$(cat "$T/out")" = "MIT OR Apache-2.0 AND ISC" ] && ok || bad "normalised: $(cat "$T/out")"
[ ! -s "$T/err" ] && ok || bad "stderr not empty: $(cat "$T/err")"
expect 0 $EXANTE license parse '(MIT OR ISC) AND gpl-2.0-only WITH classpath-exception-2.0'
[ "$(cat "$T/out")" = "(MIT OR ISC) AND GPL-2.0-only WITH Classpath-exception-2.0" ] && ok ||
    bad "normalised: $(cat "$T/out")"
expect 0 $EXANTE license parse 'DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2'
[ "$(cat "$T/out")" = "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2" ] && ok || bad "ref"
expect 0 $EXANTE license parse NOASSERTION
[ "$(cat "$T/out")" = "NOASSERTION" ] && ok || bad "NOASSERTION"
# several arguments are one expression
expect 0 $EXANTE license parse MIT OR ISC
[ "$(cat "$T/out")" = "MIT OR ISC" ] && ok || bad "joined arguments: $(cat "$T/out")"

# deprecated ids: accepted, one warning each on stderr
expect 0 $EXANTE license parse 'GPL-2.0+ OR LGPL-2.1 OR GPL-2.0'
[ "$(cat "$T/out")" = "GPL-2.0+ OR LGPL-2.1 OR GPL-2.0" ] && ok || bad "deprecated: $(cat "$T/out")"
contains "$T/err" "warning: 'GPL-2.0' is deprecated"
contains "$T/err" "warning: 'LGPL-2.1' is deprecated"
[ "$(grep -c warning "$T/err")" = 2 ] && ok || bad "want 2 warnings: $(cat "$T/err")"

# --json (a global option, before or after the command)
expect 0 $EXANTE --json license parse 'GPL-2.0 WITH Classpath-exception-2.0 OR mit+'
contains "$T/out" '{"deprecated":["GPL-2.0"],"expression":"GPL-2.0 WITH Classpath-exception-2.0 OR MIT+","tree":{"conjunction":"or","left":{"exception":"Classpath-exception-2.0","license":"GPL-2.0"},"right":{"license":"MIT","plus":true}}}'
expect 0 $EXANTE license parse --json 'MIT AND (ISC OR Zlib)'
contains "$T/out" '{"deprecated":[],"expression":"MIT AND (ISC OR Zlib)","tree":{"conjunction":"and","left":{"license":"MIT"},"right":{"conjunction":"or","left":{"license":"ISC"},"right":{"license":"Zlib"}}}}'
[ "$(wc -l <"$T/out")" = 1 ] && ok || bad "--json: want one line"

# errors: exit 2, "exante: column N: message", the expression and a caret under column N
expect 2 $EXANTE license parse 'MIT +'
contains "$T/err" "exante: column 5: '+' must follow a license id without a space"
[ "$(sed -n 2p "$T/err")" = "  MIT +" ] && ok || bad "expression line: $(sed -n 2p "$T/err")"
[ "$(sed -n 3p "$T/err")" = "      ^" ] && ok || bad "caret line: '$(sed -n 3p "$T/err")'"
[ ! -s "$T/out" ] && ok || bad "stdout not empty on error"
expect 2 $EXANTE license parse 'MIT OR (Apache-2.0 AND Foo)'
contains "$T/err" "exante: column 24: unknown license id 'Foo'"
[ "$(sed -n 3p "$T/err")" = "                         ^" ] && ok || bad "caret: '$(sed -n 3p "$T/err")'"
expect 2 $EXANTE license parse '(MIT'
contains "$T/err" "column 5: missing ')' for the '(' at column 1"
expect 2 $EXANTE license parse 'MIT AND'
contains "$T/err" "column 8: expected a license at the end of the expression"
expect 2 $EXANTE license parse 'MIT And ISC'
contains "$T/err" "column 5: operator 'And' must be all upper or all lower case"
expect 2 $EXANTE license parse 'GPL-2.0-only WITH MIT'
contains "$T/err" "column 19: 'MIT' is a license, not an exception"
expect 2 $EXANTE license parse 'Classpath-exception-2.0'
contains "$T/err" "column 1: 'Classpath-exception-2.0' is an exception: it can only follow WITH"
expect 2 $EXANTE license parse 'NONE OR MIT'
contains "$T/err" "column 1: 'NONE' must be the whole expression"
expect 2 $EXANTE license parse "$(printf 'MIT\tOR ISC')"
contains "$T/err" "column 4: unexpected tab: separate tokens with spaces"
# a multi-byte character counts as one column on the caret line
expect 2 $EXANTE license parse 'MIT OR Mü'  # the stray byte is column 9, the caret's 9th character
contains "$T/err" "column 9: unexpected byte 0xc3"
[ "$(sed -n 3p "$T/err")" = "          ^" ] && ok || bad "utf-8 caret: '$(sed -n 3p "$T/err")'"
expect 2 $EXANTE license parse ''
contains "$T/err" "column 1: empty license expression"
expect 2 $EXANTE --json license parse 'MIT OR'
[ ! -s "$T/out" ] && ok || bad "--json error wrote stdout"
long=$(printf 'MIT%.0s OR ISC' $(seq 600))
expect 2 $EXANTE license parse "$long"
contains "$T/err" "column 4097: expression longer than 4096 bytes"

# usage
expect 2 $EXANTE license parse
contains "$T/err" "license parse: expected an expression"
expect 2 $EXANTE license
contains "$T/err" "license: expected 'parse'"
expect 2 $EXANTE license frob MIT
contains "$T/err" "license: unknown subcommand 'frob'"
expect 2 $EXANTE license parse --bogus MIT
contains "$T/err" "bad option '--bogus'"
expect 0 $EXANTE license parse --help
contains "$T/out" "usage: exante license parse EXPR"
expect 0 $EXANTE license --help
contains "$T/out" "usage: exante license parse EXPR"
# an expression is never taken for an option after the first operand
expect 2 $EXANTE license parse MIT -h
contains "$T/err" "column 5: expected AND, OR or WITH before '-h'"
# no ledger is needed
[ ! -e "$EXANTE_DIR" ] && ok || bad "license parse created a ledger"
finish
