// Rate limits per IP (proxy-aware) and per site, counted in the state store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let svc: Service;
let dir: { path: string; remove: () => void };

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, logLevel: 'silent', renderThreads: 0, trustProxy: ['127.0.0.1'],
      rateLimit: { ipPerMinute: 5, sitePerSecond: 0 }, admission: { maxEventLoopDelayMs: 600_000 },
    },
    widget: false,
  });
});

after(async () => {
  await svc.close();
  dir.remove();
});

describe('rate limits', () => {
  it('limits per client IP, honouring X-Forwarded-For from a trusted proxy', async () => {
    const created = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'rl', challengeTypes: ['pow'], difficulty: 1, rateLimitPerSecond: 1000 } });
    const sitekey = (created.json() as { site: { sitekey: string } }).site.sitekey;
    const hit = (ip: string) => svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey }, headers: { 'x-forwarded-for': ip }, remoteAddress: '127.0.0.1' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await hit('203.0.113.7')).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const limited = await hit('203.0.113.7');
    assert.equal((limited.json() as { code: string }).code, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal((await hit('203.0.113.8')).statusCode, 200, 'another client is not affected');
    const local = await Promise.all(Array.from({ length: 8 }, () => svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey }, remoteAddress: '127.0.0.1' })));
    assert.ok(local.every((r) => r.statusCode === 200), 'a loopback client is exempt by default');
  });

  it('limits per site per second', async () => {
    const created = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'rl site', challengeTypes: ['pow'], difficulty: 1, rateLimitPerSecond: 2 } });
    const sitekey = (created.json() as { site: { sitekey: string } }).site.sitekey;
    // Six at once: two per second are allowed, and even if the window rolls over once while
    // they are answered (a loaded machine), at most four get through.
    const statuses = (await Promise.all(Array.from({ length: 6 }, (_, i) => svc.app.inject({
      method: 'POST', url: '/v1/challenge', payload: { sitekey }, headers: { 'x-forwarded-for': `198.51.100.${i}` }, remoteAddress: '127.0.0.1',
    })))).map((r) => r.statusCode);
    assert.ok(statuses.filter((s) => s === 429).length >= 2, String(statuses));
  });
});

describe('rate limits on shared-memory counters (one machine)', () => {
  it('counts in the shm segment, not through the store, and refuses over the limit', async () => {
    const { createSharedMap } = await import('@hurdle/shm');
    const { createShmStore } = await import('../src/state/state-store.js');
    const map = createSharedMap({ name: `hurdle-rl-test-${process.pid}`, backend: 'memory', sizeBytes: 1 << 20, codec: 'string' });
    const handle = createShmStore(map as never);
    let storeIncrs = 0;
    const store = { ...handle.store, incr: (key: string, ttlMs: number) => { storeIncrs++; return handle.store.incr(key, ttlMs); } };
    const d = tempDir();
    const s = await createService({
      options: {
        dataDir: d.path, adminToken: ADMIN, logLevel: 'silent', renderThreads: 0, trustProxy: ['127.0.0.1'],
        rateLimit: { ipPerMinute: 3, sitePerSecond: 0 }, admission: { maxEventLoopDelayMs: 600_000 },
      },
      store,
      ...(handle.rateCounters === undefined ? {} : { rateCounters: handle.rateCounters }),
      // The risk engine's signals count in the segment too (risk-counters.ts).
      ...(handle.riskCounters === undefined ? {} : { riskCounters: handle.riskCounters }),
      widget: false,
    });
    try {
      assert.ok(handle.rateCounters, 'the shm store carries its rate counters');
      const created = await s.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'rl shm', challengeTypes: ['pow'], difficulty: 1, rateLimitPerSecond: 1000 } });
      const sitekey = (created.json() as { site: { sitekey: string } }).site.sitekey;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await s.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey }, headers: { 'x-forwarded-for': '203.0.113.9' }, remoteAddress: '127.0.0.1' });
        statuses.push(r.statusCode);
      }
      // The minute window may roll over once during the loop.
      assert.ok(statuses.filter((x) => x === 429).length >= 2, String(statuses));
      assert.equal(statuses[0], 200);
      assert.equal(storeIncrs, 0, 'no store.incr on the shm path');
      const keys = [...map.keys()];
      assert.ok(keys.some((k) => k.startsWith('rl:ip:203.0.113.9@')), keys.join(','));
      assert.ok(keys.some((k) => k.startsWith('rl:site:')), 'the per-site limit counts there too');
      // Over the limit, a request reads the counter and does not count (no writer lock).
      const ipKey = keys.find((k) => k.startsWith('rl:ip:203.0.113.9@')) as string;
      assert.ok(Number(map.get(ipKey)) <= 4, `counter stops at the limit + 1: ${String(map.get(ipKey))}`);
    } finally {
      await s.close();
      d.remove();
      map.close();
    }
  });
});
