// Slide challenges of several rounds: each round is its own puzzle with its own answer,
// checks and look time; the pass token comes only after the last, and a failed round ends
// the whole challenge.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createChallengeEngine, createChallengeTestHooks, createMemoryStore } from '../src/index.js';
import type { ChallengeEngine, PublicChallenge, VerifyResult } from '../src/index.js';
import { humanTrace } from './traces.js';

let t = 1_800_000_000_000;
let seed = 31_000;
let traceSeed = 500;
const secrets = ['rounds-test-secret-0123456789'];
const engines: ChallengeEngine[] = [];
after(async () => { for (const e of engines) await e.close(); });

function make(extra: Record<string, unknown> = {}): { engine: ChallengeEngine; answerOf: (id: string) => Promise<number> } {
  const now = (): number => t;
  const store = createMemoryStore({ now });
  const engine = createChallengeEngine({ store, secrets, renderThreads: 0, pool: false, format: 'jpeg', now, seed: () => seed++, ...extra });
  engines.push(engine);
  const hooks = createChallengeTestHooks({ store, secrets: () => secrets });
  return {
    engine,
    async answerOf(id) {
      const a = await hooks.peekAnswer(id);
      assert.ok(a !== undefined && 'x' in a, `no live answer for ${id}`);
      return a.x;
    },
  };
}
const site = { sitekey: 'site-rounds', challengeTypes: ['slide', 'pow'] as const, difficulty: 1 };

/** Answers one round as a person would: look, then a fresh human drag onto the answer. */
async function solveRound(e: { engine: ChallengeEngine; answerOf: (id: string) => Promise<number> }, c: PublicChallenge, offset = 0): Promise<VerifyResult> {
  const x = await e.answerOf(c.id) + offset;
  const trace = humanTrace(x, traceSeed++, 900);
  t += 600 + 900 + 50;
  return e.engine.verify({ id: c.id, answer: { x }, trajectory: trace });
}

describe('slide rounds', () => {
  it('asks two puzzles by default: the first right answer brings the second, the second the token', async () => {
    const e = make();
    const first = await e.engine.issue({ site });
    assert.equal(first.slide?.round, 1);
    assert.equal(first.slide?.rounds, 2);
    const v1 = await solveRound(e, first);
    assert.ok(!v1.success && v1.code === 'CHALLENGE_NEXT_ROUND', JSON.stringify(v1));
    const second = v1.next;
    assert.notEqual(second.id, first.id);
    assert.equal(second.type, 'slide');
    assert.equal(second.slide?.round, 2);
    assert.equal(second.slide?.rounds, 2);
    // The next round carries what the first announced (keyboard proof, PoW path).
    assert.deepEqual(second.slide?.keyboardPow, first.slide?.keyboardPow);
    assert.equal(second.slide?.powPath, undefined);
    // The first id is spent: it cannot be answered again for another next round.
    const again = await e.engine.verify({ id: first.id, answer: { x: 10 }, trajectory: humanTrace(10, traceSeed++, 900) });
    assert.ok(!again.success && again.code !== 'CHALLENGE_NEXT_ROUND', JSON.stringify(again));
    const v2 = await solveRound(e, second);
    assert.ok(v2.success, JSON.stringify(v2));
    const claims = await e.engine.redeem(v2.token, { sitekey: site.sitekey });
    assert.equal(claims.type, 'slide');
    assert.equal(e.engine.stats().verified.nextRound, 1);
    assert.equal(e.engine.stats().verified.pass, 1);
    assert.equal(e.engine.stats().issued.slide, 1);
  });

  it('ends the challenge on a wrong second round (no token, no further puzzle)', async () => {
    const e = make();
    const v1 = await solveRound(e, await e.engine.issue({ site }));
    assert.ok(!v1.success && v1.code === 'CHALLENGE_NEXT_ROUND');
    const v2 = await solveRound(e, v1.next, 40);
    // A failure names the site the puzzle was issued for (analytics), the second round's too.
    const { site: issuedFor, ...rest } = v2;
    assert.deepEqual(rest, { success: false, code: 'CHALLENGE_ERR_WRONG_ANSWER', retry: false, attemptsLeft: 0 });
    assert.equal(issuedFor?.sitekey, site.sitekey);
  });

  it('holds the next round to its own look time (its issue, not the first round\'s)', async () => {
    const e = make();
    const v1 = await solveRound(e, await e.engine.issue({ site }));
    assert.ok(!v1.success && v1.code === 'CHALLENGE_NEXT_ROUND');
    const x = await e.answerOf(v1.next.id);
    t += 100; // far less than the drag below claims
    const v2 = await e.engine.verify({ id: v1.next.id, answer: { x }, trajectory: humanTrace(x, traceSeed++, 900) });
    assert.ok(!v2.success && v2.code === 'CHALLENGE_ERR_TIMING_REJECTED', JSON.stringify(v2));
  });

  it('binds the token to the first round\'s site, hostname, action and cdata', async () => {
    const e = make();
    const c = await e.engine.issue({ site, hostname: 'shop.example', action: 'login', cdata: 'order-7' });
    const v1 = await solveRound(e, c);
    assert.ok(!v1.success && v1.code === 'CHALLENGE_NEXT_ROUND');
    const v2 = await solveRound(e, v1.next);
    assert.ok(v2.success);
    const claims = await e.engine.redeem(v2.token, { sitekey: site.sitekey, hostname: 'shop.example', action: 'login' });
    assert.equal(claims.cdata, 'order-7');
  });

  it('takes the rounds from the engine option, the site, then the issue request; one round says none', async () => {
    const three = make({ slideRounds: 3 });
    let c: PublicChallenge = await three.engine.issue({ site });
    for (let round = 1; round <= 2; round++) {
      assert.equal(c.slide?.round, round);
      const v = await solveRound(three, c);
      assert.ok(!v.success && v.code === 'CHALLENGE_NEXT_ROUND', JSON.stringify(v));
      c = v.next;
    }
    assert.equal(c.slide?.round, 3);
    assert.ok((await solveRound(three, c)).success);

    const e = make();
    const single = await e.engine.issue({ site: { ...site, slideRounds: 1 } });
    assert.equal(single.slide?.round, undefined);
    assert.equal(single.slide?.rounds, undefined);
    assert.ok((await solveRound(e, single)).success);
    const byRequest = await e.engine.issue({ site: { ...site, slideRounds: 1 }, rounds: 4 });
    assert.equal(byRequest.slide?.rounds, 4);
  });

  it('refuses bad rounds with a coded error', async () => {
    const e = make();
    await assert.rejects(e.engine.issue({ site: { ...site, slideRounds: 0 } }), { code: 'CHALLENGE_ERR_BAD_SITE' });
    await assert.rejects(e.engine.issue({ site: { ...site, slideRounds: 6 } }), { code: 'CHALLENGE_ERR_BAD_SITE' });
    await assert.rejects(e.engine.issue({ site, rounds: 1.5 }), { code: 'CHALLENGE_ERR_BAD_SITE' });
    assert.throws(() => createChallengeEngine({ store: createMemoryStore(), secrets, slideRounds: 9 }), { code: 'CHALLENGE_ERR_INVALID_OPTION' });
  });
});
