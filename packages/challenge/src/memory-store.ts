import type { ChallengeStore } from './challenge-store.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Clock in epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** A {@link ChallengeStore} in process memory (tests and development). */
export interface MemoryStore extends ChallengeStore {
  /** Live entries (expired ones are dropped first). */
  size(): number;
  clear(): void;
}

/** Create an in-memory {@link ChallengeStore}. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  void options;
  throw new Error('not implemented yet');
}
