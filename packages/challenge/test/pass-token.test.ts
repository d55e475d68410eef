import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createChallengeEngine, createMemoryStore, isChallengeError } from '../src/index.js';
import type { ChallengeEngine, ChallengeErrorCode } from '../src/index.js';

const OLD = 'old-secret-0123456789abcdef';
const NEW = 'new-secret-0123456789abcdef';
let t = 1_800_000_000_000;
const now = (): number => t;
const store = createMemoryStore({ now });
const engines: ChallengeEngine[] = [];
function makeEngine(secrets: string[]): ChallengeEngine {
  const e = createChallengeEngine({ store, secrets, renderThreads: 0, pool: false, now });
  engines.push(e);
  return e;
}
after(async () => { for (const e of engines) await e.close(); });
const site = { sitekey: 'site-tok', challengeTypes: ['pow'] as const, difficulty: 0 };

async function token(e: ChallengeEngine, extra: { action?: string; cdata?: string; hostname?: string } = {}): Promise<string> {
  const c = await e.issue({ site, ...extra });
  const v = await e.verify({ id: c.id, answer: { nonce: '0' } });
  assert.ok(v.success);
  return v.token;
}

const rejects = (p: Promise<unknown>, code: ChallengeErrorCode) => assert.rejects(p, (e) => isChallengeError(e, code));

describe('pass tokens', () => {
  const engine = makeEngine([OLD]);

  it('is accepted exactly once under concurrency', async () => {
    const tok = await token(engine, { hostname: 'a.example', action: 'login' });
    const results = await Promise.allSettled(Array.from({ length: 64 }, () => engine.redeem(tok, { sitekey: 'site-tok' })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(isChallengeError(r.reason, 'CHALLENGE_ERR_TOKEN_REPLAYED'));
    }
  });

  it('is bound to site, hostname and action (checked before it is consumed)', async () => {
    const tok = await token(engine, { hostname: 'a.example', action: 'login' });
    await rejects(engine.redeem(tok, { sitekey: 'other' }), 'CHALLENGE_ERR_TOKEN_WRONG_SITE');
    await rejects(engine.redeem(tok, { sitekey: 'site-tok', hostname: 'b.example' }), 'CHALLENGE_ERR_TOKEN_WRONG_HOSTNAME');
    await rejects(engine.redeem(tok, { sitekey: 'site-tok', action: 'pay' }), 'CHALLENGE_ERR_TOKEN_WRONG_ACTION');
    const r = await engine.redeem(tok, { sitekey: 'site-tok', hostname: 'a.example', action: 'login' });
    assert.equal(r.hostname, 'a.example');
  });

  it('expires after its TTL (default 300 s)', async () => {
    const c = await engine.issue({ site });
    const v = await engine.verify({ id: c.id, answer: { nonce: '0' } });
    assert.ok(v.success);
    assert.equal(v.expiresAt, t + 300_000);
    t += 300_000;
    await rejects(engine.redeem(v.token, { sitekey: 'site-tok' }), 'CHALLENGE_ERR_TOKEN_EXPIRED');
  });

  it('rejects forged, altered and malformed tokens', async () => {
    const tok = await token(engine);
    const raw = Buffer.from(tok, 'base64url');
    for (let i = 0; i < raw.length; i += 3) {
      const copy = Buffer.from(raw);
      copy[i] = (copy[i] as number) ^ 0x40;
      await rejects(engine.redeem(copy.toString('base64url'), { sitekey: 'site-tok' }), 'CHALLENGE_ERR_TOKEN_INVALID');
    }
    for (const bad of [undefined, null, 42, '', 'x', 'x'.repeat(5000), `${tok}A`, {}]) {
      await rejects(engine.redeem(bad, { sitekey: 'site-tok' }), 'CHALLENGE_ERR_TOKEN_INVALID');
    }
    // A PoW challenge (same keys, other purpose) never passes as a token.
    const c = await engine.issue({ site });
    await rejects(engine.redeem(c.id, { sitekey: 'site-tok' }), 'CHALLENGE_ERR_TOKEN_INVALID');
  });

  it('supports secret rotation: new key signs, old key verifies until removed', async () => {
    const oldTok = await token(engine);
    const oldTok2 = await token(engine);
    const rotated = makeEngine([NEW, OLD]);
    const newTok = await token(rotated);
    assert.equal((await rotated.redeem(oldTok, { sitekey: 'site-tok' })).sitekey, 'site-tok');
    // The old-only engine does not know the new key.
    await rejects(engine.redeem(newTok, { sitekey: 'site-tok' }), 'CHALLENGE_ERR_TOKEN_INVALID');
    rotated.setSecrets([NEW]);
    await rejects(rotated.redeem(oldTok2, { sitekey: 'site-tok' }), 'CHALLENGE_ERR_TOKEN_INVALID');
    assert.equal((await rotated.redeem(newTok, { sitekey: 'site-tok' })).type, 'pow');
    assert.throws(() => rotated.setSecrets(['short']), (e) => isChallengeError(e, 'CHALLENGE_ERR_INVALID_OPTION'));
    assert.throws(() => rotated.setSecrets([]), (e) => isChallengeError(e, 'CHALLENGE_ERR_INVALID_OPTION'));
  });

  it('repeats the result for the same idempotency key, and only for it', async () => {
    const tok = await token(engine, { cdata: 'order-7' });
    const first = await engine.redeem(tok, { sitekey: 'site-tok', idempotencyKey: 'req-1' });
    const again = await engine.redeem(tok, { sitekey: 'site-tok', idempotencyKey: 'req-1' });
    assert.deepEqual(again, first);
    await rejects(engine.redeem(tok, { sitekey: 'site-tok', idempotencyKey: 'req-2' }), 'CHALLENGE_ERR_TOKEN_REPLAYED');
    await rejects(engine.redeem(tok, { sitekey: 'site-tok' }), 'CHALLENGE_ERR_TOKEN_REPLAYED');
  });

  it('never puts the token in an error message', async () => {
    const tok = await token(engine);
    await engine.redeem(tok, { sitekey: 'site-tok' });
    try {
      await engine.redeem(tok, { sitekey: 'site-tok' });
      assert.fail('expected a replay error');
    } catch (err) {
      assert.ok(isChallengeError(err));
      assert.ok(!err.message.includes(tok) && !err.message.includes(tok.slice(10, 40)));
    }
  });
});
