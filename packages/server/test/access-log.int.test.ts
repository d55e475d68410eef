// The opt-in access log of a real `hurdle start --access-log`: one JSON line per request with
// route pattern, method, status, duration, request id and client address (through
// trustProxy), and none of the secrets, tokens, answers or query strings the requests carried.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../src/logger.js';
import { createService } from '../src/service.js';
import { http, pollUntil, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

const ACCESS_FIELDS = ['client', 'event', 'level', 'method', 'ms', 'msg', 'pid', 'reqId', 'route', 'status', 'time', 'worker'];

interface AccessLine { event: string; method: string; route: string; status: number; ms: number; reqId: string; client: string; level: number }

function accessLines(text: string): AccessLine[] {
  const out: AccessLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as AccessLine;
      if (o.event === 'access') out.push(o);
    } catch {
      // a banner line or a line cut by the output buffer's start
    }
  }
  return out;
}

describe('access log (hurdle start --access-log)', () => {
  let server: RunningServer;
  let dir: { path: string; remove: () => void };

  before(async () => {
    dir = tempDir();
    server = await startHurdle(['--workers', '1', '--data-dir', dir.path, '--test-hooks', '--access-log', '--trust-proxy', '127.0.0.1',
      '--rate-limit.ip-per-minute', '0'], { HURDLE_LOG_LEVEL: 'info' });
  });

  after(async () => {
    await server?.stop();
    dir?.remove();
  });

  it('writes one line per request with its fields, and never a secret, token, answer or query string', async () => {
    const admin = { authorization: `Bearer ${server.adminToken}` };
    const sent: { reqId: string; method: string; route: string; status: number; client: string }[] = [];
    const call = async (reqId: string, method: string, path: string, route: string, body?: unknown, headers: Record<string, string> = {}, client = '127.0.0.1') => {
      const r = await http(server.port, method, path, body, { 'x-request-id': reqId, ...headers });
      sent.push({ reqId, method, route, status: r.status, client });
      return r;
    };
    const created = (await call('acc-create', 'POST', '/admin/api/sites', '/admin/api/sites', { name: 'access log', challengeTypes: ['pow'] }, admin)).json() as { site: { sitekey: string }; secret: string };
    const { sitekey } = created.site;
    const challenge = (await call('acc-challenge', 'POST', '/v1/challenge', '/v1/challenge', { sitekey, type: 'pow' })).json() as { id: string };
    const answer = (await call('acc-answer', 'GET', `/v1/test-hooks/answer/${encodeURIComponent(challenge.id)}`, '/v1/test-hooks/answer/:id')).json() as { nonce: string };
    // Through the trusted proxy: the log shows the visitor's address, not the proxy's.
    const verified = await call('acc-verify', 'POST', '/v1/verify', '/v1/verify', { id: challenge.id, answer: { nonce: answer.nonce } }, { 'x-forwarded-for': '203.0.113.7' }, '203.0.113.7');
    const token = (verified.json() as { token: string }).token;
    assert.equal(typeof token, 'string', verified.text);
    const sv = await call('acc-siteverify', 'POST', '/siteverify', '/siteverify', `secret=${encodeURIComponent(created.secret)}&response=${encodeURIComponent(token)}`, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal((sv.json() as { success: boolean }).success, true, sv.text);
    const querySecret = 'query-secret-6b1f0e2c9d';
    await call('acc-admin', 'GET', `/admin/api/sites/${sitekey}?secret=${querySecret}`, '/admin/api/sites/:sitekey', undefined, admin);
    await call('acc-health', 'GET', `/healthz?token=${querySecret}`, '/healthz');
    await call('acc-404', 'GET', `/no/such/${querySecret}?answer=${querySecret}`, 'unmatched');

    const lines = await pollUntil('an access line for every request', () => {
      const got = accessLines(server.output());
      return sent.every((s) => got.some((l) => l.reqId === s.reqId)) ? got : undefined;
    });
    for (const s of sent) {
      const mine = lines.filter((l) => l.reqId === s.reqId);
      assert.equal(mine.length, 1, `one line for ${s.reqId}`);
      const line = mine[0] as AccessLine;
      assert.deepEqual(Object.keys(line).sort(), ACCESS_FIELDS, `fields of ${s.reqId}: ${JSON.stringify(line)}`);
      assert.deepEqual({ reqId: line.reqId, method: line.method, route: line.route, status: line.status, client: line.client }, s);
      assert.equal(line.level, 30, 'info');
      assert.ok(typeof line.ms === 'number' && line.ms >= 0 && line.ms < 30_000, `ms of ${s.reqId}: ${line.ms}`);
    }
    const output = server.output();
    for (const [what, value] of Object.entries({
      'admin token': server.adminToken, 'site secret': created.secret, 'pass token': token, 'query string value': querySecret,
    })) {
      assert.ok(!output.includes(value), `the ${what} is in the log`);
    }
    // The nonce is a decimal number: as a whole number, not as digits inside a timestamp.
    assert.ok(!new RegExp(`(?<![0-9])${answer.nonce}(?![0-9])`).test(output), 'the answer is in the log');
  });
});

describe('access log option', () => {
  const run = async (accessLog: boolean): Promise<string[]> => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
    const dir = tempDir();
    const svc = await createService({ options: { dataDir: dir.path, renderThreads: 0, accessLog }, logger: createLogger({ logLevel: 'info' }, {}, sink), widget: false });
    try {
      await svc.app.inject({ method: 'GET', url: '/healthz' });
      await svc.app.inject({ method: 'OPTIONS', url: '/v1/challenge', headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' } });
    } finally {
      await svc.close();
      dir.remove();
    }
    return lines.filter((l) => (JSON.parse(l) as { event?: string }).event === 'access');
  };

  it('is off by default: nothing is written at info', async () => {
    assert.deepEqual(await run(false), []);
  });

  it('on, logs preflights under their route pattern and method', async () => {
    const lines = (await run(true)).map((l) => JSON.parse(l) as AccessLine);
    assert.deepEqual(lines.map((l) => `${l.method} ${l.route}`), ['GET /healthz', 'OPTIONS /v1/challenge']);
  });
});
