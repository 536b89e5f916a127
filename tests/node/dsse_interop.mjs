// dsse_interop.mjs - an independent DSSE implementation checks exante's envelopes, and makes
// envelopes for exante to check: PAE from @sigstore/core (dsse.preAuthEncoding), Ed25519 from
// Node's crypto, base64 and JSON from Node. Nothing here comes from exante.
//
//   node dsse_interop.mjs verify ENVELOPE PUBHEX   the envelope's signature verifies with the
//        raw Ed25519 key PUBHEX, its keyid is hex(sha256(raw key)), its payload is an in-toto
//        Statement v1; and the same envelope with a payload byte, the payloadType or a
//        signature bit changed does not verify (so this check can fail)
//   node dsse_interop.mjs vector VECTORS.json      the shared vector: PAE bytes, signature
//   node dsse_interop.mjs sign OUT                 a statement signed by a fresh key: OUT, the
//        raw public key in hex in OUT.pub, and OUT.bad, the same with one payload byte changed
//
// Exit 0 when every check holds, 1 (saying which failed) otherwise.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const { dsse } = require('@sigstore/core');

function fail(msg) {
  console.error(`dsse_interop: ${msg}`);
  process.exit(1);
}

function rawKey(hex) {
  if (!/^[0-9a-f]{64}$/.test(hex)) fail(`public key is not 64 lowercase hex digits: ${hex}`);
  const raw = Buffer.from(hex, 'hex');
  const key = crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  return { raw, key };
}

// strict standard base64: Node's decoder is lenient, so check the text re-encodes the same
function b64(s, what) {
  const b = Buffer.from(s, 'base64');
  if (b.toString('base64') !== s) fail(`${what} is not canonical standard base64`);
  return b;
}

function sigVerifies(type, payload, sig, key) {
  return crypto.verify(null, dsse.preAuthEncoding(type, payload), key, sig);
}

function verify(path, pubhex) {
  const { raw, key } = rawKey(pubhex);
  const env = JSON.parse(fs.readFileSync(path, 'utf8'));
  const keys = Object.keys(env).sort().join(',');
  if (keys !== 'payload,payloadType,signatures') fail(`envelope keys are ${keys}`);
  const payload = b64(env.payload, 'payload');
  const keyid = crypto.createHash('sha256').update(raw).digest('hex');
  if (!Array.isArray(env.signatures) || env.signatures.length !== 1)
    fail('want exactly one signature');
  const s = env.signatures[0];
  if (s.keyid !== keyid) fail(`keyid ${s.keyid}, want sha256 of the raw key ${keyid}`);
  const sig = b64(s.sig, 'sig');
  if (!sigVerifies(env.payloadType, payload, sig, key)) fail('signature does not verify');
  if (env.payloadType !== 'application/vnd.in-toto+json')
    fail(`payloadType ${env.payloadType}`);
  const st = JSON.parse(payload.toString('utf8'));
  if (st._type !== 'https://in-toto.io/Statement/v1') fail(`_type ${st._type}`);
  if (!Array.isArray(st.subject) || st.subject.length === 0) fail('no subjects');
  for (const sub of st.subject)
    if (typeof sub.name !== 'string' || !/^[0-9a-f]{64}$/.test(sub.digest?.sha256 ?? ''))
      fail(`subject ${JSON.stringify(sub)}`);
  // negative controls: each alteration must make the signature fail
  const alt = Buffer.from(payload);
  alt[alt.length >> 1] ^= 1;
  if (sigVerifies(env.payloadType, alt, sig, key)) fail('an altered payload verifies');
  if (sigVerifies(env.payloadType + 'x', payload, sig, key)) fail('another payloadType verifies');
  const bad = Buffer.from(sig);
  bad[5] ^= 0x10;
  if (sigVerifies(env.payloadType, payload, bad, key)) fail('an altered signature verifies');
  console.log(`node: verified ${path}: ${st.subject.length} subjects, ${st.predicateType}`);
}

function vector(path) {
  const v = JSON.parse(fs.readFileSync(path, 'utf8'));
  const h = v.pae_hello;
  const pae = dsse.preAuthEncoding(h.payloadType, Buffer.from(h.payload_utf8, 'utf8'));
  if (pae.toString('utf8') !== h.pae_utf8) fail('PAE of pae_hello differs from the vector');
  const env = v.envelope;
  const payload = b64(env.payload, 'payload');
  if (dsse.preAuthEncoding(env.payloadType, payload).toString('hex') !== v.pae_hex)
    fail('PAE of the envelope differs from pae_hex');
  const { key } = rawKey(v.ed25519_public_hex);
  if (!sigVerifies(env.payloadType, payload, b64(env.signatures[0].sig, 'sig'), key))
    fail('the vector envelope does not verify');
  console.log('node: the shared DSSE vector holds');
}

function sign(out) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      { name: 'weights/model.safetensors', digest: { sha256: crypto.createHash('sha256').update('w').digest('hex') } },
      { name: 'config.json', digest: { sha256: crypto.createHash('sha256').update('c').digest('hex') } },
    ],
    predicateType: 'https://example.org/node-made/v1',
    predicate: { by: 'node', note: 'not canonical JSON: key order as written, \u00e9 literal' },
  };
  const type = 'application/vnd.in-toto+json';
  const payload = Buffer.from(JSON.stringify(statement, null, 1), 'utf8');
  const sig = crypto.sign(null, dsse.preAuthEncoding(type, payload), privateKey);
  const keyid = crypto.createHash('sha256').update(raw).digest('hex');
  const env = (p) => JSON.stringify({
    payloadType: type,
    payload: p.toString('base64'),
    signatures: [{ sig: sig.toString('base64'), keyid }],
  }, null, 2);
  fs.writeFileSync(out, env(payload));
  fs.writeFileSync(`${out}.pub`, raw.toString('hex'));
  const alt = Buffer.from(payload);
  alt[10] ^= 1;
  fs.writeFileSync(`${out}.bad`, env(alt));
  console.log(`node: signed ${out}`);
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'verify' && a && b) verify(a, b.trim());
else if (mode === 'vector' && a) vector(a);
else if (mode === 'sign' && a) sign(a);
else fail('usage: dsse_interop.mjs verify ENVELOPE PUBHEX | vector VECTORS.json | sign OUT');
