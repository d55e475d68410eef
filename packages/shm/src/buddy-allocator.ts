import {
  B_NEXT, B_PREV, B_TAG, H_FREE_COUNTS, H_FREE_HEADS, H_USED_BYTES, TAG_ALLOCATED, TAG_MAGIC,
  TAG_MAGIC_MASK, TAG_ORDER_MASK, allocatedTag, freeTag,
} from './layout.js';
import { ShmError } from './errors.js';

/** Free bytes per order and the figures derived from them. */
export interface AllocatorStats {
  /** Arena size in bytes. */
  readonly arenaBytes: number;
  readonly allocatedBytes: number;
  readonly freeBytes: number;
  /** Largest block that can be allocated now, bytes. */
  readonly largestFreeBytes: number;
  /** 1 - largestFree / free: 0 when all free memory is one block. */
  readonly fragmentation: number;
  /** Free block count per order (index = order; block size = 2^order bytes). */
  readonly freeBlocksByOrder: readonly number[];
  readonly minBlockBytes: number;
  readonly maxBlockBytes: number;
}

/** One block found by walking the arena by its tags. */
export interface ArenaBlock {
  readonly offset: number;
  readonly order: number;
  readonly allocated: boolean;
}

/**
 * Binary buddy allocator whose whole state lives in the segment: a tag word at
 * the start of every block (magic | allocated | order) and one doubly linked
 * free list per order (heads in the header). The arena is a row of top-level
 * blocks of `maxOrder`; they never merge with each other.
 *
 * Crash safety rests on one property: walking the arena from its start by
 * each tag's order always visits a tiling of the arena. A split writes the upper
 * half's tag before it shrinks the lower half's order; a merge is one store of
 * the lower half's order. Free lists may be left inconsistent by a crash; the
 * repair rebuilds them from the tags ({@link rebuild}).
 *
 * Callers hold the segment's writer lock for every method except `stats`.
 */
export class BuddyAllocator {
  readonly #i32: Int32Array;
  readonly arenaOffset: number;
  readonly arenaEnd: number;
  readonly minOrder: number;
  readonly maxOrder: number;

  constructor(i32: Int32Array, arenaOffset: number, arenaBytes: number, minOrder: number, maxOrder: number) {
    this.#i32 = i32;
    this.arenaOffset = arenaOffset;
    this.arenaEnd = arenaOffset + arenaBytes;
    this.minOrder = minOrder;
    this.maxOrder = maxOrder;
  }

  /** Lay out a fresh arena: every top-level block free. */
  format(): void {
    const i32 = this.#i32;
    for (let o = 0; o < 32; o++) {
      i32[H_FREE_HEADS + o] = 0;
      i32[H_FREE_COUNTS + o] = 0;
    }
    i32[H_USED_BYTES] = 0;
    const top = 2 ** this.maxOrder;
    for (let off = this.arenaEnd - top; off >= this.arenaOffset; off -= top) {
      i32[(off + B_TAG) >> 2] = freeTag(this.maxOrder);
      this.#push(off, this.maxOrder);
    }
  }

  /** Smallest order whose block holds `bytes`, or -1 when none does. */
  orderFor(bytes: number): number {
    const order = bytes <= 1 ? 0 : 32 - Math.clz32(bytes - 1);
    if (order > this.maxOrder) return -1;
    return order < this.minOrder ? this.minOrder : order;
  }

  /** Allocate a block of exactly `order`; 0 when no free block is large enough. */
  alloc(order: number): number {
    const i32 = this.#i32;
    let o = order;
    while (o <= this.maxOrder && i32[H_FREE_HEADS + o] === 0) o++;
    if (o > this.maxOrder) return 0;
    const off = i32[H_FREE_HEADS + o]!;
    this.#remove(off, o);
    while (o > order) {
      o--;
      const upper = off + 2 ** o;
      // Upper tag first: the walk by tags must tile the arena at every instant.
      i32[(upper + B_TAG) >> 2] = freeTag(o);
      this.#push(upper, o);
      i32[(off + B_TAG) >> 2] = freeTag(o);
    }
    Atomics.store(i32, (off + B_TAG) >> 2, allocatedTag(order));
    i32[H_USED_BYTES] = i32[H_USED_BYTES]! + 2 ** order;
    return off;
  }

  /** Return an allocated block, merging with free buddies. */
  free(offset: number): void {
    const i32 = this.#i32;
    const tag = i32[(offset + B_TAG) >> 2]!;
    if ((tag & TAG_MAGIC_MASK) !== TAG_MAGIC || (tag & TAG_ALLOCATED) === 0) {
      throw new ShmError('SHM_ERR_SEGMENT_CORRUPT', `free of a block that is not allocated at offset ${offset}`);
    }
    const o = tag & TAG_ORDER_MASK;
    i32[H_USED_BYTES] = i32[H_USED_BYTES]! - 2 ** o;
    this.#release(offset, o);
  }

  #release(offset: number, order: number): void {
    const i32 = this.#i32;
    let off = offset;
    let o = order;
    // Clear the version word (B_PREV aliases it) before anything else so an L1
    // check against this block fails from here on; the tag store below also does.
    Atomics.store(i32, (off + B_TAG) >> 2, freeTag(o));
    while (o < this.maxOrder) {
      const buddy = this.arenaOffset + ((off - this.arenaOffset) ^ (2 ** o));
      if (i32[(buddy + B_TAG) >> 2] !== freeTag(o)) break;
      this.#remove(buddy, o);
      off = Math.min(off, buddy);
      o++;
      i32[(off + B_TAG) >> 2] = freeTag(o);
    }
    this.#push(off, o);
  }

  #push(off: number, o: number): void {
    const i32 = this.#i32;
    const head = i32[H_FREE_HEADS + o]!;
    i32[(off + B_NEXT) >> 2] = head;
    i32[(off + B_PREV) >> 2] = 0;
    if (head !== 0) i32[(head + B_PREV) >> 2] = off;
    i32[H_FREE_HEADS + o] = off;
    i32[H_FREE_COUNTS + o] = i32[H_FREE_COUNTS + o]! + 1;
  }

  #remove(off: number, o: number): void {
    const i32 = this.#i32;
    const next = i32[(off + B_NEXT) >> 2]!;
    const prev = i32[(off + B_PREV) >> 2]!;
    if (prev === 0) i32[H_FREE_HEADS + o] = next;
    else i32[(prev + B_NEXT) >> 2] = next;
    if (next !== 0) i32[(next + B_PREV) >> 2] = prev;
    i32[H_FREE_COUNTS + o] = i32[H_FREE_COUNTS + o]! - 1;
  }

  /**
   * Walk the arena by tags. Throws SHM_ERR_SEGMENT_CORRUPT when a tag is not a
   * block tag or a block is misaligned or overruns the arena.
   */
  walk(): ArenaBlock[] {
    const i32 = this.#i32;
    const blocks: ArenaBlock[] = [];
    let off = this.arenaOffset;
    while (off < this.arenaEnd) {
      const tag = i32[(off + B_TAG) >> 2]!;
      const order = tag & TAG_ORDER_MASK;
      if ((tag & TAG_MAGIC_MASK) !== TAG_MAGIC || order < this.minOrder || order > this.maxOrder
        || ((off - this.arenaOffset) % 2 ** order) !== 0 || off + 2 ** order > this.arenaEnd) {
        throw new ShmError('SHM_ERR_SEGMENT_CORRUPT', `bad block tag 0x${(tag >>> 0).toString(16)} at offset ${off}`);
      }
      blocks.push({ offset: off, order, allocated: (tag & TAG_ALLOCATED) !== 0 });
      off += 2 ** order;
    }
    return blocks;
  }

  /**
   * Rebuild every free list from the tags: `keep` decides which allocated
   * blocks stay allocated; all others, and all free blocks, are released in
   * address order so that buddies merge again.
   */
  rebuild(blocks: readonly ArenaBlock[], keep: (offset: number) => boolean): void {
    const i32 = this.#i32;
    for (let o = 0; o < 32; o++) {
      i32[H_FREE_HEADS + o] = 0;
      i32[H_FREE_COUNTS + o] = 0;
    }
    let used = 0;
    const release: ArenaBlock[] = [];
    for (const b of blocks) {
      if (b.allocated && keep(b.offset)) {
        used += 2 ** b.order;
      } else {
        // Mark allocated first so a lower neighbour does not merge with it before its turn.
        i32[(b.offset + B_TAG) >> 2] = allocatedTag(b.order);
        release.push(b);
      }
    }
    for (const b of release) this.#release(b.offset, b.order);
    i32[H_USED_BYTES] = used;
  }

  /** Check the free lists against the tags; returns problems found (empty when sound). */
  check(blocks: readonly ArenaBlock[]): string[] {
    const i32 = this.#i32;
    const problems: string[] = [];
    const freeSet = new Map<number, number>();
    let used = 0;
    for (const b of blocks) {
      if (b.allocated) {
        used += 2 ** b.order;
      } else {
        freeSet.set(b.offset, b.order);
        if (b.order < this.maxOrder) {
          const buddy = this.arenaOffset + ((b.offset - this.arenaOffset) ^ (2 ** b.order));
          const bt = i32[(buddy + B_TAG) >> 2];
          if (buddy > b.offset && bt === freeTag(b.order)) problems.push(`free buddies not merged at ${b.offset} and ${buddy} (order ${b.order})`);
        }
      }
    }
    if (used !== i32[H_USED_BYTES]) problems.push(`used bytes ${i32[H_USED_BYTES]} in header, ${used} by walk`);
    for (let o = this.minOrder; o <= this.maxOrder; o++) {
      let off = i32[H_FREE_HEADS + o]!;
      let prev = 0;
      let n = 0;
      while (off !== 0) {
        if (freeSet.get(off) !== o) {
          problems.push(`free list ${o} holds ${off}, which is not a free block of that order`);
          break;
        }
        if (i32[(off + B_PREV) >> 2] !== prev) problems.push(`free list ${o}: bad prev link at ${off}`);
        freeSet.delete(off);
        prev = off;
        off = i32[(off + B_NEXT) >> 2]!;
        if (++n > blocks.length) {
          problems.push(`free list ${o} has a cycle`);
          break;
        }
      }
      if (n !== i32[H_FREE_COUNTS + o]) problems.push(`free list ${o}: count ${i32[H_FREE_COUNTS + o]} in header, ${n} linked`);
    }
    if (freeSet.size > 0) problems.push(`${freeSet.size} free blocks on no free list`);
    return problems;
  }

  stats(): AllocatorStats {
    const i32 = this.#i32;
    const byOrder: number[] = [];
    let free = 0;
    let largest = 0;
    for (let o = 0; o <= this.maxOrder; o++) {
      const n = o < this.minOrder ? 0 : Math.max(0, Atomics.load(i32, H_FREE_COUNTS + o));
      byOrder.push(n);
      free += n * 2 ** o;
      if (n > 0) largest = 2 ** o;
    }
    const arenaBytes = this.arenaEnd - this.arenaOffset;
    return {
      arenaBytes,
      allocatedBytes: Atomics.load(i32, H_USED_BYTES),
      freeBytes: free,
      largestFreeBytes: largest,
      fragmentation: free === 0 ? 0 : 1 - largest / free,
      freeBlocksByOrder: byOrder,
      minBlockBytes: 2 ** this.minOrder,
      maxBlockBytes: 2 ** this.maxOrder,
    };
  }
}
