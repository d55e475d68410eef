import { createScrypt, type Scrypt } from './scrypt.js';

/** scrypt cost parameters of a challenge (`pow.N`, `pow.r`, `pow.p`). */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * The scrypt proof-of-work search of the HTTP contract: the smallest non-negative integer
 * `nonce` such that scrypt(P = UTF-8(nonce), S = UTF-8(challenge), N, r, p, 32) has at least
 * `difficulty` leading zero bits. Same shape as PowSearch, so the worker runs either.
 */
export class ScryptSearch {
  /** Nonces tried so far. */
  attempts = 0;
  readonly #salt: Uint8Array;
  readonly #scrypt: Scrypt;
  readonly #difficulty: number;
  readonly #encoder = new TextEncoder();
  #next = 0;

  constructor(challenge: string, difficulty: number, cost: ScryptCost) {
    this.#salt = this.#encoder.encode(challenge);
    this.#scrypt = createScrypt(cost.N, cost.r, cost.p);
    this.#difficulty = Math.max(0, Math.min(256, Math.floor(difficulty)));
  }

  /** Tries up to `count` further nonces; returns the solution as a decimal string, or undefined. */
  run(count: number): string | undefined {
    for (let n = 0; n < count; n++) {
      const digits = String(this.#next++);
      const key = this.#scrypt(this.#encoder.encode(digits), this.#salt, 32);
      this.attempts++;
      let bits = this.#difficulty, i = 0;
      while (bits >= 8 && key[i] === 0) { bits -= 8; i++; }
      if (bits < 8 && (bits === 0 || (key[i]! >>> (8 - bits)) === 0)) return digits;
    }
    return undefined;
  }
}
