import { ShmError } from './errors.js';
import type { SharedMap } from './shared-map.js';

/** Options of {@link createSharedCounters}. */
export interface SharedCountersOptions {
  /** Length of one fixed window, ms. @default 1000 */
  readonly windowMs?: number;
  /** Prefix of the map keys the counters use. @default 'ctr:' */
  readonly prefix?: string;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * Rate-limit counters shared by every process mapping the segment: each key
 * counts in fixed windows of `windowMs` (one map entry per key and window,
 * expiring after two windows). Increments go through the writer lock, so they
 * are exact across processes and survive a process dying mid-increment.
 */
export interface SharedCounters {
  /** Add `by` (default 1) to `key` in the current window; returns the window's new count. */
  add(key: string, by?: number): number;
  /** The current window's count for `key`. */
  get(key: string): number;
  /**
   * Sliding-window estimate over the last `windowMs`: the current window's
   * count plus the previous window's, weighted by the share of it still inside.
   */
  rate(key: string): number;
  /** Start of the current window, epoch ms. */
  windowStart(): number;
}

function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (value instanceof Uint8Array) return Number(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  return 0;
}

/** Counters with time windows over a shared map (any codec). */
export function createSharedCounters(map: SharedMap<unknown> | SharedMap<string> | SharedMap<Uint8Array>, options: SharedCountersOptions = {}): SharedCounters {
  const windowMs = options.windowMs ?? 1000;
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new ShmError('SHM_ERR_INVALID_OPTION', `option 'windowMs' must be an integer >= 1; got ${String(windowMs)}`);
  const prefix = options.prefix ?? 'ctr:';
  if (typeof prefix !== 'string') throw new ShmError('SHM_ERR_INVALID_OPTION', `option 'prefix' must be a string; got ${typeof prefix}`);
  const now = options.now ?? Date.now;
  const m = map as SharedMap<unknown>;
  const ttlMs = windowMs * 2 + 1000;
  const keyOf = (key: string, window: number): string => `${prefix}${key}@${window}`;
  return Object.freeze({
    add(key: string, by = 1): number {
      return m.incr(keyOf(key, Math.floor(now() / windowMs)), by, { ttlMs });
    },
    get(key: string): number {
      return asNumber(m.get(keyOf(key, Math.floor(now() / windowMs))));
    },
    rate(key: string): number {
      const t = now();
      const w = Math.floor(t / windowMs);
      const current = asNumber(m.get(keyOf(key, w)));
      const previous = asNumber(m.get(keyOf(key, w - 1)));
      const elapsed = (t - w * windowMs) / windowMs;
      return current + previous * (1 - elapsed);
    },
    windowStart(): number {
      return Math.floor(now() / windowMs) * windowMs;
    },
  });
}
