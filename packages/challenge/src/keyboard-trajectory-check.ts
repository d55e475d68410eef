import type { TrajectoryRules } from './trajectory-rules.js';
import type { TrajectoryReason, TrajectorySample } from './trajectory-check.js';

/** Outcome of {@link checkKeyboardTrajectory}. */
export interface KeyboardTrajectoryVerdict {
  readonly pass: boolean;
  readonly reasons: readonly TrajectoryReason[];
  /** Measured features (analytics). */
  readonly features: {
    /** Key presses: samples after the first (the start marker). */
    readonly presses: number;
    /** First key press to last key press, ms. */
    readonly durationMs: number;
    /** Shortest interval between two key presses, ms (0 with fewer than 2 presses). */
    readonly minIntervalMs: number;
    /** Coefficient of variation of the intervals between key presses. */
    readonly intervalVariation: number;
    /** Largest |x step| between two samples, px. */
    readonly maxStepPx: number;
    /** Last x, px. */
    readonly endX: number;
  };
}

/** x values arrive rounded to 0.1 px; steps are compared within this. */
const STEP_EPSILON_PX = 0.05;
/** The widget fixes y at the piece's centre, so every sample carries the same y. */
const Y_EPSILON_PX = 0.05;

/**
 * Score a keyboard solve of the slide puzzle: one `[x, y, tMs]` sample per key press, after
 * a start marker at x = 0 (the piece's start), y fixed. `answerX` is the submitted piece
 * position; the last sample must sit on it. Rules and thresholds are in the README
 * ("Keyboard rules"); every failure adds a `key_*` reason.
 */
export function checkKeyboardTrajectory(samples: readonly TrajectorySample[], answerX: number, rules: TrajectoryRules): KeyboardTrajectoryVerdict {
  const reasons: TrajectoryReason[] = [];
  const n = samples.length;
  const presses = Math.max(0, n - 1);
  if (n < 2) {
    return {
      pass: false,
      reasons: [n === 0 ? 'missing' : 'key_too_few_presses'],
      features: { presses, durationMs: 0, minIntervalMs: 0, intervalVariation: 0, maxStepPx: 0, endX: n === 0 ? 0 : (samples[0] as TrajectorySample)[0] },
    };
  }
  const steps = rules.keyStepsPx;
  const largestStep = steps.reduce((m, v) => (v > m ? v : m), 0);

  const first = samples[0] as TrajectorySample;
  const last = samples[n - 1] as TrajectorySample;
  // Enough presses to cover the distance with the largest step (within the end tolerance).
  const needed = Math.max(rules.minKeyPresses, Math.ceil((Math.abs(answerX) - rules.maxKeyEndErrorPx) / largestStep - 1e-9));
  if (presses < needed) reasons.push('key_too_few_presses');
  if (Math.abs(first[0]) > STEP_EPSILON_PX) reasons.push('key_start');

  let maxX = first[0];
  for (const s of samples) if (s[0] > maxX) maxX = s[0];

  let monotonic = true;
  let offAxis = false;
  let teleport = false;
  let badStep = false;
  let maxStep = 0;
  const intervals: number[] = [];
  for (let i = 1; i < n; i++) {
    const a = samples[i - 1] as TrajectorySample;
    const b = samples[i] as TrajectorySample;
    const dt = b[2] - a[2];
    if (dt < 0) monotonic = false;
    // The first press follows the start marker at once (same event); it has no interval.
    if (i >= 2) intervals.push(dt);
    if (Math.abs(b[1] - first[1]) > Y_EPSILON_PX) offAxis = true;
    const dx = b[0] - a[0];
    const size = Math.abs(dx);
    if (size > maxStep) maxStep = size;
    if (size > largestStep + STEP_EPSILON_PX) {
      teleport = true;
    } else if (!steps.some((s) => Math.abs(size - s) <= STEP_EPSILON_PX)) {
      // A shorter step is a press clamped at an end of the track: at x = 0 on the left,
      // at the trace's largest x on the right (the server does not know the track length).
      const atWall = Math.abs(b[0]) <= STEP_EPSILON_PX || Math.abs(b[0] - maxX) <= STEP_EPSILON_PX;
      if (!atWall) badStep = true;
    }
  }
  if (!monotonic) reasons.push('key_time_not_monotonic');

  let minInterval = 0;
  let intervalVariation = 0;
  if (intervals.length > 0) {
    minInterval = intervals.reduce((m, v) => (v < m ? v : m), Number.POSITIVE_INFINITY);
    if (minInterval < rules.minKeyIntervalMs) reasons.push('key_interval_too_short');
  }
  if (intervals.length >= 2) {
    const mean = intervals.reduce((s, v) => s + v, 0) / intervals.length;
    const variance = intervals.reduce((s, v) => s + (v - mean) ** 2, 0) / intervals.length;
    intervalVariation = mean > 0 ? Math.sqrt(variance) / mean : 0;
    if (intervalVariation < rules.minKeyIntervalVariation) reasons.push('key_regular_timing');
  }

  const durationMs = last[2] - (samples[1] as TrajectorySample)[2];
  if (durationMs < rules.minKeyDurationMs) reasons.push('key_too_fast');
  if (durationMs > rules.maxKeyDurationMs) reasons.push('key_too_slow');
  if (teleport) reasons.push('key_teleport');
  if (badStep) reasons.push('key_bad_step');
  if (offAxis) reasons.push('key_off_axis');
  if (Math.abs(last[0] - answerX) > rules.maxKeyEndErrorPx) reasons.push('key_end_mismatch');

  return {
    pass: reasons.length === 0,
    reasons,
    features: { presses, durationMs, minIntervalMs: minInterval, intervalVariation, maxStepPx: maxStep, endX: last[0] },
  };
}
