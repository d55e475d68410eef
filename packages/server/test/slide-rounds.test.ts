// The HTTP contract of a slide challenge of several rounds (the default, two): a right answer
// to the first round is a 200 with code `next_round` and the next puzzle in full; the token
// comes after the last round and redeems once; a wrong round ends the challenge.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { humanTrace, lookAndDrag, tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-rounds-0123456789';
let svc: Service;
let dir: { path: string; remove: () => void };

async function inject(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; raw: string }> {
  const res = await svc.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as string }), headers });
  let body: Record<string, unknown> = {};
  try { body = res.json() as Record<string, unknown>; } catch { /* not JSON */ }
  return { status: res.statusCode, body, raw: res.body };
}

async function answerRound(id: string, offset = 0): Promise<{ status: number; body: Record<string, unknown>; raw: string }> {
  const { x } = (await inject('GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).body as { x: number };
  const trace = humanTrace(x + offset);
  await lookAndDrag(trace);
  return inject('POST', '/v1/verify', { id, answer: { x: x + offset }, trajectory: trace });
}

before(async () => {
  dir = tempDir();
  // Defaults apart from what a test service needs: test hooks, quiet logs, no lag shedding
  // (rendering runs on the test's own event loop).
  svc = await createService({
    options: { dataDir: dir.path, adminToken: ADMIN, testHooks: true, logLevel: 'silent', renderThreads: 0, admission: { maxEventLoopDelayMs: 600_000 } },
    widget: false,
  });
});
after(async () => {
  await svc.close();
  dir.remove();
});

describe('slide rounds over HTTP', () => {
  it('answers a right first round with next_round and the whole next puzzle; the second brings the token', async () => {
    const created = await inject('POST', '/admin/api/sites', { name: 'rounds', challengeTypes: ['slide'] }, { authorization: `Bearer ${ADMIN}` });
    assert.equal(created.status, 201, created.raw);
    const sitekey = (created.body['site'] as { sitekey: string }).sitekey;
    const c = await inject('POST', '/v1/challenge', { sitekey });
    const slide = c.body['slide'] as Record<string, unknown>;
    assert.equal(slide['round'], 1);
    assert.equal(slide['rounds'], 2);

    const v1 = await answerRound(c.body['id'] as string);
    assert.equal(v1.status, 200, v1.raw);
    assert.equal(v1.body['success'], false);
    assert.equal(v1.body['code'], 'next_round');
    assert.equal(v1.body['token'], undefined);
    const next = v1.body['next'] as { id: string; type: string; expiresAt: number; slide: Record<string, unknown> };
    assert.equal(next.type, 'slide');
    assert.notEqual(next.id, c.body['id']);
    assert.ok(next.expiresAt > Date.now());
    // The response schema passes the nested puzzle through whole.
    assert.match(next.slide['background'] as string, /^data:image\/(webp|jpeg);base64,/);
    assert.match(next.slide['piece'] as string, /^data:image\/png;base64,/);
    for (const k of ['width', 'height', 'pieceWidth', 'pieceHeight', 'pieceY']) assert.equal(typeof next.slide[k], 'number', k);
    assert.equal(next.slide['powPath'], false);
    assert.equal(next.slide['round'], 2);
    assert.equal(next.slide['rounds'], 2);

    const v2 = await answerRound(next.id);
    assert.equal(v2.body['success'], true, v2.raw);
    const secret = created.body['secret'] as string;
    const first = await inject('POST', '/siteverify', { secret, response: v2.body['token'] });
    assert.equal(first.body['success'], true, first.raw);
    const replay = await inject('POST', '/siteverify', { secret, response: v2.body['token'] });
    assert.equal(replay.body['success'], false);

    const metrics = (await inject('GET', '/metrics')).raw;
    assert.match(metrics, /hurdle_verify_total\{type="slide",result="next_round",reason="ok"\} 1/);
    assert.match(metrics, /hurdle_verify_total\{type="slide",result="pass",reason="ok"\} 1/);
  });

  it('a wrong second round fails with the one public code and no further puzzle', async () => {
    const created = await inject('POST', '/admin/api/sites', { name: 'rounds 2', challengeTypes: ['slide'] }, { authorization: `Bearer ${ADMIN}` });
    const sitekey = (created.body['site'] as { sitekey: string }).sitekey;
    const c = await inject('POST', '/v1/challenge', { sitekey });
    const v1 = await answerRound(c.body['id'] as string);
    assert.equal(v1.body['code'], 'next_round', v1.raw);
    const v2 = await answerRound((v1.body['next'] as { id: string }).id, 45);
    assert.deepEqual(v2.body, { success: false, code: 'failed', retry: false, attemptsLeft: 0 });
  });

  it('documents next in the OpenAPI document', async () => {
    const doc = (await inject('GET', '/docs/json')).body as { paths: Record<string, { post: { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }> } }> };
    const props = doc.paths['/v1/verify']?.post.responses['200']?.content['application/json']?.schema.properties ?? {};
    assert.ok('next' in props, Object.keys(props).join(','));
  });
});
