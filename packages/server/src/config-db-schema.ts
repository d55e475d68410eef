/**
 * The config DB's tables, shared by the SQLite and PostgreSQL modules: migrations, the row
 * shape and its mapping to {@link SiteRecord}.
 */
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
