/**
 * The deterministic checks of the browser probe: per-challenge inputs drawn from the probe's
 * seed, and the exact output a real browser gives for them, computed here in Node. The widget
 * (packages/widget/client/browser-probe.ts) derives the same inputs with the same generator and
 * runs them through the DOM, canvas, JS engine, Intl and Web Crypto.
 *
 * Every check is chosen so that its browser result is exact in Chromium and Firefox: integer CSS
 * pixel boxes read as offset sizes (whole px, untouched by a page's transforms or zoom snapping), solid canvas fills
 * on whole pixels (no anti-aliasing, no text), integer and correctly rounded IEEE arithmetic,
 * number formats ICU has spelled the same way for years, and SHA-256 of UTF-8 bytes.
 */
import { createHash } from 'node:crypto';

/** The checks a probe may ask for, by one-letter code (the sealed order is a string of these). */
export const PROBE_CHECKS = Object.freeze(['layout', 'canvas', 'math', 'intl', 'digest'] as const);
export type ProbeCheck = (typeof PROBE_CHECKS)[number];

/** mulberry32: small, exact in 32-bit integer arithmetic on both sides. Returns u32 values. */
export function probeRandom(seed: number, check: ProbeCheck): () => number {
  let a = (seed ^ Math.imul(PROBE_CHECKS.indexOf(check) + 1, 0x9e3779b9)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A hidden box: content `w` x `h` CSS px, padding `p`, border `b`, and a child with margin-left `m`. */
export function layoutInput(seed: number): { w: number; h: number; p: number; b: number; m: number } {
  const r = probeRandom(seed, 'layout');
  return { w: 20 + (r() % 200), h: 10 + (r() % 100), p: r() % 20, b: r() % 8, m: r() % 30 };
}

/** An 8 x 8 canvas filled with `bg`, then a `w` x `h` rectangle of `fg` at (`x`, `y`). */
export function canvasInput(seed: number): { bg: number[]; fg: number[]; x: number; y: number; w: number; h: number } {
  const r = probeRandom(seed, 'canvas');
  return { bg: [r() % 256, r() % 256, r() % 256], fg: [r() % 256, r() % 256, r() % 256], x: r() % 4, y: r() % 4, w: 1 + (r() % 4), h: 1 + (r() % 4) };
}

/** Two integers for the arithmetic check: `a` a u32, `b` in [1, 1000]. */
export function mathInput(seed: number): { a: number; b: number } {
  const r = probeRandom(seed, 'math');
  return { a: r(), b: 1 + (r() % 1000) };
}

export function intlInput(seed: number): { n: number } {
  return { n: probeRandom(seed, 'intl')() };
}

/** The text whose UTF-8 bytes are hashed: ASCII, a 2-byte, a 3-byte and a 4-byte character. */
export function digestInput(seed: number, nonce: string): string {
  const r = probeRandom(seed, 'digest');
  return `${seed}:${nonce}:${String.fromCodePoint(0xe0 + (r() % 32), 0x20ac, 0x1f600 + (r() % 64))}`;
}

const rgba = (c: readonly number[]): string => `${c.join(',')},255`;

/** What a real browser answers for one check (the server's side of the comparison). */
export function expectedProbeOutput(check: ProbeCheck, seed: number, nonce: string): string {
  switch (check) {
    case 'layout': {
      const { w, h, p, b, m } = layoutInput(seed);
      // offsetWidth/Height (border box), the child's offsetLeft (from the padding edge), clientLeft (the border).
      return `${w + 2 * p + 2 * b}x${h + 2 * p + 2 * b}+${p + m}+${b}`;
    }
    case 'canvas': {
      const { bg, fg, w, h } = canvasInput(seed);
      const same = bg.every((v, i) => v === fg[i]);
      return `${same ? 64 : w * h}:${rgba(fg)}:${rgba(bg)}`;
    }
    case 'math': {
      const { a, b } = mathInput(seed);
      return `${Math.imul(a, b) >>> 0}.${Math.clz32(a)}.${(a % 1000003).toString(36)}.${(a / 1024).toFixed(4)}.${Math.sqrt(b * b)}.${Math.round(a / b)}`;
    }
    case 'intl': {
      const { n } = intlInput(seed);
      const de = new Intl.NumberFormat('de-DE', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n / 100);
      const day = new Date(Date.UTC(1970 + (n % 100), n % 12, 1 + (n % 28)));
      return `${new Intl.NumberFormat('en-US').format(n)}|${de}|${day.toISOString().slice(0, 10)}|${day.getUTCDay()}`;
    }
    case 'digest':
      return createHash('sha256').update(digestInput(seed, nonce), 'utf8').digest('hex').slice(0, 32);
  }
}
