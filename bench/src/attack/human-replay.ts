import { sleep } from './attack-run.js';
import type { ApiClient, ChallengeResponse } from './api-client.js';
import { mapRecording } from './human-recordings.js';
import type { HumanRecording } from './human-recordings.js';
import type { Random } from './seeded-random.js';
import { traceDurationMs } from './trace-generators.js';
import { widgetGeometry } from './widget-geometry.js';
import type { TrialOutcome } from './attack-run.js';

/**
 * Time from the puzzle's arrival to the press, ms: a person looks before dragging. Drawn
 * uniformly from this range, then the recording's own duration is waited out as recorded.
 */
export const HUMAN_LOOK_MS: readonly [number, number] = [600, 1500];

/** A human trial's outcome, with how its puzzles (rounds) went one by one. */
export interface HumanOutcome extends TrialOutcome {
  /** Puzzles answered (a failed round ends the challenge: later rounds are not reached). */
  readonly puzzles: number;
  readonly puzzlesPassed: number;
}

/**
 * One person through the real verify path: a fresh challenge, and for each of its rounds the
 * puzzle's answer from the test hook (standing in for the person's eyes), the round's own
 * recording mapped onto it (x scaled so the final sample lands on the answer, timing kept),
 * submitted once after look time + duration. `recordingFor(round)` gives a different
 * recording per round (0-based): one person does not drag twice in exactly the same way.
 */
export async function humanTrial(api: ApiClient, sitekey: string, recordingFor: (round: number) => HumanRecording, rng: Random, maxRounds = 5): Promise<HumanOutcome> {
  let c: ChallengeResponse = await api.challenge(sitekey, 'slide');
  let puzzles = 0;
  for (let round = 0; round < maxRounds; round++) {
    const arrived = performance.now();
    const slide = c.slide;
    if (slide === undefined) throw new Error('slide challenge without a slide payload');
    const answer = (await api.testAnswer(c.id))?.x;
    if (answer === undefined) throw new Error('test-hooks answer route gave no x (is --test-hooks on?)');
    const trajectory = mapRecording(recordingFor(round), answer, widgetGeometry(slide));
    const lookMs = rng.range(HUMAN_LOOK_MS[0], HUMAN_LOOK_MS[1]);
    await sleep(arrived + lookMs + traceDurationMs(trajectory) - performance.now());
    const x = (trajectory[trajectory.length - 1] as [number, number, number])[0];
    const r = await api.verify({ id: c.id, answer: { x }, trajectory, input: 'pointer' });
    puzzles++;
    if (r.success && r.token !== undefined) return { token: r.token, verifies: puzzles, codes: [], puzzles, puzzlesPassed: puzzles };
    if (r.next === undefined) return { verifies: puzzles, codes: [r.code ?? 'unknown'], puzzles, puzzlesPassed: puzzles - 1 };
    c = r.next;
  }
  return { verifies: puzzles, codes: ['too_many_rounds'], puzzles, puzzlesPassed: puzzles };
}

/** Rounds of a slide challenge on `sitekey`, as the service announces them (1 when it says none). */
export async function slideRoundsOf(api: ApiClient, sitekey: string): Promise<number> {
  const c = await api.challenge(sitekey, 'slide');
  return c.slide?.rounds ?? 1;
}
