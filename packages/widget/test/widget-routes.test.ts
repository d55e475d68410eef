// The Fastify plugin through app.inject(): assets, pages, CSP, and the demo back end
// against a real local HTTP /siteverify endpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { widgetRoutes, type WidgetRoutesOptions } from '../src/index.js';

const DEMO = { sitekey: 'hk_demo_key', secret: 'hs_demo_secret_never_in_html' };

async function appWith(options: WidgetRoutesOptions): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(widgetRoutes, options);
  await app.ready();
  return app;
}

function assertNoInlineCode(html: string): void {
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(html, /<style/i, 'no inline <style>');
  assert.doesNotMatch(html, /\sstyle=/i, 'no style attributes');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
}

describe('widgetRoutes', () => {
  const apps: FastifyInstance[] = [];
  after(async () => { await Promise.all(apps.map((a) => a.close())); });

  test('serves hurdle.js with CORS, an ETag, 304 and gzip', async () => {
    const app = await appWith({});
    apps.push(app);
    const plain = await app.inject({ url: '/widget/hurdle.js' });
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    assert.equal(plain.headers['access-control-allow-origin'], '*');
    assert.ok(plain.body.includes('hurdle-captcha'));
    const etag = String(plain.headers.etag);
    const cached = await app.inject({ url: '/widget/hurdle.js', headers: { 'if-none-match': etag } });
    assert.equal(cached.statusCode, 304);
    const gz = await app.inject({ url: '/widget/hurdle.js', headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.rawPayload).toString(), plain.body);
    const worker = await app.inject({ url: '/widget/hurdle-pow-worker.js' });
    assert.equal(worker.statusCode, 200);
  });

  test('a missing bundle answers 404 with a code, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hurdle-widget-empty-'));
    try {
      const app = await appWith({ assetsDir: dir });
      const res = await app.inject({ url: '/widget/hurdle.js' });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().code, 'WIDGET_ASSET_MISSING');
      await app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('/demo renders the widget with a strict CSP, escapes and never leaks the secret', async () => {
    const app = await appWith({ demo: () => DEMO });
    apps.push(app);
    const res = await app.inject({ url: '/demo?theme=dark&lang=zh-CN&sitekey=%22%3E%3Cx&size=invisible' });
    assert.equal(res.statusCode, 200);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.ok(res.body.includes(`data-sitekey="${DEMO.sitekey}"`), 'a malformed sitekey override is ignored');
    assert.ok(res.body.includes('data-theme="dark"') && res.body.includes('data-lang="zh-CN"') && res.body.includes('data-size="invisible"'));
    assert.ok(!res.body.includes(DEMO.secret));
    assertNoInlineCode(res.body);
    const bad = await app.inject({ url: '/demo?theme=%3Cscript%3E' });
    assert.ok(bad.body.includes('data-theme="auto"'));
  });

  test('serves each locale as JSON with CORS, a day of caching, an ETag and gzip; unknown names answer 404 with a code', async () => {
    const app = await appWith({});
    apps.push(app);
    const res = await app.inject({ url: '/widget/locales/de.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['cache-control'], 'public, max-age=86400');
    assert.equal(res.json().verify, 'Ich bin ein Mensch');
    const cached = await app.inject({ url: '/widget/locales/de.json', headers: { 'if-none-match': String(res.headers.etag) } });
    assert.equal(cached.statusCode, 304);
    const gz = await app.inject({ url: '/widget/locales/ar.json', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(JSON.parse(gunzipSync(gz.rawPayload).toString()).verify, /إنسان/);
    for (const url of ['/widget/locales/xx.json', '/widget/locales/de.js', '/widget/locales/..%2Fhurdle.js', '/widget/locales/DE.json']) {
      const miss = await app.inject({ url });
      assert.equal(miss.statusCode, 404, url);
      assert.equal(miss.json().code, 'WIDGET_LOCALE_UNKNOWN', url);
    }
  });

  test('/demo passes any shipped language, the sizes, execution and badge to the widget; anything else falls back', async () => {
    const app = await appWith({ demo: () => DEMO });
    apps.push(app);
    const ar = await app.inject({ url: '/demo?lang=ar&size=flexible' });
    assert.ok(ar.body.includes('data-lang="ar"') && ar.body.includes('data-size="flexible"'));
    const inv = await app.inject({ url: '/demo?size=invisible&execution=submit&badge=bottomright' });
    assert.ok(inv.body.includes('data-size="invisible"') && inv.body.includes('data-execution="submit"') && inv.body.includes('data-badge="bottomright"'));
    const compact = await app.inject({ url: '/demo?size=compact' });
    assert.ok(compact.body.includes('data-size="compact"'));
    const bad = await app.inject({ url: '/demo?lang=%22%3E&size=huge&execution=now&badge=top' });
    assert.ok(bad.body.includes('data-lang="auto"'));
    assert.doesNotMatch(bad.body, /data-size=|data-execution=|data-badge=/);
    assertNoInlineCode(ar.body);
  });

  test('/demo answers 503 while the demo site is not there yet; demo: false does not mount it', async () => {
    const pending = await appWith({ demo: () => undefined });
    apps.push(pending);
    assert.equal((await pending.inject({ url: '/demo' })).statusCode, 503);
    const none = await appWith({ demo: false });
    apps.push(none);
    assert.equal((await none.inject({ url: '/demo' })).statusCode, 404);
  });

  test('POST /demo/signup verifies the token through /siteverify over HTTP', async () => {
    const calls: Record<string, unknown>[] = [];
    const verifier = Fastify();
    verifier.post('/siteverify', async (req) => {
      const body = req.body as Record<string, unknown>;
      calls.push(body);
      return body['response'] === 'good-token'
        ? { success: true, challenge_ts: '2026-01-01T00:00:00.000Z', hostname: 'localhost', action: 'signup', cdata: '', 'error-codes': [] }
        : { success: false, 'error-codes': ['invalid-input-response'] };
    });
    const address = await verifier.listen({ port: 0, host: '127.0.0.1' });
    try {
      const app = await appWith({ demo: DEMO, siteverifyUrl: `${address}/siteverify` });
      apps.push(app);
      const form = (token: string): string => new URLSearchParams({ name: '<Ada>', email: 'a@b.c', 'hurdle-response': token }).toString();
      const ok = await app.inject({ method: 'POST', url: '/demo/signup', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form('good-token') });
      assert.equal(ok.statusCode, 200);
      assert.ok(ok.body.includes('Welcome, &lt;Ada&gt;!'));
      assertNoInlineCode(ok.body);
      assert.deepEqual(calls[0], { secret: DEMO.secret, response: 'good-token', remoteip: '127.0.0.1', sitekey: DEMO.sitekey });
      const bad = await app.inject({ method: 'POST', url: '/demo/signup', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form('bad-token') });
      assert.equal(bad.statusCode, 400);
      assert.ok(bad.body.includes('invalid-input-response'));
      const missing = await app.inject({ method: 'POST', url: '/demo/signup', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x' });
      assert.equal(missing.statusCode, 400);
      assert.ok(missing.body.includes('missing-input-response'));
      assert.equal(calls.length, 2);
    } finally {
      await verifier.close();
    }
  });

  test('an unreachable /siteverify shows a failure page, not a 5xx', async () => {
    const app = await appWith({ demo: DEMO, siteverifyUrl: 'http://127.0.0.1:9/siteverify', siteverifyTimeoutMs: 2000 });
    apps.push(app);
    const res = await app.inject({ method: 'POST', url: '/demo/signup', payload: { name: 'x', 'hurdle-response': 't' } });
    assert.equal(res.statusCode, 400);
    assert.ok(res.body.includes('siteverify-unreachable'));
  });

  test('/admin serves the console shell with a strict CSP; admin: false leaves it out', async () => {
    const app = await appWith({});
    apps.push(app);
    const res = await app.inject({ url: '/admin' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.ok(res.body.includes('/admin/admin.js'));
    assertNoInlineCode(res.body);
    assert.equal((await app.inject({ url: '/admin/admin.js' })).statusCode, 200);
    const off = await appWith({ admin: false });
    apps.push(off);
    assert.equal((await off.inject({ url: '/admin' })).statusCode, 404);
  });

  test('bad options fail at registration, naming the option', async () => {
    await assert.rejects(appWith({ siteverifyTimeoutMs: -1 }), /siteverifyTimeoutMs/);
    await assert.rejects(appWith({ siteverifyUrl: 'not a url' }), /URL/i);
  });
});
