/**
 * The risk engine's signals in the state store: event counts per key in fixed one-minute
 * windows, read as a sliding one-minute estimate, plus "paused" markers with an expiry. On
 * one machine the counts live in the shared-memory segment (every worker sees every other's
 * at once); across machines in the Redis ring through the store's `incr`, so every machine
 * sees the same picture.
 */
import type { ChallengeStore } from '@hurdle/challenge';
import { createSharedCounters } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';

/** Length of one counting window; reads weigh in the previous window (a sliding minute). */
export const RISK_WINDOW_MS = 60_000;

export interface RiskCounters {
  /** Count one event for each key in the current window. */
  add(keys: readonly string[]): Promise<void>;
  /** Sliding one-minute estimates of each key, in the order given. */
  read(keys: readonly string[]): Promise<number[]>;
  /**
   * Pause `key`: for `baseMs` the first time within `RISK_STRIKE_MS`, twice as long each time
   * after (at most 16 times). Returns the pause's length in ms.
   */
  pause(key: string, baseMs: number): Promise<number>;
  /** Milliseconds left on `key`'s pause (0: none) and its pauses within the last `RISK_STRIKE_MS`. */
  standing(key: string): Promise<{ pausedMs: number; strikes: number }>;
}

/** How long a pause is remembered (a strike): a farm that comes back is escalated at once. */
export const RISK_STRIKE_MS = 3_600_000;

const PAUSE_PREFIX = 'rk:pause:';
const STRIKE_PREFIX = 'rk:strikes:';

function pauseOps(store: ChallengeStore, now: () => number): Pick<RiskCounters, 'pause' | 'standing'> {
  return {
    async pause(key, baseMs) {
      const strikes = await store.incr(`${STRIKE_PREFIX}${key}`, RISK_STRIKE_MS);
      const ms = baseMs * 2 ** Math.min(4, Math.max(0, strikes - 1));
      await store.set(`${PAUSE_PREFIX}${key}`, String(Math.floor(now() + ms)), Math.max(1, Math.ceil(ms)));
      return ms;
    },
    async standing(key) {
      const [until, strikes] = await Promise.all([store.get(`${PAUSE_PREFIX}${key}`), store.get(`${STRIKE_PREFIX}${key}`)]);
      return { pausedMs: until === undefined ? 0 : Math.max(0, Number(until) - now()), strikes: Number(strikes ?? 0) || 0 };
    },
  };
}

/**
 * Counts in the shared-memory map (exact across the machine's processes: one `incr` under
 * the writer lock per event, reads without a lock); pauses through `store`.
 */
export function createShmRiskCounters(map: SharedMap<string>, store: ChallengeStore, now: () => number = Date.now): RiskCounters {
  const counters = createSharedCounters(map, { windowMs: RISK_WINDOW_MS, prefix: 'rk:', now });
  return Object.freeze({
    add(keys: readonly string[]): Promise<void> {
      for (const key of keys) counters.add(key);
      return Promise.resolve();
    },
    read(keys: readonly string[]): Promise<number[]> {
      return Promise.resolve(keys.map((key) => counters.rate(key)));
    },
    ...pauseOps(store, now),
  });
}

/**
 * Counts with the store's own `incr`/`get` (the Redis ring, which every machine shares). A
 * key's window entry lives two windows, enough for the sliding read.
 */
export function createStoreRiskCounters(store: ChallengeStore, now: () => number = Date.now): RiskCounters {
  const ttlMs = RISK_WINDOW_MS * 2 + 1000;
  const keyOf = (key: string, window: number): string => `rk:${key}@${window}`;
  return Object.freeze({
    async add(keys: readonly string[]): Promise<void> {
      const w = Math.floor(now() / RISK_WINDOW_MS);
      await Promise.all(keys.map((key) => store.incr(keyOf(key, w), ttlMs)));
    },
    async read(keys: readonly string[]): Promise<number[]> {
      const t = now();
      const w = Math.floor(t / RISK_WINDOW_MS);
      const share = 1 - (t - w * RISK_WINDOW_MS) / RISK_WINDOW_MS;
      const values = await Promise.all(keys.flatMap((key) => [store.get(keyOf(key, w)), store.get(keyOf(key, w - 1))]));
      return keys.map((_, i) => (Number(values[2 * i] ?? 0) || 0) + (Number(values[2 * i + 1] ?? 0) || 0) * share);
    },
    ...pauseOps(store, now),
  });
}
