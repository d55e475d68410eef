import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { GRAIN_TILE_PX, getGrainTile } from './grain-tile.js';
import type { SeededRandom } from './seeded-random.js';
import type { TraceOutline } from './gap-decoys.js';

/**
 * How the piece is painted: the picture under the true gap, but not a copy of it. A per-piece
 * photometric change (brightness, contrast, saturation, hue, a slight blur) and a grain of its
 * own make the piece's pixels differ from the scene's in ways a person looks through (shapes,
 * edges and colour regions still line up across the border) while exact pixel comparisons
 * and fine-texture matches no longer hold.
 */
export interface PieceLook {
  /** CSS filter applied while the scene is copied into the piece. */
  readonly filter: string;
  /** Alpha of the piece's own grain (overlay blend). */
  readonly grainAlpha: number;
}

function signed(rng: SeededRandom, min: number, max: number): number {
  return (rng.chance(0.5) ? -1 : 1) * rng.range(min, max);
}

/**
 * One look per piece; `level` (1-3) scales the change. Level 2 (the default) shifts brightness
 * by 4-12 %, contrast by up to +-15 %, saturation by up to +-25 %, hue by 3-12 degrees and
 * blurs by 0.5-0.8 px: enough to break a pixel-for-pixel match, small enough that the piece
 * still plainly shows the same picture as its surroundings.
 */
export function pickPieceLook(rng: SeededRandom, level: number): PieceLook {
  const k = level / 2;
  const brightness = 1 + signed(rng, 0.04, 0.12) * k;
  const contrast = 1 + signed(rng, 0.03, 0.15) * k;
  const saturate = 1 + signed(rng, 0.05, 0.25) * k;
  const hue = signed(rng, 3, 12) * k;
  const blurPx = rng.range(0.5, 0.8) * (0.6 + 0.2 * level);
  return {
    filter: `brightness(${brightness.toFixed(3)}) contrast(${contrast.toFixed(3)}) saturate(${saturate.toFixed(3)}) hue-rotate(${hue.toFixed(1)}deg) blur(${blurPx.toFixed(2)}px)`,
    grainAlpha: rng.range(0.08, 0.14) * k,
  };
}

/**
 * Paints the piece onto its `box` x `box` canvas: the scene `bg` at (x, y) through the
 * outline, with `look` applied, the piece's grain, and a light rim (which also covers the
 * gap's rim when the piece sits in any gap).
 */
export function drawPiece(pctx: SKRSContext2D, rng: SeededRandom, bg: Canvas, box: number, look: PieceLook, trace: TraceOutline, x: number, y: number): void {
  pctx.save();
  trace(pctx, 0, 0);
  pctx.clip();
  pctx.filter = look.filter;
  pctx.drawImage(bg, -x, -y);
  pctx.filter = 'none';
  const grain = getGrainTile();
  const gx = -rng.int(0, GRAIN_TILE_PX - 1);
  const gy = -rng.int(0, GRAIN_TILE_PX - 1);
  pctx.globalAlpha = look.grainAlpha;
  pctx.globalCompositeOperation = 'overlay';
  for (let ty = gy; ty < box; ty += GRAIN_TILE_PX) for (let tx = gx; tx < box; tx += GRAIN_TILE_PX) pctx.drawImage(grain, tx, ty);
  pctx.restore();
  trace(pctx, 0, 0);
  pctx.strokeStyle = 'rgba(255,255,255,0.85)';
  pctx.lineWidth = 1.5;
  pctx.stroke();
}
