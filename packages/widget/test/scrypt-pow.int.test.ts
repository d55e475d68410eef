// A scrypt site's proof of work in real headless Chromium against a real `hurdle start`: the
// widget's worker solves it (the nonce node:crypto finds first), shows its progress, and the
// token passes siteverify; and the solver's speeds in the browser, from which
// SCRYPT_COST_BITS is derived.
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SCRYPT_COST_BITS, SCRYPT_PARAMS } from '@hurdle/challenge';
import {
  ADMIN_TOKEN, browserTestsMissingMessage, browserTestsRequired, browserTestsUnavailable, launchChromium, startHurdle, watchPage, type HurdleProcess,
} from './browser-harness.js';

const unavailable = browserTestsUnavailable();
if (unavailable !== undefined && browserTestsRequired()) {
  test('Chromium browser tests can run (required in CI)', () => {
    assert.fail(browserTestsMissingMessage(unavailable));
  });
}

/** Leading zero bits of the scrypt digest the widget is asked for. */
const BITS = 8;
/** Challenges whose first solution comes this early are passed over: too quick to show progress. */
const MIN_NONCE = 64;
/** ... and ones this late, to bound the test's time (about 0.3 % of them). */
const MAX_NONCE = 1500;

/**
 * Runs in the page before its scripts: records the worker's messages and every value the
 * progress bar and the status line take, sampled every few ms (the work is off the page's thread).
 */
const SEEN_SCRIPT = `(() => {
  const seen = { messages: [], values: [], texts: [], label: '' };
  window.seen = seen;
  const Base = window.Worker;
  window.Worker = class extends Base {
    constructor(url, options) {
      super(url, options);
      this.addEventListener('message', (e) => { seen.messages.push(e.data); });
    }
  };
  setInterval(() => {
    const root = document.querySelector('.hurdle-widget')?.shadowRoot;
    const bar = root?.querySelector('[role="progressbar"]');
    const value = bar?.getAttribute('aria-valuenow');
    if (bar && !bar.hasAttribute('hidden') && value != null && seen.values[seen.values.length - 1] !== value) seen.values.push(value);
    if (bar) seen.label = bar.getAttribute('aria-label') ?? '';
    const text = root?.querySelector('[role="status"]')?.textContent ?? '';
    if (text !== '' && seen.texts[seen.texts.length - 1] !== text) seen.texts.push(text);
  }, 5);
})()`;

/**
 * Runs in the page: the worker as the widget starts it, at a difficulty it never reaches; its
 * progress messages count the work done in `ms`, from the first one on (after the warm-up:
 * JIT, memory). Resolves with attempts per second.
 */
const RATE_SCRIPT = `(msg, ms) => new Promise((resolve) => {
  const w = new Worker('/widget/hurdle-pow-worker.js');
  let first;
  w.onmessage = (e) => {
    const at = performance.now();
    if (first === undefined) { first = { at, attempts: e.data.attempts }; return; }
    if (at - first.at >= ms) {
      w.terminate();
      resolve(((e.data.attempts - first.attempts) * 1000) / (at - first.at));
    }
  };
  w.postMessage(msg);
})`;

/** Runs in the page: one real search by the worker; resolves with its attempts and milliseconds. */
const SOLVE_SCRIPT = `(msg) => new Promise((resolve) => {
  const w = new Worker('/widget/hurdle-pow-worker.js');
  const t0 = performance.now();
  w.onmessage = (e) => {
    if (e.data.type !== 'done') return;
    w.terminate();
    resolve({ nonce: e.data.nonce, attempts: e.data.attempts, ms: performance.now() - t0 });
  };
  w.postMessage(msg);
})`;

interface PowPayload { algorithm: string; challenge: string; difficulty: number; N: number; r: number; p: number }

function leadingZeroBits(digest: Buffer): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) { bits += 8; continue; }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** The smallest nonce of a scrypt challenge (node:crypto), or undefined past `limit`. */
function firstNonce(pow: PowPayload, limit: number): number | undefined {
  for (let n = 0; n <= limit; n++) {
    if (leadingZeroBits(scryptSync(String(n), pow.challenge, 32, { N: pow.N, r: pow.r, p: pow.p })) >= pow.difficulty) return n;
  }
  return undefined;
}

async function createSite(baseUrl: string, body: Record<string, unknown>): Promise<{ sitekey: string; secret: string }> {
  const res = await fetch(`${baseUrl}/admin/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const json = (await res.json()) as { site: { sitekey: string }; secret: string };
  return { sitekey: json.site.sitekey, secret: json.secret };
}

describe('scrypt proof of work in Chromium against hurdle start', { timeout: 170_000, skip: unavailable ?? false }, () => {
  let server: HurdleProcess;
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    [server, browser] = await Promise.all([startHurdle(), launchChromium()]);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  async function open(): Promise<Page> {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 520, height: 760 }, locale: 'de-DE', baseURL: server.baseUrl });
    return context.newPage();
  }

  test('the widget solves a scrypt challenge in its worker, shows progress, and the token verifies', async (t) => {
    const site = await createSite(server.baseUrl, { name: 'scrypt', challengeTypes: ['pow'], difficulty: SCRYPT_COST_BITS + BITS, powAlgorithm: 'scrypt' });
    const page = await open();
    const problems = watchPage(page);
    await page.addInitScript(SEEN_SCRIPT);
    // The widget gets a real challenge of the server's, asked for with the page's own request;
    // one whose search ends within its first few evaluations is passed over for another, so
    // the progress has time to show.
    let picked: { pow: PowPayload; nonce: number; issuedAt: number } | undefined;
    await page.route('**/v1/challenge', async (route) => {
      for (let tries = 0; tries < 20; tries++) {
        const response = await route.fetch();
        const body = (await response.json()) as { pow: PowPayload };
        const nonce = firstNonce(body.pow, MAX_NONCE);
        if (nonce !== undefined && nonce >= MIN_NONCE) {
          picked = { pow: body.pow, nonce, issuedAt: Date.now() };
          await route.fulfill({ response, json: body });
          return;
        }
      }
      await route.abort();
    });
    let verifiedAt = 0;
    page.on('request', (r) => { if (r.url().endsWith('/v1/verify')) verifiedAt = Date.now(); });
    await page.goto(`/demo?lang=de&type=pow&sitekey=${site.sitekey}`);
    await page.locator('.hurdle[data-hurdle-state="success"], .hurdle[data-hurdle-state="error"]').waitFor({ state: 'attached', timeout: 120_000 });
    assert.equal(await page.locator('.hurdle').getAttribute('data-hurdle-state'), 'success');
    assert.ok(picked !== undefined, 'a challenge was picked');
    assert.deepEqual({ algorithm: picked.pow.algorithm, difficulty: picked.pow.difficulty, N: picked.pow.N, r: picked.pow.r, p: picked.pow.p }, { algorithm: 'scrypt', difficulty: BITS, ...SCRYPT_PARAMS });

    const seen = await page.evaluate<{ messages: { type: string; attempts: number; nonce?: string }[]; values: string[]; texts: string[]; label: string }>('window.seen');
    const done = seen.messages.find((m) => m.type === 'done');
    // The browser's scrypt found the very nonce node:crypto's finds first.
    assert.equal(done?.nonce, String(picked.nonce));
    assert.equal(done?.attempts, picked.nonce + 1);
    const progress = seen.messages.filter((m) => m.type === 'progress').map((m) => m.attempts);
    assert.ok(progress.length >= 1, `progress messages: ${progress.join(', ')}`);
    for (let i = 1; i < progress.length; i++) assert.ok((progress[i] as number) > (progress[i - 1] as number), 'attempts grow');
    // The bar went from 0 through values in between to 100, never back.
    const values = seen.values.map(Number);
    assert.equal(values[0], 0, `values: ${values.join(', ')}`);
    assert.equal(values[values.length - 1], 100, `values: ${values.join(', ')}`);
    assert.ok(values.some((v) => v > 0 && v < 100), `a value between 0 and 100: ${values.join(', ')}`);
    for (let i = 1; i < values.length; i++) assert.ok((values[i] as number) >= (values[i - 1] as number), `values: ${values.join(', ')}`);
    // The status line says the percentage in the page's language; the bar has a name.
    assert.ok(seen.texts.some((s) => /^Es wird geprüft, ob Sie ein Mensch sind… [1-9]\d? %$/.test(s)), `texts: ${seen.texts.join(' | ')}`);
    assert.equal(seen.label, 'Fortschritt der Prüfung');

    const token = await page.inputValue('input[name="hurdle-response"]');
    const sv = await fetch(`${server.baseUrl}/siteverify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: site.secret, response: token }) });
    assert.equal(((await sv.json()) as { success: boolean }).success, true);
    const solveMs = verifiedAt - picked.issuedAt;
    t.diagnostic(`scrypt solve: ${picked.nonce + 1} evaluations in ${solveMs} ms (${(solveMs / (picked.nonce + 1)).toFixed(2)} ms each) at ${BITS} bits`);
    assert.deepEqual(problems, []);
  });

  test("the worker's speeds in Chromium: SHA-256 hashes and scrypt evaluations per second", async (t) => {
    const sha = await createSite(server.baseUrl, { name: 'rates sha256', challengeTypes: ['pow'], difficulty: 20 });
    const scr = await createSite(server.baseUrl, { name: 'rates scrypt', challengeTypes: ['pow'], difficulty: 20, powAlgorithm: 'scrypt' });
    const issue = async (sitekey: string): Promise<PowPayload> => {
      const res = await fetch(`${server.baseUrl}/v1/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sitekey, type: 'pow' }) });
      return ((await res.json()) as { pow: PowPayload }).pow;
    };
    const [shaPow, scryptPow] = [await issue(sha.sitekey), await issue(scr.sitekey)];
    const page = await open();
    await page.goto('/demo?lang=en&type=slide');
    // On challenges of the real lengths.
    const rate = (message: Record<string, unknown>): Promise<number> => page.evaluate<number>(`(${RATE_SCRIPT})(${JSON.stringify(message)}, 1000)`);
    // Rounds of each in turn, the best of each kept: other load on the machine only slows a
    // round down, and alternating lets both see the same spells of it.
    let hashesPerS = 0, evalsPerS = 0;
    for (let round = 0; round < 3; round++) {
      hashesPerS = Math.max(hashesPerS, await rate({ challenge: shaPow.challenge, difficulty: 200 }));
      evalsPerS = Math.max(evalsPerS, await rate({ challenge: scryptPow.challenge, difficulty: 200, scrypt: { N: scryptPow.N, r: scryptPow.r, p: scryptPow.p } }));
    }
    const bits = Math.log2(hashesPerS / evalsPerS);
    t.diagnostic(`Chromium worker: ${Math.round(hashesPerS)} SHA-256/s, ${evalsPerS.toFixed(1)} scrypt/s (N=${scryptPow.N} r=${scryptPow.r} p=${scryptPow.p}): log2 ratio ${bits.toFixed(2)}; SCRYPT_COST_BITS = ${SCRYPT_COST_BITS}`);
    assert.ok(hashesPerS > 0 && evalsPerS > 0);
    // The documented constant stays near what the browser measures (a loaded machine moves
    // both speeds, the ratio much less).
    assert.ok(Math.abs(bits - SCRYPT_COST_BITS) <= 2.5, `measured ${bits.toFixed(2)} bits, SCRYPT_COST_BITS is ${SCRYPT_COST_BITS}`);
  });

  test('solve times of a scrypt site at the default difficulty', async (t) => {
    const site = await createSite(server.baseUrl, { name: 'default scrypt', challengeTypes: ['pow'], powAlgorithm: 'scrypt' });
    const page = await open();
    await page.goto('/demo?lang=en&type=slide');
    let totalMs = 0, totalAttempts = 0;
    const runs = 6;
    for (let i = 0; i < runs; i++) {
      const res = await fetch(`${server.baseUrl}/v1/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sitekey: site.sitekey }) });
      const pow = ((await res.json()) as { pow: PowPayload }).pow;
      assert.equal(pow.difficulty, 17 - SCRYPT_COST_BITS, 'the default difficulty, 17, less SCRYPT_COST_BITS');
      const solved = await page.evaluate<{ nonce: string; attempts: number; ms: number }>(`(${SOLVE_SCRIPT})(${JSON.stringify({ challenge: pow.challenge, difficulty: pow.difficulty, scrypt: { N: pow.N, r: pow.r, p: pow.p } })})`);
      assert.equal(Number(solved.nonce), firstNonce(pow, 100_000), 'the first nonce node:crypto finds');
      totalMs += solved.ms;
      totalAttempts += solved.attempts;
    }
    t.diagnostic(`default difficulty 17 (${17 - SCRYPT_COST_BITS} scrypt bits): ${runs} solves, mean ${(totalMs / runs).toFixed(0)} ms, mean ${(totalAttempts / runs).toFixed(1)} evaluations (expected ${2 ** (17 - SCRYPT_COST_BITS)}), ${(totalMs / totalAttempts).toFixed(2)} ms each`);
  });
});
