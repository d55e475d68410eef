import type { TrajectoryRules } from './trajectory-rules.js';
import { ChallengeError, describeValue } from './errors.js';

/** One pointer sample: x, y in background pixels, tMs since the drag started. */
export type TrajectorySample = readonly [x: number, y: number, tMs: number];

/** Names of the trajectory rules; a failed rule appears in `reasons`. */
export type TrajectoryReason =
  | 'missing'
  | 'too_few_samples'
  | 'time_not_monotonic'
  | 'repeated_timestamps'
  | 'too_fast'
  | 'too_slow'
  | 'teleport'
  | 'constant_speed'
  | 'no_acceleration'
  | 'no_jitter'
  | 'end_mismatch'
  // Keyboard rules (`input: 'keyboard'`).
  | 'key_too_few_presses'
  | 'key_start'
  | 'key_time_not_monotonic'
  | 'key_interval_too_short'
  | 'key_regular_timing'
  | 'key_too_fast'
  | 'key_too_slow'
  | 'key_teleport'
  | 'key_bad_step'
  | 'key_off_axis'
  | 'key_end_mismatch'
  // A keyboard answer to a puzzle whose site turned keyboard solving off.
  | 'keyboard_disabled';

/** Outcome of {@link checkTrajectory}. */
export interface TrajectoryVerdict {
  readonly pass: boolean;
  readonly reasons: readonly TrajectoryReason[];
  /** Measured features (analytics). */
  readonly features: {
    readonly samples: number;
    readonly durationMs: number;
    readonly maxStepPx: number;
    readonly speedVariation: number;
    readonly peakAt: number;
    readonly offAxisPx: number;
    readonly travelPx: number;
  };
}

const MAX_COORD = 100_000;
const MAX_TIME_MS = 3_600_000;

/**
 * Validate untrusted trajectory JSON. Throws CHALLENGE_ERR_BAD_TRAJECTORY when it is not an
 * array of at most `maxSamples` `[x, y, tMs]` triples of finite numbers with
 * |x|, |y| <= 100000 and 0 <= tMs <= 3600000.
 */
export function parseTrajectory(value: unknown, maxSamples: number): TrajectorySample[] {
  if (!Array.isArray(value)) {
    throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `trajectory: expected an array of [x, y, tMs], got ${describeValue(value)}`);
  }
  if (value.length > maxSamples) {
    throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `trajectory: expected at most ${maxSamples} samples, got ${value.length}`);
  }
  for (let i = 0; i < value.length; i++) {
    const s: unknown = value[i];
    if (!Array.isArray(s) || s.length !== 3) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `trajectory[${i}]: expected [x, y, tMs], got ${describeValue(s)}`);
    }
    const [x, y, t] = s as unknown[];
    if (typeof x !== 'number' || typeof y !== 'number' || typeof t !== 'number' ||
        !Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(t)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `trajectory[${i}]: expected three finite numbers`);
    }
    if (Math.abs(x) > MAX_COORD || Math.abs(y) > MAX_COORD) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `trajectory[${i}]: coordinates beyond +-${MAX_COORD}`);
    }
    if (t < 0 || t > MAX_TIME_MS) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `trajectory[${i}]: tMs must be in [0, ${MAX_TIME_MS}], got ${t}`);
    }
  }
  return value as TrajectorySample[];
}

/**
 * Score a drag trajectory by the documented rules. `answerX` is the submitted piece
 * position: the pointer's horizontal travel must match it (the piece starts at x = 0).
 */
export function checkTrajectory(samples: readonly TrajectorySample[], answerX: number, rules: TrajectoryRules): TrajectoryVerdict {
  const reasons: TrajectoryReason[] = [];
  const n = samples.length;
  const empty = { samples: n, durationMs: 0, maxStepPx: 0, speedVariation: 0, peakAt: 0, offAxisPx: 0, travelPx: 0 };
  if (n < 2) return { pass: false, reasons: [n === 0 ? 'missing' : 'too_few_samples'], features: empty };
  if (n < rules.minSamples) reasons.push('too_few_samples');

  const first = samples[0] as TrajectorySample;
  const last = samples[n - 1] as TrajectorySample;
  const durationMs = last[2] - first[2];

  // Steps: merge samples with equal timestamps (coalesced events) into the next timed step.
  let maxStep = 0;
  let repeated = 0;
  let monotonic = true;
  const speeds: number[] = [];
  const mids: number[] = [];
  let accDist = 0;
  let accT0 = first[2];
  for (let i = 1; i < n; i++) {
    const a = samples[i - 1] as TrajectorySample;
    const b = samples[i] as TrajectorySample;
    const dt = b[2] - a[2];
    const dist = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (dist > maxStep) maxStep = dist;
    if (dt < 0) monotonic = false;
    if (dt === 0) repeated++;
    accDist += dist;
    if (dt > 0) {
      const span = b[2] - accT0;
      speeds.push(accDist / span);
      mids.push((accT0 + b[2]) / 2 - first[2]);
      accDist = 0;
      accT0 = b[2];
    }
  }
  if (!monotonic) reasons.push('time_not_monotonic');
  if (repeated / (n - 1) > rules.maxRepeatedTimeRatio) reasons.push('repeated_timestamps');
  if (durationMs < rules.minDurationMs) reasons.push('too_fast');
  if (durationMs > rules.maxDurationMs) reasons.push('too_slow');
  if (maxStep > rules.maxStepPx) reasons.push('teleport');

  // Speed profile: a person accelerates, peaks, then slows to land the piece.
  let speedVariation = 0;
  let peakAt = 0;
  if (speeds.length >= 3 && durationMs > 0) {
    const mean = speeds.reduce((s, v) => s + v, 0) / speeds.length;
    const variance = speeds.reduce((s, v) => s + (v - mean) ** 2, 0) / speeds.length;
    speedVariation = mean > 0 ? Math.sqrt(variance) / mean : 0;
    if (speedVariation < rules.minSpeedVariation) reasons.push('constant_speed');
    // Smooth over 3 steps, then locate the peak in time and compare the ends with it.
    const smooth = speeds.map((_, i) => {
      const lo = Math.max(0, i - 1);
      const hi = Math.min(speeds.length - 1, i + 1);
      let s = 0;
      for (let j = lo; j <= hi; j++) s += speeds[j] as number;
      return s / (hi - lo + 1);
    });
    let peak = 0;
    let peakIdx = 0;
    for (let i = 0; i < smooth.length; i++) {
      if ((smooth[i] as number) > peak) {
        peak = smooth[i] as number;
        peakIdx = i;
      }
    }
    peakAt = (mids[peakIdx] as number) / durationMs;
    const edge = Math.max(1, Math.floor(speeds.length * 0.1));
    const startSpeed = speeds.slice(0, edge).reduce((s, v) => s + v, 0) / edge;
    const endSpeed = speeds.slice(-edge).reduce((s, v) => s + v, 0) / edge;
    // The peak must follow an acceleration of at least two timed steps and precede the
    // slowing: a share of the duration (the former 5 %) refused a recorded person who
    // accelerated over 80 ms and then spent 1.6 s slowly homing in.
    if (peak <= 0 || peakIdx < 2 || peakAt > 0.95 || startSpeed > 0.75 * peak || endSpeed > 0.75 * peak) {
      reasons.push('no_acceleration');
    }
  } else if (!reasons.includes('too_few_samples')) {
    reasons.push('constant_speed');
  }

  // Off-axis jitter: deviation from the straight chord between the first and last sample.
  const cx = last[0] - first[0];
  const cy = last[1] - first[1];
  const chord = Math.hypot(cx, cy);
  let offAxis = 0;
  for (const s of samples) {
    const d = chord > 0
      ? Math.abs((s[0] - first[0]) * cy - (s[1] - first[1]) * cx) / chord
      : Math.hypot(s[0] - first[0], s[1] - first[1]);
    if (d > offAxis) offAxis = d;
  }
  if (offAxis < rules.minOffAxisPx) reasons.push('no_jitter');

  const travelPx = last[0] - first[0];
  if (Math.abs(travelPx - answerX) > rules.maxEndErrorPx) reasons.push('end_mismatch');

  return {
    pass: reasons.length === 0,
    reasons,
    features: { samples: n, durationMs, maxStepPx: maxStep, speedVariation, peakAt, offAxisPx: offAxis, travelPx },
  };
}
