// Model test: random sequences of writes, reads, clock steps and sweeps applied to a
// SharedMap (through two handles of one segment, one with L1) and to a plain Map with
// expiry times, compared after every step. Guards the map's observable behaviour
// while its internals move between files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShmError, createSharedMap, openSharedMap, unlinkSharedMap } from '../src/index.js';
import type { BatchChange, SharedMap } from '../src/index.js';

type Value = number | string | { readonly n: number; readonly s: string };

interface ModelEntry {
  readonly value: Value;
  /** Absolute expiry on the injected clock, ms; 0 = never. */
  readonly expiresAt: number;
}

type Op =
  | { readonly op: 'set'; readonly via: number; readonly key: string; readonly value: Value; readonly ttlMs?: number }
  | { readonly op: 'add'; readonly via: number; readonly key: string; readonly value: Value; readonly ttlMs?: number }
  | { readonly op: 'take'; readonly via: number; readonly key: string }
  | { readonly op: 'delete'; readonly via: number; readonly key: string }
  | { readonly op: 'incr'; readonly via: number; readonly key: string; readonly by: number; readonly ttlMs?: number }
  | { readonly op: 'get'; readonly via: number; readonly key: string }
  | { readonly op: 'batch'; readonly via: number; readonly changes: ReadonlyArray<BatchChange<Value>> }
  | { readonly op: 'sweep'; readonly via: number }
  | { readonly op: 'tick'; readonly ms: number };

const keyArb = fc.constantFrom('k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7');
const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom('12', '-3', 'x', '', 'long '.repeat(40)),
  fc.record({ n: fc.integer(), s: fc.string({ maxLength: 12 }) }).map(({ n, s }) => ({ n, s })),
);
const ttlArb = fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined });

/** Drops an absent `ttlMs`, so the generated change has no `ttlMs: undefined` key. */
function withTtl<T extends { readonly ttlMs: number | undefined }>(o: T): Omit<T, 'ttlMs'> & { readonly ttlMs?: number } {
  const { ttlMs, ...rest } = o;
  return ttlMs === undefined ? rest : { ...rest, ttlMs };
}
const viaArb = fc.integer({ min: 0, max: 1 });
const changeArb: fc.Arbitrary<BatchChange<Value>> = fc.oneof(
  fc.record({ type: fc.constant('set' as const), key: keyArb, value: valueArb, ttlMs: ttlArb }).map(withTtl),
  fc.record({ type: fc.constant('delete' as const), key: keyArb }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), via: viaArb, key: keyArb, value: valueArb, ttlMs: ttlArb }).map(withTtl),
  fc.record({ op: fc.constant('add' as const), via: viaArb, key: keyArb, value: valueArb, ttlMs: ttlArb }).map(withTtl),
  fc.record({ op: fc.constant('take' as const), via: viaArb, key: keyArb }),
  fc.record({ op: fc.constant('delete' as const), via: viaArb, key: keyArb }),
  fc.record({ op: fc.constant('incr' as const), via: viaArb, key: keyArb, by: fc.integer({ min: -5, max: 5 }), ttlMs: ttlArb }).map(withTtl),
  fc.record({ op: fc.constant('get' as const), via: viaArb, key: keyArb }),
  fc.record({ op: fc.constant('batch' as const), via: viaArb, changes: fc.array(changeArb, { maxLength: 6 }) }),
  fc.record({ op: fc.constant('sweep' as const), via: viaArb }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 30 }) }),
);

/** The msgpack codec's reading of a stored value as a number for `incr`. */
function numeric(value: Value): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return Number.NaN;
}

class Model {
  readonly #entries = new Map<string, ModelEntry>();
  now = 1_000_000;

  #live(key: string): ModelEntry | undefined {
    const e = this.#entries.get(key);
    return e !== undefined && (e.expiresAt === 0 || e.expiresAt > this.now) ? e : undefined;
  }

  #expiry(ttlMs: number | undefined): number {
    return ttlMs === undefined ? 0 : this.now + ttlMs;
  }

  get(key: string): Value | undefined {
    return this.#live(key)?.value;
  }

  set(key: string, value: Value, ttlMs?: number): void {
    this.#entries.set(key, { value, expiresAt: this.#expiry(ttlMs) });
  }

  add(key: string, value: Value, ttlMs?: number): boolean {
    if (this.#live(key) !== undefined) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  take(key: string): Value | undefined {
    const live = this.#live(key);
    this.#entries.delete(key);
    return live?.value;
  }

  delete(key: string): boolean {
    const live = this.#live(key);
    this.#entries.delete(key);
    return live !== undefined;
  }

  /** The new value, or 'nan' when the live value is not a number (nothing changes). */
  incr(key: string, by: number, ttlMs?: number): number | 'nan' {
    const live = this.#live(key);
    if (live === undefined) {
      this.set(key, by, ttlMs);
      return by;
    }
    const current = numeric(live.value);
    if (Number.isNaN(current)) return 'nan';
    this.#entries.set(key, { value: current + by, expiresAt: live.expiresAt });
    return current + by;
  }

  batch(changes: ReadonlyArray<BatchChange<Value>>): void {
    for (const c of changes) {
      if (c.type === 'delete') this.#entries.delete(c.key);
      else this.set(c.key, c.value, c.ttlMs);
    }
  }

  /** Drop every expired entry; returns how many were still held. */
  sweep(): number {
    let removed = 0;
    for (const [key, e] of this.#entries) {
      if (e.expiresAt !== 0 && e.expiresAt <= this.now) {
        this.#entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  liveKeys(): string[] {
    return [...this.#entries.keys()].filter((k) => this.#live(k) !== undefined).sort();
  }
}

function apply(op: Op, maps: ReadonlyArray<SharedMap<unknown>>, model: Model, step: string): void {
  if (op.op === 'tick') {
    model.now += op.ms;
    return;
  }
  const map = maps[op.via]!;
  switch (op.op) {
    case 'set':
      map.set(op.key, op.value, op.ttlMs === undefined ? undefined : { ttlMs: op.ttlMs });
      model.set(op.key, op.value, op.ttlMs);
      return;
    case 'add':
      assert.equal(map.add(op.key, op.value, op.ttlMs === undefined ? undefined : { ttlMs: op.ttlMs }), model.add(op.key, op.value, op.ttlMs), step);
      return;
    case 'take':
      assert.deepEqual(map.take(op.key), model.take(op.key), step);
      return;
    case 'delete':
      assert.equal(map.delete(op.key), model.delete(op.key), step);
      return;
    case 'incr': {
      const want = model.incr(op.key, op.by, op.ttlMs);
      if (want === 'nan') {
        assert.throws(() => map.incr(op.key, op.by, op.ttlMs === undefined ? undefined : { ttlMs: op.ttlMs }),
          (err: unknown) => err instanceof ShmError && err.code === 'SHM_ERR_NOT_A_NUMBER', step);
      } else {
        assert.equal(map.incr(op.key, op.by, op.ttlMs === undefined ? undefined : { ttlMs: op.ttlMs }), want, step);
      }
      return;
    }
    case 'get':
      assert.deepEqual(map.get(op.key), model.get(op.key), step);
      return;
    case 'batch':
      map.batch(op.changes);
      model.batch(op.changes);
      return;
    case 'sweep': {
      const before = map.stats().expiredRemoved;
      const held = model.sweep();
      const removed = map.sweep();
      // Writes also sweep two buckets each, so some expired entries may be gone already.
      assert.ok(removed >= 0 && removed <= held, `${step}: swept ${removed}, model held ${held} expired`);
      assert.equal(map.stats().expiredRemoved - before, removed, step);
      assert.equal(map.size, model.liveKeys().length, `${step}: size after a sweep counts live entries only`);
      return;
    }
  }
}

test('SharedMap behaves like a Map with TTLs under random set/add/take/incr/delete/batch/sweep and clock steps', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.boolean(), (ops, l1OnCreator) => {
      const model = new Model();
      const now = (): number => model.now;
      const name = `hurdle-model-${process.pid}-${Date.now().toString(36)}`;
      // 16 buckets for 8 keys: chains of several entries, so unlinking mid-chain is exercised.
      const a = createSharedMap({ name, sizeBytes: 128 * 1024, buckets: 16, maxValueBytes: 1024, now, l1: l1OnCreator });
      const b = openSharedMap({ name, now, l1: !l1OnCreator });
      try {
        ops.forEach((op, i) => {
          const step = `step ${i} ${JSON.stringify(op)}`;
          apply(op, [a, b], model, step);
          for (const map of [a, b]) {
            for (const key of ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']) assert.deepEqual(map.get(key), model.get(key), `${step}: get ${key}`);
          }
        });
        assert.deepEqual(a.keys().sort(), model.liveKeys());
        assert.deepEqual(new Map(b.entries()), new Map(model.liveKeys().map((k) => [k, model.get(k)])));
        const report = a.verify();
        assert.ok(report.ok, report.problems.join('; '));
      } finally {
        unlinkSharedMap(name);
        a.close();
        b.close();
      }
    }),
    { numRuns: 300 },
  );
});
