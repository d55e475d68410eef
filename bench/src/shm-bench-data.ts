// The shm benchmark's data set, generated the same way in every process:
// site-settings-like records of about 300 bytes (msgpack), under random keys.
import { pack } from 'msgpackr';

export interface SiteRecord {
  readonly sitekey: string;
  readonly secretHash: string;
  readonly hostnames: readonly string[];
  readonly challengeTypes: readonly string[];
  readonly difficulty: number;
  readonly imageSet: string;
  readonly limits: { readonly perMinute: number; readonly burst: number };
  readonly enabled: boolean;
  readonly theme: string;
  readonly lang: string;
  readonly updatedAt: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(r() * 2 ** 32).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

export interface DataSet {
  readonly keys: string[];
  readonly values: SiteRecord[];
  /** Keys in a random order, for lookups. */
  readonly lookupOrder: string[];
  readonly encodedBytes: number;
}

export function makeDataSet(count: number, seed = 42, measureBytes = true): DataSet {
  const r = rng(seed);
  const keys: string[] = [];
  const values: SiteRecord[] = [];
  let encodedBytes = 0;
  for (let i = 0; i < count; i++) {
    const sitekey = hex(r, 24);
    const value: SiteRecord = {
      sitekey,
      secretHash: hex(r, 64),
      hostnames: [`www.site${i}.example.com`, `shop.site${i}.example.com`],
      challengeTypes: r() < 0.5 ? ['slide', 'pow'] : ['slide'],
      difficulty: 14 + Math.floor(r() * 8),
      imageSet: `set-${Math.floor(r() * 50)}`,
      limits: { perMinute: 60 + Math.floor(r() * 600), burst: 10 + Math.floor(r() * 40) },
      enabled: r() < 0.95,
      theme: r() < 0.5 ? 'light' : 'dark',
      lang: ['en', 'de', 'fr', 'ja', 'pt-BR'][Math.floor(r() * 5)]!,
      updatedAt: 1_760_000_000_000 + Math.floor(r() * 1e9),
    };
    keys.push(`site:${sitekey}`);
    values.push(value);
    if (measureBytes) encodedBytes += Buffer.byteLength(keys[i]!) + pack(value).length;
  }
  const lookupOrder = keys.slice();
  for (let i = lookupOrder.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [lookupOrder[i], lookupOrder[j]] = [lookupOrder[j]!, lookupOrder[i]!];
  }
  return { keys, values, lookupOrder, encodedBytes };
}

/** Private (unshared) memory of a process, bytes: Private_Clean + Private_Dirty. */
export async function privateBytes(pid: number | 'self' = 'self'): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  let kb = 0;
  for (const line of text.split('\n')) {
    const m = /^Private_(Clean|Dirty):\s+(\d+) kB/.exec(line);
    if (m) kb += Number(m[2]);
  }
  return kb * 1024;
}

/**
 * A skewed lookup stream: `count` keys drawn from `keys` by a Zipf law of exponent `s` over a
 * random ranking (rank 1 the most asked for), the shape of real traffic where a few sites
 * get most requests. s = 0.99 is the YCSB default.
 */
export function zipfOrder(keys: readonly string[], count: number, s = 0.99, seed = 7): string[] {
  const r = rng(seed);
  const n = keys.length;
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / (i + 1) ** s;
    cdf[i] = total;
  }
  const ranked = keys.slice();
  for (let i = ranked.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [ranked[i], ranked[j]] = [ranked[j]!, ranked[i]!];
  }
  const out: string[] = new Array<string>(count);
  for (let k = 0; k < count; k++) {
    const u = r() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[k] = ranked[lo]!;
  }
  return out;
}

/** The share of `order`'s lookups that fall on its `bound` most frequent keys (the best any cache of that size can hit). */
export function topShare(order: readonly string[], bound: number): number {
  const counts = new Map<string, number>();
  for (const k of order) counts.set(k, (counts.get(k) ?? 0) + 1);
  const sorted = [...counts.values()].sort((a, b) => b - a);
  let top = 0;
  for (let i = 0; i < Math.min(bound, sorted.length); i++) top += sorted[i]!;
  return top / order.length;
}
