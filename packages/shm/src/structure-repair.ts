import type { ArenaBlock, BuddyAllocator } from './buddy-allocator.js';
import { indexHashOfUnits } from './index-hash.js';
import {
  B_KEY, B_NEXT, E_BUCKET, E_HASH, E_KEY_LEN, E_KIND, E_TAG, E_VALUE_LEN, H_ENTRIES, H_GENERATION, H_REPAIRS,
  KIND_COUNTER, KIND_VALUE, SLOT_HEAD, SLOT_SEQ, SLOT_WORDS, TAG_ORDER_MASK, valueOffset,
} from './layout.js';

/** Result of {@link SharedMap.verify}. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly entries: number;
  readonly blocks: number;
  readonly allocatedBytes: number;
  readonly freeBytes: number;
  readonly arenaBytes: number;
}

/** What the structure check and repair read of one mapped segment. */
export interface SegmentStructure {
  readonly i32: Int32Array;
  readonly u16: Uint16Array;
  readonly alloc: BuddyAllocator;
  /** Word index of the hash index. */
  readonly indexBase: number;
  readonly buckets: number;
  readonly maxKeyBytes: number;
  readonly arenaBytes: number;
}

/** Whether the allocated block at `off` is a well-formed entry that belongs in `bucket`. */
function entrySane(s: SegmentStructure, off: number, bucket: number): boolean {
  const i32 = s.i32;
  const w = off >> 2;
  const order = i32[w + E_TAG]! & TAG_ORDER_MASK;
  const keyLen = i32[w + E_KEY_LEN]!;
  const valueLen = i32[w + E_VALUE_LEN]!;
  const kind = i32[w + E_KIND]!;
  if (keyLen <= 0 || keyLen * 2 > s.maxKeyBytes || valueLen < 0) return false;
  if (valueOffset(keyLen) + valueLen > 2 ** order) return false;
  if (kind !== KIND_VALUE && kind !== KIND_COUNTER) return false;
  if ((i32[w + E_HASH]! & (s.buckets - 1)) !== bucket || i32[w + E_BUCKET] !== bucket) return false;
  return indexHashOfUnits(s.u16, (off + B_KEY) >> 1, keyLen) === i32[w + E_HASH];
}

/**
 * Rebuild a consistent structure after a writer died holding the lock (lock
 * held). Relies on: blocks tile the arena by their tags at every instant; an
 * entry becomes reachable by one atomic store of a link, after it is fully
 * written; it is unlinked by one store before its block is freed. So:
 * every reachable entry is whole, unreachable allocated blocks are garbage
 * to free, and free lists are rebuilt from the tags.
 */
export function repairStructure(s: SegmentStructure): void {
  const i32 = s.i32;
  const blocks = s.alloc.walk();
  const allocated = new Set<number>();
  for (const b of blocks) if (b.allocated) allocated.add(b.offset);
  const reachable = new Set<number>();
  let entries = 0;
  for (let b = 0; b < s.buckets; b++) {
    const si = s.indexBase + b * SLOT_WORDS + SLOT_SEQ;
    let link = s.indexBase + b * SLOT_WORDS + SLOT_HEAD;
    let off = i32[link]!;
    while (off !== 0) {
      if (!allocated.has(off) || reachable.has(off) || !entrySane(s, off, b)) {
        // Cannot come from a crash given the write order above; cut the chain here.
        Atomics.store(i32, link, 0);
        break;
      }
      reachable.add(off);
      entries++;
      link = (off + B_NEXT) >> 2;
      off = i32[link]!;
    }
    const seq = i32[si]!;
    if ((seq & 1) !== 0) Atomics.store(i32, si, seq + 1);
  }
  s.alloc.rebuild(blocks, (offset) => reachable.has(offset));
  i32[H_ENTRIES] = entries;
  Atomics.add(i32, H_REPAIRS, 1);
  Atomics.add(i32, H_GENERATION, 1);
}

/**
 * Check every invariant of the structure (writer lock held): blocks tile the
 * arena, free lists hold exactly the free blocks and no free buddies are left
 * unmerged, every allocated block is one reachable, well-formed entry in its
 * own bucket, counts match, every bucket sequence is even.
 */
export function verifyStructure(s: SegmentStructure): VerifyReport {
  const i32 = s.i32;
  const problems: string[] = [];
  let blocks: ArenaBlock[] = [];
  try {
    blocks = s.alloc.walk();
  } catch (err) {
    problems.push((err as Error).message);
  }
  const allocated = new Set<number>();
  let allocatedBytes = 0;
  let freeBytes = 0;
  for (const b of blocks) {
    if (b.allocated) {
      allocated.add(b.offset);
      allocatedBytes += 2 ** b.order;
    } else {
      freeBytes += 2 ** b.order;
    }
  }
  const arenaBytes = s.arenaBytes;
  if (blocks.length > 0 && allocatedBytes + freeBytes !== arenaBytes) problems.push(`blocks cover ${allocatedBytes + freeBytes} of ${arenaBytes} arena bytes`);
  problems.push(...(blocks.length > 0 ? s.alloc.check(blocks) : []));
  const reachable = new Set<number>();
  for (let b = 0; b < s.buckets; b++) {
    const si = s.indexBase + b * SLOT_WORDS + SLOT_SEQ;
    if ((i32[si]! & 1) !== 0) problems.push(`bucket ${b} sequence is odd`);
    let off = i32[s.indexBase + b * SLOT_WORDS + SLOT_HEAD]!;
    while (off !== 0) {
      if (!allocated.has(off)) {
        problems.push(`bucket ${b} links ${off}, which is not an allocated block`);
        break;
      }
      if (reachable.has(off)) {
        problems.push(`entry ${off} is linked twice`);
        break;
      }
      if (!entrySane(s, off, b)) problems.push(`entry ${off} in bucket ${b} is malformed`);
      reachable.add(off);
      off = i32[(off + B_NEXT) >> 2]!;
    }
  }
  for (const off of allocated) if (!reachable.has(off)) problems.push(`allocated block ${off} is unreachable (leaked)`);
  if (reachable.size !== i32[H_ENTRIES]) problems.push(`entry count ${i32[H_ENTRIES]} in header, ${reachable.size} reachable`);
  return Object.freeze({
    ok: problems.length === 0, problems: Object.freeze(problems), entries: reachable.size, blocks: blocks.length, allocatedBytes, freeBytes, arenaBytes,
  });
}
