/**
 * @hurdle/challenge: slide-puzzle and proof-of-work challenges, answer and trajectory
 * checks, one-time HMAC pass tokens, and pre-generation pools rendered on worker threads.
 */
export type { ChallengeStore } from './challenge-store.js';
export { createMemoryStore } from './memory-store.js';
export type { MemoryStore, MemoryStoreOptions } from './memory-store.js';
export { createChallengeEngine } from './challenge-engine.js';
export { createChallengeTestHooks } from './test-hooks.js';
export type { ChallengeTestHooks, ChallengeTestHooksOptions } from './test-hooks.js';
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
  ScryptPowPayload,
  Sha256PowPayload,
  PublicChallenge,
  RedeemOptions,
  RedeemResult,
  SiteProfile,
  SlidePayload,
  TrajectoryInput,
  VerifyFailureCode,
  VerifyRequest,
  VerifyResult,
  VerifySite,
  ImageSets,
  RenderTask,
  RenderedPuzzle,
  SlideRenderer,
} from './contract.js';
export type { TrajectoryRules } from './trajectory-rules.js';
export { DEFAULT_TRAJECTORY_RULES } from './trajectory-rules.js';
export { createInlineRenderer, createRenderThreads } from './slide-renderer.js';
export type { RenderThreadsOptions } from './slide-renderer.js';
export { checkTrajectory, parseTrajectory } from './trajectory-check.js';
export type { TrajectoryReason, TrajectorySample, TrajectoryVerdict } from './trajectory-check.js';
export { checkKeyboardTrajectory } from './keyboard-trajectory-check.js';
export { checkTraceGeometry, checkTraceTiming } from './trace-context-checks.js';
export type { GeometryReason, TimingReason } from './trace-context-checks.js';
export type { KeyboardTrajectoryVerdict } from './keyboard-trajectory-check.js';
export { checkPowSolution, leadingZeroBits, POW_ALGORITHMS, solvePow } from './proof-of-work.js';
export type { PowAlgorithm } from './proof-of-work.js';
export { checkScryptSolution, SCRYPT_COST_BITS, SCRYPT_PARAMS, SCRYPT_VERIFIES_PER_CHALLENGE, scryptBits, scryptDigest, solveScryptPow } from './scrypt-pow.js';
export type { ScryptParams } from './scrypt-pow.js';
export { PROBE_ENV_KEYS, PROBE_INPUT_KEYS, PROBE_SIGNALS, PROBE_SLOW_MS, answerProbe, probeMac, probeMessage, traceDigest } from './browser-probe.js';
export type { ProbeAnswerContext, ProbeResult, ProbeSignal, PublicProbe } from './browser-probe.js';
export { PROBE_CHECKS, expectedProbeOutput } from './probe-checks.js';
export type { ProbeCheck } from './probe-checks.js';
export { sha256Text } from './sha256.js';
export { ANSWER_CHECK_CODES, CHALLENGE_ERROR_CODES, ChallengeError, isChallengeError } from './errors.js';
export type { ChallengeErrorCode } from './errors.js';
