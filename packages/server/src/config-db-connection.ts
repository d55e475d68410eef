/** What a config DB connection offers, whichever engine holds it (SQLite or PostgreSQL). */
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
  /**
   * The DB server's wall clock, epoch ms, for `hurdle doctor`'s clock check. PostgreSQL only:
   * an SQLite DB lives on this machine and has no clock of its own.
   */
  clockMs?(): Promise<number>;
  /** Register a callback for change notifications from other writers (PostgreSQL LISTEN). */
  onChange(listener: () => void): Promise<void>;
  close(): Promise<void>;
}
