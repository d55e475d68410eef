// The widget, demo site and admin console in real headless Chromium against a real
// `hurdle start` (child process, test hooks on). Screenshots go to .test-artifacts/screenshots/.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN_TOKEN, HANDLE, answerOf, browserTestsMissingMessage, browserTestsRequired, browserTestsUnavailable, humanDrag, launchChromium, nextChallenge, pollUntil, screenshotPath, solveEveryRound,
  startHurdle, watchPage, type HurdleProcess,
} from './browser-harness.js';

const WIDGET = '.hurdle-widget';
const STATUS = `${WIDGET} [role="status"]`;
const CHECK = `${WIDGET} button.chk`;

const unavailable = browserTestsUnavailable();

// Locally a missing Chromium or server build skips the suite (the reason is printed); in CI
// it fails, naming the install command, so the browser tests never vanish unnoticed.
if (unavailable !== undefined && browserTestsRequired()) {
  test('Chromium browser tests can run (required in CI)', () => {
    assert.fail(browserTestsMissingMessage(unavailable));
  });
}

describe('widget in Chromium against hurdle start', { timeout: 170_000, skip: unavailable ?? false }, () => {
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

  async function open(
    path: string,
    options: { colorScheme?: 'light' | 'dark'; locale?: string; beforeGoto?: (page: Page) => void } = {},
  ): Promise<{ page: Page; problems: string[] }> {
    await context?.close().catch(() => {});
    context = await browser.newContext({
      viewport: { width: 520, height: 760 },
      colorScheme: options.colorScheme ?? 'light',
      locale: options.locale ?? 'en-US',
      baseURL: server.baseUrl,
    });
    const page = await context.newPage();
    const problems = watchPage(page);
    options.beforeGoto?.(page);
    await page.goto(path);
    return { page, problems };
  }

  async function state(page: Page): Promise<string> {
    return (await page.locator('.hurdle').getAttribute('data-hurdle-state')) ?? '';
  }

  async function waitState(page: Page, wanted: string, timeoutMs = 15_000): Promise<void> {
    // Attached, not visible: an invisible widget has no box to see.
    await page.locator(`.hurdle[data-hurdle-state="${wanted}"]`).waitFor({ state: 'attached', timeout: timeoutMs });
  }

  /** Waits until a submitted answer is judged: success, or the puzzle back with a message. */
  async function waitOutcome(page: Page): Promise<void> {
    await page.locator('.hurdle[data-hurdle-state="verifying"]').waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    await page.locator('.hurdle[data-hurdle-state="success"], .hurdle[data-hurdle-state="puzzle"], .hurdle[data-hurdle-state="error"]').waitFor({ timeout: 10_000 });
  }

  async function loadPuzzle(page: Page): Promise<{ id: string; x: number }> {
    const challenge = nextChallenge(page);
    await page.locator(CHECK).click();
    const c = await challenge;
    assert.equal(c.type, 'slide');
    await waitState(page, 'puzzle');
    const answer = await answerOf(server.baseUrl, c.id);
    assert.equal(typeof answer.x, 'number');
    return { id: c.id, x: answer.x as number };
  }

  async function submitSignup(page: Page): Promise<string> {
    await page.fill('input[name="name"]', 'Ada');
    await page.fill('input[name="email"]', 'ada@example.com');
    await page.fill('input[name="password"]', 'correct horse battery');
    await Promise.all([page.waitForURL('**/demo/signup'), page.click('#submit')]);
    return page.locator('#result').innerText();
  }

  test('drag-solve the slide puzzle with a human-like path, sign up, see success', async () => {
    const { page, problems } = await open('/demo?theme=light&lang=en&type=slide');
    await page.locator(CHECK).waitFor();
    assert.equal(await page.locator('#submit').isDisabled(), true, 'submit waits for the token');
    await page.screenshot({ path: screenshotPath('widget-idle-light-en.png') });
    const { id } = await loadPuzzle(page);
    await page.locator(WIDGET).screenshot({ path: screenshotPath('widget-puzzle-light-en.png') });
    // Two puzzles by default: the right first answer brings the second into the same widget.
    let round = 0;
    const { rounds } = await solveEveryRound(page, server.baseUrl, id, async (x) => {
      if (++round === 2) {
        assert.match(await page.locator(STATUS).innerText(), /one more puzzle: 2 of 2/i);
        await page.locator(WIDGET).screenshot({ path: screenshotPath('widget-round-2-light-en.png') });
      }
      await humanDrag(page, x);
    });
    assert.equal(rounds, 2);
    await waitState(page, 'success');
    const token = await page.inputValue('input[name="hurdle-response"]');
    assert.ok(token.length > 20, 'the hidden field holds the pass token');
    await page.locator(WIDGET).screenshot({ path: screenshotPath('widget-success-light-en.png') });
    assert.match(await submitSignup(page), /Welcome, Ada!/);
    assert.deepEqual(problems, []);
  });

  test('touch: a finger drags the slider on a phone-sized screen', async () => {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 390, height: 760 }, hasTouch: true, isMobile: true, baseURL: server.baseUrl, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.goto('/demo?lang=en&type=slide');
    const challenge = nextChallenge(page);
    await page.locator(CHECK).tap();
    const c = await challenge;
    await waitState(page, 'puzzle');
    await solveEveryRound(page, server.baseUrl, c.id, (x) => humanDrag(page, x, 'touch'));
    await waitState(page, 'success');
    await page.screenshot({ path: screenshotPath('widget-mobile-touch.png') });
    assert.deepEqual(problems, []);
  });

  // The widget sends a keyboard solve with input 'keyboard': a start marker [0, y, 0], then one
  // sample per key press (1 or 10 px), y the piece centre; the service checks it with its
  // keyboard rules (a key press has no pointer jitter or acceleration).
  test('keyboard alone: Tab, Enter, arrow keys, Enter', async () => {
    const { page, problems } = await open('/demo?theme=dark&lang=en&type=slide', { colorScheme: 'dark' });
    const verifyBody = page.waitForRequest((r) => r.url().endsWith('/v1/verify') && r.method() === 'POST')
      .then((r) => r.postDataJSON() as { answer: { x: number }; trajectory: [number, number, number][]; input?: string; keyboardProof?: string });
    await page.locator(CHECK).waitFor();
    const challenge = nextChallenge(page);
    await page.focus('input[name="password"]');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const c = await challenge;
    await waitState(page, 'puzzle');
    const handle = page.locator(HANDLE);
    assert.equal(await handle.evaluate((el) => el === el.getRootNode().activeElement), true, 'focus moves to the slider');
    assert.match((await handle.getAttribute('aria-label')) ?? '', /slider/i);
    assert.ok(((await handle.getAttribute('aria-describedby')) ?? '') !== '');
    let round = 0;
    const { rounds } = await solveEveryRound(page, server.baseUrl, c.id, async (x) => {
      round++;
      // After the first round the slider keeps focus for the next puzzle.
      assert.equal(await handle.evaluate((el) => el === el.getRootNode().activeElement), true, `round ${round}: focus on the slider`);
      // A person looks first (the service requires a moment), then presses: coarse steps with
      // Shift, then fine steps, at a person's pace.
      await page.waitForTimeout(400);
      const target = Math.round(x);
      let at = 0;
      while (target - at >= 10) {
        await page.keyboard.press('Shift+ArrowRight');
        at += 10;
        await page.waitForTimeout(60 + (at % 7) * 9);
      }
      while (at < target) {
        await page.keyboard.press('ArrowRight');
        at += 1;
        await page.waitForTimeout(90 + (at % 5) * 17);
      }
      assert.equal(Number(await handle.getAttribute('aria-valuenow')), target);
      if (round === 1) await page.locator(WIDGET).screenshot({ path: screenshotPath('widget-puzzle-dark-en.png') });
      await page.keyboard.press('Enter');
    });
    assert.equal(rounds, 2);
    await waitOutcome(page);
    const sent = await verifyBody;
    const target = sent.answer.x;
    assert.equal(sent.input, 'keyboard');
    assert.match(sent.keyboardProof ?? '', /^[0-9]+$/, 'a keyboard answer carries its proof of work');
    const [marker, ...presses] = sent.trajectory;
    assert.deepEqual([marker?.[0], marker?.[2]], [0, 0], 'a start marker at x = 0, tMs = 0');
    assert.equal(presses.length, Math.floor(target / 10) + (target % 10), 'one sample per key press');
    assert.ok(sent.trajectory.every(([, y]) => y === 0), 'y fixed on the track line');
    assert.ok(sent.trajectory.slice(1).every(([x], i) => [1, 10].includes(x - (sent.trajectory[i]?.[0] ?? 0))), 'steps of 1 or 10 px');
    assert.equal(presses.at(-1)?.[0], target);
    assert.equal(await state(page), 'success', `after Enter: ${await page.locator(STATUS).innerText()}`);
    await page.locator(WIDGET).screenshot({ path: screenshotPath('widget-success-dark-en.png') });
    assert.match(await submitSignup(page), /Welcome, Ada!/);
    assert.deepEqual(problems, []);
  });

  test('keyboard alone through the puzzle-free path: Tab to "Verify without the puzzle", Enter', async () => {
    const { page, problems } = await open('/demo?lang=en&type=slide');
    await page.locator(CHECK).waitFor();
    await page.focus('input[name="password"]');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitState(page, 'puzzle');
    // slider -> "New puzzle" -> "Verify without the puzzle"
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>("document.querySelector('.hurdle-widget')?.shadowRoot?.activeElement?.textContent ?? ''");
    assert.equal(focused, 'Verify without the puzzle');
    await page.keyboard.press('Enter');
    await waitState(page, 'success', 30_000);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string>('document.activeElement?.id'), 'submit', 'Tab reaches the enabled submit button');
    assert.deepEqual(problems, []);
  });

  // A site with keyboardSolve: false: the slide payload says keyboard: false, the widget's
  // description no longer offers the keys, arrow keys and Enter do nothing, and the
  // puzzle-free path is still one Tab away.
  test('a site that turned keyboard solving off: keys do nothing, the puzzle-free path stays', async () => {
    const created = await fetch(`${server.baseUrl}/admin/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no keys', challengeTypes: ['slide', 'pow'], difficulty: 8, keyboardSolve: false }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { site } = (await created.json()) as { site: { sitekey: string } };
    const { page, problems } = await open(`/demo?lang=en&type=slide&sitekey=${site.sitekey}`);
    const verifies: string[] = [];
    page.on('request', (r) => { if (r.url().endsWith('/v1/verify')) verifies.push(r.postData() ?? ''); });
    await page.locator(CHECK).waitFor();
    const challenge = nextChallenge(page);
    await page.focus('input[name="password"]');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const c = await challenge;
    assert.equal(c.slide?.keyboard, false);
    await waitState(page, 'puzzle');
    const handle = page.locator(HANDLE);
    assert.equal(await handle.evaluate((el) => el === el.getRootNode().activeElement), true, 'the slider still takes focus');
    const hintId = (await handle.getAttribute('aria-describedby')) ?? '';
    const hint = await page.evaluate<string>(`document.querySelector('.hurdle-widget')?.shadowRoot?.getElementById(${JSON.stringify(hintId)})?.textContent ?? ''`);
    assert.match(hint, /does not accept the arrow keys/);
    assert.doesNotMatch(hint, /Use the left and right arrow keys/);
    await page.waitForTimeout(400);
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press(i % 2 === 0 ? 'Shift+ArrowRight' : 'ArrowRight');
      await page.waitForTimeout(80 + i * 13);
    }
    assert.equal(await handle.getAttribute('aria-valuenow'), '0', 'the arrow keys do not move the piece');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(200);
    assert.equal(await state(page), 'puzzle');
    assert.deepEqual(verifies, [], 'nothing was sent');
    // slider -> "New puzzle" -> "Verify without the puzzle"
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>("document.querySelector('.hurdle-widget')?.shadowRoot?.activeElement?.textContent ?? ''");
    assert.equal(focused, 'Verify without the puzzle');
    await page.keyboard.press('Enter');
    await waitState(page, 'success', 30_000);
    assert.deepEqual(problems, []);
  });

  test('invisible proof of work completes in a Web Worker with progress', async () => {
    const workers: string[] = [];
    const { page, problems } = await open('/demo?size=invisible&lang=zh-CN', {
      locale: 'zh-CN',
      beforeGoto: (p) => p.on('worker', (w) => workers.push(w.url())),
    });
    await waitState(page, 'success', 30_000);
    assert.ok(workers.some((u) => u.endsWith('/widget/hurdle-pow-worker.js')), `workers: ${workers.join(', ')}`);
    const progress = page.locator(`${WIDGET} [role="progressbar"]`);
    assert.equal(await progress.getAttribute('aria-valuenow'), '100', 'the progress bar reached 100%');
    assert.equal(await page.locator('.hurdle-widget .r').getAttribute('lang'), 'zh-CN');
    assert.match(await page.locator(STATUS).innerText(), /验证成功/);
    assert.match(await submitSignup(page), /Welcome, Ada!/);
    assert.deepEqual(problems, []);
  });

  // A site on another origin embeds the widget: the API calls are cross-origin (a preflight
  // for each JSON POST, answered by the service's CORS on /v1/*) and the PoW worker starts
  // from a blob: URL.
  test('cross-origin embed: invisible PoW from another origin', async () => {
    const demoHtml = await (await fetch(`${server.baseUrl}/demo`)).text();
    const sitekey = /data-sitekey="([^"]+)"/.exec(demoHtml)?.[1] ?? '';
    // The embedding site: another origin (localhost vs 127.0.0.1, another port), on loopback.
    const shop = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html lang="en"><body><form><div class="hurdle" data-sitekey="${sitekey}" data-size="invisible"></div></form>`
        + `<script src="${server.baseUrl}/widget/hurdle.js"></script></body></html>`);
    });
    await new Promise<void>((ok) => shop.listen(0, '127.0.0.1', ok));
    try {
      const port = (shop.address() as AddressInfo).port;
      const { page, problems } = await open(`http://localhost:${port}/`);
      const workers: string[] = [];
      page.on('worker', (w) => workers.push(w.url()));
      await page.locator('.hurdle[data-hurdle-state="success"], .hurdle[data-hurdle-state="error"]').waitFor({ state: 'attached', timeout: 30_000 });
      assert.equal(await state(page), 'success', `widget status: ${await page.locator(STATUS).innerText()}`);
      assert.ok((await page.inputValue('input[name="hurdle-response"]')).length > 20);
      assert.deepEqual(problems, []);
    } finally {
      await new Promise((ok) => shop.close(ok));
    }
  });

  test('a wrong answer brings a new puzzle, then the right answer to it passes', async () => {
    const { page, problems } = await open('/demo?lang=en&type=slide');
    const ids: string[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/v1/challenge') && r.status() === 200) void r.json().then((c: { id: string }) => ids.push(c.id), () => {});
    });
    const { x } = await loadPuzzle(page);
    const maxX = Number(await page.locator(HANDLE).getAttribute('aria-valuemax'));
    await humanDrag(page, x > maxX / 2 ? x - 60 : x + 60);
    await pollUntil('the new-puzzle message', 10_000, async () => (/new puzzle/i.test(await page.locator(STATUS).innerText()) ? true : undefined));
    await waitState(page, 'puzzle');
    assert.equal(Number(await page.locator(HANDLE).getAttribute('aria-valuenow')), 0, 'the piece goes back to the start');
    await page.locator(WIDGET).screenshot({ path: screenshotPath('widget-retry-light-en.png') });
    // A failed answer ends its puzzle: the widget fetched a new one.
    await pollUntil('a second challenge', 10_000, async () => (ids.length >= 2 ? true : undefined));
    const live = ids[ids.length - 1];
    assert.ok(live !== undefined && live !== ids[0]);
    await solveEveryRound(page, server.baseUrl, live, (x) => humanDrag(page, x));
    await waitState(page, 'success');
    assert.deepEqual(problems, []);
  });

  test('an expired puzzle offers a refresh that loads a new one', async () => {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 520, height: 760 }, baseURL: server.baseUrl, locale: 'en-US' });
    const page = await context.newPage();
    await page.clock.install();
    await page.goto('/demo?lang=en&type=slide');
    const first = nextChallenge(page);
    await page.locator(CHECK).click();
    const c1 = await first;
    await waitState(page, 'puzzle');
    await page.clock.fastForward('10:00');
    await waitState(page, 'expired');
    assert.match(await page.locator(STATUS).innerText(), /expired/i);
    const refresh = page.locator(`${WIDGET} button.link`).first();
    assert.equal(await refresh.evaluate((el) => el === el.getRootNode().activeElement), true, 'focus moves to the refresh button');
    const second = nextChallenge(page);
    await refresh.click();
    const c2 = await second;
    assert.notEqual(c2.id, c1.id);
    await waitState(page, 'puzzle');
  });

  test('an unused pass token expires: field cleared, hurdle:expired fired, invisible mode verifies again', async () => {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 520, height: 760 }, baseURL: server.baseUrl, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watchPage(page);
    await page.clock.install();
    await page.goto('/demo?lang=en&size=invisible');
    await page.evaluate(`window.expiredEvents = 0;
      document.addEventListener('hurdle:expired', () => {
        window.expiredEvents++;
        window.fieldAtExpiry = document.querySelector('input[name="hurdle-response"]').value;
      });`);
    await waitState(page, 'success', 30_000);
    const first = await page.inputValue('input[name="hurdle-response"]');
    assert.ok(first.length > 20);
    const again = nextChallenge(page);
    await page.clock.fastForward('30:00');
    await again;
    assert.equal(await page.evaluate<number>('window.expiredEvents'), 1);
    assert.equal(await page.evaluate<string>('window.fieldAtExpiry'), '', 'the expired token left the form');
    await waitState(page, 'success', 30_000);
    const second = await page.inputValue('input[name="hurdle-response"]');
    assert.ok(second.length > 20 && second !== first, 'a fresh token replaced the expired one');
    assert.deepEqual(problems, []);
  });

  test("lang auto follows the visitor's browser language before the page's", async () => {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 520, height: 760 }, baseURL: server.baseUrl, locale: 'zh-CN' });
    const page = await context.newPage();
    const problems = watchPage(page);
    // The demo page itself is English (<html lang="en">); the widget is left on auto.
    await page.goto('/demo?type=slide');
    assert.equal(await page.evaluate<string>('document.documentElement.lang'), 'en');
    await loadPuzzle(page);
    assert.match(await page.locator(`${WIDGET} .title`).innerText(), /拖动滑块/);
    assert.deepEqual(problems, []);
  });

  test('screenshots: light/dark, en/zh-CN', async () => {
    for (const [theme, lang] of [['light', 'zh-CN'], ['dark', 'zh-CN']] as const) {
      const { page, problems } = await open(`/demo?theme=${theme}&lang=${lang}&type=slide`, { colorScheme: theme });
      await loadPuzzle(page);
      await page.locator(WIDGET).screenshot({ path: screenshotPath(`widget-puzzle-${theme}-${lang}.png`) });
      assert.match(await page.locator(`${WIDGET} .title`).innerText(), /拖动滑块/);
      assert.deepEqual(problems, []);
    }
  });

  test('admin console: a new site works in the widget within the refresh interval; dashboard', async () => {
    const { page, problems } = await open('/admin');
    await page.setViewportSize({ width: 1180, height: 820 });
    await page.fill('#admin-token', ADMIN_TOKEN);
    await page.click('#login button[type="submit"]');
    await page.locator('#sites-table').waitFor();
    await page.click('#new-site');
    await page.fill('#site-form input[name="name"]', 'Widget test site');
    await page.selectOption('#site-form select[name="challengeTypes"]', 'slide');
    await page.click('#site-form button[type="submit"]');
    const snippet = await page.locator('#snippet').innerText();
    const sitekey = /data-sitekey="([^"]+)"/.exec(snippet)?.[1];
    assert.ok(sitekey, `snippet names the sitekey: ${snippet}`);
    assert.ok((await page.locator('#secret').innerText()).length > 10, 'the secret is shown once');
    await page.locator(`tr[data-sitekey="${sitekey}"]`).waitFor();
    await page.screenshot({ path: screenshotPath('admin-sites.png') });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('hurdle-admin-token')), ADMIN_TOKEN);

    // The new sitekey in the widget: loaded as soon as the mirror has it.
    const widgetPage = await context.newPage();
    const created = Date.now();
    await pollUntil('the new site to reach the widget', 20_000, async () => {
      await widgetPage.goto(`/demo?sitekey=${sitekey}&lang=en`);
      const challenge = nextChallenge(widgetPage).catch(() => undefined);
      await widgetPage.locator(CHECK).click();
      await widgetPage.locator('.hurdle[data-hurdle-state="puzzle"], .hurdle[data-hurdle-state="error"]').waitFor();
      if ((await state(widgetPage)) !== 'puzzle') return undefined;
      const c = await challenge;
      if (c === undefined) return undefined;
      await solveEveryRound(widgetPage, server.baseUrl, c.id, (x) => humanDrag(widgetPage, x));
      await waitState(widgetPage, 'success');
      return true;
    }, 250);
    assert.ok(Date.now() - created < 20_000);

    await page.click('#tab-dashboard');
    // A few seconds of light traffic (bounded), so the live charts have something to draw.
    const traffic = (async () => {
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        await Promise.all(Array.from({ length: 4 }, async () => {
          const res = await fetch(`${server.baseUrl}/v1/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sitekey, type: 'slide' }) });
          const c = (await res.json()) as { id?: string };
          if (c.id === undefined) return;
          await fetch(`${server.baseUrl}/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: c.id, answer: { x: 1 }, trajectory: [[0, 0, 0], [1, 0, 10]] }) });
        }));
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    await pollUntil('dashboard figures', 10_000, async () => {
      const passed = await page.locator('[data-stat="pass"]').innerText();
      return passed !== '–' && passed !== '0' ? true : undefined;
    });
    await traffic;
    await page.waitForTimeout(1200); // the last samples reach the charts
    await page.screenshot({ path: screenshotPath('admin-dashboard.png'), fullPage: true });

    // Edit, rotate the secret (a grace is asked for first), disable.
    await page.click('#tab-sites');
    const row = page.locator(`tr[data-sitekey="${sitekey}"]`);
    await row.locator('[data-action="edit"]').click();
    await page.fill('#site-form input[name="name"]', 'Widget test site (renamed)');
    await page.click('#site-form button[type="submit"]');
    await row.locator('td', { hasText: 'Widget test site (renamed)' }).waitFor();
    await row.locator('[data-action="rotate-secret"]').click();
    await page.click('#rotate-confirm');
    await page.locator('#secret').waitFor();
    assert.match(await page.locator('.msg').innerText(), /Rotated/);
    await row.locator('[data-action="disable"]').click();
    await row.locator('.pill.off').waitFor();
    // ...and the widget says so once the mirror has the change.
    await pollUntil('the disabled site to reach the widget', 20_000, async () => {
      await widgetPage.goto(`/demo?sitekey=${sitekey}&lang=en`);
      await widgetPage.locator(CHECK).click();
      await widgetPage.locator('.hurdle[data-hurdle-state="puzzle"], .hurdle[data-hurdle-state="error"]').waitFor();
      return (await state(widgetPage)) === 'error' ? true : undefined;
    }, 250);
    assert.match(await widgetPage.locator(STATUS).innerText(), /switched off/);
    assert.deepEqual(problems, []);
  });
});
