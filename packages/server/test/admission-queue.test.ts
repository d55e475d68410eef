// Admission control: priorities, deadlines, queue bound with eviction, event-loop shedding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdmissionQueue } from '../src/admission-queue.js';
import type { Release } from '../src/admission-queue.js';

function queue(over: Partial<ConstructorParameters<typeof AdmissionQueue>[0]> = {}, lag = { ms: 0 }, clock = { t: 0 }) {
  return new AdmissionQueue({
    concurrency: 2,
    maxQueue: 4,
    deadlinesMs: { siteverify: 1000, verify: 1000, challenge: 1000, admin: 1000 },
    maxEventLoopDelayMs: 100,
    eventLoopDelayMs: () => lag.ms,
    now: () => clock.t,
    ...over,
  });
}

const isRelease = (r: unknown): r is Release => typeof r === 'function';

describe('AdmissionQueue', () => {
  it('admits up to the concurrency at once, then serves waiters by priority', async () => {
    const q = queue();
    const a = q.acquire('challenge');
    const b = q.acquire('challenge');
    assert.ok(isRelease(a) && isRelease(b));
    const order: string[] = [];
    const waiters = (['admin', 'challenge', 'verify', 'siteverify'] as const).map((cls) => {
      const p = q.acquire(cls);
      assert.ok(p instanceof Promise);
      return p.then((release) => { order.push(cls); return release; });
    });
    assert.equal(q.stats().queued, 4);
    a();
    b();
    const [r1, r2] = await Promise.all(waiters.slice(2));
    assert.deepEqual(order, ['siteverify', 'verify']);
    r1?.();
    r2?.();
    await Promise.all(waiters);
    assert.deepEqual(order, ['siteverify', 'verify', 'challenge', 'admin']);
  });

  it('sheds at once when the expected wait passes the deadline', () => {
    const clock = { t: 0 };
    const q = queue({ concurrency: 1, deadlinesMs: { siteverify: 1000, verify: 1000, challenge: 5, admin: 5 } }, { ms: 0 }, clock);
    // Teach it that a request takes 100 ms.
    for (let i = 0; i < 200; i++) {
      const r = q.acquire('verify') as Release;
      clock.t += 100;
      r();
    }
    const hold = q.acquire('verify');
    assert.ok(isRelease(hold));
    assert.throws(() => q.acquire('challenge'), (err: { code: string; retryAfterS: number }) => err.code === 'SERVER_ERR_OVERLOADED' && err.retryAfterS >= 1);
    const v = q.acquire('siteverify');
    assert.ok(v instanceof Promise, 'a high-priority request with a longer deadline still queues');
    hold();
    assert.equal(q.stats().shed.deadline, 1);
  });

  it('when full, evicts the lowest class for a higher one, and refuses an equal one', async () => {
    const q = queue({ concurrency: 1, maxQueue: 2 });
    const hold = q.acquire('verify') as Release;
    const low = q.acquire('challenge') as Promise<Release>;
    const low2 = q.acquire('admin') as Promise<Release>;
    const lowResult = low2.then(() => 'admitted', (err: { code: string }) => err.code);
    const high = q.acquire('siteverify');
    assert.ok(high instanceof Promise);
    assert.equal(await lowResult, 'SERVER_ERR_OVERLOADED');
    assert.throws(() => q.acquire('admin'), { code: 'SERVER_ERR_OVERLOADED' });
    hold();
    (await high)();
    (await low)();
    assert.equal(q.stats().shed.evicted, 1);
    assert.equal(q.stats().shed.queue_full, 1);
  });

  it('sheds challenge and admin (not siteverify/verify) while the event loop lags', () => {
    const lag = { ms: 500 };
    const q = queue({}, lag);
    assert.throws(() => q.acquire('challenge'), { code: 'SERVER_ERR_OVERLOADED' });
    assert.throws(() => q.acquire('admin'), { code: 'SERVER_ERR_OVERLOADED' });
    assert.ok(isRelease(q.acquire('siteverify')));
    assert.ok(isRelease(q.acquire('verify')));
    lag.ms = 0;
    assert.equal(q.stats().shed.event_loop, 2);
  });

  it('a release called twice frees one slot only', () => {
    const q = queue({ concurrency: 1 });
    const r = q.acquire('verify') as Release;
    r();
    r();
    assert.equal(q.stats().active, 0);
    const again = q.acquire('verify');
    assert.ok(isRelease(again));
    assert.equal(q.stats().active, 1);
  });
});

describe('admission control over HTTP', () => {
  it('while the event loop lags, challenges get 503 + Retry-After and siteverify still answers', async () => {
    const { createService } = await import('../src/service.js');
    const { TEST_KEYS } = await import('../src/site.js');
    const { tempDir } = await import('./fixtures.js');
    const dir = tempDir();
    const svc = await createService({
      options: { dataDir: dir.path, adminToken: 'admin-token-for-tests-0123456789', logLevel: 'silent', renderThreads: 0, admission: { maxEventLoopDelayMs: 50 } },
      widget: false,
    });
    try {
      // Keep the loop blocked for most of every 500 ms sample window until the monitor
      // reports sustained lag (two windows), with a deadline.
      const challenge = () => svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey: TEST_KEYS.sitekeyAlwaysPass, type: 'pow' } });
      let c = await challenge();
      assert.equal(c.statusCode, 200, 'no shedding before the lag');
      const deadline = Date.now() + 15_000;
      while (c.statusCode !== 503 && Date.now() < deadline) {
        const until = Date.now() + 300;
        while (Date.now() < until) { /* busy */ }
        await new Promise((r) => setTimeout(r, 5));
        c = await challenge();
      }
      assert.equal(c.statusCode, 503, c.body);
      assert.equal((c.json() as { code: string }).code, 'overloaded');
      assert.ok(Number(c.headers['retry-after']) >= 1);
      const sv = await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret: TEST_KEYS.secretAlwaysPass, response: 'x' } });
      assert.equal(sv.statusCode, 200);
      const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /hurdle_shed_total\{class="challenge",reason="event_loop"\} [1-9]/);
    } finally {
      await svc.close();
      dir.remove();
    }
  });
});
