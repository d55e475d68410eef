/**
 * What the admin API reads and keeps besides sites: per-site analytics (report and CSV), the
 * networks behind a site's refusals, failures and escalations, and the audit log of admin actions. Runs where the config DB is open (the primary, or the one
 * process that serves alone); workers reach it over IPC like the site operations.
 */
import { randomUUID } from 'node:crypto';
import { csvOf, readRange, reportOf } from './analytics-report.js';
import type { AnalyticsReport, AnalyticsRequest } from './analytics-report.js';
import type { AuditEntry } from './analytics-schema.js';
import type { ConfigDb } from './config-db.js';
import { prefixReportOf, prefixWindowOf } from './risk-prefix-report.js';
import type { RiskPrefixReport, RiskPrefixRequest } from './risk-prefix-report.js';
import type { RiskPrefixQuery, RiskPrefixRow } from './risk-prefix-schema.js';

/** An admin action to record: everything but the id and time, which are stamped here. */
export type AuditInput = Omit<AuditEntry, 'id' | 'at'>;

/** Most audit entries one list returns. */
export const MAX_AUDIT_PAGE = 500;

export interface AdminRecords {
  /** The analytics report of a range (what is pending in memory is written first, so it is current). */
  analytics(req: AnalyticsRequest): Promise<AnalyticsReport>;
  /** The same cells as CSV. */
  analyticsCsv(req: AnalyticsRequest): Promise<string>;
  /** One site's top networks (keyed hashes) by refusals, failures and escalations over a range. */
  riskPrefixes(req: RiskPrefixRequest): Promise<RiskPrefixReport>;
  /** Audit entries, newest first. */
  auditLog(limit: number, beforeMs?: number): Promise<AuditEntry[]>;
  /** Append an admin action to the audit log. */
  recordAudit(input: AuditInput): Promise<AuditEntry>;
}

export interface AdminRecordsOptions {
  readonly db: ConfigDb;
  /** Writes the analytics counted but not yet stored (called before a read). */
  readonly flush: () => Promise<void>;
  /** The network counts held in memory, not yet written (the minutes in progress). @default none */
  readonly heldNetworks?: ((q: RiskPrefixQuery) => Promise<RiskPrefixRow[]>) | undefined;
  readonly now?: () => number;
}

export function createAdminRecords(options: AdminRecordsOptions): AdminRecords {
  const { db, flush } = options;
  const now = options.now ?? Date.now;
  const current = async (req: AnalyticsRequest): ReturnType<typeof readRange> => {
    // A read after a burst shows the burst: the pending batch goes out first. A DB that
    // refuses it fails the read below with the same error.
    await flush();
    return readRange(db, req, now());
  };
  return {
    async analytics(req) {
      const { rows, window } = await current(req);
      return reportOf(req, rows, window);
    },
    async analyticsCsv(req) {
      return csvOf((await current(req)).rows);
    },
    async riskPrefixes(req) {
      await flush();
      const window = prefixWindowOf(req.range, now());
      const q = { sitekey: req.sitekey, ...window };
      const [stored, held] = await Promise.all([db.readRiskPrefixes(q), options.heldNetworks?.(q) ?? []]);
      return prefixReportOf(req, [...stored, ...held], window);
    },
    async auditLog(limit, beforeMs) {
      return db.listAudit(Math.max(1, Math.min(MAX_AUDIT_PAGE, Math.floor(limit))), beforeMs);
    },
    async recordAudit(input) {
      const entry: AuditEntry = { id: randomUUID(), at: now(), ...input };
      await db.addAudit(entry);
      return entry;
    },
  };
}
