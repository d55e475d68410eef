// The demo site's secret never reaches the config DB in plaintext: each start rotates it and
// keeps the fresh one in memory for the /demo back end.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createService } from '../src/service.js';
import type { Service } from '../src/service.js';
import { tempDir } from './fixtures.js';

const ADMIN = 'admin-token-for-tests-0123456789';

function start(dataDir: string): Promise<Service> {
  return createService({
    options: { dataDir, adminToken: ADMIN, logLevel: 'silent', renderThreads: 0, refreshIntervalMs: 3_600_000 },
    widget: false,
  });
}

/** Every byte the config DB keeps on disk (the DB file, its WAL and journal). */
function dbBytes(dataDir: string): string {
  return readdirSync(dataDir).filter((f) => f.startsWith('hurdle.db')).map((f) => readFileSync(join(dataDir, f)).toString('latin1')).join('');
}

describe('demo site secret', () => {
  it('is not stored in plaintext; rotated at each start; a legacy plaintext record is scrubbed', async () => {
    const dir = tempDir();
    try {
      const first = await start(dir.path);
      const demo1 = first.boot.demo;
      let sitekey: string;
      try {
        assert.ok(demo1, 'first start creates the demo site');
        assert.equal(first.boot.demoCreated, true);
        assert.match(demo1.secret, /^hs_/);
        sitekey = demo1.sitekey;
        assert.deepEqual(JSON.parse(await first.db.getMeta('demo_site') as string), { sitekey });
        assert.equal(first.sites.siteForSecret(demo1.secret)?.sitekey, sitekey, 'the in-memory secret verifies');
        assert.deepEqual(first.sites.demo(), demo1, 'the demo back end gets it from the mirror');
      } finally {
        await first.close();
      }
      assert.ok(!dbBytes(dir.path).includes(demo1.secret), 'the DB files do not contain the demo secret');

      const second = await start(dir.path);
      let demo2: { sitekey: string; secret: string } | undefined;
      try {
        demo2 = second.boot.demo;
        assert.ok(demo2);
        assert.equal(second.boot.demoCreated, false);
        assert.equal(demo2.sitekey, sitekey, 'same demo site');
        assert.notEqual(demo2.secret, demo1.secret, 'a fresh secret per start');
        assert.equal(second.sites.siteForSecret(demo1.secret), undefined, 'the previous secret is void');
        assert.equal(second.sites.siteForSecret(demo2.secret)?.sitekey, sitekey);
        // What an older version wrote: the plaintext secret in meta.
        await second.db.setMeta('demo_site', JSON.stringify({ sitekey, secret: demo2.secret }));
      } finally {
        await second.close();
      }

      const third = await start(dir.path);
      try {
        assert.equal(third.boot.demo?.sitekey, sitekey);
        assert.deepEqual(JSON.parse(await third.db.getMeta('demo_site') as string), { sitekey }, 'the legacy record is rewritten without the secret');
        assert.equal(third.sites.siteForSecret(demo2.secret), undefined);
      } finally {
        await third.close();
      }
      assert.ok(!dbBytes(dir.path).includes(third.boot.demo?.secret as string), 'nor the rotated one');
    } finally {
      dir.remove();
    }
  });
});
