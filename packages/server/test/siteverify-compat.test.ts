// The vendor paths, encodings and error-code dialects of /siteverify, through app.inject().
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createService, TEST_KEYS } from '../src/index.js';
import type { Service } from '../src/index.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let svc: Service;
let dir: { path: string; remove: () => void };
let site: { sitekey: string; secret: string };

async function inject(method: 'GET' | 'POST', url: string, payload?: string | Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await svc.app.inject({ method, url, ...(payload === undefined ? {} : { payload }), headers });
  let json: Record<string, unknown> = {};
  try { json = res.json(); } catch { /* not JSON */ }
  return { status: res.statusCode, body: json, raw: res.body };
}

/** A pass token of `site`, by proof of work through the test hook. */
async function token(): Promise<string> {
  const c = await inject('POST', '/v1/challenge', { sitekey: site.sitekey, type: 'pow' });
  const id = c.body['id'] as string;
  const answer = (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).body;
  const v = await inject('POST', '/v1/verify', { id, answer: { nonce: answer['nonce'] } });
  assert.equal(v.body['success'], true, v.raw);
  return v.body['token'] as string;
}

function multipart(fields: Record<string, string>, boundary = '----hurdle-test-boundary'): { body: string; type: string } {
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { body: `${parts.join('')}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` };
}

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: { dataDir: dir.path, adminToken: ADMIN, testHooks: true, logLevel: 'silent', refreshIntervalMs: 3_600_000, renderThreads: 0, bodyLimitBytes: 8192, admission: { maxEventLoopDelayMs: 600_000 } },
    widget: false,
  });
  const r = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', payload: { name: 'compat', challengeTypes: ['pow'], difficulty: 2 }, headers: { authorization: `Bearer ${ADMIN}` } });
  const created = r.json() as { site: { sitekey: string }; secret: string };
  site = { sitekey: created.site.sitekey, secret: created.secret };
});

after(async () => {
  await svc.close();
  dir.remove();
});

describe('vendor paths', () => {
  for (const path of ['/siteverify', '/recaptcha/api/siteverify', '/turnstile/v0/siteverify', '/hcaptcha/siteverify']) {
    it(`${path}: a real token passes once, in form, JSON and multipart`, async () => {
      const form = await inject('POST', path, new URLSearchParams({ secret: site.secret, response: await token() }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(form.body['success'], true, form.raw);
      const json = await inject('POST', path, { secret: site.secret, response: await token() });
      assert.equal(json.body['success'], true, json.raw);
      const t = await token();
      const mp = multipart({ secret: site.secret, response: t });
      const first = await inject('POST', path, mp.body, { 'content-type': mp.type });
      assert.equal(first.status, 200, first.raw);
      assert.equal(first.body['success'], true, first.raw);
      const again = await inject('POST', path, mp.body, { 'content-type': mp.type });
      assert.equal(again.body['success'], false);
      const expected = path.startsWith('/hcaptcha') ? 'invalid-or-already-seen-response' : 'timeout-or-duplicate';
      assert.deepEqual(again.body['error-codes'], [expected]);
    });
  }

  it('unknown fields are ignored on every siteverify path; wrong types still refused', async () => {
    const r = await inject('POST', '/turnstile/v0/siteverify', { secret: site.secret, response: await token(), ip: '1.2.3.4', siteKey: 'x', headers: { a: 1 } });
    assert.equal(r.body['success'], true, r.raw);
    const bad = await inject('POST', '/recaptcha/api/siteverify', { secret: ['a'], response: 'b' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body['error-codes'], ['bad-request']);
  });

  it('reCAPTCHA path: GET with a query string, and POST with the fields in the query', async () => {
    const get = await inject('GET', `/recaptcha/api/siteverify?${new URLSearchParams({ secret: site.secret, response: await token(), remoteip: '127.0.0.1' }).toString()}`);
    assert.equal(get.body['success'], true, get.raw);
    const post = await inject('POST', `/recaptcha/api/siteverify?${new URLSearchParams({ secret: site.secret, response: await token() }).toString()}`);
    assert.equal(post.body['success'], true, post.raw);
    const long = await inject('GET', `/recaptcha/api/siteverify?secret=${'s'.repeat(300)}&response=x`);
    assert.equal(long.status, 400);
    const missing = await inject('GET', '/recaptcha/api/siteverify');
    assert.deepEqual(missing.body['error-codes'], ['missing-input-secret', 'missing-input-response']);
    // Other vendors never took GET: no such route.
    assert.equal((await inject('GET', '/turnstile/v0/siteverify?secret=a&response=b')).status, 404);
  });

  it('/siteverify speaks hCaptcha when reached under an hCaptcha host name', async () => {
    const t = await token();
    await inject('POST', '/siteverify', { secret: site.secret, response: t });
    const again = await inject('POST', '/siteverify', { secret: site.secret, response: t }, { host: 'api.hcaptcha.com' });
    assert.deepEqual(again.body['error-codes'], ['invalid-or-already-seen-response']);
    const plain = await inject('POST', '/siteverify', { secret: site.secret, response: t });
    assert.deepEqual(plain.body['error-codes'], ['timeout-or-duplicate']);
  });

  it('multipart stays refused on other routes, and a malformed multipart body is a 400', async () => {
    const mp = multipart({ sitekey: site.sitekey });
    assert.equal((await inject('POST', '/v1/challenge', mp.body, { 'content-type': mp.type })).status, 415);
    assert.equal((await inject('POST', '/siteverify', 'secret=a', { 'content-type': 'multipart/form-data' })).status, 400);
    assert.equal((await inject('POST', '/siteverify', '--b\r\nno headers end', { 'content-type': 'multipart/form-data; boundary=b' })).status, 400);
    const file = `--b\r\nContent-Disposition: form-data; name="secret"; filename="s.txt"\r\n\r\n${site.secret}\r\n--b--\r\n`;
    const r = await inject('POST', '/siteverify', file, { 'content-type': 'multipart/form-data; boundary=b' });
    assert.deepEqual(r.body['error-codes'], ['missing-input-secret', 'missing-input-response'], 'a file part is not a field');
  });
});

describe('Friendly Captcha v2 path', () => {
  const path = '/api/v2/captcha/siteverify';
  it('a real token passes with X-API-Key and JSON {response, sitekey}, in its answer shape', async () => {
    const r = await inject('POST', path, { response: await token(), sitekey: site.sitekey }, { 'x-api-key': site.secret });
    assert.equal(r.status, 200);
    assert.equal(r.body['success'], true, r.raw);
    const data = r.body['data'] as { event_id: string; challenge: { timestamp: string } };
    assert.ok(!Number.isNaN(Date.parse(data.challenge.timestamp)));
  });

  it('every failure is HTTP 200 with success false (its SDK accepts on a 4xx/5xx)', async () => {
    const cases: [Record<string, string> | string, Record<string, string>, string][] = [
      [{ response: 'garbage' }, { 'x-api-key': site.secret }, 'response_invalid'],
      [{ response: 'garbage' }, {}, 'auth_required'],
      [{ response: 'garbage' }, { 'x-api-key': 'hs_nope' }, 'auth_invalid'],
      [{}, { 'x-api-key': site.secret }, 'response_missing'],
      [{ response: 'garbage', sitekey: 'hk_other' }, { 'x-api-key': site.secret }, 'sitekey_invalid'],
      ['{not json', { 'x-api-key': site.secret, 'content-type': 'application/json' }, 'bad_request'],
      ['response=x', { 'x-api-key': site.secret, 'content-type': 'text/plain' }, 'bad_request'],
      [JSON.stringify({ response: 'x'.repeat(9000) }), { 'x-api-key': site.secret, 'content-type': 'application/json' }, 'bad_request'],
    ];
    for (const [body, headers, code] of cases) {
      const r = await inject('POST', path, body, headers);
      assert.equal(r.status, 200, `${code}: ${r.raw}`);
      assert.equal(r.body['success'], false, r.raw);
      assert.equal((r.body['error'] as { error_code: string }).error_code, code, r.raw);
    }
    const t = await token();
    await inject('POST', path, { response: t }, { 'x-api-key': site.secret });
    const replay = await inject('POST', path, { response: t }, { 'x-api-key': site.secret });
    assert.equal((replay.body['error'] as { error_code: string }).error_code, 'response_duplicate');
    const test = await inject('POST', path, { response: 'x' }, { 'x-api-key': TEST_KEYS.secretAlwaysFail });
    assert.equal(test.body['success'], false);
  });
});
