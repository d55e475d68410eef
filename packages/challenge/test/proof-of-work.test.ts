import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { checkPowSolution, createChallengeEngine, createMemoryStore, isChallengeError, leadingZeroBits, solvePow } from '../src/index.js';
import { sha256 } from '../src/sha256.js';
import { createEngineWithHooks, peekAnswer } from './engine-with-hooks.js';

const SECRET = 'pow-test-secret-0123456789';
let t = 1_800_000_000_000;
const now = (): number => t;
const engine = createEngineWithHooks({ store: createMemoryStore({ now }), secrets: [SECRET], renderThreads: 0, pool: false, now });
after(() => engine.close());
const site = { sitekey: 'site-pow', challengeTypes: ['pow'] as const, difficulty: 10 };

/** Re-encode an envelope's fields (length-prefixed) keeping the old MAC: a forgery. */
function tamper(challenge: string, fieldIndex: number, value: string): string {
  const buf = Buffer.from(challenge, 'base64url');
  const fields: Buffer[] = [];
  let o = 7;
  for (let i = 0; i < (buf[6] as number); i++) {
    const len = buf.readUInt16BE(o);
    fields.push(buf.subarray(o + 2, o + 2 + len));
    o += 2 + len;
  }
  const mac = buf.subarray(o);
  fields[fieldIndex] = Buffer.from(value);
  const parts: Buffer[] = [buf.subarray(0, 7)];
  for (const f of fields) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(f.length);
    parts.push(len, f);
  }
  parts.push(mac);
  return Buffer.concat(parts).toString('base64url');
}

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    assert.equal(leadingZeroBits(Uint8Array.from([0, 0, 0x0f])), 20);
    assert.equal(leadingZeroBits(Uint8Array.from([0x80])), 0);
    assert.equal(leadingZeroBits(Uint8Array.from([0, 1])), 15);
    assert.equal(leadingZeroBits(new Uint8Array(4)), 32);
  });

  it('round trip: issue, solve (smallest nonce), verify, redeem once', async () => {
    const c = await engine.issue({ site, type: 'pow', action: 'signup', cdata: 'abc', hostname: 'shop.example' });
    assert.equal(c.type, 'pow');
    assert.deepEqual(Object.keys(c).sort(), ['attemptsLeft', 'expiresAt', 'id', 'pow', 'probe', 'type']);
    assert.ok(c.pow !== undefined);
    assert.equal(c.pow.algorithm, 'sha256');
    assert.equal(c.pow.difficulty, 10);
    const nonce = solvePow(c.pow.challenge, c.pow.difficulty);
    assert.ok(nonce !== undefined);
    const digest = createHash('sha256').update(`${c.pow.challenge}:${nonce}`).digest();
    assert.ok(leadingZeroBits(digest) >= 10);
    assert.deepEqual(await peekAnswer(engine, c.id), { nonce });
    const v = await engine.verify({ id: c.id, answer: { nonce } });
    assert.equal(v.success, true);
    assert.ok(v.success);
    const r = await engine.redeem(v.token, { sitekey: 'site-pow', hostname: 'shop.example', action: 'signup' });
    assert.deepEqual(r, { tokenId: v.tokenId, challengeTs: t, hostname: 'shop.example', action: 'signup', cdata: 'abc', sitekey: 'site-pow', type: 'pow' });
  });

  it('accepts a solution once, even under concurrency', async () => {
    const c = await engine.issue({ site });
    const nonce = solvePow(c.id, 10) as string;
    const results = await Promise.all(Array.from({ length: 20 }, () => engine.verify({ id: c.id, answer: { nonce } })));
    assert.equal(results.filter((r) => r.success).length, 1);
    for (const r of results) if (!r.success) assert.equal(r.code, 'CHALLENGE_ERR_ALREADY_SOLVED');
  });

  it('rejects an insufficient nonce with retry', async () => {
    const c = await engine.issue({ site: { ...site, difficulty: 20 } });
    let bad = 0;
    while (checkPowSolution(c.id, String(bad), 20)) bad++;
    const v = await engine.verify({ id: c.id, answer: { nonce: String(bad) } });
    // The failure names whom the challenge was for (per-site analytics), from its signed claims.
    assert.deepEqual(v, { success: false, code: 'CHALLENGE_ERR_POW_INSUFFICIENT', retry: true, attemptsLeft: 1, site: { sitekey: site.sitekey, hostname: '', action: '' } });
  });

  it('rejects tampering with every field and every byte', async () => {
    const c = await engine.issue({ site, action: 'a', cdata: 'c', hostname: 'h.example' });
    const replacements = ['AAAAAAAAAAAAAAAAAAAAAA', 'other-site', 'evil.example', 'b', 'd', '0', '1', '9999999999999'];
    for (let i = 0; i < replacements.length; i++) {
      const forged = tamper(c.id, i, replacements[i] as string);
      assert.notEqual(forged, c.id);
      const nonce = solvePow(forged, 0) as string;
      const v = await engine.verify({ id: forged, answer: { nonce } });
      assert.equal(v.success, false, `field ${i}`);
      assert.ok(!v.success && v.code === 'CHALLENGE_ERR_SIGNATURE_INVALID', `field ${i}`);
    }
    const raw = Buffer.from(c.id, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const copy = Buffer.from(raw);
      copy[i] = (copy[i] as number) ^ 0x01;
      const v = await engine.verify({ id: copy.toString('base64url'), answer: { nonce: '0' } });
      assert.ok(!v.success && v.code === 'CHALLENGE_ERR_SIGNATURE_INVALID', `byte ${i}`);
    }
    // A challenge signed under another secret is forged too.
    const other = createChallengeEngine({ store: createMemoryStore(), secrets: ['another-secret-0123456789'], renderThreads: 0, pool: false });
    const foreign = await other.issue({ site: { ...site, difficulty: 0 } });
    await other.close();
    const v = await engine.verify({ id: foreign.id, answer: { nonce: '0' } });
    assert.ok(!v.success && v.code === 'CHALLENGE_ERR_SIGNATURE_INVALID');
  });

  it('rejects an expired challenge', async () => {
    const c = await engine.issue({ site });
    const nonce = solvePow(c.id, 10) as string;
    t += 120_000;
    const v = await engine.verify({ id: c.id, answer: { nonce } });
    assert.ok(!v.success && v.code === 'CHALLENGE_ERR_EXPIRED' && !v.retry);
  });

  it('throws coded errors for malformed ids and nonces', async () => {
    const c = await engine.issue({ site });
    for (const answer of [undefined, null, 5, {}, { nonce: -1 }, { nonce: '01' }, { nonce: '1e3' }, { nonce: ' 1' }, { nonce: 'x'.repeat(30) }, { nonce: 1.5 }]) {
      await assert.rejects(engine.verify({ id: c.id, answer }), (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_ANSWER'));
    }
    for (const id of [undefined, 7, '', 'short', 'x'.repeat(5000), 'has space and more than forty characters here!!', {}]) {
      await assert.rejects(engine.verify({ id, answer: { nonce: '1' } }), (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_ID'));
    }
    // A numeric nonce is accepted in canonical form.
    const nonce = Number(solvePow(c.id, 10));
    const v = await engine.verify({ id: c.id, answer: { nonce } });
    assert.equal(v.success, true);
  });
});

describe('sha256', () => {
  it('is SHA-256 of the UTF-8 bytes, as createHash computes it', () => {
    for (const text of ['', 'abc', 'UAGwUygACQAW:12345', 'é€😀 non-ASCII', 'x'.repeat(300)]) {
      assert.deepEqual(sha256(text), createHash('sha256').update(text, 'utf8').digest(), text);
    }
    assert.equal(sha256('abc').toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
