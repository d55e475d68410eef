import { luma } from './image-decode.js';
import type { Rgba } from './image-decode.js';

/**
 * Gap finders: an attacker's image analysis of a slide puzzle. `ncc` and `edge` match the
 * piece's pixels or outline (what the puzzle's drawing is built to defeat); `continuity` reads
 * the cue left for people, the scene continuing across the piece's border.
 */
export type GapFinder = 'ncc' | 'edge' | 'continuity';

/** Candidate piece positions, best first, with their scores. */
export interface GapCandidates {
  readonly xs: readonly number[];
  readonly scores: readonly number[];
}

/** The puzzle as the client sees it: decoded background and piece, the piece's row. */
export interface PuzzleImages {
  readonly background: Rgba;
  readonly piece: Rgba;
  readonly pieceY: number;
}

/** Piece pixels that count as part of the piece (alpha 0-255). */
const OPAQUE_ALPHA = 200;

/**
 * Ranks x positions by score with non-maximum suppression: a candidate within `minGapPx` of a
 * better one is dropped, so the list holds distinct guesses for successive attempts.
 */
function rank(scores: Float64Array, count: number, minGapPx: number): GapCandidates {
  const order = Array.from(scores.keys()).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const xs: number[] = [];
  const out: number[] = [];
  for (const x of order) {
    if (!Number.isFinite(scores[x] as number)) continue;
    if (xs.some((k) => Math.abs(k - x) < minGapPx)) continue;
    xs.push(x);
    out.push(scores[x] as number);
    if (xs.length >= count) break;
  }
  return { xs, scores: out };
}

/**
 * Normalised cross-correlation of the piece's opaque pixels (luma) against the background
 * at every x along the piece's row. NCC ignores a uniform gain and offset, so a hole that
 * darkens the background's own pixels by one factor still matches perfectly.
 */
export function nccCandidates(p: PuzzleImages, count = 5, minGapPx = 12): GapCandidates {
  const bg = luma(p.background);
  const pc = luma(p.piece);
  const bw = p.background.width;
  const idx: number[] = [];
  const val: number[] = [];
  for (let j = 0; j < p.piece.height; j++) {
    const by = p.pieceY + j;
    if (by < 0 || by >= p.background.height) continue;
    for (let i = 0; i < p.piece.width; i++) {
      if ((p.piece.data[(j * p.piece.width + i) * 4 + 3] as number) < OPAQUE_ALPHA) continue;
      idx.push(by * bw + i);
      val.push(pc[j * p.piece.width + i] as number);
    }
  }
  const n = val.length;
  const mean = val.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const centred = val.map((v) => v - mean);
  const norm = Math.sqrt(centred.reduce((s, v) => s + v * v, 0)) || 1;
  const maxX = bw - p.piece.width;
  const scores = new Float64Array(Math.max(0, maxX + 1)).fill(Number.NEGATIVE_INFINITY);
  for (let x = 0; x <= maxX; x++) {
    let sum = 0;
    let sum2 = 0;
    let cross = 0;
    for (let k = 0; k < n; k++) {
      const b = bg[(idx[k] as number) + x] as number;
      sum += b;
      sum2 += b * b;
      cross += b * (centred[k] as number);
    }
    const varB = sum2 - (sum * sum) / Math.max(1, n);
    scores[x] = varB > 1e-6 ? cross / (Math.sqrt(varB) * norm) : 0;
  }
  return rank(scores, count, minGapPx);
}

/** 3x3 box blur then Sobel; returns gradient components. */
function gradients(values: Float32Array, w: number, h: number): { gx: Float32Array; gy: Float32Array } {
  const blur = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let c = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          s += values[yy * w + xx] as number;
          c++;
        }
      }
      blur[y * w + x] = s / c;
    }
  }
  const gx = new Float32Array(w * h);
  const gy = new Float32Array(w * h);
  const at = (x: number, y: number): number => blur[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))] as number;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      gx[y * w + x] = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      gy[y * w + x] = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
    }
  }
  return { gx, gy };
}

/** The piece's outline: points where its alpha changes sharply, with unit normals pointing inwards. */
interface Outline {
  readonly ox: readonly number[];
  readonly oy: readonly number[];
  readonly nx: readonly number[];
  readonly ny: readonly number[];
}

function pieceOutline(piece: Rgba): Outline {
  const pw = piece.width;
  const ph = piece.height;
  const alpha = new Float32Array(pw * ph);
  for (let i = 0; i < alpha.length; i++) alpha[i] = piece.data[i * 4 + 3] as number;
  const a = gradients(alpha, pw, ph);
  const ox: number[] = [];
  const oy: number[] = [];
  const nx: number[] = [];
  const ny: number[] = [];
  for (let j = 0; j < ph; j++) {
    for (let i = 0; i < pw; i++) {
      const gx = a.gx[j * pw + i] as number;
      const gy = a.gy[j * pw + i] as number;
      const m = Math.hypot(gx, gy);
      if (m < 200) continue;
      ox.push(i);
      oy.push(j);
      nx.push(gx / m);
      ny.push(gy / m);
    }
  }
  return { ox, oy, nx, ny };
}

/**
 * Outline matcher: the piece's silhouette (its alpha channel) gives an outline with a normal
 * at every point; at each x the background's gradient (blurred, Sobel) is projected on those
 * normals and the sum is divided by the window's RMS gradient. Uses no colour and no pixel
 * values of the piece, so it survives blur, brightness and contrast changes of either image,
 * and it finds a hole by its edge even when the piece's pixels are not the hole's.
 */
export function edgeCandidates(p: PuzzleImages, count = 5, minGapPx = 12): GapCandidates {
  const pw = p.piece.width;
  const { ox, oy, nx, ny } = pieceOutline(p.piece);
  const bw = p.background.width;
  const bh = p.background.height;
  const g = gradients(luma(p.background), bw, bh);
  const maxX = bw - pw;
  const scores = new Float64Array(Math.max(0, maxX + 1)).fill(Number.NEGATIVE_INFINITY);
  const y0 = p.pieceY;
  for (let x = 0; x <= maxX; x++) {
    let aligned = 0;
    let energy = 0;
    let m = 0;
    for (let k = 0; k < ox.length; k++) {
      const by = y0 + (oy[k] as number);
      if (by < 0 || by >= bh) continue;
      const q = by * bw + x + (ox[k] as number);
      const gx = g.gx[q] as number;
      const gy = g.gy[q] as number;
      aligned += Math.abs(gx * (nx[k] as number) + gy * (ny[k] as number));
      energy += gx * gx + gy * gy;
      m++;
    }
    scores[x] = m > 0 && energy > 1e-6 ? aligned / Math.sqrt(energy * m) : 0;
  }
  return rank(scores, count, minGapPx);
}

/** How far inside and outside the outline continuity compares pixels, px. */
const CONTINUITY_OFFSET_PX = 4;

/**
 * Scene continuity across the piece's border, the cue a person follows: at every x, the
 * piece's pixels a few px inside its outline against the background's pixels the same distance
 * outside the gap's outline, along the same normals, by normalised correlation per colour
 * channel (so a colour or contrast change of the piece cancels out). High where the picture
 * continues across the border; at a decoy, strokes and colour regions break at the rim.
 */
export function continuityCandidates(p: PuzzleImages, count = 5, minGapPx = 12): GapCandidates {
  const { piece, background: bg } = p;
  const pw = piece.width;
  const ph = piece.height;
  const bw = bg.width;
  const bh = bg.height;
  const { ox, oy, nx, ny } = pieceOutline(piece);
  const inner: number[][] = [[], [], []];
  const outerX: number[] = [];
  const outerY: number[] = [];
  for (let k = 0; k < ox.length; k += 2) {
    const ix = Math.round((ox[k] as number) + CONTINUITY_OFFSET_PX * (nx[k] as number));
    const iy = Math.round((oy[k] as number) + CONTINUITY_OFFSET_PX * (ny[k] as number));
    const qx = Math.round((ox[k] as number) - CONTINUITY_OFFSET_PX * (nx[k] as number));
    const qy = Math.round((oy[k] as number) - CONTINUITY_OFFSET_PX * (ny[k] as number));
    if (ix < 0 || iy < 0 || ix >= pw || iy >= ph || (piece.data[(iy * pw + ix) * 4 + 3] as number) < 250) continue;
    if (qx < 0 || qy < 0 || qx >= pw || qy >= ph || (piece.data[(qy * pw + qx) * 4 + 3] as number) > 5) continue;
    for (let c = 0; c < 3; c++) (inner[c] as number[]).push(piece.data[(iy * pw + ix) * 4 + c] as number);
    outerX.push(qx);
    outerY.push(qy);
  }
  const maxX = bw - pw;
  const scores = new Float64Array(Math.max(0, maxX + 1));
  const n = outerX.length;
  if (n < 8) return rank(scores, count, minGapPx);
  for (let c = 0; c < 3; c++) {
    const tv = inner[c] as number[];
    const mean = tv.reduce((s, v) => s + v, 0) / n;
    const tpl = tv.map((v) => v - mean);
    const tplNorm = tpl.reduce((s, v) => s + v * v, 0);
    for (let x = 0; x <= maxX; x++) {
      let s = 0;
      let s2 = 0;
      let cross = 0;
      let m = 0;
      for (let k = 0; k < n; k++) {
        const by = p.pieceY + (outerY[k] as number);
        if (by < 0 || by >= bh) continue;
        const b = bg.data[(by * bw + x + (outerX[k] as number)) * 4 + c] as number;
        s += b;
        s2 += b * b;
        cross += (tpl[k] as number) * b;
        m++;
      }
      const varB = s2 - (s * s) / Math.max(1, m);
      scores[x] = (scores[x] as number) + (varB > 1e-9 && tplNorm > 1e-9 ? cross / Math.sqrt(varB * tplNorm) : 0);
    }
  }
  return rank(scores, count, minGapPx);
}

/** Runs one finder. */
export function findGap(finder: GapFinder, p: PuzzleImages, count = 5): GapCandidates {
  switch (finder) {
    case 'ncc': return nccCandidates(p, count);
    case 'edge': return edgeCandidates(p, count);
    case 'continuity': return continuityCandidates(p, count);
  }
}
