import type { ProbeAnswerContext, ProbeSignal, PublicProbe } from './browser-probe.js';
/**
 * The public contract of @hurdle/challenge: request, result, option and statistics types
 * of the engine and its renderer. Types only, so every module can import it without a cycle.
 */
import type { ChallengeStore } from './challenge-store.js';
import type { ChallengeErrorCode } from './errors.js';
import type { TrajectoryRules } from './trajectory-rules.js';

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
  /**
   * Proof-of-work difficulty in leading zero bits of SHA-256 (raise it under load). Range 0-32.
   * With `powAlgorithm: 'scrypt'` it stays in SHA-256-equivalent bits: the challenge asks
   * `difficulty - SCRYPT_COST_BITS` bits (at least 0) of the scrypt digest.
   */
  readonly difficulty: number;
  /**
   * Hash of the site's `pow` challenges: `sha256`, or the memory-hard `scrypt` (parameters
   * `SCRYPT_PARAMS`), where a GPU or ASIC gains little over a browser. Slide proofs
   * (`keyboardPow`, `answerPow`) stay SHA-256. @default 'sha256'
   */
  readonly powAlgorithm?: 'sha256' | 'scrypt' | undefined;
  /** Name of an image set given in the engine's `imageSets` option; procedural images when absent. */
  readonly imageSet?: string | undefined;
  /** Slide puzzle strength 1-3 (a stronger colour change of the piece and more lines when higher). @default 2 */
  readonly slideLevel?: number | undefined;
  /** Slide answer tolerance in background pixels. @default engine `tolerancePx` */
  readonly tolerancePx?: number | undefined;
  /**
   * Whether a slide may be solved with the arrow keys (`input: 'keyboard'`). Written into the
   * puzzle when it is issued: with `false`, a keyboard answer to it fails
   * (CHALLENGE_ERR_TRAJECTORY_REJECTED, reason `keyboard_disabled`) and the slide payload says
   * `keyboard: false`. @default true
   */
  readonly keyboardSolve?: boolean | undefined;
  /**
   * How many puzzles, one after the other, make one slide challenge (1-5). Each round is an
   * independent decision, so a blind guess passes with the single-round rate to this power.
   * @default engine `slideRounds`
   */
  readonly slideRounds?: number | undefined;
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
  /** Rounds of this slide challenge (1-5), e.g. chosen by a risk score. @default site.slideRounds */
  readonly rounds?: number | undefined;
  /**
   * Proof-of-work difficulty (leading zero bits, 0-32) for this one challenge, instead of the
   * site's: the server's risk engine raises it for a riskier visitor. For a `pow` challenge it
   * is the PoW's difficulty; for a `slide` (when > 0) every answer, a drag as well as the arrow
   * keys, must carry a proof of this difficulty in `keyboardProof` (payload `answerPow`).
   * @default site.difficulty for a pow, none for a slide
   */
  readonly powDifficulty?: number | undefined;
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
  /**
   * Present, and `false`, only when the site turned keyboard solving off: the widget offers
   * no arrow keys, and an answer with `input: 'keyboard'` fails.
   */
  readonly keyboard?: false;
  /**
   * Present, and `false`, only when the site has no proof-of-work path (`pow` is not in its
   * challenge types): the widget offers no "verify without the puzzle".
   */
  readonly powPath?: false;
  /**
   * Present when a keyboard answer to this puzzle must carry a proof of work: the nonce goes
   * in `keyboardProof`, over the challenge id as the PoW challenge string.
   */
  readonly keyboardPow?: { readonly difficulty: number };
  /**
   * Present when the challenge has more than one round: this puzzle is `round` (1-based) of
   * `rounds`. A correct answer to a round before the last is answered with the next puzzle.
   */
  readonly round?: number;
  readonly rounds?: number;
  /**
   * Present when every answer to this puzzle, a drag as well as the arrow keys, must carry a
   * proof of work (set per issue, `IssueRequest.powDifficulty`): the nonce goes in
   * `keyboardProof`, over the challenge id as the PoW challenge string, as for `keyboardPow`.
   * A keyboard answer then needs the larger of the two difficulties.
   */
  readonly answerPow?: { readonly difficulty: number };
}

/** Proof-of-work part of a public challenge (HTTP contract): one of two algorithms. */
export type PowPayload = Sha256PowPayload | ScryptPowPayload;

/** A SHA-256 proof of work. */
export interface Sha256PowPayload {
  readonly algorithm: 'sha256';
  /** Find a non-negative integer nonce with SHA-256(UTF-8(`${challenge}:${nonce}`)) having `difficulty` leading zero bits. */
  readonly challenge: string;
  readonly difficulty: number;
}

/** A scrypt (memory-hard) proof of work. */
export interface ScryptPowPayload {
  readonly algorithm: 'scrypt';
  /**
   * Find a non-negative integer nonce whose scrypt(P = UTF-8(nonce), S = UTF-8(challenge),
   * N, r, p, dkLen = 32) has `difficulty` leading zero bits.
   */
  readonly challenge: string;
  /** Leading zero bits of the scrypt digest (the site's difficulty less SCRYPT_COST_BITS). */
  readonly difficulty: number;
  /** CPU/memory cost (a power of two); one evaluation uses 128 · r · N bytes. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
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
  /** The browser probe the widget runs and returns with its answer (browser-probe.ts); absent when the engine's `probe` is off. */
  readonly probe?: PublicProbe;
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
  /**
   * Keyboard solves only: a nonce such that SHA-256(`${id}:${nonce}`) has the slide payload's
   * `keyboardPow.difficulty` leading zero bits (the proof of work that makes the keyboard path
   * cost a script what a drag costs it). A puzzle whose payload has `answerPow` wants it from
   * every answer, pointer ones too; otherwise it is ignored for pointer answers.
   */
  readonly keyboardProof?: unknown;
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
  | 'CHALLENGE_ERR_TIMING_REJECTED'
  | 'CHALLENGE_ERR_GEOMETRY_REJECTED'
  | 'CHALLENGE_ERR_REPLAY_DETECTED'
  | 'CHALLENGE_ERR_ATTEMPTS_EXHAUSTED'
  | 'CHALLENGE_ERR_ALREADY_SOLVED'
  | 'CHALLENGE_ERR_SIGNATURE_INVALID'
  | 'CHALLENGE_ERR_POW_INSUFFICIENT'
>;

/** Result of {@link ChallengeEngine.verify}. */
/** Whom an answered challenge was issued for (per-site analytics; never shown to the visitor). */
export interface VerifySite {
  readonly sitekey: string;
  readonly hostname: string;
  readonly action: string;
}

export type VerifyResult =
  | {
      readonly success: true;
      readonly token: string;
      /**
       * The token's one-time id (a claim inside it, not a secret: the token's signature is what
       * makes it good). Records about the token are kept under it, so no one hashes the token.
       */
      readonly tokenId: string;
      /** Epoch ms. */
      readonly expiresAt: number;
      readonly site?: VerifySite;
    }
  | {
      readonly success: false;
      /** Absent when the challenge could not be read (unknown, expired, forged id). */
      readonly site?: VerifySite;
      readonly code: VerifyFailureCode;
      /** True when the same challenge id may be answered again. */
      readonly retry: boolean;
      /** Attempts left on this challenge (0 when `retry` is false). */
      readonly attemptsLeft: number;
      /** Trajectory rule names that failed (analytics; not for the visitor). */
      readonly reasons?: readonly string[];
    }
  | {
      /**
       * A correct answer to a round before the last: no token yet, `next` is the next round's
       * puzzle (a new id, answered like the first).
       */
      readonly success: false;
      /** Whom the challenge was issued for, as on the other answers. */
      readonly site?: VerifySite;
      readonly code: 'CHALLENGE_NEXT_ROUND';
      readonly retry: false;
      readonly attemptsLeft: 0;
      readonly reasons?: undefined;
      readonly next: PublicChallenge;
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
  /**
   * When the store cannot be reached for the once-only check, return the token's verified
   * claims marked `unchecked` instead of throwing CHALLENGE_ERR_STORE_UNAVAILABLE (the
   * server's `failurePolicy: 'open'`). Signature, site, expiry, hostname and action are
   * checked first either way. @default false
   */
  readonly acceptUnchecked?: boolean | undefined;
}

/** What siteverify reports for a good token. */
export interface RedeemResult {
  /** The token's one-time id, as its verify returned it (`VerifyResult.tokenId`). */
  readonly tokenId: string;
  /** When the challenge was solved, epoch ms (siteverify `challenge_ts` as ISO). */
  readonly challengeTs: number;
  readonly hostname: string;
  readonly action: string;
  readonly cdata: string;
  readonly sitekey: string;
  readonly type: ChallengeType;
  /** True when the once-only check was skipped (store unreachable, `acceptUnchecked`). */
  readonly unchecked?: true;
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
  /** `nextRound`: correct answers to a round before the last (answered with the next puzzle, not a token). */
  readonly verified: { readonly pass: number; readonly fail: number; readonly nextRound: number };
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
  /**
   * Leading zero bits of the proof of work a keyboard answer must carry (0: none). A script's
   * keyboard claim is otherwise cheaper than the drag a bot must fake; 2^14 SHA-256 hashes
   * are about 15-30 ms of one core for a script and go unnoticed in the widget's worker.
   * @default 14
   */
  readonly keyboardPowDifficulty?: number;
  /**
   * How long an accepted trace's shape is kept: within it, a near copy of the trace
   * (a replay, rescaled or not) fails with CHALLENGE_ERR_REPLAY_DETECTED. 0 keeps none.
   * @default 600_000
   */
  readonly replayWindowMs?: number;
  /** Slide answer tolerance in pixels. @default 6 */
  readonly tolerancePx?: number;
  /**
   * Puzzles per slide challenge (1-5; a site's `slideRounds` or an issue's `rounds` overrides
   * it). One puzzle leaves a blind guess about a 1-in-15 chance (a ±6 px window over the
   * ~190 px the answer can take); two independent puzzles leave about 1 in 250. @default 2
   */
  readonly slideRounds?: number;
  /** Slide background size in pixels. @default 320 */
  readonly width?: number;
  /** @default 160 */
  readonly height?: number;
  /** Slide background encoding. @default 'webp' */
  readonly format?: BackgroundFormat;
  /** Encoder quality 1-100. @default 80 */
  readonly quality?: number;
  /** Site image sets: name -> image files (paths) or encoded image bytes (PNG/JPEG/WebP). */
  readonly imageSets?: ImageSets;
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
  /**
   * Names the generation of the store's contents (at most 64 chars). Proof-of-work challenges
   * and pass tokens carry it in their signed envelope, and only those of the current epoch are
   * accepted: a store that lost its one-time markers (a new shared-memory segment after a
   * reboot) gets a new epoch, so nothing solved or redeemed before the loss passes again.
   * Slide challenges need none: their record lives in the store itself.
   * @default ''
   */
  readonly stateEpoch?: string;
  /** Attach a sealed browser probe to every issued challenge (browser-probe.ts). @default true */
  readonly probe?: boolean;
  /** Clock in epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Source of unguessable bytes (ids, token ids). @default crypto.randomFillSync */
  readonly randomBytes?: (size: number) => Uint8Array;
  /** Source of render seeds (32-bit unsigned); inject for deterministic tests. @default crypto */
  readonly seed?: () => number;
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
  /**
   * The signals of an answer's browser probe result (untrusted JSON): what was missing, invalid
   * or odd about it, for the risk engine. Never throws; stateless (the probe is sealed).
   */
  probeSignals(result: unknown, context: ProbeAnswerContext): ProbeSignal[];
  /** Redeem a pass token once (siteverify). Throws ChallengeError CHALLENGE_ERR_TOKEN_*. */
  redeem(token: unknown, options: RedeemOptions): Promise<RedeemResult>;
  /** Keep a pool warm for a site before its traffic arrives. */
  prewarm(site: SiteProfile): void;
  /** Replace the HMAC keys (rotation); first signs, all verify. */
  setSecrets(secrets: readonly (string | Uint8Array)[]): void;
  /** Switch to another state epoch (see {@link ChallengeEngineOptions.stateEpoch}); older values are refused from now on. */
  setStateEpoch(epoch: string): void;
  stats(): ChallengeEngineStats;
  /** Stop the pools and render threads; later calls throw CHALLENGE_ERR_CLOSED. */
  close(): Promise<void>;
}

/** Image sets: name -> image files (paths) or encoded image bytes. */
export type ImageSets = Readonly<Record<string, readonly (string | Uint8Array)[]>>;

/** Renders slide puzzles somewhere off (or, inline, on) the calling thread. */
export interface SlideRenderer {
  /** Render threads (0 = inline on the calling thread). */
  readonly threads: number;
  render(task: RenderTask): Promise<RenderedPuzzle>;
  /** Tasks waiting for a thread. */
  queueSize(): number;
  close(): Promise<void>;
}

/** What to render; with the same fields the output bytes are identical. */
export interface RenderTask {
  /** 32-bit unsigned seed: shape, position, colours, decoys, noise offsets. */
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  /** 1-3: how far the piece's colours drift from the scene, and how many lines cross it. */
  readonly level: number;
  readonly format: BackgroundFormat;
  /** 1-100. */
  readonly quality: number;
  /** Image set name; procedural background when absent or unknown. */
  readonly imageSet?: string | undefined;
}

/** A rendered slide puzzle with its answer (the answer never leaves the server). */
export interface RenderedPuzzle {
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  /** data: URL of the background with the hole (webp or jpeg). */
  readonly background: string;
  /** data: URL of the piece (png with alpha). */
  readonly piece: string;
  readonly pieceWidth: number;
  readonly pieceHeight: number;
  /** Answer: left edge of the piece where it fits, in background pixels. */
  readonly x: number;
  readonly pieceY: number;
}
