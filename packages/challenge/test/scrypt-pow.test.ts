import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  SCRYPT_COST_BITS, SCRYPT_PARAMS, SCRYPT_VERIFIES_PER_CHALLENGE, checkPowSolution, checkScryptSolution, createMemoryStore, isChallengeError,
  leadingZeroBits, scryptBits, scryptDigest, solveScryptPow,
} from '../src/index.js';
import { createEngineWithHooks, peekAnswer } from './engine-with-hooks.js';

const SECRET = 'scrypt-test-secret-0123456789';
const now = (): number => 1_800_000_000_000;
const engine = createEngineWithHooks({ store: createMemoryStore({ now }), secrets: [SECRET], renderThreads: 0, pool: false, now });
after(() => engine.close());
/** Four bits of scrypt work: about 16 evaluations, a few tens of ms per solve. */
const site = { sitekey: 'site-scrypt', challengeTypes: ['pow'] as const, difficulty: SCRYPT_COST_BITS + 4, powAlgorithm: 'scrypt' as const };

/** The fields of a sealed envelope (length-prefixed after a 7-byte header) and its MAC. */
function fieldsOf(challenge: string): { head: Buffer; fields: Buffer[]; mac: Buffer } {
  const buf = Buffer.from(challenge, 'base64url');
  const fields: Buffer[] = [];
  let o = 7;
  for (let i = 0; i < (buf[6] as number); i++) {
    const len = buf.readUInt16BE(o);
    fields.push(buf.subarray(o + 2, o + 2 + len));
    o += 2 + len;
  }
  return { head: Buffer.from(buf.subarray(0, 7)), fields, mac: buf.subarray(o) };
}

/** Re-encode an envelope with other fields, keeping the old MAC: a forgery. */
function reseal(head: Buffer, fields: readonly Buffer[], mac: Buffer): string {
  const parts: Buffer[] = [head];
  head[6] = fields.length;
  for (const f of fields) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(f.length);
    parts.push(len, f);
  }
  parts.push(mac);
  return Buffer.concat(parts).toString('base64url');
}

/** The first nonce (from 0) for which `pred` holds, within `limit` tries. */
function firstNonce(pred: (nonce: string) => boolean, limit = 100_000): string {
  for (let n = 0; n < limit; n++) if (pred(String(n))) return String(n);
  throw new Error(`no nonce in ${limit} tries`);
}

describe('scrypt proof of work', () => {
  it('the digest is scrypt(P = nonce, S = challenge, N, r, p, 32)', () => {
    const d = scryptDigest('some-challenge', '42', SCRYPT_PARAMS);
    assert.deepEqual(d, scryptSync('42', 'some-challenge', 32, SCRYPT_PARAMS));
    assert.equal(checkScryptSolution('some-challenge', '42', leadingZeroBits(d), SCRYPT_PARAMS), true);
    assert.equal(checkScryptSolution('some-challenge', '42', leadingZeroBits(d) + 1, SCRYPT_PARAMS), false);
  });

  it('a scrypt site issues a scrypt challenge whose bits are the difficulty less SCRYPT_COST_BITS', async () => {
    const c = await engine.issue({ site });
    assert.ok(c.pow !== undefined && c.pow.algorithm === 'scrypt');
    assert.deepEqual(Object.keys(c.pow).sort(), ['N', 'algorithm', 'challenge', 'difficulty', 'p', 'r']);
    assert.deepEqual({ N: c.pow.N, r: c.pow.r, p: c.pow.p }, SCRYPT_PARAMS);
    assert.equal(c.pow.difficulty, 4);
    assert.equal(c.pow.challenge, c.id);
    // The per-issue override is in SHA-256-equivalent bits too, and never goes below 0 bits.
    const raised = await engine.issue({ site, powDifficulty: SCRYPT_COST_BITS + 6 });
    assert.equal(raised.pow?.difficulty, 6);
    const low = await engine.issue({ site, powDifficulty: 3 });
    assert.equal(low.pow?.difficulty, 0);
    assert.equal(scryptBits(SCRYPT_COST_BITS - 5), 0);
  });

  it('verify accepts a real solution once and rejects one that misses the bits', async () => {
    const c = await engine.issue({ site, action: 'login', hostname: 'shop.example' });
    const nonce = solveScryptPow(c.id, 4);
    assert.ok(nonce !== undefined);
    assert.ok(leadingZeroBits(scryptSync(nonce, c.id, 32, SCRYPT_PARAMS)) >= 4);
    assert.deepEqual(await peekAnswer(engine, c.id), { nonce }, 'the test hooks solve scrypt challenges too');
    const bad = firstNonce((n) => !checkScryptSolution(c.id, n, 4, SCRYPT_PARAMS));
    const miss = await engine.verify({ id: c.id, answer: { nonce: bad } });
    assert.ok(!miss.success && miss.code === 'CHALLENGE_ERR_POW_INSUFFICIENT' && miss.retry);
    const v = await engine.verify({ id: c.id, answer: { nonce } });
    assert.equal(v.success, true);
    const again = await engine.verify({ id: c.id, answer: { nonce } });
    assert.ok(!again.success && again.code === 'CHALLENGE_ERR_ALREADY_SOLVED');
  });

  it('a challenge has at most SCRYPT_VERIFIES_PER_CHALLENGE answers checked: wrong ones, then the right one too, are refused', async () => {
    assert.equal(SCRYPT_VERIFIES_PER_CHALLENGE, 3);
    const c = await engine.issue({ site });
    const nonce = solveScryptPow(c.id, 4) as string;
    const wrong: string[] = [];
    for (let n = 0; wrong.length < SCRYPT_VERIFIES_PER_CHALLENGE; n++) if (!checkScryptSolution(c.id, String(n), 4, SCRYPT_PARAMS)) wrong.push(String(n));
    const results = [];
    for (const w of wrong) results.push(await engine.verify({ id: c.id, answer: { nonce: w } }));
    assert.deepEqual(results.map((r) => !r.success && [r.code, r.retry, r.attemptsLeft]), [
      ['CHALLENGE_ERR_POW_INSUFFICIENT', true, 2], ['CHALLENGE_ERR_POW_INSUFFICIENT', true, 1], ['CHALLENGE_ERR_POW_INSUFFICIENT', false, 0],
    ]);
    const late = await engine.verify({ id: c.id, answer: { nonce } });
    assert.ok(!late.success && late.code === 'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED' && !late.retry);
    // A solved challenge replayed: refused as solved, then without an evaluation at all.
    const d = await engine.issue({ site });
    const good = solveScryptPow(d.id, 4) as string;
    assert.equal((await engine.verify({ id: d.id, answer: { nonce: good } })).success, true);
    const replays = [];
    for (let i = 0; i < 4; i++) replays.push(await engine.verify({ id: d.id, answer: { nonce: good } }));
    assert.deepEqual(replays.map((r) => !r.success && r.code), [
      'CHALLENGE_ERR_ALREADY_SOLVED', 'CHALLENGE_ERR_ALREADY_SOLVED', 'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED', 'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED',
    ]);
  });

  it('a SHA-256 solution does not solve a scrypt challenge', async () => {
    const c = await engine.issue({ site });
    // Good for SHA-256 at the same bits, not for scrypt: the verify uses the sealed algorithm.
    const sha = firstNonce((n) => checkPowSolution(c.id, n, 4) && !checkScryptSolution(c.id, n, 4, SCRYPT_PARAMS));
    const v = await engine.verify({ id: c.id, answer: { nonce: sha } });
    assert.ok(!v.success && v.code === 'CHALLENGE_ERR_POW_INSUFFICIENT');
  });

  it('the algorithm and its parameters are sealed: changing or dropping them breaks the signature', async () => {
    const c = await engine.issue({ site });
    const { head, fields, mac } = fieldsOf(c.id);
    assert.equal(fields.length, 13);
    assert.deepEqual(fields.slice(9).map(String), ['scrypt', String(SCRYPT_PARAMS.N), String(SCRYPT_PARAMS.r), String(SCRYPT_PARAMS.p)]);
    const forgeries: Buffer[][] = [
      fields.slice(0, 9), // the SHA-256 shape: nine fields
      [...fields.slice(0, 9), Buffer.from('sha256'), ...fields.slice(10)],
      [...fields.slice(0, 10), Buffer.from('2'), ...fields.slice(11)],
      [...fields.slice(0, 11), Buffer.from('1'), ...fields.slice(12)],
      [...fields.slice(0, 12), Buffer.from('2')],
      [...fields.slice(0, 5), Buffer.from('0'), ...fields.slice(6)], // zero bits
    ];
    for (const [i, forged] of forgeries.entries()) {
      const id = reseal(Buffer.from(head), forged, mac);
      assert.notEqual(id, c.id);
      const v = await engine.verify({ id, answer: { nonce: '0' } });
      assert.ok(!v.success && v.code === 'CHALLENGE_ERR_SIGNATURE_INVALID', `forgery ${i}`);
    }
  });

  it('a SHA-256 site keeps its nine-field challenge and three-field payload', async () => {
    const c = await engine.issue({ site: { ...site, powAlgorithm: 'sha256' } });
    assert.deepEqual(c.pow, { algorithm: 'sha256', challenge: c.id, difficulty: SCRYPT_COST_BITS + 4 });
    assert.equal(fieldsOf(c.id).fields.length, 9);
    const plain = await engine.issue({ site: { sitekey: 'plain', challengeTypes: ['pow'], difficulty: 3 } });
    assert.equal(plain.pow?.algorithm, 'sha256');
  });

  it('a bad powAlgorithm is a coded site error', async () => {
    for (const powAlgorithm of ['md5', '', 1, null]) {
      await assert.rejects(engine.issue({ site: { ...site, powAlgorithm } as never }), (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_SITE'));
    }
  });
});
