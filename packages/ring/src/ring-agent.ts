import { Redis } from 'ioredis';
import type { Client } from 'node-zookeeper-client';

import { invalidOption } from './errors.js';
import { parseNodeInfo } from './membership.js';
import type { RingConnection } from './redis-node.js';
import {
  ZK, checkConnectString, checkPositiveInt, checkRoot, connectZooKeeper, createEphemeral, exists, mkdirp,
  parseHostPort, remove, superviseSession, withTimeout, zkCode,
} from './zookeeper-session.js';

/** Options of {@link startRingAgent}. */
export interface RingAgentOptions {
  /** The Redis this agent watches and advertises, `host:port`. */
  readonly redis: string;
  /** ZooKeeper connect string, `host:port[,host:port...]`. */
  readonly zk: string;
  /** Stable node id (the ring hashes ids, so keep it across restarts and address changes). */
  readonly id: string;
  /** Parent znode of the members. @default '/hurdle/ring' */
  readonly root?: string;
  /** Health-check period in ms. @default 250 */
  readonly intervalMs?: number;
  /** Address clients should use, `host:port`, when it differs from `redis`. @default redis */
  readonly advertise?: string;
  /** Relative capacity written into the znode. @default 1 */
  readonly weight?: number;
  /** Timeout of one health check (PING) in ms. @default max(2 × intervalMs, 500) */
  readonly checkTimeoutMs?: number;
  /** Consecutive failed checks before the znode is removed. @default 2 */
  readonly failuresToRemove?: number;
  /** ZooKeeper session timeout in ms. @default 10000 */
  readonly sessionTimeoutMs?: number;
  /** How long the first ZooKeeper connection may take, in ms. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Credentials and TLS for the watched Redis (the same shape the ring client takes). @default {} */
  readonly connection?: RingConnection;
  /** Receives state changes and non-fatal errors (for the CLI's log). @default no-op */
  readonly onEvent?: (event: RingAgentEvent) => void;
}

/** What the agent reports through `onEvent`. */
export type RingAgentEvent =
  | { readonly type: 'registered'; readonly path: string }
  | { readonly type: 'unregistered'; readonly path: string; readonly reason: string }
  | { readonly type: 'redis-unhealthy'; readonly reason: string }
  | { readonly type: 'redis-healthy' }
  | { readonly type: 'zk-session-expired' }
  | { readonly type: 'error'; readonly message: string };

/** A running agent. */
export interface RingAgent {
  /** True while the node's ephemeral znode is believed present. */
  readonly registered: boolean;
  /** Removes the znode, closes both connections; idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs the ring agent beside one Redis: every `intervalMs` it PINGs the Redis (with a
 * timeout of `checkTimeoutMs`) and keeps the ephemeral znode `${root}/${id}` present exactly
 * while the Redis is healthy. If the agent itself dies, ZooKeeper drops the znode after
 * the session timeout. Rejects with `RING_ERR_ZK_UNREACHABLE` when ZooKeeper cannot be
 * reached at start.
 */
export async function startRingAgent(options: RingAgentOptions): Promise<RingAgent> {
  const redisAddr = parseHostPort('redis', options.redis);
  const advertised = options.advertise === undefined ? redisAddr : parseHostPort('advertise', options.advertise);
  const o = Object.freeze({
    zk: checkConnectString('zk', options.zk),
    root: checkRoot('root', options.root ?? '/hurdle/ring'),
    intervalMs: checkPositiveInt('intervalMs', options.intervalMs ?? 250, 10, 60_000),
    checkTimeoutMs: checkPositiveInt('checkTimeoutMs', options.checkTimeoutMs ?? Math.max(2 * (options.intervalMs ?? 250), 500), 1, 60_000),
    failuresToRemove: checkPositiveInt('failuresToRemove', options.failuresToRemove ?? 2, 1, 100),
    sessionTimeoutMs: checkPositiveInt('sessionTimeoutMs', options.sessionTimeoutMs ?? 10_000, 100, 600_000),
    connectTimeoutMs: checkPositiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1, 600_000),
    onEvent: options.onEvent ?? ((): void => undefined),
  });
  const info = parseNodeInfo({ id: options.id, host: advertised.host, port: advertised.port, weight: options.weight ?? 1 });
  if (info.node === undefined) throw invalidOption('id/advertise/weight', options.id, info.problem ?? 'a valid node');
  const path = `${o.root}/${info.node.id}`;
  const data = Buffer.from(JSON.stringify(info.node));

  const conn = options.connection ?? {};
  const redis = new Redis({
    ...(conn.username === undefined ? {} : { username: conn.username }),
    ...(conn.password === undefined ? {} : { password: conn.password }),
    ...(conn.tls === undefined ? {} : { tls: conn.tls === true ? {} : conn.tls }),
    host: redisAddr.host,
    port: redisAddr.port,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    maxRetriesPerRequest: 0,
    commandTimeout: o.checkTimeoutMs,
    connectTimeout: Math.max(o.intervalMs, 200),
    retryStrategy: () => o.intervalMs,
  });
  redis.on('error', () => undefined); // failures surface through the PING results
  const connected = redis.connect().catch(() => undefined);

  let client: Client = await connectZooKeeper(o.zk, o.sessionTimeoutMs, o.connectTimeoutMs).catch(async (err: unknown) => {
    redis.disconnect();
    throw err;
  });
  const zkTimeoutMs = Math.max(o.intervalMs * 4, 1000);
  await withTimeout(mkdirp(client, o.root), zkTimeoutMs, 'mkdirp timed out');

  let stopped = false;
  let registered = false;
  let healthy = false;
  let failures = 0;
  let busy = false;
  let timer: NodeJS.Timeout | undefined;

  const onOwnNodeEvent = (): void => {
    // Our znode changed: if it is gone (removed by an operator, or by the expiry of an old
    // session of this id), register again on the next check. Re-arms the watch.
    if (stopped) return;
    exists(client, path, onOwnNodeEvent).then((stat) => {
      if (stat === undefined && registered) {
        registered = false;
        void tick();
      }
    }, () => undefined);
  };

  const adopt = (c: Client): void => {
    superviseSession(c, o.sessionTimeoutMs + 1000, () => {
      if (c !== client || stopped) return;
      registered = false;
      o.onEvent({ type: 'zk-session-expired' });
      c.close();
      const reopen = (): void => {
        if (stopped) return;
        connectZooKeeper(o.zk, o.sessionTimeoutMs, Math.max(o.sessionTimeoutMs, 1000)).then((next) => {
          if (stopped) {
            next.close();
            return;
          }
          client = next;
          adopt(next);
          void tick();
        }).catch(() => setTimeout(reopen, o.intervalMs).unref());
      };
      reopen();
    });
  };
  adopt(client);

  async function register(): Promise<void> {
    const c = client;
    try {
      await withTimeout(createEphemeral(c, path, data), zkTimeoutMs, 'create timed out');
    } catch (err) {
      if (zkCode(err) !== ZK.NODE_EXISTS) throw err;
      // A znode of a previous session of this id (agent restarted within the session
      // timeout): replace it so its expiry cannot remove the node later.
      await withTimeout(remove(c, path), zkTimeoutMs, 'remove timed out').catch(() => undefined);
      await withTimeout(createEphemeral(c, path, data), zkTimeoutMs, 'create timed out');
    }
    await withTimeout(exists(c, path, onOwnNodeEvent), zkTimeoutMs, 'exists timed out');
    registered = true;
    o.onEvent({ type: 'registered', path });
  }

  async function unregister(reason: string): Promise<void> {
    try {
      await withTimeout(remove(client, path), zkTimeoutMs, 'remove timed out');
    } catch (err) {
      if (zkCode(err) !== ZK.NO_NODE) throw err;
    }
    registered = false;
    o.onEvent({ type: 'unregistered', path, reason });
  }

  async function check(): Promise<string | undefined> {
    try {
      const pong = await redis.ping();
      return pong === 'PONG' ? undefined : `unexpected PING reply`;
    } catch (err) {
      return err instanceof Error ? err.message : 'PING failed';
    }
  }

  async function tick(): Promise<void> {
    if (busy || stopped) return;
    busy = true;
    try {
      const problem = await check();
      if (stopped) return;
      if (problem === undefined) {
        failures = 0;
        if (!healthy) o.onEvent({ type: 'redis-healthy' });
        healthy = true;
        if (!registered) await register();
      } else {
        failures++;
        if (healthy || failures === 1) o.onEvent({ type: 'redis-unhealthy', reason: problem });
        if (failures >= o.failuresToRemove) {
          healthy = false;
          if (registered) await unregister(problem);
        }
      }
    } catch (err) {
      o.onEvent({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    } finally {
      busy = false;
    }
  }

  const loop = (): void => {
    timer = setTimeout(() => {
      void tick().finally(() => {
        if (!stopped) loop();
      });
    }, o.intervalMs);
  };
  await withTimeout(connected, Math.max(o.intervalMs * 4, 1000), 'redis connect timed out').catch(() => undefined);
  await tick();
  loop();

  return {
    get registered() {
      return registered;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      if (registered) await unregister('agent stopped').catch(() => undefined);
      client.close();
      redis.disconnect();
    },
  };
}

