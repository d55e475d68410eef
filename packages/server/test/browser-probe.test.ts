// The browser probe through the HTTP API (app.inject): a clean result keeps the score, a missing
// or odd one lowers it with its reasons and counts per signal, flagged answers escalate the
// address's next challenges but never refuse it, and each signal can be switched off per site.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { answerProbe, solvePow } from '@hurdle/challenge';
import type { PublicProbe } from '@hurdle/challenge';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let svc: Service;
let dir: { path: string; remove: () => void };

before(async () => {
  dir = tempDir();
  svc = await createService({
    options: {
      dataDir: dir.path, adminToken: ADMIN, logLevel: 'silent', renderThreads: 0, trustProxy: ['127.0.0.1'],
      rateLimit: { ipPerMinute: 0, sitePerSecond: 0 }, admission: { maxEventLoopDelayMs: 600_000 },
    },
    widget: false,
  });
});
after(async () => {
  await svc.close();
  dir.remove();
});

const BROWSER_ENV = { wd: false, hl: false, br: 3, pl: 5, mt: 2, ow: 1280, oh: 900, iw: 1280, ih: 780, sw: 1920, sh: 1080, aw: 1920, ah: 1040, np: 'default', pq: 'prompt', sc: true, cr: true, mb: false };
/** Playwright's default headless Chromium, as its widget reports it. */
const HEADLESS_ENV = { ...BROWSER_ENV, wd: true, hl: true, ow: 1280, oh: 780 };

async function createSite(body: Record<string, unknown>): Promise<{ sitekey: string; secret: string }> {
  const r = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { difficulty: 1, ...body } });
  assert.equal(r.statusCode, 201, r.body);
  const j = r.json() as { site: { sitekey: string }; secret: string };
  return { sitekey: j.site.sitekey, secret: j.secret };
}

interface Challenge { id: string; type: string; pow?: { difficulty: number }; probe?: PublicProbe }

async function issue(sitekey: string, from: string): Promise<{ status: number; body: Challenge }> {
  const r = await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey, type: 'pow' }, headers: { 'x-forwarded-for': from }, remoteAddress: '127.0.0.1' });
  return { status: r.statusCode, body: r.json() as Challenge };
}

/** Solve a PoW challenge, sending `probe(c)` as the probe result. */
async function solve(c: Challenge, from: string, probe: (c: Challenge) => unknown): Promise<{ status: number; token?: string; body: string }> {
  const nonce = solvePow(c.id, c.pow?.difficulty as number, 1 << 22) as string;
  const r = await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id: c.id, answer: { nonce }, probe: probe(c) }, headers: { 'x-forwarded-for': from }, remoteAddress: '127.0.0.1' });
  const j = r.json() as { token?: string };
  return { status: r.statusCode, body: r.body, ...(j.token === undefined ? {} : { token: j.token }) };
}

async function scoreOf(secret: string, token: string): Promise<{ success: boolean; score?: number; reasons?: string[] }> {
  const r = await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret, response: token } });
  return r.json() as { success: boolean; score?: number; reasons?: string[] };
}

const clean = (c: Challenge): unknown => answerProbe(c.probe as PublicProbe, c.id, undefined, BROWSER_ENV, {}, 3);
const headless = (c: Challenge): unknown => answerProbe(c.probe as PublicProbe, c.id, undefined, HEADLESS_ENV, {}, 3);

async function probeMetric(signal: string): Promise<number> {
  const text = (await svc.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } })).body;
  const m = new RegExp(`hurdle_probe_signals_total\\{signal="${signal}"\\} (\\d+)`).exec(text);
  return m === null ? 0 : Number(m[1]);
}

describe('browser probe over the API', () => {
  it('every challenge carries a probe; a clean result keeps the score at 1', async () => {
    const { sitekey, secret } = await createSite({ name: 'probe clean', challengeTypes: ['pow', 'slide'] });
    const c = await issue(sitekey, '192.0.2.10');
    assert.equal(c.status, 200);
    assert.ok(c.body.probe && c.body.probe.checks.length >= 3, JSON.stringify(c.body.probe));
    const s = await solve(c.body, '192.0.2.10', clean);
    assert.ok(s.token, s.body);
    const v = await scoreOf(secret, s.token);
    assert.deepEqual([v.success, v.score, v.reasons], [true, 1, []]);
  });

  it('a missing probe passes the answer with a lower score, and is counted', async () => {
    const { sitekey, secret } = await createSite({ name: 'probe missing', challengeTypes: ['pow', 'slide'] });
    const before = await probeMetric('probe_missing');
    const c = await issue(sitekey, '192.0.2.20');
    const s = await solve(c.body, '192.0.2.20', () => undefined);
    assert.ok(s.token, s.body);
    const v = await scoreOf(secret, s.token);
    assert.equal(v.success, true);
    assert.deepEqual(v.reasons, ['probe_missing']);
    assert.ok((v.score as number) < 1 && (v.score as number) >= 0.5, `score ${String(v.score)}`);
    assert.equal(await probeMetric('probe_missing'), before + 1);
  });

  it('a result moved from another challenge is invalid; malformed input is a coded 400', async () => {
    const { sitekey, secret } = await createSite({ name: 'probe moved', challengeTypes: ['pow', 'slide'] });
    const a = await issue(sitekey, '192.0.2.30');
    const b = await issue(sitekey, '192.0.2.30');
    const s = await solve(b.body, '192.0.2.30', () => clean(a.body));
    assert.ok(s.token, s.body);
    assert.deepEqual((await scoreOf(secret, s.token)).reasons, ['probe_invalid']);
    const bad = await solve(a.body, '192.0.2.30', () => 'not an object');
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.body) as { code: string }).code, 'bad_request');
  });

  it('a headless environment lowers the score and escalates the next challenges of its address, never refusing it', async () => {
    const { sitekey, secret } = await createSite({ name: 'probe headless', challengeTypes: ['pow', 'slide'] });
    const from = '198.51.100.77';
    const difficulties: number[] = [];
    let firstToken: string | undefined;
    // Five solves: under the address's own solve-rate line, so a refusal could only come from the probe.
    for (let i = 0; i < 5; i++) {
      const c = await issue(sitekey, from);
      assert.equal(c.status, 200, `issue ${i}: never refused for its probe (${JSON.stringify(c.body)})`);
      difficulties.push(c.body.pow?.difficulty as number);
      const s = await solve(c.body, from, headless);
      assert.ok(s.token, s.body);
      firstToken ??= s.token;
    }
    const v = await scoreOf(secret, firstToken as string);
    assert.ok((v.score as number) <= 0.3, `score ${String(v.score)}`);
    assert.deepEqual(new Set(v.reasons), new Set(['webdriver', 'headless_ua', 'no_window_chrome']));
    assert.equal(difficulties[0], 1);
    assert.ok((difficulties[difficulties.length - 1] as number) > 1, `escalated: ${difficulties.join(',')}`);
    // A clean neighbour on the same network is not escalated by it.
    assert.equal((await issue(sitekey, '198.51.100.78')).body.pow?.difficulty, 1);
  });

  it('each signal and the probe as a whole can be switched off per site', async () => {
    const { sitekey, secret } = await createSite({ name: 'probe switches', challengeTypes: ['pow', 'slide'], risk: { checks: { webdriver: false, headless_ua: false } } });
    const c = await issue(sitekey, '203.0.113.40');
    const s = await solve(c.body, '203.0.113.40', headless);
    assert.deepEqual((await scoreOf(secret, s.token as string)).reasons, ['no_window_chrome']);
    const off = await createSite({ name: 'probe off', challengeTypes: ['pow', 'slide'], risk: { checks: { probe: false } } });
    const c2 = await issue(off.sitekey, '203.0.113.41');
    const s2 = await solve(c2.body, '203.0.113.41', () => undefined);
    const v2 = await scoreOf(off.secret, s2.token as string);
    assert.deepEqual([v2.success, v2.score, v2.reasons], [true, 1, []]);
    const bad = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'x', risk: { checks: { webdrivr: false } } } });
    assert.equal(bad.statusCode, 400);
  });
});
