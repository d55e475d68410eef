/** Machine-local rate-limit counters over a shared-memory map. */
import { createSharedCounters } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';

/**
 * Rate-limit counters in fixed windows: per client IP per minute, per site per second.
 * Given to the app on one machine (shared memory); without them the app counts with the
 * store's `incr` (the ring, which every machine shares).
 */
export interface RateLimitCounters {
  /**
   * Count one request of `key` in the current window of `scope` (`ip`: 60 s, `site`: 1 s)
   * and return the window's count; a count already over `limit` is returned without
   * counting (a flood from one client does not keep taking the writer lock).
   */
  hit(scope: 'ip' | 'site', key: string, limit: number): number;
}

/**
 * Rate-limit counters over a shared-memory map (`createSharedCounters` of @hurdle/shm):
 * exact across the machine's processes. Reads take no lock, so a client already over its
 * limit is refused without a write; each counted request is one `incr` under the writer lock.
 */
export function createShmRateCounters(map: SharedMap<string>, now: () => number = Date.now): RateLimitCounters {
  const ip = createSharedCounters(map, { windowMs: 60_000, prefix: 'rl:ip:', now });
  const site = createSharedCounters(map, { windowMs: 1000, prefix: 'rl:site:', now });
  return Object.freeze({
    hit(scope: 'ip' | 'site', key: string, limit: number): number {
      const counters = scope === 'ip' ? ip : site;
      const current = counters.get(key);
      return current >= limit ? current + 1 : counters.add(key);
    },
  });
}
