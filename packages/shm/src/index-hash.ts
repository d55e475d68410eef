/**
 * The hash that places a key in the segment's hash index and is stored in its
 * entry (`E_HASH`): FNV-1a over the key's UTF-16 code units, finished with
 * murmur3's 32-bit finalizer, as a signed 32-bit integer. It is part of the
 * segment format: every process that maps a segment must compute the same.
 */

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** murmur3's 32-bit finalizer: spreads FNV's weak low bits, which index the buckets. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Index hash of `key` (signed 32-bit); its low bits select the bucket. */
export function indexHash(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return fmix32(h);
}

/**
 * {@link indexHash} of a key stored as `length` UTF-16 units at `u16[start]`,
 * without decoding it to a string (the structure check hashes every entry).
 */
export function indexHashOfUnits(u16: Uint16Array, start: number, length: number): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < length; i++) {
    h ^= u16[start + i]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return fmix32(h);
}
