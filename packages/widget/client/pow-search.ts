import { sha256 } from './sha256.js';

/**
 * The proof-of-work search of the HTTP contract: the smallest non-negative integer `nonce`
 * such that SHA-256(UTF-8(`${challenge}:${nonce}`)) has at least `difficulty` leading zero bits.
 * Runs in slices so the caller (a Web Worker, or the page as a fallback) can report progress.
 */
export class PowSearch {
  /** Nonces tried so far. */
  attempts = 0;
  readonly #prefixLength: number;
  readonly #buf: Uint8Array;
  readonly #digest = new Int32Array(8);
  readonly #difficulty: number;
  #next = 0;

  constructor(challenge: string, difficulty: number) {
    const prefix = new TextEncoder().encode(`${challenge}:`);
    this.#prefixLength = prefix.length;
    // 16 nonce digits + 9 bytes of padding, rounded up to whole blocks.
    this.#buf = new Uint8Array(Math.ceil((prefix.length + 16 + 9) / 64) * 64 + 64);
    this.#buf.set(prefix);
    this.#difficulty = Math.max(0, Math.min(256, Math.floor(difficulty)));
  }

  /** Tries up to `count` further nonces; returns the solution as a decimal string, or undefined. */
  run(count: number): string | undefined {
    const buf = this.#buf, out = this.#digest, p = this.#prefixLength;
    const words = this.#difficulty >>> 5, rest = this.#difficulty & 31;
    for (let n = 0; n < count; n++) {
      const nonce = this.#next++;
      let len = p;
      const digits = String(nonce);
      for (let i = 0; i < digits.length; i++) buf[len++] = digits.charCodeAt(i);
      sha256(buf, len, out);
      this.attempts++;
      let ok = true;
      for (let w = 0; w < words; w++) if (out[w] !== 0) { ok = false; break; }
      if (ok && rest > 0 && (out[words]! >>> (32 - rest)) !== 0) ok = false;
      if (ok) return digits;
    }
    return undefined;
  }
}

/** Expected share of the work done after `attempts` tries at `difficulty` bits, in [0, 1). */
export function powProgress(attempts: number, difficulty: number): number {
  return 1 - Math.exp(-attempts / 2 ** difficulty);
}
