/**
 * Replay memory: the shapes of accepted traces, kept in the challenge store for a window
 * (every worker and, on the ring, every machine sees them), so that a near copy of one
 * (a recorded drag replayed, rescaled to each new answer or sped up) fails.
 *
 * A bucket (`f:<hash>`) holds the shapes filed under it as JSON, newest last, at most
 * {@link BUCKET_CAPACITY}; a shape is filed under one bucket per grid. Two verifies that file
 * into one bucket at the same moment may lose one of the two entries (a read-modify-write):
 * the cost is one replay that could pass, never a person refused.
 */
import type { ChallengeStore } from './challenge-store.js';
import type { TraceShape } from './trace-shape.js';
import { isNearCopy, shapeBuckets } from './trace-shape.js';

const BUCKET_CAPACITY = 32;

function parseBucket(raw: string | undefined): TraceShape[] {
  if (raw === undefined) return [];
  try {
    const list = JSON.parse(raw) as unknown;
    return Array.isArray(list) ? (list as TraceShape[]) : [];
  } catch {
    return [];
  }
}

export interface ReplayMemory {
  /**
   * True when a near copy of `shape` was accepted within the window; otherwise files `shape`
   * (the caller asks only once every other check passed, so only accepted shapes are filed).
   * Each bucket is read once: the lists that answer the question are the ones extended.
   */
  seenElseRemember(shape: TraceShape): Promise<boolean>;
}

export function createReplayMemory(store: ChallengeStore, keyPrefix: string, windowMs: number): ReplayMemory {
  const key = (bucket: string): string => `${keyPrefix}f:${bucket}`;
  return {
    async seenElseRemember(shape) {
      const buckets = shapeBuckets(shape);
      const lists = (await Promise.all(buckets.map((b) => store.get(key(b))))).map(parseBucket);
      if (lists.some((list) => list.some((other) => isNearCopy(shape, other)))) return true;
      await Promise.all(buckets.map((b, i) => {
        const list = lists[i] as TraceShape[];
        list.push({ x: shape.x, y: shape.y });
        return store.set(key(b), JSON.stringify(list.slice(-BUCKET_CAPACITY)), windowMs);
      }));
      return false;
    },
  };
}
