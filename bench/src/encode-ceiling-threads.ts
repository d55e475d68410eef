// The encoder ceiling as a SlideRenderer: piscina threads running encode-ceiling-worker.
import { Piscina } from 'piscina';
import type { RenderTask, RenderedPuzzle, SlideRenderer } from '@hurdle/challenge';

export function createEncodeCeilingThreads(threads: number): SlideRenderer {
  const piscina = new Piscina<RenderTask, RenderedPuzzle>({
    filename: new URL('./encode-ceiling-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 2_147_483_647,
  });
  return {
    threads,
    render: (task) => piscina.run(task),
    queueSize: () => piscina.queueSize,
    close: () => piscina.close({ force: true }),
  };
}
