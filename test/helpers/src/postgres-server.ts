import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { TestHelperError } from './errors.js';
import { freePort } from './free-port.js';
import { ManagedProcess, ServerHandle, resolveBinary } from './managed-process.js';

/** Options of {@link startPostgres}. */
export interface PostgresServerOptions {
  /** Directory holding `initdb` and `postgres`. @default the highest /usr/lib/postgresql/<version>/bin */
  readonly binDir?: string;
  /** Extra `-c name=value` server settings, e.g. `{ max_connections: '50' }`. @default {} */
  readonly settings?: Readonly<Record<string, string>>;
  /** Deadline for the server to answer `select 1` after (re)start. @default 30000 */
  readonly readyTimeoutMs?: number;
}

export const POSTGRES_INSTALL_COMMAND = 'apt-get install -y postgresql';

const run = promisify(execFile);

/** The bin dir of the highest installed PostgreSQL major version, if any. */
function defaultBinDir(): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** uid/gid of the `postgres` OS user (PostgreSQL refuses to run as root). */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new TestHelperError(
      'TEST_ERR_MISSING_BINARY',
      `the 'postgres' OS user (needed to run PostgreSQL as root) not found: install it with '${POSTGRES_INSTALL_COMMAND}'`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** Opens a client, runs `fn`, always closes. */
async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>, timeoutMs = 1_000): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A running PostgreSQL cluster (fresh `initdb`, trust auth) on a free loopback port. */
export class PostgresServer extends ServerHandle {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  get url(): string {
    return this.urlFor('postgres');
  }

  /** Connection URL of database `name` on this server (user `postgres`, no password). */
  urlFor(name: string): string {
    return `postgres://postgres@${this.host}:${this.port}/${encodeURIComponent(name)}`;
  }

  /** Creates database `name` (letters, digits, `_`; must not exist) and resolves its URL. */
  async createDatabase(name: string): Promise<string> {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
      throw new RangeError(`createDatabase: name must match [A-Za-z_][A-Za-z0-9_]{0,62}, got ${JSON.stringify(name)}`);
    }
    await withClient(this.url, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`), 10_000);
    return this.urlFor(name);
  }

  /** Runs one SQL statement on the `postgres` database (a fresh connection) and resolves its rows. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<R[]> {
    return withClient(this.url, async (client) => (await client.query<R>(sql, values)).rows, 10_000);
  }

  /** @internal use {@link startPostgres} */
  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const binDir = options.binDir ?? defaultBinDir() ?? '/usr/lib/postgresql/<version>/bin';
    const initdb = resolveBinary('initdb', POSTGRES_INSTALL_COMMAND, { override: join(binDir, 'initdb') });
    const postgres = resolveBinary('postgres', POSTGRES_INSTALL_COMMAND, { override: join(binDir, 'postgres') });
    const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
    const port = await freePort();
    const host = '127.0.0.1';
    const url = `postgres://postgres@${host}:${port}/postgres`;
    const managed = await ManagedProcess.start('postgres', async (dir) => {
      const data = join(dir, 'data');
      mkdirSync(data, { mode: 0o700 });
      if (asUser) {
        chownSync(dir, asUser.uid, asUser.gid);
        chownSync(data, asUser.uid, asUser.gid);
      }
      const env = { ...process.env, HOME: dir, LC_ALL: 'C', PGTZ: 'UTC' };
      try {
        await run(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
          cwd: dir, env, ...(asUser ?? {}),
        });
      } catch (err) {
        const e = err as Error & { stderr?: string };
        throw new TestHelperError('TEST_ERR_START_FAILED', `initdb failed: ${e.message}\n${e.stderr ?? ''}`, { cause: err });
      }
      const settings: Record<string, string> = {
        listen_addresses: host,
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
        unix_socket_directories: dir,
        shared_buffers: '32MB',
        // Dynamic shared memory as files in the data dir, not /dev/shm: a SIGKILLed server
        // cannot remove its segments, and the temp dir's removal then takes them along.
        dynamic_shared_memory_type: 'mmap',
        ...(options.settings ?? {}),
      };
      return {
        command: postgres,
        args: ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
        env,
        ...(asUser ?? {}),
        // SIGTERM is "smart" shutdown (waits for clients to leave); SIGINT is "fast".
        stopSignal: 'SIGINT',
        probe: async () => (await withClient(url, (c) => c.query('select 1 as ok'))).rows[0]?.ok === 1,
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      };
    });
    return new PostgresServer(port, managed);
  }
}

/**
 * Starts a throwaway PostgreSQL (highest installed version) on a free 127.0.0.1 port:
 * `initdb` into a temp dir, trust auth, durability off for speed. As root, initdb and the
 * server run as the `postgres` OS user. `pause()` stops only the postmaster (existing
 * backends keep serving their connections; new connections hang).
 */
export function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  return PostgresServer.start(options);
}
