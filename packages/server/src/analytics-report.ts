/**
 * Per-site analytics, the reading side: turns stored cells into the console's report (a
 * dense time series, totals, failures by reason, top hostnames and actions, the risk
 * engine's escalations by level, refusals by reason and the verify-time score histogram) and
 * into CSV.
 */
import type { AnalyticsResolution, AnalyticsRow } from './analytics-schema.js';
import type { ConfigDb } from './config-db.js';
import { SCORE_BUCKETS, emptyScores, scoreBucketLabel } from './risk/score-buckets.js';
import { HOUR_MS, MINUTE_MS } from './site-analytics.js';

/** The ranges a report may cover, and the resolution each is read at. */
export const ANALYTICS_RANGES = {
  '1h': { spanMs: HOUR_MS, resolution: 'minute' },
  '24h': { spanMs: 24 * HOUR_MS, resolution: 'minute' },
  '7d': { spanMs: 7 * 24 * HOUR_MS, resolution: 'hour' },
  '30d': { spanMs: 30 * 24 * HOUR_MS, resolution: 'hour' },
  '90d': { spanMs: 90 * 24 * HOUR_MS, resolution: 'hour' },
} as const satisfies Record<string, { spanMs: number; resolution: AnalyticsResolution }>;
export type AnalyticsRange = keyof typeof ANALYTICS_RANGES;
export const ANALYTICS_RANGE_NAMES = Object.keys(ANALYTICS_RANGES) as AnalyticsRange[];

/** The report's request: a range ending now, maybe one site. */
export interface AnalyticsRequest {
  readonly range: AnalyticsRange;
  readonly sitekey?: string;
}

interface Counts { challenges: number; passes: number; failures: number; escalations: number }

/** The console's report (`GET /admin/api/analytics`). */
export interface AnalyticsReport {
  readonly range: AnalyticsRange;
  readonly resolution: AnalyticsResolution;
  /** Bucket width, ms. */
  readonly stepMs: number;
  /** First bucket's start and the end of the last, epoch ms. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly sitekey: string | null;
  readonly totals: Counts;
  readonly failuresByReason: Record<string, number>;
  /** One point per bucket, oldest first, zeros included (a chart's x axis is time). */
  readonly series: ({ t: number } & Counts)[];
  /** The 20 busiest hostnames and actions of the range. */
  readonly byHostname: ({ hostname: string } & Counts)[];
  readonly byAction: ({ action: string } & Counts)[];
  /** Escalations by the step issued; `refuse` counts the refusals (429). */
  readonly escalationsByLevel: { slide: number; slide_pow: number; refuse: number };
  /** Refusals by scope and leading reason, most first. */
  readonly refusalsByReason: { scope: string; reason: string; refusals: number }[];
  /** Passed answers by verify-time score (siteverify's `score`), in buckets of 0.1, lowest first. */
  readonly scoreHistogram: { from: number; to: number; label: string; count: number }[];
}

const zero = (): Counts => ({ challenges: 0, passes: 0, failures: 0, escalations: 0 });
const add = (into: Counts, r: Counts): void => {
  into.challenges += r.challenges;
  into.passes += r.passes;
  into.failures += r.failures;
  into.escalations += r.escalations;
};

/** The time window of a range ending at `now`: whole buckets, the current one included. */
export function windowOf(range: AnalyticsRange, now: number): { resolution: AnalyticsResolution; stepMs: number; fromMs: number; toMs: number } {
  const { spanMs, resolution } = ANALYTICS_RANGES[range];
  const stepMs = resolution === 'minute' ? MINUTE_MS : HOUR_MS;
  const toMs = Math.floor(now / stepMs) * stepMs + stepMs;
  return { resolution, stepMs, fromMs: toMs - spanMs, toMs };
}

/** Read the cells of a request. */
export async function readRange(db: ConfigDb, req: AnalyticsRequest, now: number): Promise<{ rows: AnalyticsRow[]; window: ReturnType<typeof windowOf> }> {
  const window = windowOf(req.range, now);
  const rows = await db.readAnalytics({ resolution: window.resolution, fromMs: window.fromMs, toMs: window.toMs, ...(req.sitekey === undefined ? {} : { sitekey: req.sitekey }) });
  return { rows, window };
}

/** Build the report from the cells of one window. */
export function reportOf(req: AnalyticsRequest, rows: readonly AnalyticsRow[], window: ReturnType<typeof windowOf>): AnalyticsReport {
  const { stepMs, fromMs, toMs } = window;
  const points = Array.from({ length: Math.round((toMs - fromMs) / stepMs) }, (_, i) => ({ t: fromMs + i * stepMs, ...zero() }));
  const totals = zero();
  const failuresByReason: Record<string, number> = {};
  const hosts = new Map<string, Counts>();
  const actions = new Map<string, Counts>();
  const levels = { slide: 0, slide_pow: 0, refuse: 0 };
  const refusals = new Map<string, number>();
  const scores = emptyScores();
  for (const r of rows) {
    levels.slide += r.escalationsSlide;
    levels.slide_pow += r.escalationsSlidePow;
    levels.refuse += r.refusals;
    if (r.refusals > 0) refusals.set(r.reason, (refusals.get(r.reason) ?? 0) + r.refusals);
    for (let i = 0; i < SCORE_BUCKETS; i++) scores[i] = (scores[i] ?? 0) + (r.scores[i] ?? 0);
    const point = points[Math.floor((r.bucket - fromMs) / stepMs)];
    if (point !== undefined) add(point, r);
    add(totals, r);
    if (r.failures > 0) failuresByReason[r.reason] = (failuresByReason[r.reason] ?? 0) + r.failures;
    for (const [map, key] of [[hosts, r.hostname], [actions, r.action]] as const) {
      const c = map.get(key) ?? zero();
      add(c, r);
      map.set(key, c);
    }
  }
  const top = (map: Map<string, Counts>): [string, Counts][] => [...map.entries()]
    .sort((a, b) => b[1].challenges + b[1].failures - (a[1].challenges + a[1].failures) || a[0].localeCompare(b[0]))
    .slice(0, 20);
  return {
    range: req.range, resolution: window.resolution, stepMs, fromMs, toMs, sitekey: req.sitekey ?? null,
    totals, failuresByReason, series: points,
    byHostname: top(hosts).map(([hostname, c]) => ({ hostname, ...c })),
    byAction: top(actions).map(([action, c]) => ({ action, ...c })),
    escalationsByLevel: levels,
    refusalsByReason: [...refusals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key, n]) => {
      // `refused:<scope>:<reason>` (analytics-schema.ts refusalReason).
      const [, scope = '', ...reason] = key.split(':');
      return { scope, reason: reason.join(':'), refusals: n };
    }),
    scoreHistogram: scores.map((count, i) => ({ from: i / SCORE_BUCKETS, to: (i + 1) / SCORE_BUCKETS, label: scoreBucketLabel(i), count })),
  };
}

/** Score columns are named by their bucket: `score_0.0_0.1` .. `score_0.9_1.0`. */
export const CSV_HEADER = `bucket_start,resolution,sitekey,hostname,action,reason,challenges,passes,failures,escalations,escalations_slide,escalations_slide_pow,refusals,${
  Array.from({ length: SCORE_BUCKETS }, (_, i) => `score_${scoreBucketLabel(i).replace('-', '_')}`).join(',')}`;

/**
 * One CSV field. Hostnames and actions come from visitors' requests, so a field a
 * spreadsheet would run as a formula (= + - @, tab, CR) is prefixed with a quote.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The cells as CSV (RFC 4180, CRLF line ends, ISO 8601 UTC bucket starts). */
export function csvOf(rows: readonly AnalyticsRow[]): string {
  const lines = [CSV_HEADER];
  for (const r of rows) {
    lines.push([
      new Date(r.bucket).toISOString(), r.resolution, csvField(r.sitekey), csvField(r.hostname), csvField(r.action), csvField(r.reason),
      r.challenges, r.passes, r.failures, r.escalations, r.escalationsSlide, r.escalationsSlidePow, r.refusals,
      ...Array.from({ length: SCORE_BUCKETS }, (_, i) => r.scores[i] ?? 0),
    ].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
