import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore, isChallengeError } from '../src/index.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('memory store', () => {
  it('sets, gets and expires by TTL', async () => {
    const c = clock();
    const s = createMemoryStore({ now: c.now });
    await s.set('a', '1', 100);
    assert.equal(await s.get('a'), '1');
    c.advance(99);
    assert.equal(await s.get('a'), '1');
    c.advance(1);
    assert.equal(await s.get('a'), undefined);
    assert.equal(s.size(), 0);
  });

  it('add stores only when absent (or expired)', async () => {
    const c = clock();
    const s = createMemoryStore({ now: c.now });
    assert.equal(await s.add('k', 'x', 50), true);
    assert.equal(await s.add('k', 'y', 50), false);
    assert.equal(await s.get('k'), 'x');
    c.advance(50);
    assert.equal(await s.add('k', 'z', 50), true);
    assert.equal(await s.get('k'), 'z');
  });

  it('take returns the value to exactly one of many concurrent callers', async () => {
    const s = createMemoryStore();
    await s.set('t', 'v', 10_000);
    const got = await Promise.all(Array.from({ length: 50 }, () => s.take('t')));
    assert.equal(got.filter((g) => g === 'v').length, 1);
    assert.equal(await s.get('t'), undefined);
  });

  it('incr counts from 1 and restarts after the TTL', async () => {
    const c = clock();
    const s = createMemoryStore({ now: c.now });
    assert.deepEqual(await Promise.all([s.incr('n', 100), s.incr('n', 100), s.incr('n', 100)]), [1, 2, 3]);
    c.advance(100);
    assert.equal(await s.incr('n', 100), 1);
  });

  it('delete removes; maxEntries evicts the oldest', async () => {
    const s = createMemoryStore({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) await s.set(k, k, 10_000);
    assert.equal(s.size(), 3);
    assert.equal(await s.get('a'), undefined);
    await s.delete('d');
    assert.equal(await s.get('d'), undefined);
  });

  it('validates its options and TTLs', async () => {
    assert.throws(() => createMemoryStore({ maxEntries: 0 }), (e) => isChallengeError(e, 'CHALLENGE_ERR_INVALID_OPTION'));
    const s = createMemoryStore();
    // A bad TTL is a rejection, never a synchronous throw, like every other store.
    await assert.rejects(s.set('a', 'b', 0), (e) => isChallengeError(e, 'CHALLENGE_ERR_INVALID_OPTION'));
    await assert.rejects(s.incr('a', Number.NaN), (e) => isChallengeError(e, 'CHALLENGE_ERR_INVALID_OPTION'));
  });
});
