/**
 * @hurdle/shm: a string-keyed map in one shared-memory segment that every
 * process on the machine maps (config mirror and single-machine challenge
 * store), with a buddy allocator, lock-free readers, a crash-safe writer lock,
 * TTLs, a per-process L1 of decoded values and shared rate counters.
 */
export {
  SharedMap, createSharedMap, openSharedMap, unlinkSharedMap, hashKey,
} from './shared-map.js';
export type {
  BatchChange, CodecName, CodecValue, CreateSharedMapOptions, OpenSharedMapOptions, SharedMapCommonOptions,
  SharedMapStats, VerifyReport, WriteOptions, AllocatorStats,
} from './shared-map.js';
export { createSharedCounters } from './shared-counters.js';
export type { SharedCounters, SharedCountersOptions } from './shared-counters.js';
export { ShmError, SHM_ERROR_CODES, SHM_WARN_NO_NATIVE, isShmError } from './errors.js';
export type { ShmErrorCode } from './errors.js';
