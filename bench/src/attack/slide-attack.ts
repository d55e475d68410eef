import { DEFAULT_TRAJECTORY_RULES, solvePow } from '@hurdle/challenge';
import type { ProbeResult } from '@hurdle/challenge';
import { sleep } from './attack-run.js';
import type { TrialOutcome } from './attack-run.js';
import type { ApiClient, ChallengeResponse, SlidePayload } from './api-client.js';
import { findGap } from './gap-finder.js';
import type { GapFinder } from './gap-finder.js';
import { decodeDataUrl } from './image-decode.js';
import type { Sample } from './trace-generators.js';
import { traceDurationMs } from './trace-generators.js';
import { widgetGeometry } from './widget-geometry.js';
import type { WidgetGeometry } from './widget-geometry.js';

/** The server's look time (`minLookMs`) and a margin for the request's way there. */
const LOOK_MS = DEFAULT_TRAJECTORY_RULES.minLookMs + 30;

/** What a slide attacker submits for one attempt. */
export interface SlidePlan {
  readonly x: number;
  readonly trajectory: readonly Sample[];
  readonly input: 'pointer' | 'keyboard';
}

/** A slide attacker: given the puzzle and how many attempts it already spent on it, a plan. */
export type SlideSolver = (slide: SlidePayload, geometry: WidgetGeometry, attempt: number, candidates: () => readonly number[]) => SlidePlan;

/** Options of {@link slideTrial}. */
export interface SlideTrialOptions {
  readonly sitekey: string;
  /** Gap finder whose ranked candidates the solver may ask for (decoded and run lazily). */
  readonly finder: GapFinder;
  /**
   * Wait until the trace's claimed duration, plus the look time the server requires
   * (`minLookMs`), has passed since the puzzle arrived: a bot that read the source does.
   */
  readonly waitOutTrace: boolean;
  /** Most /v1/verify calls per trial (the server's own limit normally ends it first). */
  readonly maxVerifies: number;
  /** The browser probe result to send with each answer (none: the answer carries no probe). */
  readonly probe?: ((challenge: ChallengeResponse, plan: SlidePlan) => ProbeResult | undefined) | undefined;
}

/**
 * One attempt at a token through the public API: fetch a slide puzzle, submit the solver's
 * plan, and keep going while the server allows (a retry on the same puzzle, or a fresh
 * puzzle handed back with the failure), as a bot that reads the source would.
 */
export async function slideTrial(api: ApiClient, solve: SlideSolver, o: SlideTrialOptions): Promise<TrialOutcome> {
  let challenge: ChallengeResponse = await api.challenge(o.sitekey, 'slide');
  let arrived = performance.now();
  let attempt = 0;
  let cached: readonly number[] | undefined;
  const codes: string[] = [];
  for (let verifies = 0; verifies < o.maxVerifies; verifies++) {
    const slide = challenge.slide;
    if (slide === undefined) throw new Error('slide challenge without a slide payload');
    const geometry = widgetGeometry(slide);
    const candidates = (): readonly number[] => {
      cached ??= findGap(o.finder, { background: decodeDataUrl(slide.background), piece: decodeDataUrl(slide.piece), pieceY: slide.pieceY }, 8).xs;
      return cached;
    };
    const plan = solve(slide, geometry, attempt, candidates);
    if (o.waitOutTrace) await sleep(arrived + LOOK_MS + traceDurationMs(plan.trajectory) - performance.now());
    // A keyboard claim pays the proof of work the service asks of it (bound to this puzzle).
    const keyPow = plan.input === 'keyboard' ? slide.keyboardPow : undefined;
    const keyboardProof = keyPow === undefined ? undefined : solvePow(challenge.id, keyPow.difficulty);
    const probe = o.probe?.(challenge, plan);
    const r = await api.verify({
      id: challenge.id, answer: { x: plan.x }, trajectory: plan.trajectory, input: plan.input,
      ...(keyboardProof === undefined ? {} : { keyboardProof }), ...(probe === undefined ? {} : { probe }),
    });
    if (r.success && r.token !== undefined) return { token: r.token, verifies: verifies + 1, codes };
    codes.push(r.code ?? 'unknown');
    // A round passed: the next round's puzzle, solved the same way (the token comes after the last).
    const fresh = r.next ?? r.challenge;
    if (fresh !== undefined) {
      challenge = fresh;
      arrived = performance.now();
      attempt = 0;
      cached = undefined;
    } else if (r.retry === true) {
      attempt++;
    } else {
      return { verifies: verifies + 1, codes };
    }
  }
  return { verifies: o.maxVerifies, codes };
}
