import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkPowSolution, createMemoryStore, isChallengeError, solvePow } from '../src/index.js';
import { createEngineWithHooks, peekAnswer } from './engine-with-hooks.js';
import { humanKeyTrace, humanTrace } from './traces.js';

describe('engine.issue with a per-issue powDifficulty', () => {
  let now = 1_800_000_000_000;
  let seed = 900;
  const engine = createEngineWithHooks({
    store: createMemoryStore({ now: () => now }),
    secrets: ['override-test-secret-0123456789'],
    renderThreads: 0,
    pool: false,
    format: 'jpeg',
    now: () => now,
    seed: () => seed++,
    keyboardPowDifficulty: 3,
  });
  after(() => engine.close());
  const site = { sitekey: 'site-override', challengeTypes: ['slide', 'pow'] as const, difficulty: 2 };

  async function slide(powDifficulty?: number): Promise<{ id: string; x: number; answerPow: unknown }> {
    const c = await engine.issue({ site, type: 'slide', powDifficulty });
    const a = await peekAnswer(engine, c.id);
    assert.ok(a !== undefined && 'x' in a);
    now += 90_000;
    return { id: c.id, x: Math.round(a.x), answerPow: c.slide?.answerPow };
  }

  it('sets the difficulty of a pow challenge instead of the site\'s, and verify holds it to that', async () => {
    const c = await engine.issue({ site, type: 'pow', powDifficulty: 9 });
    assert.equal(c.pow?.difficulty, 9);
    // A nonce good for the site's 2 bits but not for 9 fails (the difficulty is signed into the id).
    let weak: string | undefined;
    for (let n = 0; n < 100_000 && weak === undefined; n++) {
      if (checkPowSolution(c.id, String(n), 2) && !checkPowSolution(c.id, String(n), 9)) weak = String(n);
    }
    assert.ok(weak !== undefined);
    const bad = await engine.verify({ id: c.id, answer: { nonce: weak } });
    assert.ok(!bad.success && bad.code === 'CHALLENGE_ERR_POW_INSUFFICIENT', JSON.stringify(bad));
    const good = await engine.verify({ id: c.id, answer: { nonce: solvePow(c.id, 9) as string } });
    assert.ok(good.success, JSON.stringify(good));
    assert.equal((await engine.issue({ site, type: 'pow' })).pow?.difficulty, 2);
  });

  it('makes every answer to a slide carry a proof when given, and none when not', async () => {
    const plain = await slide();
    assert.equal(plain.answerPow, undefined);
    assert.ok((await engine.verify({ id: plain.id, answer: { x: plain.x }, trajectory: humanTrace(plain.x, 3) })).success);

    const a = await slide(8);
    assert.deepEqual(a.answerPow, { difficulty: 8 });
    const missing = await engine.verify({ id: a.id, answer: { x: a.x }, trajectory: humanTrace(a.x, 4) });
    assert.ok(!missing.success && missing.reasons?.includes('answer_proof_missing'), JSON.stringify(missing));

    const b = await slide(8);
    const proof = solvePow(b.id, 8) as string;
    const ok = await engine.verify({ id: b.id, answer: { x: b.x }, trajectory: humanTrace(b.x, 5), keyboardProof: proof });
    assert.ok(ok.success, JSON.stringify(ok));

    // A keyboard answer needs the larger of its own proof (3 bits) and the issue's (8 bits).
    const k = await slide(8);
    let small: string | undefined;
    for (let n = 0; n < 100_000 && small === undefined; n++) {
      if (checkPowSolution(k.id, String(n), 3) && !checkPowSolution(k.id, String(n), 8)) small = String(n);
    }
    const weak = await engine.verify({ id: k.id, answer: { x: k.x }, trajectory: humanKeyTrace(k.x, 6), input: 'keyboard', keyboardProof: small });
    assert.ok(!weak.success && weak.reasons?.includes('answer_proof_insufficient'), JSON.stringify(weak));
  });

  it('refuses a powDifficulty outside 0-32 with a coded error', async () => {
    for (const bad of [-1, 33, 1.5, '8']) {
      await assert.rejects(engine.issue({ site, type: 'pow', powDifficulty: bad as number }), (e: unknown) => isChallengeError(e) && e.code === 'CHALLENGE_ERR_BAD_SITE');
    }
  });
});
