// The widget for everyone, in real headless Chromium against a real `hurdle start`: each size
// at 320/375/1280 px (no sideways scroll, exact pointer mapping at every scale), right-to-left
// languages, `auto` with a non-English browser, every language's layout, invisible mode, the
// expiry message, keyboard-only solving, screen-reader names, and axe-core (WCAG 2.2 A/AA)
// with zero violations. Screenshots go to .test-artifacts/screenshots/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  HANDLE, answerOf, browserTestsMissingMessage, browserTestsRequired, browserTestsUnavailable, humanDrag, launchChromium, nextChallenge, screenshotPath,
  solveEveryRound, startHurdle, watchPage, type HurdleProcess,
} from './browser-harness.js';

const WIDGET = '.hurdle-widget';
const STATUS = `${WIDGET} [role="status"]`;
const CHECK = `${WIDGET} button.chk`;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const LOCALES_DIR = fileURLToPath(new URL('../../client/locales/', import.meta.url));
type Locale = Record<'verify' | 'verifyLabel' | 'slideTitle' | 'sliderLabel' | 'success' | 'expired' | 'refresh' | 'brand' | 'nextRound', string>;
const locale = (tag: string): Locale => JSON.parse(readFileSync(join(LOCALES_DIR, `${tag}.json`), 'utf8')) as Locale;
const LANGS = ['en', ...(/export const LANGS = \[([^\]]*)\]/.exec(readFileSync(fileURLToPath(new URL('../../client/i18n.ts', import.meta.url)), 'utf8'))?.[1] ?? '')
  .split(',').map((s) => s.trim().replace(/'/g, '')).filter((s) => s !== '' && s !== 'en')];

const unavailable = browserTestsUnavailable();
if (unavailable !== undefined && browserTestsRequired()) {
  test('Chromium browser tests can run (required in CI)', () => {
    assert.fail(browserTestsMissingMessage(unavailable));
  });
}

interface AxeViolation { id: string; impact: string; help: string; targets: string[] }

/** axe-core over the widget (open shadow roots included), WCAG 2.0-2.2 A and AA rules. */
async function axe(page: Page, selector = '#captcha'): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate<AxeViolation[]>(`(async () => {
    const result = await window.axe.run({ include: [${JSON.stringify(selector)}] }, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  })()`);
}

function assertNoViolations(violations: AxeViolation[], where: string): void {
  assert.deepEqual(violations, [], `${where}: ${violations.map((v) => `${v.id} (${v.help}) at ${v.targets.join(' ')}`).join('; ')}`);
}

describe('widget sizes, languages and accessibility in Chromium', { timeout: 420_000, skip: unavailable ?? false }, () => {
  let server: HurdleProcess;
  let browser: Browser;
  let context: BrowserContext | undefined;

  before(async () => {
    [server, browser] = await Promise.all([startHurdle(), launchChromium()]);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  async function open(path: string, options: { width?: number; locale?: string; colorScheme?: 'light' | 'dark'; clock?: boolean } = {}): Promise<{ page: Page; problems: string[] }> {
    await context?.close().catch(() => {});
    context = await browser.newContext({
      viewport: { width: options.width ?? 520, height: 800 },
      colorScheme: options.colorScheme ?? 'light',
      locale: options.locale ?? 'en-US',
      baseURL: server.baseUrl,
    });
    const page = await context.newPage();
    const problems = watchPage(page);
    if (options.clock === true) await page.clock.install();
    await page.goto(path);
    return { page, problems };
  }

  async function waitState(page: Page, wanted: string, timeoutMs = 15_000): Promise<void> {
    // Attached, not visible: an invisible widget has no box to see.
    await page.locator(`.hurdle[data-hurdle-state="${wanted}"]`).waitFor({ state: 'attached', timeout: timeoutMs });
  }

  /** Waits for the widget's strings to be in `lang` (English is there at once, others load). */
  async function waitLang(page: Page, lang: string): Promise<void> {
    await page.locator(`${WIDGET} .r[lang="${lang}"]`).waitFor({ timeout: 10_000 });
  }

  async function loadPuzzle(page: Page): Promise<{ id: string; x: number; width: number; pieceWidth: number }> {
    const challenge = nextChallenge(page);
    await page.locator(CHECK).click();
    const c = await challenge;
    assert.equal(c.type, 'slide');
    await waitState(page, 'puzzle');
    const answer = await answerOf(server.baseUrl, c.id);
    return { id: c.id, x: answer.x as number, width: c.slide?.width ?? 0, pieceWidth: c.slide?.pieceWidth ?? 0 };
  }

  /** Horizontal overflow of the page (0 when nothing scrolls sideways). */
  async function sidewaysScroll(page: Page): Promise<number> {
    return page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
  }

  /** Elements of the widget whose text is cut off or spills out of their box. */
  async function overflowing(page: Page): Promise<string[]> {
    return page.evaluate(`(() => {
      const root = document.querySelector('.hurdle-widget').shadowRoot;
      const out = [];
      for (const el of root.querySelectorAll('.r, .bar, .chk, .brand, .title, .tools, .link, .hint, .st, .badge')) {
        if (el.offsetParent === null && getComputedStyle(el).position !== 'fixed') continue;
        if (el.classList.contains('sr')) continue;
        if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
          out.push(el.className + ' ' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' + el.clientWidth + 'x' + el.clientHeight + ': ' + el.textContent);
        }
      }
      const r = root.querySelector('.r').getBoundingClientRect();
      const host = document.getElementById('captcha').getBoundingClientRect();
      if (r.right > host.right + 1 || r.left < host.left - 1) out.push('widget wider than its container');
      return out;
    })()`);
  }

  for (const size of ['normal', 'compact', 'flexible'] as const) {
    for (const width of [320, 375, 1280]) {
      test(`size ${size} at ${width} px: fits, no sideways scroll, the puzzle scales and a drag lands exactly; axe clean`, async () => {
        const { page, problems } = await open(`/demo?lang=en&type=slide&size=${size}`, { width });
        await page.locator(CHECK).waitFor();
        assert.equal(await sidewaysScroll(page), 0, 'no horizontal scroll');
        const container = await page.locator('#captcha').evaluate((el) => el.getBoundingClientRect().width);
        const widgetWidth = await page.locator(`${WIDGET} .r`).evaluate((el) => el.getBoundingClientRect().width);
        const expected = size === 'normal' ? Math.min(320, container) : size === 'compact' ? Math.min(240, container) : container;
        assert.ok(Math.abs(widgetWidth - expected) <= 1, `${size} in a ${container} px container is ${widgetWidth} px, expected ${expected}`);
        if (size === 'flexible') assert.ok(widgetWidth >= 260, 'flexible stays at 260 px or more');
        assertNoViolations(await axe(page), `${size} ${width} idle`);

        // Each answer, and where the piece is shown while it is on its way (the request is
        // held a moment to look).
        const sent: { x: number; shownX: number }[] = [];
        await page.route('**/v1/verify', async (route) => {
          const shownLeft = await page.evaluate<number>("parseFloat(document.querySelector('.hurdle-widget').shadowRoot.querySelector('.piece').style.left)");
          const stageWidth = await page.evaluate<number>("document.querySelector('.hurdle-widget').shadowRoot.querySelector('.stage').clientWidth");
          const body = route.request().postDataJSON() as { answer: { x: number } };
          sent.push({ x: body.answer.x, shownX: shownLeft / (stageWidth / puzzle.width) });
          await route.continue();
        });
        const puzzle = await loadPuzzle(page);
        assert.equal(await sidewaysScroll(page), 0, 'no horizontal scroll with the puzzle open');
        assert.deepEqual(await overflowing(page), []);
        const geometry = await page.evaluate<{ stage: number; handle: number; track: number }>(`(() => {
          const root = document.querySelector('.hurdle-widget').shadowRoot;
          return { stage: root.querySelector('.stage').clientWidth, handle: root.querySelector('.handle').getBoundingClientRect().width, track: root.querySelector('.track').clientWidth };
        })()`);
        const scale = geometry.stage / puzzle.width;
        assert.ok(Math.abs(geometry.handle - puzzle.pieceWidth * scale) < 0.6, `the handle is the shown piece's width (${geometry.handle} vs ${puzzle.pieceWidth * scale})`);
        assert.ok(Math.abs(geometry.track - geometry.stage) < 1, 'the track is as wide as the picture');
        assertNoViolations(await axe(page), `${size} ${width} puzzle`);
        await page.screenshot({ path: screenshotPath(`size-${size}-${width}.png`), fullPage: true });

        const targets: number[] = [];
        const { last } = await solveEveryRound(page, server.baseUrl, puzzle.id, async (x) => {
          targets.push(x);
          await humanDrag(page, x);
        });
        assert.equal(last.success, true, `the last answer: ${JSON.stringify(last)}`);
        assert.equal(sent.length, targets.length);
        targets.forEach((x, i) => {
          const answer = sent[i] as { x: number; shownX: number };
          // A pointer move of d px is d / scale background px: the piece lands where it was dragged.
          assert.ok(Math.abs(answer.x - x) <= 1, `round ${i + 1}: dragged to ${x}, sent ${answer.x} (scale ${scale.toFixed(3)})`);
          assert.ok(Math.abs(answer.shownX - answer.x) < 0.2, `round ${i + 1}: the piece is shown at the sent x (${answer.shownX} vs ${answer.x})`);
        });
        await waitState(page, 'success');
        assertNoViolations(await axe(page), `${size} ${width} success`);
        assert.deepEqual(problems, []);
      });
    }
  }

  test('right to left (Arabic): mirrored text and controls, the puzzle geometry left to right, keyboard-only solve; axe clean', async () => {
    const ar = locale('ar');
    const { page, problems } = await open('/demo?lang=ar&type=slide', { width: 375 });
    await waitLang(page, 'ar');
    const root = page.locator(`${WIDGET} .r`);
    assert.equal(await root.getAttribute('dir'), 'rtl');
    assert.equal(await page.locator(CHECK).innerText(), ar['verify']);
    // Mirrored: the check box sits at the right, the brand at the left.
    const box = await page.locator(`${WIDGET} .box`).boundingBox();
    const brand = await page.locator(`${WIDGET} .brand`).boundingBox();
    assert.ok(box !== null && brand !== null && box.x > brand.x, 'the check box is on the right in RTL');
    assertNoViolations(await axe(page), 'ar idle');

    // Keyboard only: Tab to the widget, Enter, arrow keys, Enter (each round).
    const challenge = nextChallenge(page);
    await page.focus('input[name="password"]');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const c = await challenge;
    await waitState(page, 'puzzle');
    assert.equal(await page.locator(`${WIDGET} .geo`).getAttribute('dir'), 'ltr', 'the picture and the track stay left to right');
    assert.equal(await page.locator(`${WIDGET} .title`).innerText(), ar['slideTitle']);
    const handle = page.locator(HANDLE);
    assert.equal(await handle.getAttribute('aria-label'), ar['sliderLabel']);
    assertNoViolations(await axe(page), 'ar puzzle');
    await page.locator(WIDGET).screenshot({ path: screenshotPath('rtl-ar-puzzle.png') });
    let round = 0;
    const { last } = await solveEveryRound(page, server.baseUrl, c.id, async (x) => {
      if (++round === 2) {
        // The next round's notice, in Arabic, with the round numbers filled in.
        assert.equal(await page.locator(STATUS).innerText(), ar['nextRound'].replace('{n}', '2').replace('{m}', '2'));
        await page.locator(WIDGET).screenshot({ path: screenshotPath('rtl-ar-round-2.png') });
      }
      const verifyBody = page.waitForRequest((r) => r.url().endsWith('/v1/verify') && r.method() === 'POST').then((r) => r.postDataJSON() as { answer: { x: number }; input?: string });
      const target = Math.round(x);
      await page.waitForTimeout(400);
      let at = 0;
      // ArrowRight moves the piece right, as in every language: it follows the picture, not the text.
      while (target - at >= 10) { await page.keyboard.press('Shift+ArrowRight'); at += 10; await page.waitForTimeout(60 + (at % 7) * 9); }
      while (at < target) { await page.keyboard.press('ArrowRight'); at += 1; await page.waitForTimeout(90 + (at % 5) * 17); }
      assert.equal(Number(await handle.getAttribute('aria-valuenow')), target);
      const handleBox = await handle.boundingBox();
      const trackBox = await page.locator(`${WIDGET} .track`).boundingBox();
      assert.ok(target === 0 || (handleBox !== null && trackBox !== null && handleBox.x > trackBox.x + 1), 'the handle moved right');
      await page.keyboard.press('Enter');
      const sent = await verifyBody;
      assert.equal(sent.input, 'keyboard');
      assert.equal(sent.answer.x, target, 'the answer is the service\'s left-to-right x');
    });
    assert.equal(last.success, true, `the last answer: ${JSON.stringify(last)}`);
    await waitState(page, 'success', 20_000);
    assert.match(await page.locator(STATUS).innerText(), new RegExp(ar['success']));
    await page.locator(WIDGET).screenshot({ path: screenshotPath('rtl-ar-success.png') });
    assertNoViolations(await axe(page), 'ar success');
    assert.deepEqual(problems, []);
  });

  test('Hebrew and Persian at 320 px compact: right to left, nothing cut off; axe clean', async () => {
    for (const lang of ['he', 'fa']) {
      const { page, problems } = await open(`/demo?lang=${lang}&type=slide&size=compact`, { width: 320 });
      await waitLang(page, lang);
      assert.equal(await page.locator(`${WIDGET} .r`).getAttribute('dir'), 'rtl');
      await loadPuzzle(page);
      assert.deepEqual(await overflowing(page), []);
      assert.equal(await sidewaysScroll(page), 0);
      assertNoViolations(await axe(page), `${lang} puzzle`);
      await page.screenshot({ path: screenshotPath(`rtl-${lang}-compact-320.png`), fullPage: true });
      assert.deepEqual(problems, []);
    }
  });

  test('lang auto with a German browser on an English page: German, loaded once from /widget/locales/de.json', async () => {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 375, height: 800 }, locale: 'de-DE', baseURL: server.baseUrl });
    const page = await context.newPage();
    const problems = watchPage(page);
    const localeRequests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/widget/locales/')) localeRequests.push(new URL(r.url()).pathname); });
    await page.goto('/demo?type=slide');
    assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
    await waitLang(page, 'de');
    const de = locale('de');
    assert.equal(await page.locator(CHECK).innerText(), de['verify']);
    assert.equal(await page.getByRole('group', { name: de['verifyLabel'] }).count(), 1);
    // A second widget on the page takes the strings already loaded.
    await page.evaluate(`(() => { const d = document.createElement('div'); d.id = 'second'; document.body.append(d); window.secondId = window.hurdle.render(d, { sitekey: document.getElementById('captcha').dataset.sitekey }); })()`);
    await page.locator('#second .hurdle-widget').waitFor();
    await page.waitForFunction(`document.querySelector('#second .hurdle-widget').shadowRoot.querySelector('.r').lang === 'de'`, undefined, { timeout: 5000 });
    assert.deepEqual(localeRequests, ['/widget/locales/de.json'], 'one request for the language');
    await page.evaluate('window.hurdle.remove(window.secondId)');
    await loadPuzzle(page);
    assert.equal(await page.locator(`${WIDGET} .title`).first().innerText(), de['slideTitle']);
    await page.locator(WIDGET).first().screenshot({ path: screenshotPath('auto-de-DE-puzzle.png') });
    assertNoViolations(await axe(page), 'de puzzle');
    assert.deepEqual(problems, []);
  });

  test('a site overrides strings (data-strings); an unknown key or bad JSON changes nothing else', async () => {
    const { page, problems } = await open('/demo?lang=fr&type=slide');
    await waitLang(page, 'fr');
    await page.evaluate(`(() => {
      const d = document.createElement('div'); d.id = 'custom'; d.className = 'hurdle';
      d.dataset.sitekey = document.getElementById('captcha').dataset.sitekey; d.dataset.lang = 'fr';
      d.dataset.strings = JSON.stringify({ verify: 'Je ne suis pas un robot', nope: 'x', brand: 42 });
      document.body.append(d); window.hurdle.scan();
    })()`);
    const custom = page.locator('#custom .hurdle-widget');
    await page.waitForFunction(`document.querySelector('#custom .hurdle-widget')?.shadowRoot.querySelector('.r').lang === 'fr'`, undefined, { timeout: 5000 });
    assert.equal(await custom.locator('button.chk').innerText(), 'Je ne suis pas un robot');
    assert.equal(await custom.locator('.brand').innerText(), locale('fr')['brand']);
    assert.deepEqual(problems, []);
  });

  test('every language fits the compact widget at 320 px: no label cut off or spilling out', async () => {
    const failures: string[] = [];
    for (const lang of LANGS) {
      const { page, problems } = await open(`/demo?lang=${lang}&type=slide&size=compact`, { width: 320 });
      await waitLang(page, lang);
      const idle = await overflowing(page);
      await loadPuzzle(page);
      const puzzle = await overflowing(page);
      // The longest messages, shown in the status line.
      await page.locator(`${WIDGET} button.link`).last().evaluate((el) => el.scrollIntoView());
      for (const problem of [...idle, ...puzzle, ...problems]) failures.push(`${lang}: ${problem}`);
      if (await sidewaysScroll(page) > 0) failures.push(`${lang}: the page scrolls sideways`);
      if (['ja', 'de', 'ru', 'fi', 'el', 'hi', 'th'].includes(lang)) await page.locator(WIDGET).screenshot({ path: screenshotPath(`lang-${lang}-compact.png`) });
    }
    assert.deepEqual(failures, []);
  });

  test('invisible on submit: no box, an inline badge; the submit waits for the proof of work and goes on; axe clean', async () => {
    const { page, problems } = await open('/demo?lang=en&size=invisible&execution=submit&badge=inline', { width: 375 });
    const challenges: string[] = [];
    page.on('request', (r) => { if (r.url().endsWith('/v1/challenge')) challenges.push(r.url()); });
    await page.locator(`${WIDGET} .badge`).waitFor();
    await page.waitForTimeout(500);
    assert.deepEqual(challenges, [], 'nothing runs before the submit');
    assert.equal(await page.locator(CHECK).isVisible(), false, 'no check box');
    const frame = await page.evaluate<string>("(() => { const s = getComputedStyle(document.querySelector('.hurdle-widget').shadowRoot.querySelector('.r')); return `${s.borderTopWidth} ${s.paddingTop} ${s.backgroundColor}`; })()");
    assert.equal(frame, '0px 0px rgba(0, 0, 0, 0)', 'no frame, padding or background');
    assert.match(await page.locator(`${WIDGET} .badge`).innerText(), /Protected by Hurdle/);
    assertNoViolations(await axe(page), 'invisible idle');
    await page.screenshot({ path: screenshotPath('invisible-badge-inline.png'), fullPage: true });
    await page.fill('input[name="name"]', 'Ada');
    await page.fill('input[name="email"]', 'ada@example.com');
    await page.fill('input[name="password"]', 'correct horse battery');
    assert.equal(await page.locator('#submit').isDisabled(), false, 'the submit button is live');
    await Promise.all([page.waitForURL('**/demo/signup', { timeout: 30_000 }), page.click('#submit')]);
    assert.match(await page.locator('#result').innerText(), /Welcome, Ada!/);
    assert.equal(challenges.length, 1);
    assert.deepEqual(problems, []);
  });

  test('invisible on execute(): nothing until hurdle.execute(), then a token; a fixed corner badge; axe clean', async () => {
    const { page, problems } = await open('/demo?lang=en&size=invisible&execution=execute&badge=bottomright', { width: 1280 });
    await page.locator(`${WIDGET} .badge`).waitFor();
    await page.waitForTimeout(400);
    assert.equal(await page.locator('.hurdle').getAttribute('data-hurdle-state'), 'idle');
    const badge = await page.locator(`${WIDGET} .badge`).boundingBox();
    assert.ok(badge !== null && badge.x + badge.width > 1280 - 40 && badge.y + badge.height > 800 - 40, 'the badge sits in the bottom-right corner');
    await page.evaluate('window.hurdle.execute()');
    await waitState(page, 'success', 30_000);
    assert.ok((await page.inputValue('input[name="hurdle-response"]')).length > 20);
    assert.equal(await page.locator(`${WIDGET} .st`).evaluate((el) => el.classList.contains('sr')), true, 'success is announced, not shown');
    assertNoViolations(await axe(page), 'invisible success');
    await page.screenshot({ path: screenshotPath('invisible-badge-bottomright.png') });
    assert.deepEqual(problems, []);
  });

  test('invisible, when it cannot complete: a visible box says why and offers Try again; axe clean', async () => {
    const { page, problems } = await open('/demo?lang=en&size=invisible&sitekey=hk_no_such_site_key', { width: 375 });
    await waitState(page, 'error');
    assert.equal(await page.locator(CHECK).isVisible(), true, 'the Try again button is shown');
    assert.equal(await page.locator(CHECK).innerText(), 'Try again');
    assert.match(await page.locator(STATUS).innerText(), /site key is not valid/);
    assert.equal(await page.locator(`${WIDGET} .st`).evaluate((el) => el.classList.contains('sr')), false, 'the message is on screen');
    assertNoViolations(await axe(page), 'invisible error');
    await page.locator(WIDGET).screenshot({ path: screenshotPath('invisible-error.png') });
    assert.deepEqual(problems, []);
  });

  test('the expiry message, in the visitor\'s language, with focus on the new-puzzle button; axe clean', async () => {
    const de = locale('de');
    const { page, problems } = await open('/demo?lang=de&type=slide', { clock: true });
    await waitLang(page, 'de');
    await loadPuzzle(page);
    await page.clock.fastForward('10:00');
    await waitState(page, 'expired');
    assert.equal(await page.locator(STATUS).innerText(), de['expired']);
    const refresh = page.locator(`${WIDGET} button.link`).first();
    assert.equal(await refresh.innerText(), de['refresh']);
    assert.equal(await refresh.evaluate((el) => el === el.getRootNode().activeElement), true);
    assertNoViolations(await axe(page), 'expired');
    await page.locator(WIDGET).screenshot({ path: screenshotPath('expired-de.png') });
    assert.deepEqual(problems, []);
  });

  test('screen-reader names: button, slider with value text and description, status, progress; dark theme axe clean', async () => {
    const { page, problems } = await open('/demo?lang=en&type=slide&theme=dark', { colorScheme: 'dark' });
    await page.getByRole('button', { name: 'I am human' }).waitFor();
    assert.equal(await page.getByRole('group', { name: 'Verify that I am human' }).count(), 1);
    assert.equal(await page.getByRole('status').count(), 1);
    assertNoViolations(await axe(page), 'dark idle');
    await loadPuzzle(page);
    const slider = page.getByRole('slider', { name: 'Puzzle slider' });
    assert.equal(await slider.count(), 1);
    assert.match((await slider.getAttribute('aria-valuetext')) ?? '', /^Piece at 0 of \d+ pixels$/);
    const description = await page.evaluate<string>("(() => { const root = document.querySelector('.hurdle-widget').shadowRoot; return root.getElementById(root.querySelector('.handle').getAttribute('aria-describedby')).textContent; })()");
    assert.match(description, /Drag the slider .*arrow keys/);
    assert.equal(await page.getByRole('button', { name: 'Verify without the puzzle' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'New puzzle' }).count(), 1);
    // The picture is decoration for a screen reader: the slider and its description carry the task.
    assert.equal(await page.locator(`${WIDGET} .stage`).getAttribute('aria-hidden'), 'true');
    assertNoViolations(await axe(page), 'dark puzzle');
    await page.locator(WIDGET).screenshot({ path: screenshotPath('a11y-dark-puzzle.png') });
    await page.getByRole('button', { name: 'Verify without the puzzle' }).click();
    await waitState(page, 'success', 30_000);
    assert.equal(await page.getByRole('button', { name: 'Verified' }).count(), 1);
    assert.deepEqual(problems, []);
  });
});
