import { loadImage } from '@napi-rs/canvas';
import type { Image } from '@napi-rs/canvas';
import { createSeededRandom } from './seeded-random.js';
import { drawSlidePuzzle, encodeSlidePuzzle } from './slide-puzzle.js';
import type { ImageSets, RenderTask, RenderedPuzzle } from './contract.js';

/** Per-thread rendering state: decoded site images, loaded once per thread. */
export function createRenderState(imageSets: ImageSets | undefined): (task: RenderTask) => Promise<RenderedPuzzle> {
  const images = new Map<string, Promise<Image[]>>();

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
    let image: Image | undefined;
    if (task.imageSet !== undefined) {
      const set = loadSet(task.imageSet);
      if (set !== undefined) {
        const list = await set;
        image = list[Math.floor(createSeededRandom(task.seed ^ 0x1ace).next() * list.length)];
      }
    }
    return encodeSlidePuzzle(task, drawSlidePuzzle(task, image));
  };
}
