/**
 * The networks behind one site's refusals, failures and escalations over a range, the reading
 * side (`GET /admin/api/risk/prefixes`): stored minutes and the ones still held in memory,
 * summed per network (its keyed hash), the 20 with the most events first.
 */
import { windowOf } from './analytics-report.js';
import type { RiskPrefixRow } from './risk-prefix-schema.js';

/** The ranges the report covers: network rows are kept a day, like the minute cells. */
export const PREFIX_RANGE_NAMES = ['1h', '24h'] as const;
export type PrefixRange = (typeof PREFIX_RANGE_NAMES)[number];

/** Networks a report lists. */
export const PREFIX_REPORT_TOP = 20;

export interface RiskPrefixRequest {
  readonly range: PrefixRange;
  readonly sitekey: string;
}

/** One network of the report. */
export interface PrefixReportEntry {
  /** The network's keyed hash for the day (`v4:` a /24, `v6:` a /48), never the prefix. */
  readonly network: string;
  readonly family: 'v4' | 'v6' | 'other';
  /** Refusals + failures + escalations. */
  readonly events: number;
  readonly refusals: number;
  readonly failures: number;
  readonly escalations: number;
  /** Minutes of the range in which it was among the site's top 20. */
  readonly minutes: number;
}

export interface RiskPrefixReport {
  readonly range: PrefixRange;
  readonly sitekey: string;
  /** First minute's start and the end of the last, epoch ms. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly networks: PrefixReportEntry[];
}

/** The window of a request ending at `now` (whole minutes, the current one included). */
export function prefixWindowOf(range: PrefixRange, now: number): { fromMs: number; toMs: number } {
  const { fromMs, toMs } = windowOf(range, now);
  return { fromMs, toMs };
}

/** Build the report from the rows of its window (stored and held; the same network may come twice). */
export function prefixReportOf(req: RiskPrefixRequest, rows: readonly RiskPrefixRow[], window: { fromMs: number; toMs: number }): RiskPrefixReport {
  const by = new Map<string, { refusals: number; failures: number; escalations: number; minutes: Set<number> }>();
  for (const r of rows) {
    if (r.bucket < window.fromMs || r.bucket >= window.toMs) continue;
    let e = by.get(r.network);
    if (e === undefined) {
      e = { refusals: 0, failures: 0, escalations: 0, minutes: new Set() };
      by.set(r.network, e);
    }
    e.refusals += r.refusals;
    e.failures += r.failures;
    e.escalations += r.escalations;
    e.minutes.add(r.bucket);
  }
  const networks = [...by.entries()].map(([network, e]): PrefixReportEntry => {
    const family = network.startsWith('v4:') ? 'v4' : network.startsWith('v6:') ? 'v6' : 'other';
    return { network, family, events: e.refusals + e.failures + e.escalations, refusals: e.refusals, failures: e.failures, escalations: e.escalations, minutes: e.minutes.size };
  }).sort((a, b) => b.events - a.events || (a.network < b.network ? -1 : 1)).slice(0, PREFIX_REPORT_TOP);
  return { range: req.range, sitekey: req.sitekey, fromMs: window.fromMs, toMs: window.toMs, networks };
}
