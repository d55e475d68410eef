import type { SKRSContext2D } from '@napi-rs/canvas';
import { GRAIN_TILE_PX, getGrainTile } from './grain-tile.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * The row of gaps a slide puzzle shows: the true gap and decoys with the same outline, all on
 * the piece's row (the widget slides the piece horizontally at `pieceY`, so a decoy at another
 * height is no competitor for anyone) and all drawn by the same code with the same style.
 * An outline or correlation matcher meets equal candidates; what tells the true gap apart is
 * only that the piece's picture continues the scene around it.
 */
export interface GapRow {
  /** Left edges of every gap's box (the true gap included), ascending, in background pixels. */
  readonly xs: readonly number[];
  /** Index in `xs` of the true gap. */
  readonly answer: number;
}

/** Draws the piece outline as a path with its box's top-left corner at (ox, oy). */
export type TraceOutline = (ctx: SKRSContext2D, ox: number, oy: number) => void;

export interface GapRowOptions {
  /** Background width, px. */
  readonly width: number;
  /** Side of the piece's square box, px. */
  readonly box: number;
  /** Outline points relative to the box (their horizontal extent sets the spacing). */
  readonly points: readonly (readonly [number, number])[];
  /** Most gaps on the row, the true one included. @default 5 */
  readonly maxGaps?: number;
  /** Least clear space between two gaps' outlines, px. @default 3 */
  readonly spacingPx?: number;
}

/**
 * Places up to `maxGaps` gaps on the row, every left edge in [box, width - box] (clear of the
 * piece's start at x = 0 and inside the picture), outlines at least `spacingPx` apart, then
 * picks the true one uniformly among them.
 *
 * The gaps are equally spaced on a circle as long as the row's range of left edges and turned
 * by a uniform offset, then unrolled onto the row. Two properties follow, and an attacker who
 * reads this gains nothing from either: (1) every gap's left edge, so the answer too, is
 * uniform over the range, so no x is a better blind guess than another (rows packed from
 * the left edge made the first slot right of the start hold the answer about one time in
 * four); (2) the set of positions is the same whichever gap is the true one, so where a gap
 * lies says nothing about whether it is the true one.
 */
export function planGapRow(rng: SeededRandom, o: GapRowOptions): GapRow {
  let left = Infinity;
  let right = -Infinity;
  for (const [px] of o.points) {
    left = Math.min(left, px);
    right = Math.max(right, px);
  }
  // +2: the rim stroke and anti-aliasing reach about a pixel past the outline on each side.
  const step = Math.ceil(right - left + 2) + (o.spacingPx ?? 3);
  const lo = o.box;
  const range = Math.max(1, o.width - 2 * o.box);
  const count = Math.max(1, Math.min(o.maxGaps ?? 5, Math.floor(range / step)));
  const spacing = range / count;
  const turn = rng.range(0, range);
  const xs = Array.from({ length: count }, (_, i) => lo + Math.floor((turn + i * spacing) % range)).sort((a, b) => a - b);
  return { xs, answer: rng.int(0, count - 1) };
}

/** How every gap of one puzzle is painted (one style per puzzle, shared by all its gaps). */
export interface GapStyle {
  /** Opaque base colour of the gap's floor. */
  readonly floor: string;
  /** Grain over the floor: alpha of the grain tile (overlay blend). */
  readonly grainAlpha: number;
  /** Shadow along the upper-left inner edge, as if the gap were recessed. */
  readonly shadow: string;
  /** Rim stroke colour and width (px). */
  readonly rim: string;
  readonly rimWidthPx: number;
}

/**
 * One style per puzzle. The floor is opaque and its colour is drawn from the seed, not from
 * the picture: a gap shows nothing of the pixels it replaced (a darkened copy of them would be
 * found by normalised correlation, which ignores the darkening), and since every gap gets the
 * same floor, the floor's colour cannot point at the gap whose piece has that colour.
 */
export function pickGapStyle(rng: SeededRandom): GapStyle {
  const hue = rng.int(0, 359);
  const sat = rng.int(6, 22);
  const light = rng.int(20, 34);
  return {
    floor: `hsl(${hue},${sat}%,${light}%)`,
    grainAlpha: rng.range(0.35, 0.55),
    shadow: `rgba(0,0,0,${rng.range(0.3, 0.45).toFixed(2)})`,
    rim: `rgba(255,255,255,${rng.range(0.5, 0.75).toFixed(2)})`,
    rimWidthPx: rng.range(1, 1.8),
  };
}

/** Paints one gap with its box's top-left corner at (x, y); the grain starts at a random offset. */
function drawGap(ctx: SKRSContext2D, rng: SeededRandom, style: GapStyle, box: number, trace: TraceOutline, x: number, y: number): void {
  const grain = getGrainTile();
  const gx = x - rng.int(0, GRAIN_TILE_PX - 1);
  const gy = y - rng.int(0, GRAIN_TILE_PX - 1);
  ctx.save();
  trace(ctx, x, y);
  ctx.clip();
  ctx.fillStyle = style.floor;
  ctx.fillRect(x, y, box, box);
  ctx.globalAlpha = style.grainAlpha;
  ctx.globalCompositeOperation = 'overlay';
  for (let ty = gy; ty < y + box; ty += GRAIN_TILE_PX) for (let tx = gx; tx < x + box; tx += GRAIN_TILE_PX) ctx.drawImage(grain, tx, ty);
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = 'source-over';
  // The outline shifted up-left and stroked wide, inside the clip: a shadow band along the
  // upper and left inner edges, so the gap reads as a recess.
  trace(ctx, x - 2, y - 2);
  ctx.strokeStyle = style.shadow;
  ctx.lineWidth = 5;
  ctx.stroke();
  ctx.restore();
  trace(ctx, x, y);
  ctx.strokeStyle = style.rim;
  ctx.lineWidth = style.rimWidthPx;
  ctx.stroke();
}

/**
 * Paints every gap of `row` at height `y`, all with one style and the same operations, in
 * ascending x (so drawing order says nothing about which is true).
 */
export function drawGapRow(ctx: SKRSContext2D, rng: SeededRandom, row: GapRow, y: number, box: number, trace: TraceOutline): void {
  const style = pickGapStyle(rng);
  for (const x of row.xs) drawGap(ctx, rng, style, box, trace, x, y);
}
