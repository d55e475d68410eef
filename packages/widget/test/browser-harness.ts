// Shared set-up of the browser tests: a real `hurdle start` child process (test hooks on) and
// Debian's Chromium driven by playwright-core; plus a human-like pointer path.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHurdleProcess } from '@hurdle/test-helpers';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';

export const REPO_ROOT = process.env['HURDLE_REPO_ROOT'] ?? resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
export const SCREENSHOT_DIR = join(REPO_ROOT, '.test-artifacts', 'screenshots');
export const ADMIN_TOKEN = 'widget-test-admin-token-0123456789';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserTestsUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env['HURDLE_TEST_BASE_URL']) return undefined;
  if (!existsSync(join(REPO_ROOT, 'packages/server/dist/src/cli.js'))) return 'packages/server is not built (no dist/src/cli.js; run npm run build)';
  return undefined;
}

/**
 * True in CI (`CI=true` or `CI=1`): there a missing browser or server build must fail the
 * run instead of skipping the browser tests silently.
 */
export function browserTestsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env['CI'] ?? '').toLowerCase();
  return ci === 'true' || ci === '1';
}

/** The failure message of a required browser test set that cannot run. */
export function browserTestsMissingMessage(reason: string): string {
  return `the Chromium browser tests are required in CI (CI=true) but cannot run: ${reason}. Install Chromium with: apt-get install -y chromium`;
}

export interface HurdleProcess {
  baseUrl: string;
  /** The data dir it serves from ('' for an external server). */
  dataDir: string;
  stop(): Promise<void>;
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function pollUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Starts `hurdle start` (one worker, a temp data dir, test hooks on) on a free port, or uses
 * the server at HURDLE_TEST_BASE_URL (started by hand with test hooks and ADMIN_TOKEN).
 * `env` adds server options as environment variables (ignored for an external server).
 */
export async function startHurdle(options: { env?: Record<string, string>; dataDir?: string } = {}): Promise<HurdleProcess> {
  const external = process.env['HURDLE_TEST_BASE_URL'];
  if (external !== undefined && external !== '') return { baseUrl: external.replace(/\/$/, ''), dataDir: '', stop: async () => {} };
  const proc = await startHurdleProcess({
    cli: join(REPO_ROOT, 'packages/server/dist/src/cli.js'),
    adminToken: ADMIN_TOKEN,
    // No shedding on event-loop lag: other test files (one saturates both cores on purpose)
    // run beside these, and a shed admin or challenge request is not what they test.
    env: { HURDLE_REFRESH_INTERVAL_MS: '500', HURDLE_ADMISSION__MAX_EVENT_LOOP_DELAY_MS: '600000', ...options.env },
    readyPath: '/demo',
    dirPrefix: 'hurdle-widget-test-',
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  return { baseUrl: proc.baseUrl, dataDir: proc.dataDir, stop: proc.stop };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, name);
}

/** Console errors, page errors and CSP violations seen by a page (expected to stay empty). */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return problems;
}

export interface PublicChallenge {
  id: string;
  type: 'slide' | 'pow';
  slide?: { width: number; pieceWidth: number; keyboard?: false };
}

/** Resolves with the next `POST /v1/challenge` answer the page receives. */
export function nextChallenge(page: Page): Promise<PublicChallenge> {
  return page.waitForResponse((r: Response) => r.url().endsWith('/v1/challenge') && r.request().method() === 'POST' && r.status() === 200)
    .then(async (r) => (await r.json()) as PublicChallenge);
}

/** The answer of a live challenge, through the server's test-only hook. */
export async function answerOf(baseUrl: string, id: string): Promise<{ x?: number; nonce?: string }> {
  const res = await fetch(`${baseUrl}/v1/test-hooks/answer/${encodeURIComponent(id)}`);
  if (!res.ok) throw new Error(`test hook answered HTTP ${res.status}`);
  return (await res.json()) as { x?: number; nonce?: string };
}

/** Selector of the widget's slider (playwright CSS selectors pierce open shadow roots). */
export const HANDLE = '.hurdle-widget [role="slider"]';

/**
 * Drags the slider so the piece lands at background x `targetX`, along a human-like path:
 * ease-in-out speed, a little vertical wobble, a small overshoot and correction. `touch`
 * drives a finger through the DevTools protocol (touchStart/Move/End), as a phone would.
 */
export async function humanDrag(page: Page, targetX: number, input: 'mouse' | 'touch' = 'mouse'): Promise<void> {
  const handle = page.locator(HANDLE);
  await handle.waitFor({ state: 'visible' });
  const geometry = await handle.evaluate((el) => {
    const track = el.parentElement!;
    return {
      box: el.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number },
      trackWidth: track.clientWidth,
      handleWidth: (el as unknown as { offsetWidth: number }).offsetWidth,
      maxX: Number(el.getAttribute('aria-valuemax')),
    };
  });
  const maxOffset = geometry.trackWidth - geometry.handleWidth;
  const startX = geometry.box.x + geometry.box.width / 2;
  const startY = geometry.box.y + geometry.box.height / 2;
  const distance = (targetX / geometry.maxX) * maxOffset;
  const overshoot = Math.min(6, maxOffset - distance);
  // Each drag is another person's: its own sway, pace and pauses (the service remembers the
  // shapes it accepted and refuses a copy).
  const sway = 1.5 + Math.random() * 4;
  const phase = Math.random() * Math.PI * 2;
  const path: [number, number, number][] = [];
  const steps = 24 + Math.floor(Math.random() * 10);
  for (let i = 1; i <= steps; i++) {
    const p = i / steps;
    const eased = p < 0.5 ? 2 * p * p : 1 - (-2 * p + 2) ** 2 / 2;
    // The sway starts at 0: a jump right after the press would look like a flick.
    path.push([startX + eased * (distance + overshoot), startY + (Math.sin(p * Math.PI * 3 + phase) - Math.sin(phase)) * sway, 10 + Math.round(Math.random() * 16)]);
  }
  for (let i = 1; i <= 4; i++) path.push([startX + distance + overshoot * (1 - i / 4), startY + 1, 30 + i * 5]);
  // A person looks at the puzzle before pressing (the service requires a moment).
  await page.waitForTimeout(400);

  if (input === 'mouse') {
    await page.mouse.move(startX - 3, startY + 2);
    await page.mouse.move(startX, startY);
    await page.mouse.down();
    for (const [x, y, pauseMs] of path) {
      await page.mouse.move(x, y);
      await page.waitForTimeout(pauseMs);
    }
    await page.mouse.up();
    return;
  }
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: startX, y: startY }] });
    for (const [x, y, pauseMs] of path) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
      await page.waitForTimeout(pauseMs);
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  } finally {
    await cdp.detach();
  }
}

/** The next `POST /v1/verify` answer the page receives. */
export function nextVerify(page: Page): Promise<{ success: boolean; code?: string; next?: PublicChallenge }> {
  return page.waitForResponse((r: Response) => r.url().endsWith('/v1/verify') && r.request().method() === 'POST')
    .then(async (r) => (await r.json()) as { success: boolean; code?: string; next?: PublicChallenge });
}

/**
 * Solves every round of a slide challenge shown in the page, starting with `firstId`: for each
 * round `solveRound(x)` moves the piece to that round's answer (a drag, or the arrow keys and
 * Enter), and a `next_round` answer brings the next puzzle into the same widget. Returns the
 * rounds solved and the last verify answer.
 */
export async function solveEveryRound(page: Page, baseUrl: string, firstId: string, solveRound: (x: number) => Promise<void>, maxRounds = 5): Promise<{ rounds: number; last: { success: boolean; code?: string } }> {
  let id = firstId;
  for (let round = 1; ; round++) {
    const { x } = await answerOf(baseUrl, id);
    if (typeof x !== 'number') throw new Error(`no slide answer for ${id}`);
    const verdict = nextVerify(page);
    await solveRound(x);
    const v = await verdict;
    if (v.code !== 'next_round' || v.next === undefined || round >= maxRounds) return { rounds: round, last: v };
    id = v.next.id;
    // The widget shows the next puzzle with the piece back at the start.
    await pollUntil('the next round in the widget', 10_000, async () =>
      (await page.locator(HANDLE).getAttribute('aria-valuenow')) === '0' && (await page.locator('[data-hurdle-state="puzzle"]').count()) > 0 ? true : undefined);
  }
}
