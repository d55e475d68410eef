/**
 * The challenge/token state store, adapted to `ChallengeStore` of @hurdle/challenge:
 * the shared-memory map on one machine (default), or the Redis ring (`ring` option).
 */
import type { ChallengeStore } from '@hurdle/challenge';
import { createSharedCounters, createShmChallengeStore } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';
import { createRing, createZooKeeperMembership } from '@hurdle/ring';
import type { Ring, RingConnection } from '@hurdle/ring';
import { readFileSync } from 'node:fs';
import { ServerError } from './errors.js';
import { parseRingUrl } from './options.js';
import type { RingOptions } from './options.js';

/**
 * Rate-limit counters in fixed windows: per client IP per minute, per site per second.
 * Given to the app on one machine (shared memory); without them the app counts with the
 * store's `incr` (the ring, which every machine shares).
 */
export interface RateLimitCounters {
  /**
   * Count one request of `key` in the current window of `scope` (`ip`: 60 s, `site`: 1 s)
   * and return the window's count; a count already over `limit` is returned without
   * counting (a flood from one client does not keep taking the writer lock).
   */
  hit(scope: 'ip' | 'site', key: string, limit: number): number;
}

/** A store plus what readiness and metrics need to know about it. */
export interface StateStoreHandle {
  readonly kind: 'shm' | 'ring';
  readonly store: ChallengeStore;
  /** Machine-local rate-limit counters (shm only; the ring counts with `store.incr`). */
  readonly rateCounters?: RateLimitCounters;
  /** False while the store is known to be unreachable. */
  healthy(): boolean;
  /** Ring node states (empty for shm). */
  nodes(): Record<string, 'up' | 'down'>;
  close(): Promise<void>;
}

/**
 * Rate-limit counters over a shared-memory map (`createSharedCounters` of @hurdle/shm):
 * exact across the machine's processes. Reads take no lock, so a client already over its
 * limit is refused without a write; each counted request is one `incr` under the writer lock.
 */
export function createShmRateCounters(map: SharedMap<string>, now: () => number = Date.now): RateLimitCounters {
  const ip = createSharedCounters(map, { windowMs: 60_000, prefix: 'rl:ip:', now });
  const site = createSharedCounters(map, { windowMs: 1000, prefix: 'rl:site:', now });
  return Object.freeze({
    hit(scope: 'ip' | 'site', key: string, limit: number): number {
      const counters = scope === 'ip' ? ip : site;
      const current = counters.get(key);
      return current >= limit ? current + 1 : counters.add(key);
    },
  });
}

/**
 * ChallengeStore over a shared-memory map (string codec): `createShmChallengeStore` of
 * @hurdle/shm (one synchronous map call per operation, in a promise; `take` and `incr`
 * under the writer lock), plus the map's rate-limit counters.
 */
export function createShmStore(map: SharedMap<string>): StateStoreHandle {
  return {
    kind: 'shm',
    store: createShmChallengeStore(map),
    rateCounters: createShmRateCounters(map),
    healthy: () => !map.closed,
    nodes: () => ({}),
    close: () => Promise.resolve(),
  };
}

/** Ring AUTH/TLS from the server options; certificate files are read once, at open. */
function ringConnection(o: RingOptions): RingConnection {
  const read = (path: string, name: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ServerError('SERVER_ERR_INVALID_OPTION', `option 'ringOptions.${name}': cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  const tls = o.tls || o.tlsCaFile !== '' || o.tlsCertFile !== '' ? {
    ...(o.tlsCaFile === '' ? {} : { ca: read(o.tlsCaFile, 'tlsCaFile') }),
    ...(o.tlsCertFile === '' ? {} : { cert: read(o.tlsCertFile, 'tlsCertFile') }),
    ...(o.tlsKeyFile === '' ? {} : { key: read(o.tlsKeyFile, 'tlsKeyFile') }),
    ...(o.tlsServername === '' ? {} : { servername: o.tlsServername }),
  } : undefined;
  return {
    ...(o.username === '' ? {} : { username: o.username }),
    ...(o.password === '' ? {} : { password: o.password }),
    ...(tls === undefined ? {} : { tls }),
  };
}

/** Connect to the Redis ring named by `zk://HOST:PORT/ROOT`. */
export async function openRingStore(url: string, options: RingOptions): Promise<StateStoreHandle & { ring: Ring }> {
  const { connect, root } = parseRingUrl(url);
  const membership = await createZooKeeperMembership({ connect, root, sessionTimeoutMs: options.sessionTimeoutMs });
  const ring = createRing({
    membership,
    connection: ringConnection(options),
    replicas: options.replicas,
    writeQuorum: options.writeQuorum,
    commandTimeoutMs: options.commandTimeoutMs,
  });
  await ring.ready();
  const seen = new Set<string>();
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
    nodes: () => {
      // A node that left the membership (its agent saw its Redis die) is reported down,
      // not dropped: a dropped label would keep its last value ('up') in the gauge.
      const out: Record<string, 'up' | 'down'> = {};
      for (const id of seen) out[id] = 'down';
      for (const n of ring.nodes()) {
        seen.add(n.id);
        out[n.id] = n.state === 'up' ? 'up' : 'down';
      }
      return out;
    },
    async close() {
      await ring.close();
      await membership.close();
    },
  };
}
