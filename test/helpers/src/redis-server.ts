import { freePort } from './free-port.js';
import { ManagedProcess, ServerHandle, resolveBinary } from './managed-process.js';
import { tcpExchange } from './tcp-probe.js';

/** Options of {@link startRedis}. */
export interface RedisServerOptions {
  /** Keep data across restarts: AOF (fsync every second) plus RDB snapshots. @default false */
  readonly persistence?: boolean;
  /** Path of the `redis-server` executable. @default found on PATH */
  readonly binary?: string;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. @default [] */
  readonly args?: readonly string[];
  /** Deadline for the server to answer PING. @default 15000 */
  readonly readyTimeoutMs?: number;
}

export const REDIS_INSTALL_COMMAND = 'apt-get install -y redis-server';

const PING = '*1\r\n$4\r\nPING\r\n';

/** Sends a raw RESP PING; true when the reply is +PONG (not -LOADING or an error). */
export async function pingRedis(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  const reply = await tcpExchange(host, port, PING, (r) => r.includes('\r\n'), timeoutMs);
  return reply.startsWith('+PONG');
}

/** A running `redis-server` on a free loopback port with its own temp dir. */
export class RedisServer extends ServerHandle {
  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  /** @internal use {@link startRedis} */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const command = resolveBinary('redis-server', REDIS_INSTALL_COMMAND, { override: options.binary });
    const port = await freePort();
    const host = '127.0.0.1';
    const persistence = options.persistence ?? false;
    const managed = await ManagedProcess.start('redis-server', (dir) => ({
      command,
      args: [
        '--port', String(port),
        '--bind', host,
        '--dir', dir,
        '--daemonize', 'no',
        '--protected-mode', 'no',
        '--logfile', '',
        '--save', persistence ? '1 1' : '',
        '--appendonly', persistence ? 'yes' : 'no',
        ...(persistence ? ['--appendfsync', 'everysec'] : []),
        ...(options.args ?? []),
      ],
      probe: () => pingRedis(host, port),
      readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
    }));
    return new RedisServer(port, managed);
  }
}

/**
 * Starts `redis-server` on a free 127.0.0.1 port in a fresh temp dir, persistence off
 * unless asked; resolves once it answers PING. Throws with the install command when
 * `redis-server` is missing.
 */
export function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  return RedisServer.start(options);
}

/**
 * Starts `n` independent Redis servers in parallel. If any fails, the others are stopped
 * before the error propagates.
 */
export async function startRedisServers(n: number, options: RedisServerOptions = {}): Promise<RedisServer[]> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`startRedisServers: n must be a positive integer, got ${String(n)}`);
  const results = await Promise.allSettled(Array.from({ length: n }, () => startRedis(options)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<RedisServer>).value);
}
