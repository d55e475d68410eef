// scrypt (RFC 7914) for the proof-of-work search: PBKDF2-HMAC-SHA256 around salsa20/8 ROMix.
// Web Crypto has no scrypt, and its PBKDF2 is asynchronous; this one is synchronous and keeps
// its 128 · r · N bytes of memory from one evaluation to the next.
import { sha256 } from './sha256.js';

function putWords(words: Int32Array, out: Uint8Array, at: number): void {
  for (let i = 0; i < 8; i++) {
    const w = words[i]!;
    out[at + 4 * i] = w >>> 24; out[at + 4 * i + 1] = w >>> 16; out[at + 4 * i + 2] = w >>> 8; out[at + 4 * i + 3] = w;
  }
}

/** HMAC-SHA256 of `msg` under `key`, written to `out[at .. at + 32)`. */
function hmac(key: Uint8Array, msg: Uint8Array, out: Uint8Array, at: number): void {
  const digest = new Int32Array(8);
  let k = key;
  if (k.length > 64) {
    const buf = new Uint8Array(Math.ceil((k.length + 9) / 64) * 64);
    buf.set(k);
    sha256(buf, k.length, digest);
    k = new Uint8Array(32);
    putWords(digest, k, 0);
  }
  const inner = new Uint8Array(Math.ceil((64 + msg.length + 9) / 64) * 64);
  const outer = new Uint8Array(128);
  for (let i = 0; i < 64; i++) {
    const b = k[i] ?? 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  inner.set(msg, 64);
  sha256(inner, 64 + msg.length, digest);
  putWords(digest, outer, 64);
  sha256(outer, 96, digest);
  const full = new Uint8Array(32);
  putWords(digest, full, 0);
  out.set(full.subarray(0, Math.min(32, out.length - at)), at);
}

/** PBKDF2-HMAC-SHA256 with one iteration (all scrypt asks of it): `dkLen` bytes. */
function pbkdf2(password: Uint8Array, salt: Uint8Array, dkLen: number): Uint8Array {
  const out = new Uint8Array(dkLen);
  const msg = new Uint8Array(salt.length + 4);
  msg.set(salt);
  for (let block = 1, at = 0; at < dkLen; block++, at += 32) {
    msg[salt.length] = block >>> 24; msg[salt.length + 1] = block >>> 16; msg[salt.length + 2] = block >>> 8; msg[salt.length + 3] = block;
    hmac(password, msg, out, at);
  }
  return out;
}

const R = (a: number, b: number): number => (a << b) | (a >>> (32 - b));

/**
 * One step of BlockMix: `t := salsa20/8(t XOR src[so .. so + 16))`, also written to
 * `dst[dO .. dO + 16)`. Fused, so each block is read and written once.
 */
function salsaXor(t: Int32Array, src: Int32Array, so: number, dst: Int32Array, dO: number): void {
  const j0 = t[0]! ^ src[so]!, j1 = t[1]! ^ src[so + 1]!, j2 = t[2]! ^ src[so + 2]!, j3 = t[3]! ^ src[so + 3]!;
  const j4 = t[4]! ^ src[so + 4]!, j5 = t[5]! ^ src[so + 5]!, j6 = t[6]! ^ src[so + 6]!, j7 = t[7]! ^ src[so + 7]!;
  const j8 = t[8]! ^ src[so + 8]!, j9 = t[9]! ^ src[so + 9]!, j10 = t[10]! ^ src[so + 10]!, j11 = t[11]! ^ src[so + 11]!;
  const j12 = t[12]! ^ src[so + 12]!, j13 = t[13]! ^ src[so + 13]!, j14 = t[14]! ^ src[so + 14]!, j15 = t[15]! ^ src[so + 15]!;
  let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
  let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15;
  for (let i = 0; i < 8; i += 2) {
    x4 ^= R(x0 + x12, 7); x8 ^= R(x4 + x0, 9); x12 ^= R(x8 + x4, 13); x0 ^= R(x12 + x8, 18);
    x9 ^= R(x5 + x1, 7); x13 ^= R(x9 + x5, 9); x1 ^= R(x13 + x9, 13); x5 ^= R(x1 + x13, 18);
    x14 ^= R(x10 + x6, 7); x2 ^= R(x14 + x10, 9); x6 ^= R(x2 + x14, 13); x10 ^= R(x6 + x2, 18);
    x3 ^= R(x15 + x11, 7); x7 ^= R(x3 + x15, 9); x11 ^= R(x7 + x3, 13); x15 ^= R(x11 + x7, 18);
    x1 ^= R(x0 + x3, 7); x2 ^= R(x1 + x0, 9); x3 ^= R(x2 + x1, 13); x0 ^= R(x3 + x2, 18);
    x6 ^= R(x5 + x4, 7); x7 ^= R(x6 + x5, 9); x4 ^= R(x7 + x6, 13); x5 ^= R(x4 + x7, 18);
    x11 ^= R(x10 + x9, 7); x8 ^= R(x11 + x10, 9); x9 ^= R(x8 + x11, 13); x10 ^= R(x9 + x8, 18);
    x12 ^= R(x15 + x14, 7); x13 ^= R(x12 + x15, 9); x14 ^= R(x13 + x12, 13); x15 ^= R(x14 + x13, 18);
  }
  dst[dO] = t[0] = x0 + j0; dst[dO + 1] = t[1] = x1 + j1; dst[dO + 2] = t[2] = x2 + j2; dst[dO + 3] = t[3] = x3 + j3;
  dst[dO + 4] = t[4] = x4 + j4; dst[dO + 5] = t[5] = x5 + j5; dst[dO + 6] = t[6] = x6 + j6; dst[dO + 7] = t[7] = x7 + j7;
  dst[dO + 8] = t[8] = x8 + j8; dst[dO + 9] = t[9] = x9 + j9; dst[dO + 10] = t[10] = x10 + j10; dst[dO + 11] = t[11] = x11 + j11;
  dst[dO + 12] = t[12] = x12 + j12; dst[dO + 13] = t[13] = x13 + j13; dst[dO + 14] = t[14] = x14 + j14; dst[dO + 15] = t[15] = x15 + j15;
}

/** scrypt with fixed N, r, p: `(password, salt, dkLen) => key`, reusing its memory between calls. */
export type Scrypt = (password: Uint8Array, salt: Uint8Array, dkLen: number) => Uint8Array;

/** A scrypt function for cost `N` (a power of two > 1), block size `r` and parallelism `p`. */
export function createScrypt(N: number, r: number, p: number): Scrypt {
  const words = 32 * r;
  const V = new Int32Array(words * N);
  let X = new Int32Array(words);
  let Y = new Int32Array(words);
  const T = new Int32Array(16);

  // BlockMix: X := the salsa chain over X's 2r blocks, even outputs first, then the odd ones
  // (written to Y, which then becomes X: no copy).
  const blockMix = (): void => {
    T.set(X.subarray(words - 16));
    for (let i = 0; i < 2 * r; i++) salsaXor(T, X, 16 * i, Y, 16 * ((i >> 1) + (i & 1) * r));
    const swap = X;
    X = Y;
    Y = swap;
  };

  return (password, salt, dkLen) => {
    const B = pbkdf2(password, salt, 128 * r * p);
    for (let part = 0; part < p; part++) {
      const base = part * 128 * r;
      for (let i = 0; i < words; i++) {
        const o = base + 4 * i;
        X[i] = B[o]! | (B[o + 1]! << 8) | (B[o + 2]! << 16) | (B[o + 3]! << 24);
      }
      for (let i = 0; i < N; i++) {
        V.set(X, i * words);
        blockMix();
      }
      for (let i = 0; i < N; i++) {
        const j = (X[words - 16]! & (N - 1)) * words;
        for (let k = 0; k < words; k++) X[k]! ^= V[j + k]!;
        blockMix();
      }
      for (let i = 0; i < words; i++) {
        const w = X[i]!, o = base + 4 * i;
        B[o] = w; B[o + 1] = w >>> 8; B[o + 2] = w >>> 16; B[o + 3] = w >>> 24;
      }
    }
    return pbkdf2(password, B, dkLen);
  };
}
