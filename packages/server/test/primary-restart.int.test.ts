// A primary SIGKILLed (its workers exit with it) and started again on the same data dir, DB
// and port keeps the challenges and tokens that were acknowledged before the crash: the state
// segment is adopted, not recreated. Tokens still verify once, across the restart.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { http, pollUntil, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

const dir = tempDir();
const running: RunningServer[] = [];

after(async () => {
  for (const server of running) await server.stop();
  dir.remove();
});

async function post(port: number, path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await http(port, 'POST', path, body, headers);
  return { status: r.status, body: r.json() as Record<string, unknown>, text: r.text };
}

it('keeps acknowledged challenges and tokens across a SIGKILLed primary', async () => {
  const args = ['--workers', '2', '--data-dir', dir.path, '--test-hooks', '--rate-limit.ip-per-minute', '0'];
  const first = await startHurdle(args);
  running.push(first);
  const port = first.port;
  const auth = { authorization: `Bearer ${first.adminToken}` };
  const created = await post(port, '/admin/api/sites', { name: 'restart', challengeTypes: ['pow'], difficulty: 1 }, auth);
  assert.equal(created.status, 201, created.text);
  const sitekey = (created.body.site as { sitekey: string }).sitekey;
  const secret = created.body.secret as string;

  // A token minted, and a challenge issued but not yet answered, before the crash.
  const solved = await post(port, '/v1/challenge', { sitekey, type: 'pow' });
  const solvedAnswer = (await http(port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(solved.body.id as string)}`)).json() as { nonce: string };
  const verified = await post(port, '/v1/verify', { id: solved.body.id, answer: { nonce: solvedAnswer.nonce } });
  assert.equal(verified.body.success, true, verified.text);
  const token = verified.body.token as string;
  const pending = await post(port, '/v1/challenge', { sitekey, type: 'pow' });
  const pendingAnswer = (await http(port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(pending.body.id as string)}`)).json() as { nonce: string };

  first.child.kill('SIGKILL');
  await pollUntil('the workers to exit with their primary', async () => {
    const r = await http(port, 'GET', '/healthz', undefined, {}, 500).catch(() => undefined);
    return r === undefined ? true : undefined;
  }, 15_000, 100);

  const second = await startHurdle([...args, '--port', String(port)]);
  running.push(second);
  assert.equal(second.port, port);

  const answered = await post(port, '/v1/verify', { id: pending.body.id, answer: { nonce: pendingAnswer.nonce } });
  assert.equal(answered.body.success, true, `a challenge issued before the crash is still answerable: ${answered.text}`);
  const once = await post(port, '/siteverify', { secret, response: token });
  assert.equal(once.body.success, true, `a token minted before the crash still verifies: ${once.text}`);
  const twice = await post(port, '/siteverify', { secret, response: token });
  assert.equal(twice.body.success, false);
  assert.deepEqual(twice.body['error-codes'], ['timeout-or-duplicate']);
});
