// Pages written for the Turnstile, hCaptcha and reCAPTCHA v2 client APIs, exactly as each
// vendor documents them, with only the script URL changed to Hurdle's, in real Chromium
// against a real `hurdle start`. The page lives on its own origin (a small site server
// that records the forms posted to it); the token the page gets must arrive in the form
// field the vendor names and pass at the vendor's siteverify path on Hurdle.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN_TOKEN, browserTestsMissingMessage, browserTestsRequired, browserTestsUnavailable, humanDrag, launchChromium, nextChallenge, solveEveryRound,
  startHurdle, watchPage, type HurdleProcess,
} from './browser-harness.js';

const unavailable = browserTestsUnavailable();
if (unavailable !== undefined && browserTestsRequired()) {
  test('Chromium vendor-compatibility tests can run (required in CI)', () => {
    assert.fail(browserTestsMissingMessage(unavailable));
  });
}

/** Token lifetime of the server under test: short, so `expired-callback` can be seen. */
const TOKEN_TTL_MS = 12_000;

/**
 * The pages, as the vendors' docs write them. `{{HURDLE}}` is Hurdle's origin (the only
 * change: the vendor's script host), `{{SITEKEY}}` the site's key.
 */
const PAGES: Record<string, string> = {
  // https://developers.cloudflare.com/turnstile/get-started/client-side-rendering/ (implicit)
  '/turnstile-implicit': `<!doctype html><html><head><title>Turnstile implicit</title>
<script src="{{HURDLE}}/widget/turnstile/v0/api.js" async defer></script>
</head><body>
<form action="/submit" method="POST">
  <input type="text" name="email" value="ada@example.com">
  <div class="cf-turnstile" data-sitekey="{{SITEKEY}}" data-callback="javascriptCallback" data-theme="light"></div>
  <button type="submit" id="send">Sign up</button>
</form>
<script>window.tokens = []; function javascriptCallback(token) { window.tokens.push(token); }</script>
</body></html>`,

  // Turnstile explicit rendering: ?onload=…&render=explicit, turnstile.render('#id', {…}).
  '/turnstile-explicit': `<!doctype html><html><head><title>Turnstile explicit</title>
<script src="{{HURDLE}}/widget/turnstile/v0/api.js?onload=onloadTurnstileCallback&render=explicit" defer></script>
</head><body>
<form action="/submit" method="POST">
  <div id="example-container"></div>
  <div class="cf-turnstile" id="not-rendered" data-sitekey="{{SITEKEY}}"></div>
  <button type="submit" id="send">Send</button>
</form>
<script>
window.events = [];
window.onloadTurnstileCallback = function () {
  window.widgetId = turnstile.render('#example-container', {
    sitekey: '{{SITEKEY}}',
    callback: function (token) { window.events.push('success:' + token); },
    'expired-callback': function () { window.events.push('expired'); },
    'error-callback': function (code) { window.events.push('error:' + code); },
  });
};
</script>
</body></html>`,

  // https://docs.hcaptcha.com/ (implicit): .h-captcha with data-callback.
  '/hcaptcha-implicit': `<!doctype html><html><head><title>hCaptcha implicit</title>
<script src="{{HURDLE}}/widget/hcaptcha/1/api.js" async defer></script>
</head><body>
<form action="/submit" method="POST">
  <input type="text" name="email" placeholder="Email" value="ada@example.com" />
  <div class="h-captcha" data-sitekey="{{SITEKEY}}" data-callback="onHcaptchaSuccess"></div>
  <input type="submit" value="Submit" id="send" />
</form>
<script>window.tokens = []; function onHcaptchaSuccess(token) { window.tokens.push(token); }</script>
</body></html>`,

  // hCaptcha explicit + invisible: hcaptcha.render('captcha-1', …), hcaptcha.execute(id, { async: true }).
  '/hcaptcha-explicit': `<!doctype html><html><head><title>hCaptcha explicit</title>
<script src="{{HURDLE}}/widget/hcaptcha/1/api.js?onload=yourFunction&render=explicit" async defer></script>
</head><body>
<form action="/submit" method="POST" id="form">
  <div id="captcha-1"></div>
  <button type="submit" id="send">Send</button>
</form>
<script>
var widgetID;
window.yourFunction = function () {
  widgetID = hcaptcha.render('captcha-1', { sitekey: '{{SITEKEY}}', size: 'invisible' });
  window.loaded = true;
};
window.runExecute = function () {
  return hcaptcha.execute(widgetID, { async: true }).then(function (result) {
    return { response: result.response, key: typeof result.key, getResponse: hcaptcha.getResponse(widgetID) };
  });
};
</script>
</body></html>`,

  // https://developers.google.com/recaptcha/docs/display (automatic rendering).
  '/recaptcha-implicit': `<!doctype html><html><head><title>reCAPTCHA demo: Simple page</title>
<script src="{{HURDLE}}/widget/recaptcha/api.js" async defer></script>
</head><body>
<form action="/submit" method="POST">
  <div class="g-recaptcha" data-sitekey="{{SITEKEY}}" data-callback="onSubmitOk" data-expired-callback="onExpired"></div>
  <br/>
  <input type="submit" value="Submit" id="send">
</form>
<script>window.events = []; function onSubmitOk(token) { window.events.push('success:' + token); } function onExpired() { window.events.push('expired'); }</script>
</body></html>`,

  // https://developers.google.com/recaptcha/docs/display#explicit_render
  '/recaptcha-explicit': `<!doctype html><html><head><title>reCAPTCHA demo: Explicit render</title>
<script type="text/javascript">
  var verifyCallback = function (response) { window.events.push('success:' + response); };
  window.events = [];
  var onloadCallback = function () {
    window.widgetId1 = grecaptcha.render('html_element', {
      'sitekey' : '{{SITEKEY}}',
      'callback' : verifyCallback,
      'theme' : 'dark'
    });
  };
</script>
</head><body>
<form action="/submit" method="POST">
  <div id="html_element"></div>
  <br>
  <input type="submit" value="Submit" id="send">
</form>
<script src="{{HURDLE}}/widget/recaptcha/api.js?onload=onloadCallback&render=explicit" async defer></script>
</body></html>`,

  // https://developers.google.com/recaptcha/docs/invisible (automatically bind the challenge to a button).
  '/recaptcha-button': `<!doctype html><html><head><title>reCAPTCHA demo: Simple page</title>
<script src="{{HURDLE}}/widget/recaptcha/api.js" async defer></script>
<script>
  function onSubmit(token) {
    document.getElementById("demo-form").submit();
  }
</script>
</head><body>
<form id="demo-form" action="/submit" method="POST">
  <button class="g-recaptcha" data-sitekey="{{SITEKEY}}" data-callback='onSubmit'>Submit</button>
  <br/>
</form>
</body></html>`,

  // https://docs.hcaptcha.com/invisible (bind to a button).
  '/hcaptcha-button': `<!doctype html><html><head><title>hCaptcha invisible</title>
<script src="{{HURDLE}}/widget/hcaptcha/1/api.js" async defer></script>
<script>
  function onSubmit(token) {
    document.getElementById('demo-form').submit();
  }
</script>
</head><body>
<form id="demo-form" action="/submit" method="POST">
  <button class="h-captcha" data-sitekey="{{SITEKEY}}" data-callback="onSubmit">Submit</button>
</form>
</body></html>`,

  // https://developers.google.com/recaptcha/docs/v3 (programmatic execute), action bound into the token.
  '/recaptcha-v3': `<!doctype html><html><head><title>reCAPTCHA v3</title>
<script src="{{HURDLE}}/widget/recaptcha/api.js?render={{SITEKEY}}"></script>
</head><body>
<script>
  window.getToken = function () {
    return new Promise(function (resolve) {
      grecaptcha.ready(function () {
        grecaptcha.execute('{{SITEKEY}}', { action: 'submit' }).then(resolve);
      });
    });
  };
</script>
</body></html>`,

  // https://cloud.google.com/recaptcha/docs/instrument-web-pages (score-based key, enterprise.js).
  '/recaptcha-enterprise': `<!doctype html><html><head><title>reCAPTCHA Enterprise</title>
<script src="{{HURDLE}}/widget/recaptcha/enterprise.js?render={{SITEKEY}}"></script>
</head><body>
<script>
  window.getToken = function () {
    return new Promise(function (resolve) {
      grecaptcha.enterprise.ready(async () => {
        const token = await grecaptcha.enterprise.execute('{{SITEKEY}}', { action: 'LOGIN' });
        resolve(token);
      });
    });
  };
</script>
</body></html>`,

  // Turnstile explicit rendering, then the widget API: execute, remove.
  '/turnstile-api': `<!doctype html><html><head><title>Turnstile API</title>
<script src="{{HURDLE}}/widget/turnstile/v0/api.js?render=explicit"></script>
</head><body>
<form action="/submit" method="POST"><div id="box"></div></form>
<script>
  turnstile.ready(function () { window.widgetId = turnstile.render('#box', { sitekey: '{{SITEKEY}}', action: 'signup', cData: 'order-42' }); });
</script>
</body></html>`,

  // https://developers.google.com/recaptcha/docs/invisible (programmatically invoke the challenge).
  '/recaptcha-invisible-div': `<!doctype html><html><head><title>reCAPTCHA invisible</title>
<script src="{{HURDLE}}/widget/recaptcha/api.js" async defer></script>
<script>
  window.events = [];
  function onSubmit(token) { window.events.push(token); document.forms[0].submit(); }
  function validate(event) { event.preventDefault(); grecaptcha.execute(); }
  function onload() { document.getElementById('send').onclick = validate; }
</script>
</head><body onload="onload()">
<form action="/submit" method="POST">
  <div id="recaptcha" class="g-recaptcha" data-sitekey="{{SITEKEY}}" data-callback="onSubmit" data-size="invisible"></div>
  <button id="send">submit</button>
</form>
</body></html>`,
};

interface Site { sitekey: string; secret: string }

/** The site's own web server: serves PAGES and records every form posted to /submit. */
async function startSite(hurdle: string, sitekey: string): Promise<{ origin: string; posts: URLSearchParams[]; server: Server }> {
  const posts: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (req.method === 'POST' && path === '/submit') {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); if (body.length > 65_536) req.destroy(); });
      req.on('end', () => {
        posts.push(new URLSearchParams(body));
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>received</title><p id="received">received</p>');
      });
      return;
    }
    const page = PAGES[path];
    if (page === undefined) { res.writeHead(404).end(); return; }
    // `?sitekey=` serves a page with another key (the vendors' dummy test keys).
    const key = new URL(req.url ?? '/', 'http://site').searchParams.get('sitekey') ?? sitekey;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page.replaceAll('{{HURDLE}}', hurdle).replaceAll('{{SITEKEY}}', key));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts, server };
}

describe('vendor client APIs in Chromium against hurdle start', { timeout: 200_000, skip: unavailable ?? false }, () => {
  let hurdle: HurdleProcess;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let site: Site;
  let web: Awaited<ReturnType<typeof startSite>>;

  before(async () => {
    [hurdle, browser] = await Promise.all([startHurdle({ env: { HURDLE_TOKEN_TTL_MS: String(TOKEN_TTL_MS) } }), launchChromium()]);
    const res = await fetch(`${hurdle.baseUrl}/admin/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vendor-compat', challengeTypes: ['slide', 'pow'], difficulty: 1 }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const created = (await res.json()) as { site: { sitekey: string }; secret: string };
    site = { sitekey: created.site.sitekey, secret: created.secret };
    web = await startSite(hurdle.baseUrl, site.sitekey);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await new Promise((r) => web?.server.close(r));
    await hurdle?.stop();
  });

  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 520, height: 760 }, locale: 'en-US', baseURL: web.origin });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto(path);
    return { page, problems };
  }

  /** Solves the slide puzzle of the widget inside `host` through the test-only answer hook. */
  async function solveSlide(page: Page, host: string): Promise<void> {
    const challenge = nextChallenge(page);
    await page.locator(`${host} .hurdle-widget button.chk`).click();
    const c = await challenge;
    assert.equal(c.type, 'slide');
    await page.locator(`${host}[data-hurdle-state="puzzle"]`).waitFor({ timeout: 15_000 });
    await solveEveryRound(page, hurdle.baseUrl, c.id, (x) => humanDrag(page, x));
    await page.locator(`${host}[data-hurdle-state="success"]`).waitFor({ timeout: 15_000 });
  }

  /** Submits the page's form and returns what the site's server received. */
  async function submit(page: Page): Promise<URLSearchParams> {
    const before = web.posts.length;
    await Promise.all([page.waitForURL('**/submit'), page.click('#send')]);
    assert.equal(web.posts.length, before + 1, 'the form reached the site');
    return web.posts.at(-1) as URLSearchParams;
  }

  /** The site's back end: posts the token to the vendor path on Hurdle, form-encoded. */
  async function siteverify(path: string, response: string): Promise<{ success: boolean; 'error-codes': string[] }> {
    const res = await fetch(`${hurdle.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ secret: site.secret, response }).toString(),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as { success: boolean; 'error-codes': string[] };
  }

  test('Turnstile, implicit: .cf-turnstile renders, data-callback gets the token, cf-turnstile-response verifies at /turnstile/v0/siteverify', async () => {
    const { page, problems } = await open('/turnstile-implicit');
    await solveSlide(page, '.cf-turnstile');
    const tokens = await page.evaluate<string[]>('window.tokens');
    assert.equal(tokens.length, 1, 'data-callback called once');
    const token = tokens[0] as string;
    assert.ok(token.length > 20);
    assert.equal(await page.evaluate<string>('turnstile.getResponse()'), token);
    assert.equal(await page.evaluate<boolean>('turnstile.isExpired()'), false);
    const form = await submit(page);
    assert.equal(form.get('cf-turnstile-response'), token, 'the vendor-named field carries the token');
    assert.equal(form.get('email'), 'ada@example.com');
    assert.equal(form.get('hurdle-response'), null, 'no Hurdle-named field in vendor mode');
    await assertVerifies('/turnstile/v0/siteverify', token);
    assert.deepEqual(problems, []);
  });

  test('Turnstile, explicit: ?onload=&render=explicit, render(\'#el\', {callback, \'expired-callback\'}), isExpired, reset', async () => {
    const { page, problems } = await open('/turnstile-explicit');
    await page.waitForFunction('window.widgetId !== undefined', undefined, { timeout: 10_000 });
    assert.equal(await page.locator('#not-rendered .hurdle-widget').count(), 0, 'render=explicit: no implicit render of .cf-turnstile');
    const widgetId = await page.evaluate<string>('window.widgetId');
    assert.equal(typeof widgetId, 'string');
    await solveSlide(page, '#example-container');
    const events = await page.evaluate<string[]>('window.events');
    assert.equal(events.length, 1, events.join(', '));
    const token = (events[0] as string).replace(/^success:/, '');
    assert.equal(await page.evaluate<string>(`turnstile.getResponse(${JSON.stringify(widgetId)})`), token);
    // The token expires unused: 'expired-callback' fires and isExpired says so.
    await page.waitForFunction("window.events.includes('expired')", undefined, { timeout: TOKEN_TTL_MS + 8_000 });
    assert.equal(await page.evaluate<boolean>(`turnstile.isExpired(${JSON.stringify(widgetId)})`), true);
    // reset() starts over; a second solve gives a new token that verifies.
    await page.evaluate(`turnstile.reset(${JSON.stringify(widgetId)})`);
    assert.equal(await page.evaluate<string>(`turnstile.getResponse(${JSON.stringify(widgetId)})`), '');
    await solveSlide(page, '#example-container');
    const fresh = await page.evaluate<string>(`turnstile.getResponse(${JSON.stringify(widgetId)})`);
    assert.ok(fresh.length > 20 && fresh !== token);
    const form = await submit(page);
    assert.equal(form.get('cf-turnstile-response'), fresh);
    await assertVerifies('/turnstile/v0/siteverify', fresh);
    assert.deepEqual(problems, []);
  });

  test('hCaptcha, implicit: .h-captcha, data-callback, h-captcha-response verifies at /hcaptcha/siteverify', async () => {
    const { page, problems } = await open('/hcaptcha-implicit');
    await solveSlide(page, '.h-captcha');
    const tokens = await page.evaluate<string[]>('window.tokens');
    assert.equal(tokens.length, 1);
    const token = tokens[0] as string;
    assert.equal(await page.evaluate<string>('hcaptcha.getResponse()'), token);
    const form = await submit(page);
    assert.equal(form.get('h-captcha-response'), token);
    assert.equal(form.get('g-recaptcha-response'), token, 'hCaptcha also fills g-recaptcha-response');
    await assertVerifies('/hcaptcha/siteverify', token);
    const again = await siteverify('/hcaptcha/siteverify', token);
    assert.deepEqual(again['error-codes'], ['invalid-or-already-seen-response'], 'a reused token, in hCaptcha\'s words');
    assert.deepEqual(problems, []);
  });

  test('hCaptcha, explicit invisible: hcaptcha.render(\'captcha-1\'), execute(id, { async: true }) resolves {response, key}', async () => {
    const { page, problems } = await open('/hcaptcha-explicit');
    await page.waitForFunction('window.loaded === true', undefined, { timeout: 10_000 });
    const result = await page.evaluate<{ response: string; key: string; getResponse: string }>('window.runExecute()');
    assert.ok(result.response.length > 20, 'execute() resolved with the token');
    assert.equal(result.key, 'string');
    assert.equal(result.getResponse, result.response);
    const form = await submit(page);
    assert.equal(form.get('h-captcha-response'), result.response);
    await assertVerifies('/hcaptcha/siteverify', result.response);
    assert.deepEqual(problems, []);
  });

  test('reCAPTCHA v2, implicit: .g-recaptcha, data-callback, g-recaptcha-response verifies at /recaptcha/api/siteverify; reset', async () => {
    const { page, problems } = await open('/recaptcha-implicit');
    await solveSlide(page, '.g-recaptcha');
    const events = await page.evaluate<string[]>('window.events');
    assert.equal(events.length, 1);
    const token = (events[0] as string).replace(/^success:/, '');
    assert.equal(await page.evaluate<string>('grecaptcha.getResponse()'), token);
    assert.equal(await page.inputValue('input[name="g-recaptcha-response"]'), token);
    await page.evaluate('grecaptcha.reset()');
    assert.equal(await page.evaluate<string>('grecaptcha.getResponse()'), '', 'reset clears the response');
    assert.equal(await page.inputValue('input[name="g-recaptcha-response"]'), '', 'reset clears the field');
    await solveSlide(page, '.g-recaptcha');
    const fresh = await page.evaluate<string>('grecaptcha.getResponse()');
    assert.ok(fresh.length > 20 && fresh !== token);
    const form = await submit(page);
    assert.equal(form.get('g-recaptcha-response'), fresh);
    await assertVerifies('/recaptcha/api/siteverify', fresh);
    assert.deepEqual(problems, []);
  });

  test('reCAPTCHA v2, explicit: ?onload=&render=explicit, grecaptcha.render(\'html_element\', {sitekey, callback, theme}) returns 0', async () => {
    const { page, problems } = await open('/recaptcha-explicit');
    await page.waitForFunction('window.widgetId1 !== undefined', undefined, { timeout: 10_000 });
    assert.equal(await page.evaluate<number>('window.widgetId1'), 0, 'reCAPTCHA widget ids are small integers');
    await solveSlide(page, '#html_element');
    const events = await page.evaluate<string[]>('window.events');
    assert.equal(events.length, 1);
    const token = (events[0] as string).replace(/^success:/, '');
    assert.equal(await page.evaluate<string>('grecaptcha.getResponse(window.widgetId1)'), token);
    const form = await submit(page);
    assert.equal(form.get('g-recaptcha-response'), token);
    await assertVerifies('/recaptcha/api/siteverify', token);
    assert.deepEqual(problems, []);
  });

  for (const [vendor, path, field, verifyPath] of [
    ['reCAPTCHA v2 invisible', '/recaptcha-button', 'g-recaptcha-response', '/recaptcha/api/siteverify'],
    ['hCaptcha invisible', '/hcaptcha-button', 'h-captcha-response', '/hcaptcha/siteverify'],
  ] as const) {
    test(`${vendor}: a challenge bound to <button data-callback>: the click gets the token, the callback submits the form`, async () => {
      const { page, problems } = await open(path);
      const global = vendor.startsWith('hCaptcha') ? 'hcaptcha' : 'grecaptcha';
      // The invisible proof of work runs at once; the callback waits for the click.
      await page.waitForFunction(`${global}.getResponse() !== ''`, undefined, { timeout: 15_000 });
      const before = web.posts.length;
      await page.waitForTimeout(300);
      assert.equal(web.posts.length, before, 'nothing is submitted before the click');
      assert.equal(await page.locator('button .hurdle-widget').count(), 0, 'the widget is not drawn inside the button');
      const token = await page.evaluate<string>(`${global}.getResponse()`);
      await Promise.all([page.waitForURL('**/submit'), page.click('button')]);
      assert.equal(web.posts.length, before + 1);
      const form = web.posts.at(-1) as URLSearchParams;
      assert.equal(form.get(field), token);
      await assertVerifies(verifyPath, token);
      assert.deepEqual(problems, []);
    });
  }

  for (const [api, path, action] of [['reCAPTCHA v3', '/recaptcha-v3', 'submit'], ['reCAPTCHA Enterprise', '/recaptcha-enterprise', 'LOGIN']] as const) {
    test(`${api}: ready() then execute(sitekey, { action }) resolves with a token bound to the action`, async () => {
      const { page, problems } = await open(path);
      const token = await page.evaluate<string>('window.getToken()');
      assert.ok(token.length > 20);
      const verdict = await assertVerifies('/recaptcha/api/siteverify', token);
      assert.equal(verdict.action, action);
      // The risk engine's score, in reCAPTCHA v3's range and meaning (1.0 most likely human).
      const score = (verdict as { score?: unknown }).score;
      assert.ok(typeof score === 'number' && score >= 0 && score <= 1, `score ${String(score)}`);
      assert.deepEqual(problems, []);
    });
  }

  test('Turnstile\'s dummy keys work unchanged: sitekey 1x00000000000000000000AA passes, secret 1x…AA accepts XXXX.DUMMY.TOKEN.XXXX', async () => {
    const { page, problems } = await open('/turnstile-implicit?sitekey=1x00000000000000000000AA');
    await solveSlide(page, '.cf-turnstile');
    const form = await submit(page);
    assert.equal(form.get('cf-turnstile-response'), 'XXXX.DUMMY.TOKEN.XXXX');
    const res = await fetch(`${hurdle.baseUrl}/turnstile/v0/siteverify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ secret: '1x0000000000000000000000000000000AA', response: 'XXXX.DUMMY.TOKEN.XXXX' }).toString(),
    });
    assert.equal(((await res.json()) as { success: boolean }).success, true);
    assert.deepEqual(problems, []);
  });

  test('Turnstile API: ready(), render with action and cData, execute(id) starts the challenge, remove(id) takes the widget and field away', async () => {
    const { page, problems } = await open('/turnstile-api');
    await page.waitForFunction('window.widgetId !== undefined', undefined, { timeout: 10_000 });
    const id = JSON.stringify(await page.evaluate<string>('window.widgetId'));
    const challenge = nextChallenge(page);
    await page.evaluate(`turnstile.execute(${id})`);
    const c = await challenge;
    await page.locator('#box[data-hurdle-state="puzzle"]').waitFor({ timeout: 15_000 });
    await solveEveryRound(page, hurdle.baseUrl, c.id, (x) => humanDrag(page, x));
    await page.locator('#box[data-hurdle-state="success"]').waitFor({ timeout: 15_000 });
    const token = await page.evaluate<string>(`turnstile.getResponse(${id})`);
    const verdict = await assertVerifies('/turnstile/v0/siteverify', token);
    assert.deepEqual([verdict['action'], verdict['cdata']], ['signup', 'order-42'], 'action and cData reach siteverify');
    await page.evaluate(`turnstile.remove(${id})`);
    assert.equal(await page.locator('#box .hurdle-widget').count(), 0, 'widget removed');
    assert.equal(await page.locator('input[name="cf-turnstile-response"]').count(), 0, 'field removed');
    assert.equal(await page.evaluate<string>(`turnstile.getResponse(${id})`), '');
    assert.deepEqual(problems, []);
  });

  test('reCAPTCHA v2 invisible, programmatic: data-size="invisible" div, grecaptcha.execute() on submit, data-callback gets the token', async () => {
    const { page, problems } = await open('/recaptcha-invisible-div');
    // The proof of work runs at once, but the callback (which submits) waits for execute().
    await page.waitForFunction("grecaptcha.getResponse() !== ''", undefined, { timeout: 15_000 });
    const before = web.posts.length;
    await page.waitForTimeout(300);
    assert.equal(web.posts.length, before, 'the callback did not run before execute()');
    const token = await page.evaluate<string>('grecaptcha.getResponse()');
    assert.equal(await page.inputValue('input[name="g-recaptcha-response"]'), token);
    await Promise.all([page.waitForURL('**/submit'), page.click('#send')]);
    assert.equal(web.posts.length, before + 1);
    assert.equal((web.posts.at(-1) as URLSearchParams).get('g-recaptcha-response'), token);
    await assertVerifies('/recaptcha/api/siteverify', token);
    assert.deepEqual(problems, []);
  });

  async function assertVerifies(path: string, token: string): Promise<Record<string, unknown>> {
    const verdict = await siteverify(path, token);
    assert.deepEqual(verdict['error-codes'], [], `siteverify at ${path}`);
    assert.equal(verdict.success, true);
    assert.equal((verdict as { hostname?: string }).hostname, '127.0.0.1', 'the page\'s hostname');
    return verdict;
  }
});
