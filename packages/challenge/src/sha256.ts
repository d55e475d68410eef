/**
 * SHA-256 of short strings on the request path (the proof-of-work check) and in the
 * reference solver. `crypto.hash` (Node >= 20.12) is one call into OpenSSL: no Hash object,
 * no stream machinery behind it, about a third less CPU than `createHash().update().digest()`
 * on a challenge-sized input. Older Node (the engines field allows 20.10) falls back.
 */
import * as crypto from 'node:crypto';

const oneShot = typeof crypto.hash === 'function';

/** SHA-256 of the UTF-8 bytes of `text`, 32 bytes. */
export const sha256: (text: string) => Buffer = oneShot
  ? (text) => crypto.hash('sha256', text, 'buffer')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

/** SHA-256 of the UTF-8 bytes of `text` as hex or base64url text (the server's secret hashes and store keys). */
export const sha256Text: (text: string, encoding: 'hex' | 'base64url') => string = oneShot
  ? (text, encoding) => crypto.hash('sha256', text, encoding)
  : (text, encoding) => crypto.createHash('sha256').update(text, 'utf8').digest(encoding);

