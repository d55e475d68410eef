/**
 * The storage @hurdle/challenge needs for short-lived challenge and token state.
 * The server adapts the shared-memory map (one machine) or the Redis ring (many
 * machines) to it; {@link createMemoryStore} serves tests and development.
 */
export interface ChallengeStore {
  /** Store value under key for ttlMs (overwrites). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Store only if absent; true when stored (SET NX PX). */
  add(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  /** Atomic get-and-delete: of N concurrent takes exactly one gets the value. */
  take(key: string): Promise<string | undefined>;
  /** Increment a counter, creating it with ttlMs when absent; returns the new value. */
  incr(key: string, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
}
