// The risk engine through the HTTP API (app.inject, real shm-free memory store): escalation of
// one address, its network and its site, the per-site switches, and siteverify's score.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { answerProbe, solvePow } from '@hurdle/challenge';
import type { PublicProbe } from '@hurdle/challenge';
import { RISK_CHECK_NAMES } from '../src/risk/site-risk-settings.js';
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

async function createSite(body: Record<string, unknown>): Promise<{ sitekey: string; secret: string }> {
  const r = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { difficulty: 1, ...body } });
  assert.equal(r.statusCode, 201, r.body);
  const j = r.json() as { site: { sitekey: string }; secret: string };
  return { sitekey: j.site.sitekey, secret: j.secret };
}

interface Issued { status: number; body: { id?: string; type?: string; code?: string; pow?: { difficulty: number }; slide?: unknown; probe?: PublicProbe }; retryAfter?: string | undefined }

/** What a desktop browser's widget reports (the probe's reference answer, computed here). */
const BROWSER_ENV = { wd: false, hl: false, br: 3, pl: 5, mt: 2, ow: 1280, oh: 900, iw: 1280, ih: 780, sw: 1920, sh: 1080, aw: 1920, ah: 1040, np: 'default', pq: 'prompt', sc: true, cr: true, mb: false };

async function issue(sitekey: string, from: string, type?: 'pow' | 'slide'): Promise<Issued> {
  const r = await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey, ...(type ? { type } : {}) }, headers: { 'x-forwarded-for': from }, remoteAddress: '127.0.0.1' });
  const retry = r.headers['retry-after'];
  return { status: r.statusCode, body: r.json() as Issued['body'], retryAfter: typeof retry === 'string' ? retry : undefined };
}

async function solve(c: Issued, from: string): Promise<string> {
  assert.equal(c.body.type, 'pow');
  const id = c.body.id as string;
  const nonce = solvePow(id, c.body.pow?.difficulty as number, 1 << 22) as string;
  const probe = c.body.probe === undefined ? undefined : answerProbe(c.body.probe, id, undefined, BROWSER_ENV, {}, 3);
  const r = await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id, answer: { nonce }, probe }, headers: { 'x-forwarded-for': from }, remoteAddress: '127.0.0.1' });
  const j = r.json() as { success: boolean; token: string };
  assert.ok(j.success, r.body);
  return j.token;
}

async function siteverify(secret: string, response: string): Promise<{ success: boolean; score?: number; reasons?: string[]; 'error-codes': string[] }> {
  const r = await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret, response } });
  return r.json() as { success: boolean; score?: number; reasons?: string[]; 'error-codes': string[] };
}

describe('risk engine over the API', () => {
  it('makes one address that keeps solving pay more, then refuses it for a while; its neighbours and the network stay at base cost', async () => {
    const { sitekey, secret } = await createSite({ name: 'farm target', challengeTypes: ['pow', 'slide'] });
    const farm = '203.0.113.9';
    const difficulties: number[] = [];
    const tokens: string[] = [];
    let refused: Issued | undefined;
    let defaultTypeWhenEscalated: string | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      // The puzzle-free path (asked for explicitly) stays open, priced higher as the risk grows.
      const c = await issue(sitekey, farm, 'pow');
      if (c.status !== 200) {
        refused = c;
        break;
      }
      difficulties.push(c.body.pow?.difficulty as number);
      if (defaultTypeWhenEscalated === undefined && (c.body.pow?.difficulty as number) > 1) defaultTypeWhenEscalated = (await issue(sitekey, farm)).body.type;
      tokens.push(await solve(c, farm));
    }
    assert.deepEqual([...new Set(difficulties)], [1, 4, 7], `difficulties: ${difficulties.join(',')}`);
    assert.ok(difficulties.slice(1).every((d, i) => d >= (difficulties[i] as number)), 'the cost never falls while the solves go on');
    // Without a type, an escalated visitor gets the slide puzzle instead of the invisible PoW.
    assert.equal(defaultTypeWhenEscalated, 'slide');
    assert.ok(refused, 'refused at the top of the ladder');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'risk_refused');
    assert.ok(Number(refused.retryAfter) > 60 && Number(refused.retryAfter) <= 120, `Retry-After ${String(refused.retryAfter)}`);
    // The refusal lasts: the next request is refused at once, as paused.
    const again = await issue(sitekey, farm);
    assert.equal(again.status, 429);
    // The site's analytics count every escalated issue and every refusal.
    const escalatedIssues = difficulties.filter((d) => d > 1).length + (defaultTypeWhenEscalated === undefined ? 0 : 1);
    await svc.analytics.flush();
    const report = (await svc.app.inject({ method: 'GET', url: `/admin/api/analytics?range=1h&sitekey=${sitekey}`, headers: { authorization: `Bearer ${ADMIN}` } })).json() as { totals: { escalations: number } };
    assert.equal(report.totals.escalations, escalatedIssues + 2, JSON.stringify(report.totals));

    // A neighbour in the same /24 that has not solved anything yet is not escalated by the farm's few solves.
    const neighbour = await issue(sitekey, '203.0.113.10', 'pow');
    assert.equal(neighbour.status, 200);
    assert.equal(neighbour.body.pow?.difficulty, 1);

    // siteverify reports the scores: a clean first solve scores 1, a late one low, with reasons.
    const first = await siteverify(secret, tokens[0] as string);
    assert.equal(first.success, true);
    assert.equal(first.score, 1);
    assert.deepEqual(first.reasons, []);
    const last = await siteverify(secret, tokens[tokens.length - 1] as string);
    assert.equal(last.success, true);
    assert.ok((last.score as number) < 0.5, `score ${String(last.score)}`);
    assert.equal(last.reasons?.[0], 'address_solves');

    // A minimum score per action: the same kind of token now fails with score-too-low.
    const patched = await svc.app.inject({ method: 'PATCH', url: `/admin/api/sites/${sitekey}`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { risk: { minScore: { '*': 0.6 } } } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.deepEqual((patched.json() as { site: { risk: unknown } }).site.risk, { sensitivity: 'normal', checks: Object.fromEntries(RISK_CHECK_NAMES.map((name) => [name, true])), minScore: { '*': 0.6 } });
    const low = await siteverify(secret, tokens[tokens.length - 2] as string);
    assert.deepEqual(low, { success: false, 'error-codes': ['score-too-low'] });
    const ok = await siteverify(secret, tokens[1] as string);
    assert.equal(ok.success, true, JSON.stringify(ok));
  });

  it('spreads over a /24: the network is escalated and then refused even though each address solves little', async () => {
    const { sitekey } = await createSite({ name: 'spread target', challengeTypes: ['pow', 'slide'] });
    let refusedAt = -1;
    let maxDifficulty = 0;
    for (let i = 0; i < 80 && refusedAt < 0; i++) {
      const from = `198.51.100.${10 + (i % 40)}`;
      const c = await issue(sitekey, from, 'pow');
      if (c.status === 429) {
        assert.equal(c.body.code, 'risk_refused');
        refusedAt = i;
        break;
      }
      maxDifficulty = Math.max(maxDifficulty, c.body.pow?.difficulty as number);
      await solve(c, from);
    }
    // Every one of these asks for the puzzle-free path: the network takes four a minute freely
    // and reaches the top step at about ten, where its first token refuses it.
    assert.ok(refusedAt > 4, `refused after ${refusedAt} solves (the network has an allowance)`);
    assert.ok(refusedAt > 0, 'the network was refused');
    assert.ok(maxDifficulty > 1, 'the cost rose before the refusal');
    // Another network is untouched.
    const other = await issue(sitekey, '192.0.2.7', 'pow');
    assert.equal(other.body.pow?.difficulty, 1);
  });

  it('honours the per-site switches and sensitivity', async () => {
    const off = await createSite({ name: 'switches off', challengeTypes: ['pow', 'slide'], risk: { checks: { address: false, prefix: false } } });
    const from = '100.64.0.5';
    for (let i = 0; i < 8; i++) {
      const c = await issue(off.sitekey, from, 'pow');
      assert.equal(c.status, 200);
      assert.equal(c.body.pow?.difficulty, 1, `solve ${i}: no escalation with the address and prefix checks off`);
      await solve(c, from);
    }
    // The same address on a site with high sensitivity is escalated at once by those solves.
    const high = await createSite({ name: 'high', challengeTypes: ['pow', 'slide'], risk: { sensitivity: 'high', checks: { refuse: false } } });
    const c = await issue(high.sitekey, from, 'pow');
    assert.equal(c.status, 200, 'refuse off: the ladder stops at the costliest step');
    assert.equal(c.body.pow?.difficulty, 7);
  });

  it('refuses bad risk settings with invalid_site', async () => {
    for (const risk of [{ sensitivity: 'extreme' }, { checks: { nope: true } }, { minScore: { '*': 2 } }, { extra: 1 }]) {
      const r = await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'bad', risk } });
      assert.equal(r.statusCode, 400, JSON.stringify(risk));
      assert.match((r.json() as { code: string }).code, /invalid_site|bad_request/);
    }
  });
});
