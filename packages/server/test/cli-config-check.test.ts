// `hurdle config check`: a good file prints the resolved options with secrets redacted;
// a bad file (not JSON, unknown option, value out of range, missing) exits 1 with its code.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempDir } from './fixtures.js';

const dir = tempDir();
after(() => dir.remove());

function file(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const ADMIN_TOKEN = 'admin-token-value-0123456789abcdef';
const RING_PASSWORD = 'ring-password-value-42';
const DB_PASSWORD = 'db-password-value-77';

interface CheckDoc {
  ok: boolean;
  configFile: string | null;
  options: Record<string, unknown> & { shm: Record<string, number>; ringOptions: Record<string, unknown> };
}
interface ErrorDoc { ok: false; error: { code: string; message: string } }

describe('hurdle config check', () => {
  const good = file('good.json', JSON.stringify({
    port: 9090,
    workers: 2,
    adminToken: ADMIN_TOKEN,
    db: `postgres://hurdle:${DB_PASSWORD}@db.internal:5432/hurdle`,
    ring: 'zk://zk1:2181/hurdle/ring',
    ringOptions: { password: RING_PASSWORD, replicas: 3, writeQuorum: 2 },
    shm: { stateBytes: 64 * 1024 * 1024 },
  }));

  it('prints the resolved options of a good file with the secrets redacted', async () => {
    const r = await runCli(['config', 'check', '--config', good, '--json']);
    assert.equal(r.code, 0, r.err);
    const doc = r.json<CheckDoc>();
    assert.equal(doc.ok, true);
    assert.equal(doc.configFile, good);
    assert.equal(doc.options.port, 9090);
    assert.equal(doc.options.shm.stateBytes, 64 * 1024 * 1024);
    assert.equal(doc.options.shm.configBytes, 16 * 1024 * 1024, 'a default is missing from the resolved options');
    assert.equal(doc.options.ringOptions.replicas, 3);
    assert.equal(doc.options.adminToken, '<redacted>');
    assert.equal(doc.options.ringOptions.password, '<redacted>');
    assert.equal(doc.options.db, 'postgres://hurdle:<redacted>@db.internal:5432/hurdle');
    const text = await runCli(['config', 'check', '--config', good]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^config ok: /);
    assert.match(text.out, /\n {2}port = 9090\n/);
    assert.match(text.out, /\n {2}ringOptions\.replicas = 3\n/);
    for (const r2 of [r, text]) {
      for (const secret of [ADMIN_TOKEN, RING_PASSWORD, DB_PASSWORD]) {
        assert.ok(!r2.out.includes(secret) && !r2.err.includes(secret), 'config check printed a secret');
      }
    }
  });

  it('applies the environment and flags over the file, as a start does', async () => {
    const r = await runCli(['config', 'check', '--port', '7070', '--json'], { HURDLE_CONFIG: good, HURDLE_WORKERS: '3', HURDLE_PORT: '6060' });
    assert.equal(r.code, 0, r.err);
    const doc = r.json<CheckDoc>();
    assert.equal(doc.configFile, good);
    assert.equal(doc.options.port, 7070, 'a flag wins over the environment');
    assert.equal(doc.options.workers, 3, 'the environment wins over the file');
    const db = await runCli(['config', 'check', '--db', `postgres://h@db/x?password=${DB_PASSWORD}`, '--json']);
    assert.equal(db.code, 0, db.err);
    assert.ok(!db.out.includes(DB_PASSWORD), 'a password in the DB URL query was printed');
  });

  it('fails with the coded error on a bad file', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['bad-json.json', '{"port": 9090,', 'SERVER_ERR_CONFIG_FILE', /is not valid JSON/],
      ['not-object.json', '[1, 2]', 'SERVER_ERR_INVALID_OPTION', /expected an object of options/],
      ['unknown.json', '{"prot": 9090}', 'SERVER_ERR_INVALID_OPTION', /unknown option 'prot' \(from config file .*unknown\.json\)/],
      ['unknown-nested.json', '{"shm": {"stateByte": 1}}', 'SERVER_ERR_INVALID_OPTION', /unknown option 'shm\.stateByte'/],
      ['range.json', '{"port": 70000}', 'SERVER_ERR_INVALID_OPTION', /option 'port' \(from config file .*\) must be <= 65535; got 70000/],
      ['type.json', '{"failurePolicy": "sometimes"}', 'SERVER_ERR_INVALID_OPTION', /option 'failurePolicy'/],
      ['quorum.json', '{"ringOptions": {"replicas": 1, "writeQuorum": 2}}', 'SERVER_ERR_INVALID_OPTION', /writeQuorum/],
      ['token.json', '{"adminToken": "short-secret"}', 'SERVER_ERR_INVALID_OPTION', /option 'adminToken' .* at least 16 characters; got <redacted>/],
    ];
    for (const [name, text, code, message] of cases) {
      const path = file(name, text);
      const r = await runCli(['config', 'check', '--config', path, '--json']);
      assert.equal(r.code, 1, `${name}: exit ${r.code}, ${r.err}`);
      const doc = r.json<ErrorDoc>();
      assert.equal(doc.ok, false);
      assert.equal(doc.error.code, code, name);
      assert.match(doc.error.message, message, name);
      assert.ok(r.err.includes(`[${code}]`), `${name}: stderr lacks the code: ${r.err}`);
      assert.ok(!r.out.includes('short-secret') && !r.err.includes('short-secret'), `${name}: printed the admin token`);
    }
    const missing = await runCli(['config', 'check', '--config', join(dir.path, 'missing.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read config file .*missing\.json.*\[SERVER_ERR_CONFIG_FILE\]/);
    assert.equal(missing.out, '', 'text mode prints errors on stderr only');
    const badEnv = await runCli(['config', 'check', '--json'], { HURDLE_LOG_LEVEL: 'loud' });
    assert.equal(badEnv.code, 1);
    assert.match(badEnv.json<ErrorDoc>().error.message, /option 'logLevel' \(from env HURDLE_LOG_LEVEL\)/);
  });
});
