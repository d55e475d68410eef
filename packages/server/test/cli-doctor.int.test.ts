// `hurdle doctor` against a real PostgreSQL, ZooKeeper and a Redis with its ring agent:
// the DB answers and its clock is compared with ours; the ring check fails while no node
// is registered and lists the node once the agent has registered it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startPostgres, startRedis, startZooKeeper } from '@hurdle/test-helpers';
import type { PostgresServer, RedisServer, ZooKeeperServer } from '@hurdle/test-helpers';
import { pollUntil, runCli, tempDir } from './fixtures.js';

interface Check { name: string; status: string; message: string; details: string[] }
interface DoctorDoc { ok: boolean; checks: Check[] }

const CLI = new URL('../src/cli.js', import.meta.url).pathname;
let pg: PostgresServer | undefined;
let zk: ZooKeeperServer | undefined;
let redis: RedisServer | undefined;
let agent: ChildProcess | undefined;
const dir = tempDir();
const SMALL_SHM = ['--shm.config-bytes', String(1024 * 1024), '--shm.state-bytes', String(1024 * 1024)];

const check = (doc: DoctorDoc, name: string): Check => {
  const c = doc.checks.find((x) => x.name === name);
  assert.ok(c, `no '${name}' check in ${JSON.stringify(doc)}`);
  return c;
};

before(async () => {
  [pg, zk, redis] = await Promise.all([startPostgres(), startZooKeeper(), startRedis()]);
});

after(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const a = agent;
    await new Promise<void>((resolve) => {
      a.once('exit', () => resolve());
      a.kill('SIGTERM');
      setTimeout(() => a.kill('SIGKILL'), 5000).unref();
    });
  }
  await Promise.all([redis?.stop(), zk?.stop(), pg?.stop()]);
  dir.remove();
});

describe('hurdle doctor with PostgreSQL and a ring', () => {
  it('reports a reachable PostgreSQL without tables as a warning, then ok with the clock compared', async () => {
    const url = await (pg as PostgresServer).createDatabase('doctor');
    const base = ['--db', url, '--data-dir', dir.path, ...SMALL_SHM];
    const fresh = await runCli(['doctor', '--json', ...base]);
    assert.equal(fresh.code, 0, fresh.out);
    assert.equal(check(fresh.json<DoctorDoc>(), 'database').status, 'warn');
    assert.match(check(fresh.json<DoctorDoc>(), 'database').message, /no Hurdle tables yet/);
    const created = await runCli(['site', 'create', '--name', 'pg doctor', ...base]);
    assert.equal(created.code, 0, created.err);
    const r = await runCli(['doctor', '--json', ...base]);
    assert.equal(r.code, 0, r.out);
    const doc = r.json<DoctorDoc>();
    assert.equal(check(doc, 'database').status, 'ok');
    assert.ok(check(doc, 'database').details.includes('1 site(s)'));
    // Both clocks are this machine's: the skew is a few ms at most.
    const clock = check(doc, 'clock');
    assert.equal(clock.status, 'ok', clock.message);
    const skew = Number(/skew (-?\d+) ms/.exec(clock.details.join(' '))?.[1]);
    assert.ok(Number.isFinite(skew) && Math.abs(skew) < 1000, `skew ${skew}`);
  });

  it('fails the ring check until a Redis node is registered, then lists it', async () => {
    const z = zk as ZooKeeperServer;
    const r0 = redis as RedisServer;
    const ring = ['--ring', `zk://${z.connectString}/doctor/ring`, '--data-dir', dir.path, ...SMALL_SHM];
    const empty = await runCli(['doctor', '--json', ...ring]);
    assert.equal(empty.code, 1);
    const none = check(empty.json<DoctorDoc>(), 'ring');
    assert.equal(none.status, 'fail');
    assert.match(none.message, /no Redis node is registered under \/doctor\/ring/);
    agent = spawn(process.execPath, [CLI, 'ring-agent', '--redis', `${r0.host}:${r0.port}`, '--zk', z.connectString, '--id', 'doc1', '--root', '/doctor/ring', '--interval-ms', '100'], { stdio: 'ignore' });
    const registered = await pollUntil('the agent registers its Redis', async () => {
      const r = await runCli(['doctor', '--json', ...ring]);
      const c = check(r.json<DoctorDoc>(), 'ring');
      return c.status === 'fail' ? undefined : c;
    }, 20_000, 250);
    // One node, two replicas by default: a warning, not a failure.
    assert.equal(registered.status, 'warn');
    assert.ok(registered.details.includes(`doc1 ${r0.host}:${r0.port}`), registered.details.join(', '));
    const one = await runCli(['doctor', '--json', ...ring, '--ring-options.replicas', '1']);
    assert.equal(one.code, 0, one.out);
    assert.equal(check(one.json<DoctorDoc>(), 'ring').status, 'ok');
  });
});
