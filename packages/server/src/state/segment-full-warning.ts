/**
 * A full state segment makes challenges and tokens fail with SHM_ERR_SEGMENT_FULL, which is
 * easy to miss among per-request errors. This logs it as an operator warning with the
 * segment's figures, at most once per interval (with how many were left unlogged), so a
 * flood of failing writes cannot flood the log.
 */
import type { SharedMap } from '@hurdle/shm';
import type { Logger } from 'pino';

/** Shortest gap between two warnings, ms. */
const WARN_INTERVAL_MS = 60_000;

const isSegmentFull = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'SHM_ERR_SEGMENT_FULL';

/** A reporter to call with every error of a write to `map`; only segment-full errors count. */
export function segmentFullWarning(map: SharedMap<string>, segment: string, logger: Logger, now: () => number = Date.now): (err: unknown) => void {
  let lastAt = -Infinity;
  let unlogged = 0;
  return (err) => {
    if (!isSegmentFull(err)) return;
    const t = now();
    if (t - lastAt < WARN_INTERVAL_MS) {
      unlogged += 1;
      return;
    }
    lastAt = t;
    const s = map.stats();
    logger.warn({
      event: 'shm_segment_full', segment, sizeBytes: s.sizeBytes, entries: s.entries,
      freeBytes: s.allocator.freeBytes, largestFreeBytes: s.allocator.largestFreeBytes, unloggedSinceLast: unlogged,
    }, `the ${segment} segment is full: challenges and tokens fail until entries expire; raise 'shm.stateBytes'`);
    unlogged = 0;
  };
}
