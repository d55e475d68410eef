/**
 * Attack benchmark: bots that know the source against a real `hurdle start` over its public
 * HTTP API, and recorded human drags through the same path.
 *
 * Attackers (each n trials; a trial is one attempt at a token, using every attempt the
 * server allows; a pass is a token that /siteverify accepts):
 *   naive         CV position, straight constant-speed drag
 *   blind         no image analysis, uniformly guessed x, min-jerk trace
 *   cv_<gen>      CV position, synthetic human-like trace (min-jerk, sigmoid, ease-in-out,
 *                 overshoot-and-correct; y wobble, noise, 60 Hz sampling)
 *   replay        one recorded human drag rescaled onto each CV position
 *   keyboard      input "keyboard", synthetic key presses at random intervals
 *   pow           the puzzle-free proof-of-work path of the slide+pow site, solved in Node
 *   farm          the pow bot solving without pause for --farm-s seconds from one client
 *                 address, then again spread over one /24 (risk engine: cost and pass rate
 *                 over time); normal visitors: one solve per address, which must not be escalated
 * The human side and the risk phases send a client address per person / per attempt in
 * X-Forwarded-For (the service trusts its loopback peer as a proxy); the other attackers send
 * none and count as loopback, which the risk engine exempts as the per-IP limit does.
 * CV accuracy (NCC and outline matcher) is scored against the test-hooks answer; the better
 * finder drives the attackers. Human side: every recording, mapped onto a fresh puzzle's answer.
 *
 * Browser probe phases (bench/src/attack/probe-phases.ts, their own service): http_bot (CV +
 * synthetic drags + the probe computed in Node), http_noprobe, headless (playwright's default
 * headless Chromium on /demo), human_browser (headed Chromium on Xvfb replaying the recordings
 * as real mouse input), probe_ms.
 *
 *   npm run bench:attack                    human table
 *   npm run bench:attack -- --json          one JSON object on stdout
 *   options: --n 200 --concurrency 24 --workers 2 --seed 1 --human-rounds 1 --tolerance-px 6
 *            --difficulty 16 --phase-limit-s 120 --no-wait --recordings FILE --replay-index I
 *            --farm-s 180 --normal-visitors 200
 *            --browser-n 40 --browser-concurrency 2 --probe-only [--http-only] [--finder edge|ncc|continuity] --no-probe-phases
 */
import { SITE_DEFAULTS } from '@hurdle/server';
import { HUMAN_DRAGS_FILE } from '@hurdle/test-helpers';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiClient } from './attack/api-client.js';
import { runFarm, runNormalVisitors } from './attack/farm-attack.js';
import { measureRiskCost } from './risk-cost.js';
import { runAttack } from './attack/attack-run.js';
import type { AttackResult } from './attack/attack-run.js';
import { measureCvAccuracy } from './attack/cv-accuracy.js';
import { runProbePhases } from './attack/probe-phases.js';
import { wilsonInterval } from './attack/wilson-interval.js';
import type { GapFinder } from './attack/gap-finder.js';
import { loadRecordings } from './attack/human-recordings.js';
import { HUMAN_LOOK_MS, humanTrial, slideRoundsOf } from './attack/human-replay.js';
import type { HumanOutcome } from './attack/human-replay.js';
import { startHurdle } from './attack/hurdle-process.js';
import { powTrial } from './attack/pow-attack.js';
import { createRandom } from './attack/seeded-random.js';
import { slideTrial } from './attack/slide-attack.js';
import type { SlideSolver } from './attack/slide-attack.js';
import { blindSolver, cvPointerSolver, keyboardSolver, replaySolver } from './attack/slide-solvers.js';
import { HUMAN_LIKE_GENERATORS } from './attack/trace-generators.js';

const args = process.argv.slice(2);
const JSON_MODE = args.includes('--json');
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const intArg = (name: string, fallback: number, lo: number, hi: number): number => {
  const v = Number(argValue(name) ?? fallback);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name}: expected an integer in [${lo}, ${hi}], got ${argValue(name)}`);
  return v;
};
const N = intArg('--n', 200, 1, 100_000);
const CONCURRENCY = intArg('--concurrency', 24, 1, 512);
const WORKERS = intArg('--workers', Math.min(2, os.availableParallelism()), 1, 64);
const SEED = intArg('--seed', 1, 0, 2 ** 31);
const HUMAN_ROUNDS = intArg('--human-rounds', 1, 1, 100);
/** The engine's documented default `tolerancePx`; scoring only (the server decides passes). */
const TOLERANCE_PX = intArg('--tolerance-px', 6, 0, 1000);
// The difficulty a new site gets by default: the PoW path as sites run it.
const DIFFICULTY = intArg('--difficulty', SITE_DEFAULTS.difficulty, 1, 32);
const PHASE_LIMIT_S = intArg('--phase-limit-s', 120, 5, 3600);
const WAIT = !args.includes('--no-wait');
const FARM_S = intArg('--farm-s', 180, 10, 3600);
const NORMAL_VISITORS = intArg('--normal-visitors', 200, 0, 100_000);
/** A person's own client address: one /24 each (the human side and the normal visitors are strangers to one another). */
const personAddress = (i: number, second: number): string => `10.${second}.${i % 256}.${1 + (Math.floor(i / 256) % 254)}`;
const MAX_VERIFIES = 10;

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const CLI = path.join(repoRoot, 'packages/server/dist/src/cli.js');
// The recorded human drags kept with the test helpers (a copy of the shared corpus, with its sources).
const RECORDINGS = argValue('--recordings') !== undefined
  ? path.resolve(repoRoot, argValue('--recordings') as string)
  : HUMAN_DRAGS_FILE;

const log = (line: string): void => {
  (JSON_MODE ? process.stderr : process.stdout).write(`${line}\n`);
};

const recordings = loadRecordings(RECORDINGS);
const replayIndex = intArg('--replay-index', Math.max(0, recordings.findIndex((r) => r.kind === 'drag')), 0, recordings.length - 1);
const replayRecording = recordings[replayIndex];
if (replayRecording === undefined) throw new Error(`${RECORDINGS}: no recordings`);

const BROWSER_N = intArg('--browser-n', 40, 1, 10_000);
const BROWSER_CONCURRENCY = intArg('--browser-concurrency', 2, 1, 32);
const probePhases = (finder: GapFinder): Promise<Record<string, unknown>> => runProbePhases({
  cli: CLI, workers: WORKERS, difficulty: DIFFICULTY, n: N, browserN: BROWSER_N, concurrency: CONCURRENCY, browserConcurrency: BROWSER_CONCURRENCY,
  seed: SEED, timeLimitS: PHASE_LIMIT_S, finder, recordings, log, httpOnly: args.includes('--http-only'),
});
if (args.includes('--probe-only')) {
  // Only the browser probe's phases, with the gap finder named (the full run measures which is better).
  const named = argValue('--finder');
  const finder: GapFinder = named === 'ncc' || named === 'continuity' ? named : 'edge';
  const probe = await probePhases(finder);
  const keys = ['http_bot_pass', 'http_noprobe_pass', 'http_bot_continuity_pass', 'headless_pass', 'human_browser_pass', 'probe_ms'];
  log(keys.map((k) => `${k} ${String(probe[k])}`).join('  '));
  if (JSON_MODE) process.stdout.write(`${JSON.stringify({ bench: 'attack', machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model ?? 'unknown' }, n_per_http_bot: N, browser_n: BROWSER_N, finder, ...probe })}\n`);
  process.exit(0);
}

const hurdle = await startHurdle({ cli: CLI, workers: WORKERS, difficulty: DIFFICULTY, ipPerMinute: 1_000_000_000, sitePerSecond: 1_000_000_000 });
try {
  const api = createApiClient(hurdle.base);
  const run = { concurrency: CONCURRENCY, timeLimitS: PHASE_LIMIT_S, secret: hurdle.secret };
  const fmt = (name: string, r: AttackResult): void => {
    log(`  ${name.padEnd(16)} ${String(r.passes).padStart(5)}/${String(r.n).padEnd(5)} ${(r.pass_rate * 100).toFixed(1).padStart(6)} %  [${(r.interval[0] * 100).toFixed(1)}, ${(r.interval[1] * 100).toFixed(1)}]  wall ${r.wall_ms_per_token ?? '-'} ms/token  cpu ${r.cpu_ms_per_token ?? '-'} ms/token  ${JSON.stringify(r.codes)}`);
  };

  log(`CV accuracy on ${N} puzzles (tolerance ${TOLERANCE_PX} px):`);
  const finders: GapFinder[] = ['ncc', 'edge', 'continuity'];
  const cv = await measureCvAccuracy(api, hurdle.sitekey, N, TOLERANCE_PX, PHASE_LIMIT_S, finders);
  for (const f of finders) log(`  ${f.padEnd(10)} top1 ${(cv[f].top1 * 100).toFixed(1)} % [${(cv[f].top1_interval[0] * 100).toFixed(1)}, ${(cv[f].top1_interval[1] * 100).toFixed(1)}]  top3 ${(cv[f].top3 * 100).toFixed(1)} %  median error ${cv[f].median_error_px} px  ${cv[f].cpu_ms_per_puzzle} ms CPU/puzzle`);
  // The CV bot as first measured matches the piece's pixels or outline (the better of the two);
  // the continuity bot reads the scene across the border, the cue the drawing leaves for people,
  // and is reported beside it: the strongest image attack the source describes.
  const finder: GapFinder = cv.edge.top1 > cv.ncc.top1 ? 'edge' : 'ncc';

  const slide = (makeSolver: () => SlideSolver, slideFinder: GapFinder = finder): Promise<AttackResult> =>
    runAttack(api, () => slideTrial(api, makeSolver(), { sitekey: hurdle.sitekey, finder: slideFinder, waitOutTrace: WAIT, maxVerifies: MAX_VERIFIES }), { ...run, n: N });

  const rng = (k: number): ReturnType<typeof createRandom> => createRandom(SEED * 1000 + k);
  // The human side first: the service remembers the shapes it accepted (replay memory), so
  // recordings replayed after the replay attacker's would be refused as its copies. Each
  // recording is used once per pass over the corpus: a challenge of R rounds takes R of them,
  // one per round (passes after the first replay the same recordings, so only the first is
  // a fresh person).
  const rounds = await slideRoundsOf(api, hurdle.sitekey);
  const people = Math.floor(recordings.length / rounds);
  log(`human side: ${recordings.length} recordings x ${HUMAN_ROUNDS} pass(es), ${rounds} per challenge (one per round): ${people * HUMAN_ROUNDS} challenges:`);
  const humanRng = rng(12);
  const humanOutcomes: HumanOutcome[] = [];
  // Each person from their own address (one /24 each), as people arrive: the risk engine sees strangers.
  const human = await runAttack(api, async (i) => {
    const person = i % people;
    const out = await humanTrial(createApiClient(hurdle.base, { forwardedFor: personAddress(i, 1) }), hurdle.sitekey, (round) => recordings[person * rounds + round] as (typeof recordings)[number], humanRng, rounds);
    humanOutcomes.push(out);
    return out;
  }, { ...run, n: people * HUMAN_ROUNDS, concurrency: Math.max(CONCURRENCY, people) });
  const humanPuzzles = humanOutcomes.reduce((s, o) => s + o.puzzles, 0);
  const humanPuzzlesPassed = humanOutcomes.reduce((s, o) => s + o.puzzlesPassed, 0);
  fmt('human', human);

  log(`attackers (n ${N} each, CV finder ${finder}, ${WAIT ? 'each waits out its trace' : 'no waiting'}):`);
  const attackers: Record<string, AttackResult> = {};
  attackers.naive = await slide(() => cvPointerSolver('straight', rng(1)));
  fmt('naive', attackers.naive);
  const blindRng = rng(2);
  attackers.blind = await slide(() => blindSolver(blindRng, 2 * TOLERANCE_PX));
  fmt('blind', attackers.blind);
  let k = 3;
  for (const gen of HUMAN_LIKE_GENERATORS) {
    const r = rng(k++);
    attackers[`cv_${gen}`] = await slide(() => cvPointerSolver(gen, r));
    fmt(`cv_${gen}`, attackers[`cv_${gen}`] as AttackResult);
  }
  for (const gen of HUMAN_LIKE_GENERATORS) {
    const r = rng(k++);
    attackers[`continuity_${gen}`] = await slide(() => cvPointerSolver(gen, r), 'continuity');
    fmt(`continuity_${gen}`, attackers[`continuity_${gen}`] as AttackResult);
  }
  attackers.replay = await slide(() => replaySolver(replayRecording));
  fmt('replay', attackers.replay);
  const keyRng = rng(11);
  attackers.keyboard = await slide(() => keyboardSolver(keyRng));
  fmt('keyboard', attackers.keyboard);
  attackers.pow = await runAttack(api, () => powTrial(api, hurdle.sitekey), { ...run, n: N });
  fmt('pow', attackers.pow);

  // The risk engine: normal visitors first (a stranger each), then the farm.
  const normal = await runNormalVisitors({ base: hurdle.base, sitekey: hurdle.sitekey, n: NORMAL_VISITORS, baseDifficulty: DIFFICULTY, addressOf: (i) => personAddress(i, 2) });
  log(`normal visitors: ${normal.escalated}/${normal.n} escalated`);
  const farmPhase = async (name: string, addressOf: (i: number) => string): Promise<Awaited<ReturnType<typeof runFarm>>> => {
    const r = await runFarm({ base: hurdle.base, sitekey: hurdle.sitekey, secret: hurdle.secret, durationS: FARM_S, addressOf, backoffMs: 1000, baseDifficulty: DIFFICULTY });
    log(`  ${name.padEnd(16)} ${r.tokens}/${r.attempts} tokens (${r.refused} refused)  after 1 min ${r.tokens_after_1min}/${r.attempts_after_1min} = ${(r.pass_after_1min * 100).toFixed(1)} %  cpu/token ${r.cpu_ms_per_token_start ?? '-'} ms at start -> ${r.cpu_ms_per_token_after_1min ?? '-'} ms after 1 min (x${r.cost_growth ?? '-'}${r.cost_growth_lower_bound ? ' at least' : ''})  difficulty/15 s ${JSON.stringify(r.difficulty_by_15s)}`);
    return r;
  };
  log(`farm (${FARM_S} s per phase, pow path, native SHA-256):`);
  const farmOne = await farmPhase('farm_one_address', () => '198.51.100.7');
  const farmSpread = await farmPhase('farm_one_24', (i) => `203.0.113.${1 + (i % 254)}`);
  const growths = [farmOne, farmSpread].filter((r) => r.cost_growth !== null);
  const worstGrowth = growths.reduce<(typeof growths)[number] | undefined>((w, r) => (w === undefined || (r.cost_growth as number) < (w.cost_growth as number) ? r : w), undefined);
  const riskCost = await measureRiskCost();
  log(`risk engine CPU: ${riskCost.risk_us_per_request} us per request (${riskCost.risk_us_per_issue} us per issue; rounds ${riskCost.rounds_us_per_request.join(', ')})`);

  // Cost: client CPU per accepted token (waiting is free to a bot that runs many at once).
  const synth = HUMAN_LIKE_GENERATORS.map((g) => attackers[`cv_${g}`] as AttackResult);
  const synthN = synth.reduce((s, r) => s + r.n, 0);
  const synthPasses = synth.reduce((s, r) => s + r.passes, 0);
  const contSynth = HUMAN_LIKE_GENERATORS.map((g) => attackers[`continuity_${g}`] as AttackResult);
  const contN = contSynth.reduce((s, r) => s + r.n, 0);
  const contPasses = contSynth.reduce((s, r) => s + r.passes, 0);
  const contWilson = wilsonInterval(contPasses, contN);
  const contInterval = [Number(contWilson.low.toFixed(4)), Number(contWilson.high.toFixed(4))];
  const cheapest = (names: string[], key: 'cpu_ms_per_token' | 'wall_ms_per_token'): { name: string; cost: number } | undefined => {
    let best: { name: string; cost: number } | undefined;
    for (const name of names) {
      const cost = attackers[name]?.[key];
      if (cost !== null && cost !== undefined && (best === undefined || cost < best.cost)) best = { name, cost };
    }
    return best;
  };
  const pointerBots = ['naive', 'blind', ...HUMAN_LIKE_GENERATORS.flatMap((g) => [`cv_${g}`, `continuity_${g}`]), 'replay'];
  const ratio = (a: number | null | undefined, b: { cost: number } | undefined): number | null =>
    a === null || a === undefined || b === undefined || b.cost <= 0 ? null : Number((a / b.cost).toFixed(3));
  const bestPointer = cheapest(pointerBots, 'cpu_ms_per_token');
  const bestSlide = cheapest([...pointerBots, 'keyboard'], 'cpu_ms_per_token');
  const bestPointerWall = cheapest(pointerBots, 'wall_ms_per_token');
  const bestSlideWall = cheapest([...pointerBots, 'keyboard'], 'wall_ms_per_token');

  const result = {
    bench: 'attack',
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map((v) => Number(v.toFixed(2))) },
    conditions: {
      ...hurdle.conditions,
      n_per_attacker: N,
      concurrency: CONCURRENCY,
      seed: SEED,
      tolerance_px_for_scoring: TOLERANCE_PX,
      max_verifies_per_trial: MAX_VERIFIES,
      bots_wait_out_trace: WAIT,
      cv_finder_used_by_attackers: finder,
      replay_recording: `${replayIndex}: ${replayRecording.source}`,
      human_mapping: 'x scaled so the final sample lands on the answer (widget clamps to [0, maxX]); y kept (CSS px to background px) as the offset from the track line; timing kept; recorded as the widget records',
      human_order: 'the human side runs before the attackers (replay memory); each challenge takes one recording per round, each recording used once per pass; passes after the first replay the same recordings',
      human_look_ms: HUMAN_LOOK_MS,
      cost: 'cpu_ms_per_token is the bench process CPU (user+system) per accepted token; wall_ms_per_token the summed trial time (challenge to verdict, waits included) per token',
    },
    naive_pass: attackers.naive.pass_rate,
    blind_pass: attackers.blind.pass_rate,
    cv_top1: Math.max(cv.ncc.top1, cv.edge.top1),
    cv_synthetic_pass: synthN > 0 ? Number((synthPasses / synthN).toFixed(4)) : 0,
    continuity_top1: cv.continuity.top1,
    continuity_synthetic_pass: contN > 0 ? Number((contPasses / contN).toFixed(4)) : 0,
    continuity_synthetic_interval: contInterval,
    replay_pass: attackers.replay.pass_rate,
    keyboard_pass: attackers.keyboard.pass_rate,
    pow_pass: attackers.pow.pass_rate,
    keyboard_cost_ratio: ratio(attackers.keyboard.cpu_ms_per_token, bestPointer),
    pow_vs_slide_cost_ratio: ratio(attackers.pow.cpu_ms_per_token, bestSlide),
    keyboard_wall_ratio: ratio(attackers.keyboard.wall_ms_per_token, bestPointerWall),
    pow_vs_slide_wall_ratio: ratio(attackers.pow.wall_ms_per_token, bestSlideWall),
    best_pointer_bot: bestPointer?.name ?? null,
    best_slide_bot: bestSlide?.name ?? null,
    human_pass: human.pass_rate,
    human_interval: human.interval,
    // Per puzzle (round): the recordings one by one, whatever the rounds per challenge.
    human_puzzle_pass: humanPuzzles > 0 ? Number((humanPuzzlesPassed / humanPuzzles).toFixed(4)) : null,
    human_puzzles: humanPuzzles,
    slide_rounds: rounds,
    // The farm's worse phase (one address, or spread over one /24): the higher pass rate and the
    // lower cost growth; a phase with no token after its first minute reports a lower bound.
    farm_pass_after_1min: Math.max(farmOne.pass_after_1min, farmSpread.pass_after_1min),
    farm_cost_growth: worstGrowth?.cost_growth ?? null,
    farm_cost_growth_lower_bound: worstGrowth?.cost_growth_lower_bound ?? false,
    normal_visitor_escalated: normal.escalated_rate,
    risk_us_per_request: riskCost.risk_us_per_request,
    risk_cost: { ...riskCost, how: 'in the bench process over a shared-memory map: the risk engine\'s work for a challenge, its verify and its siteverify, per request (bench/src/risk-cost.ts)' },
    farm: { one_address: farmOne, one_24: farmSpread, duration_s: FARM_S, backoff_ms_after_refusal: 1000, cost_start: 'CPU per token of the attempts before the first one the server escalated or refused: the farm\'s cost before the server had seen it (base step)', cost_after: 'attempts started after 60 s; with no token there, CPU after 60 s / 1 as a lower bound (cost_growth_lower_bound)' },
    normal_visitors: normal,
    cv,
    attackers,
    human,
  };
  // The browser probe's phases, against their own service (see probe-phases.ts).
  const probe = args.includes('--no-probe-phases') ? {} : await probePhases(finder);
  Object.assign(result, probe);
  log(`farm_pass_after_1min ${result.farm_pass_after_1min}  farm_cost_growth ${result.farm_cost_growth}  normal_visitor_escalated ${result.normal_visitor_escalated}`);
  log(`naive ${result.naive_pass}  blind ${result.blind_pass}  cv_top1 ${result.cv_top1}  cv_synthetic ${result.cv_synthetic_pass}  continuity_top1 ${result.continuity_top1}  continuity_synthetic ${result.continuity_synthetic_pass}  replay ${result.replay_pass}  keyboard_cost_ratio ${result.keyboard_cost_ratio}  pow_vs_slide_cost_ratio ${result.pow_vs_slide_cost_ratio}  human ${result.human_pass}`);
  if (JSON_MODE) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await hurdle.stop();
}
