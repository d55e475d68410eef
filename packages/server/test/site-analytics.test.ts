// Per-site analytics and the audit log: the worker's tally, the primary's batch writer over a
// real SQLite config DB (minute and hour cells, counts that add up, pruning, a DB outage),
// and the admin routes (JSON, CSV, audit) of a real in-process service, across a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { CSV_HEADER, csvField, csvOf, reportOf, windowOf } from '../src/analytics-report.js';
import { AnalyticsWriter, HOUR_RETENTION_MS, MINUTE_RETENTION_MS, rowsOf } from '../src/analytics-writer.js';
import { openConfigDb } from '../src/config-db.js';
import type { ConfigDb } from '../src/config-db.js';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { AnalyticsTally, HOUR_MS, MAX_TALLY_CELLS, MINUTE_MS, emptyCounts, isAnalyticsDelta } from '../src/site-analytics.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-analytics-0123456789';
const silent = pino({ level: 'silent' });
const site = { sitekey: 'hk_a', hostname: 'shop.example', action: 'login' };

describe('analytics tally (worker side)', () => {
  it('counts challenges, passes and failures by reason per minute, then drains', () => {
    let t = 10 * MINUTE_MS + 5;
    const tally = new AnalyticsTally(() => t);
    tally.challenge(site);
    tally.challenge(site);
    tally.pass(site);
    tally.fail(site, 'wrong_answer');
    tally.fail(site, 'wrong_answer');
    tally.escalation(site, 'slide');
    t += MINUTE_MS;
    tally.challenge(site);
    const cells = tally.drain();
    assert.equal(tally.size, 0, 'drained');
    const at = (minute: number, reason: string) => cells.find((c) => c.minute === minute && c.reason === reason);
    assert.deepEqual(at(10 * MINUTE_MS, ''), { minute: 10 * MINUTE_MS, ...site, reason: '', ...emptyCounts(), challenges: 2, passes: 1, escalations: 1, escalationsSlide: 1 });
    assert.equal(at(10 * MINUTE_MS, 'wrong_answer')?.failures, 2);
    assert.equal(at(11 * MINUTE_MS, '')?.challenges, 1);
    assert.ok(cells.every(isAnalyticsDelta));
  });

  it('past its cell limit counts new hostnames under one overflow cell, so totals stay right', () => {
    const tally = new AnalyticsTally(() => 0);
    for (let i = 0; i < MAX_TALLY_CELLS + 50; i++) tally.challenge({ sitekey: 'hk_a', hostname: `h${i}.example`, action: '' });
    assert.ok(tally.size <= MAX_TALLY_CELLS + 1, `bounded: ${tally.size}`);
    const cells = tally.drain();
    assert.equal(cells.reduce((s, c) => s + c.challenges, 0), MAX_TALLY_CELLS + 50);
    assert.equal(cells.find((c) => c.hostname === '*')?.challenges, 50);
  });

  it('refuses malformed report cells', () => {
    assert.equal(isAnalyticsDelta({ minute: 1, sitekey: 'a', hostname: '', action: '', reason: '', ...emptyCounts(), challenges: -1 }), false);
    assert.equal(isAnalyticsDelta({ minute: 1, sitekey: 'a', hostname: '', action: '', reason: '', ...emptyCounts() }), true);
    assert.equal(isAnalyticsDelta({ minute: 1, sitekey: 'a', hostname: '', action: '', reason: '', ...emptyCounts(), scores: [1, 2] }), false, 'ten score buckets');
    assert.equal(isAnalyticsDelta({ minute: 'x' }), false);
    assert.equal(isAnalyticsDelta(null), false);
  });
});

describe('analytics writer (primary side) on SQLite', () => {
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

  it('writes nothing until a batch, then minute and hour cells that add up across batches', async () => {
    const t0 = 100 * HOUR_MS + 7 * MINUTE_MS;
    const writer = new AnalyticsWriter({ db, logger: silent, now: () => t0 });
    const tally = new AnalyticsTally(() => t0);
    for (let i = 0; i < 5; i++) tally.challenge(site);
    tally.fail(site, 'wrong_answer');
    writer.add(tally.drain());
    const before = db.queryCount;
    assert.equal((await db.readAnalytics({ resolution: 'minute', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER })).length, 0, 'not written before the batch');
    assert.equal(writer.pending, 2);
    await writer.flush();
    assert.ok(db.queryCount - before <= 4, 'one batch, a prune and the read: a handful of queries');
    // A second worker's report for the same minute adds to the same rows.
    tally.challenge(site);
    tally.fail(site, 'wrong_answer');
    writer.add(tally.drain());
    await writer.flush();
    const minutes = await db.readAnalytics({ resolution: 'minute', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
    assert.equal(minutes.find((r) => r.reason === '')?.challenges, 6);
    assert.equal(minutes.find((r) => r.reason === 'wrong_answer')?.failures, 2);
    const hours = await db.readAnalytics({ resolution: 'hour', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(hours.map((r) => [r.bucket, r.reason, r.challenges, r.failures]).sort(), [[100 * HOUR_MS, '', 6, 0], [100 * HOUR_MS, 'wrong_answer', 0, 2]]);
  });

  it('prunes minute cells after a day and hour cells after 90 days', async () => {
    const now = 5000 * HOUR_MS;
    const old = { ...site, reason: '', ...emptyCounts(), challenges: 1 };
    await db.addAnalytics([
      { resolution: 'minute', bucket: now - MINUTE_RETENTION_MS - MINUTE_MS, ...old },
      { resolution: 'minute', bucket: now - MINUTE_MS, ...old },
      { resolution: 'hour', bucket: now - HOUR_RETENTION_MS - HOUR_MS, ...old },
      { resolution: 'hour', bucket: now - HOUR_MS, ...old },
    ]);
    const writer = new AnalyticsWriter({ db, logger: silent, now: () => now });
    await writer.flush();
    const left = (await db.readAnalytics({ resolution: 'minute', fromMs: now - 2 * MINUTE_RETENTION_MS, toMs: now }))
      .concat(await db.readAnalytics({ resolution: 'hour', fromMs: now - 2 * HOUR_RETENTION_MS, toMs: now }));
    assert.deepEqual(left.map((r) => [r.resolution, r.bucket]), [['minute', now - MINUTE_MS], ['hour', now - HOUR_MS]]);
  });

  it('keeps a batch the DB refused and writes it with the next one', async () => {
    let down = true;
    const flaky: ConfigDb = Object.create(db) as ConfigDb;
    flaky.addAnalytics = async (rows) => {
      if (down) throw new Error('connection refused');
      return db.addAnalytics(rows);
    };
    const t = 7000 * HOUR_MS;
    const writer = new AnalyticsWriter({ db: flaky, logger: silent, now: () => t });
    const tally = new AnalyticsTally(() => t);
    tally.pass(site);
    writer.add(tally.drain());
    await writer.flush();
    assert.equal(writer.pending, 1, 'kept');
    tally.pass(site);
    writer.add(tally.drain());
    down = false;
    await writer.flush();
    assert.equal(writer.pending, 0);
    const rows = await db.readAnalytics({ resolution: 'minute', fromMs: t, toMs: t + MINUTE_MS });
    assert.equal(rows[0]?.passes, 2, 'both passes, once each');
  });

  it('stores audit entries and lists them newest first, paged by time', async () => {
    for (let i = 0; i < 3; i++) await db.addAudit({ id: `id${i}`, at: 1000 + i, actor: 'adminToken', action: 'site.update', target: 'hk_a', address: '127.0.0.1', detail: { fields: ['name'] } });
    const all = await db.listAudit(10);
    assert.deepEqual(all.map((e) => e.id), ['id2', 'id1', 'id0']);
    assert.deepEqual(all[0]?.detail, { fields: ['name'] });
    assert.deepEqual((await db.listAudit(10, 1002)).map((e) => e.id), ['id1', 'id0']);
  });
});

describe('analytics report and CSV', () => {
  it('a dense series over the range, totals, reasons, hostnames and actions', () => {
    const now = 50 * HOUR_MS + 30 * MINUTE_MS;
    const window = windowOf('1h', now);
    assert.equal(window.resolution, 'minute');
    assert.equal(window.toMs - window.fromMs, HOUR_MS);
    const rows = rowsOf([{ minute: 50 * HOUR_MS + 29 * MINUTE_MS, ...site, reason: '', ...emptyCounts(), challenges: 3, passes: 2 },
      { minute: 50 * HOUR_MS + 29 * MINUTE_MS, ...site, reason: 'replay_detected', ...emptyCounts(), failures: 1 }]).filter((r) => r.resolution === 'minute');
    const report = reportOf({ range: '1h', sitekey: 'hk_a' }, rows, window);
    assert.equal(report.series.length, 60);
    assert.deepEqual(report.totals, { challenges: 3, passes: 2, failures: 1, escalations: 0 });
    assert.deepEqual(report.failuresByReason, { replay_detected: 1 });
    assert.equal(report.byHostname[0]?.hostname, 'shop.example');
    assert.equal(report.byAction[0]?.action, 'login');
    assert.equal(report.series.find((p) => p.t === 50 * HOUR_MS + 29 * MINUTE_MS)?.challenges, 3);
    assert.equal(windowOf('90d', now).resolution, 'hour');
  });

  it('CSV quotes what needs quoting and defuses spreadsheet formulas', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('plain'), 'plain');
    const csv = csvOf([{ resolution: 'hour', bucket: 0, ...site, action: '+1', reason: '', ...emptyCounts(), challenges: 1, passes: 1, scores: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }]);
    assert.equal(csv, `${CSV_HEADER}\r\n1970-01-01T00:00:00.000Z,hour,hk_a,shop.example,'+1,,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1\r\n`);
    assert.match(CSV_HEADER, /,escalations,escalations_slide,escalations_slide_pow,refusals,score_0\.0_0\.1,.*,score_0\.9_1\.0$/);
  });
});

describe('analytics and audit routes of a real service', () => {
  let dir: ReturnType<typeof tempDir>;
  let svc: Service;
  let sitekey = '';
  let secret = '';
  const auth = { authorization: `Bearer ${ADMIN}` };
  const start = async (): Promise<Service> => createService({
    options: { dataDir: dir.path, adminToken: ADMIN, testHooks: true, logLevel: 'silent', refreshIntervalMs: 3_600_000, renderThreads: 0, admission: { maxEventLoopDelayMs: 600_000 } },
    // Long enough that only reads and the stop write: the test sees the batching.
    analyticsFlushIntervalMs: 3_600_000,
  });
  const inject = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await svc.app.inject({ method, url, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
    return { status: res.statusCode, raw: res.body, headers: res.headers, json: () => JSON.parse(res.body) as Record<string, unknown> };
  };

  before(async () => {
    dir = tempDir();
    svc = await start();
    const created = await inject('POST', '/admin/api/sites', { name: 'Shop', challengeTypes: ['slide', 'pow'], difficulty: 1 }, auth);
    assert.equal(created.status, 201, created.raw);
    sitekey = (created.json()['site'] as { sitekey: string }).sitekey;
    secret = created.json()['secret'] as string;
  });
  after(async () => {
    await svc.close();
    dir.remove();
  });

  it('counts challenges, passes and failures by reason per site, hostname and action', async () => {
    const origin = { origin: 'https://shop.example' };
    for (let i = 0; i < 3; i++) {
      const c = await inject('POST', '/v1/challenge', { sitekey, type: 'pow', action: 'signup' }, origin);
      assert.equal(c.status, 200, c.raw);
      const id = c.json()['id'] as string;
      const { nonce } = (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { nonce: string };
      const v = await inject('POST', '/v1/verify', { id, answer: { nonce } }, origin);
      assert.equal(v.json()['success'], true, v.raw);
    }
    const c = await inject('POST', '/v1/challenge', { sitekey, type: 'slide', action: 'signup' }, origin);
    const id = c.json()['id'] as string;
    const { x } = (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { x: number };
    const wrong = await inject('POST', '/v1/verify', { id, answer: { x: x > 100 ? x - 60 : x + 60 } }, origin);
    assert.equal(wrong.json()['success'], false);

    const report = await inject('GET', `/admin/api/analytics?range=1h&sitekey=${sitekey}`, undefined, auth);
    assert.equal(report.status, 200, report.raw);
    const r = report.json() as { totals: Record<string, number>; failuresByReason: Record<string, number>; byHostname: { hostname: string; challenges: number }[]; byAction: { action: string }[]; series: { t: number; challenges: number }[]; resolution: string };
    assert.deepEqual(r.totals, { challenges: 4, passes: 3, failures: 1, escalations: 0 });
    assert.deepEqual(r.failuresByReason, { wrong_answer: 1 });
    assert.deepEqual(r.byHostname.map((h) => [h.hostname, h.challenges]), [['shop.example', 4]]);
    assert.equal(r.byAction[0]?.action, 'signup');
    assert.equal(r.resolution, 'minute');
    assert.equal(r.series.length, 60);
    assert.equal(r.series.reduce((s, p) => s + p.challenges, 0), 4);
  });

  it('exports the cells as CSV', async () => {
    const res = await inject('GET', `/admin/api/analytics.csv?range=24h&sitekey=${sitekey}`, undefined, auth);
    assert.equal(res.status, 200, res.raw);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    assert.match(String(res.headers['content-disposition']), new RegExp(`attachment; filename="hurdle-analytics-${sitekey}-24h.csv"`));
    const lines = res.raw.trim().split('\r\n');
    assert.equal(lines[0], CSV_HEADER);
    assert.ok(lines.some((l) => l.includes(`,minute,${sitekey},shop.example,signup,,4,3,0,0,0,0,0,`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.endsWith(`,signup,wrong_answer,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0`)), lines.join('\n'));
  });

  it('refuses a bad range or sitekey with 400 and a missing token with 401', async () => {
    const bad = await inject('GET', '/admin/api/analytics?range=1y', undefined, auth);
    assert.equal(bad.status, 400, bad.raw);
    assert.equal(bad.json()['code'], 'bad_request');
    assert.equal((await inject('GET', '/admin/api/analytics.csv?sitekey=a%22b', undefined, auth)).status, 400);
    assert.equal((await inject('GET', '/admin/api/audit?limit=0', undefined, auth)).status, 400);
    assert.equal((await inject('GET', '/admin/api/analytics')).status, 401);
    assert.equal((await inject('GET', '/admin/api/audit')).status, 401);
  });

  it('keeps an audit log of admin actions: who, what, when, from where, never a secret', async () => {
    const rotated = await inject('POST', `/admin/api/sites/${sitekey}/rotate-secret`, { graceMs: 60_000 }, auth);
    assert.equal(rotated.status, 200, rotated.raw);
    const newSecret = rotated.json()['secret'] as string;
    await inject('PATCH', `/admin/api/sites/${sitekey}`, { name: 'Shop 2' }, auth);
    await inject('POST', `/admin/api/sites/${sitekey}/disable`, undefined, auth);
    const res = await inject('GET', '/admin/api/audit?limit=10', undefined, auth);
    assert.equal(res.status, 200, res.raw);
    const entries = res.json()['entries'] as { action: string; actor: string; target: string; address: string; at: number; detail: Record<string, unknown> }[];
    assert.deepEqual(entries.map((e) => e.action), ['site.disable', 'site.update', 'site.rotate-secret', 'site.create']);
    for (const e of entries) {
      assert.equal(e.actor, 'adminToken');
      assert.equal(e.target, sitekey);
      assert.equal(e.address, '127.0.0.1');
      assert.ok(Math.abs(Date.now() - e.at) < 60_000);
    }
    assert.deepEqual(entries[1]?.detail, { fields: ['name'] });
    assert.deepEqual(entries[2]?.detail, { graceMs: 60_000 });
    for (const s of [secret, newSecret, ADMIN]) assert.ok(!res.raw.includes(s), 'no secret or token in the audit log');
    const page2 = await inject('GET', `/admin/api/audit?limit=2&before=${entries[1]?.at ?? 0}`, undefined, auth);
    assert.ok((page2.json()['entries'] as unknown[]).length <= 3);
  });

  it('history and the audit log outlive a restart of the service', async () => {
    const c = await inject('POST', '/v1/challenge', { sitekey: 'nope' });
    assert.equal(c.status, 400);
    // Counted but not read: only the stop writes it.
    await svc.close();
    svc = await start();
    const report = await inject('GET', `/admin/api/analytics?range=24h&sitekey=${sitekey}`, undefined, auth);
    assert.equal((report.json()['totals'] as Record<string, number>)['challenges'], 4);
    const audit = await inject('GET', '/admin/api/audit', undefined, auth);
    assert.equal((audit.json()['entries'] as unknown[]).length, 4);
  });

  it('the stop writes what was counted since the last batch', async () => {
    await inject('PATCH', `/admin/api/sites/${sitekey}`, { enabled: true }, auth);
    const c = await inject('POST', '/v1/challenge', { sitekey, type: 'pow' }, { origin: 'https://shop.example' });
    assert.equal(c.status, 200, c.raw);
    assert.equal(svc.analytics.tally.size, 1, 'counted in memory');
    await svc.close();
    svc = await start();
    const report = await inject('GET', `/admin/api/analytics?range=1h&sitekey=${sitekey}`, undefined, auth);
    assert.equal((report.json()['totals'] as Record<string, number>)['challenges'], 5);
  });
});
