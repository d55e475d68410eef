/**
 * The config mirror's layout and its two sides. The primary (writer) keeps the whole config
 * DB in a key-value map that every worker reads (the shared-memory segment in production,
 * a plain Map for in-process use):
 *
 *   site:<sitekey>   -> SiteRecord (JSON)
 *   secret:<sha256>  -> sitekey      (current and, during a rotation, previous secret)
 *   meta:hmac        -> string[]     (token/challenge HMAC keys; first signs)
 *   meta:state_epoch -> string       (the state store's generation; see state-epoch.ts)
 *   meta:demo        -> { sitekey, secret } of the demo site, when there is one
 *   meta:snapshot    -> { loadedAt, sites, generation }  (present once the first snapshot is in)
 */
import { hashSecret, hashesEqual } from './site.js';
import type { SiteRecord } from './site.js';

/** What the writer needs from the map. */
export interface MirrorWriterMap {
  get(key: string): unknown;
  /** Apply all changes at once; a value of `undefined` deletes the key. */
  batch(changes: readonly { key: string; value: unknown }[]): void;
  /**
   * Set `keys[i]` to the value whose JSON text is `texts[i]`, all at once (a bulk load: no
   * object is made for a value on the way in). The texts must be well-formed JSON.
   */
  setJson(keys: readonly string[], texts: readonly string[]): void;
  /** Share of the map's room in use, 0..1 (maps without a bound leave it out). */
  fill?(): number;
  /** The values of every key that starts with `prefix` (whole-map read: rare paths only). */
  scan?(prefix: string): Iterable<unknown>;
}

/** A larger, empty map the mirror fills and then hands to the readers. */
export interface MirrorReplacement {
  readonly map: MirrorWriterMap;
  /** Make it the map readers use (the mirror calls this once it is complete). */
  publish(): void;
  /** Drop it unused. */
  discard(): void;
}

/** What a reader needs from the map. */
export interface MirrorReaderMap {
  get(key: string): unknown;
}

/** A plain in-process mirror map (tests, single-process use). */
export function createMemoryMirrorMap(): MirrorWriterMap & { size: number } {
  const map = new Map<string, unknown>();
  return {
    get: (key) => map.get(key),
    batch(changes) {
      for (const { key, value } of changes) {
        if (value === undefined) map.delete(key);
        else map.set(key, structuredClone(value));
      }
    },
    setJson(keys, texts) {
      keys.forEach((key, i) => map.set(key, JSON.parse(texts[i]!)));
    },
    *scan(prefix) {
      for (const [key, value] of map) if (key.startsWith(prefix)) yield value;
    },
    get size() { return map.size; },
  };
}

export interface SnapshotInfo {
  loadedAt: number;
  sites: number;
  generation: number;
}

/** Read-side view of the mirror used by request handlers (never touches the DB). */
export class SiteDirectory {
  readonly #map: MirrorReaderMap;
  readonly #now: () => number;

  constructor(map: MirrorReaderMap, now: () => number = Date.now) {
    this.#map = map;
    this.#now = now;
  }

  /** The site for a sitekey, or undefined. */
  site(sitekey: string): SiteRecord | undefined {
    return this.#map.get(`site:${sitekey}`) as SiteRecord | undefined;
  }

  /** The site that owns `secret` (current secret, or previous one within its grace period). */
  siteForSecret(secret: string): SiteRecord | undefined {
    const hash = hashSecret(secret);
    const sitekey = this.#map.get(`secret:${hash}`) as string | undefined;
    if (sitekey === undefined) return undefined;
    const site = this.site(sitekey);
    if (!site) return undefined;
    if (hashesEqual(site.secretHash, hash)) return site;
    if (site.prevSecretHash !== null && hashesEqual(site.prevSecretHash, hash)
      && site.prevSecretExpiresAt !== null && site.prevSecretExpiresAt > this.#now()) {
      return site;
    }
    return undefined;
  }

  hmacKeys(): string[] | undefined {
    return this.#map.get('meta:hmac') as string[] | undefined;
  }

  /** The current state epoch ('' before one is mirrored). */
  stateEpoch(): string {
    const v = this.#map.get('meta:state_epoch');
    return typeof v === 'string' ? v : '';
  }

  demo(): { sitekey: string; secret: string } | undefined {
    return this.#map.get('meta:demo') as { sitekey: string; secret: string } | undefined;
  }

  snapshot(): SnapshotInfo | undefined {
    return this.#map.get('meta:snapshot') as SnapshotInfo | undefined;
  }
}
