// `hurdle start --single-process` (also the fallback without the shared-memory addon).
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { http, pollUntil, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

let server: RunningServer;
let dir: { path: string; remove: () => void };

before(async () => {
  dir = tempDir();
  server = await startHurdle(['--single-process', '--data-dir', dir.path, '--test-hooks']);
});

after(async () => {
  assert.equal(await server.stop(), 0, server.output());
  dir.remove();
});

describe('single-process mode', () => {
  it('serves the full PoW flow from one process', async () => {
    // The banner names the secret file; it never prints the secret itself.
    const file = await pollUntil('the banner', () => /demo secret in (\S+)/.exec(server.output())?.[1]);
    assert.equal(file, join(dir.path, 'demo-secret'));
    const secret = readFileSync(file, 'utf8').trim();
    assert.match(secret, /^hs_/);
    assert.ok(!server.output().includes(secret), 'the demo secret is not in the output');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const sitekey = /demo sitekey (\S+)/.exec(server.output())?.[1] as string;
    const c = (await http(server.port, 'POST', '/v1/challenge', { sitekey, type: 'pow' })).json() as { id: string };
    const a = (await http(server.port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(c.id)}`)).json() as { nonce: string };
    const v = (await http(server.port, 'POST', '/v1/verify', { id: c.id, answer: { nonce: a.nonce } })).json() as { success: boolean; token: string };
    assert.equal(v.success, true);
    const form = `secret=${encodeURIComponent(secret)}&response=${encodeURIComponent(v.token)}`;
    const sv = (await http(server.port, 'POST', '/siteverify', form, { 'content-type': 'application/x-www-form-urlencoded' })).json() as { success: boolean };
    assert.equal(sv.success, true);
    const h = (await http(server.port, 'GET', '/healthz')).json() as { pid: number };
    assert.equal(h.pid, server.child.pid, 'answered by the started process itself');
  });
});
