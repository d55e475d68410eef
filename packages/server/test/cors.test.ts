// CORS: the widget's routes (/v1/challenge, /v1/verify) answer any origin; siteverify and the
// admin API stay same-origin. Preflights bypass admission control and rate limits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createService } from '../src/service.js';
import { TEST_KEYS } from '../src/site.js';
import type { Service } from '../src/service.js';
import { solveSlide, tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };
const SHOP = 'https://shop.example';
const preflightHeaders = { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };

let svc: Service;
let dir: { path: string; remove: () => void };

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, testHooks: true, logLevel: 'silent', refreshIntervalMs: 3_600_000, renderThreads: 0,
      // A tight per-IP limit that applies to loopback too, so a counted preflight would show.
      rateLimit: { ipPerMinute: 3, exemptLoopback: false },
      admission: { concurrency: 1, maxQueue: 0, maxEventLoopDelayMs: 600_000 },
    },
    widget: false,
  });
});

after(async () => {
  await svc.close();
  dir.remove();
});

async function createSite(input: Record<string, unknown>): Promise<string> {
  const r = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: auth, payload: input });
  assert.equal(r.statusCode, 201, r.body);
  return (r.json() as { site: { sitekey: string } }).site.sitekey;
}

/** Distinct client addresses per test, so the tight per-IP limit does not leak between tests. */
let nextIp = 1;
const clientIp = (): string => `198.51.100.${nextIp++}`;

describe('CORS on the widget routes', () => {
  it('answers the preflight of /v1/challenge and /v1/verify (204, any origin, POST + content-type)', async () => {
    for (const url of ['/v1/challenge', '/v1/verify']) {
      const r = await svc.app.inject({ method: 'OPTIONS', url, headers: preflightHeaders, remoteAddress: clientIp() });
      assert.equal(r.statusCode, 204, `${url}: ${r.body}`);
      assert.equal(r.body, '');
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.match(String(r.headers['access-control-allow-methods']), /\bPOST\b/);
      assert.match(String(r.headers['access-control-allow-headers']), /\bcontent-type\b/i);
      assert.ok(Number(r.headers['access-control-max-age']) >= 600);
      assert.equal(r.headers['access-control-allow-credentials'], undefined, 'no credentials with *');
      assert.doesNotMatch(String(r.headers.vary ?? ''), /origin/i, 'nothing reflected, so no Vary: Origin');
    }
  });

  it('adds Access-Control-Allow-Origin to answers and errors, and exposes Retry-After', async () => {
    const sitekey = await createSite({ name: 'cors site', challengeTypes: ['pow'], difficulty: 1, hostnames: ['shop.example'] });
    const ip = clientIp();
    const c = await svc.app.inject({ method: 'POST', url: '/v1/challenge', headers: { origin: SHOP }, payload: { sitekey }, remoteAddress: ip });
    assert.equal(c.statusCode, 200, c.body);
    assert.equal(c.headers['access-control-allow-origin'], '*');
    assert.match(String(c.headers['access-control-expose-headers']), /\bretry-after\b/i);
    const { id } = c.json() as { id: string };
    const answer = (await svc.app.inject({ method: 'GET', url: `/v1/test-hooks/answer/${encodeURIComponent(id)}` })).json() as { nonce: string };
    const v = await svc.app.inject({ method: 'POST', url: '/v1/verify', headers: { origin: SHOP }, payload: { id, answer: { nonce: answer.nonce } }, remoteAddress: ip });
    assert.equal(v.statusCode, 200, v.body);
    assert.equal((v.json() as { success: boolean }).success, true, v.body);
    assert.equal(v.headers['access-control-allow-origin'], '*');

    // Refusals reach the page's script too: schema error, bad hostname, rate limit.
    const bad = await svc.app.inject({ method: 'POST', url: '/v1/verify', headers: { origin: SHOP }, payload: { id: 'x', answer: {} }, remoteAddress: clientIp() });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers['access-control-allow-origin'], '*');
    const evil = await svc.app.inject({ method: 'POST', url: '/v1/challenge', headers: { origin: 'https://evil.example' }, payload: { sitekey }, remoteAddress: clientIp() });
    assert.equal(evil.statusCode, 403, 'hostname binding still comes from Origin');
    assert.equal((evil.json() as { code: string }).code, 'hostname_not_allowed');
    assert.equal(evil.headers['access-control-allow-origin'], '*');
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 4; i++) {
      limited = await svc.app.inject({ method: 'POST', url: '/v1/challenge', headers: { origin: SHOP }, payload: { sitekey }, remoteAddress: ip });
      statuses.push(limited.statusCode);
    }
    assert.equal(limited?.statusCode, 429, String(statuses));
    assert.equal(limited.headers['access-control-allow-origin'], '*');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  it('preflights are neither rate-limited nor counted as challenges', async () => {
    const sitekey = await createSite({ name: 'cors count', challengeTypes: ['pow'], difficulty: 1 });
    const ip = clientIp();
    const issuedBefore = { ...svc.engine.stats().issued };
    for (let i = 0; i < 10; i++) {
      const r = await svc.app.inject({ method: 'OPTIONS', url: '/v1/challenge', headers: preflightHeaders, remoteAddress: ip });
      assert.equal(r.statusCode, 204);
    }
    assert.deepEqual(svc.engine.stats().issued, issuedBefore);
    // The limit is 3 a minute: ten preflights have not used it up.
    const c = await svc.app.inject({ method: 'POST', url: '/v1/challenge', headers: { origin: SHOP }, payload: { sitekey }, remoteAddress: ip });
    assert.equal(c.statusCode, 200, c.body);
    const metrics = (await svc.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /hurdle_http_requests_total\{route="preflight",status="204"\} [1-9]/);
    assert.doesNotMatch(metrics, /hurdle_http_requests_total\{route="\/v1\/challenge",status="204"\}/);
  });

  it('preflights are answered while admission control sheds the routes themselves', async () => {
    const admission = svc.app.hurdleAdmission;
    const held = admission.acquire('siteverify'); // the only slot (concurrency 1, no queue)
    assert.equal(typeof held, 'function');
    try {
      const shed = await svc.app.inject({ method: 'POST', url: '/v1/challenge', headers: { origin: SHOP }, payload: { sitekey: TEST_KEYS.sitekeyAlwaysPass }, remoteAddress: clientIp() });
      assert.equal(shed.statusCode, 503, shed.body);
      assert.equal(shed.headers['access-control-allow-origin'], '*', 'the page can read the 503 and its Retry-After');
      assert.ok(Number(shed.headers['retry-after']) >= 1);
      for (const url of ['/v1/challenge', '/v1/verify']) {
        const r = await svc.app.inject({ method: 'OPTIONS', url, headers: preflightHeaders, remoteAddress: clientIp() });
        assert.equal(r.statusCode, 204, `${url}: ${r.body}`);
      }
    } finally {
      (held as () => void)();
    }
  });

  it('a slide answer with a trajectory works cross-origin', async () => {
    const sitekey = await createSite({ name: 'cors slide', challengeTypes: ['slide'] });
    const ip = clientIp();
    const c = await svc.app.inject({ method: 'POST', url: '/v1/challenge', headers: { origin: SHOP }, payload: { sitekey }, remoteAddress: ip });
    assert.equal(c.statusCode, 200, c.body);
    const { id } = c.json() as { id: string };
    let last: { headers: Record<string, unknown> } | undefined;
    const { body, rounds } = await solveSlide(id, {
      answerOf: async (of) => ((await svc.app.inject({ method: 'GET', url: `/v1/test-hooks/answer/${encodeURIComponent(of)}` })).json() as { x: number }).x,
      verify: async (answer) => {
        const v = await svc.app.inject({ method: 'POST', url: '/v1/verify', headers: { origin: SHOP }, payload: answer, remoteAddress: ip });
        assert.equal(v.headers['access-control-allow-origin'], '*');
        last = v;
        return v.json() as Record<string, unknown>;
      },
    });
    assert.equal(body['success'], true, JSON.stringify(body));
    assert.equal(rounds, 2, 'the default: two puzzles');
    const v = last as { headers: Record<string, unknown> };
    assert.equal(v.headers['access-control-allow-origin'], '*');
  });
});

describe('no CORS on server-to-server and admin routes', () => {
  it('/siteverify: no Access-Control-Allow-Origin, and its preflight is refused', async () => {
    const r = await svc.app.inject({ method: 'POST', url: '/siteverify', headers: { origin: SHOP }, payload: { secret: TEST_KEYS.secretAlwaysPass, response: 'x' } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    const pre = await svc.app.inject({ method: 'OPTIONS', url: '/siteverify', headers: preflightHeaders });
    assert.ok(pre.statusCode >= 400, String(pre.statusCode));
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
    assert.equal(pre.headers['access-control-allow-methods'], undefined);
  });

  it('/admin/api/*: no Access-Control-Allow-Origin, and its preflight is refused', async () => {
    const r = await svc.app.inject({ method: 'GET', url: '/admin/api/sites', headers: { ...auth, origin: SHOP } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    for (const url of ['/admin/api/sites', '/admin/api/stats', '/admin/api/sites/hk_x/rotate-secret']) {
      const pre = await svc.app.inject({ method: 'OPTIONS', url, headers: { ...preflightHeaders, 'access-control-request-headers': 'authorization, content-type' } });
      assert.ok(pre.statusCode >= 400, `${url}: ${pre.statusCode}`);
      assert.equal(pre.headers['access-control-allow-origin'], undefined);
      assert.equal(pre.headers['access-control-allow-headers'], undefined);
    }
  });
});
