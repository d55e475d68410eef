import { BuddyAllocator } from './buddy-allocator.js';
import type { AllocatorStats } from './buddy-allocator.js';
import { CODEC_BY_ID } from './codec.js';
import type { Codec, CodecName, CodecValue } from './codec.js';
import { sleepMs } from './blocking-sleep.js';
import { ShmError } from './errors.js';
import { indexHash } from './index-hash.js';
import {
  B_EXPIRES_AT, B_KEY, B_KEY_LEN, B_NEXT, B_VERSION, E_BUCKET, E_HASH, E_KEY_LEN, E_KIND, E_NEXT, E_TAG, E_VALUE_LEN,
  E_VERSION, H_ARENA_BYTES, H_ARENA_OFFSET, H_BUCKETS, H_CODEC, H_CREATOR_PID, H_CREATOR_STAMP, H_ENTRIES, H_EXPIRED_REMOVED,
  H_GENERATION, H_INDEX_OFFSET, H_LOCK, H_LOCK_WAITS, H_MAX_KEY_BYTES, H_MAX_ORDER, H_MAX_VALUE_BYTES, H_MIN_ORDER,
  H_REPAIRS, H_SIZE, H_SWEEP_CURSOR, H_TAKEOVERS, H_VERSION_COUNTER, HEADER_BYTES, KIND_COUNTER, KIND_VALUE, MIN_ORDER,
  SLOT_HEAD, SLOT_SEQ, SLOT_WORDS, TAG_ORDER_MASK, valueOffset,
} from './layout.js';
import { ownerAlive } from './process-identity.js';
import { createSegment, openSegment, unlinkSegment, viewsOf } from './segment.js';
import type { Backend, SegmentViews } from './segment.js';
import { checkAttached, formatSegment, planSegment, segmentCreator } from './segment-format.js';
import { checkName, resolveCommon, resolveCreate, resolveOpen } from './shared-map-options.js';
import type {
  CreateSharedMapOptions, OpenSharedMapOptions, ResolvedCommon, WriteOptions,
} from './shared-map-options.js';
import { repairStructure, verifyStructure } from './structure-repair.js';
import type { SegmentStructure, VerifyReport } from './structure-repair.js';
import { lockOwnerAlive, lockWriter, unlockWriter } from './writer-lock.js';

/** One change of {@link SharedMap.batch}. */
export type BatchChange<V> =
  | { readonly type: 'set'; readonly key: string; readonly value: V; readonly ttlMs?: number }
  | { readonly type: 'delete'; readonly key: string };

/** Figures of {@link SharedMap.stats}. */
export interface SharedMapStats {
  readonly name: string;
  readonly backend: Backend;
  readonly codec: CodecName;
  readonly sizeBytes: number;
  /** Entries in the index, including expired ones not yet removed. */
  readonly entries: number;
  readonly buckets: number;
  readonly generation: number;
  readonly allocator: AllocatorStats;
  /** Writer-lock takeovers from dead owners, since creation. */
  readonly lockTakeovers: number;
  /** Structure repairs run, since creation. */
  readonly repairs: number;
  /** Times a writer found the lock held, since creation. */
  readonly lockWaits: number;
  /** Expired entries removed by sweeps and eviction, since creation. */
  readonly expiredRemoved: number;
  /**
   * This process: whole-segment sweeps run because an allocation failed, and allocations
   * refused at once because such a sweep had just found nothing to free (see FULL_SWEEP_PAUSE_MS).
   */
  readonly fullSweeps: number;
  readonly fullRefusals: number;
  /** This process: gets answered from L1, gets that read the segment, seqlock retries. */
  readonly l1Hits: number;
  readonly l1Size: number;
  readonly segmentReads: number;
  readonly readRetries: number;
  /** Duration of the last structure repair run by this process, ms (0: none). */
  readonly lastRepairMs: number;
  /** This create replaced a stale segment left by a dead creator. */
  readonly replacedStale: boolean;
  /** pid of the process that created the segment (it may have exited since). */
  readonly creatorPid: number;
  /** Whether that creator process is still alive (an unreaped zombie counts as dead). */
  readonly creatorAlive: boolean;
}

interface L1Entry {
  readonly value: unknown;
  readonly tagIndex: number;
  readonly tag: number;
  readonly versionIndex: number;
  readonly version: number;
  readonly expiresAt: number;
}

interface EncodedChange {
  readonly del: boolean;
  readonly key: string;
  readonly h: number;
  readonly bytes: Uint8Array;
  readonly ttlMs: number | undefined;
}


const MISSING = Symbol('missing');
const RETRY = Symbol('retry');
const SWEEP_BUCKETS_PER_WRITE = 2;

/**
 * A string-keyed map in a shared-memory segment that every process on the
 * machine maps. Reads take no lock (seqlock per bucket); writes serialize on a
 * writer lock that records its owner's pid and is taken over, with a repair of
 * the structure, when that owner has died.
 *
 * All methods are synchronous; a write holds the lock for microseconds.
 */
/**
 * How long after a whole-segment sweep that left an allocation failing this process fails the
 * next ones at once. Such a sweep walks every entry under the writer lock (milliseconds for a
 * large segment); run on every write of a full segment it would turn a full store into a
 * machine that does nothing else. Nothing it could free expires sooner than this matters: the
 * writes' own small sweeps, deletes and other processes' frees are still used at once, since
 * each allocation tries the free lists first.
 */
const FULL_SWEEP_PAUSE_MS = 100;

/**
 * Keys are stored as UTF-16 code units in the platform's order (the Uint16Array view reads
 * them); where that order is little-endian, Buffer's 'utf16le' writes exactly those units.
 */
const NATIVE_UTF16LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/**
 * The key length from which that native write beats a loop of `charCodeAt` stores. Measured on
 * Node 20 (AMD EPYC): 24 units 50 ns by loop, 71 ns native; 72 units 141 ns by loop, 71 ns
 * native. A 1M-site start copies a million 71-unit secret keys; the request path's keys are
 * shorter.
 */
const NATIVE_KEY_COPY_MIN = 64;

/** The encoded value of a counter being created (`#putCounter`); copied into the segment at once. */
const COUNTER_SCRATCH = new Float64Array(1);
const COUNTER_SCRATCH_BYTES = new Uint8Array(COUNTER_SCRATCH.buffer);

export class SharedMap<V = unknown> {
  readonly #name: string;
  readonly #backend: Backend;
  readonly #opts: ResolvedCommon;
  readonly #codec: Codec;
  readonly #now: () => number;
  readonly #pid = process.pid;
  #v: SegmentViews | null;
  #i32: Int32Array;
  #u16: Uint16Array;
  #f64: Float64Array;
  #buf: Buffer;
  readonly #alloc: BuddyAllocator;
  readonly #indexBase: number;
  readonly #mask: number;
  readonly #buckets: number;
  readonly #arenaOffset: number;
  readonly #arenaEnd: number;
  readonly #maxKeyBytes: number;
  readonly #maxValueBytes: number;
  readonly #maxChain: number;
  readonly #l1: Map<string, L1Entry> | null;
  readonly #replacedStale: boolean;
  readonly #l1Fast = new Map<string, unknown>();
  #l1Gen = -1;
  #l1Hits = 0;
  #segmentReads = 0;
  #readRetries = 0;
  #foundLink = 0;
  #lastRepairMs = 0;
  #fullSweeps = 0;
  #fullRefusals = 0;
  #fullSweepPausedUntil = 0;
  #lastFound = { offset: 0, version: 0, tag: 0, expiresAt: 0 };

  /** @internal use {@link createSharedMap} / {@link openSharedMap} */
  constructor(views: SegmentViews, backend: Backend, opts: ResolvedCommon, replacedStale: boolean) {
    this.#v = views;
    this.#i32 = views.i32;
    this.#u16 = views.u16;
    this.#f64 = views.f64;
    this.#buf = views.buf;
    this.#name = opts.name;
    this.#backend = backend;
    this.#opts = opts;
    this.#now = opts.now;
    this.#replacedStale = replacedStale;
    const i32 = views.i32;
    this.#codec = CODEC_BY_ID[i32[H_CODEC]!]!;
    this.#indexBase = i32[H_INDEX_OFFSET]! >> 2;
    this.#buckets = i32[H_BUCKETS]!;
    this.#mask = this.#buckets - 1;
    this.#arenaOffset = i32[H_ARENA_OFFSET]!;
    this.#arenaEnd = this.#arenaOffset + i32[H_ARENA_BYTES]!;
    this.#maxKeyBytes = i32[H_MAX_KEY_BYTES]!;
    this.#maxValueBytes = i32[H_MAX_VALUE_BYTES]!;
    this.#maxChain = (this.#arenaEnd - this.#arenaOffset) / 2 ** MIN_ORDER;
    this.#alloc = new BuddyAllocator(i32, this.#arenaOffset, i32[H_ARENA_BYTES]!, i32[H_MIN_ORDER]!, i32[H_MAX_ORDER]!);
    this.#l1 = opts.l1 ? new Map() : null;
  }

  /** Segment name. */
  get name(): string {
    return this.#name;
  }

  /** The mapped memory (for worker threads with the 'memory' backend). */
  get buffer(): SharedArrayBuffer {
    return this.#views().sab;
  }

  /** The value codec of this segment. */
  get codec(): CodecName {
    return this.#codec.name;
  }

  /** Bumped once per committed write or batch, by any process. */
  get generation(): number {
    return Atomics.load(this.#views().i32, H_GENERATION) >>> 0;
  }

  /** Entries in the index (expired ones not yet removed included). */
  get size(): number {
    return Atomics.load(this.#views().i32, H_ENTRIES);
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#v === null;
  }

  #views(): SegmentViews {
    const v = this.#v;
    if (v === null) throw this.#closedError();
    return v;
  }

  #closedError(): ShmError {
    return new ShmError('SHM_ERR_CLOSED', `shared map '${this.#name}' is closed`);
  }

  #checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) throw new ShmError('SHM_ERR_INVALID_KEY', `key must be a non-empty string; got ${typeof key === 'string' ? 'an empty string' : typeof key}`);
    if (key.length * 2 > this.#maxKeyBytes) throw new ShmError('SHM_ERR_KEY_TOO_LARGE', `key of ${key.length * 2} bytes (UTF-16) exceeds maxKeyBytes ${this.#maxKeyBytes}`);
  }

  #checkTtl(ttlMs: number | undefined): void {
    if (ttlMs === undefined) return;
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) throw new ShmError('SHM_ERR_INVALID_OPTION', `option 'ttlMs' must be a finite number > 0; got ${String(ttlMs)}`);
  }

  #encode(value: unknown): Uint8Array {
    const bytes = this.#codec.encode(value);
    if (bytes.length > this.#maxValueBytes) throw new ShmError('SHM_ERR_VALUE_TOO_LARGE', `encoded value of ${bytes.length} bytes exceeds maxValueBytes ${this.#maxValueBytes}`);
    return bytes;
  }

  // ---------------------------------------------------------------- reads

  /** The value under `key`, or undefined when absent or expired. Never waits for a writer. */
  get(key: string): V | undefined {
    if (this.#v === null) throw this.#closedError();
    const l1 = this.#l1;
    if (l1 === null) {
      this.#checkKey(key);
      const value = this.#read(key);
      return value === MISSING ? undefined : (value as V);
    }
    // Fast path: #l1Fast holds only entries without TTL that were validated at
    // generation #l1Gen; while the generation stands, nothing was written
    // anywhere, so they are current. Any write moves the generation and the
    // next get starts the fast map afresh (amortized: it only holds what was
    // added since the last write).
    const g = Atomics.load(this.#i32, H_GENERATION);
    if (g !== this.#l1Gen) {
      this.#l1Fast.clear();
      this.#l1Gen = g;
    } else {
      const v = this.#l1Fast.get(key);
      if (v !== undefined) {
        this.#l1Hits++;
        return v as V;
      }
    }
    return this.#getL1(key, l1, g);
  }

  #getL1(key: string, l1: Map<string, L1Entry>, g: number): V | undefined {
    const i32 = this.#i32;
    const c = l1.get(key);
    if (c !== undefined) {
      // One load of the entry's version (and tag, in case the block was freed
      // and reused) decides whether the decoded value is still current.
      if (Atomics.load(i32, c.versionIndex) === c.version && Atomics.load(i32, c.tagIndex) === c.tag
        && (c.expiresAt === 0 || this.#now() < c.expiresAt)) {
        this.#l1Hits++;
        // Moved to the young end: eviction takes the oldest first, so a key read again
        // since it was cached stays (LRU over the reads that miss the fast map).
        l1.delete(key);
        l1.set(key, c);
        if (c.expiresAt === 0) this.#addFast(key, c.value);
        return c.value as V;
      }
      l1.delete(key);
    }
    this.#checkKey(key);
    const value = this.#read(key);
    if (value === MISSING) return undefined;
    const f = this.#lastFound;
    if (l1.size >= this.#opts.l1MaxEntries) this.#evictOldest(l1);
    l1.set(key, {
      value, tagIndex: f.offset >> 2, tag: f.tag, versionIndex: (f.offset + B_VERSION) >> 2, version: f.version, expiresAt: f.expiresAt,
    });
    // `g` was loaded before this read: if a write completed since, the
    // generation moved and the next get clears the fast map anyway.
    if (f.expiresAt === 0 && g === this.#l1Gen) this.#addFast(key, value);
    return value as V;
  }

  /**
   * Drop the oldest 1/16 of a full L1 in one pass. One at a time would be quadratic: a Map
   * keeps deleted entries as holes at its head until it rehashes, and `keys().next()` walks
   * over every one of them, so each single eviction cost a scan of up to half the table.
   */
  #evictOldest(l1: Map<string, L1Entry>): void {
    let n = Math.max(1, this.#opts.l1MaxEntries >>> 4);
    for (const k of l1.keys()) {
      l1.delete(k);
      if (--n === 0) break;
    }
  }

  #addFast(key: string, value: unknown): void {
    if (this.#l1Fast.size >= this.#opts.l1MaxEntries) this.#l1Fast.clear();
    this.#l1Fast.set(key, value);
  }

  /** Whether a live (unexpired) entry exists under `key`. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Seqlock read: note the bucket's sequence, walk the chain and decode, then
   * check the sequence again; a change means a writer touched the bucket (and
   * may have freed what we read), so the result is dropped and the read redone.
   * A torn read can only produce garbage that is discarded, or an exception
   * from the decoder, which is treated the same way.
   */
  #read(key: string): unknown {
    const h = indexHash(key);
    const si = this.#indexBase + (h & this.#mask) * SLOT_WORDS + SLOT_SEQ;
    let backoff: { spins: number; started: number } | undefined;
    for (;;) {
      const i32 = this.#i32;
      const s1 = Atomics.load(i32, si);
      if ((s1 & 1) === 0) {
        let result: unknown = MISSING;
        let failed = false;
        try {
          result = this.#readChain(key, h, Atomics.load(i32, si + SLOT_HEAD));
        } catch {
          failed = true;
        }
        if (Atomics.load(i32, si) === s1) {
          if (result === RETRY || failed) {
            throw new ShmError('SHM_ERR_SEGMENT_CORRUPT', `bucket chain for a key is corrupt in segment '${this.#name}'; run verify()`);
          }
          this.#segmentReads++;
          return result;
        }
      }
      this.#readRetries++;
      backoff ??= { spins: 0, started: 0 };
      this.#readBackoff(backoff);
    }
  }

  #readBackoff(state: { spins: number; started: number }): void {
    state.spins++;
    if (state.spins < 64) return;
    if (state.started === 0) state.started = Date.now();
    sleepMs(0.05);
    // A bucket that stays odd means its writer stopped mid-update: if it is dead,
    // take the lock over (which repairs) so this read can finish.
    if (state.spins % 32 === 0) {
      const owner = Atomics.load(this.#i32, H_LOCK);
      if (owner !== 0 && owner !== this.#pid && !lockOwnerAlive(this.#i32, owner)) {
        this.#lock();
        this.#unlock();
      } else if (Date.now() - state.started > this.#opts.lockTimeoutMs) {
        throw new ShmError('SHM_ERR_LOCK_TIMEOUT', `read in segment '${this.#name}' kept meeting a writer (pid ${owner}) for ${this.#opts.lockTimeoutMs} ms (option 'lockTimeoutMs')`);
      }
    }
  }

  #readChain(key: string, h: number, head: number): unknown {
    const i32 = this.#i32;
    const u16 = this.#u16;
    const len = key.length;
    let off = head;
    let steps = 0;
    while (off !== 0) {
      if (off < this.#arenaOffset || off >= this.#arenaEnd || (off & 63) !== 0 || ++steps > this.#maxChain) return RETRY;
      const w = off >> 2;
      if (i32[w + E_HASH] === h && i32[w + E_KEY_LEN] === len) {
        const k = (off + B_KEY) >> 1;
        let i = 0;
        while (i < len && u16[k + i] === key.charCodeAt(i)) i++;
        if (i === len) return this.#decodeEntry(off, len);
      }
      off = i32[w + E_NEXT]!;
    }
    return MISSING;
  }

  #decodeEntry(off: number, keyLen: number): unknown {
    const i32 = this.#i32;
    const w = off >> 2;
    const expiresAt = this.#f64[(off + B_EXPIRES_AT) >> 3]!;
    if (expiresAt !== 0 && expiresAt <= this.#now()) return MISSING;
    const f = this.#lastFound;
    f.offset = off;
    f.tag = i32[w + E_TAG]!;
    f.version = i32[w + E_VERSION]!;
    f.expiresAt = expiresAt;
    const start = off + valueOffset(keyLen);
    const valueLen = i32[w + E_VALUE_LEN]!;
    if (valueLen < 0 || start + valueLen > off + 2 ** (f.tag & TAG_ORDER_MASK)) return RETRY;
    if (i32[w + E_KIND] === KIND_COUNTER) return this.#codec.fromNumber(this.#f64[start >> 3]!);
    return this.#codec.decode(this.#buf, start, start + valueLen);
  }

  /** Snapshot of live keys (each bucket read consistently; the whole is not one instant). */
  keys(): string[] {
    return this.#scan(false).map((e) => e[0]);
  }

  /** Snapshot of live entries, decoded. */
  entries(): Array<[string, V]> {
    return this.#scan(true) as Array<[string, V]>;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries()[Symbol.iterator]();
  }

  #scan(withValues: boolean): Array<[string, unknown]> {
    this.#views();
    const out: Array<[string, unknown]> = [];
    for (let b = 0; b < this.#buckets; b++) {
      const si = this.#indexBase + b * SLOT_WORDS + SLOT_SEQ;
      const state = { spins: 0, started: 0 };
      for (;;) {
        const i32 = this.#i32;
        const s1 = Atomics.load(i32, si);
        if ((s1 & 1) === 0) {
          const got: Array<[string, unknown]> = [];
          let failed = false;
          try {
            let off = Atomics.load(i32, si + SLOT_HEAD);
            let steps = 0;
            while (off !== 0) {
              if (off < this.#arenaOffset || off >= this.#arenaEnd || (off & 63) !== 0 || ++steps > this.#maxChain) {
                failed = true;
                break;
              }
              const keyLen = i32[(off + B_KEY_LEN) >> 2]!;
              if (keyLen <= 0 || keyLen * 2 > this.#maxKeyBytes) {
                failed = true;
                break;
              }
              const key = String.fromCharCode(...this.#u16.subarray((off + B_KEY) >> 1, ((off + B_KEY) >> 1) + keyLen));
              const value = withValues ? this.#decodeEntry(off, keyLen) : (this.#expired(off) ? MISSING : true);
              if (value === RETRY) {
                failed = true;
                break;
              }
              if (value !== MISSING) got.push([key, value]);
              off = i32[(off + B_NEXT) >> 2]!;
            }
          } catch {
            failed = true;
          }
          if (Atomics.load(i32, si) === s1) {
            if (failed) throw new ShmError('SHM_ERR_SEGMENT_CORRUPT', `bucket ${b} of segment '${this.#name}' is corrupt; run verify()`);
            for (const e of got) out.push(e);
            break;
          }
        }
        this.#readRetries++;
        this.#readBackoff(state);
      }
    }
    return out;
  }

  #expired(off: number): boolean {
    const e = this.#f64[(off + B_EXPIRES_AT) >> 3]!;
    return e !== 0 && e <= this.#now();
  }

  // --------------------------------------------------------------- writes

  /** Store `value` under `key` (overwrites), optionally with a TTL. */
  set(key: string, value: V, options?: WriteOptions): void {
    this.#checkKey(key);
    const ttlMs = options?.ttlMs;
    this.#checkTtl(ttlMs);
    const bytes = this.#encode(value);
    const h = indexHash(key); // outside the lock: lock hold time bounds multi-process write throughput
    this.#write(() => {
      this.#put(key, h, bytes, bytes.length, KIND_VALUE, ttlMs === undefined ? 0 : this.#now() + ttlMs);
    });
  }

  /** Store only when no live entry exists under `key`; true when stored. */
  add(key: string, value: V, options?: WriteOptions): boolean {
    this.#checkKey(key);
    const ttlMs = options?.ttlMs;
    this.#checkTtl(ttlMs);
    const bytes = this.#encode(value);
    let stored = false;
    const h = indexHash(key);
    this.#write(() => {
      const found = this.#find(key, h);
      if (found !== 0 && !this.#expired(found)) return;
      this.#put(key, h, bytes, bytes.length, KIND_VALUE, ttlMs === undefined ? 0 : this.#now() + ttlMs);
      stored = true;
    });
    return stored;
  }

  /** Atomic get-and-delete across processes: of concurrent takes, exactly one gets the value. */
  take(key: string): V | undefined {
    this.#checkKey(key);
    let result: unknown;
    this.#write(() => {
      const found = this.#find(key, indexHash(key));
      if (found === 0) return;
      const link = this.#foundLink;
      const value = this.#decodeEntry(found, key.length);
      // Decoded before the block is freed: decoders copy, so `value` owns its memory.
      this.#unlinkEntry(link, found);
      if (value !== MISSING && value !== RETRY) result = value;
    });
    return result as V | undefined;
  }

  /** Delete `key`; true when a live entry was removed. */
  delete(key: string): boolean {
    this.#checkKey(key);
    let removed = false;
    this.#write(() => {
      const found = this.#find(key, indexHash(key));
      if (found === 0) return;
      removed = !this.#expired(found);
      this.#unlinkEntry(this.#foundLink, found);
    });
    return removed;
  }

  /**
   * Add `by` to the number under `key`, creating it (from 0) with `ttlMs` when
   * absent or expired; an existing entry keeps its expiry. Returns the new value.
   * An entry holding a non-numeric value is SHM_ERR_NOT_A_NUMBER.
   * @param by increment @default 1
   */
  incr(key: string, by = 1, options?: WriteOptions): number {
    this.#checkKey(key);
    if (typeof by !== 'number' || !Number.isFinite(by)) throw new ShmError('SHM_ERR_INVALID_VALUE', `incr 'by' must be a finite number; got ${String(by)}`);
    const ttlMs = options?.ttlMs;
    this.#checkTtl(ttlMs);
    let result = 0;
    const h = indexHash(key);
    this.#write(() => {
      const off = this.#find(key, h);
      if (off !== 0 && !this.#expired(off)) {
        const w = off >> 2;
        const start = off + valueOffset(key.length);
        if (this.#i32[w + E_KIND] === KIND_COUNTER) {
          result = this.#f64[start >> 3]! + by;
          // Version before value: a writer killed between the two leaves the old
          // value under a new version, which no L1 can have cached.
          const si = this.#indexBase + (h & this.#mask) * SLOT_WORDS + SLOT_SEQ;
          Atomics.add(this.#i32, si, 1);
          this.#i32[w + E_VERSION] = this.#nextVersion();
          this.#f64[start >> 3] = result;
          Atomics.add(this.#i32, si, 1);
          return;
        }
        const current = this.#codec.toNumber(this.#codec.decode(this.#buf, start, start + this.#i32[w + E_VALUE_LEN]!));
        if (Number.isNaN(current)) throw new ShmError('SHM_ERR_NOT_A_NUMBER', `incr of a key whose value is not a number`);
        result = current + by;
        this.#putCounter(key, h, result, this.#f64[(off + B_EXPIRES_AT) >> 3]!);
        return;
      }
      result = by;
      this.#putCounter(key, h, result, ttlMs === undefined ? 0 : this.#now() + ttlMs);
    });
    return result;
  }

  /**
   * Apply a changeset under one lock hold with one generation bump (the config
   * refresh). Every key and value is validated and encoded before the lock is
   * taken, so bad input changes nothing. If the segment fills mid-batch
   * (SHM_ERR_SEGMENT_FULL) or the writer dies, the changes before that point
   * stay applied, each entry whole.
   */
  batch(changes: Iterable<BatchChange<V>>): void {
    this.#views();
    const encoded: EncodedChange[] = [];
    for (const c of changes) {
      if (c === null || typeof c !== 'object' || (c.type !== 'set' && c.type !== 'delete')) {
        throw new ShmError('SHM_ERR_INVALID_VALUE', `batch change must be { type: 'set' | 'delete', key, ... }`);
      }
      this.#checkKey(c.key);
      if (c.type === 'delete') {
        encoded.push({ del: true, key: c.key, h: indexHash(c.key), bytes: new Uint8Array(0), ttlMs: undefined });
      } else {
        this.#checkTtl(c.ttlMs);
        encoded.push({ del: false, key: c.key, h: indexHash(c.key), bytes: this.#encode(c.value), ttlMs: c.ttlMs });
      }
    }
    this.#write(() => {
      const now = this.#now();
      for (const c of encoded) {
        if (c.del) {
          const found = this.#find(c.key, c.h);
          if (found !== 0) this.#unlinkEntry(this.#foundLink, found);
        } else {
          this.#put(c.key, c.h, c.bytes, c.bytes.length, KIND_VALUE, c.ttlMs === undefined ? 0 : now + c.ttlMs);
        }
      }
    });
  }

  /**
   * Set many keys to values given already encoded, under one lock hold with one generation
   * bump, like {@link batch}: `texts[i]` is the value of `keys[i]` as the segment's codec
   * writes it — JSON text for 'json', the string itself for 'string' (other codecs are
   * SHM_ERR_INVALID_OPTION). A bulk load (the config mirror's start) skips the per-value
   * object, `JSON.stringify` and Buffer: the text is written as UTF-8 straight into its block.
   * The caller vouches that a 'json' text is well-formed JSON (it is stored unchecked; a
   * reader's decode of a malformed one fails as a corrupt entry). Every key and length is
   * checked before the lock is taken, so bad input changes nothing; a segment that fills
   * mid-way (SHM_ERR_SEGMENT_FULL) keeps the entries before that point, each whole.
   */
  setEncoded(keys: readonly string[], texts: readonly string[]): void {
    this.#views();
    const codec = this.#codec.name;
    if (codec !== 'json' && codec !== 'string') {
      throw new ShmError('SHM_ERR_INVALID_OPTION', `setEncoded needs a segment with codec 'json' or 'string'; segment '${this.#name}' has '${codec}' (use batch)`);
    }
    if (!Array.isArray(keys) || !Array.isArray(texts) || keys.length !== texts.length) {
      throw new ShmError('SHM_ERR_INVALID_VALUE', `setEncoded takes two arrays of the same length (keys, texts); got ${Array.isArray(keys) ? keys.length : typeof keys} keys and ${Array.isArray(texts) ? texts.length : typeof texts} texts`);
    }
    const n = keys.length;
    const hashes = new Int32Array(n);
    const lengths = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const text = texts[i];
      this.#checkKey(key);
      if (typeof text !== 'string') throw new ShmError('SHM_ERR_INVALID_VALUE', `setEncoded texts must be strings; got ${typeof text} at index ${i}`);
      const len = Buffer.byteLength(text, 'utf8');
      if (len > this.#maxValueBytes) throw new ShmError('SHM_ERR_VALUE_TOO_LARGE', `encoded value of ${len} bytes exceeds maxValueBytes ${this.#maxValueBytes}`);
      hashes[i] = indexHash(key);
      lengths[i] = len;
    }
    this.#write(() => {
      for (let i = 0; i < n; i++) this.#put(keys[i]!, hashes[i]!, texts[i]!, lengths[i]!, KIND_VALUE, 0);
    });
  }

  /** Remove every expired entry now; returns how many. (Writes also sweep a few buckets each.) */
  sweep(): number {
    let removed = 0;
    this.#write(() => {
      removed = this.#sweepBuckets(0, this.#buckets);
    });
    return removed;
  }

  /** Remove every entry. */
  clear(): void {
    this.#write(() => {
      for (let b = 0; b < this.#buckets; b++) {
        const headIndex = this.#indexBase + b * SLOT_WORDS + SLOT_HEAD;
        while (Atomics.load(this.#i32, headIndex) !== 0) this.#unlinkEntry(headIndex, Atomics.load(this.#i32, headIndex));
      }
    });
    this.#l1?.clear();
    this.#l1Fast.clear();
  }

  #write(fn: () => void): void {
    this.#views();
    this.#lock();
    try {
      fn();
      const cursor = this.#i32[H_SWEEP_CURSOR]!;
      this.#i32[H_SWEEP_CURSOR] = (cursor + SWEEP_BUCKETS_PER_WRITE) & this.#mask;
      this.#sweepBuckets(cursor, Math.min(this.#buckets, cursor + SWEEP_BUCKETS_PER_WRITE));
    } finally {
      // One bump per write or batch, after every change: an L1 hit that sees the
      // old generation is ordered before this whole write.
      Atomics.add(this.#i32, H_GENERATION, 1);
      this.#unlock();
    }
  }

  #nextVersion(): number {
    let v = Atomics.add(this.#i32, H_VERSION_COUNTER, 1) + 1;
    if (v === 0) v = Atomics.add(this.#i32, H_VERSION_COUNTER, 1) + 1;
    return v | 0;
  }

  /**
   * Writer-side lookup (lock held, no seqlock needed): the entry's offset or 0;
   * its link word's index is left in #foundLink.
   */
  #find(key: string, h: number): number {
    const i32 = this.#i32;
    const u16 = this.#u16;
    let link = this.#indexBase + (h & this.#mask) * SLOT_WORDS + SLOT_HEAD;
    let off = i32[link]!;
    const len = key.length;
    while (off !== 0) {
      const w = off >> 2;
      if (i32[w + E_HASH] === h && i32[w + E_KEY_LEN] === len) {
        const k = (off + B_KEY) >> 1;
        let i = 0;
        while (i < len && u16[k + i] === key.charCodeAt(i)) i++;
        if (i === len) {
          this.#foundLink = link;
          return off;
        }
      }
      link = w + E_NEXT;
      off = i32[link]!;
    }
    return 0;
  }

  #allocOrEvict(order: number): number {
    let off = this.#alloc.alloc(order);
    if (off !== 0) return off;
    const t = this.#now();
    // A clock set back ends the pause too, rather than stretching it by the step.
    if (t >= this.#fullSweepPausedUntil || t < this.#fullSweepPausedUntil - FULL_SWEEP_PAUSE_MS) {
      // Memory pressure: drop every expired entry, then try once more.
      this.#fullSweeps++;
      this.#sweepBuckets(0, this.#buckets);
      off = this.#alloc.alloc(order);
      if (off !== 0) return off;
      this.#fullSweepPausedUntil = t + FULL_SWEEP_PAUSE_MS;
    } else {
      this.#fullRefusals++;
    }
    const s = this.#alloc.stats();
    throw new ShmError('SHM_ERR_SEGMENT_FULL', `segment '${this.#name}' has no free block of ${2 ** order} bytes (free ${s.freeBytes} bytes, largest ${s.largestFreeBytes}); raise 'sizeBytes'`);
  }

  /** `value`: the encoded bytes, or (setEncoded) a text of `valueBytes` UTF-8 bytes. */
  #put(key: string, h: number, value: Uint8Array | string, valueBytes: number, kind: number, expiresAt: number): void {
    const i32 = this.#i32;
    const order = this.#alloc.orderFor(valueOffset(key.length) + valueBytes);
    // Always copy-on-write: a new block is filled while unreachable and linked by one
    // store, so a writer killed at any point leaves either the old or the new entry whole.
    const off = this.#allocOrEvict(order);
    // Looked up after the allocation: an eviction sweep may have changed the chain.
    const current = this.#find(key, h);
    const slot = this.#indexBase + (h & this.#mask) * SLOT_WORDS;
    const headIndex = slot + SLOT_HEAD;
    this.#fillEntry(off, key, h, value, valueBytes, kind, expiresAt, current === 0 ? i32[headIndex]! : i32[(current + B_NEXT) >> 2]!);
    // Bucket sequence odd around the link store (no call in between can throw).
    const si = slot + SLOT_SEQ;
    Atomics.add(i32, si, 1);
    if (current === 0) {
      Atomics.store(i32, headIndex, off);
      i32[H_ENTRIES] = i32[H_ENTRIES]! + 1;
    } else {
      Atomics.store(i32, this.#foundLink, off);
    }
    Atomics.add(i32, si, 1);
    if (current !== 0) this.#alloc.free(current);
  }

  #putCounter(key: string, h: number, value: number, expiresAt: number): void {
    // One scratch number for every new counter (the risk engine makes several per request):
    // in the byte order of the Float64Array view that reads and updates counters in place.
    COUNTER_SCRATCH[0] = value;
    this.#put(key, h, COUNTER_SCRATCH_BYTES, 8, KIND_COUNTER, expiresAt);
  }

  #u8(): Uint8Array {
    return this.#views().u8;
  }

  #fillEntry(off: number, key: string, h: number, value: Uint8Array | string, valueBytes: number, kind: number, expiresAt: number, next: number): void {
    const i32 = this.#i32;
    const w = off >> 2;
    i32[w + E_NEXT] = next;
    i32[w + E_VERSION] = this.#nextVersion();
    i32[w + E_HASH] = h;
    i32[w + E_KEY_LEN] = key.length;
    i32[w + E_VALUE_LEN] = valueBytes;
    i32[w + E_KIND] = kind;
    i32[w + E_BUCKET] = h & this.#mask;
    this.#f64[(off + B_EXPIRES_AT) >> 3] = expiresAt;
    if (NATIVE_UTF16LE && key.length >= NATIVE_KEY_COPY_MIN) {
      // One native copy of the key's UTF-16 code units (lone surrogates included, as they are).
      this.#buf.write(key, off + B_KEY, key.length * 2, 'utf16le');
    } else {
      const k = (off + B_KEY) >> 1;
      for (let i = 0; i < key.length; i++) this.#u16[k + i] = key.charCodeAt(i);
    }
    if (typeof value === 'string') this.#buf.write(value, off + valueOffset(key.length), valueBytes, 'utf8');
    else this.#u8().set(value, off + valueOffset(key.length));
  }

  /** Unlink the entry at `off`, whose link word is `linkIndex`, and free its block. */
  #unlinkEntry(linkIndex: number, off: number): void {
    const i32 = this.#i32;
    const si = this.#indexBase + (i32[(off >> 2) + E_HASH]! & this.#mask) * SLOT_WORDS + SLOT_SEQ;
    Atomics.add(i32, si, 1);
    Atomics.store(i32, linkIndex, i32[(off + B_NEXT) >> 2]!);
    Atomics.add(i32, si, 1);
    i32[H_ENTRIES] = i32[H_ENTRIES]! - 1;
    this.#alloc.free(off);
  }

  #sweepBuckets(from: number, to: number): number {
    const i32 = this.#i32;
    const now = this.#now();
    let removed = 0;
    for (let b = from; b < to; b++) {
      let link = this.#indexBase + b * SLOT_WORDS + SLOT_HEAD;
      let off = i32[link]!;
      while (off !== 0) {
        const e = this.#f64[(off + B_EXPIRES_AT) >> 3]!;
        const next = i32[(off + B_NEXT) >> 2]!;
        if (e !== 0 && e <= now) {
          this.#unlinkEntry(link, off);
          removed++;
        } else {
          link = (off + B_NEXT) >> 2;
        }
        off = next;
      }
    }
    if (removed > 0) i32[H_EXPIRED_REMOVED] = i32[H_EXPIRED_REMOVED]! + removed;
    return removed;
  }

  // ------------------------------------------------ lock, repair, verify

  /** Take the writer lock; a dead owner's lock is taken over and the structure repaired first. */
  #lock(): void {
    lockWriter(this.#i32, this.#pid, this.#name, this.#opts.lockTimeoutMs, this.#repairAfterTakeover);
  }

  /** Made once, not per write: only a takeover of a dead writer's lock calls it. */
  readonly #repairAfterTakeover = (): void => {
    const started = performance.now();
    repairStructure(this.#structure());
    this.#lastRepairMs = performance.now() - started;
  };

  #unlock(): void {
    unlockWriter(this.#i32, this.#pid);
  }

  #structure(): SegmentStructure {
    return {
      i32: this.#i32, u16: this.#u16, alloc: this.#alloc, indexBase: this.#indexBase, buckets: this.#buckets,
      maxKeyBytes: this.#maxKeyBytes, arenaBytes: this.#arenaEnd - this.#arenaOffset,
    };
  }

  /**
   * Walk the whole structure under the writer lock (taking it over and
   * repairing first if its owner is dead) and check every invariant: blocks
   * tile the arena, free lists hold exactly the free blocks and no free buddies
   * are left unmerged, every allocated block is one reachable, well-formed
   * entry in its own bucket, counts match, every bucket sequence is even.
   */
  verify(): VerifyReport {
    this.#views();
    this.#lock();
    try {
      return verifyStructure(this.#structure());
    } finally {
      this.#unlock();
    }
  }

  /** Counters and allocator figures. */
  stats(): SharedMapStats {
    const i32 = this.#views().i32;
    return Object.freeze({
      name: this.#name,
      backend: this.#backend,
      codec: this.#codec.name,
      sizeBytes: i32[H_SIZE]!,
      creatorPid: Atomics.load(i32, H_CREATOR_PID),
      creatorAlive: ownerAlive(Atomics.load(i32, H_CREATOR_PID), Atomics.load(i32, H_CREATOR_STAMP)),
      entries: Atomics.load(i32, H_ENTRIES),
      buckets: this.#buckets,
      generation: Atomics.load(i32, H_GENERATION) >>> 0,
      allocator: this.#alloc.stats(),
      lockTakeovers: Atomics.load(i32, H_TAKEOVERS),
      repairs: Atomics.load(i32, H_REPAIRS),
      lockWaits: Atomics.load(i32, H_LOCK_WAITS),
      expiredRemoved: Atomics.load(i32, H_EXPIRED_REMOVED),
      fullSweeps: this.#fullSweeps,
      fullRefusals: this.#fullRefusals,
      l1Hits: this.#l1Hits,
      l1Size: this.#l1?.size ?? 0,
      segmentReads: this.#segmentReads,
      readRetries: this.#readRetries,
      lastRepairMs: this.#lastRepairMs,
      replacedStale: this.#replacedStale,
    });
  }

  /**
   * Stop using the segment in this process. The memory is unmapped when the
   * last view is garbage-collected; other processes are unaffected. Idempotent.
   */
  close(): void {
    if (this.#v === null) return;
    this.#v = null;
    this.#l1?.clear();
    this.#l1Fast.clear();
    const empty = new SharedArrayBuffer(8);
    this.#i32 = new Int32Array(empty);
    this.#u16 = new Uint16Array(empty);
    this.#f64 = new Float64Array(empty);
    this.#buf = Buffer.alloc(0);
  }

  /** Remove the segment's name from /dev/shm (clean shutdown of the creator), then close. */
  unlink(): void {
    unlinkSegment(this.#name, this.#backend);
    this.close();
  }
}


// ------------------------------------------------------------- lifecycle

/**
 * Create the segment `/dev/shm/<name>` and return its map (the primary does
 * this once, before forking workers). An existing segment is replaced when it
 * is stale (its creator is dead) or not a valid segment; one whose creator is
 * alive is SHM_ERR_SEGMENT_IN_USE unless `replace` is set.
 */
export function createSharedMap<C extends CodecName = 'msgpack'>(options: CreateSharedMapOptions<C>): SharedMap<CodecValue<C>> {
  const common = resolveCommon(options);
  const o = resolveCreate(options);
  const geometry = planSegment(o);
  let replacedStale = false;
  let mapped;
  try {
    mapped = createSegment(common.name, o.sizeBytes, common.backend);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    const existing = openSegment(common.name, common.backend);
    const { valid, creator, creatorStamp } = segmentCreator(existing.sab);
    const creatorAlive = valid && ownerAlive(creator, creatorStamp);
    if (creatorAlive && creator !== process.pid && !o.replace) {
      throw new ShmError('SHM_ERR_SEGMENT_IN_USE', `segment '${common.name}' belongs to live pid ${creator}; stop it, choose another 'name', or pass 'replace: true'`);
    }
    replacedStale = !creatorAlive;
    // Unlink and make a fresh object: processes still mapping the old one keep
    // their (now private) copy instead of seeing it reformatted under them.
    unlinkSegment(common.name, existing.backend);
    mapped = createSegment(common.name, o.sizeBytes, common.backend);
  }
  const views = viewsOf(mapped.sab);
  formatSegment(views, o, geometry);
  return new SharedMap<CodecValue<C>>(views, mapped.backend, common, replacedStale);
}

/** Attach to an existing segment by name (workers). */
export function openSharedMap<C extends CodecName = CodecName>(options: OpenSharedMapOptions<C>): SharedMap<CodecValue<C>> {
  const common = resolveCommon(options);
  const want = resolveOpen(options);
  const mapped = openSegment(common.name, common.backend, options.buffer);
  if (mapped.sab.byteLength < HEADER_BYTES) throw new ShmError('SHM_ERR_SEGMENT_CORRUPT', `segment '${common.name}' is ${mapped.sab.byteLength} bytes, smaller than a header`);
  const views = viewsOf(mapped.sab);
  checkAttached(views, common.name, want);
  return new SharedMap<CodecValue<C>>(views, mapped.backend, common, false);
}

/** Remove `/dev/shm/<name>` if it exists (e.g. after a crash); true when it existed. */
export function unlinkSharedMap(name: string): boolean {
  return unlinkSegment(checkName(name), 'auto');
}
