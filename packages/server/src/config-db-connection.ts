/** What a config DB connection offers, whichever engine holds it (SQLite or PostgreSQL). */
import type { AnalyticsQuery, AnalyticsRow, AuditEntry } from './analytics-schema.js';
import type { LeaseHolder } from './config-db-schema.js';
import type { SiteRecord } from './site.js';

export type { LeaseHolder } from './config-db-schema.js';

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
  /** Append one audit log entry. */
  addAudit(entry: AuditEntry): Promise<void>;
  /** Audit entries newest first, before `beforeMs` (exclusive) when given, at most `limit`. */
  listAudit(limit: number, beforeMs?: number): Promise<AuditEntry[]>;
  /** Register a callback for change notifications from other writers (PostgreSQL LISTEN). */
  onChange(listener: () => void): Promise<void>;
  close(): Promise<void>;
}
