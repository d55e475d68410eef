/**
 * The farm: the cheapest sure bot of the bench (the puzzle-free proof-of-work path, solved
 * with Node's native SHA-256) solving without pause for a fixed time, first from one client
 * address, then spread over one /24. It never waits out a refusal: a refused request is
 * tried again after `backoffMs`, as a farm that wants every token it can get would. Each
 * attempt is timed and its client CPU measured, so pass rate and cost per token can be read
 * per period of the run: its tokens before the server first raised the price (what a stranger
 * pays) against the attempts after the first minute.
 */
import { ApiRefusal, createApiClient } from './api-client.js';
import { solvePowNative } from './pow-attack.js';
import { wilsonInterval } from './wilson-interval.js';

interface Attempt {
  /** Seconds since the farm started, at the attempt's start and end. */
  readonly atS: number;
  readonly endS: number;
  readonly passed: boolean;
  readonly refused: boolean;
  /** The request failed in transport (a connection reset under load): a lost attempt, not a refusal. */
  readonly failedTransport: boolean;
  readonly cpuMs: number;
  readonly difficulty: number | null;
}

export interface FarmOptions {
  readonly base: string;
  readonly sitekey: string;
  readonly secret: string;
  readonly durationS: number;
  /** The client address of attempt i. */
  readonly addressOf: (i: number) => string;
  /** Wait after a refusal before the next attempt. */
  readonly backoffMs: number;
  /**
   * The site's base difficulty. Cost "at the start" is the CPU per token of the attempts before
   * the first one served above it (or refused): the farm's cost before the server had seen it.
   */
  readonly baseDifficulty: number;
}

export interface FarmResult {
  readonly attempts: number;
  readonly tokens: number;
  readonly refused: number;
  /** Attempts lost to a transport error (fetch failed), counted as attempts without a token. */
  readonly transport_failures: number;
  readonly pass_rate: number;
  /** Pass rate of the attempts started after the first minute, with its 95 % interval. */
  readonly pass_after_1min: number;
  readonly pass_after_1min_interval: readonly [number, number];
  readonly attempts_after_1min: number;
  readonly tokens_after_1min: number;
  /** Client CPU per accepted token before the server first raised the price, and after the first minute. */
  readonly cpu_ms_per_token_start: number | null;
  readonly cpu_ms_per_token_after_1min: number | null;
  /** Client CPU of every attempt started after the first minute, ms. */
  readonly cpu_ms_after_1min: number;
  /** Wall time per accepted token over the same periods (refused time included). */
  readonly wall_ms_per_token_start: number | null;
  readonly wall_ms_per_token_after_1min: number | null;
  /**
   * CPU per token after the first minute / at the start. With no token after the first minute
   * it is a lower bound, CPU after the first minute / 1 (`cost_growth_lower_bound`): one more
   * token would have cost at least that. Null only when the farm won no token at the start.
   */
  readonly cost_growth: number | null;
  readonly cost_growth_lower_bound: boolean;
  /** Difficulties served, per 15 s of the run (max), to read the escalation over time. */
  readonly difficulty_by_15s: readonly (number | null)[];
  readonly tokens_by_15s: readonly number[];
}

const round = (v: number, d = 3): number => Number(v.toFixed(d));

export async function runFarm(o: FarmOptions): Promise<FarmResult> {
  const attempts: Attempt[] = [];
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  const check = createApiClient(o.base);
  for (let i = 0; seconds() < o.durationS && i < 1_000_000; i++) {
    const api = createApiClient(o.base, { forwardedFor: o.addressOf(i) });
    const atS = seconds();
    const cpu0 = process.cpuUsage();
    let passed = false;
    let refused = false;
    let failedTransport = false;
    let difficulty: number | null = null;
    try {
      const c = await api.challenge(o.sitekey, 'pow');
      difficulty = c.pow?.difficulty ?? null;
      const nonce = c.pow === undefined ? undefined : solvePowNative(c.pow.challenge, c.pow.difficulty);
      if (nonce !== undefined) {
        const r = await api.verify({ id: c.id, answer: { nonce } });
        passed = r.success && r.token !== undefined && (await check.siteverify(o.secret, r.token));
      }
    } catch (err) {
      if (err instanceof ApiRefusal) refused = true;
      else if (err instanceof TypeError && err.message === 'fetch failed') failedTransport = true;
      else throw err;
    }
    const cpu = process.cpuUsage(cpu0);
    attempts.push({ atS, endS: seconds(), passed, refused, failedTransport, cpuMs: (cpu.user + cpu.system) / 1000, difficulty });
    if (refused) await new Promise((r) => setTimeout(r, o.backoffMs));
  }
  const wallEnd = seconds();
  const period = (from: number, to: number): { n: number; tokens: number; cpu: number; wall: number } => {
    const inside = attempts.filter((a) => a.atS >= from && a.atS < to);
    return { n: inside.length, tokens: inside.filter((a) => a.passed).length, cpu: inside.reduce((s, a) => s + a.cpuMs, 0), wall: (Math.min(to, wallEnd) - from) * 1000 };
  };
  // The start: every attempt before the first one the server escalated or refused.
  const reacted = attempts.findIndex((a) => a.refused || (a.difficulty !== null && a.difficulty > o.baseDifficulty));
  const firstTokens = attempts.slice(0, reacted < 0 ? attempts.length : reacted);
  const lastFirst = firstTokens[firstTokens.length - 1];
  const start = {
    tokens: firstTokens.filter((a) => a.passed).length,
    cpu: firstTokens.reduce((s, a) => s + a.cpuMs, 0),
    wall: lastFirst === undefined ? 0 : lastFirst.endS * 1000,
  };
  const after = period(60, Number.POSITIVE_INFINITY);
  const perToken = (p: { tokens: number }, v: number): number | null => (p.tokens > 0 ? round(v / p.tokens, 2) : null);
  const cpuStart = perToken(start, start.cpu);
  const cpuAfter = perToken(after, after.cpu);
  const lowerBound = after.tokens === 0;
  const growthOf = cpuStart === null || cpuStart <= 0 ? null : round((lowerBound ? after.cpu : after.cpu / after.tokens) / cpuStart, 2);
  const buckets = Math.ceil(o.durationS / 15);
  const w = wilsonInterval(after.tokens, after.n);
  const tokens = attempts.filter((a) => a.passed).length;
  return {
    attempts: attempts.length,
    tokens,
    refused: attempts.filter((a) => a.refused).length,
    transport_failures: attempts.filter((a) => a.failedTransport).length,
    pass_rate: attempts.length > 0 ? round(tokens / attempts.length, 4) : 0,
    pass_after_1min: round(w.rate, 4),
    pass_after_1min_interval: [round(w.low, 4), round(w.high, 4)],
    attempts_after_1min: after.n,
    tokens_after_1min: after.tokens,
    cpu_ms_per_token_start: cpuStart,
    cpu_ms_per_token_after_1min: cpuAfter,
    cpu_ms_after_1min: round(after.cpu, 1),
    wall_ms_per_token_start: perToken(start, start.wall),
    wall_ms_per_token_after_1min: perToken(after, after.wall),
    cost_growth: growthOf,
    cost_growth_lower_bound: lowerBound,
    difficulty_by_15s: Array.from({ length: buckets }, (_, b) => {
      const ds = attempts.filter((a) => a.atS >= b * 15 && a.atS < (b + 1) * 15 && a.difficulty !== null).map((a) => a.difficulty as number);
      return ds.length > 0 ? Math.max(...ds) : null;
    }),
    tokens_by_15s: Array.from({ length: buckets }, (_, b) => attempts.filter((a) => a.passed && a.atS >= b * 15 && a.atS < (b + 1) * 15).length),
  };
}

/**
 * The normal visitor: one solve per client address (the site's default challenge, or the
 * puzzle-free path when asked), each from its own address. Reports how many were escalated
 * (a costlier proof, a slide instead of the invisible PoW, or a refusal) rather than served
 * at base cost.
 */
export async function runNormalVisitors(o: { base: string; sitekey: string; n: number; baseDifficulty: number; addressOf: (i: number) => string }): Promise<{ n: number; escalated: number; escalated_rate: number }> {
  let escalated = 0;
  for (let i = 0; i < o.n; i++) {
    const api = createApiClient(o.base, { forwardedFor: o.addressOf(i) });
    try {
      const c = await api.challenge(o.sitekey, 'pow');
      if (c.type !== 'pow' || c.pow?.difficulty !== o.baseDifficulty) escalated++;
      const nonce = c.pow === undefined ? undefined : solvePowNative(c.pow.challenge, c.pow.difficulty);
      if (nonce !== undefined) await api.verify({ id: c.id, answer: { nonce } });
    } catch (err) {
      if (!(err instanceof ApiRefusal)) throw err;
      escalated++;
    }
  }
  return { n: o.n, escalated, escalated_rate: o.n > 0 ? round(escalated / o.n, 4) : 0 };
}
