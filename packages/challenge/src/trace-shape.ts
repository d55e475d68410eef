/**
 * The shape of a trace for the replay memory, normalised so that a recording rescaled to
 * another answer or replayed at another speed has the same shape: time by the trace's
 * duration, x by its travel (the piece's distance), y as pixels from the first sample
 * (rescaling a recording to another answer changes x, not y), sampled at {@link POINTS}
 * evenly spaced instants by linear interpolation.
 *
 * Two shapes are near copies when they agree at every instant within {@link NEAR_X} of the
 * travel and {@link NEAR_Y_PX}: a replay differs only by the widget's rounding (or by noise
 * a script adds on purpose, up to those bounds), while two people's drags differ by far more
 * somewhere along the way (the closest pair of the 52 recorded people is 4.9x the bounds
 * apart; a test keeps it above 4x).
 *
 * Shapes are found again through buckets: a coarse quantisation of a few instants, on three
 * grids a third of a step apart, so that a copy whose rounding moves a value across a
 * boundary of one grid still lands in the same bucket of another.
 */
import { createHash } from 'node:crypto';
import type { TrajectorySample } from './trajectory-check.js';

/** A normalised shape: x (share of travel) and y (px from the start) at each instant. */
export interface TraceShape {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

const POINTS = 16;
export const NEAR_X = 0.015;
export const NEAR_Y_PX = 1.5;
/** The instants (indices into the shape) that pick a bucket, and their coarse steps. */
const BUCKET_POINTS = [4, 7, 10, 13] as const;
const BUCKET_X_STEP = 0.1;
const BUCKET_Y_STEP_PX = 8;
const GRID_OFFSETS = [0, 1 / 3, 2 / 3] as const;

/** Value of the polyline through `samples` (by time) at time `t`, for coordinate `axis`. */
function at(samples: readonly TrajectorySample[], t: number, axis: 0 | 1, from: { i: number }): number {
  let i = from.i;
  while (i < samples.length - 2 && (samples[i + 1] as TrajectorySample)[2] < t) i++;
  from.i = i;
  const a = samples[i] as TrajectorySample;
  const b = samples[Math.min(i + 1, samples.length - 1)] as TrajectorySample;
  const dt = b[2] - a[2];
  const f = dt > 0 ? Math.min(1, Math.max(0, (t - a[2]) / dt)) : 1;
  return a[axis] + (b[axis] - a[axis]) * f;
}

/** The shape of a trace, or undefined for one with no duration or no travel (nothing to compare). */
export function traceShape(samples: readonly TrajectorySample[]): TraceShape | undefined {
  const n = samples.length;
  if (n < 2) return undefined;
  const first = samples[0] as TrajectorySample;
  const last = samples[n - 1] as TrajectorySample;
  const duration = last[2] - first[2];
  const travel = last[0] - first[0];
  if (!(duration > 0) || Math.abs(travel) < 1) return undefined;
  const x: number[] = [];
  const y: number[] = [];
  const cx = { i: 0 };
  const cy = { i: 0 };
  for (let k = 0; k < POINTS; k++) {
    const t = first[2] + ((k + 0.5) / POINTS) * duration;
    x.push(Math.round(((at(samples, t, 0, cx) - first[0]) / travel) * 10_000) / 10_000);
    y.push(Math.round((at(samples, t, 1, cy) - first[1]) * 100) / 100);
  }
  return { x, y };
}

/** True when `a` and `b` agree at every instant within the near-copy bounds. */
export function isNearCopy(a: TraceShape, b: TraceShape): boolean {
  if (a.x.length !== b.x.length || a.y.length !== b.y.length) return false;
  for (let k = 0; k < a.x.length; k++) {
    if (Math.abs((a.x[k] as number) - (b.x[k] as number)) > NEAR_X) return false;
    if (Math.abs((a.y[k] as number) - (b.y[k] as number)) > NEAR_Y_PX) return false;
  }
  return true;
}

/** The bucket names (hex) a shape is filed under and looked up in, one per grid. */
export function shapeBuckets(shape: TraceShape): string[] {
  return GRID_OFFSETS.map((offset, g) => {
    const cells = BUCKET_POINTS.map((k) => `${Math.floor((shape.x[k] as number) / BUCKET_X_STEP + offset)}:${Math.floor((shape.y[k] as number) / BUCKET_Y_STEP_PX + offset)}`);
    return createHash('sha256').update(`${g}|${cells.join(',')}`).digest('hex').slice(0, 24);
  });
}
