/**
 * Primary side of the config mirror: streams the config DB's change log into the mirror map.
 * At start it reads the whole log (every site, page by page) into the map; afterwards each
 * refresh reads only the entries after the last sequence it applied — on a change
 * notification (PostgreSQL NOTIFY, another process's commit to the SQLite file, or a write by
 * this process, which refreshes before it answers), and every `refreshIntervalMs` as a
 * safety net. A DB outage leaves the last snapshot serving; refreshes resume when it is back.
 *
 * The primary keeps no copy of the sites: the map is the copy. What it keeps is the last
 * sequence applied and the site count; a changed site's old secret hashes (whose index
 * entries must go) are read back from the map.
 *
 * When the map fills up (a batch fails with SHM_ERR_SEGMENT_FULL, or it is fuller than
 * `growAtFill` after a refresh), the mirror asks `grow` for a larger empty map, fills it from
 * the whole change log while the old one keeps serving, and then publishes it: readers switch
 * from one complete map to the other, never to a half-filled one.
 */
import type { Logger } from 'pino';
import type { ConfigDb, SiteChange } from './config-db.js';
import type { SiteRecord } from './site.js';
import { STATE_EPOCH_META, epochOfMeta } from './state-epoch.js';
import type { MirrorReplacement, MirrorWriterMap, SnapshotInfo } from './site-directory.js';

/** Change-log entries read per query and written per batch: bounds the memory a refresh needs. */
const DEFAULT_PAGE_SIZE = 5000;

/** Share of the map in use past which it is replaced by a larger one. */
const DEFAULT_GROW_AT_FILL = 0.8;

export interface ConfigMirrorOptions {
  db: ConfigDb;
  map: MirrorWriterMap;
  refreshIntervalMs: number;
  logger?: Logger;
  /** Extra meta entries written with the first snapshot (e.g. the demo site). */
  meta?: Record<string, unknown>;
  now?: () => number;
  /** Change-log entries per query and per batch. @default 5000 */
  pageSize?: number;
  /**
   * An empty map to move to: a larger one (`larger`; undefined when the map is as large as
   * allowed), or one of the same size to rebuild into when the DB's change log went back.
   */
  replace?: (larger: boolean) => MirrorReplacement | undefined;
  /** Fill share (0..1) of the map past which `grow` is asked. @default 0.8 */
  growAtFill?: number;
}

export interface ConfigMirrorStats {
  sites: number;
  generation: number;
  /** The highest change sequence applied. */
  seq: number;
  lastRefreshAt: number;
  lastRefreshOk: boolean;
  refreshes: number;
  refreshErrors: number;
  /** Times the map was replaced by a larger one. */
  grows: number;
}

/** What one filling of one map has reached. */
interface MapState {
  map: MirrorWriterMap;
  seq: number;
  /** The site of the change at `seq` (to check that the DB's log did not go back). */
  lastKey: string | undefined;
  sites: number;
}

type Change = { key: string; value: unknown };

const isSegmentFull = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'SHM_ERR_SEGMENT_FULL';

export class ConfigMirror {
  readonly #o: ConfigMirrorOptions;
  readonly #now: () => number;
  readonly #pageSize: number;
  #state: MapState;
  /** Meta entries as last written (a handful of small values), so a new map gets them too. */
  readonly #meta = new Map<string, unknown>();
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stats = { lastRefreshAt: 0, lastRefreshOk: true, refreshes: 0, refreshErrors: 0, grows: 0 };
  #stopped = false;
  #atMaxLogged = false;

  constructor(options: ConfigMirrorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.#state = { map: options.map, seq: 0, lastKey: undefined, sites: 0 };
  }

  /** Load the full snapshot (throws when the DB is unreachable), then follow the change log. */
  async start(): Promise<void> {
    const t0 = performance.now();
    for (const [k, v] of Object.entries(this.#o.meta ?? {})) this.#meta.set(`meta:${k}`, v);
    try {
      await this.#load(this.#state);
    } catch (err) {
      if (!isSegmentFull(err)) throw err;
      await this.#rebuild(true, true);
    }
    await this.#readMeta(this.#state, true);
    this.#snapshot(this.#state.map);
    this.#stats.refreshes += 1;
    this.#stats.lastRefreshAt = this.#now();
    this.#o.logger?.info({ event: 'config_snapshot_loaded', sites: this.#state.sites, seq: this.#state.seq, loadMs: Math.round(performance.now() - t0) },
      'loaded the config snapshot into the mirror');
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
    }, 2);
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
      let changed: boolean;
      try {
        const head = await this.#head();
        if (head === 'behind') {
          this.#o.logger?.warn({ event: 'config_log_went_back', seq: this.#state.seq }, "the config DB's change log is behind the mirror (restored or crashed DB): rebuilding the mirror from it");
          changed = await this.#rebuild(false, true);
        } else {
          // An idle poll stops at the head: nothing after the last sequence applied.
          changed = head === 'level' ? false : await this.#fill(this.#state);
        }
        changed = await this.#readMeta(this.#state, false) || changed;
      } catch (err) {
        if (!isSegmentFull(err)) throw err;
        changed = await this.#rebuild(true, true);
      }
      if (!this.#stats.lastRefreshOk) this.#o.logger?.info({ event: 'config_db_recovered' }, 'config DB reachable again; refreshing the mirror');
      if (changed) this.#snapshot(this.#state.map);
      this.#stats.lastRefreshOk = true;
      if (changed && (this.#state.map.fill?.() ?? 0) > (this.#o.growAtFill ?? DEFAULT_GROW_AT_FILL)) await this.#rebuild(true, false);
    } catch (err) {
      if (this.#stats.lastRefreshOk) {
        this.#o.logger?.warn({ event: 'config_db_unavailable', err: { message: (err as Error).message, code: (err as { code?: unknown }).code } },
          'config DB unreachable (or the mirror cannot take the change); serving the last snapshot');
      }
      this.#stats.lastRefreshOk = false;
      this.#stats.refreshErrors += 1;
    } finally {
      this.#stats.refreshes += 1;
      this.#stats.lastRefreshAt = this.#now();
    }
  }

  /**
   * Apply the change log after `state.seq` to `state.map`, a page per batch (an empty map is
   * filled by {@link #load} instead). True when anything was applied.
   */
  async #fill(state: MapState): Promise<boolean> {
    let applied = false;
    // Bounded: each page moves the sequence forward; a log that keeps growing faster than it
    // is read still ends here, and the rest waits for the next refresh.
    for (let pages = 0; pages < 1_000_000; pages++) {
      const page = await this.#o.db.changesSince(state.seq, this.#pageSize);
      if (page.length === 0) break;
      const changes: Change[] = [];
      let sites = state.sites;
      for (const c of page) sites += this.#change(state.map, c, changes);
      state.map.batch(changes);
      state.sites = sites;
      const last = page[page.length - 1]!;
      state.seq = last.seq;
      state.lastKey = last.sitekey;
      applied = true;
      if (page.length < this.#pageSize) break;
    }
    return applied;
  }

  /**
   * Fill an empty map from a snapshot of the DB, a page per bulk write: each site's record
   * (as the DB wrote its JSON) and its secrets' index entries, no object made per site. The
   * map then stands where the snapshot ends in the change log.
   */
  async #load(state: MapState): Promise<void> {
    const end = await this.#o.db.snapshot(this.#pageSize, (sites) => {
      const keys: string[] = [];
      const texts: string[] = [];
      for (const [sitekey, secretHash, prevSecretHash, json] of sites) {
        const owner = JSON.stringify(sitekey);
        keys.push(`secret:${secretHash}`);
        texts.push(owner);
        if (prevSecretHash && prevSecretHash !== secretHash) {
          keys.push(`secret:${prevSecretHash}`);
          texts.push(owner);
        }
        keys.push(`site:${sitekey}`);
        texts.push(json);
      }
      state.map.setJson(keys, texts);
      state.sites += sites.length;
    });
    state.seq = end.seq;
    state.lastKey = end.sitekey;
  }

  /** Append the map changes of one change-log entry; returns the change in the site count. */
  #change(map: MirrorWriterMap, c: SiteChange, changes: Change[]): number {
    const old = map.get(`site:${c.sitekey}`) as SiteRecord | undefined;
    const site = c.site;
    const live = new Set<string>();
    if (site) {
      live.add(site.secretHash);
      if (site.prevSecretHash) live.add(site.prevSecretHash);
    }
    if (old) {
      for (const h of [old.secretHash, old.prevSecretHash]) {
        if (h && !live.has(h)) changes.push({ key: `secret:${h}`, value: undefined });
      }
    }
    if (!site) {
      if (!old) return 0;
      changes.push({ key: `site:${c.sitekey}`, value: undefined });
      return -1;
    }
    for (const h of live) changes.push({ key: `secret:${h}`, value: site.sitekey });
    changes.push({ key: `site:${site.sitekey}`, value: site });
    return old ? 0 : 1;
  }

  /** Mirror the HMAC keys and the state epoch (two small reads); `all`: write every meta entry. */
  async #readMeta(state: MapState, all: boolean): Promise<boolean> {
    const hmac = await this.#o.db.getMeta('hmac_keys');
    const epoch = epochOfMeta(await this.#o.db.getMeta(STATE_EPOCH_META));
    const changes: Change[] = [];
    const put = (key: string, value: unknown): void => {
      this.#meta.set(key, value);
      changes.push({ key, value });
    };
    if (hmac !== undefined && (all || JSON.stringify(this.#meta.get('meta:hmac')) !== hmac)) put('meta:hmac', JSON.parse(hmac) as string[]);
    // Ring machines that switched from shared memory together converge on the last epoch set.
    if (epoch !== undefined && (all || this.#meta.get('meta:state_epoch') !== epoch)) put('meta:state_epoch', epoch);
    if (all) {
      for (const [key, value] of this.#meta) {
        if (key !== 'meta:hmac' && key !== 'meta:state_epoch') changes.push({ key, value });
      }
    }
    if (changes.length === 0) return false;
    state.map.batch(changes);
    return true;
  }

  #snapshot(map: MirrorWriterMap): void {
    this.#generation += 1;
    const info: SnapshotInfo = { loadedAt: this.#now(), sites: this.#state.sites, generation: this.#generation };
    map.batch([{ key: 'meta:snapshot', value: info }]);
  }

  /**
   * Where the DB's change log stands against what the mirror applied. 'behind': its counter is
   * lower, or the site applied last has an older (or no) entry there — the DB lost commits the
   * mirror has (a restore, or a crash that dropped its last commits), and its later writes
   * would reuse sequences the mirror has passed. 'level': nothing new. 'ahead': read on.
   */
  async #head(): Promise<'behind' | 'level' | 'ahead'> {
    const { seq, lastKey } = this.#state;
    if (seq === 0 || lastKey === undefined) return 'ahead';
    const head = await this.#o.db.changeLogHead(lastKey);
    if (head.seq < seq || head.siteSeq < seq) return 'behind';
    return head.seq === seq ? 'level' : 'ahead';
  }

  /**
   * Move to another map: fill it from the whole change log while the current one serves,
   * then publish it. `larger`: the current one is (nearly) full; a map that fills up while it
   * is filled is dropped for a larger one (each offers more room than the last), a few times
   * at most. When no map large enough can be had (logged once): `required` (a change did not
   * fit) throws SHM_ERR_SEGMENT_FULL, otherwise it returns false and the current map stays.
   * Without `replace` (a plain in-process map) a rebuild applies the whole log in place.
   */
  async #rebuild(larger: boolean, required: boolean): Promise<boolean> {
    if (!larger && !this.#o.replace) {
      this.#state.seq = 0;
      return this.#fill(this.#state);
    }
    for (let attempt = 0; attempt < 4; attempt++) {
      const next = this.#o.replace?.(larger || attempt > 0);
      if (!next) break;
      const state: MapState = { map: next.map, seq: 0, lastKey: undefined, sites: 0 };
      try {
        await this.#load(state);
        await this.#readMeta(state, true);
      } catch (err) {
        next.discard();
        if (isSegmentFull(err)) continue;
        throw err;
      }
      this.#state = state;
      this.#snapshot(state.map);
      next.publish();
      if (larger) this.#stats.grows += 1;
      this.#o.logger?.info({ event: 'config_mirror_rebuilt', larger, sites: state.sites, seq: state.seq }, 'moved the config mirror to a new map');
      return true;
    }
    if (!this.#atMaxLogged) {
      this.#atMaxLogged = true;
      this.#o.logger?.error({ event: 'config_segment_at_max', fill: this.#state.map.fill?.() }, 'the config mirror cannot grow further; changes that do not fit will not be served');
    }
    if (!required) return false;
    throw Object.assign(new Error('the config mirror is full and cannot grow'), { code: 'SHM_ERR_SEGMENT_FULL' });
  }

  /** Set a meta entry in the mirror at once (e.g. the demo site after it is created). */
  setMeta(key: string, value: unknown): void {
    this.#meta.set(`meta:${key}`, value);
    this.#state.map.batch([{ key: `meta:${key}`, value }]);
  }

  /** The mirrored record of a site (as of the last successful refresh). */
  site(sitekey: string): SiteRecord | undefined {
    return this.#state.map.get(`site:${sitekey}`) as SiteRecord | undefined;
  }

  /** Every mirrored site, in the DB's listing order (created_at, sitekey). Reads the whole map: for the DB-down fallback only. */
  sites(): SiteRecord[] {
    const all = [...(this.#state.map.scan?.('site:') ?? [])] as SiteRecord[];
    return all.sort((a, b) => a.createdAt - b.createdAt || (a.sitekey < b.sitekey ? -1 : a.sitekey > b.sitekey ? 1 : 0));
  }

  stats(): ConfigMirrorStats {
    return { sites: this.#state.sites, generation: this.#generation, seq: this.#state.seq, ...this.#stats };
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
  }
}
