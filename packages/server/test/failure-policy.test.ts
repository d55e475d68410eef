// Failure policy when the state store is unreachable: closed (default) and open.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createMemoryStore } from '@hurdle/challenge';
import type { ChallengeStore } from '@hurdle/challenge';
import { createService } from '../src/service.js';
import type { FailurePolicy } from '../src/options.js';
import type { Service } from '../src/service.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';

/** A real in-memory store that can be switched to fail every call, like a lost network. */
function switchableStore(): { store: ChallengeStore; down: { value: boolean } } {
  const inner = createMemoryStore();
  const down = { value: false };
  const guard = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => (...a: A): Promise<R> =>
    down.value ? Promise.reject(new Error('connect ECONNREFUSED')) : fn(...a);
  return {
    down,
    store: {
      set: guard((k: string, v: string, t: number) => inner.set(k, v, t)),
      add: guard((k: string, v: string, t: number) => inner.add(k, v, t)),
      get: guard((k: string) => inner.get(k)),
      take: guard((k: string) => inner.take(k)),
      incr: guard((k: string, t: number) => inner.incr(k, t)),
      delete: guard((k: string) => inner.delete(k)),
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

async function setup(failurePolicy: FailurePolicy): Promise<{ svc: Service; down: { value: boolean }; sitekey: string; secret: string }> {
  const dir = tempDir();
  const { store, down } = switchableStore();
  const svc = await createService({
    options: { dataDir: dir.path, adminToken: ADMIN, logLevel: 'silent', testHooks: true, renderThreads: 0, failurePolicy, admission: { maxEventLoopDelayMs: 600_000 } },
    store,
    widget: false,
  });
  cleanups.push(async () => { await svc.close(); dir.remove(); });
  const created = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'fp', challengeTypes: ['pow'], difficulty: 3 } });
  const body = created.json() as { site: { sitekey: string }; secret: string };
  return { svc, down, sitekey: body.site.sitekey, secret: body.secret };
}

async function token(svc: Service, sitekey: string, extra: Record<string, string> = {}): Promise<string> {
  const c = (await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey, ...extra } })).json() as { id: string };
  const a = (await svc.app.inject({ method: 'GET', url: `/v1/test-hooks/answer/${encodeURIComponent(c.id)}` })).json() as { nonce: string };
  const v = (await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id: c.id, answer: { nonce: a.nonce } } })).json() as { token: string };
  return v.token;
}

describe('failure policy', () => {
  it('closed (default): nothing passes while the store is down', async () => {
    const { svc, down, sitekey, secret } = await setup('closed');
    const t = await token(svc, sitekey);
    down.value = true;
    const sv = (await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret, response: t } })).json() as Record<string, unknown>;
    assert.equal(sv.success, false);
    assert.deepEqual(sv['error-codes'], ['internal-error']);
    down.value = false;
    const c = (await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey } })).json() as { id: string };
    const a = (await svc.app.inject({ method: 'GET', url: `/v1/test-hooks/answer/${encodeURIComponent(c.id)}` })).json() as { nonce: string };
    down.value = true;
    const v = await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id: c.id, answer: { nonce: a.nonce } } });
    assert.equal(v.statusCode, 503, v.body);
    assert.equal((v.json() as { code: string }).code, 'store_unavailable');
    assert.ok(Number(v.headers['retry-after']) >= 1);
    const ready = await svc.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, 'readiness reflects the store handle given, not a probe');
    down.value = false;
    const again = (await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret, response: t } })).json() as Record<string, unknown>;
    assert.equal(again.success, true, 'the token was never consumed, so it still redeems once the store is back');
  });

  it('open: a signed token passes without the once-only check, flagged; forged ones still fail', async () => {
    const { svc, down, sitekey, secret } = await setup('open');
    const t = await token(svc, sitekey, { action: 'login', cdata: 'order-7' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const issuedBefore = Date.now() - 10;
    down.value = true;
    const sv = (await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret, response: t } })).json() as Record<string, unknown>;
    assert.equal(sv.success, true);
    assert.deepEqual(sv['error-codes'], ['store-unavailable-unchecked']);
    // The claims the token really carries, not placeholders.
    assert.equal(sv.action, 'login');
    assert.equal(sv.cdata, 'order-7');
    assert.ok(Date.parse(String(sv.challenge_ts)) <= issuedBefore, 'challenge_ts is when it was solved, not when siteverify ran');
    const forged = (await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret, response: `${t.slice(0, -4)}AAAA` } })).json() as Record<string, unknown>;
    assert.equal(forged.success, false);
    assert.deepEqual(forged['error-codes'], ['invalid-input-response']);
    const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /hurdle_siteverify_total\{result="pass",reason="fail_open"\} 1/);
  });
});
