import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  DEFAULT_TRAJECTORY_RULES,
  checkKeyboardTrajectory,
  checkTrajectory,
  createChallengeEngine,
  createMemoryStore,
  isChallengeError,
  parseTrajectory,
  solvePow,
} from '../src/index.js';
import type { ChallengeEngine, TrajectoryReason, TrajectoryRules } from '../src/index.js';
import { createEngineWithHooks, peekAnswer } from './engine-with-hooks.js';

/** The proof of work a keyboard answer carries (the engine's default difficulty, 14 bits). */
const proofOf = (id: string): string => solvePow(id, 14) ?? '';
import { evenKeyTrace, fastKeyTrace, humanKeyTrace, humanTrace } from './traces.js';
import type { Trace } from './traces.js';

const rules = DEFAULT_TRAJECTORY_RULES;
const check = (trace: Trace, answerX: number, r: TrajectoryRules = rules) =>
  checkKeyboardTrajectory(parseTrajectory(trace, r.maxSamples), answerX, r);

function assertRejected(trace: Trace, answerX: number, reason: TrajectoryReason): readonly TrajectoryReason[] {
  const v = check(trace, answerX);
  assert.equal(v.pass, false, `expected rejection for ${reason}`);
  assert.ok(v.reasons.includes(reason), `expected ${reason} in [${v.reasons.join(', ')}]`);
  return v.reasons;
}

const Y = 84.5;

describe('keyboard trajectory rules', () => {
  it('passes human-like keyboard solves (taps and held keys, with and without overshoot)', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const answer = 46 + ((seed * 37) % 230);
      for (const style of ['taps', 'held'] as const) {
        const v = check(humanKeyTrace(answer, seed, style), answer);
        assert.equal(v.pass, true, `seed ${seed} ${style}: ${v.reasons.join(', ')} ${JSON.stringify(v.features)}`);
      }
    }
  });

  it('fails the same human keyboard traces under the pointer rules (why keyboard needs its own)', () => {
    const v = checkTrajectory(humanKeyTrace(120, 3), 120, rules);
    assert.equal(v.pass, false);
    assert.ok(v.reasons.includes('no_jitter'));
  });

  it('accepts a press clamped at the left end (x = 0) and at the right end of the track', () => {
    // Left at x = 0 does nothing (a 0 px step); Shift+Right into the right end moves 4 px.
    const t: Trace = [[0, Y, 0], [0, Y, 1], [10, Y, 180], [20, Y, 350], [24, Y, 520], [24, Y, 700], [23, Y, 1300], [22, Y, 1450]];
    const v = check(t, 22);
    assert.equal(v.pass, true, v.reasons.join(', '));
  });

  it('rejects presses at one fixed interval (key_regular_timing)', () => {
    assert.deepEqual(check(evenKeyTrace(137, 100), 137).reasons, ['key_regular_timing']);
    // +-1 ms of jitter does not help.
    const jittered = evenKeyTrace(137, 100).map(([x, y, t], i): [number, number, number] => [x, y, t + (i % 2)]);
    assertRejected(jittered, 137, 'key_regular_timing');
  });

  it('rejects presses faster than a person can type (key_interval_too_short, key_too_fast)', () => {
    const reasons = assertRejected(fastKeyTrace(150, 4), 150, 'key_interval_too_short');
    assert.ok(reasons.includes('key_too_fast'));
    assertRejected(evenKeyTrace(150, 10), 150, 'key_interval_too_short');
  });

  it('rejects a solve shorter than minKeyDurationMs (key_too_fast alone)', () => {
    const t: Trace = [[0, Y, 0], [10, Y, 0], [20, Y, 60], [30, Y, 150], [31, Y, 230]];
    assert.deepEqual(check(t, 31).reasons, ['key_too_fast']);
  });

  it('rejects a solve slower than maxKeyDurationMs (key_too_slow)', () => {
    const t = humanKeyTrace(80, 5).map(([x, y, tm]): [number, number, number] => [x, y, tm * 60]);
    assertRejected(t, 80, 'key_too_slow');
  });

  it('rejects steps no key makes (key_bad_step)', () => {
    const t: Trace = [[0, Y, 0], [10, Y, 0], [13, Y, 140], [23, Y, 330], [33, Y, 480], [34, Y, 700]];
    assert.deepEqual(check(t, 34).reasons, ['key_bad_step']);
    // Fractional steps (a pointer-like trace) fail too.
    const half: Trace = [[0, Y, 0], [10, Y, 1], [20, Y, 180], [20.5, Y, 420], [30.5, Y, 560], [31, Y, 810]];
    assert.deepEqual(check(half, 31).reasons, ['key_bad_step']);
  });

  it('rejects a jump longer than the largest step (key_teleport)', () => {
    const t: Trace = [[0, Y, 0], [10, Y, 1], [20, Y, 160], [100, Y, 400], [110, Y, 520], [111, Y, 800]];
    assert.deepEqual(check(t, 111).reasons, ['key_too_few_presses', 'key_teleport']);
    // Straight to the answer in one press.
    const jump: Trace = [[0, Y, 0], [137, Y, 1]];
    const reasons = assertRejected(jump, 137, 'key_teleport');
    assert.ok(reasons.includes('key_too_few_presses'));
  });

  it('rejects fewer presses than the distance needs (key_too_few_presses)', () => {
    assert.deepEqual(check([[0, Y, 0], [10, Y, 1], [20, Y, 400]], 20).reasons, ['key_too_few_presses']);
    assert.deepEqual(check([[0, Y, 0]], 0).reasons, ['key_too_few_presses']);
    assert.deepEqual(check([], 10).reasons, ['missing']);
    // With a 50 px step configured, two presses reach 100 but the minimum is still three.
    const wide = { ...rules, keyStepsPx: [1, 10, 50] };
    assert.deepEqual(check([[0, Y, 0], [50, Y, 1], [100, Y, 400]], 100, wide).reasons, ['key_too_few_presses']);
  });

  it('rejects a trace that does not start at x = 0 (key_start)', () => {
    const t = humanKeyTrace(90, 7).map(([x, y, tm]): [number, number, number] => [x + 40, y, tm]);
    assertRejected(t, 130, 'key_start');
  });

  it('rejects timestamps that go backwards (key_time_not_monotonic)', () => {
    const t = humanKeyTrace(90, 8);
    const a = t[4] as [number, number, number];
    const b = t[5] as [number, number, number];
    [a[2], b[2]] = [b[2], a[2]];
    assertRejected(t, 90, 'key_time_not_monotonic');
  });

  it('rejects y that moves (key_off_axis), e.g. a pointer drag sent as keyboard', () => {
    const t = humanKeyTrace(90, 9).map(([x, y, tm], i): [number, number, number] => [x, i === 6 ? y + 1 : y, tm]);
    assert.deepEqual(check(t, 90).reasons, ['key_off_axis']);
    const drag = humanTrace(150, 9);
    const reasons = assertRejected(drag, 150, 'key_off_axis');
    assert.ok(reasons.includes('key_bad_step') || reasons.includes('key_start'));
  });

  it('rejects a last position that is not the answer (key_end_mismatch)', () => {
    assert.deepEqual(check(humanKeyTrace(90, 10), 89.4).reasons, ['key_end_mismatch']);
  });

  it('uses the configured step sizes', () => {
    const five = { ...rules, keyStepsPx: [5, 20] };
    const t: Trace = [[0, Y, 0], [20, Y, 1], [40, Y, 200], [60, Y, 330], [65, Y, 700], [70, Y, 860]];
    assert.equal(check(t, 70, five).pass, true, check(t, 70, five).reasons.join(', '));
    assert.ok(check(t, 70).reasons.includes('key_teleport'));
  });
});

describe('engine.verify with input: keyboard', () => {
  let now = 1_800_000_000_000;
  let seed = 500;
  const engines: ChallengeEngine[] = [];
  const make = (extra: Record<string, unknown> = {}): ChallengeEngine => {
    const e = createEngineWithHooks({
      store: createMemoryStore({ now: () => now }),
      secrets: ['keyboard-test-secret-0123456789'],
      renderThreads: 0,
      pool: false,
      format: 'jpeg',
      now: () => now,
      seed: () => seed++,
      ...extra,
    });
    engines.push(e);
    return e;
  };
  after(async () => { for (const e of engines) await e.close(); });
  const site = { sitekey: 'site-keys', challengeTypes: ['slide', 'pow'] as const, difficulty: 4 };
  const engine = make();
  /** A fresh puzzle, and time passing as a person solves it (long key solves included). */
  async function issue(e = engine): Promise<{ id: string; x: number }> {
    const c = await e.issue({ site });
    const a = await peekAnswer(e, c.id);
    assert.ok(a !== undefined && 'x' in a);
    now += 90_000;
    return { id: c.id, x: Math.round(a.x) };
  }

  it('passes a human keyboard solve, which the pointer rules (the default) reject', async () => {
    const first = await issue();
    const trace = humanKeyTrace(first.x, 21);
    const asPointer = await engine.verify({ id: first.id, answer: { x: first.x }, trajectory: trace });
    assert.ok(!asPointer.success && asPointer.code === 'CHALLENGE_ERR_TRAJECTORY_REJECTED', JSON.stringify(asPointer));
    const { id, x } = await issue();
    const ok = await engine.verify({ id, answer: { x }, trajectory: humanKeyTrace(x, 21), input: 'keyboard', keyboardProof: proofOf(id) });
    assert.ok(ok.success, JSON.stringify(ok));
  });

  it('rejects bot keyboard traces with key_* reasons, and a missing trace', async () => {
    let { id, x } = await issue();
    const even = await engine.verify({ id, answer: { x }, trajectory: evenKeyTrace(x, 80), input: 'keyboard', keyboardProof: proofOf(id) });
    assert.ok(!even.success && even.code === 'CHALLENGE_ERR_TRAJECTORY_REJECTED' && !even.retry);
    assert.deepEqual(even.reasons, ['key_regular_timing']);
    ({ id, x } = await issue());
    const none = await engine.verify({ id, answer: { x }, input: 'keyboard', keyboardProof: proofOf(id) });
    assert.ok(!none.success);
    assert.deepEqual(none.reasons, ['missing']);
    ({ id, x } = await issue());
    const pointer = await engine.verify({ id, answer: { x }, trajectory: humanTrace(x, 2), input: 'keyboard', keyboardProof: proofOf(id) });
    assert.ok(!pointer.success && pointer.reasons?.includes('key_off_axis'));
  });

  it('asks a keyboard answer for a proof of work bound to the puzzle, and refuses one without', async () => {
    const c = await engine.issue({ site });
    assert.deepEqual(c.slide?.keyboardPow, { difficulty: 14 });
    const answer = await peekAnswer(engine, c.id);
    assert.ok(answer !== undefined && 'x' in answer);
    now += 90_000;
    const x = Math.round(answer.x);
    const missing = await engine.verify({ id: c.id, answer: { x }, trajectory: humanKeyTrace(x, 31), input: 'keyboard' });
    assert.ok(!missing.success && missing.reasons?.includes('keyboard_proof_missing'), JSON.stringify(missing));
    const q = await issue();
    // A nonce found for another id does not count: the proof is bound to this puzzle.
    const foreign = await engine.verify({ id: q.id, answer: { x: q.x }, trajectory: humanKeyTrace(q.x, 32), input: 'keyboard', keyboardProof: proofOf(c.id) });
    assert.ok(!foreign.success && foreign.reasons?.includes('keyboard_proof_insufficient'), JSON.stringify(foreign));
    // A pointer answer needs none.
    const r = await issue();
    assert.ok((await engine.verify({ id: r.id, answer: { x: r.x }, trajectory: humanTrace(r.x, 33) })).success);
    // keyboardPowDifficulty 0: no proof asked, none offered.
    const free = make({ keyboardPowDifficulty: 0 });
    const f = await free.issue({ site });
    assert.equal(f.slide?.keyboardPow, undefined);
    const fa = await peekAnswer(free, f.id);
    assert.ok(fa !== undefined && 'x' in fa);
    now += 90_000;
    const fx = Math.round(fa.x);
    assert.ok((await free.verify({ id: f.id, answer: { x: fx }, trajectory: humanKeyTrace(fx, 34), input: 'keyboard' })).success);
  });

  it('accepts input: pointer explicitly and null as absent', async () => {
    const a = await issue();
    assert.ok((await engine.verify({ id: a.id, answer: { x: a.x }, trajectory: humanTrace(a.x, 3), input: 'pointer' })).success);
    const b = await issue();
    assert.ok((await engine.verify({ id: b.id, answer: { x: b.x }, trajectory: humanTrace(b.x, 4), input: null })).success);
  });

  it('throws CHALLENGE_ERR_BAD_TRAJECTORY for a bad input value (slide and pow)', async () => {
    const { id, x } = await issue();
    for (const input of ['mouse', 'Keyboard', '', 1, true, {}, ['keyboard']]) {
      await assert.rejects(engine.verify({ id, answer: { x }, trajectory: humanKeyTrace(x, 5), input }),
        (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_TRAJECTORY') && e.message.startsWith('input:'), String(input));
    }
    const pow = await engine.issue({ site, type: 'pow' });
    await assert.rejects(engine.verify({ id: pow.id, answer: { nonce: '0' }, input: 'touch' }),
      (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_TRAJECTORY'));
    // The malformed request did not use up an attempt.
    assert.ok((await engine.verify({ id, answer: { x }, trajectory: humanKeyTrace(x, 5), input: 'keyboard', keyboardProof: proofOf(id) })).success);
  });

  it('a site with keyboardSolve: false: keyboard solves fail (keyboard_disabled, puzzle burnt), drags pass', async () => {
    const off = { ...site, keyboardSolve: false };
    const issueOff = async (): Promise<{ id: string; x: number; keyboard: unknown }> => {
      const c = await engine.issue({ site: off });
      const a = await peekAnswer(engine, c.id);
      assert.ok(a !== undefined && 'x' in a);
      now += 90_000;
      return { id: c.id, x: Math.round(a.x), keyboard: c.slide?.keyboard };
    };
    const k = await issueOff();
    assert.equal(k.keyboard, false, 'the slide payload tells the widget');
    // The same human trace passes on a site that keeps the keys (first test); here it fails.
    const v = await engine.verify({ id: k.id, answer: { x: k.x }, trajectory: humanKeyTrace(k.x, 21), input: 'keyboard', keyboardProof: proofOf(k.id) });
    assert.ok(!v.success, JSON.stringify(v));
    assert.equal(v.code, 'CHALLENGE_ERR_TRAJECTORY_REJECTED');
    assert.deepEqual(v.reasons, ['keyboard_disabled']);
    assert.equal(v.retry, false);
    // Burnt like any failed answer check: a drag cannot finish that puzzle afterwards.
    const after = await engine.verify({ id: k.id, answer: { x: k.x }, trajectory: humanTrace(k.x, 6) });
    assert.ok(!after.success && after.code === 'CHALLENGE_ERR_NOT_FOUND', JSON.stringify(after));
    // No trace at all does not slip through either.
    const bare = await issueOff();
    const none = await engine.verify({ id: bare.id, answer: { x: bare.x }, input: 'keyboard', keyboardProof: proofOf(bare.id) });
    assert.ok(!none.success);
    assert.deepEqual(none.reasons, ['keyboard_disabled']);
    const p = await issueOff();
    const drag = await engine.verify({ id: p.id, answer: { x: p.x }, trajectory: humanTrace(p.x, 7) });
    assert.ok(drag.success, JSON.stringify(drag));
  });

  it('keyboardSolve true or absent keeps the keys, and a non-boolean is CHALLENGE_ERR_BAD_SITE', async () => {
    for (const s of [site, { ...site, keyboardSolve: true }]) {
      const c = await engine.issue({ site: s });
      assert.equal(c.slide !== undefined && 'keyboard' in c.slide, false, 'no keyboard field while the keys are on');
      const a = await peekAnswer(engine, c.id);
      assert.ok(a !== undefined && 'x' in a);
      now += 90_000;
      const x = Math.round(a.x);
      const v = await engine.verify({ id: c.id, answer: { x }, trajectory: humanKeyTrace(x, 22), input: 'keyboard', keyboardProof: proofOf(c.id) });
      assert.ok(v.success, JSON.stringify(v));
    }
    for (const keyboardSolve of ['false', 0, null]) {
      await assert.rejects(engine.issue({ site: { ...site, keyboardSolve } as never }),
        (e) => isChallengeError(e, 'CHALLENGE_ERR_BAD_SITE') && e.message.startsWith('site.keyboardSolve:'), String(keyboardSolve));
    }
  });

  it('takes keyboard thresholds from the trajectory options, validated by name', async () => {
    const e = make({ trajectory: { keyStepsPx: [1, 10, 50], minKeyIntervalVariation: 0 } });
    const { id, x } = await issue(e);
    const even = evenKeyTrace(x, 120);
    const v = await e.verify({ id, answer: { x }, trajectory: even, input: 'keyboard', keyboardProof: proofOf(id) });
    assert.ok(v.success, JSON.stringify(v));
    const base = { store: createMemoryStore(), secrets: ['0123456789abcdef'], renderThreads: 0 };
    const bad: [Record<string, unknown>, string][] = [
      [{ keyStepsPx: [] }, 'trajectory.keyStepsPx'],
      [{ keyStepsPx: [0] }, 'trajectory.keyStepsPx'],
      [{ keyStepsPx: [1, Number.NaN] }, 'trajectory.keyStepsPx'],
      [{ keyStepsPx: '10' }, 'trajectory.keyStepsPx'],
      [{ keyStepsPx: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, 'trajectory.keyStepsPx'],
      [{ minKeyPresses: 0 }, 'trajectory.minKeyPresses'],
      [{ minKeyIntervalMs: -1 }, 'trajectory.minKeyIntervalMs'],
      [{ minKeyIntervalVariation: -0.1 }, 'trajectory.minKeyIntervalVariation'],
      [{ minKeyDurationMs: Number.POSITIVE_INFINITY }, 'trajectory.minKeyDurationMs'],
      [{ maxKeyDurationMs: 0 }, 'trajectory.maxKeyDurationMs'],
      [{ maxKeyEndErrorPx: -1 }, 'trajectory.maxKeyEndErrorPx'],
    ];
    for (const [trajectory, name] of bad) {
      assert.throws(() => createChallengeEngine({ ...base, trajectory } as never), (err) =>
        isChallengeError(err, 'CHALLENGE_ERR_INVALID_OPTION') && err.message.startsWith(`${name}:`), name);
    }
  });
});
