/**
 * The config DB's tables for per-site analytics and the audit log, shared by the SQLite and
 * PostgreSQL modules: the migration, the row shapes and the statements both engines accept.
 */
import { SCORE_BUCKETS } from './risk/score-buckets.js';

/**
 * `site_analytics`: one row per (resolution, bucket, site, hostname, action, reason) cell.
 * Failures sit on rows whose `reason` names why; challenges, passes and escalations on the
 * row with reason ''. `audit_log`: one row per admin action (no secrets, ever).
 */
export const ANALYTICS_AND_AUDIT_TABLES = `CREATE TABLE IF NOT EXISTS site_analytics (
    resolution TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    sitekey TEXT NOT NULL,
    hostname TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    challenges BIGINT NOT NULL DEFAULT 0,
    passes BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    escalations BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (resolution, bucket, sitekey, hostname, action, reason)
  );
  CREATE INDEX IF NOT EXISTS site_analytics_bucket ON site_analytics (resolution, bucket);
  CREATE TABLE IF NOT EXISTS audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    address TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);`;

/**
 * The risk engine's per-site counts, added to `site_analytics` (appended to the migrations):
 * escalations by level (the `escalations` column keeps counting every step above the base,
 * refusals included), refusals, and verify-time scores in ten fixed buckets `score_0` (0.0-0.1)
 * .. `score_9` (0.9-1.0). Refusals sit on rows whose `reason` is `refused:<scope>:<reason>`;
 * the rest on the row with reason ''. Rows written before this migration read as zeros.
 */
export const RISK_ANALYTICS_COLUMNS_MIGRATION = [
  'ALTER TABLE site_analytics ADD COLUMN escalations_slide BIGINT NOT NULL DEFAULT 0;',
  'ALTER TABLE site_analytics ADD COLUMN escalations_slide_pow BIGINT NOT NULL DEFAULT 0;',
  'ALTER TABLE site_analytics ADD COLUMN refusals BIGINT NOT NULL DEFAULT 0;',
  ...Array.from({ length: SCORE_BUCKETS }, (_, i) => `ALTER TABLE site_analytics ADD COLUMN score_${i} BIGINT NOT NULL DEFAULT 0;`),
].join('\n  ');

/** The `reason` of a refusal row: scope and the leading risk reason. */
export function refusalReason(scope: string, reason: string): string {
  return `refused:${scope}:${reason}`;
}

export type AnalyticsResolution = 'minute' | 'hour';

/** One stored analytics cell. */
export interface AnalyticsRow {
  readonly resolution: AnalyticsResolution;
  /** Start of the minute or hour, epoch ms. */
  readonly bucket: number;
  readonly sitekey: string;
  readonly hostname: string;
  readonly action: string;
  /** Failure reason; '' on the row of challenges, passes and escalations. */
  readonly reason: string;
  readonly challenges: number;
  readonly passes: number;
  readonly failures: number;
  readonly escalations: number;
  /** Of the escalations: to a slide, and to a slide plus a costlier proof of work. */
  readonly escalationsSlide: number;
  readonly escalationsSlidePow: number;
  /** Issue requests refused (429), on the row of the refusal's scope and reason. */
  readonly refusals: number;
  /** Passed answers by verify-time score, {@link SCORE_BUCKETS} buckets of 0.1, lowest first. */
  readonly scores: readonly number[];
}

/** What {@link ConfigDb.readAnalytics} selects: one resolution, a time range, maybe one site. */
export interface AnalyticsQuery {
  readonly resolution: AnalyticsResolution;
  /** Inclusive start, epoch ms. */
  readonly fromMs: number;
  /** Exclusive end, epoch ms. */
  readonly toMs: number;
  /** One site; absent: every site. */
  readonly sitekey?: string;
}

/** One admin action as the audit log keeps it. */
export interface AuditEntry {
  readonly id: string;
  /** Epoch ms. */
  readonly at: number;
  /** Which admin credential acted (its name, never its value). */
  readonly actor: string;
  /** What was done, e.g. `site.create`, `site.rotate-secret`. */
  readonly action: string;
  /** What it was done to (a sitekey), or ''. */
  readonly target: string;
  /** The client address the request came from. */
  readonly address: string;
  /** Non-secret particulars (field names changed, the grace chosen). */
  readonly detail: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

const SCORE_COLUMNS = Array.from({ length: SCORE_BUCKETS }, (_, i) => `score_${i}`);
/** The counted columns, in {@link analyticsToParams} order after the key. */
const COUNT_COLUMNS = ['challenges', 'passes', 'failures', 'escalations', 'escalations_slide', 'escalations_slide_pow', 'refusals', ...SCORE_COLUMNS];
export const ANALYTICS_COLUMNS = `resolution, bucket, sitekey, hostname, action, reason, ${COUNT_COLUMNS.join(', ')}`;
/** Parameters per row of {@link analyticsToParams}. */
export const ANALYTICS_PARAMS = 6 + COUNT_COLUMNS.length;
export const AUDIT_COLUMNS = 'id, at, actor, action, target, address, detail';

/** The upsert both engines run: counts add up. `values` is the VALUES list. */
export function analyticsUpsert(values: string): string {
  return `INSERT INTO site_analytics (${ANALYTICS_COLUMNS}) VALUES ${values}
    ON CONFLICT (resolution, bucket, sitekey, hostname, action, reason) DO UPDATE SET
    ${COUNT_COLUMNS.map((c) => `${c} = site_analytics.${c} + excluded.${c}`).join(',\n    ')}`;
}

export function analyticsToParams(r: AnalyticsRow): unknown[] {
  return [
    r.resolution, r.bucket, r.sitekey, r.hostname, r.action, r.reason, r.challenges, r.passes, r.failures, r.escalations,
    r.escalationsSlide, r.escalationsSlidePow, r.refusals, ...Array.from({ length: SCORE_BUCKETS }, (_, i) => r.scores[i] ?? 0),
  ];
}

export interface AnalyticsDbRow {
  resolution: string;
  bucket: number | string;
  sitekey: string;
  hostname: string;
  action: string;
  reason: string;
  challenges: number | string;
  passes: number | string;
  failures: number | string;
  escalations: number | string;
  escalations_slide: number | string;
  escalations_slide_pow: number | string;
  refusals: number | string;
  [score: `score_${number}`]: number | string;
}

export function rowToAnalytics(row: AnalyticsDbRow): AnalyticsRow {
  return {
    resolution: row.resolution === 'hour' ? 'hour' : 'minute',
    bucket: Number(row.bucket), sitekey: row.sitekey, hostname: row.hostname, action: row.action, reason: row.reason,
    challenges: Number(row.challenges), passes: Number(row.passes), failures: Number(row.failures), escalations: Number(row.escalations),
    escalationsSlide: Number(row.escalations_slide), escalationsSlidePow: Number(row.escalations_slide_pow), refusals: Number(row.refusals),
    scores: SCORE_COLUMNS.map((c) => Number(row[c as `score_${number}`] ?? 0)),
  };
}

export interface AuditDbRow {
  id: string;
  at: number | string;
  actor: string;
  action: string;
  target: string;
  address: string;
  detail: string;
}

export function auditToParams(e: AuditEntry): unknown[] {
  return [e.id, e.at, e.actor, e.action, e.target, e.address, JSON.stringify(e.detail)];
}

export function rowToAudit(row: AuditDbRow): AuditEntry {
  let detail: AuditEntry['detail'] = {};
  try {
    const parsed = JSON.parse(row.detail) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) detail = parsed as AuditEntry['detail'];
  } catch {
    // A row written by hand with a broken detail still lists.
  }
  return { id: row.id, at: Number(row.at), actor: row.actor, action: row.action, target: row.target, address: row.address, detail };
}
