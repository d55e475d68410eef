// The browser probe in Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver
// BiDi) against a real `hurdle start`: every deterministic output the widget computes equals
// the server's exact value, as in Chromium, and the slider counts trusted mouse events.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { expectedProbeOutput } from '@hurdle/challenge';
import type { ProbeCheck, ProbeResult, PublicProbe } from '@hurdle/challenge';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { ADMIN_TOKEN, answerOf, browserTestsUnavailable, startHurdle, type HurdleProcess } from './browser-harness.js';

const FIREFOX = process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr';
const unavailable = existsSync(FIREFOX) ? browserTestsUnavailable() : `no Firefox at ${FIREFOX} (apt-get install -y firefox-esr, or set FIREFOX_PATH)`;

interface Logged { u: string; body: { id: string; probe?: ProbeResult } | null; res: { id?: string; probe?: PublicProbe; success?: boolean; code?: string; next?: { id: string; probe?: PublicProbe } } }

describe('browser probe in Firefox', { timeout: 120_000, skip: unavailable ?? false }, () => {
  let server: HurdleProcess;
  let browser: Browser;
  let sitekey: string;

  before(async () => {
    [server, browser] = await Promise.all([
      startHurdle(),
      puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, protocol: 'webDriverBiDi', timeout: 60_000 }),
    ]);
    const created = await fetch(`${server.baseUrl}/admin/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'probe firefox', challengeTypes: ['slide', 'pow'], difficulty: 6 }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    sitekey = ((await created.json()) as { site: { sitekey: string } }).site.sitekey;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** What the page's API calls sent and got (recorded in the page: BiDi does not expose request bodies). */
  const logOf = (page: Page): Promise<Logged[]> => page.evaluate('window.hurdleLog') as Promise<Logged[]>;

  test('every probe output in Firefox equals the server\'s exact value', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 520, height: 900 });
    // In the page (this file is compiled without DOM types, hence a string).
    await page.evaluateOnNewDocument(`
      window.hurdleLog = [];
      const original = window.fetch.bind(window);
      window.fetch = async (url, init) => {
        const res = await original(url, init);
        if (/\\/v1\\/(challenge|verify)$/.test(String(url))) {
          window.hurdleLog.push({ u: String(url), body: typeof init?.body === 'string' ? JSON.parse(init.body) : null, res: await res.clone().json() });
        }
        return res;
      };`);
    await page.goto(`${server.baseUrl}/demo?lang=en&type=slide&sitekey=${sitekey}`);
    await (await page.waitForSelector('>>> button.chk', { timeout: 15_000 }))?.click();
    let checked = 0;
    for (let round = 0; round < 5; round++) {
      await page.waitForFunction(`(() => {
        const last = window.hurdleLog[window.hurdleLog.length - 1];
        return last !== undefined && (last.u.endsWith('/v1/challenge') || last.res.next !== undefined);
      })()`, { timeout: 15_000 });
      const log = await logOf(page);
      const last = log[log.length - 1] as Logged;
      const c = (last.u.endsWith('/v1/challenge') ? last.res : last.res.next) as { id: string; probe: PublicProbe };
      const { x } = await answerOf(server.baseUrl, c.id);
      // A person looks before dragging (the service requires a moment).
      await new Promise((r) => setTimeout(r, 1200));
      const handle = await page.waitForSelector('>>> [role="slider"]');
      assert.ok(handle);
      await handle.scrollIntoView();
      const box = await handle.boundingBox();
      assert.ok(box);
      type El = { offsetWidth: number; clientWidth: number; parentElement: El; getAttribute(name: string): string | null };
      const g = await handle.evaluate((node) => {
        const el = node as unknown as El;
        return { travel: el.parentElement.clientWidth - el.offsetWidth, maxX: Number(el.getAttribute('aria-valuemax')) };
      });
      const sx = box.x + box.width / 2;
      const sy = box.y + box.height / 2;
      await page.mouse.move(sx, sy);
      await page.mouse.down();
      for (let i = 1; i <= 30; i++) {
        const p = i / 30;
        const eased = p < 0.5 ? 2 * p * p : 1 - (-2 * p + 2) ** 2 / 2;
        await page.mouse.move(sx + eased * (x as number) * (g.travel / g.maxX), sy + Math.sin(p * 6) * 2);
        await new Promise((r) => setTimeout(r, 15 + Math.random() * 20));
      }
      await page.mouse.up();
      // The first verify after the drag: a failed one may already be followed by a fresh challenge.
      const isVerifyAfter = `window.hurdleLog.slice(${log.length}).some((e) => e.u.endsWith('/v1/verify'))`;
      await page.waitForFunction(isVerifyAfter, { timeout: 15_000 });
      const v = (await logOf(page)).slice(log.length).find((e) => e.u.endsWith('/v1/verify')) as Logged;
      const result = v.body?.probe as ProbeResult;
      assert.ok(result, `the verify request carries the probe: ${JSON.stringify(v.body && Object.keys(v.body))}`);
      assert.deepEqual(result.out, c.probe.checks.map((k: ProbeCheck) => expectedProbeOutput(k, c.probe.seed, c.probe.nonce)), c.probe.checks.join(','));
      assert.ok(Number(result.input['n']) > 0 && result.input['t'] === result.input['n'], JSON.stringify(result.input));
      checked++;
      if (v.res.success === true || v.res.code !== 'next_round') break;
    }
    assert.ok(checked >= 1);
  });
});
