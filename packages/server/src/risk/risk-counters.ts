/**
 * The risk engine's signals in the state store: event counts per key in fixed one-minute
 * windows, read as a sliding one-minute estimate, "paused" markers with an expiry, and the
 * short records the engine keeps per challenge and per token. On one machine they live in the
 * shared-memory segment (every worker sees every other's at once) and every call is
 * synchronous, so the engine waits on no promise per counter; across machines in the Redis
 * ring through the store's `incr`, so every machine sees the same picture.
 */
import type { ChallengeStore } from '@hurdle/challenge';
import type { SharedMap } from '@hurdle/shm';

/** Length of one counting window; reads weigh in the previous window (a sliding minute). */
export const RISK_WINDOW_MS = 60_000;

/** A value now (the shared-memory counters) or later (a store over the network). */
export type MaybePromise<T> = T | Promise<T>;

/** Milliseconds left on a pause (0: none) and the pauses served within the last `RISK_STRIKE_MS`. */
export interface RiskStanding {
  readonly pausedMs: number;
  readonly strikes: number;
}

export interface RiskCounters {
  /** Count one event for each key in the current window. */
  add(keys: readonly string[]): MaybePromise<void>;
  /** Sliding one-minute estimates of each key, in the order given. */
  read(keys: readonly string[]): MaybePromise<number[]>;
  /**
   * Pause `key`: for `baseMs` the first time within `RISK_STRIKE_MS`, twice as long each time
   * after (at most 16 times). Returns the pause's length in ms.
   */
  pause(key: string, baseMs: number): MaybePromise<number>;
  /** The pause and strikes of `key`. */
  standing(key: string): MaybePromise<RiskStanding>;
  /** Keep a short record (a challenge's assessment, a token's score) for `ttlMs`. */
  keep(key: string, value: string, ttlMs: number): MaybePromise<void>;
  /** A record kept with `keep`, or undefined when it expired or never was. */
  fetch(key: string): MaybePromise<string | undefined>;
}

/** How long a pause is remembered (a strike): a farm that comes back is escalated at once. */
export const RISK_STRIKE_MS = 3_600_000;

const PAUSE_PREFIX = 'rk:pause:';
const STRIKE_PREFIX = 'rk:strikes:';
/** A window's entry lives two windows (enough for the sliding read), plus slack for clock skew. */
const WINDOW_TTL_MS = RISK_WINDOW_MS * 2 + 1000;

const pauseLengthMs = (baseMs: number, strikes: number): number => baseMs * 2 ** Math.min(4, Math.max(0, strikes - 1));
const NOT_STANDING: RiskStanding = Object.freeze({ pausedMs: 0, strikes: 0 });

/**
 * The signals the engine counts per entity (`a:<address>`, `p:<network>`, `s:<sitekey>`),
 * named by the last letter of a key `<entity>:<letter>`: issued, solved, issued on the
 * puzzle-free path of a site that has puzzles, solved at the top step, failed, replayed, and
 * answers whose browser probe was flagged. In shared memory they share one number per entity
 * and window, each in its own bit field, so one `incr` counts an event and one read gets all of
 * an entity's counts. The fields run from the lowest bits up in this order, so a count that
 * outgrows its field (2047 issues, 1023 solves, 127 puzzle-free issues or top solves, 1023
 * failures, 15 replays or flagged probes, in one minute from one entity) carries into the
 * next, more telling signal. Every count past a field's end is one that already weighs enough
 * to refuse (15 replays, say, where 2 do), so a wrapped field never lets a visitor through.
 */
const FIELDS: Readonly<Record<string, { readonly scale: number; readonly size: number }>> = (() => {
  const widths: [string, number][] = [['i', 11], ['s', 10], ['q', 7], ['t', 7], ['f', 10], ['r', 4], ['b', 4]];
  const out: Record<string, { scale: number; size: number }> = {};
  let bit = 0;
  for (const [letter, width] of widths) {
    out[letter] = { scale: 2 ** bit, size: 2 ** width };
    bit += width;
  }
  // 53 bits: every packed value stays an exact integer in a double.
  return Object.freeze(out);
})();

function fieldOf(key: string): { readonly scale: number; readonly size: number } {
  const f = key.charCodeAt(key.length - 2) === 58 ? FIELDS[key[key.length - 1] as string] : undefined;
  if (f === undefined) throw new RangeError(`risk counter key '${key.slice(0, 40)}' must end in ':' and one of ${Object.keys(FIELDS).join(', ')}`);
  return f;
}

/**
 * Everything in the shared-memory map, synchronously: counts with the map's `incr` under the
 * writer lock (exact across the machine's processes), reads without a lock. Keys of one
 * entity that follow one another in a call share one map entry per window (see FIELDS).
 */
export function createShmRiskCounters(map: SharedMap<string>, now: () => number = Date.now): RiskCounters {
  const windowTtl = Object.freeze({ ttlMs: WINDOW_TTL_MS });
  const strikeTtl = Object.freeze({ ttlMs: RISK_STRIKE_MS });
  const count = (key: string): number => {
    const v = map.get(key);
    return v === undefined ? 0 : Number(v) || 0;
  };
  return Object.freeze({
    add(keys: readonly string[]): void {
      const suffix = `@${Math.floor(now() / RISK_WINDOW_MS)}`;
      let entity = '';
      let by = 0;
      for (const key of keys) {
        const e = key.slice(0, -2);
        if (e !== entity) {
          if (by > 0) map.incr(`rk:${entity}${suffix}`, by, windowTtl);
          entity = e;
          by = 0;
        }
        by += fieldOf(key).scale;
      }
      if (by > 0) map.incr(`rk:${entity}${suffix}`, by, windowTtl);
    },
    read(keys: readonly string[]): number[] {
      // One clock read for the pass, and two map reads (this window, the last) per entity.
      const t = now();
      const w = Math.floor(t / RISK_WINDOW_MS);
      const share = 1 - (t - w * RISK_WINDOW_MS) / RISK_WINDOW_MS;
      const out = new Array<number>(keys.length);
      let entity = '';
      let current = 0;
      let previous = 0;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const e = key.slice(0, -2);
        if (e !== entity || i === 0) {
          entity = e;
          current = count(`rk:${e}@${w}`);
          previous = count(`rk:${e}@${w - 1}`);
        }
        const f = fieldOf(key);
        out[i] = (Math.floor(current / f.scale) % f.size) + (Math.floor(previous / f.scale) % f.size) * share;
      }
      return out;
    },
    pause(key: string, baseMs: number): number {
      const strikeKey = `${STRIKE_PREFIX}${key}`;
      const strikes = map.incr(strikeKey, 1, strikeTtl);
      // Strikes last an hour from the latest pause (incr keeps the first expiry), so a live
      // pause always has strikes and `standing` reads the pause only then. Two workers pausing
      // one key in the same instant may keep one strike of the two.
      map.set(strikeKey, String(strikes), strikeTtl);
      const ms = pauseLengthMs(baseMs, strikes);
      map.set(`${PAUSE_PREFIX}${key}`, String(Math.floor(now() + ms)), { ttlMs: Math.max(1, Math.ceil(ms)) });
      return ms;
    },
    standing(key: string): RiskStanding {
      const strikes = count(`${STRIKE_PREFIX}${key}`);
      if (strikes === 0) return NOT_STANDING;
      const until = map.get(`${PAUSE_PREFIX}${key}`);
      return { pausedMs: until === undefined ? 0 : Math.max(0, Number(until) - now()), strikes };
    },
    keep(key: string, value: string, ttlMs: number): void {
      map.set(key, value, { ttlMs });
    },
    fetch(key: string): string | undefined {
      return map.get(key);
    },
  });
}

/**
 * Counts with the store's own `incr`/`get` (the Redis ring, which every machine shares). A
 * key's window entry lives two windows, enough for the sliding read.
 */
export function createStoreRiskCounters(store: ChallengeStore, now: () => number = Date.now): RiskCounters {
  const keyOf = (key: string, window: number): string => `rk:${key}@${window}`;
  return Object.freeze({
    async add(keys: readonly string[]): Promise<void> {
      const w = Math.floor(now() / RISK_WINDOW_MS);
      await Promise.all(keys.map((key) => store.incr(keyOf(key, w), WINDOW_TTL_MS)));
    },
    async read(keys: readonly string[]): Promise<number[]> {
      const t = now();
      const w = Math.floor(t / RISK_WINDOW_MS);
      const share = 1 - (t - w * RISK_WINDOW_MS) / RISK_WINDOW_MS;
      const values = await Promise.all(keys.flatMap((key) => [store.get(keyOf(key, w)), store.get(keyOf(key, w - 1))]));
      return keys.map((_, i) => (Number(values[2 * i] ?? 0) || 0) + (Number(values[2 * i + 1] ?? 0) || 0) * share);
    },
    async pause(key: string, baseMs: number): Promise<number> {
      const strikes = await store.incr(`${STRIKE_PREFIX}${key}`, RISK_STRIKE_MS);
      // An hour from the latest pause, as in shared memory.
      await store.set(`${STRIKE_PREFIX}${key}`, String(strikes), RISK_STRIKE_MS);
      const ms = pauseLengthMs(baseMs, strikes);
      await store.set(`${PAUSE_PREFIX}${key}`, String(Math.floor(now() + ms)), Math.max(1, Math.ceil(ms)));
      return ms;
    },
    async standing(key: string): Promise<RiskStanding> {
      const [until, strikes] = await Promise.all([store.get(`${PAUSE_PREFIX}${key}`), store.get(`${STRIKE_PREFIX}${key}`)]);
      return { pausedMs: until === undefined ? 0 : Math.max(0, Number(until) - now()), strikes: Number(strikes ?? 0) || 0 };
    },
    keep: (key: string, value: string, ttlMs: number): Promise<void> => store.set(key, value, ttlMs),
    fetch: (key: string): Promise<string | undefined> => store.get(key),
  });
}
