// Crafted drag traces for the trajectory rules: human-like and bot-like, in the widget's
// frame: x the piece's left edge (0 at the press), y the pointer's offset from the track's
// centre line.
import { createSeededRandom } from '../src/seeded-random.js';

export type Trace = [number, number, number][];

/**
 * A person's drag: minimum-jerk speed profile (accelerate, peak, decelerate), pointer
 * events every ~16 ms with jitter, a vertical wobble, a small landing correction.
 */
export function humanTrace(travel: number, seed = 1, durationMs = 900): Trace {
  const rng = createSeededRandom(seed);
  // Drawn and dropped: the later draws (and so each seed's trace) stay as they were when the
  // press lay anywhere on the stage; now it lies on the handle.
  rng.range(8, 30);
  const x0 = 0;
  const y0 = rng.range(60, 100) - 80;
  // Each person's own sway and pace (a separate stream, so the draws below stay as they were).
  const own = createSeededRandom(seed * 7919 + 13);
  const sway = own.range(1.5, 7);
  const phase = own.range(0, 6.28);
  const skew = own.range(-0.2, 0.2);
  const out: Trace = [];
  let t = 0;
  let wobble = 0;
  while (t < durationMs) {
    const u0 = t / durationMs;
    const u = u0 + skew * u0 * (1 - u0);
    const s = 10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5;
    wobble += rng.range(-0.6, 0.6);
    wobble *= 0.9;
    out.push([x0 + s * travel + rng.range(-0.3, 0.3), y0 + wobble + Math.sin(u * 3 + phase) * sway, Math.round(t * 10) / 10]);
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
    out.push([u * travel, 0, u * durationMs]);
  }
  return out;
}

/** The human trace with its y axis flattened (a scripted ease-in-out without jitter). */
export function noJitterTrace(travel: number, seed = 1): Trace {
  return humanTrace(travel, seed).map(([x, , t]) => [Math.round(x * 100) / 100, 0, t]);
}

/** A human-like drag with the middle 60 % of the travel skipped in one sample. */
export function teleportTrace(travel: number, seed = 1): Trace {
  const h = humanTrace(travel, seed);
  const x0 = (h[0] as [number, number, number])[0];
  // A jump over 80 % of the travel (144 px at 180): past maxStepPx (120 px).
  return h.filter(([x]) => x - x0 < 0.15 * travel || x - x0 > 0.95 * travel);
}

/** The human shape compressed into 120 ms. */
export function tooFastTrace(travel: number, seed = 1): Trace {
  return humanTrace(travel, seed).map(([x, y, t]) => [x, y, t / 7.5]);
}

/** Keyboard: the y every sample carries (the widget records 0, the track's centre line). */
const KEY_Y = 0;

/**
 * A person solving with the keyboard, as the widget records it: a start marker [0, y, 0],
 * then one sample per key press. Shift+arrow (10 px) taps or a held key (auto-repeat after
 * a delay), a look-and-think pause, sometimes an overshoot and a step back, then plain
 * arrow taps (1 px) to land on `answer` (an integer).
 */
export function humanKeyTrace(answer: number, seed = 1, style: 'taps' | 'held' = 'taps'): Trace {
  const rng = createSeededRandom(seed);
  const out: Trace = [[0, KEY_Y, 0]];
  let x = 0;
  let t = 0;
  const press = (step: number, dt: number): void => {
    x += step;
    t += Math.round(dt);
    out.push([x, KEY_Y, t]);
  };
  const tap = (): number => rng.range(90, 260);
  // The first press comes with the start marker (same keydown).
  let first = true;
  const next = (held: boolean, i: number): number => {
    if (first) {
      first = false;
      return rng.int(0, 1);
    }
    if (!held) return tap();
    return i === 1 ? rng.range(300, 550) : rng.range(31, 35);
  };
  const overshoot = rng.next() < 0.5 ? 1 : 0;
  const big = Math.floor(answer / 10) + overshoot;
  for (let i = 0; i < big; i++) press(10, next(style === 'held', i));
  t += Math.round(rng.range(300, 900)); // looks at the picture before fine-tuning
  let rest = answer - x;
  while (rest !== 0) {
    const step = rest > 0 ? 1 : -1;
    press(step, tap());
    rest -= step;
  }
  return out;
}

/** Key presses at one fixed interval: a script. */
export function evenKeyTrace(answer: number, intervalMs = 100): Trace {
  const out: Trace = [[0, KEY_Y, 0]];
  let x = 0;
  let t = 0;
  while (x < answer) {
    x += answer - x >= 10 ? 10 : 1;
    out.push([x, KEY_Y, t]);
    t += intervalMs;
  }
  return out;
}

/** A human key trace replayed `factor` times faster. */
export function fastKeyTrace(answer: number, seed = 1, factor = 20): Trace {
  return humanKeyTrace(answer, seed).map(([x, y, t]) => [x, y, Math.round(t / factor)]);
}
