// The attack bench's own parts: if these are wrong, its pass rates measure the wrong thing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRAJECTORY_RULES, checkKeyboardTrajectory, checkTraceGeometry, checkTrajectory } from '@hurdle/challenge';
import { loadHumanDrags } from '@hurdle/test-helpers';
import { mapRecording } from '../src/attack/human-recordings.js';
import { createRandom } from '../src/attack/seeded-random.js';
import { HUMAN_LIKE_GENERATORS, keyboardTrace, pointerTrace, traceDurationMs } from '../src/attack/trace-generators.js';
import { widgetGeometry } from '../src/attack/widget-geometry.js';
import { wilsonInterval } from '../src/attack/wilson-interval.js';

const slide = { width: 320, height: 160, pieceWidth: 60 };
const geometry = widgetGeometry(slide);

describe('wilsonInterval', () => {
  it('gives the textbook 95 % intervals, inside [0, 1] at the ends', () => {
    const none = wilsonInterval(0, 40);
    assert.equal(none.rate, 0);
    assert.equal(none.low, 0);
    assert.ok(Math.abs(none.high - 0.0876) < 0.001, String(none.high));
    const half = wilsonInterval(20, 40);
    assert.ok(Math.abs(half.low - 0.352) < 0.002 && Math.abs(half.high - 0.648) < 0.002, JSON.stringify(half));
    const all = wilsonInterval(52, 52);
    assert.equal(all.high, 1);
    assert.ok(all.low > 0.93 && all.low < 0.94, String(all.low));
    assert.deepEqual(wilsonInterval(0, 0), { rate: 0, low: 0, high: 1 });
    assert.throws(() => wilsonInterval(3, 2), RangeError);
    assert.throws(() => wilsonInterval(-1, 2), RangeError);
  });
});

describe('traces in the widget frame', () => {
  it('maps every recorded drag onto an answer: lands on it, starts on the handle, stays near the track', () => {
    for (const rec of loadHumanDrags()) {
      for (const answer of [40, 150, geometry.maxX]) {
        const trace = mapRecording(rec, answer, geometry);
        const first = trace[0] as [number, number, number];
        const last = trace[trace.length - 1] as [number, number, number];
        assert.deepEqual(first.slice(0, 1).concat(first[2]), [0, 0], `${rec.source}: starts at x 0, t 0`);
        assert.ok(Math.abs(last[0] - Math.min(answer, geometry.maxX)) < 0.051, `${rec.source}: ends on ${answer}, got ${last[0]}`);
        assert.deepEqual(checkTraceGeometry(trace, DEFAULT_TRAJECTORY_RULES), [], `${rec.source} at ${answer}`);
        assert.equal(traceDurationMs(trace), Math.round(rec.samples[rec.samples.length - 1]?.[2] ?? 0), 'timing kept');
      }
    }
  });

  it('has a naive bot the shape rules catch and human-like generators they mostly miss', () => {
    const rng = createRandom(3);
    const straight = pointerTrace('straight', 180, geometry, rng);
    assert.ok(checkTrajectory(straight, 180, DEFAULT_TRAJECTORY_RULES).reasons.includes('constant_speed'));
    for (const kind of HUMAN_LIKE_GENERATORS) {
      let passed = 0;
      for (let i = 0; i < 40; i++) {
        const target = 40 + ((i * 37) % 200);
        const trace = pointerTrace(kind, target, geometry, rng);
        if (checkTrajectory(trace, target, DEFAULT_TRAJECTORY_RULES).pass && checkTraceGeometry(trace, DEFAULT_TRAJECTORY_RULES).length === 0) passed++;
      }
      // The bench's synthetic attacker must be a serious one, or its pass rate says nothing.
      assert.ok(passed >= 30, `${kind}: ${passed}/40 pass the shape and geometry rules`);
    }
  });

  it('has a keyboard claimant that passes the keyboard rules (the rules alone cannot tell it)', () => {
    const rng = createRandom(5);
    for (const target of [23, 97, 180, 255]) {
      const trace = keyboardTrace(target, rng);
      const verdict = checkKeyboardTrajectory(trace, target, DEFAULT_TRAJECTORY_RULES);
      assert.ok(verdict.pass, `${target}: ${verdict.reasons.join(',')}`);
      assert.deepEqual(checkTraceGeometry(trace, DEFAULT_TRAJECTORY_RULES), []);
    }
  });
});
