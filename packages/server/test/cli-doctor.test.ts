// `hurdle doctor` on this machine: a good SQLite setup passes; a secret file open to others,
// an unreachable PostgreSQL or ZooKeeper fails with exit 1; --json reports every check.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, runCli, tempDir } from './fixtures.js';

interface Check { name: string; status: 'ok' | 'warn' | 'fail' | 'skip'; message: string; details: string[] }
interface DoctorDoc { ok: boolean; checks: Check[]; summary: Record<string, number> }

const dir = tempDir();
const dataDir = join(dir.path, 'data');
// Small segments, so the room check does not depend on how big this machine's /dev/shm is.
const SMALL_SHM = ['--shm.config-bytes', String(1024 * 1024), '--shm.state-bytes', String(2 * 1024 * 1024)];
const base = ['--data-dir', dataDir, ...SMALL_SHM];
after(() => dir.remove());

const byName = (doc: DoctorDoc): Map<string, Check> => new Map(doc.checks.map((c) => [c.name, c]));

before(async () => {
  // A site makes the DB, the data dir (0700) and the DB file (0600) as a start would.
  const created = await runCli(['site', 'create', '--name', 'doctor', ...base]);
  assert.equal(created.code, 0, created.err);
});

describe('hurdle doctor', () => {
  it('passes on a good SQLite setup and says why clock and ring are skipped', async () => {
    const r = await runCli(['doctor', '--json', ...base]);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    const doc = r.json<DoctorDoc>();
    assert.equal(doc.ok, true);
    const checks = byName(doc);
    assert.deepEqual([...checks.keys()], ['shm', 'permissions', 'database', 'clock', 'ring']);
    assert.equal(checks.get('shm')?.status, 'ok');
    assert.match(checks.get('shm')?.message ?? '', /3\.0 MiB of segments/);
    assert.equal(checks.get('permissions')?.status, 'ok', checks.get('permissions')?.details.join('\n') ?? '');
    assert.equal(checks.get('database')?.status, 'ok');
    assert.ok(checks.get('database')?.details.includes('1 site(s)'));
    assert.equal(checks.get('clock')?.status, 'skip');
    assert.match(checks.get('clock')?.message ?? '', /SQLite/);
    assert.equal(checks.get('ring')?.status, 'skip');
    assert.deepEqual(doc.summary, { ok: 3, warn: 0, fail: 0, skip: 2 });
    const text = await runCli(['doctor', ...base]);
    assert.equal(text.code, 0);
    assert.match(text.out, /^ok {4}shm/m);
    assert.match(text.out, /^skip {2}clock/m);
    assert.match(text.out, /0 failed, 0 warning\(s\), 3 ok, 2 skipped/);
  });

  it('needs no state segment room with a ring, and none at all in one process', async () => {
    const single = await runCli(['doctor', '--json', '--single-process', ...base]);
    assert.equal(byName(single.json<DoctorDoc>()).get('shm')?.status, 'skip');
  });

  it('fails when the DB file, the admin token or a config file holding a secret is open to group/others', async () => {
    const dbFile = join(dataDir, 'hurdle.db');
    chmodSync(dbFile, 0o644);
    try {
      const r = await runCli(['doctor', '--json', ...base]);
      assert.equal(r.code, 1);
      const doc = r.json<DoctorDoc>();
      assert.equal(doc.ok, false);
      const perms = byName(doc).get('permissions');
      assert.equal(perms?.status, 'fail');
      assert.ok(perms?.details.some((d) => d.startsWith(`${dbFile}: mode 0644`) && d.includes(`chmod 600 ${dbFile}`)), perms?.details.join('\n') ?? '');
      assert.equal(byName(doc).get('database')?.status, 'ok', 'only the permissions check should fail');
      const text = await runCli(['doctor', ...base]);
      assert.equal(text.code, 1);
      assert.match(text.out, /^fail {2}permissions/m);
    } finally {
      chmodSync(dbFile, 0o600);
    }
    const token = join(dataDir, 'admin-token');
    writeFileSync(token, 'a-token-of-twenty-four-chars\n', { mode: 0o640 });
    chmodSync(token, 0o640);
    const tokenRun = await runCli(['doctor', '--json', ...base]);
    assert.equal(tokenRun.code, 1);
    assert.ok(byName(tokenRun.json<DoctorDoc>()).get('permissions')?.details.some((d) => d.startsWith(`${token}: mode 0640`)));
    assert.ok(!tokenRun.out.includes('a-token-of-twenty-four-chars'), 'doctor printed the admin token');
    chmodSync(token, 0o600);
    const config = join(dir.path, 'hurdle.json');
    writeFileSync(config, JSON.stringify({ adminToken: 'config-admin-token-0123456789' }));
    chmodSync(config, 0o644);
    const configRun = await runCli(['doctor', '--json', '--config', config, ...base]);
    assert.equal(configRun.code, 1);
    assert.ok(byName(configRun.json<DoctorDoc>()).get('permissions')?.details.some((d) => d.startsWith(`${config}: mode 0644`)));
    // The same file without a secret in it may be world-readable.
    writeFileSync(config, JSON.stringify({ port: 9000 }));
    const plain = await runCli(['doctor', '--json', '--config', config, ...base]);
    assert.equal(plain.code, 0, plain.out);
  });

  it('warns about a data dir open to others, and an SQLite DB not created yet', async () => {
    chmodSync(dataDir, 0o755);
    try {
      const r = await runCli(['doctor', '--json', ...base]);
      assert.equal(r.code, 0, 'a warning is not a failure');
      assert.equal(byName(r.json<DoctorDoc>()).get('permissions')?.status, 'warn');
    } finally {
      chmodSync(dataDir, 0o700);
    }
    const fresh = join(dir.path, 'fresh');
    const r = await runCli(['doctor', '--json', '--data-dir', fresh, ...SMALL_SHM]);
    assert.equal(r.code, 0);
    assert.equal(byName(r.json<DoctorDoc>()).get('database')?.status, 'warn');
    const again = await runCli(['doctor', '--json', '--data-dir', fresh, ...SMALL_SHM]);
    assert.equal(byName(again.json<DoctorDoc>()).get('database')?.status, 'warn', 'doctor created the DB it checked');
  });

  it('fails when PostgreSQL cannot be reached, naming the DB without its password', async () => {
    const port = await freePort();
    const url = `postgres://hurdle:pg-secret-pw@127.0.0.1:${port}/hurdle`;
    const r = await runCli(['doctor', '--json', '--db', url, ...base]);
    assert.equal(r.code, 1);
    const checks = byName(r.json<DoctorDoc>());
    const database = checks.get('database');
    assert.equal(database?.status, 'fail');
    assert.match(database?.message ?? '', /\[SERVER_ERR_DB_UNAVAILABLE\]/);
    assert.match(database?.message ?? '', new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.equal(checks.get('clock')?.status, 'skip');
    assert.ok(!r.out.includes('pg-secret-pw') && !r.err.includes('pg-secret-pw'), 'doctor printed the DB password');
  });

  it('fails when ZooKeeper of --ring cannot be reached', async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await runCli(['doctor', '--json', '--ring', `zk://127.0.0.1:${port}/hurdle/ring`, ...base]);
    assert.equal(r.code, 1);
    const ring = byName(r.json<DoctorDoc>()).get('ring');
    assert.equal(ring?.status, 'fail');
    assert.match(ring?.message ?? '', /RING_ERR_ZK_UNREACHABLE/);
    assert.equal(byName(r.json<DoctorDoc>()).get('shm')?.message.includes('the ring holds the state'), true);
    assert.ok(Date.now() - started < 20_000, 'the ZooKeeper wait is not bounded');
  });
});
