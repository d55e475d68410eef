/** `ChallengeStore` of @hurdle/challenge over the Redis ring of @hurdle/ring (every machine shares it). */
import type { ChallengeStore } from '@hurdle/challenge';
import type { Ring } from '@hurdle/ring';
import { callAsync } from './reject-on-throw.js';

/** Adapt a ring: each call is one ring command; errors reject with the ring's coded `RingError`. */
export function createRingChallengeStore(ring: Ring): ChallengeStore {
  return Object.freeze({
    set: (key: string, value: string, ttlMs: number) => callAsync(() => ring.set(key, value, ttlMs)),
    add: (key: string, value: string, ttlMs: number) => callAsync(() => ring.add(key, value, ttlMs)),
    get: (key: string) => callAsync(() => ring.get(key)),
    take: (key: string) => callAsync(() => ring.take(key)),
    incr: (key: string, ttlMs: number) => callAsync(() => ring.incr(key, ttlMs)),
    delete: (key: string) => callAsync(() => ring.delete(key)),
  });
}
