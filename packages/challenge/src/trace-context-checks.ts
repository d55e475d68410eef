/**
 * Checks of a trace against what the server knows and the trace alone cannot claim: when the
 * challenge was issued (timing) and where the slider's handle and track are (geometry).
 *
 * Frame (what the widget records): x is the piece's left edge in background pixels, which the
 * handle's position maps to linearly (x = handle offset / handle travel × (width − piece
 * width)), so x starts at 0; y is the pointer's vertical offset from the centre line of the
 * slider track, in background pixels (CSS pixels / the puzzle's display scale); keyboard
 * solves record y = 0. tMs counts from the first sample (the press).
 */
import type { TrajectorySample } from './trajectory-check.js';
import type { TrajectoryRules } from './trajectory-rules.js';

export type TimingReason = 'claims_more_time_than_passed';
export type GeometryReason = 'starts_off_handle' | 'leaves_track';

/**
 * A person needs `minLookMs` to see the puzzle before pressing, and a trace cannot last
 * longer than the time since the issue allows; both in one inequality:
 * duration + minLookMs <= now − issuedAt. Network time only adds to the right side.
 */
export function checkTraceTiming(samples: readonly TrajectorySample[], issuedAt: number, now: number, rules: TrajectoryRules): TimingReason[] {
  if (samples.length === 0) return [];
  const duration = (samples[samples.length - 1] as TrajectorySample)[2] - (samples[0] as TrajectorySample)[2];
  return duration + rules.minLookMs > now - issuedAt ? ['claims_more_time_than_passed'] : [];
}

/** The first sample on the handle (piece at 0, pointer near the track), every sample near the track. */
export function checkTraceGeometry(samples: readonly TrajectorySample[], rules: TrajectoryRules): GeometryReason[] {
  if (samples.length === 0) return [];
  const reasons: GeometryReason[] = [];
  const [x0, y0] = samples[0] as TrajectorySample;
  if (Math.abs(x0) > rules.maxStartXPx || Math.abs(y0) > rules.maxStartOffTrackPx) reasons.push('starts_off_handle');
  if (samples.some((s) => Math.abs(s[1]) > rules.maxOffTrackPx)) reasons.push('leaves_track');
  return reasons;
}
