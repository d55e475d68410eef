/**
 * @hurdle/shm: a string-keyed map in one shared-memory segment that every
 * process on the machine maps (config mirror and single-machine challenge
 * store), with a buddy allocator, lock-free readers, a crash-safe writer lock,
 * TTLs, a per-process L1 of decoded values and shared rate counters.
 */
export {
  SharedMap, createSharedMap, openSharedMap, unlinkSharedMap,
} from './shared-map.js';
export type { BatchChange, SharedMapStats } from './shared-map.js';
export type {
  CreateSharedMapOptions, OpenSharedMapOptions, SharedMapCommonOptions, WriteOptions,
} from './shared-map-options.js';
export type { CodecName, CodecValue } from './codec.js';
export type { VerifyReport } from './structure-repair.js';
export type { AllocatorStats } from './buddy-allocator.js';
export { ownerAlive, processStamp, processStartTicks } from './process-identity.js';
export { createSharedCounters } from './shared-counters.js';
export type { SharedCounters, SharedCountersOptions } from './shared-counters.js';
export { ShmError, SHM_ERROR_CODES, SHM_WARN_NO_NATIVE, isShmError } from './errors.js';
export type { ShmErrorCode } from './errors.js';
