// The widget's JS scrypt against node:crypto's: the RFC 7914 test vectors (small N) run on the
// client source, bundled as the widget bundles it; and the bundled worker's scrypt search.
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { DEFAULT_ASSETS_DIR } from '../src/widget-routes.js';

const PKG = fileURLToPath(new URL('../../', import.meta.url));
type CreateScrypt = (N: number, r: number, p: number) => (password: Uint8Array, salt: Uint8Array, dkLen: number) => Uint8Array;

async function clientScrypt(): Promise<CreateScrypt> {
  const out = await build({ entryPoints: [join(PKG, 'client', 'scrypt.ts')], bundle: true, format: 'esm', write: false, logLevel: 'warning' });
  const code = out.outputFiles[0]?.text ?? '';
  const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`) as { createScrypt: CreateScrypt };
  return mod.createScrypt;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('RFC 7914 vectors and node:crypto agree with the client scrypt', async () => {
  const createScrypt = await clientScrypt();
  // RFC 7914 section 12, the first two vectors (N = 16 and N = 1024, p = 16).
  assert.equal(hex(createScrypt(16, 1, 1)(utf8(''), utf8(''), 64)),
    '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906');
  assert.equal(hex(createScrypt(1024, 8, 16)(utf8('password'), utf8('NaCl'), 64)),
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640');
  // Passwords past one HMAC block (hashed first), odd key lengths, r = 3, p = 2, the widget's parameters.
  const cases: [string, string, number, number, number, number][] = [
    ['k'.repeat(100), 'salt', 16, 1, 1, 40],
    ['12345', '长挑战 unicode challenge', 32, 3, 2, 17],
    ['0', 'x'.repeat(190), 512, 8, 1, 32],
  ];
  for (const [password, salt, N, r, p, dkLen] of cases) {
    const scrypt = createScrypt(N, r, p);
    const expected = scryptSync(password, salt, dkLen, { N, r, p }).toString('hex');
    assert.equal(hex(scrypt(utf8(password), utf8(salt), dkLen)), expected, `N=${N} r=${r} p=${p}`);
    // Its memory is reused between calls: a second call must not see the first one's.
    assert.equal(hex(scrypt(utf8(password), utf8(salt), dkLen)), expected, `again N=${N}`);
  }
});

function leadingZeroBits(digest: Buffer): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) { bits += 8; continue; }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

test('the bundled worker finds the smallest scrypt nonce and reports its attempts', () => {
  const code = readFileSync(`${DEFAULT_ASSETS_DIR}/hurdle-pow-worker.js`, 'utf8');
  const challenge = 'scrypt-challenge-0123456789abcdef';
  const cost = { N: 64, r: 2, p: 1 };
  let done: { nonce: string; attempts: number } | undefined;
  const self: { onmessage?: (e: { data: unknown }) => void; postMessage(m: unknown): void } = {
    postMessage(m) {
      const msg = m as { type: string; nonce: string; attempts: number };
      if (msg.type === 'done') done = msg;
    },
  };
  runInNewContext(code, { self, Date, TextEncoder, Math, String, Uint8Array, Int32Array });
  self.onmessage?.({ data: { challenge, difficulty: 6, scrypt: cost } });
  assert.ok(done, 'the worker answered synchronously with done');
  const digest = (n: string): Buffer => scryptSync(n, challenge, 32, cost);
  assert.ok(leadingZeroBits(digest(done.nonce)) >= 6, `nonce ${done.nonce}`);
  for (let n = 0; n < Number(done.nonce); n++) assert.ok(leadingZeroBits(digest(String(n))) < 6, `${n} would already do`);
  assert.equal(done.attempts, Number(done.nonce) + 1);
});
