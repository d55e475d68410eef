/**
 * A space-saving top-K sketch (Metwally, Agrawal, El Abbadi 2005) of the networks behind one
 * site's refusals, failures and escalations in one minute. It holds at most `k` networks: an
 * event of an untracked network when the sketch is full takes the place of the one with the
 * smallest count, and inherits that count (so a network that keeps coming climbs past the
 * ones seen once, whatever the order). Memory is O(k) whatever a farm spreads over.
 *
 * What is reported per network are the events seen while it was tracked (lower bounds: the
 * inherited count only decides who stays). A network with more than 1/k of the events is
 * never evicted, so the heavy hitters a dashboard looks for are exact.
 */

/** The events the dashboard ranks networks by. */
export type PrefixEventKind = 'refusals' | 'failures' | 'escalations';
export const PREFIX_EVENT_KINDS: readonly PrefixEventKind[] = Object.freeze(['refusals', 'failures', 'escalations']);

/** Networks one sketch keeps (per site and minute). */
export const TOP_PREFIXES_K = 20;

/** One tracked network's counts. */
export interface PrefixCounts {
  refusals: number;
  failures: number;
  escalations: number;
}

interface Entry extends PrefixCounts {
  /** Space-saving count: events plus what it inherited on taking a slot (ranking only). */
  rank: number;
}

export class TopPrefixes {
  readonly #k: number;
  readonly #entries = new Map<string, Entry>();

  constructor(k: number = TOP_PREFIXES_K) {
    if (!Number.isInteger(k) || k < 1) throw new TypeError(`TopPrefixes: k must be an integer >= 1, got ${String(k)}`);
    this.#k = k;
  }

  /** Networks tracked now (at most k). */
  get size(): number {
    return this.#entries.size;
  }

  /** Count `n` events of `kind` from `prefix`. */
  add(prefix: string, kind: PrefixEventKind, n = 1): void {
    let e = this.#entries.get(prefix);
    if (e === undefined) {
      let inherited = 0;
      if (this.#entries.size >= this.#k) {
        // O(k) scan: k is 20, and a Map keeps no order by count; a heap would cost more here.
        let minKey = '';
        let min = Number.POSITIVE_INFINITY;
        for (const [key, x] of this.#entries) {
          if (x.rank < min) { min = x.rank; minKey = key; }
        }
        this.#entries.delete(minKey);
        inherited = min;
      }
      e = { rank: inherited, refusals: 0, failures: 0, escalations: 0 };
      this.#entries.set(prefix, e);
    }
    e.rank += n;
    e[kind] += n;
  }

  /** Add another sketch's counts (a worker's report into the primary's minute). */
  merge(prefix: string, counts: PrefixCounts): void {
    for (const kind of PREFIX_EVENT_KINDS) if (counts[kind] > 0) this.add(prefix, kind, counts[kind]);
  }

  /** The tracked networks, most events first. */
  entries(): [prefix: string, counts: PrefixCounts][] {
    return [...this.#entries.entries()]
      .map(([p, e]): [string, PrefixCounts] => [p, { refusals: e.refusals, failures: e.failures, escalations: e.escalations }])
      .sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** Every event of a network. */
export function total(c: PrefixCounts): number {
  return c.refusals + c.failures + c.escalations;
}
