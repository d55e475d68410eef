// The admin token, the demo secret and the SQLite DB are owner-only files whatever the umask,
// and the start banner names the secret files instead of printing the values.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { banner, bootstrap } from '../src/bootstrap.js';
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
});
