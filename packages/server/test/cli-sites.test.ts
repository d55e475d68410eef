// `hurdle site list|show|update|disable` and `keys rotate` with --json on a real data dir:
// every change lands in the config DB (read back by a separate process), bad values are
// refused by the admin API's rules with their code, and no secret is printed but once.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATIONS } from '../src/config-db-schema.js';
import type { SiteView } from '../src/site.js';
import { runCli, tempDir } from './fixtures.js';

const dir = tempDir();
after(() => dir.remove());
const db = ['--data-dir', dir.path];
interface ErrorDoc { ok: false; error: { code: string; message: string } }

let sitekey: string;
let secret: string;

before(async () => {
  const created = await runCli(['site', 'create', '--name', 'Round trip', '--hostnames', 'shop.example', '--types', 'pow', '--difficulty', '9', '--json', ...db]);
  assert.equal(created.code, 0, created.err);
  const doc = created.json<{ site: SiteView; secret: string }>();
  sitekey = doc.site.sitekey;
  secret = doc.secret;
  assert.match(sitekey, /^hk_/);
  assert.match(secret, /^hs_/);
  assert.deepEqual(doc.site.challengeTypes, ['pow']);
});

describe('hurdle site with --json', () => {
  it('lists and shows the site, never its secret', async () => {
    const list = await runCli(['site', 'list', '--json', ...db]);
    assert.equal(list.code, 0, list.err);
    const sites = list.json<SiteView[]>();
    const mine = sites.find((s) => s.sitekey === sitekey);
    assert.ok(mine, `site list --json lacks ${sitekey}`);
    assert.equal(mine.difficulty, 9);
    assert.deepEqual(mine.hostnames, ['shop.example']);
    const show = await runCli(['site', 'show', sitekey, '--json', ...db]);
    assert.equal(show.code, 0, show.err);
    assert.deepEqual(show.json<SiteView>(), mine);
    const text = await runCli(['site', 'show', sitekey, ...db]);
    assert.match(text.out, /difficulty\s+9/);
    assert.match(text.out, /hostnames\s+shop\.example/);
    for (const r of [list, show, text]) {
      assert.ok(!r.out.includes(secret), 'a read command printed the secret');
      assert.ok(!r.out.includes('secretHash'), 'a read command printed the secret hash');
    }
  });

  it('updates fields through the admin rules; the others stay', async () => {
    const updated = await runCli(['site', 'update', sitekey, '--difficulty', '20', '--hostnames', 'a.example,*.b.example', '--name', 'Renamed', '--json', ...db]);
    assert.equal(updated.code, 0, updated.err);
    const site = updated.json<SiteView>();
    assert.equal(site.difficulty, 20);
    assert.equal(site.name, 'Renamed');
    assert.deepEqual(site.hostnames, ['a.example', '*.b.example']);
    assert.deepEqual(site.challengeTypes, ['pow'], 'a field not given changed');
    // Read back by another process: the change is in the DB.
    const shown = (await runCli(['site', 'show', sitekey, '--json', ...db])).json<SiteView>();
    assert.equal(shown.difficulty, 20);
    assert.ok(shown.updatedAt > shown.createdAt, "updatedAt did not move");
    const anyHost = await runCli(['site', 'update', sitekey, '--hostnames', '', '--types', 'slide,pow', '--json', ...db]);
    assert.equal(anyHost.code, 0, anyHost.err);
    assert.deepEqual(anyHost.json<SiteView>().hostnames, []);
    assert.deepEqual(anyHost.json<SiteView>().challengeTypes, ['slide', 'pow']);
  });

  it('refuses bad values with SERVER_ERR_INVALID_SITE and exit 1, changing nothing', async () => {
    const before = (await runCli(['site', 'show', sitekey, '--json', ...db])).json<SiteView>();
    const bad: [string[], RegExp][] = [
      [['--difficulty', '99'], /site field 'difficulty' must be an integer from 1 to 32/],
      [['--difficulty', 'lots'], /site field 'difficulty'/],
      [['--types', 'slide,captcha'], /site field 'challengeTypes'/],
      [['--hostnames', 'not a host!'], /site field 'hostnames'/],
      [['--enabled', 'maybe'], /site field 'enabled' must be a boolean/],
      [['--keyboard-solve', 'no'], /site field 'keyboardSolve' must be a boolean/],
      [['--rate-limit-per-second', '-1'], /site field 'rateLimitPerSecond'/],
      [['--name', ' '], /site field 'name'/],
    ];
    for (const [flags, message] of bad) {
      const r = await runCli(['site', 'update', sitekey, ...flags, '--json', ...db]);
      assert.equal(r.code, 1, `${flags.join(' ')}: exit ${r.code}`);
      const doc = r.json<ErrorDoc>();
      assert.equal(doc.ok, false);
      assert.equal(doc.error.code, 'SERVER_ERR_INVALID_SITE', flags.join(' '));
      assert.match(doc.error.message, message);
      assert.match(r.err, /\[SERVER_ERR_INVALID_SITE\]/);
    }
    assert.deepEqual((await runCli(['site', 'show', sitekey, '--json', ...db])).json<SiteView>(), before);
    const none = await runCli(['site', 'update', sitekey, ...db]);
    assert.equal(none.code, 2);
    assert.match(none.err, /needs at least one of --name/);
  });

  it('turns keyboard solving off and on with --keyboard-solve, on create and update', async () => {
    const created = await runCli(['site', 'create', '--name', 'No keys', '--types', 'slide,pow', '--keyboard-solve', 'false', '--json', ...db]);
    assert.equal(created.code, 0, created.err);
    const key = created.json<{ site: SiteView }>().site.sitekey;
    assert.equal(created.json<{ site: SiteView }>().site.keyboardSolve, false);
    const text = await runCli(['site', 'show', key, ...db]);
    assert.match(text.out, /keyboard solve\s+no/);
    const sqlite = new Database(join(dir.path, 'hurdle.db'), { readonly: true });
    try {
      const row = sqlite.prepare('SELECT keyboard_solve FROM sites WHERE sitekey = ?').get(key) as { keyboard_solve: number };
      assert.equal(row.keyboard_solve, 0, 'stored in the config DB');
    } finally {
      sqlite.close();
    }
    const on = await runCli(['site', 'update', key, '--keyboard-solve', 'true', '--json', ...db]);
    assert.equal(on.code, 0, on.err);
    assert.equal(on.json<SiteView>().keyboardSolve, true);
    assert.equal((await runCli(['site', 'show', sitekey, '--json', ...db])).json<SiteView>().keyboardSolve, true, 'the default is on');
  });

  it('disables and re-enables the site', async () => {
    const disabled = await runCli(['site', 'disable', sitekey, '--json', ...db]);
    assert.equal(disabled.code, 0, disabled.err);
    assert.equal(disabled.json<SiteView>().enabled, false);
    const listed = await runCli(['site', 'list', ...db]);
    assert.match(listed.out, new RegExp(`${sitekey}\\s+disabled`));
    const enabled = await runCli(['site', 'update', sitekey, '--enabled', 'true', '--json', ...db]);
    assert.equal(enabled.json<SiteView>().enabled, true);
  });

  it('exits 3 with SERVER_ERR_SITE_NOT_FOUND for an unknown sitekey', async () => {
    for (const args of [['show'], ['update', '--difficulty', '5'], ['disable'], ['rotate-secret']]) {
      const [sub, ...rest] = args as [string, ...string[]];
      const r = await runCli(['site', sub, 'hk_doesnotexist', ...rest, '--json', ...db]);
      assert.equal(r.code, 3, `site ${sub}: exit ${r.code}, ${r.err}`);
      assert.equal(r.json<ErrorDoc>().error.code, 'SERVER_ERR_SITE_NOT_FOUND');
    }
  });

  it('rotates the secret with --json', async () => {
    const r = await runCli(['site', 'rotate-secret', sitekey, '--grace-ms', '60000', '--json', ...db]);
    assert.equal(r.code, 0, r.err);
    const doc = r.json<{ site: SiteView; secret: string }>();
    assert.match(doc.secret, /^hs_/);
    assert.notEqual(doc.secret, secret);
    assert.ok(doc.site.secretRotationEndsAt !== null && doc.site.secretRotationEndsAt > Date.now());
    // The command's changes are in the audit log like the admin API's, without the secrets.
    const sqlite = new Database(join(dir.path, 'hurdle.db'), { readonly: true });
    try {
      const rows = sqlite.prepare('SELECT actor, action, target, address, detail FROM audit_log WHERE target = ? ORDER BY at').all(sitekey) as { actor: string; action: string; address: string; detail: string }[];
      assert.ok(rows.some((r) => r.action === 'site.create'), JSON.stringify(rows));
      const rotation = rows.find((r) => r.action === 'site.rotate-secret');
      assert.deepEqual(JSON.parse(rotation?.detail ?? '{}'), { graceMs: 60000 });
      assert.match(rotation?.actor ?? '', /^cli:/);
      assert.match(rotation?.address ?? '', /^local:/);
      assert.ok(!JSON.stringify(rows).includes(doc.secret) && !JSON.stringify(rows).includes(secret), 'no secret in the audit log');
    } finally {
      sqlite.close();
    }
  });

  it('rotates the signing keys with --json, never printing a key', async () => {
    const r = await runCli(['keys', 'rotate', '--json', ...db]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.json(), { rotated: true, activeKeys: 2 });
    const sqlite = new Database(join(dir.path, 'hurdle.db'), { readonly: true });
    try {
      const row = sqlite.prepare("SELECT value FROM meta WHERE key = 'hmac_keys'").get() as { value: string };
      const keys = JSON.parse(row.value) as string[];
      assert.equal(keys.length, 2);
      for (const key of keys) assert.ok(!r.out.includes(key) && !r.err.includes(key), 'keys rotate printed a signing key');
    } finally {
      sqlite.close();
    }
  });
});

describe('config DB migration', () => {
  it('a DB from before keyboardSolve gets the column, and its sites keep keyboard solving', async () => {
    const old = tempDir();
    try {
      const sqlite = new Database(join(old.path, 'hurdle.db'));
      try {
        // The schema as the first two migrations left it, with one site in it.
        sqlite.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        sqlite.exec(MIGRATIONS[0] as string);
        sqlite.exec(MIGRATIONS[1] as string);
        sqlite.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0)').run();
        sqlite.prepare(`INSERT INTO sites (sitekey, name, secret_hash, prev_secret_hash, prev_secret_expires_at, hostnames, challenge_types,
          difficulty, image_set, rate_limit_per_second, enabled, created_at, updated_at)
          VALUES ('hk_oldsite', 'Old', ?, NULL, NULL, '[]', '["slide","pow"]', 16, '', 0, 1, 1, 1)`).run('0'.repeat(64));
      } finally {
        sqlite.close();
      }
      // The server refuses a config DB others can read (it holds the signing keys).
      chmodSync(old.path, 0o700);
      chmodSync(join(old.path, 'hurdle.db'), 0o600);
      const shown = await runCli(['site', 'show', 'hk_oldsite', '--json', '--data-dir', old.path]);
      assert.equal(shown.code, 0, shown.err);
      assert.equal(shown.json<SiteView>().keyboardSolve, true);
      const check = new Database(join(old.path, 'hurdle.db'), { readonly: true });
      try {
        const versions = (check.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
        assert.deepEqual(versions, MIGRATIONS.map((_, i) => i + 1));
      } finally {
        check.close();
      }
    } finally {
      old.remove();
    }
  });
});
