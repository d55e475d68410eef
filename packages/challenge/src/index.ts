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
  TrajectoryRules,
  VerifyFailureCode,
  VerifyRequest,
  VerifyResult,
} from './challenge-engine.js';
export { CHALLENGE_ERROR_CODES, ChallengeError, isChallengeError } from './errors.js';
export type { ChallengeErrorCode } from './errors.js';
