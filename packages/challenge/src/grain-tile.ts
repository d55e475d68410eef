import { Image, createCanvas } from '@napi-rs/canvas';
import { createSeededRandom } from './seeded-random.js';

/** Side of the grain tile, in pixels. */
export const GRAIN_TILE_PX = 96;

let grainTile: Image | undefined;

/**
 * A fixed grey grain tile (lazily built once per thread, from a fixed seed, so rendering
 * stays deterministic), for the gaps' fill and the piece's own texture. It is a different
 * texture from the scenes' noise: neither a gap nor the piece carries the grain of the
 * picture around it, so fine texture does not tie the piece to its gap.
 */
export function getGrainTile(): Image {
  if (grainTile !== undefined) return grainTile;
  const tile = createCanvas(GRAIN_TILE_PX, GRAIN_TILE_PX);
  const ctx = tile.getContext('2d');
  const img = ctx.createImageData(GRAIN_TILE_PX, GRAIN_TILE_PX);
  const rng = createSeededRandom(0x6a41);
  // Two octaves: single-pixel speckle over 2 px blotches reads as a surface, not as static.
  const half = GRAIN_TILE_PX / 2;
  const blotches = Array.from({ length: half * half }, () => rng.next());
  for (let y = 0; y < GRAIN_TILE_PX; y++) {
    for (let x = 0; x < GRAIN_TILE_PX; x++) {
      const i = (y * GRAIN_TILE_PX + x) * 4;
      const blotch = blotches[Math.floor(y / 2) * half + Math.floor(x / 2)] as number;
      const v = Math.floor(255 * (0.55 * rng.next() + 0.45 * blotch));
      img.data[i] = v;
      img.data[i + 1] = v;
      img.data[i + 2] = v;
      img.data[i + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  const image = new Image();
  // A decoded Image, not a CanvasPattern: a pattern left alive when a worker thread exits
  // makes the native module report a leak.
  image.src = tile.encodeSync('png');
  grainTile = image;
  return image;
}
