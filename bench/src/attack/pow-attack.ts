import { createHash } from 'node:crypto';
import { leadingZeroBits } from '@hurdle/challenge';
import type { TrialOutcome } from './attack-run.js';
import type { ApiClient } from './api-client.js';

/**
 * The documented search (smallest nonce such that SHA-256(`${challenge}:${nonce}`) has
 * `difficulty` leading zero bits) with Node's native SHA-256: faster than the widget's
 * JavaScript hash, so it is what a bot would run. Gives up after `maxHashes`.
 */
export function solvePowNative(challenge: string, difficulty: number, maxHashes = 2 ** 28): string | undefined {
  const prefix = `${challenge}:`;
  for (let nonce = 0; nonce < maxHashes; nonce++) {
    if (leadingZeroBits(createHash('sha256').update(prefix + nonce, 'utf8').digest()) >= difficulty) return String(nonce);
  }
  return undefined;
}

/** One token through the puzzle-free path: a `pow` challenge on a slide+pow site, solved here. */
export async function powTrial(api: ApiClient, sitekey: string): Promise<TrialOutcome> {
  const c = await api.challenge(sitekey, 'pow');
  if (c.pow === undefined) throw new Error('pow challenge without a pow payload');
  const nonce = solvePowNative(c.pow.challenge, c.pow.difficulty);
  if (nonce === undefined) return { verifies: 0, codes: ['gave_up'] };
  const r = await api.verify({ id: c.id, answer: { nonce } });
  return r.success && r.token !== undefined ? { token: r.token, verifies: 1, codes: [] } : { verifies: 1, codes: [r.code ?? 'unknown'] };
}
