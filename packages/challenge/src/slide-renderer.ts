import { availableParallelism } from 'node:os';
import { loadImage } from '@napi-rs/canvas';
import type { Image } from '@napi-rs/canvas';
import { Piscina } from 'piscina';
import { ChallengeError, describeValue } from './errors.js';
import { createSeededRandom } from './seeded-random.js';
import { drawSlidePuzzle, encodeSlidePuzzle } from './slide-puzzle.js';
import type { DrawnPuzzle, RenderTask, RenderedPuzzle } from './slide-puzzle.js';

/** Image sets: name -> image files (paths) or encoded image bytes. */
export type ImageSets = Readonly<Record<string, readonly (string | Uint8Array)[]>>;

/** Renders slide puzzles somewhere off (or, inline, on) the calling thread. */
export interface SlideRenderer {
  /** Render threads (0 = inline on the calling thread). */
  readonly threads: number;
  render(task: RenderTask): Promise<RenderedPuzzle>;
  /** Tasks waiting for a thread. */
  queueSize(): number;
  close(): Promise<void>;
}

/** Options of {@link createRenderThreads}. */
export interface RenderThreadsOptions {
  /** Worker threads. @default max(1, availableParallelism() - 1) */
  readonly threads?: number;
  readonly imageSets?: ImageSets;
  /** Idle threads exit after this (the pool keeps `threads` when busy). @default 30_000 */
  readonly idleTimeoutMs?: number;
}

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
    const drawn = drawSlidePuzzle(task, image);
    if (task.encodeOnly === true && drawnBySeed.size < 64) drawnBySeed.set(task.seed, drawn);
    return encodeSlidePuzzle(task, drawn);
  };
}

function wrapError(err: unknown): ChallengeError {
  if (err instanceof ChallengeError) return err;
  return new ChallengeError('CHALLENGE_ERR_RENDER_FAILED', `slide puzzle rendering failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Render on worker threads (piscina); the event loop only posts tasks and receives strings. */
export function createRenderThreads(options: RenderThreadsOptions = {}): SlideRenderer {
  const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new ChallengeError('CHALLENGE_ERR_INVALID_OPTION', `threads: expected an integer in [1, 256], got ${describeValue(threads)}`);
  }
  const idleTimeout = options.idleTimeoutMs ?? 30_000;
  const piscina = new Piscina<RenderTask, RenderedPuzzle>({
    filename: new URL('./render-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout,
    workerData: { imageSets: options.imageSets ?? {} },
  });
  let closed = false;
  return {
    threads,
    async render(task) {
      if (closed) throw new ChallengeError('CHALLENGE_ERR_CLOSED', 'render threads are closed');
      try {
        return await piscina.run(task);
      } catch (err) {
        throw closed ? new ChallengeError('CHALLENGE_ERR_CLOSED', 'render threads are closed') : wrapError(err);
      }
    },
    queueSize: () => piscina.queueSize,
    async close() {
      if (closed) return;
      closed = true;
      await piscina.close({ force: true });
    },
  };
}

/** Render on the calling thread (tests and tools; blocks the event loop for each render). */
export function createInlineRenderer(options: { readonly imageSets?: ImageSets } = {}): SlideRenderer {
  const render = createRenderState(options.imageSets);
  let closed = false;
  return {
    threads: 0,
    async render(task) {
      if (closed) throw new ChallengeError('CHALLENGE_ERR_CLOSED', 'renderer is closed');
      try {
        return await render(task);
      } catch (err) {
        throw wrapError(err);
      }
    },
    queueSize: () => 0,
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}
