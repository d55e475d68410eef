// The verdicts of doctor's checks at their thresholds, with the file system figures and the
// DB clock injected (the spawned-CLI tests cover this machine's real ones).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigDb } from '../src/config-db.js';
import { CLOCK_FAIL_MS, CLOCK_WARN_MS, checkClock, checkShm } from '../src/cli/doctor-checks.js';
import { resolveOptions } from '../src/options.js';

const MIB = 1024 * 1024;
const pgOptions = resolveOptions({ overrides: { db: 'postgres://h@127.0.0.1:1/x' } });

function dbWithClock(offsetMs: number): ConfigDb {
  return { kind: 'postgres', clockMs: () => Promise.resolve(Date.now() + offsetMs) } as unknown as ConfigDb;
}

describe('doctor checks', () => {
  it('shm: fails when /dev/shm has less room than the segments, counting state only without a ring', () => {
    const opts = resolveOptions({ overrides: { shm: { configBytes: 16 * MIB, stateBytes: 128 * MIB } } });
    const free = (bytes: number) => () => ({ bavail: bytes / 4096, bsize: 4096 });
    assert.equal(checkShm(opts, '/dev/shm', free(200 * MIB)).status, 'ok');
    const short = checkShm(opts, '/dev/shm', free(100 * MIB));
    assert.equal(short.status, 'fail');
    assert.match(short.message, /100 MiB free, the segments need 144 MiB/);
    const ring = resolveOptions({ overrides: { ring: 'zk://127.0.0.1:2181/r', shm: { configBytes: 16 * MIB, stateBytes: 128 * MIB } } });
    assert.equal(checkShm(ring, '/dev/shm', free(100 * MIB)).status, 'ok', 'with a ring the state segment is not made');
    const missing = checkShm(opts, '/nonexistent-shm-dir');
    assert.equal(missing.status, 'warn');
  });

  it('clock: ok, warn and fail at the documented skews; skipped for SQLite', async () => {
    assert.equal((await checkClock(pgOptions, dbWithClock(0))).status, 'ok');
    assert.equal((await checkClock(pgOptions, dbWithClock(CLOCK_WARN_MS + 500))).status, 'warn');
    const far = await checkClock(pgOptions, dbWithClock(-(CLOCK_FAIL_MS + 5000)));
    assert.equal(far.status, 'fail');
    assert.match(far.message, /-3\d{4} ms off the DB server's/);
    assert.equal((await checkClock(pgOptions, undefined)).status, 'skip');
    assert.equal((await checkClock(resolveOptions({}), undefined)).status, 'skip');
    assert.match((await checkClock(resolveOptions({}), undefined)).message, /SQLite/);
    const broken = { kind: 'postgres', clockMs: () => Promise.reject(new Error('gone')) } as unknown as ConfigDb;
    assert.equal((await checkClock(pgOptions, broken)).status, 'fail');
  });
});
