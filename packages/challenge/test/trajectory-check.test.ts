import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRAJECTORY_RULES, checkTrajectory, isChallengeError, parseTrajectory } from '../src/index.js';
import type { TrajectoryReason } from '../src/index.js';
import { humanTrace, noJitterTrace, straightLineTrace, teleportTrace, tooFastTrace } from './traces.js';
import type { Trace } from './traces.js';

const rules = DEFAULT_TRAJECTORY_RULES;
const check = (trace: Trace, answerX: number) => checkTrajectory(parseTrajectory(trace, rules.maxSamples), answerX, rules);

function assertRejected(trace: Trace, answerX: number, reason: TrajectoryReason): readonly TrajectoryReason[] {
  const v = check(trace, answerX);
  assert.equal(v.pass, false, `expected rejection for ${reason}`);
  assert.ok(v.reasons.includes(reason), `expected ${reason} in [${v.reasons.join(', ')}]`);
  return v.reasons;
}

describe('trajectory rules', () => {
  it('passes human-like drags of many lengths, speeds and seeds', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const travel = 60 + ((seed * 37) % 170);
      const duration = 450 + ((seed * 131) % 1800);
      const v = check(humanTrace(travel, seed, duration), travel);
      assert.equal(v.pass, true, `seed ${seed}: ${v.reasons.join(', ')} ${JSON.stringify(v.features)}`);
    }
  });

  it('rejects a straight constant-speed line (constant_speed, no_acceleration, no_jitter)', () => {
    const reasons = assertRejected(straightLineTrace(150), 150, 'constant_speed');
    assert.ok(reasons.includes('no_acceleration'));
    assert.ok(reasons.includes('no_jitter'));
  });

  it('rejects a constant-speed line even with vertical jitter added', () => {
    const t = straightLineTrace(150).map(([x, y, tm], i): [number, number, number] => [x, y + ((i * 7) % 5) - 2, tm]);
    assertRejected(t, 150, 'constant_speed');
  });

  it('rejects a teleport', () => {
    assertRejected(teleportTrace(180, 3), 180, 'teleport');
  });

  it('rejects a drag that is too fast', () => {
    assertRejected(tooFastTrace(150, 4), 150, 'too_fast');
  });

  it('rejects a drag that is too slow', () => {
    const t = humanTrace(150, 5, 2000).map(([x, y, tm]): [number, number, number] => [x, y, tm * 20]);
    assertRejected(t, 150, 'too_slow');
  });

  it('rejects a scripted ease-in-out without jitter (no_jitter only)', () => {
    const v = check(noJitterTrace(150, 6), 150);
    assert.deepEqual(v.reasons, ['no_jitter']);
  });

  it('rejects timestamps that go backwards', () => {
    const t = humanTrace(150, 7);
    const a = t[5] as [number, number, number];
    const b = t[6] as [number, number, number];
    [a[2], b[2]] = [b[2], a[2]];
    assertRejected(t, 150, 'time_not_monotonic');
  });

  it('rejects mostly repeated timestamps', () => {
    const t = humanTrace(150, 8).map(([x, y, tm], i): [number, number, number] => [x, y, i % 4 === 0 ? tm : Math.floor(tm / 64) * 64]);
    const flat = t.map(([x, y], i): [number, number, number] => [x, y, Math.floor(i / 3) * 50]);
    assertRejected(flat, 150, 'repeated_timestamps');
  });

  it('rejects too few samples', () => {
    const t = humanTrace(150, 9);
    assertRejected([t[0], t[Math.floor(t.length / 3)], t[Math.floor((2 * t.length) / 3)], t[t.length - 1]] as Trace, 150, 'too_few_samples');
  });

  it('rejects a pointer travel that does not match the answer', () => {
    assertRejected(humanTrace(150, 10), 100, 'end_mismatch');
  });

  it('reports a missing trajectory', () => {
    assert.deepEqual(check([], 10).reasons, ['missing']);
  });
});

describe('trajectory input limits', () => {
  const bad: [string, unknown][] = [
    ['not an array', { length: 3 }],
    ['a string', 'x'],
    ['too many samples', Array.from({ length: rules.maxSamples + 1 }, (_, i) => [i, 0, i])],
    ['a sample not an array', [[0, 0, 0], 5]],
    ['a sample of 2', [[0, 0]]],
    ['a sample of 4', [[0, 0, 0, 0]]],
    ['NaN', [[0, Number.NaN, 0]]],
    ['Infinity', [[Number.POSITIVE_INFINITY, 0, 0]]],
    ['a string number', [['1', 0, 0]]],
    ['negative time', [[0, 0, -1]]],
    ['huge time', [[0, 0, 1e12]]],
    ['huge coordinate', [[1e9, 0, 0]]],
    ['null sample', [null]],
  ];
  for (const [name, value] of bad) {
    it(`throws CHALLENGE_ERR_BAD_TRAJECTORY for ${name}`, () => {
      assert.throws(() => parseTrajectory(value, rules.maxSamples), (err) => isChallengeError(err, 'CHALLENGE_ERR_BAD_TRAJECTORY'));
    });
  }
});
