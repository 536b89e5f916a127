# exante robots: verdicts, deciding line, several agents, --json, --status, exit codes.
. "$(dirname "$0")/lib.sh"

printf '%s\n' \
    '# robots.txt of example.com' \
    'User-agent: GPTBot' \
    'Disallow: /private/   # members only' \
    'Allow: /private/press/' \
    '' \
    'User-agent: CCBot' \
    'Disallow: /' \
    '' \
    'User-agent: *' \
    'Disallow: /tmp' >robots.txt

# one agent, its own group
expect 1 $EXANTE robots robots.txt GPTBot https://example.com/private/a.html
[ "$(cat "$T/out")" = "disallowed
line 3: Disallow: /private/ (group for GPTBot)" ] && ok || bad "GPTBot private: $(cat "$T/out")"
expect 0 $EXANTE robots robots.txt gptbot https://example.com/private/press/1
[ "$(head -n1 "$T/out")" = allowed ] && ok || bad "press: $(cat "$T/out")"
contains "$T/out" "line 4: Allow: /private/press/ (group for gptbot)"
# GPTBot has a group, so the `*` group does not apply to it
expect 0 $EXANTE robots robots.txt GPTBot https://example.com/tmp/x
[ "$(cat "$T/out")" = "allowed
no rule matched" ] && ok || bad "GPTBot tmp: $(cat "$T/out")"
# an agent without a group falls back to `*`
expect 1 $EXANTE robots robots.txt ClaudeBot https://example.com/tmp/x
contains "$T/out" "line 10: Disallow: /tmp (group for *; no group for ClaudeBot)"

# several agents: disallowed if any disallows; the first that does is reported
expect 1 $EXANTE robots robots.txt "ClaudeBot, GPTBot,CCBot" https://example.com/blog
contains "$T/out" "line 7: Disallow: / (group for CCBot)"
expect 0 $EXANTE robots robots.txt GPTBot,Google-Extended https://example.com/blog
# no agent at all: the `*` group
expect 1 $EXANTE robots robots.txt "" /tmp/a
contains "$T/out" "(group for *)"

# /robots.txt is always allowed
expect 0 $EXANTE robots robots.txt CCBot https://example.com/robots.txt

# --json, anywhere on the line
expect 1 $EXANTE --json robots robots.txt GPTBot,CCBot https://example.com/private/a
[ "$(cat "$T/out")" = '{"agent":"GPTBot","allowed":false,"group":"GPTBot","line":3,"rule":"Disallow: /private/"}' ] \
    && ok || bad "json: $(cat "$T/out")"
expect 0 $EXANTE robots robots.txt GPTBot /elsewhere --json
[ "$(cat "$T/out")" = '{"agent":"GPTBot","allowed":true,"group":null,"line":null,"rule":null}' ] \
    && ok || bad "json no match: $(cat "$T/out")"

# standard input, CRLF, a BOM, and a robots.txt with bytes that are not UTF-8 or printable
printf '\357\273\277User-agent: *\r\nDisallow: /\377\001x\r\n' >odd.txt
odd_url=$(printf '/%%FF\001x')
expect 1 $EXANTE robots - bot "$odd_url" <odd.txt
contains "$T/out" 'line 2: Disallow: /'
grep -q "$(printf '\001')" "$T/out" && bad "control byte printed raw" || ok
contains "$T/out" '\x01x'
expect 1 $EXANTE --json robots odd.txt bot "$odd_url"
contains "$T/out" "$(printf '"rule":"Disallow: /\357\277\275\\u0001x"')"

# status captures
expect 1 $EXANTE robots --status 503 GPTBot https://example.com/
contains "$T/out" "unreachable: complete disallow"
expect 1 $EXANTE robots --status 0 GPTBot https://example.com/
expect 0 $EXANTE robots --status 404 GPTBot https://example.com/
contains "$T/out" "unavailable: no restrictions"
expect 0 $EXANTE robots --status 503 GPTBot https://example.com/robots.txt
expect 2 $EXANTE robots --status 200 GPTBot https://example.com/
contains "$T/err" "has a body"
expect 2 $EXANTE robots --status 700 GPTBot https://example.com/
expect 2 $EXANTE robots --status x GPTBot https://example.com/

# usage and i/o errors
expect 2 $EXANTE robots robots.txt GPTBot
contains "$T/err" "expected FILE AGENT URL"
expect 2 $EXANTE robots --frob robots.txt GPTBot /
expect 0 $EXANTE robots --help
contains "$T/out" "usage: exante robots"
expect 3 $EXANTE robots missing.txt GPTBot /
[ "$(cat "$T/err")" = "exante: cannot open 'missing.txt': No such file or directory" ] \
    && ok || bad "missing file message: $(cat "$T/err")"
mkdir adir
expect 3 $EXANTE robots adir GPTBot /
contains "$T/err" "cannot read 'adir'"

# over 500 KiB: a warning, and rules past the limit are not read
{
    printf 'User-agent: *\nDisallow: /early\n'
    head -c 520000 /dev/zero | tr '\0' '#' | fold -w 99
    printf '\nDisallow: /late\n'
} >big.txt
expect 0 $EXANTE robots big.txt bot /late
contains "$T/err" "warning: only the first 512000 bytes"
expect 1 $EXANTE robots big.txt bot /early
expect 1 $EXANTE -q robots big.txt bot /early
[ -s "$T/err" ] && bad "-q still warns" || ok
finish
