// Brute-force limits: wrong /siteverify secrets (every siteverify path) and wrong admin
// tokens are counted per client address; past `rateLimit.authFailures` the address gets 429
// with Retry-After for every secret it sends, while other addresses and valid calls go on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryStore } from '@hurdle/challenge';
import { createSharedMap } from '@hurdle/shm';
import { createAuthFailureLimit } from '../src/http/auth-failure-limit.js';
import { WorkerMetrics } from '../src/metrics.js';
import { resolveOptions } from '../src/options.js';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { TEST_KEYS } from '../src/site.js';
import { createShmRateCounters } from '../src/state/rate-limit-counters.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const LIMIT = 4;
const WINDOW_MS = 86_400_000;

let svc: Service;
let dir: { path: string; remove: () => void };
let site: { sitekey: string; secret: string };

// The counters use fixed windows aligned to the epoch; a loop that crosses a window's end
// (once a day here) starts counting afresh, so exact sequences are checked within one window.
const windowOf = (): number => Math.floor(Date.now() / WINDOW_MS);

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, logLevel: 'silent', renderThreads: 0, testHooks: true,
      rateLimit: { authFailures: LIMIT, authWindowMs: WINDOW_MS }, admission: { maxEventLoopDelayMs: 600_000 },
    },
    widget: false,
  });
  const created = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'bf', challengeTypes: ['pow'], difficulty: 1 } });
  assert.equal(created.statusCode, 201, created.body);
  const body = created.json() as { site: { sitekey: string }; secret: string };
  site = { sitekey: body.site.sitekey, secret: body.secret };
});

after(async () => {
  await svc.close();
  dir.remove();
});

/** A fresh pass token of the test site (PoW answered through the test hooks). */
async function passToken(): Promise<string> {
  const c = (await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey: site.sitekey, type: 'pow' }, remoteAddress: '192.0.2.200' })).json() as { id: string };
  const a = (await svc.app.inject({ method: 'GET', url: `/v1/test-hooks/answer/${encodeURIComponent(c.id)}` })).json() as { nonce: string };
  const v = (await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id: c.id, answer: { nonce: a.nonce } }, remoteAddress: '192.0.2.200' })).json() as { success: boolean; token: string };
  assert.equal(v.success, true);
  return v.token;
}

function siteverify(from: string, secret: string, response = 'not-a-token', url = '/siteverify') {
  return svc.app.inject({ method: 'POST', url, payload: { secret, response }, remoteAddress: from });
}

async function metric(line: RegExp): Promise<number> {
  const text = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? 0 : Number(found.split(' ').pop());
}

describe('brute-force limit on /siteverify secrets', () => {
  it('a loop of wrong secrets from one address gets 429 after the limit; a valid secret from another address still passes', async () => {
    const attacker = '198.51.100.1';
    const w = windowOf();
    const failuresBefore = await metric(/^hurdle_auth_failures_total\{kind="siteverify"\}/);
    const answers = [];
    for (let i = 0; i < LIMIT + 3; i++) answers.push(await siteverify(attacker, `wrong-secret-${i}`));
    if (windowOf() !== w) return;
    assert.deepEqual(answers.map((r) => r.statusCode), [...Array(LIMIT).fill(200), 429, 429, 429]);
    for (const r of answers.slice(0, LIMIT)) assert.deepEqual((r.json() as { 'error-codes': string[] })['error-codes'], ['invalid-input-secret']);
    const refused = answers[LIMIT]!;
    const body = refused.json() as { success: boolean; 'error-codes': string[]; code: string; message: string };
    assert.equal(body.success, false);
    assert.deepEqual(body['error-codes'], ['rate-limited']);
    assert.equal(body.code, 'rate_limited');
    assert.match(body.message, /rateLimit\.authFailures/);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000, `Retry-After ${String(refused.headers['retry-after'])}`);

    // Over the limit the right secret is refused too: otherwise the refusal would tell which guess was right.
    const token = await passToken();
    assert.equal((await siteverify(attacker, site.secret, token)).statusCode, 429);
    // Another address, the right secret and a real token: verified as always.
    const ok = await siteverify('198.51.100.2', site.secret, token);
    assert.equal(ok.statusCode, 200);
    assert.equal((ok.json() as { success: boolean }).success, true);
    // Another address with a wrong secret is counted on its own.
    assert.deepEqual(((await siteverify('198.51.100.3', 'wrong')).json() as { 'error-codes': string[] })['error-codes'], ['invalid-input-secret']);

    assert.equal(await metric(/^hurdle_auth_failures_total\{kind="siteverify"\}/) - failuresBefore, LIMIT + 1);
    assert.ok(await metric(/^hurdle_rate_limited_total\{scope="auth"\}/) >= 4);
  });

  it('the vendor paths count into the same limit and answer in their own shape', async () => {
    const attacker = '198.51.100.20';
    const w = windowOf();
    const counted = [
      await siteverify(attacker, 'wrong-1', 'x', '/recaptcha/api/siteverify'),
      await svc.app.inject({ method: 'GET', url: '/recaptcha/api/siteverify?secret=wrong-2&response=x', remoteAddress: attacker }),
      await siteverify(attacker, 'wrong-3', 'x', '/turnstile/v0/siteverify'),
      await siteverify(attacker, 'wrong-4', 'x', '/hcaptcha/siteverify'),
    ];
    if (windowOf() !== w) return;
    assert.deepEqual(counted.map((r) => r.statusCode), [200, 200, 200, 200]);
    for (const url of ['/siteverify', '/recaptcha/api/siteverify', '/turnstile/v0/siteverify', '/hcaptcha/siteverify']) {
      const r = await siteverify(attacker, site.secret, 'x', url);
      assert.equal(r.statusCode, 429, url);
      assert.ok(Number(r.headers['retry-after']) >= 1, url);
      assert.deepEqual((r.json() as { success: boolean; 'error-codes': string[] })['error-codes'], ['rate-limited'], url);
    }
    const get = await svc.app.inject({ method: 'GET', url: `/recaptcha/api/siteverify?secret=${encodeURIComponent(site.secret)}&response=x`, remoteAddress: attacker });
    assert.equal(get.statusCode, 429);
    // Friendly Captcha answers 200 with its failure shape, and a code its SDKs' non-strict
    // mode does not turn into an accepted captcha.
    const fc = await svc.app.inject({ method: 'POST', url: '/api/v2/captcha/siteverify', headers: { 'x-api-key': site.secret }, payload: { response: 'x', sitekey: site.sitekey }, remoteAddress: attacker });
    assert.equal(fc.statusCode, 200);
    assert.ok(Number(fc.headers['retry-after']) >= 1);
    const fcBody = fc.json() as { success: boolean; error: { error_code: string } };
    assert.equal(fcBody.success, false);
    assert.equal(fcBody.error.error_code, 'rate_limited');
  });

  it('Friendly Captcha wrong keys count too', async () => {
    const attacker = '198.51.100.30';
    const w = windowOf();
    const codes: string[] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      const r = await svc.app.inject({ method: 'POST', url: '/api/v2/captcha/siteverify', headers: { 'x-api-key': `wrong-${i}` }, payload: { response: 'x' }, remoteAddress: attacker });
      codes.push((r.json() as { error: { error_code: string } }).error.error_code);
    }
    if (windowOf() !== w) return;
    assert.deepEqual(codes, [...Array(LIMIT).fill('auth_invalid'), 'rate_limited']);
  });

  it('missing secrets, test keys and right secrets are not failures', async () => {
    const caller = '198.51.100.40';
    for (let i = 0; i < LIMIT + 2; i++) {
      assert.equal((await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { response: 'x' }, remoteAddress: caller })).statusCode, 200);
      assert.equal((await siteverify(caller, site.secret, 'not-a-token')).statusCode, 200);
      assert.equal((await siteverify(caller, TEST_KEYS.secretAlwaysFail, 'x')).statusCode, 200);
    }
    const r = await siteverify(caller, site.secret, 'not-a-token');
    assert.deepEqual((r.json() as { 'error-codes': string[] })['error-codes'], ['invalid-input-response']);
  });

  it('a loopback peer is exempt while rateLimit.exemptLoopback is on (a local proxy not listed in trustProxy)', async () => {
    const w = windowOf();
    const statuses = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await siteverify('127.0.0.1', `wrong-${i}`)).statusCode);
    if (windowOf() !== w) return;
    assert.deepEqual(statuses, Array(LIMIT + 2).fill(200));
  });
});

describe('brute-force limit on admin tokens', () => {
  const admin = (from: string, token?: string) => svc.app.inject({ method: 'GET', url: '/admin/api/sites', remoteAddress: from, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('a loop of wrong tokens gets 429 after the limit; the right token from another address still works', async () => {
    const attacker = '203.0.113.66';
    const w = windowOf();
    const before = await metric(/^hurdle_auth_failures_total\{kind="admin"\}/);
    const statuses = [];
    for (let i = 0; i < LIMIT + 3; i++) statuses.push((await admin(attacker, `wrong-token-${i}-0123456789`)).statusCode);
    if (windowOf() !== w) return;
    assert.deepEqual(statuses, [...Array(LIMIT).fill(401), 429, 429, 429]);
    const refused = await admin(attacker, ADMIN);
    assert.equal(refused.statusCode, 429, 'the right token from an address over the limit');
    assert.equal((refused.json() as { code: string }).code, 'rate_limited');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal((await admin('203.0.113.67', ADMIN)).statusCode, 200);
    assert.equal(await metric(/^hurdle_auth_failures_total\{kind="admin"\}/) - before, LIMIT);
  });

  it('requests without a token are no guesses', async () => {
    const caller = '203.0.113.70';
    for (let i = 0; i < LIMIT + 2; i++) assert.equal((await admin(caller)).statusCode, 401);
    assert.equal((await admin(caller, ADMIN)).statusCode, 200);
  });

  it('IPv6 addresses count per /64', async () => {
    const w = windowOf();
    const statuses = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await admin(`2001:db8:7:7::${(i + 1).toString(16)}`, `wrong-token-${i}-0123456789`)).statusCode);
    if (windowOf() !== w) return;
    assert.deepEqual(statuses, [...Array(LIMIT).fill(401), 429]);
    assert.equal((await admin('2001:db8:7:8::1', ADMIN)).statusCode, 200, 'the next /64 is another client');
  });
});

describe('the counters behind the limit', () => {
  const opts = resolveOptions({ overrides: { rateLimit: { authFailures: 3, authWindowMs: 60_000 } } });

  it('on one machine the shared-memory counter is exact across workers, and the window ends', async () => {
    let t = 1_000 * 60_000 + 5_000;
    const now = (): number => t;
    const map = createSharedMap({ name: `hurdle-auth-limit-test-${process.pid}`, backend: 'memory', sizeBytes: 1 << 20, codec: 'string' });
    try {
      const counters = createShmRateCounters(map as never, now);
      const store = createMemoryStore();
      // Two limiters over one segment: two workers of one machine.
      const a = createAuthFailureLimit({ options: opts, store, rateCounters: counters, metrics: new WorkerMetrics(), now });
      const b = createAuthFailureLimit({ options: opts, store, rateCounters: counters, metrics: new WorkerMetrics(), now });
      await a.fail('198.51.100.5', 'admin');
      await b.fail('198.51.100.5', 'siteverify');
      a.check('198.51.100.5');
      await a.fail('198.51.100.5', 'admin');
      for (const limiter of [a, b]) {
        assert.throws(() => limiter.check('198.51.100.5'), (err: Error & { code?: string; retryAfterS?: number }) => {
          assert.equal(err.code, 'SERVER_ERR_RATE_LIMITED');
          assert.equal(err.retryAfterS, 55);
          return true;
        });
      }
      b.check('198.51.100.6');
      t += 55_000;
      a.check('198.51.100.5');
      b.check('198.51.100.5');
    } finally {
      map.close();
    }
  });

  it('on the ring each worker counts through the store and blocks locally: a valid call makes no store call', async () => {
    let t = 2_000 * 60_000;
    const now = (): number => t;
    const inner = createMemoryStore();
    let storeCalls = 0;
    const store = { ...inner, get: (k: string) => { storeCalls++; return inner.get(k); }, incr: (k: string, ttl: number) => { storeCalls++; return inner.incr(k, ttl); } };
    const a = createAuthFailureLimit({ options: opts, store, metrics: new WorkerMetrics(), now });
    const b = createAuthFailureLimit({ options: opts, store, metrics: new WorkerMetrics(), now });
    for (let i = 0; i < 3; i++) await a.fail('198.51.100.7', 'siteverify');
    assert.throws(() => a.check('198.51.100.7'), /rateLimit\.authFailures/);
    // b has not seen the address fail: its next failure reads the shared count and blocks.
    b.check('198.51.100.7');
    await b.fail('198.51.100.7', 'siteverify');
    assert.throws(() => b.check('198.51.100.7'), /rateLimit\.authFailures/);
    const calls = storeCalls;
    for (let i = 0; i < 100; i++) a.check('198.51.100.8');
    assert.equal(storeCalls, calls, 'checks of an address under the limit touch no store');
    t += 60_000;
    a.check('198.51.100.7');
  });

  it('authFailures 0 turns the limit off', async () => {
    const off = createAuthFailureLimit({ options: resolveOptions({ overrides: { rateLimit: { authFailures: 0 } } }), store: createMemoryStore(), metrics: new WorkerMetrics() });
    for (let i = 0; i < 50; i++) await off.fail('198.51.100.9', 'admin');
    off.check('198.51.100.9');
  });
});
