/** `ChallengeStore` of @hurdle/challenge over a shared-memory map of @hurdle/shm (one machine). */
import type { ChallengeStore } from '@hurdle/challenge';
import type { SharedMap } from '@hurdle/shm';
import { callAsync } from './reject-on-throw.js';

/**
 * Adapt a `'string'`-codec map to the challenge store: every call is one synchronous map
 * operation (`take` and `incr` under the writer lock, so they are atomic across the
 * machine's processes), wrapped in a promise; errors reject with the map's coded `ShmError`.
 */
export function createShmChallengeStore(map: SharedMap<string>, onWriteError: (err: unknown) => void = () => undefined): ChallengeStore {
  // Writes report their failure (a full segment is logged for the operator) and still reject.
  const write = <T>(fn: () => T): Promise<T> => callAsync(fn).catch((err: unknown) => {
    onWriteError(err);
    throw err;
  });
  return Object.freeze({
    set: (key: string, value: string, ttlMs: number) => write(() => map.set(key, value, { ttlMs })),
    add: (key: string, value: string, ttlMs: number) => write(() => map.add(key, value, { ttlMs })),
    get: (key: string) => callAsync(() => map.get(key)),
    take: (key: string) => callAsync(() => map.take(key)),
    incr: (key: string, ttlMs: number) => write(() => map.incr(key, 1, { ttlMs })),
    delete: (key: string) => callAsync(() => {
      map.delete(key);
    }),
  });
}
