/** What a config DB connection offers, whichever engine holds it (SQLite or PostgreSQL). */
import type { AnalyticsQuery, AnalyticsRow, AuditEntry } from './analytics-schema.js';
import type { LeaseHolder, SiteChange, SiteStats } from './config-db-schema.js';
import type { SnapshotEnd, SnapshotPageHandler } from './config-snapshot.js';
import type { RiskPrefixQuery, RiskPrefixRow } from './risk-prefix-schema.js';
import type { SiteRecord } from './site.js';

export type { LeaseHolder, SiteChange, SiteStats } from './config-db-schema.js';

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
  /**
   * The change log after sequence `afterSeq` (0: everything), oldest first, at most `limit`
   * entries: each site written since, with the sequence of its last write, and a tombstone for
   * each site deleted since. Read in one statement, so a page is one consistent snapshot.
   */
  changesSince(afterSeq: number, limit: number): Promise<SiteChange[]>;
  /**
   * Every site as of one moment, `pageSize` sites per call of `onPage` (each site as the
   * strings the config mirror stores: see config-snapshot.ts), and the last change-log entry
   * that moment covers, after which {@link changesSince} goes on. What a fresh mirror is
   * filled from. An error thrown by `onPage` ends the read and is rethrown as it is.
   */
  snapshot(pageSize: number, onPage: SnapshotPageHandler): Promise<SnapshotEnd>;
  /**
   * Where the change log stands: the last sequence handed out, and the sequence of `sitekey`'s
   * last write or delete (-1 when the DB has no trace of it). A reader checks with these that
   * the log did not go back (a DB restored from a backup, or one that lost its last commits
   * in a crash): then the counter is below what it applied, or the site it applied last is
   * older there than it was.
   */
  changeLogHead(sitekey: string): Promise<{ seq: number; siteSeq: number }>;
  /** How many sites there are and how much text they hold (sizes the config segment). */
  siteStats(): Promise<SiteStats>;
  getSite(sitekey: string): Promise<SiteRecord | undefined>;
  /** Insert; `SERVER_ERR_SITE_EXISTS` when the sitekey is taken. Stamps the next change sequence. */
  insertSite(site: SiteRecord): Promise<void>;
  /**
   * Insert many sites in one transaction (bulk loads, imports); `SERVER_ERR_SITE_EXISTS` and
   * nothing stored when one sitekey is taken.
   */
  insertSites(sites: readonly SiteRecord[]): Promise<void>;
  /** Replace a stored site (by sitekey); `SERVER_ERR_SITE_NOT_FOUND` when absent. Stamps the next change sequence. */
  updateSite(site: SiteRecord): Promise<void>;
  /** Remove a site, leaving a tombstone in the change log; `SERVER_ERR_SITE_NOT_FOUND` when absent. */
  deleteSite(sitekey: string): Promise<void>;
  getMeta(key: string): Promise<string | undefined>;
  /** Store `value` under `key` unless one is there; returns the value now stored. */
  initMeta(key: string, value: string): Promise<string>;
  /** Store `value` under `key` (overwrites) and notify other instances. */
  setMeta(key: string, value: string): Promise<void>;
  /**
   * The DB server's wall clock, epoch ms, for `hurdle doctor`'s clock check. PostgreSQL only:
   * an SQLite DB lives on this machine and has no clock of its own.
   */
  clockMs?(): Promise<number>;
  /**
   * Take lease `name` for `holder.owner` when it is free, expired at `nowMs`, already this
   * owner's, or held by `replaceOwner` (a holder the caller has proven dead), in one atomic
   * statement. Returns the holder after the attempt: `holder.owner` when it was taken.
   */
  claimLease(name: string, holder: LeaseHolder, nowMs: number, replaceOwner?: string): Promise<LeaseHolder>;
  /** Extend this owner's lease; false when it holds the lease no more. */
  renewLease(name: string, owner: string, expiresAt: number): Promise<boolean>;
  /** Give the lease up (nothing when another owner holds it). */
  releaseLease(name: string, owner: string): Promise<void>;
  /**
   * Add analytics cells (counts add to what the rows hold) in one transaction. Each cell's
   * key (resolution, bucket, site, hostname, action, reason) appears once in `rows`.
   */
  addAnalytics(rows: readonly AnalyticsRow[]): Promise<void>;
  /** Analytics cells of one resolution in `[fromMs, toMs)`, oldest first, at most `limit` (default 100 000). */
  readAnalytics(query: AnalyticsQuery, limit?: number): Promise<AnalyticsRow[]>;
  /** Delete minute cells before `minuteBeforeMs` and hour cells before `hourBeforeMs`; returns rows deleted. */
  pruneAnalytics(minuteBeforeMs: number, hourBeforeMs: number): Promise<number>;
  /** Add the networks of sites' minutes (counts add up) in one transaction; each key once in `rows`. */
  addRiskPrefixes(rows: readonly RiskPrefixRow[]): Promise<void>;
  /** One site's stored networks in `[fromMs, toMs)`, oldest first, at most `limit` (default 100 000). */
  readRiskPrefixes(query: RiskPrefixQuery, limit?: number): Promise<RiskPrefixRow[]>;
  /**
   * Delete network rows before `beforeMs`, and the hashing keys (`meta` rows named by
   * `keyNameBefore`'s prefix) that sort before `keyNameBefore`; returns rows deleted.
   */
  pruneRiskPrefixes(beforeMs: number, keyNameBefore: string): Promise<number>;
  /** Append one audit log entry. */
  addAudit(entry: AuditEntry): Promise<void>;
  /** Audit entries newest first, before `beforeMs` (exclusive) when given, at most `limit`. */
  listAudit(limit: number, beforeMs?: number): Promise<AuditEntry[]>;
  /**
   * Register a callback for changes written by others: PostgreSQL LISTEN (and each time the
   * listening connection is re-established, since notifications sent meanwhile are lost);
   * SQLite, commits by other connections to the file (`PRAGMA data_version`, checked every
   * `watchIntervalMs`).
   */
  onChange(listener: () => void): Promise<void>;
  close(): Promise<void>;
}
