import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ShmError, createSharedMap, unlinkSharedMap } from '../src/index.js';
import { makeChecked } from './fixtures/checksum.js';

const names = new Set<string>();
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const n of names) unlinkSharedMap(n);
});

let seq = 0;
function uniqueName(): string {
  const n = `hurdle-bulk-${process.pid}-${Date.now().toString(36)}-${seq++}`;
  names.add(n);
  return n;
}

const code = (c: string) => (err: unknown): boolean => err instanceof ShmError && err.code === c;

test('setEncoded stores JSON texts as values under one generation bump, replacing existing entries', () => {
  const map = createSharedMap({ name: uniqueName(), sizeBytes: 1 << 20, codec: 'json' });
  map.set('site:a', { old: true });
  const before = map.generation;
  const site = { sitekey: 'a', name: 'Café "quoted" ✓ 🔑', hostnames: ['a.example'], n: null };
  map.setEncoded(['site:a', 'secret:h1', 'site:b'], [JSON.stringify(site), '"a"', '{"sitekey":"b","x":[1,2.5,-3e2]}']);
  assert.equal(map.generation, before + 1, 'one generation bump for the whole call');
  assert.deepEqual(map.get('site:a'), site);
  assert.equal(map.get('secret:h1'), 'a');
  assert.deepEqual(map.get('site:b'), { sitekey: 'b', x: [1, 2.5, -300] });
  assert.equal(map.size, 3, 'the replaced entry is not counted twice');
  assert.deepEqual(map.verify().problems, [], 'the replaced block was freed and the structure holds');
  map.setEncoded([], []);
  assert.equal(map.generation, before + 2);
  map.unlink();
});

test('setEncoded on a string segment stores the strings as they are; other codecs refuse it', () => {
  const strings = createSharedMap({ name: uniqueName(), sizeBytes: 1 << 20, codec: 'string' });
  strings.setEncoded(['x', 'y'], ['plain text', 'ünïcode ✓']);
  assert.equal(strings.get('x'), 'plain text');
  assert.equal(strings.get('y'), 'ünïcode ✓');
  strings.unlink();
  const packed = createSharedMap({ name: uniqueName(), sizeBytes: 1 << 20 });
  assert.throws(() => packed.setEncoded(['x'], ['1']), code('SHM_ERR_INVALID_OPTION'));
  packed.unlink();
});

test('setEncoded checks every key and text before it writes: bad input changes nothing', () => {
  const map = createSharedMap({ name: uniqueName(), sizeBytes: 1 << 20, codec: 'json', maxValueBytes: 1024 });
  map.set('keep', 1);
  const gen = map.generation;
  assert.throws(() => map.setEncoded(['a', 'b'], ['1']), code('SHM_ERR_INVALID_VALUE'));
  assert.throws(() => map.setEncoded(['a', ''], ['1', '2']), code('SHM_ERR_INVALID_KEY'));
  assert.throws(() => map.setEncoded(['a', 'b'], ['1', 2 as unknown as string]), code('SHM_ERR_INVALID_VALUE'));
  assert.throws(() => map.setEncoded(['a', 'b'], ['1', `"${'x'.repeat(2000)}"`]), code('SHM_ERR_VALUE_TOO_LARGE'));
  assert.throws(() => map.setEncoded(['a', 'k'.repeat(10_000)], ['1', '2']), code('SHM_ERR_KEY_TOO_LARGE'));
  // Multi-byte text: the limit is on UTF-8 bytes, not on UTF-16 units.
  assert.throws(() => map.setEncoded(['a'], [`"${'€'.repeat(400)}"`]), code('SHM_ERR_VALUE_TOO_LARGE'));
  assert.equal(map.generation, gen, 'nothing was written');
  assert.equal(map.get('a'), undefined);
  assert.equal(map.size, 1);
  map.unlink();
});

test('setEncoded that fills the segment keeps the entries before that point, each whole', () => {
  const map = createSharedMap({ name: uniqueName(), sizeBytes: 256 * 1024, codec: 'json', maxValueBytes: 4096 });
  const keys = Array.from({ length: 400 }, (_, i) => `k${i}`);
  const texts = keys.map((_, i) => JSON.stringify(makeChecked(0, i, 1, 900)));
  assert.throws(() => map.setEncoded(keys, texts), code('SHM_ERR_SEGMENT_FULL'));
  const stored = map.size;
  assert.ok(stored > 0 && stored < keys.length, `some entries were stored (${stored})`);
  for (let i = 0; i < stored; i++) assert.deepEqual(map.get(`k${i}`), makeChecked(0, i, 1, 900));
  assert.equal(map.get(`k${stored}`), undefined);
  assert.deepEqual(map.verify().problems, []);
  map.unlink();
});

test('a reader in another process never sees a torn value while setEncoded rewrites the keys', async () => {
  const name = uniqueName();
  const KEYS = 64;
  const map = createSharedMap({ name, sizeBytes: 8 << 20, codec: 'json', maxValueBytes: 8192 });
  const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);
  map.setEncoded(keys, keys.map((_, i) => JSON.stringify(makeChecked(0, i, 0, 100))));
  const results: { reads: number; bad: number; missing: number }[] = [];
  for (const l1 of ['false', 'true']) {
    const reader = fork(fileURLToPath(new URL('./fixtures/bulk-reader.js', import.meta.url)), [name, String(KEYS), l1], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(reader);
    const [ready] = await once(reader, 'message', { signal: AbortSignal.timeout(20_000) }) as [{ ready: boolean }];
    assert.equal(ready.ready, true);
    // Rewrites of every key with values of changing sizes (blocks of other orders), for a
    // bounded time and count, while the reader reads.
    const until = Date.now() + 1500;
    for (let s = 1; s < 5000 && Date.now() < until; s++) {
      map.setEncoded(keys, keys.map((_, i) => JSON.stringify(makeChecked(0, i, s, 50 + ((s * 37 + i) % 3000)))));
      if (s % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    const done = once(reader, 'message', { signal: AbortSignal.timeout(20_000) }) as Promise<[{ reads: number; bad: number; missing: number }]>;
    reader.send({ op: 'stop' });
    results.push((await done)[0]);
  }
  for (const r of results) {
    assert.ok(r.reads > 1000, `the reader read while the writes ran (${r.reads})`);
    assert.equal(r.bad, 0, 'no torn value reached the reader');
    assert.equal(r.missing, 0, 'a key being replaced is never missing (copy-on-write)');
  }
  assert.deepEqual(map.verify().problems, []);
  map.unlink();
});
