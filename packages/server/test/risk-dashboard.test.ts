// The risk engine's per-site dashboard: score buckets, the top-K sketch of networks and its
// bounds, the batch writer's hashed network rows over a real SQLite config DB (and the
// migration of a DB made before them), and the analytics and network routes of a real
// in-process service under a farm that climbs the ladder to a refusal.
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { solvePow } from '@hurdle/challenge';
import Database from 'better-sqlite3';
import pino from 'pino';
import { AnalyticsWriter } from '../src/analytics-writer.js';
import { openConfigDb } from '../src/config-db.js';
import type { ConfigDb } from '../src/config-db.js';
import { MIGRATIONS } from '../src/config-db-schema.js';
import { PREFIX_WRITE_DELAY_MS } from '../src/risk/prefix-batch.js';
import { TOP_PREFIXES_K, TopPrefixes } from '../src/risk/prefix-sketch.js';
import { MAX_PREFIX_SKETCHES, PrefixTally, isPrefixDelta } from '../src/risk/prefix-tally.js';
import { SCORE_BUCKETS, scoreBucket, scoreBucketLabel } from '../src/risk/score-buckets.js';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { AnalyticsTally, MINUTE_MS } from '../src/site-analytics.js';
import { tempDir } from './fixtures.js';
import { checkRiskAnalyticsDb } from './risk-analytics-db.js';

const silent = pino({ level: 'silent' });

describe('score buckets', () => {
  it('puts each public score in one of ten buckets of 0.1, 1.0 in the last', () => {
    const cases: [number, number][] = [[0, 0], [0.05, 0], [0.1, 1], [0.29, 2], [0.3, 3], [0.7, 7], [0.69, 6], [0.9, 9], [0.99, 9], [1, 9], [-1, 0], [2, 9], [Number.NaN, 0]];
    for (const [score, bucket] of cases) assert.equal(scoreBucket(score), bucket, `score ${score}`);
    assert.equal(SCORE_BUCKETS, 10);
    assert.equal(scoreBucketLabel(0), '0.0-0.1');
    assert.equal(scoreBucketLabel(9), '0.9-1.0');
  });
});

describe('top networks sketch', () => {
  it('keeps k networks and the heavy hitters exactly, whatever spreads around them', () => {
    const top = new TopPrefixes();
    for (let i = 0; i < 2000; i++) {
      top.add(`10.${i % 250}.${Math.floor(i / 250)}.0/24`, 'failures');
      if (i % 4 === 0) top.add('203.0.113.0/24', 'refusals');
      if (i % 10 === 0) top.add('198.51.100.0/24', 'escalations');
    }
    assert.equal(top.size, TOP_PREFIXES_K);
    const [first, second] = top.entries();
    assert.deepEqual(first, ['203.0.113.0/24', { refusals: 500, failures: 0, escalations: 0 }]);
    assert.deepEqual(second, ['198.51.100.0/24', { refusals: 0, failures: 0, escalations: 200 }]);
    assert.throws(() => new TopPrefixes(0), /k must be an integer >= 1/);
  });

  it('a tally keeps one sketch per site and minute, at most MAX_PREFIX_SKETCHES, and drains', () => {
    let t = 0;
    const tally = new PrefixTally(() => t);
    tally.count('hk_a', '203.0.113.0/24', 'failures');
    t = MINUTE_MS;
    tally.count('hk_a', '203.0.113.0/24', 'failures');
    tally.count('hk_b', '203.0.113.0/24', 'escalations');
    assert.equal(tally.size, 3);
    for (let i = 0; i < MAX_PREFIX_SKETCHES + 10; i++) tally.count(`s${i}`, '192.0.2.0/24', 'failures');
    assert.equal(tally.size, MAX_PREFIX_SKETCHES);
    assert.equal(tally.untracked, 13);
    const out = tally.drain();
    assert.equal(tally.size, 0);
    assert.ok(out.every(isPrefixDelta));
    assert.deepEqual(out.filter((d) => d.sitekey === 'hk_a').map((d) => d.minute), [0, MINUTE_MS]);
    assert.equal(isPrefixDelta({ minute: 0, sitekey: 'a', prefix: 'x'.repeat(65), refusals: 0, failures: 0, escalations: 0 }), false);
    assert.equal(isPrefixDelta({ minute: 0, sitekey: 'a', prefix: 'p', refusals: -1, failures: 0, escalations: 0 }), false);
  });
});

describe('risk dashboard on SQLite', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: ConfigDb;
  before(async () => {
    dir = tempDir();
    db = await openConfigDb('', dir.path);
    await db.migrate();
  });
  after(async () => {
    await db.close();
    dir.remove();
  });

  it('stores, reads and prunes the new columns, network rows and daily keys', async () => {
    await checkRiskAnalyticsDb(db, 'hk_db');
  });

  it('holds a site-minute until it is over, then writes at most 20 hashed networks, never a prefix', async () => {
    const t0 = 900 * 86_400_000 + 3 * MINUTE_MS;
    let t = t0;
    const writer = new AnalyticsWriter({ db, logger: silent, now: () => t });
    // Two workers, each seeing the farm and 40 one-off networks.
    for (let w = 0; w < 2; w++) {
      const tally = new AnalyticsTally(() => t);
      for (let i = 0; i < 40; i++) tally.offense('hk_w', `192.0.2.${i}`, 'failures');
      for (let i = 0; i < 30; i++) tally.offense('hk_w', `203.0.113.${i}`, i % 3 === 0 ? 'refusals' : 'escalations');
      writer.addNetworks(tally.drainNetworks());
    }
    await writer.flush();
    const q = { sitekey: 'hk_w', fromMs: t0 - MINUTE_MS, toMs: t0 + MINUTE_MS };
    assert.equal((await db.readRiskPrefixes(q)).length, 0, 'the minute is still open');
    const held = await writer.heldNetworks(q);
    assert.ok(held.length <= TOP_PREFIXES_K, `held ${held.length}`);
    t = t0 + MINUTE_MS + PREFIX_WRITE_DELAY_MS;
    await writer.flush();
    const rows = await db.readRiskPrefixes(q);
    assert.ok(rows.length > 0 && rows.length <= TOP_PREFIXES_K, `rows ${rows.length}`);
    assert.deepEqual(await writer.heldNetworks(q), [], 'written, no longer held');
    const farm = rows.find((r) => r.refusals > 0);
    assert.deepEqual([farm?.refusals, farm?.escalations], [20, 40], 'the farm network, both workers summed');
    assert.deepEqual(held.find((r) => r.network === farm?.network)?.refusals, 20, 'held and stored, the same name');
    assert.ok(rows.every((r) => /^v4:[A-Za-z0-9_-]{12}$/.test(r.network)), JSON.stringify(rows));
    // Nothing in the DB file names a network or an address.
    const raw = new Database(join(dir.path, 'hurdle.db'), { readonly: true });
    const dump = JSON.stringify(raw.prepare('SELECT * FROM site_risk_prefixes').all()) + JSON.stringify(raw.prepare('SELECT * FROM site_analytics').all());
    raw.close();
    assert.ok(!dump.includes('203.0.113') && !dump.includes('192.0.2'), 'no prefix stored');
  });

  it('migrates a DB made before the risk dashboard: old cells read with zeros, the new table is there', async () => {
    const old = tempDir('hurdle-risk-dash-old-');
    try {
      const file = join(old.path, 'hurdle.db');
      const raw = new Database(file);
      raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      MIGRATIONS.slice(0, -1).forEach((sql, i) => {
        raw.exec(sql);
        raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, 0);
      });
      raw.exec("INSERT INTO site_analytics (resolution, bucket, sitekey, hostname, action, reason, challenges, passes, failures, escalations) VALUES ('minute', 60000, 'hk_old', '', '', '', 5, 4, 1, 2)");
      raw.close();
      chmodSync(file, 0o600);
      const migrated = await openConfigDb(file, old.path);
      try {
        await migrated.migrate();
        await migrated.migrate();
        const [cell] = await migrated.readAnalytics({ resolution: 'minute', fromMs: 0, toMs: 120_000, sitekey: 'hk_old' });
        assert.deepEqual([cell?.challenges, cell?.escalations, cell?.escalationsSlide, cell?.refusals, cell?.scores], [5, 2, 0, 0, new Array(10).fill(0)]);
        await checkRiskAnalyticsDb(migrated, 'hk_old');
      } finally {
        await migrated.close();
      }
    } finally {
      old.remove();
    }
  });
});

describe('risk dashboard routes of a real service', () => {
  const ADMIN = 'admin-token-for-risk-dashboard-0123';
  const auth = { authorization: `Bearer ${ADMIN}` };
  let dir: ReturnType<typeof tempDir>;
  let svc: Service;
  let sitekey = '';
  before(async () => {
    dir = tempDir();
    svc = await createService({
      options: {
        dataDir: dir.path, adminToken: ADMIN, logLevel: 'silent', renderThreads: 0, trustProxy: ['127.0.0.1'], testHooks: true,
        rateLimit: { ipPerMinute: 0, sitePerSecond: 0 }, admission: { maxEventLoopDelayMs: 600_000 },
      },
      widget: false,
      analyticsFlushIntervalMs: 3_600_000,
    });
    // The farm below is a script without the widget: the browser probe is off for this site, so
    // its scores come from the ladder's own signals.
    const r = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: auth, payload: { name: 'dash', challengeTypes: ['pow', 'slide'], difficulty: 1, risk: { checks: { probe: false } } } });
    assert.equal(r.statusCode, 201, r.body);
    sitekey = (r.json() as { site: { sitekey: string } }).site.sitekey;
  });
  after(async () => {
    await svc.close();
    dir.remove();
  });
  const from = (address: string) => ({ headers: { 'x-forwarded-for': address }, remoteAddress: '127.0.0.1' });
  const get = async (url: string, headers: Record<string, string> = auth) => svc.app.inject({ method: 'GET', url, headers });

  it('counts a farm: scores, escalations by level, the refusal by reason, its network first by a keyed hash', async () => {
    const farm = '203.0.113.9';
    let passes = 0;
    let refused = false;
    for (let i = 0; i < 25 && !refused; i++) {
      const c = await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey, type: 'pow' }, ...from(farm) });
      if (c.statusCode === 429) { refused = true; break; }
      const body = c.json() as { id: string; pow: { difficulty: number } };
      const nonce = solvePow(body.id, body.pow.difficulty, 1 << 22) as string;
      const v = await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id: body.id, answer: { nonce } }, ...from(farm) });
      assert.equal((v.json() as { success: boolean }).success, true, v.body);
      passes += 1;
    }
    assert.ok(refused, 'the farm reached the top of the ladder');
    // A wrong slide answer from another network: a failure counted for that network.
    const c = await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey, type: 'slide' }, ...from('198.51.100.7') });
    const id = (c.json() as { id: string }).id;
    const { x } = (await get(`/v1/test-hooks/answer/${encodeURIComponent(id)}`, {})).json() as { x: number };
    const wrong = await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id, answer: { x: x > 100 ? x - 60 : x + 60 } }, ...from('198.51.100.7') });
    assert.equal((wrong.json() as { success: boolean }).success, false);

    const res = await get(`/admin/api/analytics?range=1h&sitekey=${sitekey}`);
    assert.equal(res.statusCode, 200, res.body);
    const r = res.json() as {
      totals: { escalations: number; passes: number };
      escalationsByLevel: { slide: number; slide_pow: number; refuse: number };
      refusalsByReason: { scope: string; reason: string; refusals: number }[];
      scoreHistogram: { label: string; count: number; from: number; to: number }[];
    };
    assert.equal(r.scoreHistogram.length, 10);
    assert.equal(r.scoreHistogram[9]?.label, '0.9-1.0');
    assert.equal(r.scoreHistogram.reduce((s, b) => s + b.count, 0), passes, 'every pass scored once');
    assert.ok((r.scoreHistogram[9]?.count ?? 0) >= 1, 'the first clean solves score high');
    assert.ok(r.scoreHistogram.slice(0, 5).reduce((s, b) => s + b.count, 0) >= 1, 'the late ones low');
    assert.ok(r.escalationsByLevel.slide >= 1 && r.escalationsByLevel.slide_pow >= 1, JSON.stringify(r.escalationsByLevel));
    assert.equal(r.escalationsByLevel.refuse, 1);
    assert.equal(r.escalationsByLevel.slide + r.escalationsByLevel.slide_pow + r.escalationsByLevel.refuse, r.totals.escalations);
    assert.deepEqual(r.refusalsByReason.map((x) => [x.scope, x.refusals]), [['address', 1]]);
    assert.match(r.refusalsByReason[0]?.reason ?? '', /^address_/);

    const csv = await get(`/admin/api/analytics.csv?range=1h&sitekey=${sitekey}`);
    assert.match(csv.body, new RegExp(`,minute,${sitekey},,,refused:address:address_[a-z]+,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0\\r\\n`), csv.body);

    const p = await get(`/admin/api/risk/prefixes?range=1h&sitekey=${sitekey}`);
    assert.equal(p.statusCode, 200, p.body);
    const report = p.json() as { networks: { network: string; family: string; events: number; refusals: number; failures: number; escalations: number; minutes: number }[] };
    const [first, second] = report.networks;
    assert.equal(first?.family, 'v4');
    assert.equal(first?.refusals, 1);
    assert.equal(first?.escalations, r.escalationsByLevel.slide + r.escalationsByLevel.slide_pow);
    assert.equal(first?.events, (first?.refusals ?? 0) + (first?.escalations ?? 0) + (first?.failures ?? 0));
    assert.deepEqual([second?.failures, second?.events], [1, 1]);
    for (const leak of ['203.0.113', '198.51.100', '/24']) assert.ok(!p.body.includes(leak), `no ${leak} in the answer`);
  });

  it('refuses a missing sitekey or a range past a day with 400, and a missing token with 401', async () => {
    for (const url of ['/admin/api/risk/prefixes', `/admin/api/risk/prefixes?sitekey=${sitekey}&range=7d`, '/admin/api/risk/prefixes?sitekey=a%22b']) {
      const res = await get(url);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal((res.json() as { code: string }).code, 'bad_request');
    }
    assert.equal((await get(`/admin/api/risk/prefixes?sitekey=${sitekey}`, {})).statusCode, 401);
    const empty = await get('/admin/api/risk/prefixes?sitekey=hk_nobody');
    assert.deepEqual((empty.json() as { networks: unknown[] }).networks, []);
  });
});
