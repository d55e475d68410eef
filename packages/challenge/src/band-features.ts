import type { SKRSContext2D } from '@napi-rs/canvas';
import type { SeededRandom } from './seeded-random.js';

/**
 * Opaque, strongly saturated and either dark or light: a feature must stand out from the
 * scene (and survive the piece's slight colour change) to be followed across a border by eye.
 * Hues step by the golden angle so consecutive features differ.
 */
function colour(rng: SeededRandom, hue: number, alpha: number): string {
  const light = rng.chance(0.5) ? rng.int(18, 34) : rng.int(66, 84);
  return `hsla(${Math.round(hue) % 360},${rng.int(60, 95)}%,${light}%,${alpha.toFixed(2)})`;
}

/**
 * Bold features drawn across the piece's row band (y in [top, top + box]) before the piece
 * is cut: strokes crossing the band at a slant, one curve meandering along it, and a few
 * colour blobs centred on it. Every gap on the row then has picture crossing its border, so
 * the piece always carries something to line up (a stroke that enters at its top-left and
 * leaves at its bottom, the edge of a blob) and the true gap is the one where those features
 * continue outside. They are drawn before the gaps are placed and independently of them, so
 * they are no more frequent around the true gap than around a decoy.
 */
export function drawBandFeatures(ctx: SKRSContext2D, rng: SeededRandom, width: number, top: number, box: number): void {
  const bottom = top + box;
  let hue = rng.range(0, 360);
  const nextHue = (): number => (hue += 137.5);
  const blobs = rng.int(2, 3);
  for (let i = 0; i < blobs; i++) {
    ctx.fillStyle = colour(rng, nextHue(), rng.range(0.8, 0.95));
    ctx.beginPath();
    const cx = rng.range(0, width);
    const cy = rng.range(top + box * 0.2, bottom - box * 0.2);
    const r = box * rng.range(0.35, 0.8);
    if (rng.chance(0.5)) {
      ctx.arc(cx, cy, r, 0, Math.PI * 2);
    } else {
      const corners = rng.int(3, 5);
      const rot = rng.range(0, Math.PI);
      for (let k = 0; k < corners; k++) {
        const a = rot + (k / corners) * Math.PI * 2;
        const rr = r * rng.range(0.7, 1.3);
        if (k === 0) ctx.moveTo(cx + Math.cos(a) * rr, cy + Math.sin(a) * rr);
        else ctx.lineTo(cx + Math.cos(a) * rr, cy + Math.sin(a) * rr);
      }
      ctx.closePath();
    }
    ctx.fill();
  }
  // Slanted strokes: spread across the width so that each stretch of the row is crossed.
  const strokes = rng.int(4, 6);
  ctx.lineCap = 'round';
  for (let i = 0; i < strokes; i++) {
    const x0 = ((i + rng.range(0, 1)) / strokes) * width;
    const dx = signed(rng, box * 0.2, box * 1.2);
    ctx.strokeStyle = colour(rng, nextHue(), rng.range(0.85, 1));
    ctx.lineWidth = rng.range(3.5, 7);
    ctx.beginPath();
    ctx.moveTo(x0 - dx, top - box * 0.4);
    ctx.quadraticCurveTo(x0 + rng.range(-0.3, 0.3) * box, (top + bottom) / 2, x0 + dx, bottom + box * 0.4);
    ctx.stroke();
  }
  ctx.strokeStyle = colour(rng, nextHue(), rng.range(0.85, 1));
  ctx.lineWidth = rng.range(3, 5);
  ctx.beginPath();
  const waves = rng.int(3, 6);
  const phase = rng.range(0, Math.PI * 2);
  for (let k = 0; k <= 40; k++) {
    const px = (k / 40) * width;
    const py = top + box * (0.5 + 0.28 * Math.sin(phase + (k / 40) * waves * Math.PI));
    if (k === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  }
  ctx.stroke();
  ctx.lineCap = 'butt';
}

function signed(rng: SeededRandom, min: number, max: number): number {
  return (rng.chance(0.5) ? -1 : 1) * rng.range(min, max);
}
