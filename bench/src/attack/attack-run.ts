import { wilsonInterval } from './wilson-interval.js';
import type { ApiClient } from './api-client.js';

/** What one trial (one attempt at a token) produced. */
export interface TrialOutcome {
  /** The pass token, when /v1/verify returned one. */
  readonly token?: string | undefined;
  /** /v1/verify calls made. */
  readonly verifies: number;
  /** Failure codes seen, in order. */
  readonly codes: readonly string[];
}

/** One attacker's result. */
export interface AttackResult {
  readonly n: number;
  /** Tokens that /siteverify accepted. */
  readonly passes: number;
  readonly pass_rate: number;
  /** 95 % Wilson interval of the pass rate. */
  readonly interval: readonly [number, number];
  /** Client wall time (challenge to verdict, waits included) summed over trials, per token; null without a token. */
  readonly wall_ms_per_token: number | null;
  /** Bench-process CPU (user + system) over the phase, per token; null without a token. */
  readonly cpu_ms_per_token: number | null;
  readonly verifies: number;
  /** Failure codes returned by /v1/verify, with counts. */
  readonly codes: Record<string, number>;
  /** Wall time of the phase, s. */
  readonly phase_s: number;
}

/** Options of {@link runAttack}. */
export interface RunAttackOptions {
  readonly n: number;
  readonly concurrency: number;
  /** Stop starting trials after this, s (reported n is what ran). */
  readonly timeLimitS: number;
  readonly secret: string;
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

/**
 * Runs `n` trials with `concurrency` in flight, redeems every token at /siteverify after the
 * timed window (the site's back end does that, not the client), and reports pass rate with its
 * Wilson interval and cost per accepted token.
 */
export async function runAttack(api: ApiClient, trial: (i: number) => Promise<TrialOutcome>, o: RunAttackOptions): Promise<AttackResult> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const outcomes: TrialOutcome[] = [];
  let wallSum = 0;
  let next = 0;
  const deadline = started + o.timeLimitS * 1000;
  const lane = async (): Promise<void> => {
    while (next < o.n && Date.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      let outcome: TrialOutcome;
      try {
        outcome = await trial(i);
      } catch (err) {
        outcome = { verifies: 0, codes: [`error:${err instanceof Error ? err.message.slice(0, 60) : 'unknown'}`] };
      }
      wallSum += performance.now() - t0;
      outcomes.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
  const cpu = process.cpuUsage(cpu0);
  const phaseS = (Date.now() - started) / 1000;
  let passes = 0;
  for (const out of outcomes) if (out.token !== undefined && (await api.siteverify(o.secret, out.token))) passes++;
  const codes: Record<string, number> = {};
  for (const out of outcomes) for (const c of out.codes) codes[c] = (codes[c] ?? 0) + 1;
  const n = outcomes.length;
  const w = wilsonInterval(passes, n);
  return {
    n, passes,
    pass_rate: round(w.rate, 4),
    interval: [round(w.low, 4), round(w.high, 4)],
    wall_ms_per_token: passes > 0 ? round(wallSum / passes, 1) : null,
    cpu_ms_per_token: passes > 0 ? round((cpu.user + cpu.system) / 1000 / passes, 2) : null,
    verifies: outcomes.reduce((s, out) => s + out.verifies, 0),
    codes,
    phase_s: round(phaseS, 1),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
