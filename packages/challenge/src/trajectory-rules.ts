/** Trajectory rule thresholds (pointer and keyboard) and their defaults. */

/** Trajectory rule thresholds; defaults in the README. */
export interface TrajectoryRules {
  readonly maxSamples: number;
  readonly minSamples: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  /**
   * Longest step between two samples, px. A recorded person flicked 218 px in 447 ms with a
   * 93 px step between two 60 Hz samples; scaled onto the longest answer (~262 px) that is
   * 112 px, so the bound sits above it. @default 120
   */
  readonly maxStepPx: number;
  readonly minSpeedVariation: number;
  readonly minOffAxisPx: number;
  readonly maxEndErrorPx: number;
  readonly maxRepeatedTimeRatio: number;
  /**
   * Timing: least time between the challenge's issue and the start of the trace, ms; with it,
   * a trace can claim no more time than has passed since the issue. @default 300
   */
  readonly minLookMs: number;
  /** Geometry: largest x of the first sample (the piece starts at 0, under the handle), px. @default 2 */
  readonly maxStartXPx: number;
  /** Geometry: largest |y| of the first sample (the press is on the handle), px. @default 40 */
  readonly maxStartOffTrackPx: number;
  /** Geometry: largest |y| of any sample (a person stays near the track), px. @default 120 */
  readonly maxOffTrackPx: number;
  /** Keyboard: the allowed |x step| of one key press, px (plain arrow, Shift+arrow). @default [1, 10] */
  readonly keyStepsPx: readonly number[];
  /** Keyboard: fewest key presses (also at least |answer| / largest step). @default 3 */
  readonly minKeyPresses: number;
  /** Keyboard: shortest interval between two key presses, ms. @default 25 */
  readonly minKeyIntervalMs: number;
  /** Keyboard: lowest coefficient of variation of the key intervals. @default 0.1 */
  readonly minKeyIntervalVariation: number;
  /** Keyboard: shortest time from the first to the last key press, ms. @default 300 */
  readonly minKeyDurationMs: number;
  /** Keyboard: longest time from the first to the last key press, ms. @default 90000 */
  readonly maxKeyDurationMs: number;
  /** Keyboard: largest distance between the last sample's x and the answer, px. @default 0.5 */
  readonly maxKeyEndErrorPx: number;
}


/** Default thresholds (documented in the README). */
export const DEFAULT_TRAJECTORY_RULES: TrajectoryRules = Object.freeze({
  maxSamples: 2000,
  minSamples: 8,
  minDurationMs: 250,
  maxDurationMs: 30_000,
  maxStepPx: 120,
  minSpeedVariation: 0.2,
  minOffAxisPx: 0.5,
  maxEndErrorPx: 12,
  maxRepeatedTimeRatio: 0.5,
  minLookMs: 300,
  maxStartXPx: 2,
  maxStartOffTrackPx: 40,
  maxOffTrackPx: 120,
  keyStepsPx: Object.freeze([1, 10]),
  minKeyPresses: 3,
  minKeyIntervalMs: 25,
  minKeyIntervalVariation: 0.1,
  minKeyDurationMs: 300,
  maxKeyDurationMs: 90_000,
  maxKeyEndErrorPx: 0.5,
});
