// The admin console in real headless Chromium against a real `hurdle start`: secret rotation
// with a grace (the old secret still verifies), per-site analytics that outlive a restart, the
// risk panels (score histogram, escalations, refusals, top networks as keyed hashes),
// the audit log, the 375 px layout, light/dark, the favicon, and axe-core with zero WCAG
// violations on every view. Screenshots go to .test-artifacts/screenshots/console-*.png.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { removeHurdleData } from '@hurdle/test-helpers';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN_TOKEN, answerOf, browserTestsMissingMessage, browserTestsRequired, browserTestsUnavailable, launchChromium, pollUntil, screenshotPath,
  startHurdle, watchPage, type HurdleProcess,
} from './browser-harness.js';

const unavailable = browserTestsUnavailable();
if (unavailable !== undefined && browserTestsRequired()) {
  test('Chromium browser tests of the console can run (required in CI)', () => {
    assert.fail(browserTestsMissingMessage(unavailable));
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** The WCAG 2.0-2.2 A and AA rules (axe's tags); best-practice rules are not conformance. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const VIEWS = ['sites', 'dashboard', 'analytics', 'audit'] as const;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

describe('admin console in Chromium against hurdle start', { timeout: 240_000, skip: unavailable ?? false }, () => {
  let dataDir = '';
  let server: HurdleProcess;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let sitekey = '';
  let secret = '';

  const start = (): Promise<HurdleProcess> => startHurdle({ dataDir });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hurdle-console-test-'));
    [server, browser] = await Promise.all([start(), launchChromium()]);
    const created = await fetch(`${server.baseUrl}/admin/api/sites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Console shop', challengeTypes: ['slide', 'pow'], difficulty: 2 }) });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { site: { sitekey: string }; secret: string };
    sitekey = body.site.sitekey;
    secret = body.secret;
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    if (dataDir !== '') removeHurdleData(dataDir);
  });

  /** A fresh context (CSP bypassed only so the test can inject axe-core), signed in to the console. */
  async function signIn(options: { width?: number; colorScheme?: 'light' | 'dark'; view?: string } = {}): Promise<{ page: Page; problems: string[]; missing: string[] }> {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 }, colorScheme: options.colorScheme ?? 'light', baseURL: server.baseUrl, bypassCSP: true, acceptDownloads: true });
    const page = await context.newPage();
    const problems = watchPage(page);
    const missing: string[] = [];
    page.on('response', (r) => { if (r.status() === 404) missing.push(r.url()); });
    await page.goto(`/admin${options.view === undefined ? '' : `#${options.view}`}`);
    await page.fill('#admin-token', ADMIN_TOKEN);
    await page.click('#login button[type="submit"]');
    await page.locator('#tab-sites').waitFor();
    return { page, problems, missing };
  }

  async function show(page: Page, view: (typeof VIEWS)[number]): Promise<void> {
    await page.click(`#tab-${view}`);
    const ready = { sites: '#sites-table tbody tr', dashboard: '[data-stat="pass"]', analytics: '[data-total="challenges"]', audit: '#audit-table tbody tr' }[view];
    await page.locator(ready).first().waitFor();
    // Live figures land within a poll or two.
    if (view === 'dashboard') await pollUntil('dashboard figures', 10_000, async () => ((await page.locator('[data-stat="pass"]').innerText()) === '–' ? undefined : true));
  }

  async function axeViolations(page: Page): Promise<string[]> {
    // Page code as strings: this file is compiled without the DOM's types.
    if (!(await page.evaluate<boolean>("'axe' in window"))) await page.addScriptTag({ content: AXE_SOURCE });
    const result = await page.evaluate<{ passes: number; violations: { id: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }>(
      `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] })
        .then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })) }))`);
    assert.ok(result.passes >= 10, `axe ran its rules (${result.passes} passed)`);
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join(' | ')}`);
  }

  /** A pass token for the site, through the API (the widget's own path is covered elsewhere). */
  async function passToken(): Promise<string> {
    const c = (await (await fetch(`${server.baseUrl}/v1/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sitekey, type: 'pow', action: 'checkout' }) })).json()) as { id: string };
    const { nonce } = await answerOf(server.baseUrl, c.id);
    const v = (await (await fetch(`${server.baseUrl}/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: c.id, answer: { nonce } }) })).json()) as { success: boolean; token: string };
    assert.equal(v.success, true);
    return v.token;
  }

  async function wrongSlide(): Promise<void> {
    const c = (await (await fetch(`${server.baseUrl}/v1/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sitekey, type: 'slide', action: 'checkout' }) })).json()) as { id: string };
    const { x } = await answerOf(server.baseUrl, c.id);
    await fetch(`${server.baseUrl}/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: c.id, answer: { x: (x ?? 0) > 100 ? 10 : 200 } }) });
  }

  async function siteverify(withSecret: string, token: string): Promise<{ success: boolean; 'error-codes': string[] }> {
    const res = await fetch(`${server.baseUrl}/siteverify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: withSecret, response: token }) });
    return (await res.json()) as { success: boolean; 'error-codes': string[] };
  }

  test('rotation with a chosen grace: the old secret still verifies during it; the audit log shows who, what, from where', async () => {
    const { page, problems } = await signIn();
    const token = await passToken();
    const row = page.locator(`tr[data-sitekey="${sitekey}"]`);
    await row.locator('[data-action="rotate-secret"]').click();
    assert.equal(await page.locator('#rotate-grace').inputValue(), '0', "the default grace is the API's: none");
    await page.selectOption('#rotate-grace', '3600000');
    await page.screenshot({ path: screenshotPath('console-rotate-grace.png') });
    const rotated = page.waitForResponse((r) => r.url().endsWith('/rotate-secret') && r.request().method() === 'POST');
    await page.click('#rotate-confirm');
    assert.deepEqual((await rotated).request().postDataJSON(), { graceMs: 3_600_000 }, 'the console sends the grace');
    const newSecret = (await page.locator('#secret').innerText()).trim();
    assert.match(await page.locator('.msg').first().innerText(), /keeps working until/);
    await row.locator('.grace-note').waitFor();

    const old = await siteverify(secret, token);
    assert.equal(old.success, true, `the previous secret verifies during the grace: ${JSON.stringify(old)}`);
    const fresh = await siteverify(newSecret, await passToken());
    assert.equal(fresh.success, true, 'the new secret verifies');
    secret = newSecret;

    await show(page, 'audit');
    const entry = page.locator('#audit-table tr[data-audit-action="site.rotate-secret"]').first();
    assert.match(await entry.innerText(), /adminToken[\s\S]*site\.rotate-secret[\s\S]*127\.0\.0\.1[\s\S]*grace 1 h/);
    assert.equal(await page.locator('#audit-table tr[data-audit-action="site.create"]').count(), 1);
    assert.ok(!(await page.locator('#audit-table').innerText()).includes(newSecret), 'no secret in the audit log');
    await page.screenshot({ path: screenshotPath('console-audit.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  test('per-site analytics: shown with a site picker and range, exported as CSV, and still there after a restart', async () => {
    for (let i = 0; i < 3; i++) await passToken();
    await wrongSlide();
    await wrongSlide();
    // 2 tokens in the rotation test and 3 here, 2 slides: 7 challenges, 5 passes, 2 failures.
    const want = { challenges: '7', passes: '5', failures: '2' };
    const { page, problems } = await signIn();
    await show(page, 'analytics');
    await page.selectOption('#analytics-site', sitekey);
    await page.selectOption('#analytics-range', '1h');
    const totals = async (): Promise<Record<string, string>> => Object.fromEntries(await Promise.all(['challenges', 'passes', 'failures'].map(async (k) => [k, await page.locator(`[data-total="${k}"]`).innerText()])));
    // The worker reports every 2 s; a read writes what the primary holds.
    await pollUntil('the analytics totals', 15_000, async () => {
      await page.selectOption('#analytics-range', '24h');
      await page.selectOption('#analytics-range', '1h');
      await page.waitForTimeout(300);
      const t = await totals();
      return t['challenges'] === want.challenges ? t : undefined;
    }, 500);
    assert.deepEqual(await totals(), want);
    assert.match(await page.locator('#analytics').innerText(), /wrong_answer[\s\S]*2/);
    assert.match(await page.locator('#analytics').innerText(), /checkout/);
    const axisLabels = await page.locator('#analytics .chart text').allTextContents();
    assert.ok(axisLabels.some((l) => /^\d\d:\d\d$/.test(l)), `a time axis: ${axisLabels.join(' ')}`);
    await page.screenshot({ path: screenshotPath('console-analytics.png'), fullPage: true });

    // The risk panels: every pass in the score histogram, no escalation from loopback, and the
    // two wrong slides' network by its keyed hash, never the address or the prefix.
    const scoreSum = (await page.locator('#risk-scores .bar-value').allInnerTexts()).reduce((n, v) => n + Number(v), 0);
    assert.equal(scoreSum, Number(want.passes), 'the histogram holds every scored pass');
    assert.deepEqual(await page.locator('#risk-scores .bar-label').allInnerTexts(), ['0.9-1.0', '0.8-0.9', '0.7-0.8', '0.6-0.7', '0.5-0.6', '0.4-0.5', '0.3-0.4', '0.2-0.3', '0.1-0.2', '0.0-0.1']);
    assert.match(await page.locator('#risk-escalations').innerText(), /No escalations in this range/);
    assert.match(await page.locator('#risk-refusals').innerText(), /No refusals in this range/);
    const network = page.locator('#risk-networks-table tbody tr').first();
    assert.match(String(await network.getAttribute('data-network')), /^v4:[A-Za-z0-9_-]{12}$/);
    assert.equal(await network.locator('td[data-label="Failures"]').innerText(), want.failures);
    assert.ok(!(await page.locator('#analytics').innerText()).includes('127.0.0'), 'no address or prefix on the page');
    assert.deepEqual(await axeViolations(page), [], 'the risk panels with data pass axe');
    await page.screenshot({ path: screenshotPath('console-risk-panels.png'), fullPage: true });
    // At 375 px the panels stack without sideways scroll.
    await page.setViewportSize({ width: 375, height: 900 });
    await page.waitForTimeout(300);
    assert.ok(await page.evaluate<number>('document.documentElement.scrollWidth') <= 375, 'no sideways scroll at 375 px with the risk panels');
    const tableBox = await page.locator('#risk-networks-table').boundingBox();
    assert.ok(tableBox !== null && tableBox.x >= 0 && tableBox.x + tableBox.width <= 375, `the networks table fits: ${JSON.stringify(tableBox)}`);
    await page.screenshot({ path: screenshotPath('console-375-risk-panels.png'), fullPage: true });
    assert.deepEqual(await axeViolations(page), [], 'and at 375 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    // Ranges past a day have no networks to show, and say so.
    await page.selectOption('#analytics-range', '7d');
    await pollUntil('the 7d note', 5000, async () => ((await page.locator('#risk-networks').innerText()).includes('kept a day') ? true : undefined));
    await page.selectOption('#analytics-range', '1h');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#analytics-csv')]);
    assert.equal(download.suggestedFilename(), `hurdle-analytics-${sitekey}-1h.csv`);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^bucket_start,resolution,sitekey,hostname,action,reason,challenges,passes,failures,escalations,escalations_slide,escalations_slide_pow,refusals,score_0\.0_0\.1,/);
    assert.match(csv, new RegExp(`,minute,${sitekey},[^,]*,checkout,wrong_answer,0,0,2,0`));

    // A graceful restart on the same data dir: the history is in the config DB.
    await context?.close();
    context = undefined;
    await server.stop();
    server = await start();
    const again = await signIn({ view: 'analytics' });
    await again.page.locator('[data-total="challenges"]').waitFor();
    await again.page.selectOption('#analytics-site', sitekey);
    await again.page.selectOption('#analytics-range', '1h');
    await pollUntil('the history after the restart', 10_000, async () => ((await again.page.locator('[data-total="challenges"]').innerText()) === want.challenges ? true : undefined));
    assert.equal(await again.page.locator('[data-total="failures"]').innerText(), want.failures);
    await again.page.screenshot({ path: screenshotPath('console-analytics-after-restart.png'), fullPage: true });

    // The dashboard's last-hour chart reads the same history, so it does not start empty.
    await show(again.page, 'dashboard');
    await pollUntil('the last-hour chart', 10_000, async () => ((await again.page.locator('#dashboard .chart').first().getAttribute('aria-label'))?.includes('peak 0') === false ? true : undefined));
    assert.deepEqual([...problems, ...again.problems], []);
  });

  test('the dashboard counters agree with their lists of reasons', async () => {
    // Failed answers and failed siteverify calls (the counters restarted with the service).
    await wrongSlide();
    await wrongSlide();
    for (let i = 0; i < 3; i++) assert.equal((await siteverify('hs_wrong-secret-for-the-test', 'x')).success, false);
    const { page } = await signIn();
    await show(page, 'dashboard');
    const sum = async (title: string): Promise<number> => (await page.locator('#dashboard section', { hasText: title }).locator('.bar-value').allInnerTexts()).reduce((n, v) => n + Number(v), 0);
    await pollUntil('the failures on the dashboard', 10_000, async () => (Number(await page.locator('[data-stat="sv-fail"]').innerText()) >= 3 ? true : undefined));
    const failed = Number(await page.locator('[data-stat="fail"]').innerText());
    assert.ok(failed >= 2, `failed answers counted: ${failed}`);
    assert.equal(await sum('Failed answers by reason'), failed, 'the answers list sums to its card');
    assert.equal(await sum('Failed siteverify calls by reason'), Number(await page.locator('[data-stat="sv-fail"]').innerText()), 'the siteverify list sums to its card');
    await page.screenshot({ path: screenshotPath('console-dashboard.png'), fullPage: true });
  });

  test('375 px: no sideways scroll, site actions on screen, chart text at full size', async () => {
    const { page, problems } = await signIn({ width: 375 });
    for (const view of VIEWS) {
      await show(page, view);
      await page.waitForTimeout(200);
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(width <= 375, `${view}: page is ${width} px wide at 375`);
      // Every element with text of its own: its font size (an SVG text's as drawn on screen).
      const smallest = await page.evaluate<number>(`Math.min(...[...document.querySelectorAll('body *')]
        .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && (n.textContent || '').trim() !== '') && el.getClientRects().length > 0)
        .map((el) => (el instanceof SVGTextElement ? parseFloat(getComputedStyle(el).fontSize) * (el.ownerSVGElement.getBoundingClientRect().width / el.ownerSVGElement.viewBox.baseVal.width) : parseFloat(getComputedStyle(el).fontSize))))`);
      assert.ok(smallest >= 11, `${view}: smallest text is ${smallest.toFixed(1)} px`);
      await page.screenshot({ path: screenshotPath(`console-375-${view}.png`), fullPage: true });
    }
    await show(page, 'sites');
    for (const action of ['edit', 'snippet', 'rotate-secret']) {
      // The sites list is rendered after its fetch: wait for the row rather than measure nothing.
      const button = page.locator(`tr[data-sitekey="${sitekey}"] [data-action="${action}"]`);
      await button.waitFor({ state: 'visible' });
      const box = await button.boundingBox();
      assert.ok(box !== null && box.x >= 0 && box.x + box.width <= 375, `${action} is on screen: ${JSON.stringify(box)}`);
    }
    assert.deepEqual(problems, []);
  });

  test('light/dark: the OS default, a toggle that is remembered', async () => {
    const { page } = await signIn({ colorScheme: 'dark' });
    assert.equal(await page.evaluate<string>('document.documentElement.dataset.theme'), 'dark', 'the OS setting without a choice');
    await page.click('#theme-toggle');
    assert.equal(await page.evaluate<string>('document.documentElement.dataset.theme'), 'light');
    assert.equal(await page.locator('#theme-toggle').getAttribute('aria-pressed'), 'false');
    await page.reload();
    assert.equal(await page.evaluate<string>('document.documentElement.dataset.theme'), 'light', 'the choice outlives a reload');
    const light = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    await page.locator('#tab-sites').waitFor();
    await page.click('#theme-toggle');
    assert.notEqual(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor'), light);
    await show(page, 'dashboard');
    await page.screenshot({ path: screenshotPath('console-dark-dashboard.png'), fullPage: true });
  });

  test('favicon: no 404 on any console page', async () => {
    const res = await fetch(`${server.baseUrl}/favicon.ico`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^image\/svg\+xml/);
    const { page, missing } = await signIn();
    for (const view of VIEWS) await show(page, view);
    await page.waitForTimeout(300);
    assert.deepEqual(missing, []);
  });

  test('axe-core: zero WCAG 2.2 A/AA violations on every view, light and dark, 1280 and 375 px', async () => {
    const found: string[] = [];
    for (const [width, colorScheme] of [[1280, 'light'], [1280, 'dark'], [375, 'light']] as const) {
      const { page } = await signIn({ width, colorScheme });
      found.push(...(await axeViolations(page)).map((v) => `${width} ${colorScheme} sites: ${v}`));
      for (const view of VIEWS) {
        await show(page, view);
        await page.waitForTimeout(300);
        found.push(...(await axeViolations(page)).map((v) => `${width} ${colorScheme} ${view}: ${v}`));
      }
      if (width === 1280) {
        // The forms too: rotation and site editing.
        await show(page, 'sites');
        await page.locator(`tr[data-sitekey="${sitekey}"] [data-action="rotate-secret"]`).click();
        found.push(...(await axeViolations(page)).map((v) => `${width} ${colorScheme} rotate form: ${v}`));
        await page.locator(`tr[data-sitekey="${sitekey}"] [data-action="edit"]`).click();
        found.push(...(await axeViolations(page)).map((v) => `${width} ${colorScheme} edit form: ${v}`));
      }
    }
    // The sign-in screen.
    await context?.close();
    context = await browser.newContext({ baseURL: server.baseUrl, bypassCSP: true });
    const login = await context.newPage();
    await login.goto('/admin');
    await login.locator('#admin-token').waitFor();
    found.push(...(await axeViolations(login)).map((v) => `sign-in: ${v}`));
    assert.deepEqual(found, []);
  });
});
