// Ring mode with Redis AUTH and TLS end to end: two redis-servers that require a password
// and speak TLS only, `hurdle ring-agent` processes and `hurdle start --ring zk://...` given
// the same credentials through HURDLE_RING_OPTIONS__* environment variables.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, makeTestCertificates, startRedis, startZooKeeper } from '@hurdle/test-helpers';
import type { RedisServer, TestCertificates, ZooKeeperServer } from '@hurdle/test-helpers';
import { freePort, http, pollUntil, startHurdle, tempDir } from './fixtures.js';
import type { RunningServer } from './fixtures.js';

const CLI = new URL('../src/cli.js', import.meta.url).pathname;
const PASSWORD = 'ring-e2e-pass-2b8d';
const ROOT = '/hurdle/ring-sec';
let certs: TestCertificates;
let certDir = '';
let redis: RedisServer[] = [];
let zk: ZooKeeperServer | undefined;
const agents: ChildProcess[] = [];
const children: ChildProcess[] = [];
let server: RunningServer | undefined;
const dirs: { remove: () => void }[] = [];

function ringEnv(password: string): Record<string, string> {
  return { HURDLE_RING_OPTIONS__PASSWORD: password, HURDLE_RING_OPTIONS__TLS_CA_FILE: certs.caFile };
}

async function post(s: RunningServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await http(s.port, 'POST', path, body, headers);
  return { status: r.status, body: r.json() as Record<string, unknown>, text: r.text };
}

function stopChild(p: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) {
      resolve();
      return;
    }
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 5000).unref();
  });
}

before(async () => {
  certDir = makeTempDir('ring-e2e-certs');
  certs = makeTestCertificates(certDir);
  const tls = { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile };
  [zk, ...redis] = await Promise.all([startZooKeeper(), startRedis({ tls, password: PASSWORD }), startRedis({ tls, password: PASSWORD })]) as [ZooKeeperServer, RedisServer, RedisServer];
  const zkAddr = zk.connectString;
  for (const [i, r] of redis.entries()) {
    // The agents get the password from the environment; the first its CA from a flag, the
    // second from the variable the servers read, as documented.
    const caFrom = i === 0 ? { args: ['--tls-ca-file', certs.caFile], env: {} } : { args: [], env: { HURDLE_RING_OPTIONS__TLS_CA_FILE: certs.caFile } };
    agents.push(spawn(process.execPath, [
      CLI, 'ring-agent', '--redis', `${r.host}:${r.port}`, '--zk', zkAddr, '--id', `s${i + 1}`, '--root', ROOT,
      '--interval-ms', '100', ...caFrom.args,
    ], { stdio: 'ignore', env: { ...process.env, HURDLE_RING_OPTIONS__PASSWORD: PASSWORD, ...caFrom.env } }));
  }
  const d = tempDir();
  dirs.push(d);
  server = await startHurdle([
    '--workers', '1', '--data-dir', d.path, '--ring', `zk://${zkAddr}${ROOT}`, '--test-hooks',
    '--rate-limit.ip-per-minute', '0',
  ], ringEnv(PASSWORD));
  await pollUntil('both TLS ring nodes up', async () => {
    const m = (await http((server as RunningServer).port, 'GET', '/metrics')).text;
    return (m.match(/hurdle_ring_node_up\{node="s\d"\} 1/g) ?? []).length === 2 ? true : undefined;
  }, 20_000, 200);
});

after(async () => {
  await server?.stop();
  await Promise.all([...children, ...agents].map(stopChild));
  await Promise.all([...redis.map((r) => r.stop()), zk?.stop()]);
  for (const d of dirs) d.remove();
  if (certDir !== '') rmSync(certDir, { recursive: true, force: true });
});

describe('ring over AUTH + TLS', () => {
  it('a challenge solved through the ring gives a token that redeems exactly once', async () => {
    const s = server as RunningServer;
    const created = await post(s, '/admin/api/sites', { name: 'tls-ring', challengeTypes: ['pow'], difficulty: 4 }, { authorization: `Bearer ${s.adminToken}` });
    assert.equal(created.status, 201, created.text);
    const sitekey = (created.body.site as { sitekey: string }).sitekey;
    const secret = created.body.secret as string;
    const c = await post(s, '/v1/challenge', { sitekey, type: 'pow' });
    assert.equal(c.status, 200, c.text);
    const id = c.body.id as string;
    const ans = (await http(s.port, 'GET', `/v1/test-hooks/answer/${encodeURIComponent(id)}`)).json() as { nonce: string };
    const v = await post(s, '/v1/verify', { id, answer: { nonce: ans.nonce } });
    assert.equal(v.body.success, true, v.text);
    const first = await post(s, '/siteverify', { secret, response: v.body.token });
    assert.equal(first.body.success, true, first.text);
    const second = await post(s, '/siteverify', { secret, response: v.body.token });
    assert.deepEqual(second.body['error-codes'], ['timeout-or-duplicate']);
    // The same solution cannot mint a second token either: the ring stored the redemption.
    const again = await post(s, '/v1/verify', { id, answer: { nonce: ans.nonce } });
    assert.notEqual(again.body.success, true, again.text);
  });

  it('a server with a wrong password reports every node down and answers 503, never a hang', async () => {
    const port = await freePort();
    const d = tempDir();
    dirs.push(d);
    const child = spawn(process.execPath, [
      CLI, 'start', '--port', String(port), '--workers', '1', '--data-dir', d.path, '--ring', `zk://${(zk as ZooKeeperServer).connectString}${ROOT}`,
      '--admission.max-event-loop-delay-ms', '60000',
    ], { stdio: 'ignore', env: { ...process.env, HURDLE_ADMIN_TOKEN: 'test-admin-token-0123456789', HURDLE_LOG_LEVEL: 'warn', ...ringEnv('wrong-pass') } });
    children.push(child);
    const metrics = await pollUntil('metrics with both nodes down', async () => {
      const r = await http(port, 'GET', '/metrics', undefined, {}, 1000).catch(() => undefined);
      if (r === undefined) return undefined;
      return (r.text.match(/hurdle_ring_node_up\{node="s\d"\} 0/g) ?? []).length === 2 ? r.text : undefined;
    }, 30_000, 200);
    assert.doesNotMatch(metrics, /hurdle_ring_node_up\{node="s\d"\} 1/);
    const ready = await http(port, 'GET', '/readyz', undefined, {}, 3000);
    assert.equal(ready.status, 503, ready.text);
    assert.match(ready.text, /store_unavailable/);
    assert.ok(!ready.text.includes('wrong-pass') && !ready.text.includes(PASSWORD), 'no password in the answer');
    await stopChild(child);
  });

  it('hurdle_ring_node_up of a SIGKILLed node reads 0 within seconds; the live node stays 1', async () => {
    const s = server as RunningServer;
    const t0 = performance.now();
    await (redis[0] as RedisServer).kill('SIGKILL');
    const m = await pollUntil('s1 down in the metrics', async () => {
      const text = (await http(s.port, 'GET', '/metrics')).text;
      return /hurdle_ring_node_up\{node="s1"\} 0/.test(text) ? text : undefined;
    }, 5_000, 50);
    const ms = performance.now() - t0;
    // The client sees the closed socket at once; the gauge is read from the workers on scrape.
    assert.ok(ms < 5_000, `gauge followed after ${ms.toFixed(0)} ms`);
    assert.match(m, /hurdle_ring_node_up\{node="s2"\} 1/);
  });
});
