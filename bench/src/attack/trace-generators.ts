import type { Random } from './seeded-random.js';
import type { WidgetGeometry } from './widget-geometry.js';

/** One trajectory sample `[x, y, tMs]` in the widget's frame (see widget-geometry.ts). */
export type Sample = [x: number, y: number, tMs: number];

/** Names of the pointer trace generators. */
export type PointerGenerator = 'straight' | 'min_jerk' | 'sigmoid' | 'ease_in_out' | 'overshoot';

/** The synthetic human-like generators (everything but the naive straight drag). */
export const HUMAN_LIKE_GENERATORS: readonly PointerGenerator[] = ['min_jerk', 'sigmoid', 'ease_in_out', 'overshoot'];

/** Same merge interval and sample cap as the widget's recorder. */
const MIN_SAMPLE_MS = 8;
const MAX_SAMPLES = 400;
/** A 60 Hz display's frame interval, ms. */
const FRAME_MS = 1000 / 60;

const minJerk = (u: number): number => u * u * u * (10 - 15 * u + 6 * u * u);
const logistic = (u: number, k: number): number => 1 / (1 + Math.exp(-k * (u - 0.5)));
const sigmoid = (u: number): number => (logistic(u, 10) - logistic(0, 10)) / (logistic(1, 10) - logistic(0, 10));
const easeInOut = (u: number): number => (1 - Math.cos(Math.PI * u)) / 2;

/** Position along the drag (0 = start, 1 = target; overshoot goes past it) at time share u. */
function profile(kind: PointerGenerator, u: number, overshoot: number): number {
  switch (kind) {
    case 'straight': return u;
    case 'min_jerk': return minJerk(u);
    case 'sigmoid': return sigmoid(u);
    case 'ease_in_out': return easeInOut(u);
    case 'overshoot': {
      // Out past the target in the first 75 % of the time, then a slower correction back.
      const split = 0.75;
      return u < split ? (1 + overshoot) * minJerk(u / split) : 1 + overshoot - overshoot * minJerk((u - split) / (1 - split));
    }
  }
}

/** Options of {@link pointerTrace}. */
export interface PointerTraceOptions {
  /** Total drag duration, ms. @default uniform 600-2500 (straight: 800) */
  readonly durationMs?: number;
}

/**
 * A synthetic drag of the piece from x = 0 to `targetX`, sampled like a 60 Hz pointer
 * (frame jitter included) and recorded the way the widget records it. All but `straight`
 * add a press pause, y wobble, position noise and an exact landing on the target.
 */
export function pointerTrace(kind: PointerGenerator, targetX: number, geometry: WidgetGeometry, rng: Random, options: PointerTraceOptions = {}): Sample[] {
  const plain = kind === 'straight';
  const durationMs = options.durationMs ?? (plain ? 800 : rng.range(600, 2500));
  const overshoot = rng.range(0.04, 0.12);
  const wobbleAmp = rng.range(1, 4);
  const wobbleFreq = rng.range(0.5, 2);
  const wobblePhase = rng.range(0, 2 * Math.PI);
  const pauseMs = plain ? 0 : rng.range(40, 160);
  const raw: Sample[] = [];
  let t = 0;
  const y0 = geometry.handleY + (plain ? 0 : rng.range(-6, 6));
  for (;;) {
    const moving = Math.max(0, t - pauseMs);
    const u = Math.min(1, moving / Math.max(1, durationMs - pauseMs));
    let x = targetX * profile(kind, u, overshoot);
    let y = y0;
    if (!plain) {
      x += u > 0 && u < 1 ? rng.normal() * 0.3 : 0;
      y += wobbleAmp * Math.sin(2 * Math.PI * wobbleFreq * u + wobblePhase) + rng.normal() * 0.4;
    }
    raw.push([Math.min(geometry.maxX, Math.max(0, x)), y, t]);
    if (u >= 1) break;
    t += plain ? FRAME_MS : Math.max(MIN_SAMPLE_MS, FRAME_MS + rng.normal() * 1.5);
  }
  const last = raw[raw.length - 1] as Sample;
  last[0] = Math.min(geometry.maxX, Math.max(0, targetX));
  return widgetRecord(raw);
}

/**
 * The widget's recorder: x and y rounded to 0.1 px, tMs to whole ms, samples under
 * MIN_SAMPLE_MS after the previous one replace it, at most MAX_SAMPLES kept (the last replaced).
 */
export function widgetRecord(raw: readonly Sample[]): Sample[] {
  const out: Sample[] = [];
  for (const [x, y, t] of raw) {
    const sample: Sample = [Math.round(x * 10) / 10, Math.round(y * 10) / 10, Math.round(t)];
    const last = out[out.length - 1];
    if (last !== undefined && sample[2] - last[2] < MIN_SAMPLE_MS && out.length > 1) out[out.length - 1] = sample;
    else if (out.length < MAX_SAMPLES) out.push(sample);
    else out[MAX_SAMPLES - 1] = sample;
  }
  return out;
}

/**
 * A keyboard solve as the widget records it: a start marker `[0, 0, 0]`, then one sample per
 * key press (Shift+arrow = 10 px while at least 10 px remain, then 1 px), x whole pixels, y the
 * track's centre line (0), presses at random intervals (40-220 ms) as a script would fake them.
 */
export function keyboardTrace(targetX: number, rng: Random): Sample[] {
  const y = 0;
  const goal = Math.max(0, Math.round(targetX));
  const out: Sample[] = [[0, y, 0]];
  let x = 0;
  let t = 0;
  let first = true;
  while (x < goal) {
    if (!first) t += Math.round(rng.range(40, 220));
    first = false;
    x += goal - x >= 10 ? 10 : 1;
    out.push([x, y, t]);
  }
  return out;
}

/** Claimed duration of a trace, ms. */
export function traceDurationMs(trace: readonly Sample[]): number {
  return trace.length === 0 ? 0 : (trace[trace.length - 1] as Sample)[2] - (trace[0] as Sample)[2];
}
