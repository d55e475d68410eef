/**
 * The browser probe's phases of the attack bench, against their own `hurdle start` (its own
 * replay memory: the recordings the HTTP human side replays must not meet these as copies) on a
 * site whose risk settings set a minimum score, so a token whose probe gave it away fails
 * /siteverify (`score-too-low`) as it would on a site that asks for a score:
 *
 *   http_bot_pass       CV gap finder + synthetic drags over HTTP, with the probe computed in Node
 *                       (the reference computation, a desktop browser's facts claimed): the
 *                       attacker's best effort without a browser
 *   http_noprobe_pass   the same bot sending no probe
 *   http_bot_continuity_pass  the HTTP bot with the probe and the scene-continuity gap finder
 *                       (the strongest image attack the source describes)
 *   headless_pass       playwright-core driving Chromium in its default headless mode on /demo:
 *                       CV gap finder, synthetic page.mouse drags
 *   headless_oracle     the same with the gap from the test hook (a perfect solver): what the
 *                       trace and the browser probe stop on their own
 *   human_browser_pass  headed Chromium on Xvfb without the automation switch, each recording of
 *                       the human corpus replayed as real mouse input on /demo
 *   probe_ms            the probe's run time in the page (median, p95): it runs while the puzzle
 *                       is looked at; after the drag only the HMAC is added
 *
 * Every trial comes from its own client address (X-Forwarded-For): strangers to the risk engine,
 * so each token is judged by its own answer, not by an address's history.
 */
import type { Browser } from 'playwright-core';
import { createApiClient } from './api-client.js';
import type { ChallengeResponse } from './api-client.js';
import { runAttack } from './attack-run.js';
import type { AttackResult, TrialOutcome } from './attack-run.js';
import { browserTrial, chromiumVersion, launchHeaded, launchHeadless, startXvfb } from './browser-attack.js';
import type { BrowserOutcome, BrowserPlayer } from './browser-attack.js';
import { findGap } from './gap-finder.js';
import type { GapFinder } from './gap-finder.js';
import type { HumanRecording } from './human-recordings.js';
import { HUMAN_LOOK_MS } from './human-replay.js';
import { startHurdle } from './hurdle-process.js';
import { decodeDataUrl } from './image-decode.js';
import { forgedProbe } from './probe-forgery.js';
import { createRandom } from './seeded-random.js';
import { slideTrial } from './slide-attack.js';
import { cvPointerSolver } from './slide-solvers.js';
import { HUMAN_LIKE_GENERATORS, pointerTrace } from './trace-generators.js';
import { widgetGeometry } from './widget-geometry.js';

export interface ProbePhasesOptions {
  readonly cli: string;
  readonly workers: number;
  readonly difficulty: number;
  /** HTTP bot trials per variant. */
  readonly n: number;
  /** Headless browser trials. */
  readonly browserN: number;
  readonly concurrency: number;
  readonly browserConcurrency: number;
  readonly seed: number;
  readonly timeLimitS: number;
  readonly finder: GapFinder;
  /** Only the HTTP bots (no browser phases). */
  readonly httpOnly: boolean;
  readonly recordings: readonly HumanRecording[];
  readonly log: (line: string) => void;
}

const quantile = (xs: readonly number[], q: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

export async function runProbePhases(o: ProbePhasesOptions): Promise<Record<string, unknown>> {
  const hurdle = await startHurdle({ cli: o.cli, workers: o.workers, difficulty: o.difficulty, ipPerMinute: 1_000_000_000, sitePerSecond: 1_000_000_000, demo: true });
  const { sitekey, secret, risk } = hurdle.probeSite;
  const version = chromiumVersion();
  const fmt = (name: string, r: AttackResult): void => {
    o.log(`  ${name.padEnd(20)} ${String(r.passes).padStart(5)}/${String(r.n).padEnd(5)} ${(r.pass_rate * 100).toFixed(1).padStart(6)} %  [${(r.interval[0] * 100).toFixed(1)}, ${(r.interval[1] * 100).toFixed(1)}]  wall ${r.wall_ms_per_token ?? '-'} ms/token  ${JSON.stringify(r.codes)}`);
  };
  try {
    o.log(`browser probe phases (site risk ${risk}; ${version}):`);
    const api = createApiClient(hurdle.base);
    const run = { concurrency: o.concurrency, timeLimitS: o.timeLimitS, secret };
    const address = (i: number, second: number): string => `10.${second}.${i % 256}.${1 + (Math.floor(i / 256) % 254)}`;

    // HTTP bots: each trial from its own address; the generator rotates over the human-like ones.
    const httpBot = (withProbe: boolean, k: number, finder: GapFinder = o.finder): Promise<AttackResult> => {
      const rng = createRandom(o.seed * 1000 + k);
      return runAttack(api, (i) => slideTrial(createApiClient(hurdle.base, { forwardedFor: address(i, 40 + k) }), cvPointerSolver(HUMAN_LIKE_GENERATORS[i % HUMAN_LIKE_GENERATORS.length] ?? 'min_jerk', rng), {
        sitekey, finder, waitOutTrace: true, maxVerifies: 10,
        ...(withProbe ? { probe: (c: ChallengeResponse, plan: { trajectory: readonly [number, number, number][]; input: 'pointer' | 'keyboard' }) => forgedProbe(c, plan.trajectory.map((s) => [...s] as [number, number, number]), plan.input) } : {}),
      }), { ...run, n: o.n });
    };
    const httpProbe = await httpBot(true, 1);
    fmt('http_bot', httpProbe);
    const httpNoProbe = await httpBot(false, 2);
    fmt('http_noprobe', httpNoProbe);
    const httpContinuity = await httpBot(true, 5, 'continuity');
    fmt('http_bot_continuity', httpContinuity);
    if (o.httpOnly) {
      return {
        http_bot_pass: httpProbe.pass_rate, http_noprobe_pass: httpNoProbe.pass_rate, http_bot_continuity_pass: httpContinuity.pass_rate,
        site_risk: risk, attackers: { http_bot: httpProbe, http_noprobe: httpNoProbe, http_bot_continuity: httpContinuity },
      };
    }

    // Browsers: trials run `browserConcurrency` at a time, one context each.
    // A headed browser drives one window at a time, as a person does: windows stacked on one
    // display hide each other, and Chromium throttles a hidden page.
    const browserPhase = async (launch: () => Promise<{ browser: Browser; stop: () => Promise<void> }>, headed: boolean, n: number, second: number, player: (i: number) => BrowserPlayer): Promise<{ result: AttackResult; outcomes: BrowserOutcome[]; version: string }> => {
      const { browser, stop } = await launch();
      const outcomes: BrowserOutcome[] = [];
      try {
        const result = await runAttack(api, async (i): Promise<TrialOutcome> => {
          const out = await browserTrial(browser, { base: hurdle.base, sitekey, forwardedFor: address(i, second), headed, maxRounds: 5 }, player(i));
          outcomes.push(out);
          return out;
        }, { ...run, n, concurrency: headed ? 1 : o.browserConcurrency, timeLimitS: headed ? o.timeLimitS * 3 : o.timeLimitS });
        return { result, outcomes, version: browser.version() };
      } finally {
        await stop();
      }
    };

    const botRng = createRandom(o.seed * 1000 + 3);
    // `oracle`: the gap from the test hook instead of the gap finder, a perfect solver, so only
    // the trace and the browser decide (the probe's share of the work, measured alone).
    const headlessBot = (i: number, oracle = false): BrowserPlayer => ({
      lookMs: () => botRng.range(500, 900),
      target: async (c) => {
        if (oracle) return (await api.testAnswer(c.id))?.x ?? 0;
        const slide = c.slide as NonNullable<ChallengeResponse['slide']>;
        return findGap(o.finder, { background: decodeDataUrl(slide.background), piece: decodeDataUrl(slide.piece), pieceY: slide.pieceY }, 1).xs[0] ?? 0;
      },
      path: (c, targetX, pxPerX) => {
        const slide = c.slide as NonNullable<ChallengeResponse['slide']>;
        const gen = HUMAN_LIKE_GENERATORS[i % HUMAN_LIKE_GENERATORS.length] ?? 'min_jerk';
        return pointerTrace(gen, targetX, widgetGeometry(slide), botRng).slice(1).map(([x, y, t]) => [x * pxPerX, y * pxPerX, t] as const);
      },
    });
    const headless = await browserPhase(async () => {
      const browser = await launchHeadless();
      return { browser, stop: () => browser.close() };
    }, false, o.browserN, 50, (i) => headlessBot(i));
    fmt('headless', headless.result);
    const launchDefault = async (): Promise<{ browser: Browser; stop: () => Promise<void> }> => {
      const browser = await launchHeadless();
      return { browser, stop: () => browser.close() };
    };
    const oracle = await browserPhase(launchDefault, false, o.browserN, 51, (i) => headlessBot(i, true));
    fmt('headless_oracle', oracle.result);

    // People: each challenge takes one recording per round, each recording used once.
    const rounds = (await api.challenge(sitekey, 'slide')).slide?.rounds ?? 1;
    const people = Math.floor(o.recordings.length / rounds);
    const humanRng = createRandom(o.seed * 1000 + 4);
    const person = (i: number): BrowserPlayer => ({
      lookMs: () => humanRng.range(HUMAN_LOOK_MS[0], HUMAN_LOOK_MS[1]),
      target: async (c) => {
        const x = (await api.testAnswer(c.id))?.x;
        if (x === undefined) throw new Error('test-hooks answer route gave no x');
        return x;
      },
      path: (_c, targetX, pxPerX, round) => {
        const rec = o.recordings[(i * rounds + round) % o.recordings.length] as HumanRecording;
        const [x0, y0, t0] = rec.samples[0] as readonly [number, number, number];
        const last = rec.samples[rec.samples.length - 1] as readonly [number, number, number];
        const k = last[0] !== x0 ? (targetX * pxPerX) / (last[0] - x0) : 0;
        return rec.samples.slice(1).map(([x, y, t]) => [(x - x0) * k, y - y0, t - t0] as const);
      },
    });
    let human: { result: AttackResult; outcomes: BrowserOutcome[]; version: string } | undefined;
    let humanSkipped: string | undefined;
    let xvfb: Awaited<ReturnType<typeof startXvfb>> | undefined;
    try {
      xvfb = await startXvfb();
    } catch (err) {
      humanSkipped = err instanceof Error ? err.message : String(err);
    }
    if (xvfb !== undefined) {
      try {
        const display = xvfb.display;
        human = await browserPhase(() => launchHeaded(display), true, people, 60, person);
        fmt('human_browser', human.result);
      } finally {
        xvfb.stop();
      }
    } else {
      o.log(`  human_browser skipped: ${humanSkipped ?? ''}`);
    }

    const probeMsOf = (outs: readonly BrowserOutcome[]): number[] => outs.flatMap((x) => x.probeMs);
    const allMs = [...probeMsOf(headless.outcomes), ...probeMsOf(oracle.outcomes), ...probeMsOf(human?.outcomes ?? [])];
    const releaseMs = [...headless.outcomes, ...oracle.outcomes, ...(human?.outcomes ?? [])].flatMap((x) => x.afterReleaseMs);
    const probeMs = { median: quantile(allMs, 0.5), p95: quantile(allMs, 0.95), max: allMs.length === 0 ? null : Math.max(...allMs), answers: allMs.length };
    const release = { median: quantile(releaseMs, 0.5), p95: quantile(releaseMs, 0.95) };
    // Tokens /v1/verify handed out (every answer check passed), against those /siteverify accepted.
    const tokens = (outs: readonly BrowserOutcome[]): number => outs.filter((x) => x.token !== undefined).length;
    const headedWebdriver = human?.outcomes.some((x) => x.webdriver) ?? null;
    o.log(`  tokens from /v1/verify: headless ${tokens(headless.outcomes)}/${headless.outcomes.length}, headless_oracle ${tokens(oracle.outcomes)}/${oracle.outcomes.length}, human_browser ${tokens(human?.outcomes ?? [])}/${human?.outcomes.length ?? 0}; release -> verify request median ${release.median ?? '-'} ms p95 ${release.p95 ?? '-'} ms`);
    o.log(`  probe_ms median ${probeMs.median ?? '-'}  p95 ${probeMs.p95 ?? '-'}  max ${probeMs.max ?? '-'} over ${probeMs.answers} answers;  headed navigator.webdriver ${String(headedWebdriver)};  headless navigator.webdriver ${String(headless.outcomes.some((x) => x.webdriver))}`);
    return {
      http_bot_pass: httpProbe.pass_rate,
      http_noprobe_pass: httpNoProbe.pass_rate,
      http_bot_continuity_pass: httpContinuity.pass_rate,
      headless_pass: headless.result.pass_rate,
      human_browser_pass: human?.result.pass_rate ?? null,
      // What the probe adds to a solve: it runs while the puzzle is looked at; after the release the
      // widget binds it (an HMAC and a trace digest) before the verify request leaves.
      probe_ms: release.median,
      probe_ms_detail: { after_release_median: release.median, after_release_p95: release.p95, run_median: probeMs.median, run_p95: probeMs.p95, run_max: probeMs.max, answers: probeMs.answers },
      headless_verify_tokens: tokens(headless.outcomes),
      headless_oracle_pass: oracle.result.pass_rate,
      headless_oracle_verify_tokens: tokens(oracle.outcomes),
      human_browser_verify_tokens: human === undefined ? null : tokens(human.outcomes),
      browser: { chromium_version: version, headless_version: headless.version, headed_version: human?.version ?? null, headed_webdriver: headedWebdriver, human_skipped: humanSkipped ?? null },
      site_risk: risk,
      slide_rounds: rounds,
      attackers: { http_bot: httpProbe, http_noprobe: httpNoProbe, http_bot_continuity: httpContinuity, headless: headless.result, headless_oracle: oracle.result, human_browser: human?.result ?? null },
    };
  } finally {
    await hurdle.stop();
  }
}
