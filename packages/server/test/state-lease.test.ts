// The config DB's state lease against a real SQLite DB: refused while another live holder has
// it, taken over once expired or when the holder is provably gone, renewed and released.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processStartTicks } from '@hurdle/shm';
import { openConfigDb } from '../src/config-db.js';
import type { ConfigDb } from '../src/config-db.js';
import { isServerError } from '../src/errors.js';
import { LOCAL_STATE_LEASE, StateLease } from '../src/state-lease.js';
import type { StateLeaseOptions } from '../src/state-lease.js';
import { tempDir } from './fixtures.js';

const dir = tempDir();
let db: ConfigDb;
let t = 1_800_000_000_000;
const now = (): number => t;
const BOOT = 'boot-a/pid:[1]';

function identity(over: Partial<NonNullable<StateLeaseOptions['self']>> = {}): NonNullable<StateLeaseOptions['self']> {
  return { host: 'host-a', bootId: BOOT, pid: process.pid, pidStart: String(processStartTicks(process.pid)), startedAt: t, ...over };
}
const acquire = (self: NonNullable<StateLeaseOptions['self']>, port = 8080): Promise<StateLease> =>
  StateLease.acquire({ db, port, ttlMs: 15_000, renewEveryMs: 60_000, now, self });
const inUse = (err: unknown): boolean => isServerError(err) && err.code === 'SERVER_ERR_STATE_STORE_IN_USE';

before(async () => {
  db = await openConfigDb('', join(dir.path, 'data'));
  await db.migrate();
});
after(async () => {
  await db.close();
  dir.remove();
});

describe('state lease', () => {
  it('is refused while another live holder has it, naming that holder and --ring', async () => {
    const first = await acquire(identity({ host: 'host-b', bootId: 'boot-b/pid:[1]', pid: 4242 }), 9001);
    await assert.rejects(acquire(identity()), (err) => {
      assert.ok(inUse(err), String(err));
      const m = (err as Error).message;
      assert.match(m, /host host-b, pid 4242, port 9001/);
      assert.match(m, /--ring/);
      return true;
    });
    await first.release();
  });

  it('is free again after a release, and taken over once it expired', async () => {
    const a = await acquire(identity({ host: 'host-b', bootId: 'boot-b/pid:[1]', pid: 4242 }));
    await a.release();
    const b = await acquire(identity());
    // b stops renewing (as if its machine froze): after the TTL another instance may take it.
    t += 10_000;
    await assert.rejects(acquire(identity({ host: 'host-c', bootId: 'boot-c/pid:[1]' })), inUse);
    t += 5_001;
    const c = await acquire(identity({ host: 'host-c', bootId: 'boot-c/pid:[1]' }));
    await b.release(); // not b's any more: changes nothing
    await assert.rejects(acquire(identity()), inUse);
    await c.release();
  });

  it('is kept alive by renewals', async () => {
    const a = await acquire(identity({ host: 'host-b', bootId: 'boot-b/pid:[1]' }));
    for (let i = 0; i < 4; i++) {
      t += 10_000;
      await a.renew();
    }
    await assert.rejects(acquire(identity()), inUse);
    await a.release();
  });

  it('is taken over at once from a holder on this host and boot whose process is gone', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const pid = child.pid as number;
    await new Promise((resolve) => child.once('exit', resolve));
    const dead = await acquire(identity({ pid, pidStart: '12345' }));
    void dead;
    const next = await acquire(identity());
    assert.ok(next.owner !== dead.owner);
    await next.release();
  });

  it('is taken over at once from a holder recorded before this host rebooted', async () => {
    const old = await acquire(identity({ bootId: 'boot-before/pid:[1]' }));
    void old;
    const next = await acquire(identity());
    await next.release();
  });

  it('is not taken from a live holder on this host, nor from another pid namespace', async () => {
    const live = await acquire(identity());
    await assert.rejects(acquire(identity({ pid: 1 })), inUse);
    await live.release();
    // Same host and boot, another pid namespace: its pid means nothing here, wait for expiry.
    const other = await acquire(identity({ bootId: 'boot-a/pid:[2]', pid: 999_999, pidStart: '1' }));
    await assert.rejects(acquire(identity()), inUse);
    await other.release();
  });

  it('stores one row per DB', async () => {
    const a = await acquire(identity());
    const holder = await db.claimLease(LOCAL_STATE_LEASE, { owner: 'probe', host: 'h', bootId: '', pid: 1, pidStart: '', port: 1, startedAt: t, expiresAt: t + 1 }, t);
    assert.equal(holder.owner, a.owner);
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.port, 8080);
    await a.release();
  });
});
