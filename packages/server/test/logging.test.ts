// Logs at the most verbose level through a whole flow contain no secret, token or answer.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../src/logger.js';
import { createService } from '../src/service.js';
import { humanTrace, solveSlide, tempDir } from './fixtures.js';

describe('logging', () => {
  it('never logs secrets, tokens or answers, and tags lines with request ids', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
    const dir = tempDir();
    const adminToken = 'admin-token-for-logging-test-0123';
    const logger = createLogger({ logLevel: 'trace' }, {}, sink);
    const svc = await createService({
      options: { dataDir: dir.path, adminToken, testHooks: true, renderThreads: 0, admission: { maxEventLoopDelayMs: 600_000 } },
      logger,
      widget: false,
    });
    try {
      const created = (await svc.app.inject({ method: 'POST', url: '/admin/api/sites', headers: { authorization: `Bearer ${adminToken}` }, payload: { name: 'log', challengeTypes: ['slide'] } })).json() as { site: { sitekey: string }; secret: string };
      const puzzle = async (): Promise<{ id: string; x: number }> => {
        const c = (await svc.app.inject({ method: 'POST', url: '/v1/challenge', payload: { sitekey: created.site.sitekey } })).json() as { id: string };
        const a = (await svc.app.inject({ method: 'GET', url: `/v1/test-hooks/answer/${encodeURIComponent(c.id)}` })).json() as { x: number };
        return { id: c.id, x: a.x };
      };
      const first = await puzzle();
      const wrong = first.x > 100 ? first.x - 50 : first.x + 50;
      await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: { id: first.id, answer: { x: wrong }, trajectory: humanTrace(wrong) } });
      const a = await puzzle();
      const solved = await solveSlide(a.id, {
        answerOf: async (id) => ((await svc.app.inject({ method: 'GET', url: `/v1/test-hooks/answer/${encodeURIComponent(id)}` })).json() as { x: number }).x,
        verify: async (answer) => (await svc.app.inject({ method: 'POST', url: '/v1/verify', payload: answer })).json() as Record<string, unknown>,
      });
      const v = solved.body as { token: string };
      const sv = (await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret: created.secret, response: v.token } })).json() as { success: boolean };
      assert.equal(sv.success, true);
      // An unexpected siteverify error is logged (without the request's secret or token).
      const dir2 = svc.sites as unknown as { siteForSecret: (secret: string) => unknown };
      const original = dir2.siteForSecret;
      dir2.siteForSecret = () => { throw new TypeError('simulated bug'); };
      try {
        const broken = await svc.app.inject({ method: 'POST', url: '/siteverify', payload: { secret: created.secret, response: v.token } });
        assert.equal(broken.statusCode, 500);
      } finally {
        dir2.siteForSecret = original;
      }
      logger.info({ secret: created.secret, nested: { token: v.token } }, 'a careless log line');
      await svc.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-42' } });
    } finally {
      await svc.close();
      dir.remove();
    }
    const text = lines.join('\n');
    assert.ok(lines.some((l) => l.includes('"event":"siteverify_internal_error"') && l.includes('simulated bug')), 'an unexpected siteverify error is logged');
    assert.ok(lines.length > 5, 'trace logging produced lines');
    assert.ok(lines.some((l) => l.includes('"reqId":"req-42"')), 'request lines carry the request id');
    for (const line of lines) {
      assert.ok(!/hs_[A-Za-z0-9_-]{20,}/.test(line), `no secret in: ${line.slice(0, 200)}`);
      assert.ok(!line.includes(adminToken), 'no admin token');
    }
    assert.ok(text.includes('<redacted>'), 'the careless line was redacted');
  });
});
