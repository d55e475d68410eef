/**
 * The challenge/token state store, adapted to `ChallengeStore` of @hurdle/challenge:
 * the shared-memory map on one machine (default), or the Redis ring (`ring` option).
 */
import type { ChallengeStore } from '@hurdle/challenge';
import type { SharedMap } from '@hurdle/shm';
import { createRing, createZooKeeperMembership } from '@hurdle/ring';
import type { Ring } from '@hurdle/ring';
import { parseRingUrl } from './options.js';
import type { RingOptions } from './options.js';

/** A store plus what readiness and metrics need to know about it. */
export interface StateStoreHandle {
  readonly kind: 'shm' | 'ring';
  readonly store: ChallengeStore;
  /** False while the store is known to be unreachable. */
  healthy(): boolean;
  /** Ring node states (empty for shm). */
  nodes(): Record<string, 'up' | 'down'>;
  close(): Promise<void>;
}

/** ChallengeStore over a shared-memory map (string codec). Synchronous underneath. */
export function createShmStore(map: SharedMap<string>): StateStoreHandle {
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
  const store: ChallengeStore = {
    set: (key, value, ttlMs) => run(() => { map.set(key, value, { ttlMs }); }),
    add: (key, value, ttlMs) => run(() => map.add(key, value, { ttlMs })),
    get: (key) => run(() => {
      const v = map.get(key) as unknown;
      return v === undefined ? undefined : String(v);
    }),
    take: (key) => run(() => {
      const v = map.take(key) as unknown;
      return v === undefined ? undefined : String(v);
    }),
    incr: (key, ttlMs) => run(() => map.incr(key, 1, { ttlMs })),
    delete: (key) => run(() => { map.delete(key); }),
  };
  return {
    kind: 'shm',
    store,
    healthy: () => !map.closed,
    nodes: () => ({}),
    close: () => Promise.resolve(),
  };
}

/** Connect to the Redis ring named by `zk://HOST:PORT/ROOT`. */
export async function openRingStore(url: string, options: RingOptions): Promise<StateStoreHandle & { ring: Ring }> {
  const { connect, root } = parseRingUrl(url);
  const membership = await createZooKeeperMembership({ connect, root, sessionTimeoutMs: options.sessionTimeoutMs });
  const ring = createRing({
    membership,
    replicas: options.replicas,
    writeQuorum: options.writeQuorum,
    commandTimeoutMs: options.commandTimeoutMs,
  });
  await ring.ready();
  const store: ChallengeStore = {
    set: (key, value, ttlMs) => ring.set(key, value, ttlMs),
    add: (key, value, ttlMs) => ring.add(key, value, ttlMs),
    get: (key) => ring.get(key),
    take: (key) => ring.take(key),
    incr: (key, ttlMs) => ring.incr(key, ttlMs),
    delete: (key) => ring.delete(key),
  };
  return {
    kind: 'ring',
    ring,
    store,
    healthy: () => ring.nodes().some((n) => n.state === 'up'),
    nodes: () => Object.fromEntries(ring.nodes().map((n) => [n.id, n.state === 'up' ? 'up' : 'down'])),
    async close() {
      await ring.close();
      await membership.close();
    },
  };
}
