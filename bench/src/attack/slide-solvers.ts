import { mapRecording } from './human-recordings.js';
import type { HumanRecording } from './human-recordings.js';
import type { Random } from './seeded-random.js';
import type { SlideSolver } from './slide-attack.js';
import { keyboardTrace, pointerTrace } from './trace-generators.js';
import type { PointerGenerator } from './trace-generators.js';

/** The CV guess for this attempt: the next-best candidate after each failure. */
const cvGuess = (attempt: number, candidates: () => readonly number[]): number => {
  const xs = candidates();
  return xs[Math.min(attempt, xs.length - 1)] ?? 0;
};

/** CV position, driven there with one of the trace generators. */
export function cvPointerSolver(kind: PointerGenerator, rng: Random): SlideSolver {
  return (_slide, geometry, attempt, candidates) => {
    const x = cvGuess(attempt, candidates);
    const trajectory = pointerTrace(kind, x, geometry, rng);
    return { x: (trajectory[trajectory.length - 1] as [number, number, number])[0], trajectory, input: 'pointer' };
  };
}

/**
 * No image analysis, but the source read: the answer (a gap's left edge) lies in
 * [pieceWidth, width - pieceWidth] and is uniform there, so x is drawn uniformly from that
 * range (no x is likelier than another), never within `spreadPx` of an earlier guess on the
 * same puzzle, with the best trace it has (min-jerk with wobble and noise).
 */
export function blindSolver(rng: Random, spreadPx: number): SlideSolver {
  let guesses: number[] = [];
  return (slide, geometry, attempt) => {
    // One solver per trial; a fresh puzzle (attempt 0) forgets the earlier guesses.
    if (attempt === 0) guesses = [];
    const lo = Math.min(geometry.maxX, slide.pieceWidth);
    const hi = Math.min(geometry.maxX, Math.max(lo, slide.width - slide.pieceWidth));
    let x = rng.range(lo, hi);
    for (let tries = 0; tries < 50 && guesses.some((g) => Math.abs(g - x) < spreadPx); tries++) x = rng.range(lo, hi);
    guesses.push(x);
    const trajectory = pointerTrace('min_jerk', x, geometry, rng);
    return { x: (trajectory[trajectory.length - 1] as [number, number, number])[0], trajectory, input: 'pointer' };
  };
}

/** One human recording, rescaled onto every CV position. */
export function replaySolver(rec: HumanRecording): SlideSolver {
  return (_slide, geometry, attempt, candidates) => {
    const trajectory = mapRecording(rec, cvGuess(attempt, candidates), geometry);
    return { x: (trajectory[trajectory.length - 1] as [number, number, number])[0], trajectory, input: 'pointer' };
  };
}

/** Claims a keyboard solve: CV position reached by synthetic key presses. */
export function keyboardSolver(rng: Random): SlideSolver {
  return (_slide, _geometry, attempt, candidates) => {
    const trajectory = keyboardTrace(cvGuess(attempt, candidates), rng);
    return { x: (trajectory[trajectory.length - 1] as [number, number, number])[0], trajectory, input: 'keyboard' };
  };
}
