/**
 * How a network is shown and stored: a keyed hash, never the prefix itself. The key is random,
 * one per UTC day, shared by every instance through the config DB's `meta` table (the first
 * instance to need a day's key makes it, the others read it), and deleted once no stored row
 * hashed with it is left (after the next day). So within a day the same network has the same
 * name on every machine and in every minute, and once a day's key is gone nobody, the operator
 * with the DB dump included, can tell which network a stored name stood for: a plain hash of a
 * /24 could be reversed by trying all 2^24 of them, a keyed one cannot without the key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ConfigDb } from '../config-db.js';

export const DAY_MS = 86_400_000;
/** The `meta` key of a day's key (day number since the epoch, six digits so they sort as text). */
export const PREFIX_KEY_META = 'risk_prefix_key:';

export function prefixKeyName(day: number): string {
  return `${PREFIX_KEY_META}${String(day).padStart(6, '0')}`;
}

/** `v4:` for a /24, `v6:` for a /48, `other:` for what is no address (see network-prefix.ts). */
function familyOf(prefix: string): 'v4' | 'v6' | 'other' {
  if (prefix.endsWith('/24') && prefix.includes('.')) return 'v4';
  if (prefix.endsWith('::/48')) return 'v6';
  return 'other';
}

export class PrefixHasher {
  readonly #db: Pick<ConfigDb, 'initMeta'>;
  readonly #keys = new Map<number, Promise<Buffer>>();

  constructor(db: Pick<ConfigDb, 'initMeta'>) {
    this.#db = db;
  }

  /** The stored name of `prefix` in the minute starting at `bucketMs`, e.g. `v4:Qm3k9Xz0aP1c`. */
  async hash(prefix: string, bucketMs: number): Promise<string> {
    const key = await this.#key(Math.floor(bucketMs / DAY_MS));
    const mac = createHmac('sha256', key).update(prefix, 'utf8').digest('base64url').slice(0, 12);
    return `${familyOf(prefix)}:${mac}`;
  }

  #key(day: number): Promise<Buffer> {
    let key = this.#keys.get(day);
    if (key === undefined) {
      key = this.#db.initMeta(prefixKeyName(day), randomBytes(32).toString('hex')).then((hex) => Buffer.from(hex, 'hex'));
      // A failed read is not kept: the next batch asks again.
      key.catch(() => this.#keys.delete(day));
      this.#keys.set(day, key);
      // Two days are ever needed (a batch across midnight); older ones go from memory too.
      for (const d of this.#keys.keys()) if (d < day - 1) this.#keys.delete(d);
    }
    return key;
  }
}
