// The writer lock and the creator record a start-time stamp beside the pid: a dead owner whose
// pid now belongs to another live process is recognised as dead (takeover), while the real
// owner, still running, is waited for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSharedMap, isShmError, ownerAlive, processStamp, processStartTicks } from '../src/index.js';
import { H_CREATOR_PID, H_CREATOR_STAMP, H_LOCK, H_LOCK_STAMP } from '../src/layout.js';

let seq = 0;
const uniqueName = (): string => `hurdle-test-lock-${process.pid}-${seq++}`;

/** A live process that is not the lock owner: it stands for a reused pid. */
async function otherProcess(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  return child as ChildProcess & { pid: number };
}

test('the start time is read from /proc and differs between processes', async () => {
  const ticks = processStartTicks(process.pid);
  assert.ok(ticks !== undefined && ticks > 0, `start ticks of this process: ${String(ticks)}`);
  const other = await otherProcess();
  try {
    const mine = processStamp(process.pid);
    assert.notEqual(mine, 0);
    assert.equal(processStamp(process.pid), mine, 'stable for one process');
    assert.equal(ownerAlive(process.pid, mine), true);
    assert.equal(ownerAlive(other.pid, processStamp(other.pid)), true);
    assert.equal(ownerAlive(other.pid, 0), true, 'unknown stamp: judged by the pid');
    // A stamp that is not the live pid's own: the recorded owner is gone.
    const wrong = (processStamp(other.pid) % 0x7fff_fffe) + 1;
    assert.equal(ownerAlive(other.pid, wrong), false);
    assert.equal(processStartTicks(-1), undefined);
  } finally {
    other.kill('SIGKILL');
  }
});

test('a lock recorded for a reused pid (live process, other start time) is taken over and repaired', async () => {
  const other = await otherProcess();
  const map = createSharedMap({ name: uniqueName(), backend: 'memory', sizeBytes: 1 << 20, codec: 'string', lockTimeoutMs: 5000 });
  try {
    map.set('before', 'x');
    const i32 = new Int32Array(map.buffer, 0, 128);
    Atomics.store(i32, H_LOCK, other.pid);
    Atomics.store(i32, H_LOCK_STAMP, (processStamp(other.pid) % 0x7fff_fffe) + 1);
    const started = Date.now();
    map.set('after', 'y');
    assert.ok(Date.now() - started < 2000, 'taken over at once, not after lockTimeoutMs');
    assert.equal(map.stats().lockTakeovers, 1);
    assert.equal(map.get('before'), 'x');
    assert.equal(map.get('after'), 'y');
    assert.equal(Atomics.load(i32, H_LOCK), 0, 'released after the write');
    assert.equal(Atomics.load(i32, H_LOCK_STAMP), 0, 'stamp cleared with the release');
  } finally {
    map.close();
    other.kill('SIGKILL');
  }
});

test('a lock held by a live owner with its own stamp is waited for (SHM_ERR_LOCK_TIMEOUT), never taken', async () => {
  const other = await otherProcess();
  const map = createSharedMap({ name: uniqueName(), backend: 'memory', sizeBytes: 1 << 20, codec: 'string', lockTimeoutMs: 100 });
  try {
    const i32 = new Int32Array(map.buffer, 0, 128);
    Atomics.store(i32, H_LOCK, other.pid);
    Atomics.store(i32, H_LOCK_STAMP, processStamp(other.pid));
    assert.throws(() => map.set('k', 'v'), (e) => isShmError(e) && e.code === 'SHM_ERR_LOCK_TIMEOUT');
    assert.equal(map.stats().lockTakeovers, 0);
    // Its stamp unknown (a segment from before the stamp existed): judged by the live pid, waited for too.
    Atomics.store(i32, H_LOCK_STAMP, 0);
    assert.throws(() => map.set('k', 'v'), (e) => isShmError(e) && e.code === 'SHM_ERR_LOCK_TIMEOUT');
  } finally {
    map.close();
    other.kill('SIGKILL');
  }
});

test('the creator is recorded with its stamp: a reused creator pid reads as not alive', async () => {
  const other = await otherProcess();
  const map = createSharedMap({ name: uniqueName(), backend: 'memory', sizeBytes: 1 << 20, codec: 'string' });
  try {
    const i32 = new Int32Array(map.buffer, 0, 128);
    assert.equal(Atomics.load(i32, H_CREATOR_STAMP), processStamp(process.pid));
    assert.equal(map.stats().creatorAlive, true);
    Atomics.store(i32, H_CREATOR_PID, other.pid);
    assert.equal(map.stats().creatorAlive, false, 'pid alive, but another process than the creator');
    Atomics.store(i32, H_CREATOR_STAMP, processStamp(other.pid));
    assert.equal(map.stats().creatorAlive, true);
  } finally {
    map.close();
    other.kill('SIGKILL');
  }
});
