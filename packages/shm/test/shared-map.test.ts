import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  SHM_ERROR_CODES, ShmError, createSharedCounters, createSharedMap, openSharedMap, unlinkSharedMap,
} from '../src/index.js';
import type { CodecName, CodecValue, CreateSharedMapOptions, SharedMap } from '../src/index.js';

let seq = 0;
function uniqueName(): string {
  return `hurdle-test-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

function withMap<C extends CodecName = 'msgpack'>(opts: Omit<CreateSharedMapOptions<C>, 'name'>, fn: (map: SharedMap<CodecValue<C>>, name: string) => void): void {
  const name = uniqueName();
  const map = createSharedMap<C>({ name, sizeBytes: 1 << 20, ...opts } as CreateSharedMapOptions<C>);
  try {
    fn(map, name);
  } finally {
    unlinkSharedMap(name);
    map.close();
  }
}

test('native backend maps /dev/shm and values round-trip through every codec', () => {
  withMap({}, (map, name) => {
    assert.equal(map.stats().backend, 'native');
    assert.ok(existsSync(`/dev/shm/${name}`));
    const site = { sitekey: 'abc', hostnames: ['a.example', 'b.example'], difficulty: 18, nested: { on: true, n: null } };
    map.set('site:abc', site);
    assert.deepEqual(map.get('site:abc'), site);
    assert.equal(map.get('missing'), undefined);
    assert.equal(map.has('site:abc'), true);
    map.set('ü-ключ-🔑', 'unicode key');
    assert.equal(map.get('ü-ключ-🔑'), 'unicode key');
    // Keys are code units: a lone surrogate is a key of its own, kept and listed as it is.
    map.set('lone-\ud800', 'high');
    map.set('lone-\udfff', 'low');
    assert.equal(map.get('lone-\ud800'), 'high');
    assert.equal(map.get('lone-\udfff'), 'low');
    // A long key takes the native copy: the same code units, non-ASCII and lone surrogates too.
    const long = `${'ключ-🔑-'.repeat(10)}\ud800-end`;
    assert.ok(long.length >= 64);
    map.set(long, 'long key');
    assert.equal(map.get(long), 'long key');
    assert.equal(map.get(`${long.slice(0, -1)}x`), undefined);
    assert.ok(map.keys().includes('lone-\ud800') && map.keys().includes('ü-ключ-🔑') && map.keys().includes(long));
    assert.equal(map.verify().ok, true);
  });
  withMap({ codec: 'json' }, (map) => {
    map.set('k', { a: [1, 2, 3] });
    assert.deepEqual(map.get('k'), { a: [1, 2, 3] });
  });
  withMap({ codec: 'string' }, (map) => {
    map.set('k', 'héllo');
    assert.equal(map.get('k'), 'héllo');
    assert.throws(() => map.set('k', 5 as unknown as string), { code: 'SHM_ERR_INVALID_VALUE' });
  });
  withMap({ codec: 'bytes' }, (map) => {
    map.set('k', new Uint8Array([1, 2, 3]));
    assert.deepEqual(map.get('k'), new Uint8Array([1, 2, 3]));
  });
});

test('add, take, delete, incr follow ChallengeStore semantics', () => {
  withMap({ codec: 'string' }, (map) => {
    assert.equal(map.add('c1', 'v1', { ttlMs: 60_000 }), true);
    assert.equal(map.add('c1', 'v2', { ttlMs: 60_000 }), false);
    assert.equal(map.get('c1'), 'v1');
    assert.equal(map.take('c1'), 'v1');
    assert.equal(map.take('c1'), undefined);
    map.set('d', 'x');
    assert.equal(map.delete('d'), true);
    assert.equal(map.delete('d'), false);
    assert.equal(map.incr('n', 1, { ttlMs: 60_000 }), 1);
    assert.equal(map.incr('n', 4), 5);
    assert.equal(map.get('n'), '5');
    map.set('s', '41');
    assert.equal(map.incr('s', 1), 42);
    map.set('t', 'text');
    assert.throws(() => map.incr('t', 1), { code: 'SHM_ERR_NOT_A_NUMBER' });
    assert.equal(map.get('t'), 'text');
    assert.equal(map.verify().ok, true);
  });
});

test('batch applies under one generation bump; bad input changes nothing', () => {
  withMap({}, (map) => {
    map.set('old', 1);
    const g0 = map.generation;
    map.batch([
      { type: 'set', key: 'a', value: { n: 1 } },
      { type: 'set', key: 'b', value: { n: 2 }, ttlMs: 60_000 },
      { type: 'delete', key: 'old' },
    ]);
    assert.equal(map.generation, g0 + 1);
    assert.deepEqual(map.keys().sort(), ['a', 'b']);
    assert.throws(() => map.batch([{ type: 'set', key: 'c', value: 1 }, { type: 'set', key: '', value: 2 }]), { code: 'SHM_ERR_INVALID_KEY' });
    assert.equal(map.get('c'), undefined);
    assert.equal(map.generation, g0 + 1);
    assert.deepEqual(new Map(map.entries()), new Map<string, unknown>([['a', { n: 1 }], ['b', { n: 2 }]]));
  });
});

test('bad input and misuse are coded errors', () => {
  withMap({ maxKeyBytes: 16, maxValueBytes: 64 }, (map, name) => {
    assert.throws(() => map.set('', 1), { code: 'SHM_ERR_INVALID_KEY' });
    assert.throws(() => map.get(42 as unknown as string), { code: 'SHM_ERR_INVALID_KEY' });
    assert.throws(() => map.set('123456789', 1), { code: 'SHM_ERR_KEY_TOO_LARGE' });
    assert.throws(() => map.set('k', 'x'.repeat(100)), { code: 'SHM_ERR_VALUE_TOO_LARGE' });
    assert.throws(() => map.set('k', undefined), { code: 'SHM_ERR_INVALID_VALUE' });
    assert.throws(() => map.set('k', 1, { ttlMs: -1 }), { code: 'SHM_ERR_INVALID_OPTION' });
    assert.throws(() => openSharedMap({ name, codec: 'json' }), { code: 'SHM_ERR_INVALID_OPTION' });
    assert.throws(() => openSharedMap({ name, sizeBytes: 2 << 20 }), { code: 'SHM_ERR_VERSION_MISMATCH' });
  });
  assert.throws(() => createSharedMap({ name: '../etc/passwd' }), { code: 'SHM_ERR_INVALID_OPTION', message: /option 'name'/ });
  assert.throws(() => createSharedMap({ name: uniqueName(), sizeBytes: 10 }), { code: 'SHM_ERR_INVALID_OPTION', message: /sizeBytes/ });
  assert.throws(() => createSharedMap({ name: uniqueName(), codec: 'xml' as 'json' }), { code: 'SHM_ERR_INVALID_OPTION' });
  assert.throws(() => openSharedMap({ name: uniqueName() }), { code: 'SHM_ERR_SEGMENT_NOT_FOUND' });
  withMap({}, (map) => {
    map.close();
    assert.throws(() => map.get('k'), { code: 'SHM_ERR_CLOSED' });
    assert.throws(() => map.set('k', 1), { code: 'SHM_ERR_CLOSED' });
    assert.throws(() => map.stats(), { code: 'SHM_ERR_CLOSED' });
  });
});

test('a segment of another layout version is refused; a corrupt one is replaced on create', () => {
  withMap({}, (map, name) => {
    const raw = new Int32Array(map.buffer);
    Atomics.store(raw, 1, 999);
    assert.throws(() => openSharedMap({ name }), { code: 'SHM_ERR_VERSION_MISMATCH' });
    Atomics.store(raw, 0, 0); // magic gone: not a segment any more
    const again = createSharedMap({ name, sizeBytes: 1 << 20 });
    assert.equal(again.stats().replacedStale, true);
    assert.equal(openSharedMap({ name }).size, 0);
    again.close();
  });
});

test('TTL expiry with an injected clock; expired entries are evicted under memory pressure', () => {
  let now = 1_000_000;
  withMap({ now: () => now, sizeBytes: 256 * 1024, buckets: 1024 }, (map) => {
    map.set('short', 'v', { ttlMs: 100 });
    map.set('forever', 'v');
    now += 99;
    assert.equal(map.get('short'), 'v');
    now += 1;
    assert.equal(map.get('short'), undefined);
    assert.equal(map.add('short', 'w', { ttlMs: 100 }), true, 'add over an expired entry stores');
    assert.equal(map.take('short'), 'w');
    // Fill the segment with TTL entries until it is full.
    const value = 'x'.repeat(400);
    let n = 0;
    assert.throws(() => {
      for (;;) map.set(`t${n++}`, value, { ttlMs: 1000 });
    }, { code: 'SHM_ERR_SEGMENT_FULL' });
    assert.ok(n > 100);
    now += 1000;
    const before = map.stats().expiredRemoved;
    map.set('after-pressure', value);
    assert.ok(map.stats().expiredRemoved > before, 'eviction removed expired entries');
    assert.equal(map.get('forever'), 'v');
    assert.equal(map.get('after-pressure'), value);
    assert.equal(map.verify().ok, true);
    map.set('x', value, { ttlMs: 5 });
    now += 10;
    assert.ok(map.sweep() >= 1);
    assert.equal(map.size, 2);
  });
});

test('a full segment sweeps itself whole at most once per pause, not on every failing write', () => {
  let now = 2_000_000;
  withMap({ now: () => now, sizeBytes: 256 * 1024, buckets: 1024 }, (map) => {
    const value = 'x'.repeat(400);
    let n = 0;
    assert.throws(() => {
      for (;;) map.set(`t${n++}`, value, { ttlMs: 10_000 });
    }, { code: 'SHM_ERR_SEGMENT_FULL' });
    assert.equal(map.stats().fullSweeps, 1);
    // Nothing has expired: the next failing writes are refused without walking the segment.
    for (let i = 0; i < 50; i++) assert.throws(() => map.set(`more${i}`, value, { ttlMs: 10_000 }), { code: 'SHM_ERR_SEGMENT_FULL' });
    assert.equal(map.stats().fullSweeps, 1);
    assert.equal(map.stats().fullRefusals, 50);
    // A delete frees a block, and the next write uses it at once, pause or not.
    assert.equal(map.delete('t0'), true);
    map.set('reuses-t0', value, { ttlMs: 10_000 });
    assert.equal(map.get('reuses-t0'), value);
    // After the pause a failing write sweeps again; once the entries expire, it makes room.
    now += 150;
    assert.throws(() => map.set('still-full', value), { code: 'SHM_ERR_SEGMENT_FULL' });
    assert.equal(map.stats().fullSweeps, 2);
    now += 10_000;
    map.set('after-expiry', value);
    assert.equal(map.stats().fullSweeps, 3);
    assert.equal(map.get('after-expiry'), value);
    assert.equal(map.verify().ok, true);
  });
});

test('L1 returns the decoded object and sees every write, expiry and delete', () => {
  let now = 5_000;
  withMap({ l1: true, now: () => now }, (map, name) => {
    const other = openSharedMap({ name, now: () => now });
    map.set('k', { v: 1 });
    const a = map.get('k');
    assert.equal(map.get('k'), a, 'second get is the cached object');
    assert.ok(map.stats().l1Hits >= 1);
    other.set('k', { v: 2 });
    assert.deepEqual(map.get('k'), { v: 2 });
    other.set('unrelated', 1);
    assert.deepEqual(map.get('k'), { v: 2 });
    other.delete('k');
    assert.equal(map.get('k'), undefined);
    other.set('t', 'ttl', { ttlMs: 10 });
    assert.equal(map.get('t'), 'ttl');
    now += 10;
    assert.equal(map.get('t'), undefined);
    other.close();
  });
});

test('a bounded L1 stays within its bound and keeps a key read again since it was cached', () => {
  withMap({ l1: true, l1MaxEntries: 64 }, (map, name) => {
    const other = openSharedMap({ name });
    for (let i = 0; i < 300; i++) map.set(`k${i}`, { i });
    map.set('hot', { hot: true });
    const hot = map.get('hot');
    let maxSize = 0;
    for (let i = 0; i < 300; i++) {
      // A write elsewhere moves the generation, so the next gets go through the L1 proper.
      other.set('tick', i);
      assert.deepEqual(map.get(`k${i}`), { i });
      assert.equal(map.get('hot'), hot, `the re-read key is still the cached object after ${i + 1} other keys`);
      maxSize = Math.max(maxSize, map.stats().l1Size);
    }
    assert.ok(maxSize <= 64, `L1 held ${maxSize} entries, bound 64`);
    assert.ok(maxSize >= 32, `L1 filled to ${maxSize} entries`);
    other.close();
  });
});

test('shared counters count per window and estimate a sliding rate', () => {
  let now = 10_000;
  withMap({ now: () => now }, (map) => {
    const counters = createSharedCounters(map, { windowMs: 1000, now: () => now });
    assert.equal(counters.add('ip:1'), 1);
    assert.equal(counters.add('ip:1', 2), 3);
    assert.equal(counters.get('ip:1'), 3);
    now += 1500;
    assert.equal(counters.get('ip:1'), 0);
    counters.add('ip:1');
    assert.equal(counters.rate('ip:1'), 1 + 3 * 0.5);
    assert.equal(counters.windowStart(), 11_000);
  });
});

test('memory backend works without the addon and is shareable by buffer', () => {
  const name = uniqueName();
  const map = createSharedMap({ name, backend: 'memory', sizeBytes: 1 << 20 });
  assert.equal(map.stats().backend, 'memory');
  assert.equal(existsSync(`/dev/shm/${name}`), false);
  map.set('k', 1);
  const peer = openSharedMap({ name, backend: 'memory', buffer: map.buffer });
  assert.equal(peer.get('k'), 1);
  map.unlink();
});

test('error codes, the exported union and the README table agree', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  for (const code of SHM_ERROR_CODES) {
    assert.ok(readme.includes(code), `README documents ${code}`);
    assert.equal(new ShmError(code, 'm').code, code);
  }
  const documented = new Set(readme.match(/SHM_ERR_[A-Z_]+/g));
  assert.deepEqual([...documented].sort(), [...SHM_ERROR_CODES].sort());
});
