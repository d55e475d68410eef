/**
 * What the risk engine adds to a request, in CPU microseconds: its work on one visitor's
 * challenge, verify and siteverify (reading and counting the signals in a shared-memory map,
 * scoring, choosing the step, keeping the challenge's assessment and the token's score), run in
 * this process over the same shared-map store a one-machine service uses. Each iteration is a
 * new address in a new /24, so the counts read are those of a normal visitor.
 */
import { createRiskEngine, createShmStore } from '@hurdle/server';
import { createSharedMap } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';

export interface RiskCost {
  /** CPU per request (one flow is three requests), µs: the median of the rounds. */
  readonly risk_us_per_request: number;
  /** Each round's figure, in the order run: their spread is the figure's noise. */
  readonly rounds_us_per_request: readonly number[];
  /** CPU of the issue step alone (assess + record), µs: the median of the rounds. */
  readonly risk_us_per_issue: number;
  readonly flows: number;
}

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
};

/**
 * `flows` visitors in `rounds` rounds over one map (the store grows as a server's does), each
 * round timed apart: on a shared machine one slow stretch (a neighbour's burst, a major GC)
 * moves one round, not the median.
 */
export async function measureRiskCost(flows = 50_000, rounds = 5): Promise<RiskCost> {
  const map = createSharedMap({ name: `hurdle-risk-cost-${process.pid}`, backend: 'memory', sizeBytes: 128 << 20, codec: 'string' }) as SharedMap<string>;
  try {
    const handle = createShmStore(map);
    if (handle.riskCounters === undefined) throw new Error('the shared-memory store has no risk counters');
    const risk = createRiskEngine({ counters: handle.riskCounters, settingsOf: () => undefined, challengeTtlMs: 120_000, tokenTtlMs: 300_000 });
    const site = { challengeTypes: ['slide', 'pow'] as ('slide' | 'pow')[], difficulty: 16 };
    const trace: [number, number, number][] = Array.from({ length: 40 }, (_, i) => [i * 4 + Math.sin(i) * 2, Math.cos(i) * 3, i * 16]);
    const addressOf = (i: number): string => `10.${i & 255}.${(i >> 8) & 255}.${1 + ((i >> 16) & 127)}`;
    const issue = async (i: number): Promise<void> => {
      const address = addressOf(i);
      const decision = await risk.assessIssue(address, 'site', undefined, site);
      await risk.recordIssue(address, 'site', `s.bench-${i}.x`, decision);
    };
    const answer = async (i: number): Promise<void> => {
      await risk.recordVerify(addressOf(i), { id: `s.bench-${i}.x`, trajectory: trace }, { success: true, token: `token-${i}`, tokenId: `tid-${i}`, expiresAt: Date.now() + 300_000 });
      await risk.tokenScore({ tokenId: `tid-${i}`, token: `token-${i}` });
    };
    for (let i = 0; i < 2000; i++) {
      await issue(1_000_000 + i);
      await answer(1_000_000 + i);
    }
    const us = (u: NodeJS.CpuUsage): number => u.user + u.system;
    const perRound = Math.max(1, Math.floor(flows / rounds));
    const perRequest: number[] = [];
    const perIssue: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const from = r * perRound;
      // Issues alone first, then the answers to them: the clock is read once per loop, not per call.
      const t0 = process.cpuUsage();
      for (let i = from; i < from + perRound; i++) await issue(i);
      const t1 = process.cpuUsage(t0);
      for (let i = from; i < from + perRound; i++) await answer(i);
      const t2 = process.cpuUsage(t0);
      perRequest.push(Number((us(t2) / perRound / 3).toFixed(2)));
      perIssue.push(Number((us(t1) / perRound).toFixed(2)));
    }
    return { risk_us_per_request: median(perRequest), rounds_us_per_request: perRequest, risk_us_per_issue: median(perIssue), flows: perRound * rounds };
  } finally {
    map.close();
  }
}
