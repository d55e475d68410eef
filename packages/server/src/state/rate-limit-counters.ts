/** Machine-local rate-limit counters over a shared-memory map. */
import { createSharedCounters } from '@hurdle/shm';
import type { SharedCounters, SharedMap } from '@hurdle/shm';

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
  /** Failed authentications of `key` in the current window of `windowMs` (a read, no lock). */
  failures(key: string, windowMs: number): number;
  /** Count one failed authentication of `key` in the current `windowMs` window; returns the window's count. */
  addFailure(key: string, windowMs: number): number;
}

/**
 * Rate-limit counters over a shared-memory map (`createSharedCounters` of @hurdle/shm):
 * exact across the machine's processes. Reads take no lock, so a client already over its
 * limit is refused without a write; each counted request is one `incr` under the writer lock.
 */
export function createShmRateCounters(map: SharedMap<string>, now: () => number = Date.now): RateLimitCounters {
  const ip = createSharedCounters(map, { windowMs: 60_000, prefix: 'rl:ip:', now });
  const site = createSharedCounters(map, { windowMs: 1000, prefix: 'rl:site:', now });
  // One set of failure counters per window length (the option is one value per process;
  // windows are aligned to the epoch, so every process counts in the same window).
  const failureCounters = new Map<number, SharedCounters>();
  const failuresOf = (windowMs: number): SharedCounters => {
    let counters = failureCounters.get(windowMs);
    if (counters === undefined) {
      counters = createSharedCounters(map, { windowMs, prefix: 'rl:auth:', now });
      failureCounters.set(windowMs, counters);
    }
    return counters;
  };
  return Object.freeze({
    failures: (key: string, windowMs: number): number => failuresOf(windowMs).get(key),
    addFailure: (key: string, windowMs: number): number => failuresOf(windowMs).add(key),
    hit(scope: 'ip' | 'site', key: string, limit: number): number {
      const counters = scope === 'ip' ? ip : site;
      const current = counters.get(key);
      return current >= limit ? current + 1 : counters.add(key);
    },
  });
}
