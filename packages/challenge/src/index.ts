/**
 * @hurdle/challenge: slide-puzzle and proof-of-work challenges, answer and trajectory
 * checks, one-time HMAC pass tokens, and pre-generation pools rendered on worker threads.
 */
export type { ChallengeStore } from './challenge-store.js';
export { createMemoryStore } from './memory-store.js';
export type { MemoryStore, MemoryStoreOptions } from './memory-store.js';
export { createChallengeEngine } from './challenge-engine.js';
export type {
  BackgroundFormat,
  ChallengeAnswer,
  ChallengeEngine,
  ChallengeEngineOptions,
  ChallengeEngineStats,
  ChallengeType,
  IssueRequest,
  PoolOptions,
  PoolProfileStats,
  PowPayload,
  PublicChallenge,
  RedeemOptions,
  RedeemResult,
  SiteProfile,
  SlidePayload,
  TrajectoryInput,
  TrajectoryRules,
  VerifyFailureCode,
  VerifyRequest,
  VerifyResult,
} from './challenge-engine.js';
export { createInlineRenderer, createRenderThreads } from './slide-renderer.js';
export type { ImageSets, RenderThreadsOptions, SlideRenderer } from './slide-renderer.js';
export type { RenderTask, RenderedPuzzle } from './slide-puzzle.js';
export { DEFAULT_TRAJECTORY_RULES, checkTrajectory, parseTrajectory } from './trajectory-check.js';
export type { TrajectoryReason, TrajectorySample, TrajectoryVerdict } from './trajectory-check.js';
export { checkKeyboardTrajectory } from './keyboard-trajectory-check.js';
export type { KeyboardTrajectoryVerdict } from './keyboard-trajectory-check.js';
export { checkPowSolution, leadingZeroBits, solvePow } from './proof-of-work.js';
export { CHALLENGE_ERROR_CODES, ChallengeError, isChallengeError } from './errors.js';
export type { ChallengeErrorCode } from './errors.js';
