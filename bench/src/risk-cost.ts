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
  /** CPU per request (one flow is three requests), µs. */
  readonly risk_us_per_request: number;
  /** CPU of the issue step alone (assess + record), µs. */
  readonly risk_us_per_issue: number;
  readonly flows: number;
}

export async function measureRiskCost(flows = 20_000): Promise<RiskCost> {
  const map = createSharedMap({ name: `hurdle-risk-cost-${process.pid}`, backend: 'memory', sizeBytes: 64 << 20, codec: 'string' }) as SharedMap<string>;
  try {
    const handle = createShmStore(map);
    if (handle.riskCounters === undefined) throw new Error('the shared-memory store has no risk counters');
    const risk = createRiskEngine({ counters: handle.riskCounters, settingsOf: () => undefined, challengeTtlMs: 120_000, tokenTtlMs: 300_000 });
    const site = { challengeTypes: ['slide', 'pow'] as ('slide' | 'pow')[], difficulty: 16 };
    const trace: [number, number, number][] = Array.from({ length: 40 }, (_, i) => [i * 4 + Math.sin(i) * 2, Math.cos(i) * 3, i * 16]);
    const issue = async (i: number): Promise<void> => {
      const address = `10.${i & 255}.${(i >> 8) & 255}.${1 + ((i >> 16) & 127)}`;
      const decision = await risk.assessIssue(address, 'site', undefined, site);
      await risk.recordIssue(address, 'site', `s.bench-${i}.x`, decision);
    };
    const answer = async (i: number): Promise<void> => {
      const address = `10.${i & 255}.${(i >> 8) & 255}.${1 + ((i >> 16) & 127)}`;
      await risk.recordVerify(address, { id: `s.bench-${i}.x`, trajectory: trace }, { success: true, token: `token-${i}`, tokenId: `tid-${i}`, expiresAt: Date.now() + 300_000 });
      await risk.tokenScore(`tid-${i}`);
    };
    for (let i = 0; i < 2000; i++) {
      await issue(1_000_000 + i);
      await answer(1_000_000 + i);
    }
    // Issues alone first, then the answers to them: the clock is read once per loop, not per call.
    const t0 = process.cpuUsage();
    for (let i = 0; i < flows; i++) await issue(i);
    const t1 = process.cpuUsage(t0);
    for (let i = 0; i < flows; i++) await answer(i);
    const t2 = process.cpuUsage(t0);
    const us = (u: NodeJS.CpuUsage): number => u.user + u.system;
    return {
      risk_us_per_request: Number((us(t2) / flows / 3).toFixed(2)),
      risk_us_per_issue: Number((us(t1) / flows).toFixed(2)),
      flows,
    };
  } finally {
    map.close();
  }
}
