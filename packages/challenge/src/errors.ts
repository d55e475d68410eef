/**
 * Every error this package raises is a {@link ChallengeError} with a stable `code`.
 * Messages say what was expected and what came; they never contain a secret, a token,
 * a challenge answer or a nonce.
 */

/**
 * The verify failures that judge an answer (position, trace shape, timing, geometry, replay).
 * A visitor must not learn which of them failed, or a bot could probe them one by one: the
 * server answers each with one public code and keeps the reason for metrics and logs.
 */
export const ANSWER_CHECK_CODES = Object.freeze([
  'CHALLENGE_ERR_WRONG_ANSWER',
  'CHALLENGE_ERR_TRAJECTORY_REJECTED',
  'CHALLENGE_ERR_TIMING_REJECTED',
  'CHALLENGE_ERR_GEOMETRY_REJECTED',
  'CHALLENGE_ERR_REPLAY_DETECTED',
] as const);

/** All stable error codes of `@hurdle/challenge`. Kept in step with the README table by a test. */
export const CHALLENGE_ERROR_CODES = [
  /** An option given to a factory is invalid (the message names it and the bad value). */
  'CHALLENGE_ERR_INVALID_OPTION',
  /** The site profile passed to `issue` is malformed (missing sitekey, no challenge types, ...). */
  'CHALLENGE_ERR_BAD_SITE',
  /** The requested challenge type is unknown or not enabled for the site. */
  'CHALLENGE_ERR_UNSUPPORTED_TYPE',
  /** `action` is not 0-32 characters of `[A-Za-z0-9_-]`. */
  'CHALLENGE_ERR_BAD_ACTION',
  /** `cdata` is not a string of at most 255 characters. */
  'CHALLENGE_ERR_BAD_CDATA',
  /** The challenge id is not a string of the expected shape. */
  'CHALLENGE_ERR_BAD_ID',
  /** The answer is malformed (wrong type, not finite, out of range). */
  'CHALLENGE_ERR_BAD_ANSWER',
  /** The trajectory is malformed (not an array of [x, y, tMs], too long, NaN, negative time). */
  'CHALLENGE_ERR_BAD_TRAJECTORY',
  /** No such challenge (never issued, already removed, or its id was altered). */
  'CHALLENGE_ERR_NOT_FOUND',
  /** The challenge existed but its time ran out. */
  'CHALLENGE_ERR_EXPIRED',
  /** The slide position is outside the tolerance. */
  'CHALLENGE_ERR_WRONG_ANSWER',
  /** The drag trajectory failed one or more rules (see `reasons`). */
  'CHALLENGE_ERR_TRAJECTORY_REJECTED',
  /** The trace claims more time than passed since the challenge was issued, or starts too soon after it. */
  'CHALLENGE_ERR_TIMING_REJECTED',
  /** The trace does not start on the slider's handle or leaves the band around its track. */
  'CHALLENGE_ERR_GEOMETRY_REJECTED',
  /** The trace is a near-copy of one accepted within the replay window. */
  'CHALLENGE_ERR_REPLAY_DETECTED',
  /** The challenge used up its attempts; a new one is needed. */
  'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED',
  /** The challenge was already solved once (a solution is accepted at most once). */
  'CHALLENGE_ERR_ALREADY_SOLVED',
  /** A signed value (proof-of-work challenge) failed its HMAC check or is malformed. */
  'CHALLENGE_ERR_SIGNATURE_INVALID',
  /** The proof-of-work nonce does not reach the challenge's difficulty. */
  'CHALLENGE_ERR_POW_INSUFFICIENT',
  /** The pass token is malformed, forged, or signed with a key no longer valid. */
  'CHALLENGE_ERR_TOKEN_INVALID',
  /** The pass token's TTL has passed. */
  'CHALLENGE_ERR_TOKEN_EXPIRED',
  /** The pass token was already redeemed. */
  'CHALLENGE_ERR_TOKEN_REPLAYED',
  /** The pass token belongs to another site. */
  'CHALLENGE_ERR_TOKEN_WRONG_SITE',
  /** The pass token was issued for another hostname. */
  'CHALLENGE_ERR_TOKEN_WRONG_HOSTNAME',
  /** The pass token was issued for another action. */
  'CHALLENGE_ERR_TOKEN_WRONG_ACTION',
  /** Rendering a slide puzzle failed (worker thread error or bad image). */
  'CHALLENGE_ERR_RENDER_FAILED',
  /** The challenge store failed (the cause is attached). */
  'CHALLENGE_ERR_STORE_UNAVAILABLE',
  /** The engine (or pool, or renderer) was closed. */
  'CHALLENGE_ERR_CLOSED',
] as const;

/** Union of every stable error code. */
export type ChallengeErrorCode = (typeof CHALLENGE_ERROR_CODES)[number];

/** The codes that mean something broke rather than that a caller sent something wrong. */
const FAULT_CODES: ReadonlySet<ChallengeErrorCode> = new Set<ChallengeErrorCode>([
  'CHALLENGE_ERR_INVALID_OPTION',
  'CHALLENGE_ERR_BAD_SITE',
  'CHALLENGE_ERR_RENDER_FAILED',
  'CHALLENGE_ERR_STORE_UNAVAILABLE',
  'CHALLENGE_ERR_CLOSED',
]);

/** The one error class of this package; match on `code`, never on `message`. */
export class ChallengeError extends Error {
  readonly code: ChallengeErrorCode;

  constructor(code: ChallengeErrorCode, message: string, options?: { cause?: unknown }) {
    // A verdict on what a caller sent (a bad answer, a replayed token) is answered, never
    // logged with a stack, and bots send them by the thousand: capturing a stack would cost
    // several µs each. Faults (options, rendering, the store, a closed engine) keep theirs.
    const verdict = !FAULT_CODES.has(code);
    const limit = Error.stackTraceLimit;
    if (verdict) Error.stackTraceLimit = 0;
    try {
      super(message, options);
    } finally {
      if (verdict) Error.stackTraceLimit = limit;
    }
    this.name = 'ChallengeError';
    this.code = code;
  }
}

/** True when `err` is a {@link ChallengeError} (optionally with the given code). */
export function isChallengeError(err: unknown, code?: ChallengeErrorCode): err is ChallengeError {
  return err instanceof ChallengeError && (code === undefined || err.code === code);
}

/** Short, safe description of a value for error messages (never echoes long input). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `string(${value.length})` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    default:
      return typeof value;
  }
}
