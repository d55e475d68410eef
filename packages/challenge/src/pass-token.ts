import type { ChallengeType } from './contract.js';
import type { Keyring } from './signed-envelope.js';

/** Claims carried by a pass token (all covered by the HMAC; nothing secret in them). */
export interface TokenClaims {
  /** Random id (base64url, 16 bytes): the one-time key. */
  readonly tokenId: string;
  readonly sitekey: string;
  readonly hostname: string;
  readonly action: string;
  readonly cdata: string;
  readonly type: ChallengeType;
  /** When the challenge was solved, epoch ms. */
  readonly challengeTs: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  /**
   * The state-store generation the token was minted in (see `ChallengeEngineOptions.stateEpoch`).
   * Tokens sealed before the field existed open with `''`.
   */
  readonly stateEpoch: string;
}

export function sealToken(keyring: Keyring, c: TokenClaims): string {
  return keyring.seal([c.tokenId, c.sitekey, c.hostname, c.action, c.cdata, c.type, String(c.challengeTs), String(c.expiresAt), c.stateEpoch]);
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function openToken(keyring: Keyring, token: string): TokenClaims | undefined {
  const f = keyring.open(token);
  // Eight fields: sealed before the state epoch existed; it opens as epoch '' (refused by any
  // engine that has an epoch, accepted by one that has none, as before).
  if (f === undefined || (f.length !== 8 && f.length !== 9)) return undefined;
  const [tokenId, sitekey, hostname, action, cdata, type, ts, exp, stateEpoch = ''] = f as [string, string, string, string, string, string, string, string, string?];
  if ((type !== 'slide' && type !== 'pow') || !DECIMAL.test(ts) || !DECIMAL.test(exp)) return undefined;
  return { tokenId, sitekey, hostname, action, cdata, type, challengeTs: Number(ts), expiresAt: Number(exp), stateEpoch };
}
