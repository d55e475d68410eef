/**
 * The config mirror's shared-memory segment in a cluster primary: sized from the config DB's
 * data at start, and replaced by a larger one when the mirror outgrows it. A replacement is
 * made under a new name and filled completely by the mirror while workers keep reading the
 * old one; `publish` then tells every worker to attach the new one (IPC `config-segment`) and
 * the old name is removed once each of them has answered that it switched (or after
 * {@link RETIRE_AFTER_MS}). A worker never reads a half-filled segment: it switches from one
 * complete map to another, and a worker started meanwhile is handed the current name.
 */
import type { Worker } from 'node:cluster';
import { createSharedMap } from '@hurdle/shm';
import type { SharedMap } from '@hurdle/shm';
import type { Logger } from 'pino';
import type { SiteStats } from '../config-db.js';
import type { MirrorReplacement, MirrorWriterMap } from '../site-directory.js';

const MIB = 1024 * 1024;

/** The largest segment @hurdle/shm makes (about 1.3 million sites of typical size). */
export const MAX_CONFIG_SEGMENT_BYTES = 1024 * MIB;

/** Largest mirrored value (a site record, the key list): far above any real one. */
const MAX_CONFIG_VALUE_BYTES = 256 * 1024;

/** Room for growth over the estimate (and the buddy allocator's rounding of odd sizes). */
const HEADROOM = 1.5;

/** A site record's JSON beyond its text columns: field names, numbers, quotes. */
const SITE_JSON_OVERHEAD_BYTES = 280;

/** An entry's fixed header in the segment (see @hurdle/shm's layout), and its UTF-16 keys. */
const ENTRY_HEADER_BYTES = 40;
const SITE_KEY_BYTES = 2 * 'site:hk_0123456789abcdef'.length;
const SECRET_ENTRY_BYTES = ENTRY_HEADER_BYTES + 2 * `secret:${'0'.repeat(64)}`.length + 32;

/** A retired segment's name is removed this long after the switch even if a worker never answered. */
const RETIRE_AFTER_MS = 10_000;

const blockBytes = (n: number): number => 2 ** Math.max(6, Math.ceil(Math.log2(n)));

/**
 * The segment size for the sites the DB holds: each site's two entries (its record and its
 * secret's index entry) as the buddy allocator rounds them, times {@link HEADROOM}, plus room
 * for the meta entries; never below `floorBytes` (option `shm.configBytes`), never above
 * {@link MAX_CONFIG_SEGMENT_BYTES}.
 */
export function configSegmentBytes(stats: SiteStats, floorBytes: number): number {
  const avgText = stats.sites === 0 ? 0 : stats.textBytes / stats.sites;
  const perSite = blockBytes(ENTRY_HEADER_BYTES + SITE_KEY_BYTES + SITE_JSON_OVERHEAD_BYTES + avgText) + blockBytes(SECRET_ENTRY_BYTES);
  const need = Math.ceil((stats.sites * perSite * HEADROOM + 4 * MIB) / MIB) * MIB;
  return Math.min(MAX_CONFIG_SEGMENT_BYTES, Math.max(floorBytes, need));
}

/** The writer's view of one segment, as the mirror uses it. */
export function segmentWriter(map: SharedMap<unknown>): MirrorWriterMap {
  return {
    get: (key) => map.get(key),
    batch: (changes) => map.batch(changes.map((c) => (c.value === undefined ? { type: 'delete' as const, key: c.key } : { type: 'set' as const, key: c.key, value: c.value as never }))),
    // The segment's codec is 'json': the texts are stored as they are.
    setJson: (keys, texts) => map.setEncoded(keys, texts),
    fill: () => {
      const a = map.stats().allocator;
      return a.arenaBytes === 0 ? 1 : a.allocatedBytes / a.arenaBytes;
    },
    *scan(prefix) {
      for (const key of map.keys()) {
        if (!key.startsWith(prefix)) continue;
        const value = map.get(key);
        if (value !== undefined) yield value;
      }
    },
  };
}

export interface ConfigSegmentOptions {
  /** Name of the first segment; later ones append `-2`, `-3`, … */
  readonly baseName: string;
  readonly sizeBytes: number;
  readonly logger: Logger;
  /** Tell these workers to attach segment `name`. */
  readonly announce: (name: string) => Worker[];
}

interface Retiring {
  readonly map: SharedMap<unknown>;
  readonly waiting: Set<Worker>;
  readonly timer: NodeJS.Timeout;
}

export class ConfigSegment {
  readonly #o: ConfigSegmentOptions;
  #current: SharedMap<unknown>;
  #currentName: string;
  #count = 1;
  /** The size offered by the last larger `replace` (each offers twice the last, so a retry gets more room). */
  #offeredBytes: number;
  readonly #retiring = new Map<string, Retiring>();

  constructor(options: ConfigSegmentOptions) {
    this.#o = options;
    this.#currentName = options.baseName;
    this.#offeredBytes = options.sizeBytes;
    this.#current = ConfigSegment.#create(options.baseName, options.sizeBytes);
  }

  static #create(name: string, sizeBytes: number): SharedMap<unknown> {
    return createSharedMap({ name, sizeBytes, codec: 'json', maxValueBytes: MAX_CONFIG_VALUE_BYTES });
  }

  /** The segment workers read now, and its name (for a worker's start-up message). */
  get map(): SharedMap<unknown> {
    return this.#current;
  }

  get name(): string {
    return this.#currentName;
  }

  /**
   * An empty segment for the mirror to fill: `larger`, twice the last one offered (undefined
   * at {@link MAX_CONFIG_SEGMENT_BYTES}); else the current size (a rebuild).
   */
  replace(larger: boolean): MirrorReplacement | undefined {
    let sizeBytes = this.#current.stats().sizeBytes;
    if (larger) {
      if (this.#offeredBytes >= MAX_CONFIG_SEGMENT_BYTES) return undefined;
      sizeBytes = Math.min(MAX_CONFIG_SEGMENT_BYTES, this.#offeredBytes * 2);
      this.#offeredBytes = sizeBytes;
    }
    this.#count += 1;
    const name = `${this.#o.baseName}-${this.#count}`;
    const map = ConfigSegment.#create(name, sizeBytes);
    let settled = false;
    return {
      map: segmentWriter(map),
      publish: () => {
        if (settled) return;
        settled = true;
        const old = this.#current;
        const oldName = this.#currentName;
        this.#current = map;
        this.#currentName = name;
        const waiting = new Set(this.#o.announce(name));
        const timer = setTimeout(() => this.#retire(oldName), RETIRE_AFTER_MS);
        timer.unref();
        this.#retiring.set(oldName, { map: old, waiting, timer });
        this.#o.logger.info({ event: 'config_segment_published', segment: name, sizeBytes, workers: waiting.size }, 'workers are switching to the larger config segment');
        if (waiting.size === 0) this.#retire(oldName);
      },
      discard: () => {
        if (settled) return;
        settled = true;
        map.unlink();
      },
    };
  }

  /** A worker says it reads segment `name` now: it no longer needs the ones before. */
  switched(worker: Worker, name: string): void {
    if (name !== this.#currentName) return;
    for (const [oldName, r] of this.#retiring) {
      r.waiting.delete(worker);
      for (const w of r.waiting) if (w.isDead() || !w.isConnected()) r.waiting.delete(w);
      if (r.waiting.size === 0) this.#retire(oldName);
    }
  }

  #retire(name: string): void {
    const r = this.#retiring.get(name);
    if (!r) return;
    this.#retiring.delete(name);
    clearTimeout(r.timer);
    r.map.unlink();
  }

  /** Remove every segment this primary made (clean shutdown). */
  unlink(): void {
    for (const name of [...this.#retiring.keys()]) this.#retire(name);
    this.#current.unlink();
  }
}
