import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ChallengeError, describeValue } from './errors.js';

/**
 * Signed, unambiguous encoding of a list of string fields:
 *
 * ```
 * purpose u8 | version u8 | keyId 4 bytes | count u8 | (len u16be | utf8 bytes)* | HMAC-SHA256 (32 bytes)
 * ```
 *
 * base64url-encoded. The MAC covers every byte before it, and the key is derived per
 * purpose (`HMAC(secret, "hurdle/<purpose>/v1")`), so a proof-of-work challenge can never
 * pass as a token. Length prefixes make field boundaries unambiguous (no delimiter games).
 */
export const ENVELOPE_VERSION = 1;
const MAC_BYTES = 32;
const HEADER_BYTES = 7;

export type EnvelopePurpose = 'pow' | 'token' | 'probe';
const PURPOSE_TAG: Record<EnvelopePurpose, number> = { pow: 0x50, token: 0x54, probe: 0x42 };

interface DerivedKey {
  readonly id: Buffer;
  /** `id` as a big-endian u32: matched against an envelope's key id without a Buffer view. */
  readonly idValue: number;
  /** A KeyObject, imported once: a Buffer key would be copied into a new key on every HMAC. */
  readonly key: KeyObject;
}

/** A set of HMAC keys for one purpose: the first signs, all verify. */
export interface Keyring {
  seal(fields: readonly string[]): string;
  /** The fields, or undefined when malformed, forged, or signed by an unknown key. */
  open(value: string): string[] | undefined;
}

export function normaliseSecrets(secrets: unknown): Buffer[] {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `secrets: expected a non-empty array, got ${describeValue(secrets)}`);
  }
  return secrets.map((s: unknown, i) => {
    let buf: Buffer;
    if (typeof s === 'string') buf = Buffer.from(s, 'utf8');
    else if (s instanceof Uint8Array) buf = Buffer.from(s);
    else throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `secrets[${i}]: expected a string or Uint8Array, got ${describeValue(s)}`);
    if (buf.length < 16) {
      throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `secrets[${i}]: expected at least 16 bytes, got ${buf.length}`);
    }
    return buf;
  });
}

export function createKeyring(secrets: readonly Buffer[], purpose: EnvelopePurpose): Keyring {
  const keys: DerivedKey[] = secrets.map((secret) => {
    const id = createHmac('sha256', secret).update('hurdle/key-id').digest().subarray(0, 4);
    return { key: createSecretKey(createHmac('sha256', secret).update(`hurdle/${purpose}/v${ENVELOPE_VERSION}`).digest()), id, idValue: id.readUInt32BE(0) };
  });
  const signer = keys[0] as DerivedKey;
  const tag = PURPOSE_TAG[purpose];

  return {
    seal(fields) {
      // The fields are written straight into the envelope: no Buffer per field (a seal is on
      // every challenge and every pass).
      let size = HEADER_BYTES + MAC_BYTES;
      for (const f of fields) {
        const n = Buffer.byteLength(f, 'utf8');
        if (n > 0xffff) throw new RangeError('envelope field over 65535 bytes');
        size += 2 + n;
      }
      const buf = Buffer.allocUnsafe(size);
      buf[0] = tag;
      buf[1] = ENVELOPE_VERSION;
      signer.id.copy(buf, 2);
      buf[6] = fields.length;
      let o = HEADER_BYTES;
      for (const f of fields) {
        const n = buf.write(f, o + 2, 'utf8');
        buf.writeUInt16BE(n, o);
        o += 2 + n;
      }
      createHmac('sha256', signer.key).update(buf.subarray(0, o)).digest().copy(buf, o);
      return buf.toString('base64url');
    },
    open(value) {
      const buf = Buffer.from(value, 'base64url');
      // Reject non-canonical base64url (trailing bits, stray characters) so one envelope has one spelling.
      if (buf.length < HEADER_BYTES + MAC_BYTES || buf.toString('base64url') !== value) return undefined;
      if (buf[0] !== tag || buf[1] !== ENVELOPE_VERSION) return undefined;
      const body = buf.subarray(0, buf.length - MAC_BYTES);
      const mac = buf.subarray(buf.length - MAC_BYTES);
      const id = buf.readUInt32BE(2);
      let key: DerivedKey | undefined;
      for (const k of keys) {
        if (k.idValue === id) {
          key = k;
          break;
        }
      }
      if (key === undefined) return undefined;
      const expected = createHmac('sha256', key.key).update(body).digest();
      if (!timingSafeEqual(expected, mac)) return undefined;
      const count = buf[6] as number;
      const fields: string[] = [];
      let o = HEADER_BYTES;
      for (let i = 0; i < count; i++) {
        if (o + 2 > body.length) return undefined;
        const len = body.readUInt16BE(o);
        if (o + 2 + len > body.length) return undefined;
        fields.push(body.toString('utf8', o + 2, o + 2 + len));
        o += 2 + len;
      }
      return o === body.length ? fields : undefined;
    },
  };
}
