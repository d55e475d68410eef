import { loadImage } from '@napi-rs/canvas';
import type { Image } from '@napi-rs/canvas';
import { createSeededRandom } from './seeded-random.js';
import { drawSlidePuzzle, encodeSlidePuzzle } from './slide-puzzle.js';
import type { ImageSets, RenderTask, RenderedPuzzle } from './contract.js';
import type { DrawnPuzzle } from './slide-puzzle.js';

/**
 * Per-thread rendering state: decoded site images (loaded once per thread) and the last
 * drawn puzzles of `encodeOnly` tasks (for the encoder-ceiling benchmark).
 */
export function createRenderState(imageSets: ImageSets | undefined): (task: RenderTask) => Promise<RenderedPuzzle> {
  const images = new Map<string, Promise<Image[]>>();
  // Benchmark only (encodeOnly tasks): drawn puzzles by seed, bounded.
  const drawnBySeed = new Map<number, DrawnPuzzle>();

  function loadSet(name: string): Promise<Image[]> | undefined {
    const sources = imageSets?.[name];
    if (sources === undefined || sources.length === 0) return undefined;
    let p = images.get(name);
    if (p === undefined) {
      p = Promise.all(sources.map((s) => loadImage(typeof s === 'string' ? s : Buffer.from(s))));
      images.set(name, p);
      // A failed load is retried by the next task rather than cached forever.
      p.catch(() => images.delete(name));
    }
    return p;
  }

  return async (task) => {
    const cached = task.encodeOnly === true ? drawnBySeed.get(task.seed) : undefined;
    if (cached !== undefined) return encodeSlidePuzzle(task, cached);
    let image: Image | undefined;
    if (task.imageSet !== undefined) {
      const set = loadSet(task.imageSet);
      if (set !== undefined) {
        const list = await set;
        image = list[Math.floor(createSeededRandom(task.seed ^ 0x1ace).next() * list.length)];
      }
    }
    // encodeOnly keeps the drawn canvases, so they must not be the reused scratch ones.
    const drawn = drawSlidePuzzle(task, image, task.encodeOnly === true);
    if (task.encodeOnly === true && drawnBySeed.size < 64) drawnBySeed.set(task.seed, drawn);
    return encodeSlidePuzzle(task, drawn);
  };
}
