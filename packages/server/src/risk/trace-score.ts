/**
 * A continuous trace score: how far a drag lies from recorded human drags, as a number rather
 * than the pass/fail of the trajectory rules. A trace the rules pass can still sit at the edge
 * of what people do on every feature at once (a generator tuned to each threshold); the
 * distance sees that, and the risk score weighs it.
 *
 * Features (each chosen because it is cheap, scale-free where it can be, and spread in people):
 * log duration, log mean sample interval, the speed profile's variation, where the speed peaks
 * in time, log off-axis wander relative to travel, and log path excess over the chord. Each is
 * compared with the human median in units of the human spread (MAD x 1.4826, a robust SD), and
 * the distance is the root mean square of those z values.
 */

/** `[x, y, tMs]` samples, as the widget sends them. */
export type TraceSample = readonly [number, number, number];

export const TRACE_FEATURES = Object.freeze(['logDurationMs', 'logIntervalMs', 'speedVariation', 'peakAt', 'logOffAxis', 'logPathExcess'] as const);
export type TraceFeatureName = (typeof TRACE_FEATURES)[number];

/** Human medians and spreads of each feature, plus the distance quantiles of the human drags. */
export interface TraceCalibration {
  readonly median: readonly number[];
  readonly spread: readonly number[];
  /** The 90th percentile of the human drags' distances: at or under it, a trace scores 0. */
  readonly distanceP90: number;
}

/** The features of a trace in {@link TRACE_FEATURES} order, or undefined for fewer than 3 timed steps. */
export function traceFeatures(samples: readonly TraceSample[]): number[] | undefined {
  const n = samples.length;
  if (n < 4) return undefined;
  const first = samples[0] as TraceSample;
  const last = samples[n - 1] as TraceSample;
  const durationMs = last[2] - first[2];
  if (!(durationMs > 0)) return undefined;
  // One pass, no per-step arrays: it runs on every passed slide. The speed variation is the
  // population SD over the mean of the step speeds (from their sum and sum of squares), and the
  // peak is the first step of the highest speed, as a scan of the speeds would find it.
  let path = 0;
  let acc = 0;
  let t0 = first[2];
  let steps = 0;
  let sum = 0;
  let sumSq = 0;
  let peakSpeed = Number.NEGATIVE_INFINITY;
  let peakMid = 0;
  for (let i = 1; i < n; i++) {
    const a = samples[i - 1] as TraceSample;
    const b = samples[i] as TraceSample;
    const d = Math.hypot(b[0] - a[0], b[1] - a[1]);
    path += d;
    acc += d;
    if (b[2] > t0) {
      const speed = acc / (b[2] - t0);
      sum += speed;
      sumSq += speed * speed;
      if (speed > peakSpeed) {
        peakSpeed = speed;
        peakMid = (t0 + b[2]) / 2 - first[2];
      }
      acc = 0;
      t0 = b[2];
      steps++;
    }
  }
  if (steps < 3) return undefined;
  const mean = sum / steps;
  const variance = Math.max(0, sumSq / steps - mean * mean);
  // Step speeds past ~1e154 overflow the squares (Inf - Inf = NaN): such a trace is as far from
  // a person's as a trace can be, so its variation is infinite, not NaN.
  const speedVariation = mean > 0 ? (Number.isFinite(variance) ? Math.sqrt(variance) / mean : Number.POSITIVE_INFINITY) : 0;
  const peakAt = peakMid / durationMs;
  const cx = last[0] - first[0];
  const cy = last[1] - first[1];
  const chord = Math.hypot(cx, cy);
  let offAxis = 0;
  for (const s of samples) {
    const d = chord > 0 ? Math.abs((s[0] - first[0]) * cy - (s[1] - first[1]) * cx) / chord : 0;
    if (d > offAxis) offAxis = d;
  }
  const scale = Math.max(chord, 1);
  return [
    Math.log(durationMs),
    Math.log(durationMs / steps),
    speedVariation,
    peakAt,
    Math.log(offAxis / scale + 1e-3),
    Math.log(Math.max(0, path / scale - 1) + 1e-3),
  ];
}

/** RMS of the robust z values of `features` against the calibration. */
export function traceDistance(features: readonly number[], calibration: TraceCalibration): number {
  let sum = 0;
  for (let i = 0; i < features.length; i++) {
    const z = ((features[i] as number) - (calibration.median[i] as number)) / (calibration.spread[i] as number);
    sum += z * z;
  }
  return Math.sqrt(sum / features.length);
}

/**
 * Trace risk in [0, 1]: 0 up to the human drags' 90th-percentile distance, rising linearly to 1
 * at three times it. A trace too short to measure scores 0.5 (unknown, not proven a bot).
 */
export function traceRisk(samples: readonly TraceSample[], calibration: TraceCalibration): number {
  const f = traceFeatures(samples);
  if (f === undefined) return 0.5;
  const d = traceDistance(f, calibration);
  return Math.min(1, Math.max(0, (d - calibration.distanceP90) / (2 * calibration.distanceP90)));
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

/** Build a calibration from human traces (what `trace-calibration.ts` holds, computed from the recordings). */
export function calibrateTraces(traces: readonly (readonly TraceSample[])[]): TraceCalibration {
  const rows = traces.map(traceFeatures).filter((f): f is number[] => f !== undefined);
  if (rows.length < 10) throw new RangeError(`calibrateTraces: need at least 10 measurable traces, got ${rows.length}`);
  const med = TRACE_FEATURES.map((_, i) => median(rows.map((r) => r[i] as number)));
  const spread = TRACE_FEATURES.map((_, i) => {
    const mad = median(rows.map((r) => Math.abs((r[i] as number) - (med[i] as number)))) * 1.4826;
    // A feature nearly constant in the sample would turn tiny differences into huge z values.
    return Math.max(mad, 1e-2);
  });
  const partial = { median: med, spread, distanceP90: 1 };
  const distanceP90 = quantile(rows.map((r) => traceDistance(r, partial)), 0.9);
  return { median: med, spread, distanceP90 };
}
