import { sleep } from './attack-run.js';
import type { ApiClient } from './api-client.js';
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

/**
 * One human recording through the real verify path: a fresh puzzle, its answer from the test
 * hook (standing in for the person's eyes), the recording mapped onto it (x scaled so the
 * final sample lands on the answer, timing kept), submitted once after look time + duration.
 */
export async function humanTrial(api: ApiClient, sitekey: string, rec: HumanRecording, rng: Random): Promise<TrialOutcome> {
  const c = await api.challenge(sitekey, 'slide');
  const arrived = performance.now();
  const slide = c.slide;
  if (slide === undefined) throw new Error('slide challenge without a slide payload');
  const answer = (await api.testAnswer(c.id))?.x;
  if (answer === undefined) throw new Error('test-hooks answer route gave no x (is --test-hooks on?)');
  const trajectory = mapRecording(rec, answer, widgetGeometry(slide));
  const lookMs = rng.range(HUMAN_LOOK_MS[0], HUMAN_LOOK_MS[1]);
  await sleep(arrived + lookMs + traceDurationMs(trajectory) - performance.now());
  const x = (trajectory[trajectory.length - 1] as [number, number, number])[0];
  const r = await api.verify({ id: c.id, answer: { x }, trajectory, input: 'pointer' });
  return r.success && r.token !== undefined ? { token: r.token, verifies: 1, codes: [] } : { verifies: 1, codes: [r.code ?? 'unknown'] };
}
