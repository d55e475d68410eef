import { leadingZeroBits } from './leading-zero-bits.js';
import { checkScryptSolution, scryptParamsValid } from './scrypt-pow.js';
import type { ScryptParams } from './scrypt-pow.js';
import { sha256 } from './sha256.js';
import type { Keyring } from './signed-envelope.js';

export { leadingZeroBits };

/** The hash a proof of work is searched with: `sha256` (fast) or `scrypt` (memory-hard). */
export type PowAlgorithm = 'sha256' | 'scrypt';
export const POW_ALGORITHMS: readonly PowAlgorithm[] = Object.freeze(['sha256', 'scrypt']);

/** Fields bound into a proof-of-work challenge string (all covered by the HMAC). */
export interface PowClaims {
  /** Random id (base64url, 16 bytes) used as the one-time key. */
  readonly challengeId: string;
  readonly sitekey: string;
  readonly hostname: string;
  readonly action: string;
  readonly cdata: string;
  /** Leading zero bits the digest must have (for scrypt: of the scrypt output, already net of SCRYPT_COST_BITS). */
  readonly difficulty: number;
  /** Epoch ms. */
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** The state-store generation the challenge was issued in; `''` for challenges sealed before the field existed. */
  readonly stateEpoch: string;
  /** `sha256` for challenges sealed before the field existed. */
  readonly algorithm: PowAlgorithm;
  /** The scrypt cost parameters, present exactly when `algorithm` is `scrypt`. */
  readonly scrypt?: ScryptParams | undefined;
}

export function sealPowChallenge(keyring: Keyring, c: PowClaims): string {
  const base = [
    c.challengeId,
    c.sitekey,
    c.hostname,
    c.action,
    c.cdata,
    String(c.difficulty),
    String(c.issuedAt),
    String(c.expiresAt),
    c.stateEpoch,
  ];
  if (c.algorithm === 'sha256') return keyring.seal(base);
  if (c.scrypt === undefined) throw new TypeError('sealPowChallenge: a scrypt challenge needs its parameters');
  // The algorithm and its parameters sit under the MAC: a client cannot trade a scrypt
  // challenge for the cheaper SHA-256 search, nor lower N. SHA-256 challenges keep the
  // nine fields they always had, so their strings look as before.
  return keyring.seal([...base, 'scrypt', String(c.scrypt.N), String(c.scrypt.r), String(c.scrypt.p)]);
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function openPowChallenge(keyring: Keyring, challenge: string): PowClaims | undefined {
  const f = keyring.open(challenge);
  if (f === undefined || (f.length !== 8 && f.length !== 9 && f.length !== 13)) return undefined;
  const [challengeId, sitekey, hostname, action, cdata, d, i, e, stateEpoch = ''] = f as [string, string, string, string, string, string, string, string, string?];
  if (!DECIMAL.test(d) || !DECIMAL.test(i) || !DECIMAL.test(e)) return undefined;
  const claims = { challengeId, sitekey, hostname, action, cdata, difficulty: Number(d), issuedAt: Number(i), expiresAt: Number(e), stateEpoch };
  if (f.length !== 13) return { ...claims, algorithm: 'sha256' };
  const [, , , , , , , , , algorithm, n, r, p] = f as string[];
  if (algorithm !== 'scrypt' || !DECIMAL.test(n!) || !DECIMAL.test(r!) || !DECIMAL.test(p!)) return undefined;
  const scrypt = { N: Number(n), r: Number(r), p: Number(p) };
  // Only this service seals challenges, but a key shared with an older or misconfigured
  // instance must still not make one verify cost unbounded memory.
  if (!scryptParamsValid(scrypt)) return undefined;
  return { ...claims, algorithm: 'scrypt', scrypt };
}

/** True when `nonce` solves the opened challenge under its own algorithm and difficulty. */
export function checkPowAnswer(challenge: string, nonce: string, claims: PowClaims): boolean {
  // Never a SHA-256 check for a scrypt claim, even one missing its parameters.
  if (claims.algorithm === 'scrypt') return claims.scrypt !== undefined && checkScryptSolution(challenge, nonce, claims.difficulty, claims.scrypt);
  return checkPowSolution(challenge, nonce, claims.difficulty);
}

/** True when SHA-256(UTF-8(`${challenge}:${nonce}`)) has at least `difficulty` leading zero bits. */
export function checkPowSolution(challenge: string, nonce: string, difficulty: number): boolean {
  const digest = sha256(`${challenge}:${nonce}`);
  return leadingZeroBits(digest) >= difficulty;
}

/**
 * Reference solver (what the widget does in the browser): the smallest non-negative
 * integer nonce that meets the difficulty. Expected 2^difficulty hashes.
 * Returns undefined after `maxIterations`.
 */
export function solvePow(challenge: string, difficulty: number, maxIterations = 2 ** 32): string | undefined {
  const prefix = `${challenge}:`;
  for (let nonce = 0; nonce < maxIterations; nonce++) {
    const digest = sha256(prefix + nonce);
    if (leadingZeroBits(digest) >= difficulty) return String(nonce);
  }
  return undefined;
}
