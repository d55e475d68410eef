// Options: sources and precedence, validation naming the option, the error table.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SERVER_ERROR_CODES } from '../src/errors.js';
import { OPTION_PATHS, defaults, envNameOf, parseRingUrl, readConfigFile, redactOptions, resolveOptions } from '../src/options.js';
import { tempDir } from './fixtures.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('options', () => {
  it('applies defaults and freezes', () => {
    const o = resolveOptions();
    assert.equal(o.port, 8080);
    assert.equal(o.failurePolicy, 'closed');
    assert.equal(o.testHooks, false);
    assert.ok(Object.isFrozen(o) && Object.isFrozen(o.admission));
  });

  it('keeps every default within its own bounds, and hands out fresh objects', () => {
    // Passing the defaults back as explicit values runs each through its option's check.
    const d = defaults();
    assert.deepEqual(resolveOptions({ overrides: d }), resolveOptions());
    const paths = OPTION_PATHS.filter((p) => p.includes('.')).map((p) => p.split('.')[0]);
    assert.deepEqual(new Set(paths), new Set(['admission', 'rateLimit', 'connections', 'shm', 'ringOptions']));
    d.imageSets.extra = ['/x.png'];
    d.admission.concurrency = 1;
    assert.deepEqual(defaults().imageSets, {});
    assert.equal(defaults().admission.concurrency, 256);
  });

  it('layers file < env < overrides < flags', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'hurdle.json');
      writeFileSync(file, JSON.stringify({ port: 1000, workers: 3, admission: { concurrency: 7 }, logLevel: 'warn' }));
      const o = resolveOptions({
        file: readConfigFile(file),
        env: { HURDLE_PORT: '2000', HURDLE_ADMISSION__MAX_QUEUE: '9', HURDLE_TEST_HOOKS: 'true' },
        flags: { port: '3000', 'admission.concurrency': '11' },
      });
      assert.equal(o.port, 3000);
      assert.equal(o.workers, 3);
      assert.equal(o.admission.concurrency, 11);
      assert.equal(o.admission.maxQueue, 9);
      assert.equal(o.testHooks, true);
      assert.equal(o.logLevel, 'warn');
      assert.deepEqual(resolveOptions({ env: { HURDLE_IMAGE_SETS: '{"shop":["/img/a.jpg"]}' } }).imageSets, { shop: ['/img/a.jpg'] });
    } finally {
      dir.remove();
    }
  });

  it('names the option and the bad value', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => resolveOptions({ env: { HURDLE_PORT: 'eighty' } }), /option 'port' \(from env HURDLE_PORT\) must be an integer; got "eighty"/],
      [() => resolveOptions({ flags: { port: '70000' } }), /option 'port'.*<= 65535/],
      [() => resolveOptions({ overrides: { failurePolicy: 'maybe' as never } }), /option 'failurePolicy'.*'closed', 'open'/],
      [() => resolveOptions({ overrides: { bogus: 1 } as never }), /unknown option 'bogus'/],
      [() => resolveOptions({ overrides: { admission: { nope: 1 } } as never }), /unknown option 'admission.nope'/],
      [() => resolveOptions({ overrides: { ring: 'redis://x' } }), /option 'ring'/],
      [() => resolveOptions({ overrides: { db: 'mysql://x' } }), /option 'db'/],
      [() => resolveOptions({ overrides: { adminToken: 'short' } }), /option 'adminToken'.*<redacted>/],
      [() => resolveOptions({ overrides: { ringOptions: { replicas: 1, writeQuorum: 2 } } }), /ringOptions.writeQuorum/],
      [() => resolveOptions({ overrides: { imageSets: { a: [] } } }), /option 'imageSets'/],
      [() => resolveOptions({ env: { HURDLE_IMAGE_SETS: '{nope' } }), /option 'imageSets' \(from env HURDLE_IMAGE_SETS\)/],
    ];
    for (const [fn, re] of cases) {
      assert.equal(codeOf(fn), 'SERVER_ERR_INVALID_OPTION');
      assert.throws(fn, re);
    }
  });

  it('reports unreadable or malformed config files', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'bad.json');
      writeFileSync(file, '{ nope');
      assert.equal(codeOf(() => readConfigFile(file)), 'SERVER_ERR_CONFIG_FILE');
      assert.equal(codeOf(() => readConfigFile(join(dir.path, 'missing.json'))), 'SERVER_ERR_CONFIG_FILE');
    } finally {
      dir.remove();
    }
  });

  it('maps names to env vars, parses ring URLs, redacts', () => {
    assert.equal(envNameOf('admission.maxQueue'), 'HURDLE_ADMISSION__MAX_QUEUE');
    assert.equal(envNameOf('refreshIntervalMs'), 'HURDLE_REFRESH_INTERVAL_MS');
    assert.deepEqual(parseRingUrl('zk://127.0.0.1:2181/hurdle/ring'), { connect: '127.0.0.1:2181', root: '/hurdle/ring' });
    assert.deepEqual(parseRingUrl('zk://a:1,b:2'), { connect: 'a:1,b:2', root: '/hurdle/ring' });
    const r = redactOptions(resolveOptions({ overrides: { adminToken: 'x'.repeat(20), db: 'postgres://u:pw@h:5432/d' } }));
    assert.equal(r.adminToken, '<redacted>');
    assert.equal(r.db, 'postgres://u:<redacted>@h:5432/d');
  });

  it('keeps the README error table in step with the codes', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const code of SERVER_ERROR_CODES) assert.ok(readme.includes(`\`${code}\``), `README lists ${code}`);
  });
});
