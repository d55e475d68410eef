/** Validation and defaults of {@link ChallengeEngineOptions}: the frozen settings an engine runs with. */
import type { PoolSizing } from './challenge-pool.js';
import type { BackgroundFormat, ChallengeEngineOptions } from './contract.js';
import { ChallengeError, describeValue } from './errors.js';
import { DEFAULT_TRAJECTORY_RULES } from './trajectory-rules.js';
import type { TrajectoryRules } from './trajectory-rules.js';

/** Largest slide answer x and trajectory step, px. */
export const MAX_ANSWER_X = 100_000;

/** Most rounds (puzzles one after the other) of one slide challenge. */
export const MAX_SLIDE_ROUNDS = 5;

/** Engine settings after validation and defaults. */
export interface ResolvedOptions {
  readonly challengeTtlMs: number;
  readonly tokenTtlMs: number;
  readonly replayWindowMs: number;
  readonly keyboardPowDifficulty: number;
  readonly tolerancePx: number;
  readonly slideRounds: number;
  readonly width: number;
  readonly height: number;
  readonly format: BackgroundFormat;
  readonly quality: number;
  readonly requireTrajectory: boolean;
  readonly keyPrefix: string;
  readonly rules: TrajectoryRules;
  readonly pool: PoolSizing | false;
}

/** A CHALLENGE_ERR_INVALID_OPTION naming the option. */
export function invalid(name: string, expected: string, got: unknown): ChallengeError {
  return new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `${name}: expected ${expected}, got ${describeValue(got)}`);
}

export function intOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(name, `an integer in [${min}, ${max}]`, v);
  return v;
}

function numOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw invalid(name, `a number in [${min}, ${max}]`, v);
  return v;
}

function keyStepsOption(value: unknown, fallback: readonly number[]): readonly number[] {
  const v = value ?? fallback;
  const ok = Array.isArray(v) && v.length >= 1 && v.length <= 8 &&
    v.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0 && s <= MAX_ANSWER_X);
  if (!ok) throw invalid('trajectory.keyStepsPx', `1-8 numbers in (0, ${MAX_ANSWER_X}]`, v);
  return Object.freeze([...new Set(v as number[])]);
}

/** Validate the options and fill in defaults; throws CHALLENGE_ERR_INVALID_OPTION naming the option. */
export function resolveOptions(o: ChallengeEngineOptions, renderThreads: number): ResolvedOptions {
  const height = intOption('height', o.height, 160, 60, 1000);
  const width = intOption('width', o.width, 320, 100, 4000);
  if (width < height * 1.2 + 10) throw invalid('width', `at least 1.2 x height + 10 (${Math.ceil(height * 1.2 + 10)})`, width);
  const format = o.format ?? 'webp';
  if (format !== 'webp' && format !== 'jpeg') throw invalid('format', "'webp' or 'jpeg'", format);
  const requireTrajectory = o.requireTrajectory ?? true;
  if (typeof requireTrajectory !== 'boolean') throw invalid('requireTrajectory', 'a boolean', requireTrajectory);
  const keyPrefix = o.keyPrefix ?? 'hc:';
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 64) throw invalid('keyPrefix', 'a string of at most 64 chars', keyPrefix);
  const t = o.trajectory ?? {};
  const d = DEFAULT_TRAJECTORY_RULES;
  const rules: TrajectoryRules = Object.freeze({
    maxSamples: intOption('trajectory.maxSamples', t.maxSamples, d.maxSamples, 2, 100_000),
    minSamples: intOption('trajectory.minSamples', t.minSamples, d.minSamples, 2, 10_000),
    minDurationMs: numOption('trajectory.minDurationMs', t.minDurationMs, d.minDurationMs, 0, 3_600_000),
    maxDurationMs: numOption('trajectory.maxDurationMs', t.maxDurationMs, d.maxDurationMs, 1, 3_600_000),
    maxStepPx: numOption('trajectory.maxStepPx', t.maxStepPx, d.maxStepPx, 1, MAX_ANSWER_X),
    minSpeedVariation: numOption('trajectory.minSpeedVariation', t.minSpeedVariation, d.minSpeedVariation, 0, 10),
    minOffAxisPx: numOption('trajectory.minOffAxisPx', t.minOffAxisPx, d.minOffAxisPx, 0, 1000),
    maxEndErrorPx: numOption('trajectory.maxEndErrorPx', t.maxEndErrorPx, d.maxEndErrorPx, 0, MAX_ANSWER_X),
    maxRepeatedTimeRatio: numOption('trajectory.maxRepeatedTimeRatio', t.maxRepeatedTimeRatio, d.maxRepeatedTimeRatio, 0, 1),
    minLookMs: numOption('trajectory.minLookMs', t.minLookMs, d.minLookMs, 0, 3_600_000),
    maxStartXPx: numOption('trajectory.maxStartXPx', t.maxStartXPx, d.maxStartXPx, 0, MAX_ANSWER_X),
    maxStartOffTrackPx: numOption('trajectory.maxStartOffTrackPx', t.maxStartOffTrackPx, d.maxStartOffTrackPx, 0, MAX_ANSWER_X),
    maxOffTrackPx: numOption('trajectory.maxOffTrackPx', t.maxOffTrackPx, d.maxOffTrackPx, 0, MAX_ANSWER_X),
    keyStepsPx: keyStepsOption(t.keyStepsPx, d.keyStepsPx),
    minKeyPresses: intOption('trajectory.minKeyPresses', t.minKeyPresses, d.minKeyPresses, 1, 10_000),
    minKeyIntervalMs: numOption('trajectory.minKeyIntervalMs', t.minKeyIntervalMs, d.minKeyIntervalMs, 0, 60_000),
    minKeyIntervalVariation: numOption('trajectory.minKeyIntervalVariation', t.minKeyIntervalVariation, d.minKeyIntervalVariation, 0, 10),
    minKeyDurationMs: numOption('trajectory.minKeyDurationMs', t.minKeyDurationMs, d.minKeyDurationMs, 0, 3_600_000),
    maxKeyDurationMs: numOption('trajectory.maxKeyDurationMs', t.maxKeyDurationMs, d.maxKeyDurationMs, 1, 3_600_000),
    maxKeyEndErrorPx: numOption('trajectory.maxKeyEndErrorPx', t.maxKeyEndErrorPx, d.maxKeyEndErrorPx, 0, MAX_ANSWER_X),
  });
  let pool: PoolSizing | false = false;
  if (o.pool !== false) {
    const p = o.pool ?? {};
    if (typeof p !== 'object' || p === null) throw invalid('pool', 'an object or false', p);
    const maxDepth = intOption('pool.maxDepth', p.maxDepth, 64, 1, 100_000);
    pool = Object.freeze({
      maxDepth,
      maxTotal: intOption('pool.maxTotal', p.maxTotal, 512, 1, 1_000_000),
      minDepth: intOption('pool.minDepth', p.minDepth, Math.min(4, maxDepth), 1, maxDepth),
      horizonS: numOption('pool.horizonS', p.horizonS, 2, 0.01, 3600),
      idleMs: intOption('pool.idleMs', p.idleMs, 60_000, 1, 86_400_000),
      maxInFlight: intOption('pool.maxInFlight', p.maxInFlight, Math.max(1, renderThreads) * 2, 1, 10_000),
    });
  }
  return Object.freeze({
    challengeTtlMs: intOption('challengeTtlMs', o.challengeTtlMs, 120_000, 1000, 86_400_000),
    tokenTtlMs: intOption('tokenTtlMs', o.tokenTtlMs, 300_000, 1000, 86_400_000),
    replayWindowMs: intOption('replayWindowMs', o.replayWindowMs, 600_000, 0, 86_400_000),
    keyboardPowDifficulty: intOption('keyboardPowDifficulty', o.keyboardPowDifficulty, 14, 0, 24),
    tolerancePx: numOption('tolerancePx', o.tolerancePx, 6, 0, 1000),
    slideRounds: intOption('slideRounds', o.slideRounds, 2, 1, MAX_SLIDE_ROUNDS),
    width,
    height,
    format,
    quality: intOption('quality', o.quality, 80, 1, 100),
    requireTrajectory,
    keyPrefix,
    rules,
    pool,
  });
}
