// What both config DB engines must do for the risk dashboard, run by the SQLite test
// (risk-dashboard.test.ts) and the PostgreSQL one (postgres.int.test.ts) against real DBs.
import assert from 'node:assert/strict';
import type { ConfigDb } from '../src/config-db.js';
import { DAY_MS, PrefixHasher, prefixKeyName } from '../src/risk/prefix-hash.js';
import { emptyCounts } from '../src/site-analytics.js';

/** The migration's old rows read as zeros; new columns add up; network rows and keys prune. */
export async function checkRiskAnalyticsDb(db: ConfigDb, sitekey: string): Promise<void> {
  const bucket = 400 * DAY_MS + 5 * 60_000;
  const row = { resolution: 'minute' as const, bucket, sitekey, hostname: 'h.example', action: '', reason: '' };
  const counts = { ...emptyCounts(), escalations: 3, escalationsSlide: 2, escalationsSlidePow: 1, scores: [0, 1, 0, 0, 0, 0, 0, 0, 2, 5] };
  await db.addAnalytics([row, { ...row, reason: 'refused:prefix:prefix_solves' }].map((r, i) => ({ ...r, ...(i === 0 ? counts : { ...emptyCounts(), refusals: 4 }) })));
  await db.addAnalytics([{ ...row, ...counts }]);
  const read = await db.readAnalytics({ resolution: 'minute', fromMs: bucket, toMs: bucket + 60_000, sitekey });
  const main = read.find((r) => r.reason === '');
  assert.deepEqual([main?.escalations, main?.escalationsSlide, main?.escalationsSlidePow, main?.scores], [6, 4, 2, [0, 2, 0, 0, 0, 0, 0, 0, 4, 10]]);
  assert.equal(read.find((r) => r.reason === 'refused:prefix:prefix_solves')?.refusals, 4);

  // A day's key is made once and shared: two hashers (two machines) name a network alike.
  const a = new PrefixHasher(db);
  const b = new PrefixHasher(db);
  const h1 = await a.hash('203.0.113.0/24', bucket);
  assert.equal(await b.hash('203.0.113.0/24', bucket + 60_000), h1);
  assert.match(h1, /^v4:[A-Za-z0-9_-]{12}$/);
  assert.notEqual(await a.hash('203.0.113.0/24', bucket + DAY_MS), h1, 'the next day, another key');
  assert.notEqual(await a.hash('198.51.100.0/24', bucket), h1);
  assert.match(await a.hash('2001:db8:1::/48', bucket), /^v6:/);
  assert.ok(await db.getMeta(prefixKeyName(400)), 'the key is in meta');

  await db.addRiskPrefixes([{ sitekey, bucket, network: h1, refusals: 1, failures: 2, escalations: 3 }]);
  await db.addRiskPrefixes([{ sitekey, bucket, network: h1, refusals: 1, failures: 0, escalations: 0 }, { sitekey, bucket: bucket + DAY_MS, network: 'v4:x', refusals: 0, failures: 1, escalations: 0 }]);
  const stored = await db.readRiskPrefixes({ sitekey, fromMs: bucket, toMs: bucket + 2 * DAY_MS });
  assert.deepEqual(stored.map((r) => [r.bucket, r.network, r.refusals, r.failures, r.escalations]), [[bucket, h1, 2, 2, 3], [bucket + DAY_MS, 'v4:x', 0, 1, 0]]);
  assert.equal((await db.readRiskPrefixes({ sitekey: 'other', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER })).length, 0);

  // Rows before a time go, and the keys of the days before a day (not that day's nor later ones).
  assert.equal(await db.pruneRiskPrefixes(bucket + 60_000, prefixKeyName(401)), 1);
  assert.equal((await db.readRiskPrefixes({ sitekey, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER })).length, 1);
  assert.equal(await db.getMeta(prefixKeyName(400)), undefined, 'day 400 key deleted');
  assert.ok(await db.getMeta(prefixKeyName(401)), 'day 401 key kept');
}
