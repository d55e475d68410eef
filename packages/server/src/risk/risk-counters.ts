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

/**
 * Events of one entity (`a:<address>`, `p:<network>`, `s:<sitekey>`): one letter per event (see
 * FIELDS), e.g. `{ entity: 'a:203.0.113.7', signals: 'st' }` for a solve at the top step.
 * A letter given twice counts twice.
 */
export interface EntityCount {
  readonly entity: string;
  readonly signals: string;
}

export interface RiskCounters {
  /** Count each event in the current window. */
  add(counts: readonly EntityCount[]): MaybePromise<void>;
  /** Sliding one-minute estimates of the signals of one entity, in the order of their letters. */
  read(entity: string, signals: string): MaybePromise<number[]>;
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
 * The signals the engine counts per entity (`a:<address>`, `p:<network>`, `s:<sitekey>`), one
 * letter each: `i` issued, `s` solved, `q` issued on the puzzle-free path of a site that has
 * puzzles, `t` solved at the top step, `f` failed, `r` replayed, `b` an answer whose browser
 * probe was flagged. In shared memory they share one number per entity
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

/** The signal letters, for the error of an unknown one. */
const SIGNAL_LETTERS = Object.keys(FIELDS).join('');

function fieldOf(letter: string): { readonly scale: number; readonly size: number } {
  const f = FIELDS[letter];
  if (f === undefined) throw new RangeError(`risk signal '${letter.slice(0, 4)}' is not one of ${SIGNAL_LETTERS}`);
  return f;
}

/** The sum of the fields' scales of `signals`: what one incr adds for all of them. */
function packedIncrement(signals: string): number {
  let by = 0;
  for (const letter of signals) by += fieldOf(letter).scale;
  return by;
}

/**
 * Everything in the shared-memory map, synchronously: counts with the map's `incr` under the
 * writer lock (exact across the machine's processes), reads without a lock. An entity's
 * signals share one map entry per window (see FIELDS): one incr per entity counted, two reads
 * (this window, the last) per entity read.
 */
export function createShmRiskCounters(map: SharedMap<string>, now: () => number = Date.now): RiskCounters {
  const windowTtl = Object.freeze({ ttlMs: WINDOW_TTL_MS });
  const strikeTtl = Object.freeze({ ttlMs: RISK_STRIKE_MS });
  const count = (key: string): number => {
    const v = map.get(key);
    return v === undefined ? 0 : Number(v) || 0;
  };
  return Object.freeze({
    add(counts: readonly EntityCount[]): void {
      const suffix = `@${Math.floor(now() / RISK_WINDOW_MS)}`;
      for (const c of counts) {
        const by = packedIncrement(c.signals);
        if (by > 0) map.incr(`rk:${c.entity}${suffix}`, by, windowTtl);
      }
    },
    read(entity: string, signals: string): number[] {
      // One clock read for the pass, and two map reads (this window, the last).
      const t = now();
      const w = Math.floor(t / RISK_WINDOW_MS);
      const share = 1 - (t - w * RISK_WINDOW_MS) / RISK_WINDOW_MS;
      const current = count(`rk:${entity}@${w}`);
      const previous = count(`rk:${entity}@${w - 1}`);
      const out = new Array<number>(signals.length);
      for (let i = 0; i < signals.length; i++) {
        const f = fieldOf(signals[i] as string);
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
  /** One key per signal, `<entity>:<letter>` (a letter checked, as in shared memory). */
  const signalKey = (entity: string, letter: string): string => {
    fieldOf(letter);
    return `${entity}:${letter}`;
  };
  return Object.freeze({
    async add(counts: readonly EntityCount[]): Promise<void> {
      const w = Math.floor(now() / RISK_WINDOW_MS);
      const pending: Promise<number>[] = [];
      for (const c of counts) for (const letter of c.signals) pending.push(store.incr(keyOf(signalKey(c.entity, letter), w), WINDOW_TTL_MS));
      await Promise.all(pending);
    },
    async read(entity: string, signals: string): Promise<number[]> {
      const t = now();
      const w = Math.floor(t / RISK_WINDOW_MS);
      const share = 1 - (t - w * RISK_WINDOW_MS) / RISK_WINDOW_MS;
      const letters = [...signals];
      const values = await Promise.all(letters.flatMap((letter) => {
        const key = signalKey(entity, letter);
        return [store.get(keyOf(key, w)), store.get(keyOf(key, w - 1))];
      }));
      return letters.map((_, i) => (Number(values[2 * i] ?? 0) || 0) + (Number(values[2 * i + 1] ?? 0) || 0) * share);
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
