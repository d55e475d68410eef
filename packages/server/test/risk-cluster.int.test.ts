// The risk engine across the worker processes of one machine: a real `hurdle start --workers 2`
// whose signals live in the shared-memory segment. Every request goes on a fresh connection,
// which the cluster hands to the workers in turn, so a farm's issues, answers and refusals land
// on both workers; escalation that were counted per worker would take about twice the solves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, pollUntil, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';
import { farmUntilRefused, statusesFrom } from './risk-farm.js';

let server: RunningServer;
let dir: { path: string; remove: () => void };

before(async () => {
  dir = tempDir();
  server = await startHurdle(['--workers', '2', '--data-dir', dir.path, '--test-hooks', '--trust-proxy', '127.0.0.1', '--rate-limit.ip-per-minute', '0']);
});

after(async () => {
  const code = await server?.stop();
  assert.equal(code, 0, `graceful exit on SIGTERM\n${server?.output()}`);
  dir.remove();
});

describe('risk engine, 2 workers on one machine', () => {
  it('escalates and refuses a farm address on both workers from one shared count', async () => {
    await pollUntil('both workers to answer', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(((await http(server.port, 'GET', '/healthz')).json() as { worker: string }).worker);
      return seen.size === 2 ? true : undefined;
    });
    const created = await http(server.port, 'POST', '/admin/api/sites', { name: 'farmed', challengeTypes: ['pow', 'slide'], difficulty: 1 }, { authorization: `Bearer ${server.adminToken}` });
    assert.equal(created.status, 201, created.text);
    const { sitekey } = (created.json() as { site: { sitekey: string } }).site;
    await pollUntil('the site on every worker', async () => {
      const s = await statusesFrom([server.port], sitekey, '192.0.2.200', 4);
      return s.every((x) => x === 200) ? true : undefined;
    });

    const run = await farmUntilRefused([server.port], sitekey, '203.0.113.50');
    assert.deepEqual([...new Set(run.difficulties)], [1, 4, 7], `difficulties ${run.difficulties.join(',')}`);
    // One process alone reaches the refusal after 6 solves (risk-engine.test.ts); counted per
    // worker, each would have seen about half of them.
    assert.ok(run.refusedAfter >= 6 && run.refusedAfter <= 9, `refused after ${run.refusedAfter} solves`);
    assert.equal(run.refusedCode, 'risk_refused');
    assert.ok(run.retryAfterS > 60 && run.retryAfterS <= 120, `Retry-After ${run.retryAfterS}`);
    // The pause is in shared memory: every worker refuses the address now.
    assert.deepEqual(await statusesFrom([server.port], sitekey, '203.0.113.50', 6), [429, 429, 429, 429, 429, 429]);
    // Another network is not touched.
    assert.deepEqual(await statusesFrom([server.port], sitekey, '198.51.100.1', 2), [200, 200]);

    const metrics = (await http(server.port, 'GET', '/metrics')).text;
    assert.match(metrics, /hurdle_risk_refused_total\{scope="address",reason="address_solves"\} 1/);
    assert.match(metrics, /hurdle_risk_refused_total\{scope="address",reason="paused"\} [6-9]/);
    assert.match(metrics, /hurdle_escalations_total\{level="slide_pow"\} [1-9]/);
    assert.match(metrics, /hurdle_risk_score_bucket\{le="0.05",phase="issue"\} \d+/);
  });
});
