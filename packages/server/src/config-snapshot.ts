/**
 * A snapshot of the site table: what a fresh config mirror is filled from. Where the change
 * log hands out one {@link SiteChange} per site (an object per row, then `JSON.stringify` of
 * it for the mirror), a snapshot hands out each site as the few strings the mirror stores:
 * its keys' parts and the record as JSON text. SQLite writes that text itself (in C, one
 * column per row), which is what a start of a million sites spends least on.
 */
import type { SiteChange } from './config-db-schema.js';
import { parseStoredSiteRisk } from './risk/site-risk-settings.js';

/** One site of a snapshot page: its sitekey, secret hashes and record as JSON text. */
export type SnapshotSite = readonly [sitekey: string, secretHash: string, prevSecretHash: string | null, json: string];

/** Receives one page of a snapshot; runs before the next page is read. */
export type SnapshotPageHandler = (sites: readonly SnapshotSite[]) => void;

/**
 * The last change-log entry a snapshot covers (a site or a tombstone): a reader of the log
 * goes on after `seq`. `seq` 0 and no sitekey: the log is empty.
 */
export interface SnapshotEnd {
  readonly seq: number;
  readonly sitekey: string | undefined;
}

/** A JSON string literal in SQL (SQLite's `json_quote`); NULL becomes `null`. */
const q = (column: string): string => `json_quote(${column})`;

/**
 * A NOT NULL number column as JSON: `+ 0` makes it numeric whatever it holds, and SQLite's
 * text of a number is a JSON number (cheaper than a `json_quote` call, which counts per row).
 */
const num = (column: string): string => `(${column} + 0)`;

/**
 * A JSON array column, spliced as it is when it holds one of the values the site service
 * writes (the common case, checked by comparison), else through `json()`, which fails the
 * read on a malformed value as `JSON.parse` did.
 */
const jsonArray = (column: string, known: readonly string[]): string =>
  `CASE WHEN ${column} IN (${known.map((k) => `'${k}'`).join(', ')}) THEN ${column} ELSE json(${column}) END`;

/** The `challenge_types` values a site can have (every order of the non-empty sets). */
const KNOWN_CHALLENGE_TYPES = ['["pow"]', '["slide"]', '["slide","pow"]', '["pow","slide"]'];

/**
 * SQLite: the record of a `sites` row as JSON text — the fields, names and values of
 * `rowToSite` (config-db-schema.ts) but `risk`, which the reader adds for the rare row that
 * has one (see {@link withRisk}). Kept in step with `rowToSite` by config-snapshot.test.ts.
 * One `concat()` call (SQLite 3.44+; better-sqlite3 bundles its own) builds it in one buffer (a chain of `||` copies the growing text once
 * per part: ~20% more CPU for the read). No part is NULL (`json_quote` writes `null`, the
 * other columns are NOT NULL), which `concat` would drop where `||` would null the whole.
 */
export const SQLITE_SITE_JSON = `concat('{"sitekey":', ${q('sitekey')}, ',"name":', ${q('name')},
  ',"secretHash":', ${q('secret_hash')}, ',"prevSecretHash":', ${q('prev_secret_hash')},
  ',"prevSecretExpiresAt":', ${q('prev_secret_expires_at')},
  ',"hostnames":', ${jsonArray('hostnames', ['[]'])}, ',"challengeTypes":', ${jsonArray('challenge_types', KNOWN_CHALLENGE_TYPES)},
  ',"difficulty":', ${num('difficulty')}, ',"imageSet":', ${q('image_set')},
  ',"rateLimitPerSecond":', ${num('rate_limit_per_second')},
  ',"keyboardSolve":', CASE WHEN keyboard_solve = 1 THEN 'true' ELSE 'false' END,
  ',"powAlgorithm":', CASE WHEN pow_algorithm = 'scrypt' THEN '"scrypt"' ELSE '"sha256"' END,
  ',"enabled":', CASE WHEN enabled = 1 THEN 'true' ELSE 'false' END,
  ',"createdAt":', ${num('created_at')}, ',"updatedAt":', ${num('updated_at')}, '}')`;

/**
 * SQLite: one page of the snapshot in table order (the rowid b-tree, no index lookups),
 * after a rowid, at most a page of rows (the two parameters): sitekey, secret_hash, prev_secret_hash, the JSON
 * text, risk, change_seq, rowid.
 */
export const SQLITE_SNAPSHOT_PAGE_SQL = `SELECT sitekey, secret_hash, prev_secret_hash, ${SQLITE_SITE_JSON}, risk, change_seq, rowid
  FROM sites WHERE rowid > ? ORDER BY rowid LIMIT ?`;

/** SQLite: the tombstone with the highest sequence (a delete may be the log's last entry). */
export const SQLITE_LAST_TOMBSTONE_SQL = 'SELECT change_seq, sitekey FROM site_tombstones ORDER BY change_seq DESC LIMIT 1';

/** A record's JSON text with the row's stored risk settings added (parsed as `rowToSite` does). */
export function withRisk(json: string, risk: string): string {
  return JSON.stringify({ ...JSON.parse(json) as object, risk: parseStoredSiteRisk(risk) });
}

/**
 * A snapshot read through the change log, a page per query (PostgreSQL): each page is one
 * consistent read, and the log's sequence order makes the pages add up to one moment (see
 * CHANGE_LOG in config-db-schema.ts). Tombstones only move the end.
 */
export async function snapshotFromChangeLog(
  changesSince: (afterSeq: number, limit: number) => Promise<SiteChange[]>, pageSize: number, onPage: SnapshotPageHandler,
): Promise<SnapshotEnd> {
  let end: SnapshotEnd = { seq: 0, sitekey: undefined };
  // Bounded: each page moves the sequence forward; a log that grows faster than it is read
  // still ends here, and the rest is read by the next refresh.
  for (let pages = 0; pages < 1_000_000; pages++) {
    const page = await changesSince(end.seq, pageSize);
    if (page.length === 0) break;
    const sites: SnapshotSite[] = [];
    for (const c of page) {
      if (c.site) sites.push([c.sitekey, c.site.secretHash, c.site.prevSecretHash, JSON.stringify(c.site)]);
    }
    onPage(sites);
    const last = page[page.length - 1]!;
    end = { seq: last.seq, sitekey: last.sitekey };
    if (page.length < pageSize) break;
  }
  return end;
}
