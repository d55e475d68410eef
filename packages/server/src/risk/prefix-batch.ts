/**
 * The networks behind each site's refusals, failures and escalations, the primary's side: the
 * workers' sketches of one site and minute are merged into one {@link TopPrefixes} (so at most
 * 20 networks per site and minute), held until the minute is over and written once. Holding
 * the minute keeps the rows written bounded (a write per batch would add up to 20 new networks
 * each time); a read merges what is held with what is stored, so the console is current.
 */
import { TopPrefixes } from './prefix-sketch.js';
import type { PrefixDelta } from './prefix-tally.js';

const MINUTE_MS = 60_000;
/**
 * A minute is written this long after it ends: workers report every 2 s, so by then every
 * worker's share of it has come in. One that comes later is written with the next batch (its
 * counts add up; the site's minute may then hold a few more than 20 rows).
 */
export const PREFIX_WRITE_DELAY_MS = 10_000;
/**
 * Site-minutes held at most (20 networks each: ~200 000 entries, some 30 MB at worst, while a
 * DB outage lasts). Past it, reports of further site-minutes are dropped and counted.
 */
export const MAX_PENDING_PREFIX_SKETCHES = 10_000;

export class PrefixBatch {
  readonly #pending = new Map<string, { minute: number; sitekey: string; top: TopPrefixes }>();
  /** Report entries dropped because {@link MAX_PENDING_PREFIX_SKETCHES} were held. */
  dropped = 0;

  /** Site-minutes held. */
  get size(): number {
    return this.#pending.size;
  }

  /** Merge a worker's report (or a failed write's rows, back). */
  add(deltas: readonly PrefixDelta[]): void {
    for (const d of deltas) {
      const key = `${d.minute}\n${d.sitekey}`;
      let s = this.#pending.get(key);
      if (s === undefined) {
        if (this.#pending.size >= MAX_PENDING_PREFIX_SKETCHES) {
          this.dropped += 1;
          continue;
        }
        s = { minute: d.minute, sitekey: d.sitekey, top: new TopPrefixes() };
        this.#pending.set(key, s);
      }
      s.top.merge(d.prefix, d);
    }
  }

  /** True when some held minute is due at `now` (every one when `all`). */
  due(now: number, all = false): boolean {
    for (const s of this.#pending.values()) if (all || s.minute + MINUTE_MS + PREFIX_WRITE_DELAY_MS <= now) return true;
    return false;
  }

  /** Take the minutes due at `now` (every one when `all`, at a stop). */
  take(now: number, all = false): PrefixDelta[] {
    const out: PrefixDelta[] = [];
    for (const [key, s] of this.#pending) {
      if (!all && s.minute + MINUTE_MS + PREFIX_WRITE_DELAY_MS > now) continue;
      this.#pending.delete(key);
      out.push(...entriesOf(s));
    }
    return out;
  }

  /** What is held for one site in `[fromMs, toMs)` (not taken). */
  held(sitekey: string, fromMs: number, toMs: number): PrefixDelta[] {
    const out: PrefixDelta[] = [];
    for (const s of this.#pending.values()) {
      if (s.sitekey === sitekey && s.minute >= fromMs && s.minute < toMs) out.push(...entriesOf(s));
    }
    return out;
  }
}

function entriesOf(s: { minute: number; sitekey: string; top: TopPrefixes }): PrefixDelta[] {
  return s.top.entries().map(([prefix, c]) => ({ minute: s.minute, sitekey: s.sitekey, prefix, ...c }));
}
