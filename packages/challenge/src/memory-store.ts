import type { ChallengeStore } from './challenge-store.js';
import { ChallengeError, describeValue } from './errors.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Clock in epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Upper bound on live entries; beyond it `set`/`add`/`incr` evict the oldest. @default 1_000_000 */
  readonly maxEntries?: number;
}

/** A {@link ChallengeStore} in process memory (tests and development; one process only). */
export interface MemoryStore extends ChallengeStore {
  /** Live entries (expired ones are dropped first). */
  size(): number;
  clear(): void;
}

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * Create an in-memory {@link ChallengeStore}.
 *
 * Every operation completes synchronously before its promise is returned, so on one
 * event loop `add`, `take` and `incr` are atomic. Expired entries are invisible at once
 * and are reclaimed incrementally: each write examines the next two entries of a
 * round-robin pass over the map.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1_000_000;
  if (typeof now !== 'function') {
    throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `now: expected a function, got ${describeValue(now)}`);
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new ChallengeError(
      'CHALLENGE_ERR_INVALID_OPTION',
      `maxEntries: expected an integer >= 1, got ${describeValue(maxEntries)}`,
    );
  }
  const map = new Map<string, Entry>();

  function live(key: string, t: number): Entry | undefined {
    const e = map.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= t) {
      map.delete(key);
      return undefined;
    }
    return e;
  }

  /** Every store answers bad input with a rejection, never a synchronous throw: callers only `.catch`. */
  function checkTtl(ttlMs: number): void {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
      throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `ttlMs: expected a finite number > 0, got ${describeValue(ttlMs)}`);
    }
  }

  // Incremental expiry: one long-lived iterator advances two entries per write and starts
  // over at the end. Map iterators stay valid across inserts and deletes, and each pass
  // skips the holes left by deletes once, so a write costs O(1) however many keys were taken.
  let cursor = map.entries();

  function sweepStep(t: number): void {
    for (let i = 0; i < 2; i++) {
      const next = cursor.next();
      if (next.done === true) {
        cursor = map.entries();
        return;
      }
      const [k, e] = next.value;
      if (e.expiresAt <= t) map.delete(k);
    }
  }

  function put(key: string, value: string, ttlMs: number, t: number): void {
    const e = map.get(key);
    if (e !== undefined) {
      e.value = value;
      e.expiresAt = t + ttlMs;
    } else {
      map.set(key, { value, expiresAt: t + ttlMs });
      if (map.size > maxEntries) {
        // Over the bound: drop the oldest insertion (rare; a fresh iterator from the front).
        const oldest = map.keys().next();
        if (oldest.done !== true) map.delete(oldest.value);
      }
    }
    sweepStep(t);
  }

  const store: MemoryStore = {
    async set(key, value, ttlMs) {
      checkTtl(ttlMs);
      put(key, value, ttlMs, now());
    },
    async add(key, value, ttlMs) {
      checkTtl(ttlMs);
      const t = now();
      if (live(key, t) !== undefined) return false;
      put(key, value, ttlMs, t);
      return true;
    },
    get(key) {
      return Promise.resolve(live(key, now())?.value);
    },
    take(key) {
      const e = live(key, now());
      if (e === undefined) return Promise.resolve(undefined);
      map.delete(key);
      return Promise.resolve(e.value);
    },
    async incr(key, ttlMs) {
      checkTtl(ttlMs);
      const t = now();
      const e = live(key, t);
      if (e === undefined) {
        put(key, '1', ttlMs, t);
        return 1;
      }
      const n = (Number.parseInt(e.value, 10) || 0) + 1;
      e.value = String(n);
      return n;
    },
    delete(key) {
      map.delete(key);
      return Promise.resolve();
    },
    size() {
      const t = now();
      for (const [k, e] of map) if (e.expiresAt <= t) map.delete(k);
      return map.size;
    },
    clear() {
      map.clear();
    },
  };
  return Object.freeze(store);
}
