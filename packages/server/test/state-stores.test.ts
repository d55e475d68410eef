/**
 * The challenge-store adapters the server wires into the engine: ChallengeStore semantics
 * over a shared-memory map, and the promise-only contract (bad input rejects, never throws
 * synchronously) of every store the server can run on. The ring's adapter is covered against
 * real redis-servers in state-stores.int.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from '@hurdle/challenge';
import type { ChallengeStore } from '@hurdle/challenge';
import { createSharedMap } from '@hurdle/shm';
import { rejectOnThrow } from '../src/state/reject-on-throw.js';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createShmStore } from '../src/state/state-store.js';
import { createShmChallengeStore } from '../src/state/shm-challenge-store.js';
import { assertRejectsOnBadInput } from './store-contract.js';

let seq = 0;
function uniqueName(): string {
  return `hurdle-test-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

test('challenge store adapter: ChallengeStore semantics over a string map', async () => {
  const name = uniqueName();
  const map = createSharedMap({ name, codec: 'string', sizeBytes: 1 << 20 });
  const store = createShmChallengeStore(map);
  await store.set('c:1', 'payload', 60_000);
  assert.equal(await store.get('c:1'), 'payload');
  assert.equal(await store.add('c:1', 'other', 60_000), false);
  assert.equal(await store.add('c:2', 'x', 60_000), true);
  assert.equal(await store.incr('n', 60_000), 1);
  assert.equal(await store.incr('n', 60_000), 2);
  const takes = await Promise.all([store.take('c:1'), store.take('c:1'), store.take('c:1')]);
  assert.deepEqual(takes.filter((t) => t !== undefined), ['payload']);
  await store.delete('c:2');
  assert.equal(await store.get('c:2'), undefined);
  await assert.rejects(store.set('', 'v', 1000), { code: 'SHM_ERR_INVALID_KEY' });
  map.unlink();
});

test('shm adapter: bad keys, values and TTLs reject with a coded ShmError, never a synchronous throw', async () => {
  const name = uniqueName();
  const map = createSharedMap({ name, codec: 'string', sizeBytes: 1 << 20 });
  try {
    await assertRejectsOnBadInput(createShmChallengeStore(map), /^SHM_ERR_/);
  } finally {
    map.unlink();
  }
});

test('shm adapter: a closed map rejects every call', async () => {
  const name = uniqueName();
  const map = createSharedMap({ name, codec: 'string', sizeBytes: 1 << 20 });
  const store = createShmChallengeStore(map);
  map.unlink();
  map.close();
  for (const call of [() => store.set('k', 'v', 1000), () => store.get('k'), () => store.take('k'), () => store.incr('k', 1000), () => store.delete('k')]) {
    let pending: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      pending = call();
    });
    await assert.rejects(pending as Promise<unknown>, (err: { code?: unknown }) => typeof err.code === 'string' && err.code.startsWith('SHM_ERR_'));
  }
});

test('memory store as the server runs it (rejectOnThrow): bad TTLs reject with a coded error', async () => {
  await assertRejectsOnBadInput(rejectOnThrow(createMemoryStore()), /^CHALLENGE_ERR_/, { keys: false });
});

test('memory store of @hurdle/challenge on its own: bad TTLs reject rather than throw', async () => {
  await assertRejectsOnBadInput(createMemoryStore() as ChallengeStore, /^CHALLENGE_ERR_/, { keys: false });
});

test('rejectOnThrow passes results and rejections through unchanged', async () => {
  const store = rejectOnThrow(createMemoryStore());
  await store.set('a', '1', 60_000);
  assert.equal(await store.get('a'), '1');
  assert.equal(await store.add('a', '2', 60_000), false);
  assert.equal(await store.incr('n', 60_000), 1);
  assert.equal(await store.take('a'), '1');
  assert.equal(await store.take('a'), undefined);
  await store.delete('n');
  assert.equal(await store.get('n'), undefined);
});

test('a full state segment is logged as a warning with its figures, at most once a minute', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>); done(); } });
  const map = createSharedMap({ name: uniqueName(), codec: 'string', sizeBytes: 1 << 20 });
  try {
    const { store } = createShmStore(map, pino({ level: 'info' }, sink));
    const value = 'v'.repeat(60_000);
    let full = 0;
    // 1 MiB holds at most ~16 such values: 64 writes must hit the limit, and keep hitting it.
    for (let i = 0; i < 64; i++) {
      await store.set(`c:${i}`, value, 60_000).catch((err: unknown) => {
        assert.equal((err as { code?: string }).code, 'SHM_ERR_SEGMENT_FULL');
        full += 1;
      });
    }
    assert.ok(full >= 32, `writes failed for a full segment: ${full}`);
    await new Promise((resolve) => setImmediate(resolve));
    const warnings = lines.filter((l) => l.event === 'shm_segment_full');
    assert.equal(warnings.length, 1, 'one warning, not one per failed write');
    const w = warnings[0] as Record<string, number | string>;
    assert.equal(w.segment, 'state');
    assert.equal(w.sizeBytes, map.stats().sizeBytes);
    assert.ok(typeof w.entries === 'number' && w.entries > 0);
    assert.ok(typeof w.freeBytes === 'number' && typeof w.largestFreeBytes === 'number');
    assert.ok(!JSON.stringify(lines).includes(value.slice(0, 100)), 'no stored value in the log');
  } finally {
    map.unlink();
  }
});
