import { randomFillSync } from 'node:crypto';
import { ChallengePool } from './challenge-pool.js';
import type { PoolSizing, ProfileTemplate } from './challenge-pool.js';
import type { ChallengeStore } from './challenge-store.js';
import { ChallengeError, describeValue } from './errors.js';
import type { ChallengeErrorCode } from './errors.js';
import { sealToken, openToken } from './pass-token.js';
import { checkPowSolution, openPowChallenge, sealPowChallenge, solvePow } from './proof-of-work.js';
import { createKeyring, normaliseSecrets } from './signed-envelope.js';
import type { Keyring } from './signed-envelope.js';
import type { RenderedPuzzle } from './slide-puzzle.js';
import { createInlineRenderer, createRenderThreads } from './slide-renderer.js';
import type { SlideRenderer } from './slide-renderer.js';
import { DEFAULT_TRAJECTORY_RULES, checkTrajectory, parseTrajectory } from './trajectory-check.js';
import type { TrajectorySample } from './trajectory-check.js';
import { checkKeyboardTrajectory } from './keyboard-trajectory-check.js';

/** The challenge kinds Hurdle serves. */
export type ChallengeType = 'slide' | 'pow';

/** Image encoding of slide backgrounds. */
export type BackgroundFormat = 'webp' | 'jpeg';

/**
 * What the engine needs to know about a site (the server reads it from its config mirror).
 * Only `sitekey`, `challengeTypes` and `difficulty` are required.
 */
export interface SiteProfile {
  readonly sitekey: string;
  /** Types the site allows; the first is the default when `issue` names none. */
  readonly challengeTypes: readonly ChallengeType[];
  /** Proof-of-work difficulty in leading zero bits (raise it under load). Range 0-32. */
  readonly difficulty: number;
  /** Name of an image set given in the engine's `imageSets` option; procedural images when absent. */
  readonly imageSet?: string | undefined;
  /** Slide puzzle strength 1-3 (more decoys and noise when higher). @default 2 */
  readonly slideLevel?: number | undefined;
  /** Slide answer tolerance in background pixels. @default engine `tolerancePx` */
  readonly tolerancePx?: number | undefined;
  /** Attempts allowed per slide challenge. @default engine `maxAttempts` */
  readonly maxAttempts?: number | undefined;
}

/** Input of {@link ChallengeEngine.issue}. */
export interface IssueRequest {
  readonly site: SiteProfile;
  /** Requested type; must be in `site.challengeTypes`. @default site.challengeTypes[0] */
  readonly type?: ChallengeType | undefined;
  /** Site-defined action name bound into the pass token, 0-32 chars of [A-Za-z0-9_-]. @default '' */
  readonly action?: string | undefined;
  /** Opaque customer data (at most 255 chars) returned by siteverify. @default '' */
  readonly cdata?: string | undefined;
  /** Hostname the widget runs on (from Origin/Referer); bound into the pass token. @default '' */
  readonly hostname?: string | undefined;
}

/** Slide-puzzle part of a public challenge (HTTP contract). */
export interface SlidePayload {
  /** Background width in pixels. */
  readonly width: number;
  /** Background height in pixels. */
  readonly height: number;
  /** `data:image/webp;base64,...` or `data:image/jpeg;base64,...` */
  readonly background: string;
  /** `data:image/png;base64,...` with alpha. */
  readonly piece: string;
  readonly pieceWidth: number;
  readonly pieceHeight: number;
  /** Top edge of the piece in background pixels (the piece moves along x only). */
  readonly pieceY: number;
}

/** Proof-of-work part of a public challenge (HTTP contract). */
export interface PowPayload {
  readonly algorithm: 'sha256';
  /** Find a non-negative integer nonce with SHA-256(UTF-8(`${challenge}:${nonce}`)) having `difficulty` leading zero bits. */
  readonly challenge: string;
  readonly difficulty: number;
}

/** The public challenge returned to the widget (exact HTTP contract of POST /v1/challenge). */
export interface PublicChallenge {
  readonly id: string;
  readonly type: ChallengeType;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly attemptsLeft: number;
  readonly slide?: SlidePayload;
  readonly pow?: PowPayload;
}

/** Input of {@link ChallengeEngine.verify}; `answer` and `trajectory` are validated (untrusted JSON). */
export interface VerifyRequest {
  readonly id: unknown;
  /** `{ x: number }` (slide) or `{ nonce: string }` (pow). */
  readonly answer: unknown;
  /** `[x, y, tMs][]`, slide only. */
  readonly trajectory?: unknown;
  /**
   * How the slide was solved, which selects the rules the trajectory is checked with:
   * `'pointer'` (a drag, one sample per pointer move) or `'keyboard'` (arrow keys, one
   * sample per key press; see the README's keyboard rules). Anything else throws
   * CHALLENGE_ERR_BAD_TRAJECTORY; `null` counts as absent. Ignored for PoW answers.
   * @default 'pointer'
   */
  readonly input?: unknown;
}

/** How a slide puzzle was solved (`VerifyRequest.input`). */
export type TrajectoryInput = 'pointer' | 'keyboard';

/** Codes a failed verify can carry (returned, not thrown). */
export type VerifyFailureCode = Extract<
  ChallengeErrorCode,
  | 'CHALLENGE_ERR_NOT_FOUND'
  | 'CHALLENGE_ERR_EXPIRED'
  | 'CHALLENGE_ERR_WRONG_ANSWER'
  | 'CHALLENGE_ERR_TRAJECTORY_REJECTED'
  | 'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED'
  | 'CHALLENGE_ERR_ALREADY_SOLVED'
  | 'CHALLENGE_ERR_SIGNATURE_INVALID'
  | 'CHALLENGE_ERR_POW_INSUFFICIENT'
>;

/** Result of {@link ChallengeEngine.verify}. */
export type VerifyResult =
  | { readonly success: true; readonly token: string; /** Epoch ms. */ readonly expiresAt: number }
  | {
      readonly success: false;
      readonly code: VerifyFailureCode;
      /** True when the same challenge id may be answered again. */
      readonly retry: boolean;
      /** Attempts left on this challenge (0 when `retry` is false). */
      readonly attemptsLeft: number;
      /** Trajectory rule names that failed (analytics; not for the visitor). */
      readonly reasons?: readonly string[];
    };

/** Input of {@link ChallengeEngine.redeem} besides the token. */
export interface RedeemOptions {
  /** The site whose secret authenticated the siteverify call. */
  readonly sitekey: string;
  /** When given, the token's hostname must equal it. */
  readonly hostname?: string | undefined;
  /** When given, the token's action must equal it. */
  readonly action?: string | undefined;
  /**
   * siteverify `idempotency_key`: a repeated redeem with the same key within the token's
   * TTL returns the same result instead of `CHALLENGE_ERR_TOKEN_REPLAYED`.
   */
  readonly idempotencyKey?: string | undefined;
}

/** What siteverify reports for a good token. */
export interface RedeemResult {
  /** When the challenge was solved, epoch ms (siteverify `challenge_ts` as ISO). */
  readonly challengeTs: number;
  readonly hostname: string;
  readonly action: string;
  readonly cdata: string;
  readonly sitekey: string;
  readonly type: ChallengeType;
}

/** Pool sizing; one pool per profile (image set x size x slide level). */
export interface PoolOptions {
  /** Upper bound of ready challenges in one profile's queue. @default 64 */
  readonly maxDepth?: number;
  /** Upper bound of ready challenges over all profiles (memory bound; ~25 KB each). @default 512 */
  readonly maxTotal?: number;
  /** Depth kept for a profile that saw any demand recently. @default 4 */
  readonly minDepth?: number;
  /** Seconds of recent demand a pool should cover (demand-aware high watermark). @default 2 */
  readonly horizonS?: number;
  /** A profile with no issue for this long shrinks to nothing. @default 60_000 */
  readonly idleMs?: number;
  /** Render tasks in flight at once (per engine). @default renderThreads * 2 */
  readonly maxInFlight?: number;
}

/** Pool statistics of one profile. */
export interface PoolProfileStats {
  readonly profile: string;
  readonly depth: number;
  /** Refill when depth falls below this. */
  readonly lowWatermark: number;
  /** Refill up to this. */
  readonly highWatermark: number;
  readonly inFlight: number;
  readonly hits: number;
  readonly misses: number;
  /** Issues per second (exponentially weighted). */
  readonly demandPerS: number;
  /** Rendered challenges added to this pool per second over the last stats window. */
  readonly refillPerS: number;
}

/** Engine statistics for the admin dashboard. */
export interface ChallengeEngineStats {
  readonly pool: {
    readonly depth: number;
    readonly hits: number;
    readonly misses: number;
    /** hits / (hits + misses); 0 before the first slide issue. */
    readonly hitRatio: number;
    readonly refillPerS: number;
    readonly rendered: number;
    readonly renderErrors: number;
    readonly profiles: readonly PoolProfileStats[];
  };
  readonly issued: { readonly slide: number; readonly pow: number };
  readonly verified: { readonly pass: number; readonly fail: number };
  readonly redeemed: { readonly pass: number; readonly fail: number };
}

/** Answer of a challenge, for the test-only hook. */
export type ChallengeAnswer = { readonly x: number } | { readonly nonce: string };

/** Options of {@link createChallengeEngine}. */
export interface ChallengeEngineOptions {
  readonly store: ChallengeStore;
  /**
   * HMAC keys (>= 16 bytes each; strings are UTF-8). The first signs; every one verifies,
   * so a rotation lists the new key first and the old one second until old tokens expire.
   */
  readonly secrets: readonly (string | Uint8Array)[];
  /** Challenge lifetime. @default 120_000 */
  readonly challengeTtlMs?: number;
  /** Pass token lifetime. @default 300_000 */
  readonly tokenTtlMs?: number;
  /** Slide attempts per challenge. @default 3 */
  readonly maxAttempts?: number;
  /** Slide answer tolerance in pixels. @default 6 */
  readonly tolerancePx?: number;
  /** Slide background size in pixels. @default 320 */
  readonly width?: number;
  /** @default 160 */
  readonly height?: number;
  /** Slide background encoding. @default 'webp' */
  readonly format?: BackgroundFormat;
  /** Encoder quality 1-100. @default 80 */
  readonly quality?: number;
  /** Site image sets: name -> image files (paths) or encoded image bytes (PNG/JPEG/WebP). */
  readonly imageSets?: Readonly<Record<string, readonly (string | Uint8Array)[]>>;
  /** Render worker threads. 0 renders on the calling thread (tests only). @default 1 */
  readonly renderThreads?: number;
  /** A renderer to use instead of creating threads (shared across engines; not closed by the engine). */
  readonly renderer?: SlideRenderer;
  /** Pre-generation pools; `false` renders every slide on demand. */
  readonly pool?: PoolOptions | false;
  /** Trajectory rule thresholds (see README). */
  readonly trajectory?: Partial<TrajectoryRules>;
  /** Require a trajectory with slide answers. @default true */
  readonly requireTrajectory?: boolean;
  /** Key prefix in the store. @default 'hc:' */
  readonly keyPrefix?: string;
  /** Clock in epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Source of unguessable bytes (ids, token ids). @default crypto.randomFillSync */
  readonly randomBytes?: (size: number) => Uint8Array;
  /** Source of render seeds (32-bit unsigned); inject for deterministic tests. @default crypto */
  readonly seed?: () => number;
}

/** Trajectory rule thresholds; defaults in the README. */
export interface TrajectoryRules {
  readonly maxSamples: number;
  readonly minSamples: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  readonly maxStepPx: number;
  readonly minSpeedVariation: number;
  readonly minOffAxisPx: number;
  readonly maxEndErrorPx: number;
  readonly maxRepeatedTimeRatio: number;
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

/** The challenge engine the server drives. */
export interface ChallengeEngine {
  /** Issue a challenge for a site. Throws ChallengeError (BAD_SITE, UNSUPPORTED_TYPE, BAD_ACTION, BAD_CDATA, RENDER_FAILED, STORE_UNAVAILABLE, CLOSED). */
  issue(request: IssueRequest): Promise<PublicChallenge>;
  /**
   * Check an answer. Malformed input throws ChallengeError (BAD_ID, BAD_ANSWER,
   * BAD_TRAJECTORY); every other outcome is returned.
   */
  verify(request: VerifyRequest): Promise<VerifyResult>;
  /** Redeem a pass token once (siteverify). Throws ChallengeError CHALLENGE_ERR_TOKEN_*. */
  redeem(token: unknown, options: RedeemOptions): Promise<RedeemResult>;
  /** Test-only: the answer of a live challenge (a solved nonce for pow), undefined when unknown. */
  peekAnswer(id: string): Promise<ChallengeAnswer | undefined>;
  /** Keep a pool warm for a site before its traffic arrives. */
  prewarm(site: SiteProfile): void;
  /** Replace the HMAC keys (rotation); first signs, all verify. */
  setSecrets(secrets: readonly (string | Uint8Array)[]): void;
  stats(): ChallengeEngineStats;
  /** Stop the pools and render threads; later calls throw CHALLENGE_ERR_CLOSED. */
  close(): Promise<void>;
}


interface ResolvedOptions {
  readonly challengeTtlMs: number;
  readonly tokenTtlMs: number;
  readonly maxAttempts: number;
  readonly tolerancePx: number;
  readonly width: number;
  readonly height: number;
  readonly format: BackgroundFormat;
  readonly quality: number;
  readonly requireTrajectory: boolean;
  readonly keyPrefix: string;
  readonly rules: TrajectoryRules;
  readonly pool: PoolSizing | false;
}

/** Stored slide challenge (short keys: it is written once per issue). */
interface SlideRecord {
  /** Answer x. */
  x: number;
  /** sitekey, hostname, action, cdata. */
  s: string;
  h: string;
  a: string;
  c: string;
  /** Tolerance px, max attempts, expiresAt. */
  t: number;
  m: number;
  e: number;
}

const ACTION_RE = /^[A-Za-z0-9_-]{0,32}$/;
const SLIDE_ID_RE = /^s\.[A-Za-z0-9_-]{22}\.([0-9a-z]{1,11})$/;
const POW_ID_RE = /^[A-Za-z0-9_-]{40,2048}$/;
const NONCE_RE = /^(0|[1-9][0-9]{0,19})$/;
const MAX_TOKEN_CHARS = 4096;
const MAX_ANSWER_X = 100_000;

function invalid(name: string, expected: string, got: unknown): ChallengeError {
  return new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `${name}: expected ${expected}, got ${describeValue(got)}`);
}

function intOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
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

function resolveOptions(o: ChallengeEngineOptions, renderThreads: number): ResolvedOptions {
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
    maxAttempts: intOption('maxAttempts', o.maxAttempts, 3, 1, 100),
    tolerancePx: numOption('tolerancePx', o.tolerancePx, 6, 0, 1000),
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

/** Unguessable bytes, drawn from crypto in 4 KiB batches (one syscall per ~250 ids). */
function bufferedRandom(): (size: number) => Uint8Array {
  const buf = Buffer.allocUnsafe(4096);
  let pos = buf.length;
  return (size) => {
    if (size > buf.length) return randomFillSync(Buffer.allocUnsafe(size));
    if (pos + size > buf.length) {
      randomFillSync(buf);
      pos = 0;
    }
    const out = Buffer.from(buf.subarray(pos, pos + size));
    // Never hand the same bytes out twice.
    buf.fill(0, pos, pos + size);
    pos += size;
    return out;
  };
}

function fail(code: VerifyFailureCode, retry: boolean, attemptsLeft: number, reasons?: readonly string[]): VerifyResult {
  return reasons === undefined
    ? { success: false, code, retry, attemptsLeft: retry ? attemptsLeft : 0 }
    : { success: false, code, retry, attemptsLeft: retry ? attemptsLeft : 0, reasons };
}

function storeError(err: unknown): never {
  if (err instanceof ChallengeError) throw err;
  throw new ChallengeError('CHALLENGE_ERR_STORE_UNAVAILABLE', `challenge store failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

function parseSlideAnswer(answer: unknown): number {
  const x = typeof answer === 'object' && answer !== null ? (answer as { x?: unknown }).x : undefined;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > MAX_ANSWER_X) {
    throw new ChallengeError('CHALLENGE_ERR_BAD_ANSWER', `answer: expected { x: number in [0, ${MAX_ANSWER_X}] }, got x = ${describeValue(x)}`);
  }
  return x;
}

function parseNonce(answer: unknown): string {
  let n = typeof answer === 'object' && answer !== null ? (answer as { nonce?: unknown }).nonce : undefined;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) n = String(n);
  if (typeof n !== 'string' || !NONCE_RE.test(n)) {
    throw new ChallengeError('CHALLENGE_ERR_BAD_ANSWER', 'answer: expected { nonce: string } holding a non-negative integer in canonical decimal form');
  }
  return n;
}

/**
 * Create the challenge engine. Throws CHALLENGE_ERR_INVALID_OPTION on a bad option.
 *
 * The engine keeps no per-challenge state of its own: slide answers, attempt counters and
 * one-time markers live in the injected store; proof-of-work challenges and pass tokens are
 * self-contained HMAC-signed values. So any engine holding the same secrets and store (every
 * worker, every machine) can verify what any other issued.
 */
export function createChallengeEngine(options: ChallengeEngineOptions): ChallengeEngine {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const store = options.store;
  if (typeof store !== 'object' || store === null || typeof store.add !== 'function' || typeof store.take !== 'function') {
    throw invalid('store', 'a ChallengeStore', store);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw invalid('now', 'a function', now);
  const randomBytes = options.randomBytes ?? bufferedRandom();
  if (typeof randomBytes !== 'function') throw invalid('randomBytes', 'a function', randomBytes);
  const seed = options.seed ?? (() => Buffer.from(randomBytes(4)).readUInt32LE(0));
  if (typeof seed !== 'function') throw invalid('seed', 'a function', seed);
  const imageSets = options.imageSets ?? {};
  if (typeof imageSets !== 'object' || imageSets === null) throw invalid('imageSets', 'an object', imageSets);
  for (const [name, list] of Object.entries(imageSets)) {
    if (!Array.isArray(list) || list.some((i: unknown) => typeof i !== 'string' && !(i instanceof Uint8Array))) {
      throw invalid(`imageSets.${name}`, 'an array of paths or Uint8Arrays', list);
    }
  }
  const renderThreads = options.renderer?.threads ?? intOption('renderThreads', options.renderThreads, 1, 0, 256);
  const opts = resolveOptions(options, renderThreads);
  let tokenKeys: Keyring;
  let powKeys: Keyring;
  function setSecrets(secrets: readonly (string | Uint8Array)[]): void {
    const buffers = normaliseSecrets(secrets);
    tokenKeys = createKeyring(buffers, 'token');
    powKeys = createKeyring(buffers, 'pow');
  }
  setSecrets(options.secrets);

  const ownRenderer = options.renderer === undefined;
  const renderer: SlideRenderer = options.renderer ??
    (renderThreads === 0 ? createInlineRenderer({ imageSets }) : createRenderThreads({ threads: renderThreads, imageSets }));
  const pool = opts.pool === false ? undefined : new ChallengePool(renderer, opts.pool, now, seed);
  const prefix = opts.keyPrefix;
  const counters = { slide: 0, pow: 0, pass: 0, fail: 0, redeemPass: 0, redeemFail: 0 };
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new ChallengeError('CHALLENGE_ERR_CLOSED', 'the challenge engine is closed');
  }

  function randomId(): string {
    return Buffer.from(randomBytes(16)).toString('base64url');
  }

  function profileOf(site: SiteProfile): { key: string; template: ProfileTemplate } {
    const level = site.slideLevel ?? 2;
    const imageSet = site.imageSet !== undefined && site.imageSet !== '' && imageSets[site.imageSet] !== undefined ? site.imageSet : undefined;
    const template: ProfileTemplate = { width: opts.width, height: opts.height, level, format: opts.format, quality: opts.quality, imageSet };
    return { key: `${imageSet ?? '~'}|${opts.width}x${opts.height}|L${level}|${opts.format}`, template };
  }

  function checkSite(site: unknown): SiteProfile {
    if (typeof site !== 'object' || site === null) throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site: expected an object, got ${describeValue(site)}`);
    const s = site as SiteProfile;
    if (typeof s.sitekey !== 'string' || s.sitekey.length === 0 || s.sitekey.length > 256) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.sitekey: expected a string of 1-256 chars, got ${describeValue(s.sitekey)}`);
    }
    if (!Array.isArray(s.challengeTypes) || s.challengeTypes.length === 0) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.challengeTypes: expected a non-empty array, got ${describeValue(s.challengeTypes)}`);
    }
    if (typeof s.difficulty !== 'number' || !Number.isInteger(s.difficulty) || s.difficulty < 0 || s.difficulty > 32) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.difficulty: expected an integer in [0, 32], got ${describeValue(s.difficulty)}`);
    }
    if (s.slideLevel !== undefined && (!Number.isInteger(s.slideLevel) || s.slideLevel < 1 || s.slideLevel > 3)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.slideLevel: expected 1, 2 or 3, got ${describeValue(s.slideLevel)}`);
    }
    if (s.tolerancePx !== undefined && (typeof s.tolerancePx !== 'number' || !(s.tolerancePx >= 0) || s.tolerancePx > 1000)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.tolerancePx: expected a number in [0, 1000], got ${describeValue(s.tolerancePx)}`);
    }
    if (s.maxAttempts !== undefined && (!Number.isInteger(s.maxAttempts) || s.maxAttempts < 1 || s.maxAttempts > 100)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.maxAttempts: expected an integer in [1, 100], got ${describeValue(s.maxAttempts)}`);
    }
    return s;
  }

  async function issueSlide(site: SiteProfile, hostname: string, action: string, cdata: string): Promise<PublicChallenge> {
    const { key, template } = profileOf(site);
    let puzzle: RenderedPuzzle | undefined = pool?.take(key, template);
    if (puzzle === undefined) puzzle = await renderer.render({ ...template, seed: seed() });
    ensureOpen();
    const t = now();
    const expiresAt = t + opts.challengeTtlMs;
    const id = `s.${randomId()}.${expiresAt.toString(36)}`;
    const maxAttempts = site.maxAttempts ?? opts.maxAttempts;
    const record: SlideRecord = {
      x: puzzle.x, s: site.sitekey, h: hostname, a: action, c: cdata,
      t: site.tolerancePx ?? opts.tolerancePx, m: maxAttempts, e: expiresAt,
    };
    await store.set(`${prefix}c:${id}`, JSON.stringify(record), opts.challengeTtlMs).catch(storeError);
    counters.slide++;
    return {
      id,
      type: 'slide',
      expiresAt,
      attemptsLeft: maxAttempts,
      slide: {
        width: puzzle.width,
        height: puzzle.height,
        background: puzzle.background,
        piece: puzzle.piece,
        pieceWidth: puzzle.pieceWidth,
        pieceHeight: puzzle.pieceHeight,
        pieceY: puzzle.pieceY,
      },
    };
  }

  function issuePow(site: SiteProfile, hostname: string, action: string, cdata: string): PublicChallenge {
    const t = now();
    const expiresAt = t + opts.challengeTtlMs;
    const challenge = sealPowChallenge(powKeys, {
      challengeId: randomId(), sitekey: site.sitekey, hostname, action, cdata,
      difficulty: site.difficulty, issuedAt: t, expiresAt,
    });
    counters.pow++;
    return {
      id: challenge,
      type: 'pow',
      expiresAt,
      attemptsLeft: 1,
      pow: { algorithm: 'sha256', challenge, difficulty: site.difficulty },
    };
  }

  function passToken(sitekey: string, hostname: string, action: string, cdata: string, type: ChallengeType): VerifyResult {
    const t = now();
    const expiresAt = t + opts.tokenTtlMs;
    const token = sealToken(tokenKeys, { tokenId: randomId(), sitekey, hostname, action, cdata, type, challengeTs: t, expiresAt });
    counters.pass++;
    return { success: true, token, expiresAt };
  }

  function failed(result: VerifyResult): VerifyResult {
    counters.fail++;
    return result;
  }

  async function verifySlide(id: string, idExpiresAt: number, answer: unknown, trajectory: unknown, input: TrajectoryInput): Promise<VerifyResult> {
    const x = parseSlideAnswer(answer);
    const samples: TrajectorySample[] | undefined =
      trajectory === undefined || trajectory === null ? undefined : parseTrajectory(trajectory, opts.rules.maxSamples);
    const key = `${prefix}c:${id}`;
    const raw = await store.get(key).catch(storeError);
    const t = now();
    if (raw === undefined) return failed(fail(t >= idExpiresAt ? 'CHALLENGE_ERR_EXPIRED' : 'CHALLENGE_ERR_NOT_FOUND', false, 0));
    let rec: SlideRecord;
    try {
      rec = JSON.parse(raw) as SlideRecord;
    } catch {
      return failed(fail('CHALLENGE_ERR_NOT_FOUND', false, 0));
    }
    if (t >= rec.e) {
      await store.delete(key).catch(storeError);
      return failed(fail('CHALLENGE_ERR_EXPIRED', false, 0));
    }
    const n = await store.incr(`${prefix}a:${id}`, Math.max(1, rec.e - t)).catch(storeError);
    if (n > rec.m) {
      await store.delete(key).catch(storeError);
      return failed(fail('CHALLENGE_ERR_ATTEMPTS_EXHAUSTED', false, 0));
    }
    const left = rec.m - n;
    const retryOrBurn = async (code: VerifyFailureCode, reasons?: readonly string[]): Promise<VerifyResult> => {
      if (left === 0) await store.delete(key).catch(storeError);
      return failed(fail(code, left > 0, left, reasons));
    };
    if (Math.abs(x - rec.x) > rec.t) return retryOrBurn('CHALLENGE_ERR_WRONG_ANSWER');
    if (samples === undefined) {
      if (opts.requireTrajectory) return retryOrBurn('CHALLENGE_ERR_TRAJECTORY_REJECTED', ['missing']);
    } else {
      const verdict = input === 'keyboard' ? checkKeyboardTrajectory(samples, x, opts.rules) : checkTrajectory(samples, x, opts.rules);
      if (!verdict.pass) return retryOrBurn('CHALLENGE_ERR_TRAJECTORY_REJECTED', verdict.reasons);
    }
    // take() makes success one-time even when two correct answers race.
    const won = await store.take(key).catch(storeError);
    if (won === undefined) return failed(fail('CHALLENGE_ERR_ALREADY_SOLVED', false, 0));
    return passToken(rec.s, rec.h, rec.a, rec.c, 'slide');
  }

  async function verifyPow(id: string, answer: unknown): Promise<VerifyResult> {
    const nonce = parseNonce(answer);
    const claims = openPowChallenge(powKeys, id);
    if (claims === undefined) return failed(fail('CHALLENGE_ERR_SIGNATURE_INVALID', false, 0));
    const t = now();
    if (t >= claims.expiresAt) return failed(fail('CHALLENGE_ERR_EXPIRED', false, 0));
    if (!checkPowSolution(id, nonce, claims.difficulty)) return failed(fail('CHALLENGE_ERR_POW_INSUFFICIENT', true, 1));
    const fresh = await store.add(`${prefix}p:${claims.challengeId}`, '1', Math.max(1, claims.expiresAt - t) + 1000).catch(storeError);
    if (!fresh) return failed(fail('CHALLENGE_ERR_ALREADY_SOLVED', false, 0));
    return passToken(claims.sitekey, claims.hostname, claims.action, claims.cdata, 'pow');
  }

  function parseInput(input: unknown): TrajectoryInput {
    if (input === undefined || input === null) return 'pointer';
    if (input === 'pointer' || input === 'keyboard') return input;
    throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `input: expected 'pointer' or 'keyboard', got ${describeValue(input)}`);
  }

  function parseId(id: unknown): { kind: 'slide'; expiresAt: number } | { kind: 'pow' } {
    if (typeof id === 'string') {
      const m = SLIDE_ID_RE.exec(id);
      if (m !== null) return { kind: 'slide', expiresAt: Number.parseInt(m[1] as string, 36) };
      if (POW_ID_RE.test(id)) return { kind: 'pow' };
    }
    throw new ChallengeError('CHALLENGE_ERR_BAD_ID', `id: expected a challenge id string, got ${describeValue(typeof id === 'string' ? `string(${id.length})` : id)}`);
  }

  const engine: ChallengeEngine = {
    async issue(request) {
      ensureOpen();
      if (typeof request !== 'object' || request === null) {
        throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `request: expected an object, got ${describeValue(request)}`);
      }
      const site = checkSite(request.site);
      const type = request.type ?? site.challengeTypes[0];
      if ((type !== 'slide' && type !== 'pow') || !site.challengeTypes.includes(type)) {
        throw new ChallengeError('CHALLENGE_ERR_UNSUPPORTED_TYPE', `type: expected one of the site's types (${site.challengeTypes.join(', ')}), got ${describeValue(type)}`);
      }
      const action = request.action ?? '';
      if (typeof action !== 'string' || !ACTION_RE.test(action)) {
        throw new ChallengeError('CHALLENGE_ERR_BAD_ACTION', `action: expected 0-32 chars of [A-Za-z0-9_-], got ${describeValue(action)}`);
      }
      const cdata = request.cdata ?? '';
      if (typeof cdata !== 'string' || cdata.length > 255) {
        throw new ChallengeError('CHALLENGE_ERR_BAD_CDATA', `cdata: expected a string of at most 255 chars, got ${describeValue(cdata)}`);
      }
      const hostname = request.hostname ?? '';
      if (typeof hostname !== 'string' || hostname.length > 253) {
        throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `hostname: expected a string of at most 253 chars, got ${describeValue(hostname)}`);
      }
      return type === 'slide' ? issueSlide(site, hostname, action, cdata) : issuePow(site, hostname, action, cdata);
    },

    async verify(request) {
      ensureOpen();
      if (typeof request !== 'object' || request === null) {
        throw new ChallengeError('CHALLENGE_ERR_BAD_ID', `request: expected an object, got ${describeValue(request)}`);
      }
      const id = parseId(request.id);
      const input = parseInput(request.input);
      return id.kind === 'slide'
        ? verifySlide(request.id as string, id.expiresAt, request.answer, request.trajectory, input)
        : verifyPow(request.id as string, request.answer);
    },

    async redeem(token, ro) {
      ensureOpen();
      const bad = (code: ChallengeErrorCode, message: string): never => {
        counters.redeemFail++;
        throw new ChallengeError(code, message);
      };
      if (typeof ro !== 'object' || ro === null || typeof ro.sitekey !== 'string') {
        throw invalid('redeem options', '{ sitekey: string }', ro);
      }
      const idem = ro.idempotencyKey;
      if (idem !== undefined && (typeof idem !== 'string' || idem.length === 0 || idem.length > 256)) {
        throw invalid('idempotencyKey', 'a string of 1-256 chars', idem);
      }
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
        return bad('CHALLENGE_ERR_TOKEN_INVALID', `token: expected a string of 1-${MAX_TOKEN_CHARS} chars`);
      }
      const claims = openToken(tokenKeys, token);
      if (claims === undefined) return bad('CHALLENGE_ERR_TOKEN_INVALID', 'token: malformed, forged or signed with a retired key');
      if (claims.sitekey !== ro.sitekey) return bad('CHALLENGE_ERR_TOKEN_WRONG_SITE', 'token: issued for another site');
      const t = now();
      if (t >= claims.expiresAt) return bad('CHALLENGE_ERR_TOKEN_EXPIRED', `token: expired ${t - claims.expiresAt} ms ago`);
      if (ro.hostname !== undefined && claims.hostname !== ro.hostname) return bad('CHALLENGE_ERR_TOKEN_WRONG_HOSTNAME', 'token: issued for another hostname');
      if (ro.action !== undefined && claims.action !== ro.action) return bad('CHALLENGE_ERR_TOKEN_WRONG_ACTION', 'token: issued for another action');
      const key = `${prefix}t:${claims.tokenId}`;
      const marker = idem === undefined ? '-' : `k:${idem}`;
      const first = await store.add(key, marker, Math.max(1, claims.expiresAt - t) + 1000).catch(storeError);
      if (!first) {
        const seen = idem === undefined ? undefined : await store.get(key).catch(storeError);
        if (seen !== marker) return bad('CHALLENGE_ERR_TOKEN_REPLAYED', 'token: already redeemed');
      }
      counters.redeemPass++;
      return {
        challengeTs: claims.challengeTs,
        hostname: claims.hostname,
        action: claims.action,
        cdata: claims.cdata,
        sitekey: claims.sitekey,
        type: claims.type,
      };
    },

    async peekAnswer(id) {
      ensureOpen();
      if (typeof id !== 'string') return undefined;
      const m = SLIDE_ID_RE.exec(id);
      if (m !== null) {
        const raw = await store.get(`${prefix}c:${id}`).catch(storeError);
        return raw === undefined ? undefined : { x: (JSON.parse(raw) as SlideRecord).x };
      }
      const claims = POW_ID_RE.test(id) ? openPowChallenge(powKeys, id) : undefined;
      if (claims === undefined) return undefined;
      const nonce = solvePow(id, claims.difficulty, 2 ** 28);
      return nonce === undefined ? undefined : { nonce };
    },

    prewarm(site) {
      ensureOpen();
      const s = checkSite(site);
      if (pool !== undefined && s.challengeTypes.includes('slide')) {
        const { key, template } = profileOf(s);
        pool.touch(key, template);
      }
    },

    setSecrets,

    stats() {
      const p = pool?.stats() ?? { depth: 0, hits: 0, misses: 0, rendered: 0, errors: 0, refillPerS: 0, profiles: [] };
      const served = p.hits + p.misses;
      return {
        pool: {
          depth: p.depth,
          hits: p.hits,
          misses: p.misses,
          hitRatio: served === 0 ? 0 : p.hits / served,
          refillPerS: p.refillPerS,
          rendered: p.rendered,
          renderErrors: p.errors,
          profiles: p.profiles,
        },
        issued: { slide: counters.slide, pow: counters.pow },
        verified: { pass: counters.pass, fail: counters.fail },
        redeemed: { pass: counters.redeemPass, fail: counters.redeemFail },
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      pool?.close();
      if (ownRenderer) await renderer.close();
    },
  };
  return Object.freeze(engine);
}
