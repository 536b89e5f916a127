#!/usr/bin/env bash
# Witness cosignatures (C2SP tlog-cosignature v1, tlog-witness add-checkpoint): a witness
# cosigns successive checkpoints with consistency proofs and refuses what the spec refuses
# (404, 403, 400, 409, 409 fork, 422); the log collects cosignatures and hands them out with
# its checkpoint; verify-proof --witness requires them. An independent checker (Python,
# written from the spec, no project code) verifies the cosignatures exante makes.
. "$(dirname "$0")/lib.sh"
export EXANTE_WITNESS_DIR="$T/wit"
L1="$T/ledger"

# the independent checker: cosig_check.py VKEY NOTE -> exit 0 and "ok T" if NOTE carries a
# valid Ed25519 cosignature/v1 by VKEY, else exit 1 with the reason
cat > cosig_check.py <<'PY'
import base64, hashlib, os, struct, subprocess, sys, tempfile, time

def ed25519_verify(pub, sig, msg):
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:  # the openssl command line, on a PEM made from the raw key
        der = bytes.fromhex("302a300506032b6570032100") + pub
        pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der) + b"\n-----END PUBLIC KEY-----\n"
        with tempfile.TemporaryDirectory() as d:
            for n, b in (("k", pem), ("s", sig), ("m", msg)):
                open(os.path.join(d, n), "wb").write(b)
            r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                                os.path.join(d, "k"), "-rawin", "-in", os.path.join(d, "m"),
                                "-sigfile", os.path.join(d, "s")], capture_output=True)
            return r.returncode == 0
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except Exception:
        return False

def fail(why):
    print(why)
    sys.exit(1)

vkey, note = sys.argv[1], open(sys.argv[2], "rb").read()
name, keyid, key = vkey.split("+", 2)  # the name has no "+", base64 may
raw = base64.b64decode(key, validate=True)
if len(raw) != 33 or raw[0] != 0x04:
    fail("vkey is not type 0x04 with a 32-byte key")
pub = raw[1:]
# key ID = SHA-256(name || "\n" || 0x04 || pub)[:4]
if hashlib.sha256(name.encode() + b"\n" + b"\x04" + pub).digest()[:4].hex() != keyid:
    fail("vkey key ID is not SHA-256(name, 0x0A, 0x04, key)[:4]")
# signed note: the body is everything up to the last blank line, with its final newline
cut = note.rindex(b"\n\n")
body, sigs = note[:cut + 1], note[cut + 2:]
found = None
for line in sigs.split(b"\n")[:-1]:
    if not line.startswith("\u2014 ".encode()):
        fail("signature line without an em dash")
    who, b64 = line[len("\u2014 ".encode()):].split(b" ")
    blob = base64.b64decode(b64, validate=True)
    if who.decode() == name and blob[:4].hex() == keyid:
        found = blob
if found is None:
    fail("no line by the witness")
if len(found) != 4 + 8 + 64:
    fail("cosignature is not keyid || u64 timestamp || 64-byte signature")
(ts,) = struct.unpack(">Q", found[4:12])
if ts > 2**63 - 1 or ts > time.time() + 600 or ts < time.time() - 86400:
    fail("timestamp %d is not now" % ts)
msg = b"cosignature/v1\ntime " + str(ts).encode() + b"\n" + body
if not ed25519_verify(pub, found[12:], msg):
    fail("Ed25519 signature over cosignature/v1 does not verify")
print("ok", ts)
PY
indep() { # indep VKEY NOTE : the checker's verdict must be "ok"
    if python3 cosig_check.py "$1" "$2" > indep.out 2>&1 && grep -q '^ok ' indep.out; then ok
    else bad "independent check of $2: $(cat indep.out)"; fi
}
flip() { # flip FILE : its cosignature lines with one signature bit changed
    python3 - "$1" <<'PY'
import base64, sys
for l in open(sys.argv[1], encoding="utf-8").read().splitlines():
    head, b64 = l.rsplit(" ", 1)
    b = bytearray(base64.b64decode(b64)); b[20] ^= 1
    print(head + " " + base64.b64encode(bytes(b)).decode())
PY
}
indep_refuses() { # indep_refuses VKEY NOTE : the checker must say no
    if python3 cosig_check.py "$1" "$2" > indep.out 2>&1; then bad "checker accepted $2"; else ok; fi
}

# ---- the witness: its key ----
expect 2 $EXANTE witness init
expect 0 $EXANTE witness init --name witness.example/w1
WV=$(cat "$T/out")
case "$WV" in witness.example/w1+????????+B*) ok ;; *) bad "vkey $WV" ;; esac
expect 2 $EXANTE witness init --name witness.example/w1
contains "$T/err" "holds a witness key already"
expect 0 $EXANTE witness vkey
[ "$(cat "$T/out")" = "$WV" ] && ok || bad "witness vkey differs from init's"
[ "$(stat -c %a "$T/wit/key.pem")" = 600 ] && ok || bad "witness key mode"

# ---- a log, cosigned as it grows ----
expect 0 $EXANTE -q init --origin example.org/log
LV="$L1/vkey"
echo one > one.txt; echo two > two.txt; echo three > three.txt
expect 0 $EXANTE -q evidence add one.txt --kind other
$EXANTE log checkpoint > cp1
S1=$(sed -n 2p cp1)
expect 2 $EXANTE witness cosign cp1
contains "$T/err" "--log-vkey KEY is required"
expect 0 $EXANTE witness cosign --log-vkey "$LV" cp1
cp "$T/out" cos1
grep -c . cos1 | grep -qx 1 && ok || bad "one cosignature line: $(cat cos1)"
cat cp1 cos1 > cosigned1
indep "$WV" cosigned1
# the checker is not a rubber stamp: another body, or another key, fails it
sed "2s/.*/$((S1 + 1))/" cosigned1 > forged1
indep_refuses "$WV" forged1
$EXANTE witness init --name witness.example/w2 --dir "$T/wit2" > w2.vkey
indep_refuses "$(cat w2.vkey)" cosigned1
# the same checkpoint again: old = its size, same root: cosigned again
expect 0 $EXANTE witness cosign --log-vkey "$LV" cp1

expect 0 $EXANTE -q evidence add two.txt --kind other
$EXANTE log checkpoint > cp2
S2=$(sed -n 2p cp2)
$EXANTE log prove-consistency "$S1" "$S2" > p12.json
# no proof: 422
expect 1 $EXANTE witness cosign --log-vkey "$LV" cp2
contains "$T/err" "422"
# a proof with a hash changed: 422, and nothing stored
python3 - p12.json > p12bad.txt <<'PY'
import base64, json, sys
p = json.load(open(sys.argv[1]))["proof"]
h = bytearray(base64.b64decode(p[0])); h[0] ^= 1
print("\n".join([base64.b64encode(bytes(h)).decode()] + p[1:]))
PY
expect 1 $EXANTE witness cosign --log-vkey "$LV" cp2 --proof p12bad.txt
contains "$T/err" "422"
# old > size: 400, exit 2
expect 2 $EXANTE witness cosign --log-vkey "$LV" cp1 --old "$S2"
contains "$T/err" "400"
# the proof as JSON (log prove-consistency), then as base64 lines, with --old a checkpoint
expect 0 $EXANTE witness cosign --log-vkey "$LV" cp2 --proof p12.json --old cp1
cat cp2 "$T/out" > cosigned2
indep "$WV" cosigned2
# the witness moved on: an old size that is not its latest is 409 (exit 1), naming the size
expect 1 $EXANTE witness cosign --log-vkey "$LV" cp2 --old "$S1" --proof p12.json
contains "$T/err" "409"
contains "$T/err" "latest cosigned checkpoint has size $S2"
# a checkpoint older than its latest cannot roll it back
expect 2 $EXANTE witness cosign --log-vkey "$LV" cp1
contains "$T/err" "400"

# ---- refusals: unknown origin (404), untrusted key (403), malformed ----
EXANTE_DIR="$T/other" $EXANTE -q init --origin example.org/other >/dev/null
EXANTE_DIR="$T/other" $EXANTE log checkpoint > other.cp
expect 1 $EXANTE witness cosign --log-vkey "$LV" other.cp
contains "$T/err" "404"
EXANTE_DIR="$T/imp" $EXANTE -q init --origin example.org/log >/dev/null
EXANTE_DIR="$T/imp" $EXANTE log checkpoint > imp.cp
expect 1 $EXANTE witness cosign --log-vkey "$LV" imp.cp --old 0
contains "$T/err" "403"
printf 'not a checkpoint\n' > junk.cp
expect 2 $EXANTE witness cosign --log-vkey "$LV" junk.cp
expect 2 $EXANTE witness cosign --log-vkey "$(cat w2.vkey)" cp2

# ---- a fork: the same key and origin, the same size, another root ----
cp -a "$L1" "$T/fork"
expect 0 $EXANTE -q evidence add three.txt --kind other
EXANTE_DIR="$T/fork" $EXANTE -q evidence add two.txt --kind license >/dev/null
$EXANTE log checkpoint > cp3
EXANTE_DIR="$T/fork" $EXANTE log checkpoint > fork3
S3=$(sed -n 2p cp3)
[ "$(sed -n 2p fork3)" = "$S3" ] && [ "$(sed -n 3p fork3)" != "$(sed -n 3p cp3)" ] && ok ||
    bad "the fork is not the same size with another root"
$EXANTE log prove-consistency "$S2" "$S3" > p23.json
expect 0 $EXANTE witness cosign --log-vkey "$LV" cp3 --proof p23.json
cp "$T/out" cos3
expect 1 $EXANTE witness cosign --log-vkey "$LV" fork3
contains "$T/err" "409: fork"
contains "$T/err" "$(sed -n 3p cp3)"
contains "$T/err" "$(sed -n 3p fork3)"
# the forked log's own proof from S2 does verify, but S2 is no longer the witness's latest
EXANTE_DIR="$T/fork" $EXANTE log prove-consistency "$S2" "$S3" > pfork.json
expect 1 $EXANTE witness cosign --log-vkey "$LV" fork3 --old "$S2" --proof pfork.json
contains "$T/err" "409"
expect 1 $EXANTE --json witness cosign --log-vkey "$LV" fork3
contains "$T/out" '"fork":true'
contains "$T/out" '"status":409'
# the witness still stands by cp3
expect 0 $EXANTE witness cosign --log-vkey "$LV" cp3

# ---- the log's side: trusted witnesses, collected cosignatures ----
expect 2 $EXANTE witness add w1 "$(cat "$LV")"
contains "$T/err" "that is a log's key"
expect 0 $EXANTE witness add w1 "$WV"
expect 2 $EXANTE witness add w1 "$(cat w2.vkey)"
expect 2 $EXANTE witness add again "$WV"
expect 0 $EXANTE witness list
contains "$T/out" "\"vkey\":\"$WV\""
expect 1 $EXANTE log checkpoint --cosigned
# a tampered cosignature by a registered witness refuses the file; nothing kept
flip cos3 > cos3bad
expect 1 $EXANTE witness collect cos3bad --size "$S3"
contains "$T/err" "does not verify"
expect 1 $EXANTE log checkpoint --cosigned
# lines by unknown witnesses only: nothing to keep
EXANTE_WITNESS_DIR="$T/wit2" $EXANTE witness cosign --log-vkey "$LV" cp3 > cos3w2
expect 1 $EXANTE witness collect cos3w2 --size "$S3"
contains "$T/err" "no cosignature by a registered witness"
# the answer for the right size; for another size it does not verify
expect 1 $EXANTE witness collect cos3 --size "$S2"
expect 0 $EXANTE witness collect cos3 --size "$S3"
contains "$T/out" "1 cosignature kept for the checkpoint of size $S3"
# a cosigned note with an unknown witness's line too: that line ignored
cat cp3 cos3 cos3w2 > mixed3
expect 0 $EXANTE witness collect mixed3
contains "$T/out" "1 cosignature kept for the checkpoint of size $S3, 1 line by other keys ignored"
# not this ledger's checkpoint: refused
cat fork3 cos3 > forked.note
expect 1 $EXANTE witness collect forked.note
expect 0 $EXANTE log checkpoint --cosigned
cp "$T/out" cosigned3
head -3 cosigned3 | cmp -s - <(head -3 cp3) && ok || bad "cosigned checkpoint body"
contains cosigned3 "$(cat cos3)"
indep "$WV" cosigned3
expect 0 $EXANTE --json log checkpoint --cosigned --size "$S3"
contains "$T/out" "\"size\":$S3"

# ---- the add-checkpoint request body, as a witness answers it over HTTP ----
expect 0 $EXANTE -q evidence add one.txt --kind terms
expect 0 $EXANTE witness request w1
cp "$T/out" req4
head -1 req4 | grep -qx "old $S3" && ok || bad "request's old line: $(head -1 req4)"
expect 0 sh -c "$EXANTE witness cosign --log-vkey '$LV' --request - < req4"
cp "$T/out" cos4
$EXANTE log checkpoint > cp4
S4=$(sed -n 2p cp4)
expect 0 $EXANTE witness collect cos4
contains "$T/out" "size $S4"
# the same request again: old is no longer the latest: 409 with the size as its body
expect 1 sh -c "$EXANTE witness cosign --log-vkey '$LV' --request - < req4"
[ "$(cat "$T/out")" = "$S4" ] && ok || bad "409 body: $(cat "$T/out")"
printf 'old 01\n\n' > badreq
cat cp4 >> badreq
expect 2 $EXANTE witness cosign --log-vkey "$LV" --request badreq
expect 0 $EXANTE witness request w1 --old 0
[ "$(sed -n 1p "$T/out")" = "old 0" ] && [ -z "$(sed -n 2p "$T/out")" ] && ok ||
    bad "old 0 has no proof lines: $(head -3 "$T/out")"

# ---- verifiers require cosignatures: snapshot proofs ----
expect 0 $EXANTE -q source add s --kind other
printf 'admit license MIT\nreject * "no lawful basis recorded"\n' > policy.txt
expect 0 $EXANTE -q policy adopt policy.txt
printf '{"text":"alpha","license":"MIT"}\n{"text":"bravo","license":"MIT"}\n' > c.jsonl
expect 0 $EXANTE -q ingest --source s c.jsonl
expect 0 $EXANTE -q snapshot create s1
printf 'bravo' > bravo.txt
# no cosignatures for the current size yet: the proof's checkpoint has none
expect 0 $EXANTE prove s1 --text-file bravo.txt
cp "$T/out" plain.json
expect 1 $EXANTE verify-proof plain.json --witness "$WV"
contains "$T/err" "0 of the 1 witnesses"
expect 0 $EXANTE witness request w1
cp "$T/out" req5
expect 0 sh -c "$EXANTE witness cosign --log-vkey '$LV' --request - < req5 > cos5"
expect 0 $EXANTE witness collect cos5
expect 0 $EXANTE prove s1 --text-file bravo.txt
cp "$T/out" proof.json
grep -q 'witness.example/w1' proof.json && ok || bad "the proof does not embed the cosigned checkpoint"
# a verifier that knows no witness ignores the cosignature line
expect 0 $EXANTE verify-proof proof.json
expect 0 $EXANTE verify-proof proof.json --witness "$WV"
contains "$T/out" member
expect 0 $EXANTE verify-proof proof.json --witness "$T/wit/vkey" --witness-quorum 1
expect 1 $EXANTE verify-proof proof.json --witness "$WV" --witness w2.vkey
contains "$T/err" "1 of the 2 witnesses given cosigned its checkpoint, 2 needed"
expect 0 $EXANTE verify-proof proof.json --witness "$WV" --witness w2.vkey --witness-quorum 1
expect 2 $EXANTE verify-proof proof.json --witness "$WV" --witness-quorum 2
expect 2 $EXANTE verify-proof proof.json --witness "$(cat "$LV")"
# a near-dup-free proof and a decision proof made at the same size carry it too
printf 'hermit crabs trade shells while anemones close at low water in the tide pools\n' > essay.txt
expect 0 $EXANTE prove s1 --text-file essay.txt --near
cp "$T/out" near.json
expect 0 $EXANTE verify-proof near.json --text-file essay.txt --witness "$WV"
contains "$T/out" near-dup-free
expect 1 $EXANTE verify-proof near.json --text-file essay.txt --witness "$WV" --witness w2.vkey
contains "$T/err" "1 of the 2 witnesses"
expect 0 $EXANTE why "sha256:$(printf bravo | sha256sum | cut -c1-64)" --json
cp "$T/out" why.json
expect 0 $EXANTE verify-proof why.json --witness "$WV"
contains "$T/out" "decision admit"
expect 1 $EXANTE verify-proof why.json --witness w2.vkey
# the cosignature tampered in the proof: exit 1
python3 - proof.json > tampered.json <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
note = d["snapshot"]["checkpoint"]
lines = note.split("\n")
for i, l in enumerate(lines):
    if l.startswith("\u2014 witness.example/w1 "):
        b = bytearray(base64.b64decode(l.split(" ")[2])); b[20] ^= 1
        lines[i] = "\u2014 witness.example/w1 " + base64.b64encode(bytes(b)).decode()
d["snapshot"]["checkpoint"] = "\n".join(lines)
print(json.dumps(d, separators=(",", ":"), sort_keys=True, ensure_ascii=False))
PY
expect 1 $EXANTE verify-proof tampered.json --witness "$WV"
contains "$T/err" "does not verify"

# ---- attestations: verify --witness asks the envelope's checkpoint ----
mkdir weights && printf 'w' > weights/model.bin
expect 0 $EXANTE attest run --snapshot s1 --weights weights --name m1 --out m1.env
expect 0 $EXANTE verify m1.env
expect 0 $EXANTE verify m1.env --witness "$WV"
expect 1 $EXANTE verify m1.env --witness "$WV" --witness w2.vkey
contains "$T/err" "1 of the 2 witnesses given cosigned its checkpoint, 2 needed"
expect 0 $EXANTE verify m1.env --witness "$WV" --witness w2.vkey --witness-quorum 1
expect 2 $EXANTE verify m1.env --witness "$WV" --witness-quorum 0
# a run attested after the log moved on, its checkpoint not cosigned yet
mkdir weights2 && printf 'v' > weights2/model.bin
expect 0 $EXANTE attest run --snapshot s1 --weights weights2 --name m2 --out m2.env
expect 1 $EXANTE verify m2.env --witness "$WV"
contains "$T/err" "0 of the 1 witnesses"

# ---- check-and-update is atomic: eight copies of one request at once, one cosignature ----
expect 0 $EXANTE -q evidence add two.txt --kind terms
expect 0 $EXANTE witness request w1
cp "$T/out" req6
for i in 1 2 3 4 5 6 7 8; do
    ( $EXANTE witness cosign --log-vkey "$LV" --request req6 > race.$i.out 2> race.$i.err
      echo $? > race.$i.rc ) &
done
wait
[ "$(cat race.*.rc | grep -c '^0$')" = 1 ] && ok || bad "racing requests: exits $(cat race.*.rc | tr '\n' ' ')"
[ "$(cat race.*.rc | grep -c '^1$')" = 7 ] && ok || bad "racing requests: exits $(cat race.*.rc | tr '\n' ' ')"
[ "$(cat race.*.err | grep -c ': 409: ')" = 7 ] && ok || bad "racing requests: not 409: $(cat race.*.err)"
expect 0 $EXANTE witness collect $(grep -l '^0$' race.*.rc | sed 's/rc$/out/')

# ---- forgetting a witness ----
expect 0 $EXANTE witness remove w1
expect 2 $EXANTE witness remove w1
expect 0 $EXANTE witness list
[ -s "$T/out" ] && bad "list after remove: $(cat "$T/out")" || ok
expect 2 $EXANTE witness frobnicate
finish
