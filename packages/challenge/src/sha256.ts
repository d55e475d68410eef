/**
 * SHA-256 of short strings on the request path (the proof-of-work check) and in the
 * reference solver. `crypto.hash` (Node >= 20.12) is one call into OpenSSL: no Hash object,
 * no stream machinery behind it, about a third less CPU than `createHash().update().digest()`
 * on a challenge-sized input. Older Node (the engines field allows 20.10) falls back.
 */
import * as crypto from 'node:crypto';

/** SHA-256 of the UTF-8 bytes of `text`, 32 bytes. */
export const sha256: (text: string) => Buffer = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'buffer')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

