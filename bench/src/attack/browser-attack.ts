/**
 * Attempts at a token through a real browser on the service's /demo page: the widget, its
 * browser probe and its trace as a visitor's browser runs them. The pointer is driven over the
 * DevTools protocol (playwright's page.mouse sends Input.dispatchMouseEvent), which Chromium
 * delivers as trusted input: what tells a bot from a person here is the rest of the browser.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page, Response } from 'playwright-core';
import type { ChallengeResponse } from './api-client.js';
import { sleep } from './attack-run.js';
import type { TrialOutcome } from './attack-run.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHECK = '.hurdle-widget button.chk';
const HANDLE = '.hurdle-widget [role="slider"]';

/** `chromium --version`, as the figures are printed with. */
export function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return 'unknown';
  }
}

/** Playwright's default headless Chromium: what a bot gets without spoofing anything. */
export function launchHeadless(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/**
 * A headed Chromium on an X display, started as a person starts it: no automation switch, no
 * DevTools pipe, only a DevTools port the bench connects to (chromium.connectOverCDP). Chromium
 * marks any browser with a DevTools port or pipe as automated (navigator.webdriver); a person's
 * browser has neither, so the mark is turned off (`AutomationControlled`, as playwright's own test
 * runner does): the page then sees what it sees in a person's browser. The bench checks it.
 * Returns the browser and a stop that ends the process.
 */
export async function launchHeaded(display: string): Promise<{ browser: Browser; stop: () => Promise<void> }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'hurdle-headed-'));
  const child = spawn(CHROMIUM, [
    '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check', '--no-sandbox',
    '--window-size=1280,900', '--window-position=0,0', '--disable-gpu', '--disable-blink-features=AutomationControlled', 'about:blank',
  ], { env: { ...process.env, DISPLAY: display }, stdio: ['ignore', 'ignore', 'pipe'] });
  process.on('exit', () => child.kill('SIGKILL'));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`headed Chromium gave no DevTools endpoint: ${err.slice(-300)}`)), 20_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`headed Chromium exited (${String(code)}): ${err.slice(-300)}`));
    });
  });
  const browser = await chromium.connectOverCDP(endpoint);
  return {
    browser,
    stop: async () => {
      await browser.close().catch(() => {});
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

/** A virtual X display (what `xvfb-run` starts), torn down by `stop`. */
export async function startXvfb(): Promise<{ display: string; stop: () => void }> {
  for (let n = 90; n < 110; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const c = spawn('Xvfb', [`:${n}`, '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && c.exitCode === null && !existsSync(`/tmp/.X11-unix/X${n}`)) await sleep(50);
    if (c.exitCode === null && existsSync(`/tmp/.X11-unix/X${n}`)) {
      const display = `:${n}`;
      process.on('exit', () => c.kill('SIGKILL'));
      return { display, stop: () => c.kill('SIGTERM') };
    }
    c.kill('SIGKILL');
  }
  throw new Error('could not start Xvfb (apt-get install -y xvfb)');
}

/** The slider as laid out in the page: where to press, and CSS px per background px of travel. */
interface LiveGeometry {
  readonly x: number;
  readonly y: number;
  readonly pxPerX: number;
}

async function liveGeometry(page: Page): Promise<LiveGeometry> {
  const handle = page.locator(HANDLE);
  await handle.waitFor({ state: 'visible', timeout: 10_000 });
  await handle.scrollIntoViewIfNeeded({ timeout: 5_000 });
  // Runs in the page (the bench is compiled without DOM types): the handle, its track.
  type Box = { x: number; y: number; width: number; height: number };
  type El = { getBoundingClientRect(): Box; offsetWidth: number; clientWidth: number; parentElement: El; getAttribute(name: string): string | null };
  const g = await handle.evaluate((node) => {
    const el = node as unknown as El;
    const r = el.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2, travel: el.parentElement.clientWidth - el.offsetWidth, maxX: Number(el.getAttribute('aria-valuemax')) };
  });
  return { x: g.x, y: g.y, pxPerX: g.maxX > 0 ? g.travel / g.maxX : 1 };
}

/** A drag as real mouse input: `[dx, dy, tMs]` CSS px from the press, at the times given. */
async function drag(page: Page, g: LiveGeometry, path: readonly (readonly [number, number, number])[]): Promise<void> {
  await page.mouse.move(g.x - 3, g.y + 2);
  await page.mouse.move(g.x, g.y);
  await page.mouse.down();
  const t0 = performance.now();
  for (const [dx, dy, t] of path) {
    await sleep(t0 + t - performance.now());
    await page.mouse.move(g.x + dx, g.y + dy);
  }
  await page.mouse.up();
}

/** How one browser attacker picks and draws each round's drag. */
export interface BrowserPlayer {
  /** Milliseconds to look at a new puzzle before pressing. */
  lookMs(): number;
  /** The piece position to aim at (background px): a gap finder's, or a person's eyes (the test hook). */
  target(challenge: ChallengeResponse): Promise<number>;
  /** The drag to reach `targetX`: `[dx, dy, tMs]` CSS px from the press. */
  path(challenge: ChallengeResponse, targetX: number, pxPerX: number, round: number): (readonly [number, number, number])[];
}

export interface BrowserOutcome extends TrialOutcome {
  /** The probe's own run time in the page (ms), per answer. */
  readonly probeMs: readonly number[];
  /** navigator.webdriver as the page saw it. */
  readonly webdriver: boolean;
  /** From the mouse release to the verify request leaving the page (ms), per answer: the widget's submit, the probe's binding included. */
  readonly afterReleaseMs: readonly number[];
}

const isPost = (path: string) => (r: Response): boolean => r.url().endsWith(path) && r.request().method() === 'POST';

/**
 * One attempt at a token in a fresh browser context (no cookies, its own client address in
 * X-Forwarded-For): open /demo for the site, press the widget's check box, then drag every
 * round as `player` says, until a token or a failure.
 */
export async function browserTrial(browser: Browser, o: { base: string; sitekey: string; forwardedFor: string; headed: boolean; maxRounds: number }, player: BrowserPlayer): Promise<BrowserOutcome> {
  const context = await browser.newContext({
    extraHTTPHeaders: { 'x-forwarded-for': o.forwardedFor },
    // A headed window keeps its own size (no emulated viewport), as a person's does.
    ...(o.headed ? { viewport: null } : {}),
  });
  const probeMs: number[] = [];
  const afterReleaseMs: number[] = [];
  try {
    const page = await context.newPage();
    await page.goto(`${o.base}/demo?sitekey=${encodeURIComponent(o.sitekey)}&type=slide&lang=en`, { timeout: 20_000 });
    const webdriver = await page.evaluate('navigator.webdriver === true') === true;
    await page.locator(CHECK).waitFor({ timeout: 10_000 });
    const issued = page.waitForResponse(isPost('/v1/challenge'), { timeout: 15_000 });
    await page.locator(CHECK).click();
    let c = (await (await issued).json()) as ChallengeResponse;
    const codes: string[] = [];
    for (let round = 0; round < o.maxRounds; round++) {
      if (c.slide === undefined) return { verifies: round, codes: [...codes, `not_slide_${c.type}`], probeMs, webdriver, afterReleaseMs };
      const arrived = performance.now();
      const targetX = await player.target(c);
      const g = await liveGeometry(page);
      const path = player.path(c, targetX, g.pxPerX, round);
      await sleep(arrived + player.lookMs() - performance.now());
      let sentAt = 0;
      const sending = page.waitForRequest((r) => r.url().endsWith('/v1/verify') && r.method() === 'POST', { timeout: 30_000 }).then((r) => {
        sentAt = performance.now();
        return r;
      });
      const verified = page.waitForResponse(isPost('/v1/verify'), { timeout: 30_000 });
      // Awaited below; a drag that throws first must not leave them unhandled.
      sending.catch(() => {});
      verified.catch(() => {});
      await drag(page, g, path);
      const releasedAt = performance.now();
      await sending;
      afterReleaseMs.push(Math.max(0, sentAt - releasedAt));
      const res = await verified;
      const sent = res.request().postDataJSON() as { probe?: { ms?: number } };
      if (typeof sent.probe?.ms === 'number') probeMs.push(sent.probe.ms);
      const v = (await res.json()) as { success: boolean; token?: string; code?: string; next?: ChallengeResponse };
      if (v.success && v.token !== undefined) return { token: v.token, verifies: round + 1, codes, probeMs, webdriver, afterReleaseMs };
      codes.push(v.code ?? 'unknown');
      if (v.code !== 'next_round' || v.next === undefined) return { verifies: round + 1, codes, probeMs, webdriver, afterReleaseMs };
      c = v.next;
      // The widget shows the next round with the piece back at the start.
      await page.locator('[data-hurdle-state="puzzle"]').waitFor({ timeout: 10_000 });
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await page.locator(HANDLE).getAttribute('aria-valuenow')) !== '0') await sleep(50);
    }
    return { verifies: o.maxRounds, codes: [...codes, 'too_many_rounds'], probeMs, webdriver, afterReleaseMs };
  } catch (err) {
    return { verifies: 0, codes: [`browser_error: ${err instanceof Error ? err.message.split('\n')[0]?.slice(0, 80) ?? '' : String(err)}`], probeMs, webdriver: false, afterReleaseMs };
  } finally {
    await context.close().catch(() => {});
  }
}
