/**
 * The fixed buckets per-site analytics counts verify-time scores in: ten of width 0.1 over
 * siteverify's `score` (1.0 very likely a person .. 0.0 very likely a bot). Fixed, so that
 * buckets add up across workers, machines, minutes and hours, and a stored history keeps its
 * meaning when the weights change.
 */

/** How many buckets: `[0.0, 0.1)`, `[0.1, 0.2)` .. `[0.9, 1.0]` (1.0 falls in the last). */
export const SCORE_BUCKETS = 10;

/** The bucket of a public score (two decimals, see `publicScore`); out-of-range values are clamped. */
export function scoreBucket(score: number): number {
  if (!Number.isFinite(score)) return 0;
  // In hundredths first: 0.3 * 10 is 3.0000000000000004 in floating point, 0.29 * 10 is fine,
  // but 0.7 / 0.1 is 6.999999999999999; integers have no such edge.
  const hundredths = Math.round(Math.min(1, Math.max(0, score)) * 100);
  return Math.min(SCORE_BUCKETS - 1, Math.floor(hundredths / 10));
}

/** The label of bucket `i` as reports and CSV headers name it, e.g. `0.3-0.4`. */
export function scoreBucketLabel(i: number): string {
  return `${(i / SCORE_BUCKETS).toFixed(1)}-${((i + 1) / SCORE_BUCKETS).toFixed(1)}`;
}

/** A fresh all-zero bucket array. */
export function emptyScores(): number[] {
  return new Array<number>(SCORE_BUCKETS).fill(0);
}
