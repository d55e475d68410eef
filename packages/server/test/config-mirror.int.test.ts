// The config mirror with real worker processes: `hurdle start` with 2 workers while another
// process writes the same config DB (SQLite file, then PostgreSQL). The poll interval is an
// hour, so whatever reaches the workers was pushed: the SQLite file watch, PostgreSQL NOTIFY.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPostgres } from '@hurdle/test-helpers';
import type { PostgresServer } from '@hurdle/test-helpers';
import { openConfigDb } from '../src/config-db.js';
import type { ConfigDb } from '../src/config-db.js';
import { hashSecret } from '../src/site.js';
import type { SiteRecord } from '../src/site.js';
import { http, pollUntil, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

const NO_POLL = ['--refresh-interval-ms', '3600000'];
/** Requests per check: each opens its own connection, and the cluster deals connections round-robin. */
const SPREAD = 6;

function site(n: number, over: Partial<SiteRecord> = {}): SiteRecord {
  const now = Date.now();
  return {
    sitekey: `hk_mirror${String(n).padStart(8, '0')}`, name: `mirror site ${n}`, secretHash: hashSecret(`mirror-secret-${n}`),
    prevSecretHash: null, prevSecretExpiresAt: null, hostnames: [], challengeTypes: ['pow'],
    difficulty: 3, imageSet: '', rateLimitPerSecond: 0, keyboardSolve: true, enabled: true, createdAt: now, updatedAt: now, ...over,
  };
}

async function challenge(server: RunningServer, sitekey: string): Promise<{ status: number; difficulty: number | undefined }> {
  const r = await http(server.port, 'POST', '/v1/challenge', { sitekey, type: 'pow' });
  const body = r.json() as { pow?: { difficulty?: number } };
  return { status: r.status, difficulty: body.pow?.difficulty };
}

/** Poll until every one of SPREAD requests (so: every worker) passes `ok`. */
async function onEveryWorker(_server: RunningServer, what: string, ok: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const t0 = Date.now();
  await pollUntil(what, async () => ((await Promise.all(Array.from({ length: SPREAD }, ok))).every(Boolean) ? true : undefined), timeoutMs, 10);
  return Date.now() - t0;
}

async function readyOfEveryWorker(server: RunningServer): Promise<Map<string, { sites: number; configGeneration: number }>> {
  const seen = new Map<string, { sites: number; configGeneration: number }>();
  for (let i = 0; i < 4 * SPREAD && seen.size < 2; i++) {
    const r = (await http(server.port, 'GET', '/readyz')).json() as { worker: string; sites: number; configGeneration: number };
    seen.set(r.worker, r);
  }
  return seen;
}

describe('config mirror with workers, SQLite written by another process', () => {
  let server: RunningServer;
  let dir: { path: string; remove: () => void };
  let db: ConfigDb;

  before(async () => {
    dir = tempDir();
    server = await startHurdle(['--workers', '2', '--data-dir', dir.path, '--test-hooks', ...NO_POLL, '--rate-limit.ip-per-minute', '0', '--shm.config-bytes', String(1024 * 1024)]);
    db = await openConfigDb(join(dir.path, 'hurdle.db'), dir.path);
  });

  after(async () => {
    await db?.close();
    const code = await server?.stop();
    assert.equal(code, 0, `graceful exit\n${server?.output()}`);
    dir?.remove();
  });

  it('two writes in the same millisecond both reach every worker', async () => {
    await db.insertSites([site(1), site(2)]);
    await onEveryWorker(server, 'both new sites', async () => (await challenge(server, site(1).sitekey)).status === 200 && (await challenge(server, site(2).sitekey)).status === 200);
    // One timestamp for both: the old updated_at poll could not tell them apart from what it had seen.
    const at = Date.now();
    await Promise.all([db.updateSite(site(1, { difficulty: 5, updatedAt: at })), db.updateSite(site(2, { difficulty: 6, updatedAt: at }))]);
    const ms = await onEveryWorker(server, 'both updates', async () => (await challenge(server, site(1).sitekey)).difficulty === 5 && (await challenge(server, site(2).sitekey)).difficulty === 6);
    assert.ok(ms < 5000, `took ${ms} ms with an hour's poll interval: pushed, not polled`);
  });

  it('a delete reaches every worker; the other sites stay', async () => {
    await db.insertSite(site(3));
    await onEveryWorker(server, 'site 3', async () => (await challenge(server, site(3).sitekey)).status === 200);
    await db.deleteSite(site(3).sitekey);
    await onEveryWorker(server, 'site 3 gone', async () => (await challenge(server, site(3).sitekey)).status !== 200);
    for (let i = 0; i < SPREAD; i++) assert.equal((await challenge(server, site(1).sitekey)).status, 200);
  });

  it('growth past the first segment moves every worker to a larger one, serving throughout', async () => {
    const pid = server.child.pid!;
    const segments = (): string[] => readdirSync('/dev/shm').filter((n) => n.startsWith(`hurdle-${pid}-`) && /-config(-\d+)?$/.test(n));
    const [first] = segments();
    assert.ok(first, `no config segment of pid ${pid} in /dev/shm`);
    await db.insertSite(site(9));
    await onEveryWorker(server, 'site 9', async () => (await challenge(server, site(9).sitekey)).status === 200);
    let failures = 0;
    let served = 0;
    let loading = true;
    const traffic = (async () => {
      // Bounded: stops when the load is done, or after 2000 requests.
      while (loading && served + failures < 2000) {
        const r = await challenge(server, site(9).sitekey);
        if (r.status === 200) served += 1;
        else failures += 1;
      }
    })();
    const total = 8000;
    for (let at = 10; at < 10 + total; at += 500) {
      await db.insertSites(Array.from({ length: 500 }, (_, i) => site(at + i)));
    }
    const expected = (await db.siteStats()).sites;
    let last = new Map<string, { sites: number }>();
    await pollUntil('every worker on all sites', async () => {
      last = await readyOfEveryWorker(server);
      return last.size === 2 && [...last.values()].every((w) => w.sites === expected) ? true : undefined;
    }, 20_000, 50).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify([...last])}\n${server.output()}`);
    });
    loading = false;
    await traffic;
    assert.equal(failures, 0, `${failures} challenges failed during the growth (${served} served)`);
    assert.ok(served > 0);
    const now = segments();
    assert.ok(!now.includes(first), `the first segment ${first} is still there: ${now.join(', ')}`);
    assert.ok(now.some((n) => /-config-\d+$/.test(n)), `no larger segment: ${now.join(', ')}`);
    for (const n of [10, 5000, 8009]) {
      await onEveryWorker(server, `site ${n}`, async () => (await challenge(server, site(n).sitekey)).status === 200);
    }
    // The secret index moved too: the last site's secret is known (the token is what fails).
    for (let i = 0; i < SPREAD; i++) {
      const v = await http(server.port, 'POST', '/siteverify', { secret: 'mirror-secret-8009', response: 'not-a-token' });
      const codes = (v.json() as { 'error-codes': string[] })['error-codes'];
      assert.ok(!codes.includes('invalid-input-secret'), v.text);
    }
    assert.match((await http(server.port, 'GET', '/metrics')).text, /hurdle_shm_used_bytes\{segment="config"\}/);
  });
});

describe('config mirror with workers, PostgreSQL restarted', () => {
  let pg: PostgresServer;
  let server: RunningServer;
  let dir: { path: string; remove: () => void };
  let url: string;
  const admin = (): Record<string, string> => ({ authorization: `Bearer ${server.adminToken}` });

  before(async () => {
    dir = tempDir();
    pg = await startPostgres();
    url = await pg.createDatabase('hurdle');
    server = await startHurdle(['--workers', '2', '--data-dir', dir.path, '--db', url, ...NO_POLL, '--rate-limit.ip-per-minute', '0']);
  });

  after(async () => {
    await server?.stop();
    await pg?.stop();
    dir?.remove();
  });

  it('loses nothing across a stop and start of PostgreSQL: writes from elsewhere and through the admin API reach every worker', async () => {
    const created = await http(server.port, 'POST', '/admin/api/sites', { name: 'before restart', challengeTypes: ['pow'], difficulty: 3 }, admin());
    assert.equal(created.status, 201, created.text);
    const sitekey = (created.json() as { site: { sitekey: string } }).site.sitekey;
    await onEveryWorker(server, 'the first site', async () => (await challenge(server, sitekey)).status === 200);
    const elsewhere = await openConfigDb(url, dir.path);
    try {
      await elsewhere.insertSite(site(100));
      await onEveryWorker(server, 'a site written by another instance (NOTIFY)', async () => (await challenge(server, site(100).sitekey)).status === 200);

      await pg.restart();
      // The first write after the restart is made by another instance, while this one's
      // listening connection may still be reconnecting: nothing is lost either way.
      await pollUntil('a write after the restart', async () => elsewhere.updateSite(site(100, { difficulty: 7 })).then(() => true, () => undefined), 20_000, 100);
      await onEveryWorker(server, 'the write made after the restart', async () => (await challenge(server, site(100).sitekey)).difficulty === 7, 15_000);
      await elsewhere.deleteSite(site(100).sitekey);
      await onEveryWorker(server, 'the delete made after the restart', async () => (await challenge(server, site(100).sitekey)).status !== 200);
      const patched = await pollUntil('an admin write after the restart', async () => {
        const r = await http(server.port, 'PATCH', `/admin/api/sites/${sitekey}`, { difficulty: 4 }, admin());
        return r.status === 200 ? r : undefined;
      }, 20_000, 200);
      assert.equal(patched.status, 200);
      await onEveryWorker(server, 'the admin write', async () => (await challenge(server, sitekey)).difficulty === 4);
    } finally {
      await elsewhere.close();
    }
  });
});
