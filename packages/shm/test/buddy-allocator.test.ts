import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BuddyAllocator } from '../src/buddy-allocator.js';
import { HEADER_BYTES, MIN_ORDER } from '../src/layout.js';

const MAX_ORDER = 12; // 4 KiB top-level blocks
const TOP_BLOCKS = 3;

function fresh(): { alloc: BuddyAllocator; arenaBytes: number } {
  const arenaBytes = TOP_BLOCKS * 2 ** MAX_ORDER;
  const i32 = new Int32Array(new SharedArrayBuffer(HEADER_BYTES + arenaBytes));
  const alloc = new BuddyAllocator(i32, HEADER_BYTES, arenaBytes, MIN_ORDER, MAX_ORDER);
  alloc.format();
  return { alloc, arenaBytes };
}

/** Every byte of the arena is in exactly one block, allocated exactly where we hold blocks. */
function checkInvariants(alloc: BuddyAllocator, held: Map<number, number>, arenaBytes: number): void {
  const blocks = alloc.walk();
  let covered = 0;
  let prevEnd = HEADER_BYTES;
  const allocated = new Map<number, number>();
  for (const b of blocks) {
    assert.equal(b.offset, prevEnd, 'blocks are contiguous and do not overlap');
    prevEnd = b.offset + 2 ** b.order;
    covered += 2 ** b.order;
    if (b.allocated) allocated.set(b.offset, b.order);
  }
  assert.equal(covered, arenaBytes, 'blocks cover the arena exactly once');
  assert.deepEqual(allocated, held, 'allocated blocks are exactly the ones handed out');
  assert.deepEqual(alloc.check(blocks), [], 'free lists match the tags, buddies merged');
  const s = alloc.stats();
  assert.equal(s.allocatedBytes + s.freeBytes, arenaBytes);
}

test('random allocate/free sequences keep the arena tiled and coalesce back to whole blocks', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(
        fc.record({ op: fc.constant('alloc' as const), bytes: fc.integer({ min: 1, max: 2 ** MAX_ORDER }) }),
        fc.record({ op: fc.constant('free' as const), pick: fc.nat() }),
      ), { maxLength: 120 }),
      (ops) => {
        const { alloc, arenaBytes } = fresh();
        const held = new Map<number, number>();
        for (const step of ops) {
          if (step.op === 'alloc') {
            const order = alloc.orderFor(step.bytes);
            assert.ok(order >= MIN_ORDER && 2 ** order >= step.bytes && (order === MIN_ORDER || 2 ** (order - 1) < step.bytes));
            const off = alloc.alloc(order);
            if (off === 0) {
              assert.ok(alloc.stats().largestFreeBytes < 2 ** order, 'alloc fails only when no block is large enough');
            } else {
              assert.equal((off - HEADER_BYTES) % 2 ** order, 0, 'blocks are aligned to their size');
              held.set(off, order);
            }
          } else if (held.size > 0) {
            const offs = [...held.keys()];
            const off = offs[step.pick % offs.length]!;
            alloc.free(off);
            held.delete(off);
          }
          checkInvariants(alloc, held, arenaBytes);
        }
        for (const off of [...held.keys()]) {
          alloc.free(off);
          held.delete(off);
        }
        checkInvariants(alloc, held, arenaBytes);
        const s = alloc.stats();
        assert.equal(s.freeBytes, arenaBytes);
        assert.equal(s.freeBlocksByOrder[MAX_ORDER], TOP_BLOCKS, 'everything coalesced back to the top-level blocks');
        assert.equal(alloc.walk().length, TOP_BLOCKS);
      },
    ),
    { numRuns: 300 },
  );
});

test('rebuild from tags restores free lists after they are scrambled', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 2048 }), { minLength: 1, maxLength: 40 }), fc.nat(), (sizes, seed) => {
      const { alloc, arenaBytes } = fresh();
      const held = new Map<number, number>();
      for (const bytes of sizes) {
        const order = alloc.orderFor(bytes);
        const off = alloc.alloc(order);
        if (off !== 0) held.set(off, order);
      }
      // "Leak" some blocks (a writer died before linking them) and drop the rest.
      const keep = new Set([...held.keys()].filter((_, i) => (i + seed) % 3 !== 0));
      alloc.rebuild(alloc.walk(), (off) => keep.has(off));
      for (const off of [...held.keys()]) if (!keep.has(off)) held.delete(off);
      checkInvariants(alloc, held, arenaBytes);
    }),
    { numRuns: 200 },
  );
});

test('free of a block that is not allocated is a coded error', () => {
  const { alloc } = fresh();
  const off = alloc.alloc(MIN_ORDER);
  alloc.free(off);
  assert.throws(() => alloc.free(off), { code: 'SHM_ERR_SEGMENT_CORRUPT' });
});
