/** Shapes of challenge ids: `s.<22 base64url>.<expiresAt base36>` for slides, the signed envelope for PoW. */
import { ChallengeError, describeValue } from './errors.js';

/** Slide id; group 1 is the expiry time (epoch ms, base 36). */
export const SLIDE_ID_RE = /^s\.[A-Za-z0-9_-]{22}\.([0-9a-z]{1,11})$/;
/** PoW id: the base64url signed challenge envelope. */
export const POW_ID_RE = /^[A-Za-z0-9_-]{40,2048}$/;

/** What an id's shape says. */
export type ParsedChallengeId = { readonly kind: 'slide'; /** Epoch ms. */ readonly expiresAt: number } | { readonly kind: 'pow' };

/**
 * Tell the kind of a challenge id from its shape; a slide id also carries its expiry.
 * Throws CHALLENGE_ERR_BAD_ID for anything else (the message gives only the length of a string).
 */
export function parseChallengeId(id: unknown): ParsedChallengeId {
  if (typeof id === 'string') {
    const m = SLIDE_ID_RE.exec(id);
    if (m !== null) return { kind: 'slide', expiresAt: Number.parseInt(m[1] as string, 36) };
    if (POW_ID_RE.test(id)) return { kind: 'pow' };
  }
  throw new ChallengeError('CHALLENGE_ERR_BAD_ID', `id: expected a challenge id string, got ${describeValue(typeof id === 'string' ? `string(${id.length})` : id)}`);
}
