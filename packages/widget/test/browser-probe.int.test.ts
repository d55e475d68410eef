// The browser probe in real Chromium against a real `hurdle start`: the widget runs the probe
// and the service verifies its deterministic outputs exactly; the result is bound to its
// challenge and trace (moved, replayed or tampered it fails); and playwright's default headless
// browser, an odd environment, is escalated (more work) rather than refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectedProbeOutput, probeMac, probeMessage, solvePow, traceDigest } from '@hurdle/challenge';
import type { ProbeCheck, ProbeResult, PublicProbe } from '@hurdle/challenge';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN_TOKEN, browserTestsMissingMessage, browserTestsRequired, browserTestsUnavailable, humanDrag, launchChromium, nextChallenge, solveEveryRound,
  startHurdle, watchPage, type HurdleProcess,
} from './browser-harness.js';

const CHECK = '.hurdle-widget button.chk';
const unavailable = browserTestsUnavailable();

if (unavailable !== undefined && browserTestsRequired()) {
  test('Chromium browser tests can run (required in CI)', () => {
    assert.fail(browserTestsMissingMessage(unavailable));
  });
}

interface VerifyBody { id: string; trajectory?: unknown; input?: 'pointer' | 'keyboard'; probe?: ProbeResult }

describe('browser probe in Chromium', { timeout: 150_000, skip: unavailable ?? false }, () => {
  let server: HurdleProcess;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let site: { sitekey: string; secret: string };

  before(async () => {
    // The client addresses come in X-Forwarded-For from the loopback peer, as behind a proxy.
    [server, browser] = await Promise.all([startHurdle({ env: { HURDLE_TRUST_PROXY: '127.0.0.1' } }), launchChromium()]);
    const created = await fetch(`${server.baseUrl}/admin/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'probe', challengeTypes: ['slide', 'pow'], difficulty: 6 }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const j = (await created.json()) as { site: { sitekey: string }; secret: string };
    site = { sitekey: j.site.sitekey, secret: j.secret };
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  /** The demo page from client address `from` (the service trusts its loopback proxy). */
  async function open(from: string): Promise<{ page: Page; problems: string[]; verifies: VerifyBody[]; probes: Map<string, PublicProbe> }> {
    await context?.close().catch(() => {});
    context = await browser.newContext({ viewport: { width: 520, height: 760 }, locale: 'en-US', baseURL: server.baseUrl, extraHTTPHeaders: { 'x-forwarded-for': from } });
    const page = await context.newPage();
    const problems = watchPage(page);
    const verifies: VerifyBody[] = [];
    // Every probe the page was given, by challenge id (the first round's and each next round's).
    const probes = new Map<string, PublicProbe>();
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/verify')) verifies.push(r.postDataJSON() as VerifyBody);
    });
    page.on('response', (r) => {
      if (!/\/v1\/(challenge|verify)$/.test(r.url()) || r.request().method() !== 'POST') return;
      void r.json().then((j: { id?: string; probe?: PublicProbe; next?: { id: string; probe?: PublicProbe } }) => {
        for (const c of [j, j.next]) if (c?.id !== undefined && c.probe !== undefined) probes.set(c.id, c.probe);
      }, () => {});
    });
    await page.goto(`/demo?lang=en&type=slide&sitekey=${site.sitekey}`);
    return { page, problems, verifies, probes };
  }

  async function post<T>(path: string, body: unknown, from: string): Promise<{ status: number; body: T }> {
    const r = await fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as T };
  }

  async function reasonsOf(token: string): Promise<{ score?: number; reasons?: string[] }> {
    return (await post<{ score?: number; reasons?: string[] }>('/siteverify', { secret: site.secret, response: token }, '127.0.0.1')).body;
  }

  /** A fresh PoW challenge from `from`, solved in Node, answered with `probe`: the token's reasons. */
  async function powWith(from: string, probe: (c: { id: string; probe: PublicProbe }) => unknown): Promise<string[]> {
    const c = await post<{ id: string; pow: { difficulty: number }; probe: PublicProbe }>('/v1/challenge', { sitekey: site.sitekey, type: 'pow' }, from);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const nonce = solvePow(c.body.id, c.body.pow.difficulty, 1 << 24) as string;
    const v = await post<{ success: boolean; token?: string }>('/v1/verify', { id: c.body.id, answer: { nonce }, probe: probe(c.body) }, from);
    assert.ok(v.body.token, JSON.stringify(v.body));
    return (await reasonsOf(v.body.token)).reasons ?? [];
  }

  /** Solve the shown puzzle by dragging; returns the verify body the widget sent and the token. */
  async function solveByDrag(page: Page, verifies: VerifyBody[]): Promise<{ token: string }> {
    await page.locator(CHECK).waitFor();
    const issued = nextChallenge(page);
    await page.locator(CHECK).click();
    const c = await issued;
    const { last } = await solveEveryRound(page, server.baseUrl, c.id, (x) => humanDrag(page, x));
    assert.equal(last.success, true, JSON.stringify(last));
    assert.ok(verifies.length > 0);
    const token = await page.locator('input[name="hurdle-response"]').inputValue();
    assert.ok(token.length > 10, 'the widget filled in its token');
    return { token };
  }

  test('the widget runs the probe; every deterministic output equals the server\'s, and the result verifies', async () => {
    const { page, problems, verifies, probes } = await open('198.51.100.21');
    const { token } = await solveByDrag(page, verifies);
    for (const body of verifies) {
      const probe = probes.get(body.id) as PublicProbe;
      const result = body.probe as ProbeResult;
      assert.ok(probe && result, 'each round\'s challenge carries a probe and its verify request the result');
      assert.equal(result.token, probe.token);
      // Exact, check by check: Chromium's DOM, canvas, JS engine, Intl and Web Crypto against Node.
      assert.deepEqual(result.out, probe.checks.map((c: ProbeCheck) => expectedProbeOutput(c, probe.seed, probe.nonce)), probe.checks.join(','));
      assert.ok(result.ms >= 0 && result.ms < 1000, `probe took ${result.ms} ms`);
      // The slider counted the drag's events, all trusted (CDP input is trusted input in Chromium).
      assert.ok(Number(result.input['n']) >= (body.trajectory as unknown[]).length, JSON.stringify(result.input));
      assert.equal(result.input['t'], result.input['n']);
      assert.equal(result.input['pt'], 'mouse');
    }
    const result = (verifies[0] as VerifyBody).probe as ProbeResult;
    const { reasons, score } = await reasonsOf(token);
    for (const r of ['probe_missing', 'probe_invalid', 'probe_mismatch', 'trace_unbacked', 'untrusted_events']) {
      assert.ok(!reasons?.includes(r), `${r} raised: ${JSON.stringify(reasons)}`);
    }
    // Playwright's default headless Chromium: automation flag and headless user agent.
    assert.ok(reasons?.includes('webdriver'), JSON.stringify(reasons));
    assert.ok(reasons?.includes('headless_ua'), JSON.stringify(reasons));
    assert.ok((score as number) < 0.5, `score ${String(score)}`);
    assert.deepEqual(problems, []);

    // Moved to another challenge, or replayed on a second one: the seal names the first id.
    assert.ok((await powWith('198.51.100.22', () => result)).includes('probe_invalid'));
    assert.ok((await powWith('198.51.100.22', () => result)).includes('probe_invalid'));
    // A tampered output under the old digest fails binding; re-digested (the nonce is no secret
    // from a script) it is a mismatch, recomputed exactly by the server.
    const tampered = (c: { id: string; probe: PublicProbe }, redigest: boolean): unknown => {
      const out = c.probe.checks.map((k: ProbeCheck) => expectedProbeOutput(k, c.probe.seed, c.probe.nonce));
      out[0] = `${out[0] ?? ''}1`;
      const mac = redigest ? probeMac(c.probe.nonce, probeMessage(c.id, out, traceDigest(undefined), result.env, result.input, result.ms)) : result.mac;
      return { ...result, token: c.probe.token, out, mac };
    };
    assert.ok((await powWith('198.51.100.23', (c) => tampered(c, false))).includes('probe_invalid'));
    const mismatch = await powWith('198.51.100.23', (c) => tampered(c, true));
    assert.ok(mismatch.includes('probe_mismatch') && !mismatch.includes('probe_invalid'), JSON.stringify(mismatch));
  });

  test('the odd environment escalates the address\'s next challenges (more work), never refuses', async () => {
    const from = '203.0.113.44';
    const base = await post<{ pow: { difficulty: number } }>('/v1/challenge', { sitekey: site.sitekey, type: 'pow' }, from);
    assert.equal(base.body.pow.difficulty, 6, 'a stranger starts at the base cost');
    const { page, verifies } = await open(from);
    await solveByDrag(page, verifies);
    for (let i = 0; i < 3; i++) {
      const next = await post<{ pow?: { difficulty: number }; code?: string }>('/v1/challenge', { sitekey: site.sitekey, type: 'pow' }, from);
      assert.equal(next.status, 200, `never refused for its browser: ${JSON.stringify(next.body)}`);
      assert.ok((next.body.pow?.difficulty as number) > 6, `escalated: ${JSON.stringify(next.body.pow)}`);
    }
  });
});
