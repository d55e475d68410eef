/**
 * The config DB: sites and a few meta values, in SQLite (embedded default, a file in the
 * data dir) or PostgreSQL. Only the primary process (and the CLI) opens it; requests never
 * query it. Every query is counted (`queryCount`), which the tests use to prove that.
 */
import { closeSync, fchmodSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ServerError } from './errors.js';
import { ensurePrivateDir, SECRET_FILE_MODE } from './secret-file.js';
import type { SiteRecord } from './site.js';

/** A config DB connection. */
export interface ConfigDb {
  readonly kind: 'sqlite' | 'postgres';
  /** Human description (no password). */
  readonly description: string;
  /** Queries issued so far by this connection. */
  readonly queryCount: number;
  /** Apply pending migrations (idempotent; safe when two instances start at once). */
  migrate(): Promise<void>;
  listSites(): Promise<SiteRecord[]>;
  /** Sites whose `updatedAt` is >= `sinceMs`. */
  sitesUpdatedSince(sinceMs: number): Promise<SiteRecord[]>;
  getSite(sitekey: string): Promise<SiteRecord | undefined>;
  /** Insert; `SERVER_ERR_SITE_EXISTS` when the sitekey is taken. */
  insertSite(site: SiteRecord): Promise<void>;
  /** Replace a stored site (by sitekey); `SERVER_ERR_SITE_NOT_FOUND` when absent. */
  updateSite(site: SiteRecord): Promise<void>;
  getMeta(key: string): Promise<string | undefined>;
  /** Store `value` under `key` unless one is there; returns the value now stored. */
  initMeta(key: string, value: string): Promise<string>;
  /** Store `value` under `key` (overwrites) and notify other instances. */
  setMeta(key: string, value: string): Promise<void>;
  /** Register a callback for change notifications from other writers (PostgreSQL LISTEN). */
  onChange(listener: () => void): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS sites (
    sitekey TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    prev_secret_hash TEXT,
    prev_secret_expires_at BIGINT,
    hostnames TEXT NOT NULL,
    challenge_types TEXT NOT NULL,
    difficulty INTEGER NOT NULL,
    image_set TEXT NOT NULL,
    rate_limit_per_second INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sites_updated_at ON sites (updated_at);
  CREATE INDEX IF NOT EXISTS sites_secret_hash ON sites (secret_hash);
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];

/** Row shape shared by both engines. */
export interface SiteRow {
  sitekey: string;
  name: string;
  secret_hash: string;
  prev_secret_hash: string | null;
  prev_secret_expires_at: number | string | null;
  hostnames: string;
  challenge_types: string;
  difficulty: number;
  image_set: string;
  rate_limit_per_second: number;
  enabled: number;
  created_at: number | string;
  updated_at: number | string;
}

export function rowToSite(row: SiteRow): SiteRecord {
  return {
    sitekey: row.sitekey,
    name: row.name,
    secretHash: row.secret_hash,
    prevSecretHash: row.prev_secret_hash,
    prevSecretExpiresAt: row.prev_secret_expires_at === null ? null : Number(row.prev_secret_expires_at),
    hostnames: JSON.parse(row.hostnames) as string[],
    challengeTypes: JSON.parse(row.challenge_types) as SiteRecord['challengeTypes'],
    difficulty: Number(row.difficulty),
    imageSet: row.image_set,
    rateLimitPerSecond: Number(row.rate_limit_per_second),
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function siteToParams(site: SiteRecord): unknown[] {
  return [
    site.sitekey, site.name, site.secretHash, site.prevSecretHash, site.prevSecretExpiresAt,
    JSON.stringify(site.hostnames), JSON.stringify(site.challengeTypes), site.difficulty, site.imageSet,
    site.rateLimitPerSecond, site.enabled ? 1 : 0, site.createdAt, site.updatedAt,
  ];
}

export const SITE_COLUMNS = 'sitekey, name, secret_hash, prev_secret_hash, prev_secret_expires_at, hostnames, challenge_types, difficulty, image_set, rate_limit_per_second, enabled, created_at, updated_at';

/** Open the config DB named by the `db` option (see the README). */
export async function openConfigDb(db: string, dataDir: string): Promise<ConfigDb> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    const { openPostgresConfigDb } = await import('./postgres-config-db.js');
    return openPostgresConfigDb(db);
  }
  const file = db === '' ? join(dataDir, 'hurdle.db') : db.replace(/^sqlite:/, '');
  const path = resolve(file);
  try {
    ensurePrivateDir(dirname(path));
  } catch (err) {
    throw new ServerError('SERVER_ERR_DB', `cannot create the data directory for '${path}' (option 'dataDir'/'db'): ${(err as Error).message}`);
  }
  // The DB holds the signing keys: a new file is made owner-only before SQLite opens it (its
  // -wal and -shm files then take the same mode). An existing file keeps the mode it has.
  try {
    const fd = openSync(path, 'wx', SECRET_FILE_MODE);
    fchmodSync(fd, SECRET_FILE_MODE);
    closeSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ServerError('SERVER_ERR_DB', `cannot create the SQLite config DB '${path}' (option 'dataDir'/'db'): ${(err as Error).message}`);
    }
  }
  const { openSqliteConfigDb } = await import('./sqlite-config-db.js');
  return openSqliteConfigDb(path);
}
