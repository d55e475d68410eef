import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';

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
  /** `requirepass`: the default user's password. Written to a 0600 config file, never to argv. @default none */
  readonly password?: string;
  /**
   * ACL users, one rule string each, e.g. `'hurdle on >secret ~* &* +@all'` (the `user`
   * directive's arguments). Written to the config file. @default none
   */
  readonly users?: readonly string[];
  /**
   * Credentials the readiness probe sends with `AUTH` (an ACL user). @default `password`
   * for the default user, or no AUTH
   */
  readonly probeAuth?: { readonly username?: string; readonly password: string };
  /** Serve TLS only: `port 0`, `tls-port` on the free port. @default plain TCP */
  readonly tls?: RedisTlsOptions;
  /** Extra `redis.conf` lines (for directives that should not be on argv). @default [] */
  readonly config?: readonly string[];
}

/** TLS files of a {@link startRedis} server (PEM paths, e.g. from `makeTestCertificates`). */
export interface RedisTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA clients' certificates are checked against (`tls-ca-cert-file`). */
  readonly caFile: string;
  /** `tls-auth-clients yes`: clients must present a certificate signed by `caFile`. @default false */
  readonly authClients?: boolean;
  /** Client certificate and key the readiness probe presents (needed with `authClients`). */
  readonly probeCertFile?: string;
  readonly probeKeyFile?: string;
}

export const REDIS_INSTALL_COMMAND = 'apt-get install -y redis-server';

const PING = '*1\r\n$4\r\nPING\r\n';

function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** How {@link pingRedis} reaches a server that wants AUTH or TLS. */
export interface PingOptions {
  readonly timeoutMs?: number;
  /** Sent as `AUTH [username] password` before the PING. */
  readonly auth?: { readonly username?: string; readonly password: string };
  /** Speak TLS with these options. */
  readonly tls?: ConnectionOptions;
}

/**
 * Sends a raw RESP PING (after AUTH when given); true when the reply is +PONG (not
 * -LOADING, -NOAUTH or another error).
 */
export async function pingRedis(host: string, port: number, options: number | PingOptions = {}): Promise<boolean> {
  const o: PingOptions = typeof options === 'number' ? { timeoutMs: options } : options;
  const auth = o.auth === undefined ? ''
    : resp(o.auth.username === undefined ? ['AUTH', o.auth.password] : ['AUTH', o.auth.username, o.auth.password]);
  const lines = auth === '' ? 1 : 2;
  const reply = await tcpExchange(host, port, auth + PING, (r) => r.split('\r\n').length > lines, o.timeoutMs ?? 1_000, o.tls);
  const replies = reply.split('\r\n');
  return replies.length > lines && (auth === '' || replies[0] === '+OK') && replies[lines - 1] === '+PONG';
}

/** A running `redis-server` on a free loopback port with its own temp dir. */
export class RedisServer extends ServerHandle {
  /** True when the port speaks TLS only. */
  readonly tls: boolean;

  private constructor(port: number, managed: ManagedProcess, tls: boolean) {
    super(port, managed);
    this.tls = tls;
  }

  /** `redis://127.0.0.1:<port>`, or `rediss://` for a TLS server. */
  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://${this.host}:${this.port}`;
  }

  /** @internal use {@link startRedis} */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const command = resolveBinary('redis-server', REDIS_INSTALL_COMMAND, { override: options.binary });
    const port = await freePort();
    const host = '127.0.0.1';
    const persistence = options.persistence ?? false;
    const tls = options.tls;
    const probeAuth = options.probeAuth ?? (options.password === undefined ? undefined : { password: options.password });
    const probeTls: ConnectionOptions | undefined = tls === undefined ? undefined : {
      ca: readFileSync(tls.caFile),
      ...(tls.probeCertFile === undefined ? {} : { cert: readFileSync(tls.probeCertFile) }),
      ...(tls.probeKeyFile === undefined ? {} : { key: readFileSync(tls.probeKeyFile) }),
    };
    const managed = await ManagedProcess.start('redis-server', (dir) => {
      // Secrets and TLS settings go to a config file readable by the owner only: argv is
      // visible to every local user in ps.
      const conf = join(dir, 'redis.conf');
      const quote = (v: string): string => JSON.stringify(v);
      writeFileSync(conf, [
        ...(options.password === undefined ? [] : [`requirepass ${quote(options.password)}`]),
        ...(options.users ?? []).map((u) => `user ${u}`),
        ...(tls === undefined ? [] : [
          'port 0',
          `tls-port ${port}`,
          `tls-cert-file ${quote(tls.certFile)}`,
          `tls-key-file ${quote(tls.keyFile)}`,
          `tls-ca-cert-file ${quote(tls.caFile)}`,
          `tls-auth-clients ${tls.authClients === true ? 'yes' : 'no'}`,
        ]),
        ...(options.config ?? []),
        '',
      ].join('\n'), { mode: 0o600 });
      return {
        command,
        args: [
          conf,
          ...(tls === undefined ? ['--port', String(port)] : []),
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
        probe: () => pingRedis(host, port, {
          ...(probeAuth === undefined ? {} : { auth: probeAuth }),
          ...(probeTls === undefined ? {} : { tls: probeTls }),
        }),
        readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
      };
    });
    return new RedisServer(port, managed, tls !== undefined);
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
