/**
 * Primary side of the config mirror: loads the full snapshot of the config DB into the
 * mirror map at start, then applies changes in batches — polling by `updated_at` every
 * `refreshIntervalMs`, and sooner on a change notification (PostgreSQL LISTEN/NOTIFY, or a
 * local admin write). A DB outage leaves the last snapshot serving; refreshes resume when it
 * is back.
 */
import type { Logger } from 'pino';
import type { ConfigDb } from './config-db.js';
import type { SiteRecord } from './site.js';
import { STATE_EPOCH_META, epochOfMeta } from './state-epoch.js';
import type { MirrorWriterMap, SnapshotInfo } from './site-directory.js';

/** Changes re-read on each poll: covers clock skew between instances writing one DB. */
const OVERLAP_MS = 10_000;

export interface ConfigMirrorOptions {
  db: ConfigDb;
  map: MirrorWriterMap;
  refreshIntervalMs: number;
  logger?: Logger;
  /** Extra meta entries written with the first snapshot (e.g. the demo site). */
  meta?: Record<string, unknown>;
  now?: () => number;
}

export interface ConfigMirrorStats {
  sites: number;
  generation: number;
  lastRefreshAt: number;
  lastRefreshOk: boolean;
  refreshes: number;
  refreshErrors: number;
}

export class ConfigMirror {
  readonly #o: ConfigMirrorOptions;
  readonly #now: () => number;
  readonly #sites = new Map<string, SiteRecord>();
  #maxUpdatedAt = 0;
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stats: ConfigMirrorStats = { sites: 0, generation: 0, lastRefreshAt: 0, lastRefreshOk: true, refreshes: 0, refreshErrors: 0 };
  #stopped = false;

  constructor(options: ConfigMirrorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Load the full snapshot (throws when the DB is unreachable), then start polling. */
  async start(): Promise<void> {
    const sites = await this.#o.db.listSites();
    const hmac = await this.#o.db.getMeta('hmac_keys');
    const epoch = epochOfMeta(await this.#o.db.getMeta(STATE_EPOCH_META));
    const changes: { key: string; value: unknown }[] = [];
    for (const site of sites) this.#diff(site, changes);
    if (hmac !== undefined) changes.push({ key: 'meta:hmac', value: JSON.parse(hmac) as string[] });
    if (epoch !== undefined) changes.push({ key: 'meta:state_epoch', value: epoch });
    for (const [k, v] of Object.entries(this.#o.meta ?? {})) changes.push({ key: `meta:${k}`, value: v });
    this.#commit(changes, true);
    await this.#o.db.onChange(() => this.refreshSoon());
    this.#timer = setInterval(() => void this.refresh(), this.#o.refreshIntervalMs);
    this.#timer.unref();
  }

  /** Schedule a refresh within a few milliseconds (coalesces bursts of notifications). */
  refreshSoon(): void {
    if (this.#soon || this.#stopped) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.refresh();
    }, 5);
    this.#soon.unref();
  }

  /** Apply changes since the last refresh. Never throws: a DB error keeps the last snapshot. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#refreshOnce().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#running;
  }

  async #refreshOnce(): Promise<void> {
    try {
      const since = Math.max(0, this.#maxUpdatedAt - OVERLAP_MS);
      const sites = await this.#o.db.sitesUpdatedSince(since);
      const hmac = await this.#o.db.getMeta('hmac_keys');
      const epoch = epochOfMeta(await this.#o.db.getMeta(STATE_EPOCH_META));
      const changes: { key: string; value: unknown }[] = [];
      for (const site of sites) this.#diff(site, changes);
      if (hmac !== undefined && JSON.stringify(this.#o.map.get('meta:hmac')) !== hmac) {
        changes.push({ key: 'meta:hmac', value: JSON.parse(hmac) as string[] });
      }
      // Ring machines that switched from shared memory together converge on the last epoch set.
      if (epoch !== undefined && this.#o.map.get('meta:state_epoch') !== epoch) changes.push({ key: 'meta:state_epoch', value: epoch });
      if (!this.#stats.lastRefreshOk) this.#o.logger?.info({ event: 'config_db_recovered' }, 'config DB reachable again; refreshing the mirror');
      this.#commit(changes, false);
      this.#stats.lastRefreshOk = true;
    } catch (err) {
      if (this.#stats.lastRefreshOk) {
        this.#o.logger?.warn({ event: 'config_db_unavailable', err: { message: (err as Error).message } },
          'config DB unreachable; serving the last snapshot');
      }
      this.#stats.lastRefreshOk = false;
      this.#stats.refreshErrors += 1;
    }
  }

  #diff(site: SiteRecord, changes: { key: string; value: unknown }[]): void {
    this.#maxUpdatedAt = Math.max(this.#maxUpdatedAt, site.updatedAt);
    const old = this.#sites.get(site.sitekey);
    if (old && JSON.stringify(old) === JSON.stringify(site)) return;
    const live = new Set([site.secretHash, ...(site.prevSecretHash ? [site.prevSecretHash] : [])]);
    if (old) {
      for (const h of [old.secretHash, old.prevSecretHash]) {
        if (h && !live.has(h)) changes.push({ key: `secret:${h}`, value: undefined });
      }
    }
    for (const h of live) changes.push({ key: `secret:${h}`, value: site.sitekey });
    changes.push({ key: `site:${site.sitekey}`, value: site });
    this.#sites.set(site.sitekey, site);
  }

  #commit(changes: { key: string; value: unknown }[], force: boolean): void {
    this.#stats.refreshes += 1;
    this.#stats.lastRefreshAt = this.#now();
    if (changes.length === 0 && !force) return;
    this.#generation += 1;
    const info: SnapshotInfo = { loadedAt: this.#now(), sites: this.#sites.size, generation: this.#generation };
    changes.push({ key: 'meta:snapshot', value: info });
    this.#o.map.batch(changes);
    this.#stats.sites = this.#sites.size;
    this.#stats.generation = this.#generation;
  }

  /** Set a meta entry in the mirror at once (e.g. the demo site after it is created). */
  setMeta(key: string, value: unknown): void {
    this.#o.map.batch([{ key: `meta:${key}`, value }]);
  }

  /** The mirrored record of a site (as of the last successful refresh). */
  site(sitekey: string): SiteRecord | undefined {
    return this.#sites.get(sitekey);
  }

  /** Every mirrored site, in the DB's listing order (created_at, sitekey). */
  sites(): SiteRecord[] {
    return [...this.#sites.values()].sort((a, b) => a.createdAt - b.createdAt || (a.sitekey < b.sitekey ? -1 : a.sitekey > b.sitekey ? 1 : 0));
  }

  stats(): ConfigMirrorStats {
    return { ...this.#stats };
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
  }
}
