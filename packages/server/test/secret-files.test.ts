// The admin token, the demo secret and the SQLite DB are owner-only files whatever the umask,
// and the start banner names the secret files instead of printing the values.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { banner, bootstrap } from '../src/bootstrap.js';
import { isServerError } from '../src/errors.js';
import { resolveOptions } from '../src/options.js';
import { writeSecretFile } from '../src/secret-file.js';
import { tempDir } from './fixtures.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('secret files', () => {
  it('are created 0600 in a 0700 data dir even under umask 000, and the banner names them', async () => {
    const dir = tempDir();
    const previous = process.umask(0o000);
    try {
      const dataDir = join(dir.path, 'data');
      const boot = await bootstrap(resolveOptions({ overrides: { dataDir, logLevel: 'silent' } }));
      try {
        assert.equal(mode(dataDir), 0o700);
        assert.equal(mode(join(dataDir, 'admin-token')), 0o600);
        assert.equal(mode(join(dataDir, 'demo-secret')), 0o600);
        assert.equal(mode(join(dataDir, 'hurdle.db')), 0o600, 'the DB holds the signing keys');
        // SQLite makes the WAL and its index with the DB file's mode, whatever the umask.
        for (const side of ['hurdle.db-wal', 'hurdle.db-shm']) {
          assert.ok(existsSync(join(dataDir, side)), `${side} exists while the DB is open`);
          assert.equal(mode(join(dataDir, side)), 0o600, side);
        }
        const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
        const secret = readFileSync(join(dataDir, 'demo-secret'), 'utf8').trim();
        assert.equal(token, boot.options.adminToken);
        assert.equal(secret, boot.demo?.secret);
        const text = banner(boot, 'http://127.0.0.1:1');
        assert.ok(!text.includes(token), 'no admin token in the banner');
        assert.ok(!text.includes(secret), 'no demo secret in the banner');
        assert.ok(text.includes(`admin token in ${join(dataDir, 'admin-token')}`));
        assert.ok(text.includes(`demo secret in ${join(dataDir, 'demo-secret')}`));
        assert.ok(text.includes(`demo sitekey ${boot.demo?.sitekey}`));
        const shown = banner({ ...boot, options: { ...boot.options, printSecrets: true } }, 'http://127.0.0.1:1');
        assert.ok(shown.includes(token) && shown.includes(secret), 'printSecrets prints both');
      } finally {
        await boot.db.close();
      }
    } finally {
      process.umask(previous);
      dir.remove();
    }
  });

  it('rewrites an existing world-readable file as 0600 and rotates the demo secret file per start', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'secret');
      writeFileSync(file, 'old\n', { mode: 0o644 });
      chmodSync(file, 0o644);
      writeSecretFile(file, 'new\n');
      assert.equal(readFileSync(file, 'utf8'), 'new\n');
      assert.equal(mode(file), 0o600);

      const dataDir = join(dir.path, 'data');
      mkdirSync(dataDir, { mode: 0o755 });
      const opts = resolveOptions({ overrides: { dataDir, logLevel: 'silent', adminToken: 'an-admin-token-from-options' } });
      const first = await bootstrap(opts);
      await first.db.close();
      const second = await bootstrap(opts);
      await second.db.close();
      assert.notEqual(first.demo?.secret, second.demo?.secret);
      assert.equal(readFileSync(join(dataDir, 'demo-secret'), 'utf8').trim(), second.demo?.secret);
      assert.equal(mode(dataDir), 0o755, 'an existing data dir keeps the mode its owner chose');
      assert.match(banner(second, 'http://x'), /admin token from option 'adminToken'/);
      assert.throws(() => statSync(join(dataDir, 'admin-token')), /ENOENT/, 'no token file when the option sets it');
    } finally {
      dir.remove();
    }
  });

  it('refuses to start on a key-holding DB file that others can read, naming the file and the fix', async () => {
    const dir = tempDir();
    try {
      const dataDir = join(dir.path, 'data');
      const opts = resolveOptions({ overrides: { dataDir, logLevel: 'silent' } });
      await (await bootstrap(opts)).db.close();
      for (const [file, loose] of [['hurdle.db', 0o644], ['hurdle.db', 0o660], ['hurdle.db-wal', 0o604]] as const) {
        const path = join(dataDir, file);
        if (!existsSync(path)) writeFileSync(path, '');
        chmodSync(path, loose);
        await assert.rejects(bootstrap(opts), (err: unknown) => {
          assert.ok(isServerError(err) && err.code === 'SERVER_ERR_INSECURE_FILE', String(err));
          assert.ok(err.message.includes(path), 'names the file');
          assert.ok(err.message.includes(`0${loose.toString(8)}`), 'names the mode');
          assert.ok(err.message.includes(`chmod 600 '${path}'`), 'names the fix');
          return true;
        });
        chmodSync(path, 0o600);
      }
      await (await bootstrap(opts)).db.close();
    } finally {
      dir.remove();
    }
  });

  it('keeps the signing keys from another local user (nobody), who could read a 0644 DB', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run a process as the user nobody');
      return;
    }
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
    const uid = Number(nobody.stdout.trim());
    if (nobody.status !== 0 || !Number.isInteger(uid)) {
      t.skip('no user nobody on this machine');
      return;
    }
    const dir = tempDir();
    try {
      // An operator-made data dir that others may enter: only the file's own mode protects it.
      chmodSync(dir.path, 0o755);
      const dataDir = join(dir.path, 'data');
      mkdirSync(dataDir, { mode: 0o755 });
      chmodSync(dataDir, 0o755);
      const opts = resolveOptions({ overrides: { dataDir, logLevel: 'silent' } });
      await (await bootstrap(opts)).db.close();
      const db = join(dataDir, 'hurdle.db');
      const readAsNobody = (): number | null => spawnSync('cat', [db], { uid, gid: uid, stdio: 'ignore' }).status;
      assert.notEqual(readAsNobody(), 0, 'nobody cannot read the DB Hurdle created');
      chmodSync(db, 0o644);
      assert.equal(readAsNobody(), 0, 'with 0644 nobody can read the keys (the case the start refuses)');
      await assert.rejects(bootstrap(opts), (err: unknown) => isServerError(err) && err.code === 'SERVER_ERR_INSECURE_FILE');
    } finally {
      dir.remove();
    }
  });
});
