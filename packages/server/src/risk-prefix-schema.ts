/**
 * The config DB's table of the networks behind each site's refusals, failures and escalations
 * (the console's "top networks"), shared by the SQLite and PostgreSQL modules. One row per
 * (site, minute, network) for at most 20 networks per site and minute and machine; the network
 * is its keyed hash (risk/prefix-hash.ts), never a prefix or an address. Kept a day.
 */

export const RISK_PREFIX_TABLE = `CREATE TABLE IF NOT EXISTS site_risk_prefixes (
    sitekey TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    network TEXT NOT NULL,
    refusals BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    escalations BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (sitekey, bucket, network)
  );
  CREATE INDEX IF NOT EXISTS site_risk_prefixes_bucket ON site_risk_prefixes (bucket);`;

/** One stored network of a site's minute. */
export interface RiskPrefixRow {
  readonly sitekey: string;
  /** Start of the minute, epoch ms. */
  readonly bucket: number;
  /** Keyed hash with its family, e.g. `v4:Qm3k9Xz0aP1c`. */
  readonly network: string;
  readonly refusals: number;
  readonly failures: number;
  readonly escalations: number;
}

/** What {@link ConfigDb.readRiskPrefixes} selects: one site, minutes in `[fromMs, toMs)`. */
export interface RiskPrefixQuery {
  readonly sitekey: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export const RISK_PREFIX_COLUMNS = 'sitekey, bucket, network, refusals, failures, escalations';

/** The upsert both engines run (counts add up); `values` is the VALUES list. */
export function riskPrefixUpsert(values: string): string {
  return `INSERT INTO site_risk_prefixes (${RISK_PREFIX_COLUMNS}) VALUES ${values}
    ON CONFLICT (sitekey, bucket, network) DO UPDATE SET
    refusals = site_risk_prefixes.refusals + excluded.refusals,
    failures = site_risk_prefixes.failures + excluded.failures,
    escalations = site_risk_prefixes.escalations + excluded.escalations`;
}

export function riskPrefixToParams(r: RiskPrefixRow): unknown[] {
  return [r.sitekey, r.bucket, r.network, r.refusals, r.failures, r.escalations];
}

export interface RiskPrefixDbRow {
  sitekey: string;
  bucket: number | string;
  network: string;
  refusals: number | string;
  failures: number | string;
  escalations: number | string;
}

export function rowToRiskPrefix(row: RiskPrefixDbRow): RiskPrefixRow {
  return {
    sitekey: row.sitekey, bucket: Number(row.bucket), network: row.network,
    refusals: Number(row.refusals), failures: Number(row.failures), escalations: Number(row.escalations),
  };
}
