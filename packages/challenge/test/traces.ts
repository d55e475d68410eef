// Crafted drag traces for the trajectory rules: human-like and bot-like.
import { createSeededRandom } from '../src/seeded-random.js';

export type Trace = [number, number, number][];

/**
 * A person's drag: minimum-jerk speed profile (accelerate, peak, decelerate), pointer
 * events every ~16 ms with jitter, a vertical wobble, a small landing correction.
 */
export function humanTrace(travel: number, seed = 1, durationMs = 900): Trace {
  const rng = createSeededRandom(seed);
  const x0 = rng.range(8, 30);
  const y0 = rng.range(60, 100);
  const out: Trace = [];
  let t = 0;
  let wobble = 0;
  while (t < durationMs) {
    const u = t / durationMs;
    const s = 10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5;
    wobble += rng.range(-0.6, 0.6);
    wobble *= 0.9;
    out.push([x0 + s * travel + rng.range(-0.3, 0.3), y0 + wobble + Math.sin(u * 3) * 1.5, Math.round(t * 10) / 10]);
    t += rng.range(12, 20);
  }
  out.push([x0 + travel, y0 + wobble, durationMs + rng.range(10, 30)]);
  return out;
}

/** Straight line, constant speed, perfectly regular timing: the simplest bot. */
export function straightLineTrace(travel: number, samples = 40, durationMs = 800): Trace {
  const out: Trace = [];
  for (let i = 0; i < samples; i++) {
    const u = i / (samples - 1);
    out.push([10 + u * travel, 80, u * durationMs]);
  }
  return out;
}

/** The human trace with its y axis flattened (a scripted ease-in-out without jitter). */
export function noJitterTrace(travel: number, seed = 1): Trace {
  return humanTrace(travel, seed).map(([x, , t]) => [Math.round(x * 100) / 100, 80, t]);
}

/** A human-like drag with the middle 60 % of the travel skipped in one sample. */
export function teleportTrace(travel: number, seed = 1): Trace {
  const h = humanTrace(travel, seed);
  const x0 = (h[0] as [number, number, number])[0];
  return h.filter(([x]) => x - x0 < 0.3 * travel || x - x0 > 0.9 * travel);
}

/** The human shape compressed into 120 ms. */
export function tooFastTrace(travel: number, seed = 1): Trace {
  return humanTrace(travel, seed).map(([x, y, t]) => [x, y, t / 7.5]);
}
