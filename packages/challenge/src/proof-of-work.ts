import { sha256 } from './sha256.js';
import type { Keyring } from './signed-envelope.js';

/** Fields bound into a proof-of-work challenge string (all covered by the HMAC). */
export interface PowClaims {
  /** Random id (base64url, 16 bytes) used as the one-time key. */
  readonly challengeId: string;
  readonly sitekey: string;
  readonly hostname: string;
  readonly action: string;
  readonly cdata: string;
  /** Leading zero bits required. */
  readonly difficulty: number;
  /** Epoch ms. */
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** The state-store generation the challenge was issued in; `''` for challenges sealed before the field existed. */
  readonly stateEpoch: string;
}

export function sealPowChallenge(keyring: Keyring, c: PowClaims): string {
  return keyring.seal([
    c.challengeId,
    c.sitekey,
    c.hostname,
    c.action,
    c.cdata,
    String(c.difficulty),
    String(c.issuedAt),
    String(c.expiresAt),
    c.stateEpoch,
  ]);
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function openPowChallenge(keyring: Keyring, challenge: string): PowClaims | undefined {
  const f = keyring.open(challenge);
  if (f === undefined || (f.length !== 8 && f.length !== 9)) return undefined;
  const [challengeId, sitekey, hostname, action, cdata, d, i, e, stateEpoch = ''] = f as [string, string, string, string, string, string, string, string, string?];
  if (!DECIMAL.test(d) || !DECIMAL.test(i) || !DECIMAL.test(e)) return undefined;
  return { challengeId, sitekey, hostname, action, cdata, difficulty: Number(d), issuedAt: Number(i), expiresAt: Number(e), stateEpoch };
}

/** Number of leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
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
