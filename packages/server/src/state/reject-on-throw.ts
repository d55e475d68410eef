/**
 * Stores answer through promises only: a bad argument is a rejected promise, never a
 * synchronous throw, so a caller's `await` / `.catch` sees every failure in one place.
 */
import type { ChallengeStore } from '@hurdle/challenge';

/** Run `fn`; a synchronous throw becomes the returned promise's rejection. */
export function callAsync<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/**
 * Wrap a store whose methods may throw synchronously on bad input (the in-memory store of
 * `@hurdle/challenge` checks `ttlMs` before it makes its promise) so that they reject instead.
 */
export function rejectOnThrow(store: ChallengeStore): ChallengeStore {
  return Object.freeze({
    set: (key: string, value: string, ttlMs: number) => callAsync(() => store.set(key, value, ttlMs)),
    add: (key: string, value: string, ttlMs: number) => callAsync(() => store.add(key, value, ttlMs)),
    get: (key: string) => callAsync(() => store.get(key)),
    take: (key: string) => callAsync(() => store.take(key)),
    incr: (key: string, ttlMs: number) => callAsync(() => store.incr(key, ttlMs)),
    delete: (key: string) => callAsync(() => store.delete(key)),
  });
}
