import { sleepMs } from './blocking-sleep.js';
import { BuddyAllocator } from './buddy-allocator.js';
import { CODEC_BY_ID, CODEC_BY_NAME } from './codec.js';
import type { Codec } from './codec.js';
import { ShmError } from './errors.js';
import {
  DEFAULT_MAX_ORDER, ENTRY_HEADER_BYTES, HEADER_BYTES, H_ARENA_BYTES, H_ARENA_OFFSET, H_BUCKETS, H_CODEC,
  H_CREATED_AT_F64, H_CREATOR_PID, H_CREATOR_STAMP, H_ENTRIES, H_GENERATION, H_INDEX_OFFSET, H_LAYOUT, H_LOCK, H_LOCK_STAMP, H_MAGIC,
  H_MAX_KEY_BYTES, H_MAX_ORDER, H_MAX_VALUE_BYTES, H_MIN_ORDER, H_SIZE, H_STATE, H_VERSION_COUNTER,
  LAYOUT_VERSION, MAGIC, MIN_ORDER, SLOT_WORDS, STATE_READY,
} from './layout.js';
import { optionError } from './shared-map-options.js';
import { processStamp } from './process-identity.js';
import type { ResolvedCreate, ResolvedOpen } from './shared-map-options.js';
import type { SegmentViews } from './segment.js';

/** Where the index and the arena lie in a segment of the asked size. */
export interface SegmentGeometry {
  readonly indexOffset: number;
  readonly arenaOffset: number;
  readonly arenaBytes: number;
  readonly maxOrder: number;
}

function log2Floor(n: number): number {
  return Math.floor(Math.log2(n));
}

/** Lay out a new segment; SHM_ERR_INVALID_OPTION when `sizeBytes` cannot hold the index and one largest entry. */
export function planSegment(o: ResolvedCreate): SegmentGeometry {
  const indexOffset = HEADER_BYTES;
  const arenaOffset = Math.ceil((indexOffset + o.buckets * SLOT_WORDS * 4) / 64) * 64;
  const available = o.sizeBytes - arenaOffset;
  const needOrder = Math.ceil(Math.log2(ENTRY_HEADER_BYTES + o.maxKeyBytes + 8 + o.maxValueBytes));
  if (available < 2 ** MIN_ORDER || needOrder > log2Floor(available)) {
    throw optionError('sizeBytes', `large enough for the index (${o.buckets} buckets) and one block of ${2 ** needOrder} bytes (maxKeyBytes + maxValueBytes)`, o.sizeBytes);
  }
  // At least ~8 top-level blocks where the value limit allows, so the arena's
  // rounding down to whole top-level blocks wastes little.
  const maxOrder = Math.max(needOrder, Math.min(DEFAULT_MAX_ORDER, log2Floor(available) - 3));
  const arenaBytes = Math.floor(available / 2 ** maxOrder) * 2 ** maxOrder;
  return { indexOffset, arenaOffset, arenaBytes, maxOrder };
}

/**
 * Write a fresh header, an empty index and a formatted arena; the magic and the
 * ready state are stored last, so an attaching process never sees a half-made segment.
 */
export function formatSegment(views: SegmentViews, o: ResolvedCreate, g: SegmentGeometry): void {
  const i32 = views.i32;
  i32[H_STATE] = 0;
  i32[H_LAYOUT] = LAYOUT_VERSION;
  i32[H_SIZE] = o.sizeBytes;
  i32[H_LOCK] = 0;
  i32[H_GENERATION] = 0;
  i32[H_VERSION_COUNTER] = 0;
  i32[H_CREATOR_PID] = process.pid;
  i32[H_CREATOR_STAMP] = processStamp(process.pid);
  i32[H_LOCK_STAMP] = 0;
  i32[H_INDEX_OFFSET] = g.indexOffset;
  i32[H_BUCKETS] = o.buckets;
  i32[H_ARENA_OFFSET] = g.arenaOffset;
  i32[H_ARENA_BYTES] = g.arenaBytes;
  i32[H_MIN_ORDER] = MIN_ORDER;
  i32[H_MAX_ORDER] = g.maxOrder;
  i32[H_ENTRIES] = 0;
  i32[H_CODEC] = CODEC_BY_NAME[o.codec].id;
  i32[H_MAX_KEY_BYTES] = o.maxKeyBytes;
  i32[H_MAX_VALUE_BYTES] = o.maxValueBytes;
  views.f64[H_CREATED_AT_F64] = Date.now();
  i32.fill(0, g.indexOffset >> 2, g.arenaOffset >> 2);
  new BuddyAllocator(i32, g.arenaOffset, g.arenaBytes, MIN_ORDER, g.maxOrder).format();
  Atomics.store(i32, H_MAGIC, MAGIC);
  Atomics.store(i32, H_STATE, STATE_READY);
}

/** Whether the mapping holds a segment of this package, and the pid (and start-time stamp) that created it (0 if not). */
export function segmentCreator(sab: SharedArrayBuffer): { readonly valid: boolean; readonly creator: number; readonly creatorStamp: number } {
  const hdr = new Int32Array(sab, 0, Math.min(sab.byteLength, HEADER_BYTES) >> 2);
  const valid = hdr.length > H_CREATOR_STAMP && Atomics.load(hdr, H_MAGIC) === MAGIC;
  return { valid, creator: valid ? Atomics.load(hdr, H_CREATOR_PID) : 0, creatorStamp: valid ? Atomics.load(hdr, H_CREATOR_STAMP) : 0 };
}

/**
 * Wait until the segment's creator has formatted it, then check that this
 * build can read it and that it is what `want` asked for; returns its codec.
 */
export function checkAttached(views: SegmentViews, name: string, want: ResolvedOpen): Codec {
  const i32 = views.i32;
  const deadline = Date.now() + want.attachTimeoutMs;
  while (Atomics.load(i32, H_STATE) !== STATE_READY || Atomics.load(i32, H_MAGIC) !== MAGIC) {
    if (Date.now() >= deadline) {
      throw new ShmError('SHM_ERR_VERSION_MISMATCH', `segment '${name}' is not a ready @hurdle/shm segment (magic 0x${(Atomics.load(i32, H_MAGIC) >>> 0).toString(16)}) after ${want.attachTimeoutMs} ms (option 'attachTimeoutMs')`);
    }
    sleepMs(1);
  }
  if (i32[H_LAYOUT] !== LAYOUT_VERSION) throw new ShmError('SHM_ERR_VERSION_MISMATCH', `segment '${name}' has layout version ${i32[H_LAYOUT]}, this build reads ${LAYOUT_VERSION}`);
  if (i32[H_SIZE] !== views.sab.byteLength) throw new ShmError('SHM_ERR_SEGMENT_CORRUPT', `segment '${name}' header says ${i32[H_SIZE]} bytes, mapping is ${views.sab.byteLength}`);
  if (want.sizeBytes !== undefined && want.sizeBytes !== i32[H_SIZE]) throw new ShmError('SHM_ERR_VERSION_MISMATCH', `segment '${name}' is ${i32[H_SIZE]} bytes, option 'sizeBytes' asked for ${want.sizeBytes}`);
  const codec = CODEC_BY_ID[i32[H_CODEC]!];
  if (codec === undefined) throw new ShmError('SHM_ERR_VERSION_MISMATCH', `segment '${name}' uses unknown codec id ${i32[H_CODEC]}`);
  if (want.codec !== undefined && want.codec !== codec.name) throw optionError('codec', `'${codec.name}' (the segment's codec)`, want.codec);
  return codec;
}
