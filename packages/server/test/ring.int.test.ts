// Ring mode: real Redis x3 + ZooKeeper + `hurdle ring-agent` processes, and two `hurdle start`
// instances sharing one PostgreSQL, one ring and one ZooKeeper.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pgClient from 'pg';
import { startPostgres, startRedisServers, startZooKeeper } from '@hurdle/test-helpers';
import type { PostgresServer, RedisServer, ZooKeeperServer } from '@hurdle/test-helpers';
import { http, pollUntil, solveSlide, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';
import { farmUntilRefused, statusesFrom } from './risk-farm.js';

const CLI = new URL('../src/cli.js', import.meta.url).pathname;
let redis: RedisServer[] = [];
let zk: ZooKeeperServer | undefined;
let pg: PostgresServer | undefined;
const agents: ChildProcess[] = [];
let a: RunningServer | undefined;
let b: RunningServer | undefined;
let dbUrl = '';
let commonArgs: string[] = [];
const dirs: { remove: () => void }[] = [];

async function post(s: RunningServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await http(s.port, 'POST', path, body, headers);
  return { status: r.status, body: r.json() as Record<string, unknown>, text: r.text };
}

before(async () => {
  [redis, zk, pg] = await Promise.all([startRedisServers(3), startZooKeeper(), startPostgres()]);
  dbUrl = await pg.createDatabase('hurdle');
  for (const [i, r] of redis.entries()) {
    const agent = spawn(process.execPath, [CLI, 'ring-agent', '--redis', `${r.host}:${r.port}`, '--zk', zk.connectString, '--id', `r${i + 1}`, '--interval-ms', '100'], { stdio: 'ignore' });
    agents.push(agent);
  }
  const ring = `zk://${zk.connectString}/hurdle/ring`;
  const common = ['--workers', '1', '--db', dbUrl, '--ring', ring, '--test-hooks', '--refresh-interval-ms', '300', '--rate-limit.ip-per-minute', '0', '--ring-options.command-timeout-ms', '150', '--trust-proxy', '127.0.0.1'];
  const da = tempDir();
  const db = tempDir();
  dirs.push(da, db);
  commonArgs = [...common, '--data-dir', da.path];
  [a, b] = await Promise.all([startHurdle([...common, '--data-dir', da.path]), startHurdle([...common, '--data-dir', db.path])]);
  await pollUntil('all three ring nodes up', async () => {
    const m = (await http((a as RunningServer).port, 'GET', '/metrics')).text;
    return (m.match(/hurdle_ring_node_up\{node="r\d"\} 1/g) ?? []).length === 3 ? true : undefined;
  }, 20_000, 200);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all(agents.map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) {
      resolve();
      return;
    }
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 5000).unref();
  })));
  await Promise.all([...redis.map((r) => r.stop()), zk?.stop(), pg?.stop()]);
  for (const d of dirs) d.remove();
});

describe('ring mode, two instances', () => {
  it('a challenge issued by one instance is verified by the other; its token redeems once across both', async () => {
    const sa = a as RunningServer;
    const sb = b as RunningServer;
    const created = await post(sa, '/admin/api/sites', { name: 'shared', challengeTypes: ['slide', 'pow'], difficulty: 5 }, { authorization: `Bearer ${sa.adminToken}` });
    assert.equal(created.status, 201, created.text);
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    const secret = created.body.secret as string;
    await pollUntil('the site on instance B (NOTIFY or poll)', async () => ((await post(sb, '/v1/challenge', { sitekey, type: 'pow' })).status === 200 ? true : undefined), 5000);
    for (const type of ['slide', 'pow'] as const) {
      const c = await post(sa, '/v1/challenge', { sitekey, type });
      assert.equal(c.status, 200, c.text);
      const id = c.body.id as string;
      const answerOf = async (of: string, via: RunningServer): Promise<{ x?: number; nonce?: string }> =>
        (await http(via.port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(of)}`)).json() as { x?: number; nonce?: string };
      let token: string;
      if (type === 'slide') {
        // Each round answered on the other instance from the one that issued it.
        let answered = 0;
        const solved = await solveSlide(id, {
          answerOf: async (of) => (await answerOf(of, answered % 2 === 0 ? sb : sa)).x ?? 0,
          verify: async (body) => (await post(answered++ % 2 === 0 ? sb : sa, '/v1/verify', body)).body,
        });
        assert.equal(solved.body['success'], true, JSON.stringify(solved.body));
        assert.equal(solved.rounds, 2);
        token = solved.body['token'] as string;
      } else {
        const v = await post(sb, '/v1/verify', { id, answer: { nonce: (await answerOf(id, sb)).nonce } });
        assert.equal(v.body.success, true, v.text);
        token = v.body.token as string;
      }
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i % 2 ? sa : sb, '/siteverify', { secret, response: token })));
      assert.equal(results.filter((r) => r.body.success === true).length, 1, `${type}: exactly one success`);
    }
  });

  it('shares the risk signals over the ring: a farm alternating between the instances is escalated and refused on both', async () => {
    const sa = a as RunningServer;
    const sb = b as RunningServer;
    const created = await post(sa, '/admin/api/sites', { name: 'farmed over the ring', challengeTypes: ['pow', 'slide'], difficulty: 1 }, { authorization: `Bearer ${sa.adminToken}` });
    assert.equal(created.status, 201, created.text);
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    await pollUntil('the site on instance B', async () => ((await post(sb, '/v1/challenge', { sitekey, type: 'pow' })).status === 200 ? true : undefined), 5000);
    // Each step issues on one instance and answers on the other: each instance sees half the
    // farm's requests, so only counts shared in the ring escalate it on time.
    const run = await farmUntilRefused([sa.port, sb.port], sitekey, '203.0.113.77');
    assert.deepEqual([...new Set(run.difficulties)], [1, 4, 7], `difficulties ${run.difficulties.join(',')}`);
    assert.ok(run.refusedAfter >= 6 && run.refusedAfter <= 9, `refused after ${run.refusedAfter} solves`);
    assert.equal(run.refusedCode, 'risk_refused');
    assert.deepEqual(await statusesFrom([sa.port, sb.port], sitekey, '203.0.113.77', 4), [429, 429, 429, 429]);
    assert.deepEqual(await statusesFrom([sa.port, sb.port], sitekey, '198.51.100.2', 2), [200, 200]);
  });

  it('takes no state lease, and a restart keeps the ring\'s state epoch (the ring outlives Hurdle)', async () => {
    const client = new pgClient.Client({ connectionString: dbUrl });
    await client.connect();
    try {
      assert.equal((await client.query('SELECT owner FROM leases')).rowCount, 0, 'two ring instances on one DB, no lease row');
    } finally {
      await client.end();
    }
    const sb = b as RunningServer;
    const created = await post(sb, '/admin/api/sites', { name: 'ring restart', challengeTypes: ['pow'], difficulty: 2 }, { authorization: `Bearer ${sb.adminToken}` });
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    const secret = created.body.secret as string;
    const mint = async (s: RunningServer): Promise<string> => {
      const c = await post(s, '/v1/challenge', { sitekey });
      const id = c.body.id as string;
      const ans = (await http(s.port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { nonce: string };
      const v = await post(s, '/v1/verify', { id, answer: { nonce: ans.nonce } });
      assert.equal(v.body.success, true, v.text);
      return v.body.token as string;
    };
    const redeemed = await mint(sb);
    assert.equal((await post(sb, '/siteverify', { secret, response: redeemed })).body.success, true);
    const pending = await mint(sb);
    // A restarted instance (graceful stop, start again) keeps the ring's epoch.
    assert.equal(await (a as RunningServer).stop(), 0);
    a = await startHurdle(commonArgs);
    const sa = a;
    await pollUntil('the site on the restarted A', async () => ((await post(sa, '/v1/challenge', { sitekey })).status === 200 ? true : undefined), 5000);
    assert.deepEqual((await post(sa, '/siteverify', { secret, response: redeemed })).body['error-codes'], ['timeout-or-duplicate']);
    const once = await post(sa, '/siteverify', { secret, response: pending });
    assert.equal(once.body.success, true, `a token minted before the restart verifies once: ${once.text}`);
    assert.equal((await post(sb, '/siteverify', { secret, response: pending })).body.success, false);
  });

  it('keeps serving when one Redis is SIGKILLed', async () => {
    const sa = a as RunningServer;
    const sb = b as RunningServer;
    const created = await post(sa, '/admin/api/sites', { name: 'survive', challengeTypes: ['pow'], difficulty: 4 }, { authorization: `Bearer ${sa.adminToken}` });
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    const secret = created.body.secret as string;
    await pollUntil('the site on B', async () => ((await post(sb, '/v1/challenge', { sitekey })).status === 200 ? true : undefined), 5000);
    // Challenges issued before the kill must still verify after it (R = 2).
    const issued = await Promise.all(Array.from({ length: 6 }, () => post(sa, '/v1/challenge', { sitekey })));
    await (redis[0] as RedisServer).kill('SIGKILL');
    for (const c of issued) {
      const id = c.body.id as string;
      const ans = (await http(sb.port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { nonce: string };
      const v = await post(sb, '/v1/verify', { id, answer: { nonce: ans.nonce } });
      assert.equal(v.body.success, true, v.text);
      const r1 = await post(sa, '/siteverify', { secret, response: v.body.token });
      assert.equal(r1.body.success, true, r1.text);
      const r2 = await post(sb, '/siteverify', { secret, response: v.body.token });
      assert.deepEqual(r2.body['error-codes'], ['timeout-or-duplicate']);
    }
  });
});
