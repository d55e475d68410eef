/**
 * The checks of `hurdle doctor`. Each looks at one thing a start (or a running service)
 * depends on and says ok, warn, fail or skip, with what it saw and what to change. They only
 * read: no DB, table, segment or secret file is created (an SQLite DB that is not there
 * yet is reported, not made), and every network wait is bounded by a connect timeout.
 */
import { existsSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConfigDb } from '../config-db.js';
import type { ServerOptions } from '../options.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  /** One line per file, node or figure behind the verdict. */
  details: string[];
}

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MiB`;

/** Where the shared-memory segments live (a tmpfs on Linux). */
export const SHM_DIR = '/dev/shm';

/** Room in /dev/shm for the segments a start creates: config, and state unless the ring holds it. */
export function checkShm(options: Readonly<ServerOptions>, dir = SHM_DIR, statfs: (path: string) => { bavail: number; bsize: number } = statfsSync): CheckResult {
  const name = 'shm';
  if (options.singleProcess) return { name, status: 'skip', message: 'singleProcess: no shared-memory segments', details: [] };
  const needed = options.shm.configBytes + (options.ring === '' ? options.shm.stateBytes : 0);
  const parts = options.ring === '' ? 'shm.configBytes + shm.stateBytes' : 'shm.configBytes; the ring holds the state';
  let free: number;
  try {
    const fs = statfs(dir);
    free = fs.bavail * fs.bsize;
  } catch (err) {
    return {
      name, status: 'warn', details: [],
      message: `cannot read ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): without shared memory the service runs in one process`,
    };
  }
  if (free < needed) {
    return { name, status: 'fail', details: [], message: `${dir} has ${mib(free)} free, the segments need ${mib(needed)} (${parts}): lower them or enlarge ${dir}` };
  }
  return { name, status: 'ok', details: [], message: `${mib(needed)} of segments (${parts}) fit in the ${mib(free)} free in ${dir}` };
}

/** The SQLite file a start would open, or undefined for PostgreSQL. */
export function sqlitePath(options: Readonly<ServerOptions>): string | undefined {
  if (/^postgres(ql)?:\/\//.test(options.db)) return undefined;
  return resolve(options.db === '' ? join(options.dataDir, 'hurdle.db') : options.db.replace(/^sqlite:/, ''));
}

/** Does this config file hold a secret (so that its mode matters)? */
function configHoldsSecret(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    const data = JSON.parse(text) as { adminToken?: unknown; db?: unknown; ringOptions?: { password?: unknown } };
    return (typeof data.adminToken === 'string' && data.adminToken !== '')
      || (typeof data.ringOptions?.password === 'string' && data.ringOptions.password !== '')
      || (typeof data.db === 'string' && (/\/\/[^:/@]+:[^@]+@/.test(data.db) || /[?&]password=/i.test(data.db)));
  } catch {
    return false;
  }
}

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/**
 * The data dir and the files that hold secrets: the SQLite DB (it holds the signing keys)
 * with its -wal/-shm, the admin token, the demo secret, a TLS key, and the config file when
 * it holds a password or the admin token. A secret file that group or others may access
 * fails; a data dir they may list only warns, since the files in it keep their own modes.
 */
export function checkPermissions(options: Readonly<ServerOptions>, configFile: string | undefined): CheckResult {
  const name = 'permissions';
  const dataDir = resolve(options.dataDir);
  const details: string[] = [];
  let fails = 0;
  let warns = 0;
  const dirStat = statSync(dataDir, { throwIfNoEntry: false });
  if (dirStat === undefined) {
    details.push(`${dataDir}: not there yet (a start creates it 0700)`);
  } else if (!dirStat.isDirectory()) {
    fails += 1;
    details.push(`${dataDir}: not a directory (option 'dataDir')`);
  } else if ((dirStat.mode & 0o077) !== 0) {
    warns += 1;
    details.push(`${dataDir}: mode ${octal(dirStat.mode)}, group/others may list it (chmod 700 ${dataDir})`);
  } else {
    details.push(`${dataDir}: mode ${octal(dirStat.mode)}`);
  }
  const secretFiles: string[] = [];
  const db = sqlitePath(options);
  if (db !== undefined) secretFiles.push(db, `${db}-wal`, `${db}-shm`);
  if (options.adminToken === '') secretFiles.push(join(dataDir, 'admin-token'));
  secretFiles.push(join(dataDir, 'demo-secret'));
  if (options.ringOptions.tlsKeyFile !== '') secretFiles.push(resolve(options.ringOptions.tlsKeyFile));
  if (configFile !== undefined && configHoldsSecret(configFile)) secretFiles.push(resolve(configFile));
  for (const file of secretFiles) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if ((st.mode & 0o077) !== 0) {
      fails += 1;
      details.push(`${file}: mode ${octal(st.mode)}, group/others may read it (chmod 600 ${file})`);
    } else {
      details.push(`${file}: mode ${octal(st.mode)}`);
    }
  }
  if (fails > 0) return { name, status: 'fail', details, message: `${fails} file(s) holding secrets are open to group/others` };
  if (warns > 0) return { name, status: 'warn', details, message: 'the data dir is open to group/others (the secret files in it are not)' };
  return { name, status: 'ok', details, message: 'the data dir and the secret files are owner-only' };
}

/**
 * Can the config DB be reached and read? Returns the open connection for the clock check
 * (the caller closes it). An SQLite file that does not exist yet is a warning: the first
 * start creates it, and opening it here would create it with this user's ownership.
 */
export async function checkDatabase(options: Readonly<ServerOptions>): Promise<{ result: CheckResult; db: ConfigDb | undefined }> {
  const name = 'database';
  const file = sqlitePath(options);
  if (file !== undefined && !existsSync(file)) {
    return { result: { name, status: 'warn', details: [file], message: `SQLite DB ${file} does not exist yet (the first start creates it)` }, db: undefined };
  }
  const { openConfigDb } = await import('../config-db.js');
  let db: ConfigDb | undefined;
  try {
    // The permissions check reports loose modes; this one asks whether the DB answers.
    db = await openConfigDb(options.db, options.dataDir, { requirePrivateFiles: false });
    // PostgreSQL connects lazily: the clock query proves the server answers before the
    // tables are read, so that a DB without Hurdle's tables yet is told apart from one down.
    if (db.clockMs !== undefined) await db.clockMs();
  } catch (err) {
    await db?.close();
    return { result: { name, status: 'fail', details: [], message: describeError(err) }, db: undefined };
  }
  try {
    const sites = await db.listSites();
    const keys = await db.getMeta('hmac_keys');
    const details = [`${sites.length} site(s)`, keys === undefined ? 'no signing keys yet (the first start creates them)' : 'signing keys present'];
    return { result: { name, status: 'ok', details, message: `${db.description} answers` }, db };
  } catch (err) {
    if (missingTables(err)) {
      return { result: { name, status: 'warn', details: [], message: `${db.description} answers but has no Hurdle tables yet (the first start creates them)` }, db };
    }
    await db.close();
    return { result: { name, status: 'fail', details: [], message: describeError(err) }, db: undefined };
  }
}

function describeError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return `${(err as Error).message}${typeof code === 'string' ? ` [${code}]` : ''}`;
}

/** SQLite's "no such table", PostgreSQL's undefined_table (42P01): a DB never migrated. */
function missingTables(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  return cause?.code === '42P01' || (typeof cause?.message === 'string' && cause.message.includes('no such table'));
}

/** Clock skew beyond which the check warns: token and challenge lifetimes are checked against each machine's clock. */
export const CLOCK_WARN_MS = 1_000;
/** Clock skew beyond which it fails: a tenth of the default token lifetime. */
export const CLOCK_FAIL_MS = 30_000;

/**
 * This machine's clock against the PostgreSQL server's, which every machine of a deployment
 * shares: two machines far apart on it disagree on when tokens and challenges expire.
 */
export async function checkClock(options: Readonly<ServerOptions>, db: ConfigDb | undefined): Promise<CheckResult> {
  const name = 'clock';
  if (sqlitePath(options) !== undefined) {
    return { name, status: 'skip', details: [], message: 'skipped: an SQLite DB lives on this machine and has no other clock to compare with' };
  }
  if (db?.clockMs === undefined) return { name, status: 'skip', details: [], message: 'skipped: the config DB is unreachable (see the database check)' };
  try {
    const before = Date.now();
    const server = await db.clockMs();
    const after = Date.now();
    const skew = Math.round(server - (before + after) / 2);
    const details = [`skew ${skew} ms`, `round trip ${after - before} ms`];
    const abs = Math.abs(skew);
    if (abs >= CLOCK_FAIL_MS) return { name, status: 'fail', details, message: `this clock is ${skew} ms off the DB server's: fix time sync (NTP) on this machine or the DB server` };
    if (abs >= CLOCK_WARN_MS) return { name, status: 'warn', details, message: `this clock is ${skew} ms off the DB server's (more than ${CLOCK_WARN_MS} ms): check time sync` };
    return { name, status: 'ok', details, message: `within ${abs} ms of the DB server's clock` };
  } catch (err) {
    return { name, status: 'fail', details: [], message: `cannot read the DB server's clock: ${(err as Error).message}` };
  }
}

/** With `ring` set: ZooKeeper answers and lists Redis nodes under the ring's root. */
export async function checkRing(options: Readonly<ServerOptions>, connectTimeoutMs = 3_000): Promise<CheckResult> {
  const name = 'ring';
  if (options.ring === '') return { name, status: 'skip', details: [], message: 'skipped: not in ring mode (option ring is empty; state in shared memory)' };
  const { parseRingUrl } = await import('../options.js');
  const { connect, root } = parseRingUrl(options.ring);
  const { createZooKeeperMembership } = await import('@hurdle/ring');
  let membership: Awaited<ReturnType<typeof createZooKeeperMembership>>;
  try {
    membership = await createZooKeeperMembership({ connect, root, connectTimeoutMs, sessionTimeoutMs: options.ringOptions.sessionTimeoutMs });
  } catch (err) {
    return { name, status: 'fail', details: [], message: `ZooKeeper ${connect}: ${describeError(err)}` };
  }
  try {
    const nodes = membership.nodes();
    const details = nodes.map((n) => `${n.id} ${n.host}:${n.port}${n.weight === 1 ? '' : ` weight ${n.weight}`}`);
    const replicas = options.ringOptions.replicas;
    if (nodes.length === 0) {
      return { name, status: 'fail', details, message: `ZooKeeper ${connect} answers, but no Redis node is registered under ${root}: start the ring agents (hurdle ring-agent --root ${root})` };
    }
    if (nodes.length < replicas) {
      return { name, status: 'warn', details, message: `${nodes.length} Redis node(s) under ${root}, fewer than ringOptions.replicas (${replicas}): keys have fewer copies` };
    }
    return { name, status: 'ok', details, message: `${nodes.length} Redis node(s) registered under ${root}` };
  } finally {
    await membership.close();
  }
}
