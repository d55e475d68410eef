/**
 * Byte layout of a segment. All offsets are byte offsets from the start of the
 * mapping; the header is addressed as Int32 words (`H_*` are word indices).
 *
 * ```
 * [0, 512)            header (magic, layout version, sizes, lock, generation, free-list heads)
 * [512, arenaOffset)  hash index: `buckets` pairs of Int32 [seq, head]
 * [arenaOffset, end)  buddy arena: blocks of 2^order bytes, order in [MIN_ORDER, maxOrder]
 * ```
 */

/** "HRDL" */
export const MAGIC = 0x4852444c;
/** Bumped whenever the byte layout changes; a mismatch is SHM_ERR_VERSION_MISMATCH. */
export const LAYOUT_VERSION = 1;
export const HEADER_BYTES = 512;

export const H_MAGIC = 0;
export const H_LAYOUT = 1;
export const H_SIZE = 2;
export const H_STATE = 3;
export const H_LOCK = 4;
export const H_GENERATION = 5;
export const H_VERSION_COUNTER = 6;
export const H_CREATOR_PID = 7;
export const H_INDEX_OFFSET = 8;
export const H_BUCKETS = 9;
export const H_ARENA_OFFSET = 10;
export const H_ARENA_BYTES = 11;
export const H_MIN_ORDER = 12;
export const H_MAX_ORDER = 13;
export const H_ENTRIES = 14;
export const H_CODEC = 15;
export const H_MAX_KEY_BYTES = 16;
export const H_MAX_VALUE_BYTES = 17;
export const H_SWEEP_CURSOR = 18;
export const H_REPAIRS = 19;
export const H_TAKEOVERS = 20;
export const H_EXPIRED_REMOVED = 21;
export const H_USED_BYTES = 22;
export const H_LOCK_WAITS = 23;
/** Float64 at byte 96: creation time, epoch ms. */
export const H_CREATED_AT_F64 = 96 / 8;
/**
 * Start-time stamp (process-identity.ts) of the writer-lock owner, beside its pid in H_LOCK;
 * 0 = unknown. Written right after the lock is taken, cleared right before it is released.
 */
export const H_LOCK_STAMP = 26;
/** Start-time stamp of the creator, beside H_CREATOR_PID; 0 = unknown. */
export const H_CREATOR_STAMP = 27;
/** Free-list heads, one Int32 per order (index = order). */
export const H_FREE_HEADS = 32;
/** Free-block counts, one Int32 per order. */
export const H_FREE_COUNTS = 64;
export const MAX_ORDERS = 32;

export const STATE_INITIALIZING = 0;
export const STATE_READY = 1;

/** Smallest block: 64 bytes. */
export const MIN_ORDER = 6;
/** Largest top-level block unless a larger value limit needs more: 1 MiB. */
export const DEFAULT_MAX_ORDER = 20;

// Every block starts with a tag word: magic in the high bits, the allocated bit, the order.
export const TAG_MAGIC = 0x4b1c0000;
export const TAG_MAGIC_MASK = 0xffff0000 | 0;
export const TAG_ALLOCATED = 0x8000;
export const TAG_ORDER_MASK = 0xff;

export function freeTag(order: number): number {
  return (TAG_MAGIC | order) | 0;
}
export function allocatedTag(order: number): number {
  return (TAG_MAGIC | TAG_ALLOCATED | order) | 0;
}

// Block words (byte offsets inside a block).
export const B_TAG = 0;
/** Allocated: next entry in the bucket chain. Free: next free block of this order. */
export const B_NEXT = 4;
/** Allocated: entry version. Free: previous free block of this order. */
export const B_VERSION = 8;
export const B_PREV = 8;
export const B_HASH = 12;
/** Key length in UTF-16 code units. */
export const B_KEY_LEN = 16;
/** Value length in bytes. */
export const B_VALUE_LEN = 20;
export const B_KIND = 24;
export const B_BUCKET = 28;
/** Float64: absolute expiry, epoch ms; 0 = never. */
export const B_EXPIRES_AT = 32;
export const B_KEY = 40;
export const ENTRY_HEADER_BYTES = 40;

// The same entry header as Int32 word indices relative to the entry's first word
// (`offset >> 2`): the hot paths address an entry as `i32[(offset >> 2) + E_*]`.
export const E_TAG = B_TAG >> 2;
export const E_NEXT = B_NEXT >> 2;
export const E_VERSION = B_VERSION >> 2;
export const E_HASH = B_HASH >> 2;
export const E_KEY_LEN = B_KEY_LEN >> 2;
export const E_VALUE_LEN = B_VALUE_LEN >> 2;
export const E_KIND = B_KIND >> 2;
export const E_BUCKET = B_BUCKET >> 2;

// Hash index: bucket `b` is the Int32 pair at word `indexOffset / 4 + b * SLOT_WORDS`.
export const SLOT_WORDS = 2;
/** Bucket sequence: odd while a writer changes the bucket's chain (seqlock). */
export const SLOT_SEQ = 0;
/** Byte offset of the first entry of the bucket's chain; 0 = empty. */
export const SLOT_HEAD = 1;

export const KIND_VALUE = 0;
export const KIND_COUNTER = 1;

export function valueOffset(keyLength: number): number {
  return B_KEY + ((keyLength * 2 + 7) & ~7);
}

export const CODECS = ['msgpack', 'json', 'string', 'bytes'] as const;
