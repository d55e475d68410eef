// Shapes of the admin API's analytics report and audit entries, as the console reads them.

interface Counts { challenges: number; passes: number; failures: number; escalations: number }

/** `GET /admin/api/analytics` (see docs/api.md). */
export interface AnalyticsReport {
  range: string;
  resolution: 'minute' | 'hour';
  stepMs: number;
  fromMs: number;
  toMs: number;
  sitekey: string | null;
  totals: Counts;
  failuresByReason: Record<string, number>;
  series: ({ t: number } & Counts)[];
  byHostname: ({ hostname: string } & Counts)[];
  byAction: ({ action: string } & Counts)[];
  escalationsByLevel: { slide: number; slide_pow: number; refuse: number };
  refusalsByReason: { scope: string; reason: string; refusals: number }[];
  scoreHistogram: { from: number; to: number; label: string; count: number }[];
}

/** `GET /admin/api/risk/prefixes` (see docs/api.md). */
export interface RiskPrefixReport {
  range: string;
  sitekey: string;
  fromMs: number;
  toMs: number;
  networks: { network: string; family: string; events: number; refusals: number; failures: number; escalations: number; minutes: number }[];
}

/** The ranges the networks are kept for. */
export const PREFIX_RANGES: readonly string[] = ['1h', '24h'];

/** One entry of `GET /admin/api/audit`. */
export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string;
  address: string;
  detail: Record<string, unknown>;
}

/** The ranges the API offers, with what the console calls them. */
export const RANGES: readonly (readonly [string, string])[] = [
  ['1h', 'Last hour (per minute)'], ['24h', 'Last 24 hours (per minute)'], ['7d', 'Last 7 days (per hour)'],
  ['30d', 'Last 30 days (per hour)'], ['90d', 'Last 90 days (per hour)'],
];
