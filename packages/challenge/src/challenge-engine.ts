import { randomFillSync } from 'node:crypto';
import { parseChallengeId } from './challenge-id.js';
import { ChallengePool } from './challenge-pool.js';
import type { ProfileTemplate } from './challenge-pool.js';
import type {
  ChallengeEngine,
  ChallengeEngineOptions,
  ChallengeType,
  PublicChallenge,
  RenderedPuzzle,
  SiteProfile,
  SlideRenderer,
  TrajectoryInput,
  VerifyFailureCode,
  VerifyResult,
  VerifySite,
} from './contract.js';
import { MAX_ANSWER_X, MAX_SLIDE_ROUNDS, intOption, invalid, resolveOptions } from './engine-options.js';
import { ChallengeError, describeValue } from './errors.js';
import type { ChallengeErrorCode } from './errors.js';
import { checkKeyboardTrajectory } from './keyboard-trajectory-check.js';
import { sealToken, openToken } from './pass-token.js';
import { checkPowAnswer, checkPowSolution, openPowChallenge, POW_ALGORITHMS, sealPowChallenge } from './proof-of-work.js';
import { SCRYPT_PARAMS, SCRYPT_VERIFIES_PER_CHALLENGE, scryptBits } from './scrypt-pow.js';
import { issueProbe, probeSignals } from './browser-probe.js';
import { createKeyring, normaliseSecrets } from './signed-envelope.js';
import type { Keyring } from './signed-envelope.js';
import type { SlideRecord } from './slide-record.js';
import { slideRecordKey } from './slide-record.js';
import { createInlineRenderer, createRenderThreads } from './slide-renderer.js';
import { checkTrajectory, parseTrajectory } from './trajectory-check.js';
import { createReplayMemory } from './replay-memory.js';
import { traceShape } from './trace-shape.js';
import { checkTraceGeometry, checkTraceTiming } from './trace-context-checks.js';
import type { TrajectorySample } from './trajectory-check.js';

const ACTION_RE = /^[A-Za-z0-9_-]{0,32}$/;
const NONCE_RE = /^(0|[1-9][0-9]{0,19})$/;
const MAX_TOKEN_CHARS = 4096;


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
  let probeKeys: Keyring;
  function setSecrets(secrets: readonly (string | Uint8Array)[]): void {
    const buffers = normaliseSecrets(secrets);
    tokenKeys = createKeyring(buffers, 'token');
    powKeys = createKeyring(buffers, 'pow');
    probeKeys = createKeyring(buffers, 'probe');
  }
  if (options.probe !== undefined && typeof options.probe !== 'boolean') throw invalid('probe', 'a boolean', options.probe);
  const withProbe = options.probe !== false;
  const probeFor = (id: string, t: number): { probe?: ReturnType<typeof issueProbe> } => (withProbe ? { probe: issueProbe(probeKeys, id, randomBytes, t) } : {});
  setSecrets(options.secrets);
  let stateEpoch = '';
  function setStateEpoch(epoch: string): void {
    if (typeof epoch !== 'string' || epoch.length > 64) throw invalid('stateEpoch', 'a string of at most 64 chars', epoch);
    stateEpoch = epoch;
  }
  setStateEpoch(options.stateEpoch ?? '');

  const ownRenderer = options.renderer === undefined;
  const renderer: SlideRenderer = options.renderer ??
    (renderThreads === 0 ? createInlineRenderer({ imageSets }) : createRenderThreads({ threads: renderThreads, imageSets }));
  const pool = opts.pool === false ? undefined : new ChallengePool(renderer, opts.pool, now, seed);
  const prefix = opts.keyPrefix;
  const replays = opts.replayWindowMs > 0 ? createReplayMemory(store, prefix, opts.replayWindowMs) : undefined;
  const counters = { slide: 0, pow: 0, pass: 0, fail: 0, nextRound: 0, redeemPass: 0, redeemFail: 0 };
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
    return profileFor(level, imageSet);
  }

  function profileFor(level: number, imageSet: string | undefined): { key: string; template: ProfileTemplate } {
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
    if (s.powAlgorithm !== undefined && !POW_ALGORITHMS.includes(s.powAlgorithm)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.powAlgorithm: expected ${POW_ALGORITHMS.map((a) => `'${a}'`).join(' or ')}, got ${describeValue(s.powAlgorithm)}`);
    }
    if (s.slideLevel !== undefined && (!Number.isInteger(s.slideLevel) || s.slideLevel < 1 || s.slideLevel > 3)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.slideLevel: expected 1, 2 or 3, got ${describeValue(s.slideLevel)}`);
    }
    if (s.keyboardSolve !== undefined && typeof s.keyboardSolve !== 'boolean') {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.keyboardSolve: expected a boolean, got ${describeValue(s.keyboardSolve)}`);
    }
    if (s.tolerancePx !== undefined && (typeof s.tolerancePx !== 'number' || !(s.tolerancePx >= 0) || s.tolerancePx > 1000)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.tolerancePx: expected a number in [0, 1000], got ${describeValue(s.tolerancePx)}`);
    }
    if (s.slideRounds !== undefined && (!Number.isInteger(s.slideRounds) || s.slideRounds < 1 || s.slideRounds > MAX_SLIDE_ROUNDS)) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `site.slideRounds: expected an integer in [1, ${MAX_SLIDE_ROUNDS}], got ${describeValue(s.slideRounds)}`);
    }
    return s;
  }

  /** What every round of one slide challenge shares (written into each round's record). */
  type SlideContext = Omit<SlideRecord, 'x' | 'i' | 'e' | 'q'>;

  function slideContextOf(site: SiteProfile, hostname: string, action: string, cdata: string, rounds: number, answerPow: number): SlideContext {
    const keyboard = site.keyboardSolve !== false;
    const { template } = profileOf(site);
    // The settings travel with the puzzle, so a change on the site never flips a puzzle already out.
    return {
      s: site.sitekey, h: hostname, a: action, c: cdata, t: site.tolerancePx ?? opts.tolerancePx, k: keyboard ? 1 : 0,
      ...(keyboard && opts.keyboardPowDifficulty > 0 ? { p: opts.keyboardPowDifficulty } : {}),
      ...(rounds > 1 ? { r: rounds, l: template.level } : {}),
      ...(rounds > 1 && template.imageSet !== undefined ? { g: template.imageSet } : {}),
      ...(site.challengeTypes.includes('pow') ? {} : { o: 0 as const }),
      ...(answerPow > 0 ? { w: answerPow } : {}),
    };
  }

  /** Issue one round's puzzle: render (or take from the pool), store its record, announce it. */
  async function issueSlideRound(ctx: SlideContext, round: number, key: string, template: ProfileTemplate): Promise<PublicChallenge> {
    let puzzle: RenderedPuzzle | undefined = pool?.take(key, template);
    if (puzzle === undefined) puzzle = await renderer.render({ ...template, seed: seed() });
    ensureOpen();
    // Whole milliseconds: the expiry is written into the id in base 36.
    const t = Math.floor(now());
    const expiresAt = t + opts.challengeTtlMs;
    const id = `s.${randomId()}.${expiresAt.toString(36)}`;
    const record: SlideRecord = { ...ctx, x: puzzle.x, i: t, e: expiresAt, ...(ctx.r === undefined ? {} : { q: round }) };
    await store.set(slideRecordKey(prefix, id), JSON.stringify(record), opts.challengeTtlMs).catch(storeError);
    return {
      id,
      type: 'slide',
      expiresAt,
      attemptsLeft: 1,
      slide: {
        width: puzzle.width,
        height: puzzle.height,
        background: puzzle.background,
        piece: puzzle.piece,
        pieceWidth: puzzle.pieceWidth,
        pieceHeight: puzzle.pieceHeight,
        pieceY: puzzle.pieceY,
        ...(ctx.k === 0 ? { keyboard: false as const } : {}),
        ...(ctx.o === 0 ? { powPath: false as const } : {}),
        ...(ctx.p !== undefined ? { keyboardPow: { difficulty: ctx.p } } : {}),
        ...(ctx.r === undefined ? {} : { round, rounds: ctx.r }),
        ...(ctx.w !== undefined ? { answerPow: { difficulty: ctx.w } } : {}),
      },
      ...probeFor(id, t),
    };
  }

  async function issueSlide(site: SiteProfile, hostname: string, action: string, cdata: string, rounds: number, answerPow: number): Promise<PublicChallenge> {
    const { key, template } = profileOf(site);
    const challenge = await issueSlideRound(slideContextOf(site, hostname, action, cdata, rounds, answerPow), 1, key, template);
    counters.slide++;
    return challenge;
  }

  /** The next round of a challenge whose round `rec.q` was just answered correctly. */
  async function nextSlideRound(rec: SlideRecord): Promise<VerifyResult> {
    const { x: _x, i: _i, e: _e, q, ...ctx } = rec;
    const { key, template } = profileFor(rec.l ?? 2, rec.g !== undefined && imageSets[rec.g] !== undefined ? rec.g : undefined);
    const next = await issueSlideRound(ctx, (q ?? 1) + 1, key, template);
    counters.nextRound++;
    return { success: false, code: 'CHALLENGE_NEXT_ROUND', retry: false, attemptsLeft: 0, next };
  }

  function issuePow(site: SiteProfile, hostname: string, action: string, cdata: string, difficulty: number): PublicChallenge {
    const t = Math.floor(now());
    const expiresAt = t + opts.challengeTtlMs;
    const claims = { challengeId: randomId(), sitekey: site.sitekey, hostname, action, cdata, issuedAt: t, expiresAt, stateEpoch };
    counters.pow++;
    if (site.powAlgorithm === 'scrypt') {
      const bits = scryptBits(difficulty);
      const challenge = sealPowChallenge(powKeys, { ...claims, difficulty: bits, algorithm: 'scrypt', scrypt: SCRYPT_PARAMS });
      return { id: challenge, type: 'pow', expiresAt, attemptsLeft: 1, pow: { algorithm: 'scrypt', challenge, difficulty: bits, ...SCRYPT_PARAMS } };
    }
    const challenge = sealPowChallenge(powKeys, { ...claims, difficulty, algorithm: 'sha256' });
    return {
      id: challenge,
      type: 'pow',
      expiresAt,
      attemptsLeft: 1,
      pow: { algorithm: 'sha256', challenge, difficulty },
      ...probeFor(challenge, t),
    };
  }

  function passToken(sitekey: string, hostname: string, action: string, cdata: string, type: ChallengeType): VerifyResult {
    const t = Math.floor(now());
    const expiresAt = t + opts.tokenTtlMs;
    const tokenId = randomId();
    const token = sealToken(tokenKeys, { tokenId, sitekey, hostname, action, cdata, type, challengeTs: t, expiresAt, stateEpoch });
    counters.pass++;
    return { success: true, token, tokenId, expiresAt, site: { sitekey, hostname, action } };
  }

  function failed(result: VerifyResult): VerifyResult {
    counters.fail++;
    return result;
  }

  /** A failure tagged with whom the challenge was for, once its record or claims are read. */
  const forSite = (result: VerifyResult, site: VerifySite | undefined): VerifyResult =>
    (site === undefined || result.site !== undefined ? result : { ...result, site });

  async function verifySlide(id: string, idExpiresAt: number, answer: unknown, trajectory: unknown, input: TrajectoryInput, keyboardProof: unknown): Promise<VerifyResult> {
    const seen: { site?: VerifySite } = {};
    return forSite(await checkSlide(id, idExpiresAt, answer, trajectory, input, keyboardProof, seen), seen.site);
  }

  async function checkSlide(id: string, idExpiresAt: number, answer: unknown, trajectory: unknown, input: TrajectoryInput, keyboardProof: unknown, seen: { site?: VerifySite }): Promise<VerifyResult> {
    const x = parseSlideAnswer(answer);
    const samples: TrajectorySample[] | undefined =
      trajectory === undefined || trajectory === null ? undefined : parseTrajectory(trajectory, opts.rules.maxSamples);
    const key = slideRecordKey(prefix, id);
    const raw = await store.get(key).catch(storeError);
    const t = now();
    if (raw === undefined) return failed(fail(t >= idExpiresAt ? 'CHALLENGE_ERR_EXPIRED' : 'CHALLENGE_ERR_NOT_FOUND', false, 0));
    let rec: SlideRecord;
    try {
      rec = JSON.parse(raw) as SlideRecord;
    } catch {
      return failed(fail('CHALLENGE_ERR_NOT_FOUND', false, 0));
    }
    seen.site = { sitekey: rec.s, hostname: rec.h, action: rec.a };
    if (t >= rec.e) {
      await store.delete(key).catch(storeError);
      return failed(fail('CHALLENGE_ERR_EXPIRED', false, 0));
    }
    // One answer per puzzle: the counter refuses a second (concurrent) answer, and any failed
    // check ends the puzzle, so guesses never accumulate on one image.
    const n = await store.incr(`${prefix}a:${id}`, Math.max(1, rec.e - t)).catch(storeError);
    if (n > 1) return failed(fail('CHALLENGE_ERR_ATTEMPTS_EXHAUSTED', false, 0));
    const burn = async (code: VerifyFailureCode, reasons?: readonly string[]): Promise<VerifyResult> => {
      await store.delete(key).catch(storeError);
      return failed(fail(code, false, 0, reasons));
    };
    if (Math.abs(x - rec.x) > rec.t) return burn('CHALLENGE_ERR_WRONG_ANSWER');
    // An answer check like the others (same public code, puzzle burnt), not a malformed request:
    // a separate code would tell a script which claim to drop.
    if (input === 'keyboard' && rec.k === 0) return burn('CHALLENGE_ERR_TRAJECTORY_REJECTED', ['keyboard_disabled']);
    // The proof a keyboard answer owes and the one the issue asked of every answer are the same
    // kind (over the id), so one proof at the larger difficulty settles both.
    const keyboardNeed = input === 'keyboard' ? rec.p ?? 0 : 0;
    const need = Math.max(keyboardNeed, rec.w ?? 0);
    if (need > 0) {
      const what = keyboardNeed >= need ? 'keyboard' : 'answer';
      const proof = keyboardProof === undefined || keyboardProof === null ? undefined : parseNonce({ nonce: keyboardProof });
      if (proof === undefined) return burn('CHALLENGE_ERR_TRAJECTORY_REJECTED', [`${what}_proof_missing`]);
      if (!checkPowSolution(id, proof, need)) return burn('CHALLENGE_ERR_TRAJECTORY_REJECTED', [`${what}_proof_insufficient`]);
    }
    if (samples === undefined) {
      if (opts.requireTrajectory) return burn('CHALLENGE_ERR_TRAJECTORY_REJECTED', ['missing']);
    } else {
      const verdict = input === 'keyboard' ? checkKeyboardTrajectory(samples, x, opts.rules) : checkTrajectory(samples, x, opts.rules);
      if (!verdict.pass) return burn('CHALLENGE_ERR_TRAJECTORY_REJECTED', verdict.reasons);
      const timing = checkTraceTiming(samples, rec.i, t, opts.rules);
      if (timing.length > 0) return burn('CHALLENGE_ERR_TIMING_REJECTED', timing);
      const geometry = checkTraceGeometry(samples, opts.rules);
      if (geometry.length > 0) return burn('CHALLENGE_ERR_GEOMETRY_REJECTED', geometry);
      const shape = replays === undefined ? undefined : traceShape(samples);
      if (replays !== undefined && shape !== undefined) {
        // Asked last, once every other check passed: only accepted shapes are filed.
        if (await replays.seenElseRemember(shape).catch(storeError)) return burn('CHALLENGE_ERR_REPLAY_DETECTED', ['replay']);
      }
    }
    // take() makes success one-time even when two correct answers race.
    const won = await store.take(key).catch(storeError);
    if (won === undefined) return failed(fail('CHALLENGE_ERR_ALREADY_SOLVED', false, 0));
    if (rec.r !== undefined && (rec.q ?? 1) < rec.r) return nextSlideRound(rec);
    return passToken(rec.s, rec.h, rec.a, rec.c, 'slide');
  }

  async function verifyPow(id: string, answer: unknown): Promise<VerifyResult> {
    const nonce = parseNonce(answer);
    const claims = openPowChallenge(powKeys, id);
    if (claims === undefined) return failed(fail('CHALLENGE_ERR_SIGNATURE_INVALID', false, 0));
    return forSite(await checkPow(id, nonce, claims), { sitekey: claims.sitekey, hostname: claims.hostname, action: claims.action });
  }

  async function checkPow(id: string, nonce: string, claims: NonNullable<ReturnType<typeof openPowChallenge>>): Promise<VerifyResult> {
    const t = now();
    if (t >= claims.expiresAt) return failed(fail('CHALLENGE_ERR_EXPIRED', false, 0));
    // Issued before the store lost its one-time markers: whether it was solved then is unknown.
    if (claims.stateEpoch !== stateEpoch) return failed(fail('CHALLENGE_ERR_EXPIRED', false, 0));
    let left = 1;
    if (claims.algorithm === 'scrypt') {
      // A scrypt evaluation costs the server ~30x a SHA-256 verify, and a wrong nonce or a
      // replayed solution would cost it again each time: each challenge gets a few.
      const n = await store.incr(`${prefix}pa:${claims.challengeId}`, Math.max(1, claims.expiresAt - t) + 1000).catch(storeError);
      if (n > SCRYPT_VERIFIES_PER_CHALLENGE) return failed(fail('CHALLENGE_ERR_ATTEMPTS_EXHAUSTED', false, 0));
      left = SCRYPT_VERIFIES_PER_CHALLENGE - n;
    }
    // After the cheap checks: a scrypt evaluation is the costliest step of a verify.
    if (!checkPowAnswer(id, nonce, claims)) return failed(fail('CHALLENGE_ERR_POW_INSUFFICIENT', left > 0, left));
    const fresh = await store.add(`${prefix}p:${claims.challengeId}`, '1', Math.max(1, claims.expiresAt - t) + 1000).catch(storeError);
    if (!fresh) return failed(fail('CHALLENGE_ERR_ALREADY_SOLVED', false, 0));
    return passToken(claims.sitekey, claims.hostname, claims.action, claims.cdata, 'pow');
  }

  function roundsOf(rounds: unknown): number {
    if (rounds === undefined || rounds === null) return opts.slideRounds;
    if (typeof rounds !== 'number' || !Number.isInteger(rounds) || rounds < 1 || rounds > MAX_SLIDE_ROUNDS) {
      throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `rounds: expected an integer in [1, ${MAX_SLIDE_ROUNDS}], got ${describeValue(rounds)}`);
    }
    return rounds;
  }

  function parseInput(input: unknown): TrajectoryInput {
    if (input === undefined || input === null) return 'pointer';
    if (input === 'pointer' || input === 'keyboard') return input;
    throw new ChallengeError('CHALLENGE_ERR_BAD_TRAJECTORY', `input: expected 'pointer' or 'keyboard', got ${describeValue(input)}`);
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
      const powDifficulty = request.powDifficulty;
      if (powDifficulty !== undefined && (typeof powDifficulty !== 'number' || !Number.isInteger(powDifficulty) || powDifficulty < 0 || powDifficulty > 32)) {
        throw new ChallengeError('CHALLENGE_ERR_BAD_SITE', `powDifficulty: expected an integer in [0, 32], got ${describeValue(powDifficulty)}`);
      }
      if (type === 'pow') return issuePow(site, hostname, action, cdata, powDifficulty ?? site.difficulty);
      return issueSlide(site, hostname, action, cdata, roundsOf(request.rounds ?? site.slideRounds), powDifficulty ?? 0);
    },

    async verify(request) {
      ensureOpen();
      if (typeof request !== 'object' || request === null) {
        throw new ChallengeError('CHALLENGE_ERR_BAD_ID', `request: expected an object, got ${describeValue(request)}`);
      }
      const id = parseChallengeId(request.id);
      const input = parseInput(request.input);
      return id.kind === 'slide'
        ? verifySlide(request.id as string, id.expiresAt, request.answer, request.trajectory, input, request.keyboardProof)
        : verifyPow(request.id as string, request.answer);
    },

    probeSignals(result, context) {
      return probeSignals(probeKeys, result, context);
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
      // Minted before the store lost its one-time markers: whether it was redeemed then is unknown.
      if (claims.stateEpoch !== stateEpoch) return bad('CHALLENGE_ERR_TOKEN_EXPIRED', 'token: minted before a restart that lost the replay state (state epoch changed); the visitor must solve a new challenge');
      if (ro.hostname !== undefined && claims.hostname !== ro.hostname) return bad('CHALLENGE_ERR_TOKEN_WRONG_HOSTNAME', 'token: issued for another hostname');
      if (ro.action !== undefined && claims.action !== ro.action) return bad('CHALLENGE_ERR_TOKEN_WRONG_ACTION', 'token: issued for another action');
      const verified = {
        tokenId: claims.tokenId,
        challengeTs: claims.challengeTs,
        hostname: claims.hostname,
        action: claims.action,
        cdata: claims.cdata,
        sitekey: claims.sitekey,
        type: claims.type,
      };
      const key = `${prefix}t:${claims.tokenId}`;
      const marker = idem === undefined ? '-' : `k:${idem}`;
      let first: boolean;
      let seen: string | undefined;
      try {
        first = await store.add(key, marker, Math.max(1, claims.expiresAt - t) + 1000);
        if (!first && idem !== undefined) seen = await store.get(key);
      } catch (err) {
        if (ro.acceptUnchecked !== true) storeError(err);
        counters.redeemPass++;
        return { ...verified, unchecked: true };
      }
      if (!first && seen !== marker) return bad('CHALLENGE_ERR_TOKEN_REPLAYED', 'token: already redeemed');
      counters.redeemPass++;
      return verified;
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
    setStateEpoch,

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
        verified: { pass: counters.pass, fail: counters.fail, nextRound: counters.nextRound },
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
