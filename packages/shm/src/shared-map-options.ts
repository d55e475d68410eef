import { CODECS } from './layout.js';
import type { CodecName } from './codec.js';
import { ShmError } from './errors.js';

/** Options shared by {@link createSharedMap} and {@link openSharedMap}. */
export interface SharedMapCommonOptions {
  /** Segment name: the file `/dev/shm/<name>`. Letters, digits, `.`, `_`, `-`; at most 200 characters. */
  readonly name: string;
  /**
   * Keep a per-process map of decoded values, validated on every get with one
   * atomic load, so a hot get costs about a `Map.get`. Returned objects are
   * shared between gets: treat them as read-only.
   * @default false
   */
  readonly l1?: boolean;
  /** Most entries the L1 map holds; the oldest inserted is dropped beyond it. @default 100000 */
  readonly l1MaxEntries?: number;
  /** How long a writer waits for the lock held by a live process before SHM_ERR_LOCK_TIMEOUT, ms. @default 5000 */
  readonly lockTimeoutMs?: number;
  /** Clock for TTLs, epoch ms. Every process sharing a segment must use the same clock. @default Date.now */
  readonly now?: () => number;
  /**
   * 'auto': the native mapping of /dev/shm (falls back to 'memory' with one
   * SHM_WARN_NO_NATIVE warning when the addon cannot load). 'memory': an
   * in-process SharedArrayBuffer, shareable with worker threads via `buffer`.
   * @default 'auto'
   */
  readonly backend?: 'auto' | 'memory';
}

/** Options of {@link createSharedMap}. */
export interface CreateSharedMapOptions<C extends CodecName = 'msgpack'> extends SharedMapCommonOptions {
  /** Segment size in bytes, 64 KiB to 1 GiB. @default 67108864 (64 MiB) */
  readonly sizeBytes?: number;
  /** Value encoding. @default 'msgpack' */
  readonly codec?: C;
  /** Longest key, bytes of UTF-16 (2 per code unit). @default 512 */
  readonly maxKeyBytes?: number;
  /** Largest encoded value, bytes. @default 65536 */
  readonly maxValueBytes?: number;
  /** Hash buckets, a power of two. @default sizeBytes / 512 rounded up to a power of two, at least 1024 */
  readonly buckets?: number;
  /**
   * When a segment of this name exists and its creator is alive (and is not
   * this process), throw SHM_ERR_SEGMENT_IN_USE unless this is true. A segment
   * whose creator is dead, or that is not a valid segment, is always replaced.
   * @default false
   */
  readonly replace?: boolean;
}

/** Options of {@link openSharedMap}. */
export interface OpenSharedMapOptions<C extends CodecName = CodecName> extends SharedMapCommonOptions {
  /** When given, must match the segment's codec (else SHM_ERR_INVALID_OPTION). */
  readonly codec?: C;
  /** When given, must match the segment's size (else SHM_ERR_VERSION_MISMATCH). */
  readonly sizeBytes?: number;
  /** How long to wait for a segment that its creator is still initializing, ms. @default 2000 */
  readonly attachTimeoutMs?: number;
  /** 'memory' backend only: the creator's `map.buffer`, passed to a worker thread. */
  readonly buffer?: SharedArrayBuffer;
}

/** Per-entry options of writes. */
export interface WriteOptions {
  /** Time to live, ms (> 0). Absent: the entry never expires. */
  readonly ttlMs?: number;
}

const NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;
const MiB = 1024 * 1024;

export function optionError(option: string, expected: string, got: unknown): ShmError {
  return new ShmError('SHM_ERR_INVALID_OPTION', `option '${option}' must be ${expected}; got ${typeof got === 'string' ? `'${got}'` : String(got)}`);
}

function checkInt(option: string, value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw optionError(option, `an integer in [${min}, ${max}]`, value);
  return value;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A segment name, checked: `/dev/shm/<name>` must be one plain file name. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw optionError('name', 'letters, digits, ".", "_", "-" (1-200 chars)', name);
  return name;
}

/** {@link SharedMapCommonOptions} with defaults applied. */
export interface ResolvedCommon {
  readonly name: string;
  readonly l1: boolean;
  readonly l1MaxEntries: number;
  readonly lockTimeoutMs: number;
  readonly now: () => number;
  readonly backend: 'auto' | 'memory';
}

export function resolveCommon(options: SharedMapCommonOptions): ResolvedCommon {
  if (options === null || typeof options !== 'object') throw optionError('options', 'an object', options);
  const name = checkName(options.name);
  if (options.l1 !== undefined && typeof options.l1 !== 'boolean') throw optionError('l1', 'a boolean', options.l1);
  if (options.now !== undefined && typeof options.now !== 'function') throw optionError('now', 'a function', options.now);
  if (options.backend !== undefined && options.backend !== 'auto' && options.backend !== 'memory') throw optionError('backend', "'auto' or 'memory'", options.backend);
  return Object.freeze({
    name,
    l1: options.l1 ?? false,
    l1MaxEntries: checkInt('l1MaxEntries', options.l1MaxEntries, 1, 2 ** 30, 100_000),
    lockTimeoutMs: checkInt('lockTimeoutMs', options.lockTimeoutMs, 1, 600_000, 5000),
    now: options.now ?? Date.now,
    backend: options.backend ?? 'auto',
  });
}

/** The create-only options of {@link CreateSharedMapOptions} with defaults applied. */
export interface ResolvedCreate {
  readonly sizeBytes: number;
  readonly codec: CodecName;
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  readonly buckets: number;
  readonly replace: boolean;
}

export function resolveCreate(options: CreateSharedMapOptions<CodecName>): ResolvedCreate {
  const sizeBytes = checkInt('sizeBytes', options.sizeBytes, 64 * 1024, 1024 * MiB, 64 * MiB);
  const codec = options.codec ?? 'msgpack';
  if (!(CODECS as readonly string[]).includes(codec)) throw optionError('codec', `one of ${CODECS.join(', ')}`, codec);
  const maxKeyBytes = checkInt('maxKeyBytes', options.maxKeyBytes, 2, 64 * 1024, 512);
  const maxValueBytes = checkInt('maxValueBytes', options.maxValueBytes, 1, 256 * MiB, 64 * 1024);
  const buckets = options.buckets ?? nextPow2(Math.max(1024, Math.ceil(sizeBytes / 512)));
  if (!Number.isInteger(buckets) || buckets < 16 || buckets > 2 ** 26 || (buckets & (buckets - 1)) !== 0) throw optionError('buckets', 'a power of two in [16, 2^26]', buckets);
  if (options.replace !== undefined && typeof options.replace !== 'boolean') throw optionError('replace', 'a boolean', options.replace);
  return Object.freeze({
    sizeBytes, codec, maxKeyBytes, maxValueBytes, buckets, replace: options.replace === true,
  });
}

/** The open-only options of {@link OpenSharedMapOptions} with defaults applied. */
export interface ResolvedOpen {
  readonly attachTimeoutMs: number;
  readonly codec: CodecName | undefined;
  readonly sizeBytes: number | undefined;
}

export function resolveOpen(options: OpenSharedMapOptions<CodecName>): ResolvedOpen {
  const attachTimeoutMs = checkInt('attachTimeoutMs', options.attachTimeoutMs, 0, 600_000, 2000);
  if (options.codec !== undefined && !(CODECS as readonly string[]).includes(options.codec)) throw optionError('codec', `one of ${CODECS.join(', ')}`, options.codec);
  return Object.freeze({ attachTimeoutMs, codec: options.codec, sizeBytes: options.sizeBytes });
}
