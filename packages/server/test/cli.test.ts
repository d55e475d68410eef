// The `hurdle` command: help, site management on the embedded DB, clear option errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { tempDir } from './fixtures.js';

const CLI = new URL('../src/cli.js', import.meta.url).pathname;
const dir = tempDir();
after(() => dir.remove());

function hurdle(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('hurdle CLI', () => {
  it('prints help and version', () => {
    const help = hurdle(['--help']);
    assert.equal(help.code, 0);
    for (const word of ['start', 'site list|show|create|update|disable|rotate-secret', 'keys rotate', 'config check', 'doctor', 'ring-agent', 'docs/configuration.md']) assert.ok(help.out.includes(word), word);
    assert.equal(hurdle([]).code, 0);
    assert.match(hurdle(['--version']).out, /^\d+\.\d+\.\d+/);
  });

  it('creates, lists and rotates sites in the data dir', () => {
    const created = hurdle(['site', 'create', '--name', 'CLI site', '--hostnames', 'example.com,*.example.org', '--types', 'pow', '--difficulty', '9', '--data-dir', dir.path]);
    assert.equal(created.code, 0, created.err);
    const sitekey = /sitekey (\S+)/.exec(created.out)?.[1] as string;
    const secret = /secret\s+(\S+)/.exec(created.out)?.[1] as string;
    assert.match(sitekey, /^hk_/);
    assert.match(secret, /^hs_/);
    const list = hurdle(['site', 'list'], { HURDLE_DATA_DIR: dir.path });
    assert.equal(list.code, 0, list.err);
    assert.ok(list.out.includes(sitekey) && list.out.includes('difficulty=9') && list.out.includes('*.example.org'));
    assert.ok(!list.out.includes(secret), 'list never shows secrets');
    const rotated = hurdle(['site', 'rotate-secret', sitekey, '--grace-ms', '60000', '--data-dir', dir.path]);
    assert.equal(rotated.code, 0, rotated.err);
    assert.notEqual(/secret\s+(\S+)/.exec(rotated.out)?.[1], secret);
    assert.match(rotated.out, /old secret valid until/);
  });

  it('rotates the signing keys', () => {
    const r = hurdle(['keys', 'rotate', '--data-dir', dir.path]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /rotated: 2 key\(s\) active/);
  });

  it('fails clearly on bad input', () => {
    const badPort = hurdle(['start', '--port', 'abc', '--data-dir', dir.path]);
    assert.equal(badPort.code, 1);
    assert.match(badPort.err, /option 'port' \(from flag --port\) must be an integer; got "abc" \[SERVER_ERR_INVALID_OPTION\]/);
    const badEnv = hurdle(['start', '--data-dir', dir.path], { HURDLE_FAILURE_POLICY: 'sometimes' });
    assert.match(badEnv.err, /option 'failurePolicy' \(from env HURDLE_FAILURE_POLICY\)/);
    const unknownFlag = hurdle(['start', '--prot', '1']);
    assert.match(unknownFlag.err, /unknown option 'prot'/);
    const badFile = hurdle(['start', '--config', `${dir.path}/missing.json`]);
    assert.match(badFile.err, /cannot read config file .*\[SERVER_ERR_CONFIG_FILE\]/);
    assert.equal(hurdle(['frobnicate']).code, 2);
    assert.match(hurdle(['site', 'create', '--data-dir', dir.path]).err, /--name/);
    const badSite = hurdle(['site', 'create', '--name', 'x', '--difficulty', '99', '--data-dir', dir.path]);
    assert.match(badSite.err, /difficulty.*\[SERVER_ERR_INVALID_SITE\]/);
    assert.match(hurdle(['ring-agent', '--redis', '127.0.0.1:1']).err, /--zk/);
  });
});
