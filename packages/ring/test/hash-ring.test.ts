import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RING_ERROR_CODES, createHashRing, isRingError } from '../src/index.js';
import { ringPoint } from '../src/hash-ring.js';

const ids = (n: number): { id: string }[] => Array.from({ length: n }, (_, i) => ({ id: `node-${i}` }));
const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `challenge:${i.toString(36)}:${(i * 7919) % 10007}`);

describe('hash ring placement', () => {
  it('is deterministic: same members in any order give the same placement', () => {
    const a = createHashRing({ nodes: ids(5) });
    const b = createHashRing({ nodes: [...ids(5)].reverse() });
    for (const k of keys(5_000)) assert.deepEqual(a.preferenceList(k, 3), b.preferenceList(k, 3));
    // Known values pin the algorithm, so a change of placement (which would strand keys in a
    // running cluster) cannot slip in unnoticed.
    assert.equal(ringPoint('challenge:abc'), 2033016161);
    assert.equal(ringPoint(''), 2872998923);
    assert.deepEqual(createHashRing({ nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }).preferenceList('token:42', 3), ['b', 'c', 'a']);
  });

  it('spreads keys evenly (160 vnodes: every node within ±20% of the mean)', () => {
    const ring = createHashRing({ nodes: ids(5) });
    const counts = new Map<string, number>();
    const all = keys(100_000);
    for (const k of all) {
      const o = ring.owner(k) as string;
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    const mean = all.length / 5;
    for (const [id, c] of counts) assert.ok(Math.abs(c - mean) / mean < 0.2, `${id} owns ${c}, mean ${mean}`);
  });

  it('honours weights', () => {
    const ring = createHashRing({ nodes: [{ id: 'a', weight: 2 }, { id: 'b' }, { id: 'c' }] });
    let a = 0;
    const all = keys(50_000);
    for (const k of all) if (ring.owner(k) === 'a') a++;
    assert.ok(a / all.length > 0.4 && a / all.length < 0.6, `a owns ${a / all.length}`);
  });

  it('moves only the keys of the added node, about 1/n of them', () => {
    const before = createHashRing({ nodes: ids(4) });
    const after = before.withNodes(ids(5));
    let moved = 0;
    const all = keys(50_000);
    for (const k of all) {
      const o1 = before.owner(k);
      const o2 = after.owner(k);
      if (o1 !== o2) {
        moved++;
        assert.equal(o2, 'node-4', 'a key may only move to the new node');
      }
    }
    assert.ok(moved / all.length > 0.12 && moved / all.length < 0.28, `moved ${moved / all.length}`);
  });

  it('moves only the keys of the removed node', () => {
    const before = createHashRing({ nodes: ids(5) });
    const after = before.withNodes(ids(5).filter((n) => n.id !== 'node-2'));
    for (const k of keys(20_000)) {
      const o1 = before.owner(k);
      if (o1 !== 'node-2') assert.equal(after.owner(k), o1);
      // The old replica takes over: the new preference list starts with the old second node.
      else assert.equal(after.owner(k), before.preferenceList(k, 2)[1]);
    }
  });

  it('gives preference lists of distinct nodes, owner first, capped by the node count', () => {
    const ring = createHashRing({ nodes: ids(3) });
    for (const k of keys(2_000)) {
      const p = ring.preferenceList(k, 2);
      assert.equal(p.length, 2);
      assert.notEqual(p[0], p[1]);
      assert.equal(p[0], ring.owner(k));
      assert.equal(new Set(ring.preferenceList(k, 10)).size, 3);
    }
    assert.deepEqual(createHashRing().preferenceList('x', 2), []);
    assert.equal(createHashRing().owner('x'), undefined);
  });

  it('rejects bad options with RING_ERR_INVALID_OPTION', () => {
    for (const bad of [0, -1, 1.5, 5000]) {
      assert.throws(() => createHashRing({ vnodesPerNode: bad }), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_OPTION') && e.message.includes('vnodesPerNode'));
    }
    assert.throws(() => createHashRing({ nodes: [{ id: 'a' }, { id: 'a' }] }), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_OPTION'));
    assert.throws(() => createHashRing({ nodes: [{ id: 'a', weight: 0 }] }), (e: unknown) => isRingError(e, 'RING_ERR_INVALID_OPTION'));
  });

  it('keeps the error codes unique and prefixed', () => {
    assert.equal(new Set(RING_ERROR_CODES).size, RING_ERROR_CODES.length);
    for (const c of RING_ERROR_CODES) assert.match(c, /^RING_ERR_[A-Z_]+$/);
  });
});
