/**
 * The config DB's tables, shared by the SQLite and PostgreSQL modules: migrations, the row
 * shape and its mapping to {@link SiteRecord}.
 */
import { ANALYTICS_AND_AUDIT_TABLES, RISK_ANALYTICS_COLUMNS_MIGRATION } from './analytics-schema.js';
import { RISK_PREFIX_TABLE } from './risk-prefix-schema.js';
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
  // Per-site analytics (minute and hour buckets) and the audit log of admin actions.
  ANALYTICS_AND_AUDIT_TABLES,
  // The change log (see CHANGE_LOG below): every site row carries the sequence of its last
  // write, a deleted site leaves a tombstone with the sequence of its delete, and one counter
  // row hands out the sequences. Existing rows are numbered in listing order.
  `ALTER TABLE sites ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
  CREATE TABLE IF NOT EXISTS site_tombstones (sitekey TEXT PRIMARY KEY, change_seq BIGINT NOT NULL);
  CREATE TABLE IF NOT EXISTS change_counter (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL);
  UPDATE sites SET change_seq = ranked.n
    FROM (SELECT sitekey, row_number() OVER (ORDER BY created_at, sitekey) AS n FROM sites) AS ranked
    WHERE sites.sitekey = ranked.sitekey;
  INSERT INTO change_counter (id, seq) SELECT 1, COALESCE(MAX(change_seq), 0) FROM sites;
  CREATE INDEX IF NOT EXISTS sites_change_seq ON sites (change_seq);
  CREATE INDEX IF NOT EXISTS site_tombstones_change_seq ON site_tombstones (change_seq);`,
  // Risk engine settings as one JSON object (docs/risk.md); '' = the defaults.
  "ALTER TABLE sites ADD COLUMN risk TEXT NOT NULL DEFAULT '';",
  // The risk engine's per-site dashboard: escalations by level, refusals and score buckets in
  // the analytics cells, and the (hashed) networks behind refusals, failures and escalations.
  `${RISK_ANALYTICS_COLUMNS_MIGRATION}
  ${RISK_PREFIX_TABLE}`,
  // The proof of work's hash ('sha256' or 'scrypt'); existing sites keep SHA-256.
  "ALTER TABLE sites ADD COLUMN pow_algorithm TEXT NOT NULL DEFAULT 'sha256';",
];

/**
 * The change log. Every write of a site takes the next sequence from `change_counter` in the
 * same transaction as the row it stamps (`UPDATE ... SET seq = seq + n RETURNING seq`). That
 * update holds the counter row's lock until commit, so writers commit in sequence order: once
 * a reader sees sequence s, every write numbered below s is committed and visible too. A
 * reader that remembers the highest sequence it applied therefore fetches exactly what changed
 * after it — `change_seq > last` over sites and tombstones in one statement (one snapshot).
 */
export function nextSeqSql(p: string): string {
  return `UPDATE change_counter SET seq = seq + ${p} WHERE id = 1 RETURNING seq`;
}

/** The change log's head and the sequence of one site ({@link ConfigDb.changeLogHead}); `p(1)` the sitekey. */
export function changeLogHeadSql(p: (n: number) => string): string {
  return `SELECT (SELECT seq FROM change_counter WHERE id = 1) AS seq,
    COALESCE((SELECT change_seq FROM sites WHERE sitekey = ${p(1)}), (SELECT change_seq FROM site_tombstones WHERE sitekey = ${p(1)}), -1) AS site_seq`;
}

/** One entry of the change log: a site as last written, or the tombstone of a deleted one. */
export interface SiteChange {
  readonly seq: number;
  readonly sitekey: string;
  /** The site as stored; undefined when it was deleted. */
  readonly site: SiteRecord | undefined;
}

/** Row count and the summed length of the text columns: what sizing the mirror's segment needs. */
export interface SiteStats {
  readonly sites: number;
  /** Summed over every row, or (SQLite, large tables) estimated from a spread sample of rows. */
  readonly textBytes: number;
}

const TEXT_BYTES = `LENGTH(sitekey) + LENGTH(name) + LENGTH(secret_hash)
  + COALESCE(LENGTH(prev_secret_hash), 0) + LENGTH(hostnames) + LENGTH(challenge_types) + LENGTH(image_set) + LENGTH(pow_algorithm)`;

export const SITE_STATS_SQL = `SELECT COUNT(*) AS sites, COALESCE(SUM(${TEXT_BYTES}), 0) AS text_bytes FROM sites`;

/** Rows a sampled {@link SiteStats} reads (SQLite). */
export const SITE_SAMPLE_ROWS = 2048;

/**
 * SQLite: the text length of up to {@link SITE_SAMPLE_ROWS} rows spread evenly over the rowid
 * range (point lookups: milliseconds, where summing a million rows reads them all), and the
 * row count (SQLite counts from the b-tree's pages, not the rows' contents).
 */
export const SITE_SAMPLE_STATS_SQL = `WITH RECURSIVE pick(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM pick WHERE i < ${SITE_SAMPLE_ROWS})
  SELECT (SELECT COUNT(*) FROM sites) AS sites, COUNT(*) AS sampled, COALESCE(SUM(${TEXT_BYTES}), 0) AS text_bytes FROM sites
  WHERE rowid IN (SELECT (i * (SELECT MAX(rowid) FROM sites)) / ${SITE_SAMPLE_ROWS} FROM pick)`;

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
  pow_algorithm: string;
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
    powAlgorithm: powAlgorithmOf(row.pow_algorithm),
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
    site.powAlgorithm ?? 'sha256',
  ];
}

export const SITE_COLUMNS = 'sitekey, name, secret_hash, prev_secret_hash, prev_secret_expires_at, hostnames, challenge_types, difficulty, image_set, rate_limit_per_second, keyboard_solve, enabled, created_at, updated_at, risk, pow_algorithm';

/** The stored algorithm; anything but 'scrypt' (a value from a newer or older writer) reads as SHA-256. */
function powAlgorithmOf(stored: unknown): 'sha256' | 'scrypt' {
  return stored === 'scrypt' ? 'scrypt' : 'sha256';
}

/** A row of {@link changesSql}: a site row (deleted 0) or a tombstone (deleted 1, the rest NULL). */
export type ChangeRow = SiteRow & { change_seq: number | string; deleted: number | string };

/**
 * The change log after a sequence, oldest first, at most a page: `$1` the last sequence
 * applied, `$2` the page size. `p` writes the placeholder (`$n` for PostgreSQL, `?` for SQLite).
 */
export function changesSql(p: (n: number) => string): string {
  const nulls = SITE_COLUMNS.split(', ').slice(1).map((c) => `NULL AS ${c}`).join(', ');
  // A compound SELECT ordered by the indexed column (no wrapping subquery): both engines merge
  // the two index scans and stop at the limit, instead of sorting everything after the sequence.
  return `SELECT change_seq, 0 AS deleted, ${SITE_COLUMNS} FROM sites WHERE change_seq > ${p(1)}
    UNION ALL
    SELECT change_seq, 1 AS deleted, sitekey, ${nulls} FROM site_tombstones WHERE change_seq > ${p(1)}
    ORDER BY change_seq LIMIT ${p(2)}`;
}

/**
 * A row of {@link changesSql} as an array (SQLite's raw mode: no object per row from the
 * driver, which counts when a start reads every site): change_seq, deleted, then SITE_COLUMNS.
 */
export function arrayToChange(r: readonly unknown[]): SiteChange {
  const seq = Number(r[0]);
  const sitekey = r[2] as string;
  if (Number(r[1]) === 1) return { seq, sitekey, site: undefined };
  const prevExpires = r[6] as number | null;
  return {
    seq, sitekey,
    site: {
      sitekey, name: r[3] as string, secretHash: r[4] as string, prevSecretHash: r[5] as string | null,
      prevSecretExpiresAt: prevExpires === null ? null : Number(prevExpires),
      hostnames: JSON.parse(r[7] as string) as string[], challengeTypes: JSON.parse(r[8] as string) as SiteRecord['challengeTypes'],
      difficulty: Number(r[9]), imageSet: r[10] as string, rateLimitPerSecond: Number(r[11]),
      keyboardSolve: Number(r[12]) === 1, enabled: Number(r[13]) === 1, createdAt: Number(r[14]), updatedAt: Number(r[15]),
      ...(r[16] ? { risk: parseStoredSiteRisk(r[16] as string) } : {}),
      powAlgorithm: powAlgorithmOf(r[17]),
    },
  };
}

export function rowToChange(row: ChangeRow): SiteChange {
  const seq = Number(row.change_seq);
  return Number(row.deleted) === 1 ? { seq, sitekey: row.sitekey, site: undefined } : { seq, sitekey: row.sitekey, site: rowToSite(row) };
}
