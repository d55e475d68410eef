/**
 * Keeps docs/ in step with the code: every server option (with its environment variable and
 * default) in docs/configuration.md, every route in docs/api.md, every metric in
 * docs/operations.md, every test key in docs/api.md, every site field (with its default) in
 * docs/configuration.md, docs/api.md and, as a flag, in docs/operations.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTION_PATHS, SITE_DEFAULTS, TEST_KEYS, createService, defaults, envNameOf } from '@hurdle/server';

const ROOT = new URL('../../../../', import.meta.url);
const read = (rel: string): string => readFileSync(new URL(rel, ROOT), 'utf8');

test('configuration.md: one row per option, with its environment variable, flag and default', () => {
  const doc = read('docs/configuration.md');
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const name = /^`([A-Za-z.]+)`$/.exec(cells[0] ?? '')?.[1];
    if (name && cells.length === 5) rows.set(name, cells);
  }
  const d = defaults() as unknown as Record<string, unknown>;
  for (const path of OPTION_PATHS) {
    const cells = rows.get(path);
    assert.ok(cells, `docs/configuration.md: no row for option '${path}'`);
    assert.equal(cells[1], `\`${envNameOf(path)}\``, `${path}: environment variable`);
    const flag = `--${path.split('.').map((p) => p.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join('.')}`;
    assert.equal(cells[2], `\`${flag}\``, `${path}: flag`);
    if (path === 'workers') continue; // machine-dependent default, described in words
    const value = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], d);
    assert.ok((cells[3] as string).startsWith(`\`${JSON.stringify(value)}\``), `${path}: default should be ${JSON.stringify(value)}, the doc says ${cells[3]}`);
  }
  for (const name of rows.keys()) assert.ok(OPTION_PATHS.includes(name), `docs/configuration.md documents '${name}', which is not an option`);
});

test('api.md: every route the server registers is documented', async () => {
  const api = read('docs/api.md');
  // The routes of a real service, collected as they are registered (test hooks on, so the
  // test-only route is checked too; the widget's routes are documented in their own table).
  const routes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hurdle-docs-test-'));
  const svc = await createService({
    options: { dataDir: dir, testHooks: true, logLevel: 'silent', refreshIntervalMs: 3_600_000 },
    widget: false,
    onRoute: (route) => {
      // Hidden routes (CORS preflights, the OpenAPI UI's own assets) are not API operations.
      if ((route.schema as { hide?: boolean } | undefined)?.hide === true) return;
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${route.url}`);
      }
    },
  });
  try {
    assert.ok(routes.length >= 10, `expected the server's routes, found ${routes.length}`);
    assert.ok(routes.includes('GET /v1/test-hooks/answer/:id') && routes.includes('POST /siteverify'), `route collection missed known routes: ${routes.join(', ')}`);
    for (const route of routes) {
      // Documented as `METHOD /path` or, for GET-only operations routes, as `GET /path` in a table.
      assert.ok(api.includes(route), `docs/api.md does not document ${route}`);
    }
  } finally {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('api.md: every vendor path of /siteverify is documented', () => {
  const api = read('docs/api.md');
  const source = read('packages/server/src/routes/siteverify-compat.ts');
  const aliases = [...source.matchAll(/\{ path: '([^']+)', vendor: '\w+', get: (true|false) \}/g)];
  assert.ok(aliases.length >= 3, `expected the siteverify aliases, found ${aliases.length}`);
  for (const [, path, get] of aliases) {
    assert.ok(api.includes(`POST ${path as string}`), `docs/api.md does not document POST ${path as string}`);
    if (get === 'true') assert.ok(api.includes(`GET ${path as string}`), `docs/api.md does not document GET ${path as string}`);
  }
  const friendly = /FRIENDLY_CAPTCHA_PATH = '([^']+)'/.exec(source)?.[1];
  assert.ok(friendly !== undefined && api.includes(`POST ${friendly}`), 'docs/api.md does not document the Friendly Captcha path');
});

test('api.md: the test keys are the server\'s', () => {
  const api = read('docs/api.md');
  for (const [name, key] of Object.entries(TEST_KEYS)) assert.ok(api.includes(key), `docs/api.md lacks test key ${name} (${key})`);
});

test('operations.md: every metric is documented', () => {
  const ops = read('docs/operations.md');
  const source = read('packages/server/src/metrics.ts');
  const names = [...new Set([...source.matchAll(/name: '(hurdle_[a-z_]+)'/g)].map((m) => m[1] as string))];
  assert.ok(names.length >= 15, `expected the server's metrics, found ${names.length}`);
  for (const name of names) assert.ok(ops.includes(`\`${name}\``), `docs/operations.md does not document metric ${name}`);
});

test('site fields: configuration.md rows with defaults, api.md create body and Site, operations.md CLI flags', () => {
  const fields = ['name', ...Object.keys(SITE_DEFAULTS)];
  const conf = read('docs/configuration.md');
  const rows = new Map<string, string>();
  for (const line of conf.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const name = /^`([A-Za-z]+)`$/.exec(cells[0] ?? '')?.[1];
    if (name && cells.length === 3) rows.set(name, cells[1] as string);
  }
  const defaultsOf = SITE_DEFAULTS as Readonly<Record<string, unknown>>;
  for (const field of fields) {
    const cell = rows.get(field);
    assert.ok(cell !== undefined, `docs/configuration.md: no site field row for '${field}'`);
    if (field !== 'name') assert.equal(cell, `\`${JSON.stringify(defaultsOf[field]).replace(/,/g, ', ')}\``, `${field}: default`);
  }
  const api = read('docs/api.md');
  const body = /`POST \/admin\/api\/sites` \| `\{ ([^}]+) \}`/.exec(api)?.[1]?.split(',').map((f) => f.trim().replace(/\?$/, ''));
  assert.deepEqual(body?.slice().sort(), fields.slice().sort(), 'docs/api.md: POST /admin/api/sites body fields');
  const site = /`Site`:\s*```json\n([^`]*)```/.exec(api)?.[1] ?? '';
  for (const field of fields) assert.ok(site.includes(`"${field}":`), `docs/api.md: the Site example lacks '${field}'`);
  // Every field flag of `hurdle site create|update` is in the CLI section.
  const ops = read('docs/operations.md');
  const source = read('packages/server/src/cli/site-command.ts');
  const flags = [...source.matchAll(/\{ name: '([a-z-]+)', value: '/g)].filter((m) => m[1] !== 'grace-ms');
  assert.ok(flags.length >= fields.length, `expected a flag per site field, found ${flags.map((m) => m[1]).join(', ')}`);
  // Written with an example value (`--hostnames a.com,*.b.com`), so only the flag is matched.
  for (const [, flag] of flags) assert.ok(ops.includes(`\`--${flag as string} `), `docs/operations.md lacks --${flag as string}`);
  assert.ok(ops.includes('--keyboard-solve true|false'), 'docs/operations.md lacks --keyboard-solve true|false');
});
