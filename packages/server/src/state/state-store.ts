/**
 * The challenge/token state store, adapted to `ChallengeStore` of @hurdle/challenge:
 * the shared-memory map on one machine (default), or the Redis ring (`ring` option).
 */
import type { ChallengeStore } from '@hurdle/challenge';
import type { SharedMap } from '@hurdle/shm';
import type { Logger } from 'pino';
import { createRing, createZooKeeperMembership } from '@hurdle/ring';
import type { Ring } from '@hurdle/ring';
import { parseRingUrl } from '../options.js';
import type { RingOptions } from '../options.js';
import { createShmRiskCounters } from '../risk/risk-counters.js';
import type { RiskCounters } from '../risk/risk-counters.js';
import { createShmRateCounters } from './rate-limit-counters.js';
import type { RateLimitCounters } from './rate-limit-counters.js';
import { ringConnection } from './ring-connection.js';
import { createRingChallengeStore } from './ring-challenge-store.js';
import { segmentFullWarning } from './segment-full-warning.js';
import { createShmChallengeStore } from './shm-challenge-store.js';

/** A store plus what readiness and metrics need to know about it. */
export interface StateStoreHandle {
  readonly kind: 'shm' | 'ring';
  readonly store: ChallengeStore;
  /** Machine-local rate-limit counters (shm only; the ring counts with `store.incr`). */
  readonly rateCounters?: RateLimitCounters;
  /** The risk engine's signal counters in shared memory (shm only; the ring counts with `store.incr`). */
  readonly riskCounters?: RiskCounters;
  /** False while the store is known to be unreachable. */
  healthy(): boolean;
  /** Ring node states (empty for shm). */
  nodes(): Record<string, 'up' | 'down'>;
  close(): Promise<void>;
}

/**
 * ChallengeStore over a shared-memory map (string codec): `createShmChallengeStore` (one
 * synchronous map call per operation, in a promise; `take` and `incr` under the writer
 * lock), plus the map's rate-limit counters.
 */
export function createShmStore(map: SharedMap<string>, logger?: Logger): StateStoreHandle {
  const store = createShmChallengeStore(map, logger ? segmentFullWarning(map, 'state', logger) : undefined);
  return {
    kind: 'shm',
    store,
    rateCounters: createShmRateCounters(map),
    riskCounters: createShmRiskCounters(map),
    healthy: () => !map.closed,
    nodes: () => ({}),
    close: () => Promise.resolve(),
  };
}

/** Connect to the Redis ring named by `zk://HOST:PORT/ROOT`. */
export async function openRingStore(url: string, options: RingOptions): Promise<StateStoreHandle & { ring: Ring }> {
  const { connect, root } = parseRingUrl(url);
  const membership = await createZooKeeperMembership({ connect, root, sessionTimeoutMs: options.sessionTimeoutMs });
  const ring = createRing({
    membership,
    connection: ringConnection(options),
    replicas: options.replicas,
    writeQuorum: options.writeQuorum,
    commandTimeoutMs: options.commandTimeoutMs,
  });
  await ring.ready();
  const store = createRingChallengeStore(ring);
  const seen = new Set<string>();
  return {
    kind: 'ring',
    ring,
    store,
    healthy: () => ring.nodes().some((n) => n.state === 'up'),
    nodes: () => {
      // A node that left the membership (its agent saw its Redis die) is reported down,
      // not dropped: a dropped label would keep its last value ('up') in the gauge.
      const out: Record<string, 'up' | 'down'> = {};
      for (const id of seen) out[id] = 'down';
      for (const n of ring.nodes()) {
        seen.add(n.id);
        out[n.id] = n.state === 'up' ? 'up' : 'down';
      }
      return out;
    },
    async close() {
      await ring.close();
      await membership.close();
    },
  };
}
