import zookeeper from 'node-zookeeper-client';
import type { Client, Stat } from 'node-zookeeper-client';

import { RingError, invalidOption } from './errors.js';

/** Parses and validates a `host:port` option value. */
export function parseHostPort(option: string, value: unknown): { host: string; port: number } {
  if (typeof value !== 'string') throw invalidOption(option, value, "a 'host:port' string");
  const i = value.lastIndexOf(':');
  const host = value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(value.slice(i + 1));
  if (i <= 0 || host.length === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidOption(option, value, "a 'host:port' string with a port in [1, 65535]");
  }
  return { host, port };
}

/** Validates a ZooKeeper connect string (`host:port[,host:port...][/chroot]`). */
export function checkConnectString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidOption(option, value, "a 'host:port[,host:port]' string");
  const hosts = value.split('/')[0] ?? '';
  for (const hp of hosts.split(',')) parseHostPort(option, hp);
  return value;
}

export function checkRoot(option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^(\/[A-Za-z0-9._-]+)+$/.test(value)) {
    throw invalidOption(option, value, "an absolute znode path like '/hurdle/ring'");
  }
  return value;
}

export function checkPositiveInt(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(option, value, `an integer in [${min}, ${max}]`);
  }
  return value;
}

/** Creates a client and waits for its session; closes it and throws when it takes too long. */
export function connectZooKeeper(connect: string, sessionTimeoutMs: number, connectTimeoutMs: number): Promise<Client> {
  const client = zookeeper.createClient(connect, { sessionTimeout: sessionTimeoutMs, spinDelay: 100, retries: 0 });
  return new Promise<Client>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('connected', onConnected);
      client.close();
      reject(new RingError('RING_ERR_ZK_UNREACHABLE',
        `could not reach ZooKeeper at ${connect} within ${connectTimeoutMs} ms (option connectTimeoutMs); is it running?`));
    }, connectTimeoutMs);
    const onConnected = (): void => {
      clearTimeout(timer);
      resolve(client);
    };
    client.once('connected', onConnected);
    client.connect();
  });
}

/** Exception codes of node-zookeeper-client, for matching. */
export const ZK = zookeeper.Exception;
export const CreateMode = zookeeper.CreateMode;

export function zkCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number'
    ? (err as { code: number }).code : undefined;
}

type Watcher = (event: unknown) => void;

export function getChildren(client: Client, path: string, watcher: Watcher): Promise<string[]> {
  return new Promise((resolve, reject) => {
    client.getChildren(path, watcher, (err, children) => (err ? reject(err) : resolve(children)));
  });
}

export function getData(client: Client, path: string, watcher: Watcher): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    client.getData(path, watcher, (err, data) => (err ? reject(err) : resolve(data ?? undefined)));
  });
}

export function exists(client: Client, path: string, watcher?: Watcher): Promise<Stat | undefined> {
  return new Promise((resolve, reject) => {
    const cb = (err: unknown, stat: Stat): void => (err ? reject(err) : resolve(stat ?? undefined));
    if (watcher) client.exists(path, watcher, cb);
    else client.exists(path, cb);
  });
}

export function mkdirp(client: Client, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.mkdirp(path, (err) => (err ? reject(err) : resolve()));
  });
}

export function createEphemeral(client: Client, path: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.create(path, data, CreateMode.EPHEMERAL, (err) => (err ? reject(err) : resolve()));
  });
}

export function remove(client: Client, path: string, version = -1): Promise<void> {
  return new Promise((resolve, reject) => {
    client.remove(path, version, (err) => (err ? reject(err) : resolve()));
  });
}

/** Rejects with `message` when `p` has not settled within `ms` (ZooKeeper queues requests while disconnected). */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Calls `onLost` (once) when the session expired, or when the client has not reconnected
 * within `stuckMs` of a disconnect. The second case matters: node-zookeeper-client can sit
 * forever in CONNECTING when a restarting server accepts the TCP connection but never
 * answers it, so the owner replaces the client with a fresh one.
 */
export function superviseSession(client: Client, stuckMs: number, onLost: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  let lost = false;
  const fire = (): void => {
    clearTimeout(timer);
    if (lost) return;
    lost = true;
    onLost();
  };
  client.on('disconnected', () => {
    clearTimeout(timer);
    timer = setTimeout(fire, stuckMs);
    timer.unref();
  });
  client.on('connected', () => clearTimeout(timer));
  client.on('expired', fire);
}
