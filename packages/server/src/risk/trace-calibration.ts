/**
 * The trace score's calibration, computed by `calibrateTraces` from the 52 recorded human
 * drags (`test/helpers/fixtures/human-drags/train.json`, a copy of
 * `../shared/human-drags/train.json`). A test recomputes it from the recordings and fails when
 * these numbers drift from them, so a change of the features must come with new numbers.
 * Order: {@link TRACE_FEATURES}.
 */
import type { TraceCalibration } from './trace-score.js';

export const HUMAN_TRACE_CALIBRATION: TraceCalibration = Object.freeze({
  median: Object.freeze([6.8681, 3.1274, 1.0640, 0.2604, -3.4074, -3.4296]),
  spread: Object.freeze([1.0389, 0.2479, 0.1783, 0.1430, 0.7934, 1.1171]),
  distanceP90: 1.3464,
});
