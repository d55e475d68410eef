// The bundled proof-of-work worker, run in a VM context, against node:crypto's SHA-256:
// it must find the smallest nonce with the required leading zero bits.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { DEFAULT_ASSETS_DIR } from '../src/widget-routes.js';

function leadingZeroBits(digest: Buffer): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) { bits += 8; continue; }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

function solveWithWorker(challenge: string, difficulty: number): { nonce: string; attempts: number } {
  const code = readFileSync(`${DEFAULT_ASSETS_DIR}/hurdle-pow-worker.js`, 'utf8');
  let done: { nonce: string; attempts: number } | undefined;
  const self: { onmessage?: (e: { data: unknown }) => void; postMessage(m: unknown): void } = {
    postMessage(m) {
      const msg = m as { type: string; nonce: string; attempts: number };
      if (msg.type === 'done') done = msg;
    },
  };
  runInNewContext(code, { self, Date, TextEncoder, Math, String, Uint8Array, Int32Array });
  assert.equal(typeof self.onmessage, 'function');
  self.onmessage?.({ data: { challenge, difficulty } });
  assert.ok(done, 'the worker answered synchronously with done');
  return done;
}

test('the worker finds the smallest nonce (matches node:crypto SHA-256)', () => {
  for (const [challenge, difficulty] of [['abc', 8], ['hurdle-challenge-0123456789abcdef', 12], ['长挑战 unicode', 10]] as const) {
    const { nonce, attempts } = solveWithWorker(challenge, difficulty);
    assert.match(nonce, /^\d+$/);
    const hash = (n: string): Buffer => createHash('sha256').update(`${challenge}:${n}`, 'utf8').digest();
    assert.ok(leadingZeroBits(hash(nonce)) >= difficulty, `${challenge}: nonce ${nonce}`);
    for (let n = 0; n < Number(nonce); n++) assert.ok(leadingZeroBits(hash(String(n))) < difficulty, `${n} would already do`);
    assert.equal(attempts, Number(nonce) + 1);
  }
});

test('long challenges (multi-block messages) hash correctly', () => {
  const challenge = 'x'.repeat(130);
  const { nonce } = solveWithWorker(challenge, 6);
  assert.ok(leadingZeroBits(createHash('sha256').update(`${challenge}:${nonce}`).digest()) >= 6);
});
