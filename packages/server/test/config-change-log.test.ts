// The config DB's change log and the mirror that follows it, on real SQLite files: sequences
// per write (two in the same millisecond included), deletes as tombstones, the migration of a
// DB made before the log, another connection's commits pushed at once, a DB whose log went
// back, and a mirror that outgrows its shared-memory segment.
import assert from 'node:assert/strict';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { ConfigSegment, configSegmentBytes, segmentWriter } from '../src/cluster/config-segment.js';
import { MIGRATIONS } from '../src/config-db-schema.js';
import { openConfigDb } from '../src/config-db.js';
import type { ConfigDb } from '../src/config-db.js';
import { ConfigMirror } from '../src/config-mirror.js';
import { SiteDirectory, createMemoryMirrorMap } from '../src/site-directory.js';
import { createSiteService } from '../src/site-service.js';
import { hashSecret } from '../src/site.js';
import type { SiteRecord } from '../src/site.js';
import { pollUntil, tempDir } from './fixtures.js';

const dirs: { remove: () => void }[] = [];
const open: ConfigDb[] = [];
after(async () => {
  for (const db of open) await db.close().catch(() => undefined);
  for (const d of dirs) d.remove();
});

async function freshDb(): Promise<{ db: ConfigDb; file: string }> {
  const dir = tempDir('hurdle-change-log-');
  dirs.push(dir);
  const file = join(dir.path, 'hurdle.db');
  const db = await openConfigDb(file, dir.path);
  open.push(db);
  await db.migrate();
  return { db, file };
}

function site(n: number, over: Partial<SiteRecord> = {}): SiteRecord {
  return {
    sitekey: `hk_site${String(n).padStart(8, '0')}`, name: `site ${n}`, secretHash: hashSecret(`secret-${n}`),
    prevSecretHash: null, prevSecretExpiresAt: null, hostnames: [`s${n}.example.com`], challengeTypes: ['pow'],
    difficulty: 8, imageSet: '', rateLimitPerSecond: 0, keyboardSolve: true, enabled: true, createdAt: 1000, updatedAt: 1000, ...over,
  };
}

const quiet = pino({ level: 'silent' });

describe('config DB change log', () => {
  it('stamps every write with the next sequence, writes in the same millisecond included', async () => {
    const { db } = await freshDb();
    await db.insertSites([site(1), site(2)]);
    await db.insertSite(site(3));
    // Same updatedAt on purpose: the log orders by sequence, not by time.
    await db.updateSite(site(1, { difficulty: 9 }));
    await db.updateSite(site(2, { difficulty: 10 }));
    const log = await db.changesSince(0, 100);
    assert.deepEqual(log.map((c) => [c.seq, c.sitekey]), [[3, site(3).sitekey], [4, site(1).sitekey], [5, site(2).sitekey]]);
    assert.deepEqual((await db.changesSince(3, 100)).map((c) => c.site?.difficulty), [9, 10]);
    assert.deepEqual(log[1]?.site, await db.getSite(site(1).sitekey), 'the log carries the site as stored');
    assert.deepEqual(await db.changesSince(5, 100), []);
    assert.deepEqual((await db.changesSince(0, 2)).map((c) => c.seq), [3, 4], 'a page holds at most the limit');
    await db.updateSite(site(3, { prevSecretHash: 'p'.repeat(64), prevSecretExpiresAt: 99, enabled: false, keyboardSolve: false }));
    assert.deepEqual((await db.changesSince(5, 1))[0]?.site, await db.getSite(site(3).sitekey));
  });

  it('records a delete as a tombstone in the same log; re-creating the sitekey clears it', async () => {
    const { db } = await freshDb();
    await db.insertSites([site(1), site(2)]);
    await db.deleteSite(site(1).sitekey);
    const log = await db.changesSince(0, 100);
    assert.deepEqual(log.map((c) => [c.seq, c.sitekey, c.site === undefined]), [[2, site(2).sitekey, false], [3, site(1).sitekey, true]]);
    await assert.rejects(db.deleteSite(site(1).sitekey), { code: 'SERVER_ERR_SITE_NOT_FOUND' });
    await assert.rejects(db.updateSite(site(1)), { code: 'SERVER_ERR_SITE_NOT_FOUND' });
    await db.insertSite(site(1, { name: 'again' }));
    assert.deepEqual((await db.changesSince(3, 100)).map((c) => [c.seq, c.site?.name]), [[4, 'again']]);
    assert.equal((await db.changesSince(0, 100)).filter((c) => c.site === undefined).length, 0);
  });

  it('a bulk insert with a taken sitekey stores nothing and takes no sequence', async () => {
    const { db } = await freshDb();
    await db.insertSite(site(1));
    await assert.rejects(db.insertSites([site(2), site(1)]), { code: 'SERVER_ERR_SITE_EXISTS' });
    assert.equal((await db.siteStats()).sites, 1);
    assert.deepEqual(await db.changeLogHead(site(1).sitekey), { seq: 1, siteSeq: 1 });
  });

  it('migrates a DB made before the change log: rows numbered in listing order, the counter after them', async () => {
    const dir = tempDir('hurdle-change-log-old-');
    dirs.push(dir);
    const file = join(dir.path, 'hurdle.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    // Every migration before the change log's own.
    MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN change_seq'))).forEach((sql, i) => {
      raw.exec(sql);
      raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, 0);
    });
    const insert = raw.prepare(`INSERT INTO sites (sitekey, name, secret_hash, hostnames, challenge_types, difficulty, image_set,
      rate_limit_per_second, enabled, created_at, updated_at) VALUES (?, ?, ?, '[]', '["pow"]', 8, '', 0, 1, ?, ?)`);
    insert.run('hk_b', 'b', 'h-b', 2000, 2000);
    insert.run('hk_a', 'a', 'h-a', 2000, 2000);
    insert.run('hk_c', 'c', 'h-c', 1000, 5000);
    raw.close();
    chmodSync(file, 0o600);
    const db = await openConfigDb(file, dir.path);
    open.push(db);
    await db.migrate();
    await db.migrate(); // idempotent
    assert.deepEqual((await db.changesSince(0, 10)).map((c) => [c.seq, c.sitekey]), [[1, 'hk_c'], [2, 'hk_a'], [3, 'hk_b']]);
    await db.updateSite({ ...(await db.getSite('hk_a'))!, name: 'a2' });
    assert.deepEqual((await db.changesSince(3, 10)).map((c) => [c.seq, c.site?.name]), [[4, 'a2']]);
  });
});

describe('config mirror over the change log', () => {
  it('applies two writes of the same millisecond, and a delete, before the write answers', async () => {
    const { db } = await freshDb();
    const map = createMemoryMirrorMap();
    const mirror = new ConfigMirror({ db, map, refreshIntervalMs: 3_600_000, logger: quiet });
    await mirror.start();
    const dir = new SiteDirectory(map);
    // A frozen clock: both writes carry the same updatedAt.
    const admin = createSiteService({ db, afterWrite: () => mirror.refresh(), now: () => 42_000 });
    const a = await admin.createSite({ name: 'a', challengeTypes: ['pow'] });
    const b = await admin.createSite({ name: 'b', challengeTypes: ['pow'] });
    await Promise.all([admin.updateSite(a.site.sitekey, { difficulty: 11 }), admin.updateSite(b.site.sitekey, { difficulty: 12 })]);
    assert.equal(dir.site(a.site.sitekey)?.difficulty, 11);
    assert.equal(dir.site(b.site.sitekey)?.difficulty, 12);
    assert.equal(dir.siteForSecret(a.secret)?.sitekey, a.site.sitekey);
    const rotated = await admin.rotateSecret(a.site.sitekey);
    assert.equal(dir.siteForSecret(a.secret), undefined, 'the old secret no longer maps to the site');
    assert.equal(map.get(`secret:${hashSecret(a.secret)}`), undefined, "the old secret's index entry is gone");
    assert.equal(dir.siteForSecret(rotated.secret)?.sitekey, a.site.sitekey);
    await db.deleteSite(b.site.sitekey);
    await mirror.refresh();
    assert.equal(dir.site(b.site.sitekey), undefined);
    assert.equal(dir.siteForSecret(b.secret), undefined);
    assert.equal(map.get(`secret:${hashSecret(b.secret)}`), undefined);
    assert.equal(mirror.stats().sites, 1);
    assert.equal(dir.snapshot()?.sites, 1);
    mirror.stop();
  });

  it("picks up another connection's commits at once (no poll interval), pages through a large change", async () => {
    const { db, file } = await freshDb();
    const map = createMemoryMirrorMap();
    const mirror = new ConfigMirror({ db, map, refreshIntervalMs: 3_600_000, logger: quiet, pageSize: 100 });
    await mirror.start();
    const other = await openConfigDb(file, join(file, '..'));
    open.push(other);
    const many = Array.from({ length: 1050 }, (_, i) => site(i));
    await other.insertSites(many);
    const t0 = Date.now();
    await pollUntil('the other connection\'s sites in the mirror', () => (mirror.stats().sites === 1050 ? true : undefined), 5000, 5);
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    await other.deleteSite(many[7]!.sitekey);
    await pollUntil('the delete in the mirror', () => (map.get(`site:${many[7]!.sitekey}`) === undefined ? true : undefined), 5000, 5);
    assert.equal(mirror.stats().sites, 1049);
    assert.ok(map.get(`site:${many[1049]!.sitekey}`));
    mirror.stop();
  });

  it('rebuilds from the DB when its change log went back (lost commits), then follows the new writes', async () => {
    const { db, file } = await freshDb();
    const map = createMemoryMirrorMap();
    let current = map;
    const mirror = new ConfigMirror({
      db, map, refreshIntervalMs: 3_600_000, logger: quiet,
      replace: () => {
        const next = createMemoryMirrorMap();
        return { map: next, publish: () => { current = next; }, discard: () => undefined };
      },
    });
    await mirror.start();
    await db.insertSites([site(1), site(2), site(3)]);
    await mirror.refresh();
    assert.equal(mirror.stats().seq, 3);
    // The DB loses its last two commits (what a restore from an older backup does).
    const raw = new Database(file);
    raw.exec(`DELETE FROM sites WHERE change_seq > 1; UPDATE change_counter SET seq = 1`);
    raw.close();
    // New writes reuse sequences 2 and 3, which the mirror has passed.
    await db.insertSites([site(4), site(5)]);
    await mirror.refresh();
    const keys = [1, 2, 3, 4, 5].map((n) => current.get(`site:${site(n).sitekey}`) !== undefined);
    assert.deepEqual(keys, [true, false, false, true, true]);
    assert.equal(mirror.stats().sites, 3);
    mirror.stop();
  });

  it('moves to a larger segment when the data outgrows it; every site and secret stays readable', async () => {
    const { db } = await freshDb();
    const name = `hurdle-test-${process.pid}-grow`;
    const segment = new ConfigSegment({ baseName: name, sizeBytes: 1024 * 1024, logger: quiet, announce: () => [] });
    const mirror = new ConfigMirror({ db, map: segmentWriter(segment.map), replace: (larger) => segment.replace(larger), refreshIntervalMs: 3_600_000, logger: quiet });
    try {
      await mirror.start();
      const reader = new SiteDirectory({ get: (k) => segment.map.get(k) });
      const many = Array.from({ length: 3000 }, (_, i) => site(i));
      for (let at = 0; at < many.length; at += 500) {
        await db.insertSites(many.slice(at, at + 500));
        await mirror.refresh();
      }
      assert.ok(mirror.stats().grows >= 1, `grew ${mirror.stats().grows} times`);
      assert.ok(segment.map.stats().sizeBytes >= 2 * 1024 * 1024, `segment of ${segment.map.stats().sizeBytes} bytes`);
      assert.notEqual(segment.name, name);
      assert.equal(existsSync(`/dev/shm/${name}`), false, 'the first segment was removed once nobody read it');
      for (const n of [0, 1234, 2999]) {
        assert.equal(reader.site(site(n).sitekey)?.name, `site ${n}`);
        assert.equal(reader.siteForSecret(`secret-${n}`)?.sitekey, site(n).sitekey);
      }
      assert.equal(reader.snapshot()?.sites, 3000);
    } finally {
      mirror.stop();
      segment.unlink();
    }
  });

  it('sizes the segment from the data: the defaults hold a million sites', () => {
    const MIB = 1024 * 1024;
    assert.equal(configSegmentBytes({ sites: 0, textBytes: 0 }, 16 * MIB), 16 * MIB);
    const typical = (sites: number) => ({ sites, textBytes: sites * 140 });
    const at100k = configSegmentBytes(typical(100_000), 16 * MIB);
    assert.ok(at100k > 100 * MIB && at100k < 200 * MIB, `${at100k / MIB} MiB for 100k sites`);
    assert.equal(configSegmentBytes(typical(1_000_000), 16 * MIB), 1024 * MIB);
  });
});
