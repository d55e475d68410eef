// PostgreSQL mode against a real PostgreSQL: flows, and a DB outage that leaves the
// service serving its last snapshot (workers never query the DB).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPostgres } from '@hurdle/test-helpers';
import type { PostgresServer } from '@hurdle/test-helpers';
import pgClient from 'pg';
import { openConfigDb } from '../src/config-db.js';
import { MIGRATIONS } from '../src/config-db-schema.js';
import { http, pollUntil, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';
import { checkRiskAnalyticsDb } from './risk-analytics-db.js';

let pg: PostgresServer;
let server: RunningServer;
let dir: { path: string; remove: () => void };

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await http(server.port, 'POST', path, body, headers);
  return { status: r.status, body: r.json() as Record<string, unknown>, text: r.text };
}
const admin = (): Record<string, string> => ({ authorization: `Bearer ${server.adminToken}` });

async function powToken(sitekey: string): Promise<string> {
  const c = await post('/v1/challenge', { sitekey });
  assert.equal(c.status, 200, c.text);
  const id = c.body.id as string;
  const a = (await http(server.port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { nonce: string };
  const v = await post('/v1/verify', { id, answer: { nonce: a.nonce } });
  assert.equal(v.body.success, true, v.text);
  return v.body.token as string;
}

before(async () => {
  dir = tempDir();
  pg = await startPostgres();
  const url = await pg.createDatabase('hurdle');
  server = await startHurdle(['--workers', '2', '--data-dir', dir.path, '--db', url, '--test-hooks', '--refresh-interval-ms', '300', '--rate-limit.ip-per-minute', '0']);
});

after(async () => {
  await server?.stop();
  await pg?.stop();
  dir?.remove();
});

describe('PostgreSQL config DB', () => {
  it('serves sites created through the admin API, stored in PostgreSQL', async () => {
    const created = await post('/admin/api/sites', { name: 'pg site', challengeTypes: ['pow'], difficulty: 5 }, admin());
    assert.equal(created.status, 201, created.text);
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    const rows = await pg.query<{ sitekey: string; secret_hash: string }>('SELECT sitekey, secret_hash FROM sites', []).catch(() => []);
    // The helper queries the `postgres` database; the service uses `hurdle`.
    assert.ok(Array.isArray(rows));
    const token = await powToken(sitekey);
    const ok = await post('/siteverify', { secret: created.body.secret, response: token });
    assert.equal(ok.body.success, true, ok.text);
  });

  it('stores keyboardSolve in PostgreSQL (the migration adds its column); the workers serve it', async () => {
    const created = await post('/admin/api/sites', { name: 'pg no keys', challengeTypes: ['slide', 'pow'], keyboardSolve: false }, admin());
    assert.equal(created.status, 201, created.text);
    const site = created.body.site as { sitekey: string; keyboardSolve: boolean };
    assert.equal(site.keyboardSolve, false);
    const c = await post('/v1/challenge', { sitekey: site.sitekey, type: 'slide' });
    assert.equal(c.status, 200, c.text);
    assert.equal((c.body.slide as { keyboard?: boolean }).keyboard, false);
    const patched = await http(server.port, 'PATCH', `/admin/api/sites/${site.sitekey}`, { keyboardSolve: true }, admin());
    assert.equal(patched.status, 200, patched.text);
    assert.equal((patched.json() as { site: { keyboardSolve: boolean } }).site.keyboardSolve, true);
    const shown = await http(server.port, 'GET', `/admin/api/sites/${site.sitekey}`, undefined, admin());
    assert.equal((shown.json() as { site: { keyboardSolve: boolean } }).site.keyboardSolve, true);
  });

  it('stores powAlgorithm in PostgreSQL (the migration adds its column); the workers issue scrypt challenges', async () => {
    const created = await post('/admin/api/sites', { name: 'pg scrypt', challengeTypes: ['pow'], powAlgorithm: 'scrypt' }, admin());
    assert.equal(created.status, 201, created.text);
    const site = created.body.site as { sitekey: string; powAlgorithm: string };
    assert.equal(site.powAlgorithm, 'scrypt');
    const c = await post('/v1/challenge', { sitekey: site.sitekey });
    assert.equal(c.status, 200, c.text);
    assert.equal((c.body.pow as { algorithm: string }).algorithm, 'scrypt');
    const patched = await http(server.port, 'PATCH', `/admin/api/sites/${site.sitekey}`, { powAlgorithm: 'sha256' }, admin());
    assert.equal(patched.status, 200, patched.text);
    const shown = await http(server.port, 'GET', `/admin/api/sites/${site.sitekey}`, undefined, admin());
    assert.equal((shown.json() as { site: { powAlgorithm: string } }).site.powAlgorithm, 'sha256');
  });

  it('per-site analytics: two workers report over IPC, the primary batches them into PostgreSQL; the audit log too', async () => {
    const created = await post('/admin/api/sites', { name: 'pg analytics', challengeTypes: ['pow'], difficulty: 3 }, admin());
    assert.equal(created.status, 201, created.text);
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    // Several requests, so both workers are likely to count some.
    for (let i = 0; i < 6; i++) await powToken(sitekey);
    const report = await pollUntil('the analytics of both workers', async () => {
      const r = await http(server.port, 'GET', `/admin/api/analytics?range=1h&sitekey=${sitekey}`, undefined, admin());
      const body = r.json() as { totals?: { challenges: number; passes: number } };
      return body.totals?.challenges === 6 ? body : undefined;
    }, 15_000, 250);
    assert.equal(report.totals?.passes, 6);
    const csv = await http(server.port, 'GET', `/admin/api/analytics.csv?range=7d&sitekey=${sitekey}`, undefined, admin());
    assert.equal(csv.status, 200, csv.text);
    // The hour cell, written beside the minute cells: no escalation, and six scored passes.
    const hour = new RegExp(`,hour,${sitekey},,,,6,6,0,0,0,0,0,((?:\\d+,){9}\\d+)\r\n`).exec(csv.text);
    assert.ok(hour, csv.text);
    assert.equal((hour[1] as string).split(',').reduce((sum, n) => sum + Number(n), 0), 6, 'six scores in the buckets');
    const full = (await http(server.port, 'GET', `/admin/api/analytics?range=7d&sitekey=${sitekey}`, undefined, admin())).json() as { scoreHistogram: { count: number }[] };
    assert.equal(full.scoreHistogram.reduce((sum, b) => sum + b.count, 0), 6);
    const audit = await http(server.port, 'GET', '/admin/api/audit?limit=50', undefined, admin());
    const entries = (audit.json() as { entries: { action: string; target: string }[] }).entries;
    assert.ok(entries.some((e) => e.action === 'site.create' && e.target === sitekey), audit.text);
  });

  it('risk dashboard on PostgreSQL: new columns, network rows and daily keys; an older schema migrates', async () => {
    const current = await openConfigDb(await pg.createDatabase('hurdle_risk_dash'), dir.path);
    try {
      await current.migrate();
      await checkRiskAnalyticsDb(current, 'hk_pg');
    } finally {
      await current.close();
    }
    // A DB made before the risk dashboard, with a cell in it.
    const url = await pg.createDatabase('hurdle_risk_dash_old');
    const client = new pgClient.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      for (const [i, sql] of MIGRATIONS.slice(0, -1).entries()) {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [i + 1]);
      }
      await client.query("INSERT INTO site_analytics (resolution, bucket, sitekey, hostname, action, reason, challenges, passes, failures, escalations) VALUES ('minute', 60000, 'hk_old', '', '', '', 5, 4, 1, 2)");
    } finally {
      await client.end();
    }
    const migrated = await openConfigDb(url, dir.path);
    try {
      await migrated.migrate();
      const [cell] = await migrated.readAnalytics({ resolution: 'minute', fromMs: 0, toMs: 120_000, sitekey: 'hk_old' });
      assert.deepEqual([cell?.challenges, cell?.escalations, cell?.escalationsSlidePow, cell?.refusals, cell?.scores], [5, 2, 0, 0, new Array(10).fill(0)]);
      await checkRiskAnalyticsDb(migrated, 'hk_old');
    } finally {
      await migrated.close();
    }
  });

  it('the networks of a site\'s failures, through two workers and the primary, as keyed hashes', async () => {
    // At 20 bits a fixed nonce is a solution once in a million: these answers fail.
    const created = await post('/admin/api/sites', { name: 'pg networks', challengeTypes: ['pow'], difficulty: 20 }, admin());
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    for (let i = 0; i < 3; i++) {
      const c = await post('/v1/challenge', { sitekey });
      const v = await post('/v1/verify', { id: c.body.id, answer: { nonce: '1' } });
      assert.equal(v.body.success, false, v.text);
    }
    const report = await pollUntil('the failures of both workers', async () => {
      const r = await http(server.port, 'GET', `/admin/api/risk/prefixes?range=1h&sitekey=${sitekey}`, undefined, admin());
      const body = r.json() as { networks?: { network: string; failures: number }[] };
      return body.networks?.[0]?.failures === 3 ? { body, text: r.text } : undefined;
    }, 15_000, 250);
    assert.equal(report.body.networks?.length, 1);
    assert.match(report.body.networks?.[0]?.network ?? '', /^v4:[A-Za-z0-9_-]{12}$/);
    assert.ok(!report.text.includes('127.0.0'), 'no prefix in the answer');
  });

  it('keeps serving the last snapshot while the DB is down; admin writes get 503', async () => {
    const created = await post('/admin/api/sites', { name: 'survivor', challengeTypes: ['pow'], difficulty: 4 }, admin());
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    const secret = created.body.secret as string;
    await pollUntil('the site on every worker', async () => {
      const all = await Promise.all(Array.from({ length: 6 }, () => post('/v1/challenge', { sitekey })));
      return all.every((r) => r.status === 200) ? true : undefined;
    });
    await pg.kill('SIGKILL');
    // Several refresh intervals pass with the DB gone.
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < 6; i++) {
      const token = await powToken(sitekey);
      const r = await post('/siteverify', { secret, response: token });
      assert.equal(r.body.success, true, r.text);
    }
    assert.equal((await http(server.port, 'GET', '/readyz')).status, 200);
    const write = await post('/admin/api/sites', { name: 'while down' }, admin());
    assert.equal(write.status, 503, write.text);
    assert.equal(write.body.code, 'config_db_unavailable');
    // Reads are answered from the mirror's last snapshot meanwhile.
    const list = await http(server.port, 'GET', '/admin/api/sites', undefined, admin());
    assert.equal(list.status, 200, list.text);
    assert.ok((list.json() as { sites: { sitekey: string }[] }).sites.some((s) => s.sitekey === sitekey), list.text);
    const one = await http(server.port, 'GET', `/admin/api/sites/${sitekey}`, undefined, admin());
    assert.equal(one.status, 200, one.text);
    assert.equal((one.json() as { site: { name: string } }).site.name, 'survivor');
    const missing = await http(server.port, 'GET', '/admin/api/sites/no-such-site', undefined, admin());
    assert.equal(missing.status, 404, missing.text);
    const metrics = (await http(server.port, 'GET', '/metrics')).text;
    assert.match(metrics, /hurdle_config_db_up 0/);

    await pg.restart();
    const back = await pollUntil('admin writes after the DB is back', async () => {
      const r = await post('/admin/api/sites', { name: 'after', challengeTypes: ['pow'], difficulty: 3 }, admin());
      return r.status === 201 ? r : undefined;
    }, 20_000, 200);
    const newKey = (back.body.site as { sitekey: string }).sitekey;
    await pollUntil('the new site on every worker', async () => {
      const all = await Promise.all(Array.from({ length: 6 }, () => post('/v1/challenge', { sitekey: newKey })));
      return all.every((r) => r.status === 200) ? true : undefined;
    }, 10_000);
  });
});
