// Worker-thread entry (piscina) of the encoder-ceiling measurement: each thread draws a
// seed's puzzle once and from then on only encodes it, so the figure is the encoder's alone
// with the same pixels, encoder and threading as the production render threads.
import { drawSlidePuzzle, encodeSlidePuzzle } from '@hurdle/challenge/slide-puzzle';
import type { DrawnPuzzle } from '@hurdle/challenge/slide-puzzle';
import type { RenderTask, RenderedPuzzle } from '@hurdle/challenge';

const MAX_CACHED = 64;
const drawnBySeed = new Map<number, DrawnPuzzle>();

export default function encodeOnly(task: RenderTask): RenderedPuzzle {
  let drawn = drawnBySeed.get(task.seed);
  if (drawn === undefined) {
    // Fresh canvases: a kept puzzle must not be one of the thread's reused scratch canvases.
    drawn = drawSlidePuzzle(task, undefined, true);
    if (drawnBySeed.size < MAX_CACHED) drawnBySeed.set(task.seed, drawn);
  }
  return encodeSlidePuzzle(task, drawn);
}
