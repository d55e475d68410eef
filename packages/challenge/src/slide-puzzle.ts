/**
 * Drawing and encoding of one slide puzzle, as two steps. The render threads run both; the
 * package also exports this module as `@hurdle/challenge/slide-puzzle` so the benchmark can
 * time the encoder alone on its own threads, outside the production render path.
 */
import { Image, createCanvas } from '@napi-rs/canvas';
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { drawBandFeatures } from './band-features.js';
import type { BackgroundFormat, RenderTask, RenderedPuzzle } from './contract.js';
import { drawGapRow, planGapRow } from './gap-decoys.js';
import { drawPiece, pickPieceLook } from './puzzle-piece-art.js';
import { createSeededRandom } from './seeded-random.js';
import type { SeededRandom } from './seeded-random.js';


/**
 * Random jigsaw piece: a wobbly square with a tab (out), blank (in) or flat edge on top and
 * bottom, and a blank or flat edge left and right (no sideways tab, so that four gaps of the
 * piece's width fit side by side on its row).
 */
interface PieceShape {
  readonly size: number;
  readonly box: number;
  /** Outline as absolute points relative to the piece box origin. */
  readonly points: readonly (readonly [number, number])[];
}

function makeShape(rng: SeededRandom, height: number): PieceShape {
  const size = Math.round(height * rng.range(0.21, 0.24));
  const r = size * 0.2;
  const pad = Math.ceil(r * 1.25) + 3;
  const box = size + 2 * pad;
  const j = size * 0.06;
  const corners: [number, number][] = [
    [pad + rng.range(-j, j), pad + rng.range(-j, j)],
    [pad + size + rng.range(-j, j), pad + rng.range(-j, j)],
    [pad + size + rng.range(-j, j), pad + size + rng.range(-j, j)],
    [pad + rng.range(-j, j), pad + size + rng.range(-j, j)],
  ];
  const points: [number, number][] = [];
  for (let side = 0; side < 4; side++) {
    const [ax, ay] = corners[side] as [number, number];
    const [bx, by] = corners[(side + 1) % 4] as [number, number];
    const len = Math.hypot(bx - ax, by - ay);
    // Outward normal for a clockwise outline in screen coordinates.
    const nx = (by - ay) / len;
    const ny = -(bx - ax) / len;
    const kind = rng.next() < 0.12 ? 0 : rng.chance(0.5) && side % 2 === 0 ? 1 : -1;
    const centre = rng.range(0.38, 0.62);
    const tabR = r * rng.range(0.8, 1.15);
    const steps = 8;
    for (let i = 0; i < steps; i++) {
      const u = i / steps;
      let off = Math.sin(u * Math.PI * rng.int(1, 3)) * rng.range(-0.6, 0.6);
      const du = (u - centre) * len;
      if (kind !== 0 && Math.abs(du) < tabR) {
        off += kind * Math.sqrt(tabR * tabR - du * du) * 1.15;
      }
      points.push([ax + (bx - ax) * u + nx * off, ay + (by - ay) * u + ny * off]);
    }
  }
  return { size, box, points };
}

function tracePath(ctx: SKRSContext2D, shape: PieceShape, ox: number, oy: number): void {
  ctx.beginPath();
  const pts = shape.points;
  const p0 = pts[0] as readonly [number, number];
  ctx.moveTo(ox + p0[0], oy + p0[1]);
  for (let i = 1; i <= pts.length; i++) {
    const p = pts[i % pts.length] as readonly [number, number];
    const q = pts[(i + 1) % pts.length] as readonly [number, number];
    // Smooth the polyline with quadratic curves through the midpoints.
    ctx.quadraticCurveTo(ox + p[0], oy + p[1], ox + (p[0] + q[0]) / 2, oy + (p[1] + q[1]) / 2);
  }
  ctx.closePath();
}

let noiseTile: Image | undefined;

/** A fixed 128x128 grey noise tile, tiled at random offsets: texture at fill cost. */
function getNoiseTile(): Image {
  if (noiseTile !== undefined) return noiseTile;
  const tile = createCanvas(128, 128);
  const ctx = tile.getContext('2d');
  const img = ctx.createImageData(128, 128);
  const rng = createSeededRandom(0x5eed);
  for (let i = 0; i < img.data.length; i += 4) {
    const v = Math.floor(rng.next() * 256);
    img.data[i] = v;
    img.data[i + 1] = v;
    img.data[i + 2] = v;
    img.data[i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const image = new Image();
  image.src = tile.encodeSync('png');
  noiseTile = image;
  return image;
}

function hsl(rng: SeededRandom, alpha: number): string {
  return `hsla(${rng.int(0, 359)},${rng.int(35, 85)}%,${rng.int(25, 75)}%,${alpha.toFixed(2)})`;
}

function drawShapes(ctx: SKRSContext2D, rng: SeededRandom, w: number, h: number, shapes: number, strokes: number): void {
  for (let i = 0; i < shapes; i++) {
    ctx.fillStyle = hsl(rng, rng.range(0.25, 0.75));
    const kind = rng.int(0, 2);
    const cx = rng.range(-20, w + 20);
    const cy = rng.range(-20, h + 20);
    const s = rng.range(h * 0.08, h * 0.45);
    ctx.beginPath();
    if (kind === 0) {
      ctx.arc(cx, cy, s, 0, Math.PI * 2);
    } else {
      const corners = kind === 1 ? 4 : rng.int(3, 7);
      const rot = rng.range(0, Math.PI);
      for (let k = 0; k < corners; k++) {
        const a = rot + (k / corners) * Math.PI * 2;
        const rr = s * rng.range(0.6, 1.2);
        if (k === 0) ctx.moveTo(cx + Math.cos(a) * rr, cy + Math.sin(a) * rr);
        else ctx.lineTo(cx + Math.cos(a) * rr, cy + Math.sin(a) * rr);
      }
      ctx.closePath();
    }
    ctx.fill();
  }
  for (let i = 0; i < strokes; i++) {
    ctx.strokeStyle = hsl(rng, rng.range(0.3, 0.8));
    ctx.lineWidth = rng.range(1, 5);
    ctx.beginPath();
    ctx.moveTo(rng.range(0, w), rng.range(0, h));
    ctx.bezierCurveTo(rng.range(0, w), rng.range(0, h), rng.range(0, w), rng.range(0, h), rng.range(0, w), rng.range(0, h));
    ctx.stroke();
  }
}

/** Procedural base scenes per thread, 1.5x the background size, each drawn once from a fixed seed. */
const BASE_SCENES = 32;
const baseScenes = new Map<string, Canvas>();

function baseScene(index: number, w: number, h: number): Canvas {
  const key = `${w}x${h}:${index}`;
  let base = baseScenes.get(key);
  if (base === undefined) {
    const bw = Math.ceil(w * 1.5);
    const bh = Math.ceil(h * 1.5);
    base = createCanvas(bw, bh);
    const ctx = base.getContext('2d');
    const rng = createSeededRandom(0xba5e0000 + index);
    const grad = ctx.createLinearGradient(0, rng.range(0, bh), bw, rng.range(0, bh));
    grad.addColorStop(0, hsl(rng, 1));
    grad.addColorStop(rng.range(0.3, 0.7), hsl(rng, 1));
    grad.addColorStop(1, hsl(rng, 1));
    ctx.fillStyle = grad;
    ctx.fillRect(0, 0, bw, bh);
    drawShapes(ctx, rng, bw, bh, rng.int(12, 18), rng.int(4, 8));
    // The texture is baked in: a per-puzzle noise pass cost ~15 % of a render.
    drawNoise(ctx, rng, bw, bh, 0.1);
    baseScenes.set(key, base);
  }
  return base;
}

/**
 * Procedural background: a random crop, flip and tint of one of 32 base scenes (drawn once
 * per thread; this halves the drawing cost) under a few fresh shapes and strokes. The
 * continuous crop offset, flips, tint and fresh layer make every background different.
 */
function drawProcedural(ctx: SKRSContext2D, rng: SeededRandom, w: number, h: number): void {
  const base = baseScene(rng.int(0, BASE_SCENES - 1), w, h);
  ctx.save();
  if (rng.chance(0.5)) {
    ctx.translate(w, 0);
    ctx.scale(-1, 1);
  }
  if (rng.chance(0.5)) {
    ctx.translate(0, h);
    ctx.scale(1, -1);
  }
  ctx.drawImage(base, -rng.range(0, base.width - w), -rng.range(0, base.height - h));
  ctx.restore();
  ctx.fillStyle = hsl(rng, rng.range(0.1, 0.3));
  ctx.fillRect(0, 0, w, h);
  drawShapes(ctx, rng, w, h, rng.int(2, 3), rng.int(1, 2));
}

function drawImageCover(ctx: SKRSContext2D, rng: SeededRandom, img: Image, w: number, h: number): void {
  const scale = Math.max(w / img.width, h / img.height) * rng.range(1, 1.35);
  const dw = img.width * scale;
  const dh = img.height * scale;
  const dx = -rng.range(0, dw - w);
  const dy = -rng.range(0, dh - h);
  ctx.save();
  if (rng.chance(0.5)) {
    ctx.translate(w, 0);
    ctx.scale(-1, 1);
  }
  ctx.drawImage(img, dx, dy, dw, dh);
  ctx.restore();
  // A random tint so the same photo never looks the same twice.
  ctx.fillStyle = hsl(rng, rng.range(0.08, 0.2));
  ctx.fillRect(0, 0, w, h);
}

function drawNoise(ctx: SKRSContext2D, rng: SeededRandom, w: number, h: number, alpha: number): void {
  // drawImage of a decoded Image, not a CanvasPattern: a pattern object left alive when a
  // worker thread exits makes the native module report a leak.
  const tile = getNoiseTile();
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.globalCompositeOperation = 'overlay';
  const ox = -rng.int(0, 127);
  const oy = -rng.int(0, 127);
  for (let y = oy; y < h; y += 128) for (let x = ox; x < w; x += 128) ctx.drawImage(tile, x, y);
  ctx.restore();
}

/** Drawn but not yet encoded puzzle. */
export interface DrawnPuzzle {
  readonly background: Canvas;
  readonly piece: Canvas;
  readonly x: number;
  readonly pieceY: number;
  readonly box: number;
}

/** Per-thread canvases reused across renders (creating one costs about as much as drawing it). */
const scratch = new Map<string, Canvas>();

function scratchCanvas(w: number, h: number, fresh: boolean): Canvas {
  if (fresh) return createCanvas(w, h);
  const key = `${w}x${h}`;
  let c = scratch.get(key);
  if (c === undefined) {
    c = createCanvas(w, h);
    scratch.set(key, c);
  }
  const ctx = c.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = 'source-over';
  ctx.clearRect(0, 0, w, h);
  return c;
}

/**
 * Draw a slide puzzle deterministically from `task.seed`. Unless `fresh`, the canvases are
 * this thread's scratch canvases: encode the result before the next draw.
 */
export function drawSlidePuzzle(task: RenderTask, image: Image | undefined, fresh = false): DrawnPuzzle {
  const { width: w, height: h } = task;
  const level = Math.min(3, Math.max(1, Math.round(task.level)));
  const rng = createSeededRandom(task.seed);
  const shape = makeShape(rng, h);
  const box = shape.box;
  const trace = (c: SKRSContext2D, ox: number, oy: number): void => tracePath(c, shape, ox, oy);
  // The true gap and its decoys, all on the piece's row; the piece starts at x = 0 and every
  // gap lies clear of that start.
  const row = planGapRow(rng, { width: w, box, points: shape.points });
  const x = row.xs[row.answer] as number;
  const pieceY = rng.int(2, h - box - 2);

  const bg = scratchCanvas(w, h, fresh);
  const ctx = bg.getContext('2d');
  if (image !== undefined) {
    drawImageCover(ctx, rng, image, w, h);
    drawNoise(ctx, rng, w, h, 0.05 + 0.02 * level);
  } else {
    drawProcedural(ctx, rng, w, h);
  }
  drawBandFeatures(ctx, rng, w, pieceY, box);

  const piece = scratchCanvas(box, box, fresh);
  drawPiece(piece.getContext('2d'), rng, bg, box, pickPieceLook(rng, level), trace, x, pieceY);
  drawGapRow(ctx, rng, row, pieceY, box, trace);

  // Thin lines over everything (gaps included) so a plain edge detector meets many edges;
  // they cross the true gap and the decoys alike.
  const lines = 1 + level;
  for (let i = 0; i < lines; i++) {
    ctx.strokeStyle = hsl(rng, rng.range(0.15, 0.4));
    ctx.lineWidth = rng.range(0.5, 1.5);
    ctx.beginPath();
    ctx.moveTo(rng.range(0, w), rng.range(0, h));
    ctx.quadraticCurveTo(rng.range(0, w), rng.range(0, h), rng.range(0, w), rng.range(0, h));
    ctx.stroke();
  }
  return { background: bg, piece, x, pieceY, box };
}

const MIME: Record<BackgroundFormat, string> = { webp: 'image/webp', jpeg: 'image/jpeg' };

/** Encode a drawn puzzle into data: URLs. */
export function encodeSlidePuzzle(task: RenderTask, drawn: DrawnPuzzle): RenderedPuzzle {
  const bg = drawn.background.encodeSync(task.format, task.quality);
  const piece = drawn.piece.encodeSync('png');
  return {
    seed: task.seed,
    width: task.width,
    height: task.height,
    background: `data:${MIME[task.format]};base64,${bg.toString('base64')}`,
    piece: `data:image/png;base64,${piece.toString('base64')}`,
    pieceWidth: drawn.box,
    pieceHeight: drawn.box,
    x: drawn.x,
    pieceY: drawn.pieceY,
  };
}
