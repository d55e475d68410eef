/**
 * The networks behind each site's refusals, failures and escalations, the counting side: a
 * worker keeps one {@link TopPrefixes} sketch per site and minute and hands them to the
 * primary with its analytics report. Raw prefixes (`203.0.113.0/24`, never an address) stay
 * in memory and on the local IPC channel; the primary hashes them before anything is stored
 * (prefix-hash.ts).
 */
import { PREFIX_EVENT_KINDS, TopPrefixes } from './prefix-sketch.js';
import type { PrefixCounts, PrefixEventKind } from './prefix-sketch.js';

/** One network's counts in one site's minute, as reported and batched. */
export interface PrefixDelta extends PrefixCounts {
  /** Start of the minute, epoch ms. */
  readonly minute: number;
  readonly sitekey: string;
  /** The network (risk/network-prefix.ts), raw: only ever in memory and on local IPC. */
  readonly prefix: string;
}

/**
 * Sketches (site-minutes) kept between two reports, at most: about 20 networks each, so a
 * worker holds at most ~40 000 entries whatever the traffic. Events of further sites are not
 * tracked (and counted in `untracked`); the per-site totals in the analytics cells still are.
 */
export const MAX_PREFIX_SKETCHES = 2000;

/** site-analytics.ts's minute (not imported: that module holds a tally of these). */
const MINUTE_MS = 60_000;

export class PrefixTally {
  readonly #sketches = new Map<string, { minute: number; sitekey: string; top: TopPrefixes }>();
  readonly #now: () => number;
  /** Events not tracked because {@link MAX_PREFIX_SKETCHES} sketches were full. */
  untracked = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Sketches held now. */
  get size(): number {
    return this.#sketches.size;
  }

  /** Count one event of `kind` from `prefix` on `sitekey`. */
  count(sitekey: string, prefix: string, kind: PrefixEventKind): void {
    const minute = Math.floor(this.#now() / MINUTE_MS) * MINUTE_MS;
    const key = `${minute}\n${sitekey}`;
    let s = this.#sketches.get(key);
    if (s === undefined) {
      if (this.#sketches.size >= MAX_PREFIX_SKETCHES) {
        this.untracked += 1;
        return;
      }
      s = { minute, sitekey, top: new TopPrefixes() };
      this.#sketches.set(key, s);
    }
    s.top.add(prefix, kind);
  }

  /** Everything counted since the last drain, and start afresh. */
  drain(): PrefixDelta[] {
    const out: PrefixDelta[] = [];
    for (const { minute, sitekey, top } of this.#sketches.values()) {
      for (const [prefix, c] of top.entries()) out.push({ minute, sitekey, prefix, ...c });
    }
    this.#sketches.clear();
    return out;
  }
}

/** True when `value` is a well-formed report entry (IPC input is checked, not trusted). */
export function isPrefixDelta(value: unknown): value is PrefixDelta {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  return Number.isSafeInteger(d['minute']) && typeof d['sitekey'] === 'string' && typeof d['prefix'] === 'string'
    && (d['prefix'] as string).length <= 64 && PREFIX_EVENT_KINDS.every((k) => count(d[k]));
}
