/**
 * The config DB's tables, shared by the SQLite and PostgreSQL modules: migrations, the row
 * shape and its mapping to {@link SiteRecord}.
 */
import { parseStoredSiteRisk } from './risk/site-risk-settings.js';
import type { SiteRecord } from './site.js';

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
  // Leases: one row per exclusive role (see state-lease.ts); the holder renews expires_at.
  `CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_start TEXT NOT NULL,
    port INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );`,
  // Sites choose whether a slide may be solved with the arrow keys; existing sites keep them.
  'ALTER TABLE sites ADD COLUMN keyboard_solve INTEGER NOT NULL DEFAULT 1;',
  // Risk engine settings as one JSON object (docs/risk.md); '' = the defaults.
  "ALTER TABLE sites ADD COLUMN risk TEXT NOT NULL DEFAULT '';",
];

/** A lease holder as stored in table `leases`. */
export interface LeaseHolder {
  /** Random id of one start of one instance. */
  readonly owner: string;
  readonly host: string;
  /** The host's boot id (Linux), so a holder from before a reboot is known dead. */
  readonly bootId: string;
  readonly pid: number;
  /** The holder process's start time as the kernel counts it, so a reused pid is not taken for it. */
  readonly pidStart: string;
  /** The port it serves on (for the operator reading an error). */
  readonly port: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface LeaseRow {
  owner: string;
  host: string;
  boot_id: string;
  pid: number | string;
  pid_start: string;
  port: number | string;
  started_at: number | string;
  expires_at: number | string;
}

export const LEASE_COLUMNS = 'owner, host, boot_id, pid, pid_start, port, started_at, expires_at';

export function rowToLease(row: LeaseRow): LeaseHolder {
  return {
    owner: row.owner, host: row.host, bootId: row.boot_id, pid: Number(row.pid), pidStart: row.pid_start,
    port: Number(row.port), startedAt: Number(row.started_at), expiresAt: Number(row.expires_at),
  };
}

export function leaseToParams(l: LeaseHolder): unknown[] {
  return [l.owner, l.host, l.bootId, l.pid, l.pidStart, l.port, l.startedAt, l.expiresAt];
}

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
  keyboard_solve: number;
  risk: string;
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
    keyboardSolve: Number(row.keyboard_solve) === 1,
    ...(row.risk ? { risk: parseStoredSiteRisk(row.risk) } : {}),
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function siteToParams(site: SiteRecord): unknown[] {
  return [
    site.sitekey, site.name, site.secretHash, site.prevSecretHash, site.prevSecretExpiresAt,
    JSON.stringify(site.hostnames), JSON.stringify(site.challengeTypes), site.difficulty, site.imageSet,
    site.rateLimitPerSecond, site.keyboardSolve ? 1 : 0, site.enabled ? 1 : 0, site.createdAt, site.updatedAt,
    site.risk === undefined ? '' : JSON.stringify(site.risk),
  ];
}

export const SITE_COLUMNS = 'sitekey, name, secret_hash, prev_secret_hash, prev_secret_expires_at, hostnames, challenge_types, difficulty, image_set, rate_limit_per_second, keyboard_solve, enabled, created_at, updated_at, risk';
