// The snapshot a fresh config mirror is filled from, on real SQLite files: each site's JSON
// text (written by SQLite) decodes to exactly the record `getSite` reads, tricky values
// included; the pages add up to every site; the end is the change log's last entry (a
// delete included); a commit by another connection during the read is not in it; the
// handler's own error comes back as it is; and a mirror filled from it serves every site.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openConfigDb } from '../src/config-db.js';
import type { ConfigDb } from '../src/config-db.js';
import { ConfigMirror } from '../src/config-mirror.js';
import type { SnapshotSite } from '../src/config-snapshot.js';
import { SiteDirectory, createMemoryMirrorMap } from '../src/site-directory.js';
import { DEFAULT_SITE_RISK } from '../src/risk/site-risk-settings.js';
import { hashSecret } from '../src/site.js';
import type { SiteRecord } from '../src/site.js';
import { tempDir } from './fixtures.js';

const dirs: { remove: () => void }[] = [];
const open: ConfigDb[] = [];
after(async () => {
  for (const db of open) await db.close().catch(() => undefined);
  for (const d of dirs) d.remove();
});

async function freshDb(): Promise<{ db: ConfigDb; file: string }> {
  const dir = tempDir('hurdle-snapshot-');
  dirs.push(dir);
  const file = join(dir.path, 'hurdle.db');
  const db = await openConfigDb(file, dir.path);
  open.push(db);
  await db.migrate();
  return { db, file };
}

function site(n: number, over: Partial<SiteRecord> = {}): SiteRecord {
  return {
    sitekey: `hk_snap${String(n).padStart(8, '0')}`, name: `site ${n}`, secretHash: hashSecret(`secret-${n}`),
    prevSecretHash: null, prevSecretExpiresAt: null, hostnames: [], challengeTypes: ['pow'],
    difficulty: 8, imageSet: '', rateLimitPerSecond: 0, keyboardSolve: true, enabled: true, createdAt: 1000 + n, updatedAt: 2000 + n, ...over,
  };
}

/** Sites whose columns take every shape the JSON text must get right. */
const TRICKY: SiteRecord[] = [
  site(1),
  site(2, { name: 'Café "quoted" \\ back\\slash\ttab\nnewline \u0001 ✓ 🔑 ключ', hostnames: ['a.example', 'b.example'] }),
  site(3, { prevSecretHash: hashSecret('old-3'), prevSecretExpiresAt: 1_796_000_000_123, challengeTypes: ['slide', 'pow'] }),
  site(4, { keyboardSolve: false, enabled: false, difficulty: 21, rateLimitPerSecond: 250, imageSet: 'nature', challengeTypes: ['slide'] }),
  site(5, { risk: { sensitivity: 'high', checks: { ...DEFAULT_SITE_RISK.checks, prefix: false }, minScore: { login: 0.5, '*': 0.2 } } }),
  site(6, { challengeTypes: ['pow', 'slide'], hostnames: ['ünïcode.example'], createdAt: 0, updatedAt: Number.MAX_SAFE_INTEGER }),
  site(7, { powAlgorithm: 'scrypt' }),
];

async function collect(db: ConfigDb, pageSize: number): Promise<{ pages: SnapshotSite[][]; end: { seq: number; sitekey: string | undefined } }> {
  const pages: SnapshotSite[][] = [];
  const end = await db.snapshot(pageSize, (sites) => {
    pages.push(sites.map((s) => [s[0], s[1], s[2], s[3]]));
  });
  return { pages, end };
}

describe('config snapshot (SQLite)', () => {
  it('hands out each site as JSON text that decodes to the stored record, a page at a time', async () => {
    const { db } = await freshDb();
    await db.insertSites(TRICKY);
    const { pages, end } = await collect(db, 4);
    assert.deepEqual(pages.map((p) => p.length), [4, 3]);
    const all = pages.flat();
    assert.equal(all.length, TRICKY.length);
    for (const [sitekey, secretHash, prevSecretHash, json] of all) {
      const stored = await db.getSite(sitekey);
      assert.ok(stored, sitekey);
      assert.deepEqual(JSON.parse(json), stored, `the JSON of ${sitekey} is the stored record`);
      assert.equal(secretHash, stored.secretHash);
      assert.equal(prevSecretHash, stored.prevSecretHash);
    }
    assert.deepEqual(end, { seq: TRICKY.length, sitekey: TRICKY[TRICKY.length - 1]!.sitekey });
  });

  it('ends at the last change-log entry, an update or a delete, and is empty on an empty DB', async () => {
    const { db } = await freshDb();
    assert.deepEqual((await collect(db, 10)).end, { seq: 0, sitekey: undefined });
    await db.insertSites([site(1), site(2), site(3)]);
    await db.updateSite({ ...site(1), name: 'renamed' });
    let snap = await collect(db, 10);
    assert.deepEqual(snap.end, { seq: 4, sitekey: site(1).sitekey });
    assert.equal(JSON.parse(snap.pages[0]!.find((s) => s[0] === site(1).sitekey)![3]).name, 'renamed');
    await db.deleteSite(site(2).sitekey);
    snap = await collect(db, 10);
    assert.deepEqual(snap.end, { seq: 5, sitekey: site(2).sitekey }, 'a delete is the last entry');
    assert.deepEqual(snap.pages.flat().map((s) => s[0]).sort(), [site(1).sitekey, site(3).sitekey]);
  });

  it('is one moment: a commit by another connection while it reads is left to the change log', async () => {
    const { db, file } = await freshDb();
    await db.insertSites(Array.from({ length: 10 }, (_, i) => site(i)));
    const other = new Database(file);
    other.pragma('busy_timeout = 5000');
    let wrote = false;
    const seen: string[] = [];
    const end = await db.snapshot(3, (sites) => {
      for (const s of sites) seen.push(s[0]);
      if (!wrote) {
        wrote = true;
        // A write by another process between two pages: a new sequence, a changed row.
        other.transaction(() => {
          const seq = (other.prepare('UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq').get() as { seq: number }).seq;
          other.prepare("UPDATE sites SET name = 'later', change_seq = ? WHERE sitekey = ?").run(seq, site(9).sitekey);
        })();
      }
    });
    other.close();
    assert.equal(seen.length, 10);
    assert.deepEqual(end, { seq: 10, sitekey: site(9).sitekey }, 'the later commit (seq 11) is not in it');
    const after = await db.changesSince(end.seq, 10);
    assert.deepEqual(after.map((c) => [c.seq, c.site?.name]), [[11, 'later']], 'the change log goes on from its end');
  });

  it("rethrows the handler's own error as it is", async () => {
    const { db } = await freshDb();
    await db.insertSites([site(1), site(2)]);
    const full = Object.assign(new Error('full'), { code: 'SHM_ERR_SEGMENT_FULL' });
    await assert.rejects(db.snapshot(1, () => {
      throw full;
    }), (err) => err === full);
    // The read transaction ended: the connection writes again.
    await db.updateSite({ ...site(1), name: 'after' });
    assert.equal((await db.getSite(site(1).sitekey))?.name, 'after');
  });

  it('sizes a large table from a spread sample of rows, a small one exactly', async () => {
    const { db, file } = await freshDb();
    // Names of two lengths in runs: a sample from one end of the table would miss by a third.
    const sites = Array.from({ length: 12_000 }, (_, i) => site(i, { name: i < 6000 ? 'short' : 'a much longer name '.repeat(4) }));
    await db.insertSites(sites.slice(0, 2000));
    const raw = new Database(file, { readonly: true });
    const exact = (): number => (raw.prepare('SELECT SUM(LENGTH(sitekey) + LENGTH(name) + LENGTH(secret_hash) + COALESCE(LENGTH(prev_secret_hash), 0) + LENGTH(hostnames) + LENGTH(challenge_types) + LENGTH(image_set) + LENGTH(pow_algorithm)) AS n FROM sites').get() as { n: number }).n;
    assert.deepEqual(await db.siteStats(), { sites: 2000, textBytes: exact() }, 'exact under the sampling threshold');
    await db.insertSites(sites.slice(2000));
    const stats = await db.siteStats();
    assert.equal(stats.sites, 12_000, 'the count is exact');
    const want = exact();
    raw.close();
    assert.ok(Math.abs(stats.textBytes - want) / want < 0.05, `estimate ${stats.textBytes} within 5% of ${want}`);
  });

  it('fills a mirror that serves every site, by sitekey and by current and previous secret', async () => {
    const { db } = await freshDb();
    const rotated = site(8, { secretHash: hashSecret('new-8'), prevSecretHash: hashSecret('old-8'), prevSecretExpiresAt: Date.now() + 60_000 });
    await db.insertSites([...TRICKY, rotated]);
    const map = createMemoryMirrorMap();
    const mirror = new ConfigMirror({ db, map, refreshIntervalMs: 60_000, pageSize: 3 });
    await mirror.start();
    mirror.stop();
    const directory = new SiteDirectory(map);
    for (const s of [...TRICKY, rotated]) assert.deepEqual(directory.site(s.sitekey), await db.getSite(s.sitekey));
    assert.equal(directory.siteForSecret('secret-1')?.sitekey, site(1).sitekey);
    assert.equal(directory.siteForSecret('new-8')?.sitekey, rotated.sitekey);
    assert.equal(directory.siteForSecret('old-8')?.sitekey, rotated.sitekey);
    assert.equal(directory.siteForSecret('nobody'), undefined);
    assert.equal(mirror.stats().sites, TRICKY.length + 1);
    assert.equal(mirror.stats().seq, TRICKY.length + 1);
  });
});
