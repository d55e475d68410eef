import type { SharedMap } from './shared-map.js';

/**
 * The store shape `@hurdle/challenge` declares (`ChallengeStore`), declared
 * here structurally so that this package depends on no other.
 */
export interface ShmChallengeStore {
  set(key: string, value: string, ttlMs: number): Promise<void>;
  add(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  take(key: string): Promise<string | undefined>;
  incr(key: string, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
}

/**
 * Adapt a `'string'`-codec map to the challenge store: every call is one
 * synchronous map operation (`take` and `incr` under the writer lock, so they
 * are atomic across the machine's processes), wrapped in a promise; errors
 * reject with the map's coded `ShmError`.
 */
export function createShmChallengeStore(map: SharedMap<string>): ShmChallengeStore {
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  return Object.freeze({
    set: (key: string, value: string, ttlMs: number) => run(() => map.set(key, value, { ttlMs })),
    add: (key: string, value: string, ttlMs: number) => run(() => map.add(key, value, { ttlMs })),
    get: (key: string) => run(() => map.get(key)),
    take: (key: string) => run(() => map.take(key)),
    incr: (key: string, ttlMs: number) => run(() => map.incr(key, 1, { ttlMs })),
    delete: (key: string) => run(() => {
      map.delete(key);
    }),
  });
}
