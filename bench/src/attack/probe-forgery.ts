import { answerProbe } from '@hurdle/challenge';
import type { ProbeResult } from '@hurdle/challenge';
import type { ChallengeResponse } from './api-client.js';
import type { Sample } from './trace-generators.js';

/** What a desktop Chromium in a window reports: the facts an HTTP bot that read the source claims. */
export const CLAIMED_DESKTOP_ENV = Object.freeze({
  wd: false, hl: false, br: 3, pl: 5, mt: 2, ow: 1280, oh: 900, iw: 1280, ih: 789, sw: 1920, sh: 1080, aw: 1920, ah: 1040,
  np: 'default', pq: 'prompt', sc: true, cr: true, mb: false,
});

/**
 * The browser probe computed in Node, without a browser: the attacker's best effort. It runs the
 * reference computation of every check (the server's own, in packages/challenge), claims a
 * desktop browser's environment, and claims one trusted mouse event per trace sample (the most
 * the trace could have come from), so nothing in the probe itself gives it away.
 */
export function forgedProbe(challenge: ChallengeResponse, trajectory: readonly Sample[], input: 'pointer' | 'keyboard'): ProbeResult | undefined {
  if (challenge.probe === undefined) return undefined;
  const n = trajectory.length;
  const facts = input === 'keyboard'
    ? { n: 0, t: 0, k: Math.max(0, n - 1), kt: Math.max(0, n - 1), pt: '', pr: 0, pw: 0, ph: 0, co: 0, cc: 0 }
    : { n: n + 2, t: n + 2, k: 0, kt: 0, pt: 'mouse', pr: 0.5, pw: 1, ph: 1, co: 1, cc: 1 };
  // A few ms, as a browser takes.
  return answerProbe(challenge.probe, challenge.id, trajectory, CLAIMED_DESKTOP_ENV, facts, 3 + (n % 5));
}
