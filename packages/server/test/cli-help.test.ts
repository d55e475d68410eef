// The `hurdle` command's help: each command prints its own usage, flags and examples, the
// global help lists every command and points where the README points, and a wrong command
// line exits 2 with SERVER_ERR_USAGE.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COMMANDS } from '../src/cli/main.js';
import { EXIT } from '../src/cli/exit-codes.js';
import { runCli } from './fixtures.js';

// Each command, the words its help must hold (its own flags and usage), and words that
// belong to other commands only: a shared, global text would fail on the latter.
const CASES: { args: string[]; has: string[]; lacks: string[] }[] = [
  { args: ['start'], has: ['Usage: hurdle start', '--port N', '--workers N', '--ring zk://', '--print-secrets', 'Examples:'], lacks: ['--grace-ms', '--redis'] },
  { args: ['site'], has: ['Usage: hurdle site COMMAND', 'list', 'show SITEKEY', 'update SITEKEY', 'disable SITEKEY', 'rotate-secret SITEKEY', 'create --name NAME'], lacks: ['--port N', 'Examples:'] },
  { args: ['site', 'list'], has: ['Usage: hurdle site list', '--json', '--data-dir D', 'jq'], lacks: ['--difficulty', '--grace-ms'] },
  { args: ['site', 'show'], has: ['Usage: hurdle site show SITEKEY', '--json', '3 no such site'], lacks: ['--difficulty'] },
  { args: ['site', 'create'], has: ['Usage: hurdle site create --name NAME', '--hostnames LIST', '--types LIST', '--difficulty N', '--keyboard-solve true|false', '(required)', 'hurdle site create --name'], lacks: ['--enabled', '--grace-ms'] },
  { args: ['site', 'update'], has: ['Usage: hurdle site update SITEKEY', '--difficulty N', '--enabled true|false', '--image-set NAME', '--rate-limit-per-second N', '--keyboard-solve true|false', 'PATCH /admin/api/sites/:sitekey'], lacks: ['--grace-ms'] },
  { args: ['site', 'disable'], has: ['Usage: hurdle site disable SITEKEY', 'site_disabled'], lacks: ['--difficulty'] },
  { args: ['site', 'rotate-secret'], has: ['Usage: hurdle site rotate-secret SITEKEY', '--grace-ms N'], lacks: ['--difficulty'] },
  { args: ['keys'], has: ['Usage: hurdle keys COMMAND', 'rotate'], lacks: ['--name'] },
  { args: ['keys', 'rotate'], has: ['Usage: hurdle keys rotate', 'tokenTtlMs', '--json'], lacks: ['--name'] },
  { args: ['config', 'check'], has: ['Usage: hurdle config check', '--config FILE', 'SERVER_ERR_CONFIG_FILE', 'SERVER_ERR_INVALID_OPTION', '<redacted>'], lacks: ['--name'] },
  { args: ['doctor'], has: ['Usage: hurdle doctor', 'shm', 'permissions', 'database', 'clock', 'ring', '--ring zk://', '--json'], lacks: ['--name', '--grace-ms'] },
  { args: ['ring-agent'], has: ['Usage: hurdle ring-agent', '--redis HOST:PORT', '--zk HOST:PORT', '--id ID', '--tls-ca-file F', 'HURDLE_RING_OPTIONS__PASSWORD'], lacks: ['--data-dir', '--json'] },
];

describe('hurdle help', () => {
  it('lists every command and points to docs/configuration.md, as the README does', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0, help.err);
    for (const word of ['start', 'site list|show|create|update|disable|rotate-secret', 'keys rotate', 'config check', 'doctor', 'ring-agent', 'docs/configuration.md', 'docs/operations.md', '2 usage error']) {
      assert.ok(help.out.includes(word), `global help lacks '${word}'`);
    }
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes('docs/configuration.md'), 'the README points elsewhere than the help');
    assert.equal((await runCli([])).out, help.out);
    assert.equal((await runCli(['help'])).out, help.out);
  });

  for (const c of CASES) {
    it(`hurdle ${c.args.join(' ')} --help prints that command's own help`, async () => {
      const r = await runCli([...c.args, '--help']);
      assert.equal(r.code, 0, r.err);
      for (const word of c.has) assert.ok(r.out.includes(word), `'${c.args.join(' ')} --help' lacks '${word}':\n${r.out}`);
      for (const word of c.lacks) assert.ok(!r.out.includes(word), `'${c.args.join(' ')} --help' shows '${word}', which is not its flag`);
      // `hurdle help WORDS` and `-h` say the same.
      assert.equal((await runCli(['help', ...c.args])).out, r.out);
      assert.equal((await runCli([...c.args, '-h'])).out, r.out);
    });
  }

  it('exits 2 with SERVER_ERR_USAGE on a wrong command line', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['site'], /'hurdle site' needs a command/],
      [['site', 'remove', 'hk_x'], /unknown 'site' command 'remove'; expected list, show, create, update, disable, rotate-secret/],
      [['site', 'show'], /needs a SITEKEY/],
      [['site', 'list', '--bogus', '1'], /unknown option 'bogus' \(flag --bogus\) for 'hurdle site list'/],
      [['start', '--prot', '1'], /unknown option 'prot'/],
      [['ring-agent', '--redis', '127.0.0.1:1', '--data-dir', 'x'], /unknown flag --data-dir for 'hurdle ring-agent'/],
      [['ring-agent', '--redis', '127.0.0.1:1'], /needs --redis HOST:PORT --zk HOST:PORT --id ID/],
      [['start', '--json'], /'hurdle start' has no --json output/],
      [['site', 'create', '--name'], /--name needs a value/],
      [['config', 'check', 'hurdle.json'], /the file goes in --config FILE/],
      [['site', 'list', '-x'], /unknown flag '-x'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `hurdle ${args.join(' ')}: exit ${r.code}, stderr ${r.err}`);
      assert.match(r.err, message, `hurdle ${args.join(' ')}`);
      assert.match(r.err, /\[SERVER_ERR_USAGE\]/, `hurdle ${args.join(' ')}`);
    }
    const json = await runCli(['site', 'frob', '--json']);
    assert.equal(json.code, 2);
    assert.equal(json.json<{ ok: boolean; error: { code: string } }>().error.code, 'SERVER_ERR_USAGE');
  });

  it('docs/operations.md lists every command, its --json and every exit status', () => {
    const ops = readFileSync(new URL('../../../../docs/operations.md', import.meta.url), 'utf8');
    const section = ops.slice(ops.indexOf('## The `hurdle` command'));
    assert.ok(section.length > 1000, 'docs/operations.md has no section on the hurdle command');
    const specs = COMMANDS.flatMap((e) => ('commands' in e ? e.commands : [e]));
    assert.ok(specs.length >= 11, `expected every command, found ${specs.length}`);
    for (const spec of specs) {
      const line = section.split('\n').find((l) => l.startsWith(`hurdle ${spec.path.join(' ')} `) || l === `hurdle ${spec.path.join(' ')}`);
      assert.ok(line, `docs/operations.md does not list 'hurdle ${spec.path.join(' ')}'`);
      assert.equal(line.includes('[--json]'), spec.json === true, `docs/operations.md: --json of 'hurdle ${spec.path.join(' ')}'`);
    }
    for (const code of Object.values(EXIT)) assert.match(section, new RegExp(`\\n\\| ${code} \\| `), `exit status ${code} has no row`);
  });
});
