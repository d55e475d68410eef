import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import fc from 'fast-check';
import { createChallengeEngine, createInlineRenderer, createMemoryStore, createRenderThreads, isChallengeError } from '../src/index.js';
import type { ChallengeEngine, ChallengeErrorCode, PublicChallenge, SlidePayload } from '../src/index.js';
import { createEngineWithHooks, peekAnswer } from './engine-with-hooks.js';
import { humanTrace, straightLineTrace } from './traces.js';

let t = 1_800_000_000_000;
const now = (): number => t;
let seedCounter = 1000;
const engines: ChallengeEngine[] = [];
function makeEngine(extra: Partial<Parameters<typeof createChallengeEngine>[0]> = {}): ChallengeEngine {
  const e = createEngineWithHooks({
    store: createMemoryStore({ now }),
    secrets: ['slide-test-secret-0123456789'],
    renderThreads: 0,
    pool: false,
    format: 'jpeg',
    now,
    seed: () => seedCounter++,
    ...extra,
  });
  engines.push(e);
  return e;
}
after(async () => { for (const e of engines) await e.close(); });

const site = { sitekey: 'site-slide', challengeTypes: ['slide', 'pow'] as const, difficulty: 4 };
const engine = makeEngine();

/** Let time pass, as it does while a person looks and drags (the server checks it). */
function later(ms = 5_000): void {
  t += ms;
}

async function answerOf(e: ChallengeEngine, id: string): Promise<number> {
  const a = await peekAnswer(e, id);
  assert.ok(a !== undefined && 'x' in a);
  return a.x;
}

function slideOf(c: PublicChallenge): SlidePayload {
  assert.ok(c.slide !== undefined);
  return c.slide;
}

const decode = (dataUrl: string) => loadImage(Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));

describe('slide puzzle rendering', () => {
  const task = { width: 320, height: 160, level: 2, format: 'webp' as const, quality: 80, seed: 42 };

  it('is deterministic for a seed, on the calling thread and on worker threads', async () => {
    const inline = createInlineRenderer();
    const threads = createRenderThreads({ threads: 2 });
    try {
      const a = await inline.render(task);
      const b = await inline.render(task);
      const [c, d] = await Promise.all([threads.render(task), threads.render(task)]);
      assert.deepEqual(b, a);
      assert.deepEqual(c, a);
      assert.deepEqual(d, a);
      const other = await inline.render({ ...task, seed: 43 });
      assert.notEqual(other.background, a.background);
      assert.notEqual(other.piece, a.piece);
    } finally {
      await threads.close();
      await inline.close();
    }
  });

  it('varies shape and position between seeds', async () => {
    const inline = createInlineRenderer();
    const seen = new Set<string>();
    for (let s = 0; s < 12; s++) {
      const p = await inline.render({ ...task, format: 'jpeg', seed: s });
      seen.add(`${p.x},${p.pieceY},${p.pieceWidth}`);
      assert.ok(p.x >= p.pieceWidth && p.x + p.pieceWidth <= 320, 'answer lies clear of the start and inside');
      assert.ok(p.pieceY >= 0 && p.pieceY + p.pieceHeight <= 160);
    }
    assert.ok(seen.size >= 10);
  });

  it('encodes a WebP or JPEG background and a PNG piece with transparency', async () => {
    const inline = createInlineRenderer();
    for (const format of ['webp', 'jpeg'] as const) {
      const p = await inline.render({ ...task, format });
      assert.ok(p.background.startsWith(`data:image/${format};base64,`));
      assert.ok(p.piece.startsWith('data:image/png;base64,'));
      const bg = await decode(p.background);
      assert.equal(bg.width, 320);
      assert.equal(bg.height, 160);
      const piece = await decode(p.piece);
      assert.equal(piece.width, p.pieceWidth);
      const c = createCanvas(piece.width, piece.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(piece, 0, 0);
      const corner = ctx.getImageData(0, 0, 1, 1).data;
      const centre = ctx.getImageData(Math.floor(piece.width / 2), Math.floor(piece.height / 2), 1, 1).data;
      assert.equal(corner[3], 0, 'corner transparent');
      assert.equal(centre[3], 255, 'centre opaque');
    }
  });

  it('uses a site image set', async () => {
    const src = createCanvas(400, 300);
    const g = src.getContext('2d');
    g.fillStyle = '#123456';
    g.fillRect(0, 0, 400, 300);
    const bytes = src.encodeSync('png');
    const inline = createInlineRenderer({ imageSets: { brand: [bytes] } });
    const withSet = await inline.render({ ...task, imageSet: 'brand' });
    const procedural = await inline.render(task);
    assert.notEqual(withSet.background, procedural.background);
    const e = makeEngine({ imageSets: { brand: [bytes] } });
    const c = await e.issue({ site: { ...site, imageSet: 'brand' } });
    assert.ok(slideOf(c).background.startsWith('data:image/jpeg;base64,'));
  });
});

describe('slide challenge verify', () => {
  it('issues the public payload of the HTTP contract', async () => {
    const c = await engine.issue({ site });
    assert.deepEqual(Object.keys(c).sort(), ['attemptsLeft', 'expiresAt', 'id', 'probe', 'slide', 'type']);
    assert.equal(c.type, 'slide');
    assert.equal(c.attemptsLeft, 1);
    assert.equal(c.expiresAt, t + 120_000);
    // The site allows keys and PoW: a keyboard answer's proof is announced, no powPath flag.
    assert.deepEqual(Object.keys(slideOf(c)).sort(), ['background', 'height', 'keyboardPow', 'piece', 'pieceHeight', 'pieceWidth', 'pieceY', 'width']);
    assert.deepEqual(slideOf(c).keyboardPow, { difficulty: 14 });
    assert.ok(!JSON.stringify(c).includes('"x"'), 'the answer is not in the payload');
  });

  it('accepts the answer within tolerance with a human trajectory, then redeems the token', async () => {
    const c = await engine.issue({ site, action: 'login', cdata: 'c1', hostname: 'www.example' });
    const x = await answerOf(engine, c.id);
    later();
    const v = await engine.verify({ id: c.id, answer: { x: x + 5 }, trajectory: humanTrace(x + 5, 11) });
    assert.ok(v.success, JSON.stringify(v));
    const r = await engine.redeem(v.token, { sitekey: 'site-slide', hostname: 'www.example' });
    assert.deepEqual(r, { tokenId: v.tokenId, challengeTs: t, hostname: 'www.example', action: 'login', cdata: 'c1', sitekey: 'site-slide', type: 'slide' });
    // Solved challenges are gone.
    const again = await engine.verify({ id: c.id, answer: { x }, trajectory: humanTrace(x, 11) });
    assert.ok(!again.success && again.code === 'CHALLENGE_ERR_NOT_FOUND');
  });

  it('takes one answer per puzzle: a wrong answer ends it, so guesses never add up on one image', async () => {
    const c = await engine.issue({ site });
    const x = await answerOf(engine, c.id);
    const wrong = x > 160 ? x - 40 : x + 40;
    later();
    const r1 = await engine.verify({ id: c.id, answer: { x: wrong }, trajectory: humanTrace(wrong, 1) });
    assert.deepEqual(r1, { success: false, code: 'CHALLENGE_ERR_WRONG_ANSWER', retry: false, attemptsLeft: 0, site: { sitekey: 'site-slide', hostname: '', action: '' } });
    const r2 = await engine.verify({ id: c.id, answer: { x }, trajectory: humanTrace(x, 2) });
    assert.ok(!r2.success && r2.code === 'CHALLENGE_ERR_NOT_FOUND' && !r2.retry, JSON.stringify(r2));
  });

  it('rejects bot trajectories with reasons, and a missing one, each ending its puzzle', async () => {
    const fresh = async (): Promise<{ id: string; x: number }> => {
      const c = await engine.issue({ site });
      return { id: c.id, x: await answerOf(engine, c.id) };
    };
    let p = await fresh();
    later();
    const bot = await engine.verify({ id: p.id, answer: { x: p.x }, trajectory: straightLineTrace(p.x) });
    assert.ok(!bot.success && bot.code === 'CHALLENGE_ERR_TRAJECTORY_REJECTED' && !bot.retry);
    assert.ok(bot.reasons?.includes('constant_speed'));
    const after = await engine.verify({ id: p.id, answer: { x: p.x }, trajectory: humanTrace(p.x, 5) });
    assert.ok(!after.success && after.code === 'CHALLENGE_ERR_NOT_FOUND');
    p = await fresh();
    const none = await engine.verify({ id: p.id, answer: { x: p.x } });
    assert.ok(!none.success && none.code === 'CHALLENGE_ERR_TRAJECTORY_REJECTED');
    assert.deepEqual(none.reasons, ['missing']);
    p = await fresh();
    later();
    const ok = await engine.verify({ id: p.id, answer: { x: p.x }, trajectory: humanTrace(p.x, 5) });
    assert.ok(ok.success, JSON.stringify(ok));
  });

  it('succeeds once when correct answers race', async () => {
    const c = await engine.issue({ site });
    const x = await answerOf(engine, c.id);
    later();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => engine.verify({ id: c.id, answer: { x }, trajectory: humanTrace(x, i + 21) })));
    assert.equal(results.filter((r) => r.success).length, 1);
  });

  it('reports expired and unknown challenges by code', async () => {
    const c = await engine.issue({ site });
    const x = await answerOf(engine, c.id);
    t += 120_000;
    const v = await engine.verify({ id: c.id, answer: { x }, trajectory: humanTrace(x, 6) });
    assert.ok(!v.success && v.code === 'CHALLENGE_ERR_EXPIRED');
    const unknown = `s.${'A'.repeat(22)}.${(t + 60_000).toString(36)}`;
    const u = await engine.verify({ id: unknown, answer: { x }, trajectory: humanTrace(x, 6) });
    assert.ok(!u.success && u.code === 'CHALLENGE_ERR_NOT_FOUND');
  });

  it('throws coded errors for malformed answers and trajectories', async () => {
    const c = await engine.issue({ site });
    for (const answer of [undefined, null, 'x', {}, { x: '10' }, { x: Number.NaN }, { x: -1 }, { x: Number.POSITIVE_INFINITY }, { x: 1e9 }]) {
      await assert.rejects(engine.verify({ id: c.id, answer, trajectory: [] }), (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_ANSWER'));
    }
    for (const trajectory of ['x', [[1, 2]], [[0, 0, -5]], Array.from({ length: 2001 }, () => [0, 0, 0])]) {
      await assert.rejects(engine.verify({ id: c.id, answer: { x: 10 }, trajectory }), (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_TRAJECTORY'));
    }
  });

  it('never lets a non-coded exception escape verify, whatever the input', async () => {
    const c = await engine.issue({ site });
    const sample = fc.oneof(fc.tuple(fc.double(), fc.double(), fc.double()), fc.array(fc.anything(), { maxLength: 4 }), fc.anything());
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(c.id), fc.anything(), fc.string()),
        fc.oneof(fc.record({ x: fc.oneof(fc.double(), fc.anything()) }), fc.record({ nonce: fc.anything() }), fc.anything()),
        fc.oneof(fc.array(sample, { maxLength: 30 }), fc.anything()),
        fc.oneof(fc.constantFrom('pointer', 'keyboard', undefined), fc.anything()),
        async (id, answer, trajectory, input) => {
          try {
            await engine.verify({ id, answer, trajectory, input });
          } catch (err) {
            assert.ok(isChallengeError(err), String(err));
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('validates issue input with coded errors', async () => {
    const cases: [unknown, ChallengeErrorCode][] = [
      [{ site: null }, 'CHALLENGE_ERR_BAD_SITE'],
      [{ site: { ...site, sitekey: '' } }, 'CHALLENGE_ERR_BAD_SITE'],
      [{ site: { ...site, challengeTypes: [] } }, 'CHALLENGE_ERR_BAD_SITE'],
      [{ site: { ...site, difficulty: 99 } }, 'CHALLENGE_ERR_BAD_SITE'],
      [{ site: { ...site, slideLevel: 9 } }, 'CHALLENGE_ERR_BAD_SITE'],
      [{ site: { ...site, challengeTypes: ['pow'] }, type: 'slide' }, 'CHALLENGE_ERR_UNSUPPORTED_TYPE'],
      [{ site, type: 'audio' }, 'CHALLENGE_ERR_UNSUPPORTED_TYPE'],
      [{ site, action: 'no spaces' }, 'CHALLENGE_ERR_BAD_ACTION'],
      [{ site, action: 'a'.repeat(33) }, 'CHALLENGE_ERR_BAD_ACTION'],
      [{ site, cdata: 'c'.repeat(256) }, 'CHALLENGE_ERR_BAD_CDATA'],
      [{ site, cdata: 5 }, 'CHALLENGE_ERR_BAD_CDATA'],
    ];
    for (const [req, code] of cases) {
      await assert.rejects(engine.issue(req as never), (e) => isChallengeError(e, code), code);
    }
  });

  it('validates options naming the option', () => {
    const base = { store: createMemoryStore(), secrets: ['0123456789abcdef'], renderThreads: 0 };
    const bad: [Record<string, unknown>, string][] = [
      [{ secrets: [] }, 'secrets'],
      [{ secrets: ['short'] }, 'secrets[0]'],
      [{ tokenTtlMs: -1 }, 'tokenTtlMs'],
      [{ format: 'gif' }, 'format'],
      [{ width: 100, height: 160 }, 'width'],
      [{ pool: { maxDepth: 0 } }, 'pool.maxDepth'],
      [{ trajectory: { maxSamples: 1 } }, 'trajectory.maxSamples'],
      [{ renderThreads: -1 }, 'renderThreads'],
      [{ store: {} }, 'store'],
    ];
    for (const [o, name] of bad) {
      assert.throws(() => createChallengeEngine({ ...base, ...o } as never), (e) =>
        isChallengeError(e, 'CHALLENGE_ERR_INVALID_OPTION') && e.message.startsWith(`${name}:`), name);
    }
  });

  it('refuses work after close', async () => {
    const e = makeEngine();
    await e.close();
    await assert.rejects(e.issue({ site }), (err) => isChallengeError(err, 'CHALLENGE_ERR_CLOSED'));
  });
});
