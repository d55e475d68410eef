import { scryptSync } from 'node:crypto';
import { leadingZeroBits } from './leading-zero-bits.js';

/** scrypt cost parameters (RFC 7914): CPU/memory cost `N`, block size `r`, parallelism `p`. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * The parameters scrypt challenges are issued with. One evaluation fills 128 · r · N bytes =
 * 512 KiB that its second half reads back in a data-dependent order, so a GPU or ASIC runs only
 * as many evaluations at once as its fast memory holds, and each is bound by memory latency
 * rather than by arithmetic. N = 1024 (1 MiB) would be stronger, but on the reference machine
 * Node's scrypt then costs 2.3-3.2 ms of CPU per evaluation, over the 2 ms budget of a verify;
 * N = 512 costs 1.3-1.7 ms (`npm run bench:challenge`: `scrypt_eval_ms`, `scrypt_verify_ms`).
 */
export const SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 512, r: 8, p: 1 });

/**
 * log2 of what one scrypt evaluation (at {@link SCRYPT_PARAMS}) costs the widget's browser
 * solver, counted in the SHA-256 hashes it would do in the same time. Difficulty stays in
 * SHA-256-equivalent bits (the site's setting, the risk engine's extra bits): a scrypt
 * challenge asks `difficulty - SCRYPT_COST_BITS` leading zero bits of the scrypt output, so a
 * visitor's browser spends about what the SHA-256 challenge of that difficulty would cost it.
 * Measured in headless Chromium (the widget's worker: SHA-256 hashes per second over scrypt
 * evaluations per second, log2 10.5-11.7 over five runs) and in Node (10.5); see the package README.
 */
export const SCRYPT_COST_BITS = 11;

/**
 * How many answers one scrypt challenge may have checked (each an evaluation): a right one
 * after a slip or two, never a flood of wrong or replayed nonces at ~1.5 ms of CPU each.
 */
export const SCRYPT_VERIFIES_PER_CHALLENGE = 3;

/** Leading zero bits a scrypt challenge of `difficulty` SHA-256-equivalent bits asks of its digest. */
export function scryptBits(difficulty: number): number {
  return Math.max(0, difficulty - SCRYPT_COST_BITS);
}

/** Whether `params` are ones a verify may run: N a power of two in [2, 2^16], r in [1, 16], p in [1, 4]. */
export function scryptParamsValid(params: ScryptParams): boolean {
  const { N, r, p } = params;
  return Number.isInteger(N) && N >= 2 && N <= 65536 && (N & (N - 1)) === 0
    && Number.isInteger(r) && r >= 1 && r <= 16 && Number.isInteger(p) && p >= 1 && p <= 4;
}

/** scrypt(P = UTF-8(`nonce`), S = UTF-8(`challenge`), N, r, p, dkLen = 32). */
export function scryptDigest(challenge: string, nonce: string, params: ScryptParams): Buffer {
  // Synchronous on purpose: the ~1.4 ms lands on the event loop, where the admission
  // control's lag measure sees it and sheds, instead of queueing unseen in libuv's pool.
  return scryptSync(Buffer.from(nonce, 'utf8'), Buffer.from(challenge, 'utf8'), 32, {
    N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p + 1024 * 1024,
  });
}

/** True when the scrypt digest of `nonce` over `challenge` has at least `bits` leading zero bits. */
export function checkScryptSolution(challenge: string, nonce: string, bits: number, params: ScryptParams): boolean {
  return leadingZeroBits(scryptDigest(challenge, nonce, params)) >= bits;
}

/**
 * Reference solver (what the widget does): the smallest non-negative integer nonce whose scrypt
 * digest has `bits` leading zero bits; expected 2^bits evaluations. Undefined after `maxIterations`.
 */
export function solveScryptPow(challenge: string, bits: number, params: ScryptParams = SCRYPT_PARAMS, maxIterations = 2 ** 20): string | undefined {
  for (let nonce = 0; nonce < maxIterations; nonce++) {
    if (checkScryptSolution(challenge, String(nonce), bits, params)) return String(nonce);
  }
  return undefined;
}
