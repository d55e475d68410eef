/**
 * Gap finders an attacker who has read the source would write against the slide puzzle,
 * working only on what a client receives: the decoded background, the decoded piece (with
 * alpha) and `pieceY`. Each returns its best guess of the piece's left edge x. Used by
 * `template-matching.test.ts` to measure how often template matching finds the answer.
 */
import { createCanvas, loadImage } from '@napi-rs/canvas';

/** Decoded pixels: RGBA, row-major. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Decodes a data: URL (or raw bytes) into RGBA pixels. */
export async function decodePixels(src: string | Buffer): Promise<Pixels> {
  const bytes = typeof src === 'string' ? Buffer.from(src.slice(src.indexOf(',') + 1), 'base64') : src;
  const img = await loadImage(bytes);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height);
  return { width: img.width, height: img.height, data: d.data };
}

/** Luma in [0, 255]. */
function gray(p: Pixels): Float64Array {
  const out = new Float64Array(p.width * p.height);
  for (let i = 0; i < out.length; i++) {
    out[i] = 0.299 * (p.data[i * 4] as number) + 0.587 * (p.data[i * 4 + 1] as number) + 0.114 * (p.data[i * 4 + 2] as number);
  }
  return out;
}

function channel(p: Pixels, c: number): Float64Array {
  const out = new Float64Array(p.width * p.height);
  for (let i = 0; i < out.length; i++) out[i] = p.data[i * 4 + c] as number;
  return out;
}

function alpha(p: Pixels): Float64Array {
  return channel(p, 3);
}

/** Separable Gaussian blur (sigma in pixels), edges clamped. */
function blur(src: Float64Array, w: number, h: number, sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(sigma * 2.5));
  const k: number[] = [];
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k.push(v);
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) / sum;
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += (k[i + r] as number) * (src[y * w + Math.min(w - 1, Math.max(0, x + i))] as number);
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += (k[i + r] as number) * (tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x] as number);
      out[y * w + x] = acc;
    }
  }
  return out;
}

/** Sobel gradients (edges clamped). */
function sobel(src: Float64Array, w: number, h: number): { gx: Float64Array; gy: Float64Array } {
  const gx = new Float64Array(w * h);
  const gy = new Float64Array(w * h);
  const at = (x: number, y: number): number => src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))] as number;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      gx[y * w + x] = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      gy[y * w + x] = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
    }
  }
  return { gx, gy };
}

/** Mask of piece pixels at least `erode` px inside the outline (drops the anti-aliased rim and stroke). */
function innerMask(piece: Pixels, erode: number): Uint8Array {
  const a = alpha(piece);
  const { width: w, height: h } = piece;
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let ok = true;
      for (let dy = -erode; dy <= erode && ok; dy++) {
        for (let dx = -erode; dx <= erode && ok; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || (a[yy * w + xx] as number) < 250) ok = false;
        }
      }
      if (ok) m[y * w + x] = 1;
    }
  }
  return m;
}

function argmax(scores: Float64Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if ((scores[i] as number) > (scores[best] as number)) best = i;
  return best;
}

/**
 * Normalised cross-correlation of the piece's opaque pixels against the background window
 * at (x, pieceY), for every x; per channel (luma only when `colour` is false), summed.
 * Invariant to any gain and offset of the piece's brightness.
 */
export function nccScores(bg: Pixels, piece: Pixels, pieceY: number, colour: boolean): Float64Array {
  const mask = innerMask(piece, 2);
  const idx: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) idx.push(i);
  const planes = colour ? [0, 1, 2].map((c) => [channel(piece, c), channel(bg, c)] as const) : [[gray(piece), gray(bg)] as const];
  const n = idx.length;
  const xs = bg.width - piece.width + 1;
  const scores = new Float64Array(xs);
  for (const [pp, bp] of planes) {
    let mean = 0;
    for (const i of idx) mean += pp[i] as number;
    mean /= n;
    const tpl = idx.map((i) => (pp[i] as number) - mean);
    let tplNorm = 0;
    for (const v of tpl) tplNorm += v * v;
    const offs = idx.map((i) => Math.floor(i / piece.width) * bg.width + (i % piece.width));
    for (let x = 0; x < xs; x++) {
      const base = pieceY * bg.width + x;
      let s = 0;
      let s2 = 0;
      let cross = 0;
      for (let k = 0; k < n; k++) {
        const b = bp[base + (offs[k] as number)] as number;
        s += b;
        s2 += b * b;
        cross += (tpl[k] as number) * b;
      }
      const varB = s2 - (s * s) / n;
      scores[x] = (scores[x] as number) + (varB > 1e-9 && tplNorm > 1e-9 ? cross / Math.sqrt(varB * tplNorm) : 0);
    }
  }
  return scores;
}

/** Best x by normalised cross-correlation (luma or colour). */
export function nccGapFinder(bg: Pixels, piece: Pixels, pieceY: number, colour = false): number {
  return argmax(nccScores(bg, piece, pieceY, colour));
}

/** Outline template: points on the piece's alpha edge with their unit normals. */
function outlineTemplate(piece: Pixels): { x: number[]; y: number[]; nx: number[]; ny: number[] } {
  const { width: w, height: h } = piece;
  const a = blur(alpha(piece), w, h, 1);
  const { gx, gy } = sobel(a, w, h);
  let peak = 0;
  for (let i = 0; i < gx.length; i++) peak = Math.max(peak, Math.hypot(gx[i] as number, gy[i] as number));
  const t = { x: [] as number[], y: [] as number[], nx: [] as number[], ny: [] as number[] };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const m = Math.hypot(gx[i] as number, gy[i] as number);
      if (m > peak * 0.5) {
        t.x.push(x);
        t.y.push(y);
        t.nx.push((gx[i] as number) / m);
        t.ny.push((gy[i] as number) / m);
      }
    }
  }
  return t;
}

/**
 * Edge/outline matcher, robust to blur and brightness: the background's luma is blurred
 * (sigma 1.2 px) and Sobel-differentiated; at every x the score is how much of the gradient
 * energy on the piece outline lies along the outline's normals, normalised by that energy
 * (so a brighter or higher-contrast picture scores the same); `oriented` false scores the
 * plain gradient magnitude on the outline instead.
 */
export function edgeScores(bg: Pixels, piece: Pixels, pieceY: number, oriented: boolean): Float64Array {
  const t = outlineTemplate(piece);
  const { width: w, height: h } = bg;
  const g = blur(gray(bg), w, h, 1.2);
  const { gx, gy } = sobel(g, w, h);
  const mag = new Float64Array(w * h);
  let meanMag = 0;
  for (let i = 0; i < mag.length; i++) {
    mag[i] = Math.hypot(gx[i] as number, gy[i] as number);
    meanMag += mag[i] as number;
  }
  meanMag /= mag.length;
  const xs = w - piece.width + 1;
  const scores = new Float64Array(xs);
  const n = t.x.length;
  for (let x = 0; x < xs; x++) {
    let along = 0;
    let energy = 0;
    for (let k = 0; k < n; k++) {
      const i = (pieceY + (t.y[k] as number)) * w + x + (t.x[k] as number);
      const m = mag[i] as number;
      along += oriented ? Math.abs((t.nx[k] as number) * (gx[i] as number) + (t.ny[k] as number) * (gy[i] as number)) : m;
      energy += m;
    }
    // Oriented: the share of the gradient energy that lies along the outline's normals is
    // brightness-invariant; the extra term in the denominator keeps flat patches, where a
    // few noise gradients happen to align, from winning. Plain: mean gradient magnitude on
    // the outline relative to the whole image's.
    scores[x] = oriented ? along / (energy + n * meanMag * 0.25) : along / (n * meanMag);
  }
  return scores;
}

/** Best x by the outline matcher. */
export function edgeGapFinder(bg: Pixels, piece: Pixels, pieceY: number, oriented = true): number {
  return argmax(edgeScores(bg, piece, pieceY, oriented));
}

/**
 * Scene continuity across the piece's border — the cue a person uses: for every x, the
 * piece's pixels just inside its outline against the background's pixels just outside the
 * hole's outline at the same border point (a few px further out along the normal), compared by
 * per-channel normalised correlation (so a colour or contrast change of the piece does not
 * hide the match). High where the picture continues across the border.
 */
export function continuityScores(bg: Pixels, piece: Pixels, pieceY: number): Float64Array {
  const t = outlineTemplate(piece);
  const { width: w, height: h } = bg;
  const pw = piece.width;
  const inner: number[][] = [[], [], []];
  const outerOff: number[] = [];
  const a = alpha(piece);
  const pairs: number[] = [];
  for (let k = 0; k < t.x.length; k += 2) {
    // The alpha gradient points inwards (alpha rises into the piece).
    const ix = Math.round((t.x[k] as number) + 4 * (t.nx[k] as number));
    const iy = Math.round((t.y[k] as number) + 4 * (t.ny[k] as number));
    const ox = Math.round((t.x[k] as number) - 4 * (t.nx[k] as number));
    const oy = Math.round((t.y[k] as number) - 4 * (t.ny[k] as number));
    if (ix < 0 || iy < 0 || ix >= pw || iy >= piece.height || (a[iy * pw + ix] as number) < 250) continue;
    if (ox < 0 || oy < 0 || ox >= pw || oy >= piece.height || (a[oy * pw + ox] as number) > 5) continue;
    pairs.push(k);
    for (let c = 0; c < 3; c++) (inner[c] as number[]).push(piece.data[(iy * pw + ix) * 4 + c] as number);
    outerOff.push(oy * w + ox);
  }
  const xs = w - pw + 1;
  const scores = new Float64Array(xs);
  const n = outerOff.length;
  if (n < 8) return scores;
  for (let c = 0; c < 3; c++) {
    const tv = inner[c] as number[];
    let mean = 0;
    for (const v of tv) mean += v;
    mean /= n;
    const tpl = tv.map((v) => v - mean);
    let tplNorm = 0;
    for (const v of tpl) tplNorm += v * v;
    for (let x = 0; x < xs; x++) {
      const base = pieceY * w + x;
      let s = 0;
      let s2 = 0;
      let cross = 0;
      for (let k = 0; k < n; k++) {
        const i = base + (outerOff[k] as number);
        if (i >= w * h) continue;
        const b = bg.data[i * 4 + c] as number;
        s += b;
        s2 += b * b;
        cross += (tpl[k] as number) * b;
      }
      const varB = s2 - (s * s) / n;
      scores[x] = (scores[x] as number) + (varB > 1e-9 && tplNorm > 1e-9 ? cross / Math.sqrt(varB * tplNorm) : 0);
    }
  }
  return scores;
}

/** Best x by scene continuity. */
export function continuityGapFinder(bg: Pixels, piece: Pixels, pieceY: number): number {
  return argmax(continuityScores(bg, piece, pieceY));
}
