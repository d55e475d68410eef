import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { SHM_WARN_NO_NATIVE, ShmError } from './errors.js';

/** Typed views over one mapping; all share the same SharedArrayBuffer. */
export interface SegmentViews {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;
  readonly f64: Float64Array;
  readonly buf: Buffer;
}

export function viewsOf(sab: SharedArrayBuffer): SegmentViews {
  const whole = sab.byteLength - (sab.byteLength % 8);
  return {
    sab,
    i32: new Int32Array(sab, 0, whole / 4),
    u16: new Uint16Array(sab, 0, whole / 2),
    u8: new Uint8Array(sab),
    f64: new Float64Array(sab, 0, whole / 8),
    buf: Buffer.from(sab),
  };
}

interface NativeBinding {
  map(name: string, sizeBytes: number, create: boolean): SharedArrayBuffer;
  unlink(name: string): boolean;
}

let native: NativeBinding | null | undefined;
let warned = false;

/** The addon, or null (after one coded warning) when it cannot be loaded. */
export function loadNative(): NativeBinding | null {
  if (native !== undefined) return native;
  try {
    const require = createRequire(import.meta.url);
    // dist/src/segment.js -> packages/shm/build/Release
    native = require('../../build/Release/hurdle_shm.node') as NativeBinding;
  } catch (err) {
    native = null;
    warnNoNative(err);
  }
  return native;
}

function warnNoNative(err: unknown): void {
  if (warned) return;
  warned = true;
  const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
  process.emitWarning(
    `@hurdle/shm native addon not loaded (${why}); using an in-process SharedArrayBuffer shared by worker threads only. Run 'npm run build:native -w @hurdle/shm'.`,
    { code: SHM_WARN_NO_NATIVE, type: 'Warning' },
  );
}

/** In-process segments for the fallback backend, by name. */
const memorySegments = new Map<string, SharedArrayBuffer>();

export type Backend = 'native' | 'memory';

export interface MappedSegment {
  readonly sab: SharedArrayBuffer;
  readonly backend: Backend;
}

function nativeError(err: unknown, name: string): ShmError {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return new ShmError('SHM_ERR_SEGMENT_NOT_FOUND', `no shared-memory segment named '${name}' (/dev/shm/${name}); the primary creates it with createSharedMap()`);
  return new ShmError('SHM_ERR_NATIVE', `mapping segment '${name}' failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Create a fresh segment; throws with `code` 'EEXIST' (raw) when one exists. */
export function createSegment(name: string, sizeBytes: number, backend: 'auto' | 'memory'): MappedSegment {
  const addon = backend === 'memory' ? null : loadNative();
  if (addon === null) {
    if (memorySegments.has(name)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    const sab = new SharedArrayBuffer(sizeBytes);
    memorySegments.set(name, sab);
    return { sab, backend: 'memory' };
  }
  try {
    return { sab: addon.map(`/${name}`, sizeBytes, true), backend: 'native' };
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw err;
    throw nativeError(err, name);
  }
}

export function openSegment(name: string, backend: 'auto' | 'memory', buffer?: SharedArrayBuffer): MappedSegment {
  if (buffer !== undefined) return { sab: buffer, backend: 'memory' };
  const addon = backend === 'memory' ? null : loadNative();
  if (addon === null) {
    const sab = memorySegments.get(name);
    if (sab === undefined) throw new ShmError('SHM_ERR_SEGMENT_NOT_FOUND', `no in-process segment named '${name}'; pass the creator's map.buffer as the 'buffer' option in worker threads`);
    return { sab, backend: 'memory' };
  }
  try {
    return { sab: addon.map(`/${name}`, 0, false), backend: 'native' };
  } catch (err) {
    throw nativeError(err, name);
  }
}

/** Remove the segment's name; existing mappings stay valid. True when it existed. */
export function unlinkSegment(name: string, backend: Backend | 'auto'): boolean {
  if (backend === 'memory') return memorySegments.delete(name);
  const addon = loadNative();
  if (addon === null) return memorySegments.delete(name);
  try {
    return addon.unlink(`/${name}`);
  } catch (err) {
    throw nativeError(err, name);
  }
}

/**
 * Whether a process with this pid exists and is not a zombie. A SIGKILLed child
 * that its parent has not reaped yet still answers kill(pid, 0); /proc tells.
 */
export function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}
