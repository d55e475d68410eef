// The HTTP API through app.inject(): flows, siteverify compatibility, admin API, bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { solvePow } from '@hurdle/challenge';
import { createService } from '../src/service.js';
import { rotateHmacKeys } from '../src/site-service.js';
import { TEST_KEYS } from '../src/site.js';
import type { Service } from '../src/service.js';
import { humanTrace, keyboardTrace, lookAndDrag, pollUntil, solveSlide, tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };

let svc: Service;
let dir: { path: string; remove: () => void };

async function inject(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await svc.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as string }), headers });
  let json: unknown;
  try { json = res.json(); } catch { json = undefined; }
  return { status: res.statusCode, headers: res.headers, body: json as Record<string, unknown>, raw: res.body };
}

async function createSite(input: Record<string, unknown>): Promise<{ sitekey: string; secret: string }> {
  const r = await inject('POST', '/admin/api/sites', input, auth);
  assert.equal(r.status, 201, r.raw);
  return { sitekey: (r.body.site as { sitekey: string }).sitekey, secret: r.body.secret as string };
}

/** The proof of work a keyboard answer carries (the engine's default, 14 bits, over the id). */
const keyProof = (id: string): string => solvePow(id, 14) ?? '';

async function passChallenge(sitekey: string, type: 'pow' | 'slide', extra: Record<string, unknown> = {}): Promise<string> {
  const c = await inject('POST', '/v1/challenge', { sitekey, type, ...extra });
  assert.equal(c.status, 200, c.raw);
  const id = c.body.id as string;
  const answerOf = async (of: string): Promise<{ x?: number; nonce?: string }> => (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(of)}`)).body as { x?: number; nonce?: string };
  if (type === 'slide') {
    const { body } = await solveSlide(id, {
      answerOf: async (of) => (await answerOf(of)).x ?? 0,
      verify: async (answer) => {
        const v = await inject('POST', '/v1/verify', answer);
        assert.equal(v.status, 200, v.raw);
        return v.body;
      },
    });
    assert.equal(body['success'], true, JSON.stringify(body));
    return body['token'] as string;
  }
  const v = await inject('POST', '/v1/verify', { id, answer: { nonce: (await answerOf(id)).nonce } });
  assert.equal(v.status, 200, v.raw);
  assert.equal(v.body.success, true, v.raw);
  return v.body.token as string;
}

before(async () => {
  dir = tempDir();
  svc = await createService({
    // Rendering on the test's own event loop (renderThreads 0) lags it; lag-based shedding
    // is tested in admission-queue.test.ts, so it is turned off here.
    options: {
      dataDir: dir.path, adminToken: ADMIN, testHooks: true, logLevel: 'silent', refreshIntervalMs: 3_600_000,
      renderThreads: 0, bodyLimitBytes: 8192, admission: { maxEventLoopDelayMs: 600_000 },
      // One puzzle per slide challenge: these tests check one answer at a time (the default
      // of two rounds is tested in slide-rounds.test.ts and by every `hurdle start` test).
      slideRounds: 1,
    },
    widget: false,
    // Like the mirror's refresh, the analytics batch (a timer, off the request path) is made
    // rare, so the query count below moves only if a request queries the DB.
    analyticsFlushIntervalMs: 3_600_000,
  });
});

after(async () => {
  await svc.close();
  dir.remove();
});

describe('public flow', () => {
  it('PoW: challenge -> verify -> siteverify once, idempotency key repeats the answer', async () => {
    const site = await createSite({ name: 'pow site', challengeTypes: ['pow'], difficulty: 4 });
    const c = await inject('POST', '/v1/challenge', { sitekey: site.sitekey, action: 'login', cdata: 'abc' });
    assert.equal(c.status, 200);
    assert.equal(c.body.type, 'pow');
    assert.equal((c.body.pow as { algorithm: string }).algorithm, 'sha256');
    // The longest action and cdata make the longest PoW id (it carries its signed claims).
    const longCdata = 'c'.repeat(255);
    const longToken = await passChallenge(site.sitekey, 'pow', { action: 'a'.repeat(32), cdata: longCdata });
    const long = await inject('POST', '/siteverify', { secret: site.secret, response: longToken });
    assert.equal(long.body.cdata, longCdata);
    const token = await passChallenge(site.sitekey, 'pow', { action: 'login', cdata: 'abc' });
    const first = await inject('POST', '/siteverify', { secret: site.secret, response: token, idempotency_key: 'k1' });
    assert.equal(first.status, 200);
    assert.equal(first.body.success, true, first.raw);
    assert.equal(first.body.action, 'login');
    assert.equal(first.body.cdata, 'abc');
    assert.deepEqual(first.body['error-codes'], []);
    assert.ok(!Number.isNaN(Date.parse(first.body.challenge_ts as string)));
    const again = await inject('POST', '/siteverify', { secret: site.secret, response: token, idempotency_key: 'k1' });
    assert.deepEqual(again.body, first.body);
    const replay = await inject('POST', '/siteverify', { secret: site.secret, response: token });
    assert.equal(replay.body.success, false);
    assert.deepEqual(replay.body['error-codes'], ['timeout-or-duplicate']);
  });

  it('slide: challenge with images -> verify with a human trajectory -> siteverify (form body)', async () => {
    const site = await createSite({ name: 'slide site', challengeTypes: ['slide'] });
    const c = await inject('POST', '/v1/challenge', { sitekey: site.sitekey });
    assert.equal(c.body.type, 'slide');
    const slide = c.body.slide as { background: string; piece: string; width: number };
    assert.match(slide.background, /^data:image\/(webp|jpeg);base64,/);
    assert.match(slide.piece, /^data:image\/png;base64,/);
    const token = await passChallenge(site.sitekey, 'slide');
    const form = `secret=${encodeURIComponent(site.secret)}&response=${encodeURIComponent(token)}&remoteip=127.0.0.1`;
    const r = await inject('POST', '/siteverify', form, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.body.success, true, r.raw);
  });

  it('a wrong slide answer fails with the one public code and ends the puzzle; a malformed one is a 400', async () => {
    const site = await createSite({ name: 'slide 2', challengeTypes: ['slide'] });
    const c = await inject('POST', '/v1/challenge', { sitekey: site.sitekey });
    const id = c.body.id as string;
    const { x } = (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).body as { x: number };
    const wrongX = x > 100 ? x - 60 : x + 60;
    const trace = humanTrace(wrongX);
    await lookAndDrag(trace);
    const v = await inject('POST', '/v1/verify', { id, answer: { x: wrongX }, trajectory: trace });
    assert.equal(v.status, 200);
    assert.equal(v.body.success, false);
    assert.equal(v.body.code, 'failed', 'which check failed is not told');
    assert.equal(v.body.retry, false, 'the next try is a new puzzle');
    const again = await inject('POST', '/v1/verify', { id, answer: { x }, trajectory: humanTrace(x) });
    assert.equal(again.body.code, 'not_found', again.raw);
    const metrics = (await inject('GET', '/metrics')).raw;
    assert.match(metrics, /hurdle_verify_total\{type="slide",result="fail",reason="wrong_answer"\} [1-9]/, 'the reason is in the metrics');
    const bad = await inject('POST', '/v1/verify', { id, answer: { x: 'left' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'bad_request');
  });

  it("slide solved with the keyboard: input 'keyboard' selects the keyboard trace rules", async () => {
    const site = await createSite({ name: 'keyboard', challengeTypes: ['slide'] });
    const issue = async (): Promise<{ id: string; x: number }> => {
      const c = await inject('POST', '/v1/challenge', { sitekey: site.sitekey });
      const id = c.body.id as string;
      const { x } = (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).body as { x: number };
      return { id, x };
    };
    // Pointer rules (the default) refuse a key-press trace: no jitter, no acceleration.
    let a = await issue();
    await lookAndDrag(keyboardTrace(a.x));
    const asPointer = await inject('POST', '/v1/verify', { id: a.id, answer: { x: Math.round(a.x) }, trajectory: keyboardTrace(a.x) });
    assert.equal(asPointer.body.success, false, asPointer.raw);
    assert.equal(asPointer.body.code, 'failed');
    a = await issue();
    await lookAndDrag(keyboardTrace(a.x));
    const keyboard = await inject('POST', '/v1/verify', { id: a.id, answer: { x: Math.round(a.x) }, trajectory: keyboardTrace(a.x), input: 'keyboard', keyboardProof: keyProof(a.id) });
    assert.equal(keyboard.body.success, true, keyboard.raw);
    const r = await inject('POST', '/siteverify', { secret: site.secret, response: keyboard.body.token });
    assert.equal(r.body.success, true, r.raw);
    // ...and keyboard rules refuse a drag sent as keyboard; 'pointer' is the explicit default.
    let b = await issue();
    const dragAsKeys = await inject('POST', '/v1/verify', { id: b.id, answer: { x: b.x }, trajectory: humanTrace(b.x), input: 'keyboard', keyboardProof: keyProof(b.id) });
    assert.equal(dragAsKeys.body.code, 'failed', dragAsKeys.raw);
    b = await issue();
    const dragTrace = humanTrace(b.x);
    await lookAndDrag(dragTrace);
    const drag = await inject('POST', '/v1/verify', { id: b.id, answer: { x: b.x }, trajectory: dragTrace, input: 'pointer' });
    assert.equal(drag.body.success, true, drag.raw);
    // Only the two documented values.
    for (const input of ['mouse', '', 1, null]) {
      const bad = await inject('POST', '/v1/verify', { id: b.id, answer: { x: b.x }, trajectory: humanTrace(b.x), input });
      assert.equal(bad.status, 400, `${JSON.stringify(input)}: ${bad.raw}`);
      assert.equal(bad.body.code, 'bad_request');
    }
    const doc = await inject('GET', '/docs/json');
    const schema = (doc.body as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> } } }> })
      .paths['/v1/verify']?.post.requestBody.content['application/json']?.schema;
    assert.deepEqual(schema?.properties['input']?.enum, ['pointer', 'keyboard']);
  });

  it('a site can turn keyboard solving off (keyboardSolve: false) and on again', async () => {
    const created = await inject('POST', '/admin/api/sites', { name: 'no keys', challengeTypes: ['slide', 'pow'], keyboardSolve: false }, auth);
    assert.equal(created.status, 201, created.raw);
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    assert.equal((created.body.site as { keyboardSolve: boolean }).keyboardSolve, false);
    const got = await inject('GET', `/admin/api/sites/${sitekey}`, undefined, auth);
    assert.equal((got.body.site as { keyboardSolve: boolean }).keyboardSolve, false);
    const issue = async (): Promise<{ id: string; x: number; slide: Record<string, unknown> }> => {
      const c = await inject('POST', '/v1/challenge', { sitekey, type: 'slide' });
      assert.equal(c.status, 200, c.raw);
      const id = c.body.id as string;
      const { x } = (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).body as { x: number };
      return { id, x, slide: c.body.slide as Record<string, unknown> };
    };
    const off = await issue();
    assert.equal(off.slide['keyboard'], false, 'the widget is told to offer no arrow keys');
    const keys = keyboardTrace(off.x);
    await lookAndDrag(keys);
    const refused = await inject('POST', '/v1/verify', { id: off.id, answer: { x: Math.round(off.x) }, trajectory: keys, input: 'keyboard', keyboardProof: keyProof(off.id) });
    assert.equal(refused.status, 200, refused.raw);
    assert.equal(refused.body.success, false, refused.raw);
    assert.equal(refused.body.code, 'failed', 'the same public code as every answer check');
    assert.equal(refused.body.retry, false);
    const again = await inject('POST', '/v1/verify', { id: off.id, answer: { x: off.x }, trajectory: humanTrace(off.x) });
    assert.equal(again.body.code, 'not_found', 'the puzzle is burnt');
    // A drag still passes on that site, and its PoW path stays open.
    const dragOn = await issue();
    const drag = humanTrace(dragOn.x);
    await lookAndDrag(drag);
    const dragged = await inject('POST', '/v1/verify', { id: dragOn.id, answer: { x: dragOn.x }, trajectory: drag });
    assert.equal(dragged.body.success, true, dragged.raw);
    await passChallenge(sitekey, 'pow');

    const patched = await inject('PATCH', `/admin/api/sites/${sitekey}`, { keyboardSolve: true }, auth);
    assert.equal(patched.status, 200, patched.raw);
    assert.equal((patched.body.site as { keyboardSolve: boolean }).keyboardSolve, true);
    const on = await issue();
    assert.equal('keyboard' in on.slide, false, 'no keyboard field while the keys are on');
    const keys2 = keyboardTrace(on.x);
    await lookAndDrag(keys2);
    const passed = await inject('POST', '/v1/verify', { id: on.id, answer: { x: Math.round(on.x) }, trajectory: keys2, input: 'keyboard', keyboardProof: keyProof(on.id) });
    assert.equal(passed.body.success, true, passed.raw);
    // New sites keep the keys by default.
    const plain = await inject('POST', '/admin/api/sites', { name: 'default keys' }, auth);
    assert.equal((plain.body.site as { keyboardSolve: boolean }).keyboardSolve, true);
  });

  it('a site with challengeTypes [slide] refuses the puzzle-free PoW path', async () => {
    const site = await createSite({ name: 'slide only', challengeTypes: ['slide'] });
    const pow = await inject('POST', '/v1/challenge', { sitekey: site.sitekey, type: 'pow' });
    assert.equal(pow.status, 400, pow.raw);
    assert.equal(pow.body.code, 'unsupported_type');
    const slide = await inject('POST', '/v1/challenge', { sitekey: site.sitekey });
    assert.equal(slide.status, 200, slide.raw);
    assert.equal(slide.body.type, 'slide');
    // ...and tells the widget so, which then offers no "verify without the puzzle".
    assert.equal((slide.body.slide as { powPath?: boolean }).powPath, false);
    const both = await createSite({ name: 'slide and pow', challengeTypes: ['slide', 'pow'] });
    const withPow = await inject('POST', '/v1/challenge', { sitekey: both.sitekey, type: 'slide' });
    assert.equal((withPow.body.slide as { powPath?: boolean }).powPath, undefined);
  });

  it('test sitekeys and secrets behave as documented', async () => {
    const pass = await inject('POST', '/v1/challenge', { sitekey: TEST_KEYS.sitekeyAlwaysPass, type: 'pow' });
    assert.equal(pass.status, 200, pass.raw);
    const vp = await inject('POST', '/v1/verify', { id: pass.body.id, answer: { nonce: '0' } });
    assert.equal(vp.body.success, true);
    const fail = await inject('POST', '/v1/challenge', { sitekey: TEST_KEYS.sitekeyAlwaysFail, type: 'pow' });
    const vf = await inject('POST', '/v1/verify', { id: fail.body.id, answer: { nonce: '0' } });
    assert.equal(vf.body.success, false);
    assert.equal(vf.body.retry, false);
    for (const [secret, success, codes] of [
      [TEST_KEYS.secretAlwaysPass, true, []],
      [TEST_KEYS.secretAlwaysFail, false, ['invalid-input-response']],
      [TEST_KEYS.secretAlwaysSpent, false, ['timeout-or-duplicate']],
    ] as const) {
      const r = await inject('POST', '/siteverify', { secret, response: 'anything' });
      assert.equal(r.body.success, success);
      assert.deepEqual(r.body['error-codes'], codes);
    }
  });
});

describe('siteverify errors', () => {
  it('uses the reCAPTCHA/Turnstile error codes', async () => {
    const site = await createSite({ name: 'sv', challengeTypes: ['pow'], difficulty: 2 });
    const other = await createSite({ name: 'sv other', challengeTypes: ['pow'], difficulty: 2 });
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['missing-input-secret', 'missing-input-response']],
      [{ secret: site.secret }, ['missing-input-response']],
      [{ response: 'x' }, ['missing-input-secret']],
      [{ secret: 'hs_nope', response: 'x' }, ['invalid-input-secret']],
      [{ secret: site.secret, response: 'garbage' }, ['invalid-input-response']],
      [{ secret: site.secret, response: 'x', sitekey: other.sitekey }, ['sitekey-secret-mismatch']],
    ];
    for (const [body, codes] of cases) {
      const r = await inject('POST', '/siteverify', body);
      assert.equal(r.status, 200, JSON.stringify(body));
      assert.equal(r.body.success, false);
      assert.deepEqual(r.body['error-codes'], codes, JSON.stringify(body));
    }
    const token = await passChallenge(site.sitekey, 'pow');
    const wrongSite = await inject('POST', '/siteverify', { secret: other.secret, response: token });
    assert.deepEqual(wrongSite.body['error-codes'], ['invalid-input-response']);
    const ok = await inject('POST', '/siteverify', { secret: site.secret, response: token });
    assert.equal(ok.body.success, true, 'a token refused for another site is still good for its own');
  });

  it('bad input on siteverify is a 400 with bad-request in the siteverify shape', async () => {
    // Unknown fields are ignored (siteverify-compat.test.ts); a known field of the wrong type is not.
    const r = await inject('POST', '/siteverify', { secret: 5, response: 'b' });
    assert.equal(r.status, 400);
    assert.equal(r.body.success, false);
    assert.deepEqual(r.body['error-codes'], ['bad-request']);
    assert.equal(typeof r.body.code, 'string');
    const dup = await inject('POST', '/siteverify', 'secret=a&secret=b&response=c', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(dup.status, 400);
    const big = await inject('POST', '/siteverify', { secret: 'a', response: 'x'.repeat(20000) });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body['error-codes'], ['bad-request']);
  });
});

describe('siteverify internal errors', () => {
  it('an unexpected error is a 500 internal-error (counted), not a caller mistake', async () => {
    const sites = svc.sites as unknown as { siteForSecret: (secret: string) => unknown };
    const original = sites.siteForSecret;
    sites.siteForSecret = () => {
      throw new TypeError('simulated bug');
    };
    let r: Awaited<ReturnType<typeof inject>>;
    try {
      r = await inject('POST', '/siteverify', { secret: 'hs_whatever', response: 'x' });
    } finally {
      sites.siteForSecret = original;
    }
    assert.equal(r.status, 500, r.raw);
    assert.equal(r.body.success, false);
    assert.deepEqual(r.body['error-codes'], ['internal-error']);
    assert.equal(r.body.code, 'internal_error');
    assert.doesNotMatch(r.raw, /simulated bug/, 'the internal message is not sent to the caller');
    const metrics = (await inject('GET', '/metrics')).raw;
    assert.match(metrics, /hurdle_siteverify_total\{result="error",reason="internal"\} 1/);
    // A caller's mistake is still a 400 bad-request.
    const bad = await inject('POST', '/siteverify', { secret: 5, response: 'b' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body['error-codes'], ['bad-request']);
  });
});

describe('admin API', () => {
  it('needs the bearer token', async () => {
    assert.equal((await inject('GET', '/admin/api/sites')).status, 401);
    assert.equal((await inject('GET', '/admin/api/sites', undefined, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await inject('GET', '/admin/api/sites', undefined, auth)).status, 200);
  });

  it('creates, updates, rotates and disables sites; the mirror follows', async () => {
    const site = await createSite({ name: 'managed', challengeTypes: ['pow'], difficulty: 3, hostnames: ['example.com'] });
    const got = await inject('GET', `/admin/api/sites/${site.sitekey}`, undefined, auth);
    assert.equal((got.body.site as { name: string }).name, 'managed');
    assert.equal((got.body.site as Record<string, unknown>).secretHash, undefined, 'no secret hash leaves the server');
    const list = await inject('GET', '/admin/api/sites', undefined, auth);
    assert.ok((list.body.sites as { sitekey: string }[]).some((s) => s.sitekey === site.sitekey));

    // Hostname restriction from Origin.
    const wrongHost = await inject('POST', '/v1/challenge', { sitekey: site.sitekey }, { origin: 'https://evil.test' });
    assert.equal(wrongHost.status, 403);
    assert.equal(wrongHost.body.code, 'hostname_not_allowed');
    const rightHost = await inject('POST', '/v1/challenge', { sitekey: site.sitekey }, { origin: 'https://example.com' });
    assert.equal(rightHost.status, 200);

    const patched = await inject('PATCH', `/admin/api/sites/${site.sitekey}`, { hostnames: [], difficulty: 5 }, auth);
    assert.equal(patched.status, 200, patched.raw);
    assert.equal((patched.body.site as { difficulty: number }).difficulty, 5);
    const c = await inject('POST', '/v1/challenge', { sitekey: site.sitekey }, { origin: 'https://anything.test' });
    assert.equal((c.body.pow as { difficulty: number }).difficulty, 5);

    const token = await passChallenge(site.sitekey, 'pow');
    const rotated = await inject('POST', `/admin/api/sites/${site.sitekey}/rotate-secret`, {}, auth);
    assert.equal(rotated.status, 200, rotated.raw);
    const newSecret = rotated.body.secret as string;
    assert.notEqual(newSecret, site.secret);
    const old = await inject('POST', '/siteverify', { secret: site.secret, response: token });
    assert.deepEqual(old.body['error-codes'], ['invalid-input-secret']);
    const fresh = await inject('POST', '/siteverify', { secret: newSecret, response: token });
    assert.equal(fresh.body.success, true);

    const graceful = await inject('POST', `/admin/api/sites/${site.sitekey}/rotate-secret`, { graceMs: 60_000 }, auth);
    const token2 = await passChallenge(site.sitekey, 'pow');
    const viaOld = await inject('POST', '/siteverify', { secret: newSecret, response: token2 });
    assert.equal(viaOld.body.success, true, 'previous secret valid during the grace period');
    assert.ok((graceful.body.site as { secretRotationEndsAt: number }).secretRotationEndsAt > Date.now());

    const disabled = await inject('POST', `/admin/api/sites/${site.sitekey}/disable`, '', { ...auth, 'content-type': 'application/json' });
    assert.equal((disabled.body.site as { enabled: boolean }).enabled, false);
    const refused = await inject('POST', '/v1/challenge', { sitekey: site.sitekey });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'site_disabled');
  });

  it('rejects bad site input and unknown sites with coded 4xx', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/admin/api/sites', { name: '' }, 400, 'bad_request'],
      ['POST', '/admin/api/sites', { name: 'x', difficulty: 99 }, 400, 'bad_request'],
      ['POST', '/admin/api/sites', { name: 'x', hostnames: ['not a host'] }, 400, 'invalid_site'],
      ['POST', '/admin/api/sites', { name: 'x', bogus: true }, 400, 'bad_request'],
      ['POST', '/admin/api/sites', { name: 'x', keyboardSolve: 'false' }, 400, 'bad_request'],
      ['PATCH', '/admin/api/sites/hk_missing', { keyboardSolve: 0 }, 400, 'bad_request'],
      ['PATCH', '/admin/api/sites/hk_missing', { name: 'y' }, 404, 'site_not_found'],
      ['PATCH', '/admin/api/sites/hk_missing', {}, 400, 'bad_request'],
      ['GET', '/admin/api/sites/hk_missing', undefined, 404, 'site_not_found'],
      ['POST', '/admin/api/sites/hk_missing/disable', undefined, 404, 'site_not_found'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const r = await inject(method as 'POST', url, body, auth);
      assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(body)}: ${r.raw}`);
      assert.equal(r.body.code, code, `${method} ${url}`);
      assert.equal(typeof r.body.message, 'string');
    }
  });

  it('serves live stats', async () => {
    const r = await inject('GET', '/admin/api/stats', undefined, auth);
    assert.equal(r.status, 200, r.raw);
    assert.equal(typeof r.body.requestsTotal, 'number');
    assert.ok(Array.isArray(r.body.workers));
    assert.ok((r.body.config as { sites: number }).sites >= 1);
  });
});

describe('bad input never 5xx', () => {
  it('maps every kind of bad request to a coded 4xx', async () => {
    const cases: [string, string, string | undefined, Record<string, string>, number, string][] = [
      ['POST', '/v1/challenge', '{"sitekey":', { 'content-type': 'application/json' }, 400, 'bad_json'],
      ['POST', '/v1/challenge', '', { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['POST', '/v1/challenge', '{"__proto__":{"x":1},"sitekey":"a"}', { 'content-type': 'application/json' }, 400, 'bad_json'],
      ['POST', '/v1/challenge', 'sitekey=x', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      ['POST', '/v1/challenge', JSON.stringify({ sitekey: 'x'.repeat(9000) }), { 'content-type': 'application/json' }, 413, 'body_too_large'],
      ['POST', '/v1/challenge', JSON.stringify({ sitekey: 5 }), { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['POST', '/v1/challenge', JSON.stringify({ sitekey: 'a', extra: 1 }), { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['POST', '/v1/challenge', JSON.stringify({ sitekey: 'hk_unknown' }), { 'content-type': 'application/json' }, 400, 'invalid_sitekey'],
      ['POST', '/v1/challenge', JSON.stringify({ sitekey: TEST_KEYS.sitekeyAlwaysPass, action: 'bad action!' }), { 'content-type': 'application/json' }, 400, 'bad_action'],
      ['POST', '/v1/challenge', JSON.stringify([1, 2]), { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['POST', '/v1/verify', JSON.stringify({ id: 'nope', answer: { nonce: '1' } }), { 'content-type': 'application/json' }, 400, 'bad_id'],
      ['POST', '/v1/verify', JSON.stringify({ id: 'a', answer: { x: 1, nonce: '2' } }), { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['POST', '/v1/verify', JSON.stringify({ id: 'a', answer: { x: 1 }, trajectory: Array.from({ length: 2001 }, () => [1, 2, 3]) }), { 'content-type': 'application/json' }, 413, 'body_too_large'],
      ['POST', '/v1/verify', JSON.stringify({ id: 'a', answer: { x: 1 }, trajectory: [[1, 2]] }), { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['GET', '/v1/challenge', undefined, {}, 404, 'not_found'],
      ['GET', '/nope', undefined, {}, 404, 'not_found'],
    ];
    for (const [method, url, payload, headers, status, code] of cases) {
      const r = await inject(method as 'POST', url, payload, headers);
      assert.equal(r.status, status, `${method} ${url} ${String(payload).slice(0, 60)}: ${r.raw.slice(0, 200)}`);
      assert.equal(r.body.code, code, `${method} ${url} ${String(payload).slice(0, 60)}: ${r.raw.slice(0, 200)}`);
    }
  });
});

describe('operations', () => {
  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    assert.equal((await inject('GET', '/healthz')).status, 200);
    const ready = await inject('GET', '/readyz');
    assert.equal(ready.status, 200);
    await inject('GET', '/no-such-route-xyz');
    const metrics = await inject('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.ok(!metrics.raw.includes('no-such-route-xyz'), 'unmatched URLs do not become metric labels');
    assert.match(metrics.raw, /hurdle_http_requests_total/);
    assert.match(metrics.raw, /hurdle_config_sites/);
    const doc = await inject('GET', '/docs/json');
    assert.equal(doc.status, 200);
    const paths = Object.keys((doc.body as { paths: Record<string, unknown> }).paths);
    for (const p of ['/v1/challenge', '/v1/verify', '/siteverify', '/admin/api/sites']) assert.ok(paths.includes(p), p);
  });

  it('answers requests from the mirror alone: no DB query per request', async () => {
    const site = await createSite({ name: 'no db', challengeTypes: ['pow'], difficulty: 2 });
    const before = svc.db.queryCount;
    for (let i = 0; i < 20; i++) {
      const token = await passChallenge(site.sitekey, 'pow');
      const r = await inject('POST', '/siteverify', { secret: site.secret, response: token });
      assert.equal(r.body.success, true);
    }
    assert.equal(svc.db.queryCount, before);
  });

  it('HMAC key rotation: the previous key still verifies, the one before is dropped', async () => {
    const site = await createSite({ name: 'keys', challengeTypes: ['pow'], difficulty: 2 });
    const redeem = async (token: string) => (await inject('POST', '/siteverify', { secret: site.secret, response: token, idempotency_key: 'rotation' })).body;
    const t0 = await passChallenge(site.sitekey, 'pow');
    assert.equal((await redeem(t0)).success, true);
    await rotateHmacKeys(svc.db);
    await svc.mirror.refresh();
    assert.equal((await redeem(t0)).success, true, 'a token of the previous key stays good');
    await rotateHmacKeys(svc.db);
    await svc.mirror.refresh();
    await pollUntil('the oldest key to be dropped by the engine', async () => {
      const r = await redeem(t0);
      return r.success === false && (r['error-codes'] as string[])[0] === 'invalid-input-response' ? true : undefined;
    }, 5000);
    const t1 = await passChallenge(site.sitekey, 'pow');
    assert.equal((await inject('POST', '/siteverify', { secret: site.secret, response: t1 })).body.success, true);
  });

  it('returns a request id and never logs secrets', async () => {
    const r = await inject('GET', '/healthz', undefined, { 'x-request-id': 'abc-123' });
    assert.equal(r.headers['x-request-id'], 'abc-123');
  });
});
