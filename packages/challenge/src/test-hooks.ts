/**
 * Answers of live challenges, for end-to-end tests only. This is deliberately not part of
 * {@link ChallengeEngine}: a production engine has no way to hand out an answer. The server
 * builds this object only when its `testHooks` option is on.
 *
 * It needs what any engine of the deployment holds (the store and the HMAC secrets), so it
 * finds challenges issued by any worker or machine.
 */
import { POW_ID_RE, SLIDE_ID_RE } from './challenge-id.js';
import type { ChallengeStore } from './challenge-store.js';
import type { ChallengeAnswer } from './contract.js';
import { invalid } from './engine-options.js';
import { checkPowAnswer, openPowChallenge } from './proof-of-work.js';
import type { PowClaims } from './proof-of-work.js';
import { createKeyring, normaliseSecrets } from './signed-envelope.js';
import type { SlideRecord } from './slide-record.js';
import { slideRecordKey } from './slide-record.js';

export interface ChallengeTestHooksOptions {
  readonly store: ChallengeStore;
  /** The current HMAC secrets (read at each call, so key rotation is followed). */
  readonly secrets: () => readonly (string | Uint8Array)[];
  /** The engine's `keyPrefix`. @default 'hc:' */
  readonly keyPrefix?: string | undefined;
  /** Give up on a PoW after this many hashes. @default 2^28 */
  readonly maxPowIterations?: number | undefined;
}

export interface ChallengeTestHooks {
  /** The answer of a live challenge (a solved nonce for pow); undefined when unknown or expired. */
  peekAnswer(id: string): Promise<ChallengeAnswer | undefined>;
}

// Hashes between yields, so solving a PoW never holds the event loop for long.
const POW_CHUNK = 4096;

export function createChallengeTestHooks(options: ChallengeTestHooksOptions): ChallengeTestHooks {
  const { store, secrets } = options;
  if (typeof store !== 'object' || store === null || typeof store.get !== 'function') throw invalid('store', 'a ChallengeStore', store);
  if (typeof secrets !== 'function') throw invalid('secrets', 'a function returning the HMAC secrets', secrets);
  const keyPrefix = options.keyPrefix ?? 'hc:';
  const maxIterations = options.maxPowIterations ?? 2 ** 28;

  async function solve(id: string, claims: PowClaims): Promise<string | undefined> {
    // A scrypt evaluation costs thousands of hashes: yield as often in time, not in count.
    const chunk = claims.algorithm === 'scrypt' ? 1 : POW_CHUNK;
    for (let nonce = 0; nonce < maxIterations; nonce++) {
      if (checkPowAnswer(id, String(nonce), claims)) return String(nonce);
      if (nonce % chunk === chunk - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    return undefined;
  }

  return Object.freeze({
    async peekAnswer(id: string) {
      if (typeof id !== 'string') return undefined;
      if (SLIDE_ID_RE.test(id)) {
        const raw = await store.get(slideRecordKey(keyPrefix, id));
        return raw === undefined ? undefined : { x: (JSON.parse(raw) as SlideRecord).x };
      }
      if (!POW_ID_RE.test(id)) return undefined;
      const claims = openPowChallenge(createKeyring(normaliseSecrets(secrets()), 'pow'), id);
      if (claims === undefined) return undefined;
      const nonce = await solve(id, claims);
      return nonce === undefined ? undefined : { nonce };
    },
  });
}
